//! Building payment runs from the authorised instalments, reading and closing them, and the CSV
//! file each gives the finance system: the one place bank details appear unmasked.
//!
//! A run takes every authorised payment that no other run holds (a line `pending` or `paid`);
//! a line marked failed lets its payment go into a later run. The partial unique index
//! `payment_lines_once` refuses a payment in two runs whatever happens; on PostgreSQL builders
//! also queue behind each other ([`lock_builders`]) so that the second sees what the first took,
//! and on SQLite the write transaction is exclusive.

use std::collections::HashMap;

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde_json::json;

use crate::audit::{self, Change};
use crate::caller::CurrentUser;
use crate::crypto::Keyring;
use crate::db::schema::{awards, instalments, organisations, payment_lines, payment_runs, users};
use crate::db::{DbConnection, retrying_write};
use crate::domain::clock::utc;
use crate::domain::vocabulary::{
    InstalmentStatus, PaymentKind, PaymentLineStatus, PaymentRunStatus,
};
use crate::domain::{FinancialYear, Money};
use crate::error::{ApiError, ErrorCode};
use crate::organisations::bank;
use crate::payments::model::{
    BuildRunInput, BuiltRun, LineRow, PaymentLine, PaymentRun, PaymentRunSummary, RunRow, Skipped,
};
use crate::permissions::Action;
use crate::wire::csv_text;

pub(super) fn money(pence: i64) -> Result<Money, ApiError> {
    Money::from_pence(pence).map_err(ApiError::internal)
}

pub(super) fn year_of(text: Option<&str>) -> Result<FinancialYear, ApiError> {
    FinancialYear::parse(text.unwrap_or_default()).map_err(ApiError::internal)
}

/// The columns of a run's file, in order. The bank's results file has the same columns and
/// `status`, `paid_on` and `reason` after them.
pub const FILE_COLUMNS: [&str; 8] = [
    "line_id",
    "payee",
    "sort_code",
    "account_number",
    "roll_number",
    "amount",
    "payment_reference",
    "award_reference",
];

/// Makes builders of runs wait for each other on PostgreSQL, so that a second builder's query
/// sees the lines the first committed. It conflicts with no lock any other writer takes first.
fn lock_builders(conn: &mut DbConnection) -> Result<(), ApiError> {
    if let DbConnection::Postgresql(pg) = conn {
        diesel::sql_query("LOCK TABLE payment_runs IN SHARE ROW EXCLUSIVE MODE").execute(pg)?;
    }
    Ok(())
}

fn name_of(conn: &mut DbConnection, id: i64) -> Result<String, ApiError> {
    Ok(users::table
        .find(id)
        .select(users::name)
        .first::<String>(conn)
        .optional()?
        .unwrap_or_default())
}

pub(super) fn run_row(conn: &mut DbConnection, id: i64) -> Result<RunRow, ApiError> {
    Ok(payment_runs::table
        .find(id)
        .select(RunRow::as_select())
        .first(conn)?)
}

pub(super) fn line_rows(conn: &mut DbConnection, run_id: i64) -> Result<Vec<LineRow>, ApiError> {
    Ok(payment_lines::table
        .filter(payment_lines::run_id.eq(run_id))
        .order(payment_lines::id)
        .select(LineRow::as_select())
        .load(conn)?)
}

/// What the lines of a run add up to: count, total, paid, pending and failed.
struct Totals {
    count: i64,
    total: i64,
    paid: i64,
    pending: i64,
    failed: i64,
}

fn totals<'a>(lines: impl IntoIterator<Item = &'a LineRow>) -> Totals {
    let mut t = Totals {
        count: 0,
        total: 0,
        paid: 0,
        pending: 0,
        failed: 0,
    };
    for line in lines {
        t.count += 1;
        t.total += line.amount_pence;
        match line.status {
            PaymentLineStatus::Paid => t.paid += line.amount_pence,
            PaymentLineStatus::Pending => t.pending += 1,
            PaymentLineStatus::Failed => t.failed += 1,
        }
    }
    t
}

