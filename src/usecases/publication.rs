//! The open datasets as a publisher lists them: each fund's grants in the 360Giving standard
//! (JSON and CSV), each fund's summary figures (money, reach and family feedback by year, as
//! officials read them, small feedback groups suppressed) and the national directory (CSV and
//! JSON), each with its licence, its last update (from the data itself) and the SHA-256
//! checksum of the exact bytes its download serves. The reports that split money by board or
//! group are for officials only and are not listed.

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use utoipa::ToSchema;

use crate::db::DbConnection;
use crate::db::schema::{awards, feedback_responses, fund_years, funds, returns};
use crate::directory::public as directory;
use crate::domain::clock::utc;
use crate::domain::vocabulary::{AwardStatus, ReturnStatus};
use crate::error::ApiError;
use crate::reports::open_data::{self, Licence, OPEN_GOVERNMENT_LICENCE, Publisher};
use crate::usecases::reports::{feedback_report, reach_report, summary_report};

/// A fund's summary figures published as open data: the same figures officials read, over
/// every year.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SummaryFigures {
    /// Each year's limit, committed, authorised, paid and remaining, by component.
    Summary,
    /// People supported per year from accepted returns, against the reach target.
    Reach,
    /// Family feedback ratings per statement, groups of fewer than five suppressed.
    Feedback,
}

impl SummaryFigures {
    pub const ALL: [SummaryFigures; 3] = [Self::Summary, Self::Reach, Self::Feedback];

    fn slug(self) -> &'static str {
        match self {
            Self::Summary => "summary",
            Self::Reach => "reach",
            Self::Feedback => "feedback",
        }
    }

    /// The download's file name, e.g. `fund-1-summary.csv`.
    pub fn file_name(self, fund_id: i64, form: Form) -> String {
        let extension = form.name().to_ascii_lowercase();
        format!("fund-{fund_id}-{}.{extension}", self.slug())
    }

    fn title(self) -> &'static str {
        match self {
            Self::Summary => "Money",
            Self::Reach => "Reach",
            Self::Feedback => "Family feedback",
        }
    }

    fn description(self) -> &'static str {
        match self {
            Self::Summary => {
                "Each financial year's limit, money committed to grants, authorised for payment, \
                 paid and remaining, with the number of awards and organisations, by component; \
                 and the programme total."
            }
            Self::Reach => {
                "Women, partners, infants, kinship carers and families supported each financial \
                 year, from the grant holders' accepted returns, against the fund's reach target."
            }
            Self::Feedback => {
                "Families' ratings of the funded services per statement, by year, component and \
                 health board; no free text, and any group of fewer than five responses shown \
                 without figures."
            }
        }
    }
}

/// A fund's summary figures as their open download serves them: `404` for no such fund.
pub fn summary_figures(
    conn: &mut DbConnection,
    fund_id: i64,
    figures: SummaryFigures,
    form: Form,
) -> Result<Vec<u8>, ApiError> {
    let csv = form == Form::Csv;
    match figures {
        SummaryFigures::Summary => summary_report(None).published(conn, fund_id, csv),
        SummaryFigures::Reach => reach_report(None).published(conn, fund_id, csv),
        SummaryFigures::Feedback => feedback_report(None).published(conn, fund_id, csv),
    }
}

/// A download's form.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Form {
    Json,
    Csv,
}

impl Form {
    fn media_type(self) -> &'static str {
        match self {
            Form::Json => "application/json",
            Form::Csv => "text/csv",
        }
    }

    fn name(self) -> &'static str {
        match self {
            Form::Json => "JSON",
            Form::Csv => "CSV",
        }
    }
}

/// One open dataset.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Dataset {
    #[schema(example = "Grants of the Perinatal and Infant Mental Health Fund (360Giving JSON)")]
    pub title: String,
    pub description: String,
    /// `JSON` or `CSV`.
    #[schema(example = "JSON")]
    pub format: &'static str,
    #[schema(example = "application/json")]
    pub media_type: &'static str,
    /// Where to download it, under the API.
    #[schema(example = "/api/v1/open-data/funds/1/360giving.json")]
    pub url: String,
    pub licence: Licence,
    /// The last change to what it holds, from the data itself; none while it is empty.
    pub last_updated: Option<DateTime<Utc>>,
    /// The SHA-256 of the exact bytes its download serves, in lower-case hex.
    #[schema(example = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08")]
    pub sha256: String,
    /// The size of the download in bytes.
    pub bytes: i64,
}

/// A fund's grants as 360Giving data, as the public download serves them.
pub fn grants(
    conn: &mut DbConnection,
    publisher: &Publisher,
    fund_id: i64,
    form: Form,
) -> Result<(Vec<u8>, Option<NaiveDateTime>), ApiError> {
    let export = open_data::publish(conn, fund_id, publisher)?;
    let bytes = match form {
        Form::Json => open_data::to_json(&export)?.into_bytes(),
        Form::Csv => open_data::to_csv(&export)?,
    };
    Ok((bytes, export.last_modified))
}

