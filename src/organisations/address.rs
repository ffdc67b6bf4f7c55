//! The organisation's public address: the town it gives, published with its grants as the
//! 360Giving recipient's `addressLocality` when it agreed to be public (`listed_in_directory`).
//! Kept in `organisation_addresses`, beside the organisation's own row.

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;

use crate::audit::{self, Change};
use crate::caller::CurrentUser;
use crate::db::schema::{organisation_addresses, organisations};
use crate::db::{DbConnection, write_transaction};
use crate::domain::clock::utc;
use crate::error::{ApiError, Validator};
use crate::permissions::Action;

/// What a client sends: the town, or `null` (or blank) to remove it.
#[derive(Clone, Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AddressInput {
    /// The town or city the organisation is based in, 1 to 100 characters starting with a
    /// letter; `null` removes it.
    #[schema(example = "Kirkcaldy", max_length = 100)]
    pub town: Option<String>,
}

/// The organisation's public address.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct Address {
    pub organisation_id: i64,
    /// Its town, when it gave one.
    #[schema(example = "Kirkcaldy")]
    pub town: Option<String>,
    /// Whether the organisation agreed to be public, so that the town is published.
    pub published: bool,
    /// When the town last changed.
    pub updated_at: Option<DateTime<Utc>>,
}

/// Checks a town: trimmed, 1 to 100 characters, starting with a letter.
pub fn parse_town(v: &mut Validator, field: &str, text: &str) -> Option<String> {
    let town = v.text(field, text, 1, 100)?;
    if !town.chars().next().is_some_and(char::is_alphabetic) {
        v.error(field, "must start with a letter");
        return None;
    }
    Some(town)
}

/// The organisation's public address (its applicants, or an administrator); 404 for another
/// organisation's.
pub fn get(conn: &mut DbConnection, user: &CurrentUser, id: i64) -> Result<Address, ApiError> {
    user.require(Action::EditOrganisation)?;
    if !user.can_see_organisation(id) {
        return Err(ApiError::NotFound);
    }
    read(conn, id)
}

fn read(conn: &mut DbConnection, id: i64) -> Result<Address, ApiError> {
    let published: bool = organisations::table
        .find(id)
        .select(organisations::listed_in_directory)
        .first(conn)?;
    let stored: Option<(String, NaiveDateTime)> = organisation_addresses::table
        .find(id)
        .select((
            organisation_addresses::town,
            organisation_addresses::updated_at,
        ))
        .first(conn)
        .optional()?;
    Ok(Address {
        organisation_id: id,
        published,
        updated_at: stored.as_ref().map(|(_, at)| utc(*at)),
        town: stored.map(|(town, _)| town),
    })
}

/// Sets or removes the organisation's town, with its audit entry.
pub fn set(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    user: &CurrentUser,
    id: i64,
    input: &AddressInput,
) -> Result<Address, ApiError> {
    user.require(Action::EditOrganisation)?;
    if !user.can_see_organisation(id) {
        return Err(ApiError::NotFound);
    }
    let mut v = Validator::new();
    let town = match input
        .town
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty())
    {
        Some(text) => parse_town(&mut v, "town", text).map(Some),
        None => Some(None),
    };
    let town = v.finish_with(|| town)?;
    write_transaction(conn, |conn| {
        let before = read(conn, id)?;
        if before.town == town {
            return Ok(before);
        }
        match &town {
            Some(town) => {
                let changed = diesel::update(organisation_addresses::table.find(id))
                    .set((
                        organisation_addresses::town.eq(town),
                        organisation_addresses::updated_at.eq(now),
                    ))
                    .execute(conn)?;
                if changed == 0 {
                    diesel::insert_into(organisation_addresses::table)
                        .values((
                            organisation_addresses::organisation_id.eq(id),
                            organisation_addresses::town.eq(town),
                            organisation_addresses::updated_at.eq(now),
                        ))
                        .execute(conn)?;
                }
            }
            None => {
                diesel::delete(organisation_addresses::table.find(id)).execute(conn)?;
            }
        }
        audit::record(
            conn,
            now,
            Change::by(user, "organisation", id, "address_changed")
                .before(json!({"town": before.town}))
                .after(json!({"town": town})),
        )?;
        read(conn, id)
    })
}
