//! Decisions and awards under the annual cap.
//!
//! Every change to a year's budget goes through `crate::funds::budget`, which keeps the cap:
//! a decision commits each year's amount there inside its transaction, or nothing. On
//! PostgreSQL the decision first locks the application, then the budget locks the fund's row
//! (shared) and the years, in year order, as every writer of the budget does
//! (`crate::funds::locks`). A transaction the database still ends for a deadlock or
//! serialization failure is run again ([`retrying_write`]).
//!
//! Money goes back to a year only through the instalments that hold it: declining an offer
//! cancels every instalment, terminating cancels the unpaid ones, and each cancelled amount is
//! given back to its year.

use std::collections::{BTreeMap, HashMap};

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde_json::json;

use crate::applications::model::ApplicationRow;
use crate::applications::service as applications;
use crate::assessment::scoring::submitted_scores;
use crate::audit::{self, Change};
use crate::awards::messages;
use crate::awards::model::{
    Award, AwardMade, AwardRow, Decided, DecisionInput, Instalment, InstalmentRow, TerminationInput,
};
use crate::caller::CurrentUser;
use crate::db::schema::{
    applications as applications_table, awards, decisions, instalments, organisations, users,
};
use crate::db::{DbConnection, batch, retrying_write};
use crate::domain::clock::utc;
use crate::domain::vocabulary::{
    ApplicationStatus, AwardStatus, DecisionOutcome, InstalmentStatus, Role,
};
use crate::domain::{FinancialYear, Money};
use crate::email::outbox;
use crate::error::{ApiError, Validator};
use crate::funds::budget;
use crate::funds::locks::lock_award;
use crate::funds::model::FundRow;
use crate::organisations::model::OrganisationRow;
use crate::report_cache::{self, Figures};
use crate::rounds::model::RoundRow;
use crate::wire::paging::{Page, Paged};

fn money(pence: i64) -> Result<Money, ApiError> {
    Money::from_pence(pence).map_err(ApiError::internal)
}

/// What an award shows of its application: title, organisation name, the decision's conditions
/// and when it was made.
type About = (String, String, Option<String>, NaiveDateTime);

/// The awards with their instalments, conditions, titles and organisations, in the order given.
fn to_api(conn: &mut DbConnection, rows: Vec<AwardRow>) -> Result<Vec<Award>, ApiError> {
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    let application_ids: Vec<i64> = rows.iter().map(|r| r.application_id).collect();
    let mut by_award: HashMap<i64, Vec<InstalmentRow>> = HashMap::new();
    let instalment_rows: Vec<InstalmentRow> = instalments::table
        .filter(instalments::award_id.eq_any(&ids))
        .order((instalments::award_id, instalments::financial_year))
        .load(conn)?;
    for row in instalment_rows {
        by_award.entry(row.award_id).or_default().push(row);
    }
    let mut about: HashMap<i64, About> = applications_table::table
        .inner_join(organisations::table)
        .inner_join(decisions::table)
        .filter(applications_table::id.eq_any(&application_ids))
        .select((applications_table::id, about_columns()))
        .load::<(i64, About)>(conn)?
        .into_iter()
        .collect();
    rows.into_iter()
        .map(|row| {
            let about = about
                .remove(&row.application_id)
                .ok_or_else(|| ApiError::internal("award without its application"))?;
            let instalments = by_award.remove(&row.id).unwrap_or_default();
            assemble(row, about, instalments)
        })
        .collect()
}

/// One award from its row, its application's details and its instalments in year order.
fn assemble(
    row: AwardRow,
    (title, organisation_name, conditions, offered_at): About,
    rows: Vec<InstalmentRow>,
) -> Result<Award, ApiError> {
    let mut amounts = BTreeMap::new();
    let mut instalments = Vec::new();
    let (mut total, mut paid) = (0i64, 0i64);
    for i in rows {
        let year = FinancialYear::parse(&i.financial_year).map_err(ApiError::internal)?;
        let status = i.status;
        amounts.insert(year, money(i.amount_pence)?);
        total += i.amount_pence;
        if status == InstalmentStatus::Released {
            paid += i.amount_pence;
        }
        instalments.push(Instalment {
            financial_year: year,
            amount: money(i.amount_pence)?,
            status,
            released_at: i.released_at.map(utc),
        });
    }
    Ok(Award {
        id: row.id,
        reference: row.reference,
        application_id: row.application_id,
        fund_id: row.fund_id,
        round_id: row.round_id,
        organisation_id: row.organisation_id,
        organisation_name,
        title,
        status: row.status,
        amounts,
        total: money(total)?,
        paid: money(paid)?,
        instalments,
        conditions,
        offered_at: utc(offered_at),
        responded_at: row.responded_at.map(utc),
        ended_at: row.ended_at.map(utc),
        end_reason: row.end_reason,
        created_at: utc(row.created_at),
        updated_at: utc(row.updated_at),
    })
}

