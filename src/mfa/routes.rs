//! `/me/mfa`, `/auth/step-up`, `/me/sessions`, `/me/sign-ins` and the administrators' view of
//! another account's sessions and sign-ins.

use actix_web::{HttpRequest, HttpResponse, delete, get, post, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::examples;
use crate::caller::CurrentUser;
use crate::domain::clock::utc;
use crate::domain::vocabulary::SignInOutcome;
use crate::error::{ApiError, Problem};
use crate::http::{Json, origin_of};
use crate::mfa::history::{self, SignInEvent};
use crate::mfa::service as mfa;
use crate::mfa::sessions::{self, OpenSession};
use crate::permissions::Action;
use crate::state::AppState;
use crate::usecases::second_factor::{self, proof, step_up_expires};
use crate::users::model::UserRow;

/// Whether the caller's account has a second factor.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct MfaStatus {
    /// A confirmed factor guards the account.
    pub enrolled: bool,
    /// The account's role must have one (`MFA_REQUIRED_ROLES`).
    pub required: bool,
    /// Unused recovery codes left.
    pub recovery_codes_left: i64,
}

/// A started enrolment: add the account to an authenticator app, then confirm with a code.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct EnrolmentStarted {
    /// The secret as text (base32), to type into the app by hand.
    pub secret: String,
    /// The `otpauth://` address the QR code holds.
    pub provisioning_url: String,
    /// The QR code as a `data:image/svg+xml` address.
    pub qr_code: String,
}

/// A code from the authenticator app.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConfirmRequest {
    /// The 6-digit code the app shows for the new account.
    pub code: String,
}

/// A confirmed enrolment: its recovery codes, shown this once and kept only as hashes.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct MfaConfirmed {
    /// Ten codes; each works once in place of a code from the app.
    pub recovery_codes: Vec<String>,
}

/// A code or a recovery code, exactly one of them.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProofRequest {
    /// The 6-digit code the app shows now.
    pub code: Option<String>,
    /// One unused recovery code, instead of a code.
    pub recovery_code: Option<String>,
}

/// A new access token that says a second factor was just entered.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct StepUpResponse {
    /// Use in place of the previous access token.
    pub access_token: String,
    /// Always `Bearer`.
    pub token_type: String,
    /// Seconds until the access token expires.
    pub expires_in: u64,
    /// Until when the actions that need a recent factor are open.
    pub step_up_until: DateTime<Utc>,
}

/// An open session: one API sign-in with its refresh tokens, or one portal session.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Session {
    /// Send to `DELETE /me/sessions/{id}` to end it.
    pub id: String,
    /// `portal` or `api`.
    pub kind: String,
    pub created_at: DateTime<Utc>,
    /// The sign-in or the last refresh.
    pub last_used_at: DateTime<Utc>,
    /// The browser or client that began it; kept for staff accounts only.
    pub user_agent: Option<String>,
}

impl From<OpenSession> for Session {
    fn from(s: OpenSession) -> Self {
        Session {
            kind: if s.portal { "portal" } else { "api" }.to_owned(),
            id: s.id,
            created_at: utc(s.created_at),
            last_used_at: utc(s.last_used_at),
            user_agent: s.user_agent,
        }
    }
}

/// One attempt to sign in to a staff account.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct SignInEntry {
    pub outcome: SignInOutcome,
    /// The client address.
    pub client: String,
    pub user_agent: Option<String>,
    pub occurred_at: DateTime<Utc>,
}

impl From<SignInEvent> for SignInEntry {
    fn from(e: SignInEvent) -> Self {
        SignInEntry {
            outcome: e.outcome,
            client: e.client,
            user_agent: e.user_agent,
            occurred_at: utc(e.occurred_at),
        }
    }
}

/// Whether the caller's account has a second factor, and how many recovery codes are left.
#[utoipa::path(
    tag = "auth",
    path = "/me/mfa",
    responses((status = 200, description = "The factor's status", body = MfaStatus)),
    security(("bearer" = []))
)]
#[get("/me/mfa")]
pub async fn status(
    state: web::Data<AppState>,
    user: CurrentUser,
) -> Result<web::Json<MfaStatus>, ApiError> {
    user.require(Action::ReadOwnAccount)?;
    let user_id = user.id;
    let found = state.db.run(move |conn| mfa::status(conn, user_id)).await?;
    Ok(web::Json(MfaStatus {
        enrolled: found.enrolled,
        required: state.settings.mfa_required_roles.contains(&user.role),
        recovery_codes_left: found.recovery_codes_left,
    }))
}