fn organisation_names(
    conn: &mut DbConnection,
    lines: &[LineRow],
) -> Result<HashMap<i64, String>, ApiError> {
    let ids: Vec<i64> = lines.iter().map(|l| l.organisation_id).collect();
    Ok(organisations::table
        .filter(organisations::id.eq_any(ids))
        .select((organisations::id, organisations::name))
        .load::<(i64, String)>(conn)?
        .into_iter()
        .collect())
}

/// A run as the API shows it.
pub(super) fn view(conn: &mut DbConnection, row: RunRow) -> Result<PaymentRun, ApiError> {
    let rows = line_rows(conn, row.id)?;
    let names = organisation_names(conn, &rows)?;
    let payees: HashMap<i64, String> = {
        use crate::db::schema::bank_details;
        let ids: Vec<i64> = rows.iter().map(|l| l.bank_details_id).collect();
        bank_details::table
            .filter(bank_details::id.eq_any(ids))
            .select((bank_details::id, bank_details::account_name))
            .load::<(i64, String)>(conn)?
            .into_iter()
            .collect()
    };
    let t = totals(&rows);
    let lines = rows
        .into_iter()
        .map(|l| {
            Ok(PaymentLine {
                id: l.id,
                run_id: l.run_id,
                kind: l.kind,
                award_id: l.award_id,
                financial_year: l
                    .financial_year
                    .as_deref()
                    .map(|y| year_of(Some(y)))
                    .transpose()?,
                organisation_id: l.organisation_id,
                organisation_name: names.get(&l.organisation_id).cloned().unwrap_or_default(),
                fund_id: l.fund_id,
                bank_details_id: l.bank_details_id,
                payee: payees.get(&l.bank_details_id).cloned().unwrap_or_default(),
                amount: money(l.amount_pence)?,
                payment_reference: l.payment_reference,
                award_reference: l.award_reference,
                status: l.status,
                paid_on: l.paid_on,
                failure_reason: l.failure_reason,
                marked_by: l.marked_by,
                marked_at: l.marked_at.map(utc),
            })
        })
        .collect::<Result<Vec<_>, ApiError>>()?;
    let figures = summary(conn, &row, &t)?;
    Ok(PaymentRun {
        id: figures.id,
        status: figures.status,
        built_by: row.built_by,
        built_by_name: figures.built_by_name,
        built_at: figures.built_at,
        closed_by: row.closed_by,
        closed_at: figures.closed_at,
        count: figures.count,
        total: figures.total,
        paid: figures.paid,
        pending: figures.pending,
        failed: figures.failed,
        lines,
    })
}

/// A run's figures, from its lines' totals `t`.
fn summary(
    conn: &mut DbConnection,
    run: &RunRow,
    t: &Totals,
) -> Result<PaymentRunSummary, ApiError> {
    Ok(PaymentRunSummary {
        id: run.id,
        status: run.status,
        built_by_name: name_of(conn, run.built_by)?,
        built_at: utc(run.built_at),
        count: t.count,
        total: money(t.total)?,
        paid: money(t.paid)?,
        pending: t.pending,
        failed: t.failed,
        closed_at: run.closed_at.map(utc),
    })
}

/// A run by its id, as the API shows it.
pub(super) fn load(conn: &mut DbConnection, id: i64) -> Result<PaymentRun, ApiError> {
    let row = run_row(conn, id)?;
    view(conn, row)
}

/// One run with its lines (finance).
pub fn get(conn: &mut DbConnection, user: &CurrentUser, id: i64) -> Result<PaymentRun, ApiError> {
    user.require(Action::PreparePayments)?;
    let row = run_row(conn, id)?;
    view(conn, row)
}

/// Every run, newest first, with its figures (finance).
pub fn list(
    conn: &mut DbConnection,
    user: &CurrentUser,
) -> Result<Vec<PaymentRunSummary>, ApiError> {
    user.require(Action::PreparePayments)?;
    let runs: Vec<RunRow> = payment_runs::table
        .order(payment_runs::id.desc())
        .select(RunRow::as_select())
        .limit(500)
        .load(conn)?;
    let ids: Vec<i64> = runs.iter().map(|r| r.id).collect();
    let lines: Vec<LineRow> = payment_lines::table
        .filter(payment_lines::run_id.eq_any(&ids))
        .select(LineRow::as_select())
        .load(conn)?;
    runs.into_iter()
        .map(|run| {
            let t = totals(lines.iter().filter(|l| l.run_id == run.id));
            summary(conn, &run, &t)
        })
        .collect()
}

