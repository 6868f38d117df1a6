//! Loan servicing (贷后核算): the loan accounts the end-of-day batch keeps, the
//! double-entry ledger, repayments through the payment provider, and credit
//! lines with their drawdowns.
//!
//! The maths is `domain::servicing`; this module stores its states and
//! postings. A loan's servicing state is one `loan_accounts` row plus the
//! paid amounts on its `loan_schedule` rows; every change to it is a guarded
//! conditional update (on `version`, or on `last_processed` for the batch)
//! in the same transaction as its postings.

use_cases!(
    /// The use cases of this module, reached as `services.servicing()`.
    Servicing,
    servicing
);

pub mod eod;
pub mod eod_runs;
mod line_increases;
pub mod lines;
pub mod payments;
pub mod payouts;
pub mod prepayments;
pub mod reconcile;
pub mod renewals;
pub mod write_offs;

use std::collections::HashMap;

use domain::date::Date;
use domain::money::Fen;
use domain::rate::AnnualRate;
use domain::schedule::Instalment;
use domain::servicing::eod::{Classification, LoanState, LoanStatus, ScheduledInstalment};
use domain::servicing::ledger::{AllocationOrder, Posting};
use sqlx::any::AnyRow;
use sqlx::{Any, AnyConnection, AssertSqlSafe, Transaction};

use crate::error::ServiceError;
use crate::sql::{self, Val};

/// The columns of `loan_accounts` that [`account_of`] reads, in order.
pub(crate) const ACCOUNT_COLUMNS: [&str; 19] = [
    "loan_id",
    "bank_id",
    "status",
    "principal_outstanding_fen",
    "interest_receivable_fen",
    "penalty_receivable_fen",
    "period_accrued_fen",
    "interest_carry",
    "penalty_carry",
    "last_processed",
    "next_due_date",
    "oldest_unpaid_due",
    "dpd",
    "classification",
    "min_classification",
    "revolving_maturity",
    "allocation_order",
    "version",
    "updated_at",
];

pub(crate) const POSTING_COLUMNS: [&str; 7] = [
    "loan_id",
    "idempotency_key",
    "bank_id",
    "business_date",
    "kind",
    "amount_fen",
    "created_at",
];

pub(crate) const LINE_COLUMNS: [&str; 6] = [
    "loan_id",
    "idempotency_key",
    "line_no",
    "account",
    "debit_fen",
    "credit_fen",
];

/// A loan account as stored: the domain state (its `schedule` holds only the
/// instalments the caller loaded) and what the storage adds.
#[derive(Debug, Clone)]
pub(crate) struct Account {
    pub bank_id: String,
    pub state: LoanState,
    pub next_due_date: Option<Date>,
    pub oldest_unpaid_due: Option<Date>,
    pub order: AllocationOrder,
    pub version: i64,
}

impl Account {
    /// Whether the batch needs the schedule to process it up to `to`: an
    /// instalment falls due by then, or one is unpaid.
    pub fn needs_schedule(&self, to: Date) -> bool {
        self.oldest_unpaid_due.is_some() || self.next_due_date.is_some_and(|d| d <= to)
    }
}

fn opt_date(r: &AnyRow, col: &str) -> Result<Option<Date>, ServiceError> {
    sql::opt_text(r, col)?
        .map(|s| Date::parse(&s).map_err(|e| ServiceError::internal(col, e.code())))
        .transpose()
}

fn carry(r: &AnyRow, col: &str) -> Result<u64, ServiceError> {
    u64::try_from(sql::int(r, col)?).map_err(|e| ServiceError::internal(col, e))
}

fn classification(r: &AnyRow, col: &str) -> Result<Classification, ServiceError> {
    let raw = sql::text(r, col)?;
    Classification::parse(&raw).ok_or_else(|| ServiceError::internal(col, raw))
}

