//! The [`Validator`] that collects every field error of a request.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};

use super::{ApiError, FieldError};
use crate::domain::{FinancialYear, Money};

/// Collects every field error of a request before any is reported, so that a client learns of
/// all of them at once.
#[derive(Clone, Debug, Default)]
pub struct Validator {
    errors: Vec<FieldError>,
}

impl Validator {
    pub fn new() -> Self {
        Self::default()
    }

    /// Records an error for `field`.
    pub fn error(&mut self, field: impl Into<String>, message: impl std::fmt::Display) {
        self.errors.push(FieldError {
            field: field.into(),
            message: message.to_string(),
        });
    }

    /// Keeps the value of a parse, or records its error and gives `None`.
    pub fn check<T, E: std::fmt::Display>(
        &mut self,
        field: impl Into<String>,
        result: Result<T, E>,
    ) -> Option<T> {
        match result {
            Ok(value) => Some(value),
            Err(message) => {
                self.error(field, message);
                None
            }
        }
    }

    /// Records an error unless `condition` holds.
    pub fn ensure(&mut self, condition: bool, field: impl Into<String>, message: &str) {
        if !condition {
            self.error(field, message);
        }
    }

    /// Checks that a trimmed text has between `min` and `max` characters and no control
    /// characters other than line breaks and tabs; gives the trimmed text.
    pub fn text(&mut self, field: &str, value: &str, min: usize, max: usize) -> Option<String> {
        let trimmed = value.trim();
        let length = trimmed.chars().count();
        let has_control = trimmed
            .chars()
            .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'));
        if length < min {
            self.error(
                field,
                if min == 1 {
                    "must not be empty".to_owned()
                } else {
                    format!("must be at least {min} characters")
                },
            );
            None
        } else if length > max {
            self.error(field, format!("must be at most {max} characters"));
            None
        } else if has_control {
            self.error(field, "must not contain control characters");
            None
        } else {
            Some(trimmed.to_owned())
        }
    }

    /// An optional text: absent or blank is `Some(None)`; otherwise as [`Validator::text`].
    pub fn optional_text(
        &mut self,
        field: &str,
        value: Option<&str>,
        max: usize,
    ) -> Option<Option<String>> {
        match value.map(str::trim).filter(|t| !t.is_empty()) {
            Some(text) => self.text(field, text, 1, max).map(Some),
            None => Some(None),
        }
    }

    /// An amount of money written as a decimal string.
    pub fn money(&mut self, field: impl Into<String>, value: &str) -> Option<Money> {
        self.check(field, Money::parse(value.trim()))
    }

    /// Reads amounts by financial year (`"2021-22": "1000.00"`) sent as `field`: records that
    /// they are missing (with `missing`) or name no year, and each year or amount that does not
    /// read. Each entry that reads goes to `rule` with its own field name (`amounts.2021-22`), in
    /// the order of the years, so that every error stands in the order of its field.
    pub fn amounts_by_year(
        &mut self,
        field: &str,
        given: Option<&BTreeMap<String, String>>,
        missing: &str,
        mut rule: impl FnMut(&mut Self, String, FinancialYear, Money),
    ) {
        let Some(given) = given else {
            self.error(field, missing);
            return;
        };
        if given.is_empty() {
            self.error(field, "must name at least one financial year");
        }
        for (key, text) in given {
            let entry = format!("{field}.{key}");
            let year = self.check(entry.clone(), FinancialYear::parse(key));
            let amount = self.money(entry.clone(), text);
            if let (Some(year), Some(amount)) = (year, amount) {
                rule(self, entry, year, amount);
            }
        }
    }

    /// A calendar date written `YYYY-MM-DD`.
    pub fn date(&mut self, field: impl Into<String>, value: &str) -> Option<NaiveDate> {
        self.check(
            field,
            NaiveDate::parse_from_str(value.trim(), "%Y-%m-%d")
                .map_err(|_| "must be a real date written YYYY-MM-DD"),
        )
    }

    /// A moment in time written in RFC 3339 with an offset, e.g. `2021-01-10T09:00:00Z`.
    pub fn timestamp(&mut self, field: impl Into<String>, value: &str) -> Option<DateTime<Utc>> {
        self.check(
            field,
            DateTime::parse_from_rfc3339(value.trim())
                .map(|t| t.with_timezone(&Utc))
                .map_err(|_| "must be an RFC 3339 timestamp such as 2021-01-10T09:00:00Z"),
        )
    }

    /// A whole number within `range`.
    pub fn count(
        &mut self,
        field: impl Into<String>,
        value: i64,
        range: std::ops::RangeInclusive<i64>,
    ) -> Option<i64> {
        if range.contains(&value) {
            Some(value)
        } else {
            self.error(
                field,
                format!("must be between {} and {}", range.start(), range.end()),
            );
            None
        }
    }

    /// Parses each item of a list of vocabulary values, naming each bad and each repeated item
    /// by its index (`field[2]`); the values come back sorted.
    pub fn choices<T>(&mut self, field: &str, items: &[String]) -> Option<Vec<T>>
    where
        T: std::str::FromStr + PartialEq + Ord,
        T::Err: std::fmt::Display,
    {
        let mut values = Vec::new();
        let mut ok = true;
        for (i, text) in items.iter().enumerate() {
            match self.check(format!("{field}[{i}]"), text.parse::<T>()) {
                Some(value) if values.contains(&value) => {
                    self.error(format!("{field}[{i}]"), "is listed twice");
                    ok = false;
                }
                Some(value) => values.push(value),
                None => ok = false,
            }
        }
        values.sort();
        ok.then_some(values)
    }

    pub fn is_empty(&self) -> bool {
        self.errors.is_empty()
    }

    /// Every failure recorded, for rules that report them alongside others.
    pub fn into_errors(self) -> Vec<FieldError> {
        self.errors
    }

    /// `Ok` when nothing failed, otherwise every failure as one 422.
    pub fn finish(self) -> Result<(), ApiError> {
        if self.errors.is_empty() {
            Ok(())
        } else {
            Err(ApiError::Validation(self.errors))
        }
    }

    /// Like [`Validator::finish`], giving `value` when nothing failed. Use with the `Option`s
    /// that [`Validator::check`] returned: they are all `Some` exactly when nothing failed.
    pub fn finish_with<T>(self, value: impl FnOnce() -> Option<T>) -> Result<T, ApiError> {
        self.finish()?;
        value().ok_or_else(|| ApiError::internal("validator passed with a missing value"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validator_reports_every_failure() {
        let mut v = Validator::new();
        v.error("a", "bad");
        let _ = v.check::<(), _>("b", Err("worse"));
        v.ensure(false, "c", "worst");
        match v.finish() {
            Err(ApiError::Validation(errors)) => {
                let fields: Vec<_> = errors.iter().map(|e| e.field.as_str()).collect();
                assert_eq!(fields, ["a", "b", "c"]);
            }
            other => panic!("expected a validation error, got {other:?}"),
        }
    }
}
