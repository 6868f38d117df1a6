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
use crate::rules::expr::{Position, Span};
use crate::rules::lifecycle::{DecisionStage, RuleSetStatus};
use crate::rules::rule::{RuleError, Verdict};
use crate::rules::schema::Value;
use crate::rules::strategy::{StageKind, StrategyDef, StrategyError};
use crate::rules::table::TablePlace;
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
    /// May read the development SMS outbox (administrators, demo mode only).
    #[serde(default)]
    pub sms_outbox: bool,
    /// Signed in with a one-time password: must choose their own first.
    #[serde(default)]
    pub must_change_password: bool,
    /// Signs in with a second factor (an authenticator app).
    #[serde(default)]
    pub totp_enrolled: bool,
    /// Must add an authenticator app before anything else (their role
    /// requires a second factor).
    #[serde(default)]
    pub totp_enrolment_required: bool,
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
    /// The engine's pre-screen, once it ran (reasons only when rejected).
    #[serde(default)]
    pub screening: Option<CustomerScreening>,
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
    /// The engine's pre-screen on submission (the latest, if run again).
    #[serde(default)]
    pub pre_screen: Option<DecisionView>,
    /// The engine's full decision before approval (the latest).
    #[serde(default)]
    pub full_decision: Option<DecisionView>,
    /// Why approval (not rejection) is refused by the engine, e.g.
    /// "engine_rejected" or "engine_limit_exceeded".
    #[serde(default)]
    pub approve_blocked_reason: Option<String>,
    /// The application's flow: where it is, and every task so far.
    #[serde(default)]
    pub flow_node: Option<String>,
    /// The viewer's open task on the current node, when it has no form of
    /// its own (see [`MyTask`]).
    pub my_task: Option<MyTask>,
    #[serde(default)]
    pub tasks: Vec<FlowTaskView>,
}

/// A task with what its holder (or the branch head watching it) needs to
/// see in a list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InboxTask {
    pub task: FlowTaskView,
    pub customer_name: String,
    pub id_number_masked: String,
    pub product_name_zh: String,
    pub product_name_en: String,
    pub amount: Fen,
    pub term_months: u32,
    pub branch_name: String,
    pub status: ApplicationStatus,
    pub overdue: bool,
}

/// A declared staff–customer relation (回避申报), as its declarer and the
/// branch head see it: the customer masked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StaffRelationView {
    pub staff_name: String,
    pub customer_name_masked: String,
    pub id_number_masked: String,
    pub relation: crate::duty::Relation,
    pub declared_at: i64,
}

/// Someone a branch head could give a task to, as the reassignment form
/// lists them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReassignOption {
    pub staff_id: String,
    pub name: String,
    pub branch_name: String,
    /// In the application's branch (else elsewhere in the bank).
    pub same_branch: bool,
    /// Open tasks they hold now.
    pub workload: u32,
    pub workload_cap: u32,
    /// Why the service would refuse them (an error code), or `None`.
    pub blocked: Option<String>,
}

/// The open task the viewer holds on an application's current node, when
/// it is one with no form of its own (admission, documents, review,
/// contract, collateral, disbursement): they agree or, where the node
/// allows, refuse.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MyTask {
    pub task_id: String,
    pub version: i64,
    pub node_kind: String,
    pub can_reject: bool,
}

/// One task of an application's approval flow (待办), as its file shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FlowTaskView {
    pub id: String,
    pub application_id: String,
    pub node_id: String,
    /// Stable code of the node kind, e.g. "investigation", "approval".
    pub node_kind: String,
    pub round: u32,
    pub post: crate::duty::Post,
    pub assignee_id: Option<String>,
    pub assignee_name: Option<String>,
    /// open | unassigned | done | reassigned | cancelled
    pub status: String,
    /// Hidden (None) from everyone else while parallel opinions are sealed.
    pub opinion: Option<Decision>,
    pub comment: Option<String>,
    pub due_at: Option<i64>,
    pub escalated_at: Option<i64>,
    pub created_at: i64,
    pub completed_at: Option<i64>,
    pub version: i64,
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
    /// The 征信查询授权 in force today, if any: pre-credit asks the bureau
    /// about this customer only while there is one.
    pub bureau_authorisation: Option<BureauAuthorisationView>,
}