pub(crate) fn account_of(r: &AnyRow, rate: AnnualRate) -> Result<Account, ServiceError> {
    let status_raw = sql::text(r, "status")?;
    let status = LoanStatus::parse(&status_raw)
        .ok_or_else(|| ServiceError::internal("status", status_raw))?;
    let order_raw = sql::text(r, "allocation_order")?;
    let order = AllocationOrder::parse(&order_raw)
        .map_err(|e| ServiceError::internal("allocation_order", e.code()))?;
    Ok(Account {
        bank_id: sql::text(r, "bank_id")?,
        state: LoanState {
            loan_id: sql::text(r, "loan_id")?,
            rate,
            principal_outstanding: sql::fen(r, "principal_outstanding_fen")?,
            interest_receivable: sql::fen(r, "interest_receivable_fen")?,
            penalty_receivable: sql::fen(r, "penalty_receivable_fen")?,
            schedule: Vec::new(),
            last_processed: sql::date(r, "last_processed")?,
            dpd: sql::uint(r, "dpd")?,
            classification: classification(r, "classification")?,
            min_classification: classification(r, "min_classification")?,
            status,
            period_accrued: sql::fen(r, "period_accrued_fen")?,
            interest_carry: carry(r, "interest_carry")?,
            penalty_carry: carry(r, "penalty_carry")?,
            revolving_maturity: opt_date(r, "revolving_maturity")?,
        },
        next_due_date: opt_date(r, "next_due_date")?,
        oldest_unpaid_due: opt_date(r, "oldest_unpaid_due")?,
        order,
        version: sql::int(r, "version")?,
    })
}

/// `SELECT a.<account columns>, l.annual_rate_bp FROM loan_accounts a JOIN loans l`.
pub(crate) fn account_select() -> String {
    let cols: Vec<String> = ACCOUNT_COLUMNS.iter().map(|c| format!("a.{c}")).collect();
    format!(
        "SELECT {}, l.annual_rate_bp FROM loan_accounts a JOIN loans l ON l.id = a.loan_id",
        cols.join(", ")
    )
}

/// The instalments of `loan_ids` falling due on or before `up_to` that are
/// not fully paid (the batch's and a repayment's working set), by loan.
pub(crate) async fn open_instalments(
    conn: &mut AnyConnection,
    loan_ids: &[&str],
    up_to: Date,
) -> Result<HashMap<String, Vec<ScheduledInstalment>>, ServiceError> {
    let mut out: HashMap<String, Vec<ScheduledInstalment>> = HashMap::new();
    for chunk in loan_ids.chunks(500) {
        let placeholders: Vec<String> = (0..chunk.len()).map(|i| format!("${}", i + 2)).collect();
        let q = format!(
            "SELECT loan_id, n, due_date, principal_fen, interest_fen, payment_fen, balance_fen, \
               paid_principal_fen, paid_interest_fen \
             FROM loan_schedule WHERE due_date <= $1 AND loan_id IN ({}) \
               AND (paid_principal_fen < principal_fen OR paid_interest_fen < interest_fen) \
             ORDER BY loan_id, n",
            placeholders.join(", ")
        );
        let mut query = sqlx::query(AssertSqlSafe(q)).bind(up_to.to_string());
        for id in chunk {
            query = query.bind(*id);
        }
        for r in query.fetch_all(&mut *conn).await? {
            out.entry(sql::text(&r, "loan_id")?)
                .or_default()
                .push(scheduled_of(&r)?);
        }
    }
    Ok(out)
}

pub(crate) fn instalment_of(r: &AnyRow) -> Result<Instalment, ServiceError> {
    Ok(Instalment {
        n: sql::uint(r, "n")?,
        due_date: sql::date(r, "due_date")?,
        principal: sql::fen(r, "principal_fen")?,
        interest: sql::fen(r, "interest_fen")?,
        payment: sql::fen(r, "payment_fen")?,
        balance: sql::fen(r, "balance_fen")?,
    })
}

pub(crate) fn scheduled_of(r: &AnyRow) -> Result<ScheduledInstalment, ServiceError> {
    Ok(ScheduledInstalment {
        instalment: instalment_of(r)?,
        paid_principal: sql::fen(r, "paid_principal_fen")?,
        paid_interest: sql::fen(r, "paid_interest_fen")?,
    })
}

/// The oldest due date, on or before the last processed date, of an
/// instalment not fully paid.
pub(crate) fn oldest_unpaid(state: &LoanState) -> Option<Date> {
    state
        .schedule
        .iter()
        .filter(|s| s.instalment.due_date <= state.last_processed && !s.is_paid())
        .map(|s| s.instalment.due_date)
        .min()
}

/// The first due date after `after` in a full schedule.
pub(crate) fn next_due_after(schedule: &[Instalment], after: Date) -> Option<Date> {
    schedule.iter().map(|i| i.due_date).find(|d| *d > after)
}

