//! Applications made before product flows join their product's flow, so
//! that every application runs on one: run at start-up after
//! `products::ensure_first_versions` (an upgraded database) and by
//! the demo bank's loader.
//!
//! Each is placed under its product's first published version, where its
//! status says ([`domain::flow::ValidFlow::resting_place`]): an open file
//! gets the tasks of its node as if it had just arrived there (the
//! marketer's investigation, an approver drawn for the decision); a closed
//! one rests on its end. Idempotent: only rows without a flow node move.

use serde_json::json;
use sqlx::{AnyConnection, Connection};

use super::{enter, load_app, valid_flow, By};
use crate::audit::{self, NewAuditEntry};
use crate::{sql, ServiceError};
use domain::product::ProductParams;

/// What [`adopt_flows`] did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Adopted {
    /// Closed applications (approved, rejected) placed on an end.
    pub closed: u64,
    /// Open or withdrawn applications placed one by one.
    pub one_by_one: u64,
}

/// Open applications placed per transaction.
const CHUNK: i64 = 200;

/// Places every application without a flow on its product's flow.
pub async fn adopt_flows(
    conn: &mut AnyConnection,
    key: &crate::audit::checkpoints::AuditKey,
    now: i64,
) -> Result<Adopted, ServiceError> {
    // The version they were made under: the product's first published one
    // (written from the product's own terms by `ensure_first_versions`).
    // A drawdown under a granted line has no flow: the line was approved.
    sqlx::query(
        "UPDATE applications SET product_version_id = \
           (SELECT v.id FROM product_versions v WHERE v.product_id = applications.product_id \
              AND v.published_at IS NOT NULL ORDER BY v.version LIMIT 1) \
         WHERE product_version_id IS NULL AND NOT EXISTS (SELECT 1 FROM loans l \
           WHERE l.application_id = applications.id AND l.credit_line_id IS NOT NULL)",
    )
    .execute(&mut *conn)
    .await?;

    let mut done = Adopted::default();
    // Closed ones in bulk: one end per version and status.
    let groups = sqlx::query(
        "SELECT a.product_version_id, a.status, v.params, v.flow, COUNT(*) AS n \
         FROM applications a JOIN product_versions v ON v.id = a.product_version_id \
         WHERE a.flow_node IS NULL AND a.status IN ('approved', 'rejected') \
         GROUP BY a.product_version_id, a.status, v.params, v.flow",
    )
    .fetch_all(&mut *conn)
    .await?;
    for g in &groups {
        let version = sql::text(g, "product_version_id")?;
        let status = sql::status(g, "status")?;
        let params: ProductParams = serde_json::from_str(&sql::text(g, "params")?)
            .map_err(|e| ServiceError::internal("stored params", e))?;
        let flow = valid_flow(&sql::text(g, "flow")?, &params)?;
        let facts = domain::flow::Facts {
            amount: params.amount.min,
            guarantee: params
                .guarantee_types
                .first()
                .copied()
                .unwrap_or(domain::product::GuaranteeType::Credit),
            score: None,
        };
        let end = flow.resting_place(status, &facts).ok_or_else(|| {
            ServiceError::Internal(format!("version {version} has no end for {status:?}"))
        })?;
        let moved = sqlx::query(
            "UPDATE applications SET flow_node = $1 \
             WHERE product_version_id = $2 AND status = $3 AND flow_node IS NULL",
        )
        .bind(&end.id)
        .bind(&version)
        .bind(status.as_str())
        .execute(&mut *conn)
        .await?;
        done.closed += moved.rows_affected();
    }
    if done.closed > 0 {
        let mut tx = conn.begin().await?;
        audit::append(
            &mut tx,
            key,
            NewAuditEntry::system(now, "application.flows_adopted", "application", "*")
                .after(json!({ "closed": done.closed, "groups": groups.len() })),
        )
        .await?;
        tx.commit().await?;
    }

    // Open (and withdrawn) ones one by one: they get tasks.
    loop {
        let ids = sqlx::query(
            "SELECT id FROM applications \
             WHERE flow_node IS NULL AND product_version_id IS NOT NULL \
             ORDER BY submitted_at, id LIMIT $1",
        )
        .bind(CHUNK)
        .fetch_all(&mut *conn)
        .await?;
        if ids.is_empty() {
            break;
        }
        let mut tx = conn.begin().await?;
        let mut log = audit::Batch::default();
        for r in &ids {
            let id = sql::text(r, "id")?;
            let mut app = load_app(&mut tx, &id).await?;
            let place = app
                .flow
                .resting_place(app.status, &app.facts)
                .map(|n| n.id.clone())
                .ok_or_else(|| {
                    ServiceError::Internal(format!("no place in its flow for application {id}"))
                })?;
            if app.status.is_open() {
                enter(&mut tx, &mut app, &place, now, By::System, &mut log).await?;
            } else {
                sqlx::query("UPDATE applications SET flow_node = $2 WHERE id = $1")
                    .bind(&id)
                    .bind(&place)
                    .execute(&mut *tx)
                    .await?;
            }
            log.push(
                NewAuditEntry::system(now, "application.flow_adopted", "application", &id)
                    .org(app.branch_id.clone())
                    .after(json!({ "node": place, "status": app.status.as_str() })),
            );
            done.one_by_one += 1;
        }
        log.write(&mut tx, key).await?;
        tx.commit().await?;
    }
    Ok(done)
}
