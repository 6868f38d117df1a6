//! The application form: amount, term, purpose and the credit-inquiry
//! consent. What the customer types is kept in local storage, so a reload or
//! a dropped connection loses nothing; a second click posts once.

use super::product::{default_amount, product, term_options};
use crate::api::current_customer;
use crate::components::calculator::{Calculator, TermSelect};
use crate::components::customer_frame::{CustomerFrame, Tab};
use crate::components::{random_key, storage, urlencode, ErrorView, FormError, Loading};
use crate::error::AppError;
use crate::format::money;
use crate::i18n::{fill, t, use_locale};
use domain::product::GuaranteeType;
use domain::schedule::RepaymentMethod;
use domain::view::ProductView;
use leptos::prelude::*;
use leptos_router::hooks::{use_navigate, use_params_map};
use serde::{Deserialize, Serialize};

#[cfg(feature = "ssr")]
use crate::session;

/// What the applicant chose among the product's options; none: the
/// product's default.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Chosen {
    /// `RepaymentMethod::as_str`.
    #[serde(default)]
    pub repayment_method: Option<String>,
    /// `GuaranteeType::as_str`.
    #[serde(default)]
    pub guarantee_type: Option<String>,
}

#[server(prefix = "/api/fn", endpoint = "submit_application")]
pub async fn submit_application(
    product_id: domain::id::ProductId,
    amount: String,
    term_months: u32,
    purpose: String,
    consent: Option<String>,
    idempotency_key: String,
    #[server(default)] chosen: Chosen,
) -> Result<String, AppError> {
    use crate::error::ErrorCode;
    let (services, customer) = session::customer().await?;
    let repayment_method = match chosen.repayment_method.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(m) => Some(
            domain::schedule::RepaymentMethod::parse(m)
                .ok_or_else(|| AppError::invalid(ErrorCode::ApplicationMethodNotOffered))?,
        ),
    };
    let guarantee_type = match chosen.guarantee_type.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(g) => Some(
            domain::product::GuaranteeType::parse(g)
                .ok_or_else(|| AppError::invalid(ErrorCode::ApplicationGuaranteeNotOffered))?,
        ),
    };
    let amount =
        domain::money::Fen::parse_yuan(&amount).map_err(|e| AppError::invalid(e.code()))?;
    let idempotency_key = if idempotency_key.trim().is_empty() {
        // A form posted before the page hydrated has no key; each such post is new.
        uuid::Uuid::now_v7().to_string()
    } else {
        idempotency_key
    };
    let referral = session::referral_code();
    let id = services
        .applications()
        .submit_application_referred(
            &customer,
            service::applications::NewApplication {
                repayment_method,
                guarantee_type,
                product_id: product_id.to_string(),
                amount,
                term_months,
                purpose,
                consent: consent.is_some_and(|v| !v.is_empty() && v != "false"),
                idempotency_key,
            },
            referral.as_deref(),
        )
        .await?;
    Ok(id)
}

/// What survives a reload.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct Draft {
    amount: String,
    term: u32,
    purpose: String,
    key: String,
    /// The repayment method and guarantee type chosen (codes).
    #[serde(default)]
    method: String,
    #[serde(default)]
    guarantee: String,
}

#[component]
pub fn ApplyPage() -> impl IntoView {
    let t = t();
    let params = use_params_map();
    let id = move || params.get().get("id").unwrap_or_default();
    let data = Resource::new(id, |id| async move {
        let me = current_customer().await?;
        let product = product(id).await?;
        Ok::<_, AppError>((me, product))
    });
    view! {
        <CustomerFrame title=t.apply_title tab=Tab::Home back="/">
            <Suspense fallback=Loading>
                {move || Suspend::new(async move {
                    match data.await {
                        Err(e) => view! { <ErrorView error=e login=super::LOGIN /> }.into_any(),
                        Ok((None, p)) => {
                            let next = format!("{}?next={}", super::LOGIN, urlencode(&format!("/apply/{}", p.id)));
                            view! {
                                <div class="card stack">
                                    <p>{t.apply_login_needed}</p>
                                    <a class="btn btn-primary btn-block" href=next>{t.login_button}</a>
                                </div>
                            }.into_any()
                        }
                        Ok((Some(_), p)) => view! { <ApplyForm product=p /> }.into_any(),
                    }
                })}
            </Suspense>
        </CustomerFrame>
    }
}

