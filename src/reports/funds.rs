//! Reports on a fund for officials and administrators: money by year and component, by health
//! board and by target group, people reached against the target, and family feedback.
//!
//! Money is what the awards' instalments hold: `committed` is every instalment not given back,
//! `authorised` every instalment authorised and waiting for a payment run, `paid` every
//! instalment released (its line of a run marked paid); so each report's totals equal the fund's years, to the
//! penny. An award is counted in a year when it holds an instalment of that year.
//!
//! An award that covers several health boards (or target groups) has each instalment split
//! equally between them in whole pence; the pennies left over go one each to the first of its
//! boards (groups) in the published order. The split amounts add up to the award exactly, so a
//! report's rows add up to the fund's total. The award and its organisation are counted in every
//! board (group) it covers, so those counts can add up to more than the number of awards.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use diesel::prelude::*;
use rust_decimal::{Decimal, RoundingStrategy};

use crate::db::DbConnection;
use crate::db::schema::{
    application_choices, awards, feedback_responses, instalments, return_contents, returns, rounds,
};
use crate::domain::suppression;
use crate::domain::vocabulary::{
    Component, HealthBoard, InstalmentStatus, ReturnStatus, TargetGroup,
};
use crate::domain::{FinancialYear, Money};
use crate::error::ApiError;
use crate::feedback::model::{Rated, StoredRatings};
use crate::feedback::publication::{self, Placement};
use crate::feedback::service::summarise;
use crate::funds::model::{FundRow, FundYearRow};
use crate::reports::model::{
    BoardFigures, ByHealthBoard, ByTargetGroup, ComponentFigures, FeedbackGroup, FeedbackReport,
    Figures, FundReach, FundSummary, GroupFigures, People, YearReach, YearSummary,
};

fn money(pence: i64) -> Result<Money, ApiError> {
    Money::from_pence(pence).map_err(ApiError::internal)
}

/// One instalment that holds money, with what it is for.
struct Held {
    award: i64,
    organisation: i64,
    application: i64,
    component: Component,
    year: FinancialYear,
    pence: i64,
    released: bool,
    authorised: bool,
}

fn held(
    conn: &mut DbConnection,
    fund_id: i64,
    year: Option<FinancialYear>,
) -> Result<Vec<Held>, ApiError> {
    let mut query = instalments::table
        .inner_join(awards::table.inner_join(rounds::table.on(rounds::id.eq(awards::round_id))))
        .filter(instalments::fund_id.eq(fund_id))
        .filter(instalments::status.ne(InstalmentStatus::Cancelled))
        .select((
            awards::id,
            awards::organisation_id,
            awards::application_id,
            rounds::component,
            instalments::financial_year,
            instalments::amount_pence,
            instalments::status,
        ))
        .into_boxed();
    if let Some(year) = year {
        query = query.filter(instalments::financial_year.eq(year.to_string()));
    }
    let rows: Vec<(i64, i64, i64, Component, String, i64, InstalmentStatus)> = query.load(conn)?;
    rows.into_iter()
        .map(
            |(award, organisation, application, component, year, pence, status)| {
                Ok(Held {
                    award,
                    organisation,
                    application,
                    component,
                    year: FinancialYear::parse(&year).map_err(ApiError::internal)?,
                    pence,
                    released: status == InstalmentStatus::Released,
                    authorised: status == InstalmentStatus::Authorised,
                })
            },
        )
        .collect()
}

#[derive(Default)]
struct Tally {
    committed: i64,
    authorised: i64,
    paid: i64,
    awards: BTreeSet<i64>,
    organisations: BTreeSet<i64>,
}

impl Tally {
    fn add(&mut self, h: &Held, pence: i64) {
        self.committed += pence;
        if h.released {
            self.paid += pence;
        }
        if h.authorised {
            self.authorised += pence;
        }
        self.awards.insert(h.award);
        self.organisations.insert(h.organisation);
    }

    fn figures(&self) -> Result<Figures, ApiError> {
        Ok(Figures {
            committed: money(self.committed)?,
            paid: money(self.paid)?,
            awards: self.awards.len() as i64,
            organisations: self.organisations.len() as i64,
        })
    }
}

