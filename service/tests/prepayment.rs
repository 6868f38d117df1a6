//! 提前还款 (issue 16 item 4): a payoff and a partial prepayment, on the phone
//! through the payment provider and at the counter, posted exactly once
//! whatever repeats or races, and the sealed 结清证明 of a loan paid off;
//! each on SQLite and (when `PUHUI_TEST_PG_URL` is set) PostgreSQL.

mod common;

use common::{on_each_backend, today, Env};
use domain::error_code::ErrorCode;
use domain::money::Fen;
use domain::servicing::eod::{LoanStatus, PrepaymentKind, PrepaymentRequest};
use domain::servicing::ledger::PrepaymentMode;
use service::auth::CustomerActor;
use service::ServiceError;

fn assert_code<T: std::fmt::Debug>(r: Result<T, ServiceError>, code: ErrorCode) {
    match r {
        Err(e) => assert_eq!(e.code(), code, "{e:?}"),
        Ok(v) => panic!("expected {code}, got {v:?}"),
    }
}

/// A demo loan of `method` in the branch of disburser1, with nothing due
/// and its next due date a few days off, and its borrower.
async fn quiet_loan(env: &Env, method: &str) -> (String, CustomerActor) {
    let desk = env.staff("disburser1").await;
    let row: (String, String) = sqlx::query_as(
        "SELECT l.id, l.customer_id FROM loans l JOIN loan_accounts a ON a.loan_id = l.id \
         JOIN organisations o ON o.id = l.branch_id \
         WHERE a.status = 'normal' AND a.oldest_unpaid_due IS NULL AND l.repayment_method = $1 \
           AND a.next_due_date > $2 AND o.path LIKE $3 AND l.credit_line_id IS NULL \
         ORDER BY l.id LIMIT 1",
    )
    .bind(method)
    .bind(today().add_days(3).to_string())
    .bind(format!("{}%", desk.org_path))
    .fetch_one(&env.db.pool)
    .await
    .unwrap_or_else(|e| panic!("a quiet {method} loan: {e}"));
    let c = env
        .services
        .auth()
        .customer_actor(&row.1)
        .await
        .expect("borrower");
    (row.0, c)
}

async fn count(env: &Env, sql: &str) -> i64 {
    env.scalar_i64(sql).await
}

/// The loan's ledger agrees with its account: principal and interest.
async fn ledger_agrees(env: &Env, loan_id: &str) {
    let q = |account: &str| {
        format!(
            "SELECT COUNT(*) FROM loan_accounts a WHERE a.loan_id = '{loan_id}' AND a.{account}_fen <> \
             (SELECT COALESCE(SUM(debit_fen - credit_fen), 0) FROM posting_lines l \
              WHERE l.loan_id = a.loan_id AND l.account = '{}')",
            if account == "principal_outstanding" { "loan_principal" } else { "interest_receivable" }
        )
    };
    assert_eq!(
        count(env, &q("principal_outstanding")).await,
        0,
        "principal"
    );
    assert_eq!(count(env, &q("interest_receivable")).await, 0, "interest");
}

