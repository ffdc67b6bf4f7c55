//! The document store: the content of uploaded files, kept as blobs named by the SHA-256 of
//! their bytes, on the local filesystem or any S3-compatible store (`STORAGE_URL`).
//!
//! Two uploads of the same bytes are one blob. The database says which documents use a blob; a
//! blob that no row names is removed by the sweep once it has been left alone for a day, so a
//! blob stored just before its row is committed is never taken. Every failure to reach the store
//! answers 503 `storage_unavailable`, with the cause in the log only.

use std::path::Path as FsPath;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use chrono::{DateTime, Utc};
use futures_util::stream::{BoxStream, StreamExt, TryStreamExt};
use object_store::aws::AmazonS3Builder;
use object_store::local::LocalFileSystem;
use object_store::path::Path;
use object_store::{BackoffConfig, ClientOptions, ObjectStore, RetryConfig, WriteMultipart};
use tokio::io::AsyncReadExt;

use crate::config::Settings;
use crate::error::{ApiError, ErrorCode};

/// Bytes sent to the store in one part of an upload (S3's smallest part but the last).
const PART_BYTES: usize = 5 * 1024 * 1024;
/// Bytes read from a file at a time while it is sent.
const READ_BYTES: usize = 256 * 1024;
/// The folder of the store that holds the blobs.
const PREFIX: &str = "sha256";

/// Why the store could not be opened.
#[derive(Debug, thiserror::Error)]
#[error("STORAGE_URL: {0}")]
pub struct StoreInitError(String);

/// A blob that the store holds, as listed by [`Blobs::list`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Listed {
    /// The SHA-256 of its content, in lower-case hex.
    pub sha256: String,
    pub last_modified: DateTime<Utc>,
}

/// The store of blobs. Cheap to clone.
#[derive(Clone)]
pub struct Blobs {
    store: Arc<dyn ObjectStore>,
}

impl std::fmt::Debug for Blobs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Blobs({})", self.store)
    }
}

