//! Documents across the features they attach to: who may read or change the documents of an
//! organisation, an application, a monitoring return or an award (asked of each feature, so the
//! same 404 answers for another organisation's object as for a missing one), storing an upload
//! before its row is committed, downloading and removing.
//!
//! An upload is stored first and recorded second: a failure of the store answers 503 and leaves
//! no row; a failure after it leaves a blob that no row names, which the sweep removes a day
//! later. Documents of a submitted application or return, or of an award no longer accepted,
//! cannot change (409 `document_locked`).

use bytes::Bytes;
use chrono::NaiveDateTime;
use diesel::prelude::*;
use futures_util::stream::BoxStream;

use crate::applications::service as applications;
use crate::caller::CurrentUser;
use crate::db::schema::{awards, returns};
use crate::db::{DbConnection, write_transaction};
use crate::documents::model::{Document, DocumentList, DocumentRow, Owner, Received, UploadFields};
use crate::documents::service;
use crate::domain::vocabulary::{
    ApplicationStatus, AwardStatus, DocumentOwner, ReturnStatus, Role,
};
use crate::error::{ApiError, ErrorCode};
use crate::family::claims as family_claims;
use crate::organisations::service as organisations;
use crate::permissions::Action;
use crate::state::AppState;

/// The organisation of `owner` (none for a family's claim) if the caller may read its
/// documents: the owner's readers, less officials, who read no documents (403). Anyone else gets
/// 404, whether or not it exists.
pub fn readable(
    conn: &mut DbConnection,
    user: &CurrentUser,
    owner: Owner,
) -> Result<Option<i64>, ApiError> {
    user.require(Action::ReadDocuments)?;
    if owner.kind == DocumentOwner::Claim {
        family_claims::receipts_access(conn, user, owner.id, false)?;
        return Ok(None);
    }
    if user.role.is_family() {
        return Err(ApiError::NotFound);
    }
    let organisation_id = match owner.kind {
        DocumentOwner::Claim => return Err(ApiError::NotFound),
        DocumentOwner::Organisation => owner.id,
        DocumentOwner::Application => applications::visible(conn, user, owner.id)?.organisation_id,
        DocumentOwner::Return => {
            let award_id: i64 = returns::table
                .find(owner.id)
                .select(returns::award_id)
                .first(conn)
                .optional()?
                .ok_or(ApiError::NotFound)?;
            award_organisation(conn, award_id)?
        }
        DocumentOwner::Award => award_organisation(conn, owner.id)?,
    };
    if owner.kind != DocumentOwner::Application {
        // Assessors see the organisations of the applications open to them; applicants their own.
        organisations::get(conn, user, organisation_id)?;
    }
    Ok(Some(organisation_id))
}

fn award_organisation(conn: &mut DbConnection, award_id: i64) -> Result<i64, ApiError> {
    awards::table
        .find(award_id)
        .select(awards::organisation_id)
        .first(conn)
        .optional()?
        .ok_or(ApiError::NotFound)
}

/// The organisation of `owner` (none for a family's claim) if the caller may change its
/// documents now: its own applicants, while an application is a draft, a return open, an award
/// accepted; a claim's claimant while it is a draft.
pub fn writable(
    conn: &mut DbConnection,
    user: &CurrentUser,
    owner: Owner,
) -> Result<Option<i64>, ApiError> {
    user.require(Action::ManageDocuments)?;
    if owner.kind == DocumentOwner::Claim {
        family_claims::receipts_access(conn, user, owner.id, true)?;
        return Ok(None);
    }
    let organisation_id = readable(conn, user, owner)?;
    if !(user.is(Role::Applicant)
        && organisation_id.is_some()
        && user.organisation_id == organisation_id)
    {
        return Err(ApiError::NotFound);
    }
    let locked = |what: &str| {
        Err(ApiError::conflict(
            ErrorCode::DocumentLocked,
            format!("The documents of {what} can no longer be added, replaced or deleted."),
        ))
    };
    match owner.kind {
        DocumentOwner::Organisation | DocumentOwner::Claim => {}
        DocumentOwner::Application => {
            let row = applications::visible(conn, user, owner.id)?;
            if row.status != ApplicationStatus::Draft {
                return locked(&format!("an application that is {}", row.status));
            }
        }
        DocumentOwner::Return => {
            let status: ReturnStatus = returns::table
                .find(owner.id)
                .select(returns::status)
                .first(conn)?;
            if !status.is_open() {
                return locked(&format!("a return that is {status}"));
            }
        }
        DocumentOwner::Award => {
            let status: AwardStatus = awards::table
                .find(owner.id)
                .select(awards::status)
                .first(conn)?;
            if status != AwardStatus::Accepted {
                return locked(&format!("an award that is {status}"));
            }
        }
    }
    Ok(organisation_id)
}

