//! Rules for user accounts that administrators (and the CLI) manage.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde_json::json;

use crate::audit::{self, Change};
use crate::db::schema::{organisations, refresh_tokens, users};
use crate::db::{DbConnection, write_transaction};
use crate::domain::identifiers::Email;
use crate::domain::vocabulary::Role;
use crate::error::{ApiError, ErrorCode};
use crate::users::api::User;
use crate::users::model::{NewUserRow, UserChanges, UserRow};
use crate::wire::paging::{Page, Paged};

/// A checked new account.
#[derive(Debug, Clone)]
pub struct NewUser {
    pub email: Email,
    pub name: String,
    pub role: Role,
    pub organisation_id: Option<i64>,
    pub password_hash: String,
}

fn organisation_rule(role: Role, organisation_id: Option<i64>) -> Result<(), ApiError> {
    match (role, organisation_id) {
        (Role::Applicant, None) => Err(ApiError::invalid(
            "organisation_id",
            "is required for an applicant",
        )),
        (Role::Applicant, Some(_)) | (_, None) => Ok(()),
        (_, Some(_)) => Err(ApiError::invalid(
            "organisation_id",
            "is only for applicants; staff belong to no organisation",
        )),
    }
}

fn ensure_organisation_exists(
    conn: &mut DbConnection,
    organisation_id: Option<i64>,
) -> Result<(), ApiError> {
    if let Some(id) = organisation_id {
        let found = organisations::table
            .find(id)
            .select(organisations::id)
            .first::<i64>(conn)
            .optional()?;
        if found.is_none() {
            return Err(ApiError::invalid(
                "organisation_id",
                "names no organisation",
            ));
        }
    }
    Ok(())
}

/// Creates an account. `actor` is the administrator, or `None` for the command line.
pub fn create(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    actor: Option<i64>,
    new: &NewUser,
) -> Result<User, ApiError> {
    organisation_rule(new.role, new.organisation_id)?;
    write_transaction(conn, |conn| {
        ensure_organisation_exists(conn, new.organisation_id)?;
        let row = UserRow::insert(
            conn,
            &NewUserRow {
                email: new.email.as_str(),
                name: &new.name,
                role: new.role,
                organisation_id: new.organisation_id,
                password_hash: &new.password_hash,
                active: true,
                password_changed_at: now,
                created_at: now,
                updated_at: now,
            },
        )?;
        audit::record(
            conn,
            now,
            Change::new(actor, "user", row.id, "created").after(
                    json!({"email": row.email, "role": row.role, "organisation_id": row.organisation_id}),
                ),
        )?;
        User::try_from(row)
    })
}

/// Users, optionally of one role, in id order.
pub fn list(
    conn: &mut DbConnection,
    role: Option<Role>,
    page: Page,
) -> Result<Paged<User>, ApiError> {
    let query = || {
        let mut q = users::table.into_boxed();
        if let Some(role) = role {
            q = q.filter(users::role.eq(role));
        }
        q
    };
    let (total, rows): (i64, Vec<UserRow>) =
        page.load(conn, query().count(), query().order(users::id))?;
    Ok(page.wrap(
        rows.into_iter()
            .map(User::try_from)
            .collect::<Result<_, _>>()?,
        total,
    ))
}

/// Changes to an account.
#[derive(Debug, Default, Clone)]
pub struct UserUpdate {
    pub name: Option<String>,
    pub role: Option<Role>,
    pub organisation_id: Option<Option<i64>>,
    pub active: Option<bool>,
}

/// Applies an administrator's changes. The last active administrator cannot be demoted or
/// disabled, so the fund is never left without one. Disabling ends the user's sessions.
pub fn update(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    actor: i64,
    id: i64,
    changes: &UserUpdate,
) -> Result<User, ApiError> {
    write_transaction(conn, |conn| {
        let before = UserRow::find(conn, id)?;
        let old_role = before.role;
        let role = changes.role.unwrap_or(old_role);
        let organisation_id = match changes.organisation_id {
            Some(org) => org,
            None if role == Role::Applicant => before.organisation_id,
            None => None,
        };
        organisation_rule(role, organisation_id)?;
        ensure_organisation_exists(conn, organisation_id)?;
        let active = changes.active.unwrap_or(before.active);
        let loses_admin = old_role == Role::Administrator
            && before.active
            && (role != Role::Administrator || !active);
        if loses_admin && UserRow::other_active_administrators(conn, id)? == 0 {
            return Err(ApiError::conflict(
                ErrorCode::LastAdministrator,
                "This is the only active administrator; appoint another before changing this account.",
            ));
        }
        let after = UserRow::update(
            conn,
            id,
            &UserChanges {
                name: changes.name.clone(),
                role: Some(role),
                organisation_id: Some(organisation_id),
                active: Some(active),
                updated_at: Some(now),
                ..UserChanges::default()
            },
        )?;
        if before.active && !active {
            revoke_sessions(conn, id, now)?;
        }
        audit::record(
            conn,
            now,
            Change::new(Some(actor), "user", id, "updated").before(
                    json!({"name": before.name, "role": before.role, "organisation_id": before.organisation_id, "active": before.active}),
                ).after(
                    json!({"name": after.name, "role": after.role, "organisation_id": after.organisation_id, "active": after.active}),
                ),
        )?;
        User::try_from(after)
    })
}

/// Marks an account for deletion (administrators): it is disabled at once, its sessions end,
/// and the retention job removes its personal details while keeping the records that mention
/// it. The last active administrator cannot be deleted.
pub fn mark_for_deletion(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    actor: i64,
    id: i64,
) -> Result<(), ApiError> {
    write_transaction(conn, |conn| {
        let changes = UserUpdate {
            name: None,
            role: None,
            organisation_id: None,
            active: Some(false),
        };
        update(conn, now, actor, id, &changes)?;
        diesel::update(
            users::table
                .find(id)
                .filter(users::deletion_requested_at.is_null()),
        )
        .set(users::deletion_requested_at.eq(Some(now)))
        .execute(conn)?;
        audit::record(
            conn,
            now,
            Change::new(Some(actor), "user", id, "deletion_requested"),
        )
    })
}

/// Ends every session of a user: all refresh tokens are revoked, and the account moves to its next
/// session generation, so every access token issued before stops working for good, even if the
/// account is later enabled again.
pub fn revoke_sessions(
    conn: &mut DbConnection,
    user_id: i64,
    now: NaiveDateTime,
) -> Result<(), ApiError> {
    diesel::update(refresh_tokens::table.filter(refresh_tokens::user_id.eq(user_id)))
        .filter(refresh_tokens::revoked_at.is_null())
        .set(refresh_tokens::revoked_at.eq(Some(now)))
        .execute(conn)?;
    diesel::update(users::table.find(user_id))
        .set(users::session_generation.eq(users::session_generation + 1))
        .execute(conn)?;
    Ok(())
}
