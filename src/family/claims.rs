//! A family's claims: written by the claimant as a draft, line by line, then submitted, when
//! every rule of the fund is checked and every failed line reported at once.
//!
//! Who sees a claim is who sees its stay (`stays::visible`): its claimant, the unit's clinicians
//! and the board's cash office.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde_json::json;

use crate::audit::{self, Change};
use crate::caller::CurrentUser;
use crate::crypto::Keyring;
use crate::db::schema::{
    claim_lines, claims, documents, fund_rates, pre_approvals, stays, units, users,
};
use crate::db::{DbConnection, retrying_write};
use crate::domain::clock::utc;
use crate::domain::vocabulary::{ClaimStatus, DocumentOwner, Role};
use crate::domain::{FinancialYear, Money};
use crate::email::outbox;
use crate::error::{ApiError, ErrorCode, Validator};
use crate::family::claim_model::{
    Claim, ClaimInput, ClaimLine, ClaimRow, LineRow, PreApprovalRow, claim_reference,
};
use crate::family::messages;
use crate::family::model::{RatesDetails, RatesRow, UnitRow};
use crate::family::rules::{self, Context, Line, PreApprovalFacts, VisitorFacts};
use crate::family::stay_model::{StayRow, reference};
use crate::family::stays as family_stays;
use crate::funds::locks::lock_stay;
use crate::permissions::Action;

pub(super) fn money(pence: i64) -> Result<Money, ApiError> {
    Money::from_pence(pence).map_err(ApiError::internal)
}

pub(super) fn row(conn: &mut DbConnection, id: i64) -> Result<ClaimRow, ApiError> {
    claims::table
        .find(id)
        .select(ClaimRow::as_select())
        .first(conn)
        .optional()?
        .ok_or(ApiError::NotFound)
}

/// A claim by its id, as the API shows it.
pub(super) fn load(conn: &mut DbConnection, id: i64) -> Result<Claim, ApiError> {
    let claim = row(conn, id)?;
    view(conn, claim)
}

/// The claim, its stay and its unit if `user` may see them; 404 otherwise.
pub fn visible(
    conn: &mut DbConnection,
    user: &CurrentUser,
    id: i64,
) -> Result<(ClaimRow, StayRow, UnitRow), ApiError> {
    user.require(Action::ReadStays)?;
    let claim = row(conn, id)?;
    let (stay, unit) = family_stays::visible(conn, user, claim.stay_id)?;
    Ok((claim, stay, unit))
}

/// The claim if `user` is its claimant and it is still a draft.
fn own_draft(
    conn: &mut DbConnection,
    user: &CurrentUser,
    id: i64,
) -> Result<(ClaimRow, StayRow, UnitRow), ApiError> {
    user.require(Action::Claim)?;
    let (claim, stay, unit) = visible(conn, user, id)?;
    if stay.claimant_id != user.id {
        return Err(ApiError::NotFound);
    }
    if claim.status != ClaimStatus::Draft {
        return Err(wrong_status(&claim, "changed"));
    }
    Ok((claim, stay, unit))
}

pub(super) fn wrong_status(claim: &ClaimRow, what: &str) -> ApiError {
    ApiError::conflict(
        ErrorCode::ClaimStatusMismatch,
        format!(
            "Claim {} is {}, so it cannot be {what}.",
            claim_reference(claim.id),
            claim.status
        ),
    )
}

pub(super) fn lines_of(conn: &mut DbConnection, claim_id: i64) -> Result<Vec<LineRow>, ApiError> {
    Ok(claim_lines::table
        .filter(claim_lines::claim_id.eq(claim_id))
        .order(claim_lines::id)
        .select(LineRow::as_select())
        .load(conn)?)
}

/// The rates of each financial year of a fund.
pub(super) fn rates_of(
    conn: &mut DbConnection,
    fund_id: i64,
) -> Result<BTreeMap<FinancialYear, RatesDetails>, ApiError> {
    let rows: Vec<RatesRow> = fund_rates::table
        .filter(fund_rates::fund_id.eq(fund_id))
        .select(RatesRow::as_select())
        .load(conn)?;
    rows.iter().map(RatesRow::details).collect()
}

