#![allow(dead_code)] // each test binary uses a different part of the harness
//! Test harness: a fresh, migrated database per test on SQLite (a temporary
//! file) and, when `PUHUI_TEST_PG_URL` is set, on PostgreSQL (a uniquely
//! named database, dropped afterwards). [`on_each_backend`] runs one test
//! body on every available backend.

use std::future::Future;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use domain::date::{Date, CHINA_UTC_OFFSET_MINUTES};
use service::auth::{CustomerActor, StaffActor};
use service::db::{Backend, Db, FixedClock};
use service::demo::{seed_demo, DemoConfig, DemoSummary};
use service::pfi::{Field, PfiKeys};
use service::sms::DevSmsProvider;
use service::DevPaymentProvider;
use service::{ServiceConfig, Services};
use sqlx::AssertSqlSafe;

/// The code of a refusal; panics on success.
pub fn refused<T: std::fmt::Debug>(
    r: Result<T, service::ServiceError>,
) -> domain::error_code::ErrorCode {
    match r {
        Ok(v) => panic!("expected a refusal, got {v:?}"),
        Err(e) => e.code(),
    }
}

/// The demo bank's "today" in every test.
pub fn today() -> Date {
    Date::new(2026, 11, 24).expect("date")
}

/// 10:00 in China on [`today`].
pub fn ten_am() -> i64 {
    today().days_since_epoch() * 86_400_000 - i64::from(CHINA_UTC_OFFSET_MINUTES) * 60_000
        + 10 * 3_600_000
}

enum Cleanup {
    SqliteFile(PathBuf),
    PgDatabase { admin_url: String, name: String },
}

/// One test's database and services, with a clock the test can move.
#[derive(Clone)]
pub struct Env {
    pub db: Db,
    pub clock: Arc<FixedClock>,
    pub services: Services,
    pub label: &'static str,
}

impl Env {
    fn new(db: Db, label: &'static str) -> Env {
        let clock = Arc::new(FixedClock::new(ten_am()));
        let sms = Arc::new(
            DevSmsProvider::new(db.clone(), clock.clone(), PfiKeys::development())
                .with_latency(Duration::ZERO),
        );
        let payments = Arc::new(DevPaymentProvider::new().with_latency(Duration::ZERO));
        let esign = Arc::new(service::DevESignProvider::new().with_latency(Duration::ZERO));
        let payouts = Arc::new(service::DevPayoutProvider::new().with_latency(Duration::ZERO));
        let services = Services::new(db.clone(), sms, clock.clone(), ServiceConfig::default())
            .with_payments(payments)
            .with_payouts(payouts)
            .with_esign(esign)
            .with_ocr(Arc::new(service::DevOcrProvider::with_latency(
                Duration::ZERO,
            )))
            .with_face(Arc::new(service::DevFaceProvider::with(Duration::ZERO, 0)))
            .with_uploads(Arc::new(service::FsUploadStore::new(
                std::env::temp_dir().join(format!("puhui-test-uploads-{}", unique())),
            )));
        Env {
            db,
            clock,
            services,
            label,
        }
    }

    /// Loads the demo bank (small) and returns what it made.
    pub async fn seed(&self) -> DemoSummary {
        seed_demo(
            &self.db,
            &self.services.config,
            &DemoConfig {
                seed: 7,
                customers: 40,
                today: today(),
                portfolio: false,
            },
        )
        .await
        .expect("demo seed")
    }

    /// A staff actor by username, without the password round trip.
    pub async fn staff(&self, username: &str) -> StaffActor {
        let id = self
            .scalar_text(&format!(
                "SELECT id FROM staff_users WHERE username = '{username}'"
            ))
            .await;
        self.services
            .auth()
            .staff_actor(&id)
            .await
            .expect("staff actor")
    }

    /// A customer actor by phone, without the SMS round trip.
    pub async fn customer(&self, phone: &str) -> CustomerActor {
        let id = self
            .scalar_text(&format!(
                "SELECT id FROM customers WHERE phone_idx = '{}'",
                self.phone_idx(phone)
            ))
            .await;
        self.services
            .auth()
            .customer_actor(&id)
            .await
            .expect("customer actor")
    }

    /// The blind index of a phone number (what `phone_idx` columns hold).
    pub fn phone_idx(&self, phone: &str) -> String {
        self.services.config.pfi.index(Field::Phone, phone)
    }

    /// The blind index of an ID number (`customers.id_number_idx`).
    pub fn id_idx(&self, id_number: &str) -> String {
        self.services.config.pfi.index(Field::IdNumber, id_number)
    }

    /// A sealed column's value.
    pub fn open(&self, field: Field, sealed: &str) -> String {
        self.services
            .config
            .pfi
            .open(field, sealed)
            .unwrap_or_else(|e| panic!("{sealed}: {e}"))
    }

