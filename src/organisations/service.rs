//! Rules for organisations: creation, who may see and change them, due diligence.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde_json::json;

use crate::audit::{self, Change};
use crate::caller::CurrentUser;
use crate::db::schema::{applications, assignments, organisation_health_boards, organisations};
use crate::db::{DbConnection, children, write_transaction};
use crate::domain::vocabulary::{AssignmentStatus, HealthBoard, Role};
use crate::error::{ApiError, ErrorCode, Validator};
use crate::organisations::model::{
    Organisation, OrganisationDetails, OrganisationFields, OrganisationInput, OrganisationPatch,
    OrganisationRow,
};
use crate::permissions::Action;
use crate::wire::like_containing;
use crate::wire::paging::{Page, Paged};

fn charity_number_taken() -> impl FnOnce(diesel::result::Error) -> ApiError {
    ApiError::unique_as(
        ErrorCode::OrganisationExists,
        "An organisation with this charity number is already registered; ask its users or the fund administrator for an account.",
    )
}

/// Inserts an organisation and its health boards. Call inside a transaction.
pub fn insert(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    details: &OrganisationDetails,
) -> Result<OrganisationRow, ApiError> {
    let row: OrganisationRow = diesel::insert_into(organisations::table)
        .values((
            OrganisationFields::new(details, now),
            organisations::created_at.eq(now),
            organisations::verified.eq(false),
        ))
        .returning(organisations::all_columns)
        .get_result(conn)
        .map_err(charity_number_taken())?;
    OrganisationRow::set_health_boards(conn, row.id, &details.health_boards)?;
    Ok(row)
}

/// The assignment statuses under which an assessor may read an application, and so its
/// organisation: assigned, and declared no conflict.
const OPEN_TO_ASSESSOR: [AssignmentStatus; 2] =
    [AssignmentStatus::InProgress, AssignmentStatus::Submitted];

/// The organisations an assessor may see: those of the applications assigned to them that they
/// may read. Contact details are for the panel's work on those bids, not a directory of every
/// applicant.
#[diesel::dsl::auto_type(no_type_alias)]
fn assessed_by(assessor_id: i64) -> _ {
    let open: [AssignmentStatus; 2] = OPEN_TO_ASSESSOR;
    applications::table
        .inner_join(assignments::table)
        .filter(assignments::assessor_id.eq(assessor_id))
        .filter(assignments::status.eq_any(open))
        .select(applications::organisation_id)
}

/// Whether the caller may see the organisation: applicants their own, assessors those of the
/// applications open to them, administrators and officials every one.
fn may_see(conn: &mut DbConnection, user: &CurrentUser, id: i64) -> Result<bool, ApiError> {
    if user.is(Role::Assessor) {
        let found: i64 = assessed_by(user.id)
            .filter(applications::organisation_id.eq(id))
            .count()
            .get_result(conn)?;
        return Ok(found > 0);
    }
    Ok(user.can_see_organisation(id))
}

/// One organisation, if the caller may see it (404 otherwise, whether or not it exists).
pub fn get(conn: &mut DbConnection, user: &CurrentUser, id: i64) -> Result<Organisation, ApiError> {
    if !may_see(conn, user, id)? {
        return Err(ApiError::NotFound);
    }
    let row = OrganisationRow::find(conn, id)?;
    let boards = OrganisationRow::health_boards(conn, id)?;
    Ok(for_viewer(user, row.into_api(boards)?))
}

/// What the caller may see of an organisation: officials see no contact details.
fn for_viewer(user: &CurrentUser, mut organisation: Organisation) -> Organisation {
    if user.is(Role::Official) {
        organisation.contact_email = None;
        organisation.address = None;
    }
    organisation
}

/// Filters for the list of organisations.
#[derive(Debug, Default, Clone)]
pub struct OrganisationFilter {
    pub verified: Option<bool>,
    pub health_board: Option<HealthBoard>,
    pub name_contains: Option<String>,
}

