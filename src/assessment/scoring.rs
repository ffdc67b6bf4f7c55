//! Rules for scores: saving and submitting an assessment, the blind view of an application's
//! assessments, and administrators' moderation of its score.
//!
//! Scores are whole numbers per criterion; the first score saved on a round freezes its criteria
//! in the same transaction, so every weighted score of a round is taken against the same
//! criteria. An assessor sees other assessors' scores only after submitting their own.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde_json::json;

use crate::applications::model::ApplicationRow;
use crate::assessment::model::{
    ApplicationAssessment, Assessment, Assignment, AssignmentRow, AssignmentStatus, Moderation,
    ModerationInput, Score, ScoreSheet,
};
use crate::assessment::service;
use crate::audit::{self, Change};
use crate::caller::CurrentUser;
use crate::db::schema::{assignments, criteria, moderations, scores, users};
use crate::db::{DbConnection, write_transaction};
use crate::domain::clock::utc;
use crate::domain::scoring::Scored;
use crate::domain::vocabulary::Role;
use crate::domain::{Percent, Weight};
use crate::error::{ApiError, ErrorCode, Validator};
use crate::permissions::Action;
use crate::rounds::model::{CriterionRow, RoundRow};
use crate::rounds::service as rounds;

/// The caller's own assignment, open for scoring: 404 for anyone else's, 409 unless the
/// assessor has declared no conflict and not yet submitted, 409 if the application has left
/// `submitted` (withdrawn or decided).
fn open_for_scoring(
    conn: &mut DbConnection,
    user: &CurrentUser,
    id: i64,
) -> Result<(AssignmentRow, ApplicationRow), ApiError> {
    let row = AssignmentRow::find(conn, id)?;
    if row.assessor_id != user.id {
        return Err(ApiError::NotFound);
    }
    match row.status {
        AssignmentStatus::InProgress => {}
        AssignmentStatus::Pending => {
            return Err(ApiError::conflict(
                ErrorCode::ConflictNotDeclared,
                "Declare whether you have a conflict of interest before scoring.",
            ));
        }
        AssignmentStatus::Conflicted | AssignmentStatus::Submitted => {
            return Err(ApiError::conflict(
                ErrorCode::InvalidState,
                format!(
                    "This assignment is {}; only assessments in progress can be scored.",
                    row.status.as_str()
                ),
            ));
        }
    }
    service::submitted_application(conn, row.application_id)?;
    let application = ApplicationRow::find(conn, row.application_id)?;
    Ok((row, application))
}

fn round_criteria(conn: &mut DbConnection, round_id: i64) -> Result<Vec<CriterionRow>, ApiError> {
    Ok(criteria::table
        .filter(criteria::round_id.eq(round_id))
        .order(criteria::id)
        .load(conn)?)
}

fn saved_scores(
    conn: &mut DbConnection,
    assignment_ids: &[i64],
) -> Result<HashMap<i64, Vec<Score>>, ApiError> {
    let rows: Vec<(i64, i64, i32, Option<String>, NaiveDateTime)> = scores::table
        .filter(scores::assignment_id.eq_any(assignment_ids))
        .order((scores::assignment_id, scores::criterion_id))
        .select((
            scores::assignment_id,
            scores::criterion_id,
            scores::score,
            scores::comment,
            scores::updated_at,
        ))
        .load(conn)?;
    let mut by_assignment: HashMap<i64, Vec<Score>> = HashMap::new();
    for (assignment, criterion_id, score, comment, updated_at) in rows {
        by_assignment.entry(assignment).or_default().push(Score {
            criterion_id,
            score,
            comment,
            updated_at: utc(updated_at),
        });
    }
    Ok(by_assignment)
}

/// The assessments of these assignments, with their assessors' names and scores.
fn assessments(
    conn: &mut DbConnection,
    rows: Vec<AssignmentRow>,
    with_conflict_reasons: bool,
) -> Result<Vec<Assessment>, ApiError> {
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    let people: Vec<i64> = rows.iter().map(|r| r.assessor_id).collect();
    let names: HashMap<i64, String> = users::table
        .filter(users::id.eq_any(&people))
        .select((users::id, users::name))
        .load::<(i64, String)>(conn)?
        .into_iter()
        .collect();
    let mut scores = saved_scores(conn, &ids)?;
    rows.into_iter()
        .map(|row| {
            Ok(Assessment {
                assignment_id: row.id,
                assessor_id: row.assessor_id,
                assessor_name: names.get(&row.assessor_id).cloned().unwrap_or_default(),
                status: row.status,
                conflict_reason: row.conflict_reason.filter(|_| with_conflict_reasons),
                submitted_at: row.submitted_at.map(utc),
                weighted_score: row
                    .weighted_score_hundredths
                    .map(Percent::from_hundredths)
                    .transpose()
                    .map_err(ApiError::internal)?,
                scores: scores.remove(&row.id).unwrap_or_default(),
            })
        })
        .collect()
}

