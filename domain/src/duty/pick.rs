//! Back-to-back (背对背) assignment: investigators and approvers are picked
//! at random among the staff who are eligible, so that nobody can choose who
//! checks a loan. [`pick_back_to_back`] returns the people picked *and*
//! every candidate with the reasons they were left out, for the audit log.
//!
//! The randomness comes from a `u64` seed the caller supplies (the service
//! draws it from the operating system and stores it with the pick), run
//! through [`SplitMix64`]: the same seed and the same staff list give the same
//! pick, so an auditor can replay it. The staff list is sorted by id first,
//! so the order the database returned it in does not matter.

use serde::{Deserialize, Serialize};
use thiserror::Error;

use super::{check_assignment, Assignment, DutyError, DutyMode, Post};
use crate::error_code::ErrorCode;
use crate::org::Role;

/// A member of staff who might be picked, with what the service knows of
/// them for this application.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct StaffCandidate {
    pub staff_id: String,
    pub role: Role,
    /// The branch (支行) the person works at.
    pub branch_code: String,
    /// Open tasks in their inbox now.
    pub workload: u32,
    /// The most open tasks they may have; at the cap they are not picked.
    pub workload_cap: u32,
    /// Related to the customer (family, business partner, guarantor…):
    /// a conflict of interest (关联关系).
    pub related_to_customer: bool,
    /// They marketed this application (营销客户经理).
    pub was_marketer: bool,
}

/// What to pick.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PickRequest {
    /// The post being filled, e.g. [`Post::Investigation`].
    pub post: Post,
    /// The staff role that may hold it, e.g. [`Role::Investigator`].
    pub role: Role,
    /// Branches whose staff may be picked; empty means any branch.
    pub branch_codes: Vec<String>,
    /// How many distinct people: 2 for a back-to-back pair, N for a committee.
    pub count: usize,
    pub mode: DutyMode,
    /// Posts already held on the application; nobody is picked who would
    /// then check their own work ([`check_assignment`]).
    pub posts_so_far: Vec<Assignment>,
}

/// Why a candidate was left out. A candidate may have several.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "reason")]
pub enum Exclusion {
    WrongRole,
    OtherBranch,
    AtWorkloadCap,
    RelatedToCustomer,
    WasMarketer,
    /// Would break the separation of duties.
    Duty {
        error: DutyError,
    },
    /// The same staff id appears more than once in the list: the service's
    /// data about this person is inconsistent, so they are not picked.
    DuplicateEntry,
}

impl Exclusion {
    /// Its [`ErrorCode`], which chooses the message the user reads.
    pub fn code(&self) -> ErrorCode {
        match self {
            Exclusion::WrongRole => ErrorCode::PickWrongRole,
            Exclusion::OtherBranch => ErrorCode::PickOtherBranch,
            Exclusion::AtWorkloadCap => ErrorCode::PickAtWorkloadCap,
            Exclusion::RelatedToCustomer => ErrorCode::PickRelatedToCustomer,
            Exclusion::WasMarketer => ErrorCode::PickWasMarketer,
            Exclusion::Duty { error } => error.code(),
            Exclusion::DuplicateEntry => ErrorCode::PickDuplicateEntry,
        }
    }
}

/// One line of the audit record: a candidate, why they were left out (empty
/// when eligible), and whether they were picked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CandidateRecord {
    pub staff_id: String,
    pub exclusions: Vec<Exclusion>,
    pub picked: bool,
}

/// The result of a pick, ready for the audit log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pick {
    /// In the order drawn.
    pub picked: Vec<String>,
    /// Every candidate, sorted by staff id.
    pub candidates: Vec<CandidateRecord>,
    pub seed: u64,
}

/// Too few eligible people: the application waits for a branch head to
/// widen the pool or reassign. The candidate list still goes to the audit log.
#[derive(Debug, Clone, PartialEq, Eq, Error, Serialize, Deserialize)]
#[error("{eligible} eligible people for {needed} places")]
pub struct PickShortfall {
    pub needed: usize,
    pub eligible: usize,
    pub candidates: Vec<CandidateRecord>,
}

