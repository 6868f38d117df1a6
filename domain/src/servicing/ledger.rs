//! The loan ledger (核算): a small chart of accounts, balanced double-entry
//! [`Posting`]s with idempotency keys, repayment allocation over what is due, and
//! prepayment (提前还款) that shortens the term or lowers the instalment.
//!
//! Every money movement is a posting whose debits equal its credits, built by one
//! constructor per [`PostingKind`] so that a caller cannot write an unbalanced one;
//! [`Posting::validate`] checks a posting from elsewhere (e.g. read back from
//! storage) against the same rules.
//!
//! Repayment of what is due ([`allocate_repayment`]) and prepayment of principal not
//! yet due ([`prepay`]) are separate paths on purpose: an amount larger than what is
//! due is refused, not silently turned into a prepayment.

use serde::{Deserialize, Serialize};
use thiserror::Error;

use super::schedule_options::{
    build_schedule_with, level_payment, FirstDue, Frequency, Rounding, ScheduleSpec,
    ScheduleSpecError,
};
use crate::date::Date;
use crate::error_code::ErrorCode;
use crate::money::Fen;
use crate::rate::AnnualRate;
use crate::schedule::{Instalment, RepaymentMethod};

/// The chart of accounts the servicing postings use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Account {
    /// 贷款本金: loan principal receivable (asset).
    LoanPrincipal,
    /// 应收利息: interest receivable (asset).
    InterestReceivable,
    /// 应收罚息: penalty interest receivable (asset).
    PenaltyReceivable,
    /// 利息收入: interest income.
    InterestIncome,
    /// 罚息收入: penalty interest income.
    PenaltyIncome,
    /// 清算账户: the customer's settlement account / cash.
    Settlement,
    /// 核销 (贷款损失准备): loss allowance used on write-off.
    LossAllowance,
}

impl Account {
    pub fn parse(s: &str) -> Option<Account> {
        Self::ALL.into_iter().find(|a| a.as_str() == s)
    }

    pub const ALL: [Self; 7] = [
        Self::LoanPrincipal,
        Self::InterestReceivable,
        Self::PenaltyReceivable,
        Self::InterestIncome,
        Self::PenaltyIncome,
        Self::Settlement,
        Self::LossAllowance,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::LoanPrincipal => "loan_principal",
            Self::InterestReceivable => "interest_receivable",
            Self::PenaltyReceivable => "penalty_receivable",
            Self::InterestIncome => "interest_income",
            Self::PenaltyIncome => "penalty_income",
            Self::Settlement => "settlement",
            Self::LossAllowance => "loss_allowance",
        }
    }
}

/// What a posting records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PostingKind {
    /// 放款.
    Disbursement,
    /// 还款.
    Repayment,
    /// 利息计提.
    InterestAccrual,
    /// Aligns accrued interest with the schedule's interest when an instalment falls
    /// due (either direction); see `eod`.
    InterestAdjustment,
    /// 罚息计提.
    PenaltyAccrual,
    /// 核销.
    WriteOff,
    /// 期初余额: a loan migrated from the previous core system, its history netted
    /// into one posting per account (see [`Posting::opening_balance`]).
    OpeningBalance,
}

impl PostingKind {
    pub const ALL: [Self; 7] = [
        Self::Disbursement,
        Self::Repayment,
        Self::InterestAccrual,
        Self::InterestAdjustment,
        Self::PenaltyAccrual,
        Self::WriteOff,
        Self::OpeningBalance,
    ];

    pub fn parse(s: &str) -> Option<PostingKind> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Disbursement => "disbursement",
            Self::Repayment => "repayment",
            Self::InterestAccrual => "interest_accrual",
            Self::InterestAdjustment => "interest_adjustment",
            Self::PenaltyAccrual => "penalty_accrual",
            Self::WriteOff => "write_off",
            Self::OpeningBalance => "opening_balance",
        }
    }
}

/// Makes a retried write harmless: storage keeps one posting per key.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct IdempotencyKey(String);

impl IdempotencyKey {
    /// Longest accepted key, in bytes.
    pub const MAX_LEN: usize = 200;

