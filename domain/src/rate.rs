//! Interest rates: [`AnnualRate`], a nominal annual rate held as an integer number of
//! basis points, so that schedule arithmetic stays exact.

use std::fmt;

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::error_code::ErrorCode;

/// Annual interest rate in basis points: 490 = 4.90 % a year.
///
/// On the wire it is the bare number of basis points; deserialising checks the
/// range like [`AnnualRate::from_bp`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "u32", into = "u32")]
pub struct AnnualRate(u32);

/// Why a rate was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Error, Serialize, Deserialize)]
pub enum RateError {
    #[error("the rate is not a percentage with at most two decimals")]
    Invalid,
    #[error("the rate must be above 0 % and below 100 %")]
    OutOfRange,
}

impl RateError {
    /// Its [`ErrorCode`], which chooses the message the user reads.
    pub fn code(&self) -> ErrorCode {
        match self {
            RateError::Invalid => ErrorCode::RateInvalid,
            RateError::OutOfRange => ErrorCode::RateOutOfRange,
        }
    }
}

impl AnnualRate {
    /// Lowest accepted rate, 0.01 %.
    pub const MIN_BP: u32 = 1;
    /// Highest accepted rate, 99.99 %.
    pub const MAX_BP: u32 = 9999;

    /// 1..=9999 basis points; 0 % and 100 % or more are refused.
    pub fn from_bp(bp: u32) -> Result<AnnualRate, RateError> {
        if (Self::MIN_BP..=Self::MAX_BP).contains(&bp) {
            Ok(AnnualRate(bp))
        } else {
            Err(RateError::OutOfRange)
        }
    }

    /// "4.90", "4.9", "5" -> 490, 490, 500. Surrounding spaces and a trailing "%"
    /// are accepted; more than two decimals, signs and anything else are not.
    pub fn parse_percent(s: &str) -> Result<AnnualRate, RateError> {
        Self::from_bp(percent_points_bp(s)?)
    }

    pub const fn bp(self) -> u32 {
        self.0
    }

    /// "4.90": percent with exactly two decimals.
    pub fn to_percent_string(self) -> String {
        bp_percent_string(self.0)
    }
}

/// "0.50" -> 50: a number of percentage points (a rate, a discount or a
/// markup) in basis points, zero allowed. The same spelling as
/// [`AnnualRate::parse_percent`]: at most two decimals, an optional "%",
/// no sign; anything of 1,000 % or more is [`RateError::OutOfRange`].
pub fn percent_points_bp(s: &str) -> Result<u32, RateError> {
    let s = s.trim();
    let s = s.strip_suffix('%').unwrap_or(s).trim_end();
    let (whole, frac) = match s.split_once('.') {
        Some((w, f)) => (w, f),
        None => (s, ""),
    };
    let digits = |p: &str| p.bytes().all(|b| b.is_ascii_digit());
    if whole.is_empty() || !digits(whole) || !digits(frac) || (s.contains('.') && frac.is_empty()) {
        return Err(RateError::Invalid);
    }
    if frac.len() > 2 {
        return Err(RateError::Invalid);
    }
    // Anything with more than 3 whole digits is out of range anyway; refusing it
    // here keeps the arithmetic below from overflowing.
    let whole = whole.trim_start_matches('0');
    if whole.len() > 3 {
        return Err(RateError::OutOfRange);
    }
    let to_u32 = |p: &str| {
        p.bytes()
            .fold(0u32, |acc, b| acc * 10 + u32::from(b - b'0'))
    };
    let frac_bp = match frac.len() {
        0 => 0,
        1 => to_u32(frac) * 10,
        _ => to_u32(frac),
    };
    Ok(to_u32(whole) * 100 + frac_bp)
}

/// 50 -> "0.50": basis points as percent with exactly two decimals.
pub fn bp_percent_string(bp: u32) -> String {
    format!("{}.{:02}", bp / 100, bp % 100)
}

