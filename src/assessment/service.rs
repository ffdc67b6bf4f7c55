//! Rules for assignments and conflicts of interest.
//!
//! An administrator assigns assessors to submitted applications. Until an assessor declares
//! that they have no conflict of interest they see only the title and the organisation's name;
//! a declared conflict closes the assignment, stays on record, and hides the application from
//! that assessor for good.

use std::collections::{BTreeMap, HashMap};

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;

use crate::assessment::model::{
    Assignment, AssignmentRow, AssignmentStatus, BulkAssignment, ConflictDeclaration,
};
use crate::audit::{self, Change};
use crate::caller::CurrentUser;
use crate::db::schema::{applications, assignments, organisations, users};
use crate::db::{DbConnection, write_transaction};
use crate::domain::vocabulary::{ApplicationStatus, Role};
use crate::email::{messages, outbox};
use crate::error::{ApiError, ErrorCode, Validator};
use crate::permissions::Action;
use crate::rounds::model::RoundRow;
use crate::wire::paging::{Page, Paged};

/// The assignments with their round, title and organisation, in the order given.
fn to_api(conn: &mut DbConnection, rows: Vec<AssignmentRow>) -> Result<Vec<Assignment>, ApiError> {
    let ids: Vec<i64> = rows.iter().map(|r| r.application_id).collect();
    let about: HashMap<i64, (i64, String, String)> = applications::table
        .inner_join(organisations::table)
        .filter(applications::id.eq_any(&ids))
        .select((
            applications::id,
            applications::round_id,
            applications::title,
            organisations::name,
        ))
        .load::<(i64, i64, String, String)>(conn)?
        .into_iter()
        .map(|(id, round, title, name)| (id, (round, title, name)))
        .collect();
    rows.into_iter()
        .map(|row| {
            let (round, title, name) = about
                .get(&row.application_id)
                .cloned()
                .ok_or_else(|| ApiError::internal("assignment without its application"))?;
            row.into_api(round, title, name)
        })
        .collect()
}

pub(crate) fn load(conn: &mut DbConnection, id: i64) -> Result<Assignment, ApiError> {
    let row = AssignmentRow::find(conn, id)?;
    to_api(conn, vec![row])?
        .pop()
        .ok_or_else(|| ApiError::internal("assignment vanished while loading"))
}

/// The active assessors among `ids`, with their email and name; 422 naming each that is not.
fn assessors(
    conn: &mut DbConnection,
    field: &str,
    ids: &[i64],
) -> Result<BTreeMap<i64, (String, String)>, ApiError> {
    let found: BTreeMap<i64, (String, String)> = users::table
        .filter(users::id.eq_any(ids))
        .filter(users::role.eq(Role::Assessor))
        .filter(users::active.eq(true))
        .select((users::id, users::email, users::name))
        .load::<(i64, String, String)>(conn)?
        .into_iter()
        .map(|(id, email, name)| (id, (email, name)))
        .collect();
    let mut v = Validator::new();
    for (i, id) in ids.iter().enumerate() {
        if !found.contains_key(id) {
            let at = if ids.len() == 1 && field == "assessor_id" {
                field.to_owned()
            } else {
                format!("{field}[{i}]")
            };
            v.error(at, "is not an active assessor");
        }
    }
    v.finish()?;
    Ok(found)
}

fn insert(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    admin: &CurrentUser,
    application_id: i64,
    assessor_id: i64,
) -> Result<i64, ApiError> {
    let id = diesel::insert_into(assignments::table)
        .values((
            assignments::application_id.eq(application_id),
            assignments::assessor_id.eq(assessor_id),
            assignments::status.eq(AssignmentStatus::Pending),
            assignments::assigned_by.eq(admin.id),
            assignments::created_at.eq(now),
            assignments::updated_at.eq(now),
        ))
        .returning(assignments::id)
        .get_result(conn)
        .map_err(ApiError::unique_as(
            ErrorCode::AlreadyAssigned,
            "This assessor is already assigned to this application.",
        ))?;
    audit::record(
        conn,
        now,
        Change::by(admin, "assignment", id, "created")
            .after(json!({"application_id": application_id, "assessor_id": assessor_id})),
    )?;
    Ok(id)
}

