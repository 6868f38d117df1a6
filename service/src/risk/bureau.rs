//! The credit bureau (征信) behind a provider interface, and the record of
//! every inquiry.
//!
//! Only the development provider exists: it asks no bureau. It makes a
//! deterministic, realistic synthetic report from the ID number (the same
//! number always gives the same report), waits like a real gateway, and
//! fails on purpose for test numbers. It is labelled "DEV" everywhere it
//! leaves a trace: the provider column of the inquiry, the report's id
//! ("DEV-…") and `synthetic` flag, the audit entry and the log.
//!
//! The service bounds every inquiry by [`crate::ServiceConfig::bureau_timeout_ms`];
//! a timeout or a failure leaves the bureau features missing and
//! `bureau_available` false, which the engine's system rule turns into
//! "refer" — never an approval.

use domain::view::InquiryOutcome;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use domain::identity::IdNumber;
use domain::money::Fen;
use serde::{Deserialize, Serialize};
use serde_json::json;
use sha2::{Digest, Sha512};

use super::Requester;
use crate::audit;
use crate::customers;
use crate::db::new_id;
use crate::error::ServiceError;
use crate::pfi::{Field, PfiKeys};
use crate::sql;

/// What the bureau reports about a person (the fields the engine reads).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BureauReport {
    /// "DEV" for synthetic reports.
    pub provider: String,
    pub report_id: String,
    /// True when made up by the development provider: never a real person's data.
    pub synthetic: bool,
    /// Credit score; `None` for someone with no credit history (白户).
    pub score: Option<i64>,
    /// Lenders with an open loan or card (多头借贷).
    pub lenders: i64,
    /// Hard inquiries by lenders in the last three months.
    pub inquiries_3m: i64,
    /// Worst delinquency in the last five years, in months past due (0 = never late).
    pub worst_delinquency: i64,
    /// Debt outstanding across all lenders.
    pub total_debt: Fen,
    /// On the shared blacklist (fraud, court-enforced debtor).
    pub blacklisted: bool,
}

/// Why a provider gave no report.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BureauError {
    /// The provider refused the inquiry (bad identity, quota, no authorisation).
    #[error("rejected by the bureau: {0}")]
    Rejected(String),
    /// The provider could not be reached or failed.
    #[error("bureau unavailable: {0}")]
    Unavailable(String),
}

/// One person of a bulk inquiry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BulkSubject {
    pub id_number: IdNumber,
    pub name: String,
}

/// Something that fetches a credit report.
#[async_trait]
pub trait BureauProvider: Send + Sync {
    /// Recorded with each inquiry ("DEV", …).
    fn name(&self) -> &'static str;
    async fn inquire(&self, id_number: &IdNumber, name: &str) -> Result<BureauReport, BureauError>;

    /// A bulk pull (批量查询) for batch decisions such as whole-village
    /// pre-credit: one answer per subject, in the same order. This default
    /// asks one person at a time; a provider with a bulk channel (a file
    /// exchange, a batch endpoint) overrides it. The caller bounds the whole
    /// pull by its own timeout.
    async fn inquire_bulk(
        &self,
        subjects: &[BulkSubject],
    ) -> Vec<Result<BureauReport, BureauError>> {
        let mut out = Vec::with_capacity(subjects.len());
        for s in subjects {
            out.push(self.inquire(&s.id_number, &s.name).await);
        }
        out
    }
}

/// The development provider's name, in every record it leaves.
pub const DEV_PROVIDER: &str = "DEV";
/// ID numbers whose sequence code (characters 15–17) is this never answer:
/// the inquiry times out.
pub const TIMEOUT_SEQUENCE: &str = "999";
/// ID numbers whose sequence code is this fail at once ("unavailable").
pub const FAILING_SEQUENCE: &str = "998";

