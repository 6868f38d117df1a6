//! The engine: an application enters its flow's first node, leaves each node
//! with an outcome and enters the next one (routing on the flow's edges); the
//! pre-screen waits for the decision engine, and applications left on it are
//! moved on later.

use domain::application::{ApplicationAction, ApplicationStatus};
use domain::duty::Post;
use domain::flow::{NodeKind, NodeType, Outcome};

use serde_json::json;
use sqlx::{Any, Transaction};

use super::assign::assign;
use super::{hold, load_app, set_status, By, FlowApp};
use crate::audit;
use crate::error::ServiceError;
use crate::sql;

fn is_open(s: ApplicationStatus) -> bool {
    matches!(
        s,
        ApplicationStatus::Submitted | ApplicationStatus::Investigated
    )
}

/// Puts the application on `node_id` and runs from there: automatic nodes
/// continue at once, an end state closes it, a node worked by people gets
/// its tasks. The pre-screen waits for the decision engine.
pub(crate) async fn enter(
    tx: &mut Transaction<'_, Any>,
    app: &mut FlowApp,
    node_id: &str,
    now: i64,
    by: By<'_>,
    log: &mut audit::Batch,
) -> Result<(), ServiceError> {
    let node = app
        .flow
        .node(node_id)
        .cloned()
        .ok_or_else(|| ServiceError::Internal(format!("flow node {node_id} missing")))?;
    let from = app.node.clone();
    sqlx::query("UPDATE applications SET flow_node = $2, updated_at = $3 WHERE id = $1")
        .bind(&app.id)
        .bind(&node.id)
        .bind(now)
        .execute(&mut **tx)
        .await?;
    app.node = Some(node.id.clone());
    if from.is_some() {
        log.push(
            by.entry(now, "application.routed", "application", &app.id)
                .org(app.branch_id.clone())
                .before(json!({ "node": from }))
                .after(json!({ "node": node.id, "kind": node.kind.code() })),
        );
    }
    match node.kind {
        NodeKind::PreScreen => Ok(()),
        NodeKind::End { state } => {
            use domain::flow::EndState;
            if state == EndState::Rejected && is_open(app.status) {
                set_status(tx, app, ApplicationAction::EndRejected, now).await?;
            }
            Ok(())
        }
        _ if !is_open(app.status) && node.kind.post() != Some(Post::Disbursement) => Ok(()),
        kind => {
            if matches!(kind, NodeKind::Approval { .. } | NodeKind::Review)
                && app.status == ApplicationStatus::Submitted
            {
                // The file is complete: it waits for a decision now.
                set_status(tx, app, ApplicationAction::CompleteFile, now).await?;
            }
            assign(tx, app, &node, now, by, log).await
        }
    }
}

/// Leaves the current node with `outcome` and enters the next one.
pub(crate) async fn leave(
    tx: &mut Transaction<'_, Any>,
    app: &mut FlowApp,
    outcome: Outcome,
    now: i64,
    by: By<'_>,
    log: &mut audit::Batch,
) -> Result<(), ServiceError> {
    let current = app.current()?;
    let next = app
        .flow
        .route(&current.id, outcome, &app.facts)
        .map_err(|e| ServiceError::Internal(format!("route: {e:?}")))?
        .id
        .clone();
    enter(tx, app, &next, now, by, log).await
}

/// Moves the application past its pre-screen, in `tx`, where the decision
/// was just stored: on by the "pass" edge, or by "reject" when the engine
/// closed it. Nothing when it is elsewhere in its flow (or has none).
pub(crate) async fn pass_pre_screen(
    tx: &mut Transaction<'_, Any>,
    application_id: &str,
    now: i64,
    by: By<'_>,
    log: &mut audit::Batch,
) -> Result<(), ServiceError> {
    let app = load_app(&mut *tx, application_id).await?;
    let node = app.current()?;
    if node.kind != NodeKind::PreScreen {
        return Ok(());
    }
    hold(tx, application_id, &node.id, None, now).await?;
    leave_pre_screen(tx, app, now, by, log).await
}