/// Saves scores on the caller's assessment: each a whole number from 0 to its criterion's
/// maximum, with an optional comment. Criteria not listed keep their saved score. The first
/// score saved on a round freezes its criteria.
pub fn save_scores(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    user: &CurrentUser,
    id: i64,
    sheet: &ScoreSheet,
) -> Result<Assessment, ApiError> {
    user.require(Action::Score)?;
    let mut v = Validator::new();
    v.ensure(
        (1..=50).contains(&sheet.scores.len()),
        "scores",
        "must list from 1 to 50 scores",
    );
    let mut comments = Vec::with_capacity(sheet.scores.len());
    for (i, item) in sheet.scores.iter().enumerate() {
        comments.push(
            v.optional_text(
                &format!("scores[{i}].comment"),
                item.comment.as_deref(),
                5_000,
            )
            .flatten(),
        );
    }
    write_transaction(conn, |conn| {
        let (row, application) = open_for_scoring(conn, user, id)?;
        // Freezing takes the round's row lock before the criteria are read, so no change to
        // them can slip in between the check and the score. A refused sheet rolls it back.
        rounds::freeze_criteria(conn, application.round_id, now)?;
        let maxima: HashMap<i64, i32> = round_criteria(conn, application.round_id)?
            .into_iter()
            .map(|c| (c.id, c.max_score))
            .collect();
        let mut seen = HashSet::new();
        for (i, item) in sheet.scores.iter().enumerate() {
            match maxima.get(&item.criterion_id) {
                None => v.error(
                    format!("scores[{i}].criterion_id"),
                    "is not a criterion of this application's round",
                ),
                Some(max) if !(0..=i64::from(*max)).contains(&item.score) => v.error(
                    format!("scores[{i}].score"),
                    format!("must be a whole number from 0 to {max}"),
                ),
                Some(_) => {}
            }
            if !seen.insert(item.criterion_id) {
                v.error(
                    format!("scores[{i}].criterion_id"),
                    "is scored twice in this request",
                );
            }
        }
        v.finish()?;
        let criterion_ids: Vec<i64> = sheet.scores.iter().map(|s| s.criterion_id).collect();
        diesel::delete(
            scores::table
                .filter(scores::assignment_id.eq(id))
                .filter(scores::criterion_id.eq_any(&criterion_ids)),
        )
        .execute(conn)?;
        for (item, comment) in sheet.scores.iter().zip(&comments) {
            diesel::insert_into(scores::table)
                .values((
                    scores::assignment_id.eq(id),
                    scores::criterion_id.eq(item.criterion_id),
                    // In range: checked against a maximum of at most 100 above.
                    scores::score.eq(i32::try_from(item.score).unwrap_or_default()),
                    scores::comment.eq(comment.as_deref()),
                    scores::updated_at.eq(now),
                ))
                .execute(conn)?;
        }
        diesel::update(assignments::table.find(id))
            .set(assignments::updated_at.eq(now))
            .execute(conn)?;
        let row = AssignmentRow {
            updated_at: now,
            ..row
        };
        assessments(conn, vec![row], false)?
            .pop()
            .ok_or_else(|| ApiError::internal("assessment vanished while loading"))
    })
}

