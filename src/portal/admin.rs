//! Pages for the fund administrator's staff: funds, years, rounds and criteria; assigning
//! assessors; the ranking with its funding line; decisions with each year's remaining budget in
//! view; reviewing returns; the outbox and the audit trail.

use std::collections::BTreeMap;

use actix_web::http::StatusCode;
use actix_web::web;
use askama::Template;
use serde::Deserialize;

use super::form::{Choice, Form};
use super::public::LIST;
use super::{Layout, PageError, PageNumber, PageResult, Pager, Visitor, encode, see_other};
use crate::applications::model::Application;
use crate::applications::service::{self as applications, ApplicationFilter};
use crate::assessment::model::{ApplicationAssessment, BulkAssignment};
use crate::assessment::ranking::{self, Ranking};
use crate::assessment::scoring;
use crate::assessment::service as assessment;
use crate::audit::{self, AuditEntry};
use crate::awards::deciding;
use crate::awards::model::DecisionInput;
use crate::caller::CurrentUser;
use crate::domain::vocabulary::{
    ApplicationStatus, Component, DecisionOutcome, ReturnFrequency, ReturnStatus, ReviewOutcome,
    Role,
};
use crate::email::outbox::{self, OutboxEntry};
use crate::error::ApiError;
use crate::funds::model::{Fund, FundInput, FundYear, FundYearInput, OrganisationReference};
use crate::funds::service as funds;
use crate::monitoring::model::{MonitoringReturn, ReviewInput};
use crate::monitoring::service::{self as monitoring, ReturnFilter};
use crate::organisations::model::Organisation;
use crate::organisations::service as organisations;
use crate::permissions::Action;
use crate::rounds::model::{Criterion, CriterionInput, Round, RoundInput};
use crate::rounds::service::{self as rounds, RoundFilter};
use crate::usecases::grant_cycle;
use crate::users::api::User;
use crate::users::service as users;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/admin/funds", web::get().to(fund_list))
        .route("/admin/funds", web::post().to(create_fund))
        .route("/admin/funds/{id}", web::get().to(fund_page))
        .route("/admin/funds/{id}/years", web::post().to(set_year))
        .route("/admin/funds/{id}/rounds", web::post().to(create_round))
        .route("/admin/rounds/{id}", web::get().to(round_page))
        .route("/admin/rounds/{id}/criteria", web::post().to(add_criterion))
        .route(
            "/admin/rounds/{id}/assignments",
            web::post().to(assign_round),
        )
        .route("/admin/rounds/{id}/ranking", web::get().to(ranking_page))
        .route("/admin/applications", web::get().to(application_list))
        .route("/admin/applications/{id}", web::get().to(application_page))
        .route(
            "/admin/applications/{id}/assignments",
            web::post().to(assign_one),
        )
        .route("/admin/applications/{id}/decision", web::post().to(decide))
        .route(
            "/admin/organisations/{id}/verify",
            web::post().to(verify_organisation),
        )
        .route("/admin/returns", web::get().to(return_list))
        .route("/admin/returns/{id}", web::get().to(return_page))
        .route("/admin/returns/{id}", web::post().to(review_return))
        .route("/admin/outbox", web::get().to(outbox_page))
        .route("/admin/audit", web::get().to(audit_page));
}

#[derive(Template)]
#[template(path = "portal/admin/funds.html")]
struct Funds {
    layout: Layout,
    funds: Vec<Fund>,
    form: Form,
}

async fn load_funds(v: &Visitor, user: CurrentUser) -> Result<Vec<Fund>, ApiError> {
    Ok(v.read(move |conn| funds::list(conn, &user, LIST))
        .await?
        .items)
}

async fn fund_list(v: Visitor) -> PageResult {
    let user = v.require(Action::ManageFunds)?;
    let funds = load_funds(&v, user).await?;
    Ok(v.page(&Funds {
        layout: v.layout("Funds", "/admin/funds"),
        funds,
        form: Form::new(),
    }))
}

