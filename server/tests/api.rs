//! Server-function tests: the real router on port 0 over a fresh demo
//! database, called over HTTP the way the browser calls it (form-encoded
//! arguments, JSON answers, the session cookie).

use domain::view::{InboxTask, ProductView};
use puhui_server::{router, WebConfig};
use serde_json::Value;
use service::db::{Clock, Db, SystemClock};
use service::demo::{DemoConfig, DEMO_PASSWORD};
use service::pfi::{Field, PfiKeys};
use service::sms::DevSmsProvider;
use service::{ServiceConfig, Services};
use std::sync::{Arc, Mutex, OnceLock};

/// Every log line of this binary's servers, at debug level: the check that
/// no whole phone or ID number reaches the log reads it.
fn captured_logs() -> Arc<Mutex<Vec<u8>>> {
    static LOGS: OnceLock<Arc<Mutex<Vec<u8>>>> = OnceLock::new();
    LOGS.get_or_init(|| {
        let buf = Arc::new(Mutex::new(Vec::new()));
        let w = buf.clone();
        let _ = tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::new(
                "debug,hyper=info,hyper_util=info,h2=info,reqwest=info",
            ))
            .with_ansi(false)
            .with_writer(move || LogWriter(w.clone()))
            .try_init();
        buf
    })
    .clone()
}

