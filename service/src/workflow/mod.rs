//! The approval-flow engine and its work queue (待办).
//!
//! Every application made under a product version runs through that
//! version's flow ([`domain::flow`]): the automatic pre-screen, then one node
//! after another. Each node worked by people becomes one task per person in
//! their inbox, with a due time from the node's SLA. People are assigned
//! here, on the server: the marketer for marketing posts and, under 包办制,
//! for the investigation; everyone else picked at random among the eligible
//! ([`domain::duty::pick`]), the pick and every candidate's exclusions written
//! to the audit log. Parallel opinions (back-to-back pair, committee) stay
//! sealed until all are in; a disagreement takes the flow's "escalate" edge.
//!
//! Concurrency: every write that can finish a node starts with a write to the
//! application row (`… WHERE id = $1 AND flow_node = $2`), which serialises
//! the holders of parallel tasks on PostgreSQL (row lock) and SQLite (one
//! writer), so the last opinion always sees the others and the node is
//! finished exactly once. A task itself moves only from 'open', by its
//! assignee, at the version they saw: a double click or a second person
//! changes nothing.

pub mod adopt;
pub mod burst;
pub mod products;
pub mod relations;
pub mod templates;

use domain::application::{ApplicationAction, ApplicationStatus, Decision};
use domain::duty::opinion::{
    Opinion, OpinionRule, ParallelOutcome, SealedOpinions, Verdict as OpinionVerdict,
};
use domain::duty::pick::{pick_back_to_back, PickRequest, StaffCandidate};
use domain::duty::{check_assignment, Assignment, DutyMode, Post};
use domain::flow::{
    ApprovalMode, FactSpace, Facts, FlowTemplate, Node, NodeKind, Outcome, ValidFlow,
};
use domain::identity::mask_id_number;
use domain::org::Role;
use domain::product::{GuaranteeType, ProductParams};

use serde_json::json;
use sqlx::any::AnyRow;
use sqlx::{Any, Transaction};

use crate::applications::status::{self, Seen};
use crate::audit::{self, NewAuditEntry};
use crate::auth::{CustomerActor, Reading, StaffActor};
use crate::customers;
use crate::db::new_id;
use crate::error::ServiceError;
use crate::pfi::PfiKeys;
use crate::sql;
use crate::Services;

const MAX_COMMENT: usize = 1000;
const MAX_REASON: usize = 500;
const MAX_INBOX: i64 = 500;
const HOUR_MS: i64 = 3_600_000;

/// Who moved the flow, for the audit log.
#[derive(Clone, Copy)]
pub(crate) enum By<'a> {
    Staff(&'a StaffActor),
    Customer(&'a CustomerActor),
    System,
}

impl By<'_> {
    fn entry(self, at: i64, action: &str, entity: &str, id: &str) -> NewAuditEntry {
        match self {
            By::Staff(s) => NewAuditEntry::staff(s, at, action, entity, id),
            By::Customer(c) => NewAuditEntry::customer(c, at, action, entity, id),
            By::System => NewAuditEntry::system(at, action, entity, id),
        }
    }
}

/// An application as the engine sees it.
pub(crate) struct FlowApp {
    pub id: String,
    pub bank_id: String,
    pub branch_id: String,
    pub branch_path: String,
    pub customer_id: String,
    pub officer_id: String,
    pub status: ApplicationStatus,
    pub node: Option<String>,
    pub facts: Facts,
    pub mode: DutyMode,
    pub flow: std::sync::Arc<ValidFlow>,
}

impl FlowApp {
    pub(crate) fn current(&self) -> Result<Node, ServiceError> {
        let id = self.node.as_deref().ok_or(ServiceError::StaleState)?;
        self.flow
            .node(id)
            .cloned()
            .ok_or_else(|| ServiceError::Internal(format!("flow node {id} missing")))
    }
}

/// One task in someone's inbox, or on an application's file.
pub use domain::view::FlowTaskView as FlowTask;
pub use domain::view::ReassignOption;

/// A task with what its holder needs to see in the inbox.
pub use domain::view::InboxTask;

/// The staff roles that may hold a post when assigned at random.
fn roles_for(post: Post) -> &'static [Role] {
    match post {
        Post::Marketing => &[Role::Officer],
        // Officers investigate each other's customers; the marketer never
        // investigates their own except under 包办制, which is not a pick.
        Post::Investigation => &[Role::Investigator, Role::Officer],
        Post::Review => &[Role::Reviewer],
        Post::Approval => &[Role::Approver],
        Post::Disbursement => &[Role::Disburser],
        Post::PostLoan => &[Role::PostLoan],
    }
}

