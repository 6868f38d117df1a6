//! Servicing over the database: the end-of-day batch (restartable, catching
//! up), repayments through the payment provider, and credit lines; each on
//! SQLite and (when `PUHUI_TEST_PG_URL` is set) PostgreSQL.

mod common;

use common::{on_each_backend, on_each_backend_twice, today, Env};
use domain::date::Date;
use domain::error_code::ErrorCode;
use domain::money::Fen;
use domain::servicing::credit_line::LineKind;
use std::sync::atomic::Ordering;

use service::auth::CustomerActor;
use service::servicing::eod::{EodHook, EodOptions, EodSummary};
use service::servicing::lines::LineAction;
use service::ServiceError;

const LI: &str = "13800000001";
const WANG: &str = "13800000002";

fn assert_code<T: std::fmt::Debug>(r: Result<T, ServiceError>, code: ErrorCode) {
    match r {
        Err(e) => assert_eq!(e.code(), code, "{e:?}"),
        Ok(v) => panic!("expected {code}, got {v:?}"),
    }
}

async fn eod(env: &Env, date: Date, opts: &EodOptions) -> EodSummary {
    env.services
        .servicing()
        .run_eod(date, opts, &|_| {})
        .await
        .unwrap_or_else(|e| panic!("eod {date}: {e:?}"))
}

/// Moves the clock `days` ahead and runs the batch of that day.
async fn day(env: &Env, days: i64) -> EodSummary {
    env.clock.advance_secs(days * 86_400);
    eod(env, env.services.today(), &EodOptions::default()).await
}

/// Every posting of the date with its lines, as comparable text.
async fn postings_of(env: &Env, date: Date) -> Vec<String> {
    let rows: Vec<(String, String, String, i64, String, i64, i64)> = sqlx::query_as(
        "SELECT p.loan_id, p.idempotency_key, p.kind, p.amount_fen, l.account, l.debit_fen, \
           l.credit_fen FROM postings p JOIN posting_lines l \
           ON l.loan_id = p.loan_id AND l.idempotency_key = p.idempotency_key \
         WHERE p.business_date = $1 ORDER BY p.loan_id, p.idempotency_key, l.line_no",
    )
    .bind(date.to_string())
    .fetch_all(&env.db.pool)
    .await
    .expect("postings");
    rows.into_iter().map(|r| format!("{r:?}")).collect()
}

/// Seeds the bank and runs the batch up to `days_past_due` days after the
/// first due date of 王建国's loan: the loan, him, and the first due date.
async fn wang_due(env: &Env, days_past_due: i64) -> (String, CustomerActor, Date) {
    env.seed().await;
    let loan_id = wang_loan(env).await;
    let wang = env.customer(WANG).await;
    let first_due = env
        .services
        .loans()
        .my_loan(&wang, &loan_id)
        .await
        .unwrap()
        .schedule[0]
        .instalment
        .due_date;
    day(env, today().days_until(first_due.add_days(days_past_due))).await;
    (loan_id, wang, first_due)
}

/// What the borrower owes on the loan now.
async fn due_now(env: &Env, who: &CustomerActor, loan_id: &str) -> Fen {
    let loan = env
        .services
        .loans()
        .my_loan(who, loan_id)
        .await
        .expect("loan");
    loan.summary.due_now.total().expect("due")
}

async fn wang_loan(env: &Env) -> String {
    let wang = env.customer(WANG).await;
    env.services.loans().my_loans(&wang).await.expect("loans")[0]
        .id
        .to_string()
}

#[tokio::test]
async fn the_batch_accrues_once_per_loan_and_day() {
    on_each_backend(|env| async move {
        let seeded = env.seed().await;
        let open = env
            .scalar_i64("SELECT COUNT(*) FROM loan_accounts WHERE status IN ('normal', 'overdue')")
            .await;
        // 王建国's older loan is the demo's overdue case.
        let overdue = env
            .scalar_i64("SELECT COUNT(*) FROM loan_accounts WHERE status = 'overdue'")
            .await;
        assert_eq!(overdue, 1);
        assert_eq!(u64::try_from(open).unwrap(), seeded.loans);
        let first = eod(&env, today(), &EodOptions::default()).await;
        assert!(first.completed);
        assert_eq!(first.attempt, 1);
        assert_eq!(first.loans_processed, u64::try_from(open).unwrap());
        assert_eq!(first.loan_days, first.loans_processed);
        assert!(first.interest_accrued > Fen::ZERO);
        let postings = postings_of(&env, today()).await;
        assert!(!postings.is_empty());

        // Running the same date again changes nothing.
        let again = eod(&env, today(), &EodOptions::default()).await;
        assert_eq!(
            (again.attempt, again.loans_processed, again.postings),
            (2, 0, 0)
        );
        assert_eq!(postings_of(&env, today()).await, postings);

        // Every loan's ledger balances and its principal account equals the
        // outstanding principal.
        let unbalanced = env
            .scalar_i64(
                "SELECT COUNT(*) FROM (SELECT loan_id, idempotency_key FROM posting_lines \
                 GROUP BY loan_id, idempotency_key HAVING SUM(debit_fen) <> SUM(credit_fen)) x",
            )
            .await;
        assert_eq!(unbalanced, 0);
        let mismatched = env
            .scalar_i64(
                "SELECT COUNT(*) FROM loan_accounts a WHERE a.principal_outstanding_fen <> \
                 (SELECT SUM(debit_fen - credit_fen) FROM posting_lines l \
                  WHERE l.loan_id = a.loan_id AND l.account = 'loan_principal')",
            )
            .await;
        assert_eq!(mismatched, 0);
        let interest_mismatch = env
            .scalar_i64(
                "SELECT COUNT(*) FROM loan_accounts a WHERE a.interest_receivable_fen <> \
                 COALESCE((SELECT SUM(debit_fen - credit_fen) FROM posting_lines l \
                  WHERE l.loan_id = a.loan_id AND l.account = 'interest_receivable'), 0)",
            )
            .await;
        assert_eq!(interest_mismatch, 0);

        assert_code(
            env.services
                .servicing()
                .run_eod(today().add_days(1), &EodOptions::default(), &|_| {})
                .await,
            ErrorCode::EodDateInFuture,
        );
    })
    .await;
}

