//! Feedback links and responses, and the API shapes built from them.
//!
//! There is deliberately no field here, or in the tables, for anything that could identify a
//! family: no name, email, phone, address, postcode, network address, browser or free
//! identifier. A response carries its answers and the day it arrived.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::db::schema::feedback_responses;
pub use crate::domain::vocabulary::{Respondent, Statement};

/// A response's four ratings, 1 to 5, in the order of [`Statement::ALL`].
pub type Rated = [i32; 4];

/// The ratings columns of a stored response.
#[derive(Clone, Copy, Debug, Queryable, Selectable)]
#[diesel(table_name = feedback_responses)]
pub struct StoredRatings {
    pub listened_to: i32,
    pub wellbeing: i32,
    pub relationship_with_baby: i32,
    pub recommend: i32,
}

impl StoredRatings {
    pub fn rated(self) -> Rated {
        [
            self.listened_to,
            self.wellbeing,
            self.relationship_with_baby,
            self.recommend,
        ]
    }
}

impl Respondent {
    /// How the form asks it.
    pub fn text(self) -> &'static str {
        match self {
            Respondent::MotherBirthingParent => "Mum or birthing parent",
            Respondent::FatherPartner => "Dad or partner",
            Respondent::KinshipCarer => "Kinship carer (for example a grandparent)",
            Respondent::OtherFamilyMember => "Another family member",
            Respondent::PreferNotToSay => "I would rather not say",
        }
    }
}

impl Statement {
    /// How the form puts it.
    pub fn text(self) -> &'static str {
        match self {
            Statement::ListenedTo => "I felt listened to and not judged.",
            Statement::Wellbeing => "The support helped my wellbeing.",
            Statement::RelationshipWithBaby => "It helped my relationship with my baby.",
            Statement::Recommend => "I would recommend it to other families.",
        }
    }
}

/// The four ratings, each a whole number from 1 to 5.
#[derive(Clone, Copy, Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Ratings {
    #[schema(minimum = 1, maximum = 5)]
    pub listened_to: i64,
    #[schema(minimum = 1, maximum = 5)]
    pub wellbeing: i64,
    #[schema(minimum = 1, maximum = 5)]
    pub relationship_with_baby: i64,
    #[schema(minimum = 1, maximum = 5)]
    pub recommend: i64,
}

/// One family member's feedback. Nothing in it identifies them.
#[derive(Clone, Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FeedbackInput {
    pub respondent: Respondent,
    pub ratings: Ratings,
    /// What difference the support made, up to 2,000 characters.
    #[serde(default)]
    #[schema(max_length = 2000)]
    pub difference: Option<String>,
    /// What could be better, up to 2,000 characters.
    #[serde(default)]
    #[schema(max_length = 2000)]
    pub could_be_better: Option<String>,
    /// Whether the words above may be quoted (without anything that identifies the family).
    pub consent_to_quote: bool,
}

/// What a family sees when it opens a feedback link.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct FeedbackForm {
    /// The funded service, by its public name.
    pub service: String,
    /// The organisation that runs it.
    pub organisation: String,
    pub statements: Vec<FormStatement>,
    pub respondents: Vec<FormChoice>,
    /// The rating scale, 1 to 5.
    pub scale: Vec<FormChoice>,
    /// The longest answer accepted in each free-text question.
    pub max_text_length: usize,
    /// How answers are used.
    pub privacy: String,
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct FormStatement {
    pub statement: Statement,
    pub text: String,
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct FormChoice {
    pub value: String,
    pub text: String,
}

/// A new feedback link.
#[derive(Clone, Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewFeedbackLink {
    /// What the link is for, e.g. "Tuesday group"; 1 to 100 characters. Shown to staff only.
    #[schema(min_length = 1, max_length = 100, pattern = r"\S")]
    pub label: String,
    /// When the link stops working; never when absent.
    #[serde(default)]
    pub expires_at: Option<DateTime<Utc>>,
}

/// A feedback link. The token is shown once, when the link is created.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct FeedbackLink {
    pub id: i64,
    pub award_id: i64,
    pub label: String,
    pub expires_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    /// The secret part of the link: only in the answer that creates it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
    /// The path of the public form: only in the answer that creates it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// Responses received through this link.
    pub responses: i64,
}

/// Counts, mean and distribution of one statement's ratings.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct StatementSummary {
    pub statement: Statement,
    pub text: String,
    /// The mean rating, 1.00 to 5.00, rounded half-up to two places.
    #[schema(example = "4.25")]
    pub mean: String,
    /// How many gave each rating, "1" to "5".
    pub distribution: BTreeMap<String, i64>,
}

/// The responses of one kind of respondent: no figures when suppressed.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct RespondentSummary {
    pub respondent: Respondent,
    /// True when fewer than five of this kind responded, or their figures would let a smaller
    /// kind be worked out from the award's.
    pub suppressed: bool,
    pub responses: Option<i64>,
    pub statements: Option<Vec<StatementSummary>>,
}

/// Words a family agreed may be quoted.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct Quote {
    pub respondent: Respondent,
    pub difference: Option<String>,
    pub could_be_better: Option<String>,
    pub received_on: NaiveDate,
}

/// Feedback on one award, for its grant holder and administrators.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct AwardFeedback {
    pub award_id: i64,
    pub responses: i64,
    /// True when fewer than five responses have arrived: no figures yet.
    pub suppressed: bool,
    /// Every response, statement by statement.
    pub statements: Option<Vec<StatementSummary>>,
    /// The same, by who responded (kinds with no responses are left out), small kinds without
    /// figures.
    pub by_respondent: Vec<RespondentSummary>,
    /// Free text from families who consented to be quoted, newest first.
    pub quotes: Vec<Quote>,
}

/// One kind of respondent in figures officials see: no figures when suppressed.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct OfficialGroup {
    pub respondent: Respondent,
    /// True when the group is too small to show, or would give a small group away.
    pub suppressed: bool,
    pub responses: Option<i64>,
    pub statements: Option<Vec<StatementSummary>>,
}

/// Feedback figures for officials: no free text, and no group of fewer than five responses.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct OfficialFeedback {
    /// True when there are fewer than five responses in all.
    pub suppressed: bool,
    pub responses: Option<i64>,
    pub statements: Option<Vec<StatementSummary>>,
    pub by_respondent: Vec<OfficialGroup>,
}
