//! Money: an exact amount in pounds and pence.
//!
//! In JSON a `Money` is a decimal string with exactly two places (`"250000.00"`); in the database
//! it is a whole number of pence in a `BIGINT`; in code it is a `rust_decimal::Decimal`. No value
//! ever passes through floating point.

use std::fmt;
use std::str::FromStr;

use rust_decimal::Decimal;

/// The most digits an amount may have before its point. The largest amount is then
/// 9,999,999,999,999.99 pounds, 999,999,999,999,999 pence: a `BIGINT` of pence holds it more than
/// 9,000 times over, so sums of amounts in a year or a report cannot overflow either.
pub const MAX_WHOLE_DIGITS: usize = 13;

/// The largest amount, in pence: thirteen nines and two more.
pub const MAX_PENCE: i64 = 999_999_999_999_999;

/// What the contract says a request's money looks like, and exactly what [`Money::parse`]
/// accepts: one to [`MAX_WHOLE_DIGITS`] digits, then optionally a point and one or two digits.
/// No sign (so no negative zero), exponent, space or separator. A unit test checks the two agree.
pub const PATTERN: &str = r"^[0-9]{1,13}(\.[0-9]{1,2})?$";

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
    #[error("must not be negative or carry a sign")]
    Negative,
    #[error("must not be more than 9999999999999.99 (at most 13 digits before the point)")]
    TooLarge,
}

impl Money {
    pub const ZERO: Money = Money(Decimal::ZERO);

