//! Credit offers (预授信额度邀约): an officer offers a household's
//! pre-approved limit; the customer sees it on the phone and accepts it — an
//! active credit line is granted in the same transaction as the guarded
//! move of the offer — or declines it; staff may withdraw an open offer.
//!
//! An offer is at most the pre-approved limit and the product's maximum;
//! only an "approve" result can be offered, once; a customer has at most one
//! open offer per product (a partial unique index). The line charges the
//! product's rate (credit lines carry no rate of their own yet); the
//! engine's risk-based rate is kept on the offer (`engine_rate_bp`).

use domain::date::Date;
use domain::error_code::ErrorCode;
use domain::money::Fen;
use domain::org::Role;
use domain::servicing::credit_line::{CreditLine, LineKind};
pub use domain::view::{CreditOfferView, OfferBatchSummary, OfferTerms};
use serde_json::json;
use sqlx::any::AnyRow;
use sqlx::AssertSqlSafe;

use super::check_not_maker;
use crate::audit::{self, NewAuditEntry};
use crate::auth::{CustomerActor, StaffActor};
use crate::db::new_id;
use crate::error::ServiceError;
use crate::servicing::lines::{insert_line, LineOwner};
use crate::sql::{self, Val};

/// Roles that make and withdraw offers.
pub(crate) const OFFER_ROLES: [Role; 3] = [Role::Officer, Role::Approver, Role::BranchHead];

const OFFER_SELECT: &str = "SELECT o.id, o.product_id, o.kind, o.limit_fen, o.status, \
     o.line_months, o.offer_expires_on, o.credit_line_id, o.created_at, o.version, \
     o.customer_id, o.branch_id, o.bank_id, o.officer_id, o.job_id, o.subject_key, \
     p.name_zh AS product_name_zh, p.name_en AS product_name_en, p.annual_rate_bp, \
     p.max_amount_fen, s.display_name AS officer_name, c.name AS customer_name, \
     b.path AS branch_path \
     FROM credit_offers o JOIN products p ON p.id = o.product_id \
     JOIN staff_users s ON s.id = o.officer_id JOIN customers c ON c.id = o.customer_id \
     JOIN organisations b ON b.id = o.branch_id";

const OFFER_COLUMNS: [&str; 19] = [
    "id",
    "job_id",
    "subject_key",
    "bank_id",
    "branch_id",
    "customer_id",
    "product_id",
    "kind",
    "limit_fen",
    "engine_rate_bp",
    "line_months",
    "status",
    "offer_expires_on",
    "officer_id",
    "offered_by",
    "version",
    "created_at",
    "updated_at",
    "responded_at",
];

struct Offer {
    view: CreditOfferView,
    customer_id: String,
    branch_id: String,
    bank_id: String,
    officer_id: String,
    branch_path: String,
    max_amount: Fen,
    job_id: String,
    subject_key: String,
}

fn offer_of(r: &AnyRow, today: Date) -> Result<Offer, ServiceError> {
    let kind_raw = sql::text(r, "kind")?;
    let kind =
        LineKind::parse(&kind_raw).ok_or_else(|| ServiceError::internal("offer kind", kind_raw))?;
    let expires = sql::date(r, "offer_expires_on")?;
    let mut status = sql::text(r, "status")?;
    if status == "offered" && expires < today {
        status = "expired".to_string();
    }
    Ok(Offer {
        view: CreditOfferView {
            id: sql::text(r, "id")?,
            product_id: sql::text(r, "product_id")?.into(),
            product_name_zh: sql::text(r, "product_name_zh")?,
            product_name_en: sql::text(r, "product_name_en")?,
            kind,
            limit: sql::fen(r, "limit_fen")?,
            rate: sql::rate(r, "annual_rate_bp")?,
            status,
            line_months: sql::uint(r, "line_months")?,
            offer_expires_on: expires,
            officer_name: sql::text(r, "officer_name")?,
            customer_name: domain::identity::mask_name(&sql::text(r, "customer_name")?),
            credit_line_id: sql::opt_text(r, "credit_line_id")?.map(Into::into),
            created_at: sql::int(r, "created_at")?,
            version: sql::int(r, "version")?,
        },
        customer_id: sql::text(r, "customer_id")?,
        branch_id: sql::text(r, "branch_id")?,
        bank_id: sql::text(r, "bank_id")?,
        officer_id: sql::text(r, "officer_id")?,
        branch_path: sql::text(r, "branch_path")?,
        max_amount: sql::fen(r, "max_amount_fen")?,
        job_id: sql::text(r, "job_id")?,
        subject_key: sql::text(r, "subject_key")?,
    })
}

