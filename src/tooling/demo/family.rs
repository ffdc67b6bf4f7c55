//! The model case's second fund, the Mother and Baby Unit Family Fund: its two units and the
//! rates of each financial year as published (the mileage rate is HMRC's advisory fuel rate
//! for a petrol car of 1401cc to 2000cc published on 1 March before the year).

use super::{CurrentUser, DbConnection, at, texts};
use crate::error::ApiError;

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
/// opened in April 2020.
pub(super) fn family_fund(conn: &mut DbConnection, admin: &CurrentUser) -> Result<i64, ApiError> {
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
        setup::create_unit(conn, set_up, admin, fund.id, &unit)?;
    }
    Ok(fund.id)
}
