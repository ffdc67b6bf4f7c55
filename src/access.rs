//! Who may call each route: the first gate of "deny unless allowed".
//!
//! Every operation of the API has one entry here: public, or the [`Action`] it takes, whose roles
//! the permission table (`permissions.rs`) gives. A signed-in caller whose role that action does
//! not allow is refused with 403 as soon as they are identified, before the request body is read,
//! so a caller learns nothing from a route they may never use. A route missing from the table is
//! refused to everyone. Which objects a permitted caller may reach (their own organisation's, the
//! applications assigned to them) is decided by the services, which answer 404 for the rest.
//! The access-matrix test drives every route with every role against this table, and fails when
//! the API has a route the table does not.

use std::collections::HashMap;
use std::sync::LazyLock;

use crate::domain::vocabulary::Role;
use crate::error::ApiError;
use crate::permissions::Action;

/// Who may call a route.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    /// Anyone, signed in or not.
    Public,
    /// Signed-in callers whose role the permission table allows this action.
    Signed(Action),
}

impl Access {
    /// True when a signed-in caller in `role` may call the route.
    pub fn allows(self, role: Role) -> bool {
        match self {
            Access::Public => true,
            Access::Signed(action) => action.allows(role),
        }
    }
}

use Action::*;

const fn signed(action: Action) -> Access {
    Access::Signed(action)
}

