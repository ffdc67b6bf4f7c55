//! Rules for documents' rows: what an upload's fields must say, recording a stored file against
//! its owner, the kinds a round requires and which an application still lacks, and which blobs
//! rows still name. Who may reach an owner is asked of the owner's feature, by the use case.

use std::collections::HashSet;

use chrono::{Months, NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use serde_json::json;

use crate::audit::{self, Change};
use crate::caller::CurrentUser;
use crate::db::DbConnection;
use crate::db::schema::{documents, round_document_kinds};
use crate::documents::model::{DocumentRow, Owner, Received, UploadFields};
use crate::domain::vocabulary::{DocumentKind, DocumentOwner};
use crate::error::{ApiError, FieldError, Validator};
use crate::permissions::Action;

/// Accounts whose period ended longer ago than this are out of date.
pub const ACCOUNTS_CURRENT_MONTHS: u32 = 18;

/// The kind and period end an upload's fields give, or every problem with them at once.
pub fn check_fields(
    owner: DocumentOwner,
    fields: &UploadFields,
    file_sent: bool,
) -> Result<(DocumentKind, Option<NaiveDate>), ApiError> {
    let mut v = Validator::new();
    let allowed = DocumentKind::allowed_for(owner);
    let names: Vec<&str> = allowed.iter().map(|k| k.as_str()).collect();
    let kind = match fields.kind.as_deref().map(str::trim) {
        None | Some("") => {
            v.error(
                "kind",
                format!("Choose what the document is: one of {}", names.join(", ")),
            );
            None
        }
        Some(text) => match text.parse::<DocumentKind>() {
            Ok(kind) if allowed.contains(&kind) => Some(kind),
            _ => {
                v.error("kind", format!("must be one of: {}", names.join(", ")));
                None
            }
        },
    };
    let period_end = match fields.period_end.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(text) => v.date("period_end", text),
    };
    if kind == Some(DocumentKind::AnnualAccounts) && period_end.is_none() && v.is_empty() {
        v.error(
            "period_end",
            "Enter the last day of the period the accounts cover",
        );
    }
    if kind.is_some() && kind != Some(DocumentKind::AnnualAccounts) && period_end.is_some() {
        v.error("period_end", "Only annual accounts have a period end");
    }
    if !file_sent {
        v.error("file", "Choose a file to upload");
    }
    v.finish_with(|| kind.map(|k| (k, period_end)))
}

/// Records a stored file as a document of `owner`, with its audit entry.
#[allow(clippy::too_many_arguments)]
pub fn insert(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    user: &CurrentUser,
    owner: Owner,
    organisation_id: Option<i64>,
    kind: DocumentKind,
    period_end: Option<NaiveDate>,
    received: &Received,
) -> Result<DocumentRow, ApiError> {
    let id: i64 = diesel::insert_into(documents::table)
        .values((
            documents::owner_kind.eq(owner.kind),
            documents::owner_id.eq(owner.id),
            documents::organisation_id.eq(organisation_id),
            documents::kind.eq(kind),
            documents::given_name.eq(&received.given_name),
            documents::display_name.eq(&received.display_name),
            documents::size_bytes.eq(received.size_bytes),
            documents::media_type.eq(received.media_type),
            documents::sha256.eq(&received.sha256),
            documents::uploaded_by.eq(user.id),
            documents::uploaded_at.eq(now),
            documents::period_end.eq(period_end),
        ))
        .returning(documents::id)
        .get_result(conn)?;
    let row = find(conn, id)?;
    audit::record(
        conn,
        now,
        Change::by(user, "document", row.id, "uploaded").after(json!({
            "owner": owner.kind,
            "owner_id": owner.id,
            "kind": kind,
            "name": row.display_name,
            "size_bytes": row.size_bytes,
            "media_type": row.media_type,
            "sha256": row.sha256,
        })),
    )?;
    Ok(row)
}

/// One document's row (404 when there is none).
pub fn find(conn: &mut DbConnection, id: i64) -> Result<DocumentRow, ApiError> {
    documents::table
        .find(id)
        .select(DocumentRow::as_select())
        .first(conn)
        .optional()?
        .ok_or(ApiError::NotFound)
}