/// A customer's signed authorisation to query the credit bureau.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BureauAuthorisationView {
    /// The signed form's number.
    pub evidence: String,
    pub granted_on: Date,
    pub expires_on: Date,
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
    /// Signed checkpoints of the log's head, and the newest one's entry.
    #[serde(default)]
    pub checkpoints: i64,
    #[serde(default)]
    pub last_checkpoint_seq: Option<i64>,
    /// The first checkpoint the log no longer matches (rewritten before it,
    /// cut off after it, or not signed by this bank's key).
    #[serde(default)]
    pub bad_checkpoint_seq: Option<i64>,
    /// The first entry this check read (1 for a full check; later when an
    /// earlier check had verified the log up to the entry before it).
    #[serde(default)]
    pub checked_from_seq: i64,
}

/// A reason for an adverse decision in words fit for a customer (see
/// [`crate::rules::reasons`]); `code` is "general" for one kept internal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomerReason {
    pub code: String,
    pub text_zh: String,
    pub text_en: String,
}

/// What the customer is told of the engine's pre-screen (预审). Reasons are
/// given for a rejection only; never the internal trace.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomerScreening {
    pub outcome: Verdict,
    pub reasons: Vec<CustomerReason>,
    pub at: i64,
}

/// One feature value a decision read (PFI masked).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeatureValue {
    pub name: String,
    pub label_zh: String,
    pub label_en: String,
    pub value: Value,
}

/// One line of a decision's trace, in both languages.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TraceLine {
    pub stage: Option<StageKind>,
    pub text_zh: String,
    pub text_en: String,
}

/// A credit-bureau inquiry (征信查询) made for an application.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BureauInquiryView {
    pub id: String,
    /// "DEV" for the development provider: synthetic data, not a real report.
    pub provider: String,
    pub synthetic: bool,
    /// "ok" | "failed" | "timeout"
    pub outcome: String,
    pub error: Option<String>,
    pub requested_by_name: String,
    pub requested_at: i64,
    pub elapsed_ms: i64,
}

/// A stored decision of the engine, as staff see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DecisionView {
    pub id: String,
    pub stage: DecisionStage,
    /// The rule set version it ran; none when no version was live (→ refer).
    pub rule_set_id: Option<String>,
    pub rule_set_version: Option<i64>,
    pub outcome: Verdict,
    pub limit: Option<Fen>,
    pub rate_bp: Option<u32>,
    pub score: Option<i64>,
    pub grade: Option<String>,
    pub flags: Vec<String>,
    /// Adverse reason codes (what the customer may be told).
    pub reason_codes: Vec<String>,
    pub trace: Vec<TraceLine>,
    pub features: Vec<FeatureValue>,
    pub bureau: Option<BureauInquiryView>,
    pub actor_name: String,
    pub created_at: i64,
    pub elapsed_us: i64,
}

/// A version of a rule set, in lists.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleSetSummary {
    pub id: String,
    pub product_id: String,
    pub product_code: String,
    pub product_name_zh: String,
    pub product_name_en: String,
    pub stage: DecisionStage,
    pub version: i64,
    pub status: RuleSetStatus,
    pub name_zh: String,
    pub name_en: String,
    pub author_name: String,
    pub approver_name: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
    pub published_at: Option<i64>,
    /// Guards every change (optimistic concurrency), like an application's version.
    pub row_version: i64,
}

/// A draft to save: a new version (`id: None`) of a product and stage, or
/// changes to one's own draft (`id` and the `expected_row_version` read).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleSetDraft {
    pub id: Option<String>,
    pub expected_row_version: Option<i64>,
    pub product_id: String,
    pub stage: DecisionStage,
    pub definition: StrategyDef,
    pub note: String,
}

