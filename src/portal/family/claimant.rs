//! The claimant's pages: registering, the family's stays, recording a stay, a claim written
//! line by line with a photo of each receipt, sending it, and the bank details it is paid to.

use actix_multipart::Multipart;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, web};
use askama::Template;

use super::views::{self, ListedClaim, boards, claim_page, stay_page};
use super::{Standing, day};
use crate::auth::model::NewAccount;
use crate::documents::model::{Owner, UploadFields};
use crate::domain::vocabulary::{DocumentKind, DocumentOwner, FundKind};
use crate::family::bank as family_bank;
use crate::family::claim_model::{ClaimInput, LineInput, PreApprovalInput};
use crate::family::stay_model::{ChildInput, DischargeInput, StayInput, WomanInput};
use crate::family::{claims, pre_approvals, setup, stays};
use crate::funds::service as funds;
use crate::http::upload::receive;
use crate::permissions::Action;
use crate::portal::bank::{BankDetailsPage, bank_input};
use crate::portal::form::{Choice, Form};
use crate::portal::session::{CSRF_FIELD, LimitedForm};
use crate::portal::{Layout, PageError, PageResult, Visitor, see_other};
use crate::usecases::accounts::register_claimant;
use crate::usecases::documents;
use crate::wire::paging::Page;

pub(super) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/family/register", web::get().to(register_page))
        .route("/family/register", web::post().to(register))
        .route("/family", web::get().to(home))
        .route("/family/stays/new", web::get().to(new_stay_page))
        .route("/family/stays/new", web::post().to(new_stay))
        .route("/family/stays/{id}/claims", web::post().to(start_claim))
        .route("/family/stays/{id}/journeys", web::post().to(ask_journey))
        .route("/family/stays/{id}/children", web::post().to(add_child))
        .route("/family/stays/{id}/discharge", web::post().to(discharge))
        .route("/family/claims/{id}/lines", web::post().to(add_line))
        .route(
            "/family/claims/{id}/lines/{index}/remove",
            web::post().to(remove_line),
        )
        .route("/family/claims/{id}/submit", web::post().to(submit))
        .route("/family/bank-details", web::get().to(bank_page))
        .route("/family/bank-details", web::post().to(bank_save));
    views::configure(cfg);
}

#[derive(Template)]
#[template(path = "portal/family/register.html")]
struct RegisterPage {
    layout: Layout,
    form: Form,
}

async fn register_page(v: Visitor) -> PageResult {
    Ok(v.page(&RegisterPage {
        layout: v.layout("Register to claim", "/family/register"),
        form: Form::new(),
    }))
}

async fn register(_write: LimitedForm, v: Visitor, body: web::Bytes) -> PageResult {
    let mut form = v.form(&body)?;
    let account = NewAccount {
        name: form.value("name").trim().to_owned(),
        email: form.value("email").trim().to_owned(),
        password: form.value("password").to_owned(),
    };
    match register_claimant(&v.state, account).await {
        Ok(user) => {
            v.sign_in(user.id, user.role, "/family/stays/new", false)
                .await
        }
        Err(error) => {
            let status = form.refused(error)?;
            form.label("name", "Your full name");
            form.label("email", "Your email address");
            form.label("password", "The password");
            Ok(v.with_status(
                status,
                &RegisterPage {
                    layout: v.layout("Register to claim", "/family/register"),
                    form,
                },
            ))
        }
    }
}

/// A stay in the claimant's list.
struct ListedStay {
    id: i64,
    reference: String,
    unit: String,
    admitted: String,
    standing: Standing,
    claims: Vec<ListedClaim>,
}

#[derive(Template)]
#[template(path = "portal/family/home.html")]
struct HomePage {
    layout: Layout,
    stays: Vec<ListedStay>,
    bank_missing: bool,
}

