//! Loan applications (进件): the one place an application's status moves
//! ([`status`]). Submission, investigation and approval move here as the
//! lifecycle is gathered in one module (issue 15).

pub(crate) mod status;
