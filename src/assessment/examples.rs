//! The request bodies the contract shows as examples for these operations, in the words of
//! the model case. `routes.rs` checks that each is a body its operation accepts.

use serde_json::{Value, json};

/// `POST /applications/{id}/assignments`.
pub fn create_assignment() -> Value {
    json!({
        "assessor_id": 4
    })
}

/// `POST /rounds/{id}/assignments`.
pub fn assign_round() -> Value {
    json!({
        "assessors_per_application": 2,
        "assessor_ids": [
            4,
            5,
            6
        ]
    })
}

/// `POST /assignments/{id}/conflict-declaration`.
pub fn declare_conflict() -> Value {
    json!({
        "has_conflict": false
    })
}

/// `PUT /assignments/{id}/scores`.
pub fn save_scores() -> Value {
    json!({
        "scores": [
            {
                "criterion_id": 1,
                "score": 4,
                "comment": "Clear evidence of need, with referral figures from the health visitors."
            },
            {
                "criterion_id": 2,
                "score": 3
            }
        ]
    })
}

/// `POST /applications/{id}/moderation`.
pub fn moderate() -> Value {
    json!({
        "score": "78.50",
        "reason": "The only perinatal peer support service on the islands; the panel agreed its reach was under-scored."
    })
}