/// A version of a rule set with its definition and what the viewer may do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleSetDetail {
    pub summary: RuleSetSummary,
    pub definition: StrategyDef,
    pub note: String,
    pub review_comment: String,
    pub submitted_at: Option<i64>,
    pub approved_at: Option<i64>,
    pub can_edit: bool,
    pub can_submit: bool,
    pub can_approve: bool,
    pub can_publish: bool,
    /// Why this user may not approve it, e.g. "self_approval".
    pub approve_blocked_reason: Option<String>,
}

/// Where a rule set definition is wrong, for the editor to highlight:
/// stages, rules, characteristics and bins count from 0; `position` is the
/// line and column inside the expression or cell text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleSetProblem {
    /// The i18n key, e.g. "expr_unknown_feature", "expr_type_mismatch".
    pub code: String,
    pub stage: Option<usize>,
    pub rule: Option<usize>,
    pub rule_id: Option<String>,
    pub table_place: Option<TablePlace>,
    pub characteristic: Option<usize>,
    pub bin: Option<usize>,
    pub position: Option<Position>,
    pub span: Option<Span>,
    /// English detail for logs and the editor.
    pub message: String,
}

impl From<&StrategyError> for RuleSetProblem {
    fn from(e: &StrategyError) -> RuleSetProblem {
        let mut p = RuleSetProblem {
            code: e.code().to_owned(),
            stage: None,
            rule: None,
            rule_id: None,
            table_place: None,
            characteristic: None,
            bin: None,
            position: None,
            span: None,
            message: e.to_string(),
        };
        let expr = match e {
            StrategyError::Rules { stage, error } => {
                p.stage = Some(*stage);
                match error.as_ref() {
                    RuleError::Expr { index, id, error } => {
                        p.rule = Some(*index);
                        p.rule_id = Some(id.clone());
                        Some(error)
                    }
                    RuleError::BadReasonCode { index, id, .. }
                    | RuleError::DuplicateId { index, id } => {
                        p.rule = Some(*index);
                        p.rule_id = Some(id.clone());
                        None
                    }
                }
            }
            StrategyError::Table { stage, error } => {
                p.stage = Some(*stage);
                p.table_place = Some(error.place);
                error.expr.as_ref()
            }
            StrategyError::Scorecard { stage, error } => {
                p.stage = Some(*stage);
                p.characteristic = error.characteristic;
                p.bin = error.bin;
                error.expr.as_ref()
            }
            StrategyError::StageOrder { stage }
            | StrategyError::ScorecardPlace { stage }
            | StrategyError::ScoreAfterScoring { stage } => {
                p.stage = Some(*stage);
                None
            }
            StrategyError::RateBounds | StrategyError::OutputFeature(_) => None,
        };
        if let Some(x) = expr {
            p.position = Some(x.position);
            p.span = Some(x.span);
        }
        p
    }
}

// ---------------------------------------------------------------------------
// Batch decisions: pre-credit jobs (整村授信预授信), whitelist imports, credit
// offers, and the simulation of a rule-set version on past applications.

/// Whose households a pre-credit job decides.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "id", rename_all = "snake_case")]
pub enum PrecreditScope {
    /// Every household of one village (by village id).
    Village(String),
    /// Every household of the villages under an organisation (union, bank,
    /// branch or grid; by organisation id): a bank- or province-wide run.
    Organisation(String),
}

/// A village a pre-credit job may cover, with its households on file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VillageOption {
    pub id: String,
    pub township: String,
    pub name: String,
    pub households: i64,
}

/// A pre-credit job to create.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewPrecreditJob {
    pub scope: PrecreditScope,
    /// The product whose live full-decision rule set decides, by code: in a
    /// province-wide job each household's own bank's product of that code.
    pub product_code: String,
    /// Pull credit reports in bulk (under the authorisations collected with
    /// the village's information); without them every household refers.
    pub use_bureau: bool,
}

/// Where a pre-credit job stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PrecreditJobStatus {
    Queued,
    Running,
    Paused,
    Completed,
    Failed,
    Cancelled,
}

