//! An organisation's bank details for the fund's staff: masked, entered or changed, and checked
//! by a second person.

use actix_web::web;
use askama::Template;

use crate::organisations::bank::{self, AwaitingCheck};
use crate::permissions::Action;
use crate::portal::bank::{BankDetailsPage, load, save};
use crate::portal::form::Form;
use crate::portal::{Layout, PageError, PageResult, Visitor};

async fn show(
    v: &Visitor,
    id: i64,
    form: Form,
    notice: Option<&str>,
) -> Result<BankDetailsPage, PageError> {
    let user = v.require(Action::ReadBankDetails)?;
    let may_verify = Action::VerifyBankDetails.allows(user.role);
    let (name, details) = load(v, user, id).await?;
    let path = format!("/admin/organisations/{id}/bank-details");
    let mut layout = v.layout("Bank details", "/finance/bank-details");
    layout.notice = notice.map(str::to_owned);
    let awaiting = details.status == bank::BankDetailsStatus::AwaitingVerification;
    let verify = (may_verify && awaiting).then(|| format!("{path}/verify"));
    Ok(BankDetailsPage::organisation(
        layout, form, name, details, path, verify,
    ))
}

pub(super) async fn bank_details_page(v: Visitor, id: web::Path<i64>) -> PageResult {
    Ok(v.page(&show(&v, id.into_inner(), Form::new(), None).await?))
}

pub(super) async fn bank_details_save(
    v: Visitor,
    id: web::Path<i64>,
    body: web::Bytes,
) -> PageResult {
    let user = v.require(Action::EditBankDetails)?;
    let id = id.into_inner();
    match save(&v, user, id, &body).await? {
        None => Ok(v.page(
            &show(
                &v,
                id,
                Form::new(),
                Some("The bank details are saved. A second person must now check them."),
            )
            .await?,
        )),
        Some((status, form)) => Ok(v.with_status(status, &show(&v, id, form, None).await?)),
    }
}

pub(super) async fn bank_details_verify(
    v: Visitor,
    id: web::Path<i64>,
    body: web::Bytes,
) -> PageResult {
    let user = v.require(Action::VerifyBankDetails)?;
    let id = id.into_inner();
    let mut form = v.form(&body)?;
    v.require_recent_factor(&user, &format!("/admin/organisations/{id}/bank-details"))?;
    let keyring = v.state.keyring.clone();
    let verified = v
        .change(&mut form, move |conn, now| {
            bank::verify(conn, now, &keyring, &user, id)
        })
        .await?;
    match verified {
        Ok(_) => Ok(v.page(
            &show(
                &v,
                id,
                Form::new(),
                Some("The bank details are checked. Payments can be made again."),
            )
            .await?,
        )),
        Err(status) => Ok(v.with_status(status, &show(&v, id, form, None).await?)),
    }
}

#[derive(Template)]
#[template(path = "portal/admin/bank_checks.html")]
struct BankChecksPage {
    layout: Layout,
    waiting: Vec<AwaitingCheck>,
}

/// The bank details that wait for a second person's check.
pub(super) async fn bank_checks_page(v: Visitor) -> PageResult {
    let user = v.require(Action::VerifyBankDetails)?;
    let waiting = v.read(move |conn| bank::awaiting(conn, &user)).await?;
    Ok(v.page(&BankChecksPage {
        layout: v.layout("Bank details waiting for a check", "/finance/bank-details"),
        waiting,
    }))
}
