//! `serve --demo`: on an empty database, seeds the model case below so the service can be tried
//! at once, and prints the sign-in details of its staff and one applicant;
//! `demo credentials --reset` gives those accounts new passwords when the printed ones are lost.
//!
//! The model case is a national perinatal and infant mental health fund (PIMH): £1,000,000 a
//! year approved for 2020-21 to 2022-23; a core round, an innovation round for small
//! organisations and an extension round; organisations across all 14 NHS Scotland health boards
//! with draft and submitted applications. Everything goes through the same service functions as
//! the API, at the dates the events would have happened, so every rule is applied to it.

use chrono::NaiveDateTime;

use crate::auth::service::{no_users, set_password};
use crate::auth::{password, tokens};
use crate::caller::CurrentUser;
use crate::db::{DbConnection, write_transaction};
use crate::domain::identifiers::Email;
use crate::domain::vocabulary::Role;
use crate::error::{ApiError, Validator};
use crate::organisations::model::{OrganisationDetails, OrganisationInput};
use crate::organisations::service as organisations;
use crate::users::model::UserRow;
use crate::users::service::{self as users, NewUser};

/// A demo account and its password.
#[derive(Debug, Clone)]
pub struct Login {
    pub role: Role,
    pub email: String,
    pub password: String,
}

const ADMINISTRATOR: &str = "admin@fund.example.org";
const OFFICIAL: &str = "official@gov.example.org";
const ASSESSOR: &str = "assessor@panel.example.org";
const APPLICANT: &str = "aileen@bumps-and-babies.example.org";

/// The demo accounts whose sign-in details are printed, one of each role.
pub const ACCOUNTS: [(Role, &str); 4] = [
    (Role::Administrator, ADMINISTRATOR),
    (Role::Official, OFFICIAL),
    (Role::Assessor, ASSESSOR),
    (Role::Applicant, APPLICANT),
];

/// A new demo password. Random, so that a demo started by mistake on a reachable host is not an
/// open door.
fn new_password() -> Result<String, ApiError> {
    let secret = tokens::generate()?;
    Ok(format!("demo-{}", &secret[..16]))
}

/// Gives each demo account of [`ACCOUNTS`] that is in the database (same email and role, still
/// active) a new password, as a password reset does: its sessions end, its reset links stop
/// working and the change is audited. Other accounts are left alone. Gives the new sign-in
/// details, none when the database has no demo account.
pub fn reset_credentials(
    conn: &mut DbConnection,
    now: NaiveDateTime,
) -> Result<Vec<Login>, ApiError> {
    // Hashed before the transaction, so that it does not hold the database while hashing.
    let mut fresh = Vec::new();
    for (role, email) in ACCOUNTS {
        let password = new_password()?;
        let hash = password::hash(&password)?;
        fresh.push((role, email, password, hash));
    }
    write_transaction(conn, |conn| {
        let mut logins = Vec::new();
        for (role, email, password, hash) in fresh {
            let Some(user) = UserRow::find_by_email(conn, email)? else {
                continue;
            };
            if user.role != role || !user.active || user.deletion_requested_at.is_some() {
                continue;
            }
            set_password(conn, now, user.id, &hash, None)?;
            logins.push(Login {
                role,
                email: user.email,
                password,
            });
        }
        Ok(logins)
    })
}

/// Seeds the demo when there are no users yet; gives the logins it created (none if the
/// database was not empty).
pub fn seed(conn: &mut DbConnection, now: NaiveDateTime) -> Result<Vec<Login>, ApiError> {
    write_transaction(conn, |conn| {
        if !no_users(conn)? {
            return Ok(Vec::new());
        }
        let mut logins = Vec::new();
        let mut account = |conn: &mut DbConnection,
                           role: Role,
                           email: &str,
                           name: &str,
                           organisation_id: Option<i64>| {
            let password_text = new_password()?;
            let email = Email::parse(email).map_err(ApiError::internal)?;
            let user = users::create(
                conn,
                now,
                None,
                &NewUser {
                    email,
                    name: name.to_owned(),
                    role,
                    organisation_id,
                    password_hash: password::hash(&password_text)?,
                },
            )?;
            logins.push(Login {
                role,
                email: user.email.clone(),
                password: password_text,
            });
            Ok::<_, ApiError>(user)
        };
        let admin = account(
            conn,
            Role::Administrator,
            ADMINISTRATOR,
            "Morag Campbell",
            None,
        )?;
        account(conn, Role::Official, OFFICIAL, "Euan Fraser", None)?;
        let sam = account(conn, Role::Assessor, ASSESSOR, "Sam Ng", None)?;

        let input = OrganisationInput {
            name: "Bumps & Babies Fife".to_owned(),
            organisation_type: "scio".to_owned(),
            charity_number: Some("SC012345".to_owned()),
            company_number: None,
            annual_income: "180000.00".to_owned(),
            address: Some("12 High Street, Kirkcaldy".to_owned()),
            postcode: "KY1 1XX".to_owned(),
            health_boards: vec!["fife".to_owned()],
            website: Some("https://bumps-and-babies.example.org".to_owned()),
            contact_email: "info@bumps-and-babies.example.org".to_owned(),
            listed_in_directory: true,
        };
        let mut v = Validator::new();
        let details = OrganisationDetails::parse(&input, "", &mut v);
        let details = v.finish_with(|| details)?;
        let organisation = organisations::insert(conn, now, &details)?;
        let aileen = CurrentUser::from(account(
            conn,
            Role::Applicant,
            APPLICANT,
            "Aileen Reid",
            Some(organisation.id),
        )?);
        let admin = CurrentUser::from(admin);
        organisations::verify(conn, now, &admin, organisation.id)?;
        let mut panel = vec![CurrentUser::from(sam)];
        for (email, name) in [
            ("fiona.macleod@panel.example.org", "Fiona MacLeod"),
            ("ravi.shah@panel.example.org", "Ravi Shah"),
            ("eilidh.grant@panel.example.org", "Eilidh Grant"),
        ] {
            panel.push(CurrentUser::from(quiet_account(
                conn,
                now,
                Role::Assessor,
                email,
                name,
                None,
            )?));
        }
        model_case(conn, &admin, &aileen, &panel)?;
        Ok(logins)
    })
}

