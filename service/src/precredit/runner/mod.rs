//! The pre-credit runner: claims a job (a lease: `runner`, `heartbeat_at`),
//! then chunk by chunk reads the subjects after the cursor, their loans,
//! open applications and credit reports, decides them and commits the
//! results with the cursor move in one transaction.
//!
//! By part: `job` claims, runs and finishes a job (the pipeline of chunks);
//! `read` reads a chunk's subjects and facts; `bureau` pulls their credit
//! reports; `decide` makes one subject's result row; `commit` decides a
//! chunk and writes it with the cursor move; `timings` keeps the run's
//! times and counts.

mod bureau;
mod commit;
mod decide;
mod job;
mod read;
mod timings;

use domain::rules::lifecycle::DecisionStage;

/// The stage whose live rule set decides pre-credit: the full decision,
/// which has the score, limit and pricing stages.
pub(crate) const PRECREDIT_STAGE: DecisionStage = DecisionStage::Full;

/// Reason code of a household with no head of household on file.
pub const NO_HOUSEHOLD_HEAD: &str = "no_household_head";
/// Reason code of a customer whose bank does not offer the job's product.
pub const PRODUCT_NOT_OFFERED: &str = "product_not_offered";
