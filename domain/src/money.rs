//! Money: [`Fen`], an amount as an integer number of fen (0.01 yuan), with parsing
//! from what people type ("1,000.50") and formatting for display. Never a float.

use std::fmt;
use std::iter::Sum;
use std::ops::{Add, AddAssign, Sub, SubAssign};

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::error_code::ErrorCode;

/// An amount in fen (0.01 yuan). Never a float.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct Fen(pub i64);

/// Why a typed amount was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Error, Serialize, Deserialize)]
pub enum MoneyError {
    #[error("the amount is empty")]
    Empty,
    #[error("the amount is not a number")]
    Invalid,
    #[error("the amount has more than two decimals")]
    TooManyDecimals,
    #[error("the amount is negative")]
    Negative,
    #[error("the amount is too large")]
    Overflow,
}

impl MoneyError {
    /// Its [`ErrorCode`], which chooses the message the user reads.
    pub fn code(&self) -> ErrorCode {
        match self {
            MoneyError::Empty => ErrorCode::MoneyEmpty,
            MoneyError::Invalid => ErrorCode::MoneyInvalid,
            MoneyError::TooManyDecimals => ErrorCode::MoneyTooManyDecimals,
            MoneyError::Negative => ErrorCode::MoneyNegative,
            MoneyError::Overflow => ErrorCode::MoneyOverflow,
        }
    }
}

impl Fen {
    pub const ZERO: Fen = Fen(0);

    /// Whole yuan to fen: 3 -> `Fen(300)`. Saturates at the bounds of `i64` (a
    /// constant that large is a programming error; typed input goes through
    /// [`Fen::parse_yuan`], which reports overflow).
    pub const fn from_yuan(yuan: i64) -> Fen {
        Fen(yuan.saturating_mul(100))
    }

    pub const fn get(self) -> i64 {
        self.0
    }

    /// Parses a non-negative yuan amount as people type it: "300000", "300000.5",
    /// "300000.50", " 1,000.00 ". Spaces (including the ideographic space) and
    /// commas (including the full-width "，") are ignored anywhere. At most two
    /// decimals; no sign (a leading '-' is [`MoneyError::Negative`], '+' is invalid);
    /// a digit is required on both sides of a decimal point.
    pub fn parse_yuan(s: &str) -> Result<Fen, MoneyError> {
        let cleaned: String = s
            .chars()
            .filter(|c| !c.is_whitespace() && *c != ',' && *c != '，')
            .collect();
        if cleaned.is_empty() {
            return Err(MoneyError::Empty);
        }
        if cleaned.starts_with('-') {
            return Err(MoneyError::Negative);
        }
        let (whole, frac) = match cleaned.split_once('.') {
            Some((w, f)) => (w, Some(f)),
            None => (cleaned.as_str(), None),
        };
        let all_digits = |part: &str| !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit());
        if !all_digits(whole) {
            return Err(MoneyError::Invalid);
        }
        let frac_fen = match frac {
            None => 0,
            Some(f) => {
                if !all_digits(f) {
                    return Err(MoneyError::Invalid);
                }
                if f.len() > 2 {
                    return Err(MoneyError::TooManyDecimals);
                }
                let digits: i64 = f.bytes().fold(0, |acc, b| acc * 10 + i64::from(b - b'0'));
                if f.len() == 1 {
                    digits * 10
                } else {
                    digits
                }
            }
        };
        let mut yuan: i64 = 0;
        for b in whole.bytes() {
            yuan = yuan
                .checked_mul(10)
                .and_then(|v| v.checked_add(i64::from(b - b'0')))
                .ok_or(MoneyError::Overflow)?;
        }
        yuan.checked_mul(100)
            .and_then(|v| v.checked_add(frac_fen))
            .map(Fen)
            .ok_or(MoneyError::Overflow)
    }

    /// "300000.00", "-0.05": yuan with exactly two decimals, no grouping.
    pub fn to_yuan_string(self) -> String {
        let (sign, whole, frac) = self.parts();
        format!("{sign}{whole}.{frac:02}")
    }

    /// "300,000.00": yuan with thousands separators and two decimals.
    pub fn to_grouped_string(self) -> String {
        let (sign, whole, frac) = self.parts();
        let digits = whole.to_string();
        let mut grouped = String::with_capacity(digits.len() + digits.len() / 3);
        for (i, c) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i) % 3 == 0 {
                grouped.push(',');
            }
            grouped.push(c);
        }
        format!("{sign}{grouped}.{frac:02}")
    }

    pub fn checked_add(self, o: Fen) -> Option<Fen> {
        self.0.checked_add(o.0).map(Fen)
    }

    pub fn checked_sub(self, o: Fen) -> Option<Fen> {
        self.0.checked_sub(o.0).map(Fen)
    }

    /// Sign, whole yuan and fen part; `unsigned_abs` so that `i64::MIN` formats too.
    fn parts(self) -> (&'static str, u64, u64) {
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        (sign, abs / 100, abs % 100)
    }
}

impl fmt::Display for Fen {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_grouped_string())
    }
}

impl Add for Fen {
    type Output = Fen;
    fn add(self, o: Fen) -> Fen {
        Fen(self.0 + o.0)
    }
}

impl Sub for Fen {
    type Output = Fen;
    fn sub(self, o: Fen) -> Fen {
        Fen(self.0 - o.0)
    }
}