async fn home(v: Visitor) -> PageResult {
    let user = v.require(Action::ReadStays)?;
    if !user.is(crate::domain::vocabulary::Role::Claimant) {
        return Ok(see_other("/family/queue"));
    }
    let keyring = v.state.keyring.clone();
    let (stays, bank) = v
        .read(move |conn| {
            let stays = stays::list(conn, &keyring, &user)?;
            let mut listed = Vec::with_capacity(stays.len());
            for stay in stays {
                let claims = claims::of_stay(conn, &user, stay.id)?;
                listed.push((stay, claims));
            }
            let bank = family_bank::own(conn, &keyring, &user)?;
            Ok((listed, bank))
        })
        .await?;
    let stays = stays
        .into_iter()
        .map(|(stay, claims)| ListedStay {
            id: stay.id,
            reference: stay.reference.clone(),
            unit: stay.unit_name.clone(),
            admitted: day(stay.admitted_on),
            standing: Standing::of(&stay, None),
            claims: claims.iter().map(|c| ListedClaim::of(c, false)).collect(),
        })
        .collect();
    Ok(v.page(&HomePage {
        layout: v.layout("Your claims", "/family"),
        stays,
        bank_missing: bank.account_name.is_none(),
    }))
}

#[derive(Template)]
#[template(path = "portal/family/new_stay.html")]
struct NewStayPage {
    layout: Layout,
    form: Form,
    places: Vec<Choice>,
    boards: Vec<Choice>,
    children: [usize; 4],
}

/// Every ward of every unit of the family funds, as `unit:ward`: one choice, so the page
/// needs no script to offer only the chosen unit's wards.
async fn places(v: &Visitor) -> Result<Vec<Choice>, PageError> {
    let user = v.require(Action::Claim)?;
    let units = v
        .read(move |conn| {
            let all = Page {
                page: 1,
                per_page: 100,
            };
            let mut units = Vec::new();
            for fund in funds::list(conn, &user, all)?.items {
                if fund.kind == FundKind::FamilyExpenses {
                    units.extend(setup::units_of(conn, &user, fund.id)?);
                }
            }
            Ok(units)
        })
        .await?;
    let mut choices = vec![Choice::new("", "Choose the unit and ward")];
    for unit in units {
        for ward in &unit.wards {
            choices.push(Choice::new(
                format!("{}:{ward}", unit.id),
                format!("{}, {ward} ({})", unit.name, unit.health_board_name),
            ));
        }
    }
    Ok(choices)
}

async fn show_new_stay(v: &Visitor, form: Form, status: StatusCode) -> PageResult {
    let page = NewStayPage {
        layout: v.layout("Tell us about the stay", "/family"),
        form,
        places: places(v).await?,
        boards: boards(),
        children: [0, 1, 2, 3],
    };
    Ok(v.with_status(status, &page))
}

async fn new_stay_page(v: Visitor) -> PageResult {
    show_new_stay(&v, Form::new(), StatusCode::OK).await
}

