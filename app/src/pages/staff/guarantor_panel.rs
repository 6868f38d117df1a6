//! 保证人 on an application: the guarantors of a guaranteed loan, each with
//! their consent and bureau check, and the guarantee contract they sign
//! face to face (面签) on this device: the guarantor types the code sent to
//! their own phone and draws their signature. The payout waits until every
//! guarantor has signed. Every rule is the service's; the server functions
//! only cap what the browser sends.

use crate::components::signing::{signature_png, CodeField, SignaturePad};
use crate::components::{after_action, load_on_refresh, FormError};
use crate::error::{AppError, ErrorCode};
use crate::format::datetime;
use crate::i18n::{fill, t};
use crate::pages::staff::contract_panel::ContractSummary;
use domain::guarantor::{GuarantorRelation, GuarantorStatus};
use domain::id::ApplicationId;
use domain::view::{ContractView, GuarantorPanel as Panel, GuarantorView, SentCode};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[cfg(feature = "ssr")]
use crate::session;

/// The panel and the guarantee contract in full, when drawn up.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GuarantorData {
    pub panel: Panel,
    pub contract: Option<ContractView>,
}

#[server(prefix = "/api/fn", endpoint = "guarantors")]
pub async fn guarantors(id: ApplicationId) -> Result<GuarantorData, AppError> {
    let (services, staff) = session::staff().await?;
    let panel = services.applications().guarantors(&staff, &id).await?;
    let contract = match &panel.contract {
        Some(c) => Some(services.contracts().contract(&staff, &c.id).await?),
        None => None,
    };
    Ok(GuarantorData { panel, contract })
}

/// The record form as typed.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct GuarantorForm {
    pub name: String,
    pub id_number: String,
    pub phone: String,
    pub relation: GuarantorRelation,
    pub note: String,
}

#[server(prefix = "/api/fn", endpoint = "record_guarantor")]
pub async fn record_guarantor(id: ApplicationId, form: GuarantorForm) -> Result<String, AppError> {
    let (services, staff) = session::staff().await?;
    // Capped before anything reads them.
    if [&form.name, &form.id_number, &form.phone]
        .iter()
        .any(|s| s.len() > 200)
        || form.note.len() > 2_000
    {
        return Err(AppError::invalid(ErrorCode::GuarantorNameInvalid));
    }
    let input = domain::guarantor::GuarantorInput {
        name: form.name,
        id_number: form.id_number,
        phone: form.phone,
        relation: form.relation,
        note: form.note,
    };
    Ok(services
        .applications()
        .record_guarantor(&staff, &id, input)
        .await?)
}

/// Sends the guarantor a code: `consent` (to guarantee and be checked at
/// the bureau) or `sign` (the guarantee contract).
#[server(prefix = "/api/fn", endpoint = "guarantor_code")]
pub async fn guarantor_code(guarantor_id: String, purpose: String) -> Result<SentCode, AppError> {
    let (services, staff) = session::staff().await?;
    match purpose.as_str() {
        "consent" => Ok(services
            .applications()
            .send_guarantor_consent_code(&staff, &guarantor_id)
            .await?),
        "sign" => Ok(services
            .contracts()
            .send_guarantee_signing_code(&staff, &guarantor_id)
            .await?),
        _ => Err(AppError::new(ErrorCode::InvalidStep)),
    }
}

/// One step on a guarantor: `consent` (with the code), `recheck`, or
/// `remove` (with the version).
#[server(prefix = "/api/fn", endpoint = "guarantor_step")]
pub async fn guarantor_step(
    guarantor_id: String,
    step: String,
    code: String,
    version: i64,
) -> Result<(), AppError> {
    let (services, staff) = session::staff().await?;
    let a = services.applications();
    match step.as_str() {
        "consent" => {
            if code.len() > 16 {
                return Err(AppError::new(ErrorCode::CodeInvalid));
            }
            a.confirm_guarantor_consent(&staff, &guarantor_id, code.trim())
                .await?;
        }
        "recheck" => {
            a.recheck_guarantor(&staff, &guarantor_id).await?;
        }
        "remove" => a.remove_guarantor(&staff, &guarantor_id, version).await?,
        _ => return Err(AppError::new(ErrorCode::InvalidStep)),
    }
    Ok(())
}

/// 生成保证合同.
#[server(prefix = "/api/fn", endpoint = "generate_guarantee")]
pub async fn generate_guarantee(id: ApplicationId) -> Result<(), AppError> {
    let (services, staff) = session::staff().await?;
    services
        .contracts()
        .generate_guarantee_contract(&staff, &id)
        .await?;
    Ok(())
}

