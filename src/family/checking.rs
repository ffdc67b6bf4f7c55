//! Certifying and checking a family's claim: a clinician of the unit certifies the woman's
//! residence; the cash office of the unit's board approves each line in full, in part or not,
//! rejects the claim, or refers it to counter fraud.
//!
//! Approval commits against the family's cap and the fund's year limits at once, all or
//! nothing, kept by the database rather than by reading and then writing: one conditional
//! update of the stay, `approved = approved + total WHERE approved + total <= cap` (with the
//! table's CHECK behind it), then the fund's years through `funds::budget::commit`, in the
//! transaction that moves the claim from `certified` with a conditional update of its own. Locks
//! follow `crate::funds::locks`: the stay (step 1, the object acted on), then the fund's row and
//! years. Two claims of one family approved at once queue on the stay's row; claims of many
//! families queue only on the years.

use std::collections::{BTreeMap, HashMap};

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde_json::json;

use crate::audit::{self, Change};
use crate::caller::CurrentUser;
use crate::db::schema::{claim_lines, claims, stays};
use crate::db::{DbConnection, retrying_write};
use crate::domain::vocabulary::{ClaimStatus, LineOutcome, Role};
use crate::domain::{FinancialYear, Money};
use crate::email::outbox;
use crate::error::{ApiError, ErrorCode, Validator};
use crate::family::claim_model::{
    CertifyInput, Claim, ClaimDecisionInput, ReasonInput, claim_reference,
};
use crate::family::claims::{claimant_email, lines_of, load, money, visible, wrong_status};
use crate::family::messages::{self, Cut};
use crate::funds::budget;
use crate::funds::locks::lock_stay;
use crate::permissions::Action;
use crate::report_cache::{self, Figures};

/// Certifies a submitted claim (a clinician of the unit): the woman was resident from one day
/// to another. Lines outside those days are cut, with the reason; the rest go to the cash
/// office.
pub fn certify(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    user: &CurrentUser,
    id: i64,
    input: &CertifyInput,
) -> Result<Claim, ApiError> {
    user.require(Action::CertifyClaim)?;
    let mut v = Validator::new();
    let from = v.date("resident_from", &input.resident_from);
    let to = v.date("resident_to", &input.resident_to);
    if let (Some(f), Some(t)) = (from, to) {
        if t < f {
            v.error("resident_to", "must not be before the first day");
        }
        if t > now.date() {
            v.error("resident_to", "must not be in the future");
        }
    }
    let (from, to) = v.finish_with(|| Some((from?, to?)))?;
    retrying_write(conn, |conn| {
        let (claim, stay, _) = visible(conn, user, id)?;
        lock_stay(conn, stay.id)?;
        let changed = diesel::update(
            claims::table
                .find(id)
                .filter(claims::status.eq(ClaimStatus::Submitted)),
        )
        .set((
            claims::status.eq(ClaimStatus::Certified),
            claims::certified_by.eq(Some(user.id)),
            claims::certified_at.eq(Some(now)),
            claims::resident_from.eq(Some(from)),
            claims::resident_to.eq(Some(to)),
            claims::updated_at.eq(now),
        ))
        .execute(conn)?;
        if changed == 0 {
            return Err(wrong_status(&claim, "certified"));
        }
        let reason = format!(
            "outside the days the unit certified, {} to {}",
            from.format("%-d %B %Y"),
            to.format("%-d %B %Y")
        );
        let mut cut = 0;
        let mut claimed = claim.claimed_pence;
        for line in lines_of(conn, id)? {
            if line.spent_on < from || line.spent_on > to {
                diesel::update(claim_lines::table.find(line.id))
                    .set((
                        claim_lines::outcome.eq(Some(LineOutcome::Cut)),
                        claim_lines::approved_pence.eq(Some(0)),
                        claim_lines::outcome_reason.eq(Some(&reason)),
                    ))
                    .execute(conn)?;
                cut += 1;
                claimed -= line.amount_pence;
            }
        }
        // What a cut line claimed no longer counts against the cap while the claim waits.
        diesel::update(claims::table.find(id))
            .set(claims::claimed_pence.eq(claimed))
            .execute(conn)?;
        audit::record(
            conn,
            now,
            Change::by(user, "claim", id, "claim_certified")
                .before(json!({"status": claim.status}))
                .after(json!({
                    "status": ClaimStatus::Certified,
                    "resident_from": from,
                    "resident_to": to,
                    "lines_cut": cut,
                })),
        )?;
        let email = claimant_email(conn, &stay)?;
        outbox::enqueue(
            conn,
            now,
            &messages::claim_certified(&email, &claim_reference(id), cut),
        )?;
        load(conn, id)
    })
}

/// One line's checked decision.
struct Decided {
    outcome: LineOutcome,
    approved_pence: i64,
    reason: Option<String>,
}

