//! CSV writers for the reports on a fund: a header and one row per line of the report.

use crate::domain::{FinancialYear, Money};
use crate::error::ApiError;
use crate::feedback::model::StatementSummary;
use crate::reports::model::{
    ByHealthBoard, ByTargetGroup, FeedbackReport, Figures, FundReach, FundSummary, People,
    YearSummary,
};
use crate::wire::csv_text;

fn write(rows: Vec<Vec<String>>) -> Result<Vec<u8>, ApiError> {
    let mut out = csv::Writer::from_writer(Vec::new());
    for row in rows {
        out.write_record(&row).map_err(ApiError::internal)?;
    }
    out.into_inner().map_err(ApiError::internal)
}

fn year_text(year: Option<FinancialYear>) -> String {
    year.map_or_else(|| "all".to_owned(), |y| y.to_string())
}

pub fn summary(s: &FundSummary) -> Result<Vec<u8>, ApiError> {
    let mut rows = vec![
        [
            "financial_year",
            "component",
            "limit",
            "committed",
            "paid",
            "remaining",
            "awards",
            "organisations",
        ]
        .map(str::to_owned)
        .to_vec(),
    ];
    let mut line = |y: &YearSummary, label: String| {
        rows.push(vec![
            label.clone(),
            "all".to_owned(),
            y.limit.to_string(),
            y.committed.to_string(),
            y.paid.to_string(),
            y.remaining.to_string(),
            y.awards.to_string(),
            y.organisations.to_string(),
        ]);
        for c in &y.by_component {
            rows.push(vec![
                label.clone(),
                c.component.as_str().to_owned(),
                String::new(),
                c.committed.to_string(),
                c.paid.to_string(),
                String::new(),
                c.awards.to_string(),
                c.organisations.to_string(),
            ]);
        }
    };
    for y in &s.years {
        line(y, year_text(y.financial_year));
    }
    line(&s.total, "total".to_owned());
    write(rows)
}

/// The money and counts of one line of a split report, as cells.
fn figure_cells(committed: Money, paid: Money, awards: i64, organisations: i64) -> Vec<String> {
    vec![
        committed.to_string(),
        paid.to_string(),
        awards.to_string(),
        organisations.to_string(),
    ]
}

/// A report split by health board or target group: the year, the cells that name each line
/// (headed by `labels`), then its figures; the last row is the total, its name cells blank
/// after the first.
fn split(
    year: Option<FinancialYear>,
    labels: &[&str],
    lines: Vec<(Vec<String>, Vec<String>)>,
    total: &Figures,
) -> Result<Vec<u8>, ApiError> {
    let header = ["financial_year"]
        .iter()
        .chain(labels)
        .chain(&["committed", "paid", "awards", "organisations"])
        .map(|cell| (*cell).to_owned())
        .collect();
    let year = year_text(year);
    let mut rows = vec![header];
    for (names, cells) in lines {
        rows.push([vec![year.clone()], names, cells].concat());
    }
    let mut names = vec!["total".to_owned()];
    names.resize(labels.len(), String::new());
    let cells = figure_cells(
        total.committed,
        total.paid,
        total.awards,
        total.organisations,
    );
    rows.push([vec![year], names, cells].concat());
    write(rows)
}

pub fn by_health_board(r: &ByHealthBoard) -> Result<Vec<u8>, ApiError> {
    let lines = r
        .health_boards
        .iter()
        .map(|b| {
            (
                vec![csv_text(&b.name), b.gss_code.clone()],
                figure_cells(b.committed, b.paid, b.awards, b.organisations),
            )
        })
        .collect();
    split(
        r.financial_year,
        &["health_board", "gss_code"],
        lines,
        &r.total,
    )
}

pub fn by_target_group(r: &ByTargetGroup) -> Result<Vec<u8>, ApiError> {
    let lines = r
        .target_groups
        .iter()
        .map(|g| {
            (
                vec![g.target_group.as_str().to_owned()],
                figure_cells(g.committed, g.paid, g.awards, g.organisations),
            )
        })
        .collect();
    split(r.financial_year, &["target_group"], lines, &r.total)
}

pub fn reach(r: &FundReach) -> Result<Vec<u8>, ApiError> {
    let mut rows = vec![
        [
            "financial_year",
            "accepted_returns",
            "women",
            "partners",
            "infants",
            "kinship_carers",
            "families",
            "new",
            "continuing",
        ]
        .map(str::to_owned)
        .to_vec(),
    ];
    let people = |p: &People| {
        [
            p.women,
            p.partners,
            p.infants,
            p.kinship_carers,
            p.families,
            p.new,
            p.continuing,
        ]
        .map(|n| n.to_string())
    };
    for y in &r.years {
        let mut row = vec![y.financial_year.to_string(), y.accepted_returns.to_string()];
        row.extend(people(&y.people));
        rows.push(row);
    }
    let mut row = vec!["total".to_owned(), String::new()];
    row.extend(people(&r.total));
    rows.push(row);
    // The target and the share of it reached, in the `new` column: the count that goes
    // towards it.
    for (label, value) in [
        ("target", r.target.to_string()),
        ("percentage_of_target", r.percentage_of_target.clone()),
    ] {
        let mut row = vec![label.to_owned()];
        row.extend(std::iter::repeat_n(String::new(), 6));
        row.push(value);
        row.push(String::new());
        rows.push(row);
    }
    write(rows)
}

pub fn feedback(r: &FeedbackReport) -> Result<Vec<u8>, ApiError> {
    let mut rows = vec![
        [
            "dimension",
            "group",
            "suppressed",
            "responses",
            "mean_listened_to",
            "mean_wellbeing",
            "mean_relationship_with_baby",
            "mean_recommend",
        ]
        .map(str::to_owned)
        .to_vec(),
    ];
    let mut line = |dimension: &str,
                    group: &str,
                    suppressed: bool,
                    responses: Option<i64>,
                    statements: &Option<Vec<StatementSummary>>| {
        let mut row = vec![
            dimension.to_owned(),
            group.to_owned(),
            suppressed.to_string(),
            responses.map(|n| n.to_string()).unwrap_or_default(),
        ];
        match statements {
            Some(s) => row.extend(s.iter().map(|s| s.mean.clone())),
            None => row.extend(std::iter::repeat_n(String::new(), 4)),
        }
        rows.push(row);
    };
    line("all", "all", r.suppressed, r.responses, &r.statements);
    for (dimension, list) in [
        ("financial_year", &r.by_year),
        ("component", &r.by_component),
        ("health_board", &r.by_health_board),
    ] {
        for g in list {
            line(
                dimension,
                &g.group,
                g.suppressed,
                g.responses,
                &g.statements,
            );
        }
    }
    write(rows)
}
