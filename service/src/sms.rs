//! Text messages to customers' phones, behind a provider interface.
//!
//! Only the development provider exists for now: it sends nothing, writes
//! every message to the `sms_outbox` table (where a developer or a test reads
//! the code) and fails on purpose for the test numbers 1990000xxxx.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use domain::identity::Phone;
use domain::org::Role;
pub use domain::view::SmsMessage;
use rand::Rng;

use crate::auth::StaffActor;
use crate::db::{new_id, Clock, Db};
use crate::error::ServiceError;
use crate::sql;
use crate::Services;

/// Why a message was not sent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SmsError {
    /// The provider refused the message (bad number, blocked, quota).
    #[error("rejected by the provider: {0}")]
    Rejected(String),
    /// The provider could not be reached or failed.
    #[error("provider unavailable: {0}")]
    Unavailable(String),
}

/// Something that delivers a text message to a phone.
#[async_trait]
pub trait SmsProvider: Send + Sync {
    /// A short name recorded with each message ("dev", …).
    fn name(&self) -> &'static str;
    async fn send(&self, phone: &Phone, body: &str) -> Result<(), SmsError>;
}

/// Test numbers that always fail with the development provider.
pub const FAILING_PREFIX: &str = "1990000";

/// DEVELOPMENT ONLY: sends nothing. Waits `latency` like a real gateway,
/// fails for numbers starting with [`FAILING_PREFIX`] and at random with
/// `failure_rate_per_mille`, and records every message in `sms_outbox`.
pub struct DevSmsProvider {
    db: Db,
    clock: Arc<dyn Clock>,
    latency: Duration,
    failure_rate_per_mille: u32,
}

impl DevSmsProvider {
    /// 150 ms latency, no random failures.
    pub fn new(db: Db, clock: Arc<dyn Clock>) -> Self {
        DevSmsProvider {
            db,
            clock,
            latency: Duration::from_millis(150),
            failure_rate_per_mille: 0,
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

impl std::fmt::Debug for DevSmsProvider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DevSmsProvider")
            .field("latency", &self.latency)
            .field("failure_rate_per_mille", &self.failure_rate_per_mille)
            .finish()
    }
}

#[async_trait]
impl SmsProvider for DevSmsProvider {
    fn name(&self) -> &'static str {
        "dev"
    }

    async fn send(&self, phone: &Phone, body: &str) -> Result<(), SmsError> {
        if !self.latency.is_zero() {
            tokio::time::sleep(self.latency).await;
        }
        let failure = if phone.as_str().starts_with(FAILING_PREFIX) {
            Some(SmsError::Rejected("test number".to_string()))
        } else if self.failure_rate_per_mille > 0
            && rand::rng().random_range(0..1000) < self.failure_rate_per_mille
        {
            Some(SmsError::Unavailable("simulated outage".to_string()))
        } else {
            None
        };
        let (status, error) = match &failure {
            Some(e) => ("failed", Some(e.to_string())),
            None => ("sent", None),
        };
        tracing::info!(provider = "dev", phone = %phone.masked(), status, "sms");
        sqlx::query(
            "INSERT INTO sms_outbox (id, phone, body, provider, status, error, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(new_id())
        .bind(phone.as_str())
        .bind(body)
        .bind(self.name())
        .bind(status)
        .bind(error)
        .bind(self.clock.now_millis())
        .execute(&self.db.pool)
        .await
        .map_err(|e| SmsError::Unavailable(format!("outbox: {e}")))?;
        match failure {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }
}

impl Services {
    /// The newest messages of the outbox. With the development provider any
    /// member of staff may look (that is how a demo reads its login codes);
    /// with a real provider only administrators.
    pub async fn sms_outbox(
        &self,
        actor: &StaffActor,
        limit: i64,
    ) -> Result<Vec<SmsMessage>, ServiceError> {
        if self.sms.name() != "dev" && !actor.has(Role::Admin) {
            return Err(ServiceError::Forbidden);
        }
        let rows = sqlx::query(
            "SELECT id, phone, body, provider, status, error, created_at FROM sms_outbox \
             ORDER BY created_at DESC, id DESC LIMIT $1",
        )
        .bind(limit.clamp(1, 500))
        .fetch_all(&self.db.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(SmsMessage {
                    id: sql::text(r, "id")?,
                    phone_masked: domain::identity::mask_phone(&sql::text(r, "phone")?),
                    body: sql::text(r, "body")?,
                    provider: sql::text(r, "provider")?,
                    status: sql::text(r, "status")?,
                    error: sql::opt_text(r, "error")?,
                    created_at: sql::int(r, "created_at")?,
                })
            })
            .collect()
    }
}
