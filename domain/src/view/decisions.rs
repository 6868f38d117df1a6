//! Decisions of the engine as staff see them: outcome, trace, features read and
//! the credit-bureau inquiry.

use crate::money::Fen;
use crate::rules::lifecycle::DecisionStage;
use crate::rules::rule::Verdict;
use crate::rules::schema::Value;
use crate::rules::strategy::StageKind;
use serde::{Deserialize, Serialize};

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
    pub outcome: InquiryOutcome,
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
    /// The same codes in words for staff, in order.
    pub reasons: Vec<crate::view::StaffReason>,
    pub trace: Vec<TraceLine>,
    pub features: Vec<FeatureValue>,
    pub bureau: Option<BureauInquiryView>,
    pub actor_name: String,
    pub created_at: i64,
    pub elapsed_us: i64,
}

crate::coded_enum! {
    /// How a credit-bureau inquiry went.
    pub enum InquiryOutcome {
        Ok => "ok",
        Failed => "failed",
        Timeout => "timeout",
        /// No consent on file: nothing was asked.
        NoConsent => "no_consent",
    }
}
