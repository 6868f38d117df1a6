//! Products: the product factory (产品工厂), versioned products and
//! sub-products made and published by product managers under maker-checker;
//! the product supermarket (产品超市) every staff member reads; the catalogue
//! ([`catalogue`]); and the starter flow templates a product's approval flow
//! begins from ([`templates`]).
//!
//! A version's parameters are stored resolved (`params`), with the
//! sub-product's own changes beside them (`overrides`) and a copy of its flow
//! template (`flow`), so that an application keeps exactly the rules it was
//! made under whatever is published later. Publishing re-checks everything
//! against the parent's live version and the bank's limits, writes the
//! parameters applications are checked against into the product row, and
//! retires the version it replaces.

use_cases!(
    /// The use cases of this module, reached as `services.products()`.
    Products,
    products
);

use domain::error_code::ErrorCode;
use domain::flow::{FactSpace, FlowError, FlowTemplate};
use domain::org::Role;
use domain::product::version::VersionStatus;
use domain::product::{
    resolve, Applicant, BankPolicy, GuaranteeType, ProductError, ProductOverride, ProductParams,
    ResolvedProduct,
};
use domain::rate::AnnualRate;
use domain::schedule::RepaymentMethod;
use serde::{Deserialize, Serialize};
use serde_json::json;
use sqlx::any::AnyRow;
use sqlx::{Any, AnyConnection, Transaction};

mod catalogue;
mod factory;
pub(crate) mod rows;
pub mod templates;

use crate::audit::{self, NewAuditEntry};
use crate::auth::{CustomerActor, StaffActor};
use crate::customers;
use crate::db::new_id;
use crate::error::ServiceError;
use crate::sql;
pub(crate) use catalogue::load_product;
use templates::{legacy_params, starters, LegacyProduct};

pub use domain::view::{
    FlowTemplateView, NewFlowTemplate, NewProductDraft, NewProductVersion, ProductVersionView,
    SupermarketProduct,
};

fn product_errors(errors: Vec<ProductError>) -> ServiceError {
    let first = errors
        .first()
        .map(|e| e.code())
        .unwrap_or(ErrorCode::ProductInvalid);
    ServiceError::Validation {
        code: first,
        params: vec![(
            "field",
            errors
                .first()
                .map(|e| e.field().as_str().to_string())
                .unwrap_or_default(),
        )],
    }
}

fn json_of<T: Serialize>(v: &T, what: &str) -> Result<String, ServiceError> {
    serde_json::to_string(v).map_err(|e| ServiceError::internal(what, e))
}

fn parse<T: for<'de> Deserialize<'de>>(raw: &str, what: &str) -> Result<T, ServiceError> {
    serde_json::from_str(raw).map_err(|e| ServiceError::internal(what, e))
}

