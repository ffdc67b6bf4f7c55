//! Variations of accepted awards: a grant holder asks, or an administrator proposes, to move
//! money between the award's years, lower them, end it later or change its conditions; another
//! administrator approves or refuses it, with a reason.
//!
//! Approving applies the change in one transaction, after taking the award's row (step 1 of
//! `crate::funds::locks`) and then, through `crate::funds::budget::vary`, the fund's row and
//! every year it touches: what leaves a year is given back to it, what enters a year is committed
//! under that year's limit, so a receiving year without room refuses the whole variation. Only
//! instalments still `committed` with no release requested can move. A variation keeps what each
//! instalment, the end date or the conditions were when it was asked; if the award has moved on
//! since, approving it answers 409 `variation_stale` rather than applying it to other numbers.

use std::collections::BTreeMap;

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use serde_json::json;

use crate::audit::{self, Change};
use crate::awards::access::shown_to;
use crate::awards::messages;
use crate::awards::model::variation::{
    Variation, VariationDecisionInput, VariationInput, VariationRow,
};
use crate::awards::model::{Award, AwardRow, InstalmentRow};
use crate::awards::offer::record_award;
use crate::awards::reading::load;
use crate::awards::recipients::grant_holder_emails;
use crate::awards::varied;
use crate::caller::CurrentUser;
use crate::db::schema::{
    awards, decisions, instalments, release_requests, variation_amounts, variations,
};
use crate::db::{DbConnection, retrying_write};
use crate::domain::vocabulary::{AwardStatus, InstalmentStatus, VariationKind, VariationStatus};
use crate::domain::{FinancialYear, Money};
use crate::email::outbox;
use crate::error::{ApiError, ErrorCode, Validator};
use crate::funds::budget;
use crate::funds::locks::lock_award;
use crate::permissions::Action;
use crate::report_cache::{self, Figures};
use crate::wire::paging::{Page, Paged};

mod checks;

use checks::{check, not_accepted};

/// How much later than its current end an extension may take an award.
pub const MAX_EXTENSION_MONTHS: u32 = 24;

/// 409 `instalment_not_movable` unless each year's instalment is still `committed` and nobody
/// has requested its release: money that is paid, or on its way, stays where it is.
fn ensure_movable(
    conn: &mut DbConnection,
    award_id: i64,
    years: impl IntoIterator<Item = FinancialYear>,
) -> Result<BTreeMap<FinancialYear, InstalmentRow>, ApiError> {
    let mut held = BTreeMap::new();
    for year in years {
        let instalment: InstalmentRow = instalments::table
            .find((award_id, year.to_string()))
            .first(conn)
            .optional()?
            .ok_or_else(|| {
                ApiError::invalid(format!("amounts.{year}"), "is not a year of this award")
            })?;
        let requested: i64 = release_requests::table
            .filter(release_requests::award_id.eq(award_id))
            .filter(release_requests::financial_year.eq(year.to_string()))
            .count()
            .get_result(conn)?;
        if instalment.status != InstalmentStatus::Committed || requested > 0 {
            let state = if instalment.status == InstalmentStatus::Committed {
                "has had its release requested".to_owned()
            } else {
                format!("is {}", instalment.status)
            };
            return Err(ApiError::conflict(
                ErrorCode::InstalmentNotMovable,
                format!("The {year} instalment {state}, so it can no longer change."),
            ));
        }
        held.insert(year, instalment);
    }
    Ok(held)
}

/// The award a caller may vary: a grant holder their organisation's, an administrator any.
fn variable(conn: &mut DbConnection, user: &CurrentUser, id: i64) -> Result<AwardRow, ApiError> {
    let row: AwardRow = awards::table.find(id).first(conn)?;
    shown_to(user, &row)?;
    Ok(row)
}

fn one(conn: &mut DbConnection, id: i64) -> Result<Variation, ApiError> {
    let row: VariationRow = variations::table.find(id).first(conn)?;
    varied::to_api(conn, vec![row])?
        .pop()
        .ok_or_else(|| ApiError::internal("variation vanished while loading"))
}

