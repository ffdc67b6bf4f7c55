//! A fund's reports for officials and administrators, read through the copies kept until the
//! fund's figures of their kind change: the one path for the API and the portal's dashboard.

use crate::caller::CurrentUser;
use crate::db::DbConnection;
use crate::domain::FinancialYear;
use crate::error::ApiError;
use crate::permissions::Action;
use crate::report_cache::Figures;
use crate::reports::csv_out;
use crate::reports::funds;
use crate::reports::model::{ByHealthBoard, ByTargetGroup, FeedbackReport, FundReach, FundSummary};
use crate::state::AppState;

/// One of a fund's reports: what it is called, which figures it shows, how it is computed and
/// written as CSV.
pub(crate) struct Report<T> {
    name: &'static str,
    figures: Figures,
    /// The year asked for, for the reports that take one.
    year: Option<FinancialYear>,
    compute: fn(&mut DbConnection, i64, Option<FinancialYear>) -> Result<T, ApiError>,
    to_csv: fn(&T) -> Result<Vec<u8>, ApiError>,
}

impl<T: serde::Serialize + Clone + Send + Sync + 'static> Report<T> {
    /// Reads the report for an official or administrator, kept until the fund's figures of its
    /// kind change: the one path for the API and the portal's dashboard.
    pub(crate) async fn read(
        &self,
        state: &AppState,
        user: CurrentUser,
        id: i64,
    ) -> Result<T, ApiError> {
        let (name, figures, year, compute) = (self.name, self.figures, self.year, self.compute);
        let key = match year {
            Some(year) => format!("{name}/{year}"),
            None => name.to_owned(),
        };
        let cache = state.reports.clone();
        state
            .db
            .run(move |conn| {
                user.require(Action::ReadReports)?;
                cache.get_or_compute(conn, id, figures, key, |conn| compute(conn, id, year))
            })
            .await
    }

    /// The report as a CSV file, as the API answers it: its file name and its bytes.
    pub(crate) async fn csv(
        &self,
        state: &AppState,
        user: CurrentUser,
        id: i64,
    ) -> Result<(String, Vec<u8>), ApiError> {
        let report = self.read(state, user, id).await?;
        Ok((self.file_name(id), (self.to_csv)(&report)?))
    }

    /// The report over every year as the open data publishes it, for anyone: JSON or CSV.
    pub(crate) fn published(
        &self,
        conn: &mut DbConnection,
        id: i64,
        csv: bool,
    ) -> Result<Vec<u8>, ApiError> {
        let report = (self.compute)(conn, id, None)?;
        if csv {
            (self.to_csv)(&report)
        } else {
            serde_json::to_vec(&report).map_err(ApiError::internal)
        }
    }

    /// The file name of the report's CSV download.
    fn file_name(&self, id: i64) -> String {
        format!("fund-{id}-{}.csv", self.name)
    }
}

/// The money summary report.
pub(crate) fn summary_report(year: Option<FinancialYear>) -> Report<FundSummary> {
    Report {
        name: "summary",
        figures: Figures::Money,
        year,
        compute: funds::summary,
        to_csv: csv_out::summary,
    }
}

/// The money by health board report.
pub(crate) fn health_board_report(year: Option<FinancialYear>) -> Report<ByHealthBoard> {
    Report {
        name: "by-health-board",
        figures: Figures::Money,
        year,
        compute: funds::by_health_board,
        to_csv: csv_out::by_health_board,
    }
}

/// The money by target group report.
pub(crate) fn target_group_report(year: Option<FinancialYear>) -> Report<ByTargetGroup> {
    Report {
        name: "by-target-group",
        figures: Figures::Money,
        year,
        compute: funds::by_target_group,
        to_csv: csv_out::by_target_group,
    }
}

/// The reach report.
pub(crate) fn reach_report(year: Option<FinancialYear>) -> Report<FundReach> {
    Report {
        name: "reach",
        figures: Figures::Reach,
        year,
        compute: funds::reach,
        to_csv: csv_out::reach,
    }
}

/// The family feedback report.
pub(crate) fn feedback_report(year: Option<FinancialYear>) -> Report<FeedbackReport> {
    Report {
        name: "feedback",
        figures: Figures::Feedback,
        year,
        compute: funds::feedback,
        to_csv: csv_out::feedback,
    }
}
