//! The end-of-day batch survives a real kill: `puhui eod` is killed with
//! SIGKILL part-way through, run again, and its postings are compared with a
//! clean run over an identical demo bank.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};

use service::db::Db;

const BIN: &str = env!("CARGO_BIN_EXE_puhui");

fn url(dir: &Path) -> String {
    format!("sqlite://{}/puhui.db?mode=rwc", dir.display())
}

fn puhui(dir: &Path, args: &[&str]) -> Command {
    let mut c = Command::new(BIN);
    c.args(args)
        .env("DATABASE_URL", url(dir))
        .env("PUHUI_DEMO", "true")
        .env("RUST_LOG", "warn");
    c
}

fn run_ok(dir: &Path, args: &[&str]) -> String {
    let out = puhui(dir, args).output().expect("run puhui");
    assert!(
        out.status.success(),
        "puhui {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

async fn postings(dir: &Path) -> Vec<String> {
    let db = Db::connect(&url(dir)).await.expect("connect");
    let rows: Vec<(String, String, String, i64, String, i64, i64)> = sqlx::query_as(
        "SELECT p.loan_id, p.idempotency_key, p.kind, p.amount_fen, l.account, l.debit_fen, \
           l.credit_fen FROM postings p JOIN posting_lines l \
           ON l.loan_id = p.loan_id AND l.idempotency_key = p.idempotency_key \
         WHERE p.kind <> 'disbursement' AND p.business_date = \
           (SELECT MAX(business_date) FROM eod_runs) \
         ORDER BY p.loan_id, p.idempotency_key, l.line_no",
    )
    .fetch_all(&db.pool)
    .await
    .expect("postings");
    db.close().await;
    rows.into_iter().map(|r| format!("{r:?}")).collect()
}

async fn run_status(dir: &Path) -> (String, i64) {
    let db = Db::connect(&url(dir)).await.expect("connect");
    let r: (String, i64) = sqlx::query_as("SELECT status, attempts FROM eod_runs")
        .fetch_one(&db.pool)
        .await
        .expect("eod run");
    db.close().await;
    r
}

#[tokio::test]
async fn a_killed_eod_run_resumes_to_the_clean_result() {
    let killed = tempfile::tempdir().expect("dir");
    let clean = tempfile::tempdir().expect("dir");
    for d in [killed.path(), clean.path()] {
        run_ok(d, &["seed-demo", "--seed", "7", "--customers", "1500"]);
    }
    let summary = run_ok(clean.path(), &["eod", "--chunk", "1"]);
    assert!(summary.contains("completed"), "{summary}");

    // One loan per transaction, killed as soon as a few are committed.
    let mut child = puhui(killed.path(), &["eod", "--chunk", "1"])
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .expect("spawn eod");
    let stderr = child.stderr.take().expect("stderr");
    let mut total = 0u64;
    for line in BufReader::new(stderr).lines() {
        let line = line.expect("line");
        if let Some((done, all)) = line
            .strip_prefix("progress ")
            .and_then(|p| p.split_once('/'))
        {
            let done: u64 = done.parse().expect("done");
            total = all.parse().expect("total");
            if done >= 5 {
                child.kill().expect("kill -9");
                break;
            }
        }
    }
    child.wait().expect("wait");
    assert!(total > 50, "too few loans to kill part-way: {total}");
    let (status, attempts) = run_status(killed.path()).await;
    assert_eq!((status.as_str(), attempts), ("running", 1));
    let partial = postings(killed.path()).await;
    let whole = postings(clean.path()).await;
    assert!(!partial.is_empty() && partial.len() < whole.len());

    let again = run_ok(killed.path(), &["eod", "--chunk", "1"]);
    assert!(again.contains("attempt 2"), "{again}");
    assert_eq!(run_status(killed.path()).await.0, "completed");
    assert_eq!(postings(killed.path()).await, whole);

    // A date that does not exist is refused before anything runs.
    let bad = puhui(killed.path(), &["eod", "--date", "2026-02-30"])
        .output()
        .expect("run");
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("YYYY-MM-DD"));
}
