//! Rules for applications: who may see and change them, and the moves between their states.
//!
//! Applicants act for their own organisation only; another organisation's application answers
//! 404 as if it did not exist. Administrators read every application. Officials read none (they
//! get aggregates). State changes are conditional updates on the current state, so two requests
//! racing on one application cannot both succeed.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde_json::json;

use crate::applications::model::{
    AnswersInput, Application, ApplicationContent, ApplicationPatch, ApplicationRow, Children,
    ContentFields, NewApplication, SubmissionRules,
};
use crate::applications::{answers, asked};
use crate::audit::{self, Change};
use crate::caller::CurrentUser;
use crate::db::schema::{applications, assignments, decisions, organisations};
use crate::db::{DbConnection, write_transaction};
use crate::documents;
use crate::domain::Money;
use crate::domain::clock::utc;
use crate::domain::vocabulary::{
    ApplicationStatus, AssignmentStatus, DocumentOwner, Role, RoundStatus,
};
use crate::email::messages::{self, ApplicationReceipt};
use crate::email::outbox;
use crate::error::{ApiError, ErrorCode, Validator};
use crate::organisations::model::OrganisationRow;
use crate::permissions::Action;
use crate::rounds::form::QUESTIONS_MAX;
use crate::rounds::forms;
use crate::rounds::model::RoundRow;
use crate::rounds::service::visible_round;
use crate::wire::csv_text;
use crate::wire::paging::{Page, Paged};

/// Whether an assessor may read an application's content: assigned, and declared no conflict.
fn assessor_may_read(
    conn: &mut DbConnection,
    assessor_id: i64,
    application_id: i64,
) -> Result<bool, ApiError> {
    let status: Option<AssignmentStatus> = assignments::table
        .filter(assignments::assessor_id.eq(assessor_id))
        .filter(assignments::application_id.eq(application_id))
        .select(assignments::status)
        .first(conn)
        .optional()?;
    Ok(matches!(
        status,
        Some(AssignmentStatus::InProgress | AssignmentStatus::Submitted)
    ))
}

/// The application if the caller may read it: its own organisation's applicants,
/// administrators, and assessors assigned to it who have declared no conflict of interest.
/// Officials are refused (403); anyone else gets 404, whether or not it exists.
pub fn visible(
    conn: &mut DbConnection,
    user: &CurrentUser,
    id: i64,
) -> Result<ApplicationRow, ApiError> {
    user.require(Action::ReadApplication)?;
    let row = ApplicationRow::find(conn, id)?;
    let allowed = match user.role {
        Role::Administrator => true,
        Role::Applicant => user.organisation_id == Some(row.organisation_id),
        Role::Assessor => assessor_may_read(conn, user.id, row.id)?,
        Role::Official | Role::Finance | Role::Claimant | Role::Clinician | Role::CashOffice => {
            false
        }
    };
    if allowed {
        Ok(row)
    } else {
        Err(ApiError::NotFound)
    }
}

/// The application if the caller may act on it as its applicant (403 for other roles, 404 for
/// another organisation's).
fn own(conn: &mut DbConnection, user: &CurrentUser, id: i64) -> Result<ApplicationRow, ApiError> {
    user.require(Action::EditApplication)?;
    visible(conn, user, id)
}

/// The states an applicant's change needs the application in, and how a refusal says so.
struct Needs {
    states: &'static [ApplicationStatus],
    action: &'static str,
    allowed: &'static str,
}

const EDIT: Needs = Needs {
    states: &[ApplicationStatus::Draft],
    action: "edited",
    allowed: "a draft",
};

const SUBMIT: Needs = Needs {
    states: &[ApplicationStatus::Draft],
    action: "submitted",
    allowed: "a draft",
};

const WITHDRAW: Needs = Needs {
    states: &[ApplicationStatus::Draft, ApplicationStatus::Submitted],
    action: "withdrawn",
    allowed: "a draft or submitted application",
};

