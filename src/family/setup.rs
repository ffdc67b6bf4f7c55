//! Setting up a family-expenses fund (administrators): its units with their wards, and the
//! rates of each financial year. Every change is audited; staff read them.

use std::collections::HashMap;

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde_json::json;

use crate::audit::{self, Change};
use crate::caller::CurrentUser;
use crate::db::schema::{fund_rates, unit_wards, units};
use crate::db::{DbConnection, retrying_write};
use crate::domain::vocabulary::FundKind;
use crate::error::{ApiError, Validator};
use crate::family::model::{
    Rates, RatesDetails, RatesInput, RatesRow, Unit, UnitDetails, UnitInput, UnitRow,
};
use crate::funds::locks::lock_fund;
use crate::funds::model::FundRow;
use crate::permissions::Action;

/// The fund, which must pay families' expenses (409 `fund_kind_mismatch` otherwise).
fn family_fund(conn: &mut DbConnection, fund_id: i64) -> Result<FundRow, ApiError> {
    let fund = FundRow::find(conn, fund_id)?;
    fund.ensure_kind(FundKind::FamilyExpenses)?;
    Ok(fund)
}

/// The wards of each unit, in order.
fn wards_of(conn: &mut DbConnection, ids: &[i64]) -> Result<HashMap<i64, Vec<String>>, ApiError> {
    let rows: Vec<(i64, String)> = unit_wards::table
        .filter(unit_wards::unit_id.eq_any(ids))
        .order((unit_wards::unit_id, unit_wards::name))
        .load(conn)?;
    let mut wards: HashMap<i64, Vec<String>> = HashMap::new();
    for (unit, name) in rows {
        wards.entry(unit).or_default().push(name);
    }
    Ok(wards)
}

fn load_unit(conn: &mut DbConnection, id: i64) -> Result<Unit, ApiError> {
    let row: UnitRow = units::table
        .find(id)
        .select(UnitRow::as_select())
        .first(conn)?;
    let wards = wards_of(conn, &[id])?.remove(&id).unwrap_or_default();
    Ok(row.into_api(wards))
}

/// Checks a unit against the others of its fund: its name is its own.
fn checked(
    conn: &mut DbConnection,
    fund_id: i64,
    unit_id: Option<i64>,
    input: &UnitInput,
) -> Result<UnitDetails, ApiError> {
    let mut v = Validator::new();
    let details = UnitDetails::parse(input, &mut v);
    if let Some(d) = &details {
        let mut same_name = units::table
            .filter(units::fund_id.eq(fund_id))
            .filter(units::name.eq(&d.name))
            .select(units::id)
            .into_boxed();
        if let Some(id) = unit_id {
            same_name = same_name.filter(units::id.ne(id));
        }
        if same_name.first::<i64>(conn).optional()?.is_some() {
            v.error("name", "another unit of this fund has this name");
        }
    }
    v.finish_with(|| details)
}

fn write_wards(conn: &mut DbConnection, unit_id: i64, wards: &[String]) -> Result<(), ApiError> {
    diesel::delete(unit_wards::table.filter(unit_wards::unit_id.eq(unit_id))).execute(conn)?;
    // One statement a ward: the multi-connection takes no batch insert.
    for ward in wards {
        diesel::insert_into(unit_wards::table)
            .values((unit_wards::unit_id.eq(unit_id), unit_wards::name.eq(ward)))
            .execute(conn)?;
    }
    Ok(())
}

/// Adds a unit to a family-expenses fund (administrators).
pub fn create_unit(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    user: &CurrentUser,
    fund_id: i64,
    input: &UnitInput,
) -> Result<Unit, ApiError> {
    user.require(Action::ManageFunds)?;
    retrying_write(conn, |conn| {
        lock_fund(conn, fund_id)?;
        family_fund(conn, fund_id)?;
        let details = checked(conn, fund_id, None, input)?;
        let id: i64 = diesel::insert_into(units::table)
            .values((
                units::fund_id.eq(fund_id),
                units::name.eq(&details.name),
                units::health_board.eq(details.health_board),
                units::provides_meals.eq(details.provides_meals),
                units::created_at.eq(now),
                units::updated_at.eq(now),
            ))
            .returning(units::id)
            .get_result(conn)?;
        write_wards(conn, id, &details.wards)?;
        let unit = load_unit(conn, id)?;
        audit::record(
            conn,
            now,
            Change::by(user, "unit", id, "unit_created").after(json!(unit)),
        )?;
        Ok(unit)
    })
}

