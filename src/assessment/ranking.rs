//! A round's ranking: its undecided applications in order of final score, against what is left
//! of each year's budget, with the funding line marked.
//!
//! The order is final score, highest first; on equal scores the application submitted first
//! comes first, then the lower id, so the order never changes between two readings. An
//! application's final score is its moderated score if it has one, else the mean of its
//! submitted assessments. Applications with fewer submitted assessments than the round requires
//! are listed apart, as not ready.
//!
//! The requests are added up in rank order, each year separately. An application fits while,
//! in every year, the sum up to and including it is within that year's remaining budget
//! (`limit - committed`); the funding line falls after the last application that fits before
//! the first that does not.

use std::collections::{BTreeMap, HashMap};

use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::applications::model::ApplicationRow;
use crate::assessment::scoring::{mean, moderations_of, submitted_scores};
use crate::caller::CurrentUser;
use crate::db::DbConnection;
use crate::db::schema::{application_requests, applications, organisations};
use crate::domain::vocabulary::ApplicationStatus;
use crate::domain::{FinancialYear, Money, Percent};
use crate::error::ApiError;
use crate::funds::model::FundYearRow;
use crate::permissions::Action;
use crate::rounds::model::RoundRow;
use crate::wire::csv_text;

/// One year's budget as the ranking sees it.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct YearBudget {
    pub financial_year: FinancialYear,
    pub limit: Money,
    pub committed: Money,
    /// `limit - committed`: what undecided applications can still be given.
    pub remaining: Money,
    pub approved: bool,
}

/// An application above or below the funding line.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct RankedApplication {
    /// 1 for the highest final score.
    pub rank: i64,
    pub application_id: i64,
    pub organisation_id: i64,
    pub organisation: String,
    pub title: String,
    /// The moderated score if there is one, else `calculated_score`.
    pub score: Percent,
    /// The mean of the submitted assessments.
    pub calculated_score: Percent,
    pub moderated: bool,
    /// Submitted assessments.
    pub assessments: i64,
    /// The request of each of the round's years (zero where none was asked).
    #[schema(value_type = BTreeMap<String, Money>)]
    pub requested: BTreeMap<FinancialYear, Money>,
    /// The sum of the requests of this and every higher-ranked application, per year.
    #[schema(value_type = BTreeMap<String, Money>)]
    pub cumulative: BTreeMap<FinancialYear, Money>,
    /// Whether `cumulative` is within the remaining budget in every year.
    pub fits: bool,
}

/// A submitted application still waiting for enough submitted assessments.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct UnreadyApplication {
    pub application_id: i64,
    pub organisation_id: i64,
    pub organisation: String,
    pub title: String,
    /// Submitted assessments so far.
    pub assessments: i64,
    #[schema(value_type = BTreeMap<String, Money>)]
    pub requested: BTreeMap<FinancialYear, Money>,
}

/// A round's ranking with its funding line.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct Ranking {
    pub round_id: i64,
    pub assessments_required: i32,
    /// The round's years with their budget.
    pub budget: Vec<YearBudget>,
    /// The remaining budget of each of the round's years.
    #[schema(value_type = BTreeMap<String, Money>)]
    pub remaining: BTreeMap<FinancialYear, Money>,
    /// Submitted applications with enough assessments, best first.
    pub items: Vec<RankedApplication>,
    /// The rank of the last application above the funding line (0 when even the first does not
    /// fit); `null` when every ranked application fits.
    pub funding_line_after_rank: Option<i64>,
    /// Submitted applications with fewer submitted assessments than the round requires.
    pub not_ready: Vec<UnreadyApplication>,
}

fn money(pence: i64) -> Result<Money, ApiError> {
    Money::from_pence(pence).map_err(ApiError::internal)
}

