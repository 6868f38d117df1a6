//! The product factory's writes (产品工厂): a new product, top-level or a
//! sub-product; the next version of a product (any parameter, the
//! repayment methods included); publishing a version under maker-checker;
//! and withdrawing one (停用).
//!
//! Every change is a version: a draft by one product manager, published by
//! another. A top-level product's version holds its full parameters; a
//! sub-product's holds its own changes (`overrides`) beside the resolved
//! result. A version is checked when drafted and again when published:
//! against the bank's limits, its parent (narrow, never widen), its live
//! sub-products (each must still fit inside it), and its flow (every
//! application it can receive must have a way through). Applications keep
//! the version they were made under, whatever is published or withdrawn
//! later.

use domain::error_code::ErrorCode;
use domain::flow::FlowTemplate;
use domain::product::version::{version_transition, VersionAction, VersionError};
use domain::product::{
    check_narrows, BankPolicy, FlowRef, ProductField, ProductOverride, ProductParams,
    ResolvedProduct,
};
use domain::schedule::RepaymentMethod;
use serde_json::json;
use sqlx::AnyConnection;

use super::{
    checked, flow_fits, json_of, live_params, named, params_of, parse, product_errors,
    require_product_manager, rows, template, templates, version_of, write_terms, Products,
    VERSION_COLS, VERSION_FROM,
};
use crate::audit::{self, NewAuditEntry};
use crate::auth::StaffActor;
use crate::db::new_id;
use crate::error::ServiceError;
use crate::sql;
use domain::view::{NewProductDraft, NewProductVersion};

/// The longest note or withdrawal reason kept, in characters.
const MAX_NOTE: usize = 200;

/// A top-level product's parameters checked on their own: the bank's
/// limits, then its flow against every application it can receive.
fn checked_root(params: ProductParams, flow: &FlowTemplate) -> Result<ProductParams, ServiceError> {
    let params = ResolvedProduct::root(params, &BankPolicy::platform())
        .map_err(product_errors)?
        .into_params();
    flow_fits(flow, &params)?;
    Ok(params)
}

/// A new top-level product must state its own amount, term, rate range and
/// pricing: it has no parent to take them from.
fn complete(o: &ProductOverride) -> Result<(), ServiceError> {
    let missing = if o.amount.is_none() {
        Some((ProductField::Amount, ErrorCode::ProductRangeIncomplete))
    } else if o.term_months.is_none() {
        Some((ProductField::TermMonths, ErrorCode::ProductRangeIncomplete))
    } else if o.rate_bp.is_none() {
        Some((ProductField::RateBp, ErrorCode::ProductRangeIncomplete))
    } else if o.pricing.is_none() {
        Some((ProductField::Pricing, ErrorCode::PricingIncomplete))
    } else {
        None
    };
    match missing {
        Some((field, code)) => Err(ServiceError::Validation {
            code,
            params: vec![("field", field.as_str().to_string())],
        }),
        None => Ok(()),
    }
}

/// The flow a version runs: the latest of the bank's template `code`.
async fn flow_of(
    conn: &mut AnyConnection,
    bank: &str,
    code: &str,
) -> Result<(FlowTemplate, Option<FlowRef>), ServiceError> {
    let flow = template(conn, bank, code.trim()).await?;
    let at = Some(FlowRef {
        template_code: flow.code.clone(),
        version: 1,
    });
    Ok((flow, at))
}

/// Each live sub-product of `product_id` must still fit inside `params`.
async fn children_fit(
    conn: &mut AnyConnection,
    product_id: &str,
    params: &ProductParams,
) -> Result<(), ServiceError> {
    let rows = sqlx::query(
        "SELECT p.code, v.params FROM products p JOIN product_versions v \
           ON v.product_id = p.id AND v.version = p.live_version \
         WHERE p.parent_id = $1 AND v.status = 'published' ORDER BY p.code",
    )
    .bind(product_id)
    .fetch_all(&mut *conn)
    .await?;
    for r in &rows {
        let child: ProductParams = parse(&sql::text(r, "params")?, "params")?;
        if !check_narrows(params, &child).is_empty() {
            return Err(ServiceError::Validation {
                code: ErrorCode::ProductChildWidens,
                params: vec![("product", sql::text(r, "code")?)],
            });
        }
    }
    Ok(())
}

