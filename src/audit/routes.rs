//! `GET /audit` for administrators.

use actix_web::{get, web};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::audit::{self, AuditEntry};
use crate::caller::CurrentUser;
use crate::error::ApiError;
use crate::http::answer;
use crate::permissions::Action;
use crate::state::AppState;
use crate::wire::paging::{PageQuery, Paged};

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    /// Kind of object, e.g. `organisation`.
    pub entity: Option<String>,
    /// Id of one object (with `entity`).
    pub entity_id: Option<i64>,
}

/// The audit trail, newest first.
#[utoipa::path(
    tag = "admin",
    params(AuditQuery, PageQuery),
    responses((status = 200, description = "Audit entries", body = Paged<AuditEntry>)),
    security(("bearer" = []))
)]
#[get("/audit")]
pub async fn list_audit(
    state: web::Data<AppState>,
    user: CurrentUser,
    filter: web::Query<AuditQuery>,
    paging: web::Query<PageQuery>,
) -> Result<web::Json<Paged<AuditEntry>>, ApiError> {
    user.require(Action::ReadAuditLog)?;
    let page = paging.into_inner().parse()?;
    let AuditQuery { entity, entity_id } = filter.into_inner();
    answer(&state, move |conn, _| {
        audit::list(conn, entity.as_deref(), entity_id, page)
    })
    .await
}

pub fn configure(cfg: &mut impl crate::http::Routes) {
    cfg.service(list_audit);
}
