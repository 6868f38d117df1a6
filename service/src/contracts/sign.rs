//! Drawing up a contract from an approved application ([`generate_contract`])
//! and the customer's signing of it ([`sign_contract`]): an SMS code to the
//! borrower's phone (purpose `contract_sign`) and a drawn signature, then the
//! bank's seal over the canonical bytes, once, whatever repeats or runs in
//! parallel. The borrower's signature goes through the e-signature provider
//! (`Services::esign`) first.
//!
//! [`generate_contract`]: crate::contracts::Contracts::generate_contract
//! [`sign_contract`]: crate::contracts::Contracts::sign_contract

use domain::collateral::{contract_summary, CollateralKind, Described};
use domain::contract::{
    canonical_bytes, ContractKind, ContractTemplate, ContractTerms, Guarantor, SignedContent,
    Signer, SignerRole,
};
use domain::date::{Date, CHINA_UTC_OFFSET_MINUTES};
use domain::error_code::ErrorCode;
use domain::flow::NodeType;
use domain::identity::{mask_id_number, Phone};
use domain::org::Role;
use domain::product::GuaranteeType;
use domain::schedule::{build_schedule, RepaymentMethod};
use domain::view::{ContractKeyTerms, ContractStatus, ContractView};
use serde_json::json;
use sqlx::any::AnyRow;

use super::esign::ESignRequest;
use crate::audit::{self, NewAuditEntry};
use crate::auth::{codes::take_code, CustomerActor, Reading, SentCode, StaffActor};
use crate::customers;
use crate::db::new_id;
use crate::error::ServiceError;
use crate::pfi::Field;
use crate::sql;
use crate::workflow::{self, By};

/// The `sms_codes.purpose` of a signing code of the loan contract.
pub const SIGN_PURPOSE: &str = "contract_sign";
/// The `sms_codes.purpose` of a signing code of the mortgage contract: a
/// purpose of its own, so that the borrower who signs both, one after the
/// other, does not wait out the resend interval between them.
pub const MORTGAGE_SIGN_PURPOSE: &str = "contract_sign_mortgage";

fn sign_purpose(kind: ContractKind) -> &'static str {
    match kind {
        ContractKind::Mortgage => MORTGAGE_SIGN_PURPOSE,
        _ => SIGN_PURPOSE,
    }
}

/// Roles that draw up a contract: the officer who handles the loan, the
/// approver, the disbursement desk (放款岗) and the branch head.
pub const GENERATORS: [Role; 4] = [
    Role::Officer,
    Role::Approver,
    Role::Disburser,
    Role::BranchHead,
];

/// A contract row with what signing and export need.
pub(crate) struct Row {
    pub view: ContractView,
    pub customer_id: String,
    pub branch_id: String,
    pub branch_path: String,
    pub bank_name: String,
}

impl Row {
    /// Is this the borrower's own contract to read and sign? Not the
    /// guarantee contract of their loan: the guarantors sign it, and its
    /// text holds their ID numbers.
    pub(crate) fn borrowers(&self, c: &CustomerActor) -> bool {
        self.customer_id == c.customer_id && self.view.kind != ContractKind::Guarantee
    }
}

const SELECT: &str = "SELECT ct.id, ct.contract_no, ct.application_id, ct.kind, \
     ct.template_version, ct.status, ct.text_sealed, ct.canonical_sha256, ct.seal, \
     ct.public_key, ct.signed_at, ct.created_at, ct.customer_id, ct.branch_id, \
     br.path AS branch_path, b.name AS bank_name FROM contracts ct \
     JOIN organisations br ON br.id = ct.branch_id JOIN organisations b ON b.id = ct.bank_id";

fn unique_violation(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(d) if d.is_unique_violation())
}

