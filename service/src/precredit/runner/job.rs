//! The job loop: claiming a job (the lease), the pipeline that reads chunks
//! ahead and takes them in order, and ending the runner's hold on the job.

use domain::error_code::ErrorCode;
use serde_json::json;
use sqlx::AssertSqlSafe;

use super::bureau::Prepared;
use super::timings::{millis, Counts, Timings};
use crate::audit::{self, NewAuditEntry};
use crate::db::new_id;
use crate::error::ServiceError;
use crate::precredit::{
    Job, PrecreditJobStatus, PrecreditJobView, PrecreditOptions, PrecreditProgress,
};
use crate::sql;

/// A chunk whose bulk bureau pull is under way.
type Pulling = tokio::task::JoinHandle<Result<(Prepared, Timings), ServiceError>>;

/// Closes the pipeline: no more chunks are read; waits for the reader and
/// for every pull already started, so that each is recorded.
async fn drain(
    mut ready: tokio::sync::mpsc::Receiver<Result<Pulling, ServiceError>>,
    reader: tokio::task::JoinHandle<()>,
) {
    ready.close();
    while let Some(item) = ready.recv().await {
        if let Ok(p) = item {
            let _ = p.await;
        }
    }
    let _ = reader.await;
}

impl crate::precredit::Precredit<'_> {
    /// Runs a job until it is done, paused, cancelled or fails, reporting
    /// progress after each chunk. Claims it first: a queued job, or a running
    /// one whose runner stopped moving it ([`PrecreditOptions::stale_after`]).
    /// A job that is paused, finished or run by a live runner is returned
    /// as it is (`precredit_job_busy` for the last).
    pub async fn run_precredit_job(
        self,
        job_id: &str,
        opts: &PrecreditOptions,
        progress: &(dyn Fn(PrecreditProgress) + Send + Sync),
    ) -> Result<PrecreditJobView, ServiceError> {
        let runner = new_id();
        let now = self.now();
        let stale = now - millis(opts.stale_after);
        let mut tx = self.db.pool.begin().await?;
        // A pause or cancel asked of a runner that died is carried out here.
        let claimed = sqlx::query(
            "UPDATE precredit_jobs SET \
               status = CASE WHEN requested = 'pause' THEN 'paused' \
                 WHEN requested = 'cancel' THEN 'cancelled' ELSE 'running' END, \
               finished_at = CASE WHEN requested = 'cancel' THEN $3 ELSE finished_at END, \
               requested = NULL, runner = $2, heartbeat_at = $3, \
               started_at = COALESCE(started_at, $3), updated_at = $3, version = version + 1 \
             WHERE id = $1 AND (status = 'queued' OR (status = 'running' \
               AND (heartbeat_at IS NULL OR heartbeat_at < $4))) \
             RETURNING status, done",
        )
        .bind(job_id)
        .bind(&runner)
        .bind(now)
        .bind(stale)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(claimed) = claimed else {
            drop(tx);
            let job = self.load_job(job_id).await?;
            if job.status == PrecreditJobStatus::Running {
                return Err(ServiceError::invalid(ErrorCode::PrecreditJobBusy));
            }
            return Ok(job.view);
        };
        let status = sql::text(&claimed, "status")?;
        audit::append(
            &mut tx,
            &self.config.audit_key,
            NewAuditEntry::system(now, "precredit.job_started", "precredit_job", job_id).after(
                json!({ "runner": runner, "status": status, "done": sql::int(&claimed, "done")? }),
            ),
        )
        .await?;
        tx.commit().await?;
        let job = self.load_job(job_id).await?;
        if status != "running" {
            return Ok(job.view);
        }
        match self.run_claimed(&job, &runner, opts, progress).await {
            Ok(view) => Ok(view),
            // Another runner holds the job now: leave it to them.
            Err(ServiceError::StaleState) => Err(ServiceError::StaleState),
            Err(e) => {
                tracing::error!(job = job_id, error = %e, "pre-credit job failed");
                let code = e.code().to_string();
                self.finish_job(&job.id, &runner, PrecreditJobStatus::Failed, Some(&code))
                    .await?;
                Err(e)
            }
        }
    }

    async fn run_claimed(
        self,
        job: &Job,
        runner: &str,
        opts: &PrecreditOptions,
        progress: &(dyn Fn(PrecreditProgress) + Send + Sync),
    ) -> Result<PrecreditJobView, ServiceError> {
        let products = self.job_products(job).await?;
        let chunk = i64::try_from(opts.chunk_size.max(1)).unwrap_or(2000);
        let mut cursor = job.cursor.clone();
        let mut done = u64::try_from(job.view.done).unwrap_or(0);
        let total = u64::try_from(job.view.total).unwrap_or(0);
        let mut counts = Counts {
            approved: job.view.approved,
            referred: job.view.referred,
            rejected: job.view.rejected,
            skipped: job.view.skipped,
        };
        let report = |done: u64, c: &Counts| {
            progress(PrecreditProgress {
                done,
                total: total.max(done),
                approved: u64::try_from(c.approved).unwrap_or(0),
                referred: u64::try_from(c.referred).unwrap_or(0),
                rejected: u64::try_from(c.rejected).unwrap_or(0),
                skipped: u64::try_from(c.skipped).unwrap_or(0),
            })
        };
        report(done, &counts);
        let mut t = Timings::default();
        // A pipeline: a reader task reads the chunks ahead in key order
        // (subjects and their facts) and starts each chunk's bulk bureau
        // pull on a task of its own; this loop takes them in order, decides
        // and writes. Database reads, bureau pulls, the engine and the writes
        // overlap; at most `read_ahead` chunks wait. Every exit closes the
        // queue and waits for the pulls in flight (each is recorded): chunks
        // read ahead and not written are read — and pulled — again on resume.
        let (queue, mut ready) =
            tokio::sync::mpsc::channel::<Result<Pulling, ServiceError>>(opts.read_ahead.max(1));
        let reader = self.spawn_reader(job, &cursor, chunk, opts, queue);
        let stop = loop {
            let Some(item) = ready.recv().await else {
                // The reader stopped early: stop_after_chunks.
                break None;
            };
            let prepared = match item {
                Ok(pulling) => pulling
                    .await
                    .map_err(|e| ServiceError::internal("pre-credit bureau task", e))
                    .and_then(|r| r),
                Err(e) => Err(e),
            };
            let (prepared, times) = match prepared {
                Ok(p) => p,
                Err(e) => {
                    drain(ready, reader).await;
                    return Err(e);
                }
            };
            t.add(&times);
            if prepared.subjects.is_empty() {
                break Some(PrecreditJobStatus::Completed);
            }
            let last = prepared
                .subjects
                .last()
                .map(|s| s.key.clone())
                .unwrap_or_default();
            let (n, c, requested) = match self
                .commit_chunk(job, runner, &cursor, prepared, &products, &mut t)
                .await
            {
                Ok(w) => w,
                Err(e) => {
                    drain(ready, reader).await;
                    return Err(e);
                }
            };
            cursor = last;
            done += n;
            counts.approved += c.approved;
            counts.referred += c.referred;
            counts.rejected += c.rejected;
            counts.skipped += c.skipped;
            report(done, &counts);
            match requested.as_deref() {
                Some("pause") => break Some(PrecreditJobStatus::Paused),
                Some("cancel") => break Some(PrecreditJobStatus::Cancelled),
                _ => {}
            }
        };
        drain(ready, reader).await;
        t.log(&job.id);
        match stop {
            Some(status) => self.finish_job(&job.id, runner, status, None).await,
            // As if killed: the lease stays until it goes stale.
            None => Ok(self.load_job(&job.id).await?.view),
        }
    }

    /// The reader of the pipeline: reads chunk after chunk from `after` and
    /// queues each with its bulk pull started; stops after an empty chunk, an
    /// error, `stop_after_chunks` chunks, or when the queue is closed.
    fn spawn_reader(
        self,
        job: &Job,
        after: &str,
        chunk: i64,
        opts: &PrecreditOptions,
        queue: tokio::sync::mpsc::Sender<Result<Pulling, ServiceError>>,
    ) -> tokio::task::JoinHandle<()> {
        let (svc, job, opts) = (crate::Services::clone(&self), job.clone(), opts.clone());
        let mut after = after.to_string();
        tokio::spawn(async move {
            let mut budget = opts.stop_after_chunks;
            loop {
                if budget == Some(0) {
                    return;
                }
                let (read, t) = match svc.precredit().read_chunk(&job, &after, chunk, &opts).await {
                    Ok(r) => r,
                    Err(e) => {
                        let _ = queue.send(Err(e)).await;
                        return;
                    }
                };
                if queue.is_closed() {
                    // The run stopped while this chunk was read: pull nothing for it.
                    return;
                }
                let empty = read.subjects.is_empty();
                if let Some(last) = read.subjects.last() {
                    after = last.key.clone();
                }
                let pulling = {
                    let (svc, job, opts) = (svc.clone(), job.clone(), opts.clone());
                    tokio::spawn(async move { svc.precredit().pull(&job, read, t, &opts).await })
                };
                if let Err(tokio::sync::mpsc::error::SendError(unsent)) =
                    queue.send(Ok(pulling)).await
                {
                    // Closed: the run stopped. Let the pull finish (and be recorded).
                    if let Ok(p) = unsent {
                        let _ = p.await;
                    }
                    return;
                }
                if empty {
                    return;
                }
                budget = budget.map(|b| b - 1);
            }
        })
    }

    /// Ends this runner's hold on the job with `status`.
    async fn finish_job(
        self,
        job_id: &str,
        runner: &str,
        status: PrecreditJobStatus,
        error: Option<&str>,
    ) -> Result<PrecreditJobView, ServiceError> {
        let now = self.now();
        let finished = (status != PrecreditJobStatus::Paused).then_some(now);
        let mut tx = self.db.pool.begin().await?;
        let moved = sqlx::query(
            "UPDATE precredit_jobs SET status = $1, requested = NULL, runner = NULL, \
               finished_at = $2, error = $3, updated_at = $4, version = version + 1 \
             WHERE id = $5 AND runner = $6 AND status = 'running'",
        )
        .bind(status.as_str())
        .bind(finished)
        .bind(error.map(str::to_string))
        .bind(now)
        .bind(job_id)
        .bind(runner)
        .execute(&mut *tx)
        .await?;
        if moved.rows_affected() != 1 {
            return Err(ServiceError::StaleState);
        }
        let job = {
            let q = format!("{} WHERE id = $1", crate::precredit::JOB_SELECT);
            let r = sqlx::query(AssertSqlSafe(q))
                .bind(job_id)
                .fetch_one(&mut *tx)
                .await?;
            crate::precredit::job_of(&r)?
        };
        audit::append(
            &mut tx,
            &self.config.audit_key,
            NewAuditEntry::system(
                now,
                &format!("precredit.job_{}", status.as_str()),
                "precredit_job",
                job_id,
            )
            .after(json!({
                "status": status.as_str(), "error": error, "done": job.view.done,
                "approved": job.view.approved, "referred": job.view.referred,
                "rejected": job.view.rejected, "skipped": job.view.skipped,
            })),
        )
        .await?;
        tx.commit().await?;
        Ok(job.view)
    }
}
