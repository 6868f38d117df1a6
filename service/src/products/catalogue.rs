//! The catalogue (产品目录): the products a bank offers, as the customer's
//! pages, the application and servicing read them.

use domain::product::GuaranteeType;
use domain::schedule::RepaymentMethod;
use sqlx::any::AnyRow;

use super::PRODUCT_COLUMNS;
use crate::db::Db;
use crate::error::ServiceError;
use crate::sql;
use domain::view::ProductView;

fn product_view(r: &AnyRow) -> Result<ProductView, ServiceError> {
    let method = sql::method(r, "repayment_method")?;
    let guarantee_type = sql::coded(r, "guarantee_type", GuaranteeType::parse)?;
    Ok(ProductView {
        id: sql::text(r, "id")?.into(),
        code: sql::text(r, "code")?,
        name_zh: sql::text(r, "name_zh")?,
        name_en: sql::text(r, "name_en")?,
        summary_zh: sql::text(r, "summary_zh")?,
        summary_en: sql::text(r, "summary_en")?,
        min_amount: sql::fen(r, "min_amount_fen")?,
        max_amount: sql::fen(r, "max_amount_fen")?,
        min_term_months: sql::uint(r, "min_term_months")?,
        max_term_months: sql::uint(r, "max_term_months")?,
        rate: sql::rate(r, "annual_rate_bp")?,
        methods: sql::coded_list(r, "repayment_methods", RepaymentMethod::parse, method)?,
        guarantee_types: sql::coded_list(
            r,
            "guarantee_types",
            GuaranteeType::parse,
            guarantee_type,
        )?,
        method,
        guarantee_type,
    })
}

/// A product with the bank it belongs to.
pub(crate) async fn load_product(
    db: &Db,
    id: &str,
) -> Result<(ProductView, String, bool), ServiceError> {
    let sql = format!("SELECT {PRODUCT_COLUMNS}, active FROM products WHERE id = $1");
    let r = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .fetch_optional(&db.pool)
        .await?
        .ok_or(ServiceError::NotFound)?;
    Ok((
        product_view(&r)?,
        sql::text(&r, "bank_id")?,
        sql::int(&r, "active")? == 1,
    ))
}

impl crate::products::Products<'_> {
    /// The active products of a bank in display order; `None` means the
    /// first bank (the one the public site shows).
    pub async fn list_products(
        self,
        bank_id: Option<&str>,
    ) -> Result<Vec<ProductView>, ServiceError> {
        let bank_id = match bank_id {
            Some(b) => b.to_string(),
            None => {
                let first = sqlx::query(
                    "SELECT id FROM organisations WHERE kind = 'bank' ORDER BY code LIMIT 1",
                )
                .fetch_optional(&self.db.pool)
                .await?;
                match first {
                    Some(r) => sql::text(&r, "id")?,
                    None => return Ok(Vec::new()),
                }
            }
        };
        let sql = format!(
            "SELECT {PRODUCT_COLUMNS} FROM products WHERE bank_id = $1 AND active = 1 \
             ORDER BY sort_order, code"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(bank_id)
            .fetch_all(&self.db.pool)
            .await?;
        rows.iter().map(product_view).collect()
    }

    /// One product, active or not.
    pub async fn product(self, id: &str) -> Result<ProductView, ServiceError> {
        Ok(load_product(&self.db, id).await?.0)
    }
}
