//! Repayments (还款) through a payment provider.
//!
//! A repayment is a payment order first (`payments`, status `pending`,
//! committed before the provider is called), then the provider's answer: on
//! success the order is marked `succeeded` by a guarded update and the
//! repayment is posted in the same transaction, keyed by the order's
//! reference, so a second notification of the same payment finds the order
//! already settled and posts nothing; on failure the order is marked `failed`
//! and nothing is posted. The customer's page sends its own idempotency key:
//! a double click finds the first order.
//!
//! When the provider's answer is lost (a timeout: the money may or may not
//! have moved) the order stays `pending`; so does one whose process stopped
//! between collecting and posting. [`Servicing::resolve_pending_payments`](crate::servicing::Servicing::resolve_pending_payments)
//! (every minute from the server) asks the provider about each pending order
//! past a grace period: collected ones are posted, uncollected ones fail.
//! Money collected that can no longer be posted (the loan was paid off or
//! closed meanwhile) is refunded through the provider, never kept unposted.

use std::time::Duration;

use async_trait::async_trait;
use domain::error_code::ErrorCode;
use domain::money::Fen;
use domain::org::Role;
use domain::servicing::ledger::{allocate_repayment, IdempotencyKey};
use rand::Rng;
use serde_json::json;

use super::{load_account, posting_rows, store_account, write_postings};
use crate::audit::{self, NewAuditEntry};
use crate::auth::{CustomerActor, StaffActor};
use crate::db::new_id;
use crate::error::ServiceError;
use crate::sql;

/// What the provider is asked to collect.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentOrder {
    /// Our reference, unique per payment; the provider echoes it back.
    pub reference: String,
    pub amount: Fen,
    pub customer_id: String,
}

/// Why a payment did not go through.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PaymentError {
    /// Refused for this payer (e.g. insufficient balance); retrying will not help.
    #[error("declined: {0}")]
    Declined(String),
    /// The provider could not be reached or failed before taking the
    /// order; nothing was collected, retrying may help.
    #[error("provider unavailable: {0}")]
    Unavailable(String),
    /// No answer (a timeout after sending): the money may have moved. The
    /// order stays pending until the provider says what happened.
    #[error("outcome unknown: {0}")]
    Unknown(String),
}

/// What the provider knows of an order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Collection {
    Collected,
    NotCollected,
    /// The provider cannot say yet.
    Unknown,
}

/// Something that collects money from the customer's account.
#[async_trait]
pub trait PaymentProvider: Send + Sync {
    fn name(&self) -> &'static str;
    async fn collect(&self, order: &PaymentOrder) -> Result<(), PaymentError>;
    /// The order's state at the provider (查询订单): for orders whose
    /// answer was lost.
    async fn status(&self, reference: &str) -> Result<Collection, PaymentError>;
    /// Returns collected money to the payer (退款).
    async fn refund(&self, reference: &str, amount: Fen) -> Result<(), PaymentError>;
}

/// DEVELOPMENT ONLY: moves no money. Waits `latency` like a real gateway,
/// declines any amount ending in 0.44 yuan (a test amount: "insufficient
/// balance"), collects an amount ending in 0.55 but loses the answer (a
/// timeout: the order stays pending until asked about), fails at random
/// with `failure_rate_per_mille`, and logs each order. It remembers its
/// orders for the life of the process (to answer `status` and `refund`);
/// after a restart an earlier order reads as never collected, which for a
/// provider that moves no money is the truth.
#[derive(Debug, Clone)]
pub struct DevPaymentProvider {
    latency: Duration,
    failure_rate_per_mille: u32,
    orders: std::sync::Arc<std::sync::Mutex<std::collections::HashMap<String, DevOrder>>>,
}

/// An order as the development provider remembers it.
#[derive(Debug, Clone, Copy)]
struct DevOrder {
    amount: Fen,
    collected: bool,
    refunded: bool,
}

/// Amounts whose last two fen digits are this are collected by the dev
/// provider without an answer reaching us.
pub const LOST_ANSWER_FEN_SUFFIX: i64 = 55;

