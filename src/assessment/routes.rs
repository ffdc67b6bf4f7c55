//! Assignment and conflict-of-interest handlers.

use actix_web::{HttpRequest, HttpResponse, get, post, put, web};
use serde::Deserialize;
use utoipa::IntoParams;

use super::examples;
use crate::assessment::model::{
    ApplicationAssessment, Assessment, Assignment, AssignmentStatus, BulkAssignment,
    ConflictDeclaration, ModerationInput, NewAssignment, ScoreSheet,
};
use crate::assessment::ranking::{self, Ranking};
use crate::assessment::scoring;
use crate::assessment::service::{self, AssignmentFilter, BulkResult};
use crate::caller::CurrentUser;
use crate::error::{ApiError, Problem};
use crate::http::{FormatQuery, Json, answer, created, csv_response};
use crate::state::AppState;
use crate::wire::paging::{PageQuery, Paged};

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AssignmentQuery {
    /// Only assignments in this state.
    pub status: Option<AssignmentStatus>,
    /// Only assignments to applications of this round.
    pub round_id: Option<i64>,
    /// Only this assessor's (administrators; an assessor sees only their own anyway).
    pub assessor_id: Option<i64>,
}

/// Assigns an assessor to a submitted application (administrators). The assessor is emailed.
#[utoipa::path(
    tag = "assessment",
    params(("id" = i64, Path, description = "Application id")),
    request_body(content = NewAssignment, example = json!(examples::create_assignment())),
    responses(
        (status = 201, description = "The assignment, pending the assessor's conflict declaration", body = Assignment),
        (status = 409, description = "`application_not_submitted`; `already_assigned`", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/applications/{id}/assignments")]
pub async fn create_assignment(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: web::Path<i64>,
    body: Json<NewAssignment>,
) -> Result<HttpResponse, ApiError> {
    created(&state, move |conn, now| {
        service::assign(conn, now, &user, *id, body.0.assessor_id)
    })
    .await
}

/// Assigns assessors to every submitted application of a round, spreading the load evenly
/// (administrators). Each assessor gets one email listing their new assignments.
#[utoipa::path(
    tag = "assessment",
    params(("id" = i64, Path, description = "Round id")),
    request_body(content = BulkAssignment, example = json!(examples::assign_round())),
    responses((status = 201, description = "What was assigned, and what could not be", body = BulkResult)),
    security(("bearer" = []))
)]
#[post("/rounds/{id}/assignments")]
pub async fn assign_round(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: web::Path<i64>,
    body: Json<BulkAssignment>,
) -> Result<HttpResponse, ApiError> {
    created(&state, move |conn, now| {
        service::assign_round(conn, now, &user, *id, &body.0)
    })
    .await
}

/// Assignments: an assessor's own, or every one for administrators.
#[utoipa::path(
    tag = "assessment",
    params(AssignmentQuery, PageQuery),
    responses((status = 200, description = "Assignments, oldest first", body = Paged<Assignment>)),
    security(("bearer" = []))
)]
#[get("/assignments")]
pub async fn list_assignments(
    state: web::Data<AppState>,
    user: CurrentUser,
    query: web::Query<AssignmentQuery>,
    paging: web::Query<PageQuery>,
) -> Result<web::Json<Paged<Assignment>>, ApiError> {
    let page = paging.into_inner().parse()?;
    let query = query.into_inner();
    let filter = AssignmentFilter {
        status: query.status,
        round_id: query.round_id,
        assessor_id: query.assessor_id,
    };
    answer(&state, move |conn, _| {
        service::list(conn, &user, &filter, page)
    })
    .await
}

