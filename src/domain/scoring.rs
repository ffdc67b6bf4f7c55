//! The arithmetic of assessment, done exactly.
//!
//! The weighted score of one assessment is `100 × Σ(weight × score / max_score) / Σ weight`,
//! rounded half-up to two places. Weights are whole ten-thousandths and scores whole numbers, so
//! the score is a fraction of integers: it is summed as a reduced fraction and rounded once, at
//! the end. Nothing is rounded on the way, so a result that lies exactly on a half-penny
//! boundary (say 76.665) rounds up, as a hand calculation would, instead of falling either side
//! of it through a non-terminating division such as `/ 3`.

use rust_decimal::Decimal;

use crate::domain::Weight;

/// One scored criterion.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Scored {
    pub weight: Weight,
    pub score: u32,
    pub max_score: u32,
}

/// Why a set of scores has no weighted score.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ScoringError {
    #[error("there are no scored criteria")]
    Empty,
    #[error("a score is above its criterion's maximum, or a maximum is zero")]
    OutOfRange,
    #[error("the weights and maxima are too many or too fine to combine exactly")]
    Overflow,
}

fn gcd(mut a: i128, mut b: i128) -> i128 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a.abs()
}

/// `numerator / denominator` rounded half-up to two places; both non-negative, denominator > 0.
fn round_half_up(numerator: i128, denominator: i128) -> Result<Decimal, ScoringError> {
    let hundredths = numerator.checked_mul(100).ok_or(ScoringError::Overflow)?;
    let doubled = hundredths.checked_mul(2).ok_or(ScoringError::Overflow)?;
    let rounded = (doubled + denominator) / (2 * denominator);
    let rounded = i64::try_from(rounded).map_err(|_| ScoringError::Overflow)?;
    Ok(Decimal::new(rounded, 2))
}

/// The weighted score of one assessment, from 0.00 to 100.00.
pub fn weighted_score(items: &[Scored]) -> Result<Decimal, ScoringError> {
    if items.is_empty() {
        return Err(ScoringError::Empty);
    }
    // Σ(weight × score / max) as the reduced fraction sum_num / sum_den; weights in
    // ten-thousandths, which cancel against Σ weight below.
    let (mut sum_num, mut sum_den): (i128, i128) = (0, 1);
    let mut total_weight: i128 = 0;
    for item in items {
        if item.max_score == 0 || item.score > item.max_score {
            return Err(ScoringError::OutOfRange);
        }
        let weight = i128::from(item.weight.ten_thousandths());
        let num = weight * i128::from(item.score);
        let den = i128::from(item.max_score);
        let common = sum_den / gcd(sum_den, den) * den;
        sum_num = sum_num
            .checked_mul(common / sum_den)
            .and_then(|a| num.checked_mul(common / den).and_then(|b| a.checked_add(b)))
            .ok_or(ScoringError::Overflow)?;
        sum_den = common;
        let divisor = gcd(sum_num, sum_den).max(1);
        (sum_num, sum_den) = (sum_num / divisor, sum_den / divisor);
        total_weight += weight;
    }
    let numerator = sum_num.checked_mul(100).ok_or(ScoringError::Overflow)?;
    let denominator = sum_den
        .checked_mul(total_weight)
        .ok_or(ScoringError::Overflow)?;
    round_half_up(numerator, denominator)
}

/// The mean of several scores (each already with two places), rounded half-up to two places.
pub fn mean(scores: &[Decimal]) -> Result<Decimal, ScoringError> {
    if scores.is_empty() {
        return Err(ScoringError::Empty);
    }
    let mut hundredths: i128 = 0;
    for score in scores {
        let scaled = (*score * Decimal::ONE_HUNDRED).trunc();
        hundredths += i128::try_from(scaled).map_err(|_| ScoringError::Overflow)?;
    }
    // round_half_up works in hundredths of its argument, so divide by 100 first.
    round_half_up(hundredths, 100 * scores.len() as i128)
}

/// A score out of 100 with two decimal places: an assessment's weighted score, an
/// application's mean, or an administrator's moderated score. Stored as whole hundredths.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Percent(i64);

/// Why a text or a value is not a score out of 100.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PercentError {
    #[error("must be a decimal number such as \"76.50\"")]
    NotANumber,
    #[error("must have at most two decimal places")]
    TooManyPlaces,
    #[error("must be from 0 to 100")]
    OutOfRange,
}

