//! Electronic contracts over the database: templates under maker-checker,
//! contracts drawn up, signed and sealed once, and exported files checked;
//! each on SQLite and (when `PUHUI_TEST_PG_URL` is set) PostgreSQL.

mod common;

use common::{on_each_backend, Env};
use domain::contract::{default_body, ContractKind};
use domain::error_code::ErrorCode;
use service::contracts::verify::verify_file;
use service::contracts::{ContractStatus, TemplateDraft, TemplateStatus};
use service::pfi::Field;
use service::DevESignProvider;
use service::ServiceError;
use std::sync::Arc;
use std::time::Duration;

fn assert_code<T: std::fmt::Debug>(r: Result<T, ServiceError>, code: ErrorCode) {
    match r {
        Err(e) => assert_eq!(e.code(), code, "{e:?}"),
        Ok(v) => panic!("expected {code}, got {v:?}"),
    }
}

async fn audit_count(env: &Env, action: &str) -> i64 {
    env.scalar_i64(&format!(
        "SELECT COUNT(*) FROM audit_log WHERE action = '{action}'"
    ))
    .await
}

async fn product_id(env: &Env) -> String {
    env.scalar_text(
        "SELECT id FROM products WHERE parent_id IS NULL ORDER BY sort_order, code LIMIT 1",
    )
    .await
}

/// marketing1 of the same bank made a product manager too: the checker.
async fn second_product_manager(env: &Env) -> service::auth::StaffActor {
    env.exec(
        "INSERT INTO staff_roles (user_id, role) \
         SELECT id, 'product_manager' FROM staff_users WHERE username = 'marketing1'",
    )
    .await;
    env.staff("marketing1").await
}