/// The ranking of a round's submitted applications. Administrators only.
pub fn ranking(
    conn: &mut DbConnection,
    user: &CurrentUser,
    round_id: i64,
) -> Result<Ranking, ApiError> {
    user.require(Action::ReadRanking)?;
    let round = RoundRow::find(conn, round_id)?;
    let years = round.years(conn)?;
    let fund_years: HashMap<String, FundYearRow> = FundYearRow::of_fund(conn, round.fund_id)?
        .into_iter()
        .map(|y| (y.financial_year.clone(), y))
        .collect();
    let mut budget = Vec::with_capacity(years.len());
    let mut remaining_pence: BTreeMap<FinancialYear, i64> = BTreeMap::new();
    for year in &years {
        let (limit, committed, approved) = fund_years
            .get(&year.to_string())
            .map(|y| (y.limit_pence, y.committed_pence, y.approved))
            .unwrap_or((0, 0, false));
        let remaining = (limit - committed).max(0);
        remaining_pence.insert(*year, remaining);
        budget.push(YearBudget {
            financial_year: *year,
            limit: money(limit)?,
            committed: money(committed)?,
            remaining: money(remaining)?,
            approved,
        });
    }

    let rows: Vec<(ApplicationRow, String)> = applications::table
        .inner_join(organisations::table)
        .filter(applications::round_id.eq(round_id))
        .filter(applications::status.eq(ApplicationStatus::Submitted))
        .select((applications::all_columns, organisations::name))
        .load(conn)?;
    let ids: Vec<i64> = rows.iter().map(|(a, _)| a.id).collect();
    let mut requests: HashMap<i64, BTreeMap<FinancialYear, i64>> = HashMap::new();
    let request_rows: Vec<(i64, String, i64)> = application_requests::table
        .filter(application_requests::application_id.eq_any(&ids))
        .select((
            application_requests::application_id,
            application_requests::financial_year,
            application_requests::amount_pence,
        ))
        .load(conn)?;
    for (id, year, pence) in request_rows {
        let year = FinancialYear::parse(&year).map_err(ApiError::internal)?;
        requests.entry(id).or_default().insert(year, pence);
    }
    let scores = submitted_scores(conn, &ids)?;
    let mut moderations = moderations_of(conn, &ids)?;

    let requested_of = |id: i64| -> Result<BTreeMap<FinancialYear, Money>, ApiError> {
        let asked = requests.get(&id);
        years
            .iter()
            .map(|y| {
                let pence = asked.and_then(|a| a.get(y)).copied().unwrap_or(0);
                Ok((*y, money(pence)?))
            })
            .collect()
    };

    let mut ready = Vec::new();
    let mut not_ready = Vec::new();
    for (row, organisation) in rows {
        let submitted = scores.get(&row.id);
        let count = submitted.map_or(0, Vec::len) as i64;
        let calculated = mean(submitted)?;
        match calculated {
            Some(calculated) if count >= i64::from(round.assessments_required) => {
                let moderation = moderations.remove(&row.id);
                ready.push((row, organisation, calculated, moderation, count));
            }
            _ => not_ready.push(UnreadyApplication {
                application_id: row.id,
                organisation_id: row.organisation_id,
                requested: requested_of(row.id)?,
                organisation,
                title: row.title,
                assessments: count,
            }),
        }
    }
    let final_score =
        |calculated: Percent, moderation: &Option<crate::assessment::model::Moderation>| {
            moderation
                .as_ref()
                .map_or(calculated, |m| m.moderated_score)
        };
    ready.sort_by(|(a, _, a_score, a_mod, _), (b, _, b_score, b_mod, _)| {
        final_score(*b_score, b_mod)
            .cmp(&final_score(*a_score, a_mod))
            .then(a.submitted_at.cmp(&b.submitted_at))
            .then(a.id.cmp(&b.id))
    });
    not_ready.sort_by_key(|u| u.application_id);

    let mut cumulative_pence: BTreeMap<FinancialYear, i64> =
        years.iter().map(|y| (*y, 0)).collect();
    let mut items = Vec::with_capacity(ready.len());
    let mut funding_line_after_rank = None;
    for (index, (row, organisation, calculated, moderation, count)) in ready.into_iter().enumerate()
    {
        let rank = index as i64 + 1;
        let requested = requested_of(row.id)?;
        let mut fits = true;
        let mut cumulative = BTreeMap::new();
        for (year, amount) in &requested {
            let sum = cumulative_pence.entry(*year).or_insert(0);
            *sum += amount.pence();
            fits &= *sum <= remaining_pence.get(year).copied().unwrap_or(0);
            cumulative.insert(*year, money(*sum)?);
        }
        if !fits && funding_line_after_rank.is_none() {
            funding_line_after_rank = Some(rank - 1);
        }
        items.push(RankedApplication {
            rank,
            application_id: row.id,
            organisation_id: row.organisation_id,
            organisation,
            title: row.title,
            score: final_score(calculated, &moderation),
            calculated_score: calculated,
            moderated: moderation.is_some(),
            assessments: count,
            requested,
            cumulative,
            fits,
        });
    }
    Ok(Ranking {
        round_id,
        assessments_required: round.assessments_required,
        remaining: remaining_pence
            .into_iter()
            .map(|(y, p)| Ok((y, money(p)?)))
            .collect::<Result<_, ApiError>>()?,
        budget,
        items,
        funding_line_after_rank,
        not_ready,
    })
}

/// The ranking as CSV: one row per application, ranked ones first, then those not ready (with
/// an empty rank). Money and scores are written as in JSON.
pub fn to_csv(ranking: &Ranking) -> Result<Vec<u8>, ApiError> {
    let years: Vec<FinancialYear> = ranking.budget.iter().map(|b| b.financial_year).collect();
    let mut out = csv::Writer::from_writer(Vec::new());
    let mut header: Vec<String> = [
        "rank",
        "status",
        "application_id",
        "organisation",
        "title",
        "score",
        "calculated_score",
        "moderated",
        "assessments",
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect();
    header.extend(years.iter().map(|y| format!("requested_{y}")));
    header.extend(years.iter().map(|y| format!("cumulative_{y}")));
    header.push("fits".to_owned());
    out.write_record(&header).map_err(ApiError::internal)?;
    let amounts = |map: &BTreeMap<FinancialYear, Money>| -> Vec<String> {
        years
            .iter()
            .map(|y| map.get(y).map(ToString::to_string).unwrap_or_default())
            .collect()
    };
    for item in &ranking.items {
        let above = ranking
            .funding_line_after_rank
            .is_none_or(|line| item.rank <= line);
        let mut record = vec![
            item.rank.to_string(),
            if above { "above_line" } else { "below_line" }.to_owned(),
            item.application_id.to_string(),
            csv_text(&item.organisation),
            csv_text(&item.title),
            item.score.to_string(),
            item.calculated_score.to_string(),
            item.moderated.to_string(),
            item.assessments.to_string(),
        ];
        record.extend(amounts(&item.requested));
        record.extend(amounts(&item.cumulative));
        record.push(item.fits.to_string());
        out.write_record(&record).map_err(ApiError::internal)?;
    }
    for item in &ranking.not_ready {
        let mut record = vec![
            String::new(),
            "not_ready".to_owned(),
            item.application_id.to_string(),
            csv_text(&item.organisation),
            csv_text(&item.title),
            String::new(),
            String::new(),
            String::new(),
            item.assessments.to_string(),
        ];
        record.extend(amounts(&item.requested));
        record.extend(years.iter().map(|_| String::new()));
        record.push(String::new());
        out.write_record(&record).map_err(ApiError::internal)?;
    }
    out.into_inner().map_err(ApiError::internal)
}
