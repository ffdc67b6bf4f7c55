//! Rows of `directory_services` and its lists, the listing as its organisation sends it, and the
//! shapes the API answers: the organisation's own view (with its status) and the public entry.

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::db::schema::directory_services;
use crate::domain::identifiers::{Email, parse_phone, parse_website};
use crate::domain::vocabulary::{HealthBoard, ListingStatus, SupportType, TargetGroup};
use crate::error::Validator;

#[derive(Clone, Debug, Queryable, Selectable, Identifiable)]
#[diesel(table_name = directory_services)]
pub struct ServiceRow {
    pub id: i64,
    pub organisation_id: i64,
    pub name: String,
    pub offer: String,
    pub audience: String,
    pub referral: String,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub website: Option<String>,
    pub running: bool,
    pub status: ListingStatus,
    pub search_text: String,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub approved_at: Option<NaiveDateTime>,
    pub approved_by: Option<i64>,
}

/// A listing as its organisation sends it. Every field is checked together, so one answer
/// lists every problem.
#[derive(Clone, Debug, Default, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ServiceInput {
    /// The service's name, 1 to 200 characters.
    #[schema(
        example = "Bumps & Babies peer support",
        min_length = 1,
        max_length = 200
    )]
    pub name: String,
    /// What it offers, 1 to 2,000 characters.
    #[schema(min_length = 1, max_length = 2000)]
    pub offer: String,
    /// Who it is for, 1 to 1,000 characters.
    #[schema(min_length = 1, max_length = 1000)]
    pub audience: String,
    /// How a professional refers a family, or a family refers itself, 1 to 1,000 characters.
    #[schema(min_length = 1, max_length = 1000)]
    pub referral: String,
    /// A public telephone number: 10 to 15 digits (or a 3-digit number), with spaces,
    /// brackets, hyphens and a leading `+` allowed. At least one of `phone`, `email` and
    /// `website` is needed.
    #[serde(default)]
    #[schema(example = "01592 123456", max_length = 30)]
    pub phone: Option<String>,
    /// A public email address.
    #[serde(default)]
    #[schema(format = Email, max_length = 254)]
    pub email: Option<String>,
    /// A public website, `http` or `https`.
    #[serde(default)]
    #[schema(max_length = 500)]
    pub website: Option<String>,
    /// The towns it covers (up to 30), each 1 to 100 characters starting with a letter.
    #[serde(default, deserialize_with = "crate::wire::at_most::<_, _, 30>")]
    #[schema(max_items = 30)]
    pub towns: Vec<String>,
    /// The NHS health boards it covers (at least one).
    #[serde(deserialize_with = "crate::wire::at_most::<_, _, 14>")]
    #[schema(value_type = Vec<HealthBoard>, min_items = 1, max_items = 14)]
    pub health_boards: Vec<String>,
    /// The kinds of support it offers (at least one).
    #[serde(deserialize_with = "crate::wire::at_most::<_, _, 8>")]
    #[schema(value_type = Vec<SupportType>, min_items = 1, max_items = 8)]
    pub support_types: Vec<String>,
    /// The groups it is for (at least one).
    #[serde(deserialize_with = "crate::wire::at_most::<_, _, 10>")]
    #[schema(value_type = Vec<TargetGroup>, min_items = 1, max_items = 10)]
    pub target_groups: Vec<String>,
    /// The languages it is offered in (1 to 20), each 1 to 50 characters.
    #[serde(deserialize_with = "crate::wire::at_most::<_, _, 20>")]
    #[schema(example = json!(["English", "Polish"]), min_items = 1, max_items = 20)]
    pub languages: Vec<String>,
    /// Whether it is running now.
    pub running: bool,
    /// The organisation's funded awards (accepted or completed) that pay for it: at least one.
    #[serde(deserialize_with = "crate::wire::at_most::<_, _, 20>")]
    #[schema(min_items = 1, max_items = 20)]
    pub award_ids: Vec<i64>,
}