/// The demo people are the same people whatever day the bank is loaded:
/// their birth dates, and so their ID numbers and development bureau
/// reports, do not move with `today` (the Playwright journeys load the bank
/// on the day they run; a customer whose credit history changed with the
/// date once failed them).
#[tokio::test]
async fn the_demo_bank_has_the_same_people_on_any_day() {
    on_each_backend_twice(|one, other| async move {
        let people = |env: Env, day: domain::date::Date| async move {
            service::demo::seed_demo(
                &env.db,
                &env.services.config,
                &service::demo::DemoConfig {
                    seed: 7,
                    customers: 40,
                    today: day,
                    portfolio: false,
                },
            )
            .await
            .expect("demo seed");
            // The blind indexes: equal exactly when the numbers are.
            let rows: Vec<(String, String, String)> = sqlx::query_as(
                "SELECT phone_idx, id_number_idx, birth_date FROM customers ORDER BY phone_idx",
            )
            .fetch_all(&env.db.pool)
            .await
            .expect("customers");
            rows
        };
        let a = people(one, today()).await;
        let b = people(other, today().add_days(97)).await;
        assert!(a.len() >= 40);
        assert_eq!(a, b);
    })
    .await;
}

#[tokio::test]
async fn a_killed_batch_resumes_to_exactly_the_clean_run() {
    on_each_backend_twice(|killed, clean| async move {
        killed.seed().await;
        clean.seed().await;
        // The killed bank runs three workers on loan-id ranges, the clean
        // one a single worker: the postings must not depend on either.
        let small = EodOptions {
            chunk_size: 2,
            workers: 1,
            ..EodOptions::default()
        };
        let parallel = EodOptions {
            workers: 3,
            ..small.clone()
        };
        let stopped = eod(
            &killed,
            today(),
            &EodOptions {
                stop_after_chunks: Some(2),
                ..parallel.clone()
            },
        )
        .await;
        assert!(!stopped.completed);
        // Each worker stops before its next chunk once two are committed
        // in all; chunks already in flight finish.
        assert!(stopped.loans_processed >= 2, "{}", stopped.loans_processed);
        let status = killed
            .scalar_text(&format!(
                "SELECT status FROM eod_runs WHERE business_date = '{}'",
                today()
            ))
            .await;
        assert_eq!(status, "running");

        let resumed = eod(&killed, today(), &parallel).await;
        assert!(resumed.completed);
        assert_eq!(resumed.attempt, 2);
        let whole = eod(&clean, today(), &small).await;
        assert_eq!(
            resumed.loans_processed + stopped.loans_processed,
            whole.loans_processed
        );
        assert_eq!(
            postings_of(&killed, today()).await,
            postings_of(&clean, today()).await
        );
        let counted = killed
            .scalar_i64(&format!(
                "SELECT postings FROM eod_runs WHERE business_date = '{}'",
                today()
            ))
            .await;
        assert_eq!(u64::try_from(counted).unwrap(), whole.postings);
    })
    .await;
}

