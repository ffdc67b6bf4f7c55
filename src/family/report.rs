//! What a family-expenses fund has paid, for officials and administrators: by unit, by the board
//! of the unit, by the family's home board, by kind of expense and by financial year, with the
//! median days from a claim's submission to its payment. Never a name: every group of fewer than
//! five families is suppressed as feedback's groups are, together with whatever would let its
//! figures be worked out from the total.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::caller::CurrentUser;
use crate::db::DbConnection;
use crate::db::schema::{claim_lines, claim_payments, claims, payment_lines, stays, units};
use crate::domain::suppression::{THRESHOLD, suppressed, total_suppressed};
use crate::domain::vocabulary::{
    ClaimLineKind, ClaimStatus, FundKind, HealthBoard, PaymentLineStatus,
};
use crate::domain::{FinancialYear, Money};
use crate::error::ApiError;
use crate::funds::model::FundRow;
use crate::permissions::Action;
use crate::wire::csv_text;

/// One group's figures, or none when it is suppressed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct PaidGroup {
    /// What the group is: a unit's id, a board's or an expense kind's code, a financial year.
    pub key: String,
    /// The group in words.
    pub label: String,
    /// True when the figures are withheld: fewer than five families, or enough to work out a
    /// small group from the total.
    pub suppressed: bool,
    /// Families paid in the group.
    pub families: Option<u64>,
    /// Claims paid in the group (for an expense kind or a year, the claims with such lines).
    pub claims: Option<u64>,
    pub paid: Option<Money>,
}

/// A family-expenses fund's payments.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct FamilyReport {
    pub fund_id: i64,
    /// Groups of fewer families than this are suppressed.
    pub threshold: u64,
    /// Every figure below is withheld when fewer families than the threshold have been paid.
    pub suppressed: bool,
    pub families: Option<u64>,
    pub claims: Option<u64>,
    pub paid: Option<Money>,
    /// The median whole days from a claim's submission to the day the bank paid it.
    pub median_days_to_payment: Option<i64>,
    pub by_unit: Vec<PaidGroup>,
    pub by_unit_board: Vec<PaidGroup>,
    pub by_home_board: Vec<PaidGroup>,
    pub by_expense: Vec<PaidGroup>,
    pub by_year: Vec<PaidGroup>,
}

/// One paid line, as the report counts it.
#[derive(Clone, Debug)]
pub struct PaidLine {
    pub stay: i64,
    pub claim: i64,
    pub unit: (i64, String),
    pub unit_board: HealthBoard,
    pub home_board: HealthBoard,
    pub kind: ClaimLineKind,
    pub spent_on: NaiveDate,
    pub pence: i64,
}

#[derive(Default)]
struct Tally {
    label: String,
    families: BTreeSet<i64>,
    claims: BTreeSet<i64>,
    pence: i64,
}

fn money(pence: i64) -> Option<Money> {
    Money::from_pence(pence).ok()
}

/// Groups `lines` by `key`, in the order of the keys given (every key listed, zeros included),
/// then suppresses the groups that would tell of fewer than five families.
fn grouped(
    lines: &[PaidLine],
    keys: &[(String, String)],
    key_of: impl Fn(&PaidLine) -> String,
) -> Vec<PaidGroup> {
    let mut tallies: BTreeMap<String, Tally> = BTreeMap::new();
    for (key, label) in keys {
        tallies.entry(key.clone()).or_default().label = label.clone();
    }
    for line in lines {
        let tally = tallies.entry(key_of(line)).or_default();
        tally.families.insert(line.stay);
        tally.claims.insert(line.claim);
        tally.pence += line.pence;
    }
    let order: Vec<String> = keys.iter().map(|(k, _)| k.clone()).collect();
    let counts: Vec<u64> = order
        .iter()
        .map(|k| tallies.get(k).map_or(0, |t| t.families.len() as u64))
        .collect();
    // A group nobody is in tells of nobody: it is shown as zero, and the rule for small groups
    // is kept among the groups families are in.
    let occupied: Vec<u64> = counts.iter().copied().filter(|c| *c > 0).collect();
    let mut verdicts = suppressed(&occupied).into_iter();
    let hidden: Vec<bool> = counts
        .iter()
        .map(|c| *c > 0 && verdicts.next().unwrap_or(true))
        .collect();
    order
        .iter()
        .zip(hidden)
        .map(|(key, hidden)| {
            let tally = tallies.remove(key).unwrap_or_default();
            PaidGroup {
                key: key.clone(),
                label: tally.label,
                suppressed: hidden,
                families: (!hidden).then_some(tally.families.len() as u64),
                claims: (!hidden).then_some(tally.claims.len() as u64),
                paid: if hidden { None } else { money(tally.pence) },
            }
        })
        .collect()
}

