//! Rows of `applications` and their child tables, and the application as the API shows it; the
//! requests and the checked content in the files of `model/`.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::db::DbConnection;
use crate::db::schema::{
    application_choices, application_reach, application_requests, applications,
};
use crate::domain::clock::utc;
use crate::domain::vocabulary::{ApplicationStatus, HealthBoard, SupportType, TargetGroup};
use crate::domain::{FinancialYear, Money};
use crate::error::{ApiError, Validator};
use crate::rounds::form::{Answer, Answers};

mod content;
mod input;

pub use self::content::{ApplicationContent, SubmissionRules};
pub use self::input::{ApplicationPatch, NewApplication, Reach};

#[derive(Clone, Debug, Queryable, Identifiable)]
#[diesel(table_name = applications)]
pub struct ApplicationRow {
    pub id: i64,
    pub round_id: i64,
    pub organisation_id: i64,
    pub created_by: i64,
    pub status: ApplicationStatus,
    pub title: String,
    pub summary: Option<String>,
    pub description: Option<String>,
    pub peer_support: Option<bool>,
    pub equality_impact: Option<String>,
    pub submitted_at: Option<NaiveDateTime>,
    pub submitted_by: Option<i64>,
    pub withdrawn_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    /// When the retention job removed its personal content.
    pub anonymised_at: Option<NaiveDateTime>,
}

/// The columns of `applications` that hold content.
#[derive(Insertable, AsChangeset)]
#[diesel(table_name = applications, treat_none_as_null = true)]
pub struct ContentFields<'a> {
    pub title: &'a str,
    pub summary: Option<&'a str>,
    pub description: Option<&'a str>,
    pub peer_support: Option<bool>,
    pub equality_impact: Option<&'a str>,
    pub updated_at: NaiveDateTime,
}

impl<'a> ContentFields<'a> {
    pub fn new(c: &'a ApplicationContent, now: NaiveDateTime) -> Self {
        ContentFields {
            title: &c.title,
            summary: c.summary.as_deref(),
            description: c.description.as_deref(),
            peer_support: c.peer_support,
            equality_impact: c.equality_impact.as_deref(),
            updated_at: now,
        }
    }
}

/// Answers to the round's own questions, by question key: each one given replaces the one
/// stored, and the keys in `remove` lose theirs. Each is checked against its question as it is
/// saved.
#[derive(Clone, Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AnswersInput {
    #[serde(default, deserialize_with = "crate::wire::map_at_most::<_, _, _, 100>")]
    #[schema(schema_with = crate::rounds::form::answers_by_key)]
    pub answers: BTreeMap<String, Answer>,
    /// Questions whose answers are taken back.
    #[serde(default, deserialize_with = "crate::wire::at_most::<_, _, 100>")]
    #[schema(max_items = 100)]
    pub remove: Vec<String>,
}

/// An application as the API shows it.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct Application {
    pub id: i64,
    pub round_id: i64,
    pub organisation_id: i64,
    pub organisation_name: String,
    /// `draft → submitted → awarded | declined`, and `draft | submitted → withdrawn`.
    pub status: ApplicationStatus,
    pub title: String,
    pub summary: Option<String>,
    pub description: Option<String>,
    /// The amount requested per financial year.
    #[schema(value_type = HashMap<String, Money>)]
    pub requested: BTreeMap<FinancialYear, Money>,
    /// The sum of `requested`.
    pub total_requested: Money,
    pub target_groups: Vec<TargetGroup>,
    pub health_boards: Vec<HealthBoard>,
    pub support_types: Vec<SupportType>,
    pub peer_support: Option<bool>,
    pub expected_reach: Reach,
    pub equality_impact: Option<String>,
    pub submitted_at: Option<DateTime<Utc>>,
    pub withdrawn_at: Option<DateTime<Utc>>,
    /// When the fund decided (awarded or declined).
    pub decided_at: Option<DateTime<Utc>>,
    /// The panel's feedback to the applicant when the application was declined.
    pub decision_feedback: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// True while a question the fund asked about it waits for the applicant's answer.
    pub more_info_requested: bool,
    /// Its answers to the round's own questions, by question key.
    #[schema(value_type = HashMap<String, Answer>)]
    pub answers: Answers,
    /// Its documents, newest first: in the answer of this one object (not in lists), for those
    /// who may read documents.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub documents: Option<Vec<crate::documents::model::Document>>,
}

/// The child rows of several applications, loaded together.
#[derive(Default)]
pub struct Children {
    requests: HashMap<i64, BTreeMap<FinancialYear, Money>>,
    choices: HashMap<i64, Vec<(String, String)>>,
    reach: HashMap<i64, Reach>,
}

