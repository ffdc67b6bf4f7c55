//! Checking what a variation asks for against the award as it is, every field at once.

use std::collections::BTreeMap;

use chrono::{Months, NaiveDate};

use super::MAX_EXTENSION_MONTHS;
use crate::awards::model::Award;
use crate::awards::model::variation::VariationInput;
use crate::domain::vocabulary::VariationKind;
use crate::domain::{FinancialYear, Money};
use crate::error::{ApiError, ErrorCode, Validator};

/// A variation's fields, checked against the award as it is.
pub(super) struct Asked {
    /// Each year that changes: (what it holds now, what it is to hold), in pence.
    pub(super) amounts: BTreeMap<FinancialYear, (i64, i64)>,
    pub(super) new_end_date: Option<NaiveDate>,
    pub(super) new_conditions: Option<String>,
    pub(super) reason: String,
}

pub(super) fn not_accepted(award: &Award) -> ApiError {
    ApiError::conflict(
        ErrorCode::AwardNotAccepted,
        format!(
            "This award is {}; only an accepted award can be varied.",
            award.status
        ),
    )
}

/// Checks every field of a request at once against the award: the years named are the award's,
/// the amounts fit the kind, the end date is later, the conditions differ.
pub(super) fn check(input: &VariationInput, award: &Award) -> Result<Asked, ApiError> {
    let mut v = Validator::new();
    let reason = v.text("reason", &input.reason, 1, 5_000);
    let mut amounts = BTreeMap::new();
    let money_kind = matches!(input.kind, VariationKind::Reprofile | VariationKind::Reduce);
    if money_kind {
        v.amounts_by_year(
            "amounts",
            input.amounts.as_ref(),
            "give the new amount of each year that changes",
            |v, field, year, amount| {
                let Some(now) = award.amounts.get(&year) else {
                    v.error(field, "is not a year of this award");
                    return;
                };
                if amount.is_zero() {
                    v.error(field, "must be more than zero");
                } else if input.kind == VariationKind::Reduce && amount >= *now {
                    v.error(field, format!("must be less than it is now ({now})"));
                } else if amount == *now {
                    v.error(field, format!("is what the year holds now ({now})"));
                } else {
                    amounts.insert(year, (now.pence(), amount.pence()));
                }
            },
        );
        let named = input.amounts.as_ref().map_or(0, BTreeMap::len);
        // The total is checked once every year named has read as an amount it may take.
        if input.kind == VariationKind::Reprofile
            && named >= 2
            && amounts.len() == named
            && amounts.values().map(|(b, _)| b).sum::<i64>()
                != amounts.values().map(|(_, a)| a).sum::<i64>()
        {
            let total = Money::from_pence(amounts.values().map(|(b, _)| b).sum())
                .map_err(ApiError::internal)?;
            v.error(
                "amounts",
                format!("must add up to what these years hold now ({total})"),
            );
        }
        if input.kind == VariationKind::Reprofile && named == 1 {
            v.error(
                "amounts",
                "a re-profiling moves money between two or more years",
            );
        }
    } else {
        v.ensure(
            input.amounts.is_none(),
            "amounts",
            "are given only to re-profile or reduce",
        );
    }
    let mut new_end_date = None;
    if input.kind == VariationKind::Extend {
        match input.end_date.as_deref() {
            None => v.error("end_date", "give the new last day of the award"),
            Some(text) => {
                if let Some(date) = v.date("end_date", text) {
                    let latest = award
                        .end_date
                        .checked_add_months(Months::new(MAX_EXTENSION_MONTHS))
                        .unwrap_or(award.end_date);
                    if date <= award.end_date {
                        v.error(
                            "end_date",
                            format!("must be after the award's end date, {}", award.end_date),
                        );
                    } else if date > latest {
                        v.error(
                            "end_date",
                            format!(
                                "must be no more than {MAX_EXTENSION_MONTHS} months after the award's end date, by {latest}"
                            ),
                        );
                    } else {
                        new_end_date = Some(date);
                    }
                }
            }
        }
    } else {
        v.ensure(
            input.end_date.is_none(),
            "end_date",
            "is given only to extend",
        );
    }
    let mut new_conditions = None;
    if input.kind == VariationKind::Conditions {
        match input.conditions.as_deref() {
            None => v.error("conditions", "give the new conditions of the grant"),
            Some(text) => {
                if let Some(text) = v.text("conditions", text, 1, 10_000) {
                    if award.conditions.as_deref() == Some(text.as_str()) {
                        v.error("conditions", "are the conditions the grant has now");
                    } else {
                        new_conditions = Some(text);
                    }
                }
            }
        }
    } else {
        v.ensure(
            input.conditions.is_none(),
            "conditions",
            "are given only to change the conditions",
        );
    }
    v.finish_with(|| {
        Some(Asked {
            amounts,
            new_end_date,
            new_conditions,
            reason: reason?,
        })
    })
}