/// A checked listing.
#[derive(Clone, Debug, PartialEq)]
pub struct ServiceDetails {
    pub name: String,
    pub offer: String,
    pub audience: String,
    pub referral: String,
    pub running: bool,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub website: Option<String>,
    pub award_ids: Vec<i64>,
    pub towns: Vec<String>,
    pub languages: Vec<String>,
    pub health_boards: Vec<HealthBoard>,
    pub support_types: Vec<SupportType>,
    pub target_groups: Vec<TargetGroup>,
}

/// Parses a list of vocabulary values that must name at least one (`empty` says so otherwise).
fn parse_list<T>(v: &mut Validator, field: &str, items: &[String], empty: &str) -> Option<Vec<T>>
where
    T: std::str::FromStr + PartialEq + Ord,
    T::Err: std::fmt::Display,
{
    if items.is_empty() {
        v.error(field, empty);
        return None;
    }
    v.choices(field, items)
}

/// Checks each text of a list of names (towns, languages): trimmed, `1..=max` characters,
/// starting with a letter, none twice whatever its case.
fn parse_names(
    v: &mut Validator,
    field: &str,
    items: &[String],
    max: usize,
    empty: Option<&str>,
) -> Option<Vec<String>> {
    if let (Some(message), true) = (empty, items.is_empty()) {
        v.error(field, message);
        return None;
    }
    let mut names: Vec<String> = Vec::new();
    let mut ok = true;
    for (i, text) in items.iter().enumerate() {
        let item = format!("{field}[{i}]");
        match v.text(&item, text, 1, max) {
            Some(name) if !name.chars().next().is_some_and(char::is_alphabetic) => {
                v.error(item, "must start with a letter");
                ok = false;
            }
            Some(name)
                if names
                    .iter()
                    .any(|n| n.to_lowercase() == name.to_lowercase()) =>
            {
                v.error(item, "is listed twice");
                ok = false;
            }
            Some(name) => names.push(name),
            None => ok = false,
        }
    }
    names.sort_by_key(|n| n.to_lowercase());
    ok.then_some(names)
}

/// An optional text that is absent when blank.
fn given(text: &Option<String>) -> Option<&str> {
    text.as_deref().map(str::trim).filter(|t| !t.is_empty())
}

impl ServiceDetails {
    /// Checks every field of `input`, recording each problem in `v`; the awards are checked
    /// against the organisation's by the service.
    pub fn parse(input: &ServiceInput, v: &mut Validator) -> Option<ServiceDetails> {
        let name = v.text("name", &input.name, 1, 200);
        let offer = v.text("offer", &input.offer, 1, 2000);
        let audience = v.text("audience", &input.audience, 1, 1000);
        let referral = v.text("referral", &input.referral, 1, 1000);
        let phone = match given(&input.phone) {
            Some(p) => v.check("phone", parse_phone(p)).map(Some),
            None => Some(None),
        };
        let email = match given(&input.email) {
            Some(e) => v
                .check("email", Email::parse(e))
                .map(|e| Some(e.as_str().to_owned())),
            None => Some(None),
        };
        let website = match given(&input.website) {
            Some(w) => v.check("website", parse_website(w)).map(Some),
            None => Some(None),
        };
        if [&input.phone, &input.email, &input.website]
            .iter()
            .all(|c| given(c).is_none())
        {
            v.error(
                "phone",
                "Give at least one way to contact the service: a telephone number, an email address or a website",
            );
        }
        let towns = parse_names(v, "towns", &input.towns, 100, None);
        let health_boards = parse_list(
            v,
            "health_boards",
            &input.health_boards,
            "Choose at least one health board the service covers",
        );
        let support_types = parse_list(
            v,
            "support_types",
            &input.support_types,
            "Choose at least one kind of support",
        );
        let target_groups = parse_list(
            v,
            "target_groups",
            &input.target_groups,
            "Choose at least one group the service is for",
        );
        let languages = parse_names(
            v,
            "languages",
            &input.languages,
            50,
            Some("Give at least one language the service is offered in"),
        );
        let mut award_ids = input.award_ids.clone();
        award_ids.sort_unstable();
        award_ids.dedup();
        if award_ids.is_empty() {
            v.error(
                "award_ids",
                "Choose at least one of your grants that pays for it",
            );
        }
        Some(ServiceDetails {
            name: name?,
            offer: offer?,
            audience: audience?,
            referral: referral?,
            phone: phone?,
            email: email?,
            website: website?,
            towns: towns?,
            health_boards: health_boards?,
            support_types: support_types?,
            target_groups: target_groups?,
            languages: languages?,
            running: input.running,
            award_ids,
        })
    }