async fn new_stay(v: Visitor, body: web::Bytes) -> PageResult {
    let user = v.require(Action::Claim)?;
    let mut form = v.form(&body)?;
    let (unit, ward) = form.value("place").split_once(':').unwrap_or(("", ""));
    let unit_id = unit.parse::<i64>().ok();
    let ward = ward.to_owned();
    let children: Vec<ChildInput> = (0..4)
        .map(|i| ChildInput {
            first_name: form
                .value(&format!("children[{i}].first_name"))
                .trim()
                .to_owned(),
            date_of_birth: form
                .value(&format!("children[{i}].date_of_birth"))
                .trim()
                .to_owned(),
        })
        .filter(|c| !c.first_name.is_empty() || !c.date_of_birth.is_empty())
        .collect();
    let input = StayInput {
        unit_id: unit_id.unwrap_or_default(),
        woman: WomanInput {
            name: form.value("woman.name").trim().to_owned(),
            date_of_birth: form.value("woman.date_of_birth").trim().to_owned(),
        },
        ward,
        consultant: form.value("consultant").trim().to_owned(),
        admitted_on: form.value("admitted_on").trim().to_owned(),
        discharged_on: form.optional("discharged_on"),
        home_board: form.value("home_board").to_owned(),
        children,
    };
    let keyring = v.state.keyring.clone();
    let created = v
        .change(&mut form, move |conn, now| {
            stays::create(conn, now, &keyring, &user, &input)
        })
        .await?;
    match created {
        Ok(stay) => Ok(see_other(&format!("/family/stays/{}?done=stay", stay.id))),
        Err(status) => {
            // The unit and the ward are one choice on the page, with one message.
            let chosen = unit_id.is_some();
            form.errors
                .retain(|e| chosen || (e.field != "unit_id" && e.field != "ward"));
            if !chosen {
                form.reject("place", "Choose the unit and ward she is in");
            }
            form.move_error("ward", "place");
            form.move_error("unit_id", "place");
            for (field, label) in [
                ("place", "The unit and ward"),
                ("woman.name", "Her full name"),
                ("woman.date_of_birth", "Her date of birth"),
                ("consultant", "Her consultant's name"),
                ("admitted_on", "The day she was admitted"),
                ("discharged_on", "The day she was discharged"),
                ("home_board", "The board you live in"),
            ] {
                form.label(field, label);
            }
            for i in 0..4 {
                form.label(
                    &format!("children[{i}].first_name"),
                    "The child's first name",
                );
                form.label(
                    &format!("children[{i}].date_of_birth"),
                    "The child's date of birth",
                );
            }
            show_new_stay(&v, form, status).await
        }
    }
}

async fn start_claim(v: Visitor, id: web::Path<i64>, body: web::Bytes) -> PageResult {
    let user = v.require(Action::Claim)?;
    let mut form = v.form(&body)?;
    let id = id.into_inner();
    let keyring = v.state.keyring.clone();
    let started = v
        .change(&mut form, move |conn, now| {
            claims::create(
                conn,
                now,
                &keyring,
                &user,
                id,
                &ClaimInput { lines: Vec::new() },
            )
        })
        .await?;
    match started {
        Ok(claim) => Ok(see_other(&format!("/family/claims/{}", claim.id))),
        Err(status) => stay_page(&v, id, form, status, None).await,
    }
}

async fn ask_journey(v: Visitor, id: web::Path<i64>, body: web::Bytes) -> PageResult {
    let user = v.require(Action::Claim)?;
    let mut form = v.form(&body)?;
    let id = id.into_inner();
    let input = PreApprovalInput {
        visitor_id: form.value("journey.visitor_id").parse().unwrap_or_default(),
        kind: form.value("journey.kind").to_owned(),
        journey_on: form.value("journey.journey_on").trim().to_owned(),
        details: form.value("journey.details").trim().to_owned(),
    };
    let asked = v
        .change(&mut form, move |conn, now| {
            pre_approvals::request(conn, now, &user, id, &input)
        })
        .await?;
    match asked {
        Ok(_) => Ok(see_other(&format!("/family/stays/{id}?done=journey"))),
        Err(status) => {
            form.prefix_errors("journey.");
            form.label("journey.visitor_id", "Who travels");
            form.label("journey.kind", "The kind of journey");
            form.label("journey.journey_on", "The day of the journey");
            form.label("journey.details", "Where from and to");
            stay_page(&v, id, form, status, None).await
        }
    }
}

