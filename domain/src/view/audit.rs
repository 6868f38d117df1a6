//! The audit log and the state of its hash chain.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    pub seq: i64,
    pub at: i64,
    pub actor_kind: ActorKind,
    pub actor_name: String,
    pub action: String,
    pub entity: String,
    pub entity_id: String,
    pub before_json: Option<String>,
    pub after_json: Option<String>,
    pub hash: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChainStatus {
    pub entries: i64,
    pub valid: bool,
    pub first_bad_seq: Option<i64>,
    /// Signed checkpoints of the log's head, and the newest one's entry.
    #[serde(default)]
    pub checkpoints: i64,
    #[serde(default)]
    pub last_checkpoint_seq: Option<i64>,
    /// The first checkpoint the log no longer matches (rewritten before it,
    /// cut off after it, or not signed by this bank's key).
    #[serde(default)]
    pub bad_checkpoint_seq: Option<i64>,
    /// The first entry this check read (1 for a full check; later when an
    /// earlier check had verified the log up to the entry before it).
    #[serde(default)]
    pub checked_from_seq: i64,
}

crate::coded_enum! {
    /// Who made an audited change.
    pub enum ActorKind {
        Staff => "staff",
        Customer => "customer",
        System => "system",
    }
}
