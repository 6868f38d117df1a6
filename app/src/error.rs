//! The one error that crosses the server-function boundary: an
//! [`ErrorCode`] (sent as its stable snake_case string) and its parameters.
//! Internal causes are logged on the server and never sent to the browser.

pub use domain::error_code::ErrorCode;
use serde::{Deserialize, Serialize};
use server_fn::codec::JsonEncoding;
use server_fn::error::{FromServerFnError, ServerFnErrorErr};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("{code}")]
pub struct AppError {
    pub code: ErrorCode,
    pub params: Vec<(String, String)>,
}

impl AppError {
    pub fn new(code: ErrorCode) -> Self {
        AppError {
            code,
            params: Vec::new(),
        }
    }

    /// Bad input refused by a server function before it reaches the
    /// service: answered with 400, like the service's own refusals (not 500,
    /// which would mean the server failed).
    pub fn invalid(code: ErrorCode) -> Self {
        #[cfg(feature = "ssr")]
        set_api_status(http::StatusCode::BAD_REQUEST);
        AppError::new(code)
    }

    /// No session, or an expired one: answered with 401, not 500.
    pub fn unauthenticated() -> Self {
        #[cfg(feature = "ssr")]
        set_api_status(http::StatusCode::UNAUTHORIZED);
        AppError::new(ErrorCode::Unauthenticated)
    }

    /// Signed in with a one-time password: answered with 403 until the
    /// member of staff has chosen their own.
    pub fn password_change_required() -> Self {
        AppError::forbidden_until(ErrorCode::PasswordChangeRequired)
    }

    /// Signed in, but refused (403) until the member of staff has done
    /// `code` (chosen a password, added a second factor).
    pub fn forbidden_until(code: ErrorCode) -> Self {
        #[cfg(feature = "ssr")]
        set_api_status(http::StatusCode::FORBIDDEN);
        AppError::new(code)
    }

    /// For a server function that answers "nobody signed in" as a value
    /// (`Ok(None)`) rather than as this error: the status goes back to 200.
    pub fn signed_out_is_fine(&self) -> bool {
        #[cfg(feature = "ssr")]
        if self.is_unauthenticated() {
            set_api_status(http::StatusCode::OK);
        }
        self.is_unauthenticated()
    }

    /// The same error with a placeholder value for its message.
    pub fn with(mut self, name: &str, value: impl Into<String>) -> Self {
        self.params.push((name.to_string(), value.into()));
        self
    }

    /// The message in the user's locale, placeholders filled.
    pub fn message(&self, texts: &crate::i18n::Texts) -> String {
        let params: Vec<(&str, String)> = self
            .params
            .iter()
            .map(|(k, v)| (k.as_str(), v.clone()))
            .collect();
        let message = crate::i18n::fill(texts.error(self.code), &params);
        // A product refusal names the parameter it is about.
        match params
            .iter()
            .find(|(k, _)| *k == "field")
            .and_then(|(_, v)| texts.product_field(v))
        {
            Some(label) => crate::i18n::fill(
                texts.field_message,
                &[("field", label.to_string()), ("message", message)],
            ),
            None => message,
        }
    }

    pub fn is_unauthenticated(&self) -> bool {
        self.code == ErrorCode::Unauthenticated
    }
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        // Transport failures (offline, timeouts) and malformed requests.
        match value {
            ServerFnErrorErr::Args(_) | ServerFnErrorErr::MissingArg(_) => {
                AppError::new(ErrorCode::FieldRequired)
            }
            _ => AppError::new(ErrorCode::Network),
        }
    }
}

/// Sets the status of a server-function call answered over HTTP. Never of a
/// page: a page rendered on the server calls server functions in-process
/// and shares their response options, and an error one of them swallows
/// (an anonymous visitor's `products()`) must not turn the page into a 401.
#[cfg(feature = "ssr")]
fn set_api_status(status: http::StatusCode) {
    use leptos::prelude::use_context;
    let api = use_context::<http::request::Parts>()
        .is_some_and(|parts| parts.uri.path().starts_with("/api/fn/"));
    if api {
        if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
            response.set_status(status);
        }
    }
}

/// A server function that turned a refusal into an answer: the status
/// goes back to 200.
#[cfg(feature = "ssr")]
pub fn set_ok() {
    set_api_status(http::StatusCode::OK);
}

#[cfg(feature = "ssr")]
impl From<service::ServiceError> for AppError {
    fn from(err: service::ServiceError) -> Self {
        use http::StatusCode;
        use service::ServiceError as E;
        if let E::Internal(cause) = &err {
            tracing::error!(%cause, "internal error in a server function");
        }
        // The status tells other clients of the API what kind of failure it is.
        let status = match &err {
            E::Unauthenticated | E::SecondFactorRequired => StatusCode::UNAUTHORIZED,
            E::Forbidden | E::SelfApproval => StatusCode::FORBIDDEN,
            E::NotFound | E::UnknownCustomer => StatusCode::NOT_FOUND,
            E::StaleState | E::Duplicate => StatusCode::CONFLICT,
            E::AccountLocked { .. } => StatusCode::LOCKED,
            E::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            E::SmsFailed => StatusCode::BAD_GATEWAY,
            E::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
            _ => StatusCode::BAD_REQUEST,
        };
        set_api_status(status);
        AppError {
            code: err.code(),
            params: err.params(),
        }
    }
}
