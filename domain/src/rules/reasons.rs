//! Reason codes in words: what a customer is told about an adverse decision
//! (plain words, never the internal trace), and what staff read (the
//! engine's own terms, every code included).
//!
//! Anti-fraud, blacklist and related-party codes are not disclosed (telling
//! a fraudster which check caught them teaches them to avoid it): they and
//! any code this catalogue does not know read as the general "overall
//! assessment" sentence. Several codes may read the same; the sentence is
//! then given once.

use crate::rules::schema::Value;
use crate::rules::trace::{Event, Trace};
use crate::view::{CustomerReason, StaffReason};

/// What a customer is told for a code nobody described, or one kept internal.
pub const GENERAL_ZH: &str = "综合评估暂未满足本产品的申请条件。";
pub const GENERAL_EN: &str = "Our overall assessment did not meet this product's requirements.";

/// Codes that never reach the customer in their own words.
pub fn undisclosed(code: &str) -> bool {
    code.starts_with("fraud_")
        || code.starts_with("blacklist")
        || code.starts_with("related_party")
        || code == "repeat_applications"
}

/// The words for one code: (Chinese, English).
pub fn customer_text(code: &str) -> (&'static str, &'static str) {
    if undisclosed(code) {
        return (GENERAL_ZH, GENERAL_EN);
    }
    match code {
        "age_out_of_range" => (
            "申请人年龄不在本产品的准入范围内。",
            "Your age is outside the range this product accepts.",
        ),
        "income_too_low" => (
            "家庭年收入未达到本产品的要求。",
            "Your household income is below what this product requires.",
        ),
        "income_unverified" => (
            "暂时无法核实您的家庭收入，客户经理会与您联系。",
            "We could not yet verify your household income; your officer will contact you.",
        ),
        "debt_to_income_high" => (
            "现有负债相对家庭收入偏高。",
            "Your existing debts are high compared with your household income.",
        ),
        "multi_lending_excessive" | "multi_lending_review" => (
            "您目前在多家机构有借款。",
            "You currently borrow from several lenders.",
        ),
        "multi_lending_cap" => (
            "因在多家机构有借款，可贷额度有所降低。",
            "Because you borrow from several lenders, the amount we can lend is lower.",
        ),
        "income_cap" => (
            "根据您的家庭收入水平，可贷额度有所降低。",
            "Given your household income, the amount we can lend is lower.",
        ),
        "multi_lending_price" => (
            "因在多家机构有借款，利率有所上浮。",
            "Because you borrow from several lenders, the rate is higher.",
        ),
        "bureau_inquiries_excessive" => (
            "近期您的征信被查询的次数较多。",
            "Your credit report was looked up many times recently.",
        ),
        "bureau_overdue_serious" | "bureau_overdue_review" => (
            "征信记录显示有逾期还款。",
            "Your credit report shows late repayments.",
        ),
        "bureau_score_low" | "low_score_review" => (
            "信用综合评分未达到本产品的要求。",
            "Your overall credit score is below what this product requires.",
        ),
        "bureau_unavailable" => (
            "暂时未能取得您的征信报告，将由客户经理人工审核。",
            "We could not obtain your credit report yet; an officer will review your application.",
        ),
        "internal_overdue" | "internal_overdue_serious" => (
            "您在本行的贷款目前有逾期，请先按时还款。",
            "A loan you hold with us is overdue; please repay it first.",
        ),
        "amount_above_limit" => (
            "申请金额超过了目前可贷的额度。",
            "The amount you asked for is above what we can lend you now.",
        ),
        "engine_evaluation_error" | "rule_set_missing" => (
            "您的申请需要人工进一步审核。",
            "Your application needs a closer look by our staff.",
        ),
        _ => (GENERAL_ZH, GENERAL_EN),
    }
}

/// The customer's reasons for `codes`, in order, each sentence once.
pub fn customer_reasons<S: AsRef<str>>(codes: &[S]) -> Vec<CustomerReason> {
    let mut out: Vec<CustomerReason> = Vec::new();
    for code in codes {
        let code = code.as_ref();
        let (zh, en) = customer_text(code);
        if out.iter().any(|r| r.text_zh == zh) {
            continue;
        }
        let disclosed = zh != GENERAL_ZH;
        out.push(CustomerReason {
            // An undisclosed code is not sent to the browser either.
            code: if disclosed { code } else { "general" }.to_owned(),
            text_zh: zh.to_owned(),
            text_en: en.to_owned(),
        });
    }
    out
}

