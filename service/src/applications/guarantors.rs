//! 保证人: the guarantors of a guaranteed loan, recorded on its application,
//! each with their own consent and bureau check (`domain::guarantor`), and
//! the payout held until every one has signed the guarantee contract
//! (signing is in `contracts::guarantee`).
//!
//! Face to face (面签): the officer records the guarantor; the guarantor,
//! in front of the officer, reads the consent and types the code sent to
//! their own phone; the bank then asks the bureau about them, bounded by
//! the configured timeout, and accepts or declines them. A bureau that did
//! not answer leaves them consented, to be asked again. Who does what: the
//! officer, the investigator or the branch head records, takes consent and
//! removes; the disbursement desk may also take consent and signatures at
//! the counter. Everyone who reads the file reads the panel in their scope.

use std::time::Duration;

use domain::application::ApplicationStatus;
use domain::contract::ContractKind;
use domain::error_code::ErrorCode;
use domain::guarantor::{
    assess, may_consent, may_remove, ready_for_payout, GuarantorBureau, GuarantorError,
    GuarantorInput, GuarantorStatus,
};
use domain::identity::{mask_id_number, mask_phone, IdNumber, Phone};
use domain::org::Role;
use domain::product::GuaranteeType;
use domain::view::{
    ContractStatus, GuaranteeContractBrief, GuarantorPanel, GuarantorView, SentCode,
};
use serde_json::json;

use crate::audit::{self, NewAuditEntry};
use crate::auth::codes::take_code;
use crate::auth::{Reading, StaffActor};
use crate::contracts::guarantee::{
    guarantor_row, live_guarantors, void_unsealed, GuarantorRow, FACE_TO_FACE,
};
use crate::db::new_id;
use crate::error::ServiceError;
use crate::pfi::Field;
use crate::risk::bureau::{open_report, seal_report};
use crate::sql;

/// Who records and removes guarantors.
pub(crate) const RECORDERS: [Role; 3] = [Role::Officer, Role::Investigator, Role::BranchHead];
/// The `sms_codes.purpose` of a guarantor's consent code.
pub const CONSENT_PURPOSE: &str = "guarantor_consent";

fn refused(e: GuarantorError) -> ServiceError {
    ServiceError::invalid(e.code())
}

