//! 提前还款: prepayment of principal not yet due, partly or in full, on a
//! day between the batch's runs.
//!
//! # The rules
//!
//! - **Interest to the day** (算头不算尾): interest runs from the start of the
//!   period up to, not including, the prepayment day. The batch accrues each
//!   night, so the loan is first brought to the night before that day
//!   ([`catch_up`]); the days it had not yet run are posted as the batch
//!   would have posted them (same keys: the batch finds them done).
//! - **What is due comes first**: a loan with anything due (an instalment,
//!   penalty) is repaid before it is prepaid ([`EodError::DuesFirst`]).
//! - **Not on a due date**: the prepayment day is inside the current period,
//!   before the next due date (on the due date the instalment is paid first,
//!   the day after the prepayment can be made).
//! - **Full payoff** (提前结清) collects all principal and the interest
//!   accrued in the period; the loan is settled and its instalments not yet
//!   due are dropped. Fractions of a fen of accrued interest carried by the
//!   batch are waived, in the borrower's favour.
//! - **Partial prepayment** collects the principal and the interest accrued
//!   on that principal in the period (the period's accrual in proportion,
//!   rounded half up); the rest of the period's accrual stays with the
//!   remaining balance, whose schedule is recomputed by [`ledger::prepay`]
//!   (shorter term, or lower instalment). A partial prepayment of the whole
//!   balance is a payoff.
//! - Bullet loans (到期一次还本付息) can only be paid off; revolving drawdowns
//!   are repaid any day through [`LoanState::repay`], not prepaid.
//!
//! [`ledger::prepay`]: crate::servicing::ledger::prepay

use serde::{Deserialize, Serialize};

use super::{add, catch_up, sub, EodError, EodRules, LoanState, LoanStatus, ScheduledInstalment};
use crate::date::Date;
use crate::money::Fen;
use crate::schedule::{Instalment, RepaymentMethod};
use crate::servicing::ledger::{
    self, Allocation, IdempotencyKey, Posting, PrepaymentError, PrepaymentMode, ScheduleState,
};
use crate::servicing::schedule_options::{Frequency, Rounding};

/// What the borrower asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum PrepaymentRequest {
    /// 部分提前还款: this much principal, and what the schedule keeps.
    Partial {
        principal: Fen,
        mode: PrepaymentMode,
    },
    /// 提前结清: everything.
    Payoff,
}

/// The three kinds of prepayment, as stored and as offered to the borrower.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PrepaymentKind {
    /// 部分提前还款，缩短期限.
    ShortenTerm,
    /// 部分提前还款，减少月供.
    LowerInstalment,
    /// 提前结清.
    Payoff,
}

impl PrepaymentKind {
    pub const ALL: [Self; 3] = [Self::ShortenTerm, Self::LowerInstalment, Self::Payoff];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::ShortenTerm => "shorten_term",
            Self::LowerInstalment => "lower_instalment",
            Self::Payoff => "payoff",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// The kinds a loan repaid by `method` offers (see the module
    /// documentation): a payoff always; a shorter term for loans whose
    /// instalments repay principal; a lower instalment for those and
    /// interest-only loans; none for a revolving drawdown, repaid any day.
    pub fn offered_for(method: RepaymentMethod) -> &'static [PrepaymentKind] {
        match method {
            RepaymentMethod::EqualInstalment | RepaymentMethod::EqualPrincipal => &Self::ALL,
            RepaymentMethod::InterestOnly => &[Self::LowerInstalment, Self::Payoff],
            RepaymentMethod::Bullet => &[Self::Payoff],
            RepaymentMethod::Revolving => &[],
        }
    }

    /// The request of this kind; `principal` is ignored for a payoff.
    pub fn request(self, principal: Fen) -> PrepaymentRequest {
        match self {
            Self::ShortenTerm => PrepaymentRequest::Partial {
                principal,
                mode: PrepaymentMode::ShortenTerm,
            },
            Self::LowerInstalment => PrepaymentRequest::Partial {
                principal,
                mode: PrepaymentMode::LowerInstalment,
            },
            Self::Payoff => PrepaymentRequest::Payoff,
        }
    }
}

