//! Reading a document upload (`multipart/form-data`), for both front doors: the file is written
//! to a temporary file as it arrives, never held whole in memory, and the upload is refused with
//! 413 as soon as it passes `MAX_UPLOAD_BYTES`. Its type is then read from its content, a photo
//! loses its location and device data, and its hash is taken from what will be stored.

use actix_multipart::Multipart;
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse};
use futures_util::StreamExt;
use tokio::io::AsyncWriteExt;

use crate::documents::content::{self, StripError};
use crate::documents::model::{Received, UploadFields};
use crate::error::{ApiError, ErrorCode};

/// The most text fields an upload form may carry, and the longest each may be.
const MAX_TEXT_FIELDS: usize = 16;
const MAX_TEXT_BYTES: usize = 4096;
/// Room in the body for the form's boundaries and text fields besides the file.
const FORM_OVERHEAD_BYTES: u64 = 64 * 1024;

/// An upload as read: its known fields, the file if one was sent, and any other short text
/// fields (the portal's CSRF token).
#[derive(Debug, Default)]
pub struct Upload {
    pub fields: UploadFields,
    pub file: Option<Received>,
    pub other: Vec<(String, String)>,
}

impl Upload {
    /// The value of another text field.
    pub fn other(&self, name: &str) -> Option<&str> {
        self.other
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

fn too_large(limit: u64) -> ApiError {
    ApiError::coded(
        ErrorCode::FileTooLarge,
        format!(
            "The file is larger than {} (the limit is {limit} bytes).",
            human_size(limit)
        ),
    )
}

/// A size in words: `10 MB`, `512 KB`, `300 bytes`.
pub fn human_size(bytes: u64) -> String {
    const KB: u64 = 1024;
    const MB: u64 = 1024 * 1024;
    if bytes >= MB {
        let tenths = (bytes * 10 + MB / 2) / MB;
        if tenths.is_multiple_of(10) {
            format!("{} MB", tenths / 10)
        } else {
            format!("{}.{} MB", tenths / 10, tenths % 10)
        }
    } else if bytes >= KB {
        format!("{} KB", (bytes + KB / 2) / KB)
    } else {
        format!("{bytes} bytes")
    }
}

fn unreadable(error: impl std::fmt::Display) -> ApiError {
    ApiError::bad_request(
        ErrorCode::UnreadableBody,
        format!(
            "The form could not be read: {}",
            crate::error::cut(&error.to_string(), 200)
        ),
    )
}

/// Reads an upload form: `kind`, `period_end` and `file` (at most `limit` bytes).
pub async fn receive(
    req: &HttpRequest,
    mut payload: Multipart,
    limit: u64,
) -> Result<Upload, ApiError> {
    let multipart = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.trim_start()
                .to_ascii_lowercase()
                .starts_with("multipart/form-data")
        });
    if !multipart {
        return Err(ApiError::coded(
            ErrorCode::MultipartExpected,
            "Send the document as a form upload (Content-Type: multipart/form-data).",
        ));
    }
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|length| length > limit.saturating_add(FORM_OVERHEAD_BYTES)) {
        return Err(too_large(limit));
    }
    let mut upload = Upload::default();
    let mut raw: Option<(tempfile::TempPath, u64, String)> = None;
    while let Some(field) = payload.next().await {
        let mut field = field.map_err(unreadable)?;
        let name = field.name().unwrap_or_default().to_owned();
        let filename = field
            .content_disposition()
            .and_then(|d| d.get_filename())
            .map(str::to_owned);
        if name == "file" {
            if raw.is_some() {
                return Err(ApiError::invalid("file", "Upload one file at a time"));
            }
            let temp = tempfile::NamedTempFile::new().map_err(ApiError::internal)?;
            let (file, path) = temp.into_parts();
            let mut file = tokio::fs::File::from_std(file);
            let mut size = 0u64;
            while let Some(chunk) = field.next().await {
                let chunk = chunk.map_err(unreadable)?;
                size += chunk.len() as u64;
                if size > limit {
                    return Err(too_large(limit));
                }
                file.write_all(&chunk).await.map_err(ApiError::internal)?;
            }
            file.flush().await.map_err(ApiError::internal)?;
            let filename = filename.unwrap_or_default();
            // A form whose file input was left empty sends a part with no name and no bytes.
            if !(filename.is_empty() && size == 0) {
                raw = Some((path, size, filename));
            }
            continue;
        }
        let mut value = Vec::new();
        while let Some(chunk) = field.next().await {
            let chunk = chunk.map_err(unreadable)?;
            if value.len() + chunk.len() > MAX_TEXT_BYTES {
                return Err(ApiError::invalid(
                    name,
                    format!("must be at most {MAX_TEXT_BYTES} bytes"),
                ));
            }
            value.extend_from_slice(&chunk);
        }
        let Ok(value) = String::from_utf8(value) else {
            return Err(ApiError::invalid(name, "must be text"));
        };
        match name.as_str() {
            "kind" => upload.fields.kind = Some(value),
            "period_end" => upload.fields.period_end = Some(value),
            _ if upload.other.len() < MAX_TEXT_FIELDS => upload.other.push((name, value)),
            _ => return Err(unreadable("too many fields")),
        }
    }
    if let Some((path, size, filename)) = raw {
        upload.file = Some(check(path, size, filename).await?);
    }
    Ok(upload)
}

