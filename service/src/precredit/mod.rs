//! Batch decisions (批量决策): whole-village pre-credit (整村授信预授信) over
//! every household of a village, a bank or the province, and whitelists
//! imported from Excel ([`whitelist`]), as persisted background jobs; the
//! credit offers officers make from their results ([`offers`]).
//!
//! A job decides each subject — a household's head, or a whitelisted
//! person — with the live full-decision rule set of the product (the same
//! engine, feature factory and system rules as a single decision) and
//! writes one `precredit_results` row per subject. The runner
//! ([`Precredit::run_precredit_job`](crate::precredit::Precredit::run_precredit_job)) works in chunks in subject-key order;
//! each chunk is one transaction whose first statement is the guarded move
//! of the job's cursor and counters (`WHERE cursor = <as read> AND runner =
//! <me>`), so a chunk is committed whole or not at all, a resumed or
//! taken-over job continues after the last committed subject, and nobody is
//! decided twice (the results' primary key is the second line of defence).
//! Pause and cancel are requests the runner honours at the next chunk
//! boundary.
//!
//! The bureau in batch: a report the customer's own inquiry obtained in the
//! last [`PrecreditOptions::report_max_age_days`] days is reused; the rest of
//! a chunk is asked in one bulk pull ([`BureauProvider::inquire_bulk`]),
//! bounded by [`PrecreditOptions::bureau_timeout`] and recorded in
//! `precredit_bureau_pulls`. A person the pull did not answer has no report:
//! the system rule refers them, never an approval. A job made without the
//! bureau therefore only refers.
//!
//! What the features are without an application: the amount asked is the
//! product's maximum and the term its longest (the engine then says how much
//! of it the household may have), the purpose "整村授信预授信", and no
//! investigation.
//!
//! [`BureauProvider::inquire_bulk`]: crate::risk::bureau::BureauProvider::inquire_bulk

use_cases!(
    /// The use cases of this module, reached as `services.precredit()`.
    Precredit,
    precredit
);

pub mod offers;
mod runner;
pub mod whitelist;

use std::time::Duration;

use domain::error_code::ErrorCode;
use domain::org::Role;
pub use domain::view::{
    NewPrecreditJob, PrecreditJobStatus, PrecreditJobView, PrecreditResultFilter,
    PrecreditResultView, PrecreditScope,
};
use serde_json::json;
use sqlx::any::AnyRow;
use sqlx::AssertSqlSafe;

use crate::audit::{self, NewAuditEntry};
use crate::auth::StaffActor;
use crate::db::new_id;
use crate::error::ServiceError;
use crate::pfi::Field;
use crate::sql;

/// How a run goes.
#[derive(Debug, Clone)]
pub struct PrecreditOptions {
    /// Subjects per transaction.
    pub chunk_size: usize,
    /// Stop (as if killed) after this many chunks: for tests and drills.
    pub stop_after_chunks: Option<usize>,
    /// Chunks read (and their bulk pulls started) ahead of the one being
    /// written. More hides a slow bureau; a pause drops them (they are read
    /// and pulled again on resume).
    pub read_ahead: usize,
    /// The longest wait for one bulk bureau pull; past it the chunk's
    /// subjects have no report (and refer).
    pub bureau_timeout: Duration,
    /// A report from the customer's own inquiry younger than this is reused.
    pub report_max_age_days: i64,
    /// A running job whose runner has not moved it for this long is taken to
    /// be dead and may be taken over.
    pub stale_after: Duration,
}

impl Default for PrecreditOptions {
    fn default() -> Self {
        PrecreditOptions {
            chunk_size: 2000,
            stop_after_chunks: None,
            read_ahead: 2,
            bureau_timeout: Duration::from_secs(60),
            report_max_age_days: 30,
            stale_after: Duration::from_secs(120),
        }
    }
}

/// Where a run is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PrecreditProgress {
    pub done: u64,
    pub total: u64,
    pub approved: u64,
    pub referred: u64,
    pub rejected: u64,
    pub skipped: u64,
}