struct LogWriter(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for LogWriter {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        if let Ok(mut v) = self.0.lock() {
            v.extend_from_slice(b);
        }
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

struct TestApp {
    base: String,
    db: Db,
    services: Services,
    _dir: tempfile::TempDir,
}

async fn spawn_app() -> TestApp {
    spawn_app_with(WebConfig::new(false), Arc::new(SystemClock)).await
}

async fn spawn_app_with(web: WebConfig, clock: Arc<dyn Clock>) -> TestApp {
    captured_logs();
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite://{}/puhui.db?mode=rwc", dir.path().display());
    let db = Db::connect(&url).await.expect("connect");
    db.migrate().await.expect("migrate");
    let today = domain::date::Date::from_epoch_millis(
        SystemClock.now_millis(),
        domain::date::CHINA_UTC_OFFSET_MINUTES,
    );
    let keys = PfiKeys::development();
    service::demo::seed_demo(
        &db,
        &service::ServiceConfig::default(),
        &DemoConfig {
            seed: 7,
            customers: 40,
            today,
            portfolio: false,
        },
    )
    .await
    .expect("demo");
    let sms = Arc::new(DevSmsProvider::new(db.clone(), clock.clone(), keys));
    let services = Services::new(db.clone(), sms, clock, ServiceConfig::default());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let options = puhui_server::leptos_options(Some(addr));
    let app = router(services.clone(), options, &web);
    tokio::spawn(async move {
        axum::serve(
            listener,
            app.into_make_service_with_connect_info::<std::net::SocketAddr>(),
        )
        .await
    });
    TestApp {
        base: format!("http://{addr}"),
        db,
        services,
        _dir: dir,
    }
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .build()
        .expect("client")
}

/// Calls a server function; Ok(json) on success, Err(error code) on failure.
async fn call(
    c: &reqwest::Client,
    app: &TestApp,
    name: &str,
    form: &[(&str, &str)],
) -> Result<Value, String> {
    let response = c
        .post(format!("{}/api/fn/{name}", app.base))
        .header("accept", "application/json")
        .form(form)
        .send()
        .await
        .expect("request");
    let ok = response.status().is_success();
    let body: Value = response.json().await.unwrap_or(Value::Null);
    if ok {
        Ok(body)
    } else {
        Err(body["code"].as_str().unwrap_or("?").to_string())
    }
}

async fn staff(app: &TestApp, username: &str) -> reqwest::Client {
    let c = client();
    call(
        &c,
        app,
        "staff_login",
        &[("username", username), ("password", DEMO_PASSWORD)],
    )
    .await
    .expect("staff login");
    c
}

async fn latest_code(db: &Db, phone: &str) -> String {
    let keys = PfiKeys::development();
    let bodies: Vec<(String,)> = sqlx::query_as(
        "SELECT body_sealed FROM sms_outbox WHERE status = 'sent' AND phone_idx = $1 \
         ORDER BY created_at DESC, id DESC",
    )
    .bind(keys.index(Field::Phone, phone))
    .fetch_all(&db.pool)
    .await
    .expect("outbox");
    let body = keys
        .open(Field::SmsBody, &bodies.first().expect("a message").0)
        .expect("opens");
    body.chars()
        .collect::<Vec<_>>()
        .windows(6)
        .map(|w| w.iter().collect::<String>())
        .find(|w| w.chars().all(|c| c.is_ascii_digit()))
        .expect("a six-digit code")
}

#[tokio::test]
async fn server_functions_refuse_callers_without_a_session() {
    let app = spawn_app().await;
    let c = client();
    assert_eq!(
        call(&c, &app, "tasks", &[]).await,
        Err("unauthenticated".into())
    );
    assert_eq!(
        call(&c, &app, "my_overview", &[]).await,
        Err("unauthenticated".into())
    );
    assert_eq!(call(&c, &app, "current_staff", &[]).await, Ok(Value::Null));
    // The HTTP status says what kind of answer it is: 401 without a session,
    // 200 where being signed out is a fine answer (the public catalogue).
    for (name, status) in [("tasks", 401), ("current_customer", 200), ("products", 200)] {
        let r = c
            .post(format!("{}/api/fn/{name}", app.base))
            .header("accept", "application/json")
            .send()
            .await
            .expect("request");
        assert_eq!(r.status().as_u16(), status, "{name}");
    }
}

/// CSRF: a state-changing request a browser makes from another site is
/// refused, sign-in included; one from our own pages goes through.
#[tokio::test]
async fn cross_site_requests_are_refused() {
    let app = spawn_app().await;
    let host = app.base.trim_start_matches("http://").to_string();
    let c = client();
    let login = |headers: Vec<(&'static str, String)>| {
        let mut r = c
            .post(format!("{}/api/fn/staff_login", app.base))
            .header("accept", "application/json")
            .form(&[("username", "officer1"), ("password", DEMO_PASSWORD)]);
        for (k, v) in headers {
            r = r.header(k, v);
        }
        r.send()
    };
    for refused in [
        vec![("sec-fetch-site", "cross-site".to_string())],
        vec![("sec-fetch-site", "same-site".to_string())],
        vec![("origin", "http://evil.example".to_string())],
        vec![("origin", "null".to_string())],
    ] {
        let r = login(refused.clone()).await.expect("request");
        assert_eq!(r.status(), 403, "{refused:?}");
        let body: Value = r.json().await.expect("json");
        assert_eq!(body["code"], "forbidden");
    }
    for allowed in [
        vec![("sec-fetch-site", "same-origin".to_string())],
        vec![("origin", format!("http://{host}"))],
    ] {
        let r = login(allowed.clone()).await.expect("request");
        assert_eq!(r.status(), 200, "{allowed:?}");
    }
}

/// Pages and server-function answers carry personal data: no cache keeps
/// them; no other site frames them.
#[tokio::test]
async fn responses_with_personal_data_are_never_cached() {
    let app = spawn_app().await;
    let c = staff(&app, "officer1").await;
    let page = c
        .get(format!("{}/staff", app.base))
        .send()
        .await
        .expect("page");
    let answer = c
        .post(format!("{}/api/fn/tasks", app.base))
        .header("accept", "application/json")
        .send()
        .await
        .expect("server function");
    for r in [&page, &answer] {
        assert_eq!(r.status(), 200);
        assert_eq!(r.headers()["cache-control"], "private, no-store");
        let csp = r.headers()["content-security-policy"].to_str().unwrap();
        assert!(csp.contains("frame-ancestors 'self'"), "{csp}");
        assert_eq!(r.headers()["x-content-type-options"], "nosniff");
    }
}

/// Content security policy: a page runs only the scripts that carry its
/// one-time nonce. Every `<script>` of a rendered page (the hydration script,
/// the streamed resources, the dashboard's chart loader) carries it, and no
/// two loads share one.
#[tokio::test]
async fn a_page_runs_only_the_scripts_that_carry_its_nonce() {
    let app = spawn_app().await;
    let head = staff(&app, "head1").await;
    let mut seen = Vec::new();
    for (c, path) in [
        (client(), "/"),
        (client(), "/"),
        (head.clone(), "/staff/dashboard"),
        (head, "/staff"),
    ] {
        let r = c
            .get(format!("{}{path}", app.base))
            .send()
            .await
            .expect("page");
        let csp = r.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .to_string();
        let body = r.text().await.expect("body");
        let nonce = csp
            .split("'nonce-")
            .nth(1)
            .and_then(|rest| rest.split('\'').next())
            .unwrap_or_else(|| panic!("{path}: no nonce in {csp}"))
            .to_string();
        assert!(nonce.len() >= 22, "{nonce}");
        assert!(csp.contains("'strict-dynamic'") && csp.contains("frame-ancestors 'self'"));
        assert!(
            !csp.replace("'wasm-unsafe-eval'", "")
                .contains("unsafe-eval"),
            "{csp}"
        );
        let scripts: Vec<&str> = body
            .split("<script")
            .skip(1)
            .map(|rest| rest.split('>').next().unwrap_or(""))
            .collect();
        assert!(!scripts.is_empty(), "{path}: no script at all");
        for tag in &scripts {
            assert!(
                tag.contains(&format!("nonce=\"{nonce}\"")),
                "{path}: <script{tag}>"
            );
        }
        if path == "/staff/dashboard" {
            assert!(scripts.iter().any(|t| t.contains("/charts.js")), "{path}");
        }
        seen.push(nonce);
    }
    let distinct: std::collections::BTreeSet<_> = seen.iter().collect();
    assert_eq!(
        distinct.len(),
        seen.len(),
        "a nonce was used twice: {seen:?}"
    );
}

/// `/livez` renders a page through the reactive runtime, unlike `/healthz`.
#[tokio::test]
async fn the_liveness_probe_renders_a_page() {
    let app = spawn_app().await;
    let r = reqwest::get(format!("{}/livez", app.base))
        .await
        .expect("request");
    let status = r.status();
    assert_eq!(
        (status.as_u16(), r.text().await.expect("body").as_str()),
        (200, "ok")
    );
}

/// The review's open redirect: `/lang/en?next=/\evil.example` sent the
/// browser to another host. Only local paths are returned to.
#[tokio::test]
async fn switching_language_never_redirects_off_site() {
    let app = spawn_app().await;
    let c = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    for (next, expected) in [
        ("/me", "/me"),
        ("/\\evil.example", "/"),
        ("//evil.example", "/"),
        ("/\\/evil.example", "/"),
        ("https://evil.example/", "/"),
    ] {
        let r = c
            .get(format!("{}/lang/en", app.base))
            .query(&[("next", next)])
            .send()
            .await
            .expect("request");
        assert!(r.status().is_redirection(), "{next}: {}", r.status());
        let location = r.headers()["location"].to_str().expect("location");
        assert_eq!(location, expected, "{next}");
    }
}

#[tokio::test]
async fn wrong_password_is_refused_and_the_fifth_failure_locks_the_account() {
    let app = spawn_app().await;
    let c = client();
    let attempt = |password: &'static str| {
        let c = c.clone();
        let app = &app;
        async move {
            call(
                &c,
                app,
                "staff_login",
                &[("username", "officer2"), ("password", password)],
            )
            .await
        }
    };
    for _ in 0..4 {
        assert_eq!(attempt("nope").await, Err("invalid_credentials".into()));
    }
    assert_eq!(
        attempt("nope").await,
        Err("account_locked".into()),
        "the fifth failure locks"
    );
    assert_eq!(
        attempt(DEMO_PASSWORD).await,
        Err("account_locked".into()),
        "even the right password waits out the lock"
    );
    // Each attempt is in the audit log with the address it came from.
    let ips: Vec<(Option<String>,)> = sqlx::query_as(
        "SELECT after_json FROM audit_log \
         WHERE action IN ('staff.login_failed', 'staff.login_while_locked') ORDER BY seq",
    )
    .fetch_all(&app.db.pool)
    .await
    .expect("audit");
    assert_eq!(ips.len(), 6);
    assert!(ips.iter().all(|(a,)| a
        .as_deref()
        .unwrap_or_default()
        .contains("\"ip\":\"127.0.0.1\"")));
}

#[tokio::test]
async fn the_thin_loan_end_to_end_over_http() {
    let app = spawn_app().await;

    // The customer signs in with an SMS code and applies.
    let customer = client();
    call(&customer, &app, "send_code", &[("phone", "13800000001")])
        .await
        .expect("code sent");
    let code = latest_code(&app.db, "13800000001").await;
    let wrong = if code == "000000" { "111111" } else { "000000" };
    let r = call(
        &customer,
        &app,
        "customer_login",
        &[("phone", "13800000001"), ("code", wrong)],
    )
    .await;
    assert_eq!(r, Err("code_invalid".into()));
    call(
        &customer,
        &app,
        "customer_login",
        &[("phone", "13800000001"), ("code", &code)],
    )
    .await
    .expect("customer login");
    let products: Vec<ProductView> = serde_json::from_value(
        call(&customer, &app, "products", &[])
            .await
            .expect("products"),
    )
    .expect("product list");
    let product = &products[0];
    let too_much = (product.max_amount.get() / 100 + 1).to_string();
    let apply = |amount: String, key: &'static str| {
        let customer = customer.clone();
        let app = &app;
        let product_id = product.id.clone();
        async move {
            call(
                &customer,
                app,
                "submit_application",
                &[
                    ("product_id", product_id.as_str()),
                    ("amount", amount.as_str()),
                    ("term_months", "12"),
                    ("purpose", "farming"),
                    ("consent", "on"),
                    ("idempotency_key", key),
                ],
            )
            .await
        }
    };
    assert_eq!(apply(too_much, "k-1").await, Err("amount_above_max".into()));
    let first = apply("50000".into(), "k-2").await.expect("submitted");
    let again = apply("50000".into(), "k-2").await.expect("double click");
    assert_eq!(first, again, "a double click posts once");
    let application_id = first.as_str().expect("id").to_string();

    // The officer sees it and records the investigation.
    let officer = staff(&app, "officer1").await;
    let tasks: Vec<InboxTask> =
        serde_json::from_value(call(&officer, &app, "tasks", &[]).await.expect("tasks"))
            .expect("task list");
    assert!(tasks.iter().any(|t| t.task.application_id == application_id
        && t.task.node_kind == domain::flow::NodeType::Investigation));
    let view = call(
        &officer,
        &app,
        "staff_application",
        &[("id", &application_id)],
    )
    .await
    .expect("application");
    let version = view["version"].as_i64().expect("version").to_string();
    call(
        &officer,
        &app,
        "record_investigation",
        &[
            ("id", application_id.as_str()),
            ("version", version.as_str()),
            ("form[visited_on]", "2026-11-20"),
            ("form[household_income]", "120000"),
            ("form[household_assets]", "300000"),
            ("form[household_debts]", "0"),
            ("form[findings]", "收入稳定"),
            ("form[recommendation]", "approve"),
            ("form[recommended_amount]", "50000"),
        ],
    )
    .await
    .expect("investigation");

    // The officer may not approve; the approver may, once.
    let view = call(
        &officer,
        &app,
        "staff_application",
        &[("id", &application_id)],
    )
    .await
    .expect("application");
    let version = view["version"].as_i64().expect("version").to_string();
    let decide = |c: reqwest::Client, version: String| {
        let app = &app;
        let id = application_id.clone();
        async move {
            call(
                &c,
                app,
                "decide",
                &[
                    ("id", id.as_str()),
                    ("version", version.as_str()),
                    ("decision", "approve"),
                    ("comment", "同意"),
                ],
            )
            .await
        }
    };
    assert_eq!(
        decide(officer.clone(), version.clone()).await,
        Err("forbidden".into())
    );
    // The flow drew the approver at random; the file names them.
    let holder = view["tasks"]
        .as_array()
        .expect("tasks")
        .iter()
        .find(|t| t["node_kind"] == "approval" && t["status"] == "open")
        .and_then(|t| t["assignee_name"].as_str())
        .expect("an approval task")
        .to_string();
    let username = match holder.as_str() {
        "赵立新" => "approver1",
        "钱海燕" => "approver2",
        other => panic!("unexpected approver {other}"),
    };
    let approver = staff(&app, username).await;
    let granted = decide(approver.clone(), version.clone())
        .await
        .expect("approved");
    assert!(
        granted.is_null(),
        "the loan is booked when the money goes out"
    );
    assert_eq!(
        decide(approver.clone(), version).await,
        Err("application_state_changed".into()),
        "a second click changes nothing"
    );

    // The customer signs the contract drawn up at approval (the phone's
    // signing page makes these calls; here straight to the service).
    let (customer_id,): (String,) =
        sqlx::query_as("SELECT customer_id FROM applications WHERE id = $1")
            .bind(&application_id)
            .fetch_one(&app.db.pool)
            .await
            .expect("customer");
    let li = app
        .services
        .auth()
        .customer_actor(&customer_id)
        .await
        .expect("actor");
    let contracts = app.services.contracts();
    let contract = contracts.my_contracts(&li).await.expect("contracts")[0].clone();
    contracts
        .send_signing_code(&li, &contract.id)
        .await
        .expect("signing code");
    let keys = PfiKeys::development();
    let (sealed,): (String,) = sqlx::query_as(
        "SELECT body_sealed FROM sms_outbox WHERE phone_idx = $1 ORDER BY created_at DESC, id DESC",
    )
    .bind(keys.index(Field::Phone, "13800000001"))
    .fetch_one(&app.db.pool)
    .await
    .expect("message");
    let body = keys.open(Field::SmsBody, &sealed).expect("opens");
    let code: String = body
        .split("验证码")
        .nth(1)
        .expect("a code")
        .chars()
        .filter(char::is_ascii_digit)
        .take(6)
        .collect();
    contracts
        .sign_contract(&li, &contract.id, &code, b"png")
        .await
        .expect("signed");

    // The disbursement desk registers the account and pays out, once.
    let desk = staff(&app, "disburser1").await;
    assert_eq!(
        call(
            &desk,
            &app,
            "disburse",
            &[("id", &application_id), ("key", "http-1")]
        )
        .await,
        Err("account_not_verified".into())
    );
    call(
        &desk,
        &app,
        "bind_account",
        &[
            ("id", application_id.as_str()),
            ("account_no", "6217 0000 1234 5678 907"),
            ("bank_name", "县农商银行"),
        ],
    )
    .await
    .expect("account bound");
    let loan = call(
        &desk,
        &app,
        "disburse",
        &[("id", &application_id), ("key", "http-2")],
    )
    .await
    .expect("paid out");
    let loan_id = loan.as_str().expect("loan id").to_string();
    assert_eq!(
        call(
            &desk,
            &app,
            "disburse",
            &[("id", &application_id), ("key", "http-3")]
        )
        .await,
        Err("already_disbursed".into())
    );

    // The customer sees the schedule; principal parts add up to the amount.
    let detail = call(&customer, &app, "my_loan", &[("id", &loan_id)])
        .await
        .expect("loan");
    let schedule = detail["schedule"].as_array().expect("schedule");
    assert_eq!(schedule.len(), 12);
    let principal: i64 = schedule
        .iter()
        .map(|i| i["instalment"]["principal"].as_i64().expect("fen"))
        .sum();
    assert_eq!(principal, 5_000_000);

    // Another customer's loan is not theirs to see.
    let stranger = client();
    call(&stranger, &app, "send_code", &[("phone", "13800000002")])
        .await
        .expect("code");
    let code = latest_code(&app.db, "13800000002").await;
    call(
        &stranger,
        &app,
        "customer_login",
        &[("phone", "13800000002"), ("code", &code)],
    )
    .await
    .expect("login");
    assert_eq!(
        call(&stranger, &app, "my_loan", &[("id", &loan_id)]).await,
        Err("not_found".into())
    );

    // Nothing above wrote a whole phone, ID or card number to the log.
    let keys = PfiKeys::development();
    let people: Vec<(String, String)> =
        sqlx::query_as("SELECT id_number_sealed, phone_sealed FROM customers")
            .fetch_all(&app.db.pool)
            .await
            .expect("customers");
    let logs = String::from_utf8_lossy(&captured_logs().lock().expect("logs")).to_string();
    assert!(logs.contains("bureau inquiry"), "the log was not captured");
    for (id_number, phone) in &people {
        for (field, sealed) in [(Field::IdNumber, id_number), (Field::Phone, phone)] {
            let value = keys.open(field, sealed).expect("opens");
            if let Some(at) = logs.find(&value) {
                let line = logs[..at].rsplit('\n').next().unwrap_or("");
                panic!("a whole {field:?} in the log: {line}{value}…");
            }
        }
    }
    // Nor anything shaped like a bank card number: a run of 16 to 19 digits
    // whose Luhn check holds (cards are not bound yet: this keeps it so when
    // they are).
    let luhn = |digits: &[u8]| {
        let sum: u32 = digits
            .iter()
            .rev()
            .enumerate()
            .map(|(i, d)| {
                let d = u32::from(d - b'0');
                if i % 2 == 1 {
                    if d * 2 > 9 {
                        d * 2 - 9
                    } else {
                        d * 2
                    }
                } else {
                    d
                }
            })
            .sum();
        sum.is_multiple_of(10)
    };
    for run in logs.as_bytes().split(|b| !b.is_ascii_digit()) {
        assert!(
            !((16..=19).contains(&run.len()) && luhn(run)),
            "a card-shaped number in the log: {}",
            String::from_utf8_lossy(run)
        );
    }
}

