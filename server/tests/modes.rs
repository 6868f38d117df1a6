//! Demo mode and production mode of the real binary: production refuses to
//! start without its secrets or with an unnamed development provider, and
//! starts empty; the demo bank loads only in demo mode.

use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use service::db::Db;

const BIN: &str = env!("CARGO_BIN_EXE_puhui");
const SECRET: &str = "0123456789abcdef0123456789abcdef-test";
const AUDIT_KEY: &str = "fedcba9876543210fedcba9876543210-audit-test";
const PFI_KEY: &str = "00112233445566778899aabbccddeeff-pfi-test";
const PFI_INDEX_KEY: &str = "00112233445566778899aabbccddeeff-index-test";

/// Production's secrets and its named development providers.
const PRODUCTION: [(&str, &str); 5] = [
    ("PUHUI_OTP_SECRET", SECRET),
    ("PUHUI_AUDIT_KEY", AUDIT_KEY),
    ("PUHUI_PFI_KEY", PFI_KEY),
    ("PUHUI_PFI_INDEX_KEY", PFI_INDEX_KEY),
    ("PUHUI_DEV_PROVIDERS", "sms,bureau,payments,esign,face"),
];

fn url(dir: &Path) -> String {
    format!("sqlite://{}/puhui.db?mode=rwc", dir.display())
}

/// `puhui` with a clean environment but for the database.
fn puhui(dir: &Path, args: &[&str]) -> Command {
    let mut c = Command::new(BIN);
    c.args(args)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("DATABASE_URL", url(dir))
        .env("RUST_LOG", "warn");
    c
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts `serve` and waits for `/healthz`.
async fn serve(mut c: Command) -> (Server, String) {
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    c.args(["serve", "--addr", &format!("127.0.0.1:{port}")])
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    let server = Server(c.spawn().expect("spawn puhui"));
    let started = Instant::now();
    loop {
        if let Ok(r) = reqwest::get(format!("{base}/healthz")).await {
            if r.status().is_success() {
                return (server, base);
            }
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "server did not start"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn staff_count(dir: &Path) -> i64 {
    let db = Db::connect(&url(dir)).await.expect("connect");
    let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM staff_users")
        .fetch_one(&db.pool)
        .await
        .expect("count");
    db.close().await;
    n
}

#[test]
fn production_refuses_to_start_without_its_secret_and_before_touching_the_database() {
    let dir = tempfile::tempdir().expect("temp dir");
    let out = puhui(dir.path(), &["serve"]).output().expect("run");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("PUHUI_OTP_SECRET is not set"), "{err}");
    assert!(!dir.path().join("puhui.db").exists());
    // The audit log's signing key is a secret of its own.
    let out = puhui(dir.path(), &["serve"])
        .env("PUHUI_OTP_SECRET", SECRET)
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("PUHUI_AUDIT_KEY is not set"), "{err}");

    // So is the key that seals personal information.
    let out = puhui(dir.path(), &["serve"])
        .env("PUHUI_OTP_SECRET", SECRET)
        .env("PUHUI_AUDIT_KEY", AUDIT_KEY)
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("PUHUI_PFI_KEY is not set"), "{err}");

    // With the secrets but no real provider, each development one must be named.
    let out = puhui(dir.path(), &["serve"])
        .envs(PRODUCTION)
        .env("PUHUI_DEV_PROVIDERS", "sms,bureau")
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("--dev-providers payments"), "{err}");
    assert!(!err.contains(SECRET), "a secret printed: {err}");

    // The demo bank's public password is for demo mode only.
    let out = puhui(dir.path(), &["seed-demo", "--customers", "5"])
        .envs(PRODUCTION)
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--demo"));
}

#[tokio::test]
async fn production_starts_empty_and_demo_mode_loads_the_demo_bank() {
    let prod = tempfile::tempdir().expect("temp dir");
    let mut c = puhui(prod.path(), &[]);
    c.envs(PRODUCTION);
    let (server, base) = serve(c).await;
    assert_eq!(staff_count(prod.path()).await, 0);
    // No development shortcut: the outbox answers nobody.
    let r = reqwest::Client::new()
        .post(format!("{base}/api/fn/sms_outbox"))
        .header("accept", "application/json")
        .send()
        .await
        .expect("request");
    let status = r.status();
    let body = r.text().await.unwrap_or_default();
    assert!(status.is_client_error(), "{status} {body}");
    drop(server);

    let demo = tempfile::tempdir().expect("temp dir");
    let (server, _) = serve(puhui(demo.path(), &["--demo"])).await;
    assert!(staff_count(demo.path()).await > 0);
    drop(server);

    // The operator reconciles the book: it balances.
    let out = puhui(demo.path(), &["reconcile"])
        .output()
        .expect("reconcile");
    let report = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{report}");
    assert!(
        report.contains("ok  the book's debits equal its credits"),
        "{report}"
    );
    assert!(!report.contains("!!"), "{report}");
}

