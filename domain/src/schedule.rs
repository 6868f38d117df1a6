//! Repayment schedules (还款计划): the [`RepaymentMethod`]s and the instalments each
//! produces, in whole fen with no floating point anywhere.
//!
//! # Convention (that of Chinese banks)
//!
//! - Monthly rate = annual rate / 12, so with the rate in basis points a month's
//!   interest on a balance is `balance × bp / 120000`.
//! - Each period's interest is that product **rounded half up to the fen**, computed
//!   exactly in integers (`(2·num + den) / (2·den)`), on the balance before the
//!   period's payment.
//! - [`RepaymentMethod::EqualInstalment`] (等额本息): the level payment is the
//!   annuity `P·r·(1+r)^n / ((1+r)^n − 1)` rounded half up to the fen. It is
//!   evaluated as the exact fraction `P·bp·a^n / (120000·(a^n − 120000^n))` with
//!   `a = 120000 + bp`, so the rounding is exact even for ties (a plain fixed-point
//!   `u128` evaluation at scale 10^18 rounds a true x.5 fen down, e.g. 0.60 yuan at
//!   10 % over one month). A fixed-point fast path with a proven error bound
//!   (`crate::annuity`) decides the rounding without big integers whenever the bound
//!   allows; ties and values within 2^-53 fen of a whole or half fen are
//!   evaluated with a small private big integer. Each period's principal part is
//!   payment − interest.
//! - [`RepaymentMethod::EqualPrincipal`] (等额本金): principal part `floor(P / n)`,
//!   plus interest on the balance.
//! - [`RepaymentMethod::InterestOnly`] (先息后本): interest each month, all the
//!   principal with the last instalment.
//! - [`RepaymentMethod::Bullet`] (到期一次还本付息): one instalment at
//!   `start.add_months(months)` with interest `round_half_up(P × bp × months / 120000)`.
//! - [`RepaymentMethod::Revolving`] (随借随还) has no fixed schedule.
//! - The **last instalment absorbs the remainder**: its principal part is whatever
//!   balance is left, so principal parts sum exactly to the principal and the
//!   balance ends at zero.
//! - Due dates: instalment k falls on `start.add_months(k)` (always counted from
//!   the start, so a loan started on 31 January is due on the last day of short
//!   months and the 31st again afterwards).
//!
//! A level payment rounded up by a fraction of a fen repays slightly more principal
//! every month, and that excess compounds. For ordinary loans it only changes the
//! last instalment by a few fen, but for a tiny principal or an extreme rate and term
//! (say 1,000 yuan at 24 % over 30 years) it can repay the whole balance before the
//! last month. The principal part is therefore capped at the balance, and any
//! instalments after the payoff are zero.

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::bigint::BigUint;
use crate::date::Date;
use crate::error_code::ErrorCode;
use crate::money::Fen;
use crate::rate::AnnualRate;

/// The longest term accepted, 40 years.
pub const MAX_TERM_MONTHS: u32 = 480;

/// The largest principal accepted, 1,000,000,000,000 yuan. Far above any loan, and
/// low enough that no schedule total can overflow `i64` fen.
pub const MAX_PRINCIPAL: Fen = Fen(100_000_000_000_000);

/// 12 months × 10,000 basis points: a month's interest is `balance × bp / 120000`.
const MONTHLY_BP_DENOMINATOR: u64 = 120_000;

/// How a loan is repaid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RepaymentMethod {
    EqualInstalment,
    EqualPrincipal,
    InterestOnly,
    Bullet,
    Revolving,
}

impl RepaymentMethod {
    pub const ALL: [Self; 5] = [
        Self::EqualInstalment,
        Self::EqualPrincipal,
        Self::InterestOnly,
        Self::Bullet,
        Self::Revolving,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::EqualInstalment => "equal_instalment",
            Self::EqualPrincipal => "equal_principal",
            Self::InterestOnly => "interest_only",
            Self::Bullet => "bullet",
            Self::Revolving => "revolving",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|m| m.as_str() == s)
    }
}

/// One line of a repayment schedule. `balance` is what is still owed after it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Instalment {
    /// 1-based instalment number.
    pub n: u32,
    pub due_date: Date,
    pub principal: Fen,
    pub interest: Fen,
    /// `principal + interest`.
    pub payment: Fen,
    pub balance: Fen,
}

