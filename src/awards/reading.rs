//! Reading awards: one, or a filtered page, each with its instalments, conditions, title and
//! organisation.

use crate::documents;
use crate::documents::model::Owner;
use std::collections::{BTreeMap, HashMap};

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::awards::access::shown_to;
use crate::awards::model::{Award, AwardRow, Instalment, InstalmentRow};
use crate::awards::varied;
use crate::caller::CurrentUser;
use crate::db::schema::{
    applications as applications_table, awards, decisions, instalments, organisations,
};
use crate::db::{DbConnection, children};
use crate::domain::clock::utc;
use crate::domain::vocabulary::{AwardStatus, InstalmentStatus, Role};
use crate::domain::{FinancialYear, Money};
use crate::error::ApiError;
use crate::permissions::Action;
use crate::wire::paging::{Page, Paged};

fn money(pence: i64) -> Result<Money, ApiError> {
    Money::from_pence(pence).map_err(ApiError::internal)
}

/// What an award shows of its application: title, organisation name, the decision's conditions
/// and when it was made.
pub(super) type About = (String, String, Option<String>, NaiveDateTime);

/// The awards with their instalments, conditions, titles and organisations, in the order given.
fn to_api(conn: &mut DbConnection, rows: Vec<AwardRow>) -> Result<Vec<Award>, ApiError> {
    let ids = children::ids(&rows);
    let application_ids: Vec<i64> = rows.iter().map(|r| r.application_id).collect();
    let instalment_rows: Vec<InstalmentRow> = instalments::table
        .filter(instalments::award_id.eq_any(&ids))
        .order((instalments::award_id, instalments::financial_year))
        .load(conn)?;
    let mut by_award = children::group(instalment_rows.into_iter().map(|row| (row.award_id, row)));
    let ends = varied::extended_ends(conn, &ids)?;
    let mut about: HashMap<i64, About> = applications_table::table
        .inner_join(organisations::table)
        .inner_join(decisions::table)
        .filter(applications_table::id.eq_any(&application_ids))
        .select((applications_table::id, about_columns()))
        .load::<(i64, About)>(conn)?
        .into_iter()
        .collect();
    rows.into_iter()
        .map(|row| {
            let about = about
                .remove(&row.application_id)
                .ok_or_else(|| ApiError::internal("award without its application"))?;
            let instalments = by_award.remove(&row.id).unwrap_or_default();
            let end = ends.get(&row.id).copied();
            let mut award = assemble(row, about, instalments)?;
            award.end_date = end.unwrap_or(award.end_date);
            Ok(award)
        })
        .collect()
}

/// One award from its row, its application's details and its instalments in year order.
pub(super) fn assemble(
    row: AwardRow,
    (title, organisation_name, conditions, offered_at): About,
    rows: Vec<InstalmentRow>,
) -> Result<Award, ApiError> {
    let mut amounts = BTreeMap::new();
    let mut instalments = Vec::new();
    let (mut total, mut paid) = (0i64, 0i64);
    let mut end_date = None;
    for i in rows {
        let year = FinancialYear::parse(&i.financial_year).map_err(ApiError::internal)?;
        let status = i.status;
        amounts.insert(year, money(i.amount_pence)?);
        end_date = end_date.max(Some(year.last_day()));
        total += i.amount_pence;
        if status == InstalmentStatus::Released {
            paid += i.amount_pence;
        }
        instalments.push(Instalment {
            financial_year: year,
            amount: money(i.amount_pence)?,
            status,
            released_at: i.released_at.map(utc),
        });
    }
    Ok(Award {
        id: row.id,
        reference: row.reference,
        application_id: row.application_id,
        fund_id: row.fund_id,
        round_id: row.round_id,
        organisation_id: row.organisation_id,
        organisation_name,
        title,
        status: row.status,
        amounts,
        total: money(total)?,
        paid: money(paid)?,
        instalments,
        conditions,
        end_date: end_date.unwrap_or(offered_at.date()),
        offered_at: utc(offered_at),
        responded_at: row.responded_at.map(utc),
        ended_at: row.ended_at.map(utc),
        end_reason: row.end_reason,
        created_at: utc(row.created_at),
        updated_at: utc(row.updated_at),
        documents: None,
        variations: None,
    })
}

