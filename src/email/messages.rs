//! The text of the emails about accounts, applications and assessment. The emails about an
//! award and its monitoring are written by those features (`awards::messages`,
//! `monitoring::messages`).

use std::fmt::Display;

use crate::email::outbox::NewEmail;

/// An email to `recipient` that greets them with "Hello," before `text`.
pub fn hello(kind: &'static str, recipient: &str, subject: String, text: &str) -> NewEmail {
    NewEmail {
        kind,
        recipient: recipient.to_owned(),
        subject,
        body: format!("Hello,\n\n{text}"),
    }
}

/// Each financial year's amount on a line, then the total.
pub fn amounts<Y: Display, A: Display>(
    per_year: impl IntoIterator<Item = (Y, A)>,
    total: &impl Display,
) -> String {
    let lines: String = per_year
        .into_iter()
        .map(|(year, amount)| format!("  {year}: £{amount}\n"))
        .collect();
    format!("{lines}  Total: £{total}")
}

pub fn welcome(recipient: &str, name: &str, organisation: &str, public_url: &str) -> NewEmail {
    NewEmail {
        kind: "welcome",
        recipient: recipient.to_owned(),
        subject: "Your grant fund account is ready".to_owned(),
        body: format!(
            "Dear {name},\n\n\
             Your account for {organisation} has been created. You can now sign in at\n\
             {public_url} to draft and submit applications to open funding rounds.\n\n\
             Before an award can be made, the fund administrator will check your organisation's\n\
             details (due diligence). Please keep them up to date.\n\n\
             If you did not create this account, please reply to this email.\n"
        ),
    }
}

pub fn welcome_claimant(recipient: &str, name: &str, public_url: &str) -> NewEmail {
    hello(
        "welcome",
        recipient,
        "Your account for the family fund".to_owned(),
        &format!(
            "{name}, your account is ready. Sign in at {public_url}/sign-in to record the stay \
             and claim back what visiting costs you and your children.\n"
        ),
    )
}

pub fn password_reset(
    recipient: &str,
    name: &str,
    token: &str,
    public_url: &str,
    valid_minutes: u64,
) -> NewEmail {
    NewEmail {
        kind: "password_reset",
        recipient: recipient.to_owned(),
        subject: "Reset your grant fund password".to_owned(),
        body: format!(
            "Dear {name},\n\n\
             Someone asked to reset the password of your grant fund account. To choose a new\n\
             password, open this link within {valid_minutes} minutes:\n\n\
             {public_url}/reset-password?token={token}\n\n\
             or send this code with your new password to POST /api/v1/auth/password-reset/confirm:\n\n\
             {token}\n\n\
             The link works once. If you did not ask for this, you can ignore this email: your\n\
             password has not changed.\n"
        ),
    }
}

/// A receipt for a submitted application.
pub struct ApplicationReceipt<'a> {
    pub application_id: i64,
    pub title: &'a str,
    pub organisation: &'a str,
    pub round: &'a str,
    /// Each financial year and its amount, as text.
    pub requested: Vec<(String, String)>,
    pub total: String,
}

pub fn application_received(recipient: &str, receipt: &ApplicationReceipt<'_>) -> NewEmail {
    let subject = format!(
        "Application {} received: {}",
        receipt.application_id, receipt.title
    );
    let text = format!(
        "We have received the application \"{title}\" from {organisation} to the round\n\
         \"{round}\". Its reference is application {id}.\n\n\
         Amounts requested:\n{amounts}\n\n\
         The panel will assess it after the round closes, and we will write to you with the\n\
         decision. If you need to withdraw it, you can do so until then.\n",
        title = receipt.title,
        organisation = receipt.organisation,
        round = receipt.round,
        id = receipt.application_id,
        amounts = amounts(
            receipt.requested.iter().map(|(y, a)| (y, a)),
            &receipt.total
        ),
    );
    hello("application_received", recipient, subject, &text)
}

