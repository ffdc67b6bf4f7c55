//! Requests for more information: during assessment an administrator asks the applicant a
//! question (for the panel); the applicant answers it once. The thread is seen by the
//! applicant's organisation and by the staff who may read the application, never by other
//! applicants. Both ways go by email through the outbox.

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;

use crate::applications::model::ApplicationRow;
use crate::applications::service::visible;
use crate::audit::{self, Change};
use crate::caller::CurrentUser;
use crate::db::schema::{applications, information_requests, organisations, users};
use crate::db::{DbConnection, write_transaction};
use crate::domain::clock::utc;
use crate::domain::vocabulary::ApplicationStatus;
use crate::email::{messages, outbox};
use crate::error::{ApiError, ErrorCode, Validator};
use crate::permissions::Action;

#[derive(Clone, Debug, Queryable, Selectable)]
#[diesel(table_name = information_requests)]
pub struct InformationRequestRow {
    pub id: i64,
    pub application_id: i64,
    pub question: String,
    pub asked_by: i64,
    pub asked_at: NaiveDateTime,
    pub answer: Option<String>,
    pub answered_by: Option<i64>,
    pub answered_at: Option<NaiveDateTime>,
}

/// A question the fund asked about an application, and the applicant's answer once given.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct InformationRequest {
    pub id: i64,
    pub application_id: i64,
    pub question: String,
    pub asked_at: DateTime<Utc>,
    pub answer: Option<String>,
    pub answered_at: Option<DateTime<Utc>>,
}

impl From<InformationRequestRow> for InformationRequest {
    fn from(row: InformationRequestRow) -> Self {
        InformationRequest {
            id: row.id,
            application_id: row.application_id,
            question: row.question,
            asked_at: utc(row.asked_at),
            answer: row.answer,
            answered_at: row.answered_at.map(utc),
        }
    }
}

/// What the fund asks.
#[derive(Clone, Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct QuestionInput {
    /// 1 to 2,000 characters, in words the applicant will read.
    #[schema(min_length = 1, max_length = 2000, pattern = r"\S")]
    pub question: String,
}

/// The applicant's answer.
#[derive(Clone, Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AnswerInput {
    /// 1 to 5,000 characters.
    #[schema(min_length = 1, max_length = 5000, pattern = r"\S")]
    pub answer: String,
}

fn find(conn: &mut DbConnection, id: i64) -> Result<InformationRequestRow, ApiError> {
    information_requests::table
        .find(id)
        .select(InformationRequestRow::as_select())
        .first(conn)
        .optional()?
        .ok_or(ApiError::NotFound)
}

/// Asks the applicant a question about a submitted application (administrators). The
/// organisation's contact and whoever submitted it are emailed the question.
pub fn ask(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    user: &CurrentUser,
    application_id: i64,
    input: &QuestionInput,
) -> Result<InformationRequest, ApiError> {
    user.require(Action::AskForInformation)?;
    let mut v = Validator::new();
    let question = v.text("question", &input.question, 1, 2000);
    let question = v.finish_with(|| question)?;
    write_transaction(conn, |conn| {
        let row: ApplicationRow = visible(conn, user, application_id)?;
        if row.status != ApplicationStatus::Submitted {
            return Err(ApiError::conflict(
                ErrorCode::InvalidState,
                format!(
                    "This application is {}; only a submitted one is asked for more information.",
                    row.status
                ),
            ));
        }
        let id: i64 = diesel::insert_into(information_requests::table)
            .values((
                information_requests::application_id.eq(row.id),
                information_requests::question.eq(&question),
                information_requests::asked_by.eq(user.id),
                information_requests::asked_at.eq(now),
            ))
            .returning(information_requests::id)
            .get_result(conn)?;
        audit::record(
            conn,
            now,
            Change::by(user, "application", row.id, "information_requested")
                .after(json!({"request_id": id, "question": question})),
        )?;
        let contact: String = organisations::table
            .find(row.organisation_id)
            .select(organisations::contact_email)
            .first(conn)?;
        let mut to = vec![contact];
        if let Some(by) = row.submitted_by {
            let email: String = users::table.find(by).select(users::email).first(conn)?;
            if !to.iter().any(|t| t.eq_ignore_ascii_case(&email)) {
                to.push(email);
            }
        }
        for recipient in to {
            outbox::enqueue(
                conn,
                now,
                &messages::information_requested(&recipient, row.id, &row.title, &question),
            )?;
        }
        Ok(find(conn, id)?.into())
    })
}

/// The questions asked about an application and their answers, oldest first, for whoever may
/// read the application.
pub fn of_application(
    conn: &mut DbConnection,
    user: &CurrentUser,
    application_id: i64,
) -> Result<Vec<InformationRequest>, ApiError> {
    visible(conn, user, application_id)?;
    Ok(information_requests::table
        .filter(information_requests::application_id.eq(application_id))
        .order(information_requests::id)
        .select(InformationRequestRow::as_select())
        .load(conn)?
        .into_iter()
        .map(InformationRequest::from)
        .collect())
}

/// Answers a question (the application's own organisation), once: a second answer is 409
/// `invalid_state`. Whoever asked is emailed.
pub fn answer(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    user: &CurrentUser,
    id: i64,
    input: &AnswerInput,
) -> Result<InformationRequest, ApiError> {
    user.require(Action::EditApplication)?;
    let mut v = Validator::new();
    let answer = v.text("answer", &input.answer, 1, 5000);
    let answer = v.finish_with(|| answer)?;
    write_transaction(conn, |conn| {
        let request = find(conn, id)?;
        let row = visible(conn, user, request.application_id)?;
        let changed = diesel::update(
            information_requests::table
                .find(id)
                .filter(information_requests::answered_at.is_null()),
        )
        .set((
            information_requests::answer.eq(Some(&answer)),
            information_requests::answered_by.eq(Some(user.id)),
            information_requests::answered_at.eq(Some(now)),
        ))
        .execute(conn)?;
        if changed == 0 {
            return Err(ApiError::conflict(
                ErrorCode::InvalidState,
                "This question is already answered.",
            ));
        }
        diesel::update(applications::table.find(row.id))
            .set(applications::updated_at.eq(now))
            .execute(conn)?;
        audit::record(
            conn,
            now,
            Change::by(user, "application", row.id, "information_given")
                .after(json!({"request_id": id, "answer": answer})),
        )?;
        let asker: String = users::table
            .find(request.asked_by)
            .select(users::email)
            .first(conn)?;
        outbox::enqueue(
            conn,
            now,
            &messages::information_answered(&asker, row.id, &row.title),
        )?;
        Ok(find(conn, id)?.into())
    })
}

/// Removes the questions and answers of `ids`: what the retention job does with an
/// application's own words.
pub fn wipe(conn: &mut DbConnection, ids: &[i64]) -> Result<(), ApiError> {
    diesel::delete(
        information_requests::table.filter(information_requests::application_id.eq_any(ids)),
    )
    .execute(conn)?;
    Ok(())
}
