//! The test bench (the version tried on one past application) and the
//! simulation over the last applications, with hit statistics per rule.

use crate::components::decision::{reason_words, verdict_class, DecisionPanel};
use crate::components::FormError;
use crate::format::{datetime, money};
use crate::i18n::{fill, t, use_locale, Locale, Texts};
use crate::pages::staff::rule_set_api::{simulate_rule_set, try_rule_set};
use domain::view::{DecisionBrief, RuleSetSample};
use leptos::prelude::*;

fn brief(t: &Texts, locale: Locale, b: &DecisionBrief) -> impl IntoView {
    let rate = b.rate_bp.map(crate::format::rate_bp);
    view! {
        <span class=format!("badge badge-verdict-{}", verdict_class(b.outcome))>{t.verdict(b.outcome)}</span>
        " "<span class="money">{b.limit.map(money).unwrap_or_else(|| t.rs_no_limit.to_string())}</span>
        " · "{rate.unwrap_or_else(|| t.rs_no_limit.to_string())}
        {(!b.reason_codes.is_empty()).then(|| view! { " · "<span class="muted">{reason_words(locale, &b.reason_codes)}</span> })}
    }
}

#[component]
pub(super) fn TestBench(
    id: String,
    samples: Vec<RuleSetSample>,
    dirty: RwSignal<bool>,
) -> impl IntoView {
    let t = t();
    let picked = RwSignal::new(String::new());
    let run = Action::new(move |app: &String| {
        let (id, app) = (id.clone(), app.clone());
        async move { try_rule_set(id, app).await }
    });
    let error = Signal::derive(move || run.value().get().and_then(|r| r.err()));
    view! {
        <section class="ws-panel" data-testid="test-bench">
            <div class="ws-panel-header">
                <h2 class="section-title">{t.rs_bench_title}</h2>
                <span class="muted">{t.rs_bench_sub}</span>
            </div>
            {if samples.is_empty() {
                view! { <div class="empty">{t.rs_bench_none}</div> }.into_any()
            } else {
                let list = samples;
                // The newest is tried unless another is picked.
                let first = list[0].application_id.clone();
                view! {
                    <div class="row">
                        <label class="muted" for="bench-app">{t.rs_bench_pick}</label>
                        <select id="bench-app" class="input" data-testid="bench-pick"
                            on:change=move |ev| picked.set(event_target_value(&ev))>
                            {list.into_iter().map(|x| {
                                let v = x.application_id.clone();
                                let label = format!("{} · {} {} · {} · {}", x.customer_name, money(x.amount), t.yuan,
                                    t.verdict(x.outcome), datetime(x.decided_at));
                                view! { <option value=v.to_string()>{label}</option> }
                            }).collect_view()}
                        </select>
                        <button class="btn btn-primary" data-testid="bench-run" disabled=move || run.pending().get()
                            on:click=move |_| {
                                let p = picked.get_untracked();
                                run.dispatch(if p.is_empty() { first.to_string() } else { p });
                            }>{t.rs_bench_run}</button>
                        {move || dirty.get().then(|| view! { <span class="tag">{t.rs_unsaved}</span> })}
                    </div>
                }.into_any()
            }}
            <FormError error=error />
            {move || run.value().get().and_then(|r| r.ok()).map(|trial| view! {
                <div class="rs-bench-result" data-testid="bench-result">
                    <p>
                        <strong>{trial.customer_name.clone()}</strong>" · "{t.rs_bench_then}" "
                        {trial.baseline_version.map(|v| fill(t.decision_version, &[("v", v.to_string())]))}": "
                        {brief(t, use_locale(), &trial.baseline)}
                    </p>
                    <p class="muted">{fill(t.rs_bench_elapsed, &[("us", trial.result.elapsed_us.to_string())])}</p>
                    <DecisionPanel decision=trial.result.clone() />
                </div>
            })}
        </section>
    }
}

