//! The caller of an operation and what it may do: who is acting, in which role, for which
//! organisation. The HTTP layer builds it from a bearer token (`auth::extract`) or a portal
//! session; the services take it and check it.

use crate::domain::vocabulary::Role;
use crate::error::ApiError;
use crate::permissions::Action;

/// A signed-in user whose account is active. Deny unless allowed: handlers state who may act with
/// [`CurrentUser::require`] at their top.
#[derive(Clone, Debug)]
pub struct CurrentUser {
    pub id: i64,
    pub role: Role,
    pub organisation_id: Option<i64>,
    pub email: String,
    pub name: String,
}

impl CurrentUser {
    /// 403 unless the permission table allows the caller's role `action`.
    pub fn require(&self, action: Action) -> Result<(), ApiError> {
        if action.allows(self.role) {
            Ok(())
        } else {
            Err(ApiError::Forbidden)
        }
    }

    pub fn is(&self, role: Role) -> bool {
        self.role == role
    }

    /// True when the caller may see objects of `organisation_id`: staff see every organisation,
    /// applicants only their own.
    pub fn can_see_organisation(&self, organisation_id: i64) -> bool {
        self.role.is_staff() || self.organisation_id == Some(organisation_id)
    }
}