impl crate::contracts::Contracts<'_> {
    pub(crate) async fn contract_row(&self, id: &str) -> Result<Row, ServiceError> {
        let sql = format!("{SELECT} WHERE ct.id = $1");
        let r = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(id)
            .fetch_optional(&self.db.pool)
            .await?
            .ok_or(ServiceError::NotFound)?;
        self.row_of(&r).await
    }

    async fn row_of(&self, r: &AnyRow) -> Result<Row, ServiceError> {
        let id = sql::text(r, "id")?;
        let kind = sql::text(r, "kind")?;
        let keys = &self.config.pfi;
        let signer_rows = sqlx::query(
            "SELECT role, name_sealed, id_number_masked, signed_at FROM contract_signers \
             WHERE contract_id = $1 ORDER BY seq",
        )
        .bind(&id)
        .fetch_all(&self.db.pool)
        .await?;
        let mut signers = Vec::with_capacity(signer_rows.len());
        for s in &signer_rows {
            let role = sql::text(s, "role")?;
            signers.push(Signer {
                role: SignerRole::parse(&role)
                    .ok_or_else(|| ServiceError::internal("signer role", role))?,
                name: keys.open(Field::SignerName, &sql::text(s, "name_sealed")?)?,
                id_number_masked: sql::text(s, "id_number_masked")?,
                signed_at_ms: sql::int(s, "signed_at")?,
            });
        }
        Ok(Row {
            view: ContractView {
                contract_no: sql::text(r, "contract_no")?,
                application_id: sql::text(r, "application_id")?,
                kind: ContractKind::parse(&kind)
                    .ok_or_else(|| ServiceError::internal("contract kind", kind))?,
                template_version: sql::int(r, "template_version")?,
                status: sql::coded(r, "status", ContractStatus::parse)?,
                text: keys.open(Field::ContractText, &sql::text(r, "text_sealed")?)?,
                signers,
                canonical_sha256: sql::opt_text(r, "canonical_sha256")?,
                seal: sql::opt_text(r, "seal")?,
                public_key: sql::opt_text(r, "public_key")?,
                signed_at: sql::opt_int(r, "signed_at")?,
                created_at: sql::int(r, "created_at")?,
                id,
            },
            customer_id: sql::text(r, "customer_id")?,
            branch_id: sql::text(r, "branch_id")?,
            branch_path: sql::text(r, "branch_path")?,
            bank_name: sql::text(r, "bank_name")?,
        })
    }

    /// A contract for staff who read the customer's file, in their scope.
    pub async fn contract(self, s: &StaffActor, id: &str) -> Result<ContractView, ServiceError> {
        if !s.has_any(Reading::CustomerFile.readers()) {
            return Err(ServiceError::Forbidden);
        }
        let row = self.contract_row(id).await?;
        if !s.covers(&row.branch_path) {
            return Err(ServiceError::Forbidden);
        }
        Ok(row.view)
    }

    /// The loan contract of an application (not voided), for staff who
    /// read the customer's file in their scope; `None` before it is drawn up.
    pub async fn contract_of_application(
        self,
        s: &StaffActor,
        application_id: &str,
    ) -> Result<Option<ContractView>, ServiceError> {
        if !s.has_any(Reading::CustomerFile.readers()) {
            return Err(ServiceError::Forbidden);
        }
        let r = sqlx::query(
            "SELECT br.path FROM applications a \
             JOIN organisations br ON br.id = a.branch_id WHERE a.id = $1",
        )
        .bind(application_id)
        .fetch_optional(&self.db.pool)
        .await?
        .ok_or(ServiceError::NotFound)?;
        if !s.covers(&sql::text(&r, "path")?) {
            return Err(ServiceError::Forbidden);
        }
        match self
            .live_contract(application_id, ContractKind::Loan)
            .await?
        {
            Some(id) => Ok(Some(self.contract_row(&id).await?.view)),
            None => Ok(None),
        }
    }

    /// The customer's own contract (anyone else's is `NotFound`).
    pub async fn my_contract(
        self,
        c: &CustomerActor,
        id: &str,
    ) -> Result<ContractView, ServiceError> {
        let row = self.contract_row(id).await?;
        if !row.borrowers(c) {
            return Err(ServiceError::NotFound);
        }
        Ok(row.view)
    }

    /// The terms the customer's contract states (the granted terms, dated
    /// from the day it was drawn up; the booked loan's once paid out).
    pub async fn my_contract_terms(
        self,
        c: &CustomerActor,
        id: &str,
    ) -> Result<ContractKeyTerms, ServiceError> {
        let row = self.contract_row(id).await?;
        if !row.borrowers(c) {
            return Err(ServiceError::NotFound);
        }
        let drawn = Date::from_epoch_millis(row.view.created_at, CHINA_UTC_OFFSET_MINUTES);
        let r = sqlx::query(
            "SELECT a.amount_fen, a.term_months, ap.annual_rate_bp AS granted_rate_bp, \
               ap.repayment_method AS granted_method, l.annual_rate_bp, l.repayment_method, \
               l.start_date, l.maturity_date \
             FROM applications a \
             LEFT JOIN approvals ap ON ap.application_id = a.id AND ap.decision = 'approve' \
             LEFT JOIN loans l ON l.application_id = a.id WHERE a.id = $1",
        )
        .bind(&row.view.application_id)
        .fetch_one(&self.db.pool)
        .await?;
        let amount = sql::fen(&r, "amount_fen")?;
        let term_months = sql::uint(&r, "term_months")?;
        if sql::opt_text(&r, "start_date")?.is_some() {
            return Ok(ContractKeyTerms {
                amount,
                rate: sql::rate(&r, "annual_rate_bp")?,
                term_months,
                method: sql::method(&r, "repayment_method")?,
                start_date: sql::date(&r, "start_date")?,
                maturity_date: sql::date(&r, "maturity_date")?,
            });
        }
        let rate = sql::rate(&r, "granted_rate_bp")?;
        let method = sql::method(&r, "granted_method")?;
        let maturity_date = match method {
            RepaymentMethod::Revolving => drawn.add_months(term_months),
            _ => build_schedule(method, amount, rate, term_months, drawn)
                .map_err(|e| ServiceError::internal("contract schedule", format!("{e:?}")))?
                .last()
                .map_or_else(|| drawn.add_months(term_months), |i| i.due_date),
        };
        Ok(ContractKeyTerms {
            amount,
            rate,
            term_months,
            method,
            start_date: drawn,
            maturity_date,
        })
    }

    /// The customer's own contracts, newest first.
    pub async fn my_contracts(self, c: &CustomerActor) -> Result<Vec<ContractView>, ServiceError> {
        let sql = format!(
            "{SELECT} WHERE ct.customer_id = $1 AND ct.kind <> 'guarantee' \
             ORDER BY ct.created_at DESC, ct.id"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(&c.customer_id)
            .fetch_all(&self.db.pool)
            .await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in &rows {
            out.push(self.row_of(r).await?.view);
        }
        Ok(out)
    }

    /// Draws up the loan contract of an approved application from the
    /// published template ([`published_template`]) and the terms its
    /// approval granted (a loan booked with its approval: the loan's); the
    /// text is sealed at rest. Returns the contract already
    /// drawn up when there is one (not voided). Refused with
    /// `contract_needs_approval` before the application is approved.
    ///
    /// [`published_template`]: crate::contracts::Contracts::published_template
    pub async fn generate_contract(
        self,
        s: &StaffActor,
        application_id: &str,
    ) -> Result<ContractView, ServiceError> {
        self.draw_up(s, application_id, ContractKind::Loan).await
    }

    /// Draws up a contract of `kind` (see [`generate_contract`]). A
    /// guarantee or mortgage contract refers to the loan contract (主合同),
    /// which must be drawn up first; its own number is the loan contract's
    /// with `-BZ` (保证) or `-DY` (抵押) and a count. A guarantee contract
    /// names every guarantor on the application, all of whom must have
    /// passed their bureau check; a mortgage contract every piece of
    /// collateral not released. Every contract names the guarantors and
    /// the collateral there are when it is drawn up.
    ///
    /// [`generate_contract`]: crate::contracts::Contracts::generate_contract
    pub(crate) async fn draw_up(
        self,
        s: &StaffActor,
        application_id: &str,
        kind: ContractKind,
    ) -> Result<ContractView, ServiceError> {
        if !s.has_any(&GENERATORS) {
            return Err(ServiceError::Forbidden);
        }
        let r = sqlx::query(
            "SELECT a.id, a.bank_id, a.branch_id, a.customer_id, a.product_id, a.status, \
               a.purpose, a.amount_fen, a.term_months, ap.annual_rate_bp AS granted_rate_bp, \
               ap.repayment_method AS granted_method, l.id AS loan_id, l.annual_rate_bp, \
               l.repayment_method, l.start_date, c.name, c.id_number_sealed, \
               c.phone_sealed, b.name AS bank_name, br.name AS branch_name, \
               br.path AS branch_path, \
               COALESCE(a.guarantee_type, p.guarantee_type) AS guarantee_type \
             FROM applications a JOIN customers c ON c.id = a.customer_id \
             JOIN organisations b ON b.id = a.bank_id \
             JOIN organisations br ON br.id = a.branch_id \
             JOIN products p ON p.id = a.product_id \
             LEFT JOIN approvals ap ON ap.application_id = a.id AND ap.decision = 'approve' \
             LEFT JOIN loans l ON l.application_id = a.id WHERE a.id = $1",
        )
        .bind(application_id)
        .fetch_optional(&self.db.pool)
        .await?
        .ok_or(ServiceError::NotFound)?;
        if !s.covers(&sql::text(&r, "branch_path")?) {
            return Err(ServiceError::Forbidden);
        }
        let booked = sql::opt_text(&r, "loan_id")?.is_some();
        let granted = sql::opt_int(&r, "granted_rate_bp")?.is_some();
        if sql::text(&r, "status")? != "approved" || !(granted || booked) {
            return Err(ServiceError::invalid(ErrorCode::ContractNeedsApproval));
        }
        if let Some(id) = self.live_contract(application_id, kind).await? {
            return Ok(self.contract_row(&id).await?.view);
        }
        let guarantors =
            super::guarantee::live_guarantors(&self.db, &self.config.pfi, application_id).await?;
        let main_no = match kind {
            ContractKind::Loan => None,
            _ => {
                let id = self
                    .live_contract(application_id, ContractKind::Loan)
                    .await?
                    .ok_or_else(|| ServiceError::invalid(ErrorCode::GuaranteeNeedsLoanContract))?;
                Some(self.contract_row(&id).await?.view.contract_no)
            }
        };
        if kind == ContractKind::Guarantee {
            let statuses: Vec<_> = guarantors.iter().map(|g| g.status).collect();
            domain::guarantor::ready_to_draw_up(&statuses)
                .map_err(|e| ServiceError::invalid(e.code()))?;
        }
        let collateral = self.collateral_summary(application_id).await?;
        if kind == ContractKind::Mortgage && collateral.is_none() {
            return Err(ServiceError::invalid(ErrorCode::CollateralMissing));
        }
        // The guarantors who passed their check, as the contract names them.
        let named: Vec<_> = guarantors
            .iter()
            .filter(|g| {
                matches!(
                    g.status,
                    domain::guarantor::GuarantorStatus::Accepted
                        | domain::guarantor::GuarantorStatus::Signed
                )
            })
            .collect();
        let guarantor = (!named.is_empty()).then(|| Guarantor {
            name: named
                .iter()
                .map(|g| g.name.as_str())
                .collect::<Vec<_>>()
                .join("、"),
            id_number: named
                .iter()
                .map(|g| g.id_number.as_str())
                .collect::<Vec<_>>()
                .join("、"),
        });
        let bank_id = sql::text(&r, "bank_id")?;
        let template = self
            .published_template(&bank_id, &sql::text(&r, "product_id")?, kind)
            .await?;
        let parsed = ContractTemplate::parse(kind, &template.body)
            .map_err(|e| ServiceError::internal("published contract template", e.to_string()))?;
        let today = self.today();
        // The terms the approval granted; a loan booked with its approval
        // (a flow that ends there) states its own. The schedule runs from
        // today: the payout books it from the day the money goes out.
        let (rate, method, start) = if granted {
            (
                sql::rate(&r, "granted_rate_bp")?,
                sql::method(&r, "granted_method")?,
                today,
            )
        } else {
            (
                sql::rate(&r, "annual_rate_bp")?,
                sql::method(&r, "repayment_method")?,
                sql::date(&r, "start_date")?,
            )
        };
        let amount = sql::fen(&r, "amount_fen")?;
        let term = sql::uint(&r, "term_months")?;
        let schedule = match method {
            RepaymentMethod::Revolving => Vec::new(),
            _ => build_schedule(method, amount, rate, term, start)
                .map_err(|e| ServiceError::internal("contract schedule", format!("{e:?}")))?,
        };
        let maturity = schedule
            .last()
            .map_or_else(|| start.add_months(term), |i| i.due_date);
        let guarantee = sql::text(&r, "guarantee_type")?;
        let mut terms = ContractTerms {
            contract_no: String::new(),
            bank_name: sql::text(&r, "bank_name")?,
            branch_name: sql::text(&r, "branch_name")?,
            borrower_name: sql::text(&r, "name")?,
            borrower_id_number: customers::id_number_of(&self.config.pfi, &r)?,
            borrower_phone: customers::phone_of(&self.config.pfi, &r)?,
            // Not recorded for a customer yet: struck through (——).
            borrower_address: String::new(),
            amount,
            annual_rate_bp: rate.bp(),
            term_months: term,
            repayment_method: method,
            start_date: start,
            maturity_date: maturity,
            schedule,
            loan_purpose: domain::application::purpose_in_contract(&sql::text(&r, "purpose")?)
                .to_string(),
            guarantee_type: GuaranteeType::parse(&guarantee)
                .ok_or_else(|| ServiceError::internal("guarantee type", guarantee))?,
            guarantor,
            collateral_summary: collateral,
            // The contract is dated the day it is drawn up; the signers'
            // own times are in the signed content.
            signed_on: Some(today),
        };
        let prefix = format!(
            "HT{:04}{:02}{:02}",
            today.year(),
            today.month(),
            today.day()
        );
        let now = self.now();
        for _ in 0..8 {
            let contract_no = match &main_no {
                None => {
                    let last = sqlx::query(
                        "SELECT COUNT(*) AS n FROM contracts WHERE contract_no LIKE $1",
                    )
                    .bind(format!("{prefix}%"))
                    .fetch_one(&self.db.pool)
                    .await?;
                    let no = format!("{prefix}{:06}", sql::int(&last, "n")? + 1);
                    terms.contract_no = no.clone();
                    no
                }
                Some(main) => {
                    // The terms name the loan contract (主合同编号).
                    terms.contract_no = main.clone();
                    let earlier = sqlx::query(
                        "SELECT COUNT(*) AS n FROM contracts WHERE application_id = $1 \
                         AND kind = $2",
                    )
                    .bind(application_id)
                    .bind(kind.as_str())
                    .fetch_one(&self.db.pool)
                    .await?;
                    format!(
                        "{main}-{}{}",
                        kind.number_suffix(),
                        sql::int(&earlier, "n")? + 1
                    )
                }
            };
            let text = parsed.render(&terms);
            let id = new_id();
            let mut tx = self.db.begin_write().await?;
            let inserted = sqlx::query(
                "INSERT INTO contracts (id, contract_no, bank_id, branch_id, application_id, \
                   customer_id, kind, template_id, template_version, text_sealed, status, \
                   created_by, created_at, updated_at, row_version) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 'generated', $11, $12, $12, 0)",
            )
            .bind(&id)
            .bind(&contract_no)
            .bind(&bank_id)
            .bind(sql::text(&r, "branch_id")?)
            .bind(application_id)
            .bind(sql::text(&r, "customer_id")?)
            .bind(kind.as_str())
            .bind(template.id.clone())
            .bind(template.version)
            .bind(self.config.pfi.seal(Field::ContractText, &text))
            .bind(&s.user_id)
            .bind(now)
            .execute(&mut *tx)
            .await;
            match inserted {
                Ok(_) => {}
                Err(e) if unique_violation(&e) => {
                    drop(tx);
                    // Drawn up meanwhile by someone else, or the number taken.
                    if let Some(id) = self.live_contract(application_id, kind).await? {
                        return Ok(self.contract_row(&id).await?.view);
                    }
                    continue;
                }
                Err(e) => return Err(e.into()),
            }
            audit::append(
                &mut tx,
                &self.config.audit_key,
                NewAuditEntry::staff(s, now, "contract.generated", "contract", &id)
                    .org(sql::text(&r, "branch_id")?)
                    .after(json!({
                        "contract_no": contract_no,
                        "kind": kind.as_str(),
                        "application_id": application_id,
                        "template_version": template.version,
                    })),
            )
            .await?;
            tx.commit().await?;
            return Ok(self.contract_row(&id).await?.view);
        }
        Err(ServiceError::StaleState)
    }

    /// What the application's collateral (not released) is, as the
    /// contracts name it; `None` when there is none.
    async fn collateral_summary(
        &self,
        application_id: &str,
    ) -> Result<Option<String>, ServiceError> {
        let rows = sqlx::query(
            "SELECT kind, owner_name, certificate_no, registration_no, valuation_fen, \
               valued_on, valuer FROM collaterals \
             WHERE application_id = $1 AND custody <> 'released' ORDER BY created_at, id",
        )
        .bind(application_id)
        .fetch_all(&self.db.pool)
        .await?;
        if rows.is_empty() {
            return Ok(None);
        }
        let mut texts = Vec::with_capacity(rows.len());
        for r in &rows {
            texts.push((
                sql::coded(r, "kind", CollateralKind::parse)?,
                sql::text(r, "owner_name")?,
                sql::text(r, "certificate_no")?,
                sql::opt_text(r, "registration_no")?,
                sql::fen(r, "valuation_fen")?,
                sql::date(r, "valued_on")?,
                sql::text(r, "valuer")?,
            ));
        }
        let items: Vec<_> = texts
            .iter()
            .map(
                |(kind, owner, certificate, registration, value, on, valuer)| Described {
                    kind: *kind,
                    owner_name: owner,
                    certificate_no: certificate,
                    registration_no: registration.as_deref(),
                    valuation: *value,
                    valued_on: *on,
                    valuer,
                },
            )
            .collect();
        Ok(Some(contract_summary(&items)))
    }

    /// Draws up the mortgage (or pledge) contract of an approved
    /// application from its collateral; the borrower signs it on their
    /// phone like the loan contract. Refused without collateral.
    pub async fn generate_mortgage_contract(
        self,
        s: &StaffActor,
        application_id: &str,
    ) -> Result<ContractView, ServiceError> {
        self.draw_up(s, application_id, ContractKind::Mortgage)
            .await
    }

    /// Voids a contract drawn up and not yet signed (a wrong template, terms
    /// that changed), with the reason on the record; it can then be drawn
    /// up again. Voiding a loan contract voids its unsealed guarantee and
    /// mortgage contracts too, which refer to it; a signed contract, or a
    /// loan contract whose accessory contract is signed, stays
    /// (`contract_already_signed`).
    pub async fn void_contract(
        self,
        s: &StaffActor,
        contract_id: &str,
        reason: &str,
    ) -> Result<(), ServiceError> {
        if !s.has_any(&GENERATORS) {
            return Err(ServiceError::Forbidden);
        }
        let row = self.contract_row(contract_id).await?;
        if !s.covers(&row.branch_path) {
            return Err(ServiceError::Forbidden);
        }
        let reason = reason.trim();
        let n = reason.chars().count();
        if n == 0 || n > 200 || reason.chars().any(char::is_control) {
            return Err(ServiceError::invalid(ErrorCode::ContractVoidReasonRequired));
        }
        match row.view.status {
            ContractStatus::Generated => {}
            ContractStatus::Signed => {
                return Err(ServiceError::invalid(ErrorCode::ContractAlreadySigned))
            }
            ContractStatus::Voided => return Err(ServiceError::StaleState),
        }
        let app = &row.view.application_id;
        let now = self.now();
        let mut tx = self.db.begin_write().await?;
        let mut log = audit::Batch::default();
        if row.view.kind == ContractKind::Loan {
            for kind in [ContractKind::Guarantee, ContractKind::Mortgage] {
                super::guarantee::void_live(
                    &mut tx,
                    app,
                    kind,
                    now,
                    &mut log,
                    s,
                    "main_contract_voided",
                )
                .await?;
            }
        }
        super::guarantee::void_live(&mut tx, app, row.view.kind, now, &mut log, s, reason).await?;
        log.write(&mut tx, &self.config.audit_key).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn live_contract(
        &self,
        application_id: &str,
        kind: ContractKind,
    ) -> Result<Option<String>, ServiceError> {
        let r = sqlx::query(
            "SELECT id FROM contracts WHERE application_id = $1 AND kind = $2 \
             AND status <> 'voided'",
        )
        .bind(application_id)
        .bind(kind.as_str())
        .fetch_optional(&self.db.pool)
        .await?;
        r.map(|r| sql::text(&r, "id")).transpose()
    }

    async fn borrower_phone(&self, customer_id: &str) -> Result<Phone, ServiceError> {
        let r = sqlx::query("SELECT phone_sealed FROM customers WHERE id = $1")
            .bind(customer_id)
            .fetch_one(&self.db.pool)
            .await?;
        Ok(Phone::parse(&customers::phone_of(&self.config.pfi, &r)?)?)
    }

    /// Sends the borrower a code to sign their contract with.
    pub async fn send_signing_code(
        self,
        c: &CustomerActor,
        contract_id: &str,
    ) -> Result<SentCode, ServiceError> {
        let row = self.contract_row(contract_id).await?;
        if !row.borrowers(c) {
            return Err(ServiceError::NotFound);
        }
        if row.view.status != ContractStatus::Generated {
            return Err(ServiceError::StaleState);
        }
        let phone = self.borrower_phone(&row.customer_id).await?;
        let no = row.view.contract_no.clone();
        let body = move |code: &str, minutes: i64| {
            format!(
                "【普惠金融】您正在签署合同{no}，验证码{code}，{minutes}分钟内有效。请勿告诉他人。"
            )
        };
        let (code_id, sent) = self
            .auth()
            .send_purpose_code(&phone, sign_purpose(row.view.kind), &body)
            .await?;
        let mut tx = self.db.begin_write().await?;
        audit::append(
            &mut tx,
            &self.config.audit_key,
            NewAuditEntry::customer(
                c,
                self.now(),
                "contract.sign_code_sent",
                "contract",
                contract_id,
            )
            .org(row.branch_id)
            .after(json!({ "contract_no": row.view.contract_no, "code": code_id })),
        )
        .await?;
        tx.commit().await?;
        Ok(sent)
    }

    /// The borrower signs with the code sent to their phone and their drawn
    /// signature (the image's bytes; its SHA-256 is kept). The bank then
    /// seals the canonical bytes. Signing a signed contract, or two signings
    /// at once, seal it once: the others return the signed contract. A wrong
    /// code is refused (`code_invalid`) and changes nothing but the code's
    /// count of guesses.
    pub async fn sign_contract(
        self,
        c: &CustomerActor,
        contract_id: &str,
        sms_code: &str,
        signature_image: &[u8],
    ) -> Result<ContractView, ServiceError> {
        let row = self.contract_row(contract_id).await?;
        if !row.borrowers(c) {
            return Err(ServiceError::NotFound);
        }
        match row.view.status {
            ContractStatus::Signed => return Ok(row.view),
            ContractStatus::Generated => {}
            ContractStatus::Voided => return Err(ServiceError::StaleState),
        }
        if signature_image.is_empty() {
            return Err(ServiceError::invalid(ErrorCode::ContractSignatureMissing));
        }
        let phone = self.borrower_phone(&row.customer_id).await?;
        let code_id = match self
            .auth()
            .check_purpose_code(&phone, sign_purpose(row.view.kind), sms_code)
            .await
        {
            Ok(id) => id,
            // The code was taken by a parallel signing that has committed.
            Err(ServiceError::CodeExpired) => {
                let again = self.contract_row(contract_id).await?;
                if again.view.status == ContractStatus::Signed {
                    return Ok(again.view);
                }
                return Err(ServiceError::CodeExpired);
            }
            // A wrong or spent code is on the record: someone may be trying
            // to sign in the borrower's name.
            Err(e) => {
                let now = self.now();
                let mut tx = self.db.begin_write().await?;
                audit::append(
                    &mut tx,
                    &self.config.audit_key,
                    NewAuditEntry::customer(
                        c,
                        now,
                        "contract.sign_refused",
                        "contract",
                        contract_id,
                    )
                    .after(json!({ "reason": e.code().as_str() })),
                )
                .await?;
                tx.commit().await?;
                return Err(e);
            }
        };
        let customer = sqlx::query("SELECT name, id_number_sealed FROM customers WHERE id = $1")
            .bind(&row.customer_id)
            .fetch_one(&self.db.pool)
            .await?;
        let name = sql::text(&customer, "name")?;
        let id_masked = mask_id_number(&customers::id_number_of(&self.config.pfi, &customer)?);
        let now = self.now();
        let signers = vec![
            Signer {
                role: SignerRole::Borrower,
                name: name.clone(),
                id_number_masked: id_masked.clone(),
                signed_at_ms: now,
            },
            Signer {
                role: SignerRole::Bank,
                name: row.bank_name.clone(),
                id_number_masked: String::new(),
                signed_at_ms: now,
            },
        ];
        let content = SignedContent {
            contract_no: row.view.contract_no.clone(),
            kind: row.view.kind,
            template_version: row.view.template_version,
            text: row.view.text.clone(),
            signers: signers.clone(),
        };
        let digest = super::sha256(&canonical_bytes(&content));
        let digest_hex = hex::encode(digest);
        let key = &self.config.contract_seal;
        let seal = key.seal(&digest);
        let public_key = key.public_hex();
        let signature_sha256 = hex::encode(super::sha256(signature_image));
        // The provider signs for the borrower before anything is stored: when
        // it fails nothing is signed and the code stays usable. (A parallel
        // signing that loses below has had the provider sign too; only the
        // winner's evidence is kept.)
        let receipt = self
            .esign
            .sign(&ESignRequest {
                contract_no: row.view.contract_no.clone(),
                canonical_sha256: digest_hex.clone(),
                signer_name: name.clone(),
                id_number_masked: id_masked.clone(),
                signature_sha256: signature_sha256.clone(),
            })
            .await
            .map_err(|e| {
                tracing::warn!(contract = %row.view.contract_no, %e, "e-signature failed");
                ServiceError::invalid(ErrorCode::ContractEsignFailed)
            })?;

        let mut tx = self.db.begin_write().await?;
        let moved = sqlx::query(
            "UPDATE contracts SET status = 'signed', canonical_sha256 = $2, seal = $3, \
               public_key = $4, signed_at = $5, updated_at = $5, row_version = row_version + 1 \
             WHERE id = $1 AND status = 'generated'",
        )
        .bind(contract_id)
        .bind(&digest_hex)
        .bind(&seal)
        .bind(&public_key)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        if moved.rows_affected() != 1 || !take_code(&mut tx, &code_id, now).await? {
            // A parallel signing won (or the code went meanwhile).
            tx.rollback().await?;
            let again = self.contract_row(contract_id).await?;
            return if again.view.status == ContractStatus::Signed {
                Ok(again.view)
            } else {
                Err(ServiceError::CodeExpired)
            };
        }
        for (seq, s) in signers.iter().enumerate() {
            let borrower = s.role == SignerRole::Borrower;
            sqlx::query(
                "INSERT INTO contract_signers (id, contract_id, seq, role, customer_id, \
                   name_sealed, id_number_masked, signature_sha256, sms_code_id, signed_at, \
                   esign_provider, esign_evidence) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
            )
            .bind(new_id())
            .bind(contract_id)
            .bind(i64::try_from(seq).unwrap_or(i64::MAX))
            .bind(s.role.as_str())
            .bind(borrower.then(|| row.customer_id.clone()))
            .bind(self.config.pfi.seal(Field::SignerName, &s.name))
            .bind(&s.id_number_masked)
            .bind(borrower.then(|| signature_sha256.clone()))
            .bind(borrower.then(|| code_id.clone()))
            .bind(s.signed_at_ms)
            .bind(borrower.then(|| receipt.provider.clone()))
            .bind(borrower.then(|| receipt.evidence_id.clone()))
            .execute(&mut *tx)
            .await?;
        }
        audit::append(
            &mut tx,
            &self.config.audit_key,
            NewAuditEntry::customer(c, now, "contract.signed", "contract", contract_id)
                .org(row.branch_id.clone())
                .before(json!({ "status": "generated" }))
                .after(json!({
                    "status": "signed",
                    "contract_no": row.view.contract_no,
                    "canonical_sha256": digest_hex,
                    "public_key": public_key,
                    "signers": signers.len(),
                    "esign_provider": receipt.provider,
                    "esign_evidence": receipt.evidence_id,
                })),
        )
        .await?;
        if row.view.kind == ContractKind::Loan {
            // The flow's contract step is done when the borrower has signed.
            let mut log = audit::Batch::default();
            workflow::pass_node(
                &mut tx,
                &row.view.application_id,
                NodeType::ContractSigning,
                "客户已签署借款合同",
                now,
                By::Customer(c),
                &mut log,
            )
            .await?;
            log.write(&mut tx, &self.config.audit_key).await?;
        }
        tx.commit().await?;
        Ok(self.contract_row(contract_id).await?.view)
    }
}
