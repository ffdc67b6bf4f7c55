//! The bank's results: each line of a closed run marked paid (with the day) or failed (with the
//! reason), by hand or from the bank's results file.
//!
//! Only a line marked paid pays: its instalment becomes `released` and the fund's year moves its
//! `paid` ([`budget::pay`]), in the transaction that marks it. A line moves only from `pending`,
//! by a conditional update, so marking it twice, at once or one after the other, pays once. A
//! failed line leaves its instalment `authorised`, so a later run takes it again.
//!
//! Locks follow `crate::funds::locks`: every award the marks pay, in id order; then each fund's
//! years, fund by fund; the report versions last.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use serde_json::json;

use crate::audit::{self, Change};
use crate::caller::CurrentUser;
use crate::db::schema::{
    awards, claim_lines, claim_payments, claims, instalments, payment_lines, stays, users,
};
use crate::db::{DbConnection, retrying_write};
use crate::domain::FinancialYear;
use crate::domain::vocabulary::{
    AwardStatus, ClaimStatus, InstalmentStatus, PaymentLineStatus, PaymentRunStatus,
};
use crate::email::outbox;
use crate::error::{ApiError, ErrorCode, Validator};
use crate::family::messages as family_messages;
use crate::funds::budget;
use crate::funds::locks::{lock_award, lock_budget, lock_stay};
use crate::payments::model::{LineRow, MarkFailedInput, MarkPaidInput, PaymentRun, RunRow};
use crate::payments::runs::{FILE_COLUMNS, claims_of, line_rows, load, money, run_for, year_of};
use crate::permissions::Action;
use crate::report_cache::{self, Figures};

/// What the bank said of one line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Mark {
    Paid(NaiveDate),
    Failed(String),
}

/// The most lines a results file may mark.
const MOST_ROWS: usize = 5000;

fn run_open() -> ApiError {
    ApiError::conflict(
        ErrorCode::RunOpen,
        "This payment run is still open: close it once its file is sent to the bank, then mark its lines.",
    )
}

/// Why `paid_on` cannot be the day a line of `run` was paid, if it cannot.
fn paid_on_problem(run: &RunRow, paid_on: NaiveDate, today: NaiveDate) -> Option<String> {
    if paid_on < run.built_at.date() {
        Some(format!(
            "must not be before the run was built, {}",
            run.built_at.date().format("%Y-%m-%d")
        ))
    } else if paid_on > today {
        Some("must not be in the future".to_owned())
    } else {
        None
    }
}

fn reason_of(v: &mut Validator, field: &str, text: &str) -> Option<String> {
    v.text(field, text, 1, 500)
}

/// Marks one line of a closed run paid on the day given (finance).
pub fn mark_paid(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    user: &CurrentUser,
    run_id: i64,
    line_id: i64,
    input: &MarkPaidInput,
) -> Result<PaymentRun, ApiError> {
    user.require(Action::PreparePayments)?;
    // Another board's run, or finance's, is not found before the body is looked at.
    run_for(conn, user, run_id)?;
    let mut v = Validator::new();
    let paid_on = v.date("paid_on", &input.paid_on);
    v.finish()?;
    let paid_on = paid_on.ok_or_else(|| ApiError::internal("a checked date went missing"))?;
    one(conn, now, user, run_id, line_id, Mark::Paid(paid_on))
}

/// Marks one line of a closed run failed, with the bank's reason (finance): its payment goes
/// back to the queue for a later run.
pub fn mark_failed(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    user: &CurrentUser,
    run_id: i64,
    line_id: i64,
    input: &MarkFailedInput,
) -> Result<PaymentRun, ApiError> {
    user.require(Action::PreparePayments)?;
    run_for(conn, user, run_id)?;
    let mut v = Validator::new();
    let reason = reason_of(&mut v, "reason", &input.reason);
    v.finish()?;
    let reason = reason.ok_or_else(|| ApiError::internal("a checked reason went missing"))?;
    one(conn, now, user, run_id, line_id, Mark::Failed(reason))
}

