//! The approval decision (审批): an approver's opinion as a task of the
//! flow; approving grants the loan on the engine's limit and price, which
//! the contract states and the payout books.

use domain::application::{check_separation, transition, ApplicationAction, Decision};
use domain::date::Date;
use domain::duty::Post;
use domain::error_code::ErrorCode;
use domain::flow::{NodeKind, Outcome};
use domain::money::Fen;
use domain::notice::{check_decline, DeclineCategory};
use domain::org::Role;
use domain::rate::AnnualRate;
use domain::rules::lifecycle::DecisionStage;
use domain::rules::rule::Verdict;
use domain::schedule::planned;
use serde_json::json;

use crate::applications::rows::{NewApproval, APPROVAL_COLUMNS};
use crate::audit::{self, NewAuditEntry};
use crate::auth::StaffActor;
use crate::db::new_id;
use crate::error::ServiceError;
use crate::products::load_product;
use crate::risk::decisions::{latest_decision, DecisionView};
use crate::sql;
use crate::workflow::{self, By, NodeResult};

use super::AppFacts;

const MAX_COMMENT: usize = 1000;
/// Why the engine's full decision forbids approving (rejecting is always
/// possible): it rejected, or the amount is above the limit it set.
pub(super) fn engine_blocks_approval(full: &DecisionView, amount: Fen) -> Option<ServiceError> {
    if full.outcome == Verdict::Reject {
        return Some(ServiceError::invalid(ErrorCode::EngineRejected));
    }
    match full.limit {
        Some(limit) if amount > limit => Some(ServiceError::Validation {
            code: ErrorCode::EngineLimitExceeded,
            params: vec![("limit", limit.to_grouped_string())],
        }),
        _ => None,
    }
}

/// What approving books, worked out before the transaction (and what a
/// successful payout books, from the terms the approval granted).
pub(super) struct Booking {
    pub rate: AnnualRate,
    pub method: domain::schedule::RepaymentMethod,
    pub schedule: Vec<domain::schedule::Instalment>,
    /// The value date: the day of the approval.
    pub start: Date,
    pub maturity: Date,
    pub order: domain::servicing::ledger::AllocationOrder,
}

/// The final decision's record (审批意见), in the caller's transaction.
async fn insert_approval(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    s: &StaffActor,
    id: &str,
    decision: Decision,
    comment: &str,
    now: i64,
    terms: Option<(AnnualRate, domain::schedule::RepaymentMethod)>,
) -> Result<(), ServiceError> {
    let row = NewApproval {
        id: &new_id(),
        application_id: id,
        approver_id: &s.user_id,
        decision,
        comment,
        created_at: now,
        terms,
    }
    .row();
    sql::insert_rows(tx, "approvals", &APPROVAL_COLUMNS, &[row]).await?;
    Ok(())
}

/// Books the approved loan with its schedule, in the caller's transaction.
pub(super) async fn book_approved(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    key: &crate::audit::checkpoints::AuditKey,
    by: By<'_>,
    id: &str,
    f: &AppFacts,
    b: Booking,
    now: i64,
) -> Result<String, ServiceError> {
    let lid = new_id();
    let today = b.start;
    // 随借随还: the loan is the first draw on a revolving line of the amount
    // approved, open until the loan matures; what is repaid may be drawn
    // again.
    let line_id = match b.method {
        domain::schedule::RepaymentMethod::Revolving => {
            let line = new_id();
            let owner = crate::servicing::lines::LineOwner {
                id: &line,
                bank_id: &f.bank_id,
                branch_id: &f.branch_id,
                customer_id: &f.customer_id,
                product_id: &f.product_id,
            };
            crate::servicing::lines::open_revolving_line(
                tx,
                &owner,
                &f.officer_id,
                f.amount,
                b.start,
                b.maturity,
                now,
            )
            .await?;
            audit::append(
                tx,
                key,
                by.entry(now, "credit_line.granted", "credit_line", &line)
                    .org(f.branch_id.clone())
                    .after(json!({
                        "customer_id": f.customer_id,
                        "product_id": f.product_id,
                        "kind": "revolving",
                        "limit_fen": f.amount.get(),
                        "expires_on": b.maturity.to_string(),
                        "application_id": id,
                    })),
            )
            .await?;
            Some(line)
        }
        _ => None,
    };
    crate::servicing::book_loan(
        tx,
        &crate::servicing::NewLoan {
            id: lid.clone(),
            application_id: id,
            credit_line_id: line_id.as_deref(),
            bank_id: &f.bank_id,
            branch_id: &f.branch_id,
            customer_id: &f.customer_id,
            product_id: &f.product_id,
            principal: f.amount,
            rate: b.rate,
            term_months: f.term_months,
            method: b.method,
            value_date: today,
            maturity: b.maturity,
            schedule: b.schedule,
            order: b.order,
        },
        now,
    )
    .await?;
    audit::append(
        tx,
        key,
        by.entry(now, "loan.created", "loan", &lid)
            .org(f.branch_id.clone())
            .after(json!({
                "application_id": id,
                "principal_fen": f.amount.get(),
                "annual_rate_bp": b.rate.bp(),
                "term_months": f.term_months,
                "method": b.method.as_str(),
                "start_date": today.to_string(),
                "maturity_date": b.maturity.to_string(),
            })),
    )
    .await?;
    Ok(lid)
}

