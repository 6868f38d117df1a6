//! Tasks (待办): reading them, taking one, finishing it with the holder's
//! opinion (parallel opinions stay sealed until all are in), and completing a
//! task of a node with no form of its own.

use domain::application::Decision;
use domain::duty::opinion::{
    Opinion, OpinionRule, ParallelOutcome, SealedOpinions, Verdict as OpinionVerdict,
};
use domain::duty::Post;
use domain::error_code::ErrorCode;
use domain::flow::NodeType;
use domain::flow::{ApprovalMode, Node, NodeKind, Outcome};
use domain::notice::{check_decline, DeclineCategory};
use domain::view::TaskStatus;

use serde_json::json;
use sqlx::any::AnyRow;
use sqlx::{Any, Transaction};

use super::engine::leave;
use super::{hold, load_app, By, FlowApp, FlowTask};
use crate::audit::{self, NewAuditEntry};
use crate::auth::{Reading, StaffActor};
use crate::error::ServiceError;
use crate::sql;

const MAX_COMMENT: usize = 1000;

fn opinion_of(raw: Option<String>) -> Option<Decision> {
    match raw.as_deref() {
        Some("approve") => Some(Decision::Approve),
        Some("reject") => Some(Decision::Reject),
        _ => None,
    }
}

pub(super) const TASK_COLS: &str =
    "t.id, t.application_id, t.node_id, t.node_kind, t.round, t.post, \
     t.assignee_id, u.display_name AS assignee_name, t.status, t.opinion, t.comment, t.due_at, \
     t.escalated_at, t.created_at, t.completed_at, t.version";

pub(super) fn task_of(r: &AnyRow) -> Result<FlowTask, ServiceError> {
    let post = sql::text(r, "post")?;
    Ok(FlowTask {
        id: sql::text(r, "id")?.into(),
        application_id: sql::text(r, "application_id")?.into(),
        node_id: sql::text(r, "node_id")?,
        node_kind: sql::coded(r, "node_kind", NodeType::parse)?,
        round: sql::uint(r, "round")?,
        post: Post::parse(&post).ok_or_else(|| ServiceError::Internal(format!("post {post}")))?,
        assignee_id: sql::opt_text(r, "assignee_id")?.map(Into::into),
        assignee_name: sql::opt_text(r, "assignee_name")?,
        status: {
            let s = sql::text(r, "status")?;
            TaskStatus::parse(&s).ok_or_else(|| ServiceError::internal("task status", s))?
        },
        opinion: opinion_of(sql::opt_text(r, "opinion")?),
        comment: sql::opt_text(r, "comment")?,
        due_at: sql::opt_int(r, "due_at")?,
        escalated_at: sql::opt_int(r, "escalated_at")?,
        created_at: sql::int(r, "created_at")?,
        completed_at: sql::opt_int(r, "completed_at")?,
        version: sql::int(r, "version")?,
    })
}

/// What finishing one task did to its node.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum NodeResult {
    /// Others still have to give their opinion.
    Waiting,
    Done(Outcome),
}

/// Marks `task_id` done with the holder's opinion and, when it was the last
/// task of its node's round, works out the node's outcome. Call after
/// [`hold`], with a task the caller checked is the actor's; refuses one no
/// longer open at its version.
pub(crate) async fn finish_task(
    tx: &mut Transaction<'_, Any>,
    app: &FlowApp,
    node: &Node,
    task: &FlowTask,
    (opinion, decline): (Decision, Option<DeclineCategory>),
    comment: &str,
    now: i64,
) -> Result<NodeResult, ServiceError> {
    let done = sqlx::query(
        "UPDATE flow_tasks SET status = 'done', opinion = $4, comment = $5, completed_at = $6, \
           decline_category = $7, version = version + 1 \
         WHERE id = $1 AND assignee_id = $2 AND status = 'open' AND version = $3",
    )
    .bind(task.id.as_str())
    .bind(task.assignee_id.as_deref().unwrap_or_default())
    .bind(task.version)
    .bind(opinion.as_str())
    .bind(comment)
    .bind(now)
    .bind(decline.map(DeclineCategory::as_str))
    .execute(&mut **tx)
    .await?;
    if done.rows_affected() != 1 {
        return Err(ServiceError::StaleState);
    }
    let rows = sqlx::query(
        "SELECT assignee_id, status, opinion, comment FROM flow_tasks \
         WHERE application_id = $1 AND node_id = $2 AND round = $3 \
           AND status IN ('open', 'unassigned', 'done')",
    )
    .bind(&app.id)
    .bind(&node.id)
    .bind(i64::from(task.round))
    .fetch_all(&mut **tx)
    .await?;
    if rows
        .iter()
        .any(|r| sql::text(r, "status").is_ok_and(|s| s != "done"))
    {
        return Ok(NodeResult::Waiting);
    }
    let verdict = |d: Decision| match d {
        Decision::Approve => OpinionVerdict::Approve,
        Decision::Reject => OpinionVerdict::Reject,
    };
    let rule = match node.kind {
        NodeKind::Approval {
            mode: ApprovalMode::Committee { quorum, .. },
        } => OpinionRule::Quorum { quorum },
        _ => OpinionRule::Unanimous,
    };
    if rows.len() < 2 {
        return Ok(NodeResult::Done(match opinion {
            Decision::Approve => Outcome::Pass,
            Decision::Reject => Outcome::Reject,
        }));
    }
    let assigned: Vec<String> = rows
        .iter()
        .map(|r| sql::text(r, "assignee_id"))
        .collect::<Result<_, _>>()?;
    let mut sealed = SealedOpinions::new(rule, assigned)
        .map_err(|e| ServiceError::Internal(format!("opinions: {e}")))?;
    for r in &rows {
        let given = opinion_of(sql::opt_text(r, "opinion")?).unwrap_or(Decision::Reject);
        sealed
            .give(
                &sql::text(r, "assignee_id")?,
                Opinion {
                    verdict: verdict(given),
                    comment: sql::opt_text(r, "comment")?.unwrap_or_default(),
                },
            )
            .map_err(|e| ServiceError::Internal(format!("opinions: {e}")))?;
    }
    let outcome = match sealed.outcome() {
        Some(ParallelOutcome::Agreed(OpinionVerdict::Approve)) => Outcome::Pass,
        Some(ParallelOutcome::Agreed(OpinionVerdict::Reject)) => Outcome::Reject,
        Some(ParallelOutcome::Disagreement) => Outcome::Escalate,
        None => return Ok(NodeResult::Waiting),
    };
    Ok(NodeResult::Done(outcome))
}

