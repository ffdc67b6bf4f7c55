//! The offer's lifecycle: accepted or declined by the applicant, terminated by an
//! administrator, completed once its final return is accepted.
//!
//! Money goes back to a year only through the instalments that hold it: declining an offer
//! cancels every instalment, terminating or completing cancels the unpaid ones, and each
//! cancelled amount is given back to its year (`crate::funds::budget::give_back`).

use std::collections::BTreeMap;

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde_json::json;

use crate::applications::model::ApplicationRow;
use crate::audit::{self, Change};
use crate::awards::access::own;
use crate::awards::messages;
use crate::awards::model::{Award, AwardRow, InstalmentRow, TerminationInput};
use crate::awards::reading::load;
use crate::awards::recipients::{grant_holder_emails, recipients};
use crate::caller::CurrentUser;
use crate::db::schema::{awards, instalments, payment_lines};
use crate::db::{DbConnection, retrying_write};
use crate::domain::FinancialYear;
use crate::domain::vocabulary::{AwardStatus, InstalmentStatus, PaymentLineStatus};
use crate::email::outbox;
use crate::error::{ApiError, ErrorCode, Validator};
use crate::funds::budget;
use crate::organisations::model::OrganisationRow;
use crate::permissions::Action;
use crate::report_cache::{self, Figures};

/// Moves an award from one of `from` to `to`, stamping who and when; 409 `invalid_state` if it
/// has moved on meanwhile.
fn transition(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    user: &CurrentUser,
    award: &AwardRow,
    from: &[AwardStatus],
    to: AwardStatus,
    reason: Option<&str>,
) -> Result<(), ApiError> {
    let target = awards::table
        .find(award.id)
        .filter(awards::status.eq_any(from));
    let changed = match to {
        AwardStatus::Accepted | AwardStatus::Declined => diesel::update(target)
            .set((
                awards::status.eq(to),
                awards::responded_at.eq(Some(now)),
                awards::responded_by.eq(Some(user.id)),
                awards::updated_at.eq(now),
            ))
            .execute(conn)?,
        _ => diesel::update(target)
            .set((
                awards::status.eq(to),
                awards::ended_at.eq(Some(now)),
                awards::ended_by.eq(Some(user.id)),
                awards::end_reason.eq(reason),
                awards::updated_at.eq(now),
            ))
            .execute(conn)?,
    };
    if changed == 0 {
        let current: AwardStatus = awards::table
            .find(award.id)
            .select(awards::status)
            .first(conn)?;
        return Err(ApiError::conflict(
            ErrorCode::InvalidState,
            format!("This award is {current}; it cannot become {to}."),
        ));
    }
    Ok(())
}

pub(super) fn record_award(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    user: &CurrentUser,
    id: i64,
    action: &'static str,
    before: &Award,
    after: &Award,
) -> Result<(), ApiError> {
    audit::record(
        conn,
        now,
        Change::by(user, "award", id, action)
            .before(json!(before))
            .after(json!(after)),
    )
}

/// The applicant accepts the offer. The organisation's contact and the user get a confirmation.
/// Gives the award's row and the award as accepted. Its monitoring returns are scheduled in the
/// same transaction by the use case that calls this (`usecases::grant_cycle::accept_award`).
pub fn accept(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    user: &CurrentUser,
    id: i64,
) -> Result<(AwardRow, Award), ApiError> {
    respond(conn, user, id, |conn, row| {
        let before = load(conn, id)?;
        transition(
            conn,
            now,
            user,
            &row,
            &[AwardStatus::Offered],
            AwardStatus::Accepted,
            None,
        )?;
        let after = load(conn, id)?;
        let application = ApplicationRow::find(conn, row.application_id)?;
        let organisation = OrganisationRow::find(conn, row.organisation_id)?;
        let mut to = recipients(conn, &application, &organisation)?;
        if !to.iter().any(|r| r.eq_ignore_ascii_case(&user.email)) {
            to.push(user.email.clone());
        }
        for recipient in &to {
            outbox::enqueue(
                conn,
                now,
                &messages::award_accepted(recipient, &after, &user.name),
            )?;
        }
        record_award(conn, now, user, id, "accepted", &before, &after)?;
        Ok((row, after))
    })
}

/// The applicant answers their own offer in one write transaction, run again if the database
/// ends it: `work` gets the award's row as it is read each time.
fn respond<T>(
    conn: &mut DbConnection,
    user: &CurrentUser,
    id: i64,
    mut work: impl FnMut(&mut DbConnection, AwardRow) -> Result<T, ApiError>,
) -> Result<T, ApiError> {
    retrying_write(conn, |conn| {
        let row = own(conn, user, id)?;
        work(conn, row)
    })
}

