//! The electronic contract's pages over HTTP, the real router on port 0 over
//! a fresh demo database: staff draw the contract up, the borrower reads it
//! on its page, gets a code and signs with a drawn signature (refused when
//! the image is too large, not a PNG or missing), downloads the sealed file,
//! anyone checks it on the public verification page, and a template's
//! author cannot publish it.

use puhui_server::{router, WebConfig};
use serde_json::{json, Value};
use service::db::{Clock, Db, SystemClock};
use service::demo::{DemoConfig, DEMO_PASSWORD};
use service::pfi::{Field, PfiKeys};
use service::sms::DevSmsProvider;
use service::{ServiceConfig, Services};
use std::sync::Arc;

/// 王建国: a borrower of the demo bank with a booked loan.
const WANG: &str = "13800000002";

struct TestApp {
    base: String,
    db: Db,
    _dir: tempfile::TempDir,
}

async fn spawn_app() -> TestApp {
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite://{}/puhui.db?mode=rwc", dir.path().display());
    let db = Db::connect(&url).await.expect("connect");
    db.migrate().await.expect("migrate");
    let today = domain::date::Date::from_epoch_millis(
        SystemClock.now_millis(),
        domain::date::CHINA_UTC_OFFSET_MINUTES,
    );
    service::demo::seed_demo(
        &db,
        &ServiceConfig::default(),
        &DemoConfig {
            seed: 7,
            customers: 40,
            today,
            portfolio: false,
        },
    )
    .await
    .expect("demo");
    let sms = Arc::new(DevSmsProvider::new(
        db.clone(),
        clock.clone(),
        PfiKeys::development(),
    ));
    let services = Services::new(db.clone(), sms, clock, ServiceConfig::default());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let app = router(
        services,
        puhui_server::leptos_options(Some(addr)),
        &WebConfig::new(false),
    );
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
        _dir: dir,
    }
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .build()
        .expect("client")
}

fn answer(ok: bool, body: Value) -> Result<Value, String> {
    if ok {
        Ok(body)
    } else {
        Err(body["code"].as_str().unwrap_or("?").to_string())
    }
}

/// A server function called with form-encoded arguments.
async fn call(
    c: &reqwest::Client,
    app: &TestApp,
    name: &str,
    form: &[(&str, &str)],
) -> Result<Value, String> {
    let r = c
        .post(format!("{}/api/fn/{name}", app.base))
        .header("accept", "application/json")
        .form(form)
        .send()
        .await
        .expect("request");
    let ok = r.status().is_success();
    answer(ok, r.json().await.unwrap_or(Value::Null))
}

/// A server function that takes its arguments as JSON.
async fn call_json(
    c: &reqwest::Client,
    app: &TestApp,
    name: &str,
    args: Value,
) -> Result<Value, String> {
    let r = c
        .post(format!("{}/api/fn/{name}", app.base))
        .header("accept", "application/json")
        .json(&args)
        .send()
        .await
        .expect("request");
    let ok = r.status().is_success();
    answer(ok, r.json().await.unwrap_or(Value::Null))
}

async fn get(c: &reqwest::Client, app: &TestApp, path: &str) -> (u16, Vec<u8>) {
    let r = c
        .get(format!("{}{path}", app.base))
        .send()
        .await
        .expect("get");
    let status = r.status().as_u16();
    (status, r.bytes().await.expect("body").to_vec())
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

/// The code of the last message to `phone`: the digits after 验证码 (the
/// signing message also holds the contract number).
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
    let after = body.split("验证码").nth(1).expect("a code");
    after.chars().filter(char::is_ascii_digit).take(6).collect()
}

async fn customer(app: &TestApp, phone: &str) -> reqwest::Client {
    let c = client();
    call(&c, app, "send_code", &[("phone", phone)])
        .await
        .expect("code sent");
    let code = latest_code(&app.db, phone).await;
    call(
        &c,
        app,
        "customer_login",
        &[("phone", phone), ("code", &code)],
    )
    .await
    .expect("customer login");
    c
}

