//! Parallel opinions (背对背意见): two investigators or approvers, or a
//! committee, give their opinion without seeing each other's. [`SealedOpinions`]
//! shows each person only their own opinion until everyone assigned has
//! given one; then all are revealed and the outcome is known. When a
//! back-to-back pair disagrees the application escalates to the next level
//! (e.g. a committee); a committee decides by its quorum instead.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::error_code::ErrorCode;

/// One person's opinion.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// 同意.
    Approve,
    /// 否决.
    Reject,
}

/// An opinion with its written grounds (意见说明).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Opinion {
    pub verdict: Verdict,
    pub comment: String,
}

/// How the opinions combine.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "rule")]
pub enum OpinionRule {
    /// Back-to-back pair: all must agree, otherwise escalate.
    Unanimous,
    /// Committee (贷审会): approved when at least `quorum` members approve.
    Quorum { quorum: u32 },
}

/// What the opinions decide, once all are in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ParallelOutcome {
    Agreed(Verdict),
    /// The pair disagrees: escalate to the next level.
    Disagreement,
}

/// Why an opinion or a set-up was refused.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Error, Serialize, Deserialize)]
pub enum OpinionError {
    #[error("parallel opinions need at least two different people")]
    TooFewPeople,
    #[error("the same person is assigned twice")]
    DuplicatePerson,
    #[error("the quorum must be more than half of the members and at most all of them")]
    QuorumInvalid,
    #[error("this person is not assigned to give an opinion here")]
    NotAssigned,
    #[error("this person has already given an opinion")]
    AlreadyGiven,
}

impl OpinionError {
    /// Its [`ErrorCode`], which chooses the message the user reads.
    pub fn code(&self) -> ErrorCode {
        match self {
            Self::TooFewPeople => ErrorCode::OpinionTooFewPeople,
            Self::DuplicatePerson => ErrorCode::OpinionDuplicatePerson,
            Self::QuorumInvalid => ErrorCode::OpinionQuorumInvalid,
            Self::NotAssigned => ErrorCode::OpinionNotAssigned,
            Self::AlreadyGiven => ErrorCode::OpinionAlreadyGiven,
        }
    }
}

/// Is `quorum` a valid quorum for a committee of `members`: a strict
/// majority, and no more than everyone.
pub fn quorum_is_valid(members: u32, quorum: u32) -> bool {
    members >= 2 && quorum > members / 2 && quorum <= members
}

/// Opinions that stay hidden from each other until all are in. Fields are
/// private so that the only way to read another's opinion is
/// [`SealedOpinions::revealed`], which is empty until the last one arrives.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SealedOpinions {
    rule: OpinionRule,
    assigned: Vec<String>,
    given: BTreeMap<String, Opinion>,
}

impl SealedOpinions {
    pub fn new(rule: OpinionRule, assigned: Vec<String>) -> Result<SealedOpinions, OpinionError> {
        if assigned.len() < 2 {
            return Err(OpinionError::TooFewPeople);
        }
        let mut sorted = assigned.clone();
        sorted.sort();
        sorted.dedup();
        if sorted.len() != assigned.len() {
            return Err(OpinionError::DuplicatePerson);
        }
        if let OpinionRule::Quorum { quorum } = rule {
            let members = u32::try_from(assigned.len()).unwrap_or(u32::MAX);
            if !quorum_is_valid(members, quorum) {
                return Err(OpinionError::QuorumInvalid);
            }
        }
        Ok(SealedOpinions {
            rule,
            assigned,
            given: BTreeMap::new(),
        })
    }

    /// Records `staff_id`'s opinion. An opinion once given is final.
    pub fn give(&mut self, staff_id: &str, opinion: Opinion) -> Result<(), OpinionError> {
        if !self.assigned.iter().any(|a| a == staff_id) {
            return Err(OpinionError::NotAssigned);
        }
        if self.given.contains_key(staff_id) {
            return Err(OpinionError::AlreadyGiven);
        }
        self.given.insert(staff_id.to_owned(), opinion);
        Ok(())
    }

    pub fn is_complete(&self) -> bool {
        self.given.len() == self.assigned.len()
    }

    /// Who has not given an opinion yet (shown to all: it says nothing of
    /// what the others think).
    pub fn pending(&self) -> Vec<&str> {
        self.assigned
            .iter()
            .filter(|a| !self.given.contains_key(*a))
            .map(String::as_str)
            .collect()
    }

    /// What `staff_id` may see now: their own opinion, if given.
    pub fn own(&self, staff_id: &str) -> Option<&Opinion> {
        self.given.get(staff_id)
    }

    /// Everyone's opinions, in assignment order — only once all are in.
    pub fn revealed(&self) -> Option<Vec<(&str, &Opinion)>> {
        if !self.is_complete() {
            return None;
        }
        Some(
            self.assigned
                .iter()
                .filter_map(|a| self.given.get(a).map(|o| (a.as_str(), o)))
                .collect(),
        )
    }

    /// The outcome, once all are in.
    pub fn outcome(&self) -> Option<ParallelOutcome> {
        if !self.is_complete() {
            return None;
        }
        let approvals = self
            .given
            .values()
            .filter(|o| o.verdict == Verdict::Approve)
            .count();
        let outcome = match self.rule {
            OpinionRule::Unanimous if approvals == self.assigned.len() => {
                ParallelOutcome::Agreed(Verdict::Approve)
            }
            OpinionRule::Unanimous if approvals == 0 => ParallelOutcome::Agreed(Verdict::Reject),
            OpinionRule::Unanimous => ParallelOutcome::Disagreement,
            OpinionRule::Quorum { quorum } => {
                if u32::try_from(approvals).unwrap_or(u32::MAX) >= quorum {
                    ParallelOutcome::Agreed(Verdict::Approve)
                } else {
                    ParallelOutcome::Agreed(Verdict::Reject)
                }
            }
        };
        Some(outcome)
    }
}
