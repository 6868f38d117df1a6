//! The manager's dashboard figures.

use crate::application::ApplicationStatus;
use crate::date::Date;
use crate::money::Fen;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Dashboard {
    pub by_status: Vec<(ApplicationStatus, i64)>,
    /// Every day of the window, zeros included.
    pub per_day: Vec<(Date, i64)>,
    pub total_applications: i64,
    pub active_loans: i64,
    pub outstanding: Fen,
    pub approval_rate_permille: i64,
}
