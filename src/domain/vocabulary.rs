//! The fixed vocabularies of the fund: each is a closed enum, written in snake_case in
//! the API and in the database.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Declares a closed vocabulary: the enum, its snake_case text, and parsing from that text. A
/// vocabulary stored in a column is listed in the storage layer's `text_enum`, which reads and
/// writes it as that text.
macro_rules! vocabulary {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema)]
        #[derive(diesel::AsExpression, diesel::FromSqlRow)]
        #[diesel(sql_type = diesel::sql_types::Text)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($(#[$vmeta])* $variant),+ }

        impl $name {
            /// Every value, in the published order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The value as written in the API and the database.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }
        }

        impl std::str::FromStr for $name {
            type Err = crate::domain::vocabulary::UnknownValue;
            fn from_str(text: &str) -> Result<Self, Self::Err> {
                match text {
                    $($text => Ok($name::$variant),)+
                    _ => Err(crate::domain::vocabulary::UnknownValue {
                        expected: &[$($text),+],
                    }),
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

/// A text that is not one of a vocabulary's values.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("must be one of: {}", expected.join(", "))]
pub struct UnknownValue {
    pub expected: &'static [&'static str],
}

vocabulary! {
    /// What a user may do.
    Role {
        /// Staff of a charity: applies, reports, hands out feedback links.
        Applicant => "applicant",
        /// Panel member: declares conflicts, scores assigned applications.
        Assessor => "assessor",
        /// The fund administrator's staff: sets up, decides, reviews, reads everything.
        Administrator => "administrator",
        /// Government official: reads totals and exports, changes nothing.
        Official => "official",
        /// Finance staff: check bank details, authorise payments and prepare payment runs.
        Finance => "finance",
        /// A family fund's claimant: the partner, other parent or main carer of a woman in a
        /// unit, who registers themselves and claims back the costs of visiting her.
        Claimant => "claimant",
        /// Clinical staff of one unit: certify that a woman was resident, approve taxis before
        /// the journey.
        Clinician => "clinician",
        /// The cash office of one NHS board: checks, approves, rejects or refers the claims of
        /// the families of its units' patients, approves flights, and pays.
        CashOffice => "cash_office",
    }
}

impl Role {
    /// The grant programme's staff: every role that neither belongs to an applicant
    /// organisation nor works on the family fund alone. Staff read every organisation.
    pub fn is_staff(self) -> bool {
        matches!(
            self,
            Role::Assessor | Role::Administrator | Role::Official | Role::Finance
        )
    }

    /// Everyone who works for a fund rather than applying to it or claiming from it: the grant
    /// programme's staff, and the family fund's clinicians and cash offices. Their sign-ins are
    /// kept in a history, and they set up a second factor.
    pub fn works_for_a_fund(self) -> bool {
        self.is_staff() || matches!(self, Role::Clinician | Role::CashOffice)
    }

    /// The family fund's roles, who see stays and claims and nothing of the grant cycle.
    pub fn is_family(self) -> bool {
        matches!(self, Role::Claimant | Role::Clinician | Role::CashOffice)
    }
}

vocabulary! {
    /// What a fund pays for, and to whom.
    FundKind {
        /// Grants to organisations, who apply in rounds and are scored by a panel.
        Grants => "grants",
        /// Families' costs of visiting a mother in a unit, paid back claim by claim.
        FamilyExpenses => "family_expenses",
    }
}

impl Default for FundKind {
    /// A fund created without saying otherwise runs grants.
    fn default() -> Self {
        FundKind::Grants
    }
}

vocabulary! {
    /// Who visits a woman in a unit: the claimant, or one of the children.
    VisitorKind {
        Claimant => "claimant",
        Child => "child",
    }
}

vocabulary! {
    /// A journey that must be approved before it is made.
    PreApprovalKind {
        /// Approved by a clinician of the unit.
        Taxi => "taxi",
        /// Approved by the cash office of the unit's board.
        Flight => "flight",
    }
}

vocabulary! {
    /// Where a request to make a journey stands.
    PreApprovalStatus {
        Requested => "requested",
        Approved => "approved",
        Refused => "refused",
    }
}

vocabulary! {
    /// Where a family's claim stands.
    ClaimStatus {
        /// Being written by the claimant.
        Draft => "draft",
        /// Sent: waits for a clinician of the unit to certify the woman's residence.
        Submitted => "submitted",
        /// Residence certified: waits for the cash office's check.
        Certified => "certified",
        /// Approved, in full or in part: waits for a payment run.
        Approved => "approved",
        /// Turned down by the cash office.
        Rejected => "rejected",
        /// Referred to counter fraud: frozen.
        Referred => "referred",
        /// Paid into the claimant's account.
        Paid => "paid",
    }
}

vocabulary! {
    /// What a claim's line is for. Costs the fund never pays (loss of earnings, fines,
    /// childcare, car hire, alcohol) have no kind.
    ClaimLineKind {
        /// Miles driven, paid at the year's mileage rate.
        Car => "car",
        /// A standard-class return journey, with its receipt.
        PublicTransport => "public_transport",
        /// A return journey approved beforehand by the unit, with its receipt.
        Taxi => "taxi",
        /// A return flight approved beforehand by the board, with its receipt.
        Flight => "flight",
        /// Food and non-alcoholic drinks: the year's flat rate, no receipt.
        Food => "food",
        /// One room for one night, with its receipt.
        Accommodation => "accommodation",
    }
}

impl ClaimLineKind {
    /// Travel lines: one a person a day.
    pub fn is_travel(self) -> bool {
        matches!(
            self,
            ClaimLineKind::Car
                | ClaimLineKind::PublicTransport
                | ClaimLineKind::Taxi
                | ClaimLineKind::Flight
        )
    }

    /// The kind in words, as a page or an email shows it.
    pub fn label(self) -> &'static str {
        match self {
            ClaimLineKind::Car => "Car",
            ClaimLineKind::PublicTransport => "Public transport",
            ClaimLineKind::Taxi => "Taxi",
            ClaimLineKind::Flight => "Flight",
            ClaimLineKind::Food => "Food and drink",
            ClaimLineKind::Accommodation => "Accommodation",
        }
    }
}

vocabulary! {
    /// What the check of a claim made of one line.
    LineOutcome {
        /// Approved as claimed.
        Full => "full",
        /// Approved for less, with the reason.
        Part => "part",
        /// Not approved, with the reason.
        None => "none",
        /// Outside the dates the clinician certified.
        Cut => "cut",
    }
}

vocabulary! {
    /// What became of one attempt to sign in to a staff account.
    SignInOutcome {
        /// Signed in: the password, and the second factor where the account has one.
        Success => "success",
        /// The password was wrong.
        Failure => "failure",
        /// The password was right but the code or recovery code was not.
        MfaFailure => "mfa_failure",
        /// Refused without checking: too many recent attempts for the account.
        Lockout => "lockout",
    }
}

vocabulary! {
    /// The legal form of an applicant organisation.
    OrganisationType {
        Charity => "charity",
        Scio => "scio",
        CompanyLimitedByGuarantee => "company_limited_by_guarantee",
        CommunityGroup => "community_group",
        SocialEnterprise => "social_enterprise",
        HealthBoard => "health_board",
        LocalAuthority => "local_authority",
    }
}

vocabulary! {
    /// The 14 territorial NHS Scotland health boards.
    HealthBoard {
        AyrshireAndArran => "ayrshire_and_arran",
        Borders => "borders",
        DumfriesAndGalloway => "dumfries_and_galloway",
        Fife => "fife",
        ForthValley => "forth_valley",
        Grampian => "grampian",
        GreaterGlasgowAndClyde => "greater_glasgow_and_clyde",
        Highland => "highland",
        Lanarkshire => "lanarkshire",
        Lothian => "lothian",
        Orkney => "orkney",
        Shetland => "shetland",
        Tayside => "tayside",
        WesternIsles => "western_isles",
    }
}

impl HealthBoard {
    /// The board's name as NHS Scotland writes it.
    pub fn name(self) -> &'static str {
        match self {
            HealthBoard::AyrshireAndArran => "NHS Ayrshire and Arran",
            HealthBoard::Borders => "NHS Borders",
            HealthBoard::DumfriesAndGalloway => "NHS Dumfries and Galloway",
            HealthBoard::Fife => "NHS Fife",
            HealthBoard::ForthValley => "NHS Forth Valley",
            HealthBoard::Grampian => "NHS Grampian",
            HealthBoard::GreaterGlasgowAndClyde => "NHS Greater Glasgow and Clyde",
            HealthBoard::Highland => "NHS Highland",
            HealthBoard::Lanarkshire => "NHS Lanarkshire",
            HealthBoard::Lothian => "NHS Lothian",
            HealthBoard::Orkney => "NHS Orkney",
            HealthBoard::Shetland => "NHS Shetland",
            HealthBoard::Tayside => "NHS Tayside",
            HealthBoard::WesternIsles => "NHS Western Isles",
        }
    }

    /// The board's GSS code (the S08 series in force since 2019).
    pub fn gss_code(self) -> &'static str {
        match self {
            HealthBoard::AyrshireAndArran => "S08000015",
            HealthBoard::Borders => "S08000016",
            HealthBoard::DumfriesAndGalloway => "S08000017",
            HealthBoard::Fife => "S08000029",
            HealthBoard::ForthValley => "S08000019",
            HealthBoard::Grampian => "S08000020",
            HealthBoard::GreaterGlasgowAndClyde => "S08000031",
            HealthBoard::Highland => "S08000022",
            HealthBoard::Lanarkshire => "S08000032",
            HealthBoard::Lothian => "S08000024",
            HealthBoard::Orkney => "S08000025",
            HealthBoard::Shetland => "S08000026",
            HealthBoard::Tayside => "S08000030",
            HealthBoard::WesternIsles => "S08000028",
        }
    }

    /// The board a text names: its value (`fife`), its GSS code (`S08000029`) or its name
    /// (`NHS Fife`, or `Fife`), in any case.
    pub fn find(text: &str) -> Option<HealthBoard> {
        let text = text.trim();
        HealthBoard::ALL.iter().copied().find(|b| {
            b.as_str().eq_ignore_ascii_case(text)
                || b.gss_code().eq_ignore_ascii_case(text)
                || b.name().eq_ignore_ascii_case(text)
                || b.name()
                    .strip_prefix("NHS ")
                    .is_some_and(|n| n.eq_ignore_ascii_case(text))
        })
    }
}

