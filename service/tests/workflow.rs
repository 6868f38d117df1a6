//! The product factory and the approval-flow engine, on SQLite and (when
//! `PUHUI_TEST_PG_URL` is set) PostgreSQL: sub-products under maker-checker,
//! applications routed through their version's flow, random assignment
//! with the separation of duties, sealed parallel opinions, the work queue
//! with due times, escalation and reassignment.

mod common;

use common::{on_each_backend, today, Env};
use domain::application::{ApplicationStatus, Decision};
use domain::duty::Relation;
use domain::error_code::ErrorCode;
use domain::money::Fen;
use domain::notice::DeclineCategory;
use domain::product::{Bounds, ProductOverride};
use service::applications::InvestigationInput;
use service::applications::NewApplication;
use service::auth::StaffActor;
use service::products::NewProductDraft;
use service::ServiceError;

const LI: &str = "13800000001";

fn assert_code<T: std::fmt::Debug>(r: Result<T, ServiceError>, code: ErrorCode) {
    match r {
        Err(e) => assert_eq!(e.code(), code, "{e:?}"),
        Ok(v) => panic!("expected {code}, got Ok({v:?})"),
    }
}

fn investigation(amount: Fen, recommendation: Decision) -> InvestigationInput {
    InvestigationInput {
        visited_on: today(),
        household_income: Fen::from_yuan(120_000),
        household_assets: Fen::from_yuan(400_000),
        household_debts: Fen::from_yuan(20_000),
        findings: "实地走访，经营正常，收入稳定。".to_string(),
        recommendation,
        recommended_amount: amount,
    }
}

async fn product_id(env: &Env, code: &str) -> String {
    env.scalar_text(&format!(
        "SELECT p.id FROM products p JOIN organisations b ON b.id = p.bank_id \
         WHERE p.code = '{code}' ORDER BY b.code LIMIT 1"
    ))
    .await
}

async fn app_field(env: &Env, id: &str, col: &str) -> String {
    env.scalar_text(&format!("SELECT {col} FROM applications WHERE id = '{id}'"))
        .await
}

/// 惠农e贷's sub-product for one county: 50,000 – 200,000 yuan, two
/// approvers back-to-back, 三台六岗 at every amount.
fn county_sub_product(parent: &str, code: &str) -> NewProductDraft {
    NewProductDraft {
        parent_id: Some(parent.to_string().into()),
        code: code.to_string(),
        name_zh: "惠农e贷·平谷专享".to_string(),
        name_en: String::new(),
        summary_zh: "平谷区农户专享，双人背对背审批。".to_string(),
        overrides: ProductOverride {
            amount: Some(Bounds::new(Fen::from_yuan(50_000), Fen::from_yuan(200_000))),
            duty: Some(domain::duty::DutyPolicy::separated()),
            ..ProductOverride::default()
        },
        flow_code: "dual_approval".to_string(),
    }
}

/// product1 drafts the sub-product, product2 publishes it; returns its id.
async fn published_sub_product(env: &Env, code: &str) -> String {
    published_with_flow(env, code, "dual_approval").await
}

async fn published_with_flow(env: &Env, code: &str, flow: &str) -> String {
    let s = &env.services;
    let parent = product_id(env, "HNED").await;
    let p1 = env.staff("product1").await;
    let mut draft = county_sub_product(&parent, code);
    draft.flow_code = flow.to_string();
    let id = s
        .products()
        .create_product(&p1, draft)
        .await
        .expect("draft");
    let version = env
        .scalar_text(&format!(
            "SELECT id FROM product_versions WHERE product_id = '{id}'"
        ))
        .await;
    let p2 = env.staff("product2").await;
    s.products()
        .publish_product_version(&p2, &version, 1)
        .await
        .expect("publish");
    id
}

async fn li_applies_for(env: &Env, product: &str, yuan: i64, key: &str) -> String {
    let li = env.customer(LI).await;
    env.services
        .applications()
        .submit_application(
            &li,
            NewApplication {
                repayment_method: None,
                guarantee_type: None,
                product_id: product.to_string(),
                amount: Fen::from_yuan(yuan),
                term_months: 12,
                purpose: "购买化肥种子".to_string(),
                consent: true,
                idempotency_key: key.to_string(),
            },
        )
        .await
        .expect("submit")
}

/// 李秀英 applies for 50,000 yuan of 惠农e贷 and officer1 investigates
/// (包办制): the application waits for its approver. Returns the
/// application, the officer and the approver drawn.
async fn investigated(env: &Env, key: &str) -> (String, StaffActor, StaffActor) {
    let hned = product_id(env, "HNED").await;
    let id = li_applies_for(env, &hned, 50_000, key).await;
    let officer = env.staff("officer1").await;
    env.services
        .applications()
        .record_investigation(
            &officer,
            &id,
            1,
            investigation(Fen::from_yuan(50_000), Decision::Approve),
        )
        .await
        .unwrap();
    let approver = env.assignee(&id, "approval").await;
    (id, officer, approver)
}

