//! Personal financial information at rest: no table holds an ID number,
//! phone number or credit report in plain text; lookups go through blind
//! indexes; a key rotation re-seals everything and lookups keep working;
//! plain text from before sealing is sealed at start-up.

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::{on_each_backend, Env};
use domain::money::Fen;
use service::applications::NewApplication;
use service::db::Backend;
use service::pfi::{Field, PfiKeys};
use service::reseal::Reseal;
use service::{DevBureauProvider, Services};
use sqlx::{AssertSqlSafe, Column, Row};

const LI: &str = "13800000001";

fn with_bureau(env: &Env) -> Services {
    env.services.clone().with_bureau(Arc::new(
        DevBureauProvider::new().with_latency(Duration::ZERO),
    ))
}

/// 李秀英 signs in by SMS and applies: a code in the outbox, a credit report
/// pulled and stored, a decision made.
async fn li_applies(env: &Env, s: &Services) -> String {
    s.auth().send_login_code(LI).await.expect("code sent");
    let li = env.customer(LI).await;
    let product = env
        .scalar_text(&format!(
            "SELECT id FROM products WHERE bank_id = '{}' AND code = 'HNED'",
            li.bank_id
        ))
        .await;
    s.applications()
        .submit_application(
            &li,
            NewApplication {
                repayment_method: None,
                guarantee_type: None,
                product_id: product,
                amount: Fen::from_yuan(50_000),
                term_months: 12,
                purpose: "购买化肥种子".to_string(),
                consent: true,
                idempotency_key: "pfi-1".to_string(),
            },
        )
        .await
        .expect("submit")
}

/// Every text value of every table, as (table.column, value).
async fn every_text(env: &Env) -> Vec<(String, String)> {
    let tables_sql = match env.db.backend {
        Backend::Sqlite => "SELECT name FROM sqlite_master WHERE type = 'table' \
                            AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_sqlx%'",
        Backend::Postgres => "SELECT CAST(table_name AS TEXT) FROM information_schema.tables \
                              WHERE table_schema = current_schema() AND table_name NOT LIKE '_sqlx%'",
    };
    let tables: Vec<(String,)> = sqlx::query_as(tables_sql)
        .fetch_all(&env.db.pool)
        .await
        .expect("tables");
    let mut out = Vec::new();
    for (t,) in tables {
        let rows = sqlx::query(AssertSqlSafe(format!("SELECT * FROM {t}")))
            .fetch_all(&env.db.pool)
            .await
            .unwrap_or_else(|e| panic!("{t}: {e}"));
        for r in rows {
            for (i, c) in r.columns().iter().enumerate() {
                if let Ok(Some(v)) = r.try_get::<Option<String>, _>(i) {
                    out.push((format!("{t}.{}", c.name()), v));
                }
            }
        }
    }
    out
}

#[tokio::test]
async fn no_table_holds_an_id_number_phone_or_credit_report_in_plain_text() {
    on_each_backend(|env| async move {
        env.seed().await;
        let s = with_bureau(&env);
        li_applies(&env, &s).await;
        let id_number = env.id_number_of_phone(LI).await;
        let stored = every_text(&env).await;
        assert!(stored.len() > 1000, "{} values", stored.len());
        for (col, v) in &stored {
            assert!(!v.contains(LI), "{col} holds the phone: {v}");
            assert!(!v.contains(&id_number), "{col} holds the ID number: {v}");
            assert!(
                !v.contains("\"worst_delinquency\":"),
                "{col} holds a credit report: {v}"
            );
        }
        // The report, the code and the numbers are there, sealed.
        let report = env
            .scalar_text("SELECT report_sealed FROM bureau_inquiries LIMIT 1")
            .await;
        assert!(env
            .open(Field::CreditReport, &report)
            .contains("worst_delinquency"));
        let body = env
            .scalar_text(&format!(
                "SELECT body_sealed FROM sms_outbox WHERE phone_idx = '{}'",
                env.phone_idx(LI)
            ))
            .await;
        assert!(env.open(Field::SmsBody, &body).contains("验证码"));
        // Every stored customer opens with the server's keys.
        let n = env
            .scalar_i64("SELECT COUNT(*) FROM customers WHERE id_number_sealed LIKE 'pfi1.%'")
            .await;
        assert_eq!(n, env.scalar_i64("SELECT COUNT(*) FROM customers").await);
    })
    .await;
}

