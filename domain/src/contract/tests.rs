//! Tests of templates: parsing and its refusals, rendering, and the default
//! bodies. The capital numerals and the signed bytes are tested beside their
//! code.

use super::*;
use crate::date::Date;
use crate::money::Fen;
use crate::product::GuaranteeType;
use crate::rate::AnnualRate;
use crate::schedule::{build_schedule, RepaymentMethod};
use proptest::prelude::*;
use rstest::rstest;

fn date(s: &str) -> Date {
    Date::parse(s).expect("a test date")
}

fn at(line: u32, column: u32) -> Position {
    Position { line, column }
}

/// 50,000 yuan at 5.60 % over 12 months, equal instalments, from 2026-01-06,
/// with a guarantor and signed on the day before.
fn terms() -> ContractTerms {
    let start = date("2026-01-06");
    let rate = AnnualRate::from_bp(560).expect("a rate");
    let schedule = build_schedule(
        RepaymentMethod::EqualInstalment,
        Fen::from_yuan(50_000),
        rate,
        12,
        start,
    )
    .expect("a schedule");
    ContractTerms {
        contract_no: "HT2026010600017".into(),
        bank_name: "某某农村商业银行股份有限公司".into(),
        branch_name: "城关支行".into(),
        borrower_name: "张三".into(),
        borrower_id_number: "110101199003074514".into(),
        borrower_phone: "13800138000".into(),
        borrower_address: "某某县城关镇幸福村3组".into(),
        amount: Fen::from_yuan(50_000),
        annual_rate_bp: 560,
        term_months: 12,
        repayment_method: RepaymentMethod::EqualInstalment,
        start_date: start,
        maturity_date: start.add_months(12),
        schedule,
        loan_purpose: "购买化肥、种子".into(),
        guarantee_type: GuaranteeType::Guarantor,
        guarantor: Some(Guarantor {
            name: "李四".into(),
            id_number: "110101198505063217".into(),
        }),
        collateral_summary: None,
        signed_on: Some(date("2026-01-05")),
    }
}

