//! Awards: answering an offer, asking for a variation, feedback links and the families'
//! feedback.

use actix_web::web;
use askama::Template;

use std::collections::BTreeMap;

use actix_web::http::StatusCode;

use crate::awards::model::Award;
use crate::awards::model::variation::VariationInput;
use crate::awards::reading::{self as awards, AwardFilter};
use crate::awards::{offer, variations};
use crate::caller::CurrentUser;
use crate::domain::vocabulary::{AwardStatus, VariationKind};
use crate::error::{ApiError, ErrorCode};
use crate::feedback::model::{AwardFeedback, FeedbackLink, NewFeedbackLink};
use crate::feedback::service as feedback;
use crate::monitoring::model::MonitoringReturn;
use crate::monitoring::service::{self as monitoring, ReturnFilter};
use crate::permissions::Action;
use crate::portal::form::{Choice, Form};
use crate::portal::public::LIST;
use crate::portal::{Layout, PageError, PageResult, Visitor, see_other};
use crate::usecases::grant_cycle;

#[derive(Template)]
#[template(path = "portal/awards.html")]
struct Awards {
    layout: Layout,
    awards: Vec<Award>,
}

pub(super) async fn award_list(v: Visitor) -> PageResult {
    let user = v.require_for_organisation(Action::ReadAwards)?;
    let filter = AwardFilter::default();
    let list = v
        .read(move |conn| awards::list(conn, &user, &filter, LIST))
        .await?;
    Ok(v.page(&Awards {
        layout: v.layout("Your grants", "/awards"),
        awards: list.items,
    }))
}

#[derive(Template)]
#[template(path = "portal/award.html")]
struct AwardPage {
    layout: Layout,
    award: Award,
    returns: Vec<MonitoringReturn>,
    links: Vec<FeedbackLink>,
    feedback: Option<AwardFeedback>,
    form: Form,
    /// The form asking for a variation, with its own errors.
    variation: Form,
    kinds: Vec<Choice>,
}

impl AwardPage {
    fn offered(&self) -> bool {
        self.award.status == AwardStatus::Offered
    }

    fn running(&self) -> bool {
        self.award.status == AwardStatus::Accepted
    }
}

pub(super) async fn award_page(v: Visitor, id: web::Path<i64>) -> PageResult {
    let user = v.require_for_organisation(Action::ReadAwards)?;
    let page = load_award(&v, user, id.into_inner(), Form::new()).await?;
    Ok(v.page(&page))
}

async fn load_award(
    v: &Visitor,
    user: CurrentUser,
    id: i64,
    form: Form,
) -> Result<AwardPage, PageError> {
    let today = v.state.clock.now_naive().date();
    let (award, returns, links, feedback) = v
        .read(move |conn| {
            let award = awards::get(conn, &user, id)?;
            let filter = ReturnFilter {
                status: None,
                due_before: None,
                fund_id: None,
                award_id: Some(id),
            };
            let returns = monitoring::list(conn, &user, &filter, LIST, today)?.items;
            let running = matches!(award.status, AwardStatus::Accepted | AwardStatus::Completed);
            let (links, feedback) = if running {
                (
                    feedback::list_links(conn, &user, id)?,
                    Some(feedback::award_feedback(conn, &user, id)?),
                )
            } else {
                (Vec::new(), None)
            };
            Ok((award, returns, links, feedback))
        })
        .await?;
    Ok(AwardPage {
        layout: v.layout(award.title.clone(), "/awards"),
        award,
        returns,
        links,
        feedback,
        form,
        variation: Form::new(),
        kinds: variation_kinds(),
    })
}

/// The kinds of variation, as the form offers them.
pub(crate) fn variation_kinds() -> Vec<Choice> {
    VariationKind::ALL
        .iter()
        .map(|kind| {
            let label = match kind {
                VariationKind::Reprofile => "Move money between years (the total stays the same)",
                VariationKind::Reduce => "Reduce one or more years",
                VariationKind::Extend => "End the grant later, without new money",
                VariationKind::Conditions => "Change the conditions",
            };
            Choice::new(kind.as_str(), label)
        })
        .collect()
}

