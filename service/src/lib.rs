//! Puhui's use cases and all of its SQL.
//!
//! The app's server functions and the REST API hold one [`Services`] and call
//! a module's use cases through its handle (`services.applications().decide(…)`,
//! see `use_cases!`) with the caller's identity ([`auth::StaffActor`] or
//! [`auth::CustomerActor`]). Every use case checks the role and the
//! organisation scope itself, runs the domain rules, writes in one
//! transaction and appends to the hash-chained audit log in that same
//! transaction. The SQL is portable between SQLite and PostgreSQL through
//! sqlx's `Any` driver (see `docs/architecture.md`, "Data").

/// Gives a module's use cases a handle of their own, reached from
/// [`Services`] by the module's name: a call reads
/// `services.applications().decide(…)`, and the method is in
/// `service/src/applications/` (`grep -rn "fn decide" service/src/applications`).
/// The handle derefs to `Services`, so a use case reads `self.db`,
/// `self.config` and `self.today()` as before.
macro_rules! use_cases {
    ($(#[$doc:meta])* $handle:ident, $accessor:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy)]
        pub struct $handle<'a>(&'a crate::Services);

        impl crate::Services {
            #[doc = concat!("The use cases of `", stringify!($accessor), "`.")]
            pub fn $accessor(&self) -> $handle<'_> {
                $handle(self)
            }
        }

        impl std::ops::Deref for $handle<'_> {
            type Target = crate::Services;
            fn deref(&self) -> &crate::Services {
                self.0
            }
        }
    };
}

pub mod applications;
pub mod audit;
pub mod auth;
pub mod contracts;
mod customers;
pub mod dashboard;
pub mod db;
pub mod demo;
pub mod error;
pub mod loans;
pub mod notices;
pub mod onboarding;
pub mod pfi;
pub mod precredit;
pub mod products;
pub mod reseal;
pub mod risk;
pub mod servicing;
pub mod session_store;
pub mod sms;
pub mod staff;
mod throttle;
pub mod totp;
pub mod uploads;
pub mod visits;
pub mod workflow;

mod sql;

#[cfg(test)]
mod source_scan;

use std::fmt;
use std::sync::Arc;

pub use contracts::esign::{DevESignProvider, ESignProvider};
pub use db::{Backend, Clock, Db, FixedClock, SystemClock};
pub use error::ServiceError;
pub use onboarding::face::{DevFaceProvider, FaceProvider};
pub use onboarding::ocr::{DevOcrProvider, OcrProvider, TesseractOcr};
pub use risk::{BureauProvider, DevBureauProvider};
pub use servicing::payments::{DevPaymentProvider, PaymentProvider};
pub use servicing::payouts::{DevPayoutProvider, PayoutProvider};
pub use sms::{DevSmsProvider, SmsProvider};
pub use uploads::{FsUploadStore, UploadStore};

/// Results of the use cases.
pub type Result<T, E = ServiceError> = std::result::Result<T, E>;

/// Tunable limits of the use cases. `Default` is the development and demo
/// configuration (its pepper is public); production starts from
/// [`ServiceConfig::production`] with its own secrets.
#[derive(Clone)]
pub struct ServiceConfig {
    /// How long a one-time code stays valid.
    pub otp_ttl_secs: i64,
    /// The shortest wait between two codes sent to one phone.
    pub otp_resend_secs: i64,
    /// Codes one phone may receive in 24 hours.
    pub otp_max_per_day: i64,
    /// Wrong guesses allowed against one code.
    pub otp_max_attempts: i64,
    /// Consecutive wrong passwords that lock a staff account.
    pub lockout_threshold: i64,
    /// How long a locked staff account stays locked (and the window in
    /// which an address's failures are counted).
    pub lockout_minutes: i64,
    /// Failed sign-ins (wrong passwords, unknown names, wrong SMS codes)
    /// one address may make in `lockout_minutes` before it must wait.
    pub ip_failure_limit: i64,
    /// Reverse proxies (load balancers) in front of the server: a request
    /// from one of them is from the address its `X-Forwarded-For` names
    /// last. Without this, every client behind a proxy shares its address.
    pub trusted_proxies: Vec<std::net::IpAddr>,
    /// Days a staff password lasts; then the next sign-in must change it.
    pub password_max_age_days: i64,
    /// Earlier passwords a new one may not repeat (the current one besides).
    pub password_history: i64,
    /// Pepper mixed into the hash of every one-time code.
    pub otp_secret: String,
    /// The longest wait for a credit-bureau answer; past it the inquiry
    /// counts as failed and the decision refers.
    pub bureau_timeout_ms: u64,
    /// Applications (and so credit reports pulled) one customer may submit
    /// in a day.
    pub max_applications_per_day: i64,
    /// Demo mode: the demo bank and the development providers' shortcuts
    /// (the SMS outbox) exist. Off in production.
    pub demo: bool,
    /// Signs the audit log's checkpoints ([`audit::checkpoints`]).
    pub audit_key: audit::checkpoints::AuditKey,
    /// Seals signed contracts ([`contracts::SealKey`]), derived from the
    /// audit secret under its own label.
    pub contract_seal: contracts::SealKey,
    /// Signs and checks the payment providers' notices
    /// ([`servicing::payouts::NoticeKey`]), derived from the audit secret
    /// while the development providers are the only ones.
    pub notice_key: servicing::payouts::NoticeKey,
    /// Seals, opens and indexes personal financial information ([`pfi`]).
    pub pfi: pfi::PfiKeys,
    /// Roles whose holders must sign in with a second factor ([`totp`]):
    /// administrators and approvers in production. Others may enrol one.
    pub totp_roles: Vec<domain::org::Role>,
    /// When the server runs the end-of-day batch each day; none: it does
    /// not (tests, `puhui eod` from the operator's own scheduler).
    pub eod_schedule: Option<servicing::eod_runs::EodSchedule>,
}

