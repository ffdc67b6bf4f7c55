//! The organisation's listings in the national directory: what each funded service offers and
//! how to reach it, sent for approval with every change.

use actix_web::web;
use askama::Template;

use crate::awards::model::Award;
use crate::awards::reading::{self as awards, AwardFilter};
use crate::caller::CurrentUser;
use crate::directory::model::{Listing, ServiceInput};
use crate::directory::service::{self as directory, ListingFilter};
use crate::domain::vocabulary::{AwardStatus, SupportType, TargetGroup};
use crate::permissions::Action;
use crate::portal::form::{Choice, Form};
use crate::portal::public::{LIST, board_choices};
use crate::portal::{Layout, PageError, PageResult, Visitor, see_other};

#[derive(Template)]
#[template(path = "portal/services.html")]
struct Services {
    layout: Layout,
    listings: Vec<Listing>,
}

#[derive(serde::Deserialize)]
pub(super) struct Saved {
    saved: Option<String>,
}

pub(super) async fn service_list(v: Visitor, query: web::Query<Saved>) -> PageResult {
    let user = v.require_for_organisation(Action::ReadDirectoryServices)?;
    let list = v
        .read(move |conn| directory::list(conn, &user, &ListingFilter::default(), LIST))
        .await?;
    let mut layout = v.layout("Your services in the directory", "/services");
    if query.saved.is_some() {
        layout.notice =
            Some("Your listing is saved. The fund checks it before it is public.".to_owned());
    }
    Ok(v.page(&Services {
        layout,
        listings: list.items,
    }))
}

#[derive(Template)]
#[template(path = "portal/service_form.html")]
struct ServiceForm {
    layout: Layout,
    form: Form,
    /// Where the form is sent: `/services/new` or `/services/{id}`.
    action: String,
    listing: Option<Listing>,
    boards: Vec<Choice>,
    support_types: Vec<Choice>,
    target_groups: Vec<Choice>,
    awards: Vec<Choice>,
    running: Vec<Choice>,
}

/// The organisation's funded awards, as choices.
async fn funded(v: &Visitor, user: CurrentUser) -> Result<Vec<Choice>, PageError> {
    let filter = AwardFilter::default();
    let list = v
        .read(move |conn| awards::list(conn, &user, &filter, LIST))
        .await?;
    Ok(list
        .items
        .into_iter()
        .filter(|a: &Award| matches!(a.status, AwardStatus::Accepted | AwardStatus::Completed))
        .map(|a| Choice::new(a.id.to_string(), format!("{}: {}", a.reference, a.title)))
        .collect())
}

async fn form_page(
    v: &Visitor,
    user: CurrentUser,
    form: Form,
    listing: Option<Listing>,
) -> Result<ServiceForm, PageError> {
    let (title, action) = match &listing {
        Some(l) => (format!("Change {}", l.name), format!("/services/{}", l.id)),
        None => ("List a service".to_owned(), "/services/new".to_owned()),
    };
    Ok(ServiceForm {
        layout: v.layout(title, "/services"),
        form,
        action,
        listing,
        boards: board_choices(),
        support_types: Choice::all(SupportType::ALL),
        target_groups: Choice::all(TargetGroup::ALL),
        awards: funded(v, user).await?,
        running: vec![
            Choice::new("true", "Yes, it is running now"),
            Choice::new("false", "No, not at the moment"),
        ],
    })
}

/// The listing's fields as the form shows them.
fn listing_form(listing: &Listing) -> Form {
    let mut form = Form::new();
    form.set("name", listing.name.clone());
    form.set("offer", listing.offer.clone());
    form.set("audience", listing.audience.clone());
    form.set("referral", listing.referral.clone());
    form.set("phone", listing.phone.clone().unwrap_or_default());
    form.set("email", listing.email.clone().unwrap_or_default());
    form.set("website", listing.website.clone().unwrap_or_default());
    form.set("towns", listing.towns.join("\n"));
    form.set("languages", listing.languages.join(", "));
    for board in &listing.health_boards {
        form.add("health_boards", board.as_str());
    }
    for kind in &listing.support_types {
        form.add("support_types", kind.as_str());
    }
    for group in &listing.target_groups {
        form.add("target_groups", group.as_str());
    }
    for award in &listing.award_ids {
        form.add("award_ids", award.to_string());
    }
    form.set("running", if listing.running { "true" } else { "false" });
    form
}

/// What the form sends, as the API reads it; a box that is not a number is the form's error.
fn input(form: &mut Form) -> ServiceInput {
    let split = |text: &str, by: &[char]| -> Vec<String> {
        text.split(by)
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(str::to_owned)
            .collect()
    };
    let running = form.value("running");
    if running.is_empty() {
        form.reject("running", "Say whether the service is running now");
    }
    ServiceInput {
        name: form.value("name").to_owned(),
        offer: form.value("offer").to_owned(),
        audience: form.value("audience").to_owned(),
        referral: form.value("referral").to_owned(),
        phone: form.optional("phone"),
        email: form.optional("email"),
        website: form.optional("website"),
        towns: split(form.value("towns"), &['\n', ',']),
        health_boards: form.all("health_boards"),
        support_types: form.all("support_types"),
        target_groups: form.all("target_groups"),
        languages: split(form.value("languages"), &[',', '\n']),
        running: form.value("running") == "true",
        award_ids: form
            .all("award_ids")
            .iter()
            .filter_map(|a| a.parse().ok())
            .collect(),
    }
}

pub(super) async fn new_service(v: Visitor) -> PageResult {
    let user = v.require_for_organisation(Action::EditDirectoryService)?;
    let mut form = Form::new();
    form.set("languages", "English");
    form.set("running", "true");
    Ok(v.page(&form_page(&v, user, form, None).await?))
}

pub(super) async fn create_service(v: Visitor, body: web::Bytes) -> PageResult {
    let user = v.require_for_organisation(Action::EditDirectoryService)?;
    let mut form = v.form(&body)?;
    let input = input(&mut form);
    let actor = user.clone();
    let saved = v
        .submit(&mut form, move |conn, now| {
            directory::create(conn, now, &actor, &input)
        })
        .await?;
    match saved {
        Ok(_) => Ok(see_other("/services?saved=1")),
        Err(status) => Ok(v.with_status(status, &form_page(&v, user, form, None).await?)),
    }
}

/// The organisation's own listing `id`, for its user allowed to edit listings.
async fn own_listing(v: &Visitor, id: i64) -> Result<(CurrentUser, Listing), PageError> {
    let user = v.require_for_organisation(Action::EditDirectoryService)?;
    let reader = user.clone();
    let listing = v
        .read(move |conn| directory::get(conn, &reader, id))
        .await?;
    Ok((user, listing))
}

pub(super) async fn service_page(v: Visitor, id: web::Path<i64>) -> PageResult {
    let (user, listing) = own_listing(&v, id.into_inner()).await?;
    let form = listing_form(&listing);
    Ok(v.page(&form_page(&v, user, form, Some(listing)).await?))
}

pub(super) async fn service_save(v: Visitor, id: web::Path<i64>, body: web::Bytes) -> PageResult {
    let id = id.into_inner();
    let (user, listing) = own_listing(&v, id).await?;
    let mut form = v.form(&body)?;
    let input = input(&mut form);
    let actor = user.clone();
    let saved = v
        .submit(&mut form, move |conn, now| {
            directory::update(conn, now, &actor, id, &input)
        })
        .await?;
    match saved {
        Ok(_) => Ok(see_other("/services?saved=1")),
        Err(status) => Ok(v.with_status(status, &form_page(&v, user, form, Some(listing)).await?)),
    }
}
