//! The one error type of the HTTP layer, rendered as RFC 9457 `application/problem+json`.
//!
//! Handlers and services return [`ApiError`]; this module is the only place where an HTTP status
//! is chosen for a failure. Every problem carries a stable `code` that clients may match on.
//! Database and internal failures are logged with their cause and answered without it.

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, ResponseError};
mod codes;
mod database;
mod problem;
mod validator;

pub use codes::{Described, ErrorCode, Reach, describe};
pub use database::Contention;
pub use problem::{
    FieldError, MAX_FIELD_NAME_CHARS, MAX_LISTED_ERRORS, Problem, YearShortfall, cut, escape_html,
};
pub use validator::Validator;

use problem::listed;

/// Everything a request can fail with.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// 422: one or more fields are invalid; all of them are listed.
    #[error("validation failed")]
    Validation(Vec<FieldError>),
    /// 400 (the status of its code): the request could not be read (malformed JSON, wrong type,
    /// bad query string).
    #[error("{detail}")]
    BadRequest { code: ErrorCode, detail: String },
    /// 401 (the status of its code): no credentials, or credentials that are not accepted.
    #[error("{detail}")]
    Unauthorized { code: ErrorCode, detail: String },
    /// 403: authenticated, but this role may not do this.
    #[error("forbidden")]
    Forbidden,
    /// 403 (the status of its code): authenticated, but this session must first do something
    /// else (enrol a second factor, or enter one again).
    #[error("{detail}")]
    Refused { code: ErrorCode, detail: String },
    /// 404: absent, or not visible to the caller.
    #[error("not found")]
    NotFound,
    /// 405: the path exists, the method does not.
    #[error("method not allowed")]
    MethodNotAllowed { allow: Vec<&'static str> },
    /// 409 (the status of its code): the object is in a state that does not allow this, or a
    /// rule of the fund forbids it; `errors` names the fields concerned, when there are several.
    #[error("{detail}")]
    Conflict {
        code: ErrorCode,
        detail: String,
        errors: Vec<FieldError>,
        /// The years an award does not fit in, with `fund_limit_exceeded`.
        years: Vec<YearShortfall>,
    },
    /// 422 (the status of its code): the request is well formed but cannot be processed as sent.
    #[error("{detail}")]
    Unprocessable { code: ErrorCode, detail: String },
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
    /// A problem with `code` and `detail`, in the variant that fits the code's status. The
    /// status always comes from the code, so each of the constructors below answers any code
    /// with its own status.
    pub fn coded(code: ErrorCode, detail: impl Into<String>) -> Self {
        let detail = detail.into();
        match code.status() {
            StatusCode::BAD_REQUEST => ApiError::BadRequest { code, detail },
            StatusCode::UNAUTHORIZED => ApiError::Unauthorized { code, detail },
            StatusCode::UNPROCESSABLE_ENTITY => ApiError::Unprocessable { code, detail },
            StatusCode::FORBIDDEN => ApiError::Refused { code, detail },
            _ => ApiError::Conflict {
                code,
                detail,
                errors: Vec::new(),
                years: Vec::new(),
            },
        }
    }

    /// A problem with a code of status 409, such as [`ErrorCode::InvalidState`].
    pub fn conflict(code: ErrorCode, detail: impl Into<String>) -> Self {
        Self::coded(code, detail)
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
            code: ErrorCode::FundLimitExceeded,
            detail,
            errors,
            years,
        }
    }

    /// A conflict that concerns several fields, each named with what is wrong with it.
    pub fn conflict_in(
        code: ErrorCode,
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

    /// A problem with a code of status 400, such as [`ErrorCode::MalformedJson`].
    pub fn bad_request(code: ErrorCode, detail: impl Into<String>) -> Self {
        Self::coded(code, detail)
    }

    /// A problem with a code of status 401, such as [`ErrorCode::InvalidToken`].
    pub fn unauthorized(code: ErrorCode, detail: impl Into<String>) -> Self {
        Self::coded(code, detail)
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
        code: ErrorCode,
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

    /// The seconds a client should wait before trying again, sent as `Retry-After`: the wait a
    /// limit set, 5 while the database cannot be reached, 1 after writes that kept meeting.
    pub fn retry_after(&self) -> Option<u64> {
        match self {
            ApiError::TooManyRequests { retry_after_secs } => Some(*retry_after_secs),
            ApiError::Unavailable => Some(5),
            ApiError::Contended(_) => Some(1),
            ApiError::Conflict {
                code: ErrorCode::StorageUnavailable,
                ..
            } => Some(5),
            _ => None,
        }
    }

    /// The stable code of this problem.
    pub fn code(&self) -> ErrorCode {
        match self {
            ApiError::Validation(_) => ErrorCode::ValidationFailed,
            ApiError::BadRequest { code, .. }
            | ApiError::Unauthorized { code, .. }
            | ApiError::Conflict { code, .. }
            | ApiError::Refused { code, .. }
            | ApiError::Unprocessable { code, .. } => *code,
            ApiError::Forbidden => ErrorCode::Forbidden,
            ApiError::NotFound => ErrorCode::NotFound,
            ApiError::MethodNotAllowed { .. } => ErrorCode::MethodNotAllowed,
            ApiError::PayloadTooLarge { .. } => ErrorCode::PayloadTooLarge,
            ApiError::UnsupportedMediaType => ErrorCode::UnsupportedMediaType,
            ApiError::TooManyRequests { .. } => ErrorCode::TooManyRequests,
            ApiError::Unavailable => ErrorCode::ServiceUnavailable,
            ApiError::Contended(_) => ErrorCode::WriteConflict,
            ApiError::Internal(_) => ErrorCode::InternalError,
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
            | ApiError::Refused { detail, .. }
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
            problem_type: format!("urn:grantfund:problem:{}", code.as_str()),
            title: status.canonical_reason().unwrap_or("Error").to_owned(),
            status: status.as_u16(),
            detail,
            code: code.as_str().to_owned(),
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
    /// The status of the problem's code: the table in [`ErrorCode`] is the only place a
    /// status is chosen, so a code is answered with the same status wherever it is raised.
    fn status_code(&self) -> StatusCode {
        self.code().status()
    }

    fn error_response(&self) -> HttpResponse {
        if let ApiError::Internal(cause) = self {
            let cause = cut(cause, crate::telemetry::MAX_LOGGED_CAUSE_CHARS);
            tracing::error!(%cause, "request failed");
        }
        let mut response = HttpResponse::build(self.status_code());
        response.content_type("application/problem+json");
        if let Some(seconds) = self.retry_after() {
            response.insert_header((header::RETRY_AFTER, seconds.to_string()));
        }
        match self {
            ApiError::MethodNotAllowed { allow } => {
                if let Ok(value) = HeaderValue::from_str(&allow.join(", ")) {
                    response.insert_header((header::ALLOW, value));
                }
            }
            _ if self.code().status() == StatusCode::UNAUTHORIZED => {
                response.insert_header((header::WWW_AUTHENTICATE, "Bearer"));
            }
            _ => {}
        }
        match serde_json::to_string(&self.problem()) {
            Ok(body) => response.body(escape_html(&body)),
            Err(_) => response.finish(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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

    /// Whichever constructor raises a code, the answer has the code's own status: a code of
    /// 409 is never answered as 400.
    #[test]
    fn every_code_is_answered_with_its_status() {
        use diesel::result::{DatabaseErrorKind, Error};
        struct Info;
        impl diesel::result::DatabaseErrorInformation for Info {
            fn message(&self) -> &str {
                "duplicate key"
            }
            fn details(&self) -> Option<&str> {
                None
            }
            fn hint(&self) -> Option<&str> {
                None
            }
            fn table_name(&self) -> Option<&str> {
                None
            }
            fn column_name(&self) -> Option<&str> {
                None
            }
            fn constraint_name(&self) -> Option<&str> {
                None
            }
            fn statement_position(&self) -> Option<i32> {
                None
            }
        }
        for &code in ErrorCode::ALL {
            let unique = Error::DatabaseError(DatabaseErrorKind::UniqueViolation, Box::new(Info));
            let built = [
                ApiError::coded(code, "d"),
                ApiError::conflict(code, "d"),
                ApiError::conflict_in(code, "d", Vec::new()),
                ApiError::bad_request(code, "d"),
                ApiError::unauthorized(code, "d"),
                ApiError::unique_as(code, "d")(unique),
            ];
            for error in built {
                assert_eq!(error.code(), code);
                assert_eq!(error.status_code(), code.status(), "{code}");
                let problem = error.problem();
                assert_eq!(problem.status, code.status().as_u16(), "{code}");
                assert_eq!(problem.code, code.as_str());
                let answer = error.error_response();
                assert_eq!(answer.status(), code.status(), "{code}");
            }
        }
        let fixed = [
            ApiError::Validation(Vec::new()),
            ApiError::Forbidden,
            ApiError::NotFound,
            ApiError::MethodNotAllowed { allow: vec!["GET"] },
            ApiError::PayloadTooLarge { limit: 1 },
            ApiError::UnsupportedMediaType,
            ApiError::TooManyRequests {
                retry_after_secs: 1,
            },
            ApiError::Unavailable,
            ApiError::Contended(Contention::Locked),
            ApiError::internal("x"),
            ApiError::fund_limit_exceeded(Vec::new()),
        ];
        for error in fixed {
            assert_eq!(error.status_code(), error.code().status(), "{error:?}");
        }
    }

    #[test]
    fn internal_errors_do_not_leak_their_cause() {
        let problem = ApiError::internal("password=hunter2 at db.rs:42").problem();
        assert_eq!(problem.status, 500);
        assert!(!problem.detail.contains("hunter2"));
        assert_eq!(problem.code, "internal_error");
    }
}
