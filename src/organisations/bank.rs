//! An organisation's bank details: entered by its applicants or by staff, kept sealed at rest,
//! shown masked, and checked by a second person before anything is paid to the organisation.
//!
//! Each change is a new version; the one before it is kept, marked replaced. A version that
//! nobody has verified suspends payments to the organisation ([`ensure_payable`]), and only a
//! person other than the one who entered it may verify it: the service refuses, and the
//! database's `CHECK (verified_by <> entered_by)` refuses whatever reaches it. The numbers never
//! reach the audit log, the outbox or the logs: they record the masked form.

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;

use crate::audit::{self, Change};
use crate::caller::CurrentUser;
use crate::crypto::Keyring;
use crate::db::schema::{bank_details, users};
use crate::db::{DbConnection, write_transaction};
use crate::domain::bank::{AccountNumber, SortCode, parse_roll_number};
use crate::domain::clock::utc;
use crate::domain::vocabulary::Role;
use crate::email::messages::hello;
use crate::email::outbox::{self, NewEmail};
use crate::error::{ApiError, ErrorCode, Validator};
use crate::organisations::model::OrganisationRow;
use crate::permissions::Action;

mod model;

pub use model::{BankDetails, BankDetailsInput, BankDetailsStatus, Payee};

/// Whose bank details they are: an organisation's, or a family fund's claimant's. Both are held
/// the same way, each version sealed, masked, and checked by a second person before it is paid.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Holder {
    Organisation(i64),
    Claimant(i64),
}

impl Holder {
    /// The `organisation_id` and `claimant_id` of a version of these details.
    fn columns(self) -> (Option<i64>, Option<i64>) {
        match self {
            Holder::Organisation(id) => (Some(id), None),
            Holder::Claimant(id) => (None, Some(id)),
        }
    }

    /// The audit trail's entity and id for a change of these details.
    fn entity(self) -> (&'static str, i64) {
        match self {
            Holder::Organisation(id) => ("organisation", id),
            Holder::Claimant(id) => ("user", id),
        }
    }
}

#[derive(Clone, Debug, Queryable, Selectable)]
#[diesel(table_name = bank_details)]
struct BankRow {
    id: i64,
    account_name: String,
    sealed: String,
    entered_by: i64,
    entered_at: NaiveDateTime,
    verified_by: Option<i64>,
    verified_at: Option<NaiveDateTime>,
}

/// What is sealed: the numbers, together.
#[derive(Serialize, Deserialize)]
struct Numbers {
    sort_code: String,
    account_number: String,
    roll_number: Option<String>,
}

fn current(conn: &mut DbConnection, holder: Holder) -> Result<Option<BankRow>, ApiError> {
    let query = bank_details::table
        .filter(bank_details::replaced_at.is_null())
        .select(BankRow::as_select())
        .into_boxed();
    let query = match holder {
        Holder::Organisation(id) => query.filter(bank_details::organisation_id.eq(id)),
        Holder::Claimant(id) => query.filter(bank_details::claimant_id.eq(id)),
    };
    Ok(query.first(conn).optional()?)
}

/// What a version's sealed numbers become when the retention period removes them.
const REMOVED: &str = "";

fn open(keyring: &Keyring, row: &BankRow) -> Result<Payee, ApiError> {
    if row.sealed == REMOVED {
        return Err(ApiError::conflict(
            ErrorCode::InvalidState,
            "These bank details were removed at the end of the retention period.",
        ));
    }
    let text = keyring.open_text(&row.sealed)?;
    let numbers: Numbers = serde_json::from_str(&text)
        .map_err(|_| ApiError::internal("sealed bank details are not in the expected shape"))?;
    Ok(Payee {
        account_name: row.account_name.clone(),
        sort_code: SortCode::parse(&numbers.sort_code)
            .map_err(|_| ApiError::internal("a sealed sort code does not read back"))?,
        account_number: AccountNumber::parse(&numbers.account_number)
            .map_err(|_| ApiError::internal("a sealed account number does not read back"))?,
        roll_number: numbers.roll_number,
    })
}

fn name_of(conn: &mut DbConnection, id: Option<i64>) -> Result<Option<String>, ApiError> {
    let Some(id) = id else { return Ok(None) };
    Ok(users::table
        .find(id)
        .select(users::name)
        .first(conn)
        .optional()?)
}

