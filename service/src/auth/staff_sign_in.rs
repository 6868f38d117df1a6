//! Staff sign-in: the password (argon2id on a bounded pool, the guarded
//! failure count and lock, the same answer for unknown accounts), the second
//! factor when the account has one, and choosing a new password.

use super::*;
use domain::error_code::ErrorCode;

/// Why a staff password is checked.
#[derive(Debug, Clone, Copy)]
enum Check<'a> {
    /// Signing in, from this address when known, with the second factor's
    /// code when the account has one.
    SignIn(Option<IpAddr>, Option<&'a str>),
    /// The signed-in user confirms it (before changing it).
    Again,
}

impl crate::auth::Auth<'_> {
    /// Signs a member of staff in. Unknown users and wrong passwords get the
    /// same answer; too many wrong passwords lock the account for a while.
    pub async fn staff_login(
        self,
        username: &str,
        password: &str,
    ) -> Result<StaffActor, ServiceError> {
        self.staff_login_from(username, password, None, None).await
    }

    /// [`Auth::staff_login`](crate::auth::Auth::staff_login) from a known address, with the second
    /// factor's code: every attempt, the failed ones and those for unknown
    /// accounts included, is audited with the address. An account with a
    /// second factor answers a right password without a code with
    /// [`ServiceError::SecondFactorRequired`], and only a right code signs
    /// it in.
    pub async fn staff_login_from(
        self,
        username: &str,
        password: &str,
        code: Option<&str>,
        ip: Option<IpAddr>,
    ) -> Result<StaffActor, ServiceError> {
        let user_id = self
            .check_staff_password(username, password, Check::SignIn(ip, code))
            .await?;
        self.staff_actor(&user_id).await
    }

    /// Checks a member of staff's password, counting a wrong one towards
    /// the lock; returns their id. A sign-in stamps its time and is audited
    /// with the caller's address; a re-check (before a password change) is
    /// neither.
    async fn check_staff_password(
        self,
        username: &str,
        password: &str,
        check: Check<'_>,
    ) -> Result<String, ServiceError> {
        let sign_in = matches!(check, Check::SignIn(..));
        let (ip, code) = match check {
            Check::SignIn(ip, code) => (ip.map(|a| a.to_string()), code),
            Check::Again => (None, None),
        };
        let now = self.now();
        let username = username.trim();
        // An address that failed too often waits, whatever name it tries.
        if let Some(ip) = &ip {
            if let Some(until) =
                throttle::locked_until(&self.db, &throttle::ip_key(ip), now).await?
            {
                return Err(ServiceError::RateLimited {
                    seconds: secs_left(until - now),
                });
            }
        }
        let row = sqlx::query(
            "SELECT id, org_id, display_name, password_hash, locked_until, active, \
                    totp_sealed, totp_last_step \
             FROM staff_users WHERE username = $1",
        )
        .bind(username)
        .fetch_optional(&self.db.pool)
        .await?;
        let unknown = |why: &'static str| {
            // Who tried, as far as it is safe to keep: a username, never a
            // password typed into the username box.
            let tried = if username.len() <= 32
                && username
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c))
            {
                username.to_string()
            } else {
                "(invalid)".to_string()
            };
            NewAuditEntry::system(now, "staff.login_unknown", "staff_user", "-")
                .after(json!({ "username": tried, "reason": why, "ip": ip }))
        };
        let Some(row) = row else {
            self.audit_alone(unknown("no_such_user")).await?;
            return Err(self
                .unknown_account_failure(username, password, ip.as_deref(), now)
                .await?);
        };
        let user_id = sql::text(&row, "id")?;
        let org_id = sql::text(&row, "org_id")?;
        let display_name = sql::text(&row, "display_name")?;
        if sql::int(&row, "active")? != 1 {
            self.audit_alone(unknown("inactive")).await?;
            return Err(self
                .unknown_account_failure(username, password, ip.as_deref(), now)
                .await?);
        }
        let actor_entry = |action: &str| NewAuditEntry {
            at: now,
            actor_kind: "staff",
            actor_id: user_id.clone(),
            actor_name: display_name.clone(),
            org_id: Some(org_id.clone()),
            action: action.to_string(),
            entity: "staff_user".to_string(),
            entity_id: user_id.clone(),
            before_json: None,
            after_json: None,
        };
        // Count this guess as a failure before checking it, in one guarded
        // statement: a burst of parallel guesses gets at most `threshold`
        // of them checked, the rest find the account locked. A right
        // password then clears the count. An expired lock starts it again.
        let lock_until = now + self.config.lockout_minutes * 60_000;
        let claimed = sqlx::query(
            "UPDATE staff_users SET \
               failed_attempts = (CASE WHEN locked_until IS NOT NULL AND locked_until <= $2 \
                                  THEN 0 ELSE failed_attempts END) + 1, \
               locked_until = CASE \
                 WHEN (CASE WHEN locked_until IS NOT NULL AND locked_until <= $2 \
                       THEN 0 ELSE failed_attempts END) + 1 >= $3 THEN $4 \
                 WHEN locked_until IS NOT NULL AND locked_until <= $2 THEN NULL \
                 ELSE locked_until END \
             WHERE id = $1 AND (locked_until IS NULL OR locked_until <= $2) \
             RETURNING failed_attempts, locked_until",
        )
        .bind(&user_id)
        .bind(now)
        .bind(self.config.lockout_threshold)
        .bind(lock_until)
        .fetch_optional(&self.db.pool)
        .await?;
        let Some(claimed) = claimed else {
            let until = sql::opt_int(&row, "locked_until")?.unwrap_or(lock_until);
            self.audit_alone(actor_entry("staff.login_while_locked").after(json!({ "ip": ip })))
                .await?;
            return Err(ServiceError::AccountLocked {
                minutes: minutes_left((until - now).max(60_000)),
            });
        };
        let hash = PasswordHash(sql::text(&row, "password_hash")?);
        let ok = verify_blocking(Some(hash), password).await?;
        // A wrong password or second-factor code: the count claimed above
        // stands, and is audited.
        let failed = |action: &str, wrong: ServiceError| {
            let attempts = sql::int(&claimed, "failed_attempts");
            let locked = sql::opt_int(&claimed, "locked_until");
            let entry = actor_entry(action);
            let lock_entry = actor_entry("staff.locked")
                .after(json!({ "minutes": self.config.lockout_minutes }));
            let ip = ip.clone();
            async move {
                self.count_ip_failure(ip.as_deref(), now).await?;
                let attempts = attempts?;
                let locked = locked?.is_some_and(|u| u > now);
                let mut tx = self.db.pool.begin().await?;
                audit::append(
                    &mut tx,
                    &self.config.audit_key,
                    entry.after(json!({ "failed_attempts": attempts, "ip": ip })),
                )
                .await?;
                if locked {
                    audit::append(&mut tx, &self.config.audit_key, lock_entry).await?;
                }
                tx.commit().await?;
                Err::<String, _>(if locked {
                    ServiceError::AccountLocked {
                        minutes: self.config.lockout_minutes,
                    }
                } else {
                    wrong
                })
            }
        };
        if !ok {
            return failed("staff.login_failed", ServiceError::InvalidCredentials).await;
        }
        // The second factor, when the account has one: a right password alone
        // neither signs in nor clears the count, so the codes are guessed
        // no faster than passwords.
        if sign_in {
            if let Some(sealed) = sql::opt_text(&row, "totp_sealed")? {
                let stored = crate::totp::Stored {
                    secret: self
                        .config
                        .pfi
                        .open(crate::pfi::Field::TotpSecret, &sealed)?,
                    last_step: sql::opt_int(&row, "totp_last_step")?,
                };
                let Some(code) = code else {
                    // Asked for the code: this try takes back its count.
                    sqlx::query(
                        "UPDATE staff_users SET failed_attempts = failed_attempts - 1, \
                           locked_until = CASE WHEN failed_attempts - 1 >= $2 \
                                          THEN locked_until ELSE NULL END \
                         WHERE id = $1 AND failed_attempts > 0",
                    )
                    .bind(&user_id)
                    .bind(self.config.lockout_threshold)
                    .execute(&self.db.pool)
                    .await?;
                    return Err(ServiceError::SecondFactorRequired);
                };
                if !crate::totp::take_code(&self.db, &user_id, &stored, code, now).await? {
                    return failed("staff.totp_failed", ServiceError::SecondFactorInvalid).await;
                }
            }
        }
        let mut tx = self.db.pool.begin().await?;
        sqlx::query(
            "UPDATE staff_users SET failed_attempts = 0, locked_until = NULL, \
               last_login_at = CASE WHEN $3 = 1 THEN $2 ELSE last_login_at END \
             WHERE id = $1",
        )
        .bind(&user_id)
        .bind(now)
        .bind(i64::from(sign_in))
        .execute(&mut *tx)
        .await?;
        if sign_in {
            audit::append(
                &mut tx,
                &self.config.audit_key,
                actor_entry("staff.login").after(json!({ "ip": ip })),
            )
            .await?;
        }
        tx.commit().await?;
        Ok(user_id)
    }

    /// A sign-in to a name no (active) account has: the same work and the
    /// same answers as a wrong password on a real account, including the
    /// lock after `lockout_threshold` tries, counted under the name itself.
    async fn unknown_account_failure(
        self,
        username: &str,
        password: &str,
        ip: Option<&str>,
        now: i64,
    ) -> Result<ServiceError, ServiceError> {
        let key = throttle::unknown_user_key(&self.config.otp_secret, username);
        if let Some(until) = throttle::locked_until(&self.db, &key, now).await? {
            return Ok(ServiceError::AccountLocked {
                minutes: minutes_left(until - now),
            });
        }
        verify_blocking(None, password).await?;
        self.count_ip_failure(ip, now).await?;
        let window = self.config.lockout_minutes * 60_000;
        let locked =
            throttle::count_failure(&self.db, &key, self.config.lockout_threshold, window, now)
                .await?;
        Ok(match locked {
            Some(_) => ServiceError::AccountLocked {
                minutes: self.config.lockout_minutes,
            },
            None => ServiceError::InvalidCredentials,
        })
    }

    /// Counts a failed attempt against its source address; the address
    /// waits out `lockout_minutes` after `ip_failure_limit` failures.
    pub(super) async fn count_ip_failure(
        self,
        ip: Option<&str>,
        now: i64,
    ) -> Result<(), ServiceError> {
        let Some(ip) = ip else {
            return Ok(());
        };
        let window = self.config.lockout_minutes * 60_000;
        let key = throttle::ip_key(ip);
        let before = throttle::locked_until(&self.db, &key, now).await?;
        let locked =
            throttle::count_failure(&self.db, &key, self.config.ip_failure_limit, window, now)
                .await?;
        if before.is_none() && locked.is_some() {
            self.audit_alone(
                NewAuditEntry::system(now, "login.address_blocked", "address", ip).after(json!({
                    "failures": self.config.ip_failure_limit,
                    "minutes": self.config.lockout_minutes,
                })),
            )
            .await?;
        }
        Ok(())
    }

    /// A member of staff chooses a new password: the current one must be
    /// right (a wrong one counts towards the lock like a wrong sign-in), the
    /// new one must pass the policy ([`domain::password::check_new_password`])
    /// and differ from the current one. Clears the one-time flag.
    pub async fn change_password(
        self,
        s: &StaffActor,
        current: &str,
        new: &str,
    ) -> Result<(), ServiceError> {
        if let Err(e) = domain::password::check_new_password(new, &s.username) {
            return Err(ServiceError::Validation {
                code: e.code(),
                params: vec![("min", domain::password::MIN_PASSWORD_CHARS.to_string())],
            });
        }
        if new == current {
            return Err(ServiceError::invalid(ErrorCode::PasswordUnchanged));
        }
        // The same guarded count and check as a sign-in.
        self.check_staff_password(&s.username, current, Check::Again)
            .await
            .map_err(|e| match e {
                ServiceError::InvalidCredentials => {
                    ServiceError::invalid(ErrorCode::PasswordCurrentWrong)
                }
                other => other,
            })?;
        // Not one of the last few: the current hash and the history's.
        let earlier = sqlx::query(
            "SELECT password_hash FROM staff_users WHERE id = $1 \
             UNION ALL SELECT password_hash FROM (SELECT password_hash FROM staff_password_history \
               WHERE staff_id = $1 ORDER BY retired_at DESC LIMIT $2) h",
        )
        .bind(&s.user_id)
        .bind(self.config.password_history)
        .fetch_all(&self.db.pool)
        .await?;
        for r in &earlier {
            let old = PasswordHash::from_stored(sql::text(r, "password_hash")?);
            if verify_blocking(Some(old), new).await? {
                return Err(ServiceError::Validation {
                    code: ErrorCode::PasswordReused,
                    params: vec![("n", self.config.password_history.to_string())],
                });
            }
        }
        let hash = hash_password(new)?;
        let now = self.now();
        let mut tx = self.db.begin_write().await?;
        sqlx::query(
            "INSERT INTO staff_password_history (staff_id, password_hash, retired_at) \
             SELECT id, password_hash, $2 FROM staff_users WHERE id = $1",
        )
        .bind(&s.user_id)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "UPDATE staff_users SET password_hash = $2, must_change_password = 0, \
               password_changed_at = $3 WHERE id = $1",
        )
        .bind(&s.user_id)
        .bind(hash.as_str())
        .bind(now)
        .execute(&mut *tx)
        .await?;
        audit::append(
            &mut tx,
            &self.config.audit_key,
            NewAuditEntry::staff(s, now, "staff.password_changed", "staff_user", &s.user_id)
                .org(s.org_id.clone())
                .after(json!({ "one_time": s.must_change_password })),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}
