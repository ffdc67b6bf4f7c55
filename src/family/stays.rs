//! A family's stays: recorded by the claimant, seen by that claimant, the unit's clinicians and
//! the cash office of the unit's board, and by nobody else (404, whether or not it exists).
//!
//! The woman's name and date of birth, and each child's first name and date of birth, are
//! sealed through `crypto.rs` before they are written; the audit trail records none of them.

use std::collections::HashMap;

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use serde_json::json;

use crate::audit::{self, Change};
use crate::caller::CurrentUser;
use crate::crypto::Keyring;
use crate::db::schema::{
    claims, fund_rates, stay_people, stays, unit_wards, units, users, visitors,
};
use crate::db::{DbConnection, retrying_write};
use crate::domain::clock::utc;
use crate::domain::vocabulary::{ClaimStatus, HealthBoard, Role, VisitorKind};
use crate::domain::{FinancialYear, Money};
use crate::error::{ApiError, Validator};
use crate::family::model::UnitRow;
use crate::family::stay_model::{
    Child, ChildInput, DischargeInput, Stay, StayDetails, StayInput, StayPeopleRow, StayRow,
    StayVisitor, VisitorRow, Woman, parse_child, reference,
};
use crate::permissions::Action;

fn money(pence: i64) -> Result<Money, ApiError> {
    Money::from_pence(pence).map_err(ApiError::internal)
}

/// The claims whose amounts wait for a decision: the stay shows them as pending.
const PENDING: [ClaimStatus; 3] = [
    ClaimStatus::Submitted,
    ClaimStatus::Certified,
    ClaimStatus::Referred,
];

/// Which stays a caller sees: a claimant their own, a clinician their unit's, a cash office its
/// board's units'.
enum Scope {
    Claimant(i64),
    Unit(i64),
    Board(HealthBoard),
}

fn scope(user: &CurrentUser) -> Result<Scope, ApiError> {
    user.require(Action::ReadStays)?;
    match (user.role, user.unit_id, user.health_board) {
        (Role::Claimant, _, _) => Ok(Scope::Claimant(user.id)),
        (Role::Clinician, Some(unit), _) => Ok(Scope::Unit(unit)),
        (Role::CashOffice, _, Some(board)) => Ok(Scope::Board(board)),
        _ => Err(ApiError::Forbidden),
    }
}

/// Whether `user` may see a stay of `unit` claimed by `claimant_id`.
fn in_scope(scope: &Scope, stay: &StayRow, unit: &UnitRow) -> bool {
    match scope {
        Scope::Claimant(id) => stay.claimant_id == *id,
        Scope::Unit(id) => stay.unit_id == *id,
        Scope::Board(board) => unit.health_board == *board,
    }
}

pub fn unit_row(conn: &mut DbConnection, id: i64) -> Result<UnitRow, ApiError> {
    Ok(units::table
        .find(id)
        .select(UnitRow::as_select())
        .first(conn)?)
}

/// The stay and its unit if `user` may see it; 404 otherwise, whether or not it exists.
pub fn visible(
    conn: &mut DbConnection,
    user: &CurrentUser,
    id: i64,
) -> Result<(StayRow, UnitRow), ApiError> {
    let scope = scope(user)?;
    let row: StayRow = stays::table
        .find(id)
        .select(StayRow::as_select())
        .first(conn)
        .optional()?
        .ok_or(ApiError::NotFound)?;
    let unit = unit_row(conn, row.unit_id)?;
    if in_scope(&scope, &row, &unit) {
        Ok((row, unit))
    } else {
        Err(ApiError::NotFound)
    }
}

/// The stay if `user` is its claimant (404 otherwise), for the claimant's own changes.
pub fn own(
    conn: &mut DbConnection,
    user: &CurrentUser,
    id: i64,
) -> Result<(StayRow, UnitRow), ApiError> {
    user.require(Action::Claim)?;
    let (row, unit) = visible(conn, user, id)?;
    if row.claimant_id != user.id {
        return Err(ApiError::NotFound);
    }
    Ok((row, unit))
}

/// The stay's visitors, in the order they were added, with what is sealed opened.
pub fn visitors_of(
    conn: &mut DbConnection,
    keyring: &Keyring,
    stay_id: i64,
) -> Result<Vec<(VisitorRow, Option<Child>)>, ApiError> {
    let rows: Vec<VisitorRow> = visitors::table
        .filter(visitors::stay_id.eq(stay_id))
        .order(visitors::id)
        .select(VisitorRow::as_select())
        .load(conn)?;
    rows.into_iter()
        .map(|row| {
            let child = match &row.sealed {
                Some(sealed) => Some(open_json::<Child>(keyring, sealed)?),
                None => None,
            };
            Ok((row, child))
        })
        .collect()
}

