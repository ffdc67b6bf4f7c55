//! `/applications` handlers.

use actix_web::{HttpResponse, get, patch, post, put, web};
use serde::Deserialize;
use utoipa::IntoParams;

use super::examples;
use crate::applications::information::{self, AnswerInput, InformationRequest, QuestionInput};
use crate::applications::model::{AnswersInput, Application, ApplicationPatch, NewApplication};
use crate::applications::service::{self, ApplicationFilter};
use crate::caller::CurrentUser;
use crate::domain::vocabulary::ApplicationStatus;
use crate::error::{ApiError, Problem};
use crate::http::{Json, answer, created, csv_response, run};
use crate::state::AppState;
use crate::wire::paging::{PageQuery, Paged};

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ApplicationQuery {
    /// Only applications to this round.
    pub round_id: Option<i64>,
    /// Only applications in this state.
    pub status: Option<ApplicationStatus>,
    /// Only this organisation's applications (administrators; an applicant sees only their own
    /// anyway).
    pub organisation_id: Option<i64>,
}

/// Starts a draft application to an open round, for the applicant's organisation.
#[utoipa::path(
    tag = "applications",
    params(("id" = i64, Path, description = "Round id")),
    request_body(content = NewApplication, example = json!(examples::create_application())),
    responses(
        (status = 201, description = "The new draft", body = Application),
        (status = 409, description = "`round_closed`: the round has closed; `application_exists`: the organisation already has a draft or submitted application to this round", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/rounds/{id}/applications")]
pub async fn create_application(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: web::Path<i64>,
    body: Json<NewApplication>,
) -> Result<HttpResponse, ApiError> {
    created(&state, move |conn, now| {
        service::create(conn, now, &user, *id, body.0)
    })
    .await
}

/// Applications, newest first: an applicant's own organisation's, or every one for
/// administrators. Officials read aggregates instead (403).
#[utoipa::path(
    tag = "applications",
    params(ApplicationQuery, PageQuery),
    responses((status = 200, description = "Applications", body = Paged<Application>)),
    security(("bearer" = []))
)]
#[get("/applications")]
pub async fn list_applications(
    state: web::Data<AppState>,
    user: CurrentUser,
    query: web::Query<ApplicationQuery>,
    paging: web::Query<PageQuery>,
) -> Result<web::Json<Paged<Application>>, ApiError> {
    let page = paging.into_inner().parse()?;
    let query = query.into_inner();
    let filter = ApplicationFilter {
        round_id: query.round_id,
        status: query.status,
        organisation_id: query.organisation_id,
    };
    answer(&state, move |conn, _| {
        service::list(conn, &user, &filter, page)
    })
    .await
}

/// One application. Another organisation's answers 404.
#[utoipa::path(
    tag = "applications",
    params(("id" = i64, Path, description = "Application id")),
    responses((status = 200, description = "The application", body = Application)),
    security(("bearer" = []))
)]
#[get("/applications/{id}")]
pub async fn get_application(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: web::Path<i64>,
) -> Result<web::Json<Application>, ApiError> {
    answer(&state, move |conn, _| service::get(conn, &user, *id)).await
}

