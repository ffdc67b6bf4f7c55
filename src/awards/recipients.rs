//! Whom to write to about an award.

use diesel::prelude::*;

use crate::applications::model::ApplicationRow;
use crate::awards::model::AwardRow;
use crate::db::DbConnection;
use crate::db::schema::users;
use crate::error::ApiError;
use crate::organisations::model::OrganisationRow;

/// The people to write to about an application's award: its organisation's contact and the
/// user who submitted it, each once.
pub(super) fn recipients(
    conn: &mut DbConnection,
    application: &ApplicationRow,
    organisation: &OrganisationRow,
) -> Result<Vec<String>, ApiError> {
    let mut to = vec![organisation.contact_email.clone()];
    if let Some(submitter) = application.submitted_by {
        let email: Option<String> = users::table
            .find(submitter)
            .filter(users::active.eq(true))
            .select(users::email)
            .first(conn)
            .optional()?;
        if let Some(email) = email
            && !email.eq_ignore_ascii_case(&organisation.contact_email)
        {
            to.push(email);
        }
    }
    Ok(to)
}

/// The people to write to about an award: its organisation's contact and the user who
/// submitted the application.
pub fn grant_holder_emails(
    conn: &mut DbConnection,
    award: &AwardRow,
) -> Result<Vec<String>, ApiError> {
    let application = ApplicationRow::find(conn, award.application_id)?;
    let organisation = OrganisationRow::find(conn, award.organisation_id)?;
    recipients(conn, &application, &organisation)
}