fn year_summary(
    year: Option<FinancialYear>,
    limit: i64,
    items: &[&Held],
) -> Result<YearSummary, ApiError> {
    let mut all = Tally::default();
    let mut by_component: BTreeMap<Component, Tally> = Component::ALL
        .iter()
        .map(|c| (*c, Tally::default()))
        .collect();
    for h in items {
        all.add(h, h.pence);
        by_component.entry(h.component).or_default().add(h, h.pence);
    }
    let figures = all.figures()?;
    Ok(YearSummary {
        financial_year: year,
        limit: money(limit)?,
        remaining: money((limit - all.committed).max(0))?,
        committed: figures.committed,
        authorised: money(all.authorised)?,
        paid: figures.paid,
        awards: figures.awards,
        organisations: figures.organisations,
        by_component: by_component
            .into_iter()
            .map(|(component, t)| {
                let f = t.figures()?;
                Ok(ComponentFigures {
                    component,
                    committed: f.committed,
                    paid: f.paid,
                    awards: f.awards,
                    organisations: f.organisations,
                })
            })
            .collect::<Result<_, ApiError>>()?,
    })
}

/// Limit, committed, paid and remaining of each year (or of `year`), with awards and
/// organisations, split by component; and the programme total.
pub fn summary(
    conn: &mut DbConnection,
    fund_id: i64,
    year: Option<FinancialYear>,
) -> Result<FundSummary, ApiError> {
    FundRow::find(conn, fund_id)?;
    let limits: Vec<(FinancialYear, i64)> = FundYearRow::of_fund(conn, fund_id)?
        .into_iter()
        .map(|y| Ok((y.year()?, y.limit_pence)))
        .filter(|r: &Result<(FinancialYear, i64), ApiError>| {
            r.as_ref()
                .map_or(true, |(y, _)| year.is_none_or(|asked| asked == *y))
        })
        .collect::<Result<_, ApiError>>()?;
    let items = held(conn, fund_id, year)?;
    let mut years = Vec::new();
    for (y, limit) in &limits {
        let of_year: Vec<&Held> = items.iter().filter(|h| h.year == *y).collect();
        years.push(year_summary(Some(*y), *limit, &of_year)?);
    }
    let all: Vec<&Held> = items.iter().collect();
    let total_limit = limits.iter().map(|(_, l)| l).sum();
    let mut total = year_summary(None, total_limit, &all)?;
    total.financial_year = year;
    Ok(FundSummary {
        fund_id,
        financial_year: year,
        years,
        total,
    })
}

/// Splits `pence` equally between `n` shares, the leftover pennies one each to the first.
pub fn split(pence: i64, n: usize) -> Vec<i64> {
    if n == 0 {
        return Vec::new();
    }
    let n = n as i64;
    let (each, left) = (pence / n, pence % n);
    (0..n).map(|i| each + i64::from(i < left)).collect()
}

/// The choices in one list of each application awarded in the fund, in the published order.
/// The applications are selected in the database, so the query binds no list of ids however
/// large the fund.
fn choices<T: std::str::FromStr + Ord>(
    conn: &mut DbConnection,
    fund_id: i64,
    list: &str,
) -> Result<HashMap<i64, Vec<T>>, ApiError> {
    let awarded = awards::table
        .filter(awards::fund_id.eq(fund_id))
        .select(awards::application_id);
    let rows: Vec<(i64, String)> = application_choices::table
        .filter(application_choices::application_id.eq_any(awarded))
        .filter(application_choices::list.eq(list))
        .select((
            application_choices::application_id,
            application_choices::value,
        ))
        .load(conn)?;
    let mut map: HashMap<i64, Vec<T>> = HashMap::new();
    for (id, value) in rows {
        if let Ok(v) = value.parse::<T>() {
            map.entry(id).or_default().push(v);
        }
    }
    for values in map.values_mut() {
        values.sort();
    }
    Ok(map)
}

/// Money and counts split over the values of one list (boards or groups), every value listed.
fn split_over<T: Copy + Ord + std::str::FromStr>(
    items: &[Held],
    lists: &HashMap<i64, Vec<T>>,
    all_values: &[T],
) -> BTreeMap<T, Tally> {
    let mut tallies: BTreeMap<T, Tally> =
        all_values.iter().map(|v| (*v, Tally::default())).collect();
    for h in items {
        let values = lists
            .get(&h.application)
            .map(Vec::as_slice)
            .unwrap_or_default();
        for (value, pence) in values.iter().zip(split(h.pence, values.len())) {
            tallies.entry(*value).or_default().add(h, pence);
        }
    }
    tallies
}

fn totals(items: &[Held]) -> Result<Figures, ApiError> {
    let mut all = Tally::default();
    for h in items {
        all.add(h, h.pence);
    }
    all.figures()
}

