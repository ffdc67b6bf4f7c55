//! How database and pool failures become problems: a lost connection answers 503, simultaneous
//! writes that kept meeting answer 503 `write_conflict`, a unique value taken answers 409.

use super::{ApiError, ErrorCode};

/// Why the database refused a write because of other writes at the same moment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Contention {
    /// PostgreSQL broke a cycle of transactions waiting for each other's locks (SQLSTATE 40P01).
    Deadlock,
    /// PostgreSQL could not keep a transaction's isolation (SQLSTATE 40001).
    SerializationFailure,
    /// SQLite's write lock was still held by another connection when the wait ran out
    /// (`SQLITE_BUSY`).
    Locked,
}

impl Contention {
    /// Whether running the whole transaction again can succeed at once: the database rolled it
    /// back to let the others through. A lock that was waited for in vain is not tried again.
    pub fn retryable(self) -> bool {
        matches!(
            self,
            Contention::Deadlock | Contention::SerializationFailure
        )
    }
}

impl std::fmt::Display for Contention {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Contention::Deadlock => "deadlock detected",
            Contention::SerializationFailure => "serialization failure",
            Contention::Locked => "database is locked",
        })
    }
}

impl From<diesel::result::Error> for ApiError {
    fn from(error: diesel::result::Error) -> Self {
        use diesel::result::{DatabaseErrorKind, Error};
        match error {
            Error::NotFound => ApiError::NotFound,
            Error::DatabaseError(DatabaseErrorKind::UniqueViolation, _) => ApiError::conflict(
                ErrorCode::AlreadyExists,
                "Something with the same unique value already exists.",
            ),
            Error::DatabaseError(
                DatabaseErrorKind::ClosedConnection | DatabaseErrorKind::UnableToSendCommand,
                info,
            ) => {
                tracing::warn!(cause = %info.message(), "database connection lost");
                ApiError::Unavailable
            }
            Error::DatabaseError(_, info) if connection_lost(info.message()) => {
                tracing::warn!(cause = %info.message(), "database connection lost");
                ApiError::Unavailable
            }
            Error::DatabaseError(DatabaseErrorKind::SerializationFailure, _) => {
                ApiError::Contended(Contention::SerializationFailure)
            }
            Error::DatabaseError(_, info) => match contention(info.message()) {
                Some(contention) => ApiError::Contended(contention),
                None => ApiError::internal(format!("database: {}", info.message())),
            },
            // The commit failed; what matters is why.
            Error::RollbackErrorOnCommit { commit_error, .. } => ApiError::from(*commit_error),
            // A transaction whose connection went away part-way cannot be trusted again; the
            // pool drops the connection and the client may retry.
            Error::BrokenTransactionManager => {
                tracing::warn!("database transaction broken, most likely by a lost connection");
                ApiError::Unavailable
            }
            // A row that does not read back (a stored value outside its vocabulary) says
            // why only in its sources.
            other => {
                let mut cause = format!("database: {other}");
                let mut source = std::error::Error::source(&other);
                while let Some(inner) = source {
                    cause.push_str(&format!(": {inner}"));
                    source = inner.source();
                }
                ApiError::internal(cause)
            }
        }
    }
}

/// The contention a database error reports, from its words: diesel gives a kind of its own only
/// to SQLSTATE 40001, and does not pass on the SQLSTATE of the others (40P01 for a deadlock).
/// PostgreSQL's words are its English ones (`lc_messages`, as for [`connection_lost`]); SQLite's
/// are always English.
fn contention(message: &str) -> Option<Contention> {
    if message.starts_with("deadlock detected") {
        Some(Contention::Deadlock)
    } else if message.starts_with("could not serialize access") {
        Some(Contention::SerializationFailure)
    } else if message.starts_with("database is locked") {
        Some(Contention::Locked)
    } else {
        None
    }
}

/// PostgreSQL's words for a connection that the server ended or that broke (SQLSTATE classes 08
/// and 57P, which diesel does not give a kind of their own).
fn connection_lost(message: &str) -> bool {
    [
        "terminating connection",
        "server closed the connection",
        "no connection to the server",
        "connection to server",
        "the database system is shutting down",
        "the database system is starting up",
    ]
    .iter()
    .any(|words| message.contains(words))
}

impl From<diesel::r2d2::PoolError> for ApiError {
    fn from(error: diesel::r2d2::PoolError) -> Self {
        tracing::warn!(cause = %error, "no database connection available");
        ApiError::Unavailable
    }
}

impl From<actix_web::error::BlockingError> for ApiError {
    fn from(error: actix_web::error::BlockingError) -> Self {
        ApiError::internal(format!("blocking task failed: {error}"))
    }
}
