//! Personal financial information at rest (JR/T 0171-2020): ID numbers,
//! phone numbers and credit reports are stored sealed with AES-256-GCM and
//! found through keyed blind indexes, so a copy of the database (a backup,
//! a replica, a curious DBA) reads none of them.
//!
//! - **Sealed text** is `pfi1.<key id>.<base64 of nonce ‖ ciphertext ‖ tag>`.
//!   The field's name is the associated data, so a sealed phone number moved
//!   into the ID-number column does not open. The key id (eight hex digits
//!   derived from the key) says which key sealed it: the current key seals,
//!   retired keys still open, and `puhui rotate-key` re-seals everything
//!   under the current one ([`reseal`]), after which a retired key can go.
//! - **A blind index** is HMAC-SHA256 over the field's name and the value
//!   under a separate index key, truncated to 128 bits: equal values give
//!   equal indexes (lookups and unique constraints work) and nothing else can
//!   be learnt without the key. The index key does not rotate with the
//!   sealing key (changing it means re-indexing every row).
//!
//! Keys come from the operator's secrets (`PUHUI_PFI_KEY`,
//! `PUHUI_PFI_RETIRED_KEYS`, `PUHUI_PFI_INDEX_KEY`); the development secrets
//! exist for demo mode only and production refuses them.

use std::sync::Arc;

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::engine::general_purpose::STANDARD_NO_PAD as B64;
use base64::Engine as _;
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

use crate::error::ServiceError;

/// The development secret of the sealing key; refused in production.
pub const DEV_PFI_SECRET: &str = "puhui-development-pfi-key";
/// The development secret of the blind-index key; refused in production.
pub const DEV_PFI_INDEX_SECRET: &str = "puhui-development-pfi-index-key";

/// What a sealed value or an index is of: its name binds the ciphertext to
/// its column and separates the indexes of different kinds of value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    IdNumber,
    Phone,
    CreditReport,
    /// The development SMS provider's copy of a message (it holds codes).
    SmsBody,
    /// A member of staff's second-factor secret (TOTP).
    TotpSecret,
    /// A contract's text (it holds the borrower's name and ID number).
    ContractText,
    /// A contract signer's name.
    SignerName,
    /// A customer's bank account number.
    BankAccount,
    /// A photo of a piece of collateral (base64; a certificate of title
    /// shows its owner's name and ID number).
    CollateralPhoto,
    /// An uploaded file (base64): an ID card's photo, a selfie.
    Upload,
    /// A registration's ID card readings (JSON: name, ID number, address).
    IdCardReading,
}

impl Field {
    fn label(self) -> &'static [u8] {
        match self {
            Field::IdNumber => b"id_number",
            Field::Phone => b"phone",
            Field::CreditReport => b"credit_report",
            Field::SmsBody => b"sms_body",
            Field::TotpSecret => b"totp_secret",
            Field::ContractText => b"contract_text",
            Field::SignerName => b"signer_name",
            Field::BankAccount => b"bank_account",
            Field::CollateralPhoto => b"collateral_photo",
            Field::Upload => b"upload",
            Field::IdCardReading => b"id_card_reading",
        }
    }
}

const PREFIX: &str = "pfi1.";

struct Key {
    id: String,
    cipher: Aes256Gcm,
}

impl Key {
    fn from_secret(secret: &str) -> Key {
        let bytes = derive(b"puhui-pfi-seal\n", secret);
        let id = hex::encode(&derive(b"puhui-pfi-key-id\n", secret)[..4]);
        Key {
            id,
            cipher: Aes256Gcm::new(&bytes.into()),
        }
    }
}

fn derive(label: &[u8], secret: &str) -> [u8; 32] {
    let mut d = Sha256::new();
    d.update(label);
    d.update(secret.as_bytes());
    d.finalize().into()
}

struct Inner {
    current: Key,
    retired: Vec<Key>,
    index: [u8; 32],
}

/// The keys that seal, open and index personal information. Cheap to
/// clone; its `Debug` shows key ids only.
#[derive(Clone)]
pub struct PfiKeys(Arc<Inner>);

