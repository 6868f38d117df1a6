//! Who is calling: staff sign in with a username and password (argon2id,
//! locked after repeated failures), customers with their phone and a
//! one-time SMS code (stored only as a peppered hash, rate-limited).
//!
//! The actors returned here are what every other use case takes to decide
//! what the caller may do: roles, and the organisation path that bounds
//! their scope.

use_cases!(
    /// The use cases of this module, reached as `services.auth()`.
    Auth,
    auth
);

pub(crate) mod codes;
mod customer_sign_in;
mod staff_sign_in;

use std::net::IpAddr;
use std::sync::OnceLock;

use argon2::{Argon2, PasswordHasher, PasswordVerifier};
use domain::identity::Phone;
use domain::org::{path_covers, Role};
use rand::rngs::OsRng;
use rand::{Rng, TryRngCore};
use serde::{Deserialize, Serialize};
use serde_json::json;
use sha2::{Digest, Sha256};

use crate::audit::{self, NewAuditEntry};
use crate::error::ServiceError;
use crate::pfi::Field;
use crate::sql;
use crate::throttle;
pub use domain::view::SentCode;

/// A signed-in member of staff.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StaffActor {
    pub user_id: String,
    pub username: String,
    pub display_name: String,
    pub org_id: String,
    /// Materialised path of the user's organisation, e.g. "/union/bank/branch/".
    pub org_path: String,
    pub org_name: String,
    /// The bank (tenant) the user works for; `None` for union staff.
    pub bank_id: Option<String>,
    pub roles: Vec<Role>,
    /// Signed in with a one-time password: nothing but choosing their own
    /// ([`Auth::change_password`](crate::auth::Auth::change_password)) until they do.
    #[serde(default)]
    pub must_change_password: bool,
    /// The account signs in with a second factor ([`crate::totp`]).
    #[serde(default)]
    pub totp_enrolled: bool,
    /// One of the roles requires a second factor and none is enrolled yet:
    /// nothing but enrolling one (`begin_totp`, in the `staff` module) until it is.
    #[serde(default)]
    pub totp_enrolment_required: bool,
}

/// What a member of staff reads about a customer, each with the roles that
/// work on it (JR/T 0171: personal financial information only to those
/// whose work needs it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reading {
    /// The customer's applications with their investigations, decisions and
    /// tasks, credit lines, and the customer's portrait (客户画像).
    CustomerFile,
    /// A loan with its schedule and ledger.
    Ledger,
}

impl Reading {
    pub fn readers(self) -> &'static [Role] {
        match self {
            Reading::CustomerFile => &[
                Role::Officer,
                Role::Investigator,
                Role::Reviewer,
                Role::Approver,
                Role::Disburser,
                Role::PostLoan,
                Role::RiskManager,
                Role::BranchHead,
            ],
            Reading::Ledger => &[
                Role::Officer,
                Role::Approver,
                Role::Disburser,
                Role::PostLoan,
                Role::RiskManager,
                Role::BranchHead,
            ],
        }
    }
}

impl StaffActor {
    pub fn has(&self, r: Role) -> bool {
        self.roles.contains(&r)
    }

    pub fn has_any(&self, rs: &[Role]) -> bool {
        rs.iter().any(|r| self.has(*r))
    }

    /// Is the organisation at `target_path` inside this user's scope?
    pub fn covers(&self, target_path: &str) -> bool {
        path_covers(&self.org_path, target_path)
    }

    /// May this member of staff read `what` of a customer served under
    /// `path`? Their role must be one that works on it, and the
    /// organisation must be in their scope: a bank-level product or
    /// marketing manager, or an administrator, covers every branch but reads
    /// no one's file.
    pub fn may_read(&self, what: Reading, path: &str) -> Result<(), ServiceError> {
        if self.has_any(what.readers()) && self.covers(path) {
            Ok(())
        } else {
            Err(ServiceError::Forbidden)
        }
    }

    pub fn is_manager(&self) -> bool {
        self.roles.iter().any(|r| r.is_manager())
    }

    /// The summary the user interface shows.
    pub fn info(&self) -> domain::view::StaffInfo {
        domain::view::StaffInfo {
            user_id: self.user_id.clone().into(),
            username: self.username.clone(),
            display_name: self.display_name.clone(),
            org_name: self.org_name.clone(),
            roles: self.roles.clone(),
            sms_outbox: false,
            must_change_password: self.must_change_password,
            totp_enrolled: self.totp_enrolled,
            totp_enrolment_required: self.totp_enrolment_required,
        }
    }
}

/// A signed-in customer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomerActor {
    pub customer_id: String,
    pub bank_id: String,
    pub name: String,
    pub phone_masked: String,
}

/// A person who signed up with their phone and has not finished real-name
/// verification: they may read the products and verify, nothing else.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegistrantActor {
    pub registration_id: String,
    pub bank_id: String,
    pub phone_masked: String,
}

