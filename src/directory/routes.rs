//! `/directory` (public) and `/directory-services` (organisations and administrators) handlers.

use actix_web::http::header;
use actix_web::{HttpResponse, get, post, put, web};
use serde::{Deserialize, Deserializer};
use utoipa::{IntoParams, ToSchema};

use super::examples;
use crate::caller::CurrentUser;
use crate::directory::model::{Approval, DirectoryEntry, Listing, ServiceInput};
use crate::directory::public::{self, DirectoryFilter};
use crate::directory::service::{self, ListingFilter};
use crate::domain::vocabulary::{HealthBoard, ListingStatus, SupportType, TargetGroup};
use crate::error::ApiError;
use crate::http::{Json, answer, created, csv_response, run};
use crate::reports::open_data::OPEN_GOVERNMENT_LICENCE;
use crate::state::AppState;
use crate::usecases::publication::{self, Form};
use crate::wire::paging::{PageQuery, Paged};

/// Which services to list.
#[derive(Clone, Copy, Debug, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Include {
    /// Running services only (the default).
    Running,
    /// Services not running now too.
    All,
}

/// A health board named by its code, GSS code or name.
fn board<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<HealthBoard>, D::Error> {
    let text = Option::<String>::deserialize(deserializer)?;
    match text.as_deref().map(str::trim) {
        None | Some("") => Ok(None),
        Some(text) => HealthBoard::find(text).map(Some).ok_or_else(|| {
            serde::de::Error::custom(
                "health_board: must be a health board's code (fife), GSS code (S08000029) or name (NHS Fife)",
            )
        }),
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DirectoryQuery {
    /// Words that must all appear in the listing: its name, organisation, what it offers, who
    /// it is for, how to refer, towns, languages, boards, kinds of support and groups (up to 10
    /// words, any case).
    pub q: Option<String>,
    /// Only services in this health board: its code (`fife`), GSS code (`S08000029`) or name
    /// (`NHS Fife`).
    #[serde(default, deserialize_with = "board")]
    #[param(value_type = Option<String>, example = "S08000029")]
    pub health_board: Option<HealthBoard>,
    /// Only services offering this kind of support.
    pub support_type: Option<SupportType>,
    /// Only services for this group.
    pub target_group: Option<TargetGroup>,
    /// `all` to list services not running now too; running ones only otherwise.
    pub include: Option<Include>,
}

/// The public directory of funded services (no sign-in): approved listings of organisations
/// that agreed to be public, running ones only unless `include=all`, by name; searchable by
/// words and filtered by health board, kind of support and group. Each entry carries the
/// organisation's charity number and the 360Giving ids of the grants that fund it.
#[utoipa::path(
    tag = "directory",
    params(DirectoryQuery, PageQuery),
    responses((status = 200, description = "Funded services", body = Paged<DirectoryEntry>)),
    security(())
)]
#[get("/directory")]
pub async fn list_directory(
    state: web::Data<AppState>,
    query: web::Query<DirectoryQuery>,
    paging: web::Query<PageQuery>,
) -> Result<web::Json<Paged<DirectoryEntry>>, ApiError> {
    let page = paging.into_inner().parse()?;
    let query = query.into_inner();
    let filter = DirectoryFilter {
        words: DirectoryFilter::words_of(query.q.as_deref().unwrap_or_default()),
        health_board: query.health_board,
        support_type: query.support_type,
        target_group: query.target_group,
        include_not_running: query.include == Some(Include::All),
    };
    let prefix = state.settings.open_data_prefix.clone();
    answer(&state, move |conn, _| {
        public::public_list(conn, &prefix, &filter, page)
    })
    .await
}

/// One service of the public directory, running or not (no sign-in); 404 unless approved and
/// its organisation agreed to be public.
#[utoipa::path(
    tag = "directory",
    params(("id" = i64, Path, description = "Service id")),
    responses((status = 200, description = "The service", body = DirectoryEntry)),
    security(())
)]
#[get("/directory/{id}")]
pub async fn get_directory_entry(
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<web::Json<DirectoryEntry>, ApiError> {
    let prefix = state.settings.open_data_prefix.clone();
    answer(&state, move |conn, _| {
        public::public_get(conn, &prefix, *id)
    })
    .await
}

/// The `Link` header naming a download's licence.
pub fn licence_link() -> (header::HeaderName, String) {
    (
        header::LINK,
        format!("<{}>; rel=\"license\"", OPEN_GOVERNMENT_LICENCE.url),
    )
}

/// An open download's answer: its bytes as JSON or as a CSV file named `file_name`, with its
/// licence in the `Link` header.
pub fn licensed(form: Form, file_name: &str, bytes: Vec<u8>) -> HttpResponse {
    let mut response = match form {
        Form::Csv => csv_response(file_name, bytes),
        Form::Json => HttpResponse::Ok()
            .content_type("application/json")
            .body(bytes),
    };
    let (name, value) = licence_link();
    if let Ok(value) = header::HeaderValue::from_str(&value) {
        response.headers_mut().insert(name, value);
    }
    response
}

/// The whole public directory as CSV, running or not (no sign-in), under the Open Government
/// Licence v3.0, named in the `Link` header (`rel="license"`). One row a service, lists joined
/// with `; `. Its SHA-256 is on `/open-data`.
#[utoipa::path(
    tag = "directory",
    responses((status = 200, description = "The directory as CSV", content((String = "text/csv")))),
    security(())
)]
#[get("/directory.csv")]
pub async fn directory_csv(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let prefix = state.settings.open_data_prefix.clone();
    let bytes = run(&state, move |conn, _| {
        publication::directory_download(conn, &prefix, Form::Csv)
    })
    .await?;
    Ok(licensed(Form::Csv, "directory.csv", bytes))
}