vocabulary! {
    /// The parts of a fund that rounds belong to.
    Component {
        /// Established services.
        Core => "core",
        /// Small organisations and emerging issues (years 2 and 3).
        Innovation => "innovation",
        /// Continued funding for earlier grantees.
        Extension => "extension",
    }
}

vocabulary! {
    /// How often a grant holder sends a monitoring return.
    ReturnFrequency {
        Quarterly => "quarterly",
        SixMonthly => "six_monthly",
        Annual => "annual",
    }
}

vocabulary! {
    /// The people an application sets out to reach.
    TargetGroup {
        MothersBirthingParents => "mothers_birthing_parents",
        FathersPartners => "fathers_partners",
        KinshipCarers => "kinship_carers",
        Infants => "infants",
        NeonatalComplexNeeds => "neonatal_complex_needs",
        SubstanceUse => "substance_use",
        DomesticAbuseTrauma => "domestic_abuse_trauma",
        RuralIsland => "rural_island",
        MinorityEthnic => "minority_ethnic",
        YoungParents => "young_parents",
    }
}

vocabulary! {
    /// The kinds of support a funded service offers.
    SupportType {
        Counselling => "counselling",
        Befriending => "befriending",
        PeerSupport => "peer_support",
        ParentInfantRelationship => "parent_infant_relationship",
        FamilySupport => "family_support",
        Helpline => "helpline",
        Digital => "digital",
        GroupWork => "group_work",
    }
}