/// Who a customer-side sign-in turned out to be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignedIn {
    Customer(CustomerActor),
    /// New to the bank (or signed up before and not yet verified).
    Registrant(RegistrantActor),
}

impl CustomerActor {
    /// The summary the user interface shows.
    pub fn info(&self) -> domain::view::CustomerInfo {
        domain::view::CustomerInfo {
            name: self.name.clone(),
            phone_masked: self.phone_masked.clone(),
        }
    }
}

/// An argon2id password hash in PHC form. It cannot be serialised and never
/// prints.
#[derive(Clone, PartialEq, Eq)]
pub struct PasswordHash(String);

impl PasswordHash {
    /// The PHC string, for storing.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Wraps a stored PHC string.
    pub fn from_stored(phc: String) -> Self {
        PasswordHash(phc)
    }

    /// Does `password` match? Slow on purpose: call from a blocking thread.
    pub fn verify(&self, password: &str) -> bool {
        Argon2::default()
            .verify_password(password.as_bytes(), self.0.as_str())
            .is_ok()
    }
}

impl std::fmt::Debug for PasswordHash {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PasswordHash(***)")
    }
}

/// Hashes with argon2id and its default parameters, with a random salt.
pub fn hash_password(password: &str) -> Result<PasswordHash, ServiceError> {
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|h| PasswordHash(h.to_string()))
        .map_err(|e| ServiceError::internal("hash password", e))
}

/// A hash to verify against when the username is unknown, so that both
/// failures take the same time.
fn decoy_hash() -> &'static PasswordHash {
    static DECOY: OnceLock<PasswordHash> = OnceLock::new();
    DECOY.get_or_init(|| {
        hash_password("decoy password that matches nothing")
            .unwrap_or_else(|_| PasswordHash(String::new()))
    })
}

/// Password checks running at once. Each argon2 check holds about 19 MiB and
/// a core for tens of milliseconds: unbounded, 400 parallel sign-ins with
/// unknown names cost gigabytes. The rest wait their turn, cheaply.
const PARALLEL_PASSWORD_CHECKS: usize = 4;

/// The longest password checked; longer ones are wrong without hashing.
pub use domain::password::MAX_PASSWORD_BYTES;

fn password_checks() -> &'static tokio::sync::Semaphore {
    static CHECKS: OnceLock<tokio::sync::Semaphore> = OnceLock::new();
    CHECKS.get_or_init(|| tokio::sync::Semaphore::new(PARALLEL_PASSWORD_CHECKS))
}

/// Checks a password on a blocking thread, at most
/// [`PARALLEL_PASSWORD_CHECKS`] at once; `None` checks against the decoy.
async fn verify_blocking(hash: Option<PasswordHash>, password: &str) -> Result<bool, ServiceError> {
    if password.len() > MAX_PASSWORD_BYTES {
        return Ok(false);
    }
    let _turn = password_checks()
        .acquire()
        .await
        .map_err(|e| ServiceError::internal("password check", e))?;
    let password = password.to_string();
    tokio::task::spawn_blocking(move || match hash {
        Some(h) => h.verify(&password),
        None => {
            // Spend the same time as a real check, then fail.
            let _ = decoy_hash().verify(&password);
            false
        }
    })
    .await
    .map_err(|e| ServiceError::internal("password check", e))
}

/// The bank id inside an organisation path ("/union/bank/…/").
pub(crate) fn bank_of_path(path: &str) -> Option<String> {
    path.split('/')
        .filter(|s| !s.is_empty())
        .nth(1)
        .map(str::to_string)
}

/// sha256(secret || phone || code), hex.
fn code_hash(secret: &str, phone: &str, code: &str) -> String {
    let mut d = Sha256::new();
    d.update(secret.as_bytes());
    d.update(phone.as_bytes());
    d.update(code.as_bytes());
    hex::encode(d.finalize())
}