/// Tells each assessor, in one email, of the applications just assigned to them.
fn notify(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    people: &BTreeMap<i64, (String, String)>,
    created: &[Assignment],
) -> Result<(), ApiError> {
    let mut by_assessor: BTreeMap<i64, Vec<(i64, String, String)>> = BTreeMap::new();
    for a in created {
        by_assessor.entry(a.assessor_id).or_default().push((
            a.application_id,
            a.application_title.clone(),
            a.organisation_name.clone(),
        ));
    }
    for (assessor, items) in by_assessor {
        if let Some((email, name)) = people.get(&assessor) {
            outbox::enqueue(conn, now, &messages::assignments(email, name, &items))?;
        }
    }
    Ok(())
}

pub(crate) fn submitted_application(conn: &mut DbConnection, id: i64) -> Result<(), ApiError> {
    let status: ApplicationStatus = applications::table
        .find(id)
        .select(applications::status)
        .first(conn)?;
    if status != ApplicationStatus::Submitted {
        return Err(ApiError::conflict(
            ErrorCode::ApplicationNotSubmitted,
            format!("This application is {status}; only submitted applications are assessed."),
        ));
    }
    Ok(())
}

/// Assigns one assessor to one submitted application. Administrators only.
pub fn assign(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    admin: &CurrentUser,
    application_id: i64,
    assessor_id: i64,
) -> Result<Assignment, ApiError> {
    admin.require(Action::AssignAssessors)?;
    write_transaction(conn, |conn| {
        submitted_application(conn, application_id)?;
        let people = assessors(conn, "assessor_id", &[assessor_id])?;
        let id = insert(conn, now, admin, application_id, assessor_id)?;
        let assignment = load(conn, id)?;
        notify(conn, now, &people, std::slice::from_ref(&assignment))?;
        Ok(assignment)
    })
}

/// What a bulk assignment did.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct BulkResult {
    /// The assignments made.
    pub created: Vec<Assignment>,
    /// Applications that still have fewer assessors than asked, for want of eligible ones.
    pub unfilled: Vec<i64>,
}

/// Gives every submitted application of a round `assessors_per_application` assessors who have
/// not declared a conflict on it, each time choosing the assessors with the fewest assignments
/// (then the lowest id), so the load is spread evenly. One email per assessor.
pub fn assign_round(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    admin: &CurrentUser,
    round_id: i64,
    request: &BulkAssignment,
) -> Result<BulkResult, ApiError> {
    admin.require(Action::AssignAssessors)?;
    let mut v = Validator::new();
    let per_application = v.count(
        "assessors_per_application",
        request.assessors_per_application,
        1..=10,
    );
    write_transaction(conn, |conn| {
        RoundRow::find(conn, round_id)?;
        let pool: Vec<i64> = match &request.assessor_ids {
            Some(ids) => ids.clone(),
            None => users::table
                .filter(users::role.eq(Role::Assessor))
                .filter(users::active.eq(true))
                .select(users::id)
                .load(conn)?,
        };
        if request.assessor_ids.as_ref().is_some_and(Vec::is_empty) {
            v.error("assessor_ids", "must name at least one assessor");
        }
        let people = match assessors(conn, "assessor_ids", &pool) {
            Ok(people) => people,
            Err(ApiError::Validation(errors)) => {
                for e in errors {
                    v.error(e.field, e.message);
                }
                BTreeMap::new()
            }
            Err(other) => return Err(other),
        };
        let per_application = v.finish_with(|| per_application)?;

        let mut load: BTreeMap<i64, i64> = people.keys().map(|id| (*id, 0)).collect();
        let existing: Vec<(i64, i64, AssignmentStatus)> = assignments::table
            .select((
                assignments::assessor_id,
                assignments::application_id,
                assignments::status,
            ))
            .load(conn)?;
        for (assessor, _, _) in &existing {
            if let Some(count) = load.get_mut(assessor) {
                *count += 1;
            }
        }
        let submitted: Vec<i64> = applications::table
            .filter(applications::round_id.eq(round_id))
            .filter(applications::status.eq(ApplicationStatus::Submitted))
            .select(applications::id)
            .order(applications::id)
            .load(conn)?;
        let mut created_ids = Vec::new();
        let mut unfilled = Vec::new();
        for application in submitted {
            let on_it: Vec<(i64, bool)> = existing
                .iter()
                .filter(|(_, app, _)| *app == application)
                .map(|(assessor, _, status)| (*assessor, *status == AssignmentStatus::Conflicted))
                .collect();
            let active = on_it.iter().filter(|(_, conflicted)| !conflicted).count() as i64;
            let mut need = per_application - active;
            while need > 0 {
                let choice = load
                    .iter()
                    .filter(|(assessor, _)| !on_it.iter().any(|(a, _)| a == *assessor))
                    .filter(|(assessor, _)| {
                        !created_ids
                            .iter()
                            .any(|(app, a, _)| *app == application && a == *assessor)
                    })
                    .min_by_key(|(assessor, count)| (**count, **assessor))
                    .map(|(assessor, _)| *assessor);
                let Some(assessor) = choice else {
                    unfilled.push(application);
                    break;
                };
                let id = insert(conn, now, admin, application, assessor)?;
                created_ids.push((application, assessor, id));
                *load.entry(assessor).or_default() += 1;
                need -= 1;
            }
        }
        let rows: Vec<AssignmentRow> = assignments::table
            .filter(assignments::id.eq_any(created_ids.iter().map(|(_, _, id)| *id)))
            .order(assignments::id)
            .load(conn)?;
        let created = to_api(conn, rows)?;
        notify(conn, now, &people, &created)?;
        Ok(BulkResult { created, unfilled })
    })
}

