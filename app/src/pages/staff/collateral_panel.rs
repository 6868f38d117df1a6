//! 押品 on an application: the collateral of a mortgage or pledge loan, its
//! value against the loan (抵质押率 and its cap), where the title papers
//! are, and the moves into and out of the vault, each asked by one person
//! and confirmed by another. The payout waits until it is all in order.

use crate::components::{after_action, load_on_refresh, FormError};
use crate::error::AppError;
use crate::format::money;
use crate::i18n::{fill, t};
use crate::pages::staff::contract_panel::ContractSummary;
use domain::collateral::{CollateralKind, Custody};
use domain::id::ApplicationId;
use domain::view::{CollateralPanel as Panel, CollateralView, ContractView};
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use crate::session;

/// The panel and the mortgage contract in full, when drawn up.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct CollateralData {
    pub panel: Panel,
    pub contract: Option<ContractView>,
}

#[server(prefix = "/api/fn", endpoint = "collateral")]
pub async fn collateral(id: ApplicationId) -> Result<CollateralData, AppError> {
    let (services, staff) = session::staff().await?;
    let panel = services.applications().collateral(&staff, &id).await?;
    let contract = match &panel.contract_id {
        Some(c) => Some(services.contracts().contract(&staff, c).await?),
        None => None,
    };
    Ok(CollateralData { panel, contract })
}

/// 生成抵押合同.
#[server(prefix = "/api/fn", endpoint = "generate_mortgage")]
pub async fn generate_mortgage(id: ApplicationId) -> Result<(), AppError> {
    let (services, staff) = session::staff().await?;
    services
        .contracts()
        .generate_mortgage_contract(&staff, &id)
        .await?;
    Ok(())
}

/// The record form as typed: the amount in yuan, the date as the date
/// input gives it.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct CollateralForm {
    pub kind: CollateralKind,
    pub owner_name: String,
    pub certificate_no: String,
    pub registration_no: String,
    pub valuation: String,
    pub valued_on: String,
    pub valuer: String,
    pub description: String,
}

/// Records a piece of collateral.
#[server(prefix = "/api/fn", endpoint = "record_collateral")]
pub async fn record_collateral(
    id: ApplicationId,
    form: CollateralForm,
) -> Result<String, AppError> {
    let (services, staff) = session::staff().await?;
    use domain::error_code::ErrorCode;
    // Capped before anything reads them.
    if [
        &form.owner_name,
        &form.certificate_no,
        &form.registration_no,
        &form.valuer,
        &form.valuation,
        &form.valued_on,
    ]
    .iter()
    .any(|s| s.len() > 400)
        || form.description.len() > 4_000
    {
        return Err(AppError::invalid(ErrorCode::CollateralCertificateInvalid));
    }
    let valuation = domain::money::Fen::parse_yuan(form.valuation.trim())
        .map_err(|e| AppError::invalid(e.code()))?;
    let valued_on = domain::date::Date::parse(form.valued_on.trim())
        .map_err(|e| AppError::invalid(e.code()))?;
    let input = domain::collateral::CollateralInput {
        kind: form.kind,
        owner_name: form.owner_name,
        certificate_no: form.certificate_no,
        registration_no: Some(form.registration_no),
        valuation,
        valued_on,
        valuer: form.valuer,
        description: form.description,
    };
    Ok(services
        .applications()
        .record_collateral(&staff, &id, input)
        .await?)
}

