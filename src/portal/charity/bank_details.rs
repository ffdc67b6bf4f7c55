//! The organisation's bank details: masked, and a form to enter or change them.

use actix_web::web;

use super::organisation::organisation_id;
use crate::organisations::bank;
use crate::organisations::model::OrganisationRow;
use crate::permissions::Action;
use crate::portal::bank::{BankDetailsPage, bank_input};
use crate::portal::form::Form;
use crate::portal::{PageResult, Visitor};

const PATH: &str = "/organisation/bank-details";

async fn show(
    v: &Visitor,
    form: Form,
    notice: Option<&str>,
) -> Result<BankDetailsPage, crate::portal::PageError> {
    let user = v.require_for_organisation(Action::ReadBankDetails)?;
    let id = organisation_id(&user)?;
    let keyring = v.state.keyring.clone();
    let (name, details) = v
        .read(move |conn| {
            let name = OrganisationRow::find(conn, id)?.name;
            Ok((name, bank::get(conn, &keyring, &user, id)?))
        })
        .await?;
    let mut layout = v.layout("Bank details", "/organisation");
    layout.notice = notice.map(str::to_owned);
    Ok(BankDetailsPage {
        layout,
        form,
        organisation_name: name,
        details,
        action: PATH.to_owned(),
        verify_action: None,
    })
}

pub(super) async fn bank_details_page(v: Visitor) -> PageResult {
    Ok(v.page(&show(&v, Form::new(), None).await?))
}

pub(super) async fn bank_details_save(v: Visitor, body: web::Bytes) -> PageResult {
    let user = v.require_for_organisation(Action::EditBankDetails)?;
    let id = organisation_id(&user)?;
    let mut form = v.form(&body)?;
    let input = bank_input(&form);
    let keyring = v.state.keyring.clone();
    let saved = v
        .change(&mut form, move |conn, now| {
            bank::set(conn, now, &keyring, &user, id, &input)
        })
        .await?;
    match saved {
        Ok(_) => Ok(v.page(
            &show(
                &v,
                Form::new(),
                Some("Your bank details are saved. Payments are held until the fund has checked them."),
            )
            .await?,
        )),
        Err(status) => Ok(v.with_status(status, &show(&v, form, None).await?)),
    }
}
