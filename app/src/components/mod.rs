//! Small components shared by pages.

pub mod calculator;
pub mod customer_frame;
pub mod decision;
pub mod photo;
pub mod prepay;
pub mod schedule;
pub mod signing;

use crate::error::{AppError, ErrorCode};
use crate::i18n::{t, use_locale, Locale};
use domain::application::ApplicationStatus;
use leptos::prelude::*;
use leptos_router::components::Redirect;
use leptos_router::hooks::use_location;

/// A loading indicator for Suspense fallbacks.
#[component]
pub fn Loading() -> impl IntoView {
    view! {
        <div class="empty" role="status" aria-live="polite">
            <span class="spinner" aria-hidden="true"></span>
            <span>{t().loading}</span>
        </div>
    }
}

/// Shows an error in the user's language. An expired session sends the
/// user to `login`, keeping where they were so they come back after.
#[component]
pub fn ErrorView(error: AppError, #[prop(into)] login: String) -> impl IntoView {
    if error.code == crate::error::ErrorCode::IdentityNotVerified {
        // Signed up, not verified yet: on to 实名认证, then back here.
        let target = format!(
            "{}?next={}",
            crate::pages::customer::IDENTITY,
            urlencode(&current_url(false))
        );
        return view! {
            <div class="alert alert-info">
                <a href=target.clone()>{t().err_identity_not_verified}</a>
            </div>
            <Redirect path=target />
        }
        .into_any();
    }
    if error.is_unauthenticated() {
        let next = current_url(false);
        let target = format!("{login}?next={}", urlencode(&next));
        return view! {
            <div class="alert alert-info">
                <a href=target.clone()>{t().err_unauthenticated}</a>
            </div>
            <Redirect path=target />
        }
        .into_any();
    }
    view! { <div class="alert alert-error" role="alert">{error.message(t())}</div> }.into_any()
}

/// Shows a server resource: a spinner while it loads, the error in the
/// user's language (or the way to sign in again) when it fails, and what
/// `render` makes of the value otherwise.
pub fn awaited<T, V, F>(
    resource: Resource<Result<T, AppError>>,
    login: &'static str,
    render: F,
) -> impl IntoView
where
    T: Clone + Send + Sync + serde::Serialize + serde::de::DeserializeOwned + 'static,
    F: Fn(T) -> V + Clone + Send + Sync + 'static,
    V: IntoView + 'static,
{
    view! {
        <Suspense fallback=Loading>
            {move || {
                // In the browser, subscribe here too: after hydration the first
                // value is already resolved, and a later refetch must still
                // re-render. Never on the server: a synchronous read there makes
                // the Suspense's server-side effect a subscriber of the
                // resource, and under concurrent requests that lock order
                // deadlocks the reactive graph (leptos-rs/leptos#4673, #4578):
                // every worker parked at 0 % CPU. The server only awaits.
                #[cfg(not(feature = "ssr"))]
                resource.track();
                let render = render.clone();
                Suspend::new(async move {
                    match resource.await {
                        Ok(value) => render(value).into_any(),
                        Err(error) => view! { <ErrorView error=error login=login /> }.into_any(),
                    }
                })
            }}
        </Suspense>
    }
}

/// An inline error for forms: nothing when there is none.
#[component]
pub fn FormError(#[prop(into)] error: Signal<Option<AppError>>) -> impl IntoView {
    move || {
        error.get().map(|e| {
            view! { <div class="alert alert-error" role="alert">{e.message(t())}</div> }
        })
    }
}

#[component]
pub fn StatusBadge(status: ApplicationStatus) -> impl IntoView {
    let class = format!("badge badge-{}", status.as_str());
    view! { <span class=class>{t().status(status)}</span> }
}

