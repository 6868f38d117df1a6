//! Who is calling: staff sign in with a username and password (argon2id,
//! locked after repeated failures), customers with their phone and a
//! one-time SMS code (stored only as a peppered hash, rate-limited).
//!
//! The actors returned here are what every other use case takes to decide
//! what the caller may do: roles, and the organisation path that bounds
//! their scope.

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
use crate::Services;
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
    /// ([`Services::change_password`]) until they do.
    #[serde(default)]
    pub must_change_password: bool,
    /// The account signs in with a second factor ([`crate::totp`]).
    #[serde(default)]
    pub totp_enrolled: bool,
    /// One of the roles requires a second factor and none is enrolled yet:
    /// nothing but enrolling one ([`Services::begin_totp`]) until it is.
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
            user_id: self.user_id.clone(),
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

/// Why a staff password is checked.
#[derive(Debug, Clone, Copy)]
enum Check<'a> {
    /// Signing in, from this address when known, with the second factor's
    /// code when the account has one.
    SignIn(Option<IpAddr>, Option<&'a str>),
    /// The signed-in user confirms it (before changing it).
    Again,
}

const LOGIN_PURPOSE: &str = "login";
const DAY_MS: i64 = 24 * 60 * 60 * 1000;

impl Services {
    /// Signs a member of staff in. Unknown users and wrong passwords get the
    /// same answer; too many wrong passwords lock the account for a while.
    pub async fn staff_login(
        &self,
        username: &str,
        password: &str,
    ) -> Result<StaffActor, ServiceError> {
        self.staff_login_from(username, password, None, None).await
    }

    /// [`Services::staff_login`] from a known address, with the second
    /// factor's code: every attempt, the failed ones and those for unknown
    /// accounts included, is audited with the address. An account with a
    /// second factor answers a right password without a code with
    /// [`ServiceError::SecondFactorRequired`], and only a right code signs
    /// it in.
    pub async fn staff_login_from(
        &self,
        username: &str,
        password: &str,
        code: Option<&str>,
        ip: Option<IpAddr>,
    ) -> Result<StaffActor, ServiceError> {
        let user_id = self
            .check_staff_password(username, password, Check::SignIn(ip, code))
            .await?;
        self.staff_actor(&user_id).await
    }

