//! Staff sign-in with username and password.

use crate::api::{demo_mode, staff_login};
use crate::components::{FormError, LangSwitch};
use crate::error::AppError;
use crate::i18n::t;
use crate::pages::customer::login::safe_next;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_navigate, use_query_map};

#[component]
pub fn StaffLoginPage() -> impl IntoView {
    let t = t();
    let query = use_query_map();
    let username = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let error = RwSignal::new(None::<AppError>);
    let login = Action::new(move |(u, p): &(String, String)| {
        let (u, p) = (u.clone(), p.clone());
        async move { staff_login(u, p).await }
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
                Err(e) => {
                    password.set(String::new());
                    error.set(Some(e));
                }
            }
        }
    });
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        error.set(None);
        login.dispatch((username.get_untracked(), password.get_untracked()));
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
