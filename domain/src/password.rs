//! Staff password policy: what a new password must be, checked the same way
//! in the browser (as the user types) and on the server (which decides).
//!
//! The rules follow what Chinese banks' security baselines ask of staff
//! accounts (等保二级/三级 practice): at least ten characters, letters and
//! digits both, not built around the username, not one of the passwords
//! every guessing list starts with. Length is capped so that hashing cost
//! stays bounded.

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::error_code::ErrorCode;

/// Fewest characters in a staff password.
pub const MIN_PASSWORD_CHARS: usize = 10;
/// Most bytes accepted (argon2 cost stays bounded).
pub const MAX_PASSWORD_BYTES: usize = 256;

/// Why a new password is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error, Serialize, Deserialize)]
pub enum PasswordError {
    #[error("shorter than {MIN_PASSWORD_CHARS} characters")]
    TooShort,
    #[error("longer than {MAX_PASSWORD_BYTES} bytes")]
    TooLong,
    #[error("needs both letters and digits")]
    TooSimple,
    #[error("contains the username")]
    ContainsUsername,
    #[error("one of the most common passwords")]
    Common,
}

impl PasswordError {
    /// Its [`ErrorCode`], which chooses the message the user reads.
    pub fn code(&self) -> ErrorCode {
        match self {
            Self::TooShort => ErrorCode::PasswordTooShort,
            Self::TooLong => ErrorCode::PasswordTooLong,
            Self::TooSimple => ErrorCode::PasswordTooSimple,
            Self::ContainsUsername => ErrorCode::PasswordContainsUsername,
            Self::Common => ErrorCode::PasswordCommon,
        }
    }
}

/// Stems of the passwords guessing lists try first; a password that is one
/// of them with digits or symbols around it is refused.
const COMMON_STEMS: [&str; 16] = [
    "password",
    "passw0rd",
    "qwerty",
    "qwertyuiop",
    "asdfgh",
    "zxcvbn",
    "abc",
    "abcd",
    "admin",
    "welcome",
    "iloveyou",
    "woaini",
    "puhui",
    "bank",
    "letmein",
    "huawei",
];

/// Checks a new staff password against the policy.
pub fn check_new_password(password: &str, username: &str) -> Result<(), PasswordError> {
    if password.len() > MAX_PASSWORD_BYTES {
        return Err(PasswordError::TooLong);
    }
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(PasswordError::TooShort);
    }
    let letters = password.chars().any(char::is_alphabetic);
    let digits = password.chars().any(|c| c.is_ascii_digit());
    if !letters || !digits {
        return Err(PasswordError::TooSimple);
    }
    let lower = password.to_lowercase();
    let user = username.trim().to_lowercase();
    if user.chars().count() >= 3 && lower.contains(&user) {
        return Err(PasswordError::ContainsUsername);
    }
    let stem: String = lower.chars().filter(|c| c.is_alphabetic()).collect();
    if COMMON_STEMS.contains(&stem.as_str()) {
        return Err(PasswordError::Common);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    #[rstest]
    #[case("Lm7#kq2Wz9", Ok(()))]
    #[case("稻香村2026年春耕贷款", Ok(()))]
    #[case("short1A", Err(PasswordError::TooShort))]
    #[case("onlyletterslong", Err(PasswordError::TooSimple))]
    #[case("1234567890123", Err(PasswordError::TooSimple))]
    #[case("officer1-2026x", Err(PasswordError::ContainsUsername))]
    #[case("OFFICER1-2026x", Err(PasswordError::ContainsUsername))]
    #[case("Password2026!", Err(PasswordError::Common))]
    #[case("woaini1314520", Err(PasswordError::Common))]
    #[case("admin@2026123", Err(PasswordError::Common))]
    fn the_policy(#[case] password: &str, #[case] expected: Result<(), PasswordError>) {
        assert_eq!(check_new_password(password, "officer1"), expected);
    }

    #[test]
    fn length_is_capped_in_bytes_before_anything_else() {
        let long = format!("a1{}", "x".repeat(MAX_PASSWORD_BYTES));
        assert_eq!(check_new_password(&long, "u"), Err(PasswordError::TooLong));
        // Ten Chinese characters are ten characters, not thirty bytes' worth.
        assert_eq!(check_new_password("春耕贷款稻香村农户1", "u"), Ok(()));
    }
}
