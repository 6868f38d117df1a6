//! Text messages to customers' phones, behind a provider interface.
//!
//! Only the development provider exists for now: it sends nothing, writes
//! every message to the `sms_outbox` table, sealed like all personal
//! information (an administrator reads the code there in demo mode), and
//! fails on purpose for the test numbers 1990000xxxx.

use_cases!(
    /// The use cases of this module, reached as `services.sms()`.
    Sms,
    sms
);

use domain::view::SmsStatus;
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
use crate::pfi::{Field, PfiKeys};
use crate::sql;

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
    keys: PfiKeys,
    latency: Duration,
    failure_rate_per_mille: u32,
}

impl DevSmsProvider {
    /// 150 ms latency, no random failures; the outbox sealed with `keys`.
    pub fn new(db: Db, clock: Arc<dyn Clock>, keys: PfiKeys) -> Self {
        DevSmsProvider {
            db,
            keys,
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
            Some(e) => (SmsStatus::Failed.as_str(), Some(e.to_string())),
            None => (SmsStatus::Sent.as_str(), None),
        };
        tracing::info!(provider = "dev", phone = %phone.masked(), status, "sms");
        sqlx::query(
            "INSERT INTO sms_outbox (id, phone_sealed, phone_idx, body_sealed, provider, status, \
                                     error, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(new_id())
        .bind(self.keys.seal(Field::Phone, phone.as_str()))
        .bind(self.keys.index(Field::Phone, phone.as_str()))
        .bind(self.keys.seal(Field::SmsBody, body))
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

impl Sms<'_> {
    /// May `actor` read the development outbox? Only an administrator, only
    /// in demo mode with the development provider: the outbox holds live
    /// login codes, so anyone else reading it could sign in as any customer.
    /// A real provider keeps no outbox at all.
    pub fn may_read_sms_outbox(self, actor: &StaffActor) -> bool {
        self.config.demo && self.sms.name() == "dev" && actor.has(Role::Admin)
    }

    /// What the user interface shows of `actor`.
    pub fn staff_info(self, actor: &StaffActor) -> domain::view::StaffInfo {
        domain::view::StaffInfo {
            sms_outbox: self.may_read_sms_outbox(actor),
            ..actor.info()
        }
    }

    /// The newest messages of the development outbox that `actor` may see:
    /// an administrator of the union sees every message, one of a bank or
    /// branch only those sent to its own customers' phones.
    pub async fn sms_outbox(
        self,
        actor: &StaffActor,
        limit: i64,
    ) -> Result<Vec<SmsMessage>, ServiceError> {
        if !self.config.demo || self.sms.name() != "dev" {
            return Err(ServiceError::NotFound);
        }
        if !actor.has(Role::Admin) {
            return Err(ServiceError::Forbidden);
        }
        let scope = match actor.bank_id {
            None => String::new(),
            Some(_) => format!("{}%", actor.org_path),
        };
        let rows = sqlx::query(
            "SELECT o.id, o.phone_sealed, o.body_sealed, o.provider, o.status, o.error, \
                    o.created_at \
             FROM sms_outbox o \
             WHERE $1 = '' OR EXISTS (SELECT 1 FROM customers c \
                 JOIN organisations b ON b.id = c.branch_id \
                 WHERE c.phone_idx = o.phone_idx AND b.path LIKE $1) \
             ORDER BY o.created_at DESC, o.id DESC LIMIT $2",
        )
        .bind(scope)
        .bind(limit.clamp(1, 500))
        .fetch_all(&self.db.pool)
        .await?;
        let keys = &self.config.pfi;
        rows.iter()
            .map(|r| {
                Ok(SmsMessage {
                    id: sql::text(r, "id")?,
                    phone_masked: domain::identity::mask_phone(
                        &keys.open(Field::Phone, &sql::text(r, "phone_sealed")?)?,
                    ),
                    body: keys.open(Field::SmsBody, &sql::text(r, "body_sealed")?)?,
                    provider: sql::text(r, "provider")?,
                    status: sql::coded(r, "status", SmsStatus::parse)?,
                    error: sql::opt_text(r, "error")?,
                    created_at: sql::int(r, "created_at")?,
                })
            })
            .collect()
    }
}
