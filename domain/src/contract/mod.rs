//! Electronic loan contracts (合同), pure part: contract templates with
//! `{{placeholder}}`s that staff edit ([`ContractTemplate::parse`]), the
//! values of one loan that fill them ([`ContractTerms`],
//! [`ParsedTemplate::render`]), amounts in capital numerals
//! ([`amount_in_words`]) and a default text for each kind of contract
//! ([`default_body`]).

mod placeholder;
mod template;
mod templates;
mod terms;
mod words;

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
