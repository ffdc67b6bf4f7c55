//! Service endpoints: liveness, readiness and the reference vocabularies.

use actix_web::{HttpResponse, get, web};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::db::migrations_applied;
use crate::domain::vocabulary::HealthBoard;
use crate::error::ApiError;
use crate::state::AppState;

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Status {
    /// `ok` or `ready`.
    pub status: String,
}

/// The process is up. Touches nothing else.
#[utoipa::path(tag = "service", responses((status = 200, description = "Up", body = Status)))]
#[get("/health")]
pub async fn health() -> web::Json<Status> {
    web::Json(Status {
        status: "ok".to_owned(),
    })
}

/// The database answers and every migration is applied; 503 otherwise.
#[utoipa::path(
    tag = "service",
    responses(
        (status = 200, description = "Ready for traffic", body = Status),
        (status = 503, description = "`service_unavailable`: the database is unreachable or migrations are pending", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
#[get("/ready")]
pub async fn ready(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let applied = state.db.run(migrations_applied).await?;
    if applied {
        Ok(HttpResponse::Ok().json(Status {
            status: "ready".to_owned(),
        }))
    } else {
        Err(ApiError::Unavailable)
    }
}

/// One NHS Scotland health board.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct HealthBoardInfo {
    pub code: HealthBoard,
    pub name: String,
    /// The GSS code of the board's area (S08…).
    pub gss_code: String,
}

/// The 14 NHS Scotland health boards with their names and GSS codes (public).
#[utoipa::path(
    tag = "reference",
    responses((status = 200, description = "Health boards", body = Vec<HealthBoardInfo>))
)]
#[get("/reference/health-boards")]
pub async fn health_boards() -> web::Json<Vec<HealthBoardInfo>> {
    web::Json(
        HealthBoard::ALL
            .iter()
            .map(|b| HealthBoardInfo {
                code: *b,
                name: b.name().to_owned(),
                gss_code: b.gss_code().to_owned(),
            })
            .collect(),
    )
}

pub fn configure(cfg: &mut impl crate::http::Routes) {
    cfg.service(health_boards);
}