/// The documents of `owner`, newest first.
pub fn list(conn: &mut DbConnection, owner: Owner) -> Result<Vec<DocumentRow>, ApiError> {
    Ok(documents::table
        .filter(documents::owner_kind.eq(owner.kind))
        .filter(documents::owner_id.eq(owner.id))
        .order((documents::uploaded_at.desc(), documents::id.desc()))
        .select(DocumentRow::as_select())
        .load(conn)?)
}

/// The documents of `owner` as its answer lists them, for a caller who has been let read the
/// owner: none (and no list) for those who read no documents.
pub fn listed_for(
    conn: &mut DbConnection,
    user: &CurrentUser,
    owner: Owner,
) -> Result<Option<Vec<crate::documents::model::Document>>, ApiError> {
    if !Action::ReadDocuments.allows(user.role) {
        return Ok(None);
    }
    Ok(Some(
        list(conn, owner)?
            .into_iter()
            .map(crate::documents::model::Document::from)
            .collect(),
    ))
}

/// Removes a document's row, with its audit entry. Its blob goes with the next sweep once no
/// row names it.
pub fn remove(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    user: &CurrentUser,
    row: &DocumentRow,
) -> Result<(), ApiError> {
    diesel::delete(documents::table.find(row.id)).execute(conn)?;
    audit::record(
        conn,
        now,
        Change::by(user, "document", row.id, "deleted").before(json!({
            "owner": row.owner_kind,
            "owner_id": row.owner_id,
            "kind": row.kind,
            "name": row.display_name,
            "sha256": row.sha256,
        })),
    )
}

/// Removes every document of the given owners and gives the hashes they used.
pub fn remove_all(
    conn: &mut DbConnection,
    kind: DocumentOwner,
    ids: &[i64],
) -> Result<Vec<String>, ApiError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let hashes: Vec<String> = diesel::delete(
        documents::table
            .filter(documents::owner_kind.eq(kind))
            .filter(documents::owner_id.eq_any(ids)),
    )
    .returning(documents::sha256)
    .get_results(conn)?;
    Ok(hashes)
}

/// Which of `hashes` some document still names.
pub fn referenced(conn: &mut DbConnection, hashes: &[String]) -> Result<HashSet<String>, ApiError> {
    let mut found = HashSet::new();
    for chunk in hashes.chunks(500) {
        let named: Vec<String> = documents::table
            .filter(documents::sha256.eq_any(chunk))
            .select(documents::sha256)
            .distinct()
            .load(conn)?;
        found.extend(named);
    }
    Ok(found)
}

/// The kinds of document an application to the round must carry, in the vocabulary's order.
pub fn required_kinds(
    conn: &mut DbConnection,
    round_id: i64,
) -> Result<Vec<DocumentKind>, ApiError> {
    let mut kinds: Vec<DocumentKind> = round_document_kinds::table
        .filter(round_document_kinds::round_id.eq(round_id))
        .select(round_document_kinds::kind)
        .load(conn)?;
    kinds.sort();
    Ok(kinds)
}

/// Sets the kinds of document an application to the round must carry (administrators). The
/// caller has found the round.
pub fn set_required_kinds(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    user: &CurrentUser,
    round_id: i64,
    kinds: &[DocumentKind],
) -> Result<Vec<DocumentKind>, ApiError> {
    user.require(Action::ManageRounds)?;
    let allowed = DocumentKind::allowed_for(DocumentOwner::Application);
    let mut v = Validator::new();
    let mut seen = HashSet::new();
    for (i, kind) in kinds.iter().enumerate() {
        if !allowed.contains(kind) {
            v.error(
                format!("kinds.{i}"),
                "is not a kind of document an application carries",
            );
        } else if !seen.insert(*kind) {
            v.error(format!("kinds.{i}"), "is listed twice");
        }
    }
    v.finish()?;
    let before = required_kinds(conn, round_id)?;
    diesel::delete(round_document_kinds::table.filter(round_document_kinds::round_id.eq(round_id)))
        .execute(conn)?;
    for kind in kinds {
        diesel::insert_into(round_document_kinds::table)
            .values((
                round_document_kinds::round_id.eq(round_id),
                round_document_kinds::kind.eq(kind),
            ))
            .execute(conn)?;
    }
    let after = required_kinds(conn, round_id)?;
    audit::record(
        conn,
        now,
        Change::by(user, "round", round_id, "required_documents_set")
            .before(json!({ "required_documents": before }))
            .after(json!({ "required_documents": after })),
    )?;
    Ok(after)
}

