//! Credit lines (授信) and drawdowns (用信).
//!
//! A drawdown takes its amount from the line with one conditional update
//! (`used_fen + amount <= limit_fen` on an active, unexpired line), so two
//! drawdowns at once can never take the available amount below zero: the
//! second finds the condition false and is refused. The loan it books is an
//! application approved within the line (用信申请) and a loan with the
//! product's repayment method, in the same transaction.

use domain::application::ApplicationStatus;
use domain::date::Date;
use domain::error_code::ErrorCode;
use domain::money::Fen;
use domain::org::Role;
use domain::schedule::{build_schedule, RepaymentMethod};
use domain::servicing::credit_line::{CreditLine, LineKind, LineStatus};
use domain::servicing::ledger::AllocationOrder;
use domain::view::CreditLineView;
use serde_json::json;
use sqlx::any::AnyRow;
use sqlx::{Any, AssertSqlSafe, Transaction};

use super::{book_loan, NewLoan};
use crate::audit::{self, NewAuditEntry};
use crate::auth::{CustomerActor, Reading, StaffActor};
use crate::db::new_id;
use crate::error::ServiceError;
use crate::sql::{self, Val};

const LINE_SELECT: &str = "SELECT c.id, c.bank_id, c.branch_id, c.customer_id, c.product_id, \
      c.kind, c.limit_fen, c.used_fen, c.outstanding_fen, c.status, c.officer_id, c.granted_on, \
      c.expires_on, c.version, p.name_zh AS product_name_zh, p.name_en AS product_name_en, \
      p.annual_rate_bp, p.repayment_method, p.min_term_months, p.max_term_months, \
      p.allocation_order, s.display_name AS officer_name, cu.name AS customer_name, \
      b.path AS branch_path \
    FROM credit_lines c JOIN products p ON p.id = c.product_id \
    JOIN staff_users s ON s.id = c.officer_id JOIN customers cu ON cu.id = c.customer_id \
    JOIN organisations b ON b.id = c.branch_id";

/// Operations staff apply to a line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LineAction {
    Freeze,
    Unfreeze,
    AdjustLimit(Fen),
    Transfer { to_officer_id: String },
    Cancel,
}

impl LineAction {
    fn name(&self) -> &'static str {
        match self {
            Self::Freeze => "credit_line.frozen",
            Self::Unfreeze => "credit_line.unfrozen",
            Self::AdjustLimit(_) => "credit_line.limit_adjusted",
            Self::Transfer { .. } => "credit_line.transferred",
            Self::Cancel => "credit_line.cancelled",
        }
    }

    fn allowed(&self, s: &StaffActor) -> bool {
        match self {
            Self::Transfer { .. } => s.has_any(&[Role::BranchHead, Role::Admin]),
            _ => s.has_any(&[Role::Approver, Role::RiskManager, Role::BranchHead]),
        }
    }
}

/// What a new limit did: a lower one took effect; a higher one waits for
/// someone else's approval (`line_increases`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LineChange {
    Applied(CreditLineView),
    Proposed(CreditLineView),
}

pub(crate) struct Loaded {
    pub view: CreditLineView,
    pub line: CreditLine,
    pub bank_id: String,
    pub branch_id: String,
    customer_id: String,
    officer_id: String,
    branch_path: String,
    order: AllocationOrder,
}

