//! The end-of-day batch (日终跑批) for one loan, as a pure step: given the loan's
//! state and a business date it returns the new state and the postings to write.
//!
//! # What a day does, in order
//!
//! 1. **Due**: instalments due today become payable. Their scheduled interest is the
//!    contract; the interest accrued day by day over the period is aligned to it by
//!    one [`PostingKind::InterestAdjustment`] (either direction), so the receivable
//!    always equals the schedule and the daily accrual only decides *when* income is
//!    recognised.
//! 2. **Interest accrual**: on the principal not yet due, at 日利率 = 年利率 / 360.
//!    The numerator `principal × bp` is added to a carried remainder and the whole
//!    fen of `carry / 3,600,000` are posted, the rest carried (reset at each due
//!    date): over any days at a constant principal the postings sum to exactly
//!    `floor(principal × bp × days / 3,600,000)`, never drifting by a fen a day.
//! 3. **Penalty** (罚息) on overdue principal (instalments due before today and not
//!    paid) at the contract rate × [`EodRules::penalty_multiplier_permille`] / 1000
//!    (default 1.5), accrued the same way with its own carry. The due date itself is
//!    a grace day: principal falling due today earns neither contract nor penalty
//!    interest for today's night. No compound interest (复利) on overdue interest.
//! 4. **Days past due**: today − the oldest due date before today with principal or
//!    interest unpaid (unpaid penalty alone does not age a loan).
//! 5. **Classification** (五级分类) from the days past due by
//!    [`ClassificationThresholds`], never better than the loan's
//!    `min_classification` (a floor set by risk staff, e.g. for a restructured loan).
//! 6. **Status**: `Overdue` while days past due > 0, `Normal` again once paid,
//!    `Settled` when nothing is owed.
//!
//! A loan's `last_processed` date makes the batch restartable: a date not after it
//! is a no-op, a later date first runs every missed day in order ([`catch_up`]), and
//! each posting's idempotency key is derived from (loan id, business date, kind), so
//! re-running a day after a crash produces the same keys and storage keeps one copy.
//!
//! The batch on a date accrues that date's night, so a new loan starts with
//! `last_processed` the day before its value date. An instalment is payable once the
//! batch of its due date has run (the batch's own debit step pays it on that date).

use serde::{Deserialize, Serialize};
use thiserror::Error;

use super::ledger::{
    allocate_repayment, AllocationOrder, Dues, IdempotencyKey, LedgerError, Posting, PostingKind,
    PrepaymentError,
};
use super::schedule_options::DAILY_DENOMINATOR;
use crate::date::Date;
use crate::error_code::ErrorCode;
use crate::money::Fen;
use crate::rate::AnnualRate;
use crate::schedule::Instalment;

/// 五级分类, from best to worst (the derived order follows that).
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum Classification {
    /// 正常.
    #[default]
    Pass,
    /// 关注.
    SpecialMention,
    /// 次级.
    Substandard,
    /// 可疑.
    Doubtful,
    /// 损失.
    Loss,
}

impl Classification {
    pub const ALL: [Self; 5] = [
        Self::Pass,
        Self::SpecialMention,
        Self::Substandard,
        Self::Doubtful,
        Self::Loss,
    ];

    pub fn parse(s: &str) -> Option<Classification> {
        Self::ALL.into_iter().find(|c| c.as_str() == s)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pass => "pass",
            Self::SpecialMention => "special_mention",
            Self::Substandard => "substandard",
            Self::Doubtful => "doubtful",
            Self::Loss => "loss",
        }
    }

    /// Non-performing (不良): substandard, doubtful or loss.
    pub fn is_npl(self) -> bool {
        self >= Self::Substandard
    }
}

/// The state of a loan in servicing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LoanStatus {
    Normal,
    Overdue,
    /// 结清: nothing owed.
    Settled,
    /// 核销: written off; the batch no longer accrues.
    WrittenOff,
}

