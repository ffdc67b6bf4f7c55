//! The end of a stay's retention period: a number of months after its last change (its last
//! payment, for a stay that was paid) with no claim still open, the stay is anonymised. The
//! woman's name and date of birth, her ward and consultant, the children's names and dates of
//! birth, the claimant's bank details (unless another stay of theirs is still kept), the
//! receipts and the words written about journeys and lines go; the amounts, dates, unit and
//! boards stay, so the fund's figures do not move.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::audit::{self, Change};
use crate::db::schema::{claim_lines, claims, pre_approvals, stay_people, stays, visitors};
use crate::db::{DbConnection, write_transaction};
use crate::documents;
use crate::domain::vocabulary::{ClaimStatus, DocumentOwner};
use crate::error::ApiError;
use crate::organisations::bank::{self, Holder};

/// The claims that keep a stay as it is: still being written, checked or paid, or referred.
const OPEN: [ClaimStatus; 5] = [
    ClaimStatus::Draft,
    ClaimStatus::Submitted,
    ClaimStatus::Certified,
    ClaimStatus::Approved,
    ClaimStatus::Referred,
];

/// What anonymising stays removed: how many stays, and the blobs of their receipts for the
/// store to forget once no other document names them.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Anonymised {
    pub stays: usize,
    pub documents: usize,
    pub freed_blobs: Vec<String>,
}

/// Anonymises every stay whose last change, and its claims', is before `cutoff` and that has no
/// open claim; each in a transaction of its own, audited.
pub fn anonymise(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    cutoff: NaiveDateTime,
) -> Result<Anonymised, ApiError> {
    let recent_or_open = claims::table.filter(claims::stay_id.eq(stays::id)).filter(
        claims::status
            .eq_any(OPEN)
            .or(claims::updated_at.ge(cutoff)),
    );
    let due: Vec<(i64, i64)> = stays::table
        .filter(stays::anonymised_at.is_null())
        .filter(stays::updated_at.lt(cutoff))
        .filter(diesel::dsl::not(diesel::dsl::exists(recent_or_open)))
        .select((stays::id, stays::claimant_id))
        .load(conn)?;
    let mut done = Anonymised::default();
    for (stay, claimant) in due {
        let freed = write_transaction(conn, |conn| {
            let changed = diesel::update(
                stays::table
                    .find(stay)
                    .filter(stays::anonymised_at.is_null()),
            )
            .set(stays::anonymised_at.eq(Some(now)))
            .execute(conn)?;
            if changed == 0 {
                return Ok(None);
            }
            diesel::delete(stay_people::table.find(stay)).execute(conn)?;
            diesel::update(visitors::table.filter(visitors::stay_id.eq(stay)))
                .set((
                    visitors::sealed.eq(None::<String>),
                    visitors::key_id.eq(None::<String>),
                ))
                .execute(conn)?;
            diesel::update(pre_approvals::table.filter(pre_approvals::stay_id.eq(stay)))
                .set(pre_approvals::details.eq("Removed"))
                .execute(conn)?;
            diesel::update(
                pre_approvals::table
                    .filter(pre_approvals::stay_id.eq(stay))
                    .filter(pre_approvals::reason.is_not_null()),
            )
            .set(pre_approvals::reason.eq(Some("Removed")))
            .execute(conn)?;
            let claim_ids: Vec<i64> = claims::table
                .filter(claims::stay_id.eq(stay))
                .select(claims::id)
                .load(conn)?;
            diesel::update(claim_lines::table.filter(claim_lines::claim_id.eq_any(&claim_ids)))
                .set(claim_lines::description.eq(""))
                .execute(conn)?;
            diesel::update(
                claims::table
                    .filter(claims::stay_id.eq(stay))
                    .filter(claims::rejection_reason.is_not_null()),
            )
            .set(claims::rejection_reason.eq(Some("Removed")))
            .execute(conn)?;
            let freed = documents::service::remove_all(conn, DocumentOwner::Claim, &claim_ids)?;
            let kept_elsewhere = stays::table
                .filter(stays::claimant_id.eq(claimant))
                .filter(stays::anonymised_at.is_null())
                .count()
                .get_result::<i64>(conn)?;
            if kept_elsewhere == 0 {
                bank::forget(conn, Holder::Claimant(claimant))?;
            }
            for claim in &claim_ids {
                audit::redact(conn, "claim", *claim)?;
            }
            audit::record(conn, now, Change::new(None, "stay", stay, "anonymised"))?;
            Ok::<_, ApiError>(Some(freed))
        })?;
        if let Some(freed) = freed {
            done.stays += 1;
            done.documents += freed.len();
            done.freed_blobs.extend(freed);
        }
    }
    Ok(done)
}
