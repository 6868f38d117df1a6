//! 回避申报: staff declare their ties to customers (family, business
//! partner, guarantor…). Random assignment passes over a declared
//! relation, a branch head cannot reassign to it, and the declarer's open
//! tasks on that customer's applications go back to the branch head's
//! 超时与待分派 list at once.

use domain::duty::Relation;
use domain::error_code::ErrorCode;
use domain::identity::{mask_id_number, mask_name, IdNumber};
use domain::org::Role;
use domain::view::StaffRelationView;
use serde_json::json;

use crate::audit::{self, NewAuditEntry};
use crate::auth::StaffActor;
use crate::customers;
use crate::error::ServiceError;
use crate::pfi::Field;
use crate::sql;

impl crate::workflow::Workflow<'_> {
    /// The caller declares a relation with the customer holding `id_number`
    /// in their bank. Returns how many of their open tasks were handed back.
    pub async fn declare_relation(
        self,
        s: &StaffActor,
        id_number: &str,
        relation: Relation,
    ) -> Result<u64, ServiceError> {
        let bank = s.bank_id.clone().ok_or(ServiceError::Forbidden)?;
        let id = IdNumber::parse(id_number).map_err(|e| ServiceError::invalid(e.code()))?;
        let id_idx = self.config.pfi.index(Field::IdNumber, id.as_str());
        let now = self.now();
        let mut tx = self.db.begin_write().await?;
        // The guarded write first: the relation row, from the customer row.
        let added = sqlx::query(
            "INSERT INTO staff_relations (staff_id, customer_id, relation, declared_at) \
             SELECT $1, c.id, $2, $3 FROM customers c WHERE c.bank_id = $4 AND c.id_number_idx = $5 \
             ON CONFLICT (staff_id, customer_id) DO NOTHING",
        )
        .bind(&s.user_id)
        .bind(relation.as_str())
        .bind(now)
        .bind(&bank)
        .bind(&id_idx)
        .execute(&mut *tx)
        .await?;
        let customer =
            sqlx::query("SELECT id FROM customers WHERE bank_id = $1 AND id_number_idx = $2")
                .bind(&bank)
                .bind(&id_idx)
                .fetch_optional(&mut *tx)
                .await?
                .ok_or(ServiceError::invalid(ErrorCode::RelationCustomerUnknown))?;
        if added.rows_affected() != 1 {
            return Err(ServiceError::invalid(ErrorCode::RelationExists));
        }
        let customer_id = sql::text(&customer, "id")?;
        // Their open tasks on the customer's applications wait for the
        // branch head, who gives them to someone else.
        let handed_back = sqlx::query(
            "UPDATE flow_tasks SET status = 'unassigned', assignee_id = NULL, \
               version = version + 1 \
             WHERE assignee_id = $1 AND status = 'open' AND application_id IN \
               (SELECT id FROM applications WHERE customer_id = $2)",
        )
        .bind(&s.user_id)
        .bind(&customer_id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        audit::append(
            &mut tx,
            &self.config.audit_key,
            NewAuditEntry::staff(s, now, "staff.relation_declared", "customer", &customer_id)
                .after(json!({
                    "relation": relation.as_str(),
                    "id_number": mask_id_number(id.as_str()),
                    "tasks_handed_back": handed_back,
                })),
        )
        .await?;
        tx.commit().await?;
        Ok(handed_back)
    }

    /// Declared relations: the caller's own, and for a branch head or an
    /// admin everyone's in their organisation. Newest first.
    pub async fn staff_relations(
        self,
        s: &StaffActor,
    ) -> Result<Vec<StaffRelationView>, ServiceError> {
        let all = s.has_any(&[Role::BranchHead, Role::Admin]);
        let rows = sqlx::query(
            "SELECT u.display_name, c.name, c.id_number_sealed, r.relation, r.declared_at \
             FROM staff_relations r JOIN staff_users u ON u.id = r.staff_id \
               JOIN organisations o ON o.id = u.org_id \
               JOIN customers c ON c.id = r.customer_id \
             WHERE r.staff_id = $1 OR ($2 = 1 AND o.path LIKE $3) \
             ORDER BY r.declared_at DESC LIMIT 500",
        )
        .bind(&s.user_id)
        .bind(i64::from(all))
        .bind(sql::under(&s.org_path))
        .fetch_all(&self.db.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(StaffRelationView {
                    staff_name: sql::text(r, "display_name")?,
                    customer_name_masked: mask_name(&sql::text(r, "name")?),
                    id_number_masked: mask_id_number(&customers::id_number_of(
                        &self.config.pfi,
                        r,
                    )?),
                    relation: Relation::parse(&sql::text(r, "relation")?)
                        .unwrap_or(Relation::Other),
                    declared_at: sql::int(r, "declared_at")?,
                })
            })
            .collect()
    }
}
