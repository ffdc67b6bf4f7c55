//! Pages for charities: the organisation's details, applications, award offers, monitoring
//! returns, feedback links and the families' feedback.

use std::collections::BTreeMap;

use actix_web::http::StatusCode;
use actix_web::web;
use askama::Template;

use super::form::{Choice, Form};
use super::public::{LIST, board_choices, organisation_input};
use super::{Layout, PageError, PageResult, Visitor, pounds, see_other};
use crate::applications::model::{Application, ApplicationPatch, NewApplication, Reach};
use crate::applications::service::{self as applications, ApplicationFilter};
use crate::awards::model::Award;
use crate::awards::offer;
use crate::awards::reading::{self as awards, AwardFilter};
use crate::caller::CurrentUser;
use crate::domain::vocabulary::{ApplicationStatus, AwardStatus, SupportType, TargetGroup};
use crate::error::{ApiError, ErrorCode};
use crate::feedback::model::{AwardFeedback, FeedbackLink, NewFeedbackLink};
use crate::feedback::service as feedback;
use crate::monitoring::model::{MonitoringReturn, Reached, ReturnPatch};
use crate::monitoring::service::{self as monitoring, ReturnFilter};
use crate::organisations::model::{Organisation, OrganisationPatch};
use crate::organisations::service as organisations;
use crate::permissions::Action;
use crate::rounds::model::Round;
use crate::rounds::service as rounds;
use crate::usecases::grant_cycle;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/organisation", web::get().to(organisation_page))
        .route("/organisation", web::post().to(organisation_save))
        .route("/rounds/{id}/apply", web::get().to(new_application))
        .route("/rounds/{id}/apply", web::post().to(create_application))
        .route("/applications", web::get().to(application_list))
        .route("/applications/{id}", web::get().to(application_page))
        .route("/applications/{id}", web::post().to(application_save))
        .route("/applications/{id}/withdraw", web::post().to(withdraw))
        .route("/awards", web::get().to(award_list))
        .route("/awards/{id}", web::get().to(award_page))
        .route("/awards/{id}/respond", web::post().to(respond_to_offer))
        .route("/awards/{id}/links", web::post().to(create_link))
        .route("/returns/{id}", web::get().to(return_page))
        .route("/returns/{id}", web::post().to(return_save));
}

fn organisation_id(user: &CurrentUser) -> Result<i64, PageError> {
    user.organisation_id
        .ok_or_else(|| ApiError::Forbidden.into())
}

#[derive(Template)]
#[template(path = "portal/organisation.html")]
struct OrganisationPage {
    layout: Layout,
    form: Form,
    organisation: Organisation,
}

fn organisation_form(organisation: &Organisation) -> Form {
    let mut form = Form::new();
    let p = "organisation.";
    form.set(&format!("{p}name"), organisation.name.clone());
    form.set(&format!("{p}type"), organisation.organisation_type.as_str());
    form.set(
        &format!("{p}charity_number"),
        organisation.charity_number.clone().unwrap_or_default(),
    );
    form.set(
        &format!("{p}company_number"),
        organisation.company_number.clone().unwrap_or_default(),
    );
    form.set(
        &format!("{p}annual_income"),
        organisation.annual_income.to_string(),
    );
    form.set(
        &format!("{p}address"),
        organisation.address.clone().unwrap_or_default(),
    );
    form.set(&format!("{p}postcode"), organisation.postcode.clone());
    for board in &organisation.health_boards {
        form.add(&format!("{p}health_boards"), board.as_str());
    }
    form.set(
        &format!("{p}website"),
        organisation.website.clone().unwrap_or_default(),
    );
    form.set(
        &format!("{p}contact_email"),
        organisation.contact_email.clone().unwrap_or_default(),
    );
    if organisation.listed_in_directory {
        form.set(&format!("{p}listed_in_directory"), "true");
    }
    form
}

async fn organisation_page(v: Visitor) -> PageResult {
    let user = v.require_for_organisation(Action::EditOrganisation)?;
    let id = organisation_id(&user)?;
    let organisation = v
        .read(move |conn| organisations::get(conn, &user, id))
        .await?;
    Ok(v.page(&OrganisationPage {
        layout: v.layout("Your organisation", "/organisation"),
        form: organisation_form(&organisation),
        organisation,
    }))
}

