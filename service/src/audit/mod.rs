//! The append-only, hash-chained audit log.
//!
//! Every state change appends one entry inside the transaction that makes
//! the change, so the log and the data never disagree. Each entry's hash
//! covers the previous entry's hash, so editing or deleting a row breaks the
//! chain from that row on, which [`Audit::verify_audit_chain`](crate::audit::Audit::verify_audit_chain) reports.
//! The database refuses UPDATE and DELETE on the log (triggers, see
//! `Db::migrate`), and signed [`checkpoints`] catch a rewrite by someone who
//! lifted that and recomputed the chain.
//! Callers mask personal financial information before it reaches the log.

use_cases!(
    /// The use cases of this module, reached as `services.audit()`.
    Audit,
    audit
);

pub mod checkpoints;

use std::collections::BTreeMap;

use domain::org::Role;
pub use domain::view::{AuditEntry, ChainStatus};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use sqlx::{Any, Transaction};

use crate::auth::{CustomerActor, StaffActor};
use crate::error::ServiceError;
use crate::sql;

/// The hash that stands before the first entry.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Roles that may read and verify the log.
const AUDIT_READERS: [Role; 3] = [Role::Admin, Role::BranchHead, Role::RiskManager];

/// One entry to append.
#[derive(Debug, Clone)]
pub struct NewAuditEntry {
    pub at: i64,
    /// "staff", "customer" or "system".
    pub actor_kind: &'static str,
    pub actor_id: String,
    pub actor_name: String,
    /// The organisation the entry belongs to, for scoped reading.
    pub org_id: Option<String>,
    pub action: String,
    pub entity: String,
    pub entity_id: String,
    pub before_json: Option<String>,
    pub after_json: Option<String>,
}

impl NewAuditEntry {
    /// An entry made by a staff member, filed under their organisation.
    pub fn staff(s: &StaffActor, at: i64, action: &str, entity: &str, entity_id: &str) -> Self {
        NewAuditEntry {
            at,
            actor_kind: "staff",
            actor_id: s.user_id.clone(),
            actor_name: s.display_name.clone(),
            org_id: Some(s.org_id.clone()),
            action: action.to_string(),
            entity: entity.to_string(),
            entity_id: entity_id.to_string(),
            before_json: None,
            after_json: None,
        }
    }

    /// An entry made by a customer; the name is masked.
    pub fn customer(
        c: &CustomerActor,
        at: i64,
        action: &str,
        entity: &str,
        entity_id: &str,
    ) -> Self {
        NewAuditEntry {
            at,
            actor_kind: "customer",
            actor_id: c.customer_id.clone(),
            actor_name: domain::identity::mask_name(&c.name),
            org_id: None,
            action: action.to_string(),
            entity: entity.to_string(),
            entity_id: entity_id.to_string(),
            before_json: None,
            after_json: None,
        }
    }

    /// An entry made by a person signed up and not yet a customer: a
    /// customer-side actor named by their registration and masked phone.
    pub fn registrant(
        r: &crate::auth::RegistrantActor,
        at: i64,
        action: &str,
        entity: &str,
        entity_id: &str,
    ) -> Self {
        NewAuditEntry {
            at,
            actor_kind: "customer",
            actor_id: r.registration_id.clone(),
            actor_name: r.phone_masked.clone(),
            org_id: None,
            action: action.to_string(),
            entity: entity.to_string(),
            entity_id: entity_id.to_string(),
            before_json: None,
            after_json: None,
        }
    }

    /// An entry made by the system itself (batch jobs, the demo generator).
    pub fn system(at: i64, action: &str, entity: &str, entity_id: &str) -> Self {
        NewAuditEntry {
            at,
            actor_kind: "system",
            actor_id: "system".to_string(),
            actor_name: "system".to_string(),
            org_id: None,
            action: action.to_string(),
            entity: entity.to_string(),
            entity_id: entity_id.to_string(),
            before_json: None,
            after_json: None,
        }
    }

    pub fn org(mut self, org_id: impl Into<String>) -> Self {
        self.org_id = Some(org_id.into());
        self
    }

    pub fn before(mut self, v: serde_json::Value) -> Self {
        self.before_json = Some(v.to_string());
        self
    }

    pub fn after(mut self, v: serde_json::Value) -> Self {
        self.after_json = Some(v.to_string());
        self
    }
}

