//! Contract templates (合同模板): versioned bodies per product and kind, or
//! bank-wide (`product_id` `None`), under maker-checker. A product manager
//! writes a draft (every save parsed by `ContractTemplate::parse`, so a
//! broken body is refused with its line and column), submits it, and a
//! second product manager (or an administrator) publishes it, which
//! retires the version it replaces in the same transaction. The author may
//! not publish their own (refused and audited). The same roles as the
//! product factory's versions (`publish_product_version`): a contract's
//! wording belongs with the product's terms.
//!
//! A contract uses the published version of its product and kind, else the
//! bank-wide one, else the built-in `default_body` as version 0.

use domain::contract::{default_body, ContractKind, ContractTemplate};
use domain::org::Role;
pub use domain::view::{TemplateDraft, TemplateStatus, TemplateView};
use serde::{Deserialize, Serialize};
use serde_json::json;
use sqlx::any::AnyRow;

use crate::audit::{self, NewAuditEntry};
use crate::auth::StaffActor;
use crate::db::new_id;
use crate::error::ServiceError;
use crate::sql;

/// The template a contract is drawn up from: `id` `None` and version 0 for
/// the built-in default.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResolvedTemplate {
    pub id: Option<String>,
    pub version: i64,
    pub body: String,
}

const SELECT: &str = "SELECT id, bank_id, product_id, kind, version, status, body, author_id, \
     approver_id, created_at, updated_at, published_at, row_version FROM contract_templates";

fn view_of(r: &AnyRow) -> Result<TemplateView, ServiceError> {
    let kind = sql::text(r, "kind")?;
    let status = sql::text(r, "status")?;
    Ok(TemplateView {
        id: sql::text(r, "id")?,
        product_id: sql::opt_text(r, "product_id")?,
        kind: ContractKind::parse(&kind)
            .ok_or_else(|| ServiceError::internal("contract template kind", kind))?,
        version: sql::int(r, "version")?,
        status: TemplateStatus::parse(&status)
            .ok_or_else(|| ServiceError::internal("contract template status", status))?,
        body: sql::text(r, "body")?,
        author_id: sql::text(r, "author_id")?,
        approver_id: sql::opt_text(r, "approver_id")?,
        created_at: sql::int(r, "created_at")?,
        updated_at: sql::int(r, "updated_at")?,
        published_at: sql::opt_int(r, "published_at")?,
        row_version: sql::int(r, "row_version")?,
    })
}

/// The bank of a member of staff who may write or publish templates.
fn template_manager(s: &StaffActor) -> Result<String, ServiceError> {
    if !s.has_any(&[Role::ProductManager, Role::Admin]) {
        return Err(ServiceError::Forbidden);
    }
    s.bank_id.clone().ok_or(ServiceError::Forbidden)
}

/// The body parsed as a template of `kind`, or its error with the place.
fn check_body(kind: ContractKind, body: &str) -> Result<(), ServiceError> {
    ContractTemplate::parse(kind, body)
        .map(|_| ())
        .map_err(|e| ServiceError::Validation {
            code: e.code(),
            params: e.params(),
        })
}

fn unique_violation(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(d) if d.is_unique_violation())
}