/// DEVELOPMENT ONLY: asks no bureau. Synthetic reports by ID number (see
/// [`dev_report`]), `latency` per inquiry, a timeout for sequence code
/// [`TIMEOUT_SEQUENCE`] and a failure for [`FAILING_SEQUENCE`].
///
/// Bulk pulls ([`BureauProvider::inquire_bulk`]) cost `bulk_latency` once
/// per request, however many people it holds, as a bulk file exchange
/// would; in them both test sequences fail (a bulk answer file has no
/// "hang" per person).
#[derive(Debug, Clone)]
pub struct DevBureauProvider {
    latency: Duration,
    bulk_latency: Duration,
}

impl DevBureauProvider {
    /// 150 ms latency per inquiry, 150 ms per bulk request.
    pub fn new() -> Self {
        DevBureauProvider {
            latency: Duration::from_millis(150),
            bulk_latency: Duration::from_millis(150),
        }
    }

    pub fn with_latency(mut self, latency: Duration) -> Self {
        self.latency = latency;
        self
    }

    /// The latency of one bulk request (0 for benchmarks of the engine and
    /// the database alone).
    pub fn with_bulk_latency(mut self, latency: Duration) -> Self {
        self.bulk_latency = latency;
        self
    }
}

impl Default for DevBureauProvider {
    fn default() -> Self {
        Self::new()
    }
}

#[async_trait]
impl BureauProvider for DevBureauProvider {
    fn name(&self) -> &'static str {
        DEV_PROVIDER
    }

    async fn inquire(
        &self,
        id_number: &IdNumber,
        _name: &str,
    ) -> Result<BureauReport, BureauError> {
        let sequence = &id_number.as_str()[14..17];
        if sequence == TIMEOUT_SEQUENCE {
            // Hangs like a gateway that never answers; the caller's timeout ends it.
            tokio::time::sleep(Duration::from_secs(600)).await;
        }
        if !self.latency.is_zero() {
            tokio::time::sleep(self.latency).await;
        }
        if sequence == FAILING_SEQUENCE {
            return Err(BureauError::Unavailable(
                "DEV: simulated bureau outage for test sequence 998".to_string(),
            ));
        }
        Ok(dev_report(id_number))
    }

    async fn inquire_bulk(
        &self,
        subjects: &[BulkSubject],
    ) -> Vec<Result<BureauReport, BureauError>> {
        if !self.bulk_latency.is_zero() {
            tokio::time::sleep(self.bulk_latency).await;
        }
        subjects
            .iter()
            .map(|s| {
                let sequence = &s.id_number.as_str()[14..17];
                if sequence == TIMEOUT_SEQUENCE || sequence == FAILING_SEQUENCE {
                    Err(BureauError::Unavailable(format!(
                        "DEV: no answer in the bulk file for test sequence {sequence}"
                    )))
                } else {
                    Ok(dev_report(&s.id_number))
                }
            })
            .collect()
    }
}

/// A synthetic report for an ID number, the same every time. Shaped like a
/// rural loan book: about 8 % have no credit history, a quarter no lender,
/// 3 % six or more lenders, 18 % were ever late, 1.5 % are blacklisted.
pub fn dev_report(id_number: &IdNumber) -> BureauReport {
    let digest = Sha512::digest(format!("puhui-dev-bureau:{}", id_number.as_str()).as_bytes());
    let word = |i: usize, m: u32| -> i64 {
        let b = [
            digest[4 * i],
            digest[4 * i + 1],
            digest[4 * i + 2],
            digest[4 * i + 3],
        ];
        i64::from(u32::from_be_bytes(b) % m)
    };
    let report_id = format!("DEV-{}", hex::encode(&digest[48..56]));
    let blacklisted = word(1, 1000) < 15;
    if word(0, 100) < 8 {
        // 白户: no loans, no cards, hence no score.
        return BureauReport {
            provider: DEV_PROVIDER.to_string(),
            report_id,
            synthetic: true,
            score: None,
            lenders: 0,
            inquiries_3m: word(4, 2),
            worst_delinquency: 0,
            total_debt: Fen::ZERO,
            blacklisted,
        };
    }
    let lenders = match word(2, 100) {
        0..=24 => 0,
        25..=54 => 1,
        55..=74 => 2,
        75..=86 => 3,
        87..=92 => 4,
        93..=96 => 5,
        _ => 6 + word(3, 4),
    };
    let inquiries_3m = lenders / 2
        + match word(4, 100) {
            0..=59 => 0,
            60..=84 => 1,
            85..=94 => 2,
            _ => 3 + word(5, 6),
        };
    let worst_delinquency = match word(6, 100) {
        0..=81 => 0,
        82..=91 => 1,
        92..=95 => 2,
        _ => 3 + word(7, 4),
    };
    // Each lender: 20,000 to 150,000 yuan, in whole hundreds.
    let per_lender_hundreds = 200 + word(8, 1301);
    let total_debt = Fen::from_yuan(lenders * per_lender_hundreds * 100);
    let score = 520 + word(5, 281)
        - 45 * worst_delinquency
        - 12 * (lenders - 2).max(0)
        - 8 * (inquiries_3m - 2).max(0)
        - if blacklisted { 150 } else { 0 };
    BureauReport {
        provider: DEV_PROVIDER.to_string(),
        report_id,
        synthetic: true,
        score: Some(score.clamp(300, 900)),
        lenders,
        inquiries_3m,
        worst_delinquency,
        total_debt,
        blacklisted,
    }
}

