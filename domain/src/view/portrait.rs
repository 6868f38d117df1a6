//! The customer portrait (客户画像): the customer, their household and history,
//! and their credit-bureau authorisation.

use super::{ApplicationSummary, LoanSummary};
use crate::date::Date;
use crate::identity::Gender;
use crate::money::Fen;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HouseholdMember {
    pub name: String,
    pub relation: HouseholdRelation,
    pub age: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HouseholdView {
    pub village: String,
    pub township: String,
    pub address: String,
    pub head_name: String,
    pub members: u32,
    pub annual_income: Fen,
    pub land_area_mu_x10: u32,
    pub main_business: String,
    pub member_list: Vec<HouseholdMember>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Portrait {
    pub customer_id: crate::id::CustomerId,
    pub name: String,
    pub gender: Gender,
    pub age: u32,
    pub id_number_masked: String,
    pub phone_masked: String,
    pub occupation: String,
    pub branch_name: String,
    pub officer_name: Option<String>,
    pub household: Option<HouseholdView>,
    pub applications: Vec<ApplicationSummary>,
    pub loans: Vec<LoanSummary>,
    /// The 征信查询授权 in force today, if any: pre-credit asks the bureau
    /// about this customer only while there is one.
    pub bureau_authorisation: Option<BureauAuthorisationView>,
}

/// A customer's signed authorisation to query the credit bureau.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BureauAuthorisationView {
    /// The signed form's number.
    pub evidence: String,
    pub granted_on: Date,
    pub expires_on: Date,
}

crate::coded_enum! {
    /// A member's place in the household (与户主关系), as stored in
    /// `customers.relation_to_head`.
    pub enum HouseholdRelation {
        Head => "head",
        Spouse => "spouse",
        Child => "child",
        Parent => "parent",
        Other => "other",
    }
}