#[tokio::test]
async fn missed_days_catch_up_and_unpaid_instalments_go_overdue() {
    on_each_backend(|env| async move {
        env.seed().await;
        let s = &env.services;
        let loan_id = wang_loan(&env).await;
        let wang = env.customer(WANG).await;
        let before = s.loans().my_loan(&wang, &loan_id).await.expect("loan");
        let first_due = before.schedule[0].instalment.due_date;

        // The seed left every loan at yesterday; three more days without a
        // batch: one run catches every loan up, four days each.
        let caught = day(&env, 3).await;
        assert_eq!(caught.loan_days, 4 * caught.loans_processed);

        // Five days after the first due date, unpaid.
        let to = today().days_until(first_due.add_days(5)) - 3;
        day(&env, to).await;
        let loan = s.loans().my_loan(&wang, &loan_id).await.expect("loan");
        assert_eq!(
            loan.summary.status,
            domain::servicing::eod::LoanStatus::Overdue
        );
        assert_eq!(loan.summary.dpd, 5);
        assert_eq!(loan.summary.classification.as_str(), "special_mention");
        assert!(loan.summary.due_now.penalty > Fen::ZERO);
        assert_eq!(loan.schedule[0].state.as_str(), "overdue");
        let staff = env.staff("officer1").await;
        let ledger = s
            .loans()
            .loan_for_staff(&staff, &loan_id)
            .await
            .expect("staff view")
            .ledger;
        assert!(ledger.iter().any(|p| p.kind.as_str() == "penalty_accrual"));
        assert!(s
            .loans()
            .my_loan(&wang, &loan_id)
            .await
            .unwrap()
            .ledger
            .is_empty());

        // Paying everything due brings it back to normal.
        let due = loan.summary.due_now.total().expect("total");
        s.servicing()
            .repay(&wang, &loan_id, due, "pay-all")
            .await
            .expect("repay");
        let after = s.loans().my_loan(&wang, &loan_id).await.expect("loan");
        assert_eq!(
            after.summary.status,
            domain::servicing::eod::LoanStatus::Normal
        );
        assert_eq!(after.summary.dpd, 0);
        assert_eq!(after.schedule[0].state.as_str(), "paid");
        assert_eq!(after.summary.due_now.total().unwrap(), Fen::ZERO);
    })
    .await;
}

/// The review's lost repayment: the batch read a chunk, a repayment posted
/// in the meantime, and the chunk's update (guarded on the date only) put
/// the interest, status and days past due back as they were before the
/// payment. The repayment lands exactly between the batch's read and write.
#[tokio::test]
async fn the_batch_never_overwrites_a_repayment_made_while_it_runs() {
    on_each_backend(|env| async move {
        let s = env.services.clone();
        // Five days overdue: interest, penalty and days past due to pay off.
        let (loan_id, wang, _) = wang_due(&env, 5).await;
        let due = s
            .loans()
            .my_loan(&wang, &loan_id)
            .await
            .unwrap()
            .summary
            .due_now;
        assert!(due.penalty > Fen::ZERO);
        let due = due.total().unwrap();

        // The next day's batch; the repayment posts inside its first chunk.
        env.clock.advance_secs(86_400);
        let fired = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let hook = {
            let (s, wang, loan_id, fired) =
                (s.clone(), wang.clone(), loan_id.clone(), fired.clone());
            EodHook(std::sync::Arc::new(move |loans: Vec<String>| {
                let (s, wang, loan_id, fired) =
                    (s.clone(), wang.clone(), loan_id.clone(), fired.clone());
                Box::pin(async move {
                    if loans.contains(&loan_id) && !fired.swap(true, Ordering::SeqCst) {
                        s.servicing()
                            .repay(&wang, &loan_id, due, "paid-during-eod")
                            .await
                            .expect("repay during the batch");
                    }
                })
            }))
        };
        let run = eod(
            &env,
            s.today(),
            &EodOptions {
                chunk_size: 50,
                before_write: Some(hook),
                ..EodOptions::default()
            },
        )
        .await;
        assert!(
            fired.load(Ordering::SeqCst),
            "the repayment ran inside the batch"
        );
        assert!(run.completed);

        let loan = s.loans().my_loan(&wang, &loan_id).await.unwrap();
        assert_eq!(
            loan.summary.status,
            domain::servicing::eod::LoanStatus::Normal,
            "{:?}",
            loan.summary
        );
        assert_eq!(loan.summary.dpd, 0);
        assert_eq!(loan.schedule[0].state.as_str(), "paid");
        assert_eq!(loan.summary.due_now.total().unwrap(), Fen::ZERO);
        // Every loan was processed once for the day, the repaid one included.
        let behind = env
            .scalar_i64(&format!(
                "SELECT COUNT(*) FROM loan_accounts WHERE status IN ('normal', 'overdue') \
                 AND last_processed < '{}'",
                s.today()
            ))
            .await;
        assert_eq!(behind, 0);
        assert_eq!(
            env.scalar_i64("SELECT COUNT(*) FROM postings WHERE kind = 'repayment'")
                .await,
            1
        );
    })
    .await;
}

