//! Strategies (策略): stages in a fixed order — anti-fraud, blacklist and related
//! parties, admission, score, limit, pricing — each a rule set, a decision table
//! or a scorecard, chained into one [`Decision`].
//!
//! - A stage that rejects stops the strategy (the rest of that stage still runs,
//!   so every reason is traced). Refer is collected and the strategy goes on.
//! - Score and grade come from the scorecard plus `AddScore` actions up to the end
//!   of the score stage; they may be written into schema features (named by
//!   `score_feature` / `grade_feature`) for the limit and pricing stages to use.
//! - Limit = the lowest of every cap (`CapLimit` actions, table `limit` outputs)
//!   and the product maximum; none if there is no cap at all.
//! - Rate = base (the strategy's, or a pricing table's `rate_bp`) + adjustments,
//!   clamped to the floor and the ceiling.

use serde::{Deserialize, Serialize};
use thiserror::Error;

use super::rule::{Action, Outcome, RuleError, RuleSet, RuleSetDef, Verdict};
use super::schema::{FeatureSchema, FeatureType, Features, Slot, Value};
use super::scorecard::{Scorecard, ScorecardDef, ScorecardError};
use super::table::{Table, TableDef, TableError};
use super::trace::{Event, Trace};
use crate::error_code::ErrorCode;
use crate::money::Fen;

/// The stages, in the order they run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StageKind {
    AntiFraud,
    /// Blacklist and related parties.
    Blacklist,
    Admission,
    Score,
    Limit,
    Pricing,
}

impl StageKind {
    pub fn label_zh(self) -> &'static str {
        match self {
            StageKind::AntiFraud => "反欺诈",
            StageKind::Blacklist => "黑名单与关联方",
            StageKind::Admission => "准入",
            StageKind::Score => "评分",
            StageKind::Limit => "额度测算",
            StageKind::Pricing => "定价",
        }
    }

    pub fn label_en(self) -> &'static str {
        match self {
            StageKind::AntiFraud => "anti-fraud",
            StageKind::Blacklist => "blacklist and related parties",
            StageKind::Admission => "admission",
            StageKind::Score => "scoring",
            StageKind::Limit => "limit calculation",
            StageKind::Pricing => "pricing",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", content = "def", rename_all = "snake_case")]
pub enum StageBodyDef {
    Rules(RuleSetDef),
    Table(TableDef),
    Scorecard(ScorecardDef),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StageDef {
    pub kind: StageKind,
    pub body: StageBodyDef,
}

/// A strategy as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StrategyDef {
    pub id: String,
    pub name_zh: String,
    pub name_en: String,
    pub stages: Vec<StageDef>,
    pub base_rate_bp: u32,
    pub rate_floor_bp: u32,
    #[serde(default)]
    pub rate_ceiling_bp: Option<u32>,
    /// The product's maximum limit.
    #[serde(default)]
    pub max_limit: Option<Fen>,
    /// An int feature that receives the score after the score stage.
    #[serde(default)]
    pub score_feature: Option<String>,
    /// A text feature that receives the grade after the score stage.
    #[serde(default)]
    pub grade_feature: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
enum StageBody {
    Rules(Box<RuleSet>),
    Table(Box<Table>),
    Scorecard(Box<Scorecard>),
}

/// Why a strategy was refused; `stage` counts from 0.
#[derive(Debug, Clone, PartialEq, Eq, Error, Serialize, Deserialize)]
pub enum StrategyError {
    #[error("stage {stage}: {error}")]
    Rules { stage: usize, error: Box<RuleError> },
    #[error("stage {stage}: {error}")]
    Table {
        stage: usize,
        error: Box<TableError>,
    },
    #[error("stage {stage}: {error}")]
    Scorecard {
        stage: usize,
        error: Box<ScorecardError>,
    },
    #[error(
        "stage {stage} is out of order (anti-fraud, blacklist, admission, score, limit, pricing)"
    )]
    StageOrder { stage: usize },
    #[error("stage {stage}: a scorecard belongs in the single score stage")]
    ScorecardPlace { stage: usize },
    #[error("stage {stage}: score changes after the score stage would not count")]
    ScoreAfterScoring { stage: usize },
    #[error("the rate floor is above the ceiling")]
    RateBounds,
    #[error("the feature {0:?} does not exist or has the wrong type")]
    OutputFeature(String),
}

