//! The server functions shared by pages of both surfaces: signing out and who
//! the customer is. Every other server function lives beside the page that
//! calls it (`pages/customer/*`, `pages/staff/*`). Each is a few lines: who is
//! calling (session), call the service, map the error. No business rule
//! lives there.

use crate::error::AppError;
use domain::view::CustomerInfo;
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use crate::session;

#[server(prefix = "/api/fn", endpoint = "logout")]
pub async fn logout() -> Result<(), AppError> {
    session::end().await
}

#[server(prefix = "/api/fn", endpoint = "current_customer")]
pub async fn current_customer() -> Result<Option<CustomerInfo>, AppError> {
    match session::customer().await {
        Ok((_, actor)) => Ok(Some(CustomerInfo {
            name: actor.name,
            phone_masked: actor.phone_masked,
        })),
        Err(err) if err.signed_out_is_fine() => Ok(None),
        Err(err) => Err(err),
    }
}
