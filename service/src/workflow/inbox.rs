//! The inbox (the staff member's open tasks) and the branch head's list of
//! overdue and unassigned ones, with the escalation of overdue tasks.

use domain::identity::mask_id_number;
use domain::org::Role;

use serde_json::json;
use sqlx::any::AnyRow;

use super::tasks::{task_of, TASK_COLS};
use super::InboxTask;
use crate::audit::{self, NewAuditEntry};
use crate::auth::StaffActor;
use crate::customers;
use crate::error::ServiceError;
use crate::pfi::PfiKeys;
use crate::sql;

const MAX_INBOX: i64 = 500;

impl crate::workflow::Workflow<'_> {
    /// The staff member's open tasks, soonest due first.
    pub async fn inbox(self, s: &StaffActor) -> Result<Vec<InboxTask>, ServiceError> {
        let sql = format!(
            "{} \
             JOIN organisations b ON b.id = a.branch_id \
             WHERE t.assignee_id = $1 AND t.status = 'open' \
             ORDER BY COALESCE(t.due_at, t.created_at), t.id LIMIT $2",
            inbox_select()
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(&s.user_id)
            .bind(MAX_INBOX)
            .fetch_all(&self.db.pool)
            .await?;
        let now = self.now();
        rows.iter()
            .map(|r| inbox_task_of(&self.config.pfi, r, now))
            .collect()
    }

    /// Open tasks past their due time are marked escalated (once) and show
    /// in the branch head's overdue list; each is written to the audit log.
    /// Returns how many were escalated now.
    pub async fn escalate_overdue(self) -> Result<u64, ServiceError> {
        let now = self.now();
        let mut tx = self.db.pool.begin().await?;
        let rows = sqlx::query(
            "UPDATE flow_tasks SET escalated_at = $1 \
             WHERE status = 'open' AND escalated_at IS NULL AND due_at < $1 \
             RETURNING id, application_id, branch_id, assignee_id, node_id, due_at",
        )
        .bind(now)
        .fetch_all(&mut *tx)
        .await?;
        for r in &rows {
            audit::append(
                &mut tx,
                &self.config.audit_key,
                NewAuditEntry::system(
                    now,
                    "task.overdue",
                    "application",
                    &sql::text(r, "application_id")?,
                )
                .org(sql::text(r, "branch_id")?)
                .after(json!({
                    "task": sql::text(r, "id")?,
                    "node": sql::text(r, "node_id")?,
                    "assignee": sql::opt_text(r, "assignee_id")?,
                    "due_at": sql::opt_int(r, "due_at")?,
                })),
            )
            .await?;
        }
        tx.commit().await?;
        Ok(u64::try_from(rows.len()).unwrap_or(0))
    }

    /// For a branch head: the tasks in their scope that need them, i.e.
    /// overdue (escalated) or with nobody to do them.
    pub async fn escalations(self, s: &StaffActor) -> Result<Vec<InboxTask>, ServiceError> {
        if !s.has_any(&[Role::BranchHead, Role::Admin]) {
            return Err(ServiceError::Forbidden);
        }
        let sql = format!(
            "{} \
             JOIN organisations b ON b.id = t.branch_id \
             WHERE b.path LIKE $1 AND (t.status = 'unassigned' \
               OR (t.status = 'open' AND t.escalated_at IS NOT NULL)) \
             ORDER BY COALESCE(t.due_at, t.created_at), t.id LIMIT $2",
            inbox_select()
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(sql::under(&s.org_path))
            .bind(MAX_INBOX)
            .fetch_all(&self.db.pool)
            .await?;
        let now = self.now();
        rows.iter()
            .map(|r| inbox_task_of(&self.config.pfi, r, now))
            .collect()
    }
}

/// The task with its application, customer, product and a branch `b` still to join.
fn inbox_select() -> String {
    format!(
        "SELECT {TASK_COLS}, c.name AS customer_name, c.id_number_sealed, \
           p.name_zh AS product_name_zh, p.name_en AS product_name_en, a.amount_fen, \
           a.term_months, a.status AS app_status, b.name AS branch_name \
         FROM flow_tasks t LEFT JOIN staff_users u ON u.id = t.assignee_id \
         JOIN applications a ON a.id = t.application_id \
         JOIN customers c ON c.id = a.customer_id \
         JOIN products p ON p.id = a.product_id"
    )
}

fn inbox_task_of(keys: &PfiKeys, r: &AnyRow, now: i64) -> Result<InboxTask, ServiceError> {
    let task = task_of(r)?;
    Ok(InboxTask {
        overdue: task.due_at.is_some_and(|d| d < now),
        task,
        customer_name: sql::text(r, "customer_name")?,
        id_number_masked: mask_id_number(&customers::id_number_of(keys, r)?),
        product_name_zh: sql::text(r, "product_name_zh")?,
        product_name_en: sql::text(r, "product_name_en")?,
        amount: sql::fen(r, "amount_fen")?,
        term_months: sql::uint(r, "term_months")?,
        branch_name: sql::text(r, "branch_name")?,
        status: sql::status(r, "app_status")?,
    })
}
