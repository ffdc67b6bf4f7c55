//! Rows of `assignments`, and the API shapes built from them.

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::db::DbConnection;
use crate::db::schema::assignments;
use crate::domain::Percent;
use crate::domain::clock::utc;
pub use crate::domain::vocabulary::AssignmentStatus;
use crate::error::ApiError;

#[derive(Clone, Debug, Queryable, Identifiable)]
#[diesel(table_name = assignments)]
pub struct AssignmentRow {
    pub id: i64,
    pub application_id: i64,
    pub assessor_id: i64,
    pub status: AssignmentStatus,
    pub conflict_reason: Option<String>,
    pub declared_at: Option<NaiveDateTime>,
    pub submitted_at: Option<NaiveDateTime>,
    pub weighted_score_hundredths: Option<i64>,
    pub assigned_by: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

impl AssignmentRow {
    pub fn find(conn: &mut DbConnection, id: i64) -> Result<AssignmentRow, ApiError> {
        Ok(assignments::table.find(id).first(conn)?)
    }

    /// The assignment as the API shows it, with what an assessor needs to judge a conflict.
    pub fn into_api(
        self,
        round_id: i64,
        application_title: String,
        organisation_name: String,
    ) -> Result<Assignment, ApiError> {
        Ok(Assignment {
            id: self.id,
            application_id: self.application_id,
            round_id,
            application_title,
            organisation_name,
            assessor_id: self.assessor_id,
            status: self.status,
            conflict_reason: self.conflict_reason,
            declared_at: self.declared_at.map(utc),
            submitted_at: self.submitted_at.map(utc),
            weighted_score: self
                .weighted_score_hundredths
                .map(Percent::from_hundredths)
                .transpose()
                .map_err(ApiError::internal)?,
            created_at: utc(self.created_at),
            updated_at: utc(self.updated_at),
        })
    }
}

/// An assessor's assignment to one application.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct Assignment {
    pub id: i64,
    pub application_id: i64,
    pub round_id: i64,
    /// Enough to judge a conflict of interest before seeing the application.
    pub application_title: String,
    pub organisation_name: String,
    pub assessor_id: i64,
    pub status: AssignmentStatus,
    /// The assessor's reason, when they declared a conflict.
    pub conflict_reason: Option<String>,
    pub declared_at: Option<DateTime<Utc>>,
    pub submitted_at: Option<DateTime<Utc>>,
    /// `100 × Σ(weight × score / max_score) / Σ weight`, rounded half-up to two places, once
    /// submitted.
    pub weighted_score: Option<Percent>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// One assessor for one application.
#[derive(Clone, Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewAssignment {
    /// A user with the role `assessor`.
    pub assessor_id: i64,
}

/// Assessors for every submitted application of a round, spread evenly.
#[derive(Clone, Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BulkAssignment {
    /// How many assessors each application should have (1 to 10). Applications that already
    /// have some get only the rest.
    #[schema(minimum = 1, maximum = 10, example = 2)]
    pub assessors_per_application: i64,
    /// The assessors to draw on, at most 100; every active assessor when absent.
    #[serde(
        default,
        deserialize_with = "crate::wire::optional_at_most::<_, _, 100>"
    )]
    #[schema(max_items = 100)]
    pub assessor_ids: Option<Vec<i64>>,
}

/// The assessor's answer on conflict of interest.
#[derive(Clone, Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConflictDeclaration {
    /// `true` closes the assignment and hides the application from the assessor for good.
    pub has_conflict: bool,
    /// Why, when there is a conflict (kept on record), up to 2,000 characters.
    #[serde(default)]
    #[schema(max_length = 2000)]
    pub reason: Option<String>,
}

/// One criterion's score, as the assessor saves it.
#[derive(Clone, Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ScoreInput {
    /// A criterion of the application's round.
    pub criterion_id: i64,
    /// A whole number from 0 to the criterion's `max_score`.
    #[schema(minimum = 0, maximum = 100, example = 4)]
    pub score: i64,
    /// Why this score, up to 5,000 characters.
    #[serde(default)]
    #[schema(max_length = 5000)]
    pub comment: Option<String>,
}

/// Scores to save on an assessment; criteria not listed keep what was saved before.
#[derive(Clone, Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ScoreSheet {
    #[serde(deserialize_with = "crate::wire::at_most::<_, _, 50>")]
    #[schema(min_items = 1, max_items = 50)]
    pub scores: Vec<ScoreInput>,
}

/// A saved score.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct Score {
    pub criterion_id: i64,
    pub score: i32,
    pub comment: Option<String>,
    pub updated_at: DateTime<Utc>,
}

/// One assessor's assessment of an application.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct Assessment {
    pub assignment_id: i64,
    pub assessor_id: i64,
    pub assessor_name: String,
    pub status: AssignmentStatus,
    /// The assessor's reason, when they declared a conflict (administrators only see these).
    pub conflict_reason: Option<String>,
    pub submitted_at: Option<DateTime<Utc>>,
    /// Once submitted.
    pub weighted_score: Option<Percent>,
    /// The scores saved so far, by criterion.
    pub scores: Vec<Score>,
}

/// An administrator's change to an application's score.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct Moderation {
    /// The mean of the submitted assessments when the score was moderated.
    pub original_score: Percent,
    /// The score that counts from then on.
    pub moderated_score: Percent,
    pub reason: String,
    pub moderated_by: i64,
    pub moderated_at: DateTime<Utc>,
}

/// The assessment of one application: criteria, assessments and scores.
///
/// An assessor sees their own assessment, and other assessors' submitted ones only once they
/// have submitted their own (`others_hidden` says when some are withheld); the application's
/// score and any moderation are shown to administrators, and to assessors who have submitted.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct ApplicationAssessment {
    pub application_id: i64,
    pub round_id: i64,
    /// How many submitted assessments a decision needs.
    pub assessments_required: i32,
    /// Submitted assessments among those shown.
    pub submitted_assessments: i64,
    pub criteria: Vec<crate::rounds::model::Criterion>,
    pub assessments: Vec<Assessment>,
    /// Whether other assessors' assessments are withheld until the caller submits their own.
    pub others_hidden: bool,
    /// The mean of the submitted assessments, rounded half-up to two places.
    pub score: Option<Percent>,
    pub moderation: Option<Moderation>,
    /// The moderated score if there is one, else `score`: what the ranking uses.
    pub final_score: Option<Percent>,
}

/// An administrator's moderation of an application's score.
#[derive(Clone, Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ModerationInput {
    /// The score that should count, from "0.00" to "100.00".
    #[schema(value_type = Percent)]
    pub score: String,
    /// Why, for the record: 1 to 2,000 characters.
    #[schema(min_length = 1, max_length = 2000, pattern = r"\S")]
    pub reason: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_read_back_from_their_text() {
        for status in [
            AssignmentStatus::Pending,
            AssignmentStatus::InProgress,
            AssignmentStatus::Conflicted,
            AssignmentStatus::Submitted,
        ] {
            assert_eq!(status.as_str().parse::<AssignmentStatus>(), Ok(status));
        }
        assert!("InProgress".parse::<AssignmentStatus>().is_err());
    }
}
