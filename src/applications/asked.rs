//! Which applications wait on the applicant's answer to a question the fund asked: what the
//! application shows as `more_info_requested`.

use std::collections::HashSet;

use diesel::prelude::*;

use crate::db::DbConnection;
use crate::db::schema::information_requests;
use crate::error::ApiError;

/// The applications among `ids` with a question still unanswered.
pub fn waiting(conn: &mut DbConnection, ids: &[i64]) -> Result<HashSet<i64>, ApiError> {
    Ok(information_requests::table
        .filter(information_requests::application_id.eq_any(ids))
        .filter(information_requests::answered_at.is_null())
        .select(information_requests::application_id)
        .load::<i64>(conn)?
        .into_iter()
        .collect())
}
