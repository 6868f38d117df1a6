//! The compiled tree over slot indices and its evaluation: values, reading
//! a slot, comparisons and integer arithmetic on raw values.

use std::cmp::Ordering;

use serde::{Deserialize, Serialize};

use super::EvalError;
use crate::date::Date;
use crate::identity::IdNumber;
use crate::money::Fen;
use crate::rules::expr::BinOp;
use crate::rules::schema::{Decimal, FeatureType, Features, Slot, Value};

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

    pub(super) fn flipped(self) -> Cmp {
        match self {
            Cmp::Lt => Cmp::Gt,
            Cmp::Le => Cmp::Ge,
            Cmp::Gt => Cmp::Lt,
            Cmp::Ge => Cmp::Le,
            other => other,
        }
    }

    pub(super) fn of(op: BinOp) -> Option<Cmp> {
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
