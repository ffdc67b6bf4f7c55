//! The model case's second fund, the Mother and Baby Unit Family Fund: its two units and the
//! rates of each financial year as published (the mileage rate is HMRC's advisory fuel rate
//! for a petrol car of 1401cc to 2000cc published on 1 March before the year); and a year of
//! families: a dozen stays of families from across Scotland, the islands among them, with
//! claims at every step, one referred to counter fraud, and a payment run with one line paid
//! back by the bank as failed.

use serde_json::{Value, json};

use super::documents::{Files, pdf};
use super::{CurrentUser, DbConnection, at, quiet_account, texts};
use crate::crypto::Keyring;
use crate::documents::content::PDF;
use crate::documents::model::Owner;
use crate::domain::vocabulary::{DocumentKind, HealthBoard, Role};
use crate::error::ApiError;
use crate::family::claim_model::{
    CertifyInput, ClaimDecisionInput, ClaimInput, PreApprovalDecisionInput, PreApprovalInput,
    ReasonInput,
};
use crate::family::stay_model::StayInput;
use crate::family::{bank as family_bank, checking, claims, pre_approvals, stays};
use crate::organisations::bank::BankDetailsInput;
use crate::payments::model::{BuildRunInput, MarkFailedInput, MarkPaidInput};
use crate::payments::{marking, runs};
use crate::users::service::Place;

/// Each year's mileage rate, in pounds a mile.
const MILEAGE_RATES: [(&str, &str); 6] = [
    ("2020-21", "0.14"),
    ("2021-22", "0.12"),
    ("2022-23", "0.15"),
    ("2023-24", "0.15"),
    ("2024-25", "0.15"),
    ("2025-26", "0.15"),
];

/// Creates the family fund with its years, units and rates, as the administrator did when it
/// opened in April 2020; gives the fund and its units, St John's first.
pub(super) fn family_fund(
    conn: &mut DbConnection,
    admin: &CurrentUser,
) -> Result<(i64, [i64; 2]), ApiError> {
    use crate::domain::vocabulary::FundKind;
    use crate::family::model::{RatesInput, UnitInput};
    use crate::family::setup;
    use crate::funds::model::{FundInput, FundYearInput, OrganisationReference};
    use crate::funds::service as funds;

    let set_up = at("2020-03-16T10:00:00Z")?;
    let government = OrganisationReference {
        name: "Scottish Government".to_owned(),
        org_id: "GB-GOR-PC390".to_owned(),
    };
    let fund = funds::create(
        conn,
        set_up,
        admin,
        &FundInput {
            name: "Mother and Baby Unit Family Fund".to_owned(),
            code: "MBUFF".to_owned(),
            funder: government.clone(),
            administrator: government,
            currency: "GBP".to_owned(),
            programme_start: "2020-04-01".to_owned(),
            programme_end: "2026-03-31".to_owned(),
            // About 115 admissions a year across Scotland, over six years.
            reach_target: 690,
            kind: FundKind::FamilyExpenses,
        },
    )?;
    for (year, mileage_rate) in MILEAGE_RATES {
        let input = FundYearInput {
            limit: "100000.00".to_owned(),
            approved: true,
        };
        funds::set_year(conn, set_up, admin, fund.id, year, &input)?;
        let rates = RatesInput {
            mileage_rate: mileage_rate.to_owned(),
            food_rate: "8.50".to_owned(),
            family_cap: "500.00".to_owned(),
            claim_window_months: 3,
            flights_per_week: 2,
        };
        setup::set_rates(conn, set_up, admin, fund.id, year, &rates)?;
    }
    let mut units = Vec::new();
    for (name, board, ward, provides_meals) in [
        (
            "St John's Mother and Baby Unit",
            "lothian",
            "Mother and Baby Unit, St John's Hospital, Livingston",
            false,
        ),
        (
            "West of Scotland Mother and Baby Unit",
            "greater_glasgow_and_clyde",
            "Mother and Baby Unit, Leverndale Hospital, Glasgow",
            true,
        ),
    ] {
        let unit = UnitInput {
            name: name.to_owned(),
            health_board: board.to_owned(),
            wards: texts(&[ward]),
            provides_meals,
        };
        units.push(setup::create_unit(conn, set_up, admin, fund.id, &unit)?.id);
    }
    Ok((fund.id, [units[0], units[1]]))
}

/// The demo's people of the family fund who sign in.
pub(super) struct People<'a> {
    pub claimant: &'a CurrentUser,
    pub clinician: &'a CurrentUser,
    pub cash_office: &'a CurrentUser,
}

/// Where a claim of the demo stops.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Step {
    Draft,
    Submitted,
    Certified,
    Approved,
    Rejected,
    Referred,
    Paid,
}