/// The middle of `days`, rounded down between two; none for none.
fn median(mut days: Vec<i64>) -> Option<i64> {
    if days.is_empty() {
        return None;
    }
    days.sort_unstable();
    let mid = days.len() / 2;
    Some(if days.len() % 2 == 1 {
        days[mid]
    } else {
        (days[mid - 1] + days[mid]) / 2
    })
}

/// The report from the paid lines, the fund's units and years, and each paid claim's days from
/// submission to payment.
pub fn build(
    fund_id: i64,
    lines: &[PaidLine],
    units: &[(i64, String, HealthBoard)],
    years: &[FinancialYear],
    days_to_payment: Vec<i64>,
) -> FamilyReport {
    let families: BTreeSet<i64> = lines.iter().map(|l| l.stay).collect();
    let claims: BTreeSet<i64> = lines.iter().map(|l| l.claim).collect();
    let hidden = total_suppressed(families.len() as u64);
    let boards: Vec<(String, String)> = HealthBoard::ALL
        .iter()
        .map(|b| (b.as_str().to_owned(), b.name().to_owned()))
        .collect();
    let mut unit_boards: Vec<HealthBoard> = units.iter().map(|(_, _, b)| *b).collect();
    unit_boards.sort();
    unit_boards.dedup();
    let unit_board_keys: Vec<(String, String)> = unit_boards
        .iter()
        .map(|b| (b.as_str().to_owned(), b.name().to_owned()))
        .collect();
    let unit_keys: Vec<(String, String)> = units
        .iter()
        .map(|(id, name, _)| (id.to_string(), name.clone()))
        .collect();
    let kinds: Vec<(String, String)> = ClaimLineKind::ALL
        .iter()
        .map(|k| (k.as_str().to_owned(), k.label().to_owned()))
        .collect();
    let year_keys: Vec<(String, String)> = years
        .iter()
        .map(|y| (y.to_string(), y.to_string()))
        .collect();
    let year_of = |l: &PaidLine| {
        FinancialYear::containing(l.spent_on).map_or_else(|_| String::new(), |y| y.to_string())
    };
    let pence: i64 = lines.iter().map(|l| l.pence).sum();
    let days = if (days_to_payment.len() as u64) < THRESHOLD {
        Vec::new()
    } else {
        days_to_payment
    };
    let mut report = FamilyReport {
        fund_id,
        threshold: THRESHOLD,
        suppressed: hidden,
        families: (!hidden).then_some(families.len() as u64),
        claims: (!hidden).then_some(claims.len() as u64),
        paid: if hidden { None } else { money(pence) },
        median_days_to_payment: if hidden { None } else { median(days) },
        by_unit: grouped(lines, &unit_keys, |l| l.unit.0.to_string()),
        by_unit_board: grouped(lines, &unit_board_keys, |l| {
            l.unit_board.as_str().to_owned()
        }),
        by_home_board: grouped(lines, &boards, |l| l.home_board.as_str().to_owned()),
        by_expense: grouped(lines, &kinds, |l| l.kind.as_str().to_owned()),
        by_year: grouped(lines, &year_keys, year_of),
    };
    if hidden {
        // Too few families in all to show any group of them.
        for group in report
            .by_unit
            .iter_mut()
            .chain(report.by_unit_board.iter_mut())
            .chain(report.by_home_board.iter_mut())
            .chain(report.by_expense.iter_mut())
            .chain(report.by_year.iter_mut())
        {
            group.suppressed = true;
            group.families = None;
            group.claims = None;
            group.paid = None;
        }
    }
    report
}

type PaidRow = (
    i64,
    i64,
    i64,
    String,
    HealthBoard,
    HealthBoard,
    ClaimLineKind,
    NaiveDate,
    Option<i64>,
);

