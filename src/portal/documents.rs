//! The documents of an organisation, an application, a monitoring return or an award: a page
//! listing them with their size, type and date, download links, and, for the organisation's own
//! applicants while the object takes documents, a form to upload one (a plain
//! `multipart/form-data` post, no script needed) and a button to delete each.

use actix_multipart::Multipart;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, web};
use askama::Template;

use crate::documents::content;
use crate::documents::model::{Document, DocumentList, Owner};
use crate::domain::vocabulary::{DocumentKind, DocumentOwner, Role};
use crate::error::{ApiError, ErrorCode};
use crate::http::upload::{attachment, human_size, receive};
use crate::permissions::Action;
use crate::portal::form::{Choice, Form};
use crate::portal::session::CSRF_FIELD;
use crate::portal::{Layout, PageError, PageResult, Visitor, see_other};
use crate::usecases::documents as usecase;

/// One document as the page lists it.
pub struct Listed {
    pub id: i64,
    pub name: String,
    pub kind: &'static str,
    pub media_type: &'static str,
    pub size: String,
    pub uploaded: String,
    pub period_end: Option<String>,
}

impl From<&Document> for Listed {
    fn from(d: &Document) -> Listed {
        Listed {
            id: d.id,
            name: d.name.clone(),
            kind: d.kind.label(),
            media_type: content::type_label(&d.media_type),
            size: human_size(u64::try_from(d.size_bytes).unwrap_or_default()),
            uploaded: d.uploaded_at.format("%-d %B %Y").to_string(),
            period_end: d.period_end.map(|e| e.format("%-d %B %Y").to_string()),
        }
    }
}

#[derive(Template)]
#[template(path = "portal/documents.html")]
struct DocumentsPage {
    layout: Layout,
    form: Form,
    heading: String,
    back: String,
    action: String,
    documents: Vec<Listed>,
    kinds: Vec<Choice>,
    writable: bool,
    takes_period_end: bool,
    accounts: Option<String>,
    accounts_out_of_date: bool,
    missing: Vec<&'static str>,
    limit: String,
}

fn owner_of(kind: &str, id: i64) -> Result<Owner, PageError> {
    let kind = match kind {
        "organisation" => DocumentOwner::Organisation,
        "application" => DocumentOwner::Application,
        "return" => DocumentOwner::Return,
        "award" => DocumentOwner::Award,
        _ => return Err(ApiError::NotFound.into()),
    };
    Ok(Owner { kind, id })
}

/// Where the page of the object the documents belong to is, for this visitor.
fn parent_page(owner: Owner, role: Role) -> String {
    let admin = role == Role::Administrator;
    match (owner.kind, admin) {
        (DocumentOwner::Organisation, false) => "/organisation".to_owned(),
        (DocumentOwner::Organisation, true) => "/admin/applications".to_owned(),
        (DocumentOwner::Application, false) => format!("/applications/{}", owner.id),
        (DocumentOwner::Application, true) => format!("/admin/applications/{}", owner.id),
        (DocumentOwner::Return, false) => format!("/returns/{}", owner.id),
        (DocumentOwner::Return, true) => format!("/admin/returns/{}", owner.id),
        (DocumentOwner::Award, _) => format!("/awards/{}", owner.id),
        (DocumentOwner::Claim, _) => format!("/claims/{}", owner.id),
    }
}

fn heading(owner: Owner) -> &'static str {
    match owner.kind {
        DocumentOwner::Organisation => "Your organisation's documents",
        DocumentOwner::Application => "Documents for this application",
        DocumentOwner::Return => "Evidence for this return",
        DocumentOwner::Award => "Signed grant agreement",
        DocumentOwner::Claim => "Receipts for this claim",
    }
}

async fn show(
    v: &Visitor,
    owner: Owner,
    form: Form,
    status: StatusCode,
    notice: Option<&str>,
) -> PageResult {
    let user = v.require(Action::ReadDocuments)?;
    let role = user.role;
    let reader = user.clone();
    let now = v.state.clock.now_naive();
    let (list, writable): (DocumentList, bool) = v
        .read(move |conn| {
            let list = usecase::list(conn, now, &reader, owner)?;
            let writable =
                reader.role == Role::Applicant && usecase::writable(conn, &reader, owner).is_ok();
            Ok((list, writable))
        })
        .await?;
    let mut heading = heading(owner).to_owned();
    if role != Role::Applicant && owner.kind == DocumentOwner::Organisation {
        heading = "The organisation's documents".to_owned();
    }
    let mut layout = v.layout(heading.clone(), "/documents");
    layout.notice = notice.map(str::to_owned);
    let page = DocumentsPage {
        layout,
        form,
        back: parent_page(owner, role),
        action: format!("/documents/{}/{}", owner.kind, owner.id),
        documents: list.items.iter().map(Listed::from).collect(),
        kinds: DocumentKind::allowed_for(owner.kind)
            .iter()
            .map(|k| Choice::new(k.as_str(), k.label()))
            .collect(),
        writable,
        takes_period_end: owner.kind == DocumentOwner::Organisation,
        accounts: list
            .accounts_period_end
            .map(|e| e.format("%-d %B %Y").to_string()),
        accounts_out_of_date: list.accounts_out_of_date.unwrap_or(false),
        missing: list
            .missing_kinds
            .unwrap_or_default()
            .iter()
            .map(|k| k.label())
            .collect(),
        limit: human_size(v.state.settings.max_upload_bytes),
        heading,
    };
    Ok(v.with_status(status, &page))
}

