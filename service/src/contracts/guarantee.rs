//! The guarantee contract (保证合同): one per application, naming every
//! guarantor, signed by each face to face (面签) on the officer's device
//! with a code sent to the guarantor's own phone and a drawn signature, and
//! sealed by the bank when the last has signed. Each signature goes through
//! the e-signature provider over the SHA-256 of the contract's number and
//! text (what the guarantor read); the bank's seal covers the canonical
//! bytes with every signer, as for the loan contract.
//!
//! The guarantor rows live here, below `applications`, which records them,
//! takes their consent and checks them at the bureau
//! (`applications::guarantors`).

use domain::contract::{canonical_bytes, ContractKind, SignedContent, Signer, SignerRole};
use domain::error_code::ErrorCode;
use domain::guarantor::{may_sign, GuarantorError, GuarantorStatus};
use domain::identity::{mask_id_number, mask_name, Phone};
use domain::org::Role;
use domain::view::{ContractStatus, ContractView, SentCode};
use serde_json::json;
use sqlx::any::AnyRow;

use super::esign::ESignRequest;
use crate::audit::{self, NewAuditEntry};
use crate::auth::{codes::take_code, StaffActor};
use crate::db::new_id;
use crate::error::ServiceError;
use crate::pfi::{Field, PfiKeys};
use crate::sql;

/// Who takes a guarantor's consent or signature face to face.
pub const FACE_TO_FACE: [Role; 4] = [
    Role::Officer,
    Role::Investigator,
    Role::Disburser,
    Role::BranchHead,
];
/// The `sms_codes.purpose` of a guarantor's signing code.
pub const GUARANTEE_SIGN_PURPOSE: &str = "guarantee_sign";

fn refused(e: GuarantorError) -> ServiceError {
    ServiceError::invalid(e.code())
}

/// A guarantor's stored row, opened.
pub(crate) struct GuarantorRow {
    pub id: String,
    pub application_id: String,
    pub name: String,
    pub id_number: String,
    pub phone: String,
    pub status: GuarantorStatus,
    pub version: i64,
    pub row: AnyRow,
}

fn guarantor_of(keys: &PfiKeys, r: AnyRow) -> Result<GuarantorRow, ServiceError> {
    Ok(GuarantorRow {
        id: sql::text(&r, "id")?,
        application_id: sql::text(&r, "application_id")?,
        name: sql::text(&r, "name")?,
        id_number: keys.open(Field::IdNumber, &sql::text(&r, "id_number_sealed")?)?,
        phone: keys.open(Field::Phone, &sql::text(&r, "phone_sealed")?)?,
        status: sql::coded(&r, "status", GuarantorStatus::parse)?,
        version: sql::int(&r, "version")?,
        row: r,
    })
}

/// The guarantors of an application not removed, in the order recorded.
pub(crate) async fn live_guarantors(
    db: &crate::db::Db,
    keys: &PfiKeys,
    application_id: &str,
) -> Result<Vec<GuarantorRow>, ServiceError> {
    let rows = sqlx::query(
        "SELECT * FROM guarantors WHERE application_id = $1 AND status <> 'removed' \
         ORDER BY created_at, id",
    )
    .bind(application_id)
    .fetch_all(&db.pool)
    .await?;
    rows.into_iter().map(|r| guarantor_of(keys, r)).collect()
}

/// One guarantor by id.
pub(crate) async fn guarantor_row(
    db: &crate::db::Db,
    keys: &PfiKeys,
    id: &str,
) -> Result<GuarantorRow, ServiceError> {
    let r = sqlx::query("SELECT * FROM guarantors WHERE id = $1")
        .bind(id)
        .fetch_optional(&db.pool)
        .await?
        .ok_or(ServiceError::NotFound)?;
    guarantor_of(keys, r)
}

