//! Submitting an application (进件) with the credit-bureau consent (征信授权)
//! and its pre-screen by the decision engine (预审).

use domain::application::{ApplicationAction, ApplicationRequest, ApplicationStatus, ProductTerms};
use domain::error_code::ErrorCode;
use domain::money::Fen;
use domain::product::{choose, GuaranteeType};
use domain::rules::lifecycle::DecisionStage;
use domain::schedule::RepaymentMethod;
use domain::view::ProductView;
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::applications::rows::{NewApplicationRow, NewConsent, CONSENT_COLUMNS};
use crate::applications::status::{self, Seen};
use crate::audit::{self, NewAuditEntry};
use crate::auth::CustomerActor;
use crate::db::new_id;
use crate::error::ServiceError;
use crate::products::load_product;
use crate::risk::decisions::{subject, Subject};
use crate::risk::Requester;
use crate::sql;
use crate::workflow::By;
use domain::notice::NoticeKind;

/// The audit entry of an application the pre-screen closed.
fn screened_out(app: &Subject, p: &crate::risk::decisions::Prepared, now: i64) -> NewAuditEntry {
    NewAuditEntry::system(now, "application.screened_out", "application", &app.id)
        .org(app.branch_id.clone())
        .before(json!({ "status": app.status.as_str(), "version": app.version }))
        .after(json!({
            "status": ApplicationStatus::Rejected.as_str(),
            "version": app.version + 1,
            "decision_id": p.id,
            "reason_codes": p.decision.reason_codes,
        }))
}

/// Who a pre-screen rejection is shown as in the customer's timeline.
pub const SCREENING_ACTOR: &str = "智能预审";

/// The wording version of the credit-inquiry authorisation the customer accepts.
pub const CONSENT_VERSION: &str = "bureau-consent-2026-11";

/// How far a pre-screen went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PreScreened {
    /// Decided, and the flow moved past the pre-screen.
    Routed,
    /// Decided; the flow still waits on its pre-screen.
    Decided,
}

/// What a customer submits.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewApplication {
    pub product_id: String,
    pub amount: Fen,
    pub term_months: u32,
    pub purpose: String,
    pub consent: bool,
    /// The repayment method chosen among the product's; `None` takes the
    /// product's default (its first).
    #[serde(default)]
    pub repayment_method: Option<RepaymentMethod>,
    /// The guarantee type chosen among the product's; `None` takes the
    /// product's default (its first).
    #[serde(default)]
    pub guarantee_type: Option<GuaranteeType>,
    /// Made by the form when it is shown; a second post with the same key
    /// and content returns the first application.
    pub idempotency_key: String,
}

pub(crate) fn terms_of(p: &ProductView) -> ProductTerms {
    ProductTerms {
        min_amount: p.min_amount,
        max_amount: p.max_amount,
        min_term_months: p.min_term_months,
        max_term_months: p.max_term_months,
        rate: p.rate,
        method: p.method,
    }
}

