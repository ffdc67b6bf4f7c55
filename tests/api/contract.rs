//! The committed OpenAPI document is the one the code generates, and it describes every route.

use std::collections::BTreeSet;

use crate::db_test;

const COMMITTED: &str = include_str!("../../openapi/openapi.json");

#[test]
fn the_committed_openapi_document_matches_the_code() {
    let generated = grantfund::openapi::to_json(&grantfund::openapi_document());
    assert!(
        generated == COMMITTED,
        "openapi/openapi.json is out of date; regenerate it with:\n    cargo run -- openapi > openapi/openapi.json"
    );
}

/// Each operation of the contract, by method and path, with its access entry.
fn operations(doc: &serde_json::Value) -> Vec<(String, String, &serde_json::Value)> {
    let mut out = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            out.push((method.clone(), path.clone(), operation));
        }
    }
    out
}

#[test]
fn every_operation_documents_its_errors_and_security() {
    let doc: serde_json::Value = serde_json::from_str(COMMITTED).unwrap();
    assert_eq!(doc["openapi"], "3.1.0");
    assert!(doc["components"]["securitySchemes"]["bearer"].is_object());
    let mut seen = BTreeSet::new();
    for (method, path, operation) in operations(&doc) {
        let key = format!("{method} {path}");
        let responses = operation["responses"].as_object().unwrap();
        assert!(responses.contains_key("500"), "{key} lacks 500");
        let access = grantfund::access::access(&method.to_ascii_uppercase(), &path);
        let public = match access {
            Some(grantfund::access::Access::Public) => true,
            Some(grantfund::access::Access::Signed(_)) => false,
            None => panic!("{key} has no entry in the access table"),
        };
        // Anyone: no requirement, stated as such, so that generated clients call it without
        // a token. Signed in: the bearer scheme alone.
        let expected = if public {
            serde_json::json!([])
        } else {
            serde_json::json!([{"bearer": []}])
        };
        assert_eq!(operation["security"], expected, "{key}: security is wrong");
        if !public {
            assert!(
                responses.contains_key("401") && responses.contains_key("403"),
                "{key} lacks 401/403"
            );
        }
        if operation.get("requestBody").is_some() {
            for status in ["400", "413", "415", "422"] {
                assert!(responses.contains_key(status), "{key} lacks {status}");
            }
        }
        seen.insert(key);
    }
    for expected in [
        "get /api/v1/me",
        "post /api/v1/users",
        "get /api/v1/users",
        "patch /api/v1/users/{id}",
        "get /api/v1/organisations",
        "get /api/v1/organisations/{id}",
        "patch /api/v1/organisations/{id}",
        "post /api/v1/organisations/{id}/verify",
        "get /api/v1/audit",
        "get /api/v1/outbox",
    ] {
        assert!(seen.contains(expected), "{expected} is not in the contract");
    }
    // Rounds and their criteria are read with or without a token: a sent token must be valid.
    for path in [
        "/api/v1/rounds",
        "/api/v1/rounds/{id}",
        "/api/v1/rounds/{id}/criteria",
    ] {
        let operation = &doc["paths"][path]["get"];
        assert_eq!(operation["security"], serde_json::json!([]), "{path}");
        assert!(
            operation["responses"]["401"].is_object(),
            "{path}: a bad token is refused"
        );
        assert!(
            operation["description"]
                .as_str()
                .unwrap()
                .contains("a bearer token may be sent"),
            "{path}"
        );
    }
}