    /// A caller's key (e.g. a payment reference): 1..=200 bytes, no whitespace or
    /// control characters.
    pub fn parse(s: &str) -> Result<IdempotencyKey, LedgerError> {
        if s.is_empty()
            || s.len() > Self::MAX_LEN
            || s.chars().any(|c| c.is_whitespace() || c.is_control())
        {
            return Err(LedgerError::KeyInvalid);
        }
        Ok(IdempotencyKey(s.to_owned()))
    }

    /// The key of a batch posting: `"{loan_id}:{date}:{kind}"`, the same every time
    /// the same day is run for the same loan, which is what makes the batch
    /// restartable.
    pub fn derive(
        loan_id: &str,
        business_date: Date,
        kind: PostingKind,
    ) -> Result<IdempotencyKey, LedgerError> {
        Self::parse(&format!("{loan_id}:{business_date}:{}", kind.as_str()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for IdempotencyKey {
    type Error = LedgerError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        IdempotencyKey::parse(&s)
    }
}

impl From<IdempotencyKey> for String {
    fn from(k: IdempotencyKey) -> String {
        k.0
    }
}

/// One side of one account in a posting: exactly one of `debit` and `credit` is
/// positive, the other zero.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Line {
    pub account: Account,
    pub debit: Fen,
    pub credit: Fen,
}

impl Line {
    pub fn debit(account: Account, amount: Fen) -> Line {
        Line {
            account,
            debit: amount,
            credit: Fen::ZERO,
        }
    }

    pub fn credit(account: Account, amount: Fen) -> Line {
        Line {
            account,
            debit: Fen::ZERO,
            credit: amount,
        }
    }
}

/// A balanced double-entry posting.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Posting {
    pub idempotency_key: IdempotencyKey,
    pub business_date: Date,
    pub kind: PostingKind,
    pub lines: Vec<Line>,
}

/// Why a posting, an allocation or a key was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Error, Serialize, Deserialize)]
pub enum LedgerError {
    #[error("the amount must be positive")]
    AmountNotPositive,
    #[error("an amount due is negative")]
    NegativeDue,
    #[error("the posting has no lines")]
    Empty,
    #[error("a line has a negative amount")]
    NegativeLine,
    #[error("a line has no amount")]
    ZeroLine,
    #[error("a line has both a debit and a credit")]
    TwoSidedLine,
    #[error("debits {debit} and credits {credit} differ")]
    Unbalanced { debit: Fen, credit: Fen },
    #[error("the amounts are too large")]
    Overflow,
    #[error("the idempotency key is empty, too long or has spaces")]
    KeyInvalid,
    #[error("the amount exceeds the {outstanding} due")]
    ExceedsOutstanding { outstanding: Fen },
    #[error("the allocation order must name penalty, interest and principal once each")]
    OrderNotPermutation,
}

impl LedgerError {
    /// Its [`ErrorCode`], which chooses the message the user reads.
    pub fn code(&self) -> ErrorCode {
        match self {
            Self::AmountNotPositive => ErrorCode::LedgerAmountNotPositive,
            Self::NegativeDue => ErrorCode::LedgerNegativeDue,
            Self::Empty => ErrorCode::LedgerPostingEmpty,
            Self::NegativeLine => ErrorCode::LedgerNegativeLine,
            Self::ZeroLine => ErrorCode::LedgerZeroLine,
            Self::TwoSidedLine => ErrorCode::LedgerTwoSidedLine,
            Self::Unbalanced { .. } => ErrorCode::LedgerUnbalanced,
            Self::Overflow => ErrorCode::LedgerOverflow,
            Self::KeyInvalid => ErrorCode::LedgerKeyInvalid,
            Self::ExceedsOutstanding { .. } => ErrorCode::LedgerExceedsOutstanding,
            Self::OrderNotPermutation => ErrorCode::LedgerOrderNotPermutation,
        }
    }
}

fn positive(amount: Fen) -> Result<Fen, LedgerError> {
    if amount.get() > 0 {
        Ok(amount)
    } else {
        Err(LedgerError::AmountNotPositive)
    }
}

fn sum(amounts: impl IntoIterator<Item = Fen>) -> Result<Fen, LedgerError> {
    amounts
        .into_iter()
        .try_fold(Fen::ZERO, Fen::checked_add)
        .ok_or(LedgerError::Overflow)
}

impl Posting {
    fn build(
        key: IdempotencyKey,
        business_date: Date,
        kind: PostingKind,
        lines: Vec<Line>,
    ) -> Result<Posting, LedgerError> {
        let p = Posting {
            idempotency_key: key,
            business_date,
            kind,
            // Zero parts of a split (e.g. no penalty repaid) are simply left out.
            lines: lines
                .into_iter()
                .filter(|l| l.debit != Fen::ZERO || l.credit != Fen::ZERO)
                .collect(),
        };
        p.validate()?;
        Ok(p)
    }