/// A new `loan_accounts` row.
pub(crate) fn account_row(
    bank_id: &str,
    state: &LoanState,
    next_due: Option<Date>,
    order: AllocationOrder,
    now: i64,
) -> Vec<Val> {
    vec![
        Val::from(state.loan_id.as_str()),
        Val::from(bank_id),
        Val::from(state.status.as_str()),
        Val::from(state.principal_outstanding),
        Val::from(state.interest_receivable),
        Val::from(state.penalty_receivable),
        Val::from(state.period_accrued),
        Val::Int(carry_value(state.interest_carry)),
        Val::Int(carry_value(state.penalty_carry)),
        Val::from(state.last_processed.to_string()),
        Val::from(next_due.map(|d| d.to_string())),
        Val::from(oldest_unpaid(state).map(|d| d.to_string())),
        Val::from(state.dpd),
        Val::from(state.classification.as_str()),
        Val::from(state.min_classification.as_str()),
        Val::from(state.revolving_maturity.map(|d| d.to_string())),
        Val::from(order.to_code()),
        Val::Int(1),
        Val::Int(now),
    ]
}

/// Carries are below 3.6 × 10⁹, far inside i64.
pub(crate) fn carry_value(c: u64) -> i64 {
    i64::try_from(c).unwrap_or(i64::MAX)
}

/// Appends the rows of `posting` of `loan_id` to `postings` and `lines`,
/// after checking it once more: every posting written by anyone (the
/// booking, a repayment, the end-of-day batch, the demo) is built here, so
/// none whose debits differ from its credits, or with an empty, negative or
/// two-sided line, reaches the ledger, whoever made it and however.
pub(crate) fn posting_rows(
    loan_id: &str,
    bank_id: &str,
    posting: &Posting,
    now: i64,
    postings: &mut Vec<Vec<Val>>,
    lines: &mut Vec<Vec<Val>>,
) -> Result<(), ServiceError> {
    posting.validate().map_err(|e| {
        ServiceError::internal(
            "unbalanced posting refused",
            format!("{loan_id} {}: {e}", posting.idempotency_key.as_str()),
        )
    })?;
    let key = posting.idempotency_key.as_str();
    postings.push(vec![
        Val::from(loan_id),
        Val::from(key),
        Val::from(bank_id),
        Val::from(posting.business_date.to_string()),
        Val::from(posting.kind.as_str()),
        Val::from(posting.total()),
        Val::Int(now),
    ]);
    for (i, l) in posting.lines.iter().enumerate() {
        lines.push(vec![
            Val::from(loan_id),
            Val::from(key),
            Val::Int(i64::try_from(i).unwrap_or(0) + 1),
            Val::from(l.account.as_str()),
            Val::from(l.debit),
            Val::from(l.credit),
        ]);
    }
    Ok(())
}

/// Writes postings and their lines. A posting whose key the loan already has
/// fails the transaction (the callers check for duplicates first, so this
/// only happens in a race, which must not post twice).
pub(crate) async fn write_postings(
    tx: &mut Transaction<'_, Any>,
    postings: &[Vec<Val>],
    lines: &[Vec<Val>],
) -> Result<(), ServiceError> {
    if !postings.is_empty() {
        sql::insert_rows(tx, "postings", &POSTING_COLUMNS, postings).await?;
        sql::insert_rows(tx, "posting_lines", &LINE_COLUMNS, lines).await?;
    }
    Ok(())
}

/// A loan to book: the contract, its schedule (empty for a revolving
/// drawdown) and where it comes from.
pub(crate) struct NewLoan<'a> {
    pub id: String,
    pub application_id: &'a str,
    pub credit_line_id: Option<&'a str>,
    pub bank_id: &'a str,
    pub branch_id: &'a str,
    pub customer_id: &'a str,
    pub product_id: &'a str,
    pub principal: Fen,
    pub rate: AnnualRate,
    pub term_months: u32,
    pub method: domain::schedule::RepaymentMethod,
    pub value_date: Date,
    pub maturity: Date,
    pub schedule: Vec<Instalment>,
    pub order: AllocationOrder,
}

/// The columns [`NewLoan::row`] fills, in its order.
pub(crate) const LOAN_COLUMNS: [&str; 16] = [
    "id",
    "application_id",
    "bank_id",
    "branch_id",
    "customer_id",
    "product_id",
    "principal_fen",
    "annual_rate_bp",
    "term_months",
    "repayment_method",
    "start_date",
    "maturity_date",
    "outstanding_principal_fen",
    "status",
    "created_at",
    "credit_line_id",
];