fn one(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    user: &CurrentUser,
    run_id: i64,
    line_id: i64,
    mark: Mark,
) -> Result<PaymentRun, ApiError> {
    retrying_write(conn, |conn| {
        let run = run_for(conn, user, run_id)?;
        let line: LineRow = payment_lines::table
            .find(line_id)
            .filter(payment_lines::run_id.eq(run_id))
            .select(LineRow::as_select())
            .first(conn)?;
        if run.status == PaymentRunStatus::Open {
            return Err(run_open());
        }
        if let Mark::Paid(day) = &mark
            && let Some(problem) = paid_on_problem(&run, *day, now.date())
        {
            return Err(ApiError::invalid("paid_on", problem));
        }
        apply(conn, now, user, &run, vec![(line, mark.clone())])?;
        load(conn, run_id)
    })
}

/// Marks every line given, all or none: the awards paid are locked in id order, then each
/// fund's years, then each line moves from `pending` or the whole transaction fails.
fn apply(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    user: &CurrentUser,
    run: &RunRow,
    mut marks: Vec<(LineRow, Mark)>,
) -> Result<(), ApiError> {
    if run.health_board.is_some() {
        return pay_claims(conn, now, user, run, marks);
    }
    marks.sort_by_key(|(line, _)| (line.award_id, line.id));
    let mut years: BTreeMap<i64, BTreeSet<FinancialYear>> = BTreeMap::new();
    // A failed line's award is locked too: an award that ended meanwhile gives its amount back.
    for (line, _) in &marks {
        if let Some(award) = line.award_id {
            lock_award(conn, award)?;
            years
                .entry(line.fund_id)
                .or_default()
                .insert(year_of(line.financial_year.as_deref())?);
        }
    }
    for (fund, of_fund) in &years {
        lock_budget(conn, *fund, of_fund.iter().copied())?;
    }
    for (line, mark) in &marks {
        mark_line(conn, now, user, line, mark)?;
        let amount = money(line.amount_pence)?;
        let year = year_of(line.financial_year.as_deref())?;
        let award = line
            .award_id
            .ok_or_else(|| ApiError::internal("an instalment's line names no award"))?;
        let detail = json!({
            "line_id": line.id,
            "payment_reference": line.payment_reference,
            "award": line.award_reference,
            "financial_year": year,
            "amount": amount,
        });
        match mark {
            Mark::Paid(day) => {
                let released = diesel::update(
                    instalments::table
                        .find((award, year.to_string()))
                        .filter(instalments::status.eq(InstalmentStatus::Authorised)),
                )
                .set((
                    instalments::status.eq(InstalmentStatus::Released),
                    instalments::released_at.eq(Some(now)),
                    instalments::released_by.eq(Some(user.id)),
                ))
                .execute(conn)?;
                if released == 0 {
                    return Err(ApiError::internal(format!(
                        "award {award} {year}: a pending line's instalment is not authorised"
                    )));
                }
                budget::pay(conn, now, line.fund_id, year, amount)?;
                let mut paid = detail.clone();
                paid["paid_on"] = json!(day);
                audit::record_all(
                    conn,
                    now,
                    vec![
                        Change::by(user, "payment_run", run.id, "line_paid").after(paid.clone()),
                        Change::by(user, "award", award, "instalment_released").after(paid.clone()),
                        Change::by(user, "fund", line.fund_id, "instalment_paid").after(paid),
                    ],
                )?;
            }
            Mark::Failed(reason) => {
                let mut failed = detail.clone();
                failed["reason"] = json!(reason);
                let mut changes = vec![
                    Change::by(user, "payment_run", run.id, "line_failed").after(failed.clone()),
                ];
                let standing: AwardStatus = awards::table
                    .find(award)
                    .select(awards::status)
                    .first(conn)?;
                // An award terminated or completed while its payment was with the bank does not
                // pay it later: what it held goes back to the fund's year, not to the queue.
                if standing != AwardStatus::Accepted {
                    let cancelled = diesel::update(
                        instalments::table
                            .find((award, year.to_string()))
                            .filter(instalments::status.eq(InstalmentStatus::Authorised)),
                    )
                    .set(instalments::status.eq(InstalmentStatus::Cancelled))
                    .execute(conn)?;
                    if cancelled > 0 {
                        let moved = budget::give_back(
                            conn,
                            now,
                            line.fund_id,
                            &BTreeMap::from([(year, line.amount_pence)]),
                        )?;
                        changes.extend(moved.audit(user, "instalment_cancelled")?);
                        changes.push(
                            Change::by(user, "award", award, "instalment_cancelled").after(failed),
                        );
                    }
                }
                audit::record_all(conn, now, changes)?;
            }
        }
    }
    for fund in years.keys() {
        report_cache::changed(conn, *fund, Figures::Money)?;
    }
    Ok(())
}

