//! Who works a node: the marketer where the post is theirs, else a random
//! pick among the eligible in the branch, widened to the bank; the places
//! nobody can fill become unassigned tasks for the branch head.

use domain::duty::pick::{pick_back_to_back, PickRequest, StaffCandidate};
use domain::duty::{check_assignment, Assignment, DutyMode, Post};
use domain::flow::Node;
use domain::org::Role;

use serde_json::json;
use sqlx::{Any, Transaction};

use super::{By, FlowApp};
use crate::audit;
use crate::db::new_id;
use crate::error::ServiceError;
use crate::sql;

const HOUR_MS: i64 = 3_600_000;

/// The staff roles that may hold a post when assigned at random.
pub(super) fn roles_for(post: Post) -> &'static [Role] {
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

/// The posts already held on the application (the marketer's included).
pub(super) async fn posts_so_far(
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
pub(super) async fn candidates(
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

pub(super) async fn bank_path(
    tx: &mut Transaction<'_, Any>,
    bank_id: &str,
) -> Result<String, ServiceError> {
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
pub(super) async fn assign(
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
    // The disbursement desk's steps (contract, collateral, payout) are one
    // holder's work going on: whoever took the first one keeps the file.
    let desk = (post == Post::Disbursement && count == 1)
        .then(|| held.iter().rev().find(|a| a.post == Post::Disbursement))
        .flatten()
        .map(|a| a.staff_id.clone());
    let picked: Vec<String> = if let Some(holder) = desk {
        audit_after["picked"] = json!([holder]);
        audit_after["rule"] = json!("desk");
        vec![holder]
    } else if marketer_works_it {
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
