//! Payment run and release queue handlers (finance; the queue also administrators).

use actix_web::{HttpResponse, get, post, web};

use super::examples;
use crate::caller::CurrentUser;
use crate::error::{ApiError, Problem};
use crate::http::{Json, answer, created, csv_response, run};
use crate::payments::model::{
    BuildRunInput, BuiltRun, MarkFailedInput, MarkPaidInput, PaymentRun, PaymentRunSummary,
    QueueQuery, QueueStatus, ReleaseRequest,
};
use crate::payments::{marking, queue, runs};
use crate::state::AppState;

/// The releases waiting (administrators and finance): `requested` ones wait for a finance
/// user's authorisation, `authorised` ones for a payment run to pay them. Oldest request first.
#[utoipa::path(
    tag = "payments",
    params(QueueQuery),
    responses((status = 200, description = "The releases in that state", body = Vec<ReleaseRequest>)),
    security(("bearer" = []))
)]
#[get("/release-requests")]
pub async fn list_release_requests(
    state: web::Data<AppState>,
    user: CurrentUser,
    query: web::Query<QueueQuery>,
) -> Result<web::Json<Vec<ReleaseRequest>>, ApiError> {
    let status = query.status.unwrap_or(QueueStatus::Requested);
    answer(&state, move |conn, _| queue::list(conn, &user, status)).await
}

/// Payment runs, newest first, with their total, count and results (finance).
#[utoipa::path(
    tag = "payments",
    responses((status = 200, description = "Payment runs", body = Vec<PaymentRunSummary>)),
    security(("bearer" = []))
)]
#[get("/payment-runs")]
pub async fn list_runs(
    state: web::Data<AppState>,
    user: CurrentUser,
) -> Result<web::Json<Vec<PaymentRunSummary>>, ApiError> {
    answer(&state, move |conn, _| runs::list(conn, &user)).await
}

/// Builds a payment run (finance) from every authorised instalment no other run holds, of one
/// fund or of all. Each line pays the organisation's bank details as verified now; payments to
/// an organisation whose details are missing or changed and not yet verified stay in the queue
/// and are listed in `skipped`. Two runs built at once never hold the same payment.
#[utoipa::path(
    tag = "payments",
    request_body(content = BuildRunInput, example = json!(examples::build())),
    responses(
        (status = 201, description = "The run, `open`, and the payments left in the queue", body = BuiltRun),
        (status = 409, description = "`nothing_to_pay`: no authorised payment waits, or every one is to an organisation whose bank details are not verified", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`validation_failed`", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/payment-runs")]
pub async fn build_run(
    state: web::Data<AppState>,
    user: CurrentUser,
    body: Json<BuildRunInput>,
) -> Result<HttpResponse, ApiError> {
    created(&state, move |conn, now| {
        runs::build(conn, now, &user, &body.0)
    })
    .await
}

/// One payment run with its total, count and lines (finance).
#[utoipa::path(
    tag = "payments",
    params(("id" = i64, Path, description = "Payment run id")),
    responses((status = 200, description = "The run", body = PaymentRun)),
    security(("bearer" = []))
)]
#[get("/payment-runs/{id}")]
pub async fn get_run(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: web::Path<i64>,
) -> Result<web::Json<PaymentRun>, ApiError> {
    answer(&state, move |conn, _| runs::get(conn, &user, *id)).await
}

