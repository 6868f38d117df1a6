//! Guarantors (保证人) of a guaranteed loan (保证贷款): who they are, their
//! own consent to the bureau check and to the guarantee, what the bureau
//! says about them, their signature on the guarantee contract, and when a
//! loan may be paid out against them.
//!
//! A banker's summary: each guarantor gives joint and several liability
//! (连带责任保证) for the whole loan. The officer records them on the
//! application; face to face (面签) the guarantor confirms with a code sent
//! to their own phone that they agree to guarantee and let the bank query
//! the credit bureau; the bank asks the bureau and keeps or declines them
//! by [`assess`]; once the loan contract is drawn up, each guarantor signs
//! the one guarantee contract of the application with another code and a
//! drawn signature, and the bank seals it when the last has signed. The
//! money goes out only when every guarantor on the application has signed
//! ([`ready_for_payout`]).

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::error_code::ErrorCode;
use crate::identity::{IdNumber, IdentityError, Phone};

crate::coded_enum! {
    /// How the guarantor knows the borrower.
    pub enum GuarantorRelation {
        /// 亲属 (not the spouse, who borrows with them).
        Relative => "relative",
        /// 同村村民、邻居.
        Neighbour => "neighbour",
        /// 朋友.
        Friend => "friend",
        /// 同事.
        Colleague => "colleague",
        /// 生意伙伴、合作社社员.
        BusinessPartner => "business_partner",
        /// 其他.
        Other => "other",
    }
}

crate::coded_enum! {
    /// Where a guarantor stands.
    pub enum GuarantorStatus {
        /// Recorded by the officer; no consent yet.
        Recorded => "recorded",
        /// Consented; the bureau has not answered yet (or was unreachable).
        Consented => "consented",
        /// The bureau check passed: they may sign.
        Accepted => "accepted",
        /// The bureau check failed: they cannot guarantee; remove them.
        Declined => "declined",
        /// Signed the guarantee contract.
        Signed => "signed",
        /// Taken off the application.
        Removed => "removed",
    }
}

/// Why a guarantor, or a payout against guarantors, is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Error, Serialize, Deserialize)]
pub enum GuarantorError {
    #[error("the guarantor's name is required (at most 40 characters)")]
    NameInvalid,
    #[error("the guarantor's identity: {0}")]
    Identity(IdentityError),
    #[error("the borrower cannot guarantee their own loan")]
    IsBorrower,
    #[error("this person is already a guarantor of the application")]
    AlreadyRecorded,
    #[error("no guarantor is recorded")]
    Missing,
    #[error("a guarantor was declined by the bureau check")]
    Declined,
    #[error("a guarantor has not given consent or has not been checked")]
    NotChecked,
    #[error("a guarantor has not signed the guarantee contract")]
    NotSigned,
    #[error("that step is not possible where the guarantor stands")]
    StepInvalid,
}

impl GuarantorError {
    /// Its [`ErrorCode`], which chooses the message the user reads.
    pub fn code(&self) -> ErrorCode {
        match self {
            Self::NameInvalid => ErrorCode::GuarantorNameInvalid,
            Self::Identity(e) => e.code(),
            Self::IsBorrower => ErrorCode::GuarantorIsBorrower,
            Self::AlreadyRecorded => ErrorCode::GuarantorAlreadyRecorded,
            Self::Missing => ErrorCode::GuarantorMissing,
            Self::Declined => ErrorCode::GuarantorDeclined,
            Self::NotChecked => ErrorCode::GuarantorNotChecked,
            Self::NotSigned => ErrorCode::GuarantorNotSigned,
            Self::StepInvalid => ErrorCode::GuarantorStepInvalid,
        }
    }
}

impl From<IdentityError> for GuarantorError {
    fn from(e: IdentityError) -> Self {
        Self::Identity(e)
    }
}

/// A guarantor as the officer records them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GuarantorInput {
    pub name: String,
    pub id_number: String,
    pub phone: String,
    pub relation: GuarantorRelation,
    /// 工作单位或经营项目, and anything else the officer notes (optional).
    pub note: String,
}

/// A recorded guarantor, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidGuarantor {
    pub name: String,
    pub id_number: IdNumber,
    pub phone: Phone,
    pub relation: GuarantorRelation,
    pub note: String,
}

impl GuarantorInput {
    /// Checks the record: a name, a valid ID number and mobile number, and
    /// not the borrower's own ID number.
    pub fn validate(self, borrower_id_number: &str) -> Result<ValidGuarantor, GuarantorError> {
        let name = self.name.trim();
        let n = name.chars().count();
        if n == 0 || n > 40 || name.chars().any(char::is_control) {
            return Err(GuarantorError::NameInvalid);
        }
        let id_number = IdNumber::parse(self.id_number.trim())?;
        let phone = Phone::parse(self.phone.trim())?;
        if id_number.as_str() == borrower_id_number.trim().to_ascii_uppercase() {
            return Err(GuarantorError::IsBorrower);
        }
        Ok(ValidGuarantor {
            name: name.to_string(),
            id_number,
            phone,
            relation: self.relation,
            note: self
                .note
                .chars()
                .filter(|c| !c.is_control())
                .collect::<String>()
                .trim()
                .chars()
                .take(200)
                .collect(),
        })
    }
}

