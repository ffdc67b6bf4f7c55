//! Funds and the budget of their years.

use actix_web::http::StatusCode;
use actix_web::web;
use askama::Template;

use crate::caller::CurrentUser;
use crate::domain::vocabulary::{Component, FundKind, ReturnFrequency};
use crate::error::ApiError;
use crate::funds::model::{Fund, FundInput, FundYear, FundYearInput, OrganisationReference};
use crate::funds::service as funds;
use crate::permissions::Action;
use crate::portal::form::{Choice, Form};
use crate::portal::public::LIST;
use crate::portal::{Layout, PageError, PageResult, Visitor, see_other};
use crate::rounds::model::Round;
use crate::rounds::service::{self as rounds, RoundFilter};

#[derive(Template)]
#[template(path = "portal/admin/funds.html")]
struct Funds {
    layout: Layout,
    funds: Vec<Fund>,
    form: Form,
}

impl Funds {
    /// The two kinds of fund, as the form offers them.
    fn kinds(&self) -> Vec<Choice> {
        vec![
            Choice::new("grants", "Grants to organisations, who apply in rounds"),
            Choice::new(
                "family_expenses",
                "Families' expenses, paid back claim by claim",
            ),
        ]
    }
}

async fn load_funds(v: &Visitor, user: CurrentUser) -> Result<Vec<Fund>, ApiError> {
    Ok(v.read(move |conn| funds::list(conn, &user, LIST))
        .await?
        .items)
}

pub(super) async fn fund_list(v: Visitor) -> PageResult {
    let user = v.require(Action::ManageFunds)?;
    let funds = load_funds(&v, user).await?;
    Ok(v.page(&Funds {
        layout: v.layout("Funds", "/admin/funds"),
        funds,
        form: Form::new(),
    }))
}

pub(super) async fn create_fund(v: Visitor, body: web::Bytes) -> PageResult {
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
        kind: match form.value("kind") {
            "family_expenses" => FundKind::FamilyExpenses,
            _ => FundKind::Grants,
        },
    };
    let actor = user.clone();
    let status = match v
        .submit(&mut form, move |conn, now| {
            funds::create(conn, now, &actor, &input)
        })
        .await?
    {
        Ok(fund) => return Ok(see_other(&format!("/admin/funds/{}", fund.id))),
        Err(status) => status,
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
pub(super) struct FundPage {
    layout: Layout,
    fund: Fund,
    years: Vec<FundYear>,
    rounds: Vec<Round>,
    year_form: Form,
    round_form: Form,
    components: Vec<Choice>,
    frequencies: Vec<Choice>,
}

pub(super) async fn load_fund(
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

pub(super) async fn fund_page(v: Visitor, id: web::Path<i64>) -> PageResult {
    let user = v.require(Action::ManageFunds)?;
    let page = load_fund(&v, user, id.into_inner(), Form::new(), Form::new()).await?;
    Ok(v.page(&page))
}

pub(super) async fn set_year(v: Visitor, id: web::Path<i64>, body: web::Bytes) -> PageResult {
    let user = v.require(Action::ManageFunds)?;
    let mut form = v.form(&body)?;
    let id = id.into_inner();
    v.require_recent_factor(&user, &format!("/admin/funds/{id}"))?;
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