#[tokio::test]
async fn an_application_reaches_its_first_inbox_on_submission() {
    on_each_backend(|env| async move {
        env.seed().await;
        let s = &env.services;
        let hned = product_id(&env, "HNED").await;
        let id = li_applies_for(&env, &hned, 50_000, "first-inbox").await;
        // Pre-screen passed; 包办制 up to 300,000 yuan: the marketer investigates.
        assert_eq!(app_field(&env, &id, "flow_node").await, "investigation");
        assert!(!app_field(&env, &id, "product_version_id").await.is_empty());
        let officer = env.assignee(&id, "investigation").await;
        assert_eq!(officer.username, "officer1");
        let inbox = s.workflow().inbox(&officer).await.unwrap();
        let task = inbox
            .iter()
            .find(|t| t.task.application_id == id)
            .expect("in the inbox");
        assert_eq!(task.task.post.as_str(), "investigation");
        // 48 hours from now.
        assert_eq!(
            task.task.due_at,
            Some(task.task.created_at + 48 * 3_600_000)
        );
        assert!(!task.overdue);
        assert_eq!(task.customer_name, "李秀英");
        assert!(task.id_number_masked.contains("**********"));
        assert_eq!(
            env.scalar_i64(&format!(
                "SELECT COUNT(*) FROM audit_log WHERE entity_id = '{id}' \
                 AND action = 'task.assigned'"
            ))
            .await,
            1
        );
    })
    .await;
}

#[tokio::test]
async fn a_sub_product_is_drafted_checked_and_published_by_someone_else() {
    on_each_backend(|env| async move {
        env.seed().await;
        let s = &env.services;
        let parent = product_id(&env, "HNED").await;
        let p1 = env.staff("product1").await;
        let p2 = env.staff("product2").await;

        // Contradictory or widening ranges are refused, nothing stored.
        let mut inverted = county_sub_product(&parent, "PG-BAD");
        inverted.overrides.amount =
            Some(Bounds::new(Fen::from_yuan(200_000), Fen::from_yuan(50_000)));
        assert_code(
            s.products().create_product(&p1, inverted).await,
            ErrorCode::ProductRangeInverted,
        );
        let mut wider = county_sub_product(&parent, "PG-BAD");
        wider.overrides.amount = Some(Bounds::new(Fen::from_yuan(1_000), Fen::from_yuan(900_000)));
        assert_code(s.products().create_product(&p1, wider).await, ErrorCode::ProductWidensParent);
        let mut unknown_flow = county_sub_product(&parent, "PG-BAD");
        unknown_flow.flow_code = "nope".into();
        assert_code(s.products().create_product(&p1, unknown_flow).await, ErrorCode::FlowUnknown);
        assert_eq!(
            env.scalar_i64("SELECT COUNT(*) FROM products WHERE code = 'PG-BAD'")
                .await,
            0
        );
        // Only product managers draft.
        assert_code(
            s.products().create_product(&env.staff("officer1").await, county_sub_product(&parent, "PG1"))
                .await,
            ErrorCode::Forbidden,
        );

        let id = s
            .products().create_product(&p1, county_sub_product(&parent, "PG1"))
            .await
            .expect("draft");
        assert_code(
            s.products().create_product(&p1, county_sub_product(&parent, "PG1")).await,
            ErrorCode::ProductCodeTaken,
        );
        // A draft is not offered to customers yet.
        let li = env.customer(LI).await;
        assert!(s.products().offered_products(&li).await.unwrap().iter().all(|p| p.id != id));
        let version = env
            .scalar_text(&format!(
                "SELECT id FROM product_versions WHERE product_id = '{id}'"
            ))
            .await;
        // Maker-checker: the author may not publish.
        assert_code(s.products().publish_product_version(&p1, &version, 1).await, ErrorCode::ProductSelfPublish);
        assert_code(s.products().publish_product_version(&p2, &version, 9).await, ErrorCode::ApplicationStateChanged);
        s.products().publish_product_version(&p2, &version, 1).await.expect("publish");
        assert_code(s.products().publish_product_version(&p2, &version, 2).await, ErrorCode::ProductVersionStateChanged);

        let offered = s.products().offered_products(&li).await.unwrap();
        let sub = offered.iter().find(|p| p.id == id).expect("offered once published");
        assert_eq!(sub.min_amount, Fen::from_yuan(50_000));
        assert_eq!(sub.max_amount, Fen::from_yuan(200_000));

        // Every staff member sees it in the supermarket, with its parent and flow.
        let market = s.products().supermarket(&env.staff("officer2").await).await.unwrap();
        let entry = market.iter().find(|p| p.id == id).expect("in the supermarket");
        assert_eq!(entry.parent_id.as_deref(), Some(parent.as_str()));
        assert_eq!(entry.live_version, Some(1));
        assert_eq!(entry.versions[0].flow.code, "dual_approval");
        assert!(entry.versions[0].params.documents.iter().any(|d| d.code == "id_card"));
        for action in ["product.drafted", "product.published"] {
            assert_eq!(
                env.scalar_i64(&format!(
                    "SELECT COUNT(*) FROM audit_log WHERE action = '{action}' AND entity_id = '{id}'"
                ))
                .await,
                1
            );
        }
    })
    .await;
}

