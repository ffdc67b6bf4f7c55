//! The one error type of the HTTP layer, rendered as RFC 9457 `application/problem+json`.
//!
//! Handlers and services return [`ApiError`]; this module is the only place where an HTTP status
//! is chosen for a failure. Every problem carries a stable `code` that clients may match on.
//! Database and internal failures are logged with their cause and answered without it.

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, ResponseError};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::domain::{FinancialYear, Money};

/// The most field errors a problem lists; `errors_omitted` counts the rest. A request can fail
/// in many ways at once, but its answer stays small whatever was sent.
pub const MAX_LISTED_ERRORS: usize = 50;

/// The most characters of a field's name a problem repeats. Names can carry a client's own text
/// (the key of a map, such as `requested.<year>`); a longer one is cut, ending in `…`.
pub const MAX_FIELD_NAME_CHARS: usize = 100;

/// One field that failed validation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct FieldError {
    /// Where the value is, as a dotted path into the request (`organisation.charity_number`,
    /// `requested.2021-22`).
    pub field: String,
    /// What is wrong with it, in plain English.
    pub message: String,
}

/// A financial year that an award does not fit in, with `fund_limit_exceeded`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct YearShortfall {
    pub financial_year: FinancialYear,
    /// The year's limit.
    pub limit: Money,
    /// What the year has left: its limit less what is committed.
    pub remaining: Money,
    /// What the award asked of the year.
    pub asked: Money,
}

/// An RFC 9457 problem document.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct Problem {
    /// A URI naming the kind of problem; stable for each `code`.
    #[serde(rename = "type")]
    pub problem_type: String,
    /// A short summary of the kind of problem.
    pub title: String,
    /// The HTTP status code.
    pub status: u16,
    /// What went wrong in this request.
    pub detail: String,
    /// A stable, machine-readable code, e.g. `validation_failed`, `not_found`.
    pub code: String,
    /// Every field that failed validation with `validation_failed`, at most the first 50; with
    /// a few other codes (such as `fund_limit_exceeded`) each field the problem concerns.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schema(max_items = 50)]
    pub errors: Vec<FieldError>,
    /// How many more fields failed than `errors` lists (which stops at 50); absent when it
    /// lists them all.
    #[serde(default, skip_serializing_if = "is_zero")]
    #[schema(minimum = 1)]
    pub errors_omitted: usize,
    /// With `fund_limit_exceeded`: each financial year the award does not fit in, in year
    /// order, with its limit, what remains and what was asked. Absent with other codes.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schema(max_items = 10)]
    pub years: Vec<YearShortfall>,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

/// The first [`MAX_LISTED_ERRORS`] of `errors`, each name cut to [`MAX_FIELD_NAME_CHARS`], and
/// how many were left out.
fn listed(errors: &[FieldError]) -> (Vec<FieldError>, usize) {
    let listed = errors
        .iter()
        .take(MAX_LISTED_ERRORS)
        .map(|e| FieldError {
            field: cut(&e.field, MAX_FIELD_NAME_CHARS),
            message: e.message.clone(),
        })
        .collect();
    (listed, errors.len().saturating_sub(MAX_LISTED_ERRORS))
}

/// `text` if it has at most `max` characters, otherwise its first `max - 1` and `…`.
pub fn cut(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_owned()
    } else {
        let mut short: String = text.chars().take(max.saturating_sub(1)).collect();
        short.push('…');
        short
    }
}

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