fn role_list(roles: &[Role]) -> String {
    roles
        .iter()
        .map(|r| format!("'{}'", r.as_str()))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Parses and validates a stored flow against the product's applications.
pub(crate) fn valid_flow(body: &str, params: &ProductParams) -> Result<ValidFlow, ServiceError> {
    let template: FlowTemplate =
        serde_json::from_str(body).map_err(|e| ServiceError::internal("stored flow", e))?;
    template
        .validate_for_product(&FactSpace::of_product(params))
        .map_err(|errors| ServiceError::Internal(format!("stored flow invalid: {errors:?}")))
}

fn opinion_of(raw: Option<String>) -> Option<Decision> {
    match raw.as_deref() {
        Some("approve") => Some(Decision::Approve),
        Some("reject") => Some(Decision::Reject),
        _ => None,
    }
}

const TASK_COLS: &str = "t.id, t.application_id, t.node_id, t.node_kind, t.round, t.post, \
     t.assignee_id, u.display_name AS assignee_name, t.status, t.opinion, t.comment, t.due_at, \
     t.escalated_at, t.created_at, t.completed_at, t.version";

fn task_of(r: &AnyRow) -> Result<FlowTask, ServiceError> {
    let post = sql::text(r, "post")?;
    Ok(FlowTask {
        id: sql::text(r, "id")?,
        application_id: sql::text(r, "application_id")?,
        node_id: sql::text(r, "node_id")?,
        node_kind: sql::text(r, "node_kind")?,
        round: sql::uint(r, "round")?,
        post: Post::parse(&post).ok_or_else(|| ServiceError::Internal(format!("post {post}")))?,
        assignee_id: sql::opt_text(r, "assignee_id")?,
        assignee_name: sql::opt_text(r, "assignee_name")?,
        status: sql::text(r, "status")?,
        opinion: opinion_of(sql::opt_text(r, "opinion")?),
        comment: sql::opt_text(r, "comment")?,
        due_at: sql::opt_int(r, "due_at")?,
        escalated_at: sql::opt_int(r, "escalated_at")?,
        created_at: sql::int(r, "created_at")?,
        completed_at: sql::opt_int(r, "completed_at")?,
        version: sql::int(r, "version")?,
    })
}

type VersionRules = (std::sync::Arc<ProductParams>, std::sync::Arc<ValidFlow>);

/// Parsed and validated rules of published product versions, by version id.
/// A version applications run under never changes (only drafts are edited,
/// and applications are made under published versions), so an entry never
/// goes stale; the few hundred versions of a bank fit easily.
static VERSIONS: std::sync::LazyLock<
    std::sync::Mutex<std::collections::HashMap<String, VersionRules>>,
> = std::sync::LazyLock::new(Default::default);

fn cached_version(id: &str) -> Option<VersionRules> {
    VERSIONS.lock().ok()?.get(id).cloned()
}

fn remember_version(id: &str, params: ProductParams, flow: ValidFlow) -> VersionRules {
    let entry = (std::sync::Arc::new(params), std::sync::Arc::new(flow));
    if let Ok(mut cache) = VERSIONS.lock() {
        cache.insert(id.to_string(), entry.clone());
    }
    entry
}

/// Loads an application with its product version's flow and duty policy.
/// Every application has one ([`adopt::adopt_flows`] placed those made
/// before flows).
pub(crate) async fn load_app(
    conn: &mut sqlx::AnyConnection,
    id: &str,
) -> Result<FlowApp, ServiceError> {
    let r = sqlx::query(
        "SELECT a.id, a.bank_id, a.branch_id, b.path AS branch_path, a.customer_id, \
                a.officer_id, a.status, a.flow_node, a.amount_fen, a.product_version_id, \
                v.params, v.flow, \
                (SELECT d.score FROM decisions d WHERE d.application_id = a.id \
                   AND d.score IS NOT NULL ORDER BY d.created_at DESC LIMIT 1) AS score \
         FROM applications a JOIN organisations b ON b.id = a.branch_id \
         LEFT JOIN product_versions v ON v.id = a.product_version_id \
         WHERE a.id = $1",
    )
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?
    .ok_or(ServiceError::NotFound)?;
    let no_flow = || ServiceError::Internal(format!("application {id} has no product flow"));
    let version_id = sql::opt_text(&r, "product_version_id")?.ok_or_else(no_flow)?;
    let (params, flow) = match cached_version(&version_id) {
        Some(hit) => hit,
        None => {
            let (Some(params), Some(flow)) =
                (sql::opt_text(&r, "params")?, sql::opt_text(&r, "flow")?)
            else {
                return Err(no_flow());
            };
            let params: ProductParams = serde_json::from_str(&params)
                .map_err(|e| ServiceError::internal("stored params", e))?;
            let flow = valid_flow(&flow, &params)?;
            remember_version(&version_id, params, flow)
        }
    };
    let amount = sql::fen(&r, "amount_fen")?;
    let score = sql::opt_int(&r, "score")?.and_then(|s| i32::try_from(s).ok());
    Ok(FlowApp {
        id: sql::text(&r, "id")?,
        bank_id: sql::text(&r, "bank_id")?,
        branch_id: sql::text(&r, "branch_id")?,
        branch_path: sql::text(&r, "branch_path")?,
        customer_id: sql::text(&r, "customer_id")?,
        officer_id: sql::text(&r, "officer_id")?,
        status: sql::status(&r, "status")?,
        node: sql::opt_text(&r, "flow_node")?,
        facts: Facts {
            amount,
            guarantee: params
                .guarantee_types
                .first()
                .copied()
                .unwrap_or(GuaranteeType::Credit),
            score,
        },
        mode: params.duty.mode_for(amount),
        flow,
    })
}

/// Takes the application's row for this node: the write that serialises
/// everyone finishing tasks of one node. `StaleState` when it has moved on,
/// or (with `expected_version`) changed since the caller read it.
pub(crate) async fn hold(
    tx: &mut Transaction<'_, Any>,
    app_id: &str,
    node: &str,
    expected_version: Option<i64>,
    now: i64,
) -> Result<(), ServiceError> {
    let held = sqlx::query(
        "UPDATE applications SET updated_at = $3 \
         WHERE id = $1 AND flow_node = $2 AND version = COALESCE($4, version)",
    )
    .bind(app_id)
    .bind(node)
    .bind(now)
    .bind(expected_version)
    .execute(&mut **tx)
    .await?;
    if held.rows_affected() != 1 {
        return Err(ServiceError::StaleState);
    }
    Ok(())
}

/// Moves the application's status (and version) when the flow says so,
/// through the one writer ([`status::apply`]); the flow engine already
/// holds the row at its node in this transaction.
pub(crate) async fn set_status(
    tx: &mut Transaction<'_, Any>,
    app: &mut FlowApp,
    action: ApplicationAction,
    now: i64,
) -> Result<(), ServiceError> {
    let seen = Seen {
        id: &app.id,
        status: app.status,
        version: None,
    };
    app.status = status::apply(tx, seen, action, now).await?;
    Ok(())
}

fn is_open(s: ApplicationStatus) -> bool {
    matches!(
        s,
        ApplicationStatus::Submitted | ApplicationStatus::Investigated
    )
}

/// The posts already held on the application (the marketer's included).
async fn posts_so_far(
    tx: &mut Transaction<'_, Any>,
    app: &FlowApp,
    except_task: Option<&str>,
) -> Result<Vec<Assignment>, ServiceError> {
    let rows = sqlx::query(
        "SELECT post, assignee_id FROM flow_tasks WHERE application_id = $1 \
           AND status IN ('open', 'done') AND assignee_id IS NOT NULL AND id <> $2",
    )
    .bind(&app.id)
    .bind(except_task.unwrap_or(""))
    .fetch_all(&mut **tx)
    .await?;
    let mut out = vec![Assignment::new(Post::Marketing, app.officer_id.clone())];
    for r in &rows {
        if let Some(post) = Post::parse(&sql::text(r, "post")?) {
            out.push(Assignment::new(post, sql::text(r, "assignee_id")?));
        }
    }
    Ok(out)
}

/// Everyone in `scope` with one of `roles`, as pick candidates.
async fn candidates(
    tx: &mut Transaction<'_, Any>,
    app: &FlowApp,
    roles: &[Role],
    role: Role,
    scope: &str,
) -> Result<Vec<StaffCandidate>, ServiceError> {
    let sql = format!(
        "SELECT u.id, o.code AS branch_code, u.workload_cap, \
           (SELECT COUNT(*) FROM flow_tasks t WHERE t.assignee_id = u.id \
              AND t.status = 'open') AS workload, \
           (SELECT COUNT(*) FROM staff_relations sr WHERE sr.staff_id = u.id \
              AND sr.customer_id = $2) AS related \
         FROM staff_users u JOIN organisations o ON o.id = u.org_id \
         WHERE u.active = 1 AND o.path LIKE $1 AND EXISTS \
           (SELECT 1 FROM staff_roles r WHERE r.user_id = u.id AND r.role IN ({}))",
        role_list(roles)
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(sql::under(scope))
        .bind(&app.customer_id)
        .fetch_all(&mut **tx)
        .await?;
    rows.iter()
        .map(|r| {
            let id = sql::text(r, "id")?;
            Ok(StaffCandidate {
                was_marketer: id == app.officer_id,
                staff_id: id,
                role,
                branch_code: sql::text(r, "branch_code")?,
                workload: u32::try_from(sql::int(r, "workload")?).unwrap_or(u32::MAX),
                workload_cap: sql::uint(r, "workload_cap")?,
                related_to_customer: sql::int(r, "related")? > 0,
            })
        })
        .collect()
}

async fn bank_path(tx: &mut Transaction<'_, Any>, bank_id: &str) -> Result<String, ServiceError> {
    let r = sqlx::query("SELECT path FROM organisations WHERE id = $1")
        .bind(bank_id)
        .fetch_one(&mut **tx)
        .await?;
    sql::text(&r, "path")
}

/// Creates the tasks of a node worked by people: the marketer where the
/// post is theirs, else a random pick in the branch, widened to the bank
/// when the branch has too few; places nobody can fill become 'unassigned'
/// tasks for the branch head. The pick goes to the audit log.
async fn assign(
    tx: &mut Transaction<'_, Any>,
    app: &FlowApp,
    node: &Node,
    now: i64,
    by: By<'_>,
    log: &mut audit::Batch,
) -> Result<(), ServiceError> {
    let Some(post) = node.kind.post() else {
        return Ok(());
    };
    let count = usize::try_from(node.kind.people()).unwrap_or(1).max(1);
    let round = sqlx::query(
        "SELECT COALESCE(MAX(round), 0) AS r FROM flow_tasks WHERE application_id = $1 \
           AND node_id = $2",
    )
    .bind(&app.id)
    .bind(&node.id)
    .fetch_one(&mut **tx)
    .await?;
    let round = sql::int(&round, "r")? + 1;
    let held = posts_so_far(tx, app, None).await?;
    let marketer_works_it = post == Post::Marketing
        || (post == Post::Investigation && app.mode == DutyMode::SingleOfficer && count == 1);
    let mut audit_after = json!({
        "node": node.id,
        "post": post.as_str(),
        "round": round,
        "duty_mode": app.mode.as_str(),
    });
    let picked: Vec<String> = if marketer_works_it {
        // The marketing posts (admission, documents) are the marketer's own
        // work going on, not a second holder of their post.
        if post != Post::Marketing {
            check_assignment(app.mode, &held, &app.officer_id, post)
                .map_err(|e| ServiceError::invalid(e.code()))?;
        }
        audit_after["picked"] = json!([app.officer_id]);
        audit_after["rule"] = json!("marketer");
        vec![app.officer_id.clone()]
    } else {
        let roles = roles_for(post);
        let role = roles[0];
        let request = PickRequest {
            post,
            role,
            branch_codes: Vec::new(),
            count,
            mode: app.mode,
            posts_so_far: held,
        };
        let seed: u64 = rand::random();
        let branch = candidates(tx, app, roles, role, &app.branch_path).await?;
        match pick_back_to_back(&branch, &request, seed) {
            Ok(pick) => {
                audit_after["scope"] = json!("branch");
                audit_after["pick"] = json!(pick);
                pick.picked
            }
            Err(_) => {
                let bank = bank_path(tx, &app.bank_id).await?;
                let wide = candidates(tx, app, roles, role, &bank).await?;
                match pick_back_to_back(&wide, &request, seed) {
                    Ok(pick) => {
                        audit_after["scope"] = json!("bank");
                        audit_after["pick"] = json!(pick);
                        pick.picked
                    }
                    Err(short) => {
                        audit_after["scope"] = json!("bank");
                        audit_after["shortfall"] = json!(short);
                        Vec::new()
                    }
                }
            }
        }
    };
    let due = node.sla_hours.map(|h| now + i64::from(h) * HOUR_MS);
    for i in 0..count {
        let assignee = picked.get(i);
        sqlx::query(
            "INSERT INTO flow_tasks (id, bank_id, branch_id, application_id, node_id, node_kind, \
               round, post, assignee_id, status, due_at, created_at, version) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, 1)",
        )
        .bind(new_id())
        .bind(&app.bank_id)
        .bind(&app.branch_id)
        .bind(&app.id)
        .bind(&node.id)
        .bind(node.kind.code())
        .bind(round)
        .bind(post.as_str())
        .bind(assignee)
        .bind(if assignee.is_some() {
            "open"
        } else {
            "unassigned"
        })
        .bind(due)
        .bind(now)
        .execute(&mut **tx)
        .await?;
    }
    let action = if picked.len() < count {
        "task.unassigned"
    } else {
        "task.assigned"
    };
    log.push(
        by.entry(now, action, "application", &app.id)
            .org(app.branch_id.clone())
            .after(audit_after),
    );
    Ok(())
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
    opinion: Decision,
    comment: &str,
    now: i64,
) -> Result<NodeResult, ServiceError> {
    let done = sqlx::query(
        "UPDATE flow_tasks SET status = 'done', opinion = $4, comment = $5, completed_at = $6, \
           version = version + 1 \
         WHERE id = $1 AND assignee_id = $2 AND status = 'open' AND version = $3",
    )
    .bind(&task.id)
    .bind(task.assignee_id.as_deref().unwrap_or_default())
    .bind(task.version)
    .bind(opinion.as_str())
    .bind(comment)
    .bind(now)
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
        .ok_or(ServiceError::invalid("task_not_assigned"))?;
    task_of(&r)
}

fn checked_comment(comment: &str, max: usize, code: &'static str) -> Result<String, ServiceError> {
    let comment = comment.trim().to_string();
    if comment.chars().count() > max {
        return Err(ServiceError::Validation {
            code,
            params: vec![("max", max.to_string())],
        });
    }
    Ok(comment)
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

impl Services {
    /// Starts the flow of a just-made application, in its transaction: the
    /// application sits on the flow's first node (the pre-screen waits for
    /// the engine, see [`Services::after_pre_screen`]).
    pub(crate) async fn start_flow(
        &self,
        tx: &mut Transaction<'_, Any>,
        application_id: &str,
        by: By<'_>,
    ) -> Result<(), ServiceError> {
        let mut app = load_app(&mut *tx, application_id).await?;
        let start = app.flow.start().id.clone();
        let mut log = audit::Batch::default();
        enter(tx, &mut app, &start, self.now(), by, &mut log).await?;
        log.write(tx).await
    }

    /// Moves an application past its pre-screen once the engine has decided
    /// (or closed it). Does nothing when it is elsewhere in its flow.
    pub(crate) async fn after_pre_screen(
        &self,
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
        log.write(&mut tx).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Applications left on their pre-screen (the engine failed, the process
    /// stopped) moved on: run at start-up and by the scheduler. Returns how
    /// many moved.
    pub async fn resume_flows(&self) -> Result<u64, ServiceError> {
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

    /// The staff member's open tasks, soonest due first.
    pub async fn inbox(&self, s: &StaffActor) -> Result<Vec<InboxTask>, ServiceError> {
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

    /// Every task of an application, for staff in scope. An opinion given
    /// in parallel stays hidden from everyone until its node's round is
    /// complete (the holder sees their own).
    pub async fn application_tasks(
        &self,
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

    /// [`Services::application_tasks`] for a caller that already checked
    /// the scope.
    pub(crate) async fn tasks_of(
        &self,
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
        &self,
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
                && t.status == "open"
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
            node_kind: task.node_kind.clone(),
            can_reject: node.kind.outcomes().contains(&Outcome::Reject),
        }))
    }

    /// Finishes a task of a node with no form of its own (admission,
    /// documents, review, contract, collateral, disbursement): the holder
    /// agrees or refuses, with a comment. Investigations and approvals go
    /// through their own forms (`record_investigation`, `decide`).
    pub async fn complete_task(
        &self,
        s: &StaffActor,
        task_id: &str,
        expected_version: i64,
        opinion: Decision,
        comment: String,
    ) -> Result<(), ServiceError> {
        let comment = checked_comment(&comment, MAX_COMMENT, "comment_too_long")?;
        let now = self.now();
        let seen = task_by_id(&mut *self.db.pool.acquire().await?, task_id).await?;
        let mut tx = self.db.pool.begin().await?;
        hold(&mut tx, &seen.application_id, &seen.node_id, None, now).await?;
        let task = task_by_id(&mut tx, task_id).await?;
        if task.assignee_id.as_deref() != Some(s.user_id.as_str()) {
            return Err(ServiceError::invalid("task_not_assigned"));
        }
        if task.version != expected_version || task.status != "open" {
            return Err(ServiceError::StaleState);
        }
        let mut app = load_app(&mut tx, &task.application_id).await?;
        let node = app.current()?;
        if node.id != task.node_id {
            return Err(ServiceError::StaleState);
        }
        if has_own_form(node.kind) {
            return Err(ServiceError::invalid("task_needs_form"));
        }
        if opinion == Decision::Reject && !node.kind.outcomes().contains(&Outcome::Reject) {
            return Err(ServiceError::invalid("task_cannot_reject"));
        }
        let result = finish_task(&mut tx, &app, &node, &task, opinion, &comment, now).await?;
        let mut log = audit::Batch::default();
        log.push(
            NewAuditEntry::staff(s, now, "task.completed", "application", &app.id)
                .org(app.branch_id.clone())
                .after(json!({
                    "task": task.id,
                    "node": node.id,
                    "opinion": opinion.as_str(),
                    "comment": comment,
                })),
        );
        if let NodeResult::Done(outcome) = result {
            leave(&mut tx, &mut app, outcome, now, By::Staff(s), &mut log).await?;
        }
        log.write(&mut tx).await?;
        tx.commit().await?;
        Ok(())
    }

    /// A branch head (or an administrator) gives an open or unassigned task
    /// to someone else, with a reason. The new holder must be active, in the
    /// bank, hold a role for the post, be unrelated to the customer, and not
    /// check their own work on the application.
    pub async fn reassign_task(
        &self,
        s: &StaffActor,
        task_id: &str,
        expected_version: i64,
        to_staff_id: &str,
        reason: String,
    ) -> Result<(), ServiceError> {
        if !s.has_any(&[Role::BranchHead, Role::Admin]) {
            return Err(ServiceError::Forbidden);
        }
        let reason = checked_comment(&reason, MAX_REASON, "reason_too_long")?;
        if reason.is_empty() {
            return Err(ServiceError::invalid("reason_missing"));
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
            return Err(ServiceError::invalid("reassign_not_eligible"));
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
        .bind(&task.id)
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
        .bind(&task.node_kind)
        .bind(i64::from(task.round))
        .bind(task.post.as_str())
        .bind(to_staff_id)
        .bind(task.due_at)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        audit::append(
            &mut tx,
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
    /// [`Services::reassign_task`]), the eligible first, least busy first.
    pub async fn reassign_options(
        &self,
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
                    staff_id: c.staff_id.clone(),
                    name,
                    branch_name,
                    same_branch,
                    workload: c.workload,
                    workload_cap: c.workload_cap,
                    blocked: reassign_block(c, &task, &app, &held).map(str::to_string),
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

    /// Open tasks past their due time are marked escalated (once) and show
    /// in the branch head's overdue list; each is written to the audit log.
    /// Returns how many were escalated now.
    pub async fn escalate_overdue(&self) -> Result<u64, ServiceError> {
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
    pub async fn escalations(&self, s: &StaffActor) -> Result<Vec<InboxTask>, ServiceError> {
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

/// Investigations and approvals are worked through their forms
/// (`record_investigation`, `decide`), not [`Services::complete_task`].
fn has_own_form(kind: NodeKind) -> bool {
    matches!(
        kind,
        NodeKind::Investigation { .. } | NodeKind::Approval { .. }
    )
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
) -> Option<&'static str> {
    if task.assignee_id.as_deref() == Some(target.staff_id.as_str()) {
        return Some("reassign_same_person");
    }
    if target.related_to_customer {
        return Some("pick_related_to_customer");
    }
    let marketer_may = task.post == Post::Marketing
        || (task.post == Post::Investigation && app.mode == DutyMode::SingleOfficer);
    if target.was_marketer && !marketer_may {
        return Some("pick_was_marketer");
    }
    check_assignment(app.mode, held, &target.staff_id, task.post)
        .err()
        .map(|e| e.code())
}

async fn task_by_id(conn: &mut sqlx::AnyConnection, id: &str) -> Result<FlowTask, ServiceError> {
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
