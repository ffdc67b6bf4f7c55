//! Releasing an accepted award's instalments, year by year, by two people: an administrator
//! requests the release and a finance user authorises it. Authorising does not pay: the
//! instalment waits, `authorised`, for a payment run (`crate::payments`), and is paid when its
//! line of the run is marked paid.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde_json::json;

use crate::audit::{self, Change};
use crate::awards::model::{Award, AwardRow, Instalment};
use crate::awards::offer::record_award;
use crate::awards::reading::load;
use crate::caller::CurrentUser;
use crate::db::schema::{awards, decisions, instalments, release_requests};
use crate::db::{DbConnection, retrying_write};
use crate::domain::FinancialYear;
use crate::domain::vocabulary::{AwardStatus, InstalmentStatus};
use crate::error::{ApiError, ErrorCode};
use crate::funds::locks::lock_award;
use crate::organisations::bank;
use crate::permissions::Action;
use crate::report_cache::{self, Figures};

/// What an instalment after the first waits for, checked once the award and the year are known
/// to be payable: given the award's id and the year.
pub type WaitsFor = fn(&mut DbConnection, i64, FinancialYear) -> Result<(), ApiError>;

/// A step of a release, [`request`] or [`authorise`], as the use case that supplies its
/// [`WaitsFor`] runs it.
pub type Step = fn(
    &mut DbConnection,
    NaiveDateTime,
    &CurrentUser,
    i64,
    &str,
    WaitsFor,
) -> Result<Award, ApiError>;

fn parse_year(year_text: &str) -> Result<FinancialYear, ApiError> {
    FinancialYear::parse(year_text).map_err(|e| ApiError::invalid("financial_year", e.to_string()))
}

fn already_released(year: FinancialYear) -> ApiError {
    ApiError::conflict(
        ErrorCode::AlreadyReleased,
        format!("The {year} instalment has already been released."),
    )
}

/// The rules every release keeps, at the request and again at the authorisation: an accepted
/// award, an instalment not yet released, every earlier year's released, the organisation's bank
/// details verified, and for an instalment after the first what `waits_for` says.
fn payable(
    conn: &mut DbConnection,
    id: i64,
    year: FinancialYear,
    waits_for: WaitsFor,
) -> Result<(AwardRow, Award, Instalment), ApiError> {
    let row: AwardRow = awards::table.find(id).first(conn)?;
    let before = load(conn, id)?;
    let instalment = before
        .instalments
        .iter()
        .find(|i| i.financial_year == year)
        .ok_or(ApiError::NotFound)?
        .clone();
    if before.status != AwardStatus::Accepted {
        return Err(ApiError::conflict(
            ErrorCode::AwardNotAccepted,
            format!(
                "This award is {}; instalments are released only once it is accepted.",
                before.status
            ),
        ));
    }
    if instalment.status == InstalmentStatus::Released {
        return Err(already_released(year));
    }
    if let Some(earlier) = before
        .instalments
        .iter()
        .find(|i| i.financial_year < year && i.status != InstalmentStatus::Released)
    {
        return Err(ApiError::conflict(
            ErrorCode::EarlierInstalmentUnpaid,
            format!(
                "The {} instalment must be released before {year}.",
                earlier.financial_year
            ),
        ));
    }
    bank::ensure_payable(conn, row.organisation_id)?;
    let first = before.instalments.first().map(|i| i.financial_year);
    if first != Some(year) {
        waits_for(conn, id, year)?;
    }
    Ok((row, before, instalment))
}