/// An account whose password is random and never shown: the demo acts as it, nobody signs in.
fn quiet_account(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    role: Role,
    email: &str,
    name: &str,
    organisation_id: Option<i64>,
) -> Result<crate::users::api::User, ApiError> {
    let secret = tokens::generate()?;
    users::create(
        conn,
        now,
        None,
        &NewUser {
            email: Email::parse(email).map_err(ApiError::internal)?,
            name: name.to_owned(),
            role,
            organisation_id,
            password_hash: password::hash(&secret)?,
        },
    )
}

fn at(text: &str) -> Result<NaiveDateTime, ApiError> {
    chrono::DateTime::parse_from_rfc3339(text)
        .map(|t| t.naive_utc())
        .map_err(ApiError::internal)
}

fn texts(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| (*s).to_owned()).collect()
}

/// One demo organisation: name, type, charity number, income, boards, postcode.
struct DemoOrganisation {
    name: &'static str,
    organisation_type: &'static str,
    income: &'static str,
    boards: &'static [&'static str],
    postcode: &'static str,
}

const ORGANISATIONS: &[DemoOrganisation] = &[
    DemoOrganisation {
        name: "Ayrshire Mums Together",
        organisation_type: "scio",
        income: "95000.00",
        boards: &["ayrshire_and_arran"],
        postcode: "KA7 1UT",
    },
    DemoOrganisation {
        name: "Borders Baby Bonds",
        organisation_type: "charity",
        income: "140000.00",
        boards: &["borders"],
        postcode: "TD1 1BB",
    },
    DemoOrganisation {
        name: "Galloway Family Circle",
        organisation_type: "scio",
        income: "62000.00",
        boards: &["dumfries_and_galloway"],
        postcode: "DG1 2BD",
    },
    DemoOrganisation {
        name: "Fife Dads Network",
        organisation_type: "community_group",
        income: "38000.00",
        boards: &["fife"],
        postcode: "KY11 4AB",
    },
    DemoOrganisation {
        name: "Forth Valley Perinatal Peer Support",
        organisation_type: "charity",
        income: "310000.00",
        boards: &["forth_valley"],
        postcode: "FK8 1EA",
    },
    DemoOrganisation {
        name: "Grampian Kinship Care Project",
        organisation_type: "company_limited_by_guarantee",
        income: "420000.00",
        boards: &["grampian"],
        postcode: "AB10 1YP",
    },
    DemoOrganisation {
        name: "Glasgow Parent Infant Partnership",
        organisation_type: "charity",
        income: "880000.00",
        boards: &["greater_glasgow_and_clyde"],
        postcode: "G1 1XQ",
    },
    DemoOrganisation {
        name: "Highland Home-Start",
        organisation_type: "scio",
        income: "260000.00",
        boards: &["highland"],
        postcode: "IV1 1HY",
    },
    DemoOrganisation {
        name: "Lanarkshire Bump Buddies",
        organisation_type: "scio",
        income: "74000.00",
        boards: &["lanarkshire"],
        postcode: "ML3 6AA",
    },
    DemoOrganisation {
        name: "Edinburgh Postnatal Depression Support",
        organisation_type: "charity",
        income: "520000.00",
        boards: &["lothian"],
        postcode: "EH1 1YZ",
    },
    DemoOrganisation {
        name: "Orkney Families Together",
        organisation_type: "community_group",
        income: "21000.00",
        boards: &["orkney"],
        postcode: "KW15 1NX",
    },
    DemoOrganisation {
        name: "Shetland Little Ones",
        organisation_type: "scio",
        income: "33000.00",
        boards: &["shetland"],
        postcode: "ZE1 0AA",
    },
    DemoOrganisation {
        name: "Tayside Mothers' Wellbeing",
        organisation_type: "charity",
        income: "190000.00",
        boards: &["tayside"],
        postcode: "DD1 4HN",
    },
    DemoOrganisation {
        name: "Western Isles Baby Café",
        organisation_type: "community_group",
        income: "18000.00",
        boards: &["western_isles"],
        postcode: "HS1 2BW",
    },
    DemoOrganisation {
        name: "Clyde Fathers' Project",
        organisation_type: "social_enterprise",
        income: "150000.00",
        boards: &["greater_glasgow_and_clyde", "lanarkshire"],
        postcode: "PA1 1BT",
    },
    DemoOrganisation {
        name: "Recovery Mums Scotland",
        organisation_type: "charity",
        income: "640000.00",
        boards: &["lothian", "fife", "forth_valley"],
        postcode: "EH6 6QQ",
    },
    DemoOrganisation {
        name: "Aberdeen Neonatal Family Support",
        organisation_type: "scio",
        income: "120000.00",
        boards: &["grampian"],
        postcode: "AB25 2ZN",
    },
    DemoOrganisation {
        name: "Dundee Young Parents Hub",
        organisation_type: "scio",
        income: "88000.00",
        boards: &["tayside"],
        postcode: "DD3 6HU",
    },
    DemoOrganisation {
        name: "Ayrshire Women's Aid Families",
        organisation_type: "charity",
        income: "350000.00",
        boards: &["ayrshire_and_arran"],
        postcode: "KA1 1HQ",
    },
    DemoOrganisation {
        name: "Perth Multicultural Mothers",
        organisation_type: "community_group",
        income: "27000.00",
        boards: &["tayside"],
        postcode: "PH1 5PH",
    },
    DemoOrganisation {
        name: "Inverness Infant Mental Health Service",
        organisation_type: "company_limited_by_guarantee",
        income: "230000.00",
        boards: &["highland"],
        postcode: "IV2 3BW",
    },
    DemoOrganisation {
        name: "Motherwell Family Befrienders",
        organisation_type: "scio",
        income: "66000.00",
        boards: &["lanarkshire"],
        postcode: "ML1 1AB",
    },
    DemoOrganisation {
        name: "Lothian Kinship Carers Alliance",
        organisation_type: "charity",
        income: "205000.00",
        boards: &["lothian", "borders"],
        postcode: "EH11 1BG",
    },
    DemoOrganisation {
        name: "Dumfries Perinatal Helpline",
        organisation_type: "scio",
        income: "49000.00",
        boards: &["dumfries_and_galloway"],
        postcode: "DG2 7DE",
    },
    DemoOrganisation {
        name: "Stirling Baby and Me",
        organisation_type: "community_group",
        income: "31000.00",
        boards: &["forth_valley"],
        postcode: "FK7 7QP",
    },
    DemoOrganisation {
        name: "Scottish Island Families Online",
        organisation_type: "social_enterprise",
        income: "112000.00",
        boards: &["orkney", "shetland", "western_isles"],
        postcode: "KW15 1DH",
    },
    DemoOrganisation {
        name: "Paisley Parent Peer Mentors",
        organisation_type: "scio",
        income: "57000.00",
        boards: &["greater_glasgow_and_clyde"],
        postcode: "PA3 2NS",
    },
    DemoOrganisation {
        name: "Kirkcaldy Counselling for Parents",
        organisation_type: "charity",
        income: "175000.00",
        boards: &["fife"],
        postcode: "KY1 1XP",
    },
    DemoOrganisation {
        name: "Borders Rural Family Link",
        organisation_type: "scio",
        income: "44000.00",
        boards: &["borders"],
        postcode: "TD6 9BS",
    },
    DemoOrganisation {
        name: "Grampian Dads Digital",
        organisation_type: "social_enterprise",
        income: "83000.00",
        boards: &["grampian", "highland"],
        postcode: "AB11 6BA",
    },
    DemoOrganisation {
        name: "Glasgow Minority Ethnic Mothers' Network",
        organisation_type: "charity",
        income: "210000.00",
        boards: &["greater_glasgow_and_clyde"],
        postcode: "G42 8DP",
    },
    DemoOrganisation {
        name: "West Lothian Nurture Groups",
        organisation_type: "scio",
        income: "99000.00",
        boards: &["lothian"],
        postcode: "EH54 6FF",
    },
];

