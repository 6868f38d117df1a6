//! 线上开户与实名认证: a person who signed up with their phone
//! (`auth::sign_in_from` made their registration) proves who they are and
//! becomes a customer.
//!
//! 1. Both sides of the ID card, photographed: each photo is checked by its
//!    bytes and kept without metadata (`uploads`), read by the OCR provider
//!    ([`ocr`]) and its fields found by `domain::id_card`; a blurred photo
//!    or the wrong side is refused in words and nothing is kept.
//! 2. The person confirms or corrects name, ID number, address and
//!    validity; `IdCardReading::check` refuses a failing check digit, an
//!    expired card, an applicant under age. An ID number the bank knows
//!    under another phone is refused (they sign in with that one).
//! 3. A selfie, checked by the face provider ([`face`]) against the holder
//!    of the ID number. On a pass, in one transaction, the customer is made
//!    (or, for a person the bank knew without a phone, such as a whitelist
//!    import, their phone is set), at the referring officer's branch and
//!    under them (管户), and the registration closed; a double tap makes
//!    one customer.
//!
//! Every step is audited; the readings are sealed at rest; the ID number is
//! shown whole only to the person confirming it.

use_cases!(
    /// The use cases of this module, reached as `services.onboarding()`.
    Onboarding,
    onboarding
);

pub mod face;
pub mod ocr;
pub mod referrals;

use domain::date::Date;
use domain::error_code::ErrorCode;
use domain::id_card::{self, BackReading, CardSide, FrontReading, IdCardReading};
use domain::view::{IdCardFields, OnboardingStep, RegistrationView};
use serde_json::json;

use crate::audit::{self, NewAuditEntry};
use crate::auth::{CustomerActor, RegistrantActor};
use crate::customers::{self, NewCustomer};
use crate::db::new_id;
use crate::error::ServiceError;
use crate::pfi::Field;
use crate::sql;
use crate::uploads::{self, UploadRecord};

const REGISTRATION_COLUMNS: &str = "r.id, r.bank_id, r.phone_sealed, r.referral_code, \
    r.id_front_upload, r.id_back_upload, r.front_reading_sealed, r.back_reading_sealed, \
    r.reading_sealed, r.selfie_upload, r.customer_id, r.version, u.display_name AS officer_name";

struct Registration {
    id: String,
    bank_id: String,
    phone: String,
    referral_code: Option<String>,
    front_upload: Option<String>,
    back_upload: Option<String>,
    front: Option<FrontReading>,
    back: Option<BackReading>,
    reading: Option<IdCardReading>,
    customer_id: Option<String>,
    version: i64,
    officer_name: Option<String>,
}

fn parse<T: serde::de::DeserializeOwned>(s: Option<String>) -> Option<T> {
    s.and_then(|s| serde_json::from_str(&s).ok())
}

fn fmt_date(d: Option<Date>) -> String {
    d.map(|d| d.to_string()).unwrap_or_default()
}

impl Registration {
    fn step(&self) -> OnboardingStep {
        if self.customer_id.is_some() {
            OnboardingStep::Done
        } else if self.front_upload.is_none() || self.back_upload.is_none() {
            OnboardingStep::IdPhotos
        } else if self.reading.is_none() {
            OnboardingStep::Confirm
        } else {
            OnboardingStep::Selfie
        }
    }

    fn fields(&self) -> IdCardFields {
        if let Some(r) = &self.reading {
            return IdCardFields {
                name: r.name.clone(),
                id_number: r.id_number.clone(),
                address: r.address.clone(),
                valid_from: r.valid_from.to_string(),
                valid_to: fmt_date(r.valid_to),
                for_life: r.valid_to.is_none(),
            };
        }
        let front = self.front.clone().unwrap_or_default();
        let back = self.back.clone().unwrap_or_default();
        IdCardFields {
            name: front.name.unwrap_or_default(),
            id_number: front.id_number.unwrap_or_default(),
            address: front.address.unwrap_or_default(),
            valid_from: fmt_date(back.valid_from),
            valid_to: fmt_date(back.valid_to.flatten()),
            for_life: back.valid_to == Some(None),
        }
    }
}

