//! The lookups that put codes and enums into words.

use super::*;
use domain::error_code::ErrorCode;

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

    /// The message of an error code. Every code has one in both locales: a
    /// new [`ErrorCode`] without an arm here does not compile. Several codes
    /// may share a message (a family such as the rule set's `expr_…`).
    pub fn eod_status(&self, s: domain::view::EodRunStatus) -> &'static str {
        use domain::view::EodRunStatus as S;
        match s {
            S::Running => self.eod_running,
            S::Completed => self.eod_completed,
            S::Failed => self.eod_failed,
        }
    }

    /// Why a payout or an account check failed, from the provider's reason.
    pub fn payout_reason(&self, reason: &str) -> &'static str {
        match reason {
            "account_frozen" => self.disb_reason_account_frozen,
            "account_mismatch" => self.disb_reason_account_mismatch,
            "provider_unavailable" => self.disb_reason_provider_unavailable,
            "not_received" | "unknown_reference" => self.disb_reason_not_received,
            _ => self.disb_reason_other,
        }
    }

    /// The name of a payout's status.
    pub fn payout_status(&self, s: domain::view::PayoutStatus) -> &'static str {
        use domain::view::PayoutStatus as S;
        match s {
            S::Pending => self.disb_status_pending,
            S::Succeeded => self.disb_status_succeeded,
            S::Failed => self.disb_status_failed,
        }
    }

    pub fn error(&self, code: ErrorCode) -> &'static str {
        use ErrorCode as E;
        match code {
            E::DatabaseNotEmpty => self.err_database_not_empty,
            E::Duplicate => self.err_duplicate,
            E::FieldRequired => self.err_field_required,
            E::Forbidden => self.err_forbidden,
            E::IdempotencyKeyInvalid => self.err_idempotency_key_invalid,
            E::Internal => self.err_internal,
            E::InvalidStep => self.err_invalid_step,
            E::Network => self.err_network,
            E::NotFound => self.err_not_found,
            E::Unauthenticated => self.err_unauthenticated,
            E::AccountLocked => self.err_account_locked,
            E::CodeExpired => self.err_code_expired,
            E::CodeInvalid => self.err_code_invalid,
            E::InvalidCredentials => self.err_invalid_credentials,
            E::PasswordChangeRequired => self.err_password_change_required,
            E::PasswordCommon => self.err_password_common,
            E::PasswordContainsUsername => self.err_password_contains_username,
            E::PasswordCurrentWrong => self.err_password_current_wrong,
            E::PasswordMismatch => self.err_password_mismatch,
            E::PasswordReused => self.err_password_reused,
            E::PasswordTooLong => self.err_password_too_long,
            E::PasswordTooShort => self.err_password_too_short,
            E::PasswordTooSimple => self.err_password_too_simple,
            E::PasswordUnchanged => self.err_password_unchanged,
            E::RateLimited => self.err_rate_limited,
            E::SecondFactorInvalid => self.err_second_factor_invalid,
            E::SecondFactorRequired => self.err_second_factor_required,
            E::SmsFailed => self.err_sms_failed,
            E::TotpAlreadyEnrolled => self.err_totp_already_enrolled,
            E::TotpEnrolmentRequired => self.err_totp_enrolment_required,
            E::TotpNotStarted => self.err_totp_not_started,
            E::UnknownCustomer => self.err_unknown_customer,
            E::DateInvalid | E::DateOutOfRange => self.err_date_invalid,
            E::IdBirthDate | E::IdChars | E::IdChecksum | E::IdLength => self.err_id_number_invalid,
            E::MoneyEmpty => self.err_money_empty,
            E::MoneyInvalid => self.err_money_invalid,
            E::MoneyNegative => self.err_money_negative,
            E::MoneyOverflow => self.err_money_overflow,
            E::MoneyTooManyDecimals => self.err_money_too_many_decimals,
            E::PhoneInvalid => self.err_phone_invalid,
            E::RateInvalid => self.err_rate_invalid,
            E::RateOutOfRange => self.err_rate_out_of_range,
            E::AmountAboveMax => self.err_amount_above_max,
            E::AmountBelowMin => self.err_amount_below_min,
            E::ApplicationStateChanged => self.err_application_state_changed,
            E::ApplicationsDailyLimit => self.err_applications_daily_limit,
            E::CommentTooLong => self.err_comment_too_long,
            E::ConsentMissing => self.err_consent_missing,
            E::EngineLimitExceeded => self.err_engine_limit_exceeded,
            E::EngineRejected => self.err_engine_rejected,
            E::FindingsMissing => self.err_findings_missing,
            E::FindingsTooLong => self.err_findings_too_long,
            E::NoOfficerAvailable => self.err_no_officer_available,
            E::ProductRangesInvalid => self.err_product_ranges_invalid,
            E::PurposeMissing => self.err_purpose_missing,
            E::PurposeTooLong => self.err_purpose_too_long,
            E::SelfApproval => self.err_self_approval,
            E::TermOutOfRange => self.err_term_out_of_range,
            E::VisitedOnFuture => self.err_visited_on_future,
            E::DutyPostsNotSeparated => self.err_duty_posts_not_separated,
            E::DutySamePersonParallel => self.err_duty_same_person_parallel,
            E::DutySelfCheck => self.err_duty_self_check,
            E::OpinionAlreadyGiven => self.err_opinion_already_given,
            E::OpinionDuplicatePerson => self.err_opinion_duplicate_person,
            E::OpinionGiven => self.err_opinion_given,
            E::OpinionNotAssigned => self.err_opinion_not_assigned,
            E::OpinionQuorumInvalid => self.err_opinion_quorum_invalid,
            E::OpinionTooFewPeople => self.err_opinion_too_few_people,
            E::PickAtWorkloadCap => self.err_pick_at_workload_cap,
            E::PickDuplicateEntry => self.err_pick_duplicate_entry,
            E::PickNotEnoughEligible => self.err_pick_not_enough_eligible,
            E::PickOtherBranch => self.err_pick_other_branch,
            E::PickRelatedToCustomer => self.err_pick_related_to_customer,
            E::PickWasMarketer => self.err_pick_was_marketer,
            E::PickWrongRole => self.err_pick_wrong_role,
            E::ReasonMissing => self.err_reason_missing,
            E::ReasonTooLong => self.err_reason_too_long,
            E::ReassignChoosePerson => self.err_reassign_choose_person,
            E::ReassignNotEligible => self.err_reassign_not_eligible,
            E::ReassignSamePerson => self.err_reassign_same_person,
            E::RouteAtEnd
            | E::RouteNoRoute
            | E::RouteOutcomeNotApplicable
            | E::RouteUnknownNode => self.err_flow_route,
            E::TaskCannotReject => self.err_task_cannot_reject,
            E::DeclineCategoryMissing => self.err_decline_category_missing,
            E::DeclineCategoryUnexpected => self.err_decline_category_unexpected,
            E::VisitSlotInvalid => self.err_visit_slot_invalid,
            E::VisitSlotTooSoon => self.err_visit_slot_too_soon,
            E::VisitSlotTaken => self.err_visit_slot_taken,
            E::VisitChanged => self.err_visit_changed,
            E::VisitNotOpen => self.err_visit_not_open,
            E::TaskNeedsForm => self.err_task_needs_form,
            E::TaskNotAssigned => self.err_task_not_assigned,
            E::RelationChoose => self.err_relation_choose,
            E::RelationCustomerUnknown => self.err_relation_customer_unknown,
            E::RelationExists => self.err_relation_exists,
            E::DutyLimitMissing => self.err_duty_limit_missing,
            E::FdGuaranteeMissing => self.err_fd_guarantee_missing,
            E::FdNumberInvalid => self.err_fd_number_invalid,
            E::FlowApprovalSkipped => self.err_flow_approval_skipped,
            E::FlowCodeInvalid => self.err_flow_code_invalid,
            E::FlowDeadEnd => self.err_flow_dead_end,
            E::FlowDuplicateNode => self.err_flow_duplicate_node,
            E::FlowEmptyFactSpace => self.err_flow_empty_fact_space,
            E::FlowEndHasEdges => self.err_flow_end_has_edges,
            E::FlowInvalid => self.err_flow_invalid,
            E::FlowLoopWithoutExit => self.err_flow_loop_without_exit,
            E::FlowNameInvalid => self.err_flow_name_invalid,
            E::FlowOutcomeNotApplicable => self.err_flow_outcome_not_applicable,
            E::FlowPreScreenRenamed => self.err_flow_pre_screen_renamed,
            E::FlowQuorumInvalid => self.err_flow_quorum_invalid,
            E::FlowTooLarge => self.err_flow_too_large,
            E::FlowUnknown => self.err_flow_unknown,
            E::FlowUnknownNode => self.err_flow_unknown_node,
            E::FlowUnreachableNode => self.err_flow_unreachable_node,
            E::ParentNotPublished => self.err_parent_not_published,
            E::PricingIncomplete => self.err_pricing_incomplete,
            E::ProductAdjustmentOutsideRange => self.err_product_adjustment_outside_range,
            E::ProductAgeInvalid => self.err_product_age_invalid,
            E::ProductBaseRateOutsideRange => self.err_product_base_rate_outside_range,
            E::ProductBlankEntry => self.err_product_blank_entry,
            E::ProductCodeInvalid => self.err_product_code_invalid,
            E::ProductCodeTaken => self.err_product_code_taken,
            E::CreditLineIncreaseNeedsReview => self.err_credit_line_increase_needs_review,
            E::CreditLineIncreaseOpen => self.err_credit_line_increase_open,
            E::CreditLineIncreaseReasonRequired => self.err_credit_line_increase_reason_required,
            E::ProductChildWidens => self.err_product_child_widens,
            E::ProductDraftOpen => self.err_product_draft_open,
            E::ProductHasLiveChildren => self.err_product_has_live_children,
            E::ProductRetireReasonRequired => self.err_product_retire_reason_required,
            E::ApplicationMethodNotOffered => self.err_application_method_not_offered,
            E::ApplicationGuaranteeNotOffered => self.err_application_guarantee_not_offered,
            E::ProductDuplicateEntry => self.err_product_duplicate_entry,
            E::ProductDutyBandsUnordered => self.err_product_duty_bands_unordered,
            E::ProductEmptyList => self.err_product_empty_list,
            E::ProductInvalid => self.err_product_invalid,
            E::ProductMissingReference => self.err_product_missing_reference,
            E::ProductNameInvalid => self.err_product_name_invalid,
            E::ProductNotAuthor => self.err_product_not_author,
            E::ProductOutsideBankPolicy => self.err_product_outside_bank_policy,
            E::ProductRangeIncomplete => self.err_product_range_incomplete,
            E::ProductRangeInverted => self.err_product_range_inverted,
            E::ProductRegionInvalid => self.err_product_region_invalid,
            E::ProductRevolvingMethodWithoutLine => self.err_product_revolving_method_without_line,
            E::ProductSelfPublish => self.err_product_self_publish,
            E::ProductVersionImmutable => self.err_product_version_immutable,
            E::ProductVersionInvalid => self.err_product_version_invalid,
            E::ProductVersionStateChanged => self.err_product_version_state_changed,
            E::ProductWidensParent => self.err_product_widens_parent,
            E::EvalDivisionByZero
            | E::EvalInvalidIdNumber
            | E::EvalOverflow
            | E::EvalWrongSchema
            | E::SchemaBadName
            | E::SchemaDuplicate
            | E::SchemaReserved
            | E::SchemaUnknownFeature
            | E::SchemaWrongRecord
            | E::SchemaWrongType => self.err_engine_evaluation,
            E::ExprArity
            | E::ExprBadLiteral
            | E::ExprSyntax
            | E::ExprTypeMismatch
            | E::ExprUnknownFeature
            | E::ExprUnknownFunction
            | E::RuleBadReasonCode
            | E::RuleDuplicateId
            | E::ScorecardGradeOrder
            | E::ScorecardNoBins
            | E::ScorecardNoGrades
            | E::StrategyOutputFeature
            | E::StrategyRateBounds
            | E::StrategyScoreAfterScoring
            | E::StrategyScorecardPlace
            | E::StrategyStageOrder
            | E::TableAggregation
            | E::TableBadOutput
            | E::TableNoColumns
            | E::TablePriority
            | E::TableRowWidth => self.err_rule_set_invalid,
            E::RuleSetNoteTooLong => self.err_rule_set_note_too_long,
            E::RuleSetNotAuthor => self.err_rule_set_not_author,
            E::RuleSetProductMismatch => self.err_rule_set_product_mismatch,
            E::RuleSetStateChanged => self.err_rule_set_state_changed,
            E::AmountNotPositive | E::CreditLineAmountNotPositive | E::LedgerAmountNotPositive => {
                self.err_amount_not_positive
            }
            E::CreditLineCancelled | E::CreditLineExpired => self.err_line_closed,
            E::CreditLineExpiryNotAfterGrant
            | E::CreditLineLimitBelowUsed
            | E::CreditLineLimitNotPositive
            | E::CreditLineNotFrozen
            | E::CreditLineNotYetExpired
            | E::CreditLineOfficerMissing
            | E::CreditLineOutstandingBalance
            | E::CreditLineRepaymentExceedsOutstanding
            | E::CreditLineSameOfficer => self.err_line_state,
            E::CreditLineFrozen => self.err_line_frozen,
            E::CreditLineInsufficientAvailable => self.err_line_insufficient,
            E::EodDateBeforeLastProcessed
            | E::EodMaturityNotAfterValueDate
            | E::EodNothingToWriteOff
            | E::EodOverflow
            | E::EodPenaltyMultiplierOutOfRange
            | E::EodScheduleMismatch
            | E::EodThresholdsNotIncreasing => self.err_eod,
            E::EodAlreadyRunning => self.err_eod_running,
            E::EodDateInFuture => self.err_eod_future,
            E::EodLoanClosed | E::LoanClosed => self.err_loan_closed,
            E::LedgerExceedsOutstanding
            | E::LedgerKeyInvalid
            | E::LedgerNegativeDue
            | E::LedgerNegativeLine
            | E::LedgerOrderNotPermutation
            | E::LedgerOverflow
            | E::LedgerPostingEmpty
            | E::LedgerTwoSidedLine
            | E::LedgerUnbalanced
            | E::LedgerZeroLine => self.err_ledger,
            E::PaymentDeclined => self.err_payment_declined,
            E::PaymentPending => self.err_payment_pending,
            E::PaymentUnavailable => self.err_payment_unavailable,
            E::PaymentRefunded => self.err_payment_refunded,
            E::PrepaymentAmountNotPositive => self.err_prepayment_amount_not_positive,
            E::PrepaymentBalanceMismatch => self.err_prepayment_balance_mismatch,
            E::PrepaymentDateOutsidePeriod => self.err_prepayment_date_outside_period,
            E::PrepaymentDuesFirst => self.err_prepayment_dues_first,
            E::PrepaymentQuoteChanged => self.err_prepayment_quote_changed,
            E::CollateralAlreadyPledged => self.err_collateral_already_pledged,
            E::CollateralCaptionTooLong => self.err_collateral_caption_too_long,
            E::CollateralPhotoInvalid => self.err_collateral_photo_invalid,
            E::CollateralTooManyPhotos => self.err_collateral_too_many_photos,
            E::CollateralCertificateInvalid => self.err_collateral_certificate_invalid,
            E::CollateralCustodyMoveInvalid => self.err_collateral_custody_move_invalid,
            E::CollateralLtvAboveCap => self.err_collateral_ltv_above_cap,
            E::CollateralMissing => self.err_collateral_missing,
            E::CollateralNotInVault => self.err_collateral_not_in_vault,
            E::CollateralNotRegistered => self.err_collateral_not_registered,
            E::CollateralOwnerMissing => self.err_collateral_owner_missing,
            E::CollateralRegistrationInvalid => self.err_collateral_registration_invalid,
            E::CollateralSameCustodian => self.err_collateral_same_custodian,
            E::CollateralValuationInFuture => self.err_collateral_valuation_in_future,
            E::CollateralValuationNotPositive => self.err_collateral_valuation_not_positive,
            E::CollateralValuationStale => self.err_collateral_valuation_stale,
            E::GuarantorAlreadyRecorded => self.err_guarantor_already_recorded,
            E::GuarantorBureauUnavailable => self.err_guarantor_bureau_unavailable,
            E::GuarantorDeclined => self.err_guarantor_declined,
            E::GuarantorIsBorrower => self.err_guarantor_is_borrower,
            E::GuarantorMissing => self.err_guarantor_missing,
            E::GuarantorNameInvalid => self.err_guarantor_name_invalid,
            E::GuarantorNotChecked => self.err_guarantor_not_checked,
            E::GuarantorNotSigned => self.err_guarantor_not_signed,
            E::GuarantorStepInvalid => self.err_guarantor_step_invalid,
            E::ContractAlreadySigned => self.err_contract_already_signed,
            E::MortgageContractNotSigned => self.err_mortgage_contract_not_signed,
            E::WriteOffNotEligible => self.err_write_off_not_eligible,
            E::WriteOffPending => self.err_write_off_pending,
            E::WriteOffReasonRequired => self.err_write_off_reason_required,
            E::WriteOffSameApprover => self.err_write_off_same_approver,
            E::ContractVoidReasonRequired => self.err_contract_void_reason_required,
            E::GuaranteeNeedsLoanContract => self.err_guarantee_needs_loan_contract,
            E::LoanNotSettled => self.err_loan_not_settled,
            E::PrepaymentExceedsBalance => self.err_prepayment_exceeds_balance,
            E::PrepaymentModeNotSupported => self.err_prepayment_mode_not_supported,
            E::PrepaymentNotAmortising => self.err_prepayment_not_amortising,
            E::PrepaymentNothingRemaining => self.err_prepayment_nothing_remaining,
            E::RepaymentExceedsDue => self.err_repayment_exceeds_due,
            E::ScheduleDateOutOfRange
            | E::ScheduleFirstDueNotAfterStart
            | E::ScheduleFirstPeriodTooLong
            | E::ScheduleInterestTooLarge
            | E::ScheduleNegativeBalance
            | E::ScheduleNoFixedSchedule
            | E::ScheduleNonPositivePrincipal
            | E::SchedulePrincipalTooLarge
            | E::ScheduleRepaymentDayOutOfRange
            | E::ScheduleTermTooLong
            | E::ScheduleZeroTerm => self.err_schedule,
            E::AuthorisationDateInvalid => self.err_authorisation_date_invalid,
            E::AuthorisationEvidenceInvalid => self.err_authorisation_evidence_invalid,
            E::LimitAboveProductMax => self.err_limit_above_product_max,
            E::OfferAbovePreApproved => self.err_offer_above_pre_approved,
            E::OfferAlreadyOpen => self.err_offer_already_open,
            E::OfferExpired => self.err_offer_expired,
            E::OfferLimitNotPositive => self.err_offer_limit_not_positive,
            E::OfferLineMonthsOutOfRange => self.err_offer_line_months_out_of_range,
            E::OfferResultNotApproved => self.err_offer_result_not_approved,
            E::OfferValidDaysOutOfRange => self.err_offer_valid_days_out_of_range,
            E::OfficerUnknown => self.err_officer_unknown,
            E::PrecreditJobBusy => self.err_precredit_job_busy,
            E::PrecreditProductRequired => self.err_precredit_product_required,
            E::PrecreditProductUnknown => self.err_precredit_product_unknown,
            E::WhitelistAmbiguousVillage => self.wlr_ambiguous_village,
            E::WhitelistAuthorisationInvalid => self.wlr_authorisation_invalid,
            E::WhitelistCustomerOutOfScope => self.wlr_customer_out_of_scope,
            E::WhitelistDuplicatePhone => self.wlr_duplicate_phone,
            E::WhitelistDuplicateRow => self.wlr_duplicate_row,
            E::WhitelistEmpty => self.err_whitelist_empty,
            E::WhitelistLimitAboveProductMax => self.wlr_limit_above_product_max,
            E::WhitelistLimitNotNumber => self.wlr_limit_not_number,
            E::WhitelistLimitNotPositive => self.wlr_limit_not_positive,
            E::WhitelistMissingColumn => self.err_whitelist_missing_column,
            E::WhitelistNameMismatch => self.wlr_name_mismatch,
            E::WhitelistNameMissing => self.wlr_name_missing,
            E::WhitelistNeedsBank => self.err_whitelist_needs_bank,
            E::WhitelistPhoneRequired => self.wlr_phone_required,
            E::WhitelistPhoneTaken => self.wlr_phone_taken,
            E::WhitelistTooLarge => self.err_whitelist_too_large,
            E::WhitelistTooManyColumns => self.err_whitelist_too_many_columns,
            E::WhitelistTooManyRows => self.err_whitelist_too_many_rows,
            E::WhitelistUnknownVillage => self.wlr_unknown_village,
            E::WhitelistUnreadable => self.err_whitelist_unreadable,
            E::WhitelistVillageOutOfScope => self.wlr_village_out_of_scope,
            E::WhitelistNoFile => self.wl_no_file,
            E::WhitelistUploadTooLarge => self.wl_too_large,
            E::OrgCodeInvalid => self.err_org_code_invalid,
            E::OrgCodeTaken => self.err_org_code_taken,
            E::OrgNameInvalid => self.err_org_name_invalid,
            E::OrgParentInvalid => self.err_org_parent_invalid,
            E::OrgUnknown => self.err_org_unknown,
            E::RolesMissing => self.err_roles_missing,
            E::UsernameInvalid => self.err_username_invalid,
            E::UsernameTaken => self.err_username_taken,
            E::ContractContentInvalid => self.err_contract_content_invalid,
            E::ContractEsignFailed => self.err_contract_esign_failed,
            E::ContractNeedsApproval => self.err_contract_needs_approval,
            E::AccountNumberInvalid => self.err_account_number_invalid,
            E::IdPhotoUnreadable => self.err_id_photo_unreadable,
            E::IdPhotoWrongSide => self.err_id_photo_wrong_side,
            E::IdNameInvalid => self.err_id_name_invalid,
            E::IdAddressInvalid => self.err_id_address_invalid,
            E::IdValidityInvalid => self.err_id_validity_invalid,
            E::IdCardExpired => self.err_id_card_expired,
            E::ApplicantUnderAge => self.err_applicant_under_age,
            E::CardNumberCheckFailed => self.err_card_number_check_failed,
            E::UploadTooLarge => self.err_upload_too_large,
            E::UploadNotImage => self.err_upload_not_image,
            E::SelfieMismatch => self.err_selfie_mismatch,
            E::SelfieNotLive => self.err_selfie_not_live,
            E::IdentityProviderUnavailable => self.err_identity_provider_unavailable,
            E::IdentityNotVerified => self.err_identity_not_verified,
            E::IdNumberRegisteredElsewhere => self.err_id_number_registered_elsewhere,
            E::IdPhotosMissing => self.err_id_photos_missing,
            E::AccountVerificationFailed => self.err_account_verification_failed,
            E::AccountNotVerified => self.err_account_not_verified,
            E::AlreadyDisbursed => self.err_already_disbursed,
            E::ContractNotSigned => self.err_contract_not_signed,
            E::DisbursementNotReady => self.err_disbursement_not_ready,
            E::PayoutDeclined => self.err_payout_declined,
            E::PayoutPending => self.err_payout_pending,
            E::PayoutUnavailable => self.err_payout_unavailable,
            E::ContractSignatureMissing => self.err_contract_signature_missing,
            E::ContractTemplateEmpty => self.err_contract_template_empty,
            E::ContractTemplateMissingPlaceholder => self.err_contract_template_missing_placeholder,
            E::ContractTemplateStrayClose => self.err_contract_template_stray_close,
            E::ContractTemplateTooLarge => self.err_contract_template_too_large,
            E::ContractTemplateUnclosed => self.err_contract_template_unclosed,
            E::ContractTemplateUnknownPlaceholder => self.err_contract_template_unknown_placeholder,
            E::ContractTemplateSelfPublish => self.err_contract_template_self_publish,
            E::ContractSignatureTooLarge => self.err_contract_signature_too_large,
            E::ContractSignatureNotPng => self.err_contract_signature_not_png,
            E::ContractFileMissing => self.err_contract_file_missing,
            E::ContractFileTooLarge => self.err_contract_file_too_large,
        }
    }

    /// What is wrong with a rule-set definition, in the editor's words: a
    /// problem of the definition has its own message, any other code the
    /// message of [`Texts::error`].
    pub fn rule_problem(&self, code: ErrorCode) -> &'static str {
        use ErrorCode as E;
        match code {
            E::ExprSyntax => self.err_expr_syntax,
            E::ExprBadLiteral => self.err_expr_bad_literal,
            E::ExprUnknownFeature => self.err_expr_unknown_feature,
            E::ExprUnknownFunction => self.err_expr_unknown_function,
            E::ExprArity => self.err_expr_arity,
            E::ExprTypeMismatch => self.err_expr_type_mismatch,
            E::TableNoColumns => self.err_table_no_columns,
            E::TableRowWidth => self.err_table_row_width,
            E::TableBadOutput => self.err_table_bad_output,
            E::TablePriority => self.err_table_priority,
            E::TableAggregation => self.err_table_aggregation,
            E::ScorecardNoGrades => self.err_scorecard_no_grades,
            E::ScorecardGradeOrder => self.err_scorecard_grade_order,
            E::ScorecardNoBins => self.err_scorecard_no_bins,
            E::StrategyStageOrder => self.err_strategy_stage_order,
            E::StrategyScorecardPlace => self.err_strategy_scorecard_place,
            E::StrategyScoreAfterScoring => self.err_strategy_score_after_scoring,
            E::StrategyRateBounds => self.err_strategy_rate_bounds,
            E::StrategyOutputFeature => self.err_strategy_output_feature,
            E::RuleBadReasonCode => self.err_rule_bad_reason_code,
            E::RuleDuplicateId => self.err_rule_duplicate_id,
            other => self.error(other),
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

    /// Why a whitelist row was not imported, as short as a table cell
    /// wants: a bad ID or phone number is worded for the row, any other
    /// code (the `whitelist_…` row codes among them) as [`Texts::error`].
    pub fn whitelist_problem(&self, code: ErrorCode) -> &'static str {
        use ErrorCode as E;
        match code {
            E::IdLength | E::IdChars | E::IdBirthDate | E::IdChecksum => self.wlr_bad_id_number,
            E::PhoneInvalid => self.wlr_phone_invalid,
            other => self.error(other),
        }
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
            S::Renewal => self.decision_renewal,
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

    /// The category of reason a refusal gives the customer, and the advice
    /// that goes with it.
    pub fn decline(&self, c: domain::notice::DeclineCategory) -> (&'static str, &'static str) {
        use domain::notice::DeclineCategory as D;
        match c {
            D::RepaymentCapacity => (
                self.decline_repayment_capacity,
                self.advice_repayment_capacity,
            ),
            D::CreditRecord => (self.decline_credit_record, self.advice_credit_record),
            D::Indebtedness => (self.decline_indebtedness, self.advice_indebtedness),
            D::InformationUnverified => (
                self.decline_information_unverified,
                self.advice_information_unverified,
            ),
            D::PurposeIneligible => (
                self.decline_purpose_ineligible,
                self.advice_purpose_ineligible,
            ),
            D::ProductCriteria => (self.decline_product_criteria, self.advice_product_criteria),
        }
    }

    /// Where a visit stands, as staff read it.
    pub fn visit_status(&self, s: domain::visit::VisitStatus) -> &'static str {
        use domain::visit::VisitStatus as S;
        match s {
            S::Requested => self.visit_status_requested,
            S::Proposed => self.visit_status_proposed,
            S::Confirmed => self.visit_status_confirmed,
            S::Cancelled => self.visit_status_cancelled,
        }
    }

    /// "12月8日 周二": a visit day's heading.
    pub fn visit_day(&self, date: domain::date::Date) -> String {
        // 1970-01-01 was a Thursday.
        let weekday = usize::try_from((date.days_since_epoch() + 3).rem_euclid(7)).unwrap_or(0);
        let w = self.weekdays.split(',').nth(weekday).unwrap_or_default();
        crate::i18n::fill(
            self.visit_day,
            &[
                ("m", date.month().to_string()),
                ("d", date.day().to_string()),
                ("w", w.to_string()),
            ],
        )
    }

    /// The title of a notice.
    pub fn notice_title(&self, kind: domain::notice::NoticeKind) -> &'static str {
        use domain::notice::NoticeKind as K;
        match kind {
            K::Submitted => self.notice_submitted,
            K::Investigated => self.notice_investigated,
            K::Approved => self.notice_approved,
            K::Rejected => self.notice_rejected,
            K::Withdrawn => self.notice_withdrawn,
            K::PaidOut => self.notice_paid_out,
            K::VisitConfirmed => self.notice_visit_confirmed,
            K::VisitProposed => self.notice_visit_proposed,
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
            "ltv_cap" => self.pf_ltv_cap,
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

    /// What choosing a guarantee type asks of the applicant.
    pub fn guarantee_hint(&self, kind: domain::product::GuaranteeType) -> &'static str {
        use domain::product::GuaranteeType as G;
        match kind {
            G::Credit => self.apply_hint_credit,
            G::Guarantor => self.apply_hint_guarantor,
            G::Mortgage => self.apply_hint_mortgage,
            G::Pledge => self.apply_hint_pledge,
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
            S::WrittenOff => self.inst_written_off,
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

    pub fn collateral_kind(&self, k: domain::collateral::CollateralKind) -> &'static str {
        use domain::collateral::CollateralKind as K;
        match k {
            K::House => self.clt_kind_house,
            K::LandRight => self.clt_kind_land_right,
            K::Vehicle => self.clt_kind_vehicle,
            K::Equipment => self.clt_kind_equipment,
            K::DepositSlip => self.clt_kind_deposit_slip,
            K::Receivable => self.clt_kind_receivable,
        }
    }

    pub fn custody(&self, c: domain::collateral::Custody) -> &'static str {
        use domain::collateral::Custody as C;
        match c {
            C::Registered => self.clt_custody_registered,
            C::InPending => self.clt_custody_in_pending,
            C::InVault => self.clt_custody_in_vault,
            C::OutPending => self.clt_custody_out_pending,
            C::Released => self.clt_custody_released,
        }
    }

    pub fn write_off_status(&self, s: domain::view::WriteOffStatus) -> &'static str {
        use domain::view::WriteOffStatus as S;
        match s {
            S::Proposed => self.wo_status_proposed,
            S::Approved => self.wo_status_approved,
            S::Refused => self.wo_status_refused,
        }
    }

    pub fn guarantor_relation(&self, r: domain::guarantor::GuarantorRelation) -> &'static str {
        use domain::guarantor::GuarantorRelation as R;
        match r {
            R::Relative => self.gtr_rel_relative,
            R::Neighbour => self.gtr_rel_neighbour,
            R::Friend => self.gtr_rel_friend,
            R::Colleague => self.gtr_rel_colleague,
            R::BusinessPartner => self.gtr_rel_business_partner,
            R::Other => self.gtr_rel_other,
        }
    }

    pub fn guarantor_status(&self, s: domain::guarantor::GuarantorStatus) -> &'static str {
        use domain::guarantor::GuarantorStatus as S;
        match s {
            S::Recorded => self.gtr_status_recorded,
            S::Consented => self.gtr_status_consented,
            S::Accepted => self.gtr_status_accepted,
            S::Declined => self.gtr_status_declined,
            S::Signed => self.gtr_status_signed,
            S::Removed => self.gtr_status_removed,
        }
    }

    pub fn decline_reason(&self, r: domain::guarantor::DeclineReason) -> &'static str {
        use domain::guarantor::DeclineReason as D;
        match r {
            D::Blacklisted => self.gtr_decline_blacklisted,
            D::SeriousDelinquency => self.gtr_decline_serious_delinquency,
            D::LowScore => self.gtr_decline_low_score,
            D::TooManyLenders => self.gtr_decline_too_many_lenders,
        }
    }

    pub fn prepayment_kind(&self, k: domain::servicing::eod::PrepaymentKind) -> &'static str {
        use domain::servicing::eod::PrepaymentKind as K;
        match k {
            K::Payoff => self.prepay_kind_payoff,
            K::ShortenTerm => self.prepay_kind_shorten,
            K::LowerInstalment => self.prepay_kind_lower,
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
