//! Loan applications (进件): the [`ApplicationStatus`] state machine
//! ([`transition`]), the checks of a request against its product's
//! [`ProductTerms`], and separation of duties ([`check_separation`]).

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::error_code::ErrorCode;
use crate::money::Fen;
use crate::rate::AnnualRate;
use crate::schedule::{RepaymentMethod, MAX_PRINCIPAL, MAX_TERM_MONTHS};

/// Longest accepted loan purpose, in characters (not bytes) after trimming.
pub const MAX_PURPOSE_CHARS: usize = 200;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ApplicationStatus {
    Submitted,
    Investigated,
    Approved,
    Rejected,
    Withdrawn,
}

impl ApplicationStatus {
    pub const ALL: [Self; 5] = [
        Self::Submitted,
        Self::Investigated,
        Self::Approved,
        Self::Rejected,
        Self::Withdrawn,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Submitted => "submitted",
            Self::Investigated => "investigated",
            Self::Approved => "approved",
            Self::Rejected => "rejected",
            Self::Withdrawn => "withdrawn",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|st| st.as_str() == s)
    }

    /// Still being worked on: Submitted or Investigated.
    pub fn is_open(self) -> bool {
        matches!(self, Self::Submitted | Self::Investigated)
    }

    /// A decision was taken: Approved or Rejected (the time of it is kept).
    pub fn is_decided(self) -> bool {
        matches!(self, Self::Approved | Self::Rejected)
    }
}

/// A loan purpose as a contract states it: the application form's codes
/// in their legal wording; a purpose typed as free text stays as typed.
pub fn purpose_in_contract(code: &str) -> &str {
    match code {
        "farming" => "购买种子、化肥等农业生产资料",
        "livestock" => "畜禽养殖",
        "machinery" => "购置农机具",
        "business" => "个体经营资金周转",
        "home" => "房屋修缮",
        "education" => "子女教育",
        other => other,
    }
}

/// An approver's decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    Approve,
    Reject,
}

impl Decision {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Approve => "approve",
            Self::Reject => "reject",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "approve" => Some(Self::Approve),
            "reject" => Some(Self::Reject),
            _ => None,
        }
    }
}

/// What someone does to an application.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ApplicationAction {
    RecordInvestigation,
    Decide(Decision),
    Withdraw,
    /// The decision engine's pre-screen (预审) rejects a new application
    /// outright, before any officer works on it.
    ScreenOut,
    /// The product's flow found the file complete (its investigation
    /// stages passed) and sends it to review or approval.
    CompleteFile,
    /// The product's flow reached its rejection end: someone on the way
    /// (an officer, a reviewer, an approver) said no.
    EndRejected,
}

/// The action is not allowed from the application's current status — typically
/// because someone else changed it first, hence the code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Error, Serialize, Deserialize)]
pub enum TransitionError {
    #[error("this action is not allowed on an application that is {}", from.as_str())]
    NotAllowed { from: ApplicationStatus },
}

impl TransitionError {
    /// Its [`ErrorCode`], which chooses the message the user reads.
    pub fn code(&self) -> ErrorCode {
        match self {
            Self::NotAllowed { .. } => ErrorCode::ApplicationStateChanged,
        }
    }
}

/// The state machine, kept strict: Submitted -RecordInvestigation-> Investigated;
/// Investigated -Decide(Approve)-> Approved; Investigated -Decide(Reject)-> Rejected
/// (a person decides only after the investigation); Submitted -ScreenOut-> Rejected
/// (the engine's pre-screen may only reject, never approve); Submitted |
/// Investigated -Withdraw-> Withdrawn. A product's flow moves the same way:
/// Submitted -CompleteFile-> Investigated when its investigation passed, and
/// Submitted | Investigated -EndRejected-> Rejected when it ends in a no.
/// Anything else: [`TransitionError::NotAllowed`].
pub fn transition(
    from: ApplicationStatus,
    action: ApplicationAction,
) -> Result<ApplicationStatus, TransitionError> {
    use ApplicationAction as A;
    use ApplicationStatus as S;
    match (from, action) {
        (S::Submitted, A::RecordInvestigation) => Ok(S::Investigated),
        (S::Investigated, A::Decide(Decision::Approve)) => Ok(S::Approved),
        (S::Investigated, A::Decide(Decision::Reject)) => Ok(S::Rejected),
        (S::Submitted | S::Investigated, A::Withdraw) => Ok(S::Withdrawn),
        (S::Submitted, A::ScreenOut) => Ok(S::Rejected),
        (S::Submitted, A::CompleteFile) => Ok(S::Investigated),
        (S::Submitted | S::Investigated, A::EndRejected) => Ok(S::Rejected),
        _ => Err(TransitionError::NotAllowed { from }),
    }
}

