//! The Puhui server: builds the router (Leptos pages, server functions,
//! static files, sessions) around the service layer. `main.rs` adds the CLI.

pub mod assets;
pub mod audit_cmd;
pub mod burst_cmd;
pub mod config;
pub mod contract_cmd;
pub mod eod_cmd;
pub mod notice;
pub mod pfi_cmd;
pub mod precredit_cmd;
pub mod reconcile_cmd;
pub mod schedule_cmd;
pub mod staff_cmd;

use axum::extract::{Path, Query};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::Router;
use leptos::prelude::*;
use leptos_axum::{generate_route_list, LeptosRoutes};
use service::session_store::AnySessionStore;
use service::Services;
use std::collections::HashMap;
use tower_http::compression::CompressionLayer;
use tower_http::services::ServeDir;
use tower_sessions::cookie::SameSite;
use tower_sessions::{Expiry, SessionManagerLayer};

/// How long a session lives without activity.
pub const IDLE_TIMEOUT_MINUTES: i64 = 30;

/// Settings of the web layer that are not Leptos' own.
#[derive(Debug, Clone)]
pub struct WebConfig {
    /// Served over TLS: cookies `Secure` and `__Host-` prefixed, and HSTS.
    pub secure_cookies: bool,
    /// A session ends after this long without a request; each request
    /// starts the wait again.
    pub idle_timeout: time::Duration,
}

impl WebConfig {
    /// The production settings: [`IDLE_TIMEOUT_MINUTES`] of inactivity.
    pub fn new(secure_cookies: bool) -> WebConfig {
        WebConfig {
            secure_cookies,
            idle_timeout: time::Duration::minutes(IDLE_TIMEOUT_MINUTES),
        }
    }
}

/// Leptos options from cargo-leptos' environment, with our defaults when the
/// binary is started on its own (`LEPTOS_SITE_ROOT` etc. override them).
pub fn leptos_options(addr: Option<std::net::SocketAddr>) -> LeptosOptions {
    let mut options = get_configuration(None)
        .map(|c| c.leptos_options)
        .unwrap_or_else(|_| LeptosOptions::builder().output_name("puhui").build());
    if options.output_name.is_empty() {
        options.output_name = "puhui".into();
    }
    if let Some(addr) = addr {
        options.site_addr = addr;
    }
    options
}