/// Filters for the list of assignments.
#[derive(Debug, Default, Clone)]
pub struct AssignmentFilter {
    pub status: Option<AssignmentStatus>,
    pub round_id: Option<i64>,
    pub assessor_id: Option<i64>,
}

/// An assessor's own assignments, or every one for administrators; oldest first.
pub fn list(
    conn: &mut DbConnection,
    user: &CurrentUser,
    filter: &AssignmentFilter,
    page: Page,
) -> Result<Paged<Assignment>, ApiError> {
    user.require(Action::ReadAssessments)?;
    let own = user.is(Role::Assessor).then_some(user.id);
    let query = || {
        let mut q = assignments::table.into_boxed();
        if let Some(own) = own {
            q = q.filter(assignments::assessor_id.eq(own));
        }
        if let Some(status) = filter.status {
            q = q.filter(assignments::status.eq(status));
        }
        if let Some(assessor) = filter.assessor_id {
            q = q.filter(assignments::assessor_id.eq(assessor));
        }
        if let Some(round) = filter.round_id {
            q = q.filter(
                assignments::application_id.eq_any(
                    applications::table
                        .filter(applications::round_id.eq(round))
                        .select(applications::id),
                ),
            );
        }
        q
    };
    let (total, rows): (i64, Vec<AssignmentRow>) =
        page.load(conn, query().count(), query().order(assignments::id))?;
    Ok(page.wrap(to_api(conn, rows)?, total))
}

/// The assessor's declaration on conflict of interest, once, from `pending`.
pub fn declare(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    user: &CurrentUser,
    id: i64,
    declaration: &ConflictDeclaration,
) -> Result<Assignment, ApiError> {
    user.require(Action::Score)?;
    let mut v = Validator::new();
    let reason = v.optional_text("reason", declaration.reason.as_deref(), 2_000);
    v.finish()?;
    let reason = reason.flatten();
    write_transaction(conn, |conn| {
        let row = AssignmentRow::find(conn, id)?;
        if row.assessor_id != user.id {
            return Err(ApiError::NotFound);
        }
        let (status, action) = if declaration.has_conflict {
            (AssignmentStatus::Conflicted, "conflict_declared")
        } else {
            (AssignmentStatus::InProgress, "no_conflict_declared")
        };
        let changed = diesel::update(
            assignments::table
                .find(id)
                .filter(assignments::status.eq(AssignmentStatus::Pending)),
        )
        .set((
            assignments::status.eq(status),
            assignments::conflict_reason.eq(reason.as_deref().filter(|_| declaration.has_conflict)),
            assignments::declared_at.eq(Some(now)),
            assignments::updated_at.eq(now),
        ))
        .execute(conn)?;
        if changed == 0 {
            return Err(ApiError::conflict(
                ErrorCode::InvalidState,
                format!(
                    "This assignment is {}; a conflict of interest is declared once, while it is pending.",
                    row.status.as_str()
                ),
            ));
        }
        audit::record(
            conn,
            now,
            Change::by(user, "assignment", id, action)
                .before(json!({"status": row.status}))
                .after(json!({"status": status.as_str(), "reason": reason})),
        )?;
        load(conn, id)
    })
}