fn view(
    conn: &mut DbConnection,
    keyring: &Keyring,
    holder: Holder,
    row: Option<&BankRow>,
) -> Result<BankDetails, ApiError> {
    let (organisation_id, claimant_id) = holder.columns();
    let Some(row) = row.filter(|r| r.sealed != REMOVED) else {
        return Ok(BankDetails {
            organisation_id,
            claimant_id,
            status: BankDetailsStatus::Missing,
            payments_suspended: true,
            account_name: None,
            sort_code: None,
            account_number: None,
            has_roll_number: false,
            entered_by: None,
            entered_by_name: None,
            entered_at: None,
            verified_by: None,
            verified_by_name: None,
            verified_at: None,
        });
    };
    let payee = open(keyring, row)?;
    let status = if row.verified_by.is_some() {
        BankDetailsStatus::Verified
    } else {
        BankDetailsStatus::AwaitingVerification
    };
    Ok(BankDetails {
        organisation_id,
        claimant_id,
        status,
        payments_suspended: status != BankDetailsStatus::Verified,
        account_name: Some(payee.account_name),
        sort_code: Some(payee.sort_code.masked()),
        account_number: Some(payee.account_number.masked()),
        has_roll_number: payee.roll_number.is_some(),
        entered_by: Some(row.entered_by),
        entered_by_name: name_of(conn, Some(row.entered_by))?,
        entered_at: Some(utc(row.entered_at)),
        verified_by: row.verified_by,
        verified_by_name: name_of(conn, row.verified_by)?,
        verified_at: row.verified_at.map(utc),
    })
}

/// The masked audit record of a version.
fn audited(details: &BankDetails) -> serde_json::Value {
    json!({
        "status": details.status,
        "account_name": details.account_name,
        "sort_code": details.sort_code,
        "account_number": details.account_number,
        "has_roll_number": details.has_roll_number,
    })
}

/// An organisation's current bank details, masked: its own users, and staff who handle
/// payments.
pub fn get(
    conn: &mut DbConnection,
    keyring: &Keyring,
    user: &CurrentUser,
    organisation_id: i64,
) -> Result<BankDetails, ApiError> {
    if !user.can_see_organisation(organisation_id) {
        return Err(ApiError::NotFound);
    }
    user.require(Action::ReadBankDetails)?;
    OrganisationRow::find(conn, organisation_id)?;
    held(conn, keyring, Holder::Organisation(organisation_id))
}

/// The current bank details of `holder`, masked, for a caller the holder's feature has let see
/// them.
pub fn held(
    conn: &mut DbConnection,
    keyring: &Keyring,
    holder: Holder,
) -> Result<BankDetails, ApiError> {
    let row = current(conn, holder)?;
    view(conn, keyring, holder, row.as_ref())
}

/// Checks the input, every field at once.
fn parse(input: &BankDetailsInput) -> Result<(String, Numbers), ApiError> {
    let mut v = Validator::new();
    let name = v.text("account_name", &input.account_name, 1, 140);
    let sort_code = v.check("sort_code", SortCode::parse(&input.sort_code));
    let account_number = v.check(
        "account_number",
        AccountNumber::parse(&input.account_number),
    );
    let roll_number = match input.roll_number.as_deref().map(str::trim) {
        None | Some("") => Some(None),
        Some(text) => v.check("roll_number", parse_roll_number(text)).map(Some),
    };
    v.finish()?;
    match (name, sort_code, account_number, roll_number) {
        (Some(name), Some(sort_code), Some(account_number), Some(roll_number)) => Ok((
            name,
            Numbers {
                sort_code: sort_code.as_str().to_owned(),
                account_number: account_number.as_str().to_owned(),
                roll_number,
            },
        )),
        _ => Err(ApiError::internal(
            "bank details passed with a missing value",
        )),
    }
}

/// Whom to tell that an organisation's bank details changed: its contact address and its
/// active users, each once.
fn contacts(
    conn: &mut DbConnection,
    organisation: &OrganisationRow,
) -> Result<Vec<String>, ApiError> {
    let mut to = vec![organisation.contact_email.clone()];
    let emails: Vec<String> = users::table
        .filter(users::organisation_id.eq(organisation.id))
        .filter(users::active.eq(true))
        .filter(users::role.eq(Role::Applicant))
        .order(users::id)
        .select(users::email)
        .load(conn)?;
    for email in emails {
        if !to.iter().any(|t| t.eq_ignore_ascii_case(&email)) {
            to.push(email);
        }
    }
    Ok(to)
}