/// A body with every placeholder once, each on its own line as `code=value`.
fn every_placeholder() -> String {
    Placeholder::ALL
        .iter()
        .map(|p| format!("{}={{{{{}}}}}", p.as_str(), p.as_str()))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The value rendered for `p` by [`every_placeholder`]'s body: from after
/// `code=` to the next line that starts with a code and `=`.
fn rendered_value(text: &str, p: Placeholder) -> String {
    let text = format!("\n{text}");
    let prefix = format!("\n{}=", p.as_str());
    let start = text.find(&prefix).expect("the placeholder's line") + prefix.len();
    let next = Placeholder::ALL
        .iter()
        .filter_map(|q| {
            let line = format!("\n{}=", q.as_str());
            text[start..].find(&line).map(|i| start + i)
        })
        .min()
        .unwrap_or(text.len());
    text[start..next].to_owned()
}

#[test]
fn codes_and_labels() {
    assert_eq!(
        ContractKind::parse("mortgage"),
        Some(ContractKind::Mortgage)
    );
    assert_eq!(ContractKind::Guarantee.as_str(), "guarantee");
    assert_eq!(ContractKind::Loan.label_zh(), "借款合同");
    assert_eq!(Placeholder::ALL.len(), 25);
    assert_eq!(
        Placeholder::parse("amount_in_words"),
        Some(Placeholder::AmountInWords)
    );
    for &p in Placeholder::ALL {
        assert_eq!(Placeholder::parse(p.as_str()), Some(p));
        assert!(
            !p.label_zh().is_empty() && !p.label_en().is_empty(),
            "{p:?}"
        );
    }
    let mut zh: Vec<&str> = Placeholder::ALL.iter().map(|p| p.label_zh()).collect();
    zh.sort_unstable();
    zh.dedup();
    assert_eq!(
        zh.len(),
        Placeholder::ALL.len(),
        "two placeholders share a label"
    );
}

#[rstest]
#[case::loan(ContractKind::Loan)]
#[case::guarantee(ContractKind::Guarantee)]
#[case::mortgage(ContractKind::Mortgage)]
fn default_body_parses_as_its_kind_and_renders(#[case] kind: ContractKind) {
    let template = ContractTemplate::parse(kind, default_body(kind)).expect("the default parses");
    assert_eq!(template.kind(), kind);
    let text = template.render(&terms());
    assert!(!text.contains("{{") && !text.contains("}}"), "{text}");
    assert!(
        text.contains("人民币伍万元整（小写：人民币50,000.00元）"),
        "{text}"
    );
    assert!(text.contains("HT2026010600017"));
    assert!(text.contains("签订日期：2026年01月05日"));
    assert_eq!(text, template.render(&terms()), "the same text twice");
}

#[test]
fn default_loan_body_shows_every_placeholder() {
    let template = ContractTemplate::parse(ContractKind::Loan, default_body(ContractKind::Loan))
        .expect("the default parses");
    let mut used = template.placeholders();
    used.sort_by_key(|p| p.as_str());
    let mut all = Placeholder::ALL.to_vec();
    all.sort_by_key(|p| p.as_str());
    assert_eq!(used, all);
    let text = template.render(&terms());
    for line in [
        "借款期限为12个月，自2026年01月06日起至2027年01月06日止。",
        "本合同项下借款年利率为5.60%（单利）",
        "还款方式为：等额本息。借款分12期归还，首期还款日为2026年02月06日",
        "担保方式为：保证。",
        "保证人：李四，身份证件号码：110101198505063217。",
        "抵押物（押品）：——。",
        "期次 | 还款日 | 应还本金(元) | 应还利息(元) | 应还合计(元)\n1 | 2026年02月06日 |",
        "\n……\n12 | 2027年01月06日 |",
    ] {
        assert!(text.contains(line), "missing {line:?} in\n{text}");
    }
}

#[test]
fn only_the_loan_text_serves_every_kind() {
    // The loan text uses every placeholder; the guarantee and mortgage texts
    // do not state the term in months or the repayment method.
    for &kind in ContractKind::ALL {
        assert!(ContractTemplate::parse(kind, default_body(ContractKind::Loan)).is_ok());
    }
    for body_of in [ContractKind::Guarantee, ContractKind::Mortgage] {
        let err = ContractTemplate::parse(ContractKind::Loan, default_body(body_of));
        assert!(
            matches!(err, Err(TemplateError::MissingRequired { .. })),
            "{err:?}"
        );
    }
}

#[test]
fn splits_text_and_placeholders() {
    let body = "甲方：{{bank_name}}\r\n乙方：{{ borrower_name }}，{{\tamount\t}}元 {a} { }";
    let t = ContractTemplate::parse(
        ContractKind::Guarantee,
        &format!("{body}{{{{guarantor_name}}}}{{{{guarantor_id_number}}}}{{{{contract_no}}}}"),
    )
    .expect("parses");
    assert_eq!(
        &t.segments()[..6],
        &[
            Segment::Literal("甲方：".into()),
            Segment::Field(Placeholder::BankName),
            Segment::Literal("\n乙方：".into()),
            Segment::Field(Placeholder::BorrowerName),
            Segment::Literal("，".into()),
            Segment::Field(Placeholder::Amount),
        ]
    );
    assert_eq!(t.segments()[6], Segment::Literal("元 {a} { }".into()));
    assert_eq!(
        t.placeholders(),
        vec![
            Placeholder::BankName,
            Placeholder::BorrowerName,
            Placeholder::Amount,
            Placeholder::GuarantorName,
            Placeholder::GuarantorIdNumber,
            Placeholder::ContractNo,
        ]
    );
}

/// Guarantee bodies: the fewest required placeholders that are not at issue.
const GUARANTEE_FIELDS: &str =
    "{{guarantor_name}}{{guarantor_id_number}}{{borrower_name}}{{amount}}{{contract_no}}";

#[rstest]
#[case::empty("", TemplateError::Empty)]
#[case::blank(" \n\t\r\n　", TemplateError::Empty)]
#[case::unknown("甲方：{{bank}}", TemplateError::UnknownPlaceholder { name: "bank".into(), at: at(1, 4) })]
#[case::unknown_trimmed("x\n  {{ Amount }}", TemplateError::UnknownPlaceholder { name: "Amount".into(), at: at(2, 3) })]
#[case::empty_name("{{}}", TemplateError::UnknownPlaceholder { name: String::new(), at: at(1, 1) })]
#[case::columns_count_characters("借款人：{{nme}}", TemplateError::UnknownPlaceholder { name: "nme".into(), at: at(1, 5) })]
#[case::crlf_is_one_line_end("a\r\nb\r\n{{x}}", TemplateError::UnknownPlaceholder { name: "x".into(), at: at(3, 1) })]
#[case::unclosed("ab\n  {{amount", TemplateError::Unclosed { at: at(2, 3) })]
#[case::unclosed_single_brace("{{amount}", TemplateError::Unclosed { at: at(1, 1) })]
#[case::not_closed_on_its_line("{{amount\n}}", TemplateError::Unclosed { at: at(1, 1) })]
#[case::opened_twice("{{ a {{amount}}", TemplateError::Unclosed { at: at(1, 1) })]
#[case::stray("借款 }} 元", TemplateError::StrayClose { at: at(1, 4) })]
#[case::stray_after_placeholder("{{amount}}}}", TemplateError::StrayClose { at: at(1, 11) })]
#[case::stray_before_open("}}{{amount}}", TemplateError::StrayClose { at: at(1, 1) })]
#[case::first_problem_wins("{{x}} }}\n{{", TemplateError::UnknownPlaceholder { name: "x".into(), at: at(1, 1) })]
#[case::syntax_before_missing("{{amount}} }}", TemplateError::StrayClose { at: at(1, 12) })]
fn refuses_bad_bodies(#[case] body: &str, #[case] expected: TemplateError) {
    let full = format!("{body}\n{GUARANTEE_FIELDS}");
    let body = if matches!(expected, TemplateError::Empty) {
        body
    } else {
        full.as_str()
    };
    assert_eq!(
        ContractTemplate::parse(ContractKind::Guarantee, body),
        Err(expected)
    );
}

#[test]
fn names_a_long_unknown_placeholder_in_32_characters() {
    let name = "x".repeat(40);
    let err = ContractTemplate::parse(ContractKind::Loan, &format!("{{{{{name}}}}}"));
    assert_eq!(
        err,
        Err(TemplateError::UnknownPlaceholder {
            name: format!("{}…", "x".repeat(32)),
            at: at(1, 1)
        })
    );
}

#[rstest]
#[case::loan(ContractKind::Loan, "{{borrower_name}} {{amount}} {{start_date}}", vec![
    Placeholder::BorrowerIdNumber,
    Placeholder::AmountInWords,
    Placeholder::AnnualRate,
    Placeholder::TermMonths,
    Placeholder::RepaymentMethod,
    Placeholder::MaturityDate,
])]
#[case::guarantee(ContractKind::Guarantee, "{{borrower_name}}{{guarantor_name}}", vec![
    Placeholder::GuarantorIdNumber,
    Placeholder::Amount,
    Placeholder::ContractNo,
])]
#[case::mortgage(ContractKind::Mortgage, "抵押合同", vec![
    Placeholder::BorrowerName,
    Placeholder::CollateralSummary,
    Placeholder::Amount,
    Placeholder::ContractNo,
])]
fn refuses_a_body_missing_what_its_kind_requires(
    #[case] kind: ContractKind,
    #[case] body: &str,
    #[case] missing: Vec<Placeholder>,
) {
    assert_eq!(
        ContractTemplate::parse(kind, body),
        Err(TemplateError::MissingRequired { kind, missing })
    );
}

