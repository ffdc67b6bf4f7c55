//! The family fund's rules for a claim's lines, as published: what each kind of cost needs, how
//! it is priced, and what a family may claim in a day, a week and a stay. Pure functions of the
//! facts the service gathers, so that every rule is tested here and every failed line is
//! reported at once.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{Datelike, NaiveDate};

use crate::domain::vocabulary::{ClaimLineKind, PreApprovalKind, PreApprovalStatus, VisitorKind};
use crate::domain::{FinancialYear, Money};
use crate::error::{FieldError, Validator};
use crate::family::model::RatesDetails;
use crate::family::stay_model::{CHILD_AGE_MAX, age_on, fund_began};

/// The most lines one claim may have.
pub const LINES_MAX: usize = 200;

/// The most miles one car line may claim: a return journey from Shetland is under 800.
pub const MILES_MAX: i64 = 2_000;

/// One line, checked and priced.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Line {
    pub visitor_id: i64,
    pub spent_on: NaiveDate,
    pub kind: ClaimLineKind,
    pub miles: Option<i32>,
    pub together: bool,
    pub description: String,
    pub amount_pence: i64,
    pub receipt_document_id: Option<i64>,
    pub pre_approval_id: Option<i64>,
}

impl Line {
    pub fn year(&self) -> Option<FinancialYear> {
        FinancialYear::containing(self.spent_on).ok()
    }
}

/// A line as a caller sends it, before it is checked.
#[derive(Clone, Debug, Default)]
pub struct RawLine<'a> {
    pub visitor_id: i64,
    pub spent_on: &'a str,
    pub kind: &'a str,
    pub miles: Option<i64>,
    pub together: bool,
    pub amount: Option<&'a str>,
    pub description: Option<&'a str>,
    pub receipt_document_id: Option<i64>,
    pub pre_approval_id: Option<i64>,
}