/// Changes the caller's own application in one write transaction if it is in one of the states
/// the change `needs` (409 `invalid_state` otherwise): `work` gets the row, its stored content
/// and the application as it was.
fn change_own<T>(
    conn: &mut DbConnection,
    user: &CurrentUser,
    id: i64,
    needs: &Needs,
    work: impl FnOnce(
        &mut DbConnection,
        ApplicationRow,
        ApplicationContent,
        Application,
    ) -> Result<T, ApiError>,
) -> Result<T, ApiError> {
    write_transaction(conn, |conn| {
        let row = own(conn, user, id)?;
        if !needs.states.contains(&row.status) {
            return Err(wrong_state(&row, needs.action, needs.allowed));
        }
        let (content, before) = current(conn, &row)?;
        work(conn, row, content, before)
    })
}

fn wrong_state(row: &ApplicationRow, action: &str, allowed: &str) -> ApiError {
    ApiError::conflict(
        ErrorCode::InvalidState,
        format!(
            "This application is {}; only {allowed} can be {action}.",
            row.status
        ),
    )
}

/// The applications with their content, in the order given.
fn to_api(
    conn: &mut DbConnection,
    rows: Vec<ApplicationRow>,
) -> Result<Vec<Application>, ApiError> {
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    let organisation_ids: Vec<i64> = rows.iter().map(|r| r.organisation_id).collect();
    let names: std::collections::HashMap<i64, String> = organisations::table
        .filter(organisations::id.eq_any(&organisation_ids))
        .select((organisations::id, organisations::name))
        .load::<(i64, String)>(conn)?
        .into_iter()
        .collect();
    let mut children = Children::load(conn, &ids)?;
    let mut answers = answers::of(conn, &ids)?;
    let waiting = asked::waiting(conn, &ids)?;
    let mut decided: std::collections::HashMap<i64, (NaiveDateTime, Option<String>)> =
        decisions::table
            .filter(decisions::application_id.eq_any(&ids))
            .select((
                decisions::application_id,
                decisions::decided_at,
                decisions::feedback,
            ))
            .load::<(i64, NaiveDateTime, Option<String>)>(conn)?
            .into_iter()
            .map(|(id, at, feedback)| (id, (at, feedback)))
            .collect();
    rows.into_iter()
        .map(|row| {
            let content = children.content(&row)?;
            let name = names.get(&row.organisation_id).cloned().unwrap_or_default();
            let decision = decided.remove(&row.id);
            let id = row.id;
            let mut application = row.into_api(name, content)?;
            application.answers = answers.remove(&id).unwrap_or_default();
            application.more_info_requested = waiting.contains(&id);
            if let Some((at, feedback)) = decision {
                application.decided_at = Some(utc(at));
                application.decision_feedback = feedback;
            }
            Ok(application)
        })
        .collect()
}

pub(crate) fn load(conn: &mut DbConnection, id: i64) -> Result<Application, ApiError> {
    let row = ApplicationRow::find(conn, id)?;
    to_api(conn, vec![row])?
        .pop()
        .ok_or_else(|| ApiError::internal("application vanished while loading"))
}

/// An application's stored content, and the application as the API shows it, from one read.
fn current(
    conn: &mut DbConnection,
    row: &ApplicationRow,
) -> Result<(ApplicationContent, Application), ApiError> {
    let content = Children::load(conn, &[row.id])?.content(row)?;
    let organisation_name: String = organisations::table
        .find(row.organisation_id)
        .select(organisations::name)
        .first(conn)?;
    let mut application = row.clone().into_api(organisation_name, content.clone())?;
    application.answers = answers::of_one(conn, row.id)?;
    application.more_info_requested = asked::waiting(conn, &[row.id])?.contains(&row.id);
    Ok((content, application))
}

fn record(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    user: &CurrentUser,
    id: i64,
    action: &str,
    before: Option<&Application>,
    after: &Application,
) -> Result<(), ApiError> {
    audit::record(
        conn,
        now,
        Change::by(user, "application", id, action)
            .before(before.map(|a| json!(a)))
            .after(json!(after)),
    )
}