/// Marks the lines of a run of claims, all or none: each claim's stay is locked (step 1 of
/// `crate::funds::locks`), in claim order, then each fund's years. A paid line makes its claim
/// `paid`, adds to what the stay and each financial year of its lines have paid, and tells the
/// claimant; a failed line lets its claim go into a later run.
fn pay_claims(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    user: &CurrentUser,
    run: &RunRow,
    mut marks: Vec<(LineRow, Mark)>,
) -> Result<(), ApiError> {
    let lines: Vec<LineRow> = marks.iter().map(|(l, _)| l.clone()).collect();
    let claim_of = claims_of(conn, &lines)?;
    marks.sort_by_key(|(line, _)| (claim_of.get(&line.id).copied(), line.id));
    let mut shares: BTreeMap<i64, BTreeMap<FinancialYear, i64>> = BTreeMap::new();
    let mut stays_of: BTreeMap<i64, (i64, i64)> = BTreeMap::new();
    for (line, mark) in &marks {
        let claim = *claim_of
            .get(&line.id)
            .ok_or_else(|| ApiError::internal("a claim's line names no claim"))?;
        let (stay, claimant): (i64, i64) = claims::table
            .inner_join(stays::table)
            .filter(claims::id.eq(claim))
            .select((stays::id, stays::claimant_id))
            .first(conn)?;
        lock_stay(conn, stay)?;
        stays_of.insert(claim, (stay, claimant));
        if matches!(mark, Mark::Paid(_)) {
            let approved: Vec<(NaiveDate, Option<i64>)> = claim_lines::table
                .filter(claim_lines::claim_id.eq(claim))
                .select((claim_lines::spent_on, claim_lines::approved_pence))
                .load(conn)?;
            let by_year = shares.entry(claim).or_default();
            for (day, pence) in approved {
                let pence = pence.unwrap_or(0);
                if pence > 0 {
                    let year = FinancialYear::containing(day).map_err(ApiError::internal)?;
                    *by_year.entry(year).or_default() += pence;
                }
            }
        }
    }
    let mut years: BTreeMap<i64, BTreeSet<FinancialYear>> = BTreeMap::new();
    for (line, _) in &marks {
        if let Some(claim) = claim_of.get(&line.id) {
            let of_fund = years.entry(line.fund_id).or_default();
            of_fund.extend(
                shares
                    .get(claim)
                    .into_iter()
                    .flat_map(|s| s.keys().copied()),
            );
        }
    }
    for (fund, of_fund) in &years {
        lock_budget(conn, *fund, of_fund.iter().copied())?;
    }
    for (line, mark) in &marks {
        mark_line(conn, now, user, line, mark)?;
        let claim = claim_of[&line.id];
        let (stay, claimant) = stays_of[&claim];
        let detail = json!({
            "line_id": line.id,
            "payment_reference": line.payment_reference,
            "claim_id": claim,
            "amount": money(line.amount_pence)?,
        });
        match mark {
            Mark::Paid(day) => {
                let paid = diesel::update(
                    claims::table
                        .find(claim)
                        .filter(claims::status.eq(ClaimStatus::Approved)),
                )
                .set((
                    claims::status.eq(ClaimStatus::Paid),
                    claims::updated_at.eq(now),
                ))
                .execute(conn)?;
                if paid == 0 {
                    return Err(ApiError::internal(format!(
                        "claim {claim}: a pending line's claim is not approved"
                    )));
                }
                diesel::update(stays::table.find(stay))
                    .set((
                        stays::paid_pence.eq(stays::paid_pence + line.amount_pence),
                        stays::updated_at.eq(now),
                    ))
                    .execute(conn)?;
                for (year, pence) in shares.get(&claim).into_iter().flatten() {
                    budget::pay(conn, now, line.fund_id, *year, money(*pence)?)?;
                }
                let mut paid = detail.clone();
                paid["paid_on"] = json!(day);
                audit::record_all(
                    conn,
                    now,
                    vec![
                        Change::by(user, "payment_run", run.id, "line_paid").after(paid.clone()),
                        Change::by(user, "claim", claim, "claim_paid").after(paid),
                    ],
                )?;
                let email: String = users::table
                    .find(claimant)
                    .select(users::email)
                    .first(conn)?;
                outbox::enqueue(
                    conn,
                    now,
                    &family_messages::claim_paid(
                        &email,
                        &line.award_reference,
                        money(line.amount_pence)?,
                        &day.format("%-d %B %Y").to_string(),
                    ),
                )?;
            }
            Mark::Failed(reason) => {
                diesel::update(claim_payments::table.find(line.id))
                    .set(claim_payments::held.eq(false))
                    .execute(conn)?;
                let mut failed = detail.clone();
                failed["reason"] = json!(reason);
                audit::record(
                    conn,
                    now,
                    Change::by(user, "payment_run", run.id, "line_failed").after(failed),
                )?;
            }
        }
    }
    for fund in years.keys() {
        report_cache::changed(conn, *fund, Figures::Money)?;
    }
    Ok(())
}