impl PrepaymentRequest {
    pub fn kind(&self) -> PrepaymentKind {
        match self {
            Self::Partial {
                mode: PrepaymentMode::ShortenTerm,
                ..
            } => PrepaymentKind::ShortenTerm,
            Self::Partial {
                mode: PrepaymentMode::LowerInstalment,
                ..
            } => PrepaymentKind::LowerInstalment,
            Self::Payoff => PrepaymentKind::Payoff,
        }
    }

    /// The principal asked for; `None` for a payoff.
    pub fn principal(&self) -> Option<Fen> {
        match self {
            Self::Partial { principal, .. } => Some(*principal),
            Self::Payoff => None,
        }
    }
}

/// The loan's contract terms a prepayment needs beside its state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LoanTerms {
    pub method: RepaymentMethod,
    /// 起息日: the start of the first period.
    pub value_date: Date,
}

/// What a prepayment on one day collects and what follows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PrepaymentQuote {
    /// The prepayment's value date.
    pub on: Date,
    pub payoff: bool,
    pub principal: Fen,
    /// Interest to the day collected with it.
    pub interest: Fen,
    /// `principal + interest`: what is collected.
    pub total: Fen,
    /// The instalments not yet due before, and after (empty after a payoff).
    pub before: Vec<Instalment>,
    pub after: Vec<Instalment>,
    /// Scheduled interest not yet due that the borrower no longer owes:
    /// the scheduled interest of `before`, less that of `after` and less the
    /// interest collected now.
    pub interest_saved: Fen,
}

/// A prepayment made: the new state and what to post, oldest first (the
/// nights the batch had not run yet, then the prepayment itself).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prepaid {
    pub state: LoanState,
    pub postings: Vec<Posting>,
    pub quote: PrepaymentQuote,
}

/// `a × b / c` rounded half up, for non-negative amounts.
fn prorate(a: Fen, b: Fen, c: Fen) -> Result<Fen, EodError> {
    let (a, b, c) = (
        i128::from(a.get()),
        i128::from(b.get()),
        i128::from(c.get()),
    );
    if a < 0 || b < 0 || c <= 0 {
        return Err(EodError::Overflow);
    }
    let v = (2 * a * b + c) / (2 * c);
    i64::try_from(v).map(Fen).map_err(|_| EodError::Overflow)
}

fn scheduled_interest(rows: &[Instalment]) -> Result<Fen, EodError> {
    rows.iter().try_fold(Fen::ZERO, |t, i| add(t, i.interest))
}

