//! The staff's pages: the queue of what waits for a clinician of the unit or the board's cash
//! office, certifying a claim's dates, deciding each line, rejecting or referring a claim,
//! answering journey requests and confirming a claimant's bank details.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;

use super::person;
use super::views::{ListedClaim, ListedJourney, claim_page};
use crate::domain::vocabulary::{ClaimStatus, Role};
use crate::family::bank as family_bank;
use crate::family::checking;
use crate::family::claim_model::{
    CertifyInput, ClaimDecisionInput, LineDecisionInput, PreApprovalDecisionInput, ReasonInput,
};
use crate::family::{claims, pre_approvals, stays};
use crate::permissions::Action;
use crate::portal::form::Form;
use crate::portal::{Layout, PageError, PageResult, Visitor, see_other};

pub(super) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/family/queue", web::get().to(queue))
        .route("/family/journeys/{id}", web::post().to(answer_journey))
        .route("/family/claims/{id}/certify", web::post().to(certify))
        .route("/family/claims/{id}/approve", web::post().to(approve))
        .route("/family/claims/{id}/reject", web::post().to(reject))
        .route("/family/claims/{id}/refer", web::post().to(refer))
        .route(
            "/family/claims/{id}/bank-details/verify",
            web::post().to(verify_bank),
        );
}

/// A claim in the queue, with the stay it belongs to.
struct Waiting {
    claim: ListedClaim,
    stay: String,
    unit: String,
}

#[derive(Template)]
#[template(path = "portal/family/queue.html")]
struct QueuePage {
    layout: Layout,
    form: Form,
    /// The claims waiting for this member of staff.
    claims: Vec<Waiting>,
    /// Approved claims waiting for a payment run (the cash office).
    approved: Vec<Waiting>,
    journeys: Vec<ListedJourney>,
    heading: &'static str,
    is_cash_office: bool,
    /// The journey whose answer the form holds.
    journey: Option<i64>,
}

impl QueuePage {
    fn journey_error(&self, id: &i64) -> Option<String> {
        (self.journey == Some(*id))
            .then(|| self.form.error("reason"))
            .flatten()
    }
}

async fn show_queue(
    v: &Visitor,
    form: Form,
    status: StatusCode,
    notice: Option<&str>,
    journey: Option<i64>,
) -> PageResult {
    let user = v.require(Action::ReadStays)?;
    if user.is(Role::Claimant) {
        return Ok(see_other("/family"));
    }
    let keyring = v.state.keyring.clone();
    let is_cash_office = user.is(Role::CashOffice);
    let (claims, approved, journeys) = v
        .read(move |conn| {
            let with_stay = |conn: &mut _, list: Vec<crate::family::claim_model::Claim>| {
                list.into_iter()
                    .map(|claim| {
                        let stay = stays::get(conn, &keyring, &user, claim.stay_id)?;
                        Ok((claim, stay))
                    })
                    .collect::<Result<Vec<_>, crate::error::ApiError>>()
            };
            let waiting = claims::queue(conn, &user, None)?;
            let waiting = with_stay(conn, waiting)?;
            let approved = if user.is(Role::CashOffice) {
                let list = claims::queue(conn, &user, Some(ClaimStatus::Approved))?;
                with_stay(conn, list)?
            } else {
                Vec::new()
            };
            let mut journeys = Vec::new();
            for p in pre_approvals::waiting(conn, &user)? {
                let stay = stays::get(conn, &keyring, &user, p.stay_id)?;
                journeys.push(ListedJourney::of(&p, person(&stay.visitors, p.visitor_id)));
            }
            Ok((waiting, approved, journeys))
        })
        .await?;
    let listed = |list: Vec<(
        crate::family::claim_model::Claim,
        crate::family::stay_model::Stay,
    )>| {
        list.iter()
            .map(|(claim, stay)| Waiting {
                claim: ListedClaim::of(claim, true),
                stay: stay.reference.clone(),
                unit: stay.unit_name.clone(),
            })
            .collect::<Vec<_>>()
    };
    let heading = if is_cash_office {
        "Claims to check"
    } else {
        "Claims to certify"
    };
    let mut layout = v.layout(heading, "/family/queue");
    layout.notice = notice.map(str::to_owned);
    Ok(v.with_status(
        status,
        &QueuePage {
            layout,
            form,
            claims: listed(claims),
            approved: listed(approved),
            journeys,
            heading,
            is_cash_office,
            journey,
        },
    ))
}

#[derive(serde::Deserialize)]
struct Done {
    answered: Option<String>,
}

async fn queue(v: Visitor, done: web::Query<Done>) -> PageResult {
    let notice = done
        .answered
        .is_some()
        .then_some("The request is answered. The family is told by email.");
    show_queue(&v, Form::new(), StatusCode::OK, notice, None).await
}

async fn answer_journey(v: Visitor, id: web::Path<i64>, body: web::Bytes) -> PageResult {
    let user = v.require(Action::DecidePreApproval)?;
    let mut form = v.form(&body)?;
    let id = id.into_inner();
    let input = PreApprovalDecisionInput {
        approved: form.value("answer") == "approve",
        reason: form.optional(&format!("reason-{id}")),
    };
    form.set("reason", form.value(&format!("reason-{id}")).to_owned());
    let answered = v
        .change(&mut form, move |conn, now| {
            pre_approvals::decide(conn, now, &user, id, &input)
        })
        .await?;
    match answered {
        Ok(_) => Ok(see_other("/family/queue?answered=1")),
        Err(status) => {
            form.label("reason", "The reason");
            show_queue(&v, form, status, None, Some(id)).await
        }
    }
}

