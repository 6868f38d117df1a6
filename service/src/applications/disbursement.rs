//! Disbursement (放款): the customer's bound bank account, checked with its
//! holder through the payout provider, and the payout that books the loan.
//!
//! A payout is an order first (`payouts`, `pending`, committed before the
//! provider is called), then the provider's answer. On success the order is
//! claimed by a guarded update and, in that same transaction, the loan is
//! booked on the terms the approval granted (its schedule from the day the
//! money went out) and the flow's disbursement step passes: the loan exists
//! exactly when the money went out, once. On failure the order is marked
//! `failed` with the provider's reason, nothing is booked, and the desk may
//! pay out again. A lost answer leaves the order `pending` until the
//! provider's signed notice ([`Applications::provider_notice`]) or its
//! status ([`Applications::resolve_pending_payouts`], every minute from the
//! server) says what happened. At most one live order per application (a
//! partial unique index): two desks clicking at once pay once.

use domain::date::Date;
use domain::error_code::ErrorCode;
use domain::flow::{NodeKind, NodeType};
use domain::identity::BankAccountNo;
use domain::notice::NoticeKind;
use domain::org::Role;
use domain::schedule::planned;
use domain::servicing::ledger::IdempotencyKey;
use domain::view::{AccountStatus, BankAccountView, DisbursementView, PayoutStatus, PayoutView};
use serde_json::json;

use super::approval::{book_approved, Booking};
use crate::applications::status;
use crate::audit::{self, NewAuditEntry};
use crate::auth::{CustomerActor, StaffActor};
use crate::customers;
use crate::db::new_id;
use crate::error::ServiceError;
use crate::pfi::Field;
use crate::servicing::payouts::{
    AccountCheck, PayoutError, PayoutOrder, PayoutState, ProviderNotice,
};
use crate::sql;
use crate::workflow::{self, By};

/// Staff who register a customer's account at the counter.
const ACCOUNT_BINDERS: [Role; 3] = [Role::Officer, Role::Disburser, Role::BranchHead];
/// The longest bank name accepted, in characters.
const MAX_BANK_NAME: usize = 40;
/// How often a paid order is booked again on a fresh read when a
/// concurrent write moved the application first.
const BOOK_RETRIES: u32 = 20;

fn account_view(r: &sqlx::any::AnyRow) -> Result<BankAccountView, ServiceError> {
    Ok(BankAccountView {
        id: sql::text(r, "id")?,
        account_masked: sql::text(r, "account_masked")?,
        bank_name: sql::text(r, "bank_name")?,
        status: sql::coded(r, "status", AccountStatus::parse)?,
        failure: sql::opt_text(r, "failure")?,
        created_at: sql::int(r, "created_at")?,
    })
}

fn payout_error(reason: &str) -> ServiceError {
    ServiceError::Validation {
        code: ErrorCode::PayoutDeclined,
        params: vec![("reason", reason.to_string())],
    }
}