/// Moves one line from `pending` to what the bank said, or refuses with 409
/// `line_already_marked`.
fn mark_line(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    user: &CurrentUser,
    line: &LineRow,
    mark: &Mark,
) -> Result<(), ApiError> {
    let (status, paid_on, reason) = match mark {
        Mark::Paid(day) => (PaymentLineStatus::Paid, Some(*day), None),
        Mark::Failed(reason) => (PaymentLineStatus::Failed, None, Some(reason.as_str())),
    };
    let marked = diesel::update(
        payment_lines::table
            .find(line.id)
            .filter(payment_lines::status.eq(PaymentLineStatus::Pending)),
    )
    .set((
        payment_lines::status.eq(status),
        payment_lines::paid_on.eq(paid_on),
        payment_lines::failure_reason.eq(reason),
        payment_lines::marked_by.eq(Some(user.id)),
        payment_lines::marked_at.eq(Some(now)),
    ))
    .execute(conn)?;
    if marked == 0 {
        return Err(ApiError::conflict(
            ErrorCode::LineAlreadyMarked,
            format!(
                "The payment {} is already marked paid or failed.",
                line.payment_reference
            ),
        ));
    }
    Ok(())
}

/// The cell of `column` in `record`, trimmed; empty when the file has no such column.
fn cell<'a>(
    headers: &HashMap<String, usize>,
    record: &'a csv::StringRecord,
    column: &str,
) -> &'a str {
    headers
        .get(column)
        .and_then(|i| record.get(*i))
        .map_or("", str::trim)
}

/// Marks the lines of a closed run from the bank's results file (finance): the run's own file
/// with `status` (`paid`, `failed`, or empty for no result yet), `paid_on` and `reason` columns
/// added. Every bad row is named at once, as `rows.<line of the file>.<column>`, and then
/// nothing changes; otherwise every line the file marks is marked, in one transaction.
pub fn apply_results(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    user: &CurrentUser,
    run_id: i64,
    bytes: &[u8],
) -> Result<PaymentRun, ApiError> {
    retrying_write(conn, |conn| {
        let run = run_for(conn, user, run_id)?;
        if run.status == PaymentRunStatus::Open {
            return Err(run_open());
        }
        let lines: HashMap<i64, LineRow> = line_rows(conn, run_id)?
            .into_iter()
            .map(|l| (l.id, l))
            .collect();
        let marks = read_results(&run, &lines, bytes, now.date())?;
        apply(conn, now, user, &run, marks)?;
        load(conn, run_id)
    })
}