/// Calls a server function of a running server; Ok(json) or Err(code).
async fn call(
    c: &reqwest::Client,
    base: &str,
    name: &str,
    form: &[(&str, &str)],
) -> Result<serde_json::Value, (u16, String)> {
    let r = c
        .post(format!("{base}/api/fn/{name}"))
        .header("accept", "application/json")
        .form(form)
        .send()
        .await
        .expect("request");
    let status = r.status();
    let body: serde_json::Value = r.json().await.unwrap_or(serde_json::Value::Null);
    if status.is_success() {
        Ok(body)
    } else {
        Err((
            status.as_u16(),
            body["code"].as_str().unwrap_or("?").to_string(),
        ))
    }
}

/// A real bank's first day: `puhui init` on the empty production database
/// prints the administrator's one-time password once; signed in with it,
/// they can do nothing but choose their own; then the workbench opens.
/// Production's pages never name the demo accounts, and say which
/// development providers the operator chose.
#[tokio::test]
async fn a_new_bank_is_initialised_and_its_administrator_must_choose_a_password() {
    let prod = tempfile::tempdir().expect("temp dir");
    let init = [
        "init",
        "--union-code",
        "HBNX",
        "--union-name",
        "河北省农村信用社联合社",
        "--bank-code",
        "LCNSH",
        "--bank-name",
        "栾城农商银行",
    ];
    // Its entries in the audit log are keyed like the server's: the
    // operator's commands need the audit key too.
    let keyless = puhui(prod.path(), &init).output().expect("init");
    assert_eq!(keyless.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&keyless.stderr).contains("PUHUI_AUDIT_KEY"));
    let out = puhui(prod.path(), &init)
        .envs(PRODUCTION)
        .output()
        .expect("init");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    let otp = stdout
        .lines()
        .last()
        .expect("the password line")
        .trim()
        .to_string();
    assert_eq!(otp.chars().count(), 16, "{stdout}");
    assert!(!String::from_utf8_lossy(&out.stderr).contains(&otp));
    // Once only.
    let again = puhui(prod.path(), &init)
        .envs(PRODUCTION)
        .output()
        .expect("init again");
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("database_not_empty"));

    let shipped = prod.path().join("checkpoints.jsonl");
    let mut c = puhui(prod.path(), &[]);
    c.envs(PRODUCTION)
        .env("PUHUI_AUDIT_CHECKPOINT_FILE", &shipped);
    let (server, base) = serve(c).await;
    let page = reqwest::get(format!("{base}/staff/login"))
        .await
        .expect("login page")
        .text()
        .await
        .unwrap_or_default();
    assert!(
        !page.contains("puhui2026"),
        "a demo password on a production page"
    );
    assert!(page.contains("data-dev=\"开发环境"), "no development label");

    let admin = reqwest::Client::builder()
        .cookie_store(true)
        .build()
        .expect("client");
    let me = call(
        &admin,
        &base,
        "staff_login",
        &[("username", "admin"), ("password", &otp)],
    )
    .await
    .expect("the one-time password signs in");
    assert_eq!(me["must_change_password"], true);
    assert_eq!(
        call(&admin, &base, "tasks", &[]).await,
        Err((403, "password_change_required".to_string()))
    );
    let who = call(&admin, &base, "current_staff", &[])
        .await
        .expect("who");
    assert_eq!(who["must_change_password"], true);
    assert_eq!(
        call(
            &admin,
            &base,
            "change_password",
            &[("current", &otp), ("new", "short")]
        )
        .await,
        Err((400, "password_too_short".to_string()))
    );
    call(
        &admin,
        &base,
        "change_password",
        &[("current", &otp), ("new", "Lm7#kq2Wz9x-栾城")],
    )
    .await
    .expect("changed");

    // An administrator signs in with a second factor: first they add an
    // authenticator app, and nothing else opens until they have.
    assert_eq!(
        call(&admin, &base, "tasks", &[]).await,
        Err((403, "totp_enrolment_required".to_string()))
    );
    let who = call(&admin, &base, "current_staff", &[])
        .await
        .expect("who");
    assert_eq!(who["totp_enrolment_required"], true);
    let enrolment = call(&admin, &base, "begin_totp", &[]).await.expect("begin");
    assert!(enrolment["qr_image"]
        .as_str()
        .is_some_and(|q| q.starts_with("data:image/svg+xml;base64,")));
    let secret: String = enrolment["secret_groups"]
        .as_str()
        .expect("secret")
        .split_whitespace()
        .collect();
    let code_at = |offset_ms: i64| {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .expect("clock")
            .as_millis() as i64;
        service::totp::code_now(&secret, now + offset_ms).expect("code")
    };
    call(&admin, &base, "confirm_totp", &[("code", &code_at(0))])
        .await
        .expect("app added");
    assert!(call(&admin, &base, "tasks", &[]).await.is_ok());
    assert_eq!(
        call(&admin, &base, "demo_mode", &[]).await,
        Ok(serde_json::json!(false))
    );
    // A new sign-in: the password alone is not enough.
    let again = reqwest::Client::builder()
        .cookie_store(true)
        .build()
        .expect("client");
    let password = [("username", "admin"), ("password", "Lm7#kq2Wz9x-栾城")];
    assert_eq!(
        call(&again, &base, "staff_login", &password).await,
        Err((401, "second_factor_required".to_string()))
    );
    assert_eq!(
        call(&again, &base, "tasks", &[]).await,
        Err((401, "unauthenticated".to_string()))
    );
    // The next step's code (the one confirmed with is spent).
    let next = code_at(30_000);
    let with_code = [password[0], password[1], ("code", next.as_str())];
    let me = call(&again, &base, "staff_login_with_code", &with_code)
        .await
        .expect("password and code");
    assert_eq!(me["totp_enrolled"], true);
    assert!(call(&again, &base, "tasks", &[]).await.is_ok());
    assert_eq!(
        call(&again, &base, "staff_login_with_code", &with_code).await,
        Err((400, "second_factor_invalid".to_string())),
        "a code is taken once"
    );
    drop(server);

    // A lost phone: the operator removes the app; the next sign-in adds one.
    let reset = puhui(prod.path(), &["staff", "reset-totp", "admin"])
        .envs(PRODUCTION)
        .output()
        .expect("reset-totp");
    assert!(
        reset.status.success(),
        "{}",
        String::from_utf8_lossy(&reset.stderr)
    );

    // The operator verifies the whole audit log and its checkpoints.
    let verified = puhui(prod.path(), &["verify-audit"])
        .envs(PRODUCTION)
        .output()
        .expect("verify-audit");
    let report = String::from_utf8_lossy(&verified.stdout);
    assert!(verified.status.success(), "{report}");
    assert!(report.contains("\"valid\": true"), "{report}");

    // The server shipped its checkpoints to the file outside the database
    // (at its first tick, at start); an auditor's copy is printed too. The
    // log holds against both.
    let copy = puhui(prod.path(), &["audit-checkpoints"])
        .envs(PRODUCTION)
        .output()
        .expect("audit-checkpoints");
    assert!(copy.status.success());
    let copy_path = prod.path().join("auditor-copy.jsonl");
    std::fs::write(&copy_path, &copy.stdout).expect("copy");
    assert!(!copy.stdout.is_empty());
    let shipped_text = std::fs::read_to_string(&shipped).expect("shipped file");
    assert!(shipped_text.lines().count() >= 1, "{shipped_text}");
    for kept in [&shipped, &copy_path] {
        let against = puhui(
            prod.path(),
            &["verify-audit", "--against", kept.to_str().unwrap()],
        )
        .envs(PRODUCTION)
        .output()
        .expect("verify-audit --against");
        let report = String::from_utf8_lossy(&against.stdout);
        assert!(
            against.status.success(),
            "{report}{}",
            String::from_utf8_lossy(&against.stderr)
        );
        assert!(report.contains("\"differs\": []"), "{report}");
    }
    // A copy changed on its way is refused.
    let forged = String::from_utf8_lossy(&copy.stdout).replacen("\"hash\":\"", "\"hash\":\"0", 1);
    std::fs::write(&copy_path, forged).expect("forge");
    let against = puhui(
        prod.path(),
        &["verify-audit", "--against", copy_path.to_str().unwrap()],
    )
    .envs(PRODUCTION)
    .output()
    .expect("verify-audit --against");
    assert_eq!(against.status.code(), Some(1));

    // The operator adds a branch and an officer, who starts the same way.
    let branch = puhui(
        prod.path(),
        &[
            "org",
            "add",
            "--parent",
            "LCNSH",
            "--code",
            "LC01",
            "--name",
            "城关支行",
        ],
    )
    .envs(PRODUCTION)
    .output()
    .expect("org add");
    assert!(
        branch.status.success(),
        "{}",
        String::from_utf8_lossy(&branch.stderr)
    );
    let officer = puhui(
        prod.path(),
        &[
            "staff",
            "add",
            "--org",
            "LC01",
            "--username",
            "zhang.wei",
            "--name",
            "张伟",
            "--roles",
            "officer,investigator",
        ],
    )
    .envs(PRODUCTION)
    .output()
    .expect("staff add");
    assert!(
        officer.status.success(),
        "{}",
        String::from_utf8_lossy(&officer.stderr)
    );
    assert_eq!(staff_count(prod.path()).await, 2);
    // Every entry, the operator's included, holds under the server's key.
    let verified = puhui(prod.path(), &["verify-audit"])
        .envs(PRODUCTION)
        .output()
        .expect("verify-audit");
    assert!(
        verified.status.success(),
        "{}",
        String::from_utf8_lossy(&verified.stdout)
    );
}