    /// The customer's ID number (opened) by phone.
    pub async fn id_number_of_phone(&self, phone: &str) -> String {
        let sealed = self
            .scalar_text(&format!(
                "SELECT id_number_sealed FROM customers WHERE phone_idx = '{}'",
                self.phone_idx(phone)
            ))
            .await;
        self.open(Field::IdNumber, &sealed)
    }

    /// Gives the customer with `phone` another ID number (sealed, indexed).
    pub async fn set_id_number_of_phone(&self, phone: &str, id_number: &str) {
        let keys = &self.services.config.pfi;
        sqlx::query(
            "UPDATE customers SET id_number_sealed = $1, id_number_idx = $2 WHERE phone_idx = $3",
        )
        .bind(keys.seal(Field::IdNumber, id_number))
        .bind(keys.index(Field::IdNumber, id_number))
        .bind(self.phone_idx(phone))
        .execute(&self.db.pool)
        .await
        .expect("set id number");
    }

    pub async fn scalar_text(&self, sql: &str) -> String {
        let (v,): (String,) = sqlx::query_as(AssertSqlSafe(sql.to_string()))
            .fetch_one(&self.db.pool)
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
        v
    }

    /// The holder of the open task of `node_kind` (e.g. "approval") on an
    /// application: people are picked at random, so tests ask who it is.
    pub async fn assignee(&self, application_id: &str, node_kind: &str) -> StaffActor {
        let username = self
            .scalar_text(&format!(
                "SELECT u.username FROM flow_tasks t JOIN staff_users u ON u.id = t.assignee_id \
                 WHERE t.application_id = '{application_id}' AND t.node_kind = '{node_kind}' \
                   AND t.status = 'open' ORDER BY u.username LIMIT 1"
            ))
            .await;
        self.staff(&username).await
    }

    /// The code in the newest SMS sent to `phone`.
    pub async fn last_sms_code(&self, phone: &str) -> String {
        let sealed = self
            .scalar_text(&format!(
                "SELECT body_sealed FROM sms_outbox WHERE phone_idx = '{}' AND status = 'sent' \
                 ORDER BY created_at DESC, id DESC LIMIT 1",
                self.phone_idx(phone)
            ))
            .await;
        let body = self.open(Field::SmsBody, &sealed);
        let after = body.rsplit("验证码").next().unwrap_or(&body);
        after.chars().filter(char::is_ascii_digit).take(6).collect()
    }

    /// The customer with `phone` applies for `amount` over 12 months of
    /// the bank's first product secured by `guarantee`, officer1
    /// investigates, the approver drawn approves. Returns the
    /// application's id.
    pub async fn approved_application(
        &self,
        phone: &str,
        guarantee: domain::product::GuaranteeType,
        amount: domain::money::Fen,
        key: &str,
    ) -> String {
        let c = self.customer(phone).await;
        let product = self
            .services
            .products()
            .list_products(Some(&c.bank_id))
            .await
            .expect("products")
            .into_iter()
            .find(|p| p.guarantee_type == guarantee)
            .expect("a product of that guarantee")
            .id
            .to_string();
        self.approved_for(phone, &product, amount, key).await
    }

    /// The customer with `phone` applies for `amount` over 12 months of
    /// `product`, with its default method and guarantee; the id.
    pub async fn submitted(
        &self,
        phone: &str,
        product: &str,
        amount: domain::money::Fen,
        key: &str,
    ) -> String {
        use service::applications::NewApplication;
        let c = self.customer(phone).await;
        self.services
            .applications()
            .submit_application(
                &c,
                NewApplication {
                    repayment_method: None,
                    guarantee_type: None,
                    product_id: product.to_string(),
                    amount,
                    term_months: 12,
                    purpose: "购买化肥种子".to_string(),
                    consent: true,
                    idempotency_key: key.to_string(),
                },
            )
            .await
            .expect("submit")
    }

    /// The id of the first product of the bank of the customer with `phone`.
    pub async fn first_product(&self, phone: &str) -> String {
        let c = self.customer(phone).await;
        self.services
            .products()
            .list_products(Some(&c.bank_id))
            .await
            .expect("products")[0]
            .id
            .to_string()
    }

    /// officer1 records the visit to a submitted application, recommending
    /// `amount`.
    pub async fn investigated(&self, id: &str, amount: domain::money::Fen) {
        use domain::application::Decision;
        use domain::money::Fen;
        use service::applications::InvestigationInput;
        let officer = self.staff("officer1").await;
        self.services
            .applications()
            .record_investigation(
                &officer,
                id,
                1,
                InvestigationInput {
                    visited_on: today(),
                    household_income: Fen::from_yuan(120_000),
                    household_assets: Fen::from_yuan(400_000),
                    household_debts: Fen::from_yuan(20_000),
                    findings: "实地走访，经营正常，收入稳定。".to_string(),
                    recommendation: Decision::Approve,
                    recommended_amount: amount,
                },
            )
            .await
            .expect("investigate");
    }

