//! The loan contract on the staff application page (one panel, its own
//! file): its status, number and signers, 生成合同 for the roles that draw
//! contracts up, the full text, and the sealed file once signed.

use crate::components::FormError;
use crate::error::AppError;
use crate::format::datetime;
use crate::i18n::t;
use crate::pages::customer::contract::{status_badge, ContractText, Signers};
use domain::application::ApplicationStatus;
use domain::view::{ContractStatus, ContractView};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[cfg(feature = "ssr")]
use crate::session;

/// The application's loan contract and whether the caller may draw it up.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContractPanelData {
    pub contract: Option<ContractView>,
    pub can_generate: bool,
}

#[server(prefix = "/api/fn", endpoint = "application_contract")]
pub async fn application_contract(application_id: String) -> Result<ContractPanelData, AppError> {
    let (services, staff) = session::staff().await?;
    let contract = services
        .contracts()
        .contract_of_application(&staff, &application_id)
        .await?;
    Ok(ContractPanelData {
        contract,
        can_generate: staff.has_any(&service::contracts::sign::GENERATORS),
    })
}

/// 生成合同: the service returns the contract already drawn up, if any.
#[server(prefix = "/api/fn", endpoint = "generate_contract")]
pub async fn generate_contract(application_id: String) -> Result<ContractView, AppError> {
    let (services, staff) = session::staff().await?;
    Ok(services
        .contracts()
        .generate_contract(&staff, &application_id)
        .await?)
}

/// 作废合同: an unsigned contract, with the reason.
#[server(prefix = "/api/fn", endpoint = "void_contract")]
pub async fn void_contract(id: String, reason: String) -> Result<(), AppError> {
    let (services, staff) = session::staff().await?;
    if reason.len() > 1_000 {
        return Err(AppError::invalid(
            crate::error::ErrorCode::ContractVoidReasonRequired,
        ));
    }
    Ok(services
        .contracts()
        .void_contract(&staff, &id, &reason)
        .await?)
}

#[component]
fn VoidForm(id: String, on_voided: Callback<()>) -> impl IntoView {
    let t = t();
    let reason = RwSignal::new(String::new());
    let error = RwSignal::new(None::<AppError>);
    let id = StoredValue::new(id);
    let void = Action::new(move |_: &()| {
        let (id, reason) = (id.get_value(), reason.get_untracked());
        async move { void_contract(id, reason).await }
    });
    Effect::new(move |_| match void.value().get() {
        Some(Ok(())) => on_voided.run(()),
        Some(Err(e)) => error.set(Some(e)),
        None => {}
    });
    view! {
        <details class="disb-bind" data-testid="void-contract">
            <summary>{t.ct_void_title}</summary>
            <div class="form stack">
                <p class="field-hint">{t.ct_void_hint}</p>
                <div class="field">
                    <label for=move || format!("void-{}", id.get_value())>{t.ct_void_reason}</label>
                    <input id=move || format!("void-{}", id.get_value()) class="input" maxlength="200"
                        data-testid="void-reason" prop:value=reason
                        on:input=move |ev| reason.set(event_target_value(&ev)) />
                </div>
                <FormError error=error />
                <button class="btn btn-danger" data-testid="void-confirm" disabled=move || void.pending().get()
                    on:click=move |_| {
                        if !void.pending().get_untracked() {
                            error.set(None);
                            void.dispatch(());
                        }
                    }>
                    {move || if void.pending().get() { t.processing } else { t.ct_void_button }}
                </button>
            </div>
        </details>
    }
}

