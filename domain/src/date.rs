//! Civil dates: [`Date`], a calendar day with no time zone, years 0001 to 9999,
//! with month arithmetic for due dates and conversion from epoch milliseconds.
//!
//! The arithmetic is Howard Hinnant's `days_from_civil` / `civil_from_days`
//! (proleptic Gregorian calendar), so the crate needs no date dependency.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use thiserror::Error;

use crate::error_code::ErrorCode;

/// China Standard Time, UTC+8, for [`Date::from_epoch_millis`].
pub const CHINA_UTC_OFFSET_MINUTES: i32 = 480;

const MILLIS_PER_DAY: i128 = 86_400_000;

/// A civil date with no time zone, between 0001-01-01 and 9999-12-31.
///
/// Fields are in year, month, day order so the derived `Ord` is chronological.
/// Serialised as a "YYYY-MM-DD" string.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date {
    year: i32,
    month: u8,
    day: u8,
}

/// Why a date was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Error, Serialize, Deserialize)]
pub enum DateError {
    #[error("not a valid date (expected YYYY-MM-DD)")]
    Invalid,
    #[error("the date is outside the years 0001 to 9999")]
    OutOfRange,
}

impl DateError {
    /// Its [`ErrorCode`], which chooses the message the user reads.
    pub fn code(&self) -> ErrorCode {
        match self {
            DateError::Invalid => ErrorCode::DateInvalid,
            DateError::OutOfRange => ErrorCode::DateOutOfRange,
        }
    }
}

const fn is_leap(year: i32) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

const fn days_in_month(year: i32, month: u8) -> u8 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Hinnant's `days_from_civil`: days since 1970-01-01 of a valid civil date.
fn days_from_civil(year: i32, month: u8, day: u8) -> i64 {
    let (m, d) = (i64::from(month), i64::from(day));
    let y = i64::from(year) - i64::from(m <= 2);
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400); // [0, 399]
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d - 1; // [0, 365]
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy; // [0, 146096]
    era * 146_097 + doe - 719_468
}

/// Hinnant's `civil_from_days`, for day numbers inside [`Date::MIN`]..=[`Date::MAX`]
/// (callers clamp first, so the year always fits in `i32`).
fn civil_from_days(days: i64) -> Date {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097); // [0, 146096]
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365; // [0, 399]
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100); // [0, 365]
    let mp = (5 * doy + 2) / 153; // [0, 11]
    let day = doy - (153 * mp + 2) / 5 + 1; // [1, 31]
    let month = if mp < 10 { mp + 3 } else { mp - 9 }; // [1, 12]
    let year = yoe + era * 400 + i64::from(month <= 2);
    // The casts cannot truncate: month and day are in the ranges noted above and
    // the year is within 1..=9999 because the day number was clamped.
    Date {
        year: year as i32,
        month: month as u8,
        day: day as u8,
    }
}

impl Date {
    /// The earliest representable date, 0001-01-01.
    pub const MIN: Date = Date {
        year: 1,
        month: 1,
        day: 1,
    };
    /// The latest representable date, 9999-12-31.
    pub const MAX: Date = Date {
        year: 9999,
        month: 12,
        day: 31,
    };
    /// 1970-01-01, day 0 of [`Date::days_since_epoch`].
    pub const EPOCH: Date = Date {
        year: 1970,
        month: 1,
        day: 1,
    };

    /// Validates month, day (leap years included) and the year range 1..=9999.
    pub fn new(year: i32, month: u8, day: u8) -> Result<Date, DateError> {
        if !(1..=12).contains(&month) || day == 0 || day > days_in_month(year, month) {
            return Err(DateError::Invalid);
        }
        if !(Self::MIN.year..=Self::MAX.year).contains(&year) {
            return Err(DateError::OutOfRange);
        }
        Ok(Date { year, month, day })
    }

