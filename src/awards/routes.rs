//! Decision and award handlers. Every action accepts an `Idempotency-Key` header.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, get, post, web};
use chrono::NaiveDateTime;
use serde::{Deserialize, Serialize};
use utoipa::IntoParams;

use super::examples;
use crate::applications::model::Application;
use crate::awards::model::variation::{Variation, VariationDecisionInput, VariationInput};
use crate::awards::model::{Award, AwardMade, Decided, DecisionInput, TerminationInput};
use crate::awards::reading::{self, AwardFilter};
use crate::awards::{deciding, offer, releases, variations};
use crate::caller::CurrentUser;
use crate::db::DbConnection;
use crate::domain::FinancialYear;
use crate::domain::vocabulary::{AwardStatus, VariationStatus};
use crate::error::{ApiError, Problem};
use crate::http::keyed::KeyedCall;
use crate::http::{Json, answer};
use crate::idempotency::IdempotencyKey;
use crate::state::AppState;
use crate::usecases::grant_cycle;
use crate::wire::paging::{PageQuery, Paged};

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AwardQuery {
    /// Only awards of this fund.
    pub fund_id: Option<i64>,
    /// Only awards with an instalment in this financial year, e.g. `2021-22`.
    #[param(value_type = Option<String>, pattern = r"^20[0-9]{2}-[0-9]{2}$")]
    pub financial_year: Option<FinancialYear>,
    /// Only awards in this state.
    pub status: Option<AwardStatus>,
    /// Only this organisation's (staff; applicants see only their own anyway).
    pub organisation_id: Option<i64>,
}

/// One instalment of an award: the award and the instalment's financial year.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct InstalmentPath {
    /// Award id
    pub id: i64,
    /// The instalment's year, e.g. `2021-22`
    #[param(pattern = r"^20[0-9]{2}-[0-9]{2}$")]
    pub financial_year: String,
}

