//! Schedules with product options (还款计划参数): monthly or quarterly periods, a
//! first due date chosen or derived from a repayment day (固定还款日), and the
//! rounding convention as an explicit product parameter. Also the daily interest of
//! revolving lines (随借随还), which have no schedule.
//!
//! # Convention
//!
//! - Under [`ScheduleSpec::new`]'s defaults (monthly, first due one month after the
//!   start, [`Rounding::HalfUpEachPeriod`]) [`build_schedule_with`] returns exactly
//!   what [`crate::schedule::build_schedule`] returns; the tests check it.
//! - Period rate = annual rate × months per period / 12. Interest of a period is
//!   `balance × bp × day_equivalent / 3,600,000`, where a regular period counts as
//!   30 days per month (so a month is `balance × bp / 120,000`, exactly the monthly
//!   convention) and an irregular first period (a chosen first due date or a
//!   repayment day that is not one period after the start) counts its actual days on
//!   the 日利率 = 年利率 / 360 basis. The result is rounded to the fen by the
//!   product's [`Rounding`], in exact integer arithmetic.
//! - Equal instalment (等额本息): the level payment is the annuity over the regular
//!   period rate, rounded exactly by the same [`Rounding`] (a fixed-point fast path
//!   with a proven error bound, and the exact fraction near a whole or half fen);
//!   an irregular first period changes only the first instalment's interest and
//!   principal split. The last instalment absorbs the remainder and principal parts
//!   are capped at the balance, as in [`crate::schedule`].
//! - Bullet (到期一次还本付息): one instalment at the last due date, its interest
//!   rounded once over the whole term.
//!
//! # Day count of revolving lines
//!
//! [`daily_interest`] uses actual days on a 360-day year: Chinese banks quote the
//! daily rate (日利率) as the annual rate / 360 (人民银行 《人民币利率管理规定》), so a
//! month of 30 days earns exactly a twelfth of the annual rate.

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::bigint::BigUint;
use crate::date::Date;
use crate::error_code::ErrorCode;
use crate::money::Fen;
use crate::rate::AnnualRate;
use crate::schedule::{Instalment, RepaymentMethod, ScheduleError, MAX_PRINCIPAL, MAX_TERM_MONTHS};

/// Days in the interest year: 日利率 = 年利率 / 360.
pub const DAY_COUNT_BASIS: u32 = 360;

/// `bp × days / (10,000 × 360)`: interest of one day on one fen.
pub(crate) const DAILY_DENOMINATOR: u128 = 10_000 * DAY_COUNT_BASIS as u128;

/// Days a regular month counts for in the period interest.
const DAYS_PER_MONTH: u32 = 30;

/// Length of one repayment period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Frequency {
    /// 按月.
    #[default]
    Monthly,
    /// 按季.
    Quarterly,
}

impl Frequency {
    /// Months in one period: 1 or 3.
    pub const fn months(self) -> u32 {
        match self {
            Self::Monthly => 1,
            Self::Quarterly => 3,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Monthly => "monthly",
            Self::Quarterly => "quarterly",
        }
    }
}

/// How the first due date is chosen; later due dates follow one period apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FirstDue {
    /// One period after the start, each due date counted from the start (a loan
    /// started on 31 January is due on the last day of short months and on the
    /// 31st again afterwards). This is [`crate::schedule::build_schedule`]'s rule.
    #[default]
    OnePeriodAfterStart,
    /// A chosen first due date, after the start and at most two periods after it;
    /// later due dates are counted from it.
    Date(Date),
    /// A fixed repayment day of the month (固定还款日), 1..=28: the first due date is
    /// the first such day on or after one period from the start, so the first
    /// period is never shorter than a regular one (and shorter than two).
    RepaymentDay(u8),
}

/// How a fraction of a fen is rounded, each period. A product parameter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Rounding {
    /// 四舍五入, the convention of Chinese banks.
    #[default]
    HalfUpEachPeriod,
    /// 舍去: fractions of a fen are dropped (in the borrower's favour).
    Truncate,
    /// Round half to even (银行家舍入).
    Bankers,
}