impl StrategyError {
    /// Its [`ErrorCode`]; for a stage's own error, that error's code.
    pub fn code(&self) -> ErrorCode {
        match self {
            StrategyError::Rules { error, .. } => error.code(),
            StrategyError::Table { error, .. } => error.code(),
            StrategyError::Scorecard { error, .. } => error.code(),
            StrategyError::StageOrder { .. } => ErrorCode::StrategyStageOrder,
            StrategyError::ScorecardPlace { .. } => ErrorCode::StrategyScorecardPlace,
            StrategyError::ScoreAfterScoring { .. } => ErrorCode::StrategyScoreAfterScoring,
            StrategyError::RateBounds => ErrorCode::StrategyRateBounds,
            StrategyError::OutputFeature(_) => ErrorCode::StrategyOutputFeature,
        }
    }
}

/// A compiled strategy.
#[derive(Debug, Clone, PartialEq)]
pub struct Strategy {
    def: StrategyDef,
    stages: Vec<(StageKind, StageBody)>,
    score_slot: Option<Slot>,
    grade_slot: Option<Slot>,
}

/// The final decision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Decision {
    pub outcome: Verdict,
    /// None when rejected or when nothing caps the limit.
    pub limit: Option<Fen>,
    /// Annual rate in basis points; none when rejected.
    pub rate_bp: Option<u32>,
    /// None when no scorecard ran (e.g. rejected before scoring).
    pub score: Option<i64>,
    pub grade: Option<String>,
    /// The new limit as a percentage of the current one, from a table's
    /// `limit_factor_pct` output (the lowest wins); none when rejected or
    /// when no table gives one. Read by a line's renewal (续授信) only.
    #[serde(default)]
    pub limit_factor_pct: Option<u32>,
    pub flags: Vec<String>,
    /// Customer-facing, stable snake_case, each once, in the order they arose;
    /// adverse results only (a rejection, referral, capped limit, surcharge or
    /// lost points), never a favourable rule.
    pub reason_codes: Vec<String>,
    pub trace: Trace,
}

fn changes_score(body: &StageBodyDef) -> bool {
    match body {
        StageBodyDef::Rules(rs) => rs
            .rules
            .iter()
            .any(|r| matches!(r.action, Action::AddScore(_))),
        StageBodyDef::Table(t) => t.outputs.iter().any(|o| o.name == "score"),
        StageBodyDef::Scorecard(_) => true,
    }
}

impl Strategy {
    pub fn compile(def: &StrategyDef, schema: &FeatureSchema) -> Result<Strategy, StrategyError> {
        if def.rate_ceiling_bp.is_some_and(|c| c < def.rate_floor_bp) {
            return Err(StrategyError::RateBounds);
        }
        let feature =
            |name: &Option<String>, ty: FeatureType| -> Result<Option<Slot>, StrategyError> {
                name.as_ref()
                    .map(|n| {
                        schema
                            .slot(n)
                            .filter(|s| schema.def(*s).is_some_and(|d| d.ty == ty))
                            .ok_or_else(|| StrategyError::OutputFeature(n.clone()))
                    })
                    .transpose()
            };
        let score_slot = feature(&def.score_feature, FeatureType::Int)?;
        let grade_slot = feature(&def.grade_feature, FeatureType::Text)?;
        let mut stages = Vec::with_capacity(def.stages.len());
        let mut scorecards = 0;
        for (stage, s) in def.stages.iter().enumerate() {
            if stage > 0 && def.stages[stage - 1].kind > s.kind {
                return Err(StrategyError::StageOrder { stage });
            }
            if s.kind > StageKind::Score && changes_score(&s.body) {
                return Err(StrategyError::ScoreAfterScoring { stage });
            }
            let body =
                match &s.body {
                    StageBodyDef::Rules(r) => StageBody::Rules(Box::new(
                        RuleSet::compile(r, schema).map_err(|error| StrategyError::Rules {
                            stage,
                            error: Box::new(error),
                        })?,
                    )),
                    StageBodyDef::Table(t) => {
                        StageBody::Table(Box::new(Table::compile(t, schema).map_err(|error| {
                            StrategyError::Table {
                                stage,
                                error: Box::new(error),
                            }
                        })?))
                    }
                    StageBodyDef::Scorecard(c) => {
                        scorecards += 1;
                        if s.kind != StageKind::Score || scorecards > 1 {
                            return Err(StrategyError::ScorecardPlace { stage });
                        }
                        StageBody::Scorecard(Box::new(Scorecard::compile(c, schema).map_err(
                            |error| StrategyError::Scorecard {
                                stage,
                                error: Box::new(error),
                            },
                        )?))
                    }
                };
            stages.push((s.kind, body));
        }
        Ok(Strategy {
            def: def.clone(),
            stages,
            score_slot,
            grade_slot,
        })
    }