impl PrecreditJobStatus {
    pub const ALL: [PrecreditJobStatus; 6] = [
        PrecreditJobStatus::Queued,
        PrecreditJobStatus::Running,
        PrecreditJobStatus::Paused,
        PrecreditJobStatus::Completed,
        PrecreditJobStatus::Failed,
        PrecreditJobStatus::Cancelled,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            PrecreditJobStatus::Queued => "queued",
            PrecreditJobStatus::Running => "running",
            PrecreditJobStatus::Paused => "paused",
            PrecreditJobStatus::Completed => "completed",
            PrecreditJobStatus::Failed => "failed",
            PrecreditJobStatus::Cancelled => "cancelled",
        }
    }

    pub fn parse(s: &str) -> Option<PrecreditJobStatus> {
        PrecreditJobStatus::ALL
            .into_iter()
            .find(|v| v.as_str() == s)
    }

    /// No runner will touch it again unless a user resumes it.
    pub fn is_final(self) -> bool {
        matches!(
            self,
            PrecreditJobStatus::Completed | PrecreditJobStatus::Cancelled
        )
    }
}

/// A pre-credit job with its progress.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PrecreditJobView {
    pub id: String,
    /// "village", "organisation" or "whitelist".
    pub kind: String,
    pub scope_name: String,
    pub product_code: String,
    pub use_bureau: bool,
    pub status: PrecreditJobStatus,
    /// "pause" or "cancel" when asked and not yet done (at the next chunk).
    pub requested: Option<String>,
    pub total: i64,
    pub done: i64,
    pub approved: i64,
    pub referred: i64,
    pub rejected: i64,
    pub skipped: i64,
    /// Why it failed (an error code), when it did.
    pub error: Option<String>,
    /// The whitelist's file name.
    pub source_file: Option<String>,
    pub created_by_name: String,
    pub created_at: i64,
    pub started_at: Option<i64>,
    pub finished_at: Option<i64>,
    pub updated_at: i64,
    pub can_pause: bool,
    pub can_resume: bool,
    pub can_cancel: bool,
    /// May the viewer offer its approved results? Not its maker: the list
    /// and its decisions are checked by a second person, who makes the offers.
    pub can_offer: bool,
    /// The viewer made the job and may offer otherwise: someone else must.
    pub offer_needs_checker: bool,
}

/// Which results of a job to list. Results come in subject order; `after`
/// is the last `subject_key` of the previous page.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PrecreditResultFilter {
    /// "approve", "refer", "reject" or "skipped"; all when none.
    pub outcome: Option<String>,
    pub village_id: Option<String>,
    pub after: Option<String>,
    /// At most 500; 100 when 0.
    pub limit: u32,
}

/// One household's (or whitelisted person's) pre-credit result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PrecreditResultView {
    pub job_id: String,
    pub subject_key: String,
    pub household_id: Option<String>,
    pub customer_id: Option<String>,
    pub customer_name: Option<String>,
    pub id_number_masked: Option<String>,
    pub village_name: Option<String>,
    /// "approve", "refer", "reject" or "skipped".
    pub outcome: String,
    /// The pre-approved limit (for a whitelist, at most the suggested one).
    pub limit: Option<Fen>,
    pub rate_bp: Option<u32>,
    pub score: Option<i64>,
    pub grade: Option<String>,
    /// Adverse reason codes; for "skipped" why it could not be decided.
    pub reason_codes: Vec<String>,
    pub rule_set_version: Option<i64>,
    /// "pulled", "cached", "failed", "timeout" or "not_asked".
    pub bureau: String,
    pub suggested_limit: Option<Fen>,
    pub decided_at: i64,
    /// The offer made from it, if any.
    pub offer_id: Option<String>,
    pub offer_status: Option<String>,
    pub can_offer: bool,
}

/// What an officer offers: at most the pre-approved limit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OfferTerms {
    /// None: the pre-approved limit.
    pub limit: Option<Fen>,
    pub kind: LineKind,
    /// How long the line runs once accepted (1–36 months).
    pub line_months: u32,
    /// How long the customer has to accept (1–90 days).
    pub valid_days: u32,
}