/// The guarantor signs face to face: the code and the drawn signature.
#[server(prefix = "/api/fn", endpoint = "sign_guarantee", input = server_fn::codec::Json)]
pub async fn sign_guarantee(
    guarantor_id: String,
    code: String,
    signature_png_base64: String,
) -> Result<(), AppError> {
    let (services, staff) = session::staff().await?;
    if code.len() > 16 {
        return Err(AppError::new(ErrorCode::CodeInvalid));
    }
    let bytes = crate::components::signing::signature_bytes(&signature_png_base64)?;
    services
        .contracts()
        .sign_guarantee(&staff, &guarantor_id, code.trim(), &bytes)
        .await?;
    Ok(())
}

#[component]
pub fn GuarantorPanel(
    id: ApplicationId,
    refresh: RwSignal<u32>,
    notice: RwSignal<Option<&'static str>>,
) -> impl IntoView {
    let id = StoredValue::new(id);
    let data = load_on_refresh(refresh, move || guarantors(id.get_value()));
    move || {
        data.get().map(|r| match r {
            Ok(d) if !d.panel.required && d.panel.items.is_empty() => ().into_any(),
            Ok(d) => {
                view! { <Body data=d id=id.get_value() refresh=refresh notice=notice /> }.into_any()
            }
            Err(e) => view! { <div class="alert alert-error" role="alert">{e.message(t())}</div> }
                .into_any(),
        })
    }
}

#[component]
fn Body(
    data: GuarantorData,
    id: ApplicationId,
    refresh: RwSignal<u32>,
    notice: RwSignal<Option<&'static str>>,
) -> impl IntoView {
    let t = t();
    let panel = data.panel;
    let state = match panel.not_ready {
        Some(code) => view! { <p class="alert alert-info" data-testid="guarantors-not-ready">{t.error(code)}</p> }.into_any(),
        None if panel.required => view! { <p class="alert alert-success" data-testid="guarantors-ready">{t.gtr_ready}</p> }.into_any(),
        None => ().into_any(),
    };
    let error = RwSignal::new(None::<AppError>);
    let draw = Action::new(move |id: &ApplicationId| {
        let id = id.clone();
        async move { generate_guarantee(id).await }
    });
    after_action(draw, error, refresh, notice, t.gtr_contract_drawn);
    let draw_id = StoredValue::new(id.clone());
    let progress = panel.contract.as_ref().map(|c| {
        fill(
            t.gtr_signed_of,
            &[("n", c.signed.to_string()), ("of", c.signers.to_string())],
        )
    });
    view! {
        <section class="ws-panel" data-testid="guarantors">
            <div class="ws-panel-header">
                <h2 class="section-title">{t.gtr_title}</h2>
                {panel.required.then(|| view! { <span class="badge badge-submitted">{t.gtr_required}</span> })}
            </div>
            {state}
            {(!panel.items.is_empty()).then(|| view! {
                <ul class="clt-list">
                    {panel.items.iter().cloned().map(|g| view! { <Row g=g refresh=refresh notice=notice /> }).collect_view()}
                </ul>
            })}
            {data.contract.map(|c| view! {
                <div class="gtr-contract stack" data-testid="guarantee-contract">
                    <p class="muted small" data-testid="guarantee-progress">{progress.clone()}</p>
                    <ContractSummary c=c pending=t.gtr_contract_pending on_voided=Callback::new(move |_| refresh.update(|n| *n += 1)) />
                </div>
            })}
            {panel.can_draw_contract.then(|| view! {
                <button class="btn btn-primary" data-testid="generate-guarantee"
                    disabled=move || draw.pending().get()
                    on:click=move |_| {
                        if !draw.pending().get_untracked() {
                            error.set(None);
                            draw.dispatch(draw_id.get_value());
                        }
                    }>
                    {move || if draw.pending().get() { t.processing } else { t.gtr_draw_contract }}
                </button>
            })}
            <FormError error=error />
            {panel.can_record.then(|| view! { <RecordForm id=id refresh=refresh notice=notice /> })}
        </section>
    }
}

fn status_badge(s: GuarantorStatus) -> &'static str {
    match s {
        GuarantorStatus::Signed => "badge badge-approved",
        GuarantorStatus::Accepted => "badge badge-investigated",
        GuarantorStatus::Declined => "badge badge-rejected",
        GuarantorStatus::Removed => "badge",
        GuarantorStatus::Recorded | GuarantorStatus::Consented => "badge badge-submitted",
    }
}