/// Ends an award in state `to` (from one of `from`), giving back to each year what its
/// instalments still held, and records both; gives the award before and after.
#[expect(
    clippy::too_many_arguments,
    reason = "each ending differs only in these"
)]
fn wind_up(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    user: &CurrentUser,
    row: &AwardRow,
    from: &[AwardStatus],
    to: AwardStatus,
    reason: Option<&str>,
    action: &'static str,
) -> Result<Award, ApiError> {
    let before = load(conn, row.id)?;
    transition(conn, now, user, row, from, to, reason)?;
    let returned = give_back_held(conn, now, row)?;
    let after = load(conn, row.id)?;
    record_award(conn, now, user, row.id, action, &before, &after)?;
    returned.record(conn, now, user, "budget_returned")?;
    report_cache::changed(conn, row.fund_id, Figures::Money)?;
    Ok(after)
}

/// The applicant declines the offer: every year's amount goes back to its budget.
pub fn decline(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    user: &CurrentUser,
    id: i64,
) -> Result<Award, ApiError> {
    respond(conn, user, id, |conn, row| {
        wind_up(
            conn,
            now,
            user,
            &row,
            &[AwardStatus::Offered],
            AwardStatus::Declined,
            None,
            "declined",
        )
    })
}

/// An administrator ends an offered or accepted award early: what was not paid goes back to
/// each year's budget, and the grant holder is told why.
pub fn terminate(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    user: &CurrentUser,
    id: i64,
    input: &TerminationInput,
) -> Result<Award, ApiError> {
    user.require(Action::Terminate)?;
    let mut v = Validator::new();
    let reason = v.text("reason", &input.reason, 1, 5_000);
    let reason = v.finish_with(|| reason)?;
    retrying_write(conn, |conn| {
        let row: AwardRow = awards::table.find(id).first(conn)?;
        let after = wind_up(
            conn,
            now,
            user,
            &row,
            &[AwardStatus::Offered, AwardStatus::Accepted],
            AwardStatus::Terminated,
            Some(&reason),
            "terminated",
        )?;
        for recipient in grant_holder_emails(conn, &row)? {
            outbox::enqueue(
                conn,
                now,
                &messages::award_terminated(&recipient, &after, &reason),
            )?;
        }
        Ok(after)
    })
}

/// Completes an accepted award once its final return is accepted: anything not released goes
/// back to its year's budget. Called inside the review's transaction.
pub fn complete(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    user: &CurrentUser,
    id: i64,
) -> Result<Award, ApiError> {
    let row: AwardRow = awards::table.find(id).first(conn)?;
    wind_up(
        conn,
        now,
        user,
        &row,
        &[AwardStatus::Accepted],
        AwardStatus::Completed,
        None,
        "completed",
    )
}

/// What an award holds and has not paid: instalments still `committed`, and those `authorised`
/// but not yet on their way to the bank (a line of a run not yet marked paid or failed).
const HELD: [InstalmentStatus; 2] = [InstalmentStatus::Committed, InstalmentStatus::Authorised];

/// Cancels the instalments of an award that it still holds and gives what they held back to
/// each year's budget. A payment already in a run stays with the bank's answer: paid, it is
/// paid; failed, it comes back here (`crate::payments::marking`). The caller holds the award's
/// row, so no other transaction writes its instalments meanwhile.
fn give_back_held(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    award: &AwardRow,
) -> Result<budget::Moved, ApiError> {
    let on_their_way: Vec<Option<String>> = payment_lines::table
        .filter(payment_lines::award_id.eq(Some(award.id)))
        .filter(payment_lines::status.eq(PaymentLineStatus::Pending))
        .select(payment_lines::financial_year)
        .load(conn)?;
    let held: Vec<InstalmentRow> = instalments::table
        .filter(instalments::award_id.eq(award.id))
        .filter(instalments::status.eq_any(HELD))
        .order(instalments::financial_year)
        .load::<InstalmentRow>(conn)?
        .into_iter()
        .filter(|i| !on_their_way.contains(&Some(i.financial_year.clone())))
        .collect();
    let mut amounts = BTreeMap::new();
    for instalment in held {
        let year = FinancialYear::parse(&instalment.financial_year).map_err(ApiError::internal)?;
        let cancelled = diesel::update(
            instalments::table
                .find((award.id, &instalment.financial_year))
                .filter(instalments::status.eq_any(HELD)),
        )
        .set(instalments::status.eq(InstalmentStatus::Cancelled))
        .execute(conn)?;
        if cancelled > 0 {
            amounts.insert(year, instalment.amount_pence);
        }
    }
    budget::give_back(conn, now, award.fund_id, &amounts)
}
