//! Rules for rounds and their criteria.
//!
//! A round is published once it opens: from then on anyone may read it, and only its closing time
//! (later, never earlier) and its guidance may change. Before it opens only staff see it.
//! Criteria change freely until the first score is saved for the round; [`ensure_criteria_open`]
//! is the one place that decides, and [`freeze_criteria`] the one place that freezes them.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde_json::json;

use crate::audit::{self, Change};
use crate::caller::CurrentUser;
use crate::db::schema::{criteria, rounds};
use crate::db::{DbConnection, children, write_transaction};
use crate::domain::vocabulary::{Component, FundKind, RoundStatus};
use crate::error::{ApiError, ErrorCode, Validator};
use crate::funds::locks::lock_fund;
use crate::funds::model::{FundRow, FundYearRow};
use crate::permissions::Action;
use crate::rounds::model::{
    Criterion, CriterionDetails, CriterionFields, CriterionInput, CriterionPatch, CriterionRow,
    Round, RoundDetails, RoundFields, RoundInput, RoundPatch, RoundRow,
};
use crate::wire::paging::{Page, Paged};

fn is_staff(viewer: Option<&CurrentUser>) -> bool {
    viewer.is_some_and(|u| u.role.is_staff())
}

/// A round the viewer may see: staff see every round, anyone else only rounds that have opened.
pub fn visible_round(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    viewer: Option<&CurrentUser>,
    id: i64,
) -> Result<RoundRow, ApiError> {
    let row = RoundRow::find(conn, id)?;
    if is_staff(viewer) || row.has_opened(now) {
        Ok(row)
    } else {
        Err(ApiError::NotFound)
    }
}

fn load(conn: &mut DbConnection, now: NaiveDateTime, row: RoundRow) -> Result<Round, ApiError> {
    let years = row.years(conn)?;
    row.into_api(now, years)
}

fn fund_years(
    conn: &mut DbConnection,
    fund_id: i64,
) -> Result<Vec<crate::domain::FinancialYear>, ApiError> {
    FundYearRow::of_fund(conn, fund_id)?
        .iter()
        .map(FundYearRow::year)
        .collect()
}

/// Creates a round of a fund. Administrators only.
pub fn create(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    user: &CurrentUser,
    fund_id: i64,
    input: &RoundInput,
) -> Result<Round, ApiError> {
    user.require(Action::ManageRounds)?;
    write_transaction(conn, |conn| {
        lock_fund(conn, fund_id)?;
        FundRow::find(conn, fund_id)?.ensure_kind(FundKind::Grants)?;
        let years = fund_years(conn, fund_id)?;
        let mut v = Validator::new();
        let details = RoundDetails::parse(input, &years, &mut v);
        let details = v.finish_with(|| details)?;
        let row: RoundRow = diesel::insert_into(rounds::table)
            .values((
                RoundFields::new(&details, now),
                rounds::fund_id.eq(fund_id),
                rounds::created_at.eq(now),
            ))
            .returning(rounds::all_columns)
            .get_result(conn)?;
        RoundRow::set_years(conn, row.id, fund_id, &details.financial_years)?;
        let round = load(conn, now, row)?;
        audit::record(
            conn,
            now,
            Change::by(user, "round", round.id, "created").after(json!(round)),
        )?;
        Ok(round)
    })
}

/// One round, if the viewer may see it.
pub fn get(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    viewer: Option<&CurrentUser>,
    id: i64,
) -> Result<Round, ApiError> {
    let row = visible_round(conn, now, viewer, id)?;
    load(conn, now, row)
}

/// Filters for the list of rounds.
#[derive(Debug, Default, Clone)]
pub struct RoundFilter {
    pub fund_id: Option<i64>,
    pub component: Option<Component>,
    pub status: Option<RoundStatus>,
}

/// Rounds, soonest closing first. Without a status filter, staff see every round and anyone
/// else the open ones; no one but staff ever sees a round before it opens.
pub fn list(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    viewer: Option<&CurrentUser>,
    filter: &RoundFilter,
    page: Page,
) -> Result<Paged<Round>, ApiError> {
    let staff = is_staff(viewer);
    let status = match filter.status {
        None if !staff => Some(RoundStatus::Open),
        other => other,
    };
    let query = || {
        let mut q = rounds::table.into_boxed();
        if !staff {
            q = q.filter(rounds::opens_at.le(now));
        }
        if let Some(fund_id) = filter.fund_id {
            q = q.filter(rounds::fund_id.eq(fund_id));
        }
        if let Some(component) = filter.component {
            q = q.filter(rounds::component.eq(component));
        }
        match status {
            Some(RoundStatus::Upcoming) => q = q.filter(rounds::opens_at.gt(now)),
            Some(RoundStatus::Open) => {
                q = q.filter(rounds::opens_at.le(now).and(rounds::closes_at.gt(now)));
            }
            Some(RoundStatus::Closed) => q = q.filter(rounds::closes_at.le(now)),
            None => {}
        }
        q
    };
    let (total, rows): (i64, Vec<RoundRow>) = page.load(
        conn,
        query().count(),
        query().order((rounds::closes_at, rounds::id)),
    )?;
    let items = children::with_children(
        rows,
        |ids| RoundRow::years_of(conn, ids),
        |row, years| row.into_api(now, years),
    )?;
    Ok(page.wrap(items, total))
}

