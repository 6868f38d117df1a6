//! 征信查询授权 outside an application: the signed form by which a person
//! lets the bank query the credit bureau for batch decisions (整村授信, a
//! whitelist's 预授信). Pre-credit asks the bureau about, or reuses a report
//! of, only people who hold one on the job's day; everyone else is decided
//! without a report (and so referred). An application carries its own
//! consent (`bureau_consents`), which covers that application only.

use std::collections::HashSet;

use domain::date::Date;
use domain::error_code::ErrorCode;
use domain::org::Role;
use domain::view::BureauAuthorisationView;
use serde_json::json;
use sha2::{Digest, Sha256};
use sqlx::AssertSqlSafe;

use crate::audit::{self, NewAuditEntry};
use crate::auth::StaffActor;
use crate::error::ServiceError;
use crate::sql::{self, Placeholders, Val};

/// How long a signed authorisation lasts, from the day it was signed.
pub const AUTHORISATION_DAYS: i64 = 365;
/// The longest evidence (the form's number or reference) kept.
pub const MAX_EVIDENCE_CHARS: usize = 60;

/// The columns [`row`] fills, in its order.
pub(crate) const COLUMNS: [&str; 8] = [
    "id",
    "customer_id",
    "bank_id",
    "evidence",
    "granted_on",
    "expires_on",
    "recorded_by",
    "recorded_at",
];

/// An authorisation as recorded.
pub(crate) struct Authorisation<'a> {
    pub customer_id: &'a str,
    pub bank_id: &'a str,
    pub evidence: &'a str,
    pub granted_on: Date,
    pub recorded_by: &'a str,
    pub recorded_at: i64,
    /// Where it was recorded: "manual", a whitelist import's job id, "demo".
    pub source: &'a str,
}

impl Authorisation<'_> {
    /// Derived from the customer, the evidence, the day and the source, so
    /// recording the same form twice from one place is one row (and the
    /// demo's generator spends none of its randomness on it).
    pub fn id(&self) -> String {
        let mut d = Sha256::new();
        let day = self.granted_on.to_string();
        for part in [self.customer_id, self.evidence, &day, self.source] {
            d.update(part.as_bytes());
            d.update(b"\n");
        }
        format!("auth-{}", hex::encode(&d.finalize()[..16]))
    }

    /// The row for [`COLUMNS`].
    pub fn row(&self) -> Vec<Val> {
        vec![
            Val::from(self.id()),
            Val::from(self.customer_id),
            Val::from(self.bank_id),
            Val::from(self.evidence),
            Val::from(self.granted_on.to_string()),
            Val::from(self.granted_on.add_days(AUTHORISATION_DAYS).to_string()),
            Val::from(self.recorded_by),
            Val::Int(self.recorded_at),
        ]
    }
}

/// The evidence as typed, trimmed; refused when empty or too long.
pub(crate) fn evidence(raw: &str) -> Result<String, ServiceError> {
    let e = raw.trim();
    if e.is_empty() || e.chars().count() > MAX_EVIDENCE_CHARS {
        return Err(ServiceError::Validation {
            code: ErrorCode::AuthorisationEvidenceInvalid,
            params: vec![("max", MAX_EVIDENCE_CHARS.to_string())],
        });
    }
    Ok(e.to_string())
}

/// Which of `ids` hold an authorisation in force on `on`.
pub(crate) async fn authorised_among(
    conn: &mut sqlx::AnyConnection,
    ids: &[&str],
    on: Date,
) -> Result<HashSet<String>, ServiceError> {
    let mut out = HashSet::new();
    let style = Placeholders::of(conn);
    for part in ids.chunks(1000) {
        let q = format!(
            "SELECT DISTINCT customer_id FROM bureau_authorisations \
             WHERE customer_id IN {} AND withdrawn_at IS NULL \
               AND granted_on <= {p} AND expires_on >= {p}",
            style.tuples(1, part.len(), 1),
            p = match style {
                Placeholders::Dollar => format!("${}", part.len() + 1),
                Placeholders::Question => "?".to_string(),
            }
        );
        let mut query = sqlx::query(AssertSqlSafe(q));
        for id in part {
            query = query.bind(*id);
        }
        let day = on.to_string();
        query = match style {
            Placeholders::Dollar => query.bind(day),
            // `?` binds in text order: the day appears twice.
            Placeholders::Question => query.bind(day.clone()).bind(day),
        };
        for r in query.fetch_all(&mut *conn).await? {
            out.insert(sql::text(&r, "customer_id")?);
        }
    }
    Ok(out)
}

