//! The on-site investigation (下户调查): the investigator's report as a task
//! of the application's flow, followed by the engine's full decision.

use domain::application::{ApplicationStatus, Decision};
use domain::date::Date;
use domain::duty::Post;
use domain::error_code::ErrorCode;
use domain::money::Fen;
use domain::org::Role;
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::applications::rows::{NewInvestigation, INVESTIGATION_COLUMNS};
use crate::audit::{self, NewAuditEntry};
use crate::auth::StaffActor;
use crate::db::new_id;
use crate::error::ServiceError;
use crate::sql;
use crate::workflow::{self, By, NodeResult};

/// What the investigator found on the visit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvestigationInput {
    pub visited_on: Date,
    pub household_income: Fen,
    pub household_assets: Fen,
    pub household_debts: Fen,
    /// 1 to 2,000 characters.
    pub findings: String,
    pub recommendation: Decision,
    pub recommended_amount: Fen,
}

const MAX_FINDINGS: usize = 2000;

/// One investigator's report, in the caller's transaction.
async fn insert_investigation(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    s: &StaffActor,
    id: &str,
    task_id: Option<&str>,
    i: &InvestigationInput,
    findings: &str,
    now: i64,
) -> Result<(), ServiceError> {
    let row = NewInvestigation {
        id: &new_id(),
        application_id: id,
        task_id,
        investigator_id: &s.user_id,
        visited_on: i.visited_on,
        household_income: i.household_income,
        household_assets: i.household_assets,
        household_debts: i.household_debts,
        findings,
        recommendation: i.recommendation,
        recommended_amount: i.recommended_amount,
        created_at: now,
    }
    .row();
    sql::insert_rows(tx, "investigations", &INVESTIGATION_COLUMNS, &[row]).await?;
    Ok(())
}

impl crate::applications::Applications<'_> {
    /// Records the on-site investigation, moves the application to
    /// "investigated" and runs the engine's full decision for the approver
    /// (if that fails, the approval runs it again).
    pub async fn record_investigation(
        self,
        s: &StaffActor,
        id: &str,
        expected_version: i64,
        i: InvestigationInput,
    ) -> Result<(), ServiceError> {
        if !s.has_any(&[Role::Officer, Role::Investigator]) {
            return Err(ServiceError::Forbidden);
        }
        let f = self.facts(id).await?;
        if !s.covers(&f.branch_path) {
            return Err(ServiceError::Forbidden);
        }
        let findings = i.findings.trim().to_string();
        let length = findings.chars().count();
        if length == 0 {
            return Err(ServiceError::invalid(ErrorCode::FindingsMissing));
        }
        if length > MAX_FINDINGS {
            return Err(ServiceError::Validation {
                code: ErrorCode::FindingsTooLong,
                params: vec![("max", MAX_FINDINGS.to_string())],
            });
        }
        let amounts = [
            i.household_income,
            i.household_assets,
            i.household_debts,
            i.recommended_amount,
        ];
        if amounts.iter().any(|a| a.get() < 0) {
            return Err(ServiceError::invalid(ErrorCode::MoneyNegative));
        }
        if i.visited_on > self.today() {
            return Err(ServiceError::invalid(ErrorCode::VisitedOnFuture));
        }
        // Only an application waiting at a node of its flow has an
        // investigation to record (a drawdown under a line has none).
        let node = f.flow_node.as_ref().ok_or(ServiceError::StaleState)?;
        self.investigate_in_flow(s, id, node, expected_version, &i, &findings)
            .await
    }

    /// The on-site investigation as a task of the application's flow: only
    /// its holder reports; back-to-back reports stay sealed until both are
    /// in, and the node's outcome routes the application on.
    async fn investigate_in_flow(
        self,
        s: &StaffActor,
        id: &str,
        node: &str,
        expected_version: i64,
        i: &InvestigationInput,
        findings: &str,
    ) -> Result<(), ServiceError> {
        let now = self.now();
        let mut tx = self.db.pool.begin().await?;
        let (mut app, current, task) = workflow::take_task(
            &mut tx,
            id,
            node,
            Post::Investigation,
            &s.user_id,
            expected_version,
            now,
        )
        .await?;
        let result = workflow::finish_task(
            &mut tx,
            &app,
            &current,
            &task,
            // An investigator recommends; the approver refuses with a category.
            (i.recommendation, None),
            findings,
            now,
        )
        .await?;
        insert_investigation(&mut tx, s, id, Some(&task.id), i, findings, now).await?;
        audit::append(
            &mut tx,
            &self.config.audit_key,
            NewAuditEntry::staff(s, now, "application.investigated", "application", id)
                .org(app.branch_id.clone())
                .after(json!({
                    "task": task.id,
                    "node": node,
                    "visited_on": i.visited_on.to_string(),
                    "recommendation": i.recommendation.as_str(),
                    "recommended_amount_fen": i.recommended_amount.get(),
                })),
        )
        .await?;
        if let NodeResult::Done(outcome) = result {
            let mut log = audit::Batch::default();
            workflow::leave(&mut tx, &mut app, outcome, now, By::Staff(s), &mut log).await?;
            log.write(&mut tx, &self.config.audit_key).await?;
        }
        tx.commit().await?;
        if app.status == ApplicationStatus::Investigated {
            if let Err(e) = self.risk().full_decision(s, id).await {
                tracing::error!(application = %id, error = %e, "full decision failed");
            }
        }
        Ok(())
    }
}