/// Submits the caller's assessment once every criterion is scored: it becomes read-only and
/// gets its weighted score. 422 names each criterion still unscored.
pub fn submit(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    user: &CurrentUser,
    id: i64,
) -> Result<Assignment, ApiError> {
    user.require(Action::Score)?;
    write_transaction(conn, |conn| {
        let (row, application) = open_for_scoring(conn, user, id)?;
        let criteria = round_criteria(conn, application.round_id)?;
        let saved: HashMap<i64, i32> = saved_scores(conn, &[id])?
            .remove(&id)
            .unwrap_or_default()
            .into_iter()
            .map(|s| (s.criterion_id, s.score))
            .collect();
        let mut v = Validator::new();
        if criteria.is_empty() {
            v.error("scores", "the round has no criteria to score");
        }
        let mut items = Vec::with_capacity(criteria.len());
        for criterion in &criteria {
            match saved.get(&criterion.id) {
                None => v.error(
                    format!("scores.{}", criterion.id),
                    format!("\"{}\" is not scored yet", criterion.name),
                ),
                Some(score) => items.push(Scored {
                    weight: Weight::from_ten_thousandths(criterion.weight_ten_thousandths)
                        .map_err(ApiError::internal)?,
                    score: u32::try_from(*score).map_err(ApiError::internal)?,
                    max_score: u32::try_from(criterion.max_score).map_err(ApiError::internal)?,
                }),
            }
        }
        v.finish()?;
        let weighted = Percent::weighted(&items).map_err(ApiError::internal)?;
        let changed = diesel::update(
            assignments::table
                .find(id)
                .filter(assignments::status.eq(AssignmentStatus::InProgress)),
        )
        .set((
            assignments::status.eq(AssignmentStatus::Submitted),
            assignments::submitted_at.eq(Some(now)),
            assignments::weighted_score_hundredths.eq(Some(weighted.hundredths())),
            assignments::updated_at.eq(now),
        ))
        .execute(conn)?;
        if changed == 0 {
            return Err(ApiError::conflict(
                ErrorCode::InvalidState,
                "This assessment has already been submitted.",
            ));
        }
        audit::record(
            conn,
            now,
            Change::by(user, "assignment", id, "submitted")
                .before(json!({"status": row.status}))
                .after(json!({
                    "status": AssignmentStatus::Submitted.as_str(),
                    "weighted_score": weighted,
                    "scores": saved.iter().collect::<BTreeMap<_, _>>(),
                })),
        )?;
        service::load(conn, id)
    })
}

/// The weighted scores of the submitted assessments of each application.
pub fn submitted_scores(
    conn: &mut DbConnection,
    application_ids: &[i64],
) -> Result<HashMap<i64, Vec<Percent>>, ApiError> {
    let rows: Vec<(i64, Option<i64>)> = assignments::table
        .filter(assignments::application_id.eq_any(application_ids))
        .filter(assignments::status.eq(AssignmentStatus::Submitted))
        .select((
            assignments::application_id,
            assignments::weighted_score_hundredths,
        ))
        .load(conn)?;
    let mut by_application: HashMap<i64, Vec<Percent>> = HashMap::new();
    for (application, hundredths) in rows {
        let hundredths =
            hundredths.ok_or_else(|| ApiError::internal("submitted assessment without a score"))?;
        by_application
            .entry(application)
            .or_default()
            .push(Percent::from_hundredths(hundredths).map_err(ApiError::internal)?);
    }
    Ok(by_application)
}

/// The moderations of these applications.
pub fn moderations_of(
    conn: &mut DbConnection,
    application_ids: &[i64],
) -> Result<HashMap<i64, Moderation>, ApiError> {
    let rows: Vec<(i64, i64, i64, String, i64, NaiveDateTime)> = moderations::table
        .filter(moderations::application_id.eq_any(application_ids))
        .select((
            moderations::application_id,
            moderations::original_hundredths,
            moderations::moderated_hundredths,
            moderations::reason,
            moderations::moderated_by,
            moderations::moderated_at,
        ))
        .load(conn)?;
    rows.into_iter()
        .map(|(application, original, moderated, reason, by, at)| {
            Ok((
                application,
                Moderation {
                    original_score: Percent::from_hundredths(original)
                        .map_err(ApiError::internal)?,
                    moderated_score: Percent::from_hundredths(moderated)
                        .map_err(ApiError::internal)?,
                    reason,
                    moderated_by: by,
                    moderated_at: utc(at),
                },
            ))
        })
        .collect()
}

/// The mean of submitted assessments, if there are any.
pub fn mean(scores: Option<&Vec<Percent>>) -> Result<Option<Percent>, ApiError> {
    match scores {
        Some(scores) if !scores.is_empty() => {
            Ok(Some(Percent::mean_of(scores).map_err(ApiError::internal)?))
        }
        _ => Ok(None),
    }
}

