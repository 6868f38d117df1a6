//! The Puhui user interface: one Leptos app serving customers (phone),
//! officers and managers (desktop). Server-rendered, hydrated in the browser.

pub mod api;
pub mod audit_words;
#[cfg(feature = "ssr")]
pub mod charts;
pub mod components;
#[cfg(feature = "ssr")]
pub mod contract_files;
pub mod error;
pub mod format;
pub mod i18n;
pub mod pages;
#[cfg(feature = "ssr")]
pub mod session;

use i18n::Locale;
use leptos::prelude::*;
use leptos_meta::{provide_meta_context, MetaTags, Title};
use leptos_router::components::{ParentRoute, Route, Router, Routes};
use leptos_router::path;

/// Name of the cookie holding the chosen locale.
pub const LANG_COOKIE: &str = "lang";
/// Name of the cookie holding the large-text preference.
pub const FONT_COOKIE: &str = "font";

/// Reads a cookie from the current request (server) or the document (browser).
fn cookie(name: &str) -> Option<String> {
    #[cfg(feature = "ssr")]
    let header: Option<String> = use_context::<http::request::Parts>().and_then(|parts| {
        parts
            .headers
            .get_all(http::header::COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .map(str::to_string)
            .reduce(|a, b| format!("{a}; {b}"))
    });
    #[cfg(not(feature = "ssr"))]
    let header: Option<String> = {
        use wasm_bindgen::JsCast;
        web_sys::window()
            .and_then(|w| w.document())
            .and_then(|d| d.dyn_into::<web_sys::HtmlDocument>().ok())
            .and_then(|d| d.cookie().ok())
    };
    header?.split(';').find_map(|pair| {
        let (k, v) = pair.trim().split_once('=')?;
        (k == name).then(|| v.to_string())
    })
}

/// The locale: the `lang` cookie, else Chinese.
pub fn current_locale() -> Locale {
    cookie(LANG_COOKIE)
        .map(|v| Locale::from_tag(&v))
        .unwrap_or_default()
}

/// Whether the customer asked for large text.
pub fn large_font() -> bool {
    cookie(FONT_COOKIE).as_deref() == Some("large")
}

/// The content security policy of every response: framing only by our own
/// pages, no plugins, no `<base>` elsewhere, forms post only here.
pub const CSP_BASE: &str =
    "frame-ancestors 'self'; object-src 'none'; base-uri 'self'; form-action 'self'";

/// The policy of a response. A page runs only the scripts that carry its
/// one-time nonce (Leptos puts it on the hydration script and on every
/// streamed resource), and what those load (`'strict-dynamic'`: the
/// WebAssembly glue, the chart library); `'wasm-unsafe-eval'` lets the
/// WebAssembly compile. `'self'` and `'unsafe-inline'` are only for browsers
/// older than CSP 3 (and 2), which ignore `'strict-dynamic'` (and nonces);
/// newer ones ignore those two words. Without a page (a server function's
/// answer, a file) no script runs but our own files.
pub fn content_security_policy(nonce: Option<&str>) -> String {
    match nonce {
        Some(n) => format!(
            "{CSP_BASE}; script-src 'nonce-{n}' 'strict-dynamic' 'wasm-unsafe-eval' 'self' 'unsafe-inline'"
        ),
        None => format!("{CSP_BASE}; script-src 'self' 'wasm-unsafe-eval'"),
    }
}

pub fn shell(options: LeptosOptions) -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        let nonce = leptos::nonce::use_nonce();
        if let Ok(policy) = http::HeaderValue::from_str(&content_security_policy(nonce.as_deref()))
        {
            response.insert_header(http::header::CONTENT_SECURITY_POLICY, policy);
        }
    }
    let locale = current_locale();
    let html_class = if large_font() { "large-font" } else { "" };
    // Every page served with a development provider says so, in a strip the
    // stylesheet draws from this attribute (outside the hydrated app).
    #[cfg(feature = "ssr")]
    let dev = use_context::<service::Services>()
        .map(|s| s.development_providers())
        .unwrap_or_default();
    #[cfg(not(feature = "ssr"))]
    let dev: Vec<&str> = Vec::new();
    let texts = locale.texts();
    let dev_label = (!dev.is_empty()).then(|| {
        let names: Vec<&str> = dev
            .iter()
            .map(|d| match *d {
                "sms" => texts.dev_sms,
                "bureau" => texts.dev_bureau,
                "esign" => texts.dev_esign,
                "ocr" => texts.dev_ocr,
                "face" => texts.dev_face,
                _ => texts.dev_payments,
            })
            .collect();
        let sep = if locale == Locale::En { ", " } else { "、" };
        i18n::fill(texts.dev_banner, &[("providers", names.join(sep))])
    });
    view! {
        <!DOCTYPE html>
        <html lang=locale.tag() class=html_class>
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1, viewport-fit=cover" />
                <meta name="theme-color" content="#0a7a5a" />
                <meta name="format-detection" content="telephone=no" />
                <link rel="icon" type="image/svg+xml" href="/favicon.svg" />
                <AutoReload options=options.clone() />
                <HydrationScripts options />
                <MetaTags />
            </head>
            <body data-dev=dev_label>
                <App />
            </body>
        </html>
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    let locale = current_locale();
    provide_context(locale);
    let t = locale.texts();
    use pages::{customer, staff};
    // Effects run only in the browser, after hydration: tests and scripts wait for this mark.
    Effect::new(|_| {
        if let Some(body) = web_sys::window()
            .and_then(|w| w.document())
            .and_then(|d| d.body())
        {
            let _ = body.set_attribute("data-hydrated", "true");
        }
    });

    view! {
        <leptos_meta::Stylesheet id="leptos" href="/pkg/puhui.css" />
        <Title text=t.app_name />
        <Router>
            <Routes fallback=pages::NotFound>
                <Route path=path!("/") view=customer::home::HomePage />
                <Route path=path!("/login") view=customer::login::LoginPage />
                <Route path=path!("/products/:id") view=customer::product::ProductPage />
                <Route path=path!("/apply/:id") view=customer::apply::ApplyPage />
                <Route path=path!("/me") view=customer::loans::MyLoansPage />
                <Route path=path!("/me/applications/:id") view=customer::progress::ProgressPage />
                <Route path=path!("/me/notices") view=customer::notices::NoticesPage />
                <Route path=path!("/me/loans/:id") view=customer::schedule::SchedulePage />
                <Route path=path!("/me/loans/:id/settlement") view=customer::schedule::SettlementPage />
                <Route path=path!("/me/contracts/:id") view=customer::contract::ContractPage />
                <Route path=path!("/me/contracts/:id/print") view=customer::contract::ContractPrintPage />
                <Route path=path!("/verify") view=pages::verify::VerifyPage />
                <Route path=path!("/account") view=customer::account::AccountPage />
                <Route path=path!("/identity") view=customer::identity::IdentityPage />
                <Route path=path!("/staff/login") view=staff::login::StaffLoginPage />
                <Route path=path!("/staff/loans/:id/settlement") view=staff::loan::StaffSettlementPage />
                <ParentRoute path=path!("/staff") view=staff::layout::StaffLayout>
                    <Route path=path!("") view=staff::tasks::TasksPage />
                    <Route path=path!("applications/:id") view=staff::application::ApplicationPage />
                    <Route path=path!("customers/:id") view=staff::portrait::PortraitPage />
                    <Route path=path!("loans/:id") view=staff::loan::StaffLoanPage />
                    <Route path=path!("dashboard") view=staff::dashboard::DashboardPage />
                    <Route path=path!("escalations") view=staff::escalations::EscalationsPage />
                    <Route path=path!("precredit") view=staff::precredit::PrecreditJobsPage />
                    <Route path=path!("precredit/:id") view=staff::precredit::PrecreditJobPage />
                    <Route path=path!("products") view=staff::products::ProductsPage />
                    <Route path=path!("contract-templates") view=staff::contract_templates::ContractTemplatesPage />
                    <Route path=path!("relations") view=staff::relations::RelationsPage />
                    <Route path=path!("rules") view=staff::rules::RuleSetsPage />
                    <Route path=path!("rules/:id") view=staff::rule_set::RuleSetPage />
                    <Route path=path!("audit") view=staff::audit::AuditPage />
                    <Route path=path!("eod") view=staff::eod::EodPage />
                    <Route path=path!("lines") view=staff::lines::LinesPage />
                    <Route path=path!("outbox") view=staff::outbox::OutboxPage />
                    <Route path=path!("security") view=staff::security::SecurityPage />
                </ParentRoute>
            </Routes>
        </Router>
    }
}

/// Test support: the shipped source of another crate of the workspace.
#[cfg(test)]
pub(crate) mod sources {
    /// Every `.rs` file under `dir` (relative to the workspace root), each
    /// without its test module.
    pub fn shipped(dir: &str) -> Vec<String> {
        fn files(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
            for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
                let p = e.path();
                if p.is_dir() {
                    files(&p, out);
                } else if p.extension().is_some_and(|x| x == "rs") {
                    out.push(p);
                }
            }
        }
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let mut list = Vec::new();
        files(&root.join(dir), &mut list);
        list.iter()
            .map(|f| {
                let text = std::fs::read_to_string(f).unwrap_or_default();
                text.split("#[cfg(test)]\nmod tests")
                    .next()
                    .unwrap_or("")
                    .to_string()
            })
            .collect()
    }
}
