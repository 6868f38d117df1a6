//! Production's first steps, on SQLite and (when `PUHUI_TEST_PG_URL` is set)
//! PostgreSQL: `puhui init` makes the first bank and administrator on an
//! empty database, accounts start with a one-time password their holder
//! must replace, the password policy holds, and an operator adds branches
//! and staff, unlocks and resets accounts, all audited.

mod common;

use common::on_each_backend;
use domain::error_code::ErrorCode;
use domain::org::Role;
use service::staff::{FirstBank, NewOrg, NewStaff};
use service::{Clock, ServiceError};

fn assert_code<T: std::fmt::Debug>(r: Result<T, ServiceError>, code: ErrorCode) {
    match r {
        Err(e) => assert_eq!(e.code(), code, "{e:?}"),
        Ok(v) => panic!("expected {code}, got Ok({v:?})"),
    }
}

fn first_bank() -> FirstBank {
    FirstBank {
        union_code: "HBNX".into(),
        union_name: "河北省农村信用社联合社".into(),
        bank_code: "LCNSH".into(),
        bank_name: "栾城农商银行".into(),
        admin_username: "admin".into(),
        admin_name: "系统管理员".into(),
    }
}

#[tokio::test]
async fn a_new_installation_starts_with_one_administrator_who_must_choose_a_password() {
    on_each_backend(|env| async move {
        let s = &env.services;
        let otp = s.staff().init_bank(&first_bank()).await.expect("init");
        assert_code(
            s.staff().init_bank(&first_bank()).await,
            ErrorCode::DatabaseNotEmpty,
        );

        // The one-time password signs in, but only to choose a new one.
        let admin = s
            .auth()
            .staff_login("admin", otp.reveal())
            .await
            .expect("sign in");
        assert!(admin.must_change_password && admin.has(Role::Admin));
        assert!(admin.info().must_change_password);
        assert!(
            admin.bank_id.is_some(),
            "the administrator works for the bank"
        );

        // The policy, in the user's words.
        for (new, code) in [
            ("short1", ErrorCode::PasswordTooShort),
            ("onlyletterslong", ErrorCode::PasswordTooSimple),
            ("admin2026xyzw", ErrorCode::PasswordContainsUsername),
            ("Password2026!", ErrorCode::PasswordCommon),
        ] {
            assert_code(
                s.auth().change_password(&admin, otp.reveal(), new).await,
                code,
            );
        }
        assert_code(
            s.auth()
                .change_password(&admin, otp.reveal(), otp.reveal())
                .await,
            ErrorCode::PasswordUnchanged,
        );
        assert_code(
            s.auth()
                .change_password(&admin, "wrong-password-1", "Lm7#kq2Wz9x")
                .await,
            ErrorCode::PasswordCurrentWrong,
        );
        s.auth()
            .change_password(&admin, otp.reveal(), "Lm7#kq2Wz9x")
            .await
            .expect("changed");
        assert_code(
            s.auth().staff_login("admin", otp.reveal()).await,
            ErrorCode::InvalidCredentials,
        );
        let admin = s
            .auth()
            .staff_login("admin", "Lm7#kq2Wz9x")
            .await
            .expect("new one");
        assert!(!admin.must_change_password);

        // Branches and staff, each with their own one-time password.
        assert_code(
            s.staff()
                .add_org(&NewOrg {
                    parent_code: "NOPE".into(),
                    code: "LC01".into(),
                    name: "城关支行".into(),
                })
                .await,
            ErrorCode::OrgUnknown,
        );
        s.staff()
            .add_org(&NewOrg {
                parent_code: "LCNSH".into(),
                code: "LC01".into(),
                name: "城关支行".into(),
            })
            .await
            .expect("branch");
        assert_code(
            s.staff()
                .add_org(&NewOrg {
                    parent_code: "LCNSH".into(),
                    code: "LC01".into(),
                    name: "重复".into(),
                })
                .await,
            ErrorCode::OrgCodeTaken,
        );
        let officer = NewStaff {
            org_code: "LC01".into(),
            username: "zhang.wei".into(),
            display_name: "张伟".into(),
            roles: vec![Role::Officer],
        };
        let first = s.staff().add_staff(&officer).await.expect("staff");
        assert_code(
            s.staff().add_staff(&officer).await,
            ErrorCode::UsernameTaken,
        );
        assert_ne!(first.reveal(), otp.reveal());
        let zhang = s
            .auth()
            .staff_login("zhang.wei", first.reveal())
            .await
            .unwrap();
        assert!(zhang.must_change_password && zhang.has(Role::Officer));
        assert_eq!(zhang.org_name, "城关支行");

        // Locked by wrong guesses; the operator unlocks; then resets.
        for _ in 0..5 {
            let _ = s.auth().staff_login("zhang.wei", "guess-guess-1").await;
        }
        assert_code(
            s.auth().staff_login("zhang.wei", first.reveal()).await,
            ErrorCode::AccountLocked,
        );
        s.staff().unlock_staff("zhang.wei").await.expect("unlock");
        s.auth()
            .staff_login("zhang.wei", first.reveal())
            .await
            .expect("unlocked");
        let second = s
            .staff()
            .reset_staff_password("zhang.wei")
            .await
            .expect("reset");
        assert_code(
            s.auth().staff_login("zhang.wei", first.reveal()).await,
            ErrorCode::InvalidCredentials,
        );
        let zhang = s
            .auth()
            .staff_login("zhang.wei", second.reveal())
            .await
            .unwrap();
        assert!(zhang.must_change_password);
        assert_code(s.staff().unlock_staff("nobody").await, ErrorCode::NotFound);

        for action in [
            "organisation.created",
            "staff.created",
            "staff.password_changed",
            "staff.unlocked",
            "staff.password_reset",
        ] {
            assert!(
                env.scalar_i64(&format!(
                    "SELECT COUNT(*) FROM audit_log WHERE action = '{action}'"
                ))
                .await
                    > 0,
                "{action} audited"
            );
        }
        // The one-time passwords are nowhere in the database or the log.
        for p in [&otp, &first, &second] {
            assert_eq!(
                env.scalar_i64(&format!(
                    "SELECT COUNT(*) FROM audit_log WHERE after_json LIKE '%{}%'",
                    p.reveal()
                ))
                .await,
                0
            );
        }
    })
    .await;
}

