//! Who may call each route: the first gate of "deny unless allowed".
//!
//! Every operation of the API has one entry here. A signed-in caller whose role is not listed for
//! the route is refused with 403 as soon as they are identified, before the request body is read,
//! so a caller learns nothing from a route they may never use. A route missing from the table is
//! refused to everyone. Which objects a permitted caller may reach (their own organisation's, the
//! applications assigned to them) is decided by the services, which answer 404 for the rest.
//! The access-matrix test drives every route with every role against this table, and fails when
//! the API has a route the table does not.

use std::collections::HashMap;
use std::sync::LazyLock;

use crate::domain::vocabulary::Role;
use crate::error::ApiError;

/// Who may call a route.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    /// Anyone, signed in or not.
    Public,
    /// Signed-in callers with one of these roles.
    Roles(&'static [Role]),
}

use Role::{Administrator as D, Applicant as A, Assessor as S, Official as O};

const EVERYONE: Access = Access::Roles(&[A, S, D, O]);
const ADMIN: Access = Access::Roles(&[D]);
const APPLICANT: Access = Access::Roles(&[A]);
const ASSESSOR: Access = Access::Roles(&[S]);
const GRANT_HOLDER_OR_ADMIN: Access = Access::Roles(&[A, D]);
const PANEL: Access = Access::Roles(&[S, D]);
const READERS: Access = Access::Roles(&[O, D]);
const FUND_READERS: Access = Access::Roles(&[S, D, O]);
const AWARD_READERS: Access = Access::Roles(&[A, D, O]);
const APPLICATION_READERS: Access = Access::Roles(&[A, S, D]);

/// Every operation: method, path under `/api/v1`, and who may call it.
pub const POLICY: &[(&str, &str, Access)] = &[
    ("GET", "/health", Access::Public),
    ("GET", "/ready", Access::Public),
    ("GET", "/reference/health-boards", Access::Public),
    ("POST", "/auth/register", Access::Public),
    ("POST", "/auth/login", Access::Public),
    ("POST", "/auth/refresh", Access::Public),
    ("POST", "/auth/password-reset/request", Access::Public),
    ("POST", "/auth/password-reset/confirm", Access::Public),
    ("GET", "/me", EVERYONE),
    ("GET", "/users", ADMIN),
    ("POST", "/users", ADMIN),
    ("PATCH", "/users/{id}", ADMIN),
    ("DELETE", "/users/{id}", ADMIN),
    ("GET", "/organisations", EVERYONE),
    ("GET", "/organisations/{id}", EVERYONE),
    ("PATCH", "/organisations/{id}", GRANT_HOLDER_OR_ADMIN),
    ("POST", "/organisations/{id}/verify", ADMIN),
    ("GET", "/funds", FUND_READERS),
    ("POST", "/funds", ADMIN),
    ("GET", "/funds/{id}", FUND_READERS),
    ("PATCH", "/funds/{id}", ADMIN),
    ("GET", "/funds/{id}/years", FUND_READERS),
    ("PUT", "/funds/{id}/years/{financial_year}", ADMIN),
    ("POST", "/funds/{id}/rounds", ADMIN),
    ("GET", "/rounds", Access::Public),
    ("GET", "/rounds/{id}", Access::Public),
    ("PATCH", "/rounds/{id}", ADMIN),
    ("GET", "/rounds/{id}/criteria", Access::Public),
    ("POST", "/rounds/{id}/criteria", ADMIN),
    ("PATCH", "/criteria/{id}", ADMIN),
    ("DELETE", "/criteria/{id}", ADMIN),
    ("POST", "/rounds/{id}/applications", APPLICANT),
    ("GET", "/applications", GRANT_HOLDER_OR_ADMIN),
    ("GET", "/applications/{id}", APPLICATION_READERS),
    ("PATCH", "/applications/{id}", APPLICANT),
    ("POST", "/applications/{id}/submit", APPLICANT),
    ("POST", "/applications/{id}/withdraw", APPLICANT),
    ("POST", "/applications/{id}/assignments", ADMIN),
    ("POST", "/rounds/{id}/assignments", ADMIN),
    ("GET", "/assignments", PANEL),
    ("POST", "/assignments/{id}/conflict-declaration", ASSESSOR),
    ("PUT", "/assignments/{id}/scores", ASSESSOR),
    ("POST", "/assignments/{id}/submit", ASSESSOR),
    ("GET", "/applications/{id}/assessment", PANEL),
    ("POST", "/applications/{id}/moderation", ADMIN),
    ("GET", "/rounds/{id}/ranking", ADMIN),
    ("GET", "/rounds/{id}/ranking.csv", ADMIN),
    ("POST", "/applications/{id}/decision", ADMIN),
    ("GET", "/awards", AWARD_READERS),
    ("GET", "/awards/{id}", AWARD_READERS),
    ("POST", "/awards/{id}/accept", APPLICANT),
    ("POST", "/awards/{id}/decline", APPLICANT),
    ("POST", "/awards/{id}/terminate", ADMIN),
    (
        "POST",
        "/awards/{id}/instalments/{financial_year}/release",
        ADMIN,
    ),
    ("GET", "/awards/{id}/returns", GRANT_HOLDER_OR_ADMIN),
    ("GET", "/returns", GRANT_HOLDER_OR_ADMIN),
    ("GET", "/returns/{id}", GRANT_HOLDER_OR_ADMIN),
    ("PATCH", "/returns/{id}", APPLICANT),
    ("POST", "/returns/{id}/submit", APPLICANT),
    ("POST", "/returns/{id}/review", ADMIN),
    ("GET", "/awards/{id}/feedback-links", GRANT_HOLDER_OR_ADMIN),
    ("POST", "/awards/{id}/feedback-links", GRANT_HOLDER_OR_ADMIN),
    ("DELETE", "/feedback-links/{id}", GRANT_HOLDER_OR_ADMIN),
    ("GET", "/awards/{id}/feedback", GRANT_HOLDER_OR_ADMIN),
    ("GET", "/feedback/{token}", Access::Public),
    ("POST", "/feedback/{token}", Access::Public),
    ("GET", "/reports/funds/{id}/summary", READERS),
    ("GET", "/reports/funds/{id}/summary.csv", READERS),
    ("GET", "/reports/funds/{id}/by-health-board", READERS),
    ("GET", "/reports/funds/{id}/by-health-board.csv", READERS),
    ("GET", "/reports/funds/{id}/by-target-group", READERS),
    ("GET", "/reports/funds/{id}/by-target-group.csv", READERS),
    ("GET", "/reports/funds/{id}/reach", READERS),
    ("GET", "/reports/funds/{id}/reach.csv", READERS),
    ("GET", "/reports/funds/{id}/feedback", READERS),
    ("GET", "/reports/funds/{id}/feedback.csv", READERS),
    ("GET", "/exports/360giving", READERS),
    ("GET", "/exports/360giving.csv", READERS),
    ("GET", "/directory", Access::Public),
    ("GET", "/audit", ADMIN),
    ("GET", "/outbox", ADMIN),
];