/// The whole application router.
pub fn router(services: Services, options: LeptosOptions, web: &WebConfig) -> Router {
    let routes = generate_route_list(app::App);
    let context = {
        let services = services.clone();
        move || provide_context(services.clone())
    };
    let idle = std::time::Duration::from_secs(
        u64::try_from(web.idle_timeout.whole_seconds()).unwrap_or(0),
    );
    let sessions = SessionManagerLayer::new(AnySessionStore::sliding(services.db.clone(), idle))
        // `__Host-`: the browser keeps it only if Secure, for this host, path /.
        .with_name(if web.secure_cookies {
            "__Host-puhui_sid"
        } else {
            "puhui_sid"
        })
        .with_http_only(true)
        .with_same_site(SameSite::Lax)
        .with_secure(web.secure_cookies)
        // The cookie lasts as long as the browser (or the WeChat webview)
        // is open; the store ends a session idle for `idle_timeout`.
        .with_expiry(Expiry::OnSessionEnd);

    let site = std::path::Path::new(options.site_root.as_ref());
    let pkg_route = format!("/{}", options.site_pkg_dir);
    let static_dir = |dir: &str| {
        ServeDir::new(site.join(dir))
            .precompressed_br()
            .precompressed_gzip()
    };
    let app = Router::new()
        .route("/healthz", get(health))
        .nest_service(&pkg_route, static_dir(options.site_pkg_dir.as_ref()))
        .nest_service("/vendor", static_dir("vendor"))
        .route("/lang/{tag}", get(switch_language))
        // 码上营销: an officer's QR code lands here.
        .route(
            "/r/{code}",
            get({
                let services = services.clone();
                let secure = web.secure_cookies;
                move |Path(code): Path<String>| referral_landing(services.clone(), secure, code)
            }),
        )
        // The sealed contract file, for its borrower and for staff in scope.
        .route(
            app::contract_files::CUSTOMER_FILE_ROUTE,
            get({
                let services = services.clone();
                move |session: tower_sessions::Session,
                      Path(id): Path<String>,
                      headers: axum::http::HeaderMap| {
                    app::contract_files::customer_file(services.clone(), session, id, headers)
                }
            }),
        )
        .route(
            app::contract_files::STAFF_FILE_ROUTE,
            get({
                let services = services.clone();
                move |session: tower_sessions::Session,
                      Path(id): Path<String>,
                      headers: axum::http::HeaderMap| {
                    app::contract_files::staff_file(services.clone(), session, id, headers)
                }
            }),
        )
        // A collateral photo, for staff in scope.
        .route(
            app::contract_files::STAFF_PHOTO_ROUTE,
            get({
                let services = services.clone();
                move |session: tower_sessions::Session,
                      Path(id): Path<String>,
                      headers: axum::http::HeaderMap| {
                    app::contract_files::staff_photo(services.clone(), session, id, headers)
                }
            }),
        )
        .leptos_routes_with_context(&options, routes, context.clone(), {
            let options = options.clone();
            move || app::shell(options.clone())
        })
        .fallback(leptos_axum::file_and_error_handler_with_context(
            context,
            app::shell,
        ))
        .layer(sessions)
        .layer(CompressionLayer::new())
        .layer(axum::middleware::from_fn(same_origin_only))
        .layer(axum::middleware::from_fn({
            let hsts = web.secure_cookies;
            move |request, next| security_headers(hsts, request, next)
        }))
        .with_state(options);
    // The liveness probe renders a real page through the same router: a
    // reactive graph that deadlocked answers /healthz but not this.
    let probe = app.clone();
    app.route("/livez", get(move || renderer_alive(probe.clone())))
        // Providers call this from their servers: no session, no browser.
        .route("/notify/{provider}", notice::route(services))
}

async fn health() -> &'static str {
    "ok"
}

/// How long the liveness probe waits for a whole page.
const LIVENESS_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);

/// Liveness for an orchestrator or a watchdog: the customer home page,
/// rendered to its last byte (Suspense boundaries and server resources
/// included) within five seconds, or 503. `/healthz` only says the process
/// accepts connections.
async fn renderer_alive(app: Router) -> Response {
    use tower::ServiceExt;
    let render = async move {
        let request = axum::http::Request::get("/")
            .body(axum::body::Body::empty())
            .ok()?;
        let response = app.oneshot(request).await.ok()?;
        if !response.status().is_success() {
            tracing::warn!(status = %response.status(), "liveness: the page did not render");
            return None;
        }
        axum::body::to_bytes(response.into_body(), 8 * 1024 * 1024)
            .await
            .ok()
    };
    match tokio::time::timeout(LIVENESS_TIMEOUT, render).await {
        Ok(Some(page)) if !page.is_empty() => (StatusCode::OK, "ok").into_response(),
        Ok(_) => (StatusCode::SERVICE_UNAVAILABLE, "the renderer failed").into_response(),
        Err(_) => (
            StatusCode::SERVICE_UNAVAILABLE,
            "the renderer did not answer",
        )
            .into_response(),
    }
}

/// Sets the language cookie and goes back to the page the user was on.
async fn switch_language(
    Path(tag): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let locale = app::i18n::Locale::from_tag(&tag);
    let next = query
        .get("next")
        .filter(|n| domain::web::is_local_path(n))
        .cloned()
        .unwrap_or_else(|| "/".into());
    let cookie = format!(
        "{}={}; Path=/; Max-Age=31536000; SameSite=Lax",
        app::LANG_COOKIE,
        locale.tag()
    );
    let mut response = Redirect::to(&next).into_response();
    if let Ok(value) = HeaderValue::from_str(&cookie) {
        response.headers_mut().insert(header::SET_COOKIE, value);
    }
    response
}

