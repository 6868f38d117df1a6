//! 对账: the whole book checked against itself, for the operator
//! (`puhui reconcile`) after end of day or before closing the books.
//!
//! Every check is one set-based query, so a million loans take seconds:
//! - each posting balances (its lines' debits equal their credits) and its
//!   amount is what its lines move; no posting is without lines;
//! - each loan account's stored balances (principal outstanding, interest
//!   and penalty receivable) equal its ledger's balance of that account;
//! - every payment the provider confirmed is posted exactly once (its key is
//!   `pay:{reference}`), and no repayment is posted for a payment that did
//!   not succeed;
//! - the book's debits equal its credits.
//!
//! It reads only; a finding names the loans so a person can look.

use serde::Serialize;

use crate::sql;
use crate::ServiceError;

/// Findings shown per kind (the counts are complete).
const SHOWN: i64 = 20;

/// One posting that does not add up.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PostingFinding {
    pub loan_id: String,
    pub idempotency_key: String,
    pub debit_fen: i64,
    pub credit_fen: i64,
    pub amount_fen: Option<i64>,
}

/// A loan whose stored balance differs from its ledger.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BalanceFinding {
    pub loan_id: String,
    pub account: &'static str,
    pub stored_fen: i64,
    pub ledger_fen: i64,
}

/// A payment and its posting that disagree.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PaymentFinding {
    pub reference: String,
    pub loan_id: String,
    pub status: String,
    pub posted: bool,
}

/// A count and the first findings of one kind.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Findings<T> {
    pub count: i64,
    pub first: Vec<T>,
}

impl<T> Default for Findings<T> {
    fn default() -> Self {
        Findings {
            count: 0,
            first: Vec::new(),
        }
    }
}

/// What [`Servicing::reconcile_book`](crate::servicing::Servicing::reconcile_book) found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Reconciliation {
    pub loans: i64,
    pub postings: i64,
    pub total_debit_fen: i64,
    pub total_credit_fen: i64,
    pub unbalanced_postings: Findings<PostingFinding>,
    pub amount_mismatches: Findings<PostingFinding>,
    pub postings_without_lines: Findings<PostingFinding>,
    pub balance_mismatches: Findings<BalanceFinding>,
    pub payments_not_posted: Findings<PaymentFinding>,
    pub postings_without_payment: Findings<PaymentFinding>,
    /// Orders still pending an hour after they were made: the settling job
    /// (every minute, after five) could not get an answer from the provider.
    pub payments_unsettled: Findings<PaymentFinding>,
}

impl Reconciliation {
    /// Nothing to look at.
    pub fn is_clean(&self) -> bool {
        self.total_debit_fen == self.total_credit_fen
            && self.unbalanced_postings.count == 0
            && self.amount_mismatches.count == 0
            && self.postings_without_lines.count == 0
            && self.balance_mismatches.count == 0
            && self.payments_not_posted.count == 0
            && self.postings_without_payment.count == 0
            && self.payments_unsettled.count == 0
    }
}

/// The ledger balance of each account per loan, as debit minus credit.
const LEDGER: &str = "SELECT loan_id, \
       CAST(SUM(CASE WHEN account = 'loan_principal' THEN debit_fen - credit_fen ELSE 0 END) AS BIGINT) AS principal, \
       CAST(SUM(CASE WHEN account = 'interest_receivable' THEN debit_fen - credit_fen ELSE 0 END) AS BIGINT) AS interest, \
       CAST(SUM(CASE WHEN account = 'penalty_receivable' THEN debit_fen - credit_fen ELSE 0 END) AS BIGINT) AS penalty \
     FROM posting_lines GROUP BY loan_id";

/// How many rows a finding's query gives, and the first [`SHOWN`] of them in
/// `order` (read only when there are any: on a clean book of a million
/// loans the second pass over the ledger cost 3.6 s).
async fn count_and_first(
    pool: &sqlx::AnyPool,
    sql_text: &str,
    order: &str,
) -> Result<(i64, Vec<sqlx::any::AnyRow>), ServiceError> {
    let n = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT COUNT(*) AS n FROM ({sql_text}) f"
    )))
    .fetch_one(pool)
    .await?;
    let n = sql::int(&n, "n")?;
    if n == 0 {
        return Ok((0, Vec::new()));
    }
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "{sql_text} ORDER BY {order} LIMIT {SHOWN}"
    )))
    .fetch_all(pool)
    .await?;
    Ok((n, rows))
}

