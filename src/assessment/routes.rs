//! Assignment and conflict-of-interest handlers.

use actix_web::{HttpResponse, get, post, web};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::AppState;
use crate::assessment::model::{
    Assignment, AssignmentStatus, BulkAssignment, ConflictDeclaration, NewAssignment,
};
use crate::assessment::service::{self, AssignmentFilter, BulkResult};
use crate::auth::extract::CurrentUser;
use crate::domain::paging::{PageQuery, Paged};
use crate::error::{ApiError, Problem};
use crate::http::Json;

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
    request_body = NewAssignment,
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
    let application_id = id.into_inner();
    let now = state.clock.now_naive();
    let assignment = state
        .db
        .run(move |conn| service::assign(conn, now, &user, application_id, body.0.assessor_id))
        .await?;
    Ok(HttpResponse::Created().json(assignment))
}

/// Assigns assessors to every submitted application of a round, spreading the load evenly
/// (administrators). Each assessor gets one email listing their new assignments.
#[utoipa::path(
    tag = "assessment",
    params(("id" = i64, Path, description = "Round id")),
    request_body = BulkAssignment,
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
    let round_id = id.into_inner();
    let now = state.clock.now_naive();
    let result = state
        .db
        .run(move |conn| service::assign_round(conn, now, &user, round_id, &body.0))
        .await?;
    Ok(HttpResponse::Created().json(result))
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
    let list = state
        .db
        .run(move |conn| service::list(conn, &user, &filter, page))
        .await?;
    Ok(web::Json(list))
}

/// The assessor declares whether they have a conflict of interest (once). `true` closes the
/// assignment, keeps the declaration on record and hides the application from them for good;
/// `false` opens the application to them.
#[utoipa::path(
    tag = "assessment",
    params(("id" = i64, Path, description = "Assignment id")),
    request_body = ConflictDeclaration,
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
    let id = id.into_inner();
    let now = state.clock.now_naive();
    let assignment = state
        .db
        .run(move |conn| service::declare(conn, now, &user, id, &body.0))
        .await?;
    Ok(web::Json(assignment))
}

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(create_assignment)
        .service(assign_round)
        .service(list_assignments)
        .service(declare_conflict);
}