/// A visitor by an officer's referral link: the code (an active one) is
/// kept in a cookie for 30 days, through sign-up and onto their
/// applications, and they land on the products; an unknown code lands
/// there too, with nothing kept.
async fn referral_landing(services: Services, secure: bool, code: String) -> Response {
    let mut response = Redirect::to("/").into_response();
    if code.len() > 32 {
        return response;
    }
    match services.onboarding().referral(&code).await {
        Ok(Some(r)) => {
            let cookie = format!(
                "{}={}; Path=/; Max-Age=2592000; HttpOnly; SameSite=Lax{}",
                app::session::REFERRAL_COOKIE,
                r.code,
                if secure { "; Secure" } else { "" }
            );
            if let Ok(value) = HeaderValue::from_str(&cookie) {
                response.headers_mut().insert(header::SET_COOKIE, value);
            }
        }
        Ok(None) => {}
        Err(err) => tracing::warn!(%err, "referral lookup failed"),
    }
    response
}

/// CSRF defence: a state-changing request (anything but GET, HEAD and
/// OPTIONS; sign-in included) made by a browser must come from our own
/// pages. Browsers say where a request comes from in `Sec-Fetch-Site`, or
/// else in `Origin`; a request with neither is not from a browser, which is
/// what a cross-site forgery needs. Refused with 403 and the `forbidden`
/// code, which the pages show in words.
async fn same_origin_only(
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    use axum::http::Method;
    if matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    ) || is_same_origin(request.headers())
    {
        return next.run(request).await;
    }
    tracing::warn!(
        method = %request.method(),
        path = %request.uri().path(),
        "cross-site request refused"
    );
    (
        StatusCode::FORBIDDEN,
        [(header::CONTENT_TYPE, "application/json")],
        r#"{"code":"forbidden","params":[]}"#,
    )
        .into_response()
}

/// Does a browser's request come from this site (see [`same_origin_only`])?
pub fn is_same_origin(headers: &axum::http::HeaderMap) -> bool {
    if let Some(site) = headers.get("sec-fetch-site") {
        return matches!(site.as_bytes(), b"same-origin" | b"none");
    }
    let Some(origin) = headers.get(header::ORIGIN) else {
        return true;
    };
    let authority = origin
        .to_str()
        .ok()
        .and_then(|o| o.split_once("://"))
        .map(|(_, a)| a);
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok());
    authority.is_some() && authority == host
}

/// Security headers on every response. Pages and server-function answers
/// carry personal financial information: never stored by any cache (the
/// static files under /pkg and /vendor are cacheable). Framing only by our
/// own pages; no plugins; forms post only here. HSTS when served over TLS.
async fn security_headers(
    hsts: bool,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let path = request.uri().path();
    let static_file = path.starts_with("/pkg/") || path.starts_with("/vendor/");
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    headers.insert(
        "x-content-type-options",
        HeaderValue::from_static("nosniff"),
    );
    headers.insert("referrer-policy", HeaderValue::from_static("same-origin"));
    headers.insert("x-frame-options", HeaderValue::from_static("SAMEORIGIN"));
    // A page set its own policy, with its scripts' nonce (`app::shell`).
    if !headers.contains_key(header::CONTENT_SECURITY_POLICY) {
        if let Ok(policy) = HeaderValue::from_str(&app::content_security_policy(None)) {
            headers.insert(header::CONTENT_SECURITY_POLICY, policy);
        }
    }
    if hsts {
        headers.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000"),
        );
    }
    if !static_file {
        headers.insert(
            header::CACHE_CONTROL,
            HeaderValue::from_static("private, no-store"),
        );
    }
    response
}
