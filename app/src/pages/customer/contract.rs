//! 合同签署 on the phone: the key terms first, then the whole text in a
//! scrollable block, an SMS code and a signature drawn on a canvas; once
//! signed, the signers, the seal's fingerprint, the sealed file to download
//! and a printable copy (`/me/contracts/:id/print`, the browser's "save as
//! PDF" is the PDF copy). Also the contract cards the progress page and
//! "my loans" show. Every rule (who may sign, the code, signing once) is
//! the service's; the server functions only cap what the browser sends.

use crate::components::customer_frame::{CustomerFrame, Tab};
#[cfg(feature = "ssr")]
use crate::components::signing::signature_bytes;
use crate::components::signing::{signature_png, CodeField, SignaturePad};
use crate::components::{awaited, FormError};
use crate::error::{AppError, ErrorCode};
use crate::format::{datetime, money, rate};
use crate::i18n::{fill, t};
use domain::contract::ContractKind;
use domain::view::{ContractKeyTerms, ContractStatus, ContractView, SentCode};
use leptos::prelude::*;
use leptos_router::hooks::use_params_map;
use serde::{Deserialize, Serialize};

#[cfg(feature = "ssr")]
use crate::session;

/// A contract and the terms of its loan, for the signing page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SigningView {
    pub contract: ContractView,
    /// The terms the contract states (amount, rate, term, method, dates).
    pub terms: ContractKeyTerms,
}

/// One of the customer's contracts in a list (without its text).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContractBrief {
    pub id: String,
    pub contract_no: String,
    pub application_id: String,
    pub kind: ContractKind,
    pub status: ContractStatus,
    pub created_at: i64,
    pub signed_at: Option<i64>,
}

#[server(prefix = "/api/fn", endpoint = "my_contract")]
pub async fn my_contract(id: String) -> Result<SigningView, AppError> {
    let (services, customer) = session::customer().await?;
    let contract = services.contracts().my_contract(&customer, &id).await?;
    let terms = services
        .contracts()
        .my_contract_terms(&customer, &id)
        .await?;
    Ok(SigningView { contract, terms })
}

/// The customer's contracts, newest first, without their text.
#[server(prefix = "/api/fn", endpoint = "my_contracts")]
pub async fn my_contracts() -> Result<Vec<ContractBrief>, AppError> {
    let (services, customer) = session::customer().await?;
    let all = services.contracts().my_contracts(&customer).await?;
    Ok(all
        .into_iter()
        .map(|c| ContractBrief {
            id: c.id,
            contract_no: c.contract_no,
            application_id: c.application_id,
            kind: c.kind,
            status: c.status,
            created_at: c.created_at,
            signed_at: c.signed_at,
        })
        .collect())
}

/// Sends the signing code to the borrower's phone.
#[server(prefix = "/api/fn", endpoint = "send_contract_code")]
pub async fn send_contract_code(id: String) -> Result<SentCode, AppError> {
    let (services, customer) = session::customer().await?;
    Ok(services
        .contracts()
        .send_signing_code(&customer, &id)
        .await?)
}

/// 签约: the code and the drawn signature (a PNG, base64). The size is
/// checked on the text before it is decoded, and again on the bytes; the
/// service signs once whatever repeats.
#[server(prefix = "/api/fn", endpoint = "sign_contract", input = server_fn::codec::Json)]
pub async fn sign_my_contract(
    id: String,
    code: String,
    signature_png_base64: String,
) -> Result<ContractView, AppError> {
    let (services, customer) = session::customer().await?;
    let bytes = signature_bytes(&signature_png_base64)?;
    Ok(services
        .contracts()
        .sign_contract(&customer, &id, code.trim(), &bytes)
        .await?)
}

/// The seal's fingerprint as people compare it: its first 16 hex digits in
/// groups of four.
pub fn fingerprint(seal: &str) -> String {
    let head: Vec<String> = seal
        .chars()
        .take(16)
        .collect::<Vec<_>>()
        .chunks(4)
        .map(|c| c.iter().collect::<String>().to_uppercase())
        .collect();
    head.join(" ")
}

