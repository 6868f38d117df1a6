//! 进度通知 (issue 17 item 5), on SQLite and (when `PUHUI_TEST_PG_URL` is
//! set) PostgreSQL: every status an application takes and its payout leave
//! the customer one notice, texted once however many senders run at once;
//! an unreachable gateway is tried three times, and a notice a stopped
//! sender left claimed is never sent again; a refusal tells the customer
//! its category and advice, never the approver's comment; the decision
//! names what was granted.

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::{on_each_backend, refused, Env};
use domain::application::Decision;
use domain::error_code::ErrorCode;
use domain::money::Fen;
use domain::notice::{DeclineCategory, NoticeKind};
use domain::product::GuaranteeType;
use domain::view::CustomerDecision;
use service::pfi::{Field, PfiKeys};
use service::DevSmsProvider;

const PHONE: &str = "13800000001";

/// The customer applies and officer1 investigates; returns the id.
async fn investigated(env: &Env, phone: &str, key: &str) -> String {
    let amount = Fen::from_yuan(30_000);
    let product = env.first_product(phone).await;
    let id = env.submitted(phone, &product, amount, key).await;
    env.investigated(&id, amount).await;
    id
}

/// The kinds of the notices of one application, oldest first.
async fn kinds(env: &Env, phone: &str, application: &str) -> Vec<NoticeKind> {
    let c = env.customer(phone).await;
    let mut list: Vec<_> = env
        .services
        .notices()
        .my_notices(&c)
        .await
        .expect("notices")
        .into_iter()
        .filter(|n| n.application_id.as_str() == application)
        .collect();
    list.reverse();
    list.into_iter().map(|n| n.kind).collect()
}

/// The text messages sent to `phone`, opened.
async fn texts_to(env: &Env, phone: &str) -> Vec<String> {
    let rows: Vec<(String,)> = sqlx::query_as(
        "SELECT body_sealed FROM sms_outbox WHERE phone_idx = $1 AND status = 'sent' \
         ORDER BY created_at, id",
    )
    .bind(env.phone_idx(phone))
    .fetch_all(&env.db.pool)
    .await
    .expect("outbox");
    rows.into_iter()
        .map(|(b,)| env.open(Field::SmsBody, &b))
        .collect()
}

