//! The emails a family's claims cause. No subject says anything of health or of a unit: a
//! subject is read on a locked phone's screen. No email names the woman.

use crate::domain::Money;
use crate::email::messages::hello;
use crate::email::outbox::NewEmail;

pub fn claim_received(recipient: &str, reference: &str, claimed: Money) -> NewEmail {
    hello(
        "claim_received",
        recipient,
        format!("We have your claim {reference}"),
        &format!(
            "We have received your claim {reference} for £{claimed}.\n\n\
             Staff at the unit will now confirm the dates, then the NHS board's cash office will \
             check the claim. We will email you at each step.\n"
        ),
    )
}

pub fn claim_certified(recipient: &str, reference: &str, cut: usize) -> NewEmail {
    let cut_text = match cut {
        0 => String::new(),
        1 => "\nOne line falls outside the dates the unit confirmed, so it will not be paid.\n"
            .to_owned(),
        n => format!(
            "\n{n} lines fall outside the dates the unit confirmed, so they will not be paid.\n"
        ),
    };
    hello(
        "claim_certified",
        recipient,
        format!("Your claim {reference}: dates confirmed"),
        &format!(
            "The unit has confirmed the dates of your claim {reference}.\n{cut_text}\n\
             The NHS board's cash office will check it next.\n"
        ),
    )
}

/// What was cut from an approved claim, line by line: the day, the kind, what was claimed and
/// paid, and why.
pub struct Cut {
    pub day: String,
    pub kind: &'static str,
    pub claimed: Money,
    pub approved: Money,
    pub reason: String,
}

pub fn claim_approved(
    recipient: &str,
    reference: &str,
    claimed: Money,
    approved: Money,
    cuts: &[Cut],
) -> NewEmail {
    let mut text = format!(
        "Your claim {reference} has been approved: £{approved} of the £{claimed} claimed will be \
         paid into your bank account in the next payment run.\n"
    );
    if !cuts.is_empty() {
        text.push_str("\nWhat was not paid in full, and why:\n");
        for cut in cuts {
            text.push_str(&format!(
                "  {} {}: claimed £{}, paid £{}. {}\n",
                cut.day, cut.kind, cut.claimed, cut.approved, cut.reason
            ));
        }
    }
    hello(
        "claim_approved",
        recipient,
        format!("Your claim {reference} has been approved"),
        &text,
    )
}

pub fn claim_rejected(recipient: &str, reference: &str, reason: &str) -> NewEmail {
    hello(
        "claim_rejected",
        recipient,
        format!("Your claim {reference} has not been approved"),
        &format!(
            "Your claim {reference} has not been approved.\n\nThe cash office's reason:\n  \
             {reason}\n\nIf you think this is wrong, reply to this email or call the cash \
             office.\n"
        ),
    )
}

pub fn claim_paid(recipient: &str, reference: &str, amount: Money, paid_on: &str) -> NewEmail {
    hello(
        "claim_paid",
        recipient,
        format!("Your claim {reference} has been paid"),
        &format!(
            "£{amount} for your claim {reference} was paid into your bank account on {paid_on}.\n"
        ),
    )
}

pub fn journey_answered(
    recipient: &str,
    kind: &str,
    day: &str,
    approved: bool,
    reason: Option<&str>,
) -> NewEmail {
    let (subject, text) = if approved {
        (
            format!("Your {kind} on {day} is approved"),
            format!(
                "Your {kind} on {day} is approved. Keep the receipt and add it to your claim with \
                 the journey.\n"
            ),
        )
    } else {
        (
            format!("Your {kind} on {day} is not approved"),
            format!(
                "Your {kind} on {day} is not approved, so it cannot be paid back.\n\nThe reason:\n  \
                 {}\n",
                reason.unwrap_or_default()
            ),
        )
    };
    hello("journey_answered", recipient, subject, &text)
}