impl LoanStatus {
    pub const ALL: [Self; 4] = [Self::Normal, Self::Overdue, Self::Settled, Self::WrittenOff];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Normal => "normal",
            Self::Overdue => "overdue",
            Self::Settled => "settled",
            Self::WrittenOff => "written_off",
        }
    }

    pub fn parse(s: &str) -> Option<LoanStatus> {
        Self::ALL.into_iter().find(|c| c.as_str() == s)
    }

    /// Still accruing: normal or overdue.
    pub fn is_open(self) -> bool {
        matches!(self, Self::Normal | Self::Overdue)
    }
}

/// First day past due of each tier below Pass.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ClassificationThresholds {
    pub special_mention_from: u32,
    pub substandard_from: u32,
    pub doubtful_from: u32,
    pub loss_from: u32,
}

impl Default for ClassificationThresholds {
    /// 0 → 正常, 1–90 → 关注, 91–180 → 次级, 181–360 → 可疑, over 360 → 损失.
    fn default() -> Self {
        ClassificationThresholds {
            special_mention_from: 1,
            substandard_from: 91,
            doubtful_from: 181,
            loss_from: 361,
        }
    }
}

impl ClassificationThresholds {
    pub fn classify(&self, dpd: u32) -> Classification {
        if dpd >= self.loss_from {
            Classification::Loss
        } else if dpd >= self.doubtful_from {
            Classification::Doubtful
        } else if dpd >= self.substandard_from {
            Classification::Substandard
        } else if dpd >= self.special_mention_from {
            Classification::SpecialMention
        } else {
            Classification::Pass
        }
    }
}

/// The bank's batch parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct EodRules {
    /// Penalty rate = contract rate × this / 1000; 1500 (× 1.5) by default,
    /// 1000..=10000 accepted.
    pub penalty_multiplier_permille: u32,
    pub thresholds: ClassificationThresholds,
}

impl Default for EodRules {
    fn default() -> Self {
        EodRules {
            penalty_multiplier_permille: 1500,
            thresholds: ClassificationThresholds::default(),
        }
    }
}

impl EodRules {
    pub fn validate(&self) -> Result<(), EodError> {
        if !(1000..=10_000).contains(&self.penalty_multiplier_permille) {
            return Err(EodError::PenaltyMultiplierOutOfRange);
        }
        let t = self.thresholds;
        if !(1 <= t.special_mention_from
            && t.special_mention_from < t.substandard_from
            && t.substandard_from < t.doubtful_from
            && t.doubtful_from < t.loss_from)
        {
            return Err(EodError::ThresholdsNotIncreasing);
        }
        Ok(())
    }
}

/// A schedule line and how much of it has been paid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScheduledInstalment {
    pub instalment: Instalment,
    pub paid_principal: Fen,
    pub paid_interest: Fen,
}

impl ScheduledInstalment {
    pub fn unpaid_principal(&self) -> Fen {
        self.instalment.principal - self.paid_principal
    }

    pub fn unpaid_interest(&self) -> Fen {
        self.instalment.interest - self.paid_interest
    }

    pub fn is_paid(&self) -> bool {
        self.unpaid_principal() == Fen::ZERO && self.unpaid_interest() == Fen::ZERO
    }
}

/// Everything the batch needs to know about one loan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoanState {
    pub loan_id: String,
    pub rate: AnnualRate,
    pub principal_outstanding: Fen,
    pub interest_receivable: Fen,
    pub penalty_receivable: Fen,
    /// The loan's instalments with what is paid; empty for a revolving drawdown,
    /// which accrues on its balance and never falls due by schedule.
    pub schedule: Vec<ScheduledInstalment>,
    pub last_processed: Date,
    pub dpd: u32,
    pub classification: Classification,
    /// A floor for the classification (e.g. restructured loans: at least Substandard).
    pub min_classification: Classification,
    pub status: LoanStatus,
    /// Contract interest accrued since the last due date.
    pub period_accrued: Fen,
    /// Interest accrual remainder, in 1/3,600,000 fen.
    pub interest_carry: u64,
    /// Penalty accrual remainder, in 1/3,600,000,000 fen.
    pub penalty_carry: u64,
    /// `Some(maturity)` for a revolving drawdown (随借随还): no schedule, everything
    /// owed can be repaid at any time, and what is unpaid after the maturity date
    /// is overdue (penalty on the principal, days past due from the maturity).
    #[serde(default)]
    pub revolving_maturity: Option<Date>,
}

