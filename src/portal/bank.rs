//! The page of an organisation's bank details, which its users and the fund's staff share.

use actix_web::http::StatusCode;
use actix_web::web;
use askama::Template;

use crate::caller::CurrentUser;
use crate::organisations::bank::{self, BankDetails, BankDetailsInput};
use crate::organisations::model::OrganisationRow;
use crate::portal::form::Form;
use crate::portal::{Layout, PageError, Visitor};

#[derive(Template)]
#[template(path = "portal/bank_details.html")]
pub(super) struct BankDetailsPage {
    pub layout: Layout,
    pub form: Form,
    pub organisation_name: String,
    pub details: BankDetails,
    pub action: String,
    pub verify_action: Option<String>,
    /// What it means that no details are held.
    pub missing: String,
    /// What a change does.
    pub change_note: String,
}

impl BankDetailsPage {
    /// The page of an organisation's details, in the words its users and the fund's staff read.
    pub fn organisation(
        layout: Layout,
        form: Form,
        name: String,
        details: BankDetails,
        action: String,
        verify_action: Option<String>,
    ) -> BankDetailsPage {
        BankDetailsPage {
            missing: format!(
                "The fund holds no bank details for {name}, so it cannot pay any grant yet."
            ),
            change_note: format!(
                "A change holds every payment until a second person at the fund has checked it, \
                 and {name}'s contacts are told by email."
            ),
            layout,
            form,
            organisation_name: name,
            details,
            action,
            verify_action,
        }
    }
}

/// The organisation's name and its bank details, as `user` may see them.
pub(super) async fn load(
    v: &Visitor,
    user: CurrentUser,
    id: i64,
) -> Result<(String, BankDetails), PageError> {
    let keyring = v.state.keyring.clone();
    Ok(v.read(move |conn| {
        let name = OrganisationRow::find(conn, id)?.name;
        Ok((name, bank::get(conn, &keyring, &user, id)?))
    })
    .await?)
}

/// Saves what the form sent as the organisation's bank details: nothing when they are saved,
/// or the form with its errors and the status to show it again with.
pub(super) async fn save(
    v: &Visitor,
    user: CurrentUser,
    id: i64,
    body: &web::Bytes,
) -> Result<Option<(StatusCode, Form)>, PageError> {
    let mut form = v.form(body)?;
    let input = bank_input(&form);
    let keyring = v.state.keyring.clone();
    let saved = v
        .change(&mut form, move |conn, now| {
            bank::set(conn, now, &keyring, &user, id, &input)
        })
        .await?;
    Ok(saved.err().map(|status| (status, form)))
}

/// What the form sent, as the service reads it.
pub(super) fn bank_input(form: &Form) -> BankDetailsInput {
    BankDetailsInput {
        account_name: form.value("account_name").to_owned(),
        sort_code: form.value("sort_code").to_owned(),
        account_number: form.value("account_number").to_owned(),
        roll_number: form.optional("roll_number"),
    }
}