impl Rounding {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::HalfUpEachPeriod => "half_up_each_period",
            Self::Truncate => "truncate",
            Self::Bankers => "bankers",
        }
    }

    /// `num / den` rounded to an integer by this mode, exactly. `den` must not be 0
    /// (a zero denominator returns 0 rather than panicking).
    pub fn divide(self, num: u128, den: u128) -> u128 {
        if den == 0 {
            return 0;
        }
        let (q, r) = (num / den, num % den);
        self.finish(q, (2 * r).cmp(&den))
    }

    /// Rounds given the floor `q` and how twice the remainder compares with the
    /// denominator (`Less`: below half, `Equal`: exactly half).
    fn finish(self, q: u128, twice_rem: std::cmp::Ordering) -> u128 {
        use std::cmp::Ordering::{Equal, Greater, Less};
        match (self, twice_rem) {
            (Self::Truncate, _) | (_, Less) => q,
            (Self::HalfUpEachPeriod, Equal) | (_, Greater) => q + 1,
            (Self::Bankers, Equal) => q + (q % 2),
        }
    }
}

/// Everything a fixed schedule depends on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScheduleSpec {
    pub method: RepaymentMethod,
    pub principal: Fen,
    pub rate: AnnualRate,
    /// Number of periods (months or quarters).
    pub periods: u32,
    pub frequency: Frequency,
    pub first_due: FirstDue,
    /// Value date of the loan (起息日).
    pub start: Date,
    pub rounding: Rounding,
}

impl ScheduleSpec {
    /// A monthly spec with the defaults of [`crate::schedule::build_schedule`].
    pub fn new(
        method: RepaymentMethod,
        principal: Fen,
        rate: AnnualRate,
        periods: u32,
        start: Date,
    ) -> ScheduleSpec {
        ScheduleSpec {
            method,
            principal,
            rate,
            periods,
            frequency: Frequency::Monthly,
            first_due: FirstDue::OnePeriodAfterStart,
            start,
            rounding: Rounding::HalfUpEachPeriod,
        }
    }
}

/// Why a schedule with options, or an interest amount, cannot be computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Error, Serialize, Deserialize)]
pub enum ScheduleSpecError {
    /// One of the errors of the plain schedule (principal, term, revolving, dates).
    #[error(transparent)]
    Schedule(ScheduleError),
    #[error("the repayment day must be between 1 and 28")]
    RepaymentDayOutOfRange,
    #[error("the first due date must be after the start")]
    FirstDueNotAfterStart,
    #[error("the first period must be shorter than two periods")]
    FirstPeriodTooLong,
    #[error("the balance is negative")]
    NegativeBalance,
    #[error("the interest is too large")]
    InterestTooLarge,
}

impl ScheduleSpecError {
    /// Its [`ErrorCode`], which chooses the message the user reads.
    pub fn code(&self) -> ErrorCode {
        match self {
            Self::Schedule(e) => e.code(),
            Self::RepaymentDayOutOfRange => ErrorCode::ScheduleRepaymentDayOutOfRange,
            Self::FirstDueNotAfterStart => ErrorCode::ScheduleFirstDueNotAfterStart,
            Self::FirstPeriodTooLong => ErrorCode::ScheduleFirstPeriodTooLong,
            Self::NegativeBalance => ErrorCode::ScheduleNegativeBalance,
            Self::InterestTooLarge => ErrorCode::ScheduleInterestTooLarge,
        }
    }
}

impl From<ScheduleError> for ScheduleSpecError {
    fn from(e: ScheduleError) -> Self {
        Self::Schedule(e)
    }
}

fn to_fen(v: u128) -> Result<Fen, ScheduleSpecError> {
    i64::try_from(v)
        .map(Fen)
        .map_err(|_| ScheduleSpecError::InterestTooLarge)
}

/// Checks principal and term like [`crate::schedule::build_schedule`], in the same
/// order, and returns the principal as `u64`.
fn check_inputs(principal: Fen, periods: u32, frequency: Frequency) -> Result<u64, ScheduleError> {
    if principal.get() <= 0 {
        return Err(ScheduleError::NonPositivePrincipal);
    }
    if principal > MAX_PRINCIPAL {
        return Err(ScheduleError::PrincipalTooLarge);
    }
    if periods == 0 {
        return Err(ScheduleError::ZeroTerm);
    }
    if u64::from(periods) * u64::from(frequency.months()) > u64::from(MAX_TERM_MONTHS) {
        return Err(ScheduleError::TermTooLong);
    }
    Ok(principal.get().unsigned_abs())
}