impl crate::servicing::Servicing<'_> {
    /// Reconciles the whole book (every bank). Reads only.
    pub async fn reconcile_book(self) -> Result<Reconciliation, ServiceError> {
        let pool = &self.db.pool;
        let (loans,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM loan_accounts")
            .fetch_one(pool)
            .await?;
        let (postings,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM postings")
            .fetch_one(pool)
            .await?;
        let totals = sqlx::query(
            "SELECT CAST(COALESCE(SUM(debit_fen), 0) AS BIGINT) AS d, \
               CAST(COALESCE(SUM(credit_fen), 0) AS BIGINT) AS c \
             FROM posting_lines",
        )
        .fetch_one(pool)
        .await?;

        let posting_findings = |sql_text: &'static str| async move {
            let (count, rows) = count_and_first(pool, sql_text, "1, 2").await?;
            let first = rows
                .iter()
                .map(|r| {
                    Ok(PostingFinding {
                        loan_id: sql::text(r, "loan_id")?,
                        idempotency_key: sql::text(r, "idempotency_key")?,
                        debit_fen: sql::int(r, "d")?,
                        credit_fen: sql::int(r, "c")?,
                        amount_fen: sql::opt_int(r, "amount_fen")?,
                    })
                })
                .collect::<Result<Vec<_>, ServiceError>>()?;
            Ok::<_, ServiceError>(Findings { count, first })
        };
        let unbalanced_postings = posting_findings(
            "SELECT loan_id, idempotency_key, CAST(SUM(debit_fen) AS BIGINT) AS d, \
               CAST(SUM(credit_fen) AS BIGINT) AS c, \
               CAST(NULL AS BIGINT) AS amount_fen \
             FROM posting_lines GROUP BY loan_id, idempotency_key \
             HAVING SUM(debit_fen) <> SUM(credit_fen)",
        )
        .await?;
        let amount_mismatches = posting_findings(
            "SELECT p.loan_id, p.idempotency_key, l.d, l.c, p.amount_fen \
             FROM postings p JOIN (SELECT loan_id, idempotency_key, CAST(SUM(debit_fen) AS BIGINT) AS d, \
                 CAST(SUM(credit_fen) AS BIGINT) AS c FROM posting_lines GROUP BY loan_id, idempotency_key) l \
               ON l.loan_id = p.loan_id AND l.idempotency_key = p.idempotency_key \
             WHERE l.d <> p.amount_fen",
        )
        .await?;
        let postings_without_lines = posting_findings(
            "SELECT p.loan_id, p.idempotency_key, CAST(0 AS BIGINT) AS d, CAST(0 AS BIGINT) AS c, \
               p.amount_fen \
             FROM postings p WHERE NOT EXISTS (SELECT 1 FROM posting_lines l \
               WHERE l.loan_id = p.loan_id AND l.idempotency_key = p.idempotency_key)",
        )
        .await?;

        let balance_sql = format!(
            "SELECT a.loan_id, a.principal_outstanding_fen AS sp, a.interest_receivable_fen AS si, \
               a.penalty_receivable_fen AS sn, COALESCE(g.principal, 0) AS lp, \
               COALESCE(g.interest, 0) AS li, COALESCE(g.penalty, 0) AS ln \
             FROM loan_accounts a LEFT JOIN ({LEDGER}) g ON g.loan_id = a.loan_id \
             WHERE a.principal_outstanding_fen <> COALESCE(g.principal, 0) \
                OR a.interest_receivable_fen <> COALESCE(g.interest, 0) \
                OR a.penalty_receivable_fen <> COALESCE(g.penalty, 0)"
        );
        let (count, rows) = count_and_first(pool, &balance_sql, "1").await?;
        let mut first = Vec::new();
        for r in &rows {
            let loan_id = sql::text(r, "loan_id")?;
            for (account, stored, ledger) in [
                ("loan_principal", "sp", "lp"),
                ("interest_receivable", "si", "li"),
                ("penalty_receivable", "sn", "ln"),
            ] {
                let (stored_fen, ledger_fen) = (sql::int(r, stored)?, sql::int(r, ledger)?);
                if stored_fen != ledger_fen {
                    first.push(BalanceFinding {
                        loan_id: loan_id.clone(),
                        account,
                        stored_fen,
                        ledger_fen,
                    });
                }
            }
        }
        let balance_mismatches = Findings { count, first };

        let payment_findings = |sql_text: String, posted: bool| async move {
            let (count, rows) = count_and_first(pool, &sql_text, "1").await?;
            let first = rows
                .iter()
                .map(|r| {
                    Ok(PaymentFinding {
                        reference: sql::text(r, "reference")?,
                        loan_id: sql::text(r, "loan_id")?,
                        status: sql::text(r, "status")?,
                        posted,
                    })
                })
                .collect::<Result<Vec<_>, ServiceError>>()?;
            Ok::<_, ServiceError>(Findings { count, first })
        };
        let payments_not_posted = payment_findings(
            "SELECT y.reference, y.loan_id, y.status FROM payments y \
             WHERE y.status = 'succeeded' AND NOT EXISTS (SELECT 1 FROM postings p \
               WHERE p.loan_id = y.loan_id AND p.idempotency_key = 'pay:' || y.reference)"
                .to_string(),
            false,
        )
        .await?;
        let postings_without_payment = payment_findings(
            "SELECT SUBSTR(p.idempotency_key, 5) AS reference, p.loan_id, \
               COALESCE(y.status, 'missing') AS status \
             FROM postings p LEFT JOIN payments y ON 'pay:' || y.reference = p.idempotency_key \
             WHERE p.idempotency_key LIKE 'pay:%' \
               AND (y.status IS NULL OR y.status <> 'succeeded')"
                .to_string(),
            true,
        )
        .await?;
        let payments_unsettled = payment_findings(
            format!(
                "SELECT y.reference, y.loan_id, y.status FROM payments y \
                 WHERE y.status = 'pending' AND y.created_at < {}",
                self.now() - 3_600_000
            ),
            false,
        )
        .await?;

        Ok(Reconciliation {
            loans,
            postings,
            total_debit_fen: sql::int(&totals, "d")?,
            total_credit_fen: sql::int(&totals, "c")?,
            unbalanced_postings,
            amount_mismatches,
            postings_without_lines,
            balance_mismatches,
            payments_not_posted,
            postings_without_payment,
            payments_unsettled,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_report_is_clean_and_one_finding_is_not() {
        let mut r = Reconciliation {
            loans: 0,
            postings: 0,
            total_debit_fen: 0,
            total_credit_fen: 0,
            unbalanced_postings: Findings::default(),
            amount_mismatches: Findings::default(),
            postings_without_lines: Findings::default(),
            balance_mismatches: Findings::default(),
            payments_not_posted: Findings::default(),
            postings_without_payment: Findings::default(),
            payments_unsettled: Findings::default(),
        };
        assert!(r.is_clean());
        r.total_debit_fen = 1;
        assert!(!r.is_clean());
    }
}
