//! The monitoring job: records returns that became due or overdue, tells administrators of the
//! newly overdue in one digest, and reminds grant holders of their returns, each step once.
//!
//! Every effect is claimed in the database in the transaction that has it, never in memory: a
//! move to `overdue` is a conditional update that only one worker can make, and a reminder is a
//! row keyed by return and step whose insert only one worker can commit. So the job can run as
//! often as it likes, in any number of instances at once, and restart at any point, and still
//! send each reminder once and list each return in one digest.

use std::sync::Arc;

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use serde_json::json;

use crate::audit::{self, Change};
use crate::awards::model::AwardRow;
use crate::config::Settings;
use crate::db::schema::{awards, organisations, return_reminders, returns, users};
use crate::db::{Db, DbConnection, write_transaction};
use crate::domain::clock::Clock;
use crate::domain::schedule::{REMIND_BEFORE_DAYS, Reminder};
use crate::domain::vocabulary::{AwardStatus, ReturnStatus, Role};
use crate::email::outbox;
use crate::error::{ApiError, ErrorCode};
use crate::monitoring::messages;
use crate::monitoring::model::ReturnRow;

/// What one pass did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct PassReport {
    /// Returns whose period ended since the last pass.
    pub became_due: usize,
    /// Returns that went past their due date since the last pass.
    pub became_overdue: usize,
    /// Reminders queued for grant holders.
    pub reminders: usize,
    /// Digests queued for administrators.
    pub digests: usize,
}

/// Unsubmitted returns of running awards.
fn running() -> returns::BoxedQuery<'static, crate::db::MultiBackend> {
    returns::table
        .filter(
            returns::award_id.eq_any(
                awards::table
                    .filter(awards::status.eq(AwardStatus::Accepted))
                    .select(awards::id),
            ),
        )
        .into_boxed()
}

/// Moves returns whose date has come from `from` to `to`, giving the ids this pass moved.
fn advance(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    from: &[ReturnStatus],
    to: ReturnStatus,
    passed: NaiveDate,
) -> Result<Vec<i64>, ApiError> {
    let query = running().filter(returns::status.eq_any(from));
    let query = match to {
        ReturnStatus::Overdue => query.filter(returns::due_date.lt(passed)),
        _ => query.filter(returns::period_end.lt(passed)),
    };
    let candidates: Vec<i64> = query.select(returns::id).load(conn)?;
    if candidates.is_empty() {
        return Ok(Vec::new());
    }
    // Conditional on the status still being one of `from`: a worker that lost the race moves
    // nothing and reports nothing.
    let moved: Vec<i64> = diesel::update(
        returns::table
            .filter(returns::id.eq_any(&candidates))
            .filter(returns::status.eq_any(from)),
    )
    .set((returns::status.eq(to), returns::updated_at.eq(now)))
    .returning(returns::id)
    .get_results(conn)?;
    for id in &moved {
        audit::record(
            conn,
            now,
            Change::new(None, "return", *id, to.as_str()).after(json!({"status": to})),
        )?;
    }
    Ok(moved)
}

/// Records returns that became due and overdue today, and emails every active administrator one
/// digest of the newly overdue.
fn mark(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    report: &mut PassReport,
) -> Result<(), ApiError> {
    let today = now.date();
    write_transaction(conn, |conn| {
        let due = advance(
            conn,
            now,
            &[ReturnStatus::Scheduled],
            ReturnStatus::Due,
            today,
        )?;
        let overdue = advance(
            conn,
            now,
            &[ReturnStatus::Scheduled, ReturnStatus::Due],
            ReturnStatus::Overdue,
            today,
        )?;
        report.became_due += due.len();
        report.became_overdue += overdue.len();
        if overdue.is_empty() {
            return Ok(());
        }
        let lines: Vec<(String, String, NaiveDate, NaiveDate, NaiveDate)> = returns::table
            .inner_join(awards::table.inner_join(organisations::table))
            .filter(returns::id.eq_any(&overdue))
            .order((returns::due_date, returns::id))
            .select((
                awards::reference,
                organisations::name,
                returns::period_start,
                returns::period_end,
                returns::due_date,
            ))
            .load(conn)?;
        let administrators: Vec<(String, String)> = users::table
            .filter(users::role.eq(Role::Administrator))
            .filter(users::active.eq(true))
            .select((users::email, users::name))
            .load(conn)?;
        for (email, name) in &administrators {
            outbox::enqueue(conn, now, &messages::overdue_digest(email, name, &lines))?;
            report.digests += 1;
        }
        Ok(())
    })
}