/// Every sign-in attempt is in the audit log with the address it came from:
/// unknown accounts (the name kept only when it cannot be a password),
/// wrong passwords, attempts on a locked account, wrong SMS codes (the
/// phone masked), and the sign-ins that succeed.
#[tokio::test]
async fn sign_in_attempts_are_audited_with_their_address() {
    on_each_backend(|env| async move {
        env.seed().await;
        let s = &env.services;
        let ip: std::net::IpAddr = "203.0.113.7".parse().unwrap();
        let entries = |action: &'static str| {
            let env = env.clone();
            async move {
                let rows: Vec<(Option<String>,)> = sqlx::query_as(
                    "SELECT after_json FROM audit_log WHERE action = $1 ORDER BY seq",
                )
                .bind(action)
                .fetch_all(&env.db.pool)
                .await
                .unwrap();
                rows.into_iter()
                    .map(|(a,)| {
                        serde_json::from_str::<serde_json::Value>(&a.unwrap_or_default()).unwrap()
                    })
                    .collect::<Vec<_>>()
            }
        };

        assert_code(
            s.auth()
                .staff_login_from("ghost", "x", None, Some(ip))
                .await,
            ErrorCode::InvalidCredentials,
        );
        assert_code(
            s.auth()
                .staff_login_from("Lm7#kq2Wz9x!", "x", None, Some(ip))
                .await,
            ErrorCode::InvalidCredentials,
        );
        let unknown = entries("staff.login_unknown").await;
        assert_eq!(unknown.len(), 2);
        assert_eq!(unknown[0]["username"], "ghost");
        assert_eq!(unknown[0]["ip"], "203.0.113.7");
        assert_eq!(
            unknown[1]["username"], "(invalid)",
            "a password typed as a name"
        );

        for _ in 0..5 {
            let _ = s
                .auth()
                .staff_login_from("officer1", "wrong-wrong-1", None, Some(ip))
                .await;
        }
        assert_code(
            s.auth()
                .staff_login_from("officer1", service::demo::DEMO_PASSWORD, None, Some(ip))
                .await,
            ErrorCode::AccountLocked,
        );
        let failed = entries("staff.login_failed").await;
        assert_eq!(failed.len(), 5);
        assert!(failed.iter().all(|e| e["ip"] == "203.0.113.7"));
        assert_eq!(entries("staff.login_while_locked").await.len(), 1);

        s.auth()
            .staff_login_from("approver1", service::demo::DEMO_PASSWORD, None, Some(ip))
            .await
            .expect("sign in");
        assert_eq!(
            entries("staff.login").await.last().unwrap()["ip"],
            "203.0.113.7"
        );

        let phone = "13800000001";
        s.auth().send_login_code(phone).await.expect("code sent");
        let wrong = ["000000", "111111"];
        let mut failures = 0;
        for code in wrong {
            if s.auth()
                .customer_login_from(phone, code, Some(ip))
                .await
                .is_err()
            {
                failures += 1;
            }
        }
        let failed = entries("customer.login_failed").await;
        assert_eq!(failed.len(), failures);
        for e in &failed {
            assert_eq!(e["ip"], "203.0.113.7");
            assert_eq!(e["phone"], "138****0001");
        }
        assert_eq!(
            env.scalar_i64(&format!(
                "SELECT COUNT(*) FROM audit_log WHERE after_json LIKE '%{phone}%'"
            ))
            .await,
            0,
            "no whole phone number in the log"
        );
    })
    .await;
}

