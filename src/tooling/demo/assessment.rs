//! The panel assesses each closed round.

use super::{CurrentUser, DbConnection};
use crate::error::ApiError;

const COMMENTS: &[&str] = &[
    "Clear evidence of local need, with referral routes already agreed with health visitors.",
    "Outcomes are well chosen; the plan for measuring them could be firmer.",
    "Peer supporters with lived experience shape the service from the start.",
    "Reaches families in remote communities that other services miss.",
    "Ambitious numbers for the staffing described; some risk to delivery.",
];

/// Assigns two of the panel to every submitted application of a closed round, then declares,
/// scores and submits as each assessor, with the scores a panel might give.
pub(super) fn assess_round(
    conn: &mut DbConnection,
    admin: &CurrentUser,
    panel: &[CurrentUser],
    round: &crate::rounds::model::Round,
    eventful: bool,
) -> Result<(), ApiError> {
    use crate::assessment::model::{
        BulkAssignment, ConflictDeclaration, ModerationInput, ScoreInput, ScoreSheet,
    };
    use crate::assessment::{scoring, service as assessment};
    let start = round.closes_at.naive_utc() + chrono::Duration::days(3);
    let bulk = BulkAssignment {
        assessors_per_application: 2,
        assessor_ids: Some(panel.iter().map(|p| p.id).collect()),
    };
    let criteria: Vec<i64> = {
        use crate::db::schema::criteria;
        use diesel::prelude::*;
        criteria::table
            .filter(criteria::round_id.eq(round.id))
            .order(criteria::id)
            .select(criteria::id)
            .load(conn)?
    };
    let assessor = |id: i64| {
        panel
            .iter()
            .find(|p| p.id == id)
            .ok_or_else(|| ApiError::internal("assignment to someone outside the panel"))
    };
    let mut created = assessment::assign_round(conn, start, admin, round.id, &bulk)?.created;
    let sams: Vec<i64> = created
        .iter()
        .filter(|a| a.assessor_id == panel[0].id)
        .map(|a| a.id)
        .collect();
    let mut conflicted = false;
    let mut step = 0;
    while let Some(assignment) = (!created.is_empty()).then(|| created.remove(0)) {
        step += 1;
        let when = start + chrono::Duration::hours(step);
        let who = assessor(assignment.assessor_id)?;
        if eventful && sams.first() == Some(&assignment.id) {
            continue;
        }
        let conflict = eventful && !conflicted && assignment.assessor_id == panel[1].id;
        assessment::declare(
            conn,
            when,
            who,
            assignment.id,
            &ConflictDeclaration {
                has_conflict: conflict,
                reason: conflict
                    .then(|| "I was a trustee of this organisation until last year.".to_owned()),
            },
        )?;
        if conflict {
            conflicted = true;
            let refill = assessment::assign_round(
                conn,
                when + chrono::Duration::hours(1),
                admin,
                round.id,
                &bulk,
            )?;
            created.extend(refill.created);
            continue;
        }
        let seed = assignment.application_id * 7 + assignment.assessor_id * 3;
        let scores: Vec<ScoreInput> = criteria
            .iter()
            .enumerate()
            .map(|(k, criterion)| ScoreInput {
                criterion_id: *criterion,
                score: 1 + (seed + k as i64 * 2 + k as i64 * k as i64) % 5,
                comment: Some(
                    COMMENTS[((seed + k as i64) % COMMENTS.len() as i64) as usize].to_owned(),
                ),
            })
            .collect();
        let half_done = eventful && sams.get(1) == Some(&assignment.id);
        let sheet = ScoreSheet {
            scores: if half_done {
                scores[..2].to_vec()
            } else {
                scores
            },
        };
        scoring::save_scores(conn, when, who, assignment.id, &sheet)?;
        if !half_done {
            scoring::submit(
                conn,
                when + chrono::Duration::minutes(40),
                who,
                assignment.id,
            )?;
        }
    }
    if eventful {
        let ranking = crate::assessment::ranking::ranking(conn, admin, round.id)?;
        if let Some(last) = ranking.items.last() {
            scoring::moderate(
                conn,
                start + chrono::Duration::days(10),
                admin,
                last.application_id,
                &ModerationInput {
                    score: (last.calculated_score.as_decimal() + rust_decimal::Decimal::TEN)
                        .min(rust_decimal::Decimal::ONE_HUNDRED)
                        .to_string(),
                    reason: "The panel judged the service's reach into island communities stronger than the individual scores show.".to_owned(),
                },
            )?;
        }
    }
    Ok(())
}