/// The parameters a new version of a top-level product starts from: its
/// newest published or withdrawn version's.
async fn latest_params(
    conn: &mut AnyConnection,
    product_id: &str,
) -> Result<ProductParams, ServiceError> {
    params_of(
        conn,
        "SELECT params FROM product_versions WHERE product_id = $1 AND status <> 'draft' \
         ORDER BY version DESC LIMIT 1",
        product_id,
    )
    .await
}

/// A version's changes and resolved parameters, checked: over the parent's
/// live version for a sub-product (what equals the parent's stays
/// inherited), over `base` for a top-level product.
async fn resolve_draft(
    conn: &mut AnyConnection,
    parent_id: Option<&str>,
    base: impl FnOnce() -> ProductParams,
    overrides: &ProductOverride,
    flow: &FlowTemplate,
    flow_ref: Option<FlowRef>,
) -> Result<(Option<ProductOverride>, ProductParams, ProductOverride), ServiceError> {
    match parent_id {
        Some(parent) => {
            let parent_params = live_params(conn, parent).await?;
            let mut o = overrides.clone().changes_from(&parent_params);
            o.flow = flow_ref;
            let params = checked(parent_params, &o, flow)?;
            Ok((Some(o.clone()), params, o))
        }
        None => {
            let base = base();
            let mut o = overrides.clone();
            o.flow = flow_ref;
            let params = checked_root(o.apply_to(&base), flow)?;
            let changes = o.changes_from(&base);
            Ok((None, params, changes))
        }
    }
}

