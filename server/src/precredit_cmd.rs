//! `puhui precredit --bank BJ01 [--village ID]`: whole-village pre-credit
//! (整村授信预授信) of a village, a bank or the province from the command
//! line, with a progress bar (on a terminal; plain progress lines
//! otherwise) and a summary. `--resume JOB` continues a paused, failed or
//! killed job from its last committed household.

use std::io::IsTerminal;
use std::time::{Duration, Instant};

use domain::error_code::ErrorCode;
use domain::view::{NewPrecreditJob, PrecreditJobView, PrecreditScope};
use indicatif::{ProgressBar, ProgressStyle};
use service::precredit::{PrecreditOptions, PrecreditProgress};
use service::Services;

/// What to run.
#[derive(Debug, Clone)]
pub struct PrecreditArgs {
    /// An organisation code: the union (province), a bank, branch or grid.
    pub org: Option<String>,
    pub village: Option<String>,
    pub product: String,
    pub user: String,
    pub resume: Option<String>,
    pub chunk: usize,
    pub read_ahead: usize,
    pub use_bureau: bool,
    pub json: bool,
}

/// Creates (or resumes) the job, runs it and prints what it did.
pub async fn run(services: &Services, a: &PrecreditArgs) -> anyhow::Result<()> {
    let staff = services
        .precredit()
        .operator_actor(&a.user)
        .await
        .map_err(|e| anyhow::anyhow!("staff user {}: {}", a.user, e.code()))?;
    let mut done_before = 0;
    let job_id = match (&a.resume, &a.village, &a.org) {
        (Some(id), _, _) => {
            let job = services
                .precredit()
                .precredit_job(&staff, id)
                .await
                .map_err(code)?;
            done_before = job.done;
            if job.can_resume {
                services
                    .precredit()
                    .resume_precredit_job(&staff, id)
                    .await
                    .map_err(code)?;
            }
            id.clone()
        }
        (None, village, org) => {
            let scope = match (village, org) {
                (Some(v), _) => PrecreditScope::Village(v.clone()),
                (None, Some(o)) => PrecreditScope::Organisation(
                    services
                        .precredit()
                        .organisation_id(o)
                        .await
                        .map_err(|_| anyhow::anyhow!("no organisation with code {o}"))?,
                ),
                (None, None) => anyhow::bail!("give --bank CODE, --village ID or --resume JOB"),
            };
            let job = services
                .precredit()
                .create_precredit_job(
                    &staff,
                    &NewPrecreditJob {
                        scope,
                        product_code: a.product.clone(),
                        use_bureau: a.use_bureau,
                    },
                )
                .await
                .map_err(code)?;
            eprintln!(
                "job {} — {} — {} households, product {}",
                job.id, job.scope_name, job.total, job.product_code
            );
            job.id
        }
    };

    let bar = ProgressBar::new(0);
    let tty = std::io::stderr().is_terminal();
    if tty {
        bar.set_style(
            ProgressStyle::with_template(
                "{spinner} 预授信 [{bar:40}] {pos}/{len} households  {per_sec}  ETA {eta}  {msg}",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
        );
        bar.enable_steady_tick(Duration::from_millis(200));
    } else {
        bar.set_draw_target(indicatif::ProgressDrawTarget::hidden());
    }
    let progress = |p: PrecreditProgress| {
        bar.set_length(p.total);
        bar.set_position(p.done);
        bar.set_message(format!(
            "approve {} refer {} reject {}",
            p.approved, p.referred, p.rejected
        ));
        if !tty {
            eprintln!(
                "progress {}/{} approve {} refer {} reject {} skipped {}",
                p.done, p.total, p.approved, p.referred, p.rejected, p.skipped
            );
        }
    };
    let opts = PrecreditOptions {
        chunk_size: a.chunk.max(1),
        read_ahead: a.read_ahead.max(1),
        ..PrecreditOptions::default()
    };
    let started = Instant::now();
    let result = services
        .precredit()
        .run_precredit_job(&job_id, &opts, &progress)
        .await;
    bar.finish_and_clear();
    let job = result.map_err(|e| {
        let hint = if e.code() == ErrorCode::PrecreditJobBusy {
            " — another runner holds it, or a killed runner's lease has not gone stale yet \
             (120 s after its last chunk): try again then"
        } else {
            ""
        };
        anyhow::anyhow!("pre-credit job {job_id} stopped: {}{hint}", e.code())
    })?;
    let elapsed = started.elapsed();
    if a.json {
        println!("{}", serde_json::to_string_pretty(&job)?);
    } else {
        print!("{}", table(&job, job.done - done_before, elapsed));
    }
    Ok(())
}

fn code(e: service::ServiceError) -> anyhow::Error {
    anyhow::anyhow!("{} ({e})", e.code())
}

/// The job as aligned text; `elapsed` is this run's wall time.
pub fn table(j: &PrecreditJobView, this_run: i64, elapsed: Duration) -> String {
    let secs = elapsed.as_secs_f64();
    // Display only.
    let rate = if secs > 0.0 {
        this_run as f64 / secs
    } else {
        0.0
    };
    format!(
        "pre-credit job {id} {status} — {scope}, product {product}\n\
         households decided   {done:>12} of {total}  ({this_run} in {secs:.1} s this run, {rate:.0} households/s)\n\
         approve              {a:>12}\n\
         refer                {r:>12}\n\
         reject               {j_:>12}\n\
         skipped              {s:>12}\n\
         bureau               {bureau}\n",
        id = j.id,
        status = j.status.as_str(),
        scope = j.scope_name,
        product = j.product_code,
        done = j.done,
        total = j.total,
        a = j.approved,
        r = j.referred,
        j_ = j.rejected,
        s = j.skipped,
        bureau = if j.use_bureau { "bulk pulls (DEV: synthetic)" } else { "not asked (everyone refers)" },
    )
}