/// The whole national directory, as its download serves it.
pub fn directory_download(
    conn: &mut DbConnection,
    prefix: &str,
    form: Form,
) -> Result<Vec<u8>, ApiError> {
    let entries = directory::public_all(conn, prefix)?;
    match form {
        Form::Json => Ok(directory::to_json(&entries)?.into_bytes()),
        Form::Csv => directory::to_csv(&entries),
    }
}

/// The last change to any of a fund's summary figures: its years (committed and paid money),
/// awards, the review of accepted returns, and the day of the latest published feedback.
fn figures_changed(
    conn: &mut DbConnection,
    fund_id: i64,
) -> Result<Option<NaiveDateTime>, ApiError> {
    let years: Option<NaiveDateTime> = fund_years::table
        .filter(fund_years::fund_id.eq(fund_id))
        .select(diesel::dsl::max(fund_years::updated_at))
        .first(conn)?;
    let awards: Option<NaiveDateTime> = awards::table
        .filter(awards::fund_id.eq(fund_id))
        .select(diesel::dsl::max(awards::updated_at))
        .first(conn)?;
    let returns: Option<NaiveDateTime> = returns::table
        .inner_join(awards::table)
        .filter(awards::fund_id.eq(fund_id))
        .filter(returns::status.eq(ReturnStatus::Accepted))
        .select(diesel::dsl::max(returns::reviewed_at))
        .first(conn)?;
    let feedback: Option<chrono::NaiveDate> = feedback_responses::table
        .inner_join(awards::table)
        .filter(awards::fund_id.eq(fund_id))
        .filter(feedback_responses::published.eq(true))
        .select(diesel::dsl::max(feedback_responses::received_on))
        .first(conn)?;
    let feedback = feedback.and_then(|day| day.and_hms_opt(0, 0, 0));
    Ok([years, awards, returns, feedback]
        .into_iter()
        .flatten()
        .max())
}

/// The SHA-256 of `bytes` in lower-case hex.
pub fn sha256(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn dataset(
    title: String,
    description: String,
    form: Form,
    url: String,
    bytes: &[u8],
    last: Option<NaiveDateTime>,
) -> Dataset {
    Dataset {
        title,
        description,
        format: form.name(),
        media_type: form.media_type(),
        url,
        licence: OPEN_GOVERNMENT_LICENCE,
        last_updated: last.map(utc),
        sha256: sha256(bytes),
        bytes: i64::try_from(bytes.len()).unwrap_or(i64::MAX),
    }
}

/// Every open dataset: the grants and summary figures of each fund that has published any
/// grant, then the directory.
pub fn datasets(conn: &mut DbConnection, publisher: &Publisher) -> Result<Vec<Dataset>, ApiError> {
    let published = [
        AwardStatus::Accepted,
        AwardStatus::Completed,
        AwardStatus::Terminated,
    ];
    let funds: Vec<(i64, String)> = funds::table
        .filter(
            funds::id.eq_any(
                awards::table
                    .filter(awards::status.eq_any(published))
                    .select(awards::fund_id),
            ),
        )
        .order(funds::id)
        .select((funds::id, funds::name))
        .load(conn)?;
    let mut out = Vec::new();
    for (id, name) in funds {
        for form in [Form::Json, Form::Csv] {
            let (bytes, last) = grants(conn, publisher, id, form)?;
            let extension = form.name().to_ascii_lowercase();
            out.push(dataset(
                format!("Grants of {name} (360Giving {})", form.name()),
                "Every accepted, completed or terminated award of the fund as a grant in the \
                 360Giving Data Standard 1.4: amounts, dates, recipients and the health boards \
                 each grant covers."
                    .to_owned(),
                form,
                format!("/api/v1/open-data/funds/{id}/360giving.{extension}"),
                &bytes,
                last,
            ));
        }
        let last = figures_changed(conn, id)?;
        for figures in SummaryFigures::ALL {
            for form in [Form::Csv, Form::Json] {
                let bytes = summary_figures(conn, id, figures, form)?;
                let extension = form.name().to_ascii_lowercase();
                out.push(dataset(
                    format!("{} of {name} by year ({})", figures.title(), form.name()),
                    figures.description().to_owned(),
                    form,
                    format!(
                        "/api/v1/open-data/funds/{id}/{}.{extension}",
                        figures.slug()
                    ),
                    &bytes,
                    last,
                ));
            }
        }
    }
    let last = directory::last_changed(conn)?;
    for form in [Form::Csv, Form::Json] {
        let bytes = directory_download(conn, publisher.prefix, form)?;
        let extension = form.name().to_ascii_lowercase();
        out.push(dataset(
            format!("National directory of funded services ({})", form.name()),
            "Every approved service of the directory, running or not: what it offers, who it is \
             for, how to refer, its public contact, the towns and health boards it covers, its \
             languages, the organisation's charity number and the 360Giving ids of its grants."
                .to_owned(),
            form,
            format!("/api/v1/directory.{extension}"),
            &bytes,
            last,
        ));
    }
    Ok(out)
}
