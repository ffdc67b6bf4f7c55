//! Rules for monitoring returns: their schedule, who may change them, submission, review, and
//! the return an instalment waits for; reading them is in `reading.rs`.
//!
//! A return that has never been submitted is `scheduled` until its period ends, `due` until its
//! due date has passed and `overdue` after; these three follow the calendar whenever a return is
//! read, and the monitoring job records each move (for the audit trail and the administrators'
//! digest). From a first submission on, the status is what the grant holder and the reviewer
//! made it.

use std::collections::HashMap;

use chrono::{Duration, NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use serde_json::json;

use crate::audit::{self, Change};
use crate::awards::model::AwardRow;
use crate::caller::CurrentUser;
use crate::db::schema::{instalments, return_contents, return_reminders, returns};
use crate::db::{DbConnection, retrying_write, write_transaction};
use crate::domain::schedule::{DAYS_TO_REPORT_FINAL, schedule as periods};
use crate::domain::vocabulary::{
    AwardStatus, InstalmentStatus, ReturnFrequency, ReturnStatus, ReviewOutcome,
};
use crate::domain::{FinancialYear, Money};
use crate::email::outbox;
use crate::error::{ApiError, ErrorCode, FieldError, Validator};
use crate::monitoring::messages;
use crate::monitoring::model::{Contents, MonitoringReturn, ReturnPatch, ReturnRow, ReviewInput};
use crate::permissions::Action;
use crate::report_cache::{self, Figures};

pub use super::reading::{ReturnFilter, get, list};
use super::reading::{UNSUBMITTED, load, visible};

/// How far over the released money reported spend may go, in percent: grant holders sometimes
/// spend ahead of an instalment from their own reserves.
pub const SPEND_TOLERANCE_PERCENT: i64 = 5;

/// Schedules the returns of an award accepted at `now`: per the round's frequency over the
/// award's years, and a final return, with periods already over folded into the first still
/// running. Called inside the acceptance's transaction.
pub fn schedule_for(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    user: &CurrentUser,
    award: &AwardRow,
    frequency: ReturnFrequency,
    years: &[FinancialYear],
) -> Result<usize, ApiError> {
    let owed = periods(frequency, years, now.date());
    for period in &owed {
        let id: i64 = diesel::insert_into(returns::table)
            .values((
                returns::award_id.eq(award.id),
                returns::financial_year.eq(period.financial_year.map(|y| y.to_string())),
                returns::period_start.eq(period.start),
                returns::period_end.eq(period.end),
                returns::due_date.eq(period.due),
                returns::status.eq(ReturnStatus::Scheduled),
                returns::created_at.eq(now),
                returns::updated_at.eq(now),
            ))
            .returning(returns::id)
            .get_result(conn)?;
        diesel::insert_into(return_contents::table)
            .values(Contents {
                return_id: id,
                updated_at: now,
                ..Contents::default()
            })
            .execute(conn)?;
    }
    audit::record(
        conn,
        now,
        Change::by(user, "award", award.id, "returns_scheduled").after(json!({
            "frequency": frequency,
            "returns": owed.iter().map(|p| json!({
                "period_start": p.start, "period_end": p.end, "due_date": p.due,
                "final": p.is_final(),
            })).collect::<Vec<_>>(),
        })),
    )?;
    Ok(owed.len())
}

/// Reschedules an award's returns for an approved extension to `end`: the final return now
/// covers up to the new last day and is due [`DAYS_TO_REPORT_FINAL`] days after it (never
/// sooner than it was due before), and the
/// reminders already sent for it are forgotten so that the new due date is reminded afresh. A
/// final return already submitted cannot move: 409 `invalid_state`. Called inside the
/// approval's transaction.
pub fn extend_to(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    user: &CurrentUser,
    award: &AwardRow,
    end: NaiveDate,
) -> Result<(), ApiError> {
    let last: Option<ReturnRow> = returns::table
        .filter(returns::award_id.eq(award.id))
        .filter(returns::financial_year.is_null())
        .first(conn)
        .optional()?;
    let Some(last) = last else {
        return Ok(());
    };
    if !UNSUBMITTED.contains(&last.status) {
        return Err(ApiError::conflict(
            ErrorCode::InvalidState,
            format!(
                "The final return is {}, so the award can no longer be extended.",
                last.status
            ),
        ));
    }
    // Never sooner than it was due before: the grant holder may have planned for that date.
    let due = (end + Duration::days(DAYS_TO_REPORT_FINAL)).max(last.due_date);
    diesel::update(returns::table.find(last.id))
        .set((
            returns::period_end.eq(end),
            returns::due_date.eq(due),
            returns::status.eq(ReturnStatus::Scheduled),
            returns::updated_at.eq(now),
        ))
        .execute(conn)?;
    diesel::delete(return_reminders::table.filter(return_reminders::return_id.eq(last.id)))
        .execute(conn)?;
    audit::record(
        conn,
        now,
        Change::by(user, "award", award.id, "returns_rescheduled")
            .before(json!({"return_id": last.id, "period_end": last.period_end, "due_date": last.due_date}))
            .after(json!({"return_id": last.id, "period_end": end, "due_date": due})),
    )?;
    Ok(())
}

/// The return if the caller is an applicant of its organisation and its award is running.
fn own(
    conn: &mut DbConnection,
    user: &CurrentUser,
    id: i64,
) -> Result<(ReturnRow, AwardRow), ApiError> {
    user.require(Action::CompleteReturn)?;
    let (row, award) = visible(conn, user, id)?;
    if award.status != AwardStatus::Accepted {
        return Err(ApiError::conflict(
            ErrorCode::AwardNotActive,
            format!(
                "The award {} is {}; its returns can no longer change.",
                award.reference, award.status
            ),
        ));
    }
    Ok((row, award))
}

/// What has been released of each year of an award.
fn released(conn: &mut DbConnection, award_id: i64) -> Result<HashMap<String, i64>, ApiError> {
    Ok(instalments::table
        .filter(instalments::award_id.eq(award_id))
        .filter(instalments::status.eq(InstalmentStatus::Released))
        .select((instalments::financial_year, instalments::amount_pence))
        .load::<(String, i64)>(conn)?
        .into_iter()
        .collect())
}

/// The spend rule: a periodic return's spend, with the other periodic returns of its year, may
/// not exceed that year's released instalment plus [`SPEND_TOLERANCE_PERCENT`]; the final
/// return's spend may not exceed everything released plus the same.
fn spend_problem(
    conn: &mut DbConnection,
    row: &ReturnRow,
    contents: &Contents,
) -> Result<Option<FieldError>, ApiError> {
    let Some(spend) = contents.spend_pence else {
        return Ok(None);
    };
    let released = released(conn, row.award_id)?;
    let money = |pence: i64| Money::from_pence(pence).map_err(ApiError::internal);
    let (reported, paid, what) = match &row.financial_year {
        Some(year) => {
            let others: Vec<Option<i64>> = return_contents::table
                .inner_join(returns::table)
                .filter(returns::award_id.eq(row.award_id))
                .filter(returns::financial_year.eq(year))
                .filter(returns::id.ne(row.id))
                .select(return_contents::spend_pence)
                .load(conn)?;
            let others: i64 = others.into_iter().flatten().sum();
            (
                others + spend,
                released.get(year).copied().unwrap_or(0),
                format!("the {year} instalment released"),
            )
        }
        None => (
            spend,
            released.values().sum(),
            "everything released".to_owned(),
        ),
    };
    let allowed = paid + paid * SPEND_TOLERANCE_PERCENT / 100;
    if reported <= allowed {
        return Ok(None);
    }
    Ok(Some(FieldError {
        field: "spend".to_owned(),
        message: format!(
            "reported spend comes to {}, more than {what} ({}) plus {SPEND_TOLERANCE_PERCENT}%",
            money(reported)?,
            money(paid)?
        ),
    }))
}

fn contents_of(conn: &mut DbConnection, id: i64) -> Result<Contents, ApiError> {
    Ok(return_contents::table.find(id).first(conn)?)
}

/// Saves changes to a return that is not submitted or has had changes requested (its
/// organisation's applicants).
pub fn update(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    user: &CurrentUser,
    id: i64,
    patch: &ReturnPatch,
) -> Result<MonitoringReturn, ApiError> {
    let today = now.date();
    write_transaction(conn, |conn| {
        let (row, _) = own(conn, user, id)?;
        let status = row.status_on(today);
        if !status.is_open() {
            return Err(ApiError::conflict(
                ErrorCode::InvalidState,
                format!(
                    "This return is {status}; it can be changed only before it is submitted or after changes are requested."
                ),
            ));
        }
        let mut contents = contents_of(conn, id)?;
        let mut v = Validator::new();
        contents.apply(patch, &mut v);
        if patch.spend.is_some()
            && let Some(problem) = spend_problem(conn, &row, &contents)?
        {
            v.error(problem.field, problem.message);
        }
        v.finish()?;
        contents.updated_at = now;
        diesel::update(return_contents::table.find(id))
            .set(&contents)
            .execute(conn)?;
        diesel::update(returns::table.find(id))
            .set(returns::updated_at.eq(now))
            .execute(conn)?;
        load(conn, id, today)
    })
}

/// Submits a return once its period has ended and every required figure is given (its
/// organisation's applicants). 422 names every field still missing or out of bounds.
pub fn submit(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    user: &CurrentUser,
    id: i64,
) -> Result<MonitoringReturn, ApiError> {
    let today = now.date();
    write_transaction(conn, |conn| {
        let (row, _) = own(conn, user, id)?;
        let status = row.status_on(today);
        match status {
            ReturnStatus::Scheduled => {
                return Err(ApiError::conflict(
                    ErrorCode::PeriodNotEnded,
                    format!(
                        "This return's period ends on {}; it can be submitted after that.",
                        row.period_end
                    ),
                ));
            }
            ReturnStatus::Submitted | ReturnStatus::Accepted => {
                return Err(ApiError::conflict(
                    ErrorCode::InvalidState,
                    format!("This return is already {status}."),
                ));
            }
            ReturnStatus::Due | ReturnStatus::Overdue | ReturnStatus::ChangesRequested => {}
        }
        let contents = contents_of(conn, id)?;
        let mut errors: Vec<FieldError> = contents
            .missing()
            .into_iter()
            .map(|field| FieldError {
                field: field.to_owned(),
                message: "is needed to submit the return".to_owned(),
            })
            .collect();
        errors.extend(spend_problem(conn, &row, &contents)?);
        if !errors.is_empty() {
            return Err(ApiError::Validation(errors));
        }
        let mut open = UNSUBMITTED.to_vec();
        open.push(ReturnStatus::ChangesRequested);
        let changed = diesel::update(returns::table.find(id).filter(returns::status.eq_any(open)))
            .set((
                returns::status.eq(ReturnStatus::Submitted),
                returns::submitted_at.eq(Some(now)),
                returns::submitted_by.eq(Some(user.id)),
                returns::updated_at.eq(now),
            ))
            .execute(conn)?;
        if changed == 0 {
            return Err(ApiError::conflict(
                ErrorCode::InvalidState,
                "This return was submitted meanwhile.",
            ));
        }
        let after = load(conn, id, today)?;
        audit::record(
            conn,
            now,
            Change::by(user, "return", id, "submitted")
                .before(json!({"status": status}))
                .after(json!(after)),
        )?;
        Ok(after)
    })
}

/// An administrator reviews a submitted return: `accepted`, or `changes_requested` with a
/// comment that is emailed to the grant holder. Accepting the final return completes the award,
/// in the same transaction, by the use case that calls this (`usecases::grant_cycle::review_return`).
pub fn review(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    user: &CurrentUser,
    id: i64,
    input: &ReviewInput,
) -> Result<MonitoringReturn, ApiError> {
    user.require(Action::ReviewReturn)?;
    let today = now.date();
    let mut v = Validator::new();
    let comment = match (input.outcome, input.comment.as_deref()) {
        (ReviewOutcome::ChangesRequested, None) => {
            v.error("comment", "say what should change");
            None
        }
        (ReviewOutcome::ChangesRequested, Some(text)) => v.text("comment", text, 1, 5_000),
        (ReviewOutcome::Accepted, text) => v.optional_text("comment", text, 5_000).flatten(),
    };
    v.finish()?;
    retrying_write(conn, |conn| {
        let (row, award) = visible(conn, user, id)?;
        let to = match input.outcome {
            ReviewOutcome::Accepted => ReturnStatus::Accepted,
            ReviewOutcome::ChangesRequested => ReturnStatus::ChangesRequested,
        };
        let changed = diesel::update(
            returns::table
                .find(id)
                .filter(returns::status.eq(ReturnStatus::Submitted)),
        )
        .set((
            returns::status.eq(to),
            returns::reviewed_at.eq(Some(now)),
            returns::reviewed_by.eq(Some(user.id)),
            returns::review_comment.eq(comment.as_deref()),
            returns::updated_at.eq(now),
        ))
        .execute(conn)?;
        if changed == 0 {
            return Err(ApiError::conflict(
                ErrorCode::InvalidState,
                format!(
                    "This return is {}; only submitted returns are reviewed.",
                    row.status_on(today)
                ),
            ));
        }
        let after = load(conn, id, today)?;
        audit::record(
            conn,
            now,
            Change::by(
                user,
                "return",
                id,
                match to {
                    ReturnStatus::Accepted => "accepted",
                    _ => "changes_requested",
                },
            )
            .before(json!({"status": row.status}))
            .after(json!({"status": to, "comment": comment})),
        )?;
        if to == ReturnStatus::ChangesRequested {
            for recipient in crate::awards::recipients::grant_holder_emails(conn, &award)? {
                outbox::enqueue(
                    conn,
                    now,
                    &messages::return_changes_requested(
                        &recipient,
                        &after,
                        comment.as_deref().unwrap_or_default(),
                    ),
                )?;
            }
        }
        if to == ReturnStatus::Accepted {
            report_cache::changed(conn, award.fund_id, Figures::Reach)?;
        }
        Ok(after)
    })
}

/// 409 `return_not_accepted` unless the return for the period just before `year` (the last
/// periodic return that ends before the year starts) has been accepted. An instalment after the
/// first waits for it.
pub fn ensure_previous_accepted(
    conn: &mut DbConnection,
    award_id: i64,
    year: FinancialYear,
) -> Result<(), ApiError> {
    let previous: Option<ReturnRow> = returns::table
        .filter(returns::award_id.eq(award_id))
        .filter(returns::financial_year.is_not_null())
        .filter(returns::period_end.lt(year.first_day()))
        .order(returns::period_end.desc())
        .first(conn)
        .optional()?;
    match previous {
        Some(row) if row.status != ReturnStatus::Accepted => Err(ApiError::conflict(
            ErrorCode::ReturnNotAccepted,
            format!(
                "The return for {} to {} must be accepted before the {year} instalment is released.",
                row.period_start, row.period_end
            ),
        )),
        _ => Ok(()),
    }
}