/// The words staff read for a code the engine or the default rule sets give:
/// (Chinese, English). `None` for a code a rule author made up; the staff
/// view then names the rule that gave it (see [`staff_reasons`]).
pub fn staff_text(code: &str) -> Option<(&'static str, &'static str)> {
    if code.starts_with("fraud_") {
        return Some(("命中反欺诈规则", "An anti-fraud rule fired"));
    }
    if code.starts_with("blacklist") {
        return Some(("命中黑名单", "On the blacklist"));
    }
    if code.starts_with("related_party") {
        return Some((
            "关联方，需按关联交易审查",
            "A related party: related-party review",
        ));
    }
    Some(match code {
        "repeat_applications" => (
            "多笔在途申请（疑似重复申请）",
            "Several open applications at once",
        ),
        "age_out_of_range" => ("年龄不在产品准入范围", "Age outside the product's range"),
        "income_too_low" => ("家庭收入低于准入要求", "Household income below the minimum"),
        "income_unverified" => ("收入未能核实", "Income not verified"),
        "debt_to_income_high" => ("负债收入比过高", "Debt too high for the income"),
        "multi_lending_excessive" => ("多头借贷过多", "Borrows from too many lenders"),
        "multi_lending_review" => ("多头借贷，需人工复核", "Several lenders: review"),
        "multi_lending_cap" => ("多头借贷，额度下调", "Limit lowered for several lenders"),
        "multi_lending_price" => ("多头借贷，利率上浮", "Rate raised for several lenders"),
        "income_cap" => ("按收入水平下调额度", "Limit lowered to fit the income"),
        "bureau_inquiries_excessive" => ("近期征信查询过多", "Many recent credit inquiries"),
        "bureau_overdue_serious" => ("征信严重逾期", "Serious delinquency on the credit report"),
        "bureau_overdue_review" => ("征信有逾期，需人工复核", "Past delinquency: review"),
        "bureau_score_low" => ("征信评分过低", "Credit score too low"),
        "low_score_review" => ("评分偏低，需人工复核", "Low score: review"),
        "bureau_unavailable" => ("未取得征信报告，转人工", "No credit report: manual review"),
        "internal_overdue" => ("本行贷款有逾期", "Overdue on a loan with us"),
        "internal_overdue_serious" => ("本行贷款逾期超过90天", "Over 90 days overdue with us"),
        "amount_above_limit" => (
            "申请金额超过可贷额度或调查建议",
            "Amount above the limit or the recommendation",
        ),
        "investigation_review" => (
            "调查建议拒绝，需复核",
            "Investigator recommends rejection: review",
        ),
        "manual_review" => ("需人工审核", "Manual review"),
        "renewal_overdue_now" => (
            "客户贷款当前逾期，额度不予续期",
            "A loan is overdue now: the line is not renewed",
        ),
        "renewal_overdue_history" => (
            "额度期内逾期超过30天，不予续期",
            "Over 30 nights overdue in the term: not renewed",
        ),
        "renewal_limit_lowered" => (
            "用信与还款表现一般，续期额度下调",
            "Renewed with a lower limit for its use and repayment",
        ),
        "renewal_low_score" => (
            "行为评分偏低，续期需人工审核",
            "Low behaviour score: renewal needs an officer",
        ),
        "large_farm_discount" => ("规模种养户利率优惠", "Rate discount for a large farm"),
        "engine_evaluation_error" => (
            "有规则无法计算，转人工",
            "A rule could not be evaluated: manual review",
        ),
        "rule_set_missing" => (
            "没有生效的规则集，转人工",
            "No live rule set: manual review",
        ),
        "no_household_head" => (
            "户主信息缺失，未测算",
            "No household head on file: not assessed",
        ),
        "product_not_offered" => (
            "所在村未开办该产品，未测算",
            "Product not offered in the village: not assessed",
        ),
        _ => return None,
    })
}

/// Whether the customer reads this code in words of its own (not the
/// general sentence).
pub fn told_to_customer(code: &str) -> bool {
    customer_text(code).0 != GENERAL_ZH
}

