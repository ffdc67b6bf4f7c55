//! Rows of `applications` and their child tables, the API shapes, and the submission rules.

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
use crate::domain::vocabulary::{
    ApplicationStatus, HealthBoard, RoundStatus, SupportType, TargetGroup,
};
use crate::domain::{FinancialYear, Money};
use crate::error::{ApiError, FieldError, Validator};

/// Longest texts, in characters.
const SUMMARY_MAX: usize = 1_000;
const DESCRIPTION_MAX: usize = 20_000;
const EQUALITY_IMPACT_MAX: usize = 5_000;
/// The most people one application may say it will reach in one group.
const REACH_MAX: i64 = 10_000_000;

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

/// How many people an application expects to reach. Each count may be left out in a draft;
/// all four are needed to submit.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Reach {
    #[schema(minimum = 0, maximum = 10_000_000)]
    pub women: Option<i64>,
    #[schema(minimum = 0, maximum = 10_000_000)]
    pub partners: Option<i64>,
    #[schema(minimum = 0, maximum = 10_000_000)]
    pub infants: Option<i64>,
    #[schema(minimum = 0, maximum = 10_000_000)]
    pub families: Option<i64>,
}

impl Reach {
    /// Each group with its stored name and count.
    fn groups(&self) -> [(&'static str, Option<i64>); 4] {
        [
            ("women", self.women),
            ("partners", self.partners),
            ("infants", self.infants),
            ("families", self.families),
        ]
    }

    fn set(&mut self, group: &str, people: i64) {
        match group {
            "women" => self.women = Some(people),
            "partners" => self.partners = Some(people),
            "infants" => self.infants = Some(people),
            "families" => self.families = Some(people),
            _ => {}
        }
    }
}

/// A new application. Only the title is needed to save a draft; everything else may follow.
#[derive(Clone, Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewApplication {
    /// The project's title, 1 to 200 characters.
    #[schema(min_length = 1, max_length = 200, pattern = r"\S")]
    pub title: String,
    /// A short summary for the panel and the public directory, up to 1,000 characters.
    #[schema(max_length = 1000)]
    pub summary: Option<String>,
    /// The full description of the project, up to 20,000 characters.
    #[schema(max_length = 20000)]
    pub description: Option<String>,
    /// The amount requested for each financial year, e.g. `{"2021-22": "40000.00"}`. Replaces
    /// the whole request when sent.
    #[serde(
        default,
        deserialize_with = "crate::wire::optional_map_at_most::<_, _, _, 10>"
    )]
    #[schema(schema_with = crate::wire::amounts_by_year)]
    pub requested: Option<BTreeMap<String, String>>,
    #[serde(
        default,
        deserialize_with = "crate::wire::optional_at_most::<_, _, 10>"
    )]
    #[schema(value_type = Option<Vec<TargetGroup>>, max_items = 10)]
    pub target_groups: Option<Vec<String>>,
    /// The NHS health boards whose areas the project covers.
    #[serde(
        default,
        deserialize_with = "crate::wire::optional_at_most::<_, _, 14>"
    )]
    #[schema(value_type = Option<Vec<HealthBoard>>, max_items = 14)]
    pub health_boards: Option<Vec<String>>,
    #[serde(default, deserialize_with = "crate::wire::optional_at_most::<_, _, 8>")]
    #[schema(value_type = Option<Vec<SupportType>>, max_items = 8)]
    pub support_types: Option<Vec<String>>,
    /// Whether peer support is part of the project.
    pub peer_support: Option<bool>,
    /// Counts sent here replace the stored ones; counts left out stay.
    pub expected_reach: Option<Reach>,
    /// How the project advances equality (EQIA priorities), up to 5,000 characters.
    #[schema(max_length = 5000)]
    pub equality_impact: Option<String>,
}