#[component]
fn Row(
    g: GuarantorView,
    refresh: RwSignal<u32>,
    notice: RwSignal<Option<&'static str>>,
) -> impl IntoView {
    let t = t();
    let error = RwSignal::new(None::<AppError>);
    let (gid, version) = (StoredValue::new(g.id.clone()), g.version);
    let step = Action::new(move |(s, code): &(&'static str, String)| {
        let (s, code) = (*s, code.clone());
        async move { guarantor_step(gid.get_value(), s.to_string(), code, version).await }
    });
    after_action(step, error, refresh, notice, t.gtr_done);
    let score = match (g.bureau_score, g.status) {
        (Some(n), _) => Some(if g.bureau_synthetic {
            fill(t.gtr_score_synthetic, &[("n", n.to_string())])
        } else {
            n.to_string()
        }),
        (None, GuarantorStatus::Accepted | GuarantorStatus::Signed) => {
            Some(t.gtr_no_history.to_string())
        }
        _ => None,
    };
    let recorded = g.status == GuarantorStatus::Recorded;
    view! {
        <li class="clt-item" data-testid="guarantor-row">
            <div class="clt-head">
                <strong>{g.name.clone()}</strong>
                <span class="muted small">{t.guarantor_relation(g.relation)}</span>
                <span class=status_badge(g.status) data-testid="guarantor-status">{t.guarantor_status(g.status)}</span>
            </div>
            <dl class="kv clt-kv">
                <dt>{t.id_number}</dt>
                <dd class="mono">{g.id_number_masked.clone()}</dd>
                <dt>{t.phone}</dt>
                <dd class="mono">{g.phone_masked.clone()}</dd>
                {(!g.note.is_empty()).then(|| view! { <dt>{t.gtr_note}</dt><dd>{g.note.clone()}</dd> })}
                {score.map(|s| view! { <dt>{t.gtr_bureau}</dt><dd data-testid="guarantor-score">{s}</dd> })}
                {g.decline_reason.map(|r| view! { <dt>{t.gtr_declined_why}</dt><dd class="gtr-declined">{t.decline_reason(r)}</dd> })}
                {g.consented_at.map(|at| view! { <dt>{t.gtr_consented_at}</dt><dd>{datetime(at)}</dd> })}
                {g.signed_at.map(|at| view! { <dt>{t.gtr_signed_at}</dt><dd>{datetime(at)}</dd> })}
            </dl>
            {g.bureau_unavailable.then(|| view! { <p class="alert alert-info">{t.err_guarantor_bureau_unavailable}</p> })}
            {(g.can_consent && recorded).then(|| view! { <ConsentForm gid=gid.get_value() step=step error=error /> })}
            <div class="clt-actions">
                {(g.can_consent && g.status == GuarantorStatus::Consented).then(|| view! {
                    <button class="btn btn-secondary" data-testid="guarantor-recheck" disabled=move || step.pending().get()
                        on:click=move |_| { error.set(None); step.dispatch(("recheck", String::new())); }>{t.gtr_recheck}</button>
                })}
                {g.can_remove.then(|| view! {
                    <button class="btn btn-secondary" data-testid="guarantor-remove" disabled=move || step.pending().get()
                        on:click=move |_| { error.set(None); step.dispatch(("remove", String::new())); }>{t.gtr_remove}</button>
                })}
            </div>
            {g.can_sign.then(|| view! { <SignForm gid=gid.get_value() name=g.name.clone() refresh=refresh notice=notice /> })}
            <FormError error=error />
        </li>
    }
}

