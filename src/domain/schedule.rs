//! The monitoring returns an award owes, worked out from its years and its round's frequency.
//!
//! Each financial year of the award (1 April to 31 March) is cut into periods of three, six or
//! twelve months; a periodic return is due [`DAYS_TO_REPORT`] days after its period ends. A
//! final return covers the whole award and is due [`DAYS_TO_REPORT_FINAL`] days after its last
//! day. Reminders go [`REMIND_BEFORE_DAYS`] days before a due date, on it, and
//! [`REMIND_OVERDUE_DAYS`] days after while the return is still not submitted.

use chrono::{Duration, Months, NaiveDate};

use crate::domain::FinancialYear;
use crate::domain::vocabulary::ReturnFrequency;

/// Days after a period ends that its return is due.
pub const DAYS_TO_REPORT: i64 = 30;
/// Days after the award's last day that the final return is due.
pub const DAYS_TO_REPORT_FINAL: i64 = 60;
/// The first reminder: this many days before the due date.
pub const REMIND_BEFORE_DAYS: i64 = 14;
/// The last reminder: this many days after the due date, while not submitted.
pub const REMIND_OVERDUE_DAYS: i64 = 7;

/// One return the award owes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Period {
    /// The year the period falls in; `None` for the final return.
    pub financial_year: Option<FinancialYear>,
    pub start: NaiveDate,
    pub end: NaiveDate,
    pub due: NaiveDate,
}

impl Period {
    pub fn is_final(&self) -> bool {
        self.financial_year.is_none()
    }
}

fn months(frequency: ReturnFrequency) -> u32 {
    match frequency {
        ReturnFrequency::Quarterly => 3,
        ReturnFrequency::SixMonthly => 6,
        ReturnFrequency::Annual => 12,
    }
}

/// The returns of an award funding `years` (in any order), in date order, the final one last.
/// No years, no returns.
pub fn schedule(frequency: ReturnFrequency, years: &[FinancialYear]) -> Vec<Period> {
    let mut years = years.to_vec();
    years.sort();
    years.dedup();
    let step = months(frequency);
    let mut periods = Vec::new();
    for year in &years {
        let mut start = year.first_day();
        while start <= year.last_day() {
            let next = start
                .checked_add_months(Months::new(step))
                .unwrap_or(year.last_day() + Duration::days(1));
            let end = next - Duration::days(1);
            periods.push(Period {
                financial_year: Some(*year),
                start,
                end,
                due: end + Duration::days(DAYS_TO_REPORT),
            });
            start = next;
        }
    }
    if let (Some(first), Some(last)) = (years.first(), years.last()) {
        periods.push(Period {
            financial_year: None,
            start: first.first_day(),
            end: last.last_day(),
            due: last.last_day() + Duration::days(DAYS_TO_REPORT_FINAL),
        });
    }
    periods
}

/// A reminder about a return that has not been submitted.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Reminder {
    /// From 14 days before the due date until the day before.
    Upcoming,
    /// From the due date until six days after it.
    DueToday,
    /// From seven days after the due date, while still not submitted.
    Overdue,
}

