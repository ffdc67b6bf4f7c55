//! Handlers for a family-expenses fund: its units and rates, the families' stays, the journeys
//! approved beforehand, and the claims from draft to approval.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, get, post, put, web};
use serde::Deserialize;
use utoipa::IntoParams;

use super::examples;
use crate::caller::CurrentUser;
use crate::domain::vocabulary::ClaimStatus;
use crate::error::{ApiError, Problem};
use crate::family::claim_model::{
    CertifyInput, Claim, ClaimDecisionInput, ClaimInput, PreApproval, PreApprovalDecisionInput,
    PreApprovalInput, ReasonInput,
};
use crate::family::model::{Rates, RatesInput, Unit, UnitInput};
use crate::family::report::{self, FamilyReport};
use crate::family::stay_model::{ChildInput, DischargeInput, Stay, StayInput};
use crate::family::{bank as family_bank, checking, claims, pre_approvals, setup, stays};
use crate::http::keyed::KeyedCall;
use crate::http::{FormatQuery, Json, answer, created, csv_response, run};
use crate::idempotency::IdempotencyKey;
use crate::organisations::bank::{BankDetails, BankDetailsInput};
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

/// Records a stay (claimants): the woman in the unit, her ward and consultant, the admission,
/// the family's home board and the children who visit. The woman's name and date of birth and
/// the children's are sealed at rest, seen only by the claimant, the unit's clinicians and the
/// board's cash office. The stay's cap and claim window are the rates of the year of admission.
#[utoipa::path(
    tag = "family",
    request_body(content = StayInput, example = json!(examples::stay())),
    responses(
        (status = 201, description = "The stay", body = Stay),
        (status = 422, description = "`validation_failed`: every field in error, a ward the unit does not have among them", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/stays")]
pub async fn create_stay(
    state: web::Data<AppState>,
    user: CurrentUser,
    body: Json<StayInput>,
) -> Result<HttpResponse, ApiError> {
    let keyring = state.keyring.clone();
    created(&state, move |conn, now| {
        stays::create(conn, now, &keyring, &user, &body.0)
    })
    .await
}

/// The stays the caller sees, newest first: a claimant's own, a clinician's unit's, a cash
/// office's board's.
#[utoipa::path(
    tag = "family",
    responses((status = 200, description = "The stays", body = Vec<Stay>)),
    security(("bearer" = []))
)]
#[get("/stays")]
pub async fn list_stays(
    state: web::Data<AppState>,
    user: CurrentUser,
) -> Result<web::Json<Vec<Stay>>, ApiError> {
    let keyring = state.keyring.clone();
    answer(&state, move |conn, _| stays::list(conn, &keyring, &user)).await
}

/// One stay, with what the family has been approved and what is left under the cap.
#[utoipa::path(
    tag = "family",
    params(("id" = i64, Path, description = "Stay id")),
    responses((status = 200, description = "The stay", body = Stay)),
    security(("bearer" = []))
)]
#[get("/stays/{id}")]
pub async fn get_stay(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: web::Path<i64>,
) -> Result<web::Json<Stay>, ApiError> {
    let keyring = state.keyring.clone();
    answer(&state, move |conn, _| {
        stays::get(conn, &keyring, &user, *id)
    })
    .await
}

