//! Rules for funds and their financial years.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde_json::json;

use crate::audit::{self, Change};
use crate::caller::CurrentUser;
use crate::db::schema::{fund_years, funds};
use crate::db::{DbConnection, children, retrying_write, write_transaction};
use crate::domain::{FinancialYear, Money};
use crate::error::{ApiError, ErrorCode, Validator};
use crate::funds::budget;
use crate::funds::locks::lock_fund;
use crate::funds::model::{
    Fund, FundDetails, FundInput, FundPatch, FundRow, FundYear, FundYearInput, FundYearRow,
};
use crate::permissions::Action;
use crate::report_cache::{self, Figures};
use crate::wire::paging::{Page, Paged};

fn code_taken() -> impl FnOnce(diesel::result::Error) -> ApiError {
    ApiError::unique_as(
        ErrorCode::FundCodeTaken,
        "Another fund already uses this code.",
    )
}

/// The funds with their years, loaded in one query, in the order given.
fn with_years(conn: &mut DbConnection, rows: Vec<FundRow>) -> Result<Vec<Fund>, ApiError> {
    children::with_children(
        rows,
        |ids| FundYearRow::of_funds(conn, ids),
        |row, years| {
            let years = years
                .into_iter()
                .map(FundYearRow::into_api)
                .collect::<Result<Vec<_>, _>>()?;
            Ok(row.into_api(years))
        },
    )
}

fn load(conn: &mut DbConnection, id: i64) -> Result<Fund, ApiError> {
    let row = FundRow::find(conn, id)?;
    with_years(conn, vec![row])?
        .pop()
        .ok_or_else(|| ApiError::internal("fund vanished while loading"))
}

/// Creates a fund. Administrators only.
pub fn create(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    user: &CurrentUser,
    input: &FundInput,
) -> Result<Fund, ApiError> {
    user.require(Action::ManageFunds)?;
    let mut v = Validator::new();
    let details = FundDetails::parse(input, &mut v);
    let details = v.finish_with(|| details)?;
    write_transaction(conn, |conn| {
        let id: i64 = diesel::insert_into(funds::table)
            .values((
                &details,
                funds::created_at.eq(now),
                funds::updated_at.eq(now),
            ))
            .returning(funds::id)
            .get_result(conn)
            .map_err(code_taken())?;
        report_cache::start(conn, id)?;
        let fund = load(conn, id)?;
        audit::record(
            conn,
            now,
            Change::by(user, "fund", id, "created").after(json!(fund)),
        )?;
        Ok(fund)
    })
}

/// One fund. Staff only.
pub fn get(conn: &mut DbConnection, user: &CurrentUser, id: i64) -> Result<Fund, ApiError> {
    user.require(Action::ReadFunds)?;
    load(conn, id)
}

/// Every fund, newest first. Staff only.
pub fn list(
    conn: &mut DbConnection,
    user: &CurrentUser,
    page: Page,
) -> Result<Paged<Fund>, ApiError> {
    user.require(Action::ReadFunds)?;
    let (total, rows): (i64, Vec<FundRow>) = page.load(
        conn,
        funds::table.count(),
        funds::table
            .order(funds::id.desc())
            .select(FundRow::as_select()),
    )?;
    Ok(page.wrap(with_years(conn, rows)?, total))
}

/// Changes a fund. The programme may not shrink so far that a year with a limit falls outside.
pub fn update(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    user: &CurrentUser,
    id: i64,
    patch: FundPatch,
) -> Result<Fund, ApiError> {
    user.require(Action::ManageFunds)?;
    retrying_write(conn, |conn| {
        lock_fund(conn, id)?;
        let row = FundRow::find(conn, id)?;
        let input = FundInput::from_stored(&row.details);
        let before = with_years(conn, vec![row])?
            .pop()
            .ok_or_else(|| ApiError::internal("fund vanished while loading"))?;
        let mut v = Validator::new();
        let details = FundDetails::parse(&input.apply(patch.clone()), &mut v);
        if let Some(details) = &details {
            for year in &before.financial_years {
                if !year
                    .financial_year
                    .overlaps(details.programme_start, details.programme_end)
                {
                    v.error(
                        "programme_end",
                        format!(
                            "would leave financial year {}, which has a limit, outside the programme",
                            year.financial_year
                        ),
                    );
                }
            }
        }
        let details = v.finish_with(|| details)?;
        diesel::update(funds::table.find(id))
            .set((&details, funds::updated_at.eq(now)))
            .execute(conn)
            .map_err(code_taken())?;
        let after = load(conn, id)?;
        audit::record(
            conn,
            now,
            Change::by(user, "fund", id, "updated")
                .before(json!(before))
                .after(json!(after)),
        )?;
        report_cache::changed(conn, id, Figures::Money)?;
        report_cache::changed(conn, id, Figures::Reach)?;
        Ok(after)
    })
}

/// The years of a fund, in order. Staff only.
pub fn years(
    conn: &mut DbConnection,
    user: &CurrentUser,
    id: i64,
    page: Page,
) -> Result<Paged<FundYear>, ApiError> {
    user.require(Action::ReadFunds)?;
    FundRow::find(conn, id)?;
    let query = || fund_years::table.filter(fund_years::fund_id.eq(id));
    let (total, rows): (i64, Vec<FundYearRow>) = page.load(
        conn,
        query().count(),
        query().order(fund_years::financial_year),
    )?;
    let items = rows
        .into_iter()
        .map(FundYearRow::into_api)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(page.wrap(items, total))
}

/// Sets the limit and approval of one financial year of a fund, creating the year if need be
/// (administrators). The year must fall within the programme; a limit below what is already
/// committed is refused ([`budget::set_limit`]). The fund's row is locked first, then the
/// year's, in the order of `crate::funds::locks`.
pub fn set_year(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    user: &CurrentUser,
    id: i64,
    year_text: &str,
    input: &FundYearInput,
) -> Result<FundYear, ApiError> {
    user.require(Action::ManageFunds)?;
    retrying_write(conn, |conn| {
        lock_fund(conn, id)?;
        let fund = FundRow::find(conn, id)?;
        let mut v = Validator::new();
        let year = fund.details.programme_year(&mut v, year_text);
        let limit = v.money("limit", &input.limit);
        let (year, limit): (FinancialYear, Money) = v.finish_with(|| Some((year?, limit?)))?;
        let (before, after) = budget::set_limit(conn, now, id, year, limit, input.approved)?;
        let after = after.into_api()?;
        audit::record(
            conn,
            now,
            Change::by(user, "fund", id, "year_set")
                .before(
                    before
                        .map(FundYearRow::into_api)
                        .transpose()?
                        .map(|y| json!(y)),
                )
                .after(json!(after)),
        )?;
        report_cache::changed(conn, id, Figures::Money)?;
        Ok(after)
    })
}
