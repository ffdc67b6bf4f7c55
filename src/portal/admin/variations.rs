//! Deciding variations of awards: the queue of those asked, and the page that approves or
//! refuses one with a reason, beside the award as it stands.

use actix_web::http::StatusCode;
use actix_web::web;
use askama::Template;

use crate::awards::model::Award;
use crate::awards::model::variation::{Variation, VariationDecisionInput};
use crate::awards::reading as awards;
use crate::awards::variations;
use crate::caller::CurrentUser;
use crate::domain::vocabulary::VariationStatus;
use crate::permissions::Action;
use crate::portal::form::{Choice, Form};
use crate::portal::public::LIST;
use crate::portal::{Layout, PageError, PageResult, Visitor, see_other};
use crate::usecases::grant_cycle;

#[derive(Template)]
#[template(path = "portal/admin/variations.html")]
struct Variations {
    layout: Layout,
    variations: Vec<Variation>,
}

pub(super) async fn variation_list(v: Visitor) -> PageResult {
    let user = v.require(Action::DecideVariation)?;
    let list = v
        .read(move |conn| variations::list(conn, &user, Some(VariationStatus::Requested), LIST))
        .await?;
    Ok(v.page(&Variations {
        layout: v.layout("Variations to decide", "/admin/variations"),
        variations: list.items,
    }))
}

#[derive(Template)]
#[template(path = "portal/admin/variation.html")]
struct VariationPage {
    layout: Layout,
    item: Variation,
    award: Award,
    form: Form,
    outcomes: Vec<Choice>,
}

async fn load_variation(
    v: &Visitor,
    user: CurrentUser,
    id: i64,
    form: Form,
) -> Result<VariationPage, PageError> {
    let (item, award) = v
        .read(move |conn| {
            let item = variations::get(conn, &user, id)?;
            let award = awards::get(conn, &user, item.award_id)?;
            Ok((item, award))
        })
        .await?;
    Ok(VariationPage {
        layout: v.layout(
            format!("Variation of {}", item.award_reference),
            "/admin/variations",
        ),
        item,
        award,
        form,
        outcomes: vec![
            Choice::new("approve", "Approve it and change the grant"),
            Choice::new("refuse", "Refuse it"),
        ],
    })
}

pub(super) async fn variation_page(v: Visitor, id: web::Path<i64>) -> PageResult {
    let user = v.require(Action::DecideVariation)?;
    let page = load_variation(&v, user, id.into_inner(), Form::new()).await?;
    Ok(v.page(&page))
}

pub(super) async fn decide_variation(
    v: Visitor,
    id: web::Path<i64>,
    body: web::Bytes,
) -> PageResult {
    let user = v.require(Action::DecideVariation)?;
    let mut form = v.form(&body)?;
    let id = id.into_inner();
    let approve = match form.value("decision") {
        "approve" => Some(true),
        "refuse" => Some(false),
        _ => {
            form.reject("decision", "Choose to approve or refuse the variation");
            None
        }
    };
    let status = match approve {
        None => StatusCode::UNPROCESSABLE_ENTITY,
        Some(approve) => {
            let input = VariationDecisionInput {
                reason: form.value("reason").to_owned(),
            };
            let actor = user.clone();
            match v
                .change(&mut form, move |conn, now| {
                    if approve {
                        grant_cycle::approve_variation(conn, now, &actor, id, &input)
                    } else {
                        variations::refuse(conn, now, &actor, id, &input)
                    }
                })
                .await?
            {
                Ok(_) => return Ok(see_other("/admin/variations")),
                Err(status) => status,
            }
        }
    };
    let page = load_variation(&v, user, id, form).await?;
    Ok(v.with_status(status, &page))
}
