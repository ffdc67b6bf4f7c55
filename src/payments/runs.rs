//! Building payment runs from the authorised instalments, reading and closing them, and the CSV
//! file each gives the finance system: the one place bank details appear unmasked.
//!
//! Finance builds and works the runs of instalments; the cash office of an NHS board builds and
//! works the runs of its families' approved claims, and sees no other runs (404). A claim goes
//! into a run only when built by someone other than the person who approved it, so that two
//! people stand behind every payment.
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
use crate::db::schema::{
    awards, claim_payments, claims, instalments, organisations, payment_lines, payment_runs, stays,
    units, users,
};
use crate::db::{DbConnection, retrying_write};
use crate::domain::clock::utc;
use crate::domain::vocabulary::{
    ClaimStatus, HealthBoard, InstalmentStatus, PaymentKind, PaymentLineStatus, PaymentRunStatus,
    Role,
};
use crate::domain::{FinancialYear, Money};
use crate::error::{ApiError, ErrorCode};
use crate::family::claim_model::claim_reference;
use crate::organisations::bank::{self, Holder};
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

/// Which runs the caller works on: finance those of instalments (no board), a cash office those
/// of its board's claims.
fn board_of(user: &CurrentUser) -> Result<Option<HealthBoard>, ApiError> {
    user.require(Action::PreparePayments)?;
    match (user.role, user.health_board) {
        (Role::CashOffice, Some(board)) => Ok(Some(board)),
        (Role::CashOffice, None) => Err(ApiError::Forbidden),
        _ => Ok(None),
    }
}

/// The run if the caller works on it; 404 otherwise, whether or not it exists.
pub(super) fn run_for(
    conn: &mut DbConnection,
    user: &CurrentUser,
    id: i64,
) -> Result<RunRow, ApiError> {
    let board = board_of(user)?;
    let row = run_row(conn, id)?;
    if row.health_board == board {
        Ok(row)
    } else {
        Err(ApiError::NotFound)
    }
}

