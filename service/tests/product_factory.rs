//! The product factory finished (issue 16 item 5), on SQLite and (when
//! `PUHUI_TEST_PG_URL` is set) PostgreSQL: a new top-level product, the next
//! version of a product with any parameter changed, withdrawing one, and the
//! applicant choosing among the methods and guarantee types it offers.

mod common;

use common::{on_each_backend, Env};
use domain::error_code::ErrorCode;
use domain::money::Fen;
use domain::product::{Bounds, GuaranteeType, Pricing, ProductOverride};
use domain::schedule::RepaymentMethod;
use service::applications::NewApplication;
use service::products::{NewProductDraft, NewProductVersion};
use service::ServiceError;

const LI: &str = "13800000001";

fn assert_code<T: std::fmt::Debug>(r: Result<T, ServiceError>, code: ErrorCode) {
    match r {
        Err(e) => assert_eq!(e.code(), code, "{e:?}"),
        Ok(v) => panic!("expected {code}, got Ok({v:?})"),
    }
}

async fn product_id(env: &Env, code: &str) -> String {
    env.scalar_text(&format!(
        "SELECT p.id FROM products p JOIN organisations b ON b.id = p.bank_id \
         WHERE p.code = '{code}' ORDER BY b.code LIMIT 1"
    ))
    .await
}

/// The id and row version of a product's version `n`.
async fn version(env: &Env, product: &str, n: u32) -> (String, i64) {
    let id = env
        .scalar_text(&format!(
            "SELECT id FROM product_versions WHERE product_id = '{product}' AND version = {n}"
        ))
        .await;
    let row = env
        .scalar_i64(&format!(
            "SELECT row_version FROM product_versions WHERE id = '{id}'"
        ))
        .await;
    (id, row)
}

/// 双惠贷: a new top-level product of 10,000 – 100,000 yuan over 6 – 24
/// months, repaid in equal instalments or equal principal, on credit or with
/// a guarantor.
/// product2 publishes version `n` of a product drafted by product1; its id.
async fn published(env: &Env, product: &str, n: u32) -> String {
    let (id, row) = version(env, product, n).await;
    env.services
        .products()
        .publish_product_version(&env.staff("product2").await, &id, row)
        .await
        .expect("publish");
    id
}

fn new_product(code: &str) -> NewProductDraft {
    NewProductDraft {
        parent_id: None,
        code: code.to_string(),
        name_zh: "双惠贷".to_string(),
        name_en: String::new(),
        summary_zh: "农户经营贷款，可选还款方式与担保方式。".to_string(),
        overrides: ProductOverride {
            amount: Some(Bounds::new(Fen::from_yuan(10_000), Fen::from_yuan(100_000))),
            term_months: Some(Bounds::new(6, 24)),
            rate_bp: Some(Bounds::new(400, 800)),
            pricing: Some(Pricing {
                base_rate_bp: 550,
                max_discount_bp: 100,
                max_markup_bp: 200,
            }),
            repayment_methods: Some(vec![
                RepaymentMethod::EqualInstalment,
                RepaymentMethod::EqualPrincipal,
            ]),
            guarantee_types: Some(vec![GuaranteeType::Credit, GuaranteeType::Guarantor]),
            ..ProductOverride::default()
        },
        flow_code: "standard".to_string(),
    }
}

fn application(
    product: &str,
    key: &str,
    method: Option<RepaymentMethod>,
    guarantee: Option<GuaranteeType>,
) -> NewApplication {
    NewApplication {
        product_id: product.to_string(),
        amount: Fen::from_yuan(30_000),
        term_months: 12,
        purpose: "扩大养殖规模".to_string(),
        consent: true,
        repayment_method: method,
        guarantee_type: guarantee,
        idempotency_key: key.to_string(),
    }
}