async fn organisation_save(v: Visitor, body: web::Bytes) -> PageResult {
    let user = v.require_for_organisation(Action::EditOrganisation)?;
    let id = organisation_id(&user)?;
    let mut form = v.form(&body)?;
    let input = organisation_input(&form, "organisation.");
    let patch = OrganisationPatch {
        name: Some(input.name),
        organisation_type: Some(input.organisation_type),
        charity_number: Some(input.charity_number),
        company_number: Some(input.company_number),
        annual_income: Some(input.annual_income),
        address: Some(input.address),
        postcode: Some(input.postcode),
        health_boards: Some(input.health_boards),
        website: Some(input.website),
        contact_email: Some(input.contact_email),
        listed_in_directory: Some(input.listed_in_directory),
    };
    let actor = user.clone();
    let saved = v
        .change(&mut form, move |conn, now| {
            organisations::update(conn, now, &actor, id, patch)
        })
        .await?;
    let (status, organisation) = match saved {
        Ok(organisation) => {
            let mut layout = v.layout("Your organisation", "/organisation");
            layout.notice = Some("Your organisation's details are saved.".to_owned());
            return Ok(v.page(&OrganisationPage {
                layout,
                form: organisation_form(&organisation),
                organisation,
            }));
        }
        Err(status) => {
            // The form names the organisation's fields as registration does.
            form.prefix_errors("organisation.");
            let organisation = v
                .read(move |conn| organisations::get(conn, &user, id))
                .await?;
            (status, organisation)
        }
    };
    Ok(v.with_status(
        status,
        &OrganisationPage {
            layout: v.layout("Your organisation", "/organisation"),
            form,
            organisation,
        },
    ))
}

#[derive(Template)]
#[template(path = "portal/application_form.html")]
struct ApplicationForm {
    layout: Layout,
    form: Form,
    round: Round,
    action: String,
    application: Option<Application>,
    target_groups: Vec<Choice>,
    boards: Vec<Choice>,
    support_types: Vec<Choice>,
}

impl ApplicationForm {
    fn new(v: &Visitor, mut form: Form, round: Round, application: Option<Application>) -> Self {
        // The request is one input per year: a rule about the whole request is shown at the
        // first year's.
        if let Some(first) = round.financial_years.first() {
            form.move_error("requested", &format!("requested.{first}"));
        }
        let action = match &application {
            Some(a) => format!("/applications/{}", a.id),
            None => format!("/rounds/{}/apply", round.id),
        };
        ApplicationForm {
            layout: v.layout(
                match &application {
                    Some(a) => a.title.clone(),
                    None => format!("Apply to {}", round.name),
                },
                "/applications",
            ),
            form,
            round,
            action,
            application,
            target_groups: Choice::all(TargetGroup::ALL),
            boards: board_choices(),
            support_types: Choice::all(SupportType::ALL),
        }
    }
}

/// The reach fields of the application form.
const REACH: [(&str, &str); 4] = [
    ("women", "Women and birthing parents"),
    ("partners", "Fathers and partners"),
    ("infants", "Infants"),
    ("families", "Families"),
];

/// A count typed into a field, or the form's error.
fn count(form: &mut Form, name: &str) -> Option<i64> {
    form.whole_number(name, "Enter a whole number, like 120")
}

/// What the application form says, in the API's words.
fn application_input(form: &mut Form, round: &Round) -> NewApplication {
    let mut requested = BTreeMap::new();
    for year in &round.financial_years {
        let name = format!("requested.{year}");
        if let Some(amount) = form.optional_amount(&name) {
            requested.insert(year.to_string(), amount);
        }
    }
    let reach = Reach {
        women: count(form, "expected_reach.women"),
        partners: count(form, "expected_reach.partners"),
        infants: count(form, "expected_reach.infants"),
        families: count(form, "expected_reach.families"),
    };
    NewApplication {
        title: form.value("title").to_owned(),
        summary: form.optional("summary"),
        description: form.optional("description"),
        requested: Some(requested),
        target_groups: Some(form.all("target_groups")),
        health_boards: Some(form.all("health_boards")),
        support_types: Some(form.all("support_types")),
        peer_support: match form.value("peer_support") {
            "yes" => Some(true),
            "no" => Some(false),
            _ => None,
        },
        expected_reach: Some(reach),
        equality_impact: form.optional("equality_impact"),
    }
}

