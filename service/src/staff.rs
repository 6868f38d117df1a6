//! The organisation tree and its staff accounts, as the bank's operator
//! manages them from the command line (`puhui init`, `puhui staff …`,
//! `puhui org add`): the first bank and its first administrator on an empty
//! database, branches and grids, staff with their roles, unlocking an
//! account and resetting its password.
//!
//! Every account made or reset here gets a one-time password, shown once to
//! the operator and stored only as its argon2 hash; its holder must choose
//! their own at first sign-in ([`Auth::change_password`](crate::auth::Auth::change_password)). Every
//! change goes to the audit log as the operator's.

use_cases!(
    /// The use cases of this module, reached as `services.staff()`.
    Staff,
    staff
);

use domain::error_code::ErrorCode;
use rand::rngs::OsRng;
use rand::{Rng, TryRngCore};
use serde_json::json;

use crate::audit::{self, NewAuditEntry};
use crate::auth::{hash_password, StaffActor};
use crate::db::new_id;
use crate::pfi::Field;
use crate::sql::Val;
use crate::totp;
use crate::{sql, ServiceError};
use domain::org::Role;

/// A password shown once to the operator, who hands it to its holder.
#[derive(Clone, PartialEq, Eq)]
pub struct OneTimePassword(String);

impl OneTimePassword {
    /// 16 characters from an alphabet without look-alikes (no 0/O, 1/l/I),
    /// about 90 bits, from the operating system's generator.
    fn generate() -> Result<Self, ServiceError> {
        const ALPHABET: &[u8] = b"ABCDEFGHJKMNPQRSTUVWXYZabcdefghjkmnpqrstuvwxyz23456789";
        let mut rng = OsRng.unwrap_err();
        let mut s: String = (0..16)
            .map(|_| char::from(ALPHABET[rng.random_range(0..ALPHABET.len())]))
            .collect();
        // The policy asks for letters and digits: make sure of both.
        s.replace_range(7..8, &rng.random_range(2..10).to_string());
        s.replace_range(3..4, "k");
        Ok(OneTimePassword(s))
    }

    /// The password itself, to show once.
    pub fn reveal(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for OneTimePassword {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("OneTimePassword(***)")
    }
}

/// The first bank of a new installation (`puhui init`).
#[derive(Debug, Clone)]
pub struct FirstBank {
    /// The provincial union (省联社) or head office above the bank.
    pub union_code: String,
    pub union_name: String,
    pub bank_code: String,
    pub bank_name: String,
    pub admin_username: String,
    pub admin_name: String,
}

/// A new organisation under an existing one.
#[derive(Debug, Clone)]
pub struct NewOrg {
    pub parent_code: String,
    pub code: String,
    pub name: String,
}

/// A new member of staff.
#[derive(Debug, Clone)]
pub struct NewStaff {
    pub org_code: String,
    pub username: String,
    pub display_name: String,
    pub roles: Vec<Role>,
}

const MAX_CODE: usize = 32;
const MAX_NAME_CHARS: usize = 64;

fn check_code(code: &str) -> Result<(), ServiceError> {
    let ok = !code.is_empty()
        && code.len() <= MAX_CODE
        && code
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if ok {
        Ok(())
    } else {
        Err(ServiceError::invalid(ErrorCode::OrgCodeInvalid))
    }
}

fn check_name(name: &str) -> Result<(), ServiceError> {
    let n = name.trim().chars().count();
    if n == 0 || n > MAX_NAME_CHARS {
        return Err(ServiceError::invalid(ErrorCode::OrgNameInvalid));
    }
    Ok(())
}

fn check_username(username: &str) -> Result<(), ServiceError> {
    let ok = (3..=32).contains(&username.len())
        && username
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "._-".contains(c));
    if ok {
        Ok(())
    } else {
        Err(ServiceError::invalid(ErrorCode::UsernameInvalid))
    }
}

/// The kind an organisation under a parent of `parent_kind` has.
fn child_kind(parent_kind: &str) -> Result<&'static str, ServiceError> {
    match parent_kind {
        "union" => Ok("bank"),
        "bank" => Ok("branch"),
        "branch" => Ok("grid"),
        _ => Err(ServiceError::invalid(ErrorCode::OrgParentInvalid)),
    }
}