impl Products<'_> {
    /// A product manager drafts a new product: a sub-product of a published
    /// product (its parameters with `overrides`, narrowing never widening),
    /// or a top-level product (the bank's standard starting point with
    /// `overrides`, which must give the amount, term, rate and pricing),
    /// running `flow_code`. Refused with the first problem found; nothing
    /// is stored then. Returns the new product's id; it offers nothing until
    /// another manager publishes the draft.
    pub async fn create_product(
        self,
        s: &StaffActor,
        n: NewProductDraft,
    ) -> Result<String, ServiceError> {
        let bank = require_product_manager(s)?;
        let (code, name_zh, name_en) = named(
            &n.code,
            &n.name_zh,
            &n.name_en,
            (ErrorCode::ProductCodeInvalid, ErrorCode::ProductNameInvalid),
        )?;
        let summary: String = n.summary_zh.trim().chars().take(MAX_NOTE).collect();
        let mut conn = self.db.pool.acquire().await?;
        let sort_order = match &n.parent_id {
            Some(parent_id) => {
                let parent = sqlx::query("SELECT bank_id, sort_order FROM products WHERE id = $1")
                    .bind(parent_id.as_str())
                    .fetch_optional(&mut *conn)
                    .await?
                    .ok_or(ServiceError::NotFound)?;
                if sql::text(&parent, "bank_id")? != bank {
                    return Err(ServiceError::NotFound);
                }
                sql::int(&parent, "sort_order")? + 1
            }
            None => {
                complete(&n.overrides)?;
                let r = sqlx::query(
                    "SELECT CAST(COALESCE(MAX(sort_order), 0) AS BIGINT) AS s FROM products \
                     WHERE bank_id = $1",
                )
                .bind(&bank)
                .fetch_one(&mut *conn)
                .await?;
                sql::int(&r, "s")? + 10
            }
        };
        let (flow, flow_ref) = flow_of(&mut conn, &bank, &n.flow_code).await?;
        let (overrides, params, changes) = resolve_draft(
            &mut conn,
            n.parent_id.as_ref().map(|p| p.as_str()),
            || templates::starting_params(&code),
            &n.overrides,
            &flow,
            flow_ref,
        )
        .await?;
        drop(conn);

        let now = self.now();
        let id = new_id();
        let version_id = new_id();
        let mut tx = self.db.pool.begin().await?;
        let taken = sqlx::query("SELECT 1 AS one FROM products WHERE bank_id = $1 AND code = $2")
            .bind(&bank)
            .bind(&code)
            .fetch_optional(&mut *tx)
            .await?;
        if taken.is_some() {
            return Err(ServiceError::invalid(ErrorCode::ProductCodeTaken));
        }
        // Placeholder terms until `write_terms` copies the version's; the
        // product stays inactive until a version is published.
        let row = rows::NewProduct {
            id: &id,
            bank_id: &bank,
            code: &code,
            name_zh: &name_zh,
            name_en: &name_en,
            summary_zh: &summary,
            summary_en: &name_en,
            min_amount: domain::money::Fen(1),
            max_amount: domain::money::Fen(1),
            min_term_months: 1,
            max_term_months: 1,
            annual_rate_bp: 1,
            method: RepaymentMethod::EqualInstalment,
            guarantee: "credit",
            active: false,
            sort_order,
            created_at: now,
            parent_id: n.parent_id.as_ref().map(|p| p.as_str()),
        }
        .row();
        sql::insert_rows(&mut tx, "products", &rows::COLUMNS, &[row]).await?;
        write_terms(&mut tx, &id, &params, None).await?;
        sqlx::query(
            "INSERT INTO product_versions (id, product_id, version, status, overrides, params, \
               flow, note, author_id, created_at, updated_at) \
             VALUES ($1, $2, 1, 'draft', $3, $4, $5, '', $6, $7, $7)",
        )
        .bind(&version_id)
        .bind(&id)
        .bind(
            overrides
                .as_ref()
                .map(|o| json_of(o, "overrides"))
                .transpose()?,
        )
        .bind(json_of(&params, "params")?)
        .bind(json_of(&flow, "flow")?)
        .bind(&s.user_id)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        audit::append(
            &mut tx,
            &self.config.audit_key,
            NewAuditEntry::staff(s, now, "product.drafted", "product", &id).after(json!({
                "code": code,
                "parent_id": n.parent_id,
                "version": 1,
                "overrides": changes,
                "flow": flow.code,
            })),
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// A product manager drafts the next version of a product: any
    /// parameter may change (a sub-product's only within its parent), and
    /// the flow. While a draft is open its author changes it by drafting
    /// again; another manager is told whose draft waits
    /// (`product_draft_open`). Returns the draft's version number.
    pub async fn draft_product_version(
        self,
        s: &StaffActor,
        v: NewProductVersion,
    ) -> Result<u32, ServiceError> {
        let bank = require_product_manager(s)?;
        let note: String = v.note.trim().chars().take(MAX_NOTE).collect();
        let product_id = v.product_id.as_str();
        let mut conn = self.db.pool.acquire().await?;
        let p = sqlx::query("SELECT bank_id, parent_id FROM products WHERE id = $1")
            .bind(product_id)
            .fetch_optional(&mut *conn)
            .await?
            .ok_or(ServiceError::NotFound)?;
        if sql::text(&p, "bank_id")? != bank {
            return Err(ServiceError::NotFound);
        }
        let parent_id = sql::opt_text(&p, "parent_id")?;
        let base = latest_params(&mut conn, product_id).await?;
        let (flow, flow_ref) = flow_of(&mut conn, &bank, &v.flow_code).await?;
        let (overrides, params, changes) = resolve_draft(
            &mut conn,
            parent_id.as_deref(),
            || base,
            &v.overrides,
            &flow,
            flow_ref,
        )
        .await?;
        let open = sqlx::query(
            "SELECT v.id, v.version, v.author_id, v.row_version, u.display_name \
             FROM product_versions v LEFT JOIN staff_users u ON u.id = v.author_id \
             WHERE v.product_id = $1 AND v.status = 'draft'",
        )
        .bind(product_id)
        .fetch_optional(&mut *conn)
        .await?;
        drop(conn);

        let now = self.now();
        let overrides_json = overrides
            .as_ref()
            .map(|o| json_of(o, "overrides"))
            .transpose()?;
        let mut tx = self.db.pool.begin().await?;
        let (version_id, number) = match open {
            Some(d) => {
                let author = sql::opt_text(&d, "author_id")?;
                let mine = author.as_deref() == Some(s.user_id.as_str());
                version_transition(
                    domain::product::version::VersionStatus::Draft,
                    VersionAction::Edit,
                    mine,
                )
                .map_err(|e| match e {
                    VersionError::NotAuthor => ServiceError::Validation {
                        code: ErrorCode::ProductDraftOpen,
                        params: vec![(
                            "name",
                            sql::opt_text(&d, "display_name")
                                .ok()
                                .flatten()
                                .unwrap_or_default(),
                        )],
                    },
                    e => ServiceError::invalid(e.code()),
                })?;
                let id = sql::text(&d, "id")?;
                let moved = sqlx::query(
                    "UPDATE product_versions SET overrides = $3, params = $4, flow = $5, \
                       note = $6, updated_at = $7, row_version = row_version + 1 \
                     WHERE id = $1 AND row_version = $2 AND status = 'draft'",
                )
                .bind(&id)
                .bind(sql::int(&d, "row_version")?)
                .bind(&overrides_json)
                .bind(json_of(&params, "params")?)
                .bind(json_of(&flow, "flow")?)
                .bind(&note)
                .bind(now)
                .execute(&mut *tx)
                .await?;
                if moved.rows_affected() != 1 {
                    return Err(ServiceError::StaleState);
                }
                (id, sql::uint(&d, "version")?)
            }
            None => {
                let r = sqlx::query(
                    "SELECT CAST(COALESCE(MAX(version), 0) AS BIGINT) AS v \
                     FROM product_versions WHERE product_id = $1",
                )
                .bind(product_id)
                .fetch_one(&mut *tx)
                .await?;
                let number = sql::uint(&r, "v")? + 1;
                let id = new_id();
                // Two managers drafting at once: one draft per product (and
                // one row per version number) lets one in; the other is
                // told to look again.
                sqlx::query(
                    "INSERT INTO product_versions (id, product_id, version, status, overrides, \
                       params, flow, note, author_id, created_at, updated_at) \
                     VALUES ($1, $2, $3, 'draft', $4, $5, $6, $7, $8, $9, $9)",
                )
                .bind(&id)
                .bind(product_id)
                .bind(i64::from(number))
                .bind(&overrides_json)
                .bind(json_of(&params, "params")?)
                .bind(json_of(&flow, "flow")?)
                .bind(&note)
                .bind(&s.user_id)
                .bind(now)
                .execute(&mut *tx)
                .await
                .map_err(|_| ServiceError::StaleState)?;
                (id, number)
            }
        };
        audit::append(
            &mut tx,
            &self.config.audit_key,
            NewAuditEntry::staff(s, now, "product.version_drafted", "product", product_id).after(
                json!({
                    "version": number,
                    "version_id": version_id,
                    "changes": changes,
                    "flow": flow.code,
                    "note": note,
                }),
            ),
        )
        .await?;
        tx.commit().await?;
        Ok(number)
    }

    /// Publishes a draft version: by a product manager who did not write it
    /// (maker-checker), after checking it again: a sub-product against its
    /// parent's live version, a top-level product against the bank's
    /// limits, and either against its own live sub-products, which must
    /// still fit inside it (`product_child_widens`, naming the first). The
    /// version it replaces retires; applications made under it keep running
    /// their own rules. A withdrawn product is offered again.
    pub async fn publish_product_version(
        self,
        s: &StaffActor,
        version_id: &str,
        expected_row_version: i64,
    ) -> Result<(), ServiceError> {
        let bank = require_product_manager(s)?;
        let mut conn = self.db.pool.acquire().await?;
        let sql = format!(
            "SELECT {VERSION_COLS}, p.bank_id, p.parent_id, p.live_version {VERSION_FROM} \
             JOIN products p ON p.id = v.product_id WHERE v.id = $1"
        );
        let r = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(version_id)
            .fetch_optional(&mut *conn)
            .await?
            .ok_or(ServiceError::NotFound)?;
        if sql::text(&r, "bank_id")? != bank {
            return Err(ServiceError::NotFound);
        }
        let v = version_of(&r)?;
        if v.row_version != expected_row_version {
            return Err(ServiceError::StaleState);
        }
        let author = sql::opt_text(&r, "author_id")?.unwrap_or_default();
        let actor = s.user_id.as_str();
        version_transition(v.status, VersionAction::Publish, author == actor)
            .map_err(|e| ServiceError::invalid(e.code()))?;
        let params = match (&v.overrides, sql::opt_text(&r, "parent_id")?) {
            (Some(o), Some(parent)) => {
                let parent_params = live_params(&mut conn, &parent).await?;
                checked(parent_params, o, &v.flow)?
            }
            _ => checked_root(v.params.clone(), &v.flow)?,
        };
        children_fit(&mut conn, &v.product_id, &params).await?;
        let live = sql::opt_int(&r, "live_version")?;
        drop(conn);

        let now = self.now();
        let mut tx = self.db.pool.begin().await?;
        let moved = sqlx::query(
            "UPDATE product_versions SET status = 'published', params = $3, publisher_id = $4, \
               published_at = $5, updated_at = $5, row_version = row_version + 1 \
             WHERE id = $1 AND row_version = $2 AND status = 'draft'",
        )
        .bind(version_id)
        .bind(expected_row_version)
        .bind(json_of(&params, "params")?)
        .bind(actor)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        if moved.rows_affected() != 1 {
            return Err(ServiceError::StaleState);
        }
        if let Some(live) = live {
            sqlx::query(
                "UPDATE product_versions SET status = 'retired', retired_at = $3, updated_at = $3, \
                   row_version = row_version + 1 \
                 WHERE product_id = $1 AND version = $2 AND status = 'published'",
            )
            .bind(v.product_id.as_str())
            .bind(live)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        }
        write_terms(&mut tx, &v.product_id, &params, Some(v.version)).await?;
        audit::append(
            &mut tx,
            &self.config.audit_key,
            NewAuditEntry::staff(s, now, "product.published", "product", &v.product_id)
                .before(json!({ "live_version": live }))
                .after(json!({ "live_version": v.version, "version_id": version_id })),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Withdraws (停用) a product's live version with its reason: the
    /// product takes no new applications (customers no longer see it), and
    /// every application and loan made under it runs on to its end. Refused
    /// while a sub-product of it is live (`product_has_live_children`). A
    /// later published version offers the product again.
    pub async fn retire_product_version(
        self,
        s: &StaffActor,
        version_id: &str,
        expected_row_version: i64,
        reason: &str,
    ) -> Result<(), ServiceError> {
        let bank = require_product_manager(s)?;
        let reason: String = reason.trim().chars().take(MAX_NOTE).collect();
        if reason.is_empty() {
            return Err(ServiceError::invalid(
                ErrorCode::ProductRetireReasonRequired,
            ));
        }
        let r = sqlx::query(
            "SELECT v.product_id, v.version, v.status, v.row_version, p.bank_id \
             FROM product_versions v JOIN products p ON p.id = v.product_id WHERE v.id = $1",
        )
        .bind(version_id)
        .fetch_optional(&self.db.pool)
        .await?
        .ok_or(ServiceError::NotFound)?;
        if sql::text(&r, "bank_id")? != bank {
            return Err(ServiceError::NotFound);
        }
        if sql::int(&r, "row_version")? != expected_row_version {
            return Err(ServiceError::StaleState);
        }
        let status = sql::coded(&r, "status", domain::product::version::VersionStatus::parse)?;
        version_transition(status, VersionAction::Retire, false)
            .map_err(|e| ServiceError::invalid(e.code()))?;
        let product_id = sql::text(&r, "product_id")?;
        let live_child = sqlx::query(
            "SELECT 1 AS one FROM products c JOIN product_versions v \
               ON v.product_id = c.id AND v.version = c.live_version \
             WHERE c.parent_id = $1 AND v.status = 'published' LIMIT 1",
        )
        .bind(&product_id)
        .fetch_optional(&self.db.pool)
        .await?;
        if live_child.is_some() {
            return Err(ServiceError::invalid(ErrorCode::ProductHasLiveChildren));
        }
        let now = self.now();
        let mut tx = self.db.pool.begin().await?;
        let moved = sqlx::query(
            "UPDATE product_versions SET status = 'retired', retired_at = $3, retire_reason = $4, \
               updated_at = $3, row_version = row_version + 1 \
             WHERE id = $1 AND row_version = $2 AND status = 'published'",
        )
        .bind(version_id)
        .bind(expected_row_version)
        .bind(now)
        .bind(&reason)
        .execute(&mut *tx)
        .await?;
        if moved.rows_affected() != 1 {
            return Err(ServiceError::StaleState);
        }
        sqlx::query("UPDATE products SET active = 0 WHERE id = $1")
            .bind(&product_id)
            .execute(&mut *tx)
            .await?;
        audit::append(
            &mut tx,
            &self.config.audit_key,
            NewAuditEntry::staff(s, now, "product.retired", "product", &product_id)
                .before(json!({ "version": sql::int(&r, "version")?, "active": true }))
                .after(json!({ "active": false, "version_id": version_id, "reason": reason })),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}
