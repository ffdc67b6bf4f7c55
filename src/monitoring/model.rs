//! Rows of `returns` and `return_contents`, and the API shapes built from them.

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::db::schema::{return_contents, returns};
use crate::domain::vocabulary::{ReturnStatus, ReviewOutcome};
use crate::domain::{FinancialYear, Money};
use crate::error::{ApiError, Validator};
use crate::wire::present;

#[derive(Clone, Debug, Queryable, Identifiable)]
#[diesel(table_name = returns)]
pub struct ReturnRow {
    pub id: i64,
    pub award_id: i64,
    pub financial_year: Option<String>,
    pub period_start: NaiveDate,
    pub period_end: NaiveDate,
    pub due_date: NaiveDate,
    pub status: ReturnStatus,
    pub submitted_at: Option<NaiveDateTime>,
    pub submitted_by: Option<i64>,
    pub reviewed_at: Option<NaiveDateTime>,
    pub reviewed_by: Option<i64>,
    pub review_comment: Option<String>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

impl ReturnRow {
    pub fn find(conn: &mut crate::db::DbConnection, id: i64) -> Result<ReturnRow, ApiError> {
        Ok(returns::table.find(id).first(conn)?)
    }

    /// The status on `today` (see [`ReturnStatus::on`]).
    pub fn status_on(&self, today: NaiveDate) -> ReturnStatus {
        self.status.on(self.period_end, self.due_date, today)
    }

    pub fn year(&self) -> Result<Option<FinancialYear>, ApiError> {
        self.financial_year
            .as_deref()
            .map(FinancialYear::parse)
            .transpose()
            .map_err(ApiError::internal)
    }
}

/// What a grant holder has reported, as stored.
#[derive(Clone, Debug, Default, PartialEq, Eq, Queryable, Insertable, AsChangeset)]
#[diesel(table_name = return_contents, treat_none_as_null = true)]
pub struct Contents {
    pub return_id: i64,
    pub spend_pence: Option<i64>,
    pub women: Option<i64>,
    pub partners: Option<i64>,
    pub infants: Option<i64>,
    pub kinship_carers: Option<i64>,
    pub families: Option<i64>,
    pub new_people: Option<i64>,
    pub continuing_people: Option<i64>,
    pub sessions: Option<i64>,
    pub peer_supporters: Option<i64>,
    pub volunteers: Option<i64>,
    pub outcomes: Option<String>,
    pub case_study: Option<String>,
    pub challenges: Option<String>,
    pub updated_at: NaiveDateTime,
}

/// People supported in the period. `new` and `continuing` count the same people a second way:
/// those first supported in this period, and those carried on from an earlier one.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Reached {
    #[schema(minimum = 0, maximum = 10_000_000)]
    pub women: Option<i64>,
    #[schema(minimum = 0, maximum = 10_000_000)]
    pub partners: Option<i64>,
    #[schema(minimum = 0, maximum = 10_000_000)]
    pub kinship_carers: Option<i64>,
    #[schema(minimum = 0, maximum = 10_000_000)]
    pub infants: Option<i64>,
    #[schema(minimum = 0, maximum = 10_000_000)]
    pub families: Option<i64>,
    #[schema(minimum = 0, maximum = 10_000_000)]
    pub new: Option<i64>,
    #[schema(minimum = 0, maximum = 10_000_000)]
    pub continuing: Option<i64>,
}

/// Changes to a return's content; fields left out keep their value, `null` clears a text.
#[derive(Clone, Debug, Default, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReturnPatch {
    /// Spent in the period. A periodic return's spend, added to the other periodic returns of
    /// the same financial year, may not be more than that year's released instalment plus 5%;
    /// the final return reports the whole grant's spend, at most everything released plus 5%.
    #[schema(value_type = Option<Money>)]
    pub spend: Option<String>,
    /// People supported; each count given replaces the saved one.
    pub reached: Option<Reached>,
    #[schema(minimum = 0, maximum = 10_000_000)]
    pub sessions: Option<i64>,
    #[schema(minimum = 0, maximum = 10_000_000)]
    pub peer_supporters: Option<i64>,
    #[schema(minimum = 0, maximum = 10_000_000)]
    pub volunteers: Option<i64>,
    /// What changed for the people supported; up to 10,000 characters.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>, max_length = 10000)]
    pub outcomes: Option<Option<String>>,
    /// One family's story, shared with their consent; up to 10,000 characters.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>, max_length = 10000)]
    pub case_study: Option<Option<String>>,
    /// Challenges and risks; up to 10,000 characters.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>, max_length = 10000)]
    pub challenges: Option<Option<String>>,
}