/// Changes to a draft: fields sent replace the stored ones, fields left out stay. A blank text or
/// an empty list clears the field.
#[derive(Clone, Debug, Default, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ApplicationPatch {
    #[schema(min_length = 1, max_length = 200, pattern = r"\S")]
    pub title: Option<String>,
    /// A short summary for the panel and the public directory, up to 1,000 characters.
    #[schema(max_length = 1000)]
    pub summary: Option<String>,
    /// The full description of the project, up to 20,000 characters.
    #[schema(max_length = 20000)]
    pub description: Option<String>,
    /// The amount requested for each financial year, e.g. `{"2021-22": "40000.00"}`. Replaces
    /// the whole request when sent.
    #[serde(
        default,
        deserialize_with = "crate::wire::optional_map_at_most::<_, _, _, 10>"
    )]
    #[schema(schema_with = crate::wire::amounts_by_year)]
    pub requested: Option<BTreeMap<String, String>>,
    #[serde(
        default,
        deserialize_with = "crate::wire::optional_at_most::<_, _, 10>"
    )]
    #[schema(value_type = Option<Vec<TargetGroup>>, max_items = 10)]
    pub target_groups: Option<Vec<String>>,
    /// The NHS health boards whose areas the project covers.
    #[serde(
        default,
        deserialize_with = "crate::wire::optional_at_most::<_, _, 14>"
    )]
    #[schema(value_type = Option<Vec<HealthBoard>>, max_items = 14)]
    pub health_boards: Option<Vec<String>>,
    #[serde(default, deserialize_with = "crate::wire::optional_at_most::<_, _, 8>")]
    #[schema(value_type = Option<Vec<SupportType>>, max_items = 8)]
    pub support_types: Option<Vec<String>>,
    /// Whether peer support is part of the project.
    pub peer_support: Option<bool>,
    /// Counts sent here replace the stored ones; counts left out stay.
    pub expected_reach: Option<Reach>,
    /// How the project advances equality (EQIA priorities), up to 5,000 characters.
    #[schema(max_length = 5000)]
    pub equality_impact: Option<String>,
}

impl From<NewApplication> for ApplicationPatch {
    fn from(new: NewApplication) -> Self {
        ApplicationPatch {
            title: Some(new.title),
            summary: new.summary,
            description: new.description,
            requested: new.requested,
            target_groups: new.target_groups,
            health_boards: new.health_boards,
            support_types: new.support_types,
            peer_support: new.peer_support,
            expected_reach: new.expected_reach,
            equality_impact: new.equality_impact,
        }
    }
}

/// An application's content, checked.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ApplicationContent {
    pub title: String,
    pub summary: Option<String>,
    pub description: Option<String>,
    pub requested: BTreeMap<FinancialYear, Money>,
    pub target_groups: Vec<TargetGroup>,
    pub health_boards: Vec<HealthBoard>,
    pub support_types: Vec<SupportType>,
    pub peer_support: Option<bool>,
    pub expected_reach: Reach,
    pub equality_impact: Option<String>,
}

/// Parses each item of a vocabulary list, reporting bad and repeated values by index.
fn parse_list<T>(v: &mut Validator, field: &str, items: &[String]) -> Option<Vec<T>>
where
    T: std::str::FromStr + PartialEq + Ord,
    T::Err: std::fmt::Display,
{
    let mut values = Vec::new();
    let mut ok = true;
    for (i, text) in items.iter().enumerate() {
        match v.check(format!("{field}[{i}]"), text.parse::<T>()) {
            Some(value) if values.contains(&value) => {
                v.error(format!("{field}[{i}]"), "is listed twice");
                ok = false;
            }
            Some(value) => values.push(value),
            None => ok = false,
        }
    }
    values.sort();
    ok.then_some(values)
}

impl ApplicationContent {
    /// Applies the fields that were sent, checking each; failures go to `v`.
    pub fn apply(&mut self, fields: &ApplicationPatch, v: &mut Validator) {
        if let Some(text) = &fields.title
            && let Some(title) = v.text("title", text, 1, 200)
        {
            self.title = title;
        }
        let texts = [
            ("summary", &fields.summary, SUMMARY_MAX, &mut self.summary),
            (
                "description",
                &fields.description,
                DESCRIPTION_MAX,
                &mut self.description,
            ),
            (
                "equality_impact",
                &fields.equality_impact,
                EQUALITY_IMPACT_MAX,
                &mut self.equality_impact,
            ),
        ];
        for (field, sent, max, stored) in texts {
            if let Some(text) = sent
                && let Some(value) = v.optional_text(field, Some(text), max)
            {
                *stored = value;
            }
        }
        if let Some(requested) = &fields.requested {
            let mut amounts = BTreeMap::new();
            let mut ok = true;
            v.ensure(
                requested.len() <= 10,
                "requested",
                "must name at most 10 financial years",
            );
            for (key, amount) in requested {
                let field = format!("requested.{key}");
                let year = v.check(field.clone(), FinancialYear::parse(key));
                let money = v.money(field, amount);
                match (year, money) {
                    (Some(year), Some(money)) => {
                        amounts.insert(year, money);
                    }
                    _ => ok = false,
                }
            }
            // Each amount is within range; their total must be too, as the application shows it.
            let total: i64 = amounts.values().map(|m: &Money| m.pence()).sum();
            if ok && Money::from_pence(total).is_err() {
                v.error("requested", "must not add up to more than 9999999999999.99");
                ok = false;
            }
            if ok && requested.len() <= 10 {
                self.requested = amounts;
            }
        }
        if let Some(items) = &fields.target_groups
            && let Some(values) = parse_list(v, "target_groups", items)
        {
            self.target_groups = values;
        }
        if let Some(items) = &fields.health_boards
            && let Some(values) = parse_list(v, "health_boards", items)
        {
            self.health_boards = values;
        }
        if let Some(items) = &fields.support_types
            && let Some(values) = parse_list(v, "support_types", items)
        {
            self.support_types = values;
        }
        if let Some(peer_support) = fields.peer_support {
            self.peer_support = Some(peer_support);
        }
        if let Some(reach) = &fields.expected_reach {
            for (group, people) in reach.groups() {
                if let Some(people) = people
                    && let Some(people) =
                        v.count(format!("expected_reach.{group}"), people, 0..=REACH_MAX)
                {
                    self.expected_reach.set(group, people);
                }
            }
        }
    }