impl fmt::Display for AnnualRate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}%", self.to_percent_string())
    }
}

impl TryFrom<u32> for AnnualRate {
    type Error = RateError;
    fn try_from(bp: u32) -> Result<Self, Self::Error> {
        AnnualRate::from_bp(bp)
    }
}

impl From<AnnualRate> for u32 {
    fn from(r: AnnualRate) -> u32 {
        r.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use rstest::rstest;

    #[rstest]
    #[case("0", Ok(0))]
    #[case("0.5", Ok(50))]
    #[case("1.25%", Ok(125))]
    #[case("-0.5", Err(RateError::Invalid))]
    #[case("1000", Err(RateError::OutOfRange))]
    fn percentage_points(#[case] s: &str, #[case] bp: Result<u32, RateError>) {
        assert_eq!(percent_points_bp(s), bp);
        if let Ok(v) = bp {
            assert_eq!(percent_points_bp(&bp_percent_string(v)), Ok(v));
        }
    }

    #[rstest]
    #[case("4.90", 490)]
    #[case("4.9", 490)]
    #[case("5", 500)]
    #[case(" 4.35 ", 435)]
    #[case("4.35%", 435)]
    #[case("0.01", 1)]
    #[case("99.99", 9999)]
    #[case("012.5", 1250)]
    fn parses_percent(#[case] input: &str, #[case] bp: u32) {
        assert_eq!(AnnualRate::parse_percent(input).map(AnnualRate::bp), Ok(bp));
    }

    #[rstest]
    #[case("", RateError::Invalid)]
    #[case("4.905", RateError::Invalid)]
    #[case("-4.9", RateError::Invalid)]
    #[case("+4.9", RateError::Invalid)]
    #[case("4.", RateError::Invalid)]
    #[case(".5", RateError::Invalid)]
    #[case("abc", RateError::Invalid)]
    #[case("4.9.1", RateError::Invalid)]
    #[case("0", RateError::OutOfRange)]
    #[case("0.00", RateError::OutOfRange)]
    #[case("100", RateError::OutOfRange)]
    #[case("99999999999999", RateError::OutOfRange)]
    fn refuses_bad_percent(#[case] input: &str, #[case] err: RateError) {
        assert_eq!(AnnualRate::parse_percent(input), Err(err));
    }

    #[rstest]
    #[case(0, Err(RateError::OutOfRange))]
    #[case(1, Ok(1))]
    #[case(9999, Ok(9999))]
    #[case(10000, Err(RateError::OutOfRange))]
    fn from_bp_range(#[case] bp: u32, #[case] expected: Result<u32, RateError>) {
        assert_eq!(AnnualRate::from_bp(bp).map(AnnualRate::bp), expected);
    }

    #[test]
    fn formats_and_serialises() {
        let r = AnnualRate::from_bp(490);
        assert_eq!(r.map(AnnualRate::to_percent_string).as_deref(), Ok("4.90"));
        assert_eq!(r.map(|r| r.to_string()).as_deref(), Ok("4.90%"));
        assert_eq!(
            r.ok()
                .and_then(|r| serde_json::to_string(&r).ok())
                .as_deref(),
            Some("490")
        );
        assert_eq!(
            serde_json::from_str::<AnnualRate>("435").ok(),
            AnnualRate::from_bp(435).ok()
        );
        assert!(serde_json::from_str::<AnnualRate>("0").is_err());
        assert!(serde_json::from_str::<AnnualRate>("10000").is_err());
    }

    #[test]
    fn error_codes() {
        assert_eq!(RateError::Invalid.code(), ErrorCode::RateInvalid);
        assert_eq!(RateError::OutOfRange.code(), ErrorCode::RateOutOfRange);
    }

    proptest! {
        #[test]
        fn percent_string_round_trips(bp in 1u32..=9999) {
            let r = AnnualRate::from_bp(bp)?;
            prop_assert_eq!(AnnualRate::parse_percent(&r.to_percent_string()), Ok(r));
        }
    }
}
