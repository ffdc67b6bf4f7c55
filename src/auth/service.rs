//! Registration, sign-in, refresh-token rotation and password reset.

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde_json::json;

use crate::audit::{self, Change};
use crate::auth::jwt::JwtKeys;
use crate::auth::{password, tokens};
use crate::config::Settings;
use crate::db::schema::{password_reset_requests, password_resets, refresh_tokens, users};
use crate::db::{DbConnection, write_transaction};
use crate::domain::identifiers::Email;
use crate::domain::vocabulary::Role;
use crate::email::{messages, outbox};
use crate::error::{ApiError, ErrorCode};
use crate::organisations::model::{OrganisationDetails, OrganisationRow};
use crate::organisations::service as organisations;
use crate::users::api::User;
use crate::users::model::{UserChanges, UserRow};
use crate::users::service::{self as user_service, NewUser, Place, revoke_sessions};

/// A new access token and the refresh token that replaces the one presented.
#[derive(Debug)]
pub struct TokenPair {
    pub access_token: String,
    pub expires_in: u64,
    pub refresh_token: String,
}

/// Creates the organisation and its first applicant in one transaction, with the welcome email
/// and the audit entries.
pub fn register(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    organisation: &OrganisationDetails,
    mut applicant: NewUser,
    public_url: &str,
) -> Result<(OrganisationRow, User), ApiError> {
    write_transaction(conn, |conn| {
        let organisation = organisations::insert(conn, now, organisation)?;
        applicant.role = Role::Applicant;
        applicant.place = Place::organisation(organisation.id);
        let user = user_service::create(conn, now, None, &applicant)?;
        audit::record(
            conn,
            now,
            Change::new(Some(user.id), "organisation", organisation.id, "registered").after(
                json!({"name": organisation.name, "charity_number": organisation.charity_number}),
            ),
        )?;
        outbox::enqueue(
            conn,
            now,
            &messages::welcome(&user.email, &user.name, &organisation.name, public_url),
        )?;
        Ok((organisation, user))
    })
}

/// Creates a claimant of the family fund, an individual of no organisation, with the welcome
/// email and the audit entry.
pub fn register_claimant(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    mut claimant: NewUser,
    public_url: &str,
) -> Result<User, ApiError> {
    write_transaction(conn, |conn| {
        claimant.role = Role::Claimant;
        claimant.place = Place::default();
        let user = user_service::create(conn, now, None, &claimant)?;
        audit::record(
            conn,
            now,
            Change::new(Some(user.id), "user", user.id, "claimant_registered"),
        )?;
        outbox::enqueue(
            conn,
            now,
            &messages::welcome_claimant(&user.email, &user.name, public_url),
        )?;
        Ok(user)
    })
}

fn bad_credentials() -> ApiError {
    ApiError::unauthorized(
        ErrorCode::InvalidCredentials,
        "The email or password is not right.",
    )
}

/// Checks an email and password. The same answer, in about the same time, whether the account
/// is missing, disabled or the password wrong.
pub fn authenticate(
    conn: &mut DbConnection,
    email: &str,
    password_text: &str,
) -> Result<UserRow, ApiError> {
    let user = match Email::parse(email) {
        Ok(email) => UserRow::find_by_email(conn, email.as_str())?,
        Err(_) => None,
    };
    match user {
        Some(user) if password::verify(password_text, &user.password_hash) && user.active => {
            Ok(user)
        }
        Some(_) => Err(bad_credentials()),
        None => {
            password::verify_against_nothing(password_text);
            Err(bad_credentials())
        }
    }
}

/// How a new session began: the client that began it (kept for staff accounts only) and when a
/// second factor was last entered in it.
#[derive(Clone, Debug, Default)]
pub struct SessionStart {
    pub user_agent: Option<String>,
    pub factor_at: Option<NaiveDateTime>,
}

/// Issues an access token and a refresh token in a family (a new family at sign-in).
fn issue(
    conn: &mut DbConnection,
    now: DateTime<Utc>,
    user_id: i64,
    family: &str,
    start: &SessionStart,
    jwt: &JwtKeys,
    settings: &Settings,
) -> Result<TokenPair, ApiError> {
    let refresh_token = tokens::generate()?;
    let generation: i64 = users::table
        .find(user_id)
        .select(users::session_generation)
        .first(conn)?;
    let ttl = chrono::Duration::from_std(settings.refresh_token_ttl).map_err(ApiError::internal)?;
    diesel::insert_into(refresh_tokens::table)
        .values((
            refresh_tokens::user_id.eq(user_id),
            refresh_tokens::family.eq(family),
            refresh_tokens::token_hash.eq(tokens::hash(&refresh_token)),
            refresh_tokens::issued_at.eq(now.naive_utc()),
            refresh_tokens::expires_at.eq((now + ttl).naive_utc()),
            refresh_tokens::user_agent.eq(start.user_agent.as_deref()),
            refresh_tokens::factor_at.eq(start.factor_at),
        ))
        .execute(conn)?;
    Ok(TokenPair {
        access_token: jwt.issue_with_factor(
            user_id,
            generation,
            now,
            start.factor_at.map(|t| t.and_utc()),
        )?,
        expires_in: jwt.ttl().as_secs(),
        refresh_token,
    })
}

