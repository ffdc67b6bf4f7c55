//! The queue of releases: those requested and waiting for a finance user's authorisation, and
//! those authorised and waiting for a payment run to pay them.

use std::collections::HashMap;

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::caller::CurrentUser;
use crate::db::DbConnection;
use crate::db::schema::{
    awards, instalments, organisations, payment_lines, release_requests, users,
};
use crate::domain::clock::utc;
use crate::domain::vocabulary::{InstalmentStatus, PaymentKind, PaymentLineStatus};
use crate::error::ApiError;
use crate::organisations::bank;
use crate::payments::model::{QueueStatus, ReleaseRequest};
use crate::payments::runs::{money, year_of};
use crate::permissions::Action;

type Row = (
    i64,
    String,
    i64,
    String,
    i64,
    String,
    i64,
    i64,
    NaiveDateTime,
    Option<i64>,
    Option<NaiveDateTime>,
);

/// The releases in `status` (administrators and finance), oldest request first: `requested`
/// waits for authorisation, `authorised` for a payment run to pay it.
pub fn list(
    conn: &mut DbConnection,
    user: &CurrentUser,
    status: QueueStatus,
) -> Result<Vec<ReleaseRequest>, ApiError> {
    user.require(Action::ReadReleaseQueue)?;
    let mut query = release_requests::table
        .inner_join(
            instalments::table.on(instalments::award_id
                .eq(release_requests::award_id)
                .and(instalments::financial_year.eq(release_requests::financial_year))),
        )
        .inner_join(awards::table.on(awards::id.eq(release_requests::award_id)))
        .inner_join(organisations::table.on(organisations::id.eq(awards::organisation_id)))
        .order((release_requests::requested_at, release_requests::award_id))
        .select((
            awards::id,
            awards::reference,
            awards::fund_id,
            instalments::financial_year,
            awards::organisation_id,
            organisations::name,
            instalments::amount_pence,
            release_requests::requested_by,
            release_requests::requested_at,
            release_requests::authorised_by,
            release_requests::authorised_at,
        ))
        .limit(1000)
        .into_boxed();
    query = match status {
        QueueStatus::Requested => query
            .filter(release_requests::authorised_by.is_null())
            .filter(instalments::status.eq(InstalmentStatus::Committed)),
        QueueStatus::Authorised => query
            .filter(release_requests::authorised_by.is_not_null())
            .filter(instalments::status.eq(InstalmentStatus::Authorised)),
    };
    let rows: Vec<Row> = query.load(conn)?;
    let mut people: Vec<i64> = rows.iter().map(|r| r.7).collect();
    people.extend(rows.iter().filter_map(|r| r.9));
    let names: HashMap<i64, String> = users::table
        .filter(users::id.eq_any(people))
        .select((users::id, users::name))
        .load::<(i64, String)>(conn)?
        .into_iter()
        .collect();
    let awards_held: Vec<i64> = rows.iter().map(|r| r.0).collect();
    let runs: HashMap<(i64, String), i64> = payment_lines::table
        .filter(payment_lines::kind.eq(PaymentKind::Instalment))
        .filter(payment_lines::status.eq(PaymentLineStatus::Pending))
        .filter(payment_lines::award_id.eq_any(awards_held))
        .select((
            payment_lines::award_id,
            payment_lines::financial_year,
            payment_lines::run_id,
        ))
        .load::<(Option<i64>, Option<String>, i64)>(conn)?
        .into_iter()
        .filter_map(|(award, year, run)| Some(((award?, year?), run)))
        .collect();
    let mut out = Vec::with_capacity(rows.len());
    for (
        award_id,
        reference,
        fund_id,
        year,
        organisation_id,
        organisation_name,
        pence,
        requested_by,
        requested_at,
        authorised_by,
        authorised_at,
    ) in rows
    {
        let payable =
            bank::verified_version(conn, bank::Holder::Organisation(organisation_id))?.is_some();
        out.push(ReleaseRequest {
            award_id,
            award_reference: reference,
            fund_id,
            organisation_id,
            organisation_name,
            financial_year: year_of(Some(&year))?,
            amount: money(pence)?,
            status,
            requested_by,
            requested_by_name: names.get(&requested_by).cloned().unwrap_or_default(),
            requested_at: utc(requested_at),
            authorised_by,
            authorised_by_name: authorised_by.and_then(|id| names.get(&id).cloned()),
            authorised_at: authorised_at.map(utc),
            run_id: runs.get(&(award_id, year)).copied(),
            payable,
        });
    }
    Ok(out)
}