fn load(conn: &mut DbConnection, id: i64) -> Result<Award, ApiError> {
    let row: AwardRow = awards::table.find(id).first(conn)?;
    to_api(conn, vec![row])?
        .pop()
        .ok_or_else(|| ApiError::internal("award vanished while loading"))
}

/// The award if the caller may read it: applicants their own organisation's, administrators
/// and officials every one; anyone else 403, another organisation's 404.
fn visible(conn: &mut DbConnection, user: &CurrentUser, id: i64) -> Result<AwardRow, ApiError> {
    user.require(READERS)?;
    let row: AwardRow = awards::table.find(id).first(conn)?;
    shown_to(user, &row)?;
    Ok(row)
}

/// Who may read awards at all.
const READERS: &[Role] = &[Role::Applicant, Role::Administrator, Role::Official];

/// 404 for an award of an organisation the caller may not see.
fn shown_to(user: &CurrentUser, row: &AwardRow) -> Result<(), ApiError> {
    if user.can_see_organisation(row.organisation_id) {
        Ok(())
    } else {
        Err(ApiError::NotFound)
    }
}

/// The columns an award shows of its application, organisation and decision, as [`About`].
#[diesel::dsl::auto_type]
fn about_columns() -> _ {
    (
        applications_table::title,
        organisations::name,
        decisions::conditions,
        decisions::decided_at,
    )
}

/// The people to write to about an application's award: its organisation's contact and the
/// user who submitted it, each once.
fn recipients(
    conn: &mut DbConnection,
    application: &ApplicationRow,
    organisation: &OrganisationRow,
) -> Result<Vec<String>, ApiError> {
    let mut to = vec![organisation.contact_email.clone()];
    if let Some(submitter) = application.submitted_by {
        let email: Option<String> = users::table
            .find(submitter)
            .filter(users::active.eq(true))
            .select(users::email)
            .first(conn)
            .optional()?;
        if let Some(email) = email
            && !email.eq_ignore_ascii_case(&organisation.contact_email)
        {
            to.push(email);
        }
    }
    Ok(to)
}

/// The people to write to about an award: its organisation's contact and the user who
/// submitted the application.
pub fn grant_holder_emails(
    conn: &mut DbConnection,
    award: &AwardRow,
) -> Result<Vec<String>, ApiError> {
    let application = ApplicationRow::find(conn, award.application_id)?;
    let organisation = OrganisationRow::find(conn, award.organisation_id)?;
    recipients(conn, &application, &organisation)
}

/// Cancels the instalments of an award that are still `committed` and gives what they held
/// back to each year's budget. The caller holds the award's row, so no other transaction
/// writes its instalments meanwhile.
fn give_back_held(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    award: &AwardRow,
) -> Result<budget::Moved, ApiError> {
    let held: Vec<InstalmentRow> = instalments::table
        .filter(instalments::award_id.eq(award.id))
        .filter(instalments::status.eq(InstalmentStatus::Committed))
        .order(instalments::financial_year)
        .load(conn)?;
    let mut amounts = BTreeMap::new();
    for instalment in held {
        let year = FinancialYear::parse(&instalment.financial_year).map_err(ApiError::internal)?;
        let cancelled = diesel::update(
            instalments::table
                .find((award.id, &instalment.financial_year))
                .filter(instalments::status.eq(InstalmentStatus::Committed)),
        )
        .set(instalments::status.eq(InstalmentStatus::Cancelled))
        .execute(conn)?;
        if cancelled > 0 {
            amounts.insert(year, instalment.amount_pence);
        }
    }
    budget::give_back(conn, now, award.fund_id, &amounts)
}

