//! The officials' dashboard: the fund's money by year, by health board and by group reached,
//! reach against the target, as charts and tables, with each report as a CSV download.

use actix_web::web;
use askama::Template;
use serde::Deserialize;

use super::chart::{self, Bar};
use super::form::{Choice, Form, words};
use super::public::LIST;
use super::{Layout, PageResult, Visitor, pounds};
use crate::domain::vocabulary::FundKind;
use crate::error::ApiError;
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
    charts: Charts,
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
        charts: Charts::default(),
    };
    if let Some(fund) = fund {
        form.set("fund", fund.id.to_string());
        let id = fund.id;
        let summary = summary_report(None)
            .read(&v.state, user.clone(), id)
            .await?;
        let boards = health_board_report(None)
            .read(&v.state, user.clone(), id)
            .await?;
        let groups = target_group_report(None)
            .read(&v.state, user.clone(), id)
            .await?;
        let reach = reach_report(None).read(&v.state, user, id).await?;
        page.charts = Charts {
            years: chart::bars(
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
            ),
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

async fn download(v: Visitor, path: web::Path<(i64, String)>) -> PageResult {
    let user = v.require(Action::ReadReports)?;
    let (id, report) = path.into_inner();
    let state = &v.state;
    let (name, body) = match report.as_str() {
        "summary" => summary_report(None).csv(state, user, id).await?,
        "by-health-board" => health_board_report(None).csv(state, user, id).await?,
        "by-target-group" => target_group_report(None).csv(state, user, id).await?,
        "reach" => reach_report(None).csv(state, user, id).await?,
        _ => return Err(ApiError::NotFound.into()),
    };
    Ok(csv_response(&name, body))
}
