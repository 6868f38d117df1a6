//! The key table's own checks.

use super::*;
use crate::error::{AppError, ErrorCode};

#[test]
fn fill_replaces_every_placeholder() {
    assert_eq!(
        fill(
            ZH.amount_range,
            &[("min", "1,000.00".into()), ("max", "50,000.00".into())]
        ),
        "可申请 1,000.00 – 50,000.00 元"
    );
}

/// The words of a message that are an error code's wire string, as
/// `money_invalid`. A word such as the flow node id `pre_screen`, which
/// the user types, is not a code.
fn raw_codes(message: &str) -> Vec<&str> {
    message
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .filter(|w| w.contains('_') && ErrorCode::from_code(w).is_some())
        .collect()
}

/// The `{name}` placeholders of a message, sorted.
fn placeholders(message: &str) -> Vec<&str> {
    let mut names: Vec<&str> = message
        .split('{')
        .skip(1)
        .filter_map(|rest| rest.split_once('}').map(|(name, _)| name))
        .collect();
    names.sort_unstable();
    names
}

/// No raw code reaches a user: every code has a message in both locales
/// (the compiler sees to that, `Texts::error` has no wildcard arm) that is
/// words, not the code or a `{code}` placeholder, and the two locales
/// fill the same placeholders.
#[test]
fn every_error_code_has_a_message_in_both_locales() {
    assert!(ErrorCode::ALL.len() > 250, "{}", ErrorCode::ALL.len());
    for &code in ErrorCode::ALL {
        for (locale, texts) in [("zh", &ZH), ("en", &EN)] {
            for (what, message) in [
                ("error", texts.error(code)),
                ("rule_problem", texts.rule_problem(code)),
                ("whitelist_problem", texts.whitelist_problem(code)),
            ] {
                assert!(!message.trim().is_empty(), "{code}: empty {locale} {what}");
                assert!(
                    raw_codes(message).is_empty(),
                    "{code}: the {locale} {what} shows a code: {message}"
                );
                assert!(
                    !placeholders(message).contains(&"code"),
                    "{code}: the {locale} {what} shows a code: {message}"
                );
            }
        }
        assert_eq!(
            placeholders(ZH.error(code)),
            placeholders(EN.error(code)),
            "{code}: the locales fill different placeholders"
        );
    }
}

#[test]
fn an_error_message_is_words_with_its_placeholders_filled() {
    let e = AppError::new(ErrorCode::AmountAboveMax).with("max", "50,000.00");
    assert_eq!(e.message(&ZH), "借款金额不能超过 50,000.00 元");
    assert_eq!(
        AppError::new(ErrorCode::OfficerUnknown).message(&EN),
        "That account officer does not exist or is inactive"
    );
}

#[test]
fn a_row_or_rule_problem_is_worded_for_its_place() {
    assert_eq!(
        ZH.whitelist_problem(ErrorCode::IdChecksum),
        ZH.wlr_bad_id_number
    );
    assert_eq!(
        ZH.whitelist_problem(ErrorCode::WhitelistUnknownVillage),
        ZH.wlr_unknown_village
    );
    assert_eq!(ZH.rule_problem(ErrorCode::ExprArity), ZH.err_expr_arity);
    assert_eq!(ZH.error(ErrorCode::ExprArity), ZH.err_rule_set_invalid);
    assert_eq!(
        EN.rule_problem(ErrorCode::RuleSetNotAuthor),
        EN.err_rule_set_not_author
    );
}

#[test]
fn a_name_with_no_english_shows_its_chinese() {
    assert_eq!(Locale::En.pick("惠农e贷", "Farm loan"), "Farm loan");
    assert_eq!(Locale::En.pick("惠农e贷·城关专享", ""), "惠农e贷·城关专享");
    assert_eq!(Locale::Zh.pick("惠农e贷", "Farm loan"), "惠农e贷");
}

#[test]
fn locale_tag_round_trips_and_defaults_to_chinese() {
    assert_eq!(Locale::from_tag("en-US"), Locale::En);
    assert_eq!(Locale::from_tag("zh-CN"), Locale::Zh);
    assert_eq!(Locale::from_tag(""), Locale::Zh);
}