/// A session slides: each request starts the idle wait again, so someone
/// at work stays signed in; after the wait without a request it is over.
#[tokio::test]
async fn an_idle_session_ends_and_an_active_one_goes_on() {
    let web = WebConfig {
        idle_timeout: time::Duration::seconds(3),
        ..WebConfig::new(false)
    };
    let app = spawn_app_with(web, Arc::new(SystemClock)).await;
    let officer = staff(&app, "officer1").await;
    // Active for six seconds, twice the idle timeout: still signed in.
    for _ in 0..6 {
        tokio::time::sleep(std::time::Duration::from_secs(1)).await;
        assert!(
            call(&officer, &app, "tasks", &[]).await.is_ok(),
            "an active session goes on"
        );
    }
    // Then four seconds without a request.
    tokio::time::sleep(std::time::Duration::from_secs(4)).await;
    assert_eq!(
        call(&officer, &app, "tasks", &[]).await,
        Err("unauthenticated".into())
    );
}

/// However active, a staff session ends ten hours after signing in.
#[tokio::test]
async fn a_staff_session_ends_ten_hours_after_sign_in() {
    let clock = Arc::new(service::FixedClock::new(SystemClock.now_millis()));
    let app = spawn_app_with(WebConfig::new(false), clock.clone()).await;
    let officer = staff(&app, "officer1").await;
    clock.advance_secs(9 * 3600 + 59 * 60);
    assert!(
        call(&officer, &app, "tasks", &[]).await.is_ok(),
        "9 h 59 min"
    );
    clock.advance_secs(2 * 60);
    assert_eq!(
        call(&officer, &app, "tasks", &[]).await,
        Err("unauthenticated".into()),
        "10 h 01 min"
    );
}