/// The review's stuck payment: two repayments of one loan at once (different
/// keys) were both collected, but the second's posting met the first's write
/// and gave up, leaving the money taken and the order `pending` for ever.
/// Eight at once now all post, exactly once each.
#[tokio::test]
async fn concurrent_repayments_are_all_posted() {
    on_each_backend(|env| async move {
        let s = env.services.clone();
        let (loan_id, wang, _) = wang_due(&env, 0).await;
        let due = due_now(&env, &wang, &loan_id).await;
        let n = 8;
        let part = Fen(due.get() / n / 100 * 100);
        assert!(part > Fen::ZERO);
        let payers: Vec<_> = (0..n)
            .map(|i| {
                let (s, wang, loan_id) = (s.clone(), wang.clone(), loan_id.clone());
                tokio::spawn(async move {
                    s.servicing()
                        .repay(&wang, &loan_id, part, &format!("part-{i}"))
                        .await
                })
            })
            .collect();
        for p in payers {
            p.await.expect("task").expect("every part is posted");
        }
        assert_eq!(
            env.scalar_i64("SELECT COUNT(*) FROM payments WHERE status = 'pending'")
                .await,
            0
        );
        assert_eq!(
            env.scalar_i64("SELECT COUNT(*) FROM postings WHERE kind = 'repayment'")
                .await,
            n
        );
        let left = s
            .loans()
            .my_loan(&wang, &loan_id)
            .await
            .unwrap()
            .summary
            .due_now;
        assert_eq!(left.total().unwrap(), Fen(due.get() - n * part.get()));
    })
    .await;
}

#[tokio::test]
async fn a_repayment_posts_once_whatever_repeats() {
    on_each_backend(|env| async move {
        env.seed().await;
        let s = &env.services;
        let loan_id = wang_loan(&env).await;
        let wang = env.customer(WANG).await;
        let first_due = s.loans().my_loan(&wang, &loan_id).await.unwrap().schedule[0]
            .instalment
            .due_date;
        day(&env, today().days_until(first_due)).await;
        let loan = s.loans().my_loan(&wang, &loan_id).await.unwrap();
        assert_eq!(
            loan.summary.status,
            domain::servicing::eod::LoanStatus::Normal
        );
        let due = loan.summary.due_now.total().unwrap();
        assert!(due > Fen::ZERO);
        assert_eq!(loan.schedule[0].state.as_str(), "due");

        // Bad input first: nothing is posted.
        let count = "SELECT COUNT(*) FROM postings WHERE kind = 'repayment'";
        assert_code(
            s.servicing().repay(&wang, &loan_id, Fen::ZERO, "k0").await,
            ErrorCode::AmountNotPositive,
        );
        assert_code(
            s.servicing()
                .repay(&wang, &loan_id, due + Fen(1), "k1")
                .await,
            ErrorCode::RepaymentExceedsDue,
        );
        let declined = Fen(due.get() / 100 * 100 - 100 + 44);
        assert_code(
            s.servicing().repay(&wang, &loan_id, declined, "k2").await,
            ErrorCode::PaymentDeclined,
        );
        assert_code(
            s.servicing().repay(&wang, &loan_id, declined, "k2").await,
            ErrorCode::PaymentDeclined,
        );
        assert_eq!(env.scalar_i64(count).await, 0);
        let li = env.customer(LI).await;
        assert_code(
            s.servicing().repay(&li, &loan_id, due, "k3").await,
            ErrorCode::NotFound,
        );

        // A double click and a repeated provider notice post once.
        let paid = s
            .servicing()
            .repay(&wang, &loan_id, due, "k4")
            .await
            .expect("repay");
        let again = s
            .servicing()
            .repay(&wang, &loan_id, due, "k4")
            .await
            .expect("same order");
        assert_eq!(paid.reference, again.reference);
        s.servicing()
            .payment_succeeded(&paid.reference)
            .await
            .expect("second notice");
        assert_eq!(env.scalar_i64(count).await, 1);
        assert_code(
            s.servicing().repay(&wang, &loan_id, Fen(100), "k4").await,
            ErrorCode::Duplicate,
        );
        let loan = s.loans().my_loan(&wang, &loan_id).await.unwrap();
        assert_eq!(loan.summary.due_now.total().unwrap(), Fen::ZERO);
        assert_eq!(loan.payments.len(), 2);
        assert_code(
            s.servicing().repay(&wang, &loan_id, Fen(100), "k5").await,
            ErrorCode::RepaymentExceedsDue,
        );
    })
    .await;
}

