//! Releasing (paying) an accepted award's instalments, year by year.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde_json::json;

use crate::audit::{self, Change};
use crate::awards::model::{Award, AwardRow};
use crate::awards::offer::record_award;
use crate::awards::reading::load;
use crate::caller::CurrentUser;
use crate::db::schema::{awards, instalments};
use crate::db::{DbConnection, retrying_write};
use crate::domain::FinancialYear;
use crate::domain::vocabulary::{AwardStatus, InstalmentStatus};
use crate::error::{ApiError, ErrorCode};
use crate::funds::budget;
use crate::funds::locks::lock_award;
use crate::organisations::bank;
use crate::permissions::Action;
use crate::report_cache::{self, Figures};

/// What an instalment after the first waits for, checked once the award and the year are known
/// to be payable: given the award's id and the year.
pub type WaitsFor = fn(&mut DbConnection, i64, FinancialYear) -> Result<(), ApiError>;

/// Releases (pays) one year's instalment of an accepted award, once, and only after every
/// earlier year's instalment, to an organisation whose bank details a second person has
/// verified (administrators). An instalment after the first also passes
/// `waits_for`: the return before it, which the use case that calls this passes in
/// (`usecases::grant_cycle::release_instalment`). The award's row is locked first, then the
/// fund's and the year's, in the order of `crate::funds::locks`.
pub fn release(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    user: &CurrentUser,
    id: i64,
    year_text: &str,
    waits_for: WaitsFor,
) -> Result<Award, ApiError> {
    user.require(Action::Release)?;
    let year = FinancialYear::parse(year_text)
        .map_err(|e| ApiError::invalid("financial_year", e.to_string()))?;
    retrying_write(conn, |conn| {
        lock_award(conn, id)?;
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
            return Err(ApiError::conflict(
                ErrorCode::AlreadyReleased,
                format!("The {year} instalment has already been released."),
            ));
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
        // The instalment moves only from `committed`: two releases at once cannot both pay.
        let released = diesel::update(
            instalments::table
                .find((id, year.to_string()))
                .filter(instalments::status.eq(InstalmentStatus::Committed)),
        )
        .set((
            instalments::status.eq(InstalmentStatus::Released),
            instalments::released_at.eq(Some(now)),
            instalments::released_by.eq(Some(user.id)),
        ))
        .execute(conn)?;
        if released == 0 {
            return Err(ApiError::conflict(
                ErrorCode::AlreadyReleased,
                format!("The {year} instalment has already been released."),
            ));
        }
        budget::pay(conn, now, row.fund_id, year, instalment.amount)?;
        let after = load(conn, id)?;
        record_award(conn, now, user, id, "instalment_released", &before, &after)?;
        audit::record(
            conn,
            now,
            Change::by(user, "fund", row.fund_id, "instalment_paid").after(json!({
                "financial_year": year,
                "award": after.reference,
                "amount": instalment.amount,
            })),
        )?;
        report_cache::changed(conn, row.fund_id, Figures::Money)?;
        Ok(after)
    })
}
