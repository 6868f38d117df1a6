//! The demo bank's applications in every state, with what each state
//! implies: the bureau consent, the investigation, the decision and, for an
//! approved one, the loan ([`super::loans`]) and 王建国's credit line.

use domain::application::{ApplicationStatus, Decision};
use domain::money::Fen;
use domain::rate::AnnualRate;
use domain::schedule::build_schedule;
use domain::servicing::credit_line::{CreditLine, LineKind};
use domain::servicing::eod::ScheduledInstalment;
use domain::servicing::ledger::AllocationOrder;
use rand::Rng;

use super::names::*;
use super::structure::ProductSpec;
use super::{Generator, HOUR_MS};
use crate::applications::rows::{NewApplicationRow, NewApproval, NewConsent, NewInvestigation};
use crate::error::ServiceError;
use crate::servicing::lines::{LineOwner, NewLine};
use crate::servicing::{schedule_row_paid, NewLoan};

impl Generator {
    fn random_status(&mut self) -> ApplicationStatus {
        match self.rng.random_range(0..100) {
            0..=24 => ApplicationStatus::Submitted,
            25..=39 => ApplicationStatus::Investigated,
            40..=74 => ApplicationStatus::Approved,
            75..=89 => ApplicationStatus::Rejected,
            _ => ApplicationStatus::Withdrawn,
        }
    }