#[tokio::test]
async fn drawdowns_never_take_a_line_below_zero() {
    on_each_backend(|env| async move {
        env.seed().await;
        let s = &env.services;
        let li = env.customer(LI).await;
        let approver = env.staff("approver1").await;
        let officer = env.staff("officer1").await;
        let products = s.products().list_products(Some(&li.bank_id)).await.unwrap();
        let product = &products[0];
        assert_code(
            s.servicing()
                .grant_line(
                    &officer,
                    &li.customer_id,
                    &product.id,
                    LineKind::Revolving,
                    Fen::from_yuan(100_000),
                    today().add_months(12),
                )
                .await,
            ErrorCode::Forbidden,
        );
        assert_code(
            s.servicing()
                .grant_line(
                    &approver,
                    &li.customer_id,
                    &product.id,
                    LineKind::Revolving,
                    Fen::from_yuan(100_000),
                    today(),
                )
                .await,
            ErrorCode::CreditLineExpiryNotAfterGrant,
        );
        let line = s
            .servicing()
            .grant_line(
                &approver,
                &li.customer_id,
                &product.id,
                LineKind::Revolving,
                Fen::from_yuan(100_000),
                today().add_months(12),
            )
            .await
            .expect("grant");
        assert_eq!(line.available, Fen::from_yuan(100_000));

        // Ten drawdowns of 15,000 at once: six fit.
        let mut tasks = Vec::new();
        for i in 0..10 {
            let (s, li, id) = (s.clone(), li.clone(), line.id.clone());
            tasks.push(tokio::spawn(async move {
                s.servicing()
                    .draw_down(&li, &id, Fen::from_yuan(15_000), 12, &format!("dd-{i}"))
                    .await
            }));
        }
        let mut ok = 0;
        for t in tasks {
            match t.await.unwrap() {
                Ok(_) => ok += 1,
                Err(e) => assert!(
                    [
                        ErrorCode::CreditLineInsufficientAvailable,
                        ErrorCode::ApplicationStateChanged,
                        ErrorCode::Internal
                    ]
                    .contains(&e.code()),
                    "{e:?}"
                ),
            }
        }
        let lines = s.servicing().my_lines(&li).await.unwrap();
        assert!(lines[0].used <= lines[0].limit);
        assert_eq!(lines[0].used, Fen(1_500_000 * ok));
        assert!((1..=6).contains(&ok), "{ok}");
        let loans = s.loans().my_loans(&li).await.unwrap();
        assert_eq!(loans.len(), usize::try_from(ok).unwrap());

        // A retried drawdown returns the same loan; bad terms are refused.
        let again = s
            .servicing()
            .draw_down(&li, &line.id, Fen::from_yuan(1_000), 12, "retry")
            .await
            .unwrap();
        assert_eq!(
            s.servicing()
                .draw_down(&li, &line.id, Fen::from_yuan(1_000), 12, "retry")
                .await
                .unwrap(),
            again
        );
        assert_code(
            s.servicing()
                .draw_down(&li, &line.id, Fen::from_yuan(1_000), 0, "t0")
                .await,
            ErrorCode::TermOutOfRange,
        );
        assert_code(
            s.servicing()
                .draw_down(&li, &line.id, Fen::ZERO, 12, "z")
                .await,
            ErrorCode::CreditLineAmountNotPositive,
        );

        // Frozen: no drawdown; a stale version is refused.
        let v = s.servicing().my_lines(&li).await.unwrap()[0].version;
        s.servicing()
            .line_action(&approver, &line.id, v, LineAction::Freeze)
            .await
            .expect("freeze");
        assert_code(
            s.servicing()
                .line_action(&approver, &line.id, v, LineAction::Unfreeze)
                .await,
            ErrorCode::ApplicationStateChanged,
        );
        assert_code(
            s.servicing()
                .draw_down(&li, &line.id, Fen::from_yuan(1_000), 12, "f")
                .await,
            ErrorCode::CreditLineFrozen,
        );
        assert_code(
            s.servicing()
                .line_action(
                    &approver,
                    &line.id,
                    v + 1,
                    LineAction::AdjustLimit(Fen::from_yuan(1)),
                )
                .await,
            ErrorCode::CreditLineLimitBelowUsed,
        );
        let audit = env
            .scalar_i64("SELECT COUNT(*) FROM audit_log WHERE action LIKE 'credit_line.%'")
            .await;
        assert!(audit >= 3 + ok);
    })
    .await;
}

#[tokio::test]
async fn a_portfolio_book_reconciles_with_its_ledger_through_the_batch() {
    on_each_backend(|env| async move {
        let seeded = service::demo::seed_demo(
            &env.db,
            &env.services.config,
            &service::demo::DemoConfig {
                seed: 11,
                customers: 200,
                today: today(),
                portfolio: true,
            },
        )
        .await
        .expect("portfolio seed");
        assert!(seeded.loans >= 190, "{seeded:?}");
        let overdue = env
            .scalar_i64("SELECT COUNT(*) FROM loan_accounts WHERE status = 'overdue'")
            .await;
        assert!(overdue < 20, "{overdue}");
        for _ in 0..31 {
            day(&env, 1).await;
        }
        let book = env
            .services
            .servicing()
            .reconcile_book()
            .await
            .expect("reconcile");
        assert!(book.is_clean(), "{book:#?}");
        assert!(book.loans >= 190 && book.total_debit_fen > 0);
        // A month on with nobody paying, every loan with a due date is overdue.
        let overdue_after = env
            .scalar_i64("SELECT COUNT(*) FROM loan_accounts WHERE status = 'overdue'")
            .await;
        assert!(overdue_after > 150, "{overdue_after}");
    })
    .await;
}

