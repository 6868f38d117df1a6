//! 提前还款 (prepayment) on the phone and at the counter, and the 结清证明
//! (settlement certificate) of a loan paid off.
//!
//! The arithmetic is `domain::servicing::eod::LoanState::prepay`: interest
//! to the day, what is due first, the schedule recomputed. Here:
//!
//! - **Quote** ([`Servicing::my_prepayment_quote`], [`Servicing::prepayment_quote`]):
//!   what a prepayment today collects and the schedule after it, computed
//!   on the loan as stored, nothing written.
//! - **On the phone** ([`Servicing::prepay`]): a payment order of purpose
//!   `prepayment` for the quote's total, through the payment provider,
//!   exactly like a repayment (see `payments`): committed before the
//!   provider is called, posted once by a guarded update, a double click
//!   finds the first order. When posted, the quote is worked out again on
//!   the loan as it is then; if the sum differs (the day turned, or the
//!   batch ran meanwhile) the money is refunded, never posted as something
//!   the customer did not see.
//! - **At the counter** ([`Servicing::prepay_at_counter`]): the disbursement
//!   desk (放款/会计岗) takes the money and posts it in one transaction; the
//!   total it saw must still be the quote's, and its idempotency key makes
//!   a double click post once.
//!
//! Both write a `prepayments` row, replace the instalments not yet due
//! with the new ones, and audit `loan.prepaid`. A payoff settles the loan;
//! its certificate is issued, sealed with the bank's contract key, on first
//! request ([`Servicing::my_settlement_certificate`]).

use domain::date::Date;
use domain::error_code::ErrorCode;
use domain::money::Fen;
use domain::org::Role;
use domain::schedule::Instalment;
use domain::servicing::eod::{
    EodRules, LoanStatus, LoanTerms, Prepaid, PrepaymentKind, PrepaymentQuote, PrepaymentRequest,
};
use domain::servicing::ledger::{Account as LedgerAccount, IdempotencyKey};
use domain::view::SettlementCertificateView;
use serde_json::json;
use sha2::Digest;
use sqlx::{Any, AnyConnection, Transaction};

use super::payments::Purpose;
use super::{
    load_account, posting_rows, schedule_row, scheduled_of, store_account, write_postings, Account,
    SCHEDULE_COLUMNS,
};
use crate::audit::{self, NewAuditEntry};
use crate::auth::{CustomerActor, Reading, StaffActor};
use crate::db::new_id;
use crate::error::ServiceError;
use crate::pfi::Field;
use crate::sql;

/// Who takes a prepayment at the counter: the disbursement desk, which
/// keeps the loan accounts (放款/会计岗).
const COUNTER_ROLES: [Role; 1] = [Role::Disburser];

/// The header of a certificate's sealed form.
const CERTIFICATE_HEADER: &str = "PUHUI-SETTLEMENT-1\n";

/// A prepayment done: its reference (the payment order's, or the counter's
/// key) and what it collected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrepaymentDone {
    pub reference: String,
    pub total: Fen,
    pub settled: bool,
}

/// A loan as a prepayment needs it: its account with the whole schedule,
/// its terms, and where it is served.
struct Loaded {
    account: Account,
    terms: LoanTerms,
    customer_id: String,
    branch_path: String,
}

async fn load(conn: &mut AnyConnection, loan_id: &str) -> Result<Loaded, ServiceError> {
    let r = sqlx::query(
        "SELECT l.customer_id, l.repayment_method, l.start_date, o.path AS branch_path \
         FROM loans l JOIN organisations o ON o.id = l.branch_id WHERE l.id = $1",
    )
    .bind(loan_id)
    .fetch_optional(&mut *conn)
    .await?
    .ok_or(ServiceError::NotFound)?;
    // The account and its schedule are read apart: a payment committed in
    // between (it bumps the account's version with the schedule) makes us
    // read both again, so the two always belong together.
    let mut attempts = 0;
    let account = loop {
        let mut account = load_account(conn, loan_id).await?;
        let rows = sqlx::query(
            "SELECT n, due_date, principal_fen, interest_fen, payment_fen, balance_fen, \
               paid_principal_fen, paid_interest_fen FROM loan_schedule WHERE loan_id = $1 \
             ORDER BY n",
        )
        .bind(loan_id)
        .fetch_all(&mut *conn)
        .await?;
        account.state.schedule = rows.iter().map(scheduled_of).collect::<Result<_, _>>()?;
        let now = sqlx::query("SELECT version FROM loan_accounts WHERE loan_id = $1")
            .bind(loan_id)
            .fetch_one(&mut *conn)
            .await?;
        if sql::int(&now, "version")? == account.version {
            break account;
        }
        attempts += 1;
        if attempts >= 20 {
            return Err(ServiceError::StaleState);
        }
    };
    Ok(Loaded {
        account,
        terms: LoanTerms {
            method: sql::method(&r, "repayment_method")?,
            value_date: sql::date(&r, "start_date")?,
        },
        customer_id: sql::text(&r, "customer_id")?,
        branch_path: sql::text(&r, "branch_path")?,
    })
}