/// The badge class of a contract status.
pub fn status_badge(s: ContractStatus) -> &'static str {
    match s {
        ContractStatus::Generated => "badge badge-investigated",
        ContractStatus::Signed => "badge badge-approved",
        ContractStatus::Voided => "badge badge-withdrawn",
    }
}

#[component]
pub fn ContractPage() -> impl IntoView {
    let t = t();
    let params = use_params_map();
    let data = Resource::new(
        move || params.get().get("id").unwrap_or_default(),
        my_contract,
    );
    // The contract as signing returned it, shown at once (the resource reloads too).
    let signed = RwSignal::new(None::<ContractView>);
    view! {
        <CustomerFrame title=t.ct_page_title tab=Tab::Loans back="/me">
            {awaited(data, super::LOGIN, move |d| {
                let terms = d.terms.clone();
                move || {
                    let c = signed.get().unwrap_or_else(|| d.contract.clone());
                    view! {
                        <section class="card stack ct-head" data-testid="contract">
                            <div class="row">
                                <h1 class="page-title">{t.contract_kind(c.kind)}</h1>
                                <span class=status_badge(c.status) data-testid="contract-status">{t.contract_status(c.status)}</span>
                            </div>
                            <p class="muted ct-no">{t.ct_no}" "{c.contract_no.clone()}</p>
                            <KeyTerms terms=terms.clone() />
                        </section>
                        <section class="card stack">
                            <h2 class="section-title">{t.ct_full_text}</h2>
                            {(c.status == ContractStatus::Generated).then(|| view! { <p class="field-hint">{t.ct_read_hint}</p> })}
                            <ContractText text=c.text.clone() />
                        </section>
                        {match c.status {
                            ContractStatus::Generated => view! {
                                <SignForm contract_id=c.id.clone() signed=signed />
                            }.into_any(),
                            ContractStatus::Signed => view! { <SignedPanel c=c.clone() /> }.into_any(),
                            ContractStatus::Voided => view! {
                                <div class="alert alert-info">{t.ct_voided_notice}</div>
                            }.into_any(),
                        }}
                    }
                }
            })}
        </CustomerFrame>
    }
}

/// The loan's terms as the contract states them: amount, rate, term,
/// method and dates.
#[component]
fn KeyTerms(terms: ContractKeyTerms) -> impl IntoView {
    let t = t();
    view! {
        <div class="ct-terms" data-testid="contract-terms">
            <h2 class="section-title">{t.ct_key_terms}</h2>
            <div class="fig">
                <div class="fig-value money">{money(terms.amount)}" "<span class="ct-unit">{t.yuan}</span></div>
                <div class="fig-label">{t.amount_label}</div>
            </div>
            <dl class="kv">
                <dt>{t.per_year}</dt>
                <dd>{rate(terms.rate)}</dd>
                <dt>{t.loan_term}</dt>
                <dd>{fill(t.months_n, &[("n", terms.term_months.to_string())])}</dd>
                <dt>{t.product_method}</dt>
                <dd>{t.method(terms.method)}</dd>
                <dt>{t.ct_start_date}</dt>
                <dd>{terms.start_date.to_string()}</dd>
                <dt>{t.maturity}</dt>
                <dd>{terms.maturity_date.to_string()}</dd>
            </dl>
        </div>
    }
}

/// The whole text, in a block that scrolls on its own (and with the
/// keyboard: it takes the focus).
#[component]
pub fn ContractText(text: String) -> impl IntoView {
    view! {
        <div class="ct-text" tabindex="0" role="region" aria-label=t().ct_full_text data-testid="contract-text">{text}</div>
    }
}

