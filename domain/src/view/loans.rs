//! Loans and credit lines: servicing state, schedule, ledger, payments, and the
//! end-of-day batch.

use crate::date::Date;
use crate::money::Fen;
use crate::rate::AnnualRate;
use crate::schedule::{Instalment, RepaymentMethod, ScheduleTotals};
use crate::servicing::credit_line::{LineKind, LineStatus};
use crate::servicing::eod::{Classification, LoanStatus, PrepaymentKind};
use crate::servicing::ledger::{Dues, Line, PostingKind};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoanSummary {
    pub id: crate::id::LoanId,
    pub product_name_zh: String,
    pub product_name_en: String,
    pub principal: Fen,
    pub outstanding: Fen,
    pub rate: AnnualRate,
    pub term_months: u32,
    pub method: RepaymentMethod,
    pub start_date: Date,
    pub maturity_date: Date,
    /// Servicing status.
    pub status: LoanStatus,
    pub next_due: Option<(Date, Fen)>,
    /// Days past due (逾期天数) as of the last end-of-day batch.
    pub dpd: u32,
    pub classification: Classification,
    /// What can be repaid now: due and overdue instalments and penalty.
    pub due_now: Dues,
    /// Interest accrued and not yet paid, due or not.
    pub interest_receivable: Fen,
    /// The credit line it was drawn on (用信), if any.
    pub credit_line_id: Option<crate::id::LineId>,
    /// 随借随还: everything owed can be repaid at any time.
    pub revolving: bool,
    /// The business date of the last end-of-day batch that processed it.
    pub last_processed: Date,
}

/// Where an instalment stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InstalmentState {
    Paid,
    /// Falls due on the last processed business date or earlier, not yet overdue.
    Due,
    Overdue,
    Future,
    /// Not paid, and the loan is written off (核销): nothing more is owed.
    WrittenOff,
}

impl InstalmentState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Paid => "paid",
            Self::Due => "due",
            Self::Overdue => "overdue",
            Self::Future => "future",
            Self::WrittenOff => "written_off",
        }
    }
}

/// A schedule line and what has been paid of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScheduleLine {
    pub instalment: Instalment,
    pub paid_principal: Fen,
    pub paid_interest: Fen,
    pub state: InstalmentState,
}

/// One posting of a loan's ledger (分户账明细).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PostingView {
    pub business_date: Date,
    pub kind: PostingKind,
    pub reference: String,
    pub amount: Fen,
    pub lines: Vec<Line>,
}

/// Where a repayment through the payment provider stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PaymentStatus {
    /// Sent to the provider, its answer not known yet.
    Pending,
    /// Collected and posted to the loan.
    Succeeded,
    /// Not collected: nothing was posted.
    Failed,
    /// Collected when the loan no longer owed it: returned to the payer.
    Refunded,
}

impl PaymentStatus {
    pub const ALL: [Self; 4] = [Self::Pending, Self::Succeeded, Self::Failed, Self::Refunded];

    /// As stored in `payments.status`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Succeeded => "succeeded",
            Self::Failed => "failed",
            Self::Refunded => "refunded",
        }
    }

    pub fn parse(s: &str) -> Option<PaymentStatus> {
        Self::ALL.into_iter().find(|p| p.as_str() == s)
    }
}

/// A repayment through the payment provider.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentView {
    pub reference: String,
    pub amount: Fen,
    pub status: PaymentStatus,
    pub failure: Option<String>,
    pub created_at: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoanDetail {
    pub summary: LoanSummary,
    pub schedule: Vec<ScheduleLine>,
    pub totals: ScheduleTotals,
    pub payments: Vec<PaymentView>,
    /// The postings, oldest first; staff only (empty for the customer).
    pub ledger: Vec<PostingView>,
    /// How many postings the loan has in all (`ledger` holds the newest).
    #[serde(default)]
    pub ledger_total: u64,
    /// Prepayments made, newest first.
    #[serde(default)]
    pub prepayments: Vec<PrepaymentView>,
    /// Payments go through the development payment provider, which moves no
    /// money (the pages say so); never in production.
    #[serde(default)]
    pub dev_payments: bool,
}

