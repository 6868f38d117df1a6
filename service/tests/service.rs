//! Database tests of the use cases, each on SQLite and (when
//! `PUHUI_TEST_PG_URL` is set) PostgreSQL.

mod common;

use domain::notice::DeclineCategory;
use std::collections::HashSet;

use common::{on_each_backend, today, Env};
use domain::application::{ApplicationStatus, Decision};
use domain::error_code::ErrorCode;
use domain::money::Fen;
use service::applications::InvestigationInput;
use service::applications::NewApplication;
use service::pfi::Field;
use service::session_store::AnySessionStore;
use service::ServiceError;
use tower_sessions::session::{Id, Record};
use tower_sessions::SessionStore;

const LI: &str = "13800000001";
const WANG: &str = "13800000002";

/// The code in the newest SMS sent to `phone`.
async fn last_code(env: &Env, phone: &str) -> String {
    let sealed = env
        .scalar_text(&format!(
            "SELECT body_sealed FROM sms_outbox WHERE phone_idx = '{}' AND status = 'sent' \
             ORDER BY created_at DESC, id DESC LIMIT 1",
            env.phone_idx(phone)
        ))
        .await;
    let body = env.open(Field::SmsBody, &sealed);
    let digits: String = body.chars().filter(|c| c.is_ascii_digit()).collect();
    digits[..6].to_string()
}

/// A product of the customer's bank (惠农e贷, 10,000 – 300,000 yuan, 6 – 36 months).
async fn first_product(env: &Env, bank_id: &str) -> String {
    env.services
        .products()
        .list_products(Some(bank_id))
        .await
        .expect("products")[0]
        .id
        .to_string()
}

fn request(product_id: &str, yuan: i64, key: &str) -> NewApplication {
    NewApplication {
        repayment_method: None,
        guarantee_type: None,
        product_id: product_id.to_string(),
        amount: Fen::from_yuan(yuan),
        term_months: 12,
        purpose: "购买化肥种子".to_string(),
        consent: true,
        idempotency_key: key.to_string(),
    }
}

fn investigation(amount: Fen) -> InvestigationInput {
    InvestigationInput {
        visited_on: today(),
        household_income: Fen::from_yuan(120_000),
        household_assets: Fen::from_yuan(400_000),
        household_debts: Fen::from_yuan(20_000),
        findings: "实地走访，经营正常，收入稳定。".to_string(),
        recommendation: Decision::Approve,
        recommended_amount: amount,
    }
}

/// 李秀英 applies for 50,000 yuan; returns the application id.
async fn li_applies(env: &Env, key: &str) -> String {
    let li = env.customer(LI).await;
    let product = first_product(env, &li.bank_id).await;
    env.services
        .applications()
        .submit_application(&li, request(&product, 50_000, key))
        .await
        .expect("submit")
}

/// An application of 李秀英, investigated by officer1, ready for approval.
async fn investigated_application(env: &Env) -> String {
    let id = li_applies(env, "key-investigated").await;
    let officer = env.staff("officer1").await;
    env.services
        .applications()
        .record_investigation(&officer, &id, 1, investigation(Fen::from_yuan(50_000)))
        .await
        .expect("investigate");
    id
}

fn assert_code<T: std::fmt::Debug>(r: Result<T, ServiceError>, code: ErrorCode) {
    match r {
        Err(e) => assert_eq!(e.code(), code, "{e:?}"),
        Ok(v) => panic!("expected {code}, got Ok({v:?})"),
    }
}

#[tokio::test]
async fn migrations_create_the_schema() {
    on_each_backend(|env| async move {
        env.db.migrate().await.expect("second migrate is a no-op");
        for table in [
            "organisations",
            "customers",
            "applications",
            "loans",
            "audit_log",
            "sessions",
        ] {
            assert_eq!(
                env.scalar_i64(&format!("SELECT COUNT(*) FROM {table}"))
                    .await,
                0,
                "{table}"
            );
        }
        assert_eq!(
            env.scalar_i64("SELECT seq FROM audit_head WHERE id = 1")
                .await,
            0
        );
        assert!(service::demo::is_empty(&env.db).await.unwrap());
    })
    .await;
}

#[tokio::test]
async fn staff_login_checks_the_password() {
    on_each_backend(|env| async move {
        env.seed().await;
        let s = &env.services;
        let admin = s
            .auth()
            .staff_login("admin", service::demo::DEMO_PASSWORD)
            .await
            .expect("admin");
        assert!(admin.has(domain::org::Role::Admin));
        assert_eq!(admin.bank_id, None);
        let officer = s
            .auth()
            .staff_login("officer1", "puhui2026")
            .await
            .expect("officer1");
        assert!(officer.bank_id.is_some());
        assert!(officer.covers(&officer.org_path));
        assert_code(
            s.auth().staff_login("officer1", "wrong").await,
            ErrorCode::InvalidCredentials,
        );
        assert_code(
            s.auth().staff_login("nobody", "puhui2026").await,
            ErrorCode::InvalidCredentials,
        );
        let audited = env
            .scalar_i64("SELECT COUNT(*) FROM audit_log WHERE action = 'staff.login'")
            .await;
        assert_eq!(audited, 2);
        let failed = env
            .scalar_i64("SELECT COUNT(*) FROM audit_log WHERE action = 'staff.login_failed'")
            .await;
        assert_eq!(failed, 1);
    })
    .await;
}

#[tokio::test]
async fn five_wrong_passwords_lock_the_account() {
    on_each_backend(|env| async move {
        env.seed().await;
        let s = &env.services;
        for _ in 0..4 {
            assert_code(
                s.auth().staff_login("approver1", "nope").await,
                ErrorCode::InvalidCredentials,
            );
        }
        match s.auth().staff_login("approver1", "nope").await {
            Err(ServiceError::AccountLocked { minutes }) => assert_eq!(minutes, 15),
            other => panic!("expected a lock, got {other:?}"),
        }
        // Even the right password is refused while locked.
        assert_code(
            s.auth().staff_login("approver1", "puhui2026").await,
            ErrorCode::AccountLocked,
        );
        env.clock.advance_secs(16 * 60);
        s.auth()
            .staff_login("approver1", "puhui2026")
            .await
            .expect("unlocked after the wait");
        assert_eq!(
            env.scalar_i64("SELECT failed_attempts FROM staff_users WHERE username = 'approver1'")
                .await,
            0
        );
        assert_eq!(
            env.scalar_i64("SELECT COUNT(*) FROM audit_log WHERE action = 'staff.locked'")
                .await,
            1
        );
    })
    .await;
}

#[tokio::test]
async fn otp_login_with_the_sent_code() {
    on_each_backend(|env| async move {
        env.seed().await;
        let s = &env.services;
        let sent = s.auth().send_login_code(LI).await.expect("send");
        assert_eq!(sent.phone_masked, "138****0001");
        assert_eq!(sent.resend_after_secs, 60);
        assert_eq!(sent.expires_in_secs, 300);
        let code = last_code(&env, LI).await;
        // Only a hash is stored.
        let stored = env
            .scalar_text(&format!(
                "SELECT code_hash FROM sms_codes WHERE phone_idx = '{}'",
                env.phone_idx(LI)
            ))
            .await;
        assert_ne!(stored, code);
        assert_eq!(stored.len(), 64);

        let wrong = if code == "000000" { "111111" } else { "000000" };
        assert_code(
            s.auth().customer_login(LI, wrong).await,
            ErrorCode::CodeInvalid,
        );
        let actor = s.auth().customer_login(LI, &code).await.expect("login");
        assert_eq!(actor.name, "李秀英");
        assert_eq!(actor.phone_masked, "138****0001");
        // A code works once.
        assert_code(
            s.auth().customer_login(LI, &code).await,
            ErrorCode::CodeExpired,
        );
        let audited = env
            .scalar_i64("SELECT COUNT(*) FROM audit_log WHERE action = 'customer.login'")
            .await;
        assert_eq!(audited, 1);
        let otp_audit = env
            .scalar_text("SELECT after_json FROM audit_log WHERE action = 'otp.sent'")
            .await;
        assert!(
            otp_audit.contains("138****0001") && !otp_audit.contains(LI),
            "{otp_audit}"
        );
    })
    .await;
}

