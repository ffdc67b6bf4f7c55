//! The text of the emails about monitoring returns: reminders, the administrators' digest of
//! overdue returns, and requested changes.

use crate::domain::schedule::Reminder;
use crate::email::outbox::NewEmail;
use crate::monitoring::model::{MonitoringReturn, ReturnRow};

/// A reminder to a grant holder about a return not yet submitted.
pub fn return_reminder(
    recipient: &str,
    step: Reminder,
    reference: &str,
    organisation: &str,
    row: &ReturnRow,
) -> NewEmail {
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
    row: &MonitoringReturn,
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
