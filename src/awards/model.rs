//! Rows of `awards`, `instalments` and `decisions`, and the API shapes built from them; the
//! variations of an award are in `model/variation.rs`.

pub mod variation;

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::applications::model::Application;
use crate::db::schema::awards;
use crate::domain::vocabulary::{AwardStatus, DecisionOutcome, InstalmentStatus};
use crate::domain::{FinancialYear, Money};

#[derive(Clone, Debug, Queryable, Identifiable)]
#[diesel(table_name = awards)]
pub struct AwardRow {
    pub id: i64,
    pub application_id: i64,
    pub fund_id: i64,
    pub round_id: i64,
    pub organisation_id: i64,
    pub reference: String,
    pub reference_year: i32,
    pub sequence: i32,
    pub status: AwardStatus,
    pub responded_at: Option<NaiveDateTime>,
    pub responded_by: Option<i64>,
    pub ended_at: Option<NaiveDateTime>,
    pub ended_by: Option<i64>,
    pub end_reason: Option<String>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Clone, Debug, Queryable)]
pub struct InstalmentRow {
    pub award_id: i64,
    pub fund_id: i64,
    pub financial_year: String,
    pub amount_pence: i64,
    pub status: InstalmentStatus,
    pub released_at: Option<NaiveDateTime>,
    pub released_by: Option<i64>,
}

/// A decision on a submitted application (administrators).
///
/// `award` needs `amounts`: for each of the round's financial years to be funded, a positive
/// amount no more than was requested for it; `conditions` are optional. `decline` needs
/// `feedback` for the applicant and nothing else.
#[derive(Clone, Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DecisionInput {
    pub decision: DecisionOutcome,
    /// The amount of each financial year, e.g. `{"2021-22": "38000.00"}` (award only).
    #[serde(default, deserialize_with = "crate::wire::optional_year_amounts")]
    #[schema(schema_with = crate::wire::amounts_by_year)]
    pub amounts: Option<BTreeMap<String, String>>,
    /// Conditions of the grant, up to 10,000 characters (award only).
    #[serde(default)]
    #[schema(max_length = 10000)]
    pub conditions: Option<String>,
    /// Why the application was declined, for the applicant: 1 to 10,000 characters (decline
    /// only).
    #[serde(default)]
    #[schema(max_length = 10000)]
    pub feedback: Option<String>,
}

/// Why an administrator ends an award early.
#[derive(Clone, Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TerminationInput {
    /// 1 to 5,000 characters; it is sent to the grant holder.
    #[schema(min_length = 1, max_length = 5000, pattern = r"\S")]
    pub reason: String,
}

/// One financial year of an award.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct Instalment {
    pub financial_year: FinancialYear,
    pub amount: Money,
    pub status: InstalmentStatus,
    /// When it was paid.
    pub released_at: Option<DateTime<Utc>>,
}

/// A grant offered to an organisation for an application.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct Award {
    pub id: i64,
    /// The fund's code, the first year the grant funds and a sequence, e.g. `PIMH-2021-0017`.
    #[schema(example = "PIMH-2021-0017")]
    pub reference: String,
    pub application_id: i64,
    pub fund_id: i64,
    pub round_id: i64,
    pub organisation_id: i64,
    pub organisation_name: String,
    /// The application's title.
    pub title: String,
    /// `offered → accepted | declined`, then `completed | terminated`.
    pub status: AwardStatus,
    /// The amount of each financial year.
    #[schema(value_type = BTreeMap<String, Money>)]
    pub amounts: BTreeMap<FinancialYear, Money>,
    /// The sum of `amounts`.
    pub total: Money,
    /// What has been released so far.
    pub paid: Money,
    pub instalments: Vec<Instalment>,
    pub conditions: Option<String>,
    /// The award's last day: the end of its last financial year, or later once an extension is
    /// approved.
    pub end_date: NaiveDate,
    pub offered_at: DateTime<Utc>,
    /// When the applicant accepted or declined the offer.
    pub responded_at: Option<DateTime<Utc>>,
    /// When the award was completed or terminated.
    pub ended_at: Option<DateTime<Utc>>,
    /// Why it was terminated.
    pub end_reason: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Its documents, newest first: in the answer of this one object (not in lists), for those
    /// who may read documents.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub documents: Option<Vec<crate::documents::model::Document>>,
    /// Its variations, newest first: in the answer of this one object (not in lists), for those
    /// who may read variations.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub variations: Option<Vec<variation::Variation>>,
}

/// What an award decision made.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct AwardMade {
    pub award: Award,
}

/// The outcome of a decision: a new award, or the declined application.
#[derive(Clone, Debug, Serialize)]
#[serde(untagged)]
pub enum Decided {
    Awarded(Box<AwardMade>),
    Declined(Box<Application>),
}