    /// The sum of the amounts requested.
    pub fn total_requested(&self) -> Result<Money, ApiError> {
        let pence: i64 = self.requested.values().map(|m| m.pence()).sum();
        Money::from_pence(pence).map_err(ApiError::internal)
    }

    /// Every reason the application cannot be submitted to `round` now, all at once: the round
    /// must be open, each requested year one the round funds and within its bounds, the
    /// organisation's income within the round's ceiling, and every part of the form complete.
    pub fn submission_problems(&self, round: &SubmissionRules) -> Vec<FieldError> {
        let mut v = Validator::new();
        match round.status {
            RoundStatus::Open => {}
            RoundStatus::Upcoming => v.error("round", "is not open yet"),
            RoundStatus::Closed => v.error(
                "round",
                format!("closed at {}", round.closes_at.to_rfc3339()),
            ),
        }
        v.ensure(
            !self.requested.is_empty(),
            "requested",
            "must ask for an amount in at least one financial year",
        );
        let years = round
            .financial_years
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(", ");
        for (year, amount) in &self.requested {
            let field = format!("requested.{year}");
            if !round.financial_years.contains(year) {
                v.error(field, format!("is not a year this round funds ({years})"));
            } else if *amount < round.min_request || *amount > round.max_request || amount.is_zero()
            {
                v.error(
                    field,
                    format!(
                        "must be between {} and {} (more than 0.00)",
                        round.min_request, round.max_request
                    ),
                );
            }
        }
        if let Some(ceiling) = round.max_applicant_income
            && round.applicant_income > ceiling
        {
            v.error(
                "organisation.annual_income",
                format!(
                    "is {}; this round is for organisations with an income of at most {ceiling}",
                    round.applicant_income
                ),
            );
        }
        let required = "is required to submit";
        v.ensure(self.summary.is_some(), "summary", required);
        v.ensure(self.description.is_some(), "description", required);
        v.ensure(
            !self.target_groups.is_empty(),
            "target_groups",
            "must name at least one target group",
        );
        v.ensure(
            !self.health_boards.is_empty(),
            "health_boards",
            "must name at least one health board",
        );
        v.ensure(
            !self.support_types.is_empty(),
            "support_types",
            "must name at least one support type",
        );
        v.ensure(self.peer_support.is_some(), "peer_support", required);
        for (group, people) in self.expected_reach.groups() {
            v.ensure(
                people.is_some(),
                format!("expected_reach.{group}"),
                required,
            );
        }
        v.ensure(self.equality_impact.is_some(), "equality_impact", required);
        v.into_errors()
    }
}

/// What submission checks against: the round's rules at this moment and the applicant's income.
#[derive(Clone, Debug)]
pub struct SubmissionRules {
    pub status: RoundStatus,
    pub closes_at: DateTime<Utc>,
    pub financial_years: Vec<FinancialYear>,
    pub min_request: Money,
    pub max_request: Money,
    pub max_applicant_income: Option<Money>,
    pub applicant_income: Money,
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
        let target_groups = parse_list(&mut v, "target_groups", &parse_all("target_group"));
        let health_boards = parse_list(&mut v, "health_boards", &parse_all("health_board"));
        let support_types = parse_list(&mut v, "support_types", &parse_all("support_type"));
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
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn year(text: &str) -> FinancialYear {
        FinancialYear::parse(text).expect("valid year")
    }