/// Signs a user in: a new token family.
pub fn login(
    conn: &mut DbConnection,
    now: DateTime<Utc>,
    user: &UserRow,
    start: &SessionStart,
    jwt: &JwtKeys,
    settings: &Settings,
) -> Result<TokenPair, ApiError> {
    let family = uuid::Uuid::new_v4().to_string();
    let start = SessionStart {
        user_agent: start
            .user_agent
            .clone()
            .filter(|_| user.role.works_for_a_fund()),
        factor_at: start.factor_at,
    };
    issue(conn, now, user.id, &family, &start, jwt, settings)
}

/// What rotation needs to know of a presented refresh token.
#[derive(Queryable)]
struct RefreshRow {
    id: i64,
    user_id: i64,
    family: String,
    expires_at: NaiveDateTime,
    revoked_at: Option<NaiveDateTime>,
    user_agent: Option<String>,
    factor_at: Option<NaiveDateTime>,
}

fn invalid_refresh() -> ApiError {
    ApiError::unauthorized(
        ErrorCode::InvalidRefreshToken,
        "The refresh token is not valid; sign in again.",
    )
}

/// What presenting a refresh token led to.
enum Rotation {
    Rotated(TokenPair),
    /// The token had already been used: someone holds a copy. The family is revoked.
    Reused {
        user_id: i64,
    },
}

/// Rotates a refresh token: the presented one is spent and a new one of the same family issued.
/// Presenting a spent token revokes its whole family (both the thief's and the owner's
/// sessions end), which is committed even though the request fails.
pub fn refresh(
    conn: &mut DbConnection,
    now: DateTime<Utc>,
    presented: &str,
    jwt: &JwtKeys,
    settings: &Settings,
) -> Result<TokenPair, ApiError> {
    let naive_now = now.naive_utc();
    let outcome = write_transaction(conn, |conn| {
        let row: RefreshRow = refresh_tokens::table
            .filter(refresh_tokens::token_hash.eq(tokens::hash(presented)))
            .select((
                refresh_tokens::id,
                refresh_tokens::user_id,
                refresh_tokens::family,
                refresh_tokens::expires_at,
                refresh_tokens::revoked_at,
                refresh_tokens::user_agent,
                refresh_tokens::factor_at,
            ))
            .first(conn)
            .optional()?
            .ok_or_else(invalid_refresh)?;
        if row.revoked_at.is_some() || row.expires_at <= naive_now {
            return Err(invalid_refresh());
        }
        // Spend the token only if nobody spent it first: of two concurrent refreshes, one wins.
        let spent = diesel::update(
            refresh_tokens::table
                .find(row.id)
                .filter(refresh_tokens::used_at.is_null()),
        )
        .set(refresh_tokens::used_at.eq(Some(naive_now)))
        .execute(conn)?;
        if spent == 0 {
            diesel::update(refresh_tokens::table.filter(refresh_tokens::family.eq(&row.family)))
                .filter(refresh_tokens::revoked_at.is_null())
                .set(refresh_tokens::revoked_at.eq(Some(naive_now)))
                .execute(conn)?;
            audit::record(
                conn,
                naive_now,
                Change::new(None, "user", row.user_id, "refresh_token_reused")
                    .after(json!({"family_revoked": true})),
            )?;
            return Ok(Rotation::Reused {
                user_id: row.user_id,
            });
        }
        let user = UserRow::find(conn, row.user_id)?;
        if !user.active {
            return Err(ApiError::unauthorized(
                ErrorCode::AccountDisabled,
                "This account is disabled.",
            ));
        }
        // The new pair carries on the family's client and its last second factor, so a refresh
        // neither forgets a step-up nor extends it.
        let start = SessionStart {
            user_agent: row.user_agent,
            factor_at: row.factor_at,
        };
        issue(conn, now, row.user_id, &row.family, &start, jwt, settings).map(Rotation::Rotated)
    })?;
    match outcome {
        Rotation::Rotated(pair) => Ok(pair),
        Rotation::Reused { user_id } => {
            tracing::warn!(
                user_id,
                "a spent refresh token was presented; its family is revoked"
            );
            Err(ApiError::unauthorized(
                ErrorCode::RefreshTokenReused,
                "This refresh token was already used; every session from it has ended. Sign in again.",
            ))
        }
    }
}

