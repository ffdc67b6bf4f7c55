//! UK financial years: 1 April to 31 March, written `2021-22`.

use std::fmt;
use std::str::FromStr;

use chrono::{Datelike, NaiveDate};

/// A UK financial year, from 1 April of its first calendar year to 31 March of the next.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FinancialYear {
    start_year: i32,
}

/// Why a text is not a financial year.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum FinancialYearError {
    #[error("must be a financial year written like \"2021-22\"")]
    Malformed,
    #[error("must be two consecutive years, like \"2021-22\"")]
    NotConsecutive,
    #[error("must be between 2000-01 and 2098-99")]
    OutOfRange,
}

impl FinancialYear {
    /// The first and last years the service accepts.
    const FIRST: i32 = 2000;
    const LAST: i32 = 2098;

    /// Reads `YYYY-YY`, where the second part is the year after the first.
    pub fn parse(text: &str) -> Result<Self, FinancialYearError> {
        let bytes = text.as_bytes();
        let shape_ok = bytes.len() == 7
            && bytes[4] == b'-'
            && bytes[..4].iter().all(u8::is_ascii_digit)
            && bytes[5..].iter().all(u8::is_ascii_digit);
        if !shape_ok {
            return Err(FinancialYearError::Malformed);
        }
        let start: i32 = text[..4]
            .parse()
            .map_err(|_| FinancialYearError::Malformed)?;
        let end: i32 = text[5..]
            .parse()
            .map_err(|_| FinancialYearError::Malformed)?;
        if (start + 1) % 100 != end {
            return Err(FinancialYearError::NotConsecutive);
        }
        Self::starting(start)
    }

    /// The financial year that begins on 1 April of `start_year`.
    pub fn starting(start_year: i32) -> Result<Self, FinancialYearError> {
        if (Self::FIRST..=Self::LAST).contains(&start_year) {
            Ok(FinancialYear { start_year })
        } else {
            Err(FinancialYearError::OutOfRange)
        }
    }

    /// The financial year a date falls in.
    pub fn containing(date: NaiveDate) -> Result<Self, FinancialYearError> {
        let start = if date.month() >= 4 {
            date.year()
        } else {
            date.year() - 1
        };
        Self::starting(start)
    }

    /// The calendar year in which it begins (`2021` for `2021-22`).
    pub fn start_year(self) -> i32 {
        self.start_year
    }

    /// 1 April of its first year.
    pub fn first_day(self) -> NaiveDate {
        NaiveDate::from_ymd_opt(self.start_year, 4, 1).unwrap_or(NaiveDate::MIN)
    }

    /// 31 March of its second year.
    pub fn last_day(self) -> NaiveDate {
        NaiveDate::from_ymd_opt(self.start_year + 1, 3, 31).unwrap_or(NaiveDate::MAX)
    }

    /// Whether any day of the year falls within `start..=end`.
    pub fn overlaps(self, start: NaiveDate, end: NaiveDate) -> bool {
        self.first_day() <= end && start <= self.last_day()
    }

    /// Every financial year with a day in `start..=end`, in order.
    pub fn spanning(start: NaiveDate, end: NaiveDate) -> Vec<FinancialYear> {
        match (Self::containing(start), Self::containing(end)) {
            (Ok(first), Ok(last)) => (first.start_year..=last.start_year)
                .filter_map(|y| Self::starting(y).ok())
                .collect(),
            _ => Vec::new(),
        }
    }
}

impl fmt::Display for FinancialYear {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{:02}", self.start_year, (self.start_year + 1) % 100)
    }
}

impl FromStr for FinancialYear {
    type Err = FinancialYearError;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Self::parse(text)
    }
}

