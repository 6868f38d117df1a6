//! Rule sets: versions and their maker-checker state, drafts, the problems the
//! editor marks, the test bench, and the simulation of a version on past
//! applications.

use super::DecisionView;
use crate::error_code::ErrorCode;
use crate::money::Fen;
use crate::rules::expr::{Position, Span};
use crate::rules::lifecycle::{DecisionStage, RuleSetStatus};
use crate::rules::rule::{RuleError, Verdict};
use crate::rules::strategy::{StrategyDef, StrategyError};
use crate::rules::table::TablePlace;
use serde::{Deserialize, Serialize};

/// A version of a rule set, in lists.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleSetSummary {
    pub id: String,
    pub product_id: crate::id::ProductId,
    pub product_code: String,
    pub product_name_zh: String,
    pub product_name_en: String,
    pub stage: DecisionStage,
    pub version: i64,
    pub status: RuleSetStatus,
    pub name_zh: String,
    pub name_en: String,
    pub author_name: String,
    pub approver_name: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
    pub published_at: Option<i64>,
    /// Guards every change (optimistic concurrency), like an application's version.
    pub row_version: i64,
}

/// A draft to save: a new version (`id: None`) of a product and stage, or
/// changes to one's own draft (`id` and the `expected_row_version` read).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleSetDraft {
    pub id: Option<String>,
    pub expected_row_version: Option<i64>,
    pub product_id: crate::id::ProductId,
    pub stage: DecisionStage,
    pub definition: StrategyDef,
    pub note: String,
}

/// A version of a rule set with its definition and what the viewer may do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleSetDetail {
    pub summary: RuleSetSummary,
    pub definition: StrategyDef,
    pub note: String,
    pub review_comment: String,
    pub submitted_at: Option<i64>,
    pub approved_at: Option<i64>,
    pub can_edit: bool,
    pub can_submit: bool,
    pub can_approve: bool,
    pub can_publish: bool,
    /// Why this user may not approve it, e.g. [`ErrorCode::SelfApproval`].
    pub approve_blocked_reason: Option<ErrorCode>,
}

/// Where a rule set definition is wrong, for the editor to highlight:
/// stages, rules, characteristics and bins count from 0; `position` is the
/// line and column inside the expression or cell text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleSetProblem {
    /// What is wrong, e.g. [`ErrorCode::ExprUnknownFeature`].
    pub code: ErrorCode,
    pub stage: Option<usize>,
    pub rule: Option<usize>,
    pub rule_id: Option<String>,
    pub table_place: Option<TablePlace>,
    pub characteristic: Option<usize>,
    pub bin: Option<usize>,
    pub position: Option<Position>,
    pub span: Option<Span>,
    /// English detail for logs and the editor.
    pub message: String,
}

impl From<&StrategyError> for RuleSetProblem {
    fn from(e: &StrategyError) -> RuleSetProblem {
        let mut p = RuleSetProblem {
            code: e.code(),
            stage: None,
            rule: None,
            rule_id: None,
            table_place: None,
            characteristic: None,
            bin: None,
            position: None,
            span: None,
            message: e.to_string(),
        };
        let expr = match e {
            StrategyError::Rules { stage, error } => {
                p.stage = Some(*stage);
                match error.as_ref() {
                    RuleError::Expr { index, id, error } => {
                        p.rule = Some(*index);
                        p.rule_id = Some(id.clone());
                        Some(error)
                    }
                    RuleError::BadReasonCode { index, id, .. }
                    | RuleError::DuplicateId { index, id } => {
                        p.rule = Some(*index);
                        p.rule_id = Some(id.clone());
                        None
                    }
                }
            }
            StrategyError::Table { stage, error } => {
                p.stage = Some(*stage);
                p.table_place = Some(error.place);
                error.expr.as_ref()
            }
            StrategyError::Scorecard { stage, error } => {
                p.stage = Some(*stage);
                p.characteristic = error.characteristic;
                p.bin = error.bin;
                error.expr.as_ref()
            }
            StrategyError::StageOrder { stage }
            | StrategyError::ScorecardPlace { stage }
            | StrategyError::ScoreAfterScoring { stage } => {
                p.stage = Some(*stage);
                None
            }
            StrategyError::RateBounds | StrategyError::OutputFeature(_) => None,
        };
        if let Some(x) = expr {
            p.position = Some(x.position);
            p.span = Some(x.span);
        }
        p
    }
}

/// A decision's result, before or after a rule change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DecisionBrief {
    pub outcome: Verdict,
    pub limit: Option<Fen>,
    pub rate_bp: Option<u32>,
    pub reason_codes: Vec<String>,
}