/// Amounts whose last two fen digits are this are declined by the dev provider.
pub const DECLINED_FEN_SUFFIX: i64 = 44;

impl DevPaymentProvider {
    /// 300 ms latency, no random failures.
    pub fn new() -> Self {
        DevPaymentProvider {
            latency: Duration::from_millis(300),
            failure_rate_per_mille: 0,
            orders: Default::default(),
        }
    }

    pub fn with_latency(mut self, latency: Duration) -> Self {
        self.latency = latency;
        self
    }

    pub fn with_failure_rate(mut self, per_mille: u32) -> Self {
        self.failure_rate_per_mille = per_mille.min(1000);
        self
    }
}

impl Default for DevPaymentProvider {
    fn default() -> Self {
        Self::new()
    }
}

#[async_trait]
impl PaymentProvider for DevPaymentProvider {
    fn name(&self) -> &'static str {
        "dev"
    }

    async fn collect(&self, order: &PaymentOrder) -> Result<(), PaymentError> {
        if !self.latency.is_zero() {
            tokio::time::sleep(self.latency).await;
        }
        let result = if order.amount.get() % 100 == DECLINED_FEN_SUFFIX {
            Err(PaymentError::Declined("insufficient_balance".to_string()))
        } else if self.failure_rate_per_mille > 0
            && rand::rng().random_range(0..1000) < self.failure_rate_per_mille
        {
            Err(PaymentError::Unavailable("simulated outage".to_string()))
        } else if order.amount.get() % 100 == LOST_ANSWER_FEN_SUFFIX {
            Err(PaymentError::Unknown(
                "simulated timeout after collecting".to_string(),
            ))
        } else {
            Ok(())
        };
        let collected = matches!(result, Ok(()) | Err(PaymentError::Unknown(_)));
        if let Ok(mut orders) = self.orders.lock() {
            orders.insert(
                order.reference.clone(),
                DevOrder {
                    amount: order.amount,
                    collected,
                    refunded: false,
                },
            );
        }
        tracing::info!(
            provider = "dev",
            reference = %order.reference,
            amount_fen = order.amount.get(),
            ok = result.is_ok(),
            "payment"
        );
        result
    }

    async fn status(&self, reference: &str) -> Result<Collection, PaymentError> {
        if !self.latency.is_zero() {
            tokio::time::sleep(self.latency).await;
        }
        let orders = self
            .orders
            .lock()
            .map_err(|_| PaymentError::Unavailable("state".to_string()))?;
        Ok(match orders.get(reference) {
            Some(o) if o.collected && !o.refunded => Collection::Collected,
            _ => Collection::NotCollected,
        })
    }

    async fn refund(&self, reference: &str, amount: Fen) -> Result<(), PaymentError> {
        if !self.latency.is_zero() {
            tokio::time::sleep(self.latency).await;
        }
        let mut orders = self
            .orders
            .lock()
            .map_err(|_| PaymentError::Unavailable("state".to_string()))?;
        match orders.get_mut(reference) {
            Some(o) if o.collected && !o.refunded && o.amount == amount => {
                o.refunded = true;
                tracing::info!(
                    provider = "dev",
                    reference,
                    amount_fen = amount.get(),
                    "refund"
                );
                Ok(())
            }
            _ => Err(PaymentError::Declined("not_collected".to_string())),
        }
    }
}

/// How often a collected payment is posted again on a fresh read of its
/// loan when a concurrent write moved the loan first.
const POST_RETRIES: u32 = 50;

/// What [`Servicing::resolve_pending_payments`](crate::servicing::Servicing::resolve_pending_payments) did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PendingResolved {
    pub posted: u64,
    pub refunded: u64,
    pub failed: u64,
    /// Still pending: the provider could not say.
    pub unresolved: u64,
}

/// What a payment order is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Purpose {
    /// 还款 of what is due.
    Repayment,
    /// 提前还款 of this kind and principal (the amount is the day's quote).
    Prepayment {
        kind: domain::servicing::eod::PrepaymentKind,
        principal: Fen,
    },
}