#[tokio::test]
async fn a_new_product_is_drafted_published_and_its_applicants_choose_method_and_guarantee() {
    on_each_backend(|env| async move {
        env.seed().await;
        let s = &env.services;
        let p1 = env.staff("product1").await;
        let p2 = env.staff("product2").await;

        // A top-level product states its own terms; contradictions are
        // refused and nothing is stored.
        let mut no_amount = new_product("SHD");
        no_amount.overrides.amount = None;
        assert_code(
            s.products().create_product(&p1, no_amount).await,
            ErrorCode::ProductRangeIncomplete,
        );
        let mut revolving_without_line = new_product("SHD");
        revolving_without_line.overrides.repayment_methods = Some(vec![RepaymentMethod::Revolving]);
        assert_code(
            s.products()
                .create_product(&p1, revolving_without_line)
                .await,
            ErrorCode::ProductRevolvingMethodWithoutLine,
        );
        let mut base_outside = new_product("SHD");
        base_outside.overrides.rate_bp = Some(Bounds::new(600, 800));
        assert_code(
            s.products().create_product(&p1, base_outside).await,
            ErrorCode::ProductBaseRateOutsideRange,
        );
        assert_code(
            s.products()
                .create_product(&env.staff("officer1").await, new_product("SHD"))
                .await,
            ErrorCode::Forbidden,
        );
        assert_eq!(
            env.scalar_i64("SELECT COUNT(*) FROM products WHERE code = 'SHD'")
                .await,
            0
        );

        let id = s
            .products()
            .create_product(&p1, new_product("SHD"))
            .await
            .expect("draft");
        let li = env.customer(LI).await;
        assert!(s
            .products()
            .offered_products(&li)
            .await
            .unwrap()
            .iter()
            .all(|p| p.id != id));
        let (v1, row) = version(&env, &id, 1).await;
        assert_code(
            s.products().publish_product_version(&p1, &v1, row).await,
            ErrorCode::ProductSelfPublish,
        );
        s.products()
            .publish_product_version(&p2, &v1, row)
            .await
            .expect("publish");

        let offered = s.products().offered_products(&li).await.unwrap();
        let shd = offered
            .iter()
            .find(|p| p.id == id)
            .expect("offered once published");
        assert_eq!(
            shd.methods,
            vec![
                RepaymentMethod::EqualInstalment,
                RepaymentMethod::EqualPrincipal
            ]
        );
        assert_eq!(
            shd.guarantee_types,
            vec![GuaranteeType::Credit, GuaranteeType::Guarantor]
        );
        assert_eq!(shd.rate.bp(), 550);

        // The applicant chooses among what the product offers, nothing else.
        let apps = s.applications();
        assert_code(
            apps.submit_application(
                &li,
                application(&id, "shd-bullet", Some(RepaymentMethod::Bullet), None),
            )
            .await,
            ErrorCode::ApplicationMethodNotOffered,
        );
        assert_code(
            apps.submit_application(
                &li,
                application(&id, "shd-mortgage", None, Some(GuaranteeType::Mortgage)),
            )
            .await,
            ErrorCode::ApplicationGuaranteeNotOffered,
        );
        assert_eq!(
            env.scalar_i64(&format!(
                "SELECT COUNT(*) FROM applications WHERE product_id = '{id}'"
            ))
            .await,
            0
        );
        let chosen = apps
            .submit_application(
                &li,
                application(
                    &id,
                    "shd-chosen",
                    Some(RepaymentMethod::EqualPrincipal),
                    Some(GuaranteeType::Guarantor),
                ),
            )
            .await
            .expect("submit with a choice");
        let row = env
            .scalar_text(&format!(
                "SELECT repayment_method || '/' || guarantee_type FROM applications \
                 WHERE id = '{chosen}'"
            ))
            .await;
        assert_eq!(row, "equal_principal/guarantor");
        // The guarantor panel follows the applicant's choice, not the
        // product's first guarantee type.
        let officer = env.staff("officer1").await;
        let panel = apps.guarantors(&officer, &chosen).await.expect("panel");
        assert!(panel.required);
        let defaulted = apps
            .submit_application(&li, application(&id, "shd-default", None, None))
            .await
            .expect("submit with the defaults");
        let row = env
            .scalar_text(&format!(
                "SELECT repayment_method || '/' || guarantee_type FROM applications \
                 WHERE id = '{defaulted}'"
            ))
            .await;
        assert_eq!(row, "equal_instalment/credit");
        assert!(
            !apps
                .guarantors(&officer, &defaulted)
                .await
                .expect("panel")
                .required
        );
    })
    .await;
}