fn application_form(application: &Application) -> Form {
    let mut form = Form::new();
    form.set("title", application.title.clone());
    form.set("summary", application.summary.clone().unwrap_or_default());
    form.set(
        "description",
        application.description.clone().unwrap_or_default(),
    );
    for (year, amount) in &application.requested {
        form.set(&format!("requested.{year}"), amount.to_string());
    }
    for group in &application.target_groups {
        form.add("target_groups", group.as_str());
    }
    for board in &application.health_boards {
        form.add("health_boards", board.as_str());
    }
    for kind in &application.support_types {
        form.add("support_types", kind.as_str());
    }
    match application.peer_support {
        Some(true) => form.set("peer_support", "yes"),
        Some(false) => form.set("peer_support", "no"),
        None => {}
    }
    let reach = &application.expected_reach;
    for (name, value) in [
        ("women", reach.women),
        ("partners", reach.partners),
        ("infants", reach.infants),
        ("families", reach.families),
    ] {
        if let Some(n) = value {
            form.set(&format!("expected_reach.{name}"), n.to_string());
        }
    }
    form.set(
        "equality_impact",
        application.equality_impact.clone().unwrap_or_default(),
    );
    form
}

async fn load_round(v: &Visitor, id: i64) -> Result<Round, ApiError> {
    let now = v.state.clock.now_naive();
    let viewer = v.user.clone();
    v.read(move |conn| rounds::get(conn, now, viewer.as_ref(), id))
        .await
}

async fn new_application(v: Visitor, id: web::Path<i64>) -> PageResult {
    v.require_for_organisation(Action::Apply)?;
    let round = load_round(&v, id.into_inner()).await?;
    Ok(v.page(&ApplicationForm::new(&v, Form::new(), round, None)))
}

async fn create_application(v: Visitor, id: web::Path<i64>, body: web::Bytes) -> PageResult {
    let user = v.require_for_organisation(Action::Apply)?;
    let mut form = v.form(&body)?;
    let round = load_round(&v, id.into_inner()).await?;
    let input = application_input(&mut form, &round);
    let submit = form.value("action") == "submit";
    let status = if form.failed() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        let round_id = round.id;
        let created = v
            .change(&mut form, move |conn, now| {
                applications::create(conn, now, &user, round_id, input)
            })
            .await?;
        match created {
            Ok(application) if submit => {
                return submit_application(&v, form, round, application).await;
            }
            Ok(application) => {
                return Ok(see_other(&format!(
                    "/applications/{}?saved=1",
                    application.id
                )));
            }
            Err(status) => status,
        }
    };
    Ok(v.with_status(status, &ApplicationForm::new(&v, form, round, None)))
}

/// Submits a saved draft; the rules a submission must pass are shown next to their fields.
async fn submit_application(
    v: &Visitor,
    mut form: Form,
    round: Round,
    application: Application,
) -> PageResult {
    let user = v.require_for_organisation(Action::EditApplication)?;
    let id = application.id;
    let submitted = v
        .change(&mut form, move |conn, now| {
            applications::submit(conn, now, &user, id)
        })
        .await?;
    match submitted {
        Ok(_) => Ok(see_other(&format!("/applications/{id}?submitted=1"))),
        Err(status) => Ok(v.with_status(
            status,
            &ApplicationForm::new(v, form, round, Some(application)),
        )),
    }
}

#[derive(Template)]
#[template(path = "portal/applications.html")]
struct Applications {
    layout: Layout,
    applications: Vec<Application>,
}

async fn application_list(v: Visitor) -> PageResult {
    let user = v.require_for_organisation(Action::ListApplications)?;
    let filter = ApplicationFilter {
        round_id: None,
        status: None,
        organisation_id: None,
    };
    let list = v
        .read(move |conn| applications::list(conn, &user, &filter, LIST))
        .await?;
    Ok(v.page(&Applications {
        layout: v.layout("Your applications", "/applications"),
        applications: list.items,
    }))
}