/// Decides a submitted application (administrators). `award` offers a grant: for every year at
/// once, the year must be approved and `committed + amount <= limit` must hold, or nothing is
/// committed; simultaneous decisions can never commit more than a year's limit. `decline`
/// turns it down with feedback. The applicant is emailed the decision letter.
///
/// With an `Idempotency-Key`, a retry of the same request gets the first answer and decides
/// nothing twice; the same key with another body is 422 `idempotency_key_reused`.
#[utoipa::path(
    tag = "awards",
    params(("id" = i64, Path, description = "Application id"), IdempotencyKey),
    request_body(content = DecisionInput, example = json!(examples::decide())),
    responses(
        (status = 201, description = "Awarded: the award, `offered`", body = AwardMade),
        (status = 200, description = "Declined: the application, `declined`", body = Application),
        (status = 400, description = "`invalid_idempotency_key`; `malformed_json`", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`fund_limit_exceeded`: each year that does not fit is in `years` with its limit, remaining and asked amounts (and named in `errors`); `year_not_approved`; `organisation_not_verified`; `assessments_incomplete`; `already_decided`; `application_not_submitted`; `reference_taken`", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`validation_failed`; `idempotency_key_reused`", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/applications/{id}/decision")]
pub async fn decide(
    call: KeyedCall,
    id: web::Path<i64>,
    body: Json<DecisionInput>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let input = body.0;
    call.once(&input.clone(), move |conn, now, user| {
        Ok(match deciding::decide(conn, now, user, id, &input)? {
            made @ Decided::Awarded(_) => (StatusCode::CREATED, made),
            declined @ Decided::Declined(_) => (StatusCode::OK, declined),
        })
    })
    .await
}

impl KeyedCall {
    /// Runs one step of an instalment's release once for this key, answering 200 with the
    /// award.
    async fn release(
        self,
        instalment: InstalmentPath,
        step: releases::Step,
    ) -> Result<HttpResponse, ApiError> {
        let InstalmentPath { id, financial_year } = instalment;
        self.award(&(), move |conn, now, user| {
            grant_cycle::release(conn, now, user, step, id, &financial_year)
        })
        .await
    }

    /// Runs one award action once for this key, answering 200 with the award.
    async fn award<F>(self, body: &impl Serialize, action: F) -> Result<HttpResponse, ApiError>
    where
        F: Fn(&mut DbConnection, NaiveDateTime, &CurrentUser) -> Result<Award, ApiError>
            + Send
            + 'static,
    {
        self.once(body, move |conn, now, user| {
            Ok((StatusCode::OK, action(conn, now, user)?))
        })
        .await
    }
}

/// The applicant accepts the offer of their organisation's award. A confirmation is emailed.
#[utoipa::path(
    tag = "awards",
    params(("id" = i64, Path, description = "Award id"), IdempotencyKey),
    responses(
        (status = 200, description = "The award, `accepted`", body = Award),
        (status = 409, description = "`invalid_state`: not an open offer", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/awards/{id}/accept")]
pub async fn accept(call: KeyedCall, id: web::Path<i64>) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    call.award(&(), move |conn, now, user| {
        grant_cycle::accept_award(conn, now, user, id)
    })
    .await
}

/// The applicant declines the offer; every year's amount goes back to that year's budget.
#[utoipa::path(
    tag = "awards",
    params(("id" = i64, Path, description = "Award id"), IdempotencyKey),
    responses(
        (status = 200, description = "The award, `declined`", body = Award),
        (status = 409, description = "`invalid_state`: not an open offer", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/awards/{id}/decline")]
pub async fn decline(call: KeyedCall, id: web::Path<i64>) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    call.award(&(), move |conn, now, user| {
        offer::decline(conn, now, user, id)
    })
    .await
}

/// Ends an offered or accepted award early (administrators): unpaid instalments go back to
/// their years' budgets, and the grant holder is emailed the reason.
#[utoipa::path(
    tag = "awards",
    params(("id" = i64, Path, description = "Award id"), IdempotencyKey),
    request_body(content = TerminationInput, example = json!(examples::terminate())),
    responses(
        (status = 200, description = "The award, `terminated`", body = Award),
        (status = 409, description = "`invalid_state`: declined, completed or already terminated", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/awards/{id}/terminate")]
pub async fn terminate(
    call: KeyedCall,
    id: web::Path<i64>,
    body: Json<TerminationInput>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let input = body.0;
    call.award(&input.clone(), move |conn, now, user| {
        offer::terminate(conn, now, user, id, &input)
    })
    .await
}

/// Requests the release of one financial year's instalment of an accepted award, once
/// (administrators); a finance user then authorises it. Instalments are released in order of
/// their years, and only to an organisation whose bank details a second person has verified.
#[utoipa::path(
    tag = "awards",
    params(InstalmentPath, IdempotencyKey),
    responses(
        (status = 200, description = "The award, its instalment still `committed` until authorised", body = Award),
        (status = 409, description = "`award_not_accepted`; `already_released`; `already_requested`; `earlier_instalment_unpaid`; `return_not_accepted`; `bank_details_unverified`: the organisation's bank details are missing or a change waits for a second person's check", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/awards/{id}/instalments/{financial_year}/release")]
pub async fn release(
    call: KeyedCall,
    path: web::Path<InstalmentPath>,
) -> Result<HttpResponse, ApiError> {
    call.release(path.into_inner(), releases::request).await
}

/// Authorises a requested release (finance): the caller must be neither the one who requested
/// it nor the one who decided the award, and every rule of a release is checked again. The
/// instalment becomes `authorised` and waits for a payment run (`POST /payment-runs`); it is
/// paid, `released`, only when its line of the run is marked paid.
#[utoipa::path(
    tag = "awards",
    params(InstalmentPath, IdempotencyKey),
    responses(
        (status = 200, description = "The award with the instalment `authorised`, waiting for a payment run", body = Award),
        (status = 403, description = "`step_up_required`: enter a code at `POST /auth/step-up` first", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`same_person`: the caller requested the release or decided the award; `release_not_requested`; `already_released`; `award_not_accepted`; `earlier_instalment_unpaid`; `return_not_accepted`; `bank_details_unverified`", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/awards/{id}/instalments/{financial_year}/authorise")]
pub async fn authorise_release(
    call: KeyedCall,
    path: web::Path<InstalmentPath>,
) -> Result<HttpResponse, ApiError> {
    // Paying money out needs a second factor entered in the last few minutes.
    call.require_recent_factor()?;
    call.release(path.into_inner(), releases::authorise).await
}

/// Awards, newest first: applicants see their own organisation's; administrators and officials
/// every one.
#[utoipa::path(
    tag = "awards",
    params(AwardQuery, PageQuery),
    responses((status = 200, description = "Awards", body = Paged<Award>)),
    security(("bearer" = []))
)]
#[get("/awards")]
pub async fn list_awards(
    state: web::Data<AppState>,
    user: CurrentUser,
    query: web::Query<AwardQuery>,
    paging: web::Query<PageQuery>,
) -> Result<web::Json<Paged<Award>>, ApiError> {
    let page = paging.into_inner().parse()?;
    let query = query.into_inner();
    let filter = AwardFilter {
        fund_id: query.fund_id,
        financial_year: query.financial_year,
        status: query.status,
        organisation_id: query.organisation_id,
    };
    answer(&state, move |conn, _| {
        reading::list(conn, &user, &filter, page)
    })
    .await
}

/// One award: applicants their own organisation's, administrators and officials any.
#[utoipa::path(
    tag = "awards",
    params(("id" = i64, Path, description = "Award id")),
    responses((status = 200, description = "The award", body = Award)),
    security(("bearer" = []))
)]
#[get("/awards/{id}")]
pub async fn get_award(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: web::Path<i64>,
) -> Result<web::Json<Award>, ApiError> {
    answer(&state, move |conn, _| reading::get(conn, &user, *id)).await
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct VariationQuery {
    /// Only variations in this state, e.g. `requested` for those waiting for a decision.
    pub status: Option<VariationStatus>,
}

/// Asks for a variation of an accepted award (its grant holder), or proposes one
/// (administrators): `reprofile` moves money between its years, `reduce` lowers years and gives
/// the money back to the fund, `extend` moves its end date later, `conditions` rewrites its
/// conditions. Another administrator decides it. Every field in error is listed at once.
#[utoipa::path(
    tag = "awards",
    params(("id" = i64, Path, description = "Award id"), IdempotencyKey),
    request_body(content = VariationInput, example = json!(examples::vary())),
    responses(
        (status = 201, description = "The variation, `requested`", body = Variation),
        (status = 409, description = "`award_not_accepted`; `instalment_not_movable`: a year it would change has been paid or its release requested", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`validation_failed`; `idempotency_key_reused`", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/awards/{id}/variations")]
pub async fn ask_variation(
    call: KeyedCall,
    id: web::Path<i64>,
    body: Json<VariationInput>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let input = body.0;
    call.once(&input.clone(), move |conn, now, user| {
        Ok((
            StatusCode::CREATED,
            variations::ask(conn, now, user, id, &input)?,
        ))
    })
    .await
}

/// The variations of an award, newest first: its organisation's applicants and administrators.
#[utoipa::path(
    tag = "awards",
    params(("id" = i64, Path, description = "Award id")),
    responses((status = 200, description = "The award's variations", body = Vec<Variation>)),
    security(("bearer" = []))
)]
#[get("/awards/{id}/variations")]
pub async fn award_variations(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: web::Path<i64>,
) -> Result<web::Json<Vec<Variation>>, ApiError> {
    answer(&state, move |conn, _| {
        variations::of_award(conn, &user, *id)
    })
    .await
}

/// Variations of every award, oldest first, for the administrators who decide them.
#[utoipa::path(
    tag = "awards",
    params(VariationQuery, PageQuery),
    responses((status = 200, description = "Variations", body = Paged<Variation>)),
    security(("bearer" = []))
)]
#[get("/variations")]
pub async fn list_variations(
    state: web::Data<AppState>,
    user: CurrentUser,
    query: web::Query<VariationQuery>,
    paging: web::Query<PageQuery>,
) -> Result<web::Json<Paged<Variation>>, ApiError> {
    let page = paging.into_inner().parse()?;
    let status = query.into_inner().status;
    answer(&state, move |conn, _| {
        variations::list(conn, &user, status, page)
    })
    .await
}

/// One variation, of an award the caller may see.
#[utoipa::path(
    tag = "awards",
    params(("id" = i64, Path, description = "Variation id")),
    responses((status = 200, description = "The variation", body = Variation)),
    security(("bearer" = []))
)]
#[get("/variations/{id}")]
pub async fn get_variation(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: web::Path<i64>,
) -> Result<web::Json<Variation>, ApiError> {
    answer(&state, move |conn, _| variations::get(conn, &user, *id)).await
}

