//! Rows of `funds` and `fund_years`, and the API shapes built from them.

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::db::schema::{fund_years, funds};
use crate::db::{DbConnection, children};
use crate::domain::clock::utc;
use crate::domain::vocabulary::FundKind;
use crate::domain::{FinancialYear, Money};
use crate::error::{ApiError, ErrorCode, Validator};

/// A stored fund: its checked details, and when it was created and last changed.
#[derive(Clone, Debug, Queryable, Selectable, Identifiable)]
#[diesel(table_name = funds)]
pub struct FundRow {
    pub id: i64,
    #[diesel(embed)]
    pub details: FundDetails,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Clone, Debug, Queryable)]
#[diesel(table_name = fund_years)]
pub struct FundYearRow {
    pub fund_id: i64,
    pub financial_year: String,
    pub limit_pence: i64,
    pub approved: bool,
    pub committed_pence: i64,
    pub paid_pence: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

/// An organisation named in open data: its name and its org-id.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OrganisationReference {
    /// The organisation's name.
    #[schema(min_length = 1, max_length = 200, pattern = r"\S")]
    pub name: String,
    /// Its identifier from the org-id.guide register: a list prefix and the identifier in that
    /// list, e.g. `GB-SC-SC040887` (Scottish charity) or `GB-GOR-PC390` (government body).
    #[schema(
        example = "GB-SC-SC040887",
        pattern = r"^\s*[A-Za-z]{2}-[A-Za-z0-9]+-\S+\s*$",
        max_length = 100
    )]
    pub org_id: String,
}

/// A fund as an administrator creates it.
#[derive(Clone, Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FundInput {
    /// The fund's name, 1 to 200 characters.
    #[schema(min_length = 1, max_length = 200, pattern = r"\S")]
    pub name: String,
    /// The prefix of every award reference (`PIMH` gives `PIMH-2021-0017`): 2 to 10 capital
    /// letters or digits, starting with a letter. Unique among funds.
    #[schema(example = "PIMH", pattern = r"^[A-Z][A-Z0-9]{1,9}$")]
    pub code: String,
    /// Who pays for the fund.
    pub funder: OrganisationReference,
    /// Who runs the fund.
    pub administrator: OrganisationReference,
    /// ISO 4217 currency code; only `GBP` is supported.
    #[serde(default = "default_currency")]
    #[schema(example = "GBP", pattern = "^GBP$")]
    pub currency: String,
    /// First day of the programme (`YYYY-MM-DD`).
    #[schema(value_type = String, format = Date, example = "2020-08-01")]
    pub programme_start: String,
    /// Last day of the programme (`YYYY-MM-DD`), not before its first day.
    #[schema(value_type = String, format = Date, example = "2023-03-31")]
    pub programme_end: String,
    /// How many women and families the programme aims to reach.
    #[schema(minimum = 0, maximum = 100_000_000, example = 11000)]
    pub reach_target: i64,
    /// `grants` (the default) funds organisations through rounds; `family_expenses` pays back
    /// families' costs claim by claim, at the rates of each year and within its units. It cannot
    /// change once the fund exists.
    #[serde(default)]
    pub kind: FundKind,
}

fn default_currency() -> String {
    "GBP".to_owned()
}

/// A partial update of a fund: absent fields stay as they are.
#[derive(Clone, Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FundPatch {
    #[schema(min_length = 1, max_length = 200, pattern = r"\S")]
    pub name: Option<String>,
    #[schema(pattern = r"^[A-Z][A-Z0-9]{1,9}$")]
    pub code: Option<String>,
    pub funder: Option<OrganisationReference>,
    pub administrator: Option<OrganisationReference>,
    #[schema(pattern = "^GBP$")]
    pub currency: Option<String>,
    #[schema(value_type = Option<String>, format = Date)]
    pub programme_start: Option<String>,
    #[schema(value_type = Option<String>, format = Date)]
    pub programme_end: Option<String>,
    #[schema(minimum = 0, maximum = 100_000_000)]
    pub reach_target: Option<i64>,
}

impl FundInput {
    /// The stored values, as input for applying a patch.
    pub fn from_stored(details: &FundDetails) -> Self {
        FundInput {
            name: details.name.clone(),
            code: details.code.clone(),
            funder: details.funder(),
            administrator: details.administrator(),
            currency: details.currency.clone(),
            programme_start: details.programme_start.to_string(),
            programme_end: details.programme_end.to_string(),
            reach_target: details.reach_target,
            kind: details.kind,
        }
    }

    pub fn apply(mut self, patch: FundPatch) -> Self {
        if let Some(v) = patch.name {
            self.name = v;
        }
        if let Some(v) = patch.code {
            self.code = v;
        }
        if let Some(v) = patch.funder {
            self.funder = v;
        }
        if let Some(v) = patch.administrator {
            self.administrator = v;
        }
        if let Some(v) = patch.currency {
            self.currency = v;
        }
        if let Some(v) = patch.programme_start {
            self.programme_start = v;
        }
        if let Some(v) = patch.programme_end {
            self.programme_end = v;
        }
        if let Some(v) = patch.reach_target {
            self.reach_target = v;
        }
        self
    }
}

