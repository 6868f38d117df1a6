//! The decision engine's use cases: the feature factory ([`features`]), the
//! credit bureau ([`bureau`]), versioned rule sets with maker-checker
//! ([`rule_sets`]), the default strategies of the demo products
//! ([`defaults`]) and the decisions themselves ([`decisions`]): the
//! pre-screen on submission and the full decision before approval, each
//! stored with the rule-set version it ran, its inputs, outcome, trace and
//! reason codes.

use_cases!(
    /// The use cases of this module, reached as `services.risk()`.
    Risk,
    risk
);

pub mod authorisations;
pub mod bureau;
pub mod decisions;
pub mod defaults;
pub mod features;
pub mod rule_sets;
pub mod simulation;

use crate::audit::NewAuditEntry;
use crate::auth::{CustomerActor, StaffActor};

pub use bureau::{BureauError, BureauProvider, BureauReport, DevBureauProvider};
pub use decisions::EngineCache;
pub use rule_sets::RuleSetDraft;

/// Who asked for an inquiry or a decision.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Requester<'a> {
    Customer(&'a CustomerActor),
    Staff(&'a StaffActor),
}

impl Requester<'_> {
    pub(crate) fn kind(&self) -> &'static str {
        match self {
            Requester::Customer(_) => "customer",
            Requester::Staff(_) => "staff",
        }
    }

    pub(crate) fn id(&self) -> String {
        match self {
            Requester::Customer(c) => c.customer_id.clone(),
            Requester::Staff(s) => s.user_id.clone(),
        }
    }

    /// The display name; a customer's masked, as in the audit log.
    pub(crate) fn name(&self) -> String {
        match self {
            Requester::Customer(c) => domain::identity::mask_name(&c.name),
            Requester::Staff(s) => s.display_name.clone(),
        }
    }

    pub(crate) fn audit(
        &self,
        at: i64,
        action: &str,
        entity: &str,
        entity_id: &str,
    ) -> NewAuditEntry {
        match self {
            Requester::Customer(c) => NewAuditEntry::customer(c, at, action, entity, entity_id),
            Requester::Staff(s) => NewAuditEntry::staff(s, at, action, entity, entity_id),
        }
    }
}
