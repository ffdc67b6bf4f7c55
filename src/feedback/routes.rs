//! Feedback link, form and aggregate handlers.

use actix_web::{HttpResponse, delete, get, post, web};
use serde::Serialize;
use utoipa::ToSchema;

use super::examples;
use crate::caller::CurrentUser;
use crate::error::{ApiError, Problem};
use crate::feedback::model::{
    AwardFeedback, FeedbackForm, FeedbackInput, FeedbackLink, NewFeedbackLink,
};
use crate::feedback::service;
use crate::http::{Json, UnauthenticatedWrite, answer, created, run};
use crate::state::AppState;

/// The answer to a family's feedback: thanks, and nothing about anyone else.
#[derive(Debug, Serialize, ToSchema)]
pub struct Received {
    pub received: bool,
    pub message: String,
}

/// Creates a feedback link for an accepted award (its grant holder or an administrator). The
/// token and the form's path are in this answer only; the service keeps just the token's hash.
#[utoipa::path(
    tag = "feedback",
    params(("id" = i64, Path, description = "Award id")),
    request_body(content = NewFeedbackLink, example = json!(examples::create_link())),
    responses(
        (status = 201, description = "The link, with its token shown once", body = FeedbackLink),
        (status = 409, description = "`award_not_active`: the award is not accepted", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/awards/{id}/feedback-links")]
pub async fn create_link(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: web::Path<i64>,
    body: Json<NewFeedbackLink>,
) -> Result<HttpResponse, ApiError> {
    created(&state, move |conn, now| {
        service::create_link(conn, now, &user, *id, &body.0)
    })
    .await
}

/// The feedback links of an award, newest first, with how many responses each brought; tokens
/// are never shown again.
#[utoipa::path(
    tag = "feedback",
    params(("id" = i64, Path, description = "Award id")),
    responses((status = 200, description = "The links", body = Vec<FeedbackLink>)),
    security(("bearer" = []))
)]
#[get("/awards/{id}/feedback-links")]
pub async fn list_links(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: web::Path<i64>,
) -> Result<web::Json<Vec<FeedbackLink>>, ApiError> {
    answer(&state, move |conn, _| service::list_links(conn, &user, *id)).await
}

/// Revokes a feedback link: its token answers 404 from now on.
#[utoipa::path(
    tag = "feedback",
    params(("id" = i64, Path, description = "Feedback link id")),
    responses((status = 204, description = "Revoked")),
    security(("bearer" = []))
)]
#[delete("/feedback-links/{id}")]
pub async fn revoke_link(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    run(&state, move |conn, now| {
        service::revoke(conn, now, &user, *id)
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The feedback form a link opens (public, no sign-in): the service's public name, the four
/// statements, the choices of who is answering and the rating scale. An unknown, revoked or
/// expired link answers 404.
#[utoipa::path(
    tag = "feedback",
    params(("token" = String, Path, description = "The link's token: 43 URL-safe base64 characters", pattern = r"^[A-Za-z0-9_-]{43}$")),
    responses((status = 200, description = "The form", body = FeedbackForm)),
    security(())
)]
#[get("/feedback/{token}")]
pub async fn get_form(
    state: web::Data<AppState>,
    token: web::Path<String>,
) -> Result<web::Json<FeedbackForm>, ApiError> {
    let token = token.into_inner();
    answer(&state, move |conn, now| service::form(conn, now, &token)).await
}

/// Sends one family member's feedback (public, no sign-in). Nothing identifying is asked or
/// kept: not a name, not contact details, not the device or network address (which counts
/// against its client's limit on unauthenticated writes, in memory for a minute). Each link
/// takes a limited number of responses a minute (429 past either limit).
#[utoipa::path(
    tag = "feedback",
    params(("token" = String, Path, description = "The link's token: 43 URL-safe base64 characters", pattern = r"^[A-Za-z0-9_-]{43}$")),
    request_body(content = FeedbackInput, example = json!(examples::respond())),
    responses(
        (status = 201, description = "Received", body = Received),
        (status = 429, description = "`too_many_requests`: this link has had many responses in the last minute, or this client has made many unauthenticated writes", body = Problem, content_type = "application/problem+json"),
    ),
    security(())
)]
#[post("/feedback/{token}")]
pub async fn respond(
    _write: UnauthenticatedWrite,
    state: web::Data<AppState>,
    token: web::Path<String>,
    body: Json<FeedbackInput>,
) -> Result<HttpResponse, ApiError> {
    let token = token.into_inner();
    state.feedback_limiter.check(&token)?;
    let now = state.clock.now_naive();
    state
        .db
        .run(move |conn| service::respond(conn, now, &token, &body.0))
        .await?;
    Ok(HttpResponse::Created().json(Received {
        received: true,
        message: "Thank you. Your feedback helps the service and the fund that pays for it."
            .to_owned(),
    }))
}

/// An award's feedback (its grant holder and administrators): counts, means and distributions
/// per statement, the same by who responded, and the words of families who agreed to be quoted.
#[utoipa::path(
    tag = "feedback",
    params(("id" = i64, Path, description = "Award id")),
    responses((status = 200, description = "The award's feedback", body = AwardFeedback)),
    security(("bearer" = []))
)]
#[get("/awards/{id}/feedback")]
pub async fn award_feedback(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: web::Path<i64>,
) -> Result<web::Json<AwardFeedback>, ApiError> {
    answer(&state, move |conn, _| {
        service::award_feedback(conn, &user, *id)
    })
    .await
}

pub fn configure(cfg: &mut impl crate::http::Routes) {
    cfg.service(create_link)
        .service(list_links)
        .service(revoke_link)
        .service(get_form)
        .service(respond)
        .service(award_feedback);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each example the contract shows is a body its operation accepts.
    #[test]
    fn examples_are_accepted_bodies() {
        serde_json::from_value::<NewFeedbackLink>(examples::create_link())
            .expect("POST /awards/{id}/feedback-links");
        serde_json::from_value::<FeedbackInput>(examples::respond())
            .expect("POST /feedback/{token}");
    }
}
