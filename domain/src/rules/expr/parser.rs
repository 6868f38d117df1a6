//! Recursive descent with precedence climbing for the binary operators.

use super::lexer::{lex, Tok};
use super::{BinOp, Expr, ExprError, ExprErrorKind, ExprKind, Func, Literal, Span, UnOp};
use crate::date::Date;
use crate::money::Fen;
use crate::rules::schema::Decimal;

/// Deeper nesting than this is refused rather than risking the stack.
const MAX_DEPTH: usize = 64;

/// Taller trees than this are refused too: type checking, printing and
/// dropping a tree recurse over its height, and a chain `a + b + c + …` or
/// `x and y and z and …` is as tall as it is long although parsing it does not
/// recurse (a 2,000-term sum overflowed a 2 MiB thread stack in the compiler).
/// 100 still leaves about 100 conditions joined by `and` in one expression.
const MAX_HEIGHT: usize = 100;

/// Parses a whole expression.
pub fn parse(src: &str) -> Result<Expr, ExprError> {
    let mut p = Parser::new(src)?;
    let e = p.expr()?;
    p.expect_end()?;
    if height(&e) > MAX_HEIGHT {
        return Err(p.error(
            ExprErrorKind::Syntax,
            e.span,
            "the expression is too long or nested too deeply; split it into several rules"
                .to_owned(),
        ));
    }
    Ok(e)
}

/// Levels of nodes from `e` down to its deepest leaf. Recursive: only called on
/// trees the parser has already kept within bounds.
fn height(e: &Expr) -> usize {
    1 + match &e.kind {
        ExprKind::Lit(_) | ExprKind::Feature(_) => 0,
        ExprKind::Unary(_, x) => height(x),
        ExprKind::Binary(_, l, r) => height(l).max(height(r)),
        ExprKind::Between { value, lo, hi } => height(value).max(height(lo)).max(height(hi)),
        // The items are literals.
        ExprKind::In { value, .. } => height(value).max(1),
        ExprKind::Call(_, args) => args.iter().map(height).max().unwrap_or(0),
    }
}

pub(crate) struct Parser<'s> {
    src: &'s str,
    toks: Vec<(Tok, Span)>,
    pos: usize,
    depth: usize,
}

impl<'s> Parser<'s> {
    pub(crate) fn new(src: &'s str) -> Result<Self, ExprError> {
        Ok(Parser {
            src,
            toks: lex(src)?,
            pos: 0,
            depth: 0,
        })
    }

    pub(crate) fn peek(&self) -> &Tok {
        self.toks.get(self.pos).map_or(&Tok::Eof, |(t, _)| t)
    }

    fn peek2(&self) -> &Tok {
        self.toks.get(self.pos + 1).map_or(&Tok::Eof, |(t, _)| t)
    }

    pub(crate) fn span(&self) -> Span {
        self.toks
            .get(self.pos)
            .map_or(Span::new(self.src.len(), self.src.len()), |(_, s)| *s)
    }

    pub(crate) fn bump(&mut self) -> (Tok, Span) {
        let t = self
            .toks
            .get(self.pos)
            .cloned()
            .unwrap_or((Tok::Eof, self.span()));
        if self.pos < self.toks.len() {
            self.pos += 1;
        }
        t
    }

    pub(crate) fn eat(&mut self, t: &Tok) -> bool {
        if self.peek() == t {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    pub(crate) fn error(&self, kind: ExprErrorKind, span: Span, msg: String) -> ExprError {
        ExprError::new(kind, span, self.src, msg)
    }

    pub(crate) fn unexpected(&self, wanted: &str) -> ExprError {
        self.error(
            ExprErrorKind::Syntax,
            self.span(),
            format!("expected {wanted}, found {}", self.peek().describe()),
        )
    }

    pub(crate) fn expect(&mut self, t: &Tok, wanted: &str) -> Result<Span, ExprError> {
        let span = self.span();
        if self.eat(t) {
            Ok(span)
        } else {
            Err(self.unexpected(wanted))
        }
    }

    pub(crate) fn expect_end(&self) -> Result<(), ExprError> {
        if *self.peek() == Tok::Eof {
            Ok(())
        } else {
            Err(self.unexpected("an operator or the end of the expression"))
        }
    }

    fn enter(&mut self) -> Result<(), ExprError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(self.error(
                ExprErrorKind::Syntax,
                self.span(),
                "the expression is nested too deeply".to_owned(),
            ));
        }
        Ok(())
    }

    pub(crate) fn expr(&mut self) -> Result<Expr, ExprError> {
        self.enter()?;
        let e = self.binary(1);
        self.depth -= 1;
        e
    }

