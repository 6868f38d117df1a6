//! The pre-credit runner: claims a job (a lease: `runner`, `heartbeat_at`),
//! then chunk by chunk reads the subjects after the cursor, their loans,
//! open applications and credit reports, decides them and commits the
//! results with the cursor move in one transaction.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Instant;

use domain::date::Date;
use domain::error_code::ErrorCode;
use domain::identity::{Gender, IdNumber};
use domain::money::Fen;
use domain::rules::lifecycle::DecisionStage;
use domain::rules::rule::Verdict;
use serde_json::json;
use sqlx::any::AnyRow;
use sqlx::AssertSqlSafe;

use super::{
    outcome_str, Job, PrecreditJobStatus, PrecreditJobView, PrecreditOptions, PrecreditProgress,
    PRECREDIT_PURPOSE,
};
use crate::audit::{self, NewAuditEntry};
use crate::customers;
use crate::db::new_id;
use crate::error::ServiceError;
use crate::pfi::PfiKeys;
use crate::risk::authorisations::authorised_among;
use crate::risk::bureau::{open_report, BulkSubject, BureauReport};
use crate::risk::decisions::{decide_with, LiveStrategy};
use crate::risk::features::{self, FeatureInputs, HouseholdFacts, LoanFacts};
use crate::sql::{self, Placeholders, Val};
use crate::Services;

/// The stage whose live rule set decides pre-credit: the full decision,
/// which has the score, limit and pricing stages.
pub(crate) const PRECREDIT_STAGE: DecisionStage = DecisionStage::Full;

/// Reason code of a household with no head of household on file.
pub const NO_HOUSEHOLD_HEAD: &str = "no_household_head";
/// Reason code of a customer whose bank does not offer the job's product.
pub const PRODUCT_NOT_OFFERED: &str = "product_not_offered";

const RESULT_COLUMNS: [&str; 20] = [
    "job_id",
    "subject_key",
    "household_id",
    "customer_id",
    "branch_id",
    "village_id",
    "product_id",
    "rule_set_id",
    "rule_set_version",
    "outcome",
    "limit_fen",
    "rate_bp",
    "score",
    "grade",
    "reason_codes",
    "fired",
    "bureau",
    "bureau_report_id",
    "suggested_limit_fen",
    "decided_at",
];

/// The person decided: a household's head or a whitelisted customer.
#[derive(Debug, Clone)]
struct Person {
    id: String,
    bank_id: String,
    branch_id: String,
    name: String,
    id_number: String,
    gender: String,
    occupation: String,
}

#[derive(Debug, Clone)]
struct Subject {
    key: String,
    household_id: Option<String>,
    village_id: Option<String>,
    household: Option<HouseholdFacts>,
    person: Option<Person>,
    suggested: Option<Fen>,
}

#[derive(Debug, Clone)]
struct ProductFacts {
    id: String,
    code: String,
    guarantee: String,
    max_amount: Fen,
    max_term: u32,
}

/// What a chunk's bureau step found for one customer.
#[derive(Debug, Clone)]
enum Report {
    Pulled(BureauReport),
    Cached(BureauReport),
    Failed,
    TimedOut,
    NotAsked,
}

impl Report {
    fn source(&self) -> &'static str {
        match self {
            Report::Pulled(_) => "pulled",
            Report::Cached(_) => "cached",
            Report::Failed => "failed",
            Report::TimedOut => "timeout",
            Report::NotAsked => "not_asked",
        }
    }

    fn report(&self) -> Option<&BureauReport> {
        match self {
            Report::Pulled(r) | Report::Cached(r) => Some(r),
            _ => None,
        }
    }
}

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

/// A chunk read, before its bulk bureau pull.
struct Read {
    subjects: Vec<Subject>,
    loans: HashMap<String, LoanFacts>,
    open: HashMap<String, i64>,
    cached: HashMap<String, BureauReport>,
    /// Who holds a 征信查询授权 today: the bureau is asked about no one else.
    authorised: HashSet<String>,
}

/// A chunk read and ready to decide.
struct Prepared {
    subjects: Vec<Subject>,
    loans: HashMap<String, LoanFacts>,
    open: HashMap<String, i64>,
    reports: HashMap<String, Report>,
    /// Reports reused from the customers' own recent inquiries.
    cached: usize,
}

