//! Electronic contracts (电子合同, 签约): templates per product under
//! maker-checker ([`templates`]); contracts drawn up from an approved
//! application's terms and signed by the customer with an SMS code and a
//! drawn signature, then sealed by the bank ([`sign`]); and the check of an
//! exported contract file ([`verify`]). Each signer's signature also goes
//! through the e-signature provider ([`esign`]).
//!
//! Tamper evidence: when the customer has signed, the service builds the
//! `domain::contract::SignedContent` (the text, the template version and
//! the signers, the bank last), hashes its canonical bytes with SHA-256 and
//! signs the hash with the bank's contract-sealing key ([`SealKey`], ed25519,
//! derived from the audit secret under its own label). Anyone holding the
//! exported file and the bank's public key can check that not one byte
//! changed.

use_cases!(
    /// The use cases of this module, reached as `services.contracts()`.
    Contracts,
    contracts
);

pub mod esign;
pub mod guarantee;
pub mod sign;
pub mod templates;
pub mod verify;

use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};
use sha2::{Digest, Sha256};

pub use domain::view::{ContractStatus, ContractView, Verification};
pub use templates::{ResolvedTemplate, TemplateDraft, TemplateStatus, TemplateView};

/// What the bank's seal signs: this label, then the 32 bytes of the
/// SHA-256 of the canonical bytes.
const SEAL_LABEL: &[u8] = b"PUHUI-CONTRACT-SEAL-1\n";

/// The bank's contract-sealing key (ed25519), derived from the operator's
/// audit secret (`PUHUI_AUDIT_KEY`) under a label of its own, so it is
/// neither the audit checkpoint key nor computable without the secret.
#[derive(Clone)]
pub struct SealKey {
    signing: SigningKey,
}

impl SealKey {
    /// The key for a secret: SHA-256 over the label and the secret.
    pub fn from_secret(secret: &str) -> SealKey {
        let mut d = Sha256::new();
        d.update(b"puhui-contract-seal-key\n");
        d.update(secret.as_bytes());
        SealKey {
            signing: SigningKey::from_bytes(&d.finalize().into()),
        }
    }

    /// The public key, hex: what a verifier needs.
    pub fn public_hex(&self) -> String {
        hex::encode(self.signing.verifying_key().to_bytes())
    }

    /// The seal (signature, hex) over a canonical form's SHA-256.
    pub fn seal(&self, sha256: &[u8; 32]) -> String {
        hex::encode(self.signing.sign(&seal_message(sha256)).to_bytes())
    }
}

impl std::fmt::Debug for SealKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SealKey(public {})", self.public_hex())
    }
}

fn seal_message(sha256: &[u8; 32]) -> Vec<u8> {
    let mut m = SEAL_LABEL.to_vec();
    m.extend_from_slice(sha256);
    m
}

/// Whether `seal_hex` is the signature of `public_hex` over `sha256`.
pub fn seal_holds(public_hex: &str, sha256: &[u8; 32], seal_hex: &str) -> bool {
    let Some(pk) = hex::decode(public_hex)
        .ok()
        .and_then(|b| <[u8; 32]>::try_from(b.as_slice()).ok())
    else {
        return false;
    };
    let Ok(key) = VerifyingKey::from_bytes(&pk) else {
        return false;
    };
    let Some(sig) = hex::decode(seal_hex)
        .ok()
        .and_then(|b| Signature::from_slice(&b).ok())
    else {
        return false;
    };
    key.verify(&seal_message(sha256), &sig).is_ok()
}

/// SHA-256 of bytes.
pub fn sha256(bytes: &[u8]) -> [u8; 32] {
    Sha256::digest(bytes).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_seal_key_is_not_the_audit_key_and_seals_verify() {
        let seal = SealKey::from_secret("s");
        let audit = crate::audit::checkpoints::AuditKey::from_secret("s");
        assert_ne!(seal.public_hex(), audit.public_hex());
        let h = sha256(b"abc");
        let sig = seal.seal(&h);
        assert!(seal_holds(&seal.public_hex(), &h, &sig));
        assert!(!seal_holds(&seal.public_hex(), &sha256(b"abd"), &sig));
        let other = SealKey::from_secret("t");
        assert!(!seal_holds(&other.public_hex(), &h, &sig));
    }
}
