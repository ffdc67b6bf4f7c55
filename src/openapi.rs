//! The OpenAPI document: generated from the router (every handler registered with `.service`
//! carries `#[utoipa::path]`), then completed with the error responses every operation can give.

use utoipa::openapi::path::{Operation, ParameterIn};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{ContentBuilder, OpenApi, Ref, RefOr, ResponseBuilder};
use utoipa::{Modify, OpenApi as _, ToSchema};

use crate::error::Problem;

#[derive(utoipa::OpenApi)]
#[openapi(
    info(
        title = "Grant fund service",
        description = "Runs a third-sector grant fund: organisations apply in rounds, panels score \
bids, administrators award grants within each financial year's limit, grant holders report, \
families give anonymous feedback, officials read totals and open data.\n\n\
Money is a decimal string with two places (`\"250000.00\"`). Errors are RFC 9457 \
`application/problem+json` with a stable `code`; validation failures list every field in `errors` \
(the first 50, with `errors_omitted` counting the rest). Every list and map in a request has a \
`maxItems` or `maxProperties` bound, refused with 422 when passed.",
        license(name = "MIT", identifier = "MIT")
    ),
    modifiers(&Security),
    components(schemas(Problem, crate::error::FieldError)),
    tags(
        (name = "auth", description = "Registration, sign-in, tokens, password reset"),
        (name = "users", description = "Accounts (administrators)"),
        (name = "organisations", description = "Applicant organisations and due diligence"),
        (name = "funds", description = "Funds and the limit of each financial year"),
        (name = "rounds", description = "Funding rounds and their assessment criteria"),
        (name = "applications", description = "Drafting, submitting and withdrawing applications"),
        (name = "assessment", description = "Assigning assessors, conflicts of interest, scoring, moderation and ranking"),
        (name = "awards", description = "Decisions, awards under each year's limit, acceptance and instalments"),
        (name = "monitoring", description = "Monitoring returns: schedule, submission and review"),
        (name = "feedback", description = "Anonymous family feedback: links, the public form, aggregates"),
        (name = "reports", description = "Open data and reports for officials"),
        (name = "admin", description = "Audit trail and email outbox (administrators)"),
        (name = "reference", description = "Fixed vocabularies"),
        (name = "service", description = "Liveness and readiness"),
    )
)]
pub struct ApiDoc;

struct Security;

impl Modify for Security {
    fn modify(&self, openapi: &mut OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .description(Some(
                        "Access token from `POST /api/v1/auth/login` or `/auth/refresh`.",
                    ))
                    .build(),
            ),
        );
    }
}

/// The shared error responses, by status: name, description.
const STANDARD: &[(&str, &str, &str)] = &[
    (
        "400",
        "BadRequest",
        "`malformed_json` or `invalid_query`: the request could not be read",
    ),
    (
        "401",
        "Unauthorized",
        "`missing_token`, `invalid_token`, `token_expired` or `account_disabled`",
    ),
    (
        "403",
        "Forbidden",
        "`forbidden`: your role does not allow this",
    ),
    (
        "404",
        "NotFound",
        "`not_found`: absent, or not visible to you",
    ),
    (
        "413",
        "PayloadTooLarge",
        "`payload_too_large`: the body is over the size limit",
    ),
    (
        "415",
        "UnsupportedMediaType",
        "`unsupported_media_type`: the body must be JSON",
    ),
    (
        "422",
        "ValidationFailed",
        "`validation_failed`: every failed field is listed in `errors`",
    ),
    (
        "500",
        "InternalError",
        "`internal_error`: a fault of the service, logged; no details are given",
    ),
    (
        "503",
        "ServiceUnavailable",
        "`service_unavailable`: the database cannot be reached; `write_conflict`: simultaneous writes kept meeting this one and nothing was changed; retry after `Retry-After`",
    ),
];

/// Adds to every operation the error responses it can give and has not described itself.
fn add_standard_errors(openapi: &mut OpenApi) {
    let components = openapi.components.get_or_insert_with(Default::default);
    for (_, name, description) in STANDARD {
        components.responses.insert(
            (*name).to_owned(),
            RefOr::T(
                ResponseBuilder::new()
                    .description(*description)
                    .content(
                        "application/problem+json",
                        ContentBuilder::new()
                            .schema(Some(Ref::from_schema_name(Problem::name())))
                            .build(),
                    )
                    .build(),
            ),
        );
    }
    for (path, item) in openapi.paths.paths.iter_mut() {
        for (method, operation) in [
            ("GET", &mut item.get),
            ("POST", &mut item.post),
            ("PUT", &mut item.put),
            ("PATCH", &mut item.patch),
            ("DELETE", &mut item.delete),
        ] {
            if let Some(operation) = operation {
                complete(operation);
                state_who_may_call(operation, method, path);
            }
        }
    }
}

/// Adds the route's entry of the access table to its description.
fn state_who_may_call(operation: &mut Operation, method: &str, path: &str) {
    let who = match crate::access::access(method, path) {
        Some(crate::access::Access::Public) => "anyone, without signing in".to_owned(),
        Some(crate::access::Access::Roles(roles)) => roles
            .iter()
            .map(|r| r.as_str())
            .collect::<Vec<_>>()
            .join(", "),
        None => "nobody (the route has no access entry)".to_owned(),
    };
    let description = operation.description.get_or_insert_with(String::new);
    if !description.is_empty() {
        description.push_str("\n\n");
    }
    description.push_str(&format!("Who may call: {who}."));
}

fn complete(operation: &mut Operation) {
    let secured = operation.security.as_ref().is_some_and(|s| !s.is_empty());
    let has_body = operation.request_body.is_some();
    let params = operation.parameters.as_deref().unwrap_or_default();
    let located = |place: ParameterIn| {
        params
            .iter()
            .any(|p| matches!(p, RefOr::T(p) if p.parameter_in == place))
    };
    let (has_path, has_query) = (located(ParameterIn::Path), located(ParameterIn::Query));
    let has_header = located(ParameterIn::Header);
    // A financial year in the path is checked like a field: 422 when it is not one.
    let has_year_in_path = params.iter().any(
        |p| matches!(p, RefOr::T(p) if p.parameter_in == ParameterIn::Path && p.name == "financial_year"),
    );
    for (status, name, _) in STANDARD {
        let applies = match *status {
            "400" => has_body || has_query || has_header,
            "401" | "403" => secured,
            "404" => has_path,
            "413" | "415" => has_body,
            "422" => has_body || has_query || has_year_in_path,
            _ => true,
        };
        if applies && !operation.responses.responses.contains_key(*status) {
            operation.responses.responses.insert(
                (*status).to_owned(),
                RefOr::Ref(Ref::new(format!("#/components/responses/{name}"))),
            );
        }
    }
}

/// The base document before the router adds its paths.
pub fn base() -> OpenApi {
    ApiDoc::openapi()
}

/// Finishes a document the router produced.
pub fn finish(mut openapi: OpenApi) -> OpenApi {
    add_standard_errors(&mut openapi);
    openapi
}

/// The committed form of the document: pretty JSON with a final newline.
/// The committed document, `openapi/openapi.json`, as the server serves it. A test fails when it
/// differs from the document generated from the handlers, so it is that document.
pub const COMMITTED: &str = include_str!("../openapi/openapi.json");

pub fn to_json(openapi: &OpenApi) -> String {
    let mut text = openapi
        .to_pretty_json()
        .unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
    text.push('\n');
    text
}
