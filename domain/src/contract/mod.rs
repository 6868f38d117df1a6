//! Electronic loan contracts (合同), pure part: contract templates with
//! `{{placeholder}}`s that staff edit ([`ContractTemplate::parse`]), the
//! values of one loan that fill them ([`ContractTerms`],
//! [`ParsedTemplate::render`]), amounts in capital numerals
//! ([`amount_in_words`]), a default text for each kind of contract
//! ([`default_body`]), and the exact bytes that are signed
//! ([`canonical_bytes`]).
//!
//! The order of signing (签约) is: the service resolves a template version
//! and the loan's terms, renders the text, shows it to the signers, and
//! when they have signed builds a [`SignedContent`]; it hashes
//! [`canonical_bytes`] of that and the bank signs the hash. Hashing, signing
//! and storage happen in the service crate; this module only decides the
//! text and the bytes, deterministically, so that a verifier holding the
//! file can read it back ([`SignedContent::parse_canonical`]) and check the
//! signature against the same bytes.

mod canonical;
mod placeholder;
mod template;
mod templates;
mod terms;
mod words;

pub use canonical::{
    canonical_bytes, normalise_text, CanonicalError, SignedContent, Signer, SignerRole,
    CANONICAL_HEADER,
};
pub use placeholder::Placeholder;
pub use template::{
    ContractTemplate, ParsedTemplate, Position, Segment, TemplateError, MAX_TEMPLATE_BYTES,
};
pub use templates::default_body;
pub use terms::{date_zh, repayment_method_zh, schedule_summary, ContractTerms, Guarantor, ABSENT};
pub use words::amount_in_words;

crate::coded_enum! {
    /// What a contract is for. A secured loan has a loan contract and, as
    /// its accessory contracts (从合同), a guarantee or a mortgage contract.
    pub enum ContractKind {
        /// 借款合同: between the bank and the borrower.
        Loan => "loan",
        /// 保证合同: a guarantor (保证人) answers for the borrower's debt.
        Guarantee => "guarantee",
        /// 抵押合同: property (押品) secures the debt.
        Mortgage => "mortgage",
    }
}

impl ContractKind {
    /// The contract's title, as printed at its head: 借款合同, 保证合同, 抵押合同.
    pub fn label_zh(self) -> &'static str {
        match self {
            ContractKind::Loan => "借款合同",
            ContractKind::Guarantee => "保证合同",
            ContractKind::Mortgage => "抵押合同",
        }
    }

    /// What an accessory contract's number adds to its loan contract's:
    /// BZ (保证), DY (抵押); the loan contract's own is empty.
    pub fn number_suffix(self) -> &'static str {
        match self {
            ContractKind::Loan => "",
            ContractKind::Guarantee => "BZ",
            ContractKind::Mortgage => "DY",
        }
    }

    pub fn label_en(self) -> &'static str {
        match self {
            ContractKind::Loan => "Loan contract",
            ContractKind::Guarantee => "Guarantee contract",
            ContractKind::Mortgage => "Mortgage contract",
        }
    }
}

#[cfg(test)]
mod tests;
