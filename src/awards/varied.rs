//! Reading variations: their API shape, those of an award, and what approved ones changed that
//! the award's own rows do not say (its end date).

use std::collections::HashMap;

use chrono::NaiveDate;
use diesel::prelude::*;

use crate::awards::model::variation::{
    Variation, VariationAmount, VariationAmountRow, VariationRow,
};
use crate::db::schema::{awards, variation_amounts, variations};
use crate::db::{DbConnection, children};
use crate::domain::clock::utc;
use crate::domain::vocabulary::{VariationKind, VariationStatus};
use crate::domain::{FinancialYear, Money};
use crate::error::ApiError;

fn money(pence: i64) -> Result<Money, ApiError> {
    Money::from_pence(pence).map_err(ApiError::internal)
}

fn snapshot(text: Option<String>) -> Result<Option<serde_json::Value>, ApiError> {
    text.map(|t| serde_json::from_str(&t).map_err(ApiError::internal))
        .transpose()
}

/// The variations of these rows, each with its years, its award's reference and organisation,
/// in the order given.
pub fn to_api(
    conn: &mut DbConnection,
    rows: Vec<VariationRow>,
) -> Result<Vec<Variation>, ApiError> {
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    let award_ids: Vec<i64> = rows.iter().map(|r| r.award_id).collect();
    let amounts: Vec<VariationAmountRow> = variation_amounts::table
        .filter(variation_amounts::variation_id.eq_any(&ids))
        .order((
            variation_amounts::variation_id,
            variation_amounts::financial_year,
        ))
        .load(conn)?;
    let mut by_variation = children::group(amounts.into_iter().map(|a| (a.variation_id, a)));
    let about: HashMap<i64, (String, i64)> = awards::table
        .filter(awards::id.eq_any(&award_ids))
        .select((awards::id, (awards::reference, awards::organisation_id)))
        .load::<(i64, (String, i64))>(conn)?
        .into_iter()
        .collect();
    rows.into_iter()
        .map(|row| {
            let (award_reference, organisation_id) = about
                .get(&row.award_id)
                .cloned()
                .ok_or_else(|| ApiError::internal("variation without its award"))?;
            let amounts = by_variation
                .remove(&row.id)
                .unwrap_or_default()
                .into_iter()
                .map(|a| {
                    Ok(VariationAmount {
                        financial_year: FinancialYear::parse(&a.financial_year)
                            .map_err(ApiError::internal)?,
                        before: money(a.before_pence)?,
                        after: money(a.after_pence)?,
                    })
                })
                .collect::<Result<Vec<_>, ApiError>>()?;
            Ok(Variation {
                id: row.id,
                award_id: row.award_id,
                award_reference,
                organisation_id,
                kind: row.kind,
                status: row.status,
                amounts,
                end_date_before: row.end_date_before,
                new_end_date: row.new_end_date,
                conditions_before: row.conditions_before,
                new_conditions: row.new_conditions,
                reason: row.reason,
                requested_by: row.requested_by,
                requested_at: utc(row.requested_at),
                decided_by: row.decided_by,
                decided_at: row.decided_at.map(utc),
                decision_reason: row.decision_reason,
                award_before: snapshot(row.before_snapshot)?,
                award_after: snapshot(row.after_snapshot)?,
            })
        })
        .collect()
}

/// The variations of one award, newest first.
pub fn of_award(conn: &mut DbConnection, award_id: i64) -> Result<Vec<Variation>, ApiError> {
    let rows: Vec<VariationRow> = variations::table
        .filter(variations::award_id.eq(award_id))
        .order(variations::id.desc())
        .load(conn)?;
    to_api(conn, rows)
}

/// The last day of each of these awards that an approved extension set, where one did: the
/// latest approved extension wins.
pub fn extended_ends(
    conn: &mut DbConnection,
    award_ids: &[i64],
) -> Result<HashMap<i64, NaiveDate>, ApiError> {
    let rows: Vec<(i64, Option<NaiveDate>)> = variations::table
        .filter(variations::award_id.eq_any(award_ids))
        .filter(variations::kind.eq(VariationKind::Extend))
        .filter(variations::status.eq(VariationStatus::Approved))
        .order(variations::decided_at)
        .select((variations::award_id, variations::new_end_date))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .filter_map(|(award, end)| end.map(|end| (award, end)))
        .collect())
}