impl crate::applications::Applications<'_> {
    /// Approves or rejects an investigated application. Approval needs the
    /// engine's full decision (run now if there is none): not when it
    /// rejected (`engine_rejected`) nor above its limit
    /// (`engine_limit_exceeded`, param `limit`); a "refer" is the approver's
    /// to judge. Approval grants the engine's rate (the product's when the
    /// engine set none) and the method the applicant chose. When the flow goes on to
    /// contract and disbursement, those terms are kept with the approval,
    /// the contract is drawn up, and the loan is booked when the payout
    /// succeeds (`applications::disbursement`); a flow that ends at
    /// approval books the loan now, in the same transaction, and its id is
    /// returned.
    pub async fn decide(
        self,
        s: &StaffActor,
        id: &str,
        expected_version: i64,
        decision: Decision,
        decline: Option<DeclineCategory>,
        comment: String,
    ) -> Result<Option<String>, ServiceError> {
        if !s.has(Role::Approver) {
            return Err(ServiceError::Forbidden);
        }
        let f = self.facts(id).await?;
        if !s.covers(&f.branch_path) {
            return Err(ServiceError::Forbidden);
        }
        transition(f.status, ApplicationAction::Decide(decision))?;
        check_decline(decision, decline).map_err(ServiceError::invalid)?;
        let investigator = f.investigator_id.clone().ok_or(ServiceError::StaleState)?;
        check_separation(&s.user_id, &f.officer_id, &investigator)?;
        let comment = comment.trim().to_string();
        if comment.chars().count() > MAX_COMMENT {
            return Err(ServiceError::Validation {
                code: ErrorCode::CommentTooLong,
                params: vec![("max", MAX_COMMENT.to_string())],
            });
        }
        let today = self.today();
        // The schedule is pure: work it out before taking any lock. Under a
        // committee the last member's "no" can still approve, so the loan
        // is prepared then too, if the engine allows it.
        let booking = self.booking(s, id, &f, today).await;
        if decision == Decision::Approve {
            if let Err(e) = booking {
                return Err(e);
            }
        }
        let node = f.flow_node.as_ref().ok_or(ServiceError::StaleState)?;
        self.decide_in_flow(
            s,
            id,
            node,
            expected_version,
            &f,
            (decision, decline),
            &comment,
            booking,
        )
        .await
    }

    /// What approving would book: the engine's full decision must allow it
    /// (run now if there is none); the product's terms at the engine's rate.
    async fn booking(
        self,
        s: &StaffActor,
        id: &str,
        f: &AppFacts,
        today: Date,
    ) -> Result<Booking, ServiceError> {
        let full = match latest_decision(&self, id, DecisionStage::Full).await? {
            Some(d) => d,
            None => {
                self.risk().full_decision(s, id).await?;
                latest_decision(&self, id, DecisionStage::Full)
                    .await?
                    .ok_or(ServiceError::StaleState)?
            }
        };
        if let Some(e) = engine_blocks_approval(&full, f.amount) {
            return Err(e);
        }
        let (mut product, _, _) = load_product(&self.db, &f.product_id).await?;
        if let Some(bp) = full.rate_bp {
            product.rate = AnnualRate::from_bp(bp)?;
        }
        let order = crate::servicing::product_allocation_order(&self.db, &f.product_id).await?;
        let (schedule, maturity) = planned(f.method, f.amount, product.rate, f.term_months, today)?;
        Ok(Booking {
            rate: product.rate,
            method: f.method,
            schedule,
            start: today,
            maturity,
            order,
        })
    }

    /// An approver's opinion as a task of the application's flow. When it
    /// completes the node: a pass that leaves approval behind approves the
    /// application and books the loan; a rejection closes it; otherwise the
    /// flow goes on (a second approver, a committee after a disagreement).
    #[allow(clippy::too_many_arguments)]
    async fn decide_in_flow(
        self,
        s: &StaffActor,
        id: &str,
        node: &str,
        expected_version: i64,
        f: &AppFacts,
        (decision, decline): (Decision, Option<DeclineCategory>),
        comment: &str,
        booking: Result<Booking, ServiceError>,
    ) -> Result<Option<String>, ServiceError> {
        let now = self.now();
        let mut tx = self.db.pool.begin().await?;
        let (mut app, current, task) = workflow::take_task(
            &mut tx,
            id,
            node,
            Post::Approval,
            &s.user_id,
            expected_version,
            now,
        )
        .await?;
        let result = workflow::finish_task(
            &mut tx,
            &app,
            &current,
            &task,
            (decision, decline),
            comment,
            now,
        )
        .await?;
        audit::append(
            &mut tx,
            &self.config.audit_key,
            NewAuditEntry::staff(s, now, "task.completed", "application", id)
                .org(app.branch_id.clone())
                .after(json!({
                    "task": task.id,
                    "node": node,
                    "opinion": decision.as_str(),
                    "decline_category": decline.map(DeclineCategory::as_str),
                    "comment": comment,
                })),
        )
        .await?;
        let NodeResult::Done(outcome) = result else {
            tx.commit().await?;
            return Ok(None);
        };
        let next_kind = app
            .flow
            .route(node, outcome, &app.facts)
            .map_err(|e| ServiceError::Internal(format!("route: {e:?}")))?
            .kind;
        let approved = outcome == Outcome::Pass && !matches!(next_kind, NodeKind::Approval { .. });
        let mut log = audit::Batch::default();
        let mut loan_id = None;
        let mut draw_up_contract = false;
        if approved {
            // A committee can approve on the last member's "no": the engine
            // must still allow the loan.
            let booking = booking?;
            let before = app.status;
            workflow::set_status(
                &mut tx,
                &mut app,
                ApplicationAction::Decide(Decision::Approve),
                now,
            )
            .await?;
            workflow::leave(&mut tx, &mut app, outcome, now, By::Staff(s), &mut log).await?;
            // A flow with steps after approval (contract, collateral,
            // disbursement) books the loan when the money goes out, on the
            // terms granted here; one that ends at approval books it now.
            let next = app.current()?.kind;
            let pays_out = !matches!(next, NodeKind::End { .. });
            draw_up_contract = next == NodeKind::ContractSigning;
            let terms = pays_out.then_some((booking.rate, booking.method));
            insert_approval(&mut tx, s, id, Decision::Approve, comment, now, terms).await?;
            if !pays_out {
                let lid = book_approved(
                    &mut tx,
                    &self.config.audit_key,
                    By::Staff(s),
                    id,
                    f,
                    booking,
                    now,
                )
                .await?;
                loan_id = Some(lid);
            }
            audit::append(
                &mut tx,
                &self.config.audit_key,
                NewAuditEntry::staff(s, now, "application.approved", "application", id)
                    .org(app.branch_id.clone())
                    .before(json!({ "status": before.as_str() }))
                    .after(json!({
                        "status": "approved",
                        "node": node,
                        "loan_id": loan_id,
                        "annual_rate_bp": terms.map(|(r, _)| r.bp()),
                        "method": terms.map(|(_, m)| m.as_str()),
                    })),
            )
            .await?;
        } else {
            if outcome == Outcome::Reject {
                insert_approval(&mut tx, s, id, Decision::Reject, comment, now, None).await?;
                audit::append(
                    &mut tx,
                    &self.config.audit_key,
                    NewAuditEntry::staff(s, now, "application.rejected", "application", id)
                        .org(app.branch_id.clone())
                        .after(json!({
                            "node": node,
                            "decline_category": decline.map(DeclineCategory::as_str),
                        })),
                )
                .await?;
            }
            workflow::leave(&mut tx, &mut app, outcome, now, By::Staff(s), &mut log).await?;
        }
        log.write(&mut tx, &self.config.audit_key).await?;
        tx.commit().await?;
        if draw_up_contract {
            // The contract is drawn up at once for the customer to sign; if
            // that fails, the application page offers to draw it up again.
            if let Err(e) = self.contracts().generate_contract(s, id).await {
                tracing::warn!(application = id, %e, "the contract could not be drawn up yet");
            }
        }
        Ok(loan_id)
    }
}