/// An inquiry made (or not) for an application.
#[derive(Debug, Clone)]
pub(crate) struct Inquiry {
    /// The `bureau_inquiries` row; none when nothing was asked.
    pub id: Option<String>,
    pub outcome: InquiryOutcome,
    pub report: Option<BureauReport>,
}

/// What an inquiry needs to know about its application.
pub(crate) struct InquirySubject<'a> {
    pub application_id: &'a str,
    pub customer_id: &'a str,
    pub branch_id: &'a str,
}

/// An inquiry asked and not yet stored: the `bureau_inquiries` row and its
/// audit entry, written by [`InquiryRecord::store`] in the caller's
/// transaction (the pre-screen stores it with its decision).
pub(crate) struct InquiryRecord {
    id: String,
    application_id: String,
    customer_id: String,
    consent_id: String,
    requested_by_kind: &'static str,
    requested_by: String,
    requested_by_name: String,
    provider: &'static str,
    outcome: InquiryOutcome,
    error: Option<String>,
    /// The report, serialised and sealed ([`open_report`] reads it).
    report_sealed: Option<String>,
    elapsed_ms: i64,
    requested_at: i64,
    audit: audit::NewAuditEntry,
}

impl InquiryRecord {
    /// Writes the inquiry in `tx`, its audit entry into `log`.
    pub(crate) async fn store(
        &self,
        tx: &mut sqlx::Transaction<'_, sqlx::Any>,
        log: &mut audit::Batch,
    ) -> Result<(), ServiceError> {
        sqlx::query(
            "INSERT INTO bureau_inquiries (id, application_id, customer_id, consent_id, \
               requested_by_kind, requested_by, requested_by_name, provider, outcome, error, \
               report_sealed, elapsed_ms, requested_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
        )
        .bind(&self.id)
        .bind(&self.application_id)
        .bind(&self.customer_id)
        .bind(&self.consent_id)
        .bind(self.requested_by_kind)
        .bind(&self.requested_by)
        .bind(&self.requested_by_name)
        .bind(self.provider)
        .bind(self.outcome.as_str())
        .bind(self.error.clone())
        .bind(self.report_sealed.clone())
        .bind(self.elapsed_ms)
        .bind(self.requested_at)
        .execute(&mut **tx)
        .await?;
        log.push(self.audit.clone());
        Ok(())
    }
}

