//! The fund's grants as 360Giving open data (Data Standard 1.4): a JSON package and CSV.
//!
//! Every accepted, completed or terminated award is a grant. Its id is `360G-<prefix>-<award
//! reference>`, with the prefix from `OPEN_DATA_PREFIX`. `amountAwarded` is the award as
//! decided (every year's instalment), `amountDisbursed` what has been released. The recipient is
//! identified by its org-id: `GB-SC-<Scottish Charity Number>` for charities, else
//! `GB-COH-<company number>`. An organisation with neither has no identifier the standard
//! accepts, so its grants are left out of the export and counted in the
//! `X-Grants-Without-Org-Id` header. Each health board the application covers is a beneficiary
//! location with its GSS code and `geoCodeType` `HB`.

use std::collections::HashMap;

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;
use serde_json::value::RawValue;
use utoipa::ToSchema;

use crate::applications::model::{ApplicationRow, Children};
use crate::awards::model::AwardRow;
use crate::caller::CurrentUser;
use crate::db::DbConnection;
use crate::db::schema::{applications, awards, decisions, instalments, organisations, rounds};
use crate::domain::clock::utc;
use crate::domain::vocabulary::{AwardStatus, InstalmentStatus};
use crate::domain::{FinancialYear, Money};
use crate::error::ApiError;
use crate::funds::model::FundRow;
use crate::permissions::Action;
use crate::wire::csv_text;

/// A recipient or funder of a 360Giving grant.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = GrantOrganization)]
pub struct Organization {
    /// Its org-id: `GB-SC-<Scottish Charity Number>` or `GB-COH-<company number>` for a
    /// recipient, the fund's funder org-id for the funder.
    #[schema(example = "GB-SC-SC012345")]
    pub id: String,
    pub name: String,
    /// A recipient's Scottish Charity Number, when it has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub charity_number: Option<String>,
    /// A recipient's company number, when it has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub company_number: Option<String>,
    /// A recipient's postcode.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub postal_code: Option<String>,
}

/// The period a grant funds.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = GrantPlannedDates)]
pub struct Event {
    /// The first day of the grant's first financial year.
    #[schema(format = Date, example = "2021-04-01")]
    pub start_date: String,
    /// The last day of the grant's last financial year.
    #[schema(format = Date, example = "2023-03-31")]
    pub end_date: String,
    /// In months.
    #[schema(example = 24)]
    pub duration: i64,
}

/// A health board a grant's service covers.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = GrantBeneficiaryLocation)]
pub struct Location {
    #[schema(example = "NHS Fife")]
    pub name: String,
    /// The board's GSS code.
    #[schema(example = "S08000029")]
    pub geo_code: String,
    /// Always `HB` (health board).
    #[schema(example = "HB")]
    pub geo_code_type: String,
}

/// The fund and round a grant was made in.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = GrantProgramme)]
pub struct Programme {
    /// The fund's code.
    #[schema(example = "PIMH")]
    pub code: String,
    /// The fund's name and the round's.
    pub title: String,
}

/// One grant as the standard describes it.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Grant {
    /// `360G-<OPEN_DATA_PREFIX>-<award reference>`.
    #[schema(example = "360G-grantfund-PIMH-2021-0017")]
    pub id: String,
    pub title: String,
    /// The application's summary, or its title when it has none.
    pub description: String,
    #[schema(example = "GBP")]
    pub currency: String,
    /// The award as decided, every year's instalment: a JSON number written from the exact
    /// decimal, never through floating point.
    #[schema(value_type = f64, example = 80000.00)]
    pub amount_awarded: Box<RawValue>,
    /// What has been released, as `amountAwarded` is written.
    #[schema(value_type = f64, example = 40000.00)]
    pub amount_disbursed: Box<RawValue>,
    /// When the fund decided.
    #[schema(format = Date, example = "2021-03-15")]
    pub award_date: String,
    #[schema(min_items = 1, max_items = 1)]
    pub planned_dates: Vec<Event>,
    #[schema(min_items = 1, max_items = 1)]
    pub recipient_organization: Vec<Organization>,
    #[schema(min_items = 1, max_items = 1)]
    pub funding_organization: Vec<Organization>,
    #[schema(min_items = 1, max_items = 1)]
    pub grant_programme: Vec<Programme>,
    /// Every health board the service covers.
    pub beneficiary_location: Vec<Location>,
    /// When the award last changed.
    #[schema(format = DateTime)]
    pub date_modified: String,
}

