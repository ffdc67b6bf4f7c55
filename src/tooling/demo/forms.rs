//! The model case's three rounds each ask their own questions: the core round about the
//! service as it runs, the innovation round about a new idea, the extension round about what
//! the first grant achieved; and the demo's applicants answer them.

use serde_json::json;

use super::{CurrentUser, DbConnection};
use crate::applications::model::AnswersInput;
use crate::domain::vocabulary::Component;
use crate::error::ApiError;
use crate::rounds::form::RoundForm;
use crate::rounds::forms;

/// A round's form for its component.
fn form_of(component: Component) -> Result<RoundForm, ApiError> {
    let form = match component {
        Component::Core => json!({"sections": [{"title": "Your service", "questions": [
            {"key": "difference", "label": "What difference will the service make to the families it supports?",
             "required": true, "answer": {"type": "long_text", "max_words": 300}},
            {"key": "running", "label": "Is the service running now?", "required": true, "answer": {"type": "yes_no"}},
            {"key": "running_since", "label": "Since when?", "required": true, "answer": {"type": "date"},
             "shown_when": {"question": "running", "equals": "yes"}},
            {"key": "referrals", "label": "How do families come to the service?", "hint": "Select all that apply.",
             "required": true, "answer": {"type": "multiple_choice",
                 "options": ["They refer themselves", "Health visitor", "Midwife", "GP", "Perinatal mental health team"]}}
        ]}]}),
        Component::Innovation => json!({"sections": [{"title": "Your new idea", "questions": [
            {"key": "idea", "label": "What is the new idea?", "hint": "In words a parent would use.",
             "required": true, "answer": {"type": "long_text", "max_words": 300}},
            {"key": "tested", "label": "Have you tried it anywhere yet?", "required": true, "answer": {"type": "yes_no"}},
            {"key": "where_tested", "label": "Where, and what did you learn?", "required": true,
             "answer": {"type": "long_text", "max_words": 200}, "shown_when": {"question": "tested", "equals": "yes"}},
            {"key": "stage", "label": "How far along is it?", "required": true,
             "answer": {"type": "single_choice", "options": ["An idea", "A pilot", "Running"]}}
        ]}]}),
        Component::Extension => json!({"sections": [{"title": "Your first grant", "questions": [
            {"key": "achieved", "label": "What did the first grant achieve?", "required": true,
             "answer": {"type": "long_text", "max_words": 400}},
            {"key": "families_supported", "label": "How many families did it support?", "required": true,
             "answer": {"type": "whole_number", "min": 0, "max": 100000}},
            {"key": "differently", "label": "What will you do differently in the extension?", "required": false,
             "answer": {"type": "long_text", "max_words": 300}}
        ]}]}),
    };
    serde_json::from_value(form).map_err(ApiError::internal)
}

/// Gives each round the form of its component, as the administrator did before they opened.
pub(super) fn give(
    conn: &mut DbConnection,
    at: chrono::NaiveDateTime,
    admin: &CurrentUser,
    rounds: &[(i64, Component)],
) -> Result<(), ApiError> {
    for (id, component) in rounds {
        forms::set(conn, at, admin, *id, &form_of(*component)?)?;
    }
    Ok(())
}

/// The `i`th demo applicant's answers to a round of `component`.
pub(super) fn answers(component: Component, i: usize) -> Result<AnswersInput, ApiError> {
    let answers = match component {
        Component::Core => json!({
            "difference": {"type": "long_text", "text": "Parents who felt alone meet others going through the same, and leave with a plan for the hard days."},
            "running": {"type": "yes_no", "yes": true},
            "running_since": {"type": "date", "date": format!("{}-04-01", 2015 + i % 5)},
            "referrals": {"type": "multiple_choice", "choices": if i.is_multiple_of(2) {
                vec!["Health visitor", "Midwife"] } else { vec!["They refer themselves", "GP"] }}
        }),
        Component::Innovation => json!({
            "idea": {"type": "long_text", "text": "Peer supporters who meet fathers and kinship carers where they already are: football clubs, food banks and the school gate."},
            "tested": {"type": "yes_no", "yes": i.is_multiple_of(3)},
            "where_tested": {"type": "long_text", "text": "A pilot of six sessions at a food bank: four fathers came back every week."},
            "stage": {"type": "single_choice", "choice": if i.is_multiple_of(3) { "A pilot" } else { "An idea" }}
        }),
        Component::Extension => json!({
            "achieved": {"type": "long_text", "text": "Weekly groups ran all year; most parents said they felt less alone by their sixth session."},
            "families_supported": {"type": "whole_number", "number": 60 + i * 7}
        }),
    };
    let mut input = AnswersInput {
        answers: serde_json::from_value(answers).map_err(ApiError::internal)?,
        remove: Vec::new(),
    };
    // An answer to a question its condition hides is left out, as a careful applicant would.
    if component == Component::Innovation && !i.is_multiple_of(3) {
        input.answers.remove("where_tested");
    }
    Ok(input)
}
