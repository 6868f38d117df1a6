//! `puhui eod --date YYYY-MM-DD`: the end-of-day batch with a progress bar
//! (on a terminal; plain progress lines otherwise) and a summary.

use std::io::IsTerminal;
use std::time::Duration;

use domain::date::Date;
use indicatif::{ProgressBar, ProgressStyle};
use service::servicing::eod::{EodOptions, EodProgress, EodSummary};
use service::Services;

/// Runs the batch and prints what it did; the error says why it stopped.
pub async fn run(
    services: &Services,
    date: Date,
    chunk: usize,
    workers: usize,
    json: bool,
) -> anyhow::Result<()> {
    let bar = ProgressBar::new(0);
    let tty = std::io::stderr().is_terminal();
    if tty {
        bar.set_style(
            ProgressStyle::with_template(
                "{spinner} 日终 {msg} [{bar:40}] {pos}/{len} loans  {per_sec}  ETA {eta}",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
        );
        bar.set_message(date.to_string());
        bar.enable_steady_tick(Duration::from_millis(200));
    } else {
        bar.set_draw_target(indicatif::ProgressDrawTarget::hidden());
    }
    let progress = |p: EodProgress| {
        bar.set_length(p.total);
        bar.set_position(p.done);
        if !tty {
            eprintln!("progress {}/{}", p.done, p.total);
        }
    };
    let opts = EodOptions {
        chunk_size: chunk,
        workers,
        ..EodOptions::default()
    };
    let result = services.servicing().run_eod(date, &opts, &progress).await;
    bar.finish_and_clear();
    let summary =
        result.map_err(|e| anyhow::anyhow!("end-of-day {date} stopped: {} ({e})", e.code()))?;
    // The batch's audit entries are signed at once, not at the server's next tick.
    if let Err(e) = services.audit().checkpoint_audit().await {
        tracing::warn!(error = %e, "could not sign an audit checkpoint after the batch");
    }
    crate::audit_cmd::ship_if_configured(services).await;
    if json {
        println!("{}", serde_json::to_string_pretty(&summary)?);
    } else {
        print!("{}", table(&summary));
    }
    Ok(())
}

fn yuan(f: domain::money::Fen) -> String {
    f.to_grouped_string()
}

/// The summary as aligned text.
pub fn table(s: &EodSummary) -> String {
    let secs = s.elapsed_ms as f64 / 1000.0; // display only
    let rate = (s.loans_processed * 1000)
        .checked_div(s.elapsed_ms)
        .unwrap_or(s.loans_processed);
    let mut out = format!(
        "end-of-day {date} (attempt {attempt}) completed in {secs:.1} s\n\
         loans processed      {loans:>14}  ({rate} loans/s)\n\
         loan-days            {days:>14}\n\
         postings             {postings:>14}\n\
         interest accrued     {ia:>14}\n\
         interest adjusted    {iadj:>14}\n\
         penalty accrued      {pa:>14}\n\
         newly overdue        {no:>14}\n\
         credit lines renewed {lr:>14}  ({lref} referred to an officer)\n\
         credit lines expired {le:>14}\n",
        date = s.business_date,
        attempt = s.attempt,
        loans = s.loans_processed,
        days = s.loan_days,
        postings = s.postings,
        ia = yuan(s.interest_accrued),
        iadj = yuan(s.interest_adjusted),
        pa = yuan(s.penalty_accrued),
        no = s.newly_overdue,
        lr = s.lines_renewed,
        lref = s.lines_referred,
        le = s.lines_expired,
    );
    out.push_str("open loans by status\n");
    for (k, v) in &s.by_status {
        out.push_str(&format!("  {k:<19}{v:>14}\n"));
    }
    out.push_str("open loans by classification (五级分类)\n");
    for (k, v) in &s.by_classification {
        out.push_str(&format!("  {k:<19}{v:>14}\n"));
    }
    out
}
