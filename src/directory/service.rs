//! Rules for the directory: an organisation keeps a listing for each service its awards fund,
//! an administrator approves it, and only approved listings of organisations that agreed to be
//! public (`listed_in_directory`) are in the public directory.
//!
//! Every change an organisation makes to a listing sends it back to `pending`: it leaves the
//! public directory until an administrator approves it again, so that the public never reads
//! words nobody has checked. Creating, changing and approving are audited.

use std::collections::HashMap;

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde_json::{Value, json};

use crate::audit::{self, Change};
use crate::caller::CurrentUser;
use crate::db::schema::{
    awards, directory_service_awards, directory_service_items, directory_services, organisations,
};
use crate::db::{DbConnection, write_transaction};
use crate::directory::model::{Approval, Listing, ServiceDetails, ServiceInput, ServiceRow};
use crate::domain::clock::utc;
use crate::domain::vocabulary::{
    AwardStatus, HealthBoard, ListingStatus, SupportType, TargetGroup,
};
use crate::error::{ApiError, ErrorCode, Validator};
use crate::permissions::Action;
use crate::wire::paging::{Page, Paged};

/// The columns an organisation's listing writes, each time as a listing waiting for approval.
/// A contact left out is written as `NULL`, so that clearing it clears it.
#[derive(Insertable, AsChangeset)]
#[diesel(table_name = directory_services, treat_none_as_null = true)]
struct Written<'a> {
    name: &'a str,
    offer: &'a str,
    audience: &'a str,
    referral: &'a str,
    phone: Option<&'a str>,
    email: Option<&'a str>,
    website: Option<&'a str>,
    running: bool,
    status: ListingStatus,
    search_text: String,
}

impl<'a> Written<'a> {
    fn pending(details: &'a ServiceDetails, search_text: String) -> Self {
        Written {
            name: &details.name,
            offer: &details.offer,
            audience: &details.audience,
            referral: &details.referral,
            phone: details.phone.as_deref(),
            email: details.email.as_deref(),
            website: details.website.as_deref(),
            running: details.running,
            status: ListingStatus::Pending,
            search_text,
        }
    }
}

/// The awards a listing may name: the organisation's funded ones.
const FUNDED: [AwardStatus; 2] = [AwardStatus::Accepted, AwardStatus::Completed];

/// The awards whose grants are in the 360Giving data, so whose ids a public entry gives.
pub(super) const PUBLISHED: [AwardStatus; 3] = [
    AwardStatus::Accepted,
    AwardStatus::Completed,
    AwardStatus::Terminated,
];

/// The lists of a listing, as stored in `directory_service_items`.
#[derive(Clone, Debug, Default)]
pub(super) struct Lists {
    pub(super) towns: Vec<String>,
    pub(super) health_boards: Vec<HealthBoard>,
    pub(super) support_types: Vec<SupportType>,
    pub(super) target_groups: Vec<TargetGroup>,
    pub(super) languages: Vec<String>,
}

pub(super) fn lists_of(
    conn: &mut DbConnection,
    ids: &[i64],
) -> Result<HashMap<i64, Lists>, ApiError> {
    let rows: Vec<(i64, String, String)> = directory_service_items::table
        .filter(directory_service_items::service_id.eq_any(ids))
        .order((
            directory_service_items::service_id,
            directory_service_items::list,
            directory_service_items::value,
        ))
        .load(conn)?;
    let mut by_service: HashMap<i64, Lists> = HashMap::new();
    for (id, list, value) in rows {
        let lists = by_service.entry(id).or_default();
        let known = |e: crate::domain::vocabulary::UnknownValue| ApiError::internal(e);
        match list.as_str() {
            "town" => lists.towns.push(value),
            "language" => lists.languages.push(value),
            "health_board" => lists.health_boards.push(value.parse().map_err(known)?),
            "support_type" => lists.support_types.push(value.parse().map_err(known)?),
            "target_group" => lists.target_groups.push(value.parse().map_err(known)?),
            other => return Err(ApiError::internal(format!("unknown list {other}"))),
        }
    }
    for lists in by_service.values_mut() {
        lists.towns.sort_by_key(|t| t.to_lowercase());
        lists.languages.sort_by_key(|l| l.to_lowercase());
        lists.health_boards.sort();
        lists.support_types.sort();
        lists.target_groups.sort();
    }
    Ok(by_service)
}

