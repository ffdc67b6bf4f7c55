//! Rounds and their criteria, assigning a round to assessors, and its ranking.

use actix_web::web;
use askama::Template;

use crate::applications::model::Application;
use crate::applications::service::{self as applications, ApplicationFilter};
use crate::assessment::model::BulkAssignment;
use crate::assessment::ranking::{self, Ranking};
use crate::assessment::service as assessment;
use crate::caller::CurrentUser;
use crate::permissions::Action;
use crate::portal::form::Form;
use crate::portal::public::LIST;
use crate::portal::{Layout, PageError, PageResult, Visitor, see_other};
use crate::rounds::model::{Criterion, CriterionInput, Round, RoundInput};
use crate::rounds::service as rounds;

use super::funds::load_fund;

/// `2026-12-01T09:00` from a date-and-time field, as the API's UTC time.
fn utc_time(text: &str) -> String {
    let text = text.trim();
    match text.len() {
        16 => format!("{text}:00Z"),
        19 => format!("{text}Z"),
        _ => text.to_owned(),
    }
}

pub(super) async fn create_round(v: Visitor, id: web::Path<i64>, body: web::Bytes) -> PageResult {
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
    let actor = user.clone();
    let status = match v
        .submit(&mut form, move |conn, now| {
            rounds::create(conn, now, &actor, id, &input)
        })
        .await?
    {
        Ok(round) => return Ok(see_other(&format!("/admin/rounds/{}", round.id))),
        Err(status) => status,
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

pub(super) async fn round_page(v: Visitor, id: web::Path<i64>) -> PageResult {
    let user = v.require(Action::ManageRounds)?;
    let page = load_round(&v, user, id.into_inner(), Form::new(), Form::new()).await?;
    Ok(v.page(&page))
}

pub(super) async fn add_criterion(v: Visitor, id: web::Path<i64>, body: web::Bytes) -> PageResult {
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
    let actor = user.clone();
    let status = match v
        .submit(&mut form, move |conn, now| {
            rounds::create_criterion(conn, now, &actor, id, &input)
        })
        .await?
    {
        Ok(_) => return Ok(see_other(&format!("/admin/rounds/{id}"))),
        Err(status) => status,
    };
    let page = load_round(&v, user, id, form, Form::new()).await?;
    Ok(v.with_status(status, &page))
}

pub(super) async fn assign_round(v: Visitor, id: web::Path<i64>, body: web::Bytes) -> PageResult {
    let user = v.require(Action::AssignAssessors)?;
    let mut form = v.form(&body)?;
    let id = id.into_inner();
    let per_application = form
        .whole_number(
            "assessors_per_application",
            "Enter how many assessors each application needs, like 2",
        )
        .unwrap_or(0);
    let request = BulkAssignment {
        assessors_per_application: per_application,
        assessor_ids: None,
    };
    let actor = user.clone();
    let status = match v
        .submit(&mut form, move |conn, now| {
            assessment::assign_round(conn, now, &actor, id, &request)
        })
        .await?
    {
        Ok(_) => return Ok(see_other(&format!("/admin/rounds/{id}"))),
        Err(status) => status,
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

pub(super) async fn ranking_page(v: Visitor, id: web::Path<i64>) -> PageResult {
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
