//! Reviewing monitoring returns.

use actix_web::http::StatusCode;
use actix_web::web;
use askama::Template;

use crate::caller::CurrentUser;
use crate::domain::vocabulary::{ReturnStatus, ReviewOutcome};
use crate::monitoring::model::{MonitoringReturn, ReviewInput};
use crate::monitoring::service::{self as monitoring, ReturnFilter};
use crate::permissions::Action;
use crate::portal::form::{Choice, Form};
use crate::portal::public::LIST;
use crate::portal::{Layout, PageError, PageResult, Visitor, see_other};
use crate::usecases::grant_cycle;

#[derive(Template)]
#[template(path = "portal/admin/returns.html")]
struct Returns {
    layout: Layout,
    returns: Vec<MonitoringReturn>,
}

pub(super) async fn return_list(v: Visitor) -> PageResult {
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

pub(super) async fn return_page(v: Visitor, id: web::Path<i64>) -> PageResult {
    let user = v.require(Action::ReviewReturn)?;
    let page = load_return(&v, user, id.into_inner(), Form::new()).await?;
    Ok(v.page(&page))
}

pub(super) async fn review_return(v: Visitor, id: web::Path<i64>, body: web::Bytes) -> PageResult {
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
