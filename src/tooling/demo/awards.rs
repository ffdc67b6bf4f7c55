//! The administrator decides each round and the applicants answer their offers.

use super::{CurrentUser, DbConnection, at};
use crate::error::ApiError;

/// An administrator decides a closed, assessed round at `when`: each application above the
/// funding line whose organisation is verified is awarded what it asked (every third a little
/// less); with `eventful`, the best application below the line is declined with feedback. The
/// applicants accept their offers a few days later (with `eventful`, the second turns it down),
/// except `keep_open`'s, give their bank details (which the administrator checks), and the first
/// year's instalment of each accepted award is requested by the administrator and authorised by
/// finance, who pays them in one payment run; with `eventful`, the bank returns one payment of
/// that run, and a second run pays it a week later.
/// The administrator who decides, and the keys the bank details are sealed with.
#[derive(Clone, Copy)]
pub(super) struct Office<'a> {
    pub admin: &'a CurrentUser,
    /// Authorises the releases the administrator requests.
    pub finance: &'a CurrentUser,
    pub keyring: &'a crate::crypto::Keyring,
}

pub(super) fn decide_round(
    conn: &mut DbConnection,
    office: Office<'_>,
    applicants: &std::collections::HashMap<i64, CurrentUser>,
    round: &crate::rounds::model::Round,
    when: &str,
    keep_open: Option<i64>,
    eventful: bool,
) -> Result<(), ApiError> {
    use crate::assessment::ranking::ranking;
    use crate::awards::model::{Decided, DecisionInput};
    use crate::awards::{deciding, offer, releases};
    use crate::domain::vocabulary::DecisionOutcome;
    use crate::usecases::grant_cycle;

    let Office {
        admin,
        finance,
        keyring,
    } = office;
    let when = at(when)?;
    let ranked = ranking(conn, admin, round.id)?;
    let mut offers = Vec::new();
    for (k, item) in ranked.items.iter().enumerate() {
        if !item.fits {
            continue;
        }
        let verified =
            crate::organisations::model::OrganisationRow::find(conn, item.organisation_id)?
                .verified;
        if !verified {
            continue;
        }
        let amounts = item
            .requested
            .iter()
            .filter(|(_, amount)| !amount.is_zero())
            .map(|(year, amount)| {
                let pence = if k % 3 == 2 {
                    amount.pence() / 100 * 95
                } else {
                    amount.pence()
                };
                Ok((
                    year.to_string(),
                    crate::domain::Money::from_pence(pence)
                        .map_err(ApiError::internal)?
                        .to_string(),
                ))
            })
            .collect::<Result<_, ApiError>>()?;
        let decided = deciding::decide(
            conn,
            when + chrono::Duration::minutes(k as i64 * 10),
            admin,
            item.application_id,
            &DecisionInput {
                decision: DecisionOutcome::Award,
                amounts: Some(amounts),
                conditions: Some("Quarterly monitoring returns; the fund is acknowledged in publicity; unspent funds are returned at the end of the grant.".to_owned()),
                feedback: None,
            },
        )?;
        if let Decided::Awarded(made) = decided {
            offers.push(made.award);
        }
    }
    if eventful && let Some(below) = ranked.items.iter().find(|i| !i.fits) {
        deciding::decide(
            conn,
            when + chrono::Duration::hours(6),
            admin,
            below.application_id,
            &DecisionInput {
                decision: DecisionOutcome::Decline,
                amounts: None,
                conditions: None,
                feedback: Some("A strong application that fell below the funding line. The panel would welcome a bid to the next round with clearer referral routes from health visitors.".to_owned()),
            },
        )?;
    }
    let mut last_authorised = None;
    for (k, offer) in offers.iter().enumerate() {
        if keep_open == Some(offer.organisation_id) {
            continue;
        }
        let Some(applicant) = applicants.get(&offer.organisation_id) else {
            continue;
        };
        let replied = when + chrono::Duration::days(3 + k as i64 % 4);
        if eventful && k == 1 {
            offer::decline(conn, replied, applicant, offer.id)?;
            continue;
        }
        grant_cycle::accept_award(conn, replied, applicant, offer.id)?;
        let accepted = super::variations::Accepted {
            at: replied,
            holder: applicant,
            admin,
            award: offer,
        };
        if eventful && k == 2 {
            super::variations::reprofiled(conn, accepted)?;
        }
        if eventful && k == 3 {
            super::variations::extension_refused(conn, accepted)?;
        }
        bank_details(
            conn,
            keyring,
            replied,
            applicant,
            admin,
            offer.organisation_id,
            k,
        )?;
        if let Some(first) = offer.amounts.keys().next() {
            grant_cycle::release(
                conn,
                replied + chrono::Duration::days(14),
                admin,
                releases::request,
                offer.id,
                &first.to_string(),
            )?;
            let authorised = replied + chrono::Duration::days(15);
            grant_cycle::release(
                conn,
                authorised,
                finance,
                releases::authorise,
                offer.id,
                &first.to_string(),
            )?;
            last_authorised = last_authorised.max(Some(authorised));
        }
    }
    if let Some(authorised) = last_authorised {
        let run = authorised + chrono::Duration::days(1);
        super::payments::pay_authorised(conn, run, finance, eventful)?;
        if eventful {
            super::payments::pay_authorised(conn, run + chrono::Duration::days(7), finance, false)?;
        }
    }
    Ok(())
}

/// The applicant gives the organisation's bank details when it first accepts an award, and the
/// administrator checks them the next day.
fn bank_details(
    conn: &mut DbConnection,
    keyring: &crate::crypto::Keyring,
    when: chrono::NaiveDateTime,
    applicant: &CurrentUser,
    checker: &CurrentUser,
    organisation_id: i64,
    k: usize,
) -> Result<(), ApiError> {
    use crate::organisations::bank::{self, BankDetailsInput, BankDetailsStatus};

    let held = bank::get(conn, keyring, checker, organisation_id)?;
    if held.status != BankDetailsStatus::Missing {
        return Ok(());
    }
    let organisation = crate::organisations::model::OrganisationRow::find(conn, organisation_id)?;
    let input = BankDetailsInput {
        account_name: organisation.name.chars().take(140).collect(),
        sort_code: format!("80-{:02}-{:02}", 10 + organisation_id % 80, 10 + k % 80),
        account_number: format!("{:08}", 10_203_040 + organisation_id * 7_919),
        roll_number: None,
    };
    bank::set(conn, when, keyring, applicant, organisation_id, &input)?;
    bank::verify(
        conn,
        when + chrono::Duration::days(1),
        keyring,
        checker,
        organisation_id,
    )?;
    Ok(())
}
