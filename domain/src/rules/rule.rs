//! Rules (规则) and rule sets (规则集): a condition and an action, evaluated into
//! an [`Outcome`] and a [`Trace`].

use std::sync::Arc;

use serde::{Deserialize, Serialize};
use thiserror::Error;

use super::expr::{Compiled, EvalError, ExprError};
use super::schema::{FeatureSchema, FeatureType, Features};
use super::strategy::StageKind;
use super::trace::{Event, Observed, Source, Trace};
use crate::error_code::ErrorCode;
use crate::money::Fen;

/// Reason code given when a condition could not be evaluated.
pub const EVAL_ERROR_REASON: &str = "engine_evaluation_error";

/// What a fired rule does.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "type", content = "value", rename_all = "snake_case")]
pub enum Action {
    Reject,
    /// Refer to a human (转人工审核).
    Refer,
    /// Add a tag for officers; does not change the verdict.
    Flag(String),
    AddScore(i32),
    /// The limit may not exceed this.
    CapLimit(Fen),
    /// Basis points added to (or, negative, taken off) the rate.
    AdjustRateBp(i32),
}

impl Action {
    pub fn label_zh(&self) -> String {
        match self {
            Action::Reject => "拒绝".to_owned(),
            Action::Refer => "转人工审核".to_owned(),
            Action::Flag(tag) => format!("标记「{tag}」"),
            Action::AddScore(n) => format!("评分 {n:+}"),
            Action::CapLimit(f) => format!("额度上限 {f}元"),
            Action::AdjustRateBp(n) => format!("利率 {n:+} 个基点"),
        }
    }

    pub fn label_en(&self) -> String {
        match self {
            Action::Reject => "reject".to_owned(),
            Action::Refer => "refer to an officer".to_owned(),
            Action::Flag(tag) => format!("flag \"{tag}\""),
            Action::AddScore(n) => format!("score {n:+}"),
            Action::CapLimit(f) => format!("cap the limit at CNY {f}"),
            Action::AdjustRateBp(n) => format!("rate {n:+} bp"),
        }
    }

    /// Whether the action works against the applicant: a rejection, a
    /// referral, a capped limit, a higher rate or fewer points. Only adverse
    /// actions give the customer a reason code; a favourable one (a discount,
    /// a bonus, an officer's flag) shows in the trace alone.
    pub fn is_adverse(&self) -> bool {
        match self {
            Action::Reject | Action::Refer | Action::CapLimit(_) => true,
            Action::AdjustRateBp(n) => *n > 0,
            Action::AddScore(n) => *n < 0,
            Action::Flag(_) => false,
        }
    }
}

/// The verdict, ordered from best to worst so that combining is `max`.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    #[default]
    Approve,
    Refer,
    Reject,
}

impl Verdict {
    pub fn label_zh(self) -> &'static str {
        match self {
            Verdict::Approve => "通过",
            Verdict::Refer => "转人工审核",
            Verdict::Reject => "拒绝",
        }
    }
}

/// The combined effect of what fired.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Outcome {
    pub verdict: Verdict,
    /// Sum of [`Action::AddScore`].
    pub score_delta: i64,
    /// The lowest [`Action::CapLimit`] (and table `limit` outputs).
    pub limit_cap: Option<Fen>,
    /// Sum of [`Action::AdjustRateBp`] (and table `rate_adjust_bp` outputs).
    pub rate_adjust_bp: i64,
    /// A base rate set by a pricing table's `rate_bp` output (the last one wins).
    pub base_rate_bp: Option<i64>,
    /// The lowest table `limit_factor_pct` output: the new limit as a
    /// percentage of the current one (a line's renewal, 续授信).
    #[serde(default)]
    pub limit_factor_pct: Option<i64>,
    pub flags: Vec<String>,
    /// Customer-facing reason codes of adverse results only (see
    /// [`Action::is_adverse`]), each once, in the order they arose. The
    /// trace keeps every code, favourable ones included.
    pub reason_codes: Vec<String>,
}

