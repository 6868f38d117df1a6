//! Database tests of the decision engine's use cases — bureau inquiries,
//! the pre-screen on submission, the full decision before approval, and
//! versioned rule sets with maker-checker — each on SQLite and (when
//! `PUHUI_TEST_PG_URL` is set) PostgreSQL.

mod common;

use domain::notice::DeclineCategory;
use std::sync::Arc;
use std::time::Duration;

use common::{on_each_backend, today, Env};
use domain::application::{ApplicationStatus, Decision};
use domain::error_code::ErrorCode;
use domain::identity::IdNumber;
use domain::money::Fen;
use domain::rules::lifecycle::{DecisionStage, RuleSetStatus};
use domain::rules::rule::{Action, RuleDef, Verdict};
use domain::rules::schema::Value;
use domain::rules::strategy::{StageBodyDef, StrategyDef};
use service::applications::InvestigationInput;
use service::applications::NewApplication;
use service::risk::bureau::dev_report;
use service::risk::RuleSetDraft;
use service::{DevBureauProvider, ServiceError, Services};

const LI: &str = "13800000001";

/// The services with an instant development bureau and a short timeout.
fn quick(env: &Env) -> Services {
    let mut s = env.services.clone().with_bureau(Arc::new(
        DevBureauProvider::new().with_latency(Duration::ZERO),
    ));
    s.config.bureau_timeout_ms = 300;
    s
}

fn assert_code<T: std::fmt::Debug>(r: Result<T, ServiceError>, code: ErrorCode) {
    match r {
        Err(e) => assert_eq!(e.code(), code, "{e:?}"),
        Ok(v) => panic!("expected {code}, got Ok({v:?})"),
    }
}

fn param(e: &ServiceError, key: &str) -> Option<String> {
    e.params()
        .into_iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v)
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

fn investigation(income_yuan: i64, amount: Fen) -> InvestigationInput {
    InvestigationInput {
        visited_on: today(),
        household_income: Fen::from_yuan(income_yuan),
        household_assets: Fen::from_yuan(400_000),
        household_debts: Fen::from_yuan(20_000),
        findings: "实地走访，经营正常。".to_string(),
        recommendation: Decision::Approve,
        recommended_amount: amount,
    }
}

/// 惠农e贷 of 李秀英's bank.
async fn hned(env: &Env) -> String {
    let li = env.customer(LI).await;
    env.scalar_text(&format!(
        "SELECT id FROM products WHERE bank_id = '{}' AND code = 'HNED'",
        li.bank_id
    ))
    .await
}

async fn li_applies(env: &Env, s: &Services, yuan: i64, key: &str) -> String {
    let li = env.customer(LI).await;
    let product = hned(env).await;
    s.applications()
        .submit_application(&li, request(&product, yuan, key))
        .await
        .expect("submit")
}

/// Gives 李秀英 another (valid) ID number: the same region, `birth` or her
/// own birth date, and `sequence` — which picks the development bureau's
/// behaviour (998 fails, 999 never answers).
async fn li_id_number(env: &Env, birth: Option<domain::date::Date>, sequence: u16) -> IdNumber {
    let raw = env.id_number_of_phone(LI).await;
    let own = IdNumber::parse(&raw).expect("demo id number");
    let id = IdNumber::from_parts(&raw[..6], birth.unwrap_or(own.birth_date()), sequence)
        .expect("id number");
    env.set_id_number_of_phone(LI, id.as_str()).await;
    id
}

fn feature<'a>(d: &'a domain::view::DecisionView, name: &str) -> &'a Value {
    &d.features
        .iter()
        .find(|f| f.name == name)
        .unwrap_or_else(|| panic!("no feature {name}"))
        .value
}