/// A grant holder asks for a variation of a running award. Only the fields of the chosen kind
/// are sent; every error the service finds is shown beside its field.
pub(super) async fn ask_variation(v: Visitor, id: web::Path<i64>, body: web::Bytes) -> PageResult {
    let user = v.require_for_organisation(Action::AskVariation)?;
    let mut form = v.form(&body)?;
    let id = id.into_inner();
    let status = match form.choice::<VariationKind>("kind", "Choose what you want to change") {
        None => StatusCode::UNPROCESSABLE_ENTITY,
        Some(kind) => {
            let prefix = "amounts.";
            let amounts: BTreeMap<String, String> = form
                .names()
                .into_iter()
                .filter_map(|name| name.strip_prefix(prefix).map(str::to_owned))
                .filter_map(|year| {
                    form.optional_amount(&format!("{prefix}{year}"))
                        .map(|amount| (year, amount))
                })
                .collect();
            let input = VariationInput {
                kind,
                amounts: matches!(kind, VariationKind::Reprofile | VariationKind::Reduce)
                    .then_some(amounts),
                end_date: (kind == VariationKind::Extend)
                    .then(|| form.optional("end_date"))
                    .flatten(),
                conditions: (kind == VariationKind::Conditions)
                    .then(|| form.optional("conditions"))
                    .flatten(),
                reason: form.value("reason").to_owned(),
            };
            let actor = user.clone();
            match v
                .change(&mut form, move |conn, now| {
                    variations::ask(conn, now, &actor, id, &input)
                })
                .await?
            {
                Ok(_) => return Ok(see_other(&format!("/awards/{id}"))),
                Err(status) => status,
            }
        }
    };
    let mut page = load_award(&v, user, id, Form::new()).await?;
    // A rule about the years together is shown at the first year's amount.
    if let Some(first) = page.award.amounts.keys().next() {
        form.move_error("amounts", &format!("amounts.{first}"));
    }
    page.variation = form;
    Ok(v.with_status(status, &page))
}

pub(super) async fn respond_to_offer(
    v: Visitor,
    id: web::Path<i64>,
    body: web::Bytes,
) -> PageResult {
    let user = v.require_for_organisation(Action::AnswerOffer)?;
    let form = v.form(&body)?;
    let id = id.into_inner();
    let now = v.state.clock.now_naive();
    let accept = match form.value("response") {
        "accept" => true,
        "decline" => false,
        _ => {
            return Err(ApiError::bad_request(
                ErrorCode::InvalidResponse,
                "Choose to accept or decline the offer.",
            )
            .into());
        }
    };
    v.read(move |conn| {
        if accept {
            grant_cycle::accept_award(conn, now, &user, id)
        } else {
            offer::decline(conn, now, &user, id)
        }
    })
    .await?;
    Ok(see_other(&format!("/awards/{id}")))
}

#[derive(Template)]
#[template(path = "portal/feedback_link.html")]
struct LinkPage {
    layout: Layout,
    link: FeedbackLink,
    award: Award,
    url: String,
    qr: String,
}

pub(super) async fn create_link(v: Visitor, id: web::Path<i64>, body: web::Bytes) -> PageResult {
    let user = v.require_for_organisation(Action::ManageFeedbackLinks)?;
    let mut form = v.form(&body)?;
    let id = id.into_inner();
    let input = NewFeedbackLink {
        label: form.value("label").to_owned(),
        expires_at: None,
    };
    let actor = user.clone();
    let created = v
        .change(&mut form, move |conn, now| {
            let link = feedback::create_link(conn, now, &actor, id, &input)?;
            let award = awards::get(conn, &actor, id)?;
            Ok((link, award))
        })
        .await?;
    match created {
        Ok((link, award)) => {
            let token = link.token.clone().unwrap_or_default();
            let url = format!("{}/f/{token}", v.state.settings.public_url);
            let qr = crate::portal::chart::qr_svg(&url)?;
            Ok(v.page(&LinkPage {
                layout: v.layout(format!("Feedback link: {}", link.label), "/awards"),
                link,
                award,
                url,
                qr,
            }))
        }
        Err(status) => {
            let page = load_award(&v, user, id, form).await?;
            Ok(v.with_status(status, &page))
        }
    }
}
