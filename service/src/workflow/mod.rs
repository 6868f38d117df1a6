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
//!
//! Here: who moved the flow ([`By`]), the application as the engine sees it
//! ([`load_app`]), the guarded write that holds it at its node ([`hold`]) and
//! its status ([`set_status`]). Beside it: `engine` (enter, leave and route;
//! the pre-screen), `assign` (who works a node), `tasks` (taking, finishing
//! and completing tasks; an application's tasks), `inbox` (the inbox, the
//! escalation of overdue tasks and the branch head's list) and `reassign`.

use_cases!(
    /// The use cases of this module, reached as `services.workflow()`.
    Workflow,
    workflow
);

pub mod adopt;
mod assign;
pub mod burst;
mod engine;
mod inbox;
mod reassign;
pub mod relations;
mod tasks;

use domain::application::{ApplicationAction, ApplicationStatus};
use domain::duty::DutyMode;
use domain::flow::{FactSpace, Facts, FlowTemplate, Node, ValidFlow};
use domain::product::{GuaranteeType, ProductParams};

use sqlx::{Any, Transaction};

use crate::applications::status::{self, Seen};
use crate::audit::NewAuditEntry;
use crate::auth::{CustomerActor, StaffActor};
use crate::error::ServiceError;
use crate::sql;

pub(crate) use engine::{enter, leave, pass_node, pass_pre_screen};
pub(crate) use tasks::{finish_task, take_task, NodeResult};

/// Who moved the flow, for the audit log.
#[derive(Clone, Copy)]
pub(crate) enum By<'a> {
    Staff(&'a StaffActor),
    Customer(&'a CustomerActor),
    System,
}

impl By<'_> {
    pub(crate) fn entry(self, at: i64, action: &str, entity: &str, id: &str) -> NewAuditEntry {
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

/// Parses and validates a stored flow against the product's applications.
pub(crate) fn valid_flow(body: &str, params: &ProductParams) -> Result<ValidFlow, ServiceError> {
    let template: FlowTemplate =
        serde_json::from_str(body).map_err(|e| ServiceError::internal("stored flow", e))?;
    template
        .validate_for_product(&FactSpace::of_product(params))
        .map_err(|errors| ServiceError::Internal(format!("stored flow invalid: {errors:?}")))
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
                a.guarantee_type, v.params, v.flow, \
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
            // The applicant's choice; the product's first before the choice.
            guarantee: match sql::opt_text(&r, "guarantee_type")? {
                Some(g) => GuaranteeType::parse(&g)
                    .ok_or_else(|| ServiceError::internal("guarantee_type", g))?,
                None => params
                    .guarantee_types
                    .first()
                    .copied()
                    .unwrap_or(GuaranteeType::Credit),
            },
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
