//! Versioned rule sets (规则集) per product and decision stage, with
//! maker-checker: a risk manager saves drafts (each save compiled against
//! the feature schema, so a bad expression, an unknown feature or a type
//! mismatch is refused with its position), submits; a second risk manager
//! approves or returns it; approved versions are published, which retires
//! the previous live version of that product and stage in the same
//! transaction. Every step is a guarded update (`row_version`) with its
//! audit entry; a self-approval attempt is refused and audited too.

use domain::error_code::ErrorCode;
use domain::org::Role;
use domain::rules::lifecycle::{
    rule_set_transition, DecisionStage, RuleSetAction, RuleSetStatus, RuleSetTransitionError,
};
use domain::rules::schema::FeatureDef;
use domain::rules::strategy::{Strategy, StrategyDef};
pub use domain::view::{RuleSetDetail, RuleSetDraft, RuleSetProblem, RuleSetSummary};
use serde_json::json;
use sqlx::any::AnyRow;

use super::features;
use crate::audit::{self, NewAuditEntry};
use crate::auth::StaffActor;
use crate::db::new_id;
use crate::error::ServiceError;
use crate::sql;

const MAX_NOTE: usize = 1000;

/// The problem with a definition, if any: compiled against the feature
/// schema exactly as a decision would.
pub fn check_definition(def: &StrategyDef) -> Option<RuleSetProblem> {
    Strategy::compile(def, features::schema())
        .err()
        .map(|e| RuleSetProblem::from(&e))
}

/// The problem as a validation error: its code, and where as parameters.
fn problem_error(p: &RuleSetProblem, code: ErrorCode) -> ServiceError {
    let mut params: Vec<(&'static str, String)> = Vec::new();
    let mut put = |k: &'static str, v: Option<String>| {
        if let Some(v) = v {
            params.push((k, v));
        }
    };
    put("stage", p.stage.map(|v| v.to_string()));
    put("rule", p.rule.map(|v| v.to_string()));
    put("rule_id", p.rule_id.clone());
    put("characteristic", p.characteristic.map(|v| v.to_string()));
    put("bin", p.bin.map(|v| v.to_string()));
    if let Some(place) = p.table_place {
        use domain::rules::table::TablePlace as P;
        let (row, column) = match place {
            P::Table => (None, None),
            P::InputColumn { column } | P::OutputColumn { column } => (None, Some(column)),
            P::InputCell { row, column } | P::OutputCell { row, column } => {
                (Some(row), Some(column))
            }
        };
        put("row", row.map(|v| v.to_string()));
        put("column", column.map(|v| v.to_string()));
    }
    put("line", p.position.map(|v| v.line.to_string()));
    put("col", p.position.map(|v| v.column.to_string()));
    put("start", p.span.map(|v| v.start.to_string()));
    put("end", p.span.map(|v| v.end.to_string()));
    put("detail", Some(p.message.clone()));
    ServiceError::Validation { code, params }
}

fn compile_or_refuse(def: &StrategyDef) -> Result<(), ServiceError> {
    match Strategy::compile(def, features::schema()) {
        Ok(_) => Ok(()),
        Err(e) => Err(problem_error(&RuleSetProblem::from(&e), e.code())),
    }
}

impl From<RuleSetTransitionError> for ServiceError {
    fn from(e: RuleSetTransitionError) -> Self {
        match e {
            RuleSetTransitionError::NotAllowed { .. } => ServiceError::StaleState,
            RuleSetTransitionError::SelfApproval => ServiceError::SelfApproval,
            RuleSetTransitionError::NotAuthor => ServiceError::invalid(e.code()),
        }
    }
}

const SUMMARY_SELECT: &str = "SELECT rs.id, rs.product_id, p.code AS product_code, \
     p.name_zh AS product_name_zh, p.name_en AS product_name_en, rs.stage, rs.version, \
     rs.status, rs.name_zh, rs.name_en, au.display_name AS author_name, rs.author_id, \
     ap.display_name AS approver_name, rs.created_at, rs.updated_at, rs.published_at, \
     rs.row_version, rs.definition, rs.note, rs.review_comment, rs.submitted_at, \
     rs.approved_at, o.path AS bank_path \
     FROM rule_sets rs JOIN products p ON p.id = rs.product_id \
     JOIN organisations o ON o.id = rs.bank_id \
     JOIN staff_users au ON au.id = rs.author_id \
     LEFT JOIN staff_users ap ON ap.id = rs.approver_id";

