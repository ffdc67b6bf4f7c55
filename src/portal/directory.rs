//! The public pages of open data: the national directory of funded services with a page for
//! each service, and the publication page listing the open datasets with their licence, last
//! update and checksum.

use actix_web::web;
use askama::Template;
use serde::Deserialize;

use super::form::{Choice, Form};
use super::public::{LIST, board_choices};
use super::{Layout, PageResult, Visitor};
use crate::directory::model::DirectoryEntry;
use crate::directory::public::{self as directory, DirectoryFilter};
use crate::domain::identifiers::phone_link;
use crate::domain::vocabulary::{HealthBoard, SupportType, TargetGroup};
use crate::reports::open_data::{self, OPEN_GOVERNMENT_LICENCE};
use crate::usecases::publication::{self, Dataset};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/directory", web::get().to(directory_page))
        .route("/directory/{id}", web::get().to(service_page))
        .route("/open-data", web::get().to(open_data_page));
}

/// A directory entry as its page shows it.
pub struct Shown {
    pub entry: DirectoryEntry,
    /// The number of its `tel:` link.
    pub tel: Option<String>,
    pub boards: String,
    pub support: String,
    pub groups: String,
}

impl Shown {
    fn new(entry: DirectoryEntry) -> Shown {
        let said = |values: Vec<String>| {
            values
                .iter()
                .map(|v| super::form::words(v))
                .collect::<Vec<_>>()
                .join(", ")
        };
        Shown {
            tel: entry.contact.phone.as_deref().map(phone_link),
            boards: entry
                .health_boards
                .iter()
                .map(|b| b.name())
                .collect::<Vec<_>>()
                .join(", "),
            support: said(
                entry
                    .support_types
                    .iter()
                    .map(|s| s.as_str().to_owned())
                    .collect(),
            ),
            groups: said(
                entry
                    .target_groups
                    .iter()
                    .map(|t| t.as_str().to_owned())
                    .collect(),
            ),
            entry,
        }
    }
}

#[derive(Template)]
#[template(path = "portal/directory.html")]
struct Directory {
    layout: Layout,
    form: Form,
    entries: Vec<Shown>,
    total: i64,
    boards: Vec<Choice>,
    support_types: Vec<Choice>,
    target_groups: Vec<Choice>,
    licence_url: &'static str,
}

#[derive(Deserialize)]
struct DirectoryQuery {
    q: Option<String>,
    health_board: Option<String>,
    support_type: Option<String>,
    target_group: Option<String>,
    include: Option<String>,
}

fn chosen<T: std::str::FromStr>(text: Option<String>) -> Option<T> {
    text.filter(|t| !t.is_empty()).and_then(|t| t.parse().ok())
}

async fn directory_page(v: Visitor, query: web::Query<DirectoryQuery>) -> PageResult {
    let query = query.into_inner();
    let mut form = Form::new();
    let words = query.q.unwrap_or_default();
    form.set("q", words.trim());
    let health_board = query
        .health_board
        .as_deref()
        .filter(|b| !b.is_empty())
        .and_then(HealthBoard::find);
    let support_type: Option<SupportType> = chosen(query.support_type);
    let target_group: Option<TargetGroup> = chosen(query.target_group);
    let include_not_running = query.include.as_deref() == Some("all");
    if let Some(board) = health_board {
        form.set("health_board", board.as_str());
    }
    if let Some(kind) = support_type {
        form.set("support_type", kind.as_str());
    }
    if let Some(group) = target_group {
        form.set("target_group", group.as_str());
    }
    if include_not_running {
        form.set("include", "all");
    }
    let filter = DirectoryFilter {
        words: DirectoryFilter::words_of(&words),
        health_board,
        support_type,
        target_group,
        include_not_running,
    };
    let prefix = v.state.settings.open_data_prefix.clone();
    let list = v
        .read(move |conn| directory::public_list(conn, &prefix, &filter, LIST))
        .await?;
    let mut boards = vec![Choice::new("", "All health boards")];
    boards.extend(board_choices());
    let mut support_types = vec![Choice::new("", "All kinds of support")];
    support_types.extend(Choice::all(SupportType::ALL));
    let mut target_groups = vec![Choice::new("", "Everyone")];
    target_groups.extend(Choice::all(TargetGroup::ALL));
    Ok(v.page(&Directory {
        layout: v.layout("Funded services", "/directory"),
        form,
        total: list.total,
        entries: list.items.into_iter().map(Shown::new).collect(),
        boards,
        support_types,
        target_groups,
        licence_url: OPEN_GOVERNMENT_LICENCE.url,
    }))
}

#[derive(Template)]
#[template(path = "portal/directory_service.html")]
struct ServicePage {
    layout: Layout,
    shown: Shown,
}

async fn service_page(v: Visitor, id: web::Path<i64>) -> PageResult {
    let id = id.into_inner();
    let prefix = v.state.settings.open_data_prefix.clone();
    let entry = v
        .read(move |conn| directory::public_get(conn, &prefix, id))
        .await?;
    Ok(v.page(&ServicePage {
        layout: v.layout(entry.name.clone(), "/directory"),
        shown: Shown::new(entry),
    }))
}

#[derive(Template)]
#[template(path = "portal/open_data.html")]
struct OpenData {
    layout: Layout,
    datasets: Vec<Dataset>,
    licence_name: &'static str,
    licence_url: &'static str,
}

async fn open_data_page(v: Visitor) -> PageResult {
    let prefix = v.state.settings.open_data_prefix.clone();
    let public_url = v.state.settings.public_url.clone();
    let datasets = v
        .read(move |conn| {
            let publisher = open_data::Publisher {
                prefix: &prefix,
                public_url: &public_url,
            };
            publication::datasets(conn, &publisher)
        })
        .await?;
    Ok(v.page(&OpenData {
        layout: v.layout("Open data", "/open-data"),
        datasets,
        licence_name: OPEN_GOVERNMENT_LICENCE.name,
        licence_url: OPEN_GOVERNMENT_LICENCE.url,
    }))
}
