//! Failed sign-in attempts counted by key (table `login_throttle`): a
//! username no account has, so that it locks after the same number of
//! failures as a real account and gives the same answers (nobody learns
//! which usernames exist), and a source address, so that one address
//! cannot try password after password across many accounts.
//!
//! Counting is one guarded upsert per failure: parallel failures each count,
//! and a key locked stays locked until its time is up.

use sha2::{Digest, Sha256};

use crate::error::ServiceError;
use crate::sql;
use crate::Db;

/// The key for a username no account has: a peppered hash, never the text
/// (what was typed as a name is sometimes a password).
pub(crate) fn unknown_user_key(pepper: &str, username: &str) -> String {
    let mut d = Sha256::new();
    d.update(pepper.as_bytes());
    d.update(b"\nlogin-name\n");
    d.update(username.trim().to_lowercase().as_bytes());
    format!("user#{}", hex::encode(d.finalize()))
}

/// The key for a source address.
pub(crate) fn ip_key(ip: &str) -> String {
    format!("ip:{ip}")
}

/// When the key stays locked until, if it is locked now.
pub(crate) async fn locked_until(
    db: &Db,
    key: &str,
    now: i64,
) -> Result<Option<i64>, ServiceError> {
    let r =
        sqlx::query("SELECT locked_until FROM login_throttle WHERE key = $1 AND locked_until > $2")
            .bind(key)
            .bind(now)
            .fetch_optional(&db.pool)
            .await?;
    r.map(|r| sql::int(&r, "locked_until")).transpose()
}

/// Counts one failure against `key` within a window of `window_ms`; the
/// key locks for `window_ms` when the count reaches `threshold`. Returns
/// the lock's end when the key is locked after this failure.
pub(crate) async fn count_failure(
    db: &Db,
    key: &str,
    threshold: i64,
    window_ms: i64,
    now: i64,
) -> Result<Option<i64>, ServiceError> {
    // The count restarts when a lock has run out or the last failure is
    // older than the window. Every SET expression reads the old row.
    let fresh = "(login_throttle.locked_until IS NOT NULL AND login_throttle.locked_until <= $2) \
                 OR login_throttle.updated_at < $2 - $4";
    let count = format!("CASE WHEN {fresh} THEN 1 ELSE login_throttle.failures + 1 END");
    let sql_text = format!(
        "INSERT INTO login_throttle (key, failures, locked_until, updated_at) \
         VALUES ($1, 1, CASE WHEN 1 >= $3 THEN $2 + $4 ELSE NULL END, $2) \
         ON CONFLICT (key) DO UPDATE SET \
           failures = {count}, \
           locked_until = CASE \
             WHEN login_throttle.locked_until > $2 THEN login_throttle.locked_until \
             WHEN {count} >= $3 THEN $2 + $4 \
             ELSE NULL END, \
           updated_at = $2 \
         RETURNING locked_until"
    );
    let r = sqlx::query(sqlx::AssertSqlSafe(sql_text))
        .bind(key)
        .bind(now)
        .bind(threshold)
        .bind(window_ms)
        .fetch_one(&db.pool)
        .await?;
    Ok(sql::opt_int(&r, "locked_until")?.filter(|u| *u > now))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_short_and_never_the_text_typed() {
        assert_eq!(
            unknown_user_key("p", " Ghost "),
            unknown_user_key("p", "ghost")
        );
        assert_ne!(
            unknown_user_key("p", "ghost"),
            unknown_user_key("q", "ghost")
        );
        let long = unknown_user_key("p", &"x".repeat(10_000));
        assert!(long.starts_with("user#") && long.len() == 5 + 64);
        assert!(!unknown_user_key("p", "Lm7#kq2Wz9x").contains("Lm7"));
        assert_eq!(ip_key("203.0.113.7"), "ip:203.0.113.7");
    }
}