fn status_of(r: &AnyRow) -> Result<RuleSetStatus, ServiceError> {
    let raw = sql::text(r, "status")?;
    RuleSetStatus::parse(&raw).ok_or_else(|| ServiceError::internal("rule set status", raw))
}

fn summary_of(r: &AnyRow) -> Result<RuleSetSummary, ServiceError> {
    let stage = sql::text(r, "stage")?;
    Ok(RuleSetSummary {
        id: sql::text(r, "id")?,
        product_id: sql::text(r, "product_id")?.into(),
        product_code: sql::text(r, "product_code")?,
        product_name_zh: sql::text(r, "product_name_zh")?,
        product_name_en: sql::text(r, "product_name_en")?,
        stage: DecisionStage::parse(&stage)
            .ok_or_else(|| ServiceError::internal("rule set stage", stage))?,
        version: sql::int(r, "version")?,
        status: status_of(r)?,
        name_zh: sql::text(r, "name_zh")?,
        name_en: sql::text(r, "name_en")?,
        author_name: sql::text(r, "author_name")?,
        approver_name: sql::opt_text(r, "approver_name")?,
        created_at: sql::int(r, "created_at")?,
        updated_at: sql::int(r, "updated_at")?,
        published_at: sql::opt_int(r, "published_at")?,
        row_version: sql::int(r, "row_version")?,
    })
}

/// A rule set row with what the actions need.
struct Row {
    summary: RuleSetSummary,
    author_id: String,
    bank_path: String,
    definition: String,
    note: String,
    review_comment: String,
    submitted_at: Option<i64>,
    approved_at: Option<i64>,
}

fn row_of(r: &AnyRow) -> Result<Row, ServiceError> {
    Ok(Row {
        summary: summary_of(r)?,
        author_id: sql::text(r, "author_id")?,
        bank_path: sql::text(r, "bank_path")?,
        definition: sql::text(r, "definition")?,
        note: sql::text(r, "note")?,
        review_comment: sql::text(r, "review_comment")?,
        submitted_at: sql::opt_int(r, "submitted_at")?,
        approved_at: sql::opt_int(r, "approved_at")?,
    })
}

fn risk_manager(s: &StaffActor) -> Result<(), ServiceError> {
    if s.has(Role::RiskManager) {
        Ok(())
    } else {
        Err(ServiceError::Forbidden)
    }
}

/// Readers of rule sets: risk managers, and administrators (who may look
/// but not change).
fn reader(s: &StaffActor) -> Result<(), ServiceError> {
    if s.has_any(&[Role::RiskManager, Role::Admin]) {
        Ok(())
    } else {
        Err(ServiceError::Forbidden)
    }
}

fn unique_violation(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(d) if d.is_unique_violation())
}

/// A comment of at most [`MAX_NOTE`] characters, trimmed.
fn note(text: &str, code: ErrorCode) -> Result<String, ServiceError> {
    let t = text.trim().to_string();
    if t.chars().count() > MAX_NOTE {
        return Err(ServiceError::Validation {
            code,
            params: vec![("max", MAX_NOTE.to_string())],
        });
    }
    Ok(t)
}

