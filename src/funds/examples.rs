//! The request bodies the contract shows as examples for these operations, in the words of
//! the model case. `routes.rs` checks that each is a body its operation accepts.

use serde_json::{Value, json};

/// `POST /funds`.
pub fn create_fund() -> Value {
    json!({
        "name": "Perinatal and Infant Mental Health Fund",
        "code": "PIMH",
        "funder": {
            "name": "Scottish Government",
            "org_id": "GB-GOR-PC390"
        },
        "administrator": {
            "name": "Inspiring Scotland",
            "org_id": "GB-SC-SC040887"
        },
        "programme_start": "2020-08-01",
        "programme_end": "2023-03-31",
        "reach_target": 11000,
        "currency": "GBP"
    })
}

/// `PATCH /funds/{id}`.
pub fn update_fund() -> Value {
    json!({
        "reach_target": 12000
    })
}

/// `PUT /funds/{id}/years/{financial_year}`.
pub fn set_fund_year() -> Value {
    json!({
        "limit": "1000000.00",
        "approved": true
    })
}
