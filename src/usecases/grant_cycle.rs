//! The steps of the grant cycle that change two features in one transaction. Awards come before
//! monitoring, so neither service calls the other: each step is one function here, above both,
//! called by the API handlers, the portal and the demo alike.

use chrono::NaiveDateTime;

use crate::awards::model::Award;
use crate::awards::model::variation::{Variation, VariationDecisionInput};
use crate::awards::{offer, releases, variations};
use crate::caller::CurrentUser;
use crate::db::{DbConnection, retrying_write};
use crate::domain::FinancialYear;
use crate::domain::vocabulary::ReturnStatus;
use crate::error::ApiError;
use crate::monitoring::model::{MonitoringReturn, ReviewInput};
use crate::monitoring::service as monitoring;
use crate::rounds::model::RoundRow;

/// The applicant accepts the offer, and the award's monitoring returns are scheduled at the
/// round's frequency over the award's years, in the same transaction.
pub fn accept_award(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    user: &CurrentUser,
    award_id: i64,
) -> Result<Award, ApiError> {
    retrying_write(conn, |conn| {
        let (row, after) = offer::accept(conn, now, user, award_id)?;
        let round = RoundRow::find(conn, row.round_id)?;
        let years: Vec<FinancialYear> = after.amounts.keys().copied().collect();
        monitoring::schedule_for(conn, now, user, &row, round.return_frequency, &years)?;
        Ok(after)
    })
}

/// An administrator reviews a submitted return; accepting the final return completes the award
/// (anything not released goes back to its year's budget), in the same transaction.
pub fn review_return(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    user: &CurrentUser,
    return_id: i64,
    input: &ReviewInput,
) -> Result<MonitoringReturn, ApiError> {
    retrying_write(conn, |conn| {
        let reviewed = monitoring::review(conn, now, user, return_id, input)?;
        if reviewed.is_final && reviewed.status == ReturnStatus::Accepted {
            offer::complete(conn, now, user, reviewed.award_id)?;
        }
        Ok(reviewed)
    })
}

/// One step of an instalment's release: an administrator requests it (`releases::request`),
/// then a finance user authorises it under the same rules checked again
/// (`releases::authorise`) and it waits, `authorised`, for a payment run. An instalment after
/// the first waits until the return for the period before its year has been accepted.
pub fn release(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    user: &CurrentUser,
    step: releases::Step,
    award_id: i64,
    year: &str,
) -> Result<Award, ApiError> {
    step(
        conn,
        now,
        user,
        award_id,
        year,
        monitoring::ensure_previous_accepted,
    )
}

/// An administrator approves a variation, which is applied; an extension also reschedules the
/// award's final return to its new end date, in the same transaction.
pub fn approve_variation(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    user: &CurrentUser,
    variation_id: i64,
    input: &VariationDecisionInput,
) -> Result<Variation, ApiError> {
    retrying_write(conn, |conn| {
        let approved = variations::approve(conn, now, user, variation_id, input)?;
        if let Some(end) = approved.extended_to {
            monitoring::extend_to(conn, now, user, &approved.award, end)?;
        }
        Ok(approved.variation)
    })
}