    /// 期初余额迁移: the net effect of `history` on each account as one posting, for a
    /// loan taken over from the previous core system with its balances. Balanced
    /// because every posting of the history is.
    pub fn opening_balance(
        key: IdempotencyKey,
        on: Date,
        history: &[Posting],
    ) -> Result<Posting, LedgerError> {
        let lines = Account::ALL
            .into_iter()
            .filter_map(|account| {
                let net: Fen = history.iter().map(|p| p.net(account)).sum();
                match net.get() {
                    0 => None,
                    n if n > 0 => Some(Line::debit(account, net)),
                    _ => Some(Line::credit(account, Fen::ZERO - net)),
                }
            })
            .collect();
        Self::build(key, on, PostingKind::OpeningBalance, lines)
    }

    /// 放款: Dr loan principal, Cr settlement.
    pub fn disbursement(
        key: IdempotencyKey,
        on: Date,
        amount: Fen,
    ) -> Result<Posting, LedgerError> {
        let a = positive(amount)?;
        Self::build(
            key,
            on,
            PostingKind::Disbursement,
            vec![
                Line::debit(Account::LoanPrincipal, a),
                Line::credit(Account::Settlement, a),
            ],
        )
    }

    /// 还款: Dr settlement the total; Cr each receivable its part.
    pub fn repayment(
        key: IdempotencyKey,
        on: Date,
        a: &Allocation,
    ) -> Result<Posting, LedgerError> {
        let total = positive(a.total()?)?;
        Self::build(
            key,
            on,
            PostingKind::Repayment,
            vec![
                Line::debit(Account::Settlement, total),
                Line::credit(Account::PenaltyReceivable, a.penalty),
                Line::credit(Account::InterestReceivable, a.interest),
                Line::credit(Account::LoanPrincipal, a.principal),
            ],
        )
    }

    /// 利息计提: Dr interest receivable, Cr interest income.
    pub fn interest_accrual(
        key: IdempotencyKey,
        on: Date,
        amount: Fen,
    ) -> Result<Posting, LedgerError> {
        let a = positive(amount)?;
        Self::build(
            key,
            on,
            PostingKind::InterestAccrual,
            vec![
                Line::debit(Account::InterestReceivable, a),
                Line::credit(Account::InterestIncome, a),
            ],
        )
    }

    /// A signed, non-zero correction of accrued interest: positive raises the
    /// receivable (like an accrual), negative reverses part of it.
    pub fn interest_adjustment(
        key: IdempotencyKey,
        on: Date,
        delta: Fen,
    ) -> Result<Posting, LedgerError> {
        let a = Fen(delta.get().checked_abs().ok_or(LedgerError::Overflow)?);
        positive(a)?;
        let (dr, cr) = if delta.get() > 0 {
            (Account::InterestReceivable, Account::InterestIncome)
        } else {
            (Account::InterestIncome, Account::InterestReceivable)
        };
        Self::build(
            key,
            on,
            PostingKind::InterestAdjustment,
            vec![Line::debit(dr, a), Line::credit(cr, a)],
        )
    }

