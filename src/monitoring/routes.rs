//! Monitoring return handlers.

use actix_web::{get, patch, post, web};
use chrono::NaiveDate;
use serde::Deserialize;
use utoipa::IntoParams;

use super::examples;
use crate::caller::CurrentUser;
use crate::domain::vocabulary::ReturnStatus;
use crate::error::{ApiError, Problem};
use crate::http::{Json, answer};
use crate::monitoring::model::{MonitoringReturn, ReturnPatch, ReviewInput};
use crate::monitoring::service::{self, ReturnFilter};
use crate::state::AppState;
use crate::usecases::grant_cycle;
use crate::wire::paging::{PageQuery, Paged};

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReturnQuery {
    /// Only returns in this state (as of today).
    pub status: Option<ReturnStatus>,
    /// Only returns due before this day (`YYYY-MM-DD`).
    pub due_before: Option<NaiveDate>,
    /// Only returns of awards of this fund.
    pub fund_id: Option<i64>,
}

/// Monitoring returns by due date: an applicant's own organisation's, or every one for
/// administrators. A return never submitted is `scheduled` until its period ends, `due` until
/// its due date (30 days after the period ends; 60 for the final return) and `overdue` after.
#[utoipa::path(
    tag = "monitoring",
    params(ReturnQuery, PageQuery),
    responses((status = 200, description = "Returns, soonest due first", body = Paged<MonitoringReturn>)),
    security(("bearer" = []))
)]
#[get("/returns")]
pub async fn list_returns(
    state: web::Data<AppState>,
    user: CurrentUser,
    query: web::Query<ReturnQuery>,
    paging: web::Query<PageQuery>,
) -> Result<web::Json<Paged<MonitoringReturn>>, ApiError> {
    let page = paging.into_inner().parse()?;
    let query = query.into_inner();
    let filter = ReturnFilter {
        status: query.status,
        due_before: query.due_before,
        fund_id: query.fund_id,
        award_id: None,
    };
    answer(&state, move |conn, now| {
        service::list(conn, &user, &filter, page, now.date())
    })
    .await
}

/// The returns of one award, soonest due first: scheduled when the award is accepted, one per
/// period of the round's frequency over the award's years, and a final return.
#[utoipa::path(
    tag = "monitoring",
    params(("id" = i64, Path, description = "Award id"), PageQuery),
    responses((status = 200, description = "The award's returns", body = Paged<MonitoringReturn>)),
    security(("bearer" = []))
)]
#[get("/awards/{id}/returns")]
pub async fn award_returns(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: web::Path<i64>,
    paging: web::Query<PageQuery>,
) -> Result<web::Json<Paged<MonitoringReturn>>, ApiError> {
    let page = paging.into_inner().parse()?;
    let filter = ReturnFilter {
        award_id: Some(id.into_inner()),
        ..ReturnFilter::default()
    };
    answer(&state, move |conn, now| {
        service::list(conn, &user, &filter, page, now.date())
    })
    .await
}

/// One return: its organisation's applicants and administrators.
#[utoipa::path(
    tag = "monitoring",
    params(("id" = i64, Path, description = "Return id")),
    responses((status = 200, description = "The return", body = MonitoringReturn)),
    security(("bearer" = []))
)]
#[get("/returns/{id}")]
pub async fn get_return(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: web::Path<i64>,
) -> Result<web::Json<MonitoringReturn>, ApiError> {
    answer(&state, move |conn, now| {
        service::get(conn, &user, *id, now.date())
    })
    .await
}

/// Saves the content of a return before it is submitted, or after changes are requested (its
/// organisation's applicants). Counts are whole numbers from 0; spend follows the rule given on
/// `spend`.
#[utoipa::path(
    tag = "monitoring",
    params(("id" = i64, Path, description = "Return id")),
    request_body(content = ReturnPatch, example = json!(examples::update_return())),
    responses(
        (status = 200, description = "The return", body = MonitoringReturn),
        (status = 409, description = "`invalid_state`: submitted or accepted; `award_not_active`", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[patch("/returns/{id}")]
pub async fn update_return(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: web::Path<i64>,
    body: Json<ReturnPatch>,
) -> Result<web::Json<MonitoringReturn>, ApiError> {
    answer(&state, move |conn, now| {
        service::update(conn, now, &user, *id, &body.0)
    })
    .await
}

/// Submits a return once its period has ended (its organisation's applicants). Spend, every
/// count and the outcomes are needed; 422 names each one missing.
#[utoipa::path(
    tag = "monitoring",
    params(("id" = i64, Path, description = "Return id")),
    responses(
        (status = 200, description = "The return, `submitted`", body = MonitoringReturn),
        (status = 409, description = "`period_not_ended`; `invalid_state`: already submitted or accepted; `award_not_active`", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`validation_failed`: every field the return still lacks", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/returns/{id}/submit")]
pub async fn submit_return(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: web::Path<i64>,
) -> Result<web::Json<MonitoringReturn>, ApiError> {
    answer(&state, move |conn, now| {
        service::submit(conn, now, &user, *id)
    })
    .await
}

/// Reviews a submitted return (administrators): `accepted`, or `changes_requested` with a
/// comment emailed to the grant holder, who then edits and submits again. Accepting the final
/// return completes the award; anything not released goes back to its year's budget.
#[utoipa::path(
    tag = "monitoring",
    params(("id" = i64, Path, description = "Return id")),
    request_body(content = ReviewInput, example = json!(examples::review_return())),
    responses(
        (status = 200, description = "The reviewed return", body = MonitoringReturn),
        (status = 409, description = "`invalid_state`: not submitted", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/returns/{id}/review")]
pub async fn review_return(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: web::Path<i64>,
    body: Json<ReviewInput>,
) -> Result<web::Json<MonitoringReturn>, ApiError> {
    answer(&state, move |conn, now| {
        grant_cycle::review_return(conn, now, &user, *id, &body.0)
    })
    .await
}

pub fn configure(cfg: &mut impl crate::http::Routes) {
    cfg.service(list_returns)
        .service(award_returns)
        .service(get_return)
        .service(update_return)
        .service(submit_return)
        .service(review_return);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each example the contract shows is a body its operation accepts.
    #[test]
    fn examples_are_accepted_bodies() {
        serde_json::from_value::<ReturnPatch>(examples::update_return())
            .expect("PATCH /returns/{id}");
        serde_json::from_value::<ReviewInput>(examples::review_return())
            .expect("POST /returns/{id}/review");
    }
}
