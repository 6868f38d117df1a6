//! The payout provider (放款通道): pays a loan into the customer's bound
//! bank account, checks that an account is the customer's (四要素鉴权), and
//! tells us later what happened to a payout whose answer was lost, on the
//! signed notice route (`POST /notify/{provider}`) and when asked.
//!
//! The use case that pays out and books the loan is
//! `applications::disbursement`; this module is the provider and its
//! development stand-in.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use domain::money::Fen;
use rand::Rng;

/// What the provider is asked to pay.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PayoutOrder {
    /// Our reference, unique per payout; the provider echoes it back.
    pub reference: String,
    pub amount: Fen,
    /// The account's number, opened for this call only.
    pub account_no: String,
    pub holder_name: String,
    pub bank_name: String,
}

/// An account to check against its holder (四要素: account, name, ID
/// number, phone).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountCheck {
    pub account_no: String,
    pub holder_name: String,
    pub id_number: String,
    pub phone: String,
}

/// Why a payout or an account check did not go through.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PayoutError {
    /// Refused (a closed or frozen account, a mismatch); retrying the same
    /// will not help.
    #[error("declined: {0}")]
    Declined(String),
    /// The provider could not be reached or failed before taking the order;
    /// nothing was paid, retrying may help.
    #[error("provider unavailable: {0}")]
    Unavailable(String),
    /// No answer after sending: the money may have gone. The payout stays
    /// pending until the provider's notice or its status says.
    #[error("outcome unknown: {0}")]
    Unknown(String),
}

/// What the provider knows of a payout.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PayoutState {
    Paid,
    /// Not paid, with the provider's reason.
    NotPaid(String),
    /// The provider cannot say yet.
    Unknown,
}

/// A notice the provider sends on its own (异步通知), as the notice route
/// receives it: signed JSON, see `Services::notice_key`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ProviderNotice {
    /// The provider's id of this notice; a repeat carries the same id.
    pub notice_id: String,
    /// `payout` or `payment`.
    pub kind: String,
    /// Our reference of the payout or payment.
    pub reference: String,
    /// `paid` / `collected`, or `failed`.
    pub outcome: String,
    /// The provider's reason when it failed.
    #[serde(default)]
    pub reason: Option<String>,
}

/// Where a provider's notices go: the server gives the development
/// provider a sink that posts them, signed, to its own notice route, as a
/// real provider would.
pub trait NoticeSink: Send + Sync {
    fn deliver(&self, notice: ProviderNotice);
}

/// Something that pays money out to a customer's account.
#[async_trait]
pub trait PayoutProvider: Send + Sync {
    fn name(&self) -> &'static str;
    /// Checks that the account exists and is the holder's.
    async fn verify_account(&self, check: &AccountCheck) -> Result<(), PayoutError>;
    async fn pay(&self, order: &PayoutOrder) -> Result<(), PayoutError>;
    /// The payout's state at the provider (查询): for payouts whose answer
    /// was lost.
    async fn status(&self, reference: &str) -> Result<PayoutState, PayoutError>;
}

/// The development provider's name, in `payouts.provider` and on its notices.
pub const DEV_PROVIDER: &str = "dev";

/// Accounts ending in this fail the development provider's check (the
/// account is not the holder's).
pub const MISMATCH_ACCOUNT_SUFFIX: &str = "0000";
/// Accounts ending in this pass the check but are frozen when paid into.
pub const FROZEN_ACCOUNT_SUFFIX: &str = "4444";
/// Amounts whose last two fen digits are this are paid by the development
/// provider without the answer reaching us; its notice follows.
pub const LOST_ANSWER_FEN_SUFFIX: i64 = 55;

/// DEVELOPMENT ONLY: moves no money. Waits `latency` like a real gateway;
/// refuses the check of an account ending in 0000 and the payout into one
/// ending in 4444 (`account_frozen`); pays an amount ending in 0.55 yuan
/// but loses the answer, then sends its notice after `notice_delay` to the
/// sink, like a real gateway's asynchronous notice; fails at random with
/// `failure_rate_per_mille`. It remembers its payouts for the life of the
/// process to answer `status`.
#[derive(Clone)]
pub struct DevPayoutProvider {
    latency: Duration,
    notice_delay: Duration,
    failure_rate_per_mille: u32,
    paid: Arc<Mutex<HashMap<String, PayoutState>>>,
    sink: Option<Arc<dyn NoticeSink>>,
}

impl DevPayoutProvider {
    /// 300 ms latency, notices 2 s after a lost answer, no random failures.
    pub fn new() -> Self {
        DevPayoutProvider {
            latency: Duration::from_millis(300),
            notice_delay: Duration::from_secs(2),
            failure_rate_per_mille: 0,
            paid: Default::default(),
            sink: None,
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

    /// Sends notices of lost answers to `sink` after `delay`.
    pub fn with_notices(mut self, sink: Arc<dyn NoticeSink>, delay: Duration) -> Self {
        self.sink = Some(sink);
        self.notice_delay = delay;
        self
    }

    async fn wait(&self) {
        if !self.latency.is_zero() {
            tokio::time::sleep(self.latency).await;
        }
    }

    fn remember(&self, reference: &str, state: PayoutState) {
        if let Ok(mut paid) = self.paid.lock() {
            paid.insert(reference.to_string(), state);
        }
    }
}

impl Default for DevPayoutProvider {
    fn default() -> Self {
        Self::new()
    }
}

impl std::fmt::Debug for DevPayoutProvider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DevPayoutProvider")
            .field("latency", &self.latency)
            .field("notices", &self.sink.is_some())
            .finish()
    }
}

