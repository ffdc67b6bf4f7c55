//! Rows of `units`, `unit_wards` and `fund_rates`, and the shapes the API takes and answers.

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::db::schema::{fund_rates, units};
use crate::domain::clock::utc;
use crate::domain::vocabulary::HealthBoard;
use crate::domain::{FinancialYear, Money};
use crate::error::{ApiError, Validator};

/// How many wards one unit may list.
pub const WARDS_MAX: usize = 20;

#[derive(Clone, Debug, Queryable, Selectable)]
#[diesel(table_name = units)]
pub struct UnitRow {
    pub id: i64,
    pub fund_id: i64,
    pub name: String,
    pub health_board: HealthBoard,
    pub provides_meals: bool,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

/// A unit as an administrator sends it. Every field is checked together.
#[derive(Clone, Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UnitInput {
    /// The unit's name, 1 to 200 characters, unique within its fund.
    #[schema(min_length = 1, max_length = 200, pattern = r"\S")]
    pub name: String,
    /// The NHS board that hosts the unit: its cash office checks and pays the claims of the
    /// families of the unit's patients.
    #[schema(value_type = HealthBoard)]
    pub health_board: String,
    /// The unit's wards, at least one, each 1 to 100 characters and named once.
    #[serde(deserialize_with = "crate::wire::at_most::<_, _, 20>")]
    #[schema(min_items = 1, max_items = 20)]
    pub wards: Vec<String>,
    /// Whether the unit gives visiting families free meals: a family claims the food rate only
    /// on a day it had none.
    pub provides_meals: bool,
}

/// A checked unit.
#[derive(Clone, Debug, PartialEq)]
pub struct UnitDetails {
    pub name: String,
    pub health_board: HealthBoard,
    pub provides_meals: bool,
    /// Trimmed and sorted.
    pub wards: Vec<String>,
}

impl UnitDetails {
    /// Checks every field; failures go to `v`.
    pub fn parse(input: &UnitInput, v: &mut Validator) -> Option<Self> {
        let name = v.text("name", &input.name, 1, 200);
        let health_board = v.check("health_board", input.health_board.parse::<HealthBoard>());
        let mut wards = Vec::with_capacity(input.wards.len());
        if input.wards.is_empty() {
            v.error("wards", "name at least one ward");
        }
        for (i, ward) in input.wards.iter().enumerate() {
            let field = format!("wards[{i}]");
            if let Some(ward) = v.text(&field, ward, 1, 100) {
                if wards.contains(&ward) {
                    v.error(field, "is named twice");
                } else {
                    wards.push(ward);
                }
            }
        }
        wards.sort();
        Some(UnitDetails {
            name: name?,
            health_board: health_board?,
            provides_meals: input.provides_meals,
            wards,
        })
    }
}

/// A unit as the API shows it.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct Unit {
    pub id: i64,
    pub fund_id: i64,
    pub name: String,
    /// The board that hosts it, whose cash office pays its families' claims.
    pub health_board: HealthBoard,
    pub health_board_name: String,
    /// Its wards, in order.
    pub wards: Vec<String>,
    pub provides_meals: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl UnitRow {
    pub fn into_api(self, wards: Vec<String>) -> Unit {
        Unit {
            id: self.id,
            fund_id: self.fund_id,
            name: self.name,
            health_board_name: self.health_board.name().to_owned(),
            health_board: self.health_board,
            wards,
            provides_meals: self.provides_meals,
            created_at: utc(self.created_at),
            updated_at: utc(self.updated_at),
        }
    }
}

#[derive(Clone, Debug, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = fund_rates)]
pub struct RatesRow {
    pub fund_id: i64,
    pub financial_year: String,
    pub mileage_rate_pence: i64,
    pub food_rate_pence: i64,
    pub family_cap_pence: i64,
    pub claim_window_months: i32,
    pub flights_per_week: i32,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

/// What a family-expenses fund pays in one financial year.
#[derive(Clone, Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RatesInput {
    /// Paid a mile by car: the HMRC advisory fuel rate for a petrol car of 1401cc to 2000cc
    /// published on 1 March before the year.
    #[schema(value_type = Money, example = "0.14")]
    pub mileage_rate: String,
    /// The flat amount for food and non-alcoholic drinks, a person a day, with no receipt.
    #[schema(value_type = Money, example = "8.50")]
    pub food_rate: String,
    /// The most one family is paid for one stay, across all its claims. More than zero.
    #[schema(value_type = Money, example = "500.00")]
    pub family_cap: String,
    /// How many months after the woman's discharge a claim may still be made.
    #[schema(minimum = 0, maximum = 24, example = 3)]
    pub claim_window_months: i64,
    /// How many return flights a person may claim in a week.
    #[schema(minimum = 0, maximum = 14, example = 2)]
    pub flights_per_week: i64,
}

/// Checked rates of one year, in pence where they are money.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RatesDetails {
    pub mileage_rate: Money,
    pub food_rate: Money,
    pub family_cap: Money,
    pub claim_window_months: i32,
    pub flights_per_week: i32,
}

impl RatesDetails {
    /// Checks every field; failures go to `v`.
    pub fn parse(input: &RatesInput, v: &mut Validator) -> Option<Self> {
        let mileage_rate = v.money("mileage_rate", &input.mileage_rate);
        let food_rate = v.money("food_rate", &input.food_rate);
        let family_cap = v.money("family_cap", &input.family_cap);
        if family_cap.is_some_and(Money::is_zero) {
            v.error("family_cap", "must be more than zero");
        }
        let window = v.count("claim_window_months", input.claim_window_months, 0..=24);
        let flights = v.count("flights_per_week", input.flights_per_week, 0..=14);
        let family_cap = family_cap.filter(|cap| !cap.is_zero());
        Some(RatesDetails {
            mileage_rate: mileage_rate?,
            food_rate: food_rate?,
            family_cap: family_cap?,
            claim_window_months: i32::try_from(window?).ok()?,
            flights_per_week: i32::try_from(flights?).ok()?,
        })
    }
}

/// The rates of one financial year as the API shows them.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Rates {
    pub fund_id: i64,
    pub financial_year: FinancialYear,
    /// A mile by car.
    pub mileage_rate: Money,
    /// Food and drink, a person a day.
    pub food_rate: Money,
    /// The most a family is paid for one stay.
    pub family_cap: Money,
    /// Months after discharge that a claim may still be made.
    pub claim_window_months: i32,
    /// Return flights a person may claim in a week.
    pub flights_per_week: i32,
    pub updated_at: DateTime<Utc>,
}

impl RatesRow {
    /// The year and its rates, as the rules read them.
    pub fn details(&self) -> Result<(FinancialYear, RatesDetails), ApiError> {
        let money = |pence: i64| Money::from_pence(pence).map_err(ApiError::internal);
        Ok((
            FinancialYear::parse(&self.financial_year).map_err(ApiError::internal)?,
            RatesDetails {
                mileage_rate: money(self.mileage_rate_pence)?,
                food_rate: money(self.food_rate_pence)?,
                family_cap: money(self.family_cap_pence)?,
                claim_window_months: self.claim_window_months,
                flights_per_week: self.flights_per_week,
            },
        ))
    }

    pub fn into_api(self) -> Result<Rates, ApiError> {
        let (financial_year, details) = self.details()?;
        Ok(Rates {
            fund_id: self.fund_id,
            financial_year,
            mileage_rate: details.mileage_rate,
            food_rate: details.food_rate,
            family_cap: details.family_cap,
            claim_window_months: details.claim_window_months,
            flights_per_week: details.flights_per_week,
            updated_at: utc(self.updated_at),
        })
    }
}
