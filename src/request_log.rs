//! The log line of each request: its span, and the bounded account of a failure, whichever front
//! door answered it.

use crate::error::{ApiError, cut};
use crate::portal::PageError;
use crate::telemetry::MAX_LOGGED_CHARS;

/// The span of each request, written once when it closes: its id, method, route template and
/// status. The path itself is not recorded (a feedback link's token travels in it), nor the
/// client's address or browser: the families who give feedback are not tracked, even in logs.
pub struct RequestSpan;

impl tracing_actix_web::RootSpanBuilder for RequestSpan {
    fn on_request_start(request: &actix_web::dev::ServiceRequest) -> tracing::Span {
        use actix_web::HttpMessage;
        let route = request
            .match_pattern()
            .unwrap_or_else(|| "(no route)".to_owned());
        let request_id = request
            .extensions()
            .get::<tracing_actix_web::RequestId>()
            .map(ToString::to_string)
            .unwrap_or_default();
        tracing::info_span!(
            "request",
            request_id = %request_id,
            http.method = %request.method(),
            http.route = %route,
            http.status_code = tracing::field::Empty,
            exception.message = tracing::field::Empty,
            exception.details = tracing::field::Empty,
        )
    }

    /// Records the status and, for a failure, a bounded account of it: its code and how many
    /// fields failed, never the failures themselves (they repeat what the client sent, and a
    /// small request can fail in thousands of ways). The default builder logged the error's
    /// whole `Debug`, every field error included.
    fn on_request_end<B: actix_web::body::MessageBody>(
        span: tracing::Span,
        outcome: &Result<actix_web::dev::ServiceResponse<B>, actix_web::Error>,
    ) {
        let (status, error) = match outcome {
            Ok(response) => (response.status(), response.response().error()),
            Err(error) => (error.as_response_error().status_code(), Some(error)),
        };
        span.record("http.status_code", status.as_u16());
        if let Some(error) = error {
            let (message, details) = error_summary(error);
            span.record("exception.message", message.as_str());
            span.record("exception.details", details.as_str());
        }
    }
}

/// What the log says of a failed request: a short message and a short account, both bounded.
fn error_summary(error: &actix_web::Error) -> (String, String) {
    let api = error.as_error::<ApiError>().or_else(|| {
        error.as_error::<PageError>().and_then(|page| match page {
            PageError::Api(api) => Some(api),
            _ => None,
        })
    });
    match api {
        Some(api) => (cut(&api.to_string(), MAX_LOGGED_CHARS), api.log_summary()),
        None => (
            cut(&error.to_string(), MAX_LOGGED_CHARS),
            cut(
                &format!("{:?}", error.as_response_error()),
                MAX_LOGGED_CHARS,
            ),
        ),
    }
}
