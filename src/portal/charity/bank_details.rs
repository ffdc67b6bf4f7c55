//! The organisation's bank details: masked, and a form to enter or change them.

use actix_web::web;

use super::organisation::organisation_id;
use crate::permissions::Action;
use crate::portal::bank::{BankDetailsPage, load, save};
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
    let (name, details) = load(v, user, id).await?;
    let mut layout = v.layout("Bank details", "/organisation");
    layout.notice = notice.map(str::to_owned);
    Ok(BankDetailsPage::organisation(
        layout,
        form,
        name,
        details,
        PATH.to_owned(),
        None,
    ))
}

pub(super) async fn bank_details_page(v: Visitor) -> PageResult {
    Ok(v.page(&show(&v, Form::new(), None).await?))
}

pub(super) async fn bank_details_save(v: Visitor, body: web::Bytes) -> PageResult {
    let user = v.require_for_organisation(Action::EditBankDetails)?;
    let id = organisation_id(&user)?;
    match save(&v, user, id, &body).await? {
        None => Ok(v.page(
            &show(
                &v,
                Form::new(),
                Some("Your bank details are saved. Payments are held until the fund has checked them."),
            )
            .await?,
        )),
        Some((status, form)) => Ok(v.with_status(status, &show(&v, form, None).await?)),
    }
}