/// The whole public directory as JSON, running or not (no sign-in): `licence` (the Open
/// Government Licence v3.0, also in the `Link` header) and `services`. Its SHA-256 is on
/// `/open-data`.
#[utoipa::path(
    tag = "directory",
    responses((status = 200, description = "The directory as JSON", body = public::DirectoryDownload)),
    security(())
)]
#[get("/directory.json")]
pub async fn directory_json(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let prefix = state.settings.open_data_prefix.clone();
    let bytes = run(&state, move |conn, _| {
        publication::directory_download(conn, &prefix, Form::Json)
    })
    .await?;
    Ok(licensed(Form::Json, "directory.json", bytes))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListingQuery {
    /// Only listings in this state, such as `pending` for those waiting for approval.
    pub status: Option<ListingStatus>,
}

/// Directory listings, pending ones too: an applicant's own organisation's, every one for
/// administrators; the latest change first.
#[utoipa::path(
    tag = "directory",
    params(ListingQuery, PageQuery),
    responses((status = 200, description = "Listings", body = Paged<Listing>)),
    security(("bearer" = []))
)]
#[get("/directory-services")]
pub async fn list_listings(
    state: web::Data<AppState>,
    user: CurrentUser,
    query: web::Query<ListingQuery>,
    paging: web::Query<PageQuery>,
) -> Result<web::Json<Paged<Listing>>, ApiError> {
    let page = paging.into_inner().parse()?;
    let filter = ListingFilter {
        status: query.into_inner().status,
    };
    answer(&state, move |conn, _| {
        service::list(conn, &user, &filter, page)
    })
    .await
}

/// Lists a service of the caller's organisation in the directory (applicants), pending until an
/// administrator approves it. It must name at least one of the organisation's accepted or
/// completed awards and one way to contact it; every failed field is listed at once.
#[utoipa::path(
    tag = "directory",
    request_body(content = ServiceInput, example = json!(examples::create_listing())),
    responses((status = 201, description = "The listing, pending approval", body = Listing)),
    security(("bearer" = []))
)]
#[post("/directory-services")]
pub async fn create_listing(
    state: web::Data<AppState>,
    user: CurrentUser,
    body: Json<ServiceInput>,
) -> Result<HttpResponse, ApiError> {
    created(&state, move |conn, now| {
        service::create(conn, now, &user, &body.0)
    })
    .await
}

/// One listing, pending or approved (its organisation's applicants, or an administrator);
/// another organisation's answers 404.
#[utoipa::path(
    tag = "directory",
    params(("id" = i64, Path, description = "Listing id")),
    responses((status = 200, description = "The listing", body = Listing)),
    security(("bearer" = []))
)]
#[get("/directory-services/{id}")]
pub async fn get_listing(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: web::Path<i64>,
) -> Result<web::Json<Listing>, ApiError> {
    answer(&state, move |conn, _| service::get(conn, &user, *id)).await
}

/// Replaces a listing of the caller's organisation (applicants); another organisation's answers
/// 404. A change sends it back to `pending`: it leaves the public directory until an
/// administrator approves it again. Sending it unchanged changes nothing.
#[utoipa::path(
    tag = "directory",
    params(("id" = i64, Path, description = "Listing id")),
    request_body(content = ServiceInput, example = json!(examples::create_listing())),
    responses((status = 200, description = "The listing", body = Listing)),
    security(("bearer" = []))
)]
#[put("/directory-services/{id}")]
pub async fn update_listing(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: web::Path<i64>,
    body: Json<ServiceInput>,
) -> Result<web::Json<Listing>, ApiError> {
    answer(&state, move |conn, now| {
        service::update(conn, now, &user, *id, &body.0)
    })
    .await
}

/// Approves a listing for the public directory (administrators), in the version read: the
/// body names its `updated_at`, and a listing its organisation has changed since is not
/// approved. Audited. Approving an approved listing changes nothing.
#[utoipa::path(
    tag = "directory",
    params(("id" = i64, Path, description = "Listing id")),
    request_body(content = Approval, example = json!(examples::approve_listing())),
    responses(
        (status = 200, description = "The approved listing", body = Listing),
        (status = 409, description = "`invalid_state`: the listing changed since it was read", body = crate::error::Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/directory-services/{id}/approve")]
pub async fn approve_listing(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: web::Path<i64>,
    body: Json<Approval>,
) -> Result<web::Json<Listing>, ApiError> {
    answer(&state, move |conn, now| {
        service::approve(conn, now, &user, *id, &body.0)
    })
    .await
}

pub fn configure(cfg: &mut impl crate::http::Routes) {
    cfg.service(directory_csv)
        .service(directory_json)
        .service(list_directory)
        .service(get_directory_entry)
        .service(list_listings)
        .service(create_listing)
        .service(get_listing)
        .service(update_listing)
        .service(approve_listing);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each example the contract shows is a body its operation accepts.
    #[test]
    fn examples_are_accepted_bodies() {
        serde_json::from_value::<ServiceInput>(examples::create_listing())
            .expect("POST /directory-services");
        serde_json::from_value::<Approval>(examples::approve_listing())
            .expect("POST /directory-services/{id}/approve");
    }
}