/// A refusal of the domain in the user's words; `ExceedsBalance` says how
/// much can be prepaid.
fn refused(e: domain::servicing::eod::EodError) -> ServiceError {
    use domain::servicing::eod::EodError;
    use domain::servicing::ledger::PrepaymentError;
    match e {
        EodError::Prepayment(PrepaymentError::ExceedsBalance { balance }) => {
            ServiceError::Validation {
                code: ErrorCode::PrepaymentExceedsBalance,
                params: vec![("balance", balance.to_grouped_string())],
            }
        }
        EodError::LoanClosed => ServiceError::invalid(ErrorCode::LoanClosed),
        other => ServiceError::invalid(other.code()),
    }
}

/// The value date of a prepayment made now: today, or the day after the
/// last night the batch processed when it already ran today's (a
/// transaction after the cut-off is value-dated the next business day).
fn value_date(today: Date, account: &Account) -> Date {
    today.max(account.state.last_processed.add_days(1))
}

fn key(raw: &str) -> Result<IdempotencyKey, ServiceError> {
    IdempotencyKey::parse(raw).map_err(|_| ServiceError::invalid(ErrorCode::IdempotencyKeyInvalid))
}

impl crate::servicing::Servicing<'_> {
    async fn quote_for(
        self,
        loaded: &Loaded,
        request: PrepaymentRequest,
    ) -> Result<PrepaymentQuote, ServiceError> {
        let on = value_date(self.today(), &loaded.account);
        loaded
            .account
            .state
            .prepayment_quote(request, loaded.terms, &EodRules::default(), on)
            .map_err(refused)
    }

    async fn loaded(self, loan_id: &str) -> Result<Loaded, ServiceError> {
        let mut conn = self.db.pool.acquire().await?;
        load(&mut conn, loan_id).await
    }

    /// What prepaying one of the customer's loans today would collect, and
    /// the schedule after it. `NotFound` for anyone else's loan.
    pub async fn my_prepayment_quote(
        self,
        c: &CustomerActor,
        loan_id: &str,
        request: PrepaymentRequest,
    ) -> Result<PrepaymentQuote, ServiceError> {
        let loaded = self.loaded(loan_id).await?;
        if loaded.customer_id != c.customer_id {
            return Err(ServiceError::NotFound);
        }
        self.quote_for(&loaded, request).await
    }

    /// The same quote for staff who read the loan's ledger.
    pub async fn prepayment_quote(
        self,
        s: &StaffActor,
        loan_id: &str,
        request: PrepaymentRequest,
    ) -> Result<PrepaymentQuote, ServiceError> {
        let loaded = self.loaded(loan_id).await?;
        s.may_read(Reading::Ledger, &loaded.branch_path)?;
        self.quote_for(&loaded, request).await
    }

    /// 提前还款 on the phone: collects today's quote of `request` through the
    /// payment provider and posts it. `total` is the sum the customer was
    /// shown: a quote that no longer adds up to it is refused
    /// (`PrepaymentQuoteChanged`) before anything is collected. `client_key`
    /// makes a retried request find the first order. Refusals and provider
    /// answers are those of a repayment.
    pub async fn prepay(
        self,
        c: &CustomerActor,
        loan_id: &str,
        request: PrepaymentRequest,
        total: Fen,
        client_key: &str,
    ) -> Result<PrepaymentDone, ServiceError> {
        let client_key = key(client_key)?;
        if let Some(r) = sqlx::query(
            "SELECT reference, loan_id, customer_id, amount_fen, status, failure, purpose, \
               prepay_mode FROM payments WHERE idempotency_key = $1",
        )
        .bind(client_key.as_str())
        .fetch_optional(&self.db.pool)
        .await?
        {
            if sql::text(&r, "customer_id")? != c.customer_id
                || sql::text(&r, "loan_id")? != loan_id
                || sql::text(&r, "purpose")? != "prepayment"
                || sql::opt_text(&r, "prepay_mode")?.as_deref() != Some(request.kind().as_str())
            {
                return Err(ServiceError::Duplicate);
            }
            let reference = sql::text(&r, "reference")?;
            return self
                .prepayment_outcome(&reference, sql::fen(&r, "amount_fen")?)
                .await;
        }
        let quote = self.my_prepayment_quote(c, loan_id, request).await?;
        if quote.total != total {
            return Err(ServiceError::Validation {
                code: ErrorCode::PrepaymentQuoteChanged,
                params: vec![("total", quote.total.to_grouped_string())],
            });
        }
        let reference = self
            .order_and_collect(
                c,
                loan_id,
                quote.total,
                &client_key,
                Purpose::Prepayment {
                    kind: request.kind(),
                    principal: quote.principal,
                },
            )
            .await?;
        self.prepayment_outcome(&reference, quote.total).await
    }

    /// What became of the prepayment order `reference`.
    async fn prepayment_outcome(
        self,
        reference: &str,
        total: Fen,
    ) -> Result<PrepaymentDone, ServiceError> {
        let r = sqlx::query(
            "SELECT p.status, p.failure, a.status AS loan_status FROM payments p \
             JOIN loan_accounts a ON a.loan_id = p.loan_id WHERE p.reference = $1",
        )
        .bind(reference)
        .fetch_one(&self.db.pool)
        .await?;
        match sql::text(&r, "status")?.as_str() {
            "succeeded" => Ok(PrepaymentDone {
                reference: reference.to_string(),
                total,
                settled: sql::text(&r, "loan_status")? == LoanStatus::Settled.as_str(),
            }),
            "pending" => Err(ServiceError::invalid(ErrorCode::PaymentPending)),
            // A refund's reason is the code that refused the posting.
            "refunded" => Err(ServiceError::invalid(
                match sql::opt_text(&r, "failure")?.as_deref() {
                    Some(reason) if reason == ErrorCode::PrepaymentQuoteChanged.as_str() => {
                        ErrorCode::PrepaymentQuoteChanged
                    }
                    _ => ErrorCode::PaymentRefunded,
                },
            )),
            _ => Err(super::payments::payment_failed(sql::opt_text(
                &r, "failure",
            )?)),
        }
    }

    /// 提前还款 at the counter: the desk took `total` from the borrower for
    /// `request` and posts it now. `total` must be today's quote (what the
    /// desk showed the borrower): otherwise `PrepaymentQuoteChanged` with
    /// the new sum, nothing posted. `client_key` makes a double click post
    /// once.
    pub async fn prepay_at_counter(
        self,
        s: &StaffActor,
        loan_id: &str,
        request: PrepaymentRequest,
        total: Fen,
        client_key: &str,
    ) -> Result<PrepaymentDone, ServiceError> {
        if !s.has_any(&COUNTER_ROLES) {
            return Err(ServiceError::Forbidden);
        }
        let posting_key = key(&format!("counter:{client_key}"))?;
        if let Some(done) = self
            .counter_prepayment(&posting_key, loan_id, request, total)
            .await?
        {
            return Ok(done);
        }
        match self
            .post_at_counter(s, loan_id, request, total, &posting_key)
            .await
        {
            // A concurrent click with the same key posted first: its result.
            Err(ServiceError::Duplicate) => self
                .counter_prepayment(&posting_key, loan_id, request, total)
                .await?
                .ok_or(ServiceError::Duplicate),
            other => other,
        }
    }

    /// The counter prepayment already posted under `key`, if any;
    /// `Duplicate` when the key was used for another.
    async fn counter_prepayment(
        self,
        key: &IdempotencyKey,
        loan_id: &str,
        request: PrepaymentRequest,
        total: Fen,
    ) -> Result<Option<PrepaymentDone>, ServiceError> {
        let Some(r) = sqlx::query(
            "SELECT loan_id, total_fen, mode FROM prepayments WHERE idempotency_key = $1",
        )
        .bind(key.as_str())
        .fetch_optional(&self.db.pool)
        .await?
        else {
            return Ok(None);
        };
        if sql::text(&r, "loan_id")? != loan_id
            || sql::fen(&r, "total_fen")? != total
            || sql::text(&r, "mode")? != request.kind().as_str()
        {
            return Err(ServiceError::Duplicate);
        }
        Ok(Some(PrepaymentDone {
            reference: key.as_str().to_string(),
            total,
            settled: self.loan_settled(loan_id).await?,
        }))
    }

    async fn post_at_counter(
        self,
        s: &StaffActor,
        loan_id: &str,
        request: PrepaymentRequest,
        total: Fen,
        posting_key: &IdempotencyKey,
    ) -> Result<PrepaymentDone, ServiceError> {
        let now = self.now();
        let mut tx = self.db.begin_write().await?;
        let loaded = load(&mut tx, loan_id).await?;
        if !s.covers(&loaded.branch_path) {
            return Err(ServiceError::Forbidden);
        }
        let on = value_date(self.today(), &loaded.account);
        let done = loaded
            .account
            .state
            .prepay(
                request,
                loaded.terms,
                &EodRules::default(),
                posting_key.clone(),
                on,
            )
            .map_err(refused)?;
        if done.quote.total != total {
            return Err(ServiceError::Validation {
                code: ErrorCode::PrepaymentQuoteChanged,
                params: vec![("total", done.quote.total.to_grouped_string())],
            });
        }
        let settled = done.state.status == LoanStatus::Settled;
        write_prepayment(
            &mut tx,
            &loaded,
            &done,
            request.kind(),
            Origin::Counter(s.user_id.as_str()),
            posting_key.as_str(),
            now,
        )
        .await?;
        audit::append(
            &mut tx,
            &self.config.audit_key,
            NewAuditEntry::staff(s, now, "loan.prepaid", "loan", loan_id).after(prepaid_audit(
                &done,
                request.kind(),
                "counter",
            )),
        )
        .await?;
        tx.commit().await?;
        Ok(PrepaymentDone {
            reference: posting_key.as_str().to_string(),
            total,
            settled,
        })
    }

    async fn loan_settled(self, loan_id: &str) -> Result<bool, ServiceError> {
        let r = sqlx::query("SELECT status FROM loan_accounts WHERE loan_id = $1")
            .bind(loan_id)
            .fetch_one(&self.db.pool)
            .await?;
        Ok(sql::text(&r, "status")? == LoanStatus::Settled.as_str())
    }

    /// Posts the collected prepayment order `reference` (claimed by the
    /// caller's guarded update) on the loan as it is now. A quote that no
    /// longer adds up to the sum collected is refused with
    /// `PrepaymentQuoteChanged`, which makes the caller refund.
    pub(super) async fn post_prepayment(
        self,
        tx: &mut Transaction<'_, Any>,
        reference: &str,
        loan_id: &str,
        amount: Fen,
        now: i64,
    ) -> Result<(), ServiceError> {
        let r = sqlx::query(
            "SELECT prepay_mode, prepay_principal_fen FROM payments WHERE reference = $1",
        )
        .bind(reference)
        .fetch_one(&mut **tx)
        .await?;
        let mode = sql::opt_text(&r, "prepay_mode")?.unwrap_or_default();
        let kind = PrepaymentKind::parse(&mode)
            .ok_or_else(|| ServiceError::internal("prepay_mode", mode))?;
        let principal = Fen(sql::opt_int(&r, "prepay_principal_fen")?.unwrap_or(0));
        let request = kind.request(principal);
        let loaded = load(&mut *tx, loan_id).await?;
        let on = value_date(self.today(), &loaded.account);
        let posting_key = key(&format!("pay:{reference}"))?;
        let done = loaded
            .account
            .state
            .prepay(request, loaded.terms, &EodRules::default(), posting_key, on)
            .map_err(refused)?;
        if done.quote.total != amount {
            return Err(ServiceError::invalid(ErrorCode::PrepaymentQuoteChanged));
        }
        write_prepayment(
            tx,
            &loaded,
            &done,
            kind,
            Origin::Online(reference),
            &format!("pay:{reference}"),
            now,
        )
        .await?;
        audit::append(
            tx,
            &self.config.audit_key,
            NewAuditEntry::system(now, "loan.prepaid", "loan", loan_id).after({
                let mut v = prepaid_audit(&done, kind, "online");
                v["reference"] = json!(reference);
                v
            }),
        )
        .await
    }

    /// The 结清证明 of one of the customer's loans, issued on first request;
    /// `LoanNotSettled` while anything is owed.
    pub async fn my_settlement_certificate(
        self,
        c: &CustomerActor,
        loan_id: &str,
    ) -> Result<SettlementCertificateView, ServiceError> {
        let r = sqlx::query("SELECT customer_id FROM loans WHERE id = $1")
            .bind(loan_id)
            .fetch_optional(&self.db.pool)
            .await?
            .ok_or(ServiceError::NotFound)?;
        if sql::text(&r, "customer_id")? != c.customer_id {
            return Err(ServiceError::NotFound);
        }
        self.settlement_certificate_of(loan_id).await
    }

    /// The same for staff who read the loan's ledger.
    pub async fn settlement_certificate(
        self,
        s: &StaffActor,
        loan_id: &str,
    ) -> Result<SettlementCertificateView, ServiceError> {
        let r = sqlx::query(
            "SELECT o.path FROM loans l JOIN organisations o ON o.id = l.branch_id WHERE l.id = $1",
        )
        .bind(loan_id)
        .fetch_optional(&self.db.pool)
        .await?
        .ok_or(ServiceError::NotFound)?;
        s.may_read(Reading::Ledger, &sql::text(&r, "path")?)?;
        self.settlement_certificate_of(loan_id).await
    }

    async fn settlement_certificate_of(
        self,
        loan_id: &str,
    ) -> Result<SettlementCertificateView, ServiceError> {
        if let Some(v) = self.stored_certificate(loan_id).await? {
            return Ok(v);
        }
        let r = sqlx::query(
            "SELECT l.principal_fen, l.start_date, l.bank_id, l.application_id, a.status, \
               c.name, c.id_number_sealed, b.name AS bank_name, \
               (SELECT MAX(p.business_date) FROM postings p \
                WHERE p.loan_id = l.id AND p.kind = 'repayment') AS settled_on, \
               (SELECT ct.contract_no FROM contracts ct WHERE ct.application_id = l.application_id \
                AND ct.kind = 'loan' AND ct.status = 'signed') AS contract_no, \
               (SELECT COUNT(*) FROM collaterals co \
                WHERE co.application_id = l.application_id) AS collaterals \
             FROM loans l JOIN loan_accounts a ON a.loan_id = l.id \
             JOIN customers c ON c.id = l.customer_id \
             JOIN organisations b ON b.id = l.bank_id WHERE l.id = $1",
        )
        .bind(loan_id)
        .fetch_one(&self.db.pool)
        .await?;
        if sql::text(&r, "status")? != LoanStatus::Settled.as_str() {
            return Err(ServiceError::invalid(ErrorCode::LoanNotSettled));
        }
        let settled_on = match sql::opt_text(&r, "settled_on")? {
            Some(d) => {
                Date::parse(&d).map_err(|e| ServiceError::internal("settled_on", e.code()))?
            }
            None => self.today(),
        };
        let id_number = self
            .config
            .pfi
            .open(Field::IdNumber, &sql::text(&r, "id_number_sealed")?)?;
        let principal = sql::fen(&r, "principal_fen")?;
        let bank_name = sql::text(&r, "bank_name")?;
        // A loan taken over from the previous system has no contract here.
        let contract = match sql::opt_text(&r, "contract_no")? {
            Some(no) => format!("借款合同编号：{no}"),
            None => format!("贷款编号：{loan_id}"),
        };
        let number = format!(
            "JQ{}{}",
            settled_on.to_string().replace('-', ""),
            &loan_id[loan_id.len().saturating_sub(8)..].to_uppercase()
        );
        let text = format!(
            "结清证明\n\n编号：{number}\n\n借款人：{name}（身份证号码：{id}）\n\
             {contract}\n\
             贷款金额：人民币{amount}元（{words}）\n\
             放款日期：{start}\n\
             结清日期：{settled_on}\n\n\
             兹证明上述借款人在我行办理的上述贷款，本金、利息及相关费用已于{settled_on}全部结清，\
             该笔借款合同项下的借贷关系终止。{release}\n\n{bank_name}\n{settled_on}",
            release = if sql::int(&r, "collaterals")? > 0 {
                "上述贷款项下的抵（质）押物，可凭本证明办理解除抵（质）押手续。"
            } else {
                ""
            },
            name = sql::text(&r, "name")?,
            id = domain::identity::mask_id_number(&id_number),
            amount = principal.to_grouped_string(),
            words = domain::contract::amount_in_words(principal).unwrap_or_default(),
            start = sql::text(&r, "start_date")?,
        );
        let mut sealed_form = CERTIFICATE_HEADER.as_bytes().to_vec();
        sealed_form.extend_from_slice(format!("{number}\n{text}").as_bytes());
        let digest: [u8; 32] = sha2::Sha256::digest(&sealed_form).into();
        let seal = self.config.contract_seal.seal(&digest);
        let now = self.now();
        let mut tx = self.db.begin_write().await?;
        let inserted = sqlx::query(
            "INSERT INTO settlement_certificates (id, loan_id, certificate_no, bank_id, \
               settled_on, text_sealed, sha256, seal, public_key, issued_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT DO NOTHING",
        )
        .bind(new_id())
        .bind(loan_id)
        .bind(&number)
        .bind(sql::text(&r, "bank_id")?)
        .bind(settled_on.to_string())
        .bind(self.config.pfi.seal(Field::ContractText, &text))
        .bind(hex::encode(digest))
        .bind(&seal)
        .bind(self.config.contract_seal.public_hex())
        .bind(now)
        .execute(&mut *tx)
        .await?;
        if inserted.rows_affected() == 1 {
            audit::append(
                &mut tx,
                &self.config.audit_key,
                NewAuditEntry::system(now, "settlement.issued", "loan", loan_id).after(json!({
                    "certificate_no": number,
                    "settled_on": settled_on.to_string(),
                    "sha256": hex::encode(digest),
                })),
            )
            .await?;
        }
        tx.commit().await?;
        self.stored_certificate(loan_id)
            .await?
            .ok_or_else(|| ServiceError::internal("settlement certificate", "not stored"))
    }

    async fn stored_certificate(
        self,
        loan_id: &str,
    ) -> Result<Option<SettlementCertificateView>, ServiceError> {
        let Some(r) = sqlx::query(
            "SELECT certificate_no, settled_on, text_sealed, sha256, seal, public_key, issued_at \
             FROM settlement_certificates WHERE loan_id = $1",
        )
        .bind(loan_id)
        .fetch_optional(&self.db.pool)
        .await?
        else {
            return Ok(None);
        };
        Ok(Some(SettlementCertificateView {
            certificate_no: sql::text(&r, "certificate_no")?,
            settled_on: sql::date(&r, "settled_on")?,
            text: self
                .config
                .pfi
                .open(Field::ContractText, &sql::text(&r, "text_sealed")?)?,
            sha256: sql::text(&r, "sha256")?,
            seal: sql::text(&r, "seal")?,
            public_key: sql::text(&r, "public_key")?,
            issued_at: sql::int(&r, "issued_at")?,
        }))
    }
}