impl Default for OfferTerms {
    fn default() -> Self {
        OfferTerms {
            limit: None,
            kind: LineKind::Revolving,
            line_months: 12,
            valid_days: 30,
        }
    }
}

/// A pre-approved credit offer (预授信额度), as the customer and staff see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreditOfferView {
    pub id: String,
    pub product_id: String,
    pub product_name_zh: String,
    pub product_name_en: String,
    pub kind: LineKind,
    pub limit: Fen,
    /// The product's rate, which the line charges.
    pub rate: AnnualRate,
    /// "offered", "accepted", "declined" or "withdrawn"; an offer past its
    /// date shows "expired".
    pub status: String,
    pub line_months: u32,
    pub offer_expires_on: Date,
    pub officer_name: String,
    pub customer_name: String,
    pub credit_line_id: Option<String>,
    pub created_at: i64,
    pub version: i64,
}

/// What a bulk offer did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct OfferBatchSummary {
    pub offered: i64,
    /// Approved results left out: already offered, or the customer already
    /// has an open offer of the product.
    pub skipped: i64,
}

/// One problem of one row of an imported whitelist.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WhitelistRowProblem {
    /// The row number as the spreadsheet shows it (the header is row 1).
    pub row: u32,
    /// e.g. "whitelist_bad_id_number", "whitelist_unknown_village".
    pub code: String,
    /// The column's header as written in the file.
    pub column: Option<String>,
    pub value: String,
}

/// What a whitelist import did: every row is either imported or reported.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WhitelistImportReport {
    /// The pre-credit job that decides the imported rows.
    pub job_id: String,
    pub rows_read: u32,
    pub imported: u32,
    /// Imported rows whose person was not yet a customer.
    pub new_customers: u32,
    pub bad_rows: u32,
    pub problems: Vec<WhitelistRowProblem>,
}

/// A decision's result, before or after a rule change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DecisionBrief {
    pub outcome: Verdict,
    pub limit: Option<Fen>,
    pub rate_bp: Option<u32>,
    pub reason_codes: Vec<String>,
}

/// One application whose decision a rule change would change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SimulationDiff {
    pub application_id: String,
    pub customer_name: String,
    pub decided_at: i64,
    /// The version that made the stored decision.
    pub baseline_version: Option<i64>,
    pub before: DecisionBrief,
    pub after: DecisionBrief,
}

/// How often one rule fired, under the simulated version and in the stored decisions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleHitCount {
    pub rule_id: String,
    pub name_zh: String,
    pub name_en: String,
    pub simulated: i64,
    pub baseline: i64,
}

/// How many decisions went from one outcome to another.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutcomeFlip {
    pub from: Verdict,
    pub to: Verdict,
    pub count: i64,
}

/// A past application a rule-set version can be tried on (test bench).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleSetSample {
    pub application_id: String,
    /// Masked.
    pub customer_name: String,
    pub amount: Fen,
    pub decided_at: i64,
    /// The stored decision's outcome and the version that made it.
    pub outcome: Verdict,
    pub version: Option<i64>,
}

/// A rule-set version run on one past application's stored inputs: what was
/// decided then and what this version decides, with its trace.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleSetTrial {
    pub application_id: String,
    pub customer_name: String,
    pub baseline: DecisionBrief,
    pub baseline_version: Option<i64>,
    pub result: DecisionView,
}