#[tokio::test]
async fn a_new_version_changes_any_parameter_and_applications_keep_theirs() {
    on_each_backend(|env| async move {
        env.seed().await;
        let s = &env.services;
        let p1 = env.staff("product1").await;
        let p2 = env.staff("product2").await;
        let li = env.customer(LI).await;
        let fsd = product_id(&env, "FSD").await;
        let before = s
            .applications()
            .submit_application(&li, application(&fsd, "fsd-v1", None, None))
            .await
            .expect("apply under version 1");
        let v1_id = version(&env, &fsd, 1).await.0;

        // Version 2: another repayment method and a lower base rate.
        let change = |note: &str| NewProductVersion {
            product_id: fsd.clone().into(),
            overrides: ProductOverride {
                repayment_methods: Some(vec![
                    RepaymentMethod::EqualInstalment,
                    RepaymentMethod::EqualPrincipal,
                ]),
                ..ProductOverride::default()
            },
            flow_code: "standard".to_string(),
            note: note.to_string(),
        };
        assert_eq!(
            s.products()
                .draft_product_version(&p1, change("加等额本金"))
                .await
                .expect("draft"),
            2
        );
        // While it is open, another manager waits; its author changes it.
        assert_code(
            s.products()
                .draft_product_version(&p2, change("抢先"))
                .await,
            ErrorCode::ProductDraftOpen,
        );
        assert_eq!(
            s.products()
                .draft_product_version(&p1, change("加等额本金，改说明"))
                .await
                .expect("redraft"),
            2
        );
        assert_eq!(
            env.scalar_text(&format!(
                "SELECT note FROM product_versions WHERE product_id = '{fsd}' AND version = 2"
            ))
            .await,
            "加等额本金，改说明"
        );
        // Still version 1 for customers until someone else publishes.
        let shown = s.products().product(&fsd).await.unwrap();
        assert_eq!(shown.methods.len(), 1);
        let v2 = published(&env, &fsd, 2).await;
        let shown = s.products().product(&fsd).await.unwrap();
        assert_eq!(
            shown.methods,
            vec![
                RepaymentMethod::EqualInstalment,
                RepaymentMethod::EqualPrincipal
            ]
        );
        assert_eq!(
            env.scalar_text(&format!(
                "SELECT status FROM product_versions WHERE id = '{v1_id}'"
            ))
            .await,
            "retired"
        );
        // The application made under version 1 keeps it; a new one takes 2.
        assert_eq!(
            env.scalar_text(&format!(
                "SELECT product_version_id FROM applications WHERE id = '{before}'"
            ))
            .await,
            v1_id
        );
        let after = s
            .applications()
            .submit_application(
                &li,
                application(&fsd, "fsd-v2", Some(RepaymentMethod::EqualPrincipal), None),
            )
            .await
            .expect("apply under version 2");
        assert_eq!(
            env.scalar_text(&format!(
                "SELECT product_version_id FROM applications WHERE id = '{after}'"
            ))
            .await,
            v2
        );
        for action in ["product.version_drafted", "product.published"] {
            assert!(
                env.scalar_i64(&format!(
                    "SELECT COUNT(*) FROM audit_log WHERE action = '{action}' \
                     AND entity_id = '{fsd}'"
                ))
                .await
                    >= 1
            );
        }

        // A parent's version may not shrink below a live sub-product: the
        // county sub-product of 惠农e贷 lends up to 200,000.
        let hned = product_id(&env, "HNED").await;
        let sub = s
            .products()
            .create_product(
                &p1,
                NewProductDraft {
                    parent_id: Some(hned.clone().into()),
                    code: "PG1".into(),
                    name_zh: "惠农e贷·平谷".into(),
                    name_en: String::new(),
                    summary_zh: String::new(),
                    overrides: ProductOverride {
                        amount: Some(Bounds::new(Fen::from_yuan(50_000), Fen::from_yuan(200_000))),
                        ..ProductOverride::default()
                    },
                    flow_code: "standard".into(),
                },
            )
            .await
            .expect("sub-product");
        published(&env, &sub, 1).await;
        let shrink = NewProductVersion {
            product_id: hned.clone().into(),
            overrides: ProductOverride {
                amount: Some(Bounds::new(Fen::from_yuan(1_000), Fen::from_yuan(100_000))),
                ..ProductOverride::default()
            },
            flow_code: "standard".into(),
            note: "压降额度".into(),
        };
        s.products()
            .draft_product_version(&p1, shrink)
            .await
            .expect("draft the shrink");
        let (hv2, row) = version(&env, &hned, 2).await;
        match s.products().publish_product_version(&p2, &hv2, row).await {
            Err(ServiceError::Validation { code, params }) => {
                assert_eq!(code, ErrorCode::ProductChildWidens);
                assert_eq!(params, vec![("product", "PG1".to_string())]);
            }
            other => panic!("expected product_child_widens, got {other:?}"),
        }
        assert_eq!(
            env.scalar_text(&format!(
                "SELECT status FROM product_versions WHERE id = '{hv2}'"
            ))
            .await,
            "draft"
        );
    })
    .await;
}