/// Asks for (grant holders) or proposes (administrators) a variation of an accepted award. Every
/// field is checked at once (422), then the years it would move must still be movable (409).
pub fn ask(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    user: &CurrentUser,
    award_id: i64,
    input: &VariationInput,
) -> Result<Variation, ApiError> {
    user.require(Action::AskVariation)?;
    retrying_write(conn, |conn| {
        variable(conn, user, award_id)?;
        let award = load(conn, award_id)?;
        if award.status != AwardStatus::Accepted {
            return Err(not_accepted(&award));
        }
        let asked = check(input, &award)?;
        ensure_movable(conn, award_id, asked.amounts.keys().copied())?;
        let (end_date_before, conditions_before) = match input.kind {
            VariationKind::Extend => (Some(award.end_date), None),
            VariationKind::Conditions => (None, award.conditions.clone()),
            _ => (None, None),
        };
        let id: i64 = diesel::insert_into(variations::table)
            .values((
                variations::award_id.eq(award_id),
                variations::kind.eq(input.kind),
                variations::status.eq(VariationStatus::Requested),
                variations::reason.eq(&asked.reason),
                variations::end_date_before.eq(end_date_before),
                variations::new_end_date.eq(asked.new_end_date),
                variations::conditions_before.eq(conditions_before),
                variations::new_conditions.eq(&asked.new_conditions),
                variations::requested_by.eq(user.id),
                variations::requested_at.eq(now),
            ))
            .returning(variations::id)
            .get_result(conn)?;
        let rows: Vec<_> = asked
            .amounts
            .iter()
            .map(|(year, (before, after))| {
                (
                    variation_amounts::variation_id.eq(id),
                    variation_amounts::financial_year.eq(year.to_string()),
                    variation_amounts::before_pence.eq(*before),
                    variation_amounts::after_pence.eq(*after),
                )
            })
            .collect();
        for row in rows {
            diesel::insert_into(variation_amounts::table)
                .values(row)
                .execute(conn)?;
        }
        let variation = one(conn, id)?;
        audit::record(
            conn,
            now,
            Change::by(user, "variation", id, "variation_requested").after(json!(variation)),
        )?;
        Ok(variation)
    })
}

/// The variations of an award the caller may see, newest first.
pub fn of_award(
    conn: &mut DbConnection,
    user: &CurrentUser,
    award_id: i64,
) -> Result<Vec<Variation>, ApiError> {
    user.require(Action::ReadVariations)?;
    variable(conn, user, award_id)?;
    varied::of_award(conn, award_id)
}

/// One variation, of an award the caller may see.
pub fn get(conn: &mut DbConnection, user: &CurrentUser, id: i64) -> Result<Variation, ApiError> {
    user.require(Action::ReadVariations)?;
    let row: VariationRow = variations::table.find(id).first(conn)?;
    variable(conn, user, row.award_id)?;
    varied::to_api(conn, vec![row])?
        .pop()
        .ok_or_else(|| ApiError::internal("variation vanished while loading"))
}

/// Every variation in a state, oldest first, for the administrators who decide them.
pub fn list(
    conn: &mut DbConnection,
    user: &CurrentUser,
    status: Option<VariationStatus>,
    page: Page,
) -> Result<Paged<Variation>, ApiError> {
    user.require(Action::DecideVariation)?;
    let query = || {
        let mut q = variations::table.into_boxed();
        if let Some(status) = status {
            q = q.filter(variations::status.eq(status));
        }
        q
    };
    let (total, rows): (i64, Vec<VariationRow>) =
        page.load(conn, query().count(), query().order(variations::id))?;
    Ok(page.wrap(varied::to_api(conn, rows)?, total))
}

/// What a decision reads first: the reason checked, then (inside the transaction, with the
/// award's row held) the variation, still requested and not the decider's own.
fn open_for_decision(
    conn: &mut DbConnection,
    user: &CurrentUser,
    id: i64,
) -> Result<VariationRow, ApiError> {
    let award_id: i64 = variations::table
        .find(id)
        .select(variations::award_id)
        .first(conn)?;
    lock_award(conn, award_id)?;
    let row: VariationRow = variations::table.find(id).first(conn)?;
    if row.status != VariationStatus::Requested {
        return Err(ApiError::conflict(
            ErrorCode::InvalidState,
            format!(
                "This variation is {}; it can no longer be decided.",
                row.status
            ),
        ));
    }
    if row.requested_by == user.id {
        return Err(ApiError::conflict(
            ErrorCode::SamePerson,
            "You proposed this variation, so another administrator must decide it.",
        ));
    }
    Ok(row)
}