/// Standard base64 (the test has no crate for it).
fn base64(bytes: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(A[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

async fn scalar(db: &Db, sql: &str) -> String {
    let (v,): (String,) = sqlx::query_as(sqlx::AssertSqlSafe(sql.to_string()))
        .fetch_one(&db.pool)
        .await
        .expect("scalar");
    v
}

#[tokio::test]
async fn a_contract_is_signed_on_the_phone_downloaded_and_verified() {
    let app = spawn_app().await;
    let keys = PfiKeys::development();
    let application = scalar(
        &app.db,
        &format!(
            "SELECT l.application_id FROM loans l JOIN customers c ON c.id = l.customer_id \
             WHERE c.phone_idx = '{}' ORDER BY l.created_at LIMIT 1",
            keys.index(Field::Phone, WANG)
        ),
    )
    .await;
    let officer_name = scalar(
        &app.db,
        &format!(
            "SELECT u.username FROM applications a JOIN staff_users u ON u.id = a.officer_id \
             WHERE a.id = '{application}'"
        ),
    )
    .await;
    let officer = staff(&app, &officer_name).await;

    // Staff: nothing drawn up yet, and the officer may draw it up.
    let panel = call(
        &officer,
        &app,
        "application_contract",
        &[("application_id", &application)],
    )
    .await
    .expect("panel");
    assert_eq!(panel["contract"], Value::Null);
    assert_eq!(panel["can_generate"], Value::Bool(true));
    let drawn = call(
        &officer,
        &app,
        "generate_contract",
        &[("application_id", &application)],
    )
    .await
    .expect("drawn up");
    let id = drawn["id"].as_str().expect("id").to_string();
    let no = drawn["contract_no"].as_str().expect("no").to_string();

    // The borrower's page shows the contract, its terms and the pad.
    let wang = customer(&app, WANG).await;
    let (status, page) = get(&wang, &app, &format!("/me/contracts/{id}")).await;
    let page = String::from_utf8(page).expect("utf-8");
    assert_eq!(status, 200);
    for needle in [no.as_str(), "主要条款", "合同全文", "获取验证码", "<canvas"] {
        assert!(page.contains(needle), "the page lacks {needle}");
    }
    let listed = call(&wang, &app, "my_contracts", &[]).await.expect("list");
    assert_eq!(listed[0]["status"], "generated");
    // No file before it is signed; none for someone else.
    let (status, body) = get(&wang, &app, &format!("/me/contracts/{id}/file")).await;
    assert_eq!(status, 409);
    assert_eq!(String::from_utf8_lossy(&body), "合同签署后才能下载合同文件");
    let (status, _) = get(&client(), &app, &format!("/me/contracts/{id}/file")).await;
    assert_eq!(status, 401);

    // Signing: the code, then the image checked before the service sees it.
    call(&wang, &app, "send_contract_code", &[("id", &id)])
        .await
        .expect("code sent");
    let code = latest_code(&app.db, WANG).await;
    let sign = |png: String| {
        let (wang, app, id, code) = (&wang, &app, id.clone(), code.clone());
        async move {
            call_json(
                wang,
                app,
                "sign_contract",
                json!({ "id": id, "code": code, "signature_png_base64": png }),
            )
            .await
        }
    };
    assert_eq!(
        sign(String::new()).await,
        Err("contract_signature_missing".into())
    );
    assert_eq!(
        sign("A".repeat(300 * 1024)).await,
        Err("contract_signature_too_large".into())
    );
    assert_eq!(
        sign(base64(b"GIF89a not a png")).await,
        Err("contract_signature_not_png".into())
    );
    let png = base64(b"\x89PNG\r\n\x1a\n a drawn name");
    let signed = sign(png.clone()).await.expect("signed");
    assert_eq!(signed["status"], "signed");
    // A second tap returns the same signed contract.
    let again = sign(png).await.expect("signed once");
    assert_eq!(again["seal"], signed["seal"]);

    // The sealed file, for the borrower and for the officer, the same bytes.
    let (status, file) = get(&wang, &app, &format!("/me/contracts/{id}/file")).await;
    assert_eq!(status, 200);
    let (status, staff_file) = get(&officer, &app, &format!("/staff/contracts/{id}/file")).await;
    assert_eq!(status, 200);
    assert_eq!(file, staff_file);
    let stranger = customer(&app, "13800000001").await;
    let (status, _) = get(&stranger, &app, &format!("/me/contracts/{id}/file")).await;
    assert_eq!(status, 404);
    let (status, print) = get(&wang, &app, &format!("/me/contracts/{id}/print")).await;
    assert_eq!(status, 200);
    assert!(String::from_utf8_lossy(&print).contains(&no));

    // Anyone checks the file, without signing in; a changed byte is caught.
    let anyone = client();
    let (status, _) = get(&anyone, &app, "/verify").await;
    assert_eq!(status, 200);
    let v = call_json(
        &anyone,
        &app,
        "verify_contract",
        json!({ "content_base64": base64(&file) }),
    )
    .await
    .expect("checked");
    assert_eq!(v["valid"], Value::Bool(true));
    assert_eq!(v["contract_no"], no.as_str());
    let mut changed = file.clone();
    let at = changed
        .windows(3)
        .position(|w| w == "元".as_bytes())
        .expect("an amount in yuan");
    changed[at..at + 3].copy_from_slice("圆".as_bytes());
    let v = call_json(
        &anyone,
        &app,
        "verify_contract",
        json!({ "content_base64": base64(&changed) }),
    )
    .await
    .expect("checked");
    assert_eq!(v["valid"], Value::Bool(false));
    assert_eq!(v["reason"], "Changed");
    assert_eq!(
        call_json(
            &anyone,
            &app,
            "verify_contract",
            // Over the 1 MB cap, under the server's 2 MB limit of a request.
            json!({ "content_base64": "A".repeat(1_500_000) }),
        )
        .await,
        Err("contract_file_too_large".into())
    );
}

#[tokio::test]
async fn a_template_is_not_published_by_its_author() {
    let app = spawn_app().await;
    let maker = staff(&app, "product1").await;
    let (status, _) = get(&maker, &app, "/staff/contract-templates").await;
    assert_eq!(status, 200);
    let draft = call_json(
        &maker,
        &app,
        "save_contract_template",
        json!({ "draft": {
            "id": null,
            "product_id": null,
            "kind": "loan",
            "body": domain::contract::default_body(domain::contract::ContractKind::Loan),
            "expected_row_version": null,
        }}),
    )
    .await
    .expect("saved");
    let id = draft["id"].as_str().expect("id").to_string();
    // A broken body is refused with its place.
    let broken = call_json(
        &maker,
        &app,
        "save_contract_template",
        json!({ "draft": {
            "id": id,
            "product_id": null,
            "kind": "loan",
            "body": "{{nope}}",
            "expected_row_version": null,
        }}),
    )
    .await;
    assert_eq!(broken, Err("contract_template_unknown_placeholder".into()));
    call(
        &maker,
        &app,
        "submit_contract_template",
        &[("id", &id), ("row_version", "0")],
    )
    .await
    .expect("submitted");
    assert_eq!(
        call(
            &maker,
            &app,
            "publish_contract_template",
            &[("id", &id), ("row_version", "1")],
        )
        .await,
        Err("contract_template_self_publish".into())
    );
}