/// Each listing's awards: id, reference and status, by id.
pub(super) type AwardLink = (i64, String, AwardStatus);

pub(super) fn awards_of(
    conn: &mut DbConnection,
    ids: &[i64],
) -> Result<HashMap<i64, Vec<AwardLink>>, ApiError> {
    let rows: Vec<(i64, i64, String, AwardStatus)> = directory_service_awards::table
        .inner_join(awards::table)
        .filter(directory_service_awards::service_id.eq_any(ids))
        .order((directory_service_awards::service_id, awards::reference))
        .select((
            directory_service_awards::service_id,
            awards::id,
            awards::reference,
            awards::status,
        ))
        .load(conn)?;
    Ok(crate::db::children::group(rows.into_iter().map(
        |(service, award, reference, status)| (service, (award, reference, status)),
    )))
}

fn write_lists(conn: &mut DbConnection, id: i64, details: &ServiceDetails) -> Result<(), ApiError> {
    diesel::delete(
        directory_service_items::table.filter(directory_service_items::service_id.eq(id)),
    )
    .execute(conn)?;
    diesel::delete(
        directory_service_awards::table.filter(directory_service_awards::service_id.eq(id)),
    )
    .execute(conn)?;
    let mut items: Vec<(&str, String)> = Vec::new();
    items.extend(details.towns.iter().map(|t| ("town", t.clone())));
    items.extend(details.languages.iter().map(|l| ("language", l.clone())));
    items.extend(
        details
            .health_boards
            .iter()
            .map(|b| ("health_board", b.as_str().to_owned())),
    );
    items.extend(
        details
            .support_types
            .iter()
            .map(|s| ("support_type", s.as_str().to_owned())),
    );
    items.extend(
        details
            .target_groups
            .iter()
            .map(|t| ("target_group", t.as_str().to_owned())),
    );
    for (list, value) in items {
        diesel::insert_into(directory_service_items::table)
            .values((
                directory_service_items::service_id.eq(id),
                directory_service_items::list.eq(list),
                directory_service_items::value.eq(value),
            ))
            .execute(conn)?;
    }
    for award in &details.award_ids {
        diesel::insert_into(directory_service_awards::table)
            .values((
                directory_service_awards::service_id.eq(id),
                directory_service_awards::award_id.eq(*award),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// Records an error for every award of `input` that is not one of the organisation's funded
/// awards.
fn check_awards(
    conn: &mut DbConnection,
    v: &mut Validator,
    organisation_id: i64,
    input: &ServiceInput,
) -> Result<(), ApiError> {
    let funded: Vec<i64> = awards::table
        .filter(awards::organisation_id.eq(organisation_id))
        .filter(awards::status.eq_any(FUNDED))
        .filter(awards::id.eq_any(&input.award_ids))
        .select(awards::id)
        .load(conn)?;
    for (i, award) in input.award_ids.iter().enumerate() {
        if !funded.contains(award) {
            v.error(
                format!("award_ids[{i}]"),
                "Choose only your organisation's accepted or completed grants",
            );
        }
    }
    Ok(())
}

/// The listing as its organisation and the administrators see it.
fn listing(row: ServiceRow, organisation: String, lists: Lists, awards: Vec<AwardLink>) -> Listing {
    Listing {
        id: row.id,
        organisation_id: row.organisation_id,
        organisation,
        status: row.status,
        name: row.name,
        offer: row.offer,
        audience: row.audience,
        referral: row.referral,
        phone: row.phone,
        email: row.email,
        website: row.website,
        towns: lists.towns,
        health_boards: lists.health_boards,
        support_types: lists.support_types,
        target_groups: lists.target_groups,
        languages: lists.languages,
        running: row.running,
        award_ids: awards.into_iter().map(|(id, _, _)| id).collect(),
        created_at: utc(row.created_at),
        updated_at: utc(row.updated_at),
        approved_at: row.approved_at.map(utc),
    }
}

fn load_listing(conn: &mut DbConnection, id: i64) -> Result<Listing, ApiError> {
    let (row, organisation): (ServiceRow, String) = directory_services::table
        .inner_join(organisations::table)
        .filter(directory_services::id.eq(id))
        .select((directory_services::all_columns, organisations::name))
        .first(conn)?;
    let lists = lists_of(conn, &[id])?.remove(&id).unwrap_or_default();
    let awards = awards_of(conn, &[id])?.remove(&id).unwrap_or_default();
    Ok(listing(row, organisation, lists, awards))
}

/// What the audit trail keeps of a listing.
fn audited(listing: &Listing) -> Value {
    json!({
        "status": listing.status,
        "name": listing.name,
        "running": listing.running,
        "phone": listing.phone,
        "email": listing.email,
        "website": listing.website,
        "award_ids": listing.award_ids,
    })
}

/// The caller's organisation, for a change to its listings.
fn own_organisation(user: &CurrentUser) -> Result<i64, ApiError> {
    user.organisation_id.ok_or(ApiError::Forbidden)
}

/// Checks `input` for the organisation, every problem at once.
fn checked(
    conn: &mut DbConnection,
    organisation_id: i64,
    input: &ServiceInput,
) -> Result<ServiceDetails, ApiError> {
    let mut v = Validator::new();
    let details = ServiceDetails::parse(input, &mut v);
    check_awards(conn, &mut v, organisation_id, input)?;
    v.finish_with(|| details)
}

fn organisation_name(conn: &mut DbConnection, id: i64) -> Result<String, ApiError> {
    Ok(organisations::table
        .find(id)
        .select(organisations::name)
        .first(conn)?)
}

/// Lists a new service of the caller's organisation, pending approval.
pub fn create(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    user: &CurrentUser,
    input: &ServiceInput,
) -> Result<Listing, ApiError> {
    user.require(Action::EditDirectoryService)?;
    let organisation_id = own_organisation(user)?;
    write_transaction(conn, |conn| {
        let details = checked(conn, organisation_id, input)?;
        let search = details.search_text(&organisation_name(conn, organisation_id)?);
        let id: i64 = diesel::insert_into(directory_services::table)
            .values((
                directory_services::organisation_id.eq(organisation_id),
                Written::pending(&details, search),
                directory_services::created_at.eq(now),
                directory_services::updated_at.eq(now),
            ))
            .returning(directory_services::id)
            .get_result(conn)?;
        write_lists(conn, id, &details)?;
        let made = load_listing(conn, id)?;
        audit::record(
            conn,
            now,
            Change::by(user, "directory_service", id, "created").after(audited(&made)),
        )?;
        Ok(made)
    })
}

/// The stored listing as checked details, to tell whether a change changes anything.
fn details_of(listing: &Listing) -> ServiceDetails {
    ServiceDetails {
        name: listing.name.clone(),
        offer: listing.offer.clone(),
        audience: listing.audience.clone(),
        referral: listing.referral.clone(),
        phone: listing.phone.clone(),
        email: listing.email.clone(),
        website: listing.website.clone(),
        towns: listing.towns.clone(),
        health_boards: listing.health_boards.clone(),
        support_types: listing.support_types.clone(),
        target_groups: listing.target_groups.clone(),
        languages: listing.languages.clone(),
        running: listing.running,
        award_ids: listing.award_ids.clone(),
    }
}

/// Replaces a listing of the caller's organisation (404 for another's). A change sends it back
/// to pending, out of the public directory until approved again; sending it as it is changes
/// nothing.
pub fn update(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    user: &CurrentUser,
    id: i64,
    input: &ServiceInput,
) -> Result<Listing, ApiError> {
    user.require(Action::EditDirectoryService)?;
    let organisation_id = own_organisation(user)?;
    write_transaction(conn, |conn| {
        let before = visible(conn, user, id)?;
        if before.organisation_id != organisation_id {
            return Err(ApiError::NotFound);
        }
        let details = checked(conn, organisation_id, input)?;
        let mut stored = details_of(&before);
        stored.award_ids.sort_unstable();
        if stored == details {
            return Ok(before);
        }
        let search = details.search_text(&before.organisation);
        // Its `updated_at` is the version an approval names, so every change moves it on, even
        // within the same microsecond.
        let stamp = now.max(before.updated_at.naive_utc() + chrono::Duration::microseconds(1));
        diesel::update(directory_services::table.find(id))
            .set((
                Written::pending(&details, search),
                directory_services::updated_at.eq(stamp),
            ))
            .execute(conn)?;
        write_lists(conn, id, &details)?;
        let after = load_listing(conn, id)?;
        audit::record(
            conn,
            now,
            Change::by(user, "directory_service", id, "changed")
                .before(audited(&before))
                .after(audited(&after)),
        )?;
        Ok(after)
    })
}

/// Approves a listing for the public directory (administrators), in the version they read:
/// when its organisation has changed it since, nothing is approved. Approving an approved
/// listing changes nothing.
pub fn approve(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    user: &CurrentUser,
    id: i64,
    approval: &Approval,
) -> Result<Listing, ApiError> {
    user.require(Action::ApproveDirectoryService)?;
    write_transaction(conn, |conn| {
        let before = visible(conn, user, id)?;
        if before.updated_at != approval.updated_at {
            return Err(ApiError::conflict(
                ErrorCode::InvalidState,
                "The organisation has changed this listing since you read it; read it again before you approve it.",
            ));
        }
        if before.status == ListingStatus::Approved {
            return Ok(before);
        }
        diesel::update(directory_services::table.find(id))
            .set((
                directory_services::status.eq(ListingStatus::Approved),
                directory_services::approved_at.eq(Some(now)),
                directory_services::approved_by.eq(Some(user.id)),
            ))
            .execute(conn)?;
        let after = load_listing(conn, id)?;
        audit::record(
            conn,
            now,
            Change::by(user, "directory_service", id, "approved")
                .before(json!({"status": before.status}))
                .after(audited(&after)),
        )?;
        Ok(after)
    })
}

/// A listing the caller may read: their own organisation's, or any for an administrator; 404
/// otherwise, whether or not it exists.
fn visible(conn: &mut DbConnection, user: &CurrentUser, id: i64) -> Result<Listing, ApiError> {
    let owner: Option<i64> = directory_services::table
        .find(id)
        .select(directory_services::organisation_id)
        .first(conn)
        .optional()?;
    match owner {
        Some(owner) if user.can_see_organisation(owner) => load_listing(conn, id),
        _ => Err(ApiError::NotFound),
    }
}

/// One listing, pending or approved (its organisation's applicants, or an administrator).
pub fn get(conn: &mut DbConnection, user: &CurrentUser, id: i64) -> Result<Listing, ApiError> {
    user.require(Action::ReadDirectoryServices)?;
    visible(conn, user, id)
}

/// Filters for the listings an organisation or an administrator reads.
#[derive(Debug, Default, Clone)]
pub struct ListingFilter {
    pub status: Option<ListingStatus>,
}

/// Listings: the caller's organisation's for an applicant, every one for an administrator;
/// newest change first.
pub fn list(
    conn: &mut DbConnection,
    user: &CurrentUser,
    filter: &ListingFilter,
    page: Page,
) -> Result<Paged<Listing>, ApiError> {
    user.require(Action::ReadDirectoryServices)?;
    let own = if user.role.is_staff() {
        None
    } else {
        Some(user.organisation_id.unwrap_or(-1))
    };
    let query = || {
        let mut q = directory_services::table
            .inner_join(organisations::table)
            .into_boxed();
        if let Some(own) = own {
            q = q.filter(directory_services::organisation_id.eq(own));
        }
        if let Some(status) = filter.status {
            q = q.filter(directory_services::status.eq(status));
        }
        q
    };
    let (total, rows): (i64, Vec<(ServiceRow, String)>) = page.load(
        conn,
        query().count(),
        query()
            .order((
                directory_services::updated_at.desc(),
                directory_services::id.desc(),
            ))
            .select((directory_services::all_columns, organisations::name)),
    )?;
    let ids: Vec<i64> = rows.iter().map(|(r, _)| r.id).collect();
    let mut lists = lists_of(conn, &ids)?;
    let mut links = awards_of(conn, &ids)?;
    let items = rows
        .into_iter()
        .map(|(row, organisation)| {
            let id = row.id;
            listing(
                row,
                organisation,
                lists.remove(&id).unwrap_or_default(),
                links.remove(&id).unwrap_or_default(),
            )
        })
        .collect();
    Ok(page.wrap(items, total))
}
