//! The account's second factor: adding an authenticator app (TOTP). Shown
//! instead of the workbench to a member of staff whose role requires one
//! (administrators and approvers in production) until they have added it,
//! and at 账户安全 to anyone who wants one. The server functions it calls
//! live here, beside the page.

use crate::api::logout;
use crate::components::{FormError, LangSwitch};
use crate::error::AppError;
use crate::i18n::t;
use domain::view::StaffInfo;
use leptos::prelude::*;
use leptos_meta::Title;
use serde::{Deserialize, Serialize};

#[cfg(feature = "ssr")]
use crate::error::ErrorCode;
#[cfg(feature = "ssr")]
use crate::session;

/// What the page shows to add the app: the QR code (an SVG drawn on the
/// server, as a data address for an `<img>`) and the secret to type instead.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TotpEnrolmentView {
    pub qr_image: String,
    /// Base32, in groups of four for typing.
    pub secret_groups: String,
}

/// Starts adding an authenticator app to the signed-in account.
#[server(prefix = "/api/fn", endpoint = "begin_totp")]
pub async fn begin_totp() -> Result<TotpEnrolmentView, AppError> {
    let (services, staff) = session::staff_past_password().await?;
    let e = services.staff().begin_totp(&staff).await?;
    let secret_groups = e
        .secret
        .as_bytes()
        .chunks(4)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join(" ");
    Ok(TotpEnrolmentView {
        qr_image: qr_image(&e.uri)?,
        secret_groups,
    })
}

/// A QR code of `text` as an SVG data URL (for an `<img>`).
#[cfg(feature = "ssr")]
pub(crate) fn qr_image(text: &str) -> Result<String, AppError> {
    use base64::Engine;
    let svg = qrcode::QrCode::new(text.as_bytes())
        .map_err(|err| {
            tracing::error!(%err, "QR code");
            AppError::new(ErrorCode::Internal)
        })?
        .render::<qrcode::render::svg::Color>()
        .min_dimensions(200, 200)
        .build();
    Ok(format!(
        "data:image/svg+xml;base64,{}",
        base64::engine::general_purpose::STANDARD.encode(svg)
    ))
}

/// Confirms the app with a code it shows; from then on sign-in asks for one.
#[server(prefix = "/api/fn", endpoint = "confirm_totp")]
pub async fn confirm_totp(code: String) -> Result<(), AppError> {
    if code.len() > 16 {
        return Err(AppError::invalid(ErrorCode::SecondFactorInvalid));
    }
    let (services, staff) = session::staff_past_password().await?;
    Ok(services.staff().confirm_totp(&staff, code.trim()).await?)
}

/// The steps of adding an app: scan, then confirm with a code. On success
/// the whole page reloads into the workbench.
#[component]
fn Enrol() -> impl IntoView {
    let t = t();
    let code = RwSignal::new(String::new());
    let error = RwSignal::new(None::<AppError>);
    let started = Action::new(|_: &()| begin_totp());
    // In the browser only: each start makes a new secret, and one made
    // while the page rendered on the server would be replaced at once.
    Effect::new(move |_| {
        started.dispatch(());
    });
    let confirm = Action::new(move |c: &String| confirm_totp(c.clone()));
    Effect::new(move |_| {
        if let Some(result) = confirm.value().get() {
            match result {
                Ok(()) => {
                    if let Some(w) = web_sys::window() {
                        let _ = w.location().set_href("/staff");
                    }
                }
                Err(e) => {
                    code.set(String::new());
                    error.set(Some(e));
                }
            }
        }
    });
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        error.set(None);
        confirm.dispatch(code.get_untracked());
    };
    view! {
        <ol class="steps-list">
            <li>{t.totp_step_install}</li>
            <li>{t.totp_step_scan}</li>
        </ol>
        {move || match started.value().get() {
            None => view! { <p class="muted">{t.loading}</p> }.into_any(),
            Some(Err(e)) => view! { <p class="field-error">{e.message(t)}</p> }.into_any(),
            Some(Ok(v)) => view! {
                <div class="totp-qr">
                    <img src=v.qr_image alt=t.totp_qr_alt width="200" height="200" data-testid="totp-qr" />
                    <p class="field-hint">{t.totp_manual}</p>
                    <code class="totp-secret" data-testid="totp-secret">{v.secret_groups}</code>
                </div>
            }.into_any(),
        }}
        <form class="form stack" on:submit=on_submit data-testid="totp-form">
            <div class="field">
                <label for="totp-code">{t.totp_step_confirm}</label>
                <input id="totp-code" class="input totp-code" inputmode="numeric" autocomplete="one-time-code"
                    pattern="[0-9]{6}" maxlength="6" required bind:value=code />
            </div>
            <FormError error=error />
            <button type="submit" class="btn btn-primary btn-block" data-testid="totp-confirm"
                disabled=move || confirm.pending().get()>
                {move || if confirm.pending().get() { t.processing } else { t.totp_confirm }}
            </button>
        </form>
    }
}

/// What a member of staff whose role requires a second factor sees instead
/// of the workbench until they have added one.
#[component]
pub fn TotpRequiredPage(staff: StaffInfo) -> impl IntoView {
    let t = t();
    let sign_out = Action::new(move |_: &()| async move {
        if logout().await.is_ok() {
            if let Some(w) = web_sys::window() {
                let _ = w.location().set_href(super::LOGIN);
            }
        }
    });
    view! {
        <Title text=format!("{} · {}", t.totp_title, t.staff_portal) />
        <div class="login-page">
            <div class="login-card stack" data-testid="totp-required">
                <div class="ws-brand">{t.app_name}" · "{t.staff_portal}</div>
                <h1 class="page-title">{t.totp_title}</h1>
                <p class="muted">{staff.display_name.clone()}" · "{staff.username.clone()}</p>
                <p class="field-hint">{t.totp_required_intro}</p>
                <Enrol />
                <button type="button" class="btn btn-secondary btn-block" on:click=move |_| { sign_out.dispatch(()); }>{t.logout}</button>
                <LangSwitch />
            </div>
        </div>
    }
}

/// 账户安全: whether the account signs in with a second factor, and adding
/// one for those whose role does not require it.
#[component]
pub fn SecurityPage() -> impl IntoView {
    let t = t();
    let staff = use_context::<StaffInfo>();
    let enrolled = staff.as_ref().is_some_and(|s| s.totp_enrolled);
    let adding = RwSignal::new(false);
    view! {
        <Title text=format!("{} · {}", t.security_title, t.staff_portal) />
        <div class="ws-panel">
            <div class="ws-panel-header">
                <h1 class="page-title">{t.security_title}</h1>
            </div>
            <section class="card security-card">
                <h2 class="card-title">{t.totp_title}</h2>
                <div class="card-body stack">
                    {if enrolled {
                        view! {
                            <p data-testid="totp-on"><span class="badge badge-approved">{t.totp_on}</span></p>
                            <p class="field-hint">{t.totp_on_hint}</p>
                        }.into_any()
                    } else {
                        view! {
                            <p><span class="badge badge-withdrawn">{t.totp_off}</span></p>
                            <p class="field-hint">{t.totp_optional_intro}</p>
                            <Show when=move || adding.get() fallback=move || view! {
                                <button type="button" class="btn btn-primary" data-testid="totp-add"
                                    on:click=move |_| adding.set(true)>{t.totp_add}</button>
                            }>
                                <Enrol />
                            </Show>
                        }.into_any()
                    }}
                </div>
            </section>
        </div>
    }
}
