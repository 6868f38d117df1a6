//! Loan servicing (贷后/核算), the pure part: schedules with product options,
//! credit lines (授信/用信), the double-entry ledger with repayment allocation and
//! prepayment, and the per-loan end-of-day step (日终跑批). No I/O: callers load
//! state, call these functions and store what they return.

pub mod credit_line;
pub mod eod;
pub mod ledger;
pub mod schedule_options;
