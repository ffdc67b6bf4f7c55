//! `/organisations` handlers.

use actix_web::{get, patch, post, put, web};
use serde::Deserialize;
use utoipa::IntoParams;

use super::examples;
use crate::caller::CurrentUser;
use crate::domain::vocabulary::HealthBoard;
use crate::error::ApiError;
use crate::http::{Json, answer};
use crate::organisations::address::{self, Address, AddressInput};
use crate::organisations::bank::{self, BankDetails, BankDetailsInput};
use crate::organisations::model::{Organisation, OrganisationPatch};
use crate::organisations::service::{self, OrganisationFilter};
use crate::state::AppState;
use crate::wire::paging::{PageQuery, Paged};

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct OrganisationQuery {
    /// Only verified (or only unverified) organisations.
    pub verified: Option<bool>,
    /// Only organisations serving this health board.
    pub health_board: Option<HealthBoard>,
    /// Only organisations whose name contains this text.
    pub q: Option<String>,
}

/// Organisations: an applicant's own for an applicant; for an assessor, those of the
/// applications assigned to them that they may read (declared no conflict); all of them for
/// administrators and officials.
#[utoipa::path(
    tag = "organisations",
    params(OrganisationQuery, PageQuery),
    responses((status = 200, description = "Organisations", body = Paged<Organisation>)),
    security(("bearer" = []))
)]
#[get("/organisations")]
pub async fn list_organisations(
    state: web::Data<AppState>,
    user: CurrentUser,
    query: web::Query<OrganisationQuery>,
    paging: web::Query<PageQuery>,
) -> Result<web::Json<Paged<Organisation>>, ApiError> {
    let page = paging.into_inner().parse()?;
    let query = query.into_inner();
    let filter = OrganisationFilter {
        verified: query.verified,
        health_board: query.health_board,
        name_contains: query.q.filter(|q| !q.trim().is_empty()),
    };
    answer(&state, move |conn, _| {
        service::list(conn, &user, &filter, page)
    })
    .await
}

/// One organisation. Another organisation's id answers 404 to an applicant, and to an assessor
/// any organisation whose applications are not open to them.
#[utoipa::path(
    tag = "organisations",
    params(("id" = i64, Path, description = "Organisation id")),
    responses((status = 200, description = "The organisation", body = Organisation)),
    security(("bearer" = []))
)]
#[get("/organisations/{id}")]
pub async fn get_organisation(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: web::Path<i64>,
) -> Result<web::Json<Organisation>, ApiError> {
    answer(&state, move |conn, _| service::get(conn, &user, *id)).await
}

/// Changes an organisation's details (its applicants, or an administrator). Changing its name,
/// type, charity number or company number withdraws verification.
#[utoipa::path(
    tag = "organisations",
    params(("id" = i64, Path, description = "Organisation id")),
    request_body(content = OrganisationPatch, example = json!(examples::update_organisation())),
    responses(
        (status = 200, description = "The updated organisation", body = Organisation),
        (status = 409, description = "`organisation_exists`: another organisation has this charity number", body = crate::error::Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[patch("/organisations/{id}")]
pub async fn update_organisation(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: web::Path<i64>,
    body: Json<OrganisationPatch>,
) -> Result<web::Json<Organisation>, ApiError> {
    answer(&state, move |conn, now| {
        service::update(conn, now, &user, *id, body.0)
    })
    .await
}

/// Records that due diligence on the organisation is done (administrators).
#[utoipa::path(
    tag = "organisations",
    params(("id" = i64, Path, description = "Organisation id")),
    responses(
        (status = 200, description = "The verified organisation", body = Organisation),
        (status = 409, description = "`already_verified`", body = crate::error::Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/organisations/{id}/verify")]
pub async fn verify_organisation(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: web::Path<i64>,
) -> Result<web::Json<Organisation>, ApiError> {
    answer(&state, move |conn, now| {
        service::verify(conn, now, &user, *id)
    })
    .await
}

/// The organisation's public address: the town it is based in (its applicants, or an
/// administrator). The town is published with the organisation's grants in the 360Giving data
/// (`addressLocality`) only when the organisation agreed to be public (`listed_in_directory`).
#[utoipa::path(
    tag = "organisations",
    params(("id" = i64, Path, description = "Organisation id")),
    responses((status = 200, description = "The organisation's address", body = Address)),
    security(("bearer" = []))
)]
#[get("/organisations/{id}/address")]
pub async fn get_address(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: web::Path<i64>,
) -> Result<web::Json<Address>, ApiError> {
    answer(&state, move |conn, _| address::get(conn, &user, *id)).await
}

/// Sets the town the organisation is based in, or removes it with `null` (its applicants, or an
/// administrator).
#[utoipa::path(
    tag = "organisations",
    params(("id" = i64, Path, description = "Organisation id")),
    request_body(content = AddressInput, example = json!(examples::set_address())),
    responses((status = 200, description = "The organisation's address", body = Address)),
    security(("bearer" = []))
)]
#[put("/organisations/{id}/address")]
pub async fn set_address(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: web::Path<i64>,
    body: Json<AddressInput>,
) -> Result<web::Json<Address>, ApiError> {
    answer(&state, move |conn, now| {
        address::set(conn, now, &user, *id, &body.0)
    })
    .await
}