/// Passes the application's current node when it is a step of `kind` that
/// finishes by itself (the customer signed the contract; the money went
/// out), in `tx`: the node's open tasks are closed as done with `note`, and
/// the flow moves on by its "pass" edge. `false` when the application is
/// elsewhere in its flow (or has none): nothing changes then.
pub(crate) async fn pass_node(
    tx: &mut Transaction<'_, Any>,
    application_id: &str,
    kind: NodeType,
    note: &str,
    now: i64,
    by: By<'_>,
    log: &mut audit::Batch,
) -> Result<bool, ServiceError> {
    let mut app = load_app(&mut *tx, application_id).await?;
    let Ok(node) = app.current() else {
        return Ok(false);
    };
    if node.kind.node_type() != kind {
        return Ok(false);
    }
    hold(tx, application_id, &node.id, None, now).await?;
    sqlx::query(
        "UPDATE flow_tasks SET status = 'done', opinion = 'approve', comment = $3, \
           completed_at = $4, version = version + 1 \
         WHERE application_id = $1 AND node_id = $2 AND status IN ('open', 'unassigned')",
    )
    .bind(application_id)
    .bind(&node.id)
    .bind(note)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    log.push(
        by.entry(now, "application.step_done", "application", application_id)
            .org(app.branch_id.clone())
            .after(json!({ "node": node.id, "kind": node.kind.code(), "note": note })),
    );
    leave(tx, &mut app, Outcome::Pass, now, by, log).await?;
    Ok(true)
}

async fn leave_pre_screen(
    tx: &mut Transaction<'_, Any>,
    mut app: FlowApp,
    now: i64,
    by: By<'_>,
    log: &mut audit::Batch,
) -> Result<(), ServiceError> {
    let outcome = if app.status == ApplicationStatus::Rejected {
        Outcome::Reject
    } else {
        Outcome::Pass
    };
    leave(tx, &mut app, outcome, now, by, log).await
}

impl crate::workflow::Workflow<'_> {
    /// Starts the flow of a just-made application, in its transaction: the
    /// application sits on the flow's first node (the pre-screen waits for
    /// the engine, see [`Workflow::after_pre_screen`](crate::workflow::Workflow::after_pre_screen)).
    pub(crate) async fn start_flow(
        self,
        tx: &mut Transaction<'_, Any>,
        application_id: &str,
        by: By<'_>,
    ) -> Result<(), ServiceError> {
        let mut app = load_app(&mut *tx, application_id).await?;
        let start = app.flow.start().id.clone();
        let mut log = audit::Batch::default();
        enter(tx, &mut app, &start, self.now(), by, &mut log).await?;
        log.write(tx, &self.config.audit_key).await
    }

    /// Moves an application past its pre-screen once the engine has decided
    /// (or closed it). Does nothing when it is elsewhere in its flow.
    pub(crate) async fn after_pre_screen(
        self,
        application_id: &str,
        by: By<'_>,
    ) -> Result<(), ServiceError> {
        let now = self.now();
        let mut conn = self.db.pool.acquire().await?;
        let app = load_app(&mut conn, application_id).await?;
        drop(conn);
        let node = app.current()?;
        if node.kind != NodeKind::PreScreen {
            return Ok(());
        }
        // The guarded write first (SQLite: a transaction that reads before
        // it writes can fail to become the writer).
        let mut tx = self.db.begin_write().await?;
        hold(&mut tx, application_id, &node.id, None, now).await?;
        let app = load_app(&mut tx, application_id).await?;
        let mut log = audit::Batch::default();
        leave_pre_screen(&mut tx, app, now, by, &mut log).await?;
        log.write(&mut tx, &self.config.audit_key).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Applications left on their pre-screen (the engine failed, the process
    /// stopped) moved on: run at start-up and by the scheduler. Returns how
    /// many moved.
    pub async fn resume_flows(self) -> Result<u64, ServiceError> {
        let before = self.now() - 60_000;
        let rows = sqlx::query(
            "SELECT id FROM applications WHERE flow_node = $2 \
               AND status IN ('submitted', 'rejected') AND updated_at < $1 LIMIT 1000",
        )
        .bind(before)
        .bind(domain::flow::PRE_SCREEN_ID)
        .fetch_all(&self.db.pool)
        .await?;
        let mut moved = 0;
        for r in &rows {
            let id = sql::text(r, "id")?;
            match self.after_pre_screen(&id, By::System).await {
                Ok(()) => moved += 1,
                Err(e) => tracing::error!(application = %id, error = %e, "flow resume failed"),
            }
        }
        Ok(moved)
    }
}