#[tokio::test]
async fn a_key_rotation_reseals_everything_and_lookups_keep_working() {
    on_each_backend(|env| async move {
        env.seed().await;
        let old = with_bureau(&env);
        li_applies(&env, &old).await;
        let id_number = env.id_number_of_phone(LI).await;
        let old_id = old.config.pfi.current_id().to_string();

        // The operator moves the old key to the retired list and sets a new one.
        let mut new = old.clone();
        new.config.pfi = PfiKeys::from_secrets(
            "the-new-pfi-key-0123456789abcdef",
            &[service::pfi::DEV_PFI_SECRET],
            service::pfi::DEV_PFI_INDEX_SECRET,
        );
        let new_id = new.config.pfi.current_id().to_string();
        assert_ne!(old_id, new_id);
        // Before the rotation the new server still reads the old values.
        let li = new
            .auth()
            .customer_actor(&env.customer(LI).await.customer_id)
            .await
            .unwrap();
        assert_eq!(li.phone_masked, "138****0001");

        let done = new.reseal(Reseal::NotCurrent).await.expect("rotation");
        let customers = env.scalar_i64("SELECT COUNT(*) FROM customers").await;
        assert_eq!(done.customers, u64::try_from(customers).unwrap());
        assert!(done.credit_reports >= 1 && done.sms_outbox >= 1, "{done:?}");
        let in_use = new.sealing_keys_in_use().await.unwrap();
        assert_eq!(in_use.len(), 1, "{in_use:?}");
        assert_eq!(in_use[0].0, new_id);
        // Run again: nothing left to do.
        assert_eq!(new.reseal(Reseal::NotCurrent).await.unwrap().total(), 0);

        // A server holding only the new key reads and finds everything.
        let mut only_new = new.clone();
        only_new.config.pfi = PfiKeys::from_secrets(
            "the-new-pfi-key-0123456789abcdef",
            &[],
            service::pfi::DEV_PFI_INDEX_SECRET,
        );
        env.clock.advance_secs(61);
        only_new
            .auth()
            .send_login_code(LI)
            .await
            .expect("the phone is found by its index");
        let sealed = env
            .scalar_text(&format!(
                "SELECT id_number_sealed FROM customers WHERE id_number_idx = '{}'",
                env.id_idx(&id_number)
            ))
            .await;
        assert_eq!(
            only_new.config.pfi.open(Field::IdNumber, &sealed).unwrap(),
            id_number
        );
        // The old key alone no longer opens anything.
        assert!(old.config.pfi.open(Field::IdNumber, &sealed).is_err());
        let audited = env
            .scalar_i64("SELECT COUNT(*) FROM audit_log WHERE action = 'pfi.resealed'")
            .await;
        assert_eq!(audited, 1);
    })
    .await;
}

#[tokio::test]
async fn plain_text_from_before_sealing_is_sealed_and_found_again() {
    on_each_backend(|env| async move {
        env.seed().await;
        let s = &env.services;
        let id_number = env.id_number_of_phone(LI).await;
        let customer = env.customer(LI).await.customer_id;
        // As an older version left it: plain text, no index.
        env.exec(&format!(
            "UPDATE customers SET id_number_sealed = '{id_number}', phone_sealed = '{LI}', \
               id_number_idx = NULL, phone_idx = NULL WHERE id = '{customer}'"
        ))
        .await;
        let done = s.reseal(Reseal::PlainOnly).await.expect("sealed");
        assert_eq!(done.customers, 1);
        assert_eq!(env.customer(LI).await.customer_id, customer);
        assert_eq!(env.id_number_of_phone(LI).await, id_number);
        assert_eq!(s.reseal(Reseal::PlainOnly).await.unwrap().total(), 0);
    })
    .await;
}