/// Voids the application's guarantee or mortgage contract while it is not
/// sealed (its guarantors or its collateral changed): it is drawn up again
/// and whoever had signed it signs the new one. Refused once it is sealed
/// (`contract_already_signed`).
pub(crate) async fn void_unsealed(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    application_id: &str,
    kind: ContractKind,
    now: i64,
    log: &mut audit::Batch,
    s: &StaffActor,
) -> Result<(), ServiceError> {
    let reason = match kind {
        ContractKind::Guarantee => "guarantors_changed",
        _ => "collateral_changed",
    };
    void_live(tx, application_id, kind, now, log, s, reason).await
}

/// Voids the application's live contract of `kind` while it is not sealed,
/// for `reason` (on the record); nothing when there is none. Whoever had
/// signed a guarantee contract signs the new one. Refused once it is
/// sealed (`contract_already_signed`).
pub(crate) async fn void_live(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    application_id: &str,
    kind: ContractKind,
    now: i64,
    log: &mut audit::Batch,
    s: &StaffActor,
    reason: &str,
) -> Result<(), ServiceError> {
    let live = sqlx::query(
        "SELECT id, status, contract_no FROM contracts WHERE application_id = $1 \
         AND kind = $2 AND status <> 'voided'",
    )
    .bind(application_id)
    .bind(kind.as_str())
    .fetch_optional(&mut **tx)
    .await?;
    let Some(c) = live else { return Ok(()) };
    if sql::text(&c, "status")? == ContractStatus::Signed.as_str() {
        return Err(ServiceError::invalid(ErrorCode::ContractAlreadySigned));
    }
    let id = sql::text(&c, "id")?;
    sqlx::query(
        "UPDATE contracts SET status = 'voided', updated_at = $2, row_version = row_version + 1 \
         WHERE id = $1 AND status = 'generated'",
    )
    .bind(&id)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    if kind == ContractKind::Guarantee {
        sqlx::query(
            "UPDATE guarantors SET status = 'accepted', signed_at = NULL, updated_at = $2, \
               version = version + 1 WHERE application_id = $1 AND status = 'signed'",
        )
        .bind(application_id)
        .bind(now)
        .execute(&mut **tx)
        .await?;
    }
    log.push(
        NewAuditEntry::staff(s, now, "contract.voided", "contract", &id).after(json!({
            "contract_no": sql::text(&c, "contract_no")?,
            "reason": reason,
        })),
    );
    Ok(())
}

/// What a guarantor signs through the provider: the SHA-256 of this
/// label, the contract's number and its text.
fn text_digest(contract_no: &str, text: &str) -> [u8; 32] {
    super::sha256(format!("PUHUI-GUARANTEE-TEXT-1\n{contract_no}\n{text}").as_bytes())
}