impl PickShortfall {
    /// Its [`ErrorCode`], which chooses the message the user reads.
    pub fn code(&self) -> ErrorCode {
        ErrorCode::PickNotEnoughEligible
    }
}

/// Every reason `c` may not take the post; empty when eligible.
pub fn exclusions(c: &StaffCandidate, req: &PickRequest) -> Vec<Exclusion> {
    let mut out = Vec::new();
    if c.role != req.role {
        out.push(Exclusion::WrongRole);
    }
    if !req.branch_codes.is_empty() && !req.branch_codes.contains(&c.branch_code) {
        out.push(Exclusion::OtherBranch);
    }
    if c.workload >= c.workload_cap {
        out.push(Exclusion::AtWorkloadCap);
    }
    if c.related_to_customer {
        out.push(Exclusion::RelatedToCustomer);
    }
    if c.was_marketer {
        out.push(Exclusion::WasMarketer);
    }
    if let Err(error) = check_assignment(req.mode, &req.posts_so_far, &c.staff_id, req.post) {
        out.push(Exclusion::Duty { error });
    }
    out
}

/// Picks `req.count` distinct eligible people uniformly at random (every
/// eligible person equally likely, whatever their workload below the cap).
pub fn pick_back_to_back(
    staff: &[StaffCandidate],
    req: &PickRequest,
    seed: u64,
) -> Result<Pick, PickShortfall> {
    let mut sorted: Vec<&StaffCandidate> = staff.iter().collect();
    sorted.sort_by(|a, b| a.staff_id.cmp(&b.staff_id));
    let listed_twice = |i: usize| {
        let id = &sorted[i].staff_id;
        (i > 0 && &sorted[i - 1].staff_id == id)
            || sorted.get(i + 1).is_some_and(|n| &n.staff_id == id)
    };
    let mut candidates: Vec<CandidateRecord> = (0..sorted.len())
        .map(|i| CandidateRecord {
            staff_id: sorted[i].staff_id.clone(),
            exclusions: if listed_twice(i) {
                vec![Exclusion::DuplicateEntry]
            } else {
                exclusions(sorted[i], req)
            },
            picked: false,
        })
        .collect();
    let mut eligible: Vec<usize> = (0..candidates.len())
        .filter(|&i| candidates[i].exclusions.is_empty())
        .collect();
    if eligible.len() < req.count {
        return Err(PickShortfall {
            needed: req.count,
            eligible: eligible.len(),
            candidates,
        });
    }
    // Partial Fisher–Yates: the first `count` slots become a uniform sample.
    let mut rng = SplitMix64::new(seed);
    for slot in 0..req.count {
        let remaining = (eligible.len() - slot) as u64;
        let j = slot + rng.below(remaining) as usize;
        eligible.swap(slot, j);
    }
    let picked: Vec<String> = eligible[..req.count]
        .iter()
        .map(|&i| {
            candidates[i].picked = true;
            candidates[i].staff_id.clone()
        })
        .collect();
    Ok(Pick {
        picked,
        candidates,
        seed,
    })
}

/// SplitMix64 (Steele, Lea, Flood 2014): a tiny, fast, well-mixed generator.
/// Not for secrets — for a fair, replayable draw from a seed that is itself
/// drawn from the operating system.
#[derive(Debug, Clone)]
pub struct SplitMix64 {
    state: u64,
}

impl SplitMix64 {
    pub fn new(seed: u64) -> SplitMix64 {
        SplitMix64 { state: seed }
    }

    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` without modulo bias (Lemire's multiply-and-reject).
    /// `n` must be at least 1.
    pub fn below(&mut self, n: u64) -> u64 {
        debug_assert!(n > 0);
        let threshold = n.wrapping_neg() % n;
        loop {
            let m = u128::from(self.next_u64()) * u128::from(n);
            if (m as u64) >= threshold {
                return (m >> 64) as u64;
            }
        }
    }
}