impl AddAssign for Fen {
    fn add_assign(&mut self, o: Fen) {
        self.0 += o.0;
    }
}

impl SubAssign for Fen {
    fn sub_assign(&mut self, o: Fen) {
        self.0 -= o.0;
    }
}

impl Sum for Fen {
    fn sum<I: Iterator<Item = Fen>>(iter: I) -> Fen {
        iter.fold(Fen::ZERO, Add::add)
    }
}

impl<'a> Sum<&'a Fen> for Fen {
    fn sum<I: Iterator<Item = &'a Fen>>(iter: I) -> Fen {
        iter.copied().sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use rstest::rstest;

    #[rstest]
    #[case("300000", 30_000_000)]
    #[case("300000.5", 30_000_050)]
    #[case("300000.50", 30_000_050)]
    #[case(" 1,000.00 ", 100_000)]
    #[case("1 000.01", 100_001)]
    #[case("1，000", 100_000)]
    #[case("0", 0)]
    #[case("0.05", 5)]
    #[case("007", 700)]
    #[case("92233720368547758.07", i64::MAX)]
    fn parses_yuan(#[case] input: &str, #[case] fen: i64) {
        assert_eq!(Fen::parse_yuan(input), Ok(Fen(fen)));
    }

    #[rstest]
    #[case("", MoneyError::Empty)]
    #[case("  , ", MoneyError::Empty)]
    #[case("1.234", MoneyError::TooManyDecimals)]
    #[case("-5", MoneyError::Negative)]
    #[case("+5", MoneyError::Invalid)]
    #[case("abc", MoneyError::Invalid)]
    #[case("1.2.3", MoneyError::Invalid)]
    #[case("1.", MoneyError::Invalid)]
    #[case(".5", MoneyError::Invalid)]
    #[case("1e5", MoneyError::Invalid)]
    #[case("１２", MoneyError::Invalid)]
    #[case("92233720368547758.08", MoneyError::Overflow)]
    #[case("99999999999999999999", MoneyError::Overflow)]
    fn refuses_bad_yuan(#[case] input: &str, #[case] err: MoneyError) {
        assert_eq!(Fen::parse_yuan(input), Err(err));
    }

    #[rstest]
    #[case(30_000_000, "300000.00", "300,000.00")]
    #[case(-5, "-0.05", "-0.05")]
    #[case(0, "0.00", "0.00")]
    #[case(123_456_789, "1234567.89", "1,234,567.89")]
    #[case(-100_000, "-1000.00", "-1,000.00")]
    #[case(99_999, "999.99", "999.99")]
    #[case(i64::MIN, "-92233720368547758.08", "-92,233,720,368,547,758.08")]
    fn formats(#[case] fen: i64, #[case] plain: &str, #[case] grouped: &str) {
        assert_eq!(Fen(fen).to_yuan_string(), plain);
        assert_eq!(Fen(fen).to_grouped_string(), grouped);
        assert_eq!(Fen(fen).to_string(), grouped);
    }

    #[test]
    fn arithmetic_and_constants() {
        assert_eq!(Fen::from_yuan(3), Fen(300));
        assert_eq!(Fen::from_yuan(3).get(), 300);
        assert_eq!(Fen::from_yuan(i64::MAX), Fen(i64::MAX));
        assert_eq!(Fen(5) + Fen(7), Fen(12));
        assert_eq!(Fen(5) - Fen(7), Fen(-2));
        let mut x = Fen(10);
        x += Fen(5);
        x -= Fen(1);
        assert_eq!(x, Fen(14));
        assert_eq!([Fen(1), Fen(2), Fen(3)].iter().sum::<Fen>(), Fen(6));
        assert_eq!(vec![Fen(1), Fen(2)].into_iter().sum::<Fen>(), Fen(3));
        assert_eq!(Fen(i64::MAX).checked_add(Fen(1)), None);
        assert_eq!(Fen(i64::MIN).checked_sub(Fen(1)), None);
        assert_eq!(Fen(1).checked_add(Fen(1)), Some(Fen(2)));
        assert_eq!(Fen::default(), Fen::ZERO);
    }

    #[test]
    fn serde_is_a_bare_integer() {
        assert_eq!(
            serde_json::to_string(&Fen(159_218)).ok().as_deref(),
            Some("159218")
        );
        assert_eq!(serde_json::from_str::<Fen>("-5").ok(), Some(Fen(-5)));
    }

    #[test]
    fn error_codes() {
        assert_eq!(MoneyError::Empty.code(), ErrorCode::MoneyEmpty);
        assert_eq!(MoneyError::Invalid.code(), ErrorCode::MoneyInvalid);
        assert_eq!(
            MoneyError::TooManyDecimals.code(),
            ErrorCode::MoneyTooManyDecimals
        );
        assert_eq!(MoneyError::Negative.code(), ErrorCode::MoneyNegative);
        assert_eq!(MoneyError::Overflow.code(), ErrorCode::MoneyOverflow);
    }

    proptest! {
        #[test]
        fn yuan_string_round_trips(fen in 0i64..=i64::MAX) {
            prop_assert_eq!(Fen::parse_yuan(&Fen(fen).to_yuan_string()), Ok(Fen(fen)));
            prop_assert_eq!(Fen::parse_yuan(&Fen(fen).to_grouped_string()), Ok(Fen(fen)));
        }
    }
}
