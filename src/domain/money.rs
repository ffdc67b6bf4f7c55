//! Money: an exact amount in pounds and pence.
//!
//! In JSON a `Money` is a decimal string with exactly two places (`"250000.00"`); in the database
//! it is a whole number of pence in a `BIGINT`; in code it is a `rust_decimal::Decimal`. No value
//! ever passes through floating point.

use std::fmt;
use std::str::FromStr;

use rust_decimal::Decimal;

/// The largest amount the service accepts: one trillion pounds, far above any grant fund and far
/// below what a `BIGINT` of pence can hold, so sums of many amounts cannot overflow either.
pub const MAX_POUNDS: i64 = 1_000_000_000_000;

/// A non-negative amount of money with two decimal places.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Money(Decimal);

/// Why a text could not be read as money.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    #[error("must be a decimal amount such as \"1250.00\"")]
    NotANumber,
    #[error("must have at most two decimal places")]
    TooManyPlaces,
    #[error("must not be negative")]
    Negative,
    #[error("must not be more than 1000000000000.00")]
    TooLarge,
}

impl Money {
    pub const ZERO: Money = Money(Decimal::ZERO);

    /// Reads an amount written as digits with an optional point and at most two places.
    /// Signs, exponents, spaces, thousands separators and `NaN` are refused.
    pub fn parse(text: &str) -> Result<Self, MoneyError> {
        let (digits, negative) = match text.strip_prefix('-') {
            Some(rest) => (rest, true),
            None => (text, false),
        };
        let (whole, fraction) = match digits.split_once('.') {
            Some((w, f)) => (w, Some(f)),
            None => (digits, None),
        };
        let all_digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
        if !all_digits(whole) || fraction.is_some_and(|f| !all_digits(f)) {
            return Err(MoneyError::NotANumber);
        }
        if fraction.is_some_and(|f| f.len() > 2) {
            return Err(MoneyError::TooManyPlaces);
        }
        // Bound the length before building a Decimal, which holds at most 28 digits.
        if whole.trim_start_matches('0').len() > 13 {
            return Err(if negative {
                MoneyError::Negative
            } else {
                MoneyError::TooLarge
            });
        }
        let value = Decimal::from_str(digits).map_err(|_| MoneyError::NotANumber)?;
        if negative && !value.is_zero() {
            return Err(MoneyError::Negative);
        }
        Self::from_decimal(value)
    }

    /// Accepts a decimal that is non-negative, within range and has at most two places.
    pub fn from_decimal(value: Decimal) -> Result<Self, MoneyError> {
        if value.is_sign_negative() && !value.is_zero() {
            return Err(MoneyError::Negative);
        }
        if value.normalize().scale() > 2 {
            return Err(MoneyError::TooManyPlaces);
        }
        if value > Decimal::from(MAX_POUNDS) {
            return Err(MoneyError::TooLarge);
        }
        let mut value = value.abs();
        value.rescale(2);
        Ok(Money(value))
    }

    /// Builds an amount from whole pence, as stored in the database.
    pub fn from_pence(pence: i64) -> Result<Self, MoneyError> {
        Self::from_decimal(Decimal::new(pence, 2))
    }

    /// The amount in whole pence. Exact, because the amount has at most two places and is
    /// bounded by [`MAX_POUNDS`].
    pub fn pence(self) -> i64 {
        let scaled = self.0 * Decimal::ONE_HUNDRED;
        // In range by construction: at most 10^14 pence.
        i64::try_from(scaled.trunc()).unwrap_or(i64::MAX)
    }

    pub fn as_decimal(self) -> Decimal {
        self.0
    }

    pub fn is_zero(self) -> bool {
        self.0.is_zero()
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:.2}", self.0)
    }
}

crate::domain::text_value!(
    Money,
    pattern = r"^[0-9]{1,13}(\.[0-9]{1,2})?$",
    example = "250000.00",
    description = "An amount in pounds sterling as a decimal string. Answers always carry exactly \
                 two places; requests may give fewer. Never negative, at most two places."
);

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn reads_whole_and_two_place_amounts() {
        assert_eq!(Money::parse("250000.00").map(|m| m.pence()), Ok(25_000_000));
        assert_eq!(
            Money::parse("0.5").map(|m| m.to_string()),
            Ok("0.50".to_owned())
        );
        assert_eq!(
            Money::parse("42").map(|m| m.to_string()),
            Ok("42.00".to_owned())
        );
        assert_eq!(Money::parse("0").map(|m| m.pence()), Ok(0));
        assert_eq!(
            Money::parse("-0.00").map(|m| m.to_string()),
            Ok("0.00".to_owned())
        );
    }

    #[test]
    fn refuses_what_is_not_exact_money() {
        assert_eq!(Money::parse("1.005"), Err(MoneyError::TooManyPlaces));
        assert_eq!(Money::parse("-1.00"), Err(MoneyError::Negative));
        assert_eq!(Money::parse("1000000000000.01"), Err(MoneyError::TooLarge));
        assert_eq!(
            Money::parse("1".repeat(40).as_str()),
            Err(MoneyError::TooLarge)
        );
        for bad in [
            "", "abc", "1e5", "1,000.00", " 1.00", "1.", ".5", "+1", "NaN", "1.0.0", "١٢",
        ] {
            assert_eq!(Money::parse(bad), Err(MoneyError::NotANumber), "{bad:?}");
        }
    }

    #[test]
    fn the_largest_amount_is_accepted() {
        let max = Money::parse("1000000000000.00").map(|m| m.pence());
        assert_eq!(max, Ok(MAX_POUNDS * 100));
    }

    #[test]
    fn json_is_a_two_place_string() {
        let m = Money::parse("12.3").map_err(|e| e.to_string());
        assert_eq!(
            serde_json::to_string(&m.ok()).ok(),
            Some("\"12.30\"".to_owned())
        );
        assert!(
            serde_json::from_str::<Money>("12.3").is_err(),
            "a JSON number is refused"
        );
        assert!(serde_json::from_str::<Money>("\"12.345\"").is_err());
    }

    proptest! {
        #[test]
        fn pence_round_trip_through_text(pence in 0i64..=MAX_POUNDS * 100) {
            let money = Money::from_pence(pence).map_err(|e| TestCaseError::fail(e.to_string()))?;
            let text = money.to_string();
            prop_assert!(text.split_once('.').is_some_and(|(_, f)| f.len() == 2));
            let back = Money::parse(&text).map_err(|e| TestCaseError::fail(e.to_string()))?;
            prop_assert_eq!(back.pence(), pence);
            prop_assert_eq!(back.to_string(), text);
        }

        #[test]
        fn text_round_trips_through_pence(whole in 0u64..=999_999_999_999, frac in 0u32..100) {
            let text = format!("{whole}.{frac:02}");
            let money = Money::parse(&text).map_err(|e| TestCaseError::fail(e.to_string()))?;
            let again = Money::from_pence(money.pence()).map_err(|e| TestCaseError::fail(e.to_string()))?;
            prop_assert_eq!(again.to_string(), text);
        }

        #[test]
        fn any_third_decimal_place_is_refused(whole in 0u64..1_000_000, frac in 0u32..1000) {
            let text = format!("{whole}.{frac:03}");
            prop_assert_eq!(Money::parse(&text), Err(MoneyError::TooManyPlaces));
        }

        #[test]
        fn arbitrary_text_never_panics(text in ".{0,40}") {
            let _ = Money::parse(&text);
        }
    }
}
