//! The lookups that put codes and enums into words.

use super::*;

impl Texts {
    /// The name of a flow node kind ("investigation", "approval", …).
    pub fn node_kind(&self, kind: domain::flow::NodeType) -> &'static str {
        use domain::flow::NodeType as K;
        match kind {
            K::PreScreen => self.node_pre_screen,
            K::Admission => self.node_admission,
            K::DocumentCollection => self.node_document_collection,
            K::Investigation => self.node_investigation,
            K::Review => self.node_review,
            K::Approval => self.node_approval,
            K::ContractSigning => self.node_contract_signing,
            K::CollateralRegistration => self.node_collateral_registration,
            K::Disbursement => self.node_disbursement,
            K::End => self.node_end,
        }
    }

    /// How a credit-bureau inquiry went.
    pub fn inquiry_outcome(&self, o: domain::view::InquiryOutcome) -> &'static str {
        use domain::view::InquiryOutcome as O;
        match o {
            O::Ok => self.inquiry_ok,
            O::Failed => self.inquiry_failed,
            O::Timeout => self.inquiry_timeout,
            O::NoConsent => self.inquiry_no_consent,
        }
    }

    /// A step of the customer's timeline.
    pub fn timeline_kind(&self, kind: domain::view::TimelineKind) -> &'static str {
        use domain::view::TimelineKind as K;
        match kind {
            K::Submitted => self.ev_submitted,
            K::Investigated => self.ev_investigated,
            K::Approved => self.ev_approved,
            K::Rejected => self.ev_rejected,
        }
    }

    /// The name of a task status.
    pub fn task_status(&self, status: domain::view::TaskStatus) -> &'static str {
        use domain::view::TaskStatus as S;
        match status {
            S::Open => self.task_status_open,
            S::Unassigned => self.task_status_unassigned,
            S::Done => self.task_status_done,
            S::Reassigned => self.task_status_reassigned,
            S::Cancelled => self.task_status_cancelled,
        }
    }

    /// The name of a post (岗位).
    pub fn post(&self, p: domain::duty::Post) -> &'static str {
        use domain::duty::Post;
        match p {
            Post::Marketing => self.post_marketing,
            Post::Investigation => self.post_investigation,
            Post::Review => self.post_review,
            Post::Approval => self.post_approval,
            Post::Disbursement => self.post_disbursement,
            Post::PostLoan => self.post_post_loan,
        }
    }

    /// The message for an error code coming from the service or domain crates.
    pub fn error(&self, code: &str) -> &'static str {
        match code {
            "unauthenticated" => self.err_unauthenticated,
            "forbidden" => self.err_forbidden,
            "not_found" => self.err_not_found,
            "application_state_changed" => self.err_application_state_changed,
            "self_approval" => self.err_self_approval,
            "invalid_credentials" => self.err_invalid_credentials,
            "account_locked" => self.err_account_locked,
            "code_invalid" => self.err_code_invalid,
            "code_expired" => self.err_code_expired,
            "rate_limited" => self.err_rate_limited,
            "sms_failed" => self.err_sms_failed,
            "unknown_customer" => self.err_unknown_customer,
            "duplicate" => self.err_duplicate,
            "internal" => self.err_internal,
            "network" => self.err_network,
            "money_empty" => self.err_money_empty,
            "money_invalid" => self.err_money_invalid,
            "money_too_many_decimals" => self.err_money_too_many_decimals,
            "money_negative" => self.err_money_negative,
            "money_overflow" => self.err_money_overflow,
            "amount_below_min" => self.err_amount_below_min,
            "amount_above_max" => self.err_amount_above_max,
            "term_out_of_range" => self.err_term_out_of_range,
            "purpose_missing" => self.err_purpose_missing,
            "purpose_too_long" => self.err_purpose_too_long,
            "consent_missing" => self.err_consent_missing,
            "phone_invalid" => self.err_phone_invalid,
            "date_invalid" | "date_out_of_range" => self.err_date_invalid,
            "findings_missing" => self.err_findings_missing,
            "findings_too_long" => self.err_findings_too_long,
            "comment_missing" => self.err_comment_missing,
            "field_required" => self.err_field_required,
            "visited_on_future" => self.err_visited_on_future,
            "comment_too_long" => self.err_comment_too_long,
            "idempotency_key_invalid" => self.err_idempotency_key_invalid,
            "no_officer_available" => self.err_no_officer_available,
            "amount_not_positive"
            | "credit_line_amount_not_positive"
            | "ledger_amount_not_positive" => self.err_amount_not_positive,
            "repayment_exceeds_due" => self.err_repayment_exceeds_due,
            "payment_declined_insufficient_balance" => self.err_payment_declined,
            "payment_provider_unavailable" => self.err_payment_unavailable,
            "payment_pending" => self.err_payment_pending,
            "payment_refunded" => self.err_payment_refunded,
            "loan_closed" | "eod_loan_closed" => self.err_loan_closed,
            "credit_line_insufficient_available" => self.err_line_insufficient,
            "credit_line_frozen" => self.err_line_frozen,
            "credit_line_cancelled" | "credit_line_expired" => self.err_line_closed,
            c if c.starts_with("credit_line_") => self.err_line_state,
            "eod_date_in_future" => self.err_eod_future,
            "engine_rejected" => self.err_engine_rejected,
            "product_range_inverted" => self.err_product_range_inverted,
            "product_widens_parent" => self.err_product_widens_parent,
            "product_outside_bank_policy" => self.err_product_outside_bank_policy,
            "product_range_incomplete" => self.err_product_range_incomplete,
            "product_empty_list" => self.err_product_empty_list,
            "product_duplicate_entry" => self.err_product_duplicate_entry,
            "product_blank_entry" => self.err_product_blank_entry,
            "product_base_rate_outside_range" => self.err_product_base_rate_outside_range,
            "product_adjustment_outside_range" => self.err_product_adjustment_outside_range,
            "product_revolving_method_without_line" => {
                self.err_product_revolving_method_without_line
            }
            "product_duty_bands_unordered" => self.err_product_duty_bands_unordered,
            "product_missing_reference" => self.err_product_missing_reference,
            "product_region_invalid" => self.err_product_region_invalid,
            "rate_invalid" => self.err_rate_invalid,
            "rate_out_of_range" => self.err_rate_out_of_range,
            "pricing_incomplete" => self.err_pricing_incomplete,
            "product_code_invalid" => self.err_product_code_invalid,
            "product_code_taken" => self.err_product_code_taken,
            "product_name_invalid" => self.err_product_name_invalid,
            "product_version_state_changed" => self.err_product_version_state_changed,
            "parent_not_published" => self.err_parent_not_published,
            "flow_unknown" => self.err_flow_unknown,
            "duty_limit_missing" => self.err_duty_limit_missing,
            "flow_dead_end" => self.err_flow_dead_end,
            "flow_approval_skipped" => self.err_flow_approval_skipped,
            "flow_loop_without_exit" => self.err_flow_loop_without_exit,
            "flow_duplicate_node" => self.err_flow_duplicate_node,
            "flow_unknown_node" => self.err_flow_unknown_node,
            "flow_end_has_edges" => self.err_flow_end_has_edges,
            "flow_outcome_not_applicable" => self.err_flow_outcome_not_applicable,
            "flow_quorum_invalid" => self.err_flow_quorum_invalid,
            "flow_empty_fact_space" => self.err_flow_empty_fact_space,
            "flow_pre_screen_renamed" => self.err_flow_pre_screen_renamed,
            "flow_too_large" => self.err_flow_too_large,
            "authorisation_evidence_invalid" => self.err_authorisation_evidence_invalid,
            "authorisation_date_invalid" => self.err_authorisation_date_invalid,
            "flow_unreachable_node" => self.err_flow_unreachable_node,
            "flow_code_invalid" => self.err_flow_code_invalid,
            "flow_name_invalid" => self.err_flow_name_invalid,
            "fd_number_invalid" => self.err_fd_number_invalid,
            "relation_choose" => self.err_relation_choose,
            "product_age_invalid" => self.err_product_age_invalid,
            "id_length" | "id_chars" | "id_birth_date" | "id_checksum" => {
                self.err_id_number_invalid
            }
            "relation_exists" => self.err_relation_exists,
            "relation_customer_unknown" => self.err_relation_customer_unknown,
            "fd_guarantee_missing" => self.err_fd_guarantee_missing,
            "task_not_assigned" => self.err_task_not_assigned,
            "opinion_given" => self.err_opinion_given,
            "product_self_publish" => self.err_product_self_publish,
            "task_needs_form" => self.err_task_needs_form,
            "task_cannot_reject" => self.err_task_cannot_reject,
            "reason_missing" => self.err_reason_missing,
            "reason_too_long" => self.err_reason_too_long,
            "reassign_same_person" => self.err_reassign_same_person,
            "reassign_not_eligible" => self.err_reassign_not_eligible,
            "reassign_choose_person" => self.err_reassign_choose_person,
            "pick_related_to_customer" => self.err_pick_related_to_customer,
            "pick_was_marketer" => self.err_pick_was_marketer,
            "duty_same_person_parallel" => self.err_duty_same_person_parallel,
            "duty_self_check" => self.err_duty_self_check,
            "duty_posts_not_separated" => self.err_duty_posts_not_separated,
            "engine_limit_exceeded" => self.err_engine_limit_exceeded,
            "rule_set_not_author" => self.err_rule_set_not_author,
            "invalid_step" => self.err_invalid_step,
            "wl_no_file" => self.wl_no_file,
            "wl_too_large" => self.wl_too_large,
            "whitelist_unreadable" => self.err_whitelist_unreadable,
            "whitelist_missing_column" => self.err_whitelist_missing_column,
            "whitelist_empty" => self.err_whitelist_empty,
            "whitelist_too_many_rows" => self.err_whitelist_too_many_rows,
            "whitelist_too_large" => self.err_whitelist_too_large,
            "applications_daily_limit" => self.err_applications_daily_limit,
            "whitelist_too_many_columns" => self.err_whitelist_too_many_columns,
            "whitelist_needs_bank" => self.err_whitelist_needs_bank,
            "database_not_empty" => self.err_database_not_empty,
            "limit_above_product_max" => self.err_limit_above_product_max,
            "offer_above_pre_approved" => self.err_offer_above_pre_approved,
            "offer_already_open" => self.err_offer_already_open,
            "offer_expired" => self.err_offer_expired,
            "offer_limit_not_positive" => self.err_offer_limit_not_positive,
            "offer_line_months_out_of_range" => self.err_offer_line_months_out_of_range,
            "offer_result_not_approved" => self.err_offer_result_not_approved,
            "offer_valid_days_out_of_range" => self.err_offer_valid_days_out_of_range,
            "officer_unknown" => self.err_officer_unknown,
            "opinion_already_given" => self.err_opinion_already_given,
            "opinion_duplicate_person" => self.err_opinion_duplicate_person,
            "opinion_not_assigned" => self.err_opinion_not_assigned,
            "opinion_quorum_invalid" => self.err_opinion_quorum_invalid,
            "opinion_too_few_people" => self.err_opinion_too_few_people,
            "org_code_invalid" => self.err_org_code_invalid,
            "org_code_taken" => self.err_org_code_taken,
            "org_name_invalid" => self.err_org_name_invalid,
            "org_parent_invalid" => self.err_org_parent_invalid,
            "org_unknown" => self.err_org_unknown,
            "roles_missing" => self.err_roles_missing,
            "username_invalid" => self.err_username_invalid,
            "username_taken" => self.err_username_taken,
            "precredit_job_busy" => self.err_precredit_job_busy,
            "precredit_product_required" => self.err_precredit_product_required,
            "precredit_product_unknown" => self.err_precredit_product_unknown,
            "prepayment_amount_not_positive" => self.err_prepayment_amount_not_positive,
            "prepayment_balance_mismatch" => self.err_prepayment_balance_mismatch,
            "prepayment_date_outside_period" => self.err_prepayment_date_outside_period,
            "prepayment_exceeds_balance" => self.err_prepayment_exceeds_balance,
            "prepayment_mode_not_supported" => self.err_prepayment_mode_not_supported,
            "prepayment_not_amortising" => self.err_prepayment_not_amortising,
            "prepayment_nothing_remaining" => self.err_prepayment_nothing_remaining,
            "product_not_author" => self.err_product_not_author,
            "product_ranges_invalid" => self.err_product_ranges_invalid,
            "product_version_immutable" => self.err_product_version_immutable,
            "product_version_invalid" => self.err_product_version_invalid,
            "password_too_short" => self.err_password_too_short,
            "password_too_long" => self.err_password_too_long,
            "password_too_simple" => self.err_password_too_simple,
            "password_contains_username" => self.err_password_contains_username,
            "password_common" => self.err_password_common,
            "password_unchanged" => self.err_password_unchanged,
            "password_reused" => self.err_password_reused,
            "password_current_wrong" => self.err_password_current_wrong,
            "password_change_required" => self.err_password_change_required,
            "password_mismatch" => self.err_password_mismatch,
            "second_factor_required" => self.err_second_factor_required,
            "second_factor_invalid" => self.err_second_factor_invalid,
            "totp_not_started" => self.err_totp_not_started,
            "totp_already_enrolled" => self.err_totp_already_enrolled,
            "totp_enrolment_required" => self.err_totp_enrolment_required,
            c if ["expr_", "table_", "scorecard_", "strategy_", "rule_"]
                .iter()
                .any(|p| c.starts_with(p)) =>
            {
                self.err_rule_set_invalid
            }
            c if c.starts_with("schedule_") => self.err_schedule,
            c if c.starts_with("eod_") => self.err_eod,
            c if c.starts_with("ledger_") => self.err_ledger,
            c if c.starts_with("eval_") || c.starts_with("schema_") => self.err_engine_evaluation,
            c if c.starts_with("route_") => self.err_flow_route,
            _ => self.err_unknown,
        }
    }

    /// What is wrong with a rule-set definition, by the problem's code.
    pub fn rule_problem(&self, code: &str) -> &'static str {
        match code {
            "expr_syntax" => self.err_expr_syntax,
            "expr_bad_literal" => self.err_expr_bad_literal,
            "expr_unknown_feature" => self.err_expr_unknown_feature,
            "expr_unknown_function" => self.err_expr_unknown_function,
            "expr_arity" => self.err_expr_arity,
            "expr_type_mismatch" => self.err_expr_type_mismatch,
            "table_no_columns" => self.err_table_no_columns,
            "table_row_width" => self.err_table_row_width,
            "table_bad_output" => self.err_table_bad_output,
            "table_priority" => self.err_table_priority,
            "table_aggregation" => self.err_table_aggregation,
            "scorecard_no_grades" => self.err_scorecard_no_grades,
            "scorecard_grade_order" => self.err_scorecard_grade_order,
            "scorecard_no_bins" => self.err_scorecard_no_bins,
            "strategy_stage_order" => self.err_strategy_stage_order,
            "strategy_scorecard_place" => self.err_strategy_scorecard_place,
            "strategy_score_after_scoring" => self.err_strategy_score_after_scoring,
            "strategy_rate_bounds" => self.err_strategy_rate_bounds,
            "strategy_output_feature" => self.err_strategy_output_feature,
            "rule_bad_reason_code" => self.err_rule_bad_reason_code,
            "rule_duplicate_id" => self.err_rule_duplicate_id,
            _ => self.err_rule_set_problem,
        }
    }

    pub fn feature_type(&self, ty: domain::rules::schema::FeatureType) -> &'static str {
        use domain::rules::schema::FeatureType as T;
        match ty {
            T::Int => self.ty_int,
            T::Money => self.ty_money,
            T::Decimal => self.ty_decimal,
            T::Bool => self.ty_bool,
            T::Text => self.ty_text,
            T::Date => self.ty_date,
        }
    }

    pub fn aggregation(&self, a: domain::rules::table::Aggregation) -> &'static str {
        use domain::rules::table::Aggregation as A;
        match a {
            A::Sum => self.agg_sum,
            A::Min => self.agg_min,
            A::Max => self.agg_max,
            A::Count => self.agg_count,
        }
    }

    pub fn rule_set_status(&self, s: domain::rules::lifecycle::RuleSetStatus) -> &'static str {
        use domain::rules::lifecycle::RuleSetStatus as S;
        match s {
            S::Draft => self.rs_draft,
            S::Submitted => self.rs_submitted,
            S::Approved => self.rs_approved,
            S::Live => self.rs_live,
            S::Retired => self.rs_retired,
        }
    }

    pub fn precredit_status(&self, s: domain::view::PrecreditJobStatus) -> &'static str {
        use domain::view::PrecreditJobStatus as S;
        match s {
            S::Queued => self.pcs_queued,
            S::Running => self.pcs_running,
            S::Paused => self.pcs_paused,
            S::Completed => self.pcs_completed,
            S::Failed => self.pcs_failed,
            S::Cancelled => self.pcs_cancelled,
        }
    }

    /// A pre-credit result's outcome: "approve", "refer", "reject" or "skipped".
    pub fn precredit_outcome(&self, o: &str) -> &'static str {
        match o {
            "approve" => self.verdict_approve,
            "refer" => self.verdict_refer,
            "reject" => self.verdict_reject,
            _ => self.pc_outcome_skipped,
        }
    }

    /// Why a whitelist row was not imported; the code itself when unknown.
    pub fn whitelist_problem(&self, code: &str) -> Option<&'static str> {
        Some(match code.trim_start_matches("whitelist_") {
            c if c.starts_with("id_") || c == "bad_id_number" => self.wlr_bad_id_number,
            "phone_invalid" => self.wlr_phone_invalid,
            "name_missing" => self.wlr_name_missing,
            "name_mismatch" => self.wlr_name_mismatch,
            "phone_required" => self.wlr_phone_required,
            "phone_taken" => self.wlr_phone_taken,
            "authorisation_invalid" => self.wlr_authorisation_invalid,
            "duplicate_phone" => self.wlr_duplicate_phone,
            "duplicate_row" => self.wlr_duplicate_row,
            "unknown_village" => self.wlr_unknown_village,
            "ambiguous_village" => self.wlr_ambiguous_village,
            "village_out_of_scope" => self.wlr_village_out_of_scope,
            "customer_out_of_scope" => self.wlr_customer_out_of_scope,
            "limit_not_number" => self.wlr_limit_not_number,
            "limit_not_positive" => self.wlr_limit_not_positive,
            "limit_above_product_max" => self.wlr_limit_above_product_max,
            _ => return None,
        })
    }

    pub fn offer_status(&self, s: &str) -> &'static str {
        match s {
            "offered" => self.offer_status_offered,
            "accepted" => self.offer_status_accepted,
            "declined" => self.offer_status_declined,
            "withdrawn" => self.offer_status_withdrawn,
            _ => self.offer_status_expired,
        }
    }

    pub fn decision_stage(&self, s: domain::rules::lifecycle::DecisionStage) -> &'static str {
        use domain::rules::lifecycle::DecisionStage as S;
        match s {
            S::PreScreen => self.decision_pre_screen,
            S::Full => self.decision_full,
        }
    }

    pub fn status(&self, status: domain::application::ApplicationStatus) -> &'static str {
        use domain::application::ApplicationStatus as S;
        match status {
            S::Submitted => self.status_submitted,
            S::Investigated => self.status_investigated,
            S::Approved => self.status_approved,
            S::Rejected => self.status_rejected,
            S::Withdrawn => self.status_withdrawn,
        }
    }

    pub fn method(&self, method: domain::schedule::RepaymentMethod) -> &'static str {
        use domain::schedule::RepaymentMethod as M;
        match method {
            M::EqualInstalment => self.method_equal_instalment,
            M::EqualPrincipal => self.method_equal_principal,
            M::InterestOnly => self.method_interest_only,
            M::Bullet => self.method_bullet,
            M::Revolving => self.method_revolving,
        }
    }

    /// The label of a product parameter a refusal is about
    /// (`domain::product::ProductField`).
    pub fn product_field(&self, field: &str) -> Option<&'static str> {
        Some(match field {
            "amount" => self.pf_amount,
            "term_months" => self.pf_term_months,
            "rate_bp" => self.pf_rate_bp,
            "repayment_methods" => self.pf_repayment_methods,
            "guarantee_types" => self.pf_guarantee_types,
            "region_codes" => self.pf_region_codes,
            "branch_codes" => self.pf_branch_codes,
            "age" => self.pf_age,
            "occupations" => self.pf_occupations,
            "documents" => self.pf_documents,
            "investigation_fields" => self.pf_investigation_fields,
            "pricing" => self.pf_pricing,
            "revolving" => self.pf_revolving,
            "rule_sets" => self.pf_rule_sets,
            "flow" => self.pf_flow,
            "duty" => self.pf_duty,
            _ => return None,
        })
    }

    pub fn guarantee(&self, kind: domain::product::GuaranteeType) -> &'static str {
        use domain::product::GuaranteeType as G;
        match kind {
            G::Credit => self.guarantee_credit,
            G::Guarantor => self.guarantee_guarantor,
            G::Mortgage => self.guarantee_mortgage,
            G::Pledge => self.guarantee_pledge,
        }
    }

    pub fn loan_status(&self, status: domain::servicing::eod::LoanStatus) -> &'static str {
        use domain::servicing::eod::LoanStatus as S;
        match status {
            S::Settled => self.loan_settled,
            S::Normal => self.loan_normal,
            S::Overdue => self.loan_overdue,
            S::WrittenOff => self.loan_written_off,
        }
    }

    pub fn instalment_state(&self, s: domain::view::InstalmentState) -> &'static str {
        use domain::view::InstalmentState as S;
        match s {
            S::Paid => self.inst_paid,
            S::Due => self.inst_due,
            S::Overdue => self.inst_overdue,
            S::Future => self.inst_future,
        }
    }

    pub fn classification(&self, c: domain::servicing::eod::Classification) -> &'static str {
        use domain::servicing::eod::Classification as C;
        match c {
            C::Pass => self.cls_pass,
            C::SpecialMention => self.cls_special_mention,
            C::Substandard => self.cls_substandard,
            C::Doubtful => self.cls_doubtful,
            C::Loss => self.cls_loss,
        }
    }

    pub fn line_status(&self, s: domain::servicing::credit_line::LineStatus) -> &'static str {
        use domain::servicing::credit_line::LineStatus as S;
        match s {
            S::Active => self.line_active,
            S::Frozen => self.line_frozen,
            S::Cancelled => self.line_cancelled,
            S::Expired => self.line_expired,
        }
    }

    pub fn posting_kind(&self, k: domain::servicing::ledger::PostingKind) -> &'static str {
        use domain::servicing::ledger::PostingKind as K;
        match k {
            K::Disbursement => self.kind_disbursement,
            K::Repayment => self.kind_repayment,
            K::InterestAccrual => self.kind_interest_accrual,
            K::InterestAdjustment => self.kind_interest_adjustment,
            K::PenaltyAccrual => self.kind_penalty_accrual,
            K::WriteOff => self.kind_write_off,
            K::OpeningBalance => self.kind_opening_balance,
        }
    }

    pub fn account(&self, a: domain::servicing::ledger::Account) -> &'static str {
        use domain::servicing::ledger::Account as A;
        match a {
            A::LoanPrincipal => self.acct_loan_principal,
            A::InterestReceivable => self.acct_interest_receivable,
            A::PenaltyReceivable => self.acct_penalty_receivable,
            A::InterestIncome => self.acct_interest_income,
            A::PenaltyIncome => self.acct_penalty_income,
            A::Settlement => self.acct_settlement,
            A::LossAllowance => self.acct_loss_allowance,
        }
    }

    pub fn verdict(&self, v: domain::rules::rule::Verdict) -> &'static str {
        use domain::rules::rule::Verdict as V;
        match v {
            V::Approve => self.verdict_approve,
            V::Refer => self.verdict_refer,
            V::Reject => self.verdict_reject,
        }
    }

    pub fn payment_status(&self, s: domain::view::PaymentStatus) -> &'static str {
        use domain::view::PaymentStatus as S;
        match s {
            S::Succeeded => self.pay_succeeded,
            S::Failed => self.pay_failed,
            S::Pending => self.pay_pending,
            S::Refunded => self.pay_refunded,
        }
    }

    pub fn relation(&self, relation: domain::view::HouseholdRelation) -> &'static str {
        use domain::view::HouseholdRelation as R;
        match relation {
            R::Head => self.relation_head,
            R::Spouse => self.relation_spouse,
            R::Child => self.relation_child,
            R::Parent => self.relation_parent,
            R::Other => self.relation_other,
        }
    }

    pub fn gender(&self, gender: domain::identity::Gender) -> &'static str {
        match gender {
            domain::identity::Gender::Male => self.gender_male,
            domain::identity::Gender::Female => self.gender_female,
        }
    }

    pub fn role(&self, role: domain::org::Role) -> &'static str {
        use domain::org::Role as R;
        match role {
            R::Officer => self.role_officer,
            R::Investigator => self.role_investigator,
            R::Reviewer => self.role_reviewer,
            R::Approver => self.role_approver,
            R::Disburser => self.role_disburser,
            R::PostLoan => self.role_post_loan,
            R::RiskManager => self.role_risk_manager,
            R::ProductManager => self.role_product_manager,
            R::MarketingManager => self.role_marketing_manager,
            R::BranchHead => self.role_branch_head,
            R::Admin => self.role_admin,
        }
    }

    /// The purposes offered in the application form, as (value, label).
    pub fn purposes(&self) -> [(&'static str, &'static str); 6] {
        [
            ("farming", self.purpose_farming),
            ("livestock", self.purpose_livestock),
            ("machinery", self.purpose_machinery),
            ("business", self.purpose_business),
            ("home", self.purpose_home),
            ("education", self.purpose_education),
        ]
    }

    /// Label of a stored purpose code; free text is shown as it is.
    pub fn purpose(&self, code: &str) -> String {
        self.purposes()
            .iter()
            .find(|(value, _)| *value == code)
            .map(|(_, label)| (*label).to_string())
            .unwrap_or_else(|| code.to_string())
    }
}
