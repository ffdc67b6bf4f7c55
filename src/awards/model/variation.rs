//! Rows of `variations` and `variation_amounts`, and the API shapes built from them.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::domain::vocabulary::{VariationKind, VariationStatus};
use crate::domain::{FinancialYear, Money};

#[derive(Clone, Debug, Queryable)]
pub struct VariationRow {
    pub id: i64,
    pub award_id: i64,
    pub kind: VariationKind,
    pub status: VariationStatus,
    pub reason: String,
    pub end_date_before: Option<NaiveDate>,
    pub new_end_date: Option<NaiveDate>,
    pub conditions_before: Option<String>,
    pub new_conditions: Option<String>,
    pub requested_by: i64,
    pub requested_at: NaiveDateTime,
    pub decided_by: Option<i64>,
    pub decided_at: Option<NaiveDateTime>,
    pub decision_reason: Option<String>,
    pub before_snapshot: Option<String>,
    pub after_snapshot: Option<String>,
}

#[derive(Clone, Debug, Queryable)]
pub struct VariationAmountRow {
    pub variation_id: i64,
    pub financial_year: String,
    pub before_pence: i64,
    pub after_pence: i64,
}

/// A change asked for an accepted award: by its grant holder, or proposed by an administrator.
///
/// `reprofile` needs `amounts`: the new amount of each year of the award that changes, at least
/// two, adding up to what those years hold now. `reduce` needs `amounts`: each year lowered,
/// more than zero and less than now. `extend` needs `end_date`, later than the award's end
/// date and within two years of it. `conditions` needs the new `conditions`. Every kind needs a
/// `reason`.
#[derive(Clone, Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VariationInput {
    pub kind: VariationKind,
    /// The new amount of each financial year that changes, e.g. `{"2021-22": "20000.00"}`
    /// (`reprofile` and `reduce` only).
    #[serde(default, deserialize_with = "crate::wire::optional_year_amounts")]
    #[schema(schema_with = crate::wire::amounts_by_year)]
    pub amounts: Option<BTreeMap<String, String>>,
    /// The new last day of the award, `YYYY-MM-DD` (`extend` only).
    #[serde(default)]
    #[schema(value_type = Option<String>, format = Date)]
    pub end_date: Option<String>,
    /// The new conditions of the grant, 1 to 10,000 characters (`conditions` only).
    #[serde(default)]
    #[schema(max_length = 10000)]
    pub conditions: Option<String>,
    /// Why the change is needed: 1 to 5,000 characters.
    #[schema(min_length = 1, max_length = 5000, pattern = r"\S")]
    pub reason: String,
}

/// An administrator's reason for approving or refusing a variation; the grant holder is told.
#[derive(Clone, Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VariationDecisionInput {
    /// 1 to 5,000 characters.
    #[schema(min_length = 1, max_length = 5000, pattern = r"\S")]
    pub reason: String,
}

/// One financial year a variation changes: what its instalment held when the variation was
/// asked, and what it is to hold.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct VariationAmount {
    pub financial_year: FinancialYear,
    pub before: Money,
    pub after: Money,
}

/// A variation of an accepted award.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct Variation {
    pub id: i64,
    pub award_id: i64,
    /// The award's reference, e.g. `PIMH-2021-0017`.
    pub award_reference: String,
    pub organisation_id: i64,
    pub kind: VariationKind,
    /// `requested → approved | refused | withdrawn`.
    pub status: VariationStatus,
    /// The years it changes (`reprofile` and `reduce`).
    pub amounts: Vec<VariationAmount>,
    /// The award's last day when it was asked, and the one asked for (`extend`).
    pub end_date_before: Option<NaiveDate>,
    pub new_end_date: Option<NaiveDate>,
    /// The conditions when it was asked, and the ones asked for (`conditions`).
    pub conditions_before: Option<String>,
    pub new_conditions: Option<String>,
    /// Why the one who asked needs it.
    pub reason: String,
    pub requested_by: i64,
    pub requested_at: DateTime<Utc>,
    pub decided_by: Option<i64>,
    pub decided_at: Option<DateTime<Utc>>,
    /// The administrator's reason for approving or refusing it.
    pub decision_reason: Option<String>,
    /// The award just before and just after an approved variation was applied.
    #[schema(value_type = Option<Object>)]
    pub award_before: Option<serde_json::Value>,
    #[schema(value_type = Option<Object>)]
    pub award_after: Option<serde_json::Value>,
}
