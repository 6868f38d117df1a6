//! The trace of an evaluation: every fired rule, hit table row and scorecard bin
//! with the feature values that made it so, readable by an officer in Chinese
//! ([`Trace::explain_zh`]) or English. Customer-facing reason codes are kept
//! apart, on the outcome.

use serde::{Deserialize, Serialize};

use super::expr::{Compiled, EvalError, FeatureRef};
use super::rule::Action;
use super::schema::{Features, Value};
use super::strategy::StageKind;
use crate::identity::mask_id_number;

/// A feature and the value it had.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Observed {
    pub name: String,
    pub label_zh: String,
    pub label_en: String,
    pub value: Value,
}

impl Observed {
    pub(crate) fn of(r: &FeatureRef, f: &Features) -> Observed {
        let value = match f.get(r.slot) {
            Value::Text(s) if r.pfi => Value::Text(mask_id_number(s)),
            v => v.clone(),
        };
        Observed {
            name: r.name.clone(),
            label_zh: r.label_zh.clone(),
            label_en: r.label_en.clone(),
            value,
        }
    }

    /// The features an expression reads, then the values of its function calls.
    pub(crate) fn all(c: &Compiled, f: &Features) -> Vec<Observed> {
        let mut out: Vec<Observed> = c.refs().iter().map(|r| Observed::of(r, f)).collect();
        out.extend(c.derived_values(f).map(|(src, zh, en, value)| Observed {
            name: src.to_owned(),
            label_zh: zh.to_owned(),
            label_en: en.to_owned(),
            value,
        }));
        out
    }
}

/// The names of the rule, table or scorecard an event is about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Source {
    pub id: String,
    pub name_zh: String,
    pub name_en: String,
}

/// One computed output of a table row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutputValue {
    pub name: String,
    pub label_zh: String,
    pub label_en: String,
    pub value: Value,
}

/// What happened.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Event {
    RuleFired {
        rule: Source,
        condition_zh: String,
        condition_en: String,
        values: Vec<Observed>,
        action: Action,
        reason_code: String,
    },
    /// The rule did not fire and read a missing feature: it may have fired had
    /// the data been there.
    RuleMissing {
        rule: Source,
        missing: Vec<Observed>,
    },
    /// The condition could not be evaluated; the rule refers to a human.
    RuleError { rule: Source, error: EvalError },
    /// `row` counts from 1, as a UI shows it.
    TableHit {
        table: Source,
        row: usize,
        conditions_zh: Vec<String>,
        conditions_en: Vec<String>,
        values: Vec<Observed>,
        outputs: Vec<OutputValue>,
    },
    TableNoHit {
        table: Source,
        values: Vec<Observed>,
    },
    /// Unique hit policy with more than one hit (rows from 1), or an input that
    /// could not be evaluated.
    TableError {
        table: Source,
        rows: Vec<usize>,
        error: Option<EvalError>,
    },
    /// An aggregated result of a collect table.
    TableAggregate {
        table: Source,
        aggregation: String,
        value: Value,
    },
    ScoreBin {
        scorecard: Source,
        feature_zh: String,
        feature_en: String,
        value: Value,
        /// The bin as written, e.g. `[18..30)`; "缺失"/"missing" or "其他"/"other"
        /// when no bin applied.
        bin: String,
        points: i32,
    },
    ScoreTotal {
        scorecard: Source,
        base: i32,
        total: i64,
        grade: String,
    },
    /// The strategy stopped after this stage rejected.
    Stopped { after: StageKind },
    /// A rules stage ran every one of its `rules` rules and none fired or
    /// lacked data: said, so that a clean pass still shows what was checked.
    NoRuleFired { rule_set: Source, rules: usize },
    /// The record was not made for the schema (a programming error upstream).
    EngineError { error: EvalError },
}

/// One trace line: the event and the strategy stage it happened in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TraceEntry {
    pub stage: Option<StageKind>,
    pub event: Event,
}

