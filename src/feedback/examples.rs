//! The request bodies the contract shows as examples for these operations, in the words of
//! the model case. `routes.rs` checks that each is a body its operation accepts.

use serde_json::{Value, json};

/// `POST /awards/{id}/feedback-links`.
pub fn create_link() -> Value {
    json!({
        "label": "Tuesday baby group, Kirkcaldy"
    })
}

/// `POST /feedback/{token}`.
pub fn respond() -> Value {
    json!({
        "respondent": "mother_birthing_parent",
        "ratings": {
            "listened_to": 5,
            "wellbeing": 4,
            "relationship_with_baby": 5,
            "recommend": 5
        },
        "difference": "I stopped feeling like the only one who found it hard.",
        "could_be_better": "An evening group for parents back at work.",
        "consent_to_quote": true
    })
}
