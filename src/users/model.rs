//! Rows of the `users` table and the queries over them.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::DbConnection;
use crate::db::schema::users;
use crate::domain::vocabulary::{HealthBoard, Role};
use crate::error::{ApiError, ErrorCode};

#[derive(Clone, Debug, Queryable, Identifiable)]
#[diesel(table_name = users)]
pub struct UserRow {
    pub id: i64,
    pub email: String,
    pub name: String,
    pub role: Role,
    pub organisation_id: Option<i64>,
    pub password_hash: String,
    pub active: bool,
    pub password_changed_at: NaiveDateTime,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    /// Set when an administrator asks for the account to be deleted; the retention job then
    /// removes its personal details.
    pub deletion_requested_at: Option<NaiveDateTime>,
    /// The generation of sessions the account is on; access tokens of another are refused.
    pub session_generation: i64,
    /// A clinician's unit.
    pub unit_id: Option<i64>,
    /// A cash office's NHS board.
    pub health_board: Option<HealthBoard>,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = users)]
pub struct NewUserRow<'a> {
    pub email: &'a str,
    pub name: &'a str,
    pub role: Role,
    pub organisation_id: Option<i64>,
    pub unit_id: Option<i64>,
    pub health_board: Option<HealthBoard>,
    pub password_hash: &'a str,
    pub active: bool,
    pub password_changed_at: NaiveDateTime,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Default, AsChangeset)]
#[diesel(table_name = users)]
pub struct UserChanges {
    pub name: Option<String>,
    pub role: Option<Role>,
    pub organisation_id: Option<Option<i64>>,
    pub unit_id: Option<Option<i64>>,
    pub health_board: Option<Option<HealthBoard>>,
    pub active: Option<bool>,
    pub password_hash: Option<String>,
    pub password_changed_at: Option<NaiveDateTime>,
    pub updated_at: Option<NaiveDateTime>,
}

impl UserRow {
    pub fn find(conn: &mut DbConnection, id: i64) -> Result<UserRow, ApiError> {
        Ok(users::table.find(id).first(conn)?)
    }

    pub fn find_by_email(
        conn: &mut DbConnection,
        email: &str,
    ) -> Result<Option<UserRow>, ApiError> {
        Ok(users::table
            .filter(users::email.eq(email))
            .first(conn)
            .optional()?)
    }

    pub fn insert(conn: &mut DbConnection, new: &NewUserRow<'_>) -> Result<UserRow, ApiError> {
        // The unique index decides, so two simultaneous sign-ups cannot both pass a check.
        diesel::insert_into(users::table)
            .values(new)
            .returning(users::all_columns)
            .get_result(conn)
            .map_err(ApiError::unique_as(
                ErrorCode::EmailTaken,
                "An account with this email already exists.",
            ))
    }

    pub fn update(
        conn: &mut DbConnection,
        id: i64,
        changes: &UserChanges,
    ) -> Result<UserRow, ApiError> {
        Ok(diesel::update(users::table.find(id))
            .set(changes)
            .returning(users::all_columns)
            .get_result(conn)?)
    }

    pub fn count(conn: &mut DbConnection) -> Result<i64, ApiError> {
        Ok(users::table.count().get_result(conn)?)
    }

    /// How many active administrators there are other than `except`.
    pub fn other_active_administrators(
        conn: &mut DbConnection,
        except: i64,
    ) -> Result<i64, ApiError> {
        Ok(users::table
            .filter(users::role.eq(Role::Administrator))
            .filter(users::active.eq(true))
            .filter(users::id.ne(except))
            .count()
            .get_result(conn)?)
    }
}
