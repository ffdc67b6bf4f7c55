//! Signing in with a second factor, stepping up, enrolling and leaving: the one path for the API
//! and the portal, each within the sign-in limits and recorded in staff accounts' history.

use chrono::{DateTime, Utc};

use crate::auth::service::{self, SessionStart, TokenPair};
use crate::caller::CurrentUser;
use crate::crypto::Keyring;
use crate::db::DbConnection;
use crate::domain::vocabulary::SignInOutcome;
use crate::error::ApiError;
use crate::mfa::history::{self, Origin};
use crate::mfa::service::{self as mfa, Enrolment, Proof};
use crate::state::AppState;
use crate::usecases::accounts::check_credentials;
use crate::users::model::UserRow;

/// What a right password leads to.
#[derive(Debug)]
pub enum PasswordChecked {
    /// The account has no second factor: signed in.
    SignedIn(UserRow),
    /// The account has one: this challenge goes with the code to finish signing in.
    Challenge(String),
}

/// The first step of signing in: the password. An account with a second factor gets a
/// challenge, which is worth nothing without a code; any other is signed in.
pub async fn sign_in_with_password(
    state: &AppState,
    origin: &Origin,
    email: String,
    password: String,
) -> Result<PasswordChecked, ApiError> {
    let user = check_credentials(state, origin, email, password).await?;
    let now = state.clock.now();
    let jwt = state.jwt.clone();
    let origin = origin.clone();
    state
        .db
        .run(move |conn| {
            if mfa::status(conn, user.id)?.enrolled {
                let challenge = jwt.issue_challenge(user.id, user.session_generation, now)?;
                return Ok(PasswordChecked::Challenge(challenge));
            }
            signed_in(conn, now, &user, &origin)?;
            Ok(PasswordChecked::SignedIn(user))
        })
        .await
}

/// Records in the account's history that it signed in.
fn signed_in(
    conn: &mut DbConnection,
    now: DateTime<Utc>,
    user: &UserRow,
    origin: &Origin,
) -> Result<(), ApiError> {
    history::record(
        conn,
        now.naive_utc(),
        user.id,
        user.role,
        SignInOutcome::Success,
        origin,
    )
}

/// Reads the proof of a second factor from a code or a recovery code: exactly one of them.
pub fn proof(code: Option<String>, recovery_code: Option<String>) -> Result<Proof, ApiError> {
    let code = code.filter(|c| !c.trim().is_empty());
    let recovery_code = recovery_code.filter(|c| !c.trim().is_empty());
    match (code, recovery_code) {
        (Some(code), None) => Ok(Proof::Code(code)),
        (None, Some(recovery)) => Ok(Proof::RecoveryCode(recovery)),
        (Some(_), Some(_)) => Err(ApiError::invalid(
            "recovery_code",
            "Send a code or a recovery code, not both.",
        )),
        (None, None) => Err(ApiError::invalid(
            "code",
            "Enter the 6-digit code from your authenticator app.",
        )),
    }
}

/// The second step of signing in: the challenge and a proof. A wrong code, a used one and an
/// expired challenge get the same answer; failures count against the account and the client
/// like wrong passwords.
pub async fn sign_in_with_second_factor(
    state: &AppState,
    origin: &Origin,
    challenge: &str,
    proof: Proof,
) -> Result<UserRow, ApiError> {
    let now = state.clock.now();
    let Some((user_id, generation)) = state.jwt.verify_challenge(challenge, now) else {
        // Counted like a failure, so that guessing challenges costs the client its limit too.
        let attempt = state
            .limiter
            .begin_sign_in(&origin.client, "mfa-challenge")?;
        drop(attempt);
        return Err(mfa::invalid_code());
    };
    let user = checked_factor(state, origin, user_id, proof, Some(generation)).await?;
    let origin = origin.clone();
    state
        .db
        .run(move |conn| {
            signed_in(conn, now, &user, &origin)?;
            Ok(user)
        })
        .await
}

/// Checks and spends a proof of `user_id`'s factor within the limits, recording a failure; gives
/// the account. With `generation`, an account whose sessions were ended since is refused.
async fn checked_factor(
    state: &AppState,
    origin: &Origin,
    user_id: i64,
    proof: Proof,
    generation: Option<i64>,
) -> Result<UserRow, ApiError> {
    let key = format!("mfa-{user_id}");
    let attempt = match state.limiter.begin_sign_in(&origin.client, &key) {
        Ok(attempt) => attempt,
        Err(refused) => {
            record(state, origin, user_id, SignInOutcome::Lockout).await?;
            return Err(refused);
        }
    };
    let now = state.clock.now();
    let keyring = state.keyring.clone();
    let checked = state
        .db
        .run(move |conn| {
            let user = UserRow::find(conn, user_id)?;
            let current = generation.is_none_or(|g| g == user.session_generation);
            if !user.active || !current {
                return Ok(None);
            }
            Ok(mfa::verify(conn, &keyring, now, &user, &proof)?.then_some(user))
        })
        .await
        .map_err(|e| match e {
            ApiError::NotFound => mfa::invalid_code(),
            other => other,
        })?;
    match checked {
        Some(user) => {
            state.limiter.signed_in(attempt);
            Ok(user)
        }
        None => {
            record(state, origin, user_id, SignInOutcome::MfaFailure).await?;
            Err(mfa::invalid_code())
        }
    }
}

