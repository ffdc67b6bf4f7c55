//! Rules for a round's form: anyone who may see the round reads it; administrators write it, or
//! copy another round's, until the round opens, when it freezes as criteria freeze at the first
//! score. Every change is audited with the form before and after.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde_json::json;

use crate::audit::{self, Change};
use crate::caller::CurrentUser;
use crate::db::schema::round_forms;
use crate::db::{DbConnection, write_transaction};
use crate::error::{ApiError, ErrorCode, Validator};
use crate::funds::locks::lock_fund;
use crate::permissions::Action;
use crate::rounds::form::RoundForm;
use crate::rounds::model::RoundRow;
use crate::rounds::service::visible_round;

/// The stored form of a round: none until an administrator gives it questions.
pub fn form_of(conn: &mut DbConnection, round_id: i64) -> Result<RoundForm, ApiError> {
    let stored: Option<String> = round_forms::table
        .find(round_id)
        .select(round_forms::form)
        .first(conn)
        .optional()?;
    match stored {
        None => Ok(RoundForm::default()),
        Some(text) => serde_json::from_str(&text).map_err(|e| {
            ApiError::internal(format!("round {round_id}'s form no longer reads: {e}"))
        }),
    }
}

/// A round's form, for anyone who may see the round.
pub fn get(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    viewer: Option<&CurrentUser>,
    id: i64,
) -> Result<RoundForm, ApiError> {
    visible_round(conn, now, viewer, id)?;
    form_of(conn, id)
}

/// Replaces a round's form (administrators), every problem of it reported at once. Refused with
/// 409 `round_open` once the round has opened.
pub fn set(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    user: &CurrentUser,
    id: i64,
    form: &RoundForm,
) -> Result<RoundForm, ApiError> {
    user.require(Action::ManageRounds)?;
    let mut v = Validator::new();
    form.check(&mut v);
    v.finish()?;
    write_transaction(conn, |conn| store(conn, now, user, id, form, "form_set"))
}

/// Starts a round's form as a copy of another round's (administrators), until the round opens.
pub fn copy(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    user: &CurrentUser,
    id: i64,
    from_round_id: i64,
) -> Result<RoundForm, ApiError> {
    user.require(Action::ManageRounds)?;
    write_transaction(conn, |conn| {
        let from = RoundRow::find(conn, from_round_id).map_err(|e| match e {
            ApiError::NotFound => ApiError::invalid("from_round_id", "names no round"),
            other => other,
        })?;
        let form = form_of(conn, from.id)?;
        store(conn, now, user, id, &form, "form_copied")
    })
}

fn store(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    user: &CurrentUser,
    id: i64,
    form: &RoundForm,
    action: &str,
) -> Result<RoundForm, ApiError> {
    let fund_id = RoundRow::find(conn, id)?.fund_id;
    // The fund's lock orders this change with the round's own: an opening time moved earlier
    // commits before or after it, never beside it.
    lock_fund(conn, fund_id)?;
    let row = RoundRow::find(conn, id)?;
    if row.has_opened(now) {
        return Err(ApiError::conflict(
            ErrorCode::RoundOpen,
            "This round has opened: its form can no longer change.",
        ));
    }
    let before = form_of(conn, id)?;
    let text = serde_json::to_string(form).map_err(ApiError::internal)?;
    diesel::delete(round_forms::table.find(id)).execute(conn)?;
    diesel::insert_into(round_forms::table)
        .values((
            round_forms::round_id.eq(id),
            round_forms::form.eq(&text),
            round_forms::updated_at.eq(now),
        ))
        .execute(conn)?;
    audit::record(
        conn,
        now,
        Change::by(user, "round", id, action)
            .before(json!(before))
            .after(json!(form)),
    )?;
    Ok(form.clone())
}