impl crate::contracts::Contracts<'_> {
    /// Draws up the application's guarantee contract (see `draw_up`).
    pub async fn generate_guarantee_contract(
        self,
        s: &StaffActor,
        application_id: &str,
    ) -> Result<ContractView, ServiceError> {
        self.draw_up(s, application_id, ContractKind::Guarantee)
            .await
    }

    /// The guarantor, in the staff member's scope, with their branch and
    /// the borrower's name.
    async fn guarantor_for(
        &self,
        s: &StaffActor,
        guarantor_id: &str,
    ) -> Result<(GuarantorRow, String, String), ServiceError> {
        if !s.has_any(&FACE_TO_FACE) {
            return Err(ServiceError::Forbidden);
        }
        let g = guarantor_row(&self.db, &self.config.pfi, guarantor_id).await?;
        let a = sqlx::query(
            "SELECT a.branch_id, br.path, c.name FROM applications a \
             JOIN organisations br ON br.id = a.branch_id \
             JOIN customers c ON c.id = a.customer_id WHERE a.id = $1",
        )
        .bind(&g.application_id)
        .fetch_one(&self.db.pool)
        .await?;
        if !s.covers(&sql::text(&a, "path")?) {
            return Err(ServiceError::Forbidden);
        }
        Ok((g, sql::text(&a, "branch_id")?, sql::text(&a, "name")?))
    }

    /// The live guarantee contract a guarantor may sign now.
    async fn signable_guarantee(&self, g: &GuarantorRow) -> Result<super::sign::Row, ServiceError> {
        may_sign(g.status).map_err(refused)?;
        let r = sqlx::query(
            "SELECT id FROM contracts WHERE application_id = $1 AND kind = 'guarantee' \
             AND status = 'generated'",
        )
        .bind(&g.application_id)
        .fetch_optional(&self.db.pool)
        .await?
        .ok_or_else(|| refused(GuarantorError::StepInvalid))?;
        self.contract_row(&sql::text(&r, "id")?).await
    }

    /// Sends the guarantor, to their own phone, the code to sign the
    /// guarantee contract with.
    pub async fn send_guarantee_signing_code(
        self,
        s: &StaffActor,
        guarantor_id: &str,
    ) -> Result<SentCode, ServiceError> {
        let (g, branch_id, borrower) = self.guarantor_for(s, guarantor_id).await?;
        let contract = self.signable_guarantee(&g).await?;
        let phone = Phone::parse(&g.phone)?;
        let no = contract.view.contract_no.clone();
        let borrower = mask_name(&borrower);
        let body = move |code: &str, minutes: i64| {
            format!(
                "【普惠金融】您正在签署保证合同{no}，为{borrower}的贷款提供连带责任保证，\
                 验证码{code}，{minutes}分钟内有效。请勿告诉他人。"
            )
        };
        let (code_id, sent) = self
            .auth()
            .send_purpose_code(&phone, GUARANTEE_SIGN_PURPOSE, &body)
            .await?;
        let mut tx = self.db.begin_write().await?;
        audit::append(
            &mut tx,
            &self.config.audit_key,
            NewAuditEntry::staff(
                s,
                self.now(),
                "contract.sign_code_sent",
                "contract",
                &contract.view.id,
            )
            .org(branch_id)
            .after(json!({
                "contract_no": contract.view.contract_no,
                "guarantor_id": g.id,
                "code": code_id,
            })),
        )
        .await?;
        tx.commit().await?;
        Ok(sent)
    }

    /// The guarantor signs face to face with the code sent to their phone
    /// and their drawn signature. When they are the last guarantor to sign,
    /// the bank seals the contract. Signing twice, or two guarantors at
    /// once, signs each once and seals once. A wrong code is refused and
    /// on the record, and changes nothing else.
    pub async fn sign_guarantee(
        self,
        s: &StaffActor,
        guarantor_id: &str,
        sms_code: &str,
        signature_image: &[u8],
    ) -> Result<ContractView, ServiceError> {
        let (g, branch_id, _) = self.guarantor_for(s, guarantor_id).await?;
        let contract = match self.signable_guarantee(&g).await {
            Ok(c) => c,
            // Signed already (a double click): the contract as it stands.
            Err(_) if g.status == GuarantorStatus::Signed => return self.signed_by(&g).await,
            Err(e) => return Err(e),
        };
        if signature_image.is_empty() {
            return Err(ServiceError::invalid(ErrorCode::ContractSignatureMissing));
        }
        let phone = Phone::parse(&g.phone)?;
        let code_id = match self
            .auth()
            .check_purpose_code(&phone, GUARANTEE_SIGN_PURPOSE, sms_code)
            .await
        {
            Ok(id) => id,
            // The code was taken by a parallel signing that has committed.
            Err(ServiceError::CodeExpired) => {
                return self
                    .signed_by(&g)
                    .await
                    .map_err(|_| ServiceError::CodeExpired)
            }
            Err(e) => {
                let mut tx = self.db.begin_write().await?;
                audit::append(
                    &mut tx,
                    &self.config.audit_key,
                    NewAuditEntry::staff(
                        s,
                        self.now(),
                        "contract.sign_refused",
                        "contract",
                        &contract.view.id,
                    )
                    .org(branch_id)
                    .after(json!({ "reason": e.code().as_str(), "guarantor_id": g.id })),
                )
                .await?;
                tx.commit().await?;
                return Err(e);
            }
        };
        let id_masked = mask_id_number(&g.id_number);
        let signature_sha256 = hex::encode(super::sha256(signature_image));
        let digest = hex::encode(text_digest(&contract.view.contract_no, &contract.view.text));
        let receipt = self
            .esign
            .sign(&ESignRequest {
                contract_no: contract.view.contract_no.clone(),
                canonical_sha256: digest.clone(),
                signer_name: g.name.clone(),
                id_number_masked: id_masked.clone(),
                signature_sha256: signature_sha256.clone(),
            })
            .await
            .map_err(|e| {
                tracing::warn!(contract = %contract.view.contract_no, %e, "e-signature failed");
                ServiceError::invalid(ErrorCode::ContractEsignFailed)
            })?;

        let now = self.now();
        let contract_id = contract.view.id.clone();
        let mut tx = self.db.begin_write().await?;
        // Locks the contract: signatures on it go one at a time.
        let open = sqlx::query(
            "UPDATE contracts SET updated_at = $2, row_version = row_version + 1 \
             WHERE id = $1 AND status = 'generated'",
        )
        .bind(&contract_id)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        let moved = if open.rows_affected() == 1 {
            sqlx::query(
                "UPDATE guarantors SET status = 'signed', signed_at = $1, updated_at = $1, \
                   version = version + 1 WHERE id = $2 AND status = 'accepted'",
            )
            .bind(now)
            .bind(&g.id)
            .execute(&mut *tx)
            .await?
            .rows_affected()
        } else {
            0
        };
        if moved != 1 || !take_code(&mut tx, &code_id, now).await? {
            // A parallel signing of the same guarantor won, or the contract
            // was voided meanwhile.
            tx.rollback().await?;
            return self.signed_by(&g).await;
        }
        let seq = sql::int(
            &sqlx::query("SELECT COUNT(*) AS n FROM contract_signers WHERE contract_id = $1")
                .bind(&contract_id)
                .fetch_one(&mut *tx)
                .await?,
            "n",
        )?;
        sqlx::query(
            "INSERT INTO contract_signers (id, contract_id, seq, role, customer_id, \
               name_sealed, id_number_masked, signature_sha256, sms_code_id, signed_at, \
               esign_provider, esign_evidence, guarantor_id) \
             VALUES ($1, $2, $3, 'guarantor', NULL, $4, $5, $6, $7, $8, $9, $10, $11)",
        )
        .bind(new_id())
        .bind(&contract_id)
        .bind(seq)
        .bind(self.config.pfi.seal(Field::SignerName, &g.name))
        .bind(&id_masked)
        .bind(&signature_sha256)
        .bind(&code_id)
        .bind(now)
        .bind(&receipt.provider)
        .bind(&receipt.evidence_id)
        .bind(&g.id)
        .execute(&mut *tx)
        .await?;
        let mut log = audit::Batch::default();
        log.push(
            NewAuditEntry::staff(s, now, "guarantor.signed", "guarantor", &g.id)
                .org(branch_id.clone())
                .before(json!({ "status": "accepted" }))
                .after(json!({
                    "status": "signed",
                    "contract_no": contract.view.contract_no,
                    "esign_provider": receipt.provider,
                    "esign_evidence": receipt.evidence_id,
                })),
        );
        let waiting = sql::int(
            &sqlx::query(
                "SELECT COUNT(*) AS n FROM guarantors WHERE application_id = $1 \
                 AND status = 'accepted'",
            )
            .bind(&g.application_id)
            .fetch_one(&mut *tx)
            .await?,
            "n",
        )?;
        if waiting == 0 {
            self.seal_guarantee(&mut tx, &contract, seq + 1, now, s, &mut log)
                .await?;
        }
        log.write(&mut tx, &self.config.audit_key).await?;
        tx.commit().await?;
        Ok(self.contract_row(&contract_id).await?.view)
    }

    /// The contract the guarantor is on, once they have signed; otherwise
    /// the state moved under the request (`StaleState`).
    async fn signed_by(&self, g: &GuarantorRow) -> Result<ContractView, ServiceError> {
        let again = guarantor_row(&self.db, &self.config.pfi, &g.id).await?;
        if again.status != GuarantorStatus::Signed {
            return Err(ServiceError::StaleState);
        }
        let r = sqlx::query(
            "SELECT contract_id FROM contract_signers WHERE guarantor_id = $1 \
             ORDER BY signed_at DESC LIMIT 1",
        )
        .bind(&g.id)
        .fetch_one(&self.db.pool)
        .await?;
        Ok(self
            .contract_row(&sql::text(&r, "contract_id")?)
            .await?
            .view)
    }

    /// The bank's seal over every signature, in `tx`: the canonical bytes
    /// of the text and the signers (the guarantors as they signed, the bank
    /// last), hashed and signed with the contract-sealing key.
    async fn seal_guarantee(
        &self,
        tx: &mut sqlx::Transaction<'_, sqlx::Any>,
        contract: &super::sign::Row,
        bank_seq: i64,
        now: i64,
        s: &StaffActor,
        log: &mut audit::Batch,
    ) -> Result<(), ServiceError> {
        let keys = &self.config.pfi;
        let rows = sqlx::query(
            "SELECT name_sealed, id_number_masked, signed_at FROM contract_signers \
             WHERE contract_id = $1 ORDER BY seq",
        )
        .bind(&contract.view.id)
        .fetch_all(&mut **tx)
        .await?;
        let mut signers = Vec::with_capacity(rows.len() + 1);
        for r in &rows {
            signers.push(Signer {
                role: SignerRole::Guarantor,
                name: keys.open(Field::SignerName, &sql::text(r, "name_sealed")?)?,
                id_number_masked: sql::text(r, "id_number_masked")?,
                signed_at_ms: sql::int(r, "signed_at")?,
            });
        }
        let bank = Signer {
            role: SignerRole::Bank,
            name: contract.bank_name.clone(),
            id_number_masked: String::new(),
            signed_at_ms: now,
        };
        signers.push(bank.clone());
        let content = SignedContent {
            contract_no: contract.view.contract_no.clone(),
            kind: contract.view.kind,
            template_version: contract.view.template_version,
            text: contract.view.text.clone(),
            signers,
        };
        let digest = super::sha256(&canonical_bytes(&content));
        let digest_hex = hex::encode(digest);
        let key = &self.config.contract_seal;
        let seal = key.seal(&digest);
        let public_key = key.public_hex();
        sqlx::query(
            "UPDATE contracts SET status = 'signed', canonical_sha256 = $2, seal = $3, \
               public_key = $4, signed_at = $5, updated_at = $5, row_version = row_version + 1 \
             WHERE id = $1 AND status = 'generated'",
        )
        .bind(&contract.view.id)
        .bind(&digest_hex)
        .bind(&seal)
        .bind(&public_key)
        .bind(now)
        .execute(&mut **tx)
        .await?;
        sqlx::query(
            "INSERT INTO contract_signers (id, contract_id, seq, role, customer_id, \
               name_sealed, id_number_masked, signed_at) \
             VALUES ($1, $2, $3, 'bank', NULL, $4, '', $5)",
        )
        .bind(new_id())
        .bind(&contract.view.id)
        .bind(bank_seq)
        .bind(keys.seal(Field::SignerName, &bank.name))
        .bind(now)
        .execute(&mut **tx)
        .await?;
        log.push(
            NewAuditEntry::staff(s, now, "contract.signed", "contract", &contract.view.id)
                .org(contract.branch_id.clone())
                .before(json!({ "status": "generated" }))
                .after(json!({
                    "status": "signed",
                    "contract_no": contract.view.contract_no,
                    "canonical_sha256": digest_hex,
                    "public_key": public_key,
                    "signers": rows.len() + 1,
                })),
        );
        Ok(())
    }
}