/// A fund's money split over one list of an application's choices (boards or groups), every
/// value listed as `row` makes it, with the fund's totals.
fn split_report<T: Copy + Ord + std::str::FromStr, R>(
    conn: &mut DbConnection,
    fund_id: i64,
    year: Option<FinancialYear>,
    list: &str,
    all_values: &[T],
    row: impl Fn(T, Figures) -> R,
) -> Result<(Vec<R>, Figures), ApiError> {
    FundRow::find(conn, fund_id)?;
    let items = held(conn, fund_id, year)?;
    let lists: HashMap<i64, Vec<T>> = choices(conn, fund_id, list)?;
    let rows = split_over(&items, &lists, all_values)
        .into_iter()
        .map(|(value, t)| Ok(row(value, t.figures()?)))
        .collect::<Result<_, ApiError>>()?;
    Ok((rows, totals(&items)?))
}

/// Committed, paid, awards and organisations per NHS board, all 14 listed.
pub fn by_health_board(
    conn: &mut DbConnection,
    fund_id: i64,
    year: Option<FinancialYear>,
) -> Result<ByHealthBoard, ApiError> {
    let (health_boards, total) = split_report(
        conn,
        fund_id,
        year,
        "health_board",
        HealthBoard::ALL,
        |board, f| BoardFigures {
            health_board: board,
            name: board.name().to_owned(),
            gss_code: board.gss_code().to_owned(),
            committed: f.committed,
            paid: f.paid,
            awards: f.awards,
            organisations: f.organisations,
        },
    )?;
    Ok(ByHealthBoard {
        fund_id,
        financial_year: year,
        health_boards,
        total,
    })
}

/// The same by target group, every group listed.
pub fn by_target_group(
    conn: &mut DbConnection,
    fund_id: i64,
    year: Option<FinancialYear>,
) -> Result<ByTargetGroup, ApiError> {
    let (target_groups, total) = split_report(
        conn,
        fund_id,
        year,
        "target_group",
        TargetGroup::ALL,
        |group, f| GroupFigures {
            target_group: group,
            committed: f.committed,
            paid: f.paid,
            awards: f.awards,
            organisations: f.organisations,
        },
    )?;
    Ok(ByTargetGroup {
        fund_id,
        financial_year: year,
        target_groups,
        total,
    })
}

/// People supported according to accepted periodic returns (final returns summarise a whole
/// grant, so they are left out), by year and in total, against the fund's target; only the
/// returns of `year` when one is asked for.
pub fn reach(
    conn: &mut DbConnection,
    fund_id: i64,
    year: Option<FinancialYear>,
) -> Result<FundReach, ApiError> {
    let fund = FundRow::find(conn, fund_id)?;
    /// A return's year and counts; a count left out of a return is `None`.
    #[derive(Queryable)]
    struct Counted {
        financial_year: Option<String>,
        women: Option<i64>,
        partners: Option<i64>,
        infants: Option<i64>,
        kinship_carers: Option<i64>,
        families: Option<i64>,
        new_people: Option<i64>,
        continuing_people: Option<i64>,
    }
    let mut query = returns::table
        .inner_join(return_contents::table)
        .inner_join(awards::table)
        .filter(awards::fund_id.eq(fund_id))
        .filter(returns::status.eq(ReturnStatus::Accepted))
        .filter(returns::financial_year.is_not_null())
        .into_boxed();
    if let Some(year) = year {
        query = query.filter(returns::financial_year.eq(year.to_string()));
    }
    let rows: Vec<Counted> = query
        .select((
            returns::financial_year,
            return_contents::women,
            return_contents::partners,
            return_contents::infants,
            return_contents::kinship_carers,
            return_contents::families,
            return_contents::new_people,
            return_contents::continuing_people,
        ))
        .load(conn)?;
    let mut by_year: BTreeMap<FinancialYear, (i64, People)> = BTreeMap::new();
    let mut total = People::default();
    for row in rows {
        let Some(year) = row
            .financial_year
            .as_deref()
            .map(FinancialYear::parse)
            .transpose()
            .map_err(ApiError::internal)?
        else {
            continue;
        };
        let entry = by_year.entry(year).or_default();
        entry.0 += 1;
        for people in [&mut entry.1, &mut total] {
            people.women += row.women.unwrap_or(0);
            people.partners += row.partners.unwrap_or(0);
            people.infants += row.infants.unwrap_or(0);
            people.kinship_carers += row.kinship_carers.unwrap_or(0);
            people.families += row.families.unwrap_or(0);
            people.new += row.new_people.unwrap_or(0);
            people.continuing += row.continuing_people.unwrap_or(0);
        }
    }
    let percentage = if fund.details.reach_target > 0 {
        (Decimal::from(total.new) * Decimal::ONE_HUNDRED / Decimal::from(fund.details.reach_target))
            .round_dp_with_strategy(1, RoundingStrategy::MidpointAwayFromZero)
    } else {
        Decimal::ZERO
    };
    let mut percentage = percentage;
    percentage.rescale(1);
    Ok(FundReach {
        fund_id,
        financial_year: year,
        years: by_year
            .into_iter()
            .map(|(financial_year, (accepted_returns, people))| YearReach {
                financial_year,
                accepted_returns,
                people,
            })
            .collect(),
        reached: total.new,
        total,
        target: fund.details.reach_target,
        percentage_of_target: percentage.to_string(),
    })
}