fn valid_code(code: &str) -> bool {
    (2..=32).contains(&code.len())
        && code
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

/// A code and names as typed, checked (`refusals`: the codes for a bad code
/// and a bad Chinese name); the English name defaults to the code.
fn named(
    code: &str,
    name_zh: &str,
    name_en: &str,
    refusals: (ErrorCode, ErrorCode),
) -> Result<(String, String, String), ServiceError> {
    let code = code.trim().to_string();
    if !valid_code(&code) {
        return Err(ServiceError::invalid(refusals.0));
    }
    let name_zh = name_zh.trim().to_string();
    if name_zh.is_empty() || name_zh.chars().count() > 40 {
        return Err(ServiceError::invalid(refusals.1));
    }
    let name_en = match name_en.trim() {
        "" => code.clone(),
        other => other.chars().take(80).collect(),
    };
    Ok((code, name_zh, name_en))
}

/// Writes the bank's starter flow templates when it has none.
async fn ensure_templates(
    conn: &mut AnyConnection,
    bank_id: &str,
    now: i64,
) -> Result<(), ServiceError> {
    let any = sqlx::query("SELECT 1 AS one FROM flow_templates WHERE bank_id = $1 LIMIT 1")
        .bind(bank_id)
        .fetch_optional(&mut *conn)
        .await?;
    if any.is_some() {
        return Ok(());
    }
    for s in starters() {
        s.body
            .clone()
            .validate(&FactSpace::everything())
            .map_err(|e| ServiceError::Internal(format!("starter flow {}: {e:?}", s.code)))?;
        sqlx::query(
            "INSERT INTO flow_templates (id, bank_id, code, version, name_zh, name_en, body, \
               created_by, created_at) VALUES ($1, $2, $3, 1, $4, $5, $6, NULL, $7)",
        )
        .bind(new_id())
        .bind(bank_id)
        .bind(s.code)
        .bind(s.name_zh)
        .bind(s.name_en)
        .bind(json_of(&s.body, "flow template")?)
        .bind(now)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// Gives every product without a version its first one, published by the
/// system from its stored terms with the standard flow, and every bank its
/// starter templates. Run by the demo generator and at start-up, so a
/// database from before the product factory keeps working. Returns how
/// many versions it made.
pub async fn ensure_first_versions(
    conn: &mut AnyConnection,
    now: i64,
) -> Result<u64, ServiceError> {
    let rows = sqlx::query(
        "SELECT p.id, p.bank_id, p.code, p.min_amount_fen, p.max_amount_fen, \
                p.min_term_months, p.max_term_months, p.annual_rate_bp, p.repayment_method, \
                p.guarantee_type \
         FROM products p WHERE NOT EXISTS \
           (SELECT 1 FROM product_versions v WHERE v.product_id = p.id) \
         ORDER BY p.bank_id, p.sort_order, p.code",
    )
    .fetch_all(&mut *conn)
    .await?;
    let standard = templates::standard();
    let mut made = 0;
    for r in &rows {
        let bank_id = sql::text(r, "bank_id")?;
        ensure_templates(conn, &bank_id, now).await?;
        let code = sql::text(r, "code")?;
        let guarantee = sql::text(r, "guarantee_type")?;
        let params = legacy_params(&LegacyProduct {
            code: &code,
            min_amount: sql::fen(r, "min_amount_fen")?,
            max_amount: sql::fen(r, "max_amount_fen")?,
            min_term: sql::uint(r, "min_term_months")?,
            max_term: sql::uint(r, "max_term_months")?,
            rate_bp: sql::uint(r, "annual_rate_bp")?,
            method: sql::method(r, "repayment_method")?,
            guarantee: GuaranteeType::parse(&guarantee).unwrap_or(GuaranteeType::Credit),
        });
        let resolved = ResolvedProduct::root(params, &BankPolicy::platform())
            .map_err(|e| ServiceError::Internal(format!("first version of {code}: {e:?}")))?;
        standard
            .clone()
            .validate_for_product(&FactSpace::of_product(resolved.params()))
            .map_err(|e| ServiceError::Internal(format!("standard flow for {code}: {e:?}")))?;
        let product_id = sql::text(r, "id")?;
        sqlx::query(
            "INSERT INTO product_versions (id, product_id, version, status, overrides, params, \
               flow, note, author_id, publisher_id, created_at, published_at, updated_at) \
             VALUES ($1, $2, 1, 'published', NULL, $3, $4, $5, NULL, NULL, $6, $6, $6)",
        )
        .bind(new_id())
        .bind(&product_id)
        .bind(json_of(resolved.params(), "product params")?)
        .bind(json_of(&standard, "flow")?)
        .bind("首个版本：按产品原有条款生成")
        .bind(now)
        .execute(&mut *conn)
        .await?;
        sqlx::query("UPDATE products SET live_version = 1 WHERE id = $1")
            .bind(&product_id)
            .execute(&mut *conn)
            .await?;
        made += 1;
    }
    Ok(made)
}

const VERSION_COLS: &str = "v.id, v.product_id, v.version, v.status, v.overrides, v.params, \
     v.flow, v.note, au.display_name AS author_name, pu.display_name AS publisher_name, \
     v.created_at, v.published_at, v.retire_reason, v.row_version, v.author_id";

const VERSION_FROM: &str = "FROM product_versions v \
     LEFT JOIN staff_users au ON au.id = v.author_id \
     LEFT JOIN staff_users pu ON pu.id = v.publisher_id";

fn version_of(r: &AnyRow) -> Result<ProductVersionView, ServiceError> {
    let status = sql::text(r, "status")?;
    Ok(ProductVersionView {
        id: sql::text(r, "id")?.into(),
        product_id: sql::text(r, "product_id")?.into(),
        version: sql::uint(r, "version")?,
        status: VersionStatus::parse(&status)
            .ok_or_else(|| ServiceError::Internal(format!("version status {status}")))?,
        overrides: sql::opt_text(r, "overrides")?
            .map(|o| parse(&o, "overrides"))
            .transpose()?,
        params: parse(&sql::text(r, "params")?, "params")?,
        flow: parse(&sql::text(r, "flow")?, "flow")?,
        note: sql::text(r, "note")?,
        author_name: sql::opt_text(r, "author_name")?,
        publisher_name: sql::opt_text(r, "publisher_name")?,
        created_at: sql::int(r, "created_at")?,
        published_at: sql::opt_int(r, "published_at")?,
        retire_reason: sql::opt_text(r, "retire_reason")?,
        row_version: sql::int(r, "row_version")?,
    })
}

/// The live (published) parameters of a product.
async fn live_params(
    conn: &mut AnyConnection,
    product_id: &str,
) -> Result<ProductParams, ServiceError> {
    params_of(
        conn,
        "SELECT v.params FROM products p JOIN product_versions v \
           ON v.product_id = p.id AND v.version = p.live_version \
         WHERE p.id = $1 AND v.status = 'published'",
        product_id,
    )
    .await
}

/// The parameters of the one version of a product (`$1`) that `query`
/// picks; refused as not published when there is none.
async fn params_of(
    conn: &mut AnyConnection,
    query: &'static str,
    product_id: &str,
) -> Result<ProductParams, ServiceError> {
    let r = sqlx::query(query)
        .bind(product_id)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or(ServiceError::invalid(ErrorCode::ParentNotPublished))?;
    parse(&sql::text(&r, "params")?, "params")
}

/// The latest version of a flow template of the bank.
async fn template(
    conn: &mut AnyConnection,
    bank_id: &str,
    code: &str,
) -> Result<FlowTemplate, ServiceError> {
    let r = sqlx::query(
        "SELECT body FROM flow_templates WHERE bank_id = $1 AND code = $2 \
         ORDER BY version DESC LIMIT 1",
    )
    .bind(bank_id)
    .bind(code)
    .fetch_optional(&mut *conn)
    .await?
    .ok_or(ServiceError::invalid(ErrorCode::FlowUnknown))?;
    parse(&sql::text(&r, "body")?, "flow template")
}

/// Resolves a sub-product against its parent and checks its flow against
/// the applications it can receive: the first problem as the error.
fn checked(
    parent: ProductParams,
    overrides: &ProductOverride,
    flow: &FlowTemplate,
) -> Result<ProductParams, ServiceError> {
    let policy = BankPolicy::platform();
    let parent = ResolvedProduct::root(parent, &policy).map_err(product_errors)?;
    let params = resolve(&parent, overrides, &policy)
        .map_err(product_errors)?
        .into_params();
    flow_fits(flow, &params)?;
    Ok(params)
}

/// The flow must work for every application the product can receive.
fn flow_fits(flow: &FlowTemplate, params: &ProductParams) -> Result<(), ServiceError> {
    flow.clone()
        .validate_for_product(&FactSpace::of_product(params))
        .map(|_| ())
        .map_err(|errors| flow_refusal(&errors))
}

/// A refused flow as the first problem's code, naming its nodes.
fn flow_refusal(errors: &[FlowError]) -> ServiceError {
    let first = errors.first();
    ServiceError::Validation {
        code: first.map(FlowError::code).unwrap_or(ErrorCode::FlowInvalid),
        params: vec![(
            "nodes",
            first.map(|e| e.nodes().join("、")).unwrap_or_default(),
        )],
    }
}

/// The terms the application form checks against, kept on the product row.
async fn write_terms(
    tx: &mut Transaction<'_, Any>,
    product_id: &str,
    p: &ProductParams,
    live_version: Option<u32>,
) -> Result<(), ServiceError> {
    let method = p
        .repayment_methods
        .first()
        .copied()
        .unwrap_or(RepaymentMethod::EqualInstalment);
    let guarantee = p
        .guarantee_types
        .first()
        .copied()
        .unwrap_or(GuaranteeType::Credit);
    // Checked by the product rules: a valid rate in basis points.
    AnnualRate::from_bp(p.pricing.base_rate_bp)?;
    sqlx::query(
        "UPDATE products SET min_amount_fen = $2, max_amount_fen = $3, min_term_months = $4, \
           max_term_months = $5, annual_rate_bp = $6, repayment_method = $7, \
           guarantee_type = $8, live_version = COALESCE($9, live_version), \
           repayment_methods = $10, guarantee_types = $11, \
           active = CASE WHEN $9 IS NULL THEN active ELSE 1 END \
         WHERE id = $1",
    )
    .bind(product_id)
    .bind(p.amount.min.get())
    .bind(p.amount.max.get())
    .bind(i64::from(p.term_months.min))
    .bind(i64::from(p.term_months.max))
    .bind(i64::from(p.pricing.base_rate_bp))
    .bind(method.as_str())
    .bind(guarantee.as_str())
    .bind(live_version.map(i64::from))
    .bind(sql::code_list(
        &p.repayment_methods,
        RepaymentMethod::as_str,
    ))
    .bind(sql::code_list(&p.guarantee_types, GuaranteeType::as_str))
    .execute(&mut **tx)
    .await?;
    Ok(())
}

fn require_product_manager(s: &StaffActor) -> Result<String, ServiceError> {
    if !s.has_any(&[Role::ProductManager, Role::Admin]) {
        return Err(ServiceError::Forbidden);
    }
    s.bank_id.clone().ok_or(ServiceError::Forbidden)
}

impl Products<'_> {
    /// The bank's flow templates, for the factory's flow picker.
    pub async fn flow_templates(
        self,
        s: &StaffActor,
    ) -> Result<Vec<FlowTemplateView>, ServiceError> {
        let bank = s.bank_id.clone().ok_or(ServiceError::Forbidden)?;
        let rows = sqlx::query(
            "SELECT code, version, name_zh, name_en, body FROM flow_templates \
             WHERE bank_id = $1 ORDER BY code, version DESC",
        )
        .bind(bank)
        .fetch_all(&self.db.pool)
        .await?;
        let mut out: Vec<FlowTemplateView> = Vec::new();
        for r in &rows {
            let code = sql::text(r, "code")?;
            if out.last().is_some_and(|t| t.code == code) {
                continue; // only the latest version of each
            }
            out.push(FlowTemplateView {
                code,
                version: sql::uint(r, "version")?,
                name_zh: sql::text(r, "name_zh")?,
                name_en: sql::text(r, "name_en")?,
                body: parse(&sql::text(r, "body")?, "flow template")?,
            });
        }
        Ok(out)
    }

    /// Saves a flow template the product manager designed, as the next
    /// version of its code in the bank's library (a new code starts at 1).
    /// It must work for every application any product could send it: every
    /// node reachable, no dead end, no loop without an exit, no way to the
    /// approved end without an approval. Refused with the first problem,
    /// naming its nodes; nothing is stored then. Products keep the copy of
    /// the flow they were published with, so no application moves.
    pub async fn save_flow_template(
        self,
        s: &StaffActor,
        t: NewFlowTemplate,
    ) -> Result<u32, ServiceError> {
        let bank = require_product_manager(s)?;
        let (code, name_zh, name_en) = named(
            &t.code,
            &t.name_zh,
            &t.name_en,
            (ErrorCode::FlowCodeInvalid, ErrorCode::FlowNameInvalid),
        )?;
        let mut body = t.body;
        body.code = code.clone();
        body.clone()
            .validate(&FactSpace::everything())
            .map_err(|errors| flow_refusal(&errors))?;
        let now = self.now();
        let r = sqlx::query(
            "SELECT COALESCE(MAX(version), 0) AS v FROM flow_templates \
             WHERE bank_id = $1 AND code = $2",
        )
        .bind(&bank)
        .bind(&code)
        .fetch_one(&self.db.pool)
        .await?;
        let version = sql::uint(&r, "v")? + 1;
        let id = new_id();
        let mut tx = self.db.pool.begin().await?;
        // Two saves of one code at once: the unique (bank, code, version)
        // lets one in; the other is told to look again.
        sqlx::query(
            "INSERT INTO flow_templates (id, bank_id, code, version, name_zh, name_en, body, \
               created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(&id)
        .bind(&bank)
        .bind(&code)
        .bind(i64::from(version))
        .bind(&name_zh)
        .bind(&name_en)
        .bind(json_of(&body, "flow template")?)
        .bind(&s.user_id)
        .bind(now)
        .execute(&mut *tx)
        .await
        .map_err(|_| ServiceError::StaleState)?;
        audit::append(
            &mut tx,
            &self.config.audit_key,
            NewAuditEntry::staff(s, now, "flow_template.saved", "flow_template", &id).after(
                json!({
                    "code": code,
                    "version": version,
                    "name_zh": name_zh,
                    "nodes": body.nodes.len(),
                    "edges": body.edges.len(),
                }),
            ),
        )
        .await?;
        tx.commit().await?;
        Ok(version)
    }

    /// 产品超市: every product of the staff member's bank with its versions
    /// (drafts only for product managers), parents before their children.
    pub async fn supermarket(
        self,
        s: &StaffActor,
    ) -> Result<Vec<SupermarketProduct>, ServiceError> {
        let bank = s.bank_id.clone().ok_or(ServiceError::Forbidden)?;
        let rows = sqlx::query(
            "SELECT p.id, p.code, p.name_zh, p.name_en, p.summary_zh, p.parent_id, \
                    pp.name_zh AS parent_name_zh, p.live_version \
             FROM products p LEFT JOIN products pp ON pp.id = p.parent_id \
             WHERE p.bank_id = $1 \
             ORDER BY COALESCE(pp.sort_order, p.sort_order), COALESCE(pp.code, p.code), \
                      p.parent_id IS NOT NULL, p.code",
        )
        .bind(&bank)
        .fetch_all(&self.db.pool)
        .await?;
        let sql = format!(
            "SELECT {VERSION_COLS} {VERSION_FROM} JOIN products p ON p.id = v.product_id \
             WHERE p.bank_id = $1 ORDER BY v.product_id, v.version DESC"
        );
        let versions = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(&bank)
            .fetch_all(&self.db.pool)
            .await?;
        let sees_drafts = s.has_any(&[Role::ProductManager, Role::Admin]);
        let mut all: Vec<ProductVersionView> = Vec::new();
        for r in &versions {
            let v = version_of(r)?;
            if v.status != VersionStatus::Draft || sees_drafts {
                all.push(v);
            }
        }
        let mut out = Vec::new();
        for r in &rows {
            let id = sql::text(r, "id")?;
            let versions: Vec<ProductVersionView> =
                all.iter().filter(|v| v.product_id == id).cloned().collect();
            if versions.is_empty() {
                continue;
            }
            out.push(SupermarketProduct {
                code: sql::text(r, "code")?,
                name_zh: sql::text(r, "name_zh")?,
                name_en: sql::text(r, "name_en")?,
                summary_zh: sql::text(r, "summary_zh")?,
                parent_id: sql::opt_text(r, "parent_id")?.map(Into::into),
                parent_name_zh: sql::opt_text(r, "parent_name_zh")?,
                live_version: sql::opt_int(r, "live_version")?.and_then(|v| u32::try_from(v).ok()),
                versions,
                id: id.into(),
            });
        }
        Ok(out)
    }

    /// The products a customer may apply for: published, of their bank, and
    /// whose target customers include them (region by the first six digits
    /// of their ID number, branch, age, occupation).
    pub async fn offered_products(
        self,
        c: &CustomerActor,
    ) -> Result<Vec<domain::view::ProductView>, ServiceError> {
        let who = sqlx::query(
            "SELECT c.id_number_sealed, c.birth_date, c.occupation, b.code AS branch_code \
             FROM customers c JOIN organisations b ON b.id = c.branch_id WHERE c.id = $1",
        )
        .bind(&c.customer_id)
        .fetch_optional(&self.db.pool)
        .await?
        .ok_or(ServiceError::Unauthenticated)?;
        let id_number = customers::id_number_of(&self.config.pfi, &who)?;
        let applicant = Applicant {
            region_code: id_number.chars().take(6).collect(),
            branch_code: sql::text(&who, "branch_code")?,
            age: sql::age(sql::date(&who, "birth_date")?, self.today()),
            occupation: sql::text(&who, "occupation")?,
        };
        let rows = sqlx::query(
            "SELECT p.id, v.params FROM products p JOIN product_versions v \
               ON v.product_id = p.id AND v.version = p.live_version \
             WHERE p.bank_id = $1 AND p.active = 1",
        )
        .bind(&c.bank_id)
        .fetch_all(&self.db.pool)
        .await?;
        let mut offered = std::collections::HashSet::new();
        for r in &rows {
            let params: ProductParams = parse(&sql::text(r, "params")?, "params")?;
            let resolved = ResolvedProduct::root(params, &BankPolicy::platform());
            if resolved.is_ok_and(|p| p.offered_to(&applicant)) {
                offered.insert(sql::text(r, "id")?);
            }
        }
        let all = self.list_products(Some(&c.bank_id)).await?;
        Ok(all
            .into_iter()
            .filter(|p| offered.contains(p.id.as_str()))
            .collect())
    }
}

// ---- The catalogue: products as customers and staff see them.

pub(super) const PRODUCT_COLUMNS: &str =
    "id, bank_id, code, name_zh, name_en, summary_zh, summary_en, \
     min_amount_fen, max_amount_fen, min_term_months, max_term_months, annual_rate_bp, \
     repayment_method, guarantee_type, repayment_methods, guarantee_types";