fn check_terms(t: &OfferTerms) -> Result<(), ServiceError> {
    if !(1..=36).contains(&t.line_months) {
        return Err(ServiceError::Validation {
            code: ErrorCode::OfferLineMonthsOutOfRange,
            params: vec![("min", "1".to_string()), ("max", "36".to_string())],
        });
    }
    if !(1..=90).contains(&t.valid_days) {
        return Err(ServiceError::Validation {
            code: ErrorCode::OfferValidDaysOutOfRange,
            params: vec![("min", "1".to_string()), ("max", "90".to_string())],
        });
    }
    if t.limit.is_some_and(|l| l <= Fen::ZERO) {
        return Err(ServiceError::invalid(ErrorCode::OfferLimitNotPositive));
    }
    Ok(())
}

fn unique_violation(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(d) if d.is_unique_violation())
}

/// The approve results of a job still without an offer, with what an
/// offer needs; `after` pages by subject key.
const CANDIDATE_SELECT: &str = "SELECT r.subject_key, r.customer_id, r.product_id, r.limit_fen, \
     r.rate_bp, c.bank_id, c.branch_id, c.officer_id, b.path AS branch_path, p.max_amount_fen \
     FROM precredit_results r JOIN customers c ON c.id = r.customer_id \
     JOIN organisations b ON b.id = c.branch_id JOIN products p ON p.id = r.product_id \
     LEFT JOIN credit_offers o ON o.job_id = r.job_id AND o.subject_key = r.subject_key";