#[tokio::test]
async fn submit_runs_the_pre_screen_and_stores_it() {
    on_each_backend(|env| async move {
        env.seed().await;
        let s = quick(&env);
        let id = li_applies(&env, &s, 50_000, "pre-screen").await;

        // One inquiry, by the customer, under her consent, through DEV.
        let consent = env
            .scalar_text(&format!(
                "SELECT id FROM bureau_consents WHERE application_id = '{id}'"
            ))
            .await;
        assert_eq!(
            env.scalar_text(&format!(
                "SELECT provider || '/' || outcome || '/' || requested_by_kind || '/' || consent_id \
                 FROM bureau_inquiries WHERE application_id = '{id}'"
            ))
            .await,
            format!("DEV/ok/customer/{consent}")
        );
        for action in ["bureau.inquired", "decision.made"] {
            assert_eq!(
                env.scalar_i64(&format!(
                    "SELECT COUNT(*) FROM audit_log WHERE action = '{action}'"
                ))
                .await,
                1,
                "{action}"
            );
        }

        let officer = env.staff("officer1").await;
        let view = s.applications().application_for_staff(&officer, &id).await.unwrap();
        assert_eq!(view.status, ApplicationStatus::Submitted);
        let pre = view.pre_screen.expect("pre-screen stored");
        assert_eq!(pre.stage, DecisionStage::PreScreen);
        assert_eq!(pre.rule_set_version, Some(1));
        assert_ne!(pre.outcome, Verdict::Reject, "{:?}", pre.trace);
        assert_eq!(feature(&pre, "age"), &Value::Int(49));
        assert_eq!(
            feature(&pre, "amount"),
            &Value::Money(Fen::from_yuan(50_000))
        );
        assert_eq!(feature(&pre, "bureau_available"), &Value::Bool(true));
        // The ID number is stored and shown masked.
        assert!(matches!(feature(&pre, "id_number"), Value::Text(t) if t.contains("**********")));
        let bureau = pre.bureau.expect("inquiry");
        assert!(bureau.synthetic && bureau.provider == "DEV" && bureau.outcome == domain::view::InquiryOutcome::Ok);
        assert!(view.full_decision.is_none());
        // Still the officer's task, as before the engine.
        assert!(s
            .workflow().inbox(&officer)
            .await
            .unwrap()
            .iter()
            .any(|t| t.task.application_id == id));

        // The customer sees the outcome, and no reasons when not rejected.
        let li = env.customer(LI).await;
        let mine = s.applications().my_application(&li, &id).await.unwrap();
        let screening = mine.screening.expect("screening");
        assert_eq!(screening.outcome, pre.outcome);
        assert!(screening.reasons.is_empty());
        let kinds: Vec<&str> = mine.timeline.iter().map(|e| e.kind.as_str()).collect();
        assert_eq!(kinds, ["submitted"]);

        // Submitting the same form again screens nothing twice.
        let again = li_applies(&env, &s, 50_000, "pre-screen").await;
        assert_eq!(again, id);
        assert_eq!(
            env.scalar_i64("SELECT COUNT(*) FROM decisions").await,
            1
        );
    })
    .await;
}

#[tokio::test]
async fn a_rejecting_pre_screen_is_shown_to_the_customer_at_once() {
    on_each_backend(|env| async move {
        env.seed().await;
        let s = quick(&env);
        // Born in 1956: 70 on the day she applies, above the product's 65.
        li_id_number(&env, domain::date::Date::new(1956, 3, 2).ok(), 125).await;
        let id = li_applies(&env, &s, 50_000, "too-old").await;

        let li = env.customer(LI).await;
        let mine = s.applications().my_application(&li, &id).await.unwrap();
        assert_eq!(mine.summary.status, ApplicationStatus::Rejected);
        let screening = mine.screening.expect("screening");
        assert_eq!(screening.outcome, Verdict::Reject);
        let codes: Vec<&str> = screening.reasons.iter().map(|r| r.code.as_str()).collect();
        // The age rule decides; the synthetic report of the number may add more.
        assert_eq!(codes.first(), Some(&"age_out_of_range"), "{codes:?}");
        assert_eq!(
            screening.reasons[0].text_zh,
            "申请人年龄不在本产品的准入范围内。"
        );
        let kinds: Vec<&str> = mine.timeline.iter().map(|e| e.kind.as_str()).collect();
        assert_eq!(kinds, ["submitted", "rejected"]);

        // Closed at once: no officer task, audited as the engine's doing.
        let officer = env.staff("officer1").await;
        assert!(s
            .workflow()
            .inbox(&officer)
            .await
            .unwrap()
            .iter()
            .all(|t| t.task.application_id != id));
        assert_eq!(
            env.scalar_i64(&format!(
                "SELECT COUNT(*) FROM audit_log WHERE action = 'application.screened_out' \
                 AND entity_id = '{id}' AND actor_kind = 'system'"
            ))
            .await,
            1
        );
        // Staff see the whole trace; the customer view has none to leak.
        let view = s
            .applications()
            .application_for_staff(&officer, &id)
            .await
            .unwrap();
        let pre = view.pre_screen.expect("pre-screen");
        assert!(pre.trace.iter().any(|l| l
            .text_zh
            .starts_with("规则「年龄不在准入范围」命中：年龄 = 70")));
        assert!(!view.can_investigate);
        assert_code(
            s.applications()
                .record_investigation(
                    &officer,
                    &id,
                    view.version,
                    investigation(120_000, Fen::from_yuan(50_000)),
                )
                .await,
            ErrorCode::ApplicationStateChanged,
        );
    })
    .await;
}

