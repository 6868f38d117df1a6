//! Raising a credit line's limit (提额) under two people: one proposes the
//! new limit with its reason, another approves or refuses it (maker-checker;
//! never the proposer). Lowering a limit takes effect at once
//! ([`Servicing::adjust_line_limit`]): it can only reduce the bank's risk.
//!
//! Approval applies the limit guarded by the line's version, in the same
//! transaction as the decision: of two decisions at once, one moves the
//! proposal and the other is told it changed; a line changed since the
//! proposal (drawn, frozen, cancelled) is checked again by the domain's
//! `adjust_limit` and the product's maximum before the new limit is written.

use domain::error_code::ErrorCode;
use domain::money::Fen;
use domain::org::Role;
use domain::view::{CreditLineView, LineIncreaseView};
use serde_json::json;

use super::lines::LineChange;
use crate::audit::{self, NewAuditEntry};
use crate::auth::StaffActor;
use crate::db::new_id;
use crate::error::ServiceError;
use crate::sql;

/// Who proposes and who decides an increase (never the same person for one).
pub(crate) const REVIEWERS: [Role; 3] = [Role::Approver, Role::RiskManager, Role::BranchHead];

/// The longest reason or comment kept, in characters.
const MAX_TEXT: usize = 200;

fn clean(text: &str) -> String {
    text.trim()
        .chars()
        .filter(|c| !c.is_control())
        .take(MAX_TEXT)
        .collect()
}

/// The open increase of each of `line_ids`, for the line views.
pub(crate) async fn open_increases(
    db: &crate::db::Db,
    line_ids: &[String],
) -> Result<Vec<(String, LineIncreaseView)>, ServiceError> {
    if line_ids.is_empty() {
        return Ok(Vec::new());
    }
    let marks = (1..=line_ids.len())
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ");
    let q = format!(
        "SELECT i.id, i.line_id, i.from_fen, i.to_fen, i.reason, i.proposed_at, i.proposed_by, \
                u.display_name \
         FROM credit_line_increases i JOIN staff_users u ON u.id = i.proposed_by \
         WHERE i.status = 'proposed' AND i.line_id IN ({marks})"
    );
    let mut query = sqlx::query(sqlx::AssertSqlSafe(q));
    for id in line_ids {
        query = query.bind(id);
    }
    let rows = query.fetch_all(&db.pool).await?;
    rows.iter()
        .map(|r| {
            Ok((
                sql::text(r, "line_id")?,
                LineIncreaseView {
                    id: sql::text(r, "id")?,
                    from: sql::fen(r, "from_fen")?,
                    to: sql::fen(r, "to_fen")?,
                    reason: sql::text(r, "reason")?,
                    proposed_by: sql::text(r, "proposed_by")?.into(),
                    proposed_by_name: sql::text(r, "display_name")?,
                    proposed_at: sql::int(r, "proposed_at")?,
                },
            ))
        })
        .collect()
}

