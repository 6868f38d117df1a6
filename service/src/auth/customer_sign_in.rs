//! Customer sign-in: a one-time SMS code to the phone (stored only as a
//! peppered hash, rate-limited per phone and per address). A phone the bank
//! has never seen signs up the same way: the code proves the phone, and the
//! person becomes a registration (kept with the officer's referral code
//! they arrived by) until real-name verification makes them a customer
//! (`onboarding`).

use super::*;

impl crate::auth::Auth<'_> {
    /// Sends a login code to a customer's phone through
    /// [`send_purpose_code`](crate::auth::Auth::send_purpose_code): the code
    /// row is reserved first (so the rate limit holds under concurrent
    /// requests) and removed again when the provider fails.
    pub async fn send_login_code(self, phone: &str) -> Result<SentCode, ServiceError> {
        let phone = Phone::parse(phone.trim())?;
        let now = self.now();
        let phone_idx = self.config.pfi.index(Field::Phone, phone.as_str());
        let exists = sqlx::query("SELECT id FROM customers WHERE phone_idx = $1")
            .bind(&phone_idx)
            .fetch_optional(&self.db.pool)
            .await?;
        let signing_up = exists.is_none();
        if signing_up && self.sign_up_bank(None).await?.is_none() {
            // No bank on this server yet (a production start, empty).
            return Err(ServiceError::UnknownCustomer);
        }
        let (id, sent) = self
            .send_purpose_code(&phone, LOGIN_PURPOSE, &|code, minutes| {
                if signing_up {
                    format!(
                        "【普惠金融】您正在注册，验证码是{code}，{minutes}分钟内有效。请勿告诉他人。"
                    )
                } else {
                    format!("【普惠金融】您的登录验证码是{code}，{minutes}分钟内有效。请勿告诉他人。")
                }
            })
            .await?;
        let mut tx = self.db.pool.begin().await?;
        audit::append(
            &mut tx,
            &self.config.audit_key,
            NewAuditEntry::system(now, "otp.sent", "sms_code", &id).after(json!({
                "phone": phone.masked(),
                "provider": self.sms.name(),
                "sign_up": signing_up,
            })),
        )
        .await?;
        tx.commit().await?;
        Ok(sent)
    }

    /// Signs a customer in with the newest code sent to their phone.
    pub async fn customer_login(
        self,
        phone: &str,
        code: &str,
    ) -> Result<CustomerActor, ServiceError> {
        self.customer_login_from(phone, code, None).await
    }

    /// [`Auth::customer_login`](crate::auth::Auth::customer_login) from a known address: a wrong code is
    /// audited with it and the phone masked. A phone that is no customer's
    /// is refused (`unknown_customer`); [`Auth::sign_in_from`] signs it up.
    pub async fn customer_login_from(
        self,
        phone: &str,
        code: &str,
        ip: Option<IpAddr>,
    ) -> Result<CustomerActor, ServiceError> {
        match self.sign_in_from(phone, code, ip, None).await? {
            SignedIn::Customer(c) => Ok(c),
            SignedIn::Registrant(_) => Err(ServiceError::UnknownCustomer),
        }
    }

    /// The bank a person signs up to: the referral code's, or the first
    /// bank on the server; None when there is none.
    async fn sign_up_bank(
        self,
        referral: Option<&str>,
    ) -> Result<Option<(String, Option<String>)>, ServiceError> {
        if let Some(code) = referral {
            let r = sqlx::query(
                "SELECT code, bank_id FROM referral_codes WHERE code = $1 AND active = 1",
            )
            .bind(code)
            .fetch_optional(&self.db.pool)
            .await?;
            if let Some(r) = r {
                return Ok(Some((
                    sql::text(&r, "bank_id")?,
                    Some(sql::text(&r, "code")?),
                )));
            }
        }
        let first =
            sqlx::query("SELECT id FROM organisations WHERE kind = 'bank' ORDER BY code LIMIT 1")
                .fetch_optional(&self.db.pool)
                .await?;
        first.map(|r| Ok((sql::text(&r, "id")?, None))).transpose()
    }

    /// Signs in with the newest code sent to the phone: a customer as
    /// themselves; a phone no customer has as a registration, made now
    /// (with the referral code they arrived by, when it is an officer's
    /// active one) or found from an earlier sign-up.
    pub async fn sign_in_from(
        self,
        phone: &str,
        code: &str,
        ip: Option<IpAddr>,
        referral: Option<&str>,
    ) -> Result<SignedIn, ServiceError> {
        let ip = ip.map(|a| a.to_string());
        let phone = Phone::parse(phone.trim())?;
        let code = code.trim();
        let now = self.now();
        let phone_idx = self.config.pfi.index(Field::Phone, phone.as_str());
        let row = sqlx::query(
            "SELECT id, code_hash, expires_at, attempts FROM sms_codes \
             WHERE phone_idx = $1 AND purpose = $2 AND consumed = 0 \
             ORDER BY created_at DESC LIMIT 1",
        )
        .bind(&phone_idx)
        .bind(LOGIN_PURPOSE)
        .fetch_optional(&self.db.pool)
        .await?
        .ok_or(ServiceError::CodeExpired)?;
        let id = sql::text(&row, "id")?;
        if sql::int(&row, "expires_at")? <= now
            || sql::int(&row, "attempts")? >= self.config.otp_max_attempts
        {
            return Err(ServiceError::CodeExpired);
        }
        // Take one of the code's guesses before comparing, in one guarded
        // statement: a burst of parallel guesses gets at most
        // `otp_max_attempts` of them compared, however they interleave.
        let claimed = sqlx::query(
            "UPDATE sms_codes SET attempts = attempts + 1 \
             WHERE id = $1 AND consumed = 0 AND attempts < $2 AND expires_at > $3",
        )
        .bind(&id)
        .bind(self.config.otp_max_attempts)
        .bind(now)
        .execute(&self.db.pool)
        .await?;
        if claimed.rows_affected() == 0 {
            return Err(ServiceError::CodeExpired);
        }
        let expected = sql::text(&row, "code_hash")?;
        let given = code_hash(&self.config.otp_secret, phone.as_str(), code);
        if !same_bytes(&expected, &given) {
            self.count_ip_failure(ip.as_deref(), now).await?;
            self.audit_alone(
                NewAuditEntry::system(now, "customer.login_failed", "sms_code", &id)
                    .after(json!({ "phone": phone.masked(), "ip": ip })),
            )
            .await?;
            return Err(ServiceError::CodeInvalid);
        }
        let customer = sqlx::query("SELECT id, branch_id FROM customers WHERE phone_idx = $1")
            .bind(&phone_idx)
            .fetch_optional(&self.db.pool)
            .await?;
        let Some(customer) = customer else {
            return self
                .sign_up(&id, &phone, &phone_idx, now, ip, referral)
                .await
                .map(SignedIn::Registrant);
        };
        let customer_id = sql::text(&customer, "id")?;
        let branch_id = sql::text(&customer, "branch_id")?;
        let actor = self.customer_actor(&customer_id).await?;

        let mut tx = self.db.pool.begin().await?;
        take_code(&mut tx, &id, now).await?;
        audit::append(
            &mut tx,
            &self.config.audit_key,
            NewAuditEntry::customer(&actor, now, "customer.login", "customer", &customer_id)
                .org(branch_id)
                .after(json!({ "ip": ip })),
        )
        .await?;
        tx.commit().await?;
        Ok(SignedIn::Customer(actor))
    }

    /// The phone's registration, made with its code taken in one
    /// transaction: two sign-ins at once make one (the phone's index is
    /// unique).
    async fn sign_up(
        self,
        code_id: &str,
        phone: &Phone,
        phone_idx: &str,
        now: i64,
        ip: Option<String>,
        referral: Option<&str>,
    ) -> Result<RegistrantActor, ServiceError> {
        let (bank_id, referral) = self
            .sign_up_bank(referral)
            .await?
            .ok_or(ServiceError::UnknownCustomer)?;
        let mut tx = self.db.begin_write().await?;
        take_code(&mut tx, code_id, now).await?;
        let id = crate::db::new_id();
        let made = sqlx::query(
            "INSERT INTO registrations (id, bank_id, phone_sealed, phone_idx, referral_code, \
               created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $6) \
             ON CONFLICT (phone_idx) DO NOTHING",
        )
        .bind(&id)
        .bind(&bank_id)
        .bind(self.config.pfi.seal(Field::Phone, phone.as_str()))
        .bind(phone_idx)
        .bind(referral.clone())
        .bind(now)
        .execute(&mut *tx)
        .await?;
        let row =
            sqlx::query("SELECT id, bank_id, customer_id FROM registrations WHERE phone_idx = $1")
                .bind(phone_idx)
                .fetch_one(&mut *tx)
                .await?;
        if sql::opt_text(&row, "customer_id")?.is_some() {
            // Verified in the meantime: the customer's phone is this one now.
            tx.rollback().await?;
            return Err(ServiceError::StaleState);
        }
        let actor = RegistrantActor {
            registration_id: sql::text(&row, "id")?,
            bank_id: sql::text(&row, "bank_id")?,
            phone_masked: phone.masked(),
        };
        let action = if made.rows_affected() == 1 {
            "registration.signed_up"
        } else {
            "registration.signed_in"
        };
        audit::append(
            &mut tx,
            &self.config.audit_key,
            NewAuditEntry::registrant(&actor, now, action, "registration", &actor.registration_id)
                .after(json!({ "ip": ip, "referral_code": referral })),
        )
        .await?;
        tx.commit().await?;
        Ok(actor)
    }
}

/// Takes the sign-in code in the caller's transaction: of two sign-ins with
/// one code, one goes on (`code_expired` for the other, whose transaction
/// is then dropped).
async fn take_code(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    code_id: &str,
    now: i64,
) -> Result<(), ServiceError> {
    let used = sqlx::query(
        "UPDATE sms_codes SET consumed = 1 \
         WHERE id = $1 AND consumed = 0 AND expires_at > $2",
    )
    .bind(code_id)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    if used.rows_affected() == 0 {
        return Err(ServiceError::CodeExpired);
    }
    Ok(())
}
