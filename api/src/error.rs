//! One error type for the whole service: what the client sees (a code and a safe message)
//! and what only the log sees (the cause).

use sea_orm::DbErr;

/// Every error a request can end in. The GraphQL layer turns each variant into
/// `extensions.code`; causes of internal errors are logged, never sent.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// The client named something that does not exist (`NOT_FOUND`).
    #[error("{0}")]
    NotFound(String),
    /// The client's input is wrong (`BAD_USER_INPUT`); `field` is the path of the input at fault.
    #[error("{message}")]
    Validation { field: String, message: String },
    /// Several things are wrong with the client's input (`BAD_USER_INPUT`, one error each).
    #[error("{}", .0.first().map_or("invalid input", |problem| problem.message.as_str()))]
    Invalid(Vec<crate::service::validate::FieldProblem>),
    /// The request conflicts with the stored state (`CONFLICT`).
    #[error("{0}")]
    Conflict(String),
    /// The request needs a token (`UNAUTHENTICATED`).
    #[error("authentication required")]
    Unauthenticated,
    /// The token may not do this (`FORBIDDEN`).
    #[error("{0}")]
    Forbidden(String),
    /// The database cannot be reached right now (`SERVICE_UNAVAILABLE`).
    #[error("the database is not available; try again later")]
    Unavailable(#[source] DbErr),
    /// The request ran longer than allowed (`SERVICE_UNAVAILABLE`).
    #[error("the request took longer than {0:?} and was stopped")]
    Timeout(std::time::Duration),
    /// The database stopped a statement that ran past its deadline or the statement timeout,
    /// or (with no cause) a request past its deadline was refused another statement
    /// (`SERVICE_UNAVAILABLE`).
    #[error("the request took too long and was stopped")]
    Cancelled(#[source] Option<DbErr>),
    /// Anything else (`INTERNAL_SERVER_ERROR`); the cause is logged, the client gets a generic message.
    #[error("internal server error")]
    Internal(String),
}

impl AppError {
    /// A `BAD_USER_INPUT` error about the input field at `field`.
    pub fn validation(field: impl Into<String>, message: impl Into<String>) -> Self {
        AppError::Validation {
            field: field.into(),
            message: message.into(),
        }
    }

    /// The client-facing code, as API.md lists them.
    pub fn code(&self) -> &'static str {
        match self {
            AppError::NotFound(_) => "NOT_FOUND",
            AppError::Validation { .. } | AppError::Invalid(_) => "BAD_USER_INPUT",
            AppError::Conflict(_) => "CONFLICT",
            AppError::Unauthenticated => "UNAUTHENTICATED",
            AppError::Forbidden(_) => "FORBIDDEN",
            AppError::Unavailable(_) | AppError::Timeout(_) | AppError::Cancelled(_) => {
                "SERVICE_UNAVAILABLE"
            }
            AppError::Internal(_) => "INTERNAL_SERVER_ERROR",
        }
    }

    /// Writes the cause of a server-side error to the log; client errors are not logged.
    pub fn log(&self) {
        match self {
            AppError::Unavailable(cause) => tracing::warn!(error = %cause, "database unavailable"),
            AppError::Cancelled(Some(cause)) => tracing::warn!(error = %cause, "statement stopped"),
            AppError::Internal(cause) => tracing::error!(error = %cause, "internal error"),
            _ => {}
        }
    }
}

impl From<DbErr> for AppError {
    fn from(error: DbErr) -> Self {
        if database_unreachable(&error) {
            AppError::Unavailable(error)
        } else if statement_stopped(&error) {
            AppError::Cancelled(Some(error))
        } else {
            AppError::Internal(error.to_string())
        }
    }
}

/// Whether an error says the database cannot be reached (rather than that a statement
/// failed): no connection to be had, or the connection broke under the statement or its
/// session was ended (PostgreSQL restarting, a session terminated).
fn database_unreachable(error: &DbErr) -> bool {
    if matches!(error, DbErr::Conn(_) | DbErr::ConnectionAcquire(_)) {
        return true;
    }
    sqlx_cause(error).is_some_and(|cause| {
        matches!(cause, sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed)
            || crate::db::connection_unusable(cause)
    })
}

/// Whether the database stopped the statement for taking too long: SQLite's
/// `SQLITE_INTERRUPT` (9, from the progress handler `db::connect_with` installs) or
/// PostgreSQL's `query_canceled` (57014, from `statement_timeout`).
fn statement_stopped(error: &DbErr) -> bool {
    match sqlx_cause(error) {
        Some(sqlx::Error::Database(database)) => {
            matches!(database.code().as_deref(), Some("9" | "57014"))
        }
        _ => false,
    }
}

/// The sqlx error under a failed statement, if that is what it is.
fn sqlx_cause(error: &DbErr) -> Option<&sqlx::Error> {
    match error {
        DbErr::Query(sea_orm::RuntimeErr::SqlxError(cause))
        | DbErr::Exec(sea_orm::RuntimeErr::SqlxError(cause)) => Some(cause.as_ref()),
        _ => None,
    }
}

/// Shorthand for service results.
pub type AppResult<T> = Result<T, AppError>;