/// The product's limits an application is checked against.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProductTerms {
    pub min_amount: Fen,
    pub max_amount: Fen,
    pub min_term_months: u32,
    pub max_term_months: u32,
    pub rate: AnnualRate,
    pub method: RepaymentMethod,
}

impl ProductTerms {
    /// `0 < min_amount <= max_amount <= MAX_PRINCIPAL` and
    /// `1 <= min_term_months <= max_term_months <= MAX_TERM_MONTHS`, so that any
    /// amount and term inside the ranges can be scheduled.
    pub fn validate(&self) -> Result<(), ApplicationError> {
        let amounts_ok = Fen::ZERO < self.min_amount
            && self.min_amount <= self.max_amount
            && self.max_amount <= MAX_PRINCIPAL;
        let terms_ok = 1 <= self.min_term_months
            && self.min_term_months <= self.max_term_months
            && self.max_term_months <= MAX_TERM_MONTHS;
        if amounts_ok && terms_ok {
            Ok(())
        } else {
            Err(ApplicationError::ProductRangesInvalid)
        }
    }
}

/// What a customer asks for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApplicationRequest {
    pub amount: Fen,
    pub term_months: u32,
    pub purpose: String,
    /// The customer's credit-inquiry authorisation (征信授权).
    pub consent: bool,
}

/// Why a request does not fit its product.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Error, Serialize, Deserialize)]
pub enum ApplicationError {
    #[error("the amount is below the product's minimum of {min}")]
    AmountBelowMin { min: Fen },
    #[error("the amount is above the product's maximum of {max}")]
    AmountAboveMax { max: Fen },
    #[error("the term must be between {min} and {max} months")]
    TermOutOfRange { min: u32, max: u32 },
    #[error("the loan purpose is missing")]
    PurposeMissing,
    #[error("the loan purpose is longer than {MAX_PURPOSE_CHARS} characters")]
    PurposeTooLong,
    #[error("the credit-inquiry authorisation is missing")]
    ConsentMissing,
    #[error("the product's amount or term ranges are invalid")]
    ProductRangesInvalid,
}

impl ApplicationError {
    /// Its [`ErrorCode`], which chooses the message the user reads.
    pub fn code(&self) -> ErrorCode {
        match self {
            Self::AmountBelowMin { .. } => ErrorCode::AmountBelowMin,
            Self::AmountAboveMax { .. } => ErrorCode::AmountAboveMax,
            Self::TermOutOfRange { .. } => ErrorCode::TermOutOfRange,
            Self::PurposeMissing => ErrorCode::PurposeMissing,
            Self::PurposeTooLong => ErrorCode::PurposeTooLong,
            Self::ConsentMissing => ErrorCode::ConsentMissing,
            Self::ProductRangesInvalid => ErrorCode::ProductRangesInvalid,
        }
    }
}

impl ApplicationRequest {
    /// Checks the product first, then amount, term, purpose (trimmed; 1 to 200
    /// characters) and consent, reporting the first problem.
    pub fn validate(&self, terms: &ProductTerms) -> Result<(), ApplicationError> {
        terms.validate()?;
        if self.amount < terms.min_amount {
            return Err(ApplicationError::AmountBelowMin {
                min: terms.min_amount,
            });
        }
        if self.amount > terms.max_amount {
            return Err(ApplicationError::AmountAboveMax {
                max: terms.max_amount,
            });
        }
        if !(terms.min_term_months..=terms.max_term_months).contains(&self.term_months) {
            return Err(ApplicationError::TermOutOfRange {
                min: terms.min_term_months,
                max: terms.max_term_months,
            });
        }
        let purpose = self.purpose.trim();
        if purpose.is_empty() {
            return Err(ApplicationError::PurposeMissing);
        }
        if purpose.chars().count() > MAX_PURPOSE_CHARS {
            return Err(ApplicationError::PurposeTooLong);
        }
        if !self.consent {
            return Err(ApplicationError::ConsentMissing);
        }
        Ok(())
    }
}

/// Separation of duties: the approver must not be the officer who owns the application nor the investigator.
pub fn check_separation(
    approver_id: &str,
    officer_id: &str,
    investigator_id: &str,
) -> Result<(), DutyError> {
    if approver_id == officer_id || approver_id == investigator_id {
        Err(DutyError::SelfApproval)
    } else {
        Ok(())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Error, Serialize, Deserialize)]