/// Groups of ratings with small-number suppression applied across the groups of one dimension.
fn groups(by: BTreeMap<String, Vec<Rated>>) -> Vec<FeedbackGroup> {
    let counts: Vec<u64> = by.values().map(|r| r.len() as u64).collect();
    let hidden = suppression::suppressed(&counts);
    by.into_iter()
        .zip(hidden)
        .map(|((group, ratings), hide)| FeedbackGroup {
            group,
            suppressed: hide,
            responses: (!hide).then_some(ratings.len() as i64),
            statements: (!hide).then(|| summarise(&ratings)),
        })
        .collect()
}

/// Feedback ratings by year, component and health board, with suppression; no free text; only
/// the responses that arrived in `year` when one is asked for.
///
/// Only published responses count: they reach these figures in batches that bring at least
/// [`suppression::THRESHOLD`] new responses to every group they change (see
/// [`crate::feedback::publication`]), so that no two readings differ by one family's answers.
pub fn feedback(
    conn: &mut DbConnection,
    fund_id: i64,
    year: Option<FinancialYear>,
) -> Result<FeedbackReport, ApiError> {
    FundRow::find(conn, fund_id)?;
    let mut query = feedback_responses::table
        .inner_join(awards::table.inner_join(rounds::table.on(rounds::id.eq(awards::round_id))))
        .filter(awards::fund_id.eq(fund_id))
        .filter(feedback_responses::published.eq(true))
        .into_boxed();
    if let Some(year) = year {
        query = query
            .filter(feedback_responses::received_on.ge(year.first_day()))
            .filter(feedback_responses::received_on.le(year.last_day()));
    }
    let rows: Vec<(i64, Component, chrono::NaiveDate, StoredRatings)> = query
        .select((
            awards::application_id,
            rounds::component,
            feedback_responses::received_on,
            StoredRatings::as_select(),
        ))
        .load(conn)?;
    let boards: HashMap<i64, Vec<HealthBoard>> = choices(conn, fund_id, "health_board")?;
    let mut all = Vec::with_capacity(rows.len());
    let mut by_year: BTreeMap<String, Vec<Rated>> = BTreeMap::new();
    let mut by_component: BTreeMap<String, Vec<Rated>> = Component::ALL
        .iter()
        .map(|c| (c.as_str().to_owned(), Vec::new()))
        .collect();
    let mut by_board: BTreeMap<String, Vec<Rated>> = HealthBoard::ALL
        .iter()
        .map(|b| (b.as_str().to_owned(), Vec::new()))
        .collect();
    by_board.insert(publication::MULTIPLE_BOARDS.to_owned(), Vec::new());
    for (application, component, day, ratings) in rows {
        let rated = ratings.rated();
        all.push(rated);
        let placed = Placement::new(
            component.as_str().to_owned(),
            day,
            boards.get(&application).map(Vec::as_slice),
        )?;
        by_year.entry(placed.year).or_default().push(rated);
        by_component
            .entry(placed.component)
            .or_default()
            .push(rated);
        by_board.entry(placed.board).or_default().push(rated);
    }
    let hidden = suppression::total_suppressed(all.len() as u64);
    Ok(FeedbackReport {
        fund_id,
        financial_year: year,
        suppressed: hidden,
        responses: (!hidden).then_some(all.len() as i64),
        statements: (!hidden).then(|| summarise(&all)),
        by_year: groups(by_year),
        by_component: groups(by_component),
        by_health_board: groups(by_board),
    })
}

#[cfg(test)]
mod tests {
    use super::split;
    use proptest::prelude::*;

    #[test]
    fn shares_are_equal_and_leftover_pennies_go_to_the_first() {
        assert_eq!(split(10_000, 3), [3_334, 3_333, 3_333]);
        assert_eq!(split(2, 3), [1, 1, 0]);
        assert_eq!(split(5, 1), [5]);
        assert!(split(5, 0).is_empty());
    }

    proptest! {
        #[test]
        fn shares_always_add_up_to_the_whole(pence in 0i64..10_000_000_000, n in 1usize..15) {
            let shares = split(pence, n);
            prop_assert_eq!(shares.iter().sum::<i64>(), pence);
            let (lo, hi) = (shares.iter().min().copied().unwrap_or(0), shares.iter().max().copied().unwrap_or(0));
            prop_assert!(hi - lo <= 1);
        }
    }
}