/// What each demo application is about: target groups, support types, peer support.
const PROJECTS: &[(&str, &[&str], &[&str], bool)] = &[
    (
        "Peer support groups for new mothers",
        &["mothers_birthing_parents", "infants"],
        &["peer_support", "group_work"],
        true,
    ),
    (
        "Support for dads and partners",
        &["fathers_partners"],
        &["peer_support", "befriending"],
        true,
    ),
    (
        "Kinship carers' wellbeing service",
        &["kinship_carers", "infants"],
        &["family_support", "counselling"],
        false,
    ),
    (
        "Parent-infant relationship therapy",
        &["mothers_birthing_parents", "infants"],
        &["parent_infant_relationship", "counselling"],
        false,
    ),
    (
        "Family support in recovery",
        &["substance_use", "mothers_birthing_parents"],
        &["family_support", "peer_support"],
        true,
    ),
    (
        "Island families online",
        &["rural_island", "mothers_birthing_parents"],
        &["digital", "helpline"],
        false,
    ),
    (
        "Young parents' nurture groups",
        &["young_parents", "infants"],
        &["group_work", "parent_infant_relationship"],
        true,
    ),
    (
        "Neonatal unit family befriending",
        &["neonatal_complex_needs", "fathers_partners"],
        &["befriending", "family_support"],
        true,
    ),
    (
        "Mothers' network for minority ethnic families",
        &["minority_ethnic", "mothers_birthing_parents"],
        &["peer_support", "group_work"],
        true,
    ),
    (
        "Trauma-informed perinatal counselling",
        &["domestic_abuse_trauma", "mothers_birthing_parents"],
        &["counselling", "helpline"],
        false,
    ),
];