/// Replaces a unit's name, board, wards and meals (administrators).
pub fn update_unit(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    user: &CurrentUser,
    id: i64,
    input: &UnitInput,
) -> Result<Unit, ApiError> {
    user.require(Action::ManageFunds)?;
    retrying_write(conn, |conn| {
        let before = load_unit(conn, id)?;
        lock_fund(conn, before.fund_id)?;
        let details = checked(conn, before.fund_id, Some(id), input)?;
        diesel::update(units::table.find(id))
            .set((
                units::name.eq(&details.name),
                units::health_board.eq(details.health_board),
                units::provides_meals.eq(details.provides_meals),
                units::updated_at.eq(now),
            ))
            .execute(conn)?;
        write_wards(conn, id, &details.wards)?;
        let after = load_unit(conn, id)?;
        audit::record(
            conn,
            now,
            Change::by(user, "unit", id, "unit_changed")
                .before(json!(before))
                .after(json!(after)),
        )?;
        Ok(after)
    })
}

/// The units of a fund, by name (staff). A grant fund has none.
pub fn units_of(
    conn: &mut DbConnection,
    user: &CurrentUser,
    fund_id: i64,
) -> Result<Vec<Unit>, ApiError> {
    user.require(Action::ReadFunds)?;
    FundRow::find(conn, fund_id)?;
    let rows: Vec<UnitRow> = units::table
        .filter(units::fund_id.eq(fund_id))
        .order((units::name, units::id))
        .select(UnitRow::as_select())
        .load(conn)?;
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    let mut wards = wards_of(conn, &ids)?;
    Ok(rows
        .into_iter()
        .map(|row| {
            let of_unit = wards.remove(&row.id).unwrap_or_default();
            row.into_api(of_unit)
        })
        .collect())
}

/// One unit (staff).
pub fn get_unit(conn: &mut DbConnection, user: &CurrentUser, id: i64) -> Result<Unit, ApiError> {
    user.require(Action::ReadFunds)?;
    load_unit(conn, id)
}

/// Sets the rates of one financial year of a family-expenses fund (administrators). The year
/// must fall within the programme. Claims already approved keep what they were paid.
pub fn set_rates(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    user: &CurrentUser,
    fund_id: i64,
    year_text: &str,
    input: &RatesInput,
) -> Result<Rates, ApiError> {
    user.require(Action::ManageFunds)?;
    retrying_write(conn, |conn| {
        lock_fund(conn, fund_id)?;
        let fund = family_fund(conn, fund_id)?;
        let mut v = Validator::new();
        let year = fund.details.programme_year(&mut v, year_text);
        let details = RatesDetails::parse(input, &mut v);
        let (year, details) = v.finish_with(|| Some((year?, details?)))?;
        let before: Option<RatesRow> = fund_rates::table
            .find((fund_id, year.to_string()))
            .select(RatesRow::as_select())
            .first(conn)
            .optional()?;
        let row = RatesRow {
            fund_id,
            financial_year: year.to_string(),
            mileage_rate_pence: details.mileage_rate.pence(),
            food_rate_pence: details.food_rate.pence(),
            family_cap_pence: details.family_cap.pence(),
            claim_window_months: details.claim_window_months,
            flights_per_week: details.flights_per_week,
            created_at: before.as_ref().map_or(now, |b| b.created_at),
            updated_at: now,
        };
        if before.is_some() {
            diesel::update(fund_rates::table.find((fund_id, year.to_string())))
                .set(&row)
                .execute(conn)?;
        } else {
            diesel::insert_into(fund_rates::table)
                .values(&row)
                .execute(conn)?;
        }
        let before = before.map(RatesRow::into_api).transpose()?;
        let after = row.into_api()?;
        audit::record(
            conn,
            now,
            Change::by(user, "fund", fund_id, "rates_set")
                .before(before.map(|b| json!(b)))
                .after(json!(after)),
        )?;
        Ok(after)
    })
}

/// The rates of every year of a fund that has them, in order (staff).
pub fn rates_of(
    conn: &mut DbConnection,
    user: &CurrentUser,
    fund_id: i64,
) -> Result<Vec<Rates>, ApiError> {
    user.require(Action::ReadFunds)?;
    FundRow::find(conn, fund_id)?;
    fund_rates::table
        .filter(fund_rates::fund_id.eq(fund_id))
        .order(fund_rates::financial_year)
        .select(RatesRow::as_select())
        .load(conn)?
        .into_iter()
        .map(RatesRow::into_api)
        .collect()
}