/// The development secret of the audit key; refused in production.
pub const DEV_AUDIT_SECRET: &str = "puhui-development-audit-key";

impl Default for ServiceConfig {
    fn default() -> Self {
        ServiceConfig {
            otp_ttl_secs: 300,
            otp_resend_secs: 60,
            otp_max_per_day: 10,
            otp_max_attempts: 5,
            lockout_threshold: 5,
            lockout_minutes: 15,
            ip_failure_limit: 30,
            password_max_age_days: 90,
            password_history: 5,
            trusted_proxies: Vec::new(),
            otp_secret: "puhui-development-otp-pepper".to_string(),
            bureau_timeout_ms: 3000,
            max_applications_per_day: 5,
            demo: true,
            audit_key: audit::checkpoints::AuditKey::from_secret(DEV_AUDIT_SECRET),
            contract_seal: contracts::SealKey::from_secret(DEV_AUDIT_SECRET),
            notice_key: servicing::payouts::NoticeKey::from_secret(DEV_AUDIT_SECRET),
            pfi: pfi::PfiKeys::development(),
            // The demo's accounts and passwords are public: a second factor
            // would guard nothing there, so none is required (any account
            // may still enrol one).
            totp_roles: Vec::new(),
            eod_schedule: None,
        }
    }
}

impl ServiceConfig {
    /// Production: the limits of the default, the operator's secrets, and
    /// none of the demo's shortcuts.
    pub fn production(otp_secret: String, audit_secret: &str, pfi: pfi::PfiKeys) -> Self {
        ServiceConfig {
            otp_secret,
            demo: false,
            audit_key: audit::checkpoints::AuditKey::from_secret(audit_secret),
            contract_seal: contracts::SealKey::from_secret(audit_secret),
            notice_key: servicing::payouts::NoticeKey::from_secret(audit_secret),
            pfi,
            totp_roles: vec![domain::org::Role::Admin, domain::org::Role::Approver],
            ..ServiceConfig::default()
        }
    }
}

impl fmt::Debug for ServiceConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServiceConfig")
            .field("otp_ttl_secs", &self.otp_ttl_secs)
            .field("otp_resend_secs", &self.otp_resend_secs)
            .field("otp_max_per_day", &self.otp_max_per_day)
            .field("otp_max_attempts", &self.otp_max_attempts)
            .field("lockout_threshold", &self.lockout_threshold)
            .field("lockout_minutes", &self.lockout_minutes)
            .field("ip_failure_limit", &self.ip_failure_limit)
            .field("password_max_age_days", &self.password_max_age_days)
            .field("password_history", &self.password_history)
            .field("trusted_proxies", &self.trusted_proxies)
            .field("otp_secret", &"***")
            .field("bureau_timeout_ms", &self.bureau_timeout_ms)
            .field("max_applications_per_day", &self.max_applications_per_day)
            .field("demo", &self.demo)
            .field("audit_key", &self.audit_key)
            .field("contract_seal", &self.contract_seal)
            .field("notice_key", &self.notice_key)
            .field("pfi", &self.pfi)
            .field("totp_roles", &self.totp_roles)
            .field("eod_schedule", &self.eod_schedule)
            .finish()
    }
}

/// The facade the app and the server hold: the database, the providers, the
/// clock and the limits. Cheap to clone.
#[derive(Clone)]
pub struct Services {
    pub db: Db,
    pub sms: Arc<dyn SmsProvider>,
    /// Collects repayments; the development provider unless configured.
    pub payments: Arc<dyn PaymentProvider>,
    /// Pays loans out and checks bank accounts; the development provider
    /// unless configured (named "payments" among the development providers:
    /// one payment gateway collects and pays out).
    pub payouts: Arc<dyn PayoutProvider>,
    /// Credit reports; the development provider (synthetic, "DEV") unless configured.
    pub bureau: Arc<dyn BureauProvider>,
    /// Signs contracts for their signers; the development provider unless configured.
    pub esign: Arc<dyn ESignProvider>,
    /// Reads ID cards' photos; the development provider unless configured.
    pub ocr: Arc<dyn OcrProvider>,
    /// Checks selfies against the ID card's holder; the development provider unless configured.
    pub face: Arc<dyn FaceProvider>,
    /// Where uploaded files' (sealed) bytes live.
    pub uploads: Arc<dyn UploadStore>,
    pub clock: Arc<dyn Clock>,
    pub config: ServiceConfig,
    /// Compiled live rule sets, shared by every clone.
    pub(crate) engine: Arc<risk::EngineCache>,
    /// Held while this process runs the end-of-day batch: the scheduler and
    /// an administrator's rerun never run two at once.
    pub(crate) eod_lock: Arc<tokio::sync::Mutex<()>>,
}