/// An officer records a customer's signed authorisation on the portrait; a
/// form left without a date was signed today; a bad date is refused in words.
#[tokio::test]
async fn an_officer_records_a_bureau_authorisation() {
    let app = spawn_app().await;
    let officer = staff(&app, "officer1").await;
    let (customer,): (String,) = sqlx::query_as(
        "SELECT c.id FROM customers c JOIN organisations b ON b.id = c.branch_id \
         WHERE b.code = 'BJ01-01' ORDER BY c.id LIMIT 1",
    )
    .fetch_one(&app.db.pool)
    .await
    .expect("a customer of the branch");
    assert_eq!(
        call(
            &officer,
            &app,
            "record_authorisation",
            &[
                ("customer_id", &customer),
                ("evidence", "SQ-1"),
                ("granted_on", "2026-13-01")
            ],
        )
        .await,
        Err("authorisation_date_invalid".into())
    );
    call(
        &officer,
        &app,
        "record_authorisation",
        &[
            ("customer_id", &customer),
            ("evidence", "SQ-API-0001"),
            ("granted_on", ""),
        ],
    )
    .await
    .expect("recorded");
    let portrait = call(&officer, &app, "portrait", &[("id", &customer)])
        .await
        .expect("portrait");
    let today = domain::date::Date::from_epoch_millis(
        SystemClock.now_millis(),
        domain::date::CHINA_UTC_OFFSET_MINUTES,
    );
    // The newest form lasts longest, so the portrait shows it.
    let auth = &portrait["bureau_authorisation"];
    assert_eq!(auth["evidence"], "SQ-API-0001", "{portrait}");
    assert_eq!(auth["granted_on"], serde_json::json!(today), "{portrait}");
}