/// A decision's fields, checked.
struct Checked {
    amounts: BTreeMap<FinancialYear, Money>,
    conditions: Option<String>,
    feedback: Option<String>,
}

/// Checks the shape of a decision: for an award, the amounts (each a year of the round, more
/// than zero and no more than requested) and conditions; for a decline, the feedback.
fn parse_decision(
    input: &DecisionInput,
    round_years: &[FinancialYear],
    requested: &BTreeMap<FinancialYear, Money>,
) -> Result<Checked, ApiError> {
    let mut v = Validator::new();
    let mut amounts = BTreeMap::new();
    match input.decision {
        DecisionOutcome::Award => {
            v.ensure(
                input.feedback.is_none(),
                "feedback",
                "is given only when declining",
            );
            match &input.amounts {
                None => v.error("amounts", "an award needs the amount of each year"),
                Some(given) if given.is_empty() => {
                    v.error("amounts", "must name at least one financial year")
                }
                Some(given) => {
                    for (key, text) in given {
                        let field = format!("amounts.{key}");
                        let year = v.check(field.clone(), FinancialYear::parse(key));
                        let amount = v.money(field.clone(), text);
                        let (Some(year), Some(amount)) = (year, amount) else {
                            continue;
                        };
                        if !round_years.contains(&year) {
                            v.error(field, "is not a year this round funds");
                        } else if amount.is_zero() {
                            v.error(field, "must be more than zero");
                        } else if requested.get(&year).is_none_or(|asked| amount > *asked) {
                            let asked = requested.get(&year).copied().unwrap_or(Money::ZERO);
                            v.error(field, format!("must not be more than requested ({asked})"));
                        } else {
                            amounts.insert(year, amount);
                        }
                    }
                }
            }
            let conditions = v
                .optional_text("conditions", input.conditions.as_deref(), 10_000)
                .flatten();
            v.finish()?;
            Ok(Checked {
                amounts,
                conditions,
                feedback: None,
            })
        }
        DecisionOutcome::Decline => {
            v.ensure(
                input.amounts.is_none(),
                "amounts",
                "are given only when awarding",
            );
            v.ensure(
                input.conditions.is_none(),
                "conditions",
                "are given only when awarding",
            );
            let feedback = match input.feedback.as_deref() {
                Some(text) => v.text("feedback", text, 1, 10_000),
                None => {
                    v.error("feedback", "a decline needs feedback for the applicant");
                    None
                }
            };
            v.finish()?;
            Ok(Checked {
                amounts,
                conditions: None,
                feedback,
            })
        }
    }
}

/// 409 unless the application is submitted: `already_decided` once awarded or declined,
/// `application_not_submitted` for drafts and withdrawn applications.
fn ensure_undecided(application: &ApplicationRow) -> Result<(), ApiError> {
    match application.status {
        ApplicationStatus::Submitted => Ok(()),
        ApplicationStatus::Awarded | ApplicationStatus::Declined => Err(ApiError::conflict(
            "already_decided",
            format!("This application has already been {}.", application.status),
        )),
        _ => Err(ApiError::conflict(
            "application_not_submitted",
            format!(
                "This application is {}; only submitted applications are decided.",
                application.status
            ),
        )),
    }
}

/// Moves the application from `submitted` to its decision and records the decision. The
/// conditional update holds the application's row, so two decisions on it cannot both pass.
fn record_decision(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    user: &CurrentUser,
    application: &ApplicationRow,
    outcome: DecisionOutcome,
    conditions: Option<&str>,
    feedback: Option<&str>,
) -> Result<(), ApiError> {
    let to = match outcome {
        DecisionOutcome::Award => ApplicationStatus::Awarded,
        DecisionOutcome::Decline => ApplicationStatus::Declined,
    };
    let changed = diesel::update(
        applications_table::table
            .find(application.id)
            .filter(applications_table::status.eq(ApplicationStatus::Submitted)),
    )
    .set((
        applications_table::status.eq(to),
        applications_table::updated_at.eq(now),
    ))
    .execute(conn)?;
    if changed == 0 {
        ensure_undecided(&ApplicationRow::find(conn, application.id)?)?;
        return Err(ApiError::internal(
            "application stayed submitted through its decision",
        ));
    }
    diesel::insert_into(decisions::table)
        .values((
            decisions::application_id.eq(application.id),
            decisions::outcome.eq(outcome),
            decisions::conditions.eq(conditions),
            decisions::feedback.eq(feedback),
            decisions::decided_by.eq(user.id),
            decisions::decided_at.eq(now),
        ))
        .execute(conn)?;
    Ok(())
}