fn decision_reason(input: &VariationDecisionInput) -> Result<String, ApiError> {
    let mut v = Validator::new();
    let reason = v.text("reason", &input.reason, 1, 5_000);
    v.finish_with(|| reason)
}

/// Moves a requested variation to `to`, stamping the decision; 409 if it moved on meanwhile.
fn settle(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    user: &CurrentUser,
    id: i64,
    to: VariationStatus,
    reason: &str,
    snapshots: Option<(&Award, &Award)>,
) -> Result<(), ApiError> {
    let (before, after) = match snapshots {
        Some((before, after)) => (
            Some(serde_json::to_string(before).map_err(ApiError::internal)?),
            Some(serde_json::to_string(after).map_err(ApiError::internal)?),
        ),
        None => (None, None),
    };
    let changed = diesel::update(
        variations::table
            .find(id)
            .filter(variations::status.eq(VariationStatus::Requested)),
    )
    .set((
        variations::status.eq(to),
        variations::decided_by.eq(Some(user.id)),
        variations::decided_at.eq(Some(now)),
        variations::decision_reason.eq(Some(reason)),
        variations::before_snapshot.eq(before),
        variations::after_snapshot.eq(after),
    ))
    .execute(conn)?;
    if changed == 0 {
        return Err(ApiError::conflict(
            ErrorCode::InvalidState,
            "This variation has already been decided.",
        ));
    }
    Ok(())
}

fn stale(what: impl std::fmt::Display) -> ApiError {
    ApiError::conflict(
        ErrorCode::VariationStale,
        format!(
            "{what} has changed since this variation was asked; ask again on the award as it is now."
        ),
    )
}

/// What an approval did: the variation as decided, the award's row, and the new end date when
/// it was an extension (whose returns the caller reschedules in the same transaction).
pub struct Approved {
    pub variation: Variation,
    pub award: AwardRow,
    pub extended_to: Option<NaiveDate>,
}

/// Approves a requested variation (administrators other than its proposer) and applies it, as
/// the module documentation says, in the caller's transaction or one of its own.
pub fn approve(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    user: &CurrentUser,
    id: i64,
    input: &VariationDecisionInput,
) -> Result<Approved, ApiError> {
    user.require(Action::DecideVariation)?;
    let reason = decision_reason(input)?;
    retrying_write(conn, |conn| {
        let row = open_for_decision(conn, user, id)?;
        let award_row: AwardRow = awards::table.find(row.award_id).first(conn)?;
        let before = load(conn, row.award_id)?;
        if before.status != AwardStatus::Accepted {
            return Err(not_accepted(&before));
        }
        let asked = one(conn, id)?;
        let held = ensure_movable(
            conn,
            row.award_id,
            asked.amounts.iter().map(|a| a.financial_year),
        )?;
        let mut released = BTreeMap::new();
        let mut added = BTreeMap::new();
        for amount in &asked.amounts {
            let year = amount.financial_year;
            let now_pence = held.get(&year).map_or(0, |i| i.amount_pence);
            if now_pence != amount.before.pence() {
                return Err(stale(format!("The {year} instalment")));
            }
            let delta = amount.after.pence() - amount.before.pence();
            if delta < 0 {
                released.insert(year, -delta);
            } else if delta > 0 {
                added.insert(year, Money::from_pence(delta).map_err(ApiError::internal)?);
            }
        }
        match row.kind {
            VariationKind::Extend if row.end_date_before != Some(before.end_date) => {
                return Err(stale("The award's end date"));
            }
            VariationKind::Conditions if row.conditions_before != before.conditions => {
                return Err(stale("The award's conditions"));
            }
            _ => {}
        }
        let moved = if asked.amounts.is_empty() {
            None
        } else {
            Some(budget::vary(
                conn,
                now,
                award_row.fund_id,
                &released,
                &added,
            )?)
        };
        for amount in &asked.amounts {
            let changed = diesel::update(
                instalments::table
                    .find((row.award_id, amount.financial_year.to_string()))
                    .filter(instalments::status.eq(InstalmentStatus::Committed))
                    .filter(instalments::amount_pence.eq(amount.before.pence())),
            )
            .set(instalments::amount_pence.eq(amount.after.pence()))
            .execute(conn)?;
            if changed == 0 {
                return Err(stale(format!("The {} instalment", amount.financial_year)));
            }
        }
        if row.kind == VariationKind::Conditions {
            diesel::update(decisions::table.find(award_row.application_id))
                .set(decisions::conditions.eq(&row.new_conditions))
                .execute(conn)?;
        }
        diesel::update(awards::table.find(row.award_id))
            .set(awards::updated_at.eq(now))
            .execute(conn)?;
        let mut after = load(conn, row.award_id)?;
        if let Some(end) = row.new_end_date {
            after.end_date = end;
        }
        settle(
            conn,
            now,
            user,
            id,
            VariationStatus::Approved,
            &reason,
            Some((&before, &after)),
        )?;
        let variation = one(conn, id)?;
        record_award(conn, now, user, row.award_id, "varied", &before, &after)?;
        audit::record(
            conn,
            now,
            Change::by(user, "variation", id, "variation_approved")
                .before(json!({"status": VariationStatus::Requested}))
                .after(json!({"status": VariationStatus::Approved, "reason": reason})),
        )?;
        if let Some((given, taken)) = &moved {
            given.record(conn, now, user, "budget_returned")?;
            taken.record(conn, now, user, "budget_committed")?;
        }
        for recipient in grant_holder_emails(conn, &award_row)? {
            outbox::enqueue(
                conn,
                now,
                &messages::variation_decided(&recipient, &after, &variation),
            )?;
        }
        report_cache::changed(conn, award_row.fund_id, Figures::Money)?;
        Ok(Approved {
            variation,
            award: award_row,
            extended_to: row.new_end_date,
        })
    })
}