/// Seeds the fund, its years and rounds, the organisations and their applications.
fn model_case(
    conn: &mut DbConnection,
    admin: &CurrentUser,
    aileen: &CurrentUser,
    panel: &[CurrentUser],
) -> Result<(), ApiError> {
    use crate::applications::model::{NewApplication, Reach};
    use crate::applications::service as applications;
    use crate::funds::model::{FundInput, FundYearInput, OrganisationReference};
    use crate::funds::service as funds;
    use crate::rounds::model::{CriterionInput, RoundInput};
    use crate::rounds::service as rounds;

    let set_up = at("2020-08-03T10:00:00Z")?;
    let fund = funds::create(
        conn,
        set_up,
        admin,
        &FundInput {
            name: "Perinatal and Infant Mental Health Third Sector Fund".to_owned(),
            code: "PIMH".to_owned(),
            funder: OrganisationReference {
                name: "Scottish Government".to_owned(),
                org_id: "GB-GOR-PC390".to_owned(),
            },
            administrator: OrganisationReference {
                name: "Inspiring Scotland".to_owned(),
                org_id: "GB-SC-SC040887".to_owned(),
            },
            currency: "GBP".to_owned(),
            programme_start: "2020-08-01".to_owned(),
            programme_end: "2023-03-31".to_owned(),
            reach_target: 11_000,
        },
    )?;
    for year in ["2020-21", "2021-22", "2022-23"] {
        funds::set_year(
            conn,
            set_up,
            admin,
            fund.id,
            year,
            &FundYearInput {
                limit: "1000000.00".to_owned(),
                approved: true,
            },
        )?;
    }

    let round = |name: &str,
                 component: &str,
                 opens: &str,
                 closes: &str,
                 years: &[&str],
                 min: &str,
                 max: &str,
                 ceiling: Option<&str>,
                 frequency: &str,
                 guidance: &str| RoundInput {
        name: name.to_owned(),
        component: component.to_owned(),
        opens_at: opens.to_owned(),
        closes_at: closes.to_owned(),
        financial_years: texts(years),
        min_request: min.to_owned(),
        max_request: max.to_owned(),
        max_applicant_income: ceiling.map(str::to_owned),
        assessments_required: Some(2),
        return_frequency: frequency.to_owned(),
        guidance: Some(guidance.to_owned()),
    };
    let core = rounds::create(
        conn,
        set_up,
        admin,
        fund.id,
        &round(
            "Core 2021-23",
            "core",
            "2021-01-10T09:00:00Z",
            "2021-02-28T17:00:00Z",
            &["2021-22", "2022-23"],
            "5000.00",
            "100000.00",
            None,
            "quarterly",
            "Funding for established third-sector services supporting the mental health of women, families and infants from preconception to age three.",
        ),
    )?;
    let innovation = rounds::create(
        conn,
        set_up,
        admin,
        fund.id,
        &round(
            "Supplementary innovation 2021-23",
            "innovation",
            "2021-06-01T09:00:00Z",
            "2021-07-16T17:00:00Z",
            &["2021-22", "2022-23"],
            "2000.00",
            "20000.00",
            Some("250000.00"),
            "six_monthly",
            "For small organisations (annual income up to £250,000) and emerging issues, including fathers, kinship carers and families affected by substance use.",
        ),
    )?;
    let extension = rounds::create(
        conn,
        set_up,
        admin,
        fund.id,
        &round(
            "Extension 2022-23",
            "extension",
            "2022-01-10T09:00:00Z",
            "2022-02-25T17:00:00Z",
            &["2022-23"],
            "5000.00",
            "50000.00",
            None,
            "annual",
            "Continuation funding for services funded in earlier rounds.",
        ),
    )?;
    let criteria: &[(&str, &str, &str)] = &[
        (
            "Need and reach",
            "0.35",
            "Evidence of need in the area and the number of women and families the service will reach.",
        ),
        (
            "Quality and outcomes",
            "0.30",
            "How the service will improve perinatal and infant mental health, and how outcomes are measured.",
        ),
        (
            "Peer support and lived experience",
            "0.15",
            "How peer support and the voices of families shape the service.",
        ),
        (
            "Equality impact",
            "0.20",
            "How the service reaches marginalised groups named in the equality impact assessment.",
        ),
    ];
    for round_id in [core.id, innovation.id, extension.id] {
        for (name, weight, guidance) in criteria {
            rounds::create_criterion(
                conn,
                set_up,
                admin,
                round_id,
                &CriterionInput {
                    name: (*name).to_owned(),
                    guidance: Some((*guidance).to_owned()),
                    weight: (*weight).to_owned(),
                    max_score: 5,
                },
            )?;
        }
    }

    let opened = |round: &crate::rounds::model::Round, days: i64| {
        round.opens_at.naive_utc() + chrono::Duration::days(days)
    };
    let application = |index: usize, years: &[(&str, &str)], boards: &[&str]| {
        let (title, groups, support, peer) = PROJECTS[index % PROJECTS.len()];
        let people = 40 + (index as i64 * 37) % 260;
        NewApplication {
            title: title.to_owned(),
            summary: Some(format!("{title}: weekly sessions and one-to-one support for families.")),
            description: Some(format!(
                "{title}. Trained staff and volunteers offer sessions in community venues and online, with referral routes from midwives, health visitors and GPs."
            )),
            requested: Some(years.iter().map(|(y, a)| ((*y).to_owned(), (*a).to_owned())).collect()),
            target_groups: Some(texts(groups)),
            health_boards: Some(texts(boards)),
            support_types: Some(texts(support)),
            peer_support: Some(peer),
            expected_reach: Some(Reach {
                women: Some(people),
                partners: Some(people / 4),
                infants: Some(people * 4 / 5),
                families: Some(people + people / 10),
            }),
            equality_impact: Some("Prioritises families in the most deprived areas and those facing barriers to services.".to_owned()),
        }
    };

    let mut applicants: std::collections::HashMap<i64, CurrentUser> = Default::default();
    let mut v = Validator::new();
    for (i, org) in ORGANISATIONS.iter().enumerate() {
        let charity_number = matches!(org.organisation_type, "charity" | "scio")
            .then(|| format!("SC0{:05}", 41_000 + i * 7));
        let company_number = (org.organisation_type == "company_limited_by_guarantee")
            .then(|| format!("SC{:06}", 600_000 + i * 13));
        let slug: String = org
            .name
            .to_lowercase()
            .chars()
            .filter_map(|c| match c {
                'a'..='z' | '0'..='9' => Some(c),
                ' ' | '-' => Some('-'),
                _ => None,
            })
            .collect();
        let input = OrganisationInput {
            name: org.name.to_owned(),
            organisation_type: org.organisation_type.to_owned(),
            charity_number,
            company_number,
            annual_income: org.income.to_owned(),
            address: None,
            postcode: org.postcode.to_owned(),
            health_boards: texts(org.boards),
            website: Some(format!("https://{slug}.example.org")),
            contact_email: format!("info@{slug}.example.org"),
            // Most agree to be listed in the public directory; a few do not.
            listed_in_directory: i % 6 != 4,
        };
        let details = OrganisationDetails::parse(&input, &format!("organisations[{i}]."), &mut v);
        let Some(details) = details else { continue };
        let organisation = organisations::insert(conn, set_up, &details)?;
        if i % 3 != 2 {
            organisations::verify(conn, set_up, admin, organisation.id)?;
        }
        let user = quiet_account(
            conn,
            set_up,
            Role::Applicant,
            &format!("applicant@{slug}.example.org"),
            &format!("Applicant for {}", org.name),
            Some(organisation.id),
        )?;
        let applicant = CurrentUser::from(user);
        applicants.insert(organisation.id, applicant.clone());
        // Small organisations go to the innovation round, a few continue into the extension,
        // the rest apply to the core round; one in five never submits its draft.
        let small = details.annual_income
            <= crate::domain::Money::parse("250000.00").map_err(ApiError::internal)?;
        let (target, years): (&crate::rounds::model::Round, Vec<(&str, String)>) = if i % 7 == 6 {
            (
                &extension,
                vec![("2022-23", format!("{}.00", 20_000 + i * 500))],
            )
        } else if small && i % 2 == 1 {
            (
                &innovation,
                vec![
                    ("2021-22", format!("{}.00", 8_000 + i * 250)),
                    ("2022-23", format!("{}.00", 9_000 + i * 250)),
                ],
            )
        } else {
            (
                &core,
                vec![
                    ("2021-22", format!("{}.00", 75_000 + i * 600)),
                    ("2022-23", format!("{}.00", 78_000 + i * 500)),
                ],
            )
        };
        let years: Vec<(&str, &str)> = years.iter().map(|(y, a)| (*y, a.as_str())).collect();
        let drafted = opened(target, 3 + (i as i64 % 10));
        let created = applications::create(
            conn,
            drafted,
            &applicant,
            target.id,
            application(i, &years, org.boards),
        )?;
        if i % 5 != 4 {
            applications::submit(
                conn,
                drafted + chrono::Duration::days(5),
                &applicant,
                created.id,
            )?;
        }
    }
    v.finish()?;

    // The demo applicant: a submitted core application and a draft for the extension.
    let mut own_new = NewApplication {
        title: "Peer support for new mums in Fife".to_owned(),
        target_groups: Some(texts(&["mothers_birthing_parents", "fathers_partners"])),
        support_types: Some(texts(&["peer_support", "befriending"])),
        expected_reach: Some(Reach {
            women: Some(300),
            partners: Some(80),
            infants: Some(250),
            families: Some(320),
        }),
        ..application(
            0,
            &[("2021-22", "40000.00"), ("2022-23", "42000.00")],
            &["fife"],
        )
    };
    let drafted = opened(&core, 12);
    let submitted = applications::create(conn, drafted, aileen, core.id, own_new.clone())?;
    applications::submit(
        conn,
        drafted + chrono::Duration::days(2),
        aileen,
        submitted.id,
    )?;
    own_new.title = "Bumps & Babies: a second year in Levenmouth".to_owned();
    own_new.requested = Some(
        [("2022-23".to_owned(), "30000.00".to_owned())]
            .into_iter()
            .collect(),
    );
    applications::create(conn, opened(&extension, 4), aileen, extension.id, own_new)?;

    // The panel assesses each round after it closes. In the core round one assessor declares a
    // conflict and is replaced, an administrator moderates one score, and Sam Ng (the demo
    // assessor) still has one assignment to declare on and one half scored.
    assess_round(conn, admin, panel, &core, true)?;
    assess_round(conn, admin, panel, &innovation, false)?;
    assess_round(conn, admin, panel, &extension, false)?;

    // Decisions down each ranking while the money lasts. In the core round one offer is turned
    // down by its applicant and one application below the line is declined with feedback; the
    // demo applicant's offer is left open for them to accept.
    applicants.insert(aileen.organisation_id.unwrap_or_default(), aileen.clone());
    let keep_open = aileen.organisation_id;
    decide_round(
        conn,
        admin,
        &applicants,
        &core,
        "2021-03-22T10:00:00Z",
        keep_open,
        true,
    )?;
    decide_round(
        conn,
        admin,
        &applicants,
        &innovation,
        "2021-08-02T10:00:00Z",
        keep_open,
        false,
    )?;
    decide_round(
        conn,
        admin,
        &applicants,
        &extension,
        "2022-03-14T10:00:00Z",
        keep_open,
        false,
    )?;

    // Families give feedback through the grant holders' links; then the grant holders report,
    // and the administrator reviews and pays.
    for round in [&core, &innovation, &extension] {
        gather_feedback(conn, &applicants, round)?;
        report_round(conn, admin, &applicants, round)?;
    }
    Ok(())
}

