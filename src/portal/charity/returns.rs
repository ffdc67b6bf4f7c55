//! Monitoring returns.

use actix_web::http::StatusCode;
use actix_web::web;
use askama::Template;

use crate::monitoring::model::{MonitoringReturn, Reached, ReturnPatch};
use crate::monitoring::service as monitoring;
use crate::permissions::Action;
use crate::portal::form::Form;
use crate::portal::{Layout, PageResult, Visitor, see_other};

use super::applications::{Done, count};

#[derive(Template)]
#[template(path = "portal/return.html")]
struct ReturnPage {
    layout: Layout,
    form: Form,
    item: MonitoringReturn,
    reach: [(&'static str, &'static str); 7],
}

const RETURN_REACH: [(&str, &str); 7] = [
    ("women", "Women and birthing parents"),
    ("partners", "Fathers and partners"),
    ("infants", "Infants"),
    ("kinship_carers", "Kinship carers"),
    ("families", "Families"),
    ("new", "People new to the service in the period"),
    ("continuing", "People who continued from an earlier period"),
];

fn return_form(item: &MonitoringReturn) -> Form {
    let mut form = Form::new();
    if let Some(spend) = item.spend {
        form.set("spend", spend.to_string());
    }
    let r = &item.reached;
    for (name, value) in [
        ("women", r.women),
        ("partners", r.partners),
        ("infants", r.infants),
        ("kinship_carers", r.kinship_carers),
        ("families", r.families),
        ("new", r.new),
        ("continuing", r.continuing),
    ] {
        if let Some(n) = value {
            form.set(&format!("reached.{name}"), n.to_string());
        }
    }
    for (name, value) in [
        ("sessions", item.sessions),
        ("peer_supporters", item.peer_supporters),
        ("volunteers", item.volunteers),
    ] {
        if let Some(n) = value {
            form.set(name, n.to_string());
        }
    }
    form.set("outcomes", item.outcomes.clone().unwrap_or_default());
    form.set("case_study", item.case_study.clone().unwrap_or_default());
    form.set("challenges", item.challenges.clone().unwrap_or_default());
    form
}

pub(super) async fn return_page(
    v: Visitor,
    id: web::Path<i64>,
    done: web::Query<Done>,
) -> PageResult {
    let user = v.require_for_organisation(Action::ReadReturns)?;
    let id = id.into_inner();
    let today = v.state.clock.now_naive().date();
    let item = v
        .read(move |conn| monitoring::get(conn, &user, id, today))
        .await?;
    let mut layout = v.layout("Monitoring return", "/awards");
    if done.saved.is_some() {
        layout.notice = Some("Your return is saved.".to_owned());
    } else if done.submitted.is_some() {
        layout.notice = Some("Your return is submitted.".to_owned());
    }
    Ok(v.page(&ReturnPage {
        layout,
        form: return_form(&item),
        item,
        reach: RETURN_REACH,
    }))
}

pub(super) async fn return_save(v: Visitor, id: web::Path<i64>, body: web::Bytes) -> PageResult {
    let user = v.require_for_organisation(Action::CompleteReturn)?;
    let id = id.into_inner();
    let mut form = v.form(&body)?;
    let reached = Reached {
        women: count(&mut form, "reached.women"),
        partners: count(&mut form, "reached.partners"),
        infants: count(&mut form, "reached.infants"),
        kinship_carers: count(&mut form, "reached.kinship_carers"),
        families: count(&mut form, "reached.families"),
        new: count(&mut form, "reached.new"),
        continuing: count(&mut form, "reached.continuing"),
    };
    let patch = ReturnPatch {
        spend: form.optional_amount("spend"),
        reached: Some(reached),
        sessions: count(&mut form, "sessions"),
        peer_supporters: count(&mut form, "peer_supporters"),
        volunteers: count(&mut form, "volunteers"),
        outcomes: Some(form.optional("outcomes")),
        case_study: Some(form.optional("case_study")),
        challenges: Some(form.optional("challenges")),
    };
    let submit = form.value("action") == "submit";
    let actor = user.clone();
    let result = if form.failed() {
        Err(StatusCode::UNPROCESSABLE_ENTITY)
    } else {
        // Saved even when the submission is refused, so nothing typed is lost.
        v.change(&mut form, move |conn, now| {
            monitoring::update(conn, now, &actor, id, &patch)?;
            if submit {
                monitoring::submit(conn, now, &actor, id)?;
            }
            Ok(())
        })
        .await?
    };
    match result {
        Ok(()) if submit => Ok(see_other(&format!("/returns/{id}?submitted=1"))),
        Ok(()) => Ok(see_other(&format!("/returns/{id}?saved=1"))),
        Err(status) => {
            let today = v.state.clock.now_naive().date();
            let item = v
                .read(move |conn| monitoring::get(conn, &user, id, today))
                .await?;
            Ok(v.with_status(
                status,
                &ReturnPage {
                    layout: v.layout("Monitoring return", "/awards"),
                    form,
                    item,
                    reach: RETURN_REACH,
                },
            ))
        }
    }
}