async fn add_child(v: Visitor, id: web::Path<i64>, body: web::Bytes) -> PageResult {
    let user = v.require(Action::Claim)?;
    let mut form = v.form(&body)?;
    let id = id.into_inner();
    let input = ChildInput {
        first_name: form.value("child.first_name").trim().to_owned(),
        date_of_birth: form.value("child.date_of_birth").trim().to_owned(),
    };
    let keyring = v.state.keyring.clone();
    let added = v
        .change(&mut form, move |conn, now| {
            stays::add_child(conn, now, &keyring, &user, id, &input)
        })
        .await?;
    match added {
        Ok(_) => Ok(see_other(&format!("/family/stays/{id}?done=child"))),
        Err(status) => {
            form.prefix_errors("child.");
            form.label("child.first_name", "The child's first name");
            form.label("child.date_of_birth", "The child's date of birth");
            stay_page(&v, id, form, status, None).await
        }
    }
}

async fn discharge(v: Visitor, id: web::Path<i64>, body: web::Bytes) -> PageResult {
    let user = v.require(Action::Claim)?;
    let mut form = v.form(&body)?;
    let id = id.into_inner();
    let input = DischargeInput {
        discharged_on: form.value("discharged_on").trim().to_owned(),
    };
    let keyring = v.state.keyring.clone();
    let saved = v
        .change(&mut form, move |conn, now| {
            stays::discharge(conn, now, &keyring, &user, id, &input)
        })
        .await?;
    match saved {
        Ok(_) => Ok(see_other(&format!("/family/stays/{id}?done=discharge"))),
        Err(status) => {
            form.label("discharged_on", "The day she was discharged");
            stay_page(&v, id, form, status, None).await
        }
    }
}

/// The line the add-a-line form sent.
fn line_of(form: &Form, receipt: Option<i64>) -> LineInput {
    LineInput {
        visitor_id: form.value("visitor_id").parse().unwrap_or_default(),
        spent_on: form.value("spent_on").trim().to_owned(),
        kind: form.value("expense").to_owned(),
        miles: form.value("miles").trim().parse().ok(),
        together: form.value("together") == "yes",
        amount: form.optional_amount("amount"),
        description: form.optional("description"),
        receipt_document_id: receipt,
        pre_approval_id: form.value("pre_approval_id").parse().ok(),
    }
}

/// Adds a line to a draft: the receipt's photo, if one was chosen, is stored with the claim
/// first, then the draft saved with the line. A line refused keeps its receipt, so it is not
/// uploaded twice.
async fn add_line(
    v: Visitor,
    id: web::Path<i64>,
    req: HttpRequest,
    payload: Multipart,
) -> PageResult {
    let user = v.require(Action::Claim)?;
    v.from_own_pages()?;
    let id = id.into_inner();
    let owner = Owner {
        kind: DocumentOwner::Claim,
        id,
    };
    documents::may_attach(&v.state, &user, owner).await?;
    let limit = v.state.settings.max_upload_bytes;
    let mut form = Form::new();
    let upload = match receive(&req, payload, limit).await {
        Ok(upload) => upload,
        Err(error) => {
            form.refused(error)?;
            form.move_error("", "file");
            return claim_page(&v, id, form, StatusCode::UNPROCESSABLE_ENTITY, None, None).await;
        }
    };
    v.check_csrf(upload.other(CSRF_FIELD).unwrap_or_default())?;
    for (name, value) in &upload.other {
        form.set(name, value.clone());
    }
    let mut receipt = form.value("receipt_document_id").parse::<i64>().ok();
    if upload.file.is_some() {
        let fields = UploadFields {
            kind: Some(DocumentKind::Receipt.as_str().to_owned()),
            period_end: None,
        };
        match documents::attach(&v.state, &user, owner, fields, upload.file).await {
            Ok(document) => {
                receipt = Some(document.id);
                form.set("receipt_document_id", document.id.to_string());
            }
            Err(error) => {
                let status = form.refused(error)?;
                form.move_error("", "file");
                return claim_page(&v, id, form, status, None, None).await;
            }
        }
    }
    let line = line_of(&form, receipt);
    let keyring = v.state.keyring.clone();
    let reader = user.clone();
    let count = v
        .read(move |conn| Ok(claims::get(conn, &reader, id)?.lines.len()))
        .await?;
    let saved = v
        .change(&mut form, move |conn, now| {
            let claim = claims::get(conn, &user, id)?;
            let mut lines: Vec<LineInput> = claim.lines.iter().map(|l| l.as_input()).collect();
            lines.push(line);
            claims::save(conn, now, &keyring, &user, id, &ClaimInput { lines })
        })
        .await?;
    match saved {
        Ok(_) => Ok(see_other(&format!("/family/claims/{id}?done=line#lines"))),
        Err(status) => claim_page(&v, id, form, status, None, Some(count)).await,
    }
}

