//! 续授信: the end-of-day batch decides, the day after a revolving line's
//! expiry, whether it runs on for another term and with what limit. The
//! product's live renewal rule set (stage `renewal`, maker-checker like any
//! other) reads the customer, their loans with us and how the line was used
//! and repaid in its term (the `line_*` features); approve renews the line
//! with the limit its `limit_factor_pct` gives (within the rule set's cap
//! and the product's maximum, never below what is drawn,
//! `domain::servicing::credit_line::renewal_limit`), refer and reject leave
//! it to expire as before, with the reasons on the line's card for the
//! officer. A product with no live renewal rule set refers every line.
//!
//! One decision per line and business date (`line_renewals`' unique key):
//! a rerun of the date decides nothing twice. The renewal is applied under
//! the line's version, so a line changed by staff meanwhile is left to
//! expire rather than renewed from a stale read. Lines are decided before
//! the batch expires what is left (`Eod::expire_lines`).

use std::collections::HashMap;

use domain::date::Date;
use domain::money::Fen;
use domain::rules::lifecycle::DecisionStage;
use domain::rules::rule::Verdict;
use domain::servicing::credit_line::{
    renewal_limit, renewal_months, CreditLine, LineKind, RenewalOutcome,
};
use domain::view::LineRenewalView;
use serde_json::json;

use crate::audit::{self, NewAuditEntry};
use crate::db::{new_id, Db};
use crate::error::ServiceError;
use crate::risk::decisions::decide_without_guard;
use crate::risk::features::{self, FeatureInputs, LineFacts};
use crate::sql;

/// The loan purpose the renewal's features read.
const RENEWAL_PURPOSE: &str = "续授信";

/// What the batch's renewals did on one business date.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RenewalCounts {
    pub renewed: u64,
    pub referred: u64,
    pub declined: u64,
}

struct Due {
    id: String,
    bank_id: String,
    branch_id: String,
    customer_id: String,
    product_id: String,
    product_code: String,
    guarantee: String,
    max_amount: Fen,
    line: CreditLine,
    granted_on: Date,
    version: i64,
}

/// How the line was drawn and repaid from `since` (the start of its term).
async fn line_facts(
    db: &Db,
    line_id: &str,
    limit: Fen,
    since: Date,
    expires_on: Date,
) -> Result<LineFacts, ServiceError> {
    let drawn = sqlx::query(
        "SELECT CAST(COUNT(*) AS BIGINT) AS n, \
                CAST(COALESCE(SUM(principal_fen), 0) AS BIGINT) AS drawn \
         FROM loans WHERE credit_line_id = $1 AND start_date >= $2",
    )
    .bind(line_id)
    .bind(since.to_string())
    .fetch_one(&db.pool)
    .await?;
    let overdue = sqlx::query(
        "SELECT CAST(COUNT(*) AS BIGINT) AS n FROM postings p JOIN loans l ON l.id = p.loan_id \
         WHERE l.credit_line_id = $1 AND p.kind = 'penalty_accrual' AND p.business_date >= $2",
    )
    .bind(line_id)
    .bind(since.to_string())
    .fetch_one(&db.pool)
    .await?;
    Ok(LineFacts {
        limit,
        drawn: sql::fen(&drawn, "drawn")?,
        drawdowns: sql::int(&drawn, "n")?,
        overdue_nights: sql::int(&overdue, "n")?,
        months: i64::from(renewal_months(since, expires_on)),
    })
}

/// The latest renewal decision of each line, in words for staff.
pub(crate) async fn latest_renewals(
    db: &Db,
    line_ids: &[String],
) -> Result<HashMap<String, LineRenewalView>, ServiceError> {
    let mut out = HashMap::new();
    if line_ids.is_empty() {
        return Ok(out);
    }
    let marks = (1..=line_ids.len())
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ");
    let q = format!(
        "SELECT line_id, business_date, outcome, limit_before_fen, limit_after_fen, \
           expires_after, rule_set_version, score, grade, reason_codes \
         FROM line_renewals WHERE line_id IN ({marks}) ORDER BY business_date, created_at"
    );
    let mut query = sqlx::query(sqlx::AssertSqlSafe(q));
    for id in line_ids {
        query = query.bind(id);
    }
    for r in query.fetch_all(&db.pool).await? {
        let codes: Vec<String> = serde_json::from_str(&sql::text(&r, "reason_codes")?)
            .map_err(|e| ServiceError::internal("renewal reasons", e))?;
        let reasons = codes
            .iter()
            .map(|c| {
                domain::rules::reasons::staff_text(c).map_or_else(
                    || (c.clone(), c.clone()),
                    |(zh, en)| (zh.to_string(), en.to_string()),
                )
            })
            .collect();
        let expires_after = sql::opt_text(&r, "expires_after")?
            .map(|d| Date::parse(&d).map_err(|e| ServiceError::internal("expires_after", e.code())))
            .transpose()?;
        // Ordered oldest first: the last one read is the latest.
        out.insert(
            sql::text(&r, "line_id")?,
            LineRenewalView {
                business_date: sql::date(&r, "business_date")?,
                outcome: sql::coded(&r, "outcome", RenewalOutcome::parse)?,
                limit_before: sql::fen(&r, "limit_before_fen")?,
                limit_after: sql::opt_int(&r, "limit_after_fen")?.map(Fen),
                expires_after,
                rule_set_version: sql::opt_int(&r, "rule_set_version")?,
                score: sql::opt_int(&r, "score")?,
                grade: sql::opt_text(&r, "grade")?,
                reasons,
            },
        );
    }
    Ok(out)
}

