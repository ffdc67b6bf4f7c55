//! Enrolling, checking and removing an account's second factor, and its recovery codes.
//!
//! The TOTP secret is sealed with the data keys, like bank details, and is shown only while the
//! enrolment is being confirmed. A code counts once: the step it was accepted for is stored, and
//! only a later step is accepted after it, so a code seen over a shoulder or replayed from a log
//! is refused even inside its 90-second window.

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;

use crate::audit::{self, Change};
use crate::auth::tokens;
use crate::crypto::Keyring;
use crate::db::DbConnection;
use crate::db::schema::{recovery_codes, user_factors};
use crate::db::write_transaction;
use crate::email::{messages, outbox};
use crate::error::{ApiError, ErrorCode};
use crate::mfa::totp;
use crate::users::model::UserRow;

/// How many recovery codes an enrolment gives.
pub const RECOVERY_CODES: usize = 10;

/// The name authenticator apps show beside the account.
pub const ISSUER: &str = "Grant Fund";

/// A started enrolment: what the person needs to add the account to their app.
#[derive(Debug)]
pub struct Enrolment {
    /// The secret as text, for typing in by hand.
    pub secret: String,
    /// The `otpauth://` address the QR code holds.
    pub provisioning_url: String,
}

/// What proves the second factor: a code from the app or one recovery code.
#[derive(Clone, Debug)]
pub enum Proof {
    Code(String),
    RecoveryCode(String),
}

/// The confirmed factor of an account, if it has one: whether it has one, and how many unused
/// recovery codes are left.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FactorStatus {
    pub enrolled: bool,
    pub recovery_codes_left: i64,
}

#[derive(Queryable)]
struct FactorRow {
    secret_sealed: String,
    confirmed_at: Option<NaiveDateTime>,
    last_used_step: Option<i64>,
}

fn factor(conn: &mut DbConnection, user_id: i64) -> Result<Option<FactorRow>, ApiError> {
    Ok(user_factors::table
        .find(user_id)
        .select((
            user_factors::secret_sealed,
            user_factors::confirmed_at,
            user_factors::last_used_step,
        ))
        .first(conn)
        .optional()?)
}

fn already_enrolled() -> ApiError {
    ApiError::conflict(
        ErrorCode::InvalidState,
        "Two-step sign-in is already on for this account; turn it off first to enrol again.",
    )
}

fn not_enrolled() -> ApiError {
    ApiError::conflict(
        ErrorCode::InvalidState,
        "Two-step sign-in is not on for this account.",
    )
}

/// A refused code: one answer for a wrong code, a used one and a spent recovery code.
pub fn invalid_code() -> ApiError {
    ApiError::unauthorized(
        ErrorCode::InvalidMfaCode,
        "The code is not right or was already used. Enter the current code from your app.",
    )
}

/// Whether an account has a confirmed factor, and its recovery codes left.
pub fn status(conn: &mut DbConnection, user_id: i64) -> Result<FactorStatus, ApiError> {
    let enrolled = factor(conn, user_id)?.is_some_and(|f| f.confirmed_at.is_some());
    let recovery_codes_left = if enrolled {
        recovery_codes::table
            .filter(recovery_codes::user_id.eq(user_id))
            .filter(recovery_codes::used_at.is_null())
            .count()
            .get_result(conn)?
    } else {
        0
    };
    Ok(FactorStatus {
        enrolled,
        recovery_codes_left,
    })
}

/// Starts (or starts again) an enrolment with a new secret, which counts only once a code from
/// it is confirmed. Refused while a confirmed factor exists.
pub fn begin_enrolment(
    conn: &mut DbConnection,
    keyring: &Keyring,
    now: NaiveDateTime,
    user: &UserRow,
) -> Result<Enrolment, ApiError> {
    let secret = totp::new_secret()?;
    let sealed = keyring.seal_text(&totp::to_text(&secret))?;
    write_transaction(conn, |conn| {
        match factor(conn, user.id)? {
            Some(f) if f.confirmed_at.is_some() => return Err(already_enrolled()),
            Some(_) => {
                diesel::delete(user_factors::table.find(user.id)).execute(conn)?;
            }
            None => {}
        }
        diesel::insert_into(user_factors::table)
            .values((
                user_factors::user_id.eq(user.id),
                user_factors::secret_sealed.eq(&sealed),
                user_factors::created_at.eq(now),
            ))
            .execute(conn)?;
        Ok(())
    })?;
    Ok(Enrolment {
        secret: totp::to_text(&secret),
        provisioning_url: totp::provisioning_url(ISSUER, &user.email, &secret)?,
    })
}