/// Changes a round. Before it opens anything may change; once it has opened, only a later
/// closing time and the guidance (409 `round_open` otherwise).
pub fn update(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    user: &CurrentUser,
    id: i64,
    patch: RoundPatch,
) -> Result<Round, ApiError> {
    user.require(Action::ManageRounds)?;
    write_transaction(conn, |conn| {
        let fund_id = RoundRow::find(conn, id)?.fund_id;
        lock_fund(conn, fund_id)?;
        // Read again under the lock: another change to the round may have committed meanwhile.
        let row = RoundRow::find(conn, id)?;
        let fund_years = fund_years(conn, fund_id)?;
        let years = row.years(conn)?;
        let stored = RoundInput::from_stored(&row, &years);
        let before = RoundDetails::parse(&stored, &fund_years, &mut Validator::new())
            .ok_or_else(|| ApiError::internal(format!("round {id} no longer parses")))?;
        let mut v = Validator::new();
        let after = RoundDetails::parse(&stored.apply(patch), &fund_years, &mut v);
        let after = v.finish_with(|| after)?;

        if row.has_opened(now) {
            let unchanged_but_closing_and_guidance = RoundDetails {
                closes_at: before.closes_at,
                guidance: before.guidance.clone(),
                ..after.clone()
            } == before;
            if !unchanged_but_closing_and_guidance {
                return Err(ApiError::conflict(
                    ErrorCode::RoundOpen,
                    "This round has opened: only its closing time (later) and guidance can change.",
                ));
            }
            if after.closes_at < before.closes_at {
                return Err(ApiError::conflict(
                    ErrorCode::RoundOpen,
                    format!(
                        "This round has opened: its closing time can move later than {}, not earlier.",
                        before.closes_at.to_rfc3339()
                    ),
                ));
            }
        }

        let before_api = row.into_api(now, years)?;
        diesel::update(rounds::table.find(id))
            .set(RoundFields::new(&after, now))
            .execute(conn)?;
        if after.financial_years != before.financial_years {
            RoundRow::set_years(conn, id, fund_id, &after.financial_years)?;
        }
        let updated_row = RoundRow::find(conn, id)?;
        let updated = load(conn, now, updated_row)?;
        audit::record(
            conn,
            now,
            Change::by(user, "round", id, "updated")
                .before(json!(before_api))
                .after(json!(updated)),
        )?;
        Ok(updated)
    })
}

/// 409 `criteria_frozen` once a score exists for the round. Every change to criteria asks here,
/// inside its transaction. On PostgreSQL the round's row stays locked until that transaction
/// ends, so a first score saved at the same moment (which freezes the criteria through the same
/// row) waits for the change or finds it refused; SQLite write transactions are exclusive. The
/// lock is `FOR NO KEY UPDATE`, which the freezing update conflicts with but an award's insert
/// (whose foreign key shares the round's row) does not: decisions never wait for criteria.
pub fn ensure_criteria_open(conn: &mut DbConnection, round_id: i64) -> Result<(), ApiError> {
    let frozen_at: Option<NaiveDateTime> = match conn {
        DbConnection::Postgresql(pg) => rounds::table
            .find(round_id)
            .select(rounds::criteria_frozen_at)
            .for_no_key_update()
            .first(pg)?,
        DbConnection::Sqlite(_) => rounds::table
            .find(round_id)
            .select(rounds::criteria_frozen_at)
            .first(conn)?,
    };
    match frozen_at {
        Some(_) => Err(ApiError::conflict(
            ErrorCode::CriteriaFrozen,
            "Scores have been saved for this round, so its criteria can no longer change.",
        )),
        None => Ok(()),
    }
}