impl crate::risk::Risk<'_> {
    /// The features rule sets may read, for the editor (names, types, labels).
    pub fn rule_set_features(self) -> Vec<FeatureDef> {
        features::catalogue()
    }

    /// Checks a definition without saving it: the first problem with its
    /// place, or `None` when it compiles.
    pub fn check_rule_set(
        self,
        s: &StaffActor,
        def: &StrategyDef,
    ) -> Result<Option<RuleSetProblem>, ServiceError> {
        risk_manager(s)?;
        Ok(check_definition(def))
    }

    /// The versions of rule sets in the user's scope, optionally of one
    /// product, newest first per product and stage.
    pub async fn list_rule_sets(
        self,
        s: &StaffActor,
        product_id: Option<&str>,
    ) -> Result<Vec<RuleSetSummary>, ServiceError> {
        reader(s)?;
        let sql = format!(
            "{SUMMARY_SELECT} WHERE ($1 = '' OR rs.product_id = $1) AND o.path LIKE $2 \
             ORDER BY p.sort_order, p.code, rs.stage, rs.version DESC"
        );
        // A bank's staff see their bank; union staff every bank under them.
        let scope = sql::under(&s.org_path);
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(product_id.unwrap_or(""))
            .bind(&scope)
            .fetch_all(&self.db.pool)
            .await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in &rows {
            if s.covers(&sql::text(r, "bank_path")?) {
                out.push(summary_of(r)?);
            }
        }
        Ok(out)
    }

    async fn rule_set_row(self, s: &StaffActor, id: &str) -> Result<Row, ServiceError> {
        let sql = format!("{SUMMARY_SELECT} WHERE rs.id = $1");
        let r = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(id)
            .fetch_optional(&self.db.pool)
            .await?
            .ok_or(ServiceError::NotFound)?;
        let row = row_of(&r)?;
        if !s.covers(&row.bank_path) {
            return Err(ServiceError::Forbidden);
        }
        Ok(row)
    }

    /// One version with its definition and what this user may do with it.
    pub async fn rule_set(self, s: &StaffActor, id: &str) -> Result<RuleSetDetail, ServiceError> {
        reader(s)?;
        let row = self.rule_set_row(s, id).await?;
        let definition: StrategyDef = serde_json::from_str(&row.definition)
            .map_err(|e| ServiceError::internal("rule set definition", e))?;
        let is_author = row.author_id == s.user_id;
        let status = row.summary.status;
        let may = |a: RuleSetAction| {
            s.has(Role::RiskManager) && rule_set_transition(status, a, is_author).is_ok()
        };
        let approve_blocked_reason = (s.has(Role::RiskManager)
            && status == RuleSetStatus::Submitted)
            .then(|| rule_set_transition(status, RuleSetAction::Approve, is_author).err())
            .flatten()
            .map(|e| e.code());
        Ok(RuleSetDetail {
            can_edit: may(RuleSetAction::Edit),
            can_submit: may(RuleSetAction::Submit),
            can_approve: may(RuleSetAction::Approve),
            can_publish: may(RuleSetAction::Publish),
            approve_blocked_reason,
            summary: row.summary,
            definition,
            note: row.note,
            review_comment: row.review_comment,
            submitted_at: row.submitted_at,
            approved_at: row.approved_at,
        })
    }

    /// Saves a draft after compiling it against the feature schema. A bad
    /// definition is refused with `Validation { code, params }`: the code of
    /// the problem (`expr_syntax`, `expr_unknown_feature`,
    /// `expr_type_mismatch`, `table_*`, `scorecard_*`, `strategy_*`, …) and
    /// where it is (`stage`, `rule`, `rule_id`, `row`, `column`,
    /// `characteristic`, `bin`, `line`, `col`, `start`, `end`, `detail`).
    pub async fn save_rule_set_draft(
        self,
        s: &StaffActor,
        d: RuleSetDraft,
    ) -> Result<RuleSetSummary, ServiceError> {
        risk_manager(s)?;
        let note = note(&d.note, ErrorCode::RuleSetNoteTooLong)?;
        compile_or_refuse(&d.definition)?;
        let definition = serde_json::to_string(&d.definition)
            .map_err(|e| ServiceError::internal("rule set json", e))?;
        let now = self.now();
        let id = match d.id {
            Some(id) => {
                let row = self.rule_set_row(s, &id).await?;
                rule_set_transition(
                    row.summary.status,
                    RuleSetAction::Edit,
                    row.author_id == s.user_id,
                )?;
                if row.summary.product_id != d.product_id || row.summary.stage != d.stage {
                    return Err(ServiceError::invalid(ErrorCode::RuleSetProductMismatch));
                }
                let expected = d.expected_row_version.unwrap_or(row.summary.row_version);
                let mut tx = self.db.pool.begin().await?;
                let moved = sqlx::query(
                    "UPDATE rule_sets SET definition = $3, name_zh = $4, name_en = $5, note = $6, \
                       row_version = row_version + 1, updated_at = $7 \
                     WHERE id = $1 AND row_version = $2 AND status = 'draft' AND author_id = $8",
                )
                .bind(&id)
                .bind(expected)
                .bind(&definition)
                .bind(&d.definition.name_zh)
                .bind(&d.definition.name_en)
                .bind(&note)
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
                    NewAuditEntry::staff(s, now, "rule_set.draft_saved", "rule_set", &id)
                        .before(json!({ "row_version": expected }))
                        .after(json!({
                            "product_id": d.product_id,
                            "stage": d.stage.as_str(),
                            "version": row.summary.version,
                            "row_version": expected + 1,
                            "stages": d.definition.stages.len(),
                        })),
                )
                .await?;
                tx.commit().await?;
                id
            }
            None => {
                let p = sqlx::query(
                    "SELECT p.bank_id, o.path FROM products p \
                     JOIN organisations o ON o.id = p.bank_id WHERE p.id = $1",
                )
                .bind(d.product_id.as_str())
                .fetch_optional(&self.db.pool)
                .await?
                .ok_or(ServiceError::NotFound)?;
                if !s.covers(&sql::text(&p, "path")?) {
                    return Err(ServiceError::Forbidden);
                }
                let bank_id = sql::text(&p, "bank_id")?;
                let id = new_id();
                let mut tx = self.db.pool.begin().await?;
                let next = sqlx::query(
                    "SELECT CAST(COALESCE(MAX(version), 0) AS BIGINT) + 1 AS v FROM rule_sets \
                     WHERE product_id = $1 AND stage = $2",
                )
                .bind(d.product_id.as_str())
                .bind(d.stage.as_str())
                .fetch_one(&mut *tx)
                .await?;
                let version = sql::int(&next, "v")?;
                let inserted = sqlx::query(
                    "INSERT INTO rule_sets (id, bank_id, product_id, stage, version, status, \
                       name_zh, name_en, definition, note, author_id, created_at, updated_at) \
                     VALUES ($1, $2, $3, $4, $5, 'draft', $6, $7, $8, $9, $10, $11, $11)",
                )
                .bind(&id)
                .bind(&bank_id)
                .bind(d.product_id.as_str())
                .bind(d.stage.as_str())
                .bind(version)
                .bind(&d.definition.name_zh)
                .bind(&d.definition.name_en)
                .bind(&definition)
                .bind(&note)
                .bind(&s.user_id)
                .bind(now)
                .execute(&mut *tx)
                .await;
                match inserted {
                    Ok(_) => {}
                    // Someone took this version number a moment ago.
                    Err(e) if unique_violation(&e) => return Err(ServiceError::StaleState),
                    Err(e) => return Err(e.into()),
                }
                audit::append(
                    &mut tx,
                    &self.config.audit_key,
                    NewAuditEntry::staff(s, now, "rule_set.draft_created", "rule_set", &id)
                        .org(bank_id)
                        .after(json!({
                            "product_id": d.product_id,
                            "stage": d.stage.as_str(),
                            "version": version,
                            "stages": d.definition.stages.len(),
                        })),
                )
                .await?;
                tx.commit().await?;
                id
            }
        };
        Ok(self.rule_set_row(s, &id).await?.summary)
    }

    /// Moves a version one step along its life cycle with a guarded update
    /// and an audit entry. `set` assigns the step's own columns; it may use
    /// `$4` (now) and `$6`, `$7`, … bound to `extra` in order.
    #[expect(
        clippy::too_many_arguments,
        reason = "one private step shared by four actions"
    )]
    async fn move_rule_set(
        self,
        s: &StaffActor,
        row: &Row,
        expected_row_version: i64,
        action: RuleSetAction,
        audit_action: &str,
        set: &str,
        extra: &[&str],
        comment: &str,
    ) -> Result<(), ServiceError> {
        let next = rule_set_transition(row.summary.status, action, row.author_id == s.user_id)?;
        let now = self.now();
        let mut tx = self.db.pool.begin().await?;
        let mut retired: Option<String> = None;
        if action == RuleSetAction::Publish {
            // Only one live version per product and stage: the old one retires
            // in this transaction (the partial unique index enforces it).
            let old = sqlx::query(
                "SELECT id FROM rule_sets WHERE product_id = $1 AND stage = $2 \
                 AND status = 'live'",
            )
            .bind(row.summary.product_id.as_str())
            .bind(row.summary.stage.as_str())
            .fetch_optional(&mut *tx)
            .await?;
            if let Some(old) = old {
                let old_id = sql::text(&old, "id")?;
                sqlx::query(
                    "UPDATE rule_sets SET status = 'retired', retired_at = $2, updated_at = $2, \
                       row_version = row_version + 1 WHERE id = $1 AND status = 'live'",
                )
                .bind(&old_id)
                .bind(now)
                .execute(&mut *tx)
                .await?;
                retired = Some(old_id);
            }
        }
        let sql = format!(
            "UPDATE rule_sets SET status = $3, {set} row_version = row_version + 1, \
               updated_at = $4 WHERE id = $1 AND row_version = $2 AND status = $5"
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(&row.summary.id)
            .bind(expected_row_version)
            .bind(next.as_str())
            .bind(now)
            .bind(row.summary.status.as_str());
        for v in extra {
            q = q.bind(v.to_string());
        }
        let moved = q.execute(&mut *tx).await;
        let moved = match moved {
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
            NewAuditEntry::staff(s, now, audit_action, "rule_set", &row.summary.id)
                .before(json!({
                    "status": row.summary.status.as_str(),
                    "row_version": expected_row_version,
                }))
                .after(json!({
                    "status": next.as_str(),
                    "row_version": expected_row_version + 1,
                    "product_id": row.summary.product_id,
                    "stage": row.summary.stage.as_str(),
                    "version": row.summary.version,
                    "author_id": row.author_id,
                    "comment": comment,
                    "retired": retired,
                })),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The author submits their draft for a second risk manager's review.
    /// The definition is compiled again on the way.
    pub async fn submit_rule_set(
        self,
        s: &StaffActor,
        id: &str,
        expected_row_version: i64,
    ) -> Result<(), ServiceError> {
        risk_manager(s)?;
        let row = self.rule_set_row(s, id).await?;
        let def: StrategyDef = serde_json::from_str(&row.definition)
            .map_err(|e| ServiceError::internal("rule set definition", e))?;
        compile_or_refuse(&def)?;
        self.move_rule_set(
            s,
            &row,
            expected_row_version,
            RuleSetAction::Submit,
            "rule_set.submitted",
            "submitted_at = $4,",
            &[],
            "",
        )
        .await
    }

    /// A second risk manager approves a submitted version. The author may
    /// not (maker-checker): the attempt is refused with `SelfApproval` and
    /// recorded in the audit log.
    pub async fn approve_rule_set(
        self,
        s: &StaffActor,
        id: &str,
        expected_row_version: i64,
        comment: &str,
    ) -> Result<(), ServiceError> {
        risk_manager(s)?;
        let comment = note(comment, ErrorCode::CommentTooLong)?;
        let row = self.rule_set_row(s, id).await?;
        if row.author_id == s.user_id && row.summary.status == RuleSetStatus::Submitted {
            self.audit_self_approval(s, &row).await?;
            return Err(ServiceError::SelfApproval);
        }
        self.move_rule_set(
            s,
            &row,
            expected_row_version,
            RuleSetAction::Approve,
            "rule_set.approved",
            "approver_id = $6, approved_at = $4, review_comment = $7,",
            &[&s.user_id, &comment],
            &comment,
        )
        .await
    }

    /// A second risk manager sends a submitted version back to its author as
    /// a draft, with a comment.
    pub async fn return_rule_set(
        self,
        s: &StaffActor,
        id: &str,
        expected_row_version: i64,
        comment: &str,
    ) -> Result<(), ServiceError> {
        risk_manager(s)?;
        let comment = note(comment, ErrorCode::CommentTooLong)?;
        let row = self.rule_set_row(s, id).await?;
        if row.author_id == s.user_id && row.summary.status == RuleSetStatus::Submitted {
            self.audit_self_approval(s, &row).await?;
            return Err(ServiceError::SelfApproval);
        }
        self.move_rule_set(
            s,
            &row,
            expected_row_version,
            RuleSetAction::Return,
            "rule_set.returned",
            "submitted_at = NULL, review_comment = $6,",
            &[&comment],
            &comment,
        )
        .await
    }

    /// Puts an approved version live; the previous live version of the same
    /// product and stage is retired. The next decision uses it.
    pub async fn publish_rule_set(
        self,
        s: &StaffActor,
        id: &str,
        expected_row_version: i64,
    ) -> Result<(), ServiceError> {
        risk_manager(s)?;
        let row = self.rule_set_row(s, id).await?;
        self.move_rule_set(
            s,
            &row,
            expected_row_version,
            RuleSetAction::Publish,
            "rule_set.published",
            "published_by = $6, published_at = $4,",
            &[&s.user_id],
            "",
        )
        .await
    }

    async fn audit_self_approval(self, s: &StaffActor, row: &Row) -> Result<(), ServiceError> {
        let mut tx = self.db.pool.begin().await?;
        audit::append(
            &mut tx,
            &self.config.audit_key,
            NewAuditEntry::staff(
                s,
                self.now(),
                "rule_set.self_approval_refused",
                "rule_set",
                &row.summary.id,
            )
            .after(json!({
                "status": row.summary.status.as_str(),
                "version": row.summary.version,
                "product_id": row.summary.product_id,
                "stage": row.summary.stage.as_str(),
            })),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}
