//! Checking directory listings before they are public.

use actix_web::web;
use askama::Template;

use crate::directory::model::{Approval, Listing};
use crate::directory::service::{self as directory, ListingFilter};
use crate::domain::vocabulary::ListingStatus;
use crate::error::{ApiError, ErrorCode};
use crate::permissions::Action;
use crate::portal::public::LIST;
use crate::portal::{Layout, PageResult, Visitor, see_other};

#[derive(Template)]
#[template(path = "portal/admin/services.html")]
struct Services {
    layout: Layout,
    listings: Vec<Listing>,
    /// A listing was changed by its organisation while the administrator read it.
    changed: bool,
}

#[derive(serde::Deserialize)]
pub(super) struct Approved {
    approved: Option<String>,
    changed: Option<String>,
}

pub(super) async fn service_list(v: Visitor, query: web::Query<Approved>) -> PageResult {
    let user = v.require(Action::ApproveDirectoryService)?;
    let filter = ListingFilter {
        status: Some(ListingStatus::Pending),
    };
    let list = v
        .read(move |conn| directory::list(conn, &user, &filter, LIST))
        .await?;
    let mut layout = v.layout("Directory listings to check", "/admin/services");
    if query.approved.is_some() {
        layout.notice = Some("The listing is approved and public.".to_owned());
    }

    Ok(v.page(&Services {
        layout,
        listings: list.items,
        changed: query.changed.is_some(),
    }))
}

pub(super) async fn approve(v: Visitor, id: web::Path<i64>, body: web::Bytes) -> PageResult {
    let user = v.require(Action::ApproveDirectoryService)?;
    let form = v.form(&body)?;
    let id = id.into_inner();
    let now = v.state.clock.now_naive();
    // The version the page showed; a listing changed since is shown again, not approved.
    let read = chrono::DateTime::parse_from_rfc3339(form.value("updated_at")).map_err(|_| {
        ApiError::bad_request(ErrorCode::InvalidState, "The listing's version is missing.")
    });
    let approval = Approval {
        updated_at: read?.with_timezone(&chrono::Utc),
    };
    match v
        .read(move |conn| directory::approve(conn, now, &user, id, &approval))
        .await
    {
        Ok(_) => Ok(see_other("/admin/services?approved=1")),
        Err(ApiError::Conflict { .. }) => Ok(see_other("/admin/services?changed=1")),
        Err(error) => Err(error.into()),
    }
}