/// Organisations the caller may see: their own for an applicant, those of the applications
/// open to them for an assessor, all of them for administrators and officials.
pub fn list(
    conn: &mut DbConnection,
    user: &CurrentUser,
    filter: &OrganisationFilter,
    page: Page,
) -> Result<Paged<Organisation>, ApiError> {
    let own = if user.role.is_staff() {
        None
    } else {
        Some(user.organisation_id.unwrap_or(-1))
    };
    let assessor = user.is(Role::Assessor).then_some(user.id);
    let query = || {
        let mut q = organisations::table.into_boxed();
        if let Some(own) = own {
            q = q.filter(organisations::id.eq(own));
        }
        if let Some(assessor) = assessor {
            q = q.filter(organisations::id.eq_any(assessed_by(assessor)));
        }
        if let Some(verified) = filter.verified {
            q = q.filter(organisations::verified.eq(verified));
        }
        if let Some(board) = filter.health_board {
            q = q.filter(
                organisations::id.eq_any(
                    organisation_health_boards::table
                        .filter(organisation_health_boards::health_board.eq(board))
                        .select(organisation_health_boards::organisation_id),
                ),
            );
        }
        if let Some(text) = &filter.name_contains {
            q = q.filter(organisations::name.like(like_containing(text)).escape('\\'));
        }
        q
    };
    let (total, rows): (i64, Vec<OrganisationRow>) =
        page.load(conn, query().count(), query().order(organisations::id))?;
    let organisations = children::with_children(
        rows,
        |ids| OrganisationRow::health_boards_of(conn, ids),
        |row, boards| row.into_api(boards).map(|o| for_viewer(user, o)),
    )?;
    Ok(page.wrap(organisations, total))
}

/// Changes an organisation: its own applicants or an administrator. Changing who the
/// organisation legally is (name, type, charity or company number) withdraws verification, so
/// that an award is never made on stale due diligence.
pub fn update(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    user: &CurrentUser,
    id: i64,
    patch: OrganisationPatch,
) -> Result<Organisation, ApiError> {
    if !user.can_see_organisation(id) {
        return Err(ApiError::NotFound);
    }
    user.require(Action::EditOrganisation)?;
    write_transaction(conn, |conn| {
        let row = OrganisationRow::find(conn, id)?;
        let boards = OrganisationRow::health_boards(conn, id)?;
        let before_input = OrganisationInput::from_stored(&row, &boards);
        let mut v = Validator::new();
        let before = OrganisationDetails::parse(&before_input, "", &mut Validator::new());
        let after = OrganisationDetails::parse(&before_input.clone().apply(patch), "", &mut v);
        v.finish()?;
        let after = after
            .ok_or_else(|| ApiError::internal("organisation patch passed with a missing value"))?;
        let identity_changed =
            before.as_ref().map(OrganisationDetails::identity) != Some(after.identity());
        let unverify = row.verified && identity_changed;

        diesel::update(organisations::table.find(id))
            .set(OrganisationFields::new(&after, now))
            .execute(conn)
            .map_err(charity_number_taken())?;
        if unverify {
            diesel::update(organisations::table.find(id))
                .set((
                    organisations::verified.eq(false),
                    organisations::verified_at.eq(None::<NaiveDateTime>),
                    organisations::verified_by.eq(None::<i64>),
                ))
                .execute(conn)?;
        }
        OrganisationRow::set_health_boards(conn, id, &after.health_boards)?;
        let updated = get(conn, user, id)?;
        let action = if unverify {
            "updated_and_unverified"
        } else {
            "updated"
        };
        audit::record(
            conn,
            now,
            Change::by(user, "organisation", id, action)
                .before(json!(row.into_api(boards)?))
                .after(json!(updated)),
        )?;
        Ok(updated)
    })
}

/// Marks an organisation verified (due diligence done). Administrators only.
pub fn verify(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    user: &CurrentUser,
    id: i64,
) -> Result<Organisation, ApiError> {
    user.require(Action::VerifyOrganisation)?;
    write_transaction(conn, |conn| {
        let row = OrganisationRow::find(conn, id)?;
        if row.verified {
            return Err(ApiError::conflict(
                ErrorCode::AlreadyVerified,
                "This organisation is already verified.",
            ));
        }
        diesel::update(organisations::table.find(id))
            .set((
                organisations::verified.eq(true),
                organisations::verified_at.eq(Some(now)),
                organisations::verified_by.eq(Some(user.id)),
                organisations::updated_at.eq(now),
            ))
            .execute(conn)?;
        audit::record(
            conn,
            now,
            Change::by(user, "organisation", id, "verified")
                .before(json!({"verified": false}))
                .after(json!({"verified": true, "verified_by": user.id})),
        )?;
        get(conn, user, id)
    })
}
