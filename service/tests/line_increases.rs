//! Credit lines for staff (issue 16 item 6), on SQLite and (when
//! `PUHUI_TEST_PG_URL` is set) PostgreSQL: a lower limit takes effect at
//! once; a higher one is proposed with its reason and approved by someone
//! else (maker-checker), never above the product's maximum, one open
//! proposal per line, and two decisions at once move it once.

mod common;

use common::{on_each_backend, today};
use domain::error_code::ErrorCode;
use domain::money::Fen;
use domain::servicing::credit_line::LineKind;
use service::servicing::lines::{LineAction, LineChange};
use service::ServiceError;

const LI: &str = "13800000001";

fn assert_code<T: std::fmt::Debug>(r: Result<T, ServiceError>, code: ErrorCode) {
    match r {
        Err(e) => assert_eq!(e.code(), code, "{e:?}"),
        Ok(v) => panic!("expected {code}, got Ok({v:?})"),
    }
}

#[tokio::test]
async fn a_higher_limit_waits_for_a_second_person_and_a_lower_one_does_not() {
    on_each_backend(|env| async move {
        env.seed().await;
        let s = &env.services;
        let li = env.customer(LI).await;
        let (a1, a2) = (env.staff("approver1").await, env.staff("approver2").await);
        let head = env.staff("head1").await;
        let products = s.products().list_products(Some(&li.bank_id)).await.unwrap();
        let product = &products[0];
        let line = s
            .servicing()
            .grant_line(
                &a1,
                &li.customer_id,
                &product.id,
                LineKind::Revolving,
                Fen::from_yuan(50_000),
                today().add_months(12),
            )
            .await
            .expect("grant");
        let sv = s.servicing();

        // Lower: at once.
        match sv
            .adjust_line_limit(&a1, &line.id, line.version, Fen::from_yuan(30_000), "")
            .await
            .expect("lower")
        {
            LineChange::Applied(v) => assert_eq!(v.limit, Fen::from_yuan(30_000)),
            other => panic!("a lower limit applies at once: {other:?}"),
        }
        let v = sv.line_view_for(&a1, &line.id).await.unwrap();
        // Higher: never through the one-person action, never without a
        // reason, never above the product's maximum; the officer may not.
        assert_code(
            sv.line_action(
                &a1,
                &line.id,
                v.version,
                LineAction::AdjustLimit(Fen::from_yuan(80_000)),
            )
            .await,
            ErrorCode::CreditLineIncreaseNeedsReview,
        );
        assert_code(
            sv.adjust_line_limit(&a1, &line.id, v.version, Fen::from_yuan(80_000), "  ")
                .await,
            ErrorCode::CreditLineIncreaseReasonRequired,
        );
        assert_code(
            sv.adjust_line_limit(
                &a1,
                &line.id,
                v.version,
                product.max_amount + Fen(100),
                "扩大经营",
            )
            .await,
            ErrorCode::LimitAboveProductMax,
        );
        assert_code(
            sv.adjust_line_limit(
                &env.staff("officer1").await,
                &line.id,
                v.version,
                Fen::from_yuan(80_000),
                "扩大经营",
            )
            .await,
            ErrorCode::Forbidden,
        );
        let proposed = match sv
            .adjust_line_limit(
                &a1,
                &line.id,
                v.version,
                Fen::from_yuan(80_000),
                "扩大养殖规模，年收入增加",
            )
            .await
            .expect("propose")
        {
            LineChange::Proposed(v) => v,
            other => panic!("a higher limit is proposed: {other:?}"),
        };
        assert_eq!(proposed.limit, Fen::from_yuan(30_000), "not yet raised");
        let pending = proposed
            .pending_increase
            .clone()
            .expect("the proposal shows");
        assert_eq!(pending.to, Fen::from_yuan(80_000));
        assert_code(
            sv.adjust_line_limit(
                &a2,
                &line.id,
                proposed.version,
                Fen::from_yuan(90_000),
                "再提",
            )
            .await,
            ErrorCode::CreditLineIncreaseOpen,
        );
        // The customer does not see the proposal.
        assert!(sv
            .my_lines(&li)
            .await
            .unwrap()
            .iter()
            .all(|l| l.pending_increase.is_none()));
        // Maker-checker: not the proposer.
        assert_code(
            sv.decide_line_increase(&a1, &pending.id, true, "同意")
                .await,
            ErrorCode::SelfApproval,
        );
        let raised = sv
            .decide_line_increase(&a2, &pending.id, true, "经核实收入，同意")
            .await
            .expect("approve");
        assert_eq!(raised.limit, Fen::from_yuan(80_000));
        assert_eq!(raised.available, Fen::from_yuan(80_000));
        assert!(raised.pending_increase.is_none());
        assert_code(
            sv.decide_line_increase(&head, &pending.id, false, "晚了")
                .await,
            ErrorCode::ApplicationStateChanged,
        );

        // Two decisions at once on the next proposal: one moves it.
        let next = match sv
            .adjust_line_limit(
                &a2,
                &line.id,
                raised.version,
                Fen::from_yuan(100_000),
                "春耕资金需求",
            )
            .await
            .expect("propose again")
        {
            LineChange::Proposed(v) => v.pending_increase.expect("open"),
            other => panic!("{other:?}"),
        };
        let (x, y) = tokio::join!(
            sv.decide_line_increase(&a1, &next.id, true, "同意"),
            sv.decide_line_increase(&head, &next.id, false, "不同意"),
        );
        assert!(x.is_ok() != y.is_ok(), "exactly one decides: {x:?} {y:?}");
        let limit = sv.line_view_for(&a1, &line.id).await.unwrap().limit;
        let decided = env
            .scalar_text(&format!(
                "SELECT status FROM credit_line_increases WHERE id = '{}'",
                next.id
            ))
            .await;
        match decided.as_str() {
            "approved" => assert_eq!(limit, Fen::from_yuan(100_000)),
            "refused" => assert_eq!(limit, Fen::from_yuan(80_000)),
            other => panic!("{other}"),
        }
        for action in [
            "credit_line.limit_adjusted",
            "credit_line.increase_proposed",
            "credit_line.increase_approved",
        ] {
            assert!(
                env.scalar_i64(&format!(
                    "SELECT COUNT(*) FROM audit_log WHERE action = '{action}' \
                     AND entity_id = '{}'",
                    line.id
                ))
                .await
                    >= 1,
                "{action}"
            );
        }
        // The 额度管理 list of the branch head shows the line.
        let listed = sv.lines_in_scope(&head).await.unwrap();
        assert!(listed.iter().any(|l| l.id == line.id));

        // 转移管户: the branch head hands it to another officer of the
        // scope; an approver may not.
        assert_code(
            sv.line_transfer_options(&a1, &line.id).await,
            ErrorCode::Forbidden,
        );
        let options = sv.line_transfer_options(&head, &line.id).await.unwrap();
        let current = sv.line_view_for(&head, &line.id).await.unwrap();
        assert!(options
            .iter()
            .all(|(_, name, _)| *name != current.officer_name));
        let (to, to_name, _) = options.first().cloned().expect("another officer");
        let moved = sv
            .line_action(
                &head,
                &line.id,
                current.version,
                LineAction::Transfer { to_officer_id: to },
            )
            .await
            .expect("transfer");
        assert_eq!(moved.officer_name, to_name);
    })
    .await;
}