/// Starts a draft application to an open round for the applicant's organisation. One live
/// (draft or submitted) application per organisation per round: a second is 409
/// `application_exists`, enforced by a unique index so that two at once cannot both succeed.
pub fn create(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    user: &CurrentUser,
    round_id: i64,
    input: NewApplication,
) -> Result<Application, ApiError> {
    user.require(Action::Apply)?;
    let organisation_id = user
        .organisation_id
        .ok_or_else(|| ApiError::internal("an applicant without an organisation"))?;
    let mut content = ApplicationContent::default();
    let mut v = Validator::new();
    content.apply(&ApplicationPatch::from(input), &mut v);
    write_transaction(conn, |conn| {
        let round = visible_round(conn, now, Some(user), round_id)?;
        v.finish()?;
        if round.status(now) == RoundStatus::Closed {
            return Err(ApiError::conflict(
                ErrorCode::RoundClosed,
                format!(
                    "This round closed at {}.",
                    utc(round.closes_at).to_rfc3339()
                ),
            ));
        }
        let id: i64 = diesel::insert_into(applications::table)
            .values((
                applications::round_id.eq(round_id),
                applications::organisation_id.eq(organisation_id),
                applications::created_by.eq(user.id),
                applications::status.eq(ApplicationStatus::Draft),
                ContentFields::new(&content, now),
                applications::created_at.eq(now),
            ))
            .returning(applications::id)
            .get_result(conn)
            .map_err(ApiError::unique_as(
                ErrorCode::ApplicationExists,
                "Your organisation already has a draft or submitted application to this round.",
            ))?;
        ApplicationRow::store_content(conn, id, &content)?;
        let application = load(conn, id)?;
        record(conn, now, user, id, "created", None, &application)?;
        Ok(application)
    })
}

/// One application, for its organisation's applicants and administrators.
pub fn get(conn: &mut DbConnection, user: &CurrentUser, id: i64) -> Result<Application, ApiError> {
    let row = visible(conn, user, id)?;
    let mut application = to_api(conn, vec![row])?
        .pop()
        .ok_or_else(|| ApiError::internal("application vanished while loading"))?;
    application.documents =
        documents::service::listed_for(conn, user, documents::model::Owner::application(id))?;
    Ok(application)
}

/// Filters for the list of applications.
#[derive(Debug, Default, Clone)]
pub struct ApplicationFilter {
    pub round_id: Option<i64>,
    pub status: Option<ApplicationStatus>,
    pub organisation_id: Option<i64>,
}

/// Applications, newest first: an applicant's own organisation's, or all for administrators.
pub fn list(
    conn: &mut DbConnection,
    user: &CurrentUser,
    filter: &ApplicationFilter,
    page: Page,
) -> Result<Paged<Application>, ApiError> {
    user.require(Action::ListApplications)?;
    let own = match user.role {
        Role::Administrator => None,
        _ => Some(user.organisation_id.unwrap_or(-1)),
    };
    let query = || {
        let mut q = applications::table.into_boxed();
        if let Some(own) = own {
            q = q.filter(applications::organisation_id.eq(own));
        }
        if let Some(round_id) = filter.round_id {
            q = q.filter(applications::round_id.eq(round_id));
        }
        if let Some(status) = filter.status {
            q = q.filter(applications::status.eq(status));
        }
        if let Some(organisation_id) = filter.organisation_id {
            q = q.filter(applications::organisation_id.eq(organisation_id));
        }
        q
    };
    let (total, rows): (i64, Vec<ApplicationRow>) = page.load(
        conn,
        query().count(),
        query().order(applications::id.desc()),
    )?;
    Ok(page.wrap(to_api(conn, rows)?, total))
}

/// Changes a draft. Only drafts can be edited (409 `invalid_state` otherwise).
pub fn update(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    user: &CurrentUser,
    id: i64,
    patch: ApplicationPatch,
) -> Result<Application, ApiError> {
    change_own(conn, user, id, &EDIT, |conn, _, mut content, before| {
        let mut v = Validator::new();
        content.apply(&patch, &mut v);
        v.finish()?;
        let changed = diesel::update(
            applications::table
                .find(id)
                .filter(applications::status.eq(ApplicationStatus::Draft)),
        )
        .set(ContentFields::new(&content, now))
        .execute(conn)?;
        if changed == 0 {
            let row = ApplicationRow::find(conn, id)?;
            return Err(wrong_state(&row, EDIT.action, EDIT.allowed));
        }
        ApplicationRow::store_content(conn, id, &content)?;
        let after = load(conn, id)?;
        record(conn, now, user, id, "updated", Some(&before), &after)?;
        Ok(after)
    })
}