impl LoanState {
    /// The loan brought to the night before `on` and the quote of `request`
    /// on `on`. `self.schedule` must hold the whole schedule (every
    /// instalment, paid or not yet due).
    fn prepared(
        &self,
        request: PrepaymentRequest,
        terms: LoanTerms,
        rules: &EodRules,
        on: Date,
    ) -> Result<(LoanState, Vec<Posting>, PrepaymentQuote), EodError> {
        if matches!(self.status, LoanStatus::WrittenOff | LoanStatus::Settled) {
            return Err(EodError::LoanClosed);
        }
        if self.revolving_maturity.is_some() || terms.method == RepaymentMethod::Revolving {
            return Err(PrepaymentError::NotAmortising.into());
        }
        if on <= self.last_processed {
            return Err(EodError::DateBeforeLastProcessed);
        }
        let (s, postings) = catch_up(self, on.add_days(-1), rules)?;
        if s.dues()?.total()? > Fen::ZERO {
            return Err(EodError::DuesFirst);
        }
        let before: Vec<Instalment> = s
            .schedule
            .iter()
            .filter(|i| i.instalment.due_date > s.last_processed)
            .map(|i| i.instalment)
            .collect();
        let balance = s.principal_outstanding;
        let first = before.first().ok_or(PrepaymentError::NothingRemaining)?;
        if on >= first.due_date {
            return Err(PrepaymentError::DateOutsidePeriod.into());
        }
        let partial = match request {
            PrepaymentRequest::Partial { principal, .. } if principal.get() <= 0 => {
                return Err(PrepaymentError::AmountNotPositive.into())
            }
            PrepaymentRequest::Partial { principal, .. } if principal > balance => {
                return Err(PrepaymentError::ExceedsBalance { balance }.into())
            }
            PrepaymentRequest::Partial { principal, mode } if principal < balance => {
                Some((principal, mode))
            }
            _ => None,
        };
        let (principal, interest, after) = match partial {
            None => (balance, s.interest_receivable, Vec::new()),
            Some((principal, mode)) => {
                if terms.method == RepaymentMethod::Bullet {
                    return Err(PrepaymentError::NotAmortising.into());
                }
                let period_start = s
                    .schedule
                    .iter()
                    .map(|i| i.instalment.due_date)
                    .filter(|d| *d <= s.last_processed)
                    .max()
                    .unwrap_or(terms.value_date);
                let state = ScheduleState {
                    method: terms.method,
                    rate: s.rate,
                    frequency: Frequency::Monthly,
                    rounding: Rounding::HalfUpEachPeriod,
                    balance,
                    period_start,
                    remaining: before.clone(),
                };
                let after = ledger::prepay(&state, principal, mode, on)?;
                let interest = prorate(s.period_accrued, principal, balance)?;
                (principal, interest, after)
            }
        };
        let total = add(principal, interest)?;
        let saved = sub(
            sub(scheduled_interest(&before)?, scheduled_interest(&after)?)?,
            interest,
        )?;
        let quote = PrepaymentQuote {
            on,
            payoff: after.is_empty(),
            principal,
            interest,
            total,
            before,
            after,
            interest_saved: saved.max(Fen::ZERO),
        };
        Ok((s, postings, quote))
    }

    /// What `request` would collect on `on`, and the schedule after it.
    pub fn prepayment_quote(
        &self,
        request: PrepaymentRequest,
        terms: LoanTerms,
        rules: &EodRules,
        on: Date,
    ) -> Result<PrepaymentQuote, EodError> {
        Ok(self.prepared(request, terms, rules, on)?.2)
    }

    /// 提前还款 on `on` (after the last processed date), posted under `key`;
    /// see the module documentation for the rules.
    pub fn prepay(
        &self,
        request: PrepaymentRequest,
        terms: LoanTerms,
        rules: &EodRules,
        key: IdempotencyKey,
        on: Date,
    ) -> Result<Prepaid, EodError> {
        let (mut s, mut postings, quote) = self.prepared(request, terms, rules, on)?;
        let paid = Allocation {
            penalty: Fen::ZERO,
            interest: quote.interest,
            principal: quote.principal,
        };
        postings.push(Posting::repayment(key, on, &paid)?);
        s.interest_receivable = sub(s.interest_receivable, quote.interest)?;
        s.period_accrued = sub(s.period_accrued, quote.interest.min(s.period_accrued))?;
        s.principal_outstanding = sub(s.principal_outstanding, quote.principal)?;
        let processed = s.last_processed;
        s.schedule.retain(|i| i.instalment.due_date <= processed);
        s.schedule
            .extend(quote.after.iter().map(|&instalment| ScheduledInstalment {
                instalment,
                paid_principal: Fen::ZERO,
                paid_interest: Fen::ZERO,
            }));
        if quote.payoff {
            s.interest_carry = 0;
            s.penalty_carry = 0;
            s.period_accrued = Fen::ZERO;
        }
        s.settle_status();
        Ok(Prepaid {
            state: s,
            postings,
            quote,
        })
    }
}

#[cfg(test)]
mod tests;