/// Where a run's time went, logged when it stops (for tuning; cheap).
#[derive(Debug, Default, Clone, Copy)]
struct Timings {
    subjects: std::time::Duration,
    facts: std::time::Duration,
    bureau: std::time::Duration,
    decide: std::time::Duration,
    write: std::time::Duration,
}

impl Timings {
    fn add(&mut self, o: &Timings) {
        self.subjects += o.subjects;
        self.facts += o.facts;
        self.bureau += o.bureau;
        self.decide += o.decide;
        self.write += o.write;
    }

    fn log(&self, job: &str) {
        tracing::info!(
            job,
            subjects_ms = self.subjects.as_millis(),
            facts_ms = self.facts.as_millis(),
            bureau_ms = self.bureau.as_millis(),
            decide_ms = self.decide.as_millis(),
            write_ms = self.write.as_millis(),
            "pre-credit run timings"
        );
    }
}

#[derive(Debug, Default, Clone, Copy)]
struct Counts {
    approved: i64,
    referred: i64,
    rejected: i64,
    skipped: i64,
}

impl Counts {
    fn add(&mut self, outcome: &str) {
        match outcome {
            "approve" => self.approved += 1,
            "refer" => self.referred += 1,
            "reject" => self.rejected += 1,
            _ => self.skipped += 1,
        }
    }
}

const SUBJECT_COLUMNS: &str = "h.id AS hid, h.village_id AS hvillage, h.members, \
     h.annual_income_fen, h.land_area_mu_x10, h.main_business, c.id AS cid, c.bank_id, \
     c.branch_id, c.name, c.id_number_sealed, c.gender, c.occupation";

fn subject_of(keys: &PfiKeys, r: &AnyRow, whitelist: bool) -> Result<Subject, ServiceError> {
    let hid = sql::opt_text(r, "hid")?;
    let household = match &hid {
        Some(_) => Some(HouseholdFacts {
            members: sql::int(r, "members")?,
            annual_income: sql::fen(r, "annual_income_fen")?,
            land_area_mu_x10: sql::int(r, "land_area_mu_x10")?,
            main_business: sql::text(r, "main_business")?,
        }),
        None => None,
    };
    let person = match sql::opt_text(r, "cid")? {
        Some(id) => Some(Person {
            id,
            bank_id: sql::text(r, "bank_id")?,
            branch_id: sql::text(r, "branch_id")?,
            name: sql::text(r, "name")?,
            id_number: customers::id_number_of(keys, r)?,
            gender: sql::text(r, "gender")?,
            occupation: sql::text(r, "occupation")?,
        }),
        None => None,
    };
    let (village_id, suggested) = if whitelist {
        (
            Some(sql::text(r, "wvillage")?),
            Some(sql::fen(r, "suggested_limit_fen")?),
        )
    } else {
        (sql::opt_text(r, "hvillage")?, None)
    };
    Ok(Subject {
        key: sql::text(r, "skey")?,
        household_id: hid,
        village_id,
        household,
        person,
        suggested,
    })
}

