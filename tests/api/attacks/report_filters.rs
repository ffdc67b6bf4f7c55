//! Report filters silently ignored. The probe asked the reach and feedback reports for one
//! financial year and got every year's figures, so an official reading "2021-22" read the whole
//! programme. Both reports now apply `?financial_year=` (JSON and CSV, each year kept apart from
//! the others), and a malformed year is refused as every malformed query value is.

use serde_json::Value;

use grantfund::domain::vocabulary::Role;

use crate::db_test;
use crate::support::*;

/// Seeds the demo and signs in its official.
async fn official(app: &TestApp) -> String {
    let now = app.clock_now();
    let blobs = app.state.blobs.clone();
    let logins = app
        .state
        .db
        .run({
            let keyring = app.state.keyring.clone();
            move |conn| grantfund::tooling::demo::seed(conn, now, &keyring, &blobs)
        })
        .await
        .unwrap();
    let login = logins
        .iter()
        .find(|l| l.role == Role::Official)
        .unwrap()
        .clone();
    app.login(&login.email, &login.password).await.json["access_token"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn read(app: &TestApp, official: &str, path: &str) -> Value {
    let reply = app.as_(official).get(path).send().await;
    assert_eq!(reply.status.as_u16(), 200, "{path}: {}", reply.text);
    reply.json
}

db_test! {
    async fn reach_and_feedback_reports_keep_to_the_year_asked_for(app) {
        let official = official(&app).await;

        // Reach: the year asked for is the only year, and its people are that year's.
        let whole = read(&app, &official, "/api/v1/reports/funds/1/reach").await;
        let years = whole["years"].as_array().unwrap().clone();
        assert!(years.len() >= 2, "the demo reports people in several years: {whole}");
        for year in &years {
            let fy = year["financial_year"].as_str().unwrap();
            let one = read(&app, &official, &format!("/api/v1/reports/funds/1/reach?financial_year={fy}")).await;
            assert_eq!(one["financial_year"], fy);
            assert_eq!(one["years"], Value::Array(vec![year.clone()]), "{one}");
            assert_eq!(one["total"], year["people"]);
            assert_eq!(one["reached"], year["people"]["new"]);
            assert_ne!(one["total"], whole["total"], "{fy} is not the whole programme");
            let csv = app.as_(&official).get(&format!("/api/v1/reports/funds/1/reach?financial_year={fy}&format=csv")).send().await;
            let rows: Vec<&str> = csv.text.lines().filter(|l| l.starts_with("20")).collect();
            assert_eq!(rows.len(), 1, "{}", csv.text);
            assert!(rows[0].starts_with(fy), "{}", csv.text);
        }
        // A year with no returns has none.
        let empty = read(&app, &official, "/api/v1/reports/funds/1/reach?financial_year=2030-31").await;
        assert_eq!(empty["years"], Value::Array(Vec::new()));
        assert_eq!(empty["reached"], 0);
        // Asked again without a year, the whole programme, not a kept year.
        assert_eq!(read(&app, &official, "/api/v1/reports/funds/1/reach").await, whole);

        // Feedback: only the responses of the year asked for, which are that year's group.
        let whole = read(&app, &official, "/api/v1/reports/funds/1/feedback").await;
        let groups = whole["by_year"].as_array().unwrap().clone();
        assert!(groups.len() >= 2, "the demo has feedback in several years: {whole}");
        let mut differs = false;
        for group in &groups {
            let fy = group["group"].as_str().unwrap();
            let one = read(&app, &official, &format!("/api/v1/reports/funds/1/feedback?financial_year={fy}")).await;
            assert_eq!(one["financial_year"], fy);
            let by_year = one["by_year"].as_array().unwrap();
            assert_eq!(by_year.len(), 1, "{one}");
            assert_eq!(by_year[0]["group"], fy);
            if group["suppressed"] == false {
                assert_eq!(one["responses"], group["responses"], "{fy}");
                assert_eq!(one["statements"], group["statements"], "{fy}");
            }
            differs |= one["responses"] != whole["responses"];
            let csv = app.as_(&official).get(&format!("/api/v1/reports/funds/1/feedback?financial_year={fy}&format=csv")).send().await;
            let years: Vec<&str> = csv.text.lines().filter(|l| l.starts_with("financial_year,")).collect();
            assert_eq!(years.len(), 1, "{}", csv.text);
        }
        assert!(differs, "a year's feedback is not the whole programme's");
        let empty = read(&app, &official, "/api/v1/reports/funds/1/feedback?financial_year=2030-31").await;
        assert_eq!(empty["suppressed"], true);
        assert_eq!(empty["by_year"], Value::Array(Vec::new()));
        assert_eq!(read(&app, &official, "/api/v1/reports/funds/1/feedback").await, whole);

        // A malformed year is refused by every report, never read as "every year".
        for report in ["summary", "by-health-board", "by-target-group", "reach", "feedback"] {
            for bad in ["2021-23", "2021", "21-22", "next"] {
                app.as_(&official).get(&format!("/api/v1/reports/funds/1/{report}?financial_year={bad}")).send().await.assert_problem(400, "invalid_query");
            }
        }
    }
}
