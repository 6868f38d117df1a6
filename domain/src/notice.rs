//! What the bank tells a customer as the application moves (进度通知):
//! the kinds of notice, and the category of reason a customer is given
//! when a person declines, never the approver's comment or the rule.

use crate::application::{ApplicationStatus, Decision};
use crate::error_code::ErrorCode;

crate::coded_enum! {
    /// Why a person declined an application, as the customer is told it
    /// (拒绝原因类别). The approver picks one when refusing; the comment
    /// stays in the file.
    pub enum DeclineCategory {
        /// The income seen cannot carry the repayments asked for.
        RepaymentCapacity => "repayment_capacity",
        /// The credit report does not meet the product's bar.
        CreditRecord => "credit_record",
        /// Too much borrowing already.
        Indebtedness => "indebtedness",
        /// What the applicant said could not be confirmed.
        InformationUnverified => "information_unverified",
        /// The purpose is not one the product lends for.
        PurposeIneligible => "purpose_ineligible",
        /// Age, place, years in business: the product's entry criteria.
        ProductCriteria => "product_criteria",
    }
}

/// A refusal names the category the customer is told; an agreement names none.
pub fn check_decline(
    decision: Decision,
    category: Option<DeclineCategory>,
) -> Result<(), ErrorCode> {
    match (decision, category) {
        (Decision::Reject, None) => Err(ErrorCode::DeclineCategoryMissing),
        (Decision::Approve, Some(_)) => Err(ErrorCode::DeclineCategoryUnexpected),
        _ => Ok(()),
    }
}

crate::coded_enum! {
    /// A notice to the customer: one for each status an application takes,
    /// one when the money is paid out, and the officer's answers to the
    /// visit the customer booked.
    pub enum NoticeKind {
        Submitted => "submitted",
        Investigated => "investigated",
        Approved => "approved",
        Rejected => "rejected",
        Withdrawn => "withdrawn",
        PaidOut => "paid_out",
        /// The officer confirmed the visit's time.
        VisitConfirmed => "visit_confirmed",
        /// The officer proposed another time for the visit.
        VisitProposed => "visit_proposed",
    }
}

impl NoticeKind {
    /// The notice of an application's new status.
    pub fn of_status(status: ApplicationStatus) -> Self {
        match status {
            ApplicationStatus::Submitted => Self::Submitted,
            ApplicationStatus::Investigated => Self::Investigated,
            ApplicationStatus::Approved => Self::Approved,
            ApplicationStatus::Rejected => Self::Rejected,
            ApplicationStatus::Withdrawn => Self::Withdrawn,
        }
    }
}

crate::coded_enum! {
    /// Where a notice's text message stands.
    pub enum NoticeSmsStatus {
        /// Waiting for the sender.
        Pending => "pending",
        /// Taken by a sender, which has not yet said how it went.
        Sending => "sending",
        Sent => "sent",
        /// Refused by the gateway, or failed on every attempt.
        Failed => "failed",
        /// A sender stopped while sending: whether it went is unknown,
        /// and it is not sent again (a customer never gets one twice).
        Unknown => "unknown",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_status_has_its_notice() {
        for s in ApplicationStatus::ALL {
            assert_eq!(NoticeKind::of_status(s).as_str(), s.as_str());
        }
    }

    #[test]
    fn a_refusal_names_its_category_and_an_agreement_none() {
        let c = Some(DeclineCategory::CreditRecord);
        assert_eq!(check_decline(Decision::Reject, c), Ok(()));
        assert_eq!(check_decline(Decision::Approve, None), Ok(()));
        assert_eq!(
            check_decline(Decision::Reject, None),
            Err(ErrorCode::DeclineCategoryMissing)
        );
        assert_eq!(
            check_decline(Decision::Approve, c),
            Err(ErrorCode::DeclineCategoryUnexpected)
        );
    }

    #[test]
    fn codes_round_trip() {
        for c in DeclineCategory::ALL {
            assert_eq!(DeclineCategory::parse(c.as_str()), Some(*c));
        }
        assert_eq!(DeclineCategory::parse("the rule"), None);
    }
}