#[tokio::test]
async fn a_payoff_on_the_phone_settles_once_and_is_certified() {
    on_each_backend(|env| async move {
        env.seed().await;
        let s = &env.services;
        let (loan_id, c) = quiet_loan(&env, "equal_instalment").await;
        let before = s.loans().my_loan(&c, &loan_id).await.unwrap();
        assert_code(
            s.servicing().my_settlement_certificate(&c, &loan_id).await,
            ErrorCode::LoanNotSettled,
        );
        let quote = s
            .servicing()
            .my_prepayment_quote(&c, &loan_id, PrepaymentRequest::Payoff)
            .await
            .expect("quote");
        assert!(quote.payoff);
        assert_eq!(quote.principal, before.summary.outstanding);
        assert!(quote.interest >= Fen::ZERO && quote.interest < quote.principal);
        assert!(quote.interest_saved > Fen::ZERO);
        // Someone else's loan is not there.
        let li = env.customer("13800000001").await;
        if li.customer_id != c.customer_id {
            assert_code(
                s.servicing()
                    .my_prepayment_quote(&li, &loan_id, PrepaymentRequest::Payoff)
                    .await,
                ErrorCode::NotFound,
            );
            assert_code(
                s.servicing()
                    .prepay(&li, &loan_id, PrepaymentRequest::Payoff, quote.total, "other")
                    .await,
                ErrorCode::NotFound,
            );
        }

        // A sum other than today's quote (a page left open overnight) is
        // refused before anything is collected.
        assert_code(
            s.servicing()
                .prepay(&c, &loan_id, PrepaymentRequest::Payoff, quote.total - Fen(1), "stale")
                .await,
            ErrorCode::PrepaymentQuoteChanged,
        );
        assert_eq!(
            count(&env, &format!("SELECT COUNT(*) FROM payments WHERE loan_id = '{loan_id}'")).await,
            0
        );
        let done = s
            .servicing()
            .prepay(&c, &loan_id, PrepaymentRequest::Payoff, quote.total, "payoff-1")
            .await
            .expect("paid off");
        assert!(done.settled);
        assert_eq!(done.total, quote.total);
        // A double click, and the provider's repeated notice, post nothing more.
        let again = s
            .servicing()
            .prepay(&c, &loan_id, PrepaymentRequest::Payoff, quote.total, "payoff-1")
            .await
            .expect("same order");
        assert_eq!(again.reference, done.reference);
        s.servicing()
            .payment_succeeded(&done.reference)
            .await
            .expect("second notice");
        let repaid = format!(
            "SELECT COUNT(*) FROM postings WHERE loan_id = '{loan_id}' AND kind = 'repayment' \
             AND idempotency_key LIKE 'pay:%'"
        );
        assert_eq!(count(&env, &repaid).await, 1);
        assert_eq!(
            count(&env, &format!("SELECT COUNT(*) FROM prepayments WHERE loan_id = '{loan_id}'")).await,
            1
        );
        // The same key for something else is refused.
        assert_code(
            s.servicing()
                .prepay(
                    &c,
                    &loan_id,
                    PrepaymentKind::ShortenTerm.request(Fen(100)),
                    quote.total,
                    "payoff-1",
                )
                .await,
            ErrorCode::Duplicate,
        );

        let after = s.loans().my_loan(&c, &loan_id).await.unwrap();
        assert_eq!(after.summary.status, LoanStatus::Settled);
        assert_eq!(after.summary.outstanding, Fen::ZERO);
        assert!(after.schedule.iter().all(|l| l.instalment.due_date <= today()));
        assert_eq!(after.prepayments.len(), 1);
        assert_eq!(after.prepayments[0].kind, PrepaymentKind::Payoff);
        assert_eq!(after.prepayments[0].total, quote.total);
        ledger_agrees(&env, &loan_id).await;
        assert_code(
            s.servicing()
                .prepay(&c, &loan_id, PrepaymentRequest::Payoff, quote.total, "payoff-2")
                .await,
            ErrorCode::LoanClosed,
        );

        // The certificate: issued once, sealed, the borrower named.
        let cert = s
            .servicing()
            .my_settlement_certificate(&c, &loan_id)
            .await
            .expect("certificate");
        assert!(cert.text.contains("结清证明") && cert.text.contains(&c.name));
        assert!(cert.text.contains(&cert.certificate_no));
        assert_eq!(cert.settled_on, quote.on);
        let mut sealed = b"PUHUI-SETTLEMENT-1\n".to_vec();
        sealed.extend_from_slice(format!("{}\n{}", cert.certificate_no, cert.text).as_bytes());
        let digest = service::contracts::sha256(&sealed);
        assert_eq!(hex::encode(digest), cert.sha256);
        assert!(service::contracts::seal_holds(&cert.public_key, &digest, &cert.seal));
        let again = s
            .servicing()
            .my_settlement_certificate(&c, &loan_id)
            .await
            .unwrap();
        assert_eq!(again, cert);
        // Sealed at rest: no plain name in the table.
        let stored = env
            .scalar_text(&format!(
                "SELECT text_sealed FROM settlement_certificates WHERE loan_id = '{loan_id}'"
            ))
            .await;
        assert!(!stored.contains(&c.name));
        let officer = env.staff("officer1").await;
        let staff_view = s.servicing().settlement_certificate(&officer, &loan_id).await;
        match staff_view {
            Ok(v) => assert_eq!(v.certificate_no, cert.certificate_no),
            Err(e) => assert_eq!(e.code(), ErrorCode::Forbidden),
        }
        let pm = env.staff("admin").await;
        assert_code(
            s.servicing().settlement_certificate(&pm, &loan_id).await,
            ErrorCode::Forbidden,
        );
        let issued = format!(
            "SELECT COUNT(*) FROM audit_log WHERE action = 'settlement.issued' AND entity_id = '{loan_id}'"
        );
        assert_eq!(count(&env, &issued).await, 1);
        assert_eq!(
            count(
                &env,
                &format!("SELECT COUNT(*) FROM audit_log WHERE action = 'loan.prepaid' AND entity_id = '{loan_id}'")
            )
            .await,
            1
        );
    })
    .await;
}