/// The due dates of `spec` and the day-equivalent of its first period (30 per month
/// when regular, the actual days otherwise).
fn due_dates_and_first_days(spec: &ScheduleSpec) -> Result<(Vec<Date>, u32), ScheduleSpecError> {
    let step = spec.frequency.months();
    let one_period = spec
        .start
        .checked_add_months(step)
        .ok_or(ScheduleError::DateOutOfRange)?;
    let (first, anchor_is_start) = match spec.first_due {
        FirstDue::OnePeriodAfterStart => (one_period, true),
        FirstDue::Date(d) => {
            if d <= spec.start {
                return Err(ScheduleSpecError::FirstDueNotAfterStart);
            }
            let two_periods = spec
                .start
                .checked_add_months(2 * step)
                .ok_or(ScheduleError::DateOutOfRange)?;
            if d >= two_periods {
                return Err(ScheduleSpecError::FirstPeriodTooLong);
            }
            (d, false)
        }
        FirstDue::RepaymentDay(day) => {
            if !(1..=28).contains(&day) {
                return Err(ScheduleSpecError::RepaymentDayOutOfRange);
            }
            let same_month = Date::new(one_period.year(), one_period.month(), day)
                .map_err(|_| ScheduleError::DateOutOfRange)?;
            let first = if same_month >= one_period {
                same_month
            } else {
                same_month
                    .checked_add_months(1)
                    .ok_or(ScheduleError::DateOutOfRange)?
            };
            (first, false)
        }
    };
    let mut dates = Vec::with_capacity(spec.periods as usize);
    for k in 0..spec.periods {
        let d = if anchor_is_start {
            spec.start.checked_add_months((k + 1) * step)
        } else {
            first.checked_add_months(k * step)
        };
        dates.push(d.ok_or(ScheduleError::DateOutOfRange)?);
    }
    let regular_days = DAYS_PER_MONTH * step;
    let first_days = if first == one_period {
        regular_days
    } else {
        // first is after start and less than two quarters later: fits in u32.
        u32::try_from(spec.start.days_until(first)).map_err(|_| ScheduleError::DateOutOfRange)?
    };
    Ok((dates, first_days))
}

/// Interest on `balance` for `day_equivalent` days at `bp`, rounded.
fn interest(balance: u64, bp: u32, day_equivalent: u32, rounding: Rounding) -> u128 {
    let num = u128::from(balance) * u128::from(bp) * u128::from(day_equivalent);
    rounding.divide(num, DAILY_DENOMINATOR)
}

/// The annuity of `p` fen over `n` periods at `bp` a year with `step` months a
/// period, rounded by `rounding`: `P·bp·a^n / (d·(a^n − d^n))` with `d = 120000 /
/// step` and `a = d + bp`. The fixed-point fast path decides it unless the value is
/// too close to a whole or half fen for its error bound; then the exact fraction does.
fn annuity(p: u64, bp: u32, n: u32, step: u32, rounding: Rounding) -> u64 {
    let d = 120_000 / u64::from(step);
    let (q, half) = crate::annuity::floor_and_half(p, bp, n, d)
        .unwrap_or_else(|| exact_floor_and_half(p, bp, n, step));
    // q ≤ 2P + 1 < 2^48, so the u128 round trip is lossless.
    rounding.finish(u128::from(q), half) as u64
}

/// The floor of the exact annuity and how twice its remainder compares with the
/// denominator, with big integers. Compared without subtraction: `q·d·(a^n − d^n) ≤
/// N` is `q·d·a^n ≤ N + q·d^(n+1)`.
fn exact_floor_and_half(p: u64, bp: u32, n: u32, step: u32) -> (u64, std::cmp::Ordering) {
    let d = 120_000 / u64::from(step);
    let a_n = BigUint::pow(d + u64::from(bp), n);
    let d_a_n = a_n.times(d);
    let d_n1 = BigUint::pow(d, n + 1);
    let num = a_n.times(p).times(u64::from(bp));
    // q·D ≤ N, with D = d·a^n − d^(n+1).
    let fits = |q: u64| d_a_n.times(q).cmp_big(&num.plus(&d_n1.times(q))).is_le();
    // The annuity is below P·(1 + r) < 2P for r < 1 per period.
    let (mut lo, mut hi) = (0u64, 2 * p + 1);
    while lo < hi {
        let mid = lo + (hi - lo).div_ceil(2);
        if fits(mid) {
            lo = mid;
        } else {
            hi = mid - 1;
        }
    }
    // 2N against (2q + 1)·D, again without subtraction.
    let odd = 2 * lo + 1;
    let twice_rem = num
        .times(2)
        .plus(&d_n1.times(odd))
        .cmp_big(&d_a_n.times(odd));
    (lo, twice_rem)
}