/// A prepayment (提前还款) made, and what it changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PrepaymentView {
    pub business_date: Date,
    pub kind: PrepaymentKind,
    /// At the counter (else on the phone).
    pub at_counter: bool,
    pub principal: Fen,
    pub interest: Fen,
    pub total: Fen,
    pub periods_before: u32,
    pub periods_after: u32,
    pub payment_before: Fen,
    pub payment_after: Option<Fen>,
    pub interest_saved: Fen,
    pub created_at: i64,
}

/// 结清证明: the bank's sealed statement that a loan is paid off.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SettlementCertificateView {
    pub certificate_no: String,
    pub settled_on: Date,
    /// The wording, as sealed.
    pub text: String,
    /// SHA-256 of the sealed form, hex.
    pub sha256: String,
    /// The bank's ed25519 seal over it, hex.
    pub seal: String,
    pub public_key: String,
    pub issued_at: i64,
}

impl LoanDetail {
    /// The plain instalments, for the schedule tables.
    pub fn instalments(&self) -> Vec<Instalment> {
        self.schedule.iter().map(|l| l.instalment).collect()
    }
}

/// A credit line (授信额度) as its customer and its officer see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreditLineView {
    pub id: crate::id::LineId,
    pub product_id: crate::id::ProductId,
    pub product_name_zh: String,
    pub product_name_en: String,
    pub kind: LineKind,
    pub status: LineStatus,
    pub limit: Fen,
    pub used: Fen,
    pub outstanding: Fen,
    pub available: Fen,
    pub granted_on: Date,
    pub expires_on: Date,
    pub rate: AnnualRate,
    pub method: RepaymentMethod,
    pub min_term_months: u32,
    pub max_term_months: u32,
    pub officer_name: String,
    pub customer_name: String,
    pub version: i64,
    /// A higher limit proposed and waiting for someone else's approval
    /// (staff views only).
    pub pending_increase: Option<LineIncreaseView>,
    /// The latest renewal decision (续授信), for staff; none for the
    /// customer or before the line's first expiry.
    #[serde(default)]
    pub last_renewal: Option<LineRenewalView>,
}

/// What the end-of-day batch decided for a line at its expiry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LineRenewalView {
    pub business_date: Date,
    pub outcome: crate::servicing::credit_line::RenewalOutcome,
    pub limit_before: Fen,
    pub limit_after: Option<Fen>,
    pub expires_after: Option<Date>,
    pub rule_set_version: Option<i64>,
    pub score: Option<i64>,
    pub grade: Option<String>,
    /// Adverse reasons, in words for staff (Chinese, English).
    pub reasons: Vec<(String, String)>,
}

/// A proposed increase of a line's limit (提额), waiting for a second person.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LineIncreaseView {
    pub id: String,
    pub from: Fen,
    pub to: Fen,
    pub reason: String,
    pub proposed_by: crate::id::StaffId,
    pub proposed_by_name: String,
    pub proposed_at: i64,
}

/// One run of the end-of-day batch. The figures from its summary are there
/// once it completed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EodRunView {
    pub business_date: Date,
    pub status: EodRunStatus,
    pub attempts: u32,
    /// Loans processed so far, of `loans_total` (the progress of a run).
    pub loans: i64,
    pub loans_total: i64,
    pub postings: i64,
    pub interest_accrued: Option<Fen>,
    pub penalty_accrued: Option<Fen>,
    pub newly_overdue: Option<i64>,
    pub lines_renewed: Option<i64>,
    pub lines_expired: Option<i64>,
    pub elapsed_ms: Option<i64>,
    /// Why a failed run stopped.
    pub error: Option<crate::error_code::ErrorCode>,
    /// The administrator who asked for a rerun; none for the scheduler.
    pub requested_by: Option<String>,
    pub started_at: i64,
    pub finished_at: Option<i64>,
}

/// The operations page of the batch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EodPage {
    pub runs: Vec<EodRunView>,
    /// The server's daily time (`HH:MM`, China time); none when it does not schedule.
    pub schedule: Option<String>,
    /// A run is under way in this server.
    pub running_here: bool,
    /// The reader may rerun a date (administrators).
    pub can_rerun: bool,
    pub today: Date,
}

crate::coded_enum! {
    /// Where a run of the end-of-day batch stands.
    pub enum EodRunStatus {
        Running => "running",
        Completed => "completed",
        Failed => "failed",
    }
}
