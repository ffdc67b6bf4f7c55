//! A stay's page and a claim's page, for everyone who may see them: the claimant writes and
//! follows, the unit's clinician certifies, the board's cash office checks. Each sees the forms
//! of their own part and no other.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;

use super::{ShownLine, Standing, claim_colour, claim_status_words, day, line_errors, person};
use crate::domain::vocabulary::{
    ClaimLineKind, ClaimStatus, HealthBoard, PreApprovalKind, PreApprovalStatus, Role,
};
use crate::family::bank as family_bank;
use crate::family::claim_model::{Claim, PreApproval};
use crate::family::stay_model::Stay;
use crate::family::{claims, pre_approvals, stays};
use crate::organisations::bank::BankDetails;
use crate::permissions::Action;
use crate::portal::form::{Choice, Form};
use crate::portal::{Layout, PageError, Visitor, pounds};

/// A claim in a list: its reference, where it stands and what it claims.
pub struct ListedClaim {
    pub id: i64,
    pub reference: String,
    pub status: &'static str,
    pub colour: &'static str,
    pub claimed: String,
    pub approved: Option<String>,
    pub lines: usize,
    pub sent: Option<String>,
}

impl ListedClaim {
    /// The claim as its family (`staff` false) or the fund's staff see it listed.
    pub fn of(c: &Claim, staff: bool) -> ListedClaim {
        ListedClaim {
            id: c.id,
            reference: c.reference.clone(),
            status: claim_status_words(c.status, staff),
            colour: claim_colour(c.status),
            claimed: pounds(&c.claimed),
            approved: c.approved.as_ref().map(pounds),
            lines: c.lines.len(),
            sent: c.submitted_at.map(|at| day(at.date_naive())),
        }
    }
}

/// A journey's request as the pages list it.
pub struct ListedJourney {
    pub id: i64,
    pub stay_id: i64,
    pub what: &'static str,
    pub on: String,
    pub person: String,
    pub details: String,
    pub status: &'static str,
    pub colour: &'static str,
    pub reason: Option<String>,
}

impl ListedJourney {
    pub fn of(p: &PreApproval, who: String) -> ListedJourney {
        let (status, colour) = match p.status {
            PreApprovalStatus::Requested => ("Waiting for an answer", "blue"),
            PreApprovalStatus::Approved => ("Approved", "green"),
            PreApprovalStatus::Refused => ("Refused", "red"),
        };
        ListedJourney {
            id: p.id,
            stay_id: p.stay_id,
            what: match p.kind {
                PreApprovalKind::Taxi => "Taxi",
                PreApprovalKind::Flight => "Flight",
            },
            on: day(p.journey_on),
            person: who,
            details: p.details.clone(),
            status,
            colour,
            reason: p.reason.clone(),
        }
    }
}

#[derive(Template)]
#[template(path = "portal/family/stay.html")]
pub(super) struct StayPage {
    pub layout: Layout,
    pub form: Form,
    pub stay: Stay,
    pub standing: Standing,
    pub claims: Vec<ListedClaim>,
    pub journeys: Vec<ListedJourney>,
    pub people: Vec<Choice>,
    pub journey_kinds: Vec<Choice>,
    pub is_claimant: bool,
    pub home_board: &'static str,
}

/// The stay's page, with `form` for the claimant's forms on it.
pub(super) async fn stay_page(
    v: &Visitor,
    id: i64,
    form: Form,
    status: StatusCode,
    notice: Option<&str>,
) -> Result<HttpResponse, PageError> {
    let user = v.require(Action::ReadStays)?;
    let keyring = v.state.keyring.clone();
    let (stay, claims, journeys) = v
        .read(move |conn| {
            let stay = stays::get(conn, &keyring, &user, id)?;
            let claims = claims::of_stay(conn, &user, id)?;
            let journeys = pre_approvals::of_stay(conn, &user, id)?;
            Ok((stay, claims, journeys))
        })
        .await?;
    let is_claimant = v.user.as_ref().is_some_and(|u| u.is(Role::Claimant));
    let title = format!("Stay {}", stay.reference);
    let mut layout = v.layout(title, "/family");
    layout.notice = notice.map(str::to_owned);
    let page = StayPage {
        layout,
        form,
        standing: Standing::of(&stay, None),
        claims: claims
            .iter()
            .map(|c| ListedClaim::of(c, !is_claimant))
            .collect(),
        journeys: journeys
            .iter()
            .map(|p| ListedJourney::of(p, person(&stay.visitors, p.visitor_id)))
            .collect(),
        people: people(&stay),
        journey_kinds: vec![Choice::new("taxi", "Taxi"), Choice::new("flight", "Flight")],
        is_claimant,
        home_board: stay.home_board.name(),
        stay,
    };
    Ok(v.with_status(status, &page))
}

