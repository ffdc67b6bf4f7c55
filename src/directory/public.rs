//! The public directory: approved listings of organisations that agreed to be public
//! (`listed_in_directory`), searched and filtered as families and the professionals who refer
//! them look for a service, and the whole of it as open data under its licence.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;

use crate::db::DbConnection;
use crate::db::schema::{directory_service_items, directory_services, organisations};
use crate::directory::model::{Contact, DirectoryEntry, ServiceRow};
use crate::directory::service::{AwardLink, PUBLISHED, awards_of, lists_of};
use crate::domain::clock::utc;
use crate::domain::vocabulary::{HealthBoard, ListingStatus, SupportType, TargetGroup};
use crate::error::ApiError;
use crate::reports::open_data::{Licence, OPEN_GOVERNMENT_LICENCE, grant_id, org_id};
use crate::wire::paging::{Page, Paged};
use crate::wire::{csv_text, like_containing};

/// Filters for the public directory.
#[derive(Debug, Default, Clone)]
pub struct DirectoryFilter {
    /// Every word must appear in the listing (its name, organisation, what it offers, who it is
    /// for, how to refer, towns, languages, boards, kinds of support and groups).
    pub words: Vec<String>,
    pub health_board: Option<HealthBoard>,
    pub support_type: Option<SupportType>,
    pub target_group: Option<TargetGroup>,
    /// Services not running now too; otherwise only running ones.
    pub include_not_running: bool,
}

impl DirectoryFilter {
    /// The words of a search text, lower-cased; at most ten.
    pub fn words_of(text: &str) -> Vec<String> {
        text.split_whitespace()
            .take(10)
            .map(str::to_lowercase)
            .collect()
    }
}

/// The organisation of a public entry: name, charity number and company number.
type Runner = (String, Option<String>, Option<String>);

/// The public listings the filter selects, or every one: approved, of organisations that agreed
/// to be public.
#[diesel::dsl::auto_type(no_type_alias)]
fn public_base() -> _ {
    let approved: ListingStatus = ListingStatus::Approved;
    directory_services::table
        .inner_join(organisations::table)
        .filter(directory_services::status.eq(approved))
        .filter(organisations::listed_in_directory.eq(true))
}

fn entries(
    conn: &mut DbConnection,
    prefix: &str,
    rows: Vec<(ServiceRow, Runner)>,
) -> Result<Vec<DirectoryEntry>, ApiError> {
    let ids: Vec<i64> = rows.iter().map(|(r, _)| r.id).collect();
    let mut lists = lists_of(conn, &ids)?;
    let mut links = awards_of(conn, &ids)?;
    Ok(rows
        .into_iter()
        .map(|(row, (organisation, charity, company))| {
            let lists = lists.remove(&row.id).unwrap_or_default();
            let awards: Vec<AwardLink> = links
                .remove(&row.id)
                .unwrap_or_default()
                .into_iter()
                .filter(|(_, _, status)| PUBLISHED.contains(status))
                .collect();
            DirectoryEntry {
                id: row.id,
                name: row.name,
                recipient_org_id: org_id(
                    prefix,
                    row.organisation_id,
                    charity.as_deref(),
                    company.as_deref(),
                ),
                organisation,
                charity_number: charity,
                grant_ids: awards
                    .iter()
                    .map(|(_, reference, _)| grant_id(prefix, reference))
                    .collect(),
                award_references: awards.into_iter().map(|(_, r, _)| r).collect(),
                offer: row.offer,
                audience: row.audience,
                referral: row.referral,
                contact: Contact {
                    phone: row.phone,
                    email: row.email,
                    website: row.website,
                },
                towns: lists.towns,
                health_board_codes: lists
                    .health_boards
                    .iter()
                    .map(|b| b.gss_code().to_owned())
                    .collect(),
                health_boards: lists.health_boards,
                support_types: lists.support_types,
                target_groups: lists.target_groups,
                languages: lists.languages,
                running: row.running,
                approved_at: utc(row.approved_at.unwrap_or(row.updated_at)),
            }
        })
        .collect())
}

fn runner() -> (
    organisations::name,
    organisations::charity_number,
    organisations::company_number,
) {
    (
        organisations::name,
        organisations::charity_number,
        organisations::company_number,
    )
}

/// The public directory: approved listings of organisations that agreed to be public, running
/// ones only unless asked, by name.
pub fn public_list(
    conn: &mut DbConnection,
    prefix: &str,
    filter: &DirectoryFilter,
    page: Page,
) -> Result<Paged<DirectoryEntry>, ApiError> {
    let query = || {
        let mut q = public_base().into_boxed();
        if !filter.include_not_running {
            q = q.filter(directory_services::running.eq(true));
        }
        for (list, value) in [
            ("health_board", filter.health_board.map(HealthBoard::as_str)),
            ("support_type", filter.support_type.map(SupportType::as_str)),
            ("target_group", filter.target_group.map(TargetGroup::as_str)),
        ] {
            if let Some(value) = value {
                q = q.filter(
                    directory_services::id.eq_any(
                        directory_service_items::table
                            .filter(directory_service_items::list.eq(list))
                            .filter(directory_service_items::value.eq(value))
                            .select(directory_service_items::service_id),
                    ),
                );
            }
        }
        for word in &filter.words {
            q = q.filter(
                directory_services::search_text
                    .like(like_containing(word))
                    .escape('\\'),
            );
        }
        q
    };
    let (total, rows): (i64, Vec<(ServiceRow, Runner)>) = page.load(
        conn,
        query().count(),
        query()
            .order((directory_services::name, directory_services::id))
            .select((directory_services::all_columns, runner())),
    )?;
    let items = entries(conn, prefix, rows)?;
    Ok(page.wrap(items, total))
}