    /// The same for one product, with its default method and guarantee.
    pub async fn approved_for(
        &self,
        phone: &str,
        product: &str,
        amount: domain::money::Fen,
        key: &str,
    ) -> String {
        use domain::application::Decision;
        let s = &self.services;
        let id = self.submitted(phone, product, amount, key).await;
        self.investigated(&id, amount).await;
        let approver = self.assignee(&id, "approval").await;
        let view = s
            .applications()
            .application_for_staff(&approver, &id)
            .await
            .expect("application");
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
            .expect("approve");
        assert_eq!(booked, None, "no loan before the money goes out");
        id
    }

    /// After approval: the borrower (phone `phone`) signs the loan contract
    /// drawn up at approval, a verified account is bound at the counter,
    /// and the disburser holding the task pays out. Returns the loan's id.
    pub async fn sign_and_disburse(&self, application_id: &str, phone: &str) -> String {
        let s = &self.services;
        let c = self.customer(phone).await;
        let contract = s
            .contracts()
            .my_contracts(&c)
            .await
            .expect("contracts")
            .into_iter()
            .find(|k| k.application_id == application_id)
            .expect("the loan contract, drawn up at approval");
        s.contracts()
            .send_signing_code(&c, &contract.id)
            .await
            .expect("signing code");
        let code = self.last_sms_code(phone).await;
        s.contracts()
            .sign_contract(&c, &contract.id, &code, b"signature-png")
            .await
            .expect("signed");
        let desk = self.assignee(application_id, "disbursement").await;
        s.applications()
            .bind_account_for(&desk, application_id, "6217000012345678907", "县农商银行")
            .await
            .expect("account bound");
        s.applications()
            .disburse(&desk, application_id, &format!("disburse-{application_id}"))
            .await
            .expect("paid out")
    }

    pub async fn scalar_i64(&self, sql: &str) -> i64 {
        let (v,): (i64,) = sqlx::query_as(AssertSqlSafe(sql.to_string()))
            .fetch_one(&self.db.pool)
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
        v
    }

    /// Runs a statement the database must refuse; returns its error text.
    pub async fn refused(&self, sql: &str) -> String {
        match sqlx::query(AssertSqlSafe(sql.to_string()))
            .execute(&self.db.pool)
            .await
        {
            Ok(r) => panic!("{sql}: allowed ({} rows)", r.rows_affected()),
            Err(e) => e.to_string(),
        }
    }

    /// Drops the audit log's append-only triggers, as the database's owner
    /// could: what is left to catch tampering then is the hash chain.
    pub async fn drop_audit_triggers(&self) {
        let drops: &[&str] = match self.db.backend {
            Backend::Sqlite => &[
                "DROP TRIGGER audit_log_no_update",
                "DROP TRIGGER audit_log_no_delete",
            ],
            Backend::Postgres => &["DROP TRIGGER audit_log_no_change ON audit_log"],
        };
        for d in drops {
            self.exec(d).await;
        }
    }

    /// What an insider with write access could do: drop the log's guards,
    /// cut off every entry after `keep` and move the head back to match, so
    /// that the chain alone looks whole.
    #[allow(dead_code)]
    pub async fn cut_audit_log_after(&self, keep: i64) {
        self.drop_audit_triggers().await;
        self.exec(&format!("DELETE FROM audit_log WHERE seq > {keep}"))
            .await;
        self.exec(&format!(
            "UPDATE audit_head SET seq = {keep}, \
               hash = (SELECT hash FROM audit_log WHERE seq = {keep})"
        ))
        .await;
    }

    pub async fn exec(&self, sql: &str) -> u64 {
        sqlx::query(AssertSqlSafe(sql.to_string()))
            .execute(&self.db.pool)
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"))
            .rows_affected()
    }
}

fn unique() -> String {
    uuid::Uuid::now_v7().simple().to_string()
}

async fn sqlite() -> (Db, Cleanup) {
    let path = std::env::temp_dir().join(format!("puhui-test-{}.db", unique()));
    let url = format!("sqlite://{}?mode=rwc", path.display());
    let db = Db::connect_with(&url, 5).await.expect("sqlite connect");
    db.migrate().await.expect("sqlite migrate");
    assert_eq!(db.backend, Backend::Sqlite);
    (db, Cleanup::SqliteFile(path))
}