/// Answers a draft's questions from its round's form (its organisation's applicants): each
/// answer given replaces the one stored, those in `remove` go, and every answer that does not fit
/// its question (another type, past its limits, not an option, not a document of this
/// application) is reported at once, each named `answers.{key}`. Nothing is saved then.
pub fn answer(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    user: &CurrentUser,
    id: i64,
    input: &AnswersInput,
) -> Result<Application, ApiError> {
    change_own(conn, user, id, &EDIT, |conn, row, _, before| {
        if input.answers.len() + input.remove.len() > QUESTIONS_MAX {
            return Err(ApiError::invalid(
                "answers",
                format!("a form has at most {QUESTIONS_MAX} questions"),
            ));
        }
        let form = forms::form_of(conn, row.round_id)?;
        let owned = documents::service::kinds_of(conn, DocumentOwner::Application, id)?;
        let problems = form.check_answers(&input.answers, &owned);
        if !problems.is_empty() {
            return Err(ApiError::Validation(problems));
        }
        let mut stored = before.answers.clone();
        for key in &input.remove {
            stored.remove(key);
        }
        stored.extend(input.answers.clone());
        answers::store(conn, now, id, &stored)?;
        diesel::update(applications::table.find(id))
            .set(applications::updated_at.eq(now))
            .execute(conn)?;
        let after = load(conn, id)?;
        record(conn, now, user, id, "answered", Some(&before), &after)?;
        Ok(after)
    })
}

/// Moves `row` from one of `from` to `to`, only if it is still in that state.
pub(crate) fn transition(
    conn: &mut DbConnection,
    row: &ApplicationRow,
    from: &[ApplicationStatus],
    to: ApplicationStatus,
    now: NaiveDateTime,
    user: &CurrentUser,
) -> Result<(), ApiError> {
    let target = applications::table
        .find(row.id)
        .filter(applications::status.eq_any(from));
    let changed = match to {
        ApplicationStatus::Submitted => diesel::update(target)
            .set((
                applications::status.eq(to),
                applications::submitted_at.eq(Some(now)),
                applications::submitted_by.eq(Some(user.id)),
                applications::updated_at.eq(now),
            ))
            .execute(conn)?,
        ApplicationStatus::Withdrawn => diesel::update(target)
            .set((
                applications::status.eq(to),
                applications::withdrawn_at.eq(Some(now)),
                applications::updated_at.eq(now),
            ))
            .execute(conn)?,
        _ => diesel::update(target)
            .set((
                applications::status.eq(to),
                applications::updated_at.eq(now),
            ))
            .execute(conn)?,
    };
    if changed == 0 {
        let current = ApplicationRow::find(conn, row.id)?;
        return Err(ApiError::conflict(
            ErrorCode::InvalidState,
            format!(
                "This application is {}; it cannot become {to}.",
                current.status
            ),
        ));
    }
    Ok(())
}

/// Everyone to tell about an application: the user acting and the organisation's contact,
/// each once.
fn recipients(user: &CurrentUser, organisation: &OrganisationRow) -> Vec<String> {
    let mut to = vec![user.email.clone()];
    if !organisation.contact_email.eq_ignore_ascii_case(&user.email) {
        to.push(organisation.contact_email.clone());
    }
    to
}

