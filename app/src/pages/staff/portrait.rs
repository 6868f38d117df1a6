//! The customer portrait (客户画像): identity (masked), household, history.

use crate::components::{awaited, FormError, StatusBadge};
use crate::error::AppError;
use crate::format::{datetime, money};
use crate::i18n::{fill, t, use_locale};
use domain::view::Portrait;
use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

#[cfg(feature = "ssr")]
use crate::error::ErrorCode;
#[cfg(feature = "ssr")]
use crate::session;

#[server(prefix = "/api/fn", endpoint = "portrait")]
pub async fn load_portrait(id: String) -> Result<Portrait, AppError> {
    let (services, staff) = session::staff().await?;
    Ok(services.customers().portrait(&staff, &id).await?)
}

/// Records a customer's signed 征信查询授权 (the form's number and the day
/// it was signed).
#[server(prefix = "/api/fn", endpoint = "record_authorisation")]
pub async fn record_authorisation(
    customer_id: String,
    evidence: String,
    granted_on: String,
) -> Result<(), AppError> {
    let (services, staff) = session::staff().await?;
    // Left empty: signed today, in front of the officer.
    let granted_on = match granted_on.trim() {
        "" => services.today(),
        d => domain::date::Date::parse(d)
            .map_err(|_| AppError::invalid(ErrorCode::AuthorisationDateInvalid))?,
    };
    Ok(services
        .risk()
        .record_bureau_authorisation(&staff, &customer_id, &evidence, granted_on)
        .await?)
}

#[component]
pub fn PortraitPage() -> impl IntoView {
    let t = t();
    let locale = use_locale();
    let params = use_params_map();
    let refresh = RwSignal::new(0u32);
    let data = Resource::new(
        move || (params.get().get("id").unwrap_or_default(), refresh.get()),
        |(id, _)| load_portrait(id),
    );
    view! {
        {awaited(data, super::LOGIN, move |p| {
                        let surname: String = p.name.chars().take(1).collect();
                        view! {
                            <div class="portrait-header ws-panel" data-testid="portrait">
                                <div class="avatar" aria-hidden="true">{surname}</div>
                                <div>
                                    <h1 class="page-title">{p.name.clone()}</h1>
                                    <div class="muted">
                                        {t.gender(p.gender)}" · "{fill(t.age_n, &[("n", p.age.to_string())])}" · "
                                        {p.occupation.clone()}" · "{p.branch_name.clone()}
                                    </div>
                                </div>
                            </div>
                            <p class="field-hint">{t.pfi_notice}</p>
                            <div class="grid-2">
                                <section class="ws-panel">
                                    <div class="ws-panel-header"><h2 class="section-title">{t.identity}</h2></div>
                                    <dl class="kv">
                                        <dt>{t.id_number}</dt><dd data-testid="id-masked">{p.id_number_masked.clone()}</dd>
                                        <dt>{t.phone}</dt><dd>{p.phone_masked.clone()}</dd>
                                        <dt>{t.officer}</dt><dd>{p.officer_name.clone().unwrap_or_else(|| t.none.to_string())}</dd>
                                    </dl>
                                </section>
                                <section class="ws-panel">
                                    <div class="ws-panel-header"><h2 class="section-title">{t.household}</h2></div>
                                    {match p.household.clone() {
                                        None => view! { <p class="muted">{t.none}</p> }.into_any(),
                                        Some(h) => view! {
                                            <dl class="kv">
                                                <dt>{t.village}</dt><dd>{h.township.clone()}" "{h.village.clone()}</dd>
                                                <dt>{t.address}</dt><dd>{h.address.clone()}</dd>
                                                <dt>{t.members}</dt><dd>{h.members}</dd>
                                                <dt>{t.annual_income}</dt><dd class="money">{money(h.annual_income)}</dd>
                                                <dt>{t.land_area}</dt><dd>{format!("{}.{}", h.land_area_mu_x10 / 10, h.land_area_mu_x10 % 10)}</dd>
                                                <dt>{t.main_business}</dt><dd>{h.main_business.clone()}</dd>
                                            </dl>
                                            <table class="table">
                                                <thead><tr><th>{t.member_list}</th><th>{t.relation}</th><th>{t.age}</th></tr></thead>
                                                <tbody>
                                                    {h.member_list.into_iter().map(|m| view! {
                                                        <tr><td>{m.name}</td><td>{t.relation(m.relation)}</td><td>{m.age}</td></tr>
                                                    }).collect_view()}
                                                </tbody>
                                            </table>
                                        }.into_any(),
                                    }}
                                </section>
                            </div>
                            <AuthorisationPanel
                                customer_id=p.customer_id.to_string()
                                current=p.bureau_authorisation.clone()
                                refresh=refresh
                            />
                            <super::lines::CustomerLinesPanel customer_id=p.customer_id.to_string() />
                            <section class="ws-panel">
                                <div class="ws-panel-header"><h2 class="section-title">{t.applications}</h2></div>
                                <table class="table">
                                    <thead><tr><th>{t.col_product}</th><th class="num">{t.col_amount}</th><th>{t.col_term}</th><th>{t.col_status}</th><th>{t.col_submitted}</th><th>{t.officer}</th><th></th></tr></thead>
                                    <tbody>
                                        {p.applications.is_empty().then(|| view! { <tr><td colspan="7" class="muted">{t.none}</td></tr> })}
                                        {p.applications.into_iter().map(|a| view! {
                                            <tr>
                                                <td>{locale.pick(&a.product_name_zh, &a.product_name_en).to_string()}</td>
                                                <td class="num money">{money(a.amount)}</td>
                                                <td>{fill(t.months_n, &[("n", a.term_months.to_string())])}</td>
                                                <td><StatusBadge status=a.status /></td>
                                                <td>{datetime(a.submitted_at)}</td>
                                                <td>{a.officer_name}</td>
                                                <td><a href=format!("/staff/applications/{}", a.id)>{t.open_task}</a></td>
                                            </tr>
                                        }).collect_view()}
                                    </tbody>
                                </table>
                            </section>
                            <section class="ws-panel">
                                <div class="ws-panel-header"><h2 class="section-title">{t.loans}</h2></div>
                                <table class="table">
                                    <thead><tr><th>{t.col_product}</th><th class="num">{t.principal}</th><th class="num">{t.outstanding}</th><th>{t.start_date}</th><th>{t.maturity}</th><th>{t.col_status}</th><th></th></tr></thead>
                                    <tbody>
                                        {p.loans.is_empty().then(|| view! { <tr><td colspan="7" class="muted">{t.none}</td></tr> })}
                                        {p.loans.into_iter().map(|l| view! {
                                            <tr>
                                                <td>{locale.pick(&l.product_name_zh, &l.product_name_en).to_string()}</td>
                                                <td class="num money">{money(l.principal)}</td>
                                                <td class="num money">{money(l.outstanding)}</td>
                                                <td>{l.start_date.to_string()}</td>
                                                <td>{l.maturity_date.to_string()}</td>
                                                <td><span class=format!("badge badge-{}", l.status.as_str())>{t.loan_status(l.status)}</span></td>
                                                <td><a href=format!("/staff/loans/{}", l.id)>{t.view_loan}</a></td>
                                            </tr>
                                        }).collect_view()}
                                    </tbody>
                                </table>
                            </section>
                        }.into_any()
                    })}
    }
}

