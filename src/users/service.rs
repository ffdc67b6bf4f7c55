//! Rules for user accounts that administrators (and the CLI) manage.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde_json::json;

use crate::audit::{self, Change};
use crate::db::schema::{organisations, refresh_tokens, units, users};
use crate::db::{DbConnection, write_transaction};
use crate::domain::identifiers::Email;
use crate::domain::vocabulary::{HealthBoard, Role};
use crate::error::{ApiError, ErrorCode, Validator};
use crate::users::api::User;
use crate::users::model::{NewUserRow, UserChanges, UserRow};
use crate::wire::paging::{Page, Paged};

/// Where an account works: the organisation of an applicant, the unit of a clinician, the NHS
/// board of a cash office. Every other role works nowhere in particular.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Place {
    pub organisation_id: Option<i64>,
    pub unit_id: Option<i64>,
    pub health_board: Option<HealthBoard>,
}

impl Place {
    pub fn organisation(id: i64) -> Place {
        Place {
            organisation_id: Some(id),
            ..Place::default()
        }
    }
}

/// A checked new account.
#[derive(Debug, Clone)]
pub struct NewUser {
    pub email: Email,
    pub name: String,
    pub role: Role,
    pub place: Place,
    pub password_hash: String,
}

/// Each role has its place and no other: every field in error at once.
fn place_rule(role: Role, place: Place) -> Result<(), ApiError> {
    let mut v = Validator::new();
    let needs = |field: &str, given: bool, needed: bool, v: &mut Validator, what: &str| match (
        given, needed,
    ) {
        (false, true) => v.error(field, format!("is required for {what}")),
        (true, false) => v.error(
            field,
            format!("is only for {what}; a {} has none", role.as_str()),
        ),
        _ => {}
    };
    needs(
        "organisation_id",
        place.organisation_id.is_some(),
        role == Role::Applicant,
        &mut v,
        "an applicant",
    );
    needs(
        "unit_id",
        place.unit_id.is_some(),
        role == Role::Clinician,
        &mut v,
        "a clinician",
    );
    needs(
        "health_board",
        place.health_board.is_some(),
        role == Role::CashOffice,
        &mut v,
        "a cash office",
    );
    v.finish()
}

fn ensure_place_exists(conn: &mut DbConnection, place: Place) -> Result<(), ApiError> {
    if let Some(id) = place.organisation_id {
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
    if let Some(id) = place.unit_id {
        let found = units::table
            .find(id)
            .select(units::id)
            .first::<i64>(conn)
            .optional()?;
        if found.is_none() {
            return Err(ApiError::invalid("unit_id", "names no unit"));
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
    place_rule(new.role, new.place)?;
    write_transaction(conn, |conn| {
        ensure_place_exists(conn, new.place)?;
        let row = UserRow::insert(
            conn,
            &NewUserRow {
                email: new.email.as_str(),
                name: &new.name,
                role: new.role,
                organisation_id: new.place.organisation_id,
                unit_id: new.place.unit_id,
                health_board: new.place.health_board,
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
                    json!({"email": row.email, "role": row.role, "organisation_id": row.organisation_id, "unit_id": row.unit_id, "health_board": row.health_board}),
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
    pub unit_id: Option<Option<i64>>,
    pub health_board: Option<Option<HealthBoard>>,
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
        // A place left out is kept while the role still has one of that kind.
        let place = Place {
            organisation_id: match changes.organisation_id {
                Some(org) => org,
                None if role == Role::Applicant => before.organisation_id,
                None => None,
            },
            unit_id: match changes.unit_id {
                Some(unit) => unit,
                None if role == Role::Clinician => before.unit_id,
                None => None,
            },
            health_board: match changes.health_board {
                Some(board) => board,
                None if role == Role::CashOffice => before.health_board,
                None => None,
            },
        };
        place_rule(role, place)?;
        ensure_place_exists(conn, place)?;
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
                organisation_id: Some(place.organisation_id),
                unit_id: Some(place.unit_id),
                health_board: Some(place.health_board),
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
                    json!({"name": before.name, "role": before.role, "organisation_id": before.organisation_id, "unit_id": before.unit_id, "health_board": before.health_board, "active": before.active}),
                ).after(
                    json!({"name": after.name, "role": after.role, "organisation_id": after.organisation_id, "unit_id": after.unit_id, "health_board": after.health_board, "active": after.active}),
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
            unit_id: None,
            health_board: None,
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