    /// Checks a member of staff's password, counting a wrong one towards
    /// the lock; returns their id. A sign-in stamps its time and is audited
    /// with the caller's address; a re-check (before a password change) is
    /// neither.
    async fn check_staff_password(
        &self,
        username: &str,
        password: &str,
        check: Check<'_>,
    ) -> Result<String, ServiceError> {
        let sign_in = matches!(check, Check::SignIn(..));
        let (ip, code) = match check {
            Check::SignIn(ip, code) => (ip.map(|a| a.to_string()), code),
            Check::Again => (None, None),
        };
        let now = self.now();
        let username = username.trim();
        // An address that failed too often waits, whatever name it tries.
        if let Some(ip) = &ip {
            if let Some(until) =
                throttle::locked_until(&self.db, &throttle::ip_key(ip), now).await?
            {
                return Err(ServiceError::RateLimited {
                    seconds: secs_left(until - now),
                });
            }
        }
        let row = sqlx::query(
            "SELECT id, org_id, display_name, password_hash, locked_until, active, \
                    totp_sealed, totp_last_step \
             FROM staff_users WHERE username = $1",
        )
        .bind(username)
        .fetch_optional(&self.db.pool)
        .await?;
        let unknown = |why: &'static str| {
            // Who tried, as far as it is safe to keep: a username, never a
            // password typed into the username box.
            let tried = if username.len() <= 32
                && username
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c))
            {
                username.to_string()
            } else {
                "(invalid)".to_string()
            };
            NewAuditEntry::system(now, "staff.login_unknown", "staff_user", "-")
                .after(json!({ "username": tried, "reason": why, "ip": ip }))
        };
        let Some(row) = row else {
            self.audit_alone(unknown("no_such_user")).await?;
            return Err(self
                .unknown_account_failure(username, password, ip.as_deref(), now)
                .await?);
        };
        let user_id = sql::text(&row, "id")?;
        let org_id = sql::text(&row, "org_id")?;
        let display_name = sql::text(&row, "display_name")?;
        if sql::int(&row, "active")? != 1 {
            self.audit_alone(unknown("inactive")).await?;
            return Err(self
                .unknown_account_failure(username, password, ip.as_deref(), now)
                .await?);
        }
        let actor_entry = |action: &str| NewAuditEntry {
            at: now,
            actor_kind: "staff",
            actor_id: user_id.clone(),
            actor_name: display_name.clone(),
            org_id: Some(org_id.clone()),
            action: action.to_string(),
            entity: "staff_user".to_string(),
            entity_id: user_id.clone(),
            before_json: None,
            after_json: None,
        };
        // Count this guess as a failure before checking it, in one guarded
        // statement: a burst of parallel guesses gets at most `threshold`
        // of them checked, the rest find the account locked. A right
        // password then clears the count. An expired lock starts it again.
        let lock_until = now + self.config.lockout_minutes * 60_000;
        let claimed = sqlx::query(
            "UPDATE staff_users SET \
               failed_attempts = (CASE WHEN locked_until IS NOT NULL AND locked_until <= $2 \
                                  THEN 0 ELSE failed_attempts END) + 1, \
               locked_until = CASE \
                 WHEN (CASE WHEN locked_until IS NOT NULL AND locked_until <= $2 \
                       THEN 0 ELSE failed_attempts END) + 1 >= $3 THEN $4 \
                 WHEN locked_until IS NOT NULL AND locked_until <= $2 THEN NULL \
                 ELSE locked_until END \
             WHERE id = $1 AND (locked_until IS NULL OR locked_until <= $2) \
             RETURNING failed_attempts, locked_until",
        )
        .bind(&user_id)
        .bind(now)
        .bind(self.config.lockout_threshold)
        .bind(lock_until)
        .fetch_optional(&self.db.pool)
        .await?;
        let Some(claimed) = claimed else {
            let until = sql::opt_int(&row, "locked_until")?.unwrap_or(lock_until);
            self.audit_alone(actor_entry("staff.login_while_locked").after(json!({ "ip": ip })))
                .await?;
            return Err(ServiceError::AccountLocked {
                minutes: minutes_left((until - now).max(60_000)),
            });
        };
        let hash = PasswordHash(sql::text(&row, "password_hash")?);
        let ok = verify_blocking(Some(hash), password).await?;
        // A wrong password or second-factor code: the count claimed above
        // stands, and is audited.
        let failed = |action: &str, wrong: ServiceError| {
            let attempts = sql::int(&claimed, "failed_attempts");
            let locked = sql::opt_int(&claimed, "locked_until");
            let entry = actor_entry(action);
            let lock_entry = actor_entry("staff.locked")
                .after(json!({ "minutes": self.config.lockout_minutes }));
            let ip = ip.clone();
            async move {
                self.count_ip_failure(ip.as_deref(), now).await?;
                let attempts = attempts?;
                let locked = locked?.is_some_and(|u| u > now);
                let mut tx = self.db.pool.begin().await?;
                audit::append(
                    &mut tx,
                    &self.config.audit_key,
                    entry.after(json!({ "failed_attempts": attempts, "ip": ip })),
                )
                .await?;
                if locked {
                    audit::append(&mut tx, &self.config.audit_key, lock_entry).await?;
                }
                tx.commit().await?;
                Err::<String, _>(if locked {
                    ServiceError::AccountLocked {
                        minutes: self.config.lockout_minutes,
                    }
                } else {
                    wrong
                })
            }
        };
        if !ok {
            return failed("staff.login_failed", ServiceError::InvalidCredentials).await;
        }
        // The second factor, when the account has one: a right password alone
        // neither signs in nor clears the count, so the codes are guessed
        // no faster than passwords.
        if sign_in {
            if let Some(sealed) = sql::opt_text(&row, "totp_sealed")? {
                let stored = crate::totp::Stored {
                    secret: self
                        .config
                        .pfi
                        .open(crate::pfi::Field::TotpSecret, &sealed)?,
                    last_step: sql::opt_int(&row, "totp_last_step")?,
                };
                let Some(code) = code else {
                    // Asked for the code: this try takes back its count.
                    sqlx::query(
                        "UPDATE staff_users SET failed_attempts = failed_attempts - 1, \
                           locked_until = CASE WHEN failed_attempts - 1 >= $2 \
                                          THEN locked_until ELSE NULL END \
                         WHERE id = $1 AND failed_attempts > 0",
                    )
                    .bind(&user_id)
                    .bind(self.config.lockout_threshold)
                    .execute(&self.db.pool)
                    .await?;
                    return Err(ServiceError::SecondFactorRequired);
                };
                if !crate::totp::take_code(&self.db, &user_id, &stored, code, now).await? {
                    return failed("staff.totp_failed", ServiceError::SecondFactorInvalid).await;
                }
            }
        }
        let mut tx = self.db.pool.begin().await?;
        sqlx::query(
            "UPDATE staff_users SET failed_attempts = 0, locked_until = NULL, \
               last_login_at = CASE WHEN $3 = 1 THEN $2 ELSE last_login_at END \
             WHERE id = $1",
        )
        .bind(&user_id)
        .bind(now)
        .bind(i64::from(sign_in))
        .execute(&mut *tx)
        .await?;
        if sign_in {
            audit::append(
                &mut tx,
                &self.config.audit_key,
                actor_entry("staff.login").after(json!({ "ip": ip })),
            )
            .await?;
        }
        tx.commit().await?;
        Ok(user_id)
    }

    /// A sign-in to a name no (active) account has: the same work and the
    /// same answers as a wrong password on a real account, including the
    /// lock after `lockout_threshold` tries, counted under the name itself.
    async fn unknown_account_failure(
        &self,
        username: &str,
        password: &str,
        ip: Option<&str>,
        now: i64,
    ) -> Result<ServiceError, ServiceError> {
        let key = throttle::unknown_user_key(&self.config.otp_secret, username);
        if let Some(until) = throttle::locked_until(&self.db, &key, now).await? {
            return Ok(ServiceError::AccountLocked {
                minutes: minutes_left(until - now),
            });
        }
        verify_blocking(None, password).await?;
        self.count_ip_failure(ip, now).await?;
        let window = self.config.lockout_minutes * 60_000;
        let locked =
            throttle::count_failure(&self.db, &key, self.config.lockout_threshold, window, now)
                .await?;
        Ok(match locked {
            Some(_) => ServiceError::AccountLocked {
                minutes: self.config.lockout_minutes,
            },
            None => ServiceError::InvalidCredentials,
        })
    }

    /// Counts a failed attempt against its source address; the address
    /// waits out `lockout_minutes` after `ip_failure_limit` failures.
    async fn count_ip_failure(&self, ip: Option<&str>, now: i64) -> Result<(), ServiceError> {
        let Some(ip) = ip else {
            return Ok(());
        };
        let window = self.config.lockout_minutes * 60_000;
        let key = throttle::ip_key(ip);
        let before = throttle::locked_until(&self.db, &key, now).await?;
        let locked =
            throttle::count_failure(&self.db, &key, self.config.ip_failure_limit, window, now)
                .await?;
        if before.is_none() && locked.is_some() {
            self.audit_alone(
                NewAuditEntry::system(now, "login.address_blocked", "address", ip).after(json!({
                    "failures": self.config.ip_failure_limit,
                    "minutes": self.config.lockout_minutes,
                })),
            )
            .await?;
        }
        Ok(())
    }

    /// Appends one entry in a transaction of its own (an attempt that
    /// changes nothing else).
    async fn audit_alone(&self, e: NewAuditEntry) -> Result<(), ServiceError> {
        let mut tx = self.db.begin_write().await?;
        audit::append(&mut tx, &self.config.audit_key, e).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The staff member behind a session; `Unauthenticated` when the account
    /// is gone or inactive.
    pub async fn staff_actor(&self, user_id: &str) -> Result<StaffActor, ServiceError> {
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

    /// A member of staff chooses a new password: the current one must be
    /// right (a wrong one counts towards the lock like a wrong sign-in), the
    /// new one must pass the policy ([`domain::password::check_new_password`])
    /// and differ from the current one. Clears the one-time flag.
    pub async fn change_password(
        &self,
        s: &StaffActor,
        current: &str,
        new: &str,
    ) -> Result<(), ServiceError> {
        if let Err(e) = domain::password::check_new_password(new, &s.username) {
            return Err(ServiceError::Validation {
                code: e.code(),
                params: vec![("min", domain::password::MIN_PASSWORD_CHARS.to_string())],
            });
        }
        if new == current {
            return Err(ServiceError::invalid("password_unchanged"));
        }
        // The same guarded count and check as a sign-in.
        self.check_staff_password(&s.username, current, Check::Again)
            .await
            .map_err(|e| match e {
                ServiceError::InvalidCredentials => ServiceError::invalid("password_current_wrong"),
                other => other,
            })?;
        // Not one of the last few: the current hash and the history's.
        let earlier = sqlx::query(
            "SELECT password_hash FROM staff_users WHERE id = $1 \
             UNION ALL SELECT password_hash FROM (SELECT password_hash FROM staff_password_history \
               WHERE staff_id = $1 ORDER BY retired_at DESC LIMIT $2) h",
        )
        .bind(&s.user_id)
        .bind(self.config.password_history)
        .fetch_all(&self.db.pool)
        .await?;
        for r in &earlier {
            let old = PasswordHash::from_stored(sql::text(r, "password_hash")?);
            if verify_blocking(Some(old), new).await? {
                return Err(ServiceError::Validation {
                    code: "password_reused",
                    params: vec![("n", self.config.password_history.to_string())],
                });
            }
        }
        let hash = hash_password(new)?;
        let now = self.now();
        let mut tx = self.db.begin_write().await?;
        sqlx::query(
            "INSERT INTO staff_password_history (staff_id, password_hash, retired_at) \
             SELECT id, password_hash, $2 FROM staff_users WHERE id = $1",
        )
        .bind(&s.user_id)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "UPDATE staff_users SET password_hash = $2, must_change_password = 0, \
               password_changed_at = $3 WHERE id = $1",
        )
        .bind(&s.user_id)
        .bind(hash.as_str())
        .bind(now)
        .execute(&mut *tx)
        .await?;
        audit::append(
            &mut tx,
            &self.config.audit_key,
            NewAuditEntry::staff(s, now, "staff.password_changed", "staff_user", &s.user_id)
                .org(s.org_id.clone())
                .after(json!({ "one_time": s.must_change_password })),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Sends a login code to a customer's phone. The code row is reserved
    /// first (so the rate limit holds under concurrent requests) and removed
    /// again when the provider fails.
    pub async fn send_login_code(&self, phone: &str) -> Result<SentCode, ServiceError> {
        let phone = Phone::parse(phone.trim())?;
        let now = self.now();
        let phone_idx = self.config.pfi.index(Field::Phone, phone.as_str());
        let exists = sqlx::query("SELECT id FROM customers WHERE phone_idx = $1")
            .bind(&phone_idx)
            .fetch_optional(&self.db.pool)
            .await?;
        if exists.is_none() {
            return Err(ServiceError::UnknownCustomer);
        }
        let resend_ms = self.config.otp_resend_secs * 1000;
        let recent = sqlx::query(
            "SELECT created_at FROM sms_codes \
             WHERE phone_idx = $1 AND purpose = $2 AND created_at > $3 ORDER BY created_at",
        )
        .bind(&phone_idx)
        .bind(LOGIN_PURPOSE)
        .bind(now - DAY_MS)
        .fetch_all(&self.db.pool)
        .await?;
        if let Some(last) = recent.last() {
            let last_at = sql::int(last, "created_at")?;
            if now - last_at < resend_ms {
                return Err(ServiceError::RateLimited {
                    seconds: secs_left(last_at + resend_ms - now),
                });
            }
        }
        let in_day = i64::try_from(recent.len()).unwrap_or(i64::MAX);
        if in_day >= self.config.otp_max_per_day {
            let oldest = sql::int(&recent[0], "created_at")?;
            return Err(ServiceError::RateLimited {
                seconds: secs_left(oldest + DAY_MS - now),
            });
        }

        let code = six_digit_code()?;
        let id = crate::db::new_id();
        let mut tx = self.db.pool.begin().await?;
        let reserved = sqlx::query(
            "INSERT INTO sms_codes (id, phone_idx, purpose, code_hash, created_at, expires_at, \
                                    attempts, consumed) \
             SELECT $1, $2, $3, $4, $5, $6, 0, 0 \
             WHERE NOT EXISTS (SELECT 1 FROM sms_codes \
                               WHERE phone_idx = $2 AND purpose = $3 AND created_at > $7)",
        )
        .bind(&id)
        .bind(&phone_idx)
        .bind(LOGIN_PURPOSE)
        .bind(code_hash(&self.config.otp_secret, phone.as_str(), &code))
        .bind(now)
        .bind(now + self.config.otp_ttl_secs * 1000)
        .bind(now - resend_ms)
        .execute(&mut *tx)
        .await?;
        if reserved.rows_affected() == 0 {
            tx.rollback().await?;
            return Err(ServiceError::RateLimited {
                seconds: self.config.otp_resend_secs,
            });
        }
        tx.commit().await?;

        let minutes = (self.config.otp_ttl_secs + 59) / 60;
        let body =
            format!("【普惠金融】您的登录验证码是{code}，{minutes}分钟内有效。请勿告诉他人。");
        if let Err(err) = self.sms.send(&phone, &body).await {
            tracing::warn!(phone = %phone.masked(), %err, "login code not sent");
            sqlx::query("DELETE FROM sms_codes WHERE id = $1")
                .bind(&id)
                .execute(&self.db.pool)
                .await?;
            return Err(ServiceError::SmsFailed);
        }

        let mut tx = self.db.pool.begin().await?;
        audit::append(
            &mut tx,
            &self.config.audit_key,
            NewAuditEntry::system(now, "otp.sent", "sms_code", &id).after(json!({
                "phone": phone.masked(),
                "provider": self.sms.name(),
            })),
        )
        .await?;
        tx.commit().await?;
        Ok(SentCode {
            phone_masked: phone.masked(),
            resend_after_secs: self.config.otp_resend_secs,
            expires_in_secs: self.config.otp_ttl_secs,
        })
    }

    /// Signs a customer in with the newest code sent to their phone.
    pub async fn customer_login(
        &self,
        phone: &str,
        code: &str,
    ) -> Result<CustomerActor, ServiceError> {
        self.customer_login_from(phone, code, None).await
    }

    /// [`Services::customer_login`] from a known address: a wrong code is
    /// audited with it and the phone masked.
    pub async fn customer_login_from(
        &self,
        phone: &str,
        code: &str,
        ip: Option<IpAddr>,
    ) -> Result<CustomerActor, ServiceError> {
        let ip = ip.map(|a| a.to_string());
        let phone = Phone::parse(phone.trim())?;
        let code = code.trim();
        let now = self.now();
        let phone_idx = self.config.pfi.index(Field::Phone, phone.as_str());
        let row = sqlx::query(
            "SELECT id, code_hash, expires_at, attempts FROM sms_codes \
             WHERE phone_idx = $1 AND purpose = $2 AND consumed = 0 \
             ORDER BY created_at DESC LIMIT 1",
        )
        .bind(&phone_idx)
        .bind(LOGIN_PURPOSE)
        .fetch_optional(&self.db.pool)
        .await?
        .ok_or(ServiceError::CodeExpired)?;
        let id = sql::text(&row, "id")?;
        if sql::int(&row, "expires_at")? <= now
            || sql::int(&row, "attempts")? >= self.config.otp_max_attempts
        {
            return Err(ServiceError::CodeExpired);
        }
        // Take one of the code's guesses before comparing, in one guarded
        // statement: a burst of parallel guesses gets at most
        // `otp_max_attempts` of them compared, however they interleave.
        let claimed = sqlx::query(
            "UPDATE sms_codes SET attempts = attempts + 1 \
             WHERE id = $1 AND consumed = 0 AND attempts < $2 AND expires_at > $3",
        )
        .bind(&id)
        .bind(self.config.otp_max_attempts)
        .bind(now)
        .execute(&self.db.pool)
        .await?;
        if claimed.rows_affected() == 0 {
            return Err(ServiceError::CodeExpired);
        }
        let expected = sql::text(&row, "code_hash")?;
        let given = code_hash(&self.config.otp_secret, phone.as_str(), code);
        if !same_bytes(&expected, &given) {
            self.count_ip_failure(ip.as_deref(), now).await?;
            self.audit_alone(
                NewAuditEntry::system(now, "customer.login_failed", "sms_code", &id)
                    .after(json!({ "phone": phone.masked(), "ip": ip })),
            )
            .await?;
            return Err(ServiceError::CodeInvalid);
        }
        let customer = sqlx::query("SELECT id, branch_id FROM customers WHERE phone_idx = $1")
            .bind(&phone_idx)
            .fetch_optional(&self.db.pool)
            .await?
            .ok_or(ServiceError::UnknownCustomer)?;
        let customer_id = sql::text(&customer, "id")?;
        let branch_id = sql::text(&customer, "branch_id")?;
        let actor = self.customer_actor(&customer_id).await?;

        let mut tx = self.db.pool.begin().await?;
        let used = sqlx::query(
            "UPDATE sms_codes SET consumed = 1 \
             WHERE id = $1 AND consumed = 0 AND expires_at > $2",
        )
        .bind(&id)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        if used.rows_affected() == 0 {
            tx.rollback().await?;
            return Err(ServiceError::CodeExpired);
        }
        audit::append(
            &mut tx,
            &self.config.audit_key,
            NewAuditEntry::customer(&actor, now, "customer.login", "customer", &customer_id)
                .org(branch_id)
                .after(json!({ "ip": ip })),
        )
        .await?;
        tx.commit().await?;
        Ok(actor)
    }

    /// The customer behind a session.
    pub async fn customer_actor(&self, customer_id: &str) -> Result<CustomerActor, ServiceError> {
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