impl crate::precredit::Precredit<'_> {
    async fn load_offer(self, id: &str) -> Result<Offer, ServiceError> {
        let q = format!("{OFFER_SELECT} WHERE o.id = $1");
        let r = sqlx::query(AssertSqlSafe(q))
            .bind(id)
            .fetch_optional(&self.db.pool)
            .await?
            .ok_or(ServiceError::NotFound)?;
        offer_of(&r, self.today())
    }

    /// Offers one household's pre-approved limit (or less) to its customer.
    pub async fn offer_precredit(
        self,
        s: &StaffActor,
        job_id: &str,
        subject_key: &str,
        terms: &OfferTerms,
    ) -> Result<CreditOfferView, ServiceError> {
        if !s.has_any(&OFFER_ROLES) {
            return Err(ServiceError::Forbidden);
        }
        check_terms(terms)?;
        check_not_maker(&self.readable_job(s, job_id).await?, s)?;
        let q = format!(
            "{CANDIDATE_SELECT} WHERE r.job_id = $1 AND r.subject_key = $2 AND r.outcome = 'approve'"
        );
        let r = sqlx::query(AssertSqlSafe(q))
            .bind(job_id)
            .bind(subject_key)
            .fetch_optional(&self.db.pool)
            .await?;
        let Some(r) = r else {
            // No such result, or not an approval: nothing to offer.
            let exists = sqlx::query(
                "SELECT outcome FROM precredit_results WHERE job_id = $1 AND subject_key = $2",
            )
            .bind(job_id)
            .bind(subject_key)
            .fetch_optional(&self.db.pool)
            .await?;
            return Err(match exists {
                Some(_) => ServiceError::invalid(ErrorCode::OfferResultNotApproved),
                None => ServiceError::NotFound,
            });
        };
        if !s.covers(&sql::text(&r, "branch_path")?) {
            return Err(ServiceError::Forbidden);
        }
        let approved = sql::opt_int(&r, "limit_fen")?.map(Fen).unwrap_or(Fen::ZERO);
        let limit = terms.limit.unwrap_or(approved);
        if limit > approved {
            return Err(ServiceError::Validation {
                code: ErrorCode::OfferAbovePreApproved,
                params: vec![("max", approved.to_grouped_string())],
            });
        }
        let max = sql::fen(&r, "max_amount_fen")?;
        if limit > max {
            return Err(ServiceError::Validation {
                code: ErrorCode::LimitAboveProductMax,
                params: vec![("max", max.to_grouped_string())],
            });
        }
        if limit <= Fen::ZERO {
            return Err(ServiceError::invalid(ErrorCode::OfferLimitNotPositive));
        }
        let now = self.now();
        let today = self.today();
        let id = new_id();
        let row = offer_row(&id, job_id, &r, s, limit, terms, today, now)?;
        let mut tx = self.db.pool.begin().await?;
        let insert = format!(
            "INSERT INTO credit_offers ({}) VALUES {}",
            OFFER_COLUMNS.join(", "),
            sql::Placeholders::Dollar.tuples(1, OFFER_COLUMNS.len(), 1)
        );
        let mut q = sqlx::query(AssertSqlSafe(insert));
        for v in &row {
            q = sql::bind_val(q, v);
        }
        match q.execute(&mut *tx).await {
            Ok(_) => {}
            // Offered already, or the customer has an open offer of the product.
            Err(e) if unique_violation(&e) => {
                return Err(ServiceError::invalid(ErrorCode::OfferAlreadyOpen))
            }
            Err(e) => return Err(e.into()),
        }
        audit::append(
            &mut tx,
            &self.config.audit_key,
            NewAuditEntry::staff(s, now, "credit_offer.made", "credit_offer", &id)
                .org(sql::text(&r, "branch_id")?)
                .after(json!({
                    "job_id": job_id, "subject_key": subject_key,
                    "customer_id": sql::text(&r, "customer_id")?,
                    "product_id": sql::text(&r, "product_id")?,
                    "limit_fen": limit.get(), "pre_approved_fen": approved.get(),
                    "kind": terms.kind.as_str(), "line_months": terms.line_months,
                    "valid_days": terms.valid_days,
                })),
        )
        .await?;
        tx.commit().await?;
        Ok(self.load_offer(&id).await?.view)
    }

    /// Offers every approved result of a job in `s`'s scope that has no
    /// offer yet, at its pre-approved limit (`terms.limit` is ignored).
    /// One transaction and one audit entry per 1,000 offers.
    pub async fn offer_precredit_results(
        self,
        s: &StaffActor,
        job_id: &str,
        terms: &OfferTerms,
    ) -> Result<OfferBatchSummary, ServiceError> {
        if !s.has_any(&OFFER_ROLES) {
            return Err(ServiceError::Forbidden);
        }
        check_terms(terms)?;
        check_not_maker(&self.readable_job(s, job_id).await?, s)?;
        let scope = sql::under(&s.org_path);
        let eligible = sqlx::query(
            "SELECT CAST(COUNT(*) AS BIGINT) AS n FROM precredit_results r \
             JOIN customers c ON c.id = r.customer_id JOIN organisations b ON b.id = c.branch_id \
             WHERE r.job_id = $1 AND r.outcome = 'approve' AND r.limit_fen > 0 AND b.path LIKE $2",
        )
        .bind(job_id)
        .bind(&scope)
        .fetch_one(&self.db.pool)
        .await?;
        let eligible = sql::int(&eligible, "n")?;
        let mut offered = 0i64;
        let mut after = String::new();
        // Pages of approved results without an offer whose customer has no
        // open offer of the product; each page's offers leave the next
        // page's query, so paging by key is enough.
        let q = format!(
            "{CANDIDATE_SELECT} WHERE r.job_id = $1 AND r.subject_key > $2 \
               AND r.outcome = 'approve' AND r.limit_fen > 0 AND b.path LIKE $3 \
               AND o.id IS NULL AND NOT EXISTS (SELECT 1 FROM credit_offers x \
                 WHERE x.customer_id = r.customer_id AND x.product_id = r.product_id \
                   AND x.status = 'offered') \
             ORDER BY r.subject_key LIMIT 1000"
        );
        loop {
            let rows = sqlx::query(AssertSqlSafe(q.as_str()))
                .bind(job_id)
                .bind(&after)
                .bind(&scope)
                .fetch_all(&self.db.pool)
                .await?;
            let Some(last) = rows.last() else { break };
            after = sql::text(last, "subject_key")?;
            let now = self.now();
            let today = self.today();
            let mut batch = Vec::with_capacity(rows.len());
            let mut seen = std::collections::HashSet::new();
            for r in &rows {
                // One open offer per customer and product, within a page too.
                if !seen.insert((sql::text(r, "customer_id")?, sql::text(r, "product_id")?)) {
                    continue;
                }
                let limit = sql::fen(r, "limit_fen")?.min(sql::fen(r, "max_amount_fen")?);
                batch.push(offer_row(
                    &new_id(),
                    job_id,
                    r,
                    s,
                    limit,
                    terms,
                    today,
                    now,
                )?);
            }
            let mut tx = self.db.pool.begin().await?;
            sql::insert_rows(&mut tx, "credit_offers", &OFFER_COLUMNS, &batch).await?;
            let n = i64::try_from(batch.len()).unwrap_or(0);
            audit::append(
                &mut tx,
                &self.config.audit_key,
                NewAuditEntry::staff(s, now, "credit_offer.made_in_bulk", "precredit_job", job_id)
                    .after(json!({
                        "offers": n, "up_to": after, "kind": terms.kind.as_str(),
                        "line_months": terms.line_months, "valid_days": terms.valid_days,
                    })),
            )
            .await?;
            tx.commit().await?;
            offered += n;
        }
        Ok(OfferBatchSummary {
            offered,
            skipped: eligible - offered,
        })
    }

    /// The customer's offers, newest first ("expired" when past their date).
    pub async fn my_offers(self, c: &CustomerActor) -> Result<Vec<CreditOfferView>, ServiceError> {
        let q = format!(
            "{OFFER_SELECT} WHERE o.customer_id = $1 ORDER BY o.created_at DESC, o.id DESC"
        );
        let today = self.today();
        sqlx::query(AssertSqlSafe(q))
            .bind(&c.customer_id)
            .fetch_all(&self.db.pool)
            .await?
            .iter()
            .map(|r| Ok(offer_of(r, today)?.view))
            .collect()
    }

    /// A customer's offers, for staff whose scope covers the customer's branch.
    pub async fn offers_of_customer(
        self,
        s: &StaffActor,
        customer_id: &str,
    ) -> Result<Vec<CreditOfferView>, ServiceError> {
        let q = format!(
            "{OFFER_SELECT} WHERE o.customer_id = $1 ORDER BY o.created_at DESC, o.id DESC"
        );
        let today = self.today();
        let mut out = Vec::new();
        for r in sqlx::query(AssertSqlSafe(q))
            .bind(customer_id)
            .fetch_all(&self.db.pool)
            .await?
        {
            let o = offer_of(&r, today)?;
            if s.covers(&o.branch_path) {
                out.push(o.view);
            }
        }
        Ok(out)
    }

    /// The customer accepts an open offer: the offer moves to "accepted" (a
    /// guarded update on the version they saw) and an active credit line of
    /// the offered limit is granted, in one transaction. Returns the line.
    pub async fn accept_offer(
        self,
        c: &CustomerActor,
        offer_id: &str,
        expected_version: i64,
    ) -> Result<domain::view::CreditLineView, ServiceError> {
        let o = self.load_offer(offer_id).await?;
        if o.customer_id != c.customer_id {
            return Err(ServiceError::NotFound);
        }
        match o.view.status.as_str() {
            "offered" => {}
            "expired" => return Err(ServiceError::invalid(ErrorCode::OfferExpired)),
            _ => return Err(ServiceError::StaleState),
        }
        let today = self.today();
        let expires_on = today.add_months(o.view.line_months);
        let line = CreditLine::grant(o.view.kind, o.view.limit, &o.officer_id, today, expires_on)
            .map_err(|e| ServiceError::invalid(e.code()))?;
        if o.view.limit > o.max_amount {
            return Err(ServiceError::Validation {
                code: ErrorCode::LimitAboveProductMax,
                params: vec![("max", o.max_amount.to_grouped_string())],
            });
        }
        let line_id = new_id();
        let now = self.now();
        let mut tx = self.db.pool.begin().await?;
        // The guarded move first; the line it points to is linked below,
        // once it exists (the foreign key is checked at once).
        let moved = sqlx::query(
            "UPDATE credit_offers SET status = 'accepted', version = version + 1, \
               responded_at = $1, updated_at = $1 \
             WHERE id = $2 AND version = $3 AND status = 'offered' AND offer_expires_on >= $4",
        )
        .bind(now)
        .bind(offer_id)
        .bind(expected_version)
        .bind(today.to_string())
        .execute(&mut *tx)
        .await?;
        if moved.rows_affected() != 1 {
            return Err(ServiceError::StaleState);
        }
        let owner = LineOwner {
            id: &line_id,
            bank_id: &o.bank_id,
            branch_id: &o.branch_id,
            customer_id: &o.customer_id,
            product_id: &o.view.product_id,
        };
        insert_line(&mut tx, &owner, &line, today, now).await?;
        sqlx::query("UPDATE credit_offers SET credit_line_id = $1 WHERE id = $2")
            .bind(&line_id)
            .bind(offer_id)
            .execute(&mut *tx)
            .await?;
        audit::append(
            &mut tx,
            &self.config.audit_key,
            NewAuditEntry::customer(c, now, "credit_offer.accepted", "credit_offer", offer_id)
                .org(o.branch_id.clone())
                .before(json!({ "status": "offered", "version": expected_version }))
                .after(json!({
                    "status": "accepted", "version": expected_version + 1,
                    "credit_line_id": line_id,
                })),
        )
        .await?;
        audit::append(
            &mut tx,
            &self.config.audit_key,
            NewAuditEntry::customer(c, now, "credit_line.granted", "credit_line", &line_id)
                .org(o.branch_id.clone())
                .after(json!({
                    "customer_id": o.customer_id, "product_id": o.view.product_id,
                    "kind": o.view.kind.as_str(), "limit_fen": line.limit.get(),
                    "expires_on": expires_on.to_string(), "offer_id": offer_id,
                    "precredit_job_id": o.job_id, "subject_key": o.subject_key,
                })),
        )
        .await?;
        tx.commit().await?;
        self.servicing()
            .my_lines(c)
            .await?
            .into_iter()
            .find(|l| l.id == line_id)
            .ok_or(ServiceError::NotFound)
    }

    /// The customer declines an open offer.
    pub async fn decline_offer(
        self,
        c: &CustomerActor,
        offer_id: &str,
        expected_version: i64,
    ) -> Result<CreditOfferView, ServiceError> {
        let o = self.load_offer(offer_id).await?;
        if o.customer_id != c.customer_id {
            return Err(ServiceError::NotFound);
        }
        let now = self.now();
        let mut tx = self.db.pool.begin().await?;
        self.move_offer(&mut tx, offer_id, expected_version, "declined", now)
            .await?;
        audit::append(
            &mut tx,
            &self.config.audit_key,
            NewAuditEntry::customer(c, now, "credit_offer.declined", "credit_offer", offer_id)
                .org(o.branch_id.clone())
                .before(json!({ "status": "offered", "version": expected_version })),
        )
        .await?;
        tx.commit().await?;
        Ok(self.load_offer(offer_id).await?.view)
    }

    /// Staff withdraw an open offer in their scope.
    pub async fn withdraw_offer(
        self,
        s: &StaffActor,
        offer_id: &str,
        expected_version: i64,
    ) -> Result<CreditOfferView, ServiceError> {
        if !s.has_any(&OFFER_ROLES) {
            return Err(ServiceError::Forbidden);
        }
        let o = self.load_offer(offer_id).await?;
        if !s.covers(&o.branch_path) {
            return Err(ServiceError::Forbidden);
        }
        let now = self.now();
        let mut tx = self.db.pool.begin().await?;
        self.move_offer(&mut tx, offer_id, expected_version, "withdrawn", now)
            .await?;
        audit::append(
            &mut tx,
            &self.config.audit_key,
            NewAuditEntry::staff(s, now, "credit_offer.withdrawn", "credit_offer", offer_id)
                .org(o.branch_id.clone())
                .before(json!({ "status": o.view.status, "version": expected_version })),
        )
        .await?;
        tx.commit().await?;
        Ok(self.load_offer(offer_id).await?.view)
    }

    async fn move_offer(
        self,
        tx: &mut sqlx::Transaction<'_, sqlx::Any>,
        id: &str,
        expected_version: i64,
        to: &str,
        now: i64,
    ) -> Result<(), ServiceError> {
        let moved = sqlx::query(
            "UPDATE credit_offers SET status = $1, version = version + 1, responded_at = $2, \
               updated_at = $2 WHERE id = $3 AND version = $4 AND status = 'offered'",
        )
        .bind(to)
        .bind(now)
        .bind(id)
        .bind(expected_version)
        .execute(&mut **tx)
        .await
        .map_err(|e| {
            if unique_violation(&e) {
                ServiceError::StaleState
            } else {
                e.into()
            }
        })?;
        if moved.rows_affected() != 1 {
            return Err(ServiceError::StaleState);
        }
        Ok(())
    }
}

#[expect(clippy::too_many_arguments, reason = "one row from its parts")]
fn offer_row(
    id: &str,
    job_id: &str,
    r: &AnyRow,
    s: &StaffActor,
    limit: Fen,
    terms: &OfferTerms,
    today: Date,
    now: i64,
) -> Result<Vec<Val>, ServiceError> {
    let officer = sql::opt_text(r, "officer_id")?.unwrap_or_else(|| s.user_id.clone());
    Ok(vec![
        Val::from(id),
        Val::from(job_id),
        Val::from(sql::text(r, "subject_key")?),
        Val::from(sql::text(r, "bank_id")?),
        Val::from(sql::text(r, "branch_id")?),
        Val::from(sql::text(r, "customer_id")?),
        Val::from(sql::text(r, "product_id")?),
        Val::from(terms.kind.as_str()),
        Val::from(limit),
        Val::from(sql::opt_int(r, "rate_bp")?),
        Val::from(terms.line_months),
        Val::from("offered"),
        Val::from(today.add_days(i64::from(terms.valid_days)).to_string()),
        Val::from(officer),
        Val::from(s.user_id.as_str()),
        Val::Int(1),
        Val::Int(now),
        Val::Int(now),
        Val::NullInt,
    ])
}
