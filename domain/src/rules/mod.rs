//! The decision engine (决策引擎), pure part: a typed feature schema, the condition
//! language, rules, decision tables, scorecards and the strategy that chains them
//! into a [`strategy::Decision`] with an officer-readable [`trace::Trace`].
//!
//! Definitions (`*Def` types) are plain serde data holding expression source
//! text; `compile` checks them against a [`schema::FeatureSchema`] — so a typo,
//! an unknown feature or a type mismatch is refused when the rule is saved, with
//! its position — and produces the compiled form that is evaluated many times.
//!
//! - [`schema`]: feature types, [`schema::FeatureSchema`], [`schema::Features`].
//! - [`expr`]: the condition language (syntax, types, missing-value semantics).
//! - [`rule`]: rules, actions, rule sets and their [`rule::Outcome`].
//! - [`cell`]: the cell syntax of decision tables and scorecard bins.
//! - [`table`]: decision tables and hit policies.
//! - [`scorecard`]: binned scorecards and grades.
//! - [`strategy`]: the staged strategy and the final [`strategy::Decision`].
//! - [`trace`]: what fired and why, in Chinese and English.
//! - [`reasons`]: reason codes in words fit for a customer.
//! - [`lifecycle`]: decision stages and the maker-checker life cycle of rule sets.

pub mod cell;
pub mod expr;
pub mod lifecycle;
pub mod reasons;
pub mod rule;
pub mod schema;
pub mod scorecard;
pub mod strategy;
pub mod table;
pub mod trace;