#[derive(Template)]
#[template(path = "portal/application.html")]
struct ApplicationView {
    layout: Layout,
    application: Application,
    total: String,
}

#[derive(serde::Deserialize)]
struct Done {
    saved: Option<String>,
    submitted: Option<String>,
}

async fn application_page(v: Visitor, id: web::Path<i64>, done: web::Query<Done>) -> PageResult {
    let user = v.require_for_organisation(Action::ReadApplication)?;
    let id = id.into_inner();
    let application = v
        .read(move |conn| applications::get(conn, &user, id))
        .await?;
    if application.status == ApplicationStatus::Draft {
        let round = load_round(&v, application.round_id).await?;
        let mut page =
            ApplicationForm::new(&v, application_form(&application), round, Some(application));
        if done.saved.is_some() {
            page.layout.notice = Some("Your draft is saved.".to_owned());
        }
        return Ok(v.page(&page));
    }
    let mut layout = v.layout(application.title.clone(), "/applications");
    if done.submitted.is_some() {
        layout.notice = Some("Your application is submitted.".to_owned());
    }
    Ok(v.page(&ApplicationView {
        layout,
        total: pounds(&application.total_requested),
        application,
    }))
}

async fn application_save(v: Visitor, id: web::Path<i64>, body: web::Bytes) -> PageResult {
    let user = v.require_for_organisation(Action::EditApplication)?;
    let id = id.into_inner();
    let mut form = v.form(&body)?;
    let reader = user.clone();
    let application = v
        .read(move |conn| applications::get(conn, &reader, id))
        .await?;
    let round = load_round(&v, application.round_id).await?;
    let input = application_input(&mut form, &round);
    if form.failed() {
        return Ok(v.with_status(
            StatusCode::UNPROCESSABLE_ENTITY,
            &ApplicationForm::new(&v, form, round, Some(application)),
        ));
    }
    let patch = ApplicationPatch {
        title: Some(input.title),
        summary: input.summary.or(Some(String::new())),
        description: input.description.or(Some(String::new())),
        requested: input.requested,
        target_groups: input.target_groups,
        health_boards: input.health_boards,
        support_types: input.support_types,
        peer_support: input.peer_support,
        expected_reach: input.expected_reach,
        equality_impact: input.equality_impact.or(Some(String::new())),
    };
    let updated = v
        .change(&mut form, move |conn, now| {
            applications::update(conn, now, &user, id, patch)
        })
        .await?;
    match updated {
        Ok(application) if form.value("action") == "submit" => {
            submit_application(&v, form, round, application).await
        }
        Ok(_) => Ok(see_other(&format!("/applications/{id}?saved=1"))),
        Err(status) => Ok(v.with_status(
            status,
            &ApplicationForm::new(&v, form, round, Some(application)),
        )),
    }
}

async fn withdraw(v: Visitor, id: web::Path<i64>, body: web::Bytes) -> PageResult {
    let user = v.require_for_organisation(Action::EditApplication)?;
    v.form(&body)?;
    let id = id.into_inner();
    let now = v.state.clock.now_naive();
    v.read(move |conn| applications::withdraw(conn, now, &user, id))
        .await?;
    Ok(see_other(&format!("/applications/{id}")))
}

#[derive(Template)]
#[template(path = "portal/awards.html")]
struct Awards {
    layout: Layout,
    awards: Vec<Award>,
}

async fn award_list(v: Visitor) -> PageResult {
    let user = v.require_for_organisation(Action::ReadAwards)?;
    let filter = AwardFilter {
        fund_id: None,
        financial_year: None,
        status: None,
        organisation_id: None,
    };
    let list = v
        .read(move |conn| awards::list(conn, &user, &filter, LIST))
        .await?;
    Ok(v.page(&Awards {
        layout: v.layout("Your grants", "/awards"),
        awards: list.items,
    }))
}

#[derive(Template)]
#[template(path = "portal/award.html")]
struct AwardPage {
    layout: Layout,
    award: Award,
    returns: Vec<MonitoringReturn>,
    links: Vec<FeedbackLink>,
    feedback: Option<AwardFeedback>,
    form: Form,
}

