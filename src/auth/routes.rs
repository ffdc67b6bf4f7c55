//! `/auth/*` and `/me` handlers.

use actix_web::{HttpRequest, HttpResponse, get, post, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::examples;
use crate::auth::jwt::CHALLENGE_TTL_SECONDS;
use crate::auth::model::{NewAccount, RegisterRequest, RegisterResponse};
use crate::auth::service::{self, TokenPair};
use crate::caller::CurrentUser;
use crate::db::DbConnection;
use crate::error::{ApiError, Problem};
use crate::http::{Json, UnauthenticatedWrite, origin_of, run};
use crate::organisations::model::{Organisation, OrganisationRow};
use crate::state::AppState;
use crate::usecases::accounts::{
    self, ask_for_password_reset, register_organisation, reset_password,
};
use crate::usecases::second_factor::{
    PasswordChecked, issue_tokens, proof, sign_in_with_password, sign_in_with_second_factor,
};
use crate::users::api::User;
use crate::users::model::UserRow;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    pub email: String,
    #[schema(format = Password)]
    pub password: String,
}

/// The answer to a right password: tokens (`status: signed_in`), or, for an account with a
/// second factor, a challenge to send with a code to `POST /auth/login/mfa`
/// (`status: mfa_required`).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(untagged)]
pub enum LoginResponse {
    SignedIn(SignedIn),
    MfaRequired(MfaChallenge),
}

/// Always `signed_in`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SignedInStatus {
    SignedIn,
}

/// Always `mfa_required`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum MfaRequiredStatus {
    MfaRequired,
}

/// Signed in: the account has no second factor.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct SignedIn {
    pub status: SignedInStatus,
    /// Send as `Authorization: Bearer <access_token>`.
    pub access_token: String,
    /// Always `Bearer`.
    pub token_type: String,
    /// Seconds until the access token expires.
    pub expires_in: u64,
    /// Single use: exchange it at `/auth/refresh` for a new pair.
    pub refresh_token: String,
}

impl From<TokenPair> for SignedIn {
    fn from(pair: TokenPair) -> Self {
        SignedIn {
            status: SignedInStatus::SignedIn,
            access_token: pair.access_token,
            token_type: "Bearer".to_owned(),
            expires_in: pair.expires_in,
            refresh_token: pair.refresh_token,
        }
    }
}

/// The password was right; a code from the authenticator app is still needed.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct MfaChallenge {
    pub status: MfaRequiredStatus,
    /// Send with the code to `POST /auth/login/mfa`. Worth nothing on its own.
    pub challenge: String,
    /// Seconds until the challenge expires and the password must be entered again.
    pub expires_in: u64,
}

/// The second step of signing in: the challenge and either a code or a recovery code.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginMfaRequest {
    /// The challenge `POST /auth/login` answered.
    pub challenge: String,
    /// The 6-digit code the authenticator app shows now.
    #[schema(pattern = r"^\s*[0-9]{3}\s*[0-9]{3}\s*$")]
    pub code: Option<String>,
    /// One of the recovery codes given at enrolment, instead of a code; each works once.
    pub recovery_code: Option<String>,
}

/// Tokens for a session.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct TokenResponse {
    /// Send as `Authorization: Bearer <access_token>`.
    pub access_token: String,
    /// Always `Bearer`.
    pub token_type: String,
    /// Seconds until the access token expires.
    pub expires_in: u64,
    /// Single use: exchange it at `/auth/refresh` for a new pair. Reusing a spent one ends the
    /// whole session family.
    pub refresh_token: String,
}