#[tokio::test]
async fn a_withdrawn_product_takes_no_new_applications_and_its_open_ones_run_on() {
    on_each_backend(|env| async move {
        env.seed().await;
        let s = &env.services;
        let p1 = env.staff("product1").await;
        let p2 = env.staff("product2").await;
        let li = env.customer(LI).await;
        let fsd = product_id(&env, "FSD").await;
        let open = s
            .applications()
            .submit_application(&li, application(&fsd, "fsd-open", None, None))
            .await
            .expect("apply");
        let (v1, row) = version(&env, &fsd, 1).await;

        assert_code(
            s.products()
                .retire_product_version(&p1, &v1, row, "  ")
                .await,
            ErrorCode::ProductRetireReasonRequired,
        );
        assert_code(
            s.products()
                .retire_product_version(&env.staff("officer1").await, &v1, row, "停办")
                .await,
            ErrorCode::Forbidden,
        );
        s.products()
            .retire_product_version(&p1, &v1, row, "总行通知停办该产品")
            .await
            .expect("withdraw");
        assert_code(
            s.products()
                .retire_product_version(&p1, &v1, row, "再次停用")
                .await,
            ErrorCode::ApplicationStateChanged,
        );
        assert!(s
            .products()
            .offered_products(&li)
            .await
            .unwrap()
            .iter()
            .all(|p| p.id != fsd));
        assert_code(
            s.applications()
                .submit_application(&li, application(&fsd, "fsd-late", None, None))
                .await,
            ErrorCode::NotFound,
        );
        // The open application runs on, on the withdrawn version.
        let officer = env.staff("officer1").await;
        let file = s
            .applications()
            .application_for_staff(&officer, &open)
            .await
            .expect("file");
        assert_eq!(
            file.status,
            domain::application::ApplicationStatus::Submitted
        );
        let market = s.products().supermarket(&p2).await.unwrap();
        let entry = market
            .iter()
            .find(|p| p.id == fsd)
            .expect("still listed for staff");
        assert_eq!(
            entry.versions[0].retire_reason.as_deref(),
            Some("总行通知停办该产品")
        );
        assert_eq!(
            env.scalar_i64(&format!(
                "SELECT COUNT(*) FROM audit_log WHERE action = 'product.retired' \
                 AND entity_id = '{fsd}'"
            ))
            .await,
            1
        );

        // A new version offers it again.
        s.products()
            .draft_product_version(
                &p1,
                NewProductVersion {
                    product_id: fsd.clone().into(),
                    overrides: ProductOverride::default(),
                    flow_code: "standard".into(),
                    note: "恢复办理".into(),
                },
            )
            .await
            .expect("draft again");
        published(&env, &fsd, 2).await;
        assert!(s
            .products()
            .offered_products(&li)
            .await
            .unwrap()
            .iter()
            .any(|p| p.id == fsd));

        // A parent with a live sub-product cannot be withdrawn.
        let hned = product_id(&env, "HNED").await;
        let sub = s
            .products()
            .create_product(
                &p1,
                NewProductDraft {
                    parent_id: Some(hned.clone().into()),
                    code: "PG2".into(),
                    name_zh: "惠农e贷·平谷".into(),
                    name_en: String::new(),
                    summary_zh: String::new(),
                    overrides: ProductOverride::default(),
                    flow_code: "standard".into(),
                },
            )
            .await
            .expect("sub-product");
        published(&env, &sub, 1).await;
        let (hv, row) = version(&env, &hned, 1).await;
        assert_code(
            s.products()
                .retire_product_version(&p1, &hv, row, "停办")
                .await,
            ErrorCode::ProductHasLiveChildren,
        );
    })
    .await;
}