const COMMENTS: &[&str] = &[
    "Clear evidence of local need, with referral routes already agreed with health visitors.",
    "Outcomes are well chosen; the plan for measuring them could be firmer.",
    "Peer supporters with lived experience shape the service from the start.",
    "Reaches families in remote communities that other services miss.",
    "Ambitious numbers for the staffing described; some risk to delivery.",
];

/// Assigns two of the panel to every submitted application of a closed round, then declares,
/// scores and submits as each assessor, with the scores a panel might give.
fn assess_round(
    conn: &mut DbConnection,
    admin: &CurrentUser,
    panel: &[CurrentUser],
    round: &crate::rounds::model::Round,
    eventful: bool,
) -> Result<(), ApiError> {
    use crate::assessment::model::{
        BulkAssignment, ConflictDeclaration, ModerationInput, ScoreInput, ScoreSheet,
    };
    use crate::assessment::{scoring, service as assessment};
    let start = round.closes_at.naive_utc() + chrono::Duration::days(3);
    let bulk = BulkAssignment {
        assessors_per_application: 2,
        assessor_ids: Some(panel.iter().map(|p| p.id).collect()),
    };
    let criteria: Vec<i64> = {
        use crate::db::schema::criteria;
        use diesel::prelude::*;
        criteria::table
            .filter(criteria::round_id.eq(round.id))
            .order(criteria::id)
            .select(criteria::id)
            .load(conn)?
    };
    let assessor = |id: i64| {
        panel
            .iter()
            .find(|p| p.id == id)
            .ok_or_else(|| ApiError::internal("assignment to someone outside the panel"))
    };
    let mut created = assessment::assign_round(conn, start, admin, round.id, &bulk)?.created;
    let sams: Vec<i64> = created
        .iter()
        .filter(|a| a.assessor_id == panel[0].id)
        .map(|a| a.id)
        .collect();
    let mut conflicted = false;
    let mut step = 0;
    while let Some(assignment) = (!created.is_empty()).then(|| created.remove(0)) {
        step += 1;
        let when = start + chrono::Duration::hours(step);
        let who = assessor(assignment.assessor_id)?;
        if eventful && sams.first() == Some(&assignment.id) {
            continue;
        }
        let conflict = eventful && !conflicted && assignment.assessor_id == panel[1].id;
        assessment::declare(
            conn,
            when,
            who,
            assignment.id,
            &ConflictDeclaration {
                has_conflict: conflict,
                reason: conflict
                    .then(|| "I was a trustee of this organisation until last year.".to_owned()),
            },
        )?;
        if conflict {
            conflicted = true;
            let refill = assessment::assign_round(
                conn,
                when + chrono::Duration::hours(1),
                admin,
                round.id,
                &bulk,
            )?;
            created.extend(refill.created);
            continue;
        }
        let seed = assignment.application_id * 7 + assignment.assessor_id * 3;
        let scores: Vec<ScoreInput> = criteria
            .iter()
            .enumerate()
            .map(|(k, criterion)| ScoreInput {
                criterion_id: *criterion,
                score: 1 + (seed + k as i64 * 2 + k as i64 * k as i64) % 5,
                comment: Some(
                    COMMENTS[((seed + k as i64) % COMMENTS.len() as i64) as usize].to_owned(),
                ),
            })
            .collect();
        let half_done = eventful && sams.get(1) == Some(&assignment.id);
        let sheet = ScoreSheet {
            scores: if half_done {
                scores[..2].to_vec()
            } else {
                scores
            },
        };
        scoring::save_scores(conn, when, who, assignment.id, &sheet)?;
        if !half_done {
            scoring::submit(
                conn,
                when + chrono::Duration::minutes(40),
                who,
                assignment.id,
            )?;
        }
    }
    if eventful {
        let ranking = crate::assessment::ranking::ranking(conn, admin, round.id)?;
        if let Some(last) = ranking.items.last() {
            scoring::moderate(
                conn,
                start + chrono::Duration::days(10),
                admin,
                last.application_id,
                &ModerationInput {
                    score: (last.calculated_score.as_decimal() + rust_decimal::Decimal::TEN)
                        .min(rust_decimal::Decimal::ONE_HUNDRED)
                        .to_string(),
                    reason: "The panel judged the service's reach into island communities stronger than the individual scores show.".to_owned(),
                },
            )?;
        }
    }
    Ok(())
}

