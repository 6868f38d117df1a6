//! Checking a contract template's body and splitting it into literal text and
//! [`Placeholder`]s, so that an error is found when staff save the template,
//! not when a customer signs.
//!
//! # Syntax
//!
//! A placeholder is `{{name}}` with a [`Placeholder`] code as the name; spaces
//! or tabs around the name are allowed (`{{ amount }}`) and the whole
//! placeholder stays on one line. Single braces are ordinary text. There is no
//! escape: a contract has no need to print `{{` or `}}`, so either one outside
//! a placeholder is taken for a typing mistake and refused. `\r\n` line ends
//! are read as `\n`, as the signed text has them
//! ([`super::normalise_text`]).

use serde::{Deserialize, Serialize};
use thiserror::Error;

use super::{normalise_text, ContractKind, Placeholder};
use crate::error_code::ErrorCode;

/// The largest body accepted, 64 KiB of UTF-8: ten times a long contract.
/// Checked before anything else, so an absurd upload costs nothing to refuse.
pub const MAX_TEMPLATE_BYTES: usize = 64 * 1024;

/// The longest unknown name an error repeats, in characters.
const MAX_NAME_IN_ERROR: usize = 32;

/// Where in a template body a problem is, as an editor shows it: line and
/// column both count from 1, and a column counts characters, not bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Position {
    pub line: u32,
    pub column: u32,
}

impl std::fmt::Display for Position {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "line {}, column {}", self.line, self.column)
    }
}

/// Why a template body was refused.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Error, Serialize, Deserialize)]
pub enum TemplateError {
    #[error("the template is empty")]
    Empty,
    #[error("the template is {bytes} bytes, more than the {max} allowed")]
    TooLarge { bytes: usize, max: usize },
    /// `name` is what stood between the braces, trimmed and cut to 32
    /// characters; `at` is the position of its `{{`.
    #[error("{at}: there is no placeholder {name:?}")]
    UnknownPlaceholder { name: String, at: Position },
    /// A `{{` with no `}}` after it on the same line.
    #[error("{at}: this {{{{ is not closed by }}}} on the same line")]
    Unclosed { at: Position },
    /// A `}}` outside a placeholder.
    #[error("{at}: this }}}} closes no placeholder")]
    StrayClose { at: Position },
    /// Placeholders the kind requires that the body never uses, in the order
    /// of [`ContractKind::required_placeholders`].
    #[error("a {kind:?} contract needs the placeholders {missing:?}")]
    MissingRequired {
        kind: ContractKind,
        missing: Vec<Placeholder>,
    },
}

impl TemplateError {
    /// Its [`ErrorCode`], which chooses the message the user reads.
    pub fn code(&self) -> ErrorCode {
        match self {
            Self::Empty => ErrorCode::ContractTemplateEmpty,
            Self::TooLarge { .. } => ErrorCode::ContractTemplateTooLarge,
            Self::UnknownPlaceholder { .. } => ErrorCode::ContractTemplateUnknownPlaceholder,
            Self::Unclosed { .. } => ErrorCode::ContractTemplateUnclosed,
            Self::StrayClose { .. } => ErrorCode::ContractTemplateStrayClose,
            Self::MissingRequired { .. } => ErrorCode::ContractTemplateMissingPlaceholder,
        }
    }

    /// The values its message fills in (`{line}`, `{column}`, `{name}`,
    /// `{names}`, `{max_kb}`), for the app's error to carry: every message
    /// placeholder of the code's text has its value here.
    pub fn params(&self) -> Vec<(&'static str, String)> {
        let at = |p: &Position| {
            vec![
                ("line", p.line.to_string()),
                ("column", p.column.to_string()),
            ]
        };
        match self {
            Self::Empty => vec![],
            Self::TooLarge { max, .. } => vec![("max_kb", (max / 1024).to_string())],
            Self::UnknownPlaceholder { name, at: p } => {
                let mut v = at(p);
                v.push(("name", name.clone()));
                v
            }
            Self::Unclosed { at: p } | Self::StrayClose { at: p } => at(p),
            // As the author must type them, which reads the same in both
            // locales: "{{borrower_name}}, {{amount}}".
            Self::MissingRequired { missing, .. } => {
                let names: Vec<String> = missing
                    .iter()
                    .map(|p| format!("{{{{{}}}}}", p.as_str()))
                    .collect();
                vec![("names", names.join(", "))]
            }
        }
    }
}

/// A piece of a parsed template.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Segment {
    /// Text copied as it is (never empty).
    Literal(String),
    /// A value from the terms.
    Field(Placeholder),
}

