//! Journeys approved before they are made: a taxi by a clinician of the unit, a flight by the
//! cash office of the unit's board. The claimant asks; the answer is emailed.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde_json::json;

use crate::audit::{self, Change};
use crate::caller::CurrentUser;
use crate::db::schema::{pre_approvals, stays as stay_rows, units, users, visitors};
use crate::db::{DbConnection, retrying_write};
use crate::domain::clock::utc;
use crate::domain::vocabulary::{PreApprovalKind, PreApprovalStatus, Role};
use crate::email::outbox;
use crate::error::{ApiError, ErrorCode, Validator};
use crate::family::claim_model::{
    PreApproval, PreApprovalDecisionInput, PreApprovalInput, PreApprovalRow,
};
use crate::family::messages;
use crate::family::stays;
use crate::permissions::Action;

fn view(row: PreApprovalRow) -> PreApproval {
    PreApproval {
        id: row.id,
        stay_id: row.stay_id,
        visitor_id: row.visitor_id,
        kind: row.kind,
        journey_on: row.journey_on,
        details: row.details,
        status: row.status,
        requested_at: utc(row.requested_at),
        decided_at: row.decided_at.map(utc),
        reason: row.reason,
    }
}

fn find(conn: &mut DbConnection, id: i64) -> Result<PreApprovalRow, ApiError> {
    pre_approvals::table
        .find(id)
        .select(PreApprovalRow::as_select())
        .first(conn)
        .optional()?
        .ok_or(ApiError::NotFound)
}

/// The requests of a stay, for those who may see it, in the order they were made.
pub fn of_stay(
    conn: &mut DbConnection,
    user: &CurrentUser,
    stay_id: i64,
) -> Result<Vec<PreApproval>, ApiError> {
    stays::visible(conn, user, stay_id)?;
    Ok(pre_approvals::table
        .filter(pre_approvals::stay_id.eq(stay_id))
        .order(pre_approvals::id)
        .select(PreApprovalRow::as_select())
        .load(conn)?
        .into_iter()
        .map(view)
        .collect())
}

/// The requests waiting for the caller's answer, oldest journey first: taxis of a clinician's
/// unit, flights of a cash office's board. Anyone else has none to answer.
pub fn waiting(conn: &mut DbConnection, user: &CurrentUser) -> Result<Vec<PreApproval>, ApiError> {
    user.require(Action::DecidePreApproval)?;
    let mut query = pre_approvals::table
        .inner_join(stay_rows::table.inner_join(units::table))
        .filter(pre_approvals::status.eq(PreApprovalStatus::Requested))
        .filter(stay_rows::anonymised_at.is_null())
        .order((pre_approvals::journey_on, pre_approvals::id))
        .limit(500)
        .select(PreApprovalRow::as_select())
        .into_boxed();
    match (user.role, user.unit_id, user.health_board) {
        (Role::Clinician, Some(unit), _) => {
            query = query
                .filter(stay_rows::unit_id.eq(unit))
                .filter(pre_approvals::kind.eq(PreApprovalKind::Taxi));
        }
        (Role::CashOffice, _, Some(board)) => {
            query = query
                .filter(units::health_board.eq(board))
                .filter(pre_approvals::kind.eq(PreApprovalKind::Flight));
        }
        _ => return Ok(Vec::new()),
    }
    Ok(query.load(conn)?.into_iter().map(view).collect())
}

