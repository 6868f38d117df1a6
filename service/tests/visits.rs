//! 预约上门 (issue 17 item 4), on SQLite and (when `PUHUI_TEST_PG_URL` is
//! set) PostgreSQL: the officer offers hours, the customer books one, the
//! officer confirms it or proposes another, the customer accepts or
//! cancels; each answer of the officer's reaches the customer as a notice;
//! two customers who pick the same hour at once: one gets it, the other
//! is told it was taken; nobody acts on another's visit.

mod common;

use common::{on_each_backend, refused, today, Env};
use domain::error_code::ErrorCode;
use domain::money::Fen;
use domain::notice::NoticeKind;
use domain::visit::{slot_start, VisitStatus};
use service::auth::StaffActor;
use service::ServiceError;

const LI: &str = "13800000001";
const WANG: &str = "13800000002";

/// The customer applies; returns the application's id.
async fn apply(env: &Env, phone: &str, key: &str) -> String {
    let product = env.first_product(phone).await;
    env.submitted(phone, &product, Fen::from_yuan(20_000), key)
        .await
}

/// The officer of an application.
async fn officer_of(env: &Env, application: &str) -> StaffActor {
    let username = env
        .scalar_text(&format!(
            "SELECT u.username FROM applications a JOIN staff_users u ON u.id = a.officer_id \
             WHERE a.id = '{application}'"
        ))
        .await;
    env.staff(&username).await
}

