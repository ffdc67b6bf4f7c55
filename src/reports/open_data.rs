//! The fund's grants as 360Giving open data (Data Standard 1.4): a JSON package and CSV.
//!
//! Every accepted, completed or terminated award is a grant. Its id is `360G-<prefix>-<award
//! reference>`, with the prefix from `OPEN_DATA_PREFIX`. `amountAwarded` is the award as
//! decided (every year's instalment), `amountDisbursed` what has been released. The recipient is
//! identified by its org-id: `GB-SC-<Scottish Charity Number>` for charities, else
//! `GB-COH-<company number>`. An organisation with neither is identified under the publisher's
//! own prefix, `360G-<prefix>-ORG-<organisation id>`, the same in every export, as the standard
//! allows for recipients no register lists, so every grant is published. Each health board the
//! application covers is a beneficiary location with its GSS code and `geoCodeType` `HB`; the
//! CSV gives each its own numbered columns (`Beneficiary Location:0:Name`, `…:1:…`), so that it
//! turns back into the same grants as the JSON. The recipient's postcode and town
//! (`addressLocality`, from `organisation_addresses`) are published only for organisations that
//! agreed to be public (`listed_in_directory`).
//!
//! A family-expenses fund publishes each paid claim as a grant to an individual, as the standard
//! provides: `recipientIndividual` with an identifier of the claim's own
//! (`360G-<prefix>-IND-<claim id>`, so no two grants can be linked to one family) and the generic
//! name `Individual Recipient`, the amount approved and paid, and as its one beneficiary location
//! the NHS board of the unit, never the family's home: where a family lives could tell who
//! they are. The standard's `toIndividualsDetails` is left out: its codes come from codelists
//! this service does not carry.
//!
//! The same bytes are served to officials at `/exports/360giving` and to anyone at
//! `/open-data/funds/{id}/360giving.json` (and `.csv`), under the Open Government Licence v3.0.

use chrono::{Datelike, NaiveDateTime};
use diesel::prelude::*;
use serde::Serialize;
use serde_json::value::RawValue;
use utoipa::ToSchema;

use crate::applications::model::{ApplicationRow, Children};
use crate::awards::model::AwardRow;
use crate::awards::varied::extended_ends;
use crate::caller::CurrentUser;
use crate::db::schema::{
    applications, awards, claims, decisions, instalments, organisation_addresses, organisations,
    rounds, stays, units,
};
use crate::db::{DbConnection, children};
use crate::domain::clock::utc;
use crate::domain::vocabulary::{
    AwardStatus, ClaimStatus, Component, FundKind, HealthBoard, InstalmentStatus,
};
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
    /// recipient, else `360G-<OPEN_DATA_PREFIX>-ORG-<organisation id>`; the fund's funder org-id
    /// for the funder.
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
    /// A recipient's postcode, when it agreed to be public.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub postal_code: Option<String>,
    /// A recipient's town, when it gave one and agreed to be public.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false, example = "Kirkcaldy")]
    pub address_locality: Option<String>,
    /// A recipient's website, when it gave one.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub url: Option<String>,
}

/// The recipient of a grant to an individual, anonymised.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = GrantRecipientIndividual)]
pub struct Person {
    /// `360G-<OPEN_DATA_PREFIX>-IND-<claim id>`: one for each grant.
    #[schema(example = "360G-grantfund-IND-42")]
    pub id: String,
    /// Always `Individual Recipient`.
    #[schema(example = "Individual Recipient")]
    pub name: String,
}