/// The customer's 征信查询授权: the one in force, and recording a signed form.
#[component]
fn AuthorisationPanel(
    customer_id: String,
    current: Option<domain::view::BureauAuthorisationView>,
    refresh: RwSignal<u32>,
) -> impl IntoView {
    let t = t();
    let evidence = RwSignal::new(String::new());
    let signed_on = RwSignal::new(String::new());
    let error = RwSignal::new(None::<AppError>);
    let save = Action::new(move |(id, e, d): &(String, String, String)| {
        let (id, e, d) = (id.clone(), e.clone(), d.clone());
        async move { record_authorisation(id, e, d).await }
    });
    Effect::new(move |_| match save.value().get() {
        Some(Ok(())) => {
            evidence.set(String::new());
            refresh.update(|n| *n += 1);
        }
        Some(Err(e)) => error.set(Some(e)),
        None => {}
    });
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        error.set(None);
        save.dispatch((
            customer_id.clone(),
            evidence.get_untracked(),
            signed_on.get_untracked(),
        ));
    };
    view! {
        <section class="ws-panel" data-testid="authorisation">
            <div class="ws-panel-header"><h2 class="section-title">{t.auth_title}</h2></div>
            {match current {
                Some(a) => view! {
                    <p data-testid="authorisation-in-force">{fill(t.auth_in_force, &[
                        ("evidence", a.evidence),
                        ("from", a.granted_on.to_string()),
                        ("to", a.expires_on.to_string()),
                    ])}</p>
                }.into_any(),
                None => view! { <p class="muted" data-testid="authorisation-none">{t.auth_none}</p> }.into_any(),
            }}
            <form class="form pm-form" on:submit=submit>
                <label class="field">
                    <span>{t.auth_evidence}</span>
                    <input class="input" id="auth-evidence" autocomplete="off" maxlength="60" required
                        prop:value=evidence on:input=move |ev| evidence.set(event_target_value(&ev)) />
                </label>
                <label class="field">
                    <span>{t.auth_signed_on}</span>
                    <input class="input" id="auth-signed-on" type="date"
                        prop:value=signed_on on:input=move |ev| signed_on.set(event_target_value(&ev)) />
                </label>
                <FormError error=error />
                <button class="btn btn-primary" type="submit" data-testid="auth-record"
                    disabled=move || save.pending().get()>{t.auth_record}</button>
            </form>
        </section>
    }
}
