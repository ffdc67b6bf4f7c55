//! The request bodies the contract shows as examples for these operations, in the words of
//! the model case. `routes.rs` checks that each is a body its operation accepts.

use serde_json::{Value, json};

/// `POST /funds/{id}/rounds`.
pub fn create_round() -> Value {
    json!({
        "name": "Core 2021-23",
        "component": "core",
        "opens_at": "2021-01-10T09:00:00Z",
        "closes_at": "2021-02-28T17:00:00Z",
        "financial_years": [
            "2021-22",
            "2022-23"
        ],
        "min_request": "5000.00",
        "max_request": "50000.00",
        "max_applicant_income": null,
        "return_frequency": "quarterly",
        "assessments_required": 2,
        "guidance": "Tell us who your service supports, where, and what difference it makes to parents and their babies."
    })
}

/// `PATCH /rounds/{id}`.
pub fn update_round() -> Value {
    json!({
        "closes_at": "2021-03-07T17:00:00Z",
        "guidance": "The closing date has moved to 7 March."
    })
}

/// `POST /rounds/{id}/criteria`.
pub fn create_criterion() -> Value {
    json!({
        "name": "Need and reach",
        "weight": "0.40",
        "max_score": 5,
        "guidance": "How well does the service reach the families who need it most?"
    })
}

/// `PATCH /criteria/{id}`.
pub fn update_criterion() -> Value {
    json!({
        "weight": "0.30",
        "guidance": "Score the evidence of need in the area served."
    })
}

/// `PUT /rounds/{id}/form`: the innovation round's questions.
pub fn form() -> Value {
    json!({
        "sections": [
            {
                "title": "Your new idea",
                "questions": [
                    {"key": "idea", "label": "What is the new idea?", "hint": "In words a parent would use.",
                     "required": true, "answer": {"type": "long_text", "max_words": 300}},
                    {"key": "tested", "label": "Have you tried it anywhere yet?", "required": true,
                     "answer": {"type": "yes_no"}},
                    {"key": "where_tested", "label": "Where, and what did you learn?", "required": true,
                     "answer": {"type": "long_text", "max_words": 200},
                     "shown_when": {"question": "tested", "equals": "yes"}},
                    {"key": "stage", "label": "How far along is it?", "required": true,
                     "answer": {"type": "single_choice", "options": ["An idea", "A pilot", "Running"]}},
                    {"key": "staff", "label": "Staff working on it", "required": false,
                     "answer": {"type": "whole_number", "min": 0, "max": 500}}
                ]
            }
        ]
    })
}

/// `POST /rounds/{id}/form/copy`.
pub fn copy_form() -> Value {
    json!({"from_round_id": 1})
}
