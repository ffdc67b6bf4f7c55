//! `GET /outbox` for administrators.

use actix_web::{get, web};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::caller::CurrentUser;
use crate::email::outbox::{self, OutboxEntry, OutboxStatus};
use crate::error::ApiError;
use crate::http::answer;
use crate::permissions::Action;
use crate::state::AppState;
use crate::wire::paging::{PageQuery, Paged};

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct OutboxQuery {
    /// Only emails of this status.
    pub status: Option<OutboxStatus>,
}

/// Emails queued, sent and failed, newest first (envelopes only, never bodies).
#[utoipa::path(
    tag = "admin",
    params(OutboxQuery, PageQuery),
    responses((status = 200, description = "Outbox entries", body = Paged<OutboxEntry>)),
    security(("bearer" = []))
)]
#[get("/outbox")]
pub async fn list_outbox(
    state: web::Data<AppState>,
    user: CurrentUser,
    filter: web::Query<OutboxQuery>,
    paging: web::Query<PageQuery>,
) -> Result<web::Json<Paged<OutboxEntry>>, ApiError> {
    user.require(Action::ReadOutbox)?;
    let page = paging.into_inner().parse()?;
    let status = filter.into_inner().status;
    answer(&state, move |conn, _| outbox::list(conn, status, page)).await
}

pub fn configure(cfg: &mut impl crate::http::Routes) {
    cfg.service(list_outbox);
}