#[async_trait]
impl PayoutProvider for DevPayoutProvider {
    fn name(&self) -> &'static str {
        DEV_PROVIDER
    }

    async fn verify_account(&self, check: &AccountCheck) -> Result<(), PayoutError> {
        self.wait().await;
        let ok = !check.account_no.ends_with(MISMATCH_ACCOUNT_SUFFIX);
        tracing::info!(
            provider = DEV_PROVIDER,
            ok,
            "account check (development: nothing checked)"
        );
        if ok {
            Ok(())
        } else {
            Err(PayoutError::Declined("account_mismatch".to_string()))
        }
    }

    async fn pay(&self, order: &PayoutOrder) -> Result<(), PayoutError> {
        self.wait().await;
        let result = if order.account_no.ends_with(FROZEN_ACCOUNT_SUFFIX) {
            Err(PayoutError::Declined("account_frozen".to_string()))
        } else if self.failure_rate_per_mille > 0
            && rand::rng().random_range(0..1000) < self.failure_rate_per_mille
        {
            Err(PayoutError::Unavailable("simulated outage".to_string()))
        } else if order.amount.get() % 100 == LOST_ANSWER_FEN_SUFFIX {
            Err(PayoutError::Unknown(
                "simulated timeout after paying".to_string(),
            ))
        } else {
            Ok(())
        };
        let state = match &result {
            Ok(()) | Err(PayoutError::Unknown(_)) => PayoutState::Paid,
            Err(PayoutError::Declined(r)) => PayoutState::NotPaid(r.clone()),
            Err(PayoutError::Unavailable(_)) => PayoutState::NotPaid("not_received".to_string()),
        };
        self.remember(&order.reference, state);
        tracing::info!(
            provider = DEV_PROVIDER,
            reference = %order.reference,
            amount_fen = order.amount.get(),
            ok = result.is_ok(),
            "payout (development: no money moved)"
        );
        if let (Err(PayoutError::Unknown(_)), Some(sink)) = (&result, &self.sink) {
            let sink = sink.clone();
            let delay = self.notice_delay;
            let notice = ProviderNotice {
                notice_id: format!("dev-{}", order.reference),
                kind: "payout".to_string(),
                reference: order.reference.clone(),
                outcome: "paid".to_string(),
                reason: None,
            };
            tokio::spawn(async move {
                tokio::time::sleep(delay).await;
                sink.deliver(notice);
            });
        }
        result
    }

    async fn status(&self, reference: &str) -> Result<PayoutState, PayoutError> {
        self.wait().await;
        let paid = self
            .paid
            .lock()
            .map_err(|_| PayoutError::Unavailable("state".to_string()))?;
        // After a restart the development provider has forgotten: it moved
        // no money, so "not paid" is the truth.
        Ok(paid
            .get(reference)
            .cloned()
            .unwrap_or_else(|| PayoutState::NotPaid("unknown_reference".to_string())))
    }
}

/// The key that signs and checks providers' notices (HMAC-SHA256), shared
/// with the provider. The development provider's is derived from the audit
/// secret under a label of its own; a real provider's comes with its
/// credentials.
#[derive(Clone)]
pub struct NoticeKey([u8; 32]);

impl NoticeKey {
    pub fn from_secret(secret: &str) -> NoticeKey {
        use sha2::Digest;
        let mut d = sha2::Sha256::new();
        d.update(b"puhui-provider-notice-key\n");
        d.update(secret.as_bytes());
        NoticeKey(d.finalize().into())
    }

    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }
}

impl std::fmt::Debug for NoticeKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("NoticeKey(***)")
    }
}

type NoticeMac = hmac::Hmac<sha2::Sha256>;

/// The MAC of a notice: `timestamp` (epoch seconds), a line feed, the body.
fn notice_mac(key: &[u8], timestamp: i64, body: &[u8]) -> NoticeMac {
    use hmac::Mac;
    let mut mac = <NoticeMac as Mac>::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b"\n");
    mac.update(body);
    mac
}

/// The notice route's signature: HMAC-SHA256 under the provider's notice
/// key over `timestamp` (epoch seconds), a line feed and the body, in hex.
pub fn notice_signature(key: &[u8], timestamp: i64, body: &[u8]) -> String {
    use hmac::Mac;
    hex::encode(notice_mac(key, timestamp, body).finalize().into_bytes())
}

/// Whether `signature` (hex) is the notice key's over the timestamp and
/// body, compared in constant time.
pub fn notice_signature_holds(key: &[u8], timestamp: i64, body: &[u8], signature: &str) -> bool {
    use hmac::Mac;
    match hex::decode(signature.trim()) {
        Ok(given) => notice_mac(key, timestamp, body)
            .verify_slice(&given)
            .is_ok(),
        Err(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_notice_signature_holds_only_for_its_key_time_and_body() {
        let key = b"k".repeat(32);
        let sig = notice_signature(&key, 1_700_000_000, b"{\"a\":1}");
        assert!(notice_signature_holds(
            &key,
            1_700_000_000,
            b"{\"a\":1}",
            &sig
        ));
        assert!(!notice_signature_holds(
            &key,
            1_700_000_001,
            b"{\"a\":1}",
            &sig
        ));
        assert!(!notice_signature_holds(
            &key,
            1_700_000_000,
            b"{\"a\":2}",
            &sig
        ));
        assert!(!notice_signature_holds(
            b"other",
            1_700_000_000,
            b"{\"a\":1}",
            &sig
        ));
        assert!(!notice_signature_holds(
            &key,
            1_700_000_000,
            b"{\"a\":1}",
            "zz"
        ));
    }
}