/// A family of the demo: the claimant's name, their home board, the children who visit (first
/// name and date of birth), and where their claim stops.
type Family = (
    &'static str,
    &'static str,
    &'static [(&'static str, &'static str)],
    Step,
);

/// A dozen families.
const FAMILIES: [Family; 12] = [
    (
        "Calum MacLeod",
        "western_isles",
        &[("Ruaridh", "2019-07-30")],
        Step::Paid,
    ),
    ("Jamie Sinclair", "shetland", &[], Step::Paid),
    (
        "Kirsty Flett",
        "orkney",
        &[("Freya", "2017-02-11")],
        Step::Paid,
    ),
    ("Duncan Munro", "highland", &[], Step::Paid),
    (
        "Amir Hussain",
        "grampian",
        &[("Zara", "2020-09-01")],
        Step::Paid,
    ),
    ("Lewis Grant", "tayside", &[], Step::Paid),
    ("Sean Kelly", "fife", &[], Step::Paid),
    ("Craig Thomson", "borders", &[], Step::Approved),
    (
        "Ewan Stewart",
        "lothian",
        &[("Isla", "2016-04-22")],
        Step::Certified,
    ),
    ("Neil Fraser", "lanarkshire", &[], Step::Submitted),
    ("Tom Wallace", "ayrshire_and_arran", &[], Step::Rejected),
    ("Gary Boyd", "dumfries_and_galloway", &[], Step::Referred),
];

fn body<T: serde::de::DeserializeOwned>(value: Value) -> Result<T, ApiError> {
    serde_json::from_value(value).map_err(ApiError::internal)
}

