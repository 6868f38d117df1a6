//! Decision tables (决策表): input columns are expressions over features, each
//! row has a cell per input (see [`super::cell`] for the cell syntax) and a
//! typed literal per output. The hit policy says which matching rows count.
//!
//! Outputs with these names also act on the decision:
//! `verdict` (text: "approve" / "refer" / "reject"), `reason_code` (text; told
//! to the customer only when the row is adverse: it refers or rejects, raises
//! the rate or lowers the score),
//! `limit` (money: caps the limit), `rate_bp` (int: sets the base rate),
//! `rate_adjust_bp` (int: adds to the rate), `score` (int: adds to the score).
//!
//! Matching compiles every cell to an integer range or set test and evaluates
//! each input expression once per application; a scan of 3,000 rows is a few
//! thousand integer comparisons.

use std::sync::Arc;

use serde::{Deserialize, Serialize};
use thiserror::Error;

use super::cell::{parse_cell, parse_value, Cell};
use super::expr::compile::V;
use super::expr::{Compiled, EvalError, ExprError};
use super::rule::{is_snake_case, Evaluation, Outcome, Verdict};
use super::schema::{FeatureSchema, FeatureType, Features, Value};
use super::strategy::StageKind;
use super::trace::{Event, Observed, OutputValue, Source, Trace};
use crate::error_code::ErrorCode;
use crate::identity::mask_id_number;
use crate::money::Fen;

