//! The staff workbench: desktop layout, navigation by role.

pub mod application;
pub mod audit;
pub mod collateral_panel;
pub mod contract_panel;
pub mod contract_templates;
pub mod dashboard;
pub mod disbursement_panel;
pub mod eod;
pub mod escalations;
pub mod flow_designer;
pub mod guarantor_panel;
pub mod layout;
pub mod lines;
pub mod loan;
pub mod login;
pub mod outbox;
pub mod password;
pub mod portrait;
pub mod precredit;
pub mod products;
pub mod products_api;
pub mod referral;
pub mod relations;
pub mod rule_set;
pub mod rule_set_api;
pub mod rules;
pub mod security;
pub mod tasks;
pub mod visits;
pub mod write_off_panel;

/// Where staff sign in.
pub const LOGIN: &str = "/staff/login";
