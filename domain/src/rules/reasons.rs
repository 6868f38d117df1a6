//! What a customer is told about an adverse decision: each reason code in
//! plain words fit for a customer, never the internal trace.
//!
//! Anti-fraud, blacklist and related-party codes are not disclosed (telling
//! a fraudster which check caught them teaches them to avoid it): they and
//! any code this catalogue does not know read as the general "overall
//! assessment" sentence. Several codes may read the same; the sentence is
//! then given once.

use crate::view::CustomerReason;

/// What a customer is told for a code nobody described, or one kept internal.
pub const GENERAL_ZH: &str = "综合评估暂未满足本产品的申请条件。";
pub const GENERAL_EN: &str = "Our overall assessment did not meet this product's requirements.";

/// Codes that never reach the customer in their own words.
fn undisclosed(code: &str) -> bool {
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
}