impl crate::servicing::Servicing<'_> {
    /// A new limit for a line in scope: a lower one (not below what is
    /// drawn) takes effect at once; a higher one (not above the product's
    /// maximum) is proposed with its reason for someone else to approve.
    /// `expected_version` is the version the user saw.
    pub async fn adjust_line_limit(
        self,
        s: &StaffActor,
        line_id: &str,
        expected_version: i64,
        new_limit: Fen,
        reason: &str,
    ) -> Result<LineChange, ServiceError> {
        if !s.has_any(&REVIEWERS) {
            return Err(ServiceError::Forbidden);
        }
        let l = self.line_in_scope(s, line_id).await?;
        if new_limit <= l.line.limit {
            let view = self
                .line_action(
                    s,
                    line_id,
                    expected_version,
                    super::lines::LineAction::AdjustLimit(new_limit),
                )
                .await?;
            return Ok(LineChange::Applied(view));
        }
        let reason = clean(reason);
        if reason.is_empty() {
            return Err(ServiceError::invalid(
                ErrorCode::CreditLineIncreaseReasonRequired,
            ));
        }
        if l.view.version != expected_version {
            return Err(ServiceError::StaleState);
        }
        l.line
            .adjust_limit(new_limit)
            .map_err(super::lines::line_error)?;
        self.within_product_max(&l.view.product_id, new_limit)
            .await?;
        let id = new_id();
        let now = self.now();
        let mut tx = self.db.begin_write().await?;
        // One open proposal per line: a second is refused by the index.
        let inserted = sqlx::query(
            "INSERT INTO credit_line_increases (id, line_id, bank_id, status, from_fen, to_fen, \
               reason, proposed_by, proposed_at) \
             VALUES ($1, $2, $3, 'proposed', $4, $5, $6, $7, $8)",
        )
        .bind(&id)
        .bind(line_id)
        .bind(&l.bank_id)
        .bind(l.line.limit.get())
        .bind(new_limit.get())
        .bind(&reason)
        .bind(&s.user_id)
        .bind(now)
        .execute(&mut *tx)
        .await;
        if inserted.is_err() {
            return Err(ServiceError::invalid(ErrorCode::CreditLineIncreaseOpen));
        }
        audit::append(
            &mut tx,
            &self.config.audit_key,
            NewAuditEntry::staff(
                s,
                now,
                "credit_line.increase_proposed",
                "credit_line",
                line_id,
            )
            .org(l.branch_id.clone())
            .after(json!({
                "increase_id": id,
                "limit_fen": l.line.limit.get(),
                "to_fen": new_limit.get(),
                "reason": reason,
            })),
        )
        .await?;
        tx.commit().await?;
        Ok(LineChange::Proposed(self.line_view(line_id).await?))
    }

    /// Approves or refuses a proposed increase: anyone who may propose one
    /// but its proposer (`self_approval`). Approval writes the new limit
    /// guarded by the line's version.
    pub async fn decide_line_increase(
        self,
        s: &StaffActor,
        increase_id: &str,
        approve: bool,
        comment: &str,
    ) -> Result<CreditLineView, ServiceError> {
        if !s.has_any(&REVIEWERS) {
            return Err(ServiceError::Forbidden);
        }
        let i = sqlx::query(
            "SELECT line_id, proposed_by, status, to_fen FROM credit_line_increases WHERE id = $1",
        )
        .bind(increase_id)
        .fetch_optional(&self.db.pool)
        .await?
        .ok_or(ServiceError::NotFound)?;
        let line_id = sql::text(&i, "line_id")?;
        let l = self.line_in_scope(s, &line_id).await?;
        if sql::text(&i, "proposed_by")? == s.user_id {
            return Err(ServiceError::invalid(ErrorCode::SelfApproval));
        }
        if sql::text(&i, "status")? != "proposed" {
            return Err(ServiceError::StaleState);
        }
        let to = sql::fen(&i, "to_fen")?;
        let next = if approve {
            let next = l.line.adjust_limit(to).map_err(super::lines::line_error)?;
            self.within_product_max(&l.view.product_id, to).await?;
            Some(next)
        } else {
            None
        };
        let comment = clean(comment);
        let now = self.now();
        let mut tx = self.db.begin_write().await?;
        // The decision first: of two at once, one moves it and the other stops.
        let moved = sqlx::query(
            "UPDATE credit_line_increases SET status = $1, decided_by = $2, decided_at = $3, \
               comment = $4 WHERE id = $5 AND status = 'proposed'",
        )
        .bind(if approve { "approved" } else { "refused" })
        .bind(&s.user_id)
        .bind(now)
        .bind(&comment)
        .bind(increase_id)
        .execute(&mut *tx)
        .await?;
        if moved.rows_affected() != 1 {
            return Err(ServiceError::StaleState);
        }
        let action = match &next {
            Some(next) => {
                let done = sqlx::query(
                    "UPDATE credit_lines SET limit_fen = $1, version = version + 1, \
                       updated_at = $2 WHERE id = $3 AND version = $4",
                )
                .bind(next.limit.get())
                .bind(now)
                .bind(&line_id)
                .bind(l.view.version)
                .execute(&mut *tx)
                .await?;
                if done.rows_affected() != 1 {
                    return Err(ServiceError::StaleState);
                }
                "credit_line.increase_approved"
            }
            None => "credit_line.increase_refused",
        };
        audit::append(
            &mut tx,
            &self.config.audit_key,
            NewAuditEntry::staff(s, now, action, "credit_line", &line_id)
                .org(l.branch_id.clone())
                .before(json!({ "limit_fen": l.line.limit.get(), "version": l.view.version }))
                .after(json!({
                    "increase_id": increase_id,
                    "limit_fen": next.as_ref().map_or(l.line.limit, |n| n.limit).get(),
                    "comment": comment,
                })),
        )
        .await?;
        tx.commit().await?;
        self.line_view(&line_id).await
    }
}