/// Approves a requested variation and applies it at once (administrators other than the one who
/// proposed it): money leaving a year goes back to its budget, money entering a year must fit
/// under that year's limit, an extension reschedules the final return. The grant holder is
/// emailed the reason.
#[utoipa::path(
    tag = "awards",
    params(("id" = i64, Path, description = "Variation id"), IdempotencyKey),
    request_body(content = VariationDecisionInput, example = json!(examples::approve_variation())),
    responses(
        (status = 200, description = "The variation, `approved`, with the award before and after", body = Variation),
        (status = 409, description = "`fund_limit_exceeded`: a year receiving money has no room, named in `years`; `year_not_approved`; `instalment_not_movable`; `variation_stale`: the award changed since it was asked; `same_person`: the caller proposed it; `award_not_accepted`; `invalid_state`: already decided, or the final return is submitted", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`validation_failed`; `idempotency_key_reused`", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/variations/{id}/approve")]
pub async fn approve_variation(
    call: KeyedCall,
    id: web::Path<i64>,
    body: Json<VariationDecisionInput>,
) -> Result<HttpResponse, ApiError> {
    decide_variation(
        call,
        id.into_inner(),
        body.0,
        grant_cycle::approve_variation,
    )
    .await
}

/// An administrator's decision on a variation, once for its `Idempotency-Key`.
async fn decide_variation(
    call: KeyedCall,
    id: i64,
    input: VariationDecisionInput,
    rule: fn(
        &mut DbConnection,
        NaiveDateTime,
        &CurrentUser,
        i64,
        &VariationDecisionInput,
    ) -> Result<Variation, ApiError>,
) -> Result<HttpResponse, ApiError> {
    call.once(&input.clone(), move |conn, now, user| {
        Ok((StatusCode::OK, rule(conn, now, user, id, &input)?))
    })
    .await
}

