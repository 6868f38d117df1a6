//! Phone + one-time SMS code sign-in.

use crate::components::customer_frame::{CustomerFrame, Tab};
use crate::components::FormError;
use crate::error::AppError;
use crate::i18n::{fill, t};
use domain::view::SentCode;
use leptos::prelude::*;
use leptos_router::hooks::{use_navigate, use_query_map};
use std::time::Duration;

#[cfg(feature = "ssr")]
use crate::session;

#[server(prefix = "/api/fn", endpoint = "send_code")]
pub async fn send_code(phone: String) -> Result<SentCode, AppError> {
    let services = session::services()?;
    Ok(services.auth().send_login_code(phone.trim()).await?)
}

/// Signs in with the code; a phone new to the bank is signed up. True when
/// the person must verify who they are next (实名认证).
#[server(prefix = "/api/fn", endpoint = "customer_login")]
pub async fn customer_login(phone: String, code: String) -> Result<bool, AppError> {
    use service::auth::SignedIn;
    let services = session::services()?;
    let ip = session::client_ip().await;
    let referral = session::referral_code();
    match services
        .auth()
        .sign_in_from(phone.trim(), code.trim(), ip, referral.as_deref())
        .await?
    {
        SignedIn::Customer(actor) => {
            session::begin_customer(&services, &actor).await?;
            Ok(false)
        }
        SignedIn::Registrant(actor) => {
            session::begin_registrant(&services, &actor).await?;
            Ok(true)
        }
    }
}

/// Only local paths are allowed as the place to return to.
pub fn safe_next(next: Option<String>, default: &str) -> String {
    match next {
        Some(n) if domain::web::is_local_path(&n) => n,
        _ => default.to_string(),
    }
}

#[component]
pub fn LoginPage() -> impl IntoView {
    let t = t();
    let query = use_query_map();
    let phone = RwSignal::new(String::new());
    let code = RwSignal::new(String::new());
    let countdown = RwSignal::new(0i64);
    let error = RwSignal::new(None::<AppError>);
    let sent_to = RwSignal::new(None::<String>);

    let send = Action::new(move |phone: &String| {
        let phone = phone.clone();
        async move { send_code(phone).await }
    });
    Effect::new(move |_| {
        if let Some(result) = send.value().get() {
            match result {
                Ok(sent) => {
                    error.set(None);
                    sent_to.set(Some(sent.phone_masked));
                    countdown.set(sent.resend_after_secs);
                }
                Err(e) => {
                    if let Some(("seconds", s)) = e
                        .params
                        .iter()
                        .map(|(k, v)| (k.as_str(), v))
                        .find(|(k, _)| *k == "seconds")
                    {
                        countdown.set(s.parse().unwrap_or(0));
                    }
                    error.set(Some(e));
                }
            }
        }
    });
    // One tick a second while a countdown runs.
    Effect::new(move |_| {
        if let Ok(handle) = set_interval_with_handle(
            move || countdown.update(|n| *n = (*n - 1).max(0)),
            Duration::from_secs(1),
        ) {
            on_cleanup(move || handle.clear());
        }
    });

    let login = Action::new(move |(phone, code): &(String, String)| {
        let (phone, code) = (phone.clone(), code.clone());
        async move { customer_login(phone, code).await }
    });
    let navigate = use_navigate();
    Effect::new(move |_| {
        if let Some(result) = login.value().get() {
            match result {
                Ok(new) => {
                    let next = safe_next(query.get_untracked().get("next"), "/me");
                    if new {
                        let to = format!(
                            "{}?next={}",
                            super::IDENTITY,
                            crate::components::urlencode(&next)
                        );
                        navigate(&to, Default::default());
                    } else {
                        navigate(&next, Default::default());
                    }
                }
                Err(e) => error.set(Some(e)),
            }
        }
    });

    let on_send = move |_| {
        error.set(None);
        send.dispatch(phone.get_untracked());
    };
    let on_login = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        error.set(None);
        login.dispatch((phone.get_untracked(), code.get_untracked()));
    };
    let send_label = move || {
        let n = countdown.get();
        if send.pending().get() {
            t.processing.to_string()
        } else if n > 0 {
            fill(t.resend_in, &[("n", n.to_string())])
        } else {
            t.send_code.to_string()
        }
    };

    view! {
        <CustomerFrame title=t.login_title tab=Tab::Me>
            <section class="card">
                <h1 class="page-title">{t.login_title}</h1>
                <p class="muted">{t.login_sub}</p>
                <form class="form stack" on:submit=on_login>
                    <div class="field">
                        <label for="phone">{t.phone_label}</label>
                        <input id="phone" name="phone" class="input" type="tel" inputmode="numeric"
                            autocomplete="tel" maxlength="11" placeholder=t.phone_placeholder
                            bind:value=phone />
                    </div>
                    <div class="field">
                        <label for="code">{t.code_label}</label>
                        <div class="row">
                            <input id="code" name="code" class="input" type="text" inputmode="numeric"
                                autocomplete="one-time-code" maxlength="6" placeholder=t.code_placeholder
                                bind:value=code />
                            <button type="button" class="btn btn-secondary" data-testid="send-code"
                                on:click=on_send
                                disabled=move || { countdown.get() > 0 || send.pending().get() }>
                                {send_label}
                            </button>
                        </div>
                        {move || sent_to.get().map(|p| view! {
                            <p class="field-hint" data-testid="code-sent">{fill(t.code_sent, &[("phone", p)])}</p>
                        })}
                    </div>
                    <FormError error=error />
                    <button type="submit" class="btn btn-primary btn-block" data-testid="login"
                        disabled=move || login.pending().get()>
                        {move || if login.pending().get() { t.processing } else { t.login_button }}
                    </button>
                    <p class="field-hint">{t.login_new_hint}</p>
                    <p class="field-hint">{t.login_privacy}</p>
                </form>
            </section>
        </CustomerFrame>
    }
}