impl NewLoan<'_> {
    /// The `loans` row for [`LOAN_COLUMNS`]: active, nothing repaid yet. The
    /// one writer of the table ([`book_loan`], the demo bank).
    pub(crate) fn row(&self, now: i64) -> Vec<Val> {
        vec![
            Val::from(self.id.as_str()),
            Val::from(self.application_id),
            Val::from(self.bank_id),
            Val::from(self.branch_id),
            Val::from(self.customer_id),
            Val::from(self.product_id),
            Val::from(self.principal),
            Val::from(self.rate.bp()),
            Val::from(self.term_months),
            Val::from(self.method.as_str()),
            Val::from(self.value_date.to_string()),
            Val::from(self.maturity.to_string()),
            Val::from(self.principal),
            Val::from("active"),
            Val::Int(now),
            Val::from(self.credit_line_id.map(str::to_string)),
        ]
    }
}

/// 放款: the loan, its schedule, its account and the disbursement posting, in
/// the caller's transaction.
pub(crate) async fn book_loan(
    tx: &mut Transaction<'_, Any>,
    loan: &NewLoan<'_>,
    now: i64,
) -> Result<(), ServiceError> {
    let (state, posting) = if loan.schedule.is_empty() {
        LoanState::disburse_revolving(
            &loan.id,
            loan.rate,
            loan.principal,
            loan.value_date,
            loan.maturity,
        )
    } else {
        LoanState::disburse(
            &loan.id,
            loan.rate,
            loan.principal,
            &loan.schedule,
            loan.value_date,
        )
    }
    .map_err(|e| ServiceError::invalid(e.code()))?;
    sql::insert_rows(tx, "loans", &LOAN_COLUMNS, &[loan.row(now)]).await?;
    let rows: Vec<Vec<Val>> = loan
        .schedule
        .iter()
        .map(|i| schedule_row(&loan.id, i))
        .collect();
    if !rows.is_empty() {
        sql::insert_rows(tx, "loan_schedule", &SCHEDULE_COLUMNS, &rows).await?;
    }
    let account = account_row(
        loan.bank_id,
        &state,
        next_due_after(&loan.schedule, state.last_processed),
        loan.order,
        now,
    );
    sql::insert_rows(tx, "loan_accounts", &ACCOUNT_COLUMNS, &[account]).await?;
    let (mut p, mut l) = (Vec::new(), Vec::new());
    posting_rows(&loan.id, loan.bank_id, &posting, now, &mut p, &mut l)?;
    write_postings(tx, &p, &l).await
}

/// The columns of a new `loan_schedule` row (paid amounts start at zero).
pub(crate) const SCHEDULE_COLUMNS: [&str; 7] = [
    "loan_id",
    "n",
    "due_date",
    "principal_fen",
    "interest_fen",
    "payment_fen",
    "balance_fen",
];

pub(crate) fn schedule_row(loan_id: &str, i: &Instalment) -> Vec<Val> {
    vec![
        Val::from(loan_id),
        Val::from(i.n),
        Val::from(i.due_date.to_string()),
        Val::from(i.principal),
        Val::from(i.interest),
        Val::from(i.payment),
        Val::from(i.balance),
    ]
}

/// The columns of a `loan_schedule` row taken over with what was already
/// paid ([`schedule_row_paid`]).
pub(crate) const PAID_SCHEDULE_COLUMNS: [&str; 9] = [
    "loan_id",
    "n",
    "due_date",
    "principal_fen",
    "interest_fen",
    "payment_fen",
    "balance_fen",
    "paid_principal_fen",
    "paid_interest_fen",
];

/// [`schedule_row`] with the amounts already paid, for [`PAID_SCHEDULE_COLUMNS`].
pub(crate) fn schedule_row_paid(loan_id: &str, i: &ScheduledInstalment) -> Vec<Val> {
    let mut row = schedule_row(loan_id, &i.instalment);
    row.extend([Val::from(i.paid_principal), Val::from(i.paid_interest)]);
    row
}

