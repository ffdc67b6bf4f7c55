//! The sessions an account has open: each family of refresh tokens (one per API sign-in) and
//! each portal session. Ending one revokes every token of its family at once, so its refresh
//! token and its portal cookie stop working on the next request.

use chrono::NaiveDateTime;
use diesel::dsl::{max, min};
use diesel::prelude::*;

use crate::db::DbConnection;
use crate::db::schema::refresh_tokens;
use crate::error::ApiError;
use crate::users::service::revoke_sessions;

/// One open session.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OpenSession {
    /// The family's id.
    pub id: String,
    /// A portal session rather than API tokens.
    pub portal: bool,
    pub created_at: NaiveDateTime,
    /// When a token of the family was last issued: the sign-in or the last refresh.
    pub last_used_at: NaiveDateTime,
    /// The client that began it, for staff accounts.
    pub user_agent: Option<String>,
}

/// The families of `user_id` with a live token at `now`, most recently used first.
pub fn list(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    user_id: i64,
) -> Result<Vec<OpenSession>, ApiError> {
    let live: Vec<(String, Option<String>)> = refresh_tokens::table
        .filter(refresh_tokens::user_id.eq(user_id))
        .filter(refresh_tokens::revoked_at.is_null())
        .filter(refresh_tokens::used_at.is_null())
        .filter(refresh_tokens::expires_at.gt(now))
        .select((refresh_tokens::family, refresh_tokens::user_agent))
        .load(conn)?;
    let mut sessions = Vec::with_capacity(live.len());
    for (family, user_agent) in live {
        let (created, last): (Option<NaiveDateTime>, Option<NaiveDateTime>) = refresh_tokens::table
            .filter(refresh_tokens::family.eq(&family))
            .select((
                min(refresh_tokens::issued_at),
                max(refresh_tokens::issued_at),
            ))
            .first(conn)?;
        let (Some(created_at), Some(last_used_at)) = (created, last) else {
            continue;
        };
        sessions.push(OpenSession {
            portal: family.starts_with("portal-"),
            id: family,
            created_at,
            last_used_at,
            user_agent,
        });
    }
    sessions.sort_by(|a, b| b.last_used_at.cmp(&a.last_used_at).then(a.id.cmp(&b.id)));
    Ok(sessions)
}

/// Ends one session of `user_id`: every token of the family is revoked. Ending a session that is
/// not open, or not the user's, changes nothing and is no error: afterwards no such session of
/// theirs is open either way, and the answer tells nothing of anyone else's.
pub fn end(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    user_id: i64,
    family: &str,
) -> Result<(), ApiError> {
    diesel::update(
        refresh_tokens::table
            .filter(refresh_tokens::user_id.eq(user_id))
            .filter(refresh_tokens::family.eq(family))
            .filter(refresh_tokens::revoked_at.is_null()),
    )
    .set(refresh_tokens::revoked_at.eq(Some(now)))
    .execute(conn)?;
    Ok(())
}

/// Ends every session of `user_id`, and every access token already issued.
pub fn end_all(conn: &mut DbConnection, now: NaiveDateTime, user_id: i64) -> Result<(), ApiError> {
    revoke_sessions(conn, user_id, now)
}
