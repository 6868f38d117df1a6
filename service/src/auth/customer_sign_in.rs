//! Customer sign-in: a one-time SMS code to the phone (stored only as a
//! peppered hash, rate-limited per phone and per address).

use super::*;

impl crate::auth::Auth<'_> {
    /// Sends a login code to a customer's phone. The code row is reserved
    /// first (so the rate limit holds under concurrent requests) and removed
    /// again when the provider fails.
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
        let resend_ms = self.config.otp_resend_secs * 1000;
        let recent = sqlx::query(
            "SELECT created_at FROM sms_codes \
             WHERE phone_idx = $1 AND purpose = $2 AND created_at > $3 ORDER BY created_at",
        )
        .bind(&phone_idx)
        .bind(LOGIN_PURPOSE)
        .bind(now - DAY_MS)
        .fetch_all(&self.db.pool)
        .await?;
        if let Some(last) = recent.last() {
            let last_at = sql::int(last, "created_at")?;
            if now - last_at < resend_ms {
                return Err(ServiceError::RateLimited {
                    seconds: secs_left(last_at + resend_ms - now),
                });
            }
        }
        let in_day = i64::try_from(recent.len()).unwrap_or(i64::MAX);
        if in_day >= self.config.otp_max_per_day {
            let oldest = sql::int(&recent[0], "created_at")?;
            return Err(ServiceError::RateLimited {
                seconds: secs_left(oldest + DAY_MS - now),
            });
        }

        let code = six_digit_code()?;
        let id = crate::db::new_id();
        let mut tx = self.db.pool.begin().await?;
        let reserved = sqlx::query(
            "INSERT INTO sms_codes (id, phone_idx, purpose, code_hash, created_at, expires_at, \
                                    attempts, consumed) \
             SELECT $1, $2, $3, $4, $5, $6, 0, 0 \
             WHERE NOT EXISTS (SELECT 1 FROM sms_codes \
                               WHERE phone_idx = $2 AND purpose = $3 AND created_at > $7)",
        )
        .bind(&id)
        .bind(&phone_idx)
        .bind(LOGIN_PURPOSE)
        .bind(code_hash(&self.config.otp_secret, phone.as_str(), &code))
        .bind(now)
        .bind(now + self.config.otp_ttl_secs * 1000)
        .bind(now - resend_ms)
        .execute(&mut *tx)
        .await?;
        if reserved.rows_affected() == 0 {
            tx.rollback().await?;
            return Err(ServiceError::RateLimited {
                seconds: self.config.otp_resend_secs,
            });
        }
        tx.commit().await?;

        let minutes = (self.config.otp_ttl_secs + 59) / 60;
        let body =
            format!("【普惠金融】您的登录验证码是{code}，{minutes}分钟内有效。请勿告诉他人。");
        if let Err(err) = self.sms.send(&phone, &body).await {
            tracing::warn!(phone = %phone.masked(), %err, "login code not sent");
            sqlx::query("DELETE FROM sms_codes WHERE id = $1")
                .bind(&id)
                .execute(&self.db.pool)
                .await?;
            return Err(ServiceError::SmsFailed);
        }

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
        Ok(SentCode {
            phone_masked: phone.masked(),
            resend_after_secs: self.config.otp_resend_secs,
            expires_in_secs: self.config.otp_ttl_secs,
        })
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
