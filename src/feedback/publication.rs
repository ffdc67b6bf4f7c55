//! Publication of family feedback to officials, in batches.
//!
//! Suppressing small groups protects one reading of the report, not two: reading the feedback
//! report before and after a single family responds gives that family's four ratings as the
//! change in every distribution they fall in. So a response reaches the figures officials see
//! only when it is *published*, and responses are published in batches: a batch is a set of
//! unpublished responses of one fund that brings, to every group of the report it changes, at
//! least [`suppression::THRESHOLD`] new responses. Between any two readings each group's figures
//! therefore stay the same or move by at least that many responses, and the same holds for any
//! union of groups, such as the total less the groups shown.
//!
//! The groups are those the report shows, and those a report of one financial year shows: the
//! fund as a whole, each financial year, component and health board (or `multiple_boards`), and
//! each year's component and health board. After every response the largest batch that keeps the
//! rule is published at once (the rule is kept by unions, so there is one largest). A response
//! that cannot yet be published waits for others in its groups; one that never gets them, such
//! as the last few of a year that has ended, is never published, so published figures may
//! trail the responses received by a few in each group. The grant holder's own view of an award
//! reads every response, with the same threshold applied to each kind of respondent.
//!
//! Batches are taken one at a time per fund: the fund's feedback version row is locked before
//! the unpublished responses are read (on SQLite the write transaction already serialises), so
//! two responses arriving together never publish overlapping halves of a batch.

use std::collections::{HashMap, HashSet};

use chrono::NaiveDate;
use diesel::prelude::*;

use crate::db::DbConnection;
use crate::db::schema::{application_choices, awards, feedback_responses, report_versions, rounds};
use crate::domain::FinancialYear;
use crate::domain::suppression::THRESHOLD;
use crate::domain::vocabulary::{Component, HealthBoard};
use crate::error::ApiError;
use crate::report_cache::Figures;

/// The group name of responses to awards that cover more than one health board (or none).
pub const MULTIPLE_BOARDS: &str = "multiple_boards";

/// Where one response is counted in the officials' report.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Placement {
    /// The financial year it arrived in.
    pub year: String,
    pub component: String,
    /// The award's one health board, or [`MULTIPLE_BOARDS`].
    pub board: String,
}

impl Placement {
    /// Places a response to an award of `component` received on `day`, whose application
    /// covers `boards`.
    pub fn new(
        component: String,
        day: NaiveDate,
        boards: Option<&[HealthBoard]>,
    ) -> Result<Placement, ApiError> {
        let year = FinancialYear::containing(day).map_err(ApiError::internal)?;
        let board = match boards {
            Some([one]) => one.as_str().to_owned(),
            _ => MULTIPLE_BOARDS.to_owned(),
        };
        Ok(Placement {
            year: year.to_string(),
            component,
            board,
        })
    }

