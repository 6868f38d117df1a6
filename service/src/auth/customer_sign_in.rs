//! Customer sign-in: a one-time SMS code to the phone (stored only as a
//! peppered hash, rate-limited per phone and per address).

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
        if exists.is_none() {
            return Err(ServiceError::UnknownCustomer);
        }
        let (id, sent) = self
            .send_purpose_code(&phone, LOGIN_PURPOSE, &|code, minutes| {
                format!("【普惠金融】您的登录验证码是{code}，{minutes}分钟内有效。请勿告诉他人。")
            })
            .await?;
        let mut tx = self.db.pool.begin().await?;
        audit::append(
            &mut tx,
            &self.config.audit_key,
            NewAuditEntry::system(now, "otp.sent", "sms_code", &id).after(json!({
                "phone": phone.masked(),
                "provider": self.sms.name(),
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
    /// audited with it and the phone masked.
    pub async fn customer_login_from(
        self,
        phone: &str,
        code: &str,
        ip: Option<IpAddr>,
    ) -> Result<CustomerActor, ServiceError> {
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
            .await?
            .ok_or(ServiceError::UnknownCustomer)?;
        let customer_id = sql::text(&customer, "id")?;
        let branch_id = sql::text(&customer, "branch_id")?;
        let actor = self.customer_actor(&customer_id).await?;

        let mut tx = self.db.pool.begin().await?;
        let used = sqlx::query(
            "UPDATE sms_codes SET consumed = 1 \
             WHERE id = $1 AND consumed = 0 AND expires_at > $2",
        )
        .bind(&id)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        if used.rows_affected() == 0 {
            tx.rollback().await?;
            return Err(ServiceError::CodeExpired);
        }
        audit::append(
            &mut tx,
            &self.config.audit_key,
            NewAuditEntry::customer(&actor, now, "customer.login", "customer", &customer_id)
                .org(branch_id)
                .after(json!({ "ip": ip })),
        )
        .await?;
        tx.commit().await?;
        Ok(actor)
    }
}
