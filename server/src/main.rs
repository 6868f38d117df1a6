//! `puhui`: serve the application, migrate the database, load the demo bank.

use anyhow::Context;
use clap::{Parser, Subcommand};
use puhui_server::config::{RunArgs, RunConfig};
use puhui_server::{leptos_options, router, WebConfig};
use service::db::{Clock, Db, SystemClock};
use service::demo::{DemoConfig, DEMO_PASSWORD};
use service::sms::DevSmsProvider;
use service::Services;
use std::net::SocketAddr;
use std::sync::Arc;
use tracing_subscriber::EnvFilter;

const DEFAULT_DATABASE_URL: &str = "sqlite://data/puhui.db?mode=rwc";

#[derive(Parser)]
#[command(name = "puhui", version, about = "Puhui lending platform")]
struct Cli {
    /// Database URL: sqlite://… (default, embedded) or postgres://…
    #[arg(long, env = "DATABASE_URL", default_value = DEFAULT_DATABASE_URL, global = true)]
    database_url: String,
    /// Demo mode: load the demo bank into an empty database and run on the
    /// development providers and secrets. Never for a real bank.
    #[arg(long, env = "PUHUI_DEMO", global = true)]
    demo: bool,
    /// Production only: the development providers to use knowingly, comma
    /// separated (sms, bureau, payments, esign); none is used unless named.
    #[arg(long, env = "PUHUI_DEV_PROVIDERS", global = true)]
    dev_providers: Option<String>,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the web application (the default).
    Serve {
        /// Address to listen on (default: LEPTOS_SITE_ADDR or 127.0.0.1:3000).
        #[arg(long, env = "PUHUI_ADDR")]
        addr: Option<SocketAddr>,
        /// Mark session cookies Secure even on loopback (they are whenever
        /// the server listens on any other address).
        #[arg(long, env = "PUHUI_SECURE_COOKIES")]
        secure_cookies: bool,
    },
    /// Create or upgrade the database schema.
    Migrate,
    /// Create the first bank and its first administrator on an empty
    /// database; prints the administrator's one-time password once.
    Init(puhui_server::staff_cmd::InitArgs),
    /// Reconcile the whole book (对账): postings balance, stored balances
    /// equal the ledger, confirmed payments are posted once. Reads only;
    /// exits 1 when anything is off.
    Reconcile {
        #[arg(long)]
        json: bool,
    },
    /// Verify the whole audit log: every entry's hash from the first, and
    /// every signed checkpoint against this server's audit key. Exits 1 when
    /// the log does not hold.
    VerifyAudit {
        /// Also check the log against a copy of the checkpoints kept
        /// outside the database (the file `PUHUI_AUDIT_CHECKPOINT_FILE`
        /// ships them to, or an auditor's copy of `audit-checkpoints`).
        #[arg(long)]
        against: Option<std::path::PathBuf>,
    },
    /// Verify an exported contract file: whether it is, byte for byte, a
    /// contract this bank sealed (its key comes from PUHUI_AUDIT_KEY).
    /// Exits 1 when it is not.
    VerifyContract {
        /// The exported contract file.
        file: std::path::PathBuf,
    },
    /// Print the audit log's signed checkpoints, one JSON line each, for a
    /// copy kept outside the database.
    AuditCheckpoints {
        /// Only those after this sequence number.
        #[arg(long, default_value_t = 0)]
        after: i64,
    },
    /// Re-seal all personal information under the current PUHUI_PFI_KEY
    /// (after moving the old one to PUHUI_PFI_RETIRED_KEYS). Resumable; when
    /// it reports only the current key in use, the retired one can go.
    RotateKey {
        #[arg(long)]
        json: bool,
    },
    /// The organisation tree: add a bank, branch or grid.
    Org {
        #[command(subcommand)]
        action: puhui_server::staff_cmd::OrgAction,
    },
    /// Staff accounts: add one, unlock one, reset a password.
    Staff {
        #[command(subcommand)]
        action: puhui_server::staff_cmd::StaffAction,
    },
    /// Print a repayment schedule (no database needed).
    Schedule {
        /// Principal in yuan, e.g. 300000.00
        #[arg(long)]
        principal: String,
        /// Annual rate in percent, e.g. 4.90
        #[arg(long)]
        rate: String,
        /// Term in months.
        #[arg(long)]
        months: u32,
        /// equal-instalment, equal-principal, interest-only or bullet.
        #[arg(long, default_value = "equal-instalment")]
        method: String,
        /// Start (value) date, YYYY-MM-DD; today when left out.
        #[arg(long)]
        start: Option<String>,
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Run the end-of-day batch (日终跑批) of a business date: accrual, due and
    /// overdue, penalty, days past due, classification. Safe to run again after
    /// a crash: it finishes what the killed run left.
    Eod {
        /// Business date, YYYY-MM-DD; today (China time) when left out.
        #[arg(long)]
        date: Option<String>,
        /// Loans per transaction; 0 picks for the database (2,000 on
        /// SQLite, 10,000 on PostgreSQL).
        #[arg(long, default_value_t = 0)]
        chunk: usize,
        /// Loan-id ranges processed at once; 0 picks for the database (one
        /// on SQLite, three on PostgreSQL).
        #[arg(long, default_value_t = 0)]
        workers: usize,
        /// Print the summary as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Whole-village pre-credit (整村授信预授信) of a village, a bank or the
    /// province: every household decided and written, resumable.
    Precredit {
        /// Organisation code: the union (province), a bank, branch or grid.
        #[arg(long)]
        bank: Option<String>,
        /// One village, by id.
        #[arg(long)]
        village: Option<String>,
        /// Product code whose live full-decision rule set decides.
        #[arg(long, default_value = "HNED")]
        product: String,
        /// The staff user the job is created as.
        #[arg(long, default_value = "admin")]
        user: String,
        /// Continue a paused, failed or killed job (a killed one once its
        /// lease is stale: 120 s after its last chunk).
        #[arg(long)]
        resume: Option<String>,
        /// Households per transaction.
        #[arg(long, default_value_t = 2000)]
        chunk: usize,
        /// Do not pull credit reports (everyone then refers).
        #[arg(long)]
        no_bureau: bool,
        /// The DEV bureau's latency per bulk request, in milliseconds.
        #[arg(long, default_value_t = 150)]
        bureau_latency_ms: u64,
        /// Chunks read (and bulk-pulled) ahead of the one being written.
        #[arg(long, default_value_t = 2)]
        read_ahead: usize,
        #[arg(long)]
        json: bool,
    },
    /// Benchmark: customers of a bank submit applications all at once; each
    /// is pre-screened, routed and assigned to its first inbox.
    Burst {
        #[arg(long, default_value_t = 10_000)]
        applications: usize,
        /// Submissions in flight at once.
        #[arg(long, default_value_t = 64)]
        concurrency: usize,
        #[arg(long, default_value = "HNED")]
        product: String,
        /// The DEV bureau's latency per inquiry, in milliseconds.
        #[arg(long, default_value_t = 150)]
        bureau_latency_ms: u64,
        #[arg(long)]
        json: bool,
    },
    /// Load the demo bank (deterministic for a seed).
    SeedDemo {
        #[arg(long, default_value_t = 2026)]
        seed: u64,
        #[arg(long, default_value_t = 300)]
        customers: u32,
        /// Every customer holds one loan, anywhere in its term, with balances
        /// as of yesterday (the end-of-day benchmark's book).
        #[arg(long)]
        portfolio: bool,
        /// The demo's "today", YYYY-MM-DD (default: today); loans are processed
        /// through the day before, so later dates are left for `eod`.
        #[arg(long)]
        as_of: Option<String>,
    },
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    // The log goes to standard error: standard output is the commands'
    // answer (`audit-checkpoints`, `reconcile --json`, …), to pipe and keep.
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn")),
        )
        .init();
    let cli = Cli::parse();
    if let Some(Command::Schedule {
        principal,
        rate,
        months,
        method,
        start,
        json,
    }) = &cli.command
    {
        let args = puhui_server::schedule_cmd::ScheduleArgs {
            principal: principal.clone(),
            rate: rate.clone(),
            months: *months,
            method: method.clone(),
            start: start.clone(),
        };
        let today = domain::date::Date::from_epoch_millis(
            SystemClock.now_millis(),
            domain::date::CHINA_UTC_OFFSET_MINUTES,
        );
        match puhui_server::schedule_cmd::schedule(&args, today) {
            Ok(s) if *json => println!("{}", puhui_server::schedule_cmd::json(&s)),
            Ok(s) => print!("{}", puhui_server::schedule_cmd::table(&s)),
            Err(message) => {
                eprintln!("error: {message}");
                std::process::exit(2);
            }
        }
        return Ok(());
    }
    // Refused before the database is touched; the schema and the operator's
    // account commands need no secrets.
    let admin = matches!(
        cli.command,
        Some(
            Command::Migrate
                | Command::Init(_)
                | Command::Org { .. }
                | Command::Staff { .. }
                | Command::Reconcile { .. }
                | Command::RotateKey { .. }
        )
    );
    let run = if admin {
        None
    } else {
        match RunConfig::resolve(&RunArgs::from_env(cli.demo, cli.dev_providers.clone())) {
            Ok(run) => Some(run),
            Err(err) => {
                eprintln!("error: {err}");
                std::process::exit(2);
            }
        }
    };
    if let Some(run) = &run {
        if run.demo {
            tracing::warn!(
                "DEMO MODE: demo bank, development providers and secrets; never for a real bank"
            );
        } else {
            for p in &run.dev_providers {
                tracing::warn!(
                    provider = p.as_str(),
                    "production runs on a development provider, as named by --dev-providers"
                );
            }
        }
    }
    // The operator's commands that write to the audit log key its entries
    // like the server does: refused, too, before the database is touched.
    let writes_log = matches!(
        cli.command,
        Some(
            Command::Init(_)
                | Command::Org { .. }
                | Command::Staff { .. }
                | Command::RotateKey { .. }
        )
    );
    let operator_key = if writes_log {
        match RunArgs::from_env(cli.demo, None).audit_key() {
            Ok(key) => key,
            Err(err) => {
                eprintln!("error: {err}");
                std::process::exit(2);
            }
        }
    } else {
        service::ServiceConfig::default().audit_key
    };
    let db = Db::connect(&cli.database_url)
        .await
        .context("connecting to the database")?;
    db.migrate().await.context("migrating the database")?;
    let Some(run) = run else {
        return match cli.command {
            Some(Command::Init(args)) => {
                puhui_server::staff_cmd::init(db, operator_key, &args).await
            }
            Some(Command::Org { action }) => {
                puhui_server::staff_cmd::org(db, operator_key, &action).await
            }
            Some(Command::Staff { action }) => {
                puhui_server::staff_cmd::staff(db, operator_key, &action).await
            }
            Some(Command::RotateKey { json }) => {
                // Only the keys are needed, checked as the server checks them.
                let keys = match RunArgs::from_env(cli.demo, None).pfi_keys() {
                    Ok(keys) => keys,
                    Err(err) => {
                        eprintln!("error: {err}");
                        std::process::exit(2);
                    }
                };
                let mut services = puhui_server::staff_cmd::operator_services(db, operator_key);
                services.config.pfi = keys;
                puhui_server::pfi_cmd::rotate_key(&services, json).await
            }
            Some(Command::Reconcile { json }) => {
                // Reads only: no key is needed.
                let services = puhui_server::staff_cmd::operator_services(db, operator_key);
                if !puhui_server::reconcile_cmd::run(&services, json).await? {
                    std::process::exit(1);
                }
                Ok(())
            }
            _ => {
                println!("database is up to date");
                Ok(())
            }
        };
    };
    match cli.command.unwrap_or(Command::Serve {
        addr: None,
        secure_cookies: false,
    }) {
        // Done above: the schema and accounts need no secrets, the schedule
        // no database.
        Command::Migrate
        | Command::Schedule { .. }
        | Command::Init(_)
        | Command::Org { .. }
        | Command::Staff { .. }
        | Command::Reconcile { .. }
        | Command::RotateKey { .. } => Ok(()),
        Command::SeedDemo {
            seed,
            customers,
            portfolio,
            as_of,
        } => {
            if !run.demo {
                eprintln!(
                    "error: seed-demo loads demo staff with a public password: run it with --demo"
                );
                std::process::exit(2);
            }
            let mut cfg = DemoConfig {
                portfolio,
                ..demo_config(seed, customers)
            };
            if let Some(d) = as_of {
                cfg.today = domain::date::Date::parse(&d)
                    .map_err(|_| anyhow::anyhow!("--as-of must be a real date as YYYY-MM-DD"))?;
            }
            let summary = service::demo::seed_demo(&db, &run.service, &cfg).await?;
            println!("{summary:#?}");
            Ok(())
        }
        Command::Eod {
            date,
            chunk,
            workers,
            json,
        } => {
            let services = services_for(db, Arc::new(SystemClock), &run);
            let date = match date {
                Some(d) => match domain::date::Date::parse(&d) {
                    Ok(d) => d,
                    Err(_) => {
                        eprintln!("error: --date must be a real date as YYYY-MM-DD, got {d}");
                        std::process::exit(2);
                    }
                },
                None => services.today(),
            };
            puhui_server::eod_cmd::run(&services, date, chunk, workers, json).await
        }
        Command::Precredit {
            bank,
            village,
            product,
            user,
            resume,
            chunk,
            no_bureau,
            bureau_latency_ms,
            read_ahead,
            json,
        } => {
            let bureau = service::DevBureauProvider::new()
                .with_bulk_latency(std::time::Duration::from_millis(bureau_latency_ms));
            let services =
                services_for(db, Arc::new(SystemClock), &run).with_bureau(Arc::new(bureau));
            let args = puhui_server::precredit_cmd::PrecreditArgs {
                org: bank,
                village,
                product,
                user,
                resume,
                chunk,
                read_ahead,
                use_bureau: !no_bureau,
                json,
            };
            puhui_server::precredit_cmd::run(&services, &args).await
        }
        Command::Burst {
            applications,
            concurrency,
            product,
            bureau_latency_ms,
            json,
        } => {
            let bureau = service::DevBureauProvider::new()
                .with_latency(std::time::Duration::from_millis(bureau_latency_ms));
            let services =
                services_for(db, Arc::new(SystemClock), &run).with_bureau(Arc::new(bureau));
            let args = puhui_server::burst_cmd::BurstArgs {
                applications,
                concurrency,
                product,
                json,
            };
            puhui_server::burst_cmd::run(&services, &args).await
        }
        Command::VerifyAudit { against } => {
            let services = services_for(db, Arc::new(SystemClock), &run);
            let status = services.audit().verify_audit_chain_fully().await?;
            println!("{}", serde_json::to_string_pretty(&status)?);
            let mut holds = status.valid;
            if let Some(path) = against {
                let kept = puhui_server::audit_cmd::read_kept(&path)?;
                let check = services.audit().check_audit_against(&kept).await?;
                println!("{}", serde_json::to_string_pretty(&check)?);
                holds &= check.holds();
            }
            if !holds {
                std::process::exit(1);
            }
            Ok(())
        }
        Command::VerifyContract { file } => {
            let services = services_for(db, Arc::new(SystemClock), &run);
            if !puhui_server::contract_cmd::verify(&services, &file).await? {
                std::process::exit(1);
            }
            Ok(())
        }
        Command::AuditCheckpoints { after } => {
            let kept = service::audit::checkpoints::after(&db, after).await?;
            let mut out = std::io::stdout().lock();
            for c in &kept {
                use std::io::Write;
                writeln!(out, "{}", serde_json::to_string(c)?)?;
            }
            Ok(())
        }
        Command::Serve {
            addr,
            secure_cookies,
        } => serve(db, addr, &run, secure_cookies).await,
    }
}

/// The services with the configured providers. Only development ones exist
/// so far, and `RunConfig` has made sure production named each of them:
/// SMS, payments and bureau are labelled "dev"/"DEV" in every record they leave.
fn services_for(db: Db, clock: Arc<SystemClock>, run: &RunConfig) -> Services {
    let sms = Arc::new(DevSmsProvider::new(
        db.clone(),
        clock.clone(),
        run.service.pfi.clone(),
    ));
    tracing::info!(
        "payments and payouts go through the development payment provider (no money moves)"
    );
    tracing::info!("credit reports come from the DEV bureau provider (synthetic reports)");
    tracing::info!("contracts are signed through the development e-signature provider (DEV-)");
    Services::new(db, sms, clock, run.service.clone())
}

/// Where uploads are kept, and who reads ID cards: Tesseract with its
/// Simplified Chinese data on this machine (`PUHUI_TESSERACT` names the
/// binary). Production refuses to start without it; the demo falls back
/// to the development reader, and says so on every page.
async fn identity_providers(services: Services, run: &RunConfig) -> anyhow::Result<Services> {
    let dir = std::env::var("PUHUI_UPLOADS_DIR").unwrap_or_else(|_| "data/uploads".into());
    tracing::info!(dir = %dir, "uploads are kept, sealed, under this folder");
    let services = services.with_uploads(Arc::new(service::FsUploadStore::new(dir)));
    let binary = std::env::var("PUHUI_TESSERACT").unwrap_or_else(|_| "tesseract".into());
    let tesseract = service::TesseractOcr::new(&binary, 2, std::time::Duration::from_secs(30));
    tracing::info!("selfies are checked by the development face provider (compares no face)");
    match tesseract.check().await {
        Ok(()) => {
            tracing::info!(binary = %binary, "ID cards are read by Tesseract (chi_sim)");
            Ok(services.with_ocr(Arc::new(tesseract)))
        }
        Err(err) if run.demo => {
            tracing::warn!(%err, "no Tesseract: ID cards are read by the development reader (a sample)");
            Ok(services)
        }
        Err(err) => anyhow::bail!(
            "{err}: production reads ID cards with Tesseract (apt-get install tesseract-ocr \
             tesseract-ocr-chi-sim, or name the binary in PUHUI_TESSERACT)"
        ),
    }
}

fn demo_config(seed: u64, customers: u32) -> DemoConfig {
    let today = domain::date::Date::from_epoch_millis(
        SystemClock.now_millis(),
        domain::date::CHINA_UTC_OFFSET_MINUTES,
    );
    DemoConfig {
        seed,
        customers,
        today,
        portfolio: false,
    }
}

async fn serve(
    db: Db,
    addr: Option<SocketAddr>,
    run: &RunConfig,
    force_secure_cookies: bool,
) -> anyhow::Result<()> {
    let empty = service::demo::is_empty(&db).await?;
    if run.demo && empty {
        tracing::info!("empty database: loading the demo bank");
        let summary = service::demo::seed_demo(&db, &run.service, &demo_config(2026, 300)).await?;
        tracing::info!(?summary, "demo bank loaded");
    } else if empty {
        tracing::warn!("empty database: no bank and no staff yet");
    }
    let services = services_for(db.clone(), Arc::new(SystemClock), run);
    // The development payout provider sends its notices of lost answers to
    // this server's own notice route, signed, once the address is known.
    let notice_base = Arc::new(std::sync::OnceLock::new());
    let sink = puhui_server::notice::HttpNoticeSink::new(
        notice_base.clone(),
        services.config.notice_key.as_bytes(),
        service::servicing::payouts::DEV_PROVIDER,
    );
    let services = services.with_payouts(Arc::new(
        service::DevPayoutProvider::new()
            .with_notices(Arc::new(sink), std::time::Duration::from_secs(2)),
    ));
    let services = identity_providers(services, run).await?;
    puhui_server::pfi_cmd::check_pfi_keys(&services).await?;
    // Pre-credit jobs queued, or left running by a stopped server, go on.
    if let Err(err) = services.precredit().spawn_pending_precredit_jobs().await {
        tracing::warn!(%err, "could not restart pending pre-credit jobs");
    }
    // Products from before the product factory get their first version.
    match db.pool.acquire().await {
        Ok(mut conn) => {
            match service::products::ensure_first_versions(&mut conn, services.now()).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(versions = n, "first product versions written"),
                Err(err) => tracing::warn!(%err, "could not write first product versions"),
            }
            // Applications from before flows join their product's flow.
            match service::workflow::adopt::adopt_flows(
                &mut conn,
                &services.config.audit_key,
                services.now(),
            )
            .await
            {
                Ok(done) if done == Default::default() => {}
                Ok(done) => tracing::info!(?done, "applications placed on their flows"),
                Err(err) => tracing::warn!(%err, "could not place applications on their flows"),
            }
        }
        Err(err) => tracing::warn!(%err, "no connection for the product versions"),
    }
    tracing::info!(
        public_key = %services.config.audit_key.public_hex(),
        "audit checkpoints are signed with this key (give it to the auditors)"
    );
    match puhui_server::audit_cmd::checkpoint_file() {
        Some(path) => {
            tracing::info!(file = %path.display(), "audit checkpoints are shipped to this file")
        }
        None if !run.demo => tracing::warn!(
            "audit checkpoints are kept only in the database: set {} to ship a copy outside it",
            puhui_server::audit_cmd::CHECKPOINT_FILE_ENV
        ),
        None => {}
    }
    // The flow's clock: applications left on their pre-screen move on and
    // overdue tasks escalate to the branch head, every minute; the audit
    // log's head is signed; pending payments are settled.
    let flows = services.clone();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(60));
        let mut minutes: u64 = 0;
        loop {
            tick.tick().await;
            if let Err(err) = flows.workflow().resume_flows().await {
                tracing::warn!(%err, "could not resume flows");
            }
            match flows.workflow().escalate_overdue().await {
                Ok(0) => {}
                Ok(n) => tracing::info!(tasks = n, "overdue tasks escalated"),
                Err(err) => tracing::warn!(%err, "could not escalate overdue tasks"),
            }
            if let Err(err) = flows.audit().checkpoint_audit().await {
                tracing::warn!(%err, "could not sign an audit checkpoint");
            }
            puhui_server::audit_cmd::ship_if_configured(&flows).await;
            // Payments whose answer was lost, or whose posting stopped,
            // settled with the provider after five minutes.
            match flows.servicing().resolve_pending_payments(5 * 60_000).await {
                Ok(done) if done == Default::default() => {}
                Ok(done) => tracing::info!(?done, "pending payments settled with the provider"),
                Err(err) => tracing::warn!(%err, "could not settle pending payments"),
            }
            // Payouts likewise: paid ones book their loan, the rest fail.
            match flows
                .applications()
                .resolve_pending_payouts(5 * 60_000)
                .await
            {
                Ok(0) => {}
                Ok(n) => tracing::info!(payouts = n, "pending payouts settled with the provider"),
                Err(err) => tracing::warn!(%err, "could not settle pending payouts"),
            }
            // Every hour, the whole log from its first entry: what the audit
            // page's quicker check (from the last verified point) cannot see.
            minutes += 1;
            if minutes % 60 == 1 {
                match flows.audit().verify_audit_chain_fully().await {
                    Ok(status) if status.valid => {}
                    Ok(status) => tracing::error!(?status, "THE AUDIT LOG DOES NOT HOLD"),
                    Err(err) => tracing::warn!(%err, "could not verify the audit log"),
                }
            }
        }
    });
    // 进度通知: the text messages of notices the changes above left, sent
    // within seconds of their change, each once.
    let notices = services.clone();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(5));
        loop {
            tick.tick().await;
            match notices.notices().send_pending_notices(200).await {
                Ok(done) if done == Default::default() => {}
                Ok(done) => tracing::info!(?done, "notices texted"),
                Err(err) => tracing::warn!(%err, "could not text notices"),
            }
        }
    });
    // 日终跑批 at its time each day; a day missed while the server was down
    // is caught up at the next start (each loan is processed through every
    // day it missed).
    if let Some(schedule) = services.config.eod_schedule {
        tracing::info!(at = %schedule.label(), "the end-of-day batch runs daily at this time (China)");
        let batch = services.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(std::time::Duration::from_secs(60));
            loop {
                tick.tick().await;
                match batch.servicing().start_due_eod(schedule).await {
                    Ok(None) => {}
                    Ok(Some(run)) => match run.await {
                        Ok(Ok(done)) => tracing::info!(
                            date = %done.business_date,
                            loans = done.loans_processed,
                            postings = done.postings,
                            "end-of-day batch completed"
                        ),
                        Ok(Err(err)) => tracing::error!(%err, "the end-of-day batch failed"),
                        Err(err) => tracing::error!(%err, "the end-of-day batch panicked"),
                    },
                    Err(err) => tracing::warn!(%err, "could not check whether the batch is due"),
                }
            }
        });
    }
    let options = leptos_options(addr);
    let addr = options.site_addr;
    let loopback = if addr.ip().is_unspecified() {
        SocketAddr::from(([127, 0, 0, 1], addr.port()))
    } else {
        addr
    };
    let _ = notice_base.set(format!("http://{loopback}"));
    let web = WebConfig::new(puhui_server::config::secure_cookies(
        addr,
        force_secure_cookies,
    ));
    let site = std::path::PathBuf::from(options.site_root.as_ref());
    match puhui_server::assets::remove_stale(&site) {
        Ok(0) => {}
        Ok(n) => tracing::info!(files = n, "stale precompressed copies removed"),
        Err(err) => tracing::warn!(%err, "could not check the precompressed copies"),
    }
    tokio::task::spawn_blocking(move || match puhui_server::assets::precompress(&site) {
        Ok(n) => tracing::info!(files = n, "static files precompressed (brotli, gzip)"),
        Err(err) => {
            tracing::warn!(%err, "could not precompress static files; serving them uncompressed")
        }
    });
    let app = router(services, options, &web);

    let sweeper = service::session_store::AnySessionStore::new(db.clone());
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(600));
        loop {
            tick.tick().await;
            if let Err(err) = sweeper.delete_expired().await {
                tracing::warn!(%err, "could not delete expired sessions");
            }
        }
    });

    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .with_context(|| format!("binding {addr}"))?;
    println!("\nPuhui is running at http://{addr}/");
    if !run.demo {
        println!("  production mode: no demo bank, no demo logins");
        return serve_until_shutdown(listener, app).await;
    }
    println!("  DEMO MODE (development providers; never for a real bank)");
    println!("  customer: open http://{addr}/ on a phone-sized window; demo phone 13800000001,");
    println!("            the SMS code appears in the SMS outbox http://{addr}/staff/outbox (sign in as admin)");
    println!(
        "  staff:    http://{addr}/staff/login   password for every demo login: {DEMO_PASSWORD}"
    );
    for (username, role) in service::demo::demo_logins() {
        println!("            {username:<14} {role}");
    }
    serve_until_shutdown(listener, app).await
}

async fn serve_until_shutdown(
    listener: tokio::net::TcpListener,
    app: axum::Router,
) -> anyhow::Result<()> {
    // The peer's address reaches the handlers (sign-in attempts are
    // audited with it).
    let (stopping, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(async move {
        shutdown().await;
        let _ = stopping.send(());
    });
    // Requests in flight get a grace period, not forever: a connection that
    // never finishes must not keep a stopping server (a deploy, a restart)
    // alive.
    let deadline = async move {
        if stopped.await.is_ok() {
            tokio::time::sleep(SHUTDOWN_GRACE).await;
        } else {
            std::future::pending::<()>().await;
        }
    };
    tokio::select! {
        served = server => served?,
        () = deadline => tracing::warn!(
            grace_secs = SHUTDOWN_GRACE.as_secs(),
            "requests still open after the grace period: stopping anyway"
        ),
    }
    Ok(())
}

/// How long a stopping server waits for the requests in flight.
const SHUTDOWN_GRACE: std::time::Duration = std::time::Duration::from_secs(10);

async fn shutdown() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
    tracing::info!("shutting down");
}