    pub fn def(&self) -> &StrategyDef {
        &self.def
    }

    /// Runs the stages over one application's features.
    pub fn evaluate(&self, f: &Features) -> Decision {
        let mut outcome = Outcome::default();
        let mut trace = Trace::default();
        let mut card: Option<(&Scorecard, i64)> = None;
        let mut score: Option<(i64, String)> = None;
        // A copy of the record only when score or grade are written back.
        let mut derived: Option<Features> = None;
        for (i, (kind, body)) in self.stages.iter().enumerate() {
            let stage = Some(*kind);
            let rec = derived.as_ref().unwrap_or(f);
            match body {
                StageBody::Rules(rs) => {
                    let before = trace.entries.len();
                    rs.evaluate_into(rec, stage, &mut outcome, &mut trace);
                    if trace.entries.len() == before {
                        trace.push(
                            stage,
                            Event::NoRuleFired {
                                rule_set: rs.source(),
                                rules: rs.rules.len(),
                            },
                        );
                    }
                }
                StageBody::Table(t) => {
                    t.evaluate_into(rec, stage, &mut outcome, &mut trace);
                }
                StageBody::Scorecard(c) => {
                    let r = c.evaluate_into(rec, stage, &mut outcome, &mut trace);
                    card = Some((c, r.total));
                }
            }
            let last_score_stage = *kind == StageKind::Score
                && self
                    .stages
                    .get(i + 1)
                    .is_none_or(|(k, _)| *k != StageKind::Score);
            if last_score_stage {
                if let Some((c, total)) = card {
                    let total = total.saturating_add(outcome.score_delta);
                    let grade = c.grade_for(total).to_owned();
                    if self.score_slot.is_some() || self.grade_slot.is_some() {
                        let mut g = f.clone();
                        if let Some(s) = self.score_slot {
                            let _ = g.set_slot(s, Value::Int(total));
                        }
                        if let Some(s) = self.grade_slot {
                            let _ = g.set_slot(s, Value::Text(grade.clone()));
                        }
                        derived = Some(g);
                    }
                    score = Some((total, grade));
                }
            }
            if outcome.verdict == Verdict::Reject {
                if i + 1 < self.stages.len() {
                    trace.push(stage, Event::Stopped { after: *kind });
                }
                break;
            }
        }
        let rejected = outcome.verdict == Verdict::Reject;
        let limit = match (outcome.limit_cap, self.def.max_limit) {
            _ if rejected => None,
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
        .map(|l| l.max(Fen::ZERO));
        let rate_bp = (!rejected).then(|| {
            let base = outcome
                .base_rate_bp
                .unwrap_or(i64::from(self.def.base_rate_bp));
            let mut rate = base.saturating_add(outcome.rate_adjust_bp);
            rate = rate.max(i64::from(self.def.rate_floor_bp));
            if let Some(c) = self.def.rate_ceiling_bp {
                rate = rate.min(i64::from(c));
            }
            u32::try_from(rate.max(0)).unwrap_or(u32::MAX)
        });
        let (score, grade) = score.map_or((None, None), |(s, g)| (Some(s), Some(g)));
        Decision {
            outcome: outcome.verdict,
            limit,
            rate_bp,
            score,
            grade,
            limit_factor_pct: outcome
                .limit_factor_pct
                .filter(|_| !rejected)
                .map(|p| u32::try_from(p.max(0)).unwrap_or(0)),
            flags: outcome.flags,
            reason_codes: outcome.reason_codes,
            trace,
        }
    }
}

#[cfg(test)]
mod tests;
