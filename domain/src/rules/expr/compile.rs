//! Type checking against the schema and the compiled form: a tree over slot
//! indices with the types resolved, so evaluation neither hashes nor allocates
//! (except `age` of an ID number, which validates the number).

use std::cmp::Ordering;
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use thiserror::Error;

use super::print::{render, Lang};
use super::{parse, BinOp, Expr, ExprError, ExprErrorKind, ExprKind, Func, Literal, Span, UnOp};
use crate::date::Date;
use crate::error_code::ErrorCode;
use crate::identity::IdNumber;
use crate::money::Fen;
use crate::rules::schema::{Decimal, FeatureSchema, FeatureType, Features, Slot, Value};

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

/// A value during evaluation. Numbers of every type are their raw `i64` (fen,
/// 1/10000); the compiled tree knows which.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum V<'a> {
    Missing,
    Num(i64),
    Bool(bool),
    Text(&'a str),
    Date(Date),
}

impl V<'_> {
    pub(crate) fn truthy(self) -> bool {
        matches!(self, V::Bool(true))
    }

    pub(crate) fn to_value(self, ty: FeatureType) -> Value {
        match (self, ty) {
            (V::Missing, _) => Value::Missing,
            (V::Num(n), FeatureType::Money) => Value::Money(Fen(n)),
            (V::Num(n), FeatureType::Decimal) => Value::Decimal(Decimal(n)),
            (V::Num(n), _) => Value::Int(n),
            (V::Bool(b), _) => Value::Bool(b),
            (V::Text(s), _) => Value::Text(s.to_owned()),
            (V::Date(d), _) => Value::Date(d),
        }
    }

    /// Orders two present values of the same type; `None` if either is missing.
    pub(crate) fn compare(self, other: V<'_>) -> Option<Ordering> {
        match (self, other) {
            (V::Num(a), V::Num(b)) => Some(a.cmp(&b)),
            (V::Bool(a), V::Bool(b)) => Some(a.cmp(&b)),
            (V::Text(a), V::Text(b)) => Some(a.cmp(b)),
            (V::Date(a), V::Date(b)) => Some(a.cmp(&b)),
            _ => None,
        }
    }
}

/// Reads a slot. A value of the wrong variant cannot occur: records check types
/// on `set` and evaluation checks the record was made for the schema.
#[inline]
pub(crate) fn read<'a>(f: &'a Features, slot: u32, missing: &mut bool) -> V<'a> {
    match f.get(Slot(slot)) {
        Value::Missing => {
            *missing = true;
            V::Missing
        }
        Value::Int(i) => V::Num(*i),
        Value::Money(m) => V::Num(m.0),
        Value::Decimal(d) => V::Num(d.0),
        Value::Bool(b) => V::Bool(*b),
        Value::Text(s) => V::Text(s),
        Value::Date(d) => V::Date(*d),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub(crate) enum Cmp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

impl Cmp {
    #[inline]
    pub(crate) fn holds(self, o: Ordering) -> bool {
        match self {
            Cmp::Eq => o == Ordering::Equal,
            Cmp::Ne => o != Ordering::Equal,
            Cmp::Lt => o == Ordering::Less,
            Cmp::Le => o != Ordering::Greater,
            Cmp::Gt => o == Ordering::Greater,
            Cmp::Ge => o != Ordering::Less,
        }
    }

    fn flipped(self) -> Cmp {
        match self {
            Cmp::Lt => Cmp::Gt,
            Cmp::Le => Cmp::Ge,
            Cmp::Gt => Cmp::Lt,
            Cmp::Ge => Cmp::Le,
            other => other,
        }
    }

    fn of(op: BinOp) -> Option<Cmp> {
        Some(match op {
            BinOp::Eq => Cmp::Eq,
            BinOp::Ne => Cmp::Ne,
            BinOp::Lt => Cmp::Lt,
            BinOp::Le => Cmp::Le,
            BinOp::Gt => Cmp::Gt,
            BinOp::Ge => Cmp::Ge,
            _ => return None,
        })
    }
}

/// Integer arithmetic on raw values; the type checker picks the variant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Arith {
    Add,
    Sub,
    /// `a * b` (int × int, money × int).
    Mul,
    /// `a * b / 10000` rounded (decimal × decimal, money × decimal).
    MulScaled,
    /// `a * 10000 / b` rounded (int / int, decimal / decimal, money / money → decimal;
    /// money / decimal → money).
    Ratio,
    /// `a / b` rounded (money / int).
    Div,
}