/// The SMS code (with the resend countdown of the sign-in page), the
/// signature pad and the button. Signing is disabled while it runs, so a
/// double tap signs once; the service would return the signed contract to
/// a second request anyway.
#[component]
fn SignForm(contract_id: String, signed: RwSignal<Option<ContractView>>) -> impl IntoView {
    let t = t();
    let code = RwSignal::new(String::new());
    let error = RwSignal::new(None::<AppError>);
    let drawn = RwSignal::new(false);
    let canvas = NodeRef::<leptos::html::Canvas>::new();
    let id = StoredValue::new(contract_id);

    let send = Action::new(move |_: &()| {
        let id = id.get_value();
        async move { send_contract_code(id).await }
    });
    let sign = Action::new(move |(code, png): &(String, String)| {
        let (id, code, png) = (id.get_value(), code.clone(), png.clone());
        async move { sign_my_contract(id, code, png).await }
    });
    Effect::new(move |_| {
        if let Some(result) = sign.value().get() {
            match result {
                Ok(c) => signed.set(Some(c)),
                Err(e) => error.set(Some(e)),
            }
        }
    });
    let on_sign = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if sign.pending().get_untracked() {
            return;
        }
        error.set(None);
        if !drawn.get_untracked() {
            error.set(Some(AppError::new(ErrorCode::ContractSignatureMissing)));
            return;
        }
        sign.dispatch((code.get_untracked(), signature_png(canvas)));
    };
    view! {
        <section class="card stack" data-testid="sign-form">
            <h2 class="section-title">{t.ct_sign_title}</h2>
            <p class="field-hint">{t.ct_sign_hint}</p>
            <form class="form stack" on:submit=on_sign>
                <CodeField input_id="ct-code" code=code send=send error=error />
                <div class="field">
                    <span class="ct-label">{t.ct_signature_label}</span>
                    <SignaturePad canvas=canvas drawn=drawn />
                </div>
                <FormError error=error />
                <button type="submit" class="btn btn-primary btn-block" data-testid="sign-contract"
                    disabled=move || sign.pending().get()>
                    {move || if sign.pending().get() { t.ct_signing } else { t.ct_sign_button }}
                </button>
            </form>
        </section>
    }
}

/// The signers with their times, the seal's fingerprint, the file and the
/// printable copy.
#[component]
fn SignedPanel(c: ContractView) -> impl IntoView {
    let t = t();
    let file = format!("/me/contracts/{}/file", c.id);
    let print = format!("/me/contracts/{}/print", c.id);
    view! {
        <section class="card stack" data-testid="signed-panel">
            <div class="alert alert-success" role="status">{t.ct_signed_notice}</div>
            <Signers c=c.clone() />
            <div class="ct-actions">
                <a class="btn btn-primary btn-block" href=file rel="external" download data-testid="download-contract">{t.ct_download}</a>
                <a class="btn btn-secondary btn-block" href=print data-testid="print-contract">{t.ct_print}</a>
            </div>
            <p class="field-hint">{t.ct_seal_hint}" "<a href="/verify">{t.ct_verify_link}</a></p>
        </section>
    }
}

/// Who signed and when, and the seal's fingerprint.
#[component]
pub fn Signers(c: ContractView) -> impl IntoView {
    let t = t();
    view! {
        <h2 class="section-title">{t.ct_signers}</h2>
        <ul class="ct-signers" data-testid="signers">
            {c.signers.iter().map(|s| view! {
                <li>
                    <div><strong>{t.signer_role(s.role)}</strong>" "{s.name.clone()}</div>
                    <div class="muted">
                        {(!s.id_number_masked.is_empty()).then(|| view! { <span class="ct-id">{s.id_number_masked.clone()}</span>" · " })}
                        {datetime(s.signed_at_ms)}
                    </div>
                </li>
            }).collect_view()}
        </ul>
        <dl class="kv">
            <dt>{t.ct_signed_at}</dt>
            <dd>{c.signed_at.map(datetime).unwrap_or_default()}</dd>
            <dt>{t.ct_seal}</dt>
            <dd class="ct-fingerprint" data-testid="seal-fingerprint">{c.seal.as_deref().map(fingerprint).unwrap_or_default()}</dd>
        </dl>
    }
}