#[tokio::test]
async fn templates_are_published_by_a_second_person_and_fall_back() {
    on_each_backend(|env| async move {
        env.seed().await;
        let maker = env.staff("product1").await;
        let checker = second_product_manager(&env).await;
        let officer = env.staff("officer1").await;
        let c = env.services.contracts();
        let product = product_id(&env).await;
        let bank = env
            .scalar_text(&format!(
                "SELECT bank_id FROM products WHERE id = '{product}'"
            ))
            .await;

        // Nothing published: the built-in default, version 0.
        let t = c
            .published_template(&bank, &product, ContractKind::Loan)
            .await
            .unwrap();
        assert_eq!((t.id, t.version), (None, 0));
        assert_eq!(t.body, default_body(ContractKind::Loan));

        // A broken body is refused with its place.
        let bad = TemplateDraft {
            id: None,
            product_id: Some(product.clone()),
            kind: ContractKind::Loan,
            body: format!("{}\n{{{{nope}}}}", default_body(ContractKind::Loan)),
            expected_row_version: None,
        };
        match c.save_contract_template(&maker, bad).await {
            Err(ServiceError::Validation { code, params }) => {
                assert_eq!(code, ErrorCode::ContractTemplateUnknownPlaceholder);
                assert!(params.contains(&("name", "nope".to_string())), "{params:?}");
            }
            other => panic!("{other:?}"),
        }
        let missing = TemplateDraft {
            id: None,
            product_id: None,
            kind: ContractKind::Loan,
            body: "借款合同 {{borrower_name}}".into(),
            expected_row_version: None,
        };
        assert_code(
            c.save_contract_template(&maker, missing).await,
            ErrorCode::ContractTemplateMissingPlaceholder,
        );
        // Only product managers and administrators write templates.
        let draft = |product_id: Option<String>, extra: &str| TemplateDraft {
            id: None,
            product_id,
            kind: ContractKind::Loan,
            body: format!("{}\n{extra}", default_body(ContractKind::Loan)),
            expected_row_version: None,
        };
        assert_code(
            c.save_contract_template(&officer, draft(None, "x")).await,
            ErrorCode::Forbidden,
        );

        // A bank-wide version, then the product's own.
        let wide = c
            .save_contract_template(&maker, draft(None, "全行通用"))
            .await
            .unwrap();
        assert_eq!((wide.version, wide.status), (1, TemplateStatus::Draft));
        let edited = c
            .save_contract_template(
                &maker,
                TemplateDraft {
                    id: Some(wide.id.clone()),
                    expected_row_version: Some(wide.row_version),
                    ..draft(None, "全行通用（修订）")
                },
            )
            .await
            .unwrap();
        assert_eq!(edited.row_version, wide.row_version + 1);
        assert!(edited.body.ends_with("全行通用（修订）"));
        c.submit_contract_template(&maker, &wide.id, edited.row_version)
            .await
            .unwrap();
        // The maker may not publish their own: refused and audited.
        assert_code(
            c.publish_contract_template(&maker, &wide.id, edited.row_version + 1)
                .await,
            ErrorCode::SelfApproval,
        );
        assert_eq!(
            audit_count(&env, "contract_template.self_approval_refused").await,
            1
        );
        // A stale version is refused; the right one publishes.
        assert_code(
            c.publish_contract_template(&checker, &wide.id, edited.row_version)
                .await,
            ErrorCode::ApplicationStateChanged,
        );
        c.publish_contract_template(&checker, &wide.id, edited.row_version + 1)
            .await
            .unwrap();
        let t = c
            .published_template(&bank, &product, ContractKind::Loan)
            .await
            .unwrap();
        assert_eq!((t.id.as_deref(), t.version), (Some(wide.id.as_str()), 1));
        assert!(t.body.ends_with("全行通用（修订）"));

        // The product's own version wins over the bank-wide one.
        let own = c
            .save_contract_template(&maker, draft(Some(product.clone()), "本产品专用"))
            .await
            .unwrap();
        assert_eq!(own.version, 1, "numbered per product and kind");
        c.submit_contract_template(&maker, &own.id, own.row_version)
            .await
            .unwrap();
        c.publish_contract_template(&checker, &own.id, own.row_version + 1)
            .await
            .unwrap();
        let t = c
            .published_template(&bank, &product, ContractKind::Loan)
            .await
            .unwrap();
        assert_eq!(t.id.as_deref(), Some(own.id.as_str()));

        // A second bank-wide version retires the first when published.
        let wide2 = c
            .save_contract_template(&maker, draft(None, "第二版"))
            .await
            .unwrap();
        assert_eq!(wide2.version, 2);
        c.submit_contract_template(&maker, &wide2.id, 0)
            .await
            .unwrap();
        c.publish_contract_template(&checker, &wide2.id, 1)
            .await
            .unwrap();
        let first = c.contract_template(&maker, &wide.id).await.unwrap();
        assert_eq!(first.status, TemplateStatus::Retired);

        // Retiring the product's version falls back to the bank-wide one.
        let own_now = c.contract_template(&maker, &own.id).await.unwrap();
        c.retire_contract_template(&checker, &own.id, own_now.row_version)
            .await
            .unwrap();
        let t = c
            .published_template(&bank, &product, ContractKind::Loan)
            .await
            .unwrap();
        assert_eq!(t.id.as_deref(), Some(wide2.id.as_str()));

        let all = c.list_contract_templates(&maker, None).await.unwrap();
        assert_eq!(all.len(), 3);
        let wide_only = c.list_contract_templates(&maker, Some("")).await.unwrap();
        assert_eq!(wide_only.len(), 2);
        for a in [
            "contract_template.draft_created",
            "contract_template.draft_saved",
            "contract_template.submitted",
            "contract_template.published",
            "contract_template.retired",
        ] {
            assert!(audit_count(&env, a).await > 0, "{a}");
        }
        assert!(
            env.services
                .audit()
                .verify_audit_chain_fully()
                .await
                .unwrap()
                .valid
        );
    })
    .await;
}

const WANG: &str = "13800000002";

/// The code in the newest signing message sent to `phone`.
async fn signing_code(env: &Env, phone: &str) -> String {
    let sealed = env
        .scalar_text(&format!(
            "SELECT body_sealed FROM sms_outbox WHERE phone_idx = '{}' AND status = 'sent' \
             ORDER BY created_at DESC, id DESC LIMIT 1",
            env.phone_idx(phone)
        ))
        .await;
    let body = env.open(Field::SmsBody, &sealed);
    let after = body.split("验证码").nth(1).expect("a code");
    after.chars().filter(char::is_ascii_digit).take(6).collect()
}