#[tokio::test]
async fn the_customer_books_the_officer_confirms_or_proposes_and_the_customer_is_told() {
    on_each_backend(|env| async move {
        env.seed().await;
        let s = &env.services;
        let id = apply(&env, LI, "visit-1").await;
        let officer = officer_of(&env, &id).await;
        let v = s.visits();
        let tomorrow = today().add_days(1);

        // The officer's hours: on the hour, 08–18, ahead; twice is once.
        assert_eq!(
            v.add_visit_slots(&officer, tomorrow, &[8, 12, 17])
                .await
                .expect("slots"),
            3
        );
        assert_eq!(
            v.add_visit_slots(&officer, tomorrow, &[8])
                .await
                .expect("again"),
            0
        );
        assert_eq!(
            refused(v.add_visit_slots(&officer, tomorrow, &[7]).await),
            ErrorCode::VisitSlotInvalid
        );
        assert_eq!(
            refused(
                v.add_visit_slots(&officer, today().add_days(-1), &[9])
                    .await
            ),
            ErrorCode::VisitSlotInvalid
        );
        assert_eq!(
            refused(
                v.add_visit_slots(&officer, today().add_days(31), &[9])
                    .await
            ),
            ErrorCode::VisitSlotInvalid
        );

        // The customer sees them (beside the demo's) and books 08:00.
        let li = env.customer(LI).await;
        let panel = v.visit_panel(&li, &id).await.expect("panel");
        assert!(panel.open && panel.visit.is_none());
        let free_before = panel.slots.len();
        let at = |h: u8| {
            let start = slot_start(tomorrow, h).expect("slot");
            panel
                .slots
                .iter()
                .find(|f| f.starts_at == start)
                .unwrap_or_else(|| panic!("{h}:00 is offered"))
                .id
                .clone()
        };
        let (nine, ten, two) = (at(8), at(12), at(17));
        v.book_visit(&li, &id, &nine).await.expect("booked");
        // A second tap on the same hour changes nothing.
        v.book_visit(&li, &id, &nine).await.expect("booked again");
        let panel = v.visit_panel(&li, &id).await.expect("panel");
        let booked = panel.visit.expect("the visit");
        assert_eq!(booked.status, VisitStatus::Requested);
        assert_eq!(
            panel.slots.len(),
            free_before - 1,
            "the hour is no longer free"
        );

        // On the officer's list, first.
        let schedule = v.my_visit_schedule(&officer).await.expect("schedule");
        let mine = schedule
            .visits
            .iter()
            .find(|x| x.id == booked.id)
            .expect("on the officer's list");
        assert_eq!(mine.status, VisitStatus::Requested);
        assert!(schedule
            .slots
            .iter()
            .any(|sl| sl.id == nine && sl.booked_by.as_deref() == Some("李秀英")));

        // Nobody else answers it; a stale answer is refused.
        let other = env
            .staff(if officer.username == "officer2" {
                "officer1"
            } else {
                "officer2"
            })
            .await;
        assert!(matches!(
            v.confirm_visit(&other, &booked.id, mine.version).await,
            Err(ServiceError::Forbidden)
        ));
        assert_eq!(
            refused(
                v.confirm_visit(&officer, &booked.id, mine.version + 5)
                    .await
            ),
            ErrorCode::VisitChanged
        );

        // The officer proposes 17:00 instead; the customer is told.
        v.propose_visit(&officer, &booked.id, mine.version, &two)
            .await
            .expect("proposed");
        let notices = s.notices().my_notices(&li).await.expect("notices");
        let told = notices
            .iter()
            .find(|n| n.kind == NoticeKind::VisitProposed)
            .expect("told of the proposal");
        let two_at = told.visit_at.expect("the time");
        let panel = v.visit_panel(&li, &id).await.expect("panel");
        let proposed = panel.visit.expect("visit");
        assert_eq!(proposed.status, VisitStatus::Proposed);
        assert_eq!(proposed.starts_at, two_at);
        assert!(
            panel.slots.iter().any(|f| f.id == nine),
            "08:00 is free again"
        );

        // She picks 12:00 instead: asked again; the officer confirms.
        v.book_visit(&li, &id, &ten).await.expect("rebooked");
        let version = v
            .visit_panel(&li, &id)
            .await
            .expect("panel")
            .visit
            .expect("visit")
            .version;
        v.confirm_visit(&officer, &booked.id, version)
            .await
            .expect("confirmed");
        // A second click on the old page: changed meanwhile.
        assert_eq!(
            refused(v.confirm_visit(&officer, &booked.id, version).await),
            ErrorCode::VisitChanged
        );
        let panel = v.visit_panel(&li, &id).await.expect("panel");
        let confirmed = panel.visit.expect("visit");
        assert_eq!(confirmed.status, VisitStatus::Confirmed);
        let told = s.notices().my_notices(&li).await.expect("notices");
        let told = told
            .iter()
            .find(|n| n.kind == NoticeKind::VisitConfirmed)
            .expect("told of the confirmation");
        assert_eq!(told.visit_at, Some(confirmed.starts_at));
        s.notices().send_pending_notices(500).await.expect("texts");
        let texts: Vec<(String,)> = sqlx::query_as(
            "SELECT body_sealed FROM sms_outbox WHERE phone_idx = $1 ORDER BY created_at, id",
        )
        .bind(env.phone_idx(LI))
        .fetch_all(&env.db.pool)
        .await
        .expect("outbox");
        let texts: Vec<String> = texts
            .into_iter()
            .map(|(b,)| env.open(service::pfi::Field::SmsBody, &b))
            .collect();
        assert!(
            texts
                .iter()
                .any(|t| t.contains("已确认于") && t.contains(":00上门")),
            "{texts:?}"
        );

        // Another customer cannot see or touch it.
        let wang = env.customer(WANG).await;
        assert!(matches!(
            v.visit_panel(&wang, &id).await,
            Err(ServiceError::NotFound)
        ));
        assert!(matches!(
            v.cancel_visit(&wang, &id, confirmed.version).await,
            Err(ServiceError::NotFound)
        ));
        // A booked hour cannot be withdrawn; a free one can.
        assert_eq!(
            refused(v.withdraw_visit_slot(&officer, &ten).await),
            ErrorCode::VisitSlotTaken
        );
        v.withdraw_visit_slot(&officer, &two)
            .await
            .expect("withdrawn");

        // She cancels: the hour is free; the officer's list no longer has it.
        v.cancel_visit(&li, &id, confirmed.version)
            .await
            .expect("cancelled");
        let panel = v.visit_panel(&li, &id).await.expect("panel");
        assert!(panel.visit.is_none());
        assert!(panel.slots.iter().any(|f| f.id == ten));

        // Once investigated, the application waits for no visit.
        v.book_visit(&li, &id, &ten).await.expect("booked");
        env.investigated(&id, Fen::from_yuan(20_000)).await;
        let panel = v.visit_panel(&li, &id).await.expect("panel");
        assert!(!panel.open && panel.slots.is_empty());
        assert!(
            panel.visit.is_none(),
            "the unanswered booking let its hour go"
        );
        assert_eq!(
            refused(v.book_visit(&li, &id, &nine).await),
            ErrorCode::VisitNotOpen
        );
        assert_eq!(
            env.scalar_i64("SELECT COUNT(*) FROM visit_slots WHERE visit_id IS NOT NULL")
                .await,
            0
        );
        // Every change is in the audit log.
        for action in [
            "visit_slots.added",
            "visit.requested",
            "visit.proposed",
            "visit.confirmed",
            "visit.cancelled",
            "visit_slot.withdrawn",
        ] {
            assert!(
                env.scalar_i64(&format!(
                    "SELECT COUNT(*) FROM audit_log WHERE action = '{action}'"
                ))
                .await
                    > 0,
                "{action}"
            );
        }
    })
    .await;
}