impl crate::contracts::Contracts<'_> {
    /// The template versions of the user's bank, optionally of one product
    /// (`Some("")` for the bank-wide ones), by product, kind and newest first.
    pub async fn list_contract_templates(
        self,
        s: &StaffActor,
        product_id: Option<&str>,
    ) -> Result<Vec<TemplateView>, ServiceError> {
        let bank = template_manager(s)?;
        let sql = format!(
            "{SELECT} WHERE bank_id = $1 AND ($2 = '*' OR COALESCE(product_id, '') = $2) \
             ORDER BY COALESCE(product_id, ''), kind, version DESC"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(&bank)
            .bind(product_id.unwrap_or("*"))
            .fetch_all(&self.db.pool)
            .await?;
        rows.iter().map(view_of).collect()
    }

    /// One version of the user's bank.
    pub async fn contract_template(
        self,
        s: &StaffActor,
        id: &str,
    ) -> Result<TemplateView, ServiceError> {
        let bank = template_manager(s)?;
        let sql = format!("{SELECT} WHERE id = $1 AND bank_id = $2");
        let r = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(id)
            .bind(&bank)
            .fetch_optional(&self.db.pool)
            .await?
            .ok_or(ServiceError::NotFound)?;
        view_of(&r)
    }

    /// Saves a draft: a new version (numbered after the last of its product
    /// and kind) or the author's edit of their own draft. The body must
    /// parse as a template of its kind: otherwise `Validation` with the
    /// template error's code and `line`, `column`, `name`, `names`, `max_kb`.
    pub async fn save_contract_template(
        self,
        s: &StaffActor,
        d: TemplateDraft,
    ) -> Result<TemplateView, ServiceError> {
        let bank = template_manager(s)?;
        check_body(d.kind, &d.body)?;
        let now = self.now();
        let product = d.product_id.clone().filter(|p| !p.is_empty());
        if let Some(p) = &product {
            let found = sqlx::query("SELECT id FROM products WHERE id = $1 AND bank_id = $2")
                .bind(p)
                .bind(&bank)
                .fetch_optional(&self.db.pool)
                .await?;
            if found.is_none() {
                return Err(ServiceError::NotFound);
            }
        }
        let id = match d.id {
            Some(id) => {
                let old = self.contract_template(s, &id).await?;
                if old.status != TemplateStatus::Draft || old.author_id != s.user_id {
                    return Err(ServiceError::StaleState);
                }
                if old.kind != d.kind || old.product_id != product {
                    return Err(ServiceError::StaleState);
                }
                let expected = d.expected_row_version.unwrap_or(old.row_version);
                let mut tx = self.db.begin_write().await?;
                let moved = sqlx::query(
                    "UPDATE contract_templates SET body = $3, updated_at = $4, \
                       row_version = row_version + 1 \
                     WHERE id = $1 AND row_version = $2 AND status = 'draft' AND author_id = $5",
                )
                .bind(&id)
                .bind(expected)
                .bind(&d.body)
                .bind(now)
                .bind(&s.user_id)
                .execute(&mut *tx)
                .await?;
                if moved.rows_affected() != 1 {
                    return Err(ServiceError::StaleState);
                }
                audit::append(
                    &mut tx,
                    &self.config.audit_key,
                    NewAuditEntry::staff(
                        s,
                        now,
                        "contract_template.draft_saved",
                        "contract_template",
                        &id,
                    )
                    .before(json!({ "row_version": expected }))
                    .after(json!({
                        "kind": d.kind.as_str(),
                        "version": old.version,
                        "row_version": expected + 1,
                    })),
                )
                .await?;
                tx.commit().await?;
                id
            }
            None => {
                let id = new_id();
                let mut tx = self.db.begin_write().await?;
                let next = sqlx::query(
                    "SELECT CAST(COALESCE(MAX(version), 0) AS BIGINT) + 1 AS v \
                     FROM contract_templates \
                     WHERE bank_id = $1 AND COALESCE(product_id, '') = $2 AND kind = $3",
                )
                .bind(&bank)
                .bind(product.as_deref().unwrap_or(""))
                .bind(d.kind.as_str())
                .fetch_one(&mut *tx)
                .await?;
                let version = sql::int(&next, "v")?;
                let inserted = sqlx::query(
                    "INSERT INTO contract_templates (id, bank_id, product_id, kind, version, \
                       body, status, author_id, created_at, updated_at, row_version) \
                     VALUES ($1, $2, $3, $4, $5, $6, 'draft', $7, $8, $8, 0)",
                )
                .bind(&id)
                .bind(&bank)
                .bind(product.clone())
                .bind(d.kind.as_str())
                .bind(version)
                .bind(&d.body)
                .bind(&s.user_id)
                .bind(now)
                .execute(&mut *tx)
                .await;
                match inserted {
                    Ok(_) => {}
                    Err(e) if unique_violation(&e) => return Err(ServiceError::StaleState),
                    Err(e) => return Err(e.into()),
                }
                audit::append(
                    &mut tx,
                    &self.config.audit_key,
                    NewAuditEntry::staff(
                        s,
                        now,
                        "contract_template.draft_created",
                        "contract_template",
                        &id,
                    )
                    .org(bank.clone())
                    .after(json!({
                        "product_id": product,
                        "kind": d.kind.as_str(),
                        "version": version,
                    })),
                )
                .await?;
                tx.commit().await?;
                id
            }
        };
        self.contract_template(s, &id).await
    }

    /// The author submits their draft for a second person to publish.
    pub async fn submit_contract_template(
        self,
        s: &StaffActor,
        id: &str,
        expected_row_version: i64,
    ) -> Result<(), ServiceError> {
        template_manager(s)?;
        let t = self.contract_template(s, id).await?;
        if t.status != TemplateStatus::Draft || t.author_id != s.user_id {
            return Err(ServiceError::StaleState);
        }
        check_body(t.kind, &t.body)?;
        self.move_template(
            s,
            &t,
            expected_row_version,
            TemplateStatus::Submitted,
            "contract_template.submitted",
            "submitted_at = $4",
        )
        .await
    }

    /// A second product manager (or an administrator) publishes a
    /// submitted version; the published version of the same product and
    /// kind retires in the same transaction. The author may not:
    /// `SelfApproval`, recorded in the audit log.
    pub async fn publish_contract_template(
        self,
        s: &StaffActor,
        id: &str,
        expected_row_version: i64,
    ) -> Result<(), ServiceError> {
        template_manager(s)?;
        let t = self.contract_template(s, id).await?;
        if t.status != TemplateStatus::Submitted {
            return Err(ServiceError::StaleState);
        }
        if t.author_id == s.user_id {
            let mut tx = self.db.begin_write().await?;
            audit::append(
                &mut tx,
                &self.config.audit_key,
                NewAuditEntry::staff(
                    s,
                    self.now(),
                    "contract_template.self_approval_refused",
                    "contract_template",
                    id,
                )
                .after(json!({ "kind": t.kind.as_str(), "version": t.version })),
            )
            .await?;
            tx.commit().await?;
            return Err(ServiceError::SelfApproval);
        }
        self.move_template(
            s,
            &t,
            expected_row_version,
            TemplateStatus::Published,
            "contract_template.published",
            "published_at = $4, approver_id = $6",
        )
        .await
    }

    /// Takes a version out of use (a published one: contracts then fall
    /// back to the bank-wide template or the default) or discards a draft.
    pub async fn retire_contract_template(
        self,
        s: &StaffActor,
        id: &str,
        expected_row_version: i64,
    ) -> Result<(), ServiceError> {
        template_manager(s)?;
        let t = self.contract_template(s, id).await?;
        if t.status == TemplateStatus::Retired {
            return Err(ServiceError::StaleState);
        }
        self.move_template(
            s,
            &t,
            expected_row_version,
            TemplateStatus::Retired,
            "contract_template.retired",
            "retired_at = $4",
        )
        .await
    }

    /// One guarded step with its audit entry. `set` may use `$4` (now) and
    /// `$6` (the user).
    async fn move_template(
        self,
        s: &StaffActor,
        t: &TemplateView,
        expected_row_version: i64,
        next: TemplateStatus,
        action: &str,
        set: &str,
    ) -> Result<(), ServiceError> {
        let now = self.now();
        let mut tx = self.db.begin_write().await?;
        let mut retired = None;
        if next == TemplateStatus::Published {
            let old = sqlx::query(
                "SELECT id FROM contract_templates WHERE bank_id = (SELECT bank_id FROM \
                 contract_templates WHERE id = $1) AND COALESCE(product_id, '') = $2 \
                 AND kind = $3 AND status = 'published'",
            )
            .bind(&t.id)
            .bind(t.product_id.as_deref().unwrap_or(""))
            .bind(t.kind.as_str())
            .fetch_optional(&mut *tx)
            .await?;
            if let Some(old) = old {
                let old_id = sql::text(&old, "id")?;
                sqlx::query(
                    "UPDATE contract_templates SET status = 'retired', retired_at = $2, \
                       updated_at = $2, row_version = row_version + 1 \
                     WHERE id = $1 AND status = 'published'",
                )
                .bind(&old_id)
                .bind(now)
                .execute(&mut *tx)
                .await?;
                retired = Some(old_id);
            }
        }
        let sql = format!(
            "UPDATE contract_templates SET status = $3, {set}, updated_at = $4, \
               row_version = row_version + 1 \
             WHERE id = $1 AND row_version = $2 AND status = $5"
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(&t.id)
            .bind(expected_row_version)
            .bind(next.as_str())
            .bind(now)
            .bind(t.status.as_str());
        if set.contains("$6") {
            q = q.bind(&s.user_id);
        }
        let moved = match q.execute(&mut *tx).await {
            Ok(m) => m,
            Err(e) if unique_violation(&e) => return Err(ServiceError::StaleState),
            Err(e) => return Err(e.into()),
        };
        if moved.rows_affected() != 1 {
            return Err(ServiceError::StaleState);
        }
        audit::append(
            &mut tx,
            &self.config.audit_key,
            NewAuditEntry::staff(s, now, action, "contract_template", &t.id)
                .before(json!({
                    "status": t.status.as_str(),
                    "row_version": expected_row_version,
                }))
                .after(json!({
                    "status": next.as_str(),
                    "row_version": expected_row_version + 1,
                    "product_id": t.product_id,
                    "kind": t.kind.as_str(),
                    "version": t.version,
                    "author_id": t.author_id,
                    "retired": retired,
                })),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The template a `kind` contract of `product_id` in `bank_id` is drawn
    /// up from: the product's published version, else the bank-wide one,
    /// else the built-in default as version 0.
    pub async fn published_template(
        self,
        bank_id: &str,
        product_id: &str,
        kind: ContractKind,
    ) -> Result<ResolvedTemplate, ServiceError> {
        let row = sqlx::query(
            "SELECT id, version, body FROM contract_templates \
             WHERE bank_id = $1 AND kind = $2 AND status = 'published' \
               AND (product_id = $3 OR product_id IS NULL) \
             ORDER BY CASE WHEN product_id IS NULL THEN 1 ELSE 0 END LIMIT 1",
        )
        .bind(bank_id)
        .bind(kind.as_str())
        .bind(product_id)
        .fetch_optional(&self.db.pool)
        .await?;
        Ok(match row {
            Some(r) => ResolvedTemplate {
                id: Some(sql::text(&r, "id")?),
                version: sql::int(&r, "version")?,
                body: sql::text(&r, "body")?,
            },
            None => ResolvedTemplate {
                id: None,
                version: 0,
                body: default_body(kind).to_string(),
            },
        })
    }
}
