//! Type checking against the schema and the compiled form: a tree over slot
//! indices with the types resolved, so evaluation neither hashes nor allocates
//! (except `age` of an ID number, which validates the number).
//!
//! By part: this file has the compiled expression and what it reports
//! (`Compiled`, `EvalError`, `Test`, `FeatureRef`); `check` the type
//! checker that makes the tree; `eval` the tree and its evaluation.

mod check;
mod eval;

use crate::error_code::ErrorCode;
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use thiserror::Error;

use super::print::{render, Lang};
use super::{parse, Expr, ExprError, ExprErrorKind, ExprKind, Func, Span};
use crate::rules::schema::{FeatureSchema, FeatureType, Features, Slot, Value};
use check::Cx;
use eval::Node;
pub(crate) use eval::V;
#[cfg(test)]
pub(crate) use eval::{arith, Arith};

/// Why an evaluation could not produce a value. Rules turn this into a defined
/// outcome (refer to a human) rather than a panic.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Error, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EvalError {
    #[error("division by zero")]
    DivisionByZero,
    #[error("arithmetic overflow")]
    Overflow,
    #[error("the text is not a valid resident ID number")]
    InvalidIdNumber,
    #[error("the record was not made for the schema the rules were compiled against")]
    WrongSchema,
}

impl EvalError {
    /// Its [`ErrorCode`], which chooses the message the user reads.
    pub fn code(&self) -> ErrorCode {
        match self {
            EvalError::DivisionByZero => ErrorCode::EvalDivisionByZero,
            EvalError::Overflow => ErrorCode::EvalOverflow,
            EvalError::InvalidIdNumber => ErrorCode::EvalInvalidIdNumber,
            EvalError::WrongSchema => ErrorCode::EvalWrongSchema,
        }
    }

    pub fn label_zh(&self) -> &'static str {
        match self {
            EvalError::DivisionByZero => "除数为零",
            EvalError::Overflow => "计算溢出",
            EvalError::InvalidIdNumber => "身份证号无效",
            EvalError::WrongSchema => "特征记录与规则不匹配",
        }
    }
}

/// The result of a condition: whether it holds, and whether a missing feature
/// was read on the way (so the trace can say so).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Test {
    pub matched: bool,
    pub missing: bool,
}

/// A feature an expression reads, with its labels for traces.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeatureRef {
    pub slot: Slot,
    /// Shown masked in traces.
    pub pfi: bool,
    pub name: String,
    pub label_zh: String,
    pub label_en: String,
}

/// An expression checked against a schema and compiled. Keeps its source text
/// (which is what gets stored) and officer-readable renderings.
#[derive(Debug, Clone)]
pub struct Compiled {
    source: String,
    ty: FeatureType,
    pub(crate) root: Node,
    refs: Vec<FeatureRef>,
    text_zh: String,
    text_en: String,
    derived: Vec<Derived>,
    types: Arc<[FeatureType]>,
}

/// A function call inside an expression (e.g. `age(id_number, as_of)`), kept so a
/// trace can show the value it computed, not only the features it read.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Derived {
    pub(crate) node: Node,
    pub(crate) ty: FeatureType,
    pub(crate) source: String,
    pub(crate) text_zh: String,
    pub(crate) text_en: String,
}

impl PartialEq for Compiled {
    fn eq(&self, other: &Self) -> bool {
        self.source == other.source && self.root == other.root
    }
}

impl Compiled {
    /// Parses, type-checks and compiles an expression of any type.
    pub fn new(source: &str, schema: &FeatureSchema) -> Result<Compiled, ExprError> {
        let expr = parse(source)?;
        let cx = Cx {
            schema,
            src: source,
        };
        let (root, ty) = cx.check(&expr)?;
        let mut refs: Vec<FeatureRef> = Vec::new();
        collect_refs(&expr, schema, &mut refs);
        let label = |lang: Lang| {
            move |name: &str| {
                let def = schema.slot(name).and_then(|s| schema.def(s))?;
                Some(if lang == Lang::Zh {
                    def.label_zh.clone()
                } else {
                    def.label_en.clone()
                })
            }
        };
        let mut calls = Vec::new();
        collect_calls(&expr, &mut calls);
        let mut derived: Vec<Derived> = Vec::new();
        for call in calls {
            let source = call.to_string();
            if derived.iter().any(|d| d.source == source) {
                continue;
            }
            let (node, ty) = cx.check(call)?;
            derived.push(Derived {
                node,
                ty,
                source,
                text_zh: render(call, Lang::Zh, &label(Lang::Zh)),
                text_en: render(call, Lang::En, &label(Lang::En)),
            });
        }
        Ok(Compiled {
            source: source.to_owned(),
            ty,
            root,
            refs,
            derived,
            text_zh: render(&expr, Lang::Zh, &label(Lang::Zh)),
            text_en: render(&expr, Lang::En, &label(Lang::En)),
            types: Arc::clone(schema.types()),
        })
    }