fn loaded_of(r: &AnyRow) -> Result<Loaded, ServiceError> {
    let kind_raw = sql::text(r, "kind")?;
    let kind =
        LineKind::parse(&kind_raw).ok_or_else(|| ServiceError::internal("kind", kind_raw))?;
    let status_raw = sql::text(r, "status")?;
    let status = LineStatus::parse(&status_raw)
        .ok_or_else(|| ServiceError::internal("status", status_raw))?;
    let line = CreditLine {
        kind,
        limit: sql::fen(r, "limit_fen")?,
        used: sql::fen(r, "used_fen")?,
        outstanding: sql::fen(r, "outstanding_fen")?,
        status,
        officer_id: sql::text(r, "officer_id")?,
        expires_on: sql::date(r, "expires_on")?,
    };
    let order_raw = sql::text(r, "allocation_order")?;
    let order = AllocationOrder::parse(&order_raw)
        .map_err(|e| ServiceError::internal("allocation_order", e.code()))?;
    Ok(Loaded {
        view: CreditLineView {
            id: sql::text(r, "id")?.into(),
            product_id: sql::text(r, "product_id")?.into(),
            product_name_zh: sql::text(r, "product_name_zh")?,
            product_name_en: sql::text(r, "product_name_en")?,
            kind,
            status,
            limit: line.limit,
            used: line.used,
            outstanding: line.outstanding,
            available: line.available(),
            granted_on: sql::date(r, "granted_on")?,
            expires_on: line.expires_on,
            rate: sql::rate(r, "annual_rate_bp")?,
            method: sql::method(r, "repayment_method")?,
            min_term_months: sql::uint(r, "min_term_months")?,
            max_term_months: sql::uint(r, "max_term_months")?,
            officer_name: sql::text(r, "officer_name")?,
            customer_name: domain::identity::mask_name(&sql::text(r, "customer_name")?),
            version: sql::int(r, "version")?,
            pending_increase: None,
            last_renewal: None,
        },
        bank_id: sql::text(r, "bank_id")?,
        branch_id: sql::text(r, "branch_id")?,
        customer_id: sql::text(r, "customer_id")?,
        officer_id: line.officer_id.clone(),
        branch_path: sql::text(r, "branch_path")?,
        order,
        line,
    })
}

pub(crate) fn line_error(e: domain::servicing::credit_line::CreditLineError) -> ServiceError {
    use domain::servicing::credit_line::CreditLineError as E;
    let params = match &e {
        E::InsufficientAvailable { available } => {
            vec![("available", available.to_grouped_string())]
        }
        E::RepaymentExceedsOutstanding { outstanding } | E::OutstandingBalance { outstanding } => {
            vec![("outstanding", outstanding.to_grouped_string())]
        }
        E::LimitBelowUsed { used } => vec![("used", used.to_grouped_string())],
        E::NotYetExpired { expires_on } => vec![("date", expires_on.to_string())],
        _ => Vec::new(),
    };
    ServiceError::Validation {
        code: e.code(),
        params,
    }
}

fn above_product_max(max: Fen) -> ServiceError {
    ServiceError::Validation {
        code: ErrorCode::LimitAboveProductMax,
        params: vec![("max", max.to_grouped_string())],
    }
}

/// Where a new line belongs.
pub(crate) struct LineOwner<'a> {
    pub id: &'a str,
    pub bank_id: &'a str,
    pub branch_id: &'a str,
    pub customer_id: &'a str,
    pub product_id: &'a str,
}

/// The columns [`NewLine::row`] fills, in its order.
pub(crate) const CREDIT_LINE_COLUMNS: [&str; 16] = [
    "id",
    "bank_id",
    "branch_id",
    "customer_id",
    "product_id",
    "kind",
    "limit_fen",
    "used_fen",
    "outstanding_fen",
    "status",
    "officer_id",
    "granted_on",
    "expires_on",
    "version",
    "created_at",
    "updated_at",
];

/// A line just granted (授信), about to be written: the one writer of
/// `credit_lines` rows ([`insert_line`], the demo bank).
pub(crate) struct NewLine<'a> {
    pub owner: &'a LineOwner<'a>,
    pub line: &'a CreditLine,
    pub granted_on: Date,
    pub created_at: i64,
}

impl NewLine<'_> {
    /// The row for [`CREDIT_LINE_COLUMNS`].
    pub(crate) fn row(&self) -> Vec<Val> {
        let (owner, line) = (self.owner, self.line);
        vec![
            Val::from(owner.id),
            Val::from(owner.bank_id),
            Val::from(owner.branch_id),
            Val::from(owner.customer_id),
            Val::from(owner.product_id),
            Val::from(line.kind.as_str()),
            Val::from(line.limit),
            Val::from(line.used),
            Val::from(line.outstanding),
            Val::from(line.status.as_str()),
            Val::from(line.officer_id.as_str()),
            Val::from(self.granted_on.to_string()),
            Val::from(line.expires_on.to_string()),
            Val::Int(1),
            Val::Int(self.created_at),
            Val::Int(self.created_at),
        ]
    }
}