/// Reads and checks a results file against the run's lines: every problem at once.
fn read_results(
    run: &RunRow,
    lines: &HashMap<i64, LineRow>,
    bytes: &[u8],
    today: NaiveDate,
) -> Result<Vec<(LineRow, Mark)>, ApiError> {
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(bytes);
    let headers: HashMap<String, usize> = match reader.headers() {
        Ok(h) => h
            .iter()
            .enumerate()
            .map(|(i, name)| (name.trim().trim_start_matches('\u{feff}').to_owned(), i))
            .collect(),
        Err(_) => {
            return Err(ApiError::invalid(
                "file",
                "must be a CSV file with a header row",
            ));
        }
    };
    let mut v = Validator::new();
    for column in ["line_id", "status", "paid_on", "reason"] {
        if !headers.contains_key(column) {
            v.error(
                "file",
                format!(
                    "has no `{column}` column: the file is the run's own ({}) with status, paid_on and reason added",
                    FILE_COLUMNS.join(", ")
                ),
            );
        }
    }
    if !v.is_empty() {
        return v.finish().map(|()| Vec::new());
    }
    let mut marks = Vec::new();
    let mut seen = BTreeSet::new();
    for (index, record) in reader.records().enumerate() {
        // Line 1 of the file is the header.
        let at = index + 2;
        let field = |column: &str| format!("rows.{at}.{column}");
        let Ok(record) = record else {
            v.error(field("line_id"), "this row cannot be read as CSV");
            continue;
        };
        if record.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        if marks.len() >= MOST_ROWS {
            v.error(
                field("line_id"),
                format!("a file marks at most {MOST_ROWS} lines"),
            );
            break;
        }
        let Ok(line_id) = cell(&headers, &record, "line_id").parse::<i64>() else {
            v.error(
                field("line_id"),
                "must be the line_id of a line of this run",
            );
            continue;
        };
        let Some(line) = lines.get(&line_id) else {
            v.error(field("line_id"), "is not a line of this run");
            continue;
        };
        if !seen.insert(line_id) {
            v.error(
                field("line_id"),
                "this line appears more than once in the file",
            );
            continue;
        }
        let amount = cell(&headers, &record, "amount");
        if !amount.is_empty()
            && crate::domain::Money::parse(amount).map(|m| m.pence()) != Ok(line.amount_pence)
        {
            v.error(
                field("amount"),
                format!(
                    "does not match the line's amount, {}",
                    money(line.amount_pence)?
                ),
            );
        }
        let reference = cell(&headers, &record, "payment_reference");
        if !reference.is_empty() && reference != line.payment_reference {
            v.error(
                field("payment_reference"),
                format!(
                    "does not match the line's reference, {}",
                    line.payment_reference
                ),
            );
        }
        let status = cell(&headers, &record, "status");
        let mark = match status {
            "" | "pending" => continue,
            "paid" => {
                let paid_on = v.date(field("paid_on"), cell(&headers, &record, "paid_on"));
                if let Some(day) = paid_on
                    && let Some(problem) = paid_on_problem(run, day, today)
                {
                    v.error(field("paid_on"), problem);
                }
                paid_on.map(Mark::Paid)
            }
            "failed" => reason_of(&mut v, &field("reason"), cell(&headers, &record, "reason"))
                .map(Mark::Failed),
            _ => {
                v.error(field("status"), "must be paid, failed or empty");
                None
            }
        };
        if line.status != PaymentLineStatus::Pending {
            v.error(
                field("status"),
                format!("this line is already marked {}", line.status),
            );
            continue;
        }
        if let Some(mark) = mark {
            marks.push((line.clone(), mark));
        }
    }
    if marks.is_empty() && v.is_empty() {
        v.error("file", "marks no line paid or failed");
    }
    v.finish()?;
    Ok(marks)
}
