//! Disbursement (放款) as the disbursement desk reads it: the customer's
//! bound bank account, the payouts made and where the application stands.

use serde::{Deserialize, Serialize};

use crate::error_code::ErrorCode;
use crate::money::Fen;

crate::coded_enum! {
    /// Whether the payout provider matched a bank account to its holder.
    pub enum AccountStatus {
        Verified => "verified",
        Failed => "failed",
    }
}

crate::coded_enum! {
    /// Where a payout order is: sent and waiting, paid (the loan is
    /// booked), or failed (nothing paid; another may be made).
    pub enum PayoutStatus {
        Pending => "pending",
        Succeeded => "succeeded",
        Failed => "failed",
    }
}

/// A customer's bank account, masked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BankAccountView {
    pub id: String,
    /// "6217***********0123".
    pub account_masked: String,
    pub bank_name: String,
    pub status: AccountStatus,
    /// The provider's reason when the check failed (a code such as
    /// `account_mismatch`).
    pub failure: Option<String>,
    pub created_at: i64,
}

/// One payout order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PayoutView {
    pub reference: String,
    pub amount: Fen,
    pub account_masked: String,
    pub status: PayoutStatus,
    /// The provider's reason when it failed (`account_frozen`, …).
    pub failure: Option<String>,
    pub requested_by: String,
    pub created_at: i64,
    pub updated_at: i64,
}

/// The disbursement panel of an approved application.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DisbursementView {
    pub application_id: crate::id::ApplicationId,
    pub amount: Fen,
    /// The loan contract is signed.
    pub contract_signed: bool,
    /// The customer's accounts, newest first; the newest verified one is
    /// paid into.
    pub accounts: Vec<BankAccountView>,
    pub payouts: Vec<PayoutView>,
    /// Booked when the payout succeeded.
    pub loan_id: Option<crate::id::LoanId>,
    /// The viewer may register the customer's account (counter staff).
    pub can_bind_account: bool,
    /// The viewer may pay out now.
    pub can_disburse: bool,
    /// Why paying out is not possible now, for the viewer's role.
    pub blocked_reason: Option<ErrorCode>,
}