/// Refuses a requested variation with a reason for the grant holder (administrators other than
/// the one who proposed it). Nothing of the award changes.
#[utoipa::path(
    tag = "awards",
    params(("id" = i64, Path, description = "Variation id"), IdempotencyKey),
    request_body(content = VariationDecisionInput, example = json!(examples::refuse_variation())),
    responses(
        (status = 200, description = "The variation, `refused`", body = Variation),
        (status = 409, description = "`same_person`: the caller proposed it; `invalid_state`: already decided", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`validation_failed`; `idempotency_key_reused`", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/variations/{id}/refuse")]
pub async fn refuse_variation(
    call: KeyedCall,
    id: web::Path<i64>,
    body: Json<VariationDecisionInput>,
) -> Result<HttpResponse, ApiError> {
    decide_variation(call, id.into_inner(), body.0, variations::refuse).await
}

/// Withdraws a variation that is still requested (the grant holder's organisation, or an
/// administrator).
#[utoipa::path(
    tag = "awards",
    params(("id" = i64, Path, description = "Variation id"), IdempotencyKey),
    responses(
        (status = 200, description = "The variation, `withdrawn`", body = Variation),
        (status = 409, description = "`invalid_state`: already decided or withdrawn", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/variations/{id}/withdraw")]
pub async fn withdraw_variation(
    call: KeyedCall,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    call.once(&(), move |conn, now, user| {
        Ok((StatusCode::OK, variations::withdraw(conn, now, user, id)?))
    })
    .await
}

pub fn configure(cfg: &mut impl crate::http::Routes) {
    cfg.service(decide)
        .service(list_awards)
        .service(get_award)
        .service(accept)
        .service(decline)
        .service(terminate)
        .service(release)
        .service(authorise_release)
        .service(ask_variation)
        .service(award_variations)
        .service(list_variations)
        .service(get_variation)
        .service(approve_variation)
        .service(refuse_variation)
        .service(withdraw_variation);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each example the contract shows is a body its operation accepts.
    #[test]
    fn examples_are_accepted_bodies() {
        serde_json::from_value::<DecisionInput>(examples::decide())
            .expect("POST /applications/{id}/decision");
        serde_json::from_value::<TerminationInput>(examples::terminate())
            .expect("POST /awards/{id}/terminate");
        serde_json::from_value::<VariationInput>(examples::vary())
            .expect("POST /awards/{id}/variations");
        serde_json::from_value::<VariationDecisionInput>(examples::approve_variation())
            .expect("POST /variations/{id}/approve");
        serde_json::from_value::<VariationDecisionInput>(examples::refuse_variation())
            .expect("POST /variations/{id}/refuse");
    }
}
