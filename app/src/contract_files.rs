//! The sealed contract file as a download, and a collateral photo: plain
//! axum handlers (a link the browser follows, not a server function),
//! mounted by the server at [`CUSTOMER_FILE_ROUTE`], [`STAFF_FILE_ROUTE`]
//! and [`STAFF_PHOTO_ROUTE`]. Each finds the caller
//! in the session as a server function does (`session::customer_in`,
//! `session::staff_in`) and lets the service decide: the borrower's own
//! contract, or staff in scope who read the customer's file. SSR only.

use crate::error::AppError;
use crate::i18n::Locale;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use domain::view::ContractStatus;
use service::Services;
use tower_sessions::Session;

/// The customer's download: `/me/contracts/{id}/file`.
pub const CUSTOMER_FILE_ROUTE: &str = "/me/contracts/{id}/file";
/// Staff's download: `/staff/contracts/{id}/file`.
pub const STAFF_FILE_ROUTE: &str = "/staff/contracts/{id}/file";

/// A collateral photo for staff in scope: `/staff/collateral-photos/{id}`.
pub const STAFF_PHOTO_ROUTE: &str = "/staff/collateral-photos/{id}";

/// A photo of a piece of collateral, for staff who read the customer's file
/// in scope: the image with the type read from its bytes when it was
/// stored, never sniffed, kept only in the browser's private cache.
pub async fn staff_photo(
    services: Services,
    session: Session,
    id: String,
    headers: HeaderMap,
) -> Response {
    let photo = async {
        let staff = crate::session::staff_in(&services, &session).await?;
        Ok::<_, AppError>(
            services
                .applications()
                .collateral_photo(&staff, &id)
                .await?,
        )
    };
    match photo.await {
        Ok((content_type, bytes)) => (
            StatusCode::OK,
            [
                (
                    header::CONTENT_TYPE,
                    HeaderValue::from_str(&content_type)
                        .unwrap_or_else(|_| HeaderValue::from_static("application/octet-stream")),
                ),
                (
                    header::CACHE_CONTROL,
                    HeaderValue::from_static("private, max-age=3600"),
                ),
                (
                    header::X_CONTENT_TYPE_OPTIONS,
                    HeaderValue::from_static("nosniff"),
                ),
            ],
            bytes,
        )
            .into_response(),
        Err(e) => answer(Err(e), &headers),
    }
}

/// The borrower's own signed contract file.
pub async fn customer_file(
    services: Services,
    session: Session,
    id: String,
    headers: HeaderMap,
) -> Response {
    let file = async {
        let customer = crate::session::customer_in(&services, &session).await?;
        let view = services.contracts().my_contract(&customer, &id).await?;
        if view.status != ContractStatus::Signed {
            return Ok(None);
        }
        let bytes = services
            .contracts()
            .export_my_contract(&customer, &id)
            .await?;
        Ok::<_, AppError>(Some((view.contract_no, bytes)))
    };
    answer(file.await, &headers)
}

/// A signed contract file for staff in scope.
pub async fn staff_file(
    services: Services,
    session: Session,
    id: String,
    headers: HeaderMap,
) -> Response {
    let file = async {
        let staff = crate::session::staff_in(&services, &session).await?;
        let view = services.contracts().contract(&staff, &id).await?;
        if view.status != ContractStatus::Signed {
            return Ok(None);
        }
        let bytes = services.contracts().export_contract(&staff, &id).await?;
        Ok::<_, AppError>(Some((view.contract_no, bytes)))
    };
    answer(file.await, &headers)
}

/// The file as an attachment named after the contract number, or why not
/// in the user's language with its status (`None`: not signed yet).
fn answer(file: Result<Option<(String, Vec<u8>)>, AppError>, headers: &HeaderMap) -> Response {
    let texts = locale_of(headers).texts();
    let words = |status: StatusCode, message: String| {
        (
            status,
            [(
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/plain; charset=utf-8"),
            )],
            message,
        )
            .into_response()
    };
    match file {
        Ok(None) => words(StatusCode::CONFLICT, texts.ct_file_not_signed.to_string()),
        Ok(Some((contract_no, bytes))) => {
            // The number is ASCII letters and digits (HT + date + sequence).
            let name: String = contract_no
                .chars()
                .filter(|c| c.is_ascii_alphanumeric())
                .collect();
            let disposition =
                HeaderValue::from_str(&format!("attachment; filename=\"{name}.contract\""))
                    .unwrap_or_else(|_| HeaderValue::from_static("attachment"));
            (
                StatusCode::OK,
                [
                    (
                        header::CONTENT_TYPE,
                        HeaderValue::from_static("application/octet-stream"),
                    ),
                    (header::CONTENT_DISPOSITION, disposition),
                ],
                bytes,
            )
                .into_response()
        }
        Err(e) => {
            let status = match e.code {
                crate::error::ErrorCode::Unauthenticated => StatusCode::UNAUTHORIZED,
                crate::error::ErrorCode::Forbidden => StatusCode::FORBIDDEN,
                crate::error::ErrorCode::NotFound => StatusCode::NOT_FOUND,
                crate::error::ErrorCode::Internal => StatusCode::INTERNAL_SERVER_ERROR,
                _ => StatusCode::CONFLICT,
            };
            words(status, e.message(texts))
        }
    }
}

/// The locale of the `lang` cookie, else Chinese.
fn locale_of(headers: &HeaderMap) -> Locale {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|pair| {
            let (k, v) = pair.trim().split_once('=')?;
            (k == crate::LANG_COOKIE).then(|| Locale::from_tag(v))
        })
        .unwrap_or_default()
}
