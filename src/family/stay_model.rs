//! Rows of `stays`, `stay_people` and `visitors`, and the shapes the API takes and answers for a
//! stay and the people it is about.

use chrono::{DateTime, Datelike, NaiveDate, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::db::schema::{stay_people, stays, visitors};
use crate::domain::Money;
use crate::domain::vocabulary::{HealthBoard, VisitorKind};
use crate::error::Validator;

/// The most children one stay may list.
pub const CHILDREN_MAX: usize = 12;

/// The oldest a child may be on the day of a visit and still be claimed for.
pub const CHILD_AGE_MAX: u32 = 16;

/// The first day the fund pays for.
pub fn fund_began() -> NaiveDate {
    NaiveDate::from_ymd_opt(2020, 4, 1).unwrap_or(NaiveDate::MIN)
}

/// A person's age in whole years on `day`.
pub fn age_on(date_of_birth: NaiveDate, day: NaiveDate) -> u32 {
    let mut years = day.year() - date_of_birth.year();
    if (day.month(), day.day()) < (date_of_birth.month(), date_of_birth.day()) {
        years -= 1;
    }
    u32::try_from(years.max(0)).unwrap_or(0)
}

#[derive(Clone, Debug, Queryable, Selectable)]
#[diesel(table_name = stays)]
pub struct StayRow {
    pub id: i64,
    pub fund_id: i64,
    pub unit_id: i64,
    pub claimant_id: i64,
    pub admitted_on: NaiveDate,
    pub discharged_on: Option<NaiveDate>,
    pub home_board: HealthBoard,
    pub cap_pence: i64,
    pub claim_window_months: i32,
    pub approved_pence: i64,
    pub paid_pence: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub anonymised_at: Option<NaiveDateTime>,
}

impl StayRow {
    /// The stay's reference, as families and cash offices quote it.
    pub fn reference(&self) -> String {
        reference(self.id)
    }

    /// The last day a claim may be submitted, once the woman is discharged.
    pub fn window_closes_on(&self) -> Option<NaiveDate> {
        let months = u32::try_from(self.claim_window_months).unwrap_or(0);
        self.discharged_on
            .and_then(|d| d.checked_add_months(chrono::Months::new(months)))
    }
}

/// The reference of stay `id`.
pub fn reference(id: i64) -> String {
    format!("MBUFF-{id:05}")
}

#[derive(Clone, Debug, Queryable, Selectable)]
#[diesel(table_name = stay_people)]
pub struct StayPeopleRow {
    pub stay_id: i64,
    pub woman_sealed: String,
    pub key_id: String,
    pub ward: String,
    pub consultant: String,
}

#[derive(Clone, Debug, Queryable, Selectable)]
#[diesel(table_name = visitors)]
pub struct VisitorRow {
    pub id: i64,
    pub stay_id: i64,
    pub kind: VisitorKind,
    pub sealed: Option<String>,
    pub key_id: Option<String>,
    pub created_at: NaiveDateTime,
}

/// The woman in the unit, as sealed: never stored or logged in clear.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq, ToSchema)]
pub struct Woman {
    /// Her full name, 1 to 200 characters.
    #[schema(min_length = 1, max_length = 200)]
    pub name: String,
    /// Her date of birth, `YYYY-MM-DD`.
    #[schema(value_type = String, format = Date)]
    pub date_of_birth: NaiveDate,
}

/// A child who visits, as sealed.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct Child {
    pub first_name: String,
    pub date_of_birth: NaiveDate,
}

/// The woman as the claimant sends her.
#[derive(Clone, Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WomanInput {
    /// Her full name, 1 to 200 characters.
    #[schema(min_length = 1, max_length = 200, pattern = r"\S")]
    pub name: String,
    /// Her date of birth, `YYYY-MM-DD`.
    #[schema(format = Date)]
    pub date_of_birth: String,
}

/// A child who visits, as the claimant sends them.
#[derive(Clone, Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChildInput {
    /// The child's first name, 1 to 100 characters.
    #[schema(min_length = 1, max_length = 100, pattern = r"\S")]
    pub first_name: String,
    /// The child's date of birth, `YYYY-MM-DD`: a child is claimed for up to the age of 16.
    #[schema(format = Date)]
    pub date_of_birth: String,
}

/// A stay as the claimant records it. Every field is checked together.
#[derive(Clone, Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StayInput {
    /// The unit she is in; its fund pays the claims.
    pub unit_id: i64,
    pub woman: WomanInput,
    /// One of the unit's wards.
    #[schema(min_length = 1, max_length = 100)]
    pub ward: String,
    /// Her consultant's name, 1 to 200 characters.
    #[schema(min_length = 1, max_length = 200, pattern = r"\S")]
    pub consultant: String,
    /// The day she was admitted, `YYYY-MM-DD`, not in the future.
    #[schema(format = Date)]
    pub admitted_on: String,
    /// The day she was discharged, once known.
    #[serde(default)]
    #[schema(format = Date)]
    pub discharged_on: Option<String>,
    /// The NHS board the family lives in.
    #[schema(value_type = HealthBoard)]
    pub home_board: String,
    /// The children who visit, aged 16 or under.
    #[serde(default, deserialize_with = "crate::wire::at_most::<_, _, 12>")]
    #[schema(max_items = 12)]
    pub children: Vec<ChildInput>,
}

/// A checked stay.
#[derive(Clone, Debug)]
pub struct StayDetails {
    pub unit_id: i64,
    pub woman: Woman,
    pub ward: String,
    pub consultant: String,
    pub admitted_on: NaiveDate,
    pub discharged_on: Option<NaiveDate>,
    pub home_board: HealthBoard,
    pub children: Vec<Child>,
}