#[tokio::test]
async fn two_managers_drafting_a_version_at_once_make_one_draft() {
    on_each_backend(|env| async move {
        env.seed().await;
        let s = &env.services;
        let fsd = product_id(&env, "FSD").await;
        let (p1, p2) = (env.staff("product1").await, env.staff("product2").await);
        let draft = |note: &str| NewProductVersion {
            product_id: fsd.clone().into(),
            overrides: ProductOverride::default(),
            flow_code: "standard".into(),
            note: note.into(),
        };
        let (a, b) = tokio::join!(
            s.products().draft_product_version(&p1, draft("一")),
            s.products().draft_product_version(&p2, draft("二")),
        );
        assert!(a.is_ok() != b.is_ok(), "exactly one drafts: {a:?} {b:?}");
        for r in [a, b] {
            if let Err(e) = r {
                assert!(
                    matches!(
                        e.code(),
                        ErrorCode::ProductDraftOpen | ErrorCode::ApplicationStateChanged
                    ),
                    "{e:?}"
                );
            }
        }
        assert_eq!(
            env.scalar_i64(&format!(
                "SELECT COUNT(*) FROM product_versions WHERE product_id = '{fsd}' \
                 AND status = 'draft'"
            ))
            .await,
            1
        );
    })
    .await;
}

/// 随借随还: a revolving product made in the factory, applied for, approved,
/// signed and paid out; the loan is the first draw on a revolving line of
/// the amount approved, and what is repaid may be drawn again.
#[tokio::test]
async fn a_revolving_product_is_approved_as_a_line_drawn_repaid_and_drawn_again() {
    on_each_backend(|env| async move {
        env.seed().await;
        let s = &env.services;
        let mut draft = new_product("SJSH");
        draft.name_zh = "随借随还贷".into();
        draft.overrides.term_months = Some(Bounds::new(6, 12));
        draft.overrides.repayment_methods = Some(vec![RepaymentMethod::Revolving]);
        draft.overrides.guarantee_types = Some(vec![GuaranteeType::Credit]);
        draft.overrides.revolving = Some(true);
        // 包办制: the marketer (officer1) investigates, as on the demo products.
        draft.overrides.duty = Some(domain::duty::DutyPolicy::single_officer_up_to(
            Fen::from_yuan(300_000),
        ));
        let id = s
            .products()
            .create_product(&env.staff("product1").await, draft)
            .await
            .expect("draft");
        published(&env, &id, 1).await;

        let app = env
            .approved_for(LI, &id, Fen::from_yuan(20_000), "sjsh-1")
            .await;
        let loan = env.sign_and_disburse(&app, LI).await;
        let line = env
            .scalar_text(&format!(
                "SELECT credit_line_id FROM loans WHERE id = '{loan}'"
            ))
            .await;
        assert_eq!(
            env.scalar_text(&format!(
                "SELECT repayment_method FROM loans WHERE id = '{loan}'"
            ))
            .await,
            "revolving"
        );
        let li = env.customer(LI).await;
        let shown = |lines: Vec<domain::view::CreditLineView>| {
            lines
                .into_iter()
                .find(|l| l.id.as_str() == line)
                .expect("the line is the customer's")
        };
        let l = shown(s.servicing().my_lines(&li).await.unwrap());
        assert_eq!(l.kind, domain::servicing::credit_line::LineKind::Revolving);
        assert_eq!(l.limit, Fen::from_yuan(20_000));
        assert_eq!(l.available, Fen::ZERO);
        // No instalments: nothing is due before maturity.
        assert_eq!(
            env.scalar_i64(&format!(
                "SELECT COUNT(*) FROM loan_schedule WHERE loan_id = '{loan}'"
            ))
            .await,
            0
        );

        // Any amount, any day: 5,000 repaid gives 5,000 back to the line.
        s.servicing()
            .repay(&li, &loan, Fen::from_yuan(5_000), "sjsh-repay-1")
            .await
            .expect("repay part");
        let l = shown(s.servicing().my_lines(&li).await.unwrap());
        assert_eq!(l.available, Fen::from_yuan(5_000));
        let again = s
            .servicing()
            .draw_down(&li, &line, Fen::from_yuan(3_000), 6, "sjsh-draw-2")
            .await
            .expect("draw again");
        assert_ne!(again, loan);
        let l = shown(s.servicing().my_lines(&li).await.unwrap());
        assert_eq!(l.available, Fen::from_yuan(2_000));
        assert_eq!(
            env.scalar_i64(&format!(
                "SELECT COUNT(*) FROM audit_log WHERE action = 'credit_line.granted' \
                 AND entity_id = '{line}'"
            ))
            .await,
            1
        );

        // 柜面还款: the desk takes 1,000 in cash; a double click posts once
        // (both clicks get the one result), and the line gets it back.
        let desk = env.staff("disburser1").await;
        let sv = s.servicing();
        let (a, b) = tokio::join!(
            sv.repay_at_counter(&desk, &loan, Fen::from_yuan(1_000), "counter-1"),
            sv.repay_at_counter(&desk, &loan, Fen::from_yuan(1_000), "counter-1"),
        );
        let (a, b) = (a.expect("first click"), b.expect("second click"));
        assert_eq!(a, b);
        assert_eq!(
            env.scalar_i64(&format!(
                "SELECT COUNT(*) FROM postings WHERE loan_id = '{loan}' \
                 AND idempotency_key = 'counter-repay:counter-1'"
            ))
            .await,
            1
        );
        let l = shown(s.servicing().my_lines(&li).await.unwrap());
        assert_eq!(l.available, Fen::from_yuan(3_000));
        // Never more than is owed, never by someone not at the desk, and
        // the same key with another amount is another payment.
        let owed = s.loans().my_loan(&li, &loan).await.unwrap().summary.due_now;
        let over = owed.total().unwrap() + Fen(1);
        match sv.repay_at_counter(&desk, &loan, over, "counter-2").await {
            Err(e) => assert_eq!(e.code(), domain::error_code::ErrorCode::RepaymentExceedsDue),
            Ok(v) => panic!("over what is owed: {v:?}"),
        }
        assert!(sv
            .repay_at_counter(&env.staff("officer1").await, &loan, Fen(100), "counter-3")
            .await
            .is_err());
        assert!(sv
            .repay_at_counter(&desk, &loan, Fen::from_yuan(2_000), "counter-1")
            .await
            .is_err());
    })
    .await;
}

