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

    // With the secret but no real provider, each development one must be named.
    let out = puhui(dir.path(), &["serve"])
        .env("PUHUI_OTP_SECRET", SECRET)
        .env("PUHUI_DEV_PROVIDERS", "sms,bureau")
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("--dev-providers payments"), "{err}");
    assert!(!err.contains(SECRET), "a secret printed: {err}");

    // The demo bank's public password is for demo mode only.
    let out = puhui(dir.path(), &["seed-demo", "--customers", "5"])
        .env("PUHUI_OTP_SECRET", SECRET)
        .env("PUHUI_DEV_PROVIDERS", "sms,bureau,payments")
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--demo"));
}

#[tokio::test]
async fn production_starts_empty_and_demo_mode_loads_the_demo_bank() {
    let prod = tempfile::tempdir().expect("temp dir");
    let mut c = puhui(prod.path(), &[]);
    c.env("PUHUI_OTP_SECRET", SECRET)
        .env("PUHUI_DEV_PROVIDERS", "sms,bureau,payments");
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
}
