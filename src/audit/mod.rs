//! The audit trail: who changed what, when, with the before and after values that matter.
//!
//! Every state change calls [`record`] inside the transaction that makes the change, so a change
//! and its audit entry commit or roll back together.

pub mod routes;

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use utoipa::ToSchema;

use crate::caller::CurrentUser;
use crate::db::DbConnection;
use crate::db::schema::audit_log;
use crate::domain::clock::utc;
use crate::error::ApiError;
use crate::wire::paging::{Page, Paged};

/// One change to record.
#[derive(Debug)]
pub struct Change<'a> {
    /// Who made it; `None` for the service itself or an anonymous caller.
    pub actor: Option<i64>,
    /// The kind of object, e.g. `organisation`, `user`.
    pub entity: &'a str,
    pub entity_id: i64,
    /// What happened, e.g. `created`, `verified`, `password_reset`.
    pub action: &'a str,
    pub before: Option<Value>,
    pub after: Option<Value>,
}

impl<'a> Change<'a> {
    /// A change by `actor` (`None` for the service itself or an anonymous caller), with neither
    /// value recorded yet.
    pub fn new(actor: Option<i64>, entity: &'a str, entity_id: i64, action: &'a str) -> Self {
        Change {
            actor,
            entity,
            entity_id,
            action,
            before: None,
            after: None,
        }
    }

    /// A change made by a signed-in caller.
    pub fn by(user: &CurrentUser, entity: &'a str, entity_id: i64, action: &'a str) -> Self {
        Change::new(Some(user.id), entity, entity_id, action)
    }

    /// The values that mattered before the change.
    pub fn before(self, before: impl Into<Option<Value>>) -> Self {
        Change {
            before: before.into(),
            ..self
        }
    }

    /// The values that matter after the change.
    pub fn after(self, after: impl Into<Option<Value>>) -> Self {
        Change {
            after: after.into(),
            ..self
        }
    }
}

#[derive(Insertable)]
#[diesel(table_name = audit_log, treat_none_as_default_value = false)]
struct NewEntry<'a> {
    occurred_at: NaiveDateTime,
    actor_user_id: Option<i64>,
    entity: &'a str,
    entity_id: i64,
    action: &'a str,
    before_state: Option<String>,
    after_state: Option<String>,
}

/// Records a change. Call it inside the transaction that makes the change.
pub fn record(
    conn: &mut DbConnection,
    at: NaiveDateTime,
    change: Change<'_>,
) -> Result<(), ApiError> {
    diesel::insert_into(audit_log::table)
        .values(NewEntry::new(at, change))
        .execute(conn)?;
    Ok(())
}

/// Records several changes in one statement, in the order given.
pub fn record_all(
    conn: &mut DbConnection,
    at: NaiveDateTime,
    changes: Vec<Change<'_>>,
) -> Result<(), ApiError> {
    if changes.is_empty() {
        return Ok(());
    }
    let rows: Vec<NewEntry<'_>> = changes
        .into_iter()
        .map(|change| NewEntry::new(at, change))
        .collect();
    crate::db::batch!(conn, audit_log::table, &rows)?;
    Ok(())
}

impl<'a> NewEntry<'a> {
    fn new(at: NaiveDateTime, change: Change<'a>) -> Self {
        NewEntry {
            occurred_at: at,
            actor_user_id: change.actor,
            entity: change.entity,
            entity_id: change.entity_id,
            action: change.action,
            before_state: change.before.map(|v| v.to_string()),
            after_state: change.after.map(|v| v.to_string()),
        }
    }
}

#[derive(Queryable)]
struct EntryRow {
    id: i64,
    occurred_at: NaiveDateTime,
    actor_user_id: Option<i64>,
    entity: String,
    entity_id: i64,
    action: String,
    before_state: Option<String>,
    after_state: Option<String>,
}

/// One entry of the audit trail.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct AuditEntry {
    pub id: i64,
    pub occurred_at: DateTime<Utc>,
    /// The user who made the change; absent for the service itself or the public.
    pub actor_user_id: Option<i64>,
    pub entity: String,
    pub entity_id: i64,
    pub action: String,
    /// The values that mattered before the change.
    pub before: Option<Value>,
    /// The values that matter after the change.
    pub after: Option<Value>,
}

impl From<EntryRow> for AuditEntry {
    fn from(row: EntryRow) -> Self {
        let parse = |s: Option<String>| s.and_then(|s| serde_json::from_str(&s).ok());
        AuditEntry {
            id: row.id,
            occurred_at: utc(row.occurred_at),
            actor_user_id: row.actor_user_id,
            entity: row.entity,
            entity_id: row.entity_id,
            action: row.action,
            before: parse(row.before_state),
            after: parse(row.after_state),
        }
    }
}

/// The trail, newest first, optionally for one kind of object or one object.
pub fn list(
    conn: &mut DbConnection,
    entity: Option<&str>,
    entity_id: Option<i64>,
    page: Page,
) -> Result<Paged<AuditEntry>, ApiError> {
    let filtered = || {
        let mut query = audit_log::table.into_boxed();
        if let Some(entity) = entity {
            query = query.filter(audit_log::entity.eq(entity.to_owned()));
        }
        if let Some(id) = entity_id {
            query = query.filter(audit_log::entity_id.eq(id));
        }
        query
    };
    let (total, rows): (i64, Vec<EntryRow>) = page.load(
        conn,
        filtered().count(),
        filtered().order(audit_log::id.desc()),
    )?;
    Ok(page.wrap(rows.into_iter().map(AuditEntry::from).collect(), total))
}

/// Replaces the copied content of an object's audit entries at the end of its retention
/// period, keeping who, when and what.
pub fn redact(conn: &mut DbConnection, entity: &str, id: i64) -> Result<(), ApiError> {
    let redacted = json!({"redacted": "retention"}).to_string();
    diesel::update(
        audit_log::table
            .filter(audit_log::entity.eq(entity))
            .filter(audit_log::entity_id.eq(id)),
    )
    .set((
        audit_log::before_state.eq(Some(redacted.clone())),
        audit_log::after_state.eq(Some(redacted)),
    ))
    .execute(conn)?;
    Ok(())
}
