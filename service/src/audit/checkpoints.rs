//! Signed checkpoints of the audit log: every minute the server signs the
//! log's head (sequence number and hash) with the bank's audit key (ed25519,
//! derived from `PUHUI_AUDIT_KEY`). The hash chain alone shows that rows
//! were changed, unless whoever changed them also recomputed every hash
//! after them, which anyone with write access to the database can do. A
//! checkpoint cannot be recomputed without the key, so a rewrite of any
//! entry up to the last checkpoint is found. The public key is printed at
//! start-up and can be handed to an auditor, who can check the signatures
//! without holding the key.

use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};
use sha2::{Digest, Sha256};

use crate::error::ServiceError;
use crate::sql;

/// The audit log's keys, derived from the operator's secret: the ed25519
/// key that signs checkpoints, and the HMAC key every entry's hash is
/// keyed with (so that nobody without the secret can compute a valid entry,
/// whatever they can write to the database).
#[derive(Clone)]
pub struct AuditKey {
    signing: SigningKey,
    chain: [u8; 32],
}

impl AuditKey {
    /// The keys for a secret: each is SHA-256 over its own label and the
    /// secret, so any long random string (e.g. `openssl rand -hex 32`) will do.
    pub fn from_secret(secret: &str) -> AuditKey {
        let derive = |label: &[u8]| -> [u8; 32] {
            let mut d = Sha256::new();
            d.update(label);
            d.update(secret.as_bytes());
            d.finalize().into()
        };
        AuditKey {
            signing: SigningKey::from_bytes(&derive(b"puhui-audit-checkpoint-key\n")),
            chain: derive(b"puhui-audit-chain-key\n"),
        }
    }

    /// The public key, hex: what an auditor needs to check checkpoints.
    pub fn public_hex(&self) -> String {
        hex::encode(self.signing.verifying_key().to_bytes())
    }

    /// The key of the entries' HMAC.
    pub(crate) fn chain_key(&self) -> &[u8; 32] {
        &self.chain
    }
}

impl std::fmt::Debug for AuditKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "AuditKey(public {})", self.public_hex())
    }
}

/// The bytes a checkpoint's signature covers.
fn message(seq: i64, hash: &str, at: i64) -> Vec<u8> {
    format!("puhui-audit-checkpoint\n{seq}\n{hash}\n{at}").into_bytes()
}

/// Whether a stored checkpoint's signature is good under `public_hex`.
pub fn signature_holds(public_hex: &str, seq: i64, hash: &str, at: i64, sig_hex: &str) -> bool {
    let Ok(pk) = hex::decode(public_hex) else {
        return false;
    };
    let Ok(pk) = <[u8; 32]>::try_from(pk.as_slice()) else {
        return false;
    };
    let Ok(key) = VerifyingKey::from_bytes(&pk) else {
        return false;
    };
    let Ok(sig) = hex::decode(sig_hex) else {
        return false;
    };
    let Ok(sig) = Signature::from_slice(&sig) else {
        return false;
    };
    key.verify(&message(seq, hash, at), &sig).is_ok()
}

/// One checkpoint, as stored and as exported (one JSON line each, see
/// `puhui audit-checkpoints` and `PUHUI_AUDIT_CHECKPOINT_FILE`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Checkpoint {
    pub seq: i64,
    pub hash: String,
    pub at: i64,
    pub public_key: String,
    pub signature: String,
}

/// The checkpoints of entries after `seq` (0 for all), oldest first.
pub async fn after(db: &crate::Db, seq: i64) -> Result<Vec<Checkpoint>, ServiceError> {
    let rows = sqlx::query(
        "SELECT seq, hash, at, public_key, signature FROM audit_checkpoints \
         WHERE seq > $1 ORDER BY seq",
    )
    .bind(seq)
    .fetch_all(&db.pool)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(Checkpoint {
                seq: sql::int(r, "seq")?,
                hash: sql::text(r, "hash")?,
                at: sql::int(r, "at")?,
                public_key: sql::text(r, "public_key")?,
                signature: sql::text(r, "signature")?,
            })
        })
        .collect()
}