/// Every operation: method, path under `/api/v1`, and who may call it.
pub const POLICY: &[(&str, &str, Access)] = &[
    ("GET", "/health", Access::Public),
    ("GET", "/ready", Access::Public),
    ("GET", "/reference/health-boards", Access::Public),
    ("POST", "/auth/register", Access::Public),
    ("POST", "/auth/register-claimant", Access::Public),
    ("POST", "/auth/login", Access::Public),
    ("POST", "/auth/refresh", Access::Public),
    ("POST", "/auth/password-reset/request", Access::Public),
    ("POST", "/auth/password-reset/confirm", Access::Public),
    ("POST", "/auth/login/mfa", Access::Public),
    ("POST", "/auth/step-up", signed(ManageOwnAccount)),
    ("GET", "/me", signed(ReadOwnAccount)),
    ("GET", "/me/mfa", signed(ReadOwnAccount)),
    ("POST", "/me/mfa", signed(ManageOwnAccount)),
    ("POST", "/me/mfa/confirm", signed(ManageOwnAccount)),
    ("POST", "/me/mfa/disable", signed(ManageOwnAccount)),
    ("GET", "/me/sessions", signed(ReadOwnAccount)),
    ("DELETE", "/me/sessions", signed(ManageOwnAccount)),
    ("DELETE", "/me/sessions/{id}", signed(ManageOwnAccount)),
    ("GET", "/me/sign-ins", signed(ReadOwnAccount)),
    ("GET", "/users/{id}/sign-ins", signed(ManageUsers)),
    ("DELETE", "/users/{id}/sessions", signed(ManageUsers)),
    ("GET", "/users", signed(ManageUsers)),
    ("POST", "/users", signed(ManageUsers)),
    ("PATCH", "/users/{id}", signed(ManageUsers)),
    ("DELETE", "/users/{id}", signed(ManageUsers)),
    ("GET", "/organisations", signed(ReadOrganisations)),
    ("GET", "/organisations/{id}", signed(ReadOrganisations)),
    ("PATCH", "/organisations/{id}", signed(EditOrganisation)),
    (
        "GET",
        "/organisations/{id}/address",
        signed(EditOrganisation),
    ),
    (
        "PUT",
        "/organisations/{id}/address",
        signed(EditOrganisation),
    ),
    (
        "POST",
        "/organisations/{id}/verify",
        signed(VerifyOrganisation),
    ),
    (
        "GET",
        "/organisations/{id}/bank-details",
        signed(ReadBankDetails),
    ),
    (
        "PUT",
        "/organisations/{id}/bank-details",
        signed(EditBankDetails),
    ),
    (
        "POST",
        "/organisations/{id}/bank-details/verify",
        signed(VerifyBankDetails),
    ),
    ("GET", "/funds", signed(ReadFunds)),
    ("POST", "/funds", signed(ManageFunds)),
    ("GET", "/funds/{id}", signed(ReadFunds)),
    ("PATCH", "/funds/{id}", signed(ManageFunds)),
    ("GET", "/funds/{id}/years", signed(ReadFunds)),
    (
        "PUT",
        "/funds/{id}/years/{financial_year}",
        signed(ManageFunds),
    ),
    ("POST", "/funds/{id}/units", signed(ManageFunds)),
    ("GET", "/funds/{id}/units", signed(ReadFunds)),
    ("GET", "/units/{id}", signed(ReadFunds)),
    ("PUT", "/units/{id}", signed(ManageFunds)),
    ("GET", "/funds/{id}/rates", signed(ReadFunds)),
    (
        "PUT",
        "/funds/{id}/rates/{financial_year}",
        signed(ManageFunds),
    ),
    ("POST", "/stays", signed(Claim)),
    ("GET", "/stays", signed(ReadStays)),
    ("GET", "/stays/{id}", signed(ReadStays)),
    ("PUT", "/stays/{id}/discharge", signed(ReadStays)),
    ("POST", "/stays/{id}/children", signed(Claim)),
    ("POST", "/stays/{id}/pre-approvals", signed(Claim)),
    ("GET", "/stays/{id}/pre-approvals", signed(ReadStays)),
    (
        "POST",
        "/pre-approvals/{id}/decision",
        signed(DecidePreApproval),
    ),
    ("POST", "/stays/{id}/claims", signed(Claim)),
    ("GET", "/stays/{id}/claims", signed(ReadStays)),
    ("GET", "/claims", signed(ReadStays)),
    ("GET", "/claims/{id}", signed(ReadStays)),
    ("PUT", "/claims/{id}", signed(Claim)),
    ("POST", "/claims/{id}/submit", signed(Claim)),
    ("POST", "/claims/{id}/certify", signed(CertifyClaim)),
    ("POST", "/claims/{id}/approve", signed(CheckClaim)),
    ("POST", "/claims/{id}/reject", signed(CheckClaim)),
    ("POST", "/claims/{id}/refer", signed(CheckClaim)),
    ("POST", "/claims/{id}/documents", signed(ManageDocuments)),
    ("GET", "/me/bank-details", signed(Claim)),
    ("GET", "/reports/funds/{id}/family", signed(ReadReports)),
    ("GET", "/reports/funds/{id}/family.csv", signed(ReadReports)),
    ("PUT", "/me/bank-details", signed(Claim)),
    ("GET", "/claimants/{id}/bank-details", signed(CheckClaim)),
    (
        "POST",
        "/claimants/{id}/bank-details/verify",
        signed(CheckClaim),
    ),
    ("GET", "/claims/{id}/documents", signed(ReadDocuments)),
    ("POST", "/funds/{id}/rounds", signed(ManageRounds)),
    ("GET", "/rounds", Access::Public),
    ("GET", "/rounds/{id}", Access::Public),
    ("PATCH", "/rounds/{id}", signed(ManageRounds)),
    ("GET", "/rounds/{id}/form", Access::Public),
    ("PUT", "/rounds/{id}/form", signed(ManageRounds)),
    ("POST", "/rounds/{id}/form/copy", signed(ManageRounds)),
    ("GET", "/rounds/{id}/applications.csv", signed(ManageRounds)),
    ("GET", "/rounds/{id}/criteria", Access::Public),
    ("POST", "/rounds/{id}/criteria", signed(ManageRounds)),
    ("PATCH", "/criteria/{id}", signed(ManageRounds)),
    ("DELETE", "/criteria/{id}", signed(ManageRounds)),
    ("POST", "/rounds/{id}/applications", signed(Apply)),
    ("GET", "/applications", signed(ListApplications)),
    ("GET", "/applications/{id}", signed(ReadApplication)),
    ("PATCH", "/applications/{id}", signed(EditApplication)),
    ("PUT", "/applications/{id}/answers", signed(EditApplication)),
    (
        "POST",
        "/applications/{id}/information-requests",
        signed(AskForInformation),
    ),
    (
        "GET",
        "/applications/{id}/information-requests",
        signed(ReadApplication),
    ),
    (
        "POST",
        "/information-requests/{id}/answer",
        signed(EditApplication),
    ),
    ("POST", "/applications/{id}/submit", signed(EditApplication)),
    (
        "POST",
        "/applications/{id}/withdraw",
        signed(EditApplication),
    ),
    (
        "POST",
        "/applications/{id}/assignments",
        signed(AssignAssessors),
    ),
    ("POST", "/rounds/{id}/assignments", signed(AssignAssessors)),
    ("GET", "/assignments", signed(ReadAssessments)),
    (
        "POST",
        "/assignments/{id}/conflict-declaration",
        signed(Score),
    ),
    ("PUT", "/assignments/{id}/scores", signed(Score)),
    ("POST", "/assignments/{id}/submit", signed(Score)),
    (
        "GET",
        "/applications/{id}/assessment",
        signed(ReadAssessments),
    ),
    ("POST", "/applications/{id}/moderation", signed(Moderate)),
    ("GET", "/rounds/{id}/ranking", signed(ReadRanking)),
    ("GET", "/rounds/{id}/ranking.csv", signed(ReadRanking)),
    ("POST", "/applications/{id}/decision", signed(Decide)),
    ("GET", "/awards", signed(ReadAwards)),
    ("GET", "/awards/{id}", signed(ReadAwards)),
    ("POST", "/awards/{id}/accept", signed(AnswerOffer)),
    ("POST", "/awards/{id}/decline", signed(AnswerOffer)),
    ("POST", "/awards/{id}/terminate", signed(Terminate)),
    (
        "POST",
        "/awards/{id}/instalments/{financial_year}/release",
        signed(Release),
    ),
    (
        "POST",
        "/awards/{id}/instalments/{financial_year}/authorise",
        signed(AuthoriseRelease),
    ),
    ("GET", "/awards/{id}/variations", signed(ReadVariations)),
    ("POST", "/awards/{id}/variations", signed(AskVariation)),
    ("GET", "/variations", signed(DecideVariation)),
    ("GET", "/variations/{id}", signed(ReadVariations)),
    ("POST", "/variations/{id}/approve", signed(DecideVariation)),
    ("POST", "/variations/{id}/refuse", signed(DecideVariation)),
    ("POST", "/variations/{id}/withdraw", signed(AskVariation)),
    ("GET", "/release-requests", signed(ReadReleaseQueue)),
    ("GET", "/payment-runs", signed(PreparePayments)),
    ("POST", "/payment-runs", signed(PreparePayments)),
    ("GET", "/payment-runs/{id}", signed(PreparePayments)),
    (
        "GET",
        "/payment-runs/{id}/lines.csv",
        signed(PreparePayments),
    ),
    ("POST", "/payment-runs/{id}/close", signed(PreparePayments)),
    (
        "POST",
        "/payment-runs/{id}/lines/{line_id}/paid",
        signed(PreparePayments),
    ),
    (
        "POST",
        "/payment-runs/{id}/lines/{line_id}/failed",
        signed(PreparePayments),
    ),
    (
        "POST",
        "/payment-runs/{id}/results",
        signed(PreparePayments),
    ),
    ("GET", "/awards/{id}/returns", signed(ReadReturns)),
    ("GET", "/returns", signed(ReadReturns)),
    ("GET", "/returns/{id}", signed(ReadReturns)),
    ("PATCH", "/returns/{id}", signed(CompleteReturn)),
    ("POST", "/returns/{id}/submit", signed(CompleteReturn)),
    ("POST", "/returns/{id}/review", signed(ReviewReturn)),
    (
        "GET",
        "/awards/{id}/feedback-links",
        signed(ManageFeedbackLinks),
    ),
    (
        "POST",
        "/awards/{id}/feedback-links",
        signed(ManageFeedbackLinks),
    ),
    (
        "DELETE",
        "/feedback-links/{id}",
        signed(ManageFeedbackLinks),
    ),
    ("GET", "/awards/{id}/feedback", signed(ReadFeedback)),
    ("GET", "/feedback/{token}", Access::Public),
    ("POST", "/feedback/{token}", Access::Public),
    ("GET", "/reports/funds/{id}/summary", signed(ReadReports)),
    (
        "GET",
        "/reports/funds/{id}/summary.csv",
        signed(ReadReports),
    ),
    (
        "GET",
        "/reports/funds/{id}/by-health-board",
        signed(ReadReports),
    ),
    (
        "GET",
        "/reports/funds/{id}/by-health-board.csv",
        signed(ReadReports),
    ),
    (
        "GET",
        "/reports/funds/{id}/by-target-group",
        signed(ReadReports),
    ),
    (
        "GET",
        "/reports/funds/{id}/by-target-group.csv",
        signed(ReadReports),
    ),
    ("GET", "/reports/funds/{id}/reach", signed(ReadReports)),
    ("GET", "/reports/funds/{id}/reach.csv", signed(ReadReports)),
    ("GET", "/reports/funds/{id}/feedback", signed(ReadReports)),
    (
        "GET",
        "/reports/funds/{id}/feedback.csv",
        signed(ReadReports),
    ),
    ("GET", "/exports/360giving", signed(ExportOpenData)),
    ("GET", "/exports/360giving.csv", signed(ExportOpenData)),
    ("GET", "/directory", Access::Public),
    (
        "GET",
        "/organisations/{id}/documents",
        signed(ReadDocuments),
    ),
    (
        "POST",
        "/organisations/{id}/documents",
        signed(ManageDocuments),
    ),
    ("GET", "/applications/{id}/documents", signed(ReadDocuments)),
    (
        "POST",
        "/applications/{id}/documents",
        signed(ManageDocuments),
    ),
    ("GET", "/returns/{id}/documents", signed(ReadDocuments)),
    ("POST", "/returns/{id}/documents", signed(ManageDocuments)),
    ("GET", "/awards/{id}/documents", signed(ReadDocuments)),
    ("POST", "/awards/{id}/documents", signed(ManageDocuments)),
    ("GET", "/documents/{id}", signed(ReadDocuments)),
    ("GET", "/documents/{id}/content", signed(ReadDocuments)),
    ("DELETE", "/documents/{id}", signed(ManageDocuments)),
    ("GET", "/rounds/{id}/required-documents", Access::Public),
    (
        "PUT",
        "/rounds/{id}/required-documents",
        signed(ManageRounds),
    ),
    ("GET", "/directory/{id}", Access::Public),
    ("GET", "/directory.csv", Access::Public),
    ("GET", "/directory.json", Access::Public),
    ("GET", "/directory-services", signed(ReadDirectoryServices)),
    ("POST", "/directory-services", signed(EditDirectoryService)),
    (
        "GET",
        "/directory-services/{id}",
        signed(ReadDirectoryServices),
    ),
    (
        "PUT",
        "/directory-services/{id}",
        signed(EditDirectoryService),
    ),
    (
        "POST",
        "/directory-services/{id}/approve",
        signed(ApproveDirectoryService),
    ),
    ("GET", "/open-data", Access::Public),
    (
        "GET",
        "/open-data/funds/{id}/360giving.json",
        Access::Public,
    ),
    ("GET", "/open-data/funds/{id}/360giving.csv", Access::Public),
    ("GET", "/open-data/funds/{id}/summary.json", Access::Public),
    ("GET", "/open-data/funds/{id}/reach.json", Access::Public),
    ("GET", "/open-data/funds/{id}/feedback.json", Access::Public),
    ("GET", "/open-data/funds/{id}/{figures}.csv", Access::Public),
    ("GET", "/audit", signed(ReadAuditLog)),
    ("GET", "/outbox", signed(ReadOutbox)),
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
        Some(access) if access.allows(role) => Ok(()),
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
    fn every_action_is_the_action_of_a_route() {
        for action in Action::ALL {
            assert!(
                POLICY
                    .iter()
                    .any(|(_, _, access)| *access == Access::Signed(*action)),
                "no route is {action:?}"
            );
        }
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
