//! The end-of-day batch (日终跑批) over the database.
//!
//! Loans are processed in chunks in loan-id order. Each chunk is one
//! transaction: the postings of every loan in it, the new loan accounts
//! (guarded on the `last_processed` date read), and the run's counters. A
//! killed run leaves whole chunks committed or not at all; running the same
//! business date again skips the loans already at that date and processes
//! the rest, so the postings are exactly those of one clean run (the
//! idempotency keys, derived from loan, date and kind, are unique per loan
//! as a second line of defence). A loan behind by several days (a missed
//! batch) catches up day by day in the same pass.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::Instant;

use domain::date::Date;
use domain::error_code::ErrorCode;
use domain::money::Fen;
use domain::servicing::eod::{run_day, EodRules, LoanStatus};
use domain::servicing::ledger::{Account as LedgerAccount, PostingKind};
use domain::view::EodRunStatus;
use serde::Serialize;
use serde_json::json;
use sqlx::AssertSqlSafe;

use super::{
    account_of, account_select, carry_value, oldest_unpaid, open_instalments, posting_rows,
};
use crate::audit::{self, NewAuditEntry};
use crate::db::Backend;
use crate::error::ServiceError;
use crate::sql::{self, Placeholders, Val};

/// How a run goes; the default picks chunk and workers for the database.
#[derive(Debug, Clone, Default)]
pub struct EodOptions {
    pub rules: EodRules,
    /// Loans per transaction; 0 picks for the database: 2,000 on SQLite
    /// (its one writer holds every other write back while a chunk runs),
    /// 10,000 on PostgreSQL (1,000,000 loans in 38-41 s instead of 54-58 s
    /// with 2,000, for 160 MB instead of 41 MB; a chunk's row locks last
    /// about a second).
    pub chunk_size: usize,
    /// Stop (as if killed) after this many chunks: for tests and drills.
    pub stop_after_chunks: Option<usize>,
    /// Loan-id ranges processed at once; 0 picks for the database: one on
    /// SQLite (one writer at a time), three on PostgreSQL (one per core of
    /// the two-core machine we size for, plus one to keep them busy while
    /// the others wait on a round trip or a disk read: with 2,000-loan
    /// chunks 54-58 s instead of 59-61 s with two; four gave nothing more).
    pub workers: usize,
    /// Runs between a chunk's read and its write: for tests that interleave
    /// a repayment with the batch.
    pub before_write: Option<EodHook>,
}

/// A step run inside the batch, given the loans of the chunk about to be
/// written.
#[derive(Clone)]
pub struct EodHook(
    #[allow(clippy::type_complexity)]
    pub  std::sync::Arc<
        dyn Fn(Vec<String>) -> std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>>
            + Send
            + Sync,
    >,
);

impl std::fmt::Debug for EodHook {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("EodHook")
    }
}

/// How often a chunk is read again because a repayment (or another run)
/// changed one of its loans between the read and the write, before the run
/// gives up with `stale_state` (a rerun then finishes it).
const CHUNK_RETRIES: u32 = 20;

impl EodOptions {
    fn effective_chunk(&self, backend: Backend) -> usize {
        match (self.chunk_size, backend) {
            (0, Backend::Sqlite) => 2_000,
            (0, Backend::Postgres) => 10_000,
            (n, _) => n,
        }
    }

    fn effective_workers(&self, backend: Backend) -> usize {
        match (self.workers, backend) {
            (0, Backend::Sqlite) => 1,
            (0, Backend::Postgres) => 3,
            (n, _) => n.min(16),
        }
    }
}

/// Where a run is: loans done of the total to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EodProgress {
    pub done: u64,
    pub total: u64,
}