#[tokio::test]
async fn a_partial_prepayment_at_the_counter_shortens_the_term_once() {
    on_each_backend(|env| async move {
        env.seed().await;
        let s = &env.services;
        let (loan_id, c) = quiet_loan(&env, "equal_instalment").await;
        let before = s.loans().my_loan(&c, &loan_id).await.unwrap();
        let left = before
            .schedule
            .iter()
            .filter(|l| l.instalment.due_date > today())
            .count();
        let desk = env.staff("disburser1").await;
        let officer = env.staff("officer1").await;
        let principal = Fen(before.summary.outstanding.get() / 2 / 100 * 100);
        let request = PrepaymentRequest::Partial {
            principal,
            mode: PrepaymentMode::ShortenTerm,
        };
        let quote = s
            .servicing()
            .prepayment_quote(&desk, &loan_id, request)
            .await
            .expect("quote");
        assert!(!quote.payoff);
        assert_eq!(quote.before.len(), left);
        assert!(quote.after.len() < left, "shorter");
        assert!(quote.after[0].payment <= quote.before[0].payment);

        // Only the desk posts, only the sum it showed, only what is left.
        assert_code(
            s.servicing()
                .prepay_at_counter(&officer, &loan_id, request, quote.total, "c1")
                .await,
            ErrorCode::Forbidden,
        );
        assert_code(
            s.servicing()
                .prepay_at_counter(&desk, &loan_id, request, quote.total + Fen(1), "c1")
                .await,
            ErrorCode::PrepaymentQuoteChanged,
        );
        let too_much = PrepaymentRequest::Partial {
            principal: before.summary.outstanding + Fen(100),
            mode: PrepaymentMode::ShortenTerm,
        };
        assert_code(
            s.servicing()
                .prepay_at_counter(&desk, &loan_id, too_much, quote.total, "c1")
                .await,
            ErrorCode::PrepaymentExceedsBalance,
        );
        let none = format!("SELECT COUNT(*) FROM prepayments WHERE loan_id = '{loan_id}'");
        assert_eq!(count(&env, &none).await, 0);

        // A double click at the same moment posts once.
        let clicks: Vec<_> = (0..4)
            .map(|_| {
                let (s, desk, loan_id) = (s.clone(), desk.clone(), loan_id.clone());
                let total = quote.total;
                tokio::spawn(async move {
                    s.servicing()
                        .prepay_at_counter(&desk, &loan_id, request, total, "c2")
                        .await
                })
            })
            .collect();
        let mut ok = 0;
        for c in clicks {
            match c.await.expect("task") {
                Ok(d) => {
                    assert!(!d.settled);
                    ok += 1;
                }
                Err(e) => assert!(
                    matches!(e, ServiceError::Duplicate | ServiceError::StaleState),
                    "{e:?}"
                ),
            }
        }
        assert!(ok >= 1);
        assert_eq!(count(&env, &none).await, 1);
        let counter_posted = format!(
            "SELECT COUNT(*) FROM postings WHERE loan_id = '{loan_id}' AND idempotency_key = 'counter:c2'"
        );
        assert_eq!(count(&env, &counter_posted).await, 1);
        // After the clicks the key finds the prepayment made.
        let again = s
            .servicing()
            .prepay_at_counter(&desk, &loan_id, request, quote.total, "c2")
            .await
            .expect("found");
        assert_eq!(again.total, quote.total);

        let after = s.loans().loan_for_staff(&desk, &loan_id).await.unwrap();
        assert_eq!(after.summary.outstanding, before.summary.outstanding - principal);
        let future: Vec<_> = after
            .schedule
            .iter()
            .filter(|l| l.instalment.due_date > today())
            .collect();
        assert_eq!(future.len(), quote.after.len());
        assert_eq!(
            after.summary.maturity_date,
            quote.after.last().unwrap().due_date
        );
        assert!(after.prepayments[0].at_counter);
        // The loan's totals still add up to its principal: what is left
        // plus what was prepaid.
        assert_eq!(after.totals.principal, after.summary.principal);
        ledger_agrees(&env, &loan_id).await;
        // The batch goes on from the new schedule.
        env.clock.advance_secs(86_400);
        s.servicing()
            .run_eod(today().add_days(1), &Default::default(), &|_| {})
            .await
            .expect("eod");
        ledger_agrees(&env, &loan_id).await;
    })
    .await;
}