/// The documents of `owner`, for its readers. An organisation's list says when its latest
/// accounts end and, to administrators, whether they are older than 18 months; an
/// application's list names the kinds its round requires that it does not carry yet.
pub fn list(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    user: &CurrentUser,
    owner: Owner,
) -> Result<DocumentList, ApiError> {
    readable(conn, user, owner)?;
    let rows = service::list(conn, owner)?;
    let mut list = DocumentList {
        items: Vec::new(),
        accounts_period_end: None,
        accounts_out_of_date: None,
        missing_kinds: None,
    };
    match owner.kind {
        DocumentOwner::Organisation => {
            let latest = service::latest_accounts(&rows);
            list.accounts_period_end = latest;
            if user.is(Role::Administrator) {
                list.accounts_out_of_date = Some(service::accounts_out_of_date(latest, now.date()));
            }
        }
        DocumentOwner::Application => {
            let row = applications::visible(conn, user, owner.id)?;
            list.missing_kinds = Some(service::missing_kinds(conn, row.round_id, row.id)?);
        }
        DocumentOwner::Return | DocumentOwner::Award | DocumentOwner::Claim => {}
    }
    list.items = rows.into_iter().map(Document::from).collect();
    Ok(list)
}

/// Checks that the caller may attach a document to `owner` now: run before the body is read,
/// so that a refusal costs no upload.
pub async fn may_attach(
    state: &AppState,
    user: &CurrentUser,
    owner: Owner,
) -> Result<(), ApiError> {
    let user = user.clone();
    state
        .db
        .run(move |conn| writable(conn, &user, owner).map(|_| ()))
        .await
}

/// Stores a received file and records it as a document of `owner`: the fields are checked
/// first, the blob stored next, and the row committed last, after checking again that the
/// owner still takes documents.
pub async fn attach(
    state: &AppState,
    user: &CurrentUser,
    owner: Owner,
    fields: UploadFields,
    received: Option<Received>,
) -> Result<Document, ApiError> {
    let (kind, period_end) = service::check_fields(owner.kind, &fields, received.is_some())?;
    let Some(received) = received else {
        return Err(ApiError::invalid("file", "Choose a file to upload"));
    };
    state
        .blobs
        .put_file(&received.sha256, &received.file)
        .await?;
    let user = user.clone();
    let now = state.clock.now_naive();
    let row = state
        .db
        .run(move |conn| {
            write_transaction(conn, |conn| {
                let organisation_id = writable(conn, &user, owner)?;
                service::insert(
                    conn,
                    now,
                    &user,
                    owner,
                    organisation_id,
                    kind,
                    period_end,
                    &received,
                )
            })
        })
        .await?;
    Ok(Document::from(row))
}

/// Records bytes the service made itself (the demo's files) as a document of `owner`.
#[allow(clippy::too_many_arguments)]
pub async fn attach_bytes(
    state: &AppState,
    user: &CurrentUser,
    owner: Owner,
    fields: UploadFields,
    name: &str,
    media_type: &'static str,
    bytes: Vec<u8>,
) -> Result<Document, ApiError> {
    use std::io::Write;
    let mut file = tempfile::NamedTempFile::new().map_err(ApiError::internal)?;
    file.write_all(&bytes).map_err(ApiError::internal)?;
    let path = file.into_temp_path();
    let (sha256, size) = crate::documents::content::sha256_of(&path).map_err(ApiError::internal)?;
    let received = Received {
        file: path,
        sha256,
        size_bytes: i64::try_from(size).map_err(ApiError::internal)?,
        media_type,
        given_name: crate::documents::content::given_name(name),
        display_name: crate::documents::content::display_name(name),
    };
    attach(state, user, owner, fields, Some(received)).await
}

/// A document the caller may read, and its content as it streams from the store.
pub async fn download(
    state: &AppState,
    user: &CurrentUser,
    id: i64,
) -> Result<
    (
        DocumentRow,
        BoxStream<'static, Result<Bytes, std::io::Error>>,
    ),
    ApiError,
> {
    let user = user.clone();
    let row = state
        .db
        .run(move |conn| {
            let row = service::find(conn, id)?;
            readable(conn, &user, row.owner())?;
            Ok(row)
        })
        .await?;
    let content = state.blobs.get(&row.sha256).await?;
    Ok((row, content))
}

/// The row of a document the caller may read.
pub fn get(conn: &mut DbConnection, user: &CurrentUser, id: i64) -> Result<Document, ApiError> {
    let row = service::find(conn, id)?;
    readable(conn, user, row.owner())?;
    Ok(Document::from(row))
}

/// Deletes a document the caller may change (its blob goes with the sweep).
pub fn delete(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    user: &CurrentUser,
    id: i64,
) -> Result<(), ApiError> {
    user.require(Action::ManageDocuments)?;
    write_transaction(conn, |conn| {
        let row = service::find(conn, id)?;
        writable(conn, user, row.owner())?;
        service::remove(conn, now, user, &row)
    })
}
