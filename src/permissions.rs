//! Who may do what: every action a signed-in caller can take, and the one table of the roles
//! allowed each.
//!
//! The API's route table (`access.rs`) names the action of each route, the services check the
//! action again before they touch anything, and the portal's pages check the action of what they
//! show or change. All three read [`Action::roles`], so a role is given or taken away here alone.
//! Which objects a permitted caller reaches (their own organisation's, the applications assigned
//! to them) is decided by the services.

use crate::domain::vocabulary::Role;

macro_rules! actions {
    ($($(#[doc = $doc:literal])* $name:ident,)*) => {
        /// Something a signed-in caller can do, in the order of the grant cycle.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum Action {
            $($(#[doc = $doc])* $name,)*
        }

        impl Action {
            /// Every action, in the order they are declared.
            pub const ALL: &'static [Action] = &[$(Action::$name,)*];
        }
    };
}

actions! {
    /// Read one's own account.
    ReadOwnAccount,
    /// Enrol or remove one's own second factor, step up, and end one's own sessions.
    ManageOwnAccount,
    /// List, create, change and deactivate user accounts.
    ManageUsers,
    /// Read organisations: applicants their own, staff every one.
    ReadOrganisations,
    /// Change an organisation's details.
    EditOrganisation,
    /// Mark an organisation's identity as checked.
    VerifyOrganisation,
    /// Read an organisation's bank details, masked.
    ReadBankDetails,
    /// Enter or change an organisation's bank details.
    EditBankDetails,
    /// Check bank details someone else entered, so that payments may be made.
    VerifyBankDetails,
    /// Read funds and their financial years.
    ReadFunds,
    /// Create and change funds and set the budget of their years.
    ManageFunds,
    /// Open and change rounds and their scoring criteria.
    ManageRounds,
    /// Start an application to an open round.
    Apply,
    /// Change, submit or withdraw one's own application.
    EditApplication,
    /// List applications: applicants their own organisation's, administrators every one.
    ListApplications,
    /// Read one application.
    ReadApplication,
    /// Assign assessors to applications.
    AssignAssessors,
    /// Ask an applicant a question about a submitted application, for the panel.
    AskForInformation,
    /// Read assignments and the assessment of an application.
    ReadAssessments,
    /// Declare a conflict of interest, and score and submit an assignment.
    Score,
    /// Moderate an application's scores.
    Moderate,
    /// Read a round's ranking.
    ReadRanking,
    /// Decide an application: award it or turn it down.
    Decide,
    /// Read awards.
    ReadAwards,
    /// Accept or decline an offer of an award.
    AnswerOffer,
    /// End an award early.
    Terminate,
    /// Request the release of an instalment of an award.
    Release,
    /// Authorise a requested release, which queues the instalment for a payment run.
    AuthoriseRelease,
    /// Ask for a variation of an accepted award (grant holders), or propose one
    /// (administrators).
    AskVariation,
    /// Read the variations of an award.
    ReadVariations,
    /// Approve or refuse a variation, and list those waiting.
    DecideVariation,
    /// Read the queue of requested and authorised releases.
    ReadReleaseQueue,
    /// Build, read, download and close payment runs, and mark their lines paid or failed:
    /// finance those of instalments, a cash office those of its board's claims.
    PreparePayments,
    /// Read monitoring returns.
    ReadReturns,
    /// Fill in and submit a monitoring return.
    CompleteReturn,
    /// Accept a monitoring return or send it back.
    ReviewReturn,
    /// Create, list and revoke an award's feedback links.
    ManageFeedbackLinks,
    /// Read the feedback given on an award.
    ReadFeedback,
    /// Read a fund's reports.
    ReadReports,
    /// Export the awards as open data.
    ExportOpenData,
    /// Read directory listings, pending ones too: applicants their own organisation's,
    /// administrators every one.
    ReadDirectoryServices,
    /// Create and change one's own organisation's directory listings.
    EditDirectoryService,
    /// Approve a directory listing for the public directory.
    ApproveDirectoryService,
    /// Read the audit log.
    ReadAuditLog,
    /// Read the outbox of emails.
    ReadOutbox,
    /// List and download the documents of what the caller may read (never officials).
    ReadDocuments,
    /// Upload and delete the documents of one's own organisation, applications, returns and
    /// awards, or of one's own draft claims (their receipts).
    ManageDocuments,
    /// Record one's own stays, their visitors and discharge, ask for journeys to be approved,
    /// write and submit claims and attach their receipts (claimants).
    Claim,
    /// Read stays and their claims: claimants their own, clinicians their unit's, cash offices
    /// their board's.
    ReadStays,
    /// Approve or refuse a journey before it is made: taxis (clinicians of the unit), flights
    /// (the cash office of the board).
    DecidePreApproval,
    /// Certify that a woman was resident in the unit for a claim's dates.
    CertifyClaim,
    /// Approve a certified claim line by line, reject it or refer it to counter fraud.
    CheckClaim,
}

use Role::{
    Administrator as D, Applicant as A, Assessor as S, CashOffice as K, Claimant as C,
    Clinician as L, Finance as F, Official as O,
};

impl Action {
    /// The roles allowed this action, in the order the contract names them.
    pub const fn roles(self) -> &'static [Role] {
        use Action::*;
        match self {
            ReadOwnAccount | ManageOwnAccount => &[A, S, D, O, F, C, L, K],
            ReadOrganisations => &[A, S, D, O, F],
            ReadFunds => &[S, D, O, F, C, L, K],
            Claim => &[C],
            ReadStays => &[C, L, K],
            DecidePreApproval => &[L, K],
            CertifyClaim => &[L],
            CheckClaim => &[K],
            EditOrganisation
            | ListApplications
            | ReadReturns
            | ManageFeedbackLinks
            | ReadFeedback
            | ReadDirectoryServices
            | AskVariation
            | ReadVariations => &[A, D],
            ReadBankDetails => &[A, D, F],
            EditBankDetails => &[A, D],
            VerifyBankDetails => &[D, F],
            AuthoriseRelease => &[F],
            PreparePayments => &[F, K],
            ReadReleaseQueue => &[D, F],
            ReadApplication => &[A, S, D],
            ReadDocuments => &[A, S, D, C, K],
            ReadAwards => &[A, D, O, F],
            ReadAssessments => &[S, D],
            ReadReports | ExportOpenData => &[O, D],
            Apply | EditApplication | AnswerOffer | CompleteReturn | EditDirectoryService => &[A],
            ManageDocuments => &[A, C],
            Score => &[S],
            ManageUsers
            | VerifyOrganisation
            | ManageFunds
            | ManageRounds
            | AssignAssessors
            | AskForInformation
            | Moderate
            | ReadRanking
            | Decide
            | Terminate
            | Release
            | DecideVariation
            | ReviewReturn
            | ReadAuditLog
            | ReadOutbox
            | ApproveDirectoryService => &[D],
        }
    }

    /// True when `role` may take this action.
    pub fn allows(self, role: Role) -> bool {
        self.roles().contains(&role)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn allowed(action: Action) -> Vec<Role> {
        Role::ALL
            .iter()
            .copied()
            .filter(|r| action.allows(*r))
            .collect()
    }

    #[test]
    fn key_rules_hold() {
        assert_eq!(allowed(Action::Decide), [Role::Administrator]);
        assert_eq!(allowed(Action::AnswerOffer), [Role::Applicant]);
        assert!(Action::ReadReports.allows(Role::Official));
        assert!(Action::ExportOpenData.allows(Role::Official));
        assert!(!Action::ReadApplication.allows(Role::Official));
        assert!(!Action::ListApplications.allows(Role::Official));
        assert!(!Action::ReadReports.allows(Role::Applicant));
        assert!(!Action::ReadDocuments.allows(Role::Official));
        assert_eq!(
            allowed(Action::ManageDocuments),
            [Role::Applicant, Role::Claimant]
        );
        assert!(!Action::Score.allows(Role::Administrator));
        assert_eq!(
            allowed(Action::VerifyBankDetails),
            [Role::Administrator, Role::Finance]
        );
        assert!(!Action::EditBankDetails.allows(Role::Finance));
    }

    #[test]
    fn every_action_is_allowed_someone_and_listed_once() {
        for action in Action::ALL {
            assert!(!action.roles().is_empty(), "{action:?} is allowed nobody");
            let mut roles = action.roles().to_vec();
            roles.dedup();
            assert_eq!(
                roles.len(),
                action.roles().len(),
                "{action:?} names a role twice"
            );
        }
        let unique: std::collections::HashSet<_> = Action::ALL.iter().collect();
        assert_eq!(unique.len(), Action::ALL.len());
    }
}