/// Everything an evaluation did that an officer may ask about, in order.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Trace {
    pub entries: Vec<TraceEntry>,
}

fn values_zh(values: &[Observed]) -> String {
    let parts: Vec<String> = values
        .iter()
        .map(|v| format!("{} = {}", v.label_zh, v.value.display_zh()))
        .collect();
    parts.join("，")
}

fn values_en(values: &[Observed]) -> String {
    let parts: Vec<String> = values
        .iter()
        .map(|v| format!("{} = {}", v.label_en, v.value.display_en()))
        .collect();
    parts.join(", ")
}

fn rows_list(rows: &[usize]) -> String {
    let parts: Vec<String> = rows.iter().map(usize::to_string).collect();
    parts.join(", ")
}

impl Trace {
    pub(crate) fn push(&mut self, stage: Option<StageKind>, event: Event) {
        self.entries.push(TraceEntry { stage, event });
    }

    /// The rules that fired, by id, in order.
    pub fn fired_rules(&self) -> Vec<&str> {
        self.entries
            .iter()
            .filter_map(|e| match &e.event {
                Event::RuleFired { rule, .. } => Some(rule.id.as_str()),
                _ => None,
            })
            .collect()
    }

    /// One line per entry, for officers, e.g.
    /// "规则「年龄超限」命中：年龄 = 67（条件：年龄 > 65）→ 拒绝".
    pub fn explain_zh(&self) -> Vec<String> {
        self.entries.iter().map(|e| explain_zh(&e.event)).collect()
    }

    /// One line per entry, for officers in the `en` locale.
    pub fn explain_en(&self) -> Vec<String> {
        self.entries.iter().map(|e| explain_en(&e.event)).collect()
    }
}

fn explain_zh(e: &Event) -> String {
    match e {
        Event::RuleFired {
            rule,
            condition_zh,
            values,
            action,
            ..
        } => format!(
            "规则「{}」命中：{}（条件：{condition_zh}）→ {}",
            rule.name_zh,
            values_zh(values),
            action.label_zh()
        ),
        Event::RuleMissing { rule, missing } => {
            let names: Vec<&str> = missing.iter().map(|m| m.label_zh.as_str()).collect();
            format!(
                "规则「{}」未命中：{}缺失，无法判断",
                rule.name_zh,
                names.join("、")
            )
        }
        Event::RuleError { rule, error } => format!(
            "规则「{}」无法计算（{}）→ 转人工审核",
            rule.name_zh,
            error.label_zh()
        ),
        Event::TableHit {
            table,
            row,
            conditions_zh,
            values,
            outputs,
            ..
        } => {
            let outs: Vec<String> = outputs
                .iter()
                .map(|o| format!("{} = {}", o.label_zh, o.value.display_zh()))
                .collect();
            format!(
                "决策表「{}」命中第 {row} 行：{}（条件：{}）→ {}",
                table.name_zh,
                values_zh(values),
                conditions_zh.join("，"),
                outs.join("，")
            )
        }
        Event::TableNoHit { table, values } => {
            format!("决策表「{}」无命中行：{}", table.name_zh, values_zh(values))
        }
        Event::TableError {
            table,
            rows,
            error: None,
        } => format!(
            "决策表「{}」第 {} 行同时命中（唯一命中策略）→ 转人工审核",
            table.name_zh,
            rows_list(rows)
        ),
        Event::TableError {
            table,
            error: Some(err),
            ..
        } => format!(
            "决策表「{}」无法计算（{}）→ 转人工审核",
            table.name_zh,
            err.label_zh()
        ),
        Event::TableAggregate {
            table,
            aggregation,
            value,
        } => format!(
            "决策表「{}」汇总（{aggregation}）= {}",
            table.name_zh,
            value.display_zh()
        ),
        Event::ScoreBin {
            scorecard,
            feature_zh,
            value,
            bin,
            points,
            ..
        } => format!(
            "评分卡「{}」：{feature_zh} = {}，分箱 {bin} → {points:+} 分",
            scorecard.name_zh,
            value.display_zh()
        ),
        Event::ScoreTotal {
            scorecard,
            base,
            total,
            grade,
        } => format!(
            "评分卡「{}」：基础分 {base}，总分 {total}，等级 {grade}",
            scorecard.name_zh
        ),
        Event::Stopped { after } => {
            format!("{}阶段拒绝，后续阶段不再执行", after.label_zh())
        }
        Event::NoRuleFired { rule_set, rules: 1 } => {
            format!("规则集「{}」：规则未命中", rule_set.name_zh)
        }
        Event::NoRuleFired { rule_set, rules } => {
            format!("规则集「{}」：{rules} 条规则均未命中", rule_set.name_zh)
        }
        Event::EngineError { error } => format!("引擎错误：{} → 转人工审核", error.label_zh()),
    }
}

