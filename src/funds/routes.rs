//! `/funds` handlers.

use actix_web::{HttpResponse, get, patch, post, put, web};

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
    request_body(content = FundInput, example = json!({
        "name": "Perinatal and Infant Mental Health Fund",
        "code": "PIMH",
        "funder": {
            "name": "Scottish Government",
            "org_id": "GB-GOR-PC390"
        },
        "administrator": {
            "name": "Inspiring Scotland",
            "org_id": "GB-SC-SC040887"
        },
        "programme_start": "2020-08-01",
        "programme_end": "2023-03-31",
        "reach_target": 11000,
        "currency": "GBP"
    })),
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
    request_body(content = FundPatch, example = json!({
        "reach_target": 12000
    })),
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
    request_body(content = FundYearInput, example = json!({
        "limit": "1000000.00",
        "approved": true
    })),
    responses(
        (status = 200, description = "The year as it now stands", body = FundYear),
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