/// An administrator decides a closed, assessed round at `when`: each application above the
/// funding line whose organisation is verified is awarded what it asked (every third a little
/// less); with `eventful`, the best application below the line is declined with feedback. The
/// applicants accept their offers a few days later (with `eventful`, the second turns it down),
/// except `keep_open`'s, and the first year's instalment of each accepted award is released.
fn decide_round(
    conn: &mut DbConnection,
    admin: &CurrentUser,
    applicants: &std::collections::HashMap<i64, CurrentUser>,
    round: &crate::rounds::model::Round,
    when: &str,
    keep_open: Option<i64>,
    eventful: bool,
) -> Result<(), ApiError> {
    use crate::assessment::ranking::ranking;
    use crate::awards::model::{Decided, DecisionInput};
    use crate::awards::service as awards;
    use crate::domain::vocabulary::DecisionOutcome;
    use crate::usecases::grant_cycle;

    let when = at(when)?;
    let ranked = ranking(conn, admin, round.id)?;
    let mut offers = Vec::new();
    for (k, item) in ranked.items.iter().enumerate() {
        if !item.fits {
            continue;
        }
        let verified =
            crate::organisations::model::OrganisationRow::find(conn, item.organisation_id)?
                .verified;
        if !verified {
            continue;
        }
        let amounts = item
            .requested
            .iter()
            .filter(|(_, amount)| !amount.is_zero())
            .map(|(year, amount)| {
                let pence = if k % 3 == 2 {
                    amount.pence() / 100 * 95
                } else {
                    amount.pence()
                };
                Ok((
                    year.to_string(),
                    crate::domain::Money::from_pence(pence)
                        .map_err(ApiError::internal)?
                        .to_string(),
                ))
            })
            .collect::<Result<_, ApiError>>()?;
        let decided = awards::decide(
            conn,
            when + chrono::Duration::minutes(k as i64 * 10),
            admin,
            item.application_id,
            &DecisionInput {
                decision: DecisionOutcome::Award,
                amounts: Some(amounts),
                conditions: Some("Quarterly monitoring returns; the fund is acknowledged in publicity; unspent funds are returned at the end of the grant.".to_owned()),
                feedback: None,
            },
        )?;
        if let Decided::Awarded(made) = decided {
            offers.push(made.award);
        }
    }
    if eventful && let Some(below) = ranked.items.iter().find(|i| !i.fits) {
        awards::decide(
            conn,
            when + chrono::Duration::hours(6),
            admin,
            below.application_id,
            &DecisionInput {
                decision: DecisionOutcome::Decline,
                amounts: None,
                conditions: None,
                feedback: Some("A strong application that fell below the funding line. The panel would welcome a bid to the next round with clearer referral routes from health visitors.".to_owned()),
            },
        )?;
    }
    for (k, offer) in offers.iter().enumerate() {
        if keep_open == Some(offer.organisation_id) {
            continue;
        }
        let Some(applicant) = applicants.get(&offer.organisation_id) else {
            continue;
        };
        let replied = when + chrono::Duration::days(3 + k as i64 % 4);
        if eventful && k == 1 {
            awards::decline(conn, replied, applicant, offer.id)?;
            continue;
        }
        grant_cycle::accept_award(conn, replied, applicant, offer.id)?;
        if let Some(first) = offer.amounts.keys().next() {
            grant_cycle::release_instalment(
                conn,
                replied + chrono::Duration::days(14),
                admin,
                offer.id,
                &first.to_string(),
            )?;
        }
    }
    Ok(())
}

