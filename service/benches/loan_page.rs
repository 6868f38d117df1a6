//! The staff loan page's server time for a long loan: 300,000.00 yuan over
//! 360 months, two years into its life (730 nights, 24 instalments paid:
//! 700+ postings), read with `loans().loan_for_staff` as the page's server
//! function does; and the write-off (核销) of such loans: the approval that
//! posts it (`servicing().decide_write_off`), each on a loan of its own.
//!
//! Targets (issue 16): the page p99 ≤ 5 ms, a write-off ≤ 100 ms. Run with
//! `cargo bench -p puhui-service --bench loan_page` (SQLite in a temporary
//! file; set `PUHUI_BENCH_PG_URL` to a PostgreSQL server's URL to measure
//! it there too, in a database made and dropped for the run). Figures go in
//! `docs/benchmarks.md`, never into tests.

use std::sync::Arc;
use std::time::{Duration, Instant};

use domain::date::Date;
use domain::money::Fen;
use domain::rate::AnnualRate;
use domain::schedule::{build_schedule, RepaymentMethod};
use domain::servicing::eod::{catch_up, EodRules, LoanState};
use domain::servicing::ledger::{AllocationOrder, IdempotencyKey, Posting};
use service::db::{Db, FixedClock};
use service::demo::{seed_demo, DemoConfig};
use service::pfi::PfiKeys;
use service::sms::DevSmsProvider;
use service::{ServiceConfig, Services};
use sqlx::AssertSqlSafe;

const READS: usize = 2_000;
/// Long loans written off, one approval each.
const WRITE_OFFS: i64 = 20;

fn today() -> Date {
    Date::new(2026, 11, 24).unwrap_or_else(|e| panic!("{e}"))
}

async fn exec(db: &Db, sql: &str) {
    sqlx::query(AssertSqlSafe(sql.to_string()))
        .execute(&db.pool)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
}

/// Replaces the first demo loan (by id) by the long loan.
async fn long_loan(db: &Db) -> (String, usize) {
    let (loan_id,): (String,) = sqlx::query_as("SELECT id FROM loans ORDER BY id LIMIT 1")
        .fetch_one(&db.pool)
        .await
        .unwrap_or_else(|e| panic!("a demo loan: {e}"));
    long_loan_of(db, loan_id).await
}

