//! Separation of duties (岗位分离) on one application: the [`DutyMode`] a
//! product chooses per amount band ([`DutyPolicy`]), the [`Post`]s people hold
//! on an application, and [`check_assignment`], which refuses anyone who would
//! check their own work.
//!
//! - [`pick`]: back-to-back (背对背) random choice of investigators and
//!   approvers, with every candidate's exclusion reasons for the audit log.
//! - [`opinion`]: parallel opinions kept sealed until all are in, and
//!   disagreement detection (→ escalate to the next level).
//!
//! How the two modes differ, in a banker's words:
//! - 三台六岗 ([`DutyMode::Separated`]): each of the six posts — marketing,
//!   investigation, review, approval, disbursement, post-loan — is held by a
//!   different person on the same application.
//! - 包办制 ([`DutyMode::SingleOfficer`]): the account officer may market,
//!   investigate and later do the post-loan checks of the same loan, but the
//!   posts that *check* work (review, approval, disbursement) are still held
//!   by someone else, and by different people from each other.
//!
//! In both modes two people working the same post in parallel (back-to-back
//! investigation, two approvers, a committee) must be different people.

pub mod opinion;
pub mod pick;

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::error_code::ErrorCode;
use crate::money::Fen;

/// A tie between a staff member and a customer that a staff member declares
/// (回避申报): the service never assigns them to that customer's applications.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Relation {
    /// 近亲属: spouse, parent, child, sibling and their spouses.
    Family,
    /// 合伙或业务往来: a business partner, employer or debtor.
    BusinessPartner,
    /// 为其担保: the staff member guarantees or is guaranteed by them.
    Guarantor,
    /// 其他利害关系.
    Other,
}

impl Relation {
    pub const ALL: [Relation; 4] = [
        Relation::Family,
        Relation::BusinessPartner,
        Relation::Guarantor,
        Relation::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Relation::Family => "family",
            Relation::BusinessPartner => "business_partner",
            Relation::Guarantor => "guarantor",
            Relation::Other => "other",
        }
    }

    pub fn parse(s: &str) -> Option<Relation> {
        Self::ALL.into_iter().find(|r| r.as_str() == s)
    }
}

/// How duties are separated on an application.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DutyMode {
    /// 三台六岗: every post a different person.
    Separated,
    /// 包办制: the officer markets, investigates and looks after the loan;
    /// review, approval and disbursement are still someone else.
    SingleOfficer,
}

impl DutyMode {
    pub const ALL: [DutyMode; 2] = [DutyMode::Separated, DutyMode::SingleOfficer];

    pub fn as_str(self) -> &'static str {
        match self {
            DutyMode::Separated => "separated",
            DutyMode::SingleOfficer => "single_officer",
        }
    }

    pub fn parse(s: &str) -> Option<DutyMode> {
        Self::ALL.into_iter().find(|m| m.as_str() == s)
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            DutyMode::Separated => "三台六岗",
            DutyMode::SingleOfficer => "包办制",
        }
    }

    /// Is `self` at least as strict as `other`? Separated is the stricter.
    pub fn at_least_as_strict_as(self, other: DutyMode) -> bool {
        self == DutyMode::Separated || other == DutyMode::SingleOfficer
    }
}

/// A post (岗位) someone holds on one application.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Post {
    /// 营销: the account officer who brought the customer and filed the
    /// application (进件).
    Marketing,
    /// 调查: on-site investigation (下户调查).
    Investigation,
    /// 审查: checks the investigation and the file.
    Review,
    /// 审批: decides.
    Approval,
    /// 放款: checks the contract and collateral, releases the money.
    Disbursement,
    /// 贷后: post-loan inspection.
    PostLoan,
}

impl Post {
    pub const ALL: [Post; 6] = [
        Post::Marketing,
        Post::Investigation,
        Post::Review,
        Post::Approval,
        Post::Disbursement,
        Post::PostLoan,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Post::Marketing => "marketing",
            Post::Investigation => "investigation",
            Post::Review => "review",
            Post::Approval => "approval",
            Post::Disbursement => "disbursement",
            Post::PostLoan => "post_loan",
        }
    }

    pub fn parse(s: &str) -> Option<Post> {
        Self::ALL.into_iter().find(|p| p.as_str() == s)
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            Post::Marketing => "营销岗",
            Post::Investigation => "调查岗",
            Post::Review => "审查岗",
            Post::Approval => "审批岗",
            Post::Disbursement => "放款岗",
            Post::PostLoan => "贷后岗",
        }
    }

    /// Posts that check someone else's work: review, approval, disbursement.
    /// Their holder may hold no other post on the application, in any mode.
    pub fn is_checking(self) -> bool {
        matches!(self, Post::Review | Post::Approval | Post::Disbursement)
    }
}

/// Who already holds which post on an application.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Assignment {
    pub post: Post,
    pub staff_id: String,
}