/// Stores `new` over the account read as `old` (guarded on its version) and
/// the paid amounts of its loaded instalments; `StaleState` when the account
/// changed in between (a concurrent payment or the batch).
pub(crate) async fn store_account(
    tx: &mut Transaction<'_, Any>,
    old: &Account,
    new: &LoanState,
    now: i64,
) -> Result<(), ServiceError> {
    let done = sqlx::query(
        "UPDATE loan_accounts SET status = $1, principal_outstanding_fen = $2, \
           interest_receivable_fen = $3, penalty_receivable_fen = $4, period_accrued_fen = $5, \
           interest_carry = $6, penalty_carry = $7, last_processed = $8, oldest_unpaid_due = $9, \
           dpd = $10, classification = $11, version = version + 1, updated_at = $12 \
         WHERE loan_id = $13 AND version = $14",
    )
    .bind(new.status.as_str())
    .bind(new.principal_outstanding.get())
    .bind(new.interest_receivable.get())
    .bind(new.penalty_receivable.get())
    .bind(new.period_accrued.get())
    .bind(carry_value(new.interest_carry))
    .bind(carry_value(new.penalty_carry))
    .bind(new.last_processed.to_string())
    .bind(oldest_unpaid(new).map(|d| d.to_string()))
    .bind(i64::from(new.dpd))
    .bind(new.classification.as_str())
    .bind(now)
    .bind(&new.loan_id)
    .bind(old.version)
    .execute(&mut **tx)
    .await?;
    if done.rows_affected() != 1 {
        return Err(ServiceError::StaleState);
    }
    for (before, after) in old.state.schedule.iter().zip(&new.schedule) {
        if before != after {
            sqlx::query(
                "UPDATE loan_schedule SET paid_principal_fen = $1, paid_interest_fen = $2 \
                 WHERE loan_id = $3 AND n = $4",
            )
            .bind(after.paid_principal.get())
            .bind(after.paid_interest.get())
            .bind(&new.loan_id)
            .bind(i64::from(after.instalment.n))
            .execute(&mut **tx)
            .await?;
        }
    }
    // The contract row mirrors what a report of loans needs.
    let contract_status = if new.status.is_open() {
        "active"
    } else {
        "settled"
    };
    sqlx::query("UPDATE loans SET outstanding_principal_fen = $1, status = $2 WHERE id = $3")
        .bind(new.principal_outstanding.get())
        .bind(contract_status)
        .bind(&new.loan_id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// The account of one loan with its open instalments up to its last
/// processed date.
pub(crate) async fn load_account(
    conn: &mut AnyConnection,
    loan_id: &str,
) -> Result<Account, ServiceError> {
    let q = format!("{} WHERE a.loan_id = $1", account_select());
    let r = sqlx::query(AssertSqlSafe(q))
        .bind(loan_id)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let mut account = account_of(&r, sql::rate(&r, "annual_rate_bp")?)?;
    let mut open = open_instalments(conn, &[loan_id], account.state.last_processed).await?;
    account.state.schedule = open.remove(loan_id).unwrap_or_default();
    Ok(account)
}

/// The repayment allocation order of a product.
pub(crate) async fn product_allocation_order(
    db: &crate::db::Db,
    product_id: &str,
) -> Result<AllocationOrder, ServiceError> {
    let r = sqlx::query("SELECT allocation_order FROM products WHERE id = $1")
        .bind(product_id)
        .fetch_optional(&db.pool)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let raw = sql::text(&r, "allocation_order")?;
    AllocationOrder::parse(&raw).map_err(|e| ServiceError::internal("allocation_order", e.code()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use domain::date::Date;
    use domain::servicing::ledger::{Account, IdempotencyKey, Line, PostingKind};

    /// A posting built by hand (its fields are public) that does not
    /// balance never becomes rows: every writer of the ledger goes through
    /// `posting_rows`.
    #[test]
    fn an_unbalanced_posting_never_becomes_ledger_rows() {
        let key = IdempotencyKey::parse("hand-made").unwrap();
        let on = Date::new(2026, 12, 6).unwrap();
        let made = |lines: Vec<Line>| Posting {
            idempotency_key: key.clone(),
            business_date: on,
            kind: PostingKind::Repayment,
            lines,
        };
        let wrong = [
            made(vec![
                Line::debit(Account::Settlement, Fen(1_000)),
                Line::credit(Account::LoanPrincipal, Fen(999)),
            ]),
            made(vec![]),
            made(vec![
                Line::debit(Account::Settlement, Fen(-5)),
                Line::credit(Account::LoanPrincipal, Fen(-5)),
            ]),
            made(vec![Line {
                account: Account::Settlement,
                debit: Fen(7),
                credit: Fen(7),
            }]),
        ];
        for p in &wrong {
            let (mut postings, mut lines) = (Vec::new(), Vec::new());
            let r = posting_rows("loan", "bank", p, 0, &mut postings, &mut lines);
            assert!(matches!(r, Err(ServiceError::Internal(_))), "{p:?}");
            assert!(postings.is_empty() && lines.is_empty());
        }
        let right = made(vec![
            Line::debit(Account::Settlement, Fen(1_000)),
            Line::credit(Account::LoanPrincipal, Fen(1_000)),
        ]);
        let (mut postings, mut lines) = (Vec::new(), Vec::new());
        posting_rows("loan", "bank", &right, 0, &mut postings, &mut lines).unwrap();
        assert_eq!((postings.len(), lines.len()), (1, 2));
    }
}
