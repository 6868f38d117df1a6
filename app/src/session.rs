//! Server side of authentication: who is calling, from the session cookie.
//! Every server function starts here, so the role and organisation scope are
//! always checked on the server by the service it then calls.

use crate::error::{AppError, ErrorCode};
use leptos::prelude::*;
use service::auth::{CustomerActor, RegistrantActor, StaffActor};
use service::Services;
use tower_sessions::Session;

const STAFF_KEY: &str = "staff_id";
const CUSTOMER_KEY: &str = "customer_id";
/// A person signed up and not yet verified (实名认证 to do).
const REGISTRANT_KEY: &str = "registration_id";
/// The cookie the referral link `/r/CODE` sets: the officer's code, kept
/// through sign-up and put on the visitor's applications.
pub const REFERRAL_COOKIE: &str = "puhui_ref";
const LOGIN_AT_KEY: &str = "login_at";
/// Absolute session lifetime, whatever the activity (idle timeout is set on the layer).
const STAFF_ABSOLUTE_MS: i64 = 10 * 60 * 60 * 1000;
const CUSTOMER_ABSOLUTE_MS: i64 = 24 * 60 * 60 * 1000;

pub fn services() -> Result<Services, AppError> {
    use_context::<Services>().ok_or_else(|| AppError::new(ErrorCode::Internal))
}

pub async fn session() -> Result<Session, AppError> {
    leptos_axum::extract::<Session>().await.map_err(|err| {
        tracing::error!(%err, "no session layer");
        AppError::new(ErrorCode::Internal)
    })
}

/// The address the request came from, for the audit and the limits of
/// sign-in attempts: the TCP peer, or behind a trusted proxy the address
/// the proxy saw ([`Services::client_address`]).
pub async fn client_ip() -> Option<std::net::IpAddr> {
    let peer = leptos_axum::extract::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
        .await
        .ok()
        .map(|info| info.0.ip());
    let forwarded = use_context::<http::request::Parts>().and_then(|p| {
        p.headers
            .get("x-forwarded-for")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    });
    services().ok()?.client_address(peer, forwarded.as_deref())
}

async fn get_string(session: &Session, key: &str) -> Result<Option<String>, AppError> {
    session.get::<String>(key).await.map_err(|err| {
        tracing::warn!(%err, "unreadable session");
        AppError::unauthenticated()
    })
}

/// Ends the session when it is older than its absolute lifetime.
async fn check_absolute(
    session: &Session,
    services: &Services,
    limit: i64,
) -> Result<(), AppError> {
    let login_at = session
        .get::<i64>(LOGIN_AT_KEY)
        .await
        .ok()
        .flatten()
        .unwrap_or(0);
    if services.clock.now_millis() - login_at > limit {
        let _ = session.flush().await;
        return Err(AppError::unauthenticated());
    }
    Ok(())
}

/// The signed-in staff member, or `unauthenticated`; refused with
/// `password_change_required` while they hold a one-time password, and with
/// `totp_enrolment_required` while their role requires a second factor they
/// have not added.
pub async fn staff() -> Result<(Services, StaffActor), AppError> {
    let (services, actor) = staff_past_password().await?;
    if actor.totp_enrolment_required {
        return Err(AppError::forbidden_until(ErrorCode::TotpEnrolmentRequired));
    }
    Ok((services, actor))
}

/// The signed-in staff member once they have chosen their own password:
/// only for adding a second factor.
pub async fn staff_past_password() -> Result<(Services, StaffActor), AppError> {
    let (services, actor) = staff_signed_in().await?;
    if actor.must_change_password {
        return Err(AppError::password_change_required());
    }
    Ok((services, actor))
}

/// The signed-in staff member even with a one-time password: only for
/// who-am-I and choosing a new password.
pub async fn staff_signed_in() -> Result<(Services, StaffActor), AppError> {
    let services = services()?;
    let session = session().await?;
    let actor = staff_of_session(&services, &session).await?;
    Ok((services, actor))
}

