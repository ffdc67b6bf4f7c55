//! Handlers for a family-expenses fund's units and rates.

use actix_web::{HttpResponse, get, post, put, web};

use super::examples;
use crate::caller::CurrentUser;
use crate::error::{ApiError, Problem};
use crate::family::model::{Rates, RatesInput, Unit, UnitInput};
use crate::family::setup;
use crate::http::{Json, answer, created};
use crate::state::AppState;

/// Adds a unit to a family-expenses fund (administrators): its name, the NHS board that hosts
/// it and its wards. Every field in error is listed at once.
#[utoipa::path(
    tag = "family",
    params(("id" = i64, Path, description = "Fund id")),
    request_body(content = UnitInput, example = json!(examples::unit())),
    responses(
        (status = 201, description = "The new unit", body = Unit),
        (status = 409, description = "`fund_kind_mismatch`: the fund runs grants, not families' expenses", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`validation_failed`: every field in error, a name another unit of the fund has among them", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/funds/{id}/units")]
pub async fn create_unit(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: web::Path<i64>,
    body: Json<UnitInput>,
) -> Result<HttpResponse, ApiError> {
    created(&state, move |conn, now| {
        setup::create_unit(conn, now, &user, *id, &body.0)
    })
    .await
}

/// The units of a fund, by name (staff); a grant fund has none.
#[utoipa::path(
    tag = "family",
    params(("id" = i64, Path, description = "Fund id")),
    responses((status = 200, description = "The fund's units", body = Vec<Unit>)),
    security(("bearer" = []))
)]
#[get("/funds/{id}/units")]
pub async fn list_units(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: web::Path<i64>,
) -> Result<web::Json<Vec<Unit>>, ApiError> {
    answer(&state, move |conn, _| setup::units_of(conn, &user, *id)).await
}

/// One unit with its wards (staff).
#[utoipa::path(
    tag = "family",
    params(("id" = i64, Path, description = "Unit id")),
    responses((status = 200, description = "The unit", body = Unit)),
    security(("bearer" = []))
)]
#[get("/units/{id}")]
pub async fn get_unit(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: web::Path<i64>,
) -> Result<web::Json<Unit>, ApiError> {
    answer(&state, move |conn, _| setup::get_unit(conn, &user, *id)).await
}

/// Replaces a unit's name, board, wards and meals (administrators).
#[utoipa::path(
    tag = "family",
    params(("id" = i64, Path, description = "Unit id")),
    request_body(content = UnitInput, example = json!(examples::unit())),
    responses(
        (status = 200, description = "The unit as it now stands", body = Unit),
        (status = 422, description = "`validation_failed`: every field in error", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[put("/units/{id}")]
pub async fn update_unit(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: web::Path<i64>,
    body: Json<UnitInput>,
) -> Result<web::Json<Unit>, ApiError> {
    answer(&state, move |conn, now| {
        setup::update_unit(conn, now, &user, *id, &body.0)
    })
    .await
}

/// The rates of each financial year of a fund that has them, in order (staff).
#[utoipa::path(
    tag = "family",
    params(("id" = i64, Path, description = "Fund id")),
    responses((status = 200, description = "The rates of each year", body = Vec<Rates>)),
    security(("bearer" = []))
)]
#[get("/funds/{id}/rates")]
pub async fn list_rates(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: web::Path<i64>,
) -> Result<web::Json<Vec<Rates>>, ApiError> {
    answer(&state, move |conn, _| setup::rates_of(conn, &user, *id)).await
}

/// Sets what a family-expenses fund pays in one financial year inside its programme
/// (administrators): the mileage rate, the food rate, the family cap, the claim window after
/// discharge and the flights a week. Every field in error is listed at once.
#[utoipa::path(
    tag = "family",
    params(
        ("id" = i64, Path, description = "Fund id"),
        ("financial_year" = String, Path, description = "A UK financial year inside the programme, e.g. `2021-22`", pattern = r"^20[0-9]{2}-[0-9]{2}$"),
    ),
    request_body(content = RatesInput, example = json!(examples::rates())),
    responses(
        (status = 200, description = "The year's rates as they now stand", body = Rates),
        (status = 409, description = "`fund_kind_mismatch`: the fund runs grants, not families' expenses", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`validation_failed`: every field in error", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[put("/funds/{id}/rates/{financial_year}")]
pub async fn set_rates(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<(i64, String)>,
    body: Json<RatesInput>,
) -> Result<web::Json<Rates>, ApiError> {
    let (id, year) = path.into_inner();
    answer(&state, move |conn, now| {
        setup::set_rates(conn, now, &user, id, &year, &body.0)
    })
    .await
}

pub fn configure(cfg: &mut impl crate::http::Routes) {
    cfg.service(create_unit)
        .service(list_units)
        .service(get_unit)
        .service(update_unit)
        .service(list_rates)
        .service(set_rates);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each example the contract shows is a body its operation accepts.
    #[test]
    fn examples_are_accepted_bodies() {
        serde_json::from_value::<UnitInput>(examples::unit()).expect("POST /funds/{id}/units");
        serde_json::from_value::<RatesInput>(examples::rates())
            .expect("PUT /funds/{id}/rates/{financial_year}");
    }
}