    /// An application of `ctx`'s customer in the state `kind` asks for, with
    /// what that state implies: consent, investigation, decision, loan.
    pub(super) fn application(
        &mut self,
        ctx: &Applicant,
        kind: FixedApp,
    ) -> Result<(), ServiceError> {
        let (status, product_index) = match kind {
            FixedApp::Borrower | FixedApp::OverdueBorrower => (ApplicationStatus::Approved, 0),
            FixedApp::Status(s) => (s, self.rng.random_range(0..3)),
            FixedApp::Random => {
                let s = self.random_status();
                let p = match self.rng.random_range(0..10) {
                    0..=5 => 0,
                    6..=8 => 1,
                    _ => 2,
                };
                (s, p)
            }
        };
        let product_id = self.products[ctx.bank][product_index].id.clone();
        let spec = self.products[ctx.bank][product_index].spec;
        let (amount, term) = match kind {
            FixedApp::Borrower => (Fen::from_yuan(50_000), 12),
            FixedApp::OverdueBorrower => (Fen::from_yuan(6_000), 6),
            _ => self.amount_and_term(spec),
        };
        // The overdue loan's value date: its second due date five days ago.
        let overdue_start = (50..80)
            .map(|k| self.today.add_days(-k))
            .find(|d| d.add_months(2) == self.today.add_days(-5))
            .unwrap_or(self.today.add_days(-66));
        let purpose = self.pick(&spec.purposes);

        // Days before today: later states need room for the steps before them.
        let submitted_ago: i64 = match (kind, status) {
            (FixedApp::Borrower, _) => 12,
            (FixedApp::OverdueBorrower, _) => overdue_start.days_until(self.today) + 6,
            (_, ApplicationStatus::Submitted) => self.rng.random_range(0..30),
            (_, ApplicationStatus::Investigated) | (_, ApplicationStatus::Withdrawn) => {
                self.rng.random_range(1..30)
            }
            _ => self.rng.random_range(2..30),
        };
        let investigated_ago = submitted_ago - self.rng.random_range(1..=submitted_ago.clamp(1, 3));
        let investigated_ago = investigated_ago.max(1);
        let decided_ago =
            (investigated_ago - self.rng.random_range(0..=(investigated_ago - 1).min(2))).max(1);

        let aid = self.id();
        let submitted_at = self.work_time(submitted_ago);
        let investigated_at = self.work_time(investigated_ago).max(submitted_at + HOUR_MS);
        let decided_at = self.work_time(decided_ago).max(investigated_at + HOUR_MS);
        let submitted_on = self.today.add_days(-submitted_ago);

        let team = &self.branch_staff[ctx.bank][ctx.branch];
        let investigator = if !team.investigators.is_empty() && self.rng.random_bool(0.3) {
            team.investigators[0].clone()
        } else {
            ctx.officer_id.clone()
        };
        let approver = if matches!(kind, FixedApp::Borrower | FixedApp::OverdueBorrower) {
            self.staff_id("approver1")
        } else {
            let approvers = &self.branch_staff[ctx.bank][ctx.branch].approvers;
            approvers[self.rng.random_range(0..approvers.len())].clone()
        };

        let investigated = matches!(
            status,
            ApplicationStatus::Investigated
                | ApplicationStatus::Approved
                | ApplicationStatus::Rejected
        );
        let decided = matches!(
            status,
            ApplicationStatus::Approved | ApplicationStatus::Rejected
        );
        let (version, updated_at, decided_col) = match status {
            ApplicationStatus::Submitted => (1, submitted_at, None),
            ApplicationStatus::Investigated => (2, investigated_at, None),
            ApplicationStatus::Withdrawn => (2, submitted_at + 2 * HOUR_MS, None),
            _ => (3, decided_at, Some(decided_at)),
        };
        let bank_id = self.banks[ctx.bank].id.clone();
        let branch_id = self.branches[ctx.bank][ctx.branch].id.clone();
        let row = NewApplicationRow {
            id: &aid,
            bank_id: &bank_id,
            branch_id: &branch_id,
            customer_id: &ctx.customer_id,
            product_id: &product_id,
            amount,
            term_months: term,
            purpose,
            status,
            officer_id: &ctx.officer_id,
            idempotency_key: &format!("demo-{aid}"),
            submitted_at,
            submitted_on,
            decided_at: decided_col,
            version,
            updated_at,
            product_version_id: None,
            choice: None,
        }
        .row();
        self.buf.applications.push(row);
        let consent = NewConsent {
            id: &self.id(),
            customer_id: &ctx.customer_id,
            application_id: &aid,
            consent_version: crate::applications::CONSENT_VERSION,
            granted_at: submitted_at,
        }
        .row();
        self.buf.bureau_consents.push(consent);
        self.summary.applications += 1;
        self.applications_made += 1;

        if investigated {
            let recommend_reject =
                status == ApplicationStatus::Rejected && self.rng.random_bool(0.7);
            let template = if recommend_reject {
                self.pick(&FINDINGS_BAD)
            } else {
                self.pick(&FINDINGS_GOOD)
            };
            let findings = template
                .replace("{business}", ctx.business)
                .replace("{members}", &ctx.members.to_string());
            let income = ctx.income_yuan * 100;
            let assets = self.rng.random_range(50..=800) * 100_000;
            let debts = if recommend_reject {
                assets / 2
            } else {
                self.rng.random_range(0..=assets / 3)
            };
            let (recommendation, recommended) = if recommend_reject {
                (Decision::Reject, Fen::ZERO)
            } else {
                (Decision::Approve, amount)
            };
            let row = NewInvestigation {
                id: &self.id(),
                application_id: &aid,
                task_id: None,
                investigator_id: &investigator,
                visited_on: self.today.add_days(-investigated_ago),
                household_income: Fen(income),
                household_assets: Fen(assets),
                household_debts: Fen(debts),
                findings: &findings,
                recommendation,
                recommended_amount: recommended,
                created_at: investigated_at,
            }
            .row();
            self.buf.investigations.push(row);
        }
        if decided {
            let decision = if status == ApplicationStatus::Approved {
                Decision::Approve
            } else {
                Decision::Reject
            };
            let comment = match decision {
                Decision::Approve => self.pick(&APPROVE_COMMENTS),
                Decision::Reject => self.pick(&REJECT_COMMENTS),
            };
            let row = NewApproval {
                id: &self.id(),
                application_id: &aid,
                approver_id: &approver,
                decision,
                comment,
                created_at: decided_at,
                // The demo books its approved loans with their approval.
                terms: None,
            }
            .row();
            self.buf.approvals.push(row);
        }
        if status == ApplicationStatus::Approved {
            let start = if matches!(kind, FixedApp::OverdueBorrower) {
                overdue_start
            } else if self.portfolio {
                // Anywhere in its term, so some fall due on any given day.
                let span = i64::from(term) * 30;
                self.today.add_days(-self.rng.random_range(1..=span))
            } else {
                self.today.add_days(-decided_ago)
            };
            let rate = AnnualRate::from_bp(spec.rate_bp)?;
            let schedule = build_schedule(spec.method, amount, rate, term, start)?;
            let maturity = schedule.last().map_or(start, |i| i.due_date);
            let loan = NewLoan {
                id: self.id(),
                application_id: &aid,
                credit_line_id: None,
                bank_id: &bank_id,
                branch_id: &branch_id,
                customer_id: &ctx.customer_id,
                product_id: &product_id,
                principal: amount,
                rate,
                term_months: term,
                method: spec.method,
                value_date: start,
                maturity,
                schedule,
                order: AllocationOrder::default(),
            };
            self.buf.loans.push(loan.row(decided_at));
            let (lid, schedule) = (&loan.id, &loan.schedule);
            if self.portfolio || matches!(kind, FixedApp::OverdueBorrower) {
                let overdue = matches!(kind, FixedApp::OverdueBorrower).then_some(true);
                self.migrated(lid, ctx.bank, rate, schedule, start, decided_at, overdue)?;
            } else {
                for i in schedule {
                    let unpaid = ScheduledInstalment {
                        instalment: *i,
                        paid_principal: Fen::ZERO,
                        paid_interest: Fen::ZERO,
                    };
                    self.buf.loan_schedule.push(schedule_row_paid(lid, &unpaid));
                }
                self.account(lid, ctx.bank, rate, amount, schedule, start, decided_at)?;
            }
            self.summary.loans += 1;
            if matches!(kind, FixedApp::Borrower) {
                // 王建国 also holds a revolving line (授信) he can draw on.
                let line = CreditLine::grant(
                    LineKind::Revolving,
                    Fen::from_yuan(100_000),
                    &ctx.officer_id,
                    start,
                    start.add_months(24),
                )
                .map_err(|e| ServiceError::internal("demo line", e.code()))?;
                let owner = LineOwner {
                    id: &self.id(),
                    bank_id: &bank_id,
                    branch_id: &branch_id,
                    customer_id: &ctx.customer_id,
                    product_id: &product_id,
                };
                let row = NewLine {
                    owner: &owner,
                    line: &line,
                    granted_on: start,
                    created_at: decided_at,
                }
                .row();
                self.buf.credit_lines.push(row);
            }
        }
        Ok(())
    }

