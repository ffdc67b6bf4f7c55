//! `seed scale`: a large synthetic fund for measuring the service at the size a national
//! programme could reach over many years (the demo's model case is far smaller).
//!
//! The fund is generated in bulk, not through the service functions: the demo shows the rules at
//! work, this shows the queries at volume. The data is still consistent with the rules: one live
//! application per organisation and round, submitted applications assessed by three assessors
//! against four weighted criteria, awards only for submitted applications with their
//! instalments, a year's committed total equal to its instalments and within its limit, returns
//! on the award's schedule, and feedback only through a link of a running award. Everything is
//! written in one transaction, so a failed run leaves nothing behind.

use std::collections::BTreeMap;

use chrono::{Days, Months, NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::assessment::model::AssignmentStatus;
use crate::auth::{password, tokens};
use crate::db::schema::{
    application_choices, application_reach, application_requests, applications, assignments,
    awards, criteria, decisions, feedback_links, feedback_responses, fund_years, funds,
    instalments, organisation_health_boards, organisations, return_contents, returns, round_years,
    rounds, scores, users,
};
use crate::db::{DbConnection, batch, write_transaction};
use crate::domain::financial_year::FinancialYear;
use crate::domain::vocabulary::{
    ApplicationStatus, AwardStatus, Component, DecisionOutcome, HealthBoard, InstalmentStatus,
    OrganisationType, Respondent, ReturnFrequency, ReturnStatus, Role, SupportType, TargetGroup,
};
use crate::error::ApiError;
use crate::report_cache;

/// Bind parameters per statement, under SQLite's limit (32,766) and PostgreSQL's (65,535).
const MAX_BINDS: usize = 30_000;
/// Every organisation applies once to every round.
const ROUNDS: usize = 20;
const ASSESSORS: usize = 60;
const ASSESSMENTS_PER_APPLICATION: usize = 3;
/// Criteria weights in ten-thousandths (40%, 30%, 20%, 10%), each scored out of 5.
const WEIGHTS: [i64; 4] = [4_000, 3_000, 2_000, 1_000];
const MAX_SCORE: i32 = 5;
const FEEDBACK_PER_AWARD: usize = 12;
const YEARS: i32 = 3;

/// How large a fund to generate: everything else follows from the number of applications.
#[derive(Clone, Copy, Debug)]
pub struct Scale {
    pub applications: usize,
}

/// What was written.
#[derive(Clone, Debug, Default)]
pub struct Seeded {
    pub fund_id: i64,
    pub fund_code: String,
    pub organisations: usize,
    pub applications: usize,
    pub scores: usize,
    pub awards: usize,
    pub instalments: usize,
    pub returns: usize,
    pub feedback_responses: usize,
}

fn rows_per_statement(columns: usize) -> usize {
    (MAX_BINDS / columns).max(1)
}

fn failed(error: impl std::fmt::Display) -> ApiError {
    ApiError::internal(format!("seed scale: {error}"))
}

fn midnight(day: NaiveDate) -> NaiveDateTime {
    day.and_time(chrono::NaiveTime::MIN)
}

fn year(start: i32) -> Result<FinancialYear, ApiError> {
    FinancialYear::starting(start).map_err(failed)
}

/// Generates a fund of `size` applications and everything that follows from them.
pub fn scale(conn: &mut DbConnection, now: NaiveDateTime, size: Scale) -> Result<Seeded, ApiError> {
    write_transaction(conn, |conn| Generator::new(now, size).run(conn))
}

struct RoundPlan {
    id: i64,
    years: Vec<FinancialYear>,
    closes_at: NaiveDateTime,
    criteria: Vec<i64>,
}

struct AwardPlan {
    id: i64,
    organisation: usize,
    status: AwardStatus,
    years: Vec<(FinancialYear, i64)>,
    decided_at: NaiveDateTime,
}

struct Generator {
    now: NaiveDateTime,
    today: NaiveDate,
    size: Scale,
    rng: StdRng,
    seeded: Seeded,
}

impl Generator {
    fn new(now: NaiveDateTime, size: Scale) -> Self {
        Generator {
            now,
            today: now.date(),
            size,
            rng: StdRng::seed_from_u64(2021),
            seeded: Seeded::default(),
        }
    }

    fn pick<T: Copy>(&mut self, from: &[T]) -> T {
        from[self.rng.random_range(0..from.len())]
    }

    /// `count` distinct values of `from`, in the published order.
    fn some<T: Copy + Ord>(&mut self, from: &[T], count: usize) -> Vec<T> {
        let mut chosen: Vec<T> = Vec::with_capacity(count);
        while chosen.len() < count.min(from.len()) {
            let value = self.pick(from);
            if !chosen.contains(&value) {
                chosen.push(value);
            }
        }
        chosen.sort();
        chosen
    }

    fn run(mut self, conn: &mut DbConnection) -> Result<Seeded, ApiError> {
        let first_year = FinancialYear::containing(self.today)
            .map_err(failed)?
            .start_year()
            - (YEARS - 1);
        let fund_id = self.fund(conn, first_year)?;
        let (admin, assessors) = self.staff(conn)?;
        let organisations = self.size.applications.div_ceil(ROUNDS).max(1);
        let (organisation_ids, applicants, boards) = self.organisations(conn, organisations)?;
        let rounds = self.rounds(conn, fund_id, first_year)?;
        let awarded = self.applications(
            conn,
            &rounds,
            &organisation_ids,
            &applicants,
            &boards,
            admin,
            &assessors,
        )?;
        let awards = self.awards(
            conn,
            fund_id,
            &rounds,
            awarded,
            &organisation_ids,
            &applicants,
        )?;
        self.instalments(conn, fund_id, &awards, admin)?;
        self.returns(conn, &awards, &applicants, admin)?;
        self.feedback(conn, &awards, &applicants)?;
        self.balance_years(conn, fund_id)?;
        self.seeded.fund_id = fund_id;
        Ok(self.seeded)
    }

    fn fund(&mut self, conn: &mut DbConnection, first_year: i32) -> Result<i64, ApiError> {
        let existing: i64 = funds::table
            .filter(funds::code.like("SCALE%"))
            .count()
            .get_result(conn)?;
        let code = format!("SCALE{}", existing + 1);
        let start = year(first_year)?.first_day();
        let end = year(first_year + YEARS - 1)?.last_day();
        let fund_id: i64 = diesel::insert_into(funds::table)
            .values((
                funds::name.eq(format!("Scale test fund {}", existing + 1)),
                funds::code.eq(&code),
                funds::funder_name.eq("Scottish Government"),
                funds::funder_org_id.eq("GB-GOR-PB188"),
                funds::administrator_name.eq("Inspiring Scotland"),
                funds::administrator_org_id.eq("GB-SC-SC037048"),
                funds::currency.eq("GBP"),
                funds::programme_start.eq(start),
                funds::programme_end.eq(end),
                funds::reach_target.eq(5_500_000_i64),
                funds::created_at.eq(self.now),
                funds::updated_at.eq(self.now),
            ))
            .returning(funds::id)
            .get_result(conn)?;
        report_cache::start(conn, fund_id)?;
        for offset in 0..YEARS {
            diesel::insert_into(fund_years::table)
                .values((
                    fund_years::fund_id.eq(fund_id),
                    fund_years::financial_year.eq(year(first_year + offset)?.to_string()),
                    // Raised to what is committed once the awards are written.
                    fund_years::limit_pence.eq(i64::MAX / 4),
                    fund_years::approved.eq(true),
                    fund_years::committed_pence.eq(0_i64),
                    fund_years::paid_pence.eq(0_i64),
                    fund_years::created_at.eq(self.now),
                    fund_years::updated_at.eq(self.now),
                ))
                .execute(conn)?;
        }
        self.seeded.fund_code = code;
        Ok(fund_id)
    }

    /// Seeded accounts share one password hash of a random password nobody is told: they exist
    /// to own rows, not to sign in.
    fn sealed_hash() -> Result<String, ApiError> {
        password::hash(&tokens::generate()?)
    }

    fn user_rows(
        &self,
        conn: &mut DbConnection,
        people: &[(String, String, Role, Option<i64>)],
        hash: &str,
    ) -> Result<Vec<i64>, ApiError> {
        let mut ids = Vec::with_capacity(people.len());
        for chunk in people.chunks(rows_per_statement(9)) {
            let rows: Vec<_> = chunk
                .iter()
                .map(|(email, name, role, organisation)| {
                    (
                        users::email.eq(email),
                        users::name.eq(name),
                        users::role.eq(*role),
                        users::organisation_id.eq(*organisation),
                        users::password_hash.eq(hash),
                        users::active.eq(true),
                        users::password_changed_at.eq(self.now),
                        users::created_at.eq(self.now),
                        users::updated_at.eq(self.now),
                    )
                })
                .collect();
            let got: Vec<(i64, String)> =
                batch!(conn, users::table, rows, returning(users::id, users::email))?;
            let by_email: BTreeMap<String, i64> = got.into_iter().map(|(i, e)| (e, i)).collect();
            for (email, ..) in chunk {
                ids.push(
                    *by_email
                        .get(email)
                        .ok_or_else(|| failed("user not returned"))?,
                );
            }
        }
        Ok(ids)
    }

    fn run_tag(&self) -> String {
        self.seeded.fund_code.to_lowercase()
    }

    fn staff(&mut self, conn: &mut DbConnection) -> Result<(i64, Vec<i64>), ApiError> {
        let hash = Self::sealed_hash()?;
        let tag = self.run_tag();
        let mut people = vec![(
            format!("administrator@{tag}.example.org"),
            "Scale administrator".to_owned(),
            Role::Administrator,
            None,
        )];
        for i in 0..ASSESSORS {
            people.push((
                format!("assessor{i}@{tag}.example.org"),
                format!("Scale assessor {i}"),
                Role::Assessor,
                None,
            ));
        }
        let ids = self.user_rows(conn, &people, &hash)?;
        Ok((ids[0], ids[1..].to_vec()))
    }

    #[allow(clippy::type_complexity)]
    fn organisations(
        &mut self,
        conn: &mut DbConnection,
        count: usize,
    ) -> Result<(Vec<i64>, Vec<i64>, Vec<Vec<HealthBoard>>), ApiError> {
        let tag = self.run_tag();
        let existing: i64 = organisations::table.count().get_result(conn)?;
        let mut ids = Vec::with_capacity(count);
        let numbers: Vec<String> = (0..count)
            .map(|i| format!("SC{:07}", 1_000_000 + existing as usize + i))
            .collect();
        for (c, chunk) in numbers.chunks(rows_per_statement(13)).enumerate() {
            let base = c * rows_per_statement(13);
            let rows: Vec<_> = chunk
                .iter()
                .enumerate()
                .map(|(k, number)| {
                    let i = base + k;
                    (
                        organisations::name.eq(format!("Scale organisation {i}")),
                        organisations::organisation_type.eq(OrganisationType::Charity),
                        organisations::charity_number.eq(Some(number.clone())),
                        organisations::annual_income_pence
                            .eq(5_000_000 + (i as i64 % 97) * 1_000_000),
                        organisations::address.eq(Some(format!("{i} High Street"))),
                        organisations::postcode.eq("EH1 1AA"),
                        organisations::website
                            .eq(Some(format!("https://org{i}.{tag}.example.org"))),
                        organisations::contact_email.eq(format!("contact{i}@{tag}.example.org")),
                        organisations::verified.eq(true),
                        organisations::verified_at.eq(Some(self.now)),
                        organisations::created_at.eq(self.now),
                        organisations::updated_at.eq(self.now),
                        organisations::listed_in_directory.eq(i % 6 != 4),
                    )
                })
                .collect();
            let got: Vec<(i64, Option<String>)> = batch!(
                conn,
                organisations::table,
                rows,
                returning(organisations::id, organisations::charity_number)
            )?;
            let by_number: BTreeMap<String, i64> = got
                .into_iter()
                .filter_map(|(id, n)| n.map(|n| (n, id)))
                .collect();
            for number in chunk {
                ids.push(
                    *by_number
                        .get(number)
                        .ok_or_else(|| failed("organisation not returned"))?,
                );
            }
        }
        let mut boards = Vec::with_capacity(count);
        let mut board_rows = Vec::new();
        for id in &ids {
            let n = if self.rng.random_ratio(1, 5) { 2 } else { 1 };
            let chosen = self.some(HealthBoard::ALL, n);
            for b in &chosen {
                board_rows.push((
                    organisation_health_boards::organisation_id.eq(*id),
                    organisation_health_boards::health_board.eq(*b),
                ));
            }
            boards.push(chosen);
        }
        for chunk in board_rows.chunks(rows_per_statement(2)) {
            batch!(conn, organisation_health_boards::table, chunk)?;
        }
        let people: Vec<(String, String, Role, Option<i64>)> = ids
            .iter()
            .enumerate()
            .map(|(i, id)| {
                (
                    format!("applicant{i}@{tag}.example.org"),
                    format!("Scale applicant {i}"),
                    Role::Applicant,
                    Some(*id),
                )
            })
            .collect();
        let applicants = self.user_rows(conn, &people, &Self::sealed_hash()?)?;
        self.seeded.organisations = count;
        Ok((ids, applicants, boards))
    }

    fn rounds(
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
    fn applications(
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

    fn assess(
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

    fn awards(
        &mut self,
        conn: &mut DbConnection,
        fund_id: i64,
        rounds: &[RoundPlan],
        awarded: Vec<Awarded>,
        organisations: &[i64],
        applicants: &[i64],
    ) -> Result<Vec<AwardPlan>, ApiError> {
        let mut sequences: BTreeMap<i32, i32> = BTreeMap::new();
        let mut prepared = Vec::with_capacity(awarded.len());
        for (n, a) in awarded.into_iter().enumerate() {
            let first = a.years[0].0;
            let sequence = sequences.entry(first.start_year()).or_insert(0);
            *sequence += 1;
            let last_day = a
                .years
                .last()
                .map_or(first.last_day(), |(y, _)| y.last_day());
            let status = match n % 20 {
                0 => AwardStatus::Offered,
                1 => AwardStatus::Declined,
                2 => AwardStatus::Terminated,
                _ if last_day < self.today => AwardStatus::Completed,
                _ => AwardStatus::Accepted,
            };
            prepared.push((a, first, *sequence, status));
        }
        let code = self.seeded.fund_code.clone();
        let rows: Vec<_> = prepared
            .iter()
            .map(|(a, first, sequence, status)| {
                let responded = !matches!(status, AwardStatus::Offered);
                let ended = matches!(
                    status,
                    AwardStatus::Declined | AwardStatus::Terminated | AwardStatus::Completed
                );
                let end_day = a
                    .years
                    .last()
                    .map_or(first.last_day(), |(y, _)| y.last_day());
                let ended_at = match status {
                    AwardStatus::Declined => a.decided_at + Days::new(10),
                    AwardStatus::Terminated => midnight(first.last_day()),
                    _ => midnight(end_day) + Days::new(90),
                };
                (
                    awards::application_id.eq(a.application),
                    awards::fund_id.eq(fund_id),
                    awards::round_id.eq(rounds[a.round].id),
                    awards::organisation_id.eq(organisations[a.organisation]),
                    awards::reference.eq(format!("{code}-{}-{sequence:04}", first.start_year())),
                    awards::reference_year.eq(first.start_year()),
                    awards::sequence.eq(*sequence),
                    awards::status.eq(*status),
                    awards::responded_at.eq(responded.then(|| a.decided_at + Days::new(10))),
                    awards::responded_by.eq(responded.then_some(applicants[a.organisation])),
                    awards::ended_at.eq(ended.then_some(ended_at)),
                    awards::end_reason.eq((*status == AwardStatus::Terminated)
                        .then(|| "Service closed early.".to_owned())),
                    awards::created_at.eq(a.decided_at),
                    awards::updated_at.eq(a.decided_at),
                )
            })
            .collect();
        let mut ids: BTreeMap<i64, i64> = BTreeMap::new();
        for chunk in rows.chunks(rows_per_statement(14)) {
            let got: Vec<(i64, i64)> = batch!(
                conn,
                awards::table,
                chunk,
                returning(awards::application_id, awards::id)
            )?;
            ids.extend(got);
        }
        let mut plans = Vec::with_capacity(prepared.len());
        for (a, _, _, status) in prepared {
            plans.push(AwardPlan {
                id: *ids
                    .get(&a.application)
                    .ok_or_else(|| failed("award not returned"))?,
                organisation: a.organisation,
                status,
                years: a.years,
                decided_at: a.decided_at,
            });
        }
        self.seeded.awards = plans.len();
        Ok(plans)
    }

    fn instalments(
        &mut self,
        conn: &mut DbConnection,
        fund_id: i64,
        awards: &[AwardPlan],
        admin: i64,
    ) -> Result<(), ApiError> {
        let mut rows = Vec::new();
        for award in awards {
            for (k, (y, pence)) in award.years.iter().enumerate() {
                let started = y.first_day() <= self.today;
                let status = match award.status {
                    AwardStatus::Declined => InstalmentStatus::Cancelled,
                    AwardStatus::Offered => InstalmentStatus::Committed,
                    AwardStatus::Terminated if k > 0 => InstalmentStatus::Cancelled,
                    _ if started => InstalmentStatus::Released,
                    _ => InstalmentStatus::Committed,
                };
                let released = status == InstalmentStatus::Released;
                let released_at = midnight(y.first_day()).max(award.decided_at + Days::new(14));
                rows.push((
                    instalments::award_id.eq(award.id),
                    instalments::fund_id.eq(fund_id),
                    instalments::financial_year.eq(y.to_string()),
                    instalments::amount_pence.eq(*pence),
                    instalments::status.eq(status),
                    instalments::released_at.eq(released.then_some(released_at)),
                    instalments::released_by.eq(released.then_some(admin)),
                ));
            }
        }
        for chunk in rows.chunks(rows_per_statement(7)) {
            batch!(conn, instalments::table, chunk)?;
        }
        self.seeded.instalments = rows.len();
        Ok(())
    }

    /// Six-monthly returns over each running award's years and a final return for completed
    /// ones: accepted once their due date has passed (a few overdue or awaiting review), the
    /// calendar's state otherwise.
    fn returns(
        &mut self,
        conn: &mut DbConnection,
        awards: &[AwardPlan],
        applicants: &[i64],
        admin: i64,
    ) -> Result<(), ApiError> {
        struct Planned {
            award: i64,
            year: Option<FinancialYear>,
            start: NaiveDate,
            end: NaiveDate,
            due: NaiveDate,
            status: ReturnStatus,
            by: i64,
        }
        let mut planned = Vec::new();
        for award in awards {
            if matches!(award.status, AwardStatus::Offered | AwardStatus::Declined) {
                continue;
            }
            let years: &[(FinancialYear, i64)] = if award.status == AwardStatus::Terminated {
                &award.years[..1]
            } else {
                &award.years
            };
            let mut periods = Vec::new();
            for (y, _) in years {
                let middle =
                    NaiveDate::from_ymd_opt(y.start_year(), 9, 30).ok_or_else(|| failed("date"))?;
                periods.push((Some(*y), y.first_day(), middle, 30));
                periods.push((Some(*y), middle + Days::new(1), y.last_day(), 30));
            }
            if award.status == AwardStatus::Completed
                && let (Some((first, _)), Some((last, _))) = (years.first(), years.last())
            {
                periods.push((None, first.first_day(), last.last_day(), 60));
            }
            for (n, (year, start, end, days)) in periods.into_iter().enumerate() {
                let due = end + Days::new(days);
                let status = if due >= self.today {
                    ReturnStatus::Scheduled.on(end, due, self.today)
                } else if (award.id as usize + n).is_multiple_of(40) {
                    ReturnStatus::Overdue
                } else if (award.id as usize + n) % 40 == 1 {
                    ReturnStatus::Submitted
                } else {
                    ReturnStatus::Accepted
                };
                planned.push(Planned {
                    award: award.id,
                    year,
                    start,
                    end,
                    due,
                    status,
                    by: applicants[award.organisation],
                });
            }
        }
        let rows: Vec<_> = planned
            .iter()
            .map(|p| {
                let sent = matches!(p.status, ReturnStatus::Submitted | ReturnStatus::Accepted);
                let reviewed = p.status == ReturnStatus::Accepted;
                let submitted_at = midnight(p.due - Days::new(5));
                (
                    returns::award_id.eq(p.award),
                    returns::financial_year.eq(p.year.map(|y| y.to_string())),
                    returns::period_start.eq(p.start),
                    returns::period_end.eq(p.end),
                    returns::due_date.eq(p.due),
                    returns::status.eq(p.status),
                    returns::submitted_at.eq(sent.then_some(submitted_at)),
                    returns::submitted_by.eq(sent.then_some(p.by)),
                    returns::reviewed_at.eq(reviewed.then(|| submitted_at + Days::new(3))),
                    returns::reviewed_by.eq(reviewed.then_some(admin)),
                    returns::created_at.eq(midnight(p.start)),
                    returns::updated_at.eq(submitted_at),
                )
            })
            .collect();
        let mut ids: BTreeMap<(i64, NaiveDate, NaiveDate), i64> = BTreeMap::new();
        for chunk in rows.chunks(rows_per_statement(12)) {
            let got: Vec<(i64, NaiveDate, NaiveDate, i64)> = batch!(
                conn,
                returns::table,
                chunk,
                returning(
                    returns::award_id,
                    returns::period_start,
                    returns::period_end,
                    returns::id,
                )
            )?;
            ids.extend(got.into_iter().map(|(a, s, e, id)| ((a, s, e), id)));
        }
        let mut contents = Vec::new();
        for p in &planned {
            if !matches!(p.status, ReturnStatus::Submitted | ReturnStatus::Accepted) {
                continue;
            }
            let id = *ids
                .get(&(p.award, p.start, p.end))
                .ok_or_else(|| failed("return not returned"))?;
            let women = self.rng.random_range(5..80_i64);
            let new = self.rng.random_range(0..=women);
            contents.push((
                return_contents::return_id.eq(id),
                return_contents::spend_pence
                    .eq(Some(self.rng.random_range(100_000..2_000_000_i64))),
                return_contents::women.eq(Some(women)),
                return_contents::partners.eq(Some(self.rng.random_range(0..40_i64))),
                return_contents::infants.eq(Some(self.rng.random_range(0..60_i64))),
                return_contents::kinship_carers.eq(Some(self.rng.random_range(0..5_i64))),
                return_contents::families.eq(Some(self.rng.random_range(5..70_i64))),
                return_contents::new_people.eq(Some(new)),
                return_contents::continuing_people.eq(Some(women - new)),
                return_contents::sessions.eq(Some(self.rng.random_range(10..200_i64))),
                return_contents::outcomes.eq(Some(
                    "Parents report feeling less alone and more confident.".to_owned(),
                )),
                return_contents::updated_at.eq(self.now),
            ));
        }
        for chunk in contents.chunks(rows_per_statement(12)) {
            batch!(conn, return_contents::table, chunk)?;
        }
        self.seeded.returns = planned.len();
        Ok(())
    }

    fn feedback(
        &mut self,
        conn: &mut DbConnection,
        awards: &[AwardPlan],
        applicants: &[i64],
    ) -> Result<(), ApiError> {
        let running: Vec<&AwardPlan> = awards
            .iter()
            .filter(|a| {
                matches!(
                    a.status,
                    AwardStatus::Accepted | AwardStatus::Completed | AwardStatus::Terminated
                )
            })
            .collect();
        let mut link_rows = Vec::with_capacity(running.len());
        for award in &running {
            link_rows.push((
                feedback_links::award_id.eq(award.id),
                feedback_links::label.eq("Groups and one-to-one sessions"),
                // A token nobody holds: only its hash is ever stored.
                feedback_links::token_hash.eq(tokens::hash(&tokens::generate()?)),
                feedback_links::created_by.eq(applicants[award.organisation]),
                feedback_links::created_at.eq(award.decided_at + Days::new(30)),
            ));
        }
        let mut links: BTreeMap<i64, i64> = BTreeMap::new();
        for chunk in link_rows.chunks(rows_per_statement(5)) {
            let got: Vec<(i64, i64)> = batch!(
                conn,
                feedback_links::table,
                chunk,
                returning(feedback_links::award_id, feedback_links::id)
            )?;
            links.extend(got);
        }
        let mut responses = Vec::with_capacity(running.len() * FEEDBACK_PER_AWARD);
        for award in &running {
            let link = *links
                .get(&award.id)
                .ok_or_else(|| failed("link not returned"))?;
            let first = award.years[0].0.first_day();
            let span = (award.years.len() as u64) * 365;
            for _ in 0..FEEDBACK_PER_AWARD {
                let day = (first + Days::new(self.rng.random_range(0..span))).min(self.today);
                let rating = |rng: &mut StdRng| {
                    if rng.random_ratio(3, 4) {
                        rng.random_range(4..=5)
                    } else {
                        rng.random_range(1..=3)
                    }
                };
                responses.push((
                    feedback_responses::award_id.eq(award.id),
                    feedback_responses::link_id.eq(link),
                    feedback_responses::respondent.eq(self.pick(Respondent::ALL)),
                    feedback_responses::listened_to.eq(rating(&mut self.rng)),
                    feedback_responses::wellbeing.eq(rating(&mut self.rng)),
                    feedback_responses::relationship_with_baby.eq(rating(&mut self.rng)),
                    feedback_responses::recommend.eq(rating(&mut self.rng)),
                    feedback_responses::consent_to_quote.eq(false),
                    feedback_responses::received_on.eq(day),
                    // History, taken as already published, as the migration takes it.
                    feedback_responses::published.eq(true),
                ));
            }
        }
        for chunk in responses.chunks(rows_per_statement(10)) {
            batch!(conn, feedback_responses::table, chunk)?;
        }
        self.seeded.feedback_responses = responses.len();
        Ok(())
    }

    /// Sets each year's committed and paid totals from its instalments, and its limit to the
    /// committed total rounded up to the next million pounds.
    fn balance_years(&mut self, conn: &mut DbConnection, fund_id: i64) -> Result<(), ApiError> {
        let held: Vec<(String, i64, InstalmentStatus)> = instalments::table
            .filter(instalments::fund_id.eq(fund_id))
            .select((
                instalments::financial_year,
                instalments::amount_pence,
                instalments::status,
            ))
            .load(conn)?;
        let mut totals: BTreeMap<String, (i64, i64)> = BTreeMap::new();
        for (y, pence, status) in held {
            let entry = totals.entry(y).or_default();
            if status != InstalmentStatus::Cancelled {
                entry.0 += pence;
            }
            if status == InstalmentStatus::Released {
                entry.1 += pence;
            }
        }
        const MILLION_POUNDS: i64 = 100_000_000;
        let years: Vec<String> = fund_years::table
            .filter(fund_years::fund_id.eq(fund_id))
            .select(fund_years::financial_year)
            .load(conn)?;
        for y in years {
            let (committed, paid) = totals.get(&y).copied().unwrap_or_default();
            let limit = (committed / MILLION_POUNDS + 1) * MILLION_POUNDS;
            diesel::update(
                fund_years::table
                    .filter(fund_years::fund_id.eq(fund_id))
                    .filter(fund_years::financial_year.eq(&y)),
            )
            .set((
                fund_years::committed_pence.eq(committed),
                fund_years::paid_pence.eq(paid),
                fund_years::limit_pence.eq(limit),
            ))
            .execute(conn)?;
        }
        Ok(())
    }
}

struct Awarded {
    round: usize,
    organisation: usize,
    application: i64,
    years: Vec<(FinancialYear, i64)>,
    decided_at: NaiveDateTime,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statements_stay_under_both_backends_bind_limits() {
        for columns in 1..=16 {
            assert!(rows_per_statement(columns) * columns <= 32_766);
        }
    }
}
