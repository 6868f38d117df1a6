//! Guarantors (保证人) on an application's page: each with their consent,
//! their bureau check and their signature, the guarantee contract, and
//! whether the loan may be paid out against them.

use serde::{Deserialize, Serialize};

use crate::error_code::ErrorCode;
use crate::guarantor::{DeclineReason, GuarantorRelation, GuarantorStatus};
use crate::view::ContractStatus;

/// One guarantor, masked, with what the viewer may do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GuarantorView {
    pub id: String,
    pub name: String,
    pub id_number_masked: String,
    pub phone_masked: String,
    pub relation: GuarantorRelation,
    pub note: String,
    pub status: GuarantorStatus,
    /// The bureau's score, when it answered and the person has one.
    pub bureau_score: Option<i64>,
    /// The bureau's report is made up by the development provider.
    pub bureau_synthetic: bool,
    /// The bureau did not answer the last time it was asked.
    pub bureau_unavailable: bool,
    pub decline_reason: Option<DeclineReason>,
    pub consented_at: Option<i64>,
    pub signed_at: Option<i64>,
    pub version: i64,
    /// May send the consent code and confirm the consent (or ask the bureau again).
    pub can_consent: bool,
    /// May send the signing code and sign face to face.
    pub can_sign: bool,
    pub can_remove: bool,
}

/// The application's guarantee contract, in brief.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GuaranteeContractBrief {
    pub id: String,
    pub contract_no: String,
    pub status: ContractStatus,
    /// The guarantor signatures on it, and how many it needs.
    pub signed: u32,
    pub signers: u32,
}

/// The guarantors of one application.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GuarantorPanel {
    /// The product is a guaranteed loan: no payout without them.
    pub required: bool,
    /// Why the loan cannot be paid out against its guarantors yet.
    pub not_ready: Option<ErrorCode>,
    pub can_record: bool,
    pub contract: Option<GuaranteeContractBrief>,
    /// May draw up the guarantee contract now.
    pub can_draw_contract: bool,
    pub items: Vec<GuarantorView>,
}
