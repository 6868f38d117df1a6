//! "Me": who is signed in, large text, language, sign out.

use crate::api::{current_customer, logout};
use crate::components::customer_frame::{CustomerFrame, Tab};
use crate::components::{ErrorView, LangSwitch, Loading};
use crate::i18n::t;
use leptos::prelude::*;

/// Turns the large-text mode on or off in the page and in a cookie.
fn set_large_font(on: bool) {
    use wasm_bindgen::JsCast;
    let Some(document) = web_sys::window().and_then(|w| w.document()) else {
        return;
    };
    if let Some(root) = document.document_element() {
        let _ = if on {
            root.class_list().add_1("large-font")
        } else {
            root.class_list().remove_1("large-font")
        };
    }
    if let Ok(html) = document.dyn_into::<web_sys::HtmlDocument>() {
        let value = if on { "large" } else { "normal" };
        let _ = html.set_cookie(&format!(
            "{}={value}; path=/; max-age=31536000; samesite=lax",
            crate::FONT_COOKIE
        ));
    }
}

#[component]
pub fn AccountPage() -> impl IntoView {
    let t = t();
    let me = Resource::new(|| (), |_| current_customer());
    let large = RwSignal::new(crate::large_font());
    let sign_out = Action::new(move |_: &()| async move {
        let result = logout().await;
        if result.is_ok() {
            if let Some(w) = web_sys::window() {
                let _ = w.location().set_href("/");
            }
        }
        result
    });
    view! {
        <CustomerFrame title=t.me_title tab=Tab::Me>
            <h1 class="page-title">{t.me_title}</h1>
            <Suspense fallback=Loading>
                {move || Suspend::new(async move {
                    match me.await {
                        Err(e) => view! { <ErrorView error=e login=super::LOGIN /> }.into_any(),
                        Ok(Some(c)) => view! {
                            <section class="card">
                                <div class="card-title">{c.name}</div>
                                <div class="muted">{c.phone_masked}</div>
                            </section>
                            <a class="card row m-link" href="/me/notices" data-testid="notices-link">
                                <span>{t.notices_title}</span>
                                <span class="muted">"›"</span>
                            </a>
                            <super::bank_cards::BankCards />
                        }.into_any(),
                        Ok(_) => view! {
                            <a class="btn btn-primary btn-block" href=super::LOGIN>{t.login_button}</a>
                        }.into_any(),
                    }
                })}
            </Suspense>
            <section class="card stack">
                <label class="checkbox">
                    <input type="checkbox" prop:checked=large
                        on:change=move |ev| { let on = event_target_checked(&ev); large.set(on); set_large_font(on); } />
                    <span>{t.large_font}<br /><small class="muted">{t.large_font_hint}</small></span>
                </label>
                <div class="row"><span>{t.language}</span><LangSwitch /></div>
            </section>
            <button class="btn btn-secondary btn-block" on:click=move |_| { sign_out.dispatch(()); }>
                {t.logout}
            </button>
        </CustomerFrame>
    }
}