#[tokio::test]
async fn blacklist_reasons_are_not_disclosed_to_the_customer() {
    on_each_backend(|env| async move {
        env.seed().await;
        let s = quick(&env);
        // An ID number the development bureau lists, with a clean record otherwise.
        let raw = env.id_number_of_phone(LI).await;
        let birth = IdNumber::parse(&raw).unwrap().birth_date();
        let seq = (1..990u16)
            .find(|q| {
                let r = dev_report(&IdNumber::from_parts(&raw[..6], birth, *q).unwrap());
                r.blacklisted
                    && r.lenders < 4
                    && r.worst_delinquency == 0
                    && r.inquiries_3m < 6
                    && r.score.is_none_or(|sc| sc >= 500)
            })
            .expect("a blacklisted test number");
        li_id_number(&env, None, seq).await;
        let id = li_applies(&env, &s, 50_000, "listed").await;

        let li = env.customer(LI).await;
        let mine = s.applications().my_application(&li, &id).await.unwrap();
        assert_eq!(mine.summary.status, ApplicationStatus::Rejected);
        let screening = mine.screening.clone().expect("screening");
        let codes: Vec<&str> = screening.reasons.iter().map(|r| r.code.as_str()).collect();
        assert_eq!(codes, ["general"]);
        assert!(!screening.reasons[0].text_zh.contains("黑名单"));
        let json = serde_json::to_string(&mine).unwrap();
        assert!(!json.contains("blacklist"), "{json}");
        // Staff see why.
        let view = s
            .applications()
            .application_for_staff(&env.staff("officer1").await, &id)
            .await
            .unwrap();
        assert_eq!(
            view.pre_screen.expect("pre-screen").reason_codes,
            ["blacklisted"]
        );
    })
    .await;
}

