//! What is signed: a rendered contract and its signers ([`SignedContent`]),
//! written as one exact byte string ([`canonical_bytes`]) and read back
//! ([`SignedContent::parse_canonical`]).
//!
//! The service hashes these bytes and the bank signs the hash, so the bytes
//! must be the same on every machine and in every later version of this
//! code, and no two different contents may give the same bytes (or one
//! signature would cover both). The form:
//!
//! ```text
//! PUHUI-CONTRACT-1\n
//! contract_no <n>:<n bytes>\n
//! kind <n>:<n bytes>\n
//! template_version <n>:<n bytes>\n
//! text <n>:<n bytes>\n
//! signers <n>:<n bytes>\n
//! and for each signer, in order:
//! role <n>:<n bytes>\n
//! name <n>:<n bytes>\n
//! id_number_masked <n>:<n bytes>\n
//! signed_at_ms <n>:<n bytes>\n
//! ```
//!
//! Every field is its fixed name, a space, its length in bytes in decimal
//! (no leading zeros), a colon, its UTF-8 bytes and a line feed, in a fixed
//! order. Because each value's length is stated, a value may hold any
//! character — a colon, a line feed, something that looks like the next
//! field — and the boundaries between fields never move: "ab" + "c" and
//! "a" + "bc" are different bytes. Numbers are in plain decimal ("-5",
//! never "+5", "05" or "-0"); codes are the stable snake_case codes; the
//! number of signers comes before them. The text's `\r\n` line ends are
//! written as `\n` ([`normalise_text`]: how a browser or an editor ends
//! lines must not change what was signed); nothing else is changed, so the text is signed byte for
//! byte as rendered. The header's "1" is the version of this form: a change
//! to it is a new header, and old contracts keep verifying with the old one.
//!
//! The reader accepts exactly what [`canonical_bytes`] writes and nothing
//! else, so `canonical_bytes(parse(b)) == b` for every accepted `b`.

use std::borrow::Cow;

use serde::{Deserialize, Serialize};
use thiserror::Error;

use super::ContractKind;
use crate::error_code::ErrorCode;

/// The first bytes of every signed contract; the "1" is the form's version.
pub const CANONICAL_HEADER: &str = "PUHUI-CONTRACT-1\n";

crate::coded_enum! {
    /// In what capacity someone signs.
    pub enum SignerRole {
        /// 借款人 (or 抵押人 on a mortgage contract).
        Borrower => "borrower",
        /// 保证人.
        Guarantor => "guarantor",
        /// 贷款人: the bank, by its seal.
        Bank => "bank",
    }
}

/// One signature on a contract.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Signer {
    pub role: SignerRole,
    pub name: String,
    /// Masked as everywhere else (1101**********1234): the full number is
    /// in the text already, and the signer list is shown in lists.
    pub id_number_masked: String,
    /// When they signed, milliseconds since the Unix epoch.
    pub signed_at_ms: i64,
}

/// A contract as signed: the rendered text of one template version and
/// who signed it, in signing order.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct SignedContent {
    pub contract_no: String,
    pub kind: ContractKind,
    pub template_version: i64,
    pub text: String,
    pub signers: Vec<Signer>,
}

