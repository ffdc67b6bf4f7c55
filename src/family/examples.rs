//! The request bodies the contract shows for the family fund's set-up.

use serde_json::{Value, json};

pub fn unit() -> Value {
    json!({
        "name": "St John's Mother and Baby Unit",
        "health_board": "lothian",
        "wards": ["Mother and Baby Unit"],
        "provides_meals": false
    })
}

pub fn rates() -> Value {
    json!({
        "mileage_rate": "0.14",
        "food_rate": "8.50",
        "family_cap": "500.00",
        "claim_window_months": 3,
        "flights_per_week": 2
    })
}

pub fn stay() -> Value {
    json!({
        "unit_id": 1,
        "woman": {"name": "Morag MacLeod", "date_of_birth": "1994-02-11"},
        "ward": "Mother and Baby Unit",
        "consultant": "Dr A. Reid",
        "admitted_on": "2025-10-06",
        "home_board": "western_isles",
        "children": [{"first_name": "Ruaridh", "date_of_birth": "2019-07-30"}]
    })
}

pub fn child() -> Value {
    json!({"first_name": "Eilidh", "date_of_birth": "2021-03-14"})
}

pub fn discharge() -> Value {
    json!({"discharged_on": "2025-11-21"})
}

pub fn pre_approval() -> Value {
    json!({
        "visitor_id": 1,
        "kind": "flight",
        "journey_on": "2025-10-20",
        "details": "Stornoway to Glasgow and back: the ferry and the drive take a day each way."
    })
}

pub fn pre_approval_decision() -> Value {
    json!({"approved": true})
}

pub fn claim() -> Value {
    json!({
        "lines": [
            {"visitor_id": 1, "spent_on": "2025-10-13", "kind": "car", "miles": 64, "together": true, "description": "Home to the unit and back"},
            {"visitor_id": 1, "spent_on": "2025-10-13", "kind": "food"},
            {"visitor_id": 1, "spent_on": "2025-10-20", "kind": "flight", "amount": "142.60", "receipt_document_id": 12, "pre_approval_id": 3},
            {"visitor_id": 1, "spent_on": "2025-10-20", "kind": "accommodation", "amount": "68.00", "description": "One night near the hospital", "receipt_document_id": 13}
        ]
    })
}

pub fn certify() -> Value {
    json!({"resident_from": "2025-10-06", "resident_to": "2025-11-21"})
}

pub fn claim_decision() -> Value {
    json!({
        "lines": [
            {"line_id": 41, "outcome": "full"},
            {"line_id": 42, "outcome": "part", "amount": "60.00", "reason": "The room cost more than a reasonable night's stay nearby: £60 is paid."},
            {"line_id": 43, "outcome": "none", "reason": "The receipt is for a different day."}
        ]
    })
}

pub fn reason() -> Value {
    json!({"reason": "The receipts do not match the dates the unit certified."})
}
