//! The providers' notice route (异步通知), `POST /notify/{provider}`: a
//! payment or payout provider tells us, on its own, what became of an order
//! whose answer was lost. Each notice is JSON (`ProviderNotice`), signed
//! with HMAC-SHA256 under the provider's notice key over the timestamp, a
//! line feed and the body (`X-Puhui-Timestamp`, epoch seconds, and
//! `X-Puhui-Signature`, hex). The body is capped before it is read, an
//! unsigned, badly signed or stale notice (more than five minutes off) is
//! refused with 401 and acts on nothing, and a repeat is answered 200
//! without acting again: the provider retries until it hears 200.
//!
//! [`HttpNoticeSink`] is how the development payout provider sends its
//! notices: over HTTP to this route, signed, as a real gateway would.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{post, MethodRouter};
use service::servicing::payouts::{
    notice_signature, notice_signature_holds, NoticeSink, ProviderNotice,
};
use service::Services;

/// The largest notice body read, in bytes.
pub const MAX_NOTICE_BYTES: usize = 16 * 1024;
/// How far a notice's timestamp may be from our clock, in seconds.
const MAX_SKEW_SECS: i64 = 300;
pub const TIMESTAMP_HEADER: &str = "x-puhui-timestamp";
pub const SIGNATURE_HEADER: &str = "x-puhui-signature";

/// The route, with its body cap.
pub fn route(services: Services) -> MethodRouter {
    post(
        move |Path(provider): Path<String>, headers: HeaderMap, body: Bytes| {
            let services = services.clone();
            async move { receive(&services, &provider, &headers, &body).await }
        },
    )
    .layer(DefaultBodyLimit::max(MAX_NOTICE_BYTES))
}

async fn receive(
    services: &Services,
    provider: &str,
    headers: &HeaderMap,
    body: &[u8],
) -> (StatusCode, &'static str) {
    let known = provider == services.payouts.name() || provider == services.payments.name();
    if !known {
        return (StatusCode::NOT_FOUND, "unknown provider");
    }
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let Some(timestamp) = header(TIMESTAMP_HEADER).and_then(|t| t.trim().parse::<i64>().ok())
    else {
        return (StatusCode::UNAUTHORIZED, "timestamp missing");
    };
    let now = services.now() / 1000;
    if (now - timestamp).abs() > MAX_SKEW_SECS {
        tracing::warn!(provider, timestamp, "a stale provider notice refused");
        return (StatusCode::UNAUTHORIZED, "stale");
    }
    let key = services.config.notice_key.as_bytes();
    let signed = header(SIGNATURE_HEADER)
        .is_some_and(|sig| notice_signature_holds(key, timestamp, body, sig));
    if !signed {
        tracing::warn!(provider, "a provider notice with a bad signature refused");
        return (StatusCode::UNAUTHORIZED, "bad signature");
    }
    let notice: ProviderNotice = match serde_json::from_slice(body) {
        Ok(n) => n,
        Err(_) => return (StatusCode::BAD_REQUEST, "not a notice"),
    };
    match services
        .applications()
        .provider_notice(provider, &notice)
        .await
    {
        Ok(new) => {
            tracing::info!(provider, kind = %notice.kind, outcome = %notice.outcome, new, "provider notice");
            (StatusCode::OK, "ok")
        }
        Err(service::ServiceError::NotFound) => (StatusCode::NOT_FOUND, "unknown reference"),
        Err(service::ServiceError::Validation { .. }) => (StatusCode::BAD_REQUEST, "not acted on"),
        Err(e) => {
            tracing::warn!(provider, %e, "a provider notice could not be acted on yet");
            (StatusCode::SERVICE_UNAVAILABLE, "retry")
        }
    }
}

/// Posts the development provider's notices to this server's own notice
/// route, signed, retrying a few times like a gateway does.
#[derive(Clone)]
pub struct HttpNoticeSink {
    /// The server's base address, known once it is bound.
    base: Arc<OnceLock<String>>,
    key: Vec<u8>,
    provider: &'static str,
    client: reqwest::Client,
}

impl HttpNoticeSink {
    pub fn new(base: Arc<OnceLock<String>>, key: &[u8], provider: &'static str) -> Self {
        HttpNoticeSink {
            base,
            key: key.to_vec(),
            provider,
            client: reqwest::Client::new(),
        }
    }
}

impl NoticeSink for HttpNoticeSink {
    fn deliver(&self, notice: ProviderNotice) {
        let sink = self.clone();
        tokio::spawn(async move {
            let Some(base) = sink.base.get() else {
                tracing::warn!("a notice with no server address to send it to");
                return;
            };
            let url = format!("{base}/notify/{}", sink.provider);
            let Ok(body) = serde_json::to_vec(&notice) else {
                return;
            };
            for attempt in 0..5u32 {
                let ts = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(0));
                let sent = sink
                    .client
                    .post(&url)
                    .header(TIMESTAMP_HEADER, ts.to_string())
                    .header(SIGNATURE_HEADER, notice_signature(&sink.key, ts, &body))
                    .header("content-type", "application/json")
                    .body(body.clone())
                    .send()
                    .await;
                match sent {
                    Ok(r) if r.status().is_success() => return,
                    Ok(r) => tracing::warn!(status = %r.status(), attempt, "notice not taken"),
                    Err(e) => tracing::warn!(%e, attempt, "notice not delivered"),
                }
                tokio::time::sleep(Duration::from_secs(2u64 << attempt)).await;
            }
        });
    }
}
