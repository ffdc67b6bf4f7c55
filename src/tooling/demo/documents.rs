//! The demo's documents: small, valid PDF and CSV files made here, attached through the same
//! rules as an upload (the owner must take documents at that moment), each blob stored before
//! its row.

use chrono::{NaiveDate, NaiveDateTime};

use crate::blobs::Blobs;
use crate::caller::CurrentUser;
use crate::db::DbConnection;
use crate::documents::content;
use crate::documents::model::{Owner, Received};
use crate::documents::service;
use crate::domain::vocabulary::DocumentKind;
use crate::error::ApiError;
use crate::usecases::documents as usecase;

/// Where the demo's files go.
pub(super) struct Files<'a> {
    pub blobs: &'a Blobs,
}

impl Files<'_> {
    /// Attaches `bytes` as `name` to `owner`, acting as `user` at `now`; gives the document's id.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn attach(
        &self,
        conn: &mut DbConnection,
        now: NaiveDateTime,
        user: &CurrentUser,
        owner: Owner,
        kind: DocumentKind,
        period_end: Option<NaiveDate>,
        name: &str,
        media_type: &'static str,
        bytes: Vec<u8>,
    ) -> Result<i64, ApiError> {
        use std::io::Write;
        let organisation_id = usecase::writable(conn, user, owner)?;
        let mut file = tempfile::NamedTempFile::new().map_err(ApiError::internal)?;
        file.write_all(&bytes).map_err(ApiError::internal)?;
        let path = file.into_temp_path();
        let (sha256, size) = content::sha256_of(&path).map_err(ApiError::internal)?;
        // The seed runs on a blocking thread of the runtime, which may wait for the store.
        let runtime = tokio::runtime::Handle::try_current().map_err(ApiError::internal)?;
        runtime.block_on(self.blobs.put_bytes(&sha256, bytes))?;
        let received = Received {
            file: path,
            sha256,
            size_bytes: i64::try_from(size).map_err(ApiError::internal)?,
            media_type,
            given_name: content::given_name(name),
            display_name: content::display_name(name),
        };
        let row = service::insert(
            conn,
            now,
            user,
            owner,
            organisation_id,
            kind,
            period_end,
            &received,
        )?;
        Ok(row.id)
    }
}

/// A valid one-page PDF that shows `lines` in Helvetica, with its cross-reference table.
pub(super) fn pdf(lines: &[&str]) -> Vec<u8> {
    let escape = |text: &str| {
        text.chars()
            .filter(|c| c.is_ascii() && !c.is_ascii_control())
            .flat_map(|c| match c {
                '(' | ')' | '\\' => vec!['\\', c],
                c => vec![c],
            })
            .collect::<String>()
    };
    let mut stream = String::from("BT /F1 12 Tf 72 770 Td 16 TL\n");
    for line in lines {
        stream.push_str(&format!("({}) Tj T*\n", escape(line)));
    }
    stream.push_str("ET\n");
    let objects = [
        "<< /Type /Catalog /Pages 2 0 R >>".to_owned(),
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_owned(),
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>".to_owned(),
        format!("<< /Length {} >>\nstream\n{stream}endstream", stream.len()),
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>".to_owned(),
    ];
    let mut out = b"%PDF-1.4\n".to_vec();
    let mut offsets = Vec::new();
    for (i, object) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n{object}\nendobj\n", i + 1).as_bytes());
    }
    let xref = out.len();
    out.extend_from_slice(
        format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes(),
    );
    for offset in offsets {
        out.extend_from_slice(format!("{offset:010} 00000 n \n").as_bytes());
    }
    out.extend_from_slice(
        format!(
            "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
            objects.len() + 1
        )
        .as_bytes(),
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pdf_is_typed_as_a_pdf_and_points_at_its_objects() {
        let made = pdf(&["Annual accounts (2020)", "Income: 180,000"]);
        assert!(made.starts_with(b"%PDF-1.4\n"));
        let text = String::from_utf8_lossy(&made);
        let xref: usize = text
            .rsplit("startxref\n")
            .next()
            .and_then(|t| t.lines().next())
            .and_then(|n| n.parse().ok())
            .unwrap_or_default();
        assert!(text[xref..].starts_with("xref"));
        assert!(text.contains("(Annual accounts \\(2020\\)) Tj"));
    }
}
