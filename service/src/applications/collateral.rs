//! 押品: the collateral of a mortgage or pledge loan, recorded on its
//! application, its title papers moved into and out of the vault under
//! two people (双人复核), and the payout held until the collateral is
//! registered, in the vault and worth enough (`domain::collateral`).
//!
//! Who does what: the officer (or the investigator, or the branch head)
//! records the collateral and the registration number the registry gives;
//! the officer, the disbursement desk or the branch head asks for a move;
//! the desk or the branch head, never the one who asked, confirms or
//! refuses it. The papers go out (出库) only once the loan is paid off.
//! Everyone involved reads the panel within their scope.

use base64::Engine as _;
use domain::application::ApplicationStatus;
use domain::collateral::{
    ask_move, cap_bp, confirm_move, ltv_bp, may_add_photo, photo_type, ready_for_payout,
    CollateralError, CollateralInput, CollateralKind, Custody, CustodyMove, Pledged,
    MAX_PHOTO_BYTES,
};
use domain::contract::ContractKind;
use domain::error_code::ErrorCode;
use domain::org::Role;
use domain::view::{CollateralPanel, CollateralPhotoView, CollateralView};
use serde_json::json;
use sha2::{Digest, Sha256};
use sqlx::any::AnyRow;

use crate::audit::{self, NewAuditEntry};
use crate::auth::{Reading, StaffActor};
use crate::contracts::guarantee::void_unsealed;
use crate::db::new_id;
use crate::error::ServiceError;
use crate::pfi::Field;
use crate::sql;

/// Who records collateral and its registration.
const RECORDERS: [Role; 3] = [Role::Officer, Role::Investigator, Role::BranchHead];
/// Who asks for the papers to move.
const ASKERS: [Role; 3] = [Role::Officer, Role::Disburser, Role::BranchHead];
/// Who confirms a move asked by someone else.
const CONFIRMERS: [Role; 2] = [Role::Disburser, Role::BranchHead];

fn refused(e: CollateralError) -> ServiceError {
    let params = match &e {
        CollateralError::PhotoInvalid { max_kib } => vec![("max_kib", max_kib.to_string())],
        CollateralError::TooManyPhotos { max } => vec![("max", max.to_string())],
        _ => Vec::new(),
    };
    ServiceError::Validation {
        code: e.code(),
        params,
    }
}

/// The longest photo upload read (base64 of [`MAX_PHOTO_BYTES`]): anything
/// longer is refused before it is decoded.
const MAX_PHOTO_BASE64: usize = MAX_PHOTO_BYTES.div_ceil(3) * 4;
/// The longest caption.
const MAX_CAPTION_CHARS: usize = 60;

/// A stored row as the payout check sees it.
fn pledged(r: &AnyRow) -> Result<Pledged, ServiceError> {
    Ok(Pledged {
        kind: sql::coded(r, "kind", CollateralKind::parse)?,
        valuation: sql::fen(r, "valuation_fen")?,
        valued_on: sql::date(r, "valued_on")?,
        registered: sql::opt_text(r, "registration_no")?.is_some(),
        custody: sql::coded(r, "custody", Custody::parse)?,
    })
}