/// 对账: the whole book reconciles after a batch and a repayment, and each
/// kind of damage is found and named: a posting line changed, a stored
/// balance changed, a confirmed payment without its posting, a posting for
/// a payment that failed.
#[tokio::test]
async fn the_reconciliation_finds_every_kind_of_damage() {
    on_each_backend(|env| async move {
        let s = env.services.clone();
        let (loan_id, wang, _) = wang_due(&env, 0).await;
        let due = due_now(&env, &wang, &loan_id).await;
        let paid = s
            .servicing()
            .repay(&wang, &loan_id, due, "recon")
            .await
            .expect("repay");
        let clean = s.servicing().reconcile_book().await.expect("reconcile");
        assert!(clean.is_clean(), "{clean:#?}");
        assert!(clean.postings > clean.loans);

        // One line of the repayment moved by a fen.
        let key = format!("pay:{}", paid.reference);
        env.exec(&format!(
            "UPDATE posting_lines SET debit_fen = debit_fen + 1 \
             WHERE loan_id = '{loan_id}' AND idempotency_key = '{key}' AND debit_fen > 0"
        ))
        .await;
        let r = s.servicing().reconcile_book().await.unwrap();
        assert!(!r.is_clean());
        assert_eq!(r.unbalanced_postings.count, 1);
        assert_eq!(r.unbalanced_postings.first[0].idempotency_key, key);
        assert_eq!(r.amount_mismatches.count, 1);
        assert_ne!(r.total_debit_fen, r.total_credit_fen);
        env.exec(&format!(
            "UPDATE posting_lines SET debit_fen = debit_fen - 1 \
             WHERE loan_id = '{loan_id}' AND idempotency_key = '{key}' AND debit_fen > 0"
        ))
        .await;

        // A stored balance that is not the ledger's.
        env.exec(&format!(
            "UPDATE loan_accounts SET principal_outstanding_fen = principal_outstanding_fen + 100 \
             WHERE loan_id = '{loan_id}'"
        ))
        .await;
        let r = s.servicing().reconcile_book().await.unwrap();
        assert_eq!(r.balance_mismatches.count, 1);
        let found = &r.balance_mismatches.first[0];
        assert_eq!(
            (found.loan_id.as_str(), found.account),
            (loan_id.as_str(), "loan_principal")
        );
        assert_eq!(found.stored_fen - found.ledger_fen, 100);
        env.exec(&format!(
            "UPDATE loan_accounts SET principal_outstanding_fen = principal_outstanding_fen - 100 \
             WHERE loan_id = '{loan_id}'"
        ))
        .await;

        // The provider's word and the ledger disagree.
        env.exec(&format!(
            "UPDATE payments SET status = 'failed' WHERE reference = '{}'",
            paid.reference
        ))
        .await;
        let r = s.servicing().reconcile_book().await.unwrap();
        assert_eq!(r.postings_without_payment.count, 1);
        assert_eq!(
            r.postings_without_payment.first[0].reference,
            paid.reference
        );
        env.exec(&format!(
            "UPDATE payments SET status = 'succeeded', reference = 'ghost' WHERE reference = '{}'",
            paid.reference
        ))
        .await;
        let r = s.servicing().reconcile_book().await.unwrap();
        assert_eq!(r.payments_not_posted.count, 1);
        assert_eq!(r.payments_not_posted.first[0].reference, "ghost");
        assert_eq!(r.postings_without_payment.first[0].status, "missing");
    })
    .await;
}

/// SQLite: the money paths' pool commits to disk before returning
/// (synchronous = FULL); the submission burst's writer keeps NORMAL.
#[tokio::test]
async fn money_commits_are_durable_on_sqlite() {
    on_each_backend(|env| async move {
        if env.db.backend != service::db::Backend::Sqlite {
            return;
        }
        let (pool,): (i64,) = sqlx::query_as("PRAGMA synchronous")
            .fetch_one(&env.db.pool)
            .await
            .unwrap();
        assert_eq!(pool, 2, "FULL on the shared pool");
        let mut tx = env.db.begin_write().await.unwrap();
        let (writer,): (i64,) = sqlx::query_as("PRAGMA synchronous")
            .fetch_one(&mut *tx)
            .await
            .unwrap();
        assert_eq!(writer, 1, "NORMAL on the burst's writer");
    })
    .await;
}