/// Why a reminder was not sent by this worker.
enum Claim {
    Sent,
    Taken,
}

/// Claims one reminder and queues its email, in one transaction; `Taken` if another worker (or
/// an earlier pass) already has it.
fn remind(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    row: &ReturnRow,
    step: Reminder,
) -> Result<Claim, ApiError> {
    let result: Result<(), ApiError> = write_transaction(conn, |conn| {
        diesel::insert_into(return_reminders::table)
            .values((
                return_reminders::return_id.eq(row.id),
                return_reminders::step.eq(step),
                return_reminders::sent_at.eq(now),
            ))
            .execute(conn)
            .map_err(ApiError::unique_as(
                ErrorCode::ReminderTaken,
                "already reminded",
            ))?;
        let award: AwardRow = awards::table.find(row.award_id).first(conn)?;
        let organisation: String = organisations::table
            .find(award.organisation_id)
            .select(organisations::name)
            .first(conn)?;
        for recipient in crate::awards::recipients::grant_holder_emails(conn, &award)? {
            outbox::enqueue(
                conn,
                now,
                &messages::return_reminder(&recipient, step, &award.reference, &organisation, row),
            )?;
        }
        Ok(())
    });
    match result {
        Ok(()) => Ok(Claim::Sent),
        Err(error) if error.code() == ErrorCode::ReminderTaken => Ok(Claim::Taken),
        Err(other) => Err(other),
    }
}

/// One pass of the job at `now`.
pub fn run_once(conn: &mut DbConnection, now: NaiveDateTime) -> Result<PassReport, ApiError> {
    let mut report = PassReport::default();
    mark(conn, now, &mut report)?;
    let today = now.date();
    let unsubmitted = [
        ReturnStatus::Scheduled,
        ReturnStatus::Due,
        ReturnStatus::Overdue,
    ];
    let candidates: Vec<ReturnRow> = running()
        .filter(returns::status.eq_any(unsubmitted))
        .filter(returns::due_date.le(today + chrono::Duration::days(REMIND_BEFORE_DAYS)))
        .order(returns::id)
        .load(conn)?;
    let ids: Vec<i64> = candidates.iter().map(|r| r.id).collect();
    let sent: std::collections::HashSet<(i64, Reminder)> = return_reminders::table
        .filter(return_reminders::return_id.eq_any(&ids))
        .select((return_reminders::return_id, return_reminders::step))
        .load::<(i64, Reminder)>(conn)?
        .into_iter()
        .collect();
    for row in &candidates {
        let Some(step) = Reminder::for_day(row.due_date, today) else {
            continue;
        };
        if sent.contains(&(row.id, step)) {
            continue;
        }
        if let Claim::Sent = remind(conn, now, row, step)? {
            report.reminders += 1;
        }
    }
    Ok(report)
}

/// Runs [`run_once`] on the database's blocking pool.
pub async fn pass(db: &Db, clock: &Arc<dyn Clock>) -> Result<PassReport, ApiError> {
    let now = clock.now_naive();
    db.run(move |conn| run_once(conn, now)).await
}

/// Runs a pass every reminder interval until the process stops.
pub async fn run_forever(db: Db, settings: Arc<Settings>, clock: Arc<dyn Clock>) {
    let mut interval = tokio::time::interval(settings.reminder_poll_interval);
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        interval.tick().await;
        match pass(&db, &clock).await {
            Ok(report) if report != PassReport::default() => {
                tracing::info!(
                    became_due = report.became_due,
                    became_overdue = report.became_overdue,
                    reminders = report.reminders,
                    digests = report.digests,
                    "monitoring pass"
                );
            }
            Ok(_) => {}
            Err(error) => tracing::warn!(%error, "monitoring pass failed; will retry"),
        }
    }
}
