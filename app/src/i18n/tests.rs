//! The key table's own checks.

use super::*;

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

/// Every error code the service and the domain can return, read from
/// their sources: `ServiceError::invalid("…")`, `code: "…"`, and the
/// arms of each `…Error::code()` in the domain.
fn codes_in_sources() -> std::collections::BTreeSet<String> {
    fn literals(text: &str, out: &mut std::collections::BTreeSet<String>) {
        for part in text.split('"').skip(1).step_by(2) {
            if !part.is_empty()
                && part
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
            {
                out.insert(part.to_string());
            }
        }
    }
    let mut found = std::collections::BTreeSet::new();
    for (crate_dir, domain) in [("service/src", false), ("domain/src", true)] {
        for text in crate::sources::shipped(crate_dir) {
            let text = text.as_str();
            if domain {
                // `impl SomethingError { … fn code(&self) -> &'static str { match … } }`
                for block in text.split("\nimpl ").skip(1) {
                    let name = block.split_whitespace().next().unwrap_or("");
                    if !name.ends_with("Error") {
                        continue;
                    }
                    if let Some(i) = block.find("fn code(&self) -> &'static str") {
                        let body = &block[i..];
                        let end = body.find("\n    }\n").unwrap_or(body.len());
                        literals(&body[..end], &mut found);
                    }
                }
            } else {
                let quoted = |part: &str| -> String {
                    let code: String = part.chars().take_while(|c| *c != '"').collect();
                    format!("\"{code}\"")
                };
                for part in text.split("invalid(\"").skip(1) {
                    literals(&quoted(part), &mut found);
                }
                for part in text.split("Validation {").skip(1) {
                    if let Some(rest) = part.trim_start().strip_prefix("code: \"") {
                        literals(&quoted(rest), &mut found);
                    }
                }
            }
        }
    }
    found
}

/// No raw code reaches a user: every code the service or the domain can
/// return has a message in both locales (a family such as the rule
/// set's `expr_…` may share one).
#[test]
fn every_code_in_the_sources_has_a_message() {
    let codes = codes_in_sources();
    assert!(
        codes.len() > 150,
        "the sources were not read: {}",
        codes.len()
    );
    let missing: Vec<&String> = codes
        .iter()
        .filter(|c| ZH.error(c) == ZH.err_unknown || EN.error(c) == EN.err_unknown)
        .collect();
    assert!(missing.is_empty(), "codes without a message: {missing:?}");
}

#[test]
fn every_service_error_code_has_a_message_in_both_locales() {
    for code in [
        "unauthenticated",
        "forbidden",
        "not_found",
        "application_state_changed",
        "self_approval",
        "product_range_inverted",
        "product_widens_parent",
        "product_outside_bank_policy",
        "product_range_incomplete",
        "product_empty_list",
        "product_duplicate_entry",
        "product_blank_entry",
        "product_base_rate_outside_range",
        "product_adjustment_outside_range",
        "product_revolving_method_without_line",
        "product_duty_bands_unordered",
        "product_missing_reference",
        "product_region_invalid",
        "rate_invalid",
        "rate_out_of_range",
        "pricing_incomplete",
        "product_code_invalid",
        "product_code_taken",
        "product_name_invalid",
        "product_version_state_changed",
        "parent_not_published",
        "flow_unknown",
        "duty_limit_missing",
        "flow_dead_end",
        "flow_approval_skipped",
        "flow_loop_without_exit",
        "flow_duplicate_node",
        "flow_unknown_node",
        "flow_end_has_edges",
        "flow_outcome_not_applicable",
        "flow_quorum_invalid",
        "flow_empty_fact_space",
        "flow_pre_screen_renamed",
        "flow_too_large",
        "authorisation_evidence_invalid",
        "authorisation_date_invalid",
        "whitelist_too_many_columns",
        "applications_daily_limit",
        "password_too_short",
        "password_too_long",
        "password_too_simple",
        "password_contains_username",
        "password_common",
        "password_unchanged",
        "password_reused",
        "password_current_wrong",
        "password_change_required",
        "password_mismatch",
        "second_factor_required",
        "second_factor_invalid",
        "totp_not_started",
        "totp_already_enrolled",
        "totp_enrolment_required",
        "flow_unreachable_node",
        "flow_code_invalid",
        "flow_name_invalid",
        "fd_number_invalid",
        "relation_choose",
        "product_age_invalid",
        "relation_exists",
        "relation_customer_unknown",
        "id_checksum",
        "id_length",
        "fd_guarantee_missing",
        "task_not_assigned",
        "opinion_given",
        "product_self_publish",
        "task_needs_form",
        "task_cannot_reject",
        "reason_missing",
        "reason_too_long",
        "reassign_same_person",
        "reassign_not_eligible",
        "reassign_choose_person",
        "pick_related_to_customer",
        "pick_was_marketer",
        "duty_same_person_parallel",
        "duty_self_check",
        "duty_posts_not_separated",
        "invalid_credentials",
        "account_locked",
        "code_invalid",
        "code_expired",
        "rate_limited",
        "sms_failed",
        "unknown_customer",
        "duplicate",
        "internal",
        "amount_below_min",
        "amount_above_max",
        "term_out_of_range",
        "consent_missing",
        "phone_invalid",
        "amount_not_positive",
        "repayment_exceeds_due",
        "payment_declined_insufficient_balance",
        "payment_provider_unavailable",
        "payment_pending",
        "payment_refunded",
        "loan_closed",
        "credit_line_insufficient_available",
        "credit_line_frozen",
        "credit_line_expired",
        "credit_line_amount_not_positive",
        "eod_date_in_future",
        "idempotency_key_invalid",
        "engine_rejected",
        "engine_limit_exceeded",
        "rule_set_not_author",
        "expr_syntax",
        "rule_set_product_mismatch",
    ] {
        assert_ne!(ZH.error(code), ZH.err_unknown, "{code} has no zh message");
        assert_ne!(EN.error(code), EN.err_unknown, "{code} has no en message");
    }
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