/// Freezes a round's criteria; called in the transaction that saves its first score. Later calls
/// keep the first time.
pub fn freeze_criteria(
    conn: &mut DbConnection,
    round_id: i64,
    now: NaiveDateTime,
) -> Result<(), ApiError> {
    diesel::update(
        rounds::table
            .find(round_id)
            .filter(rounds::criteria_frozen_at.is_null()),
    )
    .set(rounds::criteria_frozen_at.eq(Some(now)))
    .execute(conn)?;
    Ok(())
}

fn record_criterion(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    user: &CurrentUser,
    id: i64,
    action: &str,
    before: Option<&Criterion>,
    after: Option<&Criterion>,
) -> Result<(), ApiError> {
    audit::record(
        conn,
        now,
        Change::by(user, "criterion", id, action)
            .before(before.map(|c| json!(c)))
            .after(after.map(|c| json!(c))),
    )
}

/// The most criteria a round may have. Weighted scores are summed as exact fractions; with at
/// most this many criteria (each maximum at most 100, each weight at most 1000) the sum always
/// fits, whatever the maxima.
pub const MAX_CRITERIA: i64 = 12;

/// Adds a criterion to a round. Administrators only; not once the criteria are frozen, and at
/// most [`MAX_CRITERIA`] of them.
pub fn create_criterion(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    user: &CurrentUser,
    round_id: i64,
    input: &CriterionInput,
) -> Result<Criterion, ApiError> {
    user.require(Action::ManageRounds)?;
    let mut v = Validator::new();
    let details = CriterionDetails::parse(input, &mut v);
    write_transaction(conn, |conn| {
        RoundRow::find(conn, round_id)?;
        let details = v.finish_with(|| details)?;
        ensure_criteria_open(conn, round_id)?;
        let existing: i64 = criteria::table
            .filter(criteria::round_id.eq(round_id))
            .count()
            .get_result(conn)?;
        if existing >= MAX_CRITERIA {
            return Err(ApiError::conflict(
                ErrorCode::TooManyCriteria,
                format!("A round has at most {MAX_CRITERIA} criteria."),
            ));
        }
        let row: CriterionRow = diesel::insert_into(criteria::table)
            .values((
                CriterionFields::new(&details, now),
                criteria::round_id.eq(round_id),
                criteria::created_at.eq(now),
            ))
            .returning(criteria::all_columns)
            .get_result(conn)?;
        let criterion = row.into_api()?;
        record_criterion(
            conn,
            now,
            user,
            criterion.id,
            "created",
            None,
            Some(&criterion),
        )?;
        Ok(criterion)
    })
}

/// The criteria of a round, in the order they were added, for whoever may see the round.
pub fn list_criteria(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    viewer: Option<&CurrentUser>,
    round_id: i64,
    page: Page,
) -> Result<Paged<Criterion>, ApiError> {
    visible_round(conn, now, viewer, round_id)?;
    let query = || criteria::table.filter(criteria::round_id.eq(round_id));
    let (total, rows): (i64, Vec<CriterionRow>) =
        page.load(conn, query().count(), query().order(criteria::id))?;
    let items = rows
        .into_iter()
        .map(CriterionRow::into_api)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(page.wrap(items, total))
}

/// Changes a criterion. Administrators only; not once the criteria are frozen.
pub fn update_criterion(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    user: &CurrentUser,
    id: i64,
    patch: CriterionPatch,
) -> Result<Criterion, ApiError> {
    user.require(Action::ManageRounds)?;
    write_transaction(conn, |conn| {
        let row = CriterionRow::find(conn, id)?;
        let mut v = Validator::new();
        let details =
            CriterionDetails::parse(&CriterionInput::from_stored(&row).apply(patch), &mut v);
        let details = v.finish_with(|| details)?;
        ensure_criteria_open(conn, row.round_id)?;
        diesel::update(criteria::table.find(id))
            .set(CriterionFields::new(&details, now))
            .execute(conn)?;
        let before = row.into_api()?;
        let after = CriterionRow::find(conn, id)?.into_api()?;
        record_criterion(conn, now, user, id, "updated", Some(&before), Some(&after))?;
        Ok(after)
    })
}

/// Deletes a criterion. Administrators only; not once the criteria are frozen.
pub fn delete_criterion(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    user: &CurrentUser,
    id: i64,
) -> Result<(), ApiError> {
    user.require(Action::ManageRounds)?;
    write_transaction(conn, |conn| {
        let row = CriterionRow::find(conn, id)?;
        ensure_criteria_open(conn, row.round_id)?;
        diesel::delete(criteria::table.find(id)).execute(conn)?;
        let before = row.into_api()?;
        record_criterion(conn, now, user, id, "deleted", Some(&before), None)
    })
}
