//! Bulk writes past the services, on purpose: it gives the queries volume; the demo shows the rules.
//!
//! `seed scale`: a large synthetic fund for measuring the service at the size a national
//! programme could reach over many years (the demo's model case is far smaller, and goes through
//! the services to show the rules at work). The data is still consistent with the rules: one
//! live application per organisation and round, submitted applications assessed by three
//! assessors against four weighted criteria, awards only for submitted applications with their
//! instalments, a year's committed total equal to its instalments and within its limit, returns
//! on the award's schedule, and feedback only through a link of a running award. Everything is
//! written in one transaction, so a failed run leaves nothing behind.

mod applying;
mod funding;
mod reporting;
mod setup;

use chrono::{NaiveDate, NaiveDateTime};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::db::{DbConnection, write_transaction};
use crate::domain::financial_year::FinancialYear;
use crate::domain::vocabulary::AwardStatus;
use crate::error::ApiError;

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
