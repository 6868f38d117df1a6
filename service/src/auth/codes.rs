//! One-time SMS codes, one `purpose` each in `sms_codes`: signing in, and
//! confirming a contract (签约). Peppered hash, resend wait, daily limit and
//! guess limit alike; sending is one function for every purpose.

use super::*;

impl crate::auth::Auth<'_> {
    /// Sends a code for `purpose` to `phone`, `body(code, minutes)` its
    /// text. Rate-limited per phone and purpose like the login code; the
    /// row is removed again when the provider fails.
    pub(crate) async fn send_purpose_code(
        self,
        phone: &Phone,
        purpose: &str,
        body: &(dyn Fn(&str, i64) -> String + Sync),
    ) -> Result<(String, SentCode), ServiceError> {
        let now = self.now();
        let phone_idx = self.config.pfi.index(Field::Phone, phone.as_str());
        let resend_ms = self.config.otp_resend_secs * 1000;
        let recent = sqlx::query(
            "SELECT created_at FROM sms_codes \
             WHERE phone_idx = $1 AND purpose = $2 AND created_at > $3 ORDER BY created_at",
        )
        .bind(&phone_idx)
        .bind(purpose)
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
        if i64::try_from(recent.len()).unwrap_or(i64::MAX) >= self.config.otp_max_per_day {
            let oldest = sql::int(&recent[0], "created_at")?;
            return Err(ServiceError::RateLimited {
                seconds: secs_left(oldest + DAY_MS - now),
            });
        }
        let code = six_digit_code()?;
        let id = crate::db::new_id();
        let mut tx = self.db.begin_write().await?;
        let reserved = sqlx::query(
            "INSERT INTO sms_codes (id, phone_idx, purpose, code_hash, created_at, expires_at, \
                                    attempts, consumed) \
             SELECT $1, $2, $3, $4, $5, $6, 0, 0 \
             WHERE NOT EXISTS (SELECT 1 FROM sms_codes \
                               WHERE phone_idx = $2 AND purpose = $3 AND created_at > $7)",
        )
        .bind(&id)
        .bind(&phone_idx)
        .bind(purpose)
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
        if let Err(err) = self.sms.send(phone, &body(&code, minutes)).await {
            tracing::warn!(phone = %phone.masked(), %err, purpose, "code not sent");
            sqlx::query("DELETE FROM sms_codes WHERE id = $1")
                .bind(&id)
                .execute(&self.db.pool)
                .await?;
            return Err(ServiceError::SmsFailed);
        }
        Ok((
            id,
            SentCode {
                phone_masked: phone.masked(),
                resend_after_secs: self.config.otp_resend_secs,
                expires_in_secs: self.config.otp_ttl_secs,
            },
        ))
    }

    /// Checks `code` against the newest unused code of `purpose` sent to
    /// `phone`, taking one of its guesses first (so parallel guesses get at
    /// most `otp_max_attempts` compared). Returns the code's id; it stays
    /// unused until the caller's transaction takes it ([`take_code`]).
    /// `CodeExpired` when there is none left to try, `CodeInvalid` when
    /// wrong.
    pub(crate) async fn check_purpose_code(
        self,
        phone: &Phone,
        purpose: &str,
        code: &str,
    ) -> Result<String, ServiceError> {
        let now = self.now();
        let phone_idx = self.config.pfi.index(Field::Phone, phone.as_str());
        let row = sqlx::query(
            "SELECT id, code_hash, expires_at, attempts FROM sms_codes \
             WHERE phone_idx = $1 AND purpose = $2 AND consumed = 0 \
             ORDER BY created_at DESC LIMIT 1",
        )
        .bind(&phone_idx)
        .bind(purpose)
        .fetch_optional(&self.db.pool)
        .await?
        .ok_or(ServiceError::CodeExpired)?;
        let id = sql::text(&row, "id")?;
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
        let given = code_hash(&self.config.otp_secret, phone.as_str(), code.trim());
        if !same_bytes(&sql::text(&row, "code_hash")?, &given) {
            return Err(ServiceError::CodeInvalid);
        }
        Ok(id)
    }
}

/// Marks a checked code used inside the caller's transaction: `false` when
/// it was used (or expired) meanwhile, by a parallel request.
pub(crate) async fn take_code(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    id: &str,
    now: i64,
) -> Result<bool, ServiceError> {
    let used = sqlx::query(
        "UPDATE sms_codes SET consumed = 1 WHERE id = $1 AND consumed = 0 AND expires_at > $2",
    )
    .bind(id)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(used.rows_affected() == 1)
}