#[tokio::test]
async fn a_bureau_timeout_or_failure_refers_and_never_approves() {
    on_each_backend(|env| async move {
        env.seed().await;
        let s = quick(&env);
        li_id_number(&env, None, 999).await;
        let started = std::time::Instant::now();
        let id = li_applies(&env, &s, 50_000, "bureau-timeout").await;
        // Answered within the timeout (300 ms), not the bureau's ten minutes.
        assert!(started.elapsed() < Duration::from_secs(5), "{}", env.label);
        assert_eq!(
            env.scalar_text(&format!(
                "SELECT outcome FROM bureau_inquiries WHERE application_id = '{id}'"
            ))
            .await,
            "timeout"
        );
        let officer = env.staff("officer1").await;
        let view = s
            .applications()
            .application_for_staff(&officer, &id)
            .await
            .unwrap();
        let pre = view.pre_screen.expect("pre-screen");
        assert_eq!(pre.outcome, Verdict::Refer);
        assert!(pre.reason_codes.contains(&"bureau_unavailable".to_string()));
        assert_eq!(feature(&pre, "bureau_available"), &Value::Bool(false));
        assert!(feature(&pre, "bureau_score").is_missing());
        assert_eq!(
            pre.bureau.expect("inquiry").outcome,
            domain::view::InquiryOutcome::Timeout
        );
        // Refer goes on to the officer, as before.
        assert_eq!(view.status, ApplicationStatus::Submitted);

        // The full decision asks again (no report to reuse): timeout, refer.
        s.applications()
            .record_investigation(
                &officer,
                &id,
                view.version,
                investigation(120_000, Fen::from_yuan(50_000)),
            )
            .await
            .unwrap();
        let approver = env.staff("approver1").await;
        let view = s
            .applications()
            .application_for_staff(&approver, &id)
            .await
            .unwrap();
        let full = view.full_decision.expect("full decision");
        assert_eq!(full.outcome, Verdict::Refer);
        assert!(full
            .reason_codes
            .contains(&"bureau_unavailable".to_string()));
        assert!(full
            .trace
            .iter()
            .any(|l| l.text_zh.contains("未取得征信报告，转人工审核")));
        assert_eq!(
            env.scalar_i64(&format!(
                "SELECT COUNT(*) FROM bureau_inquiries WHERE application_id = '{id}' \
                 AND outcome = 'timeout'"
            ))
            .await,
            2
        );

        // A failing bureau (sequence 998) refers the same way.
        li_id_number(&env, None, 998).await;
        let id2 = li_applies(&env, &s, 60_000, "bureau-failure").await;
        let pre = s
            .applications()
            .application_for_staff(&officer, &id2)
            .await
            .unwrap()
            .pre_screen
            .expect("pre-screen");
        assert_eq!(pre.outcome, Verdict::Refer);
        assert!(pre.reason_codes.contains(&"bureau_unavailable".to_string()));
        assert_eq!(
            pre.bureau.expect("inquiry").outcome,
            domain::view::InquiryOutcome::Failed
        );
    })
    .await;
}

#[tokio::test]
async fn the_full_decision_sets_limit_and_price_before_approval() {
    on_each_backend(|env| async move {
        env.seed().await;
        let s = quick(&env);
        let id = li_applies(&env, &s, 50_000, "full").await;
        let officer = env.staff("officer1").await;
        s.applications()
            .record_investigation(
                &officer,
                &id,
                1,
                investigation(120_000, Fen::from_yuan(50_000)),
            )
            .await
            .unwrap();
        let approver = env.assignee(&id, "approval").await;
        let view = s
            .applications()
            .application_for_staff(&approver, &id)
            .await
            .unwrap();
        let full = view.full_decision.clone().expect("full decision");
        assert_eq!(full.stage, DecisionStage::Full);
        assert_eq!(full.rule_set_version, Some(1));
        assert_ne!(full.outcome, Verdict::Reject, "{:#?}", full.trace);
        assert!(full.score.is_some() && full.grade.is_some());
        let limit = full.limit.expect("a limit");
        assert!(limit >= Fen::from_yuan(50_000), "{limit:?}");
        let rate = full.rate_bp.expect("a rate");
        assert_eq!(
            feature(&full, "verified_income"),
            &Value::Money(Fen::from_yuan(120_000))
        );
        assert!(full
            .trace
            .iter()
            .any(|l| l.text_zh.starts_with("评分卡「农户评分卡」：基础分 500")));
        assert_eq!(view.approve_blocked_reason, None);
        // The pre-screen's report was reused: one inquiry only.
        assert_eq!(
            env.scalar_i64(&format!(
                "SELECT COUNT(*) FROM bureau_inquiries WHERE application_id = '{id}'"
            ))
            .await,
            1
        );
        // Running it again gives a second stored decision, the latest shown.
        let again = s.risk().run_full_decision(&approver, &id).await.unwrap();
        assert_eq!((again.outcome, again.limit), (full.outcome, full.limit));
        assert_ne!(again.id, full.id);
        assert_eq!(
            s.risk()
                .application_decisions(&approver, &id)
                .await
                .unwrap()
                .len(),
            3
        );
        assert_code(
            s.risk()
                .run_full_decision(&env.staff("approver4").await, &id)
                .await,
            ErrorCode::Forbidden,
        );

        // The loan is granted, then booked when paid out, at the engine's
        // price.
        let booked = s
            .applications()
            .decide(
                &approver,
                &id,
                view.version,
                Decision::Approve,
                None,
                "同意".into(),
            )
            .await
            .unwrap();
        assert_eq!(booked, None);
        let loan_id = env.sign_and_disburse(&id, LI).await;
        let loan = s.loans().loan_for_staff(&approver, &loan_id).await.unwrap();
        assert_eq!(loan.summary.rate.bp(), rate);
    })
    .await;
}