#[tokio::test]
async fn a_target_list_keeps_a_product_from_customers_outside_it() {
    on_each_backend(|env| async move {
        env.seed().await;
        let s = &env.services;
        let parent = product_id(&env, "HNED").await;
        let mut other = county_sub_product(&parent, "ELSEWHERE");
        other.overrides.region_codes = Some(vec!["999999".into()]);
        let id = s
            .products()
            .create_product(&env.staff("product1").await, other)
            .await
            .expect("draft");
        let version = env
            .scalar_text(&format!(
                "SELECT id FROM product_versions WHERE product_id = '{id}'"
            ))
            .await;
        s.products()
            .publish_product_version(&env.staff("product2").await, &version, 1)
            .await
            .expect("publish");
        let li = env.customer(LI).await;
        let offered = s.products().offered_products(&li).await.unwrap();
        assert!(offered.iter().all(|p| p.id != id));
        assert!(offered.iter().any(|p| p.id == parent));
    })
    .await;
}

#[tokio::test]
async fn back_to_back_approval_with_distinct_people_at_every_post() {
    on_each_backend(|env| async move {
        env.seed().await;
        let s = &env.services;
        let product = published_sub_product(&env, "PG1").await;
        let id = li_applies_for(&env, &product, 100_000, "b2b").await;

        // The sub-product decides with its parent's live rules.
        assert_eq!(
            env.scalar_i64(&format!(
                "SELECT COUNT(*) FROM decisions WHERE application_id = '{id}' \
                 AND rule_set_id IS NOT NULL"
            ))
            .await,
            1
        );
        // 三台六岗: the investigator is picked at random, never the marketer.
        let investigator = env.assignee(&id, "investigation").await;
        assert_ne!(investigator.username, "officer1");
        let marketer = env.staff("officer1").await;
        assert_code(
            s.applications()
                .record_investigation(
                    &marketer,
                    &id,
                    1,
                    investigation(Fen::from_yuan(100_000), Decision::Approve),
                )
                .await,
            ErrorCode::TaskNotAssigned,
        );
        s.applications()
            .record_investigation(
                &investigator,
                &id,
                1,
                investigation(Fen::from_yuan(100_000), Decision::Approve),
            )
            .await
            .expect("investigation");
        assert_eq!(app_field(&env, &id, "flow_node").await, "approval");
        assert_eq!(app_field(&env, &id, "status").await, "investigated");

        // Two approvers, different from each other and from everyone else.
        let names: Vec<String> = sqlx_rows(
            &env,
            &format!(
                "SELECT u.username FROM flow_tasks t JOIN staff_users u ON u.id = t.assignee_id \
                 WHERE t.application_id = '{id}' AND t.node_kind = 'approval' ORDER BY u.username"
            ),
        )
        .await;
        assert_eq!(names, ["approver1", "approver2"]);
        let a1 = env.staff("approver1").await;
        let a2 = env.staff("approver2").await;
        let first = s
            .applications()
            .decide(&a1, &id, 2, Decision::Approve, None, "同意".into())
            .await
            .expect("first opinion");
        assert_eq!(first, None, "one opinion decides nothing");
        assert_eq!(app_field(&env, &id, "status").await, "investigated");
        // The second approver cannot see the first's opinion yet.
        let tasks = s.workflow().application_tasks(&a2, &id).await.unwrap();
        let sealed = tasks
            .iter()
            .find(|t| {
                t.assignee_id.as_deref() == Some(a1.user_id.as_str()) && t.node_id == "approval"
            })
            .unwrap();
        assert_eq!(sealed.status, domain::view::TaskStatus::Done);
        assert_eq!(sealed.opinion, None);
        assert_eq!(sealed.comment, None);
        // Nor can the first click again.
        assert_code(
            s.applications()
                .decide(&a1, &id, 2, Decision::Approve, None, "同意".into())
                .await,
            ErrorCode::TaskNotAssigned,
        );
        let loan = s
            .applications()
            .decide(&a2, &id, 2, Decision::Approve, None, "同意".into())
            .await
            .expect("second opinion");
        assert_eq!(loan, None, "granted: the loan is booked at payout");
        assert_eq!(app_field(&env, &id, "status").await, "approved");
        assert_eq!(app_field(&env, &id, "flow_node").await, "contract");
        let tasks = s.workflow().application_tasks(&a2, &id).await.unwrap();
        assert!(tasks
            .iter()
            .all(|t| t.opinion == Some(Decision::Approve) || t.node_id != "approval"));
        // Every post a different person.
        let people: Vec<String> = sqlx_rows(
            &env,
            &format!(
                "SELECT assignee_id FROM flow_tasks WHERE application_id = '{id}' \
                 UNION ALL SELECT officer_id FROM applications WHERE id = '{id}'"
            ),
        )
        .await;
        let mut distinct = people.clone();
        distinct.sort();
        distinct.dedup();
        assert_eq!(distinct.len(), people.len(), "{people:?}");
        let admin = env.staff("admin").await;
        assert!(s.audit().verify_audit_chain(&admin).await.unwrap().valid);
    })
    .await;
}