    fn binop(&self) -> Option<BinOp> {
        Some(match self.peek() {
            Tok::Or => BinOp::Or,
            Tok::And => BinOp::And,
            Tok::EqEq => BinOp::Eq,
            Tok::Ne => BinOp::Ne,
            Tok::Lt => BinOp::Lt,
            Tok::Le => BinOp::Le,
            Tok::Gt => BinOp::Gt,
            Tok::Ge => BinOp::Ge,
            Tok::Plus => BinOp::Add,
            Tok::Minus => BinOp::Sub,
            Tok::Star => BinOp::Mul,
            Tok::Slash => BinOp::Div,
            _ => return None,
        })
    }

    /// Precedence climbing over levels 1 (`or`) to 6 (`* /`); level 3 is prefix
    /// `not` and level 4 the non-associative comparisons.
    fn binary(&mut self, min: u8) -> Result<Expr, ExprError> {
        let mut lhs = if min <= 3 && *self.peek() == Tok::Not {
            let (_, s) = self.bump();
            self.enter()?;
            let operand = self.binary(3);
            self.depth -= 1;
            let operand = operand?;
            Expr {
                span: s.to(operand.span),
                kind: ExprKind::Unary(UnOp::Not, Box::new(operand)),
            }
        } else if min <= 4 {
            self.comparison()?
        } else {
            self.unary()?
        };
        // The height of `lhs`, counted once the loop starts building on it.
        let mut tall = None;
        while let Some(op) = self.binop() {
            let p = op.prec();
            if p < min || op.is_comparison() {
                break;
            }
            self.bump();
            let rhs = self.binary(p + 1)?;
            let h = 1 + tall.unwrap_or_else(|| height(&lhs)).max(height(&rhs));
            if h > MAX_HEIGHT {
                return Err(self.error(
                    ExprErrorKind::Syntax,
                    rhs.span,
                    "the expression is too long or nested too deeply; split it into several rules"
                        .to_owned(),
                ));
            }
            tall = Some(h);
            lhs = Expr {
                span: lhs.span.to(rhs.span),
                kind: ExprKind::Binary(op, Box::new(lhs), Box::new(rhs)),
            };
        }
        Ok(lhs)
    }

    /// An arithmetic operand with at most one comparison, `between` or `in`.
    fn comparison(&mut self) -> Result<Expr, ExprError> {
        let lhs = self.binary(5)?;
        if let Some(op) = self.binop().filter(|o| o.is_comparison()) {
            self.bump();
            let rhs = self.binary(5)?;
            let e = Expr {
                span: lhs.span.to(rhs.span),
                kind: ExprKind::Binary(op, Box::new(lhs), Box::new(rhs)),
            };
            if self.binop().is_some_and(BinOp::is_comparison) {
                return Err(self.error(
                    ExprErrorKind::Syntax,
                    self.span(),
                    "comparisons cannot be chained; join them with `and`".to_owned(),
                ));
            }
            return Ok(e);
        }
        match self.peek() {
            Tok::Between => {
                self.bump();
                let lo = self.binary(5)?;
                self.expect(&Tok::And, "`and` in `between … and …`")?;
                let hi = self.binary(5)?;
                Ok(Expr {
                    span: lhs.span.to(hi.span),
                    kind: ExprKind::Between {
                        value: Box::new(lhs),
                        lo: Box::new(lo),
                        hi: Box::new(hi),
                    },
                })
            }
            Tok::In => {
                self.bump();
                self.in_list(lhs, false)
            }
            Tok::Not if *self.peek2() == Tok::In => {
                self.bump();
                self.bump();
                self.in_list(lhs, true)
            }
            _ => Ok(lhs),
        }
    }

    fn in_list(&mut self, value: Expr, negated: bool) -> Result<Expr, ExprError> {
        self.expect(&Tok::LBracket, "`[` to start the list")?;
        let mut items = Vec::new();
        if *self.peek() != Tok::RBracket {
            loop {
                items.push(self.literal_expr()?);
                if !self.eat(&Tok::Comma) {
                    break;
                }
            }
        }
        let end = self.expect(&Tok::RBracket, "`,` or `]`")?;
        Ok(Expr {
            span: value.span.to(end),
            kind: ExprKind::In {
                value: Box::new(value),
                items,
                negated,
            },
        })
    }