/// The review's raced counters: a burst of 40 guesses at once got more than
/// five evaluated, against a login code and against a staff password. Now
/// each guess takes its turn in one guarded statement before it is checked.
#[tokio::test]
async fn a_burst_of_guesses_gets_no_more_than_five_checked() {
    on_each_backend(|env| async move {
        env.seed().await;
        let s = env.services.clone();
        s.auth().send_login_code(LI).await.expect("send");
        let code = last_code(&env, LI).await;
        let wrong = if code == "999999" { "888888" } else { "999999" };
        let guesses: Vec<_> = (0..40)
            .map(|_| {
                let s = s.clone();
                tokio::spawn(async move { s.auth().customer_login(LI, wrong).await.map(|_| ()) })
            })
            .collect();
        let mut checked = 0;
        for g in guesses {
            match g.await.expect("task") {
                Err(e) if e.code() == ErrorCode::CodeInvalid => checked += 1,
                Err(e) => assert_eq!(e.code(), ErrorCode::CodeExpired),
                Ok(()) => panic!("a wrong code signed in"),
            }
        }
        assert_eq!(checked, 5);
        assert_eq!(
            env.scalar_i64(&format!(
                "SELECT attempts FROM sms_codes WHERE phone_idx = '{}'",
                env.phone_idx(LI)
            ))
            .await,
            5
        );
        assert_code(
            s.auth().customer_login(LI, &code).await,
            ErrorCode::CodeExpired,
        );

        let guesses: Vec<_> = (0..40)
            .map(|i| {
                let s = s.clone();
                tokio::spawn(async move {
                    s.auth()
                        .staff_login("officer1", &format!("wrong-{i}"))
                        .await
                        .map(|_| ())
                })
            })
            .collect();
        let mut refused = 0;
        for g in guesses {
            match g.await.expect("task") {
                Err(e) if e.code() == ErrorCode::InvalidCredentials => refused += 1,
                Err(e) => assert_eq!(e.code(), ErrorCode::AccountLocked),
                Ok(()) => panic!("a wrong password signed in"),
            }
        }
        // Four refused as wrong, the fifth locked the account, the rest
        // found it locked without their password being checked.
        assert_eq!(refused, 4);
        assert_eq!(
            env.scalar_i64("SELECT COUNT(*) FROM audit_log WHERE action = 'staff.login_failed'")
                .await,
            5
        );
        assert_code(
            s.auth().staff_login("officer1", "puhui2026").await,
            ErrorCode::AccountLocked,
        );
    })
    .await;
}

#[tokio::test]
async fn otp_codes_expire_and_attempts_are_limited() {
    on_each_backend(|env| async move {
        env.seed().await;
        let s = &env.services;
        s.auth().send_login_code(LI).await.expect("send");
        let code = last_code(&env, LI).await;
        env.clock.advance_secs(301);
        assert_code(
            s.auth().customer_login(LI, &code).await,
            ErrorCode::CodeExpired,
        );

        s.auth()
            .send_login_code(LI)
            .await
            .expect("send again after the wait");
        let code = last_code(&env, LI).await;
        let wrong = if code == "999999" { "888888" } else { "999999" };
        for _ in 0..5 {
            assert_code(
                s.auth().customer_login(LI, wrong).await,
                ErrorCode::CodeInvalid,
            );
        }
        // Five wrong guesses burn the code, even for the right one.
        assert_code(
            s.auth().customer_login(LI, &code).await,
            ErrorCode::CodeExpired,
        );
    })
    .await;
}

#[tokio::test]
async fn otp_resend_is_rate_limited() {
    on_each_backend(|env| async move {
        env.seed().await;
        let s = &env.services;
        s.auth().send_login_code(LI).await.expect("send");
        env.clock.advance_secs(20);
        match s.auth().send_login_code(LI).await {
            Err(ServiceError::RateLimited { seconds }) => assert_eq!(seconds, 40),
            other => panic!("expected rate limit, got {other:?}"),
        }
        env.clock.advance_secs(41);
        s.auth()
            .send_login_code(LI)
            .await
            .expect("allowed after a minute");
        // A phone the bank has never seen gets a sign-up code.
        s.auth()
            .send_login_code("13912345678")
            .await
            .expect("a sign-up code");
        assert_code(
            s.auth().send_login_code("12345").await,
            ErrorCode::PhoneInvalid,
        );
        assert_eq!(
            env.scalar_i64(&format!(
                "SELECT COUNT(*) FROM sms_outbox WHERE phone_idx = '{}'",
                env.phone_idx(LI)
            ))
            .await,
            2
        );
    })
    .await;
}

#[tokio::test]
async fn sms_failure_keeps_no_code() {
    on_each_backend(|env| async move {
        env.seed().await;
        let failing = "19900001234";
        sqlx::query("UPDATE customers SET phone_sealed = $1, phone_idx = $2 WHERE phone_idx = $3")
            .bind(env.services.config.pfi.seal(Field::Phone, failing))
            .bind(env.phone_idx(failing))
            .bind(env.phone_idx(LI))
            .execute(&env.db.pool)
            .await
            .unwrap();
        let s = &env.services;
        assert_code(
            s.auth().send_login_code(failing).await,
            ErrorCode::SmsFailed,
        );
        assert_eq!(
            env.scalar_i64(&format!(
                "SELECT COUNT(*) FROM sms_codes WHERE phone_idx = '{}'",
                env.phone_idx(failing)
            ))
            .await,
            0
        );
        // No code kept, so no rate limit either: the retry reaches the provider.
        assert_code(
            s.auth().send_login_code(failing).await,
            ErrorCode::SmsFailed,
        );
        assert_eq!(
            env.scalar_i64(&format!(
                "SELECT COUNT(*) FROM sms_outbox WHERE phone_idx = '{}' AND status = 'failed'",
                env.phone_idx(failing)
            ))
            .await,
            2
        );
        let admin = env.staff("admin").await;
        let outbox = s.sms().sms_outbox(&admin, 10).await.expect("outbox");
        assert!(outbox.iter().all(|m| !m.phone_masked.contains("0001234")));
        assert_eq!(outbox[0].status, domain::view::SmsStatus::Failed);
    })
    .await;
}

