//! Staff work on applications: the task inbox, the application file, the
//! on-site investigation (下户调查) followed by the engine's full decision,
//! the approval decision (审批) that books the loan on the engine's limit and
//! price, and the customer portrait (客户画像).
//!
//! Every write starts its transaction with the guarded update of the
//! application (`… WHERE id = $1 AND version = $2 AND status = …`), so two
//! people acting on the same application at once cannot both succeed, on
//! SQLite or PostgreSQL.

use domain::application::{
    check_separation, transition, ApplicationAction, ApplicationStatus, Decision,
};
use domain::date::Date;
use domain::duty::Post;
use domain::error_code::ErrorCode;
use domain::flow::{NodeKind, Outcome};
use domain::identity::{mask_id_number, mask_phone};
use domain::money::Fen;
use domain::org::Role;
use domain::rate::AnnualRate;
use domain::rules::lifecycle::DecisionStage;
use domain::rules::rule::Verdict;
use domain::schedule::build_schedule;
use domain::view::TaskStatus;
pub use domain::view::{
    ApprovalView, HouseholdMember, HouseholdView, InvestigationView, Portrait, StaffApplicationView,
};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::audit::{self, NewAuditEntry};
use crate::auth::{Reading, StaffActor};
use crate::customers;
use crate::db::new_id;
use crate::error::ServiceError;
use crate::lending::{loan_of_application, summaries_of_customer};
use crate::loans::loans_of_customer;
use crate::products::load_product;
use crate::risk::authorisations::in_force;
use crate::risk::decisions::{latest_decision, DecisionView};
use crate::sql;
use crate::workflow::{self, By, NodeResult};
use crate::Services;

/// What the investigator found on the visit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvestigationInput {
    pub visited_on: Date,
    pub household_income: Fen,
    pub household_assets: Fen,
    pub household_debts: Fen,
    /// 1 to 2,000 characters.
    pub findings: String,
    pub recommendation: Decision,
    pub recommended_amount: Fen,
}