/// The outcome the customer sees.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RepaymentResult {
    pub reference: String,
    pub amount: Fen,
}

impl crate::servicing::Servicing<'_> {
    /// 还款: collects `amount` for one of the customer's loans and posts it.
    /// `client_key` makes a retried request (double click, reload) find the
    /// first order instead of paying twice.
    pub async fn repay(
        self,
        c: &CustomerActor,
        loan_id: &str,
        amount: Fen,
        client_key: &str,
    ) -> Result<RepaymentResult, ServiceError> {
        let client_key = IdempotencyKey::parse(client_key)
            .map_err(|_| ServiceError::invalid(ErrorCode::IdempotencyKeyInvalid))?;
        if amount.get() <= 0 {
            return Err(ServiceError::invalid(ErrorCode::AmountNotPositive));
        }
        // A retry of an order already made: its outcome, not a second payment.
        if let Some(r) = sqlx::query(
            "SELECT reference, loan_id, customer_id, amount_fen, status, failure FROM payments \
             WHERE idempotency_key = $1",
        )
        .bind(client_key.as_str())
        .fetch_optional(&self.db.pool)
        .await?
        {
            if sql::text(&r, "customer_id")? != c.customer_id
                || sql::text(&r, "loan_id")? != loan_id
                || sql::int(&r, "amount_fen")? != amount.get()
            {
                return Err(ServiceError::Duplicate);
            }
            return match sql::text(&r, "status")?.as_str() {
                "failed" => Err(payment_failed(sql::opt_text(&r, "failure")?)),
                "pending" => Err(ServiceError::invalid(ErrorCode::PaymentPending)),
                "refunded" => Err(ServiceError::invalid(ErrorCode::PaymentRefunded)),
                _ => Ok(RepaymentResult {
                    reference: sql::text(&r, "reference")?,
                    amount,
                }),
            };
        }

        let mut conn = self.db.pool.acquire().await?;
        let owner = sqlx::query("SELECT customer_id FROM loans WHERE id = $1")
            .bind(loan_id)
            .fetch_optional(&mut *conn)
            .await?
            .ok_or(ServiceError::NotFound)?;
        if sql::text(&owner, "customer_id")? != c.customer_id {
            return Err(ServiceError::NotFound);
        }
        let account = load_account(&mut conn, loan_id).await?;
        drop(conn);
        if !account.state.status.is_open() {
            return Err(ServiceError::invalid(ErrorCode::LoanClosed));
        }
        let dues = account
            .state
            .dues()
            .map_err(|e| ServiceError::internal("dues", e.code()))?;
        allocate_repayment(amount, dues, account.order).map_err(|e| match e {
            domain::servicing::ledger::LedgerError::ExceedsOutstanding { outstanding } => {
                ServiceError::Validation {
                    code: ErrorCode::RepaymentExceedsDue,
                    params: vec![("due", outstanding.to_grouped_string())],
                }
            }
            other => ServiceError::invalid(other.code()),
        })?;

        let reference = self
            .order_and_collect(c, loan_id, amount, &client_key, Purpose::Repayment)
            .await?;
        if self.payment_status(&reference).await? == "refunded" {
            // The loan no longer owed it (paid meanwhile): returned.
            return Err(ServiceError::invalid(ErrorCode::PaymentRefunded));
        }
        Ok(RepaymentResult { reference, amount })
    }

    /// 柜面还款: the disbursement desk took `amount` in cash (or by card at
    /// the counter) from the borrower and posts it now, for any loan in its
    /// scope: what is due on a loan with a schedule, any part of what is
    /// owed on a revolving (随借随还) one, never more
    /// (`repayment_exceeds_due`). Posted with the account, the ledger and
    /// the line in one transaction guarded by the account's version;
    /// `client_key` makes a double click post once (the second gets the
    /// first's result; the same key with another amount is `duplicate`).
    pub async fn repay_at_counter(
        self,
        s: &StaffActor,
        loan_id: &str,
        amount: Fen,
        client_key: &str,
    ) -> Result<RepaymentResult, ServiceError> {
        if !s.has(Role::Disburser) {
            return Err(ServiceError::Forbidden);
        }
        if amount <= Fen::ZERO {
            return Err(ServiceError::invalid(ErrorCode::AmountNotPositive));
        }
        // The caller's key as any key is checked, then kept apart from the
        // phone's payment references.
        let key = IdempotencyKey::parse(client_key)
            .and_then(|k| IdempotencyKey::parse(&format!("counter-repay:{}", k.as_str())))
            .map_err(|_| ServiceError::invalid(ErrorCode::IdempotencyKeyInvalid))?;
        let loan = sqlx::query(
            "SELECT o.path FROM loans l JOIN organisations o ON o.id = l.branch_id \
             WHERE l.id = $1",
        )
        .bind(loan_id)
        .fetch_optional(&self.db.pool)
        .await?
        .ok_or(ServiceError::NotFound)?;
        if !s.covers(&sql::text(&loan, "path")?) {
            return Err(ServiceError::Forbidden);
        }
        if let Some(done) = self.counter_repayment(loan_id, &key, amount).await? {
            return Ok(done);
        }
        match self.post_counter_repayment(s, loan_id, amount, &key).await {
            // A concurrent click with the same key posted first: its result.
            Err(ServiceError::Duplicate | ServiceError::StaleState) => self
                .counter_repayment(loan_id, &key, amount)
                .await?
                .ok_or(ServiceError::StaleState),
            other => other,
        }
    }

    /// The counter repayment already posted under `key`, if any;
    /// `Duplicate` when the key was used for another amount.
    async fn counter_repayment(
        self,
        loan_id: &str,
        key: &IdempotencyKey,
        amount: Fen,
    ) -> Result<Option<RepaymentResult>, ServiceError> {
        let Some(r) = sqlx::query(
            "SELECT amount_fen FROM postings WHERE loan_id = $1 AND idempotency_key = $2",
        )
        .bind(loan_id)
        .bind(key.as_str())
        .fetch_optional(&self.db.pool)
        .await?
        else {
            return Ok(None);
        };
        if sql::fen(&r, "amount_fen")? != amount {
            return Err(ServiceError::Duplicate);
        }
        Ok(Some(RepaymentResult {
            reference: key.as_str().to_string(),
            amount,
        }))
    }

    async fn post_counter_repayment(
        self,
        s: &StaffActor,
        loan_id: &str,
        amount: Fen,
        key: &IdempotencyKey,
    ) -> Result<RepaymentResult, ServiceError> {
        let now = self.now();
        let mut tx = self.db.begin_write().await?;
        // Inside the write: a click with the same key that committed while
        // this one waited for the writer is found here, not posted twice.
        let posted =
            sqlx::query("SELECT 1 AS n FROM postings WHERE loan_id = $1 AND idempotency_key = $2")
                .bind(loan_id)
                .bind(key.as_str())
                .fetch_optional(&mut *tx)
                .await?;
        if posted.is_some() {
            return Err(ServiceError::Duplicate);
        }
        let account = load_account(&mut tx, loan_id).await?;
        if !account.state.status.is_open() {
            return Err(ServiceError::invalid(ErrorCode::LoanClosed));
        }
        let dues = account
            .state
            .dues()
            .map_err(|e| ServiceError::internal("dues", e.code()))?;
        let due = dues.total().map_err(|e| ServiceError::invalid(e.code()))?;
        if amount > due {
            return Err(ServiceError::Validation {
                code: ErrorCode::RepaymentExceedsDue,
                params: vec![("due", due.to_grouped_string())],
            });
        }
        let on = self.today().max(account.state.last_processed);
        let (new, posting) =
            post_repayment(&mut tx, loan_id, &account, amount, key.clone(), on, now).await?;
        audit::append(
            &mut tx,
            &self.config.audit_key,
            NewAuditEntry::staff(s, now, "loan.repaid", "loan", loan_id).after(json!({
                "reference": key.as_str(),
                "channel": "counter",
                "amount_fen": amount.get(),
                "lines": posting.lines,
                "status": new.status.as_str(),
                "dpd": new.dpd,
            })),
        )
        .await?;
        tx.commit().await?;
        Ok(RepaymentResult {
            reference: key.as_str().to_string(),
            amount,
        })
    }

    /// Makes a payment order of `amount` for `purpose` (committed, and
    /// audited, before the provider is called), has the provider collect it
    /// and posts it (`payment_succeeded`). Returns the order's reference once
    /// collected; an answer lost leaves the order pending
    /// (`PaymentPending`), a refusal fails it (nothing posted).
    pub(super) async fn order_and_collect(
        self,
        c: &CustomerActor,
        loan_id: &str,
        amount: Fen,
        client_key: &IdempotencyKey,
        purpose: Purpose,
    ) -> Result<String, ServiceError> {
        let reference = new_id();
        let now = self.now();
        let (purpose_code, mode, principal) = match purpose {
            Purpose::Repayment => ("repayment", None, None),
            Purpose::Prepayment { kind, principal } => {
                ("prepayment", Some(kind.as_str()), Some(principal.get()))
            }
        };
        let mut tx = self.db.begin_write().await?;
        sqlx::query(
            "INSERT INTO payments (id, reference, loan_id, customer_id, amount_fen, provider, \
               status, idempotency_key, created_at, updated_at, purpose, prepay_mode, \
               prepay_principal_fen) \
             VALUES ($1, $2, $3, $4, $5, $6, 'pending', $7, $8, $8, $9, $10, $11)",
        )
        .bind(new_id())
        .bind(&reference)
        .bind(loan_id)
        .bind(&c.customer_id)
        .bind(amount.get())
        .bind(self.payments.name())
        .bind(client_key.as_str())
        .bind(now)
        .bind(purpose_code)
        .bind(mode)
        .bind(principal)
        .execute(&mut *tx)
        .await
        .map_err(|e| match e {
            // The same key, inserted by a concurrent request a moment ago.
            sqlx::Error::Database(d) if d.is_unique_violation() => ServiceError::Duplicate,
            other => other.into(),
        })?;
        audit::append(
            &mut tx,
            &self.config.audit_key,
            NewAuditEntry::customer(c, now, "payment.requested", "payment", &reference).after(
                json!({
                    "loan_id": loan_id,
                    "amount_fen": amount.get(),
                    "provider": self.payments.name(),
                    "purpose": purpose_code,
                    "prepayment": mode,
                    "principal_fen": principal,
                }),
            ),
        )
        .await?;
        tx.commit().await?;

        let order = PaymentOrder {
            reference: reference.clone(),
            amount,
            customer_id: c.customer_id.clone(),
        };
        match self.payments.collect(&order).await {
            Ok(()) => {
                self.payment_succeeded(&reference).await?;
                Ok(reference)
            }
            // The money may have moved: the order waits for the provider's word.
            Err(PaymentError::Unknown(why)) => {
                tracing::warn!(reference, why, "payment outcome unknown: left pending");
                Err(ServiceError::invalid(ErrorCode::PaymentPending))
            }
            Err(e) => {
                let reason = match &e {
                    PaymentError::Declined(r) => r.clone(),
                    _ => "provider_unavailable".to_string(),
                };
                self.payment_failed(&reference, &reason).await?;
                Err(payment_failed(Some(reason)))
            }
        }
    }

    /// The provider's notice that the payment `reference` went through (also
    /// what its asynchronous callback calls). Posts the repayment once: a
    /// repeated notice finds the order settled and does nothing.
    pub async fn payment_succeeded(self, reference: &str) -> Result<(), ServiceError> {
        // A concurrent payment or the end-of-day batch may move the loan
        // between our read and our guarded write: read it again and post
        // on the new state. Giving up would leave money collected and the
        // order `pending`, unposted.
        let mut attempt = 0;
        loop {
            match self.post_payment(reference).await {
                Err(ServiceError::StaleState) if attempt < POST_RETRIES => {
                    attempt += 1;
                    tokio::task::yield_now().await;
                }
                // Collected, but the loan no longer takes it (paid off or
                // closed meanwhile): the money goes back.
                Err(ServiceError::Validation { code, .. }) => {
                    return self.refund_payment(reference, code.as_str()).await;
                }
                other => return other,
            }
        }
    }

    /// An order's status: pending, succeeded, failed or refunded.
    async fn payment_status(self, reference: &str) -> Result<String, ServiceError> {
        let r = sqlx::query("SELECT status FROM payments WHERE reference = $1")
            .bind(reference)
            .fetch_one(&self.db.pool)
            .await?;
        sql::text(&r, "status")
    }

    /// Returns a collected payment that cannot be posted, through the
    /// provider, and marks the order refunded; a refund the provider refuses
    /// leaves the order pending for the next try.
    async fn refund_payment(self, reference: &str, reason: &str) -> Result<(), ServiceError> {
        let r = sqlx::query("SELECT amount_fen, loan_id FROM payments WHERE reference = $1")
            .bind(reference)
            .fetch_optional(&self.db.pool)
            .await?
            .ok_or(ServiceError::NotFound)?;
        let amount = sql::fen(&r, "amount_fen")?;
        if let Err(e) = self.payments.refund(reference, amount).await {
            tracing::error!(reference, %e, "a collected payment could not be refunded yet");
            return Err(ServiceError::internal("refund", e));
        }
        self.close_pending(
            reference,
            "refunded",
            reason,
            json!({
                "loan_id": sql::text(&r, "loan_id")?,
                "amount_fen": amount.get(),
                "reason": reason,
            }),
        )
        .await
    }

    /// Moves a pending order to `status` ("failed" or "refunded") with its
    /// reason, audited as `payment.<status>` only by the writer whose guarded
    /// update took it: two settling jobs at once record it once.
    async fn close_pending(
        self,
        reference: &str,
        status: &'static str,
        reason: &str,
        after: serde_json::Value,
    ) -> Result<(), ServiceError> {
        let now = self.now();
        let mut tx = self.db.pool.begin().await?;
        let done = sqlx::query(
            "UPDATE payments SET status = $1, failure = $2, updated_at = $3 \
             WHERE reference = $4 AND status = 'pending'",
        )
        .bind(status)
        .bind(reason)
        .bind(now)
        .bind(reference)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 1 {
            let action = format!("payment.{status}");
            audit::append(
                &mut tx,
                &self.config.audit_key,
                NewAuditEntry::system(now, &action, "payment", reference).after(after),
            )
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Settles the orders left `pending` for longer than `grace_ms` with the
    /// provider's word: collected ones are posted (or refunded), uncollected
    /// ones fail, and those the provider cannot answer wait for the next run.
    pub async fn resolve_pending_payments(
        self,
        grace_ms: i64,
    ) -> Result<PendingResolved, ServiceError> {
        let rows = sqlx::query(
            "SELECT reference FROM payments WHERE status = 'pending' AND created_at <= $1 \
             ORDER BY created_at LIMIT 500",
        )
        .bind(self.now() - grace_ms)
        .fetch_all(&self.db.pool)
        .await?;
        let mut out = PendingResolved::default();
        for r in &rows {
            let reference = sql::text(r, "reference")?;
            match self.payments.status(&reference).await {
                Ok(Collection::Collected) => {
                    if let Err(e) = self.payment_succeeded(&reference).await {
                        tracing::warn!(reference, %e, "a collected payment is not settled yet");
                    }
                }
                Ok(Collection::NotCollected) => {
                    self.payment_failed(&reference, "not_collected").await?;
                }
                Ok(Collection::Unknown) | Err(_) => {}
            }
            match self.payment_status(&reference).await?.as_str() {
                "succeeded" => out.posted += 1,
                "refunded" => out.refunded += 1,
                "failed" => out.failed += 1,
                _ => out.unresolved += 1,
            }
        }
        Ok(out)
    }

    /// One try of [`Servicing::payment_succeeded`](crate::servicing::Servicing::payment_succeeded): settles the order and
    /// posts it in one transaction, or leaves both as they were.
    async fn post_payment(self, reference: &str) -> Result<(), ServiceError> {
        let now = self.now();
        let r = sqlx::query(
            "SELECT loan_id, customer_id, amount_fen, status, purpose FROM payments \
             WHERE reference = $1",
        )
        .bind(reference)
        .fetch_optional(&self.db.pool)
        .await?
        .ok_or(ServiceError::NotFound)?;
        if sql::text(&r, "status")? != "pending" {
            return Ok(());
        }
        let loan_id = sql::text(&r, "loan_id")?;
        let amount = sql::fen(&r, "amount_fen")?;
        let key = IdempotencyKey::parse(&format!("pay:{reference}"))
            .map_err(|e| ServiceError::internal("key", e.code()))?;

        let mut tx = self.db.pool.begin().await?;
        let claimed = sqlx::query(
            "UPDATE payments SET status = 'succeeded', updated_at = $1 \
             WHERE reference = $2 AND status = 'pending'",
        )
        .bind(now)
        .bind(reference)
        .execute(&mut *tx)
        .await?;
        if claimed.rows_affected() == 0 {
            return Ok(()); // another notice of the same payment got here first
        }
        if sql::text(&r, "purpose")? == "prepayment" {
            self.post_prepayment(&mut tx, reference, &loan_id, amount, now)
                .await?;
            tx.commit().await?;
            return Ok(());
        }
        let account = load_account(&mut tx, &loan_id).await?;
        let on = self.today().max(account.state.last_processed);
        let (new, posting) =
            post_repayment(&mut tx, &loan_id, &account, amount, key, on, now).await?;
        audit::append(
            &mut tx,
            &self.config.audit_key,
            NewAuditEntry::system(now, "loan.repaid", "loan", &loan_id).after(json!({
                "reference": reference,
                "amount_fen": amount.get(),
                "lines": posting.lines,
                "status": new.status.as_str(),
                "dpd": new.dpd,
            })),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The provider's notice that the payment `reference` was not
    /// collected: the order fails with its reason, nothing is posted.
    pub async fn payment_not_collected(
        self,
        reference: &str,
        reason: &str,
    ) -> Result<(), ServiceError> {
        self.payment_failed(reference, reason).await
    }

    async fn payment_failed(self, reference: &str, reason: &str) -> Result<(), ServiceError> {
        self.close_pending(reference, "failed", reason, json!({ "reason": reason }))
            .await
    }
}

/// Posts a repayment of `amount` in the caller's transaction: the account
/// under its version, the ledger, and the principal given back to the
/// loan's line. The new state and the posting.
async fn post_repayment(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    loan_id: &str,
    account: &super::Account,
    amount: Fen,
    key: IdempotencyKey,
    on: domain::date::Date,
    now: i64,
) -> Result<
    (
        domain::servicing::eod::LoanState,
        domain::servicing::ledger::Posting,
    ),
    ServiceError,
> {
    let (new, posting) = account
        .state
        .repay(amount, account.order, key, on)
        .map_err(|e| ServiceError::invalid(e.code()))?;
    store_account(tx, account, &new, now).await?;
    let (mut p, mut l) = (Vec::new(), Vec::new());
    posting_rows(loan_id, &account.bank_id, &posting, now, &mut p, &mut l)?;
    write_postings(tx, &p, &l).await?;
    let principal_paid = Fen::ZERO - posting.net(domain::servicing::ledger::Account::LoanPrincipal);
    super::lines::release_on_repayment(tx, loan_id, principal_paid, now).await?;
    Ok((new, posting))
}

pub(super) fn payment_failed(reason: Option<String>) -> ServiceError {
    let code = match reason.as_deref() {
        Some("insufficient_balance") => ErrorCode::PaymentDeclined,
        _ => ErrorCode::PaymentUnavailable,
    };
    ServiceError::invalid(code)
}
