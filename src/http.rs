//! HTTP plumbing shared by both front doors: the JSON body extractor, problem+json for actix's
//! own failures to read a query, running a rule on the database and answering it, the table of
//! the API's routes, request ids, security headers, client addresses and panic containment.

pub mod keyed;
pub mod upload;

use std::future::Future;
use std::net::IpAddr;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;

use actix_service::{IntoServiceFactory, Service, ServiceFactory};
use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::web::{self, BytesMut};
use actix_web::{FromRequest, HttpMessage, HttpRequest, HttpResponse, ResponseError};
use chrono::NaiveDateTime;
use futures_util::{FutureExt, StreamExt};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::config::{IpRange, Settings};
use crate::db::DbConnection;
use crate::error::{ApiError, ErrorCode};
use crate::state::AppState;
use crate::wire::parse_json;

/// The default largest body when no settings are at hand.
const FALLBACK_BODY_LIMIT: usize = 256 * 1024;

/// A JSON request body. Unlike actix's own extractor it answers problem+json: 415 for another
/// content type, 413 past the size limit, 400 for text that is not JSON, and 422 naming the field
/// for JSON of the wrong shape (wrong type, missing or unknown field). On a route for signed-in
/// callers, a body that fails is answered only after the caller is known to be allowed there:
/// a caller who may not use the route gets 401 or 403, never a description of the body.
#[derive(Debug)]
pub struct Json<T>(pub T);

impl<T: DeserializeOwned + 'static> FromRequest for Json<T> {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let limit = req
            .app_data::<web::Data<AppState>>()
            .map_or(FALLBACK_BODY_LIMIT, |s| s.settings.max_body_bytes);
        let is_json = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .map(|v| v.trim().to_ascii_lowercase())
            .is_some_and(|v| v == "application/json" || v.ends_with("+json"));
        let declared_length = req
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<usize>().ok());
        let mut payload = payload.take();
        let req = req.clone();
        Box::pin(async move {
            let body = async {
                if declared_length.is_some_and(|n| n > limit) {
                    return Err(ApiError::PayloadTooLarge { limit });
                }
                if !is_json {
                    return Err(ApiError::UnsupportedMediaType);
                }
                let mut body = BytesMut::new();
                while let Some(chunk) = payload.next().await {
                    let chunk = chunk.map_err(|_| {
                        ApiError::bad_request(
                            ErrorCode::UnreadableBody,
                            "The request body could not be read.",
                        )
                    })?;
                    if body.len() + chunk.len() > limit {
                        return Err(ApiError::PayloadTooLarge { limit });
                    }
                    body.extend_from_slice(&chunk);
                }
                parse_json(&body)
            };
            match body.await {
                Ok(value) => Ok(Json(value)),
                Err(error) => Err(caller_refused(&req).await.unwrap_or(error)),
            }
        })
    }
}

/// Why the caller may not use this route at all (401 or 403), if that is so.
async fn caller_refused(req: &HttpRequest) -> Option<ApiError> {
    let pattern = req.match_pattern()?;
    match crate::access::access(req.method().as_str(), &pattern) {
        Some(crate::access::Access::Public) => None,
        _ => crate::caller::CurrentUser::from_request(req, &mut Payload::None)
            .await
            .err(),
    }
}

/// Query strings that do not parse answer 400 with the reason.
pub fn query_error(err: actix_web::error::QueryPayloadError, _: &HttpRequest) -> actix_web::Error {
    ApiError::bad_request(
        ErrorCode::InvalidQuery,
        format!("The query string is not valid: {err}"),
    )
    .into()
}

/// The routes the service answers, for telling an unknown path (404) from a wrong method (405).
#[derive(Debug, Default, Clone)]
pub struct RouteTable {
    routes: Vec<(Vec<Segment>, Vec<&'static str>)>,
}

#[derive(Debug, Clone, PartialEq)]
enum Segment {
    Literal(String),
    /// A parameter, then the literal text that ends the segment (`.csv` of `{figures}.csv`).
    Param {
        suffix: String,
    },
}

impl RouteTable {
    /// Builds the table from the OpenAPI document in JSON, which is generated from the router.
    pub fn from_contract(json: &str) -> Result<Self, serde_json::Error> {
        #[derive(serde::Deserialize)]
        struct Contract {
            paths: std::collections::BTreeMap<
                String,
                std::collections::BTreeMap<String, serde::de::IgnoredAny>,
            >,
        }
        let contract: Contract = serde_json::from_str(json)?;
        let routes = contract
            .paths
            .into_iter()
            .map(|(path, item)| {
                let segments = path
                    .trim_matches('/')
                    .split('/')
                    .map(|s| {
                        if let Some((_, suffix)) =
                            s.strip_prefix('{').and_then(|s| s.split_once('}'))
                        {
                            Segment::Param {
                                suffix: suffix.to_owned(),
                            }
                        } else {
                            Segment::Literal(s.to_owned())
                        }
                    })
                    .collect();
                let methods = ["GET", "POST", "PUT", "PATCH", "DELETE"]
                    .into_iter()
                    .filter(|method| item.contains_key(&method.to_ascii_lowercase()))
                    .collect();
                (segments, methods)
            })
            .collect();
        Ok(RouteTable { routes })
    }

