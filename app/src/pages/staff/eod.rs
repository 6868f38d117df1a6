//! 日终跑批: the runs of the end-of-day batch with their progress, figures
//! and failures, and an administrator's rerun of a date.

use std::time::Duration;

use crate::components::{awaited, FormError};
use crate::error::AppError;
use crate::format::{datetime, money};
use crate::i18n::{fill, t};
use domain::view::{EodPage, EodRunStatus, EodRunView};
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use crate::session;

#[server(prefix = "/api/fn", endpoint = "eod_runs")]
pub async fn eod_runs() -> Result<EodPage, AppError> {
    let (services, staff) = session::staff().await?;
    Ok(services.servicing().eod_runs(&staff).await?)
}

/// Starts the rerun and returns at once; the page follows its progress.
#[server(prefix = "/api/fn", endpoint = "rerun_eod")]
pub async fn rerun_eod(date: String) -> Result<(), AppError> {
    let (services, staff) = session::staff().await?;
    let date = domain::date::Date::parse(date.trim())
        .map_err(|_| AppError::new(crate::error::ErrorCode::DateInvalid))?;
    // The run goes on in the background; its end is on the page.
    drop(services.servicing().rerun_eod(&staff, date).await?);
    Ok(())
}

fn status_class(s: EodRunStatus) -> &'static str {
    match s {
        EodRunStatus::Running => "badge badge-inst-due",
        EodRunStatus::Completed => "badge badge-normal",
        EodRunStatus::Failed => "badge badge-overdue",
    }
}

#[component]
pub fn EodPage() -> impl IntoView {
    let t = t();
    let data = Resource::new(|| (), |_| eod_runs());
    // While a run is under way, the page reads it again every two seconds.
    Effect::new(move |_| {
        if let Ok(handle) = set_interval_with_handle(
            move || {
                let running = data.get_untracked().and_then(|r| r.ok()).is_some_and(|p| {
                    p.running_here || p.runs.iter().any(|r| r.status == EodRunStatus::Running)
                });
                if running {
                    data.refetch();
                }
            },
            Duration::from_secs(2),
        ) {
            on_cleanup(move || handle.clear());
        }
    });
    view! {
        <div class="ws-panel" data-testid="eod-page">
            <div class="ws-panel-header">
                <h1 class="page-title">{t.eod_title}</h1>
                <span class="muted">{t.eod_sub}</span>
            </div>
            {awaited(data, super::LOGIN, move |page| {
                let schedule = match page.schedule.clone() {
                    Some(at) => fill(t.eod_schedule, &[("at", at)]),
                    None => t.eod_no_schedule.to_string(),
                };
                view! {
                    <p class="hint" data-testid="eod-schedule">{schedule}</p>
                    {page.can_rerun.then(|| view! { <RerunForm today=page.today.to_string() on_started=move || data.refetch() /> })}
                    {if page.runs.is_empty() {
                        view! { <p class="empty">{t.eod_none}</p> }.into_any()
                    } else {
                        view! { <RunTable runs=page.runs.clone() /> }.into_any()
                    }}
                }
            })}
        </div>
    }
}

#[component]
fn RunTable(runs: Vec<EodRunView>) -> impl IntoView {
    let t = t();
    let yuan = move |f: Option<domain::money::Fen>| f.map(|f| format!("{} {}", money(f), t.yuan));
    view! {
        <div class="table-scroll">
            <table class="table eod-runs" data-testid="eod-runs">
                <thead><tr>
                    <th>{t.eod_col_date}</th><th>{t.col_status}</th><th class="num">{t.eod_col_loans}</th>
                    <th class="num">{t.eod_col_postings}</th><th class="num">{t.eod_col_interest}</th>
                    <th class="num">{t.eod_col_penalty}</th><th class="num">{t.eod_col_overdue}</th>
                    <th class="num">{t.eod_col_lines}</th>
                    <th>{t.eod_col_time}</th>
                </tr></thead>
                <tbody>
                    {runs.into_iter().map(|r| {
                        let percent = if r.loans_total > 0 { (r.loans * 100 / r.loans_total).clamp(0, 100) } else { 100 };
                        let progress = (r.status == EodRunStatus::Running).then(|| view! {
                            <div class="eod-progress" role="progressbar" aria-valuenow=percent aria-valuemin="0" aria-valuemax="100">
                                <div class="eod-progress-bar" style=format!("width: {percent}%")></div>
                            </div>
                        });
                        let elapsed = r.elapsed_ms.map(|ms| fill(t.eod_elapsed, &[("s", format!("{}.{}", ms / 1000, ms % 1000 / 100))]));
                        let who = r.requested_by.clone().map(|n| fill(t.eod_rerun_by, &[("name", n)]));
                        view! {
                            <tr data-testid="eod-run">
                                <td>{r.business_date.to_string()}</td>
                                <td>
                                    <span class=status_class(r.status)>{t.eod_status(r.status)}</span>
                                    {(r.attempts > 1).then(|| view! { " "<span class="muted">{fill(t.eod_attempts, &[("n", r.attempts.to_string())])}</span> })}
                                    {r.error.map(|e| view! { <div class="field-error" data-testid="eod-error">{t.error(e)}</div> })}
                                </td>
                                <td class="num">{r.loans}" / "{r.loans_total}{progress}</td>
                                <td class="num">{r.postings}</td>
                                <td class="num money">{yuan(r.interest_accrued)}</td>
                                <td class="num money">{yuan(r.penalty_accrued)}</td>
                                <td class="num">{r.newly_overdue}</td>
                                <td class="num" data-testid="eod-lines">{match (r.lines_renewed, r.lines_expired) {
                                    (None, None) => String::new(),
                                    (renewed, expired) => format!("{} / {}", renewed.unwrap_or(0), expired.unwrap_or(0)),
                                }}</td>
                                <td class="muted">
                                    {datetime(r.started_at)}
                                    {r.finished_at.map(|f| format!(" – {}", datetime(f)))}
                                    {elapsed.map(|e| view! { <br/>{e} })}
                                    {who.map(|w| view! { <br/>{w} })}
                                </td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
        </div>
        <p class="hint">{t.eod_catch_up}</p>
    }
}

#[component]
fn RerunForm(today: String, on_started: impl Fn() + Send + Sync + Copy + 'static) -> impl IntoView {
    let t = t();
    let date = RwSignal::new(today);
    let error = RwSignal::new(None::<AppError>);
    let done = RwSignal::new(false);
    let rerun = Action::new(move |d: &String| {
        let d = d.clone();
        async move { rerun_eod(d).await }
    });
    Effect::new(move |_| match rerun.value().get() {
        Some(Ok(())) => {
            error.set(None);
            done.set(true);
            on_started();
        }
        Some(Err(e)) => {
            done.set(false);
            error.set(Some(e));
        }
        None => {}
    });
    view! {
        <form class="row eod-rerun" data-testid="eod-rerun" on:submit=move |ev| {
            ev.prevent_default();
            if !rerun.pending().get_untracked() {
                rerun.dispatch(date.get_untracked());
            }
        }>
            <label for="eod-date">{t.eod_rerun_date}</label>
            <input id="eod-date" class="input" type="date" required bind:value=date />
            <button class="btn btn-secondary" type="submit" disabled=move || rerun.pending().get()>{t.eod_rerun}</button>
            <span class="hint">{t.eod_rerun_hint}</span>
        </form>
        <FormError error=error />
        {move || done.get().then(|| view! { <div class="alert alert-success" role="status">{t.eod_rerun_started}</div> })}
    }
}