impl super::Applications<'_> {
    /// Why the application cannot be paid out against its guarantors, if
    /// its product is a guaranteed loan; `None` when it can.
    pub(crate) async fn guarantor_blocks(
        self,
        f: &super::AppFacts,
        application_id: &str,
    ) -> Result<Option<ErrorCode>, ServiceError> {
        if f.guarantee != GuaranteeType::Guarantor {
            return Ok(None);
        }
        let statuses = self.guarantor_statuses(application_id).await?;
        Ok(ready_for_payout(&statuses).err().map(|e| e.code()))
    }

    async fn guarantor_statuses(
        self,
        application_id: &str,
    ) -> Result<Vec<GuarantorStatus>, ServiceError> {
        let rows = sqlx::query("SELECT status FROM guarantors WHERE application_id = $1")
            .bind(application_id)
            .fetch_all(&self.db.pool)
            .await?;
        rows.iter()
            .map(|r| sql::coded(r, "status", GuarantorStatus::parse))
            .collect()
    }

    async fn booked(self, application_id: &str) -> Result<bool, ServiceError> {
        Ok(super::loan_of_application(&self.db, application_id)
            .await?
            .is_some())
    }

    /// The guarantors of an application, masked, for those who read its file.
    pub async fn guarantors(
        self,
        s: &StaffActor,
        application_id: &str,
    ) -> Result<GuarantorPanel, ServiceError> {
        let f = self.facts(application_id).await?;
        s.may_read(Reading::CustomerFile, &f.branch_path)?;
        let required = f.guarantee == GuaranteeType::Guarantor;
        let booked = self.booked(application_id).await?;
        let open = !matches!(
            f.status,
            ApplicationStatus::Rejected | ApplicationStatus::Withdrawn
        ) && !booked;
        let keys = &self.config.pfi;
        let rows = live_guarantors(&self.db, keys, application_id).await?;
        let contract = sqlx::query(
            "SELECT ct.id, ct.contract_no, ct.status, \
               (SELECT COUNT(*) FROM contract_signers cs WHERE cs.contract_id = ct.id \
                  AND cs.role = 'guarantor') AS signed \
             FROM contracts ct WHERE ct.application_id = $1 AND ct.kind = 'guarantee' \
               AND ct.status <> 'voided'",
        )
        .bind(application_id)
        .fetch_optional(&self.db.pool)
        .await?;
        let sealed = contract.as_ref().is_some_and(|c| {
            sql::text(c, "status").is_ok_and(|st| st == ContractStatus::Signed.as_str())
        });
        let contract = contract
            .map(|c| {
                Ok::<_, ServiceError>(GuaranteeContractBrief {
                    id: sql::text(&c, "id")?,
                    contract_no: sql::text(&c, "contract_no")?,
                    status: sql::coded(&c, "status", ContractStatus::parse)?,
                    signed: u32::try_from(sql::int(&c, "signed")?).unwrap_or(0),
                    signers: u32::try_from(rows.len()).unwrap_or(u32::MAX),
                })
            })
            .transpose()?;
        let loan_contract = self.loan_contract_drawn(application_id).await?;
        let face = s.has_any(&FACE_TO_FACE) && open;
        let mut items = Vec::with_capacity(rows.len());
        for g in &rows {
            let r = &g.row;
            let report = sql::opt_text(r, "bureau_report_sealed")?
                .map(|sealed| open_report(keys, &sealed))
                .transpose()?;
            items.push(GuarantorView {
                id: g.id.clone(),
                name: g.name.clone(),
                id_number_masked: mask_id_number(&g.id_number),
                phone_masked: mask_phone(&g.phone),
                relation: sql::coded(r, "relation", domain::guarantor::GuarantorRelation::parse)?,
                note: sql::text(r, "note")?,
                status: g.status,
                bureau_score: report.as_ref().and_then(|b| b.score),
                bureau_synthetic: report.as_ref().is_some_and(|b| b.synthetic),
                bureau_unavailable: g.status == GuarantorStatus::Consented
                    && sql::opt_text(r, "bureau_error")?.is_some(),
                decline_reason: sql::opt_text(r, "decline_reason")?
                    .as_deref()
                    .and_then(domain::guarantor::DeclineReason::parse),
                consented_at: sql::opt_int(r, "consented_at")?,
                signed_at: sql::opt_int(r, "signed_at")?,
                version: g.version,
                can_consent: face && may_consent(g.status).is_ok(),
                can_sign: face
                    && g.status == GuarantorStatus::Accepted
                    && contract
                        .as_ref()
                        .is_some_and(|c| c.status == ContractStatus::Generated),
                can_remove: s.has_any(&RECORDERS)
                    && open
                    && !sealed
                    && may_remove(g.status).is_ok(),
            });
        }
        let statuses: Vec<_> = rows.iter().map(|g| g.status).collect();
        let all_accepted =
            !statuses.is_empty() && statuses.iter().all(|st| *st == GuarantorStatus::Accepted);
        Ok(GuarantorPanel {
            required,
            not_ready: if required {
                ready_for_payout(&statuses).err().map(|e| e.code())
            } else {
                None
            },
            can_record: s.has_any(&RECORDERS) && open && !sealed,
            can_draw_contract: s.has_any(&crate::contracts::sign::GENERATORS)
                && open
                && f.status == ApplicationStatus::Approved
                && loan_contract
                && contract.is_none()
                && all_accepted,
            contract,
            items,
        })
    }

    /// Records a guarantor on an application (not after payout, not once
    /// the guarantee contract is sealed). A guarantee contract drawn up
    /// and not yet sealed is voided: it must name them too.
    pub async fn record_guarantor(
        self,
        s: &StaffActor,
        application_id: &str,
        input: GuarantorInput,
    ) -> Result<String, ServiceError> {
        if !s.has_any(&RECORDERS) {
            return Err(ServiceError::Forbidden);
        }
        let f = self.facts(application_id).await?;
        if !s.covers(&f.branch_path) {
            return Err(ServiceError::Forbidden);
        }
        if matches!(
            f.status,
            ApplicationStatus::Rejected | ApplicationStatus::Withdrawn
        ) || self.booked(application_id).await?
        {
            return Err(refused(GuarantorError::StepInvalid));
        }
        let keys = &self.config.pfi;
        let borrower = sqlx::query("SELECT id_number_sealed FROM customers WHERE id = $1")
            .bind(&f.customer_id)
            .fetch_one(&self.db.pool)
            .await?;
        let borrower_id = crate::customers::id_number_of(keys, &borrower)?;
        let g = input.validate(&borrower_id).map_err(refused)?;
        let id = new_id();
        let now = self.now();
        let mut tx = self.db.begin_write().await?;
        let mut log = audit::Batch::default();
        void_unsealed(
            &mut tx,
            application_id,
            ContractKind::Guarantee,
            now,
            &mut log,
            s,
        )
        .await?;
        sqlx::query(
            "INSERT INTO guarantors (id, application_id, bank_id, name, id_number_sealed, \
               id_number_idx, phone_sealed, relation, note, status, created_by, created_at, \
               updated_at, version) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'recorded', $10, $11, $11, 1)",
        )
        .bind(&id)
        .bind(application_id)
        .bind(&f.bank_id)
        .bind(&g.name)
        .bind(keys.seal(Field::IdNumber, g.id_number.as_str()))
        .bind(keys.index(Field::IdNumber, g.id_number.as_str()))
        .bind(keys.seal(Field::Phone, g.phone.as_str()))
        .bind(g.relation.as_str())
        .bind(&g.note)
        .bind(&s.user_id)
        .bind(now)
        .execute(&mut *tx)
        .await
        .map_err(|e| match e {
            sqlx::Error::Database(d) if d.is_unique_violation() => {
                refused(GuarantorError::AlreadyRecorded)
            }
            other => other.into(),
        })?;
        log.push(
            NewAuditEntry::staff(s, now, "guarantor.recorded", "application", application_id)
                .org(f.branch_id.clone())
                .after(json!({
                    "guarantor_id": id,
                    "name": g.name,
                    "id_number": g.id_number.masked(),
                    "relation": g.relation.as_str(),
                })),
        );
        log.write(&mut tx, &self.config.audit_key).await?;
        tx.commit().await?;
        Ok(id)
    }

    /// The guarantor and their application's facts, checked for scope.
    async fn guarantor_in_scope(
        self,
        s: &StaffActor,
        id: &str,
    ) -> Result<(GuarantorRow, super::AppFacts), ServiceError> {
        let g = guarantor_row(&self.db, &self.config.pfi, id).await?;
        let f = self.facts(&g.application_id).await?;
        if !s.covers(&f.branch_path) {
            return Err(ServiceError::Forbidden);
        }
        Ok((g, f))
    }

    /// The guarantor for a face-to-face step, which needs them at `status`.
    async fn guarantor_at(
        self,
        s: &StaffActor,
        id: &str,
        status: GuarantorStatus,
    ) -> Result<(GuarantorRow, super::AppFacts), ServiceError> {
        if !s.has_any(&FACE_TO_FACE) {
            return Err(ServiceError::Forbidden);
        }
        let (g, f) = self.guarantor_in_scope(s, id).await?;
        if g.status != status {
            return Err(refused(GuarantorError::StepInvalid));
        }
        Ok((g, f))
    }

    /// Takes a guarantor off the application (not once signed). A guarantee
    /// contract drawn up and not yet sealed is voided.
    pub async fn remove_guarantor(
        self,
        s: &StaffActor,
        id: &str,
        version: i64,
    ) -> Result<(), ServiceError> {
        if !s.has_any(&RECORDERS) {
            return Err(ServiceError::Forbidden);
        }
        let (g, f) = self.guarantor_in_scope(s, id).await?;
        may_remove(g.status).map_err(refused)?;
        if self.booked(&g.application_id).await? {
            return Err(refused(GuarantorError::StepInvalid));
        }
        let now = self.now();
        let mut tx = self.db.begin_write().await?;
        let mut log = audit::Batch::default();
        void_unsealed(
            &mut tx,
            &g.application_id,
            ContractKind::Guarantee,
            now,
            &mut log,
            s,
        )
        .await?;
        let done = sqlx::query(
            "UPDATE guarantors SET status = 'removed', updated_at = $1, version = version + 1 \
             WHERE id = $2 AND version = $3 AND status <> 'signed'",
        )
        .bind(now)
        .bind(id)
        .bind(version)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() != 1 {
            return Err(ServiceError::StaleState);
        }
        log.push(
            NewAuditEntry::staff(s, now, "guarantor.removed", "guarantor", id)
                .org(f.branch_id.clone())
                .before(json!({ "status": g.status.as_str() }))
                .after(json!({ "status": "removed", "name": g.name })),
        );
        log.write(&mut tx, &self.config.audit_key).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Sends the guarantor, to their own phone, the code by which they
    /// agree to guarantee the loan and let the bank query the bureau.
    pub async fn send_guarantor_consent_code(
        self,
        s: &StaffActor,
        id: &str,
    ) -> Result<SentCode, ServiceError> {
        let (g, f) = self.guarantor_at(s, id, GuarantorStatus::Recorded).await?;
        let phone = Phone::parse(&g.phone)?;
        let borrower = sqlx::query("SELECT name FROM customers WHERE id = $1")
            .bind(&f.customer_id)
            .fetch_one(&self.db.pool)
            .await?;
        let borrower = domain::identity::mask_name(&sql::text(&borrower, "name")?);
        let amount = f.amount;
        let body = move |code: &str, minutes: i64| {
            format!(
                "【普惠金融】{borrower}向本行申请贷款{amount}元，拟由您提供连带责任保证。\
                 如您同意担保并授权本行查询您的征信报告，请在面签时输入验证码{code}，\
                 {minutes}分钟内有效。如非本人意愿，请勿提供。"
            )
        };
        let (code_id, sent) = self
            .auth()
            .send_purpose_code(&phone, CONSENT_PURPOSE, &body)
            .await?;
        let mut tx = self.db.begin_write().await?;
        audit::append(
            &mut tx,
            &self.config.audit_key,
            NewAuditEntry::staff(
                s,
                self.now(),
                "guarantor.consent_code_sent",
                "guarantor",
                id,
            )
            .org(f.branch_id)
            .after(json!({ "code": code_id })),
        )
        .await?;
        tx.commit().await?;
        Ok(sent)
    }

    /// The guarantor's consent, by the code sent to their phone; then the
    /// bureau check (see [`Applications::recheck_guarantor`]). A wrong code
    /// changes nothing but the code's count of guesses, and is audited
    /// (`guarantor.consent_refused`).
    ///
    /// [`Applications::recheck_guarantor`]: super::Applications::recheck_guarantor
    pub async fn confirm_guarantor_consent(
        self,
        s: &StaffActor,
        id: &str,
        code: &str,
    ) -> Result<GuarantorStatus, ServiceError> {
        let (g, f) = self.guarantor_at(s, id, GuarantorStatus::Recorded).await?;
        let phone = Phone::parse(&g.phone)?;
        let code_id = match self
            .auth()
            .check_purpose_code(&phone, CONSENT_PURPOSE, code)
            .await
        {
            Ok(id) => id,
            // A wrong or spent code is on the record: someone may be
            // consenting in the guarantor's name.
            Err(e) => {
                let now = self.now();
                let mut tx = self.db.begin_write().await?;
                audit::append(
                    &mut tx,
                    &self.config.audit_key,
                    NewAuditEntry::staff(s, now, "guarantor.consent_refused", "guarantor", id)
                        .org(f.branch_id.clone())
                        .after(json!({ "reason": e.code().as_str() })),
                )
                .await?;
                tx.commit().await?;
                return Err(e);
            }
        };
        let now = self.now();
        let mut tx = self.db.begin_write().await?;
        let done = sqlx::query(
            "UPDATE guarantors SET status = 'consented', consent_code_id = $1, consented_at = $2, \
               updated_at = $2, version = version + 1 WHERE id = $3 AND status = 'recorded'",
        )
        .bind(&code_id)
        .bind(now)
        .bind(id)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() != 1 || !take_code(&mut tx, &code_id, now).await? {
            return Err(ServiceError::StaleState);
        }
        audit::append(
            &mut tx,
            &self.config.audit_key,
            NewAuditEntry::staff(s, now, "guarantor.consented", "guarantor", id)
                .org(f.branch_id)
                .before(json!({ "status": "recorded" }))
                .after(json!({ "status": "consented", "code": code_id })),
        )
        .await?;
        tx.commit().await?;
        self.check_guarantor(s, &g).await
    }

    /// Asks the bureau again about a consented guarantor it did not answer for.
    pub async fn recheck_guarantor(
        self,
        s: &StaffActor,
        id: &str,
    ) -> Result<GuarantorStatus, ServiceError> {
        let (g, _) = self.guarantor_at(s, id, GuarantorStatus::Consented).await?;
        self.check_guarantor(s, &g).await
    }

    /// The bureau check of a consented guarantor: accepted or declined by
    /// `domain::guarantor::assess`; a bureau that fails or does not answer
    /// in time leaves them consented (`guarantor_bureau_unavailable`).
    async fn check_guarantor(
        self,
        s: &StaffActor,
        g: &GuarantorRow,
    ) -> Result<GuarantorStatus, ServiceError> {
        let id_number = IdNumber::parse(&g.id_number)?;
        let limit = Duration::from_millis(self.config.bureau_timeout_ms);
        let answer = tokio::time::timeout(limit, self.bureau.inquire(&id_number, &g.name)).await;
        let provider = self.bureau.name();
        let now = self.now();
        let (status, report, error, reason) = match answer {
            Ok(Ok(report)) => {
                let verdict = assess(&GuarantorBureau {
                    score: report.score,
                    lenders: report.lenders,
                    worst_delinquency: report.worst_delinquency,
                    blacklisted: report.blacklisted,
                });
                match verdict {
                    Ok(()) => (GuarantorStatus::Accepted, Some(report), None, None),
                    Err(why) => (GuarantorStatus::Declined, Some(report), None, Some(why)),
                }
            }
            Ok(Err(e)) => (GuarantorStatus::Consented, None, Some(e.to_string()), None),
            Err(_) => (
                GuarantorStatus::Consented,
                None,
                Some(format!("no answer within {} ms", limit.as_millis())),
                None,
            ),
        };
        tracing::info!(
            provider,
            guarantor = %g.id,
            status = status.as_str(),
            "guarantor bureau check"
        );
        let sealed = report
            .as_ref()
            .map(|r| seal_report(&self.config.pfi, r))
            .transpose()?;
        let mut tx = self.db.begin_write().await?;
        let done = sqlx::query(
            "UPDATE guarantors SET status = $1, bureau_provider = $2, bureau_outcome = $3, \
               bureau_error = $4, bureau_report_sealed = COALESCE($5, bureau_report_sealed), \
               decline_reason = $6, checked_at = $7, updated_at = $7, version = version + 1 \
             WHERE id = $8 AND status = 'consented'",
        )
        .bind(status.as_str())
        .bind(provider)
        .bind(if report.is_some() { "ok" } else { "failed" })
        .bind(error.clone())
        .bind(sealed)
        .bind(reason.map(|r| r.as_str()))
        .bind(now)
        .bind(&g.id)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() != 1 {
            return Err(ServiceError::StaleState);
        }
        audit::append(
            &mut tx,
            &self.config.audit_key,
            NewAuditEntry::staff(s, now, "guarantor.bureau_checked", "guarantor", &g.id).after(
                json!({
                    "status": status.as_str(),
                    "provider": provider,
                    "report_id": report.as_ref().map(|r| r.report_id.clone()),
                    "synthetic": report.as_ref().map(|r| r.synthetic),
                    "decline_reason": reason.map(|r| r.as_str()),
                    "error": error,
                }),
            ),
        )
        .await?;
        tx.commit().await?;
        if status == GuarantorStatus::Consented {
            return Err(ServiceError::invalid(ErrorCode::GuarantorBureauUnavailable));
        }
        Ok(status)
    }
}
