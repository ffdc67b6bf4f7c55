//! Open data handlers.

use actix_web::{HttpRequest, HttpResponse, get, web};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::AppState;
use crate::auth::extract::CurrentUser;
use crate::error::ApiError;
use crate::http::{Format, FormatQuery, csv_response};
use crate::reports::open_data;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ExportQuery {
    /// The fund whose grants to export.
    pub fund_id: i64,
    /// `json` (a 360Giving package, the default) or `csv` (the standard's column titles).
    #[param(inline)]
    pub format: Option<Format>,
}

/// The fund's accepted, completed and terminated awards as 360Giving grants (officials and
/// administrators): grant ids `360G-<OPEN_DATA_PREFIX>-<award reference>`, recipients by org-id
/// (`GB-SC-` charity number, else `GB-COH-` company number), each health board covered as a
/// beneficiary location (GSS code, `geoCodeType` `HB`). Grants to organisations with neither
/// number are left out and counted in `X-Grants-Without-Org-Id`.
#[utoipa::path(
    tag = "reports",
    params(ExportQuery),
    responses((status = 200, description = "The 360Giving package or CSV", content(
        (serde_json::Value = "application/json"),
        (String = "text/csv"),
    ), headers(("X-Grants-Without-Org-Id" = i64, description = "Grants left out for want of an org-id")))),
    security(("bearer" = []))
)]
#[get("/exports/360giving")]
pub async fn export_360giving(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: CurrentUser,
    query: web::Query<ExportQuery>,
) -> Result<HttpResponse, ApiError> {
    let query = query.into_inner();
    let csv = FormatQuery {
        format: query.format,
    }
    .wants_csv(&req);
    let prefix = state.settings.open_data_prefix.clone();
    let fund_id = query.fund_id;
    let export = state
        .db
        .run(move |conn| open_data::export(conn, &user, fund_id, &prefix))
        .await?;
    let mut response = if csv {
        csv_response(
            &format!("360giving-fund-{fund_id}.csv"),
            open_data::to_csv(&export)?,
        )
    } else {
        HttpResponse::Ok()
            .content_type("application/json")
            .body(open_data::to_json(&export)?)
    };
    if let Ok(value) =
        actix_web::http::header::HeaderValue::from_str(&export.without_org_id.to_string())
    {
        response.headers_mut().insert(
            actix_web::http::header::HeaderName::from_static("x-grants-without-org-id"),
            value,
        );
    }
    Ok(response)
}

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(export_360giving);
}
