//! Products: the customer's catalogue, the product supermarket and factory
//! (versions, sub-products), and the flow templates they run.

use crate::money::Fen;
use crate::rate::AnnualRate;
use crate::schedule::RepaymentMethod;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProductView {
    pub id: crate::id::ProductId,
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
    /// The default repayment method (the first of `methods`).
    pub method: RepaymentMethod,
    /// The default guarantee type (the first of `guarantee_types`).
    pub guarantee_type: crate::product::GuaranteeType,
    /// Every repayment method the applicant may choose.
    pub methods: Vec<RepaymentMethod>,
    /// Every guarantee type the applicant may choose.
    pub guarantee_types: Vec<crate::product::GuaranteeType>,
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
    pub id: crate::id::ProductVersionId,
    pub product_id: crate::id::ProductId,
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
    /// Why a withdrawn version (停用) was withdrawn; `None` when it was
    /// replaced by a newer one, or is not retired.
    pub retire_reason: Option<String>,
    pub row_version: i64,
}

/// A product in the supermarket: its identity, its parent, and its versions
/// (newest first).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SupermarketProduct {
    pub id: crate::id::ProductId,
    pub code: String,
    pub name_zh: String,
    pub name_en: String,
    pub summary_zh: String,
    pub parent_id: Option<crate::id::ProductId>,
    pub parent_name_zh: Option<String>,
    pub live_version: Option<u32>,
    pub versions: Vec<ProductVersionView>,
}

/// What a product manager fills in for a new product: a sub-product of a
/// published product (`parent_id`), or a top-level product (`None`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewProductDraft {
    pub parent_id: Option<crate::id::ProductId>,
    /// Letters, digits, '-' and '_', 2 to 32 characters, unique in the bank.
    pub code: String,
    pub name_zh: String,
    pub name_en: String,
    pub summary_zh: String,
    pub overrides: crate::product::ProductOverride,
    /// The flow template (by code, its latest version) the sub-product runs.
    pub flow_code: String,
}

/// What a product manager posts for the next version of a product: the
/// changed parameters (what equals the version it follows stays as it is),
/// the flow it runs, and why it changes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewProductVersion {
    pub product_id: crate::id::ProductId,
    pub overrides: crate::product::ProductOverride,
    pub flow_code: String,
    /// Why (e.g. "按 2027 年定价调整利率"); shown with the version.
    pub note: String,
}
