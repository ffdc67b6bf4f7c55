//! Reading monitoring returns: one, or a page of them, as the caller may see them, with the
//! calendar statuses as of today.

use crate::documents;
use crate::documents::model::Owner;
use std::collections::HashMap;

use chrono::NaiveDate;
use diesel::prelude::*;

use crate::awards::model::AwardRow;
use crate::caller::CurrentUser;
use crate::db::DbConnection;
use crate::db::schema::{awards, organisations, return_contents, returns};
use crate::domain::Money;
use crate::domain::clock::utc;
use crate::domain::vocabulary::{ReturnStatus, Role};
use crate::error::ApiError;
use crate::monitoring::model::{Contents, MonitoringReturn, Reached, ReturnRow};
use crate::permissions::Action;
use crate::wire::paging::{Page, Paged};

/// The statuses a return has before its first submission, which follow the calendar.
pub(super) const UNSUBMITTED: [ReturnStatus; 3] = [
    ReturnStatus::Scheduled,
    ReturnStatus::Due,
    ReturnStatus::Overdue,
];

/// The returns with their content, award reference and organisation, in the order given.
fn to_api(
    conn: &mut DbConnection,
    rows: Vec<ReturnRow>,
    today: NaiveDate,
) -> Result<Vec<MonitoringReturn>, ApiError> {
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    let award_ids: Vec<i64> = rows.iter().map(|r| r.award_id).collect();
    let mut contents: HashMap<i64, Contents> = return_contents::table
        .filter(return_contents::return_id.eq_any(&ids))
        .load::<Contents>(conn)?
        .into_iter()
        .map(|c| (c.return_id, c))
        .collect();
    let about: HashMap<i64, (String, i64, String)> = awards::table
        .inner_join(organisations::table)
        .filter(awards::id.eq_any(&award_ids))
        .select((
            awards::id,
            awards::reference,
            organisations::id,
            organisations::name,
        ))
        .load::<(i64, String, i64, String)>(conn)?
        .into_iter()
        .map(|(id, reference, org, name)| (id, (reference, org, name)))
        .collect();
    rows.into_iter()
        .map(|row| {
            let c = contents.remove(&row.id).unwrap_or_default();
            let (award_reference, organisation_id, organisation_name) = about
                .get(&row.award_id)
                .cloned()
                .ok_or_else(|| ApiError::internal("return without its award"))?;
            Ok(MonitoringReturn {
                id: row.id,
                award_id: row.award_id,
                award_reference,
                organisation_id,
                organisation_name,
                is_final: row.financial_year.is_none(),
                financial_year: row.year()?,
                period_start: row.period_start,
                period_end: row.period_end,
                due_date: row.due_date,
                status: row.status_on(today),
                spend: c
                    .spend_pence
                    .map(Money::from_pence)
                    .transpose()
                    .map_err(ApiError::internal)?,
                reached: Reached {
                    women: c.women,
                    partners: c.partners,
                    infants: c.infants,
                    kinship_carers: c.kinship_carers,
                    families: c.families,
                    new: c.new_people,
                    continuing: c.continuing_people,
                },
                sessions: c.sessions,
                peer_supporters: c.peer_supporters,
                volunteers: c.volunteers,
                outcomes: c.outcomes,
                case_study: c.case_study,
                challenges: c.challenges,
                submitted_at: row.submitted_at.map(utc),
                reviewed_at: row.reviewed_at.map(utc),
                review_comment: row.review_comment,
                created_at: utc(row.created_at),
                updated_at: utc(row.updated_at),
                documents: None,
            })
        })
        .collect()
}

pub(super) fn load(
    conn: &mut DbConnection,
    id: i64,
    today: NaiveDate,
) -> Result<MonitoringReturn, ApiError> {
    let row = ReturnRow::find(conn, id)?;
    to_api(conn, vec![row], today)?
        .pop()
        .ok_or_else(|| ApiError::internal("return vanished while loading"))
}

