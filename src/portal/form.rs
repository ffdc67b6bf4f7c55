//! A posted HTML form: its values as sent, and the service's answer to them field by field, so a
//! form shown again keeps what was typed and puts every error next to its field.

use actix_web::http::StatusCode;

use super::PageError;
use crate::error::{ApiError, FieldError};

/// A form's values (a name may repeat, as checkboxes do) and the errors found in them.
#[derive(Clone, Debug, Default)]
pub struct Form {
    values: Vec<(String, String)>,
    pub errors: Vec<FieldError>,
}

impl Form {
    /// Reads `application/x-www-form-urlencoded` text.
    pub fn parse(body: &[u8]) -> Form {
        Form {
            values: url::form_urlencoded::parse(body).into_owned().collect(),
            errors: Vec::new(),
        }
    }

    /// An empty form.
    pub fn new() -> Form {
        Form::default()
    }

    /// Sets a value, replacing what was there: for a form filled from a stored object.
    pub fn set(&mut self, name: &str, value: impl Into<String>) {
        self.values.retain(|(n, _)| n != name);
        self.values.push((name.to_owned(), value.into()));
    }

    /// Adds one more value under `name`: a ticked checkbox.
    pub fn add(&mut self, name: &str, value: impl Into<String>) {
        self.values.push((name.to_owned(), value.into()));
    }

    /// The first value sent under `name`, or the empty string.
    pub fn value(&self, name: &str) -> &str {
        self.values
            .iter()
            .find(|(n, _)| n == name)
            .map_or("", |(_, v)| v.as_str())
    }

    /// The value with surrounding space trimmed, or `None` when blank.
    pub fn optional(&self, name: &str) -> Option<String> {
        let value = self.value(name).trim();
        (!value.is_empty()).then(|| value.to_owned())
    }

    /// An amount of money typed into `name`, as the service reads it: `£40,000` is `40000`.
    pub fn amount(&self, name: &str) -> String {
        self.value(name).trim().replace([',', '£'], "")
    }

    /// An amount of money, or `None` when blank.
    pub fn optional_amount(&self, name: &str) -> Option<String> {
        Some(self.amount(name)).filter(|amount| !amount.is_empty())
    }

    /// Every value sent under `name`.
    pub fn all(&self, name: &str) -> Vec<String> {
        self.values
            .iter()
            .filter(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
            .collect()
    }

    /// The names sent, each once, in the order first sent.
    pub fn names(&self) -> Vec<String> {
        let mut names: Vec<String> = Vec::new();
        for (name, _) in &self.values {
            if !names.contains(name) {
                names.push(name.clone());
            }
        }
        names
    }

    /// Whether `value` was sent under `name`: a ticked box or a chosen option.
    pub fn has(&self, name: &str, value: &str) -> bool {
        self.values.iter().any(|(n, v)| n == name && v == value)
    }

    /// The error of one field, if it has one, as a sentence.
    pub fn error(&self, name: &str) -> Option<String> {
        self.errors
            .iter()
            .find(|e| e.field == name)
            .map(|e| sentence(&e.field, &e.message))
    }

    /// Every error as a sentence, with the id of the field it links to (empty for the form's).
    pub fn summary(&self) -> Vec<(String, String)> {
        self.errors
            .iter()
            .map(|e| (e.field.clone(), sentence(&e.field, &e.message)))
            .collect()
    }

    /// Whether the form has any error.
    pub fn failed(&self) -> bool {
        !self.errors.is_empty()
    }

    /// Records the service's refusal of this form, when it is about what was typed: every field
    /// error of a validation failure, or the reason of a conflict or a refused request. Other
    /// failures (not found, forbidden, unavailable) are not the form's and are returned.
    pub fn refused(&mut self, error: ApiError) -> Result<StatusCode, PageError> {
        let status = actix_web::ResponseError::status_code(&error);
        match error {
            ApiError::Validation(errors) => self.errors.extend(errors.into_iter().map(|mut e| {
                e.field = without_index(&e.field);
                e
            })),
            ApiError::Conflict { detail, errors, .. } => {
                if errors.is_empty() {
                    self.errors.push(FieldError {
                        field: String::new(),
                        message: detail,
                    });
                } else {
                    self.errors.extend(errors);
                }
            }
            ApiError::BadRequest { detail, .. }
            | ApiError::Unprocessable { detail, .. }
            | ApiError::Unauthorized { detail, .. } => self.errors.push(FieldError {
                field: String::new(),
                message: detail,
            }),
            other => return Err(other.into()),
        }
        Ok(status)
    }

    /// The field `name` read as a `T`; when it does not read, the field is rejected with
    /// `message`.
    pub fn choice<T: std::str::FromStr>(&mut self, name: &str, message: &str) -> Option<T> {
        let parsed = self.value(name).parse::<T>().ok();
        if parsed.is_none() {
            self.reject(name, message);
        }
        parsed
    }

    /// A whole number typed into `name` (commas allowed): `None` when blank, and when it is not
    /// a whole number, which is then the form's error with `message`.
    pub fn whole_number(&mut self, name: &str, message: &str) -> Option<i64> {
        let text = self.value(name).trim().replace(',', "");
        if text.is_empty() {
            return None;
        }
        match text.parse::<i64>() {
            Ok(n) => Some(n),
            Err(_) => {
                self.reject(name, message);
                None
            }
        }
    }

    /// Puts an error the service gave for `from`, a field the form shows as several inputs, on
    /// the input `to`, so it is linked and shown there.
    pub fn move_error(&mut self, from: &str, to: &str) {
        for error in &mut self.errors {
            if error.field == from {
                error.field = to.to_owned();
            }
        }
    }

    /// Puts the errors the service named at the top of a change under `prefix`, where the form
    /// names its fields (`postcode` → `organisation.postcode`).
    pub fn prefix_errors(&mut self, prefix: &str) {
        for error in &mut self.errors {
            if !error.field.is_empty() && !error.field.starts_with(prefix) {
                error.field = format!("{prefix}{}", error.field);
            }
        }
    }

    /// Says the service's errors about `field` with the label the page gives it: "is required"
    /// becomes "Her full name is required", beside the input and in the summary.
    pub fn label(&mut self, field: &str, label: &str) {
        for error in &mut self.errors {
            if error.field == field && !error.message.starts_with(char::is_uppercase) {
                error.message = format!("{label} {}", error.message);
            }
        }
    }

    /// An error about one field, found by the page before asking the service.
    pub fn reject(&mut self, field: &str, message: &str) {
        self.errors.push(FieldError {
            field: field.to_owned(),
            message: message.to_owned(),
        });
    }
}

/// A list's item as the form names it: `financial_years[1]` is the input `financial_years`.
/// An item of a list of objects (`scores[0].score`) keeps its index: its page knows which input
/// it is.
fn without_index(field: &str) -> String {
    match field.split_once('[') {
        Some((name, rest)) if rest.ends_with(']') => name.to_owned(),
        _ => field.to_owned(),
    }
}

/// The service names the field and says what is wrong with it ("is required to submit"); a
/// page says it as a sentence that names the field ("Summary is required to submit").
pub fn sentence(field: &str, message: &str) -> String {
    if field.is_empty() || message.starts_with(|c: char| c.is_uppercase()) {
        return message.to_owned();
    }
    let name = field
        .strip_prefix("organisation.")
        .or_else(|| field.strip_prefix("user."))
        .unwrap_or(field);
    let name = match name.split_once('.') {
        Some((group, key)) => format!("{} {}", group.replace('_', " "), key.replace('_', " ")),
        None => name.replace('_', " "),
    };
    let mut chars = name.chars();
    match chars.next() {
        Some(first) => format!("{}{} {message}", first.to_uppercase(), chars.as_str()),
        None => message.to_owned(),
    }
}

/// One choice of a set of radios, checkboxes or a select.
#[derive(Clone, Debug)]
pub struct Choice {
    pub value: String,
    pub label: String,
}

impl Choice {
    pub fn new(value: impl Into<String>, label: impl Into<String>) -> Choice {
        Choice {
            value: value.into(),
            label: label.into(),
        }
    }