/// Roles that start, pause, resume and cancel pre-credit jobs.
const JOB_ROLES: [Role; 4] = [
    Role::Officer,
    Role::BranchHead,
    Role::RiskManager,
    Role::Admin,
];
/// Roles that may also read jobs and their results.
const READ_ROLES: [Role; 6] = [
    Role::Officer,
    Role::BranchHead,
    Role::RiskManager,
    Role::Admin,
    Role::Approver,
    Role::MarketingManager,
];

/// The purpose feature of a pre-credit decision.
pub(crate) const PRECREDIT_PURPOSE: &str = "整村授信预授信";

const JOB_SELECT: &str = "SELECT id, kind, bank_id, scope_org_id, village_id, scope_path, \
     scope_name, product_code, use_bureau, status, requested, total, done, approved, referred, \
     rejected, skipped, cursor, runner, error, source_file, created_by, created_by_name, \
     created_at, started_at, finished_at, updated_at, version FROM precredit_jobs";

/// A job as stored.
#[derive(Debug, Clone)]
pub(crate) struct Job {
    pub id: String,
    pub kind: String,
    pub bank_id: Option<String>,
    pub village_id: Option<String>,
    pub scope_path: String,
    pub product_code: String,
    pub use_bureau: bool,
    pub status: PrecreditJobStatus,
    pub requested: Option<String>,
    pub cursor: String,
    pub created_by: String,
    pub view: PrecreditJobView,
}

fn job_of(r: &AnyRow) -> Result<Job, ServiceError> {
    let raw = sql::text(r, "status")?;
    let status = PrecreditJobStatus::parse(&raw)
        .ok_or_else(|| ServiceError::internal("precredit job status", raw))?;
    let requested = sql::opt_text(r, "requested")?;
    let view = PrecreditJobView {
        id: sql::text(r, "id")?,
        kind: sql::text(r, "kind")?,
        scope_name: sql::text(r, "scope_name")?,
        product_code: sql::text(r, "product_code")?,
        use_bureau: sql::int(r, "use_bureau")? == 1,
        status,
        requested: requested.clone(),
        total: sql::int(r, "total")?,
        done: sql::int(r, "done")?,
        approved: sql::int(r, "approved")?,
        referred: sql::int(r, "referred")?,
        rejected: sql::int(r, "rejected")?,
        skipped: sql::int(r, "skipped")?,
        error: sql::opt_text(r, "error")?,
        source_file: sql::opt_text(r, "source_file")?,
        created_by_name: sql::text(r, "created_by_name")?,
        created_at: sql::int(r, "created_at")?,
        started_at: sql::opt_int(r, "started_at")?,
        finished_at: sql::opt_int(r, "finished_at")?,
        updated_at: sql::int(r, "updated_at")?,
        can_pause: false,
        can_resume: false,
        can_cancel: false,
        can_offer: false,
        offer_needs_checker: false,
    };
    Ok(Job {
        id: view.id.clone(),
        kind: view.kind.clone(),
        bank_id: sql::opt_text(r, "bank_id")?,
        village_id: sql::opt_text(r, "village_id")?,
        scope_path: sql::text(r, "scope_path")?,
        product_code: view.product_code.clone(),
        use_bureau: view.use_bureau,
        status,
        requested,
        cursor: sql::text(r, "cursor")?,
        created_by: sql::text(r, "created_by")?,
        view,
    })
}

/// The view with what `s` may do with the job.
fn view_for(job: Job, s: &StaffActor) -> PrecreditJobView {
    use PrecreditJobStatus as St;
    let may = s.has_any(&JOB_ROLES) && s.covers(&job.scope_path);
    let mut v = job.view;
    let pausing = v.requested.as_deref() == Some("pause");
    v.can_pause =
        may && matches!(v.status, St::Queued) || may && v.status == St::Running && !pausing;
    v.can_resume = may && (matches!(v.status, St::Paused | St::Failed) || pausing);
    v.can_cancel = may
        && matches!(v.status, St::Queued | St::Running | St::Paused | St::Failed)
        && v.requested.as_deref() != Some("cancel");
    let offers = s.has_any(&offers::OFFER_ROLES);
    v.offer_needs_checker = offers && job.created_by == s.user_id;
    v.can_offer = offers && !v.offer_needs_checker;
    v
}

