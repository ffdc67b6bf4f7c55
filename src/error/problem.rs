//! The problem document a failure is answered with, and the bounds that keep it small.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::domain::{FinancialYear, Money};

/// The most field errors a problem lists; `errors_omitted` counts the rest. A request can fail
/// in many ways at once, but its answer stays small whatever was sent.
pub const MAX_LISTED_ERRORS: usize = 50;

/// The most characters of a field's name a problem repeats. Names can carry a client's own text
/// (the key of a map, such as `requested.<year>`); a longer one is cut, ending in `…`.
pub const MAX_FIELD_NAME_CHARS: usize = 100;

/// One field that failed validation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct FieldError {
    /// Where the value is, as a dotted path into the request (`organisation.charity_number`,
    /// `requested.2021-22`).
    pub field: String,
    /// What is wrong with it, in plain English.
    pub message: String,
}

/// A financial year that an award does not fit in, with `fund_limit_exceeded`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct YearShortfall {
    pub financial_year: FinancialYear,
    /// The year's limit.
    pub limit: Money,
    /// What the year has left: its limit less what is committed.
    pub remaining: Money,
    /// What the award asked of the year.
    pub asked: Money,
}

/// An RFC 9457 problem document.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct Problem {
    /// A URI naming the kind of problem; stable for each `code`.
    #[serde(rename = "type")]
    pub problem_type: String,
    /// A short summary of the kind of problem.
    pub title: String,
    /// The HTTP status code.
    pub status: u16,
    /// What went wrong in this request.
    pub detail: String,
    /// A stable, machine-readable code, e.g. `validation_failed`, `not_found`.
    pub code: String,
    /// Every field that failed validation with `validation_failed`, at most the first 50; with
    /// a few other codes (such as `fund_limit_exceeded`) each field the problem concerns.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schema(max_items = 50)]
    pub errors: Vec<FieldError>,
    /// How many more fields failed than `errors` lists (which stops at 50); absent when it
    /// lists them all.
    #[serde(default, skip_serializing_if = "is_zero")]
    #[schema(minimum = 1)]
    pub errors_omitted: usize,
    /// With `fund_limit_exceeded`: each financial year the award does not fit in, in year
    /// order, with its limit, what remains and what was asked. Absent with other codes.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schema(max_items = 10)]
    pub years: Vec<YearShortfall>,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

/// The first [`MAX_LISTED_ERRORS`] of `errors`, each name cut to [`MAX_FIELD_NAME_CHARS`], and
/// how many were left out.
pub(super) fn listed(errors: &[FieldError]) -> (Vec<FieldError>, usize) {
    let listed = errors
        .iter()
        .take(MAX_LISTED_ERRORS)
        .map(|e| FieldError {
            field: cut(&e.field, MAX_FIELD_NAME_CHARS),
            message: e.message.clone(),
        })
        .collect();
    (listed, errors.len().saturating_sub(MAX_LISTED_ERRORS))
}

/// `text` if it has at most `max` characters, otherwise its first `max - 1` and `…`.
pub fn cut(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_owned()
    } else {
        let mut short: String = text.chars().take(max.saturating_sub(1)).collect();
        short.push('…');
        short
    }
}

/// Writes `<`, `>` and `&` in JSON text as `\u003c`, `\u003e` and `\u0026`: the same JSON,
/// but no input a problem repeats can be read as markup by anything that mistakes it for HTML.
pub fn escape_html(json: &str) -> String {
    let mut out = String::with_capacity(json.len());
    for c in json.chars() {
        match c {
            '<' => out.push_str("\\u003c"),
            '>' => out.push_str("\\u003e"),
            '&' => out.push_str("\\u0026"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_in_problems_is_escaped_and_the_json_unchanged() {
        let json = r#"{"detail":"<script>a & b</script>"}"#;
        let escaped = escape_html(json);
        assert!(!escaped.contains('<') && !escaped.contains('&'));
        let back: serde_json::Value = serde_json::from_str(&escaped).unwrap_or_default();
        assert_eq!(back["detail"], "<script>a & b</script>");
    }
}
