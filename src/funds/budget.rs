//! A fund's budget, year by year: the only writer of `fund_years`.
//!
//! Each year has a limit, an approval, what is committed to awards and what is paid out. Five
//! things move them, and each is one function here: setting a year's limit and approval
//! ([`set_limit`]), committing an award's amounts ([`commit`]), giving back what an award's
//! instalments still hold ([`give_back`]), moving an award's money between years when a
//! variation is approved ([`vary`]) and paying an instalment ([`pay`]).
//!
//! The cap is kept by the database, not by reading and then writing: every year of an award adds
//! its amount to the year's `committed` with one conditional update,
//! `committed = committed + amount WHERE committed + amount <= limit AND approved`, in the order
//! of the years, inside the caller's transaction. If any year does not fit, the caller's
//! transaction is rolled back and no year keeps anything. A new limit is written only where
//! `committed <= limit` still holds, and a payment only where `paid + amount <= committed`. A
//! `CHECK (committed_pence <= limit_pence)` on the table stands behind all of them.
//!
//! On PostgreSQL each function takes the budget's locks itself, before it writes a year, in the
//! order of [`crate::funds::locks`]: the caller has taken step 1 (the object it acts on) and,
//! for a limit, the fund's row ([`crate::funds::locks::lock_fund`]). On SQLite the write
//! transaction is exclusive. Every caller runs inside [`crate::db::retrying_write`].

use std::collections::BTreeMap;

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde_json::json;

use crate::audit::{self, Change};
use crate::caller::CurrentUser;
use crate::db::DbConnection;
use crate::db::schema::fund_years;
use crate::domain::{FinancialYear, Money};
use crate::error::{ApiError, ErrorCode, FieldError, YearShortfall};
use crate::funds::locks::{lock_budget, lock_years};
use crate::funds::model::FundYearRow;

fn money(pence: i64) -> Result<Money, ApiError> {
    Money::from_pence(pence).map_err(ApiError::internal)
}

/// What a commitment or give-back moved: each year's committed total before and after, in pence.
#[derive(Debug)]
pub struct Moved {
    fund_id: i64,
    years: BTreeMap<FinancialYear, (i64, i64)>,
}

impl Moved {
    /// One audit entry per year whose committed total moved, as `action` by `user`.
    pub fn audit(
        &self,
        user: &CurrentUser,
        action: &'static str,
    ) -> Result<Vec<Change<'static>>, ApiError> {
        self.years
            .iter()
            .map(|(year, (before, after))| {
                Ok(Change {
                    actor: Some(user.id),
                    entity: "fund",
                    entity_id: self.fund_id,
                    action,
                    before: Some(json!({"financial_year": year, "committed": money(*before)?})),
                    after: Some(json!({"financial_year": year, "committed": money(*after)?})),
                })
            })
            .collect()
    }

    /// Records [`Moved::audit`].
    pub fn record(
        &self,
        conn: &mut DbConnection,
        now: NaiveDateTime,
        user: &CurrentUser,
        action: &'static str,
    ) -> Result<(), ApiError> {
        audit::record_all(conn, now, self.audit(user, action)?)
    }
}

/// Commits every year's amount or none: the fund's row and the years are locked, then one
/// conditional update per year, in year order. Each year that is not approved, or would go over
/// its limit, is named: 409 `year_not_approved` or `fund_limit_exceeded`.
pub fn commit(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    fund_id: i64,
    amounts: &BTreeMap<FinancialYear, Money>,
) -> Result<Moved, ApiError> {
    lock_budget(conn, fund_id, amounts.keys().copied())?;
    let mut unapproved = Vec::new();
    let mut short = Vec::new();
    let mut years = BTreeMap::new();
    for (year, amount) in amounts {
        let pence = amount.pence();
        let fitted: Option<i64> = diesel::update(
            fund_years::table
                .find((fund_id, year.to_string()))
                .filter(fund_years::approved.eq(true))
                .filter((fund_years::committed_pence + pence).le(fund_years::limit_pence)),
        )
        .set((
            fund_years::committed_pence.eq(fund_years::committed_pence + pence),
            fund_years::updated_at.eq(now),
        ))
        .returning(fund_years::committed_pence)
        .get_result(conn)
        .optional()?;
        if let Some(after) = fitted {
            years.insert(*year, (after - pence, after));
            continue;
        }
        match FundYearRow::find(conn, fund_id, *year)? {
            Some(row) if row.approved => {
                short.push((*year, row.limit_pence, row.committed_pence, *amount));
            }
            _ => unapproved.push(*year),
        }
    }
    if !unapproved.is_empty() {
        let errors = unapproved
            .iter()
            .map(|year| FieldError {
                field: format!("amounts.{year}"),
                message: "this financial year's budget is not approved".to_owned(),
            })
            .collect();
        let years: Vec<String> = unapproved.iter().map(ToString::to_string).collect();
        return Err(ApiError::conflict_in(
            ErrorCode::YearNotApproved,
            format!("Not approved: {}.", years.join(", ")),
            errors,
        ));
    }
    if !short.is_empty() {
        let years = short
            .into_iter()
            .map(|(financial_year, limit, committed, asked)| {
                Ok(YearShortfall {
                    financial_year,
                    limit: money(limit.max(0))?,
                    remaining: money((limit - committed).max(0))?,
                    asked,
                })
            })
            .collect::<Result<Vec<_>, ApiError>>()?;
        return Err(ApiError::fund_limit_exceeded(years));
    }
    Ok(Moved { fund_id, years })
}