/// Checked fund details, as they are stored: what each field holds is what
/// [`FundDetails::parse`] lets through.
#[derive(Clone, Debug, PartialEq, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = funds)]
pub struct FundDetails {
    /// Trimmed, 1 to 200 characters.
    pub name: String,
    /// 2 to 10 capital letters or digits, starting with a letter.
    pub code: String,
    /// The funder and the administrator: a name of 1 to 200 characters and an org-id in
    /// capitals (country, list, identifier).
    pub funder_name: String,
    pub funder_org_id: String,
    pub administrator_name: String,
    pub administrator_org_id: String,
    /// `GBP`, the only currency supported.
    pub currency: String,
    /// Between 2000 and 2098, and not after `programme_end`.
    pub programme_start: NaiveDate,
    pub programme_end: NaiveDate,
    /// From 0 to 100,000,000 women and families.
    pub reach_target: i64,
    pub kind: FundKind,
}

fn parse_reference(
    v: &mut Validator,
    field: &str,
    input: &OrganisationReference,
) -> Option<OrganisationReference> {
    let name = v.text(&format!("{field}.name"), &input.name, 1, 200);
    let org_id = input.org_id.trim();
    let mut parts = org_id.splitn(3, '-');
    let well_formed = matches!(
        (parts.next(), parts.next(), parts.next()),
        (Some(country), Some(list), Some(id))
            if country.len() == 2
                && country.bytes().all(|b| b.is_ascii_alphabetic())
                && !list.is_empty()
                && list.bytes().all(|b| b.is_ascii_alphanumeric())
                && !id.is_empty()
                && !id.chars().any(char::is_whitespace)
    ) && org_id.len() <= 100;
    if !well_formed {
        v.error(
            format!("{field}.org_id"),
            "must be an org-id such as GB-SC-SC040887 (country, list, identifier)",
        );
    }
    Some(OrganisationReference {
        name: name?,
        org_id: well_formed.then(|| org_id.to_ascii_uppercase())?,
    })
}

impl FundDetails {
    pub fn parse(input: &FundInput, v: &mut Validator) -> Option<Self> {
        let name = v.text("name", &input.name, 1, 200);
        let code = input.code.trim();
        let code_ok = (2..=10).contains(&code.len())
            && code.bytes().next().is_some_and(|b| b.is_ascii_uppercase())
            && code
                .bytes()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit());
        v.ensure(
            code_ok,
            "code",
            "must be 2 to 10 capital letters or digits, starting with a letter",
        );
        let funder = parse_reference(v, "funder", &input.funder);
        let administrator = parse_reference(v, "administrator", &input.administrator);
        let currency_ok = input.currency.trim() == "GBP";
        v.ensure(
            currency_ok,
            "currency",
            "must be GBP, the only currency supported",
        );
        let start = v.date("programme_start", &input.programme_start);
        let end = v.date("programme_end", &input.programme_end);
        if let (Some(start), Some(end)) = (start, end)
            && end < start
        {
            v.error("programme_end", "must not be before programme_start");
        }
        for (field, date) in [("programme_start", start), ("programme_end", end)] {
            if let Some(date) = date
                && FinancialYear::containing(date).is_err()
            {
                v.error(field, "must fall between 2000 and 2098");
            }
        }
        let reach_target = v.count("reach_target", input.reach_target, 0..=100_000_000);
        let (funder, administrator) = (funder?, administrator?);
        Some(FundDetails {
            name: name?,
            code: code_ok.then(|| code.to_owned())?,
            funder_name: funder.name,
            funder_org_id: funder.org_id,
            administrator_name: administrator.name,
            administrator_org_id: administrator.org_id,
            currency: currency_ok.then(|| "GBP".to_owned())?,
            programme_start: start?,
            programme_end: end?,
            reach_target: reach_target?,
            kind: input.kind,
        })
    }

    /// Reads a financial year named by a request, which must overlap the programme; failures
    /// go to `v` as `financial_year`.
    pub fn programme_year(&self, v: &mut Validator, text: &str) -> Option<FinancialYear> {
        let year = v.check("financial_year", FinancialYear::parse(text))?;
        if !year.overlaps(self.programme_start, self.programme_end) {
            v.error(
                "financial_year",
                format!(
                    "is outside the programme ({} to {})",
                    self.programme_start, self.programme_end
                ),
            );
            return None;
        }
        Some(year)
    }

    /// The financial years the programme touches.
    pub fn financial_years(&self) -> Vec<FinancialYear> {
        FinancialYear::spanning(self.programme_start, self.programme_end)
    }
}