    fn money(text: &str) -> Money {
        Money::parse(text).expect("valid money")
    }

    fn rules() -> SubmissionRules {
        SubmissionRules {
            status: RoundStatus::Open,
            closes_at: Utc::now(),
            financial_years: vec![year("2021-22"), year("2022-23")],
            min_request: money("5000"),
            max_request: money("60000"),
            max_applicant_income: Some(money("250000")),
            applicant_income: money("180000"),
        }
    }

    fn complete() -> ApplicationContent {
        ApplicationContent {
            title: "Peer support for new mums in Fife".to_owned(),
            summary: Some("Weekly groups".to_owned()),
            description: Some("A description".to_owned()),
            requested: BTreeMap::from([
                (year("2021-22"), money("40000")),
                (year("2022-23"), money("42000")),
            ]),
            target_groups: vec![TargetGroup::MothersBirthingParents],
            health_boards: vec![HealthBoard::Fife],
            support_types: vec![SupportType::PeerSupport],
            peer_support: Some(true),
            expected_reach: Reach {
                women: Some(300),
                partners: Some(80),
                infants: Some(250),
                families: Some(320),
            },
            equality_impact: Some("Reaches rural families".to_owned()),
        }
    }

    fn fields(problems: &[FieldError]) -> Vec<&str> {
        problems.iter().map(|p| p.field.as_str()).collect()
    }

    #[test]
    fn a_complete_application_to_an_open_round_has_no_problems() {
        assert_eq!(complete().submission_problems(&rules()), []);
    }

    #[test]
    fn every_problem_is_reported_at_once() {
        let mut content = complete();
        content.requested = BTreeMap::from([
            (year("2020-21"), money("10000")),
            (year("2021-22"), money("4999.99")),
            (year("2022-23"), money("60000.01")),
        ]);
        content.summary = None;
        content.expected_reach.infants = None;
        let mut round = rules();
        round.status = RoundStatus::Closed;
        round.applicant_income = money("250000.01");
        assert_eq!(
            fields(&content.submission_problems(&round)),
            [
                "round",
                "requested.2020-21",
                "requested.2021-22",
                "requested.2022-23",
                "organisation.annual_income",
                "summary",
                "expected_reach.infants",
            ]
        );
    }

    #[test]
    fn bounds_are_inclusive_and_the_ceiling_optional() {
        let mut content = complete();
        content.requested = BTreeMap::from([
            (year("2021-22"), money("5000")),
            (year("2022-23"), money("60000")),
        ]);
        let mut round = rules();
        round.applicant_income = money("250000");
        assert_eq!(content.submission_problems(&round), []);
        round.max_applicant_income = None;
        round.applicant_income = money("9000000");
        assert_eq!(content.submission_problems(&round), []);
    }

    #[test]
    fn an_empty_draft_lists_every_missing_part() {
        let content = ApplicationContent {
            title: "Only a title".to_owned(),
            ..ApplicationContent::default()
        };
        assert_eq!(
            fields(&content.submission_problems(&rules())),
            [
                "requested",
                "summary",
                "description",
                "target_groups",
                "health_boards",
                "support_types",
                "peer_support",
                "expected_reach.women",
                "expected_reach.partners",
                "expected_reach.infants",
                "expected_reach.families",
                "equality_impact",
            ]
        );
    }

    #[test]
    fn patching_reports_each_bad_field_and_keeps_the_good_ones() {
        let mut content = complete();
        let mut v = Validator::new();
        let patch = ApplicationPatch {
            title: Some(String::new()),
            summary: Some("New summary".to_owned()),
            requested: Some(BTreeMap::from([
                ("2021-23".to_owned(), "1.00".to_owned()),
                ("2022-23".to_owned(), "1.001".to_owned()),
            ])),
            target_groups: Some(vec!["infants".to_owned(), "infants".to_owned()]),
            expected_reach: Some(Reach {
                women: Some(-1),
                ..Reach::default()
            }),
            ..ApplicationPatch::default()
        };
        content.apply(&patch, &mut v);
        let errors = match v.finish() {
            Err(ApiError::Validation(errors)) => errors,
            other => panic!("expected validation errors, got {other:?}"),
        };
        assert_eq!(
            fields(&errors),
            [
                "title",
                "requested.2021-23",
                "requested.2022-23",
                "target_groups[1]",
                "expected_reach.women"
            ]
        );
        assert_eq!(content.summary.as_deref(), Some("New summary"));
    }
}