#[test]
fn size_is_checked_before_anything_else() {
    let fields = "{{borrower_name}}{{collateral_summary}}{{amount}}{{contract_no}}";
    let fits = format!("{fields}{}", "x".repeat(MAX_TEMPLATE_BYTES - fields.len()));
    assert!(ContractTemplate::parse(ContractKind::Mortgage, &fits).is_ok());
    let over = format!("{fits}x");
    assert_eq!(
        ContractTemplate::parse(ContractKind::Mortgage, &over),
        Err(TemplateError::TooLarge {
            bytes: MAX_TEMPLATE_BYTES + 1,
            max: MAX_TEMPLATE_BYTES
        })
    );
    // A blank body over the cap is too large, not empty: nothing is read.
    let blank = " ".repeat(MAX_TEMPLATE_BYTES + 1);
    assert!(matches!(
        ContractTemplate::parse(ContractKind::Loan, &blank),
        Err(TemplateError::TooLarge { .. })
    ));
}

#[test]
fn error_codes_and_message_values() {
    use crate::error_code::ErrorCode as E;
    let unknown = TemplateError::UnknownPlaceholder {
        name: "bank".into(),
        at: at(3, 7),
    };
    let missing = TemplateError::MissingRequired {
        kind: ContractKind::Mortgage,
        missing: vec![Placeholder::CollateralSummary, Placeholder::ContractNo],
    };
    let too_large = TemplateError::TooLarge {
        bytes: 70_000,
        max: MAX_TEMPLATE_BYTES,
    };
    let cases = [
        (TemplateError::Empty, E::ContractTemplateEmpty, vec![]),
        (
            too_large,
            E::ContractTemplateTooLarge,
            vec![("max_kb", "64")],
        ),
        (
            unknown.clone(),
            E::ContractTemplateUnknownPlaceholder,
            vec![("line", "3"), ("column", "7"), ("name", "bank")],
        ),
        (
            TemplateError::Unclosed { at: at(1, 2) },
            E::ContractTemplateUnclosed,
            vec![("line", "1"), ("column", "2")],
        ),
        (
            TemplateError::StrayClose { at: at(4, 1) },
            E::ContractTemplateStrayClose,
            vec![("line", "4"), ("column", "1")],
        ),
        (
            missing,
            E::ContractTemplateMissingPlaceholder,
            vec![("names", "{{collateral_summary}}, {{contract_no}}")],
        ),
    ];
    for (err, code, params) in cases {
        assert_eq!(err.code(), code);
        let got: Vec<(&str, String)> = err.params();
        let want: Vec<(&str, String)> = params.into_iter().map(|(k, v)| (k, v.into())).collect();
        assert_eq!(got, want, "{err:?}");
    }
    assert_eq!(
        unknown.to_string(),
        r#"line 3, column 7: there is no placeholder "bank""#
    );
}