/// The period a grant funds.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = GrantPlannedDates)]
pub struct Event {
    /// The first day of the grant's first financial year, or the award date when that is later:
    /// a grant is never planned to start before it was made.
    #[schema(format = Date, example = "2021-04-01")]
    pub start_date: String,
    /// The last day of the grant's last financial year.
    #[schema(format = Date, example = "2023-03-31")]
    pub end_date: String,
    /// In months, counting the months of the start and end dates.
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
    /// The fund's code and the round's component, so that each component groups apart.
    #[schema(example = "PIMH-CORE")]
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
    /// What the application asked for, every year together, as `amountAwarded` is written.
    #[schema(value_type = f64, example = 85000.00)]
    pub amount_applied_for: Box<RawValue>,
    /// Always `Yes`: every grant comes from a round open to applications.
    #[schema(example = "Yes")]
    pub from_open_call: String,
    /// The address of the export this grant is published in.
    pub data_source: String,
    /// When the fund decided.
    #[schema(format = Date, example = "2021-03-15")]
    pub award_date: String,
    /// The period an award to an organisation funds; none for a grant to an individual.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    #[schema(max_items = 1)]
    pub planned_dates: Vec<Event>,
    /// The organisation an award went to; none for a grant to an individual.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    #[schema(max_items = 1)]
    pub recipient_organization: Vec<Organization>,
    /// The individual a family fund's claim paid, anonymised.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub recipient_individual: Option<Person>,
    #[schema(min_items = 1, max_items = 1)]
    pub funding_organization: Vec<Organization>,
    #[schema(min_items = 1, max_items = 1)]
    pub grant_programme: Vec<Programme>,
    /// Every health board the service covers.
    pub beneficiary_location: Vec<Location>,
    /// The last change to what is published of the grant: the decision, the award, an
    /// instalment's release, or its recipient's details or town.
    #[schema(format = DateTime)]
    pub date_modified: String,
}

/// The export: the grants, with their exact amounts for the CSV.
#[derive(Debug)]
pub struct Export {
    pub grants: Vec<Grant>,
    amounts: Vec<(Money, Money, Money)>,
    /// The latest `dateModified` of its grants.
    pub last_modified: Option<NaiveDateTime>,
}

/// The licence every open dataset is published under.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Licence {
    #[schema(example = "Open Government Licence v3.0")]
    pub name: &'static str,
    #[schema(
        example = "https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/"
    )]
    pub url: &'static str,
}

/// The Open Government Licence v3.0.
pub const OPEN_GOVERNMENT_LICENCE: Licence = Licence {
    name: "Open Government Licence v3.0",
    url: "https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/",
};

/// The id of a grant in the 360Giving data: `360G-<prefix>-<award reference>`.
pub fn grant_id(prefix: &str, award_reference: &str) -> String {
    format!("360G-{prefix}-{award_reference}")
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

/// An award with its application, recipient (name, charity and company numbers, postcode,
/// website, consent to be public, last change), round name and component, decision time, and the
/// recipient's town and when it was last changed.
type PublishedRow = (
    AwardRow,
    ApplicationRow,
    (
        String,
        Option<String>,
        Option<String>,
        String,
        Option<String>,
        bool,
        NaiveDateTime,
    ),
    String,
    Component,
    NaiveDateTime,
    Option<(String, NaiveDateTime)>,
);

/// Who publishes the export and where: the prefix of its ids and the service's public address.
pub struct Publisher<'a> {
    pub prefix: &'a str,
    pub public_url: &'a str,
}

fn number(amount: Money) -> Result<Box<RawValue>, ApiError> {
    RawValue::from_string(amount.to_string()).map_err(ApiError::internal)
}

/// The org-id of a recipient: its Scottish Charity Number, else its company number, else an
/// identifier under the publisher's prefix made from the organisation's id.
pub fn org_id(
    prefix: &str,
    organisation: i64,
    charity: Option<&str>,
    company: Option<&str>,
) -> String {
    charity
        .map(|c| format!("GB-SC-{c}"))
        .or_else(|| company.map(|c| format!("GB-COH-{c}")))
        .unwrap_or_else(|| format!("360G-{prefix}-ORG-{organisation}"))
}

/// Every accepted, completed or terminated award of a fund as a grant (officials and
/// administrators).
pub fn export(
    conn: &mut DbConnection,
    user: &CurrentUser,
    fund_id: i64,
    publisher: &Publisher,
) -> Result<Export, ApiError> {
    user.require(Action::ExportOpenData)?;
    publish(conn, fund_id, publisher)
}