/// One application whose decision a rule change would change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SimulationDiff {
    pub application_id: crate::id::ApplicationId,
    pub customer_name: String,
    pub decided_at: i64,
    /// The version that made the stored decision.
    pub baseline_version: Option<i64>,
    pub before: DecisionBrief,
    pub after: DecisionBrief,
}

/// How often one rule fired, under the simulated version and in the stored decisions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleHitCount {
    pub rule_id: String,
    pub name_zh: String,
    pub name_en: String,
    pub simulated: i64,
    pub baseline: i64,
}

/// How many decisions went from one outcome to another.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutcomeFlip {
    pub from: Verdict,
    pub to: Verdict,
    pub count: i64,
}

/// A past application a rule-set version can be tried on (test bench).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleSetSample {
    pub application_id: crate::id::ApplicationId,
    /// Masked.
    pub customer_name: String,
    pub amount: Fen,
    pub decided_at: i64,
    /// The stored decision's outcome and the version that made it.
    pub outcome: Verdict,
    pub version: Option<i64>,
}

/// A rule-set version run on one past application's stored inputs: what was
/// decided then and what this version decides, with its trace.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleSetTrial {
    pub application_id: crate::id::ApplicationId,
    pub customer_name: String,
    pub baseline: DecisionBrief,
    pub baseline_version: Option<i64>,
    pub result: DecisionView,
}

/// What a rule-set version would have changed on past applications.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SimulationReport {
    pub rule_set_id: String,
    pub version: i64,
    pub stage: DecisionStage,
    pub product_code: String,
    /// Applications replayed (each one's latest stored decision at the stage).
    pub applications: i64,
    /// Applications whose outcome, limit, rate or reasons would change.
    pub changed: i64,
    pub flips: Vec<OutcomeFlip>,
    pub limits_up: i64,
    pub limits_down: i64,
    /// Sum of the limit changes (after − before, where both have a limit).
    pub limit_change: Fen,
    pub rates_up: i64,
    pub rates_down: i64,
    pub rule_hits: Vec<RuleHitCount>,
    /// The changed applications, newest first.
    pub diffs: Vec<SimulationDiff>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::expr::ExprErrorKind;
    use crate::rules::rule::RuleSetDef;
    use crate::rules::schema::{FeatureDef, FeatureSchema, FeatureType};
    use crate::rules::strategy::StageKind;
    use crate::rules::strategy::{StageBodyDef, StageDef, Strategy};

    #[test]
    fn a_strategy_error_points_at_the_rule_and_the_column() {
        let schema = FeatureSchema::new(vec![FeatureDef::new(
            "age",
            FeatureType::Int,
            "年龄",
            "age",
        )])
        .unwrap_or_else(|e| panic!("{e}"));
        let rule = |id: &str, cond: &str| crate::rules::rule::RuleDef {
            id: id.into(),
            name_zh: "规则".into(),
            name_en: "rule".into(),
            condition: cond.into(),
            action: crate::rules::rule::Action::Reject,
            reason_code: "age_out_of_range".into(),
        };
        let def = StrategyDef {
            id: "s".into(),
            name_zh: "策略".into(),
            name_en: "strategy".into(),
            stages: vec![StageDef {
                kind: StageKind::Admission,
                body: StageBodyDef::Rules(RuleSetDef {
                    id: "admission".into(),
                    name_zh: "准入".into(),
                    name_en: "admission".into(),
                    rules: vec![rule("r1", "age > 18"), rule("r2", "age > 65 and agee < 3")],
                }),
            }],
            base_rate_bp: 500,
            rate_floor_bp: 400,
            rate_ceiling_bp: None,
            max_limit: None,
            score_feature: None,
            grade_feature: None,
        };
        let err = Strategy::compile(&def, &schema)
            .err()
            .unwrap_or_else(|| panic!("must fail"));
        let p = RuleSetProblem::from(&err);
        assert_eq!(p.code, ErrorCode::ExprUnknownFeature);
        assert_eq!((p.stage, p.rule), (Some(0), Some(1)));
        assert_eq!(
            p.position,
            Some(Position {
                line: 1,
                column: 14
            })
        );
        assert_eq!(p.span, Some(Span::new(13, 17)));
        assert!(matches!(
            &err,
            StrategyError::Rules { error, .. }
                if matches!(error.as_ref(), RuleError::Expr { error, .. } if error.kind == ExprErrorKind::UnknownFeature)
        ));
    }
}