/// A family-expenses fund's report (officials and administrators); 409 `fund_kind_mismatch`
/// for a grant fund.
pub fn report(
    conn: &mut DbConnection,
    user: &CurrentUser,
    fund_id: i64,
) -> Result<FamilyReport, ApiError> {
    user.require(Action::ReadReports)?;
    let fund = FundRow::find(conn, fund_id)?;
    fund.ensure_kind(FundKind::FamilyExpenses)?;
    let rows: Vec<PaidRow> = claim_lines::table
        .inner_join(claims::table.inner_join(stays::table.inner_join(units::table)))
        .filter(stays::fund_id.eq(fund_id))
        .filter(claims::status.eq(ClaimStatus::Paid))
        .select((
            stays::id,
            claims::id,
            units::id,
            units::name,
            units::health_board,
            stays::home_board,
            claim_lines::kind,
            claim_lines::spent_on,
            claim_lines::approved_pence,
        ))
        .load(conn)?;
    let lines: Vec<PaidLine> = rows
        .into_iter()
        .filter_map(
            |(stay, claim, unit, name, unit_board, home_board, kind, spent_on, pence)| {
                let pence = pence.filter(|p| *p > 0)?;
                Some(PaidLine {
                    stay,
                    claim,
                    unit: (unit, name),
                    unit_board,
                    home_board,
                    kind,
                    spent_on,
                    pence,
                })
            },
        )
        .collect();
    let units: Vec<(i64, String, HealthBoard)> = units::table
        .filter(units::fund_id.eq(fund_id))
        .order((units::name, units::id))
        .select((units::id, units::name, units::health_board))
        .load(conn)?;
    let years = fund.details.financial_years();
    let paid: Vec<(Option<NaiveDateTime>, Option<NaiveDate>)> = claims::table
        .inner_join(stays::table)
        .inner_join(claim_payments::table.inner_join(payment_lines::table))
        .filter(stays::fund_id.eq(fund_id))
        .filter(claims::status.eq(ClaimStatus::Paid))
        .filter(payment_lines::status.eq(PaymentLineStatus::Paid))
        .select((claims::submitted_at, payment_lines::paid_on))
        .load(conn)?;
    let days: Vec<i64> = paid
        .into_iter()
        .filter_map(|(submitted, paid_on)| Some((paid_on? - submitted?.date()).num_days()))
        .collect();
    Ok(build(fund_id, &lines, &units, &years, days))
}