async fn create_fund(v: Visitor, body: web::Bytes) -> PageResult {
    let user = v.require(Action::ManageFunds)?;
    let mut form = v.form(&body)?;
    let reach_target = form
        .whole_number("reach_target", "Enter the reach target as a whole number")
        .unwrap_or(-1);
    let input = FundInput {
        name: form.value("name").to_owned(),
        code: form.value("code").trim().to_owned(),
        funder: OrganisationReference {
            name: form.value("funder.name").to_owned(),
            org_id: form.value("funder.org_id").trim().to_owned(),
        },
        administrator: OrganisationReference {
            name: form.value("administrator.name").to_owned(),
            org_id: form.value("administrator.org_id").trim().to_owned(),
        },
        currency: "GBP".to_owned(),
        programme_start: form.value("programme_start").trim().to_owned(),
        programme_end: form.value("programme_end").trim().to_owned(),
        reach_target,
    };
    let status = if form.failed() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        let actor = user.clone();
        match v
            .change(&mut form, move |conn, now| {
                funds::create(conn, now, &actor, &input)
            })
            .await?
        {
            Ok(fund) => return Ok(see_other(&format!("/admin/funds/{}", fund.id))),
            Err(status) => status,
        }
    };
    let funds = load_funds(&v, user).await?;
    Ok(v.with_status(
        status,
        &Funds {
            layout: v.layout("Funds", "/admin/funds"),
            funds,
            form,
        },
    ))
}

#[derive(Template)]
#[template(path = "portal/admin/fund.html")]
struct FundPage {
    layout: Layout,
    fund: Fund,
    years: Vec<FundYear>,
    rounds: Vec<Round>,
    year_form: Form,
    round_form: Form,
    components: Vec<Choice>,
    frequencies: Vec<Choice>,
}

async fn load_fund(
    v: &Visitor,
    user: CurrentUser,
    id: i64,
    year_form: Form,
    round_form: Form,
) -> Result<FundPage, PageError> {
    let now = v.state.clock.now_naive();
    let (fund, years, list) = v
        .read(move |conn| {
            let fund = funds::get(conn, &user, id)?;
            let years = funds::years(conn, &user, id, LIST)?.items;
            let filter = RoundFilter {
                fund_id: Some(id),
                component: None,
                status: None,
            };
            let list = rounds::list(conn, now, Some(&user), &filter, LIST)?.items;
            Ok((fund, years, list))
        })
        .await?;
    Ok(FundPage {
        layout: v.layout(fund.name.clone(), "/admin/funds"),
        fund,
        years,
        rounds: list,
        year_form,
        round_form,
        components: Choice::all(Component::ALL),
        frequencies: Choice::all(ReturnFrequency::ALL),
    })
}

async fn fund_page(v: Visitor, id: web::Path<i64>) -> PageResult {
    let user = v.require(Action::ManageFunds)?;
    let page = load_fund(&v, user, id.into_inner(), Form::new(), Form::new()).await?;
    Ok(v.page(&page))
}

async fn set_year(v: Visitor, id: web::Path<i64>, body: web::Bytes) -> PageResult {
    let user = v.require(Action::ManageFunds)?;
    let mut form = v.form(&body)?;
    let id = id.into_inner();
    let year = form.value("financial_year").trim().to_owned();
    let input = FundYearInput {
        limit: form.amount("limit"),
        approved: form.has("approved", "true"),
    };
    let now = v.state.clock.now_naive();
    let actor = user.clone();
    let status = match v
        .read(move |conn| funds::set_year(conn, now, &actor, id, &year, &input))
        .await
    {
        Ok(_) => return Ok(see_other(&format!("/admin/funds/{id}"))),
        Err(ApiError::NotFound) => {
            form.reject("financial_year", "Enter a financial year like 2026-27");
            StatusCode::UNPROCESSABLE_ENTITY
        }
        Err(error) => form.refused(error)?,
    };
    let page = load_fund(&v, user, id, form, Form::new()).await?;
    Ok(v.with_status(status, &page))
}

/// `2026-12-01T09:00` from a date-and-time field, as the API's UTC time.
fn utc_time(text: &str) -> String {
    let text = text.trim();
    match text.len() {
        16 => format!("{text}:00Z"),
        19 => format!("{text}Z"),
        _ => text.to_owned(),
    }
}