    /// The methods a concrete path answers, if any route matches it.
    pub fn methods_for(&self, path: &str) -> Option<Vec<&'static str>> {
        let parts: Vec<&str> = path.trim_matches('/').split('/').collect();
        let mut found: Vec<&'static str> = Vec::new();
        for (segments, methods) in &self.routes {
            let matches = segments.len() == parts.len()
                && segments.iter().zip(&parts).all(|(s, p)| match s {
                    Segment::Param { suffix } => p.len() > suffix.len() && p.ends_with(suffix),
                    Segment::Literal(l) => l == p,
                });
            if matches {
                found.extend(methods.iter());
            }
        }
        if found.is_empty() {
            None
        } else {
            found.sort_unstable();
            found.dedup();
            Some(found)
        }
    }
}

/// Whether a browser asks for a page rather than JSON.
pub(crate) fn wants_html(req: &HttpRequest) -> bool {
    req.headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|accept| accept.contains("text/html"))
}

/// The header that carries each request's id, echoed on every response.
pub static REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Puts the request id that the tracing root span uses on the response.
pub async fn request_id_header(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let id: Option<String> = req
        .extensions()
        .get::<tracing_actix_web::RequestId>()
        .map(ToString::to_string);
    let mut response = next.call(req).await?;
    if let Some(value) = id.and_then(|id| HeaderValue::from_str(&id).ok()) {
        response.headers_mut().insert(REQUEST_ID.clone(), value);
    }
    Ok(response)
}

/// Wraps an app so that a panic anywhere in request handling answers a 500 problem+json
/// without internals, and the worker keeps serving. The panic itself is logged by the panic hook
/// installed at start. It sits beneath the HTTP dispatcher and above actix-web's router, where
/// the request is not yet an `HttpRequest` (the router needs sole ownership of that).
pub fn contain_panics<T, B>(
    app: actix_web::App<T>,
) -> impl ServiceFactory<
    actix_http::Request,
    Config = actix_web::dev::AppConfig,
    Response = actix_http::Response<BoxBody>,
    Error = actix_web::Error,
    InitError = (),
>
where
    T: ServiceFactory<
            ServiceRequest,
            Config = (),
            Response = ServiceResponse<B>,
            Error = actix_web::Error,
            InitError = (),
        > + 'static,
    T::Future: 'static,
    B: MessageBody + 'static,
{
    actix_service::apply_fn_factory(app.into_factory(), |req, service| {
        let response = service.call(req);
        async move {
            match AssertUnwindSafe(response).catch_unwind().await {
                Ok(result) => result.map(|r| actix_http::Response::from(r).map_into_boxed_body()),
                Err(_) => {
                    tracing::error!("a request handler panicked");
                    Ok(ApiError::internal("handler panicked")
                        .error_response()
                        .into())
                }
            }
        }
    })
}

/// API answers are data, never pages: nothing may load from them or frame them.
const API_CSP: &str =
    "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";
/// The API docs are a page of the service's own scripts and styles.
const DOCS_CSP: &str = "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

/// Security headers on every response, unless the handler set its own: no sniffing, no framing,
/// no referrer, a content security policy, same-origin isolation, `Cache-Control: no-store` on
/// the API (answers hold personal data and tokens), and HSTS in production.
pub async fn security_headers(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let path = req.path();
    let docs = path == "/docs" || path.starts_with("/docs/");
    let api = path.starts_with("/api/");
    let production = req
        .app_data::<web::Data<AppState>>()
        .is_some_and(|state| state.settings.is_production());
    let mut response = next.call(req).await?;
    let headers = response.headers_mut();
    let mut set = |name: HeaderName, value: &'static str| {
        if !headers.contains_key(&name) {
            headers.insert(name, HeaderValue::from_static(value));
        }
    };
    set(header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    set(header::REFERRER_POLICY, "no-referrer");
    set(header::X_FRAME_OPTIONS, "DENY");
    set(
        header::CONTENT_SECURITY_POLICY,
        if docs { DOCS_CSP } else { API_CSP },
    );
    set(header::CROSS_ORIGIN_OPENER_POLICY, "same-origin");
    set(header::CROSS_ORIGIN_RESOURCE_POLICY, "same-origin");
    set(
        HeaderName::from_static("permissions-policy"),
        "camera=(), microphone=(), geolocation=(), payment=()",
    );
    if api {
        set(header::CACHE_CONTROL, "no-store");
    }
    if production {
        set(
            header::STRICT_TRANSPORT_SECURITY,
            "max-age=31536000; includeSubDomains",
        );
    }
    Ok(response)
}