/// The prefix of every API route.
pub const API_PREFIX: &str = "/api/v1";

static TABLE: LazyLock<HashMap<(&'static str, &'static str), Access>> = LazyLock::new(|| {
    POLICY
        .iter()
        .map(|(method, path, access)| ((*method, *path), *access))
        .collect()
});

/// Who may call `method` on the route `pattern` (as the router matched it, with `/api/v1`).
pub fn access(method: &str, pattern: &str) -> Option<Access> {
    let path = pattern.strip_prefix(API_PREFIX).unwrap_or(pattern);
    TABLE.get(&(method, path)).copied()
}

/// 403 unless `role` may call the route; a route without an entry is refused to everyone.
pub fn check(method: &str, pattern: Option<&str>, role: Role) -> Result<(), ApiError> {
    match pattern.and_then(|p| access(method, p)) {
        Some(Access::Public) => Ok(()),
        Some(Access::Roles(roles)) if roles.contains(&role) => Ok(()),
        _ => Err(ApiError::Forbidden),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_route_has_one_entry() {
        assert_eq!(TABLE.len(), POLICY.len(), "a route is listed twice");
    }

    #[test]
    fn unlisted_routes_and_unlisted_roles_are_refused() {
        assert!(check("GET", Some("/api/v1/audit"), Role::Administrator).is_ok());
        assert!(check("GET", Some("/api/v1/audit"), Role::Official).is_err());
        assert!(check("GET", Some("/api/v1/rounds"), Role::Official).is_ok());
        assert!(check("GET", Some("/api/v1/not-a-route"), Role::Administrator).is_err());
        assert!(check("GET", None, Role::Administrator).is_err());
    }
}