/// Confirms an enrolment with a code from the new secret: the factor counts from now on, and ten
/// recovery codes are made, given back once and kept only as hashes. Emails the owner.
pub fn confirm_enrolment(
    conn: &mut DbConnection,
    keyring: &Keyring,
    now: DateTime<Utc>,
    user: &UserRow,
    code: &str,
) -> Result<Vec<String>, ApiError> {
    let naive_now = now.naive_utc();
    write_transaction(conn, |conn| {
        let Some(pending) = factor(conn, user.id)? else {
            return Err(ApiError::conflict(
                ErrorCode::InvalidState,
                "No enrolment is waiting to be confirmed; start one first.",
            ));
        };
        if pending.confirmed_at.is_some() {
            return Err(already_enrolled());
        }
        let secret = open_secret(keyring, &pending.secret_sealed)?;
        let Some(step) = totp::matching_step(&secret, code, now.timestamp())? else {
            return Err(ApiError::invalid(
                "code",
                "Enter the 6-digit code your app shows for this account.",
            ));
        };
        diesel::update(user_factors::table.find(user.id))
            .set((
                user_factors::confirmed_at.eq(Some(naive_now)),
                user_factors::last_used_step.eq(Some(step)),
            ))
            .execute(conn)?;
        let codes = replace_recovery_codes(conn, user.id)?;
        outbox::enqueue(
            conn,
            naive_now,
            &messages::mfa_enabled(&user.email, &user.name),
        )?;
        audit::record(
            conn,
            naive_now,
            Change::new(Some(user.id), "user", user.id, "mfa_enabled"),
        )?;
        Ok(codes)
    })
}

/// Turns the second factor off, with a current code (or a recovery code) as proof. Emails the
/// owner.
pub fn disable(
    conn: &mut DbConnection,
    keyring: &Keyring,
    now: DateTime<Utc>,
    user: &UserRow,
    proof: &Proof,
) -> Result<(), ApiError> {
    let naive_now = now.naive_utc();
    write_transaction(conn, |conn| {
        if !status(conn, user.id)?.enrolled {
            return Err(not_enrolled());
        }
        if !check(conn, keyring, now, user, proof)? {
            return Err(invalid_code());
        }
        diesel::delete(recovery_codes::table.filter(recovery_codes::user_id.eq(user.id)))
            .execute(conn)?;
        diesel::delete(user_factors::table.find(user.id)).execute(conn)?;
        outbox::enqueue(
            conn,
            naive_now,
            &messages::mfa_disabled(&user.email, &user.name),
        )?;
        audit::record(
            conn,
            naive_now,
            Change::new(Some(user.id), "user", user.id, "mfa_disabled"),
        )?;
        Ok(())
    })
}

/// Checks a proof of the second factor and spends it: a code's step, or the recovery code.
/// Runs in its own transaction; false for a wrong, replayed or spent proof, and for an account
/// without a confirmed factor.
pub fn verify(
    conn: &mut DbConnection,
    keyring: &Keyring,
    now: DateTime<Utc>,
    user: &UserRow,
    proof: &Proof,
) -> Result<bool, ApiError> {
    write_transaction(conn, |conn| check(conn, keyring, now, user, proof))
}

