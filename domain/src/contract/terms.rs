//! The values of one contract ([`ContractTerms`]) and how each is written
//! into the text ([`ParsedTemplate::render`]).

use serde::{Deserialize, Serialize};

use super::template::{ParsedTemplate, Segment};
use super::{amount_in_words, Placeholder};
use crate::date::Date;
use crate::money::Fen;
use crate::product::GuaranteeType;
use crate::rate::bp_percent_string;
use crate::schedule::{totals, Instalment, RepaymentMethod};

/// What a placeholder with no value renders as. Chinese bank practice strikes
/// through a blank in a contract (空白处划线) so nothing can be written in
/// after signing; "——" is that stroke in text.
pub const ABSENT: &str = "——";

/// A schedule longer than this many lines is summarised as its first three
/// lines, "……" and its last.
const SUMMARY_FULL_UP_TO: usize = 4;

/// A guarantor (保证人) who answers for the loan.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Guarantor {
    pub name: String,
    pub id_number: String,
}

/// The typed values of one contract, filled into a [`ParsedTemplate`].
///
/// Names, numbers and addresses are kept as the service holds them; money
/// is in fen, the rate in basis points (560 = 5.60 %). A guarantee or a
/// mortgage contract uses the same terms as the loan it secures:
/// `contract_no` is then the loan contract's number (主合同编号).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContractTerms {
    pub contract_no: String,
    pub bank_name: String,
    pub branch_name: String,
    pub borrower_name: String,
    pub borrower_id_number: String,
    pub borrower_phone: String,
    pub borrower_address: String,
    pub amount: Fen,
    pub annual_rate_bp: u32,
    pub term_months: u32,
    pub repayment_method: RepaymentMethod,
    pub start_date: Date,
    pub maturity_date: Date,
    /// Empty for a revolving line, which has no fixed schedule.
    pub schedule: Vec<Instalment>,
    pub loan_purpose: String,
    pub guarantee_type: GuaranteeType,
    pub guarantor: Option<Guarantor>,
    /// 押品: what is mortgaged or pledged, as the officer described it.
    pub collateral_summary: Option<String>,
    /// `None` until the contract is signed (a preview).
    pub signed_on: Option<Date>,
}

impl ParsedTemplate {
    /// The contract text: the template with each placeholder replaced by its
    /// value from `terms`. Deterministic (the same template and terms give
    /// the same text, byte for byte), and a value is never read again as
    /// template syntax, so a name containing `{{` is printed as it is.
    ///
    /// Formats: money as `Fen` groups it, "50,000.00" (no currency sign: the
    /// template says 人民币 or 元); the amount in words by
    /// [`amount_in_words`]; the rate as "5.60%"; dates as "2026年12月06日";
    /// the repayment method and guarantee type in Chinese words; counts as
    /// plain numbers; the schedule summary as in [`schedule_summary`].
    ///
    /// A value that is absent — no guarantor, no collateral, not yet signed,
    /// no schedule (a revolving line), a blank text field, a negative amount
    /// in words — renders as [`ABSENT`] ("——"), never as an empty gap.
    pub fn render(&self, terms: &ContractTerms) -> String {
        let mut out = String::new();
        for segment in self.segments() {
            match segment {
                Segment::Literal(text) => out.push_str(text),
                Segment::Field(p) => out.push_str(&value(*p, terms)),
            }
        }
        out
    }
}