/// Stores a line just granted (授信), in the caller's transaction.
pub(crate) async fn insert_line(
    tx: &mut Transaction<'_, Any>,
    owner: &LineOwner<'_>,
    line: &CreditLine,
    granted_on: Date,
    now: i64,
) -> Result<(), ServiceError> {
    let row = NewLine {
        owner,
        line,
        granted_on,
        created_at: now,
    }
    .row();
    sql::insert_rows(tx, "credit_lines", &CREDIT_LINE_COLUMNS, &[row]).await
}

/// A revolving line (循环额度) opened for a loan approved on a 随借随还
/// product: its limit is the amount approved, all of it drawn by the loan
/// being booked in the same transaction, open until the loan matures.
/// Repaying gives the principal back to the line ([`release_on_repayment`])
/// and the customer may draw it again.
pub(crate) async fn open_revolving_line(
    tx: &mut Transaction<'_, Any>,
    owner: &LineOwner<'_>,
    officer_id: &str,
    amount: Fen,
    granted_on: Date,
    expires_on: Date,
    now: i64,
) -> Result<(), ServiceError> {
    let line = CreditLine::grant(
        LineKind::Revolving,
        amount,
        officer_id,
        granted_on,
        expires_on,
    )
    .and_then(|l| l.drawdown(amount, granted_on))
    .map_err(line_error)?;
    insert_line(tx, owner, &line, granted_on, now).await
}

/// A loan repaid on a line gives back what its principal used (revolving
/// lines only) and lowers what is owed on the line.
pub(crate) async fn release_on_repayment(
    tx: &mut Transaction<'_, Any>,
    loan_id: &str,
    principal_paid: Fen,
    now: i64,
) -> Result<(), ServiceError> {
    if principal_paid <= Fen::ZERO {
        return Ok(());
    }
    sqlx::query(
        "UPDATE credit_lines SET outstanding_fen = outstanding_fen - $1, \
           used_fen = CASE WHEN kind = 'revolving' THEN used_fen - $1 ELSE used_fen END, \
           version = version + 1, updated_at = $2 \
         WHERE id = (SELECT credit_line_id FROM loans WHERE id = $3)",
    )
    .bind(principal_paid.get())
    .bind(now)
    .bind(loan_id)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// A loan drawn on a line written off (核销): the principal written off
/// leaves what is owed on the line, its use stays taken (nothing written
/// off becomes available again), and an active line is frozen, so the
/// customer draws no more until someone with the right unfreezes it.
/// Whether the loan was drawn on a line.
pub(crate) async fn write_off_on_line(
    tx: &mut Transaction<'_, Any>,
    loan_id: &str,
    principal: Fen,
    now: i64,
) -> Result<bool, ServiceError> {
    let done = sqlx::query(
        "UPDATE credit_lines SET \
           outstanding_fen = CASE WHEN outstanding_fen > $1 THEN outstanding_fen - $1 ELSE 0 END, \
           status = CASE WHEN status = 'active' THEN 'frozen' ELSE status END, \
           version = version + 1, updated_at = $2 \
         WHERE id = (SELECT credit_line_id FROM loans WHERE id = $3)",
    )
    .bind(principal.get())
    .bind(now)
    .bind(loan_id)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() > 0)
}