/// An authorised instalment that no run holds.
struct Waiting {
    award_id: i64,
    year: String,
    amount_pence: i64,
    fund_id: i64,
    organisation_id: i64,
    organisation_name: String,
    reference: String,
}

fn waiting(conn: &mut DbConnection, fund_id: Option<i64>) -> Result<Vec<Waiting>, ApiError> {
    let held = payment_lines::table
        .filter(payment_lines::kind.eq(PaymentKind::Instalment))
        .filter(payment_lines::award_id.eq(instalments::award_id.nullable()))
        .filter(payment_lines::financial_year.eq(instalments::financial_year.nullable()))
        .filter(payment_lines::status.ne(PaymentLineStatus::Failed));
    let mut query = instalments::table
        .inner_join(awards::table.inner_join(organisations::table))
        .filter(instalments::status.eq(InstalmentStatus::Authorised))
        .filter(diesel::dsl::not(diesel::dsl::exists(held)))
        .order((instalments::award_id, instalments::financial_year))
        .select((
            instalments::award_id,
            instalments::financial_year,
            instalments::amount_pence,
            awards::fund_id,
            awards::organisation_id,
            organisations::name,
            awards::reference,
        ))
        .into_boxed();
    if let Some(fund_id) = fund_id {
        query = query.filter(awards::fund_id.eq(fund_id));
    }
    let rows: Vec<(i64, String, i64, i64, i64, String, String)> = query.load(conn)?;
    Ok(rows
        .into_iter()
        .map(
            |(award_id, year, amount_pence, fund_id, organisation_id, name, reference)| Waiting {
                award_id,
                year,
                amount_pence,
                fund_id,
                organisation_id,
                organisation_name: name,
                reference,
            },
        )
        .collect())
}

/// Builds a run (finance) from every authorised instalment that no other run holds, of one fund
/// or of all. Each line pays the verified version of the organisation's bank details at this
/// moment; a payment to an organisation whose details are missing or await a second person's
/// check is left in the queue and named in `skipped`. With nothing to pay, 409
/// `nothing_to_pay`.
pub fn build(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    user: &CurrentUser,
    input: &BuildRunInput,
) -> Result<BuiltRun, ApiError> {
    user.require(Action::PreparePayments)?;
    retrying_write(conn, |conn| {
        lock_builders(conn)?;
        let mut lines = Vec::new();
        let mut skipped = Vec::new();
        for w in waiting(conn, input.fund_id)? {
            match bank::verified_version(conn, w.organisation_id)? {
                Some(version) => lines.push((w, version)),
                None => skipped.push(Skipped {
                    award_id: w.award_id,
                    award_reference: w.reference.clone(),
                    financial_year: year_of(Some(&w.year))?,
                    organisation_id: w.organisation_id,
                    organisation_name: w.organisation_name.clone(),
                    amount: money(w.amount_pence)?,
                    reason: "The organisation's bank details are missing or a change to them waits for a second person to verify it.".to_owned(),
                }),
            }
        }
        if lines.is_empty() {
            let detail = if skipped.is_empty() {
                "No authorised payment waits for a run.".to_owned()
            } else {
                format!(
                    "{} authorised payment(s) wait, but every one is to an organisation whose bank details are not verified.",
                    skipped.len()
                )
            };
            return Err(ApiError::conflict(ErrorCode::NothingToPay, detail));
        }
        let run_id: i64 = diesel::insert_into(payment_runs::table)
            .values((
                payment_runs::status.eq(PaymentRunStatus::Open),
                payment_runs::built_by.eq(user.id),
                payment_runs::built_at.eq(now),
            ))
            .returning(payment_runs::id)
            .get_result(conn)?;
        for (w, version) in &lines {
            diesel::insert_into(payment_lines::table)
                .values((
                    payment_lines::run_id.eq(run_id),
                    payment_lines::kind.eq(PaymentKind::Instalment),
                    payment_lines::award_id.eq(Some(w.award_id)),
                    payment_lines::financial_year.eq(Some(&w.year)),
                    payment_lines::organisation_id.eq(w.organisation_id),
                    payment_lines::fund_id.eq(w.fund_id),
                    payment_lines::bank_details_id.eq(version),
                    payment_lines::amount_pence.eq(w.amount_pence),
                    payment_lines::payment_reference.eq(format!("{}/{}", w.reference, w.year)),
                    payment_lines::award_reference.eq(&w.reference),
                    payment_lines::status.eq(PaymentLineStatus::Pending),
                ))
                .execute(conn)?;
        }
        let run = load(conn, run_id)?;
        audit::record(
            conn,
            now,
            Change::by(user, "payment_run", run_id, "built").after(json!({
                "count": run.count,
                "total": run.total,
                "payments": run.lines.iter().map(|l| &l.payment_reference).collect::<Vec<_>>(),
                "skipped": skipped.iter().map(|s| format!("{}/{}", s.award_reference, s.financial_year)).collect::<Vec<_>>(),
            })),
        )?;
        Ok(BuiltRun {
            run,
            skipped: skipped.clone(),
        })
    })
}