/// Eight payoffs of one loan on the phone at once (different keys): all are
/// collected, one is posted, the others are refunded; nothing is left
/// pending and the loan is paid once.
#[tokio::test]
async fn concurrent_payoffs_on_the_phone_post_once_and_refund_the_rest() {
    on_each_backend(|env| async move {
        env.seed().await;
        let s = env.services.clone();
        let (loan_id, c) = quiet_loan(&env, "equal_instalment").await;
        let total = s
            .servicing()
            .my_prepayment_quote(&c, &loan_id, PrepaymentRequest::Payoff)
            .await
            .expect("quote")
            .total;
        let payers: Vec<_> = (0..8)
            .map(|i| {
                let (s, c, loan_id) = (s.clone(), c.clone(), loan_id.clone());
                tokio::spawn(async move {
                    s.servicing()
                        .prepay(
                            &c,
                            &loan_id,
                            PrepaymentRequest::Payoff,
                            total,
                            &format!("race-{i}"),
                        )
                        .await
                })
            })
            .collect();
        let mut posted = 0;
        for p in payers {
            match p.await.expect("task") {
                Ok(d) => {
                    assert!(d.settled);
                    posted += 1;
                }
                Err(e) => assert!(
                    matches!(e.code(), ErrorCode::PaymentRefunded | ErrorCode::LoanClosed),
                    "{e:?}"
                ),
            }
        }
        assert_eq!(posted, 1);
        let of_loan = |cond: &str| {
            format!("SELECT COUNT(*) FROM payments WHERE loan_id = '{loan_id}' AND {cond}")
        };
        assert_eq!(count(&env, &of_loan("status = 'pending'")).await, 0);
        assert_eq!(count(&env, &of_loan("status = 'succeeded'")).await, 1);
        assert_eq!(
            count(
                &env,
                &format!("SELECT COUNT(*) FROM prepayments WHERE loan_id = '{loan_id}'")
            )
            .await,
            1
        );
        ledger_agrees(&env, &loan_id).await;
    })
    .await;
}

#[tokio::test]
async fn what_is_due_is_repaid_before_a_prepayment() {
    on_each_backend(|env| async move {
        env.seed().await;
        let s = &env.services;
        let row: (String, String) = sqlx::query_as(
            "SELECT l.id, l.customer_id FROM loans l JOIN loan_accounts a ON a.loan_id = l.id \
             WHERE a.status = 'overdue' ORDER BY l.id LIMIT 1",
        )
        .fetch_one(&env.db.pool)
        .await
        .expect("the demo's overdue loan");
        let c = s.auth().customer_actor(&row.1).await.unwrap();
        assert_code(
            s.servicing()
                .my_prepayment_quote(&c, &row.0, PrepaymentRequest::Payoff)
                .await,
            ErrorCode::PrepaymentDuesFirst,
        );
        assert_code(
            s.servicing()
                .prepay(&c, &row.0, PrepaymentRequest::Payoff, Fen(100), "due-first")
                .await,
            ErrorCode::PrepaymentDuesFirst,
        );
        assert_eq!(
            count(
                &env,
                &format!("SELECT COUNT(*) FROM payments WHERE loan_id = '{}'", row.0)
            )
            .await,
            0
        );
    })
    .await;
}