/// What the bureau says about a guarantor, as far as [`assess`] reads it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GuarantorBureau {
    /// `None` for someone with no credit history (白户): accepted, as many
    /// good rural guarantors have never borrowed.
    pub score: Option<i64>,
    /// Lenders with an open loan or card.
    pub lenders: i64,
    /// Worst delinquency in five years, in months past due.
    pub worst_delinquency: i64,
    pub blacklisted: bool,
}

crate::coded_enum! {
    /// Why the bureau check declines a guarantor.
    pub enum DeclineReason {
        /// On the shared blacklist (失信被执行人, fraud).
        Blacklisted => "blacklisted",
        /// Ever three or more months past due (严重逾期).
        SeriousDelinquency => "serious_delinquency",
        /// Score under [`MIN_SCORE`].
        LowScore => "low_score",
        /// Borrowing from [`MAX_LENDERS`] or more lenders (多头借贷).
        TooManyLenders => "too_many_lenders",
    }
}

/// The lowest bureau score a guarantor may have.
pub const MIN_SCORE: i64 = 550;
/// A guarantor borrowing from this many lenders or more is declined.
pub const MAX_LENDERS: i64 = 5;
/// Months past due from which a delinquency is serious.
pub const SERIOUS_DELINQUENCY_MONTHS: i64 = 3;

/// The bank's check of a guarantor's report: `Ok` to accept, or why not.
pub fn assess(b: &GuarantorBureau) -> Result<(), DeclineReason> {
    if b.blacklisted {
        return Err(DeclineReason::Blacklisted);
    }
    if b.worst_delinquency >= SERIOUS_DELINQUENCY_MONTHS {
        return Err(DeclineReason::SeriousDelinquency);
    }
    if b.score.is_some_and(|s| s < MIN_SCORE) {
        return Err(DeclineReason::LowScore);
    }
    if b.lenders >= MAX_LENDERS {
        return Err(DeclineReason::TooManyLenders);
    }
    Ok(())
}

/// The step a guarantor's consent moves them to: only from `Recorded`, or
/// again from `Consented` when the bureau was unreachable.
pub fn may_consent(status: GuarantorStatus) -> Result<(), GuarantorError> {
    match status {
        GuarantorStatus::Recorded | GuarantorStatus::Consented => Ok(()),
        _ => Err(GuarantorError::StepInvalid),
    }
}

/// May this guarantor sign the guarantee contract?
pub fn may_sign(status: GuarantorStatus) -> Result<(), GuarantorError> {
    match status {
        GuarantorStatus::Accepted => Ok(()),
        GuarantorStatus::Recorded | GuarantorStatus::Consented => Err(GuarantorError::NotChecked),
        GuarantorStatus::Declined => Err(GuarantorError::Declined),
        GuarantorStatus::Signed | GuarantorStatus::Removed => Err(GuarantorError::StepInvalid),
    }
}

/// May a guarantor in `status` be taken off the application? Not once they
/// have signed (the sealed contract names them).
pub fn may_remove(status: GuarantorStatus) -> Result<(), GuarantorError> {
    match status {
        GuarantorStatus::Signed | GuarantorStatus::Removed => Err(GuarantorError::StepInvalid),
        _ => Ok(()),
    }
}

/// May the guarantee contract be drawn up? It names every guarantor on
/// the application, so each must have passed the bureau check.
pub fn ready_to_draw_up(statuses: &[GuarantorStatus]) -> Result<(), GuarantorError> {
    let mut live = statuses
        .iter()
        .filter(|s| **s != GuarantorStatus::Removed)
        .peekable();
    if live.peek().is_none() {
        return Err(GuarantorError::Missing);
    }
    for s in live {
        match s {
            GuarantorStatus::Accepted | GuarantorStatus::Signed => {}
            GuarantorStatus::Declined => return Err(GuarantorError::Declined),
            _ => return Err(GuarantorError::NotChecked),
        }
    }
    Ok(())
}

