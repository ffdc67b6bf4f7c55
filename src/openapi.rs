//! The OpenAPI document: generated from the router (every handler registered with `.service`
//! carries `#[utoipa::path]`), then completed with the error responses every operation can give,
//! its security requirement as generated clients read it, the response headers the service sets,
//! and references from paged lists to their items' schemas.

use utoipa::openapi::header::HeaderBuilder;
use utoipa::openapi::path::{Operation, ParameterIn};
use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder, Schema, Type};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme};
use utoipa::openapi::{ContentBuilder, OpenApi, Ref, RefOr, Response, ResponseBuilder};
use utoipa::{Modify, OpenApi as _, ToSchema};

use std::collections::BTreeSet;

use crate::error::{ErrorCode, Problem, describe};

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
    components(schemas(
        Problem,
        crate::error::FieldError,
        crate::http::Format,
        crate::directory::routes::Include
    )),
    tags(
        (name = "auth", description = "Registration, sign-in, tokens, password reset"),
        (name = "users", description = "Accounts (administrators)"),
        (name = "organisations", description = "Applicant organisations and due diligence"),
        (name = "funds", description = "Funds and the limit of each financial year"),
        (name = "family", description = "A family-expenses fund: its units and each year's rates, families' stays, journeys approved beforehand, and claims from draft to approval"),
        (name = "rounds", description = "Funding rounds and their assessment criteria"),
        (name = "applications", description = "Drafting, submitting and withdrawing applications"),
        (name = "assessment", description = "Assigning assessors, conflicts of interest, scoring, moderation and ranking"),
        (name = "awards", description = "Decisions, awards under each year's limit, acceptance and instalments"),
        (name = "payments", description = "The queue of releases, payment runs, their file for the finance system and the bank's results"),
        (name = "monitoring", description = "Monitoring returns: schedule, submission and review"),
        (name = "feedback", description = "Anonymous family feedback: links, the public form, aggregates"),
        (name = "reports", description = "Open data and reports for officials"),
        (name = "directory", description = "The national directory of funded services: public listings, and their upkeep and approval"),
        (name = "documents", description = "Uploaded documents: due diligence, budgets, evidence and signed agreements"),
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
        "`malformed_json`, `invalid_query` or `unreadable_body`: the request could not be read",
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
    for (method, path, operation) in operations(openapi) {
        let token = token(operation);
        complete(operation, token);
        state_who_may_call(operation, method, path, token);
        declare_security(operation, token);
    }
}

/// Every operation of the document with its method and path, path by path.
fn operations(openapi: &mut OpenApi) -> impl Iterator<Item = (&'static str, &str, &mut Operation)> {
    openapi.paths.paths.iter_mut().flat_map(|(path, item)| {
        [
            ("GET", &mut item.get),
            ("POST", &mut item.post),
            ("PUT", &mut item.put),
            ("PATCH", &mut item.patch),
            ("DELETE", &mut item.delete),
        ]
        .into_iter()
        .filter_map(move |(method, operation)| {
            operation
                .as_mut()
                .map(|operation| (method, path.as_str(), operation))
        })
    })
}

/// How an operation takes a bearer token, as its handler declares it: `security(("bearer" =
/// []))` requires one, `security((), ("bearer" = []))` takes one when sent, no requirement or
/// `security(())` none.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Token {
    Required,
    Optional,
    Unused,
}

fn token(operation: &Operation) -> Token {
    let anonymous = SecurityRequirement::default();
    match &operation.security {
        Some(requirements) if requirements.iter().any(|r| *r != anonymous) => {
            if requirements.contains(&anonymous) {
                Token::Optional
            } else {
                Token::Required
            }
        }
        _ => Token::Unused,
    }
}

/// States the security requirement: the bearer scheme where a token is required, and an
/// explicit empty list where anyone may call. An operation that also takes a token is declared
/// without a requirement too: generated clients (openapi-python-client among them) read any
/// listed requirement, even alongside the anonymous `{}`, as one they must meet, and would then
/// refuse to call it without a token. Its description says a token may be sent.
fn declare_security(operation: &mut Operation, token: Token) {
    operation.security = Some(match token {
        Token::Required => vec![SecurityRequirement::new("bearer", Vec::<String>::new())],
        Token::Optional | Token::Unused => Vec::new(),
    });
}