/// The run's file for the finance system (finance): one row a line with the payee's name, sort
/// code, account number and roll number unmasked, the amount, the payment reference and the
/// award reference. The only place bank details appear in full; every download is audited, and
/// needs a code entered in the last ten minutes.
#[utoipa::path(
    tag = "payments",
    params(("id" = i64, Path, description = "Payment run id")),
    responses(
        (status = 200, description = "The run's CSV file", content_type = "text/csv", body = String),
        (status = 403, description = "`step_up_required`: enter a code at `POST /auth/step-up` first", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[get("/payment-runs/{id}/lines.csv")]
pub async fn run_file(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    user.require_recent_factor(state.clock.now())?;
    let keyring = state.keyring.clone();
    let bytes = run(&state, move |conn, now| {
        runs::file(conn, now, &keyring, &user, id)
    })
    .await?;
    Ok(csv_response(&format!("payment-run-{id}.csv"), bytes))
}

/// Closes an open run (finance) once its total and count are checked and its file is sent to
/// the bank; its lines are then marked.
#[utoipa::path(
    tag = "payments",
    params(("id" = i64, Path, description = "Payment run id")),
    responses(
        (status = 200, description = "The run, `closed`", body = PaymentRun),
        (status = 409, description = "`run_closed`", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/payment-runs/{id}/close")]
pub async fn close_run(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: web::Path<i64>,
) -> Result<web::Json<PaymentRun>, ApiError> {
    answer(&state, move |conn, now| runs::close(conn, now, &user, *id)).await
}

/// Marks a line of a closed run paid on the day the bank paid it (finance): only now is the
/// instalment `released` and the fund's `paid` moved. A line already marked is not marked again.
#[utoipa::path(
    tag = "payments",
    params(
        ("id" = i64, Path, description = "Payment run id"),
        ("line_id" = i64, Path, description = "Line id"),
    ),
    request_body(content = MarkPaidInput, example = json!(examples::paid())),
    responses(
        (status = 200, description = "The run", body = PaymentRun),
        (status = 409, description = "`run_open`: close the run first; `line_already_marked`", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`validation_failed`", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/payment-runs/{id}/lines/{line_id}/paid")]
pub async fn mark_paid(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<(i64, i64)>,
    body: Json<MarkPaidInput>,
) -> Result<web::Json<PaymentRun>, ApiError> {
    let (id, line) = path.into_inner();
    answer(&state, move |conn, now| {
        marking::mark_paid(conn, now, &user, id, line, &body.0)
    })
    .await
}

/// Marks a line of a closed run failed with the bank's reason (finance): its payment goes back
/// to the queue for a later run, and nothing is counted paid.
#[utoipa::path(
    tag = "payments",
    params(
        ("id" = i64, Path, description = "Payment run id"),
        ("line_id" = i64, Path, description = "Line id"),
    ),
    request_body(content = MarkFailedInput, example = json!(examples::failed())),
    responses(
        (status = 200, description = "The run", body = PaymentRun),
        (status = 409, description = "`run_open`: close the run first; `line_already_marked`", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`validation_failed`", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/payment-runs/{id}/lines/{line_id}/failed")]
pub async fn mark_failed(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<(i64, i64)>,
    body: Json<MarkFailedInput>,
) -> Result<web::Json<PaymentRun>, ApiError> {
    let (id, line) = path.into_inner();
    answer(&state, move |conn, now| {
        marking::mark_failed(conn, now, &user, id, line, &body.0)
    })
    .await
}

/// Marks the lines of a closed run from the bank's results file (finance), sent as the body
/// (the file's bytes, `application/octet-stream`; the CSV is read whatever type is named): the run's own file with `status` (`paid`, `failed` or empty), `paid_on` and
/// `reason` columns added. Every bad row is named in `errors` at once (`rows.<line of the
/// file>.<column>`) and then nothing changes; otherwise every line it marks is marked together.
#[utoipa::path(
    tag = "payments",
    params(("id" = i64, Path, description = "Payment run id")),
    request_body(content = String, content_type = "application/octet-stream", example = json!(examples::results())),
    responses(
        (status = 200, description = "The run", body = PaymentRun),
        (status = 409, description = "`run_open`: close the run first; `line_already_marked`", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`validation_failed`: each bad row and column in `errors`", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/payment-runs/{id}/results")]
pub async fn upload_results(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: web::Path<i64>,
    body: web::Bytes,
) -> Result<web::Json<PaymentRun>, ApiError> {
    let id = id.into_inner();
    answer(&state, move |conn, now| {
        marking::apply_results(conn, now, &user, id, &body)
    })
    .await
}

pub fn configure(cfg: &mut impl crate::http::Routes) {
    cfg.service(list_release_requests)
        .service(list_runs)
        .service(build_run)
        .service(get_run)
        .service(run_file)
        .service(close_run)
        .service(mark_paid)
        .service(mark_failed)
        .service(upload_results);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each example the contract shows is a body its operation accepts.
    #[test]
    fn examples_are_accepted_bodies() {
        serde_json::from_value::<BuildRunInput>(examples::build()).expect("POST /payment-runs");
        serde_json::from_value::<MarkPaidInput>(examples::paid()).expect("paid");
        serde_json::from_value::<MarkFailedInput>(examples::failed()).expect("failed");
        assert!(examples::results().starts_with("line_id,"));
    }
}
