//! The request bodies the contract shows as examples for these operations, in the words of
//! the model case. `routes.rs` checks that each is a body its operation accepts.

use serde_json::{Value, json};

/// `POST /applications/{id}/decision`.
pub fn decide() -> Value {
    json!({
        "decision": "award",
        "amounts": {
            "2021-22": "24000.00",
            "2022-23": "26000.00"
        },
        "conditions": "The first return includes the plan for evaluating the groups."
    })
}

/// `POST /awards/{id}/terminate`.
pub fn terminate() -> Value {
    json!({
        "reason": "The service closed in March and the organisation asked to end the grant."
    })
}
