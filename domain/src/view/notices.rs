//! What the customer is told as their applications move.

use serde::{Deserialize, Serialize};

use crate::money::Fen;
use crate::notice::{DeclineCategory, NoticeKind};
use crate::rate::AnnualRate;
use crate::schedule::RepaymentMethod;

/// One notice on the customer's 消息 page, with the facts its words need.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomerNotice {
    pub id: String,
    pub application_id: crate::id::ApplicationId,
    pub kind: NoticeKind,
    pub product_name_zh: String,
    pub product_name_en: String,
    pub amount: Fen,
    pub term_months: u32,
    /// The rate granted: on an approval's and a payout's notice.
    pub rate: Option<AnnualRate>,
    /// The category of reason: on a refusal's notice, when a person refused.
    pub decline: Option<DeclineCategory>,
    /// The visit's time, on a visit's notice.
    pub visit_at: Option<i64>,
    pub at: i64,
    pub read: bool,
}

/// The decision on an application, as the customer is told it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum CustomerDecision {
    /// What was granted: the amount, term, rate and method of the loan.
    Approved {
        amount: Fen,
        term_months: u32,
        rate: AnnualRate,
        method: RepaymentMethod,
    },
    /// Declined: by a person, with the category they gave; `None` when
    /// the pre-screen declined (its reasons are in the screening).
    Declined { category: Option<DeclineCategory> },
}