/// A template body that parsed and has what its kind requires; the only way
/// to render a contract. Made by [`ContractTemplate::parse`].
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ParsedTemplate {
    kind: ContractKind,
    segments: Vec<Segment>,
}

impl ParsedTemplate {
    pub fn kind(&self) -> ContractKind {
        self.kind
    }

    /// The body as literal text and placeholders, in order.
    pub fn segments(&self) -> &[Segment] {
        &self.segments
    }

    /// Each placeholder the body uses, once, in order of first use.
    pub fn placeholders(&self) -> Vec<Placeholder> {
        let mut seen = Vec::new();
        for s in &self.segments {
            if let Segment::Field(p) = s {
                if !seen.contains(p) {
                    seen.push(*p);
                }
            }
        }
        seen
    }
}

/// Contract templates as staff write them. There is no value of this type: a
/// template body is a plain string until [`ContractTemplate::parse`] turns it
/// into a [`ParsedTemplate`].
#[derive(Debug)]
pub enum ContractTemplate {}

impl ContractTemplate {
    /// Checks `body` as a template for a `kind` contract. Refused, in this
    /// order: over [`MAX_TEMPLATE_BYTES`], blank, the first syntax problem
    /// from the top (unknown name, unclosed `{{`, stray `}}`) with its
    /// position, then any placeholder the kind requires and the body lacks.
    pub fn parse(kind: ContractKind, body: &str) -> Result<ParsedTemplate, TemplateError> {
        if body.len() > MAX_TEMPLATE_BYTES {
            return Err(TemplateError::TooLarge {
                bytes: body.len(),
                max: MAX_TEMPLATE_BYTES,
            });
        }
        if body.trim().is_empty() {
            return Err(TemplateError::Empty);
        }
        let body = normalise_text(body);
        let mut segments = Vec::new();
        let mut line_no = 0;
        for (i, line) in body.split('\n').enumerate() {
            if i > 0 {
                push_literal(&mut segments, "\n");
            }
            line_no += 1;
            parse_line(line, line_no, &mut segments)?;
        }
        let template = ParsedTemplate { kind, segments };
        let used = template.placeholders();
        let missing: Vec<Placeholder> = kind
            .required_placeholders()
            .iter()
            .copied()
            .filter(|p| !used.contains(p))
            .collect();
        if missing.is_empty() {
            Ok(template)
        } else {
            Err(TemplateError::MissingRequired { kind, missing })
        }
    }
}

/// Appends literal text, merged with a literal just before it.
fn push_literal(segments: &mut Vec<Segment>, text: &str) {
    if text.is_empty() {
        return;
    }
    if let Some(Segment::Literal(last)) = segments.last_mut() {
        last.push_str(text);
    } else {
        segments.push(Segment::Literal(text.to_owned()));
    }
}

/// One line (no `\n` in it), the `line`-th, 1-based.
fn parse_line(line: &str, line_no: u32, segments: &mut Vec<Segment>) -> Result<(), TemplateError> {
    // A column counts the characters before the byte offset, plus one.
    let column_of = |byte: usize| {
        let chars = line[..byte].chars().count();
        Position {
            line: line_no,
            column: u32::try_from(chars + 1).unwrap_or(u32::MAX),
        }
    };
    let mut rest_start = 0;
    loop {
        let rest = &line[rest_start..];
        let close = rest.find("}}");
        let Some(o) = rest.find("{{") else {
            if let Some(c) = close {
                return Err(TemplateError::StrayClose {
                    at: column_of(rest_start + c),
                });
            }
            push_literal(segments, rest);
            return Ok(());
        };
        if let Some(c) = close.filter(|&c| c < o) {
            return Err(TemplateError::StrayClose {
                at: column_of(rest_start + c),
            });
        }
        push_literal(segments, &rest[..o]);
        let at = column_of(rest_start + o);
        let inner_start = o + 2;
        // A second `{{` before the `}}` means this one was never closed.
        let len = match rest[inner_start..].find("}}") {
            Some(len) if !rest[inner_start..inner_start + len].contains("{{") => len,
            _ => return Err(TemplateError::Unclosed { at }),
        };
        let name = rest[inner_start..inner_start + len].trim_matches([' ', '\t']);
        let Some(p) = Placeholder::parse(name) else {
            let mut shown: String = name.chars().take(MAX_NAME_IN_ERROR).collect();
            if name.chars().count() > MAX_NAME_IN_ERROR {
                shown.push('…');
            }
            return Err(TemplateError::UnknownPlaceholder { name: shown, at });
        };
        segments.push(Segment::Field(p));
        rest_start += inner_start + len + 2;
    }
}