async fn remove_line(v: Visitor, path: web::Path<(i64, usize)>, body: web::Bytes) -> PageResult {
    let user = v.require(Action::Claim)?;
    let mut form = v.form(&body)?;
    let (id, index) = path.into_inner();
    let keyring = v.state.keyring.clone();
    let saved = v
        .change(&mut form, move |conn, now| {
            let claim = claims::get(conn, &user, id)?;
            let lines: Vec<LineInput> = claim
                .lines
                .iter()
                .enumerate()
                .filter(|(i, _)| *i != index)
                .map(|(_, l)| l.as_input())
                .collect();
            claims::save(conn, now, &keyring, &user, id, &ClaimInput { lines })
        })
        .await?;
    match saved {
        Ok(_) => Ok(see_other(&format!(
            "/family/claims/{id}?done=removed#lines"
        ))),
        Err(status) => claim_page(&v, id, form, status, None, None).await,
    }
}

async fn submit(v: Visitor, id: web::Path<i64>, body: web::Bytes) -> PageResult {
    let user = v.require(Action::Claim)?;
    let mut form = v.form(&body)?;
    let id = id.into_inner();
    let keyring = v.state.keyring.clone();
    let sent = v
        .change(&mut form, move |conn, now| {
            claims::submit(conn, now, &keyring, &user, id)
        })
        .await?;
    match sent {
        Ok(_) => Ok(see_other(&format!("/family/claims/{id}?done=sent"))),
        Err(status) => claim_page(&v, id, form, status, None, None).await,
    }
}

const BANK_PATH: &str = "/family/bank-details";

async fn show_bank(
    v: &Visitor,
    form: Form,
    status: StatusCode,
    notice: Option<&str>,
) -> PageResult {
    let user = v.require(Action::Claim)?;
    let keyring = v.state.keyring.clone();
    let details = v
        .read(move |conn| family_bank::own(conn, &keyring, &user))
        .await?;
    let mut layout = v.layout("Your bank details", "/family");
    layout.notice = notice.map(str::to_owned);
    Ok(v.with_status(
        status,
        &BankDetailsPage {
            layout,
            form,
            organisation_name: "Your family".to_owned(),
            details,
            action: BANK_PATH.to_owned(),
            verify_action: None,
            missing: "The fund holds no bank details for you, so it cannot pay your claims yet."
                .to_owned(),
            change_note: "A change holds every payment until the cash office has checked it, and \
                          you are told by email."
                .to_owned(),
        },
    ))
}

async fn bank_page(v: Visitor) -> PageResult {
    show_bank(&v, Form::new(), StatusCode::OK, None).await
}

async fn bank_save(v: Visitor, body: web::Bytes) -> PageResult {
    let user = v.require(Action::Claim)?;
    let mut form = v.form(&body)?;
    let input = bank_input(&form);
    let keyring = v.state.keyring.clone();
    let saved = v
        .change(&mut form, move |conn, now| {
            family_bank::set_own(conn, now, &keyring, &user, &input)
        })
        .await?;
    match saved {
        Ok(_) => {
            show_bank(
                &v,
                Form::new(),
                StatusCode::OK,
                Some("Your bank details are saved. Payments are held until the cash office has checked them."),
            )
            .await
        }
        Err(status) => show_bank(&v, form, status, None).await,
    }
}