async fn create_round(v: Visitor, id: web::Path<i64>, body: web::Bytes) -> PageResult {
    let user = v.require(Action::ManageRounds)?;
    let mut form = v.form(&body)?;
    let id = id.into_inner();
    let assessments_required =
        form.whole_number("assessments_required", "Enter a whole number, like 2");
    let input = RoundInput {
        name: form.value("name").to_owned(),
        component: form.value("component").to_owned(),
        opens_at: utc_time(form.value("opens_at")),
        closes_at: utc_time(form.value("closes_at")),
        financial_years: form
            .value("financial_years")
            .split([',', ' '])
            .filter(|y| !y.is_empty())
            .map(str::to_owned)
            .collect(),
        min_request: form.amount("min_request"),
        max_request: form.amount("max_request"),
        max_applicant_income: form.optional_amount("max_applicant_income"),
        assessments_required,
        return_frequency: form.value("return_frequency").to_owned(),
        guidance: form.optional("guidance"),
    };
    let status = if form.failed() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        let actor = user.clone();
        match v
            .change(&mut form, move |conn, now| {
                rounds::create(conn, now, &actor, id, &input)
            })
            .await?
        {
            Ok(round) => return Ok(see_other(&format!("/admin/rounds/{}", round.id))),
            Err(status) => status,
        }
    };
    let page = load_fund(&v, user, id, Form::new(), form).await?;
    Ok(v.with_status(status, &page))
}

#[derive(Template)]
#[template(path = "portal/admin/round.html")]
struct RoundPage {
    layout: Layout,
    round: Round,
    criteria: Vec<Criterion>,
    applications: Vec<Application>,
    form: Form,
    assign_form: Form,
}

async fn load_round(
    v: &Visitor,
    user: CurrentUser,
    id: i64,
    form: Form,
    assign_form: Form,
) -> Result<RoundPage, PageError> {
    let now = v.state.clock.now_naive();
    let (round, criteria, list) = v
        .read(move |conn| {
            let round = rounds::get(conn, now, Some(&user), id)?;
            let criteria = rounds::list_criteria(conn, now, Some(&user), id, LIST)?.items;
            let filter = ApplicationFilter {
                round_id: Some(id),
                status: None,
                organisation_id: None,
            };
            let list = applications::list(conn, &user, &filter, LIST)?.items;
            Ok((round, criteria, list))
        })
        .await?;
    Ok(RoundPage {
        layout: v.layout(round.name.clone(), "/admin/funds"),
        round,
        criteria,
        applications: list,
        form,
        assign_form,
    })
}

async fn round_page(v: Visitor, id: web::Path<i64>) -> PageResult {
    let user = v.require(Action::ManageRounds)?;
    let page = load_round(&v, user, id.into_inner(), Form::new(), Form::new()).await?;
    Ok(v.page(&page))
}

async fn add_criterion(v: Visitor, id: web::Path<i64>, body: web::Bytes) -> PageResult {
    let user = v.require(Action::ManageRounds)?;
    let mut form = v.form(&body)?;
    let id = id.into_inner();
    let max_score = form
        .whole_number("max_score", "Enter the top score as a whole number, like 5")
        .unwrap_or(-1);
    let input = CriterionInput {
        name: form.value("name").to_owned(),
        guidance: form.optional("guidance"),
        weight: form.value("weight").trim().to_owned(),
        max_score,
    };
    let status = if form.failed() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        let actor = user.clone();
        match v
            .change(&mut form, move |conn, now| {
                rounds::create_criterion(conn, now, &actor, id, &input)
            })
            .await?
        {
            Ok(_) => return Ok(see_other(&format!("/admin/rounds/{id}"))),
            Err(status) => status,
        }
    };
    let page = load_round(&v, user, id, form, Form::new()).await?;
    Ok(v.with_status(status, &page))
}