#[tokio::test]
async fn approval_is_refused_when_the_engine_rejects_or_the_limit_is_lower() {
    on_each_backend(|env| async move {
        env.seed().await;
        let s = quick(&env);
        let officer = env.staff("officer1").await;

        // A verified income of 15,000 yuan is below admission: rejected.
        let id = li_applies(&env, &s, 50_000, "poor").await;
        s.applications()
            .record_investigation(
                &officer,
                &id,
                1,
                investigation(15_000, Fen::from_yuan(50_000)),
            )
            .await
            .unwrap();
        let approver = env.assignee(&id, "approval").await;
        let view = s
            .applications()
            .application_for_staff(&approver, &id)
            .await
            .unwrap();
        let full = view.full_decision.expect("full decision");
        assert_eq!(full.outcome, Verdict::Reject);
        assert!(full.reason_codes.contains(&"income_too_low".to_string()));
        assert!(view.can_decide);
        assert_eq!(view.approve_blocked_reason, Some(ErrorCode::EngineRejected));
        assert_code(
            s.applications()
                .decide(
                    &approver,
                    &id,
                    view.version,
                    Decision::Approve,
                    None,
                    String::new(),
                )
                .await,
            ErrorCode::EngineRejected,
        );
        // Rejecting stays the approver's to do.
        s.applications()
            .decide(
                &approver,
                &id,
                view.version,
                Decision::Reject,
                Some(DeclineCategory::RepaymentCapacity),
                "收入不足".into(),
            )
            .await
            .unwrap();

        // 40,000 yuan a year caps the limit at 30,000: 50,000 cannot be approved.
        let id = li_applies(&env, &s, 50_000, "capped").await;
        s.applications()
            .record_investigation(
                &officer,
                &id,
                1,
                investigation(40_000, Fen::from_yuan(50_000)),
            )
            .await
            .unwrap();
        let approver = env.assignee(&id, "approval").await;
        let view = s
            .applications()
            .application_for_staff(&approver, &id)
            .await
            .unwrap();
        let full = view.full_decision.expect("full decision");
        assert_eq!(
            full.limit,
            Some(Fen::from_yuan(30_000)),
            "{:#?}",
            full.trace
        );
        assert_eq!(
            view.approve_blocked_reason,
            Some(ErrorCode::EngineLimitExceeded)
        );
        let err = s
            .applications()
            .decide(
                &approver,
                &id,
                view.version,
                Decision::Approve,
                None,
                String::new(),
            )
            .await
            .unwrap_err();
        assert_eq!(err.code(), ErrorCode::EngineLimitExceeded);
        assert_eq!(param(&err, "limit").as_deref(), Some("30,000.00"));
        assert_eq!(
            env.scalar_i64(&format!(
                "SELECT COUNT(*) FROM loans WHERE application_id = '{id}'"
            ))
            .await,
            0
        );
    })
    .await;
}

#[tokio::test]
async fn the_demo_bank_runs_live_default_rule_sets() {
    on_each_backend(|env| async move {
        env.seed().await;
        // Every product has one live version per stage, approved by a second person.
        assert_eq!(
            env.scalar_i64("SELECT COUNT(*) FROM rule_sets WHERE status = 'live'")
                .await,
            18
        );
        assert_eq!(
            env.scalar_i64(
                "SELECT COUNT(*) FROM rule_sets WHERE approver_id IS NULL \
                 OR approver_id = author_id OR published_by IS NULL"
            )
            .await,
            0
        );
        let risk1 = env.staff("risk1").await;
        let list = env
            .services
            .risk()
            .list_rule_sets(&risk1, None)
            .await
            .unwrap();
        assert_eq!(list.len(), 9);
        assert!(list.iter().all(|r| r.author_name == "马骏"
            && r.approver_name.as_deref() == Some("孔德明")
            && r.status == RuleSetStatus::Live));
        // The other bank's risk manager sees only their own; officers none.
        let risk2 = env.staff("risk2").await;
        let theirs = env
            .services
            .risk()
            .list_rule_sets(&risk2, None)
            .await
            .unwrap();
        assert!(theirs.iter().all(|r| list.iter().all(|m| m.id != r.id)));
        assert_code(
            env.services
                .risk()
                .list_rule_sets(&env.staff("officer1").await, None)
                .await,
            ErrorCode::Forbidden,
        );
        let admin = env.staff("admin").await;
        assert_eq!(
            env.services
                .risk()
                .list_rule_sets(&admin, None)
                .await
                .unwrap()
                .len(),
            18
        );
        let detail = env
            .services
            .risk()
            .rule_set(&risk1, &list[0].id)
            .await
            .unwrap();
        assert!(!detail.can_edit && !detail.can_approve && !detail.can_publish);
        assert!(env
            .services
            .risk()
            .rule_set_features()
            .iter()
            .any(|f| f.name == "bureau_lenders"));
    })
    .await;
}