#[tokio::test]
async fn each_change_leaves_one_notice_texted_once_by_concurrent_senders() {
    on_each_backend(|env| async move {
        env.seed().await;
        let s = &env.services;
        let id = env
            .approved_application(
                PHONE,
                GuaranteeType::Credit,
                Fen::from_yuan(30_000),
                "notice-1",
            )
            .await;
        assert_eq!(
            kinds(&env, PHONE, &id).await,
            [
                NoticeKind::Submitted,
                NoticeKind::Investigated,
                NoticeKind::Approved
            ],
            "{}",
            env.label
        );
        let pending = env
            .scalar_i64("SELECT COUNT(*) FROM customer_notices WHERE sms_status = 'pending'")
            .await;
        let outbox_before = env.scalar_i64("SELECT COUNT(*) FROM sms_outbox").await;
        // Four senders at once (four server processes): each notice once.
        let mut senders = Vec::new();
        for _ in 0..4 {
            let s = s.clone();
            senders.push(tokio::spawn(async move {
                s.notices().send_pending_notices(500).await.expect("send")
            }));
        }
        let (mut sent, mut failed) = (0, 0);
        for h in senders {
            let done = h.await.expect("sender");
            assert_eq!(done.retried, 0, "{}: {done:?}", env.label);
            sent += done.sent;
            failed += done.failed;
        }
        assert_eq!(i64::from(sent + failed), pending, "{}", env.label);
        let outbox_after = env.scalar_i64("SELECT COUNT(*) FROM sms_outbox").await;
        assert_eq!(
            outbox_after - outbox_before,
            pending,
            "{}: one text each",
            env.label
        );
        assert_eq!(
            env.scalar_i64(
                "SELECT COUNT(*) FROM customer_notices WHERE sms_status IN ('pending', 'sending')"
            )
            .await,
            0
        );
        let c = env.customer(PHONE).await;
        assert_eq!(
            texts_to(&env, PHONE).await.len(),
            s.notices().my_notices(&c).await.expect("notices").len(),
            "{}: each of the customer's notices texted once",
            env.label
        );
        // Nothing more to send.
        let again = s.notices().send_pending_notices(500).await.expect("send");
        assert_eq!(again, Default::default());

        let texts = texts_to(&env, PHONE).await;
        let approved: Vec<_> = texts.iter().filter(|t| t.contains("已获批准")).collect();
        assert_eq!(approved.len(), 1, "{texts:?}");
        assert!(approved[0].contains("30,000.00元"), "{}", approved[0]);
        assert!(approved[0].contains("年利率"), "{}", approved[0]);

        // The decision, as the customer reads it: what was granted.
        let view = s
            .applications()
            .my_application(&c, &id)
            .await
            .expect("view");
        match view.decision {
            Some(CustomerDecision::Approved {
                amount,
                term_months,
                ..
            }) => {
                assert_eq!(amount, Fen::from_yuan(30_000));
                assert_eq!(term_months, 12);
            }
            other => panic!("{}: {other:?}", env.label),
        }

        // The payout is the last notice.
        env.sign_and_disburse(&id, PHONE).await;
        assert_eq!(
            kinds(&env, PHONE, &id).await.last(),
            Some(&NoticeKind::PaidOut)
        );
        s.notices().send_pending_notices(500).await.expect("send");
        assert!(texts_to(&env, PHONE)
            .await
            .iter()
            .any(|t| t.contains("已发放到您绑定的银行卡")));

        // Unread until the customer opens the page; another's untouched.
        assert!(s.notices().unread_notices(&c).await.expect("unread") >= 4);
        s.notices().mark_notices_read(&c).await.expect("read");
        assert_eq!(s.notices().unread_notices(&c).await.expect("unread"), 0);
        assert!(s
            .notices()
            .my_notices(&c)
            .await
            .expect("notices")
            .iter()
            .all(|n| n.read));
        let other = env.customer("13800000002").await;
        assert_eq!(
            s.notices()
                .my_notices(&other)
                .await
                .expect("notices")
                .iter()
                .filter(|n| n.application_id.as_str() == id)
                .count(),
            0,
            "a customer never sees another's notices"
        );
    })
    .await;
}

#[tokio::test]
async fn a_refusal_tells_its_category_and_advice_never_the_comment() {
    on_each_backend(|env| async move {
        env.seed().await;
        let s = &env.services;
        let id = investigated(&env, PHONE, "notice-2").await;
        let approver = env.assignee(&id, "approval").await;
        let version = s
            .applications()
            .application_for_staff(&approver, &id)
            .await
            .expect("file")
            .version;
        let comment = "内部意见：近两年征信有三次逾期，流水与申报不符。";
        // A refusal names its category; an agreement none.
        for (decision, category, code) in [
            (Decision::Reject, None, ErrorCode::DeclineCategoryMissing),
            (
                Decision::Approve,
                Some(DeclineCategory::CreditRecord),
                ErrorCode::DeclineCategoryUnexpected,
            ),
        ] {
            let r = s
                .applications()
                .decide(&approver, &id, version, decision, category, comment.into())
                .await;
            assert_eq!(refused(r), code);
        }
        s.applications()
            .decide(
                &approver,
                &id,
                version,
                Decision::Reject,
                Some(DeclineCategory::CreditRecord),
                comment.into(),
            )
            .await
            .expect("refused");

        // The file keeps the comment and shows what the customer was told.
        let file = s
            .applications()
            .application_for_staff(&approver, &id)
            .await
            .expect("file");
        let approval = file.approval.expect("the refusal on file");
        assert_eq!(approval.decline, Some(DeclineCategory::CreditRecord));
        assert_eq!(approval.comment, comment);

        let c = env.customer(PHONE).await;
        let view = s
            .applications()
            .my_application(&c, &id)
            .await
            .expect("view");
        assert_eq!(
            view.decision,
            Some(CustomerDecision::Declined {
                category: Some(DeclineCategory::CreditRecord)
            })
        );
        let notices = s.notices().my_notices(&c).await.expect("notices");
        let last = notices
            .iter()
            .find(|n| n.application_id.as_str() == id)
            .expect("the refusal's notice");
        assert_eq!(last.kind, NoticeKind::Rejected);
        assert_eq!(last.decline, Some(DeclineCategory::CreditRecord));
        assert_eq!(last.rate, None);
        for shown in [
            serde_json::to_string(&view).expect("json"),
            serde_json::to_string(&notices).expect("json"),
        ] {
            assert!(!shown.contains("逾期"), "the comment reached the customer");
        }
        s.notices().send_pending_notices(500).await.expect("send");
        let texts = texts_to(&env, PHONE).await;
        let refusal = texts
            .iter()
            .find(|t| t.contains("未获批准"))
            .expect("the refusal's text");
        assert!(!refusal.contains("征信"), "{refusal}");
    })
    .await;
}