/// Nobody learns which usernames exist: a name no account has locks after
/// the same number of failures, with the same answers, as a real account.
/// One address that fails too often waits, whatever name it tries next.
#[tokio::test]
async fn unknown_names_lock_like_real_ones_and_a_busy_address_waits() {
    on_each_backend(|env| async move {
        env.seed().await;
        let s = &env.services;
        let a: std::net::IpAddr = "198.51.100.1".parse().unwrap();
        let b: std::net::IpAddr = "198.51.100.2".parse().unwrap();
        let answers = |name: &'static str, ip: std::net::IpAddr| async move {
            let mut seen = Vec::new();
            for _ in 0..6 {
                let e = s
                    .auth()
                    .staff_login_from(name, "wrong-wrong-1", None, Some(ip))
                    .await
                    .unwrap_err();
                seen.push((e.code(), e.params()));
            }
            seen
        };
        let real = answers("officer2", a).await;
        let ghost = answers("no.such.officer", a).await;
        assert_eq!(
            real, ghost,
            "the same answers for a real and an unknown name"
        );
        assert_eq!(real[3].0, ErrorCode::InvalidCredentials);
        assert_eq!(real[4].0, ErrorCode::AccountLocked);
        assert_eq!(real[5].0, ErrorCode::AccountLocked);
        // Nothing in the table is the name that was typed.
        assert_eq!(
            env.scalar_i64("SELECT COUNT(*) FROM login_throttle WHERE key LIKE '%no.such%'")
                .await,
            0
        );

        // Address a has failed 10 times (the locked tries did not count);
        // 20 more wrong passwords over other names reach its limit of 30.
        for i in 0..20 {
            let name = format!("nobody{i}");
            let _ = s
                .auth()
                .staff_login_from(&name, "wrong-wrong-1", None, Some(a))
                .await;
        }
        let blocked = s
            .auth()
            .staff_login_from("approver1", service::demo::DEMO_PASSWORD, None, Some(a))
            .await
            .unwrap_err();
        assert_eq!(blocked.code(), ErrorCode::RateLimited);
        assert!(
            env.scalar_i64("SELECT COUNT(*) FROM audit_log WHERE action = 'login.address_blocked'")
                .await
                == 1
        );
        // Another address is not held up, nor a sign-in without one.
        s.auth()
            .staff_login_from("approver1", service::demo::DEMO_PASSWORD, None, Some(b))
            .await
            .expect("another address");
        // After the window, the address may try again.
        env.clock.advance_secs(16 * 60);
        s.auth()
            .staff_login_from("approver1", service::demo::DEMO_PASSWORD, None, Some(a))
            .await
            .expect("the wait is over");
    })
    .await;
}