/// The report as CSV: one row a group, `dimension` first; suppressed figures are empty.
pub fn to_csv(report: &FamilyReport) -> Result<Vec<u8>, ApiError> {
    let mut out = csv::Writer::from_writer(Vec::new());
    out.write_record([
        "dimension",
        "key",
        "label",
        "suppressed",
        "families",
        "claims",
        "paid",
    ])
    .map_err(ApiError::internal)?;
    let count = |n: Option<u64>| n.map(|n| n.to_string()).unwrap_or_default();
    let paid = |m: Option<Money>| m.map(|m| m.to_string()).unwrap_or_default();
    out.write_record([
        "total".to_owned(),
        String::new(),
        "All families paid".to_owned(),
        report.suppressed.to_string(),
        count(report.families),
        count(report.claims),
        paid(report.paid),
    ])
    .map_err(ApiError::internal)?;
    for (dimension, groups) in [
        ("unit", &report.by_unit),
        ("unit_board", &report.by_unit_board),
        ("home_board", &report.by_home_board),
        ("expense", &report.by_expense),
        ("financial_year", &report.by_year),
    ] {
        for g in groups.iter() {
            out.write_record([
                dimension.to_owned(),
                csv_text(&g.key),
                csv_text(&g.label),
                g.suppressed.to_string(),
                count(g.families),
                count(g.claims),
                paid(g.paid),
            ])
            .map_err(ApiError::internal)?;
        }
    }
    out.into_inner().map_err(ApiError::internal)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn line(
        stay: i64,
        claim: i64,
        unit: i64,
        home: HealthBoard,
        kind: ClaimLineKind,
        pence: i64,
    ) -> PaidLine {
        PaidLine {
            stay,
            claim,
            unit: (unit, format!("Unit {unit}")),
            unit_board: if unit == 1 {
                HealthBoard::Lothian
            } else {
                HealthBoard::GreaterGlasgowAndClyde
            },
            home_board: home,
            kind,
            spent_on: NaiveDate::from_ymd_opt(2022, 5, 9).unwrap_or(NaiveDate::MIN),
            pence,
        }
    }

    fn units() -> Vec<(i64, String, HealthBoard)> {
        vec![
            (1, "Unit 1".to_owned(), HealthBoard::Lothian),
            (2, "Unit 2".to_owned(), HealthBoard::GreaterGlasgowAndClyde),
        ]
    }

    fn years() -> Vec<FinancialYear> {
        vec![FinancialYear::parse("2022-23").unwrap()]
    }

    #[test]
    fn fewer_than_five_families_show_nothing() {
        let lines: Vec<PaidLine> = (1..=4)
            .map(|i| line(i, i, 1, HealthBoard::Highland, ClaimLineKind::Car, 1_000))
            .collect();
        let report = build(7, &lines, &units(), &years(), vec![3, 4, 5, 6]);
        assert!(report.suppressed);
        assert_eq!(
            (report.families, report.paid, report.median_days_to_payment),
            (None, None, None)
        );
        assert!(
            report
                .by_unit
                .iter()
                .all(|g| g.suppressed && g.paid.is_none())
        );
    }

    #[test]
    fn a_small_group_is_withheld_with_the_next_smallest() {
        // Six families at unit 1, one at unit 2: hiding only unit 2 lets the total give it back.
        let mut lines: Vec<PaidLine> = (1..=6)
            .map(|i| line(i, i, 1, HealthBoard::Highland, ClaimLineKind::Car, 1_000))
            .collect();
        lines.push(line(
            7,
            7,
            2,
            HealthBoard::WesternIsles,
            ClaimLineKind::Flight,
            12_000,
        ));
        let report = build(
            7,
            &lines,
            &units(),
            &years(),
            vec![10, 12, 9, 30, 11, 14, 8],
        );
        assert_eq!(report.families, Some(7));
        assert_eq!(report.paid.map(|m| m.pence()), Some(18_000));
        assert_eq!(report.median_days_to_payment, Some(11));
        assert_eq!(
            report
                .by_unit
                .iter()
                .map(|g| g.suppressed)
                .collect::<Vec<_>>(),
            [true, true]
        );
        // Nobody lives in Fife: zero tells of nobody and is shown.
        let fife = report
            .by_home_board
            .iter()
            .find(|g| g.key == "fife")
            .unwrap();
        assert_eq!((fife.suppressed, fife.families), (false, Some(0)));
        let islands = report
            .by_home_board
            .iter()
            .find(|g| g.key == "western_isles")
            .unwrap();
        assert!(islands.suppressed && islands.paid.is_none());
        let highland = report
            .by_home_board
            .iter()
            .find(|g| g.key == "highland")
            .unwrap();
        assert!(
            highland.suppressed,
            "one family elsewhere would be the total less Highland"
        );
        assert!(
            report
                .by_expense
                .iter()
                .find(|g| g.key == "car")
                .unwrap()
                .suppressed
        );
        assert_eq!(report.by_home_board.len(), 14);
    }

    #[test]
    fn large_groups_are_shown_exactly() {
        let mut lines = Vec::new();
        for i in 1..=10 {
            let unit = if i <= 5 { 1 } else { 2 };
            lines.push(line(
                i,
                i,
                unit,
                HealthBoard::Highland,
                ClaimLineKind::Car,
                1_500,
            ));
            lines.push(line(
                i,
                i,
                unit,
                HealthBoard::Highland,
                ClaimLineKind::Food,
                850,
            ));
        }
        let report = build(7, &lines, &units(), &years(), (1..=10).collect());
        let shown: Vec<(Option<u64>, Option<i64>)> = report
            .by_unit
            .iter()
            .map(|g| (g.families, g.paid.map(|m| m.pence())))
            .collect();
        assert_eq!(shown, [(Some(5), Some(11_750)), (Some(5), Some(11_750))]);
        assert_eq!(report.median_days_to_payment, Some(5));
        let csv = String::from_utf8(to_csv(&report).unwrap()).unwrap();
        assert!(csv.contains("unit,1,Unit 1,false,5,5,117.50"), "{csv}");
    }
}
