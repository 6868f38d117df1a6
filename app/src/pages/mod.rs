//! One module per route, grouped by surface.

pub mod customer;
pub mod staff;
pub mod verify;

use crate::i18n::t;
use leptos::prelude::*;

#[component]
pub fn NotFound() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(resp) = use_context::<leptos_axum::ResponseOptions>() {
        resp.set_status(http::StatusCode::NOT_FOUND);
    }
    let t = t();
    view! {
        <div class="m-app">
            <main class="m-main">
                <div class="empty">
                    <h1 class="page-title">{t.not_found_title}</h1>
                    <p>{t.not_found_body}</p>
                    <a class="btn btn-primary" href="/">{t.go_home}</a>
                </div>
            </main>
        </div>
    }
}