crate::domain::text_value!(
    FinancialYear,
    pattern = r"^20[0-9]{2}-[0-9]{2}$",
    example = "2021-22",
    description = "A UK financial year, 1 April to 31 March, written with its first calendar year \
                 and the last two digits of the next."
);

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).expect("valid date")
    }

    #[test]
    fn reads_and_writes_the_usual_form() {
        let year = FinancialYear::parse("2021-22").expect("valid");
        assert_eq!(year.start_year(), 2021);
        assert_eq!(year.to_string(), "2021-22");
        assert_eq!(year.first_day(), date(2021, 4, 1));
        assert_eq!(year.last_day(), date(2022, 3, 31));
        assert_eq!(
            FinancialYear::parse("2099-00"),
            Err(FinancialYearError::OutOfRange)
        );
        assert_eq!(
            FinancialYear::parse("2009-10").map(|y| y.to_string()),
            Ok("2009-10".to_owned())
        );
    }

    #[test]
    fn refuses_malformed_and_non_consecutive_years() {
        assert_eq!(
            FinancialYear::parse("2021-23"),
            Err(FinancialYearError::NotConsecutive)
        );
        for bad in [
            "21-22",
            "2021-2022",
            "2021/22",
            "",
            "2021-2",
            " 2021-22",
            "２０２１-22",
            "abcd-ef",
        ] {
            assert_eq!(
                FinancialYear::parse(bad),
                Err(FinancialYearError::Malformed),
                "{bad:?}"
            );
        }
        assert_eq!(
            FinancialYear::parse("1999-00"),
            Err(FinancialYearError::OutOfRange)
        );
    }

    #[test]
    fn a_date_belongs_to_the_year_that_began_on_the_last_first_of_april() {
        let year = |d| FinancialYear::containing(d).map(|y| y.to_string());
        assert_eq!(year(date(2021, 3, 31)), Ok("2020-21".to_owned()));
        assert_eq!(year(date(2021, 4, 1)), Ok("2021-22".to_owned()));
        assert_eq!(year(date(2020, 8, 1)), Ok("2020-21".to_owned()));
    }

    #[test]
    fn the_model_programme_spans_three_years() {
        let years: Vec<String> = FinancialYear::spanning(date(2020, 8, 1), date(2023, 3, 31))
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(years, ["2020-21", "2021-22", "2022-23"]);
        let outside = FinancialYear::parse("2023-24").expect("valid");
        assert!(!outside.overlaps(date(2020, 8, 1), date(2023, 3, 31)));
    }

    #[test]
    fn a_year_overlaps_a_range_that_touches_its_first_or_last_day() {
        let year = FinancialYear::parse("2021-22").expect("valid");
        // Ending on its first day, or starting on its last, is enough.
        assert!(year.overlaps(date(2020, 1, 1), date(2021, 4, 1)));
        assert!(year.overlaps(date(2022, 3, 31), date(2023, 1, 1)));
        assert!(year.overlaps(date(2021, 4, 1), date(2021, 4, 1)));
        assert!(year.overlaps(date(2022, 3, 31), date(2022, 3, 31)));
        assert!(year.overlaps(date(2021, 9, 1), date(2021, 9, 30)), "inside");
        assert!(year.overlaps(date(2020, 1, 1), date(2030, 1, 1)), "around");
        // A day short on either side is not.
        assert!(!year.overlaps(date(2020, 1, 1), date(2021, 3, 31)));
        assert!(!year.overlaps(date(2022, 4, 1), date(2023, 1, 1)));
    }

    proptest! {
        #[test]
        fn text_round_trips(start in 2000i32..=2098) {
            let year = FinancialYear::starting(start).map_err(|e| TestCaseError::fail(e.to_string()))?;
            prop_assert_eq!(FinancialYear::parse(&year.to_string()), Ok(year));
            prop_assert_eq!(FinancialYear::containing(year.first_day()), Ok(year));
            prop_assert_eq!(FinancialYear::containing(year.last_day()), Ok(year));
        }

        #[test]
        fn arbitrary_text_never_panics(text in ".{0,12}") {
            let _ = FinancialYear::parse(&text);
        }
    }
}