/// Approves a certified claim line by line (the cash office of the unit's board): every line
/// that stands is decided, in full, in part (for less, with a reason) or not (with a reason),
/// and at least one pays something. The total commits against the family's cap (409
/// `family_cap_exceeded`) and each financial year's limit (409 `fund_limit_exceeded`,
/// `year_not_approved`) at once, or nothing moves.
pub fn approve(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    user: &CurrentUser,
    id: i64,
    input: &ClaimDecisionInput,
) -> Result<Claim, ApiError> {
    user.require(Action::CheckClaim)?;
    retrying_write(conn, |conn| {
        let (claim, stay, _) = visible(conn, user, id)?;
        lock_stay(conn, stay.id)?;
        if claim.status != ClaimStatus::Certified {
            return Err(wrong_status(&claim, "approved"));
        }
        let lines = lines_of(conn, id)?;
        let mut v = Validator::new();
        let mut decided: HashMap<i64, Decided> = HashMap::new();
        for (i, d) in input.lines.iter().enumerate() {
            let at = |field: &str| format!("lines[{i}].{field}");
            let Some(line) = lines.iter().find(|l| l.id == d.line_id) else {
                v.error(at("line_id"), "is not a line of this claim");
                continue;
            };
            if !line.stands() {
                v.error(at("line_id"), "was cut at certification");
                continue;
            }
            if decided.contains_key(&line.id) {
                v.error(at("line_id"), "is decided twice");
                continue;
            }
            let outcome = v.check(at("outcome"), d.outcome.parse::<LineOutcome>());
            let reason = v
                .optional_text(&at("reason"), d.reason.as_deref(), 500)
                .flatten();
            let choice = match outcome {
                Some(LineOutcome::Full) => {
                    if d.amount.is_some() {
                        v.error(
                            at("amount"),
                            "a line approved in full pays what it claims: leave it out",
                        );
                    }
                    Some((LineOutcome::Full, line.amount_pence))
                }
                Some(LineOutcome::Part) => {
                    let amount = match d.amount.as_deref() {
                        Some(text) => v.money(at("amount"), text),
                        None => {
                            v.error(at("amount"), "enter what the line pays");
                            None
                        }
                    };
                    if reason.is_none() {
                        v.error(at("reason"), "say why the line pays less than claimed");
                    }
                    match amount.map(Money::pence) {
                        Some(p) if p > 0 && p < line.amount_pence => Some((LineOutcome::Part, p)),
                        Some(_) => {
                            v.error(
                                at("amount"),
                                format!(
                                    "must be more than zero and less than the £{} claimed",
                                    money(line.amount_pence)?
                                ),
                            );
                            None
                        }
                        None => None,
                    }
                }
                Some(LineOutcome::None) => {
                    if reason.is_none() {
                        v.error(at("reason"), "say why the line is not paid");
                    }
                    if d.amount.is_some() {
                        v.error(
                            at("amount"),
                            "a line not approved pays nothing: leave it out",
                        );
                    }
                    Some((LineOutcome::None, 0))
                }
                Some(LineOutcome::Cut) => {
                    v.error(at("outcome"), "must be one of: full, part, none");
                    None
                }
                None => None,
            };
            if let Some((outcome, approved_pence)) = choice {
                decided.insert(
                    line.id,
                    Decided {
                        outcome,
                        approved_pence,
                        reason,
                    },
                );
            }
        }
        for line in lines.iter().filter(|l| l.stands()) {
            if !input.lines.iter().any(|d| d.line_id == line.id) {
                v.error("lines", format!("decide line {} too", line.id));
            }
        }
        v.finish()?;
        let total: i64 = decided.values().map(|d| d.approved_pence).sum();
        if total == 0 {
            return Err(ApiError::invalid(
                "lines",
                "approve at least one line, or reject the claim",
            ));
        }
        let mut by_year: BTreeMap<FinancialYear, i64> = BTreeMap::new();
        for line in &lines {
            if let Some(d) = decided.get(&line.id) {
                let year = FinancialYear::containing(line.spent_on).map_err(ApiError::internal)?;
                *by_year.entry(year).or_default() += d.approved_pence;
            }
        }
        let fitted = diesel::update(
            stays::table
                .find(stay.id)
                .filter((stays::approved_pence + total).le(stays::cap_pence)),
        )
        .set((
            stays::approved_pence.eq(stays::approved_pence + total),
            stays::updated_at.eq(now),
        ))
        .returning(stays::approved_pence)
        .get_result::<i64>(conn)
        .optional()?;
        if fitted.is_none() {
            let approved: i64 = stays::table
                .find(stay.id)
                .select(stays::approved_pence)
                .first(conn)?;
            return Err(ApiError::conflict(
                ErrorCode::FamilyCapExceeded,
                format!(
                    "The family has £{} approved for this stay and the cap is £{}: £{} is left, and this claim would approve £{}.",
                    money(approved)?,
                    money(stay.cap_pence)?,
                    money((stay.cap_pence - approved).max(0))?,
                    money(total)?
                ),
            ));
        }
        let amounts = by_year
            .iter()
            .filter(|(_, p)| **p > 0)
            .map(|(y, p)| Ok((*y, money(*p)?)))
            .collect::<Result<BTreeMap<_, _>, ApiError>>()?;
        let moved = budget::commit(conn, now, stay.fund_id, &amounts)?;
        let changed = diesel::update(
            claims::table
                .find(id)
                .filter(claims::status.eq(ClaimStatus::Certified)),
        )
        .set((
            claims::status.eq(ClaimStatus::Approved),
            claims::approved_pence.eq(Some(total)),
            claims::decided_by.eq(Some(user.id)),
            claims::decided_at.eq(Some(now)),
            claims::updated_at.eq(now),
        ))
        .execute(conn)?;
        if changed == 0 {
            return Err(wrong_status(&claim, "approved"));
        }
        let mut cuts = Vec::new();
        for line in &lines {
            if let Some(d) = decided.get(&line.id) {
                diesel::update(claim_lines::table.find(line.id))
                    .set((
                        claim_lines::outcome.eq(Some(d.outcome)),
                        claim_lines::approved_pence.eq(Some(d.approved_pence)),
                        claim_lines::outcome_reason.eq(&d.reason),
                    ))
                    .execute(conn)?;
            }
            let (approved, reason) = match (decided.get(&line.id), &line.outcome_reason) {
                (Some(d), _) if d.outcome == LineOutcome::Full => continue,
                (Some(d), _) => (d.approved_pence, d.reason.clone().unwrap_or_default()),
                (None, Some(reason)) => (0, reason.clone()),
                (None, None) => (0, String::new()),
            };
            cuts.push(Cut {
                day: line.spent_on.format("%-d %B %Y").to_string(),
                kind: line.kind.label(),
                claimed: money(line.amount_pence)?,
                approved: money(approved)?,
                reason,
            });
        }
        audit::record(
            conn,
            now,
            Change::by(user, "claim", id, "claim_approved")
                .before(json!({"status": claim.status, "claimed": money(claim.claimed_pence)?}))
                .after(json!({
                    "status": ClaimStatus::Approved,
                    "approved": money(total)?,
                    "lines": input.lines.iter().map(|d| json!({"line_id": d.line_id, "outcome": d.outcome})).collect::<Vec<_>>(),
                })),
        )?;
        moved.record(conn, now, user, "claim_committed")?;
        let email = claimant_email(conn, &stay)?;
        outbox::enqueue(
            conn,
            now,
            &messages::claim_approved(
                &email,
                &claim_reference(id),
                money(claim.claimed_pence)?,
                money(total)?,
                &cuts,
            ),
        )?;
        report_cache::changed(conn, stay.fund_id, Figures::Money)?;
        load(conn, id)
    })
}