impl Percent {
    pub const MAX_HUNDREDTHS: i64 = 10_000;

    pub fn from_hundredths(hundredths: i64) -> Result<Self, PercentError> {
        if (0..=Self::MAX_HUNDREDTHS).contains(&hundredths) {
            Ok(Percent(hundredths))
        } else {
            Err(PercentError::OutOfRange)
        }
    }

    /// An exact decimal with at most two places, from 0 to 100.
    pub fn from_decimal(value: Decimal) -> Result<Self, PercentError> {
        if value.normalize().scale() > 2 {
            return Err(PercentError::TooManyPlaces);
        }
        if value < Decimal::ZERO || value > Decimal::ONE_HUNDRED {
            return Err(PercentError::OutOfRange);
        }
        let hundredths = (value * Decimal::ONE_HUNDRED).trunc();
        Self::from_hundredths(i64::try_from(hundredths).map_err(|_| PercentError::OutOfRange)?)
    }

    /// Reads digits with an optional point and at most two places.
    pub fn parse(text: &str) -> Result<Self, PercentError> {
        let (whole, fraction) = match text.split_once('.') {
            Some((w, f)) => (w, Some(f)),
            None => (text, None),
        };
        let all_digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
        if text.starts_with('-') {
            return Err(PercentError::OutOfRange);
        }
        if !all_digits(whole) || fraction.is_some_and(|f| !all_digits(f)) {
            return Err(PercentError::NotANumber);
        }
        if fraction.is_some_and(|f| f.len() > 2) {
            return Err(PercentError::TooManyPlaces);
        }
        if whole.trim_start_matches('0').len() > 3 {
            return Err(PercentError::OutOfRange);
        }
        let value: Decimal = text.parse().map_err(|_| PercentError::NotANumber)?;
        Self::from_decimal(value)
    }

    pub fn hundredths(self) -> i64 {
        self.0
    }

    pub fn as_decimal(self) -> Decimal {
        Decimal::new(self.0, 2)
    }

    /// The weighted score of one assessment.
    pub fn weighted(items: &[Scored]) -> Result<Self, ScoringError> {
        weighted_score(items)
            .and_then(|d| Self::from_decimal(d).map_err(|_| ScoringError::OutOfRange))
    }

    /// The mean of several scores, rounded half-up to two places.
    pub fn mean_of(scores: &[Percent]) -> Result<Self, ScoringError> {
        let decimals: Vec<Decimal> = scores.iter().map(|p| p.as_decimal()).collect();
        mean(&decimals).and_then(|d| Self::from_decimal(d).map_err(|_| ScoringError::OutOfRange))
    }
}

impl std::fmt::Display for Percent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.as_decimal())
    }
}

