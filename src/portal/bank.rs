//! The page of an organisation's bank details, which its users and the fund's staff share.

use askama::Template;

use crate::organisations::bank::{BankDetails, BankDetailsInput};
use crate::portal::Layout;
use crate::portal::form::Form;

#[derive(Template)]
#[template(path = "portal/bank_details.html")]
pub(super) struct BankDetailsPage {
    pub layout: Layout,
    pub form: Form,
    pub organisation_name: String,
    pub details: BankDetails,
    pub action: String,
    pub verify_action: Option<String>,
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