/// Maker-checker on offers: whoever made a job (its list and its decisions)
/// may not also offer its results; a second person checks and offers.
pub(crate) fn check_not_maker(job: &Job, s: &StaffActor) -> Result<(), ServiceError> {
    if job.created_by == s.user_id {
        Err(ServiceError::SelfApproval)
    } else {
        Ok(())
    }
}

pub(crate) fn outcome_str(v: domain::rules::rule::Verdict) -> &'static str {
    use domain::rules::rule::Verdict;
    match v {
        Verdict::Approve => "approve",
        Verdict::Refer => "refer",
        Verdict::Reject => "reject",
    }
}

fn from_json<T: serde::de::DeserializeOwned>(what: &str, raw: &str) -> Result<T, ServiceError> {
    serde_json::from_str(raw).map_err(|e| ServiceError::internal(what, e))
}

impl Precredit<'_> {
    pub(crate) async fn load_job(self, id: &str) -> Result<Job, ServiceError> {
        let q = format!("{JOB_SELECT} WHERE id = $1");
        let r = sqlx::query(AssertSqlSafe(q))
            .bind(id)
            .fetch_optional(&self.db.pool)
            .await?
            .ok_or(ServiceError::NotFound)?;
        job_of(&r)
    }

    /// A job `s` may read: within their scope, or one whose scope includes
    /// their part of the organisation (a province-wide job for a branch).
    async fn readable_job(self, s: &StaffActor, id: &str) -> Result<Job, ServiceError> {
        if !s.has_any(&READ_ROLES) {
            return Err(ServiceError::Forbidden);
        }
        let job = self.load_job(id).await?;
        if !(s.covers(&job.scope_path) || s.org_path.starts_with(&job.scope_path)) {
            return Err(ServiceError::Forbidden);
        }
        Ok(job)
    }

    /// Creates a pre-credit job over the households of a village or of every
    /// village under an organisation, queued. It does not start it: call
    /// [`Precredit::spawn_precredit_job`](crate::precredit::Precredit::spawn_precredit_job) (the server) or
    /// [`Precredit::run_precredit_job`](crate::precredit::Precredit::run_precredit_job) (the CLI, tests).
    pub async fn create_precredit_job(
        self,
        s: &StaffActor,
        req: &NewPrecreditJob,
    ) -> Result<PrecreditJobView, ServiceError> {
        if !s.has_any(&JOB_ROLES) {
            return Err(ServiceError::Forbidden);
        }
        let code = req.product_code.trim().to_string();
        if code.is_empty() {
            return Err(ServiceError::invalid(ErrorCode::PrecreditProductRequired));
        }
        let (kind, scope_org_id, village_id, scope_path, scope_name, bank_path) = match &req.scope {
            PrecreditScope::Village(vid) => {
                let r = sqlx::query(
                    "SELECT v.id, v.grid_id, v.township, v.name, g.path FROM villages v \
                     JOIN organisations g ON g.id = v.grid_id WHERE v.id = $1",
                )
                .bind(vid)
                .fetch_optional(&self.db.pool)
                .await?
                .ok_or(ServiceError::NotFound)?;
                let path = sql::text(&r, "path")?;
                (
                    "village",
                    sql::text(&r, "grid_id")?,
                    Some(sql::text(&r, "id")?),
                    path.clone(),
                    format!("{}{}", sql::text(&r, "township")?, sql::text(&r, "name")?),
                    path,
                )
            }
            PrecreditScope::Organisation(oid) => {
                let r = sqlx::query("SELECT id, name, path FROM organisations WHERE id = $1")
                    .bind(oid)
                    .fetch_optional(&self.db.pool)
                    .await?
                    .ok_or(ServiceError::NotFound)?;
                let path = sql::text(&r, "path")?;
                (
                    "organisation",
                    sql::text(&r, "id")?,
                    None,
                    path.clone(),
                    sql::text(&r, "name")?,
                    path,
                )
            }
        };
        if !s.covers(&scope_path) {
            return Err(ServiceError::Forbidden);
        }
        // The bank the scope lies in, if it lies in one (a union has several).
        let bank = sqlx::query(
            "SELECT id, path FROM organisations WHERE kind = 'bank' AND $1 LIKE path || '%'",
        )
        .bind(&bank_path)
        .fetch_optional(&self.db.pool)
        .await?;
        let bank_id = bank.as_ref().map(|b| sql::text(b, "id")).transpose()?;
        // The product must exist under that code in the scope.
        let offered = sqlx::query(
            "SELECT CAST(COUNT(*) AS BIGINT) AS n FROM products p \
             JOIN organisations b ON b.id = p.bank_id \
             WHERE p.code = $1 AND p.active = 1 AND (b.path LIKE $2 OR $3 LIKE b.path || '%')",
        )
        .bind(&code)
        .bind(sql::under(&scope_path))
        .bind(&scope_path)
        .fetch_one(&self.db.pool)
        .await?;
        if sql::int(&offered, "n")? == 0 {
            return Err(ServiceError::Validation {
                code: ErrorCode::PrecreditProductUnknown,
                params: vec![("product", code)],
            });
        }
        let total =
            match &village_id {
                Some(v) => sqlx::query(
                    "SELECT CAST(COUNT(*) AS BIGINT) AS n FROM households WHERE village_id = $1",
                )
                .bind(v)
                .fetch_one(&self.db.pool)
                .await?,
                None => {
                    sqlx::query(
                        "SELECT CAST(COUNT(*) AS BIGINT) AS n FROM households h \
                     JOIN villages v ON v.id = h.village_id \
                     JOIN organisations g ON g.id = v.grid_id WHERE g.path LIKE $1",
                    )
                    .bind(sql::under(&scope_path))
                    .fetch_one(&self.db.pool)
                    .await?
                }
            };
        let total = sql::int(&total, "n")?;
        let id = new_id();
        let now = self.now();
        let mut tx = self.db.pool.begin().await?;
        sqlx::query(
            "INSERT INTO precredit_jobs (id, kind, bank_id, scope_org_id, village_id, scope_path, \
               scope_name, product_code, use_bureau, status, total, created_by, created_by_name, \
               created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'queued', $10, $11, $12, $13, $13)",
        )
        .bind(&id)
        .bind(kind)
        .bind(bank_id)
        .bind(&scope_org_id)
        .bind(village_id.clone())
        .bind(&scope_path)
        .bind(&scope_name)
        .bind(&code)
        .bind(i64::from(req.use_bureau))
        .bind(total)
        .bind(&s.user_id)
        .bind(&s.display_name)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        audit::append(
            &mut tx,
            &self.config.audit_key,
            NewAuditEntry::staff(s, now, "precredit.job_created", "precredit_job", &id)
                .org(scope_org_id.clone())
                .after(json!({
                    "kind": kind, "scope": scope_name, "village_id": village_id,
                    "product_code": code, "use_bureau": req.use_bureau, "total": total,
                })),
        )
        .await?;
        tx.commit().await?;
        Ok(view_for(self.load_job(&id).await?, s))
    }

    /// One job, with what `s` may do with it.
    pub async fn precredit_job(
        self,
        s: &StaffActor,
        id: &str,
    ) -> Result<PrecreditJobView, ServiceError> {
        Ok(view_for(self.readable_job(s, id).await?, s))
    }

    /// The latest jobs `s` may read, newest first.
    pub async fn precredit_jobs(
        self,
        s: &StaffActor,
        limit: u32,
    ) -> Result<Vec<PrecreditJobView>, ServiceError> {
        if !s.has_any(&READ_ROLES) {
            return Err(ServiceError::Forbidden);
        }
        // In scope, or a job over a larger area that includes the user's.
        let q = format!(
            "{JOB_SELECT} WHERE scope_path LIKE $1 OR $2 LIKE scope_path || '%' \
             ORDER BY created_at DESC, id DESC LIMIT $3"
        );
        let rows = sqlx::query(AssertSqlSafe(q))
            .bind(sql::under(&s.org_path))
            .bind(&s.org_path)
            .bind(i64::from(limit.clamp(1, 200)))
            .fetch_all(&self.db.pool)
            .await?;
        rows.iter().map(|r| Ok(view_for(job_of(r)?, s))).collect()
    }

    /// Asks a job to pause: a queued job pauses at once, a running one at
    /// the end of its current chunk.
    pub async fn pause_precredit_job(
        self,
        s: &StaffActor,
        id: &str,
    ) -> Result<PrecreditJobView, ServiceError> {
        self.request_job(
            s,
            id,
            "precredit.pause_requested",
            "UPDATE precredit_jobs SET \
               status = CASE WHEN status = 'queued' THEN 'paused' ELSE status END, \
               requested = CASE WHEN status = 'running' THEN 'pause' ELSE requested END, \
               updated_at = $2, version = version + 1 \
             WHERE id = $1 AND (status = 'queued' OR (status = 'running' AND requested IS NULL))",
        )
        .await
    }

    /// Resumes a paused or failed job (queued again: spawn or run it), or
    /// withdraws a pause not yet carried out.
    pub async fn resume_precredit_job(
        self,
        s: &StaffActor,
        id: &str,
    ) -> Result<PrecreditJobView, ServiceError> {
        self.request_job(
            s,
            id,
            "precredit.resumed",
            "UPDATE precredit_jobs SET \
               status = CASE WHEN status IN ('paused', 'failed') THEN 'queued' ELSE status END, \
               requested = NULL, error = NULL, updated_at = $2, version = version + 1 \
             WHERE id = $1 AND (status IN ('paused', 'failed') \
               OR (status = 'running' AND requested = 'pause'))",
        )
        .await
    }

    /// Cancels a job: at once unless running, else at the end of the current
    /// chunk. The results already written stay.
    pub async fn cancel_precredit_job(
        self,
        s: &StaffActor,
        id: &str,
    ) -> Result<PrecreditJobView, ServiceError> {
        self.request_job(
            s,
            id,
            "precredit.cancel_requested",
            "UPDATE precredit_jobs SET \
               status = CASE WHEN status = 'running' THEN status ELSE 'cancelled' END, \
               requested = CASE WHEN status = 'running' THEN 'cancel' ELSE NULL END, \
               finished_at = CASE WHEN status = 'running' THEN finished_at ELSE $2 END, \
               updated_at = $2, version = version + 1 \
             WHERE id = $1 AND status IN ('queued', 'running', 'paused', 'failed') \
               AND (requested IS NULL OR requested <> 'cancel')",
        )
        .await
    }

    async fn request_job(
        self,
        s: &StaffActor,
        id: &str,
        action: &str,
        update: &'static str,
    ) -> Result<PrecreditJobView, ServiceError> {
        if !s.has_any(&JOB_ROLES) {
            return Err(ServiceError::Forbidden);
        }
        let before = self.load_job(id).await?;
        if !s.covers(&before.scope_path) {
            return Err(ServiceError::Forbidden);
        }
        let now = self.now();
        let mut tx = self.db.pool.begin().await?;
        let moved = sqlx::query(update)
            .bind(id)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        if moved.rows_affected() != 1 {
            return Err(ServiceError::StaleState);
        }
        audit::append(
            &mut tx,
            &self.config.audit_key,
            NewAuditEntry::staff(s, now, action, "precredit_job", id).before(json!({
                "status": before.status.as_str(), "requested": before.requested,
                "done": before.view.done,
            })),
        )
        .await?;
        tx.commit().await?;
        Ok(view_for(self.load_job(id).await?, s))
    }

    /// The villages under the user's organisation a pre-credit job may
    /// cover, by township and name, with their households on file.
    pub async fn precredit_villages(
        self,
        s: &StaffActor,
    ) -> Result<Vec<domain::view::VillageOption>, ServiceError> {
        if !s.has_any(&JOB_ROLES) {
            return Err(ServiceError::Forbidden);
        }
        let rows = sqlx::query(
            "SELECT v.id, v.township, v.name, \
               (SELECT COUNT(*) FROM households h WHERE h.village_id = v.id) AS households \
             FROM villages v JOIN organisations g ON g.id = v.grid_id \
             WHERE g.path LIKE $1 ORDER BY v.township, v.name, v.id",
        )
        .bind(sql::under(&s.org_path))
        .fetch_all(&self.db.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(domain::view::VillageOption {
                    id: sql::text(r, "id")?,
                    township: sql::text(r, "township")?,
                    name: sql::text(r, "name")?,
                    households: sql::int(r, "households")?,
                })
            })
            .collect()
    }

    /// Runs a queued job in the background (a tokio task); errors are
    /// logged and left on the job (status "failed").
    pub fn spawn_precredit_job(self, job_id: &str) -> tokio::task::JoinHandle<()> {
        let svc = crate::Services::clone(&self);
        let id = job_id.to_string();
        tokio::spawn(async move {
            let opts = PrecreditOptions::default();
            match svc.precredit().run_precredit_job(&id, &opts, &|_| {}).await {
                Ok(v) => {
                    tracing::info!(job = %id, status = v.status.as_str(), done = v.done, "pre-credit job stopped")
                }
                Err(e) => tracing::warn!(job = %id, error = %e, "pre-credit job did not run"),
            }
        })
    }

    /// Queued jobs, and running ones whose runner died (a stale lease), each
    /// run in the background: for the server at start.
    pub async fn spawn_pending_precredit_jobs(self) -> Result<usize, ServiceError> {
        let stale = self.now()
            - i64::try_from(PrecreditOptions::default().stale_after.as_millis())
                .unwrap_or(i64::MAX);
        let rows = sqlx::query(
            "SELECT id FROM precredit_jobs WHERE status = 'queued' \
               OR (status = 'running' AND (heartbeat_at IS NULL OR heartbeat_at < $1)) \
             ORDER BY created_at",
        )
        .bind(stale)
        .fetch_all(&self.db.pool)
        .await?;
        for r in &rows {
            self.spawn_precredit_job(&sql::text(r, "id")?);
        }
        Ok(rows.len())
    }

    /// For command-line tools run by an operator who holds the database:
    /// the staff member a job is created as, by username (no password).
    /// Never call it from a request.
    pub async fn operator_actor(self, username: &str) -> Result<StaffActor, ServiceError> {
        let r = sqlx::query("SELECT id FROM staff_users WHERE username = $1")
            .bind(username)
            .fetch_optional(&self.db.pool)
            .await?
            .ok_or(ServiceError::NotFound)?;
        self.auth().staff_actor(&sql::text(&r, "id")?).await
    }

    /// An organisation's id by its code (BJ, BJ01, BJ01-02, …), for the CLI.
    pub async fn organisation_id(self, code: &str) -> Result<String, ServiceError> {
        let r = sqlx::query("SELECT id FROM organisations WHERE code = $1")
            .bind(code)
            .fetch_optional(&self.db.pool)
            .await?
            .ok_or(ServiceError::NotFound)?;
        sql::text(&r, "id")
    }

    /// A page of a job's results that `s` may see (all of the job's if they
    /// cover its scope, else those of branches they cover).
    pub async fn precredit_results(
        self,
        s: &StaffActor,
        job_id: &str,
        f: &PrecreditResultFilter,
    ) -> Result<Vec<PrecreditResultView>, ServiceError> {
        let job = self.readable_job(s, job_id).await?;
        let scope = if s.covers(&job.scope_path) {
            String::new()
        } else {
            sql::under(&s.org_path)
        };
        let limit = if f.limit == 0 { 100 } else { f.limit.min(500) };
        let rows = sqlx::query(
            "SELECT r.job_id, r.subject_key, r.household_id, r.customer_id, r.outcome, \
               r.limit_fen, r.rate_bp, r.score, r.grade, r.reason_codes, r.rule_set_version, \
               r.bureau, r.suggested_limit_fen, r.decided_at, c.name AS customer_name, \
               c.id_number_sealed, v.township, v.name AS village_name, \
               b.path AS branch_path, \
               o.id AS offer_id, o.status AS offer_status, o.offer_expires_on \
             FROM precredit_results r \
             LEFT JOIN customers c ON c.id = r.customer_id \
             LEFT JOIN villages v ON v.id = r.village_id \
             LEFT JOIN organisations b ON b.id = r.branch_id \
             LEFT JOIN credit_offers o ON o.job_id = r.job_id AND o.subject_key = r.subject_key \
             WHERE r.job_id = $1 AND r.subject_key > $2 \
               AND ($3 = '' OR r.outcome = $3) AND ($4 = '' OR r.village_id = $4) \
               AND ($5 = '' OR b.path LIKE $5) \
             ORDER BY r.subject_key LIMIT $6",
        )
        .bind(job_id)
        .bind(f.after.clone().unwrap_or_default())
        .bind(f.outcome.clone().unwrap_or_default())
        .bind(f.village_id.clone().unwrap_or_default())
        .bind(&scope)
        .bind(i64::from(limit))
        .fetch_all(&self.db.pool)
        .await?;
        let may_offer = s.has_any(&offers::OFFER_ROLES) && job.created_by != s.user_id;
        let today = self.today().to_string();
        let keys = &self.config.pfi;
        rows.iter()
            .map(|r| {
                let outcome = sql::text(r, "outcome")?;
                let offer_status =
                    sql::opt_text(r, "offer_status")?.map(|st| {
                        match sql::opt_text(r, "offer_expires_on") {
                            Ok(Some(exp)) if st == "offered" && exp < today => {
                                "expired".to_string()
                            }
                            _ => st,
                        }
                    });
                let limit = sql::opt_int(r, "limit_fen")?.map(domain::money::Fen);
                let branch_path = sql::opt_text(r, "branch_path")?;
                Ok(PrecreditResultView {
                    job_id: sql::text(r, "job_id")?,
                    subject_key: sql::text(r, "subject_key")?,
                    household_id: sql::opt_text(r, "household_id")?,
                    customer_id: sql::opt_text(r, "customer_id")?.map(Into::into),
                    customer_name: sql::opt_text(r, "customer_name")?,
                    id_number_masked: keys
                        .open_opt(
                            Field::IdNumber,
                            sql::opt_text(r, "id_number_sealed")?.as_deref(),
                        )?
                        .map(|n| domain::identity::mask_id_number(&n)),
                    village_name: match sql::opt_text(r, "village_name")? {
                        Some(n) => Some(format!(
                            "{}{n}",
                            sql::opt_text(r, "township")?.unwrap_or_default()
                        )),
                        None => None,
                    },
                    can_offer: may_offer
                        && outcome == "approve"
                        && limit.is_some_and(|l| l.get() > 0)
                        && offer_status.as_deref().is_none_or(|st| st != "offered")
                        && sql::opt_text(r, "offer_id")?.is_none()
                        && branch_path.as_deref().is_some_and(|p| s.covers(p)),
                    outcome,
                    limit,
                    rate_bp: sql::opt_int(r, "rate_bp")?.and_then(|v| u32::try_from(v).ok()),
                    score: sql::opt_int(r, "score")?,
                    grade: sql::opt_text(r, "grade")?,
                    reason_codes: from_json("reason codes", &sql::text(r, "reason_codes")?)?,
                    rule_set_version: sql::opt_int(r, "rule_set_version")?,
                    bureau: sql::text(r, "bureau")?,
                    suggested_limit: sql::opt_int(r, "suggested_limit_fen")?
                        .map(domain::money::Fen),
                    decided_at: sql::int(r, "decided_at")?,
                    offer_id: sql::opt_text(r, "offer_id")?,
                    offer_status,
                })
            })
            .collect()
    }
}
