//! Every error code a user can receive, as one enum.
//!
//! The service, the domain and the app's server functions refuse with an
//! [`ErrorCode`]; it crosses the wire as its stable snake_case string
//! ([`ErrorCode::as_str`]) and the app turns it into words with an
//! exhaustive match, so a new code without a message in both locales does
//! not compile and no raw code can reach a user. The strings are part of
//! the HTTP API and stored in a few tables (whitelist import problems, a
//! failed job's reason): never change one, only add.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Lists each variant once with its wire string, and derives the enum,
/// [`ErrorCode::ALL`], [`ErrorCode::as_str`] and [`ErrorCode::from_code`].
macro_rules! error_codes {
    ($( $(#[$doc:meta])* $variant:ident => $code:literal, )*) => {
        /// A stable, user-facing error code; see the module documentation.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum ErrorCode {
            $( $(#[$doc])* $variant, )*
        }

        impl ErrorCode {
            /// Every code, in declaration order.
            pub const ALL: &'static [ErrorCode] = &[$(ErrorCode::$variant,)*];

            /// The wire form, e.g. `"money_invalid"`.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $(ErrorCode::$variant => $code,)*
                }
            }

            /// The code of a wire string; `None` for one we never issue.
            pub fn from_code(code: &str) -> Option<ErrorCode> {
                match code {
                    $($code => Some(ErrorCode::$variant),)*
                    _ => None,
                }
            }
        }
    };
}

error_codes! {
    // ---- Sessions, access and the transport
    DatabaseNotEmpty => "database_not_empty",
    Duplicate => "duplicate",
    FieldRequired => "field_required",
    Forbidden => "forbidden",
    IdempotencyKeyInvalid => "idempotency_key_invalid",
    /// Anything the user cannot act on; the cause is logged, never sent.
    Internal => "internal",
    /// A request naming a step, method or kind the server does not know.
    InvalidStep => "invalid_step",
    /// The request did not reach the server or its answer did not come back.
    Network => "network",
    NotFound => "not_found",
    Unauthenticated => "unauthenticated",
    // ---- Signing in: passwords, SMS codes and the second factor
    AccountLocked => "account_locked",
    CodeExpired => "code_expired",
    CodeInvalid => "code_invalid",
    InvalidCredentials => "invalid_credentials",
    PasswordChangeRequired => "password_change_required",
    PasswordCommon => "password_common",
    PasswordContainsUsername => "password_contains_username",
    PasswordCurrentWrong => "password_current_wrong",
    PasswordMismatch => "password_mismatch",
    PasswordReused => "password_reused",
    PasswordTooLong => "password_too_long",
    PasswordTooShort => "password_too_short",
    PasswordTooSimple => "password_too_simple",
    PasswordUnchanged => "password_unchanged",
    RateLimited => "rate_limited",
    SecondFactorInvalid => "second_factor_invalid",
    SecondFactorRequired => "second_factor_required",
    SmsFailed => "sms_failed",
    TotpAlreadyEnrolled => "totp_already_enrolled",
    TotpEnrolmentRequired => "totp_enrolment_required",
    TotpNotStarted => "totp_not_started",
    UnknownCustomer => "unknown_customer",
    // ---- Values typed in: money, rates, dates, ID and phone numbers
    DateInvalid => "date_invalid",
    DateOutOfRange => "date_out_of_range",
    IdBirthDate => "id_birth_date",
    IdChars => "id_chars",
    IdChecksum => "id_checksum",
    IdLength => "id_length",
    MoneyEmpty => "money_empty",
    MoneyInvalid => "money_invalid",
    MoneyNegative => "money_negative",
    MoneyOverflow => "money_overflow",
    MoneyTooManyDecimals => "money_too_many_decimals",
    PhoneInvalid => "phone_invalid",
    RateInvalid => "rate_invalid",
    RateOutOfRange => "rate_out_of_range",
    // ---- Loan applications, investigation and approval
    AmountAboveMax => "amount_above_max",
    AmountBelowMin => "amount_below_min",
    ApplicationStateChanged => "application_state_changed",
    ApplicationsDailyLimit => "applications_daily_limit",
    CommentTooLong => "comment_too_long",
    ConsentMissing => "consent_missing",
    EngineLimitExceeded => "engine_limit_exceeded",
    EngineRejected => "engine_rejected",
    FindingsMissing => "findings_missing",
    FindingsTooLong => "findings_too_long",
    NoOfficerAvailable => "no_officer_available",
    ProductRangesInvalid => "product_ranges_invalid",
    PurposeMissing => "purpose_missing",
    PurposeTooLong => "purpose_too_long",
    SelfApproval => "self_approval",
    TermOutOfRange => "term_out_of_range",
    VisitedOnFuture => "visited_on_future",
    // ---- Flow tasks, opinions, reassignment and the separation of duties
    DutyPostsNotSeparated => "duty_posts_not_separated",
    DutySamePersonParallel => "duty_same_person_parallel",
    DutySelfCheck => "duty_self_check",
    OpinionAlreadyGiven => "opinion_already_given",
    OpinionDuplicatePerson => "opinion_duplicate_person",
    OpinionGiven => "opinion_given",
    OpinionNotAssigned => "opinion_not_assigned",
    OpinionQuorumInvalid => "opinion_quorum_invalid",
    OpinionTooFewPeople => "opinion_too_few_people",
    PickAtWorkloadCap => "pick_at_workload_cap",
    PickDuplicateEntry => "pick_duplicate_entry",
    PickNotEnoughEligible => "pick_not_enough_eligible",
    PickOtherBranch => "pick_other_branch",
    PickRelatedToCustomer => "pick_related_to_customer",
    PickWasMarketer => "pick_was_marketer",
    PickWrongRole => "pick_wrong_role",
    ReasonMissing => "reason_missing",
    ReasonTooLong => "reason_too_long",
    ReassignChoosePerson => "reassign_choose_person",
    ReassignNotEligible => "reassign_not_eligible",
    ReassignSamePerson => "reassign_same_person",
    RouteAtEnd => "route_at_end",
    RouteNoRoute => "route_no_route",
    RouteOutcomeNotApplicable => "route_outcome_not_applicable",
    RouteUnknownNode => "route_unknown_node",
    TaskCannotReject => "task_cannot_reject",
    /// Refusing needs the category of reason the customer is told.
    DeclineCategoryMissing => "decline_category_missing",
    /// Only a refusal has a category of reason.
    DeclineCategoryUnexpected => "decline_category_unexpected",
    /// A visit slot off the hour, outside 08:00–18:00, past or too far ahead.
    VisitSlotInvalid => "visit_slot_invalid",
    /// A slot starting within two hours.
    VisitSlotTooSoon => "visit_slot_too_soon",
    /// Someone booked the slot first.
    VisitSlotTaken => "visit_slot_taken",
    /// The visit changed meanwhile (answered, cancelled).
    VisitChanged => "visit_changed",
    /// The application no longer waits for a visit.
    VisitNotOpen => "visit_not_open",
    TaskNeedsForm => "task_needs_form",
    TaskNotAssigned => "task_not_assigned",
    // ---- Family relations of customers
    RelationChoose => "relation_choose",
    RelationCustomerUnknown => "relation_customer_unknown",
    RelationExists => "relation_exists",
    // ---- Products (产品工厂) and approval flows
    DutyLimitMissing => "duty_limit_missing",
    FdGuaranteeMissing => "fd_guarantee_missing",
    FdNumberInvalid => "fd_number_invalid",
    FlowApprovalSkipped => "flow_approval_skipped",
    FlowCodeInvalid => "flow_code_invalid",
    FlowDeadEnd => "flow_dead_end",
    FlowDuplicateNode => "flow_duplicate_node",
    FlowEmptyFactSpace => "flow_empty_fact_space",
    FlowEndHasEdges => "flow_end_has_edges",
    /// A flow refused with no problem named (not expected).
    FlowInvalid => "flow_invalid",
    FlowLoopWithoutExit => "flow_loop_without_exit",
    FlowNameInvalid => "flow_name_invalid",
    FlowOutcomeNotApplicable => "flow_outcome_not_applicable",
    FlowPreScreenRenamed => "flow_pre_screen_renamed",
    FlowQuorumInvalid => "flow_quorum_invalid",
    FlowTooLarge => "flow_too_large",
    FlowUnknown => "flow_unknown",
    FlowUnknownNode => "flow_unknown_node",
    FlowUnreachableNode => "flow_unreachable_node",
    ParentNotPublished => "parent_not_published",
    PricingIncomplete => "pricing_incomplete",
    ProductAdjustmentOutsideRange => "product_adjustment_outside_range",
    ProductAgeInvalid => "product_age_invalid",
    ProductBaseRateOutsideRange => "product_base_rate_outside_range",
    ProductBlankEntry => "product_blank_entry",
    ProductCodeInvalid => "product_code_invalid",
    ProductCodeTaken => "product_code_taken",
    ProductDuplicateEntry => "product_duplicate_entry",
    /// A sub-product's live version would reach beyond the parent version
    /// being published (param `product`: the sub-product's code).
    ProductChildWidens => "product_child_widens",
    /// Another manager's draft of this product is open (param `name`).
    ProductDraftOpen => "product_draft_open",
    ProductDutyBandsUnordered => "product_duty_bands_unordered",
    ProductEmptyList => "product_empty_list",
    /// A parent product cannot be withdrawn while a sub-product is live.
    ProductHasLiveChildren => "product_has_live_children",
    /// A product refused with no problem named (not expected).
    ProductInvalid => "product_invalid",
    ProductMissingReference => "product_missing_reference",
    ProductNameInvalid => "product_name_invalid",
    ProductNotAuthor => "product_not_author",
    ProductOutsideBankPolicy => "product_outside_bank_policy",
    ProductRangeIncomplete => "product_range_incomplete",
    /// Withdrawing a product version needs its reason.
    ProductRetireReasonRequired => "product_retire_reason_required",
    ProductRangeInverted => "product_range_inverted",
    ProductRegionInvalid => "product_region_invalid",
    ProductRevolvingMethodWithoutLine => "product_revolving_method_without_line",
    ProductSelfPublish => "product_self_publish",
    ProductVersionImmutable => "product_version_immutable",
    ProductVersionInvalid => "product_version_invalid",
    ProductVersionStateChanged => "product_version_state_changed",
    ProductWidensParent => "product_widens_parent",
    /// The applicant chose a repayment method the product does not offer.
    ApplicationMethodNotOffered => "application_method_not_offered",
    /// The applicant chose a guarantee type the product does not offer.
    ApplicationGuaranteeNotOffered => "application_guarantee_not_offered",
    // ---- Rule sets and the decision engine
    EvalDivisionByZero => "eval_division_by_zero",
    EvalInvalidIdNumber => "eval_invalid_id_number",
    EvalOverflow => "eval_overflow",
    EvalWrongSchema => "eval_wrong_schema",
    ExprArity => "expr_arity",
    ExprBadLiteral => "expr_bad_literal",
    ExprSyntax => "expr_syntax",
    ExprTypeMismatch => "expr_type_mismatch",
    ExprUnknownFeature => "expr_unknown_feature",
    ExprUnknownFunction => "expr_unknown_function",
    RuleBadReasonCode => "rule_bad_reason_code",
    RuleDuplicateId => "rule_duplicate_id",
    RuleSetNoteTooLong => "rule_set_note_too_long",
    RuleSetNotAuthor => "rule_set_not_author",
    RuleSetProductMismatch => "rule_set_product_mismatch",
    RuleSetStateChanged => "rule_set_state_changed",
    SchemaBadName => "schema_bad_name",
    SchemaDuplicate => "schema_duplicate",
    SchemaReserved => "schema_reserved",
    SchemaUnknownFeature => "schema_unknown_feature",
    SchemaWrongRecord => "schema_wrong_record",
    SchemaWrongType => "schema_wrong_type",
    ScorecardGradeOrder => "scorecard_grade_order",
    ScorecardNoBins => "scorecard_no_bins",
    ScorecardNoGrades => "scorecard_no_grades",
    StrategyOutputFeature => "strategy_output_feature",
    StrategyRateBounds => "strategy_rate_bounds",
    StrategyScoreAfterScoring => "strategy_score_after_scoring",
    StrategyScorecardPlace => "strategy_scorecard_place",
    StrategyStageOrder => "strategy_stage_order",
    TableAggregation => "table_aggregation",
    TableBadOutput => "table_bad_output",
    TableNoColumns => "table_no_columns",
    TablePriority => "table_priority",
    TableRowWidth => "table_row_width",
    // ---- Servicing: repayments, credit lines, schedules, the ledger and end of day
    AmountNotPositive => "amount_not_positive",
    CreditLineAmountNotPositive => "credit_line_amount_not_positive",
    CreditLineCancelled => "credit_line_cancelled",
    CreditLineExpired => "credit_line_expired",
    CreditLineExpiryNotAfterGrant => "credit_line_expiry_not_after_grant",
    CreditLineFrozen => "credit_line_frozen",
    /// A higher limit goes through `adjust_line_limit` (two people).
    CreditLineIncreaseNeedsReview => "credit_line_increase_needs_review",
    /// An increase of this line is already waiting for approval.
    CreditLineIncreaseOpen => "credit_line_increase_open",
    CreditLineIncreaseReasonRequired => "credit_line_increase_reason_required",
    CreditLineInsufficientAvailable => "credit_line_insufficient_available",
    CreditLineLimitBelowUsed => "credit_line_limit_below_used",
    CreditLineLimitNotPositive => "credit_line_limit_not_positive",
    CreditLineNotFrozen => "credit_line_not_frozen",
    CreditLineNotYetExpired => "credit_line_not_yet_expired",
    CreditLineOfficerMissing => "credit_line_officer_missing",
    CreditLineOutstandingBalance => "credit_line_outstanding_balance",
    CreditLineRepaymentExceedsOutstanding => "credit_line_repayment_exceeds_outstanding",
    CreditLineSameOfficer => "credit_line_same_officer",
    EodDateBeforeLastProcessed => "eod_date_before_last_processed",
    EodAlreadyRunning => "eod_already_running",
    EodDateInFuture => "eod_date_in_future",
    EodLoanClosed => "eod_loan_closed",
    EodMaturityNotAfterValueDate => "eod_maturity_not_after_value_date",
    EodNothingToWriteOff => "eod_nothing_to_write_off",
    EodOverflow => "eod_overflow",
    EodPenaltyMultiplierOutOfRange => "eod_penalty_multiplier_out_of_range",
    EodScheduleMismatch => "eod_schedule_mismatch",
    EodThresholdsNotIncreasing => "eod_thresholds_not_increasing",
    LedgerAmountNotPositive => "ledger_amount_not_positive",
    LedgerExceedsOutstanding => "ledger_exceeds_outstanding",
    LedgerKeyInvalid => "ledger_key_invalid",
    LedgerNegativeDue => "ledger_negative_due",
    LedgerNegativeLine => "ledger_negative_line",
    LedgerOrderNotPermutation => "ledger_order_not_permutation",
    LedgerOverflow => "ledger_overflow",
    LedgerPostingEmpty => "ledger_posting_empty",
    LedgerTwoSidedLine => "ledger_two_sided_line",
    LedgerUnbalanced => "ledger_unbalanced",
    LedgerZeroLine => "ledger_zero_line",
    CollateralAlreadyPledged => "collateral_already_pledged",
    CollateralCaptionTooLong => "collateral_caption_too_long",
    CollateralCertificateInvalid => "collateral_certificate_invalid",
    CollateralCustodyMoveInvalid => "collateral_custody_move_invalid",
    CollateralLtvAboveCap => "collateral_ltv_above_cap",
    CollateralMissing => "collateral_missing",
    CollateralNotInVault => "collateral_not_in_vault",
    CollateralPhotoInvalid => "collateral_photo_invalid",
    CollateralTooManyPhotos => "collateral_too_many_photos",
    CollateralNotRegistered => "collateral_not_registered",
    CollateralOwnerMissing => "collateral_owner_missing",
    CollateralRegistrationInvalid => "collateral_registration_invalid",
    CollateralSameCustodian => "collateral_same_custodian",
    CollateralValuationInFuture => "collateral_valuation_in_future",
    CollateralValuationNotPositive => "collateral_valuation_not_positive",
    CollateralValuationStale => "collateral_valuation_stale",
    GuarantorAlreadyRecorded => "guarantor_already_recorded",
    GuarantorBureauUnavailable => "guarantor_bureau_unavailable",
    GuarantorDeclined => "guarantor_declined",
    GuarantorIsBorrower => "guarantor_is_borrower",
    GuarantorMissing => "guarantor_missing",
    GuarantorNameInvalid => "guarantor_name_invalid",
    GuarantorNotChecked => "guarantor_not_checked",
    GuarantorNotSigned => "guarantor_not_signed",
    GuarantorStepInvalid => "guarantor_step_invalid",
    GuaranteeNeedsLoanContract => "guarantee_needs_loan_contract",
    /// A guarantee or mortgage contract is signed: its guarantors or its
    /// collateral can no longer change.
    ContractAlreadySigned => "contract_already_signed",
    MortgageContractNotSigned => "mortgage_contract_not_signed",
    ContractVoidReasonRequired => "contract_void_reason_required",
    WriteOffNotEligible => "write_off_not_eligible",
    WriteOffPending => "write_off_pending",
    WriteOffReasonRequired => "write_off_reason_required",
    WriteOffSameApprover => "write_off_same_approver",
    LoanClosed => "loan_closed",
    LoanNotSettled => "loan_not_settled",
    PaymentDeclined => "payment_declined_insufficient_balance",
    PaymentPending => "payment_pending",
    PaymentUnavailable => "payment_provider_unavailable",
    PaymentRefunded => "payment_refunded",
    PrepaymentAmountNotPositive => "prepayment_amount_not_positive",
    PrepaymentBalanceMismatch => "prepayment_balance_mismatch",
    PrepaymentDateOutsidePeriod => "prepayment_date_outside_period",
    PrepaymentDuesFirst => "prepayment_dues_first",
    PrepaymentQuoteChanged => "prepayment_quote_changed",
    PrepaymentExceedsBalance => "prepayment_exceeds_balance",
    PrepaymentModeNotSupported => "prepayment_mode_not_supported",
    PrepaymentNotAmortising => "prepayment_not_amortising",
    PrepaymentNothingRemaining => "prepayment_nothing_remaining",
    RepaymentExceedsDue => "repayment_exceeds_due",
    ScheduleDateOutOfRange => "schedule_date_out_of_range",
    ScheduleFirstDueNotAfterStart => "schedule_first_due_not_after_start",
    ScheduleFirstPeriodTooLong => "schedule_first_period_too_long",
    ScheduleInterestTooLarge => "schedule_interest_too_large",
    ScheduleNegativeBalance => "schedule_negative_balance",
    ScheduleNoFixedSchedule => "schedule_no_fixed_schedule",
    ScheduleNonPositivePrincipal => "schedule_non_positive_principal",
    SchedulePrincipalTooLarge => "schedule_principal_too_large",
    ScheduleRepaymentDayOutOfRange => "schedule_repayment_day_out_of_range",
    ScheduleTermTooLong => "schedule_term_too_long",
    ScheduleZeroTerm => "schedule_zero_term",
    // ---- Pre-credit (预授信): whitelists, bureau authorisations and offers
    AuthorisationDateInvalid => "authorisation_date_invalid",
    AuthorisationEvidenceInvalid => "authorisation_evidence_invalid",
    LimitAboveProductMax => "limit_above_product_max",
    OfferAbovePreApproved => "offer_above_pre_approved",
    OfferAlreadyOpen => "offer_already_open",
    OfferExpired => "offer_expired",
    OfferLimitNotPositive => "offer_limit_not_positive",
    OfferLineMonthsOutOfRange => "offer_line_months_out_of_range",
    OfferResultNotApproved => "offer_result_not_approved",
    OfferValidDaysOutOfRange => "offer_valid_days_out_of_range",
    OfficerUnknown => "officer_unknown",
    PrecreditJobBusy => "precredit_job_busy",
    PrecreditProductRequired => "precredit_product_required",
    PrecreditProductUnknown => "precredit_product_unknown",
    WhitelistAmbiguousVillage => "whitelist_ambiguous_village",
    WhitelistAuthorisationInvalid => "whitelist_authorisation_invalid",
    WhitelistCustomerOutOfScope => "whitelist_customer_out_of_scope",
    WhitelistDuplicatePhone => "whitelist_duplicate_phone",
    WhitelistDuplicateRow => "whitelist_duplicate_row",
    WhitelistEmpty => "whitelist_empty",
    WhitelistLimitAboveProductMax => "whitelist_limit_above_product_max",
    WhitelistLimitNotNumber => "whitelist_limit_not_number",
    WhitelistLimitNotPositive => "whitelist_limit_not_positive",
    WhitelistMissingColumn => "whitelist_missing_column",
    WhitelistNameMismatch => "whitelist_name_mismatch",
    WhitelistNameMissing => "whitelist_name_missing",
    WhitelistNeedsBank => "whitelist_needs_bank",
    WhitelistPhoneRequired => "whitelist_phone_required",
    WhitelistPhoneTaken => "whitelist_phone_taken",
    /// The uploaded workbook is over the limit (`max_mb`).
    WhitelistTooLarge => "whitelist_too_large",
    WhitelistTooManyColumns => "whitelist_too_many_columns",
    WhitelistTooManyRows => "whitelist_too_many_rows",
    WhitelistUnknownVillage => "whitelist_unknown_village",
    WhitelistUnreadable => "whitelist_unreadable",
    WhitelistVillageOutOfScope => "whitelist_village_out_of_scope",
    /// No file chosen to upload (checked in the browser).
    WhitelistNoFile => "wl_no_file",
    /// The chosen file is over the upload limit (checked in the browser).
    WhitelistUploadTooLarge => "wl_too_large",
    // ---- Organisations and staff
    OrgCodeInvalid => "org_code_invalid",
    OrgCodeTaken => "org_code_taken",
    OrgNameInvalid => "org_name_invalid",
    OrgParentInvalid => "org_parent_invalid",
    OrgUnknown => "org_unknown",
    RolesMissing => "roles_missing",
    UsernameInvalid => "username_invalid",
    UsernameTaken => "username_taken",
    // ---- Disbursement (放款) and the customer's bound bank account
    /// A bank account number that is not 10 to 30 digits.
    AccountNumberInvalid => "account_number_invalid",
    /// The payout provider found the account does not belong to the
    /// customer (name, ID number and phone do not match it).
    AccountVerificationFailed => "account_verification_failed",
    /// No verified bank account to pay the loan into.
    AccountNotVerified => "account_not_verified",
    /// The loan is paid out already.
    AlreadyDisbursed => "already_disbursed",
    /// The loan contract is not signed yet.
    ContractNotSigned => "contract_not_signed",
    /// The application is not at its disbursement step.
    DisbursementNotReady => "disbursement_not_ready",
    /// The payout was refused for this account (`reason`); nothing was paid.
    PayoutDeclined => "payout_declined",
    /// The payout is sent and its result not known yet.
    PayoutPending => "payout_pending",
    /// The payout provider could not be reached; nothing was paid.
    PayoutUnavailable => "payout_unavailable",
    // ---- Contracts (合同): templates and signed contract files
    /// A signed contract file that is damaged or not in the canonical form.
    ContractContentInvalid => "contract_content_invalid",
    /// A contract is drawn up only for an approved application.
    ContractNeedsApproval => "contract_needs_approval",
    /// The e-signature provider did not sign; nothing was signed.
    ContractEsignFailed => "contract_esign_failed",
    /// Signing needs the signer's drawn signature.
    ContractSignatureMissing => "contract_signature_missing",
    ContractTemplateEmpty => "contract_template_empty",
    /// The template lacks placeholders its kind requires (`names`).
    ContractTemplateMissingPlaceholder => "contract_template_missing_placeholder",
    /// A `}}` outside a placeholder (`line`, `column`).
    ContractTemplateStrayClose => "contract_template_stray_close",
    /// The template is over the size limit (`max_kb`).
    ContractTemplateTooLarge => "contract_template_too_large",
    /// A `{{` not closed on its line (`line`, `column`).
    ContractTemplateUnclosed => "contract_template_unclosed",
    /// A placeholder name that does not exist (`line`, `column`, `name`).
    ContractTemplateUnknownPlaceholder => "contract_template_unknown_placeholder",
    /// The author of a template version tried to publish it (maker-checker).
    ContractTemplateSelfPublish => "contract_template_self_publish",
    /// The drawn signature is over the size the server reads (`max_kb`).
    ContractSignatureTooLarge => "contract_signature_too_large",
    /// The drawn signature is not a PNG image.
    ContractSignatureNotPng => "contract_signature_not_png",
    /// No contract file was chosen to check (checked in the browser).
    ContractFileMissing => "contract_file_missing",
    /// The contract file to check is over the upload limit (`max_mb`).
    ContractFileTooLarge => "contract_file_too_large",
    // ---- Onboarding (实名认证): ID card photos, the face check, uploads, card binding
    /// The ID card photo could not be read (blurred, dark or cut off).
    IdPhotoUnreadable => "id_photo_unreadable",
    /// The photo shows the other side of the ID card.
    IdPhotoWrongSide => "id_photo_wrong_side",
    /// A name on the ID card that is empty, too long or not Chinese characters.
    IdNameInvalid => "id_name_invalid",
    /// An address that is empty or too long.
    IdAddressInvalid => "id_address_invalid",
    /// The card's validity dates are missing, in the future or out of order.
    IdValidityInvalid => "id_validity_invalid",
    /// The ID card has expired.
    IdCardExpired => "id_card_expired",
    /// The person is under 18 (`min` years).
    ApplicantUnderAge => "applicant_under_age",
    /// A UnionPay card number whose Luhn check digit fails.
    CardNumberCheckFailed => "card_number_check_failed",
    /// An uploaded file over the size the server reads (`max_mb`).
    UploadTooLarge => "upload_too_large",
    /// An upload that is not a JPEG, PNG or WebP image.
    UploadNotImage => "upload_not_image",
    /// The face check found the selfie is not the ID card's holder.
    SelfieMismatch => "selfie_mismatch",
    /// The face check found no live face (a photo of a photo, no face).
    SelfieNotLive => "selfie_not_live",
    /// The OCR or face-check provider could not be reached; nothing was lost.
    IdentityProviderUnavailable => "identity_provider_unavailable",
    /// A signed-up person who has not finished real-name verification.
    IdentityNotVerified => "identity_not_verified",
    /// The ID number is a customer of the bank under another phone.
    IdNumberRegisteredElsewhere => "id_number_registered_elsewhere",
    /// Real-name verification needs both sides of the ID card first.
    IdPhotosMissing => "id_photos_missing",
}

impl ErrorCode {
    /// A problem inside one expression of a rule set (the editor marks the
    /// condition cell for these).
    pub fn is_expression_problem(self) -> bool {
        matches!(
            self,
            ErrorCode::ExprSyntax
                | ErrorCode::ExprBadLiteral
                | ErrorCode::ExprUnknownFeature
                | ErrorCode::ExprUnknownFunction
                | ErrorCode::ExprArity
                | ErrorCode::ExprTypeMismatch
        )
    }
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for ErrorCode {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for ErrorCode {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let code = String::deserialize(deserializer)?;
        ErrorCode::from_code(&code)
            .ok_or_else(|| serde::de::Error::custom(format!("unknown error code {code:?}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_round_trips_through_its_string() {
        assert!(ErrorCode::ALL.len() > 250, "{}", ErrorCode::ALL.len());
        for &code in ErrorCode::ALL {
            assert_eq!(ErrorCode::from_code(code.as_str()), Some(code), "{code:?}");
            assert_eq!(code.to_string(), code.as_str());
        }
        assert_eq!(ErrorCode::from_code("no_such_code"), None);
        assert_eq!(ErrorCode::from_code(""), None);
    }

    #[test]
    fn every_wire_string_is_distinct_snake_case() {
        let mut seen = std::collections::BTreeSet::new();
        for &code in ErrorCode::ALL {
            let s = code.as_str();
            assert!(seen.insert(s), "{s} is listed twice");
            assert!(
                !s.is_empty()
                    && !s.starts_with('_')
                    && !s.ends_with('_')
                    && s.chars()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_'),
                "{s} is not snake_case"
            );
        }
    }

    #[test]
    fn serde_uses_the_wire_string() {
        let json = serde_json::to_string(&ErrorCode::MoneyInvalid).unwrap();
        assert_eq!(json, r#""money_invalid""#);
        let back: ErrorCode = serde_json::from_str(&json).unwrap();
        assert_eq!(back, ErrorCode::MoneyInvalid);
        assert!(serde_json::from_str::<ErrorCode>(r#""no_such_code""#).is_err());
    }
}