    /// Exactly "YYYY-MM-DD" (ten characters, zero-padded); nothing else.
    pub fn parse(s: &str) -> Result<Date, DateError> {
        let b = s.as_bytes();
        let shape_ok = b.len() == 10
            && b[4] == b'-'
            && b[7] == b'-'
            && b.iter()
                .enumerate()
                .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit());
        if !shape_ok {
            return Err(DateError::Invalid);
        }
        let num = |r: std::ops::Range<usize>| {
            b[r].iter()
                .fold(0i32, |acc, c| acc * 10 + i32::from(c - b'0'))
        };
        let (month, day) = (num(5..7), num(8..10));
        // Both are two digits, so at most 99: the conversions cannot fail, but an
        // out-of-range value is simply an invalid date.
        let month = u8::try_from(month).map_err(|_| DateError::Invalid)?;
        let day = u8::try_from(day).map_err(|_| DateError::Invalid)?;
        Date::new(num(0..4), month, day)
    }

    pub fn year(self) -> i32 {
        self.year
    }

    pub fn month(self) -> u8 {
        self.month
    }

    pub fn day(self) -> u8 {
        self.day
    }

    /// Same day n months later, clamped to the month's last day (Jan 31 + 1 = Feb 28/29).
    /// Saturates at [`Date::MAX`]; see [`Date::checked_add_months`].
    pub fn add_months(self, n: u32) -> Date {
        self.checked_add_months(n).unwrap_or(Self::MAX)
    }

    /// Like [`Date::add_months`], but `None` past 9999-12-31.
    pub fn checked_add_months(self, n: u32) -> Option<Date> {
        let index = i64::from(self.year) * 12 + i64::from(self.month) - 1 + i64::from(n);
        let year = i32::try_from(index.div_euclid(12)).ok()?;
        if year > Self::MAX.year {
            return None;
        }
        // rem_euclid(12) is in 0..12, so the month fits in u8.
        let month = u8::try_from(index.rem_euclid(12) + 1).ok()?;
        let day = self.day.min(days_in_month(year, month));
        Some(Date { year, month, day })
    }

    /// n days later (n may be negative). Saturates at [`Date::MIN`] / [`Date::MAX`];
    /// see [`Date::checked_add_days`].
    pub fn add_days(self, n: i64) -> Date {
        Self::from_days_since_epoch(self.days_since_epoch().saturating_add(n))
    }

    /// Like [`Date::add_days`], but `None` outside 0001-01-01..=9999-12-31.
    pub fn checked_add_days(self, n: i64) -> Option<Date> {
        Self::checked_from_days_since_epoch(self.days_since_epoch().checked_add(n)?)
    }

    /// Days since 1970-01-01 (which is day 0); negative before it.
    pub fn days_since_epoch(self) -> i64 {
        days_from_civil(self.year, self.month, self.day)
    }

    /// The date `d` days after 1970-01-01, saturating at [`Date::MIN`] / [`Date::MAX`].
    pub fn from_days_since_epoch(d: i64) -> Date {
        let lo = Self::MIN.days_since_epoch();
        let hi = Self::MAX.days_since_epoch();
        civil_from_days(d.clamp(lo, hi))
    }

    /// Like [`Date::from_days_since_epoch`], but `None` outside the representable range.
    pub fn checked_from_days_since_epoch(d: i64) -> Option<Date> {
        let range = Self::MIN.days_since_epoch()..=Self::MAX.days_since_epoch();
        range.contains(&d).then(|| civil_from_days(d))
    }

    /// The local calendar date of a Unix timestamp in milliseconds, at a fixed UTC
    /// offset in minutes (China: [`CHINA_UTC_OFFSET_MINUTES`] = 480). Saturates at
    /// the representable range.
    pub fn from_epoch_millis(ms: i64, utc_offset_minutes: i32) -> Date {
        let local = i128::from(ms) + i128::from(utc_offset_minutes) * 60_000;
        let days = local.div_euclid(MILLIS_PER_DAY);
        // |days| < 2^64 / 86_400_000, well inside i64.
        let days = i64::try_from(days).unwrap_or(if days < 0 { i64::MIN } else { i64::MAX });
        Self::from_days_since_epoch(days)
    }

    /// Days from `self` to `later`: positive when `later` is after `self`.
    pub fn days_until(self, later: Date) -> i64 {
        later.days_since_epoch() - self.days_since_epoch()
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

impl FromStr for Date {
    type Err = DateError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Date::parse(s)
    }
}

