//! The monitoring returns an award owes, worked out from its years and its round's frequency.
//!
//! Each financial year of the award (1 April to 31 March) is cut into periods of three, six or
//! twelve months; a periodic return is due [`DAYS_TO_REPORT`] days after its period ends. A
//! final return covers the whole award and is due [`DAYS_TO_REPORT_FINAL`] days after its last
//! day.
//!
//! An award is often accepted after its first year has begun. Periods of a year that ended
//! before the acceptance are folded into that year's first period still running, so the grant
//! holder reports on them once, and no return falls due sooner than [`DAYS_TO_REPORT`] days after
//! the acceptance (a year that ended entirely before it becomes one period, due then). Reminders go [`REMIND_BEFORE_DAYS`] days before a due date, on it, and
//! [`REMIND_OVERDUE_DAYS`] days after while the return is still not submitted.

use chrono::{Duration, Months, NaiveDate};

use crate::domain::FinancialYear;
use crate::domain::vocabulary::{ReturnFrequency, UnknownValue};

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

/// The returns of an award funding `years` (in any order) and accepted on `accepted_on`, in date
/// order, the final one last. No years, no returns.
pub fn schedule(
    frequency: ReturnFrequency,
    years: &[FinancialYear],
    accepted_on: NaiveDate,
) -> Vec<Period> {
    let mut years = years.to_vec();
    years.sort();
    years.dedup();
    let step = months(frequency);
    let earliest_due = accepted_on + Duration::days(DAYS_TO_REPORT);
    let mut periods = Vec::new();
    for year in &years {
        let mut start = year.first_day();
        // The start of the periods of this year that ended before the acceptance, carried into
        // the next period.
        let mut folded_from: Option<NaiveDate> = None;
        while start <= year.last_day() {
            let next = start
                .checked_add_months(Months::new(step))
                .unwrap_or(year.last_day() + Duration::days(1));
            let end = next - Duration::days(1);
            let from = folded_from.unwrap_or(start);
            if end < accepted_on && end < year.last_day() {
                folded_from = Some(from);
            } else {
                periods.push(Period {
                    financial_year: Some(*year),
                    start: from,
                    end,
                    due: (end + Duration::days(DAYS_TO_REPORT)).max(earliest_due),
                });
                folded_from = None;
            }
            start = next;
        }
    }
    if let (Some(first), Some(last)) = (years.first(), years.last()) {
        periods.push(Period {
            financial_year: None,
            start: first.first_day(),
            end: last.last_day(),
            due: (last.last_day() + Duration::days(DAYS_TO_REPORT_FINAL)).max(earliest_due),
        });
    }
    periods
}

/// A reminder about a return that has not been submitted.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, diesel::AsExpression, diesel::FromSqlRow)]
#[diesel(sql_type = diesel::sql_types::Text)]
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

    /// Every reminder, in the order they are sent.
    pub const ALL: [Reminder; 3] = [Reminder::Upcoming, Reminder::DueToday, Reminder::Overdue];

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

