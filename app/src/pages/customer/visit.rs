//! 预约上门 on the customer's progress page: the visit booked and where it
//! stands, the officer's free hours by day, and the answers the customer
//! can give (accept a proposed time, pick another, cancel).

use crate::components::{load_on_refresh, FormError};
use crate::error::AppError;
use crate::format::datetime;
use crate::i18n::{fill, t};
use domain::view::CustomerVisitPanel;
use domain::visit::{by_day, slot_date_hour, VisitStatus};
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use crate::session;

#[server(prefix = "/api/fn", endpoint = "visit_panel")]
pub async fn visit_panel(id: String) -> Result<CustomerVisitPanel, AppError> {
    let (services, c) = session::customer().await?;
    Ok(services.visits().visit_panel(&c, &id).await?)
}

#[server(prefix = "/api/fn", endpoint = "book_visit")]
pub async fn book_visit(id: String, slot: String) -> Result<(), AppError> {
    let (services, c) = session::customer().await?;
    Ok(services.visits().book_visit(&c, &id, &slot).await?)
}

/// Accepts the proposed time (`accept`) or cancels the visit.
#[server(prefix = "/api/fn", endpoint = "answer_visit")]
pub async fn answer_visit(id: String, version: i64, accept: bool) -> Result<(), AppError> {
    let (services, c) = session::customer().await?;
    let v = services.visits();
    if accept {
        v.accept_visit(&c, &id, version).await?;
    } else {
        v.cancel_visit(&c, &id, version).await?;
    }
    Ok(())
}

#[derive(Clone)]
enum Act {
    Book(String),
    Answer(i64, bool),
}

/// The visit card, loaded in the browser once the page is up (a Suspense
/// under the page's own would break its hydration).
#[component]
pub fn VisitCard(application_id: String) -> impl IntoView {
    let t = t();
    let refresh = RwSignal::new(0u32);
    let id = StoredValue::new(application_id);
    let panel = load_on_refresh(refresh, move || visit_panel(id.get_value()));
    let error = RwSignal::new(None::<AppError>);
    let act = Action::new(move |a: &Act| {
        let a = a.clone();
        let id = id.get_value();
        async move {
            match a {
                Act::Book(slot) => book_visit(id, slot).await,
                Act::Answer(version, accept) => answer_visit(id, version, accept).await,
            }
        }
    });
    Effect::new(move |_| {
        if let Some(r) = act.value().get() {
            // Taken or changed meanwhile: show what stands now, and say why.
            error.set(r.err());
            refresh.update(|n| *n += 1);
        }
    });
    let run = move |a: Act| {
        if !act.pending().get_untracked() {
            error.set(None);
            act.dispatch(a);
        }
    };
    view! {
        {move || panel.get().and_then(|r| r.ok()).filter(|p| p.open || p.visit.is_some()).map(|p| {
            let status = p.visit.as_ref().map(|v| {
                let time = datetime(v.starts_at);
                let version = v.version;
                match v.status {
                    VisitStatus::Requested => view! {
                        <div class="alert alert-info" data-testid="visit-status" data-status="requested">
                            {fill(t.visit_requested, &[("time", time)])}
                        </div>
                        <button class="btn btn-secondary btn-block" data-testid="visit-cancel"
                            on:click=move |_| run(Act::Answer(version, false))>{t.visit_cancel}</button>
                    }.into_any(),
                    VisitStatus::Proposed => view! {
                        <div class="alert alert-warning" data-testid="visit-status" data-status="proposed">
                            {fill(t.visit_proposed, &[("time", time)])}
                        </div>
                        <button class="btn btn-primary btn-block" data-testid="visit-accept"
                            on:click=move |_| run(Act::Answer(version, true))>{t.visit_accept}</button>
                    }.into_any(),
                    VisitStatus::Confirmed => view! {
                        <div class="alert alert-success" data-testid="visit-status" data-status="confirmed">
                            {fill(t.visit_confirmed, &[("time", time), ("name", v.officer_name.clone())])}
                        </div>
                        <button class="btn btn-secondary btn-block" data-testid="visit-cancel"
                            on:click=move |_| run(Act::Answer(version, false))>{t.visit_cancel}</button>
                    }.into_any(),
                    VisitStatus::Cancelled => ().into_any(),
                }
            });
            let booked = p.visit.is_some();
            let picker = p.open.then(|| {
                let days = by_day(p.slots, |s| s.starts_at);
                if days.is_empty() {
                    return view! { <p class="muted" data-testid="visit-none-free">{t.visit_none_free}</p> }.into_any();
                }
                // One day at a time: the days as chips, then that day's hours.
                let day = RwSignal::new(0usize);
                let days = StoredValue::new(days);
                let hours = move || days.with_value(|d| {
                    d.get(day.get()).map(|(_, hours)| hours.iter().map(|slot| {
                        let (_, hour) = slot_date_hour(slot.starts_at);
                        let sid = slot.id.clone();
                        view! {
                            <button type="button" class="btn btn-secondary m-slot" data-testid="visit-slot"
                                disabled=move || act.pending().get()
                                on:click=move |_| run(Act::Book(sid.clone()))>
                                {format!("{hour:02}:00")}
                            </button>
                        }
                    }).collect_view())
                });
                let body = view! {
                    <div class="m-day-chips" data-testid="visit-days">
                        {days.with_value(|d| d.iter().enumerate().map(|(i, (date, _))| view! {
                            <button type="button" class="m-day-chip" class:active=move || day.get() == i
                                aria-pressed=move || (day.get() == i).to_string()
                                on:click=move |_| day.set(i)>
                                {t.visit_day(*date)}
                            </button>
                        }).collect_view())}
                    </div>
                    <div class="m-slot-hours" data-testid="visit-slots">{hours}</div>
                };
                if booked {
                    view! {
                        <details class="m-visit-repick">
                            <summary data-testid="visit-repick">{t.visit_repick}</summary>
                            {body}
                        </details>
                    }.into_any()
                } else {
                    view! { <p class="muted">{t.visit_pick}</p> {body} }.into_any()
                }
            });
            view! {
                <section class="card stack" data-testid="visit">
                    <h2 class="section-title">{t.visit_title}</h2>
                    {status}
                    <FormError error=error />
                    {picker}
                </section>
            }
        })}
    }
}