#[tokio::test]
async fn an_unreachable_gateway_is_tried_three_times_and_a_stopped_sender_never_resends() {
    on_each_backend(|env| async move {
        env.seed().await;
        // Everything already waiting goes out first.
        env.services
            .notices()
            .send_pending_notices(1000)
            .await
            .expect("send");
        let id = investigated(&env, PHONE, "notice-3").await;
        let mut down = env.services.clone();
        down.sms = Arc::new(
            DevSmsProvider::new(env.db.clone(), env.clock.clone(), PfiKeys::development())
                .with_latency(Duration::ZERO)
                .with_failure_rate(1000),
        );
        let status = |env: Env, id: String| async move {
            env.scalar_text(&format!(
                "SELECT sms_status FROM customer_notices \
                 WHERE application_id = '{id}' AND kind = 'investigated'"
            ))
            .await
        };
        let first = down
            .notices()
            .send_pending_notices(100)
            .await
            .expect("send");
        assert_eq!((first.sent, first.retried), (0, 2), "{}", env.label);
        assert_eq!(status(env.clone(), id.clone()).await, "pending");
        // Not again before its time.
        let early = down
            .notices()
            .send_pending_notices(100)
            .await
            .expect("send");
        assert_eq!(early, Default::default());
        env.clock.advance_secs(61);
        down.notices()
            .send_pending_notices(100)
            .await
            .expect("send");
        assert_eq!(status(env.clone(), id.clone()).await, "pending");
        env.clock.advance_secs(121);
        let last = down
            .notices()
            .send_pending_notices(100)
            .await
            .expect("send");
        assert_eq!(last.failed, 2, "{}", env.label);
        assert_eq!(status(env.clone(), id.clone()).await, "failed");
        assert_eq!(
            env.scalar_i64(&format!(
                "SELECT sms_attempts FROM customer_notices \
                 WHERE application_id = '{id}' AND kind = 'investigated'"
            ))
            .await,
            3
        );

        // A notice left claimed by a sender that stopped is never sent again.
        env.exec(&format!(
            "UPDATE customer_notices SET sms_status = 'sending' \
             WHERE application_id = '{id}' AND kind = 'submitted'"
        ))
        .await;
        env.clock.advance_secs(11 * 60);
        let swept = env
            .services
            .notices()
            .send_pending_notices(100)
            .await
            .expect("send");
        assert_eq!(swept.unknown, 1);
        assert_eq!(
            env.scalar_text(&format!(
                "SELECT sms_status FROM customer_notices \
                 WHERE application_id = '{id}' AND kind = 'submitted'"
            ))
            .await,
            "unknown"
        );
    })
    .await;
}