impl std::str::FromStr for Reminder {
    type Err = UnknownValue;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Reminder::ALL
            .into_iter()
            .find(|r| r.as_str() == text)
            .ok_or(UnknownValue {
                expected: &["upcoming", "due", "overdue"],
            })
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
            day("2021-03-01"),
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
        let six = schedule(
            ReturnFrequency::SixMonthly,
            &[year("2021-22")],
            day("2021-03-01"),
        );
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
        let annual = schedule(
            ReturnFrequency::Annual,
            &[year("2021-22"), year("2022-23")],
            day("2021-03-01"),
        );
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
        assert!(schedule(ReturnFrequency::Annual, &[], day("2021-03-01")).is_empty());
    }

    #[test]
    fn periods_cover_each_year_without_gaps_or_overlaps_whenever_the_award_is_accepted() {
        let years = [year("2020-21"), year("2021-22"), year("2022-23")];
        let mut accepted = day("2020-01-15");
        while accepted <= day("2023-06-30") {
            for frequency in ReturnFrequency::ALL {
                let periods = schedule(*frequency, &years, accepted);
                let periodic: Vec<&Period> = periods.iter().filter(|p| !p.is_final()).collect();
                assert_eq!(periodic[0].start, day("2020-04-01"));
                assert_eq!(periodic[periodic.len() - 1].end, day("2023-03-31"));
                for pair in periodic.windows(2) {
                    assert_eq!(
                        pair[0].end + Duration::days(1),
                        pair[1].start,
                        "{frequency:?} accepted {accepted}"
                    );
                }
                for period in &periods {
                    assert!(
                        period.due >= accepted + Duration::days(DAYS_TO_REPORT),
                        "{frequency:?} accepted {accepted}: {period:?}"
                    );
                    assert!(
                        period.is_final()
                            || period.end >= accepted
                            || period.end
                                == period.financial_year.map_or(period.end, |y| y.last_day()),
                        "{frequency:?} accepted {accepted}: {period:?} ended before acceptance"
                    );
                }
            }
            accepted += Duration::days(9);
        }
    }

    #[test]
    fn periods_that_ended_before_a_late_acceptance_fold_into_the_first_still_running() {
        // Accepted on 1 December 2026, a year begun in April: the April–June and July–September
        // quarters are reported with October–December.
        let periods = schedule(
            ReturnFrequency::Quarterly,
            &[year("2026-27"), year("2027-28")],
            day("2026-12-01"),
        );
        assert_eq!(
            dates(&periods[..3]),
            [
                (
                    "2026-04-01".into(),
                    "2026-12-31".into(),
                    "2027-01-30".into()
                ),
                (
                    "2027-01-01".into(),
                    "2027-03-31".into(),
                    "2027-04-30".into()
                ),
                (
                    "2027-04-01".into(),
                    "2027-06-30".into(),
                    "2027-07-30".into()
                ),
            ]
        );
        assert_eq!(
            periods.len(),
            7,
            "two quarters of the first year folded away"
        );

        // A period that ends on the day of acceptance is still running: it is due 30 days on.
        let on_the_last_day = schedule(
            ReturnFrequency::SixMonthly,
            &[year("2026-27")],
            day("2026-09-30"),
        );
        assert_eq!(
            dates(&on_the_last_day[..1]),
            [(
                "2026-04-01".into(),
                "2026-09-30".into(),
                "2026-10-30".into()
            )]
        );
    }

    #[test]
    fn a_year_that_ended_before_acceptance_is_one_return_due_thirty_days_after_it() {
        // Accepted on 10 May 2027 for 2026-27 and 2027-28: 2026-27 is over, and its return
        // cannot be due on 30 April, before the grant holder even knew of it.
        let periods = schedule(
            ReturnFrequency::Quarterly,
            &[year("2027-28"), year("2026-27")],
            day("2027-05-10"),
        );
        assert_eq!(
            dates(&periods[..2]),
            [
                (
                    "2026-04-01".into(),
                    "2027-03-31".into(),
                    "2027-06-09".into()
                ),
                (
                    "2027-04-01".into(),
                    "2027-06-30".into(),
                    "2027-07-30".into()
                ),
            ]
        );
        assert_eq!(periods[0].financial_year, Some(year("2026-27")));
        assert_eq!(periods[1].financial_year, Some(year("2027-28")));

        // An award accepted after all its years: every return, the final one too, is due 30
        // days after the acceptance at the soonest.
        let late = schedule(
            ReturnFrequency::Annual,
            &[year("2026-27")],
            day("2027-09-01"),
        );
        assert_eq!(
            dates(&late),
            [
                (
                    "2026-04-01".into(),
                    "2027-03-31".into(),
                    "2027-10-01".into()
                ),
                (
                    "2026-04-01".into(),
                    "2027-03-31".into(),
                    "2027-10-01".into()
                ),
            ]
        );
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
        for reminder in Reminder::ALL {
            assert_eq!(reminder.as_str().parse::<Reminder>(), Ok(reminder));
        }
        assert!("due_today".parse::<Reminder>().is_err());
    }
}