async fn assign_round(v: Visitor, id: web::Path<i64>, body: web::Bytes) -> PageResult {
    let user = v.require(Action::AssignAssessors)?;
    let mut form = v.form(&body)?;
    let id = id.into_inner();
    let per_application = form
        .whole_number(
            "assessors_per_application",
            "Enter how many assessors each application needs, like 2",
        )
        .unwrap_or(0);
    let status = if form.failed() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        let request = BulkAssignment {
            assessors_per_application: per_application,
            assessor_ids: None,
        };
        let actor = user.clone();
        match v
            .change(&mut form, move |conn, now| {
                assessment::assign_round(conn, now, &actor, id, &request)
            })
            .await?
        {
            Ok(_) => return Ok(see_other(&format!("/admin/rounds/{id}"))),
            Err(status) => status,
        }
    };
    let page = load_round(&v, user, id, Form::new(), form).await?;
    Ok(v.with_status(status, &page))
}

#[derive(Template)]
#[template(path = "portal/admin/ranking.html")]
struct RankingPage {
    layout: Layout,
    round: Round,
    ranking: Ranking,
}

async fn ranking_page(v: Visitor, id: web::Path<i64>) -> PageResult {
    let user = v.require(Action::ReadRanking)?;
    let id = id.into_inner();
    let now = v.state.clock.now_naive();
    let (round, ranking) = v
        .read(move |conn| {
            Ok((
                rounds::get(conn, now, Some(&user), id)?,
                ranking::ranking(conn, &user, id)?,
            ))
        })
        .await?;
    Ok(v.page(&RankingPage {
        layout: v.layout(format!("Ranking: {}", round.name), "/admin/funds"),
        round,
        ranking,
    }))
}

#[derive(Template)]
#[template(path = "portal/admin/applications.html")]
struct Applications {
    layout: Layout,
    applications: Vec<Application>,
    form: Form,
    statuses: Vec<Choice>,
    pager: Pager,
}

#[derive(Deserialize)]
struct StatusQuery {
    status: Option<String>,
}

async fn application_list(
    v: Visitor,
    query: web::Query<StatusQuery>,
    number: web::Query<PageNumber>,
) -> PageResult {
    let user = v.require(Action::Decide)?;
    let status = query
        .into_inner()
        .status
        .and_then(|s| s.parse::<ApplicationStatus>().ok());
    let mut form = Form::new();
    if let Some(status) = status {
        form.set("status", status.as_str());
    }
    let filter = ApplicationFilter {
        round_id: None,
        status,
        organisation_id: None,
    };
    let page = number.page();
    let list = v
        .read(move |conn| applications::list(conn, &user, &filter, page))
        .await?;
    let mut statuses = vec![Choice::new("", "Any status")];
    statuses.extend(Choice::all(ApplicationStatus::ALL));
    let base = match status {
        Some(status) => format!("/admin/applications?status={}&", encode(status.as_str())),
        None => "/admin/applications?".to_owned(),
    };
    Ok(v.page(&Applications {
        layout: v.layout("Applications", "/admin/applications"),
        pager: Pager::new(&list, base),
        applications: list.items,
        form,
        statuses,
    }))
}

#[derive(Template)]
#[template(path = "portal/admin/application.html")]
struct ApplicationPage {
    layout: Layout,
    application: Application,
    organisation: Organisation,
    assessment: ApplicationAssessment,
    years: Vec<FundYear>,
    assessors: Vec<Choice>,
    assign_form: Form,
    form: Form,
    outcomes: Vec<Choice>,
}

impl ApplicationPage {
    fn decidable(&self) -> bool {
        self.application.status == ApplicationStatus::Submitted
    }
}