async fn record(
    state: &AppState,
    origin: &Origin,
    user_id: i64,
    outcome: SignInOutcome,
) -> Result<(), ApiError> {
    let now = state.clock.now_naive();
    let origin = origin.clone();
    state
        .db
        .run(move |conn| match UserRow::find(conn, user_id) {
            Ok(user) => history::record(conn, now, user.id, user.role, outcome, &origin),
            Err(ApiError::NotFound) => Ok(()),
            Err(other) => Err(other),
        })
        .await
}

/// Issues API tokens for a user who has just signed in, noting the second factor if one was
/// entered.
pub async fn issue_tokens(
    state: &AppState,
    origin: &Origin,
    user: UserRow,
    with_factor: bool,
) -> Result<TokenPair, ApiError> {
    let now = state.clock.now();
    let start = SessionStart {
        user_agent: origin.user_agent.clone(),
        factor_at: with_factor.then_some(now.naive_utc()),
    };
    let jwt = state.jwt.clone();
    let settings = state.settings.clone();
    state
        .db
        .run(move |conn| service::login(conn, now, &user, &start, &jwt, &settings))
        .await
}

/// Checks a proof of the caller's factor again and gives a new access token that says so: the
/// way into the actions that need a recent factor.
pub async fn step_up(
    state: &AppState,
    origin: &Origin,
    user: &CurrentUser,
    proof: Proof,
) -> Result<(String, u64), ApiError> {
    let account = checked_factor(state, origin, user.id, proof, None).await?;
    let now = state.clock.now();
    let token =
        state
            .jwt
            .issue_with_factor(account.id, account.session_generation, now, Some(now))?;
    Ok((token, state.jwt.ttl().as_secs()))
}

/// As [`step_up`], for a portal session: the session row notes the factor.
pub async fn step_up_session(
    state: &AppState,
    origin: &Origin,
    user: &CurrentUser,
    session: String,
    proof: Proof,
) -> Result<(), ApiError> {
    checked_factor(state, origin, user.id, proof, None).await?;
    let now = state.clock.now_naive();
    state
        .db
        .run(move |conn| service::step_up_session(conn, now, &session))
        .await
}

/// Starts an enrolment for the caller.
pub async fn begin_enrolment(state: &AppState, user: &CurrentUser) -> Result<Enrolment, ApiError> {
    let now = state.clock.now_naive();
    with_account(state, user, move |conn, keyring, user| {
        mfa::begin_enrolment(conn, keyring, now, user)
    })
    .await
}

/// Confirms the caller's enrolment with a code; gives the recovery codes, this once.
pub async fn confirm_enrolment(
    state: &AppState,
    user: &CurrentUser,
    code: String,
) -> Result<Vec<String>, ApiError> {
    let now = state.clock.now();
    let codes = with_account(state, user, move |conn, keyring, user| {
        mfa::confirm_enrolment(conn, keyring, now, user, &code)
    })
    .await?;
    state.accounts.clear();
    Ok(codes)
}

/// Turns the caller's second factor off, with a current code as proof.
pub async fn disable(
    state: &AppState,
    origin: &Origin,
    user: &CurrentUser,
    proof: Proof,
) -> Result<(), ApiError> {
    let key = format!("mfa-{}", user.id);
    let attempt = state.limiter.begin_sign_in(&origin.client, &key)?;
    let now = state.clock.now();
    with_account(state, user, move |conn, keyring, user| {
        mfa::disable(conn, keyring, now, user, &proof)
    })
    .await?;
    state.limiter.signed_in(attempt);
    state.accounts.clear();
    Ok(())
}

/// Runs `work` on the caller's account row, with the keys that seal its factor.
async fn with_account<T: Send + 'static>(
    state: &AppState,
    user: &CurrentUser,
    work: impl FnOnce(&mut DbConnection, &Keyring, &UserRow) -> Result<T, ApiError> + Send + 'static,
) -> Result<T, ApiError> {
    let keyring = state.keyring.clone();
    let user_id = user.id;
    state
        .db
        .run(move |conn| {
            let account = UserRow::find(conn, user_id)?;
            work(conn, &keyring, &account)
        })
        .await
}

/// When a factor entered at `at` stops counting for the actions that need a recent one.
pub fn step_up_expires(at: DateTime<chrono::Utc>) -> DateTime<chrono::Utc> {
    at + crate::caller::STEP_UP_WINDOW
}
