//! `/rounds` and `/criteria` handlers.

use actix_web::{HttpResponse, delete, get, patch, post, put, web};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::examples;
use crate::auth::extract::OptionalUser;
use crate::caller::CurrentUser;
use crate::domain::vocabulary::{Component, RoundStatus};
use crate::error::{ApiError, Problem};
use crate::http::{Json, answer, created, run};
use crate::rounds::form::RoundForm;
use crate::rounds::forms;
use crate::rounds::model::{
    Criterion, CriterionInput, CriterionPatch, Round, RoundInput, RoundPatch,
};
use crate::rounds::service::{self, RoundFilter};
use crate::state::AppState;
use crate::wire::paging::{PageQuery, Paged};

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RoundQuery {
    /// Only rounds of this fund.
    pub fund_id: Option<i64>,
    /// Only rounds of this component.
    pub component: Option<Component>,
    /// Only rounds in this state. Without it, staff see every round and anyone else the open
    /// ones; `upcoming` rounds are visible to staff only.
    pub status: Option<RoundStatus>,
}

/// Creates a round of a fund (administrators). Each of its financial years must already have a
/// limit on the fund.
#[utoipa::path(
    tag = "rounds",
    params(("id" = i64, Path, description = "Fund id")),
    request_body(content = RoundInput, example = json!(examples::create_round())),
    responses(
        (status = 201, description = "The new round", body = Round),
        (status = 409, description = "`fund_kind_mismatch`: the fund pays back families' expenses and has no rounds", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/funds/{id}/rounds")]
pub async fn create_round(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: web::Path<i64>,
    body: Json<RoundInput>,
) -> Result<HttpResponse, ApiError> {
    created(&state, move |conn, now| {
        service::create(conn, now, &user, *id, &body.0)
    })
    .await
}

/// Rounds, soonest closing first. Public: without a login (or as an applicant) it lists rounds
/// that are open now; staff see every round.
#[utoipa::path(
    tag = "rounds",
    params(RoundQuery, PageQuery),
    responses((status = 200, description = "Rounds", body = Paged<Round>)),
    security((), ("bearer" = []))
)]
#[get("/rounds")]
pub async fn list_rounds(
    state: web::Data<AppState>,
    viewer: OptionalUser,
    query: web::Query<RoundQuery>,
    paging: web::Query<PageQuery>,
) -> Result<web::Json<Paged<Round>>, ApiError> {
    let page = paging.into_inner().parse()?;
    let query = query.into_inner();
    let filter = RoundFilter {
        fund_id: query.fund_id,
        component: query.component,
        status: query.status,
    };
    answer(&state, move |conn, now| {
        service::list(conn, now, viewer.0.as_ref(), &filter, page)
    })
    .await
}

/// One round. Public once it has opened; before that, staff only (404 to anyone else).
#[utoipa::path(
    tag = "rounds",
    params(("id" = i64, Path, description = "Round id")),
    responses((status = 200, description = "The round", body = Round)),
    security((), ("bearer" = []))
)]
#[get("/rounds/{id}")]
pub async fn get_round(
    state: web::Data<AppState>,
    viewer: OptionalUser,
    id: web::Path<i64>,
) -> Result<web::Json<Round>, ApiError> {
    answer(&state, move |conn, now| {
        service::get(conn, now, viewer.0.as_ref(), *id)
    })
    .await
}

