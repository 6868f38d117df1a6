//! Staff sign-in with username and password, then, for an account with an
//! authenticator app, the app's six-digit code.

use crate::components::{FormError, LangSwitch};
use crate::error::{AppError, ErrorCode};
use crate::i18n::t;
use crate::pages::customer::login::safe_next;
use domain::view::StaffInfo;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_navigate, use_query_map};

#[cfg(feature = "ssr")]
use crate::session;

#[server(prefix = "/api/fn", endpoint = "staff_login")]
pub async fn staff_login(username: String, password: String) -> Result<StaffInfo, AppError> {
    sign_in(&username, &password, None).await
}

/// The second step of signing in to an account with an authenticator app:
/// the password again with the app's code.
#[server(prefix = "/api/fn", endpoint = "staff_login_with_code")]
pub async fn staff_login_with_code(
    username: String,
    password: String,
    code: String,
) -> Result<StaffInfo, AppError> {
    if code.len() > 16 {
        return Err(AppError::invalid(ErrorCode::InvalidCredentials));
    }
    sign_in(&username, &password, Some(code.trim())).await
}

/// Both sign-in steps: the service checks the password (and the code, when
/// the account has a second factor), then a fresh session begins.
#[cfg(feature = "ssr")]
async fn sign_in(
    username: &str,
    password: &str,
    code: Option<&str>,
) -> Result<StaffInfo, AppError> {
    if username.len() > 64 || password.len() > 1024 {
        return Err(AppError::invalid(ErrorCode::InvalidCredentials));
    }
    let services = session::services()?;
    let ip = session::client_ip().await;
    let actor = services
        .auth()
        .staff_login_from(username.trim(), password, code, ip)
        .await?;
    session::begin_staff(&services, &actor).await?;
    Ok(services.sms().staff_info(&actor))
}

/// Whether this server runs the demo bank (its sign-in page then shows the
/// demo accounts); never true in production.
#[server(prefix = "/api/fn", endpoint = "demo_mode")]
pub async fn demo_mode() -> Result<bool, AppError> {
    Ok(session::services()?.config.demo)
}

#[component]
pub fn StaffLoginPage() -> impl IntoView {
    let t = t();
    let query = use_query_map();
    let username = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let code = RwSignal::new(String::new());
    // The server asked for the second factor: the password stays (in
    // memory only) and the code is asked for.
    let needs_code = RwSignal::new(false);
    let error = RwSignal::new(None::<AppError>);
    let login = Action::new(move |(u, p, c): &(String, String, Option<String>)| {
        let (u, p, c) = (u.clone(), p.clone(), c.clone());
        async move {
            match c {
                Some(c) => staff_login_with_code(u, p, c).await,
                None => staff_login(u, p).await,
            }
        }
    });
    // The demo accounts are named only on a demo server, never in production.
    let demo = Resource::new(|| (), |_| demo_mode());
    let navigate = use_navigate();
    Effect::new(move |_| {
        if let Some(result) = login.value().get() {
            match result {
                Ok(_) => navigate(
                    &safe_next(query.get_untracked().get("next"), "/staff"),
                    Default::default(),
                ),
                Err(e) if e.code == ErrorCode::SecondFactorRequired => needs_code.set(true),
                Err(e) if e.code == ErrorCode::SecondFactorInvalid => {
                    code.set(String::new());
                    error.set(Some(e));
                }
                Err(e) => {
                    password.set(String::new());
                    code.set(String::new());
                    needs_code.set(false);
                    error.set(Some(e));
                }
            }
        }
    });
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        error.set(None);
        let c = needs_code.get_untracked().then(|| code.get_untracked());
        login.dispatch((username.get_untracked(), password.get_untracked(), c));
    };
    view! {
        <Title text=format!("{} · {}", t.staff_login_title, t.staff_portal) />
        <div class="login-page">
            <form class="login-card form stack" on:submit=on_submit>
                <div class="ws-brand">{t.app_name}" · "{t.staff_portal}</div>
                <h1 class="page-title">{t.staff_login_title}</h1>
                <div class="field">
                    <label for="username">{t.username}</label>
                    <input id="username" name="username" class="input" autocomplete="username" required bind:value=username />
                </div>
                <div class="field">
                    <label for="password">{t.password}</label>
                    <input id="password" name="password" type="password" class="input" autocomplete="current-password"
                        required bind:value=password />
                </div>
                <Show when=move || needs_code.get()>
                    <div class="field" data-testid="totp-step">
                        <label for="totp-code">{t.totp_code}</label>
                        <input id="totp-code" name="code" class="input totp-code" inputmode="numeric"
                            autocomplete="one-time-code" pattern="[0-9]{6}" maxlength="6" required autofocus
                            bind:value=code />
                        <p class="field-hint">{t.totp_code_hint}</p>
                    </div>
                </Show>
                <FormError error=error />
                <button type="submit" class="btn btn-primary btn-block" data-testid="staff-login"
                    disabled=move || login.pending().get()>
                    {move || if login.pending().get() { t.processing } else { t.login_button }}
                </button>
                <Suspense>
                    {move || Suspend::new(async move {
                        matches!(demo.await, Ok(true))
                            .then(|| view! { <p class="field-hint" data-testid="demo-hint">{t.demo_hint}</p> })
                    })}
                </Suspense>
                <LangSwitch />
            </form>
        </div>
    }
}