const MAX_FINDINGS: usize = 2000;
const MAX_COMMENT: usize = 1000;
/// Why the engine's full decision forbids approving (rejecting is always
/// possible): it rejected, or the amount is above the limit it set.
fn engine_blocks_approval(full: &DecisionView, amount: Fen) -> Option<ServiceError> {
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

/// One investigator's report, in the caller's transaction.
async fn insert_investigation(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    s: &StaffActor,
    id: &str,
    task_id: Option<&str>,
    i: &InvestigationInput,
    findings: &str,
    now: i64,
) -> Result<(), ServiceError> {
    sqlx::query(
        "INSERT INTO investigations (id, application_id, task_id, investigator_id, visited_on, \
           household_income_fen, household_assets_fen, household_debts_fen, findings, \
           recommendation, recommended_amount_fen, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
    )
    .bind(new_id())
    .bind(id)
    .bind(task_id)
    .bind(&s.user_id)
    .bind(i.visited_on.to_string())
    .bind(i.household_income.get())
    .bind(i.household_assets.get())
    .bind(i.household_debts.get())
    .bind(findings)
    .bind(i.recommendation.as_str())
    .bind(i.recommended_amount.get())
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// What approving books, worked out before the transaction.
struct Booking {
    rate: AnnualRate,
    method: domain::schedule::RepaymentMethod,
    schedule: Vec<domain::schedule::Instalment>,
    /// The value date: the day of the approval.
    start: Date,
    maturity: Date,
    order: domain::servicing::ledger::AllocationOrder,
}

/// The final decision's record (审批意见), in the caller's transaction.
async fn insert_approval(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    s: &StaffActor,
    id: &str,
    decision: Decision,
    comment: &str,
    now: i64,
) -> Result<(), ServiceError> {
    sqlx::query(
        "INSERT INTO approvals (id, application_id, approver_id, decision, comment, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(new_id())
    .bind(id)
    .bind(&s.user_id)
    .bind(decision.as_str())
    .bind(comment)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Books the approved loan with its schedule, in the caller's transaction.
async fn book_approved(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    key: &crate::audit::checkpoints::AuditKey,
    s: &StaffActor,
    id: &str,
    f: &AppFacts,
    b: Booking,
    now: i64,
) -> Result<String, ServiceError> {
    let lid = new_id();
    let today = b.start;
    crate::servicing::book_loan(
        tx,
        &crate::servicing::NewLoan {
            id: lid.clone(),
            application_id: id,
            credit_line_id: None,
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
        NewAuditEntry::staff(s, now, "loan.created", "loan", &lid)
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

/// The facts of an application that permissions and transitions depend on.
struct AppFacts {
    status: ApplicationStatus,
    officer_id: String,
    branch_id: String,
    branch_path: String,
    customer_id: String,
    product_id: String,
    bank_id: String,
    amount: Fen,
    term_months: u32,
    investigator_id: Option<String>,
    /// Where the application is in its flow; `None` only for a drawdown
    /// under a granted line, which has no flow of its own.
    flow_node: Option<String>,
}

impl Services {
    async fn facts(&self, id: &str) -> Result<AppFacts, ServiceError> {
        let r = sqlx::query(
            "SELECT a.status, a.officer_id, a.branch_id, b.path, a.customer_id, \
                    a.product_id, a.bank_id, a.amount_fen, a.term_months, a.flow_node, \
                    (SELECT i.investigator_id FROM investigations i \
                     WHERE i.application_id = a.id ORDER BY i.created_at LIMIT 1) \
                      AS investigator_id \
             FROM applications a JOIN organisations b ON b.id = a.branch_id \
             WHERE a.id = $1",
        )
        .bind(id)
        .fetch_optional(&self.db.pool)
        .await?
        .ok_or(ServiceError::NotFound)?;
        Ok(AppFacts {
            status: sql::status(&r, "status")?,
            officer_id: sql::text(&r, "officer_id")?,
            branch_id: sql::text(&r, "branch_id")?,
            branch_path: sql::text(&r, "path")?,
            customer_id: sql::text(&r, "customer_id")?,
            product_id: sql::text(&r, "product_id")?,
            bank_id: sql::text(&r, "bank_id")?,
            amount: sql::fen(&r, "amount_fen")?,
            term_months: sql::uint(&r, "term_months")?,
            investigator_id: sql::opt_text(&r, "investigator_id")?,
            flow_node: sql::opt_text(&r, "flow_node")?,
        })
    }

    /// The application file as staff see it, PFI masked; `Forbidden`
    /// outside the user's organisation scope.
    pub async fn application_for_staff(
        &self,
        s: &StaffActor,
        id: &str,
    ) -> Result<StaffApplicationView, ServiceError> {
        let f = self.facts(id).await?;
        s.may_read(Reading::CustomerFile, &f.branch_path)?;
        let r = sqlx::query(
            "SELECT a.id, a.customer_id, c.name AS customer_name, c.id_number_sealed, \
                    c.phone_sealed, \
                    p.name_zh, p.name_en, a.amount_fen, a.term_months, p.annual_rate_bp, \
                    p.repayment_method, a.purpose, a.status, a.version, a.officer_id, \
                    u.display_name AS officer_name, b.name AS branch_name, a.submitted_at, \
                    (SELECT MIN(bc.granted_at) FROM bureau_consents bc \
                     WHERE bc.application_id = a.id) AS consent_at \
             FROM applications a \
             JOIN customers c ON c.id = a.customer_id \
             JOIN products p ON p.id = a.product_id \
             JOIN staff_users u ON u.id = a.officer_id \
             JOIN organisations b ON b.id = a.branch_id \
             WHERE a.id = $1",
        )
        .bind(id)
        .fetch_one(&self.db.pool)
        .await?;
        let investigation = sqlx::query(
            "SELECT u.display_name, i.visited_on, i.household_income_fen, i.household_assets_fen, \
                    i.household_debts_fen, i.findings, i.recommendation, i.recommended_amount_fen, \
                    i.created_at \
             FROM investigations i JOIN staff_users u ON u.id = i.investigator_id \
             WHERE i.application_id = $1 AND NOT EXISTS (SELECT 1 FROM flow_tasks t \
               WHERE t.application_id = i.application_id AND t.post = 'investigation' \
                 AND t.status IN ('open', 'unassigned')) \
             ORDER BY i.created_at LIMIT 1",
        )
        .bind(id)
        .fetch_optional(&self.db.pool)
        .await?
        .map(|i| -> Result<InvestigationView, ServiceError> {
            Ok(InvestigationView {
                investigator_name: sql::text(&i, "display_name")?,
                visited_on: sql::date(&i, "visited_on")?,
                household_income: sql::fen(&i, "household_income_fen")?,
                household_assets: sql::fen(&i, "household_assets_fen")?,
                household_debts: sql::fen(&i, "household_debts_fen")?,
                findings: sql::text(&i, "findings")?,
                recommendation: sql::decision(&i, "recommendation")?,
                recommended_amount: sql::fen(&i, "recommended_amount_fen")?,
                created_at: sql::int(&i, "created_at")?,
            })
        })
        .transpose()?;
        let approval = sqlx::query(
            "SELECT u.display_name, ap.decision, ap.comment, ap.created_at \
             FROM approvals ap JOIN staff_users u ON u.id = ap.approver_id \
             WHERE ap.application_id = $1",
        )
        .bind(id)
        .fetch_optional(&self.db.pool)
        .await?
        .map(|a| -> Result<ApprovalView, ServiceError> {
            Ok(ApprovalView {
                approver_name: sql::text(&a, "display_name")?,
                decision: sql::decision(&a, "decision")?,
                comment: sql::text(&a, "comment")?,
                created_at: sql::int(&a, "created_at")?,
            })
        })
        .transpose()?;
        // The way to the loan only for those who may read its ledger.
        let loan_id = match s.may_read(Reading::Ledger, &f.branch_path) {
            Ok(()) => loan_of_application(&self.db, id).await?,
            Err(_) => None,
        };
        // Only the holder of the open task of the current node may act.
        let tasks = self.tasks_of(s, id).await?;
        let mine = |kind: &str, status: TaskStatus| match &f.flow_node {
            Some(node) => {
                let round = tasks
                    .iter()
                    .filter(|t| &t.node_id == node)
                    .map(|t| t.round)
                    .max();
                tasks.iter().any(|t| {
                    &t.node_id == node
                        && Some(t.round) == round
                        && t.node_kind == kind
                        && t.status == status
                        && t.assignee_id.as_deref() == Some(s.user_id.as_str())
                })
            }
            // Not in a flow (a drawdown under a granted line): no tasks.
            None => false,
        };
        let can_investigate = f.status == ApplicationStatus::Submitted
            && s.has_any(&[Role::Officer, Role::Investigator])
            && mine("investigation", TaskStatus::Open);
        // Only an approver facing an investigated application gets a reason;
        // everyone else simply has no decision to make.
        let decides = f.status == ApplicationStatus::Investigated && s.has(Role::Approver);
        let blocked = if !decides {
            None
        } else if !mine("approval", TaskStatus::Open) {
            Some(if mine("approval", TaskStatus::Done) {
                ErrorCode::OpinionGiven
            } else {
                ErrorCode::TaskNotAssigned
            })
        } else {
            None
        };
        let can_decide = decides && blocked.is_none();
        let my_task = self.my_plain_task(s, id, &f.flow_node, &tasks).await?;
        let pre_screen = latest_decision(self, id, DecisionStage::PreScreen).await?;
        let full_decision = latest_decision(self, id, DecisionStage::Full).await?;
        let approve_blocked_reason = if can_decide {
            full_decision
                .as_ref()
                .and_then(|d| engine_blocks_approval(d, f.amount))
                .map(|e| e.code())
        } else {
            None
        };
        Ok(StaffApplicationView {
            id: sql::text(&r, "id")?,
            customer_id: sql::text(&r, "customer_id")?,
            customer_name: sql::text(&r, "customer_name")?,
            id_number_masked: mask_id_number(&customers::id_number_of(&self.config.pfi, &r)?),
            phone_masked: mask_phone(&customers::phone_of(&self.config.pfi, &r)?),
            product_name_zh: sql::text(&r, "name_zh")?,
            product_name_en: sql::text(&r, "name_en")?,
            amount: sql::fen(&r, "amount_fen")?,
            term_months: sql::uint(&r, "term_months")?,
            rate: sql::rate(&r, "annual_rate_bp")?,
            method: sql::method(&r, "repayment_method")?,
            purpose: sql::text(&r, "purpose")?,
            status: sql::status(&r, "status")?,
            version: sql::int(&r, "version")?,
            officer_id: sql::text(&r, "officer_id")?,
            officer_name: sql::text(&r, "officer_name")?,
            branch_name: sql::text(&r, "branch_name")?,
            submitted_at: sql::int(&r, "submitted_at")?,
            consent_at: sql::opt_int(&r, "consent_at")?,
            investigation,
            approval,
            loan_id,
            can_investigate,
            can_decide,
            decide_blocked_reason: blocked,
            pre_screen,
            full_decision,
            approve_blocked_reason,
            flow_node: f.flow_node.clone(),
            my_task,
            tasks,
        })
    }

    /// Records the on-site investigation, moves the application to
    /// "investigated" and runs the engine's full decision for the approver
    /// (if that fails, the approval runs it again).
    pub async fn record_investigation(
        &self,
        s: &StaffActor,
        id: &str,
        expected_version: i64,
        i: InvestigationInput,
    ) -> Result<(), ServiceError> {
        if !s.has_any(&[Role::Officer, Role::Investigator]) {
            return Err(ServiceError::Forbidden);
        }
        let f = self.facts(id).await?;
        if !s.covers(&f.branch_path) {
            return Err(ServiceError::Forbidden);
        }
        let findings = i.findings.trim().to_string();
        let length = findings.chars().count();
        if length == 0 {
            return Err(ServiceError::invalid(ErrorCode::FindingsMissing));
        }
        if length > MAX_FINDINGS {
            return Err(ServiceError::Validation {
                code: ErrorCode::FindingsTooLong,
                params: vec![("max", MAX_FINDINGS.to_string())],
            });
        }
        let amounts = [
            i.household_income,
            i.household_assets,
            i.household_debts,
            i.recommended_amount,
        ];
        if amounts.iter().any(|a| a.get() < 0) {
            return Err(ServiceError::invalid(ErrorCode::MoneyNegative));
        }
        if i.visited_on > self.today() {
            return Err(ServiceError::invalid(ErrorCode::VisitedOnFuture));
        }
        // Only an application waiting at a node of its flow has an
        // investigation to record (a drawdown under a line has none).
        let node = f.flow_node.as_ref().ok_or(ServiceError::StaleState)?;
        self.investigate_in_flow(s, id, node, expected_version, &i, &findings)
            .await
    }

    /// Approves or rejects an investigated application. Approval needs the
    /// engine's full decision (run now if there is none): not when it
    /// rejected (`engine_rejected`) nor above its limit
    /// (`engine_limit_exceeded`, param `limit`); a "refer" is the approver's
    /// to judge. Approval books the loan at the engine's rate (the product's
    /// when the engine set none) with its schedule in the same transaction
    /// and returns its id.
    pub async fn decide(
        &self,
        s: &StaffActor,
        id: &str,
        expected_version: i64,
        decision: Decision,
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
            decision,
            &comment,
            booking,
        )
        .await
    }

    /// What approving would book: the engine's full decision must allow it
    /// (run now if there is none); the product's terms at the engine's rate.
    async fn booking(
        &self,
        s: &StaffActor,
        id: &str,
        f: &AppFacts,
        today: Date,
    ) -> Result<Booking, ServiceError> {
        let full = match latest_decision(self, id, DecisionStage::Full).await? {
            Some(d) => d,
            None => {
                self.full_decision(s, id).await?;
                latest_decision(self, id, DecisionStage::Full)
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
        let schedule =
            build_schedule(product.method, f.amount, product.rate, f.term_months, today)?;
        let maturity = schedule.last().map_or(today, |i| i.due_date);
        Ok(Booking {
            rate: product.rate,
            method: product.method,
            schedule,
            start: today,
            maturity,
            order,
        })
    }

    /// The on-site investigation as a task of the application's flow: only
    /// its holder reports; back-to-back reports stay sealed until both are
    /// in, and the node's outcome routes the application on.
    async fn investigate_in_flow(
        &self,
        s: &StaffActor,
        id: &str,
        node: &str,
        expected_version: i64,
        i: &InvestigationInput,
        findings: &str,
    ) -> Result<(), ServiceError> {
        let now = self.now();
        let mut tx = self.db.pool.begin().await?;
        let (mut app, current, task) = workflow::take_task(
            &mut tx,
            id,
            node,
            Post::Investigation,
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
            i.recommendation,
            findings,
            now,
        )
        .await?;
        insert_investigation(&mut tx, s, id, Some(&task.id), i, findings, now).await?;
        audit::append(
            &mut tx,
            &self.config.audit_key,
            NewAuditEntry::staff(s, now, "application.investigated", "application", id)
                .org(app.branch_id.clone())
                .after(json!({
                    "task": task.id,
                    "node": node,
                    "visited_on": i.visited_on.to_string(),
                    "recommendation": i.recommendation.as_str(),
                    "recommended_amount_fen": i.recommended_amount.get(),
                })),
        )
        .await?;
        if let NodeResult::Done(outcome) = result {
            let mut log = audit::Batch::default();
            workflow::leave(&mut tx, &mut app, outcome, now, By::Staff(s), &mut log).await?;
            log.write(&mut tx, &self.config.audit_key).await?;
        }
        tx.commit().await?;
        if app.status == ApplicationStatus::Investigated {
            if let Err(e) = self.full_decision(s, id).await {
                tracing::error!(application = %id, error = %e, "full decision failed");
            }
        }
        Ok(())
    }

    /// An approver's opinion as a task of the application's flow. When it
    /// completes the node: a pass that leaves approval behind approves the
    /// application and books the loan; a rejection closes it; otherwise the
    /// flow goes on (a second approver, a committee after a disagreement).
    #[allow(clippy::too_many_arguments)]
    async fn decide_in_flow(
        &self,
        s: &StaffActor,
        id: &str,
        node: &str,
        expected_version: i64,
        f: &AppFacts,
        decision: Decision,
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
        let result =
            workflow::finish_task(&mut tx, &app, &current, &task, decision, comment, now).await?;
        audit::append(
            &mut tx,
            &self.config.audit_key,
            NewAuditEntry::staff(s, now, "task.completed", "application", id)
                .org(app.branch_id.clone())
                .after(json!({
                    "task": task.id,
                    "node": node,
                    "opinion": decision.as_str(),
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
        let mut loan_id = None;
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
            insert_approval(&mut tx, s, id, Decision::Approve, comment, now).await?;
            let lid =
                book_approved(&mut tx, &self.config.audit_key, s, id, f, booking, now).await?;
            audit::append(
                &mut tx,
                &self.config.audit_key,
                NewAuditEntry::staff(s, now, "application.approved", "application", id)
                    .org(app.branch_id.clone())
                    .before(json!({ "status": before.as_str() }))
                    .after(json!({ "status": "approved", "node": node, "loan_id": lid })),
            )
            .await?;
            loan_id = Some(lid);
        } else if outcome == Outcome::Reject {
            insert_approval(&mut tx, s, id, Decision::Reject, comment, now).await?;
            audit::append(
                &mut tx,
                &self.config.audit_key,
                NewAuditEntry::staff(s, now, "application.rejected", "application", id)
                    .org(app.branch_id.clone())
                    .after(json!({ "node": node })),
            )
            .await?;
        }
        let mut log = audit::Batch::default();
        workflow::leave(&mut tx, &mut app, outcome, now, By::Staff(s), &mut log).await?;
        log.write(&mut tx, &self.config.audit_key).await?;
        tx.commit().await?;
        Ok(loan_id)
    }

    /// The customer 360 view. Looking at a customer's personal information
    /// is itself audited.
    pub async fn portrait(
        &self,
        s: &StaffActor,
        customer_id: &str,
    ) -> Result<Portrait, ServiceError> {
        let c = sqlx::query(
            "SELECT c.id, c.name, c.gender, c.birth_date, c.id_number_sealed, c.phone_sealed, \
                    c.occupation, \
                    c.household_id, c.branch_id, b.name AS branch_name, b.path, \
                    u.display_name AS officer_name \
             FROM customers c JOIN organisations b ON b.id = c.branch_id \
             LEFT JOIN staff_users u ON u.id = c.officer_id WHERE c.id = $1",
        )
        .bind(customer_id)
        .fetch_optional(&self.db.pool)
        .await?
        .ok_or(ServiceError::NotFound)?;
        s.may_read(Reading::CustomerFile, &sql::text(&c, "path")?)?;
        let today = self.today();
        let household = match sql::opt_text(&c, "household_id")? {
            Some(hid) => self.household(&hid, today).await?,
            None => None,
        };
        let portrait = Portrait {
            customer_id: sql::text(&c, "id")?,
            name: sql::text(&c, "name")?,
            gender: sql::gender(&c, "gender")?,
            age: sql::age(sql::date(&c, "birth_date")?, today),
            id_number_masked: mask_id_number(&customers::id_number_of(&self.config.pfi, &c)?),
            phone_masked: mask_phone(&customers::phone_of(&self.config.pfi, &c)?),
            occupation: sql::text(&c, "occupation")?,
            branch_name: sql::text(&c, "branch_name")?,
            officer_name: sql::opt_text(&c, "officer_name")?,
            household,
            applications: summaries_of_customer(&self.db, customer_id).await?,
            loans: loans_of_customer(&self.db, customer_id).await?,
            bureau_authorisation: in_force(&self.db, customer_id, today).await?,
        };
        let mut tx = self.db.pool.begin().await?;
        audit::append(
            &mut tx,
            &self.config.audit_key,
            NewAuditEntry::staff(s, self.now(), "customer.viewed", "customer", customer_id)
                .org(sql::text(&c, "branch_id")?),
        )
        .await?;
        tx.commit().await?;
        Ok(portrait)
    }

    async fn household(
        &self,
        id: &str,
        today: Date,
    ) -> Result<Option<HouseholdView>, ServiceError> {
        let Some(h) = sqlx::query(
            "SELECT h.head_name, h.address, h.members, h.annual_income_fen, h.land_area_mu_x10, \
                    h.main_business, v.name AS village, v.township \
             FROM households h JOIN villages v ON v.id = h.village_id WHERE h.id = $1",
        )
        .bind(id)
        .fetch_optional(&self.db.pool)
        .await?
        else {
            return Ok(None);
        };
        let members = sqlx::query(
            "SELECT name, relation_to_head, birth_date FROM customers WHERE household_id = $1 \
             ORDER BY birth_date, name",
        )
        .bind(id)
        .fetch_all(&self.db.pool)
        .await?;
        let mut member_list = members
            .iter()
            .map(|m| {
                Ok(HouseholdMember {
                    name: sql::text(m, "name")?,
                    relation: sql::text(m, "relation_to_head")?,
                    age: sql::age(sql::date(m, "birth_date")?, today),
                })
            })
            .collect::<Result<Vec<_>, ServiceError>>()?;
        member_list.sort_by_key(|m| (m.relation != "head", std::cmp::Reverse(m.age)));
        Ok(Some(HouseholdView {
            village: sql::text(&h, "village")?,
            township: sql::text(&h, "township")?,
            address: sql::text(&h, "address")?,
            head_name: sql::text(&h, "head_name")?,
            members: sql::uint(&h, "members")?,
            annual_income: sql::fen(&h, "annual_income_fen")?,
            land_area_mu_x10: sql::uint(&h, "land_area_mu_x10")?,
            main_business: sql::text(&h, "main_business")?,
            member_list,
        }))
    }
}
