//! Rows of `organisations` and `organisation_health_boards`, and the API shapes built from them.

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::db::schema::{organisation_health_boards, organisations};
use crate::db::{DbConnection, children};
use crate::domain::Money;
use crate::domain::clock::utc;
use crate::domain::identifiers::{CharityNumber, CompanyNumber, Email, Postcode, parse_website};
use crate::domain::vocabulary::{HealthBoard, OrganisationType};
use crate::error::{ApiError, Validator};
use crate::wire::present;

#[derive(Clone, Debug, Queryable, Identifiable)]
#[diesel(table_name = organisations)]
pub struct OrganisationRow {
    pub id: i64,
    pub name: String,
    pub organisation_type: OrganisationType,
    pub charity_number: Option<String>,
    pub company_number: Option<String>,
    pub annual_income_pence: i64,
    pub address: Option<String>,
    pub postcode: String,
    pub website: Option<String>,
    pub contact_email: String,
    pub verified: bool,
    pub verified_at: Option<NaiveDateTime>,
    pub verified_by: Option<i64>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub listed_in_directory: bool,
}

/// The fields of an organisation as a client sends them. Texts are checked all together by
/// [`OrganisationDetails::parse`], so one answer lists every problem.
#[derive(Clone, Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OrganisationInput {
    /// The organisation's name, 1 to 200 characters.
    #[schema(min_length = 1, max_length = 200, pattern = r"\S")]
    pub name: String,
    /// Legal form.
    #[serde(rename = "type")]
    #[schema(value_type = OrganisationType)]
    pub organisation_type: String,
    /// Scottish Charity Number (`SC` + six digits); required for charities and SCIOs.
    #[serde(default)]
    #[schema(example = "SC012345", pattern = r"^\s*([Ss][Cc](\s*[0-9]){6})?\s*$")]
    pub charity_number: Option<String>,
    /// Companies House number; required for companies limited by guarantee.
    #[serde(default)]
    #[schema(pattern = r"^\s*([0-9]{8}|[A-Za-z]{2}[0-9]{6})?\s*$")]
    pub company_number: Option<String>,
    /// Income in the last financial year.
    #[schema(value_type = Money)]
    pub annual_income: String,
    /// Postal address, without the postcode. Blank optional fields count as absent.
    #[serde(default)]
    #[schema(max_length = 500)]
    pub address: Option<String>,
    /// UK postcode.
    #[schema(
        example = "KY1 1XX",
        pattern = r"^\s*[A-Za-z]{1,2}[0-9][A-Za-z0-9]?\s*[0-9][A-Za-z]{2}\s*$"
    )]
    pub postcode: String,
    /// NHS health boards whose areas the organisation serves (at least one).
    #[serde(deserialize_with = "crate::wire::at_most::<_, _, 14>")]
    #[schema(value_type = Vec<HealthBoard>, min_items = 1, max_items = 14)]
    pub health_boards: Vec<String>,
    /// Website, `http` or `https`.
    #[serde(default)]
    #[schema(
        pattern = r"^\s*$|^\s*[Hh][Tt][Tt][Pp][Ss]?://[^\s/]+",
        max_length = 500
    )]
    pub website: Option<String>,
    /// The organisation's contact email.
    #[schema(format = Email, max_length = 254)]
    pub contact_email: String,
    /// Whether the services it is funded for may be listed in the public directory (off until
    /// the organisation agrees).
    #[serde(default)]
    pub listed_in_directory: bool,
}

/// A partial update: absent fields stay as they are; `null` clears an optional field.
#[derive(Clone, Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OrganisationPatch {
    #[schema(min_length = 1, max_length = 200, pattern = r"\S")]
    pub name: Option<String>,
    #[serde(rename = "type")]
    #[schema(value_type = Option<OrganisationType>)]
    pub organisation_type: Option<String>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>, pattern = r"^\s*([Ss][Cc](\s*[0-9]){6})?\s*$")]
    pub charity_number: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>, pattern = r"^\s*([0-9]{8}|[A-Za-z]{2}[0-9]{6})?\s*$")]
    pub company_number: Option<Option<String>>,
    #[schema(value_type = Option<Money>)]
    pub annual_income: Option<String>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>, max_length = 500)]
    pub address: Option<Option<String>>,
    #[schema(pattern = r"^\s*[A-Za-z]{1,2}[0-9][A-Za-z0-9]?\s*[0-9][A-Za-z]{2}\s*$")]
    pub postcode: Option<String>,
    #[serde(
        default,
        deserialize_with = "crate::wire::optional_at_most::<_, _, 14>"
    )]
    #[schema(value_type = Option<Vec<HealthBoard>>, min_items = 1, max_items = 14)]
    pub health_boards: Option<Vec<String>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>, pattern = r"^\s*$|^\s*[Hh][Tt][Tt][Pp][Ss]?://[^\s/]+", max_length = 500)]
    pub website: Option<Option<String>>,
    #[schema(format = Email, max_length = 254)]
    pub contact_email: Option<String>,
    pub listed_in_directory: Option<bool>,
}