/// The stay's visitors, to choose who a line or a journey is for.
pub(super) fn people(stay: &Stay) -> Vec<Choice> {
    stay.visitors
        .iter()
        .map(|v| Choice::new(v.id.to_string(), v.name.clone().unwrap_or_default()))
        .collect()
}

#[derive(Template)]
#[template(path = "portal/family/claim.html")]
pub(super) struct ClaimPage {
    pub layout: Layout,
    pub form: Form,
    pub claim: Claim,
    pub stay: Stay,
    pub lines: Vec<ShownLine>,
    pub standing: Standing,
    pub status: &'static str,
    pub colour: &'static str,
    pub people: Vec<Choice>,
    pub kinds: Vec<Choice>,
    pub journeys: Vec<Choice>,
    /// The claimant may add and remove lines, and send the claim.
    pub editable: bool,
    /// A clinician of the unit may certify it.
    pub certifiable: bool,
    /// The board's cash office may decide it.
    pub checkable: bool,
    /// The claimant's bank details, for the cash office.
    pub bank: Option<BankDetails>,
    pub resident: Option<String>,
    pub decided: Option<String>,
}

impl ClaimPage {
    /// The value of a line's decision input, as sent or as first shown.
    pub fn decision(&self, id: &i64, field: &str) -> String {
        let name = format!("{field}-{id}");
        match self.form.value(&name) {
            "" if field == "outcome" => "full".to_owned(),
            value => value.to_owned(),
        }
    }

    pub fn decision_error(&self, id: &i64, field: &str) -> Option<String> {
        self.form.error(&format!("{field}-{id}"))
    }

    pub fn line_error(&self, index: &usize) -> Option<String> {
        self.form.error(&format!("line-{index}"))
    }
}

