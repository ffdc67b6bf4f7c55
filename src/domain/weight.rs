//! The weight of an assessment criterion: a positive decimal with at most four places.

use std::fmt;

use rust_decimal::Decimal;

/// How much a criterion counts towards an assessment's weighted score, relative to the other
/// criteria of its round. Stored as whole ten-thousandths, so it stays exact.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Weight(Decimal);

/// Why a text is not a weight.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum WeightError {
    #[error("must be a decimal number such as \"0.40\"")]
    NotANumber,
    #[error("must be more than zero")]
    NotPositive,
    #[error("must have at most four decimal places")]
    TooManyPlaces,
    #[error("must not be more than 1000")]
    TooLarge,
}

impl Weight {
    const PLACES: u32 = 4;
    const MAX: i64 = 1000;

    /// Reads digits with an optional point and at most four places; more than zero.
    pub fn parse(text: &str) -> Result<Self, WeightError> {
        let (whole, fraction) = match text.split_once('.') {
            Some((w, f)) => (w, Some(f)),
            None => (text, None),
        };
        let all_digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
        if !all_digits(whole) || fraction.is_some_and(|f| !all_digits(f)) {
            return Err(if text.starts_with('-') {
                WeightError::NotPositive
            } else {
                WeightError::NotANumber
            });
        }
        if fraction.is_some_and(|f| f.len() > Self::PLACES as usize) {
            return Err(WeightError::TooManyPlaces);
        }
        if whole.trim_start_matches('0').len() > 4 {
            return Err(WeightError::TooLarge);
        }
        let value: Decimal = text.parse().map_err(|_| WeightError::NotANumber)?;
        Self::from_decimal(value)
    }

    fn from_decimal(value: Decimal) -> Result<Self, WeightError> {
        if value <= Decimal::ZERO {
            return Err(WeightError::NotPositive);
        }
        if value > Decimal::from(Self::MAX) {
            return Err(WeightError::TooLarge);
        }
        if value.normalize().scale() > Self::PLACES {
            return Err(WeightError::TooManyPlaces);
        }
        Ok(Weight(value.normalize()))
    }

    /// A weight stored as whole ten-thousandths.
    pub fn from_ten_thousandths(stored: i64) -> Result<Self, WeightError> {
        Self::from_decimal(Decimal::new(stored, Self::PLACES))
    }

    /// The weight in whole ten-thousandths, for storage. Exact by construction.
    pub fn ten_thousandths(self) -> i64 {
        let scaled = (self.0 * Decimal::from(10_000)).trunc();
        i64::try_from(scaled).unwrap_or(i64::MAX)
    }

    pub fn as_decimal(self) -> Decimal {
        self.0
    }
}

impl fmt::Display for Weight {
    /// At least two places (`"0.40"`, `"1.00"`), more only when the weight has them.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut value = self.0;
        if value.scale() < 2 {
            value.rescale(2);
        }
        write!(f, "{value}")
    }
}

crate::domain::text_value!(
    Weight,
    pattern = r"^[0-9]{1,4}(\.[0-9]{1,4})?$",
    example = "0.40",
    description = "A criterion's weight as a decimal string: more than zero, at most 1000, at most \
                 four decimal places. Only the ratios between a round's weights matter."
);

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn reads_positive_decimals_and_writes_at_least_two_places() {
        let text = |s: &str| Weight::parse(s).map(|w| w.to_string());
        assert_eq!(text("0.40"), Ok("0.40".to_owned()));
        assert_eq!(text("1"), Ok("1.00".to_owned()));
        assert_eq!(text("0.125"), Ok("0.125".to_owned()));
        assert_eq!(text("1000"), Ok("1000.00".to_owned()));
        assert_eq!(Weight::parse("0.4").map(|w| w.ten_thousandths()), Ok(4000));
    }

    #[test]
    fn refuses_zero_negative_and_inexact_weights() {
        assert_eq!(Weight::parse("0"), Err(WeightError::NotPositive));
        assert_eq!(Weight::parse("0.0000"), Err(WeightError::NotPositive));
        assert_eq!(Weight::parse("-1"), Err(WeightError::NotPositive));
        assert_eq!(Weight::parse("0.00001"), Err(WeightError::TooManyPlaces));
        assert_eq!(Weight::parse("1000.01"), Err(WeightError::TooLarge));
        assert_eq!(Weight::parse("99999999"), Err(WeightError::TooLarge));
        for bad in ["", "abc", "1e2", ".5", "1.", "+1", "NaN", " 1"] {
            assert_eq!(Weight::parse(bad), Err(WeightError::NotANumber), "{bad:?}");
        }
    }

    proptest! {
        #[test]
        fn storage_round_trips(stored in 1i64..=10_000_000) {
            let weight = Weight::from_ten_thousandths(stored).map_err(|e| TestCaseError::fail(e.to_string()))?;
            prop_assert_eq!(weight.ten_thousandths(), stored);
            prop_assert_eq!(Weight::parse(&weight.to_string()), Ok(weight));
        }
    }
}
