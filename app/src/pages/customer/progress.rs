//! One application's progress as a timeline.

use crate::components::customer_frame::{CustomerFrame, Tab};
use crate::components::{awaited, StatusBadge};
use crate::error::AppError;
use crate::format::{datetime, money, rate};
use crate::i18n::{fill, t, use_locale};
use domain::application::ApplicationStatus;
use domain::view::{CustomerApplicationView, CustomerDecision};
use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

#[cfg(feature = "ssr")]
use crate::session;

#[server(prefix = "/api/fn", endpoint = "my_application")]
pub async fn my_application(id: String) -> Result<CustomerApplicationView, AppError> {
    let (services, customer) = session::customer().await?;
    Ok(services
        .applications()
        .my_application(&customer, &id)
        .await?)
}

#[component]
pub fn ProgressPage() -> impl IntoView {
    let t = t();
    let locale = use_locale();
    let params = use_params_map();
    let data = Resource::new(
        move || params.get().get("id").unwrap_or_default(),
        my_application,
    );
    view! {
        <CustomerFrame title=t.progress_title tab=Tab::Loans back="/me">
            {awaited(data, super::LOGIN, move |v| {
                            let s = v.summary.clone();
                            let waiting = match s.status {
                                ApplicationStatus::Submitted => Some(t.ev_waiting_investigation),
                                ApplicationStatus::Investigated => Some(t.ev_waiting_approval),
                                ApplicationStatus::Approved if v.loan_id.is_none() => Some(t.ev_waiting_payout),
                                _ => None,
                            };
                            view! {
                                <section class="card stack" data-testid="progress">
                                    <div class="row">
                                        <h1 class="page-title">{locale.pick(&s.product_name_zh, &s.product_name_en).to_string()}</h1>
                                        <StatusBadge status=s.status />
                                    </div>
                                    <dl class="kv">
                                        <dt>{t.amount_label}</dt>
                                        <dd class="money">{money(s.amount)}" "{t.yuan}</dd>
                                        <dt>{t.term_label}</dt>
                                        <dd>{fill(t.months_n, &[("n", s.term_months.to_string())])}</dd>
                                        <dt>{t.purpose_label}</dt>
                                        <dd>{t.purpose(&v.purpose)}</dd>
                                        <dt>{t.your_officer}</dt>
                                        <dd>{s.officer_name.clone()}</dd>
                                    </dl>
                                </section>
                                {v.screening.clone().map(|sc| {
                                    use domain::rules::rule::Verdict;
                                    let (class, text) = match sc.outcome {
                                        Verdict::Approve => ("alert alert-success", t.screening_passed),
                                        Verdict::Refer => ("alert alert-info", t.screening_refer),
                                        Verdict::Reject => ("alert alert-error", t.screening_rejected),
                                    };
                                    view! {
                                        <section class="card stack" data-testid="screening">
                                            <h2 class="section-title">{t.screening_title}</h2>
                                            <div class=class>{text}</div>
                                            {(!sc.reasons.is_empty()).then(|| view! {
                                                <ul class="reasons">
                                                    {sc.reasons.iter().map(|r| view! { <li>{locale.pick(&r.text_zh, &r.text_en).to_string()}</li> }).collect_view()}
                                                </ul>
                                            })}
                                        </section>
                                    }
                                })}
                                {v.decision.clone().map(|d| decision_card(d, v.screening.is_some(), &s.officer_name))}
                                {(s.status == ApplicationStatus::Submitted).then(|| view! {
                                    <super::visit::VisitCard application_id=s.id.to_string() />
                                })}
                                <section class="card">
                                    <h2 class="section-title">{t.progress_title}</h2>
                                    <ol class="m-timeline">
                                        {v.timeline.into_iter().map(|e| {
                                            let label = t.timeline_kind(e.kind);
                                            view! {
                                                <li class="m-timeline-item done">
                                                    <div>{label}</div>
                                                    <div class="m-timeline-time">{datetime(e.at)}</div>
                                                </li>
                                            }
                                        }).collect_view()}
                                        {waiting.map(|w| view! { <li class="m-timeline-item current"><div>{w}</div></li> })}
                                    </ol>
                                </section>
                                {(s.status == ApplicationStatus::Approved).then(|| view! { <super::contract::ApplicationContract application_id=s.id.to_string() /> })}
                                {v.loan_id.map(|id| view! {
                                    <a class="btn btn-primary btn-block" href=format!("/me/loans/{id}")>{t.view_schedule}</a>
                                })}
                            }.into_any()
                        })}
        </CustomerFrame>
    }
}

/// The decision in plain words: what was granted, or the category of
/// reason and what the customer can do (a pre-screen's refusal is
/// explained by its own card, `screened`).
fn decision_card(d: CustomerDecision, screened: bool, officer: &str) -> AnyView {
    let t = t();
    match d {
        CustomerDecision::Approved {
            amount,
            term_months,
            rate: r,
            method,
        } => view! {
            <section class="card stack" data-testid="decision" data-decision="approved">
                <h2 class="section-title">{t.outcome_title}</h2>
                <div class="alert alert-success">{t.decision_approved}</div>
                <dl class="kv">
                    <dt>{t.decision_amount}</dt>
                    <dd class="money">{money(amount)}" "{t.yuan}</dd>
                    <dt>{t.term_label}</dt>
                    <dd>{fill(t.months_n, &[("n", term_months.to_string())])}</dd>
                    <dt>{t.outcome_rate}</dt>
                    <dd>{rate(r)}</dd>
                    <dt>{t.decision_method}</dt>
                    <dd>{t.method(method)}</dd>
                </dl>
            </section>
        }
        .into_any(),
        CustomerDecision::Declined { category: None } if screened => ().into_any(),
        CustomerDecision::Declined { category } => {
            let (reason, advice) = category
                .map(|c| t.decline(c))
                .unwrap_or((t.decision_generic, t.decision_generic_advice));
            view! {
                <section class="card stack" data-testid="decision" data-decision="declined">
                    <h2 class="section-title">{t.outcome_title}</h2>
                    <div class="alert alert-error">{t.decision_declined}</div>
                    <dl class="kv kv-stacked">
                        <dt>{t.decision_reason}</dt>
                        <dd data-testid="decline-reason">{reason}</dd>
                        <dt>{t.decision_advice}</dt>
                        <dd>{advice}</dd>
                    </dl>
                    <p class="muted">{fill(t.decision_ask, &[("name", officer.to_string())])}</p>
                </section>
            }
            .into_any()
        }
    }
}