/// The claim's page. `new_line` is the index of a line the claimant was adding, whose errors
/// go beside the inputs.
pub(super) async fn claim_page(
    v: &Visitor,
    id: i64,
    mut form: Form,
    status: StatusCode,
    notice: Option<&str>,
    new_line: Option<usize>,
) -> Result<HttpResponse, PageError> {
    let user = v.require(Action::ReadStays)?;
    let keyring = v.state.keyring.clone();
    let role = user.role;
    let (claim, stay, journeys, bank) = v
        .read(move |conn| {
            let claim = claims::get(conn, &user, id)?;
            let stay = stays::get(conn, &keyring, &user, claim.stay_id)?;
            let journeys = if user.is(Role::Claimant) {
                pre_approvals::of_stay(conn, &user, stay.id)?
            } else {
                Vec::new()
            };
            let bank = if user.is(Role::CashOffice) {
                Some(family_bank::of_claimant(
                    conn,
                    &keyring,
                    &user,
                    stay.claimant_id,
                )?)
            } else {
                None
            };
            Ok((claim, stay, journeys, bank))
        })
        .await?;
    line_errors(&mut form, &claim, new_line);
    let editable = role == Role::Claimant && claim.status == ClaimStatus::Draft;
    if editable && form.value("spent_on").is_empty() {
        form.set("spent_on", v.state.clock.now_naive().date().to_string());
    }
    let certifiable = role == Role::Clinician && claim.status == ClaimStatus::Submitted;
    if certifiable && form.value("resident_from").is_empty() {
        let days = claim.lines.iter().map(|l| l.spent_on);
        if let (Some(first), Some(last)) = (days.clone().min(), days.max()) {
            form.set("resident_from", first.to_string());
            form.set("resident_to", last.to_string());
        }
    }
    let approved: Vec<Choice> = journeys
        .iter()
        .filter(|p| p.status == PreApprovalStatus::Approved)
        .map(|p| {
            let what = match p.kind {
                PreApprovalKind::Taxi => "Taxi",
                PreApprovalKind::Flight => "Flight",
            };
            let who = person(&stay.visitors, p.visitor_id);
            Choice::new(
                p.id.to_string(),
                format!("{what} on {}, {who}", day(p.journey_on)),
            )
        })
        .collect();
    let mut journeys = Vec::new();
    if !approved.is_empty() {
        journeys.push(Choice::new("", "None"));
        journeys.extend(approved);
    }
    let mut layout = v.layout(format!("Claim {}", claim.reference), "/family");
    layout.notice = notice.map(str::to_owned);
    let draft = (claim.status == ClaimStatus::Draft).then_some(claim.claimed);
    let page = ClaimPage {
        layout,
        form,
        lines: super::shown_lines(&claim, &stay),
        standing: Standing::of(&stay, draft),
        status: claim_status_words(claim.status, role != Role::Claimant),
        colour: claim_colour(claim.status),
        people: people(&stay),
        kinds: ClaimLineKind::ALL
            .iter()
            .map(|k| Choice::new(k.as_str(), k.label()))
            .collect(),
        journeys,
        editable,
        certifiable,
        checkable: role == Role::CashOffice && claim.status == ClaimStatus::Certified,
        bank,
        resident: match (claim.resident_from, claim.resident_to) {
            (Some(from), Some(to)) => Some(format!("{} to {}", day(from), day(to))),
            _ => None,
        },
        decided: claim.decided_at.map(|at| day(at.date_naive())),
        claim,
        stay,
    };
    Ok(v.with_status(status, &page))
}

/// The boards a family may live in, to choose from.
pub(super) fn boards() -> Vec<Choice> {
    let mut choices = vec![Choice::new("", "Choose the board")];
    choices.extend(
        HealthBoard::ALL
            .iter()
            .map(|b| Choice::new(b.as_str(), b.name())),
    );
    choices
}

pub(super) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/family/stays/{id}", web::get().to(stay))
        .route("/family/claims/{id}", web::get().to(claim));
}

#[derive(serde::Deserialize)]
pub(super) struct Done {
    done: Option<String>,
}

/// What the step before did, in words, from `?done=`.
fn said(done: &Done) -> Option<&'static str> {
    Some(match done.done.as_deref()? {
        "stay" => "Your stay is recorded. Start a claim when you have costs to claim.",
        "journey" => "Your request is sent. You will get an email with the answer.",
        "child" => "The child is added.",
        "discharge" => "The discharge date is saved.",
        "line" => "The line is added.",
        "removed" => "The line is removed.",
        "sent" => "Your claim is sent. You will get an email at each step.",
        "certified" => "The dates are certified. The claim goes to the cash office.",
        "approved" => "The claim is approved. The family is told by email what it will be paid.",
        "rejected" => "The claim is rejected. The family is told by email why.",
        "referred" => "The claim is referred to counter fraud. The family is not told.",
        "verified" => "The bank details are confirmed.",
        _ => return None,
    })
}

async fn stay(
    v: Visitor,
    id: web::Path<i64>,
    done: web::Query<Done>,
) -> Result<HttpResponse, PageError> {
    stay_page(
        &v,
        id.into_inner(),
        Form::new(),
        StatusCode::OK,
        said(&done),
    )
    .await
}

async fn claim(
    v: Visitor,
    id: web::Path<i64>,
    done: web::Query<Done>,
) -> Result<HttpResponse, PageError> {
    claim_page(
        &v,
        id.into_inner(),
        Form::new(),
        StatusCode::OK,
        said(&done),
        None,
    )
    .await
}
