//! The user as the API shows it.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::caller::CurrentUser;
use crate::domain::clock::utc;
use crate::domain::vocabulary::{HealthBoard, Role};
use crate::error::ApiError;
use crate::users::model::UserRow;

/// A user account.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct User {
    pub id: i64,
    pub email: String,
    pub name: String,
    pub role: Role,
    /// The applicant's organisation; absent for staff.
    pub organisation_id: Option<i64>,
    /// A clinician's unit; absent for every other role.
    pub unit_id: Option<i64>,
    /// A cash office's NHS board; absent for every other role.
    pub health_board: Option<HealthBoard>,
    /// A disabled account cannot sign in, and its tokens stop working at once.
    pub active: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl TryFrom<UserRow> for User {
    type Error = ApiError;

    fn try_from(row: UserRow) -> Result<Self, ApiError> {
        Ok(User {
            role: row.role,
            id: row.id,
            email: row.email,
            name: row.name,
            organisation_id: row.organisation_id,
            unit_id: row.unit_id,
            health_board: row.health_board,
            active: row.active,
            created_at: utc(row.created_at),
            updated_at: utc(row.updated_at),
        })
    }
}

/// The user as an actor, for work the service does on someone's behalf (the demo seed).
impl From<User> for CurrentUser {
    fn from(user: User) -> Self {
        CurrentUser {
            id: user.id,
            role: user.role,
            organisation_id: user.organisation_id,
            unit_id: user.unit_id,
            health_board: user.health_board,
            email: user.email,
            name: user.name,
            mfa_enrolled: false,
            factor_at: None,
        }
    }
}