#[tokio::test]
async fn a_disagreement_escalates_to_the_committee() {
    on_each_backend(|env| async move {
        env.seed().await;
        let s = &env.services;
        let product = published_sub_product(&env, "PG1").await;
        let id = li_applies_for(&env, &product, 100_000, "disagree").await;
        let investigator = env.assignee(&id, "investigation").await;
        s.applications()
            .record_investigation(
                &investigator,
                &id,
                1,
                investigation(Fen::from_yuan(100_000), Decision::Approve),
            )
            .await
            .unwrap();
        let a1 = env.staff("approver1").await;
        let a2 = env.staff("approver2").await;
        s.applications()
            .decide(&a1, &id, 2, Decision::Approve, None, "同意".into())
            .await
            .unwrap();
        s.applications()
            .decide(
                &a2,
                &id,
                2,
                Decision::Reject,
                Some(DeclineCategory::RepaymentCapacity),
                "收入存疑".into(),
            )
            .await
            .unwrap();
        assert_eq!(app_field(&env, &id, "flow_node").await, "committee");
        assert_eq!(app_field(&env, &id, "status").await, "investigated");
        // A committee of three needs three approvers who have not yet
        // approved this application: the bank has one (approver3), so the
        // places wait for the branch head.
        assert_eq!(
            env.scalar_i64(&format!(
                "SELECT COUNT(*) FROM flow_tasks WHERE application_id = '{id}' \
                 AND node_id = 'committee' AND status = 'unassigned'"
            ))
            .await,
            3
        );
        let head = env.staff("head1").await;
        let waiting = s.workflow().escalations(&head).await.unwrap();
        let task = waiting
            .iter()
            .find(|t| t.task.application_id == id)
            .expect("the branch head sees it")
            .task
            .clone();
        // An approver who already decided may not sit on the committee.
        assert_code(
            s.workflow()
                .reassign_task(
                    &head,
                    &task.id,
                    task.version,
                    &a1.user_id,
                    "补足贷审会".into(),
                )
                .await,
            ErrorCode::DutySamePersonParallel,
        );
        assert_code(
            s.workflow()
                .reassign_task(
                    &head,
                    &task.id,
                    task.version,
                    &env.staff("approver3").await.user_id,
                    " ".into(),
                )
                .await,
            ErrorCode::ReasonMissing,
        );
        // The form lists the bank's approvers with the reasons the service
        // would refuse: the two who decided stand aside, approver3 may sit.
        let options = s
            .workflow()
            .reassign_options(&head, &task.id)
            .await
            .unwrap();
        let blocked = |name: &str| {
            options
                .iter()
                .find(|o| o.staff_id == name)
                .map(|o| o.blocked)
        };
        let approver3 = env.staff("approver3").await;
        assert_eq!(blocked(&approver3.user_id), Some(None));
        assert_eq!(
            blocked(&a1.user_id),
            Some(Some(ErrorCode::DutySamePersonParallel))
        );
        assert!(options[0].blocked.is_none(), "the eligible come first");
        assert_code(
            s.workflow().reassign_options(&a1, &task.id).await,
            ErrorCode::Forbidden,
        );
        s.workflow()
            .reassign_task(
                &head,
                &task.id,
                task.version,
                &approver3.user_id,
                "补足贷审会".into(),
            )
            .await
            .expect("reassign");
        // Not a branch head: refused.
        assert_code(
            s.workflow()
                .reassign_task(&a1, &task.id, task.version + 1, &a2.user_id, "x".into())
                .await,
            ErrorCode::Forbidden,
        );
    })
    .await;
}