impl Outcome {
    pub(crate) fn apply(&mut self, action: &Action) {
        match action {
            Action::Reject => self.verdict = self.verdict.max(Verdict::Reject),
            Action::Refer => self.verdict = self.verdict.max(Verdict::Refer),
            Action::Flag(tag) => {
                if !self.flags.contains(tag) {
                    self.flags.push(tag.clone());
                }
            }
            Action::AddScore(n) => self.score_delta += i64::from(*n),
            Action::CapLimit(f) => self.cap(*f),
            Action::AdjustRateBp(n) => self.rate_adjust_bp += i64::from(*n),
        }
    }

    pub(crate) fn cap(&mut self, f: Fen) {
        self.limit_cap = Some(self.limit_cap.map_or(f, |c| c.min(f)));
    }

    pub(crate) fn factor(&mut self, pct: i64) {
        self.limit_factor_pct = Some(self.limit_factor_pct.map_or(pct, |c| c.min(pct)));
    }

    pub(crate) fn reason(&mut self, code: &str) {
        if !code.is_empty() && !self.reason_codes.iter().any(|c| c == code) {
            self.reason_codes.push(code.to_owned());
        }
    }

    pub(crate) fn error(&mut self) {
        self.verdict = self.verdict.max(Verdict::Refer);
        self.reason(EVAL_ERROR_REASON);
    }
}

/// A rule as stored: the condition is source text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleDef {
    pub id: String,
    pub name_zh: String,
    pub name_en: String,
    pub condition: String,
    pub action: Action,
    /// Stable snake_case code a customer may be told, e.g. `age_out_of_range`.
    pub reason_code: String,
}

/// A rule with its condition compiled.
#[derive(Debug, Clone, PartialEq)]
pub struct Rule {
    pub id: String,
    pub name_zh: String,
    pub name_en: String,
    pub condition: Compiled,
    pub action: Action,
    pub reason_code: String,
}

/// Why a definition was refused at save time.
#[derive(Debug, Clone, PartialEq, Eq, Error, Serialize, Deserialize)]
pub enum RuleError {
    #[error("rule {index} ({id}): {error}")]
    Expr {
        index: usize,
        id: String,
        error: ExprError,
    },
    #[error("rule {index} ({id}): the reason code {code:?} is not snake_case")]
    BadReasonCode {
        index: usize,
        id: String,
        code: String,
    },
    #[error("rule {index}: the id {id:?} is used twice")]
    DuplicateId { index: usize, id: String },
}

impl RuleError {
    /// Its [`ErrorCode`]; for an expression error, the expression's code.
    pub fn code(&self) -> ErrorCode {
        match self {
            RuleError::Expr { error, .. } => error.code(),
            RuleError::BadReasonCode { .. } => ErrorCode::RuleBadReasonCode,
            RuleError::DuplicateId { .. } => ErrorCode::RuleDuplicateId,
        }
    }
}

/// `[a-z][a-z0-9_]*`.
pub(crate) fn is_snake_case(s: &str) -> bool {
    let mut b = s.bytes();
    b.next().is_some_and(|c| c.is_ascii_lowercase())
        && b.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'_')
}

impl Rule {
    pub fn compile(def: &RuleDef, schema: &FeatureSchema, index: usize) -> Result<Rule, RuleError> {
        let condition =
            Compiled::condition(&def.condition, schema).map_err(|error| RuleError::Expr {
                index,
                id: def.id.clone(),
                error,
            })?;
        if !is_snake_case(&def.reason_code) {
            return Err(RuleError::BadReasonCode {
                index,
                id: def.id.clone(),
                code: def.reason_code.clone(),
            });
        }
        Ok(Rule {
            id: def.id.clone(),
            name_zh: def.name_zh.clone(),
            name_en: def.name_en.clone(),
            condition,
            action: def.action.clone(),
            reason_code: def.reason_code.clone(),
        })
    }

    pub fn to_def(&self) -> RuleDef {
        RuleDef {
            id: self.id.clone(),
            name_zh: self.name_zh.clone(),
            name_en: self.name_en.clone(),
            condition: self.condition.source().to_owned(),
            action: self.action.clone(),
            reason_code: self.reason_code.clone(),
        }
    }

    fn source(&self) -> Source {
        Source {
            id: self.id.clone(),
            name_zh: self.name_zh.clone(),
            name_en: self.name_en.clone(),
        }
    }
}