/// The providers' notice route: unsigned, badly signed, stale and oversized
/// notices are refused before anything is read or done; a signed one for an
/// order we never made is answered "unknown" and changes nothing.
#[tokio::test]
async fn provider_notices_must_be_signed_and_fresh() {
    use service::servicing::payouts::notice_signature;
    let app = spawn_app().await;
    let http = client();
    let key = app.services.config.notice_key.as_bytes().to_vec();
    let body =
        br#"{"notice_id":"n-1","kind":"payout","reference":"no-such-order","outcome":"paid"}"#;
    let now = SystemClock.now_millis() / 1000;
    let post = |provider: &str, ts: i64, sig: String, body: Vec<u8>| {
        let url = format!("{}/notify/{provider}", app.base);
        let http = http.clone();
        async move {
            http.post(url)
                .header("x-puhui-timestamp", ts.to_string())
                .header("x-puhui-signature", sig)
                .header("content-type", "application/json")
                .body(body)
                .send()
                .await
                .expect("sent")
                .status()
                .as_u16()
        }
    };
    let good = notice_signature(&key, now, body);
    assert_eq!(post("dev", now, good.clone(), body.to_vec()).await, 404);
    assert_eq!(post("dev", now, "00".repeat(32), body.to_vec()).await, 401);
    assert_eq!(post("dev", now + 1, good.clone(), body.to_vec()).await, 401);
    let stale = now - 3600;
    assert_eq!(
        post(
            "dev",
            stale,
            notice_signature(&key, stale, body),
            body.to_vec()
        )
        .await,
        401
    );
    assert_eq!(post("acme", now, good, body.to_vec()).await, 404);
    let big = vec![b' '; 64 * 1024];
    assert_eq!(
        post("dev", now, notice_signature(&key, now, &big), big).await,
        413
    );
    let (notices,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM provider_notices")
        .fetch_one(&app.db.pool)
        .await
        .expect("count");
    assert_eq!(notices, 0);
}