/// The review's account takeover: an officer of the other bank (长白) read
/// 王建国's live login code from the outbox. Now only administrators read
/// it, only in demo mode, and a bank's administrator only its own
/// customers' messages.
#[tokio::test]
async fn the_sms_outbox_is_for_administrators_of_the_bank_in_demo_mode() {
    on_each_backend(|env| async move {
        env.seed().await;
        let s = &env.services;
        s.auth().send_login_code(WANG).await.expect("code sent");
        let masked = "138****0002";
        for username in ["officer4", "officer1", "head1", "risk1", "approver1"] {
            let staff = env.staff(username).await;
            assert!(!s.sms().may_read_sms_outbox(&staff), "{username}");
            assert_code(s.sms().sms_outbox(&staff, 10).await, ErrorCode::Forbidden);
        }
        let admin = env.staff("admin").await;
        assert!(s.sms().may_read_sms_outbox(&admin));
        let all = s.sms().sms_outbox(&admin, 10).await.expect("outbox");
        assert!(all.iter().any(|m| m.phone_masked == masked), "{all:?}");

        // An administrator of the other bank does not see 王建国's code.
        let wang = env.customer(WANG).await;
        let other_bank: (String, String) = sqlx::query_as(
            "SELECT id, path FROM organisations WHERE kind = 'bank' AND id <> $1 ORDER BY code LIMIT 1",
        )
        .bind(&wang.bank_id)
        .fetch_one(&env.db.pool)
        .await
        .expect("other bank");
        let mut foreign = admin.clone();
        foreign.org_id = other_bank.0.clone();
        foreign.bank_id = Some(other_bank.0);
        foreign.org_path = other_bank.1;
        let theirs = s.sms().sms_outbox(&foreign, 10).await.expect("outbox");
        assert!(theirs.iter().all(|m| m.phone_masked != masked), "{theirs:?}");
        // …and one of 王建国's own bank does.
        let own_path = env
            .scalar_text(&format!(
                "SELECT path FROM organisations WHERE id = '{}'",
                wang.bank_id
            ))
            .await;
        let mut own = admin.clone();
        own.bank_id = Some(wang.bank_id.clone());
        own.org_path = own_path;
        let ours = s.sms().sms_outbox(&own, 10).await.expect("outbox");
        assert!(ours.iter().any(|m| m.phone_masked == masked), "{ours:?}");

        // Production keeps no readable outbox, for anyone.
        let mut prod = s.clone();
        prod.config = service::ServiceConfig::production(
            "a-real-pepper".to_string(),
            "a-real-audit-key",
            service::pfi::PfiKeys::from_secrets("a-real-pfi-key", &[], "a-real-index-key"),
        );
        assert!(!prod.sms().may_read_sms_outbox(&admin));
        assert_code(prod.sms().sms_outbox(&admin, 10).await, ErrorCode::NotFound);
    })
    .await;
}

/// Each application pulls a credit report: five a customer a day, however
/// many are sent at once; the next day five more.
#[tokio::test]
async fn a_customer_submits_at_most_five_applications_a_day() {
    on_each_backend(|env| async move {
        env.seed().await;
        let s = env.services.clone().with_bureau(std::sync::Arc::new(
            service::DevBureauProvider::new().with_latency(std::time::Duration::ZERO),
        ));
        let li = env.customer(LI).await;
        let product = first_product(&env, &li.bank_id).await;
        let sent: Vec<_> = (0..12)
            .map(|i| {
                let (s, li, product) = (s.clone(), li.clone(), product.clone());
                tokio::spawn(async move {
                    s.applications()
                        .submit_application(&li, request(&product, 50_000, &format!("burst-{i}")))
                        .await
                })
            })
            .collect();
        let mut accepted = Vec::new();
        for (i, r) in sent.into_iter().enumerate() {
            match r.await.expect("task") {
                Ok(id) => accepted.push((i, id)),
                Err(e) => {
                    assert_eq!(e.code(), ErrorCode::ApplicationsDailyLimit);
                    assert!(e.params().contains(&("max".to_string(), "5".to_string())));
                }
            }
        }
        assert_eq!(accepted.len(), 5);
        // A double click on an accepted one still finds it, at the limit.
        let (i, id) = &accepted[0];
        let again = s
            .applications()
            .submit_application(&li, request(&product, 50_000, &format!("burst-{i}")))
            .await
            .expect("a repeat is not a new application");
        assert_eq!(&again, id);
        env.clock.advance_secs(86_400);
        s.applications()
            .submit_application(&li, request(&product, 50_000, "next-day"))
            .await
            .expect("a new day");
    })
    .await;
}

#[tokio::test]
async fn submit_validates_against_the_product() {
    on_each_backend(|env| async move {
        env.seed().await;
        let s = &env.services;
        let li = env.customer(LI).await;
        let product = first_product(&env, &li.bank_id).await;

        match s
            .applications()
            .submit_application(&li, request(&product, 500, "k1"))
            .await
        {
            Err(ServiceError::Validation { code, params }) => {
                assert_eq!(code, ErrorCode::AmountBelowMin);
                assert_eq!(params, vec![("min", "10,000.00".to_string())]);
            }
            other => panic!("expected amount_below_min, got {other:?}"),
        }
        assert_code(
            s.applications()
                .submit_application(&li, request(&product, 9_000_000, "k2"))
                .await,
            ErrorCode::AmountAboveMax,
        );
        let mut no_consent = request(&product, 50_000, "k3");
        no_consent.consent = false;
        assert_code(
            s.applications().submit_application(&li, no_consent).await,
            ErrorCode::ConsentMissing,
        );
        let mut long_term = request(&product, 50_000, "k4");
        long_term.term_months = 400;
        assert_code(
            s.applications().submit_application(&li, long_term).await,
            ErrorCode::TermOutOfRange,
        );

        // A product of the other bank is not offered to this customer.
        let other_bank = env
            .scalar_text(&format!(
                "SELECT id FROM organisations WHERE kind = 'bank' AND id <> '{}'",
                li.bank_id
            ))
            .await;
        let foreign = first_product(&env, &other_bank).await;
        assert_code(
            s.applications()
                .submit_application(&li, request(&foreign, 50_000, "k5"))
                .await,
            ErrorCode::NotFound,
        );
        assert_eq!(
            env.scalar_i64(&format!(
                "SELECT COUNT(*) FROM applications WHERE customer_id = '{}'",
                li.customer_id
            ))
            .await,
            0
        );
    })
    .await;
}

#[tokio::test]
async fn double_submit_posts_once() {
    on_each_backend(|env| async move {
        env.seed().await;
        let s = env.services.clone();
        let li = env.customer(LI).await;
        let product = first_product(&env, &li.bank_id).await;
        let first = s
            .applications()
            .submit_application(&li, request(&product, 50_000, "same-key"))
            .await
            .unwrap();
        let second = s
            .applications()
            .submit_application(&li, request(&product, 50_000, "same-key"))
            .await
            .unwrap();
        assert_eq!(first, second);
        assert_code(
            s.applications()
                .submit_application(&li, request(&product, 60_000, "same-key"))
                .await,
            ErrorCode::Duplicate,
        );

        // Two posts racing with one key still make one application.
        let applications = s.applications();
        let (a, b) = tokio::join!(
            applications.submit_application(&li, request(&product, 70_000, "race-key")),
            applications.submit_application(&li, request(&product, 70_000, "race-key")),
        );
        assert_eq!(a.expect("first racer"), b.expect("second racer"));
        assert_eq!(
            env.scalar_i64(&format!(
                "SELECT COUNT(*) FROM applications WHERE customer_id = '{}'",
                li.customer_id
            ))
            .await,
            2
        );
        assert_eq!(
            env.scalar_i64(&format!(
                "SELECT COUNT(*) FROM bureau_consents WHERE customer_id = '{}'",
                li.customer_id
            ))
            .await,
            2
        );
    })
    .await;
}