/// The live pre-screen of 惠农e贷, to start a new version from.
async fn live_pre_screen(env: &Env, s: &Services) -> (String, StrategyDef) {
    let risk1 = env.staff("risk1").await;
    let product = hned(env).await;
    let live = s
        .risk()
        .list_rule_sets(&risk1, Some(&product))
        .await
        .unwrap()
        .into_iter()
        .find(|r| r.stage == DecisionStage::PreScreen && r.status == RuleSetStatus::Live)
        .expect("live pre-screen");
    let detail = s.risk().rule_set(&risk1, &live.id).await.unwrap();
    (product, detail.definition)
}

fn add_rule(def: &mut StrategyDef, stage: usize, condition: &str) {
    match &mut def.stages[stage].body {
        StageBodyDef::Rules(rs) => rs.rules.push(RuleDef {
            id: "new_rule".into(),
            name_zh: "新规则".into(),
            name_en: "new rule".into(),
            condition: condition.into(),
            action: Action::Reject,
            reason_code: "age_out_of_range".into(),
        }),
        other => panic!("not rules: {other:?}"),
    }
}

#[tokio::test]
async fn a_new_version_goes_live_through_maker_checker_without_restart() {
    on_each_backend(|env| async move {
        env.seed().await;
        let s = quick(&env);
        // A first application compiles and caches version 1.
        let first = li_applies(&env, &s, 50_000, "before").await;
        let officer = env.staff("officer1").await;
        let pre = s
            .applications()
            .application_for_staff(&officer, &first)
            .await
            .unwrap()
            .pre_screen
            .unwrap();
        assert_eq!(
            (pre.rule_set_version, pre.outcome == Verdict::Reject),
            (Some(1), false)
        );

        // risk1 writes version 2: nobody over 45.
        let (product, mut def) = live_pre_screen(&env, &s).await;
        add_rule(&mut def, 2, "age > 45");
        let risk1 = env.staff("risk1").await;
        let draft = s
            .risk()
            .save_rule_set_draft(
                &risk1,
                RuleSetDraft {
                    id: None,
                    expected_row_version: None,
                    product_id: product.clone().into(),
                    stage: DecisionStage::PreScreen,
                    definition: def.clone(),
                    note: "收紧年龄".into(),
                },
            )
            .await
            .unwrap();
        assert_eq!((draft.version, draft.status), (2, RuleSetStatus::Draft));
        // Only the author changes a draft; officers write no rules at all.
        let risk3 = env.staff("risk3").await;
        let change = |id: Option<String>, v: Option<i64>| RuleSetDraft {
            id,
            expected_row_version: v,
            product_id: product.clone().into(),
            stage: DecisionStage::PreScreen,
            definition: def.clone(),
            note: String::new(),
        };
        assert_code(
            s.risk()
                .save_rule_set_draft(&risk3, change(Some(draft.id.clone()), Some(1)))
                .await,
            ErrorCode::RuleSetNotAuthor,
        );
        assert_code(
            s.risk()
                .save_rule_set_draft(&officer, change(None, None))
                .await,
            ErrorCode::Forbidden,
        );
        assert_code(
            s.risk()
                .save_rule_set_draft(&env.staff("risk2").await, change(None, None))
                .await,
            ErrorCode::Forbidden,
        );
        let draft = s
            .risk()
            .save_rule_set_draft(&risk1, change(Some(draft.id.clone()), Some(1)))
            .await
            .unwrap();
        assert_eq!(draft.row_version, 2);
        assert_code(
            s.risk()
                .save_rule_set_draft(&risk1, change(Some(draft.id.clone()), Some(1)))
                .await,
            ErrorCode::ApplicationStateChanged,
        );
        // Not approvable before it is submitted, nor publishable.
        assert_code(
            s.risk().approve_rule_set(&risk3, &draft.id, 2, "").await,
            ErrorCode::ApplicationStateChanged,
        );
        assert_code(
            s.risk().publish_rule_set(&risk1, &draft.id, 2).await,
            ErrorCode::ApplicationStateChanged,
        );
        s.risk()
            .submit_rule_set(&risk1, &draft.id, 2)
            .await
            .unwrap();

        // Maker-checker: the author cannot approve; the attempt is audited.
        let detail = s.risk().rule_set(&risk1, &draft.id).await.unwrap();
        assert!(!detail.can_approve);
        assert_eq!(detail.approve_blocked_reason, Some(ErrorCode::SelfApproval));
        assert_code(
            s.risk().approve_rule_set(&risk1, &draft.id, 3, "").await,
            ErrorCode::SelfApproval,
        );
        assert_eq!(
            env.scalar_i64(&format!(
                "SELECT COUNT(*) FROM audit_log WHERE action = 'rule_set.self_approval_refused' \
                 AND entity_id = '{}'",
                draft.id
            ))
            .await,
            1
        );
        // The checker returns it once, the author resubmits, the checker approves.
        s.risk()
            .return_rule_set(&risk3, &draft.id, 3, "请补充说明")
            .await
            .unwrap();
        let back = s.risk().rule_set(&risk1, &draft.id).await.unwrap();
        assert_eq!(back.summary.status, RuleSetStatus::Draft);
        assert_eq!(back.review_comment, "请补充说明");
        s.risk()
            .submit_rule_set(&risk1, &draft.id, 4)
            .await
            .unwrap();
        assert!(
            s.risk()
                .rule_set(&risk3, &draft.id)
                .await
                .unwrap()
                .can_approve
        );
        s.risk()
            .approve_rule_set(&risk3, &draft.id, 5, "同意")
            .await
            .unwrap();
        // Still version 1 until published.
        let before = li_applies(&env, &s, 50_000, "approved-not-live").await;
        let pre = s
            .applications()
            .application_for_staff(&officer, &before)
            .await
            .unwrap()
            .pre_screen
            .unwrap();
        assert_eq!(pre.rule_set_version, Some(1));

        env.clock.advance_secs(3600);
        s.risk()
            .publish_rule_set(&risk1, &draft.id, 6)
            .await
            .unwrap();
        let published = s.risk().rule_set(&risk1, &draft.id).await.unwrap().summary;
        assert!(published.published_at > Some(published.created_at));
        let live: Vec<(String, i64)> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT status, CAST(version AS BIGINT) FROM rule_sets WHERE product_id = '{product}' \
             AND stage = 'pre_screen' ORDER BY version"
        )))
        .fetch_all(&env.db.pool)
        .await
        .unwrap();
        assert_eq!(live, [("retired".to_string(), 1), ("live".to_string(), 2)]);
        // The very next decision, same services (no restart), runs version 2.
        let after = li_applies(&env, &s, 50_000, "after").await;
        let pre = s
            .applications()
            .application_for_staff(&officer, &after)
            .await
            .unwrap()
            .pre_screen
            .unwrap();
        assert_eq!(pre.rule_set_version, Some(2));
        assert_eq!(pre.outcome, Verdict::Reject);
        for action in [
            "rule_set.draft_created",
            "rule_set.draft_saved",
            "rule_set.submitted",
            "rule_set.returned",
            "rule_set.approved",
            "rule_set.published",
        ] {
            assert!(
                env.scalar_i64(&format!(
                    "SELECT COUNT(*) FROM audit_log WHERE action = '{action}'"
                ))
                .await
                    >= 1,
                "{action}"
            );
        }
        let admin = env.staff("admin").await;
        assert!(s.audit().verify_audit_chain(&admin).await.unwrap().valid);
    })
    .await;
}