/// Why a schedule cannot be built.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Error, Serialize, Deserialize)]
pub enum ScheduleError {
    #[error("the principal must be positive")]
    NonPositivePrincipal,
    #[error("the term must be at least one month")]
    ZeroTerm,
    #[error("the term must be at most {MAX_TERM_MONTHS} months")]
    TermTooLong,
    #[error("a revolving line has no fixed schedule")]
    NoFixedSchedule,
    /// Added beyond the contract: principal above [`MAX_PRINCIPAL`].
    #[error("the principal is too large")]
    PrincipalTooLarge,
    /// Added beyond the contract: a due date would fall after 9999-12-31.
    #[error("a due date would be after 9999-12-31")]
    DateOutOfRange,
}

impl ScheduleError {
    /// Its [`ErrorCode`], which chooses the message the user reads.
    pub fn code(&self) -> ErrorCode {
        match self {
            Self::NonPositivePrincipal => ErrorCode::ScheduleNonPositivePrincipal,
            Self::ZeroTerm => ErrorCode::ScheduleZeroTerm,
            Self::TermTooLong => ErrorCode::ScheduleTermTooLong,
            Self::NoFixedSchedule => ErrorCode::ScheduleNoFixedSchedule,
            Self::PrincipalTooLarge => ErrorCode::SchedulePrincipalTooLarge,
            Self::DateOutOfRange => ErrorCode::ScheduleDateOutOfRange,
        }
    }
}

/// Sums of a schedule's columns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ScheduleTotals {
    pub principal: Fen,
    pub interest: Fen,
    pub payment: Fen,
}

/// `round_half_up(num / den)` for non-negative integers, exactly.
fn div_round_half_up(num: u128, den: u128) -> u128 {
    num / den + u128::from(num % den * 2 >= den)
}

/// One period's interest on `balance` (in fen, `0..=MAX_PRINCIPAL`) over `months`.
fn period_interest(balance: u64, bp: u32, months: u32) -> u64 {
    let num = u128::from(balance) * u128::from(bp) * u128::from(months);
    // balance ≤ 10^14, bp < 10^4, months ≤ 480: the result is below 4·10^15.
    u64::try_from(div_round_half_up(num, u128::from(MONTHLY_BP_DENOMINATOR))).unwrap_or(u64::MAX)
}

/// Checks the inputs shared by every method and returns the principal as `u64`.
fn check_inputs(principal: Fen, months: u32) -> Result<u64, ScheduleError> {
    if principal.get() <= 0 {
        return Err(ScheduleError::NonPositivePrincipal);
    }
    if principal > MAX_PRINCIPAL {
        return Err(ScheduleError::PrincipalTooLarge);
    }
    if months == 0 {
        return Err(ScheduleError::ZeroTerm);
    }
    if months > MAX_TERM_MONTHS {
        return Err(ScheduleError::TermTooLong);
    }
    Ok(principal.get().unsigned_abs())
}

/// The annuity of `p` fen, rounded half up: see the module documentation. The
/// fixed-point fast path decides it unless the value is too close to a whole or half
/// fen for its error bound; then the exact fraction does.
fn annuity(p: u64, bp: u32, n: u32) -> u64 {
    match crate::annuity::floor_and_half(p, bp, n, MONTHLY_BP_DENOMINATOR) {
        Some((q, half)) => q + u64::from(half == std::cmp::Ordering::Greater),
        None => exact_annuity(p, bp, n),
    }
}

/// The annuity of `p` fen as an exact fraction of big integers, rounded half up.
fn exact_annuity(p: u64, bp: u32, n: u32) -> u64 {
    let b = MONTHLY_BP_DENOMINATOR as u32; // 120000 fits in u32
    let a_n = BigUint::pow(u64::from(b + bp), n);
    let b_n = BigUint::pow(u64::from(b), n);
    let diff = match a_n.checked_sub(&b_n) {
        Some(d) if d != BigUint::from_u64(0) => d,
        // Only at a zero rate, which AnnualRate refuses; the limit there is P / n.
        _ => return div_round_half_up(u128::from(p), u128::from(n)) as u64,
    };
    // payment = N / D with N = p·bp·a^n and D = 120000·(a^n − b^n);
    // round_half_up(N / D) = floor((2N + D) / 2D).
    let mut d = diff;
    d.mul_u64(u64::from(b));
    let mut num = a_n;
    num.mul_u64(2 * p);
    num.mul_u64(u64::from(bp));
    num.add(&d);
    let mut den = d;
    den.mul_u64(2);
    // The annuity is below p·(1 + r) < 2p, so the quotient is at most 2p.
    num.div_floor_bounded(&den, 2 * p + 1)
}

