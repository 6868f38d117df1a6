//! Loans and their repayment schedules (还款计划), for the customer who owes
//! them and for staff within scope.

use_cases!(
    /// The use cases of this module, reached as `services.loans()`.
    Loans,
    loans
);

use domain::date::Date;
use domain::schedule::totals;
use domain::servicing::eod::{Classification, PrepaymentKind};
use domain::servicing::ledger::{Account as LedgerAccount, Dues, Line, PostingKind};
use domain::view::{InstalmentState, PaymentView, PostingView, PrepaymentView, ScheduleLine};
pub use domain::view::{LoanDetail, LoanSummary};
use std::collections::HashMap;

use futures_util::future::{try_join, try_join3, try_join4};
use sqlx::any::AnyRow;

use crate::auth::{CustomerActor, Reading, StaffActor};
use crate::db::Db;
use crate::error::ServiceError;
use crate::servicing::{load_account, scheduled_of};
use crate::sql;

/// The query [`summary_of`] reads: `extra` more columns (from the joins the
/// caller adds). The next due instalment is the first not fully paid.
fn summary_select(extra: &str) -> String {
    format!(
        "SELECT {extra} l.id, p.name_zh AS product_name_zh, p.name_en AS product_name_en, \
           l.principal_fen, l.annual_rate_bp, l.term_months, l.repayment_method, l.start_date, \
           l.maturity_date, l.customer_id, l.branch_id, l.credit_line_id, \
           a.status, a.principal_outstanding_fen, a.interest_receivable_fen, \
           a.penalty_receivable_fen, a.dpd, a.classification, a.last_processed, \
           a.revolving_maturity, \
           (SELECT s.due_date FROM loan_schedule s WHERE s.loan_id = l.id \
            AND (s.paid_principal_fen < s.principal_fen OR s.paid_interest_fen < s.interest_fen) \
            ORDER BY s.n LIMIT 1) AS next_due_date, \
           (SELECT s.payment_fen - s.paid_principal_fen - s.paid_interest_fen FROM loan_schedule s \
            WHERE s.loan_id = l.id \
            AND (s.paid_principal_fen < s.principal_fen OR s.paid_interest_fen < s.interest_fen) \
            ORDER BY s.n LIMIT 1) AS next_due_payment \
         FROM loans l JOIN products p ON p.id = l.product_id \
         JOIN loan_accounts a ON a.loan_id = l.id"
    )
}

/// The summary, with what is due now as the domain works it out from the
/// loan's account (`due_now`, loaded by the caller).
fn summary_of(r: &AnyRow, due_now: Dues) -> Result<LoanSummary, ServiceError> {
    let status = sql::text(r, "status")?;
    let status = domain::servicing::eod::LoanStatus::parse(&status)
        .ok_or_else(|| ServiceError::internal("loan status", status))?;
    let open = status.is_open();
    let next_due = match (
        sql::opt_text(r, "next_due_date")?,
        sql::opt_int(r, "next_due_payment")?,
    ) {
        (Some(d), Some(p)) if open => Some((
            Date::parse(&d).map_err(|e| ServiceError::internal("due_date", e.code()))?,
            domain::money::Fen(p),
        )),
        _ => None,
    };
    let last_processed = sql::date(r, "last_processed")?;
    let revolving = sql::opt_text(r, "revolving_maturity")?.is_some();
    let principal_outstanding = sql::fen(r, "principal_outstanding_fen")?;
    let interest_receivable = sql::fen(r, "interest_receivable_fen")?;
    let due_now = if open { due_now } else { Dues::default() };
    let cls = sql::text(r, "classification")?;
    Ok(LoanSummary {
        id: sql::text(r, "id")?.into(),
        product_name_zh: sql::text(r, "product_name_zh")?,
        product_name_en: sql::text(r, "product_name_en")?,
        principal: sql::fen(r, "principal_fen")?,
        outstanding: principal_outstanding,
        rate: sql::rate(r, "annual_rate_bp")?,
        term_months: sql::uint(r, "term_months")?,
        method: sql::method(r, "repayment_method")?,
        start_date: sql::date(r, "start_date")?,
        maturity_date: sql::date(r, "maturity_date")?,
        status,
        next_due,
        dpd: sql::uint(r, "dpd")?,
        classification: Classification::parse(&cls)
            .ok_or_else(|| ServiceError::internal("classification", cls))?,
        due_now,
        interest_receivable,
        credit_line_id: sql::opt_text(r, "credit_line_id")?.map(Into::into),
        revolving,
        last_processed,
    })
}

