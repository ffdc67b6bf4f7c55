//! The shapes of the reports on a fund, as the API and the portal show them.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::domain::vocabulary::{Component, HealthBoard, TargetGroup};
use crate::domain::{FinancialYear, Money};
use crate::feedback::model::StatementSummary;

/// Money and counts for one slice of a fund.
#[derive(Clone, Debug, Default, Serialize, Deserialize, ToSchema)]
pub struct Figures {
    pub committed: Money,
    pub paid: Money,
    pub awards: i64,
    pub organisations: i64,
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct ComponentFigures {
    pub component: Component,
    pub committed: Money,
    pub paid: Money,
    pub awards: i64,
    pub organisations: i64,
}

/// One financial year, or the programme as a whole.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct YearSummary {
    /// `null` for the programme total.
    pub financial_year: Option<FinancialYear>,
    pub limit: Money,
    pub committed: Money,
    /// Authorised for payment and waiting for a payment run: part of `committed`, not of `paid`.
    pub authorised: Money,
    /// Paid: the lines of payment runs marked paid.
    pub paid: Money,
    /// `limit - committed`.
    pub remaining: Money,
    pub awards: i64,
    pub organisations: i64,
    /// Every component, zeros included.
    pub by_component: Vec<ComponentFigures>,
}

/// `GET /reports/funds/{id}/summary`.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct FundSummary {
    pub fund_id: i64,
    /// The year asked for, or `null` for every year.
    pub financial_year: Option<FinancialYear>,
    pub years: Vec<YearSummary>,
    /// The years above added up (one year's figures when a year was asked for).
    pub total: YearSummary,
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct BoardFigures {
    pub health_board: HealthBoard,
    pub name: String,
    /// The board's GSS code.
    pub gss_code: String,
    pub committed: Money,
    pub paid: Money,
    pub awards: i64,
    pub organisations: i64,
}

/// `GET /reports/funds/{id}/by-health-board`: all 14 boards, zeros included.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct ByHealthBoard {
    pub fund_id: i64,
    pub financial_year: Option<FinancialYear>,
    pub health_boards: Vec<BoardFigures>,
    pub total: Figures,
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct GroupFigures {
    pub target_group: TargetGroup,
    pub committed: Money,
    pub paid: Money,
    pub awards: i64,
    pub organisations: i64,
}

/// `GET /reports/funds/{id}/by-target-group`: every target group, zeros included.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct ByTargetGroup {
    pub fund_id: i64,
    pub financial_year: Option<FinancialYear>,
    pub target_groups: Vec<GroupFigures>,
    pub total: Figures,
}

/// People supported, from accepted periodic returns.
#[derive(Clone, Debug, Default, Serialize, Deserialize, ToSchema)]
pub struct People {
    pub women: i64,
    pub partners: i64,
    pub infants: i64,
    pub kinship_carers: i64,
    pub families: i64,
    /// First supported in the period: each person counts once.
    pub new: i64,
    /// Carried on from an earlier period.
    pub continuing: i64,
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct YearReach {
    pub financial_year: FinancialYear,
    pub accepted_returns: i64,
    pub people: People,
}

/// `GET /reports/funds/{id}/reach`.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct FundReach {
    pub fund_id: i64,
    /// The year asked for, or `null` for every year.
    pub financial_year: Option<FinancialYear>,
    pub years: Vec<YearReach>,
    /// The years above added up (one year's people when a year was asked for).
    pub total: People,
    /// The fund's reach target (women and families).
    pub target: i64,
    /// People newly supported, in total (in the year asked for): what counts towards the target.
    pub reached: i64,
    /// `reached / target × 100`, rounded half-up to one place.
    #[schema(example = "42.5")]
    pub percentage_of_target: String,
}

/// One group of feedback responses as officials see it.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct FeedbackGroup {
    pub group: String,
    /// True when the group has fewer than five responses, or would let one be worked out.
    pub suppressed: bool,
    pub responses: Option<i64>,
    pub statements: Option<Vec<StatementSummary>>,
}

/// `GET /reports/funds/{id}/feedback`: no free text; small groups suppressed.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct FeedbackReport {
    pub fund_id: i64,
    /// The year asked for, or `null` for every year: only responses that arrived in it count.
    pub financial_year: Option<FinancialYear>,
    pub suppressed: bool,
    pub responses: Option<i64>,
    pub statements: Option<Vec<StatementSummary>>,
    /// By the financial year the response arrived in.
    pub by_year: Vec<FeedbackGroup>,
    pub by_component: Vec<FeedbackGroup>,
    /// By the award's health board; awards covering several boards are the group
    /// `multiple_boards`, so that no response is counted twice.
    pub by_health_board: Vec<FeedbackGroup>,
}
