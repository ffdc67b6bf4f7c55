//! `/auth/*` and `/me` handlers.

use actix_web::{HttpResponse, get, post, web};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::password;
use crate::auth::service::{self, TokenPair};
use crate::caller::CurrentUser;
use crate::domain::identifiers::{Email, check_new_password};
use crate::domain::vocabulary::Role;
use crate::error::{ApiError, Problem, Validator};
use crate::http::{Json, UnauthenticatedWrite};
use crate::organisations::model::{
    Organisation, OrganisationDetails, OrganisationInput, OrganisationRow,
};
use crate::state::AppState;
use crate::users::api::User;
use crate::users::model::UserRow;
use crate::users::service::NewUser;

/// The first user of a registering organisation.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewAccount {
    /// The person's name.
    #[schema(min_length = 1, max_length = 200, pattern = r"\S")]
    pub name: String,
    /// Their work email; it is their sign-in name.
    #[schema(format = Email, max_length = 254)]
    pub email: String,
    /// At least 12 characters.
    #[schema(format = Password, min_length = 12, max_length = 256)]
    pub password: String,
}

/// Registers an organisation with its first applicant user.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegisterRequest {
    pub organisation: OrganisationInput,
    pub user: NewAccount,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct RegisterResponse {
    pub organisation: Organisation,
    pub user: User,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    pub email: String,
    #[schema(format = Password)]
    pub password: String,
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
    request_body(content = RegisterRequest, example = json!({
        "organisation": {
            "name": "Bumps & Babies Fife",
            "type": "scio",
            "charity_number": "SC048123",
            "annual_income": "182500.00",
            "address": "12 High Street, Kirkcaldy",
            "postcode": "KY1 1LX",
            "health_boards": [
                "fife"
            ],
            "contact_email": "hello@bumps-and-babies.example.org",
            "website": "https://bumps-and-babies.example.org",
            "listed_in_directory": true
        },
        "user": {
            "name": "Morag Henderson",
            "email": "morag@bumps-and-babies.example.org",
            "password": "a kettle, two mugs and a long walk"
        }
    })),
    responses(
        (status = 201, description = "Registered", body = RegisterResponse),
        (status = 409, description = "`email_taken` or `organisation_exists`", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many registrations from this client or for this email; see `Retry-After`", body = Problem, content_type = "application/problem+json"),
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

/// Checks a registration and, when every field passes, registers the organisation with its
/// first applicant: the one path for the API and the portal. Its `email_taken` answer tells
/// whether an email has an account, so it is limited like sign-in: per client by the limit on
/// unauthenticated writes, which its handlers count first, and per email here.
pub async fn register_organisation(
    state: &AppState,
    request: RegisterRequest,
) -> Result<RegisterResponse, ApiError> {
    state
        .limiter
        .check_account("register", &request.user.email)?;
    let RegisterRequest { organisation, user } = request;
    let mut v = Validator::new();
    let details = OrganisationDetails::parse(&organisation, "organisation.", &mut v);
    let name = v.text("user.name", &user.name, 1, 200);
    let email = v.check("user.email", Email::parse(&user.email));
    v.check("user.password", check_new_password(&user.password));
    v.finish()?;
    let (Some(organisation), Some(name), Some(email)) = (details, name, email) else {
        return Err(ApiError::internal(
            "registration passed with a missing value",
        ));
    };
    let now = state.clock.now_naive();
    let public_url = state.settings.public_url.clone();
    let (organisation, user) = state
        .db
        .run(move |conn| {
            let applicant = NewUser {
                email,
                name,
                role: Role::Applicant,
                organisation_id: None,
                password_hash: password::hash(&user.password)?,
            };
            let (organisation, user) =
                service::register(conn, now, &organisation, applicant, &public_url)?;
            let boards = OrganisationRow::health_boards(conn, organisation.id)?;
            Ok((organisation.into_api(boards)?, user))
        })
        .await?;
    Ok(RegisterResponse { organisation, user })
}

/// Checks an email and password within the sign-in limits: the one path for the API and the
/// portal. A failure counts against the account and this client; a success does not.
pub async fn check_credentials(
    state: &AppState,
    client: &str,
    email: String,
    password: String,
) -> Result<UserRow, ApiError> {
    let attempt = state.limiter.begin_sign_in(client, &email)?;
    let user = state
        .db
        .run(move |conn| service::authenticate(conn, &email, &password))
        .await?;
    state.limiter.signed_in(attempt);
    Ok(user)
}

/// Asks for a reset email within the limits: the one path for the API and the portal. The
/// request is only recorded here, the same way for every email; the outbox worker sends the
/// email if the account exists.
pub async fn ask_for_password_reset(
    state: &AppState,
    client: &str,
    email: String,
) -> Result<(), ApiError> {
    state.limiter.check("password_reset", client, &email)?;
    let mut v = Validator::new();
    let email = v.check("email", Email::parse(&email));
    let email = v.finish_with(|| email)?;
    let now = state.clock.now();
    state
        .db
        .run(move |conn| service::request_password_reset(conn, now, &email))
        .await
}

/// Sets a new password from a reset code: the one path for the API and the portal.
pub async fn reset_password(
    state: &AppState,
    token: String,
    new_password: String,
) -> Result<(), ApiError> {
    let mut v = Validator::new();
    v.check("password", check_new_password(&new_password));
    v.finish()?;
    let now = state.clock.now();
    state
        .db
        .run(move |conn| {
            let hash = password::hash(&new_password)?;
            service::confirm_password_reset(conn, now, &token, &hash)
        })
        .await?;
    state.accounts.clear();
    Ok(())
}

/// Signs in with email and password. Limited per client and per account.
#[utoipa::path(
    tag = "auth",
    request_body(content = LoginRequest, example = json!({
        "email": "morag@bumps-and-babies.example.org",
        "password": "a kettle, two mugs and a long walk"
    })),
    responses(
        (status = 200, description = "Signed in", body = TokenResponse),
        (status = 401, description = "`invalid_credentials`", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many attempts; see `Retry-After`", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/auth/login")]
pub async fn login(
    write: UnauthenticatedWrite,
    state: web::Data<AppState>,
    body: Json<LoginRequest>,
) -> Result<web::Json<TokenResponse>, ApiError> {
    let LoginRequest { email, password } = body.0;
    let user = check_credentials(&state, &write.client, email, password).await?;
    let now = state.clock.now();
    let app = state.clone();
    let pair = state
        .db
        .run(move |conn| service::login(conn, now, &user, &app.jwt, &app.settings))
        .await?;
    Ok(web::Json(pair.into()))
}

/// Exchanges a refresh token for a new access token and refresh token.
#[utoipa::path(
    tag = "auth",
    request_body(content = RefreshRequest, example = json!({
        "refresh_token": "pX3vQ8rT1mK6wZ9yB2nC5dF7gH0jL4sA-eUoIqRtYuw"
    })),
    responses(
        (status = 200, description = "New tokens", body = TokenResponse),
        (status = 401, description = "`invalid_refresh_token`, `refresh_token_reused` or `account_disabled`", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many unauthenticated writes from this client; see `Retry-After`", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/auth/refresh")]
pub async fn refresh(
    _write: UnauthenticatedWrite,
    state: web::Data<AppState>,
    body: Json<RefreshRequest>,
) -> Result<web::Json<TokenResponse>, ApiError> {
    let presented = body.0.refresh_token;
    let now = state.clock.now();
    let app = state.clone();
    let pair = state
        .db
        .run(move |conn| service::refresh(conn, now, &presented, &app.jwt, &app.settings))
        .await?;
    Ok(web::Json(pair.into()))
}

/// Asks for a password reset email. The answer is the same whether or not the email has an
/// account. Limited per client and per account.
#[utoipa::path(
    tag = "auth",
    path = "/auth/password-reset/request",
    request_body(content = PasswordResetRequest, example = json!({
        "email": "morag@bumps-and-babies.example.org"
    })),
    responses(
        (status = 202, description = "If the account exists, an email is on its way", body = Accepted),
        (status = 429, description = "Too many attempts; see `Retry-After`", body = Problem, content_type = "application/problem+json"),
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
    request_body(content = PasswordResetConfirm, example = json!({
        "token": "Zk2Lm9Qw4Rt7Yp1Xs6Vb3Nc8Hd5Jf0Ga_eUoIqRtYuw",
        "password": "three herons on the Forth at dawn"
    })),
    responses(
        (status = 204, description = "Password changed"),
        (status = 400, description = "`reset_token_invalid`: unknown, used or expired", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many unauthenticated writes from this client; see `Retry-After`", body = Problem, content_type = "application/problem+json"),
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
        .service(login)
        .service(refresh)
        .service(request_password_reset)
        .service(confirm_password_reset)
        .service(me);
}