impl Assignment {
    pub fn new(post: Post, staff_id: impl Into<String>) -> Assignment {
        Assignment {
            post,
            staff_id: staff_id.into(),
        }
    }
}

/// Why a person may not take a post on an application.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Error, Serialize, Deserialize)]
pub enum DutyError {
    /// Two parallel holders of one post (back-to-back investigators, two
    /// approvers, committee members) must be different people.
    #[error("this person already holds the {} post on this application", post.as_str())]
    SamePersonParallel { post: Post },
    /// Someone would check their own work: e.g. the investigator or the
    /// marketer as approver, the approver as disburser.
    #[error("the {} post would check this person's own work as {}", post.as_str(), held.as_str())]
    SelfCheck { post: Post, held: Post },
    /// 三台六岗: one person may hold only one post on an application.
    #[error("under three desks six posts the {} post needs a different person than the {} post", post.as_str(), held.as_str())]
    PostsNotSeparated { post: Post, held: Post },
}

impl DutyError {
    /// Its [`ErrorCode`], which chooses the message the user reads.
    pub fn code(&self) -> ErrorCode {
        match self {
            Self::SamePersonParallel { .. } => ErrorCode::DutySamePersonParallel,
            Self::SelfCheck { .. } => ErrorCode::DutySelfCheck,
            Self::PostsNotSeparated { .. } => ErrorCode::DutyPostsNotSeparated,
        }
    }
}

/// May `candidate` take `post` on an application where `posts_so_far` are
/// already held? The order of assignment does not matter: an approver who
/// is later proposed as investigator is refused just as an investigator
/// proposed as approver is.
///
/// Checked against every earlier holding of the candidate, in order:
/// the same post again → [`DutyError::SamePersonParallel`]; either post a
/// checking post → [`DutyError::SelfCheck`]; any other pair under 三台六岗 →
/// [`DutyError::PostsNotSeparated`]. Under 包办制 the officer may hold
/// marketing, investigation and post-loan together.
pub fn check_assignment(
    mode: DutyMode,
    posts_so_far: &[Assignment],
    candidate: &str,
    post: Post,
) -> Result<(), DutyError> {
    for held in posts_so_far.iter().filter(|a| a.staff_id == candidate) {
        if held.post == post {
            return Err(DutyError::SamePersonParallel { post });
        }
        if post.is_checking() || held.post.is_checking() {
            return Err(DutyError::SelfCheck {
                post,
                held: held.post,
            });
        }
        if mode == DutyMode::Separated {
            return Err(DutyError::PostsNotSeparated {
                post,
                held: held.post,
            });
        }
    }
    Ok(())
}

/// One amount band of a [`DutyPolicy`]: applications up to and including
/// `up_to` use `mode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct DutyBand {
    pub up_to: Fen,
    pub mode: DutyMode,
}

/// The duty mode a product uses, by amount band, e.g. "包办制 up to 100,000
/// yuan, 三台六岗 above". Bands are in ascending `up_to` order; an amount
/// above the last band is always [`DutyMode::Separated`], the strict mode,
/// so a missing band can never loosen the separation.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub struct DutyPolicy {
    pub bands: Vec<DutyBand>,
}

impl DutyPolicy {
    /// 三台六岗 at every amount.
    pub fn separated() -> DutyPolicy {
        DutyPolicy::default()
    }

    /// 包办制 up to and including `up_to`, 三台六岗 above.
    pub fn single_officer_up_to(up_to: Fen) -> DutyPolicy {
        DutyPolicy {
            bands: vec![DutyBand {
                up_to,
                mode: DutyMode::SingleOfficer,
            }],
        }
    }

    /// Are the bands in strictly ascending `up_to` order?
    pub fn is_ordered(&self) -> bool {
        self.bands.windows(2).all(|w| w[0].up_to < w[1].up_to)
    }

    /// The mode for an application of `amount`: the first band whose `up_to`
    /// is at or above it; [`DutyMode::Separated`] above every band.
    pub fn mode_for(&self, amount: Fen) -> DutyMode {
        self.bands
            .iter()
            .find(|b| amount <= b.up_to)
            .map_or(DutyMode::Separated, |b| b.mode)
    }

    /// Is this policy at least as strict as `other` at every amount? Only
    /// the band edges can change the answer, so those are the amounts tried.
    pub fn at_least_as_strict_as(&self, other: &DutyPolicy) -> bool {
        let edges = self
            .bands
            .iter()
            .chain(&other.bands)
            .flat_map(|b| [b.up_to, b.up_to.checked_add(Fen(1)).unwrap_or(b.up_to)]);
        std::iter::once(Fen(1))
            .chain(edges)
            .all(|a| self.mode_for(a).at_least_as_strict_as(other.mode_for(a)))
    }
}

#[cfg(test)]
mod tests;
