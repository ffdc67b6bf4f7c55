//! The request bodies the contract shows as examples for these operations, in the words of
//! the model case. `routes.rs` checks that each is a body its operation accepts.

use serde_json::{Value, json};

/// `PATCH /returns/{id}`.
pub fn update_return() -> Value {
    json!({
        "spend": "11850.00",
        "reached": {
            "women": 34,
            "partners": 12,
            "infants": 36,
            "kinship_carers": 1,
            "families": 33,
            "new": 21,
            "continuing": 13
        },
        "sessions": 48,
        "peer_supporters": 12,
        "volunteers": 9,
        "outcomes": "Most parents who came to four or more groups said they felt less alone.",
        "case_study": "A mother referred by her health visitor at 30 weeks now co-leads the Tuesday group.",
        "challenges": "Finding a venue in Levenmouth took two months."
    })
}

/// `POST /returns/{id}/review`.
pub fn review_return() -> Value {
    json!({
        "outcome": "accepted",
        "comment": "Thank you: a clear return, and a good case study."
    })
}
