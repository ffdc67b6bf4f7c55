//! A round's own application form: questions in sections, each with the type of answer it takes
//! and that type's limits, shown always or only when an earlier question has a given answer; and
//! the answers an application gives, checked against the form on save (types and limits) and on
//! submission (what is required and shown). The fields the rules need (amounts, boards, groups,
//! support, reach) stay typed fields of the application, not questions.

use std::collections::{BTreeMap, HashMap};

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::domain::Money;
use crate::domain::vocabulary::{DocumentKind, DocumentOwner};
use crate::error::{FieldError, Validator};

/// The most questions a form may have, across its sections.
pub const QUESTIONS_MAX: usize = 100;
/// The most sections a form may have.
pub const SECTIONS_MAX: usize = 20;
/// The most options a choice may offer.
pub const OPTIONS_MAX: usize = 50;
/// The longest a short answer may be allowed to be, in characters.
pub const SHORT_TEXT_MAX: u32 = 2_000;
/// The longest a long answer may be allowed to be, in words.
pub const LONG_TEXT_MAX: u32 = 10_000;

/// What a question takes as its answer, with that type's limits.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum AnswerType {
    /// A line of text of at most `max_chars` characters.
    ShortText {
        #[schema(minimum = 1, maximum = 2000)]
        max_chars: u32,
    },
    /// Paragraphs of at most `max_words` words.
    LongText {
        #[schema(minimum = 1, maximum = 10000)]
        max_words: u32,
    },
    /// A whole number, within the bounds given.
    WholeNumber {
        #[serde(default)]
        min: Option<i64>,
        #[serde(default)]
        max: Option<i64>,
    },
    /// An amount in pounds and pence.
    Money,
    /// A day, `YYYY-MM-DD`.
    Date,
    /// One of the options.
    SingleChoice {
        #[schema(min_items = 1, max_items = 50)]
        options: Vec<String>,
    },
    /// Any of the options.
    MultipleChoice {
        #[schema(min_items = 1, max_items = 50)]
        options: Vec<String>,
    },
    /// Yes or no.
    YesNo,
    /// A document of the application, of the kind given.
    Document {
        #[schema(value_type = DocumentKind)]
        document_kind: DocumentKind,
    },
}

impl AnswerType {
    fn name(&self) -> &'static str {
        match self {
            AnswerType::ShortText { .. } => "short_text",
            AnswerType::LongText { .. } => "long_text",
            AnswerType::WholeNumber { .. } => "whole_number",
            AnswerType::Money => "money",
            AnswerType::Date => "date",
            AnswerType::SingleChoice { .. } => "single_choice",
            AnswerType::MultipleChoice { .. } => "multiple_choice",
            AnswerType::YesNo => "yes_no",
            AnswerType::Document { .. } => "document",
        }
    }

    /// The answers a condition on this question may name: its options, or `yes` and `no`.
    fn conditions(&self) -> Option<Vec<String>> {
        match self {
            AnswerType::SingleChoice { options } | AnswerType::MultipleChoice { options } => {
                Some(options.clone())
            }
            AnswerType::YesNo => Some(vec!["yes".to_owned(), "no".to_owned()]),
            _ => None,
        }
    }
}

/// Shown only when an earlier question has this answer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Condition {
    /// The key of an earlier yes/no or choice question.
    pub question: String,
    /// The answer that shows this question: one of its options, or `yes` or `no`.
    pub equals: String,
}

/// One question of a round's form.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Question {
    /// Names the question in answers, errors and the CSV: a lowercase letter, then lowercase
    /// letters, digits or underscores, up to 40 characters; unique in the form.
    #[schema(pattern = r"^[a-z][a-z0-9_]{0,39}$")]
    pub key: String,
    /// 1 to 300 characters.
    #[schema(min_length = 1, max_length = 300)]
    pub label: String,
    /// Up to 1,000 characters.
    #[serde(default)]
    #[schema(max_length = 1000)]
    pub hint: Option<String>,
    /// Must be answered to submit, when shown.
    #[serde(default)]
    pub required: bool,
    pub answer: AnswerType,
    /// Shown only when an earlier question has a given answer.
    #[serde(default)]
    pub shown_when: Option<Condition>,
}

/// A titled group of questions.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Section {
    /// 1 to 200 characters.
    #[schema(min_length = 1, max_length = 200)]
    pub title: String,
    #[schema(max_items = 100)]
    pub questions: Vec<Question>,
}