#[tokio::test]
async fn overdue_tasks_escalate_and_a_branch_head_reassigns_them() {
    on_each_backend(|env| async move {
        env.seed().await;
        let s = &env.services;
        let (id, officer, approver) = investigated(&env, "overdue").await;
        assert_eq!(s.workflow().escalate_overdue().await.unwrap(), 0);
        // A day and an hour later the 24-hour approval is overdue.
        env.clock.advance_secs(25 * 3_600);
        assert!(s
            .workflow()
            .inbox(&approver)
            .await
            .unwrap()
            .iter()
            .any(|t| t.task.application_id == id && t.overdue));
        // The demo bank's own open files, waiting since this morning, are
        // overdue by now too.
        assert!(s.workflow().escalate_overdue().await.unwrap() >= 1);
        assert_eq!(s.workflow().escalate_overdue().await.unwrap(), 0, "once");
        let head = env.staff("head1").await;
        let task = s
            .workflow()
            .escalations(&head)
            .await
            .unwrap()
            .into_iter()
            .find(|t| t.task.application_id == id)
            .expect("escalated to the branch head")
            .task;
        let other = env
            .staff(if approver.username == "approver1" {
                "approver2"
            } else {
                "approver1"
            })
            .await;
        // The marketer may not take the approval.
        assert_code(
            s.workflow()
                .reassign_task(
                    &head,
                    &task.id,
                    task.version,
                    &officer.user_id,
                    "休假".into(),
                )
                .await,
            ErrorCode::ReassignNotEligible,
        );
        s.workflow()
            .reassign_task(
                &head,
                &task.id,
                task.version,
                &other.user_id,
                "原审批人休假".into(),
            )
            .await
            .expect("reassign");
        assert_code(
            s.applications()
                .decide(&approver, &id, 2, Decision::Approve, None, String::new())
                .await,
            ErrorCode::TaskNotAssigned,
        );
        s.applications()
            .decide(&other, &id, 2, Decision::Approve, None, "同意".into())
            .await
            .expect("the new holder decides");
        assert_eq!(
            env.scalar_i64(&format!(
                "SELECT COUNT(*) FROM audit_log WHERE entity_id = '{id}' \
                 AND action IN ('task.overdue', 'task.reassigned')"
            ))
            .await,
            2
        );
    })
    .await;
}

#[tokio::test]
async fn a_review_step_is_worked_from_the_file_by_the_reviewer() {
    on_each_backend(|env| async move {
        env.seed().await;
        let s = &env.services;
        let product = published_with_flow(&env, "PG2", "reviewed").await;
        let id = li_applies_for(&env, &product, 100_000, "reviewed").await;
        let investigator = env.assignee(&id, "investigation").await;
        // The investigation is not a plain task: it has its form.
        let inv_task = s
            .applications()
            .application_for_staff(&investigator, &id)
            .await
            .unwrap()
            .tasks
            .into_iter()
            .find(|t| t.node_id == "investigation")
            .expect("investigation task");
        assert_code(
            s.workflow()
                .complete_task(
                    &investigator,
                    &inv_task.id,
                    inv_task.version,
                    Decision::Approve,
                    None,
                    String::new(),
                )
                .await,
            ErrorCode::TaskNeedsForm,
        );
        s.applications()
            .record_investigation(
                &investigator,
                &id,
                1,
                investigation(Fen::from_yuan(100_000), Decision::Approve),
            )
            .await
            .unwrap();
        assert_eq!(app_field(&env, &id, "flow_node").await, "review");
        let reviewer = env.assignee(&id, "review").await;
        assert_eq!(reviewer.username, "reviewer1");
        let view = s
            .applications()
            .application_for_staff(&reviewer, &id)
            .await
            .unwrap();
        let mine = view.my_task.expect("the reviewer's task on the file");
        assert_eq!(mine.node_kind, domain::flow::NodeType::Review);
        assert!(mine.can_reject);
        // Nobody else sees it as theirs, nor may act on it.
        let head = env.staff("head1").await;
        assert!(s
            .applications()
            .application_for_staff(&head, &id)
            .await
            .unwrap()
            .my_task
            .is_none());
        assert_code(
            s.workflow()
                .complete_task(
                    &head,
                    &mine.task_id,
                    mine.version,
                    Decision::Approve,
                    None,
                    String::new(),
                )
                .await,
            ErrorCode::TaskNotAssigned,
        );
        s.workflow()
            .complete_task(
                &reviewer,
                &mine.task_id,
                mine.version,
                Decision::Approve,
                None,
                "资料齐全，同意提交审批".into(),
            )
            .await
            .expect("review done");
        // A double click changes nothing.
        assert_code(
            s.workflow()
                .complete_task(
                    &reviewer,
                    &mine.task_id,
                    mine.version,
                    Decision::Approve,
                    None,
                    String::new(),
                )
                .await,
            ErrorCode::ApplicationStateChanged,
        );
        assert_eq!(app_field(&env, &id, "flow_node").await, "approval");
        let approver = env.assignee(&id, "approval").await;
        assert_ne!(approver.user_id, reviewer.user_id);
        assert!(s
            .applications()
            .application_for_staff(&approver, &id)
            .await
            .unwrap()
            .my_task
            .is_none());
    })
    .await;
}

