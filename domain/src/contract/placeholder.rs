//! The fields a contract template may use ([`Placeholder`]), written
//! `{{name}}` in its body, with the labels the staff template editor shows and
//! the fields each [`ContractKind`] cannot do without.

use super::ContractKind;

crate::coded_enum! {
    /// A value a template can place in its text, written `{{code}}` with the
    /// code of [`Placeholder::as_str`]. Its value comes from
    /// [`super::ContractTerms`]; see [`super::ParsedTemplate::render`] for the
    /// format of each.
    pub enum Placeholder {
        /// 合同编号.
        ContractNo => "contract_no",
        /// 贷款人: the bank (legal entity) that lends.
        BankName => "bank_name",
        /// 经办机构: the branch that handles the loan.
        BranchName => "branch_name",
        BorrowerName => "borrower_name",
        BorrowerIdNumber => "borrower_id_number",
        BorrowerPhone => "borrower_phone",
        BorrowerAddress => "borrower_address",
        /// In figures, "50,000.00".
        Amount => "amount",
        /// In capital numerals, "人民币伍万元整".
        AmountInWords => "amount_in_words",
        /// "5.60%".
        AnnualRate => "annual_rate",
        TermMonths => "term_months",
        /// In words, 等额本息.
        RepaymentMethod => "repayment_method",
        StartDate => "start_date",
        MaturityDate => "maturity_date",
        FirstDueDate => "first_due_date",
        InstalmentCount => "instalment_count",
        /// The amount of the first instalment.
        FirstInstalment => "first_instalment",
        TotalInterest => "total_interest",
        /// A few lines of the repayment schedule.
        ScheduleSummary => "schedule_summary",
        LoanPurpose => "loan_purpose",
        /// In words, 保证.
        GuaranteeType => "guarantee_type",
        GuarantorName => "guarantor_name",
        GuarantorIdNumber => "guarantor_id_number",
        /// 押品: what is mortgaged, as the officer described it.
        CollateralSummary => "collateral_summary",
        /// The day the contract is signed.
        SignedOn => "signed_on",
    }
}

impl Placeholder {
    /// The name in the template editor, in Chinese.
    pub fn label_zh(self) -> &'static str {
        match self {
            Self::ContractNo => "合同编号",
            Self::BankName => "贷款人（银行）名称",
            Self::BranchName => "经办机构",
            Self::BorrowerName => "借款人姓名",
            Self::BorrowerIdNumber => "借款人身份证件号码",
            Self::BorrowerPhone => "借款人联系电话",
            Self::BorrowerAddress => "借款人住所",
            Self::Amount => "借款金额（小写）",
            Self::AmountInWords => "借款金额（大写）",
            Self::AnnualRate => "年利率",
            Self::TermMonths => "借款期限（月）",
            Self::RepaymentMethod => "还款方式",
            Self::StartDate => "借款起始日",
            Self::MaturityDate => "借款到期日",
            Self::FirstDueDate => "首期还款日",
            Self::InstalmentCount => "还款期数",
            Self::FirstInstalment => "首期还款金额",
            Self::TotalInterest => "利息合计",
            Self::ScheduleSummary => "还款计划摘要",
            Self::LoanPurpose => "借款用途",
            Self::GuaranteeType => "担保方式",
            Self::GuarantorName => "保证人姓名",
            Self::GuarantorIdNumber => "保证人身份证件号码",
            Self::CollateralSummary => "押品描述",
            Self::SignedOn => "签约日期",
        }
    }

    /// The name in the template editor, in English.
    pub fn label_en(self) -> &'static str {
        match self {
            Self::ContractNo => "Contract number",
            Self::BankName => "Lender (bank)",
            Self::BranchName => "Handling branch",
            Self::BorrowerName => "Borrower's name",
            Self::BorrowerIdNumber => "Borrower's ID number",
            Self::BorrowerPhone => "Borrower's phone",
            Self::BorrowerAddress => "Borrower's address",
            Self::Amount => "Amount (figures)",
            Self::AmountInWords => "Amount (capital numerals)",
            Self::AnnualRate => "Annual rate",
            Self::TermMonths => "Term (months)",
            Self::RepaymentMethod => "Repayment method",
            Self::StartDate => "Start date",
            Self::MaturityDate => "Maturity date",
            Self::FirstDueDate => "First due date",
            Self::InstalmentCount => "Number of instalments",
            Self::FirstInstalment => "First instalment",
            Self::TotalInterest => "Total interest",
            Self::ScheduleSummary => "Schedule summary",
            Self::LoanPurpose => "Loan purpose",
            Self::GuaranteeType => "Guarantee type",
            Self::GuarantorName => "Guarantor's name",
            Self::GuarantorIdNumber => "Guarantor's ID number",
            Self::CollateralSummary => "Collateral",
            Self::SignedOn => "Signing date",
        }
    }
}

impl ContractKind {
    /// The placeholders a template of this kind must use at least once: the
    /// terms without which the contract would not say who owes what.
    pub fn required_placeholders(self) -> &'static [Placeholder] {
        use Placeholder as P;
        match self {
            ContractKind::Loan => &[
                P::BorrowerName,
                P::BorrowerIdNumber,
                P::Amount,
                P::AmountInWords,
                P::AnnualRate,
                P::TermMonths,
                P::RepaymentMethod,
                P::StartDate,
                P::MaturityDate,
            ],
            ContractKind::Guarantee => &[
                P::GuarantorName,
                P::GuarantorIdNumber,
                P::BorrowerName,
                P::Amount,
                P::ContractNo,
            ],
            ContractKind::Mortgage => &[
                P::BorrowerName,
                P::CollateralSummary,
                P::Amount,
                P::ContractNo,
            ],
        }
    }
}