/// A claim as the API shows it.
pub fn view(conn: &mut DbConnection, claim: ClaimRow) -> Result<Claim, ApiError> {
    let lines = lines_of(conn, claim.id)?
        .into_iter()
        .map(|l| {
            Ok(ClaimLine {
                id: l.id,
                visitor_id: l.visitor_id,
                spent_on: l.spent_on,
                financial_year: FinancialYear::containing(l.spent_on)
                    .map_err(ApiError::internal)?,
                kind: l.kind,
                miles: l.miles,
                together: l.together,
                description: l.description,
                amount: money(l.amount_pence)?,
                receipt_document_id: l.receipt_document_id,
                pre_approval_id: l.pre_approval_id,
                outcome: l.outcome,
                approved: l.approved_pence.map(money).transpose()?,
                outcome_reason: l.outcome_reason,
            })
        })
        .collect::<Result<Vec<_>, ApiError>>()?;
    Ok(Claim {
        id: claim.id,
        reference: claim_reference(claim.id),
        stay_id: claim.stay_id,
        stay_reference: reference(claim.stay_id),
        status: claim.status,
        claimed: money(claim.claimed_pence)?,
        approved: claim.approved_pence.map(money).transpose()?,
        lines,
        submitted_at: claim.submitted_at.map(utc),
        certified_at: claim.certified_at.map(utc),
        resident_from: claim.resident_from,
        resident_to: claim.resident_to,
        decided_at: claim.decided_at.map(utc),
        rejection_reason: claim.rejection_reason,
        created_at: utc(claim.created_at),
        updated_at: utc(claim.updated_at),
    })
}

/// Checks and prices the lines of a draft: each line's own fields, and its day's rates.
fn priced(
    conn: &mut DbConnection,
    keyring: &Keyring,
    stay: &StayRow,
    input: &ClaimInput,
) -> Result<Vec<Line>, ApiError> {
    let visitors: HashSet<i64> = family_stays::visitors_of(conn, keyring, stay.id)?
        .into_iter()
        .map(|(v, _)| v.id)
        .collect();
    let rates = rates_of(conn, stay.fund_id)?;
    let raw: Vec<_> = input.lines.iter().map(|l| l.raw()).collect();
    let mut v = Validator::new();
    let lines = rules::price(&mut v, &raw, &visitors, &rates);
    v.finish_with(|| lines)
}

fn write_lines(conn: &mut DbConnection, claim_id: i64, lines: &[Line]) -> Result<i64, ApiError> {
    diesel::delete(claim_lines::table.filter(claim_lines::claim_id.eq(claim_id))).execute(conn)?;
    // One statement a line: the multi-connection takes no batch insert.
    for line in lines {
        diesel::insert_into(claim_lines::table)
            .values((
                claim_lines::claim_id.eq(claim_id),
                claim_lines::visitor_id.eq(line.visitor_id),
                claim_lines::spent_on.eq(line.spent_on),
                claim_lines::kind.eq(line.kind),
                claim_lines::miles.eq(line.miles),
                claim_lines::together.eq(line.together),
                claim_lines::description.eq(&line.description),
                claim_lines::amount_pence.eq(line.amount_pence),
                claim_lines::receipt_document_id.eq(line.receipt_document_id),
                claim_lines::pre_approval_id.eq(line.pre_approval_id),
            ))
            .execute(conn)?;
    }
    Ok(lines.iter().map(|l| l.amount_pence).sum())
}

/// Starts a claim against a stay (its claimant), as a draft with the lines given, each checked
/// and priced. The rules across lines are checked when it is submitted.
pub fn create(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    keyring: &Keyring,
    user: &CurrentUser,
    stay_id: i64,
    input: &ClaimInput,
) -> Result<Claim, ApiError> {
    retrying_write(conn, |conn| {
        let (stay, _) = family_stays::own(conn, user, stay_id)?;
        if stay.anonymised_at.is_some() {
            return Err(ApiError::NotFound);
        }
        let lines = priced(conn, keyring, &stay, input)?;
        let id: i64 = diesel::insert_into(claims::table)
            .values((
                claims::stay_id.eq(stay.id),
                claims::status.eq(ClaimStatus::Draft),
                claims::claimed_pence.eq(0),
                claims::created_at.eq(now),
                claims::updated_at.eq(now),
            ))
            .returning(claims::id)
            .get_result(conn)?;
        let total = write_lines(conn, id, &lines)?;
        diesel::update(claims::table.find(id))
            .set(claims::claimed_pence.eq(total))
            .execute(conn)?;
        audit::record(
            conn,
            now,
            Change::by(user, "claim", id, "claim_started")
                .after(json!({"stay_id": stay.id, "lines": lines.len(), "claimed": money(total)?})),
        )?;
        load(conn, id)
    })
}

