//! Signing in, registering an organisation with its first user, and resetting a password: the
//! one path for the API and the portal, each within its rate limits.

use crate::auth::model::{NewAccount, RegisterRequest, RegisterResponse};
use crate::auth::{password, service};
use crate::domain::identifiers::{Email, check_new_password};
use crate::domain::vocabulary::Role;
use crate::domain::vocabulary::SignInOutcome;
use crate::error::{ApiError, ErrorCode, Validator};
use crate::mfa::history::{self, Origin};
use crate::organisations::model::{OrganisationDetails, OrganisationRow};
use crate::state::AppState;
use crate::users::api::User;
use crate::users::model::UserRow;
use crate::users::service::{NewUser, Place};

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
                place: Place::default(),
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

/// Checks a claimant's registration and, when every field passes, creates the account: the one
/// path for the API and the portal, limited like an organisation's registration.
pub async fn register_claimant(state: &AppState, account: NewAccount) -> Result<User, ApiError> {
    state.limiter.check_account("register", &account.email)?;
    let mut v = Validator::new();
    let name = v.text("name", &account.name, 1, 200);
    let email = v.check("email", Email::parse(&account.email));
    v.check("password", check_new_password(&account.password));
    v.finish()?;
    let (Some(name), Some(email)) = (name, email) else {
        return Err(ApiError::internal(
            "registration passed with a missing value",
        ));
    };
    let now = state.clock.now_naive();
    let public_url = state.settings.public_url.clone();
    state
        .db
        .run(move |conn| {
            let claimant = NewUser {
                email,
                name,
                role: Role::Claimant,
                place: Place::default(),
                password_hash: password::hash(&account.password)?,
            };
            service::register_claimant(conn, now, claimant, &public_url)
        })
        .await
}

/// Checks an email and password within the sign-in limits: the one path for the API and the
/// portal. A failure counts against the account and this client; a success does not. A wrong
/// password and a refusal by the limits are kept in a staff account's sign-in history.
pub async fn check_credentials(
    state: &AppState,
    origin: &Origin,
    email: String,
    password: String,
) -> Result<UserRow, ApiError> {
    let attempt = match state.limiter.begin_sign_in(&origin.client, &email) {
        Ok(attempt) => attempt,
        Err(refused) => {
            record_for_email(state, origin, email, SignInOutcome::Lockout).await?;
            return Err(refused);
        }
    };
    let checked = {
        let email = email.clone();
        state
            .db
            .run(move |conn| service::authenticate(conn, &email, &password))
            .await
    };
    match checked {
        Ok(user) => {
            state.limiter.signed_in(attempt);
            Ok(user)
        }
        Err(refused) => {
            if refused.code() == ErrorCode::InvalidCredentials {
                record_for_email(state, origin, email, SignInOutcome::Failure).await?;
            }
            Err(refused)
        }
    }
}

/// Records an attempt in the history of the account of `email`, if there is one.
async fn record_for_email(
    state: &AppState,
    origin: &Origin,
    email: String,
    outcome: SignInOutcome,
) -> Result<(), ApiError> {
    let Ok(email) = Email::parse(&email) else {
        return Ok(());
    };
    let now = state.clock.now_naive();
    let origin = origin.clone();
    state
        .db
        .run(
            move |conn| match UserRow::find_by_email(conn, email.as_str())? {
                Some(user) => history::record(conn, now, user.id, user.role, outcome, &origin),
                None => Ok(()),
            },
        )
        .await
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