/// The email that tells an organisation its bank details changed: never the numbers.
fn changed_email(recipient: &str, organisation: &str, by: &str, on: NaiveDateTime) -> NewEmail {
    let subject = format!("The bank details of {organisation} have changed");
    let text = format!(
        "{by} changed the bank details that the grant fund holds for {organisation} on\n\
         {date}.\n\n\
         Payments to {organisation} are held until a second person at the fund has checked the\n\
         new details.\n\n\
         If you did not expect this change, contact the fund administrator at once: do not\n\
         reply with any bank details by email.\n",
        date = on.format("%-d %B %Y at %H:%M UTC"),
    );
    hello("bank_details_changed", recipient, subject, &text)
}

/// Enters new bank details (the organisation's users, or staff). The previous version is kept,
/// marked replaced; payments are suspended until a second person verifies the new one, and the
/// organisation's contacts are told, without the numbers.
pub fn set(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    keyring: &Keyring,
    user: &CurrentUser,
    organisation_id: i64,
    input: &BankDetailsInput,
) -> Result<BankDetails, ApiError> {
    if !user.can_see_organisation(organisation_id) {
        return Err(ApiError::NotFound);
    }
    user.require(Action::EditBankDetails)?;
    write_transaction(conn, |conn| {
        let organisation = OrganisationRow::find(conn, organisation_id)?;
        let holder = Holder::Organisation(organisation_id);
        let after = enter(conn, now, keyring, user, holder, input)?;
        let by = name_of(conn, Some(user.id))?.unwrap_or_else(|| "Someone".to_owned());
        let emails: Vec<NewEmail> = contacts(conn, &organisation)?
            .iter()
            .map(|to| changed_email(to, &organisation.name, &by, now))
            .collect();
        outbox::enqueue_all(conn, now, &emails)?;
        Ok(after)
    })
}

/// Enters a new version of `holder`'s bank details, sealed, in the caller's transaction: the
/// previous version is kept, marked replaced, and the change audited, masked. The holder's
/// feature checks who may, and tells the holder.
pub fn enter(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    keyring: &Keyring,
    user: &CurrentUser,
    holder: Holder,
    input: &BankDetailsInput,
) -> Result<BankDetails, ApiError> {
    let (account_name, numbers) = parse(input)?;
    let plaintext = serde_json::to_string(&numbers)
        .map_err(|_| ApiError::internal("bank details could not be written for sealing"))?;
    let sealed = keyring.seal(plaintext.as_bytes())?;
    let before = current(conn, holder)?;
    let before_view = match &before {
        Some(row) => Some(view(conn, keyring, holder, Some(row))?),
        None => None,
    };
    if let Some(row) = &before {
        diesel::update(bank_details::table.find(row.id))
            .set(bank_details::replaced_at.eq(Some(now)))
            .execute(conn)?;
    }
    let (organisation_id, claimant_id) = holder.columns();
    diesel::insert_into(bank_details::table)
        .values((
            bank_details::organisation_id.eq(organisation_id),
            bank_details::claimant_id.eq(claimant_id),
            bank_details::account_name.eq(&account_name),
            bank_details::sealed.eq(sealed.to_text()),
            bank_details::key_id.eq(&sealed.key_id),
            bank_details::entered_by.eq(user.id),
            bank_details::entered_at.eq(now),
        ))
        .execute(conn)?;
    record(
        conn,
        now,
        keyring,
        user,
        holder,
        "bank_details_changed",
        before_view.as_ref(),
    )
}

/// The organisation's bank details as they now stand, with the audit entry of the change that
/// made them so (`before` when they replaced others).
fn record(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    keyring: &Keyring,
    user: &CurrentUser,
    holder: Holder,
    action: &'static str,
    before: Option<&BankDetails>,
) -> Result<BankDetails, ApiError> {
    let row = current(conn, holder)?;
    let after = view(conn, keyring, holder, row.as_ref())?;
    let (entity, id) = holder.entity();
    audit::record(
        conn,
        now,
        Change::by(user, entity, id, action)
            .before(before.map(audited))
            .after(audited(&after)),
    )?;
    Ok(after)
}

