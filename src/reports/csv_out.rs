//! CSV writers for the reports on a fund: a header and one row per line of the report.

use crate::domain::FinancialYear;
use crate::error::ApiError;
use crate::feedback::model::StatementSummary;
use crate::reports::model::{
    ByHealthBoard, ByTargetGroup, FeedbackReport, FundReach, FundSummary, People, YearSummary,
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

pub fn by_health_board(r: &ByHealthBoard) -> Result<Vec<u8>, ApiError> {
    let mut rows = vec![
        [
            "financial_year",
            "health_board",
            "gss_code",
            "committed",
            "paid",
            "awards",
            "organisations",
        ]
        .map(str::to_owned)
        .to_vec(),
    ];
    for b in &r.health_boards {
        rows.push(vec![
            year_text(r.financial_year),
            csv_text(&b.name),
            b.gss_code.clone(),
            b.committed.to_string(),
            b.paid.to_string(),
            b.awards.to_string(),
            b.organisations.to_string(),
        ]);
    }
    rows.push(vec![
        year_text(r.financial_year),
        "total".to_owned(),
        String::new(),
        r.total.committed.to_string(),
        r.total.paid.to_string(),
        r.total.awards.to_string(),
        r.total.organisations.to_string(),
    ]);
    write(rows)
}

pub fn by_target_group(r: &ByTargetGroup) -> Result<Vec<u8>, ApiError> {
    let mut rows = vec![
        [
            "financial_year",
            "target_group",
            "committed",
            "paid",
            "awards",
            "organisations",
        ]
        .map(str::to_owned)
        .to_vec(),
    ];
    for g in &r.target_groups {
        rows.push(vec![
            year_text(r.financial_year),
            g.target_group.as_str().to_owned(),
            g.committed.to_string(),
            g.paid.to_string(),
            g.awards.to_string(),
            g.organisations.to_string(),
        ]);
    }
    rows.push(vec![
        year_text(r.financial_year),
        "total".to_owned(),
        r.total.committed.to_string(),
        r.total.paid.to_string(),
        r.total.awards.to_string(),
        r.total.organisations.to_string(),
    ]);
    write(rows)
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