/// The contract alone on white, for the browser's print (and "save as
/// PDF"): no header, tabs or buttons on paper.
#[component]
pub fn ContractPrintPage() -> impl IntoView {
    let t = t();
    let params = use_params_map();
    let id = move || params.get().get("id").unwrap_or_default();
    let data = Resource::new(id, my_contract);
    let print = move |_| {
        if let Some(w) = web_sys::window() {
            let _ = w.print();
        }
    };
    view! {
        <leptos_meta::Title text=t.ct_print />
        <div class="ct-print-page">
            <div class="ct-print-actions">
                <a class="btn btn-secondary" href=move || format!("/me/contracts/{}", id())>{t.ct_back_to_contract}</a>
                <button type="button" class="btn btn-primary" on:click=print>{t.ct_print_now}</button>
                <p class="field-hint">{t.ct_print_hint}</p>
            </div>
            {awaited(data, super::LOGIN, move |d| {
                let c = d.contract;
                view! {
                    <article class="ct-print" data-testid="contract-print">
                        // The text begins with its own title.
                        <h1 class="sr-only">{t.contract_kind(c.kind)}</h1>
                        <p class="ct-print-no">{t.ct_no}" "{c.contract_no.clone()}</p>
                        <div class="ct-print-text">{c.text.clone()}</div>
                        {(c.status == ContractStatus::Signed).then(|| view! {
                            <div class="ct-print-signed"><Signers c=c.clone() /></div>
                        })}
                    </article>
                }
            })}
        </div>
    }
}

/// The contract of an application on its progress page: a link with the
/// contract's status (待签署 / 已签署), and the mortgage contract's too
/// for a secured loan; nothing before they are drawn up.
#[component]
pub fn ApplicationContract(application_id: String) -> impl IntoView {
    let t = t();
    let data = Resource::new(|| (), |_| my_contracts());
    view! {
        <Suspense fallback=|| ()>
            {move || {
                let application_id = application_id.clone();
                Suspend::new(async move {
                    // The loan contract and, for a secured loan, its mortgage
                    // contract, oldest first.
                    let mut found: Vec<_> = data
                        .await
                        .unwrap_or_default()
                        .into_iter()
                        .filter(|c| {
                            c.application_id == application_id
                                && c.status != ContractStatus::Voided
                        })
                        .collect();
                    found.reverse();
                    found.into_iter().map(|c| {
                        let pending = c.status == ContractStatus::Generated;
                        view! {
                            <a class="card ct-card" href=format!("/me/contracts/{}", c.id) data-testid="application-contract">
                                <div class="row">
                                    <strong>{t.contract_kind(c.kind)}</strong>
                                    <span class=status_badge(c.status)>{t.contract_status(c.status)}</span>
                                </div>
                                <div class="muted">{t.ct_no}" "{c.contract_no.clone()}</div>
                                {pending.then(|| view! { <div class="ct-card-cta">{t.ct_contract_ready}" ›"</div> })}
                            </a>
                        }
                    }).collect_view()
                })
            }}
        </Suspense>
    }
}

/// 我的合同 on "my loans": every contract with its status; nothing when
/// there is none.
#[component]
pub fn MyContractList() -> impl IntoView {
    let t = t();
    let data = Resource::new(|| (), |_| my_contracts());
    view! {
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                let all = data.await.unwrap_or_default();
                (!all.is_empty()).then(|| view! {
                    <h2 class="section-title">{t.ct_my_contracts}</h2>
                    {all.into_iter().map(|c| view! {
                        <a class="card ct-card" href=format!("/me/contracts/{}", c.id) data-testid="contract-card">
                            <div class="row">
                                <strong>{t.contract_kind(c.kind)}</strong>
                                <span class=status_badge(c.status)>{t.contract_status(c.status)}</span>
                            </div>
                            <div class="muted">
                                {t.ct_no}" "{c.contract_no.clone()}" · "
                                <span class="ct-when">{datetime(c.signed_at.unwrap_or(c.created_at))}</span>
                            </div>
                        </a>
                    }).collect_view()}
                })
            })}
        </Suspense>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fingerprint_is_the_seals_head_in_groups() {
        assert_eq!(fingerprint("0a1b2c3d4e5f6789aabb"), "0A1B 2C3D 4E5F 6789");
        assert_eq!(fingerprint(""), "");
    }
}
