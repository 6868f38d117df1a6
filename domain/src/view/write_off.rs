//! 核销 on the staff loan page: whether the loan may be written off, its
//! proposals and decisions, and what the caller may do.

use serde::{Deserialize, Serialize};

use crate::error_code::ErrorCode;
use crate::money::Fen;
use crate::servicing::eod::Classification;

crate::coded_enum! {
    /// Where a write-off proposal stands.
    pub enum WriteOffStatus {
        Proposed => "proposed",
        Approved => "approved",
        Refused => "refused",
    }
}

/// One proposal, with its decision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WriteOffView {
    pub id: String,
    pub status: WriteOffStatus,
    pub reason: String,
    pub evidence: String,
    /// Who proposed and who decided, by name.
    pub proposed_by: String,
    pub proposed_at: i64,
    pub decided_by: Option<String>,
    pub decided_at: Option<i64>,
    pub comment: Option<String>,
    /// What was written off, once approved.
    pub principal: Option<Fen>,
    pub interest: Option<Fen>,
    pub penalty: Option<Fen>,
    /// The caller may approve or refuse it.
    pub can_decide: bool,
}

/// The loan's write-off panel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WriteOffPanel {
    pub classification: Classification,
    pub dpd: u32,
    /// What a write-off now would write off.
    pub principal: Fen,
    pub interest: Fen,
    pub penalty: Fen,
    /// Why the loan may not be written off; `None` when it may.
    pub not_eligible: Option<ErrorCode>,
    pub can_propose: bool,
    pub items: Vec<WriteOffView>,
}