/// One financial year of a fund: its limit and where the money stands.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct FundYear {
    pub financial_year: FinancialYear,
    /// The most that awards may commit in this year.
    pub limit: Money,
    /// Whether the funder has approved this year's budget; awards need it.
    pub approved: bool,
    /// The sum of instalments awarded in this year and not given back.
    pub committed: Money,
    /// What has been released to grant holders.
    pub paid: Money,
    /// `limit - committed`.
    pub remaining: Money,
}

/// The limit and approval of one financial year.
#[derive(Clone, Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FundYearInput {
    /// The most that awards may commit in this year. Never below what is already committed.
    #[schema(value_type = Money)]
    pub limit: String,
    /// Whether the funder has approved this year's budget.
    pub approved: bool,
}

/// A fund as the API shows it.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct Fund {
    pub id: i64,
    pub name: String,
    /// The prefix of award references.
    pub code: String,
    pub funder: OrganisationReference,
    pub administrator: OrganisationReference,
    pub currency: String,
    pub programme_start: NaiveDate,
    pub programme_end: NaiveDate,
    /// How many women and families the programme aims to reach.
    pub reach_target: i64,
    /// `grants` or `family_expenses`.
    pub kind: FundKind,
    /// The years that have a limit, in order.
    pub financial_years: Vec<FundYear>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl FundRow {
    /// 409 `fund_kind_mismatch` unless the fund is of `kind`: rounds belong to grant funds,
    /// units and rates to family-expenses funds.
    pub fn ensure_kind(&self, kind: FundKind) -> Result<(), ApiError> {
        if self.details.kind == kind {
            return Ok(());
        }
        Err(ApiError::conflict(
            ErrorCode::FundKindMismatch,
            match kind {
                FundKind::Grants => {
                    "This fund pays back families' expenses claim by claim: it has no rounds."
                }
                FundKind::FamilyExpenses => {
                    "This fund runs grants to organisations: only a family-expenses fund has units and rates."
                }
            },
        ))
    }

    pub fn find(conn: &mut DbConnection, id: i64) -> Result<FundRow, ApiError> {
        Ok(funds::table
            .find(id)
            .select(FundRow::as_select())
            .first(conn)?)
    }

    pub fn into_api(self, financial_years: Vec<FundYear>) -> Fund {
        let details = self.details;
        Fund {
            funder: details.funder(),
            administrator: details.administrator(),
            id: self.id,
            name: details.name,
            code: details.code,
            currency: details.currency,
            programme_start: details.programme_start,
            programme_end: details.programme_end,
            reach_target: details.reach_target,
            kind: details.kind,
            financial_years,
            created_at: utc(self.created_at),
            updated_at: utc(self.updated_at),
        }
    }
}

impl FundDetails {
    pub fn funder(&self) -> OrganisationReference {
        OrganisationReference {
            name: self.funder_name.clone(),
            org_id: self.funder_org_id.clone(),
        }
    }

    pub fn administrator(&self) -> OrganisationReference {
        OrganisationReference {
            name: self.administrator_name.clone(),
            org_id: self.administrator_org_id.clone(),
        }
    }
}

impl FundYearRow {
    /// The years of a fund, in order.
    pub fn of_fund(conn: &mut DbConnection, fund_id: i64) -> Result<Vec<FundYearRow>, ApiError> {
        Ok(Self::of_funds(conn, &[fund_id])?
            .remove(&fund_id)
            .unwrap_or_default())
    }

    /// The years of several funds in one query, each fund's in order.
    pub fn of_funds(
        conn: &mut DbConnection,
        fund_ids: &[i64],
    ) -> Result<std::collections::HashMap<i64, Vec<FundYearRow>>, ApiError> {
        let rows: Vec<FundYearRow> = fund_years::table
            .filter(fund_years::fund_id.eq_any(fund_ids))
            .order((fund_years::fund_id, fund_years::financial_year))
            .load(conn)?;
        Ok(children::group(
            rows.into_iter().map(|row| (row.fund_id, row)),
        ))
    }

    pub fn find(
        conn: &mut DbConnection,
        fund_id: i64,
        year: FinancialYear,
    ) -> Result<Option<FundYearRow>, ApiError> {
        Ok(fund_years::table
            .find((fund_id, year.to_string()))
            .first(conn)
            .optional()?)
    }

    pub fn year(&self) -> Result<FinancialYear, ApiError> {
        FinancialYear::parse(&self.financial_year).map_err(|e| {
            ApiError::internal(format!(
                "fund {} has a malformed year {:?}: {e}",
                self.fund_id, self.financial_year
            ))
        })
    }

    pub fn into_api(self) -> Result<FundYear, ApiError> {
        let money = |pence| Money::from_pence(pence).map_err(ApiError::internal);
        Ok(FundYear {
            financial_year: self.year()?,
            limit: money(self.limit_pence)?,
            approved: self.approved,
            committed: money(self.committed_pence)?,
            paid: money(self.paid_pence)?,
            remaining: money((self.limit_pence - self.committed_pence).max(0))?,
        })
    }
}
