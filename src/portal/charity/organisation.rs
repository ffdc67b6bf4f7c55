//! The organisation's details.

use actix_web::web;
use askama::Template;

use crate::caller::CurrentUser;
use crate::error::ApiError;
use crate::organisations::address::{self, AddressInput};
use crate::organisations::model::{Organisation, OrganisationPatch};
use crate::organisations::service as organisations;
use crate::permissions::Action;
use crate::portal::form::Form;
use crate::portal::public::organisation_input;
use crate::portal::{Layout, PageError, PageResult, Visitor};

pub(super) fn organisation_id(user: &CurrentUser) -> Result<i64, PageError> {
    user.organisation_id
        .ok_or_else(|| ApiError::Forbidden.into())
}

#[derive(Template)]
#[template(path = "portal/organisation.html")]
struct OrganisationPage {
    layout: Layout,
    form: Form,
    organisation: Organisation,
    /// The form of the organisation's town, apart from its other details.
    town: Form,
}

/// The town form as stored.
async fn town_form(v: &Visitor, user: CurrentUser, id: i64) -> Result<Form, PageError> {
    let stored = v.read(move |conn| address::get(conn, &user, id)).await?;
    let mut form = Form::new();
    form.set("town", stored.town.unwrap_or_default());
    Ok(form)
}

fn organisation_form(organisation: &Organisation) -> Form {
    let mut form = Form::new();
    let p = "organisation.";
    form.set(&format!("{p}name"), organisation.name.clone());
    form.set(&format!("{p}type"), organisation.organisation_type.as_str());
    form.set(
        &format!("{p}charity_number"),
        organisation.charity_number.clone().unwrap_or_default(),
    );
    form.set(
        &format!("{p}company_number"),
        organisation.company_number.clone().unwrap_or_default(),
    );
    form.set(
        &format!("{p}annual_income"),
        organisation.annual_income.to_string(),
    );
    form.set(
        &format!("{p}address"),
        organisation.address.clone().unwrap_or_default(),
    );
    form.set(&format!("{p}postcode"), organisation.postcode.clone());
    for board in &organisation.health_boards {
        form.add(&format!("{p}health_boards"), board.as_str());
    }
    form.set(
        &format!("{p}website"),
        organisation.website.clone().unwrap_or_default(),
    );
    form.set(
        &format!("{p}contact_email"),
        organisation.contact_email.clone().unwrap_or_default(),
    );
    if organisation.listed_in_directory {
        form.set(&format!("{p}listed_in_directory"), "true");
    }
    form
}

pub(super) async fn organisation_page(v: Visitor) -> PageResult {
    let user = v.require_for_organisation(Action::EditOrganisation)?;
    let id = organisation_id(&user)?;
    let town = town_form(&v, user.clone(), id).await?;
    let organisation = v
        .read(move |conn| organisations::get(conn, &user, id))
        .await?;
    Ok(v.page(&OrganisationPage {
        layout: v.layout("Your organisation", "/organisation"),
        form: organisation_form(&organisation),
        organisation,
        town,
    }))
}

pub(super) async fn town_save(v: Visitor, body: web::Bytes) -> PageResult {
    let user = v.require_for_organisation(Action::EditOrganisation)?;
    let id = organisation_id(&user)?;
    let mut town = v.form(&body)?;
    let input = AddressInput {
        town: town.optional("town"),
    };
    let actor = user.clone();
    let saved = v
        .change(&mut town, move |conn, now| {
            address::set(conn, now, &actor, id, &input)
        })
        .await?;
    let reader = user.clone();
    let organisation = v
        .read(move |conn| organisations::get(conn, &reader, id))
        .await?;
    let form = organisation_form(&organisation);
    match saved {
        Ok(_) => {
            let mut layout = v.layout("Your organisation", "/organisation");
            layout.notice = Some("Your town is saved.".to_owned());
            Ok(v.page(&OrganisationPage {
                layout,
                form,
                organisation,
                town: town_form(&v, user, id).await?,
            }))
        }
        Err(status) => Ok(v.with_status(
            status,
            &OrganisationPage {
                layout: v.layout("Your organisation", "/organisation"),
                form,
                organisation,
                town,
            },
        )),
    }
}

pub(super) async fn organisation_save(v: Visitor, body: web::Bytes) -> PageResult {
    let user = v.require_for_organisation(Action::EditOrganisation)?;
    let id = organisation_id(&user)?;
    let mut form = v.form(&body)?;
    let input = organisation_input(&form, "organisation.");
    let patch = OrganisationPatch {
        name: Some(input.name),
        organisation_type: Some(input.organisation_type),
        charity_number: Some(input.charity_number),
        company_number: Some(input.company_number),
        annual_income: Some(input.annual_income),
        address: Some(input.address),
        postcode: Some(input.postcode),
        health_boards: Some(input.health_boards),
        website: Some(input.website),
        contact_email: Some(input.contact_email),
        listed_in_directory: Some(input.listed_in_directory),
    };
    let actor = user.clone();
    let saved = v
        .change(&mut form, move |conn, now| {
            organisations::update(conn, now, &actor, id, patch)
        })
        .await?;
    let (status, organisation) = match saved {
        Ok(organisation) => {
            let mut layout = v.layout("Your organisation", "/organisation");
            layout.notice = Some("Your organisation's details are saved.".to_owned());
            return Ok(v.page(&OrganisationPage {
                layout,
                form: organisation_form(&organisation),
                organisation,
                town: town_form(&v, user, id).await?,
            }));
        }
        Err(status) => {
            // The form names the organisation's fields as registration does.
            form.prefix_errors("organisation.");
            let reader = user.clone();
            let organisation = v
                .read(move |conn| organisations::get(conn, &reader, id))
                .await?;
            (status, organisation)
        }
    };
    Ok(v.with_status(
        status,
        &OrganisationPage {
            layout: v.layout("Your organisation", "/organisation"),
            form,
            organisation,
            town: town_form(&v, user, id).await?,
        },
    ))
}