    /// 罚息计提: Dr penalty receivable, Cr penalty income.
    pub fn penalty_accrual(
        key: IdempotencyKey,
        on: Date,
        amount: Fen,
    ) -> Result<Posting, LedgerError> {
        let a = positive(amount)?;
        Self::build(
            key,
            on,
            PostingKind::PenaltyAccrual,
            vec![
                Line::debit(Account::PenaltyReceivable, a),
                Line::credit(Account::PenaltyIncome, a),
            ],
        )
    }

    /// 核销: Dr loss allowance the total; Cr each receivable written off.
    pub fn write_off(key: IdempotencyKey, on: Date, what: &Dues) -> Result<Posting, LedgerError> {
        what.check()?;
        let total = positive(what.total()?)?;
        Self::build(
            key,
            on,
            PostingKind::WriteOff,
            vec![
                Line::debit(Account::LossAllowance, total),
                Line::credit(Account::PenaltyReceivable, what.penalty),
                Line::credit(Account::InterestReceivable, what.interest),
                Line::credit(Account::LoanPrincipal, what.principal),
            ],
        )
    }

    /// Refuses a posting with no lines, a negative or zero line, a line on both
    /// sides, or debits that differ from credits.
    pub fn validate(&self) -> Result<(), LedgerError> {
        if self.lines.is_empty() {
            return Err(LedgerError::Empty);
        }
        for l in &self.lines {
            if l.debit.get() < 0 || l.credit.get() < 0 {
                return Err(LedgerError::NegativeLine);
            }
            if l.debit == Fen::ZERO && l.credit == Fen::ZERO {
                return Err(LedgerError::ZeroLine);
            }
            if l.debit != Fen::ZERO && l.credit != Fen::ZERO {
                return Err(LedgerError::TwoSidedLine);
            }
        }
        let debit = sum(self.lines.iter().map(|l| l.debit))?;
        let credit = sum(self.lines.iter().map(|l| l.credit))?;
        if debit != credit {
            return Err(LedgerError::Unbalanced { debit, credit });
        }
        Ok(())
    }

    /// Sum of the debits (equal to the credits of a valid posting).
    pub fn total(&self) -> Fen {
        self.lines.iter().map(|l| l.debit).sum()
    }

    /// The net effect on `account`: debits minus credits.
    pub fn net(&self, account: Account) -> Fen {
        self.lines
            .iter()
            .filter(|l| l.account == account)
            .map(|l| l.debit - l.credit)
            .sum()
    }
}

/// A part of what a borrower owes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Component {
    Penalty,
    Interest,
    Principal,
}

/// The order a repayment pays the components in: a permutation of the three. The
/// default, and the common rule, is penalty, then interest, then principal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "[Component; 3]", into = "[Component; 3]")]
pub struct AllocationOrder([Component; 3]);

impl AllocationOrder {
    pub fn new(order: [Component; 3]) -> Result<AllocationOrder, LedgerError> {
        let has = |c| order.contains(&c);
        if has(Component::Penalty) && has(Component::Interest) && has(Component::Principal) {
            Ok(AllocationOrder(order))
        } else {
            Err(LedgerError::OrderNotPermutation)
        }
    }

    pub fn components(self) -> [Component; 3] {
        self.0
    }

    /// `"penalty,interest,principal"`: how a product stores it.
    pub fn to_code(self) -> String {
        self.0.map(Component::as_str).join(",")
    }

    pub fn parse(s: &str) -> Result<AllocationOrder, LedgerError> {
        let parts: Vec<Component> = s
            .split(',')
            .map(|p| Component::parse(p.trim()).ok_or(LedgerError::OrderNotPermutation))
            .collect::<Result<_, _>>()?;
        let order: [Component; 3] = parts
            .try_into()
            .map_err(|_| LedgerError::OrderNotPermutation)?;
        AllocationOrder::new(order)
    }
}

impl Component {
    pub const ALL: [Self; 3] = [Self::Penalty, Self::Interest, Self::Principal];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Penalty => "penalty",
            Self::Interest => "interest",
            Self::Principal => "principal",
        }
    }

    pub fn parse(s: &str) -> Option<Component> {
        Self::ALL.into_iter().find(|c| c.as_str() == s)
    }
}