/// Where a prepayment came from.
enum Origin<'a> {
    /// A payment order on the phone, by its reference.
    Online(&'a str),
    /// The counter, by the member of staff who took it.
    Counter(&'a str),
}

fn prepaid_audit(done: &Prepaid, kind: PrepaymentKind, channel: &str) -> serde_json::Value {
    let q = &done.quote;
    json!({
        "channel": channel,
        "kind": kind.as_str(),
        "business_date": q.on.to_string(),
        "principal_fen": q.principal.get(),
        "interest_fen": q.interest.get(),
        "total_fen": q.total.get(),
        "periods_before": q.before.len(),
        "periods_after": q.after.len(),
        "status": done.state.status.as_str(),
    })
}

fn first_payment(rows: &[Instalment]) -> Option<Fen> {
    rows.first().map(|i| i.payment)
}

/// Stores a prepayment in the caller's transaction: the account (guarded on
/// its version), the postings, the instalments not yet due replaced, the
/// contract row's maturity, the credit line's use, and the `prepayments`
/// row. `Duplicate` when the key was used already.
async fn write_prepayment(
    tx: &mut Transaction<'_, Any>,
    loaded: &Loaded,
    done: &Prepaid,
    kind: PrepaymentKind,
    origin: Origin<'_>,
    key: &str,
    now: i64,
) -> Result<(), ServiceError> {
    let old = &loaded.account;
    let loan_id = old.state.loan_id.as_str();
    let processed = done.state.last_processed;
    let q = &done.quote;
    // First, so that a second use of the key stops here as `Duplicate`.
    let (channel, reference, received_by) = match origin {
        Origin::Online(r) => ("online", Some(r), None),
        Origin::Counter(s) => ("counter", None, Some(s)),
    };
    sqlx::query(
        "INSERT INTO prepayments (id, loan_id, bank_id, channel, payment_reference, \
           idempotency_key, mode, business_date, principal_fen, interest_fen, total_fen, \
           periods_before, periods_after, payment_before_fen, payment_after_fen, \
           interest_saved_fen, received_by, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)",
    )
    .bind(new_id())
    .bind(loan_id)
    .bind(&old.bank_id)
    .bind(channel)
    .bind(reference)
    .bind(key)
    .bind(kind.as_str())
    .bind(q.on.to_string())
    .bind(q.principal.get())
    .bind(q.interest.get())
    .bind(q.total.get())
    .bind(i64::try_from(q.before.len()).unwrap_or(0))
    .bind(i64::try_from(q.after.len()).unwrap_or(0))
    .bind(first_payment(&q.before).unwrap_or_default().get())
    .bind(first_payment(&q.after).map(Fen::get))
    .bind(q.interest_saved.get())
    .bind(received_by)
    .bind(now)
    .execute(&mut **tx)
    .await
    .map_err(|e| match e {
        sqlx::Error::Database(d) if d.is_unique_violation() => ServiceError::Duplicate,
        other => other.into(),
    })?;
    // The instalments already due are the ones whose paid amounts the
    // account's store compares; those not yet due are replaced below.
    let mut before = old.clone();
    before
        .state
        .schedule
        .retain(|i| i.instalment.due_date <= processed);
    let mut after = done.state.clone();
    after
        .schedule
        .retain(|i| i.instalment.due_date <= processed);
    store_account(tx, &before, &after, now).await?;
    let (mut p, mut l) = (Vec::new(), Vec::new());
    for posting in &done.postings {
        posting_rows(loan_id, &old.bank_id, posting, now, &mut p, &mut l)?;
    }
    write_postings(tx, &p, &l).await?;
    sqlx::query("DELETE FROM loan_schedule WHERE loan_id = $1 AND due_date > $2")
        .bind(loan_id)
        .bind(processed.to_string())
        .execute(&mut **tx)
        .await?;
    let rows: Vec<_> = q.after.iter().map(|i| schedule_row(loan_id, i)).collect();
    if !rows.is_empty() {
        sql::insert_rows(tx, "loan_schedule", &SCHEDULE_COLUMNS, &rows).await?;
    }
    let next_due = q.after.first().map(|i| i.due_date.to_string());
    sqlx::query("UPDATE loan_accounts SET next_due_date = $1 WHERE loan_id = $2")
        .bind(next_due)
        .bind(loan_id)
        .execute(&mut **tx)
        .await?;
    if let Some(last) = q.after.last() {
        sqlx::query("UPDATE loans SET maturity_date = $1 WHERE id = $2")
            .bind(last.due_date.to_string())
            .bind(loan_id)
            .execute(&mut **tx)
            .await?;
    }
    let principal_paid = done.postings.last().map_or(Fen::ZERO, |p| {
        Fen::ZERO - p.net(LedgerAccount::LoanPrincipal)
    });
    super::lines::release_on_repayment(tx, loan_id, principal_paid, now).await?;
    Ok(())
}