/// The client's address for rate limiting: the TCP peer, or, when the service is told it sits
/// behind a proxy (`TRUST_FORWARDED_FOR`), the right-most `X-Forwarded-For` hop that is not one
/// of `TRUSTED_PROXIES`. Each proxy appends the address it was reached from, so hops left of the
/// first untrusted one are whatever the client chose to send and are never believed. An IPv6
/// client is named by its /64, which one subscriber usually holds whole.
pub fn client_address(req: &HttpRequest, settings: &Settings) -> String {
    let peer = req.peer_addr().map(|a| a.ip());
    let chosen = if settings.trust_forwarded_for {
        forwarded_client(req, &settings.trusted_proxies)
    } else {
        None
    };
    match chosen {
        Some(Hop::Address(ip)) => rate_key(ip),
        Some(Hop::Text(text)) => text,
        None => peer.map_or_else(|| "unknown".to_owned(), rate_key),
    }
}

/// Where a sign-in attempt comes from, for the account's sign-in history: the client address as
/// the limits see it and the `User-Agent` header.
pub fn origin_of(req: &HttpRequest, settings: &Settings) -> crate::mfa::history::Origin {
    crate::mfa::history::Origin {
        client: client_address(req, settings),
        user_agent: req
            .headers()
            .get(header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned),
    }
}

/// One `X-Forwarded-For` hop: an address, or text that is not one (kept, bounded, as the key).
enum Hop {
    Address(IpAddr),
    Text(String),
}

/// The right-most hop not in `trusted`, if the header names one.
fn forwarded_client(req: &HttpRequest, trusted: &[IpRange]) -> Option<Hop> {
    let hops: Vec<&str> = req
        .headers()
        .get_all(HeaderName::from_static("x-forwarded-for"))
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .filter(|h| !h.is_empty())
        .collect();
    for hop in hops.into_iter().rev() {
        match parse_hop(hop) {
            Some(ip) if trusted.iter().any(|range| range.contains(ip)) => {}
            Some(ip) => return Some(Hop::Address(ip)),
            None => return Some(Hop::Text(hop.chars().take(64).collect())),
        }
    }
    None
}

/// An address as proxies write it: `192.0.2.1`, `192.0.2.1:5000`, `2001:db8::1` or
/// `[2001:db8::1]:5000`.
fn parse_hop(hop: &str) -> Option<IpAddr> {
    if let Ok(ip) = hop.parse::<IpAddr>() {
        return Some(ip);
    }
    hop.parse::<std::net::SocketAddr>().ok().map(|a| a.ip())
}

/// What one client's attempts are counted under.
fn rate_key(ip: IpAddr) -> String {
    match ip.to_canonical() {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => {
            let network = u128::from(v6) & (u128::MAX << 64);
            format!("{}/64", std::net::Ipv6Addr::from(network))
        }
    }
}

/// Counts an unauthenticated write (sign-in, registration, password reset, refresh, a feedback
/// response) against its client's limit before anything else of the request is read: put it
/// first among a handler's arguments, so that even a body that fails to parse is counted.
/// Carries the client's address for the route's own limits.
#[derive(Debug)]
pub struct UnauthenticatedWrite {
    pub client: String,
}

impl FromRequest for UnauthenticatedWrite {
    type Error = ApiError;
    type Future = std::future::Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        std::future::ready(match req.app_data::<web::Data<AppState>>() {
            Some(state) => {
                let client = client_address(req, &state.settings);
                state
                    .write_limiter
                    .check(&client)
                    .map(|()| UnauthenticatedWrite { client })
            }
            None => Err(ApiError::internal("the application state is missing")),
        })
    }
}

/// The formats a report or list can be read in. Each operation that answers CSV this way also
/// has a sibling path ending in `.csv` that answers only CSV, which generated clients read as
/// text.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    Json,
    Csv,
}

/// `?format=json|csv`; without it the `Accept` header decides (`text/csv` for CSV).
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FormatQuery {
    /// `csv` for a CSV file; otherwise JSON unless `Accept: text/csv` asks for CSV. The sibling
    /// path ending in `.csv` answers the same CSV.
    pub format: Option<Format>,
}

impl FormatQuery {
    /// Whether the caller asked for CSV, by the query or the `Accept` header.
    pub fn wants_csv(&self, req: &HttpRequest) -> bool {
        match self.format {
            Some(format) => format == Format::Csv,
            None => req
                .headers()
                .get(header::ACCEPT)
                .and_then(|v| v.to_str().ok())
                .is_some_and(|accept| {
                    accept
                        .split(',')
                        .map(|part| part.split(';').next().unwrap_or("").trim())
                        .any(|media| media.eq_ignore_ascii_case("text/csv"))
                }),
        }
    }
}