    /// Like [`Compiled::new`], and the expression must be of type `expected`.
    pub fn of_type(
        source: &str,
        schema: &FeatureSchema,
        expected: FeatureType,
    ) -> Result<Compiled, ExprError> {
        let c = Compiled::new(source, schema)?;
        if c.ty != expected {
            return Err(ExprError::new(
                ExprErrorKind::TypeMismatch,
                Span::new(0, source.len()),
                source,
                format!("the expression must be {expected}, it is {}", c.ty),
            ));
        }
        Ok(c)
    }

    /// A condition: the expression must be a bool.
    pub fn condition(source: &str, schema: &FeatureSchema) -> Result<Compiled, ExprError> {
        Compiled::of_type(source, schema, FeatureType::Bool)
    }

    pub fn source(&self) -> &str {
        &self.source
    }

    pub fn ty(&self) -> FeatureType {
        self.ty
    }

    /// The features read, each once, in order of first appearance.
    pub fn refs(&self) -> &[FeatureRef] {
        &self.refs
    }

    /// The expression with Chinese labels, e.g. "年龄 > 65".
    pub fn text_zh(&self) -> &str {
        &self.text_zh
    }

    pub fn text_en(&self) -> &str {
        &self.text_en
    }

    /// Whether `f` was made for the schema this was compiled against.
    pub fn accepts(&self, f: &Features) -> bool {
        f.is_for(&self.types)
    }

    /// Evaluates a condition. A non-bool expression never matches.
    pub fn test(&self, f: &Features) -> Result<Test, EvalError> {
        if !self.accepts(f) {
            return Err(EvalError::WrongSchema);
        }
        self.test_unchecked(f)
    }

    /// [`Compiled::test`] without the schema check (the caller did it once).
    pub(crate) fn test_unchecked(&self, f: &Features) -> Result<Test, EvalError> {
        let mut missing = false;
        let v = self.root.eval(f, &mut missing)?;
        Ok(Test {
            matched: v.truthy(),
            missing,
        })
    }

    /// Evaluates to a value of [`Compiled::ty`] (or missing).
    pub fn evaluate(&self, f: &Features) -> Result<Value, EvalError> {
        if !self.accepts(f) {
            return Err(EvalError::WrongSchema);
        }
        let mut missing = false;
        Ok(self.root.eval(f, &mut missing)?.to_value(self.ty))
    }

    /// The values of the function calls inside (source, zh text, en text, value);
    /// evaluation errors show as missing. For traces: not on the hot path.
    pub(crate) fn derived_values<'s>(
        &'s self,
        f: &'s Features,
    ) -> impl Iterator<Item = (&'s str, &'s str, &'s str, Value)> + 's {
        let mut ignored = false;
        self.derived.iter().map(move |d| {
            let v = d
                .node
                .eval(f, &mut ignored)
                .map_or(Value::Missing, |v| v.to_value(d.ty));
            (d.source.as_str(), d.text_zh.as_str(), d.text_en.as_str(), v)
        })
    }

    pub(crate) fn eval_raw<'a>(
        &'a self,
        f: &'a Features,
        missing: &mut bool,
    ) -> Result<V<'a>, EvalError> {
        self.root.eval(f, missing)
    }
}

/// Function calls other than `is_missing`, outermost first.
fn collect_calls<'e>(e: &'e Expr, out: &mut Vec<&'e Expr>) {
    match &e.kind {
        ExprKind::Call(Func::IsMissing, _) | ExprKind::Lit(_) | ExprKind::Feature(_) => {}
        ExprKind::Call(_, args) => {
            out.push(e);
            args.iter().for_each(|a| collect_calls(a, out));
        }
        ExprKind::Unary(_, x) => collect_calls(x, out),
        ExprKind::Binary(_, l, r) => {
            collect_calls(l, out);
            collect_calls(r, out);
        }
        ExprKind::Between { value, lo, hi } => {
            for x in [value, lo, hi] {
                collect_calls(x, out);
            }
        }
        ExprKind::In { value, .. } => collect_calls(value, out),
    }
}

fn collect_refs(e: &Expr, schema: &FeatureSchema, out: &mut Vec<FeatureRef>) {
    match &e.kind {
        ExprKind::Feature(name) => {
            if let Some((slot, def)) = schema.slot(name).and_then(|s| Some((s, schema.def(s)?))) {
                if !out.iter().any(|r| r.slot == slot) {
                    out.push(FeatureRef {
                        slot,
                        pfi: def.pfi,
                        name: def.name.clone(),
                        label_zh: def.label_zh.clone(),
                        label_en: def.label_en.clone(),
                    });
                }
            }
        }
        ExprKind::Lit(_) => {}
        ExprKind::Unary(_, x) => collect_refs(x, schema, out),
        ExprKind::Binary(_, l, r) => {
            collect_refs(l, schema, out);
            collect_refs(r, schema, out);
        }
        ExprKind::Between { value, lo, hi } => {
            for x in [value, lo, hi] {
                collect_refs(x, schema, out);
            }
        }
        ExprKind::In { value, .. } => collect_refs(value, schema, out),
        ExprKind::Call(_, args) => args.iter().for_each(|a| collect_refs(a, schema, out)),
    }
}
