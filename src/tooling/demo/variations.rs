//! Variations in the model case: a grant holder whose groups started late moves part of the
//! first year into the second, which is approved; another asks to run six months longer, which
//! is refused.

use std::collections::BTreeMap;

use chrono::{Duration, Months, NaiveDateTime};

use super::{CurrentUser, DbConnection};
use crate::awards::model::Award;
use crate::awards::model::variation::{Variation, VariationDecisionInput, VariationInput};
use crate::awards::variations;
use crate::domain::Money;
use crate::domain::vocabulary::VariationKind;
use crate::error::ApiError;
use crate::usecases::grant_cycle;

/// An award its grant holder has just accepted, and the administrator who decides its
/// variations.
#[derive(Clone, Copy)]
pub(super) struct Accepted<'a> {
    pub at: NaiveDateTime,
    pub holder: &'a CurrentUser,
    pub admin: &'a CurrentUser,
    pub award: &'a Award,
}

impl Accepted<'_> {
    /// The grant holder asks for `input`, `days` after accepting.
    fn ask(
        &self,
        conn: &mut DbConnection,
        days: i64,
        input: VariationInput,
    ) -> Result<Variation, ApiError> {
        let at = self.at + Duration::days(days);
        variations::ask(conn, at, self.holder, self.award.id, &input)
    }
}

/// The grant holder of a newly accepted `award` asks, the day after `accepted`, to move a tenth
/// of its first year into its second; the administrator approves it the next day, before the
/// first instalment is requested.
pub(super) fn reprofiled(conn: &mut DbConnection, offer: Accepted<'_>) -> Result<(), ApiError> {
    let mut years = offer.award.amounts.iter();
    let (Some((first, a)), Some((second, b))) = (years.next(), years.next()) else {
        return Ok(());
    };
    let moved = a.pence() / 1_000 * 100;
    let money = |pence: i64| Money::from_pence(pence).map_err(ApiError::internal);
    let amounts: BTreeMap<String, String> = [
        (first.to_string(), money(a.pence() - moved)?.to_string()),
        (second.to_string(), money(b.pence() + moved)?.to_string()),
    ]
    .into_iter()
    .collect();
    let asked = offer.ask(
        conn,
        1,
        VariationInput {
            kind: VariationKind::Reprofile,
            amounts: Some(amounts),
            end_date: None,
            conditions: None,
            reason: "Our new venue in Methil opened three months late, so the first year's groups started in the summer. We ask to move the unspent tenth of this year into next year to run the groups we missed.".to_owned(),
        },
    )?;
    grant_cycle::approve_variation(
        conn,
        offer.at + Duration::days(2),
        offer.admin,
        asked.id,
        &VariationDecisionInput {
            reason: "The delay is outside the organisation's control and the total is unchanged; the second year's budget has room.".to_owned(),
        },
    )?;
    Ok(())
}

/// The grant holder of `award` asks, a week after `accepted`, to end it six months later; the
/// administrator refuses it two days after.
pub(super) fn extension_refused(
    conn: &mut DbConnection,
    offer: Accepted<'_>,
) -> Result<(), ApiError> {
    let later = offer
        .award
        .end_date
        .checked_add_months(Months::new(6))
        .ok_or_else(|| ApiError::internal("no date six months later"))?;
    let asked = offer.ask(
        conn,
        7,
        VariationInput {
            kind: VariationKind::Extend,
            amounts: None,
            end_date: Some(later.to_string()),
            conditions: None,
            reason:
                "We would like to keep the groups running through the summer after the grant ends."
                    .to_owned(),
        },
    )?;
    variations::refuse(
        conn,
        offer.at + Duration::days(9),
        offer.admin,
        asked.id,
        &VariationDecisionInput {
            reason: "The programme's final reports are due in the spring; please apply to the extension round for continuation funding instead.".to_owned(),
        },
    )?;
    Ok(())
}
