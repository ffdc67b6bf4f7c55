//! Rows of `criteria` and the API shapes built from them.

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::db::DbConnection;
use crate::db::schema::criteria;
use crate::domain::Weight;
use crate::domain::clock::utc;
use crate::error::{ApiError, Validator};
use crate::wire::present;

#[derive(Clone, Debug, Queryable, Identifiable)]
#[diesel(table_name = criteria)]
pub struct CriterionRow {
    pub id: i64,
    pub round_id: i64,
    pub name: String,
    pub guidance: Option<String>,
    pub weight_ten_thousandths: i64,
    pub max_score: i32,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

/// An assessment criterion as an administrator writes it.
#[derive(Clone, Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CriterionInput {
    #[schema(
        min_length = 1,
        max_length = 200,
        pattern = r"\S",
        example = "Need and reach"
    )]
    pub name: String,
    /// What assessors should look for, up to 5,000 characters.
    #[serde(default)]
    #[schema(max_length = 5000)]
    pub guidance: Option<String>,
    #[schema(value_type = Weight)]
    pub weight: String,
    /// The highest score an assessor may give, 1 to 100.
    #[schema(minimum = 1, maximum = 100, example = 5)]
    pub max_score: i64,
}

/// A partial update of a criterion; `null` clears the guidance.
#[derive(Clone, Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CriterionPatch {
    #[schema(min_length = 1, max_length = 200, pattern = r"\S")]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>, max_length = 5000)]
    pub guidance: Option<Option<String>>,
    #[schema(value_type = Option<Weight>)]
    pub weight: Option<String>,
    #[schema(minimum = 1, maximum = 100)]
    pub max_score: Option<i64>,
}

impl CriterionInput {
    pub fn from_stored(row: &CriterionRow) -> Self {
        CriterionInput {
            name: row.name.clone(),
            guidance: row.guidance.clone(),
            weight: Weight::from_ten_thousandths(row.weight_ten_thousandths)
                .map(|w| w.to_string())
                .unwrap_or_default(),
            max_score: i64::from(row.max_score),
        }
    }

    pub fn apply(mut self, patch: CriterionPatch) -> Self {
        if let Some(v) = patch.name {
            self.name = v;
        }
        if let Some(v) = patch.guidance {
            self.guidance = v;
        }
        if let Some(v) = patch.weight {
            self.weight = v;
        }
        if let Some(v) = patch.max_score {
            self.max_score = v;
        }
        self
    }
}

/// Checked criterion details.
#[derive(Clone, Debug, PartialEq)]
pub struct CriterionDetails {
    pub name: String,
    pub guidance: Option<String>,
    pub weight: Weight,
    pub max_score: i32,
}

impl CriterionDetails {
    pub fn parse(input: &CriterionInput, v: &mut Validator) -> Option<Self> {
        let name = v.text("name", &input.name, 1, 200);
        let guidance = v.optional_text("guidance", input.guidance.as_deref(), 5_000);
        let weight = v.check("weight", Weight::parse(input.weight.trim()));
        let max_score = v.count("max_score", input.max_score, 1..=100);
        Some(CriterionDetails {
            name: name?,
            guidance: guidance?,
            weight: weight?,
            max_score: i32::try_from(max_score?).ok()?,
        })
    }
}

#[derive(Insertable, AsChangeset)]
#[diesel(table_name = criteria, treat_none_as_null = true)]
pub struct CriterionFields<'a> {
    pub name: &'a str,
    pub guidance: Option<&'a str>,
    pub weight_ten_thousandths: i64,
    pub max_score: i32,
    pub updated_at: NaiveDateTime,
}

impl<'a> CriterionFields<'a> {
    pub fn new(d: &'a CriterionDetails, now: NaiveDateTime) -> Self {
        CriterionFields {
            name: &d.name,
            guidance: d.guidance.as_deref(),
            weight_ten_thousandths: d.weight.ten_thousandths(),
            max_score: d.max_score,
            updated_at: now,
        }
    }
}

/// A criterion as the API shows it.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct Criterion {
    pub id: i64,
    pub round_id: i64,
    pub name: String,
    pub guidance: Option<String>,
    pub weight: Weight,
    /// The highest score an assessor may give.
    pub max_score: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl CriterionRow {
    pub fn find(conn: &mut DbConnection, id: i64) -> Result<CriterionRow, ApiError> {
        Ok(criteria::table.find(id).first(conn)?)
    }

    pub fn into_api(self) -> Result<Criterion, ApiError> {
        Ok(Criterion {
            id: self.id,
            round_id: self.round_id,
            name: self.name,
            guidance: self.guidance,
            weight: Weight::from_ten_thousandths(self.weight_ten_thousandths)
                .map_err(ApiError::internal)?,
            max_score: self.max_score,
            created_at: utc(self.created_at),
            updated_at: utc(self.updated_at),
        })
    }
}