/// Changes a draft (its organisation's applicants). Only drafts can be edited.
#[utoipa::path(
    tag = "applications",
    params(("id" = i64, Path, description = "Application id")),
    request_body(content = ApplicationPatch, example = json!(examples::update_application())),
    responses(
        (status = 200, description = "The updated draft", body = Application),
        (status = 409, description = "`invalid_state`: the application is no longer a draft; the detail names its state", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[patch("/applications/{id}")]
pub async fn update_application(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: web::Path<i64>,
    body: Json<ApplicationPatch>,
) -> Result<web::Json<Application>, ApiError> {
    answer(&state, move |conn, now| {
        service::update(conn, now, &user, *id, body.0)
    })
    .await
}

/// Answers a draft's questions from its round's own form (its organisation's applicants): each
/// answer given replaces the one stored and those named in `remove` go. Every answer that does not fit
/// its question is reported at once (422), each named `answers.{key}`; required questions are
/// checked when the draft is submitted.
#[utoipa::path(
    tag = "applications",
    params(("id" = i64, Path, description = "Application id")),
    request_body(content = AnswersInput, example = json!(examples::answers())),
    responses(
        (status = 200, description = "The draft with its answers", body = Application),
        (status = 409, description = "`invalid_state`: the application is no longer a draft", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`validation_failed`: every answer that does not fit its question", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[put("/applications/{id}/answers")]
pub async fn answer_application(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: web::Path<i64>,
    body: Json<AnswersInput>,
) -> Result<web::Json<Application>, ApiError> {
    answer(&state, move |conn, now| {
        service::answer(conn, now, &user, *id, &body.0)
    })
    .await
}

/// Submits a draft. Checks, and reports all at once (422): the round is open; each requested
/// year is one the round funds and within its smallest and largest request; the organisation's
/// income is within the round's ceiling; every part of the form is complete. Emails a receipt
/// to the submitting user and the organisation's contact.
#[utoipa::path(
    tag = "applications",
    params(("id" = i64, Path, description = "Application id")),
    responses(
        (status = 200, description = "The submitted application", body = Application),
        (status = 409, description = "`invalid_state`: the application is not a draft; the detail names its state", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`validation_failed`: every rule the application does not meet, by field", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/applications/{id}/submit")]
pub async fn submit_application(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: web::Path<i64>,
) -> Result<web::Json<Application>, ApiError> {
    answer(&state, move |conn, now| {
        service::submit(conn, now, &user, *id)
    })
    .await
}

/// Withdraws a draft or submitted application and tells the organisation.
#[utoipa::path(
    tag = "applications",
    params(("id" = i64, Path, description = "Application id")),
    responses(
        (status = 200, description = "The withdrawn application", body = Application),
        (status = 409, description = "`invalid_state`: only a draft or submitted application can be withdrawn; the detail names its state", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/applications/{id}/withdraw")]
pub async fn withdraw_application(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: web::Path<i64>,
) -> Result<web::Json<Application>, ApiError> {
    answer(&state, move |conn, now| {
        service::withdraw(conn, now, &user, *id)
    })
    .await
}

/// A round's applications as CSV (administrators): a row per application with its
/// organisation, state, title, total asked and when it was sent, then one column per question
/// of the round's form, named by its key.
#[utoipa::path(
    tag = "applications",
    params(("id" = i64, Path, description = "Round id")),
    responses((status = 200, description = "The round's applications as CSV", content((String = "text/csv")))),
    security(("bearer" = []))
)]
#[get("/rounds/{id}/applications.csv")]
pub async fn round_applications_csv(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let body = run(&state, move |conn, now| {
        service::round_csv(conn, now, &user, id)
    })
    .await?;
    Ok(csv_response(&format!("round-{id}-applications.csv"), body))
}

/// Asks the applicant one more question about a submitted application (administrators, for
/// the panel). The application shows `more_info_requested` until it is answered; the
/// organisation's contact and whoever submitted it are emailed the question.
#[utoipa::path(
    tag = "applications",
    params(("id" = i64, Path, description = "Application id")),
    request_body(content = QuestionInput, example = json!(examples::question())),
    responses(
        (status = 201, description = "The question, waiting for its answer", body = InformationRequest),
        (status = 409, description = "`invalid_state`: the application is not submitted", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/applications/{id}/information-requests")]
pub async fn ask_for_information(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: web::Path<i64>,
    body: Json<QuestionInput>,
) -> Result<HttpResponse, ApiError> {
    created(&state, move |conn, now| {
        information::ask(conn, now, &user, *id, &body.0)
    })
    .await
}

/// The questions asked about an application and their answers, oldest first: for its
/// organisation and the staff who may read it.
#[utoipa::path(
    tag = "applications",
    params(("id" = i64, Path, description = "Application id")),
    responses((status = 200, description = "The thread of questions and answers", body = Vec<InformationRequest>)),
    security(("bearer" = []))
)]
#[get("/applications/{id}/information-requests")]
pub async fn list_information_requests(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: web::Path<i64>,
) -> Result<web::Json<Vec<InformationRequest>>, ApiError> {
    answer(&state, move |conn, _| {
        information::of_application(conn, &user, *id)
    })
    .await
}

/// Answers the fund's question (the application's organisation), once. Whoever asked is
/// emailed.
#[utoipa::path(
    tag = "applications",
    params(("id" = i64, Path, description = "Information request id")),
    request_body(content = AnswerInput, example = json!(examples::information())),
    responses(
        (status = 200, description = "The question with its answer", body = InformationRequest),
        (status = 409, description = "`invalid_state`: the question is already answered", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/information-requests/{id}/answer")]
pub async fn answer_information_request(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: web::Path<i64>,
    body: Json<AnswerInput>,
) -> Result<web::Json<InformationRequest>, ApiError> {
    answer(&state, move |conn, now| {
        information::answer(conn, now, &user, *id, &body.0)
    })
    .await
}

pub fn configure(cfg: &mut impl crate::http::Routes) {
    cfg.service(create_application)
        .service(list_applications)
        .service(get_application)
        .service(update_application)
        .service(answer_application)
        .service(submit_application)
        .service(withdraw_application)
        .service(round_applications_csv)
        .service(ask_for_information)
        .service(list_information_requests)
        .service(answer_information_request);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each example the contract shows is a body its operation accepts.
    #[test]
    fn examples_are_accepted_bodies() {
        serde_json::from_value::<NewApplication>(examples::create_application())
            .expect("POST /rounds/{id}/applications");
        serde_json::from_value::<ApplicationPatch>(examples::update_application())
            .expect("PATCH /applications/{id}");
        serde_json::from_value::<AnswersInput>(examples::answers())
            .expect("PUT /applications/{id}/answers");
        serde_json::from_value::<QuestionInput>(examples::question())
            .expect("POST /applications/{id}/information-requests");
        serde_json::from_value::<AnswerInput>(examples::information())
            .expect("POST /information-requests/{id}/answer");
    }
}