async fn certify(v: Visitor, id: web::Path<i64>, body: web::Bytes) -> PageResult {
    let user = v.require(Action::CertifyClaim)?;
    let mut form = v.form(&body)?;
    let id = id.into_inner();
    let input = CertifyInput {
        resident_from: form.value("resident_from").trim().to_owned(),
        resident_to: form.value("resident_to").trim().to_owned(),
    };
    let certified = v
        .change(&mut form, move |conn, now| {
            checking::certify(conn, now, &user, id, &input)
        })
        .await?;
    match certified {
        Ok(_) => Ok(see_other(&format!("/family/claims/{id}?done=certified"))),
        Err(status) => {
            form.label("resident_from", "The first day she was resident");
            form.label("resident_to", "The last day she was resident");
            claim_page(&v, id, form, status, None, None).await
        }
    }
}

/// The cash office's decision on each line still standing, from inputs named by line id.
async fn approve(v: Visitor, id: web::Path<i64>, body: web::Bytes) -> PageResult {
    let user = v.require(Action::CheckClaim)?;
    let mut form = v.form(&body)?;
    let id = id.into_inner();
    let reader = user.clone();
    let claim = v.read(move |conn| claims::get(conn, &reader, id)).await?;
    let standing: Vec<i64> = claim
        .lines
        .iter()
        .filter(|l| l.outcome.is_none_or(|o| o.as_str() != "cut"))
        .map(|l| l.id)
        .collect();
    let lines: Vec<LineDecisionInput> = standing
        .iter()
        .map(|line| LineDecisionInput {
            line_id: *line,
            outcome: match form.value(&format!("outcome-{line}")) {
                "" => "full".to_owned(),
                other => other.to_owned(),
            },
            amount: form.optional_amount(&format!("amount-{line}")),
            reason: form.optional(&format!("reason-{line}")),
        })
        .collect();
    let input = ClaimDecisionInput { lines };
    let decided = v
        .change(&mut form, move |conn, now| {
            checking::approve(conn, now, &user, id, &input)
        })
        .await?;
    match decided {
        Ok(_) => Ok(see_other(&format!("/family/claims/{id}?done=approved"))),
        Err(status) => {
            // The service names a decision by its place in the list sent; the page by line.
            for error in &mut form.errors {
                if let Some(rest) = error.field.strip_prefix("lines[")
                    && let Some((index, field)) = rest.split_once("].")
                    && let Some(line) = index.parse::<usize>().ok().and_then(|i| standing.get(i))
                {
                    let noun = match field {
                        "amount" => "The amount to pay",
                        "reason" => "The reason",
                        _ => "The decision",
                    };
                    if !error.message.starts_with(char::is_uppercase) {
                        error.message = format!("{noun} {}", error.message);
                    }
                    error.field = format!(
                        "{}-{line}",
                        if field == "line_id" { "outcome" } else { field }
                    );
                }
            }
            claim_page(&v, id, form, status, None, None).await
        }
    }
}

async fn reason_of(
    v: &Visitor,
    body: &web::Bytes,
    field: &str,
) -> Result<(Form, ReasonInput), PageError> {
    let form = v.form(body)?;
    let input = ReasonInput {
        reason: form.value(field).trim().to_owned(),
    };
    Ok((form, input))
}

async fn reject(v: Visitor, id: web::Path<i64>, body: web::Bytes) -> PageResult {
    let user = v.require(Action::CheckClaim)?;
    let (mut form, input) = reason_of(&v, &body, "reject_reason").await?;
    let id = id.into_inner();
    let done = v
        .change(&mut form, move |conn, now| {
            checking::reject(conn, now, &user, id, &input)
        })
        .await?;
    finish(&v, id, form, done.map(|_| ()), "reject_reason", "rejected").await
}

async fn refer(v: Visitor, id: web::Path<i64>, body: web::Bytes) -> PageResult {
    let user = v.require(Action::CheckClaim)?;
    let (mut form, input) = reason_of(&v, &body, "refer_reason").await?;
    let id = id.into_inner();
    let done = v
        .change(&mut form, move |conn, now| {
            checking::refer(conn, now, &user, id, &input)
        })
        .await?;
    finish(&v, id, form, done.map(|_| ()), "refer_reason", "referred").await
}

/// After a rejection or a referral: the claim's page saying so, or the form with the reason's
/// error beside its box.
async fn finish(
    v: &Visitor,
    id: i64,
    mut form: Form,
    done: Result<(), StatusCode>,
    field: &str,
    said: &str,
) -> Result<HttpResponse, PageError> {
    match done {
        Ok(()) => Ok(see_other(&format!("/family/claims/{id}?done={said}"))),
        Err(status) => {
            form.move_error("reason", field);
            form.label(field, "The reason");
            claim_page(v, id, form, status, None, None).await
        }
    }
}

async fn verify_bank(v: Visitor, id: web::Path<i64>, body: web::Bytes) -> PageResult {
    let user = v.require(Action::CheckClaim)?;
    let mut form = v.form(&body)?;
    let id = id.into_inner();
    let keyring = v.state.keyring.clone();
    let verified = v
        .change(&mut form, move |conn, now| {
            let claim = claims::get(conn, &user, id)?;
            let stay = stays::get(conn, &keyring, &user, claim.stay_id)?;
            family_bank::verify(conn, now, &keyring, &user, stay.claimant_id)
        })
        .await?;
    match verified {
        Ok(_) => Ok(see_other(&format!("/family/claims/{id}?done=verified"))),
        Err(status) => claim_page(&v, id, form, status, None, None).await,
    }
}