/// Replaces the database name at the end of a PostgreSQL URL.
fn with_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let after_scheme = base.find("://").map_or(0, |i| i + 3);
    let host_end = base[after_scheme..]
        .find('/')
        .map_or(base.len(), |i| after_scheme + i);
    let mut out = format!("{}/{name}", &base[..host_end]);
    if let Some(q) = query {
        out.push('?');
        out.push_str(q);
    }
    out
}

async fn postgres(admin_url: &str) -> (Db, Cleanup) {
    let name = format!("puhui_t_{}", unique());
    let admin = Db::connect_with(admin_url, 1)
        .await
        .expect("postgres admin connect");
    sqlx::query(AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&admin.pool)
        .await
        .expect("create test database");
    admin.close().await;
    let db = Db::connect_with(&with_database(admin_url, &name), 5)
        .await
        .expect("postgres connect");
    db.migrate().await.expect("postgres migrate");
    assert_eq!(db.backend, Backend::Postgres);
    (
        db,
        Cleanup::PgDatabase {
            admin_url: admin_url.to_string(),
            name,
        },
    )
}

async fn cleanup(db: Db, c: Cleanup) {
    db.close().await;
    match c {
        Cleanup::SqliteFile(path) => {
            for suffix in ["", "-wal", "-shm"] {
                let mut p = path.clone().into_os_string();
                p.push(suffix);
                let _ = std::fs::remove_file(p);
            }
        }
        Cleanup::PgDatabase { admin_url, name } => {
            if let Ok(admin) = Db::connect_with(&admin_url, 1).await {
                let _ = sqlx::query(AssertSqlSafe(format!(
                    "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
                )))
                .execute(&admin.pool)
                .await;
                admin.close().await;
            }
        }
    }
}

/// The PostgreSQL server to test against, if any.
pub fn pg_url() -> Option<String> {
    std::env::var("PUHUI_TEST_PG_URL")
        .ok()
        .filter(|u| !u.trim().is_empty())
}

/// Runs `body` on a fresh SQLite database, then on a fresh PostgreSQL
/// database when `PUHUI_TEST_PG_URL` is set. The databases are removed
/// afterwards, also when the body fails.
pub async fn on_each_backend<F, Fut>(body: F)
where
    F: Fn(Env) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let mut backends: Vec<(Db, Cleanup, &'static str)> = Vec::new();
    let (db, c) = sqlite().await;
    backends.push((db, c, "sqlite"));
    if let Some(url) = pg_url() {
        let (db, c) = postgres(&url).await;
        backends.push((db, c, "postgres"));
    }
    for (db, c, label) in backends {
        let env = Env::new(db.clone(), label);
        let outcome = tokio::spawn(body(env)).await;
        cleanup(db, c).await;
        if let Err(err) = outcome {
            eprintln!("test body failed on {label}");
            match err.try_into_panic() {
                Ok(panic) => std::panic::resume_unwind(panic),
                Err(err) => panic!("test body on {label}: {err}"),
            }
        }
    }
}

/// Runs `body` with two fresh databases of the same backend (a run to
/// compare with a clean one), on SQLite and then PostgreSQL when set.
#[allow(dead_code)]
pub async fn on_each_backend_twice<F, Fut>(body: F)
where
    F: Fn(Env, Env) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let mut backends: Vec<(Db, Cleanup, Db, Cleanup, &'static str)> = Vec::new();
    let (a, ca) = sqlite().await;
    let (b, cb) = sqlite().await;
    backends.push((a, ca, b, cb, "sqlite"));
    if let Some(url) = pg_url() {
        let (a, ca) = postgres(&url).await;
        let (b, cb) = postgres(&url).await;
        backends.push((a, ca, b, cb, "postgres"));
    }
    for (a, ca, b, cb, label) in backends {
        let outcome =
            tokio::spawn(body(Env::new(a.clone(), label), Env::new(b.clone(), label))).await;
        cleanup(a, ca).await;
        cleanup(b, cb).await;
        if let Err(err) = outcome {
            eprintln!("test body failed on {label}");
            match err.try_into_panic() {
                Ok(panic) => std::panic::resume_unwind(panic),
                Err(err) => panic!("test body on {label}: {err}"),
            }
        }
    }
}

#[test]
fn replaces_the_database_name() {
    assert_eq!(
        with_database("postgres://postgres@127.0.0.1:5432/postgres", "x"),
        "postgres://postgres@127.0.0.1:5432/x"
    );
    assert_eq!(
        with_database("postgres://u:p@h/db?sslmode=disable", "y"),
        "postgres://u:p@h/y?sslmode=disable"
    );
    assert_eq!(
        with_database("postgres://h:5432", "z"),
        "postgres://h:5432/z"
    );
}