/// Decides a submitted application (administrators): an award within each year's limit, or a
/// decline with feedback. See the module documentation for how the cap holds.
pub fn decide(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    user: &CurrentUser,
    application_id: i64,
    input: &DecisionInput,
) -> Result<Decided, ApiError> {
    user.require(&[Role::Administrator])?;
    retrying_write(conn, |conn| {
        let application = ApplicationRow::find(conn, application_id)?;
        let round = RoundRow::find(conn, application.round_id)?;
        let round_years = round.years(conn)?;
        let loaded = applications::load(conn, application_id)?;
        let requested = loaded.requested;
        let Checked {
            amounts,
            conditions,
            feedback,
        } = parse_decision(input, &round_years, &requested)?;
        ensure_undecided(&application)?;
        let organisation = OrganisationRow::find(conn, application.organisation_id)?;
        let to = recipients(conn, &application, &organisation)?;

        if input.decision == DecisionOutcome::Decline {
            record_decision(
                conn,
                now,
                user,
                &application,
                DecisionOutcome::Decline,
                None,
                feedback.as_deref(),
            )?;
            let after = applications::load(conn, application_id)?;
            for recipient in &to {
                outbox::enqueue(
                    conn,
                    now,
                    &messages::application_declined(
                        recipient,
                        &after.title,
                        &organisation.name,
                        feedback.as_deref().unwrap_or_default(),
                    ),
                )?;
            }
            audit::record(
                conn,
                now,
                Change {
                    actor: Some(user.id),
                    entity: "application",
                    entity_id: application_id,
                    action: "declined",
                    before: Some(json!({"status": application.status})),
                    after: Some(json!({"status": after.status, "feedback": feedback})),
                },
            )?;
            return Ok(Decided::Declined(Box::new(after)));
        }

        if !organisation.verified {
            return Err(ApiError::conflict(
                "organisation_not_verified",
                format!(
                    "{} has not passed due diligence; verify it before awarding.",
                    organisation.name
                ),
            ));
        }
        let assessed = submitted_scores(conn, &[application_id])?
            .get(&application_id)
            .map_or(0, Vec::len);
        if (assessed as i64) < i64::from(round.assessments_required) {
            return Err(ApiError::conflict(
                "assessments_incomplete",
                format!(
                    "{assessed} of the {} submitted assessments this round requires.",
                    round.assessments_required
                ),
            ));
        }
        let fund = FundRow::find(conn, round.fund_id)?;
        record_decision(
            conn,
            now,
            user,
            &application,
            DecisionOutcome::Award,
            conditions.as_deref(),
            None,
        )?;

        // From here to the commit this transaction holds the rows of the years it commits
        // against, so every statement below is one that waits for every other award's: each
        // one is needed, and the award is built from what was written rather than read back.
        let committed = budget::commit(conn, now, round.fund_id, &amounts)?;

        // The first year's row is held by this transaction, so every award starting that year
        // takes its sequence number after the one before has committed.
        let first = *amounts
            .keys()
            .next()
            .ok_or_else(|| ApiError::internal("an award without years"))?;
        let reference_year = first.start_year();
        let last: Option<i32> = awards::table
            .filter(awards::fund_id.eq(round.fund_id))
            .filter(awards::reference_year.eq(reference_year))
            .select(diesel::dsl::max(awards::sequence))
            .first(conn)?;
        let sequence = last.unwrap_or(0) + 1;
        let reference = format!("{}-{reference_year}-{sequence:04}", fund.code);
        let row: AwardRow = diesel::insert_into(awards::table)
            .values((
                awards::application_id.eq(application_id),
                awards::fund_id.eq(round.fund_id),
                awards::round_id.eq(round.id),
                awards::organisation_id.eq(application.organisation_id),
                awards::reference.eq(&reference),
                awards::reference_year.eq(reference_year),
                awards::sequence.eq(sequence),
                awards::status.eq(AwardStatus::Offered),
                awards::created_at.eq(now),
                awards::updated_at.eq(now),
            ))
            .returning(awards::all_columns)
            .get_result(conn)
            .map_err(ApiError::unique_as(
                "reference_taken",
                "Another award took this reference at the same moment; try again.",
            ))?;
        let award_id = row.id;
        let written: Vec<InstalmentRow> = amounts
            .iter()
            .map(|(year, amount)| InstalmentRow {
                award_id,
                fund_id: round.fund_id,
                financial_year: year.to_string(),
                amount_pence: amount.pence(),
                status: InstalmentStatus::Committed,
                released_at: None,
                released_by: None,
            })
            .collect();
        let new_instalments: Vec<_> = written
            .iter()
            .map(|i| {
                (
                    instalments::award_id.eq(i.award_id),
                    instalments::fund_id.eq(i.fund_id),
                    instalments::financial_year.eq(&i.financial_year),
                    instalments::amount_pence.eq(i.amount_pence),
                    instalments::status.eq(i.status),
                )
            })
            .collect();
        batch!(conn, instalments::table, &new_instalments)?;
        let about = (loaded.title, organisation.name.clone(), conditions, now);
        let award = assemble(row, about, written)?;
        let offers: Vec<_> = to
            .iter()
            .map(|recipient| messages::award_offered(recipient, &award))
            .collect();
        outbox::enqueue_all(conn, now, &offers)?;
        let mut changes = vec![
            Change {
                actor: Some(user.id),
                entity: "application",
                entity_id: application_id,
                action: "awarded",
                before: Some(json!({"status": application.status})),
                after: Some(json!({"status": ApplicationStatus::Awarded, "award_id": award_id})),
            },
            Change {
                actor: Some(user.id),
                entity: "award",
                entity_id: award_id,
                action: "offered",
                before: None,
                after: Some(json!(award)),
            },
        ];
        changes.extend(committed.audit(user, "budget_committed")?);
        audit::record_all(conn, now, changes)?;
        report_cache::changed(conn, round.fund_id, Figures::Money)?;
        Ok(Decided::Awarded(Box::new(AwardMade { award })))
    })
}

