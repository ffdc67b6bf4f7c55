//! The one order in which transactions lock a fund's budget on PostgreSQL.
//!
//! Every transaction that writes `fund_years` (award decisions, payments of instalments when
//! their lines of a payment run are marked paid, give-backs when an offer is declined or an
//! award terminated or completed, and changes to a year's limit or approval) takes its row
//! locks in this order, and holds each until it commits:
//!
//! 1. the object acted on, by the first write of the transaction: the application decided, the
//!    return reviewed, then the award released, paid or wound up ([`lock_award`]); a results
//!    file that pays several awards locks them all first, in id order. For a family fund's
//!    claim, its stay, whose row holds what the family is approved and paid
//!    ([`lock_stay`]), in claim order when a run pays several. An award's instalments are
//!    written only by transactions that hold its row.
//! 2. the fund's row: `FOR KEY SHARE` by whatever spends or gives back ([`lock_budget`]),
//!    `FOR NO KEY UPDATE` by a change to the fund, its years or its rounds ([`lock_fund`]). The
//!    two modes do not conflict, so decisions never wait for a limit change on the fund's row,
//!    and limit changes queue behind each other. Inserting an award, round or year takes
//!    `FOR KEY SHARE` on the fund's row anyway (its foreign key), which is why the fund is never
//!    locked `FOR UPDATE`: that waited for every decision in flight while holding the row
//!    decisions needed, and decisions holding a year waited for it in turn (the deadlock).
//! 3. the fund's years the transaction writes, all of them at once, in `financial_year` order,
//!    `FOR NO KEY UPDATE` ([`lock_budget`], [`lock_years`]), before any of them is written.
//! 4. the fund's report version, as the change's last statement (`report_cache::changed`).
//! 5. the `Idempotency-Key`'s record, inserted as the transaction ends.
//!
//! A transaction may skip a step but never goes back to an earlier one, so no two can wait for
//! each other in a cycle. A new writer of the budget (a variation, a claim) takes its locks
//! through these functions in the same order. SQLite needs none of it: its write transactions
//! are exclusive (`BEGIN IMMEDIATE`). A deadlock or serialization failure that happens all the
//! same is run again by [`crate::db::retrying_write`], which every writer of the budget goes
//! through.

use diesel::prelude::*;

use crate::db::DbConnection;
use crate::db::schema::{awards, fund_years, funds, stays};
use crate::domain::FinancialYear;
use crate::error::ApiError;
use crate::funds::model::FundRow;

/// Step 2 for a change to the fund itself, its years or its rounds: holds the fund's row until
/// the transaction ends, so that such changes queue up behind each other, without waiting for
/// the decisions and releases in flight. 404 for an unknown fund.
pub fn lock_fund(conn: &mut DbConnection, id: i64) -> Result<(), ApiError> {
    match conn {
        DbConnection::Postgresql(pg) => {
            funds::table
                .find(id)
                .select(funds::id)
                .for_no_key_update()
                .first::<i64>(pg)?;
        }
        DbConnection::Sqlite(_) => {
            FundRow::find(conn, id)?;
        }
    }
    Ok(())
}

/// Steps 2 and 3 for a transaction that commits, pays or gives back money: the fund's row
/// shared, then `years` in order.
pub fn lock_budget(
    conn: &mut DbConnection,
    fund_id: i64,
    years: impl IntoIterator<Item = FinancialYear>,
) -> Result<(), ApiError> {
    if let DbConnection::Postgresql(pg) = conn {
        funds::table
            .find(fund_id)
            .select(funds::id)
            .for_key_share()
            .first::<i64>(pg)?;
    }
    lock_years(conn, fund_id, years)
}

/// Step 3: the fund's rows of `years` (those that exist), in `financial_year` order, in one
/// statement: PostgreSQL locks the rows in the order it returns them.
pub fn lock_years(
    conn: &mut DbConnection,
    fund_id: i64,
    years: impl IntoIterator<Item = FinancialYear>,
) -> Result<(), ApiError> {
    let DbConnection::Postgresql(pg) = conn else {
        return Ok(());
    };
    let mut years: Vec<String> = years.into_iter().map(|y| y.to_string()).collect();
    years.sort();
    years.dedup();
    if years.is_empty() {
        return Ok(());
    }
    fund_years::table
        .filter(fund_years::fund_id.eq(fund_id))
        .filter(fund_years::financial_year.eq_any(&years))
        .order(fund_years::financial_year)
        .select(fund_years::financial_year)
        .for_no_key_update()
        .load::<String>(pg)?;
    Ok(())
}

/// Step 1 for an action on a family's claim: holds its stay's row (PostgreSQL; SQLite's write
/// transactions are exclusive), the first write of every transaction that reads or moves what
/// a family is approved for or paid, so that two claims of one family take their turns.
pub fn lock_stay(conn: &mut DbConnection, stay_id: i64) -> Result<(), ApiError> {
    if let DbConnection::Postgresql(pg) = conn {
        stays::table
            .find(stay_id)
            .select(stays::id)
            .for_no_key_update()
            .first::<i64>(pg)?;
    }
    Ok(())
}

/// Step 1 for an action on an award that does not start by changing the award's row (a
/// release): holds the row, so that every writer of the award's instalments takes its turn
/// before the fund's years. 404 for an unknown award.
pub fn lock_award(conn: &mut DbConnection, id: i64) -> Result<(), ApiError> {
    match conn {
        DbConnection::Postgresql(pg) => {
            awards::table
                .find(id)
                .select(awards::id)
                .for_no_key_update()
                .first::<i64>(pg)?;
        }
        DbConnection::Sqlite(c) => {
            awards::table.find(id).select(awards::id).first::<i64>(c)?;
        }
    }
    Ok(())
}