/// The level payment of an equal-instalment loan for a given period length and
/// rounding. Monthly and half up, it equals
/// [`crate::schedule::equal_instalment_payment`].
pub fn level_payment(
    principal: Fen,
    rate: AnnualRate,
    periods: u32,
    frequency: Frequency,
    rounding: Rounding,
) -> Result<Fen, ScheduleSpecError> {
    let p = check_inputs(principal, periods, frequency)?;
    to_fen(u128::from(annuity(
        p,
        rate.bp(),
        periods,
        frequency.months(),
        rounding,
    )))
}

/// Builds the schedule described by `spec` (see the module documentation).
///
/// Errors, in the order checked: `Revolving`, the principal, the term, the first
/// due date, then due dates past 9999.
pub fn build_schedule_with(spec: &ScheduleSpec) -> Result<Vec<Instalment>, ScheduleSpecError> {
    if spec.method == RepaymentMethod::Revolving {
        return Err(ScheduleError::NoFixedSchedule.into());
    }
    let n = spec.periods;
    let p = check_inputs(spec.principal, n, spec.frequency)?;
    let (dates, first_days) = due_dates_and_first_days(spec)?;
    let bp = spec.rate.bp();
    let step = spec.frequency.months();
    let regular_days = DAYS_PER_MONTH * step;
    let last_due = dates.last().copied().ok_or(ScheduleError::ZeroTerm)?;

    if spec.method == RepaymentMethod::Bullet {
        let days = first_days + regular_days * (n - 1);
        let i = to_fen(interest(p, bp, days, spec.rounding))?;
        return Ok(vec![Instalment {
            n: 1,
            due_date: last_due,
            principal: spec.principal,
            interest: i,
            payment: spec.principal + i,
            balance: Fen::ZERO,
        }]);
    }

    let level = if spec.method == RepaymentMethod::EqualInstalment {
        annuity(p, bp, n, step, spec.rounding)
    } else {
        0
    };
    let equal_part = p / u64::from(n);
    let mut balance = p;
    let mut schedule = Vec::with_capacity(dates.len());
    for (k, due_date) in (1..=n).zip(dates) {
        let days = if k == 1 { first_days } else { regular_days };
        let i = interest(balance, bp, days, spec.rounding);
        let part = match spec.method {
            _ if k == n => balance,
            RepaymentMethod::EqualInstalment => {
                (u128::from(level).saturating_sub(i) as u64).min(balance)
            }
            RepaymentMethod::EqualPrincipal => equal_part.min(balance),
            _ => 0,
        };
        balance -= part;
        let principal = to_fen(u128::from(part))?;
        let i = to_fen(i)?;
        schedule.push(Instalment {
            n: k,
            due_date,
            principal,
            interest: i,
            payment: principal + i,
            balance: to_fen(u128::from(balance))?,
        });
    }
    Ok(schedule)
}

/// Interest of a revolving balance for `days` days: `balance × annual rate / 360 ×
/// days`, rounded half up once (see the module documentation for the day count).
pub fn daily_interest(balance: Fen, rate: AnnualRate, days: u32) -> Result<Fen, ScheduleSpecError> {
    daily_interest_with(balance, rate, days, Rounding::HalfUpEachPeriod)
}

