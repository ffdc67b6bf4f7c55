//! The caller of an operation and what it may do: who is acting, in which role, for which
//! organisation. The HTTP layer builds it from a bearer token (`auth::extract`) or a portal
//! session; the services take it and check it.

use crate::domain::vocabulary::{HealthBoard, Role};
use chrono::{DateTime, Duration, Utc};

use crate::error::{ApiError, ErrorCode};
use crate::permissions::Action;

/// A signed-in user whose account is active. Deny unless allowed: handlers state who may act with
/// [`CurrentUser::require`] at their top.
#[derive(Clone, Debug)]
pub struct CurrentUser {
    pub id: i64,
    pub role: Role,
    pub organisation_id: Option<i64>,
    /// A clinician's unit.
    pub unit_id: Option<i64>,
    /// A cash office's NHS board.
    pub health_board: Option<HealthBoard>,
    pub email: String,
    pub name: String,
    /// The account has a confirmed second factor.
    pub mfa_enrolled: bool,
    /// When this session's holder last entered a second factor: at sign-in or at a step-up.
    pub factor_at: Option<DateTime<Utc>>,
}

/// How long a second factor entered in a session counts for the actions that need a recent one.
pub const STEP_UP_WINDOW: Duration = Duration::minutes(10);

impl CurrentUser {
    /// 403 unless the permission table allows the caller's role `action`.
    pub fn require(&self, action: Action) -> Result<(), ApiError> {
        if action.allows(self.role) {
            Ok(())
        } else {
            Err(ApiError::Forbidden)
        }
    }

    /// 403 `step_up_required` unless a second factor was entered in this session within the
    /// last [`STEP_UP_WINDOW`] at `now` (the service's clock): the guard of the actions that move
    /// money, change who is paid or remove people. `POST /auth/step-up` renews it.
    pub fn require_recent_factor(&self, now: DateTime<Utc>) -> Result<(), ApiError> {
        match self.factor_at {
            Some(at) if at <= now + Duration::seconds(5) && now - at <= STEP_UP_WINDOW => Ok(()),
            _ => Err(ApiError::coded(
                ErrorCode::StepUpRequired,
                "Enter a code from your authenticator app again (POST /auth/step-up) to do this.",
            )),
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