/// Closes an open run (finance): its total and count were checked and the file sent to the
/// bank; its lines are then marked paid or failed. A closed run is not closed again.
pub fn close(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    user: &CurrentUser,
    id: i64,
) -> Result<PaymentRun, ApiError> {
    user.require(Action::PreparePayments)?;
    retrying_write(conn, |conn| {
        run_row(conn, id)?;
        let closed = diesel::update(
            payment_runs::table
                .find(id)
                .filter(payment_runs::status.eq(PaymentRunStatus::Open)),
        )
        .set((
            payment_runs::status.eq(PaymentRunStatus::Closed),
            payment_runs::closed_by.eq(Some(user.id)),
            payment_runs::closed_at.eq(Some(now)),
        ))
        .execute(conn)?;
        if closed == 0 {
            return Err(ApiError::conflict(
                ErrorCode::RunClosed,
                "This payment run is already closed.",
            ));
        }
        let run = load(conn, id)?;
        audit::record(
            conn,
            now,
            Change::by(user, "payment_run", id, "closed")
                .after(json!({"count": run.count, "total": run.total})),
        )?;
        Ok(run)
    })
}

/// The run's file for the finance system (finance), with each payee's bank details unmasked:
/// every download is audited, in the same transaction as it is read.
pub fn file(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    keyring: &Keyring,
    user: &CurrentUser,
    id: i64,
) -> Result<Vec<u8>, ApiError> {
    user.require(Action::PreparePayments)?;
    retrying_write(conn, |conn| {
        run_row(conn, id)?;
        let lines = line_rows(conn, id)?;
        let mut out = csv::Writer::from_writer(Vec::new());
        out.write_record(FILE_COLUMNS).map_err(ApiError::internal)?;
        for line in &lines {
            let payee = bank::payee_of_version(conn, keyring, line.bank_details_id)?;
            out.write_record([
                line.id.to_string(),
                csv_text(&payee.account_name),
                payee.sort_code.formatted(),
                payee.account_number.as_str().to_owned(),
                payee
                    .roll_number
                    .as_deref()
                    .map(csv_text)
                    .unwrap_or_default(),
                money(line.amount_pence)?.to_string(),
                csv_text(&line.payment_reference),
                csv_text(&line.award_reference),
            ])
            .map_err(ApiError::internal)?;
        }
        let bytes = out.into_inner().map_err(ApiError::internal)?;
        let t = totals(&lines);
        audit::record(
            conn,
            now,
            Change::by(user, "payment_run", id, "file_downloaded")
                .after(json!({"count": t.count, "total": money(t.total)?})),
        )?;
        Ok(bytes)
    })
}