impl crate::risk::Risk<'_> {
    /// Asks the bureau about the applicant under the application's consent,
    /// bounded by the configured timeout, and records the inquiry with its
    /// audit entry in one transaction. Without a consent nothing is asked.
    pub(crate) async fn inquire_bureau(
        self,
        subject: &InquirySubject<'_>,
        by: &Requester<'_>,
    ) -> Result<Inquiry, ServiceError> {
        let (inquiry, record) = self.ask_bureau(subject, by).await?;
        if let Some(record) = record {
            let mut tx = self.db.begin_write().await?;
            let mut log = audit::Batch::default();
            record.store(&mut tx, &mut log).await?;
            log.write(&mut tx, &self.config.audit_key).await?;
            tx.commit().await?;
        }
        Ok(inquiry)
    }

    /// Asks the bureau (see [`Risk::inquire_bureau`](crate::risk::Risk::inquire_bureau)) and returns the
    /// answer with the record the caller must store: nothing when there is
    /// no consent, as nothing was asked.
    pub(crate) async fn ask_bureau(
        self,
        subject: &InquirySubject<'_>,
        by: &Requester<'_>,
    ) -> Result<(Inquiry, Option<InquiryRecord>), ServiceError> {
        let consent = sqlx::query(
            "SELECT bc.id, c.id_number_sealed, c.name FROM bureau_consents bc \
             JOIN customers c ON c.id = bc.customer_id \
             WHERE bc.application_id = $1 AND bc.customer_id = $2 \
             ORDER BY bc.granted_at DESC, bc.id DESC LIMIT 1",
        )
        .bind(subject.application_id)
        .bind(subject.customer_id)
        .fetch_optional(&self.db.pool)
        .await?;
        let Some(consent) = consent else {
            tracing::warn!(
                application = subject.application_id,
                "no credit-inquiry consent: bureau not asked"
            );
            let none = Inquiry {
                id: None,
                outcome: InquiryOutcome::NoConsent,
                report: None,
            };
            return Ok((none, None));
        };
        let consent_id = sql::text(&consent, "id")?;
        let id_number = IdNumber::parse(&customers::id_number_of(&self.config.pfi, &consent)?)
            .map_err(|e| ServiceError::internal("customer id number", e.code()))?;
        let name = sql::text(&consent, "name")?;

        let provider = self.bureau.name();
        let requested_at = self.now();
        let started = Instant::now();
        let limit = Duration::from_millis(self.config.bureau_timeout_ms);
        let answer = tokio::time::timeout(limit, self.bureau.inquire(&id_number, &name)).await;
        let elapsed_ms = i64::try_from(started.elapsed().as_millis()).unwrap_or(i64::MAX);
        let (outcome, report, error) = match answer {
            Ok(Ok(report)) => (InquiryOutcome::Ok, Some(report), None),
            Ok(Err(e)) => (InquiryOutcome::Failed, None, Some(e.to_string())),
            Err(_) => (
                InquiryOutcome::Timeout,
                None,
                Some(format!("no answer within {} ms", limit.as_millis())),
            ),
        };
        tracing::info!(
            provider,
            application = subject.application_id,
            outcome = outcome.as_str(),
            elapsed_ms,
            "bureau inquiry"
        );
        let report_sealed = report
            .as_ref()
            .map(|r| seal_report(&self.config.pfi, r))
            .transpose()?;
        let id = new_id();
        let audit = by
            .audit(requested_at, "bureau.inquired", "bureau_inquiry", &id)
            .org(subject.branch_id.to_string())
            .after(json!({
                "application_id": subject.application_id,
                "consent_id": consent_id,
                "provider": provider,
                "synthetic": report.as_ref().map(|r| r.synthetic),
                "report_id": report.as_ref().map(|r| r.report_id.clone()),
                "outcome": outcome.as_str(),
                "error": error,
                "elapsed_ms": elapsed_ms,
            }));
        let record = InquiryRecord {
            id: id.clone(),
            application_id: subject.application_id.to_string(),
            customer_id: subject.customer_id.to_string(),
            consent_id,
            requested_by_kind: by.kind(),
            requested_by: by.id(),
            requested_by_name: by.name(),
            provider,
            outcome,
            error,
            report_sealed,
            elapsed_ms,
            requested_at,
            audit,
        };
        let inquiry = Inquiry {
            id: Some(id),
            outcome,
            report,
        };
        Ok((inquiry, Some(record)))
    }

    /// The report of the application's latest successful inquiry, if any: a
    /// second decision for one application reuses it instead of asking the
    /// bureau again (every inquiry shows on the customer's credit record).
    pub(crate) async fn stored_report(
        self,
        application_id: &str,
    ) -> Result<Option<Inquiry>, ServiceError> {
        let r = sqlx::query(
            "SELECT id, report_sealed FROM bureau_inquiries \
             WHERE application_id = $1 AND outcome = 'ok' AND report_sealed IS NOT NULL \
             ORDER BY requested_at DESC, id DESC LIMIT 1",
        )
        .bind(application_id)
        .fetch_optional(&self.db.pool)
        .await?;
        let Some(r) = r else { return Ok(None) };
        let report = open_report(&self.config.pfi, &sql::text(&r, "report_sealed")?)?;
        Ok(Some(Inquiry {
            id: Some(sql::text(&r, "id")?),
            outcome: InquiryOutcome::Ok,
            report: Some(report),
        }))
    }
}

