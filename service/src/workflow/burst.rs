//! Support for `puhui burst`, the routing-and-assignment benchmark: who
//! submits, and where every application ended up.

use domain::money::Fen;

use crate::auth::CustomerActor;
use crate::error::ServiceError;
use crate::sql;

/// The customers who submit in a burst, and what they apply for.
pub struct BurstSubjects {
    pub product_id: String,
    /// The product's minimum amount and term.
    pub amount: Fen,
    pub term_months: u32,
    pub customers: Vec<CustomerActor>,
}

/// Where a burst's applications are.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Placement {
    /// With an open or unassigned task: in someone's inbox.
    pub in_inbox: usize,
    /// Rejected by the pre-screen: closed, no inbox needed.
    pub screened_out: usize,
    /// Neither: stuck in the flow.
    pub stranded: usize,
}

impl crate::workflow::Workflow<'_> {
    /// The active product `code` of the first bank that has it, and up to
    /// `n` of that bank's customers with no application yet (so nothing is
    /// refused as a repeat).
    pub async fn burst_subjects(self, code: &str, n: usize) -> Result<BurstSubjects, ServiceError> {
        let product = sqlx::query(
            "SELECT p.id, p.bank_id, p.min_amount_fen, p.min_term_months FROM products p \
             JOIN organisations b ON b.id = p.bank_id WHERE p.code = $1 AND p.active = 1 \
             ORDER BY b.code LIMIT 1",
        )
        .bind(code)
        .fetch_optional(&self.db.pool)
        .await?
        .ok_or(ServiceError::NotFound)?;
        let rows = sqlx::query(
            "SELECT c.id FROM customers c WHERE c.bank_id = $1 AND NOT EXISTS \
               (SELECT 1 FROM applications a WHERE a.customer_id = c.id) \
             ORDER BY c.id LIMIT $2",
        )
        .bind(sql::text(&product, "bank_id")?)
        .bind(i64::try_from(n).unwrap_or(i64::MAX))
        .fetch_all(&self.db.pool)
        .await?;
        let mut customers = Vec::with_capacity(rows.len());
        for r in &rows {
            customers.push(self.auth().customer_actor(&sql::text(r, "id")?).await?);
        }
        Ok(BurstSubjects {
            product_id: sql::text(&product, "id")?,
            amount: sql::fen(&product, "min_amount_fen")?,
            term_months: sql::uint(&product, "min_term_months")?,
            customers,
        })
    }

    /// Counts where each application is: in an inbox, closed by the
    /// pre-screen, or stranded.
    pub async fn flow_placement(self, ids: &[String]) -> Result<Placement, ServiceError> {
        let mut p = Placement::default();
        for id in ids {
            let r = sqlx::query(
                "SELECT a.status, (SELECT COUNT(*) FROM flow_tasks t \
                   WHERE t.application_id = a.id AND t.status IN ('open', 'unassigned')) AS tasks \
                 FROM applications a WHERE a.id = $1",
            )
            .bind(id)
            .fetch_one(&self.db.pool)
            .await?;
            match (sql::text(&r, "status")?.as_str(), sql::int(&r, "tasks")?) {
                (_, n) if n > 0 => p.in_inbox += 1,
                ("rejected", _) => p.screened_out += 1,
                _ => p.stranded += 1,
            }
        }
        Ok(p)
    }
}
