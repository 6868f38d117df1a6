//! 实名认证: a person who signed up with their phone photographs both sides
//! of their ID card (read by OCR), checks and corrects what was read, takes
//! a selfie for the face check, and is a customer; then binds the card the
//! loan will be paid into, and goes on to what they came for (`next`).
//!
//! Every step is kept on the server as it is done: leaving and coming back
//! (on this phone or another) resumes at the step reached.

use crate::components::customer_frame::{CustomerFrame, Tab};
use crate::components::{ErrorView, FormError, Loading};
use crate::error::{AppError, ErrorCode};
use crate::i18n::{fill, t};
use domain::view::{CustomerInfo, IdCardFields, OnboardingStep, RegistrationView};
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

#[cfg(feature = "ssr")]
use crate::session;

/// The person's registration; None when they are a customer already.
#[server(prefix = "/api/fn", endpoint = "my_registration")]
pub async fn my_registration() -> Result<Option<RegistrationView>, AppError> {
    match session::registrant().await {
        Ok((services, me)) => Ok(Some(services.onboarding().registration(&me).await?)),
        Err(e) if e.is_unauthenticated() => {
            session::customer().await?;
            Ok(None)
        }
        Err(e) => Err(e),
    }
}

/// A photo of one side of the ID card ("front" or "back"), read by OCR.
#[server(prefix = "/api/fn", endpoint = "read_id_photo")]
pub async fn read_id_photo(
    side: String,
    data_base64: String,
) -> Result<RegistrationView, AppError> {
    let (services, me) = session::registrant().await?;
    let side = match side.as_str() {
        "front" => domain::id_card::CardSide::Front,
        "back" => domain::id_card::CardSide::Back,
        _ => return Err(AppError::invalid(ErrorCode::InvalidStep)),
    };
    let bytes = service::uploads::decode_base64(&data_base64)?;
    Ok(services
        .onboarding()
        .read_id_photo(&me, side, &bytes)
        .await?)
}

/// The fields as the person confirmed or corrected them.
#[server(prefix = "/api/fn", endpoint = "confirm_identity")]
pub async fn confirm_identity(
    name: String,
    id_number: String,
    address: String,
    valid_from: String,
    #[server(default)] valid_to: String,
    #[server(default)] for_life: Option<String>,
) -> Result<RegistrationView, AppError> {
    let (services, me) = session::registrant().await?;
    // Capped before anything reads them.
    if name.len() > 120 || id_number.len() > 40 || address.len() > 600 {
        return Err(AppError::invalid(ErrorCode::FieldRequired));
    }
    if valid_from.len() > 12 || valid_to.len() > 12 {
        return Err(AppError::invalid(ErrorCode::IdValidityInvalid));
    }
    let date = |s: &str| {
        domain::date::Date::parse(s.trim())
            .map_err(|_| AppError::invalid(ErrorCode::IdValidityInvalid))
    };
    let for_life = for_life.is_some_and(|v| !v.is_empty() && v != "false");
    let reading = domain::id_card::IdCardReading {
        name,
        id_number: id_number.trim().to_uppercase(),
        address,
        valid_from: date(&valid_from)?,
        valid_to: if for_life {
            None
        } else {
            Some(date(&valid_to)?)
        },
    };
    Ok(services.onboarding().confirm_identity(&me, reading).await?)
}

/// The selfie: on a pass the person is signed in as the new customer.
#[server(prefix = "/api/fn", endpoint = "verify_selfie")]
pub async fn verify_selfie(data_base64: String) -> Result<CustomerInfo, AppError> {
    let (services, me) = session::registrant().await?;
    let bytes = service::uploads::decode_base64(&data_base64)?;
    let customer = services.onboarding().verify_selfie(&me, &bytes).await?;
    session::begin_customer(&services, &customer).await?;
    Ok(customer.info())
}

fn not_image() -> AppError {
    AppError::new(ErrorCode::UploadNotImage)
}

/// The largest photo the browser sends (the server reads up to 4 MiB).
const SEND_BYTES: usize = 1024 * 1024;

async fn photo(input: &web_sys::HtmlInputElement) -> Result<String, AppError> {
    crate::components::photo::scaled_jpeg_base64(input, SEND_BYTES, not_image).await
}

#[component]
pub fn IdentityPage() -> impl IntoView {
    let t = t();
    let query = use_query_map();
    let next = move || super::login::safe_next(query.get_untracked().get("next"), "/me");
    let reg = Resource::new(|| (), |_| my_registration());
    view! {
        <CustomerFrame title=t.id_title tab=Tab::Me>
            <Suspense fallback=Loading>
                {move || Suspend::new(async move {
                    match reg.await {
                        Err(e) => view! { <ErrorView error=e login=super::LOGIN /> }.into_any(),
                        Ok(None) => view! { <Done next=next() /> }.into_any(),
                        Ok(Some(view)) => view! { <Steps view=view next=next() /> }.into_any(),
                    }
                })}
            </Suspense>
        </CustomerFrame>
    }
}