/// A mortgage product's own loan-to-value cap (抵质押率上限), set in a new
/// version, holds its loans below the usual cap of their collateral.
#[tokio::test]
async fn a_products_own_ltv_cap_holds_its_loans_below_the_collaterals() {
    on_each_backend(|env| async move {
        env.seed().await;
        let s = &env.services;
        let ajd = product_id(&env, "AJD").await;
        let capped = NewProductVersion {
            product_id: ajd.clone().into(),
            overrides: ProductOverride {
                ltv_cap_bp: Some(Some(5_000)),
                ..ProductOverride::default()
            },
            flow_code: "standard".into(),
            note: "抵押率上限压降至 50%".into(),
        };
        assert_code(
            s.products()
                .draft_product_version(
                    &env.staff("product1").await,
                    NewProductVersion {
                        overrides: ProductOverride {
                            ltv_cap_bp: Some(Some(12_000)),
                            ..ProductOverride::default()
                        },
                        ..capped.clone()
                    },
                )
                .await,
            ErrorCode::ProductOutsideBankPolicy,
        );
        s.products()
            .draft_product_version(&env.staff("product1").await, capped)
            .await
            .expect("draft");
        published(&env, &ajd, 2).await;

        // 150,000 against a house of 250,000: 60 %, under the house's usual
        // 70 % but above this product's 50 %.
        let app = env
            .approved_application(
                LI,
                GuaranteeType::Mortgage,
                Fen::from_yuan(150_000),
                "ajd-cap",
            )
            .await;
        let officer = env.staff("officer1").await;
        s.applications()
            .record_collateral(
                &officer,
                &app,
                domain::collateral::CollateralInput {
                    kind: domain::collateral::CollateralKind::House,
                    owner_name: "李秀英".into(),
                    certificate_no: "赣(2026)不动产权第0000099号".into(),
                    registration_no: None,
                    valuation: Fen::from_yuan(250_000),
                    valued_on: common::today().add_days(-30),
                    valuer: "县诚信资产评估有限公司".into(),
                    description: "两层砖混住宅，120 平方米".into(),
                },
            )
            .await
            .expect("recorded");
        let panel = s.applications().collateral(&officer, &app).await.unwrap();
        assert_eq!(panel.cap_bp, Some(5_000));
        assert_eq!(panel.ltv_bp, Some(6_000));
    })
    .await;
}