/// 面签授权: the guarantor reads what they agree to and types the code.
#[component]
fn ConsentForm(
    gid: String,
    step: Action<(&'static str, String), Result<(), AppError>>,
    error: RwSignal<Option<AppError>>,
) -> impl IntoView {
    let t = t();
    let code = RwSignal::new(String::new());
    let gid = StoredValue::new(gid);
    let send = Action::new(move |_: &()| {
        let gid = gid.get_value();
        async move { guarantor_code(gid, "consent".into()).await }
    });
    view! {
        <div class="gtr-step stack" data-testid="guarantor-consent">
            <p class="field-hint">{t.gtr_consent_text}</p>
            <CodeField input_id="gtr-consent-code" code=code send=send error=error send_testid="guarantor-send-consent" />
            <button class="btn btn-primary" data-testid="guarantor-confirm-consent" disabled=move || step.pending().get()
                on:click=move |_| {
                    if !step.pending().get_untracked() {
                        error.set(None);
                        step.dispatch(("consent", code.get_untracked()));
                    }
                }>
                {move || if step.pending().get() { t.gtr_checking } else { t.gtr_confirm_consent }}
            </button>
        </div>
    }
}

/// 面签保证合同: the guarantor's code and drawn signature.
#[component]
fn SignForm(
    gid: String,
    name: String,
    refresh: RwSignal<u32>,
    notice: RwSignal<Option<&'static str>>,
) -> impl IntoView {
    let t = t();
    let code = RwSignal::new(String::new());
    let error = RwSignal::new(None::<AppError>);
    let drawn = RwSignal::new(false);
    let canvas = NodeRef::<leptos::html::Canvas>::new();
    let gid = StoredValue::new(gid);
    let send = Action::new(move |_: &()| {
        let gid = gid.get_value();
        async move { guarantor_code(gid, "sign".into()).await }
    });
    let sign = Action::new(move |(code, png): &(String, String)| {
        let (code, png) = (code.clone(), png.clone());
        async move { sign_guarantee(gid.get_value(), code, png).await }
    });
    after_action(sign, error, refresh, notice, t.gtr_signed);
    view! {
        <details class="disb-bind gtr-step" data-testid="guarantor-sign">
            <summary>{fill(t.gtr_sign_title, &[("name", name)])}</summary>
            <div class="form stack">
                <p class="field-hint">{t.gtr_sign_hint}</p>
                <CodeField input_id="gtr-sign-code" code=code send=send error=error send_testid="guarantor-send-sign" />
                <div class="field">
                    <span class="ct-label">{t.ct_signature_label}</span>
                    <SignaturePad canvas=canvas drawn=drawn />
                </div>
                <FormError error=error />
                <button class="btn btn-primary" data-testid="guarantor-sign-button" disabled=move || sign.pending().get()
                    on:click=move |_| {
                        if sign.pending().get_untracked() {
                            return;
                        }
                        error.set(None);
                        if !drawn.get_untracked() {
                            error.set(Some(AppError::new(ErrorCode::ContractSignatureMissing)));
                            return;
                        }
                        sign.dispatch((code.get_untracked(), signature_png(canvas)));
                    }>
                    {move || if sign.pending().get() { t.ct_signing } else { t.ct_sign_button }}
                </button>
            </div>
        </details>
    }
}

#[component]
fn RecordForm(
    id: ApplicationId,
    refresh: RwSignal<u32>,
    notice: RwSignal<Option<&'static str>>,
) -> impl IntoView {
    let t = t();
    let name = RwSignal::new(String::new());
    let id_number = RwSignal::new(String::new());
    let phone = RwSignal::new(String::new());
    let relation = RwSignal::new(GuarantorRelation::Relative);
    let note = RwSignal::new(String::new());
    let error = RwSignal::new(None::<AppError>);
    let save = Action::new(move |_: &()| {
        let form = GuarantorForm {
            name: name.get_untracked(),
            id_number: id_number.get_untracked(),
            phone: phone.get_untracked(),
            relation: relation.get_untracked(),
            note: note.get_untracked(),
        };
        let id = id.clone();
        async move { record_guarantor(id, form).await }
    });
    after_action(save, error, refresh, notice, t.gtr_recorded);
    let field = move |fid: &'static str,
                      label: &'static str,
                      value: RwSignal<String>,
                      mode: &'static str,
                      max: &'static str| {
        view! {
            <div class="field">
                <label for=fid>{label}</label>
                <input id=fid class="input" type="text" inputmode=mode maxlength=max prop:value=value
                    on:input=move |ev| value.set(event_target_value(&ev)) />
            </div>
        }
    };
    view! {
        <details class="disb-bind" data-testid="guarantor-record">
            <summary>{t.gtr_record_title}</summary>
            <div class="form col-form">
                {field("gtr-name", t.gtr_name, name, "text", "40")}
                {field("gtr-id", t.id_number, id_number, "text", "18")}
                {field("gtr-phone", t.phone, phone, "tel", "11")}
                <div class="field">
                    <label for="gtr-relation">{t.gtr_relation}</label>
                    <select id="gtr-relation" class="input" on:change=move |ev| {
                        if let Some(r) = GuarantorRelation::parse(&event_target_value(&ev)) { relation.set(r) }
                    }>
                        {GuarantorRelation::ALL.iter().copied().map(|r| view! {
                            <option value=r.as_str() selected=move || relation.get() == r>{t.guarantor_relation(r)}</option>
                        }).collect_view()}
                    </select>
                </div>
                {field("gtr-note", t.gtr_note, note, "text", "200")}
                <FormError error=error />
                <button class="btn btn-primary" data-testid="guarantor-save" disabled=move || save.pending().get()
                    on:click=move |_| {
                        if !save.pending().get_untracked() {
                            error.set(None);
                            save.dispatch(());
                        }
                    }>{move || if save.pending().get() { t.processing } else { t.gtr_save }}</button>
            </div>
        </details>
    }
}