/// Fifty drawdowns with the same key at once (a customer's impatient taps,
/// a flaky network's retries): one loan, one disbursement, the line used
/// once, and every request answers with that loan.
#[tokio::test]
async fn fifty_identical_drawdowns_at_once_make_one_loan() {
    on_each_backend(|env| async move {
        env.seed().await;
        let s = env.services.clone();
        let li = env.customer(LI).await;
        let approver = env.staff("approver1").await;
        let product = s.products().list_products(Some(&li.bank_id)).await.unwrap()[0]
            .id
            .clone();
        let line = s
            .servicing()
            .grant_line(
                &approver,
                &li.customer_id,
                &product,
                LineKind::Revolving,
                Fen::from_yuan(100_000),
                today().add_months(12),
            )
            .await
            .expect("grant");
        let taps: Vec<_> = (0..50)
            .map(|_| {
                let (s, li, id) = (s.clone(), li.clone(), line.id.clone());
                tokio::spawn(async move {
                    s.servicing()
                        .draw_down(&li, &id, Fen::from_yuan(15_000), 12, "tap-once")
                        .await
                })
            })
            .collect();
        let mut answers = std::collections::BTreeSet::new();
        for t in taps {
            answers.insert(
                t.await
                    .expect("task")
                    .expect("every tap answers with the loan"),
            );
        }
        assert_eq!(answers.len(), 1, "{answers:?}");
        let loan = answers.into_iter().next().unwrap();
        assert_eq!(
            env.scalar_i64(&format!(
                "SELECT COUNT(*) FROM loans WHERE credit_line_id = '{}'",
                line.id
            ))
            .await,
            1
        );
        assert_eq!(
            env.scalar_i64(&format!(
                "SELECT COUNT(*) FROM postings WHERE loan_id = '{loan}' AND kind = 'disbursement'"
            ))
            .await,
            1
        );
        assert_eq!(
            env.scalar_i64(&format!(
                "SELECT used_fen FROM credit_lines WHERE id = '{}'",
                line.id
            ))
            .await,
            Fen::from_yuan(15_000).get()
        );
        assert!(s.servicing().reconcile_book().await.unwrap().is_clean());
    })
    .await;
}

/// Pays exactly `amount` in parts the development provider collects
/// normally (none ending in the test suffixes .44 or .55).
async fn pay_exactly(env: &Env, who: &CustomerActor, loan_id: &str, amount: Fen, key: &str) {
    let (whole, rest) = (amount.get() / 100 * 100, amount.get() % 100);
    let mut parts = vec![whole];
    match rest {
        0 => {}
        44 | 55 => parts.extend([rest - 1, 1]),
        r => parts.push(r),
    }
    for (i, p) in parts.into_iter().filter(|p| *p > 0).enumerate() {
        env.services
            .servicing()
            .repay(who, loan_id, Fen(p), &format!("{key}-{i}"))
            .await
            .unwrap_or_else(|e| panic!("part {p}: {e:?}"));
    }
}

/// Money collected is posted exactly once or refunded, never kept: an
/// answer lost after collecting leaves the order pending until the job asks
/// the provider (two jobs at once post it once); one the loan no longer owes
/// by then goes back; an order never collected fails.
#[tokio::test]
async fn a_collected_payment_is_posted_or_refunded_never_kept() {
    on_each_backend(|env| async move {
        let s = env.services.clone();
        let (loan_id, wang, _) = wang_due(&env, 0).await;
        let due = due_now(&env, &wang, &loan_id).await;
        assert!(due > Fen::from_yuan(1_000), "{due:?}");
        let repayments = "SELECT COUNT(*) FROM postings WHERE kind = 'repayment'";

        // Collected, answer lost: pending, nothing posted, a retry says so.
        for _ in 0..2 {
            match s.servicing().repay(&wang, &loan_id, Fen(10_055), "lost-1").await {
                Err(e) => assert_eq!(e.code(), ErrorCode::PaymentPending),
                Ok(r) => panic!("{r:?}"),
            }
        }
        assert_eq!(env.scalar_i64(repayments).await, 0);
        // Within the grace period the job leaves it alone.
        assert_eq!(
            s.servicing().resolve_pending_payments(300_000).await.unwrap(),
            Default::default()
        );
        env.clock.advance_secs(360);
        let servicing = s.servicing();
        let (a, b) = tokio::join!(
            servicing.resolve_pending_payments(300_000),
            servicing.resolve_pending_payments(300_000)
        );
        let (a, b) = (a.unwrap(), b.unwrap());
        assert!(a.posted + b.posted >= 1, "{a:?} {b:?}");
        assert_eq!(a.failed + b.failed + a.refunded + b.refunded, 0, "{a:?} {b:?}");
        assert_eq!(env.scalar_i64(repayments).await, 1);
        assert_eq!(due_now(&env, &wang, &loan_id).await, Fen(due.get() - 10_055));

        // Lost again; meanwhile the rest is paid: it can no longer be posted.
        assert_eq!(
            s.servicing().repay(&wang, &loan_id, Fen(20_055), "lost-2").await.unwrap_err().code(),
            ErrorCode::PaymentPending
        );
        let rest = due_now(&env, &wang, &loan_id).await;
        pay_exactly(&env, &wang, &loan_id, rest, "rest").await;
        let posted = env.scalar_i64(repayments).await;
        env.clock.advance_secs(360);
        let done = s.servicing().resolve_pending_payments(300_000).await.unwrap();
        assert_eq!(done.refunded, 1, "{done:?}");
        assert_eq!(env.scalar_i64(repayments).await, posted, "nothing more posted");
        assert_eq!(
            env.scalar_i64("SELECT COUNT(*) FROM audit_log WHERE action = 'payment.refunded'")
                .await,
            1
        );
        assert_eq!(
            s.servicing().repay(&wang, &loan_id, Fen(20_055), "lost-2").await.unwrap_err().code(),
            ErrorCode::PaymentRefunded
        );

        // An order whose process stopped before it reached the provider.
        env.exec(&format!(
            "INSERT INTO payments (id, reference, loan_id, customer_id, amount_fen, provider, \
               status, idempotency_key, created_at, updated_at) \
             VALUES ('p-crash', 'r-crash', '{loan_id}', '{}', 1000, 'dev', 'pending', 'crash-1', 0, 0)",
            wang.customer_id
        ))
        .await;
        // Until settled, the reconciliation shows it (pending over an hour).
        let r = s.servicing().reconcile_book().await.unwrap();
        assert_eq!(r.payments_unsettled.count, 1, "{r:?}");
        assert!(!r.is_clean());
        let done = s.servicing().resolve_pending_payments(300_000).await.unwrap();
        assert_eq!(done.failed, 1, "{done:?}");
        assert!(s.servicing().reconcile_book().await.unwrap().is_clean());
        assert_eq!(
            env.scalar_i64("SELECT COUNT(*) FROM payments WHERE status = 'pending'").await,
            0
        );
        assert_eq!(env.scalar_i64(repayments).await, posted);
    })
    .await;
}