impl crate::applications::Applications<'_> {
    /// Submits an application with its credit-inquiry consent, assigns it
    /// to the customer's officer and runs the engine's pre-screen (预审): a
    /// rejection closes the application at once (the customer sees why in
    /// [`Applications::my_application`](crate::applications::Applications::my_application)); a refer or a pass goes to the officer.
    /// Posting the same form twice returns the first application's id and
    /// screens nothing twice.
    pub async fn submit_application(
        self,
        c: &CustomerActor,
        a: NewApplication,
    ) -> Result<String, ServiceError> {
        self.submit_application_referred(c, a, None).await
    }

    /// [`submit_application`](Self::submit_application) by a customer who
    /// arrived by an officer's referral link (码上营销): the application is
    /// attributed to that code when it is an active one of the customer's
    /// bank, else to the code the customer signed up with, if any.
    pub async fn submit_application_referred(
        self,
        c: &CustomerActor,
        a: NewApplication,
        referral: Option<&str>,
    ) -> Result<String, ServiceError> {
        let key = a.idempotency_key.trim().to_string();
        if key.is_empty() || key.len() > 100 {
            return Err(ServiceError::invalid(ErrorCode::IdempotencyKeyInvalid));
        }
        let purpose = a.purpose.trim().to_string();
        if let Some(existing) = self.same_submission(c, &a, &purpose, &key).await? {
            return Ok(existing);
        }
        let (product, product_bank, active) = load_product(&self.db, &a.product_id).await?;
        if product_bank != c.bank_id || !active {
            return Err(ServiceError::NotFound);
        }
        let request = ApplicationRequest {
            amount: a.amount,
            term_months: a.term_months,
            purpose: purpose.clone(),
            consent: a.consent,
        };
        request.validate(&terms_of(&product))?;
        let method = choose(&product.methods, a.repayment_method).ok_or(ServiceError::invalid(
            ErrorCode::ApplicationMethodNotOffered,
        ))?;
        let guarantee = choose(&product.guarantee_types, a.guarantee_type).ok_or(
            ServiceError::invalid(ErrorCode::ApplicationGuaranteeNotOffered),
        )?;

        let customer = sqlx::query(
            "SELECT c.branch_id, c.officer_id, c.referral_code, b.path FROM customers c \
             JOIN organisations b ON b.id = c.branch_id WHERE c.id = $1",
        )
        .bind(&c.customer_id)
        .fetch_optional(&self.db.pool)
        .await?
        .ok_or(ServiceError::Unauthenticated)?;
        let branch_id = sql::text(&customer, "branch_id")?;
        let branch_path = sql::text(&customer, "path")?;
        let referral_code = match referral {
            Some(code) => sqlx::query(
                "SELECT code FROM referral_codes WHERE code = $1 AND bank_id = $2 AND active = 1",
            )
            .bind(code)
            .bind(&c.bank_id)
            .fetch_optional(&self.db.pool)
            .await?
            .map(|r| sql::text(&r, "code"))
            .transpose()?,
            None => None,
        }
        .or(sql::opt_text(&customer, "referral_code")?);
        let officer_id = self
            .pick_officer(
                sql::opt_text(&customer, "officer_id")?,
                &branch_path,
                &c.bank_id,
            )
            .await?;

        let live_version = sqlx::query(
            "SELECT v.id FROM products p JOIN product_versions v \
               ON v.product_id = p.id AND v.version = p.live_version WHERE p.id = $1",
        )
        .bind(product.id.as_str())
        .fetch_optional(&self.db.pool)
        .await?
        .map(|r| sql::text(&r, "id"))
        .transpose()?;

        let now = self.now();
        let today = self.today();
        let id = new_id();
        let mut tx = self.db.begin_write().await?;
        // Each application pulls a credit report: at most
        // `max_applications_per_day` a customer a day. The customer's row is
        // written first so that parallel submissions count one after another
        // (a row lock on PostgreSQL; SQLite has one writer).
        sqlx::query("UPDATE customers SET id = id WHERE id = $1")
            .bind(&c.customer_id)
            .execute(&mut *tx)
            .await?;
        let (today_count,): (i64,) = sqlx::query_as(
            "SELECT COUNT(*) FROM applications WHERE customer_id = $1 AND submitted_on = $2",
        )
        .bind(&c.customer_id)
        .bind(today.to_string())
        .fetch_one(&mut *tx)
        .await?;
        if today_count >= self.config.max_applications_per_day {
            return Err(ServiceError::Validation {
                code: ErrorCode::ApplicationsDailyLimit,
                params: vec![("max", self.config.max_applications_per_day.to_string())],
            });
        }
        let inserted = NewApplicationRow {
            id: &id,
            bank_id: &c.bank_id,
            branch_id: &branch_id,
            customer_id: &c.customer_id,
            product_id: &product.id,
            amount: a.amount,
            term_months: a.term_months,
            purpose: &purpose,
            status: ApplicationStatus::Submitted,
            officer_id: &officer_id,
            idempotency_key: &key,
            submitted_at: now,
            submitted_on: today,
            decided_at: None,
            version: 1,
            updated_at: now,
            product_version_id: live_version.as_deref(),
            choice: Some((method, guarantee)),
        }
        .insert(&mut tx)
        .await;
        if let Err(err) = inserted {
            // A concurrent post with the same key won the race.
            drop(tx);
            if let Some(existing) = self.same_submission(c, &a, &purpose, &key).await? {
                return Ok(existing);
            }
            return Err(err);
        }
        let consent = NewConsent {
            id: &new_id(),
            customer_id: &c.customer_id,
            application_id: &id,
            consent_version: CONSENT_VERSION,
            granted_at: now,
        }
        .row();
        sql::insert_rows(&mut tx, "bureau_consents", &CONSENT_COLUMNS, &[consent]).await?;
        if referral_code.is_some() {
            sqlx::query("UPDATE applications SET referral_code = $1 WHERE id = $2")
                .bind(referral_code.clone())
                .bind(&id)
                .execute(&mut *tx)
                .await?;
        }
        status::notify(&mut tx, &id, NoticeKind::Submitted, None, now).await?;
        audit::append(
            &mut tx,
            &self.config.audit_key,
            NewAuditEntry::customer(c, now, "application.submitted", "application", &id)
                .org(branch_id)
                .after(json!({
                    "status": ApplicationStatus::Submitted.as_str(),
                    "product": product.code,
                    "amount_fen": a.amount.get(),
                    "term_months": a.term_months,
                    "repayment_method": method.as_str(),
                    "guarantee_type": guarantee.as_str(),
                    "officer_id": officer_id,
                    "consent_version": CONSENT_VERSION,
                    "product_version_id": live_version,
                    "referral_code": referral_code,
                })),
        )
        .await?;
        self.workflow()
            .start_flow(&mut tx, &id, By::Customer(c))
            .await?;
        tx.commit().await?;
        // The application stands whatever happens here: if the pre-screen
        // itself fails, it goes to the officer without one, as before, and
        // the flow moves on (or `resume_flows` moves it later).
        let screened = self.pre_screen(c, &id).await;
        if let Err(e) = &screened {
            tracing::error!(application = %id, error = %e, "pre-screen failed");
        }
        if !matches!(screened, Ok(PreScreened::Routed)) {
            if let Err(e) = self.workflow().after_pre_screen(&id, By::Customer(c)).await {
                tracing::error!(application = %id, error = %e, "flow after pre-screen failed");
            }
        }
        Ok(id)
    }

    /// The pre-screen of a just-submitted application: one bureau inquiry
    /// under the customer's consent, the decision engine's pre-screen on it,
    /// and, in one transaction, the decision stored, a rejection closing the
    /// application at once, and the flow moved past its pre-screen. When the
    /// flow step fails, the decision still stands and the flow waits (the
    /// caller or `resume_flows` moves it).
    async fn pre_screen(
        self,
        c: &CustomerActor,
        application_id: &str,
    ) -> Result<PreScreened, ServiceError> {
        let app = subject(&self, application_id).await?;
        let (inquiry, record) = self.risk().pre_screen_inquiry(c, &app).await?;
        let prepared = self
            .risk()
            .prepare_decision(&app, DecisionStage::PreScreen, &inquiry)
            .await?;
        let store = |route: bool| {
            let (app, prepared, inquiry, record) = (&app, &prepared, &inquiry, &record);
            async move {
                let now = self.now();
                let by = Requester::Customer(c);
                let mut tx = self.db.begin_write().await?;
                let mut log = audit::Batch::default();
                if prepared.screens_out() {
                    // The guarded write first, as everywhere an application moves.
                    let seen = Seen {
                        id: &app.id,
                        status: app.status,
                        version: Some(app.version),
                    };
                    status::apply(&mut tx, seen, ApplicationAction::ScreenOut, now).await?;
                }
                self.risk()
                    .store_decision(
                        &mut tx,
                        &mut log,
                        app,
                        prepared,
                        inquiry,
                        record.as_ref(),
                        &by,
                        now,
                    )
                    .await?;
                if prepared.screens_out() {
                    log.push(screened_out(app, prepared, now));
                }
                if route {
                    crate::workflow::pass_pre_screen(
                        &mut tx,
                        &app.id,
                        now,
                        By::Customer(c),
                        &mut log,
                    )
                    .await?;
                }
                log.write(&mut tx, &self.config.audit_key).await?;
                tx.commit().await?;
                Ok::<_, ServiceError>(())
            }
        };
        match store(true).await {
            Ok(()) => Ok(PreScreened::Routed),
            Err(e) => {
                tracing::error!(application = %app.id, error = %e, "pre-screen with routing failed");
                store(false).await?;
                Ok(PreScreened::Decided)
            }
        }
    }

    /// The id of an application already made with this key, when its content
    /// is the same; `Duplicate` when the key was used for something else.
    async fn same_submission(
        self,
        c: &CustomerActor,
        a: &NewApplication,
        purpose: &str,
        key: &str,
    ) -> Result<Option<String>, ServiceError> {
        let Some(r) = sqlx::query(
            "SELECT id, customer_id, product_id, amount_fen, term_months, purpose \
             FROM applications WHERE idempotency_key = $1",
        )
        .bind(key)
        .fetch_optional(&self.db.pool)
        .await?
        else {
            return Ok(None);
        };
        let same = sql::text(&r, "customer_id")? == c.customer_id
            && sql::text(&r, "product_id")? == a.product_id
            && sql::int(&r, "amount_fen")? == a.amount.get()
            && sql::int(&r, "term_months")? == i64::from(a.term_months)
            && sql::text(&r, "purpose")? == purpose;
        if same {
            Ok(Some(sql::text(&r, "id")?))
        } else {
            Err(ServiceError::Duplicate)
        }
    }

    /// The customer's own officer (管户) when active, else the officer of the
    /// branch with the fewest open applications, else any in the bank.
    async fn pick_officer(
        self,
        own: Option<String>,
        branch_path: &str,
        bank_id: &str,
    ) -> Result<String, ServiceError> {
        if let Some(own) = own {
            let active = sqlx::query(
                "SELECT u.id FROM staff_users u JOIN staff_roles r ON r.user_id = u.id \
                 WHERE u.id = $1 AND u.active = 1 AND r.role = 'officer'",
            )
            .bind(&own)
            .fetch_optional(&self.db.pool)
            .await?;
            if active.is_some() {
                return Ok(own);
            }
        }
        let bank_path = sqlx::query("SELECT path FROM organisations WHERE id = $1")
            .bind(bank_id)
            .fetch_one(&self.db.pool)
            .await
            .map_err(|e| ServiceError::internal("bank of customer", e))?;
        let bank_path = sql::text(&bank_path, "path")?;
        for scope in [branch_path, bank_path.as_str()] {
            let r = sqlx::query(
                "SELECT u.id, (SELECT COUNT(*) FROM applications a WHERE a.officer_id = u.id \
                               AND a.status IN ('submitted', 'investigated')) AS open_count \
                 FROM staff_users u \
                 JOIN staff_roles r ON r.user_id = u.id AND r.role = 'officer' \
                 JOIN organisations o ON o.id = u.org_id \
                 WHERE u.active = 1 AND o.path LIKE $1 \
                 ORDER BY open_count, u.username LIMIT 1",
            )
            .bind(sql::under(scope))
            .fetch_optional(&self.db.pool)
            .await?;
            if let Some(r) = r {
                return sql::text(&r, "id");
            }
        }
        Err(ServiceError::invalid(ErrorCode::NoOfficerAvailable))
    }
}