    /// Every value of a vocabulary, labelled in plain words.
    pub fn all<T: std::fmt::Display>(values: &[T]) -> Vec<Choice> {
        values
            .iter()
            .map(|v| {
                let value = v.to_string();
                Choice::new(value.clone(), words(&value))
            })
            .collect()
    }
}

/// A vocabulary value as people say it: its own wording where plain words from its name would
/// read badly, else `snake_case` as words (`peer_support` → `Peer support`).
pub fn words(value: &str) -> String {
    let said = match value {
        "scio" => "Scottish charitable incorporated organisation (SCIO)",
        "mothers_birthing_parents" => "Mothers and birthing parents",
        "fathers_partners" => "Fathers and partners",
        "neonatal_complex_needs" => "Babies with neonatal or complex needs",
        "substance_use" => "People affected by substance use",
        "domestic_abuse_trauma" => "People affected by domestic abuse or trauma",
        "rural_island" => "Rural and island communities",
        "minority_ethnic" => "Minority ethnic communities",
        "parent_infant_relationship" => "Parent and infant relationship",
        "annual" => "Annually",
        "six_monthly" => "Every six months",
        _ => "",
    };
    if !said.is_empty() {
        return said.to_owned();
    }
    let spaced = value.replace('_', " ");
    let mut chars = spaced.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => spaced,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_names_keep_every_value_and_blank_values_count_as_absent() {
        let form = Form::parse(b"health_boards=fife&health_boards=tayside&summary=+&title=A%26B");
        assert_eq!(form.all("health_boards"), ["fife", "tayside"]);
        assert!(form.has("health_boards", "tayside"));
        assert_eq!(form.optional("summary"), None);
        assert_eq!(form.value("title"), "A&B");
        assert_eq!(form.value("missing"), "");
        let amounts = Form::parse("limit=%C2%A31%2C000%2C000+&blank=+".as_bytes());
        assert_eq!(amounts.amount("limit"), "1000000");
        assert_eq!(amounts.optional_amount("blank"), None);
    }

    #[test]
    fn a_validation_failure_puts_every_error_on_its_field() {
        let mut form = Form::new();
        let status = form
            .refused(ApiError::Validation(vec![
                FieldError {
                    field: "title".into(),
                    message: "must not be blank".into(),
                },
                FieldError {
                    field: "requested.2021-22".into(),
                    message: "must be at least £1,000".into(),
                },
            ]))
            .expect("a validation failure belongs to the form");
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(
            form.error("title").as_deref(),
            Some("Title must not be blank")
        );
        assert_eq!(
            form.error("requested.2021-22").as_deref(),
            Some("Requested 2021-22 must be at least £1,000")
        );
        assert!(form.refused(ApiError::NotFound).is_err());
    }

    #[test]
    fn an_item_of_a_list_is_shown_at_the_list_input() {
        assert_eq!(without_index("financial_years[1]"), "financial_years");
        assert_eq!(without_index("scores[0].score"), "scores[0].score");
        assert_eq!(without_index("title"), "title");
    }

    #[test]
    fn vocabulary_values_read_as_words() {
        assert_eq!(words("peer_support"), "Peer support");
        assert_eq!(
            words("scio"),
            "Scottish charitable incorporated organisation (SCIO)"
        );
        assert_eq!(words(""), "");
    }
}
