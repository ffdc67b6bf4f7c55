//! The text of each email the service sends.

use crate::email::outbox::NewEmail;

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
    let lines: String = receipt
        .requested
        .iter()
        .map(|(year, amount)| format!("  {year}: £{amount}\n"))
        .collect();
    NewEmail {
        kind: "application_received",
        recipient: recipient.to_owned(),
        subject: format!(
            "Application {} received: {}",
            receipt.application_id, receipt.title
        ),
        body: format!(
            "Hello,\n\n\
             We have received the application \"{title}\" from {organisation} to the round\n\
             \"{round}\". Its reference is application {id}.\n\n\
             Amounts requested:\n{lines}  Total: £{total}\n\n\
             The panel will assess it after the round closes, and we will write to you with the\n\
             decision. If you need to withdraw it, you can do so until then.\n",
            title = receipt.title,
            organisation = receipt.organisation,
            round = receipt.round,
            id = receipt.application_id,
            total = receipt.total,
        ),
    }
}

pub fn application_withdrawn(
    recipient: &str,
    application_id: i64,
    title: &str,
    organisation: &str,
    withdrawn_by: &str,
) -> NewEmail {
    NewEmail {
        kind: "application_withdrawn",
        recipient: recipient.to_owned(),
        subject: format!("Application {application_id} withdrawn: {title}"),
        body: format!(
            "Hello,\n\n\
             The application \"{title}\" (application {application_id}) from {organisation} has\n\
             been withdrawn by {withdrawn_by}. It will not be assessed.\n\n\
             If this was a mistake, please contact the fund administrator.\n"
        ),
    }
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

fn amount_lines(award: &crate::awards::model::Award) -> String {
    award
        .amounts
        .iter()
        .map(|(year, amount)| format!("  {year}: £{amount}\n"))
        .collect()
}

/// The decision letter for an award: the offer, its amounts and conditions.
pub fn award_offered(recipient: &str, award: &crate::awards::model::Award) -> NewEmail {
    let conditions = award
        .conditions
        .as_deref()
        .map(|c| format!("The grant is offered on these conditions:\n\n{c}\n\n"))
        .unwrap_or_default();
    NewEmail {
        kind: "award_offered",
        recipient: recipient.to_owned(),
        subject: format!("Grant offer {}: {}", award.reference, award.title),
        body: format!(
            "Hello,\n\n\
             We are delighted to offer {organisation} a grant for \"{title}\". The reference of\n\
             this award is {reference}.\n\n\
             Amounts, paid as one instalment a financial year:\n{lines}  Total: £{total}\n\n\
             {conditions}\
             Please accept or decline the offer by signing in to the grant fund service. The\n\
             fund administrator releases each year's instalment once you have accepted.\n",
            organisation = award.organisation_name,
            title = award.title,
            reference = award.reference,
            lines = amount_lines(award),
            total = award.total,
        ),
    }
}

/// The decision letter for a declined application, with the panel's feedback.
pub fn application_declined(
    recipient: &str,
    title: &str,
    organisation: &str,
    feedback: &str,
) -> NewEmail {
    NewEmail {
        kind: "application_declined",
        recipient: recipient.to_owned(),
        subject: format!("Decision on your application: {title}"),
        body: format!(
            "Hello,\n\n\
             Thank you for the application \"{title}\" from {organisation}. We are sorry to tell\n\
             you that the fund is not able to offer a grant for it this time.\n\n\
             The panel's feedback:\n\n{feedback}\n\n\
             We hope it helps with future applications. Please contact the fund administrator\n\
             if you would like to talk it through.\n"
        ),
    }
}

/// Confirms that an offer was accepted.
pub fn award_accepted(
    recipient: &str,
    award: &crate::awards::model::Award,
    accepted_by: &str,
) -> NewEmail {
    NewEmail {
        kind: "award_accepted",
        recipient: recipient.to_owned(),
        subject: format!("Grant {} accepted", award.reference),
        body: format!(
            "Hello,\n\n\
             {accepted_by} has accepted, for {organisation}, the grant {reference} for\n\
             \"{title}\":\n\n{lines}  Total: £{total}\n\n\
             The fund administrator will release each year's instalment. Your monitoring\n\
             returns and their due dates are listed in the grant fund service.\n",
            organisation = award.organisation_name,
            reference = award.reference,
            title = award.title,
            lines = amount_lines(award),
            total = award.total,
        ),
    }
}

/// Tells the grant holder that an award has been ended early, and why.
pub fn award_terminated(
    recipient: &str,
    award: &crate::awards::model::Award,
    reason: &str,
) -> NewEmail {
    NewEmail {
        kind: "award_terminated",
        recipient: recipient.to_owned(),
        subject: format!("Grant {} terminated", award.reference),
        body: format!(
            "Hello,\n\n\
             The grant {reference} to {organisation} for \"{title}\" has been terminated.\n\n\
             Reason:\n\n{reason}\n\n\
             Instalments already paid: £{paid} of £{total}. No further instalments will be\n\
             released. Please contact the fund administrator about any questions.\n",
            reference = award.reference,
            organisation = award.organisation_name,
            title = award.title,
            paid = award.paid,
            total = award.total,
        ),
    }
}

/// A reminder to a grant holder about a return not yet submitted.
pub fn return_reminder(
    recipient: &str,
    step: crate::domain::schedule::Reminder,
    reference: &str,
    organisation: &str,
    row: &crate::monitoring::model::ReturnRow,
) -> NewEmail {
    use crate::domain::schedule::Reminder;
    let what = if row.financial_year.is_none() {
        "final monitoring return".to_owned()
    } else {
        format!(
            "monitoring return for {} to {}",
            row.period_start, row.period_end
        )
    };
    let (subject, opening) = match step {
        Reminder::Upcoming => (
            format!("Monitoring return due on {} ({reference})", row.due_date),
            format!(
                "The {what} of grant {reference} is due on {}.",
                row.due_date
            ),
        ),
        Reminder::DueToday => (
            format!("Monitoring return due now ({reference})"),
            format!(
                "The {what} of grant {reference} was due on {}.",
                row.due_date
            ),
        ),
        Reminder::Overdue => (
            format!("Monitoring return overdue ({reference})"),
            format!(
                "The {what} of grant {reference} was due on {} and has not been submitted.",
                row.due_date
            ),
        ),
    };
    NewEmail {
        kind: "return_reminder",
        recipient: recipient.to_owned(),
        subject,
        body: format!(
            "Hello,\n\n\
             {opening}\n\n\
             Please sign in to the grant fund service to complete and submit it for\n\
             {organisation}: spend in the period, the people supported, sessions, peer supporters\n\
             and volunteers, outcomes, and a case study if a family agrees to share their story.\n\n\
             Later instalments are released once the return before them has been accepted.\n"
        ),
    }
}

/// Tells an administrator which returns went overdue since the last digest.
pub fn overdue_digest(
    recipient: &str,
    name: &str,
    lines: &[(
        String,
        String,
        chrono::NaiveDate,
        chrono::NaiveDate,
        chrono::NaiveDate,
    )],
) -> NewEmail {
    let list: String = lines
        .iter()
        .map(|(reference, organisation, start, end, due)| {
            format!("  - {reference} {organisation}: {start} to {end}, due {due}\n")
        })
        .collect();
    let count = lines.len();
    NewEmail {
        kind: "overdue_digest",
        recipient: recipient.to_owned(),
        subject: if count == 1 {
            "1 monitoring return is newly overdue".to_owned()
        } else {
            format!("{count} monitoring returns are newly overdue")
        },
        body: format!(
            "Dear {name},\n\n\
             These monitoring returns went past their due date without being submitted:\n\n\
             {list}\n\
             Their grant holders have been reminded.\n"
        ),
    }
}

/// Tells a grant holder what to change in a return.
pub fn return_changes_requested(
    recipient: &str,
    row: &crate::monitoring::model::MonitoringReturn,
    comment: &str,
) -> NewEmail {
    NewEmail {
        kind: "return_changes_requested",
        recipient: recipient.to_owned(),
        subject: format!(
            "Changes requested to a monitoring return ({})",
            row.award_reference
        ),
        body: format!(
            "Hello,\n\n\
             The fund administrator has reviewed the monitoring return of grant {reference} for\n\
             {start} to {end} and asks for these changes:\n\n{comment}\n\n\
             Please sign in to the grant fund service, change the return and submit it again.\n",
            reference = row.award_reference,
            start = row.period_start,
            end = row.period_end,
        ),
    }
}