fn millis(d: std::time::Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

fn json_list<S: serde::Serialize>(v: &[S]) -> Result<String, ServiceError> {
    serde_json::to_string(v).map_err(|e| ServiceError::internal("precredit json", e))
}

/// `IN (…)` over `n` placeholders from `first`, in the statement's style.
fn in_list(style: Placeholders, n: usize, first: usize) -> String {
    style.tuples(1, n, first)
}

impl Services {
    /// Runs a job until it is done, paused, cancelled or fails, reporting
    /// progress after each chunk. Claims it first: a queued job, or a running
    /// one whose runner stopped moving it ([`PrecreditOptions::stale_after`]).
    /// A job that is paused, finished or run by a live runner is returned
    /// as it is (`precredit_job_busy` for the last).
    pub async fn run_precredit_job(
        &self,
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
        &self,
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
        &self,
        job: &Job,
        after: &str,
        chunk: i64,
        opts: &PrecreditOptions,
        queue: tokio::sync::mpsc::Sender<Result<Pulling, ServiceError>>,
    ) -> tokio::task::JoinHandle<()> {
        let (svc, job, opts) = (self.clone(), job.clone(), opts.clone());
        let mut after = after.to_string();
        tokio::spawn(async move {
            let mut budget = opts.stop_after_chunks;
            loop {
                if budget == Some(0) {
                    return;
                }
                let (read, t) = match svc.read_chunk(&job, &after, chunk, &opts).await {
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
                    tokio::spawn(async move { svc.pull(&job, read, t, &opts).await })
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

    /// The job's product in each bank that offers it.
    async fn job_products(&self, job: &Job) -> Result<HashMap<String, ProductFacts>, ServiceError> {
        let rows = sqlx::query(
            "SELECT id, bank_id, code, guarantee_type, max_amount_fen, max_term_months \
             FROM products WHERE code = $1 AND active = 1",
        )
        .bind(&job.product_code)
        .fetch_all(&self.db.pool)
        .await?;
        let mut out = HashMap::new();
        for r in &rows {
            out.insert(
                sql::text(r, "bank_id")?,
                ProductFacts {
                    id: sql::text(r, "id")?,
                    code: sql::text(r, "code")?,
                    guarantee: sql::text(r, "guarantee_type")?,
                    max_amount: sql::fen(r, "max_amount_fen")?,
                    max_term: sql::uint(r, "max_term_months")?,
                },
            );
        }
        // A whitelist belongs to one bank.
        if let Some(bank) = &job.bank_id {
            if job.kind == "whitelist" {
                out.retain(|b, _| b == bank);
            }
        }
        Ok(out)
    }

    /// The next `limit` subjects after `after`, in key order.
    async fn subjects(
        &self,
        job: &Job,
        after: &str,
        limit: i64,
    ) -> Result<Vec<Subject>, ServiceError> {
        let whitelist = job.kind == "whitelist";
        let rows = if whitelist {
            let q = format!(
                "SELECT w.customer_id AS skey, w.suggested_limit_fen, w.village_id AS wvillage, \
                   {SUBJECT_COLUMNS} \
                 FROM precredit_whitelist_rows w JOIN customers c ON c.id = w.customer_id \
                 LEFT JOIN households h ON h.id = c.household_id \
                 WHERE w.job_id = $1 AND w.customer_id > $2 ORDER BY w.customer_id LIMIT $3"
            );
            sqlx::query(AssertSqlSafe(q))
                .bind(&job.id)
                .bind(after)
                .bind(limit)
                .fetch_all(&self.db.pool)
                .await?
        } else if let Some(village) = &job.village_id {
            let q = format!(
                "SELECT h.id AS skey, {SUBJECT_COLUMNS} FROM households h \
                 LEFT JOIN customers c ON c.household_id = h.id AND c.relation_to_head = 'head' \
                   AND c.household_id > $2 \
                 WHERE h.village_id = $1 AND h.id > $2 ORDER BY h.id LIMIT $3"
            );
            sqlx::query(AssertSqlSafe(q))
                .bind(village)
                .bind(after)
                .bind(limit)
                .fetch_all(&self.db.pool)
                .await?
        } else {
            // Households in key order, each checked against the scope: the
            // CROSS JOINs keep SQLite walking households by key (with a plain
            // join it may start from the organisations and sort every
            // household of the scope for each chunk). PostgreSQL plans it
            // as an inner join. The redundant `c.household_id > cursor` lets
            // PostgreSQL's merge join start the heads at the cursor instead
            // of at the first household (which made each chunk slower than
            // the last: 235 ms a chunk on average over a million households).
            let q = format!(
                "SELECT h.id AS skey, {SUBJECT_COLUMNS} FROM households h \
                 CROSS JOIN villages v CROSS JOIN organisations g \
                 LEFT JOIN customers c ON c.household_id = h.id AND c.relation_to_head = 'head' \
                   AND c.household_id > $2 \
                 WHERE v.id = h.village_id AND g.id = v.grid_id AND g.path LIKE $1 \
                   AND h.id > $2 ORDER BY h.id LIMIT $3"
            );
            sqlx::query(AssertSqlSafe(q))
                .bind(sql::under(&job.scope_path))
                .bind(after)
                .bind(limit)
                .fetch_all(&self.db.pool)
                .await?
        };
        let mut out: Vec<Subject> = Vec::with_capacity(rows.len());
        for r in &rows {
            let s = subject_of(&self.config.pfi, r, whitelist)?;
            // Two heads on file for one household: decide the first.
            if out.last().is_some_and(|p| p.key == s.key) {
                continue;
            }
            out.push(s);
        }
        Ok(out)
    }

    /// Loans with us, open applications and recent reports of the chunk's customers.
    async fn chunk_facts(
        &self,
        ids: &[&str],
        reports_since: Option<i64>,
    ) -> Result<
        (
            HashMap<String, LoanFacts>,
            HashMap<String, i64>,
            HashMap<String, BureauReport>,
        ),
        ServiceError,
    > {
        let mut loans = HashMap::new();
        let mut open = HashMap::new();
        let mut reports: HashMap<String, (i64, BureauReport)> = HashMap::new();
        if ids.is_empty() {
            return Ok((loans, open, HashMap::new()));
        }
        let mut conn = self.db.pool.acquire().await?;
        let style = Placeholders::of(&conn);
        for part in ids.chunks(1000) {
            let list = in_list(style, part.len(), 1);
            let q = format!(
                "SELECT l.customer_id, CAST(COUNT(*) AS BIGINT) AS n, \
                   CAST(COALESCE(SUM(la.principal_outstanding_fen), 0) AS BIGINT) AS outstanding, \
                   CAST(COALESCE(MAX(la.dpd), 0) AS BIGINT) AS max_dpd, \
                   CAST(COALESCE(SUM(CASE WHEN la.status = 'overdue' OR la.dpd > 0 \
                     THEN 1 ELSE 0 END), 0) AS BIGINT) AS overdue \
                 FROM loans l JOIN loan_accounts la ON la.loan_id = l.id \
                 WHERE l.customer_id IN {list} AND la.status IN ('normal', 'overdue') \
                 GROUP BY l.customer_id"
            );
            let mut query = sqlx::query(AssertSqlSafe(q));
            for id in part {
                query = query.bind(*id);
            }
            for r in query.fetch_all(&mut *conn).await? {
                loans.insert(
                    sql::text(&r, "customer_id")?,
                    LoanFacts {
                        count: sql::int(&r, "n")?,
                        outstanding: sql::fen(&r, "outstanding")?,
                        max_dpd: sql::int(&r, "max_dpd")?,
                        overdue: sql::int(&r, "overdue")? > 0,
                    },
                );
            }
            let q = format!(
                "SELECT customer_id, CAST(COUNT(*) AS BIGINT) AS n FROM applications \
                 WHERE customer_id IN {list} AND status IN ('submitted', 'investigated') \
                 GROUP BY customer_id"
            );
            let mut query = sqlx::query(AssertSqlSafe(q));
            for id in part {
                query = query.bind(*id);
            }
            for r in query.fetch_all(&mut *conn).await? {
                open.insert(sql::text(&r, "customer_id")?, sql::int(&r, "n")?);
            }
            if let Some(since) = reports_since {
                let q = format!(
                    "SELECT customer_id, report_sealed, requested_at FROM bureau_inquiries \
                     WHERE customer_id IN {list} AND outcome = 'ok' AND report_sealed IS NOT NULL \
                       AND requested_at >= {}",
                    match style {
                        Placeholders::Dollar => format!("${}", part.len() + 1),
                        Placeholders::Question => "?".to_string(),
                    }
                );
                let mut query = sqlx::query(AssertSqlSafe(q));
                for id in part {
                    query = query.bind(*id);
                }
                for r in query.bind(since).fetch_all(&mut *conn).await? {
                    let at = sql::int(&r, "requested_at")?;
                    let report = open_report(&self.config.pfi, &sql::text(&r, "report_sealed")?)?;
                    let cid = sql::text(&r, "customer_id")?;
                    if reports.get(&cid).is_none_or(|(t, _)| *t < at) {
                        reports.insert(cid, (at, report));
                    }
                }
            }
        }
        Ok((
            loans,
            open,
            reports.into_iter().map(|(k, (_, r))| (k, r)).collect(),
        ))
    }

    /// Reads a chunk: its subjects, their loans, open applications and the
    /// reports of their own recent inquiries.
    async fn read_chunk(
        &self,
        job: &Job,
        after: &str,
        chunk: i64,
        opts: &PrecreditOptions,
    ) -> Result<(Read, Timings), ServiceError> {
        let mut t = Timings::default();
        let phase = Instant::now();
        let subjects = self.subjects(job, after, chunk).await?;
        t.subjects += phase.elapsed();
        let phase = Instant::now();
        let ids: Vec<&str> = subjects
            .iter()
            .filter_map(|s| s.person.as_ref().map(|p| p.id.as_str()))
            .collect();
        let since = job
            .use_bureau
            .then(|| self.now() - opts.report_max_age_days * 86_400_000);
        let (loans, open, cached) = self.chunk_facts(&ids, since).await?;
        let authorised = if job.use_bureau {
            let mut conn = self.db.pool.acquire().await?;
            authorised_among(&mut conn, &ids, self.today()).await?
        } else {
            HashSet::new()
        };
        t.facts += phase.elapsed();
        Ok((
            Read {
                subjects,
                loans,
                open,
                cached,
                authorised,
            },
            t,
        ))
    }

    /// The credit reports of a chunk read: cached, else one bulk pull,
    /// recorded at once in its own transaction (an inquiry made is on file
    /// even if the chunk is never written).
    async fn pull(
        &self,
        job: &Job,
        read: Read,
        mut t: Timings,
        opts: &PrecreditOptions,
    ) -> Result<(Prepared, Timings), ServiceError> {
        let Read {
            subjects,
            loans,
            open,
            cached,
            authorised,
        } = read;
        let phase = Instant::now();
        let now = self.now();

        // The bureau: cached reports, then one bulk pull for the rest.
        let mut reports: HashMap<String, Report> = HashMap::new();
        let mut asked: Vec<(String, BulkSubject)> = Vec::new();
        for s in &subjects {
            let Some(p) = &s.person else { continue };
            if !job.use_bureau || !authorised.contains(&p.id) {
                // Without the person's signed authorisation the bureau is
                // neither asked nor a report of theirs reused.
                reports.insert(p.id.clone(), Report::NotAsked);
            } else if let Some(r) = cached.get(&p.id) {
                reports.insert(p.id.clone(), Report::Cached(r.clone()));
            } else if let Ok(id_number) = IdNumber::parse(&p.id_number) {
                asked.push((
                    p.id.clone(),
                    BulkSubject {
                        id_number,
                        name: p.name.clone(),
                    },
                ));
            } else {
                reports.insert(p.id.clone(), Report::Failed);
            }
        }
        if !asked.is_empty() {
            let started = Instant::now();
            let bulk: Vec<BulkSubject> = asked.iter().map(|(_, b)| b.clone()).collect();
            let answer =
                tokio::time::timeout(opts.bureau_timeout, self.bureau.inquire_bulk(&bulk)).await;
            let (mut ok, mut failed, mut timed_out) = (0i64, 0i64, 0i64);
            match answer {
                Ok(list) => {
                    let mut list = list.into_iter();
                    for (cid, _) in &asked {
                        let r = match list.next() {
                            Some(Ok(rep)) => {
                                ok += 1;
                                Report::Pulled(rep)
                            }
                            _ => {
                                failed += 1;
                                Report::Failed
                            }
                        };
                        reports.insert(cid.clone(), r);
                    }
                }
                Err(_) => {
                    for (cid, _) in &asked {
                        timed_out += 1;
                        reports.insert(cid.clone(), Report::TimedOut);
                    }
                }
            }
            let pull_id = new_id();
            let mut tx = self.db.pool.begin().await?;
            sqlx::query(
                "INSERT INTO precredit_bureau_pulls (id, job_id, provider, requested_by, \
                   subjects, ok, failed, timed_out, cached, elapsed_ms, requested_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
            )
            .bind(&pull_id)
            .bind(&job.id)
            .bind(self.bureau.name())
            .bind(&job.created_by)
            .bind(i64::try_from(asked.len()).unwrap_or(0))
            .bind(ok)
            .bind(failed)
            .bind(timed_out)
            .bind(i64::try_from(cached.len()).unwrap_or(0))
            .bind(millis(started.elapsed()))
            .bind(now)
            .execute(&mut *tx)
            .await?;
            audit::append(
                &mut tx,
                &self.config.audit_key,
                NewAuditEntry::system(now, "precredit.bureau_pulled", "precredit_job", &job.id)
                    .after(json!({
                        "pull_id": pull_id, "provider": self.bureau.name(),
                        "requested_by": job.created_by, "subjects": asked.len(),
                        "ok": ok, "failed": failed, "timed_out": timed_out,
                    })),
            )
            .await?;
            tx.commit().await?;
        }
        t.bureau += phase.elapsed();
        Ok((
            Prepared {
                subjects,
                loans,
                open,
                reports,
                cached: cached.len(),
            },
            t,
        ))
    }

    /// Decides a prepared chunk and commits it; returns how many subjects,
    /// the outcome counts and what a user asked of the runner.
    async fn commit_chunk(
        &self,
        job: &Job,
        runner: &str,
        cursor: &str,
        prepared: Prepared,
        products: &HashMap<String, ProductFacts>,
        t: &mut Timings,
    ) -> Result<(u64, Counts, Option<String>), ServiceError> {
        let now = self.now();
        let today = self.today();
        // The live version of each product, looked up per chunk so that a
        // version published during a long job is used from the next chunk.
        let mut live: HashMap<String, Option<Arc<LiveStrategy>>> = HashMap::new();
        for p in products.values() {
            live.insert(
                p.id.clone(),
                self.live_strategy(&p.id, PRECREDIT_STAGE).await?,
            );
        }
        let phase = Instant::now();
        let Prepared {
            subjects,
            loans,
            open,
            reports,
            cached,
        } = prepared;
        let mut rows: Vec<Vec<Val>> = Vec::with_capacity(subjects.len());
        let mut counts = Counts::default();
        let mut versions: HashMap<String, i64> = HashMap::new();
        for s in &subjects {
            let row = decide_one(job, s, products, &live, &reports, &loans, &open, today, now)?;
            counts.add(match &row[9] {
                Val::Text(t) => t.as_str(),
                _ => "",
            });
            if let (Val::Text(id), Val::Int(v)) = (&row[7], &row[8]) {
                versions.insert(id.clone(), *v);
            }
            rows.push(row);
        }
        let last = subjects
            .last()
            .map(|s| s.key.clone())
            .unwrap_or_else(|| cursor.to_string());
        let n = i64::try_from(subjects.len()).unwrap_or(0);
        let pulled = reports
            .values()
            .filter(|r| matches!(r, Report::Pulled(_)))
            .count();
        t.decide += phase.elapsed();
        let phase = Instant::now();

        let mut tx = self.db.pool.begin().await?;
        // The guarded move first: only this runner, only from the cursor it read.
        let moved = sqlx::query(
            "UPDATE precredit_jobs SET cursor = $1, done = done + $2, approved = approved + $3, \
               referred = referred + $4, rejected = rejected + $5, skipped = skipped + $6, \
               heartbeat_at = $7, updated_at = $7 \
             WHERE id = $8 AND runner = $9 AND status = 'running' AND cursor = $10 \
             RETURNING requested",
        )
        .bind(&last)
        .bind(n)
        .bind(counts.approved)
        .bind(counts.referred)
        .bind(counts.rejected)
        .bind(counts.skipped)
        .bind(now)
        .bind(&job.id)
        .bind(runner)
        .bind(cursor)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(moved) = moved else {
            return Err(ServiceError::StaleState);
        };
        let requested = sql::opt_text(&moved, "requested")?;
        sql::insert_rows_owned(&mut tx, "precredit_results", &RESULT_COLUMNS, rows).await?;
        audit::append(
            &mut tx,
            &self.config.audit_key,
            NewAuditEntry::system(now, "precredit.chunk_committed", "precredit_job", &job.id)
                .after(json!({
                    "from": cursor, "to": last, "subjects": n,
                    "approved": counts.approved, "referred": counts.referred,
                    "rejected": counts.rejected, "skipped": counts.skipped,
                    "rule_sets": versions, "bureau_pulled": pulled, "bureau_cached": cached,
                })),
        )
        .await?;
        tx.commit().await?;
        t.write += phase.elapsed();
        Ok((u64::try_from(n).unwrap_or(0), counts, requested))
    }

    /// Ends this runner's hold on the job with `status`.
    async fn finish_job(
        &self,
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
            let q = format!("{} WHERE id = $1", super::JOB_SELECT);
            let r = sqlx::query(AssertSqlSafe(q))
                .bind(job_id)
                .fetch_one(&mut *tx)
                .await?;
            super::job_of(&r)?
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

/// One subject's result row (in [`RESULT_COLUMNS`] order).
#[expect(
    clippy::too_many_arguments,
    reason = "the chunk's lookups, passed once"
)]
fn decide_one(
    job: &Job,
    s: &Subject,
    products: &HashMap<String, ProductFacts>,
    live: &HashMap<String, Option<Arc<LiveStrategy>>>,
    reports: &HashMap<String, Report>,
    loans: &HashMap<String, LoanFacts>,
    open: &HashMap<String, i64>,
    today: Date,
    now: i64,
) -> Result<Vec<Val>, ServiceError> {
    let skipped = |p: Option<&Person>, code: &str| -> Result<Vec<Val>, ServiceError> {
        Ok(vec![
            Val::from(job.id.as_str()),
            Val::from(s.key.as_str()),
            Val::from(s.household_id.clone()),
            Val::from(p.map(|p| p.id.clone())),
            Val::from(p.map(|p| p.branch_id.clone())),
            Val::from(s.village_id.clone()),
            Val::NullText,
            Val::NullText,
            Val::NullInt,
            Val::from("skipped"),
            Val::NullInt,
            Val::NullInt,
            Val::NullInt,
            Val::NullText,
            Val::from(json_list(&[code])?),
            Val::from("[]"),
            Val::from("not_asked"),
            Val::NullText,
            Val::from(s.suggested.map(Fen::get)),
            Val::Int(now),
        ])
    };
    let Some(p) = &s.person else {
        return skipped(None, NO_HOUSEHOLD_HEAD);
    };
    let Some(product) = products.get(&p.bank_id) else {
        return skipped(Some(p), PRODUCT_NOT_OFFERED);
    };
    let report = reports.get(&p.id).cloned().unwrap_or(Report::NotAsked);
    let inputs = FeatureInputs {
        // A stored number that does not parse leaves the age missing.
        id_number: IdNumber::parse(&p.id_number).ok(),
        application_date: today,
        gender: Gender::parse(&p.gender),
        occupation: p.occupation.clone(),
        household: s.household.clone(),
        product_code: product.code.clone(),
        guarantee_type: product.guarantee.clone(),
        amount: product.max_amount,
        term_months: product.max_term,
        purpose: PRECREDIT_PURPOSE.to_string(),
        open_applications: open.get(&p.id).copied().unwrap_or(0),
        loans: loans.get(&p.id).copied().unwrap_or_default(),
        bureau: report.report().cloned(),
        investigation: None,
    };
    let f = features::features(&inputs).map_err(|e| ServiceError::internal("feature record", e))?;
    let strategy = live.get(&product.id).cloned().flatten();
    let d = decide_with(strategy.as_ref().map(|l| &l.strategy), &f);
    let limit = match (d.outcome, d.limit, s.suggested) {
        (Verdict::Reject, _, _) => None,
        (_, Some(l), Some(w)) => Some(l.min(w)),
        (_, l, w) => l.or(w),
    };
    Ok(vec![
        Val::from(job.id.as_str()),
        Val::from(s.key.as_str()),
        Val::from(s.household_id.clone()),
        Val::from(p.id.as_str()),
        Val::from(p.branch_id.as_str()),
        Val::from(s.village_id.clone()),
        Val::from(product.id.as_str()),
        Val::from(strategy.as_ref().map(|l| l.rule_set_id.clone())),
        Val::from(strategy.as_ref().map(|l| l.version)),
        Val::from(outcome_str(d.outcome)),
        Val::from(limit.map(Fen::get)),
        Val::from(d.rate_bp.map(i64::from)),
        Val::from(d.score),
        Val::from(d.grade.clone()),
        Val::from(json_list(&d.reason_codes)?),
        Val::from(json_list(&d.trace.fired_rules())?),
        Val::from(report.source()),
        Val::from(report.report().map(|r| r.report_id.clone())),
        Val::from(s.suggested.map(Fen::get)),
        Val::Int(now),
    ])
}