/// Behind a trusted proxy the client is the address the proxy saw (the last
/// X-Forwarded-For entry; earlier ones are the client's own claims); from
/// anyone else the header is ignored.
#[tokio::test]
async fn the_client_address_is_the_peer_unless_a_trusted_proxy_names_it() {
    on_each_backend(|env| async move {
        let mut s = env.services.clone();
        let proxy: std::net::IpAddr = "10.0.0.5".parse().unwrap();
        let client: std::net::IpAddr = "203.0.113.9".parse().unwrap();
        let forged = Some("1.2.3.4, 203.0.113.9");
        assert_eq!(s.client_address(Some(proxy), forged), Some(proxy));
        s.config.trusted_proxies = vec![proxy];
        assert_eq!(s.client_address(Some(proxy), forged), Some(client));
        assert_eq!(s.client_address(Some(proxy), None), Some(proxy));
        assert_eq!(s.client_address(Some(proxy), Some("junk")), Some(proxy));
        assert_eq!(s.client_address(Some(client), forged), Some(client));
        assert_eq!(s.client_address(None, forged), None);
    })
    .await;
}

/// A customer's file and a loan's ledger are read by the roles that work on
/// them, in their scope: a bank-level product or marketing manager and the
/// administrator cover every branch but read no one's file.
#[tokio::test]
async fn a_customers_file_is_read_by_the_roles_that_work_on_it() {
    on_each_backend(|env| async move {
        env.seed().await;
        let s = &env.services;
        // A loan of branch BJ01-01 (officer1's), its application and customer.
        let (loan, application, customer): (String, String, String) = sqlx::query_as(
            "SELECT l.id, l.application_id, l.customer_id FROM loans l \
             JOIN organisations b ON b.id = l.branch_id WHERE b.code = 'BJ01-01' \
             ORDER BY l.id LIMIT 1",
        )
        .fetch_one(&env.db.pool)
        .await
        .expect("a loan of the branch");
        for (who, file, ledger) in [
            ("officer1", true, true),
            ("investigator1", true, false),
            ("approver1", true, true),
            ("postloan1", true, true),
            ("head1", true, true),
            ("risk1", true, true),
            ("product1", false, false),
            ("marketing1", false, false),
            ("admin", false, false),
            // The right role out of scope: another branch, another bank.
            ("officer3", false, false),
            ("officer4", false, false),
        ] {
            let a = env.staff(who).await;
            let outcome = |r: Result<(), ServiceError>| match r {
                Ok(()) => true,
                Err(ServiceError::Forbidden) => false,
                Err(e) => panic!("{who}: {e:?}"),
            };
            let reads = [
                outcome(
                    s.applications()
                        .application_for_staff(&a, &application)
                        .await
                        .map(drop),
                ),
                outcome(s.customers().portrait(&a, &customer).await.map(drop)),
                outcome(
                    s.risk()
                        .application_decisions(&a, &application)
                        .await
                        .map(drop),
                ),
                outcome(
                    s.workflow()
                        .application_tasks(&a, &application)
                        .await
                        .map(drop),
                ),
            ];
            assert_eq!(reads, [file; 4], "{who} reading the file");
            assert_eq!(
                outcome(s.loans().loan_for_staff(&a, &loan).await.map(drop)),
                ledger,
                "{who} reading the ledger"
            );
            // Lines: refused to the wrong role; out of scope, none shown.
            match s.servicing().lines_of_customer(&a, &customer).await {
                Ok(lines) => assert!(file || lines.is_empty(), "{who} read {lines:?}"),
                Err(e) => assert!(
                    !file && matches!(e, ServiceError::Forbidden),
                    "{who}: {e:?}"
                ),
            }
        }
    })
    .await;
}