/// What a run did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EodSummary {
    pub business_date: Date,
    /// 1 for the first run of the date, more after a restart.
    pub attempt: u32,
    /// False when the run was stopped before the end (`stop_after_chunks`).
    pub completed: bool,
    pub loans_processed: u64,
    /// Business days processed over all loans (more than the loans when some
    /// were catching up).
    pub loan_days: u64,
    pub postings: u64,
    pub interest_accrued: Fen,
    pub interest_adjusted: Fen,
    pub penalty_accrued: Fen,
    pub newly_overdue: u64,
    /// 续授信: revolving lines renewed at their expiry, and those referred
    /// to an officer, by the products' renewal rule sets.
    pub lines_renewed: u64,
    pub lines_referred: u64,
    pub lines_expired: u64,
    /// Open loans by status and by classification after the run.
    pub by_status: BTreeMap<String, i64>,
    pub by_classification: BTreeMap<String, i64>,
    pub elapsed_ms: u64,
}

/// What the workers of one run share.
struct Shared<'a> {
    business_date: Date,
    date: &'a str,
    opts: &'a EodOptions,
    total: u64,
    /// Chunks committed by every worker (for `stop_after_chunks`).
    chunks: AtomicUsize,
    /// Loans committed by every worker (for the progress).
    done: AtomicU64,
    progress: &'a (dyn Fn(EodProgress) + Send + Sync),
}

/// What one worker did.
#[derive(Debug, Default)]
struct Tally {
    loans: u64,
    loan_days: u64,
    postings: u64,
    interest_accrued: Fen,
    interest_adjusted: Fen,
    penalty_accrued: Fen,
    newly_overdue: u64,
    stopped: bool,
}

/// The fields of the chunk update, in `VALUES` order: the loan, the guard
/// (its `last_processed` as read), the new state, `updated_at`, and the
/// second guard (its `version` as read: a repayment moves the version, not
/// the date, and its balances must never be overwritten by the batch).
const UPDATE_WIDTH: usize = 14;

/// The chunk update reading its rows from `source`, a `VALUES` list or an
/// `UNNEST` whose columns are named `column1`… like those of `VALUES`.
fn update_sql(source: &str) -> String {
    format!(
        "UPDATE loan_accounts SET status = v.column3, interest_receivable_fen = v.column4, \
           penalty_receivable_fen = v.column5, period_accrued_fen = v.column6, \
           interest_carry = v.column7, penalty_carry = v.column8, last_processed = v.column9, \
           oldest_unpaid_due = v.column10, dpd = v.column11, classification = v.column12, \
           next_due_date = CASE WHEN loan_accounts.next_due_date IS NOT NULL \
             AND loan_accounts.next_due_date <= v.column9 \
             THEN (SELECT MIN(s.due_date) FROM loan_schedule s \
                   WHERE s.loan_id = loan_accounts.loan_id AND s.due_date > v.column9) \
             ELSE loan_accounts.next_due_date END, \
           version = loan_accounts.version + 1, updated_at = v.column13 \
         FROM {source} \
         WHERE loan_accounts.loan_id = v.column1 AND loan_accounts.last_processed = v.column2 \
           AND loan_accounts.version = v.column14"
    )
}