    /// Reads an amount written as [`PATTERN`] says: digits with an optional point and at most
    /// two places. Signs (`-0` too), exponents, spaces, thousands separators and `NaN` are
    /// refused, and so is a 14th digit before the point, even a leading zero.
    pub fn parse(text: &str) -> Result<Self, MoneyError> {
        let (digits, signed) = match text.strip_prefix('-') {
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
        if signed {
            return Err(MoneyError::Negative);
        }
        if fraction.is_some_and(|f| f.len() > 2) {
            return Err(MoneyError::TooManyPlaces);
        }
        // Also bounds the length before building a Decimal, which holds at most 28 digits.
        if whole.len() > MAX_WHOLE_DIGITS {
            return Err(MoneyError::TooLarge);
        }
        let value = Decimal::from_str(digits).map_err(|_| MoneyError::NotANumber)?;
        Self::from_decimal(value)
    }

    /// Accepts a decimal that is not negative, at most [`MAX_PENCE`] in pence and has at most
    /// two places. A computed negative zero is zero.
    pub fn from_decimal(value: Decimal) -> Result<Self, MoneyError> {
        if value.is_sign_negative() && !value.is_zero() {
            return Err(MoneyError::Negative);
        }
        if value.normalize().scale() > 2 {
            return Err(MoneyError::TooManyPlaces);
        }
        if value > Decimal::new(MAX_PENCE, 2) {
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
    /// bounded by [`MAX_PENCE`].
    pub fn pence(self) -> i64 {
        let scaled = self.0 * Decimal::ONE_HUNDRED;
        // In range by construction: at most MAX_PENCE.
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
    pattern = PATTERN,
    example = "250000.00",
    description = "An amount in pounds sterling as a decimal string. Answers always carry exactly \
                 two places; requests may give fewer. No sign (not even on zero), at most 13 digits \
                 before the point (so at most \"9999999999999.99\") and at most two after it."
);

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn pence(text: &str) -> Result<i64, MoneyError> {
        Money::parse(text).map(Money::pence)
    }

    #[test]
    fn reads_whole_and_two_place_amounts() {
        assert_eq!(pence("250000.00"), Ok(25_000_000));
        assert_eq!(
            Money::parse("0.5").map(|m| m.to_string()),
            Ok("0.50".to_owned())
        );
        assert_eq!(
            Money::parse("42").map(|m| m.to_string()),
            Ok("42.00".to_owned())
        );
        assert_eq!(pence("0"), Ok(0));
        assert_eq!(pence("0.00"), Ok(0));
        assert_eq!(pence("0.01"), Ok(1));
        assert_eq!(pence("12.3"), Ok(1230));
        assert_eq!(
            pence("007.50"),
            Ok(750),
            "leading zeros, as the pattern allows"
        );
    }

    #[test]
    fn refuses_what_is_not_exact_money() {
        assert_eq!(Money::parse("1.005"), Err(MoneyError::TooManyPlaces));
        assert_eq!(Money::parse("-1.00"), Err(MoneyError::Negative));
        assert_eq!(Money::parse("-0.01"), Err(MoneyError::Negative));
        assert_eq!(
            Money::parse("1".repeat(40).as_str()),
            Err(MoneyError::TooLarge)
        );
        for bad in [
            "", "abc", "1e5", "1,000.00", " 1.00", "1.00 ", "1.", ".5", "+1", "NaN", "1.0.0", "١٢",
            "-", "--1", "-abc", "0x10", "1_000",
        ] {
            assert_eq!(Money::parse(bad), Err(MoneyError::NotANumber), "{bad:?}");
        }
    }

    #[test]
    fn negative_zero_is_refused_as_the_pattern_has_no_sign() {
        for signed in ["-0", "-0.00", "-0.0", "-00"] {
            assert_eq!(Money::parse(signed), Err(MoneyError::Negative), "{signed}");
        }
    }

    #[test]
    fn the_largest_amount_fits_in_pence_and_one_penny_more_is_refused() {
        assert_eq!(pence("9999999999999.99"), Ok(MAX_PENCE));
        assert_eq!(pence("9999999999999"), Ok(MAX_PENCE - 99));
        assert_eq!(Money::parse("10000000000000"), Err(MoneyError::TooLarge));
        assert_eq!(Money::parse("10000000000000.00"), Err(MoneyError::TooLarge));
        assert_eq!(
            Money::from_pence(MAX_PENCE).map(Money::pence),
            Ok(MAX_PENCE)
        );
        assert_eq!(Money::from_pence(MAX_PENCE + 1), Err(MoneyError::TooLarge));
        assert_eq!(
            Money::from_decimal(Decimal::new(MAX_PENCE + 1, 2)),
            Err(MoneyError::TooLarge)
        );
        // A `BIGINT` holds it many times over.
        assert!(MAX_PENCE.checked_mul(9_000).is_some());
    }

    #[test]
    fn the_digit_limit_counts_leading_zeros_as_the_pattern_does() {
        assert_eq!(pence("0000000000001"), Ok(100), "13 digits");
        assert_eq!(Money::parse("00000000000001"), Err(MoneyError::TooLarge));
        assert_eq!(
            Money::parse("00000000000000000001"),
            Err(MoneyError::TooLarge),
            "20 digits"
        );
    }

    #[test]
    fn the_pattern_is_built_from_the_same_limit() {
        assert_eq!(
            PATTERN,
            format!(r"^[0-9]{{1,{MAX_WHOLE_DIGITS}}}(\.[0-9]{{1,2}})?$")
        );
        assert_eq!(
            MAX_PENCE.to_string(),
            "9".repeat(MAX_WHOLE_DIGITS + 2),
            "the largest amount is every digit the pattern allows"
        );
    }

    #[test]
    fn a_negative_decimal_is_refused_not_made_positive() {
        assert_eq!(
            Money::from_decimal(Decimal::new(-500, 2)),
            Err(MoneyError::Negative)
        );
        assert_eq!(
            Money::from_decimal(Decimal::new(-1, 2)),
            Err(MoneyError::Negative)
        );
        assert_eq!(Money::from_pence(-1), Err(MoneyError::Negative));
        // A computed negative zero (such as 0 × -1) is zero, and prints without a sign.
        let mut zero = Decimal::new(0, 2);
        zero.set_sign_negative(true);
        assert_eq!(
            Money::from_decimal(zero).map(|m| m.to_string()),
            Ok("0.00".to_owned())
        );
    }

    #[test]
    fn from_decimal_keeps_the_value_and_refuses_a_third_place() {
        assert_eq!(
            Money::from_decimal(Decimal::new(12345, 2)).map(Money::pence),
            Ok(12345)
        );
        assert_eq!(
            Money::from_decimal(Decimal::new(5, 0)).map(|m| m.to_string()),
            Ok("5.00".to_owned())
        );
        assert_eq!(
            Money::from_decimal(Decimal::new(1001, 3)),
            Err(MoneyError::TooManyPlaces)
        );
        // Trailing zeros are not places.
        assert_eq!(
            Money::from_decimal(Decimal::new(1000, 3)).map(Money::pence),
            Ok(100)
        );
    }

    #[test]
    fn helpers_tell_the_amount() {
        assert!(Money::ZERO.is_zero());
        assert!(Money::parse("0.00").is_ok_and(Money::is_zero));
        assert!(Money::parse("0.01").is_ok_and(|m| !m.is_zero()));
        assert_eq!(
            Money::parse("12.34").map(Money::as_decimal),
            Ok(Decimal::new(1234, 2))
        );
        assert_eq!(Money::default(), Money::ZERO);
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
        assert!(serde_json::from_str::<Money>("\"-0\"").is_err());
    }

    fn pattern() -> regex::Regex {
        regex::Regex::new(PATTERN).unwrap_or_else(|e| panic!("the pattern compiles: {e}"))
    }

    proptest! {
        #[test]
        fn pence_round_trip_through_text(pence in 0i64..=MAX_PENCE) {
            let money = Money::from_pence(pence).map_err(|e| TestCaseError::fail(e.to_string()))?;
            let text = money.to_string();
            prop_assert!(text.split_once('.').is_some_and(|(_, f)| f.len() == 2));
            prop_assert!(pattern().is_match(&text), "{} answers within its own pattern", text);
            let back = Money::parse(&text).map_err(|e| TestCaseError::fail(e.to_string()))?;
            prop_assert_eq!(back.pence(), pence);
            prop_assert_eq!(back.to_string(), text);
        }

        #[test]
        fn text_round_trips_through_pence(whole in 0u64..=9_999_999_999_999, frac in 0u32..100) {
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

        /// The contract's pattern and the parser are one rule: whatever matches is accepted,
        /// whatever does not is refused.
        #[test]
        fn the_parser_accepts_exactly_what_the_pattern_matches(text in r"-?[0-9.]{0,18}|[0-9]{12,15}(\.[0-9]{0,3})?|-?0+(\.0{0,3})?") {
            prop_assert_eq!(Money::parse(&text).is_ok(), pattern().is_match(&text), "{:?}", text);
        }

        #[test]
        fn arbitrary_text_never_panics(text in ".{0,40}") {
            let _ = Money::parse(&text);
            prop_assert_eq!(Money::parse(&text).is_ok(), pattern().is_match(&text), "{:?}", text);
        }
    }
}
