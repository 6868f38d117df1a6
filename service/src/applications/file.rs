//! The application file (申请档案) as staff see it, personal information masked.

use domain::application::{ApplicationStatus, Decision};
use domain::error_code::ErrorCode;
use domain::flow::NodeType;
use domain::identity::{mask_id_number, mask_phone};
use domain::notice::DeclineCategory;
use domain::org::Role;
use domain::rules::lifecycle::DecisionStage;
use domain::view::TaskStatus;
use domain::view::{ApprovalView, InvestigationView, StaffApplicationView};

use crate::auth::{Reading, StaffActor};
use crate::customers;
use crate::error::ServiceError;
use crate::risk::decisions::latest_decision;
use crate::sql;

use super::approval::engine_blocks_approval;
use super::loan_of_application;

impl crate::applications::Applications<'_> {
    /// The application file as staff see it, PFI masked; `Forbidden`
    /// outside the user's organisation scope.
    pub async fn application_for_staff(
        self,
        s: &StaffActor,
        id: &str,
    ) -> Result<StaffApplicationView, ServiceError> {
        let f = self.facts(id).await?;
        s.may_read(Reading::CustomerFile, &f.branch_path)?;
        let r = sqlx::query(
            "SELECT a.id, a.customer_id, c.name AS customer_name, c.id_number_sealed, \
                    c.phone_sealed, \
                    p.name_zh, p.name_en, a.amount_fen, a.term_months, \
                    COALESCE(l.annual_rate_bp, ap.annual_rate_bp, p.annual_rate_bp) \
                      AS annual_rate_bp, \
                    COALESCE(l.repayment_method, ap.repayment_method, a.repayment_method, \
                      p.repayment_method) \
                      AS repayment_method, \
                    a.purpose, a.status, a.version, a.officer_id, \
                    u.display_name AS officer_name, b.name AS branch_name, a.submitted_at, \
                    (SELECT MIN(bc.granted_at) FROM bureau_consents bc \
                     WHERE bc.application_id = a.id) AS consent_at, \
                    a.referral_code, ru.display_name AS referral_officer \
             FROM applications a \
             LEFT JOIN referral_codes rc ON rc.code = a.referral_code \
             LEFT JOIN staff_users ru ON ru.id = rc.officer_id \
             JOIN customers c ON c.id = a.customer_id \
             JOIN products p ON p.id = a.product_id \
             JOIN staff_users u ON u.id = a.officer_id \
             JOIN organisations b ON b.id = a.branch_id \
             LEFT JOIN approvals ap ON ap.application_id = a.id AND ap.decision = 'approve' \
             LEFT JOIN loans l ON l.application_id = a.id \
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
        let sql = format!(
            "SELECT u.display_name, ap.decision, ap.comment, ap.created_at, {} \
             FROM approvals ap JOIN staff_users u ON u.id = ap.approver_id \
             WHERE ap.application_id = $1",
            crate::notices::decline_of("ap", "application_id")
        );
        let approval = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(id)
            .fetch_optional(&self.db.pool)
            .await?
            .map(|a| -> Result<ApprovalView, ServiceError> {
                Ok(ApprovalView {
                    approver_name: sql::text(&a, "display_name")?,
                    decision: sql::decision(&a, "decision")?,
                    comment: sql::text(&a, "comment")?,
                    decline: match sql::decision(&a, "decision")? {
                        Decision::Reject => sql::opt_text(&a, "decline_category")?
                            .and_then(|c| DeclineCategory::parse(&c)),
                        Decision::Approve => None,
                    },
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
        let tasks = self.workflow().tasks_of(s, id).await?;
        let mine = |kind: NodeType, status: TaskStatus| match &f.flow_node {
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
            && mine(NodeType::Investigation, TaskStatus::Open);
        // Only an approver facing an investigated application gets a reason;
        // everyone else simply has no decision to make.
        let decides = f.status == ApplicationStatus::Investigated && s.has(Role::Approver);
        let blocked = if !decides {
            None
        } else if !mine(NodeType::Approval, TaskStatus::Open) {
            Some(if mine(NodeType::Approval, TaskStatus::Done) {
                ErrorCode::OpinionGiven
            } else {
                ErrorCode::TaskNotAssigned
            })
        } else {
            None
        };
        let can_decide = decides && blocked.is_none();
        let my_task = self
            .workflow()
            .my_plain_task(s, id, &f.flow_node, &tasks)
            .await?;
        let pre_screen = latest_decision(&self, id, DecisionStage::PreScreen).await?;
        let full_decision = latest_decision(&self, id, DecisionStage::Full).await?;
        let approve_blocked_reason = if can_decide {
            full_decision
                .as_ref()
                .and_then(|d| engine_blocks_approval(d, f.amount))
                .map(|e| e.code())
        } else {
            None
        };
        Ok(StaffApplicationView {
            id: sql::text(&r, "id")?.into(),
            customer_id: sql::text(&r, "customer_id")?.into(),
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
            officer_id: sql::text(&r, "officer_id")?.into(),
            officer_name: sql::text(&r, "officer_name")?,
            branch_name: sql::text(&r, "branch_name")?,
            submitted_at: sql::int(&r, "submitted_at")?,
            consent_at: sql::opt_int(&r, "consent_at")?,
            investigation,
            approval,
            loan_id: loan_id.map(Into::into),
            can_investigate,
            can_decide,
            decide_blocked_reason: blocked,
            pre_screen,
            full_decision,
            approve_blocked_reason,
            flow_node: f.flow_node.clone(),
            my_task,
            tasks,
            referral: match (
                sql::opt_text(&r, "referral_code")?,
                sql::opt_text(&r, "referral_officer")?,
            ) {
                (Some(code), Some(officer_name)) => {
                    Some(domain::view::ReferralView { code, officer_name })
                }
                _ => None,
            },
        })
    }
}
