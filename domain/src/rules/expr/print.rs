//! Printing an [`Expr`]: as source text that parses back to the same tree, or as
//! a reading for officers with feature labels in Chinese or English.

use std::fmt::{self, Write as _};

use super::{BinOp, Expr, ExprKind, Func, Literal, UnOp};
use crate::rules::schema::Value;

/// How to print.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Lang {
    /// The expression language itself; parses back to the same tree.
    Source,
    /// For officers, Chinese labels and words.
    Zh,
    /// For officers, English labels.
    En,
}

/// Renders `e`; in [`Lang::Zh`] and [`Lang::En`] each feature name is replaced by
/// `label(name)` when that gives one.
pub fn render(e: &Expr, lang: Lang, label: &dyn Fn(&str) -> Option<String>) -> String {
    let mut out = String::new();
    Printer { lang, label }.expr(e, 0, &mut out);
    out
}

impl fmt::Display for Expr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&render(self, Lang::Source, &|_| None))
    }
}

struct Printer<'a> {
    lang: Lang,
    label: &'a dyn Fn(&str) -> Option<String>,
}

fn prec(e: &Expr) -> u8 {
    match &e.kind {
        ExprKind::Lit(_) | ExprKind::Feature(_) | ExprKind::Call(..) => 8,
        ExprKind::Unary(UnOp::Neg, _) => 7,
        ExprKind::Unary(UnOp::Not, _) => 3,
        ExprKind::Binary(op, ..) => op.prec(),
        ExprKind::Between { .. } | ExprKind::In { .. } => 4,
    }
}

fn func_zh(f: Func) -> &'static str {
    match f {
        Func::Age => "周岁",
        Func::DaysBetween => "相隔天数",
        Func::Len => "长度",
        Func::StartsWith => "开头为",
        Func::Contains => "包含",
        Func::Min => "较小值",
        Func::Max => "较大值",
        Func::Abs => "绝对值",
        Func::IsMissing => "缺失",
    }
}

impl Printer<'_> {
    fn human(&self) -> bool {
        self.lang != Lang::Source
    }

    fn expr(&self, e: &Expr, min: u8, out: &mut String) {
        let paren = prec(e) < min;
        if paren {
            out.push('(');
        }
        self.bare(e, out);
        if paren {
            out.push(')');
        }
    }

    fn bare(&self, e: &Expr, out: &mut String) {
        match &e.kind {
            ExprKind::Lit(l) => self.literal(l, out),
            ExprKind::Feature(name) => match (self.lang, (self.label)(name)) {
                (Lang::Source, _) | (_, None) => out.push_str(name),
                (_, Some(l)) => out.push_str(&l),
            },
            ExprKind::Unary(UnOp::Neg, x) => {
                out.push('-');
                // The source form brackets only what would read back as
                // something else: `-5` is the literal -5, not the negation of 5.
                // A bracket the parse does not need nests the printed text one
                // level deeper than the tree, so `- - … -a` near the depth limit
                // printed as `-(-(…))` would not parse back. Readings for
                // officers keep `-(-5)` rather than `--5`.
                let zero = matches!(&x.kind, ExprKind::Lit(Literal::Int(0)))
                    || matches!(&x.kind, ExprKind::Lit(Literal::Decimal(d)) if d.0 == 0);
                if zero && !self.human() {
                    // The negation of 0 comes from `--0` (the literal -0 is 0):
                    // printed so, not as `-(0)`, one level deeper.
                    out.push('-');
                    self.bare(x, out);
                    return;
                }
                let bracket = match &x.kind {
                    ExprKind::Lit(Literal::Int(n)) => *n > 0 || self.human(),
                    ExprKind::Lit(Literal::Decimal(d)) => d.0 > 0 || self.human(),
                    ExprKind::Lit(Literal::Money(_)) | ExprKind::Unary(UnOp::Neg, _) => {
                        self.human()
                    }
                    _ => false,
                };
                self.expr(x, if bracket { 9 } else { 7 }, out);
            }
            ExprKind::Unary(UnOp::Not, x) => {
                out.push_str(match self.lang {
                    Lang::Zh => "非 ",
                    _ => "not ",
                });
                self.expr(x, 3, out);
            }
            ExprKind::Binary(op, l, r) => {
                let p = op.prec();
                let (lmin, rmin) = if op.is_comparison() {
                    (5, 5)
                } else {
                    (p, p + 1)
                };
                self.expr(l, lmin, out);
                let sym = match (self.lang, op) {
                    (Lang::Zh, BinOp::And) => "并且",
                    (Lang::Zh, BinOp::Or) => "或者",
                    (Lang::Zh | Lang::En, BinOp::Eq) => "=",
                    (Lang::Zh | Lang::En, BinOp::Ne) => "≠",
                    (Lang::Zh | Lang::En, BinOp::Le) => "≤",
                    (Lang::Zh | Lang::En, BinOp::Ge) => "≥",
                    _ => op.symbol(),
                };
                let _ = write!(out, " {sym} ");
                self.expr(r, rmin, out);
            }
            ExprKind::Between { value, lo, hi } => {
                self.expr(value, 5, out);
                out.push_str(if self.lang == Lang::Zh {
                    " 介于 "
                } else {
                    " between "
                });
                self.expr(lo, 5, out);
                out.push_str(if self.lang == Lang::Zh {
                    " 与 "
                } else {
                    " and "
                });
                self.expr(hi, 5, out);
                if self.lang == Lang::Zh {
                    out.push_str(" 之间");
                }
            }
            ExprKind::In {
                value,
                items,
                negated,
            } => {
                self.expr(value, 5, out);
                out.push_str(match (self.lang, negated) {
                    (Lang::Zh, false) => " 属于 [",
                    (Lang::Zh, true) => " 不属于 [",
                    (_, false) => " in [",
                    (_, true) => " not in [",
                });
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    self.expr(item, 0, out);
                }
                out.push(']');
            }
            ExprKind::Call(f, args) => {
                out.push_str(if self.lang == Lang::Zh {
                    func_zh(*f)
                } else {
                    f.name()
                });
                out.push('(');
                for (i, a) in args.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    self.expr(a, 0, out);
                }
                out.push(')');
            }
        }
    }

    fn literal(&self, l: &Literal, out: &mut String) {
        if self.human() {
            let v = literal_value(l);
            out.push_str(&if self.lang == Lang::Zh {
                v.display_zh()
            } else {
                v.display_en()
            });
            return;
        }
        match l {
            Literal::Int(i) => {
                let _ = write!(out, "{i}");
            }
            Literal::Decimal(d) => {
                let s = d.to_string();
                out.push_str(&s);
                if !s.contains('.') {
                    out.push_str(".0");
                }
            }
            Literal::Money(f) => {
                let _ = write!(out, "{}元", f.to_yuan_string());
            }
            Literal::Bool(b) => {
                let _ = write!(out, "{b}");
            }
            Literal::Text(s) => quote(s, out),
            Literal::Date(d) => {
                let _ = write!(out, "d\"{d}\"");
            }
        }
    }
}

pub(crate) fn quote(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        if c == '"' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
}

pub(crate) fn literal_value(l: &Literal) -> Value {
    match l {
        Literal::Int(i) => Value::Int(*i),
        Literal::Decimal(d) => Value::Decimal(*d),
        Literal::Money(f) => Value::Money(*f),
        Literal::Bool(b) => Value::Bool(*b),
        Literal::Text(s) => Value::Text(s.clone()),
        Literal::Date(d) => Value::Date(*d),
    }
}
