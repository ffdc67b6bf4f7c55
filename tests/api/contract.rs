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

#[test]
fn every_operation_documents_its_errors_and_security() {
    let doc: serde_json::Value = serde_json::from_str(COMMITTED).unwrap();
    assert_eq!(doc["openapi"], "3.1.0");
    assert!(doc["components"]["securitySchemes"]["bearer"].is_object());
    let public: BTreeSet<&str> = [
        "post /api/v1/auth/register",
        "post /api/v1/auth/login",
        "post /api/v1/auth/refresh",
        "post /api/v1/auth/password-reset/request",
        "post /api/v1/auth/password-reset/confirm",
        "get /api/v1/reference/health-boards",
        "get /health",
        "get /ready",
    ]
    .into();
    let mut seen = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            let key = format!("{method} {path}");
            let responses = operation["responses"].as_object().unwrap();
            assert!(responses.contains_key("500"), "{key} lacks 500");
            let secured = operation
                .get("security")
                .is_some_and(|s| !s.as_array().unwrap().is_empty());
            assert_eq!(
                !secured,
                public.contains(key.as_str()),
                "{key}: security is wrong"
            );
            if secured {
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
}

db_test! {
    async fn the_document_and_docs_page_are_served_with_no_outside_scripts(app) {
        let doc = app.send("GET", "/openapi.json", None, None).await;
        assert_eq!(doc.status.as_u16(), 200);
        let committed: serde_json::Value = serde_json::from_str(COMMITTED).unwrap();
        assert_eq!(doc.json, committed);
        let page = app.send("GET", "/docs/", None, None).await;
        assert_eq!(page.status.as_u16(), 200);
        assert!(page.text.contains("swagger-ui-bundle.js"));
        assert!(!page.text.contains("http://") && !page.text.contains("https://"), "the docs page loads nothing from outside");
        let script = app.send("GET", "/docs/swagger-ui-bundle.js", None, None).await;
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
