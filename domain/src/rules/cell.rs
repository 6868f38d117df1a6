//! Cells of decision tables and scorecard bins: a test of one input value,
//! written in a short form and compiled to integer range checks.
//!
//! | cell | meaning |
//! |---|---|
//! | `-` or empty | any value, missing included |
//! | `< 30`, `<= 30`, `> 30`, `>= 30`, `== 30`, `!= 30` | comparison |
//! | `[18..60]`, `[18..60)`, `(18..60]`, `(18..60)`, `[18..]`, `[..60)` | range; `[ ]` inclusive, `( )` exclusive, a bound may be left open |
//! | `30`, `"农户"`, `true` | equal to |
//! | `"农户", "个体户"` | one of |
//! | `not "农户", "个体户"` | none of |
//!
//! Literals are written as in expressions (`50000元`, `4.9`, `d"2026-01-31"`) and
//! must suit the column's type; an int literal is accepted in a decimal column.
//! Only `-` matches a missing value.

use std::fmt;

use super::expr::compile::V;
use super::expr::lexer::Tok;
use super::expr::parser::Parser;
use super::expr::{ExprError, ExprErrorKind, ExprKind, Literal, Span};
use super::schema::{Decimal, FeatureType, Value};

/// A compiled cell. Ordered values (numbers, dates as day numbers, bools as 0/1)
/// are compared as raw `i64`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum CellTest {
    Any,
    /// Inclusive bounds.
    Range(i64, i64),
    InNum(Box<[i64]>, bool),
    InText(Box<[Box<str>]>, bool),
}

/// A present value as an ordered key.
#[inline]
pub(crate) fn key(v: V<'_>) -> Option<i64> {
    match v {
        V::Num(n) => Some(n),
        V::Date(d) => Some(d.days_since_epoch()),
        V::Bool(b) => Some(i64::from(b)),
        V::Missing | V::Text(_) => None,
    }
}

impl CellTest {
    #[inline]
    pub(crate) fn matches(&self, v: V<'_>) -> bool {
        match self {
            CellTest::Any => true,
            CellTest::Range(lo, hi) => key(v).is_some_and(|k| *lo <= k && k <= *hi),
            CellTest::InNum(set, neg) => key(v).is_some_and(|k| set.contains(&k) != *neg),
            CellTest::InText(set, neg) => match v {
                V::Text(s) => set.iter().any(|x| &**x == s) != *neg,
                _ => false,
            },
        }
    }

    pub(crate) fn is_any(&self) -> bool {
        *self == CellTest::Any
    }
}

/// A cell with its source text (kept for traces and saving).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Cell {
    pub(crate) text: String,
    pub(crate) test: CellTest,
}

impl fmt::Display for Cell {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

fn is_ordered(ty: FeatureType) -> bool {
    !matches!(ty, FeatureType::Text)
}

/// A literal as the raw ordered key of a `ty` value, or the text for text.
enum Key {
    Num(i64),
    Text(String),
}

fn literal_key(lit: &Literal, ty: FeatureType) -> Option<Key> {
    Some(match (lit, ty) {
        (Literal::Int(i), FeatureType::Int) => Key::Num(*i),
        (Literal::Int(i), FeatureType::Decimal) => Key::Num(Decimal::from_int(*i)?.0),
        (Literal::Decimal(d), FeatureType::Decimal) => Key::Num(d.0),
        (Literal::Money(m), FeatureType::Money) => Key::Num(m.0),
        (Literal::Bool(b), FeatureType::Bool) => Key::Num(i64::from(*b)),
        (Literal::Date(d), FeatureType::Date) => Key::Num(d.days_since_epoch()),
        (Literal::Text(s), FeatureType::Text) => Key::Text(s.clone()),
        _ => return None,
    })
}

/// Parses one literal of type `ty` (an output cell); `-` or empty is missing.
pub(crate) fn parse_value(text: &str, ty: FeatureType) -> Result<Value, ExprError> {
    if matches!(text.trim(), "" | "-") {
        return Ok(Value::Missing);
    }
    let mut p = Parser::new(text)?;
    let e = p.literal_expr()?;
    p.expect_end()?;
    let ExprKind::Lit(lit) = e.kind else {
        return Err(p.unexpected("a literal"));
    };
    let v = super::expr::print::literal_value(&lit);
    let v = match (v, ty) {
        (Value::Int(i), FeatureType::Decimal) => {
            Decimal::from_int(i).map_or(Value::Missing, Value::Decimal)
        }
        (v, _) => v,
    };
    if v.ty() != Some(ty) {
        return Err(ExprError::new(
            ExprErrorKind::TypeMismatch,
            e.span,
            text,
            format!("the column holds {ty} values{}", money_hint(ty)),
        ));
    }
    Ok(v)
}

fn money_hint(ty: FeatureType) -> &'static str {
    if ty == FeatureType::Money {
        " (write amounts with 元, e.g. 50000元)"
    } else {
        ""
    }
}

