//! Families give feedback through the grant holders' links.

use super::{CurrentUser, DbConnection};
use crate::error::ApiError;

const DIFFERENCES: &[&str] = &[
    "I stopped feeling like I was the only one struggling.",
    "Someone finally listened without judging me.",
    "I understand my baby's cues much better now.",
    "My partner and I talk about how we are feeling.",
    "I got out of the house every week and made friends.",
    "It helped me through the worst months after the birth.",
];

const BETTER: &[&str] = &[
    "Evening sessions for parents who work.",
    "More sessions nearer where I live.",
    "A group just for dads.",
    "Nothing, it was great.",
];

/// Families give feedback on each running award of a round through two links, one per venue,
/// over the months of the grant: mostly mothers, some partners, a few kinship carers and
/// others, so some groups have fewer than five responses.
pub(super) fn gather_feedback(
    conn: &mut DbConnection,
    applicants: &std::collections::HashMap<i64, CurrentUser>,
    round: &crate::rounds::model::Round,
) -> Result<(), ApiError> {
    use crate::awards::model::AwardRow;
    use crate::db::schema::awards;
    use crate::domain::vocabulary::{AwardStatus, Respondent};
    use crate::feedback::model::{FeedbackInput, NewFeedbackLink, Ratings};
    use crate::feedback::service as feedback;
    use diesel::prelude::*;

    let running: Vec<AwardRow> = awards::table
        .filter(awards::round_id.eq(round.id))
        .filter(awards::status.eq(AwardStatus::Accepted))
        .order(awards::id)
        .load(conn)?;
    for award in running {
        let Some(holder) = applicants.get(&award.organisation_id) else {
            continue;
        };
        let opened = award.responded_at.unwrap_or(award.created_at) + chrono::Duration::days(20);
        let mut tokens = Vec::new();
        for label in ["Weekly group", "Home visits"] {
            let link = feedback::create_link(
                conn,
                opened,
                holder,
                award.id,
                &NewFeedbackLink {
                    label: label.to_owned(),
                    expires_at: None,
                },
            )?;
            tokens.push(link.token.unwrap_or_default());
        }
        // A small linear congruential sequence: the same families every time the demo is seeded.
        let mut state = (award.id as u64).wrapping_mul(2_862_933_555_777_941_757) + 3_037_000_493;
        let mut next = |n: u64| {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (state >> 33) % n
        };
        let count = 9 + next(9);
        for j in 0..count {
            let respondent = match next(100) {
                0..=59 => Respondent::MotherBirthingParent,
                60..=79 => Respondent::FatherPartner,
                80..=86 => Respondent::KinshipCarer,
                87..=91 => Respondent::OtherFamilyMember,
                _ => Respondent::PreferNotToSay,
            };
            let mut rating = || match next(20) {
                0 => 2,
                1..=3 => 3,
                4..=10 => 4,
                _ => 5,
            };
            let ratings = Ratings {
                listened_to: rating(),
                wellbeing: rating(),
                relationship_with_baby: rating(),
                recommend: rating(),
            };
            let consent = next(2) == 0;
            let input = FeedbackInput {
                respondent,
                ratings,
                difference: Some(DIFFERENCES[next(DIFFERENCES.len() as u64) as usize].to_owned()),
                could_be_better: (next(3) > 0)
                    .then(|| BETTER[next(BETTER.len() as u64) as usize].to_owned()),
                consent_to_quote: consent,
            };
            let when = opened + chrono::Duration::days(7 + j as i64 * 23);
            feedback::respond(conn, when, &tokens[(j % 2) as usize], &input)?;
        }
    }
    Ok(())
}