/// Summaries of the loans the query's rows describe, with their dues.
async fn summaries(db: &Db, rows: &[AnyRow]) -> Result<Vec<LoanSummary>, ServiceError> {
    let mut conn = db.pool.acquire().await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let account = load_account(&mut conn, &sql::text(r, "id")?).await?;
        let due_now = account
            .state
            .dues()
            .map_err(|e| ServiceError::internal("dues", e.code()))?;
        out.push(summary_of(r, due_now)?);
    }
    Ok(out)
}

/// Every loan of one customer, newest first.
pub(crate) async fn loans_of_customer(
    db: &Db,
    customer_id: &str,
) -> Result<Vec<LoanSummary>, ServiceError> {
    let sql = format!(
        "{} WHERE l.customer_id = $1 ORDER BY l.start_date DESC, l.id DESC",
        summary_select("")
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(customer_id)
        .fetch_all(&db.pool)
        .await?;
    summaries(db, &rows).await
}

async fn schedule_of(
    db: &Db,
    loan_id: &str,
    last_processed: Date,
    written_off: bool,
) -> Result<Vec<ScheduleLine>, ServiceError> {
    let rows = sqlx::query(
        "SELECT n, due_date, principal_fen, interest_fen, payment_fen, balance_fen, \
           paid_principal_fen, paid_interest_fen \
         FROM loan_schedule WHERE loan_id = $1 ORDER BY n",
    )
    .bind(loan_id)
    .fetch_all(&db.pool)
    .await?;
    rows.iter()
        .map(|r| {
            let s = scheduled_of(r)?;
            let due = s.instalment.due_date;
            let state = if s.is_paid() {
                InstalmentState::Paid
            } else if written_off {
                InstalmentState::WrittenOff
            } else if due < last_processed {
                InstalmentState::Overdue
            } else if due == last_processed {
                InstalmentState::Due
            } else {
                InstalmentState::Future
            };
            Ok(ScheduleLine {
                instalment: s.instalment,
                paid_principal: s.paid_principal,
                paid_interest: s.paid_interest,
                state,
            })
        })
        .collect()
}

async fn payments_of(db: &Db, loan_id: &str) -> Result<Vec<PaymentView>, ServiceError> {
    let rows = sqlx::query(
        "SELECT reference, amount_fen, status, failure, created_at FROM payments \
         WHERE loan_id = $1 ORDER BY created_at DESC LIMIT 50",
    )
    .bind(loan_id)
    .fetch_all(&db.pool)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(PaymentView {
                reference: sql::text(r, "reference")?,
                amount: sql::fen(r, "amount_fen")?,
                status: {
                    let s = sql::text(r, "status")?;
                    domain::view::PaymentStatus::parse(&s)
                        .ok_or_else(|| ServiceError::internal("payment status", s))?
                },
                failure: sql::opt_text(r, "failure")?,
                created_at: sql::int(r, "created_at")?,
            })
        })
        .collect()
}