#[component]
fn Steps(view: RegistrationView, next: String) -> impl IntoView {
    let t = t();
    let state = RwSignal::new(view.clone());
    let step = Memo::new(move |_| state.with(|v| v.step));
    let class = move |me: OnboardingStep| {
        let order = |s: OnboardingStep| match s {
            OnboardingStep::IdPhotos => 0,
            OnboardingStep::Confirm => 1,
            OnboardingStep::Selfie => 2,
            OnboardingStep::Done => 3,
        };
        let (now, mine) = (order(step.get()), order(me));
        if mine < now {
            "m-step done"
        } else if mine == now {
            "m-step current"
        } else {
            "m-step"
        }
    };
    view! {
        <ol class="m-steps" aria-label=t.id_title>
            <li class=move || class(OnboardingStep::IdPhotos)>{t.id_step_photos}</li>
            <li class=move || class(OnboardingStep::Confirm)>{t.id_step_confirm}</li>
            <li class=move || class(OnboardingStep::Selfie)>{t.id_step_face}</li>
        </ol>
        {view.referred_by.clone().map(|name| view! {
            <p class="m-referral" data-testid="referred-by">{fill(t.id_referred_by, &[("name", name)])}</p>
        })}
        {view.ocr_is_dev.then(|| view! {
            <div class="alert alert-warning" data-testid="dev-ocr">{t.id_dev_ocr}</div>
        })}
        {view.face_is_dev.then(|| view! {
            <div class="alert alert-warning" data-testid="dev-face">{t.id_dev_face}</div>
        })}
        {move || match step.get() {
            OnboardingStep::IdPhotos => view! { <Photos state=state /> }.into_any(),
            OnboardingStep::Confirm => view! { <Confirm state=state /> }.into_any(),
            OnboardingStep::Selfie => view! { <Selfie state=state next=next.clone() /> }.into_any(),
            OnboardingStep::Done => view! { <Done next=next.clone() /> }.into_any(),
        }}
    }
}

/// One side's slot: the camera (or album), what happened, and its error.
#[component]
fn Slot(
    side: &'static str,
    title: &'static str,
    hint: &'static str,
    done: Signal<bool>,
    state: RwSignal<RegistrationView>,
) -> impl IntoView {
    let t = t();
    let error = RwSignal::new(None::<AppError>);
    let input = NodeRef::<leptos::html::Input>::new();
    let send = Action::new_local(move |_: &()| async move {
        let Some(el) = input.get_untracked() else {
            return Err(not_image());
        };
        let data = photo(&el).await;
        // The same photo may be chosen again after a refusal.
        el.set_value("");
        read_id_photo(side.to_string(), data?).await
    });
    Effect::new(move |_| match send.value().get() {
        Some(Ok(v)) => {
            error.set(None);
            state.set(v);
        }
        Some(Err(e)) => error.set(Some(e)),
        None => {}
    });
    let id = format!("id-{side}");
    view! {
        <div class="m-id-slot" class:done=move || done.get() data-testid=format!("id-slot-{side}")>
            <label for=id.clone() class="m-id-slot-face">
                <span class="m-id-slot-title">{title}</span>
                <span class="m-id-slot-hint">
                    {move || if send.pending().get() {
                        t.id_reading
                    } else if done.get() {
                        t.id_read_again
                    } else {
                        hint
                    }}
                </span>
            </label>
            <input id=id name=side class="m-file" type="file" accept="image/*" capture="environment"
                node_ref=input
                disabled=move || send.pending().get()
                on:change=move |_| { send.dispatch(()); } />
            <FormError error=error />
        </div>
    }
}

#[component]
fn Photos(state: RwSignal<RegistrationView>) -> impl IntoView {
    let t = t();
    let front = Signal::derive(move || state.with(|v| v.has_front));
    let back = Signal::derive(move || state.with(|v| v.has_back));
    view! {
        <section class="card stack">
            <h1 class="page-title">{t.id_photos_title}</h1>
            <p class="muted">{t.id_photos_sub}</p>
            <Slot side="front" title=t.id_front hint=t.id_tap_front done=front state=state />
            <Slot side="back" title=t.id_back hint=t.id_tap_back done=back state=state />
            <p class="field-hint">{t.id_photos_privacy}</p>
        </section>
    }
}

