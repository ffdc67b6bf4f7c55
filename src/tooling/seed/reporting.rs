//! Returns on each award's schedule and the families' feedback.

use std::collections::BTreeMap;

use chrono::{Days, NaiveDate};
use diesel::prelude::*;
use rand::Rng;
use rand::rngs::StdRng;

use crate::auth::tokens;
use crate::db::schema::{feedback_links, feedback_responses, return_contents, returns};
use crate::db::{DbConnection, batch};
use crate::domain::financial_year::FinancialYear;
use crate::domain::vocabulary::{AwardStatus, Respondent, ReturnStatus};
use crate::error::ApiError;

use super::{AwardPlan, FEEDBACK_PER_AWARD, Generator, failed, midnight, rows_per_statement};

impl Generator {
    /// Six-monthly returns over each running award's years and a final return for completed
    /// ones: accepted once their due date has passed (a few overdue or awaiting review), the
    /// calendar's state otherwise.
    pub(super) fn returns(
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

    pub(super) fn feedback(
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
}
