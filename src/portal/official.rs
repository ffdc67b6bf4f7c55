//! The officials' dashboard: the fund's money by year, by health board and by group reached,
//! reach against the target, as charts and tables, with each report as a CSV download; for the
//! family fund, what it paid by unit, board, type of cost and year, small groups withheld.

use actix_web::web;
use askama::Template;
use serde::Deserialize;

use super::chart::{self, Bar};
use super::form::{Choice, Form, words};
use super::public::LIST;
use super::{Layout, PageResult, Visitor, pounds};
use crate::domain::vocabulary::FundKind;
use crate::error::ApiError;
use crate::family::report::{self as family_report, FamilyReport, PaidGroup};
use crate::funds::model::Fund;
use crate::funds::service as funds;
use crate::http::csv_response;
use crate::permissions::Action;
use crate::reports::model::{ByHealthBoard, ByTargetGroup, FundReach, FundSummary};
use crate::usecases::reports::{
    health_board_report, reach_report, summary_report, target_group_report,
};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/dashboard", web::get().to(dashboard))
        .route("/dashboard/{fund}/{report}.csv", web::get().to(download));
}

#[derive(Template)]
#[template(path = "portal/dashboard.html")]
struct Dashboard {
    layout: Layout,
    form: Form,
    funds: Vec<Choice>,
    fund: Option<Fund>,
    summary: Option<FundSummary>,
    boards: Option<ByHealthBoard>,
    groups: Option<ByTargetGroup>,
    reach: Option<FundReach>,
    /// A family-expenses fund's payments, by unit, board, expense and year.
    family: Option<FamilyReport>,
    charts: Charts,
}

impl Dashboard {
    /// The family report's groupings, each with its heading.
    fn family_groups(&self) -> Vec<(&'static str, &[PaidGroup])> {
        match &self.family {
            Some(r) => vec![
                ("By unit", r.by_unit.as_slice()),
                ("By the unit's NHS board", r.by_unit_board.as_slice()),
                ("By the family's home board", r.by_home_board.as_slice()),
                ("By type of cost", r.by_expense.as_slice()),
                ("By financial year", r.by_year.as_slice()),
            ],
            None => Vec::new(),
        }
    }
}

#[derive(Default)]
struct Charts {
    years: String,
    boards: String,
    groups: String,
    reach: String,
}

#[derive(Deserialize)]
struct DashboardQuery {
    fund: Option<i64>,
}

async fn dashboard(v: Visitor, query: web::Query<DashboardQuery>) -> PageResult {
    let user = v.require(Action::ReadReports)?;
    let reader = user.clone();
    let all: Vec<Fund> = v
        .read(move |conn| funds::list(conn, &reader, LIST))
        .await?
        .items;
    let fund = match query.fund {
        Some(id) => Some(
            all.iter()
                .find(|f| f.id == id)
                .cloned()
                .ok_or(ApiError::NotFound)?,
        ),
        // The family fund's own figures come with its claims; the dashboard opens on grants.
        None => all
            .iter()
            .find(|f| f.kind == FundKind::Grants)
            .or(all.first())
            .cloned(),
    };
    let mut form = Form::new();
    let mut page = Dashboard {
        layout: v.layout("Dashboard", "/dashboard"),
        form: Form::new(),
        funds: all
            .iter()
            .map(|f| Choice::new(f.id.to_string(), f.name.clone()))
            .collect(),
        fund: None,
        summary: None,
        boards: None,
        groups: None,
        reach: None,
        family: None,
        charts: Charts::default(),
    };
    if let Some(fund) = fund {
        form.set("fund", fund.id.to_string());
        let id = fund.id;
        let summary = summary_report(None)
            .read(&v.state, user.clone(), id)
            .await?;
        if fund.kind == FundKind::FamilyExpenses {
            let reader = user.clone();
            let family = v
                .read(move |conn| family_report::report(conn, &reader, id))
                .await?;
            page.charts.years = years_chart(&summary);
            page.layout = v.layout(format!("Dashboard: {}", fund.name), "/dashboard");
            page.fund = Some(fund);
            page.summary = Some(summary);
            page.family = Some(family);
            page.form = form;
            return Ok(v.page(&page));
        }
        let boards = health_board_report(None)
            .read(&v.state, user.clone(), id)
            .await?;
        let groups = target_group_report(None)
            .read(&v.state, user.clone(), id)
            .await?;
        let reach = reach_report(None).read(&v.state, user, id).await?;
        page.charts = Charts {
            years: years_chart(&summary),
            boards: chart::bars(
                "Committed by NHS health board",
                &boards
                    .health_boards
                    .iter()
                    .map(|b| Bar {
                        label: b.name.clone(),
                        value: b.committed.pence(),
                        shown: pounds(&b.committed),
                    })
                    .collect::<Vec<_>>(),
                None,
            ),
            groups: chart::bars(
                "Committed by group supported",
                &groups
                    .target_groups
                    .iter()
                    .map(|g| Bar {
                        label: words(g.target_group.as_str()),
                        value: g.committed.pence(),
                        shown: pounds(&g.committed),
                    })
                    .collect::<Vec<_>>(),
                None,
            ),
            reach: chart::bars(
                "Women and families reached against the target",
                &[Bar {
                    label: "Reached".to_owned(),
                    value: reach.reached,
                    shown: format!("{} ({}%)", reach.reached, reach.percentage_of_target),
                }],
                Some((reach.target, &format!("Target {}", reach.target))),
            ),
        };
        page.layout = v.layout(format!("Dashboard: {}", fund.name), "/dashboard");
        page.fund = Some(fund);
        page.summary = Some(summary);
        page.boards = Some(boards);
        page.groups = Some(groups);
        page.reach = Some(reach);
    }
    page.form = form;
    Ok(v.page(&page))
}

/// The fund's commitments against each year's limit.
fn years_chart(summary: &FundSummary) -> String {
    chart::bars(
        "Committed by financial year",
        &summary
            .years
            .iter()
            .map(|y| Bar {
                label: y
                    .financial_year
                    .map_or_else(|| "All years".to_owned(), |y| y.to_string()),
                value: y.committed.pence(),
                shown: format!("{} of {}", pounds(&y.committed), pounds(&y.limit)),
            })
            .collect::<Vec<_>>(),
        None,
    )
}

async fn download(v: Visitor, path: web::Path<(i64, String)>) -> PageResult {
    let user = v.require(Action::ReadReports)?;
    let (id, report) = path.into_inner();
    let state = &v.state;
    let (name, body) = match report.as_str() {
        "summary" => summary_report(None).csv(state, user, id).await?,
        "by-health-board" => health_board_report(None).csv(state, user, id).await?,
        "by-target-group" => target_group_report(None).csv(state, user, id).await?,
        "reach" => reach_report(None).csv(state, user, id).await?,
        "family" => {
            let found = v
                .read(move |conn| family_report::report(conn, &user, id))
                .await?;
            (
                format!("family-fund-{id}.csv"),
                family_report::to_csv(&found)?,
            )
        }
        _ => return Err(ApiError::NotFound.into()),
    };
    Ok(csv_response(&name, body))
}
