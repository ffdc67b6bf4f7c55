//! Releasing instalments by two people: the administrator's award page, with a "Request
//! release" button for each instalment that can be released, and the finance queue of
//! requested releases with an "Authorise" button each, and of authorised ones waiting for a
//! payment run.

use actix_web::http::StatusCode;
use actix_web::web;
use askama::Template;

use crate::awards::model::Award;
use crate::awards::{reading, releases};
use crate::domain::vocabulary::InstalmentStatus;
use crate::payments::model::{QueueStatus, ReleaseRequest};
use crate::payments::queue;
use crate::permissions::Action;
use crate::portal::form::Form;
use crate::portal::{Layout, PageResult, Visitor};
use crate::usecases::grant_cycle;

#[derive(Template)]
#[template(path = "portal/admin/award.html")]
struct AwardPage {
    layout: Layout,
    form: Form,
    award: Award,
    /// The years whose release was requested and waits for authorisation.
    requested: Vec<String>,
    may_request: bool,
}

impl AwardPage {
    /// Whether the instalment of `year` can be requested now: committed, not yet requested, of
    /// an accepted award.
    fn requestable(&self, year: &str, status: &InstalmentStatus) -> bool {
        self.may_request
            && self.award.status.as_str() == "accepted"
            && *status == InstalmentStatus::Committed
            && !self.requested.iter().any(|y| y == year)
    }

    fn waiting(&self, year: &str) -> bool {
        self.requested.iter().any(|y| y == year)
    }
}

async fn show_award(
    v: &Visitor,
    id: i64,
    form: Form,
    status: StatusCode,
    notice: Option<&str>,
) -> PageResult {
    // The staff's page of an award: those who release its instalments.
    let user = v.require(Action::ReadReleaseQueue)?;
    let may_request = Action::Release.allows(user.role);
    let (award, requested) = v
        .read(move |conn| {
            let award = reading::get(conn, &user, id)?;
            let requested: Vec<String> = queue::list(conn, &user, QueueStatus::Requested)?
                .into_iter()
                .filter(|r| r.award_id == id)
                .map(|r| r.financial_year.to_string())
                .collect();
            Ok((award, requested))
        })
        .await?;
    let mut layout = v.layout(award.reference.clone(), "/admin/applications");
    layout.notice = notice.map(str::to_owned);
    Ok(v.with_status(
        status,
        &AwardPage {
            layout,
            form,
            award,
            requested,
            may_request,
        },
    ))
}

/// An award as the fund's staff see it, with its instalments and their releases.
pub(super) async fn award_page(v: Visitor, id: web::Path<i64>) -> PageResult {
    show_award(&v, id.into_inner(), Form::new(), StatusCode::OK, None).await
}

/// The administrator requests the release of one instalment; a finance user authorises it.
pub(super) async fn request_release(
    v: Visitor,
    path: web::Path<(i64, String)>,
    body: web::Bytes,
) -> PageResult {
    let user = v.require(Action::Release)?;
    let (id, year) = path.into_inner();
    let mut form = v.form(&body)?;
    let asked = year.clone();
    let done = v
        .change(&mut form, move |conn, now| {
            grant_cycle::release(conn, now, &user, releases::request, id, &asked)
        })
        .await?;
    match done {
        Ok(_) => {
            let notice = format!(
                "The release of the {year} instalment is requested. A finance user must now authorise it."
            );
            show_award(&v, id, Form::new(), StatusCode::OK, Some(&notice)).await
        }
        Err(status) => show_award(&v, id, form, status, None).await,
    }
}

#[derive(Template)]
#[template(path = "portal/admin/authorisations.html")]
struct AuthorisationsPage {
    layout: Layout,
    form: Form,
    requested: Vec<ReleaseRequest>,
    authorised: Vec<ReleaseRequest>,
    may_authorise: bool,
}

async fn show_queue(
    v: &Visitor,
    form: Form,
    status: StatusCode,
    notice: Option<String>,
) -> PageResult {
    let user = v.require(Action::ReadReleaseQueue)?;
    let may_authorise = Action::AuthoriseRelease.allows(user.role);
    let (requested, authorised) = v
        .read(move |conn| {
            Ok((
                queue::list(conn, &user, QueueStatus::Requested)?,
                queue::list(conn, &user, QueueStatus::Authorised)?,
            ))
        })
        .await?;
    let mut layout = v.layout("Authorisations", "/finance/authorisations");
    layout.notice = notice;
    Ok(v.with_status(
        status,
        &AuthorisationsPage {
            layout,
            form,
            requested,
            authorised,
            may_authorise,
        },
    ))
}

/// The releases waiting for authorisation, and the authorised ones waiting for a payment run.
pub(super) async fn authorisations_page(v: Visitor) -> PageResult {
    show_queue(&v, Form::new(), StatusCode::OK, None).await
}

/// A finance user authorises a requested release: it waits for the next payment run.
pub(super) async fn authorise(
    v: Visitor,
    path: web::Path<(i64, String)>,
    body: web::Bytes,
) -> PageResult {
    let user = v.require(Action::AuthoriseRelease)?;
    let (id, year) = path.into_inner();
    let mut form = v.form(&body)?;
    v.require_recent_factor(&user, "/finance/authorisations")?;
    let asked = year.clone();
    let done = v
        .change(&mut form, move |conn, now| {
            grant_cycle::release(conn, now, &user, releases::authorise, id, &asked)
        })
        .await?;
    match done {
        Ok(award) => {
            let notice = format!(
                "The {year} instalment of {} is authorised. It is paid by the next payment run.",
                award.reference
            );
            show_queue(&v, Form::new(), StatusCode::OK, Some(notice)).await
        }
        Err(status) => show_queue(&v, form, status, None).await,
    }
}
