//! `/funds` handlers.

use actix_web::{HttpResponse, get, patch, post, put, web};

use super::examples;
use crate::caller::CurrentUser;
use crate::error::{ApiError, Problem};
use crate::funds::model::{Fund, FundInput, FundPatch, FundYear, FundYearInput};
use crate::funds::service;
use crate::http::{Json, answer, created};
use crate::state::AppState;
use crate::wire::paging::{PageQuery, Paged};

/// Creates a fund (administrators).
#[utoipa::path(
    tag = "funds",
    request_body(content = FundInput, example = json!(examples::create_fund())),
    responses(
        (status = 201, description = "The new fund", body = Fund),
        (status = 409, description = "`fund_code_taken`: another fund uses this code", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/funds")]
pub async fn create_fund(
    state: web::Data<AppState>,
    user: CurrentUser,
    body: Json<FundInput>,
) -> Result<HttpResponse, ApiError> {
    created(&state, move |conn, now| {
        service::create(conn, now, &user, &body.0)
    })
    .await
}

/// Every fund, newest first (staff).
#[utoipa::path(
    tag = "funds",
    params(PageQuery),
    responses((status = 200, description = "Funds", body = Paged<Fund>)),
    security(("bearer" = []))
)]
#[get("/funds")]
pub async fn list_funds(
    state: web::Data<AppState>,
    user: CurrentUser,
    paging: web::Query<PageQuery>,
) -> Result<web::Json<Paged<Fund>>, ApiError> {
    let page = paging.into_inner().parse()?;
    answer(&state, move |conn, _| service::list(conn, &user, page)).await
}

/// One fund with its financial years (staff).
#[utoipa::path(
    tag = "funds",
    params(("id" = i64, Path, description = "Fund id")),
    responses((status = 200, description = "The fund", body = Fund)),
    security(("bearer" = []))
)]
#[get("/funds/{id}")]
pub async fn get_fund(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: web::Path<i64>,
) -> Result<web::Json<Fund>, ApiError> {
    answer(&state, move |conn, _| service::get(conn, &user, *id)).await
}

/// Changes a fund (administrators). The programme cannot shrink to leave out a year that has a
/// limit.
#[utoipa::path(
    tag = "funds",
    params(("id" = i64, Path, description = "Fund id")),
    request_body(content = FundPatch, example = json!(examples::update_fund())),
    responses(
        (status = 200, description = "The updated fund", body = Fund),
        (status = 409, description = "`fund_code_taken`: another fund uses this code", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[patch("/funds/{id}")]
pub async fn update_fund(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: web::Path<i64>,
    body: Json<FundPatch>,
) -> Result<web::Json<Fund>, ApiError> {
    answer(&state, move |conn, now| {
        service::update(conn, now, &user, *id, body.0)
    })
    .await
}

/// The financial years of a fund: limit, approval, committed, paid and remaining (staff).
#[utoipa::path(
    tag = "funds",
    params(("id" = i64, Path, description = "Fund id"), PageQuery),
    responses((status = 200, description = "The fund's years, in order", body = Paged<FundYear>)),
    security(("bearer" = []))
)]
#[get("/funds/{id}/years")]
pub async fn list_fund_years(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: web::Path<i64>,
    paging: web::Query<PageQuery>,
) -> Result<web::Json<Paged<FundYear>>, ApiError> {
    let page = paging.into_inner().parse()?;
    answer(&state, move |conn, _| {
        service::years(conn, &user, *id, page)
    })
    .await
}

/// Sets the limit and approval of a financial year inside the programme (administrators).
/// The limit may not go below what is already committed in that year.
#[utoipa::path(
    tag = "funds",
    params(
        ("id" = i64, Path, description = "Fund id"),
        ("financial_year" = String, Path, description = "A UK financial year inside the programme, e.g. `2021-22`", pattern = r"^20[0-9]{2}-[0-9]{2}$"),
    ),
    request_body(content = FundYearInput, example = json!(examples::set_fund_year())),
    responses(
        (status = 200, description = "The year as it now stands", body = FundYear),
        (status = 403, description = "`step_up_required`: enter a code at `POST /auth/step-up` first", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`limit_below_committed`: more than the new limit is already committed", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[put("/funds/{id}/years/{financial_year}")]
pub async fn set_fund_year(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<(i64, String)>,
    body: Json<FundYearInput>,
) -> Result<web::Json<FundYear>, ApiError> {
    // A year's limit caps what may be paid: changing it needs a recent second factor.
    user.require_recent_factor(state.clock.now())?;
    let (id, year) = path.into_inner();
    answer(&state, move |conn, now| {
        service::set_year(conn, now, &user, id, &year, &body.0)
    })
    .await
}

pub fn configure(cfg: &mut impl crate::http::Routes) {
    cfg.service(create_fund)
        .service(list_funds)
        .service(get_fund)
        .service(update_fund)
        .service(list_fund_years)
        .service(set_fund_year);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each example the contract shows is a body its operation accepts.
    #[test]
    fn examples_are_accepted_bodies() {
        serde_json::from_value::<FundInput>(examples::create_fund()).expect("POST /funds");
        serde_json::from_value::<FundPatch>(examples::update_fund()).expect("PATCH /funds/{id}");
        serde_json::from_value::<FundYearInput>(examples::set_fund_year())
            .expect("PUT /funds/{id}/years/{financial_year}");
    }
}
