//! 预约上门 on the officer's workbench: the visits customers booked (to
//! confirm, or to answer with another of the officer's hours) and the
//! hours the officer offers.

use crate::components::{load_on_refresh, FormError};
use crate::error::AppError;
use crate::format::datetime;
use crate::i18n::{fill, t, use_locale};
use domain::view::{OfficerSlot, OfficerVisits};
use domain::visit::{by_day, slot_date_hour, VisitStatus, FIRST_HOUR, LAST_HOUR};
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use crate::session;

/// The officer's visits and hours; None for anyone who is not an officer.
#[server(prefix = "/api/fn", endpoint = "my_visit_schedule")]
pub async fn my_visit_schedule() -> Result<Option<OfficerVisits>, AppError> {
    let (services, staff) = session::staff().await?;
    if !staff.has(domain::org::Role::Officer) {
        return Ok(None);
    }
    Ok(Some(services.visits().my_visit_schedule(&staff).await?))
}

/// Confirms a visit (`slot` None) or proposes another of the officer's hours.
#[server(prefix = "/api/fn", endpoint = "answer_visit_booking")]
pub async fn answer_visit_booking(
    visit: String,
    version: i64,
    slot: Option<String>,
) -> Result<(), AppError> {
    let (services, staff) = session::staff().await?;
    let v = services.visits();
    match slot {
        None => v.confirm_visit(&staff, &visit, version).await?,
        Some(slot) => v.propose_visit(&staff, &visit, version, &slot).await?,
    }
    Ok(())
}

/// Offers the hours (China time) of `date` ("YYYY-MM-DD").
#[server(prefix = "/api/fn", endpoint = "add_visit_slots")]
pub async fn add_visit_slots(date: String, hours: Vec<u8>) -> Result<u32, AppError> {
    let (services, staff) = session::staff().await?;
    let date = domain::date::Date::parse(&date).map_err(|e| AppError::invalid(e.code()))?;
    Ok(services
        .visits()
        .add_visit_slots(&staff, date, &hours)
        .await?)
}

#[server(prefix = "/api/fn", endpoint = "withdraw_visit_slot")]
pub async fn withdraw_visit_slot(slot: String) -> Result<(), AppError> {
    let (services, staff) = session::staff().await?;
    Ok(services.visits().withdraw_visit_slot(&staff, &slot).await?)
}

#[derive(Clone)]
enum Act {
    Answer(String, i64, Option<String>),
    Add(String, Vec<u8>),
    Withdraw(String),
}

/// "12-08 09:00": an hour on the officer's lists.
fn hour_label(ms: i64) -> String {
    datetime(ms).get(5..).unwrap_or_default().to_string()
}

