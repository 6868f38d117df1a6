//! The customer's row: the one place that writes a new customer (demo,
//! whitelist import), sealing the ID number and phone and indexing them
//! ([`crate::pfi`]), and that reads them back. The customer portrait staff
//! read ([`portrait`]) is a use case a layer higher: it reads the
//! customer's applications, loans and authorisations.

use_cases!(
    /// The use cases of this module, reached as `services.customers()`.
    Customers,
    customers
);

use domain::identity::IdNumber;

use crate::error::ServiceError;
use crate::pfi::{Field, PfiKeys};
use crate::sql::{self, Val};

mod portrait;

/// The columns [`NewCustomer::row`] fills, in its order.
pub(crate) const COLUMNS: [&str; 15] = [
    "id",
    "bank_id",
    "branch_id",
    "household_id",
    "relation_to_head",
    "name",
    "id_number_sealed",
    "id_number_idx",
    "phone_sealed",
    "phone_idx",
    "gender",
    "birth_date",
    "occupation",
    "officer_id",
    "created_at",
];

/// A customer about to be written.
pub(crate) struct NewCustomer<'a> {
    pub id: &'a str,
    pub bank_id: &'a str,
    pub branch_id: &'a str,
    pub household_id: Option<&'a str>,
    pub relation_to_head: &'a str,
    pub name: &'a str,
    pub id_number: &'a IdNumber,
    /// None for a whitelisted person whose phone the bank does not know.
    pub phone: Option<&'a str>,
    pub occupation: &'a str,
    pub officer_id: Option<&'a str>,
    pub created_at: i64,
}

impl NewCustomer<'_> {
    /// The row for [`COLUMNS`]: gender and birth date come from the ID
    /// number; the ID number and phone are sealed and indexed.
    pub fn row(&self, keys: &PfiKeys) -> Vec<Val> {
        let phone = self.phone.unwrap_or("");
        vec![
            Val::from(self.id),
            Val::from(self.bank_id),
            Val::from(self.branch_id),
            Val::from(self.household_id.map(str::to_string)),
            Val::from(self.relation_to_head),
            Val::from(self.name),
            Val::from(keys.seal(Field::IdNumber, self.id_number.as_str())),
            Val::from(keys.index(Field::IdNumber, self.id_number.as_str())),
            Val::from(keys.seal(Field::Phone, phone)),
            Val::from(self.phone.map(|p| keys.index(Field::Phone, p))),
            Val::from(self.id_number.gender().as_str()),
            Val::from(self.id_number.birth_date().to_string()),
            Val::from(self.occupation),
            Val::from(self.officer_id.map(str::to_string)),
            Val::Int(self.created_at),
        ]
    }
}

/// The ID number of a row that selected `id_number_sealed`.
pub(crate) fn id_number_of(
    keys: &PfiKeys,
    row: &sqlx::any::AnyRow,
) -> Result<String, ServiceError> {
    keys.open(Field::IdNumber, &sql::text(row, "id_number_sealed")?)
}

/// The phone of a row that selected `phone_sealed` ("" when unknown).
pub(crate) fn phone_of(keys: &PfiKeys, row: &sqlx::any::AnyRow) -> Result<String, ServiceError> {
    keys.open(Field::Phone, &sql::text(row, "phone_sealed")?)
}
