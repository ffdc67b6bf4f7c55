//! Rows of `documents` and `round_document_kinds`, the API shapes built from them, and a file
//! as it was received and checked, ready to be stored.

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::db::schema::documents;
use crate::domain::clock::utc;
use crate::domain::vocabulary::{DocumentKind, DocumentOwner};

/// What a document is attached to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Owner {
    pub kind: DocumentOwner,
    pub id: i64,
}

impl Owner {
    pub fn organisation(id: i64) -> Owner {
        Owner {
            kind: DocumentOwner::Organisation,
            id,
        }
    }
    pub fn application(id: i64) -> Owner {
        Owner {
            kind: DocumentOwner::Application,
            id,
        }
    }
    pub fn monitoring_return(id: i64) -> Owner {
        Owner {
            kind: DocumentOwner::Return,
            id,
        }
    }
    pub fn award(id: i64) -> Owner {
        Owner {
            kind: DocumentOwner::Award,
            id,
        }
    }

    pub fn claim(id: i64) -> Owner {
        Owner {
            kind: DocumentOwner::Claim,
            id,
        }
    }
}

#[derive(Clone, Debug, Queryable, Selectable, Identifiable)]
#[diesel(table_name = documents)]
pub struct DocumentRow {
    pub id: i64,
    pub owner_kind: DocumentOwner,
    pub owner_id: i64,
    /// The organisation whose document it is; none for a family's receipt.
    pub organisation_id: Option<i64>,
    pub kind: DocumentKind,
    pub given_name: String,
    pub display_name: String,
    pub size_bytes: i64,
    pub media_type: String,
    pub sha256: String,
    pub uploaded_by: i64,
    pub uploaded_at: NaiveDateTime,
    pub period_end: Option<NaiveDate>,
}

impl DocumentRow {
    pub fn owner(&self) -> Owner {
        Owner {
            kind: self.owner_kind,
            id: self.owner_id,
        }
    }
}

/// A document: what the file is, never its content, which is downloaded from `download_url`.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct Document {
    pub id: i64,
    /// What it is attached to.
    pub owner: DocumentOwner,
    /// The id of what it is attached to.
    pub owner_id: i64,
    pub kind: DocumentKind,
    /// The file's name as it is shown and downloaded: no folders, no control characters.
    pub name: String,
    /// The size of the stored file in bytes (after location data was removed from a photo).
    pub size_bytes: i64,
    /// The type read from the file's content.
    #[schema(example = "application/pdf")]
    pub media_type: String,
    /// The SHA-256 of the stored content, in hex.
    pub sha256: String,
    pub uploaded_by: i64,
    pub uploaded_at: DateTime<Utc>,
    /// The last day of the period that annual accounts cover.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub period_end: Option<NaiveDate>,
    /// Where the file is downloaded, as an attachment.
    #[schema(example = "/api/v1/documents/12/content")]
    pub download_url: String,
}

impl From<DocumentRow> for Document {
    fn from(row: DocumentRow) -> Document {
        Document {
            download_url: format!("/api/v1/documents/{}/content", row.id),
            id: row.id,
            owner: row.owner_kind,
            owner_id: row.owner_id,
            kind: row.kind,
            name: row.display_name,
            size_bytes: row.size_bytes,
            media_type: row.media_type,
            sha256: row.sha256,
            uploaded_by: row.uploaded_by,
            uploaded_at: utc(row.uploaded_at),
            period_end: row.period_end,
        }
    }
}

/// The documents of one object, newest first.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct DocumentList {
    pub items: Vec<Document>,
    /// An organisation's only: the end of the period of its latest annual accounts.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub accounts_period_end: Option<NaiveDate>,
    /// An organisation's only, for administrators: true when its latest annual accounts end
    /// more than 18 months ago, or it has none.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub accounts_out_of_date: Option<bool>,
    /// An application's only: the kinds its round requires that it does not carry yet.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub missing_kinds: Option<Vec<DocumentKind>>,
}

/// The kinds of document an application to a round must carry.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RequiredKinds {
    /// Each kind once; only kinds an application may carry.
    #[serde(deserialize_with = "crate::wire::at_most::<_, _, 10>")]
    #[schema(example = json!(["budget"]), max_items = 10)]
    pub kinds: Vec<DocumentKind>,
}

/// The form of an upload, as `multipart/form-data`.
#[derive(Debug, ToSchema)]
pub struct UploadForm {
    /// What the document is: one of the kinds its owner may carry.
    pub kind: DocumentKind,
    /// For `annual_accounts`: the last day of the period they cover (`YYYY-MM-DD`).
    #[schema(nullable = false)]
    pub period_end: Option<NaiveDate>,
    /// The file: PDF, PNG, JPEG, DOCX, XLSX, ODT, ODS, CSV or plain text, at most
    /// `MAX_UPLOAD_BYTES` (10 MB unless set).
    #[schema(value_type = String, format = Binary)]
    pub file: Vec<u8>,
}

/// A file as it was received and checked: kept in a temporary file until it is stored.
#[derive(Debug)]
pub struct Received {
    /// The checked file, removed when this is dropped.
    pub file: tempfile::TempPath,
    pub sha256: String,
    pub size_bytes: i64,
    pub media_type: &'static str,
    /// The name as the client gave it (cut to a bounded length).
    pub given_name: String,
    /// The name reduced to what is safe to show and download.
    pub display_name: String,
}

/// The text fields of an upload, as sent.
#[derive(Debug, Default, Clone)]
pub struct UploadFields {
    pub kind: Option<String>,
    pub period_end: Option<String>,
}
