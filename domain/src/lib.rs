//! The pure rules of lending for Puhui: money in fen, interest rates, civil dates,
//! repayment schedules, resident ID and phone numbers, organisation roles, the
//! loan-application state machine, and the text and signed bytes of loan contracts.
//!
//! This crate depends on nothing heavier than serde and thiserror so that the
//! server and the WebAssembly front end run exactly the same rules. Every amount is
//! an integer number of fen; no floating point is used to produce money. Every
//! error enum has a `code()` that returns its [`error_code::ErrorCode`], the one
//! list of codes a user can receive.

mod annuity;
pub mod application;
mod bigint;
pub mod coded;
pub mod collateral;
pub mod contract;
pub mod date;
pub mod duty;
pub mod error_code;
pub mod flow;
pub mod guarantor;
pub mod id;
pub mod id_card;
pub mod identity;
pub mod image;
pub mod money;
pub mod notice;
pub mod org;
pub mod password;
pub mod product;
pub mod rate;
pub mod rules;
pub mod schedule;
pub mod servicing;
pub mod view;
pub mod visit;
pub mod web;