pub enum DutyError {
    #[error("you cannot approve an application you handled as officer or investigator")]
    SelfApproval,
}

impl DutyError {
    /// Its [`ErrorCode`], which chooses the message the user reads.
    pub fn code(&self) -> ErrorCode {
        match self {
            Self::SelfApproval => ErrorCode::SelfApproval,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use rstest::rstest;

    use ApplicationAction as A;
    use ApplicationStatus as S;

    const ACTIONS: [ApplicationAction; 7] = [
        A::RecordInvestigation,
        A::Decide(Decision::Approve),
        A::Decide(Decision::Reject),
        A::Withdraw,
        A::ScreenOut,
        A::CompleteFile,
        A::EndRejected,
    ];

    /// Every (status, action) pair: the full transition table.
    #[rstest]
    #[case(S::Submitted, [Some(S::Investigated), None, None, Some(S::Withdrawn), Some(S::Rejected), Some(S::Investigated), Some(S::Rejected)])]
    #[case(S::Investigated, [None, Some(S::Approved), Some(S::Rejected), Some(S::Withdrawn), None, None, Some(S::Rejected)])]
    #[case(S::Approved, [None; 7])]
    #[case(S::Rejected, [None; 7])]
    #[case(S::Withdrawn, [None; 7])]
    fn transition_table(
        #[case] from: ApplicationStatus,
        #[case] to: [Option<ApplicationStatus>; 7],
    ) {
        for (action, expected) in ACTIONS.into_iter().zip(to) {
            let expected = expected.ok_or(TransitionError::NotAllowed { from });
            assert_eq!(transition(from, action), expected, "{from:?} {action:?}");
        }
    }

    #[test]
    fn names_round_trip() {
        for s in S::ALL {
            assert_eq!(S::parse(s.as_str()), Some(s));
            assert_eq!(
                serde_json::to_string(&s).ok(),
                Some(format!("\"{}\"", s.as_str()))
            );
        }
        for d in [Decision::Approve, Decision::Reject] {
            assert_eq!(Decision::parse(d.as_str()), Some(d));
        }
        assert_eq!(S::parse("open"), None);
        assert_eq!(Decision::parse("maybe"), None);
        assert_eq!(
            serde_json::to_string(&A::Decide(Decision::Approve))
                .ok()
                .as_deref(),
            Some(r#"{"decide":"approve"}"#)
        );
        assert_eq!(
            serde_json::to_string(&A::RecordInvestigation)
                .ok()
                .as_deref(),
            Some(r#""record_investigation""#)
        );
    }

    #[test]
    fn open_statuses() {
        let open: Vec<_> = S::ALL.into_iter().filter(|s| s.is_open()).collect();
        assert_eq!(open, [S::Submitted, S::Investigated]);
    }

    fn terms() -> ProductTerms {
        ProductTerms {
            min_amount: Fen::from_yuan(1_000),
            max_amount: Fen::from_yuan(300_000),
            min_term_months: 6,
            max_term_months: 36,
            rate: match AnnualRate::from_bp(435) {
                Ok(r) => r,
                Err(e) => panic!("{e}"),
            },
            method: RepaymentMethod::EqualInstalment,
        }
    }

    fn request(amount: i64, term: u32, purpose: &str, consent: bool) -> ApplicationRequest {
        ApplicationRequest {
            amount: Fen::from_yuan(amount),
            term_months: term,
            purpose: purpose.to_owned(),
            consent,
        }
    }

    #[rstest]
    #[case::ok(request(50_000, 12, "购买化肥", true), Ok(()))]
    #[case::at_min(request(1_000, 6, "x", true), Ok(()))]
    #[case::at_max(request(300_000, 36, "x", true), Ok(()))]
    #[case::below(request(999, 12, "x", true), Err(ApplicationError::AmountBelowMin { min: Fen::from_yuan(1_000) }))]
    #[case::above(request(300_001, 12, "x", true), Err(ApplicationError::AmountAboveMax { max: Fen::from_yuan(300_000) }))]
    #[case::short(request(50_000, 5, "x", true), Err(ApplicationError::TermOutOfRange { min: 6, max: 36 }))]
    #[case::long(request(50_000, 37, "x", true), Err(ApplicationError::TermOutOfRange { min: 6, max: 36 }))]
    #[case::no_purpose(
        request(50_000, 12, " \t ", true),
        Err(ApplicationError::PurposeMissing)
    )]
    #[case::purpose_200(request(50_000, 12, &"种".repeat(200), true), Ok(()))]
    #[case::purpose_trimmed(request(50_000, 12, &format!("  {}  ", "种".repeat(200)), true), Ok(()))]
    #[case::purpose_201(request(50_000, 12, &"种".repeat(201), true), Err(ApplicationError::PurposeTooLong))]
    #[case::no_consent(
        request(50_000, 12, "购买化肥", false),
        Err(ApplicationError::ConsentMissing)
    )]
    fn validates_requests(
        #[case] req: ApplicationRequest,
        #[case] expected: Result<(), ApplicationError>,
    ) {
        assert_eq!(req.validate(&terms()), expected);
    }