/// The columns [`NewOrganisation::row`] fills, in its order.
pub(crate) const ORGANISATION_COLUMNS: [&str; 7] = [
    "id",
    "parent_id",
    "kind",
    "code",
    "name",
    "path",
    "created_at",
];

/// An organisation about to be written: the one writer of the table, for
/// `puhui init`/`puhui org add` and the demo bank.
pub(crate) struct NewOrganisation<'a> {
    pub id: &'a str,
    pub parent_id: Option<&'a str>,
    pub kind: &'a str,
    pub code: &'a str,
    pub name: &'a str,
    pub path: &'a str,
    pub created_at: i64,
}

impl NewOrganisation<'_> {
    /// The row for [`ORGANISATION_COLUMNS`].
    pub fn row(&self) -> Vec<Val> {
        vec![
            Val::from(self.id),
            Val::from(self.parent_id.map(str::to_string)),
            Val::from(self.kind),
            Val::from(self.code),
            Val::from(self.name),
            Val::from(self.path),
            Val::Int(self.created_at),
        ]
    }
}

/// The columns [`NewStaffUser::row`] fills, in its order.
pub(crate) const STAFF_COLUMNS: [&str; 9] = [
    "id",
    "org_id",
    "username",
    "display_name",
    "password_hash",
    "failed_attempts",
    "active",
    "must_change_password",
    "created_at",
];

/// A staff account about to be written (active, never failed a sign-in):
/// the one writer of the table, for `puhui staff add` and the demo bank.
/// Its roles are [`role_row`]s.
pub(crate) struct NewStaffUser<'a> {
    pub id: &'a str,
    pub org_id: &'a str,
    pub username: &'a str,
    pub display_name: &'a str,
    pub password_hash: &'a str,
    /// A one-time password its holder must replace at first sign-in.
    pub must_change_password: bool,
    pub created_at: i64,
}

impl NewStaffUser<'_> {
    /// The row for [`STAFF_COLUMNS`].
    pub fn row(&self) -> Vec<Val> {
        vec![
            Val::from(self.id),
            Val::from(self.org_id),
            Val::from(self.username),
            Val::from(self.display_name),
            Val::from(self.password_hash),
            Val::Int(0),
            Val::Int(1),
            Val::Int(i64::from(self.must_change_password)),
            Val::Int(self.created_at),
        ]
    }
}

/// The columns of a `staff_roles` row ([`role_row`]).
pub(crate) const ROLE_COLUMNS: [&str; 2] = ["user_id", "role"];

/// One role of a staff account, for [`ROLE_COLUMNS`].
pub(crate) fn role_row(user_id: &str, role: &str) -> Vec<Val> {
    vec![Val::from(user_id), Val::from(role)]
}

type Tx = sqlx::Transaction<'static, sqlx::Any>;

async fn insert_org(
    tx: &mut Tx,
    key: &crate::audit::checkpoints::AuditKey,
    parent: Option<(&str, &str)>,
    kind: &str,
    code: &str,
    name: &str,
    now: i64,
) -> Result<(String, String), ServiceError> {
    check_code(code)?;
    check_name(name)?;
    let taken = sqlx::query("SELECT 1 AS one FROM organisations WHERE code = $1")
        .bind(code)
        .fetch_optional(&mut **tx)
        .await?;
    if taken.is_some() {
        return Err(ServiceError::invalid(ErrorCode::OrgCodeTaken));
    }
    let id = new_id();
    let path = match parent {
        Some((_, parent_path)) => format!("{parent_path}{id}/"),
        None => format!("/{id}/"),
    };
    let row = NewOrganisation {
        id: &id,
        parent_id: parent.map(|(pid, _)| pid),
        kind,
        code,
        name: name.trim(),
        path: &path,
        created_at: now,
    }
    .row();
    sql::insert_rows(tx, "organisations", &ORGANISATION_COLUMNS, &[row]).await?;
    audit::append(
        tx,
        key,
        NewAuditEntry::system(now, "organisation.created", "organisation", &id)
            .org(id.clone())
            .after(json!({ "kind": kind, "code": code, "name": name.trim() })),
    )
    .await?;
    Ok((id, path))
}