#[tokio::test]
async fn a_rejected_pre_screen_ends_the_flow_with_no_task() {
    on_each_backend(|env| async move {
        env.seed().await;
        let hned = product_id(&env, "HNED").await;
        // Far above what the engine's limit table grants a first borrower:
        // the product's own range still allows it.
        let id = li_applies_for(&env, &hned, 50_000, "pre-screen").await;
        env.exec(&format!(
            "UPDATE applications SET flow_node = 'pre_screen', status = 'rejected' WHERE id = '{id}'"
        ))
        .await;
        env.exec(&format!("DELETE FROM flow_tasks WHERE application_id = '{id}'")).await;
        env.clock.advance_secs(120);
        assert!(env.services.workflow().resume_flows().await.unwrap() >= 1);
        assert_eq!(app_field(&env, &id, "flow_node").await, "rejected");
        assert_eq!(
            env.scalar_i64(&format!("SELECT COUNT(*) FROM flow_tasks WHERE application_id = '{id}'"))
                .await,
            0
        );
        let _ = ApplicationStatus::Rejected;
    })
    .await;
}

async fn sqlx_rows(env: &Env, sql: &str) -> Vec<String> {
    let rows: Vec<(String,)> = sqlx::query_as(sqlx::AssertSqlSafe(sql.to_string()))
        .fetch_all(&env.db.pool)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
    rows.into_iter().map(|(v,)| v).collect()
}

#[tokio::test]
async fn a_product_manager_designs_a_flow_and_a_broken_one_is_refused() {
    use domain::flow::{Condition, Edge, Node, NodeKind, Outcome};
    use service::products::NewFlowTemplate;
    on_each_backend(|env| async move {
        env.seed().await;
        let s = &env.services;
        let p1 = env.staff("product1").await;
        let library = s.products().flow_templates(&p1).await.unwrap();
        let reviewed = library
            .iter()
            .find(|t| t.code == "reviewed")
            .expect("starter")
            .body
            .clone();
        let design = |body| NewFlowTemplate {
            code: "docs_first".into(),
            name_zh: "先收资料再调查".into(),
            name_en: String::new(),
            body,
        };
        // Documents first, then the reviewed flow.
        let mut good = reviewed.clone();
        good.nodes.push(Node {
            id: "documents".into(),
            kind: NodeKind::DocumentCollection,
            sla_hours: Some(24),
        });
        for e in &mut good.edges {
            if e.from == "pre_screen" && e.on == Outcome::Pass {
                e.to = "documents".into();
            }
        }
        good.edges.push(Edge {
            from: "documents".into(),
            on: Outcome::Pass,
            when: Condition::Always,
            to: "investigation".into(),
        });

        // The review passes straight to the paid-out end: approval skipped.
        let mut skips = good.clone();
        for e in &mut skips.edges {
            if e.from == "review" && e.on == Outcome::Pass {
                e.to = "disbursed".into();
            }
        }
        let refused = s.products().save_flow_template(&p1, design(skips)).await;
        match refused {
            Err(ServiceError::Validation { code, params }) => {
                assert_eq!(code, ErrorCode::FlowApprovalSkipped);
                assert_eq!(params[0].1, "disbursed");
            }
            other => panic!("expected a refusal, got {other:?}"),
        }
        // A step nothing leads to.
        let mut island = good.clone();
        island.nodes.push(Node {
            id: "second_contract".into(),
            kind: NodeKind::ContractSigning,
            sla_hours: None,
        });
        assert_code(
            s.products().save_flow_template(&p1, design(island)).await,
            ErrorCode::FlowUnreachableNode,
        );
        assert_code(
            s.products()
                .save_flow_template(&env.staff("officer1").await, design(good.clone()))
                .await,
            ErrorCode::Forbidden,
        );
        assert_eq!(
            env.scalar_i64("SELECT COUNT(*) FROM flow_templates WHERE code = 'docs_first'")
                .await,
            0,
            "nothing stored when refused"
        );

        assert_eq!(
            s.products()
                .save_flow_template(&p1, design(good.clone()))
                .await
                .unwrap(),
            1
        );
        assert_eq!(
            s.products()
                .save_flow_template(&p1, design(good))
                .await
                .unwrap(),
            2
        );
        let saved = s.products().flow_templates(&p1).await.unwrap();
        let mine = saved
            .iter()
            .find(|t| t.code == "docs_first")
            .expect("listed");
        assert_eq!((mine.version, mine.name_zh.as_str()), (2, "先收资料再调查"));
        // A sub-product runs it: the application waits on its documents,
        // with the marketer.
        let product = published_with_flow(&env, "PG3", "docs_first").await;
        let id = li_applies_for(&env, &product, 80_000, "docs").await;
        assert_eq!(app_field(&env, &id, "flow_node").await, "documents");
        let holder = env.assignee(&id, "document_collection").await;
        assert_eq!(holder.user_id, app_field(&env, &id, "officer_id").await);
    })
    .await;
}