/// `n / d` rounded half away from zero; `d` is not zero.
fn round_div(n: i128, d: i128) -> i128 {
    let q = n / d;
    let r = n % d;
    if 2 * r.abs() >= d.abs() {
        q + if (n < 0) == (d < 0) { 1 } else { -1 }
    } else {
        q
    }
}

/// [`round_div`] in `i64` when nothing can overflow (the common case: 128-bit
/// division is a library call), else in `i128`.
fn round_div_i64(n: i64, d: i64) -> Result<i64, EvalError> {
    if n != i64::MIN && d != i64::MIN {
        let (q, r) = (n / d, n % d);
        // |r| < |d| <= i64::MAX, so 2|r| fits in u64.
        return Ok(if 2 * r.unsigned_abs() >= d.unsigned_abs() {
            q + if (n < 0) == (d < 0) { 1 } else { -1 }
        } else {
            q
        });
    }
    i64::try_from(round_div(i128::from(n), i128::from(d))).map_err(|_| EvalError::Overflow)
}

pub(crate) fn arith(op: Arith, a: i64, b: i64) -> Result<i64, EvalError> {
    let scale = Decimal::SCALE;
    let wide = |n: i128, d: i128| i64::try_from(round_div(n, d)).map_err(|_| EvalError::Overflow);
    match op {
        Arith::Add => a.checked_add(b).ok_or(EvalError::Overflow),
        Arith::Sub => a.checked_sub(b).ok_or(EvalError::Overflow),
        Arith::Mul => a.checked_mul(b).ok_or(EvalError::Overflow),
        Arith::MulScaled => match a.checked_mul(b) {
            Some(p) => round_div_i64(p, scale),
            None => wide(i128::from(a) * i128::from(b), i128::from(scale)),
        },
        Arith::Ratio | Arith::Div if b == 0 => Err(EvalError::DivisionByZero),
        Arith::Ratio => match a.checked_mul(scale) {
            Some(p) => round_div_i64(p, b),
            None => wide(i128::from(a) * i128::from(scale), i128::from(b)),
        },
        Arith::Div => round_div_i64(a, b),
    }
}