/// Opens the actor's work on their open task at `node` (of a node whose
/// post is `post`), in `tx`: the guarded write first, then the application
/// and the task as they are now. `StaleState` when the application moved.
pub(crate) async fn take_task(
    tx: &mut Transaction<'_, Any>,
    application_id: &str,
    node: &str,
    post: Post,
    actor_id: &str,
    expected_version: i64,
    now: i64,
) -> Result<(FlowApp, Node, FlowTask), ServiceError> {
    hold(tx, application_id, node, Some(expected_version), now).await?;
    let app = load_app(&mut *tx, application_id).await?;
    let current = app.current()?;
    if current.id != node || current.kind.post() != Some(post) {
        return Err(ServiceError::StaleState);
    }
    let task = my_open_task(&mut *tx, application_id, actor_id, node).await?;
    Ok((app, current, task))
}

/// The open task the actor holds at `node` of the application.
pub(crate) async fn my_open_task(
    conn: &mut sqlx::AnyConnection,
    application_id: &str,
    actor_id: &str,
    node: &str,
) -> Result<FlowTask, ServiceError> {
    let sql = format!(
        "SELECT {TASK_COLS} FROM flow_tasks t LEFT JOIN staff_users u ON u.id = t.assignee_id \
         WHERE t.application_id = $1 AND t.assignee_id = $2 AND t.node_id = $3 \
           AND t.status = 'open'"
    );
    let r = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(application_id)
        .bind(actor_id)
        .bind(node)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or(ServiceError::invalid(ErrorCode::TaskNotAssigned))?;
    task_of(&r)
}

pub(super) fn checked_comment(
    comment: &str,
    max: usize,
    code: ErrorCode,
) -> Result<String, ServiceError> {
    let comment = comment.trim().to_string();
    if comment.chars().count() > max {
        return Err(ServiceError::Validation {
            code,
            params: vec![("max", max.to_string())],
        });
    }
    Ok(comment)
}

