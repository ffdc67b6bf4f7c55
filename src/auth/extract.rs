//! The authenticated caller, extracted from `Authorization: Bearer <token>`: the actix side of
//! [`CurrentUser`].

use std::future::Future;
use std::pin::Pin;

use actix_web::{FromRequest, HttpRequest, dev::Payload, http::header, web};

use crate::auth::cache::Account;
use crate::caller::CurrentUser;
use crate::error::{ApiError, ErrorCode};
use crate::state::AppState;

impl FromRequest for CurrentUser {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let token = bearer_token(req);
        let method = req.method().clone();
        let pattern = req.match_pattern();
        Box::pin(async move {
            let state = state.ok_or_else(|| ApiError::internal("application state missing"))?;
            let token = token?;
            let token = state.jwt.verify(&token, state.clock.now())?;
            let user = account(&state, token.user_id).await?;
            check_active(&user)?;
            // Disabling the account or resetting its password moves it to a new generation, and a
            // password change ends every session that began before it.
            if token.generation != user.session_generation
                || token.issued_at < user.password_changed_at.and_utc().timestamp()
            {
                return Err(invalid_token());
            }
            crate::access::check(method.as_str(), pattern.as_deref(), user.role)?;
            check_enrolled(&state, &user, method.as_str(), pattern.as_deref())?;
            let mut caller = CurrentUser::from(user);
            caller.factor_at = token
                .factor_at
                .and_then(|at| chrono::DateTime::from_timestamp(at, 0));
            Ok(caller)
        })
    }
}

/// The caller of a public route: `None` without an `Authorization` header. A header that is
/// present must hold a valid token (401 otherwise), so a client never silently loses its rights.
#[derive(Clone, Debug)]
pub struct OptionalUser(pub Option<CurrentUser>);

impl FromRequest for OptionalUser {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        if req.headers().contains_key(header::AUTHORIZATION) {
            let user = CurrentUser::from_request(req, payload);
            Box::pin(async move { Ok(OptionalUser(Some(user.await?))) })
        } else {
            Box::pin(async { Ok(OptionalUser(None)) })
        }
    }
}

/// The account of a user, from the cache of recently read accounts or the database. A user who
/// no longer exists answers as an invalid token.
pub async fn account(state: &AppState, user_id: i64) -> Result<Account, ApiError> {
    if let Some(account) = state.accounts.get(user_id) {
        return Ok(account);
    }
    let read_at = std::time::Instant::now();
    let account = state
        .db
        .run(move |conn| Account::find(conn, user_id))
        .await
        .map_err(|e| match e {
            ApiError::NotFound => invalid_token(),
            other => other,
        })?;
    state.accounts.put(read_at, account.clone());
    Ok(account)
}

/// The routes a user who must have a second factor, and has none yet, may still call: enrolling
/// one, reading their own account and ending their sessions.
const BEFORE_ENROLMENT: &[(&str, &str)] = &[
    ("GET", "/me"),
    ("GET", "/me/mfa"),
    ("POST", "/me/mfa"),
    ("POST", "/me/mfa/confirm"),
    ("DELETE", "/me/sessions"),
    ("DELETE", "/me/sessions/{id}"),
];

/// 403 `mfa_enrolment_required` when the account's role must sign in with a second factor, it
/// has none, and the route is not one of [`BEFORE_ENROLMENT`].
pub fn check_enrolled(
    state: &AppState,
    account: &Account,
    method: &str,
    pattern: Option<&str>,
) -> Result<(), ApiError> {
    if account.mfa_enrolled || !state.settings.mfa_required_roles.contains(&account.role) {
        return Ok(());
    }
    let path = pattern.map(|p| p.strip_prefix(crate::access::API_PREFIX).unwrap_or(p));
    if path.is_some_and(|path| BEFORE_ENROLMENT.contains(&(method, path))) {
        return Ok(());
    }
    Err(ApiError::coded(
        ErrorCode::MfaEnrolmentRequired,
        "Your role must sign in with a second factor: set one up at POST /me/mfa first.",
    ))
}

/// 401 for a disabled account.
pub fn check_active(account: &Account) -> Result<(), ApiError> {
    if account.active {
        Ok(())
    } else {
        Err(ApiError::unauthorized(
            ErrorCode::AccountDisabled,
            "This account is disabled.",
        ))
    }
}

fn invalid_token() -> ApiError {
    ApiError::unauthorized(ErrorCode::InvalidToken, "The access token is not valid.")
}

fn bearer_token(req: &HttpRequest) -> Result<String, ApiError> {
    let value = req.headers().get(header::AUTHORIZATION).ok_or_else(|| {
        ApiError::unauthorized(
            ErrorCode::MissingToken,
            "Sign in and send `Authorization: Bearer <access_token>`.",
        )
    })?;
    let text = value.to_str().map_err(|_| invalid_token())?;
    match text.split_once(' ') {
        Some((scheme, token))
            if scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty() =>
        {
            Ok(token.trim().to_owned())
        }
        _ => Err(invalid_token()),
    }
}