/// Rejects a submitted or certified claim (the cash office), with the reason the family is
/// emailed.
pub fn reject(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    user: &CurrentUser,
    id: i64,
    input: &ReasonInput,
) -> Result<Claim, ApiError> {
    close(conn, now, user, id, input, ClaimStatus::Rejected)
}

/// Refers a submitted or certified claim to counter fraud (the cash office): it is frozen, the
/// reason kept in the audit trail, and no email tells the family why.
pub fn refer(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    user: &CurrentUser,
    id: i64,
    input: &ReasonInput,
) -> Result<Claim, ApiError> {
    close(conn, now, user, id, input, ClaimStatus::Referred)
}

fn close(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    user: &CurrentUser,
    id: i64,
    input: &ReasonInput,
    to: ClaimStatus,
) -> Result<Claim, ApiError> {
    user.require(Action::CheckClaim)?;
    if user.role != Role::CashOffice {
        return Err(ApiError::Forbidden);
    }
    let mut v = Validator::new();
    let reason = v.text("reason", &input.reason, 1, 500);
    let reason = v.finish_with(|| reason)?;
    retrying_write(conn, |conn| {
        let (claim, stay, _) = visible(conn, user, id)?;
        lock_stay(conn, stay.id)?;
        let rejection = (to == ClaimStatus::Rejected).then(|| reason.clone());
        let changed = diesel::update(
            claims::table
                .find(id)
                .filter(claims::status.eq_any([ClaimStatus::Submitted, ClaimStatus::Certified])),
        )
        .set((
            claims::status.eq(to),
            claims::decided_by.eq(Some(user.id)),
            claims::decided_at.eq(Some(now)),
            claims::rejection_reason.eq(&rejection),
            claims::updated_at.eq(now),
        ))
        .execute(conn)?;
        if changed == 0 {
            let what = if to == ClaimStatus::Rejected {
                "rejected"
            } else {
                "referred"
            };
            return Err(wrong_status(&claim, what));
        }
        let action = if to == ClaimStatus::Rejected {
            "claim_rejected"
        } else {
            "claim_referred"
        };
        audit::record(
            conn,
            now,
            Change::by(user, "claim", id, action)
                .before(json!({"status": claim.status}))
                .after(json!({"status": to, "reason": reason})),
        )?;
        if to == ClaimStatus::Rejected {
            let email = claimant_email(conn, &stay)?;
            outbox::enqueue(
                conn,
                now,
                &messages::claim_rejected(&email, &claim_reference(id), &reason),
            )?;
        }
        load(conn, id)
    })
}