impl Default for AllocationOrder {
    fn default() -> Self {
        AllocationOrder([
            Component::Penalty,
            Component::Interest,
            Component::Principal,
        ])
    }
}

impl TryFrom<[Component; 3]> for AllocationOrder {
    type Error = LedgerError;
    fn try_from(order: [Component; 3]) -> Result<Self, Self::Error> {
        AllocationOrder::new(order)
    }
}

impl From<AllocationOrder> for [Component; 3] {
    fn from(o: AllocationOrder) -> Self {
        o.0
    }
}

/// What is due now, by component.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Dues {
    pub penalty: Fen,
    pub interest: Fen,
    pub principal: Fen,
}

impl Dues {
    fn check(&self) -> Result<(), LedgerError> {
        if [self.penalty, self.interest, self.principal]
            .iter()
            .any(|f| f.get() < 0)
        {
            return Err(LedgerError::NegativeDue);
        }
        Ok(())
    }

    pub fn total(&self) -> Result<Fen, LedgerError> {
        sum([self.penalty, self.interest, self.principal])
    }

    fn get(&self, c: Component) -> Fen {
        match c {
            Component::Penalty => self.penalty,
            Component::Interest => self.interest,
            Component::Principal => self.principal,
        }
    }
}

/// How a repayment was split; the same shape as [`Dues`].
pub type Allocation = Dues;

/// Splits a repayment over what is due, in `order`. Refuses a non-positive amount
/// and an amount above the total due (prepayment of principal not yet due is
/// [`prepay`], a separate decision).
pub fn allocate_repayment(
    amount: Fen,
    dues: Dues,
    order: AllocationOrder,
) -> Result<Allocation, LedgerError> {
    positive(amount)?;
    dues.check()?;
    let outstanding = dues.total()?;
    if amount > outstanding {
        return Err(LedgerError::ExceedsOutstanding { outstanding });
    }
    let mut left = amount;
    let mut out = Allocation::default();
    for c in order.components() {
        let part = left.min(dues.get(c));
        left -= part;
        match c {
            Component::Penalty => out.penalty = part,
            Component::Interest => out.interest = part,
            Component::Principal => out.principal = part,
        }
    }
    Ok(out)
}

/// What prepayment keeps after a principal prepayment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PrepaymentMode {
    /// 缩短期限: keep the instalment (or principal part), pay off sooner.
    ShortenTerm,
    /// 减少月供: keep the term, lower the instalment.
    LowerInstalment,
}

/// The part of a loan's schedule that is not yet due.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScheduleState {
    pub method: RepaymentMethod,
    pub rate: AnnualRate,
    pub frequency: Frequency,
    pub rounding: Rounding,
    /// Principal not yet due; equals the sum of `remaining` principal parts.
    pub balance: Fen,
    /// Start of the current period: the last past due date, or the value date.
    pub period_start: Date,
    /// Instalments not yet due, in order.
    pub remaining: Vec<Instalment>,
}

