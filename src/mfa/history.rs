//! The sign-in history of staff accounts: each success, wrong password, wrong second factor and
//! lockout, with the client it came from, kept for `SIGN_IN_HISTORY_DAYS`.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::DbConnection;
use crate::db::schema::sign_in_events;
use crate::domain::vocabulary::{Role, SignInOutcome};
use crate::error::ApiError;
use crate::telemetry::MAX_LOGGED_CHARS;

/// How many entries a listing gives, newest first.
pub const LISTED: i64 = 200;

/// One recorded attempt.
#[derive(Clone, Debug, Queryable)]
pub struct SignInEvent {
    pub id: i64,
    pub outcome: SignInOutcome,
    pub client: String,
    pub user_agent: Option<String>,
    pub occurred_at: NaiveDateTime,
}

/// Where an attempt came from.
#[derive(Clone, Debug, Default)]
pub struct Origin {
    /// The client address as the rate limits see it.
    pub client: String,
    /// The `User-Agent` header, if any.
    pub user_agent: Option<String>,
}

/// Records an attempt on the account `user_id` of `role`; applicants' attempts are not kept.
pub fn record(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    user_id: i64,
    role: Role,
    outcome: SignInOutcome,
    origin: &Origin,
) -> Result<(), ApiError> {
    if !role.works_for_a_fund() {
        return Ok(());
    }
    diesel::insert_into(sign_in_events::table)
        .values((
            sign_in_events::user_id.eq(user_id),
            sign_in_events::outcome.eq(outcome),
            sign_in_events::client.eq(cut(&origin.client, 100)),
            sign_in_events::user_agent.eq(origin.user_agent.as_deref().map(|a| cut(a, 300))),
            sign_in_events::occurred_at.eq(now),
        ))
        .execute(conn)?;
    Ok(())
}

/// The latest attempts on an account, newest first.
pub fn list(conn: &mut DbConnection, user_id: i64) -> Result<Vec<SignInEvent>, ApiError> {
    Ok(sign_in_events::table
        .filter(sign_in_events::user_id.eq(user_id))
        .order((
            sign_in_events::occurred_at.desc(),
            sign_in_events::id.desc(),
        ))
        .limit(LISTED)
        .select((
            sign_in_events::id,
            sign_in_events::outcome,
            sign_in_events::client,
            sign_in_events::user_agent,
            sign_in_events::occurred_at,
        ))
        .load(conn)?)
}

/// Removes the entries older than `days` at `now`; gives how many.
pub fn prune(conn: &mut DbConnection, now: NaiveDateTime, days: u32) -> Result<usize, ApiError> {
    let before = now - chrono::Duration::days(i64::from(days));
    Ok(
        diesel::delete(sign_in_events::table.filter(sign_in_events::occurred_at.lt(before)))
            .execute(conn)?,
    )
}

fn cut(text: &str, chars: usize) -> String {
    text.chars().take(chars.min(MAX_LOGGED_CHARS)).collect()
}
