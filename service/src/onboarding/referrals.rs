//! 码上营销: an account officer's referral code, the QR code's link
//! `/r/CODE`. A visitor who arrives by it keeps the code through sign-up
//! (on their registration, then their customer row: they belong to the
//! officer's branch and to the officer) and on every application they
//! submit while it is theirs.

use domain::org::Role;
use serde_json::json;

use super::Onboarding;
use crate::audit::{self, NewAuditEntry};
use crate::auth::StaffActor;
use crate::error::ServiceError;
use crate::sql;

/// Characters of a code: no 0/O or 1/I/L to misread on a poster.
const ALPHABET: &[u8] = b"23456789ABCDEFGHJKMNPQRSTUVWXYZ";
const CODE_LEN: usize = 8;

/// Whether `code` could be one of ours (checked before any lookup).
pub fn well_formed(code: &str) -> bool {
    code.len() == CODE_LEN && code.bytes().all(|b| ALPHABET.contains(&b))
}

/// An active referral code and whose it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Referral {
    pub code: String,
    pub bank_id: String,
    pub officer_name: String,
}

impl Onboarding<'_> {
    /// The active referral code `code`, for the page a visitor lands on.
    pub async fn referral(self, code: &str) -> Result<Option<Referral>, ServiceError> {
        let code = code.trim().to_ascii_uppercase();
        if !well_formed(&code) {
            return Ok(None);
        }
        let row = sqlx::query(
            "SELECT c.code, c.bank_id, u.display_name FROM referral_codes c \
             JOIN staff_users u ON u.id = c.officer_id \
             WHERE c.code = $1 AND c.active = 1 AND u.active = 1",
        )
        .bind(&code)
        .fetch_optional(&self.db.pool)
        .await?;
        row.map(|r| {
            Ok(Referral {
                code: sql::text(&r, "code")?,
                bank_id: sql::text(&r, "bank_id")?,
                officer_name: sql::text(&r, "display_name")?,
            })
        })
        .transpose()
    }

    /// The account officer's own referral code, made on first asking.
    pub async fn my_referral_code(self, s: &StaffActor) -> Result<String, ServiceError> {
        let Some(bank_id) = s.bank_id.clone().filter(|_| s.has(Role::Officer)) else {
            return Err(ServiceError::Forbidden);
        };
        let existing = sqlx::query(
            "SELECT code FROM referral_codes WHERE officer_id = $1 AND active = 1 \
             ORDER BY created_at LIMIT 1",
        )
        .bind(&s.user_id)
        .fetch_optional(&self.db.pool)
        .await?;
        if let Some(r) = existing {
            return sql::text(&r, "code");
        }
        let code = new_code();
        let now = self.now();
        let mut tx = self.db.begin_write().await?;
        sqlx::query(
            "INSERT INTO referral_codes (code, bank_id, officer_id, active, created_at) \
             VALUES ($1, $2, $3, 1, $4)",
        )
        .bind(&code)
        .bind(&bank_id)
        .bind(&s.user_id)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        audit::append(
            &mut tx,
            &self.config.audit_key,
            NewAuditEntry::staff(s, now, "referral_code.created", "referral_code", &code)
                .org(s.org_id.clone())
                .after(json!({ "officer_id": s.user_id })),
        )
        .await?;
        tx.commit().await?;
        Ok(code)
    }
}

/// A fresh random code.
pub fn new_code() -> String {
    (0..CODE_LEN)
        .map(|_| ALPHABET[rand::random_range(0..ALPHABET.len())] as char)
        .collect()
}