/// Refuses a requested variation (administrators other than its proposer), with the reason the
/// grant holder is sent. Nothing of the award changes.
pub fn refuse(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    user: &CurrentUser,
    id: i64,
    input: &VariationDecisionInput,
) -> Result<Variation, ApiError> {
    user.require(Action::DecideVariation)?;
    let reason = decision_reason(input)?;
    retrying_write(conn, |conn| {
        let row = open_for_decision(conn, user, id)?;
        settle(conn, now, user, id, VariationStatus::Refused, &reason, None)?;
        let variation = one(conn, id)?;
        audit::record(
            conn,
            now,
            Change::by(user, "variation", id, "variation_refused")
                .before(json!({"status": VariationStatus::Requested}))
                .after(json!({"status": VariationStatus::Refused, "reason": reason})),
        )?;
        let award_row: AwardRow = awards::table.find(row.award_id).first(conn)?;
        let award = load(conn, row.award_id)?;
        for recipient in grant_holder_emails(conn, &award_row)? {
            outbox::enqueue(
                conn,
                now,
                &messages::variation_decided(&recipient, &award, &variation),
            )?;
        }
        Ok(variation)
    })
}

/// Withdraws a variation still requested: the grant holder's organisation or an administrator,
/// whoever may ask for one on the award.
pub fn withdraw(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    user: &CurrentUser,
    id: i64,
) -> Result<Variation, ApiError> {
    user.require(Action::AskVariation)?;
    retrying_write(conn, |conn| {
        let row: VariationRow = variations::table.find(id).first(conn)?;
        variable(conn, user, row.award_id)?;
        let changed = diesel::update(
            variations::table
                .find(id)
                .filter(variations::status.eq(VariationStatus::Requested)),
        )
        .set(variations::status.eq(VariationStatus::Withdrawn))
        .execute(conn)?;
        if changed == 0 {
            return Err(ApiError::conflict(
                ErrorCode::InvalidState,
                format!(
                    "This variation is {}; it can no longer be withdrawn.",
                    row.status
                ),
            ));
        }
        audit::record(
            conn,
            now,
            Change::by(user, "variation", id, "variation_withdrawn")
                .before(json!({"status": VariationStatus::Requested}))
                .after(json!({"status": VariationStatus::Withdrawn})),
        )?;
        one(conn, id)
    })
}
