//! The one error type of the use cases.
//!
//! Each variant has an [`ErrorCode`] ([`ServiceError::code`]), which the app
//! puts into words in the user's locale, and [`ServiceError::params`] to fill
//! its placeholders. Use [`ServiceError::Validation`] for input the user can
//! correct, [`ServiceError::StaleState`] when someone else changed the record
//! first, and [`ServiceError::Internal`] for everything the user cannot act
//! on: its text is logged and never shown.

use domain::application::{ApplicationError, DutyError, TransitionError};
use domain::date::DateError;
use domain::error_code::ErrorCode;
use domain::identity::IdentityError;
use domain::money::MoneyError;
use domain::rate::RateError;
use domain::schedule::ScheduleError;

#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    #[error("not signed in")]
    Unauthenticated,
    #[error("not allowed for this role or organisation")]
    Forbidden,
    #[error("not found")]
    NotFound,
    #[error("invalid input: {code}")]
    Validation {
        code: ErrorCode,
        params: Vec<(&'static str, String)>,
    },
    #[error("the application was changed by someone else")]
    StaleState,
    #[error("a user may not approve their own work")]
    SelfApproval,
    #[error("wrong username or password")]
    InvalidCredentials,
    #[error("account locked for {minutes} minutes")]
    AccountLocked { minutes: i64 },
    #[error("the account's second factor is required")]
    SecondFactorRequired,
    #[error("wrong second-factor code")]
    SecondFactorInvalid,
    #[error("wrong code")]
    CodeInvalid,
    #[error("code expired")]
    CodeExpired,
    #[error("too many requests, retry in {seconds} s")]
    RateLimited { seconds: i64 },
    #[error("the SMS could not be sent")]
    SmsFailed,
    #[error("no customer with that phone")]
    UnknownCustomer,
    #[error("idempotency key reused with different content")]
    Duplicate,
    #[error("internal error: {0}")]
    Internal(String),
}

impl ServiceError {
    /// The code the user's message is chosen by.
    pub fn code(&self) -> ErrorCode {
        match self {
            ServiceError::Unauthenticated => ErrorCode::Unauthenticated,
            ServiceError::Forbidden => ErrorCode::Forbidden,
            ServiceError::NotFound => ErrorCode::NotFound,
            ServiceError::Validation { code, .. } => *code,
            ServiceError::StaleState => ErrorCode::ApplicationStateChanged,
            ServiceError::SelfApproval => ErrorCode::SelfApproval,
            ServiceError::InvalidCredentials => ErrorCode::InvalidCredentials,
            ServiceError::AccountLocked { .. } => ErrorCode::AccountLocked,
            ServiceError::SecondFactorRequired => ErrorCode::SecondFactorRequired,
            ServiceError::SecondFactorInvalid => ErrorCode::SecondFactorInvalid,
            ServiceError::CodeInvalid => ErrorCode::CodeInvalid,
            ServiceError::CodeExpired => ErrorCode::CodeExpired,
            ServiceError::RateLimited { .. } => ErrorCode::RateLimited,
            ServiceError::SmsFailed => ErrorCode::SmsFailed,
            ServiceError::UnknownCustomer => ErrorCode::UnknownCustomer,
            ServiceError::Duplicate => ErrorCode::Duplicate,
            ServiceError::Internal(_) => ErrorCode::Internal,
        }
    }

    /// The message's placeholders, e.g. `("minutes", "15")`.
    pub fn params(&self) -> Vec<(String, String)> {
        match self {
            ServiceError::Validation { params, .. } => params
                .iter()
                .map(|(k, v)| (k.to_string(), v.clone()))
                .collect(),
            ServiceError::AccountLocked { minutes } => {
                vec![("minutes".to_string(), minutes.to_string())]
            }
            ServiceError::RateLimited { seconds } => {
                vec![("seconds".to_string(), seconds.to_string())]
            }
            _ => Vec::new(),
        }
    }

    /// A validation error without parameters.
    pub fn invalid(code: ErrorCode) -> Self {
        ServiceError::Validation {
            code,
            params: Vec::new(),
        }
    }

    pub(crate) fn internal(context: &str, cause: impl std::fmt::Display) -> Self {
        ServiceError::Internal(format!("{context}: {cause}"))
    }
}

impl From<sqlx::Error> for ServiceError {
    fn from(err: sqlx::Error) -> Self {
        match err {
            sqlx::Error::RowNotFound => ServiceError::NotFound,
            other => ServiceError::Internal(format!("database: {other}")),
        }
    }
}

impl From<sqlx::migrate::MigrateError> for ServiceError {
    fn from(err: sqlx::migrate::MigrateError) -> Self {
        ServiceError::Internal(format!("migration: {err}"))
    }
}

impl From<MoneyError> for ServiceError {
    fn from(err: MoneyError) -> Self {
        ServiceError::invalid(err.code())
    }
}

impl From<RateError> for ServiceError {
    fn from(err: RateError) -> Self {
        ServiceError::invalid(err.code())
    }
}

impl From<DateError> for ServiceError {
    fn from(err: DateError) -> Self {
        ServiceError::invalid(err.code())
    }
}

impl From<ScheduleError> for ServiceError {
    fn from(err: ScheduleError) -> Self {
        ServiceError::invalid(err.code())
    }
}

impl From<IdentityError> for ServiceError {
    fn from(err: IdentityError) -> Self {
        ServiceError::invalid(err.code())
    }
}

impl From<TransitionError> for ServiceError {
    fn from(_: TransitionError) -> Self {
        ServiceError::StaleState
    }
}

impl From<DutyError> for ServiceError {
    fn from(_: DutyError) -> Self {
        ServiceError::SelfApproval
    }
}

impl From<ApplicationError> for ServiceError {
    fn from(err: ApplicationError) -> Self {
        let params = match &err {
            ApplicationError::AmountBelowMin { min } => vec![("min", min.to_grouped_string())],
            ApplicationError::AmountAboveMax { max } => vec![("max", max.to_grouped_string())],
            ApplicationError::TermOutOfRange { min, max } => {
                vec![("min", min.to_string()), ("max", max.to_string())]
            }
            _ => Vec::new(),
        };
        ServiceError::Validation {
            code: err.code(),
            params,
        }
    }
}