    /// Every group of the report, whole or of one year, that the response changes.
    fn groups(&self) -> [(&'static str, String); 6] {
        let Placement {
            year,
            component,
            board,
        } = self;
        [
            ("all", String::new()),
            ("financial_year", year.clone()),
            ("component", component.clone()),
            ("health_board", board.clone()),
            ("year_component", format!("{year}/{component}")),
            ("year_health_board", format!("{year}/{board}")),
        ]
    }
}

/// The health boards of each application, in the published order; values that are not boards
/// are left out, as the reports leave them out.
pub fn boards_of(
    conn: &mut DbConnection,
    applications: &[i64],
) -> Result<HashMap<i64, Vec<HealthBoard>>, ApiError> {
    let mut map: HashMap<i64, Vec<HealthBoard>> = HashMap::new();
    for chunk in applications.chunks(500) {
        let rows: Vec<(i64, String)> = application_choices::table
            .filter(application_choices::application_id.eq_any(chunk))
            .filter(application_choices::list.eq("health_board"))
            .select((
                application_choices::application_id,
                application_choices::value,
            ))
            .load(conn)?;
        for (id, value) in rows {
            if let Ok(board) = value.parse::<HealthBoard>() {
                map.entry(id).or_default().push(board);
            }
        }
    }
    for boards in map.values_mut() {
        boards.sort();
    }
    Ok(map)
}

/// Which of `placements` make up the largest batch: every group it touches gets at least
/// [`THRESHOLD`] of them. A response in a group that has fewer cannot be in any batch, so it is
/// dropped and the counts taken again, until none is dropped.
pub fn largest_batch(placements: &[Placement]) -> Vec<bool> {
    let groups: Vec<[(&'static str, String); 6]> =
        placements.iter().map(Placement::groups).collect();
    let mut chosen = vec![true; placements.len()];
    loop {
        let mut counts: HashMap<&(&'static str, String), u64> = HashMap::new();
        for (keys, _) in groups.iter().zip(&chosen).filter(|(_, c)| **c) {
            for key in keys {
                *counts.entry(key).or_default() += 1;
            }
        }
        let mut dropped = false;
        for (keys, chosen) in groups.iter().zip(chosen.iter_mut()) {
            if *chosen
                && keys
                    .iter()
                    .any(|k| counts.get(k).copied().unwrap_or(0) < THRESHOLD)
            {
                *chosen = false;
                dropped = true;
            }
        }
        if !dropped {
            return chosen;
        }
    }
}

/// Publishes the largest batch of the fund's unpublished responses, if there is one; true when
/// something was published (the caller then marks the fund's feedback figures changed). Call it
/// inside the transaction that records a response.
pub fn publish(conn: &mut DbConnection, fund_id: i64) -> Result<bool, ApiError> {
    let version = report_versions::table
        .find((fund_id, Figures::Feedback))
        .select(report_versions::version);
    match conn {
        DbConnection::Postgresql(c) => {
            version.for_update().first::<i64>(c).optional()?;
        }
        DbConnection::Sqlite(_) => {}
    }
    let pending: Vec<(i64, i64, Component, NaiveDate)> = feedback_responses::table
        .inner_join(awards::table.inner_join(rounds::table.on(rounds::id.eq(awards::round_id))))
        .filter(awards::fund_id.eq(fund_id))
        // As the partial index says it, so that both databases use it.
        .filter(diesel::dsl::not(feedback_responses::published))
        .select((
            feedback_responses::id,
            awards::application_id,
            rounds::component,
            feedback_responses::received_on,
        ))
        .load(conn)?;
    if (pending.len() as u64) < THRESHOLD {
        return Ok(false);
    }
    let applications: Vec<i64> = pending
        .iter()
        .map(|(_, application, _, _)| *application)
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    let boards = boards_of(conn, &applications)?;
    let placements = pending
        .iter()
        .map(|(_, application, component, day)| {
            Placement::new(
                component.as_str().to_owned(),
                *day,
                boards.get(application).map(Vec::as_slice),
            )
        })
        .collect::<Result<Vec<_>, ApiError>>()?;
    let batch: Vec<i64> = pending
        .iter()
        .zip(largest_batch(&placements))
        .filter(|(_, chosen)| *chosen)
        .map(|((id, ..), _)| *id)
        .collect();
    for chunk in batch.chunks(500) {
        diesel::update(feedback_responses::table.filter(feedback_responses::id.eq_any(chunk)))
            .set(feedback_responses::published.eq(true))
            .execute(conn)?;
    }
    Ok(!batch.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(component: &str, day: &str, board: HealthBoard) -> Placement {
        let day: NaiveDate = day.parse().expect("a date");
        Placement::new(component.to_owned(), day, Some(&[board])).expect("placed")
    }

    #[test]
    fn nothing_is_published_until_a_group_has_five() {
        let four = vec![at("core", "2021-06-01", HealthBoard::Fife); 4];
        assert_eq!(largest_batch(&four), [false; 4]);
        let five = vec![at("core", "2021-06-01", HealthBoard::Fife); 5];
        assert_eq!(largest_batch(&five), [true; 5]);
    }

    #[test]
    fn a_response_alone_in_any_group_waits_and_takes_nobody_with_it() {
        let mut items = vec![at("core", "2021-06-01", HealthBoard::Fife); 6];
        // Alone in its board, then alone in its component, then alone in its year.
        items.push(at("core", "2021-06-01", HealthBoard::Highland));
        items.push(at("innovation", "2021-06-01", HealthBoard::Fife));
        items.push(at("core", "2022-06-01", HealthBoard::Fife));
        let chosen = largest_batch(&items);
        assert_eq!(
            chosen,
            [true, true, true, true, true, true, false, false, false]
        );
    }

    #[test]
    fn dropping_one_response_can_drop_the_rest_of_its_groups() {
        // Five in Fife, but one of them is the only innovation response: without it Fife has
        // four, so nothing goes.
        let mut items = vec![at("core", "2021-06-01", HealthBoard::Fife); 4];
        items.push(at("innovation", "2021-06-01", HealthBoard::Fife));
        assert_eq!(largest_batch(&items), [false; 5]);
    }

    #[test]
    fn awards_on_several_boards_are_one_group() {
        let day: NaiveDate = "2021-06-01".parse().expect("a date");
        let both = [HealthBoard::Fife, HealthBoard::Lothian];
        let several = Placement::new("core".to_owned(), day, Some(&both)).expect("placed");
        let none = Placement::new("core".to_owned(), day, None).expect("placed");
        assert_eq!(several.board, MULTIPLE_BOARDS);
        assert_eq!(several, none);
    }
}
