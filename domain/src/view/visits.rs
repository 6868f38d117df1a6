//! 预约上门 as the customer and the officer see it.

use serde::{Deserialize, Serialize};

use crate::visit::VisitStatus;

/// A visit booked for an application.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VisitView {
    pub id: String,
    pub application_id: crate::id::ApplicationId,
    pub starts_at: i64,
    pub status: VisitStatus,
    pub version: i64,
    pub officer_name: String,
}

/// A free hour of the officer's the customer may book.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FreeSlot {
    pub id: String,
    pub starts_at: i64,
}

/// The visit card on the customer's progress page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomerVisitPanel {
    /// The live visit, if one is booked.
    pub visit: Option<VisitView>,
    /// The officer's free hours in the next two weeks (bookable ones).
    pub slots: Vec<FreeSlot>,
    /// The application still waits for its visit.
    pub open: bool,
}

/// A visit on the officer's list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StaffVisitView {
    pub id: String,
    pub application_id: crate::id::ApplicationId,
    pub customer_name: String,
    pub product_name_zh: String,
    pub product_name_en: String,
    pub starts_at: i64,
    pub status: VisitStatus,
    pub version: i64,
}

/// One of the officer's hours.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OfficerSlot {
    pub id: String,
    pub starts_at: i64,
    /// The customer holding it, when booked.
    pub booked_by: Option<String>,
}

/// The officer's visits still to come or to answer, and their hours.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OfficerVisits {
    pub visits: Vec<StaffVisitView>,
    pub slots: Vec<OfficerSlot>,
}
