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