#[test]
fn renders_each_placeholder() {
    let t = ContractTemplate::parse(ContractKind::Loan, &every_placeholder()).expect("parses");
    let text = t.render(&terms());
    use Placeholder as P;
    let expected = [
        (P::ContractNo, "HT2026010600017"),
        (P::BankName, "某某农村商业银行股份有限公司"),
        (P::BranchName, "城关支行"),
        (P::BorrowerName, "张三"),
        (P::BorrowerIdNumber, "110101199003074514"),
        (P::BorrowerPhone, "13800138000"),
        (P::BorrowerAddress, "某某县城关镇幸福村3组"),
        (P::Amount, "50,000.00"),
        (P::AmountInWords, "人民币伍万元整"),
        (P::AnnualRate, "5.60%"),
        (P::TermMonths, "12"),
        (P::RepaymentMethod, "等额本息"),
        (P::StartDate, "2026年01月06日"),
        (P::MaturityDate, "2027年01月06日"),
        (P::FirstDueDate, "2026年02月06日"),
        (P::InstalmentCount, "12"),
        // 50,000 at 5.60 % / 12 over 12 months: the annuity 4,294.134… is
        // 4,294.13 a month, the last 4,294.18 (checked with exact fractions).
        (P::FirstInstalment, "4,294.13"),
        (P::TotalInterest, "1,529.61"),
        (P::LoanPurpose, "购买化肥、种子"),
        (P::GuaranteeType, "保证"),
        (P::GuarantorName, "李四"),
        (P::GuarantorIdNumber, "110101198505063217"),
        (P::CollateralSummary, ABSENT),
        (P::SignedOn, "2026年01月05日"),
    ];
    for (p, value) in expected {
        assert_eq!(rendered_value(&text, p), value, "{p:?}");
    }
    let summary = rendered_value(&text, P::ScheduleSummary);
    let lines: Vec<&str> = summary.lines().collect();
    assert_eq!(lines.len(), 6, "{summary}");
    assert_eq!(
        lines[1],
        "1 | 2026年02月06日 | 4,060.80 | 233.33 | 4,294.13"
    );
    assert_eq!(lines[4], "……");
    assert_eq!(
        lines[5],
        "12 | 2027年01月06日 | 4,274.23 | 19.95 | 4,294.18"
    );
}

#[test]
fn absent_values_render_as_a_stroke() {
    let t = ContractTemplate::parse(ContractKind::Loan, &every_placeholder()).expect("parses");
    let mut terms = terms();
    terms.guarantor = None;
    terms.signed_on = None;
    terms.schedule.clear();
    terms.repayment_method = RepaymentMethod::Revolving;
    terms.borrower_phone = "  ".into();
    terms.collateral_summary = Some(String::new());
    let text = t.render(&terms);
    use Placeholder as P;
    for p in [
        P::GuarantorName,
        P::GuarantorIdNumber,
        P::SignedOn,
        P::FirstDueDate,
        P::InstalmentCount,
        P::FirstInstalment,
        P::TotalInterest,
        P::ScheduleSummary,
        P::BorrowerPhone,
        P::CollateralSummary,
    ] {
        assert_eq!(rendered_value(&text, p), "——", "{p:?}");
    }
    assert_eq!(rendered_value(&text, P::RepaymentMethod), "随借随还");
    terms.amount = Fen(-1);
    assert_eq!(rendered_value(&t.render(&terms), P::AmountInWords), "——");
}