impl crate::applications::Applications<'_> {
    /// The customer binds their own bank account (绑卡) on the phone.
    pub async fn bind_my_account(
        self,
        c: &CustomerActor,
        account_no: &str,
        bank_name: &str,
    ) -> Result<BankAccountView, ServiceError> {
        self.bind_account(By::Customer(c), &c.customer_id, None, account_no, bank_name)
            .await
    }

    /// Counter staff register the borrower's account of an application in
    /// their scope, with the customer present.
    pub async fn bind_account_for(
        self,
        s: &StaffActor,
        application_id: &str,
        account_no: &str,
        bank_name: &str,
    ) -> Result<BankAccountView, ServiceError> {
        if !s.has_any(&ACCOUNT_BINDERS) {
            return Err(ServiceError::Forbidden);
        }
        let f = self.facts(application_id).await?;
        if !s.covers(&f.branch_path) {
            return Err(ServiceError::Forbidden);
        }
        self.bind_account(
            By::Staff(s),
            &f.customer_id,
            Some(f.branch_id),
            account_no,
            bank_name,
        )
        .await
    }

    /// Checks the account with its holder through the payout provider and
    /// keeps it, verified or not (a failed check is kept so staff see why;
    /// it is never paid into). Binding the same account again checks it
    /// again.
    async fn bind_account(
        self,
        by: By<'_>,
        customer_id: &str,
        branch_id: Option<String>,
        account_no: &str,
        bank_name: &str,
    ) -> Result<BankAccountView, ServiceError> {
        let account =
            BankAccountNo::parse(account_no).map_err(|e| ServiceError::invalid(e.code()))?;
        let bank_name = bank_name.trim();
        if bank_name.is_empty() || bank_name.chars().count() > MAX_BANK_NAME {
            return Err(ServiceError::invalid(ErrorCode::FieldRequired));
        }
        let r =
            sqlx::query("SELECT name, id_number_sealed, phone_sealed FROM customers WHERE id = $1")
                .bind(customer_id)
                .fetch_optional(&self.db.pool)
                .await?
                .ok_or(ServiceError::NotFound)?;
        let keys = &self.config.pfi;
        let check = AccountCheck {
            account_no: account.as_str().to_string(),
            holder_name: sql::text(&r, "name")?,
            id_number: customers::id_number_of(keys, &r)?,
            phone: customers::phone_of(keys, &r)?,
        };
        let (status, failure) = match self.payouts.verify_account(&check).await {
            Ok(()) => (AccountStatus::Verified, None),
            Err(PayoutError::Declined(reason)) => (AccountStatus::Failed, Some(reason)),
            Err(e) => {
                tracing::warn!(%e, "account check: provider unavailable");
                return Err(ServiceError::invalid(ErrorCode::PayoutUnavailable));
            }
        };
        let now = self.now();
        let index = keys.index(Field::BankAccount, account.as_str());
        let masked = account.masked();
        let mut tx = self.db.begin_write().await?;
        let existing =
            sqlx::query("SELECT id FROM bank_accounts WHERE customer_id = $1 AND account_idx = $2")
                .bind(customer_id)
                .bind(&index)
                .fetch_optional(&mut *tx)
                .await?;
        let id = match existing {
            Some(e) => {
                let id = sql::text(&e, "id")?;
                sqlx::query(
                    "UPDATE bank_accounts SET bank_name = $2, status = $3, failure = $4, \
                       verified_at = $5, updated_at = $6, created_at = $6 WHERE id = $1",
                )
                .bind(&id)
                .bind(bank_name)
                .bind(status.as_str())
                .bind(failure.clone())
                .bind((status == AccountStatus::Verified).then_some(now))
                .bind(now)
                .execute(&mut *tx)
                .await?;
                id
            }
            None => {
                let id = new_id();
                sqlx::query(
                    "INSERT INTO bank_accounts (id, customer_id, account_sealed, account_idx, \
                       account_masked, bank_name, status, failure, bound_by, verified_at, \
                       created_at, updated_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11)",
                )
                .bind(&id)
                .bind(customer_id)
                .bind(keys.seal(Field::BankAccount, account.as_str()))
                .bind(&index)
                .bind(&masked)
                .bind(bank_name)
                .bind(status.as_str())
                .bind(failure.clone())
                .bind(match by {
                    By::Staff(s) => s.user_id.clone(),
                    By::Customer(c) => c.customer_id.clone(),
                    By::System => "system".to_string(),
                })
                .bind((status == AccountStatus::Verified).then_some(now))
                .bind(now)
                .execute(&mut *tx)
                .await?;
                id
            }
        };
        let action = match status {
            AccountStatus::Verified => "bank_account.verified",
            AccountStatus::Failed => "bank_account.verification_failed",
        };
        let mut entry = by.entry(now, action, "bank_account", &id).after(json!({
            "customer_id": customer_id,
            "account_masked": masked,
            "bank_name": bank_name,
            "failure": failure,
        }));
        if let Some(b) = branch_id {
            entry = entry.org(b);
        }
        audit::append(&mut tx, &self.config.audit_key, entry).await?;
        tx.commit().await?;
        if let Some(reason) = failure {
            return Err(ServiceError::Validation {
                code: ErrorCode::AccountVerificationFailed,
                params: vec![("reason", reason)],
            });
        }
        let r = sqlx::query("SELECT * FROM bank_accounts WHERE id = $1")
            .bind(&id)
            .fetch_one(&self.db.pool)
            .await?;
        account_view(&r)
    }

    /// The customer's own accounts, newest first.
    pub async fn my_accounts(
        self,
        c: &CustomerActor,
    ) -> Result<Vec<BankAccountView>, ServiceError> {
        self.accounts_of(&c.customer_id).await
    }

    async fn accounts_of(self, customer_id: &str) -> Result<Vec<BankAccountView>, ServiceError> {
        let rows = sqlx::query(
            "SELECT * FROM bank_accounts WHERE customer_id = $1 ORDER BY created_at DESC, id DESC",
        )
        .bind(customer_id)
        .fetch_all(&self.db.pool)
        .await?;
        rows.iter().map(account_view).collect()
    }

    /// The disbursement panel of an application in the viewer's scope.
    pub async fn disbursement(
        self,
        s: &StaffActor,
        application_id: &str,
    ) -> Result<DisbursementView, ServiceError> {
        if !s.has_any(crate::auth::Reading::CustomerFile.readers()) {
            return Err(ServiceError::Forbidden);
        }
        let f = self.facts(application_id).await?;
        if !s.covers(&f.branch_path) {
            return Err(ServiceError::Forbidden);
        }
        let accounts = self.accounts_of(&f.customer_id).await?;
        let rows = sqlx::query(
            "SELECT p.*, b.account_masked, u.display_name FROM payouts p \
             JOIN bank_accounts b ON b.id = p.bank_account_id \
             JOIN staff_users u ON u.id = p.requested_by \
             WHERE p.application_id = $1 ORDER BY p.created_at DESC, p.id DESC",
        )
        .bind(application_id)
        .fetch_all(&self.db.pool)
        .await?;
        let mut payouts = Vec::with_capacity(rows.len());
        for r in &rows {
            payouts.push(PayoutView {
                reference: sql::text(r, "reference")?,
                amount: sql::fen(r, "amount_fen")?,
                account_masked: sql::text(r, "account_masked")?,
                status: sql::coded(r, "status", PayoutStatus::parse)?,
                failure: sql::opt_text(r, "failure")?,
                requested_by: sql::text(r, "display_name")?,
                created_at: sql::int(r, "created_at")?,
                updated_at: sql::int(r, "updated_at")?,
            });
        }
        let loan = sqlx::query("SELECT id FROM loans WHERE application_id = $1")
            .bind(application_id)
            .fetch_optional(&self.db.pool)
            .await?;
        let loan_id = loan.map(|r| sql::text(&r, "id")).transpose()?;
        let contract_signed = self.loan_contract_signed(application_id).await?;
        let blocked = self.disbursement_blocked(s, application_id, &f).await?;
        Ok(DisbursementView {
            application_id: application_id.into(),
            amount: f.amount,
            contract_signed,
            accounts,
            payouts,
            loan_id: loan_id.map(Into::into),
            can_bind_account: s.has_any(&ACCOUNT_BINDERS)
                && blocked != Some(ErrorCode::AlreadyDisbursed),
            can_disburse: s.has(Role::Disburser) && blocked.is_none(),
            blocked_reason: if s.has(Role::Disburser) {
                blocked
            } else {
                None
            },
        })
    }

    async fn loan_contract_signed(self, application_id: &str) -> Result<bool, ServiceError> {
        Ok(sqlx::query(
            "SELECT 1 AS x FROM contracts WHERE application_id = $1 AND kind = 'loan' \
             AND status = 'signed'",
        )
        .bind(application_id)
        .fetch_optional(&self.db.pool)
        .await?
        .is_some())
    }

    /// Why `s` cannot pay this application out now, if anything stops it.
    /// `PayoutPending` or `AlreadyDisbursed` when a payout of the
    /// application is under way or done; `None` otherwise.
    async fn paid_or_paying(self, application_id: &str) -> Result<Option<ErrorCode>, ServiceError> {
        let live = sqlx::query(
            "SELECT status FROM payouts WHERE application_id = $1 AND status <> 'failed'",
        )
        .bind(application_id)
        .fetch_optional(&self.db.pool)
        .await?;
        if let Some(r) = live {
            return Ok(Some(if sql::text(&r, "status")? == "pending" {
                ErrorCode::PayoutPending
            } else {
                ErrorCode::AlreadyDisbursed
            }));
        }
        Ok(
            sqlx::query("SELECT 1 AS x FROM loans WHERE application_id = $1")
                .bind(application_id)
                .fetch_optional(&self.db.pool)
                .await?
                .map(|_| ErrorCode::AlreadyDisbursed),
        )
    }

    async fn disbursement_blocked(
        self,
        s: &StaffActor,
        application_id: &str,
        f: &super::AppFacts,
    ) -> Result<Option<ErrorCode>, ServiceError> {
        if let Some(code) = self.paid_or_paying(application_id).await? {
            return Ok(Some(code));
        }
        let node = match &f.flow_node {
            Some(_) => {
                let mut conn = self.db.pool.acquire().await?;
                workflow::load_app(&mut conn, application_id)
                    .await?
                    .current()
                    .ok()
                    .map(|n| (n.id, n.kind))
            }
            None => None,
        };
        let Some((node_id, kind)) = node else {
            return Ok(Some(ErrorCode::DisbursementNotReady));
        };
        if kind == NodeKind::ContractSigning || !self.loan_contract_signed(application_id).await? {
            return Ok(Some(ErrorCode::ContractNotSigned));
        }
        if kind != NodeKind::Disbursement {
            return Ok(Some(ErrorCode::DisbursementNotReady));
        }
        if let Some(code) = self.collateral_blocks(f, application_id).await? {
            return Ok(Some(code));
        }
        if let Some(code) = self.guarantor_blocks(f, application_id).await? {
            return Ok(Some(code));
        }
        if self.verified_account(&f.customer_id).await?.is_none() {
            return Ok(Some(ErrorCode::AccountNotVerified));
        }
        let mine = sqlx::query(
            "SELECT 1 AS x FROM flow_tasks WHERE application_id = $1 AND node_id = $2 \
             AND status = 'open' AND assignee_id = $3",
        )
        .bind(application_id)
        .bind(&node_id)
        .bind(&s.user_id)
        .fetch_optional(&self.db.pool)
        .await?;
        if mine.is_none() {
            return Ok(Some(ErrorCode::TaskNotAssigned));
        }
        Ok(None)
    }

    /// The newest verified account of the customer: (id, number, bank).
    async fn verified_account(
        self,
        customer_id: &str,
    ) -> Result<Option<(String, String, String)>, ServiceError> {
        let r = sqlx::query(
            "SELECT id, account_sealed, bank_name FROM bank_accounts \
             WHERE customer_id = $1 AND status = 'verified' \
             ORDER BY verified_at DESC, id DESC LIMIT 1",
        )
        .bind(customer_id)
        .fetch_optional(&self.db.pool)
        .await?;
        match r {
            None => Ok(None),
            Some(r) => Ok(Some((
                sql::text(&r, "id")?,
                self.config
                    .pfi
                    .open(Field::BankAccount, &sql::text(&r, "account_sealed")?)?,
                sql::text(&r, "bank_name")?,
            ))),
        }
    }

    /// 放款: the disbursement desk pays the approved loan into the
    /// customer's verified account. Only when the application is at its
    /// disbursement step, the loan contract signed, and the task the
    /// viewer's. `client_key` makes a retried request find the first order.
    /// Returns the booked loan's id; `payout_pending` when the provider's
    /// answer is not known yet, `payout_declined` (param `reason`) or
    /// `payout_unavailable` when nothing was paid.
    pub async fn disburse(
        self,
        s: &StaffActor,
        application_id: &str,
        client_key: &str,
    ) -> Result<String, ServiceError> {
        if !s.has(Role::Disburser) {
            return Err(ServiceError::Forbidden);
        }
        let client_key = IdempotencyKey::parse(client_key)
            .map_err(|_| ServiceError::invalid(ErrorCode::IdempotencyKeyInvalid))?;
        let f = self.facts(application_id).await?;
        if !s.covers(&f.branch_path) {
            return Err(ServiceError::Forbidden);
        }
        // A retry of an order already made: its outcome, not a second payout.
        if let Some(r) = sqlx::query(
            "SELECT reference, application_id, status, failure, loan_id FROM payouts \
             WHERE idempotency_key = $1",
        )
        .bind(client_key.as_str())
        .fetch_optional(&self.db.pool)
        .await?
        {
            if sql::text(&r, "application_id")? != application_id {
                return Err(ServiceError::Duplicate);
            }
            return self.payout_outcome(&sql::text(&r, "reference")?).await;
        }
        if let Some(code) = self.disbursement_blocked(s, application_id, &f).await? {
            // A click at the same moment may have paid out meanwhile and
            // closed the task: that is the answer, not the task.
            let code = self.paid_or_paying(application_id).await?.unwrap_or(code);
            return Err(ServiceError::invalid(code));
        }
        let (account_id, account_no, bank_name) = self
            .verified_account(&f.customer_id)
            .await?
            .ok_or(ServiceError::invalid(ErrorCode::AccountNotVerified))?;
        let holder = sqlx::query("SELECT name FROM customers WHERE id = $1")
            .bind(&f.customer_id)
            .fetch_one(&self.db.pool)
            .await?;
        let reference = new_id();
        let now = self.now();
        let mut tx = self.db.begin_write().await?;
        let inserted = sqlx::query(
            "INSERT INTO payouts (id, reference, application_id, customer_id, bank_account_id, \
               amount_fen, provider, status, idempotency_key, requested_by, created_at, \
               updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, 'pending', $8, $9, $10, $10)",
        )
        .bind(new_id())
        .bind(&reference)
        .bind(application_id)
        .bind(&f.customer_id)
        .bind(&account_id)
        .bind(f.amount.get())
        .bind(self.payouts.name())
        .bind(client_key.as_str())
        .bind(&s.user_id)
        .bind(now)
        .execute(&mut *tx)
        .await;
        match inserted {
            Ok(_) => {}
            // Another request made the live order a moment ago.
            Err(sqlx::Error::Database(d)) if d.is_unique_violation() => {
                return Err(ServiceError::invalid(ErrorCode::PayoutPending));
            }
            Err(e) => return Err(e.into()),
        }
        audit::append(
            &mut tx,
            &self.config.audit_key,
            NewAuditEntry::staff(s, now, "payout.requested", "payout", &reference)
                .org(f.branch_id.clone())
                .after(json!({
                    "application_id": application_id,
                    "amount_fen": f.amount.get(),
                    "provider": self.payouts.name(),
                })),
        )
        .await?;
        tx.commit().await?;

        let order = PayoutOrder {
            reference: reference.clone(),
            amount: f.amount,
            account_no,
            holder_name: sql::text(&holder, "name")?,
            bank_name,
        };
        match self.payouts.pay(&order).await {
            Ok(()) => {
                self.payout_paid(&reference, By::Staff(s)).await?;
            }
            Err(PayoutError::Unknown(why)) => {
                tracing::warn!(reference, why, "payout outcome unknown: left pending");
            }
            Err(PayoutError::Declined(reason)) => {
                self.payout_failed(&reference, &reason).await?;
            }
            Err(PayoutError::Unavailable(why)) => {
                tracing::warn!(reference, why, "payout provider unavailable");
                self.payout_failed(&reference, "provider_unavailable")
                    .await?;
            }
        }
        self.payout_outcome(&reference).await
    }

    /// What became of an order, as `disburse` answers it.
    async fn payout_outcome(self, reference: &str) -> Result<String, ServiceError> {
        let r = sqlx::query("SELECT status, failure, loan_id FROM payouts WHERE reference = $1")
            .bind(reference)
            .fetch_one(&self.db.pool)
            .await?;
        match sql::text(&r, "status")?.as_str() {
            "succeeded" => sql::opt_text(&r, "loan_id")?.ok_or(ServiceError::StaleState),
            "pending" => Err(ServiceError::invalid(ErrorCode::PayoutPending)),
            _ => Err(match sql::opt_text(&r, "failure")?.as_deref() {
                None | Some("provider_unavailable") => {
                    ServiceError::invalid(ErrorCode::PayoutUnavailable)
                }
                Some(reason) => payout_error(reason),
            }),
        }
    }

    /// The money went out: books the loan and passes the disbursement step,
    /// once, however many notices and answers say so.
    async fn payout_paid(self, reference: &str, by: By<'_>) -> Result<(), ServiceError> {
        let mut attempt = 0;
        loop {
            match self.book_payout(reference, by).await {
                Err(ServiceError::StaleState) if attempt < BOOK_RETRIES => {
                    attempt += 1;
                    tokio::task::yield_now().await;
                }
                other => return other,
            }
        }
    }

    /// One try of [`Self::payout_paid`]: claims the order and books the
    /// loan in one transaction, or leaves both as they were.
    async fn book_payout(self, reference: &str, by: By<'_>) -> Result<(), ServiceError> {
        let r = sqlx::query(
            "SELECT p.application_id, p.status, ap.annual_rate_bp, ap.repayment_method \
             FROM payouts p LEFT JOIN approvals ap \
               ON ap.application_id = p.application_id AND ap.decision = 'approve' \
             WHERE p.reference = $1",
        )
        .bind(reference)
        .fetch_optional(&self.db.pool)
        .await?
        .ok_or(ServiceError::NotFound)?;
        if sql::text(&r, "status")? != "pending" {
            return Ok(());
        }
        let application_id = sql::text(&r, "application_id")?;
        let f = self.facts(&application_id).await?;
        let rate = sql::rate(&r, "annual_rate_bp")?;
        let method = sql::method(&r, "repayment_method")?;
        let today: Date = self.today();
        let (schedule, maturity) = planned(method, f.amount, rate, f.term_months, today)?;
        let order = crate::servicing::product_allocation_order(&self.db, &f.product_id).await?;
        let now = self.now();
        let mut tx = self.db.begin_write().await?;
        let claimed = sqlx::query(
            "UPDATE payouts SET status = 'succeeded', updated_at = $1 \
             WHERE reference = $2 AND status = 'pending'",
        )
        .bind(now)
        .bind(reference)
        .execute(&mut *tx)
        .await?;
        if claimed.rows_affected() == 0 {
            return Ok(()); // another answer of the same payout got here first
        }
        let booking = Booking {
            rate,
            method,
            schedule,
            start: today,
            maturity,
            order,
        };
        let loan_id = book_approved(
            &mut tx,
            &self.config.audit_key,
            by,
            &application_id,
            &f,
            booking,
            now,
        )
        .await?;
        sqlx::query("UPDATE payouts SET loan_id = $1 WHERE reference = $2")
            .bind(&loan_id)
            .bind(reference)
            .execute(&mut *tx)
            .await?;
        let mut log = audit::Batch::default();
        log.push(
            by.entry(now, "payout.succeeded", "payout", reference)
                .org(f.branch_id.clone())
                .after(json!({
                    "application_id": application_id,
                    "amount_fen": f.amount.get(),
                    "loan_id": loan_id,
                })),
        );
        workflow::pass_node(
            &mut tx,
            &application_id,
            NodeType::Disbursement,
            "放款成功",
            now,
            by,
            &mut log,
        )
        .await?;
        status::notify(&mut tx, &application_id, NoticeKind::PaidOut, None, now).await?;
        log.write(&mut tx, &self.config.audit_key).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Nothing was paid: the order fails with the provider's reason, audited
    /// once by the writer whose guarded update took it.
    async fn payout_failed(self, reference: &str, reason: &str) -> Result<(), ServiceError> {
        let now = self.now();
        let mut tx = self.db.begin_write().await?;
        let done = sqlx::query(
            "UPDATE payouts SET status = 'failed', failure = $1, updated_at = $2 \
             WHERE reference = $3 AND status = 'pending'",
        )
        .bind(reason)
        .bind(now)
        .bind(reference)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 1 {
            audit::append(
                &mut tx,
                &self.config.audit_key,
                NewAuditEntry::system(now, "payout.failed", "payout", reference)
                    .after(json!({ "reason": reason })),
            )
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Settles payouts left `pending` for longer than `grace_ms` with the
    /// provider's word; those it cannot answer wait for the next run.
    /// Returns how many were settled.
    pub async fn resolve_pending_payouts(self, grace_ms: i64) -> Result<u64, ServiceError> {
        let rows = sqlx::query(
            "SELECT reference FROM payouts WHERE status = 'pending' AND created_at <= $1 \
             ORDER BY created_at LIMIT 500",
        )
        .bind(self.now() - grace_ms)
        .fetch_all(&self.db.pool)
        .await?;
        let mut settled = 0;
        for r in &rows {
            let reference = sql::text(r, "reference")?;
            match self.payouts.status(&reference).await {
                Ok(PayoutState::Paid) => {
                    self.payout_paid(&reference, By::System).await?;
                    settled += 1;
                }
                Ok(PayoutState::NotPaid(reason)) => {
                    self.payout_failed(&reference, &reason).await?;
                    settled += 1;
                }
                Ok(PayoutState::Unknown) | Err(_) => {}
            }
        }
        Ok(settled)
    }

    /// A provider's notice, its signature already checked by the route:
    /// acted on once (a repeat finds its row and does nothing), then kept.
    /// Payout notices book or fail the payout; payment notices post or fail
    /// the repayment. Returns whether it was new.
    pub async fn provider_notice(
        self,
        provider: &str,
        notice: &ProviderNotice,
    ) -> Result<bool, ServiceError> {
        let seen = sqlx::query(
            "SELECT 1 AS x FROM provider_notices WHERE provider = $1 AND notice_id = $2",
        )
        .bind(provider)
        .bind(&notice.notice_id)
        .fetch_optional(&self.db.pool)
        .await?;
        if seen.is_some() {
            return Ok(false);
        }
        let reason = notice.reason.as_deref().unwrap_or("not_paid");
        match (notice.kind.as_str(), notice.outcome.as_str()) {
            ("payout", "paid") => self.payout_paid(&notice.reference, By::System).await?,
            ("payout", "failed") => self.payout_failed(&notice.reference, reason).await?,
            ("payment", "collected") => {
                self.servicing()
                    .payment_succeeded(&notice.reference)
                    .await?
            }
            ("payment", "failed") => {
                self.servicing()
                    .payment_not_collected(&notice.reference, reason)
                    .await?
            }
            _ => return Err(ServiceError::invalid(ErrorCode::InvalidStep)),
        }
        let now = self.now();
        let mut tx = self.db.begin_write().await?;
        let kept = sqlx::query(
            "INSERT INTO provider_notices (provider, notice_id, kind, reference, outcome, \
               received_at) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(provider)
        .bind(&notice.notice_id)
        .bind(&notice.kind)
        .bind(&notice.reference)
        .bind(&notice.outcome)
        .bind(now)
        .execute(&mut *tx)
        .await;
        match kept {
            Ok(_) => {}
            // The same notice, delivered twice at once: acted on once above.
            Err(sqlx::Error::Database(d)) if d.is_unique_violation() => return Ok(false),
            Err(e) => return Err(e.into()),
        }
        audit::append(
            &mut tx,
            &self.config.audit_key,
            NewAuditEntry::system(now, "provider.notice", &notice.kind, &notice.reference).after(
                json!({
                    "provider": provider,
                    "notice_id": notice.notice_id,
                    "outcome": notice.outcome,
                    "reason": notice.reason,
                }),
            ),
        )
        .await?;
        tx.commit().await?;
        Ok(true)
    }
}