/// The fields a hash covers, in order.
struct Hashed<'a> {
    prev_hash: &'a str,
    seq: i64,
    at: i64,
    actor_kind: &'a str,
    actor_id: &'a str,
    actor_name: &'a str,
    org_id: Option<&'a str>,
    action: &'a str,
    entity: &'a str,
    entity_id: &'a str,
    before: Option<&'a str>,
    after: Option<&'a str>,
}

/// An entry's hash: HMAC-SHA256 under the audit key's chain key for the
/// entries written since the chain is keyed (`keyed`), plain SHA-256 for
/// those an older version wrote before.
fn entry_hash(h: &Hashed<'_>, key: Option<&[u8; 32]>) -> String {
    enum Digest {
        Plain(Sha256),
        Keyed(Hmac<Sha256>),
    }
    let mut d = match key.map(|k| <Hmac<Sha256> as Mac>::new_from_slice(k)) {
        Some(Ok(mac)) => Digest::Keyed(mac),
        // A 32-byte key is always taken.
        _ => Digest::Plain(<Sha256 as sha2::Digest>::new()),
    };
    let mut update = |bytes: &[u8]| match &mut d {
        Digest::Plain(s) => sha2::Digest::update(s, bytes),
        Digest::Keyed(m) => m.update(bytes),
    };
    // Field lengths go in too, so no two different entries hash the same text.
    let seq = h.seq.to_string();
    let at = h.at.to_string();
    let fields: [Option<&str>; 12] = [
        Some(h.prev_hash),
        Some(&seq),
        Some(&at),
        Some(h.actor_kind),
        Some(h.actor_id),
        Some(h.actor_name),
        h.org_id,
        Some(h.action),
        Some(h.entity),
        Some(h.entity_id),
        h.before,
        h.after,
    ];
    for f in fields {
        match f {
            Some(s) => {
                update(s.len().to_string().as_bytes());
                update(b":");
                update(s.as_bytes());
            }
            None => update(b"-"),
        }
        update(b"|");
    }
    match d {
        Digest::Plain(s) => hex::encode(sha2::Digest::finalize(s)),
        Digest::Keyed(m) => hex::encode(m.finalize().into_bytes()),
    }
}

/// Appends inside the caller's transaction, the hash keyed with `key`. The
/// head row's update is the statement that serialises concurrent appenders
/// on both databases.
pub async fn append(
    tx: &mut Transaction<'_, Any>,
    key: &checkpoints::AuditKey,
    e: NewAuditEntry,
) -> Result<(), ServiceError> {
    let mut batch = Batch::default();
    batch.push(e);
    batch.write(tx, key).await
}

/// Entries gathered through one transaction and chained in one write just
/// before it commits: three statements however many entries (a submission's
/// pre-screen writes five), instead of three each.
#[derive(Debug, Default)]
#[must_use = "entries are only written by `Batch::write`"]
pub struct Batch(Vec<NewAuditEntry>);

/// Columns per entry in the insert.
const COLUMNS: usize = 14;

impl Batch {
    pub fn push(&mut self, e: NewAuditEntry) {
        self.0.push(e);
    }