/// Gives back to each year's `committed` the amount given, in pence, after locking the fund's
/// row and the years. The caller has just cancelled the instalments that held these amounts.
pub fn give_back(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    fund_id: i64,
    amounts: &BTreeMap<FinancialYear, i64>,
) -> Result<Moved, ApiError> {
    lock_budget(conn, fund_id, amounts.keys().copied())?;
    let mut years = BTreeMap::new();
    for (year, pence) in amounts {
        let after: i64 = diesel::update(fund_years::table.find((fund_id, year.to_string())))
            .set((
                fund_years::committed_pence.eq(fund_years::committed_pence - pence),
                fund_years::updated_at.eq(now),
            ))
            .returning(fund_years::committed_pence)
            .get_result(conn)?;
        years.insert(*year, (after + pence, after));
    }
    Ok(Moved { fund_id, years })
}

/// Moves an award's money between a fund's years for an approved variation: gives back to each
/// year of `released` what leaves it, then commits what enters each year of `added` under the
/// same conditional update as [`commit`], so a receiving year must have room (409
/// `fund_limit_exceeded` naming it) and be approved. Every year either side is locked first, all
/// at once in year order, so a variation takes its locks in one step like every other writer.
/// What one year gives back is not available to another year: each year keeps its own cap.
pub fn vary(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    fund_id: i64,
    released: &BTreeMap<FinancialYear, i64>,
    added: &BTreeMap<FinancialYear, Money>,
) -> Result<(Moved, Moved), ApiError> {
    lock_budget(conn, fund_id, released.keys().chain(added.keys()).copied())?;
    let given = give_back(conn, now, fund_id, released)?;
    let taken = commit(conn, now, fund_id, added)?;
    Ok((given, taken))
}

/// Adds a released instalment's amount to its year's `paid`, after locking the fund's row and
/// the year. Paying more than the year has committed is a fault of the caller, not of the
/// request: the caller has moved the instalment from `committed` to `released` in the same
/// transaction.
pub fn pay(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    fund_id: i64,
    year: FinancialYear,
    amount: Money,
) -> Result<(), ApiError> {
    lock_budget(conn, fund_id, [year])?;
    let pence = amount.pence();
    let paid = diesel::update(
        fund_years::table
            .find((fund_id, year.to_string()))
            .filter((fund_years::paid_pence + pence).le(fund_years::committed_pence)),
    )
    .set((
        fund_years::paid_pence.eq(fund_years::paid_pence + pence),
        fund_years::updated_at.eq(now),
    ))
    .execute(conn)?;
    if paid == 0 {
        return Err(ApiError::internal(format!(
            "fund {fund_id} {year}: paying {pence} would exceed what is committed"
        )));
    }
    Ok(())
}

/// Sets the limit and approval of one financial year of a fund, creating the year if need be,
/// and gives the year before (if it existed) and after. A limit below what is already
/// committed is refused with 409 `limit_below_committed`: the update only happens when the row
/// still satisfies `committed <= new limit`, so a concurrent award cannot slip in between the
/// check and the change. The caller holds the fund's row; the year's is locked here.
pub fn set_limit(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    fund_id: i64,
    year: FinancialYear,
    limit: Money,
    approved: bool,
) -> Result<(Option<FundYearRow>, FundYearRow), ApiError> {
    lock_years(conn, fund_id, [year])?;
    let before = FundYearRow::find(conn, fund_id, year)?;
    match &before {
        Some(existing) => {
            let changed = diesel::update(
                fund_years::table
                    .find((fund_id, year.to_string()))
                    .filter(fund_years::committed_pence.le(limit.pence())),
            )
            .set((
                fund_years::limit_pence.eq(limit.pence()),
                fund_years::approved.eq(approved),
                fund_years::updated_at.eq(now),
            ))
            .execute(conn)?;
            if changed == 0 {
                let committed = money(existing.committed_pence)?;
                return Err(ApiError::conflict(
                    ErrorCode::LimitBelowCommitted,
                    format!(
                        "{year}: {committed} is already committed, so the limit cannot be {limit}."
                    ),
                ));
            }
        }
        None => {
            diesel::insert_into(fund_years::table)
                .values((
                    fund_years::fund_id.eq(fund_id),
                    fund_years::financial_year.eq(year.to_string()),
                    fund_years::limit_pence.eq(limit.pence()),
                    fund_years::approved.eq(approved),
                    fund_years::committed_pence.eq(0),
                    fund_years::paid_pence.eq(0),
                    fund_years::created_at.eq(now),
                    fund_years::updated_at.eq(now),
                ))
                .execute(conn)?;
        }
    }
    let after = FundYearRow::find(conn, fund_id, year)?
        .ok_or_else(|| ApiError::internal("fund year vanished after it was written"))?;
    Ok((before, after))
}
