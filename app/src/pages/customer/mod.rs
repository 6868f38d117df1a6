//! The customer's pages: phone first, 360 px and up, WeChat webview.

pub mod account;
pub mod apply;
pub mod bank_cards;
pub mod contract;
pub mod home;
pub mod identity;
pub mod loans;
pub mod login;
pub mod notices;
pub mod product;
pub mod progress;
pub mod schedule;
pub mod visit;

/// Where customers sign in.
pub const LOGIN: &str = "/login";

/// Where a person signed up verifies who they are (实名认证).
pub const IDENTITY: &str = "/identity";
