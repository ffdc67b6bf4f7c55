//! Applications: assigning assessors, deciding, and checking the organisation.

use std::collections::BTreeMap;

use actix_web::http::StatusCode;
use actix_web::web;
use askama::Template;
use serde::Deserialize;

use crate::applications::information::{self, InformationRequest, QuestionInput};
use crate::applications::model::Application;
use crate::applications::service::{self as applications, ApplicationFilter};
use crate::assessment::model::ApplicationAssessment;
use crate::assessment::scoring;
use crate::assessment::service as assessment;
use crate::awards::deciding;
use crate::awards::model::DecisionInput;
use crate::caller::CurrentUser;
use crate::domain::vocabulary::{ApplicationStatus, DecisionOutcome, Role};
use crate::funds::model::FundYear;
use crate::funds::service as funds;
use crate::organisations::model::Organisation;
use crate::organisations::service as organisations;
use crate::permissions::Action;
use crate::portal::form::{Choice, Form};
use crate::portal::public::LIST;
use crate::portal::{Layout, PageError, PageNumber, PageResult, Pager, Visitor, encode, see_other};
use crate::rounds::service as rounds;
use crate::users::api::User;
use crate::users::service as users;

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
pub(super) struct StatusQuery {
    status: Option<String>,
}

pub(super) async fn application_list(
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
    /// The award the application was given, if any.
    award: Option<i64>,
    /// The fund's questions to the applicant, and their answers.
    information: Vec<InformationRequest>,
    /// The form that asks one more.
    ask_form: Form,
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
    let (application, organisation, assessment, years, assessors, award, information) = v
        .read(move |conn| {
            let application = applications::get(conn, &user, id)?;
            let information = information::of_application(conn, &user, id)?;
            let organisation = organisations::get(conn, &user, application.organisation_id)?;
            let assessment = scoring::view(conn, &user, id)?;
            let round = rounds::get(conn, now, Some(&user), application.round_id)?;
            let years = funds::years(conn, &user, round.fund_id, LIST)?.items;
            let assessors: Vec<User> = users::list(conn, Some(Role::Assessor), LIST)?.items;
            let filter = crate::awards::reading::AwardFilter {
                fund_id: Some(round.fund_id),
                financial_year: None,
                status: None,
                organisation_id: Some(application.organisation_id),
            };
            let award = crate::awards::reading::list(conn, &user, &filter, LIST)?
                .items
                .into_iter()
                .find(|a| a.application_id == application.id)
                .map(|a| a.id);
            Ok((
                application,
                organisation,
                assessment,
                years,
                assessors,
                award,
                information,
            ))
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
        award,
        information,
        ask_form: Form::new(),
    })
}

pub(super) async fn application_page(v: Visitor, id: web::Path<i64>) -> PageResult {
    let user = v.require(Action::Decide)?;
    let page = load_application(&v, user, id.into_inner(), Form::new(), None).await?;
    Ok(v.page(&page))
}

/// Asks the applicant one more question, for the panel.
pub(super) async fn ask(v: Visitor, id: web::Path<i64>, body: web::Bytes) -> PageResult {
    let user = v.require(Action::AskForInformation)?;
    let mut form = v.form(&body)?;
    let id = id.into_inner();
    let input = QuestionInput {
        question: form.value("question").trim().to_owned(),
    };
    let actor = user.clone();
    let asked = v
        .change(&mut form, move |conn, now| {
            information::ask(conn, now, &actor, id, &input)
        })
        .await?;
    match asked {
        Ok(_) => Ok(see_other(&format!("/admin/applications/{id}#questions"))),
        Err(status) => {
            form.label("question", "The question");
            let mut page = load_application(&v, user, id, Form::new(), None).await?;
            page.ask_form = form;
            Ok(v.with_status(status, &page))
        }
    }
}

pub(super) async fn assign_one(v: Visitor, id: web::Path<i64>, body: web::Bytes) -> PageResult {
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

pub(super) async fn decide(v: Visitor, id: web::Path<i64>, body: web::Bytes) -> PageResult {
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

pub(super) async fn verify_organisation(
    v: Visitor,
    id: web::Path<i64>,
    body: web::Bytes,
) -> PageResult {
    let user = v.require(Action::VerifyOrganisation)?;
    let form = v.form(&body)?;
    let id = id.into_inner();
    let now = v.state.clock.now_naive();
    v.read(move |conn| organisations::verify(conn, now, &user, id))
        .await?;
    let back = crate::portal::session::local_path(form.value("back")).to_owned();
    Ok(see_other(&back))
}