/// The level payment of an equal-instalment loan (for the calculator): 300000 yuan,
/// 4.90 %, 360 -> 1,592.18 yuan.
pub fn equal_instalment_payment(
    principal: Fen,
    rate: AnnualRate,
    months: u32,
) -> Result<Fen, ScheduleError> {
    let p = check_inputs(principal, months)?;
    to_fen(annuity(p, rate.bp(), months))
}

fn to_fen(v: u64) -> Result<Fen, ScheduleError> {
    // Unreachable with principal ≤ MAX_PRINCIPAL; reported rather than wrapped.
    i64::try_from(v)
        .map(Fen)
        .map_err(|_| ScheduleError::PrincipalTooLarge)
}

/// The schedule of a loan booked now and its maturity: a revolving loan
/// (随借随还) has no schedule, and matures `months` after `start`; any other
/// loan matures on its last due date ([`build_schedule`]).
pub fn planned(
    method: RepaymentMethod,
    principal: Fen,
    rate: AnnualRate,
    months: u32,
    start: Date,
) -> Result<(Vec<Instalment>, Date), ScheduleError> {
    if method == RepaymentMethod::Revolving {
        check_inputs(principal, months)?;
        let maturity = start
            .checked_add_months(months)
            .ok_or(ScheduleError::DateOutOfRange)?;
        return Ok((Vec::new(), maturity));
    }
    let schedule = build_schedule(method, principal, rate, months, start)?;
    let maturity = schedule.last().map_or(start, |i| i.due_date);
    Ok((schedule, maturity))
}

/// Builds the schedule. Convention of Chinese banks (stated in the module doc):
/// monthly rate = annual rate / 12; each period's interest = balance × monthly rate
/// rounded to the fen half up, in exact integer arithmetic; for EqualInstalment the
/// payment is the annuity formula rounded half up to the fen (computed exactly in
/// integers, never f64); the last instalment absorbs the remainder so principal parts
/// sum exactly to the principal. First due date = start.add_months(1), then monthly.
///
/// Errors, in the order checked: [`ScheduleError::NoFixedSchedule`] for
/// `Revolving`, then the principal, the term, and finally due dates past 9999.
pub fn build_schedule(
    method: RepaymentMethod,
    principal: Fen,
    rate: AnnualRate,
    months: u32,
    start: Date,
) -> Result<Vec<Instalment>, ScheduleError> {
    if method == RepaymentMethod::Revolving {
        return Err(ScheduleError::NoFixedSchedule);
    }
    let p = check_inputs(principal, months)?;
    let bp = rate.bp();
    let last_due = start
        .checked_add_months(months)
        .ok_or(ScheduleError::DateOutOfRange)?;

    if method == RepaymentMethod::Bullet {
        let interest = to_fen(period_interest(p, bp, months))?;
        return Ok(vec![Instalment {
            n: 1,
            due_date: last_due,
            principal,
            interest,
            payment: principal + interest,
            balance: Fen::ZERO,
        }]);
    }

    // Principal part for a period other than the last, given its interest.
    // Only equal instalment needs the (costly, exact) annuity.
    let level_payment = if method == RepaymentMethod::EqualInstalment {
        annuity(p, bp, months)
    } else {
        0
    };
    let equal_part = p / u64::from(months);
    let part = |interest: u64| match method {
        RepaymentMethod::EqualInstalment => level_payment.saturating_sub(interest),
        RepaymentMethod::EqualPrincipal => equal_part,
        _ => 0,
    };

    let mut balance = p;
    let mut schedule = Vec::with_capacity(months as usize);
    for k in 1..=months {
        let interest = period_interest(balance, bp, 1);
        let principal_part = if k == months {
            balance
        } else {
            part(interest).min(balance)
        };
        balance -= principal_part;
        let due_date = start
            .checked_add_months(k)
            .ok_or(ScheduleError::DateOutOfRange)?;
        schedule.push(Instalment {
            n: k,
            due_date,
            principal: to_fen(principal_part)?,
            interest: to_fen(interest)?,
            payment: to_fen(principal_part + interest)?,
            balance: to_fen(balance)?,
        });
    }
    Ok(schedule)
}

/// Sums of the principal, interest and payment columns.
pub fn totals(s: &[Instalment]) -> ScheduleTotals {
    s.iter()
        .fold(ScheduleTotals::default(), |t, i| ScheduleTotals {
            principal: t.principal + i.principal,
            interest: t.interest + i.interest,
            payment: t.payment + i.payment,
        })
}

#[cfg(test)]
mod tests;