/// A round's application form: its sections of questions, in order.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RoundForm {
    #[schema(max_items = 20)]
    pub sections: Vec<Section>,
}

/// An answer to one question, of the question's type.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Answer {
    ShortText {
        text: String,
    },
    LongText {
        text: String,
    },
    WholeNumber {
        number: i64,
    },
    Money {
        #[schema(value_type = Money)]
        amount: String,
    },
    Date {
        #[schema(format = Date)]
        date: String,
    },
    SingleChoice {
        choice: String,
    },
    MultipleChoice {
        #[schema(max_items = 50)]
        choices: Vec<String>,
    },
    YesNo {
        yes: bool,
    },
    Document {
        document_id: i64,
    },
}

/// A stored application's answers, by question key.
pub type Answers = BTreeMap<String, Answer>;

impl Answer {
    fn type_name(&self) -> &'static str {
        match self {
            Answer::ShortText { .. } => "short_text",
            Answer::LongText { .. } => "long_text",
            Answer::WholeNumber { .. } => "whole_number",
            Answer::Money { .. } => "money",
            Answer::Date { .. } => "date",
            Answer::SingleChoice { .. } => "single_choice",
            Answer::MultipleChoice { .. } => "multiple_choice",
            Answer::YesNo { .. } => "yes_no",
            Answer::Document { .. } => "document",
        }
    }

    /// Whether this answer makes a condition naming `equals` hold.
    fn meets(&self, equals: &str) -> bool {
        match self {
            Answer::SingleChoice { choice } => choice == equals,
            Answer::MultipleChoice { choices } => choices.iter().any(|c| c == equals),
            Answer::YesNo { yes } => (if *yes { "yes" } else { "no" }) == equals,
            _ => false,
        }
    }

    /// The answer as one cell of a spreadsheet.
    pub fn as_text(&self) -> String {
        match self {
            Answer::ShortText { text } | Answer::LongText { text } => text.clone(),
            Answer::WholeNumber { number } => number.to_string(),
            Answer::Money { amount } => amount.clone(),
            Answer::Date { date } => date.clone(),
            Answer::SingleChoice { choice } => choice.clone(),
            Answer::MultipleChoice { choices } => choices.join("; "),
            Answer::YesNo { yes } => (if *yes { "yes" } else { "no" }).to_owned(),
            Answer::Document { document_id } => format!("document {document_id}"),
        }
    }
}

/// The contract's schema of answers sent by question key: at most [`QUESTIONS_MAX`].
pub fn answers_by_key() -> utoipa::openapi::Object {
    use utoipa::openapi::schema::{AdditionalProperties, ObjectBuilder, SchemaType, Type};
    use utoipa::openapi::{Ref, RefOr};
    ObjectBuilder::new()
        .schema_type(SchemaType::Type(Type::Object))
        .additional_properties(Some(AdditionalProperties::RefOr(RefOr::Ref(
            Ref::from_schema_name("Answer"),
        ))))
        .property_names(Some(
            ObjectBuilder::new()
                .schema_type(SchemaType::Type(Type::String))
                .pattern(Some(r"^[a-z][a-z0-9_]{0,39}$")),
        ))
        .max_properties(Some(QUESTIONS_MAX))
        .description(Some(
            "Answers by question key, e.g. `{\"tested\": {\"type\": \"yes_no\", \"yes\": true}}`.",
        ))
        .build()
}

