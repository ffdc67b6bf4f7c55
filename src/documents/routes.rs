//! Document handlers: uploads to an organisation, application, return or award, the lists on
//! each, downloads, deletion, and the kinds a round requires.

use actix_multipart::Multipart;
use actix_web::{HttpRequest, HttpResponse, delete, get, post, put, web};

use crate::caller::CurrentUser;
use crate::documents::examples;
use crate::documents::model::{Document, DocumentList, Owner, RequiredKinds, UploadForm};
use crate::documents::service;
use crate::error::ApiError;
use crate::http::upload::{attachment, receive};
use crate::http::{Json, answer, run};
use crate::rounds::service::visible_round;
use crate::state::AppState;
use crate::usecases::documents as usecase;

async fn upload(
    state: web::Data<AppState>,
    user: CurrentUser,
    owner: Owner,
    req: HttpRequest,
    payload: Multipart,
) -> Result<HttpResponse, ApiError> {
    usecase::may_attach(&state, &user, owner).await?;
    let form = receive(&req, payload, state.settings.max_upload_bytes).await?;
    let document = usecase::attach(&state, &user, owner, form.fields, form.file).await?;
    Ok(HttpResponse::Created().json(document))
}

async fn list(
    state: web::Data<AppState>,
    user: CurrentUser,
    owner: Owner,
) -> Result<web::Json<DocumentList>, ApiError> {
    answer(&state, move |conn, now| {
        usecase::list(conn, now, &user, owner)
    })
    .await
}

/// The upload and the list of one kind of owner: the same two operations on each, with the
/// owner's path, its id's description and what its documents are for.
macro_rules! owner_documents {
    (
        owner: $owner:path,
        id: $id:literal,
        $(#[doc = $upload_doc:literal])+
        upload: $upload:ident at $upload_path:literal,
        $(#[doc = $list_doc:literal])+
        list: $list:ident at $list_path:literal,
        $(locked: $locked:literal,)?
    ) => {
        $(#[doc = $upload_doc])+
        #[utoipa::path(
            tag = "documents",
            params(("id" = i64, Path, description = $id)),
            request_body(content_type = "multipart/form-data", content = UploadForm),
            responses(
                (status = 201, description = "The document", body = Document),
                $((status = 409, description = $locked, body = crate::error::Problem, content_type = "application/problem+json"),)?
                (status = 413, description = "`file_too_large`", body = crate::error::Problem, content_type = "application/problem+json"),
                (status = 415, description = "`file_type_not_allowed` or `multipart_expected`", body = crate::error::Problem, content_type = "application/problem+json"),
                (status = 503, description = "`storage_unavailable`, `service_unavailable` or `write_conflict`", body = crate::error::Problem, content_type = "application/problem+json"),
            ),
            security(("bearer" = []))
        )]
        #[post($upload_path)]
        pub async fn $upload(
            state: web::Data<AppState>,
            user: CurrentUser,
            id: web::Path<i64>,
            req: HttpRequest,
            payload: Multipart,
        ) -> Result<HttpResponse, ApiError> {
            upload(state, user, $owner(*id), req, payload).await
        }

        $(#[doc = $list_doc])+
        #[utoipa::path(
            tag = "documents",
            params(("id" = i64, Path, description = $id)),
            responses((status = 200, description = "The documents", body = DocumentList)),
            security(("bearer" = []))
        )]
        #[get($list_path)]
        pub async fn $list(
            state: web::Data<AppState>,
            user: CurrentUser,
            id: web::Path<i64>,
        ) -> Result<web::Json<DocumentList>, ApiError> {
            list(state, user, $owner(*id)).await
        }
    };
}

owner_documents! {
    owner: Owner::organisation,
    id: "Organisation id",
    /// Uploads a due-diligence document of the caller's own organisation: its `constitution`,
    /// `annual_accounts` (with `period_end`) or `safeguarding_policy`. The type is read from the
    /// file's content; a photo loses its location and camera data before it is stored.
    upload: upload_organisation_document at "/organisations/{id}/documents",
    /// An organisation's documents, newest first, with the end of its latest accounts and, for
    /// administrators, whether they are more than 18 months old.
    list: list_organisation_documents at "/organisations/{id}/documents",
}

owner_documents! {
    owner: Owner::application,
    id: "Application id",
    /// Uploads a document of a draft application (`budget`, `project_plan`, `letter_of_support`,
    /// `other`). A submitted application's documents no longer change.
    upload: upload_application_document at "/applications/{id}/documents",
    /// An application's documents, newest first, with the kinds its round requires that it does
    /// not carry yet.
    list: list_application_documents at "/applications/{id}/documents",
    locked: "`document_locked`",
}

owner_documents! {
    owner: Owner::monitoring_return,
    id: "Return id",
    /// Uploads evidence for an open monitoring return (`evidence`, `other`). A submitted return's
    /// documents no longer change.
    upload: upload_return_document at "/returns/{id}/documents",
    /// A monitoring return's documents, newest first.
    list: list_return_documents at "/returns/{id}/documents",
    locked: "`document_locked`",
}