/// May a guaranteed loan be paid out? At least one guarantor, none
/// declined and still on the application, and every one signed.
pub fn ready_for_payout(statuses: &[GuarantorStatus]) -> Result<(), GuarantorError> {
    let live: Vec<_> = statuses
        .iter()
        .filter(|s| **s != GuarantorStatus::Removed)
        .collect();
    if live.is_empty() {
        return Err(GuarantorError::Missing);
    }
    if live.iter().any(|s| **s == GuarantorStatus::Declined) {
        return Err(GuarantorError::Declined);
    }
    if live
        .iter()
        .any(|s| matches!(s, GuarantorStatus::Recorded | GuarantorStatus::Consented))
    {
        return Err(GuarantorError::NotChecked);
    }
    if live.iter().any(|s| **s != GuarantorStatus::Signed) {
        return Err(GuarantorError::NotSigned);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use GuarantorStatus as S;

    const ID: &str = "11010519491231002X";
    const OTHER_ID: &str = "110101199003074514";

    fn input(name: &str, id: &str, phone: &str) -> GuarantorInput {
        GuarantorInput {
            name: name.into(),
            id_number: id.into(),
            phone: phone.into(),
            relation: GuarantorRelation::Neighbour,
            note: " 养猪场 \u{7} ".into(),
        }
    }

    #[test]
    fn a_record_is_checked_and_trimmed() {
        let g = input(" 张三 ", ID, "13900000001")
            .validate(OTHER_ID)
            .unwrap();
        assert_eq!(g.name, "张三");
        assert_eq!(g.note, "养猪场");
        assert_eq!(
            input("", ID, "13900000001").validate(OTHER_ID),
            Err(GuarantorError::NameInvalid)
        );
        assert_eq!(
            input(&"长".repeat(41), ID, "13900000001").validate(OTHER_ID),
            Err(GuarantorError::NameInvalid)
        );
        assert!(matches!(
            input("张三", "123", "13900000001").validate(OTHER_ID),
            Err(GuarantorError::Identity(_))
        ));
        assert!(matches!(
            input("张三", ID, "1390000").validate(OTHER_ID),
            Err(GuarantorError::Identity(_))
        ));
        assert_eq!(
            input("张三", ID, "13900000001").validate(&ID.to_lowercase()),
            Err(GuarantorError::IsBorrower)
        );
    }

    fn bureau(score: Option<i64>, lenders: i64, worst: i64, black: bool) -> GuarantorBureau {
        GuarantorBureau {
            score,
            lenders,
            worst_delinquency: worst,
            blacklisted: black,
        }
    }

    #[test]
    fn the_bureau_check_declines_for_a_named_reason() {
        assert_eq!(assess(&bureau(Some(700), 1, 0, false)), Ok(()));
        assert_eq!(assess(&bureau(None, 0, 0, false)), Ok(()));
        assert_eq!(assess(&bureau(Some(MIN_SCORE), 4, 2, false)), Ok(()));
        assert_eq!(
            assess(&bureau(Some(800), 0, 0, true)),
            Err(DeclineReason::Blacklisted)
        );
        assert_eq!(
            assess(&bureau(Some(800), 0, 3, false)),
            Err(DeclineReason::SeriousDelinquency)
        );
        assert_eq!(
            assess(&bureau(Some(549), 0, 0, false)),
            Err(DeclineReason::LowScore)
        );
        assert_eq!(
            assess(&bureau(Some(800), 5, 0, false)),
            Err(DeclineReason::TooManyLenders)
        );
    }

    #[test]
    fn steps_follow_the_status() {
        assert!(may_consent(S::Recorded).is_ok());
        assert!(may_consent(S::Consented).is_ok());
        assert_eq!(may_consent(S::Accepted), Err(GuarantorError::StepInvalid));
        assert!(may_sign(S::Accepted).is_ok());
        assert_eq!(may_sign(S::Consented), Err(GuarantorError::NotChecked));
        assert_eq!(may_sign(S::Declined), Err(GuarantorError::Declined));
        assert_eq!(may_sign(S::Signed), Err(GuarantorError::StepInvalid));
        assert!(may_remove(S::Declined).is_ok());
        assert_eq!(may_remove(S::Signed), Err(GuarantorError::StepInvalid));
    }

    #[test]
    fn payout_waits_for_every_guarantor_on_the_application() {
        assert_eq!(ready_for_payout(&[]), Err(GuarantorError::Missing));
        assert_eq!(
            ready_for_payout(&[S::Removed]),
            Err(GuarantorError::Missing)
        );
        assert_eq!(
            ready_for_payout(&[S::Signed, S::Declined]),
            Err(GuarantorError::Declined)
        );
        assert_eq!(
            ready_for_payout(&[S::Signed, S::Consented]),
            Err(GuarantorError::NotChecked)
        );
        assert_eq!(
            ready_for_payout(&[S::Signed, S::Accepted]),
            Err(GuarantorError::NotSigned)
        );
        assert_eq!(ready_for_payout(&[S::Signed, S::Removed]), Ok(()));
        assert_eq!(
            ready_to_draw_up(&[S::Removed]),
            Err(GuarantorError::Missing)
        );
        assert_eq!(
            ready_to_draw_up(&[S::Accepted, S::Consented]),
            Err(GuarantorError::NotChecked)
        );
        assert_eq!(
            ready_to_draw_up(&[S::Accepted, S::Declined]),
            Err(GuarantorError::Declined)
        );
        assert_eq!(ready_to_draw_up(&[S::Accepted, S::Removed]), Ok(()));
    }
}