impl crate::servicing::Servicing<'_> {
    async fn load_line(self, id: &str) -> Result<Loaded, ServiceError> {
        let q = format!("{LINE_SELECT} WHERE c.id = $1");
        let r = sqlx::query(AssertSqlSafe(q))
            .bind(id)
            .fetch_optional(&self.db.pool)
            .await?
            .ok_or(ServiceError::NotFound)?;
        loaded_of(&r)
    }

    async fn lines_where(
        self,
        filter: &str,
        arg: &str,
    ) -> Result<Vec<CreditLineView>, ServiceError> {
        let q = format!("{LINE_SELECT} WHERE {filter} ORDER BY c.granted_on DESC, c.id DESC");
        let rows = sqlx::query(AssertSqlSafe(q))
            .bind(arg)
            .fetch_all(&self.db.pool)
            .await?;
        rows.iter().map(|r| Ok(loaded_of(r)?.view)).collect()
    }

    /// The customer's credit lines.
    pub async fn my_lines(self, c: &CustomerActor) -> Result<Vec<CreditLineView>, ServiceError> {
        self.lines_where("c.customer_id = $1", &c.customer_id).await
    }

    /// A customer's lines, for staff whose scope covers the customer's branch.
    pub async fn lines_of_customer(
        self,
        s: &StaffActor,
        customer_id: &str,
    ) -> Result<Vec<CreditLineView>, ServiceError> {
        if !s.has_any(Reading::CustomerFile.readers()) {
            return Err(ServiceError::Forbidden);
        }
        let q = format!("{LINE_SELECT} WHERE c.customer_id = $1");
        let rows = sqlx::query(AssertSqlSafe(q))
            .bind(customer_id)
            .fetch_all(&self.db.pool)
            .await?;
        let mut out = Vec::new();
        for r in &rows {
            let l = loaded_of(r)?;
            if s.covers(&l.branch_path) {
                out.push(l.view);
            }
        }
        self.with_staff_details(&mut out).await?;
        Ok(out)
    }

    /// 授信: an approver grants a line to a customer of a branch in scope.
    #[allow(clippy::too_many_arguments)]
    pub async fn grant_line(
        self,
        s: &StaffActor,
        customer_id: &str,
        product_id: &str,
        kind: LineKind,
        limit: Fen,
        expires_on: Date,
    ) -> Result<CreditLineView, ServiceError> {
        if !s.has(Role::Approver) {
            return Err(ServiceError::Forbidden);
        }
        let r = sqlx::query(
            "SELECT c.bank_id, c.branch_id, b.path AS branch_path, c.officer_id \
             FROM customers c JOIN organisations b ON b.id = c.branch_id WHERE c.id = $1",
        )
        .bind(customer_id)
        .fetch_optional(&self.db.pool)
        .await?
        .ok_or(ServiceError::NotFound)?;
        if !s.covers(&sql::text(&r, "branch_path")?) {
            return Err(ServiceError::Forbidden);
        }
        let officer_id = sql::opt_text(&r, "officer_id")?.unwrap_or_else(|| s.user_id.clone());
        let today = self.today();
        let line =
            CreditLine::grant(kind, limit, &officer_id, today, expires_on).map_err(line_error)?;
        let (product, product_bank, _) =
            crate::products::load_product(&self.db, product_id).await?;
        if product_bank != sql::text(&r, "bank_id")? {
            return Err(ServiceError::NotFound);
        }
        if limit > product.max_amount {
            return Err(above_product_max(product.max_amount));
        }
        let id = new_id();
        let now = self.now();
        let mut tx = self.db.pool.begin().await?;
        let (bank_id, branch_id) = (sql::text(&r, "bank_id")?, sql::text(&r, "branch_id")?);
        let owner = LineOwner {
            id: &id,
            bank_id: &bank_id,
            branch_id: &branch_id,
            customer_id,
            product_id,
        };
        insert_line(&mut tx, &owner, &line, today, now).await?;
        audit::append(
            &mut tx,
            &self.config.audit_key,
            NewAuditEntry::staff(s, now, "credit_line.granted", "credit_line", &id)
                .org(branch_id.clone())
                .after(json!({
                    "customer_id": customer_id, "product_id": product_id, "kind": kind.as_str(),
                    "limit_fen": limit.get(), "expires_on": expires_on.to_string(),
                })),
        )
        .await?;
        tx.commit().await?;
        self.line_view(&id).await
    }

    /// A line in the staff member's scope, as loaded for a change.
    pub(crate) async fn line_in_scope(
        self,
        s: &StaffActor,
        id: &str,
    ) -> Result<Loaded, ServiceError> {
        let l = self.load_line(id).await?;
        if !s.covers(&l.branch_path) || Some(&l.bank_id) != s.bank_id.as_ref() {
            return Err(ServiceError::Forbidden);
        }
        Ok(l)
    }

    /// A limit must stay within its product's maximum amount.
    pub(crate) async fn within_product_max(
        self,
        product_id: &str,
        limit: Fen,
    ) -> Result<(), ServiceError> {
        let (product, _, _) = crate::products::load_product(&self.db, product_id).await?;
        if limit > product.max_amount {
            return Err(above_product_max(product.max_amount));
        }
        Ok(())
    }

    /// One line of the staff member's scope, with its open increase.
    pub async fn line_view_for(
        self,
        s: &StaffActor,
        id: &str,
    ) -> Result<CreditLineView, ServiceError> {
        if !s.has_any(Reading::CustomerFile.readers()) {
            return Err(ServiceError::Forbidden);
        }
        self.line_in_scope(s, id).await?;
        self.line_view(id).await
    }

    /// One line as staff see it, with its open increase if any.
    pub(crate) async fn line_view(self, id: &str) -> Result<CreditLineView, ServiceError> {
        let mut views = vec![self.load_line(id).await?.view];
        self.with_staff_details(&mut views).await?;
        Ok(views.remove(0))
    }

    /// Each line with what staff see besides: its open increase and its
    /// last renewal decision.
    async fn with_staff_details(self, views: &mut [CreditLineView]) -> Result<(), ServiceError> {
        let ids: Vec<String> = views.iter().map(|v| v.id.to_string()).collect();
        let open = super::line_increases::open_increases(&self.db, &ids).await?;
        let mut renewals = super::renewals::latest_renewals(&self.db, &ids).await?;
        for v in views.iter_mut() {
            v.last_renewal = renewals.remove(v.id.as_str());
            v.pending_increase = open
                .iter()
                .find(|(line, _)| line.as_str() == v.id.as_str())
                .map(|(_, i)| i.clone());
        }
        Ok(())
    }

    /// Who a line may be handed to (转移管户): the active account officers
    /// under the user's scope, but the line's own officer; (id, name,
    /// branch), by branch and name.
    pub async fn line_transfer_options(
        self,
        s: &StaffActor,
        line_id: &str,
    ) -> Result<Vec<(String, String, String)>, ServiceError> {
        let probe = LineAction::Transfer {
            to_officer_id: String::new(),
        };
        if !probe.allowed(s) {
            return Err(ServiceError::Forbidden);
        }
        let l = self.line_in_scope(s, line_id).await?;
        let rows = sqlx::query(
            "SELECT u.id, u.display_name, o.name AS branch_name FROM staff_users u \
             JOIN organisations o ON o.id = u.org_id \
             JOIN staff_roles r ON r.user_id = u.id AND r.role = 'officer' \
             WHERE u.active = 1 AND o.path LIKE $1 AND u.id <> $2 \
             ORDER BY o.path, u.display_name LIMIT 200",
        )
        .bind(sql::under(&s.org_path))
        .bind(&l.line.officer_id)
        .fetch_all(&self.db.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok((
                    sql::text(r, "id")?,
                    sql::text(r, "display_name")?,
                    sql::text(r, "branch_name")?,
                ))
            })
            .collect()
    }

    /// 额度管理: the lines of the staff member's scope, those with an
    /// increase waiting first, then by expiry; at most `MAX_LISTED`.
    pub async fn lines_in_scope(self, s: &StaffActor) -> Result<Vec<CreditLineView>, ServiceError> {
        if !s.has_any(Reading::CustomerFile.readers()) {
            return Err(ServiceError::Forbidden);
        }
        let bank = s.bank_id.clone().ok_or(ServiceError::Forbidden)?;
        let q = format!(
            "{LINE_SELECT} WHERE c.bank_id = $1 AND b.path LIKE $2 \
             ORDER BY CASE WHEN EXISTS (SELECT 1 FROM credit_line_increases i \
                 WHERE i.line_id = c.id AND i.status = 'proposed') THEN 0 ELSE 1 END, \
               CASE c.status WHEN 'active' THEN 0 WHEN 'frozen' THEN 1 ELSE 2 END, \
               c.expires_on, c.id LIMIT {MAX_LISTED}"
        );
        let rows = sqlx::query(AssertSqlSafe(q))
            .bind(&bank)
            .bind(sql::under(&s.org_path))
            .fetch_all(&self.db.pool)
            .await?;
        let mut views = Vec::new();
        for r in &rows {
            let l = loaded_of(r)?;
            if s.covers(&l.branch_path) {
                views.push(l.view);
            }
        }
        self.with_staff_details(&mut views).await?;
        Ok(views)
    }

    /// 用信: the customer draws `amount` over `term_months` on one of their
    /// lines. `client_key` makes a retried request return the first loan.
    pub async fn draw_down(
        self,
        c: &CustomerActor,
        line_id: &str,
        amount: Fen,
        term_months: u32,
        client_key: &str,
    ) -> Result<String, ServiceError> {
        let client_key = client_key.trim();
        if client_key.is_empty() || client_key.len() > 100 {
            return Err(ServiceError::invalid(ErrorCode::IdempotencyKeyInvalid));
        }
        let l = self.load_line(line_id).await?;
        if l.customer_id != c.customer_id {
            return Err(ServiceError::NotFound);
        }
        let key = format!("drawdown:{client_key}");
        if let Some(first) = self.drawn_with(c, &key).await? {
            return Ok(first);
        }
        if !(l.view.min_term_months..=l.view.max_term_months).contains(&term_months) {
            return Err(ServiceError::Validation {
                code: ErrorCode::TermOutOfRange,
                params: vec![
                    ("min", l.view.min_term_months.to_string()),
                    ("max", l.view.max_term_months.to_string()),
                ],
            });
        }
        let today = self.today();
        l.line.drawdown(amount, today).map_err(line_error)?;
        let method = l.view.method;
        let (schedule, maturity) = if method == RepaymentMethod::Revolving {
            (
                Vec::new(),
                today
                    .add_months(term_months)
                    .min(l.line.expires_on.max(today.add_days(1))),
            )
        } else {
            let s = build_schedule(method, amount, l.view.rate, term_months, today)?;
            let m = s.last().map_or(today, |i| i.due_date);
            (s, m)
        };

        let now = self.now();
        let mut tx = self.db.pool.begin().await?;
        let taken = sqlx::query(
            "UPDATE credit_lines SET used_fen = used_fen + $1, outstanding_fen = outstanding_fen + $1, \
               version = version + 1, updated_at = $2 \
             WHERE id = $3 AND status = 'active' AND expires_on >= $4 AND used_fen + $1 <= limit_fen",
        )
        .bind(amount.get())
        .bind(now)
        .bind(line_id)
        .bind(today.to_string())
        .execute(&mut *tx)
        .await?;
        if taken.rows_affected() != 1 {
            drop(tx);
            // The same request, sent twice at once, may have taken it first.
            if let Some(first) = self.drawn_with(c, &key).await? {
                return Ok(first);
            }
            // Someone drew or froze it meanwhile: the line as it is now says why.
            let again = self.load_line(line_id).await?;
            again.line.drawdown(amount, today).map_err(line_error)?;
            return Err(ServiceError::StaleState);
        }
        let application_id = new_id();
        let inserted = sqlx::query(
            "INSERT INTO applications (id, bank_id, branch_id, customer_id, product_id, amount_fen, \
               term_months, purpose, status, officer_id, idempotency_key, submitted_at, \
               submitted_on, decided_at, version, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $12, 1, $12)",
        )
        .bind(&application_id)
        .bind(&l.bank_id)
        .bind(&l.branch_id)
        .bind(&c.customer_id)
        .bind(l.view.product_id.as_str())
        .bind(amount.get())
        .bind(i64::from(term_months))
        .bind("用信")
        .bind(ApplicationStatus::Approved.as_str())
        .bind(&l.officer_id)
        .bind(&key)
        .bind(now)
        .bind(today.to_string())
        .execute(&mut *tx)
        .await;
        if let Err(err) = inserted {
            // A concurrent request with the same key committed first (the
            // key is unique): this one takes nothing and answers with its loan.
            drop(tx);
            if let Some(first) = self.drawn_with(c, &key).await? {
                return Ok(first);
            }
            return Err(err.into());
        }
        let loan_id = new_id();
        book_loan(
            &mut tx,
            &NewLoan {
                id: loan_id.clone(),
                application_id: &application_id,
                credit_line_id: Some(line_id),
                bank_id: &l.bank_id,
                branch_id: &l.branch_id,
                customer_id: &c.customer_id,
                product_id: &l.view.product_id,
                principal: amount,
                rate: l.view.rate,
                term_months,
                method,
                value_date: today,
                maturity,
                schedule,
                order: l.order,
            },
            now,
        )
        .await?;
        audit::append(
            &mut tx,
            &self.config.audit_key,
            NewAuditEntry::customer(c, now, "credit_line.drawn", "credit_line", line_id)
                .org(l.branch_id.clone())
                .after(json!({
                    "loan_id": loan_id, "amount_fen": amount.get(), "term_months": term_months,
                    "available_before_fen": l.line.available().get(),
                })),
        )
        .await?;
        tx.commit().await?;
        Ok(loan_id)
    }

    /// The loan a drawdown with this key already made for the customer.
    async fn drawn_with(
        self,
        c: &CustomerActor,
        key: &str,
    ) -> Result<Option<String>, ServiceError> {
        sqlx::query(
            "SELECT l.id FROM applications a JOIN loans l ON l.application_id = a.id \
             WHERE a.idempotency_key = $1 AND a.customer_id = $2",
        )
        .bind(key)
        .bind(&c.customer_id)
        .fetch_optional(&self.db.pool)
        .await?
        .map(|r| sql::text(&r, "id"))
        .transpose()
    }

    /// Freeze, unfreeze, adjust the limit, transfer or cancel a line in scope.
    /// `expected_version` is the version the user saw: a line changed since
    /// then is refused as stale.
    pub async fn line_action(
        self,
        s: &StaffActor,
        id: &str,
        expected_version: i64,
        action: LineAction,
    ) -> Result<CreditLineView, ServiceError> {
        if !action.allowed(s) {
            return Err(ServiceError::Forbidden);
        }
        let l = self.line_in_scope(s, id).await?;
        if let LineAction::AdjustLimit(limit) = &action {
            // Raising a limit is for two people (`adjust_line_limit`).
            if *limit > l.line.limit {
                return Err(ServiceError::invalid(
                    ErrorCode::CreditLineIncreaseNeedsReview,
                ));
            }
        }
        let next = match &action {
            LineAction::Freeze => l.line.freeze(),
            LineAction::Unfreeze => l.line.unfreeze(),
            LineAction::AdjustLimit(limit) => l.line.adjust_limit(*limit),
            LineAction::Transfer { to_officer_id } => l.line.transfer(to_officer_id),
            LineAction::Cancel => l.line.cancel(),
        }
        .map_err(line_error)?;
        if let LineAction::Transfer { to_officer_id } = &action {
            let r = sqlx::query(
                "SELECT o.path FROM staff_users u JOIN organisations o ON o.id = u.org_id \
                 WHERE u.id = $1",
            )
            .bind(to_officer_id)
            .fetch_optional(&self.db.pool)
            .await?
            .ok_or(ServiceError::invalid(ErrorCode::OfficerUnknown))?;
            if !s.covers(&sql::text(&r, "path")?) {
                return Err(ServiceError::Forbidden);
            }
        }
        let now = self.now();
        let mut tx = self.db.pool.begin().await?;
        let done = sqlx::query(
            "UPDATE credit_lines SET status = $1, limit_fen = $2, officer_id = $3, \
               version = version + 1, updated_at = $4 WHERE id = $5 AND version = $6",
        )
        .bind(next.status.as_str())
        .bind(next.limit.get())
        .bind(&next.officer_id)
        .bind(now)
        .bind(id)
        .bind(expected_version)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() != 1 {
            return Err(ServiceError::StaleState);
        }
        audit::append(
            &mut tx,
            &self.config.audit_key,
            NewAuditEntry::staff(s, now, action.name(), "credit_line", id)
                .org(l.branch_id.clone())
                .before(json!({
                    "status": l.line.status.as_str(), "limit_fen": l.line.limit.get(),
                    "officer_id": l.line.officer_id, "version": expected_version,
                }))
                .after(json!({
                    "status": next.status.as_str(), "limit_fen": next.limit.get(),
                    "officer_id": next.officer_id, "version": expected_version + 1,
                })),
        )
        .await?;
        tx.commit().await?;
        self.line_view(id).await
    }
}

/// The most lines the 额度管理 page lists at once.
const MAX_LISTED: usize = 300;