/// One service of the public directory, running or not; 404 unless it is public.
pub fn public_get(
    conn: &mut DbConnection,
    prefix: &str,
    id: i64,
) -> Result<DirectoryEntry, ApiError> {
    let rows: Vec<(ServiceRow, Runner)> = public_base()
        .filter(directory_services::id.eq(id))
        .select((directory_services::all_columns, runner()))
        .load(conn)?;
    entries(conn, prefix, rows)?.pop().ok_or(ApiError::NotFound)
}

/// The whole public directory, running or not, by name: what the downloads hold.
pub fn public_all(conn: &mut DbConnection, prefix: &str) -> Result<Vec<DirectoryEntry>, ApiError> {
    let rows: Vec<(ServiceRow, Runner)> = public_base()
        .order((directory_services::name, directory_services::id))
        .select((directory_services::all_columns, runner()))
        .load(conn)?;
    entries(conn, prefix, rows)
}

/// When the downloads last changed: the latest approval or change of a listing that has been
/// public (a change takes it out), and the latest change to the organisations of those listings
/// (their names, numbers and consent are part of each entry).
pub fn last_changed(conn: &mut DbConnection) -> Result<Option<NaiveDateTime>, ApiError> {
    let once_public =
        || directory_services::table.filter(directory_services::approved_at.is_not_null());
    let changed: Option<NaiveDateTime> = once_public()
        .select(diesel::dsl::max(directory_services::updated_at))
        .first(conn)?;
    let approved: Option<NaiveDateTime> = once_public()
        .select(diesel::dsl::max(directory_services::approved_at))
        .first(conn)?;
    let runners: Option<NaiveDateTime> = organisations::table
        .filter(organisations::id.eq_any(once_public().select(directory_services::organisation_id)))
        .select(diesel::dsl::max(organisations::updated_at))
        .first(conn)?;
    Ok(changed.max(approved).max(runners))
}

/// The JSON download: the licence and every public service.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct DirectoryDownload<'a> {
    pub licence: Licence,
    #[schema(value_type = Vec<DirectoryEntry>)]
    pub services: &'a [DirectoryEntry],
}

/// The whole directory as JSON, with its licence.
pub fn to_json(entries: &[DirectoryEntry]) -> Result<String, ApiError> {
    serde_json::to_string(&DirectoryDownload {
        licence: OPEN_GOVERNMENT_LICENCE,
        services: entries,
    })
    .map_err(ApiError::internal)
}

/// The whole directory as CSV: one row a service, lists joined with `; `.
pub fn to_csv(entries: &[DirectoryEntry]) -> Result<Vec<u8>, ApiError> {
    let mut out = csv::Writer::from_writer(Vec::new());
    out.write_record([
        "id",
        "name",
        "organisation",
        "charity_number",
        "recipient_org_id",
        "grant_ids",
        "offer",
        "audience",
        "referral",
        "phone",
        "email",
        "website",
        "towns",
        "health_boards",
        "health_board_codes",
        "support_types",
        "target_groups",
        "languages",
        "running",
        "approved_at",
    ])
    .map_err(ApiError::internal)?;
    let join = |items: Vec<String>| csv_text(&items.join("; "));
    for e in entries {
        out.write_record([
            e.id.to_string(),
            csv_text(&e.name),
            csv_text(&e.organisation),
            e.charity_number.clone().unwrap_or_default(),
            e.recipient_org_id.clone(),
            e.grant_ids.join("; "),
            csv_text(&e.offer),
            csv_text(&e.audience),
            csv_text(&e.referral),
            csv_text(e.contact.phone.as_deref().unwrap_or_default()),
            csv_text(e.contact.email.as_deref().unwrap_or_default()),
            csv_text(e.contact.website.as_deref().unwrap_or_default()),
            join(e.towns.clone()),
            join(
                e.health_boards
                    .iter()
                    .map(|b| b.name().to_owned())
                    .collect(),
            ),
            e.health_board_codes.join("; "),
            join(
                e.support_types
                    .iter()
                    .map(|s| s.as_str().to_owned())
                    .collect(),
            ),
            join(
                e.target_groups
                    .iter()
                    .map(|t| t.as_str().to_owned())
                    .collect(),
            ),
            join(e.languages.clone()),
            e.running.to_string(),
            e.approved_at.to_rfc3339(),
        ])
        .map_err(ApiError::internal)?;
    }
    out.into_inner().map_err(ApiError::internal)
}