    /// Chains the entries, in order, after the log's head and inserts them,
    /// their hashes keyed with `key`.
    pub async fn write(
        self,
        tx: &mut Transaction<'_, Any>,
        key: &checkpoints::AuditKey,
    ) -> Result<(), ServiceError> {
        if self.0.is_empty() {
            return Ok(());
        }
        let n =
            i64::try_from(self.0.len()).map_err(|e| ServiceError::internal("audit batch", e))?;
        let head =
            sqlx::query("UPDATE audit_head SET seq = seq + $1 WHERE id = 1 RETURNING seq, hash")
                .bind(n)
                .fetch_one(&mut **tx)
                .await?;
        let mut seq = sql::int(&head, "seq")? - n;
        let mut prev_hash = sql::text(&head, "hash")?;
        let mut rows = Vec::with_capacity(self.0.len());
        for e in self.0 {
            seq += 1;
            let hash = entry_hash(
                &Hashed {
                    prev_hash: &prev_hash,
                    seq,
                    at: e.at,
                    actor_kind: e.actor_kind,
                    actor_id: &e.actor_id,
                    actor_name: &e.actor_name,
                    org_id: e.org_id.as_deref(),
                    action: &e.action,
                    entity: &e.entity,
                    entity_id: &e.entity_id,
                    before: e.before_json.as_deref(),
                    after: e.after_json.as_deref(),
                },
                Some(key.chain_key()),
            );
            let prev = std::mem::replace(&mut prev_hash, hash.clone());
            rows.push((seq, e, prev, hash));
        }
        sqlx::query("UPDATE audit_head SET hash = $1 WHERE id = 1")
            .bind(&prev_hash)
            .execute(&mut **tx)
            .await?;
        let values = (0..rows.len())
            .map(|r| {
                let cols = (1..=COLUMNS)
                    .map(|c| format!("${}", r * COLUMNS + c))
                    .collect::<Vec<_>>()
                    .join(", ");
                format!("({cols})")
            })
            .collect::<Vec<_>>()
            .join(", ");
        // Only placeholders are generated; every value is bound.
        let sql = format!(
            "INSERT INTO audit_log (seq, at, actor_kind, actor_id, actor_name, org_id, action, \
             entity, entity_id, before_json, after_json, prev_hash, hash, keyed) VALUES {values}"
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for (seq, e, prev, hash) in rows {
            q = q
                .bind(seq)
                .bind(e.at)
                .bind(e.actor_kind)
                .bind(e.actor_id)
                .bind(e.actor_name)
                .bind(e.org_id)
                .bind(e.action)
                .bind(e.entity)
                .bind(e.entity_id)
                .bind(e.before_json)
                .bind(e.after_json)
                .bind(prev)
                .bind(hash)
                .bind(1_i16);
        }
        q.execute(&mut **tx).await?;
        Ok(())
    }
}

const VERIFY_PAGE: i64 = 1000;

impl Audit<'_> {
    /// The newest entries first, paged by `before_seq`. Admins see the whole
    /// log; branch heads and risk managers the entries filed under their part
    /// of the organisation.
    pub async fn audit_entries(
        self,
        s: &StaffActor,
        before_seq: Option<i64>,
        limit: i64,
        entity_filter: Option<String>,
    ) -> Result<Vec<AuditEntry>, ServiceError> {
        if !s.has_any(&AUDIT_READERS) {
            return Err(ServiceError::Forbidden);
        }
        let limit = limit.clamp(1, 500);
        let entity = entity_filter.filter(|e| !e.trim().is_empty());
        let rows = sqlx::query(
            "SELECT l.seq, l.at, l.actor_kind, l.actor_name, l.action, l.entity, l.entity_id, \
                    l.before_json, l.after_json, l.hash \
             FROM audit_log l LEFT JOIN organisations o ON o.id = l.org_id \
             WHERE l.seq < $1 \
               AND ($2 = 1 OR o.path LIKE $3) \
               AND ($4 = '' OR l.entity = $4) \
             ORDER BY l.seq DESC LIMIT $5",
        )
        .bind(before_seq.unwrap_or(i64::MAX))
        .bind(i64::from(s.has(Role::Admin)))
        .bind(sql::under(&s.org_path))
        .bind(entity.unwrap_or_default())
        .bind(limit)
        .fetch_all(&self.db.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(AuditEntry {
                    seq: sql::int(r, "seq")?,
                    at: sql::int(r, "at")?,
                    actor_kind: sql::coded(r, "actor_kind", domain::view::ActorKind::parse)?,
                    actor_name: sql::text(r, "actor_name")?,
                    action: sql::text(r, "action")?,
                    entity: sql::text(r, "entity")?,
                    entity_id: sql::text(r, "entity_id")?,
                    before_json: sql::opt_text(r, "before_json")?,
                    after_json: sql::opt_text(r, "after_json")?,
                    hash: sql::text(r, "hash")?,
                })
            })
            .collect()
    }

    /// Checks the log for the audit page without rereading all of it: from
    /// the point the last check reached (which must still hold the hash it
    /// had then) to the head, with the checkpoints after it. A rewrite that
    /// left that point's hash alone is found by the full check
    /// ([`Audit::verify_audit_chain_fully`](crate::audit::Audit::verify_audit_chain_fully)), which the server runs every
    /// hour and `puhui verify-audit` on demand; a failed full check clears
    /// the point, so the page then checks everything again.
    pub async fn verify_audit_chain(self, s: &StaffActor) -> Result<ChainStatus, ServiceError> {
        if !s.has_any(&AUDIT_READERS) {
            return Err(ServiceError::Forbidden);
        }
        let from = self.verified_point().await?;
        self.verify_from(from).await
    }

    /// Recomputes every hash from the first entry and checks every
    /// checkpoint; reports the first entry that does not match (edited,
    /// deleted or reordered). For the operator and the server's clock.
    pub async fn verify_audit_chain_fully(self) -> Result<ChainStatus, ServiceError> {
        self.verify_from(None).await
    }

    /// Where the last check that passed reached, if its entry still holds
    /// the hash it had.
    async fn verified_point(self) -> Result<Option<(i64, String, bool)>, ServiceError> {
        let Some(r) = sqlx::query(
            "SELECT v.seq, v.hash, l.keyed FROM audit_verified v \
             JOIN audit_log l ON l.seq = v.seq AND l.hash = v.hash WHERE v.id = 1",
        )
        .fetch_optional(&self.db.pool)
        .await?
        else {
            return Ok(None);
        };
        Ok(Some((
            sql::int(&r, "seq")?,
            sql::text(&r, "hash")?,
            sql::int(&r, "keyed")? == 1,
        )))
    }

    async fn verify_from(
        self,
        from: Option<(i64, String, bool)>,
    ) -> Result<ChainStatus, ServiceError> {
        // Only the checkpoints after the point: a quick check reads neither
        // the old entries nor the old checkpoints.
        let after = from.as_ref().map_or(0, |(seq, _, _)| *seq);
        let signed: BTreeMap<i64, checkpoints::Checkpoint> = checkpoints::after(&self.db, after)
            .await?
            .into_iter()
            .map(|c| (c.seq, c))
            .collect();
        let (all_checkpoints, last_checkpoint): (i64, Option<i64>) =
            sqlx::query_as("SELECT COUNT(*), MAX(seq) FROM audit_checkpoints")
                .fetch_one(&self.db.pool)
                .await?;
        let our_key = self.config.audit_key.public_hex();
        let mut bad_checkpoint = None;
        let (mut prev, mut expected_seq) = match &from {
            Some((seq, hash, _)) => (hash.clone(), seq + 1),
            None => (GENESIS_HASH.to_string(), 1_i64),
        };
        let mut entries = expected_seq - 1;
        let mut first_bad = None;
        // Whether a keyed entry came before (from the point: whether the
        // point's own entry is keyed).
        let mut seen_keyed = from.as_ref().is_some_and(|(_, _, keyed)| *keyed);
        loop {
            let rows = sqlx::query(
                "SELECT seq, at, actor_kind, actor_id, actor_name, org_id, action, entity, entity_id, before_json, \
                        after_json, prev_hash, hash, keyed \
                 FROM audit_log WHERE seq >= $1 ORDER BY seq LIMIT $2",
            )
            .bind(expected_seq)
            .bind(VERIFY_PAGE)
            .fetch_all(&self.db.pool)
            .await?;
            let page_len = rows.len();
            for r in &rows {
                let seq = sql::int(r, "seq")?;
                entries += 1;
                if first_bad.is_some() {
                    continue;
                }
                let before = sql::opt_text(r, "before_json")?;
                let after = sql::opt_text(r, "after_json")?;
                let org_id = sql::opt_text(r, "org_id")?;
                let stored_prev = sql::text(r, "prev_hash")?;
                let stored = sql::text(r, "hash")?;
                // Once keyed, always keyed: an entry "downgraded" to the
                // plain hash (which anyone can compute) is a rewrite.
                let keyed = sql::int(r, "keyed")? == 1;
                let downgraded = seen_keyed && !keyed;
                seen_keyed |= keyed;
                let computed = entry_hash(
                    &Hashed {
                        prev_hash: &prev,
                        seq,
                        at: sql::int(r, "at")?,
                        actor_kind: &sql::text(r, "actor_kind")?,
                        actor_id: &sql::text(r, "actor_id")?,
                        actor_name: &sql::text(r, "actor_name")?,
                        org_id: org_id.as_deref(),
                        action: &sql::text(r, "action")?,
                        entity: &sql::text(r, "entity")?,
                        entity_id: &sql::text(r, "entity_id")?,
                        before: before.as_deref(),
                        after: after.as_deref(),
                    },
                    keyed.then(|| self.config.audit_key.chain_key()),
                );
                if seq != expected_seq || stored_prev != prev || stored != computed || downgraded {
                    first_bad = Some(seq.min(expected_seq));
                }
                if let Some(c) = signed.get(&seq) {
                    let holds = c.public_key == our_key
                        && c.hash == stored
                        && checkpoints::signature_holds(
                            &c.public_key,
                            c.seq,
                            &c.hash,
                            c.at,
                            &c.signature,
                        );
                    if !holds && bad_checkpoint.is_none() {
                        bad_checkpoint = Some(seq);
                    }
                }
                prev = stored;
                expected_seq = seq + 1;
            }
            if i64::try_from(page_len).unwrap_or(0) < VERIFY_PAGE {
                break;
            }
        }
        if first_bad.is_none() {
            // Entries cut off the end leave the head ahead of the log.
            let head = sqlx::query("SELECT seq, hash FROM audit_head WHERE id = 1")
                .fetch_one(&self.db.pool)
                .await?;
            let head_seq = sql::int(&head, "seq")?;
            if head_seq != expected_seq - 1 || sql::text(&head, "hash")? != prev {
                first_bad = Some(expected_seq);
            }
        }
        // A checkpoint past the log's end: entries were cut off.
        if bad_checkpoint.is_none() {
            bad_checkpoint = signed.keys().copied().find(|seq| *seq >= expected_seq);
        }
        let valid = first_bad.is_none() && bad_checkpoint.is_none();
        // Remember how far the log holds (or forget it when it does not).
        if valid && expected_seq > 1 {
            sqlx::query(
                "INSERT INTO audit_verified (id, seq, hash, at) VALUES (1, $1, $2, $3) \
                 ON CONFLICT (id) DO UPDATE SET seq = $1, hash = $2, at = $3",
            )
            .bind(expected_seq - 1)
            .bind(&prev)
            .bind(self.now())
            .execute(&self.db.pool)
            .await?;
        } else if !valid {
            sqlx::query("DELETE FROM audit_verified")
                .execute(&self.db.pool)
                .await?;
        }
        Ok(ChainStatus {
            entries,
            valid,
            first_bad_seq: first_bad,
            checkpoints: all_checkpoints,
            last_checkpoint_seq: last_checkpoint,
            bad_checkpoint_seq: bad_checkpoint,
            checked_from_seq: from.map_or(1, |(seq, _, _)| seq + 1),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(prev: &str) -> Hashed<'_> {
        Hashed {
            prev_hash: prev,
            seq: 1,
            at: 10,
            actor_kind: "staff",
            actor_id: "u",
            actor_name: "张三",
            org_id: Some("o"),
            action: "a",
            entity: "e",
            entity_id: "1",
            before: None,
            after: Some("{}"),
        }
    }

    #[test]
    fn a_keyed_hash_depends_on_its_key_and_a_plain_one_on_nothing_secret() {
        let h = sample(GENESIS_HASH);
        let a = checkpoints::AuditKey::from_secret("first secret, long enough to pass");
        let b = checkpoints::AuditKey::from_secret("second secret, long enough to pass");
        let plain = entry_hash(&h, None);
        let keyed = entry_hash(&h, Some(a.chain_key()));
        assert_eq!(keyed.len(), 64);
        assert_ne!(plain, keyed);
        assert_ne!(keyed, entry_hash(&h, Some(b.chain_key())));
        assert_eq!(keyed, entry_hash(&h, Some(a.chain_key())));
        // The plain hash (what an older version wrote) is SHA-256 of the
        // length-prefixed fields; the keyed one is HMAC-SHA256 of the same.
        let text =
            format!("64:{GENESIS_HASH}|1:1|2:10|5:staff|1:u|6:张三|1:o|1:a|1:e|1:1|-|2:{{}}|");
        assert_eq!(
            plain,
            hex::encode(<Sha256 as sha2::Digest>::digest(text.as_bytes()))
        );
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(a.chain_key()).unwrap();
        mac.update(text.as_bytes());
        assert_eq!(keyed, hex::encode(mac.finalize().into_bytes()));
    }

    #[test]
    fn who_and_where_are_covered_by_the_hash() {
        let base = entry_hash(&sample(GENESIS_HASH), None);
        let renamed = Hashed {
            actor_name: "李四",
            ..sample(GENESIS_HASH)
        };
        let moved = Hashed {
            org_id: Some("other"),
            ..sample(GENESIS_HASH)
        };
        assert_ne!(base, entry_hash(&renamed, None));
        assert_ne!(base, entry_hash(&moved, None));
    }

    #[test]
    fn hash_depends_on_the_previous_hash() {
        assert_ne!(
            entry_hash(&sample(GENESIS_HASH), None),
            entry_hash(&sample("ff"), None)
        );
        assert_eq!(entry_hash(&sample(GENESIS_HASH), None).len(), 64);
    }

    #[test]
    fn null_and_empty_hash_differently() {
        let mut a = sample(GENESIS_HASH);
        let h1 = entry_hash(&a, None);
        a.after = Some("");
        assert_ne!(h1, entry_hash(&a, None));
    }
}