/// The assessor declares whether they have a conflict of interest (once). `true` closes the
/// assignment, keeps the declaration on record and hides the application from them for good;
/// `false` opens the application to them.
#[utoipa::path(
    tag = "assessment",
    params(("id" = i64, Path, description = "Assignment id")),
    request_body(content = ConflictDeclaration, example = json!(examples::declare_conflict())),
    responses(
        (status = 200, description = "The assignment, now `in_progress` or `conflicted`", body = Assignment),
        (status = 409, description = "`invalid_state`: already declared", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/assignments/{id}/conflict-declaration")]
pub async fn declare_conflict(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: web::Path<i64>,
    body: Json<ConflictDeclaration>,
) -> Result<web::Json<Assignment>, ApiError> {
    answer(&state, move |conn, now| {
        service::declare(conn, now, &user, *id, &body.0)
    })
    .await
}

/// Saves the assessor's scores, one whole number per criterion from 0 to its maximum, with a
/// comment. Criteria not listed keep their saved score; saving is allowed until submission. The
/// first score saved on a round freezes its criteria.
#[utoipa::path(
    tag = "assessment",
    params(("id" = i64, Path, description = "Assignment id")),
    request_body(content = ScoreSheet, example = json!(examples::save_scores())),
    responses(
        (status = 200, description = "The assessor's assessment with every score saved so far", body = Assessment),
        (status = 409, description = "`conflict_not_declared`: declare first; `invalid_state`: conflicted or already submitted; `application_not_submitted`", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[put("/assignments/{id}/scores")]
pub async fn save_scores(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: web::Path<i64>,
    body: Json<ScoreSheet>,
) -> Result<web::Json<Assessment>, ApiError> {
    answer(&state, move |conn, now| {
        scoring::save_scores(conn, now, &user, *id, &body.0)
    })
    .await
}

/// Submits the assessment once every criterion is scored. It becomes read-only and gets its
/// weighted score, `100 × Σ(weight × score / max_score) / Σ weight` rounded half-up to two
/// places; 422 names each criterion not yet scored.
#[utoipa::path(
    tag = "assessment",
    params(("id" = i64, Path, description = "Assignment id")),
    responses(
        (status = 200, description = "The assignment, now `submitted`, with its weighted score", body = Assignment),
        (status = 409, description = "`conflict_not_declared`; `invalid_state`: conflicted or already submitted; `application_not_submitted`", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`validation_failed`: every criterion not scored yet, by field", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/assignments/{id}/submit")]
pub async fn submit_assessment(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: web::Path<i64>,
) -> Result<web::Json<Assignment>, ApiError> {
    answer(&state, move |conn, now| {
        scoring::submit(conn, now, &user, *id)
    })
    .await
}

/// The assessments of an application. Administrators see every assessment, the score and any
/// moderation. An assigned assessor who has declared no conflict sees their own assessment, and
/// the other submitted assessments and the score only once theirs is submitted.
#[utoipa::path(
    tag = "assessment",
    params(("id" = i64, Path, description = "Application id")),
    responses((status = 200, description = "Criteria, assessments and scores", body = ApplicationAssessment)),
    security(("bearer" = []))
)]
#[get("/applications/{id}/assessment")]
pub async fn get_assessment(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: web::Path<i64>,
) -> Result<web::Json<ApplicationAssessment>, ApiError> {
    answer(&state, move |conn, _| scoring::view(conn, &user, *id)).await
}

/// Sets an application's final score to another value with a reason (administrators). The mean
/// of its submitted assessments is kept beside it; both are shown, and the change is audited.
#[utoipa::path(
    tag = "assessment",
    params(("id" = i64, Path, description = "Application id")),
    request_body(content = ModerationInput, example = json!(examples::moderate())),
    responses(
        (status = 200, description = "The application's assessment with the moderation", body = ApplicationAssessment),
        (status = 409, description = "`application_not_submitted`; `not_assessed`: no submitted assessment yet", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/applications/{id}/moderation")]
pub async fn moderate(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: web::Path<i64>,
    body: Json<ModerationInput>,
) -> Result<web::Json<ApplicationAssessment>, ApiError> {
    answer(&state, move |conn, now| {
        scoring::moderate(conn, now, &user, *id, &body.0)
    })
    .await
}

/// The round's submitted applications ranked by final score (administrators), highest first;
/// equal scores are ordered by submission time, earliest first, then by application id. Each
/// shows its request per year and the running total, against the remaining budget of each year;
/// the funding line falls before the first application whose running total no longer fits in
/// some year. Applications with fewer submitted assessments than the round requires are listed
/// apart in `not_ready`. As CSV with `?format=csv` or `Accept: text/csv`, or from `…/ranking.csv`.
#[utoipa::path(
    tag = "assessment",
    params(("id" = i64, Path, description = "Round id"), FormatQuery),
    responses((status = 200, description = "The ranking", content(
        (Ranking = "application/json"),
        (String = "text/csv"),
    ))),
    security(("bearer" = []))
)]
#[get("/rounds/{id}/ranking")]
pub async fn get_ranking(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: CurrentUser,
    id: web::Path<i64>,
    format: web::Query<FormatQuery>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let ranking = ranking_of(&state, user, id).await?;
    if format.wants_csv(&req) {
        ranking_csv(id, &ranking)
    } else {
        Ok(HttpResponse::Ok().json(ranking))
    }
}

/// The round's ranking as CSV (administrators): `…/ranking?format=csv` as its own operation,
/// whose answer is only ever CSV. A row per ranked application in rank order, with its request
/// and running total per year and whether it falls above the funding line, then the
/// applications not yet ready.
#[utoipa::path(
    tag = "assessment",
    params(("id" = i64, Path, description = "Round id")),
    responses((status = 200, description = "The ranking as CSV", content((String = "text/csv")))),
    security(("bearer" = []))
)]
#[get("/rounds/{id}/ranking.csv")]
pub async fn get_ranking_csv(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let ranking = ranking_of(&state, user, id).await?;
    ranking_csv(id, &ranking)
}

/// The ranking of round `id`, as the caller may read it.
async fn ranking_of(state: &AppState, user: CurrentUser, id: i64) -> Result<Ranking, ApiError> {
    state
        .db
        .run(move |conn| ranking::ranking(conn, &user, id))
        .await
}

/// The ranking of round `id` as a CSV download.
fn ranking_csv(id: i64, ranking: &Ranking) -> Result<HttpResponse, ApiError> {
    Ok(csv_response(
        &format!("round-{id}-ranking.csv"),
        ranking::to_csv(ranking)?,
    ))
}

pub fn configure(cfg: &mut impl crate::http::Routes) {
    cfg.service(create_assignment)
        .service(assign_round)
        .service(list_assignments)
        .service(declare_conflict)
        .service(save_scores)
        .service(submit_assessment)
        .service(get_assessment)
        .service(moderate)
        .service(get_ranking)
        .service(get_ranking_csv);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each example the contract shows is a body its operation accepts.
    #[test]
    fn examples_are_accepted_bodies() {
        serde_json::from_value::<NewAssignment>(examples::create_assignment())
            .expect("POST /applications/{id}/assignments");
        serde_json::from_value::<BulkAssignment>(examples::assign_round())
            .expect("POST /rounds/{id}/assignments");
        serde_json::from_value::<ConflictDeclaration>(examples::declare_conflict())
            .expect("POST /assignments/{id}/conflict-declaration");
        serde_json::from_value::<ScoreSheet>(examples::save_scores())
            .expect("PUT /assignments/{id}/scores");
        serde_json::from_value::<ModerationInput>(examples::moderate())
            .expect("POST /applications/{id}/moderation");
    }
}