    #[rstest]
    #[case::zero_min(ProductTerms { min_amount: Fen::ZERO, ..terms() })]
    #[case::min_above_max(ProductTerms { min_amount: Fen::from_yuan(300_001), ..terms() })]
    #[case::max_too_large(ProductTerms { max_amount: Fen(MAX_PRINCIPAL.get() + 1), ..terms() })]
    #[case::zero_term(ProductTerms { min_term_months: 0, ..terms() })]
    #[case::terms_crossed(ProductTerms { min_term_months: 37, ..terms() })]
    #[case::term_too_long(ProductTerms { max_term_months: MAX_TERM_MONTHS + 1, ..terms() })]
    fn refuses_bad_products(#[case] t: ProductTerms) {
        assert_eq!(t.validate(), Err(ApplicationError::ProductRangesInvalid));
        assert_eq!(
            request(50_000, 12, "x", true).validate(&t),
            Err(ApplicationError::ProductRangesInvalid)
        );
    }

    #[test]
    fn valid_product() {
        assert_eq!(terms().validate(), Ok(()));
    }

    #[rstest]
    #[case("a", "o", "i", Ok(()))]
    #[case("o", "o", "i", Err(DutyError::SelfApproval))]
    #[case("i", "o", "i", Err(DutyError::SelfApproval))]
    #[case("x", "x", "x", Err(DutyError::SelfApproval))]
    fn separation_of_duties(
        #[case] approver: &str,
        #[case] officer: &str,
        #[case] investigator: &str,
        #[case] expected: Result<(), DutyError>,
    ) {
        assert_eq!(check_separation(approver, officer, investigator), expected);
    }

    #[test]
    fn error_codes() {
        let codes = [
            (
                ApplicationError::AmountBelowMin { min: Fen(1) },
                "amount_below_min",
            ),
            (
                ApplicationError::AmountAboveMax { max: Fen(1) },
                "amount_above_max",
            ),
            (
                ApplicationError::TermOutOfRange { min: 1, max: 2 },
                "term_out_of_range",
            ),
            (ApplicationError::PurposeMissing, "purpose_missing"),
            (ApplicationError::PurposeTooLong, "purpose_too_long"),
            (ApplicationError::ConsentMissing, "consent_missing"),
            (
                ApplicationError::ProductRangesInvalid,
                "product_ranges_invalid",
            ),
        ];
        for (e, code) in codes {
            assert_eq!(e.code().as_str(), code);
        }
        assert_eq!(
            TransitionError::NotAllowed { from: S::Approved }.code(),
            ErrorCode::ApplicationStateChanged
        );
        assert_eq!(DutyError::SelfApproval.code(), ErrorCode::SelfApproval);
    }

    proptest! {
        /// Any sequence of actions: only open applications move, every move goes
        /// forward (never back to Submitted), and a closed application never changes.
        #[test]
        fn random_walks_respect_the_machine(actions in prop::collection::vec(0usize..ACTIONS.len(), 0..12)) {
            let mut status = S::Submitted;
            for i in actions {
                let action = ACTIONS[i];
                match transition(status, action) {
                    Ok(next) => {
                        prop_assert!(status.is_open());
                        prop_assert_ne!(next, S::Submitted);
                        prop_assert_ne!(next, status);
                        // Only a person approves, and only after the investigation;
                        // the engine's pre-screen may reject a new application.
                        if next == S::Approved {
                            prop_assert_eq!(status, S::Investigated);
                        }
                        if next == S::Rejected {
                            prop_assert!(
                                status == S::Investigated
                                    || (status == S::Submitted
                                        && matches!(action, A::ScreenOut | A::EndRejected))
                            );
                        }
                        status = next;
                    }
                    Err(TransitionError::NotAllowed { from }) => prop_assert_eq!(from, status),
                }
            }
        }
    }
}