/// Compares without stopping at the first difference.
fn same_bytes(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

fn six_digit_code() -> Result<String, ServiceError> {
    let mut rng = OsRng.unwrap_err();
    let n: u32 = rng.random_range(0..1_000_000);
    Ok(format!("{n:06}"))
}

const LOGIN_PURPOSE: &str = "login";
const DAY_MS: i64 = 24 * 60 * 60 * 1000;

impl Auth<'_> {
    /// Appends one entry in a transaction of its own (an attempt that
    /// changes nothing else).
    async fn audit_alone(self, e: NewAuditEntry) -> Result<(), ServiceError> {
        let mut tx = self.db.begin_write().await?;
        audit::append(&mut tx, &self.config.audit_key, e).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The staff member behind a session; `Unauthenticated` when the account
    /// is gone or inactive.
    pub async fn staff_actor(self, user_id: &str) -> Result<StaffActor, ServiceError> {
        let row = sqlx::query(
            "SELECT u.id, u.username, u.display_name, u.active, u.must_change_password, \
                    u.password_changed_at, u.totp_sealed, o.id AS org_id, o.path, \
                    o.name AS org_name \
             FROM staff_users u JOIN organisations o ON o.id = u.org_id WHERE u.id = $1",
        )
        .bind(user_id)
        .fetch_optional(&self.db.pool)
        .await?
        .ok_or(ServiceError::Unauthenticated)?;
        if sql::int(&row, "active")? != 1 {
            return Err(ServiceError::Unauthenticated);
        }
        let roles: Vec<Role> =
            sqlx::query("SELECT role FROM staff_roles WHERE user_id = $1 ORDER BY role")
                .bind(user_id)
                .fetch_all(&self.db.pool)
                .await?
                .iter()
                .filter_map(|r| sql::text(r, "role").ok().and_then(|s| Role::parse(&s)))
                .collect();
        let totp_enrolled = sql::opt_text(&row, "totp_sealed")?.is_some();
        let totp_enrolment_required =
            !totp_enrolled && roles.iter().any(|r| self.config.totp_roles.contains(r));
        let org_path = sql::text(&row, "path")?;
        // A password older than the policy allows must be changed before
        // anything else, like a one-time password. (Accounts from before
        // the policy have no date and are not expired by it.)
        let expired = sql::opt_int(&row, "password_changed_at")?
            .is_some_and(|at| self.now() - at > self.config.password_max_age_days * DAY_MS);
        Ok(StaffActor {
            user_id: sql::text(&row, "id")?,
            username: sql::text(&row, "username")?,
            display_name: sql::text(&row, "display_name")?,
            org_id: sql::text(&row, "org_id")?,
            bank_id: bank_of_path(&org_path),
            org_path,
            org_name: sql::text(&row, "org_name")?,
            roles,
            must_change_password: sql::int(&row, "must_change_password")? == 1 || expired,
            totp_enrolled,
            totp_enrolment_required,
        })
    }

    /// The customer behind a session.
    /// The signed-up person of a registration not yet verified; once it is,
    /// `Unauthenticated` (they sign in as the customer).
    pub async fn registrant_actor(
        self,
        registration_id: &str,
    ) -> Result<RegistrantActor, ServiceError> {
        let row = sqlx::query(
            "SELECT id, bank_id, phone_sealed, customer_id FROM registrations WHERE id = $1",
        )
        .bind(registration_id)
        .fetch_optional(&self.db.pool)
        .await?
        .ok_or(ServiceError::Unauthenticated)?;
        if sql::opt_text(&row, "customer_id")?.is_some() {
            return Err(ServiceError::Unauthenticated);
        }
        Ok(RegistrantActor {
            registration_id: sql::text(&row, "id")?,
            bank_id: sql::text(&row, "bank_id")?,
            phone_masked: domain::identity::mask_phone(
                &self
                    .config
                    .pfi
                    .open(Field::Phone, &sql::text(&row, "phone_sealed")?)?,
            ),
        })
    }

    pub async fn customer_actor(self, customer_id: &str) -> Result<CustomerActor, ServiceError> {
        let row =
            sqlx::query("SELECT id, bank_id, name, phone_sealed FROM customers WHERE id = $1")
                .bind(customer_id)
                .fetch_optional(&self.db.pool)
                .await?
                .ok_or(ServiceError::Unauthenticated)?;
        Ok(CustomerActor {
            customer_id: sql::text(&row, "id")?,
            bank_id: sql::text(&row, "bank_id")?,
            name: sql::text(&row, "name")?,
            phone_masked: domain::identity::mask_phone(
                &self
                    .config
                    .pfi
                    .open(Field::Phone, &sql::text(&row, "phone_sealed")?)?,
            ),
        })
    }
}

fn minutes_left(ms: i64) -> i64 {
    ((ms + 59_999) / 60_000).max(1)
}

fn secs_left(ms: i64) -> i64 {
    ((ms + 999) / 1000).max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_bank_in_a_path() {
        assert_eq!(bank_of_path("/u/b/br/"), Some("b".to_string()));
        assert_eq!(bank_of_path("/u/"), None);
    }

    #[test]
    fn password_hash_never_prints() {
        let h = PasswordHash("$argon2id$secret".to_string());
        assert_eq!(format!("{h:?}"), "PasswordHash(***)");
    }

    #[test]
    fn codes_are_six_digits() {
        let c = six_digit_code().unwrap();
        assert_eq!(c.len(), 6);
        assert!(c.chars().all(|ch| ch.is_ascii_digit()));
    }

    #[test]
    fn code_hash_depends_on_the_pepper() {
        assert_ne!(
            code_hash("a", "13800000001", "123456"),
            code_hash("b", "13800000001", "123456")
        );
        assert!(same_bytes("abc", "abc"));
        assert!(!same_bytes("abc", "abd"));
    }
}