/// True for 64 lower-case hex digits.
pub fn is_sha256(text: &str) -> bool {
    text.len() == 64
        && text
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

fn key(sha256: &str) -> Path {
    let fan = sha256.get(..2).unwrap_or("00");
    Path::from(format!("{PREFIX}/{fan}/{sha256}"))
}

/// The store could not be reached: logged, and answered 503 with nothing changed.
fn unavailable(error: object_store::Error) -> ApiError {
    let cause = crate::error::cut(&error.to_string(), crate::telemetry::MAX_LOGGED_CAUSE_CHARS);
    tracing::warn!(%cause, "document store failed");
    ApiError::coded(
        ErrorCode::StorageUnavailable,
        "The document store cannot be reached right now, so nothing was changed; try again shortly.",
    )
}

impl Blobs {
    /// Opens the store `STORAGE_URL` names: `file://PATH` makes the folder if it is missing;
    /// `s3://BUCKET` reads its credentials from the environment (`AWS_ACCESS_KEY_ID`,
    /// `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`) and its address and region from
    /// `STORAGE_ENDPOINT` and `STORAGE_REGION`.
    pub fn open(settings: &Settings) -> Result<Blobs, StoreInitError> {
        let url = settings.storage_url.as_str();
        if let Some(path) = url.strip_prefix("file://") {
            return Blobs::local(FsPath::new(path));
        }
        let Some(bucket) = url.strip_prefix("s3://") else {
            return Err(StoreInitError(format!(
                "{url:?} is neither file://PATH nor s3://BUCKET"
            )));
        };
        let bucket = bucket.trim_end_matches('/');
        if bucket.is_empty() || bucket.contains('/') {
            return Err(StoreInitError(format!("{url:?} does not name one bucket")));
        }
        let mut client = ClientOptions::new()
            .with_connect_timeout(Duration::from_secs(3))
            .with_timeout(Duration::from_secs(60));
        let mut builder = AmazonS3Builder::from_env().with_bucket_name(bucket);
        if let Some(endpoint) = &settings.storage_endpoint {
            client = client.with_allow_http(endpoint.starts_with("http://"));
            builder = builder.with_endpoint(endpoint);
        }
        if let Some(region) = &settings.storage_region {
            builder = builder.with_region(region);
        }
        let retry = RetryConfig {
            backoff: BackoffConfig {
                init_backoff: Duration::from_millis(100),
                max_backoff: Duration::from_secs(1),
                base: 2.0,
            },
            max_retries: 2,
            retry_timeout: Duration::from_secs(5),
        };
        let store = builder
            .with_client_options(client)
            .with_retry(retry)
            .build()
            .map_err(|e| StoreInitError(e.to_string()))?;
        Ok(Blobs {
            store: Arc::new(store),
        })
    }

    /// A store in a folder of the local filesystem, made if missing.
    pub fn local(folder: &FsPath) -> Result<Blobs, StoreInitError> {
        std::fs::create_dir_all(folder)
            .map_err(|e| StoreInitError(format!("cannot make {}: {e}", folder.display())))?;
        let store =
            LocalFileSystem::new_with_prefix(folder).map_err(|e| StoreInitError(e.to_string()))?;
        Ok(Blobs {
            store: Arc::new(store),
        })
    }

    /// Stores the content of `file`, whose SHA-256 is `sha256`, reading and sending it a part at
    /// a time. Storing bytes the store already holds stores them again, which marks the blob as
    /// freshly used.
    pub async fn put_file(&self, sha256: &str, file: &FsPath) -> Result<(), ApiError> {
        let mut source = tokio::fs::File::open(file)
            .await
            .map_err(|e| ApiError::internal(format!("cannot read the received file: {e}")))?;
        let upload = self
            .store
            .put_multipart(&key(sha256))
            .await
            .map_err(unavailable)?;
        let mut writer = WriteMultipart::new_with_chunk_size(upload, PART_BYTES);
        let mut buffer = vec![0u8; READ_BYTES];
        loop {
            let read = match source.read(&mut buffer).await {
                Ok(read) => read,
                Err(e) => {
                    let _ = writer.abort().await;
                    return Err(ApiError::internal(format!(
                        "cannot read the received file: {e}"
                    )));
                }
            };
            if read == 0 {
                break;
            }
            if let Err(e) = writer.wait_for_capacity(2).await {
                let _ = writer.abort().await;
                return Err(unavailable(e));
            }
            writer.write(&buffer[..read]);
        }
        writer.finish().await.map_err(unavailable)?;
        Ok(())
    }

    /// Stores `bytes` whole: for the small files the service makes itself.
    pub async fn put_bytes(&self, sha256: &str, bytes: Vec<u8>) -> Result<(), ApiError> {
        self.store
            .put(&key(sha256), bytes.into())
            .await
            .map_err(unavailable)?;
        Ok(())
    }

    /// The content of a blob, as it streams from the store.
    pub async fn get(
        &self,
        sha256: &str,
    ) -> Result<BoxStream<'static, Result<Bytes, std::io::Error>>, ApiError> {
        let found = self.store.get(&key(sha256)).await.map_err(unavailable)?;
        Ok(found
            .into_stream()
            .map_err(|e| std::io::Error::other(e.to_string()))
            .boxed())
    }

    /// Removes a blob; removing one that is not there succeeds.
    pub async fn delete(&self, sha256: &str) -> Result<(), ApiError> {
        match self.store.delete(&key(sha256)).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(unavailable(e)),
        }
    }

    /// Every blob the store holds, with when it was last stored.
    pub async fn list(&self) -> Result<Vec<Listed>, ApiError> {
        let prefix = Path::from(PREFIX);
        let mut listing = self.store.list(Some(&prefix));
        let mut found = Vec::new();
        while let Some(meta) = listing.next().await {
            let meta = meta.map_err(unavailable)?;
            if let Some(name) = meta.location.filename()
                && is_sha256(name)
            {
                found.push(Listed {
                    sha256: name.to_owned(),
                    last_modified: meta.last_modified,
                });
            }
        }
        Ok(found)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blobs_are_fanned_out_by_their_hash() {
        let hash = "ab".repeat(32);
        assert!(is_sha256(&hash));
        assert_eq!(key(&hash).as_ref(), format!("sha256/ab/{hash}"));
        assert!(!is_sha256("../../etc/passwd"));
        assert!(!is_sha256(&"AB".repeat(32)));
    }

    #[actix_web::test]
    async fn a_local_store_keeps_lists_and_forgets() {
        let dir = tempfile::tempdir().expect("dir");
        let blobs = Blobs::local(&dir.path().join("documents")).expect("store");
        let file = dir.path().join("upload");
        std::fs::write(&file, b"hello").expect("write");
        let hash = "cd".repeat(32);
        blobs.put_file(&hash, &file).await.expect("put");
        let listed = blobs.list().await.expect("list");
        assert_eq!(listed.len(), 1);
        assert_eq!(listed[0].sha256, hash);
        let mut content = Vec::new();
        let mut stream = blobs.get(&hash).await.expect("get");
        while let Some(chunk) = stream.next().await {
            content.extend_from_slice(&chunk.expect("chunk"));
        }
        assert_eq!(content, b"hello");
        blobs.delete(&hash).await.expect("delete");
        blobs.delete(&hash).await.expect("delete again");
        assert!(blobs.list().await.expect("list").is_empty());
    }
}