fn check(
    conn: &mut DbConnection,
    keyring: &Keyring,
    now: DateTime<Utc>,
    account: &UserRow,
    proof: &Proof,
) -> Result<bool, ApiError> {
    let Some(found) = factor(conn, account.id)? else {
        return Ok(false);
    };
    if found.confirmed_at.is_none() {
        return Ok(false);
    }
    match proof {
        Proof::Code(code) => {
            let secret = open_secret(keyring, &found.secret_sealed)?;
            let Some(step) = totp::matching_step(&secret, code, now.timestamp())? else {
                return Ok(false);
            };
            if found.last_used_step.is_some_and(|last| step <= last) {
                return Ok(false);
            }
            // Of two requests with the same code at once, only one moves the step on.
            let spent = diesel::update(
                user_factors::table.find(account.id).filter(
                    user_factors::last_used_step
                        .is_null()
                        .or(user_factors::last_used_step.lt(step)),
                ),
            )
            .set(user_factors::last_used_step.eq(Some(step)))
            .execute(conn)?;
            Ok(spent == 1)
        }
        Proof::RecoveryCode(code) => {
            let naive_now = now.naive_utc();
            let spent = diesel::update(
                recovery_codes::table
                    .filter(recovery_codes::user_id.eq(account.id))
                    .filter(recovery_codes::code_hash.eq(hash_recovery_code(code)))
                    .filter(recovery_codes::used_at.is_null()),
            )
            .set(recovery_codes::used_at.eq(Some(naive_now)))
            .execute(conn)?;
            if spent != 1 {
                return Ok(false);
            }
            let remaining: i64 = recovery_codes::table
                .filter(recovery_codes::user_id.eq(account.id))
                .filter(recovery_codes::used_at.is_null())
                .count()
                .get_result(conn)?;
            outbox::enqueue(
                conn,
                naive_now,
                &messages::recovery_code_used(&account.email, &account.name, remaining),
            )?;
            audit::record(
                conn,
                naive_now,
                Change::new(Some(account.id), "user", account.id, "recovery_code_used"),
            )?;
            Ok(true)
        }
    }
}

fn open_secret(keyring: &Keyring, sealed: &str) -> Result<Vec<u8>, ApiError> {
    let text = keyring.open_text(sealed)?;
    totp::from_text(&text).ok_or_else(|| ApiError::internal("a stored TOTP secret does not parse"))
}

/// Replaces an account's recovery codes with ten new ones, given back in the clear this once.
fn replace_recovery_codes(conn: &mut DbConnection, user_id: i64) -> Result<Vec<String>, ApiError> {
    diesel::delete(recovery_codes::table.filter(recovery_codes::user_id.eq(user_id)))
        .execute(conn)?;
    let mut codes = Vec::with_capacity(RECOVERY_CODES);
    for _ in 0..RECOVERY_CODES {
        let code = new_recovery_code()?;
        diesel::insert_into(recovery_codes::table)
            .values((
                recovery_codes::user_id.eq(user_id),
                recovery_codes::code_hash.eq(hash_recovery_code(&code)),
            ))
            .execute(conn)?;
        codes.push(code);
    }
    Ok(codes)
}

/// A recovery code: 80 random bits as four groups of four base32 letters and digits, easy to
/// copy onto paper.
fn new_recovery_code() -> Result<String, ApiError> {
    let random = totp::new_secret()?;
    let letters: Vec<char> = totp::to_text(random.get(..10).unwrap_or_default())
        .chars()
        .collect();
    Ok(letters
        .chunks(4)
        .map(|c| c.iter().collect::<String>())
        .collect::<Vec<_>>()
        .join("-"))
}

/// The stored form of a recovery code. SHA-256, not argon2: the code carries 80 random bits, so
/// there is nothing to guess from the hash, and a fast hash keeps the lookup an indexed equality.
/// Case, spaces and dashes do not count, as people copy codes by hand.
fn hash_recovery_code(code: &str) -> String {
    let normal: String = code
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_uppercase())
        .collect();
    tokens::hash(&normal)
}

/// Enrols an account directly with a known secret, confirmed at once: for the demo's staff, whose
/// secret is printed with their password. Gives the recovery codes.
pub fn enrol_with_secret(
    conn: &mut DbConnection,
    keyring: &Keyring,
    now: NaiveDateTime,
    user_id: i64,
    secret_text: &str,
) -> Result<Vec<String>, ApiError> {
    let sealed = keyring.seal_text(secret_text)?;
    write_transaction(conn, |conn| {
        diesel::delete(user_factors::table.find(user_id)).execute(conn)?;
        diesel::insert_into(user_factors::table)
            .values((
                user_factors::user_id.eq(user_id),
                user_factors::secret_sealed.eq(&sealed),
                user_factors::created_at.eq(now),
                user_factors::confirmed_at.eq(Some(now)),
            ))
            .execute(conn)?;
        replace_recovery_codes(conn, user_id)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recovery_codes_are_long_distinct_and_hashed_loosely() {
        let a = new_recovery_code().unwrap_or_default();
        let b = new_recovery_code().unwrap_or_default();
        assert_eq!(a.len(), 19, "{a}");
        assert_ne!(a, b);
        assert_eq!(
            hash_recovery_code(&a),
            hash_recovery_code(&a.to_lowercase().replace('-', " "))
        );
        assert_ne!(hash_recovery_code(&a), hash_recovery_code(&b));
    }
}
