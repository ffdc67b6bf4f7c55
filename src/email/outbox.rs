//! The outbox: every email is a row written in the same transaction as the change that causes
//! it, then sent by a worker. Rows are claimed with a lease, so several workers (threads,
//! processes, instances) never send the same row at once, and a worker that dies mid-send
//! leaves a row that another picks up when the lease runs out.
//!
//! Some emails carry a one-time secret (a password reset link), which the service otherwise
//! keeps only as a hash. Such a row is marked `secret`, and the update that records it sent, or
//! given up as failed, also replaces its body with [`ERASED`]: the secret sits in the table only
//! while the email waits to go, and no copy outlives its delivery.

use std::time::Duration;

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::db::schema::outbox;
use crate::db::text_enum::text_column;
use crate::db::{DbConnection, write_transaction};
use crate::domain::clock::utc;
use crate::domain::vocabulary::UnknownValue;
use crate::error::ApiError;
use crate::wire::paging::{Page, Paged};

/// How long a claimed row stays with its worker before another may take it over.
pub const CLAIM_LEASE: Duration = Duration::from_secs(120);

/// Where an email stands.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Serialize,
    Deserialize,
    ToSchema,
    diesel::AsExpression,
    diesel::FromSqlRow,
)]
#[diesel(sql_type = diesel::sql_types::Text)]
#[serde(rename_all = "snake_case")]
pub enum OutboxStatus {
    /// Waiting to be sent (first attempt, or a retry after `next_attempt_at`).
    Pending,
    /// Claimed by a worker that is sending it.
    Sending,
    /// Handed to the mail server.
    Sent,
    /// Every attempt failed; kept for an administrator to see.
    Failed,
}

impl OutboxStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            OutboxStatus::Pending => "pending",
            OutboxStatus::Sending => "sending",
            OutboxStatus::Sent => "sent",
            OutboxStatus::Failed => "failed",
        }
    }
}

impl std::str::FromStr for OutboxStatus {
    type Err = UnknownValue;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text {
            "pending" => Ok(OutboxStatus::Pending),
            "sending" => Ok(OutboxStatus::Sending),
            "sent" => Ok(OutboxStatus::Sent),
            "failed" => Ok(OutboxStatus::Failed),
            _ => Err(UnknownValue {
                expected: &["pending", "sending", "sent", "failed"],
            }),
        }
    }
}

text_column!(OutboxStatus);

/// The kinds of email whose body holds a one-time secret, erased once the email has gone.
pub const SECRET_KINDS: &[&str] = &["password_reset"];

/// What a secret-bearing body becomes once sent or given up.
pub const ERASED: &str =
    "(This email held a one-time link. It was removed once the email was sent.)";

/// An email to send.
#[derive(Debug, Clone)]
pub struct NewEmail {
    /// What caused it, e.g. `welcome`, `password_reset`.
    pub kind: &'static str,
    pub recipient: String,
    pub subject: String,
    pub body: String,
}

#[derive(Insertable)]
#[diesel(table_name = outbox)]
struct NewRow<'a> {
    kind: &'a str,
    recipient: &'a str,
    subject: &'a str,
    body: &'a str,
    secret: bool,
    status: OutboxStatus,
    attempts: i32,
    next_attempt_at: NaiveDateTime,
    created_at: NaiveDateTime,
}

impl<'a> NewRow<'a> {
    /// A row for `email`, due at once.
    fn pending(email: &'a NewEmail, now: NaiveDateTime) -> Self {
        NewRow {
            kind: email.kind,
            recipient: &email.recipient,
            subject: &email.subject,
            body: &email.body,
            secret: SECRET_KINDS.contains(&email.kind),
            status: OutboxStatus::Pending,
            attempts: 0,
            next_attempt_at: now,
            created_at: now,
        }
    }
}

#[derive(Clone, Debug, Queryable)]
pub struct OutboxRow {
    pub id: i64,
    pub kind: String,
    pub recipient: String,
    pub subject: String,
    pub body: String,
    pub status: OutboxStatus,
    pub attempts: i32,
    pub next_attempt_at: NaiveDateTime,
    pub locked_until: Option<NaiveDateTime>,
    pub last_error: Option<String>,
    pub created_at: NaiveDateTime,
    pub sent_at: Option<NaiveDateTime>,
    /// Whether the body holds a one-time secret, erased once sent or failed.
    pub secret: bool,
}