impl super::Applications<'_> {
    /// The loan-to-value cap of the product version the application was
    /// made under, if it sets one.
    async fn product_ltv_cap(self, application_id: &str) -> Result<Option<u32>, ServiceError> {
        let r = sqlx::query(
            "SELECT v.params FROM applications a \
             JOIN product_versions v ON v.id = a.product_version_id WHERE a.id = $1",
        )
        .bind(application_id)
        .fetch_optional(&self.db.pool)
        .await?;
        let Some(r) = r else { return Ok(None) };
        let params: domain::product::ProductParams =
            serde_json::from_str(&sql::text(&r, "params")?)
                .map_err(|e| ServiceError::internal("stored params", e))?;
        Ok(params.ltv_cap_bp)
    }

    async fn collateral_rows(self, application_id: &str) -> Result<Vec<AnyRow>, ServiceError> {
        Ok(sqlx::query(
            "SELECT c.*, u.display_name AS asked_by_name FROM collaterals c \
             LEFT JOIN staff_users u ON u.id = c.custody_asked_by \
             WHERE c.application_id = $1 ORDER BY c.created_at, c.id",
        )
        .bind(application_id)
        .fetch_all(&self.db.pool)
        .await?)
    }

    /// Why the application cannot be paid out against its collateral, if
    /// its product requires any; `None` when it can.
    pub(crate) async fn collateral_blocks(
        self,
        f: &super::AppFacts,
        application_id: &str,
    ) -> Result<Option<ErrorCode>, ServiceError> {
        if !f.guarantee.needs_collateral() {
            return Ok(None);
        }
        let items = self
            .collateral_rows(application_id)
            .await?
            .iter()
            .filter(|r| sql::text(r, "custody").is_ok_and(|c| c != "released"))
            .map(pledged)
            .collect::<Result<Vec<_>, _>>()?;
        if let Err(e) = ready_for_payout(
            f.amount,
            &items,
            self.today(),
            self.product_ltv_cap(application_id).await?,
        ) {
            return Ok(Some(e.code()));
        }
        Ok((!self.mortgage_signed(application_id).await?)
            .then_some(ErrorCode::MortgageContractNotSigned))
    }

    /// The live mortgage contract of an application: (id, signed).
    async fn mortgage_contract(
        self,
        application_id: &str,
    ) -> Result<Option<(String, bool)>, ServiceError> {
        let r = sqlx::query(
            "SELECT id, status FROM contracts WHERE application_id = $1 AND kind = 'mortgage' \
             AND status <> 'voided'",
        )
        .bind(application_id)
        .fetch_optional(&self.db.pool)
        .await?;
        r.map(|r| Ok((sql::text(&r, "id")?, sql::text(&r, "status")? == "signed")))
            .transpose()
    }

    async fn mortgage_signed(self, application_id: &str) -> Result<bool, ServiceError> {
        Ok(self
            .mortgage_contract(application_id)
            .await?
            .is_some_and(|(_, signed)| signed))
    }

    async fn loan_settled(self, application_id: &str) -> Result<bool, ServiceError> {
        Ok(sqlx::query(
            "SELECT 1 AS x FROM loans l JOIN loan_accounts a ON a.loan_id = l.id \
             WHERE l.application_id = $1 AND a.status = 'settled'",
        )
        .bind(application_id)
        .fetch_optional(&self.db.pool)
        .await?
        .is_some())
    }

    /// The collateral of an application, for those who read its file.
    pub async fn collateral(
        self,
        s: &StaffActor,
        application_id: &str,
    ) -> Result<CollateralPanel, ServiceError> {
        let f = self.facts(application_id).await?;
        s.may_read(Reading::CustomerFile, &f.branch_path)?;
        let required = f.guarantee.needs_collateral();
        let settled = self.loan_settled(application_id).await?;
        let rows = self.collateral_rows(application_id).await?;
        let mut photos = self.photos_of(application_id).await?;
        let mut items = Vec::with_capacity(rows.len());
        let mut live = Vec::new();
        for r in &rows {
            let p = pledged(r)?;
            let asked_by = sql::opt_text(r, "custody_asked_by")?;
            let pending = matches!(p.custody, Custody::InPending | Custody::OutPending);
            if p.custody != Custody::Released {
                live.push(p);
            }
            let id = sql::text(r, "id")?;
            items.push(CollateralView {
                photos: photos.remove(&id).unwrap_or_default(),
                can_add_photo: s.has_any(&RECORDERS) && p.custody != Custody::Released,
                id,
                kind: p.kind,
                owner_name: sql::text(r, "owner_name")?,
                certificate_no: sql::text(r, "certificate_no")?,
                registration_no: sql::opt_text(r, "registration_no")?,
                valuation: p.valuation,
                valued_on: p.valued_on,
                valuer: sql::text(r, "valuer")?,
                description: sql::text(r, "description")?,
                custody: p.custody,
                custody_asked_by: if pending {
                    sql::opt_text(r, "asked_by_name")?
                } else {
                    None
                },
                version: sql::int(r, "version")?,
                can_register: s.has_any(&RECORDERS)
                    && matches!(
                        p.custody,
                        Custody::Registered | Custody::InPending | Custody::InVault
                    ),
                can_ask_in: s.has_any(&ASKERS) && p.custody == Custody::Registered,
                can_ask_out: s.has_any(&ASKERS) && p.custody == Custody::InVault && settled,
                can_confirm: s.has_any(&CONFIRMERS)
                    && pending
                    && asked_by.as_deref() != Some(s.user_id.as_str()),
            });
        }
        let total_value = live.iter().map(|p| p.valuation).sum();
        let contract = self.mortgage_contract(application_id).await?;
        let product_cap = self.product_ltv_cap(application_id).await?;
        let not_ready = if required {
            match ready_for_payout(f.amount, &live, self.today(), product_cap) {
                Err(e) => Some(e.code()),
                Ok(()) if !contract.as_ref().is_some_and(|(_, signed)| *signed) => {
                    Some(ErrorCode::MortgageContractNotSigned)
                }
                Ok(()) => None,
            }
        } else {
            None
        };
        let loan_contract = self.loan_contract_drawn(application_id).await?;
        Ok(CollateralPanel {
            required,
            amount: f.amount,
            total_value,
            ltv_bp: (!live.is_empty()).then(|| ltv_bp(f.amount, total_value)),
            cap_bp: (!live.is_empty()).then(|| cap_bp(&live, product_cap)),
            not_ready,
            loan_settled: settled,
            can_record: s.has_any(&RECORDERS)
                && !matches!(
                    f.status,
                    ApplicationStatus::Rejected | ApplicationStatus::Withdrawn
                )
                && !settled,
            can_draw_contract: s.has_any(&crate::contracts::sign::GENERATORS)
                && f.status == ApplicationStatus::Approved
                && loan_contract
                && contract.is_none()
                && !live.is_empty()
                && !settled,
            contract_id: contract.map(|(id, _)| id),
            items,
        })
    }

    /// Records a piece of collateral on an application (before its loan is
    /// paid off). The same certificate cannot secure two loans at once
    /// (`collateral_already_pledged`).
    pub async fn record_collateral(
        self,
        s: &StaffActor,
        application_id: &str,
        input: CollateralInput,
    ) -> Result<String, ServiceError> {
        if !s.has_any(&RECORDERS) {
            return Err(ServiceError::Forbidden);
        }
        let f = self.facts(application_id).await?;
        if !s.covers(&f.branch_path) {
            return Err(ServiceError::Forbidden);
        }
        if self.loan_settled(application_id).await? {
            return Err(ServiceError::invalid(ErrorCode::LoanClosed));
        }
        let c = input.validate(self.today()).map_err(refused)?;
        let id = new_id();
        let now = self.now();
        let mut tx = self.db.begin_write().await?;
        // A mortgage contract drawn up and not yet signed must name it too.
        let mut log = audit::Batch::default();
        void_unsealed(
            &mut tx,
            application_id,
            ContractKind::Mortgage,
            now,
            &mut log,
            s,
        )
        .await?;
        log.write(&mut tx, &self.config.audit_key).await?;
        sqlx::query(
            "INSERT INTO collaterals (id, application_id, bank_id, kind, owner_name, \
               certificate_no, registration_no, valuation_fen, valued_on, valuer, description, \
               custody, created_by, created_at, updated_at, version) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, 'registered', $12, $13, $13, 1)",
        )
        .bind(&id)
        .bind(application_id)
        .bind(&f.bank_id)
        .bind(c.kind.as_str())
        .bind(&c.owner_name)
        .bind(&c.certificate_no)
        .bind(c.registration_no.as_deref())
        .bind(c.valuation.get())
        .bind(c.valued_on.to_string())
        .bind(&c.valuer)
        .bind(&c.description)
        .bind(&s.user_id)
        .bind(now)
        .execute(&mut *tx)
        .await
        .map_err(|e| match e {
            sqlx::Error::Database(d) if d.is_unique_violation() => {
                ServiceError::invalid(ErrorCode::CollateralAlreadyPledged)
            }
            other => other.into(),
        })?;
        audit::append(
            &mut tx,
            &self.config.audit_key,
            NewAuditEntry::staff(s, now, "collateral.recorded", "application", application_id)
                .after(json!({
                    "collateral_id": id,
                    "kind": c.kind.as_str(),
                    "certificate_no": c.certificate_no,
                    "registration_no": c.registration_no,
                    "valuation_fen": c.valuation.get(),
                    "valued_on": c.valued_on.to_string(),
                })),
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// The collateral row, its application's facts, checked for scope.
    async fn collateral_in_scope(
        self,
        s: &StaffActor,
        id: &str,
    ) -> Result<(AnyRow, super::AppFacts), ServiceError> {
        let r = sqlx::query("SELECT * FROM collaterals WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.db.pool)
            .await?
            .ok_or(ServiceError::NotFound)?;
        let f = self.facts(&sql::text(&r, "application_id")?).await?;
        if !s.covers(&f.branch_path) {
            return Err(ServiceError::Forbidden);
        }
        Ok((r, f))
    }

    /// The photos of an application's collateral, by piece, oldest first
    /// (without their bytes).
    async fn photos_of(
        self,
        application_id: &str,
    ) -> Result<std::collections::HashMap<String, Vec<CollateralPhotoView>>, ServiceError> {
        let rows = sqlx::query(
            "SELECT p.id, p.collateral_id, p.caption, p.content_type, p.size_bytes, \
               p.created_at, u.display_name FROM collateral_photos p \
             JOIN collaterals c ON c.id = p.collateral_id \
             JOIN staff_users u ON u.id = p.uploaded_by \
             WHERE c.application_id = $1 ORDER BY p.created_at, p.id",
        )
        .bind(application_id)
        .fetch_all(&self.db.pool)
        .await?;
        let mut out: std::collections::HashMap<String, Vec<CollateralPhotoView>> =
            std::collections::HashMap::new();
        for r in &rows {
            out.entry(sql::text(r, "collateral_id")?)
                .or_default()
                .push(CollateralPhotoView {
                    id: sql::text(r, "id")?,
                    caption: sql::text(r, "caption")?,
                    content_type: sql::text(r, "content_type")?,
                    size_bytes: sql::int(r, "size_bytes")?,
                    uploaded_by: sql::text(r, "display_name")?,
                    uploaded_at: sql::int(r, "created_at")?,
                });
        }
        Ok(out)
    }

    /// Adds a photo to a piece of collateral not yet released (by whoever
    /// records collateral, in scope): `data_base64` is the image, refused
    /// unread when longer than a photo may be; its type comes from its
    /// bytes (JPEG, PNG or WebP, `collateral_photo_invalid`); at most
    /// eight a piece (`collateral_too_many_photos`). Sealed at rest; its
    /// SHA-256 goes to the audit log. The photo's id.
    pub async fn add_collateral_photo(
        self,
        s: &StaffActor,
        collateral_id: &str,
        caption: &str,
        data_base64: &str,
    ) -> Result<String, ServiceError> {
        if !s.has_any(&RECORDERS) {
            return Err(ServiceError::Forbidden);
        }
        let invalid = || {
            refused(CollateralError::PhotoInvalid {
                max_kib: MAX_PHOTO_BYTES / 1024,
            })
        };
        if data_base64.len() > MAX_PHOTO_BASE64 {
            return Err(invalid());
        }
        let caption = caption.trim();
        if caption.chars().count() > MAX_CAPTION_CHARS || caption.chars().any(char::is_control) {
            return Err(ServiceError::invalid(ErrorCode::CollateralCaptionTooLong));
        }
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(data_base64.trim())
            .map_err(|_| invalid())?;
        let content_type = photo_type(&bytes).map_err(refused)?;
        let (r, _) = self.collateral_in_scope(s, collateral_id).await?;
        if sql::coded(&r, "custody", Custody::parse)? == Custody::Released {
            return Err(refused(CollateralError::CustodyMoveInvalid));
        }
        let sha256 = hex::encode(Sha256::digest(&bytes));
        let sealed = self
            .config
            .pfi
            .seal(Field::CollateralPhoto, data_base64.trim());
        let id = new_id();
        let now = self.now();
        let mut tx = self.db.begin_write().await?;
        // The piece's row, locked by the update, serialises two uploads at
        // once, so the count below holds.
        sqlx::query("UPDATE collaterals SET updated_at = $1 WHERE id = $2")
            .bind(now)
            .bind(collateral_id)
            .execute(&mut *tx)
            .await?;
        let n = sqlx::query(
            "SELECT CAST(COUNT(*) AS BIGINT) AS n FROM collateral_photos WHERE collateral_id = $1",
        )
        .bind(collateral_id)
        .fetch_one(&mut *tx)
        .await?;
        may_add_photo(usize::try_from(sql::int(&n, "n")?).unwrap_or(usize::MAX))
            .map_err(refused)?;
        sqlx::query(
            "INSERT INTO collateral_photos (id, collateral_id, bank_id, content_type, size_bytes, \
               sha256, caption, data_sealed, uploaded_by, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(&id)
        .bind(collateral_id)
        .bind(sql::text(&r, "bank_id")?)
        .bind(content_type)
        .bind(i64::try_from(bytes.len()).unwrap_or(i64::MAX))
        .bind(&sha256)
        .bind(caption)
        .bind(sealed)
        .bind(&s.user_id)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        audit::append(
            &mut tx,
            &self.config.audit_key,
            NewAuditEntry::staff(
                s,
                now,
                "collateral.photo_added",
                "collateral",
                collateral_id,
            )
            .after(json!({
                "photo_id": id, "caption": caption, "content_type": content_type,
                "size_bytes": bytes.len(), "sha256": sha256,
            })),
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// A photo's type and bytes, for staff who read the customer's file in
    /// scope.
    pub async fn collateral_photo(
        self,
        s: &StaffActor,
        photo_id: &str,
    ) -> Result<(String, Vec<u8>), ServiceError> {
        let r = sqlx::query(
            "SELECT p.collateral_id, p.content_type, p.data_sealed FROM collateral_photos p \
             WHERE p.id = $1",
        )
        .bind(photo_id)
        .fetch_optional(&self.db.pool)
        .await?
        .ok_or(ServiceError::NotFound)?;
        let (_, f) = self
            .collateral_in_scope(s, &sql::text(&r, "collateral_id")?)
            .await?;
        s.may_read(Reading::CustomerFile, &f.branch_path)?;
        let b64 = self
            .config
            .pfi
            .open(Field::CollateralPhoto, &sql::text(&r, "data_sealed")?)?;
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(b64)
            .map_err(|e| ServiceError::internal("photo", e))?;
        Ok((sql::text(&r, "content_type")?, bytes))
    }

    /// Sets the registration number (他项权证号) the registry gave.
    pub async fn register_collateral(
        self,
        s: &StaffActor,
        id: &str,
        version: i64,
        registration_no: &str,
    ) -> Result<(), ServiceError> {
        if !s.has_any(&RECORDERS) {
            return Err(ServiceError::Forbidden);
        }
        let (r, _) = self.collateral_in_scope(s, id).await?;
        let no = registration_no.trim();
        if no.is_empty() || no.chars().count() > 64 || no.chars().any(char::is_control) {
            return Err(refused(CollateralError::RegistrationInvalid));
        }
        let custody = sql::coded(&r, "custody", Custody::parse)?;
        if matches!(custody, Custody::OutPending | Custody::Released) {
            return Err(refused(CollateralError::CustodyMoveInvalid));
        }
        let now = self.now();
        let mut tx = self.db.begin_write().await?;
        let done = sqlx::query(
            "UPDATE collaterals SET registration_no = $1, updated_at = $2, version = version + 1 \
             WHERE id = $3 AND version = $4",
        )
        .bind(no)
        .bind(now)
        .bind(id)
        .bind(version)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() != 1 {
            return Err(ServiceError::StaleState);
        }
        audit::append(
            &mut tx,
            &self.config.audit_key,
            NewAuditEntry::staff(s, now, "collateral.registered", "collateral", id)
                .before(json!({ "registration_no": sql::opt_text(&r, "registration_no")? }))
                .after(json!({ "registration_no": no })),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Asks for the title papers to go into (入库) or out of (出库, once
    /// the loan is paid off) the vault; someone else confirms.
    pub async fn ask_custody(
        self,
        s: &StaffActor,
        id: &str,
        version: i64,
        m: CustodyMove,
    ) -> Result<(), ServiceError> {
        if !s.has_any(&ASKERS) {
            return Err(ServiceError::Forbidden);
        }
        let (r, _) = self.collateral_in_scope(s, id).await?;
        let from = sql::coded(&r, "custody", Custody::parse)?;
        let settled = self.loan_settled(&sql::text(&r, "application_id")?).await?;
        let to = ask_move(from, m, settled).map_err(refused)?;
        self.move_custody(
            s,
            id,
            version,
            from,
            to,
            Some(&s.user_id),
            "collateral.custody_asked",
            m,
        )
        .await
    }

    /// Confirms (`approve`) or refuses the pending move; not by whoever
    /// asked for it.
    pub async fn confirm_custody(
        self,
        s: &StaffActor,
        id: &str,
        version: i64,
        approve: bool,
    ) -> Result<(), ServiceError> {
        if !s.has_any(&CONFIRMERS) {
            return Err(ServiceError::Forbidden);
        }
        let (r, _) = self.collateral_in_scope(s, id).await?;
        let from = sql::coded(&r, "custody", Custody::parse)?;
        let asked_by = sql::opt_text(&r, "custody_asked_by")?.unwrap_or_default();
        let to = confirm_move(from, &asked_by, &s.user_id, approve).map_err(refused)?;
        let m = if from == Custody::OutPending {
            CustodyMove::Out
        } else {
            CustodyMove::In
        };
        let action = if approve {
            "collateral.custody_confirmed"
        } else {
            "collateral.custody_refused"
        };
        self.move_custody(s, id, version, from, to, None, action, m)
            .await
    }

    #[allow(clippy::too_many_arguments)]
    async fn move_custody(
        self,
        s: &StaffActor,
        id: &str,
        version: i64,
        from: Custody,
        to: Custody,
        asked_by: Option<&str>,
        action: &str,
        m: CustodyMove,
    ) -> Result<(), ServiceError> {
        let now = self.now();
        let mut tx = self.db.begin_write().await?;
        let done = sqlx::query(
            "UPDATE collaterals SET custody = $1, custody_asked_by = $2, custody_asked_at = $3, \
               updated_at = $3, version = version + 1 \
             WHERE id = $4 AND version = $5 AND custody = $6",
        )
        .bind(to.as_str())
        .bind(asked_by)
        .bind(now)
        .bind(id)
        .bind(version)
        .bind(from.as_str())
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() != 1 {
            return Err(ServiceError::StaleState);
        }
        audit::append(
            &mut tx,
            &self.config.audit_key,
            NewAuditEntry::staff(s, now, action, "collateral", id)
                .before(json!({ "custody": from.as_str() }))
                .after(json!({ "custody": to.as_str(), "move": m.as_str() })),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}