/// Replaces a draft's lines (its claimant).
pub fn save(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    keyring: &Keyring,
    user: &CurrentUser,
    id: i64,
    input: &ClaimInput,
) -> Result<Claim, ApiError> {
    retrying_write(conn, |conn| {
        let (claim, stay, _) = own_draft(conn, user, id)?;
        let lines = priced(conn, keyring, &stay, input)?;
        let total = write_lines(conn, id, &lines)?;
        diesel::update(
            claims::table
                .find(id)
                .filter(claims::status.eq(ClaimStatus::Draft)),
        )
        .set((claims::claimed_pence.eq(total), claims::updated_at.eq(now)))
        .execute(conn)?;
        audit::record(
            conn,
            now,
            Change::by(user, "claim", id, "claim_saved")
                .before(json!({"claimed": money(claim.claimed_pence)?}))
                .after(json!({"lines": lines.len(), "claimed": money(total)?})),
        )?;
        load(conn, id)
    })
}

/// What the rules check a claim of `stay` against, besides its own lines.
fn context(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    keyring: &Keyring,
    stay: &StayRow,
    unit: &UnitRow,
    claim_id: i64,
) -> Result<Context, ApiError> {
    let visitors: HashMap<i64, VisitorFacts> = family_stays::visitors_of(conn, keyring, stay.id)?
        .into_iter()
        .map(|(v, child)| {
            (
                v.id,
                VisitorFacts {
                    kind: v.kind,
                    date_of_birth: child.map(|c| c.date_of_birth),
                },
            )
        })
        .collect();
    let standing = [
        ClaimStatus::Submitted,
        ClaimStatus::Certified,
        ClaimStatus::Referred,
        ClaimStatus::Approved,
        ClaimStatus::Paid,
    ];
    let others: Vec<LineRow> = claim_lines::table
        .inner_join(claims::table)
        .filter(claims::stay_id.eq(stay.id))
        .filter(claims::id.ne(claim_id))
        .filter(claims::status.eq_any(standing))
        .select(LineRow::as_select())
        .load(conn)?;
    let pre_approvals = pre_approvals::table
        .filter(pre_approvals::stay_id.eq(stay.id))
        .select(PreApprovalRow::as_select())
        .load::<PreApprovalRow>(conn)?
        .into_iter()
        .map(|p| {
            (
                p.id,
                PreApprovalFacts {
                    visitor_id: p.visitor_id,
                    kind: p.kind,
                    journey_on: p.journey_on,
                    status: p.status,
                },
            )
        })
        .collect();
    let receipts = documents::table
        .filter(documents::owner_kind.eq(DocumentOwner::Claim))
        .filter(documents::owner_id.eq(claim_id))
        .select(documents::id)
        .load::<i64>(conn)?
        .into_iter()
        .collect();
    Ok(Context {
        today: now.date(),
        admitted_on: stay.admitted_on,
        discharged_on: stay.discharged_on,
        window_closes_on: stay.window_closes_on(),
        provides_meals: unit.provides_meals,
        cap_pence: stay.cap_pence,
        approved_pence: stay.approved_pence,
        visitors,
        rates: rates_of(conn, stay.fund_id)?,
        others: others
            .iter()
            .filter(|l| l.stands())
            .map(LineRow::line)
            .collect(),
        pre_approvals,
        receipts,
    })
}