impl From<TokenPair> for TokenResponse {
    fn from(pair: TokenPair) -> Self {
        TokenResponse {
            access_token: pair.access_token,
            token_type: "Bearer".to_owned(),
            expires_in: pair.expires_in,
            refresh_token: pair.refresh_token,
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RefreshRequest {
    pub refresh_token: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordResetRequest {
    pub email: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordResetConfirm {
    /// The code from the reset email.
    pub token: String,
    /// The new password, at least 12 characters.
    #[schema(format = Password, min_length = 12, max_length = 256)]
    pub password: String,
}

/// The answer to a reset request, the same whether or not the email has an account.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Accepted {
    pub detail: String,
}

/// The signed-in user and, for an applicant, their organisation.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Me {
    pub user: User,
    pub organisation: Option<Organisation>,
}

/// Registers an organisation and its first applicant user, in one transaction, and sends a
/// welcome email.
#[utoipa::path(
    tag = "auth",
    request_body(content = RegisterRequest, example = json!(examples::register())),
    responses(
        (status = 201, description = "Registered", body = RegisterResponse),
        (status = 409, description = "`email_taken` or `organisation_exists`", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "`too_many_requests`: too many registrations from this client or for this email; see `Retry-After`", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/auth/register")]
pub async fn register(
    _write: UnauthenticatedWrite,
    state: web::Data<AppState>,
    body: Json<RegisterRequest>,
) -> Result<HttpResponse, ApiError> {
    let registered = register_organisation(&state, body.0).await?;
    Ok(HttpResponse::Created().json(registered))
}

/// Registers a claimant of the family fund: the partner, other parent or main carer of a woman
/// in a Mother and Baby Unit, as an individual of no organisation, and sends a welcome email.
#[utoipa::path(
    tag = "auth",
    request_body(content = NewAccount, example = json!(examples::register_claimant())),
    responses(
        (status = 201, description = "Registered", body = User),
        (status = 409, description = "`email_taken`", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`validation_failed`: every field in error", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "`too_many_requests`: too many registrations from this client or for this email; see `Retry-After`", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/auth/register-claimant")]
pub async fn register_claimant(
    _write: UnauthenticatedWrite,
    state: web::Data<AppState>,
    body: Json<NewAccount>,
) -> Result<HttpResponse, ApiError> {
    let user = accounts::register_claimant(&state, body.0).await?;
    Ok(HttpResponse::Created().json(user))
}

/// Signs in with email and password. An account with a second factor answers `mfa_required`
/// with a challenge for `POST /auth/login/mfa`; any other is signed in. Limited per client and
/// per account.
#[utoipa::path(
    tag = "auth",
    request_body(content = LoginRequest, example = json!(examples::login())),
    responses(
        (status = 200, description = "Signed in (`status: signed_in`), or a code is still needed (`status: mfa_required`)", body = LoginResponse),
        (status = 401, description = "`invalid_credentials`", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "`too_many_requests`: too many attempts; see `Retry-After`", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/auth/login")]
pub async fn login(
    _write: UnauthenticatedWrite,
    req: HttpRequest,
    state: web::Data<AppState>,
    body: Json<LoginRequest>,
) -> Result<web::Json<LoginResponse>, ApiError> {
    let LoginRequest { email, password } = body.0;
    let origin = origin_of(&req, &state.settings);
    match sign_in_with_password(&state, &origin, email, password).await? {
        PasswordChecked::SignedIn(user) => {
            let pair = issue_tokens(&state, &origin, user, false).await?;
            Ok(web::Json(LoginResponse::SignedIn(pair.into())))
        }
        PasswordChecked::Challenge(challenge) => {
            Ok(web::Json(LoginResponse::MfaRequired(MfaChallenge {
                status: MfaRequiredStatus::MfaRequired,
                challenge,
                expires_in: u64::try_from(CHALLENGE_TTL_SECONDS).unwrap_or(0),
            })))
        }
    }
}

/// Finishes signing in with the challenge and a code from the authenticator app (or a recovery
/// code). A wrong or used code and an expired challenge get the same answer. Limited per client
/// and per account, like passwords.
#[utoipa::path(
    tag = "auth",
    path = "/auth/login/mfa",
    request_body(content = LoginMfaRequest, example = json!(examples::login_mfa())),
    responses(
        (status = 200, description = "Signed in", body = TokenResponse),
        (status = 401, description = "`invalid_mfa_code`", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`validation_failed`: neither or both of `code` and `recovery_code`", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "`too_many_requests`: too many attempts; see `Retry-After`", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/auth/login/mfa")]
pub async fn login_mfa(
    _write: UnauthenticatedWrite,
    req: HttpRequest,
    state: web::Data<AppState>,
    body: Json<LoginMfaRequest>,
) -> Result<web::Json<TokenResponse>, ApiError> {
    let LoginMfaRequest {
        challenge,
        code,
        recovery_code,
    } = body.0;
    let origin = origin_of(&req, &state.settings);
    let proof = proof(code, recovery_code)?;
    let user = sign_in_with_second_factor(&state, &origin, &challenge, proof).await?;
    let pair = issue_tokens(&state, &origin, user, true).await?;
    Ok(web::Json(pair.into()))
}

/// Runs a rule that issues a token pair with the service's keys and settings, and answers the
/// pair.
async fn issue<F>(
    state: &web::Data<AppState>,
    rule: F,
) -> Result<web::Json<TokenResponse>, ApiError>
where
    F: FnOnce(&mut DbConnection, DateTime<Utc>, &AppState) -> Result<TokenPair, ApiError>
        + Send
        + 'static,
{
    let app = state.clone();
    let pair = run(state, move |conn, now| rule(conn, now.and_utc(), &app)).await?;
    Ok(web::Json(pair.into()))
}

/// Exchanges a refresh token for a new access token and refresh token.
#[utoipa::path(
    tag = "auth",
    request_body(content = RefreshRequest, example = json!(examples::refresh())),
    responses(
        (status = 200, description = "New tokens", body = TokenResponse),
        (status = 401, description = "`invalid_refresh_token`, `refresh_token_reused` or `account_disabled`", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "`too_many_requests`: too many unauthenticated writes from this client; see `Retry-After`", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/auth/refresh")]
pub async fn refresh(
    _write: UnauthenticatedWrite,
    state: web::Data<AppState>,
    body: Json<RefreshRequest>,
) -> Result<web::Json<TokenResponse>, ApiError> {
    let presented = body.0.refresh_token;
    issue(&state, move |conn, now, app| {
        service::refresh(conn, now, &presented, &app.jwt, &app.settings)
    })
    .await
}

/// Asks for a password reset email. The answer is the same whether or not the email has an
/// account. Limited per client and per account.
#[utoipa::path(
    tag = "auth",
    path = "/auth/password-reset/request",
    request_body(content = PasswordResetRequest, example = json!(examples::request_password_reset())),
    responses(
        (status = 202, description = "If the account exists, an email is on its way", body = Accepted),
        (status = 429, description = "`too_many_requests`: too many attempts; see `Retry-After`", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/auth/password-reset/request")]
pub async fn request_password_reset(
    write: UnauthenticatedWrite,
    state: web::Data<AppState>,
    body: Json<PasswordResetRequest>,
) -> Result<HttpResponse, ApiError> {
    ask_for_password_reset(&state, &write.client, body.0.email).await?;
    Ok(HttpResponse::Accepted().json(Accepted {
        detail: "If an account has this email, a reset link has been sent to it.".to_owned(),
    }))
}

/// Sets a new password with the code from a reset email. Ends every session of the account.
#[utoipa::path(
    tag = "auth",
    path = "/auth/password-reset/confirm",
    request_body(content = PasswordResetConfirm, example = json!(examples::confirm_password_reset())),
    responses(
        (status = 204, description = "Password changed"),
        (status = 400, description = "`reset_token_invalid`: unknown, used or expired", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "`too_many_requests`: too many unauthenticated writes from this client; see `Retry-After`", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/auth/password-reset/confirm")]
pub async fn confirm_password_reset(
    _write: UnauthenticatedWrite,
    state: web::Data<AppState>,
    body: Json<PasswordResetConfirm>,
) -> Result<HttpResponse, ApiError> {
    let PasswordResetConfirm { token, password } = body.0;
    reset_password(&state, token, password).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The signed-in user.
#[utoipa::path(
    tag = "auth",
    responses((status = 200, description = "The signed-in user", body = Me)),
    security(("bearer" = []))
)]
#[get("/me")]
pub async fn me(state: web::Data<AppState>, user: CurrentUser) -> Result<web::Json<Me>, ApiError> {
    let me = state
        .db
        .run(move |conn| {
            let row = UserRow::find(conn, user.id)?;
            let organisation = match row.organisation_id {
                Some(id) => {
                    let boards = OrganisationRow::health_boards(conn, id)?;
                    Some(OrganisationRow::find(conn, id)?.into_api(boards)?)
                }
                None => None,
            };
            Ok(Me {
                user: User::try_from(row)?,
                organisation,
            })
        })
        .await?;
    Ok(web::Json(me))
}

pub fn configure(cfg: &mut impl crate::http::Routes) {
    cfg.service(register)
        .service(register_claimant)
        .service(login)
        .service(login_mfa)
        .service(refresh)
        .service(request_password_reset)
        .service(confirm_password_reset)
        .service(me);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each example the contract shows is a body its operation accepts.
    #[test]
    fn examples_are_accepted_bodies() {
        serde_json::from_value::<RegisterRequest>(examples::register())
            .expect("POST /auth/register");
        serde_json::from_value::<NewAccount>(examples::register_claimant())
            .expect("POST /auth/register-claimant");
        serde_json::from_value::<LoginRequest>(examples::login()).expect("POST /auth/login");
        serde_json::from_value::<LoginMfaRequest>(examples::login_mfa())
            .expect("POST /auth/login/mfa");
        serde_json::from_value::<RefreshRequest>(examples::refresh()).expect("POST /auth/refresh");
        serde_json::from_value::<PasswordResetRequest>(examples::request_password_reset())
            .expect("POST /auth/password-reset/request");
        serde_json::from_value::<PasswordResetConfirm>(examples::confirm_password_reset())
            .expect("POST /auth/password-reset/confirm");
    }
}