fn seal_json(keyring: &Keyring, value: &impl serde::Serialize) -> Result<String, ApiError> {
    let text = serde_json::to_string(value).map_err(ApiError::internal)?;
    Ok(keyring.seal_text(&text)?)
}

fn open_json<T: serde::de::DeserializeOwned>(
    keyring: &Keyring,
    sealed: &str,
) -> Result<T, ApiError> {
    let text = keyring.open_text(sealed)?;
    serde_json::from_str(&text)
        .map_err(|_| ApiError::internal("sealed details of a stay are not in the expected shape"))
}

/// The woman of a stay, opened; none once anonymised.
pub fn woman_of(
    conn: &mut DbConnection,
    keyring: &Keyring,
    stay_id: i64,
) -> Result<Option<(Woman, StayPeopleRow)>, ApiError> {
    let row: Option<StayPeopleRow> = stay_people::table
        .find(stay_id)
        .select(StayPeopleRow::as_select())
        .first(conn)
        .optional()?;
    row.map(|row| Ok((open_json::<Woman>(keyring, &row.woman_sealed)?, row)))
        .transpose()
}

/// What the stay's claims waiting for a decision claim, in pence.
fn pending_pence(conn: &mut DbConnection, stay_id: i64) -> Result<i64, ApiError> {
    let amounts: Vec<i64> = claims::table
        .filter(claims::stay_id.eq(stay_id))
        .filter(claims::status.eq_any(PENDING))
        .select(claims::claimed_pence)
        .load(conn)?;
    Ok(amounts.into_iter().sum())
}

/// The stay as the API shows it.
pub fn view(
    conn: &mut DbConnection,
    keyring: &Keyring,
    row: StayRow,
    unit: &UnitRow,
) -> Result<Stay, ApiError> {
    let claimant_name: String = users::table
        .find(row.claimant_id)
        .select(users::name)
        .first(conn)?;
    let people = woman_of(conn, keyring, row.id)?;
    let visitors = if row.anonymised_at.is_some() {
        Vec::new()
    } else {
        visitors_of(conn, keyring, row.id)?
    };
    let visitors = visitors
        .into_iter()
        .map(|(v, child)| StayVisitor {
            id: v.id,
            kind: v.kind,
            name: match (&child, v.kind) {
                (Some(c), _) => Some(c.first_name.clone()),
                (None, VisitorKind::Claimant) => Some(claimant_name.clone()),
                (None, VisitorKind::Child) => None,
            },
            date_of_birth: child.map(|c| c.date_of_birth),
        })
        .collect();
    let pending = pending_pence(conn, row.id)?;
    let remaining = (row.cap_pence - row.approved_pence - pending).max(0);
    let (woman, ward, consultant) = match people {
        Some((woman, people)) => (Some(woman), Some(people.ward), Some(people.consultant)),
        None => (None, None, None),
    };
    Ok(Stay {
        id: row.id,
        reference: row.reference(),
        fund_id: row.fund_id,
        unit_id: row.unit_id,
        unit_name: unit.name.clone(),
        unit_board: unit.health_board,
        claimant_id: row.claimant_id,
        woman,
        ward,
        consultant,
        admitted_on: row.admitted_on,
        discharged_on: row.discharged_on,
        claims_close_on: row.window_closes_on(),
        home_board: row.home_board,
        cap: money(row.cap_pence)?,
        approved: money(row.approved_pence)?,
        paid: money(row.paid_pence)?,
        pending: money(pending)?,
        remaining: money(remaining)?,
        visitors,
        created_at: utc(row.created_at),
        updated_at: utc(row.updated_at),
        anonymised_at: row.anonymised_at.map(utc),
    })
}

fn load(conn: &mut DbConnection, keyring: &Keyring, id: i64) -> Result<Stay, ApiError> {
    let row: StayRow = stays::table
        .find(id)
        .select(StayRow::as_select())
        .first(conn)?;
    let unit = unit_row(conn, row.unit_id)?;
    view(conn, keyring, row, &unit)
}

