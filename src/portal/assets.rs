//! The portal's style sheets, scripts and images under `/assets/`, and the favicon.
//!
//! `build.rs` builds them from `web/` and embeds them in the binary, so the binary alone serves a
//! styled portal from any folder. `ASSETS_DIR` serves a folder instead (`npm run build` in `web/`
//! writes `web/dist`), read on every request, for working on the styles without rebuilding the
//! crate. Either way an asset carries its content type and an ETag, and is revalidated before
//! each reuse, since its address stays the same from one release to the next.

use std::collections::HashMap;
use std::path::Path;
use std::sync::LazyLock;

use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, ResponseError, web};
use sha2::{Digest, Sha256};

use crate::error::ApiError;
use crate::state::AppState;

/// Every built asset, by its path under `/assets/`, as `build.rs` found them (none when the build
/// could not run npm).
static EMBEDDED: &[(&str, &[u8])] = include!(concat!(env!("OUT_DIR"), "/assets.rs"));

/// The favicon, also served at `/favicon.ico` for browsers that ask there.
pub const FAVICON: &str = "images/favicon.ico";

/// How a browser may keep an asset: it asks again each time, and an unchanged one costs a 304.
const CACHE_CONTROL: &str = "no-cache";

/// An embedded asset with the headers worked out once.
struct Asset {
    body: &'static [u8],
    etag: String,
}

static INDEX: LazyLock<HashMap<&'static str, Asset>> = LazyLock::new(|| {
    EMBEDDED
        .iter()
        .map(|&(path, body)| {
            (
                path,
                Asset {
                    body,
                    etag: etag(body),
                },
            )
        })
        .collect()
});

/// Whether this binary was built with the portal's assets.
pub fn embedded() -> bool {
    INDEX.contains_key("portal.css")
}

/// Warns at start when the pages would be unstyled: a binary built without npm, or an
/// `ASSETS_DIR` without a build in it. Pages work without assets, so neither stops the service.
pub fn check(dir: Option<&Path>) {
    match dir {
        Some(dir) if !dir.join("portal.css").is_file() => tracing::warn!(
            dir = %dir.display(),
            "ASSETS_DIR has no portal.css: run `npm run build` in web/, or unset ASSETS_DIR to \
             serve the assets built into the binary"
        ),
        None if !embedded() => tracing::warn!(
            "this binary was built without the portal's assets (npm was missing or failed; see \
             the build's warnings), so its pages are unstyled"
        ),
        _ => {}
    }
}

/// `/assets/{path}` and `/favicon.ico`, for GET and HEAD.
pub fn configure(cfg: &mut web::ServiceConfig) {
    let get_or_head = || {
        web::route()
            .guard(actix_web::guard::Any(actix_web::guard::Get()).or(actix_web::guard::Head()))
    };
    cfg.route("/assets/{path:.*}", get_or_head().to(asset))
        .route("/favicon.ico", get_or_head().to(favicon));
}

async fn asset(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let path = req.match_info().query("path").to_owned();
    serve(&req, &state, &path).await
}

async fn favicon(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    serve(&req, &state, FAVICON).await
}

async fn serve(req: &HttpRequest, state: &AppState, path: &str) -> HttpResponse {
    match &state.settings.assets_dir {
        None => match INDEX.get(path) {
            Some(asset) => answer(req, path, asset.body, &asset.etag),
            None => not_found(req),
        },
        Some(dir) => {
            let Some(file) = safe_path(path).map(|relative| dir.join(relative)) else {
                return not_found(req);
            };
            match web::block(move || std::fs::read(file)).await {
                Ok(Ok(body)) => {
                    let tag = etag(&body);
                    answer(req, path, body, &tag)
                }
                Ok(Err(error)) => {
                    if error.kind() != std::io::ErrorKind::NotFound {
                        tracing::warn!(%error, path, "an asset in ASSETS_DIR cannot be read");
                    }
                    not_found(req)
                }
                Err(error) => ApiError::internal(error).error_response(),
            }
        }
    }
}

