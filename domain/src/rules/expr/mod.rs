//! The condition language: source text is lexed, parsed into an [`Expr`] tree with
//! byte spans, type-checked against a [`FeatureSchema`](crate::rules::schema::FeatureSchema) and compiled once into a
//! [`Compiled`] form over slot indices that is evaluated many times.
//!
//! # Syntax
//!
//! | form | example |
//! |---|---|
//! | integer, decimal (≤ 4 places) | `3`, `-12`, `4.90` |
//! | money (≤ 2 places, suffix 元) | `50000元`, `1234.50元` |
//! | text, bool, date | `"农户"`, `true`, `d"2026-01-31"` |
//! | feature | `age`, `household_income`, `年龄` |
//! | comparison | `== != < <= > >=` |
//! | range (inclusive) | `age between 18 and 60` |
//! | list | `x in [1, 2]`, `x not in ["a", "b"]` |
//! | logic | `and or not`, also `&& \|\| !` |
//! | arithmetic | `+ - * /`, parentheses |
//! | functions | `age(id, as_of)`, `days_between(d1, d2)`, `len(s)`, `starts_with(s, p)`, `contains(s, sub)`, `min(a, b)`, `max(a, b)`, `abs(x)`, `is_missing(x)` |
//!
//! Precedence, loosest first: `or`, `and`, `not`, comparisons / `between` / `in`
//! (not chainable), `+ -`, `* /`, unary `-`.
//!
//! # Types
//!
//! `int` and `decimal` mix (the int is widened). `int / int` is a decimal
//! (7 / 2 = 3.5). Money adds to money, multiplies or divides by a number and
//! divides by money into a decimal ratio; money never compares with a bare number
//! (write `50000元`), which catches a whole class of unit mistakes at save time.
//! Results that need rounding (decimal ×, ÷, money × decimal) round half away from
//! zero to the type's precision. Overflow and division by zero are evaluation
//! errors ([`EvalError`]), never a panic.
//!
//! # Missing values
//!
//! A missing feature makes any arithmetic or function over it missing; a
//! comparison, range or list test with a missing side is **false**; a missing
//! bool feature used as a condition is false. `and`/`or` short-circuit left to
//! right and `not` negates the result, so `not (age > 65)` is true when age is
//! missing: write `is_missing(age) or not (age > 65)` where that matters. Each
//! evaluation reports whether it read a missing feature, and rule traces name them.

pub(crate) mod compile;
pub(crate) mod lexer;
pub(crate) mod parser;
pub(crate) mod print;

use std::fmt;

use serde::{Deserialize, Serialize};
use thiserror::Error;

pub use compile::{Compiled, EvalError, FeatureRef, Test};
pub use parser::parse;
pub use print::{render, Lang};

use crate::date::Date;
use crate::error_code::ErrorCode;
use crate::money::Fen;

use super::schema::Decimal;

/// Byte offsets `start..end` into the source text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub struct Span {
    pub start: usize,
    pub end: usize,
}

impl Span {
    pub const fn new(start: usize, end: usize) -> Span {
        Span { start, end }
    }

    pub(crate) fn to(self, other: Span) -> Span {
        Span::new(self.start.min(other.start), self.end.max(other.end))
    }
}

