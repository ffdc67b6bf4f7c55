//! Where an application's answers to its round's form are kept: one JSON document an application,
//! read for several applications at once and written whole.

use std::collections::HashMap;

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::DbConnection;
use crate::db::schema::application_answers;
use crate::error::ApiError;
use crate::rounds::form::Answers;

/// The answers of each of `ids` that has any.
pub fn of(conn: &mut DbConnection, ids: &[i64]) -> Result<HashMap<i64, Answers>, ApiError> {
    let rows: Vec<(i64, String)> = application_answers::table
        .filter(application_answers::application_id.eq_any(ids))
        .select((
            application_answers::application_id,
            application_answers::answers,
        ))
        .load(conn)?;
    rows.into_iter()
        .map(|(id, text)| {
            let answers = serde_json::from_str(&text).map_err(|e| {
                ApiError::internal(format!("application {id}'s answers no longer read: {e}"))
            })?;
            Ok((id, answers))
        })
        .collect()
}

/// One application's answers.
pub fn of_one(conn: &mut DbConnection, id: i64) -> Result<Answers, ApiError> {
    Ok(of(conn, &[id])?.remove(&id).unwrap_or_default())
}

/// Replaces one application's answers; none at all removes the row.
pub fn store(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    id: i64,
    answers: &Answers,
) -> Result<(), ApiError> {
    diesel::delete(application_answers::table.find(id)).execute(conn)?;
    if answers.is_empty() {
        return Ok(());
    }
    let text = serde_json::to_string(answers).map_err(ApiError::internal)?;
    diesel::insert_into(application_answers::table)
        .values((
            application_answers::application_id.eq(id),
            application_answers::answers.eq(text),
            application_answers::updated_at.eq(now),
        ))
        .execute(conn)?;
    Ok(())
}

/// Removes the answers of `ids`: what the retention job does with an application's own words.
pub fn wipe(conn: &mut DbConnection, ids: &[i64]) -> Result<(), ApiError> {
    diesel::delete(
        application_answers::table.filter(application_answers::application_id.eq_any(ids)),
    )
    .execute(conn)?;
    Ok(())
}
