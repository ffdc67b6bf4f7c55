//! Retention: personal content is kept no longer than the fund needs it.
//!
//! Declined and withdrawn applications keep their content for `RETENTION_MONTHS` after their
//! round closes; then their title, summary, description, equality impact and the panel's
//! feedback are removed. What the fund must keep stays: the organisation, the amounts asked,
//! the decision, every score, and the audit trail of who did what and when (entries about the
//! application lose the content they copied). Accounts an administrator marked for deletion
//! lose their name, email and password; their sessions, reset links and stored answers go, and
//! the records that name them as actor stay, pointing at an account that says "Deleted user".
//! The documents of those applications go with their content: their rows in the same
//! transaction, their blobs from the store once no other document names them. A family fund's
//! stays are anonymised `STAY_RETENTION_MONTHS` after their last change with no claim open
//! (`family::retention`), their receipts going the same way.

use chrono::{Months, NaiveDateTime};
use diesel::prelude::*;

use crate::applications::{answers, information};
use crate::audit::{self, Change};
use crate::blobs::Blobs;
use crate::db::schema::{
    applications, decisions, idempotency_keys, password_resets, refresh_tokens, rounds, users,
};
use crate::db::{DbConnection, write_transaction};
use crate::documents;
use crate::domain::vocabulary::{ApplicationStatus, DocumentOwner};
use crate::error::ApiError;

/// What one pass did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct RetentionReport {
    pub applications_anonymised: usize,
    pub accounts_removed: usize,
    /// Documents of the anonymised applications, removed with them.
    pub documents_removed: usize,
    /// A family fund's stays anonymised.
    pub stays_anonymised: usize,
    /// The blobs those documents used: removed from the store by [`forget_blobs`] once no other
    /// document names them.
    pub freed_blobs: Vec<String>,
}

/// How long personal content is kept, in months.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Periods {
    /// After a round closes, for its declined and withdrawn applications.
    pub applications: u32,
    /// After a family's stay last changed, with no claim of it open.
    pub stays: u32,
}

impl Periods {
    /// The periods the settings give.
    pub fn of(settings: &crate::config::Settings) -> Periods {
        Periods {
            applications: settings.retention_months,
            stays: settings.stay_retention_months,
        }
    }
}

fn months_before(now: NaiveDateTime, months: u32) -> Result<NaiveDateTime, ApiError> {
    now.checked_sub_months(Months::new(months))
        .ok_or_else(|| ApiError::internal("retention period reaches before the calendar"))
}

/// Anonymises declined and withdrawn applications of rounds that closed more than
/// `periods.applications` months before `now` and the stays due under `periods.stays`, and
/// removes accounts marked for deletion.
pub fn run_once(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    periods: Periods,
) -> Result<RetentionReport, ApiError> {
    let mut report = RetentionReport::default();
    let cutoff = months_before(now, periods.applications)?;
    let due: Vec<i64> = applications::table
        .filter(
            applications::status
                .eq_any([ApplicationStatus::Declined, ApplicationStatus::Withdrawn]),
        )
        .filter(applications::anonymised_at.is_null())
        .filter(
            applications::round_id.eq_any(
                rounds::table
                    .filter(rounds::closes_at.lt(cutoff))
                    .select(rounds::id),
            ),
        )
        .select(applications::id)
        .load(conn)?;
    for id in due {
        let done = write_transaction(conn, |conn| {
            let changed = diesel::update(
                applications::table
                    .find(id)
                    .filter(applications::anonymised_at.is_null()),
            )
            .set((
                applications::title.eq("Anonymised application"),
                applications::summary.eq(None::<String>),
                applications::description.eq(None::<String>),
                applications::equality_impact.eq(None::<String>),
                applications::anonymised_at.eq(Some(now)),
            ))
            .execute(conn)?;
            if changed == 0 {
                return Ok(None);
            }
            diesel::update(decisions::table.find(id))
                .set(decisions::feedback.eq(None::<String>))
                .execute(conn)?;
            audit::redact(conn, "application", id)?;
            answers::wipe(conn, &[id])?;
            information::wipe(conn, &[id])?;
            let freed = documents::service::remove_all(conn, DocumentOwner::Application, &[id])?;
            audit::record(
                conn,
                now,
                Change::new(None, "application", id, "anonymised"),
            )?;
            Ok::<_, ApiError>(Some(freed))
        })?;
        if let Some(freed) = done {
            report.applications_anonymised += 1;
            report.documents_removed += freed.len();
            report.freed_blobs.extend(freed);
        }
    }

    let stays = crate::family::retention::anonymise(conn, now, months_before(now, periods.stays)?)?;
    report.stays_anonymised = stays.stays;
    report.documents_removed += stays.documents;
    report.freed_blobs.extend(stays.freed_blobs);

    let marked: Vec<i64> = users::table
        .filter(users::deletion_requested_at.is_not_null())
        .filter(users::password_hash.ne("!deleted"))
        .select(users::id)
        .load(conn)?;
    for id in marked {
        write_transaction(conn, |conn| {
            diesel::update(users::table.find(id))
                .set((
                    users::name.eq("Deleted user"),
                    users::email.eq(format!("deleted-{id}@deleted.invalid")),
                    // Matches no password: argon2 hashes start with "$".
                    users::password_hash.eq("!deleted"),
                    users::active.eq(false),
                    users::updated_at.eq(now),
                ))
                .execute(conn)?;
            diesel::delete(refresh_tokens::table.filter(refresh_tokens::user_id.eq(id)))
                .execute(conn)?;
            diesel::delete(password_resets::table.filter(password_resets::user_id.eq(id)))
                .execute(conn)?;
            diesel::delete(idempotency_keys::table.filter(idempotency_keys::user_id.eq(id)))
                .execute(conn)?;
            audit::redact(conn, "user", id)?;
            audit::record(conn, now, Change::new(None, "user", id, "removed"))
        })?;
        report.accounts_removed += 1;
    }
    Ok(report)
}