/// Asks for a taxi or a flight to be approved before the journey (the claimant).
pub fn request(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    user: &CurrentUser,
    stay_id: i64,
    input: &PreApprovalInput,
) -> Result<PreApproval, ApiError> {
    let mut v = Validator::new();
    let kind = v.check("kind", input.kind.parse::<PreApprovalKind>());
    let day = v.date("journey_on", &input.journey_on);
    if day.is_some_and(|d| d < now.date()) {
        v.error(
            "journey_on",
            "must be today or later: a journey is approved before it is made",
        );
    }
    let details = v.text("details", &input.details, 1, 500);
    retrying_write(conn, |conn| {
        let mut v = v.clone();
        let (stay, _) = stays::own(conn, user, stay_id)?;
        let of_stay = visitors::table
            .find(input.visitor_id)
            .select(visitors::stay_id)
            .first::<i64>(conn)
            .optional()?;
        if of_stay != Some(stay.id) {
            v.error("visitor_id", "is not a visitor of this stay");
        }
        if let (Some(d), Some(out)) = (day, stay.discharged_on)
            && d > out
        {
            v.error("journey_on", "is after the discharge");
        }
        let (kind, day, details) = v.finish_with(|| Some((kind?, day?, details.clone()?)))?;
        let id: i64 = diesel::insert_into(pre_approvals::table)
            .values((
                pre_approvals::stay_id.eq(stay.id),
                pre_approvals::visitor_id.eq(input.visitor_id),
                pre_approvals::kind.eq(kind),
                pre_approvals::journey_on.eq(day),
                pre_approvals::details.eq(&details),
                pre_approvals::status.eq(PreApprovalStatus::Requested),
                pre_approvals::requested_at.eq(now),
            ))
            .returning(pre_approvals::id)
            .get_result(conn)?;
        audit::record(
            conn,
            now,
            Change::by(user, "pre_approval", id, "journey_requested")
                .after(json!({"stay_id": stay.id, "kind": kind, "journey_on": day})),
        )?;
        Ok(view(find(conn, id)?))
    })
}

/// Approves or refuses a request (a clinician of the unit for a taxi, the board's cash office
/// for a flight; anyone else who sees the stay gets 403). A request is answered once.
pub fn decide(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    user: &CurrentUser,
    id: i64,
    input: &PreApprovalDecisionInput,
) -> Result<PreApproval, ApiError> {
    user.require(Action::DecidePreApproval)?;
    let mut v = Validator::new();
    let reason = v.optional_text("reason", input.reason.as_deref(), 500);
    if !input.approved && input.reason.as_deref().is_none_or(|r| r.trim().is_empty()) {
        v.error("reason", "say why the journey is refused");
    }
    v.finish()?;
    retrying_write(conn, |conn| {
        let row = find(conn, id)?;
        let (stay, _) = stays::visible(conn, user, row.stay_id)?;
        let decider = match row.kind {
            PreApprovalKind::Taxi => Role::Clinician,
            PreApprovalKind::Flight => Role::CashOffice,
        };
        if user.role != decider {
            return Err(ApiError::Forbidden);
        }
        let status = if input.approved {
            PreApprovalStatus::Approved
        } else {
            PreApprovalStatus::Refused
        };
        let reason = reason.clone().flatten();
        let changed = diesel::update(
            pre_approvals::table
                .find(id)
                .filter(pre_approvals::status.eq(PreApprovalStatus::Requested)),
        )
        .set((
            pre_approvals::status.eq(status),
            pre_approvals::decided_by.eq(Some(user.id)),
            pre_approvals::decided_at.eq(Some(now)),
            pre_approvals::reason.eq(&reason),
        ))
        .execute(conn)?;
        if changed == 0 {
            return Err(ApiError::conflict(
                ErrorCode::PreApprovalDecided,
                format!("This request is already {}.", row.status),
            ));
        }
        audit::record(
            conn,
            now,
            Change::by(user, "pre_approval", id, "journey_answered")
                .before(json!({"status": row.status}))
                .after(json!({"status": status, "reason": reason})),
        )?;
        let email: String = users::table
            .find(stay.claimant_id)
            .select(users::email)
            .first(conn)?;
        outbox::enqueue(
            conn,
            now,
            &messages::journey_answered(
                &email,
                row.kind.as_str(),
                &row.journey_on.format("%-d %B %Y").to_string(),
                input.approved,
                reason.as_deref(),
            ),
        )?;
        Ok(view(find(conn, id)?))
    })
}