    /// An amount in whole thousands of yuan (small ones more likely) and a
    /// usual term within the product's range (at most five years here).
    pub(super) fn amount_and_term(&mut self, spec: &ProductSpec) -> (Fen, u32) {
        let u: f64 = self.rng.random();
        let span = (spec.max_yuan - spec.min_yuan) as f64;
        // Statistics, not money: the float only shapes the distribution.
        let raw = spec.min_yuan + (span * u * u) as i64;
        let thousands = ((raw + 500) / 1000 * 1000).clamp(spec.min_yuan, spec.max_yuan);
        let terms: Vec<u32> = [6, 12, 18, 24, 36, 48, 60]
            .into_iter()
            .filter(|t| (spec.min_term..=spec.max_term).contains(t))
            .collect();
        let term = if terms.is_empty() {
            spec.min_term
        } else {
            self.pick(&terms)
        };
        (Fen::from_yuan(thousands), term)
    }
}

#[derive(Debug, Clone, Copy)]
pub(super) enum FixedApp {
    /// 王建国's approved loan.
    Borrower,
    /// 王建国's older loan: 6,000 yuan over 6 months, the second instalment
    /// five days overdue (the demo's repayment and overdue case).
    OverdueBorrower,
    /// One of the first applications, which cover every status.
    Status(ApplicationStatus),
    Random,
}

pub(super) struct Applicant {
    pub(super) bank: usize,
    pub(super) branch: usize,
    pub(super) customer_id: String,
    pub(super) officer_id: String,
    pub(super) business: &'static str,
    pub(super) members: u32,
    pub(super) income_yuan: i64,
}