impl OrganisationInput {
    /// The current values of a stored organisation, as input for applying a patch.
    pub fn from_stored(row: &OrganisationRow, boards: &[HealthBoard]) -> Self {
        OrganisationInput {
            name: row.name.clone(),
            organisation_type: row.organisation_type.as_str().to_owned(),
            charity_number: row.charity_number.clone(),
            company_number: row.company_number.clone(),
            annual_income: Money::from_pence(row.annual_income_pence)
                .unwrap_or_default()
                .to_string(),
            address: row.address.clone(),
            postcode: row.postcode.clone(),
            health_boards: boards.iter().map(|b| b.as_str().to_owned()).collect(),
            website: row.website.clone(),
            contact_email: row.contact_email.clone(),
            listed_in_directory: row.listed_in_directory,
        }
    }

    pub fn apply(mut self, patch: OrganisationPatch) -> Self {
        if let Some(v) = patch.name {
            self.name = v;
        }
        if let Some(v) = patch.organisation_type {
            self.organisation_type = v;
        }
        if let Some(v) = patch.charity_number {
            self.charity_number = v;
        }
        if let Some(v) = patch.company_number {
            self.company_number = v;
        }
        if let Some(v) = patch.annual_income {
            self.annual_income = v;
        }
        if let Some(v) = patch.address {
            self.address = v;
        }
        if let Some(v) = patch.postcode {
            self.postcode = v;
        }
        if let Some(v) = patch.health_boards {
            self.health_boards = v;
        }
        if let Some(v) = patch.website {
            self.website = v;
        }
        if let Some(v) = patch.listed_in_directory {
            self.listed_in_directory = v;
        }
        if let Some(v) = patch.contact_email {
            self.contact_email = v;
        }
        self
    }
}

/// Checked organisation details.
#[derive(Clone, Debug, PartialEq)]
pub struct OrganisationDetails {
    pub name: String,
    pub organisation_type: OrganisationType,
    pub charity_number: Option<CharityNumber>,
    pub company_number: Option<CompanyNumber>,
    pub annual_income: Money,
    pub address: Option<String>,
    pub postcode: Postcode,
    pub health_boards: Vec<HealthBoard>,
    pub website: Option<String>,
    pub contact_email: Email,
    pub listed_in_directory: bool,
}

impl OrganisationDetails {
    /// Checks every field, recording each failure under `prefix` + field name.
    pub fn parse(input: &OrganisationInput, prefix: &str, v: &mut Validator) -> Option<Self> {
        let field = |name: &str| format!("{prefix}{name}");
        let blank_to_none = |s: &Option<String>| {
            s.as_deref()
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
        };

        let name = v.text(&field("name"), &input.name, 1, 200);
        let organisation_type = v.check(
            field("type"),
            input.organisation_type.parse::<OrganisationType>(),
        );
        let charity_number = match blank_to_none(&input.charity_number) {
            Some(text) => v
                .check(field("charity_number"), CharityNumber::parse(&text))
                .map(Some),
            None => Some(None),
        };
        let company_number = match blank_to_none(&input.company_number) {
            Some(text) => v
                .check(field("company_number"), CompanyNumber::parse(&text))
                .map(Some),
            None => Some(None),
        };
        match organisation_type {
            Some(OrganisationType::Charity | OrganisationType::Scio)
                if blank_to_none(&input.charity_number).is_none() =>
            {
                v.error(field("charity_number"), "is required for a charity or SCIO");
            }
            Some(OrganisationType::CompanyLimitedByGuarantee)
                if blank_to_none(&input.company_number).is_none() =>
            {
                v.error(
                    field("company_number"),
                    "is required for a company limited by guarantee",
                );
            }
            _ => {}
        }
        let annual_income = v.money(field("annual_income"), &input.annual_income);
        let address = v.optional_text(&field("address"), input.address.as_deref(), 500);
        let postcode = v.check(field("postcode"), Postcode::parse(&input.postcode));
        let mut boards = Vec::new();
        for (i, text) in input.health_boards.iter().enumerate() {
            if let Some(board) = v.check(
                format!("{}[{i}]", field("health_boards")),
                text.parse::<HealthBoard>(),
            ) {
                if boards.contains(&board) {
                    v.error(
                        format!("{}[{i}]", field("health_boards")),
                        "is listed twice",
                    );
                } else {
                    boards.push(board);
                }
            }
        }
        v.ensure(
            !input.health_boards.is_empty(),
            field("health_boards"),
            "must name at least one health board",
        );
        boards.sort();
        let website = match blank_to_none(&input.website) {
            Some(text) => v.check(field("website"), parse_website(&text)).map(Some),
            None => Some(None),
        };
        let contact_email = v.check(field("contact_email"), Email::parse(&input.contact_email));

        Some(OrganisationDetails {
            name: name?,
            organisation_type: organisation_type?,
            charity_number: charity_number?,
            company_number: company_number?,
            annual_income: annual_income?,
            address: address?,
            postcode: postcode?,
            health_boards: boards,
            website: website?,
            contact_email: contact_email?,
            listed_in_directory: input.listed_in_directory,
        })
    }