    /// A literal, possibly a negative number.
    pub(crate) fn literal_expr(&mut self) -> Result<Expr, ExprError> {
        let start = self.span();
        let neg = self.eat(&Tok::Minus);
        let (tok, span) = self.bump();
        let span = start.to(span);
        let lit = match tok {
            Tok::Number { whole, frac, yuan } => {
                self.number(&whole, frac.as_deref(), yuan, neg, span)?
            }
            _ if neg => {
                self.pos -= 1;
                return Err(self.unexpected("a number after `-`"));
            }
            Tok::Str(s) => Literal::Text(s),
            Tok::True => Literal::Bool(true),
            Tok::False => Literal::Bool(false),
            Tok::DateLit(s) => Literal::Date(Date::parse(&s).map_err(|_| {
                self.error(
                    ExprErrorKind::BadLiteral,
                    span,
                    format!("{s:?} is not a date (YYYY-MM-DD)"),
                )
            })?),
            _ => {
                self.pos -= 1;
                return Err(self.unexpected("a literal"));
            }
        };
        Ok(Expr {
            kind: ExprKind::Lit(lit),
            span,
        })
    }

    fn number(
        &self,
        whole: &str,
        frac: Option<&str>,
        yuan: bool,
        neg: bool,
        span: Span,
    ) -> Result<Literal, ExprError> {
        let bad = |msg: &str| self.error(ExprErrorKind::BadLiteral, span, msg.to_owned());
        let sign = if neg { "-" } else { "" };
        if yuan {
            if neg {
                return Err(bad(
                    "a money literal cannot be negative; subtract it instead",
                ));
            }
            let text = match frac {
                Some(f) => format!("{whole}.{f}"),
                None => whole.to_owned(),
            };
            return Fen::parse_yuan(&text)
                .map(Literal::Money)
                .map_err(|e| match e {
                    crate::money::MoneyError::TooManyDecimals => {
                        bad("money has at most two decimals (fen)")
                    }
                    _ => bad("the amount is too large"),
                });
        }
        match frac {
            None => format!("{sign}{whole}")
                .parse::<i64>()
                .map(Literal::Int)
                .map_err(|_| bad("the integer is too large")),
            Some(f) if f.len() > 4 => Err(bad("a decimal has at most four places")),
            Some(f) => Decimal::parse(&format!("{sign}{whole}.{f}"))
                .map(Literal::Decimal)
                .ok_or_else(|| bad("the decimal is too large")),
        }
    }

    fn unary(&mut self) -> Result<Expr, ExprError> {
        if *self.peek() == Tok::Minus {
            if matches!(self.peek2(), Tok::Number { yuan: false, .. }) {
                return self.literal_expr();
            }
            let (_, s) = self.bump();
            self.enter()?;
            let operand = self.unary();
            self.depth -= 1;
            let operand = operand?;
            return Ok(Expr {
                span: s.to(operand.span),
                kind: ExprKind::Unary(UnOp::Neg, Box::new(operand)),
            });
        }
        self.primary()
    }

    fn primary(&mut self) -> Result<Expr, ExprError> {
        match self.peek().clone() {
            Tok::Number { .. } | Tok::Str(_) | Tok::True | Tok::False | Tok::DateLit(_) => {
                self.literal_expr()
            }
            Tok::LParen => {
                let (_, open) = self.bump();
                let inner = self.expr()?;
                let close = self.expect(&Tok::RParen, "`)`")?;
                // Parentheses only group: keep the inner node, widen its span.
                Ok(Expr {
                    kind: inner.kind,
                    span: open.to(close),
                })
            }
            Tok::Ident(name) => {
                let (_, span) = self.bump();
                if *self.peek() != Tok::LParen {
                    return Ok(Expr {
                        kind: ExprKind::Feature(name),
                        span,
                    });
                }
                let func = Func::from_name(&name).ok_or_else(|| {
                    self.error(
                        ExprErrorKind::UnknownFunction,
                        span,
                        format!("there is no function `{name}`"),
                    )
                })?;
                self.bump();
                let mut args = Vec::new();
                if *self.peek() != Tok::RParen {
                    loop {
                        args.push(self.expr()?);
                        if !self.eat(&Tok::Comma) {
                            break;
                        }
                    }
                }
                let close = self.expect(&Tok::RParen, "`,` or `)`")?;
                let span = span.to(close);
                if args.len() != func.arity() {
                    return Err(self.error(
                        ExprErrorKind::Arity,
                        span,
                        format!(
                            "`{}` takes {} argument(s), found {}",
                            func.name(),
                            func.arity(),
                            args.len()
                        ),
                    ));
                }
                Ok(Expr {
                    kind: ExprKind::Call(func, args),
                    span,
                })
            }
            _ => Err(self.unexpected("a value, a feature or `(`")),
        }
    }
}