/// Adds the route's entry of the access table to its description.
fn state_who_may_call(operation: &mut Operation, method: &str, path: &str, token: Token) {
    let who = match crate::access::access(method, path) {
        Some(crate::access::Access::Public) if token == Token::Optional => {
            "anyone, without signing in; a bearer token may be sent (and must then be valid), \
             and signed-in staff see more"
                .to_owned()
        }
        Some(crate::access::Access::Public) => "anyone, without signing in".to_owned(),
        Some(crate::access::Access::Signed(action)) => action
            .roles()
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

fn complete(operation: &mut Operation, token: Token) {
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
            "401" => token != Token::Unused,
            "403" => token == Token::Required,
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
    if let Err(faults) = explain_error_codes(&mut openapi) {
        panic!(
            "the contract's error responses name codes wrongly:\n{}",
            faults.join("\n")
        );
    }
    reference_paged_items(&mut openapi);
    declare_headers(&mut openapi);
    openapi
}

/// Checks every problem response against [`ErrorCode`]: each names at least one code, every
/// code it names is in the table and has the response's status, and a code named without an
/// explanation gets its meaning from the table. The `Problem` schema's `code` lists them all.
/// Gives the codes named, or every fault found.
pub fn explain_error_codes(openapi: &mut OpenApi) -> Result<BTreeSet<ErrorCode>, Vec<String>> {
    let mut faults = Vec::new();
    let mut named = BTreeSet::new();
    let mut check = |place: String, status: &str, response: &mut Response| {
        if !response.content.contains_key("application/problem+json") {
            return;
        }
        let described = status
            .parse::<u16>()
            .map_err(|_| format!("no status `{status}`"))
            .and_then(|status| describe(&response.description, status));
        match described {
            Ok(described) if described.codes.is_empty() => {
                faults.push(format!("{place}: names no code"));
            }
            Ok(described) => {
                named.extend(described.codes);
                response.description = described.text;
            }
            Err(fault) => faults.push(format!("{place}: {fault}")),
        }
    };
    let components = openapi.components.get_or_insert_with(Default::default);
    for (status, name, _) in STANDARD {
        if let Some(RefOr::T(response)) = components.responses.get_mut(*name) {
            check(format!("response {name}"), status, response);
        }
    }
    if let Some(RefOr::T(Schema::Object(problem))) =
        components.schemas.get_mut(Problem::name().as_ref())
        && let Some(RefOr::T(Schema::Object(code))) = problem.properties.get_mut("code")
    {
        code.description = Some(ErrorCode::schema_description());
    }
    for (method, path, operation) in operations(openapi) {
        for (status, response) in operation.responses.responses.iter_mut() {
            if let RefOr::T(response) = response {
                check(format!("{method} {path} {status}"), status, response);
            }
        }
    }
    if faults.is_empty() {
        Ok(named)
    } else {
        Err(faults)
    }
}

/// A paged list's items refer to their schema. utoipa composes `Paged<T>` with `T`'s schema
/// copied inline, so a generated client would get a class per copy, and a listed item would not
/// be of the type that the same item has when read alone.
fn reference_paged_items(openapi: &mut OpenApi) {
    let components = openapi.components.get_or_insert_with(Default::default);
    let paged: Vec<(String, String)> = components
        .schemas
        .keys()
        .filter_map(|name| Some((name.clone(), name.strip_prefix("Paged_")?.to_owned())))
        .collect();
    for (page, item) in paged {
        let Some(RefOr::T(Schema::Object(object))) = components.schemas.get_mut(&page) else {
            continue;
        };
        let Some(items) = object.properties.get_mut("items") else {
            continue;
        };
        let inline = match items {
            RefOr::T(Schema::Array(array)) => match &array.items {
                utoipa::openapi::schema::ArrayItems::RefOrSchema(schema) => {
                    Some((**schema).clone())
                }
                utoipa::openapi::schema::ArrayItems::False => None,
            },
            _ => None,
        };
        *items = ArrayBuilder::new()
            .items(Ref::from_schema_name(item.clone()))
            .into();
        if let Some(inline) = inline {
            components.schemas.entry(item).or_insert(inline);
        }
    }
}

/// The response headers the service sets: `X-Request-Id` on every answer, `Retry-After` on
/// every 429 and 503.
fn declare_headers(openapi: &mut OpenApi) {
    const REQUEST_ID: &str = "X-Request-Id";
    const RETRY_AFTER: &str = "Retry-After";
    let components = openapi.components.get_or_insert_with(Default::default);
    components.headers.insert(
        REQUEST_ID.to_owned(),
        RefOr::T(
            HeaderBuilder::new()
                .schema(Some(ObjectBuilder::new().schema_type(Type::String)))
                .description(Some(
                    "The request's id, as the service logs it; quote it when reporting a problem.",
                ))
                .build(),
        ),
    );
    components.headers.insert(
        RETRY_AFTER.to_owned(),
        RefOr::T(
            HeaderBuilder::new()
                .schema(Some(
                    ObjectBuilder::new()
                        .schema_type(Type::Integer)
                        .minimum(Some(0)),
                ))
                .description(Some("Seconds to wait before trying again."))
                .build(),
        ),
    );
    let header = |name: &str| RefOr::Ref(Ref::new(format!("#/components/headers/{name}")));
    let add = |status: &str, response: &mut Response| {
        response
            .headers
            .insert(REQUEST_ID.to_owned(), header(REQUEST_ID));
        if status == "429" || status == "503" {
            response
                .headers
                .insert(RETRY_AFTER.to_owned(), header(RETRY_AFTER));
        }
    };
    for (status, name, _) in STANDARD {
        if let Some(RefOr::T(response)) = components.responses.get_mut(*name) {
            add(status, response);
        }
    }
    for item in openapi.paths.paths.values_mut() {
        for operation in [
            &mut item.get,
            &mut item.post,
            &mut item.put,
            &mut item.patch,
            &mut item.delete,
        ]
        .into_iter()
        .flatten()
        {
            for (status, response) in operation.responses.responses.iter_mut() {
                if let RefOr::T(response) = response {
                    add(status, response);
                }
            }
        }
    }
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

#[cfg(test)]
mod tests {
    use serde::de::DeserializeOwned;

    use crate::wire::parse_json;

    fn read<T: DeserializeOwned>(body: &[u8]) -> Result<(), String> {
        parse_json::<T>(body)
            .map(|_| ())
            .map_err(|e| format!("{:?}", e.problem()))
    }

    /// Reads `body` as the request body named `schema` in the contract.
    fn read_as(schema: &str, body: &[u8]) -> Result<(), String> {
        use crate::{applications, assessment, auth, awards, feedback, funds, monitoring};
        use crate::{documents, organisations, rounds, users};
        match schema {
            "RegisterRequest" => read::<auth::model::RegisterRequest>(body),
            "LoginRequest" => read::<auth::routes::LoginRequest>(body),
            "LoginMfaRequest" => read::<auth::routes::LoginMfaRequest>(body),
            "ConfirmRequest" => read::<crate::mfa::routes::ConfirmRequest>(body),
            "ProofRequest" => read::<crate::mfa::routes::ProofRequest>(body),
            "RefreshRequest" => read::<auth::routes::RefreshRequest>(body),
            "PasswordResetRequest" => read::<auth::routes::PasswordResetRequest>(body),
            "PasswordResetConfirm" => read::<auth::routes::PasswordResetConfirm>(body),
            "CreateUserRequest" => read::<users::routes::CreateUserRequest>(body),
            "UpdateUserRequest" => read::<users::routes::UpdateUserRequest>(body),
            "OrganisationPatch" => read::<organisations::model::OrganisationPatch>(body),
            "BankDetailsInput" => read::<organisations::bank::BankDetailsInput>(body),
            "AddressInput" => read::<organisations::address::AddressInput>(body),
            "ServiceInput" => read::<crate::directory::model::ServiceInput>(body),
            "Approval" => read::<crate::directory::model::Approval>(body),
            "FundInput" => read::<funds::model::FundInput>(body),
            "FundPatch" => read::<funds::model::FundPatch>(body),
            "FundYearInput" => read::<funds::model::FundYearInput>(body),
            "UnitInput" => read::<crate::family::model::UnitInput>(body),
            "RatesInput" => read::<crate::family::model::RatesInput>(body),
            "NewAccount" => read::<auth::model::NewAccount>(body),
            "StayInput" => read::<crate::family::stay_model::StayInput>(body),
            "ChildInput" => read::<crate::family::stay_model::ChildInput>(body),
            "DischargeInput" => read::<crate::family::stay_model::DischargeInput>(body),
            "PreApprovalInput" => read::<crate::family::claim_model::PreApprovalInput>(body),
            "PreApprovalDecisionInput" => {
                read::<crate::family::claim_model::PreApprovalDecisionInput>(body)
            }
            "ClaimInput" => read::<crate::family::claim_model::ClaimInput>(body),
            "CertifyInput" => read::<crate::family::claim_model::CertifyInput>(body),
            "ClaimDecisionInput" => read::<crate::family::claim_model::ClaimDecisionInput>(body),
            "ReasonInput" => read::<crate::family::claim_model::ReasonInput>(body),
            "RoundInput" => read::<rounds::model::RoundInput>(body),
            "RoundPatch" => read::<rounds::model::RoundPatch>(body),
            "CriterionInput" => read::<rounds::model::CriterionInput>(body),
            "CriterionPatch" => read::<rounds::model::CriterionPatch>(body),
            "RoundForm" => read::<rounds::form::RoundForm>(body),
            "CopyFormInput" => read::<rounds::routes::CopyFormInput>(body),
            "AnswersInput" => read::<applications::model::AnswersInput>(body),
            "QuestionInput" => read::<applications::information::QuestionInput>(body),
            "AnswerInput" => read::<applications::information::AnswerInput>(body),
            "NewApplication" => read::<applications::model::NewApplication>(body),
            "ApplicationPatch" => read::<applications::model::ApplicationPatch>(body),
            "NewAssignment" => read::<assessment::model::NewAssignment>(body),
            "BulkAssignment" => read::<assessment::model::BulkAssignment>(body),
            "ConflictDeclaration" => read::<assessment::model::ConflictDeclaration>(body),
            "ScoreSheet" => read::<assessment::model::ScoreSheet>(body),
            "ModerationInput" => read::<assessment::model::ModerationInput>(body),
            "DecisionInput" => read::<awards::model::DecisionInput>(body),
            "TerminationInput" => read::<awards::model::TerminationInput>(body),
            "VariationInput" => read::<awards::model::variation::VariationInput>(body),
            "VariationDecisionInput" => {
                read::<awards::model::variation::VariationDecisionInput>(body)
            }
            "ReturnPatch" => read::<monitoring::model::ReturnPatch>(body),
            "ReviewInput" => read::<monitoring::model::ReviewInput>(body),
            "NewFeedbackLink" => read::<feedback::model::NewFeedbackLink>(body),
            "FeedbackInput" => read::<feedback::model::FeedbackInput>(body),
            "RequiredKinds" => read::<documents::model::RequiredKinds>(body),
            "BuildRunInput" => read::<crate::payments::model::BuildRunInput>(body),
            "MarkPaidInput" => read::<crate::payments::model::MarkPaidInput>(body),
            "MarkFailedInput" => read::<crate::payments::model::MarkFailedInput>(body),
            other => Err(format!("no request type is known for {other}")),
        }
    }

    /// The docs page shows each request body's example, so each is one the service reads as
    /// it stands. Read from the committed document, which the contract test holds equal to the
    /// one the router generates.
    #[test]
    fn every_request_body_has_an_example_the_service_reads() {
        let doc: serde_json::Value =
            serde_json::from_str(include_str!("../openapi/openapi.json")).unwrap_or_default();
        let paths = doc["paths"].as_object().cloned().unwrap_or_default();
        let mut bodies = 0;
        for (path, item) in &paths {
            for (method, operation) in item.as_object().into_iter().flatten() {
                let Some(body) = operation.get("requestBody") else {
                    continue;
                };
                // Uploads and files sent as bytes are not JSON: their examples are checked by their routes'
                // own tests.
                if body["content"].get("multipart/form-data").is_some()
                    || body["content"].get("text/csv").is_some()
                    || body["content"].get("application/octet-stream").is_some()
                {
                    continue;
                }
                bodies += 1;
                let content = &body["content"]["application/json"];
                let schema = content["schema"]["$ref"]
                    .as_str()
                    .and_then(|r| r.rsplit('/').next())
                    .unwrap_or_default();
                let example = &content["example"];
                assert!(example.is_object(), "{method} {path} has no example");
                let text = serde_json::to_vec(example).unwrap_or_default();
                if let Err(problem) = read_as(schema, &text) {
                    panic!("{method} {path}: its example is refused: {problem}");
                }
            }
        }
        assert!(bodies >= 28, "{bodies} request bodies");
    }
}