/// The customer's authorisation in force on `on` that lasts longest.
pub async fn in_force(
    db: &crate::db::Db,
    customer_id: &str,
    on: Date,
) -> Result<Option<BureauAuthorisationView>, ServiceError> {
    let day = on.to_string();
    let r = sqlx::query(
        "SELECT evidence, granted_on, expires_on FROM bureau_authorisations \
         WHERE customer_id = $1 AND withdrawn_at IS NULL AND granted_on <= $2 \
           AND expires_on >= $2 \
         ORDER BY expires_on DESC LIMIT 1",
    )
    .bind(customer_id)
    .bind(&day)
    .fetch_optional(&db.pool)
    .await?;
    r.map(|r| {
        Ok(BureauAuthorisationView {
            evidence: sql::text(&r, "evidence")?,
            granted_on: sql::date(&r, "granted_on")?,
            expires_on: sql::date(&r, "expires_on")?,
        })
    })
    .transpose()
}

impl crate::risk::Risk<'_> {
    /// An officer or branch head records a customer's signed authorisation
    /// (the form's number, the day it was signed): from then on, for a year,
    /// pre-credit may ask the bureau about them.
    pub async fn record_bureau_authorisation(
        self,
        s: &StaffActor,
        customer_id: &str,
        evidence_raw: &str,
        granted_on: Date,
    ) -> Result<(), ServiceError> {
        if !s.has_any(&[Role::Officer, Role::BranchHead]) {
            return Err(ServiceError::Forbidden);
        }
        let evidence = evidence(evidence_raw)?;
        let today = self.today();
        if granted_on > today || granted_on.add_days(AUTHORISATION_DAYS) < today {
            return Err(ServiceError::invalid(ErrorCode::AuthorisationDateInvalid));
        }
        let c = sqlx::query(
            "SELECT c.bank_id, b.path, c.branch_id FROM customers c \
             JOIN organisations b ON b.id = c.branch_id WHERE c.id = $1",
        )
        .bind(customer_id)
        .fetch_optional(&self.db.pool)
        .await?
        .ok_or(ServiceError::NotFound)?;
        if !s.covers(&sql::text(&c, "path")?) {
            return Err(ServiceError::Forbidden);
        }
        let bank_id = sql::text(&c, "bank_id")?;
        let now = self.now();
        let a = Authorisation {
            customer_id,
            bank_id: &bank_id,
            evidence: &evidence,
            granted_on,
            recorded_by: &s.user_id,
            recorded_at: now,
            source: "manual",
        };
        let mut tx = self.db.begin_write().await?;
        // Recording the same form twice, even at once, is one row and one entry.
        let insert = format!(
            "INSERT INTO bureau_authorisations ({}) VALUES {} ON CONFLICT (id) DO NOTHING",
            COLUMNS.join(", "),
            Placeholders::Dollar.tuples(1, COLUMNS.len(), 1)
        );
        let mut q = sqlx::query(AssertSqlSafe(insert));
        for v in &a.row() {
            q = sql::bind_val(q, v);
        }
        if q.execute(&mut *tx).await?.rows_affected() == 1 {
            audit::append(
                &mut tx,
                &self.config.audit_key,
                NewAuditEntry::staff(
                    s,
                    now,
                    "bureau.authorisation_recorded",
                    "customer",
                    customer_id,
                )
                .org(sql::text(&c, "branch_id")?)
                .after(json!({ "evidence": evidence, "granted_on": granted_on.to_string() })),
            )
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }
}
