//! The type checker: an expression checked against the schema becomes a
//! tree of [`Node`]s with every type resolved.

use super::eval::{Arith, Cmp, Node};
use crate::rules::expr::{
    BinOp, Expr, ExprError, ExprErrorKind, ExprKind, Func, Literal, Span, UnOp,
};
use crate::rules::schema::{Decimal, FeatureSchema, FeatureType};

use FeatureType as T;

pub(super) struct Cx<'a> {
    pub(super) schema: &'a FeatureSchema,
    pub(super) src: &'a str,
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

    pub(super) fn check(&self, e: &Expr) -> Result<(Node, T), ExprError> {
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
        // Money on the right of `*` is typed as if it were on the left; the
        // operands keep their order below, so evaluation (and which error
        // comes first) stays left to right. Both kinds `*` can give here
        // (`Mul`, `MulScaled`) are commutative.
        let swapped = op == BinOp::Mul && rt == T::Money && lt != T::Money;
        let (l, r) = if swapped { (r, l) } else { (l, r) };
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
        let (l, r) = if swapped { (r, l) } else { (l, r) };
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