/// Starts enrolling a second factor: a new secret, as text and as a QR code. It counts once
/// confirmed with a code from it. Starting again replaces an unconfirmed secret.
#[utoipa::path(
    tag = "auth",
    path = "/me/mfa",
    responses(
        (status = 201, description = "Add the account to the app, then confirm", body = EnrolmentStarted),
        (status = 409, description = "`invalid_state`: a factor is already confirmed", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/me/mfa")]
pub async fn begin(
    state: web::Data<AppState>,
    user: CurrentUser,
) -> Result<HttpResponse, ApiError> {
    user.require(Action::ManageOwnAccount)?;
    let enrolment = second_factor::begin_enrolment(&state, &user).await?;
    let qr_code = crate::mfa::totp::qr_data_url(&enrolment.provisioning_url)?;
    Ok(HttpResponse::Created().json(EnrolmentStarted {
        secret: enrolment.secret,
        provisioning_url: enrolment.provisioning_url,
        qr_code,
    }))
}

/// Confirms the enrolment with a code from the new secret; answers the ten recovery codes, once.
/// Emails the account's owner.
#[utoipa::path(
    tag = "auth",
    path = "/me/mfa/confirm",
    request_body(content = ConfirmRequest, example = json!(examples::confirm())),
    responses(
        (status = 200, description = "Confirmed", body = MfaConfirmed),
        (status = 409, description = "`invalid_state`: no enrolment waiting, or already confirmed", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`validation_failed`: the code is not right", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/me/mfa/confirm")]
pub async fn confirm(
    state: web::Data<AppState>,
    user: CurrentUser,
    body: Json<ConfirmRequest>,
) -> Result<web::Json<MfaConfirmed>, ApiError> {
    user.require(Action::ManageOwnAccount)?;
    let recovery_codes = second_factor::confirm_enrolment(&state, &user, body.0.code).await?;
    Ok(web::Json(MfaConfirmed { recovery_codes }))
}

/// Turns the second factor off, with a current code (or a recovery code) as proof. Emails the
/// account's owner. A role that must have one is then held to enrolling again.
#[utoipa::path(
    tag = "auth",
    path = "/me/mfa/disable",
    request_body(content = ProofRequest, example = json!(examples::proof())),
    responses(
        (status = 204, description = "Turned off"),
        (status = 401, description = "`invalid_mfa_code`", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`invalid_state`: no factor is on", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`validation_failed`: neither or both of `code` and `recovery_code`", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "`too_many_requests`: too many attempts; see `Retry-After`", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/me/mfa/disable")]
pub async fn disable(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: CurrentUser,
    body: Json<ProofRequest>,
) -> Result<HttpResponse, ApiError> {
    user.require(Action::ManageOwnAccount)?;
    let proof = proof(body.0.code, body.0.recovery_code)?;
    let origin = origin_of(&req, &state.settings);
    second_factor::disable(&state, &origin, &user, proof).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Enters the second factor again: answers an access token with which, for the next 10
/// minutes, the actions that need a recent factor (authorising a release, verifying bank
/// details, changing a year's limit, deleting a user) are open. Limited like sign-in.
#[utoipa::path(
    tag = "auth",
    path = "/auth/step-up",
    request_body(content = ProofRequest, example = json!(examples::proof())),
    responses(
        (status = 200, description = "A new access token", body = StepUpResponse),
        (status = 401, description = "`invalid_mfa_code`", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`validation_failed`: neither or both of `code` and `recovery_code`", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "`too_many_requests`: too many attempts; see `Retry-After`", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/auth/step-up")]
pub async fn step_up(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: CurrentUser,
    body: Json<ProofRequest>,
) -> Result<web::Json<StepUpResponse>, ApiError> {
    user.require(Action::ManageOwnAccount)?;
    let proof = proof(body.0.code, body.0.recovery_code)?;
    let origin = origin_of(&req, &state.settings);
    let (access_token, expires_in) = second_factor::step_up(&state, &origin, &user, proof).await?;
    Ok(web::Json(StepUpResponse {
        access_token,
        token_type: "Bearer".to_owned(),
        expires_in,
        step_up_until: step_up_expires(state.clock.now()),
    }))
}

/// The caller's open sessions, most recently used first.
#[utoipa::path(
    tag = "auth",
    path = "/me/sessions",
    responses((status = 200, description = "Open sessions", body = [Session])),
    security(("bearer" = []))
)]
#[get("/me/sessions")]
pub async fn list_sessions(
    state: web::Data<AppState>,
    user: CurrentUser,
) -> Result<web::Json<Vec<Session>>, ApiError> {
    user.require(Action::ReadOwnAccount)?;
    let now = state.clock.now_naive();
    let user_id = user.id;
    let open = state
        .db
        .run(move |conn| sessions::list(conn, now, user_id))
        .await?;
    Ok(web::Json(open.into_iter().map(Session::from).collect()))
}

/// Ends one of the caller's sessions: its refresh tokens, or its portal cookie, stop working at
/// once. An id that names no open session of the caller changes nothing.
#[utoipa::path(
    tag = "auth",
    path = "/me/sessions/{id}",
    params(("id" = String, Path, description = "Session id, as `GET /me/sessions` lists it", pattern = r"^(portal-)?[0-9a-f-]{36}$")),
    responses(
        (status = 204, description = "Ended, or not open"),
    ),
    security(("bearer" = []))
)]
#[delete("/me/sessions/{id}")]
pub async fn end_session(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    user.require(Action::ManageOwnAccount)?;
    let now = state.clock.now_naive();
    let (user_id, family) = (user.id, id.into_inner());
    state
        .db
        .run(move |conn| sessions::end(conn, now, user_id, &family))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Ends every session of the caller, this one too, and every access token already issued.
#[utoipa::path(
    tag = "auth",
    path = "/me/sessions",
    responses((status = 204, description = "Every session ended")),
    security(("bearer" = []))
)]
#[delete("/me/sessions")]
pub async fn end_sessions(
    state: web::Data<AppState>,
    user: CurrentUser,
) -> Result<HttpResponse, ApiError> {
    user.require(Action::ManageOwnAccount)?;
    let now = state.clock.now_naive();
    let user_id = user.id;
    state
        .db
        .run(move |conn| sessions::end_all(conn, now, user_id))
        .await?;
    state.accounts.clear();
    Ok(HttpResponse::NoContent().finish())
}