/// Why a batch step, a repayment or a loan set-up was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Error, Serialize, Deserialize)]
pub enum EodError {
    #[error("the penalty multiplier must be between 1000 and 10000 per mille")]
    PenaltyMultiplierOutOfRange,
    #[error("the classification thresholds must increase from 1")]
    ThresholdsNotIncreasing,
    #[error("the schedule's principal does not add up to the loan's")]
    ScheduleMismatch,
    #[error("the amounts are too large")]
    Overflow,
    #[error("the date is before the last processed business date")]
    DateBeforeLastProcessed,
    #[error("the loan is settled or written off")]
    LoanClosed,
    #[error("nothing is left to write off")]
    NothingToWriteOff,
    #[error("only a loan classified doubtful or loss may be written off")]
    WriteOffNotEligible,
    #[error("the maturity date must be after the value date")]
    MaturityNotAfterValueDate,
    #[error("what is due must be repaid before a prepayment")]
    DuesFirst,
    #[error(transparent)]
    Ledger(#[from] LedgerError),
    #[error(transparent)]
    Prepayment(#[from] PrepaymentError),
}

impl EodError {
    /// Its [`ErrorCode`], which chooses the message the user reads.
    pub fn code(&self) -> ErrorCode {
        match self {
            Self::PenaltyMultiplierOutOfRange => ErrorCode::EodPenaltyMultiplierOutOfRange,
            Self::ThresholdsNotIncreasing => ErrorCode::EodThresholdsNotIncreasing,
            Self::ScheduleMismatch => ErrorCode::EodScheduleMismatch,
            Self::Overflow => ErrorCode::EodOverflow,
            Self::DateBeforeLastProcessed => ErrorCode::EodDateBeforeLastProcessed,
            Self::LoanClosed => ErrorCode::EodLoanClosed,
            Self::NothingToWriteOff => ErrorCode::EodNothingToWriteOff,
            Self::WriteOffNotEligible => ErrorCode::WriteOffNotEligible,
            Self::MaturityNotAfterValueDate => ErrorCode::EodMaturityNotAfterValueDate,
            Self::DuesFirst => ErrorCode::PrepaymentDuesFirst,
            Self::Ledger(e) => e.code(),
            Self::Prepayment(e) => e.code(),
        }
    }
}

fn add(a: Fen, b: Fen) -> Result<Fen, EodError> {
    a.checked_add(b).ok_or(EodError::Overflow)
}

fn sub(a: Fen, b: Fen) -> Result<Fen, EodError> {
    a.checked_sub(b).ok_or(EodError::Overflow)
}

/// `whole fen, new carry` of `amount × factor + carry` over `den`.
fn accrue(amount: Fen, factor: u128, carry: u64, den: u128) -> Result<(Fen, u64), EodError> {
    let base = u128::from(amount.get().max(0).unsigned_abs());
    let num = base
        .checked_mul(factor)
        .and_then(|n| n.checked_add(u128::from(carry)))
        .ok_or(EodError::Overflow)?;
    let fen = i64::try_from(num / den).map_err(|_| EodError::Overflow)?;
    // The remainder is below `den`, which fits in u64.
    let carry = u64::try_from(num % den).map_err(|_| EodError::Overflow)?;
    Ok((Fen(fen), carry))
}

impl LoanState {
    /// 放款: the state of a loan disbursed on `value_date` and its disbursement
    /// posting. `schedule` is the loan's schedule (empty for a revolving drawdown).
    pub fn disburse(
        loan_id: &str,
        rate: AnnualRate,
        principal: Fen,
        schedule: &[Instalment],
        value_date: Date,
    ) -> Result<(LoanState, Posting), EodError> {
        if !schedule.is_empty() && schedule.iter().map(|i| i.principal).sum::<Fen>() != principal {
            return Err(EodError::ScheduleMismatch);
        }
        let key = IdempotencyKey::derive(loan_id, value_date, PostingKind::Disbursement)?;
        let posting = Posting::disbursement(key, value_date, principal)?;
        let state = LoanState {
            loan_id: loan_id.to_owned(),
            rate,
            principal_outstanding: principal,
            interest_receivable: Fen::ZERO,
            penalty_receivable: Fen::ZERO,
            schedule: schedule
                .iter()
                .map(|&instalment| ScheduledInstalment {
                    instalment,
                    paid_principal: Fen::ZERO,
                    paid_interest: Fen::ZERO,
                })
                .collect(),
            last_processed: value_date.add_days(-1),
            dpd: 0,
            classification: Classification::Pass,
            min_classification: Classification::Pass,
            status: LoanStatus::Normal,
            period_accrued: Fen::ZERO,
            interest_carry: 0,
            penalty_carry: 0,
            revolving_maturity: None,
        };
        Ok((state, posting))
    }

    /// 随借随还: a revolving drawdown of `principal` on `value_date`, repayable at any
    /// time and due in full on `maturity`.
    pub fn disburse_revolving(
        loan_id: &str,
        rate: AnnualRate,
        principal: Fen,
        value_date: Date,
        maturity: Date,
    ) -> Result<(LoanState, Posting), EodError> {
        if maturity <= value_date {
            return Err(EodError::MaturityNotAfterValueDate);
        }
        let (mut state, posting) = LoanState::disburse(loan_id, rate, principal, &[], value_date)?;
        state.revolving_maturity = Some(maturity);
        Ok((state, posting))
    }

    fn key(&self, on: Date, kind: PostingKind) -> Result<IdempotencyKey, EodError> {
        Ok(IdempotencyKey::derive(&self.loan_id, on, kind)?)
    }

    /// Unpaid principal of instalments due on or before `on` (for a revolving
    /// drawdown: all of it once the maturity date is reached).
    fn principal_due_by(&self, on: Date) -> Result<Fen, EodError> {
        if let Some(maturity) = self.revolving_maturity {
            return Ok(if on >= maturity {
                self.principal_outstanding
            } else {
                Fen::ZERO
            });
        }
        self.schedule
            .iter()
            .filter(|s| s.instalment.due_date <= on)
            .try_fold(Fen::ZERO, |t, s| add(t, s.unpaid_principal()))
    }

    /// What can be repaid now: the penalty receivable and the unpaid parts of the
    /// instalments whose due date the batch has processed.
    pub fn dues(&self) -> Result<Dues, EodError> {
        if self.revolving_maturity.is_some() {
            return Ok(Dues {
                penalty: self.penalty_receivable,
                interest: self.interest_receivable,
                principal: self.principal_outstanding,
            });
        }
        let due = self
            .schedule
            .iter()
            .filter(|s| s.instalment.due_date <= self.last_processed);
        let interest = due
            .clone()
            .try_fold(Fen::ZERO, |t, s| add(t, s.unpaid_interest()))?;
        let principal = due
            .clone()
            .try_fold(Fen::ZERO, |t, s| add(t, s.unpaid_principal()))?;
        Ok(Dues {
            penalty: self.penalty_receivable,
            interest,
            principal,
        })
    }

    /// Days past due as of the end of `on`.
    fn dpd_on(&self, on: Date) -> u32 {
        if let Some(maturity) = self.revolving_maturity {
            let owed =
                self.principal_outstanding > Fen::ZERO || self.interest_receivable > Fen::ZERO;
            return if owed && maturity < on {
                u32::try_from(maturity.days_until(on)).unwrap_or(u32::MAX)
            } else {
                0
            };
        }
        self.schedule
            .iter()
            .filter(|s| s.instalment.due_date < on && !s.is_paid())
            .map(|s| s.instalment.due_date)
            .min()
            .map_or(0, |oldest| {
                u32::try_from(oldest.days_until(on)).unwrap_or(u32::MAX)
            })
    }

    fn settle_status(&mut self) {
        if self.status == LoanStatus::WrittenOff {
            return;
        }
        self.status = if self.principal_outstanding == Fen::ZERO
            && self.interest_receivable == Fen::ZERO
            && self.penalty_receivable == Fen::ZERO
        {
            LoanStatus::Settled
        } else if self.dpd > 0 {
            LoanStatus::Overdue
        } else {
            LoanStatus::Normal
        };
    }

    /// One business day, `on` being the day after `last_processed`.
    fn step(&self, on: Date, rules: &EodRules) -> Result<(LoanState, Vec<Posting>), EodError> {
        let mut s = self.clone();
        s.last_processed = on;
        if matches!(s.status, LoanStatus::WrittenOff | LoanStatus::Settled) {
            return Ok((s, Vec::new()));
        }
        let mut postings = Vec::new();
        let bp = u128::from(s.rate.bp());

        // 1. Due today: align the period's accrual to the scheduled interest.
        let mut due_today = s
            .schedule
            .iter()
            .filter(|i| i.instalment.due_date == on)
            .peekable();
        if due_today.peek().is_some() {
            let scheduled = due_today.try_fold(Fen::ZERO, |t, i| add(t, i.instalment.interest))?;
            let delta = sub(scheduled, s.period_accrued)?;
            if delta != Fen::ZERO {
                let key = s.key(on, PostingKind::InterestAdjustment)?;
                postings.push(Posting::interest_adjustment(key, on, delta)?);
                s.interest_receivable = add(s.interest_receivable, delta)?;
            }
            s.period_accrued = Fen::ZERO;
            s.interest_carry = 0;
        }

        // 2. Contract interest on the principal not yet due.
        let not_due = sub(s.principal_outstanding, s.principal_due_by(on)?)?;
        let (interest, carry) = accrue(not_due, bp, s.interest_carry, DAILY_DENOMINATOR)?;
        s.interest_carry = carry;
        if interest > Fen::ZERO {
            let key = s.key(on, PostingKind::InterestAccrual)?;
            postings.push(Posting::interest_accrual(key, on, interest)?);
            s.interest_receivable = add(s.interest_receivable, interest)?;
            s.period_accrued = add(s.period_accrued, interest)?;
        }

        // 3. Penalty on principal overdue (due before today).
        let overdue = s.principal_due_by(on.add_days(-1))?;
        let factor = bp * u128::from(rules.penalty_multiplier_permille);
        let (penalty, carry) = accrue(overdue, factor, s.penalty_carry, DAILY_DENOMINATOR * 1000)?;
        s.penalty_carry = carry;
        if penalty > Fen::ZERO {
            let key = s.key(on, PostingKind::PenaltyAccrual)?;
            postings.push(Posting::penalty_accrual(key, on, penalty)?);
            s.penalty_receivable = add(s.penalty_receivable, penalty)?;
        }

        // 4–6. Days past due, classification, status.
        s.dpd = s.dpd_on(on);
        s.classification = rules.thresholds.classify(s.dpd).max(s.min_classification);
        s.settle_status();
        Ok((s, postings))
    }

    /// 还款: pays what is due (see [`LoanState::dues`]) in `order`, oldest instalment
    /// first within interest and within principal, on a date not before the last
    /// processed one. The status follows at once (back to `Normal` when nothing is
    /// overdue); the classification is re-assessed by the next batch.
    pub fn repay(
        &self,
        amount: Fen,
        order: AllocationOrder,
        key: IdempotencyKey,
        on: Date,
    ) -> Result<(LoanState, Posting), EodError> {
        if on < self.last_processed {
            return Err(EodError::DateBeforeLastProcessed);
        }
        if matches!(self.status, LoanStatus::WrittenOff | LoanStatus::Settled) {
            return Err(EodError::LoanClosed);
        }
        let a = allocate_repayment(amount, self.dues()?, order)?;
        let posting = Posting::repayment(key, on, &a)?;
        let mut s = self.clone();
        let (mut interest, mut principal) = (a.interest, a.principal);
        let processed = self.last_processed;
        for i in s
            .schedule
            .iter_mut()
            .filter(|i| i.instalment.due_date <= processed)
        {
            let pi = interest.min(i.unpaid_interest());
            i.paid_interest = add(i.paid_interest, pi)?;
            interest = sub(interest, pi)?;
            let pp = principal.min(i.unpaid_principal());
            i.paid_principal = add(i.paid_principal, pp)?;
            principal = sub(principal, pp)?;
        }
        s.penalty_receivable = sub(s.penalty_receivable, a.penalty)?;
        s.interest_receivable = sub(s.interest_receivable, a.interest)?;
        s.principal_outstanding = sub(s.principal_outstanding, a.principal)?;
        s.dpd = s.dpd_on(processed);
        s.settle_status();
        Ok((s, posting))
    }

    /// May this loan be written off? Only a closed-out bad debt: open, and
    /// classified doubtful or loss (可疑、损失类, by default more than 180
    /// days past due), as the rules on bad-debt write-off (呆账核销) ask.
    pub fn may_write_off(&self) -> Result<(), EodError> {
        if matches!(self.status, LoanStatus::WrittenOff | LoanStatus::Settled) {
            return Err(EodError::LoanClosed);
        }
        if !matches!(
            self.classification,
            Classification::Doubtful | Classification::Loss
        ) {
            return Err(EodError::WriteOffNotEligible);
        }
        Ok(())
    }

    /// 核销: writes off everything owed on `on` (not before the last processed
    /// date); the batch stops accruing.
    pub fn write_off(&self, on: Date) -> Result<(LoanState, Posting), EodError> {
        if on < self.last_processed {
            return Err(EodError::DateBeforeLastProcessed);
        }
        if matches!(self.status, LoanStatus::WrittenOff | LoanStatus::Settled) {
            return Err(EodError::LoanClosed);
        }
        let what = Dues {
            penalty: self.penalty_receivable,
            interest: self.interest_receivable,
            principal: self.principal_outstanding,
        };
        if what.total()? == Fen::ZERO {
            return Err(EodError::NothingToWriteOff);
        }
        let posting = Posting::write_off(self.key(on, PostingKind::WriteOff)?, on, &what)?;
        let mut s = self.clone();
        s.penalty_receivable = Fen::ZERO;
        s.interest_receivable = Fen::ZERO;
        s.principal_outstanding = Fen::ZERO;
        s.status = LoanStatus::WrittenOff;
        s.classification = Classification::Loss;
        Ok((s, posting))
    }
}

/// Runs the batch of `business_date` for one loan. A date not after
/// `last_processed` is a no-op (no postings, state unchanged); a later date runs
/// every missed day first, as [`catch_up`] does.
pub fn run_day(
    state: &LoanState,
    business_date: Date,
    rules: &EodRules,
) -> Result<(LoanState, Vec<Posting>), EodError> {
    catch_up(state, business_date, rules)
}

/// Runs each day after `last_processed` up to and including `to_date`, in order.
pub fn catch_up(
    state: &LoanState,
    to_date: Date,
    rules: &EodRules,
) -> Result<(LoanState, Vec<Posting>), EodError> {
    rules.validate()?;
    let mut s = state.clone();
    let mut postings = Vec::new();
    while s.last_processed < to_date {
        let (next, mut p) = s.step(s.last_processed.add_days(1), rules)?;
        s = next;
        postings.append(&mut p);
    }
    Ok((s, postings))
}

mod prepay;
pub use prepay::{LoanTerms, Prepaid, PrepaymentKind, PrepaymentQuote, PrepaymentRequest};

#[cfg(test)]
mod tests;