/// Checks a date that must be a real day, not in the future.
fn past_date(v: &mut Validator, field: &str, text: &str, today: NaiveDate) -> Option<NaiveDate> {
    let day = v.date(field, text)?;
    if day > today {
        v.error(field, "must not be in the future");
        return None;
    }
    Some(day)
}

/// Checks a child; failures go to `v` under `prefix`.
pub fn parse_child(
    v: &mut Validator,
    prefix: &str,
    input: &ChildInput,
    today: NaiveDate,
) -> Option<Child> {
    let first_name = v.text(&format!("{prefix}first_name"), &input.first_name, 1, 100);
    let date_of_birth = past_date(
        v,
        &format!("{prefix}date_of_birth"),
        &input.date_of_birth,
        today,
    );
    Some(Child {
        first_name: first_name?,
        date_of_birth: date_of_birth?,
    })
}

impl StayDetails {
    /// Checks every field against today; failures go to `v`.
    pub fn parse(input: &StayInput, today: NaiveDate, v: &mut Validator) -> Option<Self> {
        let name = v.text("woman.name", &input.woman.name, 1, 200);
        let born = past_date(v, "woman.date_of_birth", &input.woman.date_of_birth, today);
        let ward = v.text("ward", &input.ward, 1, 100);
        let consultant = v.text("consultant", &input.consultant, 1, 200);
        let admitted_on = past_date(v, "admitted_on", &input.admitted_on, today);
        let discharged_on = match &input.discharged_on {
            Some(text) => past_date(v, "discharged_on", text, today).map(Some),
            None => Some(None),
        };
        if let (Some(admitted), Some(Some(discharged))) = (admitted_on, discharged_on)
            && discharged < admitted
        {
            v.error("discharged_on", "must not be before the admission");
        }
        let home_board = v.check("home_board", input.home_board.parse::<HealthBoard>());
        let mut children = Vec::with_capacity(input.children.len());
        for (i, child) in input.children.iter().enumerate() {
            if let Some(child) = parse_child(v, &format!("children[{i}]."), child, today) {
                children.push(child);
            }
        }
        Some(StayDetails {
            unit_id: input.unit_id,
            woman: Woman {
                name: name?,
                date_of_birth: born?,
            },
            ward: ward?,
            consultant: consultant?,
            admitted_on: admitted_on?,
            discharged_on: discharged_on?,
            home_board: home_board?,
            children,
        })
    }
}

/// A discharge date, once the woman leaves the unit.
#[derive(Clone, Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DischargeInput {
    /// `YYYY-MM-DD`, not before the admission and not in the future.
    #[schema(format = Date)]
    pub discharged_on: String,
}

/// Someone who visits, as the API shows them to those who may see the stay's people.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct StayVisitor {
    pub id: i64,
    pub kind: VisitorKind,
    /// The claimant's name, or the child's first name; absent once the stay is anonymised.
    pub name: Option<String>,
    /// A child's date of birth; absent for the claimant and once anonymised.
    #[schema(value_type = Option<String>, format = Date)]
    pub date_of_birth: Option<NaiveDate>,
}

/// A stay as the API shows it to its claimant, its unit's clinicians and its board's cash
/// office.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct Stay {
    pub id: i64,
    /// Quoted by families and cash offices, e.g. `MBUFF-00042`.
    pub reference: String,
    pub fund_id: i64,
    pub unit_id: i64,
    pub unit_name: String,
    /// The board hosting the unit, whose cash office pays the claims.
    pub unit_board: HealthBoard,
    pub claimant_id: i64,
    /// The woman; absent once the stay is anonymised.
    pub woman: Option<Woman>,
    pub ward: Option<String>,
    pub consultant: Option<String>,
    #[schema(value_type = String, format = Date)]
    pub admitted_on: NaiveDate,
    #[schema(value_type = Option<String>, format = Date)]
    pub discharged_on: Option<NaiveDate>,
    /// The last day a claim may be submitted: the end of the claim window after discharge.
    #[schema(value_type = Option<String>, format = Date)]
    pub claims_close_on: Option<NaiveDate>,
    /// The board the family lives in.
    pub home_board: HealthBoard,
    /// The most the family is paid for this stay, across all its claims.
    pub cap: Money,
    /// What the cash office has approved across the stay's claims.
    pub approved: Money,
    /// What has been paid.
    pub paid: Money,
    /// What is claimed in claims submitted and not yet decided.
    pub pending: Money,
    /// What is left under the cap once pending claims are approved in full.
    pub remaining: Money,
    pub visitors: Vec<StayVisitor>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub anonymised_at: Option<DateTime<Utc>>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(text: &str) -> NaiveDate {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap_or(NaiveDate::MIN)
    }

    #[test]
    fn age_turns_on_the_birthday() {
        let born = day("2008-06-15");
        assert_eq!(age_on(born, day("2024-06-14")), 15);
        assert_eq!(age_on(born, day("2024-06-15")), 16);
        assert_eq!(age_on(born, day("2025-06-14")), 16);
        assert_eq!(age_on(born, day("2025-06-15")), 17);
    }

    #[test]
    fn the_window_closes_months_after_discharge() {
        let row = StayRow {
            id: 7,
            fund_id: 1,
            unit_id: 1,
            claimant_id: 1,
            admitted_on: day("2024-10-01"),
            discharged_on: Some(day("2024-11-30")),
            home_board: HealthBoard::Highland,
            cap_pence: 50_000,
            claim_window_months: 3,
            approved_pence: 0,
            paid_pence: 0,
            created_at: NaiveDateTime::MIN,
            updated_at: NaiveDateTime::MIN,
            anonymised_at: None,
        };
        assert_eq!(row.window_closes_on(), Some(day("2025-02-28")));
        assert_eq!(row.reference(), "MBUFF-00007");
    }
}