/// Submits a draft (its claimant): every rule of the fund is checked against the stay, its
/// other claims and its approved journeys, and every failed line is reported at once (422).
/// The stay's row is held while the rules read it, so two claims of one family submitted at
/// once are checked one after the other against the cap.
pub fn submit(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    keyring: &Keyring,
    user: &CurrentUser,
    id: i64,
) -> Result<Claim, ApiError> {
    retrying_write(conn, |conn| {
        let (claim, stay, unit) = own_draft(conn, user, id)?;
        lock_stay(conn, stay.id)?;
        let stay: StayRow = stays::table
            .find(stay.id)
            .select(StayRow::as_select())
            .first(conn)?;
        let ctx = context(conn, now, keyring, &stay, &unit, id)?;
        let lines: Vec<Line> = lines_of(conn, id)?.iter().map(LineRow::line).collect();
        let errors = rules::check(&ctx, &lines);
        if !errors.is_empty() {
            return Err(ApiError::Validation(errors));
        }
        let changed = diesel::update(
            claims::table
                .find(id)
                .filter(claims::status.eq(ClaimStatus::Draft)),
        )
        .set((
            claims::status.eq(ClaimStatus::Submitted),
            claims::submitted_at.eq(Some(now)),
            claims::updated_at.eq(now),
        ))
        .execute(conn)?;
        if changed == 0 {
            return Err(wrong_status(&claim, "submitted"));
        }
        audit::record(
            conn,
            now,
            Change::by(user, "claim", id, "claim_submitted")
                .before(json!({"status": claim.status}))
                .after(json!({"status": ClaimStatus::Submitted, "claimed": money(claim.claimed_pence)?})),
        )?;
        outbox::enqueue(
            conn,
            now,
            &messages::claim_received(
                &user.email,
                &claim_reference(id),
                money(claim.claimed_pence)?,
            ),
        )?;
        load(conn, id)
    })
}

/// One claim, for those who may see its stay.
pub fn get(conn: &mut DbConnection, user: &CurrentUser, id: i64) -> Result<Claim, ApiError> {
    let (claim, _, _) = visible(conn, user, id)?;
    view(conn, claim)
}

/// The claims of a stay, newest first, for those who may see it. Other people's drafts are not
/// shown to staff.
pub fn of_stay(
    conn: &mut DbConnection,
    user: &CurrentUser,
    stay_id: i64,
) -> Result<Vec<Claim>, ApiError> {
    family_stays::visible(conn, user, stay_id)?;
    let mut query = claims::table
        .filter(claims::stay_id.eq(stay_id))
        .order(claims::id.desc())
        .select(ClaimRow::as_select())
        .into_boxed();
    if !user.is(Role::Claimant) {
        query = query.filter(claims::status.ne(ClaimStatus::Draft));
    }
    let rows: Vec<ClaimRow> = query.load(conn)?;
    rows.into_iter().map(|c| view(conn, c)).collect()
}

/// The claims waiting for the caller, oldest first: a clinician's unit's submitted claims, a
/// cash office's board's certified ones; or, with `status`, those of that status.
pub fn queue(
    conn: &mut DbConnection,
    user: &CurrentUser,
    status: Option<ClaimStatus>,
) -> Result<Vec<Claim>, ApiError> {
    user.require(Action::ReadStays)?;
    let mut query = claims::table
        .inner_join(stays::table.inner_join(units::table))
        .select(ClaimRow::as_select())
        .order(claims::id)
        .limit(500)
        .into_boxed();
    let waiting = match (user.role, user.unit_id, user.health_board) {
        (Role::Clinician, Some(unit), _) => {
            query = query.filter(stays::unit_id.eq(unit));
            ClaimStatus::Submitted
        }
        (Role::CashOffice, _, Some(board)) => {
            query = query.filter(units::health_board.eq(board));
            ClaimStatus::Certified
        }
        (Role::Claimant, _, _) => {
            query = query.filter(stays::claimant_id.eq(user.id));
            ClaimStatus::Draft
        }
        _ => return Err(ApiError::Forbidden),
    };
    let status = status.unwrap_or(waiting);
    if status == ClaimStatus::Draft && !user.is(Role::Claimant) {
        return Ok(Vec::new());
    }
    let rows: Vec<ClaimRow> = query.filter(claims::status.eq(status)).load(conn)?;
    rows.into_iter().map(|c| view(conn, c)).collect()
}

/// The email of a stay's claimant.
pub(super) fn claimant_email(conn: &mut DbConnection, stay: &StayRow) -> Result<String, ApiError> {
    Ok(users::table
        .find(stay.claimant_id)
        .select(users::email)
        .first(conn)?)
}

/// Whether `user` may read or attach the receipts of claim `id`: those who see the claim read
/// them; its claimant attaches them while it is a draft. 404 for anyone else.
pub fn receipts_access(
    conn: &mut DbConnection,
    user: &CurrentUser,
    id: i64,
    to_change: bool,
) -> Result<(), ApiError> {
    if !user.role.is_family() {
        return Err(ApiError::NotFound);
    }
    if to_change {
        own_draft(conn, user, id)?;
    } else {
        visible(conn, user, id)?;
    }
    Ok(())
}