impl crate::servicing::Servicing<'_> {
    /// Runs the batch of `business_date` (not after today) for every open
    /// loan, reporting progress after each chunk.
    /// Refused with `eod_already_running` while this process runs one.
    pub async fn run_eod(
        self,
        business_date: Date,
        opts: &EodOptions,
        progress: &(dyn Fn(EodProgress) + Send + Sync),
    ) -> Result<EodSummary, ServiceError> {
        let _held = self
            .eod_lock
            .clone()
            .try_lock_owned()
            .map_err(|_| ServiceError::invalid(ErrorCode::EodAlreadyRunning))?;
        self.run_eod_held(business_date, opts, progress, None).await
    }

    /// [`run_eod`](Self::run_eod) with the process's batch lock already
    /// held by the caller; a run that fails is marked failed with its code.
    pub(crate) async fn run_eod_held(
        self,
        business_date: Date,
        opts: &EodOptions,
        progress: &(dyn Fn(EodProgress) + Send + Sync),
        requested_by: Option<&str>,
    ) -> Result<EodSummary, ServiceError> {
        opts.rules
            .validate()
            .map_err(|e| ServiceError::invalid(e.code()))?;
        if business_date > self.today() {
            return Err(ServiceError::invalid(ErrorCode::EodDateInFuture));
        }
        let date = business_date.to_string();
        let attempt = self.begin_run(&date, requested_by).await?;
        let result = self.run_begun(business_date, attempt, opts, progress).await;
        if let Err(e) = &result {
            tracing::error!(%date, error = %e, "the end-of-day batch stopped");
            if let Err(err) = self.fail_run(&date, e.code()).await {
                tracing::error!(%date, %err, "could not mark the batch failed");
            }
        }
        result
    }

    async fn run_begun(
        self,
        business_date: Date,
        attempt: u32,
        opts: &EodOptions,
        progress: &(dyn Fn(EodProgress) + Send + Sync),
    ) -> Result<EodSummary, ServiceError> {
        let started = Instant::now();
        let date = business_date.to_string();
        let total = {
            let r = sqlx::query(
                "SELECT COUNT(*) AS n FROM loan_accounts \
                 WHERE status IN ('normal', 'overdue') AND last_processed < $1",
            )
            .bind(&date)
            .fetch_one(&self.db.pool)
            .await?;
            u64::try_from(sql::int(&r, "n")?).unwrap_or(0)
        };
        // The page's progress: loans done by earlier attempts plus these.
        sqlx::query("UPDATE eod_runs SET loans_total = loans + $1 WHERE business_date = $2")
            .bind(i64::try_from(total).unwrap_or(i64::MAX))
            .bind(&date)
            .execute(&self.db.pool)
            .await?;
        progress(EodProgress { done: 0, total });

        let mut summary = EodSummary {
            business_date,
            attempt,
            completed: false,
            loans_processed: 0,
            loan_days: 0,
            postings: 0,
            interest_accrued: Fen::ZERO,
            interest_adjusted: Fen::ZERO,
            penalty_accrued: Fen::ZERO,
            newly_overdue: 0,
            lines_renewed: 0,
            lines_referred: 0,
            lines_expired: 0,
            by_status: BTreeMap::new(),
            by_classification: BTreeMap::new(),
            elapsed_ms: 0,
        };
        // Disjoint loan-id ranges, one per worker, split at quantiles of the
        // loans to do: (after, up to]. Each worker goes through its range
        // chunk by chunk; on PostgreSQL their chunks run in parallel.
        let workers = opts.effective_workers(self.db.backend);
        let mut bounds: Vec<String> = Vec::new();
        if workers > 1 && total > 0 {
            for w in 1..workers {
                let at = total * w as u64 / workers as u64;
                let r = sqlx::query(
                    "SELECT loan_id FROM loan_accounts \
                     WHERE status IN ('normal', 'overdue') AND last_processed < $1 \
                     ORDER BY loan_id LIMIT 1 OFFSET $2",
                )
                .bind(&date)
                .bind(i64::try_from(at).unwrap_or(0))
                .fetch_optional(&self.db.pool)
                .await?;
                if let Some(r) = r {
                    let id = sql::text(&r, "loan_id")?;
                    if bounds.last().is_none_or(|b| *b < id) {
                        bounds.push(id);
                    }
                }
            }
        }
        let shared = Shared {
            business_date,
            date: &date,
            opts,
            total,
            chunks: AtomicUsize::new(0),
            done: AtomicU64::new(0),
            progress,
        };
        let ranges = (0..=bounds.len()).map(|i| {
            let after = if i == 0 {
                String::new()
            } else {
                bounds[i - 1].clone()
            };
            let up_to = bounds.get(i).cloned().unwrap_or_default();
            self.eod_range(&shared, after, up_to)
        });
        let tallies = futures_util::future::try_join_all(ranges).await?;
        let mut stopped = false;
        for t in tallies {
            summary.loans_processed += t.loans;
            summary.loan_days += t.loan_days;
            summary.postings += t.postings;
            summary.interest_accrued += t.interest_accrued;
            summary.interest_adjusted += t.interest_adjusted;
            summary.penalty_accrued += t.penalty_accrued;
            summary.newly_overdue += t.newly_overdue;
            stopped |= t.stopped;
        }
        if stopped {
            summary.elapsed_ms = elapsed_ms(started);
            return Ok(summary);
        }

        let renewals = self.renew_lines(business_date).await?;
        summary.lines_renewed = renewals.renewed;
        summary.lines_referred = renewals.referred;
        summary.lines_expired = self.expire_lines(business_date).await?;
        for (col, map) in [
            ("status", &mut summary.by_status),
            ("classification", &mut summary.by_classification),
        ] {
            let q = format!(
                "SELECT {col} AS k, COUNT(*) AS n FROM loan_accounts \
                 WHERE status IN ('normal', 'overdue') GROUP BY {col}"
            );
            for r in sqlx::query(AssertSqlSafe(q))
                .fetch_all(&self.db.pool)
                .await?
            {
                map.insert(sql::text(&r, "k")?, sql::int(&r, "n")?);
            }
        }
        summary.completed = true;
        summary.elapsed_ms = elapsed_ms(started);
        self.finish_run(&date, &summary).await?;
        Ok(summary)
    }

    /// One worker's part of a run: the loans with ids after `after` and up
    /// to `up_to` (to the end when empty), chunk by chunk.
    async fn eod_range(
        self,
        sh: &Shared<'_>,
        mut after: String,
        up_to: String,
    ) -> Result<Tally, ServiceError> {
        let (business_date, date, opts) = (sh.business_date, sh.date, sh.opts);
        let select = format!(
            "{} WHERE a.status IN ('normal', 'overdue') AND a.last_processed < $1 \
               AND a.loan_id > $2 AND ($4 = '' OR a.loan_id <= $4) \
             ORDER BY a.loan_id LIMIT $3",
            account_select()
        );
        let chunk = i64::try_from(opts.effective_chunk(self.db.backend)).unwrap_or(2000);
        let mut tally = Tally::default();
        let mut retries = 0u32;
        loop {
            if opts
                .stop_after_chunks
                .is_some_and(|n| sh.chunks.load(Ordering::SeqCst) >= n)
            {
                tally.stopped = true;
                return Ok(tally);
            }
            let mut conn = self.db.pool.acquire().await?;
            let rows = sqlx::query(AssertSqlSafe(select.as_str()))
                .bind(date)
                .bind(&after)
                .bind(chunk)
                .bind(&up_to)
                .fetch_all(&mut *conn)
                .await?;
            if rows.is_empty() {
                break;
            }
            let mut accounts = rows
                .iter()
                .map(|r| account_of(r, sql::rate(r, "annual_rate_bp")?))
                .collect::<Result<Vec<_>, _>>()?;
            let busy: Vec<&str> = accounts
                .iter()
                .filter(|a| a.needs_schedule(business_date))
                .map(|a| a.state.loan_id.as_str())
                .collect();
            let mut open = open_instalments(&mut conn, &busy, business_date).await?;
            drop(conn);
            let chunk_start = after.clone();
            after = accounts
                .last()
                .map(|a| a.state.loan_id.clone())
                .unwrap_or_default();

            let now = self.now();
            let (mut postings, mut lines, mut updates) = (Vec::new(), Vec::new(), Vec::new());
            let mut chunk_postings = 0u64;
            for a in &mut accounts {
                a.state.schedule = open.remove(&a.state.loan_id).unwrap_or_default();
                let (new, made) = run_day(&a.state, business_date, &opts.rules)
                    .map_err(|e| ServiceError::internal(&a.state.loan_id, e.code()))?;
                tally.loan_days +=
                    u64::try_from(a.state.last_processed.days_until(business_date)).unwrap_or(0);
                for p in &made {
                    match p.kind {
                        PostingKind::InterestAccrual => {
                            tally.interest_accrued += p.net(LedgerAccount::InterestReceivable)
                        }
                        PostingKind::InterestAdjustment => {
                            tally.interest_adjusted += p.net(LedgerAccount::InterestReceivable)
                        }
                        PostingKind::PenaltyAccrual => {
                            tally.penalty_accrued += p.net(LedgerAccount::PenaltyReceivable)
                        }
                        _ => {}
                    }
                    posting_rows(&new.loan_id, &a.bank_id, p, now, &mut postings, &mut lines)?;
                }
                chunk_postings += u64::try_from(made.len()).unwrap_or(0);
                if a.state.status == LoanStatus::Normal && new.status == LoanStatus::Overdue {
                    tally.newly_overdue += 1;
                }
                updates.push([
                    Val::from(new.loan_id.as_str()),
                    Val::from(a.state.last_processed.to_string()),
                    Val::from(new.status.as_str()),
                    Val::from(new.interest_receivable),
                    Val::from(new.penalty_receivable),
                    Val::from(new.period_accrued),
                    Val::Int(carry_value(new.interest_carry)),
                    Val::Int(carry_value(new.penalty_carry)),
                    Val::from(new.last_processed.to_string()),
                    Val::from(oldest_unpaid(&new).map(|d| d.to_string())),
                    Val::from(new.dpd),
                    Val::from(new.classification.as_str()),
                    Val::Int(now),
                    Val::Int(a.version),
                ]);
            }
            if let Some(hook) = &opts.before_write {
                (hook.0)(accounts.iter().map(|a| a.state.loan_id.clone()).collect()).await;
            }

            let mut tx = self.db.pool.begin().await?;
            super::write_postings(&mut tx, &postings, &lines).await?;
            let style = Placeholders::of(&tx);
            let per = if style == Placeholders::Dollar {
                sql::ARRAY_ROWS
            } else {
                500
            };
            let mut stale = false;
            for part in updates.chunks(per) {
                let mut query;
                if style == Placeholders::Dollar {
                    let (source, arrays) = sql::unnest_source(UPDATE_WIDTH, part, 1);
                    query = sqlx::query(AssertSqlSafe(update_sql(&source)));
                    for a in arrays {
                        query = query.bind(a);
                    }
                } else {
                    let source = format!(
                        "(VALUES {}) AS v",
                        style.tuples(part.len(), UPDATE_WIDTH, 1)
                    );
                    query = sqlx::query(AssertSqlSafe(update_sql(&source)));
                    for row in part {
                        for v in row {
                            query = sql::bind_val(query, v);
                        }
                    }
                }
                let done = query.execute(&mut *tx).await?;
                if done.rows_affected() != u64::try_from(part.len()).unwrap_or(0) {
                    // A repayment (or another run) moved some of these loans
                    // since they were read: post nothing, read the chunk again.
                    stale = true;
                    break;
                }
            }
            if stale {
                tx.rollback().await?;
                retries += 1;
                if retries > CHUNK_RETRIES {
                    return Err(ServiceError::StaleState);
                }
                after = chunk_start;
                continue;
            }
            let n = u64::try_from(updates.len()).unwrap_or(0);
            sqlx::query(
                "UPDATE eod_runs SET loans = loans + $1, postings = postings + $2 \
                 WHERE business_date = $3",
            )
            .bind(i64::try_from(n).unwrap_or(0))
            .bind(i64::try_from(chunk_postings).unwrap_or(0))
            .bind(date)
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
            tally.loans += n;
            tally.postings += chunk_postings;
            sh.chunks.fetch_add(1, Ordering::SeqCst);
            let done = sh.done.fetch_add(n, Ordering::SeqCst) + n;
            (sh.progress)(EodProgress {
                done,
                total: sh.total,
            });
        }
        Ok(tally)
    }

    /// Marks the date's run as running and returns its attempt number.
    async fn begin_run(self, date: &str, requested_by: Option<&str>) -> Result<u32, ServiceError> {
        let now = self.now();
        let mut tx = self.db.pool.begin().await?;
        let bumped = sqlx::query(
            "UPDATE eod_runs SET status = 'running', attempts = attempts + 1, started_at = $1, \
               finished_at = NULL, error = NULL, requested_by = $3 WHERE business_date = $2",
        )
        .bind(now)
        .bind(date)
        .bind(requested_by)
        .execute(&mut *tx)
        .await?;
        if bumped.rows_affected() == 0 {
            sqlx::query(
                "INSERT INTO eod_runs (business_date, status, attempts, started_at, requested_by) \
                 VALUES ($1, 'running', 1, $2, $3)",
            )
            .bind(date)
            .bind(now)
            .bind(requested_by)
            .execute(&mut *tx)
            .await?;
        }
        let r = sqlx::query("SELECT attempts FROM eod_runs WHERE business_date = $1")
            .bind(date)
            .fetch_one(&mut *tx)
            .await?;
        let attempt = sql::uint(&r, "attempts")?;
        audit::append(
            &mut tx,
            &self.config.audit_key,
            NewAuditEntry::system(now, "eod.started", "eod_run", date)
                .after(json!({ "business_date": date, "attempt": attempt })),
        )
        .await?;
        tx.commit().await?;
        Ok(attempt)
    }

    async fn finish_run(self, date: &str, summary: &EodSummary) -> Result<(), ServiceError> {
        let body = serde_json::to_value(summary).map_err(|e| ServiceError::internal("eod", e))?;
        self.end_run(date, EodRunStatus::Completed, Some(body), None)
            .await
    }

    /// 到期: lines past their expiry date on `on` (active or frozen) expire.
    async fn expire_lines(self, on: Date) -> Result<u64, ServiceError> {
        let now = self.now();
        let mut tx = self.db.pool.begin().await?;
        let done = sqlx::query(
            "UPDATE credit_lines SET status = 'expired', version = version + 1, updated_at = $1 \
             WHERE status IN ('active', 'frozen') AND expires_on < $2",
        )
        .bind(now)
        .bind(on.to_string())
        .execute(&mut *tx)
        .await?;
        let n = done.rows_affected();
        if n > 0 {
            audit::append(
                &mut tx,
                &self.config.audit_key,
                NewAuditEntry::system(now, "credit_line.expired", "eod_run", &on.to_string())
                    .after(json!({ "lines": n })),
            )
            .await?;
        }
        tx.commit().await?;
        Ok(n)
    }
}