fn explain_en(e: &Event) -> String {
    match e {
        Event::RuleFired {
            rule,
            condition_en,
            values,
            action,
            ..
        } => format!(
            "Rule \"{}\" fired: {} (condition: {condition_en}) → {}",
            rule.name_en,
            values_en(values),
            action.label_en()
        ),
        Event::RuleMissing { rule, missing } => {
            let names: Vec<&str> = missing.iter().map(|m| m.label_en.as_str()).collect();
            format!(
                "Rule \"{}\" did not fire: {} missing",
                rule.name_en,
                names.join(", ")
            )
        }
        Event::RuleError { rule, error } => format!(
            "Rule \"{}\" could not be evaluated ({error}) → refer",
            rule.name_en
        ),
        Event::TableHit {
            table,
            row,
            conditions_en,
            values,
            outputs,
            ..
        } => {
            let outs: Vec<String> = outputs
                .iter()
                .map(|o| format!("{} = {}", o.label_en, o.value.display_en()))
                .collect();
            format!(
                "Table \"{}\" hit row {row}: {} (conditions: {}) → {}",
                table.name_en,
                values_en(values),
                conditions_en.join(", "),
                outs.join(", ")
            )
        }
        Event::TableNoHit { table, values } => {
            format!(
                "Table \"{}\" had no hit: {}",
                table.name_en,
                values_en(values)
            )
        }
        Event::TableError {
            table,
            rows,
            error: None,
        } => format!(
            "Table \"{}\": rows {} all hit under the unique policy → refer",
            table.name_en,
            rows_list(rows)
        ),
        Event::TableError {
            table,
            error: Some(err),
            ..
        } => format!(
            "Table \"{}\" could not be evaluated ({err}) → refer",
            table.name_en
        ),
        Event::TableAggregate {
            table,
            aggregation,
            value,
        } => format!(
            "Table \"{}\" {aggregation} = {}",
            table.name_en,
            value.display_en()
        ),
        Event::ScoreBin {
            scorecard,
            feature_en,
            value,
            bin,
            points,
            ..
        } => format!(
            "Scorecard \"{}\": {feature_en} = {}, bin {bin} → {points:+} points",
            scorecard.name_en,
            value.display_en()
        ),
        Event::ScoreTotal {
            scorecard,
            base,
            total,
            grade,
        } => format!(
            "Scorecard \"{}\": base {base}, total {total}, grade {grade}",
            scorecard.name_en
        ),
        Event::Stopped { after } => {
            format!("Rejected at {}; later stages not run", after.label_en())
        }
        Event::NoRuleFired { rule_set, rules: 1 } => {
            format!("Rule set \"{}\": the rule did not fire", rule_set.name_en)
        }
        Event::NoRuleFired { rule_set, rules } => {
            format!(
                "Rule set \"{}\": none of {rules} rules fired",
                rule_set.name_en
            )
        }
        Event::EngineError { error } => format!("Engine error: {error} → refer"),
    }
}