/// Records a password-reset request for the outbox worker and returns: one insert, the same
/// for every email, so neither the answer nor its timing tells whether the email has an
/// account. [`handle_reset_requests`] does the lookup, the token and the email later.
pub fn request_password_reset(
    conn: &mut DbConnection,
    now: DateTime<Utc>,
    email: &Email,
) -> Result<(), ApiError> {
    diesel::insert_into(password_reset_requests::table)
        .values((
            password_reset_requests::email.eq(email.as_str()),
            password_reset_requests::requested_at.eq(now.naive_utc()),
        ))
        .execute(conn)?;
    Ok(())
}

/// Handles every waiting reset request, oldest first: if its email belongs to an active account,
/// queues an email with a single-use token. Each request is taken and handled in one
/// transaction, so two workers never handle one twice and a crash leaves it waiting. Requests
/// older than a reset link's lifetime are dropped: the person will have asked again. Gives how
/// many requests were handled.
pub fn handle_reset_requests(
    conn: &mut DbConnection,
    now: DateTime<Utc>,
    settings: &Settings,
) -> Result<usize, ApiError> {
    let naive_now = now.naive_utc();
    let ttl =
        chrono::Duration::from_std(settings.password_reset_ttl).map_err(ApiError::internal)?;
    let mut handled = 0;
    loop {
        let next: Option<(i64, String, NaiveDateTime)> = password_reset_requests::table
            .order(password_reset_requests::id)
            .select((
                password_reset_requests::id,
                password_reset_requests::email,
                password_reset_requests::requested_at,
            ))
            .first(conn)
            .optional()?;
        let Some((id, email, requested_at)) = next else {
            return Ok(handled);
        };
        write_transaction(conn, |conn| {
            let taken = diesel::delete(password_reset_requests::table.find(id)).execute(conn)?;
            if taken == 0 || requested_at + ttl <= naive_now {
                return Ok(());
            }
            let Some(user) = UserRow::find_by_email(conn, &email)? else {
                return Ok(());
            };
            if !user.active {
                return Ok(());
            }
            send_reset_email(conn, naive_now, &user, settings)
        })?;
        handled += 1;
    }
}

/// Makes a single-use reset token for `user` and queues the email that carries it.
fn send_reset_email(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    user: &UserRow,
    settings: &Settings,
) -> Result<(), ApiError> {
    let ttl =
        chrono::Duration::from_std(settings.password_reset_ttl).map_err(ApiError::internal)?;
    let token = tokens::generate()?;
    diesel::insert_into(password_resets::table)
        .values((
            password_resets::user_id.eq(user.id),
            password_resets::token_hash.eq(tokens::hash(&token)),
            password_resets::created_at.eq(now),
            password_resets::expires_at.eq(now + ttl),
        ))
        .execute(conn)?;
    let minutes = settings.password_reset_ttl.as_secs() / 60;
    outbox::enqueue(
        conn,
        now,
        &messages::password_reset(
            &user.email,
            &user.name,
            &token,
            &settings.public_url,
            minutes,
        ),
    )?;
    audit::record(
        conn,
        now,
        Change::new(None, "user", user.id, "password_reset_requested"),
    )?;
    Ok(())
}

fn reset_token_invalid() -> ApiError {
    ApiError::bad_request(
        ErrorCode::ResetTokenInvalid,
        "This reset link is not valid, was already used or has expired. Ask for a new one.",
    )
}

/// Completes a password reset: spends the token, sets the new password, ends every session of
/// the account and every other outstanding reset token.
pub fn confirm_password_reset(
    conn: &mut DbConnection,
    now: DateTime<Utc>,
    token: &str,
    new_password_hash: &str,
) -> Result<(), ApiError> {
    let naive_now = now.naive_utc();
    write_transaction(conn, |conn| {
        let (reset_id, user_id): (i64, i64) = password_resets::table
            .filter(password_resets::token_hash.eq(tokens::hash(token)))
            .filter(password_resets::used_at.is_null())
            .filter(password_resets::expires_at.gt(naive_now))
            .select((password_resets::id, password_resets::user_id))
            .first(conn)
            .optional()?
            .ok_or_else(reset_token_invalid)?;
        let spent = diesel::update(
            password_resets::table
                .find(reset_id)
                .filter(password_resets::used_at.is_null()),
        )
        .set(password_resets::used_at.eq(Some(naive_now)))
        .execute(conn)?;
        if spent == 0 {
            return Err(reset_token_invalid());
        }
        let user = UserRow::find(conn, user_id)?;
        if !user.active {
            return Err(reset_token_invalid());
        }
        set_password(conn, naive_now, user_id, new_password_hash, Some(user_id))
    })
}