/// Everything a request can fail with.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// 422: one or more fields are invalid; all of them are listed.
    #[error("validation failed")]
    Validation(Vec<FieldError>),
    /// 400: the request could not be read (malformed JSON, wrong type, bad query string).
    #[error("{detail}")]
    BadRequest { code: &'static str, detail: String },
    /// 401: no credentials, or credentials that are not accepted.
    #[error("{detail}")]
    Unauthorized { code: &'static str, detail: String },
    /// 403: authenticated, but this role may not do this.
    #[error("forbidden")]
    Forbidden,
    /// 404: absent, or not visible to the caller.
    #[error("not found")]
    NotFound,
    /// 405: the path exists, the method does not.
    #[error("method not allowed")]
    MethodNotAllowed { allow: Vec<&'static str> },
    /// 409: the object is in a state that does not allow this, or a rule of the fund forbids it;
    /// `errors` names the fields concerned, when there are several.
    #[error("{detail}")]
    Conflict {
        code: &'static str,
        detail: String,
        errors: Vec<FieldError>,
        /// The years an award does not fit in, with `fund_limit_exceeded`.
        years: Vec<YearShortfall>,
    },
    /// 422 with its own code: the request is well formed but cannot be processed as sent.
    #[error("{detail}")]
    Unprocessable { code: &'static str, detail: String },
    /// 413: the body is larger than the service accepts.
    #[error("payload too large")]
    PayloadTooLarge { limit: usize },
    /// 415: the body is not JSON.
    #[error("unsupported media type")]
    UnsupportedMediaType,
    /// 429: too many attempts; try again after the given number of seconds.
    #[error("too many requests")]
    TooManyRequests { retry_after_secs: u64 },
    /// 503: the database cannot be reached right now.
    #[error("service unavailable")]
    Unavailable,
    /// 503: simultaneous writes kept meeting, so nothing was changed: the database ended the
    /// transaction (a deadlock or a serialization failure) every time the service ran it again,
    /// or SQLite stayed locked by other writers for longer than a connection waits.
    #[error("write contended: {0}")]
    Contended(Contention),
    /// 500: a fault of the service. The cause is logged, never sent.
    #[error("internal error: {0}")]
    Internal(String),
}

impl ApiError {
    pub fn conflict(code: &'static str, detail: impl Into<String>) -> Self {
        ApiError::Conflict {
            code,
            detail: detail.into(),
            errors: Vec::new(),
            years: Vec::new(),
        }
    }

    /// 409 `fund_limit_exceeded`: the award does not fit in these years. Each is named in
    /// `errors` (`amounts.<year>`) and in the detail, and given with its figures in `years`.
    pub fn fund_limit_exceeded(years: Vec<YearShortfall>) -> Self {
        let text = |y: &YearShortfall| format!("remaining {}, asked {}", y.remaining, y.asked);
        let detail = years
            .iter()
            .map(|y| format!("{}: {}", y.financial_year, text(y)))
            .collect::<Vec<_>>()
            .join("; ");
        let errors = years
            .iter()
            .map(|y| FieldError {
                field: format!("amounts.{}", y.financial_year),
                message: text(y),
            })
            .collect();
        ApiError::Conflict {
            code: "fund_limit_exceeded",
            detail,
            errors,
            years,
        }
    }

    /// A conflict that concerns several fields, each named with what is wrong with it.
    pub fn conflict_in(
        code: &'static str,
        detail: impl Into<String>,
        errors: Vec<FieldError>,
    ) -> Self {
        ApiError::Conflict {
            code,
            detail: detail.into(),
            errors,
            years: Vec::new(),
        }
    }

    pub fn bad_request(code: &'static str, detail: impl Into<String>) -> Self {
        ApiError::BadRequest {
            code,
            detail: detail.into(),
        }
    }

    pub fn unauthorized(code: &'static str, detail: impl Into<String>) -> Self {
        ApiError::Unauthorized {
            code,
            detail: detail.into(),
        }
    }

    /// A validation failure of a single field.
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        ApiError::Validation(vec![FieldError {
            field: field.into(),
            message: message.into(),
        }])
    }

    pub fn internal(cause: impl std::fmt::Display) -> Self {
        ApiError::Internal(cause.to_string())
    }

    /// For `map_err` on a write that a unique index guards: a violation of the index becomes
    /// 409 `code`, any other database error is mapped as usual. Letting the index decide means
    /// two simultaneous requests cannot both pass a check made beforehand.
    pub fn unique_as(
        code: &'static str,
        detail: &'static str,
    ) -> impl FnOnce(diesel::result::Error) -> ApiError {
        move |error| match error {
            diesel::result::Error::DatabaseError(
                diesel::result::DatabaseErrorKind::UniqueViolation,
                _,
            ) => ApiError::conflict(code, detail),
            other => other.into(),
        }
    }

    /// The stable code of this problem.
    pub fn code(&self) -> &'static str {
        match self {
            ApiError::Validation(_) => "validation_failed",
            ApiError::BadRequest { code, .. }
            | ApiError::Unauthorized { code, .. }
            | ApiError::Conflict { code, .. }
            | ApiError::Unprocessable { code, .. } => code,
            ApiError::Forbidden => "forbidden",
            ApiError::NotFound => "not_found",
            ApiError::MethodNotAllowed { .. } => "method_not_allowed",
            ApiError::PayloadTooLarge { .. } => "payload_too_large",
            ApiError::UnsupportedMediaType => "unsupported_media_type",
            ApiError::TooManyRequests { .. } => "too_many_requests",
            ApiError::Unavailable => "service_unavailable",
            ApiError::Contended(_) => "write_conflict",
            ApiError::Internal(_) => "internal_error",
        }
    }

    /// A short account of this failure for the log, at most a few hundred characters whatever
    /// the request was: the code, how many fields failed and the names of the first few, or the
    /// cause of an internal error.
    pub fn log_summary(&self) -> String {
        use crate::telemetry::MAX_LOGGED_CHARS;
        let summary = match self {
            ApiError::Validation(errors) | ApiError::Conflict { errors, .. }
                if !errors.is_empty() =>
            {
                let first: Vec<String> = errors.iter().take(3).map(|e| cut(&e.field, 40)).collect();
                format!(
                    "{}: {} field(s), first {}",
                    self.code(),
                    errors.len(),
                    first.join(", ")
                )
            }
            ApiError::Internal(cause) => format!("internal_error: {cause}"),
            other => format!("{}: {other}", other.code()),
        };
        cut(&summary, MAX_LOGGED_CHARS)
    }

    /// The problem document sent to the client.
    pub fn problem(&self) -> Problem {
        let status = self.status_code();
        let (detail, errors) = match self {
            ApiError::Validation(errors) if errors.len() > MAX_LISTED_ERRORS => (
                format!(
                    "{} field(s) failed validation; `errors` lists the first {MAX_LISTED_ERRORS} \
                     and `errors_omitted` counts the rest.",
                    errors.len()
                ),
                errors.as_slice(),
            ),
            ApiError::Validation(errors) => (
                format!("{} field(s) failed validation; see `errors`.", errors.len()),
                errors.as_slice(),
            ),
            ApiError::Conflict { detail, errors, .. } => (detail.clone(), errors.as_slice()),
            ApiError::BadRequest { detail, .. }
            | ApiError::Unauthorized { detail, .. }
            | ApiError::Unprocessable { detail, .. } => (detail.clone(), &[][..]),
            ApiError::Forbidden => ("Your role does not allow this.".to_owned(), &[][..]),
            ApiError::NotFound => (
                "Nothing is here, or it is not visible to you.".to_owned(),
                &[][..],
            ),
            ApiError::MethodNotAllowed { allow } => (
                format!("This path answers only: {}.", allow.join(", ")),
                &[][..],
            ),
            ApiError::PayloadTooLarge { limit } => {
                (format!("The body is larger than {limit} bytes."), &[][..])
            }
            ApiError::UnsupportedMediaType => (
                "The body must be JSON (Content-Type: application/json).".to_owned(),
                &[][..],
            ),
            ApiError::TooManyRequests { retry_after_secs } => (
                format!("Too many attempts; try again in {retry_after_secs} seconds."),
                &[][..],
            ),
            ApiError::Unavailable => (
                "The service cannot reach its database; try again shortly.".to_owned(),
                &[][..],
            ),
            ApiError::Contended(_) => (
                "Other changes to the same figures kept meeting this one, so nothing was \
                 changed; try again shortly."
                    .to_owned(),
                &[][..],
            ),
            ApiError::Internal(_) => (
                "Something went wrong on our side. It has been logged.".to_owned(),
                &[][..],
            ),
        };
        let code = self.code();
        let (errors, errors_omitted) = listed(errors);
        Problem {
            problem_type: format!("urn:grantfund:problem:{code}"),
            title: status.canonical_reason().unwrap_or("Error").to_owned(),
            status: status.as_u16(),
            detail,
            code: code.to_owned(),
            errors,
            errors_omitted,
            years: match self {
                ApiError::Conflict { years, .. } => years.clone(),
                _ => Vec::new(),
            },
        }
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            ApiError::Validation(_) | ApiError::Unprocessable { .. } => {
                StatusCode::UNPROCESSABLE_ENTITY
            }
            ApiError::BadRequest { .. } => StatusCode::BAD_REQUEST,
            ApiError::Unauthorized { .. } => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden => StatusCode::FORBIDDEN,
            ApiError::NotFound => StatusCode::NOT_FOUND,
            ApiError::MethodNotAllowed { .. } => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::Conflict { .. } => StatusCode::CONFLICT,
            ApiError::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            ApiError::Unavailable | ApiError::Contended(_) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        if let ApiError::Internal(cause) = self {
            let cause = cut(cause, crate::telemetry::MAX_LOGGED_CAUSE_CHARS);
            tracing::error!(%cause, "request failed");
        }
        let mut response = HttpResponse::build(self.status_code());
        response.content_type("application/problem+json");
        match self {
            ApiError::TooManyRequests { retry_after_secs } => {
                response.insert_header((header::RETRY_AFTER, retry_after_secs.to_string()));
            }
            ApiError::MethodNotAllowed { allow } => {
                if let Ok(value) = HeaderValue::from_str(&allow.join(", ")) {
                    response.insert_header((header::ALLOW, value));
                }
            }
            ApiError::Unauthorized { .. } => {
                response.insert_header((header::WWW_AUTHENTICATE, "Bearer"));
            }
            ApiError::Unavailable => {
                response.insert_header((header::RETRY_AFTER, "5"));
            }
            ApiError::Contended(_) => {
                response.insert_header((header::RETRY_AFTER, "1"));
            }
            _ => {}
        }
        match serde_json::to_string(&self.problem()) {
            Ok(body) => response.body(escape_html(&body)),
            Err(_) => response.finish(),
        }
    }
}

impl From<diesel::result::Error> for ApiError {
    fn from(error: diesel::result::Error) -> Self {
        use diesel::result::{DatabaseErrorKind, Error};
        match error {
            Error::NotFound => ApiError::NotFound,
            Error::DatabaseError(DatabaseErrorKind::UniqueViolation, _) => ApiError::conflict(
                "already_exists",
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

/// Collects every field error of a request before any is reported, so that a client learns of
/// all of them at once.
#[derive(Debug, Default)]
pub struct Validator {
    errors: Vec<FieldError>,
}

impl Validator {
    pub fn new() -> Self {
        Self::default()
    }

    /// Records an error for `field`.
    pub fn error(&mut self, field: impl Into<String>, message: impl std::fmt::Display) {
        self.errors.push(FieldError {
            field: field.into(),
            message: message.to_string(),
        });
    }

    /// Keeps the value of a parse, or records its error and gives `None`.
    pub fn check<T, E: std::fmt::Display>(
        &mut self,
        field: impl Into<String>,
        result: Result<T, E>,
    ) -> Option<T> {
        match result {
            Ok(value) => Some(value),
            Err(message) => {
                self.error(field, message);
                None
            }
        }
    }

    /// Records an error unless `condition` holds.
    pub fn ensure(&mut self, condition: bool, field: impl Into<String>, message: &str) {
        if !condition {
            self.error(field, message);
        }
    }

    /// Checks that a trimmed text has between `min` and `max` characters and no control
    /// characters other than line breaks and tabs; gives the trimmed text.
    pub fn text(&mut self, field: &str, value: &str, min: usize, max: usize) -> Option<String> {
        let trimmed = value.trim();
        let length = trimmed.chars().count();
        let has_control = trimmed
            .chars()
            .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'));
        if length < min {
            self.error(
                field,
                if min == 1 {
                    "must not be empty".to_owned()
                } else {
                    format!("must be at least {min} characters")
                },
            );
            None
        } else if length > max {
            self.error(field, format!("must be at most {max} characters"));
            None
        } else if has_control {
            self.error(field, "must not contain control characters");
            None
        } else {
            Some(trimmed.to_owned())
        }
    }

    /// An optional text: absent or blank is `Some(None)`; otherwise as [`Validator::text`].
    pub fn optional_text(
        &mut self,
        field: &str,
        value: Option<&str>,
        max: usize,
    ) -> Option<Option<String>> {
        match value.map(str::trim).filter(|t| !t.is_empty()) {
            Some(text) => self.text(field, text, 1, max).map(Some),
            None => Some(None),
        }
    }

    /// An amount of money written as a decimal string.
    pub fn money(&mut self, field: impl Into<String>, value: &str) -> Option<Money> {
        self.check(field, Money::parse(value.trim()))
    }

    /// A calendar date written `YYYY-MM-DD`.
    pub fn date(&mut self, field: impl Into<String>, value: &str) -> Option<NaiveDate> {
        self.check(
            field,
            NaiveDate::parse_from_str(value.trim(), "%Y-%m-%d")
                .map_err(|_| "must be a real date written YYYY-MM-DD"),
        )
    }

    /// A moment in time written in RFC 3339 with an offset, e.g. `2021-01-10T09:00:00Z`.
    pub fn timestamp(&mut self, field: impl Into<String>, value: &str) -> Option<DateTime<Utc>> {
        self.check(
            field,
            DateTime::parse_from_rfc3339(value.trim())
                .map(|t| t.with_timezone(&Utc))
                .map_err(|_| "must be an RFC 3339 timestamp such as 2021-01-10T09:00:00Z"),
        )
    }

    /// A whole number within `range`.
    pub fn count(
        &mut self,
        field: impl Into<String>,
        value: i64,
        range: std::ops::RangeInclusive<i64>,
    ) -> Option<i64> {
        if range.contains(&value) {
            Some(value)
        } else {
            self.error(
                field,
                format!("must be between {} and {}", range.start(), range.end()),
            );
            None
        }
    }

    pub fn is_empty(&self) -> bool {
        self.errors.is_empty()
    }

    /// Every failure recorded, for rules that report them alongside others.
    pub fn into_errors(self) -> Vec<FieldError> {
        self.errors
    }

    /// `Ok` when nothing failed, otherwise every failure as one 422.
    pub fn finish(self) -> Result<(), ApiError> {
        if self.errors.is_empty() {
            Ok(())
        } else {
            Err(ApiError::Validation(self.errors))
        }
    }

    /// Like [`Validator::finish`], giving `value` when nothing failed. Use with the `Option`s
    /// that [`Validator::check`] returned: they are all `Some` exactly when nothing failed.
    pub fn finish_with<T>(self, value: impl FnOnce() -> Option<T>) -> Result<T, ApiError> {
        self.finish()?;
        value().ok_or_else(|| ApiError::internal("validator passed with a missing value"))
    }
}

/// Writes `<`, `>` and `&` in JSON text as `\u003c`, `\u003e` and `\u0026`: the same JSON,
/// but no input a problem repeats can be read as markup by anything that mistakes it for HTML.
pub fn escape_html(json: &str) -> String {
    let mut out = String::with_capacity(json.len());
    for c in json.chars() {
        match c {
            '<' => out.push_str("\\u003c"),
            '>' => out.push_str("\\u003e"),
            '&' => out.push_str("\\u0026"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_in_problems_is_escaped_and_the_json_unchanged() {
        let json = r#"{"detail":"<script>a & b</script>"}"#;
        let escaped = escape_html(json);
        assert!(!escaped.contains('<') && !escaped.contains('&'));
        let back: serde_json::Value = serde_json::from_str(&escaped).unwrap_or_default();
        assert_eq!(back["detail"], "<script>a & b</script>");
    }

    #[test]
    fn validator_reports_every_failure() {
        let mut v = Validator::new();
        v.error("a", "bad");
        let _ = v.check::<(), _>("b", Err("worse"));
        v.ensure(false, "c", "worst");
        match v.finish() {
            Err(ApiError::Validation(errors)) => {
                let fields: Vec<_> = errors.iter().map(|e| e.field.as_str()).collect();
                assert_eq!(fields, ["a", "b", "c"]);
            }
            other => panic!("expected a validation error, got {other:?}"),
        }
    }

    fn many(n: usize) -> ApiError {
        ApiError::Validation(
            (0..n)
                .map(|i| FieldError {
                    field: format!("health_boards[{i}]"),
                    message: "must be one of: fife, …".to_owned(),
                })
                .collect(),
        )
    }

    #[test]
    fn a_problem_lists_fifty_errors_and_counts_the_rest() {
        let problem = many(65_000).problem();
        assert_eq!(problem.errors.len(), MAX_LISTED_ERRORS);
        assert_eq!(problem.errors_omitted, 64_950);
        assert_eq!(problem.errors[49].field, "health_boards[49]");
        assert!(
            problem.detail.starts_with("65000 field(s)"),
            "{}",
            problem.detail
        );
        let json = serde_json::to_string(&problem).unwrap_or_default();
        assert!(json.len() < 5_000, "{} bytes", json.len());
        assert!(json.contains("\"errors_omitted\":64950"), "{json}");

        let exactly = many(MAX_LISTED_ERRORS).problem();
        assert_eq!(
            (exactly.errors.len(), exactly.errors_omitted),
            (MAX_LISTED_ERRORS, 0)
        );
        let json = serde_json::to_string(&exactly).unwrap_or_default();
        assert!(
            !json.contains("errors_omitted"),
            "absent when nothing is left out"
        );
        let one_more = many(MAX_LISTED_ERRORS + 1).problem();
        assert_eq!(
            (one_more.errors.len(), one_more.errors_omitted),
            (MAX_LISTED_ERRORS, 1)
        );
    }

    #[test]
    fn long_field_names_are_cut() {
        let error = ApiError::invalid(format!("requested.{}", "y".repeat(10_000)), "bad");
        let field = &error.problem().errors[0].field;
        assert_eq!(field.chars().count(), MAX_FIELD_NAME_CHARS);
        assert!(field.starts_with("requested.yyy") && field.ends_with('…'));
        assert_eq!(cut("fife", 4), "fife");
        assert_eq!(cut("fifes", 4), "fif…");
    }

    #[test]
    fn the_log_summary_is_short_whatever_failed() {
        let summary = many(65_000).log_summary();
        assert!(
            summary.len() <= 3 * crate::telemetry::MAX_LOGGED_CHARS,
            "{summary}"
        );
        assert!(
            summary.starts_with("validation_failed: 65000 field(s), first health_boards[0]"),
            "{summary}"
        );
        assert!(
            !summary.contains("must be one of"),
            "messages are not logged: {summary}"
        );
        let internal = ApiError::internal("x".repeat(100_000)).log_summary();
        assert!(internal.chars().count() <= crate::telemetry::MAX_LOGGED_CHARS);
        assert_eq!(ApiError::NotFound.log_summary(), "not_found: not found");
    }

    #[test]
    fn internal_errors_do_not_leak_their_cause() {
        let problem = ApiError::internal("password=hunter2 at db.rs:42").problem();
        assert_eq!(problem.status, 500);
        assert!(!problem.detail.contains("hunter2"));
        assert_eq!(problem.code, "internal_error");
    }
}
