//! Who is signed in (staff, customer), sign-in codes and the development SMS outbox.

use crate::org::Role;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StaffInfo {
    pub user_id: crate::id::StaffId,
    pub username: String,
    pub display_name: String,
    pub org_name: String,
    pub roles: Vec<Role>,
    /// May read the development SMS outbox (administrators, demo mode only).
    #[serde(default)]
    pub sms_outbox: bool,
    /// Signed in with a one-time password: must choose their own first.
    #[serde(default)]
    pub must_change_password: bool,
    /// Signs in with a second factor (an authenticator app).
    #[serde(default)]
    pub totp_enrolled: bool,
    /// Must add an authenticator app before anything else (their role
    /// requires a second factor).
    #[serde(default)]
    pub totp_enrolment_required: bool,
}

impl StaffInfo {
    pub fn has(&self, role: Role) -> bool {
        self.roles.contains(&role)
    }
    pub fn is_manager(&self) -> bool {
        self.roles.iter().any(|r| r.is_manager())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomerInfo {
    pub name: String,
    pub phone_masked: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SentCode {
    pub phone_masked: String,
    pub resend_after_secs: i64,
    pub expires_in_secs: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SmsMessage {
    pub id: String,
    pub phone_masked: String,
    pub body: String,
    pub provider: String,
    pub status: SmsStatus,
    pub error: Option<String>,
    pub created_at: i64,
}

crate::coded_enum! {
    /// What became of a text message.
    pub enum SmsStatus {
        Sent => "sent",
        Failed => "failed",
    }
}