/// Which matching rows count.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "policy", rename_all = "snake_case")]
pub enum HitPolicy {
    /// The first matching row, top to bottom.
    First,
    /// At most one row may match; more is an error outcome (refer).
    Unique,
    /// Of the matching rows, the one whose first output ranks highest in that
    /// output column's `priority` list.
    Priority,
    /// Every matching row, optionally aggregated over the first output.
    Collect { aggregation: Option<Aggregation> },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Aggregation {
    Sum,
    Min,
    Max,
    Count,
}

impl Aggregation {
    fn name(self) -> &'static str {
        match self {
            Aggregation::Sum => "sum",
            Aggregation::Min => "min",
            Aggregation::Max => "max",
            Aggregation::Count => "count",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InputDef {
    /// An expression, usually just a feature name.
    pub expr: String,
    /// Defaults to the expression with feature labels.
    #[serde(default)]
    pub label_zh: Option<String>,
    #[serde(default)]
    pub label_en: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutputDef {
    pub name: String,
    pub ty: FeatureType,
    pub label_zh: String,
    pub label_en: String,
    /// For [`HitPolicy::Priority`] on the first output: its values as literals,
    /// highest priority first.
    #[serde(default)]
    pub priority: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RowDef {
    pub inputs: Vec<String>,
    pub outputs: Vec<String>,
}

/// A decision table as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TableDef {
    pub id: String,
    pub name_zh: String,
    pub name_en: String,
    pub hit_policy: HitPolicy,
    pub inputs: Vec<InputDef>,
    pub outputs: Vec<OutputDef>,
    pub rows: Vec<RowDef>,
}

/// Where a table definition is wrong; rows and columns count from 0.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "at", rename_all = "snake_case")]
pub enum TablePlace {
    Table,
    InputColumn { column: usize },
    OutputColumn { column: usize },
    InputCell { row: usize, column: usize },
    OutputCell { row: usize, column: usize },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TableErrorKind {
    /// No input or no output columns.
    NoColumns,
    /// A row has the wrong number of cells.
    RowWidth,
    /// An input expression or a cell does not parse or does not type-check.
    Expr,
    /// A reserved output (`limit`, `verdict`, …) has the wrong type or value, or
    /// an output name is repeated or not snake_case.
    Output,
    /// Priority policy without a priority list, or a value not in it.
    Priority,
    /// Sum/min/max over a non-numeric first output.
    Aggregation,
}

/// Why a table was refused at save time, with the cell to highlight.
#[derive(Debug, Clone, PartialEq, Eq, Error, Serialize, Deserialize)]
#[error("{place:?}: {message}")]
pub struct TableError {
    pub kind: TableErrorKind,
    pub place: TablePlace,
    pub message: String,
    /// For [`TableErrorKind::Expr`]: the error within the expression or cell text.
    pub expr: Option<ExprError>,
}

impl TableError {
    fn new(kind: TableErrorKind, place: TablePlace, message: impl Into<String>) -> TableError {
        TableError {
            kind,
            place,
            message: message.into(),
            expr: None,
        }
    }

    fn expr(place: TablePlace, e: ExprError) -> TableError {
        TableError {
            kind: TableErrorKind::Expr,
            place,
            message: e.message.clone(),
            expr: Some(e),
        }
    }

    /// Its [`ErrorCode`], which chooses the message the user reads.
    pub fn code(&self) -> ErrorCode {
        match self.kind {
            TableErrorKind::NoColumns => ErrorCode::TableNoColumns,
            TableErrorKind::RowWidth => ErrorCode::TableRowWidth,
            TableErrorKind::Expr => self
                .expr
                .as_ref()
                .map_or(ErrorCode::ExprSyntax, ExprError::code),
            TableErrorKind::Output => ErrorCode::TableBadOutput,
            TableErrorKind::Priority => ErrorCode::TablePriority,
            TableErrorKind::Aggregation => ErrorCode::TableAggregation,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
struct Input {
    expr: Compiled,
    label_zh: String,
    label_en: String,
}

/// Outputs that act on the decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Effect {
    None,
    Verdict,
    ReasonCode,
    Limit,
    RateBp,
    RateAdjustBp,
    Score,
    LimitFactorPct,
}

fn effect_of(name: &str) -> (Effect, Option<FeatureType>) {
    match name {
        "verdict" => (Effect::Verdict, Some(FeatureType::Text)),
        "reason_code" => (Effect::ReasonCode, Some(FeatureType::Text)),
        "limit" => (Effect::Limit, Some(FeatureType::Money)),
        "rate_bp" => (Effect::RateBp, Some(FeatureType::Int)),
        "rate_adjust_bp" => (Effect::RateAdjustBp, Some(FeatureType::Int)),
        "score" => (Effect::Score, Some(FeatureType::Int)),
        "limit_factor_pct" => (Effect::LimitFactorPct, Some(FeatureType::Int)),
        _ => (Effect::None, None),
    }
}

fn verdict_of(s: &str) -> Option<Verdict> {
    Some(match s {
        "approve" => Verdict::Approve,
        "refer" => Verdict::Refer,
        "reject" => Verdict::Reject,
        _ => return None,
    })
}

/// A compiled decision table.
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    def: TableDef,
    pub id: String,
    pub name_zh: String,
    pub name_en: String,
    hit_policy: HitPolicy,
    inputs: Vec<Input>,
    outputs: Vec<OutputDef>,
    effects: Vec<Effect>,
    /// Row-major: `cells[row * inputs.len() + column]`.
    cells: Vec<Cell>,
    values: Vec<Vec<Value>>,
    /// Row → its rank under the priority policy (0 is highest).
    ranks: Vec<usize>,
    types: Arc<[FeatureType]>,
}

/// Which rows counted, and the aggregate of a collect table.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct TableResult {
    /// Row indices from 0, in table order (the chosen row for single-hit policies).
    pub rows: Vec<usize>,
    pub aggregate: Option<Value>,
}

/// Inputs evaluated for one application; on the stack for up to 16 columns.
const INLINE_INPUTS: usize = 16;

impl Table {
    /// Compiles and validates; the error names the offending column or cell.
    pub fn compile(def: &TableDef, schema: &FeatureSchema) -> Result<Table, TableError> {
        use TableErrorKind as K;
        if def.inputs.is_empty() || def.outputs.is_empty() {
            return Err(TableError::new(
                K::NoColumns,
                TablePlace::Table,
                "a table needs at least one input and one output column",
            ));
        }
        let mut inputs = Vec::with_capacity(def.inputs.len());
        for (column, d) in def.inputs.iter().enumerate() {
            let expr = Compiled::new(&d.expr, schema)
                .map_err(|e| TableError::expr(TablePlace::InputColumn { column }, e))?;
            inputs.push(Input {
                label_zh: d
                    .label_zh
                    .clone()
                    .unwrap_or_else(|| expr.text_zh().to_owned()),
                label_en: d
                    .label_en
                    .clone()
                    .unwrap_or_else(|| expr.text_en().to_owned()),
                expr,
            });
        }
        let mut effects = Vec::with_capacity(def.outputs.len());
        for (column, o) in def.outputs.iter().enumerate() {
            let place = TablePlace::OutputColumn { column };
            if !is_snake_case(&o.name) || def.outputs[..column].iter().any(|p| p.name == o.name) {
                return Err(TableError::new(
                    K::Output,
                    place,
                    format!("output name {:?} must be snake_case and unique", o.name),
                ));
            }
            let (effect, ty) = effect_of(&o.name);
            if ty.is_some_and(|t| t != o.ty) {
                return Err(TableError::new(
                    K::Output,
                    place,
                    format!(
                        "output `{}` must be {}",
                        o.name,
                        ty.map_or("", FeatureType::as_str)
                    ),
                ));
            }
            effects.push(effect);
        }
        let first = &def.outputs[0];
        let priority: Vec<Value> = first
            .priority
            .iter()
            .map(|p| parse_value(p, first.ty))
            .collect::<Result<_, _>>()
            .map_err(|e| TableError::expr(TablePlace::OutputColumn { column: 0 }, e))?;
        if def.hit_policy == HitPolicy::Priority && priority.is_empty() {
            return Err(TableError::new(
                K::Priority,
                TablePlace::OutputColumn { column: 0 },
                "the priority policy needs a priority list on the first output",
            ));
        }
        if let HitPolicy::Collect {
            aggregation: Some(a @ (Aggregation::Sum | Aggregation::Min | Aggregation::Max)),
        } = def.hit_policy
        {
            if !matches!(
                first.ty,
                FeatureType::Int | FeatureType::Decimal | FeatureType::Money
            ) {
                return Err(TableError::new(
                    K::Aggregation,
                    TablePlace::OutputColumn { column: 0 },
                    format!("cannot {} {} values", a.name(), first.ty),
                ));
            }
        }
        let mut cells = Vec::with_capacity(def.rows.len() * inputs.len());
        let mut values = Vec::with_capacity(def.rows.len());
        let mut ranks = Vec::with_capacity(def.rows.len());
        for (row, r) in def.rows.iter().enumerate() {
            if r.inputs.len() != inputs.len() || r.outputs.len() != def.outputs.len() {
                return Err(TableError::new(
                    K::RowWidth,
                    TablePlace::InputCell { row, column: 0 },
                    format!(
                        "row {} has {}+{} cells, the table has {}+{} columns",
                        row + 1,
                        r.inputs.len(),
                        r.outputs.len(),
                        inputs.len(),
                        def.outputs.len()
                    ),
                ));
            }
            for (column, text) in r.inputs.iter().enumerate() {
                let cell = parse_cell(text, inputs[column].expr.ty())
                    .map_err(|e| TableError::expr(TablePlace::InputCell { row, column }, e))?;
                cells.push(cell);
            }
            let mut out = Vec::with_capacity(r.outputs.len());
            for (column, text) in r.outputs.iter().enumerate() {
                let place = TablePlace::OutputCell { row, column };
                let v = parse_value(text, def.outputs[column].ty)
                    .map_err(|e| TableError::expr(place, e))?;
                let ok = match (effects[column], &v) {
                    (Effect::Verdict, Value::Text(s)) => verdict_of(s).is_some(),
                    (Effect::ReasonCode, Value::Text(s)) => is_snake_case(s),
                    (Effect::LimitFactorPct, Value::Int(i)) => (0..=1_000).contains(i),
                    _ => true,
                };
                if !ok {
                    return Err(TableError::new(
                        K::Output,
                        place,
                        "a verdict is \"approve\", \"refer\" or \"reject\"; a reason code is snake_case; a limit factor is 0 to 1000 (per cent)",
                    ));
                }
                out.push(v);
            }
            let rank = if def.hit_policy == HitPolicy::Priority {
                priority.iter().position(|p| *p == out[0]).ok_or_else(|| {
                    TableError::new(
                        K::Priority,
                        TablePlace::OutputCell { row, column: 0 },
                        "the value is not in the priority list",
                    )
                })?
            } else {
                0
            };
            ranks.push(rank);
            values.push(out);
        }
        Ok(Table {
            def: def.clone(),
            id: def.id.clone(),
            name_zh: def.name_zh.clone(),
            name_en: def.name_en.clone(),
            hit_policy: def.hit_policy,
            inputs,
            outputs: def.outputs.clone(),
            effects,
            cells,
            values,
            ranks,
            types: Arc::clone(schema.types()),
        })
    }

    /// The definition it was compiled from, cell texts as written.
    pub fn to_def(&self) -> TableDef {
        self.def.clone()
    }

    pub fn rows(&self) -> usize {
        self.values.len()
    }

    /// The outputs of a row (from 0).
    pub fn row_outputs(&self, row: usize) -> Option<&[Value]> {
        self.values.get(row).map(Vec::as_slice)
    }

    pub fn evaluate(&self, f: &Features) -> (TableResult, Evaluation) {
        let mut ev = Evaluation::default();
        let r = self.evaluate_into(f, None, &mut ev.outcome, &mut ev.trace);
        (r, ev)
    }

    /// The input columns' values, for the trace.
    fn observed(&self, vals: &[V<'_>]) -> Vec<Observed> {
        self.inputs
            .iter()
            .zip(vals)
            .map(|(i, v)| {
                let value = match v.to_value(i.expr.ty()) {
                    Value::Text(s) if i.expr.refs().iter().any(|r| r.pfi) => {
                        Value::Text(mask_id_number(&s))
                    }
                    other => other,
                };
                Observed {
                    name: i.expr.source().to_owned(),
                    label_zh: i.label_zh.clone(),
                    label_en: i.label_en.clone(),
                    value,
                }
            })
            .collect()
    }

    #[inline]
    fn row_matches(&self, row: usize, vals: &[V<'_>]) -> bool {
        let n = vals.len();
        self.cells[row * n..(row + 1) * n]
            .iter()
            .zip(vals)
            .all(|(c, v)| c.test.matches(*v))
    }

    /// Matches, applies the chosen rows' effects and records the trace.
    pub(crate) fn evaluate_into(
        &self,
        f: &Features,
        stage: Option<StageKind>,
        outcome: &mut Outcome,
        trace: &mut Trace,
    ) -> TableResult {
        let mut result = TableResult::default();
        let source = || Source {
            id: self.id.clone(),
            name_zh: self.name_zh.clone(),
            name_en: self.name_en.clone(),
        };
        if !f.is_for(&self.types) {
            outcome.error();
            trace.push(
                stage,
                Event::EngineError {
                    error: EvalError::WrongSchema,
                },
            );
            return result;
        }
        let n = self.inputs.len();
        let mut inline = [V::Missing; INLINE_INPUTS];
        let mut heap = Vec::new();
        let vals: &mut [V<'_>] = if n <= INLINE_INPUTS {
            &mut inline[..n]
        } else {
            heap.resize(n, V::Missing);
            &mut heap
        };
        let mut missing = false;
        for (slot, input) in vals.iter_mut().zip(&self.inputs) {
            match input.expr.eval_raw(f, &mut missing) {
                Ok(v) => *slot = v,
                Err(error) => {
                    outcome.error();
                    trace.push(
                        stage,
                        Event::TableError {
                            table: source(),
                            rows: Vec::new(),
                            error: Some(error),
                        },
                    );
                    return result;
                }
            }
        }
        let rows = 0..self.values.len();
        match self.hit_policy {
            HitPolicy::First => result
                .rows
                .extend(rows.into_iter().find(|&r| self.row_matches(r, vals))),
            HitPolicy::Unique => {
                let hits: Vec<usize> = rows.filter(|&r| self.row_matches(r, vals)).collect();
                if hits.len() > 1 {
                    outcome.error();
                    trace.push(
                        stage,
                        Event::TableError {
                            table: source(),
                            rows: hits.iter().map(|r| r + 1).collect(),
                            error: None,
                        },
                    );
                    return result;
                }
                result.rows = hits;
            }
            HitPolicy::Priority => {
                // Lowest rank wins; among equals, the first row.
                result.rows.extend(
                    rows.filter(|&r| self.row_matches(r, vals))
                        .min_by_key(|&r| (self.ranks[r], r)),
                );
            }
            HitPolicy::Collect { .. } => {
                result.rows = rows.filter(|&r| self.row_matches(r, vals)).collect();
            }
        }
        if result.rows.is_empty() {
            trace.push(
                stage,
                Event::TableNoHit {
                    table: source(),
                    values: self.observed(vals),
                },
            );
            return result;
        }
        for &row in &result.rows {
            self.apply(row, outcome);
            let cells = &self.cells[row * n..(row + 1) * n];
            let conds = |zh: bool| -> Vec<String> {
                cells
                    .iter()
                    .zip(&self.inputs)
                    .filter(|(c, _)| !c.test.is_any())
                    .map(|(c, i)| {
                        let label = if zh { &i.label_zh } else { &i.label_en };
                        format!("{label} {c}")
                    })
                    .collect()
            };
            trace.push(
                stage,
                Event::TableHit {
                    table: source(),
                    row: row + 1,
                    conditions_zh: conds(true),
                    conditions_en: conds(false),
                    values: self.observed(vals),
                    outputs: self
                        .outputs
                        .iter()
                        .zip(&self.values[row])
                        .map(|(o, v)| OutputValue {
                            name: o.name.clone(),
                            label_zh: o.label_zh.clone(),
                            label_en: o.label_en.clone(),
                            value: v.clone(),
                        })
                        .collect(),
                },
            );
        }
        if let HitPolicy::Collect {
            aggregation: Some(a),
        } = self.hit_policy
        {
            let value = self.aggregate(a, &result.rows);
            trace.push(
                stage,
                Event::TableAggregate {
                    table: source(),
                    aggregation: a.name().to_owned(),
                    value: value.clone(),
                },
            );
            result.aggregate = Some(value);
        }
        result
    }

    fn aggregate(&self, a: Aggregation, rows: &[usize]) -> Value {
        if a == Aggregation::Count {
            return Value::Int(i64::try_from(rows.len()).unwrap_or(i64::MAX));
        }
        let raw = rows.iter().filter_map(|&r| match &self.values[r][0] {
            Value::Int(i) => Some(*i),
            Value::Money(m) => Some(m.0),
            Value::Decimal(d) => Some(d.0),
            _ => None,
        });
        let v = match a {
            Aggregation::Sum => Some(raw.fold(0i64, i64::saturating_add)),
            Aggregation::Min => raw.min(),
            _ => raw.max(),
        };
        match (v, self.outputs[0].ty) {
            (None, _) => Value::Missing,
            (Some(v), FeatureType::Money) => Value::Money(Fen(v)),
            (Some(v), FeatureType::Decimal) => Value::Decimal(super::schema::Decimal(v)),
            (Some(v), _) => Value::Int(v),
        }
    }

    /// Whether a row works against the applicant: it refers or rejects,
    /// raises the rate or takes points off. Only then does its `reason_code`
    /// reach the customer (a limit output is the limit calculation itself,
    /// not a penalty).
    fn row_is_adverse(&self, row: usize) -> bool {
        self.effects
            .iter()
            .zip(&self.values[row])
            .any(|(effect, v)| match (effect, v) {
                (Effect::Verdict, Value::Text(s)) => verdict_of(s) != Some(Verdict::Approve),
                (Effect::RateAdjustBp, Value::Int(i)) => *i > 0,
                (Effect::Score, Value::Int(i)) => *i < 0,
                (Effect::LimitFactorPct, Value::Int(i)) => *i < 100,
                _ => false,
            })
    }

    fn apply(&self, row: usize, outcome: &mut Outcome) {
        let adverse = self.row_is_adverse(row);
        for (effect, v) in self.effects.iter().zip(&self.values[row]) {
            match (effect, v) {
                (Effect::Verdict, Value::Text(s)) => {
                    outcome.verdict = outcome.verdict.max(verdict_of(s).unwrap_or(Verdict::Refer));
                }
                (Effect::ReasonCode, Value::Text(s)) if adverse => outcome.reason(s),
                (Effect::Limit, Value::Money(m)) => outcome.cap(*m),
                (Effect::RateBp, Value::Int(i)) => outcome.base_rate_bp = Some(*i),
                (Effect::RateAdjustBp, Value::Int(i)) => {
                    outcome.rate_adjust_bp = outcome.rate_adjust_bp.saturating_add(*i);
                }
                (Effect::Score, Value::Int(i)) => {
                    outcome.score_delta = outcome.score_delta.saturating_add(*i);
                }
                (Effect::LimitFactorPct, Value::Int(i)) => outcome.factor(*i),
                _ => {}
            }
        }
    }
}

#[cfg(test)]
mod tests;