fn key_is_valid(key: &str) -> bool {
    let mut chars = key.chars();
    key.len() <= 40
        && chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

impl RoundForm {
    /// Every question, in order.
    pub fn questions(&self) -> impl Iterator<Item = &Question> {
        self.sections.iter().flat_map(|s| s.questions.iter())
    }

    /// Checks a form as an administrator sends it; every problem is reported at once, named by
    /// its place (`sections[0].questions[2].answer.options`).
    pub fn check(&self, v: &mut Validator) {
        if self.sections.len() > SECTIONS_MAX {
            v.error(
                "sections",
                format!("a form has at most {SECTIONS_MAX} sections"),
            );
        }
        let count = self.questions().count();
        if count > QUESTIONS_MAX {
            v.error(
                "sections",
                format!("a form has at most {QUESTIONS_MAX} questions; this one has {count}"),
            );
            return;
        }
        // The questions before each one, by key: a condition may only look back, so no
        // condition can depend on itself through others.
        let mut earlier: HashMap<&str, &AnswerType> = HashMap::new();
        for (s, section) in self.sections.iter().enumerate() {
            let at = format!("sections[{s}]");
            v.text(&format!("{at}.title"), &section.title, 1, 200);
            for (q, question) in section.questions.iter().enumerate() {
                let at = format!("{at}.questions[{q}]");
                self.check_question(question, &at, &earlier, v);
                earlier.insert(question.key.as_str(), &question.answer);
            }
        }
    }

    fn check_question(
        &self,
        question: &Question,
        at: &str,
        earlier: &HashMap<&str, &AnswerType>,
        v: &mut Validator,
    ) {
        if !key_is_valid(&question.key) {
            v.error(
                format!("{at}.key"),
                "must start with a lowercase letter and hold only lowercase letters, digits and underscores, up to 40 characters",
            );
        } else if earlier.contains_key(question.key.as_str()) {
            v.error(
                format!("{at}.key"),
                "is already the key of an earlier question",
            );
        }
        v.text(&format!("{at}.label"), &question.label, 1, 300);
        v.optional_text(&format!("{at}.hint"), question.hint.as_deref(), 1000);
        let answer = format!("{at}.answer");
        match &question.answer {
            AnswerType::ShortText { max_chars } if !(1..=SHORT_TEXT_MAX).contains(max_chars) => {
                v.error(
                    format!("{answer}.max_chars"),
                    format!("must be 1 to {SHORT_TEXT_MAX}"),
                );
            }
            AnswerType::LongText { max_words } if !(1..=LONG_TEXT_MAX).contains(max_words) => {
                v.error(
                    format!("{answer}.max_words"),
                    format!("must be 1 to {LONG_TEXT_MAX}"),
                );
            }
            AnswerType::WholeNumber {
                min: Some(min),
                max: Some(max),
            } if min > max => {
                v.error(format!("{answer}.max"), "must not be less than the minimum");
            }
            AnswerType::SingleChoice { options } | AnswerType::MultipleChoice { options } => {
                if options.is_empty() {
                    v.error(
                        format!("{answer}.options"),
                        "a choice needs at least one option",
                    );
                } else if options.len() > OPTIONS_MAX {
                    v.error(
                        format!("{answer}.options"),
                        format!("a choice has at most {OPTIONS_MAX} options"),
                    );
                }
                for (i, option) in options.iter().enumerate() {
                    let field = format!("{answer}.options[{i}]");
                    if option.trim().is_empty() || option.chars().count() > 200 {
                        v.error(field, "must be 1 to 200 characters");
                    } else if options[..i].contains(option) {
                        v.error(field, "is already an option of this question");
                    }
                }
            }
            AnswerType::Document { document_kind }
                if !DocumentKind::allowed_for(DocumentOwner::Application)
                    .contains(document_kind) =>
            {
                v.error(
                    format!("{answer}.document_kind"),
                    "is not a kind of application document",
                );
            }
            _ => {}
        }
        if let Some(condition) = &question.shown_when {
            let field = format!("{at}.shown_when.question");
            if condition.question == question.key {
                v.error(field, "a question cannot depend on itself");
            } else {
                match earlier.get(condition.question.as_str()) {
                    None if self.questions().any(|q| q.key == condition.question) => v.error(
                        field,
                        "names a later question: a question can only depend on one before it",
                    ),
                    None => v.error(field, "names no question of this form"),
                    Some(target) => match target.conditions() {
                        None => v.error(field, "must name a yes/no or choice question"),
                        Some(allowed) if !allowed.contains(&condition.equals) => v.error(
                            format!("{at}.shown_when.equals"),
                            format!("must be one of: {}", allowed.join(", ")),
                        ),
                        Some(_) => {}
                    },
                }
            }
        }
    }

    /// Whether `question` is shown, given the answers: it has no condition, or the question it
    /// depends on is shown and answered as it asks.
    pub fn shown(&self, question: &Question, answers: &Answers) -> bool {
        let Some(condition) = &question.shown_when else {
            return true;
        };
        let Some(target) = self.questions().find(|q| q.key == condition.question) else {
            return false;
        };
        self.shown(target, answers)
            && answers
                .get(&target.key)
                .is_some_and(|a| a.meets(&condition.equals))
    }

    /// Checks answers as they are saved: each names a question of the form, is of its type and
    /// within its limits. `documents` are the application's documents, with their kinds.
    pub fn check_answers(
        &self,
        answers: &Answers,
        documents: &[(i64, DocumentKind)],
    ) -> Vec<FieldError> {
        let mut v = Validator::new();
        for (key, answer) in answers {
            let field = format!("answers.{key}");
            let Some(question) = self.questions().find(|q| &q.key == key) else {
                v.error(field, "is not a question of this round's form");
                continue;
            };
            if answer.type_name() != question.answer.name() {
                v.error(
                    field,
                    format!("must be a {} answer", question.answer.name()),
                );
                continue;
            }
            let problem = match (&question.answer, answer) {
                (AnswerType::ShortText { max_chars }, Answer::ShortText { text }) => {
                    let n = text.chars().count();
                    (n > *max_chars as usize)
                        .then(|| format!("must be {max_chars} characters or fewer; it has {n}"))
                }
                (AnswerType::LongText { max_words }, Answer::LongText { text }) => {
                    let n = text.split_whitespace().count();
                    (n > *max_words as usize)
                        .then(|| format!("must be {max_words} words or fewer; it has {n}"))
                }
                (AnswerType::WholeNumber { min, max }, Answer::WholeNumber { number }) => {
                    let out = min.is_some_and(|min| *number < min)
                        || max.is_some_and(|max| *number > max);
                    out.then(|| match (min, max) {
                        (Some(a), Some(b)) => format!("must be from {a} to {b}"),
                        (Some(a), None) => format!("must be {a} or more"),
                        (None, Some(b)) => format!("must be {b} or less"),
                        (None, None) => String::new(),
                    })
                }
                (AnswerType::Money, Answer::Money { amount }) => {
                    Money::parse(amount).err().map(|e| e.to_string())
                }
                (AnswerType::Date, Answer::Date { date }) => {
                    NaiveDate::parse_from_str(date, "%Y-%m-%d")
                        .is_err()
                        .then(|| "must be a date, YYYY-MM-DD".to_owned())
                }
                (AnswerType::SingleChoice { options }, Answer::SingleChoice { choice }) => {
                    (!options.contains(choice))
                        .then(|| format!("must be one of: {}", options.join(", ")))
                }
                (AnswerType::MultipleChoice { options }, Answer::MultipleChoice { choices }) => {
                    choices
                        .iter()
                        .find(|c| !options.contains(c))
                        .map(|wrong| format!("{wrong} is not one of: {}", options.join(", ")))
                }
                (AnswerType::Document { document_kind }, Answer::Document { document_id }) => {
                    match documents.iter().find(|(id, _)| id == document_id) {
                        None => Some("is not a document of this application".to_owned()),
                        Some((_, kind)) if kind != document_kind => {
                            Some(format!("must be a document of kind {document_kind}"))
                        }
                        Some(_) => None,
                    }
                }
                _ => None,
            };
            if let Some(problem) = problem {
                v.error(field, problem);
            }
        }
        v.into_errors()
    }

    /// What submission needs of the answers: every required question that is shown has one.
    pub fn missing(&self, answers: &Answers) -> Vec<FieldError> {
        let mut v = Validator::new();
        for question in self.questions() {
            let answered = answers.get(&question.key).is_some_and(|a| match a {
                Answer::ShortText { text } | Answer::LongText { text } => !text.trim().is_empty(),
                Answer::MultipleChoice { choices } => !choices.is_empty(),
                _ => true,
            });
            if question.required && !answered && self.shown(question, answers) {
                v.error(format!("answers.{}", question.key), "is required to submit");
            }
        }
        v.into_errors()
    }

    /// The answers kept on submission: those of questions shown, so an answer to a question
    /// its condition hid does not stay with the application.
    pub fn kept(&self, answers: &Answers) -> Answers {
        answers
            .iter()
            .filter(|(key, _)| {
                self.questions()
                    .find(|q| &q.key == *key)
                    .is_some_and(|q| self.shown(q, answers))
            })
            .map(|(k, a)| (k.clone(), a.clone()))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn question(key: &str, answer: AnswerType) -> Question {
        Question {
            key: key.to_owned(),
            label: format!("About {key}"),
            hint: None,
            required: true,
            answer,
            shown_when: None,
        }
    }

    fn when(key: &str, equals: &str) -> Option<Condition> {
        Some(Condition {
            question: key.to_owned(),
            equals: equals.to_owned(),
        })
    }

    fn form(questions: Vec<Question>) -> RoundForm {
        RoundForm {
            sections: vec![Section {
                title: "Your idea".to_owned(),
                questions,
            }],
        }
    }

    fn fields(form: &RoundForm) -> Vec<String> {
        let mut v = Validator::new();
        form.check(&mut v);
        v.into_errors().into_iter().map(|e| e.field).collect()
    }

    #[test]
    fn a_good_form_passes() {
        let mut partner = question("partner", AnswerType::ShortText { max_chars: 200 });
        partner.shown_when = when("has_partner", "yes");
        let good = form(vec![question("has_partner", AnswerType::YesNo), partner]);
        assert!(fields(&good).is_empty());
    }

    #[test]
    fn bad_forms_are_refused_with_every_problem_named() {
        let mut later = question("first", AnswerType::YesNo);
        later.shown_when = when("second", "yes");
        let mut itself = question("second", AnswerType::YesNo);
        itself.shown_when = when("second", "yes");
        let bad = form(vec![
            later,
            itself,
            question("choice", AnswerType::SingleChoice { options: vec![] }),
            question("Bad Key", AnswerType::ShortText { max_chars: 0 }),
            question("choice", AnswerType::YesNo),
        ]);
        assert_eq!(
            fields(&bad),
            [
                "sections[0].questions[0].shown_when.question",
                "sections[0].questions[1].shown_when.question",
                "sections[0].questions[2].answer.options",
                "sections[0].questions[3].key",
                "sections[0].questions[3].answer.max_chars",
                "sections[0].questions[4].key",
            ]
        );
    }

    #[test]
    fn a_form_of_two_hundred_questions_is_refused() {
        let many = form(
            (0..200)
                .map(|i| question(&format!("q{i}"), AnswerType::YesNo))
                .collect(),
        );
        assert_eq!(fields(&many), ["sections"]);
    }

    #[test]
    fn a_condition_must_name_an_answer_the_question_can_have() {
        let mut shown = question("why", AnswerType::LongText { max_words: 100 });
        shown.shown_when = when("kind", "maybe");
        let mut on_text = question("more", AnswerType::YesNo);
        on_text.shown_when = when("why", "yes");
        let bad = form(vec![
            question(
                "kind",
                AnswerType::SingleChoice {
                    options: vec!["new".into(), "old".into()],
                },
            ),
            shown,
            on_text,
        ]);
        assert_eq!(
            fields(&bad),
            [
                "sections[0].questions[1].shown_when.equals",
                "sections[0].questions[2].shown_when.question"
            ]
        );
    }

    #[test]
    fn answers_are_checked_for_type_and_limits_and_required_ones_only_when_shown() {
        let mut detail = question("detail", AnswerType::LongText { max_words: 3 });
        detail.shown_when = when("has_detail", "yes");
        let f = form(vec![
            question("has_detail", AnswerType::YesNo),
            detail,
            question(
                "staff",
                AnswerType::WholeNumber {
                    min: Some(1),
                    max: Some(50),
                },
            ),
        ]);
        let sent: Answers = [
            (
                "detail".to_owned(),
                Answer::LongText {
                    text: "one two three four".into(),
                },
            ),
            ("staff".to_owned(), Answer::WholeNumber { number: 51 }),
            ("nope".to_owned(), Answer::YesNo { yes: true }),
            (
                "has_detail".to_owned(),
                Answer::Date {
                    date: "2024-01-01".into(),
                },
            ),
        ]
        .into();
        let errors: Vec<String> = f
            .check_answers(&sent, &[])
            .into_iter()
            .map(|e| e.field)
            .collect();
        assert_eq!(
            errors,
            [
                "answers.detail",
                "answers.has_detail",
                "answers.nope",
                "answers.staff"
            ]
        );

        let no: Answers = [("has_detail".to_owned(), Answer::YesNo { yes: false })].into();
        let missing: Vec<String> = f.missing(&no).into_iter().map(|e| e.field).collect();
        assert_eq!(
            missing,
            ["answers.staff"],
            "the hidden question is not required"
        );
        let yes: Answers = [("has_detail".to_owned(), Answer::YesNo { yes: true })].into();
        let missing: Vec<String> = f.missing(&yes).into_iter().map(|e| e.field).collect();
        assert_eq!(missing, ["answers.detail", "answers.staff"]);
        let mut hidden = no.clone();
        hidden.insert(
            "detail".to_owned(),
            Answer::LongText {
                text: "kept?".into(),
            },
        );
        assert!(
            !f.kept(&hidden).contains_key("detail"),
            "an answer its condition hides goes"
        );
    }
}
