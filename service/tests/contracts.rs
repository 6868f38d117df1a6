//! Electronic contracts over the database: templates under maker-checker,
//! contracts drawn up, signed and sealed once, and exported files checked;
//! each on SQLite and (when `PUHUI_TEST_PG_URL` is set) PostgreSQL.

mod common;

use common::{on_each_backend, Env};
use domain::contract::{default_body, ContractKind};
use domain::error_code::ErrorCode;
use service::contracts::{TemplateDraft, TemplateStatus};
use service::ServiceError;

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
