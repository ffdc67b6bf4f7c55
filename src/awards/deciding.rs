//! Deciding a submitted application: an award committed against each year's budget, or a
//! decline with feedback.
//!
//! Every change to a year's budget goes through `crate::funds::budget`, which keeps the cap:
//! a decision commits each year's amount there inside its transaction, or nothing. On
//! PostgreSQL the decision first locks the application, then the budget locks the fund's row
//! (shared) and the years, in year order, as every writer of the budget does
//! (`crate::funds::locks`). A transaction the database still ends for a deadlock or
//! serialization failure is run again ([`retrying_write`]).

use std::collections::BTreeMap;

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde_json::json;

use crate::applications::model::ApplicationRow;
use crate::applications::service as applications;
use crate::assessment::scoring::submitted_scores;
use crate::audit::{self, Change};
use crate::awards::messages;
use crate::awards::model::{AwardMade, AwardRow, Decided, DecisionInput, InstalmentRow};
use crate::awards::reading::assemble;
use crate::awards::recipients::recipients;
use crate::caller::CurrentUser;
use crate::db::schema::{applications as applications_table, awards, decisions, instalments};
use crate::db::{DbConnection, batch, retrying_write};
use crate::domain::vocabulary::{
    ApplicationStatus, AwardStatus, DecisionOutcome, InstalmentStatus,
};
use crate::domain::{FinancialYear, Money};
use crate::email::outbox;
use crate::error::{ApiError, ErrorCode, Validator};
use crate::funds::budget;
use crate::funds::model::FundRow;
use crate::organisations::model::OrganisationRow;
use crate::permissions::Action;
use crate::report_cache::{self, Figures};
use crate::rounds::model::RoundRow;

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
            v.amounts_by_year(
                "amounts",
                input.amounts.as_ref(),
                "an award needs the amount of each year",
                |v, field, year, amount| {
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
                },
            );
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
            ErrorCode::AlreadyDecided,
            format!("This application has already been {}.", application.status),
        )),
        _ => Err(ApiError::conflict(
            ErrorCode::ApplicationNotSubmitted,
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
    user.require(Action::Decide)?;
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
                Change::by(user, "application", application_id, "declined")
                    .before(json!({"status": application.status}))
                    .after(json!({"status": after.status, "feedback": feedback})),
            )?;
            return Ok(Decided::Declined(Box::new(after)));
        }

        if !organisation.verified {
            return Err(ApiError::conflict(
                ErrorCode::OrganisationNotVerified,
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
                ErrorCode::AssessmentsIncomplete,
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
        let reference = format!("{}-{reference_year}-{sequence:04}", fund.details.code);
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
                ErrorCode::ReferenceTaken,
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
            Change::by(user, "application", application_id, "awarded")
                .before(json!({"status": application.status}))
                .after(json!({"status": ApplicationStatus::Awarded, "award_id": award_id})),
            Change::by(user, "award", award_id, "offered").after(json!(award)),
        ];
        changes.extend(committed.audit(user, "budget_committed")?);
        audit::record_all(conn, now, changes)?;
        report_cache::changed(conn, round.fund_id, Figures::Money)?;
        Ok(Decided::Awarded(Box::new(AwardMade { award })))
    })
}
