//! The rounds, their applications and the panel's scores.

use std::collections::BTreeMap;

use chrono::{Days, Months};
use diesel::prelude::*;
use rand::Rng;

use crate::assessment::model::AssignmentStatus;
use crate::db::schema::{
    application_choices, application_reach, application_requests, applications, assignments,
    criteria, decisions, round_years, rounds, scores,
};
use crate::db::{DbConnection, batch};
use crate::domain::financial_year::FinancialYear;
use crate::domain::vocabulary::{
    ApplicationStatus, Component, DecisionOutcome, HealthBoard, ReturnFrequency, SupportType,
    TargetGroup,
};
use crate::error::ApiError;

use super::{
    ASSESSMENTS_PER_APPLICATION, Awarded, Generator, MAX_SCORE, ROUNDS, RoundPlan, WEIGHTS, YEARS,
    failed, midnight, rows_per_statement, year,
};

impl Generator {
    pub(super) fn rounds(
        &mut self,
        conn: &mut DbConnection,
        fund_id: i64,
        first_year: i32,
    ) -> Result<Vec<RoundPlan>, ApiError> {
        let mut plans = Vec::with_capacity(ROUNDS);
        for r in 0..ROUNDS {
            let component = match r % 4 {
                0 | 1 => Component::Core,
                2 => Component::Innovation,
                _ => Component::Extension,
            };
            let start = first_year + (r % YEARS as usize) as i32;
            let length = match component {
                Component::Core => first_year + YEARS - start,
                _ => 1,
            };
            let years: Vec<FinancialYear> = (start..start + length)
                .map(year)
                .collect::<Result<_, _>>()?;
            let begins = years[0].first_day();
            let opens_at = midnight(begins - Months::new(9));
            let closes_at = midnight(begins - Months::new(6));
            let id: i64 = diesel::insert_into(rounds::table)
                .values((
                    rounds::fund_id.eq(fund_id),
                    rounds::name.eq(format!("Scale round {} ({})", r + 1, component.as_str())),
                    rounds::component.eq(component),
                    rounds::opens_at.eq(opens_at),
                    rounds::closes_at.eq(closes_at),
                    rounds::min_request_pence.eq(500_000_i64),
                    rounds::max_request_pence.eq(6_000_000_i64),
                    rounds::assessments_required.eq(2),
                    rounds::return_frequency.eq(ReturnFrequency::SixMonthly),
                    rounds::criteria_frozen_at.eq(Some(closes_at)),
                    rounds::created_at.eq(opens_at),
                    rounds::updated_at.eq(opens_at),
                ))
                .returning(rounds::id)
                .get_result(conn)?;
            for y in &years {
                diesel::insert_into(round_years::table)
                    .values((
                        round_years::round_id.eq(id),
                        round_years::fund_id.eq(fund_id),
                        round_years::financial_year.eq(y.to_string()),
                    ))
                    .execute(conn)?;
            }
            let mut criteria_ids = Vec::new();
            for (k, weight) in WEIGHTS.iter().enumerate() {
                let criterion: i64 = diesel::insert_into(criteria::table)
                    .values((
                        criteria::round_id.eq(id),
                        criteria::name.eq(format!("Criterion {}", k + 1)),
                        criteria::weight_ten_thousandths.eq(*weight),
                        criteria::max_score.eq(MAX_SCORE),
                        criteria::created_at.eq(opens_at),
                        criteria::updated_at.eq(opens_at),
                    ))
                    .returning(criteria::id)
                    .get_result(conn)?;
                criteria_ids.push(criterion);
            }
            plans.push(RoundPlan {
                id,
                years,
                closes_at,
                criteria: criteria_ids,
            });
        }
        Ok(plans)
    }