/// Removes from the store the blobs of the documents a pass removed, unless another document
/// names them; what the store cannot remove now is left to the sweep.
pub async fn forget_blobs(db: &crate::db::Db, blobs: &Blobs, report: &RetentionReport) -> usize {
    match documents::sweep::forget(db, blobs, report.freed_blobs.clone()).await {
        Ok(removed) => removed,
        Err(error) => {
            tracing::warn!(%error, "removing the blobs of retained documents failed; the sweep will");
            0
        }
    }
}

/// Passes between two sweeps of the document store (about an hour at the default interval).
const PASSES_PER_SWEEP: u32 = 12;

/// Runs a pass every reminder interval until the process stops, and sweeps the document store
/// every twelfth pass.
pub async fn run_forever(
    db: crate::db::Db,
    blobs: Blobs,
    settings: std::sync::Arc<crate::config::Settings>,
    clock: std::sync::Arc<dyn crate::domain::clock::Clock>,
) {
    let mut interval = tokio::time::interval(settings.reminder_poll_interval);
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut passes = 0u32;
    loop {
        interval.tick().await;
        let now = clock.now_naive();
        let periods = Periods::of(&settings);
        match db.run(move |conn| run_once(conn, now, periods)).await {
            Ok(report) if report != RetentionReport::default() => {
                let blobs_removed = forget_blobs(&db, &blobs, &report).await;
                tracing::info!(
                    applications = report.applications_anonymised,
                    accounts = report.accounts_removed,
                    stays = report.stays_anonymised,
                    documents = report.documents_removed,
                    blobs = blobs_removed,
                    "retention pass"
                );
            }
            Ok(_) => {}
            Err(error) => tracing::warn!(%error, "retention pass failed; will retry"),
        }
        let days = settings.sign_in_history_days;
        match db
            .run(move |conn| crate::mfa::history::prune(conn, now, days))
            .await
        {
            Ok(0) => {}
            Ok(removed) => tracing::info!(removed, "sign-in history pruned"),
            Err(error) => tracing::warn!(%error, "sign-in history pruning failed; will retry"),
        }
        if passes.is_multiple_of(PASSES_PER_SWEEP) {
            match documents::sweep::sweep(&db, &blobs, clock.now()).await {
                Ok(swept) if swept.blobs_removed > 0 => {
                    tracing::info!(
                        removed = swept.blobs_removed,
                        kept = swept.blobs_kept,
                        "document sweep"
                    );
                }
                Ok(_) => {}
                Err(error) => tracing::warn!(%error, "document sweep failed; will retry"),
            }
        }
        passes = passes.wrapping_add(1);
    }
}