/// Parses and compiles a cell for a column of type `ty`.
pub(crate) fn parse_cell(text: &str, ty: FeatureType) -> Result<Cell, ExprError> {
    let cell = |test| Cell {
        text: text.trim().to_owned(),
        test,
    };
    if matches!(text.trim(), "" | "-") {
        return Ok(cell(CellTest::Any));
    }
    let mut p = Parser::new(text)?;
    let mismatch = |span: Span, what: &str| {
        ExprError::new(
            ExprErrorKind::TypeMismatch,
            span,
            text,
            format!("{what} does not suit a {ty} column{}", money_hint(ty)),
        )
    };
    let lit = |p: &mut Parser<'_>| -> Result<Key, ExprError> {
        let e = p.literal_expr()?;
        match &e.kind {
            ExprKind::Lit(l) => literal_key(l, ty).ok_or_else(|| mismatch(e.span, "the value")),
            _ => Err(p.unexpected("a literal")),
        }
    };
    let num = |p: &mut Parser<'_>| -> Result<i64, ExprError> {
        let span = p.span();
        match lit(p)? {
            Key::Num(n) if is_ordered(ty) => Ok(n),
            _ => Err(mismatch(span, "an ordered comparison")),
        }
    };
    let empty = |span: Span| {
        ExprError::new(
            ExprErrorKind::BadLiteral,
            span,
            text,
            "the range is empty".to_owned(),
        )
    };
    let test = match p.peek().clone() {
        op @ (Tok::Lt | Tok::Le | Tok::Gt | Tok::Ge | Tok::EqEq | Tok::Ne) => {
            p.bump();
            let span = p.span();
            if matches!(op, Tok::EqEq | Tok::Ne) {
                let neg = op == Tok::Ne;
                match lit(&mut p)? {
                    Key::Num(n) => CellTest::InNum(Box::new([n]), neg),
                    Key::Text(s) => CellTest::InText(Box::new([s.into()]), neg),
                }
            } else {
                let n = num(&mut p)?;
                let (lo, hi) = match op {
                    Tok::Lt => (i64::MIN, n.checked_sub(1).ok_or_else(|| empty(span))?),
                    Tok::Le => (i64::MIN, n),
                    Tok::Gt => (n.checked_add(1).ok_or_else(|| empty(span))?, i64::MAX),
                    _ => (n, i64::MAX),
                };
                CellTest::Range(lo, hi)
            }
        }
        open @ (Tok::LBracket | Tok::LParen) => {
            let start = p.span();
            p.bump();
            let lo = if *p.peek() == Tok::DotDot {
                None
            } else {
                Some(num(&mut p)?)
            };
            p.expect(&Tok::DotDot, "`..`")?;
            let hi = if matches!(p.peek(), Tok::RBracket | Tok::RParen) {
                None
            } else {
                Some(num(&mut p)?)
            };
            let (close, end) = p.bump();
            let span = start.to(end);
            let lo = match lo {
                None => i64::MIN,
                Some(n) if open == Tok::LParen => n.checked_add(1).ok_or_else(|| empty(span))?,
                Some(n) => n,
            };
            let hi = match (hi, &close) {
                (None, Tok::RBracket | Tok::RParen) => i64::MAX,
                (Some(n), Tok::RParen) => n.checked_sub(1).ok_or_else(|| empty(span))?,
                (Some(n), Tok::RBracket) => n,
                _ => {
                    return Err(ExprError::new(
                        ExprErrorKind::Syntax,
                        end,
                        text,
                        "expected `]` or `)` to close the range".to_owned(),
                    ))
                }
            };
            if lo > hi {
                return Err(empty(span));
            }
            CellTest::Range(lo, hi)
        }
        _ => {
            let neg = p.eat(&Tok::Not);
            let mut nums = Vec::new();
            let mut texts = Vec::new();
            loop {
                match lit(&mut p)? {
                    Key::Num(n) => nums.push(n),
                    Key::Text(s) => texts.push(s.into_boxed_str()),
                }
                if !p.eat(&Tok::Comma) {
                    break;
                }
            }
            if texts.is_empty() {
                nums.sort_unstable();
                nums.dedup();
                if let ([n], false) = (&nums[..], neg) {
                    CellTest::Range(*n, *n)
                } else {
                    CellTest::InNum(nums.into(), neg)
                }
            } else {
                CellTest::InText(texts.into(), neg)
            }
        }
    };
    p.expect_end()?;
    Ok(cell(test))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::date::Date;
    use crate::error_code::ErrorCode;
    use rstest::rstest;
    use FeatureType as T;

    #[rstest]
    #[case("-", T::Int, CellTest::Any)]
    #[case("", T::Int, CellTest::Any)]
    #[case("< 30", T::Int, CellTest::Range(i64::MIN, 29))]
    #[case(">= 30", T::Int, CellTest::Range(30, i64::MAX))]
    #[case("> 2.5", T::Decimal, CellTest::Range(25_001, i64::MAX))]
    #[case("> 2", T::Decimal, CellTest::Range(20_001, i64::MAX))]
    #[case("[18..60]", T::Int, CellTest::Range(18, 60))]
    #[case("[18..60)", T::Int, CellTest::Range(18, 59))]
    #[case("(18..60]", T::Int, CellTest::Range(19, 60))]
    #[case("[..60)", T::Int, CellTest::Range(i64::MIN, 59))]
    #[case("[-5..]", T::Int, CellTest::Range(-5, i64::MAX))]
    #[case("[10000元..]", T::Money, CellTest::Range(1_000_000, i64::MAX))]
    #[case("7", T::Int, CellTest::Range(7, 7))]
    #[case("1, 3, 2", T::Int, CellTest::InNum(Box::new([1, 2, 3]), false))]
    #[case("not 1", T::Int, CellTest::InNum(Box::new([1]), true))]
    #[case("!= 1", T::Int, CellTest::InNum(Box::new([1]), true))]
    #[case("true", T::Bool, CellTest::Range(1, 1))]
    #[case("\"农户\", \"个体户\"", T::Text, CellTest::InText(Box::new(["农户".into(), "个体户".into()]), false))]
    #[case("not \"农户\"", T::Text, CellTest::InText(Box::new(["农户".into()]), true))]
    fn parses_cells(#[case] text: &str, #[case] ty: FeatureType, #[case] test: CellTest) {
        assert_eq!(parse_cell(text, ty).map(|c| c.test), Ok(test));
    }

    #[rstest]
    #[case("< 30", T::Money, "expr_type_mismatch", 3)]
    #[case("[60..18]", T::Int, "expr_bad_literal", 1)]
    #[case("(5..6)", T::Int, "expr_bad_literal", 1)]
    #[case("[1..2", T::Int, "expr_syntax", 6)]
    #[case("< \"a\"", T::Text, "expr_type_mismatch", 3)]
    #[case("1 2", T::Int, "expr_syntax", 3)]
    #[case("\"a\"", T::Int, "expr_type_mismatch", 1)]
    #[case("[1.5..2]", T::Int, "expr_type_mismatch", 2)]
    fn refuses_bad_cells(
        #[case] text: &str,
        #[case] ty: FeatureType,
        #[case] code: &str,
        #[case] column: u32,
    ) {
        let err = parse_cell(text, ty).err();
        assert_eq!(
            err.as_ref().map(|e| (e.code().as_str(), e.position.column)),
            Some((code, column)),
            "{err:?}"
        );
    }

    #[test]
    fn matches_values() {
        let c = |t: &str, ty| parse_cell(t, ty).map(|c| c.test).unwrap_or(CellTest::Any);
        assert!(c("[18..60]", T::Int).matches(V::Num(18)));
        assert!(!c("[18..60]", T::Int).matches(V::Num(61)));
        assert!(!c("[18..60]", T::Int).matches(V::Missing));
        assert!(c("-", T::Int).matches(V::Missing));
        assert!(!c("not 1", T::Int).matches(V::Missing));
        let day = Date::parse("2026-01-31").unwrap_or(Date::MIN);
        assert!(c("< d\"2026-02-01\"", T::Date).matches(V::Date(day)));
        assert!(c("not \"a\"", T::Text).matches(V::Text("b")));
        assert!(!c("\"a\", \"b\"", T::Text).matches(V::Text("c")));
        assert_eq!(
            parse_value("50000元", T::Money),
            Ok(Value::Money(crate::money::Fen(5_000_000)))
        );
        assert_eq!(
            parse_value("3", T::Decimal),
            Ok(Value::Decimal(Decimal(30_000)))
        );
        assert_eq!(parse_value("-", T::Int), Ok(Value::Missing));
        assert_eq!(parse_value("-20", T::Int), Ok(Value::Int(-20)));
        assert_eq!(
            parse_value("3", T::Money).err().map(|e| e.code()),
            Some(ErrorCode::ExprTypeMismatch)
        );
    }
}