/// The most people, sessions or volunteers one return may count.
const MAX_COUNT: i64 = 10_000_000;

impl Contents {
    /// Applies a patch, checking each field; every failure goes into `v`.
    pub fn apply(&mut self, patch: &ReturnPatch, v: &mut Validator) {
        if let Some(text) = &patch.spend {
            self.spend_pence = v.money("spend", text.trim()).map(Money::pence);
        }
        let mut count = |field: &str, value: Option<i64>, slot: &mut Option<i64>| {
            if let Some(value) = value
                && let Some(checked) = v.count(field, value, 0..=MAX_COUNT)
            {
                *slot = Some(checked);
            }
        };
        if let Some(r) = &patch.reached {
            count("reached.women", r.women, &mut self.women);
            count("reached.partners", r.partners, &mut self.partners);
            count("reached.infants", r.infants, &mut self.infants);
            count(
                "reached.kinship_carers",
                r.kinship_carers,
                &mut self.kinship_carers,
            );
            count("reached.families", r.families, &mut self.families);
            count("reached.new", r.new, &mut self.new_people);
            count(
                "reached.continuing",
                r.continuing,
                &mut self.continuing_people,
            );
        }
        count("sessions", patch.sessions, &mut self.sessions);
        count(
            "peer_supporters",
            patch.peer_supporters,
            &mut self.peer_supporters,
        );
        count("volunteers", patch.volunteers, &mut self.volunteers);
        let mut text = |field: &str, value: &Option<Option<String>>, slot: &mut Option<String>| {
            if let Some(value) = value
                && let Some(checked) = v.optional_text(field, value.as_deref(), 10_000)
            {
                *slot = checked;
            }
        };
        text("outcomes", &patch.outcomes, &mut self.outcomes);
        text("case_study", &patch.case_study, &mut self.case_study);
        text("challenges", &patch.challenges, &mut self.challenges);
    }

    /// Each field a submitted return needs that is still empty.
    pub fn missing(&self) -> Vec<&'static str> {
        let required: [(&'static str, bool); 12] = [
            ("spend", self.spend_pence.is_some()),
            ("reached.women", self.women.is_some()),
            ("reached.partners", self.partners.is_some()),
            ("reached.infants", self.infants.is_some()),
            ("reached.kinship_carers", self.kinship_carers.is_some()),
            ("reached.families", self.families.is_some()),
            ("reached.new", self.new_people.is_some()),
            ("reached.continuing", self.continuing_people.is_some()),
            ("sessions", self.sessions.is_some()),
            ("peer_supporters", self.peer_supporters.is_some()),
            ("volunteers", self.volunteers.is_some()),
            ("outcomes", self.outcomes.is_some()),
        ];
        required
            .into_iter()
            .filter(|(_, given)| !given)
            .map(|(field, _)| field)
            .collect()
    }
}

/// An administrator's review of a submitted return.
#[derive(Clone, Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReviewInput {
    pub outcome: ReviewOutcome,
    /// What to change (needed with `changes_requested`), up to 5,000 characters; it is emailed
    /// to the grant holder.
    #[serde(default)]
    #[schema(max_length = 5000)]
    pub comment: Option<String>,
}

/// A monitoring return as the API shows it.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct MonitoringReturn {
    pub id: i64,
    pub award_id: i64,
    pub award_reference: String,
    pub organisation_id: i64,
    pub organisation_name: String,
    /// `true` for the return that covers the whole award.
    pub is_final: bool,
    /// The financial year of a periodic return.
    pub financial_year: Option<FinancialYear>,
    pub period_start: NaiveDate,
    pub period_end: NaiveDate,
    pub due_date: NaiveDate,
    pub status: ReturnStatus,
    pub spend: Option<Money>,
    pub reached: Reached,
    pub outcomes: Option<String>,
    pub case_study: Option<String>,
    pub challenges: Option<String>,
    pub sessions: Option<i64>,
    pub peer_supporters: Option<i64>,
    pub volunteers: Option<i64>,
    pub submitted_at: Option<DateTime<Utc>>,
    pub reviewed_at: Option<DateTime<Utc>>,
    /// The administrator's comment with `changes_requested`.
    pub review_comment: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Its documents, newest first: in the answer of this one object (not in lists), for those
    /// who may read documents.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub documents: Option<Vec<crate::documents::model::Document>>,
}