/// A password lasts 90 days, then the next request must change it first;
/// a new one may repeat none of the last five (nor the current one).
#[tokio::test]
async fn passwords_expire_and_are_not_reused() {
    on_each_backend(|env| async move {
        let s = &env.services;
        let otp = s.staff().init_bank(&first_bank()).await.expect("init");
        let admin = s.auth().staff_login("admin", otp.reveal()).await.unwrap();
        let passwords = ["Lm7#kq2Wz9x-1", "Lm7#kq2Wz9x-2", "Lm7#kq2Wz9x-3"];
        let mut current = otp.reveal().to_string();
        for p in passwords {
            let me = s.auth().staff_actor(&admin.user_id).await.unwrap();
            s.auth()
                .change_password(&me, &current, p)
                .await
                .expect("changed");
            current = p.to_string();
        }
        let me = s.auth().staff_actor(&admin.user_id).await.unwrap();
        assert!(!me.must_change_password);
        for earlier in [passwords[0], passwords[1], otp.reveal()] {
            let e = s
                .auth()
                .change_password(&me, &current, earlier)
                .await
                .unwrap_err();
            assert_eq!(e.code(), ErrorCode::PasswordReused, "{earlier}");
        }
        // 89 days on it still holds; past 90 it must be changed first.
        env.clock.advance_secs(89 * 86_400);
        assert!(
            !s.auth()
                .staff_actor(&admin.user_id)
                .await
                .unwrap()
                .must_change_password
        );
        env.clock.advance_secs(2 * 86_400);
        let me = s.auth().staff_actor(&admin.user_id).await.unwrap();
        assert!(me.must_change_password && me.info().must_change_password);
        s.auth()
            .change_password(&me, &current, "Lm7#kq2Wz9x-4")
            .await
            .expect("changed");
        assert!(
            !s.auth()
                .staff_actor(&admin.user_id)
                .await
                .unwrap()
                .must_change_password
        );
    })
    .await;
}