/// One step on a piece of collateral: `register` (with the number),
/// `in`, `out`, `confirm` or `refuse`.
#[server(prefix = "/api/fn", endpoint = "collateral_step")]
pub async fn collateral_step(
    collateral_id: String,
    version: i64,
    step: String,
    registration_no: String,
) -> Result<(), AppError> {
    let (services, staff) = session::staff().await?;
    use domain::collateral::CustodyMove;
    let a = services.applications();
    match step.as_str() {
        "register" => {
            if registration_no.len() > 400 {
                return Err(AppError::invalid(
                    domain::error_code::ErrorCode::CollateralRegistrationInvalid,
                ));
            }
            a.register_collateral(&staff, &collateral_id, version, &registration_no)
                .await?
        }
        "in" => {
            a.ask_custody(&staff, &collateral_id, version, CustodyMove::In)
                .await?
        }
        "out" => {
            a.ask_custody(&staff, &collateral_id, version, CustodyMove::Out)
                .await?
        }
        "confirm" => {
            a.confirm_custody(&staff, &collateral_id, version, true)
                .await?
        }
        "refuse" => {
            a.confirm_custody(&staff, &collateral_id, version, false)
                .await?
        }
        _ => return Err(AppError::new(crate::error::ErrorCode::NotFound)),
    }
    Ok(())
}

/// Adds a photo (base64 of the image the browser scaled down) to a piece
/// of collateral.
#[server(prefix = "/api/fn", endpoint = "add_collateral_photo")]
pub async fn add_collateral_photo(
    collateral_id: String,
    caption: String,
    data_base64: String,
) -> Result<String, AppError> {
    let (services, staff) = session::staff().await?;
    Ok(services
        .applications()
        .add_collateral_photo(&staff, &collateral_id, &caption, &data_base64)
        .await?)
}

fn photo_invalid() -> AppError {
    AppError::new(crate::error::ErrorCode::CollateralPhotoInvalid).with(
        "max_kib",
        (domain::collateral::MAX_PHOTO_BYTES / 1024).to_string(),
    )
}

/// The chosen picture scaled down and sent as a JPEG that fits a
/// collateral photo ([`crate::components::photo::scaled_jpeg_base64`]).
async fn photo_base64(input: &web_sys::HtmlInputElement) -> Result<String, AppError> {
    crate::components::photo::scaled_jpeg_base64(
        input,
        domain::collateral::MAX_PHOTO_BYTES,
        photo_invalid,
    )
    .await
}

/// A piece's photos (tap one to see it whole) and, for a recorder, the
/// camera or album to add one, with a caption.
#[component]
fn Photos(c: CollateralView, refresh: RwSignal<u32>) -> impl IntoView {
    let t = t();
    let input = NodeRef::<leptos::html::Input>::new();
    let caption = RwSignal::new(String::new());
    let error = RwSignal::new(None::<AppError>);
    let cid = StoredValue::new(c.id.clone());
    let upload = Action::new_local(move |_: &()| {
        let el = input.get_untracked();
        let (cid, caption) = (cid.get_value(), caption.get_untracked());
        async move {
            let el = el.ok_or_else(photo_invalid)?;
            let b64 = photo_base64(&el).await?;
            add_collateral_photo(cid, caption, b64).await
        }
    });
    Effect::new(move |_| match upload.value().get() {
        Some(Ok(_)) => {
            error.set(None);
            caption.set(String::new());
            refresh.update(|n| *n += 1);
        }
        Some(Err(e)) => error.set(Some(e)),
        None => {}
    });
    let count = c.photos.len();
    let full = count >= domain::collateral::MAX_PHOTOS;
    view! {
        <div class="clt-photos" data-testid="collateral-photos">
            {(!c.photos.is_empty()).then(|| view! {
                <ul class="clt-photo-list">
                    {c.photos.iter().map(|p| {
                        let src = format!("/staff/collateral-photos/{}", p.id);
                        let href = src.clone();
                        let alt = if p.caption.is_empty() { t.clt_photo.to_string() } else { p.caption.clone() };
                        view! {
                            <li class="clt-photo" data-testid="collateral-photo">
                                <a href=href target="_blank" rel="noopener">
                                    <img src=src alt=alt.clone() loading="lazy" width="120" height="90" />
                                </a>
                                <span class="small muted">{alt}" · "{p.uploaded_by.clone()}</span>
                            </li>
                        }
                    }).collect_view()}
                </ul>
            })}
            {(c.can_add_photo && !full).then(|| view! {
                <div class="row clt-photo-add">
                    <input class="input" maxlength="60" placeholder=t.clt_photo_caption data-testid="collateral-photo-caption"
                        prop:value=caption on:input=move |ev| caption.set(event_target_value(&ev)) />
                    <label class="btn btn-secondary">
                        {move || if upload.pending().get() { t.processing } else { t.clt_photo_add }}
                        <input type="file" accept="image/*" capture="environment" class="sr-only"
                            data-testid="collateral-photo-file" node_ref=input
                            disabled=move || upload.pending().get()
                            on:change=move |_| { error.set(None); upload.dispatch(()); } />
                    </label>
                    <span class="hint">{fill(t.clt_photo_count, &[("n", count.to_string()), ("max", domain::collateral::MAX_PHOTOS.to_string())])}</span>
                </div>
            })}
            <FormError error=error />
        </div>
    }
}

