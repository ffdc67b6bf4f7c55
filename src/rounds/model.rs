//! Rows of `rounds` and `round_years`, and the API shapes built from them; `criteria` in
//! `model/criterion.rs`.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::db::schema::{round_years, rounds};
use crate::db::{DbConnection, children};
use crate::domain::clock::utc;
use crate::domain::vocabulary::{Component, ReturnFrequency, RoundStatus};
use crate::domain::{FinancialYear, Money};
use crate::error::{ApiError, Validator};
use crate::wire::present;

mod criterion;

pub use self::criterion::{
    Criterion, CriterionDetails, CriterionFields, CriterionInput, CriterionPatch, CriterionRow,
};

/// Assessments a decision needs unless the round says otherwise.
pub const DEFAULT_ASSESSMENTS_REQUIRED: i64 = 2;

#[derive(Clone, Debug, Queryable, Identifiable)]
#[diesel(table_name = rounds)]
pub struct RoundRow {
    pub id: i64,
    pub fund_id: i64,
    pub name: String,
    pub component: Component,
    pub opens_at: NaiveDateTime,
    pub closes_at: NaiveDateTime,
    pub min_request_pence: i64,
    pub max_request_pence: i64,
    pub max_applicant_income_pence: Option<i64>,
    pub assessments_required: i32,
    pub return_frequency: ReturnFrequency,
    pub guidance: Option<String>,
    pub criteria_frozen_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

/// A round as an administrator creates it.
#[derive(Clone, Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RoundInput {
    /// The round's name, 1 to 200 characters.
    #[schema(
        min_length = 1,
        max_length = 200,
        pattern = r"\S",
        example = "Core 2021-23"
    )]
    pub name: String,
    #[schema(value_type = Component)]
    pub component: String,
    /// When applications may first be submitted (RFC 3339).
    #[schema(value_type = String, format = DateTime, example = "2021-01-10T09:00:00Z")]
    pub opens_at: String,
    /// When submissions stop (RFC 3339); after `opens_at`.
    #[schema(value_type = String, format = DateTime, example = "2021-02-28T17:00:00Z")]
    pub closes_at: String,
    /// The financial years the round funds; each must already have a limit on the fund.
    #[serde(deserialize_with = "crate::wire::at_most::<_, _, 10>")]
    #[schema(value_type = Vec<FinancialYear>, min_items = 1, max_items = 10)]
    pub financial_years: Vec<String>,
    /// The smallest request for any one year.
    #[schema(value_type = Money)]
    pub min_request: String,
    /// The largest request for any one year; not below `min_request`, more than zero.
    #[schema(value_type = Money)]
    pub max_request: String,
    /// The largest annual income an applicant may have (for rounds aimed at small
    /// organisations); `null` for no ceiling.
    #[serde(default)]
    #[schema(value_type = Option<Money>)]
    pub max_applicant_income: Option<String>,
    /// How many submitted assessments a decision needs (1 to 20; 2 when absent).
    #[serde(default)]
    #[schema(minimum = 1, maximum = 20)]
    pub assessments_required: Option<i64>,
    #[schema(value_type = ReturnFrequency)]
    pub return_frequency: String,
    /// Guidance for applicants, up to 20,000 characters.
    #[serde(default)]
    #[schema(max_length = 20000)]
    pub guidance: Option<String>,
}

