//! Reassignment: a branch head gives a task to someone else, with a reason,
//! and the list of who could take it.

use domain::duty::pick::StaffCandidate;
use domain::duty::{check_assignment, Assignment, DutyMode, Post};
use domain::error_code::ErrorCode;
use domain::org::Role;

use serde_json::json;

use super::assign::{bank_path, candidates, posts_so_far, roles_for};
use super::tasks::{checked_comment, task_by_id};
use super::{hold, load_app, FlowApp, FlowTask, ReassignOption};
use crate::audit::{self, NewAuditEntry};
use crate::auth::StaffActor;
use crate::db::new_id;
use crate::error::ServiceError;
use crate::sql;

const MAX_REASON: usize = 500;

impl crate::workflow::Workflow<'_> {
    /// A branch head (or an administrator) gives an open or unassigned task
    /// to someone else, with a reason. The new holder must be active, in the
    /// bank, hold a role for the post, be unrelated to the customer, and not
    /// check their own work on the application.
    pub async fn reassign_task(
        self,
        s: &StaffActor,
        task_id: &str,
        expected_version: i64,
        to_staff_id: &str,
        reason: String,
    ) -> Result<(), ServiceError> {
        if !s.has_any(&[Role::BranchHead, Role::Admin]) {
            return Err(ServiceError::Forbidden);
        }
        let reason = checked_comment(&reason, MAX_REASON, ErrorCode::ReasonTooLong)?;
        if reason.is_empty() {
            return Err(ServiceError::invalid(ErrorCode::ReasonMissing));
        }
        let now = self.now();
        let seen = task_by_id(&mut *self.db.pool.acquire().await?, task_id).await?;
        let mut tx = self.db.pool.begin().await?;
        hold(&mut tx, &seen.application_id, &seen.node_id, None, now).await?;
        let task = task_by_id(&mut tx, task_id).await?;
        let app = load_app(&mut tx, &task.application_id).await?;
        if !s.covers(&app.branch_path) {
            return Err(ServiceError::Forbidden);
        }
        if task.version != expected_version
            || !matches!(task.status.as_str(), "open" | "unassigned")
        {
            return Err(ServiceError::StaleState);
        }
        let roles = roles_for(task.post);
        let bank = bank_path(&mut tx, &app.bank_id).await?;
        let pool = candidates(&mut tx, &app, roles, roles[0], &bank).await?;
        let Some(target) = pool.into_iter().find(|c| c.staff_id == to_staff_id) else {
            return Err(ServiceError::invalid(ErrorCode::ReassignNotEligible));
        };
        let held = posts_so_far(&mut tx, &app, Some(&task.id)).await?;
        if let Some(code) = reassign_block(&target, &task, &app, &held) {
            return Err(ServiceError::invalid(code));
        }
        let moved = sqlx::query(
            "UPDATE flow_tasks SET status = 'reassigned', completed_at = $3, \
               version = version + 1 WHERE id = $1 AND version = $2 \
               AND status IN ('open', 'unassigned')",
        )
        .bind(task.id.as_str())
        .bind(expected_version)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        if moved.rows_affected() != 1 {
            return Err(ServiceError::StaleState);
        }
        let new_task = new_id();
        sqlx::query(
            "INSERT INTO flow_tasks (id, bank_id, branch_id, application_id, node_id, node_kind, \
               round, post, assignee_id, status, due_at, created_at, version) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'open', $10, $11, 1)",
        )
        .bind(&new_task)
        .bind(&app.bank_id)
        .bind(&app.branch_id)
        .bind(&app.id)
        .bind(&task.node_id)
        .bind(task.node_kind.as_str())
        .bind(i64::from(task.round))
        .bind(task.post.as_str())
        .bind(to_staff_id)
        .bind(task.due_at)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        audit::append(
            &mut tx,
            &self.config.audit_key,
            NewAuditEntry::staff(s, now, "task.reassigned", "application", &app.id)
                .org(app.branch_id.clone())
                .before(json!({ "task": task.id, "assignee": task.assignee_id }))
                .after(json!({ "task": new_task, "assignee": to_staff_id, "reason": reason })),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Who a branch head may give an open or unassigned task to: everyone
    /// in the bank with a role for its post, the ones the service would
    /// refuse marked with the reason (the same checks as
    /// [`Workflow::reassign_task`](crate::workflow::Workflow::reassign_task)), the eligible first, least busy first.
    pub async fn reassign_options(
        self,
        s: &StaffActor,
        task_id: &str,
    ) -> Result<Vec<ReassignOption>, ServiceError> {
        if !s.has_any(&[Role::BranchHead, Role::Admin]) {
            return Err(ServiceError::Forbidden);
        }
        let mut conn = self.db.pool.acquire().await?;
        let task = task_by_id(&mut conn, task_id).await?;
        let app = load_app(&mut conn, &task.application_id).await?;
        if !s.covers(&app.branch_path) {
            return Err(ServiceError::Forbidden);
        }
        drop(conn);
        // Read-only: a transaction only for the helpers' signature, never committed.
        let mut tx = self.db.pool.begin().await?;
        let roles = roles_for(task.post);
        let bank = bank_path(&mut tx, &app.bank_id).await?;
        let pool = candidates(&mut tx, &app, roles, roles[0], &bank).await?;
        let held = posts_so_far(&mut tx, &app, Some(&task.id)).await?;
        let names = sqlx::query(
            "SELECT u.id, u.display_name, o.name AS branch_name, o.path FROM staff_users u \
             JOIN organisations o ON o.id = u.org_id WHERE u.active = 1 AND o.path LIKE $1",
        )
        .bind(sql::under(&bank))
        .fetch_all(&mut *tx)
        .await?;
        tx.rollback().await?;
        let mut named = std::collections::HashMap::new();
        for r in &names {
            let same_branch = sql::text(r, "path")?.starts_with(&app.branch_path);
            named.insert(
                sql::text(r, "id")?,
                (
                    sql::text(r, "display_name")?,
                    sql::text(r, "branch_name")?,
                    same_branch,
                ),
            );
        }
        let mut out: Vec<ReassignOption> = pool
            .iter()
            .map(|c| {
                let (name, branch_name, same_branch) =
                    named.remove(&c.staff_id).unwrap_or_default();
                ReassignOption {
                    staff_id: c.staff_id.clone().into(),
                    name,
                    branch_name,
                    same_branch,
                    workload: c.workload,
                    workload_cap: c.workload_cap,
                    blocked: reassign_block(c, &task, &app, &held),
                }
            })
            .collect();
        out.sort_by(|a, b| {
            (a.blocked.is_some(), !a.same_branch, a.workload, &a.name).cmp(&(
                b.blocked.is_some(),
                !b.same_branch,
                b.workload,
                &b.name,
            ))
        });
        Ok(out)
    }
}

/// Why `target` may not take `task` over, or `None`: the task's own holder,
/// related to the customer, the marketer checking their own customer (the
/// marketing post and a 包办制 investigation aside), or holding a post the
/// duty mode keeps apart from this one. A branch head may go over someone's
/// workload cap (the list shows it); the random pick never does.
fn reassign_block(
    target: &StaffCandidate,
    task: &FlowTask,
    app: &FlowApp,
    held: &[Assignment],
) -> Option<ErrorCode> {
    if task.assignee_id.as_deref() == Some(target.staff_id.as_str()) {
        return Some(ErrorCode::ReassignSamePerson);
    }
    if target.related_to_customer {
        return Some(ErrorCode::PickRelatedToCustomer);
    }
    let marketer_may = task.post == Post::Marketing
        || (task.post == Post::Investigation && app.mode == DutyMode::SingleOfficer);
    if target.was_marketer && !marketer_may {
        return Some(ErrorCode::PickWasMarketer);
    }
    check_assignment(app.mode, held, &target.staff_id, task.post)
        .err()
        .map(|e| e.code())
}