impl Serialize for Date {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Date {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct DateVisitor;
        impl serde::de::Visitor<'_> for DateVisitor {
            type Value = Date;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a date as \"YYYY-MM-DD\"")
            }
            fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<Date, E> {
                Date::parse(s).map_err(E::custom)
            }
        }
        deserializer.deserialize_str(DateVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use rstest::rstest;

    fn d(y: i32, m: u8, day: u8) -> Date {
        Date {
            year: y,
            month: m,
            day,
        }
    }

    #[rstest]
    #[case(2024, 2, 29, Ok(d(2024, 2, 29)))]
    #[case(2000, 2, 29, Ok(d(2000, 2, 29)))]
    #[case(1900, 2, 29, Err(DateError::Invalid))]
    #[case(2025, 2, 29, Err(DateError::Invalid))]
    #[case(2025, 4, 31, Err(DateError::Invalid))]
    #[case(2025, 13, 1, Err(DateError::Invalid))]
    #[case(2025, 0, 1, Err(DateError::Invalid))]
    #[case(2025, 1, 0, Err(DateError::Invalid))]
    #[case(0, 1, 1, Err(DateError::OutOfRange))]
    #[case(10000, 1, 1, Err(DateError::OutOfRange))]
    #[case(1, 1, 1, Ok(Date::MIN))]
    #[case(9999, 12, 31, Ok(Date::MAX))]
    fn new_validates(
        #[case] y: i32,
        #[case] m: u8,
        #[case] day: u8,
        #[case] e: Result<Date, DateError>,
    ) {
        assert_eq!(Date::new(y, m, day), e);
    }

    #[rstest]
    #[case("2025-01-15", Ok(d(2025, 1, 15)))]
    #[case("2024-02-29", Ok(d(2024, 2, 29)))]
    #[case("0001-01-01", Ok(Date::MIN))]
    #[case("2025-02-30", Err(DateError::Invalid))]
    #[case("2025-1-15", Err(DateError::Invalid))]
    #[case("2025/01/15", Err(DateError::Invalid))]
    #[case("2025-01-15T00:00", Err(DateError::Invalid))]
    #[case(" 2025-01-15", Err(DateError::Invalid))]
    #[case("+025-01-15", Err(DateError::Invalid))]
    #[case("２０２５-01-15", Err(DateError::Invalid))]
    #[case("", Err(DateError::Invalid))]
    #[case("0000-01-01", Err(DateError::OutOfRange))]
    fn parse_is_strict(#[case] s: &str, #[case] e: Result<Date, DateError>) {
        assert_eq!(Date::parse(s), e);
        assert_eq!(s.parse::<Date>(), e);
    }

    #[rstest]
    #[case(d(2025, 1, 31), 1, d(2025, 2, 28))]
    #[case(d(2024, 1, 31), 1, d(2024, 2, 29))]
    #[case(d(2025, 1, 31), 2, d(2025, 3, 31))]
    #[case(d(2025, 3, 31), 1, d(2025, 4, 30))]
    #[case(d(2025, 1, 15), 0, d(2025, 1, 15))]
    #[case(d(2025, 11, 15), 2, d(2026, 1, 15))]
    #[case(d(2025, 1, 15), 360, d(2055, 1, 15))]
    #[case(d(2024, 2, 29), 12, d(2025, 2, 28))]
    #[case(d(2024, 2, 29), 48, d(2028, 2, 29))]
    #[case(d(9999, 12, 1), 1, Date::MAX)]
    #[case(d(2025, 1, 1), u32::MAX, Date::MAX)]
    fn add_months_clamps(#[case] from: Date, #[case] n: u32, #[case] to: Date) {
        assert_eq!(from.add_months(n), to);
    }

    #[test]
    fn checked_arithmetic_reports_overflow() {
        assert_eq!(d(9999, 12, 1).checked_add_months(1), None);
        assert_eq!(d(9999, 11, 30).checked_add_months(1), Some(d(9999, 12, 30)));
        assert_eq!(Date::MAX.checked_add_days(1), None);
        assert_eq!(Date::MIN.checked_add_days(-1), None);
        assert_eq!(Date::MIN.checked_add_days(i64::MIN), None);
        assert_eq!(Date::MAX.add_days(i64::MAX), Date::MAX);
        assert_eq!(Date::MIN.add_days(i64::MIN), Date::MIN);
        assert_eq!(Date::checked_from_days_since_epoch(i64::MAX), None);
        assert_eq!(Date::from_days_since_epoch(i64::MIN), Date::MIN);
    }

    #[rstest]
    #[case(d(1970, 1, 1), 0)]
    #[case(d(1970, 1, 2), 1)]
    #[case(d(1969, 12, 31), -1)]
    #[case(d(2000, 3, 1), 11_017)]
    #[case(d(2025, 1, 15), 20_103)]
    #[case(d(1, 1, 1), -719_162)]
    #[case(d(9999, 12, 31), 2_932_896)]
    fn days_since_epoch_known_values(#[case] date: Date, #[case] days: i64) {
        assert_eq!(date.days_since_epoch(), days);
        assert_eq!(Date::from_days_since_epoch(days), date);
    }

    #[rstest]
    // 2025-01-14T16:00:00Z is midnight of the 15th in Beijing.
    #[case(1_736_870_400_000, CHINA_UTC_OFFSET_MINUTES, d(2025, 1, 15))]
    #[case(1_736_870_399_999, CHINA_UTC_OFFSET_MINUTES, d(2025, 1, 14))]
    #[case(1_736_870_400_000, 0, d(2025, 1, 14))]
    #[case(0, 0, d(1970, 1, 1))]
    #[case(-1, 0, d(1969, 12, 31))]
    #[case(-1, CHINA_UTC_OFFSET_MINUTES, d(1970, 1, 1))]
    #[case(i64::MAX, CHINA_UTC_OFFSET_MINUTES, Date::MAX)]
    #[case(i64::MIN, i32::MIN, Date::MIN)]
    fn from_epoch_millis_uses_local_day(#[case] ms: i64, #[case] offset: i32, #[case] e: Date) {
        assert_eq!(Date::from_epoch_millis(ms, offset), e);
    }

    #[test]
    fn days_until_and_add_days() {
        assert_eq!(d(2025, 1, 15).days_until(d(2025, 2, 15)), 31);
        assert_eq!(d(2025, 2, 15).days_until(d(2025, 1, 15)), -31);
        assert_eq!(d(2024, 1, 1).days_until(d(2025, 1, 1)), 366);
        assert_eq!(d(2024, 2, 28).add_days(1), d(2024, 2, 29));
        assert_eq!(d(2025, 2, 28).add_days(1), d(2025, 3, 1));
        assert_eq!(d(2025, 1, 1).add_days(-1), d(2024, 12, 31));
    }

    #[test]
    fn display_and_serde() {
        assert_eq!(d(2025, 1, 5).to_string(), "2025-01-05");
        assert_eq!(Date::MIN.to_string(), "0001-01-01");
        assert_eq!(
            serde_json::to_string(&d(2025, 1, 5)).ok().as_deref(),
            Some("\"2025-01-05\"")
        );
        assert_eq!(
            serde_json::from_str::<Date>("\"2024-02-29\"").ok(),
            Some(d(2024, 2, 29))
        );
        assert!(serde_json::from_str::<Date>("\"2025-02-29\"").is_err());
        assert!(serde_json::from_str::<Date>("20250101").is_err());
    }

    #[test]
    fn error_codes() {
        assert_eq!(DateError::Invalid.code(), ErrorCode::DateInvalid);
        assert_eq!(DateError::OutOfRange.code(), ErrorCode::DateOutOfRange);
    }

    fn any_day() -> impl Strategy<Value = i64> {
        Date::MIN.days_since_epoch()..=Date::MAX.days_since_epoch()
    }

    proptest! {
        #[test]
        fn civil_and_days_round_trip(days in any_day()) {
            let date = Date::from_days_since_epoch(days);
            prop_assert_eq!(date.days_since_epoch(), days);
            prop_assert_eq!(Date::new(date.year(), date.month(), date.day()), Ok(date));
            prop_assert_eq!(Date::parse(&date.to_string()), Ok(date));
        }

        #[test]
        fn next_day_is_one_later(days in Date::MIN.days_since_epoch()..Date::MAX.days_since_epoch()) {
            let a = Date::from_days_since_epoch(days);
            let b = Date::from_days_since_epoch(days + 1);
            prop_assert!(a < b);
            prop_assert_eq!(a.add_days(1), b);
            prop_assert_eq!(a.days_until(b), 1);
            // Tomorrow is either the next day of the month or the 1st of the next month.
            let next_month = a.add_months(1);
            prop_assert!(
                (b.year() == a.year() && b.month() == a.month() && b.day() == a.day() + 1)
                    || (b.day() == 1 && b.month() == next_month.month())
            );
        }

        #[test]
        fn add_months_keeps_or_clamps_the_day(days in any_day(), n in 0u32..=1200) {
            let a = Date::from_days_since_epoch(days);
            if let Some(b) = a.checked_add_months(n) {
                let months = (b.year() - a.year()) * 12 + i32::from(b.month()) - i32::from(a.month());
                prop_assert_eq!(months, i32::try_from(n)?);
                prop_assert!(b.day() == a.day() || (b.day() < a.day() && b.add_days(1).day() == 1));
            } else {
                prop_assert_eq!(a.add_months(n), Date::MAX);
            }
        }
    }
}