/// Records the day the woman was discharged (the claimant, or a clinician of the unit): claims
/// may then be made for the months of the claim window.
#[utoipa::path(
    tag = "family",
    params(("id" = i64, Path, description = "Stay id")),
    request_body(content = DischargeInput, example = json!(examples::discharge())),
    responses(
        (status = 200, description = "The stay", body = Stay),
        (status = 422, description = "`validation_failed`: a day before the admission or in the future", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[put("/stays/{id}/discharge")]
pub async fn discharge(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: web::Path<i64>,
    body: Json<DischargeInput>,
) -> Result<web::Json<Stay>, ApiError> {
    let keyring = state.keyring.clone();
    answer(&state, move |conn, now| {
        stays::discharge(conn, now, &keyring, &user, *id, &body.0)
    })
    .await
}

/// Adds a child who visits (the claimant).
#[utoipa::path(
    tag = "family",
    params(("id" = i64, Path, description = "Stay id")),
    request_body(content = ChildInput, example = json!(examples::child())),
    responses(
        (status = 200, description = "The stay with the child", body = Stay),
        (status = 422, description = "`validation_failed`: every field in error", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/stays/{id}/children")]
pub async fn add_child(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: web::Path<i64>,
    body: Json<ChildInput>,
) -> Result<web::Json<Stay>, ApiError> {
    let keyring = state.keyring.clone();
    answer(&state, move |conn, now| {
        stays::add_child(conn, now, &keyring, &user, *id, &body.0)
    })
    .await
}

/// Asks for a taxi (answered by the unit) or a flight (answered by the board's cash office) to
/// be approved before the journey (the claimant).
#[utoipa::path(
    tag = "family",
    params(("id" = i64, Path, description = "Stay id")),
    request_body(content = PreApprovalInput, example = json!(examples::pre_approval())),
    responses(
        (status = 201, description = "The request", body = PreApproval),
        (status = 422, description = "`validation_failed`: every field in error, a journey in the past among them", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/stays/{id}/pre-approvals")]
pub async fn request_pre_approval(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: web::Path<i64>,
    body: Json<PreApprovalInput>,
) -> Result<HttpResponse, ApiError> {
    created(&state, move |conn, now| {
        pre_approvals::request(conn, now, &user, *id, &body.0)
    })
    .await
}

/// A stay's requests for journeys, in the order they were made.
#[utoipa::path(
    tag = "family",
    params(("id" = i64, Path, description = "Stay id")),
    responses((status = 200, description = "The requests", body = Vec<PreApproval>)),
    security(("bearer" = []))
)]
#[get("/stays/{id}/pre-approvals")]
pub async fn list_pre_approvals(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: web::Path<i64>,
) -> Result<web::Json<Vec<PreApproval>>, ApiError> {
    answer(&state, move |conn, _| {
        pre_approvals::of_stay(conn, &user, *id)
    })
    .await
}

/// Approves or refuses a journey (a clinician of the unit for a taxi, the board's cash office
/// for a flight), once. The family is emailed the answer.
#[utoipa::path(
    tag = "family",
    params(("id" = i64, Path, description = "Request id")),
    request_body(content = PreApprovalDecisionInput, example = json!(examples::pre_approval_decision())),
    responses(
        (status = 200, description = "The answered request", body = PreApproval),
        (status = 409, description = "`pre_approval_decided`", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`validation_failed`: a refusal with no reason", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/pre-approvals/{id}/decision")]
pub async fn decide_pre_approval(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: web::Path<i64>,
    body: Json<PreApprovalDecisionInput>,
) -> Result<web::Json<PreApproval>, ApiError> {
    answer(&state, move |conn, now| {
        pre_approvals::decide(conn, now, &user, *id, &body.0)
    })
    .await
}

/// Starts a claim against a stay (the claimant), as a draft with its lines, each checked and
/// priced: car lines at the year's mileage rate, food at its flat rate. The rules across lines
/// are checked when it is submitted.
#[utoipa::path(
    tag = "family",
    params(("id" = i64, Path, description = "Stay id")),
    request_body(content = ClaimInput, example = json!(examples::claim())),
    responses(
        (status = 201, description = "The draft claim", body = Claim),
        (status = 422, description = "`validation_failed`: every field of every line in error", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/stays/{id}/claims")]
pub async fn create_claim(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: web::Path<i64>,
    body: Json<ClaimInput>,
) -> Result<HttpResponse, ApiError> {
    let keyring = state.keyring.clone();
    created(&state, move |conn, now| {
        claims::create(conn, now, &keyring, &user, *id, &body.0)
    })
    .await
}

/// The claims of a stay, newest first. Staff do not see a family's drafts.
#[utoipa::path(
    tag = "family",
    params(("id" = i64, Path, description = "Stay id")),
    responses((status = 200, description = "The claims", body = Vec<Claim>)),
    security(("bearer" = []))
)]
#[get("/stays/{id}/claims")]
pub async fn list_stay_claims(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: web::Path<i64>,
) -> Result<web::Json<Vec<Claim>>, ApiError> {
    answer(&state, move |conn, _| claims::of_stay(conn, &user, *id)).await
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ClaimQuery {
    /// Claims of this status instead of those waiting for the caller.
    pub status: Option<ClaimStatus>,
}

/// The claims waiting for the caller, oldest first: a clinician's unit's submitted claims, a
/// cash office's board's certified ones, a claimant's drafts; or those of `status`.
#[utoipa::path(
    tag = "family",
    params(ClaimQuery),
    responses((status = 200, description = "The claims", body = Vec<Claim>)),
    security(("bearer" = []))
)]
#[get("/claims")]
pub async fn list_claims(
    state: web::Data<AppState>,
    user: CurrentUser,
    query: web::Query<ClaimQuery>,
) -> Result<web::Json<Vec<Claim>>, ApiError> {
    let status = query.into_inner().status;
    answer(&state, move |conn, _| claims::queue(conn, &user, status)).await
}

/// One claim with its lines.
#[utoipa::path(
    tag = "family",
    params(("id" = i64, Path, description = "Claim id")),
    responses((status = 200, description = "The claim", body = Claim)),
    security(("bearer" = []))
)]
#[get("/claims/{id}")]
pub async fn get_claim(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: web::Path<i64>,
) -> Result<web::Json<Claim>, ApiError> {
    answer(&state, move |conn, _| claims::get(conn, &user, *id)).await
}

/// Replaces a draft's lines (the claimant).
#[utoipa::path(
    tag = "family",
    params(("id" = i64, Path, description = "Claim id")),
    request_body(content = ClaimInput, example = json!(examples::claim())),
    responses(
        (status = 200, description = "The draft claim", body = Claim),
        (status = 409, description = "`claim_status_mismatch`: the claim is no longer a draft", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`validation_failed`: every field of every line in error", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[put("/claims/{id}")]
pub async fn save_claim(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: web::Path<i64>,
    body: Json<ClaimInput>,
) -> Result<web::Json<Claim>, ApiError> {
    let keyring = state.keyring.clone();
    answer(&state, move |conn, now| {
        claims::save(conn, now, &keyring, &user, *id, &body.0)
    })
    .await
}

/// Submits a draft (the claimant). Every rule of the fund is checked and every failed line
/// reported at once: a day before 1 April 2020, before the admission, after the discharge or in
/// the future; a second travel or food line for one person and day; a child over 16; a missing
/// receipt or approved journey; more flights in a week than the year allows; a claim after the
/// window closed; a total past the family's cap. The family is emailed that it arrived.
#[utoipa::path(
    tag = "family",
    params(("id" = i64, Path, description = "Claim id")),
    responses(
        (status = 200, description = "The submitted claim", body = Claim),
        (status = 409, description = "`claim_status_mismatch`: the claim is not a draft", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`validation_failed`: every line that breaks a rule, and `claim` or `total` for the window and the cap", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/claims/{id}/submit")]
pub async fn submit_claim(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: web::Path<i64>,
) -> Result<web::Json<Claim>, ApiError> {
    let keyring = state.keyring.clone();
    answer(&state, move |conn, now| {
        claims::submit(conn, now, &keyring, &user, *id)
    })
    .await
}

/// Certifies a submitted claim (a clinician of the unit): the woman was resident from one day to
/// another. Lines outside them are cut and not paid.
#[utoipa::path(
    tag = "family",
    params(("id" = i64, Path, description = "Claim id")),
    request_body(content = CertifyInput, example = json!(examples::certify())),
    responses(
        (status = 200, description = "The certified claim", body = Claim),
        (status = 409, description = "`claim_status_mismatch`: the claim is not waiting for certification", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`validation_failed`: every field in error", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/claims/{id}/certify")]
pub async fn certify_claim(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: web::Path<i64>,
    body: Json<CertifyInput>,
) -> Result<web::Json<Claim>, ApiError> {
    answer(&state, move |conn, now| {
        checking::certify(conn, now, &user, *id, &body.0)
    })
    .await
}

/// Approves a certified claim line by line (the board's cash office): each line that stands in
/// full, in part (with what it pays and why) or not (with why). The total commits against the
/// family's cap and each financial year's limit at once, or nothing does. The family is emailed
/// what is paid and what was cut and why.
///
/// With an `Idempotency-Key`, a retry of the same request gets the first answer and commits
/// nothing twice; the same key with another body is 422 `idempotency_key_reused`.
#[utoipa::path(
    tag = "family",
    params(("id" = i64, Path, description = "Claim id"), IdempotencyKey),
    request_body(content = ClaimDecisionInput, example = json!(examples::claim_decision())),
    responses(
        (status = 200, description = "The approved claim", body = Claim),
        (status = 400, description = "`invalid_idempotency_key`; `malformed_json`", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`claim_status_mismatch`: the claim is not certified; `family_cap_exceeded`; `fund_limit_exceeded`; `year_not_approved`", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`validation_failed`: every line in error, a line left undecided among them; `idempotency_key_reused`", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/claims/{id}/approve")]
pub async fn approve_claim(
    call: KeyedCall,
    id: web::Path<i64>,
    body: Json<ClaimDecisionInput>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let input = body.0;
    call.once(&input.clone(), move |conn, now, user| {
        Ok((
            StatusCode::OK,
            checking::approve(conn, now, user, id, &input)?,
        ))
    })
    .await
}

/// Rejects a submitted or certified claim (the board's cash office); the family is emailed the
/// reason.
#[utoipa::path(
    tag = "family",
    params(("id" = i64, Path, description = "Claim id")),
    request_body(content = ReasonInput, example = json!(examples::reason())),
    responses(
        (status = 200, description = "The rejected claim", body = Claim),
        (status = 409, description = "`claim_status_mismatch`: the claim is not waiting for a decision", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`validation_failed`: no reason", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/claims/{id}/reject")]
pub async fn reject_claim(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: web::Path<i64>,
    body: Json<ReasonInput>,
) -> Result<web::Json<Claim>, ApiError> {
    answer(&state, move |conn, now| {
        checking::reject(conn, now, &user, *id, &body.0)
    })
    .await
}

/// Refers a submitted or certified claim to counter fraud (the board's cash office): it is
/// frozen, the reason is kept in the audit trail, and no email tells the family why.
#[utoipa::path(
    tag = "family",
    params(("id" = i64, Path, description = "Claim id")),
    request_body(content = ReasonInput, example = json!(examples::reason())),
    responses(
        (status = 200, description = "The referred claim", body = Claim),
        (status = 409, description = "`claim_status_mismatch`: the claim is not waiting for a decision", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`validation_failed`: no reason", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/claims/{id}/refer")]
pub async fn refer_claim(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: web::Path<i64>,
    body: Json<ReasonInput>,
) -> Result<web::Json<Claim>, ApiError> {
    answer(&state, move |conn, now| {
        checking::refer(conn, now, &user, *id, &body.0)
    })
    .await
}

/// The caller's own bank details, masked (claimants): where approved claims are paid.
#[utoipa::path(
    tag = "family",
    responses((status = 200, description = "The details, masked", body = BankDetails)),
    security(("bearer" = []))
)]
#[get("/me/bank-details")]
pub async fn get_own_bank_details(
    state: web::Data<AppState>,
    user: CurrentUser,
) -> Result<web::Json<BankDetails>, ApiError> {
    let keyring = state.keyring.clone();
    answer(&state, move |conn, _| {
        family_bank::own(conn, &keyring, &user)
    })
    .await
}

/// Enters the caller's bank details (claimants). They are sealed at rest and shown masked;
/// payments wait until the cash office has checked them, and the claimant is emailed, without
/// the numbers.
#[utoipa::path(
    tag = "family",
    request_body(content = BankDetailsInput, example = json!(crate::organisations::examples::bank_details())),
    responses(
        (status = 200, description = "The new details, masked and awaiting verification", body = BankDetails),
        (status = 422, description = "`validation_failed`: every field in error", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[put("/me/bank-details")]
pub async fn set_own_bank_details(
    state: web::Data<AppState>,
    user: CurrentUser,
    body: Json<BankDetailsInput>,
) -> Result<web::Json<BankDetails>, ApiError> {
    let keyring = state.keyring.clone();
    answer(&state, move |conn, now| {
        family_bank::set_own(conn, now, &keyring, &user, &body.0)
    })
    .await
}

/// A claimant's bank details, masked, for the cash office of a board that pays one of their
/// stays.
#[utoipa::path(
    tag = "family",
    params(("id" = i64, Path, description = "The claimant's user id")),
    responses((status = 200, description = "The details, masked", body = BankDetails)),
    security(("bearer" = []))
)]
#[get("/claimants/{id}/bank-details")]
pub async fn get_claimant_bank_details(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: web::Path<i64>,
) -> Result<web::Json<BankDetails>, ApiError> {
    let keyring = state.keyring.clone();
    answer(&state, move |conn, _| {
        family_bank::of_claimant(conn, &keyring, &user, *id)
    })
    .await
}

/// Verifies a claimant's bank details (the cash office of a board that pays one of their
/// stays), so that their approved claims can be paid. The person who entered them cannot.
#[utoipa::path(
    tag = "family",
    params(("id" = i64, Path, description = "The claimant's user id")),
    responses(
        (status = 200, description = "The verified details, masked", body = BankDetails),
        (status = 403, description = "`step_up_required`: enter a code at `POST /auth/step-up` first", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`same_person`: the caller entered these details; `bank_details_unverified`: there are none; `invalid_state`: already verified", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/claimants/{id}/bank-details/verify")]
pub async fn verify_claimant_bank_details(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: web::Path<i64>,
) -> Result<web::Json<BankDetails>, ApiError> {
    user.require_recent_factor(state.clock.now())?;
    let keyring = state.keyring.clone();
    answer(&state, move |conn, now| {
        family_bank::verify(conn, now, &keyring, &user, *id)
    })
    .await
}

/// What a family-expenses fund has paid (officials and administrators): families, claims and
/// money by unit, by the unit's board, by the family's home board, by kind of expense and by
/// financial year, with the median days from submission to payment. Never a name; a group of
/// fewer than five families, and whatever would let one be worked out from the total, shows no
/// figures. As CSV with `?format=csv` or `Accept: text/csv`.
#[utoipa::path(
    tag = "family",
    params(("id" = i64, Path, description = "Fund id"), FormatQuery),
    responses(
        (status = 200, description = "The report", content(
            (FamilyReport = "application/json"),
            (String = "text/csv"),
        )),
        (status = 409, description = "`fund_kind_mismatch`: the fund runs grants", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[get("/reports/funds/{id}/family")]
pub async fn family_report(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: CurrentUser,
    id: web::Path<i64>,
    query: web::Query<FormatQuery>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let found = run(&state, move |conn, _| report::report(conn, &user, id)).await?;
    if query.wants_csv(&req) {
        Ok(csv_response(
            &format!("family-fund-{id}.csv"),
            report::to_csv(&found)?,
        ))
    } else {
        Ok(HttpResponse::Ok().json(found))
    }
}

/// What a family-expenses fund has paid, as CSV: one row a group, `dimension` first, withheld
/// figures empty (officials and administrators).
#[utoipa::path(
    tag = "family",
    params(("id" = i64, Path, description = "Fund id")),
    responses(
        (status = 200, description = "The report as CSV", content((String = "text/csv"))),
        (status = 409, description = "`fund_kind_mismatch`: the fund runs grants", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[get("/reports/funds/{id}/family.csv")]
pub async fn family_report_csv(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let found = run(&state, move |conn, _| report::report(conn, &user, id)).await?;
    Ok(csv_response(
        &format!("family-fund-{id}.csv"),
        report::to_csv(&found)?,
    ))
}

pub fn configure(cfg: &mut impl crate::http::Routes) {
    cfg.service(create_unit)
        .service(list_units)
        .service(get_unit)
        .service(update_unit)
        .service(list_rates)
        .service(set_rates)
        .service(create_stay)
        .service(list_stays)
        .service(get_stay)
        .service(discharge)
        .service(add_child)
        .service(request_pre_approval)
        .service(list_pre_approvals)
        .service(decide_pre_approval)
        .service(create_claim)
        .service(list_stay_claims)
        .service(list_claims)
        .service(get_claim)
        .service(save_claim)
        .service(submit_claim)
        .service(certify_claim)
        .service(approve_claim)
        .service(reject_claim)
        .service(refer_claim)
        .service(get_own_bank_details)
        .service(set_own_bank_details)
        .service(get_claimant_bank_details)
        .service(verify_claimant_bank_details)
        .service(family_report_csv)
        .service(family_report);
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
        serde_json::from_value::<StayInput>(examples::stay()).expect("POST /stays");
        serde_json::from_value::<ChildInput>(examples::child()).expect("POST /stays/{id}/children");
        serde_json::from_value::<DischargeInput>(examples::discharge())
            .expect("PUT /stays/{id}/discharge");
        serde_json::from_value::<PreApprovalInput>(examples::pre_approval())
            .expect("POST /stays/{id}/pre-approvals");
        serde_json::from_value::<PreApprovalDecisionInput>(examples::pre_approval_decision())
            .expect("POST /pre-approvals/{id}/decision");
        serde_json::from_value::<ClaimInput>(examples::claim()).expect("POST /stays/{id}/claims");
        serde_json::from_value::<CertifyInput>(examples::certify())
            .expect("POST /claims/{id}/certify");
        serde_json::from_value::<ClaimDecisionInput>(examples::claim_decision())
            .expect("POST /claims/{id}/approve");
        serde_json::from_value::<ReasonInput>(examples::reason())
            .expect("POST /claims/{id}/reject");
    }
}