/// A rule set as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleSetDef {
    pub id: String,
    pub name_zh: String,
    pub name_en: String,
    pub rules: Vec<RuleDef>,
}

/// Compiled rules, all evaluated in order (so the trace shows every reason).
#[derive(Debug, Clone, PartialEq)]
pub struct RuleSet {
    pub id: String,
    pub name_zh: String,
    pub name_en: String,
    pub rules: Vec<Rule>,
    types: Arc<[FeatureType]>,
}

/// What a rule set decided and why.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Evaluation {
    pub outcome: Outcome,
    pub trace: Trace,
}

impl RuleSet {
    /// Compiles every rule; the first bad one is reported with its index.
    pub fn compile(def: &RuleSetDef, schema: &FeatureSchema) -> Result<RuleSet, RuleError> {
        let mut rules: Vec<Rule> = Vec::with_capacity(def.rules.len());
        for (index, r) in def.rules.iter().enumerate() {
            if rules.iter().any(|x| x.id == r.id) {
                return Err(RuleError::DuplicateId {
                    index,
                    id: r.id.clone(),
                });
            }
            rules.push(Rule::compile(r, schema, index)?);
        }
        Ok(RuleSet {
            id: def.id.clone(),
            name_zh: def.name_zh.clone(),
            name_en: def.name_en.clone(),
            rules,
            types: Arc::clone(schema.types()),
        })
    }

    pub fn to_def(&self) -> RuleSetDef {
        RuleSetDef {
            id: self.id.clone(),
            name_zh: self.name_zh.clone(),
            name_en: self.name_en.clone(),
            rules: self.rules.iter().map(Rule::to_def).collect(),
        }
    }

    pub(crate) fn source(&self) -> Source {
        Source {
            id: self.id.clone(),
            name_zh: self.name_zh.clone(),
            name_en: self.name_en.clone(),
        }
    }

    pub fn evaluate(&self, f: &Features) -> Evaluation {
        let mut ev = Evaluation::default();
        self.evaluate_into(f, None, &mut ev.outcome, &mut ev.trace);
        ev
    }