/// A link to the other language (a full page load: the server sets the
/// cookie). One link, not two, so it fits a 360-pixel header.
#[component]
pub fn LangSwitch() -> impl IntoView {
    let here = use_location();
    let other = match use_locale() {
        Locale::Zh => Locale::En,
        Locale::En => Locale::Zh,
    };
    let label = match other {
        Locale::Zh => t().lang_zh,
        Locale::En => t().lang_en,
    };
    let href = move || {
        format!(
            "/lang/{}?next={}",
            other.tag(),
            urlencode(&url_of(&here, true))
        )
    };
    view! {
        <nav class="lang-switch" aria-label=t().language>
            <a href=href rel="external" hreflang=other.tag() lang=other.tag()>{label}</a>
        </nav>
    }
}

/// The current path with its query string, for "come back here" links.
pub fn current_url(tracked: bool) -> String {
    url_of(&use_location(), tracked)
}

/// The path and query string of a location.
pub fn url_of(here: &leptos_router::location::Location, tracked: bool) -> String {
    let (path, search) = if tracked {
        (here.pathname.get(), here.search.get())
    } else {
        (here.pathname.get_untracked(), here.search.get_untracked())
    };
    if search.is_empty() {
        path
    } else {
        format!("{path}?{search}")
    }
}

/// Percent-encodes a path for a query parameter.
pub fn urlencode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// A fresh random key for idempotent submissions (browser only).
pub fn random_key() -> String {
    #[cfg(not(feature = "ssr"))]
    {
        if let Some(uuid) = web_sys::window()
            .and_then(|w| w.crypto().ok())
            .map(|c| c.random_uuid())
        {
            return uuid;
        }
    }
    String::new()
}

/// Browser local storage, for drafts that survive a reload.
pub mod storage {
    pub fn get(key: &str) -> Option<String> {
        web_sys::window()?
            .local_storage()
            .ok()??
            .get_item(key)
            .ok()?
    }
    pub fn set(key: &str, value: &str) {
        if let Some(Ok(Some(s))) = web_sys::window().map(|w| w.local_storage()) {
            let _ = s.set_item(key, value);
        }
    }
    pub fn remove(key: &str) {
        if let Some(Ok(Some(s))) = web_sys::window().map(|w| w.local_storage()) {
            let _ = s.remove_item(key);
        }
    }
}

/// Reloads the page after a change, so every figure comes from the server.
pub fn reload() {
    if let Some(w) = web_sys::window() {
        let _ = w.location().reload();
    }
}

/// What a panel under a page shows: loaded in the browser once the page is
/// up, and again whenever `refresh` moves (after every action). A second
/// Suspense under the page's own breaks its hydration; this does not.
pub fn load_on_refresh<T, F, Fut>(
    refresh: RwSignal<u32>,
    fetch: F,
) -> RwSignal<Option<Result<T, AppError>>>
where
    T: Clone + Send + Sync + 'static,
    F: Fn() -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = Result<T, AppError>> + Send + 'static,
{
    let data = RwSignal::new(None);
    let load = Action::new(move |_: &()| fetch());
    Effect::new(move |_| {
        refresh.track();
        load.dispatch(());
    });
    Effect::new(move |_| {
        if let Some(r) = load.value().get() {
            data.set(Some(r));
        }
    });
    data
}

/// Handles the result of an action: on success refresh and say so; on a
/// stale page refresh to show what changed, and say that too.
pub fn after_action<I: Send + Sync + 'static, T: Clone + Send + Sync + 'static>(
    action: Action<I, Result<T, AppError>>,
    error: RwSignal<Option<AppError>>,
    refresh: RwSignal<u32>,
    notice: RwSignal<Option<&'static str>>,
    success: &'static str,
) {
    Effect::new(move |_| {
        if let Some(result) = action.value().get() {
            match result {
                Ok(_) => {
                    notice.set(Some(success));
                    refresh.update(|n| *n += 1);
                }
                Err(e) => {
                    if e.code == ErrorCode::ApplicationStateChanged {
                        refresh.update(|n| *n += 1);
                    }
                    error.set(Some(e));
                }
            }
        }
    });
}