/// One placeholder's text.
fn value(p: Placeholder, t: &ContractTerms) -> String {
    use Placeholder as P;
    let text = |s: &str| {
        if s.trim().is_empty() {
            ABSENT.to_owned()
        } else {
            s.to_owned()
        }
    };
    let first = t.schedule.first();
    let or_absent = |v: Option<String>| v.unwrap_or_else(|| ABSENT.to_owned());
    match p {
        P::ContractNo => text(&t.contract_no),
        P::BankName => text(&t.bank_name),
        P::BranchName => text(&t.branch_name),
        P::BorrowerName => text(&t.borrower_name),
        P::BorrowerIdNumber => text(&t.borrower_id_number),
        P::BorrowerPhone => text(&t.borrower_phone),
        P::BorrowerAddress => text(&t.borrower_address),
        P::Amount => t.amount.to_grouped_string(),
        P::AmountInWords => or_absent(amount_in_words(t.amount)),
        P::AnnualRate => format!("{}%", bp_percent_string(t.annual_rate_bp)),
        P::TermMonths => t.term_months.to_string(),
        P::RepaymentMethod => repayment_method_zh(t.repayment_method).to_owned(),
        P::StartDate => date_zh(t.start_date),
        P::MaturityDate => date_zh(t.maturity_date),
        P::FirstDueDate => or_absent(first.map(|i| date_zh(i.due_date))),
        P::InstalmentCount => {
            or_absent((!t.schedule.is_empty()).then(|| t.schedule.len().to_string()))
        }
        P::FirstInstalment => or_absent(first.map(|i| i.payment.to_grouped_string())),
        P::TotalInterest => or_absent(
            (!t.schedule.is_empty()).then(|| totals(&t.schedule).interest.to_grouped_string()),
        ),
        P::ScheduleSummary => or_absent(schedule_summary(&t.schedule)),
        P::LoanPurpose => text(&t.loan_purpose),
        P::GuaranteeType => t.guarantee_type.label_zh().to_owned(),
        P::GuarantorName => or_absent(t.guarantor.as_ref().map(|g| text(&g.name))),
        P::GuarantorIdNumber => or_absent(t.guarantor.as_ref().map(|g| text(&g.id_number))),
        P::CollateralSummary => or_absent(t.collateral_summary.as_deref().map(text)),
        P::SignedOn => or_absent(t.signed_on.map(date_zh)),
    }
}

/// "2026年12月06日": the way a date is written in a Chinese contract, with
/// the month and day on two digits so the text cannot be extended.
pub fn date_zh(d: Date) -> String {
    format!("{:04}年{:02}月{:02}日", d.year(), d.month(), d.day())
}

/// The method in the words of the glossary: 等额本息, 等额本金, 先息后本,
/// 到期一次还本付息, 随借随还.
pub fn repayment_method_zh(m: RepaymentMethod) -> &'static str {
    match m {
        RepaymentMethod::EqualInstalment => "等额本息",
        RepaymentMethod::EqualPrincipal => "等额本金",
        RepaymentMethod::InterestOnly => "先息后本",
        RepaymentMethod::Bullet => "到期一次还本付息",
        RepaymentMethod::Revolving => "随借随还",
    }
}

/// A few lines of the schedule for the contract text, `None` when there is
/// none: a header, then one line per instalment with `|` between period,
/// due date, principal, interest and payment (yuan). Up to four instalments
/// are all listed; a longer schedule shows the first three, "……" and the
/// last, and the full schedule is given to the borrower apart.
///
/// ```text
/// 期次 | 还款日 | 应还本金(元) | 应还利息(元) | 应还合计(元)
/// 1 | 2026年01月06日 | 4,084.72 | 233.33 | 4,318.05
/// ……
/// ```
pub fn schedule_summary(schedule: &[Instalment]) -> Option<String> {
    if schedule.is_empty() {
        return None;
    }
    let line = |i: &Instalment| {
        format!(
            "{} | {} | {} | {} | {}",
            i.n,
            date_zh(i.due_date),
            i.principal.to_grouped_string(),
            i.interest.to_grouped_string(),
            i.payment.to_grouped_string()
        )
    };
    let mut lines = vec!["期次 | 还款日 | 应还本金(元) | 应还利息(元) | 应还合计(元)".to_owned()];
    if schedule.len() <= SUMMARY_FULL_UP_TO {
        lines.extend(schedule.iter().map(line));
    } else {
        lines.extend(schedule[..3].iter().map(line));
        lines.push("……".to_owned());
        lines.extend(schedule.last().map(line));
    }
    Some(lines.join("\n"))
}