/// [`daily_interest`] with an explicit rounding mode.
pub fn daily_interest_with(
    balance: Fen,
    rate: AnnualRate,
    days: u32,
    rounding: Rounding,
) -> Result<Fen, ScheduleSpecError> {
    if balance.get() < 0 {
        return Err(ScheduleSpecError::NegativeBalance);
    }
    to_fen(interest(
        balance.get().unsigned_abs(),
        rate.bp(),
        days,
        rounding,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schedule::{build_schedule, equal_instalment_payment};
    use proptest::prelude::*;
    use rstest::rstest;

    fn date(s: &str) -> Date {
        Date::parse(s).unwrap_or(Date::EPOCH)
    }

    fn rate(bp: u32) -> AnnualRate {
        AnnualRate::from_bp(bp).unwrap_or_else(|e| panic!("{e}"))
    }

    fn spec(method: RepaymentMethod, p: i64, bp: u32, n: u32, start: &str) -> ScheduleSpec {
        ScheduleSpec::new(method, Fen(p), rate(bp), n, date(start))
    }

    fn build(s: &ScheduleSpec) -> Vec<Instalment> {
        build_schedule_with(s).unwrap_or_else(|e| panic!("{s:?}: {e}"))
    }

    #[rstest]
    #[case(5, 2, 3, 2, 2)]
    #[case(7, 2, 4, 3, 4)]
    #[case(1, 3, 0, 0, 0)]
    #[case(2, 3, 1, 0, 1)]
    #[case(0, 7, 0, 0, 0)]
    #[case(10, 5, 2, 2, 2)]
    fn rounding_modes(
        #[case] num: u128,
        #[case] den: u128,
        #[case] half_up: u128,
        #[case] truncate: u128,
        #[case] bankers: u128,
    ) {
        assert_eq!(Rounding::HalfUpEachPeriod.divide(num, den), half_up);
        assert_eq!(Rounding::Truncate.divide(num, den), truncate);
        assert_eq!(Rounding::Bankers.divide(num, den), bankers);
        assert_eq!(Rounding::Bankers.divide(num, 0), 0);
    }

    /// 60 fen at 10 % for one month: the interest is exactly half a fen and the
    /// annuity is exactly 60.5 fen, so the three modes differ.
    #[rstest]
    #[case(Rounding::HalfUpEachPeriod, 61, 1)]
    #[case(Rounding::Truncate, 60, 0)]
    #[case(Rounding::Bankers, 60, 0)]
    fn ties_follow_the_rounding_mode(
        #[case] rounding: Rounding,
        #[case] payment: i64,
        #[case] interest: i64,
    ) {
        assert_eq!(
            level_payment(Fen(60), rate(1000), 1, Frequency::Monthly, rounding),
            Ok(Fen(payment))
        );
        let mut s = spec(RepaymentMethod::EqualInstalment, 60, 1000, 1, "2025-01-15");
        s.rounding = rounding;
        let row = build(&s)[0];
        assert_eq!((row.principal, row.interest), (Fen(60), Fen(interest)));
    }

    #[test]
    fn bankers_rounds_an_odd_floor_up_on_a_tie() {
        // 180 fen at 10 % for one month: 1.5 fen of interest -> 2.
        let mut s = spec(RepaymentMethod::InterestOnly, 180, 1000, 1, "2025-01-15");
        s.rounding = Rounding::Bankers;
        assert_eq!(build(&s)[0].interest, Fen(2));
    }

    #[test]
    fn quarterly_interest_only() {
        let mut s = spec(
            RepaymentMethod::InterestOnly,
            10_000_000,
            435,
            4,
            "2025-01-31",
        );
        s.frequency = Frequency::Quarterly;
        let rows = build(&s);
        let dates: Vec<String> = rows.iter().map(|r| r.due_date.to_string()).collect();
        assert_eq!(
            dates,
            ["2025-04-30", "2025-07-31", "2025-10-31", "2026-01-31"]
        );
        // 100,000 yuan × 4.35 % / 4 = 1,087.50 yuan a quarter.
        assert!(rows.iter().all(|r| r.interest == Fen(108_750)));
        assert_eq!(rows[3].principal, Fen(10_000_000));
    }

    #[test]
    fn quarterly_equal_instalment_matches_the_closed_form() {
        let mut s = spec(
            RepaymentMethod::EqualInstalment,
            10_000_000,
            435,
            8,
            "2025-01-15",
        );
        s.frequency = Frequency::Quarterly;
        let level = level_payment(
            Fen(10_000_000),
            rate(435),
            8,
            Frequency::Quarterly,
            Rounding::HalfUpEachPeriod,
        );
        let r: f64 = 0.0435 / 4.0;
        let closed: f64 = 10_000_000.0 * r / (1.0 - (1.0 + r).powi(-8));
        assert_eq!(level, Ok(Fen(closed.round() as i64)));
        let rows = build(&s);
        assert!(rows[..7].iter().all(|i| Ok(i.payment) == level));
        assert_eq!(
            rows.iter().map(|i| i.principal).sum::<Fen>(),
            Fen(10_000_000)
        );
    }

    #[rstest]
    // Day 20: one month after 15 January is 15 February, so the 20th of February.
    #[case("2025-01-15", 20, "2025-02-20", 36)]
    // Day 10: the 10th of February is before 15 February, so 10 March.
    #[case("2025-01-15", 10, "2025-03-10", 54)]
    #[case("2025-01-31", 28, "2025-02-28", 28)]
    #[case("2025-01-15", 15, "2025-02-15", 31)]
    fn repayment_day_sets_the_first_due_date(
        #[case] start: &str,
        #[case] day: u8,
        #[case] first: &str,
        #[case] days: u64,
    ) {
        let mut s = spec(RepaymentMethod::InterestOnly, 1_000_000, 360, 3, start);
        s.first_due = FirstDue::RepaymentDay(day);
        let rows = build(&s);
        assert_eq!(rows[0].due_date, date(first));
        assert!(rows.iter().all(|r| r.due_date.day() == day));
        // 10,000 yuan at 3.60 %: 1 yuan a day, 30 yuan a regular month.
        let first_interest = if rows[0].due_date == date(start).add_months(1) {
            3000
        } else {
            days as i64 * 100
        };
        assert_eq!(rows[0].interest, Fen(first_interest));
        assert!(rows[1..].iter().all(|r| r.interest == Fen(3000)));
    }

    #[test]
    fn chosen_first_due_date_anchors_later_ones() {
        let mut s = spec(RepaymentMethod::EqualPrincipal, 300, 490, 3, "2025-01-10");
        s.first_due = FirstDue::Date(date("2025-01-31"));
        let dates: Vec<String> = build(&s).iter().map(|r| r.due_date.to_string()).collect();
        assert_eq!(dates, ["2025-01-31", "2025-02-28", "2025-03-31"]);
    }

    #[rstest]
    #[case(
        FirstDue::Date(date("2025-01-15")),
        ScheduleSpecError::FirstDueNotAfterStart
    )]
    #[case(
        FirstDue::Date(date("2025-03-15")),
        ScheduleSpecError::FirstPeriodTooLong
    )]
    #[case(FirstDue::RepaymentDay(0), ScheduleSpecError::RepaymentDayOutOfRange)]
    #[case(FirstDue::RepaymentDay(29), ScheduleSpecError::RepaymentDayOutOfRange)]
    fn bad_first_due_is_refused(#[case] first_due: FirstDue, #[case] err: ScheduleSpecError) {
        let mut s = spec(
            RepaymentMethod::EqualInstalment,
            100_000,
            490,
            12,
            "2025-01-15",
        );
        s.first_due = first_due;
        assert_eq!(build_schedule_with(&s), Err(err));
    }

    #[test]
    fn quarterly_term_is_limited_in_months() {
        let mut s = spec(
            RepaymentMethod::EqualInstalment,
            100_000,
            490,
            161,
            "2025-01-15",
        );
        s.frequency = Frequency::Quarterly;
        assert_eq!(
            build_schedule_with(&s),
            Err(ScheduleSpecError::Schedule(ScheduleError::TermTooLong))
        );
        s.periods = 160;
        assert_eq!(build(&s).len(), 160);
    }

    #[rstest]
    #[case(1_000_000, 360, 1, 100)]
    #[case(1_000_000, 360, 30, 3000)]
    #[case(1_000_000, 360, 0, 0)]
    #[case(0, 360, 30, 0)]
    // 30,000 yuan at 4.35 % for 7 days: 25.375 yuan -> 25.38.
    #[case(3_000_000, 435, 7, 2538)]
    fn daily_interest_on_360_days(
        #[case] balance: i64,
        #[case] bp: u32,
        #[case] days: u32,
        #[case] expected: i64,
    ) {
        assert_eq!(
            daily_interest(Fen(balance), rate(bp), days),
            Ok(Fen(expected))
        );
    }

    #[test]
    fn daily_interest_refuses_negative_and_overflow() {
        assert_eq!(
            daily_interest(Fen(-1), rate(360), 1),
            Err(ScheduleSpecError::NegativeBalance)
        );
        assert_eq!(
            daily_interest(Fen(i64::MAX), rate(9999), u32::MAX),
            Err(ScheduleSpecError::InterestTooLarge)
        );
        assert_eq!(
            daily_interest_with(Fen(3_000_000), rate(435), 7, Rounding::Truncate),
            Ok(Fen(2537))
        );
    }

    #[test]
    fn error_codes() {
        let codes = [
            (
                ScheduleSpecError::Schedule(ScheduleError::ZeroTerm),
                "schedule_zero_term",
            ),
            (
                ScheduleSpecError::RepaymentDayOutOfRange,
                "schedule_repayment_day_out_of_range",
            ),
            (
                ScheduleSpecError::FirstDueNotAfterStart,
                "schedule_first_due_not_after_start",
            ),
            (
                ScheduleSpecError::FirstPeriodTooLong,
                "schedule_first_period_too_long",
            ),
            (
                ScheduleSpecError::NegativeBalance,
                "schedule_negative_balance",
            ),
            (
                ScheduleSpecError::InterestTooLarge,
                "schedule_interest_too_large",
            ),
        ];
        for (e, code) in codes {
            assert_eq!(e.code().as_str(), code);
        }
    }

    #[test]
    fn spec_serialises_in_snake_case() {
        let mut s = spec(RepaymentMethod::Bullet, 100, 490, 1, "2025-01-15");
        s.first_due = FirstDue::RepaymentDay(20);
        let json = serde_json::to_string(&s).unwrap_or_default();
        assert!(
            json.contains("\"first_due\":{\"repayment_day\":20}"),
            "{json}"
        );
        assert!(
            json.contains("\"rounding\":\"half_up_each_period\""),
            "{json}"
        );
        assert_eq!(serde_json::from_str::<ScheduleSpec>(&json).ok(), Some(s));
    }

    fn any_start() -> impl Strategy<Value = Date> {
        let lo = date("1990-01-01").days_since_epoch();
        let hi = date("2090-12-31").days_since_epoch();
        (lo..=hi).prop_map(Date::from_days_since_epoch)
    }

    fn any_rounding() -> impl Strategy<Value = Rounding> {
        prop_oneof![
            Just(Rounding::HalfUpEachPeriod),
            Just(Rounding::Truncate),
            Just(Rounding::Bankers)
        ]
    }

    fn any_method() -> impl Strategy<Value = RepaymentMethod> {
        proptest::sample::select(RepaymentMethod::ALL.to_vec())
    }

    const ROUNDINGS: [Rounding; 3] = [
        Rounding::HalfUpEachPeriod,
        Rounding::Truncate,
        Rounding::Bankers,
    ];

    /// Short terms hit exact ties (x.5 fen) and whole fen often: each must reach the
    /// exact fraction and round by the mode, and the rest must take the fast path.
    #[test]
    fn short_terms_with_ties_match_the_exact_fraction() {
        let (mut fast, mut exact_only) = (0u32, 0u32);
        for step in [1, 3] {
            for n in 1..=2 {
                for bp in [1, 6, 490, 1000, 1200, 9999] {
                    for p in 1..=1200 {
                        let exact = exact_floor_and_half(p, bp, n, step);
                        let d = 120_000 / u64::from(step);
                        match crate::annuity::floor_and_half(p, bp, n, d) {
                            Some(f) => {
                                assert_eq!(f, exact, "{p} {bp} {n} {step}");
                                fast += 1;
                            }
                            None => exact_only += 1,
                        }
                        for rounding in ROUNDINGS {
                            assert_eq!(
                                u128::from(annuity(p, bp, n, step, rounding)),
                                rounding.finish(u128::from(exact.0), exact.1),
                                "{p} {bp} {n} {step} {rounding:?}"
                            );
                        }
                    }
                }
            }
        }
        assert!(exact_only > 0, "no tie reached the exact fraction");
        assert!(fast > 50 * exact_only, "{fast} fast, {exact_only} exact");
    }

    proptest! {
        /// The fast path, whenever it answers, gives the exact fraction's floor and
        /// half; and the level payment equals the exact one under every rounding.
        #[test]
        fn fast_annuity_equals_the_exact_fraction(
            p in 1u64..=10_000_000_000,
            bp in 1u32..=9999,
            months in 1u32..=MAX_TERM_MONTHS,
            quarterly in any::<bool>(),
        ) {
            let step = if quarterly { 3 } else { 1 };
            let n = months.div_ceil(step);
            let exact = exact_floor_and_half(p, bp, n, step);
            let fast = crate::annuity::floor_and_half(p, bp, n, 120_000 / u64::from(step));
            if let Some(f) = fast {
                prop_assert_eq!(f, exact);
            }
            for rounding in ROUNDINGS {
                prop_assert_eq!(
                    u128::from(annuity(p, bp, n, step, rounding)),
                    rounding.finish(u128::from(exact.0), exact.1)
                );
            }
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        /// The default spec is the plain schedule, errors included.
        #[test]
        fn default_spec_equals_build_schedule(
            method in any_method(),
            p in prop_oneof![-5i64..=1_000, 1i64..=10_000_000_000, Just(MAX_PRINCIPAL.get() + 1)],
            bp in 1u32..=9999,
            n in 0u32..=490,
            start in any_start(),
        ) {
            let r = rate(bp);
            let plain = build_schedule(method, Fen(p), r, n, start).map_err(ScheduleSpecError::from);
            let with = build_schedule_with(&ScheduleSpec::new(method, Fen(p), r, n, start));
            prop_assert_eq!(with, plain);
            if p > 0 && (1..=MAX_TERM_MONTHS).contains(&n) && p <= MAX_PRINCIPAL.get() {
                prop_assert_eq!(
                    level_payment(Fen(p), r, n, Frequency::Monthly, Rounding::HalfUpEachPeriod),
                    equal_instalment_payment(Fen(p), r, n).map_err(ScheduleSpecError::from)
                );
            }
        }

        /// Under every option: principal parts sum exactly, the balance never rises
        /// and ends at zero, rows add up and due dates strictly increase.
        #[test]
        fn every_option_gives_a_consistent_schedule(
            method in proptest::sample::select(RepaymentMethod::ALL[..4].to_vec()),
            p in 1i64..=10_000_000_000,
            bp in 1u32..=2400,
            n in 1u32..=120,
            quarterly in any::<bool>(),
            first in prop_oneof![
                Just(FirstDue::OnePeriodAfterStart),
                (1u8..=28).prop_map(FirstDue::RepaymentDay),
                (1i64..=40).prop_map(|d| FirstDue::Date(Date::EPOCH.add_days(d))),
            ],
            rounding in any_rounding(),
            start in any_start(),
        ) {
            let first_due = match first {
                // Re-anchor a chosen date on this start: 1..=40 days after it.
                FirstDue::Date(d) => FirstDue::Date(start.add_days(d.days_since_epoch())),
                other => other,
            };
            let s = ScheduleSpec {
                method, principal: Fen(p), rate: rate(bp), periods: n,
                frequency: if quarterly { Frequency::Quarterly } else { Frequency::Monthly },
                first_due, start, rounding,
            };
            let rows = build(&s);
            prop_assert_eq!(rows.iter().map(|i| i.principal).sum::<Fen>(), Fen(p));
            let mut balance = Fen(p);
            for i in &rows {
                prop_assert!(i.principal >= Fen::ZERO && i.interest >= Fen::ZERO);
                prop_assert_eq!(i.payment, i.principal + i.interest);
                prop_assert_eq!(i.balance, balance - i.principal);
                balance = i.balance;
            }
            prop_assert_eq!(balance, Fen::ZERO);
            prop_assert!(rows[0].due_date > start);
            for w in rows.windows(2) {
                prop_assert!(w[0].due_date < w[1].due_date);
            }
        }

        /// Where the balance path does not depend on rounding, truncation never
        /// charges more than half up, and half up never more than one fen a period
        /// above truncation.
        #[test]
        fn truncation_is_never_above_half_up(
            method in proptest::sample::select(vec![
                RepaymentMethod::EqualPrincipal, RepaymentMethod::InterestOnly, RepaymentMethod::Bullet,
            ]),
            p in 1i64..=10_000_000_000,
            bp in 1u32..=9999,
            n in 1u32..=60,
            start in any_start(),
        ) {
            let mut s = ScheduleSpec::new(method, Fen(p), rate(bp), n, start);
            let up = build(&s);
            s.rounding = Rounding::Truncate;
            let down = build(&s);
            for (u, d) in up.iter().zip(&down) {
                prop_assert!(d.interest <= u.interest && u.interest <= d.interest + Fen(1));
            }
        }

        /// Daily interest grows with the days and is within half a fen of the
        /// exact value.
        #[test]
        fn daily_interest_is_monotone(balance in 0i64..=MAX_PRINCIPAL.get(), bp in 1u32..=9999, days in 0u32..=366) {
            let r = rate(bp);
            let one = daily_interest(Fen(balance), r, days)?;
            let more = daily_interest(Fen(balance), r, days + 1)?;
            prop_assert!(one <= more);
            let exact = balance as f64 * f64::from(bp) / 3_600_000.0 * f64::from(days);
            prop_assert!((one.get() as f64 - exact).abs() <= 0.5 + 1e-9 * exact);
        }
    }
}