#[derive(serde::Deserialize)]
pub(super) struct Done {
    uploaded: Option<String>,
}

pub(super) async fn documents_page(
    v: Visitor,
    path: web::Path<(String, i64)>,
    done: web::Query<Done>,
) -> PageResult {
    let (kind, id) = path.into_inner();
    let owner = owner_of(&kind, id)?;
    let mut form = Form::new();
    if owner.kind == DocumentOwner::Award {
        form.set("kind", DocumentKind::SignedAgreement.as_str());
    }
    let notice = done
        .uploaded
        .is_some()
        .then_some("Your document is uploaded.");
    show(&v, owner, form, StatusCode::OK, notice).await
}

/// Says a refused upload in words a person uses, beside the field it is about.
fn refused(form: &mut Form, error: ApiError, limit: u64) -> Result<StatusCode, PageError> {
    let status = actix_web::ResponseError::status_code(&error);
    match error.code() {
        ErrorCode::FileTooLarge => form.reject(
            "file",
            &format!("The selected file must be smaller than {}", human_size(limit)),
        ),
        ErrorCode::FileTypeNotAllowed => form.reject(
            "file",
            "The selected file must be a PDF, Word, Excel, OpenDocument, CSV, text, JPEG or PNG file",
        ),
        ErrorCode::MultipartExpected | ErrorCode::UnreadableBody => {
            form.reject("file", "The file could not be read: select it and upload it again")
        }
        ErrorCode::StorageUnavailable => form.reject(
            "",
            "Documents cannot be stored right now. Nothing was uploaded: try again in a few minutes",
        ),
        ErrorCode::ValidationFailed => {
            if let ApiError::Validation(errors) = error {
                for e in errors {
                    let message = match e.field.as_str() {
                        "kind" => "Select what the document is".to_owned(),
                        "period_end" if e.message.starts_with("Only") => e.message,
                        "period_end" => {
                            "Enter the last day the accounts cover, for example 2024-03-31"
                                .to_owned()
                        }
                        "file" if e.message.contains("empty") => {
                            "The selected file is empty".to_owned()
                        }
                        "file" => "Select a file to upload".to_owned(),
                        _ => e.message,
                    };
                    form.reject(&e.field, &message);
                }
            }
        }
        _ => return form.refused(error),
    }
    Ok(status)
}

pub(super) async fn documents_upload(
    v: Visitor,
    path: web::Path<(String, i64)>,
    req: HttpRequest,
    payload: Multipart,
) -> PageResult {
    let (kind, id) = path.into_inner();
    let owner = owner_of(&kind, id)?;
    let user = v.require_for_organisation(Action::ManageDocuments)?;
    v.from_own_pages()?;
    usecase::may_attach(&v.state, &user, owner).await?;
    let limit = v.state.settings.max_upload_bytes;
    let mut form = Form::new();
    let upload = match receive(&req, payload, limit).await {
        Ok(upload) => upload,
        Err(error) => {
            let status = refused(&mut form, error, limit)?;
            return show(&v, owner, form, status, None).await;
        }
    };
    v.check_csrf(upload.other(CSRF_FIELD).unwrap_or_default())?;
    form.set("kind", upload.fields.kind.clone().unwrap_or_default());
    form.set(
        "period_end",
        upload.fields.period_end.clone().unwrap_or_default(),
    );
    match usecase::attach(&v.state, &user, owner, upload.fields, upload.file).await {
        Ok(_) => Ok(see_other(&format!(
            "/documents/{}/{}?uploaded=1",
            owner.kind, owner.id
        ))),
        Err(error) => {
            let status = refused(&mut form, error, limit)?;
            show(&v, owner, form, status, None).await
        }
    }
}

pub(super) async fn download(v: Visitor, id: web::Path<i64>) -> PageResult {
    let user = v.require(Action::ReadDocuments)?;
    let (row, content) = usecase::download(&v.state, &user, id.into_inner()).await?;
    Ok(attachment(&row, content))
}

pub(super) async fn delete(v: Visitor, id: web::Path<i64>, body: web::Bytes) -> PageResult {
    let user = v.require_for_organisation(Action::ManageDocuments)?;
    v.form(&body)?;
    let id = id.into_inner();
    let now = v.state.clock.now_naive();
    let document = v
        .read(move |conn| {
            let document = usecase::get(conn, &user, id)?;
            usecase::delete(conn, now, &user, id)?;
            Ok(document)
        })
        .await?;
    Ok(see_other(&format!(
        "/documents/{}/{}",
        document.owner, document.owner_id
    )))
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/documents/{owner}/{id}", web::get().to(documents_page))
        .route("/documents/{owner}/{id}", web::post().to(documents_upload))
        .route("/document-files/{id}", web::get().to(download))
        .route("/document-files/{id}/delete", web::post().to(delete));
}