/// A partial update of a round: absent fields stay as they are; `null` clears an optional field.
/// Once the round has opened, only a later `closes_at` and `guidance` may change.
#[derive(Clone, Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RoundPatch {
    #[schema(min_length = 1, max_length = 200, pattern = r"\S")]
    pub name: Option<String>,
    #[schema(value_type = Option<Component>)]
    pub component: Option<String>,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub opens_at: Option<String>,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub closes_at: Option<String>,
    #[serde(
        default,
        deserialize_with = "crate::wire::optional_at_most::<_, _, 10>"
    )]
    #[schema(value_type = Option<Vec<FinancialYear>>, min_items = 1, max_items = 10)]
    pub financial_years: Option<Vec<String>>,
    #[schema(value_type = Option<Money>)]
    pub min_request: Option<String>,
    #[schema(value_type = Option<Money>)]
    pub max_request: Option<String>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<Money>)]
    pub max_applicant_income: Option<Option<String>>,
    #[schema(minimum = 1, maximum = 20)]
    pub assessments_required: Option<i64>,
    #[schema(value_type = Option<ReturnFrequency>)]
    pub return_frequency: Option<String>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>, max_length = 20000)]
    pub guidance: Option<Option<String>>,
}

impl RoundInput {
    pub fn from_stored(row: &RoundRow, years: &[FinancialYear]) -> Self {
        let money = |pence: i64| {
            Money::from_pence(pence)
                .map(|m| m.to_string())
                .unwrap_or_default()
        };
        RoundInput {
            name: row.name.clone(),
            component: row.component.as_str().to_owned(),
            opens_at: utc(row.opens_at).to_rfc3339(),
            closes_at: utc(row.closes_at).to_rfc3339(),
            financial_years: years.iter().map(ToString::to_string).collect(),
            min_request: money(row.min_request_pence),
            max_request: money(row.max_request_pence),
            max_applicant_income: row.max_applicant_income_pence.map(money),
            assessments_required: Some(i64::from(row.assessments_required)),
            return_frequency: row.return_frequency.as_str().to_owned(),
            guidance: row.guidance.clone(),
        }
    }

    pub fn apply(mut self, patch: RoundPatch) -> Self {
        if let Some(v) = patch.name {
            self.name = v;
        }
        if let Some(v) = patch.component {
            self.component = v;
        }
        if let Some(v) = patch.opens_at {
            self.opens_at = v;
        }
        if let Some(v) = patch.closes_at {
            self.closes_at = v;
        }
        if let Some(v) = patch.financial_years {
            self.financial_years = v;
        }
        if let Some(v) = patch.min_request {
            self.min_request = v;
        }
        if let Some(v) = patch.max_request {
            self.max_request = v;
        }
        if let Some(v) = patch.max_applicant_income {
            self.max_applicant_income = v;
        }
        if let Some(v) = patch.assessments_required {
            self.assessments_required = Some(v);
        }
        if let Some(v) = patch.return_frequency {
            self.return_frequency = v;
        }
        if let Some(v) = patch.guidance {
            self.guidance = v;
        }
        self
    }
}

/// Checked round details: what each field holds is what [`RoundDetails::parse`] lets through.
#[derive(Clone, Debug, PartialEq)]
pub struct RoundDetails {
    /// Trimmed, 1 to 200 characters.
    pub name: String,
    /// Trimmed, at most 20,000 characters; `None` when blank.
    pub guidance: Option<String>,
    pub component: Component,
    /// One to ten years, each with a limit on the fund, in order, none twice.
    pub financial_years: Vec<FinancialYear>,
    pub opens_at: DateTime<Utc>,
    /// Later than `opens_at`.
    pub closes_at: DateTime<Utc>,
    /// At most `max_request`.
    pub min_request: Money,
    /// More than zero.
    pub max_request: Money,
    pub max_applicant_income: Option<Money>,
    /// From 1 to 20.
    pub assessments_required: i32,
    pub return_frequency: ReturnFrequency,
}