/// Every path parameter is typed, and a text one has the pattern of the values the service
/// accepts, so that a client can check a value before sending it.
#[test]
fn every_path_parameter_has_a_type_and_text_ones_a_pattern() {
    let doc: serde_json::Value = serde_json::from_str(COMMITTED).unwrap();
    let mut untyped = Vec::new();
    let mut count = 0;
    for (method, path, operation) in operations(&doc) {
        for parameter in operation["parameters"].as_array().into_iter().flatten() {
            if parameter["in"] != "path" {
                continue;
            }
            count += 1;
            let name = parameter["name"].as_str().unwrap();
            let schema = &parameter["schema"];
            assert_eq!(parameter["required"], true, "{method} {path}: {name}");
            match schema["type"].as_str() {
                Some("integer") => {}
                Some("string") if schema["pattern"].is_string() => {}
                other => untyped.push(format!("{method} {path}: {name} ({other:?}, {schema})")),
            }
        }
        for name in path
            .split('/')
            .filter_map(|s| s.strip_prefix('{')?.strip_suffix('}'))
        {
            assert!(
                operation["parameters"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .any(|p| p["in"] == "path" && p["name"] == name),
                "{method} {path}: {name} is not described"
            );
        }
    }
    assert!(count > 50, "{count} path parameters");
    assert!(
        untyped.is_empty(),
        "path parameters without a type or pattern:\n{}",
        untyped.join("\n")
    );
}

/// Shapes a generated client turns into classes are named once and referred to: a page of a
/// list refers to its item's schema, and the formats are one enum.
#[test]
fn lists_refer_to_their_items_and_the_format_enum_is_one_schema() {
    let doc: serde_json::Value = serde_json::from_str(COMMITTED).unwrap();
    let schemas = doc["components"]["schemas"].as_object().unwrap();
    let mut pages = 0;
    for (name, schema) in schemas {
        if let Some(item) = name.strip_prefix("Paged_") {
            pages += 1;
            assert_eq!(
                schema["properties"]["items"]["items"],
                serde_json::json!({"$ref": format!("#/components/schemas/{item}")}),
                "{name}"
            );
            assert!(schemas.contains_key(item), "{name}: no schema {item}");
        }
    }
    assert!(pages >= 13, "{pages} paged lists");
    assert_eq!(
        schemas["Format"]["enum"],
        serde_json::json!(["json", "csv"])
    );
    let text = COMMITTED.replace([' ', '\n'], "");
    assert_eq!(
        text.matches(r#""enum":["json","csv"]"#).count(),
        1,
        "the format enum is written once, in Format"
    );
}

/// A generated client reads an operation's answer by its first content type, so an operation
/// that also answers CSV has a sibling, the same path ending in `.csv`, that answers only CSV.
#[test]
fn every_csv_answer_has_an_operation_of_its_own() {
    let doc: serde_json::Value = serde_json::from_str(COMMITTED).unwrap();
    let paths = doc["paths"].as_object().unwrap();
    let mut siblings = 0;
    for (method, path, operation) in operations(&doc) {
        let content = operation["responses"]["200"]["content"].as_object();
        let Some(content) = content else { continue };
        if !content.contains_key("text/csv") {
            continue;
        }
        // A document's content is the file as it was uploaded, not a CSV view of an answer.
        if path.ends_with("/documents/{id}/content") {
            continue;
        }
        if path.ends_with(".csv") {
            assert_eq!(content.len(), 1, "{method} {path} answers only CSV");
            assert_eq!(content["text/csv"]["schema"]["type"], "string", "{path}");
            assert!(
                !operation["parameters"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .any(|p| p["name"] == "format"),
                "{path} takes no format"
            );
        } else {
            let sibling = format!("{path}.csv");
            assert!(
                paths.contains_key(&sibling),
                "{method} {path} answers CSV but {sibling} is missing"
            );
            siblings += 1;
        }
    }
    assert_eq!(
        siblings, 8,
        "the ranking, five reports, the family fund's report and the 360Giving export"
    );
}

/// The headers the service sets are declared: `X-Request-Id` on every answer, `Retry-After` on
/// 429 and 503; `Idempotency-Key` is a text that may be left out, never `null`.
#[test]
fn every_operation_has_its_own_id() {
    let doc: serde_json::Value = serde_json::from_str(COMMITTED).unwrap();
    let mut seen = std::collections::HashSet::new();
    for (method, path, operation) in operations(&doc) {
        let id = operation["operationId"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        assert!(!id.is_empty(), "{method} {path} has no operationId");
        assert!(
            seen.insert(id.clone()),
            "{method} {path}: operationId {id} is used twice"
        );
    }
}

#[test]
fn the_headers_are_declared() {
    let doc: serde_json::Value = serde_json::from_str(COMMITTED).unwrap();
    let resolve = |response: &serde_json::Value| -> serde_json::Value {
        match response["$ref"].as_str() {
            Some(target) => {
                doc["components"]["responses"][target.rsplit('/').next().unwrap()].clone()
            }
            None => response.clone(),
        }
    };
    let mut keys = 0;
    for (method, path, operation) in operations(&doc) {
        for (status, response) in operation["responses"].as_object().unwrap() {
            let response = resolve(response);
            let headers = &response["headers"];
            assert!(
                headers["X-Request-Id"].is_object(),
                "{method} {path} {status}: X-Request-Id"
            );
            if status == "429" || status == "503" {
                assert!(
                    headers["Retry-After"].is_object(),
                    "{method} {path} {status}: Retry-After"
                );
            }
        }
        for parameter in operation["parameters"].as_array().into_iter().flatten() {
            if parameter["name"] == "Idempotency-Key" {
                keys += 1;
                assert_eq!(parameter["in"], "header");
                assert_eq!(parameter["required"], false);
                assert_eq!(parameter["schema"]["type"], "string", "{method} {path}");
            }
        }
    }
    assert_eq!(
        keys, 11,
        "decisions, the five award actions, the four variation actions and a claim's approval"
    );
    assert_eq!(
        doc["components"]["headers"]["Retry-After"]["schema"]["type"],
        "integer"
    );
}

/// No answer of the contract is left untyped: a JSON answer has a named schema or a type.
#[test]
fn every_json_answer_has_a_schema() {
    let doc: serde_json::Value = serde_json::from_str(COMMITTED).unwrap();
    for (method, path, operation) in operations(&doc) {
        for (status, response) in operation["responses"].as_object().unwrap() {
            let schema = &response["content"]["application/json"]["schema"];
            if schema.is_null() {
                continue;
            }
            assert!(
                schema["$ref"].is_string()
                    || schema["type"].is_string()
                    || schema["items"].is_object(),
                "{method} {path} {status}: {schema}"
            );
        }
    }
    assert_eq!(
        doc["paths"]["/api/v1/exports/360giving"]["get"]["responses"]["200"]["content"]["application/json"]
            ["schema"]["$ref"],
        "#/components/schemas/GrantPackage"
    );
}

db_test! {
    async fn the_document_and_docs_page_are_served_with_no_outside_scripts(app) {
        let doc = app.anonymous().get("/openapi.json").send().await;
        assert_eq!(doc.status.as_u16(), 200);
        let committed: serde_json::Value = serde_json::from_str(COMMITTED).unwrap();
        assert_eq!(doc.json, committed);
        let page = app.anonymous().get("/docs/").send().await;
        assert_eq!(page.status.as_u16(), 200);
        assert!(page.text.contains("swagger-ui-bundle.js"));
        assert!(!page.text.contains("http://") && !page.text.contains("https://"), "the docs page loads nothing from outside");
        let script = app.anonymous().get("/docs/swagger-ui-bundle.js").send().await;
        assert_eq!(script.status.as_u16(), 200);
        assert!(script.text.len() > 100_000);
    }
}

/// Every schema a request body can reach, by name.
fn request_schemas(doc: &serde_json::Value) -> BTreeSet<String> {
    fn refs(value: &serde_json::Value, out: &mut Vec<String>) {
        match value {
            serde_json::Value::Object(map) => {
                for (key, inner) in map {
                    match (key.as_str(), inner.as_str()) {
                        ("$ref", Some(target)) => {
                            out.push(target.rsplit('/').next().unwrap_or_default().to_owned())
                        }
                        _ => refs(inner, out),
                    }
                }
            }
            serde_json::Value::Array(items) => items.iter().for_each(|i| refs(i, out)),
            _ => {}
        }
    }
    let mut todo = Vec::new();
    for item in doc["paths"].as_object().unwrap().values() {
        for operation in item.as_object().unwrap().values() {
            refs(&operation["requestBody"], &mut todo);
        }
    }
    let mut seen = BTreeSet::new();
    while let Some(name) = todo.pop() {
        if seen.insert(name.clone()) {
            refs(&doc["components"]["schemas"][&name], &mut todo);
        }
    }
    seen
}

/// A request's lists and maps are bounded in the contract, so that no small request can make
/// the service do, answer or log work in proportion to thousands of items; parsing enforces
/// the same bounds. A list of a vocabulary is bounded by the vocabulary's size.
#[test]
fn every_list_and_map_in_a_request_has_a_bound() {
    fn walk(
        doc: &serde_json::Value,
        value: &serde_json::Value,
        at: &str,
        unbounded: &mut Vec<String>,
    ) {
        let Some(map) = value.as_object() else { return };
        let types: Vec<&str> = match &map.get("type") {
            Some(serde_json::Value::String(t)) => vec![t.as_str()],
            Some(serde_json::Value::Array(ts)) => ts.iter().filter_map(|t| t.as_str()).collect(),
            _ => Vec::new(),
        };
        if types.contains(&"array") {
            match map.get("maxItems").and_then(|m| m.as_u64()) {
                None => unbounded.push(format!("{at}: an array without maxItems")),
                Some(max) => {
                    let vocabulary = map["items"]["$ref"]
                        .as_str()
                        .and_then(|r| doc["components"]["schemas"][r.rsplit('/').next().unwrap_or_default()]["enum"].as_array());
                    if let Some(values) = vocabulary
                        && max != values.len() as u64
                    {
                        unbounded.push(format!(
                            "{at}: maxItems {max}, but {} values to choose from",
                            values.len()
                        ));
                    }
                }
            }
        }
        if types.contains(&"object")
            && map
                .get("additionalProperties")
                .is_some_and(|a| a.is_object())
            && map.get("maxProperties").is_none()
        {
            unbounded.push(format!("{at}: a map without maxProperties"));
        }
        for (key, inner) in map {
            match inner {
                serde_json::Value::Array(items) => {
                    for (i, item) in items.iter().enumerate() {
                        walk(doc, item, &format!("{at}.{key}[{i}]"), unbounded);
                    }
                }
                _ => walk(doc, inner, &format!("{at}.{key}"), unbounded),
            }
        }
    }
    let doc: serde_json::Value = serde_json::from_str(COMMITTED).unwrap();
    let schemas = request_schemas(&doc);
    assert!(
        schemas.contains("RegisterRequest") && schemas.contains("NewApplication"),
        "{schemas:?}"
    );
    let mut unbounded = Vec::new();
    for name in &schemas {
        walk(
            &doc,
            &doc["components"]["schemas"][name],
            name,
            &mut unbounded,
        );
    }
    assert!(
        unbounded.is_empty(),
        "unbounded in requests:\n{}",
        unbounded.join("\n")
    );
}

/// Where `value` departs from the committed contract's schema `name`: types, required and
/// unknown properties, items and enums (patterns and bounds are left to the fuzzing). Empty
/// when it conforms.
pub fn departures(name: &str, value: &serde_json::Value) -> Vec<String> {
    let doc: serde_json::Value = serde_json::from_str(COMMITTED).unwrap();
    let mut out = Vec::new();
    check(
        &doc,
        &serde_json::json!({"$ref": format!("#/components/schemas/{name}")}),
        value,
        name,
        &mut out,
    );
    out
}

fn check(
    doc: &serde_json::Value,
    schema: &serde_json::Value,
    value: &serde_json::Value,
    at: &str,
    out: &mut Vec<String>,
) {
    use serde_json::Value;
    if let Some(target) = schema["$ref"].as_str() {
        let name = target.rsplit('/').next().unwrap();
        return check(doc, &doc["components"]["schemas"][name], value, at, out);
    }
    if let Some(choices) = schema["oneOf"].as_array() {
        let fits = choices.iter().any(|choice| {
            let mut inner = Vec::new();
            check(doc, choice, value, at, &mut inner);
            inner.is_empty()
        });
        if !fits {
            out.push(format!("{at}: fits none of oneOf"));
        }
        return;
    }
    for part in schema["allOf"].as_array().into_iter().flatten() {
        check(doc, part, value, at, out);
    }
    let types: Vec<&str> = match &schema["type"] {
        Value::String(t) => vec![t.as_str()],
        Value::Array(ts) => ts.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    let kind = match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    };
    let fits = types.is_empty()
        || types.contains(&kind)
        || (kind == "integer" && types.contains(&"number"));
    if !fits {
        out.push(format!("{at}: a {kind}, the contract says {types:?}"));
        return;
    }
    if let Some(values) = schema["enum"].as_array()
        && !values.contains(value)
    {
        out.push(format!("{at}: {value} is not one of {values:?}"));
    }
    match value {
        Value::Object(map) => {
            let properties = schema["properties"].as_object();
            for required in schema["required"].as_array().into_iter().flatten() {
                let key = required.as_str().unwrap();
                if !map.contains_key(key) {
                    out.push(format!("{at}: lacks {key}"));
                }
            }
            for (key, inner) in map {
                match properties.and_then(|p| p.get(key)) {
                    Some(property) => check(doc, property, inner, &format!("{at}.{key}"), out),
                    None if schema["additionalProperties"].is_object() => check(
                        doc,
                        &schema["additionalProperties"],
                        inner,
                        &format!("{at}.{key}"),
                        out,
                    ),
                    None if properties.is_some() => {
                        out.push(format!("{at}: {key} is not in the contract"))
                    }
                    None => {}
                }
            }
        }
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                check(doc, &schema["items"], item, &format!("{at}[{i}]"), out);
            }
        }
        _ => {}
    }
}

#[test]
fn departures_are_found() {
    let problem = serde_json::json!({"type": "urn:x", "title": "Conflict", "status": 409, "detail": "d", "code": "c", "years": [{"financial_year": "2021-22", "limit": "1.00", "remaining": 2, "asked": "1.00"}], "extra": true});
    let found = departures("Problem", &problem);
    assert_eq!(
        found,
        [
            "Problem: extra is not in the contract",
            "Problem.years[0].remaining: a integer, the contract says [\"string\"]",
        ],
        "{found:?}"
    );
}

/// Every code the operations answer is named by at least one of their error responses; the
/// few that any operation can answer are listed with the `Problem` schema, and codes the API
/// never answers are named by none.
#[test]
fn every_code_is_named_where_it_is_answered() {
    use grantfund::error::{ErrorCode, Reach};
    let mut doc = grantfund::openapi_document();
    let named = grantfund::openapi::explain_error_codes(&mut doc).unwrap_or_default();
    let unnamed: Vec<&str> = ErrorCode::ALL
        .iter()
        .filter(|c| c.reach() == Reach::Operations && !named.contains(c))
        .map(|c| c.as_str())
        .collect();
    assert!(unnamed.is_empty(), "named by no operation: {unnamed:?}");
    let never_answered: Vec<&str> = named
        .iter()
        .filter(|c| matches!(c.reach(), Reach::Portal | Reach::Internal))
        .map(|c| c.as_str())
        .collect();
    assert!(
        never_answered.is_empty(),
        "not answered by the API: {never_answered:?}"
    );
    let listed = grantfund::openapi::to_json(&doc);
    for code in ErrorCode::ALL
        .iter()
        .filter(|c| c.reach() != Reach::Internal)
    {
        assert!(
            listed.contains(&format!(
                "- `{}` ({}",
                code.as_str(),
                code.status().as_u16()
            )),
            "{code} is not listed with the Problem schema"
        );
    }
}