#[component]
pub fn CollateralPanel(
    id: ApplicationId,
    refresh: RwSignal<u32>,
    notice: RwSignal<Option<&'static str>>,
) -> impl IntoView {
    let id = StoredValue::new(id);
    let data = load_on_refresh(refresh, move || collateral(id.get_value()));
    move || {
        data.get().map(|r| match r {
            Ok(d) if !d.panel.required && d.panel.items.is_empty() => ().into_any(),
            Ok(d) => view! { <Body panel=d.panel contract=d.contract id=id.get_value() refresh=refresh notice=notice /> }
                .into_any(),
            Err(e) => view! { <div class="alert alert-error" role="alert">{e.message(t())}</div> }
                .into_any(),
        })
    }
}

fn percent(bp: u32) -> String {
    format!("{}.{:02}%", bp / 100, bp % 100)
}

#[component]
fn Body(
    panel: Panel,
    contract: Option<ContractView>,
    id: ApplicationId,
    refresh: RwSignal<u32>,
    notice: RwSignal<Option<&'static str>>,
) -> impl IntoView {
    let t = t();
    let ltv = panel.ltv_bp.map_or_else(|| t.none.to_string(), percent);
    let cap = panel.cap_bp.map_or_else(
        || t.clt_ltv.to_string(),
        |c| fill(t.clt_ltv_of_cap, &[("cap", percent(c))]),
    );
    let state = match panel.not_ready {
        Some(code) => view! { <p class="alert alert-info" data-testid="collateral-not-ready">{t.error(code)}</p> }.into_any(),
        None if panel.required => view! { <p class="alert alert-success" data-testid="collateral-ready">{t.clt_ready}</p> }.into_any(),
        None => ().into_any(),
    };
    view! {
        <section class="ws-panel" data-testid="collateral">
            <div class="ws-panel-header">
                <h2 class="section-title">{t.clt_title}</h2>
                {panel.required.then(|| view! { <span class="badge badge-submitted">{t.clt_required}</span> })}
            </div>
            <div class="ws-stats">
                <div class="stat"><div class="stat-value money">{money(panel.amount)}</div><div class="stat-label">{t.clt_loan_amount}</div></div>
                <div class="stat"><div class="stat-value money">{money(panel.total_value)}</div><div class="stat-label">{t.clt_total_value}</div></div>
                <div class="stat"><div class="stat-value" data-testid="collateral-ltv">{ltv}</div><div class="stat-label">{cap}</div></div>
            </div>
            {state}
            {(!panel.items.is_empty()).then(|| view! {
                <ul class="clt-list" data-testid="collateral-items">
                    {panel.items.iter().cloned().map(|c| view! { <Row c=c refresh=refresh notice=notice /> }).collect_view()}
                </ul>
            })}
            {contract.map(|c| view! {
                <div class="gtr-contract stack" data-testid="mortgage-contract">
                    <ContractSummary c=c pending=t.clt_contract_pending on_voided=Callback::new(move |_| refresh.update(|n| *n += 1)) />
                </div>
            })}
            {panel.can_draw_contract.then(|| view! { <DrawContract id=id.clone() refresh=refresh notice=notice /> })}
            {panel.can_record.then(|| view! { <RecordForm id=id refresh=refresh notice=notice /> })}
        </section>
    }
}