/// The claim each claim line of `lines` pays.
pub(super) fn claims_of(
    conn: &mut DbConnection,
    lines: &[LineRow],
) -> Result<HashMap<i64, i64>, ApiError> {
    let ids: Vec<i64> = lines
        .iter()
        .filter(|l| l.kind == PaymentKind::Claim)
        .map(|l| l.id)
        .collect();
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    Ok(claim_payments::table
        .filter(claim_payments::line_id.eq_any(ids))
        .select((claim_payments::line_id, claim_payments::claim_id))
        .load::<(i64, i64)>(conn)?
        .into_iter()
        .collect())
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
    let ids: Vec<i64> = lines.iter().filter_map(|l| l.organisation_id).collect();
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
    let claims = claims_of(conn, &rows)?;
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
                claim_id: claims.get(&l.id).copied(),
                financial_year: l
                    .financial_year
                    .as_deref()
                    .map(|y| year_of(Some(y)))
                    .transpose()?,
                organisation_id: l.organisation_id,
                organisation_name: l.organisation_id.and_then(|id| names.get(&id).cloned()),
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
        health_board: row.health_board,
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
        health_board: run.health_board,
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

/// One run with its lines (finance, or the cash office of its board).
pub fn get(conn: &mut DbConnection, user: &CurrentUser, id: i64) -> Result<PaymentRun, ApiError> {
    let row = run_for(conn, user, id)?;
    view(conn, row)
}

/// Every run, newest first, with its figures (finance).
pub fn list(
    conn: &mut DbConnection,
    user: &CurrentUser,
) -> Result<Vec<PaymentRunSummary>, ApiError> {
    let board = board_of(user)?;
    let query = payment_runs::table
        .order(payment_runs::id.desc())
        .select(RunRow::as_select())
        .limit(500)
        .into_boxed();
    let query = match board {
        Some(board) => query.filter(payment_runs::health_board.eq(board)),
        None => query.filter(payment_runs::health_board.is_null()),
    };
    let runs: Vec<RunRow> = query.load(conn)?;
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

/// A line a run is about to pay.
struct NewLine {
    kind: PaymentKind,
    award_id: Option<i64>,
    financial_year: Option<String>,
    organisation_id: Option<i64>,
    claim_id: Option<i64>,
    fund_id: i64,
    bank_details_id: i64,
    amount_pence: i64,
    payment_reference: String,
    reference: String,
}

/// The instalments a run of finance's pays, and those it leaves in the queue.
fn instalment_lines(
    conn: &mut DbConnection,
    input: &BuildRunInput,
) -> Result<(Vec<NewLine>, Vec<Skipped>), ApiError> {
    let mut lines = Vec::new();
    let mut skipped = Vec::new();
    for w in waiting(conn, input.fund_id)? {
        match bank::verified_version(conn, Holder::Organisation(w.organisation_id))? {
            Some(version) => lines.push(NewLine {
                kind: PaymentKind::Instalment,
                award_id: Some(w.award_id),
                payment_reference: format!("{}/{}", w.reference, w.year),
                financial_year: Some(w.year),
                organisation_id: Some(w.organisation_id),
                claim_id: None,
                fund_id: w.fund_id,
                bank_details_id: version,
                amount_pence: w.amount_pence,
                reference: w.reference,
            }),
            None => skipped.push(Skipped {
                award_id: Some(w.award_id),
                claim_id: None,
                award_reference: w.reference.clone(),
                financial_year: Some(year_of(Some(&w.year))?),
                organisation_id: Some(w.organisation_id),
                organisation_name: Some(w.organisation_name.clone()),
                amount: money(w.amount_pence)?,
                reason: "The organisation's bank details are missing or a change to them waits for a second person to verify it.".to_owned(),
            }),
        }
    }
    Ok((lines, skipped))
}

/// An approved claim waiting for a run: its id, approved amount, approver, fund and claimant.
type ApprovedClaim = (i64, Option<i64>, Option<i64>, i64, i64);

/// The approved claims of `board`'s units that a run of the caller's pays, and those it leaves
/// in the queue: a claim whose claimant's bank details are not verified, or that the caller
/// approved.
fn claim_lines(
    conn: &mut DbConnection,
    user: &CurrentUser,
    input: &BuildRunInput,
    board: HealthBoard,
) -> Result<(Vec<NewLine>, Vec<Skipped>), ApiError> {
    let held = claim_payments::table
        .filter(claim_payments::claim_id.eq(claims::id))
        .filter(claim_payments::held.eq(true));
    let mut query = claims::table
        .inner_join(stays::table.inner_join(units::table))
        .filter(claims::status.eq(ClaimStatus::Approved))
        .filter(units::health_board.eq(board))
        .filter(diesel::dsl::not(diesel::dsl::exists(held)))
        .order(claims::id)
        .select((
            claims::id,
            claims::approved_pence,
            claims::decided_by,
            stays::fund_id,
            stays::claimant_id,
        ))
        .into_boxed();
    if let Some(fund_id) = input.fund_id {
        query = query.filter(stays::fund_id.eq(fund_id));
    }
    let rows: Vec<ApprovedClaim> = query.load(conn)?;
    let mut lines = Vec::new();
    let mut skipped = Vec::new();
    for (claim_id, approved, decided_by, fund_id, claimant_id) in rows {
        let amount_pence =
            approved.ok_or_else(|| ApiError::internal("an approved claim has no amount"))?;
        let reference = claim_reference(claim_id);
        let version = bank::verified_version(conn, Holder::Claimant(claimant_id))?;
        let reason = match (decided_by == Some(user.id), version) {
            (true, _) => Some(
                "You approved this claim, so another member of the cash office must put it in a run.",
            ),
            (false, None) => Some(
                "The claimant's bank details are missing or a change to them waits for a second person to verify it.",
            ),
            (false, Some(_)) => None,
        };
        match (reason, version) {
            (None, Some(version)) => lines.push(NewLine {
                kind: PaymentKind::Claim,
                award_id: None,
                financial_year: None,
                organisation_id: None,
                claim_id: Some(claim_id),
                fund_id,
                bank_details_id: version,
                amount_pence,
                payment_reference: reference.clone(),
                reference,
            }),
            (reason, _) => skipped.push(Skipped {
                award_id: None,
                claim_id: Some(claim_id),
                award_reference: reference,
                financial_year: None,
                organisation_id: None,
                organisation_name: None,
                amount: money(amount_pence)?,
                reason: reason.unwrap_or_default().to_owned(),
            }),
        }
    }
    Ok((lines, skipped))
}

/// Builds a run from every payment that no other run holds, of one fund or of all: finance's
/// from the authorised instalments, a cash office's from its board's approved claims. Each line
/// pays the verified version of the payee's bank details at this moment; a payment whose payee's
/// details are missing or await a second person's check, or a claim the builder approved, is
/// left in the queue and named in `skipped`. With nothing to pay, 409 `nothing_to_pay`.
pub fn build(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    user: &CurrentUser,
    input: &BuildRunInput,
) -> Result<BuiltRun, ApiError> {
    let board = board_of(user)?;
    retrying_write(conn, |conn| {
        lock_builders(conn)?;
        let (lines, skipped) = match board {
            None => instalment_lines(conn, input)?,
            Some(board) => claim_lines(conn, user, input, board)?,
        };
        if lines.is_empty() {
            let detail = if skipped.is_empty() {
                "No payment waits for a run.".to_owned()
            } else {
                format!(
                    "{} payment(s) wait, but none can go into a run of yours yet: see why in each.",
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
                payment_runs::health_board.eq(board),
            ))
            .returning(payment_runs::id)
            .get_result(conn)?;
        for line in &lines {
            let line_id: i64 = diesel::insert_into(payment_lines::table)
                .values((
                    payment_lines::run_id.eq(run_id),
                    payment_lines::kind.eq(line.kind),
                    payment_lines::award_id.eq(line.award_id),
                    payment_lines::financial_year.eq(&line.financial_year),
                    payment_lines::organisation_id.eq(line.organisation_id),
                    payment_lines::fund_id.eq(line.fund_id),
                    payment_lines::bank_details_id.eq(line.bank_details_id),
                    payment_lines::amount_pence.eq(line.amount_pence),
                    payment_lines::payment_reference.eq(&line.payment_reference),
                    payment_lines::award_reference.eq(&line.reference),
                    payment_lines::status.eq(PaymentLineStatus::Pending),
                ))
                .returning(payment_lines::id)
                .get_result(conn)?;
            if let Some(claim_id) = line.claim_id {
                diesel::insert_into(claim_payments::table)
                    .values((
                        claim_payments::line_id.eq(line_id),
                        claim_payments::claim_id.eq(claim_id),
                        claim_payments::held.eq(true),
                    ))
                    .execute(conn)?;
            }
        }
        let run = load(conn, run_id)?;
        audit::record(
            conn,
            now,
            Change::by(user, "payment_run", run_id, "built").after(json!({
                "count": run.count,
                "total": run.total,
                "health_board": board,
                "payments": run.lines.iter().map(|l| &l.payment_reference).collect::<Vec<_>>(),
                "skipped": skipped.iter().map(|s| match s.financial_year {
                    Some(year) => format!("{}/{}", s.award_reference, year),
                    None => s.award_reference.clone(),
                }).collect::<Vec<_>>(),
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
    retrying_write(conn, |conn| {
        run_for(conn, user, id)?;
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
    retrying_write(conn, |conn| {
        run_for(conn, user, id)?;
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
