//! Logging: tracing to standard error, JSON in production; panics are logged too.

use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::{self, format::FmtSpan};

use crate::config::Settings;
use crate::error::{ApiError, cut};

/// Installs the global subscriber and a panic hook that logs through it.
pub fn init(settings: &Settings) {
    let filter = EnvFilter::try_new(&settings.rust_log).unwrap_or_else(|_| EnvFilter::new("info"));
    // Closing the request span writes one access line per request, with its id, method, route,
    // status and time; every event inside a request carries the same span fields.
    let builder = fmt::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_span_events(FmtSpan::CLOSE);
    let installed = if settings.is_production() {
        builder
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .try_init()
    } else {
        builder.compact().try_init()
    };
    if installed.is_err() {
        return;
    }
    std::panic::set_hook(Box::new(|info| {
        let location = info
            .location()
            .map(|l| format!("{}:{}", l.file(), l.line()))
            .unwrap_or_default();
        let message = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "panic".to_owned());
        tracing::error!(%location, %message, "panic");
    }));
}

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

/// The most characters of any one text about a failed request that reaches the log.
pub const MAX_LOGGED_CHARS: usize = 300;

/// The most characters of the cause of an internal error that reach the log: enough for a
/// database's message, not for a whole request that a message might quote.
pub const MAX_LOGGED_CAUSE_CHARS: usize = 1_000;

/// What the log says of a failed request: a short message and a short account, both bounded.
fn error_summary(error: &actix_web::Error) -> (String, String) {
    let api = error.as_error::<ApiError>().or_else(|| {
        error
            .as_error::<crate::portal::PageError>()
            .and_then(|page| match page {
                crate::portal::PageError::Api(api) => Some(api),
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
