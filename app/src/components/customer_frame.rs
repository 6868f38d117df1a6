//! The frame of every customer page: header, content, bottom tab bar.

use crate::components::LangSwitch;
use crate::i18n::t;
use leptos::prelude::*;
use leptos_meta::Title;

/// Which bottom tab a page belongs to.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Tab {
    Home,
    Loans,
    Me,
    None,
}

#[component]
pub fn CustomerFrame(
    #[prop(into)] title: String,
    tab: Tab,
    /// Where the back arrow goes; no arrow when `None`.
    #[prop(optional, into)]
    back: Option<String>,
    children: Children,
) -> impl IntoView {
    let t = t();
    let tab_class = move |me: Tab| if tab == me { "m-tab active" } else { "m-tab" };
    view! {
        <Title text=format!("{} · {}", title, t.app_name) />
        <div class="m-app">
            <header class="m-header">
                {back.map(|href| view! { <a class="btn-link" href=href aria-label=t.back>"‹ "{t.back}</a> })}
                <span class="m-brand"><span class="m-brand-text">{t.bank_name}</span></span>
                <LangSwitch />
            </header>
            <main class="m-main">{children()}</main>
            <nav class="m-tabbar" aria-label=t.app_name>
                <a class=tab_class(Tab::Home) href="/">{t.tab_home}</a>
                <a class=tab_class(Tab::Loans) href="/me">{t.tab_loans}</a>
                <a class=tab_class(Tab::Me) href="/account">{t.tab_me}</a>
            </nav>
        </div>
    }
}