/// Checks each line's own fields and prices it at the rates of its day's financial year: car
/// lines by the mile, food at the flat rate, the others at the amount spent. Failures go to `v`
/// as `lines[i].field`.
pub fn price(
    v: &mut Validator,
    raw: &[RawLine<'_>],
    visitors: &HashSet<i64>,
    rates: &BTreeMap<FinancialYear, RatesDetails>,
) -> Option<Vec<Line>> {
    if raw.len() > LINES_MAX {
        v.error("lines", format!("a claim has at most {LINES_MAX} lines"));
        return None;
    }
    let mut lines = Vec::with_capacity(raw.len());
    let mut complete = true;
    for (i, line) in raw.iter().enumerate() {
        let at = |field: &str| format!("lines[{i}].{field}");
        let day = v.date(at("spent_on"), line.spent_on);
        let kind = v.check(at("kind"), line.kind.parse::<ClaimLineKind>());
        if !visitors.contains(&line.visitor_id) {
            v.error(at("visitor_id"), "is not a visitor of this stay");
        }
        let description = match line.description {
            Some(text) if !text.trim().is_empty() => v.text(&at("description"), text, 1, 200),
            _ => Some(String::new()),
        };
        let year_rates = day.and_then(|d| {
            let year = FinancialYear::containing(d).ok()?;
            match rates.get(&year) {
                Some(r) => Some(*r),
                None => {
                    if d >= fund_began() {
                        v.error(
                            at("spent_on"),
                            format!("the fund has no rates for {year} yet"),
                        );
                    }
                    None
                }
            }
        });
        let mut amount = None;
        let mut miles = None;
        if let Some(kind) = kind {
            match kind {
                ClaimLineKind::Car => {
                    match line.miles {
                        Some(m) if (1..=MILES_MAX).contains(&m) => miles = i32::try_from(m).ok(),
                        Some(_) => v.error(
                            at("miles"),
                            format!("enter the miles driven, from 1 to {MILES_MAX}"),
                        ),
                        None => v.error(at("miles"), "enter the miles driven"),
                    }
                    if line.amount.is_some() {
                        v.error(at("amount"), "a car line is paid by the mile: leave it out");
                    }
                    if let (Some(m), Some(r)) = (miles, year_rates) {
                        amount = Some(i64::from(m) * r.mileage_rate.pence());
                    }
                }
                ClaimLineKind::Food => {
                    if line.amount.is_some() {
                        v.error(at("amount"), "food is paid at the flat rate: leave it out");
                    }
                    amount = year_rates.map(|r| r.food_rate.pence());
                }
                _ => match line.amount {
                    Some(text) => {
                        if let Some(m) = v.money(at("amount"), text) {
                            if m.is_zero() {
                                v.error(at("amount"), "must be more than zero");
                            } else {
                                amount = Some(m.pence());
                            }
                        }
                    }
                    None => v.error(at("amount"), "enter the amount spent"),
                },
            }
            if kind != ClaimLineKind::Car {
                if line.miles.is_some() {
                    v.error(at("miles"), "only a car line has miles");
                }
                if line.together {
                    v.error(
                        at("together"),
                        "only a car line is shared by people travelling together",
                    );
                }
            }
        }
        match (day, kind, amount, description) {
            (Some(spent_on), Some(kind), Some(amount_pence), Some(description))
                if amount_pence > 0 =>
            {
                lines.push(Line {
                    visitor_id: line.visitor_id,
                    spent_on,
                    kind,
                    miles,
                    together: line.together && kind == ClaimLineKind::Car,
                    description,
                    amount_pence,
                    receipt_document_id: line.receipt_document_id,
                    pre_approval_id: line.pre_approval_id,
                });
            }
            (Some(_), Some(ClaimLineKind::Car), Some(_), _) => {
                v.error(at("miles"), "comes to nothing at this year's mileage rate");
                complete = false;
            }
            _ => complete = false,
        }
    }
    complete.then_some(lines)
}

/// Someone who visits, as the rules need them.
#[derive(Clone, Copy, Debug)]
pub struct VisitorFacts {
    pub kind: VisitorKind,
    pub date_of_birth: Option<NaiveDate>,
}

/// A journey's request, as the rules need it.
#[derive(Clone, Copy, Debug)]
pub struct PreApprovalFacts {
    pub visitor_id: i64,
    pub kind: PreApprovalKind,
    pub journey_on: NaiveDate,
    pub status: PreApprovalStatus,
}

/// What the rules check a claim's lines against.
#[derive(Clone, Debug)]
pub struct Context {
    pub today: NaiveDate,
    pub admitted_on: NaiveDate,
    pub discharged_on: Option<NaiveDate>,
    pub window_closes_on: Option<NaiveDate>,
    /// The unit gives families free meals, so the food rate is not paid.
    pub provides_meals: bool,
    pub cap_pence: i64,
    /// Approved across the stay's other claims. Claims still waiting for a decision do not
    /// count: the cap binds when they are approved.
    pub approved_pence: i64,
    pub visitors: HashMap<i64, VisitorFacts>,
    pub rates: BTreeMap<FinancialYear, RatesDetails>,
    /// The lines of the stay's other claims that still stand (not rejected, refused or cut).
    pub others: Vec<Line>,
    pub pre_approvals: HashMap<i64, PreApprovalFacts>,
    /// The receipts attached to this claim.
    pub receipts: HashSet<i64>,
}

fn pounds(pence: i64) -> String {
    Money::from_pence(pence.max(0)).map_or_else(|_| pence.to_string(), |m| format!("£{m}"))
}

/// Whether two lines may not both be claimed: two travel lines of one person on one day (or of
/// anyone, when one is a car shared by the family), two food lines of one person on one day, or
/// two nights' rooms on one night.
fn clash(a: &Line, b: &Line) -> Option<&'static str> {
    if a.spent_on != b.spent_on {
        return None;
    }
    let same_person = a.visitor_id == b.visitor_id;
    if a.kind.is_travel() && b.kind.is_travel() && (same_person || a.together || b.together) {
        return Some(
            "a second travel line for this person on this day: one return journey a person a day, or one in all when travelling together",
        );
    }
    if a.kind == ClaimLineKind::Food && b.kind == ClaimLineKind::Food && same_person {
        return Some("a second food line for this person on this day");
    }
    if a.kind == ClaimLineKind::Accommodation && b.kind == ClaimLineKind::Accommodation {
        return Some("a second room for this night: one room a night");
    }
    None
}