    /// Applications with their requests, choices, reach, assessments and decisions; gives the
    /// awarded ones as (round index, organisation index, application id, years and amounts).
    #[allow(clippy::too_many_arguments)]
    pub(super) fn applications(
        &mut self,
        conn: &mut DbConnection,
        rounds: &[RoundPlan],
        organisations: &[i64],
        applicants: &[i64],
        boards: &[Vec<HealthBoard>],
        admin: i64,
        assessors: &[i64],
    ) -> Result<Vec<Awarded>, ApiError> {
        let total = self.size.applications;
        let mut awarded = Vec::new();
        let mut written = 0;
        for (r, round) in rounds.iter().enumerate() {
            let in_round = organisations.len().min(total - written);
            if in_round == 0 {
                break;
            }
            let submitted_at = round.closes_at - Days::new(3);
            let decided_at = round.closes_at + Months::new(3);
            let mut plans = Vec::with_capacity(in_round);
            for o in 0..in_round {
                let n = written + o;
                let status = if n % 10 == 9 {
                    ApplicationStatus::Draft
                } else if n % 5 == 0 {
                    ApplicationStatus::Awarded
                } else if n % 10 == 3 {
                    ApplicationStatus::Submitted
                } else {
                    ApplicationStatus::Declined
                };
                plans.push((o, status));
            }
            let rows: Vec<_> = plans
                .iter()
                .map(|(o, status)| {
                    let done = *status != ApplicationStatus::Draft;
                    (
                        applications::round_id.eq(round.id),
                        applications::organisation_id.eq(organisations[*o]),
                        applications::created_by.eq(applicants[*o]),
                        applications::status.eq(*status),
                        applications::title.eq(format!("Perinatal support project {r}-{o}")),
                        applications::summary.eq(Some(
                            "Peer support and counselling for parents in the first year."
                                .to_owned(),
                        )),
                        applications::description.eq(Some(
                            "Weekly groups, one-to-one sessions and a helpline.".to_owned(),
                        )),
                        applications::peer_support.eq(Some(o % 2 == 0)),
                        applications::equality_impact.eq(Some(
                            "Sessions in community venues with travel costs paid.".to_owned(),
                        )),
                        applications::submitted_at.eq(done.then_some(submitted_at)),
                        applications::submitted_by.eq(done.then_some(applicants[*o])),
                        applications::created_at.eq(submitted_at - Days::new(20)),
                        applications::updated_at.eq(submitted_at),
                    )
                })
                .collect();
            let mut ids: BTreeMap<i64, i64> = BTreeMap::new();
            for chunk in rows.chunks(rows_per_statement(13)) {
                let got: Vec<(i64, i64)> = batch!(
                    conn,
                    applications::table,
                    chunk,
                    returning(applications::organisation_id, applications::id)
                )?;
                ids.extend(got);
            }
            let mut requests = Vec::new();
            let mut choices = Vec::new();
            let mut reach = Vec::new();
            let mut assessed = Vec::new();
            let mut decided = Vec::new();
            for (o, status) in &plans {
                let id = *ids
                    .get(&organisations[*o])
                    .ok_or_else(|| failed("application not returned"))?;
                let mut asked = Vec::new();
                for y in &round.years {
                    let pence = self.rng.random_range(5_000..60_000_i64) * 100;
                    asked.push((*y, pence));
                    requests.push((
                        application_requests::application_id.eq(id),
                        application_requests::financial_year.eq(y.to_string()),
                        application_requests::amount_pence.eq(pence),
                    ));
                }
                for b in &boards[*o] {
                    choices.push((id, "health_board", b.as_str()));
                }
                let groups = self.rng.random_range(1..=3);
                for g in self.some(TargetGroup::ALL, groups) {
                    choices.push((id, "target_group", g.as_str()));
                }
                let kinds = self.rng.random_range(1..=2);
                for s in self.some(SupportType::ALL, kinds) {
                    choices.push((id, "support_type", s.as_str()));
                }
                for group in ["women", "partners", "infants", "families"] {
                    reach.push((
                        application_reach::application_id.eq(id),
                        application_reach::reach_group.eq(group),
                        application_reach::people.eq(self.rng.random_range(10..400_i64)),
                    ));
                }
                if *status == ApplicationStatus::Draft {
                    continue;
                }
                assessed.push(id);
                match status {
                    ApplicationStatus::Awarded => {
                        decided.push((id, DecisionOutcome::Award));
                        awarded.push(Awarded {
                            round: r,
                            organisation: *o,
                            application: id,
                            years: asked,
                            decided_at,
                        });
                    }
                    ApplicationStatus::Declined => decided.push((id, DecisionOutcome::Decline)),
                    _ => {}
                }
            }
            for chunk in requests.chunks(rows_per_statement(3)) {
                batch!(conn, application_requests::table, chunk)?;
            }
            let choice_rows: Vec<_> = choices
                .iter()
                .map(|(id, list, value)| {
                    (
                        application_choices::application_id.eq(*id),
                        application_choices::list.eq(*list),
                        application_choices::value.eq(*value),
                    )
                })
                .collect();
            for chunk in choice_rows.chunks(rows_per_statement(3)) {
                batch!(conn, application_choices::table, chunk)?;
            }
            for chunk in reach.chunks(rows_per_statement(3)) {
                batch!(conn, application_reach::table, chunk)?;
            }
            self.assess(conn, round, &assessed, admin, assessors, written)?;
            let decision_rows: Vec<_> = decided
                .iter()
                .map(|(id, outcome)| {
                    (
                        decisions::application_id.eq(*id),
                        decisions::outcome.eq(*outcome),
                        decisions::decided_by.eq(admin),
                        decisions::decided_at.eq(decided_at),
                    )
                })
                .collect();
            for chunk in decision_rows.chunks(rows_per_statement(4)) {
                batch!(conn, decisions::table, chunk)?;
            }
            written += in_round;
        }
        self.seeded.applications = written;
        Ok(awarded)
    }