/// The panel, for officers only; loaded once the page is up.
#[component]
pub fn MyVisits() -> impl IntoView {
    let t = t();
    let locale = use_locale();
    let refresh = RwSignal::new(0u32);
    let data = load_on_refresh(refresh, my_visit_schedule);
    let error = RwSignal::new(None::<AppError>);
    let notice = RwSignal::new(None::<String>);
    let act = Action::new(move |a: &Act| {
        let a = a.clone();
        async move {
            match a {
                Act::Answer(v, version, slot) => answer_visit_booking(v, version, slot)
                    .await
                    .map(|()| t.visit_saved.to_string()),
                Act::Add(date, hours) => add_visit_slots(date, hours)
                    .await
                    .map(|n| fill(t.slots_added, &[("n", n.to_string())])),
                Act::Withdraw(slot) => withdraw_visit_slot(slot).await.map(|()| String::new()),
            }
        }
    });
    Effect::new(move |_| {
        if let Some(r) = act.value().get() {
            match r {
                Ok(text) => {
                    error.set(None);
                    notice.set((!text.is_empty()).then_some(text));
                }
                Err(e) => {
                    notice.set(None);
                    error.set(Some(e));
                }
            }
            refresh.update(|n| *n += 1);
        }
    });
    let run = move |a: Act| {
        if !act.pending().get_untracked() {
            error.set(None);
            act.dispatch(a);
        }
    };
    let date = RwSignal::new(String::new());
    let hours = RwSignal::new(vec![9u8, 10, 11, 14, 15, 16]);
    view! {
        {move || data.get().and_then(|r| r.ok()).flatten().map(|o| {
            let to_confirm = o.visits.iter().filter(|v| v.status == VisitStatus::Requested).count();
            let free: Vec<OfficerSlot> = o.slots.iter().filter(|s| s.booked_by.is_none()).cloned().collect();
            let free_count = free.len();
            let free = StoredValue::new(free);
            let open = to_confirm > 0;
            view! {
                <details class="card" data-testid="my-visits" open=open>
                    <summary class="row">
                        <strong>{t.visits_title}</strong>
                        {(to_confirm > 0).then(|| view! {
                            <span class="badge badge-submitted" data-testid="visits-to-confirm">
                                {fill(t.visits_to_confirm, &[("n", to_confirm.to_string())])}
                            </span>
                        })}
                    </summary>
                    <div class="stack">
                        {move || notice.get().map(|n| view! { <div class="alert alert-success" role="status">{n}</div> })}
                        <FormError error=error />
                        {if o.visits.is_empty() {
                            view! { <p class="muted">{t.visits_none}</p> }.into_any()
                        } else {
                            view! {
                                <div class="table-scroll">
                                <table class="table" data-testid="visit-table">
                                    <thead><tr>
                                        <th>{t.col_time}</th><th>{t.col_customer}</th><th>{t.col_product}</th>
                                        <th>{t.col_status}</th><th>{t.col_action}</th>
                                    </tr></thead>
                                    <tbody>
                                        {o.visits.into_iter().map(|v| {
                                            let pick = RwSignal::new(String::new());
                                            let (vid, vid2, version) = (v.id.clone(), v.id.clone(), v.version);
                                            let href = format!("/staff/applications/{}", v.application_id);
                                            let answerable = v.status != VisitStatus::Cancelled;
                                            view! {
                                                <tr data-testid="visit-row" data-status=v.status.as_str()>
                                                    <td class="mono">{datetime(v.starts_at)}</td>
                                                    <td><a href=href>{v.customer_name}</a></td>
                                                    <td>{locale.pick(&v.product_name_zh, &v.product_name_en).to_string()}</td>
                                                    <td>{t.visit_status(v.status)}</td>
                                                    <td>
                                                        <div class="row visit-actions">
                                                            {(v.status == VisitStatus::Requested).then(|| view! {
                                                                <button class="btn btn-primary btn-sm" data-testid="visit-confirm"
                                                                    disabled=move || act.pending().get()
                                                                    on:click=move |_| run(Act::Answer(vid.clone(), version, None))>
                                                                    {t.visit_confirm}
                                                                </button>
                                                            })}
                                                            {answerable.then(|| view! {
                                                                <select class="input" data-testid="visit-propose-slot"
                                                                    aria-label=t.visit_propose_choose
                                                                    on:change=move |ev| pick.set(event_target_value(&ev))>
                                                                    <option value="">{t.visit_propose_choose}</option>
                                                                    {free.get_value().into_iter().map(|s| view! {
                                                                        <option value=s.id>{hour_label(s.starts_at)}</option>
                                                                    }).collect_view()}
                                                                </select>
                                                                <button class="btn btn-secondary btn-sm" data-testid="visit-propose"
                                                                    disabled=move || act.pending().get() || pick.get().is_empty()
                                                                    on:click=move |_| run(Act::Answer(vid2.clone(), version, Some(pick.get_untracked())))>
                                                                    {t.visit_propose}
                                                                </button>
                                                            })}
                                                        </div>
                                                    </td>
                                                </tr>
                                            }
                                        }).collect_view()}
                                    </tbody>
                                </table>
                                </div>
                            }.into_any()
                        }}
                        <details class="visit-slots" data-testid="my-slots">
                        <summary>
                            <strong>{t.slots_title}</strong>" "
                            <span class="muted">{fill(t.slots_free_n, &[("n", free_count.to_string())])}</span>
                        </summary>
                        <div class="stack">
                        <p class="muted small">{t.slots_hint}</p>
                        <div class="row">
                            <div class="field">
                                <label for="slot-date">{t.slots_date}</label>
                                <input id="slot-date" type="date" class="input" data-testid="slot-date"
                                    prop:value=date on:input=move |ev| date.set(event_target_value(&ev)) />
                            </div>
                        </div>
                        <fieldset class="field">
                            <legend>{t.slots_hours}</legend>
                            <div class="hour-picks">
                                {(FIRST_HOUR..=LAST_HOUR).map(|h| view! {
                                    <label class="checkbox">
                                        <input type="checkbox" data-testid="slot-hour" value=h.to_string()
                                            prop:checked=move || hours.get().contains(&h)
                                            on:change=move |ev| {
                                                let on = event_target_checked(&ev);
                                                hours.update(|list| {
                                                    list.retain(|x| *x != h);
                                                    if on { list.push(h); }
                                                });
                                            } />
                                        <span class="mono">{format!("{h:02}:00")}</span>
                                    </label>
                                }).collect_view()}
                            </div>
                        </fieldset>
                        <button class="btn btn-primary" data-testid="slots-add"
                            disabled=move || act.pending().get() || date.get().is_empty()
                            on:click=move |_| run(Act::Add(date.get_untracked(), hours.get_untracked()))>
                            {t.slots_add}
                        </button>
                        {if o.slots.is_empty() {
                            view! { <p class="muted">{t.slots_none}</p> }.into_any()
                        } else {
                            let days = by_day(o.slots, |s| s.starts_at);
                            view! {
                                <div class="stack" data-testid="slot-list">
                                    {days.into_iter().map(|(d, list)| view! {
                                        <div>
                                            <div class="muted small">{t.visit_day(d)}</div>
                                            <div class="visit-hours">
                                                {list.into_iter().map(|s| {
                                                    let (_, h) = slot_date_hour(s.starts_at);
                                                    let id = s.id.clone();
                                                    let booked = s.booked_by.is_some();
                                                    view! {
                                                        <span class="visit-hour" class:booked=booked data-testid="slot">
                                                            <span class="mono">{format!("{h:02}:00")}</span>
                                                            {match s.booked_by {
                                                                Some(name) => view! { <span>{name}</span> }.into_any(),
                                                                None => view! {
                                                                    <span class="muted">{t.slots_free}</span>
                                                                    <button class="btn btn-link btn-sm" data-testid="slot-withdraw"
                                                                        on:click=move |_| run(Act::Withdraw(id.clone()))>{t.slots_withdraw}</button>
                                                                }.into_any(),
                                                            }}
                                                        </span>
                                                    }
                                                }).collect_view()}
                                            </div>
                                        </div>
                                    }).collect_view()}
                                </div>
                            }.into_any()
                        }}
                        </div>
                        </details>
                    </div>
                </details>
            }
        })}
    }
}