impl PfiKeys {
    /// Keys from the operator's secrets: the one that seals, those retired
    /// that must still open, and the blind-index secret. Any long random
    /// string will do for each (e.g. `openssl rand -hex 32`).
    pub fn from_secrets(current: &str, retired: &[&str], index: &str) -> PfiKeys {
        let current = Key::from_secret(current);
        let retired = retired
            .iter()
            .map(|s| Key::from_secret(s))
            .filter(|k| k.id != current.id)
            .collect();
        PfiKeys(Arc::new(Inner {
            current,
            retired,
            index: derive(b"puhui-pfi-index\n", index),
        }))
    }

    /// The development keys of demo mode and the tests.
    pub fn development() -> PfiKeys {
        PfiKeys::from_secrets(DEV_PFI_SECRET, &[], DEV_PFI_INDEX_SECRET)
    }

    fn keys(&self) -> impl Iterator<Item = &Key> {
        std::iter::once(&self.0.current).chain(&self.0.retired)
    }

    /// The id of the key that seals.
    pub fn current_id(&self) -> &str {
        &self.0.current.id
    }

    /// `value` sealed under the current key.
    pub fn seal(&self, field: Field, value: &str) -> String {
        let nonce: [u8; 12] = rand::random();
        let key = &self.0.current;
        let sealed = key
            .cipher
            .encrypt(
                Nonce::from_slice(&nonce),
                Payload {
                    msg: value.as_bytes(),
                    aad: field.label(),
                },
            )
            .unwrap_or_default();
        let mut raw = Vec::with_capacity(12 + sealed.len());
        raw.extend_from_slice(&nonce);
        raw.extend_from_slice(&sealed);
        format!("{PREFIX}{}.{}", key.id, B64.encode(raw))
    }

    /// The value of a sealed text. Fails (as an internal error, never shown)
    /// when the key is unknown or the text was changed.
    pub fn open(&self, field: Field, sealed: &str) -> Result<String, ServiceError> {
        let bad = |why: &str| ServiceError::Internal(format!("sealed {field:?}: {why}"));
        let rest = sealed
            .strip_prefix(PREFIX)
            .ok_or_else(|| bad("not sealed"))?;
        let (kid, body) = rest.split_once('.').ok_or_else(|| bad("malformed"))?;
        let key = self
            .keys()
            .find(|k| k.id == kid)
            .ok_or_else(|| bad("sealed under a key this server does not hold"))?;
        let raw = B64.decode(body).map_err(|_| bad("malformed"))?;
        if raw.len() < 12 + 16 {
            return Err(bad("malformed"));
        }
        let (nonce, ct) = raw.split_at(12);
        let plain = key
            .cipher
            .decrypt(
                Nonce::from_slice(nonce),
                Payload {
                    msg: ct,
                    aad: field.label(),
                },
            )
            .map_err(|_| bad("does not open (changed, or another field's)"))?;
        String::from_utf8(plain).map_err(|_| bad("not text"))
    }

    /// [`Self::open`] of an optional column.
    pub fn open_opt(
        &self,
        field: Field,
        sealed: Option<&str>,
    ) -> Result<Option<String>, ServiceError> {
        sealed.map(|s| self.open(field, s)).transpose()
    }

    /// The blind index of a value: 32 hex digits.
    pub fn index(&self, field: Field, value: &str) -> String {
        let Ok(mut mac) = <Hmac<Sha256> as Mac>::new_from_slice(&self.0.index) else {
            // A 32-byte key is always accepted.
            return String::new();
        };
        mac.update(field.label());
        mac.update(b"\n");
        mac.update(value.as_bytes());
        hex::encode(&mac.finalize().into_bytes()[..16])
    }

    /// Whether a key of this id is held (current or retired).
    pub fn holds(&self, key_id: &str) -> bool {
        self.keys().any(|k| k.id == key_id)
    }

    /// Whether `sealed` is sealed under the current key.
    pub fn is_current(&self, sealed: &str) -> bool {
        sealed
            .strip_prefix(PREFIX)
            .and_then(|r| r.split_once('.'))
            .is_some_and(|(kid, _)| kid == self.0.current.id)
    }
}