pub(super) fn load(conn: &mut DbConnection, id: i64) -> Result<Award, ApiError> {
    let row: AwardRow = awards::table.find(id).first(conn)?;
    to_api(conn, vec![row])?
        .pop()
        .ok_or_else(|| ApiError::internal("award vanished while loading"))
}

/// The columns an award shows of its application, organisation and decision, as [`About`].
#[diesel::dsl::auto_type]
fn about_columns() -> _ {
    (
        applications_table::title,
        organisations::name,
        decisions::conditions,
        decisions::decided_at,
    )
}

/// One award, read in a single query: its row, its application's details and one row per
/// instalment.
pub fn get(conn: &mut DbConnection, user: &CurrentUser, id: i64) -> Result<Award, ApiError> {
    user.require(Action::ReadAwards)?;
    let rows: Vec<(AwardRow, About, Option<InstalmentRow>)> = awards::table
        .inner_join(
            applications_table::table
                .inner_join(organisations::table)
                .inner_join(decisions::table),
        )
        .left_join(instalments::table)
        .filter(awards::id.eq(id))
        .order(instalments::financial_year)
        .select((
            awards::all_columns,
            about_columns(),
            instalments::all_columns.nullable(),
        ))
        .load(conn)?;
    let Some((row, about, _)) = rows.first().cloned() else {
        return Err(ApiError::NotFound);
    };
    shown_to(user, &row)?;
    let instalments = rows.into_iter().filter_map(|(_, _, i)| i).collect();
    let mut award = assemble(row, about, instalments)?;
    if let Some(end) = varied::extended_ends(conn, &[id])?.get(&id) {
        award.end_date = *end;
    }
    award.documents = documents::service::listed_for(conn, user, Owner::award(id))?;
    if user.require(Action::ReadVariations).is_ok() {
        award.variations = Some(varied::of_award(conn, id)?);
    }
    Ok(award)
}

/// Filters for the list of awards.
#[derive(Debug, Default, Clone)]
pub struct AwardFilter {
    pub fund_id: Option<i64>,
    pub financial_year: Option<FinancialYear>,
    pub status: Option<AwardStatus>,
    pub organisation_id: Option<i64>,
}

/// Awards, newest first: an applicant's own organisation's, or every one for administrators and
/// officials.
pub fn list(
    conn: &mut DbConnection,
    user: &CurrentUser,
    filter: &AwardFilter,
    page: Page,
) -> Result<Paged<Award>, ApiError> {
    user.require(Action::ReadAwards)?;
    let own = user
        .is(Role::Applicant)
        .then(|| user.organisation_id.unwrap_or(-1));
    let query = || {
        let mut q = awards::table.into_boxed();
        if let Some(own) = own {
            q = q.filter(awards::organisation_id.eq(own));
        }
        if let Some(fund) = filter.fund_id {
            q = q.filter(awards::fund_id.eq(fund));
        }
        if let Some(status) = filter.status {
            q = q.filter(awards::status.eq(status));
        }
        if let Some(organisation) = filter.organisation_id {
            q = q.filter(awards::organisation_id.eq(organisation));
        }
        if let Some(year) = filter.financial_year {
            q = q.filter(
                awards::id.eq_any(
                    instalments::table
                        .filter(instalments::financial_year.eq(year.to_string()))
                        .select(instalments::award_id),
                ),
            );
        }
        q
    };
    let (total, rows): (i64, Vec<AwardRow>) =
        page.load(conn, query().count(), query().order(awards::id.desc()))?;
    Ok(page.wrap(to_api(conn, rows)?, total))
}