owner_documents! {
    owner: Owner::award,
    id: "Award id",
    /// Uploads the signed grant agreement of an accepted award (`signed_agreement`).
    upload: upload_award_document at "/awards/{id}/documents",
    /// An award's documents (its signed agreement), newest first.
    list: list_award_documents at "/awards/{id}/documents",
    locked: "`document_locked`",
}

owner_documents! {
    owner: Owner::claim,
    id: "Claim id",
    /// Uploads a receipt of the caller's own draft claim (`receipt`): a photo or a scan. A
    /// photo loses its location and camera data before it is stored. A submitted claim's
    /// receipts no longer change.
    upload: upload_claim_document at "/claims/{id}/documents",
    /// A claim's receipts, newest first, for those who see the claim.
    list: list_claim_documents at "/claims/{id}/documents",
    locked: "`claim_status_mismatch`: the claim is no longer a draft",
}

/// One document's details.
#[utoipa::path(
    tag = "documents",
    params(("id" = i64, Path, description = "Document id")),
    responses((status = 200, description = "The document", body = Document)),
    security(("bearer" = []))
)]
#[get("/documents/{id}")]
pub async fn get_document(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: web::Path<i64>,
) -> Result<web::Json<Document>, ApiError> {
    answer(&state, move |conn, _| usecase::get(conn, &user, *id)).await
}

/// Downloads a document's content, as an attachment with its type, `nosniff` and a content
/// security policy that lets nothing run.
#[utoipa::path(
    tag = "documents",
    params(("id" = i64, Path, description = "Document id")),
    responses(
        (status = 200, description = "The file, as an attachment, with the type read from its content", content(
            (String = "application/pdf"),
            (String = "image/png"),
            (String = "image/jpeg"),
            (String = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
            (String = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
            (String = "application/vnd.oasis.opendocument.text"),
            (String = "application/vnd.oasis.opendocument.spreadsheet"),
            (String = "text/csv"),
            (String = "text/plain"),
        )),
        (status = 503, description = "`storage_unavailable`, `service_unavailable` or `write_conflict`", body = crate::error::Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[get("/documents/{id}/content")]
pub async fn download_document(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let (row, content) = usecase::download(&state, &user, *id).await?;
    Ok(attachment(&row, content))
}

/// Deletes a document of one's own organisation, draft application, open return or accepted
/// award.
#[utoipa::path(
    tag = "documents",
    params(("id" = i64, Path, description = "Document id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 409, description = "`document_locked`", body = crate::error::Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[delete("/documents/{id}")]
pub async fn delete_document(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    run(&state, move |conn, now| {
        usecase::delete(conn, now, &user, *id)
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The kinds of document an application to the round must carry before it can be submitted.
#[utoipa::path(
    tag = "documents",
    params(("id" = i64, Path, description = "Round id")),
    responses((status = 200, description = "The required kinds", body = RequiredKinds)),
    security((), ("bearer" = []))
)]
#[get("/rounds/{id}/required-documents")]
pub async fn get_required_documents(
    state: web::Data<AppState>,
    user: crate::auth::extract::OptionalUser,
    id: web::Path<i64>,
) -> Result<web::Json<RequiredKinds>, ApiError> {
    answer(&state, move |conn, now| {
        visible_round(conn, now, user.0.as_ref(), *id)?;
        Ok(RequiredKinds {
            kinds: service::required_kinds(conn, *id)?,
        })
    })
    .await
}

/// Sets the kinds of document an application to the round must carry (administrators).
#[utoipa::path(
    tag = "documents",
    params(("id" = i64, Path, description = "Round id")),
    request_body(content = RequiredKinds, example = json!(examples::required_documents())),
    responses((status = 200, description = "The required kinds", body = RequiredKinds)),
    security(("bearer" = []))
)]
#[put("/rounds/{id}/required-documents")]
pub async fn set_required_documents(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: web::Path<i64>,
    body: Json<RequiredKinds>,
) -> Result<web::Json<RequiredKinds>, ApiError> {
    answer(&state, move |conn, now| {
        crate::db::write_transaction(conn, |conn| {
            user.require(crate::permissions::Action::ManageRounds)?;
            visible_round(conn, now, Some(&user), *id)?;
            let kinds = service::set_required_kinds(conn, now, &user, *id, &body.0.kinds)?;
            Ok(RequiredKinds { kinds })
        })
    })
    .await
}

pub fn configure(cfg: &mut impl crate::http::Routes) {
    cfg.service(upload_organisation_document)
        .service(upload_application_document)
        .service(upload_return_document)
        .service(upload_award_document)
        .service(upload_claim_document)
        .service(list_organisation_documents)
        .service(list_application_documents)
        .service(list_return_documents)
        .service(list_award_documents)
        .service(list_claim_documents)
        .service(get_document)
        .service(download_document)
        .service(delete_document)
        .service(get_required_documents)
        .service(set_required_documents);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn examples_are_accepted_bodies() {
        serde_json::from_value::<RequiredKinds>(examples::required_documents())
            .expect("PUT /rounds/{id}/required-documents");
    }
}