/// The batch inside the server: due at its time (nothing on a database that
/// never ran it, before the time), one run at a time, a failed run marked
/// with why it stopped and finished by an administrator's rerun.
#[tokio::test]
async fn the_server_runs_the_batch_when_due_and_an_administrator_reruns_a_failed_one() {
    use service::servicing::eod_runs::EodSchedule;
    on_each_backend(|env| async move {
        env.seed().await;
        let (admin, head) = (env.staff("admin").await, env.staff("head1").await);
        let servicing = env.services.servicing();
        env.exec("DELETE FROM eod_runs").await;
        // 10:00 now: a 23:30 batch's latest date is yesterday, and with no
        // run ever made there is no missed day to catch up.
        let late = EodSchedule::parse("23:30").expect("time");
        assert_eq!(servicing.eod_due(late).await.expect("due"), None);
        let early = EodSchedule::parse("09:00").expect("time");
        assert_eq!(servicing.eod_due(early).await.expect("due"), Some(today()));

        // A loan the batch cannot read stops the run, which is marked failed.
        let loan = wang_loan(&env).await;
        let processed = env
            .scalar_text(&format!(
                "SELECT last_processed FROM loan_accounts WHERE loan_id = '{loan}'"
            ))
            .await;
        env.exec(&format!(
            "UPDATE loan_accounts SET last_processed = '2026-00-99' WHERE loan_id = '{loan}'"
        ))
        .await;
        let run = servicing
            .start_due_eod(early)
            .await
            .expect("start")
            .expect("due");
        // While it holds the batch, a rerun is refused.
        assert_code(
            servicing.rerun_eod(&admin, today()).await,
            ErrorCode::EodAlreadyRunning,
        );
        assert!(run.await.expect("joined").is_err());
        let page = servicing.eod_runs(&head).await.expect("runs");
        let failed = &page.runs[0];
        assert_eq!(failed.status, domain::view::EodRunStatus::Failed);
        assert_eq!(failed.error, Some(ErrorCode::Internal));
        assert_eq!((page.schedule.as_deref(), page.can_rerun), (None, false));
        // The scheduler retries a failed date, up to its limit.
        assert_eq!(servicing.eod_due(early).await.expect("due"), Some(today()));

        // Only an administrator reruns; the repaired loan lets it finish.
        assert_code(
            servicing.rerun_eod(&head, today()).await,
            ErrorCode::Forbidden,
        );
        assert_code(
            servicing.rerun_eod(&admin, today().add_days(1)).await,
            ErrorCode::EodDateInFuture,
        );
        env.exec(&format!(
            "UPDATE loan_accounts SET last_processed = '{processed}' WHERE loan_id = '{loan}'"
        ))
        .await;
        let summary = servicing
            .rerun_eod(&admin, today())
            .await
            .expect("rerun")
            .await
            .expect("joined")
            .expect("completed");
        assert!(summary.completed && summary.attempt == 2);
        let run = servicing.eod_runs(&admin).await.expect("runs").runs[0].clone();
        assert_eq!(run.status, domain::view::EodRunStatus::Completed);
        assert_eq!(
            (run.error, run.requested_by.as_deref()),
            (None, Some("周建华"))
        );
        assert_eq!(run.loans, run.loans_total);
        assert!(run.loans > 0 && run.interest_accrued.is_some());
        assert_eq!(servicing.eod_due(early).await.expect("due"), None);
        // Officers do not see the batch.
        let officer = env.staff("officer1").await;
        assert_code(servicing.eod_runs(&officer).await, ErrorCode::Forbidden);
    })
    .await;
}