/// Changes a round (administrators). Once it has opened, only a later `closes_at` and the
/// `guidance` may change.
#[utoipa::path(
    tag = "rounds",
    params(("id" = i64, Path, description = "Round id")),
    request_body(content = RoundPatch, example = json!(examples::update_round())),
    responses(
        (status = 200, description = "The updated round", body = Round),
        (status = 409, description = "`round_open`: the round has opened, so this cannot change", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[patch("/rounds/{id}")]
pub async fn update_round(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: web::Path<i64>,
    body: Json<RoundPatch>,
) -> Result<web::Json<Round>, ApiError> {
    answer(&state, move |conn, now| {
        service::update(conn, now, &user, *id, body.0)
    })
    .await
}

/// Adds an assessment criterion to a round (administrators); a round has at most 12.
#[utoipa::path(
    tag = "rounds",
    params(("id" = i64, Path, description = "Round id")),
    request_body(content = CriterionInput, example = json!(examples::create_criterion())),
    responses(
        (status = 201, description = "The new criterion", body = Criterion),
        (status = 409, description = "`criteria_frozen`: scores exist for this round; `too_many_criteria`: the round has 12 already", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/rounds/{id}/criteria")]
pub async fn create_criterion(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: web::Path<i64>,
    body: Json<CriterionInput>,
) -> Result<HttpResponse, ApiError> {
    created(&state, move |conn, now| {
        service::create_criterion(conn, now, &user, *id, &body.0)
    })
    .await
}

/// The published criteria of a round, for whoever may see the round.
#[utoipa::path(
    tag = "rounds",
    params(("id" = i64, Path, description = "Round id"), PageQuery),
    responses((status = 200, description = "Criteria, in the order they were added", body = Paged<Criterion>)),
    security((), ("bearer" = []))
)]
#[get("/rounds/{id}/criteria")]
pub async fn list_criteria(
    state: web::Data<AppState>,
    viewer: OptionalUser,
    id: web::Path<i64>,
    paging: web::Query<PageQuery>,
) -> Result<web::Json<Paged<Criterion>>, ApiError> {
    let page = paging.into_inner().parse()?;
    answer(&state, move |conn, now| {
        service::list_criteria(conn, now, viewer.0.as_ref(), *id, page)
    })
    .await
}

/// Changes a criterion (administrators), until scores exist for its round.
#[utoipa::path(
    tag = "rounds",
    params(("id" = i64, Path, description = "Criterion id")),
    request_body(content = CriterionPatch, example = json!(examples::update_criterion())),
    responses(
        (status = 200, description = "The updated criterion", body = Criterion),
        (status = 409, description = "`criteria_frozen`: scores exist for this round", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[patch("/criteria/{id}")]
pub async fn update_criterion(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: web::Path<i64>,
    body: Json<CriterionPatch>,
) -> Result<web::Json<Criterion>, ApiError> {
    answer(&state, move |conn, now| {
        service::update_criterion(conn, now, &user, *id, body.0)
    })
    .await
}

/// Deletes a criterion (administrators), until scores exist for its round.
#[utoipa::path(
    tag = "rounds",
    params(("id" = i64, Path, description = "Criterion id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 409, description = "`criteria_frozen`: scores exist for this round", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[delete("/criteria/{id}")]
pub async fn delete_criterion(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    run(&state, move |conn, now| {
        service::delete_criterion(conn, now, &user, *id)
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// A round's application form: its sections of questions, each with the type of answer it takes.
/// Public once the round has opened, like the round; before that, staff only.
#[utoipa::path(
    tag = "rounds",
    params(("id" = i64, Path, description = "Round id")),
    responses((status = 200, description = "The round's form; no sections until it has questions", body = RoundForm)),
    security((), ("bearer" = []))
)]
#[get("/rounds/{id}/form")]
pub async fn get_round_form(
    state: web::Data<AppState>,
    viewer: OptionalUser,
    id: web::Path<i64>,
) -> Result<web::Json<RoundForm>, ApiError> {
    answer(&state, move |conn, now| {
        forms::get(conn, now, viewer.0.as_ref(), *id)
    })
    .await
}

/// Replaces a round's form (administrators), until the round opens. Every problem is listed at
/// once: a key used twice, a choice with no options, a condition on a later question or on
/// itself, more than 100 questions.
#[utoipa::path(
    tag = "rounds",
    params(("id" = i64, Path, description = "Round id")),
    request_body(content = RoundForm, example = json!(examples::form())),
    responses(
        (status = 200, description = "The form as it now stands", body = RoundForm),
        (status = 409, description = "`round_open`: the round has opened, so its form is frozen", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`validation_failed`: every problem of the form, named by its place", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[put("/rounds/{id}/form")]
pub async fn set_round_form(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: web::Path<i64>,
    body: Json<RoundForm>,
) -> Result<web::Json<RoundForm>, ApiError> {
    answer(&state, move |conn, now| {
        forms::set(conn, now, &user, *id, &body.0)
    })
    .await
}

/// Which round's form to start from.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CopyFormInput {
    pub from_round_id: i64,
}

/// Starts a round's form as a copy of another round's (administrators), until the round opens.
#[utoipa::path(
    tag = "rounds",
    params(("id" = i64, Path, description = "Round id")),
    request_body(content = CopyFormInput, example = json!(examples::copy_form())),
    responses(
        (status = 200, description = "The form as it now stands", body = RoundForm),
        (status = 409, description = "`round_open`: the round has opened, so its form is frozen", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`validation_failed`: `from_round_id` names no round", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/rounds/{id}/form/copy")]
pub async fn copy_round_form(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: web::Path<i64>,
    body: Json<CopyFormInput>,
) -> Result<web::Json<RoundForm>, ApiError> {
    answer(&state, move |conn, now| {
        forms::copy(conn, now, &user, *id, body.0.from_round_id)
    })
    .await
}

pub fn configure(cfg: &mut impl crate::http::Routes) {
    cfg.service(create_round)
        .service(list_rounds)
        .service(get_round)
        .service(update_round)
        .service(get_round_form)
        .service(set_round_form)
        .service(copy_round_form)
        .service(create_criterion)
        .service(list_criteria)
        .service(update_criterion)
        .service(delete_criterion);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each example the contract shows is a body its operation accepts.
    #[test]
    fn examples_are_accepted_bodies() {
        serde_json::from_value::<RoundInput>(examples::create_round())
            .expect("POST /funds/{id}/rounds");
        serde_json::from_value::<RoundPatch>(examples::update_round()).expect("PATCH /rounds/{id}");
        serde_json::from_value::<CriterionInput>(examples::create_criterion())
            .expect("POST /rounds/{id}/criteria");
        serde_json::from_value::<CriterionPatch>(examples::update_criterion())
            .expect("PATCH /criteria/{id}");
        let form =
            serde_json::from_value::<RoundForm>(examples::form()).expect("PUT /rounds/{id}/form");
        let mut v = crate::error::Validator::new();
        form.check(&mut v);
        assert!(v.is_empty(), "the example form is a good one");
        serde_json::from_value::<CopyFormInput>(examples::copy_form())
            .expect("POST /rounds/{id}/form/copy");
    }
}