/// Whole years from `birth` to `on`, as [`IdNumber::age_on`] counts them; 0 before birth.
pub(crate) fn age_between(birth: Date, on: Date) -> i64 {
    let years = i64::from(on.year() - birth.year());
    let had_birthday = (on.month(), on.day()) >= (birth.month(), birth.day());
    (if had_birthday { years } else { years - 1 }).max(0)
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Node {
    Num(i64),
    Bool(bool),
    Text(Box<str>),
    Date(Date),
    Slot(u32),
    /// int → decimal.
    Widen(Box<Node>),
    Arith(Arith, Box<Node>, Box<Node>),
    Neg(Box<Node>),
    Cmp(Cmp, Box<Node>, Box<Node>),
    /// The common case `feature <op> constant` over a numeric feature.
    CmpSlotNum(Cmp, u32, i64),
    Between(Box<Node>, Box<Node>, Box<Node>),
    /// Sorted constants, binary search.
    InNum(Box<Node>, Box<[i64]>, bool),
    InText(Box<Node>, Box<[Box<str>]>, bool),
    InOther(Box<Node>, Box<[Node]>, bool),
    And(Box<Node>, Box<Node>),
    Or(Box<Node>, Box<Node>),
    Not(Box<Node>),
    AgeOfId(Box<Node>, Box<Node>),
    AgeOfDate(Box<Node>, Box<Node>),
    DaysBetween(Box<Node>, Box<Node>),
    Len(Box<Node>),
    StartsWith(Box<Node>, Box<Node>),
    Contains(Box<Node>, Box<Node>),
    Min(Box<Node>, Box<Node>),
    Max(Box<Node>, Box<Node>),
    Abs(Box<Node>),
    IsMissing(Box<Node>),
}

impl Node {
    pub(crate) fn eval<'a>(&'a self, f: &'a Features, m: &mut bool) -> Result<V<'a>, EvalError> {
        Ok(match self {
            Node::Num(n) => V::Num(*n),
            Node::Bool(b) => V::Bool(*b),
            Node::Text(s) => V::Text(s),
            Node::Date(d) => V::Date(*d),
            Node::Slot(s) => read(f, *s, m),
            Node::Widen(x) => match x.eval(f, m)? {
                V::Num(n) => V::Num(n.checked_mul(Decimal::SCALE).ok_or(EvalError::Overflow)?),
                other => other,
            },
            Node::Arith(op, l, r) => match (l.eval(f, m)?, r.eval(f, m)?) {
                (V::Num(a), V::Num(b)) => V::Num(arith(*op, a, b)?),
                _ => V::Missing,
            },
            Node::Neg(x) => match x.eval(f, m)? {
                V::Num(n) => V::Num(n.checked_neg().ok_or(EvalError::Overflow)?),
                _ => V::Missing,
            },
            Node::Cmp(op, l, r) => {
                let (a, b) = (l.eval(f, m)?, r.eval(f, m)?);
                V::Bool(a.compare(b).is_some_and(|o| op.holds(o)))
            }
            Node::CmpSlotNum(op, s, k) => match read(f, *s, m) {
                V::Num(n) => V::Bool(op.holds(n.cmp(k))),
                _ => V::Bool(false),
            },
            Node::Between(x, lo, hi) => {
                let (x, lo, hi) = (x.eval(f, m)?, lo.eval(f, m)?, hi.eval(f, m)?);
                let ge = lo.compare(x).is_some_and(|o| o != Ordering::Greater);
                let le = x.compare(hi).is_some_and(|o| o != Ordering::Greater);
                V::Bool(ge && le)
            }
            Node::InNum(x, set, neg) => match x.eval(f, m)? {
                V::Num(n) => V::Bool(set.binary_search(&n).is_ok() != *neg),
                _ => V::Bool(false),
            },
            Node::InText(x, set, neg) => match x.eval(f, m)? {
                V::Text(s) => V::Bool(set.iter().any(|k| **k == *s) != *neg),
                _ => V::Bool(false),
            },
            Node::InOther(x, set, neg) => {
                let x = x.eval(f, m)?;
                if x == V::Missing {
                    V::Bool(false)
                } else {
                    let mut found = false;
                    for k in set.iter() {
                        if x.compare(k.eval(f, m)?) == Some(Ordering::Equal) {
                            found = true;
                            break;
                        }
                    }
                    V::Bool(found != *neg)
                }
            }
            Node::And(l, r) => V::Bool(l.eval(f, m)?.truthy() && r.eval(f, m)?.truthy()),
            Node::Or(l, r) => V::Bool(l.eval(f, m)?.truthy() || r.eval(f, m)?.truthy()),
            Node::Not(x) => V::Bool(!x.eval(f, m)?.truthy()),
            Node::AgeOfId(id, on) => match (id.eval(f, m)?, on.eval(f, m)?) {
                (V::Text(id), V::Date(on)) => {
                    let id = IdNumber::parse(id).map_err(|_| EvalError::InvalidIdNumber)?;
                    V::Num(age_between(id.birth_date(), on))
                }
                _ => V::Missing,
            },
            Node::AgeOfDate(b, on) => match (b.eval(f, m)?, on.eval(f, m)?) {
                (V::Date(b), V::Date(on)) => V::Num(age_between(b, on)),
                _ => V::Missing,
            },
            Node::DaysBetween(a, b) => match (a.eval(f, m)?, b.eval(f, m)?) {
                (V::Date(a), V::Date(b)) => V::Num(a.days_until(b)),
                _ => V::Missing,
            },
            Node::Len(s) => match s.eval(f, m)? {
                V::Text(s) => V::Num(i64::try_from(s.chars().count()).unwrap_or(i64::MAX)),
                _ => V::Missing,
            },
            Node::StartsWith(s, p) => match (s.eval(f, m)?, p.eval(f, m)?) {
                (V::Text(s), V::Text(p)) => V::Bool(s.starts_with(p)),
                _ => V::Missing,
            },
            Node::Contains(s, p) => match (s.eval(f, m)?, p.eval(f, m)?) {
                (V::Text(s), V::Text(p)) => V::Bool(s.contains(p)),
                _ => V::Missing,
            },
            Node::Min(a, b) | Node::Max(a, b) => {
                let (a, b) = (a.eval(f, m)?, b.eval(f, m)?);
                let want = if matches!(self, Node::Min(..)) {
                    Ordering::Less
                } else {
                    Ordering::Greater
                };
                match a.compare(b) {
                    None => V::Missing,
                    Some(o) if o == want => a,
                    Some(_) => b,
                }
            }
            Node::Abs(x) => match x.eval(f, m)? {
                V::Num(n) => V::Num(n.checked_abs().ok_or(EvalError::Overflow)?),
                _ => V::Missing,
            },
            Node::IsMissing(x) => {
                let mut ignored = false;
                V::Bool(x.eval(f, &mut ignored)? == V::Missing)
            }
        })
    }
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

use FeatureType as T;

struct Cx<'a> {
    schema: &'a FeatureSchema,
    src: &'a str,
}

fn is_numeric(t: T) -> bool {
    matches!(t, T::Int | T::Decimal | T::Money)
}

fn widen(n: Node) -> Node {
    match n {
        Node::Num(k) => match k.checked_mul(Decimal::SCALE) {
            Some(w) => Node::Num(w),
            None => Node::Widen(Box::new(Node::Num(k))),
        },
        other => Node::Widen(Box::new(other)),
    }
}

/// Brings two operands to one type for comparison, `min`/`max` and lists:
/// int widens to decimal; otherwise the types must be equal.
fn unify(a: (Node, T), b: (Node, T)) -> Option<(Node, Node, T)> {
    match (a.1, b.1) {
        (x, y) if x == y => Some((a.0, b.0, x)),
        (T::Int, T::Decimal) => Some((widen(a.0), b.0, T::Decimal)),
        (T::Decimal, T::Int) => Some((a.0, widen(b.0), T::Decimal)),
        _ => None,
    }
}

impl Cx<'_> {
    fn mismatch(&self, span: Span, msg: String) -> ExprError {
        ExprError::new(ExprErrorKind::TypeMismatch, span, self.src, msg)
    }

    fn check_as(&self, e: &Expr, want: T, what: &str) -> Result<Node, ExprError> {
        let (n, t) = self.check(e)?;
        if t == want {
            Ok(n)
        } else {
            Err(self.mismatch(e.span, format!("{what} must be {want}, found {t}")))
        }
    }

    fn check(&self, e: &Expr) -> Result<(Node, T), ExprError> {
        let b = Box::new;
        Ok(match &e.kind {
            ExprKind::Lit(l) => lit_node(l),
            ExprKind::Feature(name) => {
                let slot = self.schema.slot(name).ok_or_else(|| {
                    ExprError::new(
                        ExprErrorKind::UnknownFeature,
                        e.span,
                        self.src,
                        format!("there is no feature `{name}`"),
                    )
                })?;
                let ty = self.schema.def(slot).map_or(T::Int, |d| d.ty);
                (Node::Slot(slot.0), ty)
            }
            ExprKind::Unary(UnOp::Not, x) => (
                Node::Not(b(self.check_as(x, T::Bool, "the operand of `not`")?)),
                T::Bool,
            ),
            ExprKind::Unary(UnOp::Neg, x) => {
                let (n, t) = self.check(x)?;
                if !is_numeric(t) {
                    return Err(self.mismatch(x.span, format!("cannot negate {t}")));
                }
                (Node::Neg(b(n)), t)
            }
            ExprKind::Binary(op @ (BinOp::And | BinOp::Or), l, r) => {
                let what = format!("an operand of `{}`", op.symbol());
                let (l, r) = (
                    b(self.check_as(l, T::Bool, &what)?),
                    b(self.check_as(r, T::Bool, &what)?),
                );
                let n = if *op == BinOp::And {
                    Node::And(l, r)
                } else {
                    Node::Or(l, r)
                };
                (n, T::Bool)
            }
            ExprKind::Binary(op, l, r) if op.is_comparison() => {
                let cmp = Cmp::of(*op).unwrap_or(Cmp::Eq);
                let (lt, rt) = (self.check(l)?, self.check(r)?);
                let (ltn, rtn) = (lt.1, rt.1);
                let (ln, rn, t) = unify(lt, rt).ok_or_else(|| {
                    let hint = if (ltn == T::Money) != (rtn == T::Money)
                        && is_numeric(ltn)
                        && is_numeric(rtn)
                    {
                        " (write amounts with 元, e.g. 50000元)"
                    } else {
                        ""
                    };
                    self.mismatch(e.span, format!("cannot compare {ltn} with {rtn}{hint}"))
                })?;
                if matches!(t, T::Text | T::Bool) && !matches!(cmp, Cmp::Eq | Cmp::Ne) {
                    return Err(self.mismatch(
                        e.span,
                        format!("{t} values can only be compared with == and !="),
                    ));
                }
                let n = match (ln, rn) {
                    (Node::Slot(s), Node::Num(k)) => Node::CmpSlotNum(cmp, s, k),
                    (Node::Num(k), Node::Slot(s)) => Node::CmpSlotNum(cmp.flipped(), s, k),
                    (ln, rn) => Node::Cmp(cmp, b(ln), b(rn)),
                };
                (n, T::Bool)
            }
            ExprKind::Binary(op, l, r) => {
                let (ln, lt) = self.check(l)?;
                let (rn, rt) = self.check(r)?;
                self.arith(*op, (ln, lt), (rn, rt), e.span)?
            }
            ExprKind::Between { value, lo, hi } => {
                let v = self.check(value)?;
                let (lo, hi) = (self.check(lo)?, self.check(hi)?);
                let (vt, lot, hit) = (v.1, lo.1, hi.1);
                let bad = || {
                    self.mismatch(
                        e.span,
                        format!("cannot range-test {vt} between {lot} and {hit}"),
                    )
                };
                // Widen everything to decimal when any part is decimal.
                let any_dec = [vt, lot, hit].contains(&T::Decimal);
                let fix = |x: (Node, T)| {
                    if any_dec && x.1 == T::Int {
                        (widen(x.0), T::Decimal)
                    } else {
                        x
                    }
                };
                let (v, lo, hi) = (fix(v), fix(lo), fix(hi));
                if v.1 != lo.1 || v.1 != hi.1 || matches!(v.1, T::Text | T::Bool) {
                    return Err(bad());
                }
                (Node::Between(b(v.0), b(lo.0), b(hi.0)), T::Bool)
            }
            ExprKind::In {
                value,
                items,
                negated,
            } => {
                let (vn, vt) = self.check(value)?;
                let item_types: Vec<(Node, T, Span)> = items
                    .iter()
                    .map(|i| self.check(i).map(|(n, t)| (n, t, i.span)))
                    .collect::<Result<_, _>>()?;
                let any_dec = vt == T::Decimal || item_types.iter().any(|i| i.1 == T::Decimal);
                let target = if any_dec && matches!(vt, T::Int | T::Decimal) {
                    T::Decimal
                } else {
                    vt
                };
                let mut consts = Vec::with_capacity(item_types.len());
                for (n, t, span) in item_types {
                    let n = match (t, target) {
                        (x, y) if x == y => n,
                        (T::Int, T::Decimal) => widen(n),
                        _ => {
                            return Err(self.mismatch(
                                span,
                                format!("the list holds {target} values, this is {t}"),
                            ))
                        }
                    };
                    consts.push(n);
                }
                let vn = if target != vt { widen(vn) } else { vn };
                let nums: Option<Vec<i64>> = consts
                    .iter()
                    .map(|c| if let Node::Num(k) = c { Some(*k) } else { None })
                    .collect();
                match nums {
                    Some(mut ks) if is_numeric(target) => {
                        ks.sort_unstable();
                        ks.dedup();
                        (Node::InNum(b(vn), ks.into(), *negated), T::Bool)
                    }
                    _ if target == T::Text => {
                        let texts = consts
                            .into_iter()
                            .filter_map(|c| if let Node::Text(t) = c { Some(t) } else { None })
                            .collect();
                        (Node::InText(b(vn), texts, *negated), T::Bool)
                    }
                    _ => (Node::InOther(b(vn), consts.into(), *negated), T::Bool),
                }
            }
            ExprKind::Call(func, args) => self.call(*func, args, e.span)?,
        })
    }

    fn arith(
        &self,
        op: BinOp,
        l: (Node, T),
        r: (Node, T),
        span: Span,
    ) -> Result<(Node, T), ExprError> {
        use Arith as A;
        let b = Box::new;
        let (lt, rt) = (l.1, r.1);
        let err = || {
            let hint =
                if (lt == T::Money) != (rt == T::Money) && matches!(op, BinOp::Add | BinOp::Sub) {
                    " (write amounts with 元, e.g. 50000元)"
                } else {
                    ""
                };
            self.mismatch(
                span,
                format!("cannot apply `{}` to {lt} and {rt}{hint}", op.symbol()),
            )
        };
        // Money on the right of `*` commutes to the left.
        let (l, r) = if op == BinOp::Mul && rt == T::Money && lt != T::Money {
            (r, l)
        } else {
            (l, r)
        };
        let (kind, out, l, r) = match (op, l.1, r.1) {
            (BinOp::Add | BinOp::Sub, T::Int, T::Int) => (None, T::Int, l.0, r.0),
            (BinOp::Mul, T::Int, T::Int) => (Some(A::Mul), T::Int, l.0, r.0),
            (BinOp::Div, T::Int, T::Int) => (Some(A::Ratio), T::Decimal, l.0, r.0),
            (BinOp::Add | BinOp::Sub, T::Money, T::Money) => (None, T::Money, l.0, r.0),
            (BinOp::Div, T::Money, T::Money) => (Some(A::Ratio), T::Decimal, l.0, r.0),
            (BinOp::Mul, T::Money, T::Int) => (Some(A::Mul), T::Money, l.0, r.0),
            (BinOp::Div, T::Money, T::Int) => (Some(A::Div), T::Money, l.0, r.0),
            (BinOp::Mul, T::Money, T::Decimal) => (Some(A::MulScaled), T::Money, l.0, r.0),
            (BinOp::Div, T::Money, T::Decimal) => (Some(A::Ratio), T::Money, l.0, r.0),
            (_, T::Int | T::Decimal, T::Int | T::Decimal) => {
                let (ln, rn, _) = unify(l, r).ok_or_else(err)?;
                let k = match op {
                    BinOp::Mul => Some(A::MulScaled),
                    BinOp::Div => Some(A::Ratio),
                    _ => None,
                };
                (k, T::Decimal, ln, rn)
            }
            _ => return Err(err()),
        };
        let kind = kind.unwrap_or(if op == BinOp::Add { A::Add } else { A::Sub });
        Ok((Node::Arith(kind, b(l), b(r)), out))
    }

    fn call(&self, func: Func, args: &[Expr], span: Span) -> Result<(Node, T), ExprError> {
        let b = Box::new;
        let arg = |i: usize| -> Result<(Node, T, Span), ExprError> {
            let e = args.get(i).ok_or_else(|| {
                ExprError::new(
                    ExprErrorKind::Arity,
                    span,
                    self.src,
                    format!("`{}` needs more arguments", func.name()),
                )
            })?;
            self.check(e).map(|(n, t)| (n, t, e.span))
        };
        let need = |x: (Node, T, Span), want: T| -> Result<Node, ExprError> {
            if x.1 == want {
                Ok(x.0)
            } else {
                Err(self.mismatch(
                    x.2,
                    format!("`{}` expects {want} here, found {}", func.name(), x.1),
                ))
            }
        };
        Ok(match func {
            Func::Age => {
                let (who, on) = (arg(0)?, need(arg(1)?, T::Date)?);
                match who.1 {
                    T::Text => (Node::AgeOfId(b(who.0), b(on)), T::Int),
                    T::Date => (Node::AgeOfDate(b(who.0), b(on)), T::Int),
                    t => {
                        return Err(self.mismatch(
                            who.2,
                            format!("`age` expects an ID number (text) or a birth date, found {t}"),
                        ))
                    }
                }
            }
            Func::DaysBetween => (
                Node::DaysBetween(b(need(arg(0)?, T::Date)?), b(need(arg(1)?, T::Date)?)),
                T::Int,
            ),
            Func::Len => (Node::Len(b(need(arg(0)?, T::Text)?)), T::Int),
            Func::StartsWith => (
                Node::StartsWith(b(need(arg(0)?, T::Text)?), b(need(arg(1)?, T::Text)?)),
                T::Bool,
            ),
            Func::Contains => (
                Node::Contains(b(need(arg(0)?, T::Text)?), b(need(arg(1)?, T::Text)?)),
                T::Bool,
            ),
            Func::Min | Func::Max => {
                let (x, y) = (arg(0)?, arg(1)?);
                let (xt, yt) = (x.1, y.1);
                let (xn, yn, t) = unify((x.0, x.1), (y.0, y.1))
                    .filter(|(_, _, t)| !matches!(t, T::Text | T::Bool))
                    .ok_or_else(|| {
                        self.mismatch(span, format!("`{}` of {xt} and {yt}", func.name()))
                    })?;
                let n = if func == Func::Min {
                    Node::Min(b(xn), b(yn))
                } else {
                    Node::Max(b(xn), b(yn))
                };
                (n, t)
            }
            Func::Abs => {
                let x = arg(0)?;
                if !is_numeric(x.1) {
                    return Err(self.mismatch(x.2, format!("`abs` of {}", x.1)));
                }
                let t = x.1;
                (Node::Abs(b(x.0)), t)
            }
            Func::IsMissing => (Node::IsMissing(b(arg(0)?.0)), T::Bool),
        })
    }
}

pub(crate) fn lit_node(l: &Literal) -> (Node, T) {
    match l {
        Literal::Int(i) => (Node::Num(*i), T::Int),
        Literal::Decimal(d) => (Node::Num(d.0), T::Decimal),
        Literal::Money(f) => (Node::Num(f.0), T::Money),
        Literal::Bool(x) => (Node::Bool(*x), T::Bool),
        Literal::Text(s) => (Node::Text(s.as_str().into()), T::Text),
        Literal::Date(d) => (Node::Date(*d), T::Date),
    }
}