impl RoundDetails {
    /// Checks every field; `fund_years` are the years that have a limit on the round's fund.
    pub fn parse(
        input: &RoundInput,
        fund_years: &[FinancialYear],
        v: &mut Validator,
    ) -> Option<Self> {
        let name = v.text("name", &input.name, 1, 200);
        let component = v.check("component", input.component.parse::<Component>());
        let opens_at = v.timestamp("opens_at", &input.opens_at);
        let closes_at = v.timestamp("closes_at", &input.closes_at);
        if let (Some(opens), Some(closes)) = (opens_at, closes_at)
            && closes <= opens
        {
            v.error("closes_at", "must be after opens_at");
        }
        let mut years = Vec::new();
        for (i, text) in input.financial_years.iter().enumerate() {
            let field = format!("financial_years[{i}]");
            match FinancialYear::parse(text) {
                Err(e) => v.error(field, e),
                Ok(year) if years.contains(&year) => v.error(field, "is listed twice"),
                Ok(year) if !fund_years.contains(&year) => v.error(
                    field,
                    "is not a year of this fund; set its limit with PUT /funds/{id}/years/{year} first",
                ),
                Ok(year) => years.push(year),
            }
        }
        v.ensure(
            !input.financial_years.is_empty(),
            "financial_years",
            "must name at least one financial year",
        );
        v.ensure(
            input.financial_years.len() <= 10,
            "financial_years",
            "must name at most 10 financial years",
        );
        years.sort();
        let min_request = v.money("min_request", &input.min_request);
        let max_request = v.money("max_request", &input.max_request);
        if let Some(max) = max_request
            && max.is_zero()
        {
            v.error("max_request", "must be more than 0.00");
        }
        if let (Some(min), Some(max)) = (min_request, max_request)
            && min > max
        {
            v.error("min_request", "must not be more than max_request");
        }
        let max_applicant_income = match input
            .max_applicant_income
            .as_deref()
            .filter(|t| !t.trim().is_empty())
        {
            Some(text) => v.money("max_applicant_income", text).map(Some),
            None => Some(None),
        };
        let assessments_required = v.count(
            "assessments_required",
            input
                .assessments_required
                .unwrap_or(DEFAULT_ASSESSMENTS_REQUIRED),
            1..=20,
        );
        let return_frequency = v.check(
            "return_frequency",
            input.return_frequency.parse::<ReturnFrequency>(),
        );
        let guidance = v.optional_text("guidance", input.guidance.as_deref(), 20_000);
        Some(RoundDetails {
            name: name?,
            component: component?,
            opens_at: opens_at?,
            closes_at: closes_at?,
            financial_years: years,
            min_request: min_request?,
            max_request: max_request?,
            max_applicant_income: max_applicant_income?,
            assessments_required: i32::try_from(assessments_required?).ok()?,
            return_frequency: return_frequency?,
            guidance: guidance?,
        })
    }
}

#[derive(Insertable, AsChangeset)]
#[diesel(table_name = rounds, treat_none_as_null = true)]
pub struct RoundFields<'a> {
    pub name: &'a str,
    pub component: Component,
    pub return_frequency: ReturnFrequency,
    pub assessments_required: i32,
    pub opens_at: NaiveDateTime,
    pub closes_at: NaiveDateTime,
    pub min_request_pence: i64,
    pub max_request_pence: i64,
    pub max_applicant_income_pence: Option<i64>,
    pub guidance: Option<&'a str>,
    pub updated_at: NaiveDateTime,
}

impl<'a> RoundFields<'a> {
    pub fn new(d: &'a RoundDetails, now: NaiveDateTime) -> Self {
        RoundFields {
            name: &d.name,
            component: d.component,
            opens_at: d.opens_at.naive_utc(),
            closes_at: d.closes_at.naive_utc(),
            min_request_pence: d.min_request.pence(),
            max_request_pence: d.max_request.pence(),
            max_applicant_income_pence: d.max_applicant_income.map(Money::pence),
            assessments_required: d.assessments_required,
            return_frequency: d.return_frequency,
            guidance: d.guidance.as_deref(),
            updated_at: now,
        }
    }
}

