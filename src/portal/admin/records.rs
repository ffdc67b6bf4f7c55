//! The outbox and the audit trail.

use actix_web::web;
use askama::Template;

use crate::audit::{self, AuditEntry};
use crate::email::outbox::{self, OutboxEntry};
use crate::permissions::Action;
use crate::portal::{Layout, PageNumber, PageResult, Pager, Visitor};

#[derive(Template)]
#[template(path = "portal/admin/outbox.html")]
struct Outbox {
    layout: Layout,
    entries: Vec<OutboxEntry>,
    pager: Pager,
}

pub(super) async fn outbox_page(v: Visitor, number: web::Query<PageNumber>) -> PageResult {
    v.require(Action::ReadOutbox)?;
    let page = number.page();
    let list = v.read(move |conn| outbox::list(conn, None, page)).await?;
    Ok(v.page(&Outbox {
        layout: v.layout("Outbox", "/admin/outbox"),
        pager: Pager::new(&list, "/admin/outbox?"),
        entries: list.items,
    }))
}

#[derive(Template)]
#[template(path = "portal/admin/audit.html")]
struct Audit {
    layout: Layout,
    entries: Vec<AuditEntry>,
    pager: Pager,
}

pub(super) async fn audit_page(v: Visitor, number: web::Query<PageNumber>) -> PageResult {
    v.require(Action::ReadAuditLog)?;
    let page = number.page();
    let list = v
        .read(move |conn| audit::list(conn, None, None, page))
        .await?;
    Ok(v.page(&Audit {
        layout: v.layout("Audit trail", "/admin/audit"),
        pager: Pager::new(&list, "/admin/audit?"),
        entries: list.items,
    }))
}