/// The cap and claim window a stay takes: the rates of the financial year of admission, or,
/// for a woman admitted before the fund's first year of rates, that first year's.
fn terms_for(
    conn: &mut DbConnection,
    fund_id: i64,
    admitted_on: NaiveDate,
) -> Result<Option<(i64, i32)>, ApiError> {
    let year = FinancialYear::containing(admitted_on).map_err(ApiError::internal)?;
    let rows: Vec<(String, i64, i32)> = fund_rates::table
        .filter(fund_rates::fund_id.eq(fund_id))
        .order(fund_rates::financial_year)
        .select((
            fund_rates::financial_year,
            fund_rates::family_cap_pence,
            fund_rates::claim_window_months,
        ))
        .load(conn)?;
    let year = year.to_string();
    Ok(rows
        .iter()
        .find(|(y, _, _)| *y == year)
        .or_else(|| rows.iter().find(|(y, _, _)| *y > year))
        .map(|(_, cap, window)| (*cap, *window)))
}

fn insert_child(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    keyring: &Keyring,
    stay_id: i64,
    child: &Child,
) -> Result<(), ApiError> {
    let sealed = seal_json(keyring, child)?;
    diesel::insert_into(visitors::table)
        .values((
            visitors::stay_id.eq(stay_id),
            visitors::kind.eq(VisitorKind::Child),
            visitors::sealed.eq(Some(&sealed)),
            visitors::key_id.eq(Some(keyring.current_id())),
            visitors::created_at.eq(now),
        ))
        .execute(conn)?;
    Ok(())
}

/// Records a stay (claimants): the woman, her unit, ward and consultant, the admission, the
/// family's home board and the children who visit. The claimant visits too. Every field in
/// error is listed at once; the ward must be one of the unit's.
pub fn create(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    keyring: &Keyring,
    user: &CurrentUser,
    input: &StayInput,
) -> Result<Stay, ApiError> {
    user.require(Action::Claim)?;
    let mut v = Validator::new();
    let details = StayDetails::parse(input, now.date(), &mut v);
    retrying_write(conn, |conn| {
        let mut v = v.clone();
        let unit: Option<UnitRow> = units::table
            .find(input.unit_id)
            .select(UnitRow::as_select())
            .first(conn)
            .optional()?;
        let mut terms = None;
        match &unit {
            None => v.error("unit_id", "names no unit"),
            Some(unit) => {
                let ward = input.ward.trim();
                let known = unit_wards::table
                    .filter(unit_wards::unit_id.eq(unit.id))
                    .filter(unit_wards::name.eq(ward))
                    .count()
                    .get_result::<i64>(conn)?
                    > 0;
                if !known && !ward.is_empty() {
                    v.error("ward", "is not a ward of this unit");
                }
                if let Some(d) = &details {
                    terms = terms_for(conn, unit.fund_id, d.admitted_on)?;
                    if terms.is_none() {
                        v.error(
                            "admitted_on",
                            "the fund has no rates for this year yet: ask its administrators",
                        );
                    }
                }
            }
        }
        let (details, unit, (cap, window)) =
            v.finish_with(|| Some((details.clone()?, unit?, terms?)))?;
        let id: i64 = diesel::insert_into(stays::table)
            .values((
                stays::fund_id.eq(unit.fund_id),
                stays::unit_id.eq(unit.id),
                stays::claimant_id.eq(user.id),
                stays::admitted_on.eq(details.admitted_on),
                stays::discharged_on.eq(details.discharged_on),
                stays::home_board.eq(details.home_board),
                stays::cap_pence.eq(cap),
                stays::claim_window_months.eq(window),
                stays::approved_pence.eq(0),
                stays::paid_pence.eq(0),
                stays::created_at.eq(now),
                stays::updated_at.eq(now),
            ))
            .returning(stays::id)
            .get_result(conn)?;
        diesel::insert_into(stay_people::table)
            .values((
                stay_people::stay_id.eq(id),
                stay_people::woman_sealed.eq(seal_json(keyring, &details.woman)?),
                stay_people::key_id.eq(keyring.current_id()),
                stay_people::ward.eq(&details.ward),
                stay_people::consultant.eq(&details.consultant),
            ))
            .execute(conn)?;
        diesel::insert_into(visitors::table)
            .values((
                visitors::stay_id.eq(id),
                visitors::kind.eq(VisitorKind::Claimant),
                visitors::created_at.eq(now),
            ))
            .execute(conn)?;
        for child in &details.children {
            insert_child(conn, now, keyring, id, child)?;
        }
        audit::record(
            conn,
            now,
            Change::by(user, "stay", id, "stay_recorded").after(json!({
                "reference": reference(id),
                "unit_id": unit.id,
                "admitted_on": details.admitted_on,
                "discharged_on": details.discharged_on,
                "home_board": details.home_board,
                "children": details.children.len(),
                "cap": money(cap)?,
            })),
        )?;
        load(conn, keyring, id)
    })
}