/// Moves an award from one of `from` to `to`, stamping who and when; 409 `invalid_state` if it
/// has moved on meanwhile.
fn transition(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    user: &CurrentUser,
    award: &AwardRow,
    from: &[AwardStatus],
    to: AwardStatus,
    reason: Option<&str>,
) -> Result<(), ApiError> {
    let target = awards::table
        .find(award.id)
        .filter(awards::status.eq_any(from));
    let changed = match to {
        AwardStatus::Accepted | AwardStatus::Declined => diesel::update(target)
            .set((
                awards::status.eq(to),
                awards::responded_at.eq(Some(now)),
                awards::responded_by.eq(Some(user.id)),
                awards::updated_at.eq(now),
            ))
            .execute(conn)?,
        _ => diesel::update(target)
            .set((
                awards::status.eq(to),
                awards::ended_at.eq(Some(now)),
                awards::ended_by.eq(Some(user.id)),
                awards::end_reason.eq(reason),
                awards::updated_at.eq(now),
            ))
            .execute(conn)?,
    };
    if changed == 0 {
        let current: AwardStatus = awards::table
            .find(award.id)
            .select(awards::status)
            .first(conn)?;
        return Err(ApiError::conflict(
            "invalid_state",
            format!("This award is {current}; it cannot become {to}."),
        ));
    }
    Ok(())
}

fn record_award(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    user: &CurrentUser,
    id: i64,
    action: &'static str,
    before: &Award,
    after: &Award,
) -> Result<(), ApiError> {
    audit::record(
        conn,
        now,
        Change {
            actor: Some(user.id),
            entity: "award",
            entity_id: id,
            action,
            before: Some(json!(before)),
            after: Some(json!(after)),
        },
    )
}

/// The award if the caller is an applicant of its organisation (403 for other roles, 404 for
/// another organisation's).
fn own(conn: &mut DbConnection, user: &CurrentUser, id: i64) -> Result<AwardRow, ApiError> {
    user.require(&[Role::Applicant])?;
    visible(conn, user, id)
}