/// An organisation's current bank details, masked (its applicants, administrators): whether
/// payments to it are suspended, who entered the details and who verified them.
#[utoipa::path(
    tag = "organisations",
    params(("id" = i64, Path, description = "Organisation id")),
    responses((status = 200, description = "The masked bank details", body = BankDetails)),
    security(("bearer" = []))
)]
#[get("/organisations/{id}/bank-details")]
pub async fn get_bank_details(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: web::Path<i64>,
) -> Result<web::Json<BankDetails>, ApiError> {
    let keyring = state.keyring.clone();
    answer(&state, move |conn, _| bank::get(conn, &keyring, &user, *id)).await
}

/// Enters or changes an organisation's bank details (its applicants, administrators). Payments
/// to the organisation are suspended until a second person verifies the new details, and its
/// contacts are told by email, without the numbers.
#[utoipa::path(
    tag = "organisations",
    params(("id" = i64, Path, description = "Organisation id")),
    request_body(content = BankDetailsInput, example = json!(examples::bank_details())),
    responses((status = 200, description = "The new details, masked and awaiting verification", body = BankDetails)),
    security(("bearer" = []))
)]
#[put("/organisations/{id}/bank-details")]
pub async fn set_bank_details(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: web::Path<i64>,
    body: Json<BankDetailsInput>,
) -> Result<web::Json<BankDetails>, ApiError> {
    let keyring = state.keyring.clone();
    answer(&state, move |conn, now| {
        bank::set(conn, now, &keyring, &user, *id, &body.0)
    })
    .await
}

/// Verifies an organisation's current bank details (administrators), which lifts the
/// suspension of its payments. The person who entered them cannot.
#[utoipa::path(
    tag = "organisations",
    params(("id" = i64, Path, description = "Organisation id")),
    responses(
        (status = 200, description = "The verified details, masked", body = BankDetails),
        (status = 403, description = "`step_up_required`: enter a code at `POST /auth/step-up` first", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 409, description = "`same_person`: the caller entered these details; `bank_details_unverified`: there are none; `invalid_state`: already verified", body = crate::error::Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/organisations/{id}/bank-details/verify")]
pub async fn verify_bank_details(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: web::Path<i64>,
) -> Result<web::Json<BankDetails>, ApiError> {
    // Who is paid is decided here: it needs a second factor entered in the last few minutes.
    user.require_recent_factor(state.clock.now())?;
    let keyring = state.keyring.clone();
    answer(&state, move |conn, now| {
        bank::verify(conn, now, &keyring, &user, *id)
    })
    .await
}

pub fn configure(cfg: &mut impl crate::http::Routes) {
    cfg.service(list_organisations)
        .service(get_organisation)
        .service(update_organisation)
        .service(get_address)
        .service(set_address)
        .service(verify_organisation)
        .service(get_bank_details)
        .service(set_bank_details)
        .service(verify_bank_details);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each example the contract shows is a body its operation accepts.
    #[test]
    fn examples_are_accepted_bodies() {
        serde_json::from_value::<OrganisationPatch>(examples::update_organisation())
            .expect("PATCH /organisations/{id}");
        serde_json::from_value::<BankDetailsInput>(examples::bank_details())
            .expect("PUT /organisations/{id}/bank-details");
        serde_json::from_value::<AddressInput>(examples::set_address())
            .expect("PUT /organisations/{id}/address");
    }
}
