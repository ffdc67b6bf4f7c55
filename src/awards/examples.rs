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

/// `POST /awards/{id}/variations`.
pub fn vary() -> Value {
    json!({
        "kind": "reprofile",
        "amounts": {
            "2021-22": "20000.00",
            "2022-23": "30000.00"
        },
        "reason": "The groups started in October rather than June, so £4,000 of the first year's budget moves into the second."
    })
}

/// `POST /variations/{id}/approve`.
pub fn approve_variation() -> Value {
    json!({
        "reason": "The later start is explained in the first return and the total is unchanged."
    })
}

/// `POST /variations/{id}/refuse`.
pub fn refuse_variation() -> Value {
    json!({
        "reason": "The final return is due before the fund's programme closes; the extension would run past it."
    })
}