    /// Evaluates every rule, adding to `outcome` and `trace`. Allocates only
    /// for rules that fire, read missing data or fail.
    pub(crate) fn evaluate_into(
        &self,
        f: &Features,
        stage: Option<StageKind>,
        outcome: &mut Outcome,
        trace: &mut Trace,
    ) {
        if !f.is_for(&self.types) {
            outcome.error();
            trace.push(
                stage,
                Event::EngineError {
                    error: EvalError::WrongSchema,
                },
            );
            return;
        }
        for rule in &self.rules {
            match rule.condition.test_unchecked(f) {
                Ok(t) if t.matched => {
                    outcome.apply(&rule.action);
                    if rule.action.is_adverse() {
                        outcome.reason(&rule.reason_code);
                    }
                    trace.push(
                        stage,
                        Event::RuleFired {
                            rule: rule.source(),
                            condition_zh: rule.condition.text_zh().to_owned(),
                            condition_en: rule.condition.text_en().to_owned(),
                            values: Observed::all(&rule.condition, f),
                            action: rule.action.clone(),
                            reason_code: rule.reason_code.clone(),
                        },
                    );
                }
                Ok(t) if t.missing => {
                    let missing = rule
                        .condition
                        .refs()
                        .iter()
                        .filter(|r| f.get(r.slot).is_missing())
                        .map(|r| Observed::of(r, f))
                        .collect();
                    trace.push(
                        stage,
                        Event::RuleMissing {
                            rule: rule.source(),
                            missing,
                        },
                    );
                }
                Ok(_) => {}
                Err(error) => {
                    outcome.error();
                    trace.push(
                        stage,
                        Event::RuleError {
                            rule: rule.source(),
                            error,
                        },
                    );
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::schema::{FeatureDef, Value};
    use rstest::rstest;

    fn schema() -> FeatureSchema {
        FeatureSchema::new(vec![
            FeatureDef::new("age", FeatureType::Int, "年龄", "age"),
            FeatureDef::new("income", FeatureType::Money, "年收入", "annual income"),
            FeatureDef::new("debt", FeatureType::Money, "负债", "debt"),
        ])
        .unwrap_or_else(|e| panic!("{e}"))
    }

    fn rule(id: &str, name: &str, cond: &str, action: Action, code: &str) -> RuleDef {
        RuleDef {
            id: id.into(),
            name_zh: name.into(),
            name_en: id.into(),
            condition: cond.into(),
            action,
            reason_code: code.into(),
        }
    }

    fn set() -> RuleSetDef {
        RuleSetDef {
            id: "admission".into(),
            name_zh: "准入".into(),
            name_en: "admission".into(),
            rules: vec![
                rule(
                    "age_max",
                    "年龄超限",
                    "age > 65",
                    Action::Reject,
                    "age_out_of_range",
                ),
                rule(
                    "low_income",
                    "收入偏低",
                    "income < 30000元",
                    Action::Refer,
                    "income_low",
                ),
                rule(
                    "debt_ratio",
                    "负债收入比",
                    "debt / income > 0.5",
                    Action::CapLimit(Fen::from_yuan(50_000)),
                    "debt_ratio_high",
                ),
                rule(
                    "young",
                    "青年",
                    "age < 30",
                    Action::AdjustRateBp(-20),
                    "young_farmer",
                ),
                rule(
                    "young2",
                    "青年加分",
                    "age < 30",
                    Action::AddScore(15),
                    "young_farmer",
                ),
                rule(
                    "tag",
                    "标记",
                    "age < 30",
                    Action::Flag("青年".into()),
                    "young_farmer",
                ),
            ],
        }
    }

    fn record(age: Option<i64>, income: Option<i64>, debt: Option<i64>) -> Features {
        let s = schema();
        let mut f = s.record();
        let ok = s.set(&mut f, "age", age).is_ok()
            && s.set(&mut f, "income", income.map(Fen::from_yuan)).is_ok()
            && s.set(&mut f, "debt", debt.map(Fen::from_yuan)).is_ok();
        assert!(ok);
        f
    }

    #[test]
    fn evaluates_with_trace_and_reasons() {
        let rs = RuleSet::compile(&set(), &schema()).unwrap_or_else(|e| panic!("{e}"));
        let ev = rs.evaluate(&record(Some(67), Some(20_000), Some(0)));
        assert_eq!(ev.outcome.verdict, Verdict::Reject);
        assert_eq!(ev.outcome.reason_codes, ["age_out_of_range", "income_low"]);
        assert_eq!(ev.trace.fired_rules(), ["age_max", "low_income"]);
        assert_eq!(
            ev.trace.explain_zh(),
            [
                "规则「年龄超限」命中：年龄 = 67（条件：年龄 > 65）→ 拒绝",
                "规则「收入偏低」命中：年收入 = 20,000.00元（条件：年收入 < 30,000.00元）→ 转人工审核",
            ]
        );
        assert_eq!(
            ev.trace.explain_en()[0],
            "Rule \"age_max\" fired: age = 67 (condition: age > 65) → reject"
        );

        let ev = rs.evaluate(&record(Some(25), Some(100_000), Some(60_000)));
        assert_eq!(ev.outcome.verdict, Verdict::Approve);
        assert_eq!(ev.outcome.limit_cap, Some(Fen::from_yuan(50_000)));
        assert_eq!(ev.outcome.rate_adjust_bp, -20);
        assert_eq!(ev.outcome.score_delta, 15);
        assert_eq!(ev.outcome.flags, ["青年"]);
        // The rate cut, the bonus points and the flag favour the applicant:
        // no customer reason, but the trace still names the rules and code.
        assert_eq!(ev.outcome.reason_codes, ["debt_ratio_high"]);
        assert_eq!(
            ev.trace.fired_rules(),
            ["debt_ratio", "young", "young2", "tag"]
        );
        assert!(ev.trace.entries.iter().any(|e| matches!(
            &e.event,
            Event::RuleFired { reason_code, .. } if reason_code == "young_farmer"
        )));
    }

    #[rstest]
    #[case(Action::Reject, true)]
    #[case(Action::Refer, true)]
    #[case(Action::CapLimit(Fen::from_yuan(1)), true)]
    #[case(Action::AdjustRateBp(25), true)]
    #[case(Action::AdjustRateBp(0), false)]
    #[case(Action::AdjustRateBp(-25), false)]
    #[case(Action::AddScore(-10), true)]
    #[case(Action::AddScore(10), false)]
    #[case(Action::AddScore(0), false)]
    #[case(Action::Flag("重点客户".into()), false)]
    fn only_adverse_rules_give_customer_reasons(#[case] action: Action, #[case] adverse: bool) {
        assert_eq!(action.is_adverse(), adverse);
        let def = RuleSetDef {
            id: "one".into(),
            name_zh: "单条".into(),
            name_en: "one".into(),
            rules: vec![rule("r", "规则", "age > 18", action, "some_reason")],
        };
        let rs = RuleSet::compile(&def, &schema()).unwrap_or_else(|e| panic!("{e}"));
        let ev = rs.evaluate(&record(Some(40), None, None));
        assert_eq!(ev.trace.fired_rules(), ["r"]);
        let expected: &[&str] = if adverse { &["some_reason"] } else { &[] };
        assert_eq!(ev.outcome.reason_codes, expected);
    }

    #[test]
    fn missing_and_errors_are_traced() {
        let rs = RuleSet::compile(&set(), &schema()).unwrap_or_else(|e| panic!("{e}"));
        // Income zero: debt / income divides by zero → refer, not panic.
        let ev = rs.evaluate(&record(None, Some(0), Some(1)));
        assert_eq!(ev.outcome.verdict, Verdict::Refer);
        assert!(ev
            .outcome
            .reason_codes
            .contains(&EVAL_ERROR_REASON.to_owned()));
        let lines = ev.trace.explain_zh();
        assert_eq!(lines[0], "规则「年龄超限」未命中：年龄缺失，无法判断");
        assert!(lines.contains(&"规则「负债收入比」无法计算（除数为零）→ 转人工审核".to_owned()));
        match &ev.trace.entries[0].event {
            Event::RuleMissing { missing, .. } => assert_eq!(missing[0].value, Value::Missing),
            other => panic!("{other:?}"),
        }
        // A record of another schema is a defined error, not a misread.
        let other = FeatureSchema::new(vec![FeatureDef::new("x", FeatureType::Int, "x", "x")])
            .unwrap_or_else(|e| panic!("{e}"));
        let ev = rs.evaluate(&other.record());
        assert_eq!(ev.outcome.verdict, Verdict::Refer);
        assert_eq!(ev.trace.entries.len(), 1);
    }

    #[rstest]
    #[case(1, "age >> 3", "expr_syntax")]
    #[case(2, "incme > 1元", "expr_unknown_feature")]
    #[case(0, "income > 1", "expr_type_mismatch")]
    fn refuses_bad_rules_at_save(#[case] at: usize, #[case] cond: &str, #[case] code: &str) {
        let mut def = set();
        def.rules[at].condition = cond.into();
        let err = RuleSet::compile(&def, &schema()).err();
        assert_eq!(err.as_ref().map(|e| e.code().as_str()), Some(code));
        assert!(matches!(err, Some(RuleError::Expr { index, .. }) if index == at));
    }

    #[test]
    fn refuses_bad_codes_and_ids() {
        let mut def = set();
        def.rules[1].reason_code = "Income Low".into();
        assert_eq!(
            RuleSet::compile(&def, &schema()).err().map(|e| e.code()),
            Some(ErrorCode::RuleBadReasonCode)
        );
        let mut def = set();
        def.rules[2].id = "age_max".into();
        assert_eq!(
            RuleSet::compile(&def, &schema()).err(),
            Some(RuleError::DuplicateId {
                index: 2,
                id: "age_max".into()
            })
        );
    }

    #[test]
    fn definitions_round_trip_through_json() {
        let def = set();
        let json = serde_json::to_string(&def).unwrap_or_default();
        assert!(json.contains(r#""action":{"type":"cap_limit","value":5000000}"#));
        let back: RuleSetDef = serde_json::from_str(&json).unwrap_or_else(|e| panic!("{e}"));
        let rs = RuleSet::compile(&back, &schema()).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(rs.to_def(), def);
        let trace = rs.evaluate(&record(Some(70), None, None)).trace;
        let json = serde_json::to_string(&trace).unwrap_or_default();
        assert_eq!(serde_json::from_str::<Trace>(&json).ok(), Some(trace));
    }
}