impl Onboarding<'_> {
    async fn load(self, registration_id: &str) -> Result<Registration, ServiceError> {
        let sql = format!(
            "SELECT {REGISTRATION_COLUMNS} FROM registrations r \
             LEFT JOIN referral_codes c ON c.code = r.referral_code \
             LEFT JOIN staff_users u ON u.id = c.officer_id WHERE r.id = $1"
        );
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(registration_id)
            .fetch_optional(&self.db.pool)
            .await?
            .ok_or(ServiceError::Unauthenticated)?;
        let keys = &self.config.pfi;
        let open_json = |col: &str| -> Result<Option<String>, ServiceError> {
            sql::opt_text(&row, col)?
                .map(|s| keys.open(Field::IdCardReading, &s))
                .transpose()
        };
        Ok(Registration {
            id: sql::text(&row, "id")?,
            bank_id: sql::text(&row, "bank_id")?,
            phone: keys.open(Field::Phone, &sql::text(&row, "phone_sealed")?)?,
            referral_code: sql::opt_text(&row, "referral_code")?,
            front_upload: sql::opt_text(&row, "id_front_upload")?,
            back_upload: sql::opt_text(&row, "id_back_upload")?,
            front: parse(open_json("front_reading_sealed")?),
            back: parse(open_json("back_reading_sealed")?),
            reading: parse(open_json("reading_sealed")?),
            customer_id: sql::opt_text(&row, "customer_id")?,
            version: sql::int(&row, "version")?,
            officer_name: sql::opt_text(&row, "officer_name")?,
        })
    }

    fn view(self, r: &Registration) -> RegistrationView {
        RegistrationView {
            phone_masked: domain::identity::mask_phone(&r.phone),
            step: r.step(),
            has_front: r.front_upload.is_some(),
            has_back: r.back_upload.is_some(),
            fields: r.fields(),
            referred_by: r.officer_name.clone(),
            ocr_is_dev: self.ocr.name() == ocr::DEV_PROVIDER,
            face_is_dev: self.face.name() == face::DEV_PROVIDER,
        }
    }

    /// The signed-up person's registration, as their verification page shows it.
    pub async fn registration(
        self,
        me: &RegistrantActor,
    ) -> Result<RegistrationView, ServiceError> {
        let r = self.load(&me.registration_id).await?;
        Ok(self.view(&r))
    }

    /// Reads a photo of one side of the ID card: checked by its bytes
    /// (`upload_too_large`, `upload_not_image`), read by the OCR provider
    /// (`identity_provider_unavailable` when it cannot be reached), its
    /// fields found (`id_photo_unreadable`, `id_photo_wrong_side`). Only a
    /// photo that reads is kept; it replaces the side's earlier one and
    /// clears a confirmation made from it.
    pub async fn read_id_photo(
        self,
        me: &RegistrantActor,
        side: CardSide,
        bytes: &[u8],
    ) -> Result<RegistrationView, ServiceError> {
        let reg = self.load(&me.registration_id).await?;
        if reg.customer_id.is_some() {
            return Err(ServiceError::StaleState);
        }
        let image = uploads::check_image(bytes)?;
        let started = std::time::Instant::now();
        let text = self.ocr.read(&image.bytes, side).await.map_err(|e| {
            tracing::warn!(%e, "OCR provider failed");
            ServiceError::invalid(ErrorCode::IdentityProviderUnavailable)
        })?;
        let ms = started.elapsed().as_millis() as u64;
        let reading = match side {
            CardSide::Front => id_card::read_front(&text).map(|r| serde_json::to_string(&r)),
            CardSide::Back => id_card::read_back(&text).map(|r| serde_json::to_string(&r)),
        };
        let now = self.now();
        let reading = match reading {
            Ok(json) => json.map_err(|e| ServiceError::internal("reading", e))?,
            Err(e) => {
                self.audit_registrant(
                    me,
                    now,
                    "registration.id_photo_refused",
                    json!({ "side": side.as_str(), "reason": e.code().as_str(), "ocr": self.ocr.name(), "ms": ms }),
                )
                .await?;
                return Err(ServiceError::invalid(e.code()));
            }
        };
        let upload_id = new_id();
        let (upload_col, reading_col, kind) = match side {
            CardSide::Front => ("id_front_upload", "front_reading_sealed", "id_front"),
            CardSide::Back => ("id_back_upload", "back_reading_sealed", "id_back"),
        };
        let mut tx = self.db.begin_write().await?;
        uploads::store(
            &mut tx,
            self.uploads.as_ref(),
            &self.config.pfi,
            &UploadRecord {
                id: &upload_id,
                bank_id: &reg.bank_id,
                owner_kind: "registration",
                owner_id: &reg.id,
                kind,
                created_at: now,
            },
            &image,
        )
        .await?;
        let sql = format!(
            "UPDATE registrations SET {upload_col} = $1, {reading_col} = $2, reading_sealed = NULL, \
               id_number_idx = NULL, version = version + 1, updated_at = $3 \
             WHERE id = $4 AND version = $5 AND customer_id IS NULL"
        );
        let moved = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(&upload_id)
            .bind(self.config.pfi.seal(Field::IdCardReading, &reading))
            .bind(now)
            .bind(&reg.id)
            .bind(reg.version)
            .execute(&mut *tx)
            .await?;
        if moved.rows_affected() == 0 {
            tx.rollback().await?;
            let _ = self.uploads.delete(&upload_id).await;
            return Err(ServiceError::StaleState);
        }
        audit::append(
            &mut tx,
            &self.config.audit_key,
            NewAuditEntry::registrant(
                me,
                now,
                "registration.id_photo_read",
                "registration",
                &reg.id,
            )
            .after(json!({
                "side": side.as_str(), "upload_id": upload_id, "sha256": image.sha256,
                "ocr": self.ocr.name(), "ms": ms,
            })),
        )
        .await?;
        tx.commit().await?;
        if let Some(old) = match side {
            CardSide::Front => reg.front_upload,
            CardSide::Back => reg.back_upload,
        } {
            // The replaced photo's record stays for the audit trail; its bytes go.
            let _ = self.uploads.delete(&old).await;
        }
        self.registration(me).await
    }

    /// The person's confirmed (or corrected) fields: both photos first
    /// (`id_photos_missing`), then the domain's check, and the ID number
    /// not the bank's customer under another phone.
    pub async fn confirm_identity(
        self,
        me: &RegistrantActor,
        reading: IdCardReading,
    ) -> Result<RegistrationView, ServiceError> {
        let reg = self.load(&me.registration_id).await?;
        if reg.customer_id.is_some() {
            return Err(ServiceError::StaleState);
        }
        if reg.front_upload.is_none() || reg.back_upload.is_none() {
            return Err(ServiceError::invalid(ErrorCode::IdPhotosMissing));
        }
        let checked = reading.check(self.today()).map_err(|code| match code {
            ErrorCode::ApplicantUnderAge => ServiceError::Validation {
                code,
                params: vec![("min", id_card::MIN_AGE.to_string())],
            },
            code => ServiceError::invalid(code),
        })?;
        let keys = &self.config.pfi;
        let id_idx = keys.index(Field::IdNumber, checked.id_number.as_str());
        self.known_elsewhere(&reg, &id_idx).await?;
        let confirmed = IdCardReading {
            name: checked.name.clone(),
            id_number: checked.id_number.as_str().to_string(),
            address: checked.address.clone(),
            valid_from: checked.valid_from,
            valid_to: checked.valid_to,
        };
        let json =
            serde_json::to_string(&confirmed).map_err(|e| ServiceError::internal("reading", e))?;
        let now = self.now();
        let mut tx = self.db.begin_write().await?;
        let moved = sqlx::query(
            "UPDATE registrations SET reading_sealed = $1, id_number_idx = $2, \
               version = version + 1, updated_at = $3 \
             WHERE id = $4 AND version = $5 AND customer_id IS NULL",
        )
        .bind(keys.seal(Field::IdCardReading, &json))
        .bind(&id_idx)
        .bind(now)
        .bind(&reg.id)
        .bind(reg.version)
        .execute(&mut *tx)
        .await?;
        if moved.rows_affected() == 0 {
            tx.rollback().await?;
            return Err(ServiceError::StaleState);
        }
        let read = reg.fields();
        audit::append(
            &mut tx,
            &self.config.audit_key,
            NewAuditEntry::registrant(
                me,
                now,
                "registration.identity_confirmed",
                "registration",
                &reg.id,
            )
            .after(json!({
                "name": domain::identity::mask_name(&checked.name),
                "id_number": checked.id_number.masked(),
                "valid_to": checked.valid_to.map(|d| d.to_string()),
                // Which fields the person changed from what OCR read.
                "corrected": {
                    "name": read.name != checked.name,
                    "id_number": read.id_number != checked.id_number.as_str(),
                    "address": read.address != checked.address,
                },
            })),
        )
        .await?;
        tx.commit().await?;
        self.registration(me).await
    }

    /// Refuses an ID number that is a customer's of this bank under another
    /// phone (a customer without a phone, such as a whitelist import, is
    /// theirs to claim; one under this phone is this registration's own,
    /// made by a second tap a moment ago).
    async fn known_elsewhere(self, reg: &Registration, id_idx: &str) -> Result<(), ServiceError> {
        let known = sqlx::query(
            "SELECT phone_idx FROM customers WHERE bank_id = $1 AND id_number_idx = $2",
        )
        .bind(&reg.bank_id)
        .bind(id_idx)
        .fetch_optional(&self.db.pool)
        .await?;
        if let Some(k) = known {
            let own = self.config.pfi.index(Field::Phone, &reg.phone);
            if sql::opt_text(&k, "phone_idx")?.is_some_and(|p| p != own) {
                return Err(ServiceError::invalid(
                    ErrorCode::IdNumberRegisteredElsewhere,
                ));
            }
        }
        Ok(())
    }

    /// The selfie: checked by its bytes, then by the face provider against
    /// the confirmed ID number's holder (`selfie_not_live`,
    /// `selfie_mismatch`). On a pass the customer is made in one
    /// transaction with the registration's close; the customer to sign in as.
    pub async fn verify_selfie(
        self,
        me: &RegistrantActor,
        bytes: &[u8],
    ) -> Result<CustomerActor, ServiceError> {
        let reg = self.load(&me.registration_id).await?;
        if let Some(customer_id) = &reg.customer_id {
            return self.auth().customer_actor(customer_id).await;
        }
        let Some(reading) = reg.reading.clone() else {
            return Err(ServiceError::invalid(ErrorCode::IdentityNotVerified));
        };
        // Checked again: the day may have changed since it was confirmed.
        let checked = reading.check(self.today()).map_err(ServiceError::invalid)?;
        let image = uploads::check_image(bytes)?;
        let subject = face::FaceSubject {
            name: &checked.name,
            id_number: checked.id_number.as_str(),
        };
        let result = self
            .face
            .verify(&image.bytes, &subject)
            .await
            .map_err(|e| {
                tracing::warn!(%e, "face provider failed");
                ServiceError::invalid(ErrorCode::IdentityProviderUnavailable)
            })?;
        let now = self.now();
        let refused = if !result.live {
            Some(ErrorCode::SelfieNotLive)
        } else if result.score < face::PASS_SCORE {
            Some(ErrorCode::SelfieMismatch)
        } else {
            None
        };
        if let Some(code) = refused {
            self.audit_registrant(
                me,
                now,
                "registration.face_refused",
                json!({ "live": result.live, "score": result.score, "face": self.face.name() }),
            )
            .await?;
            return Err(ServiceError::invalid(code));
        }
        let keys = &self.config.pfi;
        let id_idx = keys.index(Field::IdNumber, checked.id_number.as_str());
        self.known_elsewhere(&reg, &id_idx).await?;
        let (branch_id, officer_id) = self.home_of(&reg).await?;
        let selfie_id = new_id();
        let mut tx = self.db.begin_write().await?;
        // Claim the registration first: of two taps, one goes on.
        let claimed = sqlx::query(
            "UPDATE registrations SET version = version + 1, updated_at = $1 \
             WHERE id = $2 AND version = $3 AND customer_id IS NULL",
        )
        .bind(now)
        .bind(&reg.id)
        .bind(reg.version)
        .execute(&mut *tx)
        .await?;
        if claimed.rows_affected() == 0 {
            tx.rollback().await?;
            let again = self.load(&reg.id).await?;
            return match again.customer_id {
                Some(id) => self.auth().customer_actor(&id).await,
                None => Err(ServiceError::StaleState),
            };
        }
        uploads::store(
            &mut tx,
            self.uploads.as_ref(),
            keys,
            &UploadRecord {
                id: &selfie_id,
                bank_id: &reg.bank_id,
                owner_kind: "registration",
                owner_id: &reg.id,
                kind: "selfie",
                created_at: now,
            },
            &image,
        )
        .await?;
        let existing =
            sqlx::query("SELECT id FROM customers WHERE bank_id = $1 AND id_number_idx = $2")
                .bind(&reg.bank_id)
                .bind(&id_idx)
                .fetch_optional(&mut *tx)
                .await?;
        let (customer_id, action) = match existing {
            Some(row) => {
                // Known without a phone (a whitelist import): the phone is set.
                let id = sql::text(&row, "id")?;
                sqlx::query(
                    "UPDATE customers SET phone_sealed = $1, phone_idx = $2, \
                       referral_code = COALESCE(referral_code, $3) \
                     WHERE id = $4 AND phone_idx IS NULL",
                )
                .bind(keys.seal(Field::Phone, &reg.phone))
                .bind(keys.index(Field::Phone, &reg.phone))
                .bind(reg.referral_code.clone())
                .bind(&id)
                .execute(&mut *tx)
                .await?;
                (id, "customer.phone_claimed")
            }
            None => {
                let id = new_id();
                let row = NewCustomer {
                    id: &id,
                    bank_id: &reg.bank_id,
                    branch_id: &branch_id,
                    household_id: None,
                    relation_to_head: "head",
                    name: &checked.name,
                    id_number: &checked.id_number,
                    phone: Some(&reg.phone),
                    occupation: "",
                    officer_id: officer_id.as_deref(),
                    created_at: now,
                }
                .row(keys);
                sql::insert_rows(&mut tx, "customers", &customers::COLUMNS, &[row]).await?;
                sqlx::query("UPDATE customers SET referral_code = $1 WHERE id = $2")
                    .bind(reg.referral_code.clone())
                    .bind(&id)
                    .execute(&mut *tx)
                    .await?;
                (id, "customer.registered")
            }
        };
        sqlx::query(
            "UPDATE registrations SET selfie_upload = $1, face_score = $2, customer_id = $3, \
               verified_at = $4 WHERE id = $5",
        )
        .bind(&selfie_id)
        .bind(i64::from(result.score))
        .bind(&customer_id)
        .bind(now)
        .bind(&reg.id)
        .execute(&mut *tx)
        .await?;
        audit::append(
            &mut tx,
            &self.config.audit_key,
            NewAuditEntry::registrant(me, now, action, "customer", &customer_id)
                .org(branch_id.clone())
                .after(json!({
                    "registration_id": reg.id,
                    "name": domain::identity::mask_name(&checked.name),
                    "id_number": checked.id_number.masked(),
                    "face": self.face.name(), "score": result.score,
                    "selfie_sha256": image.sha256,
                    "referral_code": reg.referral_code,
                    "officer_id": officer_id,
                })),
        )
        .await?;
        tx.commit().await?;
        self.auth().customer_actor(&customer_id).await
    }

    /// The branch and officer a new customer belongs to: the referring
    /// officer's branch (their grid's branch) and the officer; without a
    /// referral, the bank's first branch and no officer (the branch head
    /// assigns one from the customer pool).
    async fn home_of(self, reg: &Registration) -> Result<(String, Option<String>), ServiceError> {
        if let Some(code) = &reg.referral_code {
            let r = sqlx::query(
                "SELECT c.officer_id, o.id AS org_id, o.kind, o.parent_id FROM referral_codes c \
                 JOIN staff_users u ON u.id = c.officer_id \
                 JOIN organisations o ON o.id = u.org_id WHERE c.code = $1",
            )
            .bind(code)
            .fetch_optional(&self.db.pool)
            .await?;
            if let Some(r) = r {
                let branch = match sql::text(&r, "kind")?.as_str() {
                    "branch" => Some(sql::text(&r, "org_id")?),
                    "grid" => sql::opt_text(&r, "parent_id")?,
                    _ => None,
                };
                if let Some(branch) = branch {
                    return Ok((branch, Some(sql::text(&r, "officer_id")?)));
                }
            }
        }
        let first = sqlx::query(
            "SELECT id FROM organisations WHERE parent_id = $1 AND kind = 'branch' ORDER BY code LIMIT 1",
        )
        .bind(&reg.bank_id)
        .fetch_optional(&self.db.pool)
        .await?
        .ok_or_else(|| ServiceError::internal("sign-up", "the bank has no branch"))?;
        Ok((sql::text(&first, "id")?, None))
    }

    async fn audit_registrant(
        self,
        me: &RegistrantActor,
        now: i64,
        action: &str,
        after: serde_json::Value,
    ) -> Result<(), ServiceError> {
        let mut tx = self.db.begin_write().await?;
        audit::append(
            &mut tx,
            &self.config.audit_key,
            NewAuditEntry::registrant(me, now, action, "registration", &me.registration_id)
                .after(after),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}
