//! Officials' reports are read far more often than the figures under them change, and at a
//! national programme's scale computing one takes tens of milliseconds. Each computed report is
//! kept with the version of the figures it shows: a counter per fund and kind of figures (money,
//! reach, feedback) that every transaction changing them bumps as its last statement
//! ([`changed`]). A request reads the version (one primary-key lookup) and is answered from
//! memory when it has not moved; family feedback moves only the feedback report, and only when a
//! batch of responses is published to it (`crate::feedback::publication`).
//!
//! The version is read before the report is computed, so a kept report is never older than its
//! version says; a change committed meanwhile moves the version and the next request computes
//! afresh. Bumping last, after every other lock the transaction takes, keeps the version row out
//! of any lock cycle. Instances sharing a database each keep their own copies and see the same
//! versions.

use std::any::Any;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use diesel::prelude::*;

use crate::db::DbConnection;
use crate::db::schema::report_versions;
use crate::db::text_enum::text_column;
use crate::domain::vocabulary::UnknownValue;
use crate::error::ApiError;

/// How many computed reports an instance keeps; past it, it starts again from empty.
const CAPACITY: usize = 1_024;

type Entry = (i64, Arc<dyn Any + Send + Sync>);
type Slot = (i64, Figures, String);

/// Computed reports by fund, kind and parameters, each with the version it was computed at.
#[derive(Default)]
pub struct ReportCache {
    entries: Mutex<HashMap<Slot, Entry>>,
}

/// What a report shows, each kind changed by its own events.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, diesel::AsExpression, diesel::FromSqlRow)]
#[diesel(sql_type = diesel::sql_types::Text)]
pub enum Figures {
    /// Limits, committed and paid: decisions, releases, give-backs, limits.
    Money,
    /// People reached and the target: accepted returns, the fund's target.
    Reach,
    /// Families' ratings: batches of responses published.
    Feedback,
}

impl Figures {
    const ALL: [Figures; 3] = [Figures::Money, Figures::Reach, Figures::Feedback];

    fn as_str(self) -> &'static str {
        match self {
            Figures::Money => "money",
            Figures::Reach => "reach",
            Figures::Feedback => "feedback",
        }
    }
}

impl std::str::FromStr for Figures {
    type Err = UnknownValue;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Figures::ALL
            .into_iter()
            .find(|f| f.as_str() == text)
            .ok_or(UnknownValue {
                expected: &["money", "reach", "feedback"],
            })
    }
}

text_column!(Figures);

/// Starts a fund's versions; called in the transaction that creates the fund.
pub fn start(conn: &mut DbConnection, fund_id: i64) -> Result<(), ApiError> {
    for figures in Figures::ALL {
        diesel::insert_into(report_versions::table)
            .values((
                report_versions::fund_id.eq(fund_id),
                report_versions::figures.eq(figures),
                report_versions::version.eq(0_i64),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// Marks the fund's figures of one kind as changed. Call it as the last statement of the
/// transaction that changes them.
pub fn changed(conn: &mut DbConnection, fund_id: i64, figures: Figures) -> Result<(), ApiError> {
    diesel::update(report_versions::table.find((fund_id, figures)))
        .set(report_versions::version.eq(report_versions::version + 1))
        .execute(conn)?;
    Ok(())
}

fn version(
    conn: &mut DbConnection,
    fund_id: i64,
    figures: Figures,
) -> Result<Option<i64>, ApiError> {
    Ok(report_versions::table
        .find((fund_id, figures.as_str()))
        .select(report_versions::version)
        .first(conn)
        .optional()?)
}

impl ReportCache {
    /// The report named `key` of `fund_id`: kept if the fund's figures have not changed since it
    /// was computed, else computed by `compute` and kept. The caller checks who may read it first.
    pub fn get_or_compute<T, F>(
        &self,
        conn: &mut DbConnection,
        fund_id: i64,
        figures: Figures,
        key: String,
        compute: F,
    ) -> Result<T, ApiError>
    where
        T: Clone + Send + Sync + 'static,
        F: FnOnce(&mut DbConnection) -> Result<T, ApiError>,
    {
        let Some(current) = version(conn, fund_id, figures)? else {
            // No such fund: `compute` answers with the 404.
            return compute(conn);
        };
        let slot = (fund_id, figures, key);
        if let Some(report) = self.kept(&slot, current) {
            return Ok(report);
        }
        let report = compute(conn)?;
        if let Ok(mut entries) = self.entries.lock() {
            if entries.len() >= CAPACITY {
                entries.clear();
            }
            entries.insert(slot, (current, Arc::new(report.clone())));
        }
        Ok(report)
    }

    fn kept<T: Clone + 'static>(&self, slot: &Slot, current: i64) -> Option<T> {
        let entries = self.entries.lock().ok()?;
        let (version, report) = entries.get(slot)?;
        if *version != current {
            return None;
        }
        report.downcast_ref::<T>().cloned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn figures_read_back_from_their_text() {
        for figures in Figures::ALL {
            assert_eq!(figures.as_str().parse::<Figures>(), Ok(figures));
        }
        assert!("budget".parse::<Figures>().is_err());
    }
}
