//! The end-of-day batch inside the server: when it is due (a configured
//! time of day, China time; a missed day caught up at the next start), the
//! runs as the operations page lists them, an administrator's rerun, and a
//! failed run marked with why it stopped.
//!
//! A run is started in the background and holds the process's batch lock
//! (`Services::eod_lock`) to its end, so the scheduler and a rerun never run
//! two at once in one server. Two processes (the server and `puhui eod`)
//! running the same date at once stay correct: every chunk's write is guarded
//! on each loan's `last_processed` and `version`, so a loan is processed once.

use domain::date::{Date, CHINA_UTC_OFFSET_MINUTES};
use domain::error_code::ErrorCode;
use domain::money::Fen;
use domain::org::Role;
use domain::view::{EodPage, EodRunStatus, EodRunView};
use serde_json::json;
use tokio::task::JoinHandle;

use super::eod::{EodOptions, EodSummary};
use crate::audit::{self, NewAuditEntry};
use crate::auth::StaffActor;
use crate::error::ServiceError;
use crate::sql;

/// How often the scheduler itself retries a run of a date that failed or
/// was killed; after that it waits for an administrator's rerun.
pub const AUTOMATIC_ATTEMPTS: u32 = 3;

/// When the batch runs each day, China time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EodSchedule {
    minute_of_day: u32,
}

impl EodSchedule {
    /// `HH:MM`, 24-hour.
    pub fn parse(s: &str) -> Option<EodSchedule> {
        let (h, m) = s.trim().split_once(':')?;
        let (h, m): (u32, u32) = (h.parse().ok()?, m.parse().ok()?);
        (h < 24 && m < 60 && s.trim().len() == 5).then_some(EodSchedule {
            minute_of_day: h * 60 + m,
        })
    }

    /// `HH:MM`.
    pub fn label(self) -> String {
        format!(
            "{:02}:{:02}",
            self.minute_of_day / 60,
            self.minute_of_day % 60
        )
    }

    /// The business date whose batch should have run by `now_ms`: today
    /// once the time has come, else yesterday.
    pub fn latest_due(self, now_ms: i64) -> Date {
        let local = now_ms + i64::from(CHINA_UTC_OFFSET_MINUTES) * 60_000;
        let minute = u32::try_from(local.rem_euclid(86_400_000) / 60_000).unwrap_or(0);
        let today = Date::from_epoch_millis(now_ms, CHINA_UTC_OFFSET_MINUTES);
        if minute >= self.minute_of_day {
            today
        } else {
            today.add_days(-1)
        }
    }
}