vocabulary! {
    /// Where a directory listing stands: `pending` until an administrator approves it, and
    /// again after every change its organisation makes; only `approved` listings are public.
    ListingStatus {
        Pending => "pending",
        Approved => "approved",
    }
}

vocabulary! {
    /// Where a round stands at a given moment.
    RoundStatus {
        /// Not yet open: staff may still change anything.
        Upcoming => "upcoming",
        /// Taking applications.
        Open => "open",
        /// Past its closing time.
        Closed => "closed",
    }
}

vocabulary! {
    /// Where an application stands: `draft → submitted → awarded | declined`, and
    /// `draft | submitted → withdrawn`.
    ApplicationStatus {
        Draft => "draft",
        Submitted => "submitted",
        Awarded => "awarded",
        Declined => "declined",
        Withdrawn => "withdrawn",
    }
}

vocabulary! {
    /// Where an award stands: `offered → accepted | declined` by the applicant, then
    /// `accepted → completed`, or `terminated` by an administrator from `offered` or `accepted`.
    AwardStatus {
        Offered => "offered",
        Accepted => "accepted",
        Declined => "declined",
        Completed => "completed",
        Terminated => "terminated",
    }
}

vocabulary! {
    /// One year of an award: `committed` against the year's budget, `authorised` once a finance
    /// user has authorised its release (it waits for a payment run), then `released` (paid, when
    /// its line of a run is marked paid) or `cancelled` (given back, when the offer is declined or
    /// the award terminated unpaid).
    InstalmentStatus {
        Committed => "committed",
        Authorised => "authorised",
        Released => "released",
        Cancelled => "cancelled",
    }
}