/// What a copy of the checkpoints kept outside the database says of the log.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct KeptCheck {
    /// Checkpoints in the copy.
    pub checked: usize,
    /// Signatures that do not hold (the copy was changed).
    pub bad_signature: Vec<i64>,
    /// Signed by another key than this server's.
    pub foreign_key: Vec<i64>,
    /// The log's entry at the checkpoint has another hash now: rewritten.
    pub differs: Vec<i64>,
    /// The log no longer has the entry: cut off.
    pub missing: Vec<i64>,
}

impl KeptCheck {
    /// The log still says what the copy's checkpoints signed.
    pub fn holds(&self) -> bool {
        self.bad_signature.is_empty()
            && self.foreign_key.is_empty()
            && self.differs.is_empty()
            && self.missing.is_empty()
    }
}

impl crate::audit::Audit<'_> {
    /// Checks the log against checkpoints kept outside the database (an
    /// auditor's copy, the shipped file): each must be signed by this
    /// server's key, and the log's entry at its sequence number must still
    /// have the hash it signed. Someone able to rewrite the database, even
    /// one who also deleted the stored checkpoints, cannot change what such
    /// a copy proves. Reads one entry per checkpoint.
    pub async fn check_audit_against(self, kept: &[Checkpoint]) -> Result<KeptCheck, ServiceError> {
        let ours = self.config.audit_key.public_hex();
        let mut check = KeptCheck {
            checked: kept.len(),
            ..KeptCheck::default()
        };
        for c in kept {
            if !signature_holds(&c.public_key, c.seq, &c.hash, c.at, &c.signature) {
                check.bad_signature.push(c.seq);
                continue;
            }
            if c.public_key != ours {
                check.foreign_key.push(c.seq);
                continue;
            }
            let now: Option<String> =
                sqlx::query_scalar("SELECT hash FROM audit_log WHERE seq = $1")
                    .bind(c.seq)
                    .fetch_optional(&self.db.pool)
                    .await?;
            match now {
                None => check.missing.push(c.seq),
                Some(h) if h != c.hash => check.differs.push(c.seq),
                Some(_) => {}
            }
        }
        Ok(check)
    }

    /// Signs the log's head unless it is already signed (or empty); returns
    /// the sequence number signed. Run by the server every minute and after
    /// the end-of-day batch.
    pub async fn checkpoint_audit(self) -> Result<Option<i64>, ServiceError> {
        let head = sqlx::query("SELECT seq, hash FROM audit_head WHERE id = 1")
            .fetch_one(&self.db.pool)
            .await?;
        let seq = sql::int(&head, "seq")?;
        let hash = sql::text(&head, "hash")?;
        if seq == 0 {
            return Ok(None);
        }
        let at = self.now();
        let key = &self.config.audit_key;
        let signature = hex::encode(key.signing.sign(&message(seq, &hash, at)).to_bytes());
        let written = sqlx::query(
            "INSERT INTO audit_checkpoints (seq, hash, at, public_key, signature) \
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (seq) DO NOTHING",
        )
        .bind(seq)
        .bind(&hash)
        .bind(at)
        .bind(key.public_hex())
        .bind(signature)
        .execute(&self.db.pool)
        .await?;
        Ok((written.rows_affected() == 1).then_some(seq))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signature_holds_only_for_what_was_signed_and_its_key() {
        let key = AuditKey::from_secret("0123456789abcdef0123456789abcdef");
        let sig = hex::encode(key.signing.sign(&message(7, "abc", 10)).to_bytes());
        let pk = key.public_hex();
        assert!(signature_holds(&pk, 7, "abc", 10, &sig));
        assert!(!signature_holds(&pk, 8, "abc", 10, &sig));
        assert!(!signature_holds(&pk, 7, "abd", 10, &sig));
        assert!(!signature_holds(&pk, 7, "abc", 11, &sig));
        let other = AuditKey::from_secret("another secret, quite long enough!").public_hex();
        assert!(!signature_holds(&other, 7, "abc", 10, &sig));
        assert!(!signature_holds(&pk, 7, "abc", 10, "zz"));
        assert!(!format!("{key:?}").contains("0123456789abcdef"));
        assert_eq!(
            AuditKey::from_secret("x").public_hex(),
            AuditKey::from_secret("x").public_hex()
        );
    }
}