#[component]
fn Confirm(state: RwSignal<RegistrationView>) -> impl IntoView {
    let t = t();
    let IdCardFields {
        name,
        id_number,
        address,
        valid_from,
        valid_to,
        for_life,
    } = state.get_untracked().fields;
    let name = RwSignal::new(name);
    let id_number = RwSignal::new(id_number);
    let address = RwSignal::new(address);
    let valid_from = RwSignal::new(valid_from);
    let valid_to = RwSignal::new(valid_to);
    let for_life = RwSignal::new(for_life);
    let error = RwSignal::new(None::<AppError>);
    let confirm = Action::new(move |_: &()| {
        let args = (
            name.get_untracked(),
            id_number.get_untracked(),
            address.get_untracked(),
            valid_from.get_untracked(),
            valid_to.get_untracked(),
            for_life.get_untracked().then(|| "on".to_string()),
        );
        async move { confirm_identity(args.0, args.1, args.2, args.3, args.4, args.5).await }
    });
    Effect::new(move |_| match confirm.value().get() {
        Some(Ok(v)) => state.set(v),
        Some(Err(e)) => error.set(Some(e)),
        None => {}
    });
    let retake = move |_| {
        state.update(|v| {
            v.step = OnboardingStep::IdPhotos;
        })
    };
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        error.set(None);
        confirm.dispatch(());
    };
    view! {
        <form class="form stack card" on:submit=on_submit data-testid="id-confirm">
            <h1 class="page-title">{t.id_confirm_title}</h1>
            <p class="muted">{t.id_confirm_sub}</p>
            <div class="field">
                <label for="id-name">{t.id_name}</label>
                <input id="id-name" name="name" class="input" autocomplete="name" maxlength="30" required
                    bind:value=name />
            </div>
            <div class="field">
                <label for="id-number">{t.id_number_label}</label>
                <input id="id-number" name="id_number" class="input mono" maxlength="18" required
                    autocomplete="off" inputmode="text" bind:value=id_number />
            </div>
            <div class="field">
                <label for="id-address">{t.id_address}</label>
                <textarea id="id-address" name="address" class="input" rows="2" maxlength="120" required
                    bind:value=address></textarea>
            </div>
            <div class="field">
                <label for="id-from">{t.id_valid_from}</label>
                <input id="id-from" name="valid_from" class="input" type="date" required bind:value=valid_from />
            </div>
            <div class="field">
                <label for="id-to">{t.id_valid_to}</label>
                <input id="id-to" name="valid_to" class="input" type="date"
                    disabled=move || for_life.get() bind:value=valid_to />
                <label class="checkbox">
                    <input type="checkbox" name="for_life" bind:checked=for_life />
                    <span>{t.id_for_life}</span>
                </label>
            </div>
            <FormError error=error />
            <button type="submit" class="btn btn-primary btn-block" data-testid="id-confirm-submit"
                disabled=move || confirm.pending().get()>
                {move || if confirm.pending().get() { t.processing } else { t.id_confirm_button }}
            </button>
            <button type="button" class="btn btn-secondary btn-block" on:click=retake>{t.id_retake}</button>
        </form>
    }
}

#[component]
fn Selfie(state: RwSignal<RegistrationView>, next: String) -> impl IntoView {
    let t = t();
    let error = RwSignal::new(None::<AppError>);
    let input = NodeRef::<leptos::html::Input>::new();
    let verified = RwSignal::new(false);
    let send = Action::new_local(move |_: &()| async move {
        let Some(el) = input.get_untracked() else {
            return Err(not_image());
        };
        let data = photo(&el).await;
        el.set_value("");
        verify_selfie(data?).await
    });
    Effect::new(move |_| match send.value().get() {
        Some(Ok(_)) => {
            error.set(None);
            verified.set(true);
        }
        Some(Err(e)) => error.set(Some(e)),
        None => {}
    });
    let fields = state.get_untracked().fields;
    let masked = domain::identity::mask_id_number(&fields.id_number);
    let back = move |_| state.update(|v| v.step = OnboardingStep::Confirm);
    view! {
        <Show when=move || verified.get() fallback=move || view! {
            <section class="card stack">
                <h1 class="page-title">{t.id_face_title}</h1>
                <p class="muted">{fill(t.id_face_sub, &[("name", fields.name.clone()), ("id", masked.clone())])}</p>
                <div class="m-id-slot m-selfie">
                    <label for="selfie" class="m-id-slot-face">
                        <span class="m-id-slot-title">{t.id_face_take}</span>
                        <span class="m-id-slot-hint">
                            {move || if send.pending().get() { t.id_face_checking } else { t.id_face_hint }}
                        </span>
                    </label>
                    <input id="selfie" name="selfie" class="m-file" type="file" accept="image/*" capture="user"
                        node_ref=input disabled=move || send.pending().get()
                        on:change=move |_| { send.dispatch(()); } />
                </div>
                <FormError error=error />
                <button type="button" class="btn btn-secondary btn-block" on:click=back>{t.id_edit}</button>
            </section>
        }>
            <Done next=next.clone() />
        </Show>
    }
}

/// Verified: the card to be paid into, and on to what they came for.
#[component]
fn Done(next: String) -> impl IntoView {
    let t = t();
    view! {
        <section class="card stack" data-testid="id-done">
            <div class="m-done-mark" aria-hidden="true">"✓"</div>
            <h1 class="page-title">{t.id_done_title}</h1>
            <p class="muted">{t.id_done_sub}</p>
        </section>
        <super::bank_cards::BankCards />
        <a class="btn btn-primary btn-block" href=next data-testid="id-continue">{t.id_continue}</a>
    }
}