impl std::fmt::Debug for PfiKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let retired: Vec<&str> = self.0.retired.iter().map(|k| k.id.as_str()).collect();
        write!(
            f,
            "PfiKeys(current {}, retired {retired:?})",
            self.0.current.id
        )
    }
}

/// Whether a stored text is sealed at all (rows written before sealing
/// existed are not).
pub fn is_sealed(text: &str) -> bool {
    text.starts_with(PREFIX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sealed_value_opens_to_itself_and_only_as_its_own_field() {
        let k = PfiKeys::development();
        let s = k.seal(Field::IdNumber, "110101199003074578");
        assert!(s.starts_with("pfi1."), "{s}");
        assert!(!s.contains("110101"));
        assert_eq!(k.open(Field::IdNumber, &s).unwrap(), "110101199003074578");
        assert!(k.open(Field::Phone, &s).is_err());
        // Two seals of one value differ (fresh nonce); their indexes agree.
        assert_ne!(s, k.seal(Field::IdNumber, "110101199003074578"));
        assert_eq!(
            k.index(Field::Phone, "13800000001"),
            k.index(Field::Phone, "13800000001")
        );
        assert_ne!(
            k.index(Field::Phone, "13800000001"),
            k.index(Field::IdNumber, "13800000001")
        );
        assert_eq!(k.index(Field::Phone, "13800000001").len(), 32);
    }

    #[test]
    fn a_changed_character_does_not_open() {
        let k = PfiKeys::development();
        let s = k.seal(Field::Phone, "13800000001");
        let mut b = s.into_bytes();
        let last = b.len() - 3;
        b[last] = if b[last] == b'A' { b'B' } else { b'A' };
        let changed = String::from_utf8(b).unwrap();
        assert!(k.open(Field::Phone, &changed).is_err());
        assert!(k.open(Field::Phone, "13800000001").is_err());
    }

    /// What sealing costs (`docs/benchmarks.md`): run with
    /// `cargo test -p puhui-service --release --lib pfi -- --ignored --nocapture`.
    #[test]
    #[ignore = "a measurement, not a check"]
    fn cost_of_sealing_opening_and_indexing() {
        let k = PfiKeys::development();
        let n = 200_000;
        let ids: Vec<String> = (0..n).map(|i| format!("2201021980030{i:05}")).collect();
        let t = std::time::Instant::now();
        let sealed: Vec<String> = ids.iter().map(|v| k.seal(Field::IdNumber, v)).collect();
        let seal = t.elapsed();
        let t = std::time::Instant::now();
        for s in &sealed {
            assert!(k.open(Field::IdNumber, s).is_ok());
        }
        let open = t.elapsed();
        let t = std::time::Instant::now();
        let idx: usize = ids.iter().map(|v| k.index(Field::IdNumber, v).len()).sum();
        let index = t.elapsed();
        assert_eq!(idx, n * 32);
        let per = |d: std::time::Duration| d.as_nanos() / n as u128;
        println!(
            "{n} ID numbers: seal {} ns, open {} ns, index {} ns each",
            per(seal),
            per(open),
            per(index)
        );
    }

    #[test]
    fn a_retired_key_still_opens_and_the_index_survives_rotation() {
        let old = PfiKeys::from_secrets("old-secret-0123456789abcdef", &[], "index-secret");
        let sealed = old.seal(Field::Phone, "13800000001");
        let new = PfiKeys::from_secrets(
            "new-secret-0123456789abcdef",
            &["old-secret-0123456789abcdef"],
            "index-secret",
        );
        assert_ne!(old.current_id(), new.current_id());
        assert!(!new.is_current(&sealed));
        assert_eq!(new.open(Field::Phone, &sealed).unwrap(), "13800000001");
        assert!(new.is_current(&new.seal(Field::Phone, "x")));
        assert_eq!(
            old.index(Field::Phone, "13800000001"),
            new.index(Field::Phone, "13800000001")
        );
        let without = PfiKeys::from_secrets("new-secret-0123456789abcdef", &[], "index-secret");
        assert!(without.open(Field::Phone, &sealed).is_err());
        assert!(!format!("{new:?}").contains("secret"));
    }
}