/// Why a prepayment was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Error, Serialize, Deserialize)]
pub enum PrepaymentError {
    #[error("the amount must be positive")]
    AmountNotPositive,
    #[error("the amount exceeds the {balance} principal not yet due")]
    ExceedsBalance { balance: Fen },
    #[error("no instalment remains")]
    NothingRemaining,
    #[error("the remaining instalments do not add up to the balance")]
    BalanceMismatch,
    #[error("the date must be in the current period, before the next due date")]
    DateOutsidePeriod,
    #[error("bullet and revolving loans are repaid, not re-scheduled")]
    NotAmortising,
    #[error("interest-only loans can only lower the instalment")]
    ModeNotSupported,
    #[error(transparent)]
    Schedule(#[from] ScheduleSpecError),
}

impl PrepaymentError {
    /// Its [`ErrorCode`], which chooses the message the user reads.
    pub fn code(&self) -> ErrorCode {
        match self {
            Self::AmountNotPositive => ErrorCode::PrepaymentAmountNotPositive,
            Self::ExceedsBalance { .. } => ErrorCode::PrepaymentExceedsBalance,
            Self::NothingRemaining => ErrorCode::PrepaymentNothingRemaining,
            Self::BalanceMismatch => ErrorCode::PrepaymentBalanceMismatch,
            Self::DateOutsidePeriod => ErrorCode::PrepaymentDateOutsidePeriod,
            Self::NotAmortising => ErrorCode::PrepaymentNotAmortising,
            Self::ModeNotSupported => ErrorCode::PrepaymentModeNotSupported,
            Self::Schedule(e) => e.code(),
        }
    }
}

/// Prepays `amount` of principal on `date` and returns the new remaining schedule.
///
/// The remaining balance is re-scheduled with the same rate, rounding and period
/// length, as regular periods from `period_start`; the new instalments keep the old
/// numbers and due dates (the first `m` of them). `ShortenTerm` keeps the level
/// payment (equal instalment: the fewest periods whose level payment is not above
/// the old one) or the principal part (equal principal: `ceil(balance / part)`
/// periods); `LowerInstalment` keeps the number of periods. A prepayment of the
/// whole balance returns no instalments. Interest on the prepaid principal up to
/// `date` is the daily accrual's business (see `eod`), not this function's.
pub fn prepay(
    state: &ScheduleState,
    amount: Fen,
    mode: PrepaymentMode,
    date: Date,
) -> Result<Vec<Instalment>, PrepaymentError> {
    if amount.get() <= 0 {
        return Err(PrepaymentError::AmountNotPositive);
    }
    let first = state
        .remaining
        .first()
        .ok_or(PrepaymentError::NothingRemaining)?;
    if state.remaining.iter().map(|i| i.principal).sum::<Fen>() != state.balance {
        return Err(PrepaymentError::BalanceMismatch);
    }
    if amount > state.balance {
        return Err(PrepaymentError::ExceedsBalance {
            balance: state.balance,
        });
    }
    if date < state.period_start || date >= first.due_date {
        return Err(PrepaymentError::DateOutsidePeriod);
    }
    if matches!(
        state.method,
        RepaymentMethod::Bullet | RepaymentMethod::Revolving
    ) {
        return Err(PrepaymentError::NotAmortising);
    }
    let balance = state.balance - amount;
    if balance == Fen::ZERO {
        return Ok(Vec::new());
    }
    // remaining.len() ≤ 480 as it came from a schedule; saturate rather than wrap.
    let n = u32::try_from(state.remaining.len()).unwrap_or(u32::MAX);
    let periods = match (mode, state.method) {
        (PrepaymentMode::LowerInstalment, _) => n,
        (PrepaymentMode::ShortenTerm, RepaymentMethod::EqualInstalment) => {
            let old = first.payment;
            let level = |m| level_payment(balance, state.rate, m, state.frequency, state.rounding);
            // The level payment falls as the term grows: binary search the fewest
            // periods whose payment is not above the old one.
            let (mut lo, mut hi) = (1u32, n);
            while lo < hi {
                let mid = lo + (hi - lo) / 2;
                if level(mid)? <= old {
                    hi = mid;
                } else {
                    lo = mid + 1;
                }
            }
            lo
        }
        (PrepaymentMode::ShortenTerm, RepaymentMethod::EqualPrincipal) => {
            let part = first.principal.get();
            if part <= 0 {
                n
            } else {
                let parts = balance.get().unsigned_abs().div_ceil(part.unsigned_abs());
                u32::try_from(parts).unwrap_or(n).clamp(1, n)
            }
        }
        (PrepaymentMode::ShortenTerm, _) => return Err(PrepaymentError::ModeNotSupported),
    };
    let spec = ScheduleSpec {
        method: state.method,
        principal: balance,
        rate: state.rate,
        periods,
        frequency: state.frequency,
        first_due: FirstDue::OnePeriodAfterStart,
        start: state.period_start,
        rounding: state.rounding,
    };
    let rows = build_schedule_with(&spec)?;
    Ok(rows
        .into_iter()
        .zip(&state.remaining)
        .map(|(new, old)| Instalment {
            n: old.n,
            due_date: old.due_date,
            ..new
        })
        .collect())
}

#[cfg(test)]
mod tests;