#[tokio::test]
async fn bad_rule_sets_are_refused_at_save_with_their_position() {
    on_each_backend(|env| async move {
        env.seed().await;
        let s = quick(&env);
        let (product, def) = live_pre_screen(&env, &s).await;
        let risk1 = env.staff("risk1").await;
        let save = |def: StrategyDef| RuleSetDraft {
            id: None,
            expected_row_version: None,
            product_id: product.clone().into(),
            stage: DecisionStage::PreScreen,
            definition: def,
            note: String::new(),
        };
        let count = || env.scalar_i64("SELECT COUNT(*) FROM rule_sets");
        let before = count().await;

        // Unparsable: the position of the stray operator.
        let mut bad = def.clone();
        add_rule(&mut bad, 2, "age >> 45");
        let err = s
            .risk()
            .save_rule_set_draft(&risk1, save(bad.clone()))
            .await
            .unwrap_err();
        assert_eq!(err.code(), ErrorCode::ExprSyntax);
        assert_eq!(param(&err, "stage").as_deref(), Some("2"));
        assert_eq!(param(&err, "rule_id").as_deref(), Some("new_rule"));
        assert_eq!(param(&err, "line").as_deref(), Some("1"));
        assert_eq!(param(&err, "col").as_deref(), Some("6"));
        let problem = s
            .risk()
            .check_rule_set(&risk1, &bad)
            .unwrap()
            .expect("a problem");
        assert_eq!(problem.code, ErrorCode::ExprSyntax);
        assert_eq!(problem.position.map(|p| p.column), Some(6));

        // Unknown feature, with where it starts.
        let mut bad = def.clone();
        add_rule(&mut bad, 2, "age > 45 and bureau_lendrs > 2");
        let err = s
            .risk()
            .save_rule_set_draft(&risk1, save(bad))
            .await
            .unwrap_err();
        assert_eq!(err.code(), ErrorCode::ExprUnknownFeature);
        assert_eq!(param(&err, "col").as_deref(), Some("14"));
        assert_eq!(param(&err, "start").as_deref(), Some("13"));

        // Type mismatch, caught at save, not when a customer applies.
        let mut bad = def.clone();
        add_rule(&mut bad, 2, "amount > 50000");
        let err = s
            .risk()
            .save_rule_set_draft(&risk1, save(bad))
            .await
            .unwrap_err();
        assert_eq!(err.code(), ErrorCode::ExprTypeMismatch);
        assert_eq!(
            param(&err, "rule").as_deref(),
            Some(&*format!("{}", {
                match &def.stages[2].body {
                    StageBodyDef::Rules(rs) => rs.rules.len(),
                    _ => 0,
                }
            }))
        );

        // A bad table cell names its row and column.
        let live_full = s
            .risk()
            .list_rule_sets(&risk1, Some(&product))
            .await
            .unwrap()
            .into_iter()
            .find(|r| r.stage == DecisionStage::Full)
            .unwrap();
        let mut full = s
            .risk()
            .rule_set(&risk1, &live_full.id)
            .await
            .unwrap()
            .definition;
        let table = full
            .stages
            .iter()
            .position(|st| matches!(st.body, StageBodyDef::Table(_)))
            .unwrap();
        if let StageBodyDef::Table(t) = &mut full.stages[table].body {
            t.rows[1].outputs[0] = "lots".into();
        }
        let err = s
            .risk()
            .save_rule_set_draft(
                &risk1,
                RuleSetDraft {
                    stage: DecisionStage::Full,
                    ..save(full)
                },
            )
            .await
            .unwrap_err();
        assert_eq!(err.code(), ErrorCode::ExprSyntax);
        assert_eq!(param(&err, "stage"), Some(table.to_string()));
        assert_eq!(
            (
                param(&err, "row").as_deref(),
                param(&err, "column").as_deref()
            ),
            (Some("1"), Some("0"))
        );

        assert_eq!(count().await, before, "nothing saved");
        // A good definition passes the check.
        assert_eq!(s.risk().check_rule_set(&risk1, &def).unwrap(), None);
    })
    .await;
}