#[test]
fn a_value_is_printed_as_it_is_never_read_as_a_placeholder() {
    let t = ContractTemplate::parse(ContractKind::Loan, &every_placeholder()).expect("parses");
    let mut terms = terms();
    terms.borrower_name = "{{amount}}".into();
    terms.collateral_summary = Some("住房一套\n不动产权证号：某某".into());
    let text = t.render(&terms);
    assert_eq!(
        rendered_value(&text, Placeholder::BorrowerName),
        "{{amount}}"
    );
    assert_eq!(
        rendered_value(&text, Placeholder::CollateralSummary),
        "住房一套\n不动产权证号：某某"
    );
}

#[rstest]
#[case::short(3, 4)]
#[case::four_in_full(4, 5)]
#[case::five_summarised(5, 6)]
#[case::long(360, 6)]
fn schedule_summary_lines(#[case] months: u32, #[case] lines: usize) {
    let rate = AnnualRate::from_bp(490).expect("a rate");
    let s = build_schedule(
        RepaymentMethod::EqualPrincipal,
        Fen::from_yuan(100_000),
        rate,
        months,
        date("2026-01-31"),
    )
    .expect("a schedule");
    let summary = schedule_summary(&s).expect("a summary");
    assert_eq!(summary.lines().count(), lines, "{summary}");
    assert_eq!(summary.contains("……"), months > 4);
    let last = summary.lines().next_back().unwrap_or_default();
    assert!(last.starts_with(&format!("{months} | ")), "{last}");
    assert_eq!(schedule_summary(&[]), None);
}

#[rstest]
#[case("2026-12-06", "2026年12月06日")]
#[case("0001-01-01", "0001年01月01日")]
#[case("2024-02-29", "2024年02月29日")]
fn writes_dates_the_chinese_way(#[case] iso: &str, #[case] zh: &str) {
    assert_eq!(date_zh(date(iso)), zh);
}

#[rstest]
#[case(RepaymentMethod::EqualInstalment, "等额本息")]
#[case(RepaymentMethod::EqualPrincipal, "等额本金")]
#[case(RepaymentMethod::InterestOnly, "先息后本")]
#[case(RepaymentMethod::Bullet, "到期一次还本付息")]
#[case(RepaymentMethod::Revolving, "随借随还")]
fn names_repayment_methods(#[case] m: RepaymentMethod, #[case] zh: &str) {
    assert_eq!(repayment_method_zh(m), zh);
}

proptest! {
    #[test]
    fn the_loan_text_states_the_terms(
        yuan in 1i64..=10_000_000,
        bp in 1u32..=2400,
        months in 1u32..=120,
        method in prop::sample::select(RepaymentMethod::ALL[..4].to_vec()),
    ) {
        let mut terms = terms();
        terms.amount = Fen::from_yuan(yuan);
        terms.annual_rate_bp = bp;
        terms.term_months = months;
        terms.repayment_method = method;
        terms.schedule = build_schedule(
            method, terms.amount, AnnualRate::from_bp(bp)?, months, terms.start_date)?;
        let t = ContractTemplate::parse(ContractKind::Loan, default_body(ContractKind::Loan))?;
        let text = t.render(&terms);
        let words = amount_in_words(terms.amount).unwrap_or_default();
        let amount_line = format!("{words}（小写：人民币{}元）", terms.amount);
        prop_assert!(text.contains(&amount_line), "{}", amount_line);
        let rate_line = format!("年利率为{}.{:02}%", bp / 100, bp % 100);
        prop_assert!(text.contains(&rate_line), "{}", rate_line);
        prop_assert!(!text.contains("{{") && !text.contains("}}"));
    }

    #[test]
    fn parsing_never_panics_and_errors_point_inside_the_body(body in "[{}a\n 借]{0,40}") {
        match ContractTemplate::parse(ContractKind::Mortgage, &body) {
            Ok(t) => prop_assert!(!t.segments().is_empty()),
            Err(TemplateError::UnknownPlaceholder { at, .. }
                | TemplateError::Unclosed { at }
                | TemplateError::StrayClose { at }) => {
                let line = body.replace("\r\n", "\n");
                let line = line.split('\n').nth(at.line as usize - 1);
                prop_assert!(line.is_some());
                let chars = line.unwrap_or_default().chars().count() as u32;
                prop_assert!(at.column >= 1 && at.column < chars, "{:?}", at);
            }
            Err(_) => {}
        }
    }
}