/// Adds a child who visits (the claimant).
pub fn add_child(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    keyring: &Keyring,
    user: &CurrentUser,
    id: i64,
    input: &ChildInput,
) -> Result<Stay, ApiError> {
    let mut v = Validator::new();
    let child = parse_child(&mut v, "", input, now.date());
    let child = v.finish_with(|| child)?;
    retrying_write(conn, |conn| {
        let (row, _) = own(conn, user, id)?;
        if row.anonymised_at.is_some() {
            return Err(ApiError::NotFound);
        }
        let count = visitors::table
            .filter(visitors::stay_id.eq(id))
            .filter(visitors::kind.eq(VisitorKind::Child))
            .count()
            .get_result::<i64>(conn)?;
        if count >= crate::family::stay_model::CHILDREN_MAX as i64 {
            return Err(ApiError::invalid(
                "first_name",
                "a stay lists at most 12 children",
            ));
        }
        insert_child(conn, now, keyring, id, &child)?;
        diesel::update(stays::table.find(id))
            .set(stays::updated_at.eq(now))
            .execute(conn)?;
        audit::record(
            conn,
            now,
            Change::by(user, "stay", id, "visitor_added").after(json!({"children": count + 1})),
        )?;
        load(conn, keyring, id)
    })
}

/// Records the discharge date (the claimant, or a clinician of the unit). It opens the claim
/// window's countdown; it may be corrected while no claim is decided.
pub fn discharge(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    keyring: &Keyring,
    user: &CurrentUser,
    id: i64,
    input: &DischargeInput,
) -> Result<Stay, ApiError> {
    if !(user.is(Role::Claimant) || user.is(Role::Clinician)) {
        return Err(ApiError::Forbidden);
    }
    let mut v = Validator::new();
    let day = v.date("discharged_on", &input.discharged_on);
    if day.is_some_and(|d| d > now.date()) {
        v.error("discharged_on", "must not be in the future");
    }
    retrying_write(conn, |conn| {
        let mut v = v.clone();
        let (row, _) = visible(conn, user, id)?;
        if let Some(d) = day
            && d < row.admitted_on
        {
            v.error("discharged_on", "must not be before the admission");
        }
        let day = v.finish_with(|| day)?;
        diesel::update(stays::table.find(id))
            .set((
                stays::discharged_on.eq(Some(day)),
                stays::updated_at.eq(now),
            ))
            .execute(conn)?;
        audit::record(
            conn,
            now,
            Change::by(user, "stay", id, "discharged")
                .before(json!({"discharged_on": row.discharged_on}))
                .after(json!({"discharged_on": day})),
        )?;
        load(conn, keyring, id)
    })
}

/// One stay, for those who may see it.
pub fn get(
    conn: &mut DbConnection,
    keyring: &Keyring,
    user: &CurrentUser,
    id: i64,
) -> Result<Stay, ApiError> {
    let (row, unit) = visible(conn, user, id)?;
    view(conn, keyring, row, &unit)
}

/// The stays the caller sees, newest first: a claimant's own, a clinician's unit's, a cash
/// office's board's.
pub fn list(
    conn: &mut DbConnection,
    keyring: &Keyring,
    user: &CurrentUser,
) -> Result<Vec<Stay>, ApiError> {
    let scope = scope(user)?;
    let mut query = stays::table
        .inner_join(units::table)
        .select((StayRow::as_select(), UnitRow::as_select()))
        .order(stays::id.desc())
        .limit(500)
        .into_boxed();
    query = match scope {
        Scope::Claimant(id) => query.filter(stays::claimant_id.eq(id)),
        Scope::Unit(id) => query.filter(stays::unit_id.eq(id)),
        Scope::Board(board) => query.filter(units::health_board.eq(board)),
    };
    let rows: Vec<(StayRow, UnitRow)> = query.load(conn)?;
    let mut units: HashMap<i64, UnitRow> = HashMap::new();
    rows.into_iter()
        .map(|(row, unit)| {
            let unit = units.entry(unit.id).or_insert(unit).clone();
            view(conn, keyring, row, &unit)
        })
        .collect()
}