impl Reminder {
    pub fn as_str(self) -> &'static str {
        match self {
            Reminder::Upcoming => "upcoming",
            Reminder::DueToday => "due",
            Reminder::Overdue => "overdue",
        }
    }

    /// The reminder whose window `today` falls in for a return due on `due`, if any. A step
    /// whose window passed while nothing ran is not sent late: "due in 14 days" is no use to
    /// someone already a week overdue.
    pub fn for_day(due: NaiveDate, today: NaiveDate) -> Option<Reminder> {
        let days_left = (due - today).num_days();
        if days_left > REMIND_BEFORE_DAYS {
            None
        } else if days_left > 0 {
            Some(Reminder::Upcoming)
        } else if days_left > -REMIND_OVERDUE_DAYS {
            Some(Reminder::DueToday)
        } else {
            Some(Reminder::Overdue)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn year(text: &str) -> FinancialYear {
        FinancialYear::parse(text).expect("valid year")
    }

    fn day(text: &str) -> NaiveDate {
        text.parse().expect("valid date")
    }

    fn dates(periods: &[Period]) -> Vec<(String, String, String)> {
        periods
            .iter()
            .map(|p| (p.start.to_string(), p.end.to_string(), p.due.to_string()))
            .collect()
    }

    #[test]
    fn quarterly_returns_over_two_years_and_a_final_one() {
        let periods = schedule(
            ReturnFrequency::Quarterly,
            &[year("2022-23"), year("2021-22")],
        );
        assert_eq!(periods.len(), 9);
        assert_eq!(
            dates(&periods[..4]),
            [
                (
                    "2021-04-01".into(),
                    "2021-06-30".into(),
                    "2021-07-30".into()
                ),
                (
                    "2021-07-01".into(),
                    "2021-09-30".into(),
                    "2021-10-30".into()
                ),
                (
                    "2021-10-01".into(),
                    "2021-12-31".into(),
                    "2022-01-30".into()
                ),
                (
                    "2022-01-01".into(),
                    "2022-03-31".into(),
                    "2022-04-30".into()
                ),
            ]
        );
        assert_eq!(periods[4].financial_year, Some(year("2022-23")));
        assert_eq!(periods[7].end, day("2023-03-31"));
        let last = periods[8];
        assert!(last.is_final());
        assert_eq!(
            (last.start, last.end, last.due),
            (day("2021-04-01"), day("2023-03-31"), day("2023-05-30"))
        );
    }

    #[test]
    fn six_monthly_and_annual_returns() {
        let six = schedule(ReturnFrequency::SixMonthly, &[year("2021-22")]);
        assert_eq!(
            dates(&six),
            [
                (
                    "2021-04-01".into(),
                    "2021-09-30".into(),
                    "2021-10-30".into()
                ),
                (
                    "2021-10-01".into(),
                    "2022-03-31".into(),
                    "2022-04-30".into()
                ),
                (
                    "2021-04-01".into(),
                    "2022-03-31".into(),
                    "2022-05-30".into()
                ),
            ]
        );
        let annual = schedule(ReturnFrequency::Annual, &[year("2021-22"), year("2022-23")]);
        assert_eq!(
            dates(&annual),
            [
                (
                    "2021-04-01".into(),
                    "2022-03-31".into(),
                    "2022-04-30".into()
                ),
                (
                    "2022-04-01".into(),
                    "2023-03-31".into(),
                    "2023-04-30".into()
                ),
                (
                    "2021-04-01".into(),
                    "2023-03-31".into(),
                    "2023-05-30".into()
                ),
            ]
        );
        assert!(schedule(ReturnFrequency::Annual, &[]).is_empty());
    }

    #[test]
    fn periods_cover_each_year_without_gaps_or_overlaps() {
        for frequency in ReturnFrequency::ALL {
            let years = [year("2020-21"), year("2021-22"), year("2022-23")];
            let periods = schedule(*frequency, &years);
            let periodic: Vec<&Period> = periods.iter().filter(|p| !p.is_final()).collect();
            assert_eq!(periodic[0].start, day("2020-04-01"));
            assert_eq!(periodic[periodic.len() - 1].end, day("2023-03-31"));
            for pair in periodic.windows(2) {
                assert_eq!(
                    pair[0].end + Duration::days(1),
                    pair[1].start,
                    "{frequency:?}"
                );
            }
        }
    }

    #[test]
    fn each_reminder_has_its_window() {
        let due = day("2021-07-30");
        assert_eq!(Reminder::for_day(due, day("2021-07-15")), None);
        assert_eq!(
            Reminder::for_day(due, day("2021-07-16")),
            Some(Reminder::Upcoming)
        );
        assert_eq!(
            Reminder::for_day(due, day("2021-07-29")),
            Some(Reminder::Upcoming)
        );
        assert_eq!(
            Reminder::for_day(due, day("2021-07-30")),
            Some(Reminder::DueToday)
        );
        assert_eq!(
            Reminder::for_day(due, day("2021-08-05")),
            Some(Reminder::DueToday)
        );
        assert_eq!(
            Reminder::for_day(due, day("2021-08-06")),
            Some(Reminder::Overdue)
        );
        assert_eq!(
            Reminder::for_day(due, day("2026-11-24")),
            Some(Reminder::Overdue)
        );
    }

    #[test]
    fn reminders_are_named_as_they_are_stored() {
        assert_eq!(Reminder::Upcoming.as_str(), "upcoming");
        assert_eq!(Reminder::DueToday.as_str(), "due");
        assert_eq!(Reminder::Overdue.as_str(), "overdue");
    }
}