/// The assessments of an application as the caller may see them: administrators see all; an
/// assessor who may read the application sees their own, and others' submitted assessments
/// once their own is submitted. Everyone else: 403 or 404.
pub fn view(
    conn: &mut DbConnection,
    user: &CurrentUser,
    application_id: i64,
) -> Result<ApplicationAssessment, ApiError> {
    user.require(Action::ReadAssessments)?;
    let application = ApplicationRow::find(conn, application_id)?;
    let all: Vec<AssignmentRow> = assignments::table
        .filter(assignments::application_id.eq(application_id))
        .order(assignments::id)
        .load(conn)?;
    let administrator = user.is(Role::Administrator);
    let (shown, others_hidden, sees_scores) = if administrator {
        (all, false, true)
    } else {
        let own = all
            .iter()
            .find(|a| a.assessor_id == user.id)
            .ok_or(ApiError::NotFound)?;
        let own_status = own.status;
        if !matches!(
            own_status,
            AssignmentStatus::InProgress | AssignmentStatus::Submitted
        ) {
            return Err(ApiError::NotFound);
        }
        if own_status == AssignmentStatus::Submitted {
            let shown: Vec<AssignmentRow> = all
                .into_iter()
                .filter(|a| a.assessor_id == user.id || a.status == AssignmentStatus::Submitted)
                .collect();
            (shown, false, true)
        } else {
            let hidden = all.len() > 1;
            let shown: Vec<AssignmentRow> = all
                .into_iter()
                .filter(|a| a.assessor_id == user.id)
                .collect();
            (shown, hidden, false)
        }
    };
    let round = RoundRow::find(conn, application.round_id)?;
    let criteria = round_criteria(conn, round.id)?
        .into_iter()
        .map(CriterionRow::into_api)
        .collect::<Result<Vec<_>, _>>()?;
    let assessments = assessments(conn, shown, administrator)?;
    let submitted: Vec<Percent> = assessments
        .iter()
        .filter(|a| a.status == AssignmentStatus::Submitted)
        .filter_map(|a| a.weighted_score)
        .collect();
    let score = if sees_scores {
        mean(Some(&submitted))?
    } else {
        None
    };
    let moderation = if sees_scores {
        moderations_of(conn, &[application_id])?.remove(&application_id)
    } else {
        None
    };
    Ok(ApplicationAssessment {
        application_id,
        round_id: round.id,
        assessments_required: round.assessments_required,
        submitted_assessments: submitted.len() as i64,
        criteria,
        final_score: moderation.as_ref().map(|m| m.moderated_score).or(score),
        assessments,
        others_hidden,
        score,
        moderation,
    })
}

/// Sets an application's final score to another value, with a reason. The mean of its submitted
/// assessments at that moment is kept beside it; both are shown and the change is audited.
/// Only submitted applications with at least one submitted assessment can be moderated.
pub fn moderate(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    user: &CurrentUser,
    application_id: i64,
    input: &ModerationInput,
) -> Result<ApplicationAssessment, ApiError> {
    user.require(Action::Moderate)?;
    let mut v = Validator::new();
    let score = v.check("score", Percent::parse(input.score.trim()));
    let reason = v.text("reason", &input.reason, 1, 2_000);
    let (score, reason) = v.finish_with(|| score.zip(reason))?;
    write_transaction(conn, |conn| {
        service::submitted_application(conn, application_id)?;
        let original = mean(submitted_scores(conn, &[application_id])?.get(&application_id))?
            .ok_or_else(|| {
                ApiError::conflict(
                    ErrorCode::NotAssessed,
                    "No assessment of this application has been submitted yet.",
                )
            })?;
        let before = moderations_of(conn, &[application_id])?.remove(&application_id);
        diesel::delete(moderations::table.find(application_id)).execute(conn)?;
        diesel::insert_into(moderations::table)
            .values((
                moderations::application_id.eq(application_id),
                moderations::original_hundredths.eq(original.hundredths()),
                moderations::moderated_hundredths.eq(score.hundredths()),
                moderations::reason.eq(&reason),
                moderations::moderated_by.eq(user.id),
                moderations::moderated_at.eq(now),
            ))
            .execute(conn)?;
        audit::record(
            conn,
            now,
            Change::by(user, "application", application_id, "score_moderated")
                .before(json!({
                    "score": original,
                    "moderated_score": before.as_ref().map(|m| m.moderated_score),
                    "reason": before.as_ref().map(|m| m.reason.clone()),
                }))
                .after(json!({
                    "score": original,
                    "moderated_score": score,
                    "reason": reason,
                })),
        )?;
        view(conn, user, application_id)
    })
}