/// The export: the package and how many grants had to be left out.
#[derive(Debug)]
pub struct Export {
    pub grants: Vec<Grant>,
    pub without_org_id: usize,
    amounts: Vec<(Money, Money)>,
}

/// A 360Giving data package: every published grant of the fund.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = GrantPackage)]
pub struct Package<'a> {
    #[schema(value_type = Vec<Grant>)]
    pub grants: &'a [Grant],
    /// The version of the 360Giving Data Standard, `1.4`.
    #[schema(value_type = String, example = "1.4")]
    pub version: &'static str,
}

/// An award with its application, recipient (name, charity and company numbers, postcode),
/// round name and decision time.
type PublishedRow = (
    AwardRow,
    ApplicationRow,
    String,
    Option<String>,
    Option<String>,
    String,
    String,
    NaiveDateTime,
);

fn number(amount: Money) -> Result<Box<RawValue>, ApiError> {
    RawValue::from_string(amount.to_string()).map_err(ApiError::internal)
}

/// The org-id of a recipient: its Scottish Charity Number, else its company number.
fn org_id(charity: Option<&str>, company: Option<&str>) -> Option<String> {
    charity
        .map(|c| format!("GB-SC-{c}"))
        .or_else(|| company.map(|c| format!("GB-COH-{c}")))
}

/// Every accepted, completed or terminated award of a fund as a grant (officials and
/// administrators).
pub fn export(
    conn: &mut DbConnection,
    user: &CurrentUser,
    fund_id: i64,
    prefix: &str,
) -> Result<Export, ApiError> {
    user.require(Action::ExportOpenData)?;
    let fund = FundRow::find(conn, fund_id)?;
    let published = [
        AwardStatus::Accepted,
        AwardStatus::Completed,
        AwardStatus::Terminated,
    ];
    let rows: Vec<PublishedRow> = awards::table
        .inner_join(applications::table.inner_join(decisions::table))
        .inner_join(organisations::table)
        .inner_join(rounds::table.on(rounds::id.eq(awards::round_id)))
        .filter(awards::fund_id.eq(fund_id))
        .filter(awards::status.eq_any(published))
        .order(awards::reference)
        .select((
            awards::all_columns,
            applications::all_columns,
            organisations::name,
            organisations::charity_number,
            organisations::company_number,
            organisations::postcode,
            rounds::name,
            decisions::decided_at,
        ))
        .load(conn)?;
    let ids: Vec<i64> = rows.iter().map(|r| r.0.id).collect();
    let mut years: HashMap<i64, Vec<(FinancialYear, i64, bool)>> = HashMap::new();
    let instalment_rows: Vec<(i64, String, i64, InstalmentStatus)> = instalments::table
        .filter(instalments::award_id.eq_any(&ids))
        .select((
            instalments::award_id,
            instalments::financial_year,
            instalments::amount_pence,
            instalments::status,
        ))
        .load(conn)?;
    for (award, year, pence, status) in instalment_rows {
        let year = FinancialYear::parse(&year).map_err(ApiError::internal)?;
        years
            .entry(award)
            .or_default()
            .push((year, pence, status == InstalmentStatus::Released));
    }
    let application_ids: Vec<i64> = rows.iter().map(|r| r.1.id).collect();
    let mut children = Children::load(conn, &application_ids)?;
    let funder = Organization {
        id: fund.funder_org_id.clone(),
        name: fund.funder_name.clone(),
        charity_number: None,
        company_number: None,
        postal_code: None,
    };
    let mut export = Export {
        grants: Vec::new(),
        without_org_id: 0,
        amounts: Vec::new(),
    };
    for (award, application, name, charity, company, postcode, round, decided_at) in rows {
        let Some(recipient_id) = org_id(charity.as_deref(), company.as_deref()) else {
            export.without_org_id += 1;
            continue;
        };
        let content = children.content(&application)?;
        let mut own = years.remove(&award.id).unwrap_or_default();
        own.sort();
        let awarded: i64 = own.iter().map(|(_, p, _)| p).sum();
        let paid: i64 = own.iter().filter(|(_, _, r)| *r).map(|(_, p, _)| p).sum();
        let (Some(first), Some(last)) = (own.first(), own.last()) else {
            continue;
        };
        let (start, end) = (first.0.first_day(), last.0.last_day());
        let months = i64::from((last.0.start_year() - first.0.start_year() + 1) * 12);
        let money = |p: i64| Money::from_pence(p).map_err(ApiError::internal);
        let (awarded, paid) = (money(awarded)?, money(paid)?);
        export.amounts.push((awarded, paid));
        export.grants.push(Grant {
            id: format!("360G-{prefix}-{}", award.reference),
            title: content.title.clone(),
            description: content
                .summary
                .clone()
                .unwrap_or_else(|| content.title.clone()),
            currency: fund.currency.clone(),
            amount_awarded: number(awarded)?,
            amount_disbursed: number(paid)?,
            award_date: decided_at.date().to_string(),
            planned_dates: vec![Event {
                start_date: start.to_string(),
                end_date: end.to_string(),
                duration: months,
            }],
            recipient_organization: vec![Organization {
                id: recipient_id,
                name,
                charity_number: charity,
                company_number: company,
                postal_code: Some(postcode),
            }],
            funding_organization: vec![Organization {
                id: funder.id.clone(),
                name: funder.name.clone(),
                charity_number: None,
                company_number: None,
                postal_code: None,
            }],
            grant_programme: vec![Programme {
                code: fund.code.clone(),
                title: format!("{}: {round}", fund.name),
            }],
            beneficiary_location: content
                .health_boards
                .iter()
                .map(|b| Location {
                    name: b.name().to_owned(),
                    geo_code: b.gss_code().to_owned(),
                    geo_code_type: "HB".to_owned(),
                })
                .collect(),
            date_modified: utc(award.updated_at).to_rfc3339(),
        });
    }
    Ok(export)
}