/// Why bytes are not a signed contract.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Error, Serialize, Deserialize)]
pub enum CanonicalError {
    #[error("the bytes do not start with {CANONICAL_HEADER:?}")]
    Header,
    /// The field `expected` is missing, or its name, length or end is wrong,
    /// at byte `offset`.
    #[error("byte {offset}: expected the field {expected}")]
    Field {
        expected: &'static str,
        offset: usize,
    },
    #[error("the field {field} is not UTF-8")]
    NotUtf8 { field: &'static str },
    #[error("the field {field} is not a number in plain decimal")]
    Number { field: &'static str },
    #[error("the contract kind is unknown")]
    Kind,
    #[error("a signer's role is unknown")]
    Role,
    /// The text has a `\r\n`, which [`canonical_bytes`] never writes.
    #[error("the text has a CR LF line end")]
    TextNotNormalised,
    #[error("byte {offset}: bytes after the last field")]
    Trailing { offset: usize },
}

impl CanonicalError {
    /// Its [`ErrorCode`]: every problem is the same one to a user, a damaged
    /// or forged contract file.
    pub fn code(&self) -> ErrorCode {
        ErrorCode::ContractContentInvalid
    }
}

/// `text` with its line ends as `\n`: every `\r` directly before a `\n`
/// is dropped, so `\r\n` and the `\r\r\n` some Windows tools write both
/// become `\n`. The result has no `\r\n` left (a single pass of "replace
/// `\r\n`" would turn `\r\r\n` into `\r\n`), so normalising twice
/// changes nothing. A `\r` anywhere else is kept.
pub fn normalise_text(text: &str) -> Cow<'_, str> {
    if !text.contains("\r\n") {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut crs = 0;
    for c in text.chars() {
        match c {
            '\r' => crs += 1,
            '\n' => {
                crs = 0;
                out.push('\n');
            }
            _ => {
                out.extend(std::iter::repeat_n('\r', crs));
                crs = 0;
                out.push(c);
            }
        }
    }
    out.extend(std::iter::repeat_n('\r', crs));
    Cow::Owned(out)
}

/// The exact bytes the bank signs; see the module documentation.
pub fn canonical_bytes(content: &SignedContent) -> Vec<u8> {
    let text = normalise_text(&content.text);
    let mut out = Vec::with_capacity(CANONICAL_HEADER.len() + text.len() + 256);
    out.extend_from_slice(CANONICAL_HEADER.as_bytes());
    let mut field = |name: &str, value: &str| {
        out.extend_from_slice(name.as_bytes());
        out.push(b' ');
        out.extend_from_slice(value.len().to_string().as_bytes());
        out.push(b':');
        out.extend_from_slice(value.as_bytes());
        out.push(b'\n');
    };
    field("contract_no", &content.contract_no);
    field("kind", content.kind.as_str());
    field("template_version", &content.template_version.to_string());
    field("text", &text);
    field("signers", &content.signers.len().to_string());
    for s in &content.signers {
        field("role", s.role.as_str());
        field("name", &s.name);
        field("id_number_masked", &s.id_number_masked);
        field("signed_at_ms", &s.signed_at_ms.to_string());
    }
    out
}

impl SignedContent {
    /// Reads back what [`canonical_bytes`] wrote, for a verifier holding a
    /// contract file; anything else is refused.
    pub fn parse_canonical(bytes: &[u8]) -> Result<SignedContent, CanonicalError> {
        let body = bytes
            .strip_prefix(CANONICAL_HEADER.as_bytes())
            .ok_or(CanonicalError::Header)?;
        let mut r = Reader {
            bytes: body,
            pos: 0,
            base: CANONICAL_HEADER.len(),
        };
        let contract_no = r.text("contract_no")?.to_owned();
        let kind = ContractKind::parse(r.text("kind")?).ok_or(CanonicalError::Kind)?;
        let template_version = r.number("template_version")?;
        let text = r.text("text")?;
        if text.contains("\r\n") {
            return Err(CanonicalError::TextNotNormalised);
        }
        let text = text.to_owned();
        let count = r.number("signers")?;
        if count < 0 {
            return Err(CanonicalError::Number { field: "signers" });
        }
        let mut signers = Vec::new();
        for _ in 0..count {
            signers.push(Signer {
                role: SignerRole::parse(r.text("role")?).ok_or(CanonicalError::Role)?,
                name: r.text("name")?.to_owned(),
                id_number_masked: r.text("id_number_masked")?.to_owned(),
                signed_at_ms: r.number("signed_at_ms")?,
            });
        }
        if r.pos != r.bytes.len() {
            return Err(CanonicalError::Trailing {
                offset: r.base + r.pos,
            });
        }
        Ok(SignedContent {
            contract_no,
            kind,
            template_version,
            text,
            signers,
        })
    }
}

/// A cursor over the fields after the header.
struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
    /// The header's length, so offsets count from the start of the file.
    base: usize,
}

impl<'a> Reader<'a> {
    /// The value of the next field, which must be `name`.
    fn raw(&mut self, name: &'static str) -> Result<&'a [u8], CanonicalError> {
        let start = self.pos;
        let bad = CanonicalError::Field {
            expected: name,
            offset: self.base + start,
        };
        let rest = &self.bytes[start..];
        let rest = rest
            .strip_prefix(name.as_bytes())
            .and_then(|r| r.strip_prefix(b" "))
            .ok_or(bad)?;
        let digits = rest.iter().take_while(|b| b.is_ascii_digit()).count();
        let len_text = &rest[..digits];
        // Plain decimal: at least one digit, no leading zero, and short
        // enough that it cannot overflow.
        if digits == 0 || digits > 12 || (digits > 1 && len_text[0] == b'0') {
            return Err(bad);
        }
        let len = len_text
            .iter()
            .fold(0usize, |acc, d| acc * 10 + usize::from(d - b'0'));
        let rest = rest[digits..].strip_prefix(b":").ok_or(bad)?;
        if rest.len() < len || rest.get(len) != Some(&b'\n') {
            return Err(bad);
        }
        let value = &rest[..len];
        self.pos = start + name.len() + 1 + digits + 1 + len + 1;
        Ok(value)
    }

    fn text(&mut self, name: &'static str) -> Result<&'a str, CanonicalError> {
        std::str::from_utf8(self.raw(name)?).map_err(|_| CanonicalError::NotUtf8 { field: name })
    }

    /// An `i64` written exactly as `i64::to_string` writes it.
    fn number(&mut self, name: &'static str) -> Result<i64, CanonicalError> {
        let s = self.text(name)?;
        match s.parse::<i64>() {
            Ok(v) if v.to_string() == s => Ok(v),
            _ => Err(CanonicalError::Number { field: name }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use rstest::rstest;

    fn signer(role: SignerRole, name: &str, id: &str, at: i64) -> Signer {
        Signer {
            role,
            name: name.into(),
            id_number_masked: id.into(),
            signed_at_ms: at,
        }
    }

    fn sample() -> SignedContent {
        SignedContent {
            contract_no: "HT001".into(),
            kind: ContractKind::Loan,
            template_version: 3,
            text: "借款合同\r\n金额：5元".into(),
            signers: vec![
                signer(
                    SignerRole::Borrower,
                    "张三",
                    "1101**********4514",
                    1_767_600_000_000,
                ),
                signer(SignerRole::Bank, "城关支行", "", -1),
            ],
        }
    }

    fn bytes_of(c: &SignedContent) -> String {
        String::from_utf8(canonical_bytes(c)).unwrap_or_default()
    }

    /// The form is fixed: a change to these bytes breaks every signature
    /// made before it. Change the header's version instead.
    #[test]
    fn writes_the_documented_form() {
        let expected = "PUHUI-CONTRACT-1\n\
            contract_no 5:HT001\n\
            kind 4:loan\n\
            template_version 1:3\n\
            text 26:借款合同\n金额：5元\n\
            signers 1:2\n\
            role 8:borrower\n\
            name 6:张三\n\
            id_number_masked 18:1101**********4514\n\
            signed_at_ms 13:1767600000000\n\
            role 4:bank\n\
            name 12:城关支行\n\
            id_number_masked 0:\n\
            signed_at_ms 2:-1\n";
        assert_eq!(bytes_of(&sample()), expected);
    }

    #[test]
    fn line_ends_are_normalised_and_read_back() {
        let mut lf = sample();
        lf.text = "借款合同\n金额：5元".into();
        assert_eq!(canonical_bytes(&sample()), canonical_bytes(&lf));
        assert_eq!(
            SignedContent::parse_canonical(&canonical_bytes(&sample())),
            Ok(lf)
        );
        // A lone CR is text like any other.
        let mut cr = sample();
        cr.text = "a\rb".into();
        assert_ne!(
            canonical_bytes(&cr),
            canonical_bytes(&SignedContent {
                text: "a\nb".into(),
                ..cr.clone()
            })
        );
    }

    #[rstest]
    #[case("a\r\nb", "a\nb")]
    #[case("a\r\r\nb", "a\nb")]
    #[case("\r\r\r\n\r\n", "\n\n")]
    #[case("a\rb\r", "a\rb\r")]
    #[case("\n\r", "\n\r")]
    #[case("甲\r\n乙", "甲\n乙")]
    fn normalises_line_ends(#[case] text: &str, #[case] expected: &str) {
        assert_eq!(normalise_text(text), expected);
        assert_eq!(
            normalise_text(expected),
            expected,
            "a second pass changes nothing"
        );
    }

    fn with_signers(signers: Vec<Signer>) -> SignedContent {
        SignedContent {
            signers,
            ..sample()
        }
    }

    #[rstest]
    #[case::name_and_id(
        with_signers(vec![signer(SignerRole::Borrower, "ab", "c", 1)]),
        with_signers(vec![signer(SignerRole::Borrower, "a", "bc", 1)]),
    )]
    #[case::empty_name_or_id(
        with_signers(vec![signer(SignerRole::Borrower, "a", "", 1)]),
        with_signers(vec![signer(SignerRole::Borrower, "", "a", 1)]),
    )]
    #[case::version_and_text(
        SignedContent { template_version: 12, text: "3".into(), ..sample() },
        SignedContent { template_version: 1, text: "23".into(), ..sample() },
    )]
    #[case::contract_no_and_kind(
        SignedContent { contract_no: "A\nkind 4:loan".into(), ..sample() },
        SignedContent { contract_no: "A".into(), ..sample() },
    )]
    #[case::across_signers(
        with_signers(vec![signer(SignerRole::Bank, "ab", "", 1), signer(SignerRole::Bank, "c", "", 1)]),
        with_signers(vec![signer(SignerRole::Bank, "a", "", 1), signer(SignerRole::Bank, "bc", "", 1)]),
    )]
    #[case::signer_order(
        with_signers(vec![signer(SignerRole::Bank, "a", "", 1), signer(SignerRole::Borrower, "b", "", 2)]),
        with_signers(vec![signer(SignerRole::Borrower, "b", "", 2), signer(SignerRole::Bank, "a", "", 1)]),
    )]
    fn moving_a_boundary_changes_the_bytes(#[case] a: SignedContent, #[case] b: SignedContent) {
        assert_ne!(canonical_bytes(&a), canonical_bytes(&b));
    }

    /// A text that ends with what the signer fields would look like is still
    /// one text: its length says where it stops.
    #[test]
    fn a_text_cannot_pass_for_signers() {
        let signed = sample();
        let bytes = bytes_of(&signed);
        let tail_start = bytes.find("\nsigners ").unwrap_or_default();
        let forged = SignedContent {
            text: format!("借款合同\n金额：5元{}", &bytes[tail_start..bytes.len() - 1]),
            signers: vec![],
            ..signed.clone()
        };
        assert_ne!(canonical_bytes(&forged), canonical_bytes(&signed));
        let back = SignedContent::parse_canonical(&canonical_bytes(&forged));
        assert_eq!(back.map(|c| c.signers.len()), Ok(0));
    }

    #[rstest]
    #[case::no_header(b"PUHUI-CONTRACT-2\n".to_vec(), CanonicalError::Header)]
    #[case::empty(Vec::new(), CanonicalError::Header)]
    #[case::truncated(b"PUHUI-CONTRACT-1\ncontract_no 5:HT0".to_vec(), CanonicalError::Field { expected: "contract_no", offset: 17 })]
    #[case::leading_zero(b"PUHUI-CONTRACT-1\ncontract_no 05:HT001\n".to_vec(), CanonicalError::Field { expected: "contract_no", offset: 17 })]
    #[case::no_newline(b"PUHUI-CONTRACT-1\ncontract_no 2:HT001\n".to_vec(), CanonicalError::Field { expected: "contract_no", offset: 17 })]
    #[case::wrong_field(b"PUHUI-CONTRACT-1\ncontract_no 0:\nkinds 4:loan\n".to_vec(), CanonicalError::Field { expected: "kind", offset: 32 })]
    #[case::unknown_kind(b"PUHUI-CONTRACT-1\ncontract_no 0:\nkind 4:Loan\n".to_vec(), CanonicalError::Kind)]
    #[case::plus_sign(b"PUHUI-CONTRACT-1\ncontract_no 0:\nkind 4:loan\ntemplate_version 2:+3\n".to_vec(), CanonicalError::Number { field: "template_version" })]
    #[case::minus_zero(b"PUHUI-CONTRACT-1\ncontract_no 0:\nkind 4:loan\ntemplate_version 2:-0\n".to_vec(), CanonicalError::Number { field: "template_version" })]
    #[case::zero_padded(b"PUHUI-CONTRACT-1\ncontract_no 0:\nkind 4:loan\ntemplate_version 2:03\n".to_vec(), CanonicalError::Number { field: "template_version" })]
    #[case::crlf(b"PUHUI-CONTRACT-1\ncontract_no 0:\nkind 4:loan\ntemplate_version 1:1\ntext 2:\r\n\n".to_vec(), CanonicalError::TextNotNormalised)]
    #[case::not_utf8(b"PUHUI-CONTRACT-1\ncontract_no 1:\xff\n".to_vec(), CanonicalError::NotUtf8 { field: "contract_no" })]
    #[case::negative_count(b"PUHUI-CONTRACT-1\ncontract_no 0:\nkind 4:loan\ntemplate_version 1:1\ntext 0:\nsigners 2:-1\n".to_vec(), CanonicalError::Number { field: "signers" })]
    #[case::missing_signer(b"PUHUI-CONTRACT-1\ncontract_no 0:\nkind 4:loan\ntemplate_version 1:1\ntext 0:\nsigners 1:1\n".to_vec(), CanonicalError::Field { expected: "role", offset: 85 })]
    #[case::unknown_role(b"PUHUI-CONTRACT-1\ncontract_no 0:\nkind 4:loan\ntemplate_version 1:1\ntext 0:\nsigners 1:1\nrole 5:judge\n".to_vec(), CanonicalError::Role)]
    #[case::trailing(b"PUHUI-CONTRACT-1\ncontract_no 0:\nkind 4:loan\ntemplate_version 1:1\ntext 0:\nsigners 1:0\n\n".to_vec(), CanonicalError::Trailing { offset: 85 })]
    #[case::huge_length(b"PUHUI-CONTRACT-1\ncontract_no 99999999999999999999:x\n".to_vec(), CanonicalError::Field { expected: "contract_no", offset: 17 })]
    fn refuses_what_it_never_writes(#[case] bytes: Vec<u8>, #[case] err: CanonicalError) {
        assert_eq!(SignedContent::parse_canonical(&bytes), Err(err));
        assert_eq!(err.code(), ErrorCode::ContractContentInvalid);
    }

    #[test]
    fn reads_the_smallest_contract() {
        let bytes = b"PUHUI-CONTRACT-1\ncontract_no 0:\nkind 9:guarantee\ntemplate_version 1:0\ntext 0:\nsigners 1:0\n";
        let c = SignedContent::parse_canonical(bytes);
        assert_eq!(
            c,
            Ok(SignedContent {
                contract_no: String::new(),
                kind: ContractKind::Guarantee,
                template_version: 0,
                text: String::new(),
                signers: vec![],
            })
        );
    }

    /// Strings that make framing hard: separators, line ends, look-alike
    /// field names, CJK.
    fn tricky() -> impl Strategy<Value = String> {
        prop_oneof![
            "[a:\r\n 0-9张]{0,8}",
            Just("text 3:abc\n".to_owned()),
            ".{0,12}",
        ]
    }

    fn any_signer() -> impl Strategy<Value = Signer> {
        (
            prop::sample::select(SignerRole::ALL),
            tricky(),
            tricky(),
            any::<i64>(),
        )
            .prop_map(|(role, name, id, at)| signer(role, &name, &id, at))
    }

    fn any_content() -> impl Strategy<Value = SignedContent> {
        (
            tricky(),
            prop::sample::select(ContractKind::ALL),
            any::<i64>(),
            tricky(),
            prop::collection::vec(any_signer(), 0..4),
        )
            .prop_map(|(contract_no, kind, template_version, text, signers)| {
                SignedContent {
                    contract_no,
                    kind,
                    template_version,
                    text,
                    signers,
                }
            })
    }

    fn normalised(c: &SignedContent) -> SignedContent {
        SignedContent {
            text: normalise_text(&c.text).into_owned(),
            ..c.clone()
        }
    }

    /// A content that differs from `c` in exactly one field (`which`).
    fn change_one_field(c: &SignedContent, which: usize) -> SignedContent {
        let mut d = c.clone();
        let n = d.signers.len();
        match (which % 9, n) {
            (0, _) => d.contract_no.push('x'),
            (1, _) => {
                let i = ContractKind::ALL
                    .iter()
                    .position(|&k| k == d.kind)
                    .unwrap_or(0);
                d.kind = ContractKind::ALL[(i + 1) % ContractKind::ALL.len()];
            }
            (2, _) => d.template_version = d.template_version.wrapping_add(1),
            (3, _) => d.text.push('x'),
            (4, 0) | (5, 0) | (6, 0) | (7, 0) => {
                d.signers.push(signer(SignerRole::Bank, "", "", 0))
            }
            (4, n) => {
                let s = &mut d.signers[which % n];
                let i = SignerRole::ALL
                    .iter()
                    .position(|&r| r == s.role)
                    .unwrap_or(0);
                s.role = SignerRole::ALL[(i + 1) % SignerRole::ALL.len()];
            }
            (5, n) => d.signers[which % n].name.push('x'),
            (6, n) => d.signers[which % n].id_number_masked.push('x'),
            (7, n) => {
                let s = &mut d.signers[which % n];
                s.signed_at_ms = s.signed_at_ms.wrapping_add(1);
            }
            (_, 0) => d.signers.push(signer(SignerRole::Borrower, "", "", 0)),
            (_, _) => {
                d.signers.pop();
            }
        }
        d
    }

    proptest! {
        #[test]
        fn reads_back_what_it_writes(c in any_content()) {
            let bytes = canonical_bytes(&c);
            let back = SignedContent::parse_canonical(&bytes);
            prop_assert_eq!(back.as_ref(), Ok(&normalised(&c)));
            prop_assert_eq!(canonical_bytes(&normalised(&c)), bytes);
        }

        #[test]
        fn changing_one_character_of_the_text_changes_the_bytes(
            c in any_content(),
            text in "[a\r\n张:]{1,12}",
            index in any::<prop::sample::Index>(),
            replacement in any::<prop::sample::Index>(),
        ) {
            const ALPHABET: [char; 7] = ['a', 'b', '\r', '\n', '张', ':', ' '];
            let chars: Vec<char> = text.chars().collect();
            let i = index.index(chars.len());
            // Any character of the alphabet but the one already there.
            let others: Vec<char> = ALPHABET.into_iter().filter(|&c| c != chars[i]).collect();
            let replacement = others[replacement.index(others.len())];
            let mut changed = chars.clone();
            changed[i] = replacement;
            let a = SignedContent { text, ..c.clone() };
            let b = SignedContent { text: changed.into_iter().collect(), ..c };
            prop_assert_ne!(canonical_bytes(&a), canonical_bytes(&b));
        }

        #[test]
        fn changing_any_field_changes_the_bytes(c in any_content(), which in 0usize..64) {
            let d = change_one_field(&c, which);
            prop_assert_ne!(canonical_bytes(&c), canonical_bytes(&d));
        }

        #[test]
        fn other_bytes_are_refused_or_read_exactly(c in any_content(), cut in any::<prop::sample::Index>(), junk in any::<u8>()) {
            let bytes = canonical_bytes(&c);
            // A byte changed, dropped or added: refused, or read as content
            // whose canonical bytes are exactly the bytes given.
            let i = cut.index(bytes.len());
            let mut variants = vec![bytes[..i].to_vec()];
            let mut changed = bytes.clone();
            changed[i] = junk;
            variants.push(changed);
            let mut longer = bytes.clone();
            longer.insert(i, junk);
            variants.push(longer);
            for v in variants {
                if let Ok(read) = SignedContent::parse_canonical(&v) {
                    prop_assert_eq!(canonical_bytes(&read), v);
                }
            }
        }
    }
}
