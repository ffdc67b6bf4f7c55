//! The worker that drains the outbox: inside `serve` on an interval, and once by `jobs run-once`.

use std::sync::Arc;

use crate::auth;
use crate::config::Settings;
use crate::db::Db;
use crate::domain::clock::Clock;
use crate::email::mailer::Mailer;
use crate::email::outbox;
use crate::error::ApiError;

/// Rows claimed per pass.
const BATCH: i64 = 20;

/// What one pass did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct PassReport {
    pub sent: usize,
    pub failed: usize,
}

/// Turns waiting password-reset requests into emails, then sends everything due now, batch
/// after batch, until nothing is due.
pub async fn drain(
    db: &Db,
    mailer: &Mailer,
    settings: &Settings,
    clock: Arc<dyn Clock>,
) -> Result<PassReport, ApiError> {
    let now = clock.now();
    let for_resets = settings.clone();
    db.run(move |conn| auth::service::handle_reset_requests(conn, now, &for_resets))
        .await?;
    let mut report = PassReport::default();
    loop {
        let now = clock.now_naive();
        let rows = db.run(move |conn| outbox::claim(conn, now, BATCH)).await?;
        if rows.is_empty() {
            return Ok(report);
        }
        for row in rows {
            let outcome = mailer.send(&settings.mail_from, &row).await;
            let now = clock.now_naive();
            let max_attempts = settings.outbox_max_attempts;
            let retry_base = settings.outbox_retry_base;
            match outcome {
                Ok(()) => {
                    report.sent += 1;
                    let id = row.id;
                    db.run(move |conn| outbox::mark_sent(conn, id, now)).await?;
                }
                Err(error) => {
                    report.failed += 1;
                    tracing::warn!(outbox_id = row.id, attempt = row.attempts, %error, "email not sent");
                    db.run(move |conn| {
                        outbox::mark_failed(conn, &row, now, &error, max_attempts, retry_base)
                    })
                    .await?;
                }
            }
        }
    }
}

/// Runs [`drain`] every poll interval until the process stops.
pub async fn run_forever(db: Db, mailer: Mailer, settings: Arc<Settings>, clock: Arc<dyn Clock>) {
    let mut interval = tokio::time::interval(settings.outbox_poll_interval);
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        interval.tick().await;
        match drain(&db, &mailer, &settings, clock.clone()).await {
            Ok(report) if report.sent + report.failed > 0 => {
                tracing::info!(sent = report.sent, failed = report.failed, "outbox pass");
            }
            Ok(_) => {}
            Err(error) => tracing::warn!(%error, "outbox pass failed; will retry"),
        }
    }
}
