//! Collateral (押品) on an application's page: each piece with where its
//! title papers are, and whether the loan may be paid out against them.

use serde::{Deserialize, Serialize};

use crate::collateral::{CollateralKind, Custody};
use crate::date::Date;
use crate::error_code::ErrorCode;
use crate::money::Fen;

/// One piece of collateral, with what the viewer may do to it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CollateralView {
    pub id: String,
    pub kind: CollateralKind,
    pub owner_name: String,
    pub certificate_no: String,
    pub registration_no: Option<String>,
    pub valuation: Fen,
    pub valued_on: Date,
    pub valuer: String,
    pub description: String,
    pub custody: Custody,
    /// Who asked for the pending move, if one is pending.
    pub custody_asked_by: Option<String>,
    pub version: i64,
    pub can_register: bool,
    pub can_ask_in: bool,
    pub can_ask_out: bool,
    pub can_confirm: bool,
    /// Photos (the house, its papers, the site), oldest first.
    #[serde(default)]
    pub photos: Vec<CollateralPhotoView>,
    /// The user may add a photo (a recorder, while the piece is pledged).
    #[serde(default)]
    pub can_add_photo: bool,
}

/// A photo of a piece of collateral; its bytes come from the staff photo
/// route, scope-checked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CollateralPhotoView {
    pub id: String,
    pub caption: String,
    pub content_type: String,
    pub size_bytes: i64,
    pub uploaded_by: String,
    pub uploaded_at: i64,
}

/// The collateral of one application.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CollateralPanel {
    /// The product is a mortgage or pledge loan: no payout without it.
    pub required: bool,
    pub amount: Fen,
    pub total_value: Fen,
    /// The loan's share of the total value, and the cap, in basis points.
    pub ltv_bp: Option<u32>,
    pub cap_bp: Option<u32>,
    /// Why the loan cannot be paid out against its collateral yet; `None`
    /// when it can (or none is required).
    pub not_ready: Option<ErrorCode>,
    pub loan_settled: bool,
    pub can_record: bool,
    /// The mortgage (or pledge) contract drawn up for it, not voided.
    pub contract_id: Option<String>,
    /// May draw up the mortgage contract now.
    pub can_draw_contract: bool,
    pub items: Vec<CollateralView>,
}