/// 生成抵押合同: the borrower then signs it on their phone.
#[component]
fn DrawContract(
    id: ApplicationId,
    refresh: RwSignal<u32>,
    notice: RwSignal<Option<&'static str>>,
) -> impl IntoView {
    let t = t();
    let error = RwSignal::new(None::<AppError>);
    let draw = Action::new(move |id: &ApplicationId| {
        let id = id.clone();
        async move { generate_mortgage(id).await }
    });
    after_action(draw, error, refresh, notice, t.clt_contract_drawn);
    let id = StoredValue::new(id);
    view! {
        <button class="btn btn-primary" data-testid="generate-mortgage"
            disabled=move || draw.pending().get()
            on:click=move |_| {
                if !draw.pending().get_untracked() {
                    error.set(None);
                    draw.dispatch(id.get_value());
                }
            }>
            {move || if draw.pending().get() { t.processing } else { t.clt_draw_contract }}
        </button>
        <FormError error=error />
    }
}

#[component]
fn Row(
    c: CollateralView,
    refresh: RwSignal<u32>,
    notice: RwSignal<Option<&'static str>>,
) -> impl IntoView {
    let t = t();
    let error = RwSignal::new(None::<AppError>);
    let registration = RwSignal::new(String::new());
    let (cid, version) = (c.id.clone(), c.version);
    let step = Action::new(move |s: &&'static str| {
        let (cid, s, no) = (cid.clone(), *s, registration.get_untracked());
        async move { collateral_step(cid, version, s.to_string(), no).await }
    });
    after_action(step, error, refresh, notice, t.clt_done);
    let button = move |s: &'static str, label: &'static str, class: &'static str| {
        view! {
            <button class=class data-testid=format!("collateral-{s}") disabled=move || step.pending().get()
                on:click=move |_| {
                    if !step.pending().get_untracked() {
                        error.set(None);
                        step.dispatch(s);
                    }
                }>{label}</button>
        }
    };
    let badge = match c.custody {
        Custody::InVault => "badge badge-approved",
        Custody::Released => "badge",
        Custody::InPending | Custody::OutPending => "badge badge-inst-due",
        Custody::Registered => "badge badge-submitted",
    };
    view! {
        <li class="clt-item" data-testid="collateral-row">
            <div class="clt-head">
                <strong>{t.collateral_kind(c.kind)}</strong>
                <span class=badge data-testid="collateral-custody">{t.custody(c.custody)}</span>
                {c.custody_asked_by.clone().map(|who| view! { <span class="muted small">{fill(t.clt_asked_by, &[("name", who)])}</span> })}
            </div>
            <dl class="kv clt-kv">
                <dt>{t.clt_owner}</dt>
                <dd>{c.owner_name.clone()}</dd>
                <dt>{t.clt_certificate}</dt>
                <dd class="mono">{c.certificate_no.clone()}</dd>
                <dt>{t.clt_registration}</dt>
                <dd class="mono">{c.registration_no.clone().unwrap_or_else(|| t.clt_unregistered.to_string())}</dd>
                <dt>{t.clt_valuation}</dt>
                <dd><span class="money">{money(c.valuation)}</span>" · "{c.valued_on.to_string()}" · "{c.valuer.clone()}</dd>
                {(!c.description.is_empty()).then(|| view! { <dt>{t.clt_description}</dt><dd>{c.description.clone()}</dd> })}
            </dl>
            <Photos c=c.clone() refresh=refresh />
            <div class="clt-actions">
                {(c.can_register && c.registration_no.is_none()).then(|| view! {
                    <input class="input" maxlength="64" placeholder=t.clt_registration data-testid="collateral-registration"
                        prop:value=registration on:input=move |ev| registration.set(event_target_value(&ev)) />
                    {button("register", t.clt_register, "btn btn-secondary")}
                })}
                {c.can_ask_in.then(|| button("in", t.clt_ask_in, "btn btn-secondary"))}
                {c.can_ask_out.then(|| button("out", t.clt_ask_out, "btn btn-secondary"))}
                {c.can_confirm.then(|| view! {
                    {button("confirm", t.clt_confirm, "btn btn-primary")}
                    {button("refuse", t.clt_refuse, "btn btn-secondary")}
                })}
            </div>
            <FormError error=error />
        </li>
    }
}

