//! The organisations list the services their grants pay for in the national directory, and
//! the administrator approves them: most are public and running, one waits for approval and
//! one has stopped running.

use std::collections::{BTreeMap, HashMap};

use diesel::prelude::*;

use super::{CurrentUser, DbConnection, at};
use crate::applications::model::{ApplicationRow, Children};
use crate::db::schema::{applications, awards, organisation_addresses, organisations};
use crate::directory::model::{Approval, ServiceInput};
use crate::directory::service as directory;
use crate::domain::vocabulary::{AwardStatus, TargetGroup};
use crate::error::ApiError;

/// Who a service is for, from the groups its application named.
fn audience(groups: &[TargetGroup]) -> String {
    let said: Vec<&str> = groups
        .iter()
        .map(|g| match g {
            TargetGroup::MothersBirthingParents => "mothers and birthing parents",
            TargetGroup::FathersPartners => "fathers and partners",
            TargetGroup::KinshipCarers => "kinship carers",
            TargetGroup::Infants => "babies up to two",
            TargetGroup::NeonatalComplexNeeds => "families of babies in neonatal care",
            TargetGroup::SubstanceUse => "parents affected by substance use",
            TargetGroup::DomesticAbuseTrauma => "parents affected by domestic abuse",
            TargetGroup::RuralIsland => "families in rural and island communities",
            TargetGroup::MinorityEthnic => "families from minority ethnic communities",
            TargetGroup::YoungParents => "young parents",
        })
        .collect();
    format!(
        "For {}, from pregnancy until the baby's second birthday.",
        said.join(", ")
    )
}

/// A funded award: its id, application, and its organisation's town and contact email.
type Funded = (i64, ApplicationRow, Option<String>, String);

/// Each organisation with funded awards lists one service for all of them.
pub(super) fn list_services(
    conn: &mut DbConnection,
    admin: &CurrentUser,
    applicants: &HashMap<i64, CurrentUser>,
) -> Result<(), ApiError> {
    let funded = [AwardStatus::Accepted, AwardStatus::Completed];
    let rows: Vec<(i64, i64, ApplicationRow, Option<String>, String)> = awards::table
        .inner_join(applications::table)
        .inner_join(organisations::table)
        .left_join(
            organisation_addresses::table
                .on(organisation_addresses::organisation_id.eq(awards::organisation_id)),
        )
        .filter(awards::status.eq_any(funded))
        .order(awards::id)
        .select((
            awards::id,
            awards::organisation_id,
            applications::all_columns,
            organisation_addresses::town.nullable(),
            organisations::contact_email,
        ))
        .load(conn)?;
    let ids: Vec<i64> = rows.iter().map(|r| r.2.id).collect();
    let mut children = Children::load(conn, &ids)?;
    let mut by_organisation: BTreeMap<i64, Vec<Funded>> = BTreeMap::new();
    for (award, organisation, application, town, email) in rows {
        by_organisation
            .entry(organisation)
            .or_default()
            .push((award, application, town, email));
    }
    let listed = at("2023-05-02T10:00:00Z")?;
    let approved = at("2023-05-09T14:00:00Z")?;
    for (i, (organisation, awards)) in by_organisation.into_iter().enumerate() {
        let Some(applicant) = applicants.get(&organisation) else {
            continue;
        };
        let Some((_, first, town, email)) = awards.first() else {
            continue;
        };
        let content = children.content(first)?;
        let mut languages = vec!["English".to_owned()];
        if content
            .health_boards
            .iter()
            .any(|b| b.as_str() == "western_isles")
        {
            languages.push("Gaelic".to_owned());
        }
        if content.target_groups.contains(&TargetGroup::MinorityEthnic) {
            languages.extend(["Urdu".to_owned(), "Polish".to_owned(), "Arabic".to_owned()]);
        }
        if i % 4 == 1 {
            languages.push("British Sign Language".to_owned());
        }
        let referral = if i % 2 == 0 {
            "Families can refer themselves by phone or email. Health visitors, midwives and GPs can refer with the family's consent."
        } else {
            "Ask your health visitor or midwife to refer you, or call us and we will talk it through with you."
        };
        let input = ServiceInput {
            name: content.title.clone(),
            offer: content.summary.clone().unwrap_or_else(|| {
                "Weekly sessions, in person and online, with trained staff and volunteers."
                    .to_owned()
            }),
            audience: audience(&content.target_groups),
            referral: referral.to_owned(),
            phone: Some(format!("01{:03} {:06}", 300 + i * 7, 400_000 + i * 1_113)),
            email: Some(email.clone()),
            website: None,
            towns: town.iter().cloned().collect(),
            health_boards: content
                .health_boards
                .iter()
                .map(|b| b.as_str().to_owned())
                .collect(),
            support_types: content
                .support_types
                .iter()
                .map(|s| s.as_str().to_owned())
                .collect(),
            target_groups: content
                .target_groups
                .iter()
                .map(|t| t.as_str().to_owned())
                .collect(),
            languages,
            // One service has stopped running.
            running: i != 2,
            award_ids: awards.iter().map(|(award, _, _, _)| *award).collect(),
        };
        let listing = directory::create(conn, listed, applicant, &input)?;
        // One listing still waits for the administrator.
        if i != 1 {
            let approval = Approval {
                updated_at: listing.updated_at,
            };
            directory::approve(conn, approved, admin, listing.id, &approval)?;
        }
    }
    Ok(())
}
