//! Loans and their repayment schedules (还款计划), for the customer who owes
//! them and for staff within scope.

use domain::date::Date;
use domain::schedule::{totals, Instalment};
pub use domain::view::{LoanDetail, LoanSummary};
use sqlx::any::AnyRow;

use crate::auth::{CustomerActor, StaffActor};
use crate::db::Db;
use crate::error::ServiceError;
use crate::sql;
use crate::Services;

/// The query [`summary_of`] reads: `today` is the placeholder of today's
/// date, `extra` more columns (from the joins the caller adds).
fn summary_select(today: &str, extra: &str) -> String {
    format!(
        "SELECT {extra} l.id, p.name_zh AS product_name_zh, p.name_en AS product_name_en, \
           l.principal_fen, l.outstanding_principal_fen, l.annual_rate_bp, l.term_months, \
           l.repayment_method, l.start_date, l.maturity_date, l.status, l.customer_id, \
           l.branch_id, \
           (SELECT s.due_date FROM loan_schedule s WHERE s.loan_id = l.id AND s.due_date >= {today} \
            ORDER BY s.n LIMIT 1) AS next_due_date, \
           (SELECT s.payment_fen FROM loan_schedule s WHERE s.loan_id = l.id \
            AND s.due_date >= {today} ORDER BY s.n LIMIT 1) AS next_due_payment \
         FROM loans l JOIN products p ON p.id = l.product_id"
    )
}

fn summary_of(r: &AnyRow) -> Result<LoanSummary, ServiceError> {
    let status = sql::text(r, "status")?;
    let next_due = match (
        sql::opt_text(r, "next_due_date")?,
        sql::opt_int(r, "next_due_payment")?,
    ) {
        (Some(d), Some(p)) if status == "active" => Some((
            Date::parse(&d).map_err(|e| ServiceError::internal("due_date", e.code()))?,
            domain::money::Fen(p),
        )),
        _ => None,
    };
    Ok(LoanSummary {
        id: sql::text(r, "id")?,
        product_name_zh: sql::text(r, "product_name_zh")?,
        product_name_en: sql::text(r, "product_name_en")?,
        principal: sql::fen(r, "principal_fen")?,
        outstanding: sql::fen(r, "outstanding_principal_fen")?,
        rate: sql::rate(r, "annual_rate_bp")?,
        term_months: sql::uint(r, "term_months")?,
        method: sql::method(r, "repayment_method")?,
        start_date: sql::date(r, "start_date")?,
        maturity_date: sql::date(r, "maturity_date")?,
        status,
        next_due,
    })
}

/// Every loan of one customer, newest first.
pub(crate) async fn loans_of_customer(
    db: &Db,
    customer_id: &str,
    today: Date,
) -> Result<Vec<LoanSummary>, ServiceError> {
    let sql = format!(
        "{} WHERE l.customer_id = $1 ORDER BY l.start_date DESC, l.id DESC",
        summary_select("$2", "")
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(customer_id)
        .bind(today.to_string())
        .fetch_all(&db.pool)
        .await?;
    rows.iter().map(summary_of).collect()
}

async fn schedule_of(db: &Db, loan_id: &str) -> Result<Vec<Instalment>, ServiceError> {
    let rows = sqlx::query(
        "SELECT n, due_date, principal_fen, interest_fen, payment_fen, balance_fen \
         FROM loan_schedule WHERE loan_id = $1 ORDER BY n",
    )
    .bind(loan_id)
    .fetch_all(&db.pool)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(Instalment {
                n: sql::uint(r, "n")?,
                due_date: sql::date(r, "due_date")?,
                principal: sql::fen(r, "principal_fen")?,
                interest: sql::fen(r, "interest_fen")?,
                payment: sql::fen(r, "payment_fen")?,
                balance: sql::fen(r, "balance_fen")?,
            })
        })
        .collect()
}

impl Services {
    pub async fn my_loans(&self, c: &CustomerActor) -> Result<Vec<LoanSummary>, ServiceError> {
        loans_of_customer(&self.db, &c.customer_id, self.today()).await
    }

    /// One of the customer's loans with its schedule; `NotFound` for anyone else's.
    pub async fn my_loan(&self, c: &CustomerActor, id: &str) -> Result<LoanDetail, ServiceError> {
        let (summary, customer_id, _) = self.load_loan(id).await?;
        if customer_id != c.customer_id {
            return Err(ServiceError::NotFound);
        }
        self.detail(summary).await
    }

    /// Any loan within the staff member's scope.
    pub async fn loan_for_staff(
        &self,
        s: &StaffActor,
        id: &str,
    ) -> Result<LoanDetail, ServiceError> {
        let (summary, _, branch_path) = self.load_loan(id).await?;
        if !s.covers(&branch_path) {
            return Err(ServiceError::Forbidden);
        }
        self.detail(summary).await
    }

    /// The loan, its customer and the path of its branch.
    async fn load_loan(&self, id: &str) -> Result<(LoanSummary, String, String), ServiceError> {
        let sql = format!(
            "{} JOIN organisations b ON b.id = l.branch_id WHERE l.id = $1",
            summary_select("$2", "b.path AS branch_path,")
        );
        let r = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(id)
            .bind(self.today().to_string())
            .fetch_optional(&self.db.pool)
            .await?
            .ok_or(ServiceError::NotFound)?;
        Ok((
            summary_of(&r)?,
            sql::text(&r, "customer_id")?,
            sql::text(&r, "branch_path")?,
        ))
    }

    async fn detail(&self, summary: LoanSummary) -> Result<LoanDetail, ServiceError> {
        let schedule = schedule_of(&self.db, &summary.id).await?;
        let totals = totals(&schedule);
        Ok(LoanDetail {
            summary,
            schedule,
            totals,
        })
    }
}