#[tokio::test]
async fn two_customers_picking_the_same_hour_at_once_one_gets_it() {
    on_each_backend(|env| async move {
        env.seed().await;
        let s = &env.services;
        let a = apply(&env, LI, "visit-a").await;
        let b = apply(&env, WANG, "visit-b").await;
        let officer = officer_of(&env, &a).await;
        // Both under the same officer.
        env.exec(&format!(
            "UPDATE applications SET officer_id = '{}' WHERE id = '{b}'",
            officer.user_id
        ))
        .await;
        s.visits()
            .add_visit_slots(&officer, today().add_days(2), &[18])
            .await
            .expect("slot");
        let li = env.customer(LI).await;
        let wang = env.customer(WANG).await;
        let start = slot_start(today().add_days(2), 18).expect("slot");
        let slot = s
            .visits()
            .visit_panel(&li, &a)
            .await
            .expect("panel")
            .slots
            .into_iter()
            .find(|f| f.starts_at == start)
            .expect("18:00 offered")
            .id;
        for round in 0..3 {
            let (s1, s2) = (s.clone(), s.clone());
            let (li2, wang2) = (li.clone(), wang.clone());
            let (a2, b2, slot1, slot2) = (a.clone(), b.clone(), slot.clone(), slot.clone());
            let (x, y) = tokio::join!(
                tokio::spawn(async move { s1.visits().book_visit(&li2, &a2, &slot1).await }),
                tokio::spawn(async move { s2.visits().book_visit(&wang2, &b2, &slot2).await }),
            );
            let (x, y) = (x.expect("task"), y.expect("task"));
            let won = [x.is_ok(), y.is_ok()];
            assert_eq!(
                won.iter().filter(|w| **w).count(),
                1,
                "{}: {x:?} {y:?}",
                env.label
            );
            let lost = if x.is_ok() { y } else { x };
            assert_eq!(refused(lost), ErrorCode::VisitSlotTaken);
            assert_eq!(
                env.scalar_i64("SELECT COUNT(*) FROM visits WHERE status <> 'cancelled'")
                    .await,
                1,
                "round {round}"
            );
            // The winner cancels for the next round.
            let (c, app) = if won[0] { (&li, &a) } else { (&wang, &b) };
            let version = s
                .visits()
                .visit_panel(c, app)
                .await
                .expect("panel")
                .visit
                .expect("visit")
                .version;
            s.visits()
                .cancel_visit(c, app, version)
                .await
                .expect("cancel");
        }
    })
    .await;
}