/// A credit report as stored: its JSON, sealed.
pub(crate) fn seal_report(keys: &PfiKeys, report: &BureauReport) -> Result<String, ServiceError> {
    let json = serde_json::to_string(report)
        .map_err(|e| ServiceError::internal("bureau report json", e))?;
    Ok(keys.seal(Field::CreditReport, &json))
}

/// A stored credit report (`bureau_inquiries.report_sealed`).
pub(crate) fn open_report(keys: &PfiKeys, sealed: &str) -> Result<BureauReport, ServiceError> {
    serde_json::from_str(&keys.open(Field::CreditReport, sealed)?)
        .map_err(|e| ServiceError::internal("stored bureau report", e))
}

#[cfg(test)]
mod tests {
    use super::*;
    use domain::date::Date;

    fn id(seq: u16, day: u8) -> IdNumber {
        let birth = Date::new(1975, 3, day).unwrap_or(Date::MIN);
        IdNumber::from_parts("220102", birth, seq).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn the_same_number_gives_the_same_report() {
        let a = dev_report(&id(123, 4));
        assert_eq!(a, dev_report(&id(123, 4)));
        assert_ne!(a.report_id, dev_report(&id(125, 4)).report_id);
        assert!(a.synthetic && a.report_id.starts_with("DEV-") && a.provider == "DEV");
    }

    #[test]
    fn reports_look_like_a_rural_loan_book() {
        let mut thin = 0;
        let mut blacklisted = 0;
        let mut many_lenders = 0;
        let mut late = 0;
        let n = 4000;
        for i in 0..n {
            let r = dev_report(&id(i % 1000, 1 + u8::try_from(i / 1000).unwrap_or(0)));
            thin += i32::from(r.score.is_none());
            blacklisted += i32::from(r.blacklisted);
            many_lenders += i32::from(r.lenders >= 6);
            late += i32::from(r.worst_delinquency > 0);
            if let Some(s) = r.score {
                assert!((300..=900).contains(&s));
            }
            assert!(r.total_debt >= Fen::ZERO);
            assert_eq!(r.lenders == 0, r.total_debt == Fen::ZERO);
        }
        // Loose bounds around 8 %, 1.5 %, 3 % and 17 %.
        assert!((200..=450).contains(&thin), "{thin}");
        assert!((20..=110).contains(&blacklisted), "{blacklisted}");
        assert!((60..=200).contains(&many_lenders), "{many_lenders}");
        assert!((450..=900).contains(&late), "{late}");
    }

    #[tokio::test]
    async fn test_sequences_fail_and_hang() {
        let p = DevBureauProvider::new().with_latency(Duration::ZERO);
        assert!(p.inquire(&id(123, 4), "张三").await.is_ok());
        assert!(matches!(
            p.inquire(&id(998, 4), "张三").await,
            Err(BureauError::Unavailable(_))
        ));
        let hung =
            tokio::time::timeout(Duration::from_millis(50), p.inquire(&id(999, 4), "张三")).await;
        assert!(hung.is_err());
    }
}
