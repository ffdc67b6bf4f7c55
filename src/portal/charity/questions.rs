//! A round's own questions on the application form: each rendered as the input its answer type
//! needs, filled from the stored answers, and read back into answers the service checks. Inputs
//! are named `answers.{key}`, so the service's errors land beside them.

use crate::applications::model::AnswersInput;
use crate::documents::model::Document;
use crate::portal::form::{Choice, Form};
use crate::rounds::form::{Answer, AnswerType, Answers, RoundForm};

/// One question as the page shows it.
pub struct Shown {
    /// The input's name: `answers.{key}`.
    pub name: String,
    pub label: String,
    pub hint: String,
    /// Which input: `text`, `textarea`, `number`, `money`, `date`, `radio`, `checkbox` or
    /// `select`.
    pub input: &'static str,
    pub choices: Vec<Choice>,
    pub optional: bool,
}

/// A titled group of questions as the page shows it.
pub struct ShownSection {
    pub title: String,
    pub questions: Vec<Shown>,
}

fn yes_no() -> Vec<Choice> {
    vec![Choice::new("yes", "Yes"), Choice::new("no", "No")]
}

/// The form's sections as the page shows them. `documents` are the application's, offered to
/// a question that asks for one of their kind.
pub fn sections(round: &RoundForm, documents: &[Document]) -> Vec<ShownSection> {
    round
        .sections
        .iter()
        .map(|section| ShownSection {
            title: section.title.clone(),
            questions: section
                .questions
                .iter()
                .map(|q| {
                    let mut hint = q.hint.clone().unwrap_or_default();
                    let (input, choices) = match &q.answer {
                        AnswerType::ShortText { max_chars } => {
                            hint = join(&hint, &format!("Up to {max_chars} characters."));
                            ("text", Vec::new())
                        }
                        AnswerType::LongText { max_words } => {
                            hint = join(&hint, &format!("Up to {max_words} words."));
                            ("textarea", Vec::new())
                        }
                        AnswerType::WholeNumber { .. } => ("number", Vec::new()),
                        AnswerType::Money => ("money", Vec::new()),
                        AnswerType::Date => ("date", Vec::new()),
                        AnswerType::SingleChoice { options } => ("radio", options_of(options)),
                        AnswerType::MultipleChoice { options } => {
                            ("checkbox", options_of(options))
                        }
                        AnswerType::YesNo => ("radio", yes_no()),
                        AnswerType::Document { document_kind } => {
                            let mut choices = vec![Choice::new("", "Choose a document")];
                            choices.extend(
                                documents
                                    .iter()
                                    .filter(|d| d.kind == *document_kind)
                                    .map(|d| Choice::new(d.id.to_string(), d.name.clone())),
                            );
                            hint = join(
                                &hint,
                                &format!(
                                    "Upload the {} on the application's documents page first.",
                                    document_kind.label().to_lowercase()
                                ),
                            );
                            ("select", choices)
                        }
                    };
                    if let Some(condition) = &q.shown_when
                        && let Some(target) = round.questions().find(|t| t.key == condition.question)
                    {
                        let answer = match condition.equals.as_str() {
                            "yes" => "Yes",
                            "no" => "No",
                            other => other,
                        };
                        hint = join(
                            &format!("Answer this only if you answered \u{201c}{answer}\u{201d} to \u{201c}{}\u{201d}.", target.label),
                            &hint,
                        );
                    }
                    Shown {
                        name: format!("answers.{}", q.key),
                        label: q.label.clone(),
                        hint,
                        input,
                        choices,
                        optional: !q.required,
                    }
                })
                .collect(),
        })
        .collect()
}

fn join(first: &str, second: &str) -> String {
    match (first.is_empty(), second.is_empty()) {
        (true, _) => second.to_owned(),
        (_, true) => first.to_owned(),
        _ => format!("{first} {second}"),
    }
}

fn options_of(options: &[String]) -> Vec<Choice> {
    options
        .iter()
        .map(|o| Choice::new(o.clone(), o.clone()))
        .collect()
}

/// Puts the stored answers into the form's inputs.
pub fn fill(form: &mut Form, answers: &Answers) {
    for (key, answer) in answers {
        let name = format!("answers.{key}");
        match answer {
            Answer::MultipleChoice { choices } => {
                for choice in choices {
                    form.add(&name, choice.clone());
                }
            }
            Answer::YesNo { yes } => form.set(&name, if *yes { "yes" } else { "no" }),
            Answer::Document { document_id } => form.set(&name, document_id.to_string()),
            other => form.set(&name, other.as_text()),
        }
    }
}

/// What the inputs say, as answers for the service: a blank input takes its answer back. A
/// number or document that does not read is the form's error, beside its input.
pub fn read(form: &mut Form, round: &RoundForm) -> AnswersInput {
    let mut input = AnswersInput {
        answers: Default::default(),
        remove: Vec::new(),
    };
    for question in round.questions() {
        let name = format!("answers.{}", question.key);
        let text = form.value(&name).trim().to_owned();
        let answer = match &question.answer {
            AnswerType::MultipleChoice { .. } => {
                let choices = form.all(&name);
                (!choices.is_empty()).then_some(Answer::MultipleChoice { choices })
            }
            _ if text.is_empty() => None,
            AnswerType::ShortText { .. } => Some(Answer::ShortText { text }),
            AnswerType::LongText { .. } => Some(Answer::LongText { text }),
            AnswerType::WholeNumber { .. } => form
                .whole_number(&name, "Enter a whole number, like 12")
                .map(|number| Answer::WholeNumber { number }),
            AnswerType::Money => Some(Answer::Money {
                amount: form.amount(&name),
            }),
            AnswerType::Date => Some(Answer::Date { date: text }),
            AnswerType::SingleChoice { .. } => Some(Answer::SingleChoice { choice: text }),
            AnswerType::YesNo => Some(Answer::YesNo { yes: text == "yes" }),
            AnswerType::Document { .. } => match text.parse::<i64>() {
                Ok(document_id) => Some(Answer::Document { document_id }),
                Err(_) => {
                    form.reject(&name, "Choose one of the application's documents");
                    None
                }
            },
        };
        match answer {
            Some(answer) => {
                input.answers.insert(question.key.clone(), answer);
            }
            None => input.remove.push(question.key.clone()),
        }
    }
    input
}