#[tokio::test]
async fn thin_loan_from_application_to_schedule() {
    on_each_backend(|env| async move {
        env.seed().await;
        let s = &env.services;
        let id = li_applies(&env, "thin-loan").await;
        let li = env.customer(LI).await;

        let officer = env.staff("officer1").await;
        let tasks = s.workflow().inbox(&officer).await.unwrap();
        let task = tasks.iter().find(|t| t.task.application_id == id).expect("task for the officer");
        assert_eq!(task.task.node_kind, domain::flow::NodeType::Investigation);
        assert_eq!(task.customer_name, "李秀英");
        assert!(task.id_number_masked.contains("**********"));

        let view = s.applications().application_for_staff(&officer, &id).await.unwrap();
        assert!(view.can_investigate);
        assert!(view.consent_at.is_some());
        assert_eq!(view.phone_masked, "138****0001");
        s.applications().record_investigation(&officer, &id, view.version, investigation(Fen::from_yuan(50_000)))
            .await
            .expect("investigation");
        assert!(s.workflow().inbox(&officer).await.unwrap().iter().all(|t| t.task.application_id != id));

        // The approver is drawn at random among the branch's approvers.
        let approver = env.assignee(&id, "approval").await;
        assert!(["approver1", "approver2"].contains(&approver.username.as_str()));
        let other = env
            .staff(if approver.username == "approver1" { "approver2" } else { "approver1" })
            .await;
        let view = s.applications().application_for_staff(&other, &id).await.unwrap();
        assert!(!view.can_decide);
        assert_eq!(view.decide_blocked_reason, Some(ErrorCode::TaskNotAssigned));
        assert!(s.workflow().inbox(&other).await.unwrap().iter().all(|t| t.task.application_id != id));
        assert_code(
            s.applications().decide(&other, &id, view.version, Decision::Approve, None, "同意".into()).await,
            ErrorCode::TaskNotAssigned,
        );
        let tasks = s.workflow().inbox(&approver).await.unwrap();
        let task = tasks.iter().find(|t| t.task.application_id == id).expect("task for the approver");
        assert!(task.task.due_at.is_some());
        assert_eq!(task.task.node_kind, domain::flow::NodeType::Approval);
        let view = s.applications().application_for_staff(&approver, &id).await.unwrap();
        assert!(view.can_decide, "{:?}", view.decide_blocked_reason);
        assert_eq!(view.status, ApplicationStatus::Investigated);

        let booked = s
            .applications().decide(&approver, &id, view.version, Decision::Approve, None, "同意".to_string())
            .await
            .expect("decide");
        assert_eq!(booked, None, "the loan is booked when the money goes out");
        let loan_id = env.sign_and_disburse(&id, LI).await;
        let loan = s.loans().loan_for_staff(&approver, &loan_id).await.expect("loan");
        assert_eq!(loan.summary.principal, Fen::from_yuan(50_000));
        assert_eq!(loan.schedule.len(), 12);
        let principal: Fen = loan.schedule.iter().map(|i| i.instalment.principal).sum();
        assert_eq!(principal, Fen::from_yuan(50_000));
        assert_eq!(loan.totals.principal, Fen::from_yuan(50_000));
        assert_eq!(loan.summary.start_date, today());
        assert_eq!(loan.summary.next_due.map(|(d, _)| d), Some(today().add_months(1)));

        let mine = s.loans().my_loans(&li).await.unwrap();
        assert_eq!(mine.len(), 1);
        assert_eq!(s.loans().my_loan(&li, &loan_id).await.unwrap().schedule.len(), 12);
        let app = s.applications().my_application(&li, &id).await.unwrap();
        assert_eq!(app.summary.status, ApplicationStatus::Approved);
        let kinds: Vec<&str> = app.timeline.iter().map(|e| e.kind.as_str()).collect();
        assert_eq!(kinds, ["submitted", "investigated", "approved"]);
        assert_eq!(app.loan_id.as_deref(), Some(loan_id.as_str()));

        // Someone else's application or loan does not exist for this customer.
        let wang = env.customer(WANG).await;
        assert_code(s.applications().my_application(&wang, &id).await, ErrorCode::NotFound);
        assert_code(s.loans().my_loan(&wang, &loan_id).await, ErrorCode::NotFound);

        for action in ["application.submitted", "application.investigated", "application.approved", "loan.created"] {
            assert_eq!(
                env.scalar_i64(&format!(
                    "SELECT COUNT(*) FROM audit_log WHERE action = '{action}' AND entity_id IN ('{id}', '{loan_id}')"
                ))
                .await,
                1,
                "{action}"
            );
        }
        let admin = env.staff("admin").await;
        assert!(s.audit().verify_audit_chain(&admin).await.unwrap().valid);
    })
    .await;
}

#[tokio::test]
async fn nobody_approves_their_own_work() {
    on_each_backend(|env| async move {
        env.seed().await;
        let s = &env.services;
        let id = investigated_application(&env).await;
        // Someone who is no approver has no decision to make, and no reason shown.
        let plain = s
            .applications()
            .application_for_staff(&env.staff("officer2").await, &id)
            .await
            .unwrap();
        assert!(!plain.can_decide);
        assert_eq!(plain.decide_blocked_reason, None);
        // officer1 owns 李秀英's application; make them an approver too.
        let officer_id = env
            .scalar_text("SELECT id FROM staff_users WHERE username = 'officer1'")
            .await;
        env.exec(&format!(
            "INSERT INTO staff_roles (user_id, role) VALUES ('{officer_id}', 'approver')"
        ))
        .await;
        let both = env.staff("officer1").await;
        // The flow never gives them the approval: they hold no task.
        let view = s
            .applications()
            .application_for_staff(&both, &id)
            .await
            .unwrap();
        assert!(!view.can_decide);
        assert_eq!(view.decide_blocked_reason, Some(ErrorCode::TaskNotAssigned));
        assert!(s
            .workflow()
            .inbox(&both)
            .await
            .unwrap()
            .iter()
            .all(|t| t.task.application_id != id));
        assert_code(
            s.applications()
                .decide(
                    &both,
                    &id,
                    view.version,
                    Decision::Approve,
                    None,
                    String::new(),
                )
                .await,
            ErrorCode::SelfApproval,
        );
        assert_eq!(
            env.scalar_text(&format!(
                "SELECT status FROM applications WHERE id = '{id}'"
            ))
            .await,
            "investigated"
        );
    })
    .await;
}

#[tokio::test]
async fn investigation_input_is_checked() {
    on_each_backend(|env| async move {
        env.seed().await;
        let s = &env.services;
        let id = li_applies(&env, "checked").await;
        let officer = env.staff("officer1").await;
        let mut empty = investigation(Fen::from_yuan(50_000));
        empty.findings = "   ".to_string();
        assert_code(
            s.applications()
                .record_investigation(&officer, &id, 1, empty)
                .await,
            ErrorCode::FindingsMissing,
        );
        let mut long = investigation(Fen::from_yuan(50_000));
        long.findings = "很".repeat(2001);
        assert_code(
            s.applications()
                .record_investigation(&officer, &id, 1, long)
                .await,
            ErrorCode::FindingsTooLong,
        );
        let mut future = investigation(Fen::from_yuan(50_000));
        future.visited_on = today().add_days(1);
        assert_code(
            s.applications()
                .record_investigation(&officer, &id, 1, future)
                .await,
            ErrorCode::VisitedOnFuture,
        );
        let mut negative = investigation(Fen::from_yuan(50_000));
        negative.household_debts = Fen(-1);
        assert_code(
            s.applications()
                .record_investigation(&officer, &id, 1, negative)
                .await,
            ErrorCode::MoneyNegative,
        );
        // A stale version is refused and nothing is written.
        assert_code(
            s.applications()
                .record_investigation(&officer, &id, 7, investigation(Fen::from_yuan(1)))
                .await,
            ErrorCode::ApplicationStateChanged,
        );
        assert_eq!(
            env.scalar_i64(&format!(
                "SELECT COUNT(*) FROM investigations WHERE application_id = '{id}'"
            ))
            .await,
            0
        );
        // Only officers and investigators investigate.
        assert_code(
            s.applications()
                .record_investigation(
                    &env.staff("approver1").await,
                    &id,
                    1,
                    investigation(Fen::from_yuan(1)),
                )
                .await,
            ErrorCode::Forbidden,
        );
    })
    .await;
}