/// Every rule a submitted claim must meet, every failure at once: a date before 1 April 2020,
/// before admission, after discharge or in the future; a second travel or food line for the
/// same person and day; a child over 16; a missing receipt or pre-approval; too many flights in
/// a week; food where the unit feeds families; a claim after the window closed; a total past
/// the family's cap.
pub fn check(ctx: &Context, lines: &[Line]) -> Vec<FieldError> {
    let mut v = Validator::new();
    if lines.is_empty() {
        v.error("lines", "add at least one line");
    }
    if let Some(closed) = ctx.window_closes_on
        && ctx.today > closed
    {
        v.error(
                "claim",
                format!(
                    "claims for this stay closed on {}, after the claim window that followed the discharge",
                    closed.format("%-d %B %Y")
                ),
            );
    }
    for (i, line) in lines.iter().enumerate() {
        let at = |field: &str| format!("lines[{i}].{field}");
        let day = line.spent_on;
        if day < fund_began() {
            v.error(
                at("spent_on"),
                "is before 1 April 2020, when the fund began",
            );
        } else if day < ctx.admitted_on {
            v.error(at("spent_on"), "is before the admission");
        } else if ctx.discharged_on.is_some_and(|d| day > d) {
            v.error(at("spent_on"), "is after the discharge");
        } else if day > ctx.today {
            v.error(at("spent_on"), "is in the future");
        }
        match ctx.visitors.get(&line.visitor_id) {
            None => v.error(at("visitor_id"), "is not a visitor of this stay"),
            Some(visitor) => {
                if let (VisitorKind::Child, Some(born)) = (visitor.kind, visitor.date_of_birth)
                    && age_on(born, day) > CHILD_AGE_MAX
                {
                    v.error(at("visitor_id"), "this child was over 16 on this day");
                }
            }
        }
        let earlier = ctx.others.iter().map(|l| (l, true));
        let before = lines[..i].iter().map(|l| (l, false));
        if let Some((problem, elsewhere)) = earlier
            .chain(before)
            .find_map(|(other, elsewhere)| clash(other, line).map(|p| (p, elsewhere)))
        {
            let place = if elsewhere {
                " (already in another claim)"
            } else {
                ""
            };
            v.error(at("spent_on"), format!("{problem}{place}"));
        }
        let needs_receipt = matches!(
            line.kind,
            ClaimLineKind::PublicTransport
                | ClaimLineKind::Taxi
                | ClaimLineKind::Flight
                | ClaimLineKind::Accommodation
        );
        match line.receipt_document_id {
            None if needs_receipt => v.error(at("receipt_document_id"), "attach the receipt"),
            Some(_) if !needs_receipt => v.error(
                at("receipt_document_id"),
                "this kind of cost needs no receipt: leave it out",
            ),
            Some(id) if !ctx.receipts.contains(&id) => v.error(
                at("receipt_document_id"),
                "is not a receipt attached to this claim",
            ),
            _ => {}
        }
        let journey = match line.kind {
            ClaimLineKind::Taxi => Some(PreApprovalKind::Taxi),
            ClaimLineKind::Flight => Some(PreApprovalKind::Flight),
            _ => None,
        };
        match (journey, line.pre_approval_id) {
            (Some(kind), None) => v.error(
                at("pre_approval_id"),
                match kind {
                    PreApprovalKind::Taxi => {
                        "a taxi must be approved by the unit before the journey"
                    }
                    PreApprovalKind::Flight => {
                        "a flight must be approved by the board before the journey"
                    }
                },
            ),
            (Some(kind), Some(id)) => match ctx.pre_approvals.get(&id) {
                None => v.error(at("pre_approval_id"), "is not a request of this stay"),
                Some(p) if p.kind != kind => v.error(
                    at("pre_approval_id"),
                    format!("approves a {}, not this", p.kind),
                ),
                Some(p) if p.visitor_id != line.visitor_id || p.journey_on != day => v.error(
                    at("pre_approval_id"),
                    "approves a journey of another person or day",
                ),
                Some(p) if p.status != PreApprovalStatus::Approved => v.error(
                    at("pre_approval_id"),
                    format!("the request is {}, not approved", p.status),
                ),
                Some(_) => {}
            },
            (None, Some(_)) => v.error(
                at("pre_approval_id"),
                "only a taxi or a flight is approved beforehand: leave it out",
            ),
            (None, None) => {}
        }
        if line.kind == ClaimLineKind::Flight {
            let week = day.iso_week();
            let in_week = |l: &&Line| {
                l.kind == ClaimLineKind::Flight
                    && l.visitor_id == line.visitor_id
                    && l.spent_on.iso_week() == week
            };
            let count = ctx.others.iter().filter(in_week).count()
                + lines[..=i].iter().filter(in_week).count();
            let allowed = line
                .year()
                .and_then(|y| ctx.rates.get(&y))
                .map_or(0, |r| usize::try_from(r.flights_per_week).unwrap_or(0));
            if count > allowed {
                v.error(
                    at("kind"),
                    format!("at most {allowed} return flights a person a week"),
                );
            }
        }
        if line.kind == ClaimLineKind::Food && ctx.provides_meals {
            v.error(
                at("kind"),
                "this unit gives visiting families free meals, so food is not paid",
            );
        }
    }
    let total: i64 = lines.iter().map(|l| l.amount_pence).sum();
    let taken = ctx.approved_pence;
    if taken + total > ctx.cap_pence {
        v.error(
            "total",
            format!(
                "{} would take what the family is paid for this stay to {}, past the cap of {}: {} is left",
                pounds(total),
                pounds(taken + total),
                pounds(ctx.cap_pence),
                pounds(ctx.cap_pence - taken),
            ),
        );
    }
    v.into_errors()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;

    fn day(text: &str) -> NaiveDate {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
    }

    fn rates() -> BTreeMap<FinancialYear, RatesDetails> {
        let mut map = BTreeMap::new();
        for (year, mileage) in [("2023-24", "0.15"), ("2024-25", "0.14")] {
            map.insert(
                FinancialYear::parse(year).unwrap(),
                RatesDetails {
                    mileage_rate: Money::parse(mileage).unwrap(),
                    food_rate: Money::parse("8.50").unwrap(),
                    family_cap: Money::parse("500.00").unwrap(),
                    claim_window_months: 3,
                    flights_per_week: 2,
                },
            );
        }
        map
    }

    fn context() -> Context {
        let mut visitors = HashMap::new();
        visitors.insert(
            1,
            VisitorFacts {
                kind: VisitorKind::Claimant,
                date_of_birth: None,
            },
        );
        visitors.insert(
            2,
            VisitorFacts {
                kind: VisitorKind::Child,
                date_of_birth: Some(day("2007-05-10")),
            },
        );
        let mut pre_approvals = HashMap::new();
        pre_approvals.insert(
            10,
            PreApprovalFacts {
                visitor_id: 1,
                kind: PreApprovalKind::Flight,
                journey_on: day("2024-05-06"),
                status: PreApprovalStatus::Approved,
            },
        );
        pre_approvals.insert(
            11,
            PreApprovalFacts {
                visitor_id: 1,
                kind: PreApprovalKind::Taxi,
                journey_on: day("2024-05-07"),
                status: PreApprovalStatus::Refused,
            },
        );
        Context {
            today: day("2024-06-01"),
            admitted_on: day("2024-03-20"),
            discharged_on: Some(day("2024-05-20")),
            window_closes_on: Some(day("2024-08-20")),
            provides_meals: false,
            cap_pence: 50_000,
            approved_pence: 0,
            visitors,
            rates: rates(),
            others: Vec::new(),
            pre_approvals,
            receipts: [100].into_iter().collect(),
        }
    }

    fn line(visitor_id: i64, spent_on: &str, kind: ClaimLineKind, pence: i64) -> Line {
        Line {
            visitor_id,
            spent_on: day(spent_on),
            kind,
            miles: (kind == ClaimLineKind::Car).then_some(10),
            together: false,
            description: String::new(),
            amount_pence: pence,
            receipt_document_id: None,
            pre_approval_id: None,
        }
    }

    fn fields(errors: &[FieldError]) -> Vec<&str> {
        errors.iter().map(|e| e.field.as_str()).collect()
    }

    #[test]
    fn car_is_priced_at_its_years_rate_and_food_at_the_flat_rate() {
        let visitors: HashSet<i64> = [1, 2].into_iter().collect();
        let raw = [
            RawLine {
                visitor_id: 1,
                spent_on: "2024-03-30",
                kind: "car",
                miles: Some(120),
                ..RawLine::default()
            },
            RawLine {
                visitor_id: 1,
                spent_on: "2024-04-02",
                kind: "car",
                miles: Some(120),
                ..RawLine::default()
            },
            RawLine {
                visitor_id: 2,
                spent_on: "2024-04-02",
                kind: "food",
                ..RawLine::default()
            },
            RawLine {
                visitor_id: 1,
                spent_on: "2024-04-03",
                kind: "public_transport",
                amount: Some("23.40"),
                ..RawLine::default()
            },
        ];
        let mut v = Validator::new();
        let lines = price(&mut v, &raw, &visitors, &rates()).expect("priced");
        v.finish().expect("no errors");
        let amounts: Vec<i64> = lines.iter().map(|l| l.amount_pence).collect();
        assert_eq!(amounts, [1_800, 1_680, 850, 2_340]);
    }

    #[test]
    fn pricing_reports_every_field_at_once() {
        let visitors: HashSet<i64> = [1].into_iter().collect();
        let raw = [
            RawLine {
                visitor_id: 9,
                spent_on: "2024-02-30",
                kind: "car_hire",
                ..RawLine::default()
            },
            RawLine {
                visitor_id: 1,
                spent_on: "2024-04-03",
                kind: "car",
                amount: Some("12.00"),
                ..RawLine::default()
            },
            RawLine {
                visitor_id: 1,
                spent_on: "2019-04-03",
                kind: "taxi",
                ..RawLine::default()
            },
        ];
        let mut v = Validator::new();
        assert!(price(&mut v, &raw, &visitors, &rates()).is_none());
        let Err(crate::error::ApiError::Validation(errors)) = v.finish() else {
            panic!("expected validation errors");
        };
        assert_eq!(
            fields(&errors),
            [
                "lines[0].spent_on",
                "lines[0].kind",
                "lines[0].visitor_id",
                "lines[1].miles",
                "lines[1].amount",
                "lines[2].amount",
            ]
        );
    }

    #[test]
    fn a_clean_claim_passes() {
        let mut flight = line(1, "2024-05-06", ClaimLineKind::Flight, 12_000);
        flight.receipt_document_id = Some(100);
        flight.pre_approval_id = Some(10);
        let lines = [
            flight,
            line(1, "2024-05-06", ClaimLineKind::Food, 850),
            line(2, "2024-05-06", ClaimLineKind::Food, 850),
            line(1, "2024-05-07", ClaimLineKind::Car, 1_500),
            line(2, "2024-05-07", ClaimLineKind::Car, 1_500),
        ];
        assert_eq!(check(&context(), &lines), Vec::new());
    }

    #[test]
    fn every_failed_line_is_reported_at_once() {
        let mut ctx = context();
        ctx.today = day("2024-09-01");
        let mut together = line(1, "2024-05-08", ClaimLineKind::Car, 1_500);
        together.together = true;
        let mut taxi = line(1, "2024-05-07", ClaimLineKind::Taxi, 3_000);
        taxi.pre_approval_id = Some(11);
        let lines = [
            line(1, "2020-03-31", ClaimLineKind::Food, 850),
            line(1, "2024-03-19", ClaimLineKind::Food, 850),
            line(1, "2024-05-21", ClaimLineKind::Food, 850),
            line(1, "2024-05-01", ClaimLineKind::Food, 850),
            line(1, "2024-05-01", ClaimLineKind::Food, 850),
            line(2, "2024-05-12", ClaimLineKind::Food, 850),
            line(1, "2024-05-02", ClaimLineKind::PublicTransport, 900),
            taxi,
            together,
            line(2, "2024-05-08", ClaimLineKind::PublicTransport, 900),
        ];
        let errors = check(&ctx, &lines);
        assert_eq!(
            fields(&errors),
            [
                "claim",
                "lines[0].spent_on",
                "lines[1].spent_on",
                "lines[2].spent_on",
                "lines[4].spent_on",
                "lines[5].visitor_id",
                "lines[6].receipt_document_id",
                "lines[7].receipt_document_id",
                "lines[7].pre_approval_id",
                "lines[9].spent_on",
                "lines[9].receipt_document_id",
            ],
            "{errors:?}"
        );
    }

    #[test]
    fn lines_of_other_claims_count_for_the_day_and_the_week() {
        let mut ctx = context();
        let mut earlier = Vec::new();
        for d in ["2024-05-07", "2024-05-08"] {
            let mut f = line(1, d, ClaimLineKind::Flight, 10_000);
            f.pre_approval_id = Some(10);
            earlier.push(f);
        }
        earlier.push(line(2, "2024-05-09", ClaimLineKind::Food, 850));
        ctx.others = earlier;
        let mut flight = line(1, "2024-05-06", ClaimLineKind::Flight, 12_000);
        flight.receipt_document_id = Some(100);
        flight.pre_approval_id = Some(10);
        let lines = [flight, line(2, "2024-05-09", ClaimLineKind::Food, 850)];
        let errors = check(&ctx, &lines);
        assert_eq!(fields(&errors), ["lines[0].kind", "lines[1].spent_on"]);
        assert!(errors[1].message.contains("another claim"));
    }

    #[test]
    fn the_cap_counts_what_is_approved() {
        let mut ctx = context();
        ctx.approved_pence = 49_000;
        let lines = [line(1, "2024-05-06", ClaimLineKind::Car, 1_500)];
        let errors = check(&ctx, &lines);
        assert_eq!(fields(&errors), ["total"]);
        assert!(errors[0].message.contains("£10.00 is left"), "{errors:?}");
        ctx.approved_pence = 48_500;
        assert_eq!(check(&ctx, &lines), Vec::new());
    }

    #[test]
    fn food_is_refused_where_the_unit_feeds_families() {
        let mut ctx = context();
        ctx.provides_meals = true;
        let errors = check(&ctx, &[line(1, "2024-05-06", ClaimLineKind::Food, 850)]);
        assert_eq!(fields(&errors), ["lines[0].kind"]);
    }
}
