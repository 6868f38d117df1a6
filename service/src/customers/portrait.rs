//! The customer portrait (客户画像): the customer 360 view staff in scope read,
//! the reading itself audited.

use domain::date::Date;
use domain::identity::{mask_id_number, mask_phone};
use domain::view::{HouseholdMember, HouseholdRelation, HouseholdView, Portrait};

use crate::applications::summaries_of_customer;
use crate::audit::{self, NewAuditEntry};
use crate::auth::{Reading, StaffActor};
use crate::customers;
use crate::error::ServiceError;
use crate::loans::loans_of_customer;
use crate::risk::authorisations::in_force;
use crate::sql;

impl crate::customers::Customers<'_> {
    /// The customer 360 view. Looking at a customer's personal information
    /// is itself audited.
    pub async fn portrait(
        self,
        s: &StaffActor,
        customer_id: &str,
    ) -> Result<Portrait, ServiceError> {
        let c = sqlx::query(
            "SELECT c.id, c.name, c.gender, c.birth_date, c.id_number_sealed, c.phone_sealed, \
                    c.occupation, \
                    c.household_id, c.branch_id, b.name AS branch_name, b.path, \
                    u.display_name AS officer_name \
             FROM customers c JOIN organisations b ON b.id = c.branch_id \
             LEFT JOIN staff_users u ON u.id = c.officer_id WHERE c.id = $1",
        )
        .bind(customer_id)
        .fetch_optional(&self.db.pool)
        .await?
        .ok_or(ServiceError::NotFound)?;
        s.may_read(Reading::CustomerFile, &sql::text(&c, "path")?)?;
        let today = self.today();
        let household = match sql::opt_text(&c, "household_id")? {
            Some(hid) => self.household(&hid, today).await?,
            None => None,
        };
        let portrait = Portrait {
            customer_id: sql::text(&c, "id")?.into(),
            name: sql::text(&c, "name")?,
            gender: sql::gender(&c, "gender")?,
            age: sql::age(sql::date(&c, "birth_date")?, today),
            id_number_masked: mask_id_number(&customers::id_number_of(&self.config.pfi, &c)?),
            phone_masked: mask_phone(&customers::phone_of(&self.config.pfi, &c)?),
            occupation: sql::text(&c, "occupation")?,
            branch_name: sql::text(&c, "branch_name")?,
            officer_name: sql::opt_text(&c, "officer_name")?,
            household,
            applications: summaries_of_customer(&self.db, customer_id).await?,
            loans: loans_of_customer(&self.db, customer_id).await?,
            bureau_authorisation: in_force(&self.db, customer_id, today).await?,
        };
        let mut tx = self.db.pool.begin().await?;
        audit::append(
            &mut tx,
            &self.config.audit_key,
            NewAuditEntry::staff(s, self.now(), "customer.viewed", "customer", customer_id)
                .org(sql::text(&c, "branch_id")?),
        )
        .await?;
        tx.commit().await?;
        Ok(portrait)
    }

    async fn household(self, id: &str, today: Date) -> Result<Option<HouseholdView>, ServiceError> {
        let Some(h) = sqlx::query(
            "SELECT h.head_name, h.address, h.members, h.annual_income_fen, h.land_area_mu_x10, \
                    h.main_business, v.name AS village, v.township \
             FROM households h JOIN villages v ON v.id = h.village_id WHERE h.id = $1",
        )
        .bind(id)
        .fetch_optional(&self.db.pool)
        .await?
        else {
            return Ok(None);
        };
        let members = sqlx::query(
            "SELECT name, relation_to_head, birth_date FROM customers WHERE household_id = $1 \
             ORDER BY birth_date, name",
        )
        .bind(id)
        .fetch_all(&self.db.pool)
        .await?;
        let mut member_list = members
            .iter()
            .map(|m| {
                Ok(HouseholdMember {
                    name: sql::text(m, "name")?,
                    relation: sql::coded(m, "relation_to_head", HouseholdRelation::parse)?,
                    age: sql::age(sql::date(m, "birth_date")?, today),
                })
            })
            .collect::<Result<Vec<_>, ServiceError>>()?;
        member_list.sort_by_key(|m| {
            (
                m.relation != HouseholdRelation::Head,
                std::cmp::Reverse(m.age),
            )
        });
        Ok(Some(HouseholdView {
            village: sql::text(&h, "village")?,
            township: sql::text(&h, "township")?,
            address: sql::text(&h, "address")?,
            head_name: sql::text(&h, "head_name")?,
            members: sql::uint(&h, "members")?,
            annual_income: sql::fen(&h, "annual_income_fen")?,
            land_area_mu_x10: sql::uint(&h, "land_area_mu_x10")?,
            main_business: sql::text(&h, "main_business")?,
            member_list,
        }))
    }
}
