//! Batch decisions: pre-credit jobs (整村授信预授信), whitelist imports and
//! credit offers.

use crate::date::Date;
use crate::error_code::ErrorCode;
use crate::money::Fen;
use crate::rate::AnnualRate;
use crate::servicing::credit_line::LineKind;
use serde::{Deserialize, Serialize};

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
    pub customer_id: Option<crate::id::CustomerId>,
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
    pub product_id: crate::id::ProductId,
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
    pub credit_line_id: Option<crate::id::LineId>,
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
    /// e.g. [`ErrorCode::IdChecksum`], [`ErrorCode::WhitelistUnknownVillage`].
    pub code: ErrorCode,
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