impl AwardPage {
    fn offered(&self) -> bool {
        self.award.status == AwardStatus::Offered
    }

    fn running(&self) -> bool {
        self.award.status == AwardStatus::Accepted
    }
}

async fn award_page(v: Visitor, id: web::Path<i64>) -> PageResult {
    let user = v.require_for_organisation(Action::ReadAwards)?;
    let page = load_award(&v, user, id.into_inner(), Form::new()).await?;
    Ok(v.page(&page))
}

async fn load_award(
    v: &Visitor,
    user: CurrentUser,
    id: i64,
    form: Form,
) -> Result<AwardPage, PageError> {
    let today = v.state.clock.now_naive().date();
    let (award, returns, links, feedback) = v
        .read(move |conn| {
            let award = awards::get(conn, &user, id)?;
            let filter = ReturnFilter {
                status: None,
                due_before: None,
                fund_id: None,
                award_id: Some(id),
            };
            let returns = monitoring::list(conn, &user, &filter, LIST, today)?.items;
            let running = matches!(award.status, AwardStatus::Accepted | AwardStatus::Completed);
            let (links, feedback) = if running {
                (
                    feedback::list_links(conn, &user, id)?,
                    Some(feedback::award_feedback(conn, &user, id)?),
                )
            } else {
                (Vec::new(), None)
            };
            Ok((award, returns, links, feedback))
        })
        .await?;
    Ok(AwardPage {
        layout: v.layout(award.title.clone(), "/awards"),
        award,
        returns,
        links,
        feedback,
        form,
    })
}

async fn respond_to_offer(v: Visitor, id: web::Path<i64>, body: web::Bytes) -> PageResult {
    let user = v.require_for_organisation(Action::AnswerOffer)?;
    let form = v.form(&body)?;
    let id = id.into_inner();
    let now = v.state.clock.now_naive();
    let accept = match form.value("response") {
        "accept" => true,
        "decline" => false,
        _ => {
            return Err(ApiError::bad_request(
                ErrorCode::InvalidResponse,
                "Choose to accept or decline the offer.",
            )
            .into());
        }
    };
    v.read(move |conn| {
        if accept {
            grant_cycle::accept_award(conn, now, &user, id)
        } else {
            offer::decline(conn, now, &user, id)
        }
    })
    .await?;
    Ok(see_other(&format!("/awards/{id}")))
}

#[derive(Template)]
#[template(path = "portal/feedback_link.html")]
struct LinkPage {
    layout: Layout,
    link: FeedbackLink,
    award: Award,
    url: String,
    qr: String,
}

async fn create_link(v: Visitor, id: web::Path<i64>, body: web::Bytes) -> PageResult {
    let user = v.require_for_organisation(Action::ManageFeedbackLinks)?;
    let mut form = v.form(&body)?;
    let id = id.into_inner();
    let input = NewFeedbackLink {
        label: form.value("label").to_owned(),
        expires_at: None,
    };
    let actor = user.clone();
    let created = v
        .change(&mut form, move |conn, now| {
            let link = feedback::create_link(conn, now, &actor, id, &input)?;
            let award = awards::get(conn, &actor, id)?;
            Ok((link, award))
        })
        .await?;
    match created {
        Ok((link, award)) => {
            let token = link.token.clone().unwrap_or_default();
            let url = format!("{}/f/{token}", v.state.settings.public_url);
            let qr = super::chart::qr_svg(&url)?;
            Ok(v.page(&LinkPage {
                layout: v.layout(format!("Feedback link: {}", link.label), "/awards"),
                link,
                award,
                url,
                qr,
            }))
        }
        Err(status) => {
            let page = load_award(&v, user, id, form).await?;
            Ok(v.with_status(status, &page))
        }
    }
}

#[derive(Template)]
#[template(path = "portal/return.html")]
struct ReturnPage {
    layout: Layout,
    form: Form,
    item: MonitoringReturn,
    reach: [(&'static str, &'static str); 7],
}

const RETURN_REACH: [(&str, &str); 7] = [
    ("women", "Women and birthing parents"),
    ("partners", "Fathers and partners"),
    ("infants", "Infants"),
    ("kinship_carers", "Kinship carers"),
    ("families", "Families"),
    ("new", "People new to the service in the period"),
    ("continuing", "People who continued from an earlier period"),
];

