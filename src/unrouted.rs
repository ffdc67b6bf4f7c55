//! What no route took, and paths that name nothing: the API answers problem+json, a browser
//! asking for a page outside `/api/` gets the portal's page. Choosing between the two front doors
//! is the application's, so this sits above both.

use actix_web::{HttpRequest, HttpResponse, ResponseError, web};

use crate::error::ApiError;
use crate::http::{RouteTable, wants_html};
use crate::portal;

/// A path segment of the wrong type (`/organisations/abc`) names nothing: 404.
pub fn path_error(_: actix_web::error::PathError, req: &HttpRequest) -> actix_web::Error {
    if !req.path().starts_with("/api/") && wants_html(req) {
        return portal::PageError::Api(ApiError::NotFound).into();
    }
    ApiError::NotFound.into()
}

/// Answers what no route took: 405 with `Allow` when the path exists under another method,
/// otherwise 404. Both as problem+json.
pub async fn fallback(req: HttpRequest, table: web::Data<RouteTable>) -> HttpResponse {
    if !req.path().starts_with("/api/") && wants_html(&req) {
        return portal::not_found();
    }
    let error = match table.methods_for(req.path()) {
        Some(allow) => ApiError::MethodNotAllowed { allow },
        None => ApiError::NotFound,
    };
    error.error_response()
}
