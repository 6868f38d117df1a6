//! The product's row: the one writer of a new `products` row, for a
//! product manager's sub-product and the demo bank's catalogue.

use domain::money::Fen;
use domain::schedule::RepaymentMethod;

use crate::sql::Val;

/// The columns [`NewProduct::row`] fills, in its order.
pub(crate) const COLUMNS: [&str; 18] = [
    "id",
    "bank_id",
    "code",
    "name_zh",
    "name_en",
    "summary_zh",
    "summary_en",
    "min_amount_fen",
    "max_amount_fen",
    "min_term_months",
    "max_term_months",
    "annual_rate_bp",
    "repayment_method",
    "guarantee_type",
    "active",
    "sort_order",
    "created_at",
    "parent_id",
];

/// A product about to be written (no live version yet).
pub(crate) struct NewProduct<'a> {
    pub id: &'a str,
    pub bank_id: &'a str,
    pub code: &'a str,
    pub name_zh: &'a str,
    pub name_en: &'a str,
    pub summary_zh: &'a str,
    pub summary_en: &'a str,
    pub min_amount: Fen,
    pub max_amount: Fen,
    pub min_term_months: u32,
    pub max_term_months: u32,
    pub annual_rate_bp: u32,
    pub method: RepaymentMethod,
    pub guarantee: &'a str,
    pub active: bool,
    pub sort_order: i64,
    pub created_at: i64,
    /// The product a sub-product narrows.
    pub parent_id: Option<&'a str>,
}

impl NewProduct<'_> {
    /// The row for [`COLUMNS`].
    pub fn row(&self) -> Vec<Val> {
        vec![
            Val::from(self.id),
            Val::from(self.bank_id),
            Val::from(self.code),
            Val::from(self.name_zh),
            Val::from(self.name_en),
            Val::from(self.summary_zh),
            Val::from(self.summary_en),
            Val::from(self.min_amount),
            Val::from(self.max_amount),
            Val::from(self.min_term_months),
            Val::from(self.max_term_months),
            Val::from(self.annual_rate_bp),
            Val::from(self.method.as_str()),
            Val::from(self.guarantee),
            Val::Int(i64::from(self.active)),
            Val::Int(self.sort_order),
            Val::Int(self.created_at),
            Val::from(self.parent_id.map(str::to_string)),
        ]
    }
}