/// The year of families at St John's (NHS Lothian), from May 2025: each records the stay, claims
/// for visits by car and the food rate, the islanders for a flight approved beforehand with its
/// receipt; the unit certifies, the cash office approves, and a second member of the cash office
/// pays them in one run, whose line for the Borders family the bank returns as failed. The demo
/// claimant, Calum, also has a claim still being written.
pub(super) fn families(
    conn: &mut DbConnection,
    keyring: &Keyring,
    files: &Files<'_>,
    fund: i64,
    people: &People<'_>,
) -> Result<(), ApiError> {
    let unit = people
        .clinician
        .unit_id
        .ok_or_else(|| ApiError::internal("the demo clinician has no unit"))?;
    let colleague = CurrentUser::from(quiet_account(
        conn,
        at("2025-04-01T09:00:00Z")?,
        Role::CashOffice,
        "accounts.payable@lothian.example.org",
        "Priya Nair",
        Place {
            health_board: Some(HealthBoard::Lothian),
            ..Place::default()
        },
    )?);
    let mut to_pay = Vec::new();
    for (i, (name, home, children, step)) in FAMILIES.iter().enumerate() {
        let day = 5 + i as u32;
        let when = |hour: u32, days_on: u32| {
            at(&format!(
                "2025-{:02}-{:02}T{hour:02}:00:00Z",
                5 + (day + days_on) / 28,
                1 + (day + days_on) % 28
            ))
        };
        let claimant = if i == 0 {
            people.claimant.clone()
        } else {
            CurrentUser::from(quiet_account(
                conn,
                when(8, 0)?,
                Role::Claimant,
                &format!("claimant{i}@family.example.org"),
                name,
                Place::default(),
            )?)
        };
        let admitted = format!("2025-05-{day:02}");
        let stay = stays::create(
            conn,
            when(9, 0)?,
            keyring,
            &claimant,
            &body::<StayInput>(json!({
                "unit_id": unit,
                "woman": {"name": format!("Partner of {name}"), "date_of_birth": "1993-03-14"},
                "ward": "Mother and Baby Unit, St John's Hospital, Livingston",
                "consultant": "Dr E. Baxter",
                "admitted_on": admitted,
                "home_board": home,
                "children": children.iter().map(|(n, b)| json!({"first_name": n, "date_of_birth": b})).collect::<Vec<_>>(),
            }))?,
        )?;
        let me = stay.visitors[0].id;
        let visit = format!("2025-05-{:02}", day + 2);
        let mut lines = vec![
            json!({"visitor_id": me, "spent_on": visit, "kind": "car", "miles": 40 + 20 * i, "together": true, "description": "Home or the ferry to the unit and back"}),
            json!({"visitor_id": me, "spent_on": visit, "kind": "food"}),
        ];
        for child in &stay.visitors[1..] {
            lines.push(json!({"visitor_id": child.id, "spent_on": visit, "kind": "food"}));
        }
        let claim = claims::create(
            conn,
            when(18, 2)?,
            keyring,
            &claimant,
            stay.id,
            &body::<ClaimInput>(json!({"lines": lines}))?,
        )?;
        if ["western_isles", "shetland", "orkney"].contains(home) {
            let flight_day = format!("2025-05-{:02}", day + 4);
            let asked = pre_approvals::request(
                conn,
                when(10, 1)?,
                &claimant,
                stay.id,
                &body::<PreApprovalInput>(
                    json!({"visitor_id": me, "kind": "flight", "journey_on": flight_day, "details": "Island airport to Edinburgh and back: the only way in a day"}),
                )?,
            )?;
            pre_approvals::decide(
                conn,
                when(14, 1)?,
                people.cash_office,
                asked.id,
                &body::<PreApprovalDecisionInput>(json!({"approved": true}))?,
            )?;
            let receipt = files.attach(
                conn,
                when(19, 4)?,
                &claimant,
                Owner::claim(claim.id),
                DocumentKind::Receipt,
                None,
                "Boarding pass.pdf",
                PDF,
                pdf(&["Loganair", "Return flight", "Fare: 148.00"]),
            )?;
            lines.push(json!({"visitor_id": me, "spent_on": flight_day, "kind": "flight", "amount": "148.00", "pre_approval_id": asked.id, "receipt_document_id": receipt}));
            claims::save(
                conn,
                when(20, 4)?,
                keyring,
                &claimant,
                claim.id,
                &body::<ClaimInput>(json!({"lines": lines}))?,
            )?;
        }
        if *step == Step::Draft {
            continue;
        }
        claims::submit(conn, when(9, 6)?, keyring, &claimant, claim.id)?;
        if *step == Step::Submitted {
            continue;
        }
        if *step == Step::Referred {
            checking::refer(
                conn,
                when(11, 8)?,
                people.cash_office,
                claim.id,
                &body::<ReasonInput>(
                    json!({"reason": "The miles claimed are far more than the distance from the family's address."}),
                )?,
            )?;
            continue;
        }
        let certified = checking::certify(
            conn,
            when(10, 7)?,
            people.clinician,
            claim.id,
            &body::<CertifyInput>(
                json!({"resident_from": admitted, "resident_to": format!("2025-05-{:02}", day + 5)}),
            )?,
        )?;
        match step {
            Step::Certified => continue,
            Step::Rejected => {
                checking::reject(
                    conn,
                    when(12, 8)?,
                    people.cash_office,
                    claim.id,
                    &body::<ReasonInput>(
                        json!({"reason": "The unit has no record of a visit on the day claimed."}),
                    )?,
                )?;
                continue;
            }
            _ => {}
        }
        let decisions: Vec<Value> = certified
            .lines
            .iter()
            .map(|l| json!({"line_id": l.id, "outcome": "full"}))
            .collect();
        checking::approve(
            conn,
            when(15, 8)?,
            people.cash_office,
            claim.id,
            &body::<ClaimDecisionInput>(json!({"lines": decisions}))?,
        )?;
        family_bank::set_own(
            conn,
            when(16, 8)?,
            keyring,
            &claimant,
            &BankDetailsInput {
                account_name: name.to_string(),
                sort_code: "80-22-60".to_owned(),
                account_number: format!("{:08}", 20_000_000 + i),
                roll_number: None,
            },
        )?;
        family_bank::verify(conn, when(10, 9)?, keyring, people.cash_office, claimant.id)?;
        to_pay.push((claim.id, *step));
    }
    let stay = stays::list(conn, keyring, people.claimant)?;
    if let Some(first) = stay.first() {
        claims::create(
            conn,
            at("2025-06-20T19:30:00Z")?,
            keyring,
            people.claimant,
            first.id,
            &body::<ClaimInput>(json!({"lines": [
                {"visitor_id": first.visitors[0].id, "spent_on": "2025-06-18", "kind": "car", "miles": 64, "together": true}
            ]}))?,
        )?;
    }
    let built = runs::build(
        conn,
        at("2025-06-16T10:00:00Z")?,
        &colleague,
        &BuildRunInput {
            fund_id: Some(fund),
        },
    )?;
    runs::close(conn, at("2025-06-16T11:00:00Z")?, &colleague, built.run.id)?;
    for line in &built.run.lines {
        let step = to_pay
            .iter()
            .find(|(claim, _)| Some(*claim) == line.claim_id)
            .map(|(_, step)| *step);
        let when = at("2025-06-18T09:00:00Z")?;
        if step == Some(Step::Approved) {
            marking::mark_failed(
                conn,
                when,
                &colleague,
                built.run.id,
                line.id,
                &MarkFailedInput {
                    reason: "Account closed".to_owned(),
                },
            )?;
        } else {
            marking::mark_paid(
                conn,
                when,
                &colleague,
                built.run.id,
                line.id,
                &MarkPaidInput {
                    paid_on: "2025-06-17".to_owned(),
                },
            )?;
        }
    }
    Ok(())
}
