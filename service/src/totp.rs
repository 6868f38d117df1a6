//! The second factor of staff sign-in: time-based one-time codes (TOTP,
//! RFC 6238: HMAC-SHA1, 30-second steps, six digits), the kind every
//! authenticator app (Google/Microsoft Authenticator, 腾讯身份验证器, 阿里云
//! App) reads from a QR code. Required for the roles
//! `ServiceConfig::totp_roles` names (administrators and approvers
//! in production), open to everyone else.
//!
//! The shared secret is stored sealed like personal information (the
//! `pfi` module's field `TotpSecret`). Enrolment is in `staff`. A code is accepted once: the step it
//! belongs to is written, guarded, and a later sign-in must use a later step,
//! so a code seen over a shoulder or in a proxy log cannot be replayed.
//! Wrong codes count towards the account's lock like wrong passwords.

use data_encoding::BASE32_NOPAD;
use hmac::{Hmac, Mac};
use sha1::Sha1;

use crate::db::Db;
use crate::error::ServiceError;

/// Seconds per step.
pub const STEP_SECS: i64 = 30;
/// Steps either side of now that are still accepted (clock drift of the
/// phone, and the time it takes to type).
const DRIFT_STEPS: i64 = 1;
/// Bytes of a shared secret (160 bits, as RFC 4226 recommends).
const SECRET_BYTES: usize = 20;

/// The code of `secret` at time step `step`.
pub fn code_at(secret: &[u8], step: i64) -> String {
    let Ok(mut mac) = <Hmac<Sha1> as Mac>::new_from_slice(secret) else {
        // HMAC takes a key of any length.
        return String::new();
    };
    mac.update(&step.to_be_bytes());
    let digest = mac.finalize().into_bytes();
    let offset = usize::from(digest[19] & 0x0f);
    let bin = (u32::from(digest[offset]) & 0x7f) << 24
        | u32::from(digest[offset + 1]) << 16
        | u32::from(digest[offset + 2]) << 8
        | u32::from(digest[offset + 3]);
    format!("{:06}", bin % 1_000_000)
}

/// The step of a moment (milliseconds since the epoch).
pub fn step_of(now_ms: i64) -> i64 {
    now_ms.div_euclid(STEP_SECS * 1000)
}

/// The step whose code `code` is, within the drift around `now_ms`; `None`
/// when it is none of them. Compares every candidate in full, whatever
/// matched, so the time taken says nothing about which step was close.
pub fn matching_step(secret: &[u8], code: &str, now_ms: i64) -> Option<i64> {
    let code = code.trim();
    if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let now = step_of(now_ms);
    let mut found = None;
    for step in now - DRIFT_STEPS..=now + DRIFT_STEPS {
        let expected = code_at(secret, step);
        let same = expected
            .bytes()
            .zip(code.bytes())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0;
        if same && found.is_none() {
            found = Some(step);
        }
    }
    found
}

/// The code an authenticator app holding `secret` (base32) shows at
/// `now_ms`; `None` for a malformed secret. For tools and tests.
pub fn code_now(secret: &str, now_ms: i64) -> Option<String> {
    let bytes = BASE32_NOPAD.decode(secret.as_bytes()).ok()?;
    Some(code_at(&bytes, step_of(now_ms)))
}

/// A new random shared secret, as the base32 text authenticator apps take.
pub fn new_secret() -> String {
    let bytes: [u8; SECRET_BYTES] = rand::random();
    BASE32_NOPAD.encode(&bytes)
}

pub(crate) fn secret_bytes(base32: &str) -> Result<Vec<u8>, ServiceError> {
    BASE32_NOPAD
        .decode(base32.as_bytes())
        .map_err(|e| ServiceError::internal("totp secret", e))
}

/// The `otpauth://` address an authenticator app reads from the QR code.
pub fn otpauth_uri(issuer: &str, account: &str, secret: &str) -> String {
    let enc = |s: &str| {
        s.bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                    (b as char).to_string()
                }
                _ => format!("%{b:02X}"),
            })
            .collect::<String>()
    };
    format!(
        "otpauth://totp/{}:{}?secret={secret}&issuer={}&algorithm=SHA1&digits=6&period={STEP_SECS}",
        enc(issuer),
        enc(account),
        enc(issuer)
    )
}

/// What a member of staff needs to add their account to an authenticator
/// app: the address (for the QR code) and the secret (to type it instead).
#[derive(Debug, Clone)]
pub struct Enrolment {
    pub secret: String,
    pub uri: String,
}

/// An account's second factor, as stored.
pub(crate) struct Stored {
    pub secret: String,
    pub last_step: Option<i64>,
}

/// Takes a code as this account's second factor: right, and of a later
/// step than any taken before. The step is written guarded on the last one,
/// so two sign-ins racing with the same code take it once.
pub(crate) async fn take_code(
    db: &Db,
    user_id: &str,
    stored: &Stored,
    code: &str,
    now_ms: i64,
) -> Result<bool, ServiceError> {
    let secret = secret_bytes(&stored.secret)?;
    let Some(step) = matching_step(&secret, code, now_ms) else {
        return Ok(false);
    };
    if stored.last_step.is_some_and(|last| step <= last) {
        return Ok(false);
    }
    let taken = sqlx::query(
        "UPDATE staff_users SET totp_last_step = $2 \
         WHERE id = $1 AND (totp_last_step IS NULL OR totp_last_step < $2)",
    )
    .bind(user_id)
    .bind(step)
    .execute(&db.pool)
    .await?;
    Ok(taken.rows_affected() == 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6238, appendix B, the SHA-1 rows (their 8 digits' last 6).
    #[test]
    fn codes_are_those_of_the_rfc() {
        let secret = b"12345678901234567890";
        for (time, code) in [
            (59_i64, "287082"),
            (1_111_111_109, "081804"),
            (1_111_111_111, "050471"),
            (1_234_567_890, "005924"),
            (2_000_000_000, "279037"),
            (20_000_000_000, "353130"),
        ] {
            assert_eq!(code_at(secret, step_of(time * 1000)), code, "at {time}");
        }
    }

    #[test]
    fn a_code_matches_its_step_and_the_next_but_no_further() {
        let secret = b"12345678901234567890";
        let now = 1_234_567_890_000;
        let code = code_at(secret, step_of(now));
        assert_eq!(matching_step(secret, &code, now), Some(step_of(now)));
        assert_eq!(
            matching_step(secret, &code, now + 30_000),
            Some(step_of(now))
        );
        assert_eq!(matching_step(secret, &code, now + 61_000), None);
        assert_eq!(matching_step(secret, "12345", now), None);
        assert_eq!(matching_step(secret, "abcdef", now), None);
        assert_eq!(
            matching_step(secret, &format!(" {code} "), now),
            Some(step_of(now))
        );
    }

    #[test]
    fn a_secret_is_160_random_bits_in_base32() {
        let a = new_secret();
        assert_eq!(a.len(), 32);
        assert_eq!(secret_bytes(&a).unwrap().len(), 20);
        assert_ne!(a, new_secret());
        let uri = otpauth_uri("普惠 长白农商行", "admin", &a);
        assert!(uri.starts_with("otpauth://totp/%E6%99%AE"));
        assert!(uri.contains(&format!("secret={a}&")));
        assert!(uri.contains(":admin?"));
    }
}
