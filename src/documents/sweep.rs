//! The sweep of the document store: blobs that no document names are removed once they have
//! been left alone for a day, so a blob stored for a row not yet committed is never taken; and
//! the blobs of documents that retention removed, as soon as no other document names them.

use chrono::{DateTime, Duration, Utc};

use crate::blobs::Blobs;
use crate::db::Db;
use crate::documents::service;
use crate::error::ApiError;

/// What one sweep did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct SweepReport {
    pub blobs_removed: usize,
    pub blobs_kept: usize,
}

/// How long a blob that no row names is left alone before the sweep removes it.
pub fn sweep_grace() -> Duration {
    Duration::days(1)
}

/// Removes the blobs that no document names and that have not been stored for a day.
pub async fn sweep(db: &Db, blobs: &Blobs, now: DateTime<Utc>) -> Result<SweepReport, ApiError> {
    let cutoff = now - sweep_grace();
    let listed = blobs.list().await?;
    let total = listed.len();
    let old: Vec<String> = listed
        .into_iter()
        .filter(|b| b.last_modified < cutoff)
        .map(|b| b.sha256)
        .collect();
    let candidates = old.clone();
    let named = db
        .run(move |conn| service::referenced(conn, &candidates))
        .await?;
    let mut report = SweepReport::default();
    for sha256 in old.iter().filter(|h| !named.contains(*h)) {
        blobs.delete(sha256).await?;
        report.blobs_removed += 1;
    }
    report.blobs_kept = total - report.blobs_removed;
    Ok(report)
}

/// Removes the blobs of `hashes` that no document names any more (after retention removed
/// their rows). A blob the store cannot remove now is left to the sweep.
pub async fn forget(db: &Db, blobs: &Blobs, hashes: Vec<String>) -> Result<usize, ApiError> {
    if hashes.is_empty() {
        return Ok(0);
    }
    let candidates = hashes.clone();
    let named = db
        .run(move |conn| service::referenced(conn, &candidates))
        .await?;
    let mut removed = 0;
    for sha256 in hashes.iter().filter(|h| !named.contains(*h)) {
        blobs.delete(sha256).await?;
        removed += 1;
    }
    Ok(removed)
}