pub fn application_withdrawn(
    recipient: &str,
    application_id: i64,
    title: &str,
    organisation: &str,
    withdrawn_by: &str,
) -> NewEmail {
    let subject = format!("Application {application_id} withdrawn: {title}");
    let text = format!(
        "The application \"{title}\" (application {application_id}) from {organisation} has\n\
         been withdrawn by {withdrawn_by}. It will not be assessed.\n\n\
         If this was a mistake, please contact the fund administrator.\n"
    );
    hello("application_withdrawn", recipient, subject, &text)
}

/// The fund asks an applicant one more question about an application.
pub fn information_requested(
    recipient: &str,
    application_id: i64,
    title: &str,
    question: &str,
) -> NewEmail {
    let subject = format!("A question about application {application_id}: {title}");
    let text = format!(
        "The panel assessing \"{title}\" (application {application_id}) needs one more answer\n\
         before it can score it:\n\n{question}\n\n\
         Sign in and answer it on the application's page. You can answer once.\n"
    );
    hello("information_requested", recipient, subject, &text)
}

/// An applicant has answered the fund's question.
pub fn information_answered(recipient: &str, application_id: i64, title: &str) -> NewEmail {
    let subject = format!("Your question on application {application_id} is answered");
    let text = format!(
        "The applicant has answered your question about \"{title}\" (application\n\
         {application_id}). Read the answer on the application's page.\n"
    );
    hello("information_answered", recipient, subject, &text)
}

/// One notice of every application just assigned to an assessor: id, title, organisation.
pub fn assignments(recipient: &str, name: &str, items: &[(i64, String, String)]) -> NewEmail {
    let lines: String = items
        .iter()
        .map(|(id, title, organisation)| {
            format!("  - application {id}: \"{title}\" from {organisation}\n")
        })
        .collect();
    let count = items.len();
    NewEmail {
        kind: "assignment",
        recipient: recipient.to_owned(),
        subject: if count == 1 {
            "An application has been assigned to you".to_owned()
        } else {
            format!("{count} applications have been assigned to you")
        },
        body: format!(
            "Dear {name},\n\n\
             The following applications have been assigned to you for assessment:\n\n{lines}\n\
             For each one, please first declare whether you have a conflict of interest. You will\n\
             see the application in full once you have declared that you have none.\n"
        ),
    }
}

/// Tells the owner of an account that a second factor now guards it.
pub fn mfa_enabled(recipient: &str, name: &str) -> NewEmail {
    NewEmail {
        kind: "mfa_enabled",
        recipient: recipient.to_owned(),
        subject: "Two-step sign-in is on for your grant fund account".to_owned(),
        body: format!(
            "Dear {name},\n\n\
             Your grant fund account now asks for a code from your authenticator app after your\n\
             password. Keep your recovery codes somewhere safe: each works once if you lose the app.\n\n\
             If you did not do this, tell the fund administrator at once.\n"
        ),
    }
}

/// Tells the owner of an account that its second factor was removed.
pub fn mfa_disabled(recipient: &str, name: &str) -> NewEmail {
    NewEmail {
        kind: "mfa_disabled",
        recipient: recipient.to_owned(),
        subject: "Two-step sign-in is off for your grant fund account".to_owned(),
        body: format!(
            "Dear {name},\n\n\
             Your grant fund account no longer asks for a code from an authenticator app, and its\n\
             recovery codes no longer work.\n\n\
             If you did not do this, tell the fund administrator at once.\n"
        ),
    }
}

/// Tells the owner of an account that one of its recovery codes was used, and how many are left.
pub fn recovery_code_used(recipient: &str, name: &str, remaining: i64) -> NewEmail {
    NewEmail {
        kind: "recovery_code_used",
        recipient: recipient.to_owned(),
        subject: "A recovery code was used on your grant fund account".to_owned(),
        body: format!(
            "Dear {name},\n\n\
             A recovery code was just used to sign in to your grant fund account or confirm an\n\
             action. {remaining} unused recovery code(s) remain.\n\n\
             If this was not you, change your password and tell the fund administrator at once.\n"
        ),
    }
}