async fn prepayments_of(db: &Db, loan_id: &str) -> Result<Vec<PrepaymentView>, ServiceError> {
    let rows = sqlx::query(
        "SELECT business_date, mode, channel, principal_fen, interest_fen, total_fen, \
           periods_before, periods_after, payment_before_fen, payment_after_fen, \
           interest_saved_fen, created_at FROM prepayments \
         WHERE loan_id = $1 ORDER BY created_at DESC LIMIT 50",
    )
    .bind(loan_id)
    .fetch_all(&db.pool)
    .await?;
    rows.iter()
        .map(|r| {
            let mode = sql::text(r, "mode")?;
            Ok(PrepaymentView {
                business_date: sql::date(r, "business_date")?,
                kind: PrepaymentKind::parse(&mode)
                    .ok_or_else(|| ServiceError::internal("prepayment mode", mode))?,
                at_counter: sql::text(r, "channel")? == "counter",
                principal: sql::fen(r, "principal_fen")?,
                interest: sql::fen(r, "interest_fen")?,
                total: sql::fen(r, "total_fen")?,
                periods_before: sql::uint(r, "periods_before")?,
                periods_after: sql::uint(r, "periods_after")?,
                payment_before: sql::fen(r, "payment_before_fen")?,
                payment_after: sql::opt_int(r, "payment_after_fen")?.map(domain::money::Fen),
                interest_saved: sql::fen(r, "interest_saved_fen")?,
                created_at: sql::int(r, "created_at")?,
            })
        })
        .collect()
}

/// How many of a loan's newest postings its page shows (a 30-year loan has
/// thousands; the reconciliation and the export read them all).
pub const LEDGER_PAGE: i64 = 200;

/// The loan's newest [`LEDGER_PAGE`] postings with their lines, oldest
/// first, and how many it has in all.
async fn ledger_of(db: &Db, loan_id: &str) -> Result<(Vec<PostingView>, u64), ServiceError> {
    // The count, the page's postings and their lines are read at once; each
    // row is decoded once (not a posting's columns again on each line).
    const PAGE: &str = "SELECT idempotency_key, business_date, kind, amount_fen, created_at \
         FROM postings WHERE loan_id = $1 \
         ORDER BY business_date DESC, created_at DESC, idempotency_key DESC LIMIT $2";
    let total = sqlx::query("SELECT COUNT(*) AS n FROM postings WHERE loan_id = $1")
        .bind(loan_id)
        .fetch_one(&db.pool);
    let postings = sqlx::query(PAGE)
        .bind(loan_id)
        .bind(LEDGER_PAGE)
        .fetch_all(&db.pool);
    let lines_sql = format!(
        "SELECT l.idempotency_key, l.account, l.debit_fen, l.credit_fen \
         FROM ({PAGE}) p \
         JOIN posting_lines l ON l.loan_id = $1 AND l.idempotency_key = p.idempotency_key \
         ORDER BY l.idempotency_key, l.line_no"
    );
    let lines = sqlx::query(sqlx::AssertSqlSafe(lines_sql))
        .bind(loan_id)
        .bind(LEDGER_PAGE)
        .fetch_all(&db.pool);
    let (total, postings, lines) = try_join3(total, postings, lines).await?;
    let total = u64::try_from(sql::int(&total, "n")?).unwrap_or(0);
    let mut by_key: HashMap<String, Vec<Line>> = HashMap::with_capacity(postings.len());
    for r in &lines {
        let account_raw = sql::text(r, "account")?;
        by_key
            .entry(sql::text(r, "idempotency_key")?)
            .or_default()
            .push(Line {
                account: LedgerAccount::parse(&account_raw)
                    .ok_or_else(|| ServiceError::internal("account", account_raw))?,
                debit: sql::fen(r, "debit_fen")?,
                credit: sql::fen(r, "credit_fen")?,
            });
    }
    // Newest first from the query; the page lists them oldest first.
    postings
        .iter()
        .rev()
        .map(|r| {
            let key = sql::text(r, "idempotency_key")?;
            let kind_raw = sql::text(r, "kind")?;
            Ok(PostingView {
                business_date: sql::date(r, "business_date")?,
                kind: PostingKind::parse(&kind_raw)
                    .ok_or_else(|| ServiceError::internal("kind", kind_raw))?,
                lines: by_key.remove(&key).unwrap_or_default(),
                reference: key,
                amount: sql::fen(r, "amount_fen")?,
            })
        })
        .collect::<Result<Vec<_>, ServiceError>>()
        .map(|out| (out, total))
}