#[tokio::test]
async fn a_declared_relation_hands_the_task_back_and_bars_the_declarer() {
    on_each_backend(|env| async move {
        env.seed().await;
        let s = &env.services;
        let (id, _officer, approver) = investigated(&env, "relation").await;
        let li_id = env.id_number_of_phone(LI).await;
        // A valid ID number of nobody at the bank, and a mistyped one.
        let stranger =
            domain::identity::IdNumber::from_parts("110101", today(), 17).expect("valid");
        assert_code(
            s.workflow()
                .declare_relation(&approver, stranger.as_str(), Relation::Family)
                .await,
            ErrorCode::RelationCustomerUnknown,
        );
        assert_code(
            s.workflow()
                .declare_relation(&approver, "12345", Relation::Family)
                .await,
            ErrorCode::IdLength,
        );
        // The approval the declarer holds goes back to the branch head.
        assert_eq!(
            s.workflow()
                .declare_relation(&approver, &li_id, Relation::Family)
                .await
                .expect("declared"),
            1
        );
        assert_code(
            s.workflow()
                .declare_relation(&approver, &li_id, Relation::Other)
                .await,
            ErrorCode::RelationExists,
        );
        assert!(!s
            .workflow()
            .inbox(&approver)
            .await
            .unwrap()
            .iter()
            .any(|t| t.task.application_id == id));
        let head = env.staff("head1").await;
        let task = s
            .workflow()
            .escalations(&head)
            .await
            .unwrap()
            .into_iter()
            .find(|t| t.task.application_id == id)
            .expect("waiting for the branch head")
            .task;
        assert_eq!(task.status, domain::view::TaskStatus::Unassigned);
        let options = s
            .workflow()
            .reassign_options(&head, &task.id)
            .await
            .unwrap();
        let barred = options
            .iter()
            .find(|o| o.staff_id == approver.user_id)
            .expect("listed");
        assert_eq!(barred.blocked, Some(ErrorCode::PickRelatedToCustomer));
        assert_code(
            s.workflow()
                .reassign_task(
                    &head,
                    &task.id,
                    task.version,
                    &approver.user_id,
                    "误派".into(),
                )
                .await,
            ErrorCode::PickRelatedToCustomer,
        );
        // The declarer and the branch head see it, masked; a colleague not.
        let mine = s.workflow().staff_relations(&approver).await.unwrap();
        assert_eq!(mine.len(), 1);
        assert_eq!(mine[0].relation, Relation::Family);
        assert!(mine[0].id_number_masked.contains("**"));
        assert!(!mine[0].id_number_masked.contains(&li_id[6..14]));
        assert_eq!(s.workflow().staff_relations(&head).await.unwrap().len(), 1);
        let colleague = env.staff("officer2").await;
        assert!(s
            .workflow()
            .staff_relations(&colleague)
            .await
            .unwrap()
            .is_empty());
        assert_eq!(
            env.scalar_i64(
                "SELECT COUNT(*) FROM audit_log WHERE action = 'staff.relation_declared'"
            )
            .await,
            1
        );
    })
    .await;
}

#[tokio::test]
async fn a_prefilled_sub_product_form_stores_only_what_was_changed() {
    on_each_backend(|env| async move {
        env.seed().await;
        let s = &env.services;
        let parent = product_id(&env, "HNED").await;
        let p1 = env.staff("product1").await;
        let live: domain::product::ProductParams = serde_json::from_str(
            &env.scalar_text(&format!(
                "SELECT v.params FROM products p JOIN product_versions v \
                   ON v.product_id = p.id AND v.version = p.live_version WHERE p.id = '{parent}'"
            ))
            .await,
        )
        .unwrap();
        let mut draft = county_sub_product(&parent, "CG-REGION");
        draft.overrides = ProductOverride {
            amount: Some(live.amount),
            term_months: Some(live.term_months),
            rate_bp: Some(live.rate_bp),
            pricing: Some(live.pricing),
            repayment_methods: Some(live.repayment_methods.clone()),
            guarantee_types: Some(live.guarantee_types.clone()),
            documents: Some(live.documents.clone()),
            region_codes: Some(vec!["220102".into(), "220122".into()]),
            ..ProductOverride::default()
        };
        let id = s
            .products()
            .create_product(&p1, draft)
            .await
            .expect("draft");
        let stored: ProductOverride = serde_json::from_str(
            &env.scalar_text(&format!(
                "SELECT overrides FROM product_versions WHERE product_id = '{id}'"
            ))
            .await,
        )
        .unwrap();
        assert_eq!(
            stored.region_codes,
            Some(vec!["220102".to_string(), "220122".to_string()])
        );
        assert_eq!(stored.amount, None);
        assert_eq!(stored.pricing, None);
        assert_eq!(stored.documents, None);
        // A rate range that leaves out the inherited base rate is refused,
        // naming the field.
        let mut narrow = county_sub_product(&parent, "CG-RATE");
        narrow.overrides.rate_bp = Some(Bounds::new(
            live.pricing.base_rate_bp + 10,
            live.rate_bp.max,
        ));
        match s.products().create_product(&p1, narrow).await {
            Err(ServiceError::Validation { code, params }) => {
                assert_eq!(code, ErrorCode::ProductBaseRateOutsideRange);
                assert_eq!(params, vec![("field", "pricing".to_string())]);
            }
            other => panic!("expected a refusal, got {other:?}"),
        }
    })
    .await;
}