/// The applicant accepts the offer. The organisation's contact and the user get a confirmation.
/// Gives the award's row and the award as accepted. Its monitoring returns are scheduled in the
/// same transaction by the use case that calls this (`usecases::grant_cycle::accept_award`).
pub fn accept(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    user: &CurrentUser,
    id: i64,
) -> Result<(AwardRow, Award), ApiError> {
    retrying_write(conn, |conn| {
        let row = own(conn, user, id)?;
        let before = load(conn, id)?;
        transition(
            conn,
            now,
            user,
            &row,
            &[AwardStatus::Offered],
            AwardStatus::Accepted,
            None,
        )?;
        let after = load(conn, id)?;
        let application = ApplicationRow::find(conn, row.application_id)?;
        let organisation = OrganisationRow::find(conn, row.organisation_id)?;
        let mut to = recipients(conn, &application, &organisation)?;
        if !to.iter().any(|r| r.eq_ignore_ascii_case(&user.email)) {
            to.push(user.email.clone());
        }
        for recipient in &to {
            outbox::enqueue(
                conn,
                now,
                &messages::award_accepted(recipient, &after, &user.name),
            )?;
        }
        record_award(conn, now, user, id, "accepted", &before, &after)?;
        Ok((row, after))
    })
}

/// Ends an award in state `to` (from one of `from`), giving back to each year what its
/// instalments still held, and records both; gives the award before and after.
#[expect(
    clippy::too_many_arguments,
    reason = "each ending differs only in these"
)]
fn wind_up(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    user: &CurrentUser,
    row: &AwardRow,
    from: &[AwardStatus],
    to: AwardStatus,
    reason: Option<&str>,
    action: &'static str,
) -> Result<Award, ApiError> {
    let before = load(conn, row.id)?;
    transition(conn, now, user, row, from, to, reason)?;
    let returned = give_back_held(conn, now, row)?;
    let after = load(conn, row.id)?;
    record_award(conn, now, user, row.id, action, &before, &after)?;
    returned.record(conn, now, user, "budget_returned")?;
    report_cache::changed(conn, row.fund_id, Figures::Money)?;
    Ok(after)
}

/// The applicant declines the offer: every year's amount goes back to its budget.
pub fn decline(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    user: &CurrentUser,
    id: i64,
) -> Result<Award, ApiError> {
    retrying_write(conn, |conn| {
        let row = own(conn, user, id)?;
        wind_up(
            conn,
            now,
            user,
            &row,
            &[AwardStatus::Offered],
            AwardStatus::Declined,
            None,
            "declined",
        )
    })
}

/// An administrator ends an offered or accepted award early: what was not paid goes back to
/// each year's budget, and the grant holder is told why.
pub fn terminate(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    user: &CurrentUser,
    id: i64,
    input: &TerminationInput,
) -> Result<Award, ApiError> {
    user.require(&[Role::Administrator])?;
    let mut v = Validator::new();
    let reason = v.text("reason", &input.reason, 1, 5_000);
    let reason = v.finish_with(|| reason)?;
    retrying_write(conn, |conn| {
        let row: AwardRow = awards::table.find(id).first(conn)?;
        let after = wind_up(
            conn,
            now,
            user,
            &row,
            &[AwardStatus::Offered, AwardStatus::Accepted],
            AwardStatus::Terminated,
            Some(&reason),
            "terminated",
        )?;
        for recipient in grant_holder_emails(conn, &row)? {
            outbox::enqueue(
                conn,
                now,
                &messages::award_terminated(&recipient, &after, &reason),
            )?;
        }
        Ok(after)
    })
}

/// Completes an accepted award once its final return is accepted: anything not released goes
/// back to its year's budget. Called inside the review's transaction.
pub fn complete(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    user: &CurrentUser,
    id: i64,
) -> Result<Award, ApiError> {
    let row: AwardRow = awards::table.find(id).first(conn)?;
    wind_up(
        conn,
        now,
        user,
        &row,
        &[AwardStatus::Accepted],
        AwardStatus::Completed,
        None,
        "completed",
    )
}

/// What an instalment after the first waits for, checked once the award and the year are known
/// to be payable: given the award's id and the year.
pub type WaitsFor = fn(&mut DbConnection, i64, FinancialYear) -> Result<(), ApiError>;

