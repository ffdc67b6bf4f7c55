//! Awards, their instalments and the budget's totals.

use std::collections::BTreeMap;

use chrono::Days;
use diesel::prelude::*;

use crate::db::schema::{awards, fund_years, instalments};
use crate::db::{DbConnection, batch};
use crate::domain::vocabulary::{AwardStatus, InstalmentStatus};
use crate::error::ApiError;

use super::{AwardPlan, Awarded, Generator, RoundPlan, failed, midnight, rows_per_statement};

impl Generator {
    pub(super) fn awards(
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

    pub(super) fn instalments(
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

    /// Sets each year's committed and paid totals from its instalments, and its limit to the
    /// committed total rounded up to the next million pounds.
    pub(super) fn balance_years(
        &mut self,
        conn: &mut DbConnection,
        fund_id: i64,
    ) -> Result<(), ApiError> {
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