impl crate::servicing::Servicing<'_> {
    /// 续授信 of every active revolving line past its expiry on `on` that
    /// has no decision for `on` yet.
    pub(crate) async fn renew_lines(self, on: Date) -> Result<RenewalCounts, ServiceError> {
        let rows = sqlx::query(
            "SELECT c.id, c.bank_id, c.branch_id, c.customer_id, c.product_id, c.limit_fen, \
               c.used_fen, c.outstanding_fen, c.officer_id, c.granted_on, c.expires_on, \
               c.version, p.code, p.guarantee_type, p.max_amount_fen \
             FROM credit_lines c JOIN products p ON p.id = c.product_id \
             WHERE c.status = 'active' AND c.kind = 'revolving' AND c.expires_on < $1 \
               AND NOT EXISTS (SELECT 1 FROM line_renewals r \
                               WHERE r.line_id = c.id AND r.business_date = $1) \
             ORDER BY c.id",
        )
        .bind(on.to_string())
        .fetch_all(&self.db.pool)
        .await?;
        let mut counts = RenewalCounts::default();
        for r in &rows {
            let due = Due {
                id: sql::text(r, "id")?,
                bank_id: sql::text(r, "bank_id")?,
                branch_id: sql::text(r, "branch_id")?,
                customer_id: sql::text(r, "customer_id")?,
                product_id: sql::text(r, "product_id")?,
                product_code: sql::text(r, "code")?,
                guarantee: sql::text(r, "guarantee_type")?,
                max_amount: sql::fen(r, "max_amount_fen")?,
                line: CreditLine {
                    kind: LineKind::Revolving,
                    limit: sql::fen(r, "limit_fen")?,
                    used: sql::fen(r, "used_fen")?,
                    outstanding: sql::fen(r, "outstanding_fen")?,
                    status: domain::servicing::credit_line::LineStatus::Active,
                    officer_id: sql::text(r, "officer_id")?,
                    expires_on: sql::date(r, "expires_on")?,
                },
                granted_on: sql::date(r, "granted_on")?,
                version: sql::int(r, "version")?,
            };
            match self.renew_one(&due, on).await? {
                Some(RenewalOutcome::Renewed) => counts.renewed += 1,
                Some(RenewalOutcome::Referred) => counts.referred += 1,
                Some(RenewalOutcome::Declined) => counts.declined += 1,
                None => {}
            }
        }
        Ok(counts)
    }

    /// Decides one line; the outcome written, or none when another run
    /// decided it first.
    async fn renew_one(self, due: &Due, on: Date) -> Result<Option<RenewalOutcome>, ServiceError> {
        let line = &due.line;
        let person = features::person_facts(&self.db, &self.config.pfi, &due.customer_id).await?;
        let loans = features::loan_facts(&self.db, &due.customer_id).await?;
        let facts = line_facts(
            &self.db,
            &due.id,
            line.limit,
            due.granted_on,
            line.expires_on,
        )
        .await?;
        let open = sqlx::query(
            "SELECT CAST(COUNT(*) AS BIGINT) AS n FROM applications \
             WHERE customer_id = $1 AND status IN ('submitted', 'investigated')",
        )
        .bind(&due.customer_id)
        .fetch_one(&self.db.pool)
        .await?;
        let inputs = FeatureInputs {
            id_number: person.id_number,
            application_date: on,
            gender: person.gender,
            occupation: person.occupation,
            household: person.household,
            product_code: due.product_code.clone(),
            guarantee_type: due.guarantee.clone(),
            amount: line.limit,
            term_months: renewal_months(due.granted_on, line.expires_on),
            purpose: RENEWAL_PURPOSE.to_string(),
            open_applications: sql::int(&open, "n")?,
            loans,
            bureau: None,
            investigation: None,
            line: Some(facts),
        };
        let f = features::features(&inputs)
            .map_err(|e| ServiceError::internal("renewal features", e))?;
        let live = self
            .risk()
            .live_strategy(&due.product_id, DecisionStage::Renewal)
            .await?;
        let d = decide_without_guard(live.as_ref().map(|l| &l.strategy), &f);
        let renewed = match d.outcome {
            Verdict::Approve => renewal_limit(
                line.limit,
                line.used,
                d.limit_factor_pct,
                d.limit,
                due.max_amount,
            )
            .and_then(|limit| line.renew(limit, due.granted_on, on).ok()),
            Verdict::Refer | Verdict::Reject => None,
        };
        let now = self.now();
        let mut tx = self.db.pool.begin().await?;
        // The renewal applies under the line's version: a line changed by
        // staff since it was read is not renewed from a stale read; it
        // expires with the rest.
        let mut renewed = renewed;
        if let Some((l, new_term_from)) = &renewed {
            let done = sqlx::query(
                "UPDATE credit_lines SET limit_fen = $1, granted_on = $2, expires_on = $3, \
                   version = version + 1, updated_at = $4 \
                 WHERE id = $5 AND version = $6 AND status = 'active'",
            )
            .bind(l.limit.get())
            .bind(new_term_from.to_string())
            .bind(l.expires_on.to_string())
            .bind(now)
            .bind(&due.id)
            .bind(due.version)
            .execute(&mut *tx)
            .await?;
            if done.rows_affected() == 0 {
                renewed = None;
            }
        }
        let outcome = match (&renewed, d.outcome) {
            (Some(_), _) => RenewalOutcome::Renewed,
            (None, Verdict::Refer) => RenewalOutcome::Referred,
            (None, _) => RenewalOutcome::Declined,
        };
        let inserted = sqlx::query(
            "INSERT INTO line_renewals (id, line_id, bank_id, business_date, outcome, \
               limit_before_fen, limit_after_fen, expires_before, expires_after, rule_set_id, \
               rule_set_version, score, grade, reason_codes, features, fired, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17) \
             ON CONFLICT (line_id, business_date) DO NOTHING",
        )
        .bind(new_id())
        .bind(&due.id)
        .bind(&due.bank_id)
        .bind(on.to_string())
        .bind(outcome.as_str())
        .bind(line.limit.get())
        .bind(renewed.as_ref().map(|(l, _)| l.limit.get()))
        .bind(line.expires_on.to_string())
        .bind(renewed.as_ref().map(|(l, _)| l.expires_on.to_string()))
        .bind(live.as_ref().map(|l| l.rule_set_id.clone()))
        .bind(live.as_ref().map(|l| l.version))
        .bind(d.score)
        .bind(d.grade.clone())
        .bind(json_text(&d.reason_codes)?)
        .bind(json_text(&features::values(&f))?)
        .bind(json_text(&d.trace.fired_rules())?)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        if inserted.rows_affected() == 0 {
            // Another run decided the line first: this one changes nothing
            // (the transaction, with any renewal above, is dropped).
            return Ok(None);
        }
        let action = match outcome {
            RenewalOutcome::Renewed => "credit_line.renewed",
            RenewalOutcome::Referred => "credit_line.renewal_referred",
            RenewalOutcome::Declined => "credit_line.renewal_declined",
        };
        audit::append(
            &mut tx,
            &self.config.audit_key,
            NewAuditEntry::system(now, action, "credit_line", &due.id)
                .org(due.branch_id.clone())
                .before(json!({
                    "limit_fen": line.limit.get(),
                    "expires_on": line.expires_on.to_string(),
                }))
                .after(json!({
                    "business_date": on.to_string(),
                    "limit_fen": renewed.as_ref().map(|(l, _)| l.limit.get()),
                    "expires_on": renewed.as_ref().map(|(l, _)| l.expires_on.to_string()),
                    "rule_set_version": live.as_ref().map(|l| l.version),
                    "grade": d.grade,
                    "reason_codes": d.reason_codes,
                })),
        )
        .await?;
        tx.commit().await?;
        Ok(Some(outcome))
    }
}

fn json_text<S: serde::Serialize + ?Sized>(v: &S) -> Result<String, ServiceError> {
    serde_json::to_string(v).map_err(|e| ServiceError::internal("renewal json", e))
}
