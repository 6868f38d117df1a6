//! The customer following their own applications: the list, one with its
//! timeline and the pre-screen's outcome.

use domain::view::{ApplicationSummary, CustomerApplicationView, TimelineEvent, TimelineKind};

use crate::auth::CustomerActor;
use crate::db::Db;
use crate::error::ServiceError;
use crate::sql;

use super::{
    loan_of_application, summaries_of_customer, summary_of, SCREENING_ACTOR, SUMMARY_COLUMNS,
    SUMMARY_JOINS,
};

impl crate::applications::Applications<'_> {
    /// The customer's applications, newest first.
    pub async fn my_applications(
        self,
        c: &CustomerActor,
    ) -> Result<Vec<ApplicationSummary>, ServiceError> {
        summaries_of_customer(&self.db, &c.customer_id).await
    }

    /// One of the customer's applications with its progress; `NotFound` for
    /// anyone else's.
    pub async fn my_application(
        self,
        c: &CustomerActor,
        id: &str,
    ) -> Result<CustomerApplicationView, ServiceError> {
        let sql = format!(
            "SELECT {SUMMARY_COLUMNS}, a.purpose {SUMMARY_JOINS} \
             WHERE a.id = $1 AND a.customer_id = $2"
        );
        let r = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(id)
            .bind(&c.customer_id)
            .fetch_optional(&self.db.pool)
            .await?
            .ok_or(ServiceError::NotFound)?;
        let summary = summary_of(&r)?;
        let mut timeline = vec![TimelineEvent {
            at: summary.submitted_at,
            kind: TimelineKind::Submitted,
            actor_name: summary.customer_name.clone(),
        }];
        timeline.extend(progress_events(&self.db, id).await?);
        let screening = crate::risk::decisions::customer_screening(&self, id).await?;
        if let Some(sc) = screening
            .as_ref()
            .filter(|sc| sc.outcome == domain::rules::rule::Verdict::Reject)
        {
            timeline.push(TimelineEvent {
                at: sc.at,
                kind: TimelineKind::Rejected,
                actor_name: SCREENING_ACTOR.to_string(),
            });
        }
        let loan_id = loan_of_application(&self.db, id).await?;
        let decision = crate::notices::customer_decision(&self.db, id).await?;
        Ok(CustomerApplicationView {
            summary,
            purpose: sql::text(&r, "purpose")?,
            timeline,
            loan_id: loan_id.map(Into::into),
            screening,
            decision,
        })
    }
}

/// Investigation and decision events of an application, in order.
pub(crate) async fn progress_events(
    db: &Db,
    application_id: &str,
) -> Result<Vec<TimelineEvent>, ServiceError> {
    let mut events = Vec::new();
    if let Some(r) = sqlx::query(
        "SELECT i.created_at, u.display_name FROM investigations i \
         JOIN staff_users u ON u.id = i.investigator_id WHERE i.application_id = $1",
    )
    .bind(application_id)
    .fetch_optional(&db.pool)
    .await?
    {
        events.push(TimelineEvent {
            at: sql::int(&r, "created_at")?,
            kind: TimelineKind::Investigated,
            actor_name: sql::text(&r, "display_name")?,
        });
    }
    if let Some(r) = sqlx::query(
        "SELECT ap.created_at, ap.decision, u.display_name FROM approvals ap \
         JOIN staff_users u ON u.id = ap.approver_id WHERE ap.application_id = $1",
    )
    .bind(application_id)
    .fetch_optional(&db.pool)
    .await?
    {
        let kind = match sql::decision(&r, "decision")? {
            domain::application::Decision::Approve => TimelineKind::Approved,
            domain::application::Decision::Reject => TimelineKind::Rejected,
        };
        events.push(TimelineEvent {
            at: sql::int(&r, "created_at")?,
            kind,
            actor_name: sql::text(&r, "display_name")?,
        });
    }
    Ok(events)
}