/// Queues an email. Call it inside the transaction of the change that causes it.
pub fn enqueue(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    email: &NewEmail,
) -> Result<i64, ApiError> {
    Ok(diesel::insert_into(outbox::table)
        .values(NewRow::pending(email, now))
        .returning(outbox::id)
        .get_result(conn)?)
}

/// Queues several emails in one statement, as [`enqueue`] does one.
pub fn enqueue_all(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    emails: &[NewEmail],
) -> Result<(), ApiError> {
    if emails.is_empty() {
        return Ok(());
    }
    let rows: Vec<NewRow<'_>> = emails
        .iter()
        .map(|email| NewRow::pending(email, now))
        .collect();
    crate::db::batch!(conn, outbox::table, &rows)?;
    Ok(())
}

/// Ids of rows that are due: pending and past their retry time, or sending with a lapsed lease.
#[diesel::dsl::auto_type(no_type_alias)]
fn claimable(now: NaiveDateTime, limit: i64) -> _ {
    let pending: OutboxStatus = OutboxStatus::Pending;
    let sending: OutboxStatus = OutboxStatus::Sending;
    outbox::table
        .filter(
            (outbox::status
                .eq(pending)
                .and(outbox::next_attempt_at.le(now)))
            .or(outbox::status.eq(sending).and(outbox::locked_until.le(now))),
        )
        .order(outbox::id)
        .select(outbox::id)
        .limit(limit)
}

/// Claims up to `limit` due rows for this worker: marks them `sending` with a lease and counts
/// the attempt. On PostgreSQL, `FOR UPDATE SKIP LOCKED` lets workers claim disjoint rows side
/// by side; on SQLite the write transaction serialises claimers.
pub fn claim(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    limit: i64,
) -> Result<Vec<OutboxRow>, ApiError> {
    let lease = chrono::Duration::from_std(CLAIM_LEASE).unwrap_or(chrono::Duration::MAX);
    write_transaction(conn, |conn| {
        let ids: Vec<i64> = match conn {
            DbConnection::Postgresql(c) => {
                claimable(now, limit).for_update().skip_locked().load(c)?
            }
            DbConnection::Sqlite(c) => claimable(now, limit).load(c)?,
        };
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        diesel::update(outbox::table.filter(outbox::id.eq_any(&ids)))
            .set((
                outbox::status.eq(OutboxStatus::Sending),
                outbox::locked_until.eq(now + lease),
                outbox::attempts.eq(outbox::attempts + 1),
            ))
            .execute(conn)?;
        Ok(outbox::table
            .filter(outbox::id.eq_any(&ids))
            .order(outbox::id)
            .load(conn)?)
    })
}

/// Marks a claimed row sent. Only the claim's own lease may do so (status still `sending`). A
/// secret-bearing body is erased in the same update.
pub fn mark_sent(conn: &mut DbConnection, id: i64, now: NaiveDateTime) -> Result<bool, ApiError> {
    let claimed = outbox::table
        .find(id)
        .filter(outbox::status.eq(OutboxStatus::Sending));
    let sent = || {
        (
            outbox::status.eq(OutboxStatus::Sent),
            outbox::sent_at.eq(Some(now)),
            outbox::locked_until.eq(None::<NaiveDateTime>),
            outbox::last_error.eq(None::<String>),
        )
    };
    let updated = diesel::update(claimed.filter(outbox::secret.eq(false)))
        .set(sent())
        .execute(conn)?
        + diesel::update(claimed.filter(outbox::secret.eq(true)))
            .set((sent(), outbox::body.eq(ERASED)))
            .execute(conn)?;
    Ok(updated == 1)
}

