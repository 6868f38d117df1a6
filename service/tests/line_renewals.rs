//! 续授信 (issue 16 item 6), on SQLite and (when `PUHUI_TEST_PG_URL` is
//! set) PostgreSQL: the end-of-day batch decides each active revolving line
//! the day after its expiry with the product's live renewal rule set. A
//! line drawn well and repaid on time renews with a higher limit, one never
//! drawn with a lower one, a customer outside the age range is declined and
//! the line expires, a product with no live renewal rule set refers its
//! lines to an officer; a rerun of the date decides nothing twice, and each
//! decision is on the line's card and in the audit log.

mod common;

use common::{on_each_backend, today, Env};
use domain::date::Date;
use domain::identity::IdNumber;
use domain::money::Fen;
use domain::servicing::credit_line::{LineKind, LineStatus, RenewalOutcome};
use domain::view::CreditLineView;
use service::servicing::eod::EodOptions;

const LI: &str = "13800000001";
const WANG: &str = "13800000002";

/// Moves a line's term back a year, so that it expired yesterday.
async fn expire_yesterday(env: &Env, line_id: &str) {
    env.exec(&format!(
        "UPDATE credit_lines SET granted_on = '{}', expires_on = '{}' WHERE id = '{line_id}'",
        today().add_days(-1).add_days(-365),
        today().add_days(-1),
    ))
    .await;
}

async fn line(env: &Env, id: &str) -> CreditLineView {
    let head = env.staff("head1").await;
    env.services
        .servicing()
        .line_view_for(&head, id)
        .await
        .expect("line view")
}

#[tokio::test]
async fn lines_are_renewed_adjusted_referred_or_declined_by_the_rule_set() {
    on_each_backend(|env| async move {
        env.seed().await;
        let s = &env.services;
        let li = env.customer(LI).await;
        let a1 = env.staff("approver1").await;
        // 李秀英's household earns 120,000 a year: the scorecard's top band.
        env.exec(&format!(
            "UPDATE households SET annual_income_fen = 12000000 WHERE id = \
             (SELECT household_id FROM customers WHERE id = '{}')",
            li.customer_id
        ))
        .await;
        let products = s.products().list_products(Some(&li.bank_id)).await.unwrap();
        let (p1, p2) = (&products[0], &products[1]);
        let grant = |product: String| {
            let a1 = a1.clone();
            let li = li.clone();
            async move {
                s.servicing()
                    .grant_line(
                        &a1,
                        &li.customer_id,
                        &product,
                        LineKind::Revolving,
                        Fen::from_yuan(50_000),
                        today().add_months(12),
                    )
                    .await
                    .expect("grant")
            }
        };
        // Drawn to 85% on time: grade A, 120% of the limit.
        let used = grant(p1.id.to_string()).await;
        s.servicing()
            .draw_down(&li, &used.id, Fen::from_yuan(42_500), 12, "renew-draw")
            .await
            .expect("draw");
        // Never drawn: grade C, 80% of the limit.
        let idle = grant(p1.id.to_string()).await;
        // On a product with no live renewal rule set: referred.
        let unruled = grant(p2.id.to_string()).await;
        env.exec(&format!(
            "UPDATE rule_sets SET status = 'retired' WHERE stage = 'renewal' \
             AND product_id = '{}'",
            p2.id
        ))
        .await;
        // 王建国's demo line, after he turns out to be born in 1950: declined.
        let wang = env.customer(WANG).await;
        let old = IdNumber::from_parts("220102", Date::new(1950, 3, 1).unwrap(), 31).unwrap();
        env.set_id_number_of_phone(WANG, old.as_str()).await;
        let wang_line = s.servicing().my_lines(&wang).await.unwrap()[0].clone();
        for id in [&used.id, &idle.id, &unruled.id, &wang_line.id] {
            expire_yesterday(&env, id.as_str()).await;
        }

        let summary = s
            .servicing()
            .run_eod(today(), &EodOptions::default(), &|_| {})
            .await
            .expect("eod");
        assert_eq!(summary.lines_renewed, 2, "{summary:?}");
        assert_eq!(summary.lines_referred, 1, "{summary:?}");

        let v = line(&env, used.id.as_str()).await;
        assert_eq!(v.status, LineStatus::Active);
        assert_eq!(v.limit, Fen::from_yuan(60_000));
        assert_eq!(v.used, Fen::from_yuan(42_500), "what is drawn stays drawn");
        assert_eq!(v.granted_on, today().add_days(-1));
        assert_eq!(v.expires_on, today().add_days(-1).add_months(12));
        let r = v.last_renewal.expect("renewal on the card");
        assert_eq!(
            (r.outcome, r.grade.as_deref()),
            (RenewalOutcome::Renewed, Some("A"))
        );
        assert_eq!(r.limit_after, Some(Fen::from_yuan(60_000)));

        let v = line(&env, idle.id.as_str()).await;
        assert_eq!(
            (v.status, v.limit),
            (LineStatus::Active, Fen::from_yuan(40_000))
        );
        let r = v.last_renewal.expect("renewal");
        assert_eq!(r.grade.as_deref(), Some("C"));
        assert_eq!(r.reasons[0].0, "用信与还款表现一般，续期额度下调");

        let v = line(&env, unruled.id.as_str()).await;
        assert_eq!(v.status, LineStatus::Expired);
        let r = v.last_renewal.expect("renewal");
        assert_eq!(
            (r.outcome, r.rule_set_version),
            (RenewalOutcome::Referred, None)
        );
        assert_eq!(r.reasons[0].0, "没有生效的规则集，转人工");

        let v = line(&env, wang_line.id.as_str()).await;
        assert_eq!(v.status, LineStatus::Expired);
        let r = v.last_renewal.expect("renewal");
        assert_eq!(r.outcome, RenewalOutcome::Declined);
        assert_eq!(r.reasons[0].0, "年龄不在产品准入范围");

        // A rerun of the date decides nothing twice.
        let decided = env.scalar_i64("SELECT COUNT(*) FROM line_renewals").await;
        assert_eq!(decided, 4);
        s.servicing()
            .run_eod(today(), &EodOptions::default(), &|_| {})
            .await
            .expect("rerun");
        assert_eq!(
            env.scalar_i64("SELECT COUNT(*) FROM line_renewals").await,
            4
        );
        assert_eq!(
            line(&env, used.id.as_str()).await.limit,
            Fen::from_yuan(60_000)
        );

        // Each decision is audited, the renewal with its limits.
        for (action, n) in [
            ("credit_line.renewed", 2),
            ("credit_line.renewal_referred", 1),
            ("credit_line.renewal_declined", 1),
        ] {
            let got = env
                .scalar_i64(&format!(
                    "SELECT COUNT(*) FROM audit_log WHERE action = '{action}'"
                ))
                .await;
            assert_eq!(got, n, "{action}");
        }
        // The customer sees the new limit, never the decision.
        let mine = s.servicing().my_lines(&li).await.unwrap();
        let mine = mine.iter().find(|l| l.id == used.id).expect("line");
        assert_eq!(mine.limit, Fen::from_yuan(60_000));
        assert!(mine.last_renewal.is_none());
    })
    .await;
}