/// A CSV download named `filename`.
pub fn csv_response(filename: &str, body: Vec<u8>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{filename}\""),
        ))
        .body(body)
}

/// Runs a rule on a pooled connection, off the async workers, at the time the request is
/// answered: what every handler does between reading its request and answering.
pub async fn run<T, F>(state: &AppState, rule: F) -> Result<T, ApiError>
where
    F: FnOnce(&mut DbConnection, NaiveDateTime) -> Result<T, ApiError> + Send + 'static,
    T: Send + 'static,
{
    let now = state.clock.now_naive();
    state.db.run(move |conn| rule(conn, now)).await
}

/// Runs a rule as [`run`] does and answers what it returns as JSON (200).
pub async fn answer<T, F>(state: &AppState, rule: F) -> Result<web::Json<T>, ApiError>
where
    F: FnOnce(&mut DbConnection, NaiveDateTime) -> Result<T, ApiError> + Send + 'static,
    T: Send + 'static,
{
    run(state, rule).await.map(web::Json)
}

/// Runs a rule as [`run`] does and answers what it made as JSON (201).
pub async fn created<T, F>(state: &AppState, rule: F) -> Result<HttpResponse, ApiError>
where
    F: FnOnce(&mut DbConnection, NaiveDateTime) -> Result<T, ApiError> + Send + 'static,
    T: Serialize + Send + 'static,
{
    let made = run(state, rule).await?;
    Ok(HttpResponse::Created().json(made))
}

/// Where handlers are registered: the server's own routing, or the OpenAPI document's. Each
/// module lists its handlers once, against this trait, so the routes served and the routes
/// documented are the same list; the server's workers skip building the document.
pub trait Routes {
    fn service<S>(&mut self, service: S) -> &mut Self
    where
        S: actix_web::dev::HttpServiceFactory + utoipa_actix_web::OpenApiFactory + 'static;
}

impl Routes for actix_web::web::ServiceConfig {
    fn service<S>(&mut self, service: S) -> &mut Self
    where
        S: actix_web::dev::HttpServiceFactory + utoipa_actix_web::OpenApiFactory + 'static,
    {
        actix_web::web::ServiceConfig::service(self, service)
    }
}

impl Routes for utoipa_actix_web::service_config::ServiceConfig<'_> {
    fn service<S>(&mut self, service: S) -> &mut Self
    where
        S: actix_web::dev::HttpServiceFactory + utoipa_actix_web::OpenApiFactory + 'static,
    {
        utoipa_actix_web::service_config::ServiceConfig::service(self, service)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn client_of(forwarded_for: &[&str], trust: bool, proxies: &str) -> String {
        let mut settings = Settings::for_database("sqlite://x.db").expect("settings");
        settings.trust_forwarded_for = trust;
        settings.trusted_proxies = proxies
            .split(',')
            .filter(|p| !p.is_empty())
            .filter_map(IpRange::parse)
            .collect();
        let mut req = actix_web::test::TestRequest::default()
            .peer_addr("192.0.2.200:4000".parse().expect("peer"));
        for value in forwarded_for {
            req = req.append_header(("X-Forwarded-For", *value));
        }
        client_address(&req.to_http_request(), &settings)
    }

    #[test]
    fn the_client_is_the_right_most_hop_that_is_not_a_trusted_proxy() {
        let chain = ["198.51.100.1, 203.0.113.7", "10.0.0.9"];
        assert_eq!(
            client_of(&chain, false, ""),
            "192.0.2.200",
            "the peer unless told"
        );
        assert_eq!(client_of(&chain, true, ""), "10.0.0.9");
        assert_eq!(client_of(&chain, true, "10.0.0.0/8"), "203.0.113.7");
        assert_eq!(
            client_of(&chain, true, "10.0.0.0/8,203.0.113.7"),
            "198.51.100.1"
        );
        assert_eq!(
            client_of(&chain, true, "10.0.0.0/8,203.0.113.0/24,198.51.100.1"),
            "192.0.2.200",
            "all hops trusted: the peer"
        );
        assert_eq!(client_of(&[], true, ""), "192.0.2.200");
        assert_eq!(
            client_of(&["[2001:db8:1:2:3::4]:443"], true, ""),
            "2001:db8:1:2::/64"
        );
        assert_eq!(client_of(&["203.0.113.7:5000"], true, ""), "203.0.113.7");
        assert_eq!(client_of(&["::ffff:203.0.113.7"], true, ""), "203.0.113.7");
        assert_eq!(client_of(&["forged, unknown"], true, ""), "unknown");
    }
}