/// Sets an account's password, as a reset does: every outstanding reset token of the account is
/// spent, every session ends, and the change is recorded (`actor` `None` for the command line).
/// Runs inside the caller's transaction.
pub fn set_password(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    user_id: i64,
    new_password_hash: &str,
    actor: Option<i64>,
) -> Result<(), ApiError> {
    UserRow::update(
        conn,
        user_id,
        &UserChanges {
            password_hash: Some(new_password_hash.to_owned()),
            password_changed_at: Some(now),
            updated_at: Some(now),
            ..UserChanges::default()
        },
    )?;
    diesel::update(password_resets::table.filter(password_resets::user_id.eq(user_id)))
        .filter(password_resets::used_at.is_null())
        .set(password_resets::used_at.eq(Some(now)))
        .execute(conn)?;
    revoke_sessions(conn, user_id, now)?;
    audit::record(
        conn,
        now,
        Change::new(actor, "user", user_id, "password_reset"),
    )?;
    Ok(())
}

/// True when no user exists yet (the demo seeds only an empty database).
pub fn no_users(conn: &mut DbConnection) -> Result<bool, ApiError> {
    Ok(UserRow::count(conn)? == 0)
}

/// How long a portal session lasts at most, however long refresh tokens live.
pub const PORTAL_SESSION_TTL: std::time::Duration = std::time::Duration::from_secs(12 * 3600);

/// Starts a portal session for a signed-in user. The session is a refresh token of its own
/// family, held in an `HttpOnly` cookie: it ends when it expires, when the user signs out, and
/// with every other session when the password changes.
pub fn open_session(
    conn: &mut DbConnection,
    now: DateTime<Utc>,
    user_id: i64,
    start: &SessionStart,
    settings: &Settings,
) -> Result<String, ApiError> {
    let token = tokens::generate()?;
    let ttl = chrono::Duration::from_std(settings.refresh_token_ttl.min(PORTAL_SESSION_TTL))
        .map_err(ApiError::internal)?;
    diesel::insert_into(refresh_tokens::table)
        .values((
            refresh_tokens::user_id.eq(user_id),
            refresh_tokens::family.eq(format!("portal-{}", uuid::Uuid::new_v4())),
            refresh_tokens::token_hash.eq(tokens::hash(&token)),
            refresh_tokens::issued_at.eq(now.naive_utc()),
            refresh_tokens::expires_at.eq((now + ttl).naive_utc()),
            refresh_tokens::user_agent.eq(start.user_agent.as_deref()),
            refresh_tokens::factor_at.eq(start.factor_at),
        ))
        .execute(conn)?;
    Ok(token)
}

/// The user of a live portal session, if the token names one, with when a second factor was last
/// entered in it.
pub fn session_user(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    token: &str,
) -> Result<Option<(i64, Option<NaiveDateTime>)>, ApiError> {
    Ok(refresh_tokens::table
        .filter(refresh_tokens::token_hash.eq(tokens::hash(token)))
        .filter(refresh_tokens::revoked_at.is_null())
        .filter(refresh_tokens::used_at.is_null())
        .filter(refresh_tokens::expires_at.gt(now))
        .select((refresh_tokens::user_id, refresh_tokens::factor_at))
        .first(conn)
        .optional()?)
}

/// Notes in a live portal session that its holder has just entered their second factor again.
pub fn step_up_session(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    token: &str,
) -> Result<(), ApiError> {
    diesel::update(
        refresh_tokens::table
            .filter(refresh_tokens::token_hash.eq(tokens::hash(token)))
            .filter(refresh_tokens::revoked_at.is_null()),
    )
    .set(refresh_tokens::factor_at.eq(Some(now)))
    .execute(conn)?;
    Ok(())
}

/// The family of a portal session, to tell it apart in the list of sessions.
pub fn session_family(conn: &mut DbConnection, token: &str) -> Result<Option<String>, ApiError> {
    Ok(refresh_tokens::table
        .filter(refresh_tokens::token_hash.eq(tokens::hash(token)))
        .select(refresh_tokens::family)
        .first(conn)
        .optional()?)
}

/// Ends a portal session.
pub fn close_session(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    token: &str,
) -> Result<(), ApiError> {
    diesel::update(
        refresh_tokens::table.filter(refresh_tokens::token_hash.eq(tokens::hash(token))),
    )
    .filter(refresh_tokens::revoked_at.is_null())
    .set(refresh_tokens::revoked_at.eq(Some(now)))
    .execute(conn)?;
    Ok(())
}
