//! A stored decision of the engine as an approver reads it: outcome, rule-set
//! version, limit and price, the trace in the user's language, the feature
//! values it read and the bureau inquiry (labelled when synthetic).

use crate::format::{datetime, money};
use crate::i18n::{fill, t, use_locale, Locale};
use domain::rules::lifecycle::DecisionStage;
use domain::view::{DecisionView, StaffReason};
use leptos::prelude::*;

#[component]
pub fn DecisionPanel(decision: DecisionView) -> impl IntoView {
    let t = t();
    let locale = use_locale();
    let d = decision;
    let stage = t.decision_stage(d.stage);
    let version = d
        .rule_set_version
        .map(|v| fill(t.decision_version, &[("v", v.to_string())]))
        .unwrap_or_else(|| t.decision_no_version.to_string());
    let verdict = d.outcome;
    let rate = d.rate_bp.map(crate::format::rate_bp);
    let bureau = d.bureau.clone().map(|b| {
        view! {
            <p class="hint" data-testid="bureau">
                {t.decision_bureau}" · "{b.provider.clone()}" · "{t.inquiry_outcome(b.outcome)}" · "{b.elapsed_ms}" ms"
                {b.synthetic.then(|| view! { " · "<strong>{t.decision_bureau_dev}</strong> })}
            </p>
        }
    });
    view! {
        <section class="ws-panel" data-testid=format!("decision-{}", if d.stage == DecisionStage::PreScreen { "pre" } else { "full" })>
            <div class="ws-panel-header">
                <h2 class="section-title">{t.decision_title}" · "{stage}</h2>
                <span class=format!("badge badge-verdict-{}", verdict_class(verdict))>{t.verdict(verdict)}</span>
            </div>
            <dl class="kv">
                <dt>{t.decision_rule_set}</dt>
                <dd>{version}" · "{datetime(d.created_at)}" · "{d.actor_name.clone()}</dd>
                {d.limit.map(|l| view! { <dt>{t.decision_limit}</dt><dd class="money">{money(l)}" "{t.yuan}</dd> })}
                {rate.map(|r| view! { <dt>{t.decision_rate}</dt><dd>{r}</dd> })}
                {d.score.map(|s| view! { <dt>{t.decision_score}</dt><dd>{s}{d.grade.clone().map(|g| format!(" · {g}"))}</dd> })}
                {(!d.reasons.is_empty()).then(|| view! { <dt>{t.decision_reasons}</dt><dd><ReasonList reasons=d.reasons.clone()/></dd> })}
            </dl>
            <h3 class="subsection-title">{t.decision_trace}</h3>
            <ol class="trace">
                {d.trace.iter().map(|l| view! { <li>{locale.pick(&l.text_zh, &l.text_en).to_string()}</li> }).collect_view()}
            </ol>
            {bureau}
            <details>
                <summary>{t.decision_features}" ("{d.features.len()}")"</summary>
                <table class="table table-compact">
                    <tbody>
                        {d.features.iter().map(|f| view! {
                            <tr>
                                <td>{locale.pick(&f.label_zh, &f.label_en).to_string()}</td>
                                <td class="mono">{f.name.clone()}</td>
                                <td class="num">{if locale == Locale::Zh { f.value.display_zh() } else { f.value.display_en() }}</td>
                            </tr>
                        }).collect_view()}
                    </tbody>
                </table>
            </details>
        </section>
    }
}

/// Reason codes as staff read them, a line each: the words, the code (an
/// officer quotes it to risk), and a mark on those the customer is not told.
#[component]
pub fn ReasonList(reasons: Vec<StaffReason>) -> impl IntoView {
    let t = t();
    let locale = use_locale();
    view! {
        <ul class="reason-list" data-testid="reasons">
            {reasons.into_iter().map(|r| {
                let words = locale.pick(&r.text_zh, &r.text_en).to_string();
                // A code nobody named reads as itself, once.
                let code = (words != r.code).then(|| view! { " "<code class="muted">{r.code.clone()}</code> });
                view! {
                <li>
                    {words}
                    {code}
                    {(!r.told_to_customer).then(|| view! { " "<span class="badge badge-internal">{t.decision_reason_internal}</span> })}
                </li>
                }
            }).collect_view()}
        </ul>
    }
}

/// Reason codes in a table cell: the words joined, the codes on hover.
pub fn reason_words(locale: Locale, codes: &[String]) -> impl IntoView {
    let words: Vec<String> = domain::rules::reasons::staff_reasons(codes, None)
        .into_iter()
        .map(|r| locale.pick(&r.text_zh, &r.text_en).to_string())
        .collect();
    let sep = if locale == Locale::Zh { "、" } else { ", " };
    view! { <span title=codes.join(", ")>{words.join(sep)}</span> }
}

pub fn verdict_class(v: domain::rules::rule::Verdict) -> &'static str {
    use domain::rules::rule::Verdict as V;
    match v {
        V::Approve => "approve",
        V::Refer => "refer",
        V::Reject => "reject",
    }
}