/// Verifies the current bank details (staff), so that payments may be made again. The person
/// who entered them cannot: a second person must check them.
pub fn verify(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    keyring: &Keyring,
    user: &CurrentUser,
    organisation_id: i64,
) -> Result<BankDetails, ApiError> {
    user.require(Action::VerifyBankDetails)?;
    write_transaction(conn, |conn| {
        OrganisationRow::find(conn, organisation_id)?;
        check(
            conn,
            now,
            keyring,
            user,
            Holder::Organisation(organisation_id),
        )
    })
}

/// Verifies `holder`'s current bank details in the caller's transaction, so that payments may
/// be made: never by the person who entered them. The holder's feature checks who may.
pub fn check(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    keyring: &Keyring,
    user: &CurrentUser,
    holder: Holder,
) -> Result<BankDetails, ApiError> {
    let Some(row) = current(conn, holder)? else {
        return Err(ApiError::conflict(
            ErrorCode::BankDetailsUnverified,
            "There are no bank details to verify.",
        ));
    };
    if row.verified_by.is_some() {
        return Err(ApiError::conflict(
            ErrorCode::InvalidState,
            "These bank details are already verified.",
        ));
    }
    if row.entered_by == user.id {
        return Err(ApiError::conflict(
            ErrorCode::SamePerson,
            "You entered these bank details, so a second person must verify them.",
        ));
    }
    // Only the version read, and only while nobody has verified it.
    let updated = diesel::update(
        bank_details::table
            .find(row.id)
            .filter(bank_details::verified_by.is_null())
            .filter(bank_details::replaced_at.is_null()),
    )
    .set((
        bank_details::verified_by.eq(Some(user.id)),
        bank_details::verified_at.eq(Some(now)),
    ))
    .execute(conn)?;
    if updated == 0 {
        return Err(ApiError::conflict(
            ErrorCode::InvalidState,
            "These bank details changed or were verified meanwhile; reload them.",
        ));
    }
    record(
        conn,
        now,
        keyring,
        user,
        holder,
        "bank_details_verified",
        None,
    )
}

/// An organisation whose current bank details wait for a second person's check.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct AwaitingCheck {
    pub organisation_id: i64,
    pub organisation_name: String,
    pub entered_by_name: String,
    pub entered_at: DateTime<Utc>,
}

/// The organisations whose bank details wait for a check, oldest change first (staff who
/// verify).
pub fn awaiting(
    conn: &mut DbConnection,
    user: &CurrentUser,
) -> Result<Vec<AwaitingCheck>, ApiError> {
    use crate::db::schema::organisations;
    user.require(Action::VerifyBankDetails)?;
    let rows: Vec<(i64, String, String, NaiveDateTime)> = bank_details::table
        .inner_join(organisations::table)
        .inner_join(users::table.on(users::id.eq(bank_details::entered_by)))
        .filter(bank_details::replaced_at.is_null())
        .filter(bank_details::verified_by.is_null())
        .order((bank_details::entered_at, bank_details::id))
        .select((
            organisations::id,
            organisations::name,
            users::name,
            bank_details::entered_at,
        ))
        .limit(500)
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(id, name, by, at)| AwaitingCheck {
            organisation_id: id,
            organisation_name: name,
            entered_by_name: by,
            entered_at: utc(at),
        })
        .collect())
}

/// Refuses a payment to an organisation whose bank details are missing or await a second
/// person's check. Call inside the transaction of the payment.
pub fn ensure_payable(conn: &mut DbConnection, organisation_id: i64) -> Result<(), ApiError> {
    match current(conn, Holder::Organisation(organisation_id))? {
        Some(row) if row.verified_by.is_some() => Ok(()),
        Some(_) => Err(ApiError::conflict(
            ErrorCode::BankDetailsUnverified,
            "The organisation's bank details have changed and wait for a second person to verify them, so nothing can be paid to it yet.",
        )),
        None => Err(ApiError::conflict(
            ErrorCode::BankDetailsUnverified,
            "The organisation has no bank details yet, so nothing can be paid to it.",
        )),
    }
}

/// The full, verified details of a payee, for preparing a payment (finance staff).
pub fn payee(
    conn: &mut DbConnection,
    keyring: &Keyring,
    organisation_id: i64,
) -> Result<Payee, ApiError> {
    ensure_payable(conn, organisation_id)?;
    let row = current(conn, Holder::Organisation(organisation_id))?.ok_or(ApiError::NotFound)?;
    open(keyring, &row)
}