#[tokio::test]
async fn a_second_approve_click_changes_nothing() {
    on_each_backend(|env| async move {
        env.seed().await;
        let s = &env.services;
        let id = investigated_application(&env).await;
        let approver = env.assignee(&id, "approval").await;
        let loan = s
            .applications()
            .decide(&approver, &id, 2, Decision::Approve, None, "同意".into())
            .await
            .unwrap();
        assert!(loan.is_none(), "granted; booked at payout");
        assert_code(
            s.applications()
                .decide(&approver, &id, 2, Decision::Approve, None, "同意".into())
                .await,
            ErrorCode::ApplicationStateChanged,
        );
        assert_code(
            s.applications()
                .decide(&approver, &id, 3, Decision::Approve, None, "同意".into())
                .await,
            ErrorCode::ApplicationStateChanged,
        );
        for (table, n) in [("loans", 0), ("approvals", 1), ("contracts", 1)] {
            assert_eq!(
                env.scalar_i64(&format!(
                    "SELECT COUNT(*) FROM {table} WHERE application_id = '{id}'"
                ))
                .await,
                n,
                "{table}"
            );
        }
        // An investigation of an application no longer submitted is refused too.
        let officer = env.staff("officer1").await;
        assert_code(
            s.applications()
                .record_investigation(&officer, &id, 3, investigation(Fen::from_yuan(1)))
                .await,
            ErrorCode::ApplicationStateChanged,
        );
    })
    .await;
}