/// The package as JSON text.
pub fn to_json(export: &Export) -> Result<String, ApiError> {
    serde_json::to_string(&Package {
        grants: &export.grants,
        version: "1.4",
    })
    .map_err(ApiError::internal)
}

/// The grants as CSV with the standard's column titles; a grant's first health board is its
/// beneficiary location here (the JSON lists them all).
pub fn to_csv(export: &Export) -> Result<Vec<u8>, ApiError> {
    let mut out = csv::Writer::from_writer(Vec::new());
    out.write_record([
        "Identifier",
        "Title",
        "Description",
        "Currency",
        "Amount Awarded",
        "Amount Disbursed",
        "Award Date",
        "Planned Dates:Start Date",
        "Planned Dates:End Date",
        "Planned Dates:Duration (months)",
        "Recipient Org:Identifier",
        "Recipient Org:Name",
        "Recipient Org:Charity Number",
        "Recipient Org:Company Number",
        "Recipient Org:Postal Code",
        "Funding Org:Identifier",
        "Funding Org:Name",
        "Grant Programme:Code",
        "Grant Programme:Title",
        "Beneficiary Location:Name",
        "Beneficiary Location:Geographic Code",
        "Beneficiary Location:Geographic Code Type",
        "Last Modified",
    ])
    .map_err(ApiError::internal)?;
    for (grant, (awarded, paid)) in export.grants.iter().zip(&export.amounts) {
        let recipient = &grant.recipient_organization[0];
        let dates = &grant.planned_dates[0];
        let location = grant.beneficiary_location.first();
        out.write_record([
            grant.id.clone(),
            csv_text(&grant.title),
            csv_text(&grant.description),
            grant.currency.clone(),
            awarded.to_string(),
            paid.to_string(),
            grant.award_date.clone(),
            dates.start_date.clone(),
            dates.end_date.clone(),
            dates.duration.to_string(),
            recipient.id.clone(),
            csv_text(&recipient.name),
            recipient.charity_number.clone().unwrap_or_default(),
            recipient.company_number.clone().unwrap_or_default(),
            recipient.postal_code.clone().unwrap_or_default(),
            grant.funding_organization[0].id.clone(),
            csv_text(&grant.funding_organization[0].name),
            grant.grant_programme[0].code.clone(),
            csv_text(&grant.grant_programme[0].title),
            location.map(|l| l.name.clone()).unwrap_or_default(),
            location.map(|l| l.geo_code.clone()).unwrap_or_default(),
            location
                .map(|l| l.geo_code_type.clone())
                .unwrap_or_default(),
            grant.date_modified.clone(),
        ])
        .map_err(ApiError::internal)?;
    }
    out.into_inner().map_err(ApiError::internal)
}
