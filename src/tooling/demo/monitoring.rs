//! The grant holders report on their awards, and the administrator reviews and pays.

use super::{CurrentUser, DbConnection};
use crate::error::ApiError;

const OUTCOMES: &[&str] = &[
    "Mothers report feeling less isolated; most say their mood has improved since joining.",
    "Fathers who attended say they feel more confident caring for their baby.",
    "Parents describe a closer bond with their baby; two families were referred on to specialist perinatal services.",
    "Kinship carers report less stress and better links with local health visitors.",
];

const CASE_STUDIES: &[&str] = &[
    "A young mother who joined after a difficult birth now helps run the Tuesday group.",
    "A father who felt shut out during his partner's illness found support from another dad in the group.",
    "A grandmother caring for her grandson learned baby massage and now attends every week.",
];

/// How far each grant holder of a round has got with its returns, by the award's place in the
/// round: every return accepted and the award completed; the latest return awaiting review;
/// changes requested after the second instalment; the first year's last return awaiting review,
/// so the second instalment waits; or reporting stopped after the first return. Returns not
/// reached are left as they are: overdue by now.
pub(super) fn report_round(
    conn: &mut DbConnection,
    admin: &CurrentUser,
    finance: &CurrentUser,
    applicants: &std::collections::HashMap<i64, CurrentUser>,
    round: &crate::rounds::model::Round,
    files: &super::documents::Files,
) -> Result<(), ApiError> {
    use super::documents::pdf;
    use crate::awards::model::AwardRow;
    use crate::awards::reading as awards;
    use crate::awards::releases;
    use crate::db::schema::awards as awards_table;
    use crate::db::schema::returns;
    use crate::documents::content::{CSV, PDF};
    use crate::documents::model::Owner;
    use crate::domain::vocabulary::DocumentKind;
    use crate::domain::vocabulary::{AwardStatus, InstalmentStatus, ReviewOutcome};
    use crate::monitoring::model::{Reached, ReturnPatch, ReturnRow, ReviewInput};
    use crate::monitoring::service as monitoring;
    use crate::usecases::grant_cycle;
    use diesel::prelude::*;

    let accepted: Vec<AwardRow> = awards_table::table
        .filter(awards_table::round_id.eq(round.id))
        .filter(awards_table::status.eq(AwardStatus::Accepted))
        .order(awards_table::id)
        .load(conn)?;
    for (k, award) in accepted.iter().enumerate() {
        let Some(applicant) = applicants.get(&award.organisation_id) else {
            continue;
        };
        files.attach(
            conn,
            award.responded_at.unwrap_or(award.created_at),
            applicant,
            Owner::award(award.id),
            DocumentKind::SignedAgreement,
            None,
            "Grant agreement (signed).pdf",
            PDF,
            pdf(&[
                "Grant agreement",
                &format!("Award {}", award.reference),
                "Signed for the grant holder",
            ]),
        )?;
        let owed: Vec<ReturnRow> = returns::table
            .filter(returns::award_id.eq(award.id))
            .order((
                returns::financial_year.is_null(),
                returns::period_end,
                returns::id,
            ))
            .load(conn)?;
        let periodic = owed.iter().filter(|r| r.financial_year.is_some()).count();
        let in_year = |year: &Option<String>| {
            owed.iter()
                .filter(|r| r.financial_year.is_some() && r.financial_year == *year)
                .count()
        };
        let first_year = owed.first().and_then(|r| r.financial_year.clone());
        // How many returns, in order, this grant holder submits.
        let plan = k % 5;
        let submitted = match plan {
            0 => owed.len(),
            1 => periodic,
            2 => periodic.min(in_year(&first_year) + 1),
            3 => in_year(&first_year),
            _ => 1,
        };
        let base = 25 + (award.id * 13) % 40;
        for (i, row) in owed.iter().take(submitted).enumerate() {
            let when = row.period_end.and_time(chrono::NaiveTime::MIN)
                + chrono::Duration::days(18 + (award.id + i as i64) % 9);
            let state = awards::get(conn, admin, award.id)?;
            let spend = match &row.financial_year {
                Some(year) => state
                    .instalments
                    .iter()
                    .find(|p| {
                        p.financial_year.to_string() == *year
                            && p.status == InstalmentStatus::Released
                    })
                    .map(|p| p.amount.pence() / in_year(&row.financial_year).max(1) as i64),
                None => Some(state.paid.pence()),
            };
            let people = if row.financial_year.is_none() {
                base * periodic as i64
            } else {
                base + (i as i64 * 7) % 15
            };
            let new = people * 3 / 5;
            let spend = spend
                .map(|p| crate::domain::Money::from_pence(p).map(|m| m.to_string()))
                .transpose()
                .map_err(ApiError::internal)?;
            monitoring::update(
                conn,
                when,
                applicant,
                row.id,
                &ReturnPatch {
                    spend,
                    reached: Some(Reached {
                        women: Some(people),
                        partners: Some(people / 4),
                        infants: Some(people * 4 / 5),
                        kinship_carers: Some(people / 20),
                        families: Some(people + people / 10),
                        new: Some(new),
                        continuing: Some(people - new),
                    }),
                    sessions: Some(12 + people / 3),
                    peer_supporters: Some(3 + people / 15),
                    volunteers: Some(4 + people / 10),
                    outcomes: Some(Some(
                        OUTCOMES[(award.id as usize + i) % OUTCOMES.len()].to_owned(),
                    )),
                    case_study: Some(Some(
                        CASE_STUDIES[(award.id as usize + i) % CASE_STUDIES.len()].to_owned(),
                    )),
                    challenges: Some(Some(
                        "Recruiting volunteers in rural areas is slow; venue costs have risen."
                            .to_owned(),
                    )),
                },
            )?;
            files.attach(
                conn,
                when,
                applicant,
                Owner::monitoring_return(row.id),
                DocumentKind::Evidence,
                None,
                "Attendance register.csv",
                CSV,
                format!("session,families\n1,{}\n2,{}\n", base, base + 3).into_bytes(),
            )?;
            monitoring::submit(conn, when, applicant, row.id)?;
            let last = i + 1 == submitted;
            let reviewed = when + chrono::Duration::days(6);
            let outcome = match plan {
                1 | 3 if last => None,
                2 if last => Some(ReviewOutcome::ChangesRequested),
                _ => Some(ReviewOutcome::Accepted),
            };
            if let Some(outcome) = outcome {
                grant_cycle::review_return(
                    conn,
                    reviewed,
                    admin,
                    row.id,
                    &ReviewInput {
                        outcome,
                        comment: (outcome == ReviewOutcome::ChangesRequested).then(|| {
                            "Please give new and continuing families separately, and add the spend on the venue.".to_owned()
                        }),
                    },
                )?;
            }
            // The next year's instalment is released once the return before it is accepted, and
            // paid by the next payment run.
            if outcome == Some(ReviewOutcome::Accepted)
                && let Some(next) = owed.get(i + 1).and_then(|n| n.financial_year.clone())
                && Some(&next) != row.financial_year.as_ref()
            {
                grant_cycle::release(
                    conn,
                    reviewed + chrono::Duration::days(3),
                    admin,
                    releases::request,
                    award.id,
                    &next,
                )?;
                grant_cycle::release(
                    conn,
                    reviewed + chrono::Duration::days(4),
                    finance,
                    releases::authorise,
                    award.id,
                    &next,
                )?;
                super::payments::pay_authorised(
                    conn,
                    reviewed + chrono::Duration::days(5),
                    finance,
                    false,
                )?;
            }
        }
    }
    Ok(())
}