async fn load_application(
    v: &Visitor,
    user: CurrentUser,
    id: i64,
    assign_form: Form,
    form: Option<Form>,
) -> Result<ApplicationPage, PageError> {
    let now = v.state.clock.now_naive();
    let (application, organisation, assessment, years, assessors) = v
        .read(move |conn| {
            let application = applications::get(conn, &user, id)?;
            let organisation = organisations::get(conn, &user, application.organisation_id)?;
            let assessment = scoring::view(conn, &user, id)?;
            let round = rounds::get(conn, now, Some(&user), application.round_id)?;
            let years = funds::years(conn, &user, round.fund_id, LIST)?.items;
            let assessors: Vec<User> = users::list(conn, Some(Role::Assessor), LIST)?.items;
            Ok((application, organisation, assessment, years, assessors))
        })
        .await?;
    let mut form = form.unwrap_or_else(|| {
        let mut form = Form::new();
        for (year, amount) in &application.requested {
            form.set(&format!("amounts.{year}"), amount.to_string());
        }
        form
    });
    // A rule about the award as a whole is shown at its first year's amount.
    if let Some(first) = application.requested.keys().next() {
        form.move_error("amounts", &format!("amounts.{first}"));
    }
    Ok(ApplicationPage {
        layout: v.layout(application.title.clone(), "/admin/applications"),
        assessors: assessors
            .into_iter()
            .filter(|u| u.active)
            .map(|u| Choice::new(u.id.to_string(), format!("{} ({})", u.name, u.email)))
            .collect(),
        application,
        organisation,
        assessment,
        years,
        assign_form,
        form,
        outcomes: vec![
            Choice::new("award", "Award a grant"),
            Choice::new("decline", "Decline the application"),
        ],
    })
}

async fn application_page(v: Visitor, id: web::Path<i64>) -> PageResult {
    let user = v.require(Action::Decide)?;
    let page = load_application(&v, user, id.into_inner(), Form::new(), None).await?;
    Ok(v.page(&page))
}

async fn assign_one(v: Visitor, id: web::Path<i64>, body: web::Bytes) -> PageResult {
    let user = v.require(Action::AssignAssessors)?;
    let mut form = v.form(&body)?;
    let id = id.into_inner();
    let status = match form.choice::<i64>("assessor_id", "Choose an assessor") {
        None => StatusCode::UNPROCESSABLE_ENTITY,
        Some(assessor_id) => {
            let actor = user.clone();
            match v
                .change(&mut form, move |conn, now| {
                    assessment::assign(conn, now, &actor, id, assessor_id)
                })
                .await?
            {
                Ok(_) => return Ok(see_other(&format!("/admin/applications/{id}"))),
                Err(status) => status,
            }
        }
    };
    let page = load_application(&v, user, id, form, None).await?;
    Ok(v.with_status(status, &page))
}

async fn decide(v: Visitor, id: web::Path<i64>, body: web::Bytes) -> PageResult {
    let user = v.require(Action::Decide)?;
    let mut form = v.form(&body)?;
    let id = id.into_inner();
    let decision = match form.value("decision") {
        "award" => Some(DecisionOutcome::Award),
        "decline" => Some(DecisionOutcome::Decline),
        _ => None,
    };
    let status = match decision {
        None => {
            form.reject(
                "decision",
                "Choose to award a grant or decline the application",
            );
            StatusCode::UNPROCESSABLE_ENTITY
        }
        Some(decision) => {
            let amounts: BTreeMap<String, String> = if decision == DecisionOutcome::Award {
                let prefix = "amounts.";
                form.names()
                    .into_iter()
                    .filter_map(|name| name.strip_prefix(prefix).map(str::to_owned))
                    .filter_map(|year| {
                        form.optional_amount(&format!("{prefix}{year}"))
                            .map(|amount| (year, amount))
                    })
                    .collect()
            } else {
                BTreeMap::new()
            };
            let input = DecisionInput {
                decision,
                amounts: (decision == DecisionOutcome::Award).then_some(amounts),
                conditions: form.optional("conditions"),
                feedback: form.optional("feedback"),
            };
            let actor = user.clone();
            match v
                .change(&mut form, move |conn, now| {
                    deciding::decide(conn, now, &actor, id, &input)
                })
                .await?
            {
                Ok(_) => return Ok(see_other(&format!("/admin/applications/{id}"))),
                Err(status) => status,
            }
        }
    };
    let page = load_application(&v, user, id, Form::new(), Some(form)).await?;
    Ok(v.with_status(status, &page))
}

async fn verify_organisation(v: Visitor, id: web::Path<i64>, body: web::Bytes) -> PageResult {
    let user = v.require(Action::VerifyOrganisation)?;
    let form = v.form(&body)?;
    let id = id.into_inner();
    let now = v.state.clock.now_naive();
    v.read(move |conn| organisations::verify(conn, now, &user, id))
        .await?;
    let back = super::session::local_path(form.value("back")).to_owned();
    Ok(see_other(&back))
}