async fn insert_staff(
    tx: &mut Tx,
    key: &crate::audit::checkpoints::AuditKey,
    org_id: &str,
    s: &NewStaff,
    now: i64,
) -> Result<OneTimePassword, ServiceError> {
    let username = s.username.trim();
    check_username(username)?;
    check_name(&s.display_name)?;
    if s.roles.is_empty() {
        return Err(ServiceError::invalid(ErrorCode::RolesMissing));
    }
    let taken = sqlx::query("SELECT 1 AS one FROM staff_users WHERE username = $1")
        .bind(username)
        .fetch_optional(&mut **tx)
        .await?;
    if taken.is_some() {
        return Err(ServiceError::invalid(ErrorCode::UsernameTaken));
    }
    let password = OneTimePassword::generate()?;
    let hash = hash_password(password.reveal())?;
    let id = new_id();
    let row = NewStaffUser {
        id: &id,
        org_id,
        username,
        display_name: s.display_name.trim(),
        password_hash: hash.as_str(),
        must_change_password: true,
        created_at: now,
    }
    .row();
    sql::insert_rows(tx, "staff_users", &STAFF_COLUMNS, &[row]).await?;
    let mut roles: Vec<Role> = s.roles.clone();
    roles.sort_by_key(|r| r.as_str());
    roles.dedup();
    let role_rows: Vec<Vec<Val>> = roles.iter().map(|r| role_row(&id, r.as_str())).collect();
    sql::insert_rows(tx, "staff_roles", &ROLE_COLUMNS, &role_rows).await?;
    audit::append(
        tx,
        key,
        NewAuditEntry::system(now, "staff.created", "staff_user", &id)
            .org(org_id.to_string())
            .after(json!({
                "username": username,
                "display_name": s.display_name.trim(),
                "roles": roles.iter().map(|r| r.as_str()).collect::<Vec<_>>(),
                "must_change_password": true,
            })),
    )
    .await?;
    Ok(password)
}

async fn org_by_code(tx: &mut Tx, code: &str) -> Result<(String, String, String), ServiceError> {
    let r = sqlx::query("SELECT id, kind, path FROM organisations WHERE code = $1")
        .bind(code)
        .fetch_optional(&mut **tx)
        .await?
        .ok_or_else(|| ServiceError::invalid(ErrorCode::OrgUnknown))?;
    Ok((
        sql::text(&r, "id")?,
        sql::text(&r, "kind")?,
        sql::text(&r, "path")?,
    ))
}