crate::domain::text_value!(
    Percent,
    pattern = r"^[0-9]{1,3}(\.[0-9]{1,2})?$",
    example = "76.67",
    description =
        "A score out of 100 as a decimal string with two places, from \"0.00\" to \"100.00\"."
);

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn item(weight: &str, score: u32, max_score: u32) -> Scored {
        Scored {
            weight: Weight::parse(weight).expect("valid weight"),
            score,
            max_score,
        }
    }

    fn dec(text: &str) -> Decimal {
        text.parse().expect("valid decimal")
    }

    #[test]
    fn equal_weights_and_maxima_give_the_plain_percentage() {
        // (4 + 3 + 5) / 15 = 80%.
        let items = [item("1", 4, 5), item("1", 3, 5), item("1", 5, 5)];
        assert_eq!(weighted_score(&items), Ok(dec("80.00")));
    }

    #[test]
    fn unequal_weights_and_maxima_by_hand() {
        // 100 × (0.40 × 4/5 + 0.35 × 7/10 + 0.25 × 2/3) / 1.00
        //   = 100 × (0.32 + 0.245 + 0.1666…) = 73.1666… → 73.17
        let items = [item("0.40", 4, 5), item("0.35", 7, 10), item("0.25", 2, 3)];
        assert_eq!(weighted_score(&items), Ok(dec("73.17")));
        // Weights need not add up to one: only their ratios count.
        let scaled = [item("40", 4, 5), item("35", 7, 10), item("25", 2, 3)];
        assert_eq!(weighted_score(&scaled), Ok(dec("73.17")));
    }

    #[test]
    fn a_result_exactly_on_a_half_rounds_up() {
        // 100 × (1 × 1/8 + 1 × 0/8) / 2 = 6.25 exactly; and 100 × (3 × 1/8) / 8 = 4.6875.
        assert_eq!(
            weighted_score(&[item("1", 1, 8), item("1", 0, 8)]),
            Ok(dec("6.25"))
        );
        assert_eq!(
            weighted_score(&[item("3", 1, 8), item("5", 0, 1)]),
            Ok(dec("4.69"))
        );
        // 100 × (2/3 + 1/2 + 1/3) / 3 = 50 exactly.
        assert_eq!(
            weighted_score(&[item("1", 2, 3), item("1", 1, 2), item("1", 1, 3)]),
            Ok(dec("50.00"))
        );
        // 100 × (1 × 1/3) / 2 = 16.666… → 16.67.
        assert_eq!(
            weighted_score(&[item("1", 1, 3), item("1", 0, 1)]),
            Ok(dec("16.67"))
        );
        // 100 × (3 × 1/3) / 800 = 0.125 exactly → 0.13. Dividing by 3 in decimal first gives
        // 0.1249999… and rounds the wrong way.
        assert_eq!(
            weighted_score(&[item("3", 1, 3), item("797", 0, 1)]),
            Ok(dec("0.13"))
        );
        // 100 × (1 × 1/80) / 2 = 0.625 → 0.63; 100 × (1 × 1/40) / 2 = 1.25.
        assert_eq!(
            weighted_score(&[item("1", 1, 80), item("1", 0, 1)]),
            Ok(dec("0.63"))
        );
        assert_eq!(
            weighted_score(&[item("1", 1, 40), item("1", 0, 1)]),
            Ok(dec("1.25"))
        );
    }

    #[test]
    fn twelve_criteria_with_the_hardest_maxima_still_sum_exactly() {
        // The twelve largest primes up to 100 make the largest common denominator twelve
        // maxima can have; with the heaviest weights the sum must still fit.
        let primes = [97, 89, 83, 79, 73, 71, 67, 61, 59, 53, 47, 43];
        let items: Vec<Scored> = primes
            .iter()
            .map(|p| Scored {
                weight: Weight::parse("1000").expect("valid weight"),
                score: p - 1,
                max_score: *p,
            })
            .collect();
        let score = weighted_score(&items).expect("no overflow");
        assert!(score > dec("97.00") && score < dec("100.00"), "{score}");
        let light: Vec<Scored> = items
            .iter()
            .enumerate()
            .map(|(i, item)| Scored {
                weight: Weight::from_ten_thousandths(9_999_980 + i as i64).expect("valid weight"),
                ..*item
            })
            .collect();
        assert!(weighted_score(&light).is_ok());
    }

    #[test]
    fn scores_outside_their_range_and_empty_sets_are_refused() {
        assert_eq!(weighted_score(&[]), Err(ScoringError::Empty));
        assert_eq!(
            weighted_score(&[item("1", 6, 5)]),
            Err(ScoringError::OutOfRange)
        );
        assert_eq!(
            weighted_score(&[item("1", 0, 0)]),
            Err(ScoringError::OutOfRange)
        );
    }

    #[test]
    fn percentages_are_read_exactly_and_written_with_two_places() {
        let text = |s: &str| Percent::parse(s).map(|p| p.to_string());
        assert_eq!(text("76.67"), Ok("76.67".to_owned()));
        assert_eq!(text("100"), Ok("100.00".to_owned()));
        assert_eq!(text("0.5"), Ok("0.50".to_owned()));
        assert_eq!(Percent::parse("100.01"), Err(PercentError::OutOfRange));
        assert_eq!(Percent::parse("-1"), Err(PercentError::OutOfRange));
        assert_eq!(
            Percent::parse("99999999999999999999999"),
            Err(PercentError::OutOfRange)
        );
        assert_eq!(Percent::parse("76.675"), Err(PercentError::TooManyPlaces));
        for bad in ["", "abc", "1e2", ".5", "1.", "+1", "NaN", " 1"] {
            assert_eq!(
                Percent::parse(bad),
                Err(PercentError::NotANumber),
                "{bad:?}"
            );
        }
        assert_eq!(
            Percent::from_hundredths(10_001),
            Err(PercentError::OutOfRange)
        );
        assert_eq!(
            Percent::mean_of(&[Percent(7667), Percent(8000)]).map(|p| p.hundredths()),
            Ok(7834)
        );
    }

    #[test]
    fn a_score_of_zero_and_of_a_hundred_are_both_scores() {
        let hundredths = |d: Decimal| Percent::from_decimal(d).map(Percent::hundredths);
        assert_eq!(hundredths(Decimal::ZERO), Ok(0));
        assert_eq!(hundredths(Decimal::new(0, 2)), Ok(0));
        assert_eq!(hundredths(Decimal::new(1, 2)), Ok(1));
        assert_eq!(hundredths(Decimal::new(7667, 2)), Ok(7667));
        assert_eq!(hundredths(Decimal::new(9999, 2)), Ok(9999));
        assert_eq!(hundredths(Decimal::ONE_HUNDRED), Ok(10_000));
        assert_eq!(
            hundredths(Decimal::new(-1, 2)),
            Err(PercentError::OutOfRange)
        );
        assert_eq!(
            hundredths(Decimal::new(10_001, 2)),
            Err(PercentError::OutOfRange)
        );
        assert_eq!(
            hundredths(Decimal::new(1, 3)),
            Err(PercentError::TooManyPlaces)
        );
        assert_eq!(
            hundredths(Decimal::new(50_000, 3)),
            Ok(5_000),
            "trailing zeros are no places"
        );
        assert_eq!(
            Percent::parse("0.00").map(|p| p.to_string()),
            Ok("0.00".to_owned())
        );
        assert_eq!(Percent::parse("0").map(|p| p.hundredths()), Ok(0));
        assert_eq!(Percent::parse("100.00").map(|p| p.hundredths()), Ok(10_000));
        assert_eq!(Percent::from_hundredths(0).map(Percent::hundredths), Ok(0));
        assert_eq!(Percent::from_hundredths(-1), Err(PercentError::OutOfRange));
        assert_eq!(
            Percent::from_hundredths(Percent::MAX_HUNDREDTHS).map(|p| p.as_decimal()),
            Ok(Decimal::ONE_HUNDRED)
        );
    }

    #[test]
    fn the_mean_of_assessments_rounds_half_up() {
        assert_eq!(mean(&[dec("76.67"), dec("80.00")]), Ok(dec("78.34")));
        assert_eq!(mean(&[dec("76.67"), dec("80.01")]), Ok(dec("78.34")));
        assert_eq!(
            mean(&[dec("70.00"), dec("70.01"), dec("70.01")]),
            Ok(dec("70.01"))
        );
        assert_eq!(mean(&[dec("100.00")]), Ok(dec("100.00")));
        assert_eq!(mean(&[]), Err(ScoringError::Empty));
    }

    fn scored() -> impl Strategy<Value = Scored> {
        (1i64..=10_000_000, 1u32..=100).prop_flat_map(|(weight, max_score)| {
            (0..=max_score).prop_map(move |score| Scored {
                weight: Weight::from_ten_thousandths(weight).unwrap_or_else(|_| unreachable!()),
                score,
                max_score,
            })
        })
    }

    proptest! {
        #[test]
        fn a_weighted_score_stays_between_0_and_100(items in prop::collection::vec(scored(), 1..12)) {
            let score = weighted_score(&items).map_err(|e| TestCaseError::fail(e.to_string()))?;
            prop_assert!(score >= Decimal::ZERO && score <= Decimal::ONE_HUNDRED, "{score}");
            prop_assert!(score.scale() == 2);
        }

        #[test]
        fn full_marks_give_100_and_none_give_0(items in prop::collection::vec(scored(), 1..12)) {
            let full: Vec<Scored> = items.iter().map(|i| Scored { score: i.max_score, ..*i }).collect();
            let none: Vec<Scored> = items.iter().map(|i| Scored { score: 0, ..*i }).collect();
            prop_assert_eq!(weighted_score(&full), Ok(dec("100.00")));
            prop_assert_eq!(weighted_score(&none), Ok(dec("0.00")));
        }

        #[test]
        fn a_mean_lies_between_its_lowest_and_highest(cents in prop::collection::vec(0i64..=10_000, 1..20)) {
            let scores: Vec<Decimal> = cents.iter().map(|c| Decimal::new(*c, 2)).collect();
            let m = mean(&scores).map_err(|e| TestCaseError::fail(e.to_string()))?;
            let lowest = scores.iter().min().copied().unwrap_or_default();
            let highest = scores.iter().max().copied().unwrap_or_default();
            prop_assert!(m >= lowest && m <= highest, "{m} outside {lowest}..={highest}");
        }
    }
}
