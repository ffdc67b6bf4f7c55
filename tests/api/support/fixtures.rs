//! The objects a test starts from, built through the API as a user would.

use serde_json::{Value, json};

use super::app::{PASSWORD, TestApp};

/// A valid registration body.
pub fn registration(charity_number: &str, email: &str) -> Value {
    json!({
        "organisation": {
            "name": "Bumps & Babies Fife",
            "type": "scio",
            "charity_number": charity_number,
            "annual_income": "180000.00",
            "address": "12 High Street, Kirkcaldy",
            "postcode": "KY1 1XX",
            "health_boards": ["fife"],
            "website": "https://example.org",
            "contact_email": "info@example.org"
        },
        "user": {"name": "Aileen Reid", "email": email, "password": PASSWORD}
    })
}

/// The model fund: a national perinatal and infant mental health fund.
pub fn fund_body(code: &str) -> Value {
    json!({
        "name": "Perinatal and Infant Mental Health Third Sector Fund",
        "code": code,
        "funder": {"name": "Scottish Government", "org_id": "GB-GOR-PC390"},
        "administrator": {"name": "Inspiring Scotland", "org_id": "GB-SC-SC040887"},
        "currency": "GBP",
        "programme_start": "2020-08-01",
        "programme_end": "2023-03-31",
        "reach_target": 11000
    })
}

/// A core round that opened `opened_days_ago` days ago and closes `closes_in_days` from now
/// (by the test clock), funding 2021-22 and 2022-23.
pub fn round_body(app: &TestApp, opened_days_ago: i64, closes_in_days: i64) -> Value {
    use grantfund::domain::clock::Clock;
    let now = app.clock.now();
    json!({
        "name": "Core 2021-23",
        "component": "core",
        "opens_at": (now - chrono::Duration::days(opened_days_ago)).to_rfc3339(),
        "closes_at": (now + chrono::Duration::days(closes_in_days)).to_rfc3339(),
        "financial_years": ["2021-22", "2022-23"],
        "min_request": "5000.00",
        "max_request": "60000.00",
        "max_applicant_income": null,
        "assessments_required": 2,
        "return_frequency": "quarterly"
    })
}

/// A complete application to a round funding 2021-22 and 2022-23.
pub fn application_body() -> Value {
    json!({
        "title": "Peer support for new mums in Fife",
        "summary": "Weekly peer support groups for new mothers and their partners.",
        "description": "Trained peer supporters run groups in Kirkcaldy, Glenrothes and Levenmouth.",
        "requested": {"2021-22": "40000.00", "2022-23": "42000.00"},
        "target_groups": ["mothers_birthing_parents", "fathers_partners"],
        "health_boards": ["fife"],
        "support_types": ["peer_support", "befriending"],
        "peer_support": true,
        "expected_reach": {"women": 300, "partners": 80, "infants": 250, "families": 320},
        "equality_impact": "Reaches families in the most deprived areas of Fife."
    })
}
