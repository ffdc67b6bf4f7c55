//! A claimant's bank details: entered by the claimant, held as an organisation's are (sealed,
//! masked, each version kept), and verified by the cash office of a board that pays one of the
//! claimant's stays, never by the person who entered them, before anything is paid.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::caller::CurrentUser;
use crate::crypto::Keyring;
use crate::db::schema::{stays, units};
use crate::db::{DbConnection, write_transaction};
use crate::domain::vocabulary::Role;
use crate::email::messages::hello;
use crate::email::outbox;
use crate::error::ApiError;
use crate::organisations::bank::{self, BankDetails, BankDetailsInput, Holder};
use crate::permissions::Action;

/// The caller's own bank details, masked (claimants).
pub fn own(
    conn: &mut DbConnection,
    keyring: &Keyring,
    user: &CurrentUser,
) -> Result<BankDetails, ApiError> {
    user.require(Action::Claim)?;
    bank::held(conn, keyring, Holder::Claimant(user.id))
}

/// Enters the caller's bank details (claimants): payments wait until the cash office has checked
/// them, and the claimant is told, without the numbers.
pub fn set_own(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    keyring: &Keyring,
    user: &CurrentUser,
    input: &BankDetailsInput,
) -> Result<BankDetails, ApiError> {
    user.require(Action::Claim)?;
    write_transaction(conn, |conn| {
        let details = bank::enter(conn, now, keyring, user, Holder::Claimant(user.id), input)?;
        outbox::enqueue(
            conn,
            now,
            &hello(
                "bank_details_changed",
                &user.email,
                "Your bank details have changed".to_owned(),
                &format!(
                    "The bank details the family fund pays your claims into were changed on {}.\n\n\
                     Payments wait until the cash office has checked them. If you did not make \
                     this change, call the cash office at once: do not reply with any bank \
                     details by email.\n",
                    now.format("%-d %B %Y at %H:%M UTC")
                ),
            ),
        )?;
        Ok(details)
    })
}

/// 404 unless the caller is the cash office of a board that pays one of the claimant's stays.
fn ensure_pays(
    conn: &mut DbConnection,
    user: &CurrentUser,
    claimant_id: i64,
) -> Result<(), ApiError> {
    user.require(Action::CheckClaim)?;
    let (Role::CashOffice, Some(board)) = (user.role, user.health_board) else {
        return Err(ApiError::Forbidden);
    };
    let stays_here = stays::table
        .inner_join(units::table)
        .filter(stays::claimant_id.eq(claimant_id))
        .filter(units::health_board.eq(board))
        .count()
        .get_result::<i64>(conn)?;
    if stays_here == 0 {
        return Err(ApiError::NotFound);
    }
    Ok(())
}

/// A claimant's bank details, masked, for the cash office that pays them.
pub fn of_claimant(
    conn: &mut DbConnection,
    keyring: &Keyring,
    user: &CurrentUser,
    claimant_id: i64,
) -> Result<BankDetails, ApiError> {
    ensure_pays(conn, user, claimant_id)?;
    bank::held(conn, keyring, Holder::Claimant(claimant_id))
}

/// Verifies a claimant's bank details (the cash office that pays them), so that their approved
/// claims can go into a payment run.
pub fn verify(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    keyring: &Keyring,
    user: &CurrentUser,
    claimant_id: i64,
) -> Result<BankDetails, ApiError> {
    write_transaction(conn, |conn| {
        ensure_pays(conn, user, claimant_id)?;
        bank::check(conn, now, keyring, user, Holder::Claimant(claimant_id))
    })
}