    /// The listing's words, lower-cased, as the search reads them.
    pub fn search_text(&self, organisation: &str) -> String {
        let mut words: Vec<String> = vec![
            self.name.clone(),
            organisation.to_owned(),
            self.offer.clone(),
            self.audience.clone(),
            self.referral.clone(),
        ];
        words.extend(self.towns.iter().cloned());
        words.extend(self.languages.iter().cloned());
        words.extend(self.health_boards.iter().map(|b| b.name().to_owned()));
        words.extend(
            self.support_types
                .iter()
                .map(|s| s.as_str().replace('_', " ")),
        );
        words.extend(
            self.target_groups
                .iter()
                .map(|t| t.as_str().replace('_', " ")),
        );
        words.join("\n").to_lowercase()
    }
}

/// A listing as its organisation and the administrators see it.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct Listing {
    pub id: i64,
    pub organisation_id: i64,
    pub organisation: String,
    /// `pending` until an administrator approves it, and again after every change; only an
    /// `approved` listing is in the public directory.
    pub status: ListingStatus,
    pub name: String,
    pub offer: String,
    pub audience: String,
    pub referral: String,
    pub towns: Vec<String>,
    pub health_boards: Vec<HealthBoard>,
    pub support_types: Vec<SupportType>,
    pub target_groups: Vec<TargetGroup>,
    pub languages: Vec<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub website: Option<String>,
    pub running: bool,
    /// The awards that fund it.
    pub award_ids: Vec<i64>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// When an administrator last approved it.
    pub approved_at: Option<DateTime<Utc>>,
}

/// An administrator's approval of a listing as they read it.
#[derive(Clone, Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Approval {
    /// The listing's `updated_at` as the administrator read it: the approval is of that version,
    /// and is refused with 409 `invalid_state` when the organisation has changed it since.
    #[schema(example = "2023-05-02T10:00:00Z")]
    pub updated_at: DateTime<Utc>,
}

/// How to contact a service.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct Contact {
    #[schema(example = "01592 123456")]
    pub phone: Option<String>,
    pub email: Option<String>,
    pub website: Option<String>,
}

/// One service of the public directory.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct DirectoryEntry {
    pub id: i64,
    pub name: String,
    /// The organisation that runs it.
    pub organisation: String,
    /// The organisation's Scottish Charity Number, when it has one.
    #[schema(example = "SC012345")]
    pub charity_number: Option<String>,
    /// The organisation's org-id as the 360Giving data names the recipient.
    #[schema(example = "GB-SC-SC012345")]
    pub recipient_org_id: String,
    /// The 360Giving ids of the grants that fund it, as the fund's 360Giving data has them.
    #[schema(example = json!(["360G-grantfund-PIMH-2021-0017"]))]
    pub grant_ids: Vec<String>,
    /// The references of the awards that fund it.
    pub award_references: Vec<String>,
    /// What it offers.
    pub offer: String,
    /// Who it is for.
    pub audience: String,
    /// How to refer a family, or to self-refer.
    pub referral: String,
    pub contact: Contact,
    /// The towns it covers.
    pub towns: Vec<String>,
    pub health_boards: Vec<HealthBoard>,
    /// The GSS codes of its health boards, in the same order.
    #[schema(example = json!(["S08000029"]))]
    pub health_board_codes: Vec<String>,
    pub support_types: Vec<SupportType>,
    pub target_groups: Vec<TargetGroup>,
    pub languages: Vec<String>,
    /// Whether it is running now.
    pub running: bool,
    /// When an administrator approved the listing as it stands.
    pub approved_at: DateTime<Utc>,
}
