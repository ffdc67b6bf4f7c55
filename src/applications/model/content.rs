//! An application's content as the rules check it, and what submission checks it against.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use super::input::{ApplicationPatch, Reach};
use crate::domain::vocabulary::{HealthBoard, RoundStatus, SupportType, TargetGroup};
use crate::domain::{FinancialYear, Money};
use crate::error::{ApiError, FieldError, Validator};

/// Longest texts, in characters.
const SUMMARY_MAX: usize = 1_000;
const DESCRIPTION_MAX: usize = 20_000;
const EQUALITY_IMPACT_MAX: usize = 5_000;
/// The most people one application may say it will reach in one group.
const REACH_MAX: i64 = 10_000_000;

/// An application's content, checked: what each field holds is what [`ApplicationContent::apply`]
/// lets through. Whether it is complete enough to submit is [`ApplicationContent::submission_problems`].
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ApplicationContent {
    /// Trimmed, 1 to 200 characters.
    pub title: String,
    /// Trimmed, at most [`SUMMARY_MAX`] characters, no control characters; `None` when blank.
    pub summary: Option<String>,
    /// Trimmed, at most [`DESCRIPTION_MAX`] characters.
    pub description: Option<String>,
    /// At most ten years, each amount and their total within what [`Money`] holds.
    pub requested: BTreeMap<FinancialYear, Money>,
    /// Each count from 0 to [`REACH_MAX`].
    pub expected_reach: Reach,
    /// Trimmed, at most [`EQUALITY_IMPACT_MAX`] characters.
    pub equality_impact: Option<String>,
    /// The lists are sorted, and name each value once.
    pub target_groups: Vec<TargetGroup>,
    pub health_boards: Vec<HealthBoard>,
    pub support_types: Vec<SupportType>,
    pub peer_support: Option<bool>,
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
            && let Some(values) = v.choices("target_groups", items)
        {
            self.target_groups = values;
        }
        if let Some(items) = &fields.health_boards
            && let Some(values) = v.choices("health_boards", items)
        {
            self.health_boards = values;
        }
        if let Some(items) = &fields.support_types
            && let Some(values) = v.choices("support_types", items)
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