#[component]
fn ApplyForm(product: ProductView) -> impl IntoView {
    let t = t();
    let locale = use_locale();
    let draft_key = format!("puhui.apply.{}", product.id);
    let terms = term_options(product.min_term_months, product.max_term_months);
    let amount = RwSignal::new(default_amount(product.min_amount, product.max_amount));
    let term = RwSignal::new(
        terms
            .iter()
            .copied()
            .find(|m| *m >= 12)
            .unwrap_or(product.max_term_months),
    );
    let purpose = RwSignal::new(String::new());
    let method = RwSignal::new(product.method);
    let guarantee = RwSignal::new(product.guarantee_type);
    let consent = RwSignal::new(false);
    let key = RwSignal::new(String::new());
    let restored = RwSignal::new(false);
    let error = RwSignal::new(None::<AppError>);

    let (methods, guarantees) = (product.methods.clone(), product.guarantee_types.clone());
    let elder = crate::large_font();
    // Browser only: restore the draft once, then save it on every change.
    let ready = RwSignal::new(false);
    {
        let (methods, guarantees) = (methods.clone(), guarantees.clone());
        let draft_key = draft_key.clone();
        Effect::new(move |_| {
            match storage::get(&draft_key).and_then(|s| serde_json::from_str::<Draft>(&s).ok()) {
                Some(d) => {
                    amount.set(d.amount);
                    if d.term > 0 {
                        term.set(d.term);
                    }
                    purpose.set(d.purpose);
                    if let Some(m) =
                        RepaymentMethod::parse(&d.method).filter(|m| methods.contains(m))
                    {
                        method.set(m);
                    }
                    if let Some(g) =
                        GuaranteeType::parse(&d.guarantee).filter(|g| guarantees.contains(g))
                    {
                        guarantee.set(g);
                    }
                    key.set(if d.key.is_empty() {
                        random_key()
                    } else {
                        d.key
                    });
                    restored.set(true);
                }
                None => key.set(random_key()),
            }
            ready.set(true);
        });
    }
    {
        let draft_key = draft_key.clone();
        Effect::new(move |_| {
            let draft = Draft {
                amount: amount.get(),
                term: term.get(),
                purpose: purpose.get(),
                key: key.get(),
                method: method.get().as_str().to_string(),
                guarantee: guarantee.get().as_str().to_string(),
            };
            if ready.get() {
                if let Ok(json) = serde_json::to_string(&draft) {
                    storage::set(&draft_key, &json);
                }
            }
        });
    }

    let product_id = product.id.clone();
    let submit = Action::new(move |_: &()| {
        let args = (
            product_id.clone(),
            amount.get_untracked(),
            term.get_untracked(),
            purpose.get_untracked(),
            consent.get_untracked().then(|| "on".to_string()),
            key.get_untracked(),
            Chosen {
                repayment_method: Some(method.get_untracked().as_str().to_string()),
                guarantee_type: Some(guarantee.get_untracked().as_str().to_string()),
            },
        );
        async move { submit_application(args.0, args.1, args.2, args.3, args.4, args.5, args.6).await }
    });
    let navigate = use_navigate();
    Effect::new(move |_| {
        if let Some(result) = submit.value().get() {
            match result {
                Ok(id) => {
                    storage::remove(&draft_key);
                    navigate(&format!("/me/applications/{id}"), Default::default());
                }
                Err(e) => error.set(Some(e)),
            }
        }
    });
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if submit.pending().get_untracked() {
            return;
        }
        error.set(None);
        submit.dispatch(());
    };
    let range = fill(
        t.amount_range,
        &[
            ("min", money(product.min_amount)),
            ("max", money(product.max_amount)),
        ],
    );

    view! {
        <ol class="m-steps" aria-label=t.apply_title>
            <li class="m-step current">{t.step_fill}</li>
            <li class=move || if consent.get() { "m-step done" } else { "m-step" }>{t.step_consent}</li>
            <li class="m-step">{t.step_review}</li>
        </ol>
        <form class="form stack" on:submit=on_submit>
            <section class="card stack">
                <h1 class="page-title">{locale.pick(&product.name_zh, &product.name_en).to_string()}</h1>
                {move || restored.get().then(|| view! { <div class="alert alert-info">{t.draft_restored}</div> })}
                <div class="field">
                    <label for="amount">{t.amount_label}</label>
                    <div class="input-affix">
                        <input id="amount" name="amount" class="input" inputmode="decimal" required
                            placeholder=t.amount_placeholder bind:value=amount />
                        <span class="affix">{t.yuan}</span>
                    </div>
                    <p class="field-hint">{range}</p>
                </div>
                <TermSelect id="term" label=t.term_label terms=terms term=term />
                <div class="field">
                    <label for="purpose">{t.purpose_label}</label>
                    <select id="purpose" name="purpose" class="input" required
                        on:change=move |ev| purpose.set(event_target_value(&ev))>
                        <option value="" selected=move || purpose.get().is_empty()>{t.purpose_choose}</option>
                        {t.purposes().into_iter().map(|(value, label)| view! {
                            <option value=value selected=move || purpose.get() == value>{label}</option>
                        }).collect_view()}
                    </select>
                </div>
                // 关怀模式 takes the shorter path: the product's usual method
                // and security, which the officer may change at the visit.
                {(methods.len() > 1 && !elder).then(|| view! {
                    <fieldset class="field m-choice" data-testid="choose-method">
                        <legend>{t.apply_method}</legend>
                        {methods.iter().map(|m| {
                            let m = *m;
                            view! {
                                <label class="checkbox">
                                    <input type="radio" name="repayment_method" value=m.as_str()
                                        prop:checked=move || method.get() == m
                                        on:change=move |_| method.set(m) />
                                    <span>{t.method(m)}</span>
                                </label>
                            }
                        }).collect_view()}
                    </fieldset>
                })}
                {(guarantees.len() > 1 && !elder).then(|| view! {
                    <fieldset class="field m-choice" data-testid="choose-guarantee">
                        <legend>{t.apply_guarantee}</legend>
                        {guarantees.iter().map(|g| {
                            let g = *g;
                            view! {
                                <label class="checkbox">
                                    <input type="radio" name="guarantee_type" value=g.as_str()
                                        prop:checked=move || guarantee.get() == g
                                        on:change=move |_| guarantee.set(g) />
                                    <span>{t.guarantee(g)}</span>
                                </label>
                            }
                        }).collect_view()}
                        <p class="field-hint">{move || t.guarantee_hint(guarantee.get())}</p>
                    </fieldset>
                })}
                <Calculator amount=amount term=term rate=product.rate method=method />
            </section>
            <section class="card stack">
                <h2 class="section-title">{t.consent_title}</h2>
                <p class="muted consent-text">{t.consent_text}</p>
                <label class="checkbox">
                    <input type="checkbox" name="consent" data-testid="consent"
                        prop:checked=consent on:change=move |ev| consent.set(event_target_checked(&ev)) />
                    <span>{t.consent_checkbox}</span>
                </label>
            </section>
            <FormError error=error />
            <button type="submit" class="btn btn-primary btn-block" data-testid="submit-application"
                disabled=move || submit.pending().get()>
                {move || if submit.pending().get() { t.processing } else { t.submit_application }}
            </button>
        </form>
    }
}
