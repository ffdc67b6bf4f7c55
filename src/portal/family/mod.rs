//! The family fund's pages: a claimant records the stay and claims day by day from a phone;
//! the unit's clinicians certify and answer taxi requests; the board's cash office checks,
//! approves line by line, answers flight requests and confirms bank details. Every page is one
//! column, works without JavaScript and calls the same service functions as the API.

mod claimant;
mod staff;
mod views;

use actix_web::web;

use crate::domain::Money;
use crate::domain::vocabulary::{ClaimLineKind, ClaimStatus};
use crate::family::claim_model::{Claim, ClaimLine};
use crate::family::stay_model::{Stay, StayVisitor};
use crate::portal::form::Form;
use crate::portal::pounds;

pub fn configure(cfg: &mut web::ServiceConfig) {
    claimant::configure(cfg);
    staff::configure(cfg);
}

/// A claim's line as its pages show it: the day, who, what and how much, and, once checked,
/// what it pays and why.
pub struct ShownLine {
    pub index: usize,
    pub day: String,
    pub person: String,
    pub what: String,
    pub claimed: String,
    pub receipt_document_id: Option<i64>,
    pub outcome: Option<&'static str>,
    pub approved: Option<String>,
    pub reason: Option<String>,
    /// The line's id, for the cash office's decision on it.
    pub id: i64,
}

/// Who a visitor is, in words: the claimant's name, or a child's first name.
fn person(visitors: &[StayVisitor], id: i64) -> String {
    visitors
        .iter()
        .find(|v| v.id == id)
        .and_then(|v| v.name.clone())
        .unwrap_or_else(|| "Someone no longer named".to_owned())
}

/// What a line is for, in words: "Car, 46 miles, travelling together".
fn what(line: &ClaimLine) -> String {
    let mut text = line.kind.label().to_owned();
    if line.kind == ClaimLineKind::Car
        && let Some(miles) = line.miles
    {
        text.push_str(&format!(", {miles} miles"));
        if line.together {
            text.push_str(", travelling together");
        }
    }
    if !line.description.is_empty() {
        text.push_str(": ");
        text.push_str(&line.description);
    }
    text
}

fn day(date: chrono::NaiveDate) -> String {
    date.format("%-d %B %Y").to_string()
}

/// The lines of `claim`, in order, as its pages show them.
fn shown_lines(claim: &Claim, stay: &Stay) -> Vec<ShownLine> {
    claim
        .lines
        .iter()
        .enumerate()
        .map(|(index, line)| ShownLine {
            index,
            day: day(line.spent_on),
            person: person(&stay.visitors, line.visitor_id),
            what: what(line),
            claimed: pounds(&line.amount),
            receipt_document_id: line.receipt_document_id,
            outcome: line.outcome.map(|o| match o.as_str() {
                "full" => "Paid in full",
                "part" => "Paid in part",
                "none" => "Not paid",
                _ => "Outside the certified dates",
            }),
            approved: line.approved.as_ref().map(pounds),
            reason: line.outcome_reason.clone(),
            id: line.id,
        })
        .collect()
}

/// Where a claim stands, in the words its family reads, or, for `staff`, in the words of
/// whoever acts next.
pub fn claim_status_words(status: ClaimStatus, staff: bool) -> &'static str {
    match (status, staff) {
        (ClaimStatus::Draft, _) => "Not sent yet",
        (ClaimStatus::Submitted, false) => "Waiting for the unit to confirm the dates",
        (ClaimStatus::Submitted, true) => "Waiting for the unit to certify the dates",
        (ClaimStatus::Certified, false) => "Being checked by the cash office",
        (ClaimStatus::Certified, true) => "Certified: waiting for the cash office's check",
        (ClaimStatus::Approved, _) => "Approved, waiting for payment",
        (ClaimStatus::Rejected, _) => "Not approved",
        // A referral is not explained to the family: to them the claim is still being checked.
        (ClaimStatus::Referred, false) => "Being checked by the cash office",
        (ClaimStatus::Referred, true) => "Referred to counter fraud",
        (ClaimStatus::Paid, _) => "Paid",
    }
}

/// The colour of a claim's tag.
pub fn claim_colour(status: ClaimStatus) -> &'static str {
    match status {
        ClaimStatus::Draft => "yellow",
        ClaimStatus::Submitted | ClaimStatus::Certified | ClaimStatus::Referred => "blue",
        ClaimStatus::Approved | ClaimStatus::Paid => "green",
        ClaimStatus::Rejected => "red",
    }
}

/// The service names a claim's line by its place (`lines[2].receipt_document_id`); its pages
/// say which line, in words: "Line 3, taxi on 12 May 2024: attach the receipt". Errors about
/// the claim as a whole keep their words. Errors about the line at `new_line`, the one being
/// added, go beside its inputs instead.
fn line_errors(form: &mut Form, claim: &Claim, new_line: Option<usize>) {
    for error in &mut form.errors {
        let Some(rest) = error.field.strip_prefix("lines[") else {
            if error.field == "lines" {
                error.field.clear();
                error.message = capitalised(&error.message);
            }
            continue;
        };
        let Some((index, field)) = rest.split_once("].") else {
            continue;
        };
        let Ok(index) = index.parse::<usize>() else {
            continue;
        };
        let noun = match field {
            "spent_on" => "The date",
            "visitor_id" => "The person",
            "miles" => "The miles",
            "amount" => "The amount",
            "receipt_document_id" => "The receipt",
            "pre_approval_id" => "The approved journey",
            "description" => "The description",
            _ => "The line",
        };
        let message = if error.message.starts_with("is ") || error.message.starts_with("must ") {
            format!("{noun} {}", error.message)
        } else {
            capitalised(&error.message)
        };
        if Some(index) == new_line {
            error.field = match field {
                "kind" => "expense".to_owned(),
                "receipt_document_id" => "file".to_owned(),
                other => other.to_owned(),
            };
            error.message = message;
        } else {
            let about = claim
                .lines
                .get(index)
                .map(|l| format!(", {} on {}", l.kind.label().to_lowercase(), day(l.spent_on)))
                .unwrap_or_default();
            error.field = format!("line-{index}");
            error.message = format!("Line {}{about}: {}", index + 1, lowered(&message));
        }
    }
}

fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

fn lowered(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// Where a family stands against the stay's cap, with this claim counted in.
pub struct Standing {
    pub cap: String,
    pub approved: String,
    pub pending: String,
    pub this_claim: String,
    /// What is left once this claim and those waiting are approved in full; never below zero.
    pub left: String,
    /// By how much this claim goes past what is left, if it does.
    pub over: Option<String>,
}

impl Standing {
    /// The standing of `stay`, with `draft` (a claim not yet sent) counted in.
    fn of(stay: &Stay, draft: Option<Money>) -> Standing {
        let this = draft.unwrap_or(Money::ZERO);
        let left = stay.remaining.pence() - this.pence();
        let shown = |pence: i64| pounds(&Money::from_pence(pence).unwrap_or(Money::ZERO));
        Standing {
            cap: pounds(&stay.cap),
            approved: pounds(&stay.approved),
            pending: pounds(&stay.pending),
            this_claim: pounds(&this),
            left: shown(left.max(0)),
            over: (left < 0).then(|| shown(-left)),
        }
    }
}