impl crate::servicing::Servicing<'_> {
    /// The date the scheduler should run now, if any: the latest due date
    /// when it has no completed run. Before today's time on a database that
    /// never ran the batch nothing is due (there is no missed day to catch
    /// up); a date that failed is retried up to [`AUTOMATIC_ATTEMPTS`].
    pub async fn eod_due(self, schedule: EodSchedule) -> Result<Option<Date>, ServiceError> {
        if self.eod_lock.try_lock().is_err() {
            return Ok(None);
        }
        let now = self.now();
        let date = schedule.latest_due(now);
        let row = sqlx::query("SELECT status, attempts FROM eod_runs WHERE business_date = $1")
            .bind(date.to_string())
            .fetch_optional(&self.db.pool)
            .await?;
        if let Some(r) = row {
            let status = sql::coded(&r, "status", EodRunStatus::parse)?;
            return Ok((status != EodRunStatus::Completed
                && sql::uint(&r, "attempts")? < AUTOMATIC_ATTEMPTS)
                .then_some(date));
        }
        if date == self.today() {
            return Ok(Some(date));
        }
        let any = sqlx::query("SELECT business_date FROM eod_runs LIMIT 1")
            .fetch_optional(&self.db.pool)
            .await?;
        Ok(any.map(|_| date))
    }

    /// Starts the due run in the background, if one is due and none runs.
    pub async fn start_due_eod(
        self,
        schedule: EodSchedule,
    ) -> Result<Option<JoinHandle<Result<EodSummary, ServiceError>>>, ServiceError> {
        let Some(date) = self.eod_due(schedule).await? else {
            return Ok(None);
        };
        let Ok(held) = self.eod_lock.clone().try_lock_owned() else {
            return Ok(None);
        };
        tracing::info!(%date, "the end-of-day batch is due: starting it");
        let svc = crate::Services::clone(&self);
        Ok(Some(tokio::spawn(async move {
            let _held = held;
            svc.servicing()
                .run_eod_held(date, &EodOptions::default(), &|_| {}, None)
                .await
        })))
    }

    /// 重跑: an administrator runs the batch of `date` (not after today)
    /// again in the background: a failed or killed run finishes, a completed
    /// one finds nothing left to do. Refused while a run is under way.
    pub async fn rerun_eod(
        self,
        s: &StaffActor,
        date: Date,
    ) -> Result<JoinHandle<Result<EodSummary, ServiceError>>, ServiceError> {
        if !s.has(Role::Admin) {
            return Err(ServiceError::Forbidden);
        }
        if date > self.today() {
            return Err(ServiceError::invalid(ErrorCode::EodDateInFuture));
        }
        let held = self
            .eod_lock
            .clone()
            .try_lock_owned()
            .map_err(|_| ServiceError::invalid(ErrorCode::EodAlreadyRunning))?;
        let now = self.now();
        let mut tx = self.db.pool.begin().await?;
        audit::append(
            &mut tx,
            &self.config.audit_key,
            NewAuditEntry::staff(s, now, "eod.rerun_requested", "eod_run", &date.to_string())
                .after(json!({ "business_date": date.to_string() })),
        )
        .await?;
        tx.commit().await?;
        let svc = crate::Services::clone(&self);
        let by = s.display_name.clone();
        Ok(tokio::spawn(async move {
            let _held = held;
            svc.servicing()
                .run_eod_held(date, &EodOptions::default(), &|_| {}, Some(&by))
                .await
        }))
    }

    /// Marks the run of `date` failed with the code of what stopped it.
    pub(crate) async fn fail_run(self, date: &str, code: ErrorCode) -> Result<(), ServiceError> {
        self.end_run(date, EodRunStatus::Failed, None, Some(code))
            .await
    }

    /// Ends the run of `date` as `status`, keeping its summary or the code
    /// of what stopped it, with the audit entry of either.
    pub(crate) async fn end_run(
        self,
        date: &str,
        status: EodRunStatus,
        summary: Option<serde_json::Value>,
        error: Option<ErrorCode>,
    ) -> Result<(), ServiceError> {
        let now = self.now();
        let mut tx = self.db.pool.begin().await?;
        sqlx::query(
            "UPDATE eod_runs SET status = $1, finished_at = $2, summary_json = $3, error = $4 \
             WHERE business_date = $5",
        )
        .bind(status.as_str())
        .bind(now)
        .bind(summary.as_ref().map(|s| s.to_string()))
        .bind(error.map(ErrorCode::as_str))
        .bind(date)
        .execute(&mut *tx)
        .await?;
        let (action, after) = match (summary, error) {
            (Some(body), _) => ("eod.completed", body),
            (None, e) => (
                "eod.failed",
                json!({ "business_date": date, "error": e.map(ErrorCode::as_str) }),
            ),
        };
        audit::append(
            &mut tx,
            &self.config.audit_key,
            NewAuditEntry::system(now, action, "eod_run", date).after(after),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The last 30 runs of the batch, newest first, for operations staff
    /// (managers and administrators), with the server's schedule.
    pub async fn eod_runs(self, s: &StaffActor) -> Result<EodPage, ServiceError> {
        if !(s.is_manager() || s.has(Role::Admin)) {
            return Err(ServiceError::Forbidden);
        }
        let rows = sqlx::query(
            "SELECT business_date, status, attempts, loans, loans_total, postings, summary_json, \
               error, requested_by, started_at, finished_at \
             FROM eod_runs ORDER BY business_date DESC LIMIT 30",
        )
        .fetch_all(&self.db.pool)
        .await?;
        let runs = rows
            .iter()
            .map(|r| {
                let summary: Option<serde_json::Value> =
                    sql::opt_text(r, "summary_json")?.and_then(|j| serde_json::from_str(&j).ok());
                let figure = |k: &str| summary.as_ref().and_then(|v| v.get(k)?.as_i64());
                Ok(EodRunView {
                    business_date: sql::date(r, "business_date")?,
                    status: sql::coded(r, "status", EodRunStatus::parse)?,
                    attempts: sql::uint(r, "attempts")?,
                    loans: sql::int(r, "loans")?,
                    loans_total: sql::int(r, "loans_total")?,
                    postings: sql::int(r, "postings")?,
                    interest_accrued: figure("interest_accrued").map(Fen),
                    penalty_accrued: figure("penalty_accrued").map(Fen),
                    newly_overdue: figure("newly_overdue"),
                    lines_renewed: figure("lines_renewed"),
                    lines_expired: figure("lines_expired"),
                    elapsed_ms: figure("elapsed_ms"),
                    error: sql::opt_text(r, "error")?
                        .map(|c| ErrorCode::from_code(&c).unwrap_or(ErrorCode::Internal)),
                    requested_by: sql::opt_text(r, "requested_by")?,
                    started_at: sql::int(r, "started_at")?,
                    finished_at: sql::opt_int(r, "finished_at")?,
                })
            })
            .collect::<Result<Vec<_>, ServiceError>>()?;
        Ok(EodPage {
            runs,
            schedule: self.config.eod_schedule.map(EodSchedule::label),
            running_here: self.eod_lock.try_lock().is_err(),
            can_rerun: s.has(Role::Admin),
            today: self.today(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::EodSchedule;
    use domain::date::Date;

    #[test]
    fn the_schedule_reads_hh_mm_and_knows_the_date_due() {
        assert_eq!(
            EodSchedule::parse("23:30")
                .map(EodSchedule::label)
                .as_deref(),
            Some("23:30")
        );
        for bad in ["24:00", "7:30", "23:60", "2330", "", "ab:cd"] {
            assert_eq!(EodSchedule::parse(bad), None, "{bad}");
        }
        let at = EodSchedule::parse("23:30").expect("valid");
        // 2026-12-06 15:29 UTC is 23:29 in China: yesterday's batch is the latest due.
        let before = 1_796_571_000_000 - 60_000;
        let date = |s| Date::parse(s).expect("date");
        assert_eq!(Date::from_epoch_millis(before, 480), date("2026-12-06"));
        assert_eq!(at.latest_due(before), date("2026-12-05"));
        assert_eq!(at.latest_due(before + 60_000), date("2026-12-06"));
    }
}