#[component]
fn RecordForm(
    id: ApplicationId,
    refresh: RwSignal<u32>,
    notice: RwSignal<Option<&'static str>>,
) -> impl IntoView {
    let t = t();
    let kind = RwSignal::new(CollateralKind::House);
    let owner = RwSignal::new(String::new());
    let certificate = RwSignal::new(String::new());
    let registration = RwSignal::new(String::new());
    let valuation = RwSignal::new(String::new());
    let valued_on = RwSignal::new(String::new());
    let valuer = RwSignal::new(String::new());
    let description = RwSignal::new(String::new());
    let error = RwSignal::new(None::<AppError>);
    let save = Action::new(move |_: &()| {
        let form = CollateralForm {
            kind: kind.get_untracked(),
            owner_name: owner.get_untracked(),
            certificate_no: certificate.get_untracked(),
            registration_no: registration.get_untracked(),
            valuation: valuation.get_untracked(),
            valued_on: valued_on.get_untracked(),
            valuer: valuer.get_untracked(),
            description: description.get_untracked(),
        };
        let id = id.clone();
        async move { record_collateral(id, form).await }
    });
    after_action(save, error, refresh, notice, t.clt_recorded);
    let field = move |fid: &'static str,
                      label: &'static str,
                      value: RwSignal<String>,
                      kind: &'static str| {
        view! {
            <div class="field">
                <label for=fid>{label}</label>
                <input id=fid class="input" type=kind maxlength="64" prop:value=value
                    on:input=move |ev| value.set(event_target_value(&ev)) />
            </div>
        }
    };
    view! {
        <details class="disb-bind" data-testid="collateral-record">
            <summary>{t.clt_record_title}</summary>
            <div class="form col-form">
                <div class="field">
                    <label for="col-kind">{t.clt_kind}</label>
                    <select id="col-kind" class="input" on:change=move |ev| {
                        if let Some(k) = CollateralKind::parse(&event_target_value(&ev)) { kind.set(k) }
                    }>
                        {CollateralKind::ALL.into_iter().map(|k| view! {
                            <option value=k.as_str() selected=move || kind.get() == k>{t.collateral_kind(k)}</option>
                        }).collect_view()}
                    </select>
                </div>
                {field("col-owner", t.clt_owner, owner, "text")}
                {field("col-certificate", t.clt_certificate, certificate, "text")}
                {field("col-registration", t.clt_registration_optional, registration, "text")}
                {field("col-valuation", t.clt_valuation_yuan, valuation, "text")}
                {field("col-valued-on", t.clt_valued_on, valued_on, "date")}
                {field("col-valuer", t.clt_valuer, valuer, "text")}
                {field("col-description", t.clt_description, description, "text")}
                <FormError error=error />
                <button class="btn btn-primary" data-testid="collateral-save" disabled=move || save.pending().get()
                    on:click=move |_| {
                        if !save.pending().get_untracked() {
                            error.set(None);
                            save.dispatch(());
                        }
                    }>{move || if save.pending().get() { t.processing } else { t.clt_save }}</button>
            </div>
        </details>
    }
}