impl Staff<'_> {
    /// Creates the first bank of an empty installation, under its union,
    /// with its first administrator; refused once any organisation exists.
    pub async fn init_bank(self, first: &FirstBank) -> Result<OneTimePassword, ServiceError> {
        let now = self.now();
        let mut tx = self.db.begin_write().await?;
        let any = sqlx::query("SELECT COUNT(*) AS n FROM organisations")
            .fetch_one(&mut *tx)
            .await?;
        if sql::int(&any, "n")? > 0 {
            return Err(ServiceError::invalid(ErrorCode::DatabaseNotEmpty));
        }
        let (union_id, union_path) = insert_org(
            &mut tx,
            &self.config.audit_key,
            None,
            "union",
            &first.union_code,
            &first.union_name,
            now,
        )
        .await?;
        let (bank_id, _) = insert_org(
            &mut tx,
            &self.config.audit_key,
            Some((&union_id, &union_path)),
            "bank",
            &first.bank_code,
            &first.bank_name,
            now,
        )
        .await?;
        let admin = NewStaff {
            org_code: first.bank_code.clone(),
            username: first.admin_username.clone(),
            display_name: first.admin_name.clone(),
            roles: vec![Role::Admin],
        };
        let password = insert_staff(&mut tx, &self.config.audit_key, &bank_id, &admin, now).await?;
        tx.commit().await?;
        Ok(password)
    }

    /// Adds a bank under the union, a branch under a bank or a grid under a
    /// branch; returns the new organisation's id.
    pub async fn add_org(self, o: &NewOrg) -> Result<String, ServiceError> {
        let now = self.now();
        let mut tx = self.db.begin_write().await?;
        let (parent_id, parent_kind, parent_path) = org_by_code(&mut tx, &o.parent_code).await?;
        let kind = child_kind(&parent_kind)?;
        let (id, _) = insert_org(
            &mut tx,
            &self.config.audit_key,
            Some((&parent_id, &parent_path)),
            kind,
            &o.code,
            &o.name,
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Adds a member of staff with a one-time password.
    pub async fn add_staff(self, s: &NewStaff) -> Result<OneTimePassword, ServiceError> {
        let now = self.now();
        let mut tx = self.db.begin_write().await?;
        let (org_id, _, _) = org_by_code(&mut tx, &s.org_code).await?;
        let password = insert_staff(&mut tx, &self.config.audit_key, &org_id, s, now).await?;
        tx.commit().await?;
        Ok(password)
    }

    /// Lifts a lock left by wrong passwords.
    pub async fn unlock_staff(self, username: &str) -> Result<(), ServiceError> {
        let now = self.now();
        let mut tx = self.db.begin_write().await?;
        let r = sqlx::query(
            "UPDATE staff_users SET failed_attempts = 0, locked_until = NULL \
             WHERE username = $1 RETURNING id, org_id, locked_until",
        )
        .bind(username.trim())
        .fetch_optional(&mut *tx)
        .await?
        .ok_or(ServiceError::NotFound)?;
        audit::append(
            &mut tx,
            &self.config.audit_key,
            NewAuditEntry::system(now, "staff.unlocked", "staff_user", &sql::text(&r, "id")?)
                .org(sql::text(&r, "org_id")?),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Gives an account a new one-time password (and unlocks it): for a
    /// member of staff who forgot theirs. Their sessions end.
    pub async fn reset_staff_password(
        self,
        username: &str,
    ) -> Result<OneTimePassword, ServiceError> {
        let now = self.now();
        let password = OneTimePassword::generate()?;
        let hash = hash_password(password.reveal())?;
        let mut tx = self.db.begin_write().await?;
        let r = sqlx::query(
            "UPDATE staff_users SET password_hash = $2, must_change_password = 1, \
               failed_attempts = 0, locked_until = NULL \
             WHERE username = $1 RETURNING id, org_id",
        )
        .bind(username.trim())
        .bind(hash.as_str())
        .fetch_optional(&mut *tx)
        .await?
        .ok_or(ServiceError::NotFound)?;
        let id = sql::text(&r, "id")?;
        crate::session_store::end_sessions_of_staff(&mut tx, &id).await?;
        audit::append(
            &mut tx,
            &self.config.audit_key,
            NewAuditEntry::system(now, "staff.password_reset", "staff_user", &id)
                .org(sql::text(&r, "org_id")?),
        )
        .await?;
        tx.commit().await?;
        Ok(password)
    }
}

// ------------------------------------------------------------ second factor

impl Staff<'_> {
    /// Starts adding an authenticator app to the signed-in account: a new
    /// secret, kept aside until [`Staff::confirm_totp`](crate::staff::Staff::confirm_totp) proves the app
    /// holds it. Starting again replaces the secret kept aside.
    pub async fn begin_totp(self, s: &StaffActor) -> Result<totp::Enrolment, ServiceError> {
        // Replacing an enrolled app takes an operator's reset
        // ([`Staff::reset_staff_totp`](crate::staff::Staff::reset_staff_totp)): a stolen session alone must not
        // swap the factor for the thief's.
        if s.totp_enrolled {
            return Err(ServiceError::invalid(ErrorCode::TotpAlreadyEnrolled));
        }
        let secret = totp::new_secret();
        sqlx::query("UPDATE staff_users SET totp_pending_sealed = $2 WHERE id = $1")
            .bind(&s.user_id)
            .bind(self.config.pfi.seal(Field::TotpSecret, &secret))
            .execute(&self.db.pool)
            .await?;
        let issuer = format!("普惠 {}", s.org_name);
        Ok(totp::Enrolment {
            uri: totp::otpauth_uri(&issuer, &s.username, &secret),
            secret,
        })
    }

    /// Confirms the authenticator app with a code it shows: the secret kept
    /// aside becomes the account's second factor. A wrong code counts
    /// towards the account's lock.
    pub async fn confirm_totp(self, s: &StaffActor, code: &str) -> Result<(), ServiceError> {
        let row = sqlx::query("SELECT totp_pending_sealed FROM staff_users WHERE id = $1")
            .bind(&s.user_id)
            .fetch_one(&self.db.pool)
            .await?;
        let Some(sealed) = sql::opt_text(&row, "totp_pending_sealed")? else {
            return Err(ServiceError::invalid(ErrorCode::TotpNotStarted));
        };
        let secret = self.config.pfi.open(Field::TotpSecret, &sealed)?;
        let now = self.now();
        let Some(step) = totp::matching_step(&totp::secret_bytes(&secret)?, code, now) else {
            self.count_second_factor_failure(s, now).await?;
            return Err(ServiceError::SecondFactorInvalid);
        };
        let mut tx = self.db.begin_write().await?;
        let moved = sqlx::query(
            "UPDATE staff_users SET totp_sealed = totp_pending_sealed, totp_pending_sealed = NULL, \
               totp_last_step = $3 WHERE id = $1 AND totp_pending_sealed = $2",
        )
        .bind(&s.user_id)
        .bind(&sealed)
        .bind(step)
        .execute(&mut *tx)
        .await?;
        if moved.rows_affected() != 1 {
            // Started again in another window meanwhile: that secret counts.
            return Err(ServiceError::invalid(ErrorCode::TotpNotStarted));
        }
        audit::append(
            &mut tx,
            &self.config.audit_key,
            NewAuditEntry::staff(s, now, "staff.totp_enrolled", "staff_user", &s.user_id),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// A wrong second-factor code from a signed-in member of staff (while
    /// confirming an app): counted towards the lock and audited.
    async fn count_second_factor_failure(
        self,
        s: &StaffActor,
        now: i64,
    ) -> Result<(), ServiceError> {
        let lock_until = now + self.config.lockout_minutes * 60_000;
        let mut tx = self.db.begin_write().await?;
        let row = sqlx::query(
            "UPDATE staff_users SET failed_attempts = failed_attempts + 1, \
               locked_until = CASE WHEN failed_attempts + 1 >= $2 THEN $3 ELSE locked_until END \
             WHERE id = $1 RETURNING failed_attempts",
        )
        .bind(&s.user_id)
        .bind(self.config.lockout_threshold)
        .bind(lock_until)
        .fetch_one(&mut *tx)
        .await?;
        let attempts = sql::int(&row, "failed_attempts")?;
        audit::append(
            &mut tx,
            &self.config.audit_key,
            NewAuditEntry::staff(s, now, "staff.totp_failed", "staff_user", &s.user_id)
                .after(json!({ "failed_attempts": attempts })),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// An operator removes an account's second factor (a lost phone): the
    /// member of staff enrols a new app at their next sign-in (or may, when
    /// their roles do not require one). Audited as the system's act.
    pub async fn reset_staff_totp(self, username: &str) -> Result<(), ServiceError> {
        let now = self.now();
        let mut tx = self.db.begin_write().await?;
        let row = sqlx::query(
            "UPDATE staff_users SET totp_sealed = NULL, totp_pending_sealed = NULL, \
               totp_last_step = NULL WHERE username = $1 RETURNING id, org_id",
        )
        .bind(username.trim())
        .fetch_optional(&mut *tx)
        .await?
        .ok_or(ServiceError::NotFound)?;
        let id = sql::text(&row, "id")?;
        audit::append(
            &mut tx,
            &self.config.audit_key,
            NewAuditEntry::system(now, "staff.totp_reset", "staff_user", &id)
                .org(sql::text(&row, "org_id")?),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_one_time_password_passes_the_policy_and_never_prints() {
        for _ in 0..200 {
            let p = OneTimePassword::generate().expect("password");
            assert_eq!(p.reveal().chars().count(), 16);
            assert_eq!(
                domain::password::check_new_password(p.reveal(), "admin"),
                Ok(())
            );
            assert_eq!(format!("{p:?}"), "OneTimePassword(***)");
        }
    }

    #[test]
    fn codes_names_and_usernames_are_checked() {
        assert!(check_code("PGNSH-01").is_ok());
        assert!(check_code("").is_err());
        assert!(check_code("平谷").is_err());
        assert!(check_code(&"x".repeat(33)).is_err());
        assert!(check_username("li.ming").is_ok());
        assert!(check_username("Li").is_err());
        assert!(check_username("li ming").is_err());
        assert!(check_name("北京平谷农商银行").is_ok());
        assert!(check_name("  ").is_err());
        assert_eq!(child_kind("union").ok(), Some("bank"));
        assert!(child_kind("grid").is_err());
    }
}
