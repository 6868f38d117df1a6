//! The e-signature provider (电子签名服务) the signing path calls: a real one
//! is a CFCA-style service that checks the signer's identity and their drawn
//! signature, signs with the signer's event certificate and keeps the
//! evidence (存证); it answers with its evidence number. Only the
//! development provider exists for now, [`DevESignProvider`], which signs
//! nothing and says so: its evidence numbers start with `DEV-`.

use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

/// What the provider is asked to sign for one signer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ESignRequest {
    pub contract_no: String,
    /// SHA-256 (hex) of the canonical bytes of the contract as signed.
    pub canonical_sha256: String,
    /// The signer's name as signed (the provider checks it against the ID).
    pub signer_name: String,
    pub id_number_masked: String,
    /// SHA-256 (hex) of the drawn signature's image.
    pub signature_sha256: String,
}

/// The provider's answer: who signed it there and its evidence number.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ESignReceipt {
    pub provider: String,
    pub evidence_id: String,
}

/// Why the provider did not sign.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ESignError {
    /// The provider refused (identity not confirmed, signature unreadable).
    #[error("refused by the e-signature provider: {0}")]
    Rejected(String),
    /// The provider could not be reached or failed.
    #[error("e-signature provider unavailable: {0}")]
    Unavailable(String),
}

/// An e-signature service.
#[async_trait]
pub trait ESignProvider: Send + Sync {
    /// A short name recorded with each signing ("dev", …).
    fn name(&self) -> &'static str;
    async fn sign(&self, req: &ESignRequest) -> Result<ESignReceipt, ESignError>;
}

/// The development provider's name.
pub const DEV_PROVIDER: &str = "dev";

/// DEVELOPMENT ONLY: signs nothing and holds no certificate. Waits
/// `latency` like a real service, fails the next `fail_next` calls on
/// purpose ([`DevESignProvider::fail_next`]), and answers with evidence
/// numbers `DEV-<n>` that prove nothing.
#[derive(Debug, Default)]
pub struct DevESignProvider {
    latency: Duration,
    fail_next: AtomicU32,
    issued: AtomicU64,
}

impl DevESignProvider {
    pub fn new() -> Self {
        DevESignProvider {
            latency: Duration::from_millis(150),
            ..Default::default()
        }
    }

    pub fn with_latency(mut self, latency: Duration) -> Self {
        self.latency = latency;
        self
    }

    /// The next `n` calls fail as unavailable (for tests and drills).
    pub fn fail_next(&self, n: u32) {
        self.fail_next.store(n, Ordering::SeqCst);
    }
}

#[async_trait]
impl ESignProvider for DevESignProvider {
    fn name(&self) -> &'static str {
        DEV_PROVIDER
    }

    async fn sign(&self, req: &ESignRequest) -> Result<ESignReceipt, ESignError> {
        if !self.latency.is_zero() {
            tokio::time::sleep(self.latency).await;
        }
        let failing = self
            .fail_next
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_ok();
        if failing {
            return Err(ESignError::Unavailable("development failure".into()));
        }
        if req.canonical_sha256.len() != 64 || req.signature_sha256.len() != 64 {
            return Err(ESignError::Rejected("malformed request".into()));
        }
        let n = self.issued.fetch_add(1, Ordering::SeqCst) + 1;
        Ok(ESignReceipt {
            provider: DEV_PROVIDER.to_string(),
            evidence_id: format!("DEV-{n:08}"),
        })
    }
}
