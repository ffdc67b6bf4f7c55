//! The public directory of funded services: what an award funds, who runs it and where, for
//! families and professionals looking for support. Only running or completed awards of
//! organisations that agreed to be listed appear.

use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::applications::model::{ApplicationRow, Children};
use crate::db::DbConnection;
use crate::db::schema::{application_choices, applications, awards, organisations};
use crate::domain::vocabulary::{AwardStatus, HealthBoard, SupportType, TargetGroup};
use crate::error::ApiError;
use crate::wire::paging::{Page, Paged};

/// One funded service.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct DirectoryEntry {
    /// The award that funds it, e.g. `PIMH-2021-0017`.
    pub award_reference: String,
    pub organisation: String,
    /// The project's title.
    pub title: String,
    pub summary: Option<String>,
    pub health_boards: Vec<HealthBoard>,
    pub support_types: Vec<SupportType>,
    pub target_groups: Vec<TargetGroup>,
    /// The organisation's website.
    pub website: Option<String>,
}

/// Filters for the directory.
#[derive(Debug, Default, Clone)]
pub struct DirectoryFilter {
    pub health_board: Option<HealthBoard>,
    pub support_type: Option<SupportType>,
}

/// An award's reference, its organisation's name and website, and its application.
type Listed = (String, String, Option<String>, ApplicationRow);

/// Funded services, by organisation name.
pub fn list(
    conn: &mut DbConnection,
    filter: &DirectoryFilter,
    page: Page,
) -> Result<Paged<DirectoryEntry>, ApiError> {
    let listed = [AwardStatus::Accepted, AwardStatus::Completed];
    let query = || {
        let mut q = awards::table
            .inner_join(organisations::table)
            .inner_join(applications::table)
            .filter(awards::status.eq_any(listed))
            .filter(organisations::listed_in_directory.eq(true))
            .into_boxed();
        for (list, value) in [
            ("health_board", filter.health_board.map(HealthBoard::as_str)),
            ("support_type", filter.support_type.map(SupportType::as_str)),
        ] {
            if let Some(value) = value {
                q = q.filter(
                    applications::id.eq_any(
                        application_choices::table
                            .filter(application_choices::list.eq(list))
                            .filter(application_choices::value.eq(value))
                            .select(application_choices::application_id),
                    ),
                );
            }
        }
        q
    };
    let listed = query().order((organisations::name, awards::id)).select((
        awards::reference,
        organisations::name,
        organisations::website,
        applications::all_columns,
    ));
    let (total, rows): (i64, Vec<Listed>) = page.load(conn, query().count(), listed)?;
    let ids: Vec<i64> = rows.iter().map(|r| r.3.id).collect();
    let mut children = Children::load(conn, &ids)?;
    let items = rows
        .into_iter()
        .map(|(award_reference, organisation, website, application)| {
            let content = children.content(&application)?;
            Ok(DirectoryEntry {
                award_reference,
                organisation,
                title: content.title,
                summary: content.summary,
                health_boards: content.health_boards,
                support_types: content.support_types,
                target_groups: content.target_groups,
                website,
            })
        })
        .collect::<Result<Vec<_>, ApiError>>()?;
    Ok(page.wrap(items, total))
}
