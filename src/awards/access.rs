//! Who may see an award: applicants their own organisation's, administrators and officials

//! every one.

use diesel::prelude::*;

use crate::awards::model::AwardRow;
use crate::caller::CurrentUser;
use crate::db::DbConnection;
use crate::db::schema::awards;
use crate::error::ApiError;
use crate::permissions::Action;

/// The award if the caller may read it: applicants their own organisation's, administrators
/// and officials every one; anyone else 403, another organisation's 404.
fn visible(conn: &mut DbConnection, user: &CurrentUser, id: i64) -> Result<AwardRow, ApiError> {
    user.require(Action::ReadAwards)?;
    let row: AwardRow = awards::table.find(id).first(conn)?;
    shown_to(user, &row)?;
    Ok(row)
}

/// 404 for an award of an organisation the caller may not see.
pub(super) fn shown_to(user: &CurrentUser, row: &AwardRow) -> Result<(), ApiError> {
    if user.can_see_organisation(row.organisation_id) {
        Ok(())
    } else {
        Err(ApiError::NotFound)
    }
}

/// The award if the caller is an applicant of its organisation (403 for other roles, 404 for
/// another organisation's).
pub(super) fn own(
    conn: &mut DbConnection,
    user: &CurrentUser,
    id: i64,
) -> Result<AwardRow, ApiError> {
    user.require(Action::AnswerOffer)?;
    visible(conn, user, id)
}