fn return_form(item: &MonitoringReturn) -> Form {
    let mut form = Form::new();
    if let Some(spend) = item.spend {
        form.set("spend", spend.to_string());
    }
    let r = &item.reached;
    for (name, value) in [
        ("women", r.women),
        ("partners", r.partners),
        ("infants", r.infants),
        ("kinship_carers", r.kinship_carers),
        ("families", r.families),
        ("new", r.new),
        ("continuing", r.continuing),
    ] {
        if let Some(n) = value {
            form.set(&format!("reached.{name}"), n.to_string());
        }
    }
    for (name, value) in [
        ("sessions", item.sessions),
        ("peer_supporters", item.peer_supporters),
        ("volunteers", item.volunteers),
    ] {
        if let Some(n) = value {
            form.set(name, n.to_string());
        }
    }
    form.set("outcomes", item.outcomes.clone().unwrap_or_default());
    form.set("case_study", item.case_study.clone().unwrap_or_default());
    form.set("challenges", item.challenges.clone().unwrap_or_default());
    form
}

async fn return_page(v: Visitor, id: web::Path<i64>, done: web::Query<Done>) -> PageResult {
    let user = v.require_for_organisation(Action::ReadReturns)?;
    let id = id.into_inner();
    let today = v.state.clock.now_naive().date();
    let item = v
        .read(move |conn| monitoring::get(conn, &user, id, today))
        .await?;
    let mut layout = v.layout("Monitoring return", "/awards");
    if done.saved.is_some() {
        layout.notice = Some("Your return is saved.".to_owned());
    } else if done.submitted.is_some() {
        layout.notice = Some("Your return is submitted.".to_owned());
    }
    Ok(v.page(&ReturnPage {
        layout,
        form: return_form(&item),
        item,
        reach: RETURN_REACH,
    }))
}

async fn return_save(v: Visitor, id: web::Path<i64>, body: web::Bytes) -> PageResult {
    let user = v.require_for_organisation(Action::CompleteReturn)?;
    let id = id.into_inner();
    let mut form = v.form(&body)?;
    let reached = Reached {
        women: count(&mut form, "reached.women"),
        partners: count(&mut form, "reached.partners"),
        infants: count(&mut form, "reached.infants"),
        kinship_carers: count(&mut form, "reached.kinship_carers"),
        families: count(&mut form, "reached.families"),
        new: count(&mut form, "reached.new"),
        continuing: count(&mut form, "reached.continuing"),
    };
    let patch = ReturnPatch {
        spend: form.optional_amount("spend"),
        reached: Some(reached),
        sessions: count(&mut form, "sessions"),
        peer_supporters: count(&mut form, "peer_supporters"),
        volunteers: count(&mut form, "volunteers"),
        outcomes: Some(form.optional("outcomes")),
        case_study: Some(form.optional("case_study")),
        challenges: Some(form.optional("challenges")),
    };
    let submit = form.value("action") == "submit";
    let actor = user.clone();
    let result = if form.failed() {
        Err(StatusCode::UNPROCESSABLE_ENTITY)
    } else {
        // Saved even when the submission is refused, so nothing typed is lost.
        v.change(&mut form, move |conn, now| {
            monitoring::update(conn, now, &actor, id, &patch)?;
            if submit {
                monitoring::submit(conn, now, &actor, id)?;
            }
            Ok(())
        })
        .await?
    };
    match result {
        Ok(()) if submit => Ok(see_other(&format!("/returns/{id}?submitted=1"))),
        Ok(()) => Ok(see_other(&format!("/returns/{id}?saved=1"))),
        Err(status) => {
            let today = v.state.clock.now_naive().date();
            let item = v
                .read(move |conn| monitoring::get(conn, &user, id, today))
                .await?;
            Ok(v.with_status(
                status,
                &ReturnPage {
                    layout: v.layout("Monitoring return", "/awards"),
                    form,
                    item,
                    reach: RETURN_REACH,
                },
            ))
        }
    }
}

/// The reach fields of the application form, for its template.
pub fn reach_fields() -> [(&'static str, &'static str); 4] {
    REACH
}