/// The caller's sign-in history, newest first (staff accounts; an applicant's is empty).
#[utoipa::path(
    tag = "auth",
    path = "/me/sign-ins",
    responses((status = 200, description = "Sign-in attempts", body = [SignInEntry])),
    security(("bearer" = []))
)]
#[get("/me/sign-ins")]
pub async fn own_sign_ins(
    state: web::Data<AppState>,
    user: CurrentUser,
) -> Result<web::Json<Vec<SignInEntry>>, ApiError> {
    user.require(Action::ReadOwnAccount)?;
    let user_id = user.id;
    let events = state
        .db
        .run(move |conn| history::list(conn, user_id))
        .await?;
    Ok(web::Json(
        events.into_iter().map(SignInEntry::from).collect(),
    ))
}

/// A user's sign-in history, newest first (administrators).
#[utoipa::path(
    tag = "users",
    path = "/users/{id}/sign-ins",
    params(("id" = i64, Path, description = "User id")),
    responses(
        (status = 200, description = "Sign-in attempts", body = [SignInEntry]),
        (status = 404, description = "`not_found`", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[get("/users/{id}/sign-ins")]
pub async fn user_sign_ins(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: web::Path<i64>,
) -> Result<web::Json<Vec<SignInEntry>>, ApiError> {
    user.require(Action::ManageUsers)?;
    let user_id = id.into_inner();
    let events = state
        .db
        .run(move |conn| {
            UserRow::find(conn, user_id)?;
            history::list(conn, user_id)
        })
        .await?;
    Ok(web::Json(
        events.into_iter().map(SignInEntry::from).collect(),
    ))
}

/// Ends every session of a user, and every access token already issued (administrators).
#[utoipa::path(
    tag = "users",
    path = "/users/{id}/sessions",
    params(("id" = i64, Path, description = "User id")),
    responses(
        (status = 204, description = "Every session ended"),
        (status = 404, description = "`not_found`", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[delete("/users/{id}/sessions")]
pub async fn end_user_sessions(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    user.require(Action::ManageUsers)?;
    let now = state.clock.now_naive();
    let (actor, user_id) = (user.id, id.into_inner());
    state
        .db
        .run(move |conn| {
            UserRow::find(conn, user_id)?;
            sessions::end_all(conn, now, user_id)?;
            crate::audit::record(
                conn,
                now,
                crate::audit::Change::new(Some(actor), "user", user_id, "sessions_ended"),
            )
        })
        .await?;
    state.accounts.clear();
    Ok(HttpResponse::NoContent().finish())
}

pub fn configure(cfg: &mut impl crate::http::Routes) {
    cfg.service(status)
        .service(begin)
        .service(confirm)
        .service(disable)
        .service(step_up)
        .service(list_sessions)
        .service(end_sessions)
        .service(end_session)
        .service(own_sign_ins)
        .service(user_sign_ins)
        .service(end_user_sessions);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each example the contract shows is a body its operation accepts.
    #[test]
    fn examples_are_accepted_bodies() {
        serde_json::from_value::<ConfirmRequest>(examples::confirm())
            .expect("POST /me/mfa/confirm");
        serde_json::from_value::<ProofRequest>(examples::proof()).expect("POST /auth/step-up");
        serde_json::from_value::<ProofRequest>(examples::recovery()).expect("recovery code");
    }
}