/// Records a failed attempt: back to `pending` with a later retry time, or `failed` when the
/// attempts are spent.
pub fn mark_failed(
    conn: &mut DbConnection,
    row: &OutboxRow,
    now: NaiveDateTime,
    error: &str,
    max_attempts: i32,
    retry_base: Duration,
) -> Result<(), ApiError> {
    let error: String = error.chars().take(1000).collect();
    let (status, next) = if row.attempts >= max_attempts {
        (OutboxStatus::Failed, now)
    } else {
        (
            OutboxStatus::Pending,
            now + backoff(row.attempts, retry_base),
        )
    };
    let claimed = outbox::table
        .find(row.id)
        .filter(outbox::status.eq(OutboxStatus::Sending));
    let attempt = (
        outbox::status.eq(status),
        outbox::next_attempt_at.eq(next),
        outbox::locked_until.eq(None::<NaiveDateTime>),
        outbox::last_error.eq(Some(error)),
    );
    // Given up: a secret will never be sent, so it is not kept either.
    if status == OutboxStatus::Failed && row.secret {
        diesel::update(claimed)
            .set((attempt, outbox::body.eq(ERASED)))
            .execute(conn)?;
    } else {
        diesel::update(claimed).set(attempt).execute(conn)?;
    }
    Ok(())
}

/// The wait after `attempts` failed attempts: the base, doubled for each further attempt, at
/// most six hours.
pub fn backoff(attempts: i32, base: Duration) -> chrono::Duration {
    let exponent = u32::try_from(attempts.saturating_sub(1))
        .unwrap_or(0)
        .min(20);
    let seconds = base
        .as_secs()
        .saturating_mul(1u64 << exponent)
        .min(6 * 3600);
    chrono::Duration::seconds(i64::try_from(seconds).unwrap_or(6 * 3600))
}

/// An email as administrators see it: the envelope and its delivery, not the body (which may
/// hold a one-time secret such as a password reset link).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct OutboxEntry {
    pub id: i64,
    /// What caused it, e.g. `welcome`, `password_reset`.
    pub kind: String,
    pub recipient: String,
    pub subject: String,
    pub status: OutboxStatus,
    /// Sending attempts made so far.
    pub attempts: i32,
    /// When the next attempt is due (pending rows).
    pub next_attempt_at: DateTime<Utc>,
    /// The error of the last failed attempt.
    pub last_error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub sent_at: Option<DateTime<Utc>>,
}

impl From<OutboxRow> for OutboxEntry {
    fn from(row: OutboxRow) -> Self {
        OutboxEntry {
            id: row.id,
            kind: row.kind,
            recipient: row.recipient,
            subject: row.subject,
            status: row.status,
            attempts: row.attempts,
            next_attempt_at: utc(row.next_attempt_at),
            last_error: row.last_error,
            created_at: utc(row.created_at),
            sent_at: row.sent_at.map(utc),
        }
    }
}

/// The outbox, newest first, optionally of one status.
pub fn list(
    conn: &mut DbConnection,
    status: Option<OutboxStatus>,
    page: Page,
) -> Result<Paged<OutboxEntry>, ApiError> {
    let filtered = || {
        let mut query = outbox::table.into_boxed();
        if let Some(status) = status {
            query = query.filter(outbox::status.eq(status));
        }
        query
    };
    let (total, rows): (i64, Vec<OutboxRow>) = page.load(
        conn,
        filtered().count(),
        filtered().order(outbox::id.desc()),
    )?;
    Ok(page.wrap(rows.into_iter().map(OutboxEntry::from).collect(), total))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_read_back_from_their_text() {
        for status in [
            OutboxStatus::Pending,
            OutboxStatus::Sending,
            OutboxStatus::Sent,
            OutboxStatus::Failed,
        ] {
            assert_eq!(status.as_str().parse::<OutboxStatus>(), Ok(status));
        }
        assert!("queued".parse::<OutboxStatus>().is_err());
    }

    #[test]
    fn backoff_doubles_and_is_capped() {
        let base = Duration::from_secs(30);
        assert_eq!(backoff(1, base).num_seconds(), 30);
        assert_eq!(backoff(2, base).num_seconds(), 60);
        assert_eq!(backoff(4, base).num_seconds(), 240);
        assert_eq!(backoff(40, base).num_seconds(), 6 * 3600);
    }
}
