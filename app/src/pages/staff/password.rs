//! Choosing a new password: what a member of staff signed in with a
//! one-time password (their first sign-in, or after a reset) sees instead
//! of the workbench until they have chosen their own.

use crate::api::logout;
use crate::components::{FormError, LangSwitch};
use crate::error::{AppError, ErrorCode};
use crate::i18n::t;
use domain::view::StaffInfo;
use leptos::prelude::*;
use leptos_meta::Title;

#[cfg(feature = "ssr")]
use crate::session;

/// Replaces the signed-in staff member's password (a one-time one
/// included); the session goes on.
#[server(prefix = "/api/fn", endpoint = "change_password")]
pub async fn change_password(current: String, new: String) -> Result<(), AppError> {
    if current.len() > 1024 || new.len() > 1024 {
        return Err(AppError::invalid(ErrorCode::PasswordTooLong));
    }
    let (services, staff) = session::staff_signed_in().await?;
    Ok(services
        .auth()
        .change_password(&staff, &current, &new)
        .await?)
}

#[component]
pub fn ChangePasswordPage(staff: StaffInfo) -> impl IntoView {
    let t = t();
    let current = RwSignal::new(String::new());
    let new = RwSignal::new(String::new());
    let repeat = RwSignal::new(String::new());
    let error = RwSignal::new(None::<AppError>);
    let username = staff.username.clone();
    // The same policy the server applies, as the user types.
    let policy = Memo::new(move |_| {
        let n = new.get();
        if n.is_empty() {
            return None;
        }
        domain::password::check_new_password(&n, &username)
            .err()
            .map(|e| {
                AppError::new(e.code())
                    .with("min", domain::password::MIN_PASSWORD_CHARS.to_string())
            })
    });
    let save = Action::new(move |(c, n): &(String, String)| {
        let (c, n) = (c.clone(), n.clone());
        async move { change_password(c, n).await }
    });
    Effect::new(move |_| {
        if let Some(result) = save.value().get() {
            match result {
                Ok(()) => {
                    if let Some(w) = web_sys::window() {
                        let _ = w.location().set_href("/staff");
                    }
                }
                Err(e) => {
                    current.set(String::new());
                    error.set(Some(e));
                }
            }
        }
    });
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        error.set(None);
        if new.get_untracked() != repeat.get_untracked() {
            error.set(Some(AppError::new(ErrorCode::PasswordMismatch)));
            return;
        }
        save.dispatch((current.get_untracked(), new.get_untracked()));
    };
    let sign_out = Action::new(move |_: &()| async move {
        if logout().await.is_ok() {
            if let Some(w) = web_sys::window() {
                let _ = w.location().set_href(super::LOGIN);
            }
        }
    });
    view! {
        <Title text=format!("{} · {}", t.password_change_title, t.staff_portal) />
        <div class="login-page">
            <form class="login-card form stack" on:submit=on_submit data-testid="password-form">
                <div class="ws-brand">{t.app_name}" · "{t.staff_portal}</div>
                <h1 class="page-title">{t.password_change_title}</h1>
                <p class="muted">{staff.display_name.clone()}" · "{staff.username.clone()}</p>
                <p class="field-hint">{t.password_change_intro}</p>
                <input type="text" name="username" autocomplete="username" value=staff.username.clone() hidden />
                <div class="field">
                    <label for="current-password">{t.password_current}</label>
                    <input id="current-password" type="password" class="input" autocomplete="current-password"
                        required bind:value=current />
                </div>
                <div class="field">
                    <label for="new-password">{t.password_new}</label>
                    <input id="new-password" type="password" class="input" autocomplete="new-password"
                        required maxlength="128" bind:value=new />
                    <p class="field-hint">{t.password_rules}</p>
                    {move || policy.get().map(|e| view! { <p class="field-error" data-testid="password-policy">{e.message(t)}</p> })}
                </div>
                <div class="field">
                    <label for="repeat-password">{t.password_repeat}</label>
                    <input id="repeat-password" type="password" class="input" autocomplete="new-password"
                        required maxlength="128" bind:value=repeat />
                </div>
                <FormError error=error />
                <button type="submit" class="btn btn-primary btn-block" data-testid="save-password"
                    disabled=move || save.pending().get() || policy.with(Option::is_some)>
                    {move || if save.pending().get() { t.processing } else { t.password_save }}
                </button>
                <button type="button" class="btn btn-secondary btn-block" on:click=move |_| { sign_out.dispatch(()); }>{t.logout}</button>
                <LangSwitch />
            </form>
        </div>
    }
}