#[derive(Template)]
#[template(path = "portal/admin/returns.html")]
struct Returns {
    layout: Layout,
    returns: Vec<MonitoringReturn>,
}

async fn return_list(v: Visitor) -> PageResult {
    let user = v.require(Action::ReviewReturn)?;
    let today = v.state.clock.now_naive().date();
    let filter = ReturnFilter {
        status: Some(ReturnStatus::Submitted),
        due_before: None,
        fund_id: None,
        award_id: None,
    };
    let list = v
        .read(move |conn| monitoring::list(conn, &user, &filter, LIST, today))
        .await?;
    Ok(v.page(&Returns {
        layout: v.layout("Returns to review", "/admin/returns"),
        returns: list.items,
    }))
}

#[derive(Template)]
#[template(path = "portal/admin/return.html")]
struct ReturnPage {
    layout: Layout,
    item: MonitoringReturn,
    form: Form,
    outcomes: Vec<Choice>,
}

async fn load_return(
    v: &Visitor,
    user: CurrentUser,
    id: i64,
    form: Form,
) -> Result<ReturnPage, PageError> {
    let today = v.state.clock.now_naive().date();
    let item = v
        .read(move |conn| monitoring::get(conn, &user, id, today))
        .await?;
    Ok(ReturnPage {
        layout: v.layout("Review a return", "/admin/returns"),
        item,
        form,
        outcomes: vec![
            Choice::new(ReviewOutcome::Accepted.as_str(), "Accept the return"),
            Choice::new(ReviewOutcome::ChangesRequested.as_str(), "Ask for changes"),
        ],
    })
}

async fn return_page(v: Visitor, id: web::Path<i64>) -> PageResult {
    let user = v.require(Action::ReviewReturn)?;
    let page = load_return(&v, user, id.into_inner(), Form::new()).await?;
    Ok(v.page(&page))
}

async fn review_return(v: Visitor, id: web::Path<i64>, body: web::Bytes) -> PageResult {
    let user = v.require(Action::ReviewReturn)?;
    let mut form = v.form(&body)?;
    let id = id.into_inner();
    let status = match form
        .choice::<ReviewOutcome>("outcome", "Choose to accept the return or ask for changes")
    {
        None => StatusCode::UNPROCESSABLE_ENTITY,
        Some(outcome) => {
            let input = ReviewInput {
                outcome,
                comment: form.optional("comment"),
            };
            let actor = user.clone();
            match v
                .change(&mut form, move |conn, now| {
                    grant_cycle::review_return(conn, now, &actor, id, &input)
                })
                .await?
            {
                Ok(_) => return Ok(see_other("/admin/returns")),
                Err(status) => status,
            }
        }
    };
    let page = load_return(&v, user, id, form).await?;
    Ok(v.with_status(status, &page))
}

#[derive(Template)]
#[template(path = "portal/admin/outbox.html")]
struct Outbox {
    layout: Layout,
    entries: Vec<OutboxEntry>,
    pager: Pager,
}

async fn outbox_page(v: Visitor, number: web::Query<PageNumber>) -> PageResult {
    v.require(Action::ReadOutbox)?;
    let page = number.page();
    let list = v.read(move |conn| outbox::list(conn, None, page)).await?;
    Ok(v.page(&Outbox {
        layout: v.layout("Outbox", "/admin/outbox"),
        pager: Pager::new(&list, "/admin/outbox?"),
        entries: list.items,
    }))
}

#[derive(Template)]
#[template(path = "portal/admin/audit.html")]
struct Audit {
    layout: Layout,
    entries: Vec<AuditEntry>,
    pager: Pager,
}

async fn audit_page(v: Visitor, number: web::Query<PageNumber>) -> PageResult {
    v.require(Action::ReadAuditLog)?;
    let page = number.page();
    let list = v
        .read(move |conn| audit::list(conn, None, None, page))
        .await?;
    Ok(v.page(&Audit {
        layout: v.layout("Audit trail", "/admin/audit"),
        pager: Pager::new(&list, "/admin/audit?"),
        entries: list.items,
    }))
}