vocabulary! {
    /// A payment run: `open` while finance checks its total and count, `closed` once sent to the
    /// bank, when its lines are marked paid or failed.
    PaymentRunStatus {
        Open => "open",
        Closed => "closed",
    }
}

vocabulary! {
    /// What a line of a payment run pays.
    PaymentKind {
        /// An award's instalment.
        Instalment => "instalment",
        /// An approved claim of a family fund.
        Claim => "claim",
    }
}

vocabulary! {
    /// A line of a payment run: `pending` until the bank's result is known, then `paid` or
    /// `failed` (its payment goes back to the queue for a later run).
    PaymentLineStatus {
        Pending => "pending",
        Paid => "paid",
        Failed => "failed",
    }
}

vocabulary! {
    /// What a variation changes of an accepted award: `reprofile` moves money between its years
    /// (the total stays), `reduce` lowers one or more years (the money goes back to the fund),
    /// `extend` moves its end date later without new money, `conditions` rewrites its
    /// conditions.
    VariationKind {
        Reprofile => "reprofile",
        Reduce => "reduce",
        Extend => "extend",
        Conditions => "conditions",
    }
}

vocabulary! {
    /// Where a variation stands: `requested`, then `approved` or `refused` by an administrator,
    /// or `withdrawn` by the one who asked.
    VariationStatus {
        Requested => "requested",
        Approved => "approved",
        Refused => "refused",
        Withdrawn => "withdrawn",
    }
}

vocabulary! {
    /// Where a monitoring return stands: `scheduled` until its period ends, then `due`, and
    /// `overdue` once past its due date without being submitted; `submitted`, then `accepted`
    /// or `changes_requested` by an administrator, after which it is submitted again.
    ReturnStatus {
        Scheduled => "scheduled",
        Due => "due",
        Overdue => "overdue",
        Submitted => "submitted",
        Accepted => "accepted",
        ChangesRequested => "changes_requested",
    }
}

impl ReturnStatus {
    /// Whether the grant holder may still change the return.
    pub fn is_open(self) -> bool {
        matches!(
            self,
            ReturnStatus::Scheduled
                | ReturnStatus::Due
                | ReturnStatus::Overdue
                | ReturnStatus::ChangesRequested
        )
    }

    /// The status of a return on `today`: the three states before a first submission follow the
    /// calendar (after the period ends it is due; after the due date, overdue), whatever the
    /// stored value says; the others are as stored.
    pub fn on(
        self,
        period_end: chrono::NaiveDate,
        due: chrono::NaiveDate,
        today: chrono::NaiveDate,
    ) -> Self {
        match self {
            ReturnStatus::Scheduled | ReturnStatus::Due | ReturnStatus::Overdue => {
                if today <= period_end {
                    ReturnStatus::Scheduled
                } else if today <= due {
                    ReturnStatus::Due
                } else {
                    ReturnStatus::Overdue
                }
            }
            other => other,
        }
    }
}

vocabulary! {
    /// An administrator's review of a submitted return.
    ReviewOutcome {
        Accepted => "accepted",
        ChangesRequested => "changes_requested",
    }
}