/// Reads what the received file is, strips a photo's metadata and hashes what will be stored.
async fn check(
    path: tempfile::TempPath,
    size: u64,
    filename: String,
) -> Result<Received, ApiError> {
    if size == 0 {
        return Err(ApiError::invalid("file", "The file is empty"));
    }
    actix_web::web::block(move || {
        let given_name = content::given_name(&filename);
        let display_name = content::display_name(&filename);
        let media_type = content::sniff(&path, &filename)
            .map_err(ApiError::internal)?
            .ok_or_else(|| {
                ApiError::coded(
                    ErrorCode::FileTypeNotAllowed,
                    "The file must be a PDF, PNG, JPEG, Word (DOCX), Excel (XLSX), OpenDocument \
                     (ODT or ODS), CSV or plain text file.",
                )
            })?;
        let file = if media_type == content::JPEG || media_type == content::PNG {
            let stripped = tempfile::NamedTempFile::new()
                .map_err(ApiError::internal)?
                .into_temp_path();
            match content::strip_metadata(media_type, &path, &stripped) {
                Ok(()) => stripped,
                Err(StripError::Damaged(why)) => {
                    return Err(ApiError::coded(
                        ErrorCode::FileTypeNotAllowed,
                        format!("The image cannot be read: {why}."),
                    ));
                }
                Err(StripError::Io(e)) => return Err(ApiError::internal(e)),
            }
        } else {
            path
        };
        let (sha256, size) = content::sha256_of(&file).map_err(ApiError::internal)?;
        Ok(Received {
            file,
            sha256,
            size_bytes: i64::try_from(size).map_err(ApiError::internal)?,
            media_type,
            given_name,
            display_name,
        })
    })
    .await
    .map_err(ApiError::internal)?
}

/// The policy a downloaded document is served under: nothing in it may run or load anything.
pub const DOWNLOAD_CSP: &str = "default-src 'none'; sandbox";

/// The answer that downloads a document: always an attachment under its safe name, never shown
/// by the browser from this origin.
pub fn attachment(
    row: &crate::documents::model::DocumentRow,
    content: futures_util::stream::BoxStream<'static, Result<bytes::Bytes, std::io::Error>>,
) -> HttpResponse {
    let media_type = if row.media_type.starts_with("text/") {
        format!("{}; charset=utf-8", row.media_type)
    } else {
        row.media_type.clone()
    };
    HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, media_type))
        .insert_header((
            header::CONTENT_DISPOSITION,
            content::content_disposition(&row.display_name),
        ))
        .insert_header((header::CONTENT_LENGTH, row.size_bytes.to_string()))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .insert_header((header::CONTENT_SECURITY_POLICY, DOWNLOAD_CSP))
        .insert_header((header::CACHE_CONTROL, "private, no-store"))
        .streaming(content)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_read_as_people_say_them() {
        assert_eq!(human_size(10 * 1024 * 1024), "10 MB");
        assert_eq!(human_size(1536 * 1024), "1.5 MB");
        assert_eq!(human_size(2048), "2 KB");
        assert_eq!(human_size(300), "300 bytes");
    }
}
