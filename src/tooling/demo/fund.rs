//! The demo fund, its years and rounds, and the organisations' applications; then the
//! rest of the grant cycle, round by round.

use super::applicants::ORGANISATIONS;
use super::assessment::assess_round;
use super::awards::{Office, decide_round};
use super::directory::list_services;
use super::feedback::gather_feedback;
use super::monitoring::report_round;
use super::{CurrentUser, DbConnection, at, quiet_account, texts};
use crate::domain::vocabulary::{Component, Role};
use crate::error::{ApiError, Validator};
use crate::organisations::model::{OrganisationDetails, OrganisationInput};
use crate::organisations::service as organisations;

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
pub(super) fn model_case(
    conn: &mut DbConnection,
    keyring: &crate::crypto::Keyring,
    admin: &CurrentUser,
    aileen: &CurrentUser,
    panel: &[CurrentUser],
    files: &super::documents::Files,
) -> Result<(), ApiError> {
    use super::documents::pdf;
    use crate::applications::model::{NewApplication, Reach};
    use crate::documents::content::{CSV, PDF};
    use crate::documents::model::Owner;
    use crate::domain::vocabulary::DocumentKind;
    let budget = |years: &[(&str, &str)]| {
        let mut csv = "financial_year,item,amount\n".to_owned();
        for (year, amount) in years {
            csv.push_str(&format!("{year},Peer supporters and venues,{amount}\n"));
        }
        csv.into_bytes()
    };
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
            kind: crate::domain::vocabulary::FundKind::Grants,
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

    super::forms::give(
        conn,
        set_up,
        admin,
        &[
            (core.id, core.component),
            (innovation.id, innovation.component),
            (extension.id, extension.component),
        ],
    )?;

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
            crate::users::service::Place::organisation(organisation.id),
        )?;
        let applicant = CurrentUser::from(user);
        let town = crate::organisations::address::AddressInput {
            town: Some(org.town.to_owned()),
        };
        crate::organisations::address::set(conn, set_up, &applicant, organisation.id, &town)?;
        applicants.insert(organisation.id, applicant.clone());
        files.attach(
            conn,
            set_up,
            &applicant,
            Owner::organisation(organisation.id),
            DocumentKind::Constitution,
            None,
            "Constitution.pdf",
            PDF,
            pdf(&[org.name, "Constitution"]),
        )?;
        // Most send accounts that are current; every fourth sends none, so that the fund sees it.
        if i % 4 != 3 {
            files.attach(
                conn,
                set_up,
                &applicant,
                Owner::organisation(organisation.id),
                DocumentKind::AnnualAccounts,
                chrono::NaiveDate::from_ymd_opt(2020, 3, 31),
                "Accounts 2019-20.pdf",
                PDF,
                pdf(&[org.name, "Annual accounts for the year to 31 March 2020"]),
            )?;
        }
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
        applications::answer(
            conn,
            drafted,
            &applicant,
            created.id,
            &super::forms::answers(target.component, i)?,
        )?;
        files.attach(
            conn,
            drafted + chrono::Duration::days(1),
            &applicant,
            Owner::application(created.id),
            DocumentKind::Budget,
            None,
            "Budget.csv",
            CSV,
            budget(&years),
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
    applications::answer(
        conn,
        drafted,
        aileen,
        submitted.id,
        &super::forms::answers(Component::Core, 0)?,
    )?;
    files.attach(
        conn,
        drafted + chrono::Duration::days(1),
        aileen,
        Owner::application(submitted.id),
        DocumentKind::Budget,
        None,
        "Budget 2021-23.csv",
        CSV,
        budget(&[("2021-22", "40000.00"), ("2022-23", "42000.00")]),
    )?;
    files.attach(
        conn,
        drafted + chrono::Duration::days(1),
        aileen,
        Owner::application(submitted.id),
        DocumentKind::ProjectPlan,
        None,
        "Project plan.pdf",
        PDF,
        pdf(&[
            "Peer support for new mums in Fife",
            "Weekly groups in Kirkcaldy, Glenrothes and Levenmouth",
        ]),
    )?;
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
    let draft = applications::create(conn, opened(&extension, 4), aileen, extension.id, own_new)?;
    files.attach(
        conn,
        opened(&extension, 4),
        aileen,
        Owner::application(draft.id),
        DocumentKind::Budget,
        None,
        "Budget 2022-23.csv",
        CSV,
        budget(&[("2022-23", "30000.00")]),
    )?;

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
    // Finance staff, who authorise the releases, join once everyone else has an account; `seed`
    // gives them a password to sign in with.
    let finance = CurrentUser::from(super::quiet_account(
        conn,
        at("2021-03-01T09:00:00Z")?,
        crate::domain::vocabulary::Role::Finance,
        super::FINANCE,
        "Niamh Kerr",
        crate::users::service::Place::default(),
    )?);
    let office = Office {
        admin,
        finance: &finance,
        keyring,
    };
    decide_round(
        conn,
        office,
        &applicants,
        &core,
        "2021-03-22T10:00:00Z",
        keep_open,
        true,
    )?;
    decide_round(
        conn,
        office,
        &applicants,
        &innovation,
        "2021-08-02T10:00:00Z",
        keep_open,
        false,
    )?;
    decide_round(
        conn,
        Office {
            admin,
            finance: &finance,
            keyring,
        },
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
        report_round(conn, admin, &finance, &applicants, round, files)?;
    }
    // The grant holders list their services in the national directory.
    list_services(conn, admin, &applicants)?;
    Ok(())
}