/// Every accepted, completed or terminated award of a fund as a grant, as anyone may read it:
/// what [`export`] gives officials.
pub fn publish(
    conn: &mut DbConnection,
    fund_id: i64,
    publisher: &Publisher,
) -> Result<Export, ApiError> {
    let prefix = publisher.prefix;
    let data_source = format!(
        "{}/api/v1/open-data/funds/{fund_id}/360giving.json",
        publisher.public_url.trim_end_matches('/')
    );
    let fund = FundRow::find(conn, fund_id)?;
    if fund.details.kind == FundKind::FamilyExpenses {
        return publish_claims(conn, &fund, prefix, &data_source);
    }
    let published = [
        AwardStatus::Accepted,
        AwardStatus::Completed,
        AwardStatus::Terminated,
    ];
    let rows: Vec<PublishedRow> = awards::table
        .inner_join(applications::table.inner_join(decisions::table))
        .inner_join(organisations::table)
        .inner_join(rounds::table.on(rounds::id.eq(awards::round_id)))
        .left_join(
            organisation_addresses::table
                .on(organisation_addresses::organisation_id.eq(awards::organisation_id)),
        )
        .filter(awards::fund_id.eq(fund_id))
        .filter(awards::status.eq_any(published))
        .order(awards::reference)
        .select((
            awards::all_columns,
            applications::all_columns,
            (
                organisations::name,
                organisations::charity_number,
                organisations::company_number,
                organisations::postcode,
                organisations::website,
                organisations::listed_in_directory,
                organisations::updated_at,
            ),
            rounds::name,
            rounds::component,
            decisions::decided_at,
            (
                organisation_addresses::town,
                organisation_addresses::updated_at,
            )
                .nullable(),
        ))
        .load(conn)?;
    let ids: Vec<i64> = rows.iter().map(|r| r.0.id).collect();
    let instalment_rows: Vec<(i64, String, i64, InstalmentStatus, Option<NaiveDateTime>)> =
        instalments::table
            .filter(instalments::award_id.eq_any(&ids))
            .select((
                instalments::award_id,
                instalments::financial_year,
                instalments::amount_pence,
                instalments::status,
                instalments::released_at,
            ))
            .load(conn)?;
    let mut years = children::group(
        instalment_rows
            .into_iter()
            .map(|(award, year, pence, status, released_at)| {
                let year = FinancialYear::parse(&year).map_err(ApiError::internal)?;
                let released = status == InstalmentStatus::Released;
                Ok((award, (year, pence, released, released_at)))
            })
            .collect::<Result<Vec<_>, ApiError>>()?,
    );
    // An approved extension moves a grant's planned end past its last financial year.
    let extended = extended_ends(conn, &ids)?;
    let application_ids: Vec<i64> = rows.iter().map(|r| r.1.id).collect();
    let mut children = Children::load(conn, &application_ids)?;
    let funder = Organization {
        id: fund.details.funder_org_id.clone(),
        name: fund.details.funder_name.clone(),
        charity_number: None,
        company_number: None,
        postal_code: None,
        address_locality: None,
        url: None,
    };
    let mut export = Export {
        grants: Vec::new(),
        amounts: Vec::new(),
        last_modified: None,
    };
    for (
        award,
        application,
        (name, charity, company, postcode, website, public, recipient_changed),
        round,
        component,
        decided_at,
        address,
    ) in rows
    {
        // The postcode and town say where the organisation is: published only with its consent.
        let (postcode, address) = if public {
            (Some(postcode), address)
        } else {
            (None, None)
        };
        let recipient_id = org_id(
            prefix,
            award.organisation_id,
            charity.as_deref(),
            company.as_deref(),
        );
        let content = children.content(&application)?;
        let mut own = years.remove(&award.id).unwrap_or_default();
        own.sort();
        let awarded: i64 = own.iter().map(|(_, p, _, _)| p).sum();
        let paid: i64 = own
            .iter()
            .filter(|(_, _, r, _)| *r)
            .map(|(_, p, _, _)| p)
            .sum();
        let last_release = own.iter().filter_map(|(_, _, _, at)| *at).max();
        let (Some(first), Some(last)) = (own.first(), own.last()) else {
            continue;
        };
        let award_date = decided_at.date();
        let end = extended
            .get(&award.id)
            .copied()
            .unwrap_or(last.0.last_day());
        let start = first.0.first_day().max(award_date);
        let months = i64::from(
            (end.year() - start.year()) * 12 + end.month() as i32 - start.month() as i32 + 1,
        );
        let money = |p: i64| Money::from_pence(p).map_err(ApiError::internal);
        let (awarded, paid) = (money(awarded)?, money(paid)?);
        let applied_for = money(content.requested.values().map(|m| m.pence()).sum())?;
        let modified = award
            .updated_at
            .max(decided_at)
            .max(last_release.unwrap_or(decided_at))
            .max(recipient_changed)
            .max(address.as_ref().map_or(decided_at, |(_, at)| *at));
        export.last_modified = export.last_modified.max(Some(modified));
        export.amounts.push((awarded, paid, applied_for));
        export.grants.push(Grant {
            id: grant_id(prefix, &award.reference),
            title: content.title.clone(),
            description: content
                .summary
                .clone()
                .unwrap_or_else(|| content.title.clone()),
            currency: fund.details.currency.clone(),
            amount_awarded: number(awarded)?,
            amount_disbursed: number(paid)?,
            amount_applied_for: number(applied_for)?,
            from_open_call: "Yes".to_owned(),
            data_source: data_source.clone(),
            award_date: award_date.to_string(),
            planned_dates: vec![Event {
                start_date: start.to_string(),
                end_date: end.to_string(),
                duration: months,
            }],
            recipient_individual: None,
            recipient_organization: vec![Organization {
                id: recipient_id,
                name,
                charity_number: charity,
                company_number: company,
                postal_code: postcode,
                address_locality: address.map(|(town, _)| town),
                url: website,
            }],
            funding_organization: vec![Organization {
                id: funder.id.clone(),
                name: funder.name.clone(),
                charity_number: None,
                company_number: None,
                postal_code: None,
                address_locality: None,
                url: None,
            }],
            grant_programme: vec![Programme {
                code: format!(
                    "{}-{}",
                    fund.details.code,
                    component.as_str().to_ascii_uppercase()
                ),
                title: format!("{}: {round}", fund.details.name),
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
            date_modified: utc(modified).to_rfc3339(),
        });
    }
    Ok(export)
}

/// A paid claim: its id, what it claimed and was approved, when it was decided and last
/// changed, and its unit's board.
type PaidClaim = (
    i64,
    i64,
    Option<i64>,
    Option<NaiveDateTime>,
    NaiveDateTime,
    HealthBoard,
);

/// A family fund's paid claims as grants to individuals.
fn publish_claims(
    conn: &mut DbConnection,
    fund: &FundRow,
    prefix: &str,
    data_source: &str,
) -> Result<Export, ApiError> {
    let rows: Vec<PaidClaim> = claims::table
        .inner_join(stays::table.inner_join(units::table))
        .filter(stays::fund_id.eq(fund.id))
        .filter(claims::status.eq(ClaimStatus::Paid))
        .order(claims::id)
        .select((
            claims::id,
            claims::claimed_pence,
            claims::approved_pence,
            claims::decided_at,
            claims::updated_at,
            units::health_board,
        ))
        .load(conn)?;
    let money = |p: i64| Money::from_pence(p).map_err(ApiError::internal);
    let mut export = Export {
        grants: Vec::new(),
        amounts: Vec::new(),
        last_modified: None,
    };
    for (id, claimed, approved, decided_at, updated_at, board) in rows {
        let paid = money(approved.unwrap_or(0))?;
        let claimed = money(claimed)?;
        let award_date = decided_at.unwrap_or(updated_at).date();
        export.last_modified = export.last_modified.max(Some(updated_at));
        export.amounts.push((paid, paid, claimed));
        export.grants.push(Grant {
            id: grant_id(prefix, &crate::family::claim_model::claim_reference(id)),
            title: "A family's costs of visiting".to_owned(),
            description: format!(
                "{} pays back what a family spent on travel, food and somewhere to stay while visiting a mother in hospital.",
                fund.details.name
            ),
            currency: fund.details.currency.clone(),
            amount_awarded: number(paid)?,
            amount_disbursed: number(paid)?,
            amount_applied_for: number(claimed)?,
            from_open_call: "Yes".to_owned(),
            data_source: data_source.to_owned(),
            award_date: award_date.to_string(),
            planned_dates: Vec::new(),
            recipient_organization: Vec::new(),
            recipient_individual: Some(Person {
                id: format!("360G-{prefix}-IND-{id}"),
                name: "Individual Recipient".to_owned(),
            }),
            funding_organization: vec![Organization {
                id: fund.details.funder_org_id.clone(),
                name: fund.details.funder_name.clone(),
                charity_number: None,
                company_number: None,
                postal_code: None,
                address_locality: None,
                url: None,
            }],
            grant_programme: vec![Programme {
                code: fund.details.code.clone(),
                title: fund.details.name.clone(),
            }],
            beneficiary_location: vec![Location {
                name: board.name().to_owned(),
                geo_code: board.gss_code().to_owned(),
                geo_code_type: "HB".to_owned(),
            }],
            date_modified: utc(updated_at).to_rfc3339(),
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

/// The grants as CSV with the standard's column titles. Each beneficiary location has its own
/// numbered set of columns, as many sets as the grant with the most locations needs.
pub fn to_csv(export: &Export) -> Result<Vec<u8>, ApiError> {
    let sets = export
        .grants
        .iter()
        .map(|g| g.beneficiary_location.len())
        .max()
        .unwrap_or(0)
        .max(1);
    let mut titles: Vec<String> = [
        "Identifier",
        "Title",
        "Description",
        "Currency",
        "Amount Awarded",
        "Amount Disbursed",
        "Amount Applied For",
        "From An Open Call?",
        "Data Source",
        "Award Date",
        "Planned Dates:Start Date",
        "Planned Dates:End Date",
        "Planned Dates:Duration (months)",
        "Recipient Org:Identifier",
        "Recipient Org:Name",
        "Recipient Org:Charity Number",
        "Recipient Org:Company Number",
        "Recipient Org:Postal Code",
        "Recipient Org:City",
        "Recipient Org:Web Address",
        "Funding Org:Identifier",
        "Funding Org:Name",
        "Grant Programme:Code",
        "Grant Programme:Title",
        "Last Modified",
    ]
    .map(str::to_owned)
    .into();
    let individuals = export
        .grants
        .iter()
        .any(|g| g.recipient_individual.is_some());
    if individuals {
        titles.push("Recipient Ind:Identifier".to_owned());
        titles.push("Recipient Ind:Name".to_owned());
    }
    for i in 0..sets {
        titles.push(format!("Beneficiary Location:{i}:Name"));
        titles.push(format!("Beneficiary Location:{i}:Geographic Code"));
        titles.push(format!("Beneficiary Location:{i}:Geographic Code Type"));
    }
    let mut out = csv::Writer::from_writer(Vec::new());
    out.write_record(&titles).map_err(ApiError::internal)?;
    for (grant, (awarded, paid, applied)) in export.grants.iter().zip(&export.amounts) {
        let recipient = grant.recipient_organization.first();
        let dates = grant.planned_dates.first();
        let org =
            |f: fn(&Organization) -> Option<String>| recipient.and_then(f).unwrap_or_default();
        let mut record = vec![
            grant.id.clone(),
            csv_text(&grant.title),
            csv_text(&grant.description),
            grant.currency.clone(),
            awarded.to_string(),
            paid.to_string(),
            applied.to_string(),
            grant.from_open_call.clone(),
            grant.data_source.clone(),
            grant.award_date.clone(),
            dates.map(|d| d.start_date.clone()).unwrap_or_default(),
            dates.map(|d| d.end_date.clone()).unwrap_or_default(),
            dates.map(|d| d.duration.to_string()).unwrap_or_default(),
            org(|r| Some(r.id.clone())),
            org(|r| Some(csv_text(&r.name))),
            org(|r| r.charity_number.clone()),
            org(|r| r.company_number.clone()),
            org(|r| r.postal_code.clone()),
            org(|r| r.address_locality.as_deref().map(csv_text)),
            org(|r| r.url.clone()),
            grant.funding_organization[0].id.clone(),
            csv_text(&grant.funding_organization[0].name),
            grant.grant_programme[0].code.clone(),
            csv_text(&grant.grant_programme[0].title),
            grant.date_modified.clone(),
        ];
        if individuals {
            let person = grant.recipient_individual.as_ref();
            record.push(person.map(|p| p.id.clone()).unwrap_or_default());
            record.push(person.map(|p| p.name.clone()).unwrap_or_default());
        }
        for i in 0..sets {
            let location = grant.beneficiary_location.get(i);
            record.push(location.map(|l| l.name.clone()).unwrap_or_default());
            record.push(location.map(|l| l.geo_code.clone()).unwrap_or_default());
            record.push(
                location
                    .map(|l| l.geo_code_type.clone())
                    .unwrap_or_default(),
            );
        }
        out.write_record(&record).map_err(ApiError::internal)?;
    }
    out.into_inner().map_err(ApiError::internal)
}
