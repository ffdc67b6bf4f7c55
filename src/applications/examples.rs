//! The request bodies the contract shows as examples for these operations, in the words of
//! the model case. `routes.rs` checks that each is a body its operation accepts.

use serde_json::{Value, json};

/// `POST /rounds/{id}/applications`.
pub fn create_application() -> Value {
    json!({
        "title": "Peer support for new parents in Fife",
        "summary": "Weekly groups and one-to-one peer support for parents struggling in pregnancy and the first year.",
        "description": "Trained peer supporters, each a parent with lived experience, run six weekly groups across Fife and offer one-to-one support at home or by phone.",
        "requested": {
            "2021-22": "24000.00",
            "2022-23": "26000.00"
        },
        "health_boards": [
            "fife"
        ],
        "target_groups": [
            "mothers_birthing_parents",
            "fathers_partners"
        ],
        "support_types": [
            "peer_support",
            "group_work"
        ],
        "peer_support": true,
        "expected_reach": {
            "women": 120,
            "partners": 60,
            "infants": 130,
            "families": 110
        },
        "equality_impact": "Groups meet in accessible venues near bus routes; an interpreter is booked on request."
    })
}

/// `PATCH /applications/{id}`.
pub fn update_application() -> Value {
    json!({
        "summary": "Weekly groups and one-to-one peer support for parents in Fife, now with an evening group for working parents.",
        "requested": {
            "2021-22": "26000.00",
            "2022-23": "28000.00"
        }
    })
}

/// `PUT /applications/{id}/answers`: answers to the innovation round's questions.
pub fn answers() -> Value {
    json!({
        "answers": {
            "idea": {"type": "long_text", "text": "Peer supporters who meet parents on the maternity ward before they go home."},
            "tested": {"type": "yes_no", "yes": false},
            "stage": {"type": "single_choice", "choice": "A pilot"},
            "staff": {"type": "whole_number", "number": 4}
        }
    })
}

/// `POST /applications/{id}/information-requests`.
pub fn question() -> Value {
    json!({"question": "How will families on the islands reach the evening group?"})
}

/// `POST /information-requests/{id}/answer`.
pub fn information() -> Value {
    json!({"answer": "It also meets online, and we pay ferry fares for the monthly meet-up in Kirkwall."})
}