/// The kinds the round requires that the application does not carry.
pub fn missing_kinds(
    conn: &mut DbConnection,
    round_id: i64,
    application_id: i64,
) -> Result<Vec<DocumentKind>, ApiError> {
    let required = required_kinds(conn, round_id)?;
    if required.is_empty() {
        return Ok(required);
    }
    let carried: HashSet<DocumentKind> = documents::table
        .filter(documents::owner_kind.eq(DocumentOwner::Application))
        .filter(documents::owner_id.eq(application_id))
        .select(documents::kind)
        .load::<DocumentKind>(conn)?
        .into_iter()
        .collect();
    Ok(required
        .into_iter()
        .filter(|k| !carried.contains(k))
        .collect())
}

/// The documents of one owner, each with its kind: what an answer naming a document is checked
/// against.
pub fn kinds_of(
    conn: &mut DbConnection,
    kind: DocumentOwner,
    id: i64,
) -> Result<Vec<(i64, DocumentKind)>, ApiError> {
    Ok(documents::table
        .filter(documents::owner_kind.eq(kind))
        .filter(documents::owner_id.eq(id))
        .select((documents::id, documents::kind))
        .load(conn)?)
}

/// A submission problem for each kind the application still lacks, named `documents.<kind>`.
pub fn missing_problems(
    conn: &mut DbConnection,
    round_id: i64,
    application_id: i64,
) -> Result<Vec<FieldError>, ApiError> {
    Ok(missing_kinds(conn, round_id, application_id)?
        .into_iter()
        .map(|kind| FieldError {
            field: format!("documents.{kind}"),
            message: format!(
                "This round needs a {} with every application: upload one",
                kind.label().to_lowercase()
            ),
        })
        .collect())
}

/// The end of the period of the latest annual accounts among `rows`.
pub fn latest_accounts(rows: &[DocumentRow]) -> Option<NaiveDate> {
    rows.iter()
        .filter(|r| r.kind == DocumentKind::AnnualAccounts)
        .filter_map(|r| r.period_end)
        .max()
}

/// True when accounts ending on `period_end` (or none) are more than 18 months old on `today`.
pub fn accounts_out_of_date(period_end: Option<NaiveDate>, today: NaiveDate) -> bool {
    match period_end.and_then(|end| end.checked_add_months(Months::new(ACCOUNTS_CURRENT_MONTHS))) {
        Some(current_until) => today > current_until,
        None => true,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;

    fn day(text: &str) -> NaiveDate {
        text.parse().unwrap()
    }

    #[test]
    fn accounts_are_current_for_eighteen_months() {
        let end = Some(day("2024-03-31"));
        assert!(!accounts_out_of_date(end, day("2025-09-30")));
        assert!(accounts_out_of_date(end, day("2025-10-01")));
        assert!(accounts_out_of_date(None, day("2025-01-01")));
    }

    #[test]
    fn every_problem_with_the_fields_is_named_at_once() {
        let fields = UploadFields {
            kind: Some("budget".into()),
            period_end: Some("31/03/2024".into()),
        };
        let Err(ApiError::Validation(errors)) =
            check_fields(DocumentOwner::Organisation, &fields, false)
        else {
            panic!("expected a validation failure");
        };
        let named: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(named, ["kind", "period_end", "file"]);
        let accounts = UploadFields {
            kind: Some("annual_accounts".into()),
            period_end: None,
        };
        assert!(check_fields(DocumentOwner::Organisation, &accounts, true).is_err());
        let accounts = UploadFields {
            kind: Some("annual_accounts".into()),
            period_end: Some("2024-03-31".into()),
        };
        assert_eq!(
            check_fields(DocumentOwner::Organisation, &accounts, true).unwrap(),
            (DocumentKind::AnnualAccounts, Some(day("2024-03-31")))
        );
    }
}
