//! Loan applications (进件), the whole lifecycle in one place: submitting
//! one with its credit-bureau consent and pre-screen ([`submit`]), the
//! customer following their own ([`mine`]), the file staff work from
//! ([`file`]), the on-site investigation ([`investigation`]) and the
//! approval that books the loan ([`approval`]). [`status`] is the one
//! writer of an application's status; the engines below (`workflow`,
//! `risk`) use it, so it sits a layer under the use cases of this module
//! (see `docs/architecture.md`).
//!
//! Every write starts its transaction with the guarded update of the
//! application (`… WHERE id = $1 AND version = $2 AND status = …`), so two
//! people acting on the same application at once cannot both succeed, on
//! SQLite or PostgreSQL.

use_cases!(
    /// The use cases of this module, reached as `services.applications()`.
    Applications,
    applications
);

use domain::application::ApplicationStatus;
use domain::money::Fen;
use domain::product::GuaranteeType;
use domain::schedule::RepaymentMethod;
use sqlx::any::AnyRow;

use crate::db::Db;
use crate::error::ServiceError;
use crate::sql;

pub(crate) mod status;

mod approval;
mod collateral;
mod disbursement;
mod file;
mod guarantors;
mod investigation;
mod mine;
pub(crate) mod rows;
mod submit;

pub use domain::view::{
    ApplicationSummary, ApprovalView, CustomerApplicationView, InvestigationView, ProductView,
    StaffApplicationView, TimelineEvent,
};
pub use investigation::InvestigationInput;
pub use submit::{NewApplication, CONSENT_VERSION, SCREENING_ACTOR};

/// The columns [`summary_of`] reads; join `applications a`, `products p`,
/// `customers c` and `staff_users u` (the officer).
pub(crate) const SUMMARY_COLUMNS: &str = "a.id, p.name_zh AS product_name_zh, \
     p.name_en AS product_name_en, a.amount_fen, a.term_months, a.status, a.submitted_at, \
     c.name AS customer_name, u.display_name AS officer_name, a.version";

pub(crate) const SUMMARY_JOINS: &str = "FROM applications a \
     JOIN products p ON p.id = a.product_id \
     JOIN customers c ON c.id = a.customer_id \
     JOIN staff_users u ON u.id = a.officer_id";

pub(crate) fn summary_of(r: &AnyRow) -> Result<ApplicationSummary, ServiceError> {
    Ok(ApplicationSummary {
        id: sql::text(r, "id")?.into(),
        product_name_zh: sql::text(r, "product_name_zh")?,
        product_name_en: sql::text(r, "product_name_en")?,
        amount: sql::fen(r, "amount_fen")?,
        term_months: sql::uint(r, "term_months")?,
        status: sql::status(r, "status")?,
        submitted_at: sql::int(r, "submitted_at")?,
        customer_name: sql::text(r, "customer_name")?,
        officer_name: sql::text(r, "officer_name")?,
        version: sql::int(r, "version")?,
    })
}

/// Every application of one customer, newest first.
pub(crate) async fn summaries_of_customer(
    db: &Db,
    customer_id: &str,
) -> Result<Vec<ApplicationSummary>, ServiceError> {
    let sql = format!(
        "SELECT {SUMMARY_COLUMNS} {SUMMARY_JOINS} WHERE a.customer_id = $1 \
         ORDER BY a.submitted_at DESC, a.id DESC"
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(customer_id)
        .fetch_all(&db.pool)
        .await?;
    rows.iter().map(summary_of).collect()
}

pub(crate) async fn loan_of_application(
    db: &Db,
    application_id: &str,
) -> Result<Option<String>, ServiceError> {
    let r = sqlx::query("SELECT id FROM loans WHERE application_id = $1")
        .bind(application_id)
        .fetch_optional(&db.pool)
        .await?;
    r.map(|r| sql::text(&r, "id")).transpose()
}

/// The facts of an application that permissions and transitions depend on.
pub(crate) struct AppFacts {
    status: ApplicationStatus,
    officer_id: String,
    branch_id: String,
    branch_path: String,
    customer_id: String,
    product_id: String,
    bank_id: String,
    amount: Fen,
    term_months: u32,
    investigator_id: Option<String>,
    /// Where the application is in its flow; `None` only for a drawdown
    /// under a granted line, which has no flow of its own.
    flow_node: Option<String>,
    /// The repayment method and guarantee type the applicant chose (the
    /// product's own for an application from before the choice).
    method: RepaymentMethod,
    guarantee: GuaranteeType,
}

impl Applications<'_> {
    /// Whether the application's loan contract is drawn up (not voided):
    /// its guarantee and mortgage contracts refer to it.
    pub(crate) async fn loan_contract_drawn(self, id: &str) -> Result<bool, ServiceError> {
        Ok(sqlx::query(
            "SELECT 1 AS x FROM contracts WHERE application_id = $1 AND kind = 'loan' \
             AND status <> 'voided'",
        )
        .bind(id)
        .fetch_optional(&self.db.pool)
        .await?
        .is_some())
    }

    pub(crate) async fn facts(self, id: &str) -> Result<AppFacts, ServiceError> {
        let r = sqlx::query(
            "SELECT a.status, a.officer_id, a.branch_id, b.path, a.customer_id, \
                    a.product_id, a.bank_id, a.amount_fen, a.term_months, a.flow_node, \
                    COALESCE(a.repayment_method, p.repayment_method) AS method, \
                    COALESCE(a.guarantee_type, p.guarantee_type) AS guarantee, \
                    (SELECT i.investigator_id FROM investigations i \
                     WHERE i.application_id = a.id ORDER BY i.created_at LIMIT 1) \
                      AS investigator_id \
             FROM applications a JOIN organisations b ON b.id = a.branch_id \
             JOIN products p ON p.id = a.product_id \
             WHERE a.id = $1",
        )
        .bind(id)
        .fetch_optional(&self.db.pool)
        .await?
        .ok_or(ServiceError::NotFound)?;
        Ok(AppFacts {
            status: sql::status(&r, "status")?,
            officer_id: sql::text(&r, "officer_id")?,
            branch_id: sql::text(&r, "branch_id")?,
            branch_path: sql::text(&r, "path")?,
            customer_id: sql::text(&r, "customer_id")?,
            product_id: sql::text(&r, "product_id")?,
            bank_id: sql::text(&r, "bank_id")?,
            amount: sql::fen(&r, "amount_fen")?,
            term_months: sql::uint(&r, "term_months")?,
            investigator_id: sql::opt_text(&r, "investigator_id")?,
            flow_node: sql::opt_text(&r, "flow_node")?,
            method: sql::method(&r, "method")?,
            guarantee: sql::coded(&r, "guarantee", GuaranteeType::parse)?,
        })
    }
}