/// 王建国's approved application (he has a loan), and its officer.
async fn wang_application(env: &Env) -> (String, service::auth::StaffActor) {
    let app = env
        .scalar_text(&format!(
            "SELECT l.application_id FROM loans l JOIN customers c ON c.id = l.customer_id \
             WHERE c.phone_idx = '{}' ORDER BY l.created_at LIMIT 1",
            env.phone_idx(WANG)
        ))
        .await;
    let officer = env
        .scalar_text(&format!(
            "SELECT u.username FROM applications a JOIN staff_users u ON u.id = a.officer_id \
             WHERE a.id = '{app}'"
        ))
        .await;
    (app, env.staff(&officer).await)
}

#[tokio::test]
async fn a_contract_is_drawn_up_signed_once_and_verified() {
    on_each_backend(|env| async move {
        env.seed().await;
        let (app, officer) = wang_application(&env).await;
        let wang = env.customer(WANG).await;
        let c = env.services.contracts();

        // Staff read the application's contract: none before it is drawn up.
        assert_eq!(
            c.contract_of_application(&officer, &app).await.unwrap(),
            None
        );
        let drawn = c.generate_contract(&officer, &app).await.unwrap();
        assert_eq!(drawn.status, ContractStatus::Generated);
        assert_eq!(
            c.contract_of_application(&officer, &app).await.unwrap(),
            Some(drawn.clone())
        );
        // Not by a role that does not read customer files.
        let marketing = env.staff("marketing1").await;
        assert_code(
            c.contract_of_application(&marketing, &app).await,
            ErrorCode::Forbidden,
        );
        assert!(
            drawn.contract_no.starts_with("HT20261124"),
            "{}",
            drawn.contract_no
        );
        assert_eq!(drawn.template_version, 0, "the built-in default");
        let id_number = env.id_number_of_phone(WANG).await;
        assert!(
            drawn.text.contains(&id_number),
            "the full ID number is in the text"
        );
        assert!(drawn.text.contains("王建国"));
        // Sealed at rest: the stored text shows neither.
        let stored = env
            .scalar_text(&format!(
                "SELECT text_sealed FROM contracts WHERE id = '{}'",
                drawn.id
            ))
            .await;
        assert!(stored.starts_with("pfi1.") && !stored.contains(&id_number));
        // Drawing up again gives the same contract.
        let again = c.generate_contract(&officer, &app).await.unwrap();
        assert_eq!(again.id, drawn.id);
        let mine = c.my_contracts(&wang).await.unwrap();
        assert_eq!(mine, vec![drawn.clone()]);
        // Someone else's customer cannot read it.
        let li = env.customer("13800000001").await;
        assert!(c.my_contracts(&li).await.unwrap().is_empty());
        assert_code(c.my_contract(&li, &drawn.id).await, ErrorCode::NotFound);

        // A wrong code is refused and changes nothing.
        c.send_signing_code(&wang, &drawn.id).await.unwrap();
        let code = signing_code(&env, WANG).await;
        let wrong = if code == "000000" { "000001" } else { "000000" };
        assert_code(
            c.sign_contract(&wang, &drawn.id, wrong, b"png").await,
            ErrorCode::CodeInvalid,
        );
        // ... and on the record.
        let refused = env
            .scalar_text(&format!(
                "SELECT after_json FROM audit_log WHERE action = 'contract.sign_refused' \
                 AND entity_id = '{}'",
                drawn.id
            ))
            .await;
        assert!(refused.contains("code_invalid"), "{refused}");
        assert_code(
            c.sign_contract(&wang, &drawn.id, &code, b"").await,
            ErrorCode::ContractSignatureMissing,
        );
        let still = c.my_contract(&wang, &drawn.id).await.unwrap();
        assert_eq!(still.status, ContractStatus::Generated);
        assert!(still.signers.is_empty() && still.seal.is_none());
        assert_code(
            c.export_my_contract(&wang, &drawn.id).await,
            ErrorCode::ApplicationStateChanged,
        );

        // The e-signature provider fails: nothing is signed, the code stays.
        let failing = Arc::new(DevESignProvider::new().with_latency(Duration::ZERO));
        failing.fail_next(1);
        let with_failing = env.services.clone().with_esign(failing.clone());
        assert_code(
            with_failing
                .contracts()
                .sign_contract(&wang, &drawn.id, &code, b"png")
                .await,
            ErrorCode::ContractEsignFailed,
        );
        assert_eq!(
            c.my_contract(&wang, &drawn.id).await.unwrap().status,
            ContractStatus::Generated
        );

        // Two signings at once seal once.
        let (a, b) = tokio::join!(
            c.sign_contract(&wang, &drawn.id, &code, b"drawn signature png"),
            c.sign_contract(&wang, &drawn.id, &code, b"drawn signature png"),
        );
        let (a, b) = (a.unwrap(), b.unwrap());
        assert_eq!(a.status, ContractStatus::Signed);
        assert_eq!(a, b);
        assert_eq!(a.signers.len(), 2, "the borrower, then the bank");
        assert_eq!(a.signers[0].name, "王建国");
        assert!(!a.signers[0].id_number_masked.contains(&id_number[4..14]));
        assert_eq!(audit_count(&env, "contract.signed").await, 1);
        let rows = env
            .scalar_i64(&format!(
                "SELECT COUNT(*) FROM contract_signers WHERE contract_id = '{}'",
                drawn.id
            ))
            .await;
        assert_eq!(rows, 2);
        let evidence = env
            .scalar_text(&format!(
                "SELECT esign_evidence FROM contract_signers WHERE contract_id = '{}' \
                 AND role = 'borrower'",
                drawn.id
            ))
            .await;
        assert!(evidence.starts_with("DEV-"), "{evidence}");
        // A later signing returns the signed contract unchanged.
        let later = c
            .sign_contract(&wang, &drawn.id, &code, b"x")
            .await
            .unwrap();
        assert_eq!(later, a);

        // The exported file verifies, and any changed byte is found.
        let file = c.export_my_contract(&wang, &drawn.id).await.unwrap();
        assert_eq!(file, c.export_contract(&officer, &drawn.id).await.unwrap());
        let v = c.verify_contract_file(&file).await.unwrap();
        assert!(v.valid, "{v:?}");
        assert_eq!(v.contract_no.as_deref(), Some(drawn.contract_no.as_str()));
        assert_eq!(v.signed_at, a.signed_at);
        assert_eq!(v.signers, a.signers);
        let public = env.services.config.contract_seal.public_hex();
        for i in 0..file.len() {
            let mut bad = file.clone();
            bad[i] ^= 0x01;
            let v = verify_file(&bad, &public);
            assert!(!v.valid, "byte {i} changed and still valid");
            assert!(v.reason.is_some());
        }
        // A character of the text changed for another (valid UTF-8).
        let text = String::from_utf8(file.clone()).unwrap();
        let forged = text.replacen("王建国", "王建图", 1);
        assert_ne!(forged, text);
        let v = c.verify_contract_file(forged.as_bytes()).await.unwrap();
        assert!(!v.valid);
        // A truncated file, and one sealed by another key.
        assert!(!verify_file(&file[..file.len() - 1], &public).valid);
        assert!(!verify_file(&file, &"0".repeat(64)).valid);
        assert!(
            env.services
                .audit()
                .verify_audit_chain_fully()
                .await
                .unwrap()
                .valid
        );
    })
    .await;
}

#[tokio::test]
async fn only_an_approved_application_gets_a_contract() {
    on_each_backend(|env| async move {
        env.seed().await;
        let row = env
            .scalar_text(
                "SELECT a.id || '|' || u.username FROM applications a \
                 JOIN staff_users u ON u.id = a.officer_id WHERE a.status = 'submitted' LIMIT 1",
            )
            .await;
        let (app, officer) = row.split_once('|').unwrap();
        let officer = env.staff(officer).await;
        assert_code(
            env.services
                .contracts()
                .generate_contract(&officer, app)
                .await,
            ErrorCode::ContractNeedsApproval,
        );
        let (approved, _) = wang_application(&env).await;
        let marketing = env.staff("marketing1").await;
        assert_code(
            env.services
                .contracts()
                .generate_contract(&marketing, &approved)
                .await,
            ErrorCode::Forbidden,
        );
    })
    .await;
}