/// Every application runs on its product version's flow, the demo bank's
/// included: an open file waits at its node with its task, a closed one
/// rests on its end. A database from before flows is placed the same way
/// at start-up, once, and its files are then worked through the flow.
#[tokio::test]
async fn applications_from_before_flows_join_their_flow() {
    on_each_backend(|env| async move {
        env.seed().await;
        let s = &env.services;
        let everywhere = |env: &Env| {
            let env = env.clone();
            async move {
                assert_eq!(
                    env.scalar_i64(
                        "SELECT COUNT(*) FROM applications \
                         WHERE product_version_id IS NULL OR flow_node IS NULL"
                    )
                    .await,
                    // A drawdown under a granted line has no flow of its own.
                    env.scalar_i64(
                        "SELECT COUNT(*) FROM applications a JOIN loans l \
                           ON l.application_id = a.id WHERE l.credit_line_id IS NOT NULL"
                    )
                    .await,
                    "every application has a flow"
                );
                // Each open file has exactly one open task on its current node.
                let open = env
                    .scalar_i64(
                        "SELECT COUNT(*) FROM applications \
                         WHERE status IN ('submitted', 'investigated')",
                    )
                    .await;
                let tasked = env
                    .scalar_i64(
                        "SELECT COUNT(DISTINCT a.id) FROM applications a JOIN flow_tasks t \
                           ON t.application_id = a.id AND t.node_id = a.flow_node \
                         WHERE a.status IN ('submitted', 'investigated') \
                           AND t.status IN ('open', 'unassigned')",
                    )
                    .await;
                assert!(open > 0);
                assert_eq!(tasked, open, "every open file has its task");
                assert_eq!(
                    env.scalar_i64(
                        "SELECT COUNT(*) FROM applications \
                         WHERE status = 'approved' AND flow_node <> 'disbursed'"
                    )
                    .await,
                    0
                );
            }
        };
        everywhere(&env).await;

        // The same bank as an older release left it: no flow anywhere.
        let submitted = env
            .scalar_text(
                "SELECT id FROM applications WHERE status = 'submitted' \
                 ORDER BY submitted_at LIMIT 1",
            )
            .await;
        env.exec("DELETE FROM flow_tasks").await;
        env.exec(
            "UPDATE applications SET flow_node = NULL, product_version_id = NULL \
             WHERE idempotency_key LIKE 'demo-%'",
        )
        .await;
        let mut conn = env.db.pool.acquire().await.unwrap();
        let done = service::workflow::adopt::adopt_flows(&mut conn, &s.config.audit_key, s.now())
            .await
            .expect("adopt");
        assert!(done.closed > 0 && done.one_by_one > 0, "{done:?}");
        let again = service::workflow::adopt::adopt_flows(&mut conn, &s.config.audit_key, s.now())
            .await
            .expect("adopt again");
        assert_eq!(again, Default::default(), "once");
        drop(conn);
        everywhere(&env).await;
        assert!(
            env.scalar_i64(
                "SELECT COUNT(*) FROM audit_log WHERE action = 'application.flow_adopted'"
            )
            .await
                >= done.one_by_one as i64
        );

        // The old file is worked through the flow like a new one.
        assert_eq!(
            app_field(&env, &submitted, "flow_node").await,
            "investigation"
        );
        let investigator = env.assignee(&submitted, "investigation").await;
        let amount = Fen(env
            .scalar_i64(&format!(
                "SELECT amount_fen FROM applications WHERE id = '{submitted}'"
            ))
            .await);
        let version = env
            .scalar_i64(&format!(
                "SELECT version FROM applications WHERE id = '{submitted}'"
            ))
            .await;
        s.applications()
            .record_investigation(
                &investigator,
                &submitted,
                version,
                investigation(amount, Decision::Approve),
            )
            .await
            .expect("investigated in the flow");
        assert_eq!(app_field(&env, &submitted, "status").await, "investigated");
        assert_eq!(app_field(&env, &submitted, "flow_node").await, "approval");
        let approver = env.assignee(&submitted, "approval").await;
        assert_ne!(approver.user_id, investigator.user_id);
    })
    .await;
}
