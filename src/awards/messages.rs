//! The text of the emails about awards: the decision letters, acceptance, termination and
//! the decisions on variations.

use crate::awards::model::Award;
use crate::awards::model::variation::Variation;
use crate::domain::vocabulary::VariationKind;
use crate::email::messages::{amounts, hello};
use crate::email::outbox::NewEmail;

/// The decision letter for an award: the offer, its amounts and conditions.
pub fn award_offered(recipient: &str, award: &Award) -> NewEmail {
    let conditions = award
        .conditions
        .as_deref()
        .map(|c| format!("The grant is offered on these conditions:\n\n{c}\n\n"))
        .unwrap_or_default();
    let subject = format!("Grant offer {}: {}", award.reference, award.title);
    let text = format!(
        "We are delighted to offer {organisation} a grant for \"{title}\". The reference of\n\
         this award is {reference}.\n\n\
         Amounts, paid as one instalment a financial year:\n{amounts}\n\n\
         {conditions}\
         Please accept or decline the offer by signing in to the grant fund service. The\n\
         fund administrator releases each year's instalment once you have accepted.\n",
        organisation = award.organisation_name,
        title = award.title,
        reference = award.reference,
        amounts = amounts(&award.amounts, &award.total),
    );
    hello("award_offered", recipient, subject, &text)
}

/// The decision letter for a declined application, with the panel's feedback.
pub fn application_declined(
    recipient: &str,
    title: &str,
    organisation: &str,
    feedback: &str,
) -> NewEmail {
    let subject = format!("Decision on your application: {title}");
    let text = format!(
        "Thank you for the application \"{title}\" from {organisation}. We are sorry to tell\n\
         you that the fund is not able to offer a grant for it this time.\n\n\
         The panel's feedback:\n\n{feedback}\n\n\
         We hope it helps with future applications. Please contact the fund administrator\n\
         if you would like to talk it through.\n"
    );
    hello("application_declined", recipient, subject, &text)
}

/// Confirms that an offer was accepted.
pub fn award_accepted(recipient: &str, award: &Award, accepted_by: &str) -> NewEmail {
    let subject = format!("Grant {} accepted", award.reference);
    let text = format!(
        "{accepted_by} has accepted, for {organisation}, the grant {reference} for\n\
         \"{title}\":\n\n{amounts}\n\n\
         The fund administrator will release each year's instalment. Your monitoring\n\
         returns and their due dates are listed in the grant fund service.\n",
        organisation = award.organisation_name,
        reference = award.reference,
        title = award.title,
        amounts = amounts(&award.amounts, &award.total),
    );
    hello("award_accepted", recipient, subject, &text)
}

/// Tells the grant holder that an award has been ended early, and why.
pub fn award_terminated(recipient: &str, award: &Award, reason: &str) -> NewEmail {
    let subject = format!("Grant {} terminated", award.reference);
    let text = format!(
        "The grant {reference} to {organisation} for \"{title}\" has been terminated.\n\n\
         Reason:\n\n{reason}\n\n\
         Instalments already paid: £{paid} of £{total}. No further instalments will be\n\
         released. Please contact the fund administrator about any questions.\n",
        reference = award.reference,
        organisation = award.organisation_name,
        title = award.title,
        paid = award.paid,
        total = award.total,
    );
    hello("award_terminated", recipient, subject, &text)
}

/// Tells the grant holder that a variation of their award was approved or refused, and why.
pub fn variation_decided(recipient: &str, award: &Award, variation: &Variation) -> NewEmail {
    let outcome = variation.status;
    let subject = format!("Variation of grant {} {outcome}", award.reference);
    let what = match variation.kind {
        VariationKind::Reprofile => "move money between the years of",
        VariationKind::Reduce => "reduce",
        VariationKind::Extend => "extend",
        VariationKind::Conditions => "change the conditions of",
    };
    let reason = variation.decision_reason.as_deref().unwrap_or_default();
    let text = format!(
        "The request to {what} the grant {reference} to {organisation} for \"{title}\" has\n\
         been {outcome}.\n\n\
         The fund administrator's reason:\n\n{reason}\n\n\
         The grant now stands at:\n{amounts}\n\n\
         It ends on {end}. Your monitoring returns and their due dates are listed in the\n\
         grant fund service.\n",
        reference = award.reference,
        organisation = award.organisation_name,
        title = award.title,
        amounts = amounts(&award.amounts, &award.total),
        end = award.end_date.format("%-d %B %Y"),
    );
    hello("variation_decided", recipient, subject, &text)
}
