//! 核销: writing off a bad loan under two people. The officer, the
//! post-loan desk or the branch head proposes it with the reason and the
//! evidence (a court's final ruling, a death certificate…); the branch
//! head, an approver or the risk manager, never the proposer, approves or
//! refuses it. Approval posts the write-off (`LoanState::write_off`: the
//! loss allowance debited, every receivable credited) in the same
//! transaction and closes the loan as written off; the batch stops
//! accruing on it. Only a loan classified doubtful or loss may be written
//! off (`LoanState::may_write_off`), and it is written off as of the last
//! night the batch ran (its balances then), dated today.

use domain::error_code::ErrorCode;
use domain::org::Role;
use domain::servicing::eod::EodError;
use domain::view::{WriteOffPanel, WriteOffStatus, WriteOffView};
use serde_json::json;

use super::{load_account, posting_rows, store_account, write_postings};
use crate::audit::{self, NewAuditEntry};
use crate::auth::{Reading, StaffActor};
use crate::db::new_id;
use crate::error::ServiceError;
use crate::sql;

/// Who proposes a write-off.
pub const PROPOSERS: [Role; 3] = [Role::Officer, Role::PostLoan, Role::BranchHead];
/// Who decides one (never the proposer).
pub const DECIDERS: [Role; 3] = [Role::BranchHead, Role::Approver, Role::RiskManager];
/// The longest reason or evidence kept.
pub const MAX_TEXT_CHARS: usize = 500;

fn eod_refused(e: EodError) -> ServiceError {
    ServiceError::invalid(e.code())
}

fn text(raw: &str) -> Result<String, ServiceError> {
    let t = raw.trim();
    let n = t.chars().count();
    if n == 0 || n > MAX_TEXT_CHARS || t.chars().any(|c| c.is_control() && c != '\n') {
        return Err(ServiceError::invalid(ErrorCode::WriteOffReasonRequired));
    }
    Ok(t.to_string())
}