/// What a rule-set version would have changed on past applications.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SimulationReport {
    pub rule_set_id: String,
    pub version: i64,
    pub stage: DecisionStage,
    pub product_code: String,
    /// Applications replayed (each one's latest stored decision at the stage).
    pub applications: i64,
    /// Applications whose outcome, limit, rate or reasons would change.
    pub changed: i64,
    pub flips: Vec<OutcomeFlip>,
    pub limits_up: i64,
    pub limits_down: i64,
    /// Sum of the limit changes (after − before, where both have a limit).
    pub limit_change: Fen,
    pub rates_up: i64,
    pub rates_down: i64,
    pub rule_hits: Vec<RuleHitCount>,
    /// The changed applications, newest first.
    pub diffs: Vec<SimulationDiff>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::expr::ExprErrorKind;
    use crate::rules::rule::RuleSetDef;
    use crate::rules::schema::{FeatureDef, FeatureSchema, FeatureType};
    use crate::rules::strategy::{StageBodyDef, StageDef, Strategy};

    #[test]
    fn a_strategy_error_points_at_the_rule_and_the_column() {
        let schema = FeatureSchema::new(vec![FeatureDef::new(
            "age",
            FeatureType::Int,
            "年龄",
            "age",
        )])
        .unwrap_or_else(|e| panic!("{e}"));
        let rule = |id: &str, cond: &str| crate::rules::rule::RuleDef {
            id: id.into(),
            name_zh: "规则".into(),
            name_en: "rule".into(),
            condition: cond.into(),
            action: crate::rules::rule::Action::Reject,
            reason_code: "age_out_of_range".into(),
        };
        let def = StrategyDef {
            id: "s".into(),
            name_zh: "策略".into(),
            name_en: "strategy".into(),
            stages: vec![StageDef {
                kind: StageKind::Admission,
                body: StageBodyDef::Rules(RuleSetDef {
                    id: "admission".into(),
                    name_zh: "准入".into(),
                    name_en: "admission".into(),
                    rules: vec![rule("r1", "age > 18"), rule("r2", "age > 65 and agee < 3")],
                }),
            }],
            base_rate_bp: 500,
            rate_floor_bp: 400,
            rate_ceiling_bp: None,
            max_limit: None,
            score_feature: None,
            grade_feature: None,
        };
        let err = Strategy::compile(&def, &schema)
            .err()
            .unwrap_or_else(|| panic!("must fail"));
        let p = RuleSetProblem::from(&err);
        assert_eq!(p.code, "expr_unknown_feature");
        assert_eq!((p.stage, p.rule), (Some(0), Some(1)));
        assert_eq!(
            p.position,
            Some(Position {
                line: 1,
                column: 14
            })
        );
        assert_eq!(p.span, Some(Span::new(13, 17)));
        assert!(matches!(
            &err,
            StrategyError::Rules { error, .. }
                if matches!(error.as_ref(), RuleError::Expr { error, .. } if error.kind == ExprErrorKind::UnknownFeature)
        ));
    }
}

/// A flow template of the bank's library.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FlowTemplateView {
    pub code: String,
    pub version: u32,
    pub name_zh: String,
    pub name_en: String,
    pub body: crate::flow::FlowTemplate,
}

/// A flow template as the designer saves it (the next version of `code`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewFlowTemplate {
    pub code: String,
    pub name_zh: String,
    pub name_en: String,
    pub body: crate::flow::FlowTemplate,
}

/// One version of a product, for the factory and the supermarket.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProductVersionView {
    pub id: String,
    pub product_id: String,
    pub version: u32,
    pub status: crate::product::version::VersionStatus,
    pub overrides: Option<crate::product::ProductOverride>,
    pub params: crate::product::ProductParams,
    pub flow: crate::flow::FlowTemplate,
    pub note: String,
    pub author_name: Option<String>,
    pub publisher_name: Option<String>,
    pub created_at: i64,
    pub published_at: Option<i64>,
    pub row_version: i64,
}

/// A product in the supermarket: its identity, its parent, and its versions
/// (newest first).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SupermarketProduct {
    pub id: String,
    pub code: String,
    pub name_zh: String,
    pub name_en: String,
    pub summary_zh: String,
    pub parent_id: Option<String>,
    pub parent_name_zh: Option<String>,
    pub live_version: Option<u32>,
    pub versions: Vec<ProductVersionView>,
}

/// What a product manager fills in for a new sub-product.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewSubProduct {
    pub parent_id: String,
    /// Letters, digits, '-' and '_', 2 to 32 characters, unique in the bank.
    pub code: String,
    pub name_zh: String,
    pub name_en: String,
    pub summary_zh: String,
    pub overrides: crate::product::ProductOverride,
    /// The flow template (by code, its latest version) the sub-product runs.
    pub flow_code: String,
}