/// The id of the organisation's current bank details when a second person has verified them:
/// the version a payment prepared now pays to. `None` while they are missing or await a check.
pub fn verified_version(conn: &mut DbConnection, holder: Holder) -> Result<Option<i64>, ApiError> {
    Ok(current(conn, holder)?
        .filter(|row| row.verified_by.is_some())
        .map(|row| row.id))
}

/// The full details of one version of an organisation's bank details, as a payment prepared
/// against it recorded them (finance staff), whether or not a later change replaced it.
pub fn payee_of_version(
    conn: &mut DbConnection,
    keyring: &Keyring,
    bank_details_id: i64,
) -> Result<Payee, ApiError> {
    let row: BankRow = bank_details::table
        .find(bank_details_id)
        .select(BankRow::as_select())
        .first(conn)?;
    open(keyring, &row)
}

/// Removes every version of `holder`'s bank details at the end of the retention period: the
/// numbers and the name on the account go, the rows stay for the payments that named them.
pub fn forget(conn: &mut DbConnection, holder: Holder) -> Result<usize, ApiError> {
    let query = bank_details::table.into_boxed();
    let ids: Vec<i64> = match holder {
        Holder::Organisation(id) => query.filter(bank_details::organisation_id.eq(id)),
        Holder::Claimant(id) => query.filter(bank_details::claimant_id.eq(id)),
    }
    .select(bank_details::id)
    .load(conn)?;
    Ok(
        diesel::update(bank_details::table.filter(bank_details::id.eq_any(ids)))
            .set((
                bank_details::account_name.eq("Removed"),
                bank_details::sealed.eq(REMOVED),
                bank_details::key_id.eq("removed"),
            ))
            .execute(conn)?,
    )
}

/// What [`reencrypt`] did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Reencrypted {
    /// Values sealed again under the current key.
    pub moved: usize,
    /// Values already under it.
    pub current: usize,
}

/// Seals every stored version of every organisation's bank details again under the current
/// key, in batches, each in its own transaction; a value that no configured key opens stops it
/// with the key's id.
pub fn reencrypt(conn: &mut DbConnection, keyring: &Keyring) -> Result<Reencrypted, ApiError> {
    let mut done = Reencrypted::default();
    loop {
        let moved = write_transaction(conn, |conn| {
            let rows: Vec<(i64, String)> = bank_details::table
                .filter(bank_details::key_id.ne(keyring.current_id()))
                .filter(bank_details::sealed.ne(REMOVED))
                .order(bank_details::id)
                .select((bank_details::id, bank_details::sealed))
                .limit(500)
                .load(conn)?;
            for (id, sealed) in &rows {
                let resealed = keyring
                    .reseal_text(sealed)?
                    .unwrap_or_else(|| sealed.clone());
                diesel::update(bank_details::table.find(id))
                    .set((
                        bank_details::sealed.eq(resealed),
                        bank_details::key_id.eq(keyring.current_id()),
                    ))
                    .execute(conn)?;
            }
            Ok::<_, ApiError>(rows.len())
        })?;
        if moved == 0 {
            break;
        }
        done.moved += moved;
    }
    let current: i64 = bank_details::table.count().get_result(conn)?;
    done.current = usize::try_from(current)
        .unwrap_or(0)
        .saturating_sub(done.moved);
    Ok(done)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_shows_none_of_the_numbers() {
        let input = BankDetailsInput {
            account_name: "Trust".into(),
            sort_code: "80-22-60".into(),
            account_number: "10203040".into(),
            roll_number: Some("RB/1234".into()),
        };
        let (_, numbers) = parse(&input).expect("valid");
        let payee = Payee {
            account_name: input.account_name.clone(),
            sort_code: SortCode::parse(&numbers.sort_code).expect("sort code"),
            account_number: AccountNumber::parse(&numbers.account_number).expect("account"),
            roll_number: numbers.roll_number.clone(),
        };
        for shown in [format!("{input:?}"), format!("{payee:?}")] {
            for secret in ["10203040", "802260", "80-22-60", "RB/1234"] {
                assert!(!shown.contains(secret), "{secret} in {shown}");
            }
        }
        assert!(format!("{payee:?}").contains("****3040"));
    }
}