vocabulary! {
    /// Who gives family feedback, as they choose to say.
    Respondent {
        MotherBirthingParent => "mother_birthing_parent",
        FatherPartner => "father_partner",
        KinshipCarer => "kinship_carer",
        OtherFamilyMember => "other_family_member",
        PreferNotToSay => "prefer_not_to_say",
    }
}

vocabulary! {
    /// The fixed statements families rate from 1 (strongly disagree) to 5 (strongly agree).
    Statement {
        ListenedTo => "listened_to",
        Wellbeing => "wellbeing",
        RelationshipWithBaby => "relationship_with_baby",
        Recommend => "recommend",
    }
}

vocabulary! {
    /// Where an assignment stands: `pending` until the assessor declares whether they have a
    /// conflict of interest; then `conflicted` (closed) or `in_progress`; `submitted` once scored.
    AssignmentStatus {
        Pending => "pending",
        InProgress => "in_progress",
        Conflicted => "conflicted",
        Submitted => "submitted",
    }
}

vocabulary! {
    /// What the fund decided on an application.
    DecisionOutcome {
        /// Offer a grant of the given amounts.
        Award => "award",
        /// Turn the application down, with feedback.
        Decline => "decline",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn there_are_fourteen_boards_with_distinct_gss_codes() {
        assert_eq!(HealthBoard::ALL.len(), 14);
        let codes: HashSet<_> = HealthBoard::ALL.iter().map(|b| b.gss_code()).collect();
        assert_eq!(codes.len(), 14);
        assert!(codes.iter().all(|c| c.len() == 9 && c.starts_with("S08")));
    }

    #[test]
    fn text_round_trips_and_matches_serde() {
        for board in HealthBoard::ALL {
            assert_eq!(board.as_str().parse::<HealthBoard>().ok(), Some(*board));
            let json = serde_json::to_string(board).unwrap_or_default();
            assert_eq!(json, format!("\"{}\"", board.as_str()));
        }
        for role in Role::ALL {
            assert_eq!(role.as_str().parse::<Role>().ok(), Some(*role));
        }
        assert!("Fife".parse::<HealthBoard>().is_err());
    }
}

vocabulary! {
    /// What an uploaded document is. An organisation carries `constitution`, `annual_accounts`
    /// and `safeguarding_policy`; an application `budget`, `project_plan`, `letter_of_support`
    /// and `other`; a monitoring return `evidence` and `other`; an accepted award its
    /// `signed_agreement`.
    DocumentKind {
        Constitution => "constitution",
        AnnualAccounts => "annual_accounts",
        SafeguardingPolicy => "safeguarding_policy",
        Budget => "budget",
        ProjectPlan => "project_plan",
        LetterOfSupport => "letter_of_support",
        Evidence => "evidence",
        SignedAgreement => "signed_agreement",
        Receipt => "receipt",
        Other => "other",
    }
}

vocabulary! {
    /// What a document is attached to.
    DocumentOwner {
        Organisation => "organisation",
        Application => "application",
        Return => "return",
        Award => "award",
        /// A family's claim: its receipts.
        Claim => "claim",
    }
}

impl DocumentKind {
    /// The kinds a document of `owner` may be.
    pub fn allowed_for(owner: DocumentOwner) -> &'static [DocumentKind] {
        use DocumentKind::*;
        match owner {
            DocumentOwner::Organisation => &[Constitution, AnnualAccounts, SafeguardingPolicy],
            DocumentOwner::Application => &[Budget, ProjectPlan, LetterOfSupport, Other],
            DocumentOwner::Return => &[Evidence, Other],
            DocumentOwner::Award => &[SignedAgreement],
            DocumentOwner::Claim => &[Receipt],
        }
    }

    /// The kind in words, as a page shows it.
    pub fn label(self) -> &'static str {
        match self {
            DocumentKind::Constitution => "Constitution",
            DocumentKind::AnnualAccounts => "Annual accounts",
            DocumentKind::SafeguardingPolicy => "Safeguarding policy",
            DocumentKind::Budget => "Budget",
            DocumentKind::ProjectPlan => "Project plan",
            DocumentKind::LetterOfSupport => "Letter of support",
            DocumentKind::Evidence => "Evidence",
            DocumentKind::SignedAgreement => "Signed grant agreement",
            DocumentKind::Receipt => "Receipt",
            DocumentKind::Other => "Other document",
        }
    }
}