/// How far each grant holder of a round has got with its returns, by the award's place in the
/// round: every return accepted and the award completed; the latest return awaiting review;
/// changes requested after the second instalment; the first year's last return awaiting review,
/// so the second instalment waits; or reporting stopped after the first return. Returns not
/// reached are left as they are: overdue by now.
fn report_round(
    conn: &mut DbConnection,
    admin: &CurrentUser,
    applicants: &std::collections::HashMap<i64, CurrentUser>,
    round: &crate::rounds::model::Round,
) -> Result<(), ApiError> {
    use crate::awards::model::AwardRow;
    use crate::awards::service as awards;
    use crate::db::schema::awards as awards_table;
    use crate::db::schema::returns;
    use crate::domain::vocabulary::{AwardStatus, InstalmentStatus, ReviewOutcome};
    use crate::monitoring::model::{Reached, ReturnPatch, ReturnRow, ReviewInput};
    use crate::monitoring::service as monitoring;
    use crate::usecases::grant_cycle;
    use diesel::prelude::*;

    let accepted: Vec<AwardRow> = awards_table::table
        .filter(awards_table::round_id.eq(round.id))
        .filter(awards_table::status.eq(AwardStatus::Accepted))
        .order(awards_table::id)
        .load(conn)?;
    for (k, award) in accepted.iter().enumerate() {
        let Some(applicant) = applicants.get(&award.organisation_id) else {
            continue;
        };
        let owed: Vec<ReturnRow> = returns::table
            .filter(returns::award_id.eq(award.id))
            .order((
                returns::financial_year.is_null(),
                returns::period_end,
                returns::id,
            ))
            .load(conn)?;
        let periodic = owed.iter().filter(|r| r.financial_year.is_some()).count();
        let in_year = |year: &Option<String>| {
            owed.iter()
                .filter(|r| r.financial_year.is_some() && r.financial_year == *year)
                .count()
        };
        let first_year = owed.first().and_then(|r| r.financial_year.clone());
        // How many returns, in order, this grant holder submits.
        let plan = k % 5;
        let submitted = match plan {
            0 => owed.len(),
            1 => periodic,
            2 => periodic.min(in_year(&first_year) + 1),
            3 => in_year(&first_year),
            _ => 1,
        };
        let base = 25 + (award.id * 13) % 40;
        for (i, row) in owed.iter().take(submitted).enumerate() {
            let when = row.period_end.and_time(chrono::NaiveTime::MIN)
                + chrono::Duration::days(18 + (award.id + i as i64) % 9);
            let state = awards::get(conn, admin, award.id)?;
            let spend = match &row.financial_year {
                Some(year) => state
                    .instalments
                    .iter()
                    .find(|p| {
                        p.financial_year.to_string() == *year
                            && p.status == InstalmentStatus::Released
                    })
                    .map(|p| p.amount.pence() / in_year(&row.financial_year).max(1) as i64),
                None => Some(state.paid.pence()),
            };
            let people = if row.financial_year.is_none() {
                base * periodic as i64
            } else {
                base + (i as i64 * 7) % 15
            };
            let new = people * 3 / 5;
            let spend = spend
                .map(|p| crate::domain::Money::from_pence(p).map(|m| m.to_string()))
                .transpose()
                .map_err(ApiError::internal)?;
            monitoring::update(
                conn,
                when,
                applicant,
                row.id,
                &ReturnPatch {
                    spend,
                    reached: Some(Reached {
                        women: Some(people),
                        partners: Some(people / 4),
                        infants: Some(people * 4 / 5),
                        kinship_carers: Some(people / 20),
                        families: Some(people + people / 10),
                        new: Some(new),
                        continuing: Some(people - new),
                    }),
                    sessions: Some(12 + people / 3),
                    peer_supporters: Some(3 + people / 15),
                    volunteers: Some(4 + people / 10),
                    outcomes: Some(Some(
                        OUTCOMES[(award.id as usize + i) % OUTCOMES.len()].to_owned(),
                    )),
                    case_study: Some(Some(
                        CASE_STUDIES[(award.id as usize + i) % CASE_STUDIES.len()].to_owned(),
                    )),
                    challenges: Some(Some(
                        "Recruiting volunteers in rural areas is slow; venue costs have risen."
                            .to_owned(),
                    )),
                },
            )?;
            monitoring::submit(conn, when, applicant, row.id)?;
            let last = i + 1 == submitted;
            let reviewed = when + chrono::Duration::days(6);
            let outcome = match plan {
                1 | 3 if last => None,
                2 if last => Some(ReviewOutcome::ChangesRequested),
                _ => Some(ReviewOutcome::Accepted),
            };
            if let Some(outcome) = outcome {
                grant_cycle::review_return(
                    conn,
                    reviewed,
                    admin,
                    row.id,
                    &ReviewInput {
                        outcome,
                        comment: (outcome == ReviewOutcome::ChangesRequested).then(|| {
                            "Please give new and continuing families separately, and add the spend on the venue.".to_owned()
                        }),
                    },
                )?;
            }
            // The next year's instalment is paid once the return before it is accepted.
            if outcome == Some(ReviewOutcome::Accepted)
                && let Some(next) = owed.get(i + 1).and_then(|n| n.financial_year.clone())
                && Some(&next) != row.financial_year.as_ref()
            {
                grant_cycle::release_instalment(
                    conn,
                    reviewed + chrono::Duration::days(3),
                    admin,
                    award.id,
                    &next,
                )?;
            }
        }
    }
    Ok(())
}