impl Loans<'_> {
    pub async fn my_loans(self, c: &CustomerActor) -> Result<Vec<LoanSummary>, ServiceError> {
        loans_of_customer(&self.db, &c.customer_id).await
    }

    /// One of the customer's loans with its schedule and payments;
    /// `NotFound` for anyone else's.
    pub async fn my_loan(self, c: &CustomerActor, id: &str) -> Result<LoanDetail, ServiceError> {
        let (summary, customer_id, _) = self.load_loan(id).await?;
        if customer_id != c.customer_id {
            return Err(ServiceError::NotFound);
        }
        self.detail(summary, false).await
    }

    /// Any loan within the staff member's scope, with its ledger.
    pub async fn loan_for_staff(
        self,
        s: &StaffActor,
        id: &str,
    ) -> Result<LoanDetail, ServiceError> {
        let (summary, _, branch_path) = self.load_loan(id).await?;
        s.may_read(Reading::Ledger, &branch_path)?;
        self.detail(summary, true).await
    }

    /// The loan, its customer and the path of its branch. The loan's row
    /// and its account (for what is due now) are read at once.
    async fn load_loan(self, id: &str) -> Result<(LoanSummary, String, String), ServiceError> {
        let sql = format!(
            "{} JOIN organisations b ON b.id = l.branch_id WHERE l.id = $1",
            summary_select("b.path AS branch_path,")
        );
        let row = async {
            Ok::<_, ServiceError>(
                sqlx::query(sqlx::AssertSqlSafe(sql))
                    .bind(id)
                    .fetch_optional(&self.db.pool)
                    .await?,
            )
        };
        let account = async {
            let mut conn = self.db.pool.acquire().await?;
            match load_account(&mut conn, id).await {
                Ok(a) => Ok(Some(a)),
                Err(ServiceError::NotFound) => Ok(None),
                Err(e) => Err(e),
            }
        };
        let (r, account) = try_join(row, account).await?;
        let (Some(r), Some(account)) = (r, account) else {
            return Err(ServiceError::NotFound);
        };
        let due_now = account
            .state
            .dues()
            .map_err(|e| ServiceError::internal("dues", e.code()))?;
        Ok((
            summary_of(&r, due_now)?,
            sql::text(&r, "customer_id")?,
            sql::text(&r, "branch_path")?,
        ))
    }

    async fn detail(
        self,
        summary: LoanSummary,
        with_ledger: bool,
    ) -> Result<LoanDetail, ServiceError> {
        // The page's reads are independent: each on a connection of its own,
        // at once (on SQLite too, whose readers do not block each other).
        let written_off = summary.status == domain::servicing::eod::LoanStatus::WrittenOff;
        let ledger = async {
            if with_ledger {
                ledger_of(&self.db, &summary.id).await
            } else {
                Ok((Vec::new(), 0))
            }
        };
        let (schedule, payments, prepayments, (ledger, ledger_total)) = try_join4(
            schedule_of(&self.db, &summary.id, summary.last_processed, written_off),
            payments_of(&self.db, &summary.id),
            prepayments_of(&self.db, &summary.id),
            ledger,
        )
        .await?;
        let plain: Vec<_> = schedule.iter().map(|l| l.instalment).collect();
        // The schedule after a prepayment lists only what is left: the
        // loan's totals add what the prepayments paid.
        let mut totals = totals(&plain);
        for p in &prepayments {
            totals.principal += p.principal;
            totals.interest += p.interest;
            totals.payment += p.total;
        }
        Ok(LoanDetail {
            summary,
            schedule,
            totals,
            payments,
            ledger,
            ledger_total,
            prepayments,
            dev_payments: self.development_providers().contains(&"payments"),
        })
    }
}