    /// Fields whose change undoes due diligence: who the organisation legally is.
    pub fn identity(&self) -> (&str, OrganisationType, Option<&str>, Option<&str>) {
        (
            &self.name,
            self.organisation_type,
            self.charity_number.as_ref().map(CharityNumber::as_str),
            self.company_number.as_ref().map(CompanyNumber::as_str),
        )
    }
}

#[derive(Insertable, AsChangeset)]
#[diesel(table_name = organisations, treat_none_as_null = true)]
pub struct OrganisationFields<'a> {
    pub name: &'a str,
    pub organisation_type: OrganisationType,
    pub charity_number: Option<&'a str>,
    pub company_number: Option<&'a str>,
    pub annual_income_pence: i64,
    pub address: Option<&'a str>,
    pub postcode: &'a str,
    pub website: Option<&'a str>,
    pub contact_email: &'a str,
    pub listed_in_directory: bool,
    pub updated_at: NaiveDateTime,
}

impl<'a> OrganisationFields<'a> {
    pub fn new(d: &'a OrganisationDetails, now: NaiveDateTime) -> Self {
        OrganisationFields {
            name: &d.name,
            organisation_type: d.organisation_type,
            charity_number: d.charity_number.as_ref().map(CharityNumber::as_str),
            company_number: d.company_number.as_ref().map(CompanyNumber::as_str),
            annual_income_pence: d.annual_income.pence(),
            address: d.address.as_deref(),
            postcode: d.postcode.as_str(),
            website: d.website.as_deref(),
            contact_email: d.contact_email.as_str(),
            listed_in_directory: d.listed_in_directory,
            updated_at: now,
        }
    }
}

/// An organisation as the API shows it.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct Organisation {
    pub id: i64,
    pub name: String,
    #[serde(rename = "type")]
    pub organisation_type: OrganisationType,
    pub charity_number: Option<String>,
    pub company_number: Option<String>,
    pub annual_income: Money,
    pub address: Option<String>,
    pub postcode: String,
    pub health_boards: Vec<HealthBoard>,
    pub website: Option<String>,
    /// The organisation's contact email; not shown to officials, who see no contact details.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub contact_email: Option<String>,
    /// Whether its funded services may appear in the public directory.
    pub listed_in_directory: bool,
    /// True once an administrator has completed due diligence; needed before an award.
    pub verified: bool,
    pub verified_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl OrganisationRow {
    pub fn find(conn: &mut DbConnection, id: i64) -> Result<OrganisationRow, ApiError> {
        Ok(organisations::table.find(id).first(conn)?)
    }

    pub fn health_boards(conn: &mut DbConnection, id: i64) -> Result<Vec<HealthBoard>, ApiError> {
        Ok(Self::health_boards_of(conn, &[id])?
            .remove(&id)
            .unwrap_or_default())
    }

    /// The health boards of several organisations in one query.
    pub fn health_boards_of(
        conn: &mut DbConnection,
        ids: &[i64],
    ) -> Result<std::collections::HashMap<i64, Vec<HealthBoard>>, ApiError> {
        let pairs: Vec<(i64, HealthBoard)> = organisation_health_boards::table
            .filter(organisation_health_boards::organisation_id.eq_any(ids))
            .select((
                organisation_health_boards::organisation_id,
                organisation_health_boards::health_board,
            ))
            .order((
                organisation_health_boards::organisation_id,
                organisation_health_boards::health_board,
            ))
            .load(conn)?;
        Ok(children::group(pairs))
    }

    pub fn set_health_boards(
        conn: &mut DbConnection,
        id: i64,
        boards: &[HealthBoard],
    ) -> Result<(), ApiError> {
        diesel::delete(
            organisation_health_boards::table
                .filter(organisation_health_boards::organisation_id.eq(id)),
        )
        .execute(conn)?;
        for board in boards {
            diesel::insert_into(organisation_health_boards::table)
                .values((
                    organisation_health_boards::organisation_id.eq(id),
                    organisation_health_boards::health_board.eq(board),
                ))
                .execute(conn)?;
        }
        Ok(())
    }

    pub fn into_api(self, health_boards: Vec<HealthBoard>) -> Result<Organisation, ApiError> {
        Ok(Organisation {
            id: self.id,
            name: self.name,
            organisation_type: self.organisation_type,
            charity_number: self.charity_number,
            company_number: self.company_number,
            annual_income: Money::from_pence(self.annual_income_pence)
                .map_err(ApiError::internal)?,
            address: self.address,
            postcode: self.postcode,
            health_boards,
            website: self.website,
            contact_email: Some(self.contact_email),
            listed_in_directory: self.listed_in_directory,
            verified: self.verified,
            verified_at: self.verified_at.map(utc),
            created_at: utc(self.created_at),
            updated_at: utc(self.updated_at),
        })
    }
}
