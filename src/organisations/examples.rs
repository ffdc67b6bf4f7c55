//! The request bodies the contract shows as examples for these operations, in the words of
//! the model case. `routes.rs` checks that each is a body its operation accepts.

use serde_json::{Value, json};

/// `PATCH /organisations/{id}`.
pub fn update_organisation() -> Value {
    json!({
        "website": "https://bumps-and-babies.example.org/fife",
        "health_boards": [
            "fife",
            "tayside"
        ],
        "listed_in_directory": true
    })
}

/// `PUT /organisations/{id}/bank-details`.
pub fn bank_details() -> Value {
    json!({
        "account_name": "Bumps and Babies Fife",
        "sort_code": "80-22-60",
        "account_number": "10203040"
    })
}

/// `PUT /organisations/{id}/address`.
pub fn set_address() -> Value {
    json!({"town": "Kirkcaldy"})
}