const OUTCOMES: &[&str] = &[
    "Mothers report feeling less isolated; most say their mood has improved since joining.",
    "Fathers who attended say they feel more confident caring for their baby.",
    "Parents describe a closer bond with their baby; two families were referred on to specialist perinatal services.",
    "Kinship carers report less stress and better links with local health visitors.",
];

const CASE_STUDIES: &[&str] = &[
    "A young mother who joined after a difficult birth now helps run the Tuesday group.",
    "A father who felt shut out during his partner's illness found support from another dad in the group.",
    "A grandmother caring for her grandson learned baby massage and now attends every week.",
];

const DIFFERENCES: &[&str] = &[
    "I stopped feeling like I was the only one struggling.",
    "Someone finally listened without judging me.",
    "I understand my baby's cues much better now.",
    "My partner and I talk about how we are feeling.",
    "I got out of the house every week and made friends.",
    "It helped me through the worst months after the birth.",
];

const BETTER: &[&str] = &[
    "Evening sessions for parents who work.",
    "More sessions nearer where I live.",
    "A group just for dads.",
    "Nothing, it was great.",
];

/// Families give feedback on each running award of a round through two links, one per venue,
/// over the months of the grant: mostly mothers, some partners, a few kinship carers and
/// others, so some groups have fewer than five responses.
fn gather_feedback(
    conn: &mut DbConnection,
    applicants: &std::collections::HashMap<i64, CurrentUser>,
    round: &crate::rounds::model::Round,
) -> Result<(), ApiError> {
    use crate::awards::model::AwardRow;
    use crate::db::schema::awards;
    use crate::domain::vocabulary::{AwardStatus, Respondent};
    use crate::feedback::model::{FeedbackInput, NewFeedbackLink, Ratings};
    use crate::feedback::service as feedback;
    use diesel::prelude::*;

    let running: Vec<AwardRow> = awards::table
        .filter(awards::round_id.eq(round.id))
        .filter(awards::status.eq(AwardStatus::Accepted))
        .order(awards::id)
        .load(conn)?;
    for award in running {
        let Some(holder) = applicants.get(&award.organisation_id) else {
            continue;
        };
        let opened = award.responded_at.unwrap_or(award.created_at) + chrono::Duration::days(20);
        let mut tokens = Vec::new();
        for label in ["Weekly group", "Home visits"] {
            let link = feedback::create_link(
                conn,
                opened,
                holder,
                award.id,
                &NewFeedbackLink {
                    label: label.to_owned(),
                    expires_at: None,
                },
            )?;
            tokens.push(link.token.unwrap_or_default());
        }
        // A small linear congruential sequence: the same families every time the demo is seeded.
        let mut state = (award.id as u64).wrapping_mul(2_862_933_555_777_941_757) + 3_037_000_493;
        let mut next = |n: u64| {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (state >> 33) % n
        };
        let count = 9 + next(9);
        for j in 0..count {
            let respondent = match next(100) {
                0..=59 => Respondent::MotherBirthingParent,
                60..=79 => Respondent::FatherPartner,
                80..=86 => Respondent::KinshipCarer,
                87..=91 => Respondent::OtherFamilyMember,
                _ => Respondent::PreferNotToSay,
            };
            let mut rating = || match next(20) {
                0 => 2,
                1..=3 => 3,
                4..=10 => 4,
                _ => 5,
            };
            let ratings = Ratings {
                listened_to: rating(),
                wellbeing: rating(),
                relationship_with_baby: rating(),
                recommend: rating(),
            };
            let consent = next(2) == 0;
            let input = FeedbackInput {
                respondent,
                ratings,
                difference: Some(DIFFERENCES[next(DIFFERENCES.len() as u64) as usize].to_owned()),
                could_be_better: (next(3) > 0)
                    .then(|| BETTER[next(BETTER.len() as u64) as usize].to_owned()),
                consent_to_quote: consent,
            };
            let when = opened + chrono::Duration::days(7 + j as i64 * 23);
            feedback::respond(conn, when, &tokens[(j % 2) as usize], &input)?;
        }
    }
    Ok(())
}
