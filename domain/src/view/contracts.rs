//! Electronic contracts as staff and borrowers read them: template
//! versions under maker-checker, contracts with their signers and seal, and
//! what the check of an exported contract file found.

use serde::{Deserialize, Serialize};

use crate::contract::{ContractKind, Signer};
use crate::date::Date;
use crate::money::Fen;
use crate::rate::AnnualRate;
use crate::schedule::RepaymentMethod;

/// The loan's terms as a contract states them, for the signing page's
/// summary: the granted terms, or the booked loan's once paid out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContractKeyTerms {
    pub amount: Fen,
    pub rate: AnnualRate,
    pub term_months: u32,
    pub method: RepaymentMethod,
    pub start_date: Date,
    pub maturity_date: Date,
}

crate::coded_enum! {
    /// Where a contract template version is in its life.
    pub enum TemplateStatus {
        Draft => "draft",
        Submitted => "submitted",
        Published => "published",
        Retired => "retired",
    }
}

crate::coded_enum! {
    /// Where a contract is: drawn up, signed and sealed, or voided.
    pub enum ContractStatus {
        Generated => "generated",
        Signed => "signed",
        Voided => "voided",
    }
}

/// A draft to save: a new version when `id` is `None`, else the author's
/// edit of their draft (guarded by `expected_row_version` when given).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TemplateDraft {
    pub id: Option<String>,
    /// `None`: the bank-wide template of this kind.
    pub product_id: Option<String>,
    pub kind: ContractKind,
    pub body: String,
    pub expected_row_version: Option<i64>,
}

/// One template version as staff see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TemplateView {
    pub id: String,
    pub product_id: Option<String>,
    pub kind: ContractKind,
    pub version: i64,
    pub status: TemplateStatus,
    pub body: String,
    pub author_id: String,
    pub approver_id: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
    pub published_at: Option<i64>,
    pub row_version: i64,
}

/// A contract as its borrower and staff read it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContractView {
    pub id: String,
    pub contract_no: String,
    pub application_id: String,
    pub kind: ContractKind,
    pub template_version: i64,
    pub status: ContractStatus,
    pub text: String,
    /// In signing order, the bank's seal last.
    pub signers: Vec<Signer>,
    pub canonical_sha256: Option<String>,
    pub seal: Option<String>,
    pub public_key: Option<String>,
    pub signed_at: Option<i64>,
    pub created_at: i64,
}

/// What the check of a contract file found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Verification {
    /// The file is, byte for byte, a contract the bank sealed.
    pub valid: bool,
    pub contract_no: Option<String>,
    /// When the bank sealed it (epoch milliseconds).
    pub signed_at: Option<i64>,
    pub signers: Vec<Signer>,
    /// Why it is not valid, in English, for the log and the command line.
    pub reason: Option<String>,
}