impl Services {
    pub fn new(
        db: Db,
        sms: Arc<dyn SmsProvider>,
        clock: Arc<dyn Clock>,
        config: ServiceConfig,
    ) -> Self {
        Services {
            db,
            sms,
            payments: Arc::new(DevPaymentProvider::new()),
            payouts: Arc::new(DevPayoutProvider::new()),
            bureau: Arc::new(DevBureauProvider::new()),
            esign: Arc::new(DevESignProvider::new()),
            ocr: Arc::new(DevOcrProvider::new()),
            face: Arc::new(DevFaceProvider::new()),
            uploads: Arc::new(FsUploadStore::new(
                std::env::temp_dir().join("puhui-uploads"),
            )),
            clock,
            config,
            engine: Arc::new(risk::EngineCache::default()),
            eod_lock: Arc::new(tokio::sync::Mutex::new(())),
        }
    }

    /// The client's address: the TCP peer, or, when the peer is a trusted
    /// proxy, the last address of its `X-Forwarded-For` (the one the proxy
    /// itself saw; earlier entries are the client's own claims).
    pub fn client_address(
        &self,
        peer: Option<std::net::IpAddr>,
        forwarded_for: Option<&str>,
    ) -> Option<std::net::IpAddr> {
        let peer = peer?;
        if !self.config.trusted_proxies.contains(&peer) {
            return Some(peer);
        }
        forwarded_for
            .and_then(|h| h.rsplit(',').next())
            .and_then(|a| a.trim().parse().ok())
            .or(Some(peer))
    }

    /// The development providers this server runs with ("sms", "bureau",
    /// "payments", "esign"): every page then says so.
    pub fn development_providers(&self) -> Vec<&'static str> {
        let mut dev = Vec::new();
        if self.sms.name() == "dev" {
            dev.push("sms");
        }
        if self.bureau.name() == risk::bureau::DEV_PROVIDER {
            dev.push("bureau");
        }
        if self.payments.name() == "dev" || self.payouts.name() == servicing::payouts::DEV_PROVIDER
        {
            dev.push("payments");
        }
        if self.esign.name() == contracts::esign::DEV_PROVIDER {
            dev.push("esign");
        }
        if self.ocr.name() == onboarding::ocr::DEV_PROVIDER {
            dev.push("ocr");
        }
        if self.face.name() == onboarding::face::DEV_PROVIDER {
            dev.push("face");
        }
        dev
    }

    /// The same services with another credit-bureau provider.
    pub fn with_bureau(mut self, bureau: Arc<dyn BureauProvider>) -> Self {
        self.bureau = bureau;
        self
    }

    /// The same services with another e-signature provider.
    pub fn with_esign(mut self, esign: Arc<dyn ESignProvider>) -> Self {
        self.esign = esign;
        self
    }

    /// The same services with another payout provider.
    pub fn with_payouts(mut self, payouts: Arc<dyn PayoutProvider>) -> Self {
        self.payouts = payouts;
        self
    }

    /// The same services with another OCR provider.
    pub fn with_ocr(mut self, ocr: Arc<dyn OcrProvider>) -> Self {
        self.ocr = ocr;
        self
    }

    /// The same services with another face provider.
    pub fn with_face(mut self, face: Arc<dyn FaceProvider>) -> Self {
        self.face = face;
        self
    }

    /// The same services with another upload store.
    pub fn with_uploads(mut self, uploads: Arc<dyn UploadStore>) -> Self {
        self.uploads = uploads;
        self
    }

    /// The same services with another payment provider.
    pub fn with_payments(mut self, payments: Arc<dyn PaymentProvider>) -> Self {
        self.payments = payments;
        self
    }

    /// Now, in epoch milliseconds, from the injected clock.
    pub fn now(&self) -> i64 {
        self.clock.now_millis()
    }

    /// Today's business date in China.
    pub fn today(&self) -> domain::date::Date {
        domain::date::Date::from_epoch_millis(self.now(), domain::date::CHINA_UTC_OFFSET_MINUTES)
    }
}

impl fmt::Debug for Services {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Services")
            .field("backend", &self.db.backend)
            .field("sms", &self.sms.name())
            .field("payments", &self.payments.name())
            .field("payouts", &self.payouts.name())
            .field("bureau", &self.bureau.name())
            .field("esign", &self.esign.name())
            .field("ocr", &self.ocr.name())
            .field("face", &self.face.name())
            .field("uploads", &self.uploads.name())
            .field("config", &self.config)
            .finish()
    }
}