impl Children {
    pub fn load(conn: &mut DbConnection, ids: &[i64]) -> Result<Children, ApiError> {
        let mut children = Children::default();
        let requests: Vec<(i64, String, i64)> = application_requests::table
            .filter(application_requests::application_id.eq_any(ids))
            .select((
                application_requests::application_id,
                application_requests::financial_year,
                application_requests::amount_pence,
            ))
            .load(conn)?;
        for (id, year, pence) in requests {
            let year = FinancialYear::parse(&year).map_err(ApiError::internal)?;
            let amount = Money::from_pence(pence).map_err(ApiError::internal)?;
            children
                .requests
                .entry(id)
                .or_default()
                .insert(year, amount);
        }
        let choices: Vec<(i64, String, String)> = application_choices::table
            .filter(application_choices::application_id.eq_any(ids))
            .select((
                application_choices::application_id,
                application_choices::list,
                application_choices::value,
            ))
            .load(conn)?;
        for (id, list, value) in choices {
            children.choices.entry(id).or_default().push((list, value));
        }
        let reach: Vec<(i64, String, i64)> = application_reach::table
            .filter(application_reach::application_id.eq_any(ids))
            .select((
                application_reach::application_id,
                application_reach::reach_group,
                application_reach::people,
            ))
            .load(conn)?;
        for (id, group, people) in reach {
            children.reach.entry(id).or_default().set(&group, people);
        }
        Ok(children)
    }

    /// The stored content of one application.
    pub fn content(&mut self, row: &ApplicationRow) -> Result<ApplicationContent, ApiError> {
        let choices = self.choices.remove(&row.id).unwrap_or_default();
        let parse_all = |list: &str| -> Vec<String> {
            choices
                .iter()
                .filter(|(l, _)| l == list)
                .map(|(_, v)| v.clone())
                .collect()
        };
        let mut v = Validator::new();
        let target_groups = v.choices("target_groups", &parse_all("target_group"));
        let health_boards = v.choices("health_boards", &parse_all("health_board"));
        let support_types = v.choices("support_types", &parse_all("support_type"));
        if !v.is_empty() {
            return Err(ApiError::internal(format!(
                "application {} has unknown stored choices",
                row.id
            )));
        }
        Ok(ApplicationContent {
            title: row.title.clone(),
            summary: row.summary.clone(),
            description: row.description.clone(),
            requested: self.requests.remove(&row.id).unwrap_or_default(),
            target_groups: target_groups.unwrap_or_default(),
            health_boards: health_boards.unwrap_or_default(),
            support_types: support_types.unwrap_or_default(),
            peer_support: row.peer_support,
            expected_reach: self.reach.remove(&row.id).unwrap_or_default(),
            equality_impact: row.equality_impact.clone(),
        })
    }
}

impl ApplicationRow {
    pub fn find(conn: &mut DbConnection, id: i64) -> Result<ApplicationRow, ApiError> {
        Ok(applications::table.find(id).first(conn)?)
    }

    /// Replaces the stored content: the row's columns and its child rows.
    pub fn store_content(
        conn: &mut DbConnection,
        id: i64,
        content: &ApplicationContent,
    ) -> Result<(), ApiError> {
        diesel::delete(
            application_requests::table.filter(application_requests::application_id.eq(id)),
        )
        .execute(conn)?;
        for (year, amount) in &content.requested {
            diesel::insert_into(application_requests::table)
                .values((
                    application_requests::application_id.eq(id),
                    application_requests::financial_year.eq(year.to_string()),
                    application_requests::amount_pence.eq(amount.pence()),
                ))
                .execute(conn)?;
        }
        diesel::delete(
            application_choices::table.filter(application_choices::application_id.eq(id)),
        )
        .execute(conn)?;
        let choices = content
            .target_groups
            .iter()
            .map(|t| ("target_group", t.as_str()))
            .chain(
                content
                    .health_boards
                    .iter()
                    .map(|b| ("health_board", b.as_str())),
            )
            .chain(
                content
                    .support_types
                    .iter()
                    .map(|s| ("support_type", s.as_str())),
            );
        for (list, value) in choices {
            diesel::insert_into(application_choices::table)
                .values((
                    application_choices::application_id.eq(id),
                    application_choices::list.eq(list),
                    application_choices::value.eq(value),
                ))
                .execute(conn)?;
        }
        diesel::delete(application_reach::table.filter(application_reach::application_id.eq(id)))
            .execute(conn)?;
        for (group, people) in content.expected_reach.groups() {
            if let Some(people) = people {
                diesel::insert_into(application_reach::table)
                    .values((
                        application_reach::application_id.eq(id),
                        application_reach::reach_group.eq(group),
                        application_reach::people.eq(people),
                    ))
                    .execute(conn)?;
            }
        }
        Ok(())
    }

    pub fn into_api(
        self,
        organisation_name: String,
        content: ApplicationContent,
    ) -> Result<Application, ApiError> {
        Ok(Application {
            id: self.id,
            round_id: self.round_id,
            organisation_id: self.organisation_id,
            organisation_name,
            status: self.status,
            total_requested: content.total_requested()?,
            title: content.title,
            summary: content.summary,
            description: content.description,
            requested: content.requested,
            target_groups: content.target_groups,
            health_boards: content.health_boards,
            support_types: content.support_types,
            peer_support: content.peer_support,
            expected_reach: content.expected_reach,
            equality_impact: content.equality_impact,
            submitted_at: self.submitted_at.map(utc),
            withdrawn_at: self.withdrawn_at.map(utc),
            decided_at: None,
            decision_feedback: None,
            created_at: utc(self.created_at),
            updated_at: utc(self.updated_at),
            more_info_requested: false,
            answers: Answers::new(),
            documents: None,
        })
    }
}