/// A parsed expression: a node and where it is in the source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expr {
    pub kind: ExprKind,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExprKind {
    Lit(Literal),
    Feature(String),
    Unary(UnOp, Box<Expr>),
    Binary(BinOp, Box<Expr>, Box<Expr>),
    /// `value between lo and hi`, inclusive at both ends.
    Between {
        value: Box<Expr>,
        lo: Box<Expr>,
        hi: Box<Expr>,
    },
    /// `value in [..]` / `value not in [..]`; the items are literals.
    In {
        value: Box<Expr>,
        items: Vec<Expr>,
        negated: bool,
    },
    Call(Func, Vec<Expr>),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Literal {
    Int(i64),
    Decimal(Decimal),
    Money(Fen),
    Bool(bool),
    Text(String),
    Date(Date),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum UnOp {
    Neg,
    Not,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BinOp {
    Or,
    And,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    Add,
    Sub,
    Mul,
    Div,
}

impl BinOp {
    pub fn symbol(self) -> &'static str {
        match self {
            BinOp::Or => "or",
            BinOp::And => "and",
            BinOp::Eq => "==",
            BinOp::Ne => "!=",
            BinOp::Lt => "<",
            BinOp::Le => "<=",
            BinOp::Gt => ">",
            BinOp::Ge => ">=",
            BinOp::Add => "+",
            BinOp::Sub => "-",
            BinOp::Mul => "*",
            BinOp::Div => "/",
        }
    }

    pub(crate) fn prec(self) -> u8 {
        match self {
            BinOp::Or => 1,
            BinOp::And => 2,
            BinOp::Eq | BinOp::Ne | BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge => 4,
            BinOp::Add | BinOp::Sub => 5,
            BinOp::Mul | BinOp::Div => 6,
        }
    }

    pub(crate) fn is_comparison(self) -> bool {
        self.prec() == 4
    }
}

/// The built-in functions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Func {
    /// `age(id_number_or_birth_date, as_of_date)`: whole years.
    Age,
    /// `days_between(from, to)`: `to - from` in days.
    DaysBetween,
    /// `len(text)`: characters, not bytes.
    Len,
    StartsWith,
    Contains,
    Min,
    Max,
    Abs,
    /// `is_missing(x)`: true when x is missing; never itself missing.
    IsMissing,
}

impl Func {
    pub const ALL: [Func; 9] = [
        Func::Age,
        Func::DaysBetween,
        Func::Len,
        Func::StartsWith,
        Func::Contains,
        Func::Min,
        Func::Max,
        Func::Abs,
        Func::IsMissing,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Func::Age => "age",
            Func::DaysBetween => "days_between",
            Func::Len => "len",
            Func::StartsWith => "starts_with",
            Func::Contains => "contains",
            Func::Min => "min",
            Func::Max => "max",
            Func::Abs => "abs",
            Func::IsMissing => "is_missing",
        }
    }

    pub fn arity(self) -> usize {
        match self {
            Func::Len | Func::Abs | Func::IsMissing => 1,
            _ => 2,
        }
    }

    pub fn from_name(name: &str) -> Option<Func> {
        Func::ALL.into_iter().find(|f| f.name() == name)
    }
}

/// Line and column (both from 1; the column counts characters) of a byte offset.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Position {
    pub line: u32,
    pub column: u32,
}

impl Position {
    pub fn of(source: &str, offset: usize) -> Position {
        let mut line = 1u32;
        let mut column = 1u32;
        for (i, c) in source.char_indices() {
            if i >= offset {
                break;
            }
            if c == '\n' {
                line += 1;
                column = 1;
            } else {
                column += 1;
            }
        }
        Position { line, column }
    }
}

impl fmt::Display for Position {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.line, self.column)
    }
}

/// What kind of mistake an expression has.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExprErrorKind {
    Syntax,
    /// A number, money or date literal that is malformed or out of range.
    BadLiteral,
    UnknownFeature,
    UnknownFunction,
    /// Wrong number of arguments.
    Arity,
    TypeMismatch,
}

/// Why an expression was refused at save time, with where.
#[derive(Debug, Clone, PartialEq, Eq, Error, Serialize, Deserialize)]
#[error("{position}: {message}")]
pub struct ExprError {
    pub kind: ExprErrorKind,
    pub span: Span,
    pub position: Position,
    /// English detail for logs and the rule editor.
    pub message: String,
}

impl ExprError {
    pub(crate) fn new(kind: ExprErrorKind, span: Span, source: &str, message: String) -> Self {
        ExprError {
            kind,
            span,
            position: Position::of(source, span.start),
            message,
        }
    }

    /// Its [`ErrorCode`], which chooses the message the user reads.
    pub fn code(&self) -> ErrorCode {
        match self.kind {
            ExprErrorKind::Syntax => ErrorCode::ExprSyntax,
            ExprErrorKind::BadLiteral => ErrorCode::ExprBadLiteral,
            ExprErrorKind::UnknownFeature => ErrorCode::ExprUnknownFeature,
            ExprErrorKind::UnknownFunction => ErrorCode::ExprUnknownFunction,
            ExprErrorKind::Arity => ErrorCode::ExprArity,
            ExprErrorKind::TypeMismatch => ErrorCode::ExprTypeMismatch,
        }
    }
}

#[cfg(test)]
mod tests;