async fn staff_of_session(services: &Services, session: &Session) -> Result<StaffActor, AppError> {
    let id = get_string(session, STAFF_KEY)
        .await?
        .ok_or_else(AppError::unauthenticated)?;
    check_absolute(session, services, STAFF_ABSOLUTE_MS).await?;
    Ok(services.auth().staff_actor(&id).await?)
}

/// The member of staff of a session, outside a server function (a plain
/// axum route, such as a file download): the same checks as [`staff`].
pub async fn staff_in(services: &Services, session: &Session) -> Result<StaffActor, AppError> {
    let actor = staff_of_session(services, session).await?;
    if actor.must_change_password {
        return Err(AppError::password_change_required());
    }
    if actor.totp_enrolment_required {
        return Err(AppError::forbidden_until(ErrorCode::TotpEnrolmentRequired));
    }
    Ok(actor)
}

/// The signed-in customer, or `unauthenticated`.
pub async fn customer() -> Result<(Services, CustomerActor), AppError> {
    let services = services()?;
    let session = session().await?;
    let actor = customer_in(&services, &session).await?;
    Ok((services, actor))
}

/// The customer of a session, outside a server function (a plain axum
/// route, such as a file download): the same checks as [`customer`].
pub async fn customer_in(
    services: &Services,
    session: &Session,
) -> Result<CustomerActor, AppError> {
    let Some(id) = get_string(session, CUSTOMER_KEY).await? else {
        // Signed up and not verified yet: sent to verify, not to sign in.
        if get_string(session, REGISTRANT_KEY).await?.is_some() {
            return Err(AppError::forbidden_until(ErrorCode::IdentityNotVerified));
        }
        return Err(AppError::unauthenticated());
    };
    check_absolute(session, services, CUSTOMER_ABSOLUTE_MS).await?;
    Ok(services.auth().customer_actor(&id).await?)
}

/// The signed-up person not yet verified, or `unauthenticated`.
pub async fn registrant() -> Result<(Services, RegistrantActor), AppError> {
    let services = services()?;
    let session = session().await?;
    let id = get_string(&session, REGISTRANT_KEY)
        .await?
        .ok_or_else(AppError::unauthenticated)?;
    check_absolute(&session, &services, CUSTOMER_ABSOLUTE_MS).await?;
    let actor = services.auth().registrant_actor(&id).await?;
    Ok((services, actor))
}

/// The referral code the visitor arrived by (the cookie `/r/CODE` set), if
/// it looks like one; the service checks it is an active one.
pub fn referral_code() -> Option<String> {
    crate::cookie(REFERRAL_COOKIE).filter(|v| service::onboarding::referrals::well_formed(v))
}

/// Starts a fresh session (new id: no session fixation) for the user.
async fn begin(
    session: &Session,
    services: &Services,
    key: &str,
    id: &str,
) -> Result<(), AppError> {
    let internal = |err: tower_sessions::session::Error| {
        tracing::error!(%err, "session write failed");
        AppError::new(ErrorCode::Internal)
    };
    session.cycle_id().await.map_err(internal)?;
    session.clear().await;
    session
        .insert(key, id.to_string())
        .await
        .map_err(internal)?;
    session
        .insert(LOGIN_AT_KEY, services.clock.now_millis())
        .await
        .map_err(internal)?;
    Ok(())
}

pub async fn begin_staff(services: &Services, actor: &StaffActor) -> Result<(), AppError> {
    begin(&session().await?, services, STAFF_KEY, &actor.user_id).await
}

pub async fn begin_registrant(
    services: &Services,
    actor: &RegistrantActor,
) -> Result<(), AppError> {
    begin(
        &session().await?,
        services,
        REGISTRANT_KEY,
        &actor.registration_id,
    )
    .await
}

pub async fn begin_customer(services: &Services, actor: &CustomerActor) -> Result<(), AppError> {
    begin(
        &session().await?,
        services,
        CUSTOMER_KEY,
        &actor.customer_id,
    )
    .await
}

pub async fn end() -> Result<(), AppError> {
    session().await?.flush().await.map_err(|err| {
        tracing::error!(%err, "session delete failed");
        AppError::new(ErrorCode::Internal)
    })
}