#[component]
pub(super) fn Simulation(id: String) -> impl IntoView {
    let t = t();
    let locale = use_locale();
    let last_n = RwSignal::new("200".to_string());
    let run = Action::new(move |n: &u32| {
        let (id, n) = (id.clone(), *n);
        async move { simulate_rule_set(id, n).await }
    });
    let error = Signal::derive(move || run.value().get().and_then(|r| r.err()));
    view! {
        <section class="ws-panel" data-testid="simulation">
            <div class="ws-panel-header">
                <h2 class="section-title">{t.rs_sim_title}</h2>
                <span class="muted">{t.rs_sim_sub}</span>
            </div>
            <div class="row">
                <label class="muted" for="sim-n">{t.rs_sim_last}</label>
                <input id="sim-n" class="input input-short" type="number" min="1" max="5000"
                    prop:value=move || last_n.get() on:input=move |ev| last_n.set(event_target_value(&ev)) />
                <button class="btn btn-primary" data-testid="sim-run" disabled=move || run.pending().get()
                    on:click=move |_| { run.dispatch(last_n.get_untracked().trim().parse().unwrap_or(200)); }>{t.rs_sim_run}</button>
            </div>
            <FormError error=error />
            {move || run.value().get().and_then(|r| r.ok()).map(|r| view! {
                <div class="ws-stats" data-testid="sim-report">
                    <div class="stat"><div class="stat-value">{r.applications}</div><div class="stat-label">{t.rs_sim_applications}</div></div>
                    <div class="stat"><div class="stat-value" data-testid="sim-changed">{r.changed}</div><div class="stat-label">{t.rs_sim_changed}</div></div>
                    <div class="stat"><div class="stat-value">{r.limits_up}" / "{r.limits_down}</div><div class="stat-label">{t.rs_sim_limits}</div></div>
                    <div class="stat"><div class="stat-value money">{money(r.limit_change)}</div><div class="stat-label">{t.rs_sim_limit_change}</div></div>
                    <div class="stat"><div class="stat-value">{r.rates_up}" / "{r.rates_down}</div><div class="stat-label">{t.rs_sim_rates}</div></div>
                </div>
                {(!r.flips.is_empty()).then(|| view! {
                    <h3 class="subsection-title">{t.rs_sim_flips}</h3>
                    <table class="table table-compact">
                        <tbody>
                            {r.flips.iter().map(|f| view! {
                                <tr><td>{t.verdict(f.from)}" → "{t.verdict(f.to)}</td><td class="num">{f.count}</td></tr>
                            }).collect_view()}
                        </tbody>
                    </table>
                })}
                <h3 class="subsection-title">{t.rs_sim_hits}</h3>
                {if r.rule_hits.is_empty() {
                    view! { <div class="empty" data-testid="sim-hits">{t.rs_sim_no_hits}</div> }.into_any()
                } else {
                    view! {
                        <table class="table table-compact" data-testid="sim-hits">
                    <thead><tr><th>{t.rs_col_id}</th><th>{t.rs_col_name}</th><th class="num">{t.rs_sim_hits_now}</th><th class="num">{t.rs_sim_hits_then}</th></tr></thead>
                    <tbody>
                        {r.rule_hits.iter().map(|h| view! {
                            <tr class=if h.simulated != h.baseline { "row-changed" } else { "" }>
                                <td class="mono">{h.rule_id.clone()}</td>
                                <td>{locale.pick(&h.name_zh, &h.name_en).to_string()}</td>
                                <td class="num">{h.simulated}</td>
                                <td class="num">{h.baseline}</td>
                            </tr>
                        }).collect_view()}
                    </tbody>
                </table>
                    }.into_any()
                }}
                <h3 class="subsection-title">{t.rs_sim_diffs}</h3>
                {if r.diffs.is_empty() {
                    view! { <div class="empty">{t.rs_sim_no_change}</div> }.into_any()
                } else {
                    view! {
                        <table class="table table-compact">
                            <thead><tr><th>{t.col_customer}</th><th>{t.col_submitted}</th><th>{t.rs_before}</th><th>{t.rs_after}</th></tr></thead>
                            <tbody>
                                {r.diffs.iter().take(100).map(|x| view! {
                                    <tr>
                                        <td><a href=format!("/staff/applications/{}", x.application_id)>{x.customer_name.clone()}</a></td>
                                        <td>{datetime(x.decided_at)}</td>
                                        <td>{brief(t, use_locale(), &x.before)}</td>
                                        <td>{brief(t, use_locale(), &x.after)}</td>
                                    </tr>
                                }).collect_view()}
                            </tbody>
                        </table>
                    }.into_any()
                }}
            })}
        </section>
    }
}