/// Submits a draft after checking every rule of the round at once, the documents it requires
/// among them (422 listing each failure).
/// Emails a receipt to the submitting user and the organisation's contact.
pub fn submit(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    user: &CurrentUser,
    id: i64,
) -> Result<Application, ApiError> {
    change_own(conn, user, id, &SUBMIT, |conn, row, content, before| {
        let round = RoundRow::find(conn, row.round_id)?;
        let organisation = OrganisationRow::find(conn, row.organisation_id)?;
        let money = |pence| Money::from_pence(pence).map_err(ApiError::internal);
        let rules = SubmissionRules {
            status: round.status(now),
            closes_at: utc(round.closes_at),
            financial_years: round.years(conn)?,
            min_request: money(round.min_request_pence)?,
            max_request: money(round.max_request_pence)?,
            max_applicant_income: round.max_applicant_income_pence.map(money).transpose()?,
            applicant_income: money(organisation.annual_income_pence)?,
        };
        let mut problems = content.submission_problems(&rules);
        problems.extend(documents::service::missing_problems(
            conn,
            row.round_id,
            row.id,
        )?);
        let form = forms::form_of(conn, row.round_id)?;
        problems.extend(form.missing(&before.answers));
        if !problems.is_empty() {
            return Err(ApiError::Validation(problems));
        }
        // An answer to a question its condition hides does not go with the application.
        answers::store(conn, now, id, &form.kept(&before.answers))?;
        transition(
            conn,
            &row,
            SUBMIT.states,
            ApplicationStatus::Submitted,
            now,
            user,
        )?;
        let after = load(conn, id)?;
        let receipt = ApplicationReceipt {
            application_id: id,
            title: &after.title,
            organisation: &organisation.name,
            round: &round.name,
            requested: after
                .requested
                .iter()
                .map(|(year, amount)| (year.to_string(), amount.to_string()))
                .collect(),
            total: after.total_requested.to_string(),
        };
        for recipient in recipients(user, &organisation) {
            outbox::enqueue(
                conn,
                now,
                &messages::application_received(&recipient, &receipt),
            )?;
        }
        record(conn, now, user, id, "submitted", Some(&before), &after)?;
        Ok(after)
    })
}

/// Withdraws a draft or submitted application, and tells the user and the organisation's
/// contact.
pub fn withdraw(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    user: &CurrentUser,
    id: i64,
) -> Result<Application, ApiError> {
    change_own(conn, user, id, &WITHDRAW, |conn, row, _, before| {
        transition(
            conn,
            &row,
            WITHDRAW.states,
            ApplicationStatus::Withdrawn,
            now,
            user,
        )?;
        let after = load(conn, id)?;
        let organisation = OrganisationRow::find(conn, row.organisation_id)?;
        for recipient in recipients(user, &organisation) {
            outbox::enqueue(
                conn,
                now,
                &messages::application_withdrawn(
                    &recipient,
                    id,
                    &after.title,
                    &organisation.name,
                    &user.name,
                ),
            )?;
        }
        record(conn, now, user, id, "withdrawn", Some(&before), &after)?;
        Ok(after)
    })
}

/// A round's applications as CSV (administrators): a row per application, oldest first, with
/// its organisation, state, title, total asked and when it was sent, then one column per
/// question of the round's form, named by its key. Text a spreadsheet would run as a formula is
/// defused as in the ranking.
pub fn round_csv(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    user: &CurrentUser,
    round_id: i64,
) -> Result<Vec<u8>, ApiError> {
    user.require(Action::ManageRounds)?;
    visible_round(conn, now, Some(user), round_id)?;
    let form = forms::form_of(conn, round_id)?;
    let rows: Vec<ApplicationRow> = applications::table
        .filter(applications::round_id.eq(round_id))
        .order(applications::id)
        .load(conn)?;
    let applications = to_api(conn, rows)?;
    let keys: Vec<&str> = form.questions().map(|q| q.key.as_str()).collect();
    let mut out = csv::Writer::from_writer(Vec::new());
    let mut header: Vec<String> = [
        "application_id",
        "organisation",
        "status",
        "title",
        "total_requested",
        "submitted_at",
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect();
    header.extend(keys.iter().map(|k| (*k).to_owned()));
    out.write_record(&header).map_err(ApiError::internal)?;
    for a in &applications {
        let mut record = vec![
            a.id.to_string(),
            csv_text(&a.organisation_name),
            a.status.to_string(),
            csv_text(&a.title),
            a.total_requested.to_string(),
            a.submitted_at.map(|at| at.to_rfc3339()).unwrap_or_default(),
        ];
        record.extend(keys.iter().map(|k| {
            a.answers
                .get(*k)
                .map(|answer| csv_text(&answer.as_text()))
                .unwrap_or_default()
        }));
        out.write_record(&record).map_err(ApiError::internal)?;
    }
    out.into_inner().map_err(ApiError::internal)
}
