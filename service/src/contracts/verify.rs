//! A signed contract as a file ([`export_contract`]) and its check
//! ([`verify_contract_file`], `puhui verify-contract FILE`).
//!
//! # The file
//!
//! The canonical bytes the bank sealed (`domain::contract::canonical_bytes`:
//! a `PUHUI-CONTRACT-1` header, each field length-prefixed, the text and the
//! signers, the bank last), followed by a trailer of four lines:
//!
//! ```text
//! PUHUI-SEAL-1
//! sha256 <64 hex digits: SHA-256 of the canonical bytes>
//! public_key <64 hex digits: the bank's ed25519 contract-sealing key>
//! seal <128 hex digits: ed25519 over "PUHUI-CONTRACT-SEAL-1\n" + the 32 bytes of the SHA-256>
//! ```
//!
//! each ending in a line feed. The trailer starts at the last
//! `PUHUI-SEAL-1\n` of the file (its own lines hold only hex, so that is
//! found whatever the text says). The file is UTF-8 and reads as text.
//!
//! [`export_contract`]: crate::contracts::Contracts::export_contract
//! [`verify_contract_file`]: crate::contracts::Contracts::verify_contract_file

use domain::contract::{canonical_bytes, SignedContent};
use domain::view::Verification;

use super::{seal_holds, sha256};
use crate::auth::{CustomerActor, StaffActor};
use crate::error::ServiceError;
use crate::sql;

/// The first line of the trailer.
pub const TRAILER_HEADER: &str = "PUHUI-SEAL-1\n";

/// A file that is not a contract the bank sealed, and why.
fn invalid(reason: &str) -> Verification {
    Verification {
        valid: false,
        contract_no: None,
        signed_at: None,
        signers: Vec::new(),
        reason: Some(reason.to_string()),
    }
}

/// The export file of signed content under a seal.
pub fn export_bytes(content: &SignedContent, public_hex: &str, seal_hex: &str) -> Vec<u8> {
    let mut out = canonical_bytes(content);
    let digest = hex::encode(sha256(&out));
    out.extend_from_slice(TRAILER_HEADER.as_bytes());
    out.extend_from_slice(
        format!("sha256 {digest}\npublic_key {public_hex}\nseal {seal_hex}\n").as_bytes(),
    );
    out
}

/// Checks a file against the bank's public key alone: the trailer's form,
/// the canonical form, the hash and the seal.
pub fn verify_file(bytes: &[u8], bank_public_hex: &str) -> Verification {
    let marker = TRAILER_HEADER.as_bytes();
    let Some(at) = bytes.windows(marker.len()).rposition(|w| w == marker) else {
        return invalid("no seal: the file has no PUHUI-SEAL-1 trailer");
    };
    let (canonical, trailer) = bytes.split_at(at);
    let Ok(trailer) = std::str::from_utf8(&trailer[marker.len()..]) else {
        return invalid("the seal is damaged");
    };
    let lines: Vec<&str> = trailer.split_terminator('\n').collect();
    let field = |i: usize, name: &str, len: usize| {
        lines
            .get(i)
            .and_then(|l| l.strip_prefix(name))
            .and_then(|l| l.strip_prefix(' '))
            .filter(|v| {
                v.len() == len
                    && v.bytes()
                        .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
            })
    };
    let (Some(digest), Some(public), Some(seal)) = (
        field(0, "sha256", 64),
        field(1, "public_key", 64),
        field(2, "seal", 128),
    ) else {
        return invalid("the seal is damaged");
    };
    if lines.len() != 3 || !trailer.ends_with('\n') {
        return invalid("the seal is damaged");
    }
    let content = match SignedContent::parse_canonical(canonical) {
        Ok(c) => c,
        Err(e) => return invalid(&format!("the contract is damaged: {e}")),
    };
    let actual = sha256(canonical);
    if hex::encode(actual) != digest {
        return invalid("the contract was changed after it was sealed");
    }
    if public != bank_public_hex {
        return invalid("not sealed with this bank's contract key");
    }
    if !seal_holds(public, &actual, seal) {
        return invalid("the seal does not hold");
    }
    Verification {
        valid: true,
        contract_no: Some(content.contract_no.clone()),
        signed_at: content.signers.iter().map(|s| s.signed_at_ms).max(),
        signers: content.signers,
        reason: None,
    }
}

impl crate::contracts::Contracts<'_> {
    async fn export_row(&self, row: super::sign::Row) -> Result<Vec<u8>, ServiceError> {
        let v = row.view;
        let (Some(seal), Some(public)) = (v.seal, v.public_key) else {
            return Err(ServiceError::StaleState);
        };
        let content = SignedContent {
            contract_no: v.contract_no,
            kind: v.kind,
            template_version: v.template_version,
            text: v.text,
            signers: v.signers,
        };
        Ok(export_bytes(&content, &public, &seal))
    }

    /// The signed contract as a file (see the module documentation), for
    /// staff in scope who read the customer's file. `StaleState` before it
    /// is signed.
    pub async fn export_contract(self, s: &StaffActor, id: &str) -> Result<Vec<u8>, ServiceError> {
        self.contract(s, id).await?;
        let row = self.contract_row(id).await?;
        self.export_row(row).await
    }

    /// The borrower's own signed contract as a file.
    pub async fn export_my_contract(
        self,
        c: &CustomerActor,
        id: &str,
    ) -> Result<Vec<u8>, ServiceError> {
        let row = self.contract_row(id).await?;
        if !row.borrowers(c) {
            return Err(ServiceError::NotFound);
        }
        self.export_row(row).await
    }

    /// Whether a contract file is one the bank sealed, unchanged: the
    /// file's own check under this bank's key ([`verify_file`]), and, when
    /// the contract is on record here, the same hash as recorded.
    pub async fn verify_contract_file(self, bytes: &[u8]) -> Result<Verification, ServiceError> {
        let v = verify_file(bytes, &self.config.contract_seal.public_hex());
        let Some(no) = v.contract_no.as_deref().filter(|_| v.valid) else {
            return Ok(v);
        };
        let recorded = sqlx::query("SELECT canonical_sha256 FROM contracts WHERE contract_no = $1")
            .bind(no)
            .fetch_optional(&self.db.pool)
            .await?;
        if let Some(r) = recorded {
            let marker = TRAILER_HEADER.as_bytes();
            let at = bytes
                .windows(marker.len())
                .rposition(|w| w == marker)
                .unwrap_or(bytes.len());
            let digest = hex::encode(sha256(&bytes[..at]));
            if sql::opt_text(&r, "canonical_sha256")?.as_deref() != Some(digest.as_str()) {
                return Ok(invalid("not the contract on record under this number"));
            }
        }
        Ok(v)
    }
}