fn elapsed_ms(started: Instant) -> u64 {
    u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::{update_sql, EodOptions, UPDATE_WIDTH};
    use crate::db::Backend;
    use crate::sql::{unnest_source, Placeholders, Val};

    #[test]
    fn chunk_and_workers_default_per_database_and_obey_the_caller() {
        let d = EodOptions::default();
        assert_eq!(d.effective_chunk(Backend::Sqlite), 2_000);
        assert_eq!(d.effective_chunk(Backend::Postgres), 10_000);
        assert_eq!(d.effective_workers(Backend::Sqlite), 1);
        assert_eq!(d.effective_workers(Backend::Postgres), 3);
        let given = EodOptions {
            chunk_size: 7,
            workers: 40,
            ..EodOptions::default()
        };
        assert_eq!(given.effective_chunk(Backend::Postgres), 7);
        assert_eq!(given.effective_workers(Backend::Postgres), 16);
    }

    #[test]
    fn the_chunk_update_reads_values_or_arrays() {
        let values = format!(
            "(VALUES {}) AS v",
            Placeholders::Dollar.tuples(2, UPDATE_WIDTH, 1)
        );
        let q = update_sql(&values);
        assert!(q.contains("($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14), ($15,"));
        assert!(q.ends_with("v.column14") && q.contains("$28)"));
        let row = vec![Val::Int(0); UPDATE_WIDTH];
        let (source, arrays) = unnest_source(UPDATE_WIDTH, &[row], 1);
        let q = update_sql(&source);
        assert!(
            q.contains("FROM UNNEST($1::bigint[],") && q.contains("$14::bigint[]) AS v(column1,")
        );
        assert_eq!(arrays.len(), UPDATE_WIDTH);
    }
}