/// A round as the API shows it.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct Round {
    pub id: i64,
    pub fund_id: i64,
    pub name: String,
    pub component: Component,
    /// `upcoming` before `opens_at`, `open` until `closes_at`, then `closed`.
    pub status: RoundStatus,
    pub opens_at: DateTime<Utc>,
    pub closes_at: DateTime<Utc>,
    /// The financial years the round funds, in order.
    pub financial_years: Vec<FinancialYear>,
    /// The smallest request for any one year.
    pub min_request: Money,
    /// The largest request for any one year.
    pub max_request: Money,
    /// The largest annual income an applicant may have; `null` for no ceiling.
    pub max_applicant_income: Option<Money>,
    /// How many submitted assessments a decision needs.
    pub assessments_required: i32,
    pub return_frequency: ReturnFrequency,
    pub guidance: Option<String>,
    /// True once the first score has been saved: the criteria can no longer change.
    pub criteria_frozen: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl RoundRow {
    pub fn find(conn: &mut DbConnection, id: i64) -> Result<RoundRow, ApiError> {
        Ok(rounds::table.find(id).first(conn)?)
    }

    /// Where the round stands at `now`.
    pub fn status(&self, now: NaiveDateTime) -> RoundStatus {
        if now < self.opens_at {
            RoundStatus::Upcoming
        } else if now < self.closes_at {
            RoundStatus::Open
        } else {
            RoundStatus::Closed
        }
    }

    /// Whether the round has opened, and so is published.
    pub fn has_opened(&self, now: NaiveDateTime) -> bool {
        self.status(now) != RoundStatus::Upcoming
    }

    /// The financial years of several rounds in one query.
    pub fn years_of(
        conn: &mut DbConnection,
        ids: &[i64],
    ) -> Result<HashMap<i64, Vec<FinancialYear>>, ApiError> {
        let pairs: Vec<(i64, String)> = round_years::table
            .filter(round_years::round_id.eq_any(ids))
            .select((round_years::round_id, round_years::financial_year))
            .order((round_years::round_id, round_years::financial_year))
            .load(conn)?;
        let years = pairs
            .into_iter()
            .map(|(id, text)| {
                let year = FinancialYear::parse(&text).map_err(|e| {
                    ApiError::internal(format!("round {id} has a malformed year {text:?}: {e}"))
                })?;
                Ok((id, year))
            })
            .collect::<Result<Vec<_>, ApiError>>()?;
        Ok(children::group(years))
    }

    pub fn years(&self, conn: &mut DbConnection) -> Result<Vec<FinancialYear>, ApiError> {
        Ok(Self::years_of(conn, &[self.id])?
            .remove(&self.id)
            .unwrap_or_default())
    }

    pub fn set_years(
        conn: &mut DbConnection,
        round_id: i64,
        fund_id: i64,
        years: &[FinancialYear],
    ) -> Result<(), ApiError> {
        diesel::delete(round_years::table.filter(round_years::round_id.eq(round_id)))
            .execute(conn)?;
        for year in years {
            diesel::insert_into(round_years::table)
                .values((
                    round_years::round_id.eq(round_id),
                    round_years::fund_id.eq(fund_id),
                    round_years::financial_year.eq(year.to_string()),
                ))
                .execute(conn)?;
        }
        Ok(())
    }

    pub fn into_api(
        self,
        now: NaiveDateTime,
        financial_years: Vec<FinancialYear>,
    ) -> Result<Round, ApiError> {
        let status = self.status(now);
        let money = |pence| Money::from_pence(pence).map_err(ApiError::internal);
        Ok(Round {
            id: self.id,
            fund_id: self.fund_id,
            component: self.component,
            return_frequency: self.return_frequency,
            name: self.name,
            status,
            opens_at: utc(self.opens_at),
            closes_at: utc(self.closes_at),
            financial_years,
            min_request: money(self.min_request_pence)?,
            max_request: money(self.max_request_pence)?,
            max_applicant_income: self.max_applicant_income_pence.map(money).transpose()?,
            assessments_required: self.assessments_required,
            guidance: self.guidance,
            criteria_frozen: self.criteria_frozen_at.is_some(),
            created_at: utc(self.created_at),
            updated_at: utc(self.updated_at),
        })
    }
}