/// Requests the release of one year's instalment of an accepted award (administrators), once,
/// under every rule of a release; a finance user then authorises it. The award's row is locked
/// first, in the order of `crate::funds::locks`.
pub fn request(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    user: &CurrentUser,
    id: i64,
    year_text: &str,
    waits_for: WaitsFor,
) -> Result<Award, ApiError> {
    user.require(Action::Release)?;
    let year = parse_year(year_text)?;
    retrying_write(conn, |conn| {
        lock_award(conn, id)?;
        let (row, before, instalment) = payable(conn, id, year, waits_for)?;
        // The award's row is locked, so no other request for it is between this read and the
        // insert; the primary key refuses a second one all the same.
        let existing: i64 = release_requests::table
            .filter(release_requests::award_id.eq(id))
            .filter(release_requests::financial_year.eq(year.to_string()))
            .count()
            .get_result(conn)?;
        if existing > 0 {
            return Err(ApiError::conflict(
                ErrorCode::AlreadyRequested,
                format!(
                    "The release of the {year} instalment has already been requested; a finance user authorises it."
                ),
            ));
        }
        diesel::insert_into(release_requests::table)
            .values((
                release_requests::award_id.eq(id),
                release_requests::financial_year.eq(year.to_string()),
                release_requests::requested_by.eq(user.id),
                release_requests::requested_at.eq(now),
            ))
            .execute(conn)?;
        audit::record(
            conn,
            now,
            Change::by(user, "award", id, "release_requested").after(json!({
                "financial_year": year,
                "award": before.reference,
                "amount": instalment.amount,
                "fund_id": row.fund_id,
            })),
        )?;
        load(conn, id)
    })
}

/// Authorises a requested release (finance), which queues the instalment, `authorised`, for the
/// next payment run: the authoriser is neither the one who requested it nor the one who decided
/// the award, and every rule of a release holds again, all in one transaction. The database's
/// `CHECK` also refuses the requester as authoriser. Nothing is paid until a line of a run is
/// marked paid.
pub fn authorise(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    user: &CurrentUser,
    award_id: i64,
    year_text: &str,
    waits_for: WaitsFor,
) -> Result<Award, ApiError> {
    user.require(Action::AuthoriseRelease)?;
    let year = parse_year(year_text)?;
    retrying_write(conn, |conn| {
        lock_award(conn, award_id)?;
        let requested: Option<(i64, Option<i64>)> = release_requests::table
            .find((award_id, year.to_string()))
            .select((
                release_requests::requested_by,
                release_requests::authorised_by,
            ))
            .first(conn)
            .optional()?;
        let Some((requested_by, authorised_by)) = requested else {
            // An award that does not exist answers as one.
            awards::table
                .find(award_id)
                .select(awards::id)
                .first::<i64>(conn)?;
            return Err(ApiError::conflict(
                ErrorCode::ReleaseNotRequested,
                format!("Nobody has requested the release of the {year} instalment."),
            ));
        };
        if authorised_by.is_some() {
            return Err(already_released(year));
        }
        if requested_by == user.id {
            return Err(ApiError::conflict(
                ErrorCode::SamePerson,
                "You requested this release, so a second person must authorise it.",
            ));
        }
        let row: AwardRow = awards::table.find(award_id).first(conn)?;
        let decider: Option<i64> = decisions::table
            .find(row.application_id)
            .select(decisions::decided_by)
            .first(conn)
            .optional()?;
        if decider == Some(user.id) {
            return Err(ApiError::conflict(
                ErrorCode::SamePerson,
                "You decided this award, so someone else must authorise its payments.",
            ));
        }
        let (row, before, instalment) = payable(conn, award_id, year, waits_for)?;
        diesel::update(
            release_requests::table
                .find((award_id, year.to_string()))
                .filter(release_requests::authorised_by.is_null()),
        )
        .set((
            release_requests::authorised_by.eq(Some(user.id)),
            release_requests::authorised_at.eq(Some(now)),
        ))
        .execute(conn)?;
        // The instalment moves only from `committed`: two authorisations at once cannot both
        // queue it.
        let queued = diesel::update(
            instalments::table
                .find((award_id, year.to_string()))
                .filter(instalments::status.eq(InstalmentStatus::Committed)),
        )
        .set(instalments::status.eq(InstalmentStatus::Authorised))
        .execute(conn)?;
        if queued == 0 {
            return Err(already_released(year));
        }
        let after = load(conn, award_id)?;
        record_award(
            conn,
            now,
            user,
            award_id,
            "release_authorised",
            &before,
            &after,
        )?;
        audit::record(
            conn,
            now,
            Change::by(user, "fund", row.fund_id, "instalment_authorised").after(json!({
                "financial_year": year,
                "award": after.reference,
                "amount": instalment.amount,
                "requested_by": requested_by,
                "authorised_by": user.id,
            })),
        )?;
        report_cache::changed(conn, row.fund_id, Figures::Money)?;
        Ok(after)
    })
}