/// The return and its award if the caller may read it: its organisation's applicants and
/// administrators; other roles 403, another organisation's 404.
pub(super) fn visible(
    conn: &mut DbConnection,
    user: &CurrentUser,
    id: i64,
) -> Result<(ReturnRow, AwardRow), ApiError> {
    user.require(Action::ReadReturns)?;
    let row = ReturnRow::find(conn, id)?;
    let award: AwardRow = awards::table.find(row.award_id).first(conn)?;
    if user.can_see_organisation(award.organisation_id) {
        Ok((row, award))
    } else {
        Err(ApiError::NotFound)
    }
}

/// One return.
pub fn get(
    conn: &mut DbConnection,
    user: &CurrentUser,
    id: i64,
    today: NaiveDate,
) -> Result<MonitoringReturn, ApiError> {
    let (row, _) = visible(conn, user, id)?;
    let mut found = to_api(conn, vec![row], today)?
        .pop()
        .ok_or_else(|| ApiError::internal("return vanished while loading"))?;
    found.documents = documents::service::listed_for(conn, user, Owner::monitoring_return(id))?;
    Ok(found)
}

/// Filters for the list of returns.
#[derive(Debug, Default, Clone)]
pub struct ReturnFilter {
    pub status: Option<ReturnStatus>,
    /// Only returns due before this day.
    pub due_before: Option<NaiveDate>,
    pub fund_id: Option<i64>,
    pub award_id: Option<i64>,
}

/// Returns by due date: an applicant's own organisation's, or every one for administrators.
pub fn list(
    conn: &mut DbConnection,
    user: &CurrentUser,
    filter: &ReturnFilter,
    page: Page,
    today: NaiveDate,
) -> Result<Paged<MonitoringReturn>, ApiError> {
    user.require(Action::ReadReturns)?;
    if let Some(award) = filter.award_id {
        let row: AwardRow = awards::table.find(award).first(conn)?;
        if !user.can_see_organisation(row.organisation_id) {
            return Err(ApiError::NotFound);
        }
    }
    let own = user
        .is(Role::Applicant)
        .then(|| user.organisation_id.unwrap_or(-1));
    let query = || {
        let mut q = returns::table.into_boxed();
        if let Some(own) = own {
            q = q.filter(
                returns::award_id.eq_any(
                    awards::table
                        .filter(awards::organisation_id.eq(own))
                        .select(awards::id),
                ),
            );
        }
        if let Some(fund) = filter.fund_id {
            q = q.filter(
                returns::award_id.eq_any(
                    awards::table
                        .filter(awards::fund_id.eq(fund))
                        .select(awards::id),
                ),
            );
        }
        if let Some(award) = filter.award_id {
            q = q.filter(returns::award_id.eq(award));
        }
        if let Some(before) = filter.due_before {
            q = q.filter(returns::due_date.lt(before));
        }
        // The unsubmitted statuses follow the calendar, as `ReturnStatus::on` says.
        q = match filter.status {
            None => q,
            Some(ReturnStatus::Scheduled) => q
                .filter(returns::status.eq_any(UNSUBMITTED))
                .filter(returns::period_end.ge(today)),
            Some(ReturnStatus::Due) => q
                .filter(returns::status.eq_any(UNSUBMITTED))
                .filter(returns::period_end.lt(today))
                .filter(returns::due_date.ge(today)),
            Some(ReturnStatus::Overdue) => q
                .filter(returns::status.eq_any(UNSUBMITTED))
                .filter(returns::due_date.lt(today)),
            Some(other) => q.filter(returns::status.eq(other)),
        };
        q
    };
    let (total, rows): (i64, Vec<ReturnRow>) = page.load(
        conn,
        query().count(),
        query().order((returns::due_date, returns::id)),
    )?;
    Ok(page.wrap(to_api(conn, rows, today)?, total))
}
