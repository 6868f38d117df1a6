//! Tokens of the condition language.

use super::{ExprError, ExprErrorKind, Span};
use crate::rules::schema::{is_ident_continue, is_ident_start};

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Tok {
    /// Unsigned number as written: whole digits, optional fraction digits and
    /// whether the 元 suffix follows. Converted (with any sign) by the parser.
    Number {
        whole: String,
        frac: Option<String>,
        yuan: bool,
    },
    Str(String),
    /// The text between the quotes of `d"…"`.
    DateLit(String),
    Ident(String),
    True,
    False,
    And,
    Or,
    Not,
    Between,
    In,
    EqEq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    Plus,
    Minus,
    Star,
    Slash,
    LParen,
    RParen,
    LBracket,
    RBracket,
    Comma,
    DotDot,
    Eof,
}

impl Tok {
    pub(crate) fn describe(&self) -> String {
        match self {
            Tok::Number { .. } => "a number".to_owned(),
            Tok::Str(_) => "a string".to_owned(),
            Tok::DateLit(_) => "a date".to_owned(),
            Tok::Ident(s) => format!("`{s}`"),
            Tok::Eof => "the end of the expression".to_owned(),
            other => format!("`{}`", other.symbol()),
        }
    }

    fn symbol(&self) -> &'static str {
        match self {
            Tok::True => "true",
            Tok::False => "false",
            Tok::And => "and",
            Tok::Or => "or",
            Tok::Not => "not",
            Tok::Between => "between",
            Tok::In => "in",
            Tok::EqEq => "==",
            Tok::Ne => "!=",
            Tok::Lt => "<",
            Tok::Le => "<=",
            Tok::Gt => ">",
            Tok::Ge => ">=",
            Tok::Plus => "+",
            Tok::Minus => "-",
            Tok::Star => "*",
            Tok::Slash => "/",
            Tok::LParen => "(",
            Tok::RParen => ")",
            Tok::LBracket => "[",
            Tok::RBracket => "]",
            Tok::Comma => ",",
            Tok::DotDot => "..",
            _ => "?",
        }
    }
}

/// Splits `src` into tokens with their byte spans; the last token is [`Tok::Eof`].
pub(crate) fn lex(src: &str) -> Result<Vec<(Tok, Span)>, ExprError> {
    let mut out = Vec::new();
    let chars: Vec<(usize, char)> = src.char_indices().collect();
    let at = |i: usize| chars.get(i).map(|&(_, c)| c);
    let off = |i: usize| chars.get(i).map_or(src.len(), |&(o, _)| o);
    let err = |start: usize, end: usize, msg: &str| {
        ExprError::new(
            ExprErrorKind::Syntax,
            Span::new(start, end),
            src,
            msg.to_owned(),
        )
    };
    let mut i = 0;
    while let Some(c) = at(i) {
        let start = off(i);
        if c.is_whitespace() {
            i += 1;
            continue;
        }
        // `d"2026-01-31"`: a date literal.
        if c == 'd' && at(i + 1) == Some('"') {
            let (text, next) = string_body(&chars, i + 2)
                .ok_or_else(|| err(start, src.len(), "unterminated date literal"))?;
            i = next;
            out.push((Tok::DateLit(text), Span::new(start, off(i))));
            continue;
        }
        if c == '"' {
            let (text, next) = string_body(&chars, i + 1)
                .ok_or_else(|| err(start, src.len(), "unterminated string"))?;
            i = next;
            out.push((Tok::Str(text), Span::new(start, off(i))));
            continue;
        }
        if c.is_ascii_digit() {
            let mut j = i;
            while at(j).is_some_and(|c| c.is_ascii_digit()) {
                j += 1;
            }
            let whole: String = chars[i..j].iter().map(|&(_, c)| c).collect();
            let mut frac = None;
            // A '.' followed by a digit is a fraction; `..` is a range.
            if at(j) == Some('.') && at(j + 1).is_some_and(|c| c.is_ascii_digit()) {
                let k = j + 1;
                j = k;
                while at(j).is_some_and(|c| c.is_ascii_digit()) {
                    j += 1;
                }
                frac = Some(chars[k..j].iter().map(|&(_, c)| c).collect());
            }
            let yuan = at(j) == Some('元');
            if yuan {
                j += 1;
            }
            if at(j).is_some_and(|c| is_ident_continue(c) || c == '.' && at(j + 1) != Some('.')) {
                return Err(err(start, off(j + 1), "malformed number"));
            }
            i = j;
            out.push((Tok::Number { whole, frac, yuan }, Span::new(start, off(i))));
            continue;
        }
        if is_ident_start(c) {
            let mut j = i + 1;
            while at(j).is_some_and(is_ident_continue) {
                j += 1;
            }
            let word: String = chars[i..j].iter().map(|&(_, c)| c).collect();
            let tok = match word.as_str() {
                "true" => Tok::True,
                "false" => Tok::False,
                "and" => Tok::And,
                "or" => Tok::Or,
                "not" => Tok::Not,
                "between" => Tok::Between,
                "in" => Tok::In,
                _ => Tok::Ident(word),
            };
            i = j;
            out.push((tok, Span::new(start, off(i))));
            continue;
        }
        let two = (c, at(i + 1));
        let (tok, len) = match two {
            ('=', Some('=')) => (Tok::EqEq, 2),
            ('!', Some('=')) => (Tok::Ne, 2),
            ('<', Some('=')) => (Tok::Le, 2),
            ('>', Some('=')) => (Tok::Ge, 2),
            ('&', Some('&')) => (Tok::And, 2),
            ('|', Some('|')) => (Tok::Or, 2),
            ('.', Some('.')) => (Tok::DotDot, 2),
            ('<', _) => (Tok::Lt, 1),
            ('>', _) => (Tok::Gt, 1),
            ('!', _) => (Tok::Not, 1),
            ('+', _) => (Tok::Plus, 1),
            ('-', _) => (Tok::Minus, 1),
            ('*', _) => (Tok::Star, 1),
            ('/', _) => (Tok::Slash, 1),
            ('(', _) => (Tok::LParen, 1),
            (')', _) => (Tok::RParen, 1),
            ('[', _) => (Tok::LBracket, 1),
            (']', _) => (Tok::RBracket, 1),
            (',', _) => (Tok::Comma, 1),
            ('=', _) => return Err(err(start, off(i + 1), "use `==` to compare")),
            _ => return Err(err(start, off(i + 1), "unexpected character")),
        };
        i += len;
        out.push((tok, Span::new(start, off(i))));
    }
    out.push((Tok::Eof, Span::new(src.len(), src.len())));
    Ok(out)
}

/// The body of a double-quoted string starting at char index `i` (after the
/// opening quote), with `\"` and `\\` escapes; returns it and the index after the
/// closing quote.
fn string_body(chars: &[(usize, char)], mut i: usize) -> Option<(String, usize)> {
    let mut s = String::new();
    loop {
        let &(_, c) = chars.get(i)?;
        match c {
            '"' => return Some((s, i + 1)),
            '\\' => {
                let &(_, e) = chars.get(i + 1)?;
                if e != '"' && e != '\\' {
                    return None;
                }
                s.push(e);
                i += 2;
            }
            _ => {
                s.push(c);
                i += 1;
            }
        }
    }
}
