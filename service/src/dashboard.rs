//! The management dashboard: applications by status and by day, loans
//! booked and outstanding, within the manager's part of the organisation.

use std::collections::HashMap;

use domain::application::ApplicationStatus;
use domain::money::Fen;
pub use domain::view::Dashboard;

use crate::auth::StaffActor;
use crate::error::ServiceError;
use crate::sql;
use crate::Services;

impl Services {
    /// Figures for the last `days` days (1 to 366), managers only.
    pub async fn dashboard(&self, s: &StaffActor, days: u32) -> Result<Dashboard, ServiceError> {
        if !s.is_manager() {
            return Err(ServiceError::Forbidden);
        }
        let scope = sql::under(&s.org_path);
        let days = days.clamp(1, 366);
        let today = self.today();
        let first = today.add_days(-i64::from(days - 1));

        let rows = sqlx::query(
            "SELECT a.status, COUNT(*) AS n FROM applications a \
             JOIN organisations b ON b.id = a.branch_id \
             WHERE b.path LIKE $1 GROUP BY a.status",
        )
        .bind(&scope)
        .fetch_all(&self.db.pool)
        .await?;
        let mut counts: HashMap<String, i64> = HashMap::new();
        for r in &rows {
            counts.insert(sql::text(r, "status")?, sql::int(r, "n")?);
        }
        let by_status: Vec<(ApplicationStatus, i64)> = ApplicationStatus::ALL
            .into_iter()
            .map(|st| (st, counts.get(st.as_str()).copied().unwrap_or(0)))
            .collect();
        let total_applications = by_status.iter().map(|(_, n)| n).sum();

        let rows = sqlx::query(
            "SELECT a.submitted_on, COUNT(*) AS n FROM applications a \
             JOIN organisations b ON b.id = a.branch_id \
             WHERE b.path LIKE $1 AND a.submitted_on >= $2 AND a.submitted_on <= $3 \
             GROUP BY a.submitted_on",
        )
        .bind(&scope)
        .bind(first.to_string())
        .bind(today.to_string())
        .fetch_all(&self.db.pool)
        .await?;
        let mut per_day_counts: HashMap<String, i64> = HashMap::new();
        for r in &rows {
            per_day_counts.insert(sql::text(r, "submitted_on")?, sql::int(r, "n")?);
        }
        let per_day = (0..i64::from(days))
            .map(|d| {
                let day = first.add_days(d);
                (
                    day,
                    per_day_counts.get(&day.to_string()).copied().unwrap_or(0),
                )
            })
            .collect();

        let loans = sqlx::query(
            "SELECT COUNT(*) AS n, CAST(COALESCE(SUM(l.outstanding_principal_fen), 0) AS BIGINT) \
               AS outstanding \
             FROM loans l JOIN organisations b ON b.id = l.branch_id \
             WHERE b.path LIKE $1 AND l.status = 'active'",
        )
        .bind(&scope)
        .fetch_one(&self.db.pool)
        .await?;

        let approved = counts.get("approved").copied().unwrap_or(0);
        let rejected = counts.get("rejected").copied().unwrap_or(0);
        let approval_rate_permille = if approved + rejected == 0 {
            0
        } else {
            approved * 1000 / (approved + rejected)
        };
        Ok(Dashboard {
            by_status,
            per_day,
            total_applications,
            active_loans: sql::int(&loans, "n")?,
            outstanding: Fen(sql::int(&loans, "outstanding")?),
            approval_rate_permille,
        })
    }
}
