//! Logging: tracing to standard error, JSON in production; panics are logged too; and how much
//! of any one text reaches the log.

use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::{self, format::FmtSpan};

use crate::config::Settings;

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

/// The most characters of any one text about a failed request that reaches the log.
pub const MAX_LOGGED_CHARS: usize = 300;

/// The most characters of the cause of an internal error that reach the log: enough for a
/// database's message, not for a whole request that a message might quote.
pub const MAX_LOGGED_CAUSE_CHARS: usize = 1_000;