/// Administrators and approvers sign in with a second factor (TOTP) in
/// production: they must enrol an authenticator app first; then a right
/// password alone neither signs in nor clears the lock's count, a code is
/// taken once (also by two sign-ins racing with it), wrong codes lock the
/// account like wrong passwords, and an operator can remove a lost app.
#[tokio::test]
async fn administrators_and_approvers_sign_in_with_a_second_factor() {
    on_each_backend(|env| async move {
        let mut s = env.services.clone();
        s.config.totp_roles = vec![Role::Admin, Role::Approver];
        let s = &s;
        let code = |secret: &str| service::totp::code_now(secret, env.clock.now_millis()).unwrap();
        let otp = s.staff().init_bank(&first_bank()).await.expect("init");
        let admin = s.auth().staff_login("admin", otp.reveal()).await.unwrap();
        s.auth()
            .change_password(&admin, otp.reveal(), "Lm7#kq2Wz9x")
            .await
            .unwrap();
        let pw = "Lm7#kq2Wz9x";
        let admin = s
            .auth()
            .staff_login("admin", pw)
            .await
            .expect("no factor yet");
        assert!(admin.totp_enrolment_required && !admin.totp_enrolled);
        assert!(admin.info().totp_enrolment_required);

        // Enrolment: the app proves it holds the secret.
        assert_code(
            s.staff().confirm_totp(&admin, "123456").await,
            ErrorCode::TotpNotStarted,
        );
        let first = s.staff().begin_totp(&admin).await.unwrap();
        let enrolment = s.staff().begin_totp(&admin).await.unwrap();
        assert_ne!(first.secret, enrolment.secret, "starting again replaces it");
        assert!(enrolment.uri.starts_with("otpauth://totp/") && enrolment.uri.contains(":admin?"));
        let wrong = if code(&first.secret) == "000000" {
            "111111"
        } else {
            "000000"
        };
        assert_code(
            s.staff().confirm_totp(&admin, wrong).await,
            ErrorCode::SecondFactorInvalid,
        );
        if code(&first.secret) != code(&enrolment.secret) {
            assert_code(
                s.staff().confirm_totp(&admin, &code(&first.secret)).await,
                ErrorCode::SecondFactorInvalid,
            );
        }
        let enrolled_with = code(&enrolment.secret);
        s.staff()
            .confirm_totp(&admin, &enrolled_with)
            .await
            .expect("enrolled");
        let me = s.auth().staff_actor(&admin.user_id).await.unwrap();
        assert!(me.totp_enrolled && !me.totp_enrolment_required);
        assert_code(
            s.staff().begin_totp(&me).await,
            ErrorCode::TotpAlreadyEnrolled,
        );
        let stored: String =
            sqlx::query_scalar("SELECT totp_sealed FROM staff_users WHERE username = 'admin'")
                .fetch_one(&env.db.pool)
                .await
                .unwrap();
        assert!(stored.starts_with("pfi1.") && !stored.contains(&enrolment.secret));

        // A right password alone: asked for the code, nothing counted.
        let failures = || async {
            sqlx::query_scalar::<_, i64>(
                "SELECT CAST(failed_attempts AS BIGINT) FROM staff_users WHERE username = 'admin'",
            )
            .fetch_one(&env.db.pool)
            .await
            .unwrap()
        };
        let before = failures().await;
        assert_code(
            s.auth().staff_login("admin", pw).await,
            ErrorCode::SecondFactorRequired,
        );
        assert_eq!(failures().await, before);
        // The code the app was confirmed with is spent.
        assert_code(
            s.auth()
                .staff_login_from("admin", pw, Some(&enrolled_with), None)
                .await,
            ErrorCode::SecondFactorInvalid,
        );
        // A wrong password with a right code is still a wrong password.
        env.clock.advance_secs(30);
        assert_code(
            s.auth()
                .staff_login_from(
                    "admin",
                    "Wrong-pass-123",
                    Some(&code(&enrolment.secret)),
                    None,
                )
                .await,
            ErrorCode::InvalidCredentials,
        );
        let signed_in = s
            .auth()
            .staff_login_from("admin", pw, Some(&code(&enrolment.secret)), None)
            .await
            .expect("password and code");
        assert!(signed_in.totp_enrolled);
        assert_eq!(failures().await, 0);

        // Two sign-ins racing with one fresh code: one gets in.
        env.clock.advance_secs(30);
        let fresh = code(&enrolment.secret);
        let (a, b) = tokio::join!(
            s.auth().staff_login_from("admin", pw, Some(&fresh), None),
            s.auth().staff_login_from("admin", pw, Some(&fresh), None)
        );
        assert_eq!(u8::from(a.is_ok()) + u8::from(b.is_ok()), 1, "{a:?} {b:?}");

        // Wrong codes lock the account; a right password then changes nothing.
        env.clock.advance_secs(30);
        let wrong = if code(&enrolment.secret) == "000000" {
            "111111"
        } else {
            "000000"
        };
        for _ in 0..4 {
            assert_code(
                s.auth()
                    .staff_login_from("admin", pw, Some(wrong), None)
                    .await,
                ErrorCode::SecondFactorInvalid,
            );
        }
        assert_code(
            s.auth().staff_login("admin", pw).await,
            ErrorCode::SecondFactorRequired,
        );
        assert_code(
            s.auth()
                .staff_login_from("admin", pw, Some(wrong), None)
                .await,
            ErrorCode::AccountLocked,
        );
        assert_code(
            s.auth()
                .staff_login_from("admin", pw, Some(&code(&enrolment.secret)), None)
                .await,
            ErrorCode::AccountLocked,
        );
        s.staff().unlock_staff("admin").await.unwrap();

        // A lost phone: the operator removes the factor; enrolment again.
        s.staff().reset_staff_totp("admin").await.expect("reset");
        let admin = s
            .auth()
            .staff_login("admin", pw)
            .await
            .expect("no factor now");
        assert!(admin.totp_enrolment_required);
        assert_code(
            s.staff().reset_staff_totp("nobody").await,
            ErrorCode::NotFound,
        );

        // Roles that do not require it: not asked, but may enrol.
        let officer = s
            .staff()
            .add_staff(&NewStaff {
                org_code: "LCNSH".into(),
                username: "li.na".into(),
                display_name: "李娜".into(),
                roles: vec![Role::Officer],
            })
            .await
            .unwrap();
        let li = s
            .auth()
            .staff_login("li.na", officer.reveal())
            .await
            .unwrap();
        assert!(!li.totp_enrolment_required && !li.totp_enrolled);

        let actions: Vec<String> = sqlx::query_scalar("SELECT action FROM audit_log ORDER BY seq")
            .fetch_all(&env.db.pool)
            .await
            .unwrap();
        for a in [
            "staff.totp_enrolled",
            "staff.totp_failed",
            "staff.locked",
            "staff.totp_reset",
        ] {
            assert!(actions.iter().any(|x| x == a), "{a} audited");
        }
    })
    .await;
}