/// Replaces a demo loan by the long loan: its schedule with what is paid,
/// its postings, and its account as the domain left it.
async fn long_loan_of(db: &Db, loan_id: String) -> (String, usize) {
    let (bank_id,): (String,) = sqlx::query_as("SELECT bank_id FROM loans WHERE id = $1")
        .bind(&loan_id)
        .fetch_one(&db.pool)
        .await
        .unwrap_or_else(|e| panic!("a demo loan: {e}"));
    let principal = Fen::from_yuan(300_000);
    let rate = AnnualRate::from_bp(490).unwrap_or_else(|e| panic!("{e}"));
    let start = today().add_days(-730);
    let rows = build_schedule(
        RepaymentMethod::EqualInstalment,
        principal,
        rate,
        360,
        start,
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let (mut state, first) = LoanState::disburse(&loan_id, rate, principal, &rows, start)
        .unwrap_or_else(|e| panic!("{e}"));
    let mut postings: Vec<Posting> = vec![first];
    // Night by night, each instalment repaid on its due date.
    let rules = EodRules::default();
    let mut k = 0;
    while state.last_processed < today().add_days(-1) {
        let (next, mut p) = catch_up(&state, state.last_processed.add_days(1), &rules)
            .unwrap_or_else(|e| panic!("{e}"));
        state = next;
        postings.append(&mut p);
        let due = state
            .dues()
            .and_then(|d| Ok(d.total()?))
            .unwrap_or_default();
        if due > Fen::ZERO {
            k += 1;
            let key = IdempotencyKey::parse(&format!("pay-{k}")).unwrap_or_else(|e| panic!("{e}"));
            let (next, p) = state
                .repay(due, AllocationOrder::default(), key, state.last_processed)
                .unwrap_or_else(|e| panic!("{e}"));
            state = next;
            postings.push(p);
        }
    }
    for t in ["posting_lines", "postings", "loan_schedule"] {
        exec(db, &format!("DELETE FROM {t} WHERE loan_id = '{loan_id}'")).await;
    }
    for s in &state.schedule {
        let i = s.instalment;
        exec(
            db,
            &format!(
                "INSERT INTO loan_schedule (loan_id, n, due_date, principal_fen, interest_fen, \
                 payment_fen, balance_fen, paid_principal_fen, paid_interest_fen) VALUES \
                 ('{loan_id}', {}, '{}', {}, {}, {}, {}, {}, {})",
                i.n,
                i.due_date,
                i.principal.get(),
                i.interest.get(),
                i.payment.get(),
                i.balance.get(),
                s.paid_principal.get(),
                s.paid_interest.get()
            ),
        )
        .await;
    }
    for p in &postings {
        let key = p.idempotency_key.as_str();
        exec(
            db,
            &format!(
                "INSERT INTO postings (loan_id, idempotency_key, bank_id, business_date, kind, \
                 amount_fen, created_at) VALUES ('{loan_id}', '{key}', '{bank_id}', '{}', '{}', {}, 0)",
                p.business_date,
                p.kind.as_str(),
                p.total().get()
            ),
        )
        .await;
        for (n, l) in p.lines.iter().enumerate() {
            exec(
                db,
                &format!(
                    "INSERT INTO posting_lines (loan_id, idempotency_key, line_no, account, \
                     debit_fen, credit_fen) VALUES ('{loan_id}', '{key}', {}, '{}', {}, {})",
                    n + 1,
                    l.account.as_str(),
                    l.debit.get(),
                    l.credit.get()
                ),
            )
            .await;
        }
    }
    exec(
        db,
        &format!(
            "UPDATE loans SET principal_fen = {}, annual_rate_bp = 490, term_months = 360, \
             repayment_method = 'equal_instalment', start_date = '{start}', maturity_date = '{}', \
             outstanding_principal_fen = {} WHERE id = '{loan_id}'",
            principal.get(),
            rows.last().map_or(start, |i| i.due_date),
            state.principal_outstanding.get()
        ),
    )
    .await;
    exec(
        db,
        &format!(
            "UPDATE loan_accounts SET status = '{}', principal_outstanding_fen = {}, \
             interest_receivable_fen = {}, penalty_receivable_fen = 0, period_accrued_fen = {}, \
             last_processed = '{}', oldest_unpaid_due = NULL, dpd = 0, \
             next_due_date = (SELECT MIN(due_date) FROM loan_schedule \
               WHERE loan_id = '{loan_id}' AND due_date > '{}') \
             WHERE loan_id = '{loan_id}'",
            state.status.as_str(),
            state.principal_outstanding.get(),
            state.interest_receivable.get(),
            state.period_accrued.get(),
            state.last_processed,
            state.last_processed
        ),
    )
    .await;
    (loan_id, postings.len())
}

async fn measure(label: &str, db: Db) {
    let clock = Arc::new(FixedClock::new(
        today().days_since_epoch() * 86_400_000 + 2 * 3_600_000,
    ));
    let sms = Arc::new(DevSmsProvider::new(
        db.clone(),
        clock.clone(),
        PfiKeys::development(),
    ));
    let services = Services::new(db.clone(), sms, clock, ServiceConfig::default());
    seed_demo(
        &db,
        &services.config,
        &DemoConfig {
            seed: 7,
            customers: 300,
            today: today(),
            portfolio: false,
        },
    )
    .await
    .unwrap_or_else(|e| panic!("seed: {e}"));
    let (loan_id, postings) = long_loan(&db).await;
    // A reader in scope of the loan: the head of its branch.
    let (user,): (String,) = sqlx::query_as(
        "SELECT u.id FROM staff_users u JOIN staff_roles r ON r.user_id = u.id \
         JOIN organisations o ON o.id = u.org_id JOIN loans l ON l.branch_id = o.id \
         WHERE r.role = 'branch_head' AND l.id = $1 LIMIT 1",
    )
    .bind(&loan_id)
    .fetch_one(&db.pool)
    .await
    .unwrap_or_else(|e| panic!("the branch head: {e}"));
    let staff = services
        .auth()
        .staff_actor(&user)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let page = services
        .loans()
        .loan_for_staff(&staff, &loan_id)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(page.schedule.len(), 360);
    assert_eq!(page.ledger_total, postings as u64);
    assert_eq!(page.ledger.len(), 200);
    for _ in 0..100 {
        let _ = services.loans().loan_for_staff(&staff, &loan_id).await;
    }
    let mut times: Vec<Duration> = Vec::with_capacity(READS);
    for _ in 0..READS {
        let t = Instant::now();
        let p = services.loans().loan_for_staff(&staff, &loan_id).await;
        times.push(t.elapsed());
        assert!(p.is_ok());
    }
    report(
        &format!("{label}: staff loan page, 360 instalments, {postings} postings"),
        times,
    );
    write_offs(label, &db, &services).await;
}

fn report(what: &str, mut times: Vec<Duration>) {
    times.sort_unstable();
    let n = times.len();
    let at = |q: f64| times[((n as f64 * q) as usize).min(n - 1)];
    println!(
        "{what}: p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms over {n} runs",
        at(0.50).as_secs_f64() * 1e3,
        at(0.99).as_secs_f64() * 1e3,
        times[n - 1].as_secs_f64() * 1e3,
    );
}

/// A member of staff of `role` whose reach covers the loan's branch.
async fn staff_of(services: &Services, loan_id: &str, role: &str) -> service::auth::StaffActor {
    let (user,): (String,) = sqlx::query_as(
        "SELECT u.id FROM staff_users u JOIN staff_roles r ON r.user_id = u.id \
         JOIN organisations uo ON uo.id = u.org_id, loans l \
         JOIN organisations lo ON lo.id = l.branch_id \
         WHERE r.role = $1 AND l.id = $2 AND lo.path LIKE uo.path || '%' \
         ORDER BY u.id LIMIT 1",
    )
    .bind(role)
    .bind(loan_id)
    .fetch_one(&services.db.pool)
    .await
    .unwrap_or_else(|e| panic!("{role}: {e}"));
    services
        .auth()
        .staff_actor(&user)
        .await
        .unwrap_or_else(|e| panic!("{e}"))
}

/// Long loans, as if two hundred days past due (doubtful), proposed by
/// their officer and approved by the branch head: the approval is timed.
async fn write_offs(label: &str, db: &Db, services: &Services) {
    // Loans (not the page's) in reach of an officer and a branch head.
    let loans: Vec<(String,)> = sqlx::query_as(
        "SELECT l.id FROM loans l JOIN organisations lo ON lo.id = l.branch_id \
         WHERE l.id <> (SELECT MIN(id) FROM loans) \
           AND EXISTS (SELECT 1 FROM staff_users u JOIN staff_roles r ON r.user_id = u.id \
                       JOIN organisations uo ON uo.id = u.org_id \
                       WHERE lo.path LIKE uo.path || '%' AND r.role = 'officer') \
           AND EXISTS (SELECT 1 FROM staff_users u JOIN staff_roles r ON r.user_id = u.id \
                       JOIN organisations uo ON uo.id = u.org_id \
                       WHERE lo.path LIKE uo.path || '%' AND r.role = 'branch_head') \
         ORDER BY l.id LIMIT $1",
    )
    .bind(WRITE_OFFS)
    .fetch_all(&db.pool)
    .await
    .unwrap_or_else(|e| panic!("loans to write off: {e}"));
    assert_eq!(loans.len(), WRITE_OFFS as usize, "enough demo loans");
    let mut times = Vec::with_capacity(loans.len());
    for (loan,) in loans {
        let (loan_id, _) = long_loan_of(db, loan).await;
        exec(
            db,
            &format!(
                "UPDATE loan_accounts SET status = 'overdue', dpd = 200, \
                 classification = 'doubtful' WHERE loan_id = '{loan_id}'"
            ),
        )
        .await;
        let officer = staff_of(services, &loan_id, "officer").await;
        let head = staff_of(services, &loan_id, "branch_head").await;
        let sv = services.servicing();
        let id = sv
            .propose_write_off(&officer, &loan_id, "借款人死亡，无财产可供清偿", "死亡证明")
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let t = Instant::now();
        sv.decide_write_off(&head, &id, true, "同意核销")
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        times.push(t.elapsed());
    }
    report(
        &format!("{label}: write-off of a 360-instalment loan (approval, posting)"),
        times,
    );
}

fn main() {
    let rt = tokio::runtime::Runtime::new().unwrap_or_else(|e| panic!("{e}"));
    rt.block_on(async {
        let dir = std::env::temp_dir().join(format!("puhui-bench-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{e}"));
        let url = format!("sqlite://{}/bench.db?mode=rwc", dir.display());
        let db = Db::connect(&url).await.unwrap_or_else(|e| panic!("{e}"));
        db.migrate().await.unwrap_or_else(|e| panic!("{e}"));
        measure("SQLite", db).await;
        let _ = std::fs::remove_dir_all(&dir);
        if let Ok(admin_url) = std::env::var("PUHUI_BENCH_PG_URL") {
            let name = format!("puhui_bench_{}", std::process::id());
            let admin = Db::connect_with(&admin_url, 1)
                .await
                .unwrap_or_else(|e| panic!("{e}"));
            exec(&admin, &format!("CREATE DATABASE {name}")).await;
            let url = match admin_url.rsplit_once('/') {
                Some((base, _)) => format!("{base}/{name}"),
                None => panic!("PUHUI_BENCH_PG_URL needs a database name"),
            };
            let db = Db::connect(&url).await.unwrap_or_else(|e| panic!("{e}"));
            db.migrate().await.unwrap_or_else(|e| panic!("{e}"));
            measure("PostgreSQL", db.clone()).await;
            db.pool.close().await;
            exec(&admin, &format!("DROP DATABASE {name}")).await;
        }
    });
}