/// Staff's reasons for `codes`, in order: the catalogue's words, else the
/// name of the rule or table in `trace` that gave the code, else the code.
pub fn staff_reasons<S: AsRef<str>>(codes: &[S], trace: Option<&Trace>) -> Vec<StaffReason> {
    codes
        .iter()
        .map(|code| {
            let code = code.as_ref();
            let (zh, en) = match staff_text(code) {
                Some((zh, en)) => (zh.to_owned(), en.to_owned()),
                None => trace
                    .and_then(|t| giver(t, code))
                    .unwrap_or_else(|| (code.to_owned(), code.to_owned())),
            };
            StaffReason {
                code: code.to_owned(),
                text_zh: zh,
                text_en: en,
                told_to_customer: told_to_customer(code),
            }
        })
        .collect()
}

/// The name of the rule, or the table, that gave `code` in a trace.
fn giver(trace: &Trace, code: &str) -> Option<(String, String)> {
    trace.entries.iter().find_map(|e| match &e.event {
        Event::RuleFired {
            rule, reason_code, ..
        } if reason_code == code => Some((rule.name_zh.clone(), rule.name_en.clone())),
        Event::TableHit { table, outputs, .. }
            if outputs
                .iter()
                .any(|o| matches!(&o.value, Value::Text(t) if t == code)) =>
        {
            Some((table.name_zh.clone(), table.name_en.clone()))
        }
        _ => None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_codes_read_in_plain_words() {
        let r = customer_reasons(&["age_out_of_range", "income_too_low"]);
        assert_eq!(r.len(), 2);
        assert_eq!(r[0].code, "age_out_of_range");
        assert_eq!(r[0].text_zh, "申请人年龄不在本产品的准入范围内。");
        assert!(r[1].text_en.contains("household income"));
    }

    #[test]
    fn fraud_and_blacklist_codes_are_not_disclosed() {
        let r = customer_reasons(&[
            "fraud_device_shared",
            "blacklisted",
            "related_party_review",
            "some_new_code",
        ]);
        assert_eq!(r.len(), 1, "{r:?}");
        assert_eq!(r[0].code, "general");
        assert_eq!(r[0].text_zh, GENERAL_ZH);
        for r in &r {
            assert!(!r.text_zh.contains("黑名单") && !r.text_zh.contains("欺诈"));
        }
    }

    #[test]
    fn one_sentence_per_meaning() {
        let r = customer_reasons(&[
            "multi_lending_review",
            "multi_lending_excessive",
            "bureau_overdue_review",
        ]);
        let codes: Vec<&str> = r.iter().map(|r| r.code.as_str()).collect();
        assert_eq!(codes, ["multi_lending_review", "bureau_overdue_review"]);
        assert!(customer_reasons::<&str>(&[]).is_empty());
    }

    #[test]
    fn staff_read_every_code_in_words_the_kept_ones_included() {
        let r = staff_reasons(
            &["blacklisted", "fraud_device_shared", "income_too_low"],
            None,
        );
        let words: Vec<&str> = r.iter().map(|r| r.text_zh.as_str()).collect();
        assert_eq!(
            words,
            ["命中黑名单", "命中反欺诈规则", "家庭收入低于准入要求"]
        );
        let told: Vec<bool> = r.iter().map(|r| r.told_to_customer).collect();
        assert_eq!(told, [false, false, true]);
    }

    #[test]
    fn a_code_the_catalogue_does_not_know_reads_as_the_rule_that_gave_it() {
        use crate::rules::rule::Action;
        use crate::rules::trace::{Source, TraceEntry};
        let trace = Trace {
            entries: vec![TraceEntry {
                stage: None,
                event: Event::RuleFired {
                    rule: Source {
                        id: "coop_member".into(),
                        name_zh: "合作社社员核查".into(),
                        name_en: "Co-operative membership check".into(),
                    },
                    condition_zh: String::new(),
                    condition_en: String::new(),
                    values: vec![],
                    action: Action::Refer,
                    reason_code: "coop_unverified".into(),
                },
            }],
        };
        let r = staff_reasons(&["coop_unverified", "nobody_knows"], Some(&trace));
        assert_eq!(r[0].text_zh, "合作社社员核查");
        assert_eq!(r[0].text_en, "Co-operative membership check");
        assert!(!r[0].told_to_customer);
        assert_eq!(r[1].text_zh, "nobody_knows");
    }
}