#[tokio::test]
async fn staff_of_another_bank_are_forbidden() {
    on_each_backend(|env| async move {
        env.seed().await;
        let s = &env.services;
        let id = investigated_application(&env).await;
        let approver = env.assignee(&id, "approval").await;
        let loan_id = s
            .applications()
            .decide(&approver, &id, 2, Decision::Approve, None, String::new())
            .await
            .unwrap();
        assert_eq!(loan_id, None);
        let loan_id = env.sign_and_disburse(&id, LI).await;
        let li = env.customer(LI).await;

        let outsider = env.staff("approver4").await;
        assert_code(
            s.applications().application_for_staff(&outsider, &id).await,
            ErrorCode::Forbidden,
        );
        assert_code(
            s.loans().loan_for_staff(&outsider, &loan_id).await,
            ErrorCode::Forbidden,
        );
        assert_code(
            s.customers().portrait(&outsider, &li.customer_id).await,
            ErrorCode::Forbidden,
        );
        let officer = env.staff("officer4").await;
        assert!(s
            .workflow()
            .inbox(&officer)
            .await
            .unwrap()
            .iter()
            .all(|t| t.task.application_id != id));

        // Another branch of the same bank is out of scope as well.
        let other_branch = env.staff("approver3").await;
        assert_code(
            s.applications()
                .application_for_staff(&other_branch, &id)
                .await,
            ErrorCode::Forbidden,
        );
        // The bank's risk manager sees it; the union's administrator covers
        // every bank but reads no customer's file.
        s.applications()
            .application_for_staff(&env.staff("risk1").await, &id)
            .await
            .expect("bank scope");
        assert_code(
            s.applications()
                .application_for_staff(&env.staff("admin").await, &id)
                .await,
            ErrorCode::Forbidden,
        );
        // Roles matter too: an officer may not decide.
        assert_code(
            s.applications()
                .decide(
                    &env.staff("officer2").await,
                    &id,
                    3,
                    Decision::Reject,
                    Some(DeclineCategory::RepaymentCapacity),
                    String::new(),
                )
                .await,
            ErrorCode::Forbidden,
        );
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_decisions_have_one_winner() {
    on_each_backend(|env| async move {
        env.seed().await;
        let id = investigated_application(&env).await;
        // The assigned approver, approving and rejecting in two tabs at once.
        let a1 = env.assignee(&id, "approval").await;
        let a2 = a1.clone();
        let (s1, s2) = (env.services.clone(), env.services.clone());
        let (id1, id2) = (id.clone(), id.clone());
        let t1 = tokio::spawn(async move {
            s1.applications()
                .decide(&a1, &id1, 2, Decision::Approve, None, "一".into())
                .await
        });
        let t2 = tokio::spawn(async move {
            s2.applications()
                .decide(
                    &a2,
                    &id2,
                    2,
                    Decision::Reject,
                    Some(DeclineCategory::RepaymentCapacity),
                    "二".into(),
                )
                .await
        });
        let results = [t1.await.unwrap(), t2.await.unwrap()];
        let wins = results.iter().filter(|r| r.is_ok()).count();
        assert_eq!(wins, 1, "{results:?}");
        for r in &results {
            if let Err(e) = r {
                assert_eq!(e.code(), ErrorCode::ApplicationStateChanged, "{e:?}");
            }
        }
        assert_eq!(
            env.scalar_i64(&format!(
                "SELECT COUNT(*) FROM approvals WHERE application_id = '{id}'"
            ))
            .await,
            1
        );
        let status = env
            .scalar_text(&format!(
                "SELECT status FROM applications WHERE id = '{id}'"
            ))
            .await;
        let loans = env
            .scalar_i64(&format!(
                "SELECT COUNT(*) FROM loans WHERE application_id = '{id}'"
            ))
            .await;
        assert!(["approved", "rejected"].contains(&status.as_str()));
        assert_eq!(loans, 0, "an approval grants; the payout books");
        assert_eq!(
            env.scalar_i64(&format!(
                "SELECT version FROM applications WHERE id = '{id}'"
            ))
            .await,
            3
        );
        let admin = env.staff("admin").await;
        assert!(
            env.services
                .audit()
                .verify_audit_chain(&admin)
                .await
                .unwrap()
                .valid
        );
    })
    .await;
}

#[tokio::test]
async fn audit_chain_detects_tampering() {
    on_each_backend(|env| async move {
        env.seed().await;
        let s = &env.services;
        investigated_application(&env).await;
        let admin = env.staff("admin").await;
        let status = s.audit().verify_audit_chain(&admin).await.unwrap();
        assert!(status.valid);
        assert!(status.entries >= 3, "{status:?}");
        assert_eq!(status.first_bad_seq, None);

        let entries = s
            .audit()
            .audit_entries(&admin, None, 2, None)
            .await
            .unwrap();
        assert_eq!(entries.len(), 2);
        assert!(entries[0].seq > entries[1].seq);
        let older = s
            .audit()
            .audit_entries(
                &admin,
                Some(entries[1].seq),
                100,
                Some("application".into()),
            )
            .await
            .unwrap();
        assert!(older
            .iter()
            .all(|e| e.entity == "application" && e.seq < entries[1].seq));
        assert_code(
            s.audit()
                .audit_entries(&env.staff("officer1").await, None, 10, None)
                .await,
            ErrorCode::Forbidden,
        );
        assert_code(
            s.audit()
                .verify_audit_chain(&env.staff("officer1").await)
                .await,
            ErrorCode::Forbidden,
        );
        // The branch head sees their branch's entries only.
        let head = s
            .audit()
            .audit_entries(&env.staff("head1").await, None, 100, None)
            .await
            .unwrap();
        assert!(!head.is_empty());
        assert!(head.iter().all(|e| e.action != "demo.seeded"));

        let tamper = "UPDATE audit_log SET after_json = '{\"status\":\"approved\"}' WHERE seq = 2";
        assert!(env.refused(tamper).await.contains("append-only"));
        env.drop_audit_triggers().await;
        env.exec(tamper).await;
        // Before the point the page last verified: the full check finds it.
        let status = s.audit().verify_audit_chain_fully().await.unwrap();
        assert!(!status.valid);
        assert_eq!(status.first_bad_seq, Some(2));
    })
    .await;
}

#[tokio::test]
async fn the_audit_log_refuses_changes_and_a_deleted_entry_is_detected() {
    on_each_backend(|env| async move {
        env.seed().await;
        investigated_application(&env).await;
        let last = env.scalar_i64("SELECT MAX(seq) FROM audit_log").await;
        let remove = format!("DELETE FROM audit_log WHERE seq = {last}");
        assert!(env.refused(&remove).await.contains("append-only"));
        if env.db.backend == service::db::Backend::Postgres {
            assert!(env
                .refused("TRUNCATE audit_log")
                .await
                .contains("append-only"));
        }
        env.drop_audit_triggers().await;
        env.exec(&remove).await;
        let admin = env.staff("admin").await;
        let status = env
            .services
            .audit()
            .verify_audit_chain(&admin)
            .await
            .unwrap();
        assert!(!status.valid);
        assert_eq!(status.first_bad_seq, Some(last));
    })
    .await;
}

#[tokio::test]
async fn demo_seed_is_deterministic() {
    async fn facts(env: &Env) -> (service::demo::DemoSummary, Vec<String>) {
        let summary = env.seed().await;
        let rows: Vec<(String,)> =
            sqlx::query_as("SELECT name FROM customers ORDER BY id LIMIT 12")
                .fetch_all(&env.db.pool)
                .await
                .unwrap();
        (summary, rows.into_iter().map(|(n,)| n).collect())
    }
    on_each_backend(|env| async move {
        let (summary, names) = facts(&env).await;
        // Wipe (the audit log's owner lifting its protection) and seed
        // again with the same seed.
        env.drop_audit_triggers().await;
        for table in [
            "decisions", "bureau_inquiries", "rule_sets", "flow_tasks",
            "posting_lines", "postings", "loan_accounts", "loan_schedule", "loans", "credit_lines", "approvals", "investigations", "bureau_consents", "customer_notices", "applications", "bureau_authorisations",
            "customers", "households", "villages", "product_versions", "flow_templates", "products", "staff_roles", "referral_codes", "visit_slots", "staff_users",
            "audit_log",
        ] {
            env.exec(&format!("DELETE FROM {table}")).await;
        }
        env.exec("UPDATE organisations SET parent_id = NULL").await;
        env.exec("DELETE FROM organisations").await;
        let (again, names_again) = facts(&env).await;
        assert_eq!(summary, again);
        assert_eq!(names, names_again);
        assert_eq!(summary.customers, 40);
        assert_eq!(summary.organisations, 15);
        assert_eq!(summary.products, 6);
        assert!(summary.loans >= 1);

        let statuses: Vec<(String,)> = sqlx::query_as("SELECT DISTINCT status FROM applications")
            .fetch_all(&env.db.pool)
            .await
            .unwrap();
        let statuses: HashSet<String> = statuses.into_iter().map(|(s,)| s).collect();
        for st in ApplicationStatus::ALL {
            assert!(statuses.contains(st.as_str()), "missing {st:?}");
        }
        // Every approved application has a loan; every loan's schedule adds up.
        assert_eq!(
            env.scalar_i64("SELECT COUNT(*) FROM applications WHERE status = 'approved'").await,
            i64::try_from(summary.loans).unwrap()
        );
        let bad = env
            .scalar_i64(
                "SELECT COUNT(*) FROM loans l WHERE l.principal_fen <> \
                 (SELECT CAST(SUM(s.principal_fen) AS BIGINT) FROM loan_schedule s WHERE s.loan_id = l.id)",
            )
            .await;
        assert_eq!(bad, 0);
        // Investigations and approvals exactly where the status implies them.
        assert_eq!(
            env.scalar_i64(
                "SELECT COUNT(*) FROM applications a WHERE (a.status IN ('investigated', 'approved', 'rejected')) \
                 <> EXISTS (SELECT 1 FROM investigations i WHERE i.application_id = a.id)"
            )
            .await,
            0
        );

        // The fixed demo customers.
        let li = env.customer(LI).await;
        assert_eq!(li.name, "李秀英");
        assert_eq!(
            env.scalar_i64(&format!(
                "SELECT COUNT(*) FROM applications WHERE customer_id = '{}' AND status IN ('submitted', 'investigated')",
                li.customer_id
            ))
            .await,
            0
        );
        assert_eq!(
            env.scalar_text(&format!(
                "SELECT u.username FROM customers c JOIN staff_users u ON u.id = c.officer_id WHERE c.phone_idx = '{}'", env.phone_idx(LI)))
            .await,
            "officer1"
        );
        let wang = env.customer(WANG).await;
        assert_eq!(wang.name, "王建国");
        let loans = env.services.loans().my_loans(&wang).await.unwrap();
        // The new loan, and an older one with an instalment overdue.
        assert_eq!(loans.len(), 2);
        assert_eq!(loans[0].principal, Fen::from_yuan(50_000));
        assert_eq!(loans[1].status, domain::servicing::eod::LoanStatus::Overdue);

        // The dashboard's window is filled.
        let head = env.staff("head1").await;
        let dash = env.services.dashboard(&head, 30).await.unwrap();
        assert!(dash.per_day.iter().filter(|(_, n)| *n > 0).count() >= 2, "{:?}", dash.per_day);
    })
    .await;
}

#[tokio::test]
async fn every_demo_login_works() {
    on_each_backend(|env| async move {
        env.seed().await;
        let logins = service::demo::demo_logins();
        assert!(logins.len() >= 16);
        // Checking every password would be slow: one, and the roles of all.
        env.services
            .auth()
            .staff_login("officer1", service::demo::DEMO_PASSWORD)
            .await
            .unwrap();
        for (username, _) in logins {
            let s = env.staff(username).await;
            assert_eq!(s.roles.len(), 1, "{username}");
        }
        let officer = env.staff("officer1").await;
        let approver3 = env.staff("approver3").await;
        assert_eq!(officer.bank_id, approver3.bank_id);
        assert_ne!(officer.org_id, approver3.org_id);
        assert_ne!(env.staff("officer4").await.bank_id, officer.bank_id);
    })
    .await;
}

#[tokio::test]
async fn dashboard_is_for_managers_and_scoped() {
    on_each_backend(|env| async move {
        let summary = env.seed().await;
        let s = &env.services;
        assert_code(
            s.dashboard(&env.staff("officer1").await, 30).await,
            ErrorCode::Forbidden,
        );
        let admin = s.dashboard(&env.staff("admin").await, 30).await.unwrap();
        assert_eq!(
            admin.total_applications,
            i64::try_from(summary.applications).unwrap()
        );
        assert_eq!(admin.per_day.len(), 30);
        assert_eq!(admin.per_day.last().unwrap().0, today());
        assert_eq!(admin.by_status.len(), 5);
        let last_30_days = env
            .scalar_i64(&format!(
                "SELECT COUNT(*) FROM applications WHERE submitted_on > '{}'",
                today().add_days(-30)
            ))
            .await;
        assert_eq!(
            admin.per_day.iter().map(|(_, n)| n).sum::<i64>(),
            last_30_days
        );
        assert_eq!(admin.active_loans, i64::try_from(summary.loans).unwrap());
        assert!(admin.outstanding > Fen::ZERO);
        assert!((0..=1000).contains(&admin.approval_rate_permille));
        let bank1 = s.dashboard(&env.staff("risk1").await, 7).await.unwrap();
        assert_eq!(bank1.per_day.len(), 7);
        assert!(bank1.total_applications < admin.total_applications);
    })
    .await;
}

#[tokio::test]
async fn portrait_shows_the_household_and_is_audited() {
    on_each_backend(|env| async move {
        env.seed().await;
        let s = &env.services;
        let li = env.customer(LI).await;
        let officer = env.staff("officer1").await;
        let p = s.customers().portrait(&officer, &li.customer_id).await.unwrap();
        assert_eq!(p.name, "李秀英");
        assert_eq!(p.gender, domain::identity::Gender::Female);
        assert_eq!(p.age, 49);
        assert_eq!(p.phone_masked, "138****0001");
        assert!(p.id_number_masked.contains("**********"));
        assert_eq!(p.officer_name.as_deref(), Some("刘洋"));
        let h = p.household.expect("household");
        assert_eq!(h.head_name, "王建国");
        assert_eq!(h.members, 4);
        assert_eq!(h.member_list.len(), 3);
        assert_eq!(h.member_list[0].relation, domain::view::HouseholdRelation::Head);
        assert!(p.applications.is_empty());
        assert_eq!(
            env.scalar_i64(&format!(
                "SELECT COUNT(*) FROM audit_log WHERE action = 'customer.viewed' AND entity_id = '{}'",
                li.customer_id
            ))
            .await,
            1
        );
        let wang = env.customer(WANG).await;
        let p = s.customers().portrait(&officer, &wang.customer_id).await.unwrap();
        assert_eq!(p.loans.len(), 2);
        assert_eq!(p.applications.len(), 2);
        assert_eq!(p.applications[0].status, ApplicationStatus::Approved);
    })
    .await;
}

#[tokio::test]
async fn products_are_listed_in_order() {
    on_each_backend(|env| async move {
        env.seed().await;
        let s = &env.services;
        let products = s.products().list_products(None).await.unwrap();
        let names: Vec<&str> = products.iter().map(|p| p.name_zh.as_str()).collect();
        assert_eq!(names, ["惠农e贷", "丰收贷", "安居贷"]);
        let p = s.products().product(&products[0].id).await.unwrap();
        assert_eq!(p.min_amount, Fen::from_yuan(10_000));
        assert_eq!(p.rate.bp(), 560);
        assert_code(s.products().product("missing").await, ErrorCode::NotFound);
    })
    .await;
}

#[tokio::test]
async fn session_store_round_trip() {
    on_each_backend(|env| async move {
        let store = AnySessionStore::new(env.db.clone());
        let mut data = std::collections::HashMap::new();
        data.insert("staff_id".to_string(), serde_json::json!("u-1"));
        let mut record = Record {
            id: Id::default(),
            data,
            expiry_date: time::OffsetDateTime::now_utc() + time::Duration::hours(1),
        };
        store.create(&mut record).await.unwrap();
        let loaded = store.load(&record.id).await.unwrap().expect("stored");
        assert_eq!(loaded, record);

        record
            .data
            .insert("login_at".to_string(), serde_json::json!(42));
        store.save(&record).await.unwrap();
        assert_eq!(store.load(&record.id).await.unwrap().unwrap().data.len(), 2);

        // An id already taken makes create draw a new one.
        let mut clash = record.clone();
        store.create(&mut clash).await.unwrap();
        assert_ne!(clash.id, record.id);

        store.delete(&record.id).await.unwrap();
        assert!(store.load(&record.id).await.unwrap().is_none());

        let mut old = Record {
            id: Id::default(),
            data: Default::default(),
            expiry_date: time::OffsetDateTime::now_utc() - time::Duration::minutes(1),
        };
        store.create(&mut old).await.unwrap();
        assert!(store.load(&old.id).await.unwrap().is_none());
        assert_eq!(store.delete_expired().await.unwrap(), 1);
    })
    .await;
}

/// Manual check of the generator at scale (`cargo test -p puhui-service
/// --release -- --ignored demo_seed_at_scale`, size from
/// `PUHUI_DEMO_CUSTOMERS`, default 100,000).
#[tokio::test]
#[ignore = "slow: loads a large demo bank"]
async fn demo_seed_at_scale() {
    let customers: u32 = std::env::var("PUHUI_DEMO_CUSTOMERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    on_each_backend(move |env| async move {
        let started = std::time::Instant::now();
        let summary = service::demo::seed_demo(
            &env.db,
            &env.services.config,
            &service::demo::DemoConfig {
                seed: 1,
                customers,
                today: today(),
                portfolio: false,
            },
        )
        .await
        .expect("seed");
        eprintln!("{}: {summary:?} in {:?}", env.label, started.elapsed());
        assert_eq!(summary.customers, u64::from(customers));
        let phones = env
            .scalar_i64("SELECT COUNT(DISTINCT phone_idx) FROM customers")
            .await;
        assert_eq!(phones, i64::from(customers));
        let started = std::time::Instant::now();
        let dash = env
            .services
            .dashboard(&env.staff("admin").await, 30)
            .await
            .unwrap();
        eprintln!("{}: dashboard in {:?}", env.label, started.elapsed());
        assert_eq!(
            dash.total_applications,
            i64::try_from(summary.applications).unwrap()
        );
        let started = std::time::Instant::now();
        let tasks = env
            .services
            .workflow()
            .inbox(&env.staff("approver1").await)
            .await
            .unwrap();
        eprintln!(
            "{}: {} tasks in {:?}",
            env.label,
            tasks.len(),
            started.elapsed()
        );
    })
    .await;
}

/// Signed checkpoints: the head is signed once; a checkpoint that no longer
/// matches the log (entries cut off after it, its hash or signature changed,
/// signed by another key) makes the log invalid, and says where.
#[tokio::test]
async fn signed_checkpoints_catch_what_a_recomputed_chain_would_hide() {
    on_each_backend(|env| async move {
        env.seed().await;
        let s = &env.services;
        let head = env.scalar_i64("SELECT seq FROM audit_head").await;
        assert_eq!(s.audit().checkpoint_audit().await.unwrap(), Some(head));
        assert_eq!(
            s.audit().checkpoint_audit().await.unwrap(),
            None,
            "signed once"
        );
        investigated_application(&env).await;
        let second = s
            .audit()
            .checkpoint_audit()
            .await
            .unwrap()
            .expect("a new head");
        let ok = s.audit().verify_audit_chain_fully().await.unwrap();
        assert!(ok.valid, "{ok:?}");
        assert_eq!((ok.checkpoints, ok.last_checkpoint_seq), (2, Some(second)));

        // The first checkpoint's hash no longer what was signed.
        env.exec(&format!(
            "UPDATE audit_checkpoints SET hash = 'f00d' WHERE seq = {head}"
        ))
        .await;
        let bad = s.audit().verify_audit_chain_fully().await.unwrap();
        assert!(!bad.valid);
        assert_eq!(bad.first_bad_seq, None, "the chain itself still holds");
        assert_eq!(bad.bad_checkpoint_seq, Some(head));
        env.exec(&format!("DELETE FROM audit_checkpoints WHERE seq = {head}"))
            .await;
        assert!(s.audit().verify_audit_chain_fully().await.unwrap().valid);

        // Signed by a key that is not the bank's.
        let other = service::audit::checkpoints::AuditKey::from_secret(
            "somebody else's key, long enough to pass",
        );
        env.exec(&format!(
            "UPDATE audit_checkpoints SET public_key = '{}' WHERE seq = {second}",
            other.public_hex()
        ))
        .await;
        let bad = s.audit().verify_audit_chain_fully().await.unwrap();
        assert_eq!(bad.bad_checkpoint_seq, Some(second));
        env.exec(&format!(
            "UPDATE audit_checkpoints SET public_key = '{}' WHERE seq = {second}",
            s.config.audit_key.public_hex()
        ))
        .await;
        assert!(s.audit().verify_audit_chain_fully().await.unwrap().valid);

        // Entries cut off after a checkpoint, the head moved back to match:
        // the chain alone looks whole, the checkpoint does not.
        env.cut_audit_log_after(second - 1).await;
        let cut = s.audit().verify_audit_chain_fully().await.unwrap();
        assert_eq!(cut.first_bad_seq, None, "{cut:?}");
        assert!(!cut.valid);
        assert_eq!(cut.bad_checkpoint_seq, Some(second));
    })
    .await;
}

/// The chain is keyed: every entry's hash is an HMAC-SHA256 under a key
/// derived from `PUHUI_AUDIT_KEY`, which the database does not hold. A server
/// with another key does not find the log whole (so nobody without the key
/// can write an entry that passes), and an entry marked as hashed the old,
/// plain way after keyed ones is a rewrite.
#[tokio::test]
async fn the_chain_is_keyed_with_a_secret_outside_the_database() {
    on_each_backend(|env| async move {
        env.seed().await;
        investigated_application(&env).await;
        let s = &env.services;
        assert!(s.audit().verify_audit_chain_fully().await.unwrap().valid);
        assert_eq!(
            env.scalar_i64("SELECT COUNT(*) FROM audit_log WHERE keyed <> 1")
                .await,
            0,
            "every entry is keyed"
        );
        let mut other = s.clone();
        other.config.audit_key = service::audit::checkpoints::AuditKey::from_secret(
            "somebody else's key, long enough to pass",
        );
        assert_eq!(
            other
                .audit()
                .verify_audit_chain_fully()
                .await
                .unwrap()
                .first_bad_seq,
            Some(1)
        );
        env.drop_audit_triggers().await;
        let last = env.scalar_i64("SELECT MAX(seq) FROM audit_log").await;
        env.exec(&format!(
            "UPDATE audit_log SET keyed = 0 WHERE seq = {last}"
        ))
        .await;
        assert_eq!(
            s.audit()
                .verify_audit_chain_fully()
                .await
                .unwrap()
                .first_bad_seq,
            Some(last)
        );
    })
    .await;
}

/// A copy of the checkpoints kept outside the database (an auditor's, or
/// the file the server ships them to) proves what the log said: a copy
/// changed on its way fails its signature, and an insider who cut entries
/// off, moved the head back and deleted the stored checkpoints (so that the
/// database alone looks whole) is found, as is an entry rewritten in place.
#[tokio::test]
async fn a_copy_of_the_checkpoints_kept_elsewhere_proves_what_the_log_said() {
    on_each_backend(|env| async move {
        env.seed().await;
        let s = &env.services;
        let first = s.audit().checkpoint_audit().await.unwrap().expect("signed");
        investigated_application(&env).await;
        let second = s.audit().checkpoint_audit().await.unwrap().expect("signed");
        let kept = service::audit::checkpoints::after(&env.db, 0)
            .await
            .unwrap();
        assert_eq!(
            kept.iter().map(|c| c.seq).collect::<Vec<_>>(),
            vec![first, second]
        );
        let line = serde_json::to_string(&kept[0]).unwrap();
        let back: service::audit::checkpoints::Checkpoint = serde_json::from_str(&line).unwrap();
        assert_eq!(back, kept[0]);
        let check = s.audit().check_audit_against(&kept).await.unwrap();
        assert!(check.holds() && check.checked == 2, "{check:?}");

        let mut forged = kept.clone();
        forged[0].hash = "f00d".into();
        assert_eq!(
            s.audit()
                .check_audit_against(&forged)
                .await
                .unwrap()
                .bad_signature,
            vec![first]
        );

        env.cut_audit_log_after(second - 1).await;
        env.exec("DELETE FROM audit_checkpoints").await;
        let alone = s.audit().verify_audit_chain_fully().await.unwrap();
        assert!(alone.valid, "the database alone looks whole: {alone:?}");
        let check = s.audit().check_audit_against(&kept).await.unwrap();
        assert_eq!(check.missing, vec![second]);
        assert!(!check.holds());

        env.exec(&format!(
            "UPDATE audit_log SET hash = 'beef' WHERE seq = {first}"
        ))
        .await;
        let check = s.audit().check_audit_against(&kept).await.unwrap();
        assert_eq!((check.differs, check.missing), (vec![first], vec![second]));
    })
    .await;
}

/// Fifty clicks of "approve" at once by the approver on the task: one loan,
/// one disbursement posting; every other click answers that someone already
/// acted (409), never an internal error.
#[tokio::test]
async fn fifty_approvals_at_once_book_one_loan() {
    on_each_backend(|env| async move {
        env.seed().await;
        let s = env.services.clone();
        let id = investigated_application(&env).await;
        let approver = env.assignee(&id, "approval").await;
        let clicks: Vec<_> = (0..50)
            .map(|_| {
                let (s, a, id) = (s.clone(), approver.clone(), id.clone());
                tokio::spawn(async move {
                    s.applications()
                        .decide(&a, &id, 2, Decision::Approve, None, "同意".into())
                        .await
                })
            })
            .collect();
        let mut wins = 0;
        for c in clicks {
            match c.await.expect("task") {
                Ok(loan) => {
                    assert_eq!(loan, None, "granted; booked at payout");
                    wins += 1;
                }
                Err(e) => assert!(
                    [ErrorCode::ApplicationStateChanged, ErrorCode::OpinionGiven]
                        .contains(&e.code()),
                    "{e:?}"
                ),
            }
        }
        assert_eq!(wins, 1, "one click approves");
        let loan = &env.sign_and_disburse(&id, LI).await;
        assert_eq!(
            env.scalar_i64(&format!(
                "SELECT COUNT(*) FROM loans WHERE application_id = '{id}'"
            ))
            .await,
            1
        );
        assert_eq!(
            env.scalar_i64(&format!(
                "SELECT COUNT(*) FROM postings WHERE loan_id = '{loan}' AND kind = 'disbursement'"
            ))
            .await,
            1
        );
        assert!(s.servicing().reconcile_book().await.unwrap().is_clean());
    })
    .await;
}

/// The audit page does not reread the whole log each time: a second check
/// starts where the first one ended and still finds a change after that
/// point; a change before it is found by the full check, which also makes
/// the page check everything again.
#[tokio::test]
async fn the_audit_page_checks_from_where_it_last_found_the_log_whole() {
    on_each_backend(|env| async move {
        env.seed().await;
        let s = &env.services;
        let admin = env.staff("admin").await;
        let first = s.audit().verify_audit_chain(&admin).await.unwrap();
        assert!(first.valid && first.checked_from_seq == 1, "{first:?}");
        investigated_application(&env).await;
        let second = s.audit().verify_audit_chain(&admin).await.unwrap();
        assert!(second.valid, "{second:?}");
        assert_eq!(
            second.checked_from_seq,
            first.entries + 1,
            "only the new entries"
        );
        assert!(second.entries > first.entries);

        // A change after the point is found by the quick check.
        env.drop_audit_triggers().await;
        s.auth()
            .staff_login("approver2", service::demo::DEMO_PASSWORD)
            .await
            .expect("one more entry");
        let last = env.scalar_i64("SELECT MAX(seq) FROM audit_log").await;
        let name = env
            .scalar_text(&format!(
                "SELECT actor_name FROM audit_log WHERE seq = {last}"
            ))
            .await;
        let rename =
            |to: &str| format!("UPDATE audit_log SET actor_name = '{to}' WHERE seq = {last}");
        env.exec(&rename("某人")).await;
        let bad = s.audit().verify_audit_chain(&admin).await.unwrap();
        assert_eq!(bad.first_bad_seq, Some(last));
        env.exec(&rename(&name)).await;
        // The failure forgot the point: this check reads everything again.
        let whole = s.audit().verify_audit_chain(&admin).await.unwrap();
        assert!(whole.valid && whole.checked_from_seq == 1, "{whole:?}");

        // A change before the point, its hash left alone: the quick check
        // starts after it; the full check finds it and resets the point.
        env.exec("UPDATE audit_log SET after_json = '{}' WHERE seq = 3")
            .await;
        let quick = s.audit().verify_audit_chain(&admin).await.unwrap();
        assert!(quick.checked_from_seq > 3, "{quick:?}");
        let full = s.audit().verify_audit_chain_fully().await.unwrap();
        assert_eq!(full.first_bad_seq, Some(3));
        let again = s.audit().verify_audit_chain(&admin).await.unwrap();
        assert_eq!((again.checked_from_seq, again.first_bad_seq), (1, Some(3)));
    })
    .await;
}