/// The asset, or 304 when the browser's copy has the same ETag.
fn answer(
    req: &HttpRequest,
    path: &str,
    body: impl actix_web::body::MessageBody + 'static,
    etag: &str,
) -> HttpResponse {
    let mut response = if matches_etag(req, etag) {
        HttpResponse::NotModified().finish()
    } else {
        HttpResponse::Ok()
            .insert_header((header::CONTENT_TYPE, content_type(path)))
            .body(body)
    };
    let headers = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(etag) {
        headers.insert(header::ETAG, value);
    }
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static(CACHE_CONTROL),
    );
    response
}

/// A strong ETag: the start of the body's SHA-256, in hex.
fn etag(body: &[u8]) -> String {
    let digest = Sha256::digest(body);
    let hex: String = digest[..16].iter().map(|b| format!("{b:02x}")).collect();
    format!("\"{hex}\"")
}

/// Whether `If-None-Match` names this ETag (or `*`); a weak form matches too, as RFC 9110's weak
/// comparison for GET says.
fn matches_etag(req: &HttpRequest, etag: &str) -> bool {
    req.headers()
        .get_all(header::IF_NONE_MATCH)
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .any(|tag| tag == "*" || tag.strip_prefix("W/").unwrap_or(tag) == etag)
}

/// The content type by the name's extension, for the kinds of file the portal ships.
pub fn content_type(path: &str) -> &'static str {
    let extension = path.rsplit_once('.').map_or("", |(_, ext)| ext);
    match extension.to_ascii_lowercase().as_str() {
        "css" => "text/css; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "map" | "json" => "application/json",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "ico" => "image/x-icon",
        "woff2" => "font/woff2",
        "woff" => "font/woff",
        "webmanifest" => "application/manifest+json",
        "txt" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

/// `path` as a relative path inside `ASSETS_DIR`, or `None` when it could leave it or name a
/// hidden file: every segment is a plain name of letters, digits, `-`, `_` and `.`, not
/// starting with a dot.
fn safe_path(path: &str) -> Option<&Path> {
    let plain = |segment: &str| {
        !segment.is_empty()
            && !segment.starts_with('.')
            && segment
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
    };
    path.split('/').all(plain).then(|| Path::new(path))
}

/// What an unknown asset answers: the portal's page for a browser, problem+json otherwise.
fn not_found(req: &HttpRequest) -> HttpResponse {
    if crate::http::wants_html(req) {
        super::not_found()
    } else {
        ApiError::NotFound.error_response()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_names_inside_the_folder_are_read() {
        assert_eq!(safe_path("portal.css"), Some(Path::new("portal.css")));
        assert_eq!(
            safe_path("images/favicon.ico"),
            Some(Path::new("images/favicon.ico"))
        );
        for bad in [
            "",
            "../Cargo.toml",
            "images/../../secret",
            "/etc/passwd",
            "images//favicon.ico",
            ".env",
            "images/.hidden",
            "a\\b",
            "a%2e%2e",
            "images/",
        ] {
            assert_eq!(safe_path(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn content_types_follow_the_extension() {
        assert_eq!(content_type("portal.css"), "text/css; charset=utf-8");
        assert_eq!(content_type("portal.mjs"), "text/javascript; charset=utf-8");
        assert_eq!(
            content_type("htmx.min.js"),
            "text/javascript; charset=utf-8"
        );
        assert_eq!(content_type("images/favicon.svg"), "image/svg+xml");
        assert_eq!(content_type("images/favicon.ico"), "image/x-icon");
        assert_eq!(content_type("images/govuk-icon-180.PNG"), "image/png");
        assert_eq!(content_type("README"), "application/octet-stream");
    }

    #[test]
    fn etags_are_quoted_and_follow_the_content() {
        let a = etag(b"body { color: black }");
        assert!(
            a.starts_with('"') && a.ends_with('"') && a.len() == 34,
            "{a}"
        );
        assert_eq!(a, etag(b"body { color: black }"));
        assert_ne!(a, etag(b"body { color: white }"));
    }
}