/// Loaded in the browser after the page is up (an effect, not a resource
/// under a second `Suspense`: nested in the page's own, that one did not
/// hydrate), and again after 生成合同.
#[component]
pub fn ContractPanel(application_id: String, status: ApplicationStatus) -> impl IntoView {
    let t = t();
    let id = StoredValue::new(application_id);
    let data = RwSignal::new(None::<Result<ContractPanelData, AppError>>);
    let load = Action::new(move |_: &()| {
        let id = id.get_value();
        async move { application_contract(id).await }
    });
    Effect::new(move |_| {
        load.dispatch(());
    });
    Effect::new(move |_| {
        if let Some(r) = load.value().get() {
            data.set(Some(r));
        }
    });
    let error = RwSignal::new(None::<AppError>);
    let generate = Action::new(move |_: &()| {
        let id = id.get_value();
        async move { generate_contract(id).await }
    });
    Effect::new(move |_| match generate.value().get() {
        Some(Ok(_)) => {
            load.dispatch(());
        }
        Some(Err(e)) => error.set(Some(e)),
        None => {}
    });
    let approved = status == ApplicationStatus::Approved;
    let body = move || {
        match data.get() {
        None => view! { <p class="muted">{t.loading}</p> }.into_any(),
        Some(Err(e)) => {
            view! { <div class="alert alert-error" role="alert">{e.message(t)}</div> }.into_any()
        }
        Some(Ok(ContractPanelData {
            contract: Some(c), ..
        })) => view! { <ContractSummary c=c on_voided=Callback::new(move |_| { load.dispatch(()); }) /> }.into_any(),
        Some(Ok(ContractPanelData {
            contract: None,
            can_generate,
        })) => view! {
            <p class="muted">{if approved { t.ct_not_generated } else { t.ct_after_approval }}</p>
            {(approved && can_generate).then(|| view! {
                <button class="btn btn-primary" data-testid="generate-contract"
                    disabled=move || generate.pending().get()
                    on:click=move |_| { error.set(None); generate.dispatch(()); }>
                    {move || if generate.pending().get() { t.processing } else { t.ct_generate }}
                </button>
            })}
        }
        .into_any(),
    }
    };
    view! {
        <section class="ws-panel" data-testid="contract-panel">
            <div class="ws-panel-header"><h2 class="section-title">{t.ct_panel_title}</h2></div>
            {body}
            <FormError error=error />
        </section>
    }
}

#[component]
pub fn ContractSummary(
    c: ContractView,
    /// What an unsigned contract waits for (the borrower's signature on the phone by default).
    #[prop(optional)]
    pending: Option<&'static str>,
    /// Offers 作废合同 while it is unsigned; called once it is voided.
    #[prop(optional)]
    on_voided: Option<Callback<()>>,
) -> impl IntoView {
    let t = t();
    let pending = pending.unwrap_or(t.ct_generated);
    let void = on_voided
        .filter(|_| c.status == ContractStatus::Generated)
        .map(|cb| view! { <VoidForm id=c.id.clone() on_voided=cb /> });
    let signed = c.status == ContractStatus::Signed;
    let file = format!("/staff/contracts/{}/file", c.id);
    let version = if c.template_version == 0 {
        t.ct_default_template.to_string()
    } else {
        c.template_version.to_string()
    };
    view! {
        <div class="stack" data-testid="contract-summary">
            <div class="row">
                <strong>{t.contract_kind(c.kind)}</strong>
                <span class=status_badge(c.status) data-testid="contract-status">{t.contract_status(c.status)}</span>
            </div>
            <dl class="kv">
                <dt>{t.ct_no}</dt>
                <dd data-testid="contract-no">{c.contract_no.clone()}</dd>
                <dt>{t.ct_created_at}</dt>
                <dd>{datetime(c.created_at)}</dd>
                <dt>{t.ct_template_version}</dt>
                <dd>{version}</dd>
            </dl>
            {(c.status == ContractStatus::Generated).then(|| view! { <p class="muted">{pending}</p> })}
            {signed.then(|| view! { <Signers c=c.clone() /> })}
            <details>
                <summary>{t.ct_view_text}</summary>
                <ContractText text=c.text.clone() />
            </details>
            {signed.then(|| view! {
                <a class="btn btn-secondary" href=file rel="external" download data-testid="staff-download-contract">{t.ct_download}</a>
            })}
            {void}
        </div>
    }
}