/// The exit code of a command that must stop by itself within a minute.
fn exits(mut c: Command) -> (Option<i32>, String) {
    let mut child = c
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let started = Instant::now();
    loop {
        if let Some(status) = child.try_wait().expect("wait") {
            let out = child.wait_with_output().expect("output");
            let text = format!(
                "{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
            return (status.code(), text);
        }
        if started.elapsed() > Duration::from_secs(60) {
            let _ = child.kill();
            panic!("still running after a minute");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[tokio::test]
async fn personal_information_is_rotated_to_a_new_key() {
    let dir = tempfile::tempdir().expect("temp dir");
    let seeded = puhui(dir.path(), &["--demo", "seed-demo", "--customers", "5"])
        .output()
        .expect("seed");
    assert!(
        seeded.status.success(),
        "{}",
        String::from_utf8_lossy(&seeded.stderr)
    );
    // The operator sets a new key but forgets the old one: refused.
    let mut c = puhui(dir.path(), &["--demo", "serve", "--addr", "127.0.0.1:0"]);
    c.env("PUHUI_PFI_KEY", PFI_KEY);
    let (code, out) = exits(c);
    assert_ne!(code, Some(0));
    assert!(out.contains("PUHUI_PFI_RETIRED_KEYS"), "{out}");
    // With the old key retired the rotation re-seals everything under the new one.
    let mut c = puhui(dir.path(), &["--demo", "rotate-key"]);
    c.env("PUHUI_PFI_KEY", PFI_KEY)
        .env("PUHUI_PFI_RETIRED_KEYS", service::pfi::DEV_PFI_SECRET);
    let (code, out) = exits(c);
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains("only the current key is in use"), "{out}");
    assert!(!out.contains(PFI_KEY), "a secret printed: {out}");
    // And the server starts on the new key alone.
    let mut c = puhui(dir.path(), &["--demo"]);
    c.env("PUHUI_PFI_KEY", PFI_KEY);
    let (server, base) = serve(c).await;
    let r = reqwest::get(format!("{base}/")).await.expect("home");
    assert!(r.status().is_success());
    drop(server);
}

/// A stopping server (a deploy, a restart) waits for the requests in flight
/// only for its grace period: a request that never completes cannot keep it
/// alive.
#[tokio::test]
async fn a_stopping_server_does_not_wait_for_ever() {
    use std::io::Write;
    let demo = tempfile::tempdir().expect("temp dir");
    let (mut server, base) = serve(puhui(demo.path(), &["--demo"])).await;
    let addr = base.trim_start_matches("http://").to_string();
    // A request whose headers never end.
    let mut half = std::net::TcpStream::connect(&addr).expect("connect");
    half.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
        .expect("write");
    let pid = server.0.id().to_string();
    let stopped = Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .expect("kill");
    assert!(stopped.success());
    let started = Instant::now();
    loop {
        if server.0.try_wait().expect("wait").is_some() {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "still running 20 s after SIGTERM"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    drop(half);
}
