//! The rows of an application's file, each with its one writer: the
//! application itself with its first status, the customer's bureau consent,
//! the investigator's report and the approver's decision. The use cases of
//! this module and the demo bank both write through them; only
//! [`super::status`] moves a status afterwards (a drawdown's application,
//! approved within its line, is written by `servicing::lines`).

use domain::application::{ApplicationStatus, Decision};
use domain::date::Date;
use domain::money::Fen;
use domain::product::GuaranteeType;
use domain::rate::AnnualRate;
use domain::schedule::RepaymentMethod;
use sqlx::{Any, Transaction};

use crate::error::ServiceError;
use crate::sql::{self, Val};

/// The columns [`NewApplicationRow::row`] fills, in its order.
pub(crate) const APPLICATION_COLUMNS: [&str; 19] = [
    "id",
    "bank_id",
    "branch_id",
    "customer_id",
    "product_id",
    "amount_fen",
    "term_months",
    "purpose",
    "status",
    "officer_id",
    "idempotency_key",
    "submitted_at",
    "submitted_on",
    "decided_at",
    "version",
    "updated_at",
    "product_version_id",
    "repayment_method",
    "guarantee_type",
];

/// An application about to be written, in the state it starts in (a
/// customer's is submitted; the demo bank's are in every state).
pub(crate) struct NewApplicationRow<'a> {
    pub id: &'a str,
    pub bank_id: &'a str,
    pub branch_id: &'a str,
    pub customer_id: &'a str,
    pub product_id: &'a str,
    pub amount: Fen,
    pub term_months: u32,
    pub purpose: &'a str,
    pub status: ApplicationStatus,
    pub officer_id: &'a str,
    pub idempotency_key: &'a str,
    pub submitted_at: i64,
    pub submitted_on: Date,
    pub decided_at: Option<i64>,
    pub version: i64,
    pub updated_at: i64,
    /// The product version it runs under (None before product versions).
    pub product_version_id: Option<&'a str>,
    /// The repayment method and guarantee type the applicant chose among
    /// the product's (None: the product's only ones, as before the choice).
    pub choice: Option<(RepaymentMethod, GuaranteeType)>,
}

impl NewApplicationRow<'_> {
    /// The row for [`APPLICATION_COLUMNS`].
    pub fn row(&self) -> Vec<Val> {
        vec![
            Val::from(self.id),
            Val::from(self.bank_id),
            Val::from(self.branch_id),
            Val::from(self.customer_id),
            Val::from(self.product_id),
            Val::from(self.amount),
            Val::from(self.term_months),
            Val::from(self.purpose),
            Val::from(self.status.as_str()),
            Val::from(self.officer_id),
            Val::from(self.idempotency_key),
            Val::Int(self.submitted_at),
            Val::from(self.submitted_on.to_string()),
            Val::from(self.decided_at),
            Val::Int(self.version),
            Val::Int(self.updated_at),
            Val::from(self.product_version_id.map(str::to_string)),
            Val::from(self.choice.map(|c| c.0.as_str().to_string())),
            Val::from(self.choice.map(|c| c.1.as_str().to_string())),
        ]
    }

    /// Writes the one row, in the caller's transaction.
    pub async fn insert(&self, tx: &mut Transaction<'_, Any>) -> Result<(), ServiceError> {
        sql::insert_rows(tx, "applications", &APPLICATION_COLUMNS, &[self.row()]).await
    }
}

/// The columns [`NewConsent::row`] fills, in its order.
pub(crate) const CONSENT_COLUMNS: [&str; 5] = [
    "id",
    "customer_id",
    "application_id",
    "consent_version",
    "granted_at",
];

/// The customer's consent to the bureau inquiry (征信授权), given with the
/// application.
pub(crate) struct NewConsent<'a> {
    pub id: &'a str,
    pub customer_id: &'a str,
    pub application_id: &'a str,
    pub consent_version: &'a str,
    pub granted_at: i64,
}

impl NewConsent<'_> {
    /// The row for [`CONSENT_COLUMNS`].
    pub fn row(&self) -> Vec<Val> {
        vec![
            Val::from(self.id),
            Val::from(self.customer_id),
            Val::from(self.application_id),
            Val::from(self.consent_version),
            Val::Int(self.granted_at),
        ]
    }
}

/// The columns [`NewInvestigation::row`] fills, in its order.
pub(crate) const INVESTIGATION_COLUMNS: [&str; 12] = [
    "id",
    "application_id",
    "task_id",
    "investigator_id",
    "visited_on",
    "household_income_fen",
    "household_assets_fen",
    "household_debts_fen",
    "findings",
    "recommendation",
    "recommended_amount_fen",
    "created_at",
];

/// An investigator's report (下户调查).
pub(crate) struct NewInvestigation<'a> {
    pub id: &'a str,
    pub application_id: &'a str,
    /// The flow task it completes (None for the demo's history).
    pub task_id: Option<&'a str>,
    pub investigator_id: &'a str,
    pub visited_on: Date,
    pub household_income: Fen,
    pub household_assets: Fen,
    pub household_debts: Fen,
    pub findings: &'a str,
    pub recommendation: Decision,
    pub recommended_amount: Fen,
    pub created_at: i64,
}

impl NewInvestigation<'_> {
    /// The row for [`INVESTIGATION_COLUMNS`].
    pub fn row(&self) -> Vec<Val> {
        vec![
            Val::from(self.id),
            Val::from(self.application_id),
            Val::from(self.task_id.map(str::to_string)),
            Val::from(self.investigator_id),
            Val::from(self.visited_on.to_string()),
            Val::from(self.household_income),
            Val::from(self.household_assets),
            Val::from(self.household_debts),
            Val::from(self.findings),
            Val::from(self.recommendation.as_str()),
            Val::from(self.recommended_amount),
            Val::Int(self.created_at),
        ]
    }
}

/// The columns [`NewApproval::row`] fills, in its order.
pub(crate) const APPROVAL_COLUMNS: [&str; 8] = [
    "id",
    "application_id",
    "approver_id",
    "decision",
    "comment",
    "created_at",
    "annual_rate_bp",
    "repayment_method",
];

/// The final decision's record (审批意见).
pub(crate) struct NewApproval<'a> {
    pub id: &'a str,
    pub application_id: &'a str,
    pub approver_id: &'a str,
    pub decision: Decision,
    pub comment: &'a str,
    pub created_at: i64,
    /// What an approval granted (the rate and the method the contract
    /// states and the payout books); `None` for a rejection, and for a
    /// loan booked with its approval.
    pub terms: Option<(AnnualRate, RepaymentMethod)>,
}

impl NewApproval<'_> {
    /// The row for [`APPROVAL_COLUMNS`].
    pub fn row(&self) -> Vec<Val> {
        vec![
            Val::from(self.id),
            Val::from(self.application_id),
            Val::from(self.approver_id),
            Val::from(self.decision.as_str()),
            Val::from(self.comment),
            Val::Int(self.created_at),
            self.terms
                .map_or(Val::NullInt, |(rate, _)| Val::Int(i64::from(rate.bp()))),
            self.terms
                .map_or(Val::NullText, |(_, method)| Val::from(method.as_str())),
        ]
    }
}
