//! Read models: what the service layer returns and the user interface shows.
//!
//! They live here, beside the domain types they are made of, because both the
//! server and the browser (WebAssembly) need them: the service crate fills
//! them from the database and server functions send them across the wire.
//! Personal financial information arrives already masked (`*_masked` fields).

use crate::application::{ApplicationStatus, Decision};
use crate::date::Date;
use crate::identity::Gender;
use crate::money::Fen;
use crate::org::Role;
use crate::rate::AnnualRate;
use crate::schedule::{Instalment, RepaymentMethod, ScheduleTotals};
use crate::servicing::credit_line::{LineKind, LineStatus};
use crate::servicing::eod::Classification;
use crate::servicing::ledger::{Dues, Line, PostingKind};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StaffInfo {
    pub user_id: String,
    pub username: String,
    pub display_name: String,
    pub org_name: String,
    pub roles: Vec<Role>,
}

impl StaffInfo {
    pub fn has(&self, role: Role) -> bool {
        self.roles.contains(&role)
    }
    pub fn is_manager(&self) -> bool {
        self.roles.iter().any(|r| r.is_manager())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomerInfo {
    pub name: String,
    pub phone_masked: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SentCode {
    pub phone_masked: String,
    pub resend_after_secs: i64,
    pub expires_in_secs: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SmsMessage {
    pub id: String,
    pub phone_masked: String,
    pub body: String,
    pub provider: String,
    pub status: String,
    pub error: Option<String>,
    pub created_at: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProductView {
    pub id: String,
    pub code: String,
    pub name_zh: String,
    pub name_en: String,
    pub summary_zh: String,
    pub summary_en: String,
    pub min_amount: Fen,
    pub max_amount: Fen,
    pub min_term_months: u32,
    pub max_term_months: u32,
    pub rate: AnnualRate,
    pub method: RepaymentMethod,
    pub guarantee_type: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApplicationSummary {
    pub id: String,
    pub product_name_zh: String,
    pub product_name_en: String,
    pub amount: Fen,
    pub term_months: u32,
    pub status: ApplicationStatus,
    pub submitted_at: i64,
    pub customer_name: String,
    pub officer_name: String,
    pub version: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimelineEvent {
    pub at: i64,
    /// submitted | investigated | approved | rejected
    pub kind: String,
    pub actor_name: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomerApplicationView {
    pub summary: ApplicationSummary,
    pub purpose: String,
    pub timeline: Vec<TimelineEvent>,
    pub loan_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaskItem {
    pub application_id: String,
    /// "investigate" | "approve"
    pub kind: String,
    pub customer_name: String,
    pub id_number_masked: String,
    pub product_name_zh: String,
    pub product_name_en: String,
    pub amount: Fen,
    pub term_months: u32,
    pub status: ApplicationStatus,
    pub submitted_at: i64,
    pub branch_name: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvestigationView {
    pub investigator_name: String,
    pub visited_on: Date,
    pub household_income: Fen,
    pub household_assets: Fen,
    pub household_debts: Fen,
    pub findings: String,
    pub recommendation: Decision,
    pub recommended_amount: Fen,
    pub created_at: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApprovalView {
    pub approver_name: String,
    pub decision: Decision,
    pub comment: String,
    pub created_at: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StaffApplicationView {
    pub id: String,
    pub customer_id: String,
    pub customer_name: String,
    pub id_number_masked: String,
    pub phone_masked: String,
    pub product_name_zh: String,
    pub product_name_en: String,
    pub amount: Fen,
    pub term_months: u32,
    pub rate: AnnualRate,
    pub method: RepaymentMethod,
    pub purpose: String,
    pub status: ApplicationStatus,
    pub version: i64,
    pub officer_id: String,
    pub officer_name: String,
    pub branch_name: String,
    pub submitted_at: i64,
    pub consent_at: Option<i64>,
    pub investigation: Option<InvestigationView>,
    pub approval: Option<ApprovalView>,
    pub loan_id: Option<String>,
    pub can_investigate: bool,
    pub can_decide: bool,
    /// An error code (i18n key) saying why this user may not decide, e.g. "self_approval".
    pub decide_blocked_reason: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HouseholdMember {
    pub name: String,
    pub relation: String,
    pub age: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HouseholdView {
    pub village: String,
    pub township: String,
    pub address: String,
    pub head_name: String,
    pub members: u32,
    pub annual_income: Fen,
    pub land_area_mu_x10: u32,
    pub main_business: String,
    pub member_list: Vec<HouseholdMember>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoanSummary {
    pub id: String,
    pub product_name_zh: String,
    pub product_name_en: String,
    pub principal: Fen,
    pub outstanding: Fen,
    pub rate: AnnualRate,
    pub term_months: u32,
    pub method: RepaymentMethod,
    pub start_date: Date,
    pub maturity_date: Date,
    /// Servicing status: `normal`, `overdue`, `settled` or `written_off`.
    pub status: String,
    pub next_due: Option<(Date, Fen)>,
    /// Days past due (逾期天数) as of the last end-of-day batch.
    pub dpd: u32,
    pub classification: Classification,
    /// What can be repaid now: due and overdue instalments and penalty.
    pub due_now: Dues,
    /// Interest accrued and not yet paid, due or not.
    pub interest_receivable: Fen,
    /// The credit line it was drawn on (用信), if any.
    pub credit_line_id: Option<String>,
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
}

impl InstalmentState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Paid => "paid",
            Self::Due => "due",
            Self::Overdue => "overdue",
            Self::Future => "future",
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

/// A repayment through the payment provider.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentView {
    pub reference: String,
    pub amount: Fen,
    pub status: String,
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
    pub id: String,
    pub product_id: String,
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
}

/// One run of the end-of-day batch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EodRunView {
    pub business_date: Date,
    pub status: String,
    pub attempts: u32,
    pub loans: i64,
    pub postings: i64,
    pub started_at: i64,
    pub finished_at: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Portrait {
    pub customer_id: String,
    pub name: String,
    pub gender: Gender,
    pub age: u32,
    pub id_number_masked: String,
    pub phone_masked: String,
    pub occupation: String,
    pub branch_name: String,
    pub officer_name: Option<String>,
    pub household: Option<HouseholdView>,
    pub applications: Vec<ApplicationSummary>,
    pub loans: Vec<LoanSummary>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Dashboard {
    pub by_status: Vec<(ApplicationStatus, i64)>,
    /// Every day of the window, zeros included.
    pub per_day: Vec<(Date, i64)>,
    pub total_applications: i64,
    pub active_loans: i64,
    pub outstanding: Fen,
    pub approval_rate_permille: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    pub seq: i64,
    pub at: i64,
    pub actor_kind: String,
    pub actor_name: String,
    pub action: String,
    pub entity: String,
    pub entity_id: String,
    pub before_json: Option<String>,
    pub after_json: Option<String>,
    pub hash: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChainStatus {
    pub entries: i64,
    pub valid: bool,
    pub first_bad_seq: Option<i64>,
}