impl crate::workflow::Workflow<'_> {
    /// Every task of an application, for staff in scope. An opinion given
    /// in parallel stays hidden from everyone until its node's round is
    /// complete (the holder sees their own).
    pub async fn application_tasks(
        self,
        s: &StaffActor,
        application_id: &str,
    ) -> Result<Vec<FlowTask>, ServiceError> {
        let scope = sqlx::query(
            "SELECT b.path FROM applications a JOIN organisations b ON b.id = a.branch_id \
             WHERE a.id = $1",
        )
        .bind(application_id)
        .fetch_optional(&self.db.pool)
        .await?
        .ok_or(ServiceError::NotFound)?;
        s.may_read(Reading::CustomerFile, &sql::text(&scope, "path")?)?;
        self.tasks_of(s, application_id).await
    }

    /// [`Workflow::application_tasks`](crate::workflow::Workflow::application_tasks) for a caller that already checked
    /// the scope.
    pub(crate) async fn tasks_of(
        self,
        s: &StaffActor,
        application_id: &str,
    ) -> Result<Vec<FlowTask>, ServiceError> {
        let sql = format!(
            "SELECT {TASK_COLS} FROM flow_tasks t LEFT JOIN staff_users u ON u.id = t.assignee_id \
             WHERE t.application_id = $1 ORDER BY t.created_at, t.id"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(application_id)
            .fetch_all(&self.db.pool)
            .await?;
        let mut tasks: Vec<FlowTask> = rows.iter().map(task_of).collect::<Result<_, _>>()?;
        let sealed: Vec<(String, u32)> = tasks
            .iter()
            .filter(|t| matches!(t.status.as_str(), "open" | "unassigned"))
            .map(|t| (t.node_id.clone(), t.round))
            .collect();
        for t in &mut tasks {
            let own = t.assignee_id.as_deref() == Some(s.user_id.as_str());
            if !own && sealed.contains(&(t.node_id.clone(), t.round)) {
                t.opinion = None;
                t.comment = None;
            }
        }
        Ok(tasks)
    }

    /// The viewer's open task on the application's current node when that
    /// node has no form of its own (see [`domain::view::MyTask`]).
    pub(crate) async fn my_plain_task(
        self,
        s: &StaffActor,
        application_id: &str,
        flow_node: &Option<String>,
        tasks: &[FlowTask],
    ) -> Result<Option<domain::view::MyTask>, ServiceError> {
        let Some(node_id) = flow_node else {
            return Ok(None);
        };
        let Some(task) = tasks.iter().find(|t| {
            &t.node_id == node_id
                && t.status == TaskStatus::Open
                && t.assignee_id.as_deref() == Some(s.user_id.as_str())
        }) else {
            return Ok(None);
        };
        let mut conn = self.db.pool.acquire().await?;
        let app = load_app(&mut conn, application_id).await?;
        let node = app.current()?;
        if node.id != task.node_id || has_own_form(node.kind) {
            return Ok(None);
        }
        Ok(Some(domain::view::MyTask {
            task_id: task.id.clone(),
            version: task.version,
            node_kind: task.node_kind,
            can_reject: node.kind.outcomes().contains(&Outcome::Reject),
        }))
    }

    /// Finishes a task of a node with no form of its own (admission,
    /// documents, review, contract, collateral, disbursement): the holder
    /// agrees or refuses, with a comment. Investigations and approvals go
    /// through their own forms (`record_investigation`, `decide`).
    pub async fn complete_task(
        self,
        s: &StaffActor,
        task_id: &str,
        expected_version: i64,
        opinion: Decision,
        decline: Option<DeclineCategory>,
        comment: String,
    ) -> Result<(), ServiceError> {
        let comment = checked_comment(&comment, MAX_COMMENT, ErrorCode::CommentTooLong)?;
        check_decline(opinion, decline).map_err(ServiceError::invalid)?;
        let now = self.now();
        let seen = task_by_id(&mut *self.db.pool.acquire().await?, task_id).await?;
        let mut tx = self.db.pool.begin().await?;
        hold(&mut tx, &seen.application_id, &seen.node_id, None, now).await?;
        let task = task_by_id(&mut tx, task_id).await?;
        if task.assignee_id.as_deref() != Some(s.user_id.as_str()) {
            return Err(ServiceError::invalid(ErrorCode::TaskNotAssigned));
        }
        if task.version != expected_version || task.status != TaskStatus::Open {
            return Err(ServiceError::StaleState);
        }
        let mut app = load_app(&mut tx, &task.application_id).await?;
        let node = app.current()?;
        if node.id != task.node_id {
            return Err(ServiceError::StaleState);
        }
        if has_own_form(node.kind) {
            return Err(ServiceError::invalid(ErrorCode::TaskNeedsForm));
        }
        if opinion == Decision::Reject && !node.kind.outcomes().contains(&Outcome::Reject) {
            return Err(ServiceError::invalid(ErrorCode::TaskCannotReject));
        }
        let result = finish_task(
            &mut tx,
            &app,
            &node,
            &task,
            (opinion, decline),
            &comment,
            now,
        )
        .await?;
        let mut log = audit::Batch::default();
        log.push(
            NewAuditEntry::staff(s, now, "task.completed", "application", &app.id)
                .org(app.branch_id.clone())
                .after(json!({
                    "task": task.id,
                    "node": node.id,
                    "opinion": opinion.as_str(),
                    "decline_category": decline.map(DeclineCategory::as_str),
                    "comment": comment,
                })),
        );
        if let NodeResult::Done(outcome) = result {
            leave(&mut tx, &mut app, outcome, now, By::Staff(s), &mut log).await?;
        }
        log.write(&mut tx, &self.config.audit_key).await?;
        tx.commit().await?;
        Ok(())
    }
}

/// Investigations and approvals are worked through their forms
/// (`record_investigation`, `decide`), not [`Workflow::complete_task`](crate::workflow::Workflow::complete_task);
/// contract signing passes when the customer signs, and disbursement when
/// the payout succeeds (`pass_node`), never on someone's word.
fn has_own_form(kind: NodeKind) -> bool {
    matches!(
        kind,
        NodeKind::Investigation { .. }
            | NodeKind::Approval { .. }
            | NodeKind::ContractSigning
            | NodeKind::Disbursement
    )
}

pub(super) async fn task_by_id(
    conn: &mut sqlx::AnyConnection,
    id: &str,
) -> Result<FlowTask, ServiceError> {
    let sql = format!(
        "SELECT {TASK_COLS} FROM flow_tasks t LEFT JOIN staff_users u ON u.id = t.assignee_id \
         WHERE t.id = $1"
    );
    let r = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or(ServiceError::NotFound)?;
    task_of(&r)
}