impl super::Servicing<'_> {
    /// The loan's branch path, checked against the caller's scope.
    async fn loan_in_scope(&self, s: &StaffActor, loan_id: &str) -> Result<String, ServiceError> {
        let r = sqlx::query(
            "SELECT o.path, l.branch_id FROM loans l JOIN organisations o ON o.id = l.branch_id \
             WHERE l.id = $1",
        )
        .bind(loan_id)
        .fetch_optional(&self.db.pool)
        .await?
        .ok_or(ServiceError::NotFound)?;
        if !s.covers(&sql::text(&r, "path")?) {
            return Err(ServiceError::Forbidden);
        }
        sql::text(&r, "branch_id")
    }

    /// The loan's write-offs (newest first) and what the caller may do.
    pub async fn write_off_panel(
        self,
        s: &StaffActor,
        loan_id: &str,
    ) -> Result<WriteOffPanel, ServiceError> {
        if !s.has_any(Reading::Ledger.readers()) {
            return Err(ServiceError::Forbidden);
        }
        self.loan_in_scope(s, loan_id).await?;
        let mut conn = self.db.pool.acquire().await?;
        let account = load_account(&mut conn, loan_id).await?;
        drop(conn);
        let rows = sqlx::query(
            "SELECT w.*, p.display_name AS proposer, d.display_name AS decider \
             FROM write_offs w JOIN staff_users p ON p.id = w.proposed_by \
             LEFT JOIN staff_users d ON d.id = w.decided_by \
             WHERE w.loan_id = $1 ORDER BY w.proposed_at DESC, w.id DESC",
        )
        .bind(loan_id)
        .fetch_all(&self.db.pool)
        .await?;
        let mut items = Vec::with_capacity(rows.len());
        for r in &rows {
            let status = sql::coded(r, "status", WriteOffStatus::parse)?;
            let proposer = sql::text(r, "proposed_by")?;
            items.push(WriteOffView {
                id: sql::text(r, "id")?,
                status,
                reason: sql::text(r, "reason")?,
                evidence: sql::text(r, "evidence")?,
                proposed_by: sql::text(r, "proposer")?,
                proposed_at: sql::int(r, "proposed_at")?,
                decided_by: sql::opt_text(r, "decider")?,
                decided_at: sql::opt_int(r, "decided_at")?,
                comment: sql::opt_text(r, "comment")?,
                principal: sql::opt_int(r, "principal_fen")?.map(domain::money::Fen),
                interest: sql::opt_int(r, "interest_fen")?.map(domain::money::Fen),
                penalty: sql::opt_int(r, "penalty_fen")?.map(domain::money::Fen),
                can_decide: status == WriteOffStatus::Proposed
                    && s.has_any(&DECIDERS)
                    && proposer != s.user_id,
            });
        }
        let pending = items.iter().any(|w| w.status == WriteOffStatus::Proposed);
        let state = &account.state;
        let not_eligible = state.may_write_off().err().map(|e| e.code());
        Ok(WriteOffPanel {
            classification: state.classification,
            dpd: state.dpd,
            principal: state.principal_outstanding,
            interest: state.interest_receivable,
            penalty: state.penalty_receivable,
            not_eligible,
            can_propose: s.has_any(&PROPOSERS) && not_eligible.is_none() && !pending,
            items,
        })
    }

    /// Proposes the write-off of a bad loan, with the reason and the
    /// evidence. One open proposal per loan (`write_off_pending`).
    pub async fn propose_write_off(
        self,
        s: &StaffActor,
        loan_id: &str,
        reason: &str,
        evidence: &str,
    ) -> Result<String, ServiceError> {
        if !s.has_any(&PROPOSERS) {
            return Err(ServiceError::Forbidden);
        }
        let branch_id = self.loan_in_scope(s, loan_id).await?;
        let (reason, evidence) = (text(reason)?, text(evidence)?);
        let mut conn = self.db.pool.acquire().await?;
        let account = load_account(&mut conn, loan_id).await?;
        drop(conn);
        account.state.may_write_off().map_err(eod_refused)?;
        let id = new_id();
        let now = self.now();
        let mut tx = self.db.begin_write().await?;
        sqlx::query(
            "INSERT INTO write_offs (id, loan_id, bank_id, status, reason, evidence, \
               proposed_by, proposed_at) VALUES ($1, $2, $3, 'proposed', $4, $5, $6, $7)",
        )
        .bind(&id)
        .bind(loan_id)
        .bind(&account.bank_id)
        .bind(&reason)
        .bind(&evidence)
        .bind(&s.user_id)
        .bind(now)
        .execute(&mut *tx)
        .await
        .map_err(|e| match e {
            sqlx::Error::Database(d) if d.is_unique_violation() => {
                ServiceError::invalid(ErrorCode::WriteOffPending)
            }
            other => other.into(),
        })?;
        audit::append(
            &mut tx,
            &self.config.audit_key,
            NewAuditEntry::staff(s, now, "loan.write_off_proposed", "loan", loan_id)
                .org(branch_id)
                .after(json!({
                    "write_off_id": id,
                    "reason": reason,
                    "evidence": evidence,
                    "principal_fen": account.state.principal_outstanding.get(),
                })),
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Approves (`approve`) or refuses a proposed write-off; never by its
    /// proposer. Approval posts it once: a second decision, even at the
    /// same moment, finds it decided (`StaleState`) and posts nothing.
    pub async fn decide_write_off(
        self,
        s: &StaffActor,
        write_off_id: &str,
        approve: bool,
        comment: &str,
    ) -> Result<(), ServiceError> {
        if !s.has_any(&DECIDERS) {
            return Err(ServiceError::Forbidden);
        }
        let w = sqlx::query("SELECT loan_id, proposed_by, status FROM write_offs WHERE id = $1")
            .bind(write_off_id)
            .fetch_optional(&self.db.pool)
            .await?
            .ok_or(ServiceError::NotFound)?;
        let loan_id = sql::text(&w, "loan_id")?;
        let branch_id = self.loan_in_scope(s, &loan_id).await?;
        if sql::text(&w, "proposed_by")? == s.user_id {
            return Err(ServiceError::invalid(ErrorCode::WriteOffSameApprover));
        }
        if sql::text(&w, "status")? != WriteOffStatus::Proposed.as_str() {
            return Err(ServiceError::StaleState);
        }
        let comment: String = comment
            .trim()
            .chars()
            .filter(|c| !c.is_control())
            .take(MAX_TEXT_CHARS)
            .collect();
        let now = self.now();
        let mut tx = self.db.begin_write().await?;
        // The decision first: of two at once, one moves it and the other stops.
        let moved = sqlx::query(
            "UPDATE write_offs SET status = $1, decided_by = $2, decided_at = $3, comment = $4 \
             WHERE id = $5 AND status = 'proposed'",
        )
        .bind(if approve { "approved" } else { "refused" })
        .bind(&s.user_id)
        .bind(now)
        .bind(&comment)
        .bind(write_off_id)
        .execute(&mut *tx)
        .await?;
        if moved.rows_affected() != 1 {
            return Err(ServiceError::StaleState);
        }
        if !approve {
            audit::append(
                &mut tx,
                &self.config.audit_key,
                NewAuditEntry::staff(s, now, "loan.write_off_refused", "loan", &loan_id)
                    .org(branch_id)
                    .after(json!({ "write_off_id": write_off_id, "comment": comment })),
            )
            .await?;
            tx.commit().await?;
            return Ok(());
        }
        let account = load_account(&mut tx, &loan_id).await?;
        let state = &account.state;
        state.may_write_off().map_err(eod_refused)?;
        let on = self.today().max(state.last_processed);
        let (after, posting) = state.write_off(on).map_err(eod_refused)?;
        store_account(&mut tx, &account, &after, now).await?;
        let (mut p, mut l) = (Vec::new(), Vec::new());
        posting_rows(&loan_id, &account.bank_id, &posting, now, &mut p, &mut l)?;
        write_postings(&mut tx, &p, &l).await?;
        let on_line =
            super::lines::write_off_on_line(&mut tx, &loan_id, state.principal_outstanding, now)
                .await?;
        sqlx::query(
            "UPDATE write_offs SET principal_fen = $1, interest_fen = $2, penalty_fen = $3, \
               business_date = $4, posting_key = $5 WHERE id = $6",
        )
        .bind(state.principal_outstanding.get())
        .bind(state.interest_receivable.get())
        .bind(state.penalty_receivable.get())
        .bind(on.to_string())
        .bind(posting.idempotency_key.as_str())
        .bind(write_off_id)
        .execute(&mut *tx)
        .await?;
        audit::append(
            &mut tx,
            &self.config.audit_key,
            NewAuditEntry::staff(s, now, "loan.written_off", "loan", &loan_id)
                .org(branch_id)
                .before(json!({ "status": state.status.as_str() }))
                .after(json!({
                    "status": after.status.as_str(),
                    "write_off_id": write_off_id,
                    "principal_fen": state.principal_outstanding.get(),
                    "interest_fen": state.interest_receivable.get(),
                    "penalty_fen": state.penalty_receivable.get(),
                    "comment": comment,
                    "on_credit_line": on_line,
                })),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}
