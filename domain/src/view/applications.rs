//! Applications: the customer's and the staff's view of one, its timeline,
//! investigation and approval, and what the customer is told of the pre-screen.

use super::{DecisionView, FlowTaskView, MyTask};
use crate::application::{ApplicationStatus, Decision};
use crate::date::Date;
use crate::error_code::ErrorCode;
use crate::money::Fen;
use crate::rate::AnnualRate;
use crate::rules::rule::Verdict;
use crate::schedule::RepaymentMethod;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApplicationSummary {
    pub id: crate::id::ApplicationId,
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
    pub kind: TimelineKind,
    pub actor_name: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomerApplicationView {
    pub summary: ApplicationSummary,
    pub purpose: String,
    pub timeline: Vec<TimelineEvent>,
    pub loan_id: Option<crate::id::LoanId>,
    /// The engine's pre-screen, once it ran (reasons only when rejected).
    #[serde(default)]
    pub screening: Option<CustomerScreening>,
    /// The decision, once there is one.
    #[serde(default)]
    pub decision: Option<super::CustomerDecision>,
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
    /// The category of reason the customer was told, on a refusal.
    #[serde(default)]
    pub decline: Option<crate::notice::DeclineCategory>,
    pub created_at: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StaffApplicationView {
    pub id: crate::id::ApplicationId,
    pub customer_id: crate::id::CustomerId,
    pub customer_name: String,
    pub id_number_masked: String,
    pub phone_masked: String,
    pub product_name_zh: String,
    pub product_name_en: String,
    pub amount: Fen,
    pub term_months: u32,
    /// The booked loan's rate, else the one its approval granted, else
    /// the product's.
    pub rate: AnnualRate,
    pub method: RepaymentMethod,
    pub purpose: String,
    pub status: ApplicationStatus,
    pub version: i64,
    pub officer_id: crate::id::StaffId,
    pub officer_name: String,
    pub branch_name: String,
    pub submitted_at: i64,
    pub consent_at: Option<i64>,
    pub investigation: Option<InvestigationView>,
    pub approval: Option<ApprovalView>,
    pub loan_id: Option<crate::id::LoanId>,
    pub can_investigate: bool,
    pub can_decide: bool,
    /// Why this user may not decide, e.g. [`ErrorCode::TaskNotAssigned`].
    pub decide_blocked_reason: Option<ErrorCode>,
    /// The engine's pre-screen on submission (the latest, if run again).
    #[serde(default)]
    pub pre_screen: Option<DecisionView>,
    /// The engine's full decision before approval (the latest).
    #[serde(default)]
    pub full_decision: Option<DecisionView>,
    /// Why approval (not rejection) is refused by the engine, e.g.
    /// [`ErrorCode::EngineRejected`] or [`ErrorCode::EngineLimitExceeded`].
    #[serde(default)]
    pub approve_blocked_reason: Option<ErrorCode>,
    /// The application's flow: where it is, and every task so far.
    #[serde(default)]
    pub flow_node: Option<String>,
    /// The viewer's open task on the current node, when it has no form of
    /// its own (see [`MyTask`]).
    pub my_task: Option<MyTask>,
    #[serde(default)]
    pub tasks: Vec<FlowTaskView>,
    /// 码上营销: the referral code the customer applied by, and whose it is.
    #[serde(default)]
    pub referral: Option<ReferralView>,
}

/// An officer's referral code (the QR code's `/r/CODE`) and its officer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReferralView {
    pub code: String,
    pub officer_name: String,
}

/// A reason for an adverse decision in words fit for a customer (see
/// [`crate::rules::reasons`]); `code` is "general" for one kept internal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomerReason {
    pub code: String,
    pub text_zh: String,
    pub text_en: String,
}

/// A reason code as staff read it (see [`crate::rules::reasons::staff_reasons`]):
/// the code, its words, and whether the customer is told it in words of its
/// own (codes kept from customers read to them as the general sentence).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StaffReason {
    pub code: String,
    pub text_zh: String,
    pub text_en: String,
    pub told_to_customer: bool,
}

/// What the customer is told of the engine's pre-screen (预审). Reasons are
/// given for a rejection only; never the internal trace.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomerScreening {
    pub outcome: Verdict,
    pub reasons: Vec<CustomerReason>,
    pub at: i64,
}

crate::coded_enum! {
    /// A step of an application's timeline, as the customer sees it.
    pub enum TimelineKind {
        Submitted => "submitted",
        Investigated => "investigated",
        Approved => "approved",
        Rejected => "rejected",
    }
}