/// Releases (pays) one year's instalment of an accepted award, once, and only after every
/// earlier year's instalment (administrators). An instalment after the first also passes
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
    user.require(&[Role::Administrator])?;
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
                "award_not_accepted",
                format!(
                    "This award is {}; instalments are released only once it is accepted.",
                    before.status
                ),
            ));
        }
        if instalment.status == InstalmentStatus::Released {
            return Err(ApiError::conflict(
                "already_released",
                format!("The {year} instalment has already been released."),
            ));
        }
        if let Some(earlier) = before
            .instalments
            .iter()
            .find(|i| i.financial_year < year && i.status != InstalmentStatus::Released)
        {
            return Err(ApiError::conflict(
                "earlier_instalment_unpaid",
                format!(
                    "The {} instalment must be released before {year}.",
                    earlier.financial_year
                ),
            ));
        }
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
                "already_released",
                format!("The {year} instalment has already been released."),
            ));
        }
        budget::pay(conn, now, row.fund_id, year, instalment.amount)?;
        let after = load(conn, id)?;
        record_award(conn, now, user, id, "instalment_released", &before, &after)?;
        audit::record(
            conn,
            now,
            Change {
                actor: Some(user.id),
                entity: "fund",
                entity_id: row.fund_id,
                action: "instalment_paid",
                before: None,
                after: Some(json!({
                    "financial_year": year,
                    "award": after.reference,
                    "amount": instalment.amount,
                })),
            },
        )?;
        report_cache::changed(conn, row.fund_id, Figures::Money)?;
        Ok(after)
    })
}

/// One award, read in a single query: its row, its application's details and one row per
/// instalment.
pub fn get(conn: &mut DbConnection, user: &CurrentUser, id: i64) -> Result<Award, ApiError> {
    user.require(READERS)?;
    let rows: Vec<(AwardRow, About, Option<InstalmentRow>)> = awards::table
        .inner_join(
            applications_table::table
                .inner_join(organisations::table)
                .inner_join(decisions::table),
        )
        .left_join(instalments::table)
        .filter(awards::id.eq(id))
        .order(instalments::financial_year)
        .select((
            awards::all_columns,
            about_columns(),
            instalments::all_columns.nullable(),
        ))
        .load(conn)?;
    let Some((row, about, _)) = rows.first().cloned() else {
        return Err(ApiError::NotFound);
    };
    shown_to(user, &row)?;
    let instalments = rows.into_iter().filter_map(|(_, _, i)| i).collect();
    assemble(row, about, instalments)
}

/// Filters for the list of awards.
#[derive(Debug, Default, Clone)]
pub struct AwardFilter {
    pub fund_id: Option<i64>,
    pub financial_year: Option<FinancialYear>,
    pub status: Option<AwardStatus>,
    pub organisation_id: Option<i64>,
}

/// Awards, newest first: an applicant's own organisation's, or every one for administrators and
/// officials.
pub fn list(
    conn: &mut DbConnection,
    user: &CurrentUser,
    filter: &AwardFilter,
    page: Page,
) -> Result<Paged<Award>, ApiError> {
    user.require(READERS)?;
    let own = user
        .is(Role::Applicant)
        .then(|| user.organisation_id.unwrap_or(-1));
    let query = || {
        let mut q = awards::table.into_boxed();
        if let Some(own) = own {
            q = q.filter(awards::organisation_id.eq(own));
        }
        if let Some(fund) = filter.fund_id {
            q = q.filter(awards::fund_id.eq(fund));
        }
        if let Some(status) = filter.status {
            q = q.filter(awards::status.eq(status));
        }
        if let Some(organisation) = filter.organisation_id {
            q = q.filter(awards::organisation_id.eq(organisation));
        }
        if let Some(year) = filter.financial_year {
            q = q.filter(
                awards::id.eq_any(
                    instalments::table
                        .filter(instalments::financial_year.eq(year.to_string()))
                        .select(instalments::award_id),
                ),
            );
        }
        q
    };
    let total = query().count().get_result(conn)?;
    let rows: Vec<AwardRow> = query()
        .order(awards::id.desc())
        .limit(page.limit())
        .offset(page.offset())
        .load(conn)?;
    Ok(page.wrap(to_api(conn, rows)?, total))
}