    pub(super) fn assess(
        &mut self,
        conn: &mut DbConnection,
        round: &RoundPlan,
        applications: &[i64],
        admin: i64,
        assessors: &[i64],
        offset: usize,
    ) -> Result<(), ApiError> {
        let submitted_at = round.closes_at + Months::new(1);
        let mut sheets: Vec<(i64, i64, [i32; 4])> = Vec::new();
        for (k, id) in applications.iter().enumerate() {
            let first = (offset + k) % assessors.len();
            for a in 0..ASSESSMENTS_PER_APPLICATION {
                let assessor = assessors[(first + a * 7) % assessors.len()];
                let marks = [0; 4].map(|_| self.rng.random_range(1..=MAX_SCORE));
                sheets.push((*id, assessor, marks));
            }
        }
        let rows: Vec<_> = sheets
            .iter()
            .map(|(application, assessor, marks)| {
                let weighted: i64 = marks
                    .iter()
                    .zip(WEIGHTS)
                    .map(|(m, w)| i64::from(*m) * w)
                    .sum::<i64>()
                    / i64::from(MAX_SCORE);
                (
                    assignments::application_id.eq(*application),
                    assignments::assessor_id.eq(*assessor),
                    assignments::status.eq(AssignmentStatus::Submitted),
                    assignments::declared_at.eq(Some(round.closes_at)),
                    assignments::submitted_at.eq(Some(submitted_at)),
                    assignments::weighted_score_hundredths.eq(Some(weighted)),
                    assignments::assigned_by.eq(admin),
                    assignments::created_at.eq(round.closes_at),
                    assignments::updated_at.eq(submitted_at),
                )
            })
            .collect();
        let mut ids: BTreeMap<(i64, i64), i64> = BTreeMap::new();
        for chunk in rows.chunks(rows_per_statement(9)) {
            let got: Vec<(i64, i64, i64)> = batch!(
                conn,
                assignments::table,
                chunk,
                returning(
                    assignments::application_id,
                    assignments::assessor_id,
                    assignments::id,
                )
            )?;
            ids.extend(got.into_iter().map(|(p, a, id)| ((p, a), id)));
        }
        let mut score_rows = Vec::with_capacity(sheets.len() * WEIGHTS.len());
        for (application, assessor, marks) in &sheets {
            let id = *ids
                .get(&(*application, *assessor))
                .ok_or_else(|| failed("assignment not returned"))?;
            for (criterion, mark) in round.criteria.iter().zip(marks) {
                score_rows.push((
                    scores::assignment_id.eq(id),
                    scores::criterion_id.eq(*criterion),
                    scores::score.eq(*mark),
                    scores::updated_at.eq(submitted_at),
                ));
            }
        }
        for chunk in score_rows.chunks(rows_per_statement(4)) {
            batch!(conn, scores::table, chunk)?;
        }
        self.seeded.scores += score_rows.len();
        Ok(())
    }
}
