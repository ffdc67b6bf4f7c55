//! Applying, and the organisation's applications.

use std::collections::BTreeMap;

use actix_web::http::StatusCode;
use actix_web::web;
use askama::Template;

use crate::applications::information::{self, AnswerInput, InformationRequest};
use crate::applications::model::{Application, ApplicationPatch, NewApplication, Reach};
use crate::applications::service::{self as applications, ApplicationFilter};
use crate::domain::vocabulary::{ApplicationStatus, SupportType, TargetGroup};
use crate::error::ApiError;
use crate::permissions::Action;
use crate::portal::form::{Choice, Form};
use crate::portal::public::{LIST, board_choices};
use crate::portal::{Layout, PageResult, Visitor, pounds, see_other};
use crate::rounds::form::RoundForm;
use crate::rounds::forms;
use crate::rounds::model::Round;
use crate::rounds::service as rounds;

use super::questions::{self, ShownSection};

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
    /// The round's own questions, after the fields every round asks.
    questions: Vec<ShownSection>,
}

/// A round and its own form, for the application form's page.
struct Loaded {
    round: Round,
    form: RoundForm,
}

impl ApplicationForm {
    fn new(v: &Visitor, mut form: Form, loaded: Loaded, application: Option<Application>) -> Self {
        let Loaded { round, form: own } = loaded;
        let documents = application
            .as_ref()
            .and_then(|a| a.documents.clone())
            .unwrap_or_default();
        let questions = questions::sections(&own, &documents);
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
            questions,
        }
    }
}

/// The reach fields of the application form.
pub(super) const REACH: [(&str, &str); 4] = [
    ("women", "Women and birthing parents"),
    ("partners", "Fathers and partners"),
    ("infants", "Infants"),
    ("families", "Families"),
];

/// A count typed into a field, or the form's error.
pub(super) fn count(form: &mut Form, name: &str) -> Option<i64> {
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
    questions::fill(&mut form, &application.answers);
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

async fn load_round(v: &Visitor, id: i64) -> Result<Loaded, ApiError> {
    let now = v.state.clock.now_naive();
    let viewer = v.user.clone();
    v.read(move |conn| {
        let round = rounds::get(conn, now, viewer.as_ref(), id)?;
        let form = forms::form_of(conn, id)?;
        Ok(Loaded { round, form })
    })
    .await
}

pub(super) async fn new_application(v: Visitor, id: web::Path<i64>) -> PageResult {
    v.require_for_organisation(Action::Apply)?;
    let round = load_round(&v, id.into_inner()).await?;
    Ok(v.page(&ApplicationForm::new(&v, Form::new(), round, None)))
}

pub(super) async fn create_application(
    v: Visitor,
    id: web::Path<i64>,
    body: web::Bytes,
) -> PageResult {
    let user = v.require_for_organisation(Action::Apply)?;
    let mut form = v.form(&body)?;
    let round = load_round(&v, id.into_inner()).await?;
    let input = application_input(&mut form, &round.round);
    let answers = questions::read(&mut form, &round.form);
    let submit = form.value("action") == "submit";
    let status = if form.failed() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        let round_id = round.round.id;
        let creator = user.clone();
        let created = v
            .change(&mut form, move |conn, now| {
                applications::create(conn, now, &creator, round_id, input)
            })
            .await?;
        match created {
            Ok(application) => {
                // The draft is kept even when an answer is refused; the form then saves to it.
                let id = application.id;
                let answered = v
                    .change(&mut form, move |conn, now| {
                        applications::answer(conn, now, &user, id, &answers)
                    })
                    .await?;
                return match answered {
                    Ok(application) if submit => {
                        submit_application(&v, form, round, application).await
                    }
                    Ok(_) => Ok(see_other(&format!("/applications/{id}?saved=1"))),
                    Err(status) => Ok(v.with_status(
                        status,
                        &ApplicationForm::new(&v, form, round, Some(application)),
                    )),
                };
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
    round: Loaded,
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

pub(super) async fn application_list(v: Visitor) -> PageResult {
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
    form: Form,
    application: Application,
    total: String,
    /// The fund's questions about it, and the answers given.
    information: Vec<InformationRequest>,
}

#[derive(serde::Deserialize)]
pub(super) struct Done {
    pub(super) saved: Option<String>,
    pub(super) submitted: Option<String>,
    #[serde(default)]
    pub(super) answered: Option<String>,
}

pub(super) async fn application_page(
    v: Visitor,
    id: web::Path<i64>,
    done: web::Query<Done>,
) -> PageResult {
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
    } else if done.answered.is_some() {
        layout.notice = Some("Your answer is sent to the fund.".to_owned());
    }
    show_submitted(&v, layout, Form::new(), StatusCode::OK, application).await
}

/// A submitted (or decided) application's page, with the fund's questions and a box to answer
/// each one still open.
async fn show_submitted(
    v: &Visitor,
    layout: Layout,
    form: Form,
    status: StatusCode,
    application: Application,
) -> PageResult {
    let user = v.require_for_organisation(Action::ReadApplication)?;
    let id = application.id;
    let information = v
        .read(move |conn| information::of_application(conn, &user, id))
        .await?;
    Ok(v.with_status(
        status,
        &ApplicationView {
            layout,
            form,
            total: pounds(&application.total_requested),
            application,
            information,
        },
    ))
}

/// Answers one of the fund's questions, from the application's page.
pub(super) async fn answer_question(
    v: Visitor,
    path: web::Path<(i64, i64)>,
    body: web::Bytes,
) -> PageResult {
    let user = v.require_for_organisation(Action::EditApplication)?;
    let (id, request) = path.into_inner();
    let mut form = v.form(&body)?;
    let field = format!("answer-{request}");
    let input = AnswerInput {
        answer: form.value(&field).trim().to_owned(),
    };
    let actor = user.clone();
    let answered = v
        .change(&mut form, move |conn, now| {
            information::answer(conn, now, &actor, request, &input)
        })
        .await?;
    match answered {
        Ok(_) => Ok(see_other(&format!("/applications/{id}?answered=1"))),
        Err(status) => {
            form.move_error("answer", &field);
            form.label(&field, "Your answer");
            let application = v
                .read(move |conn| applications::get(conn, &user, id))
                .await?;
            let layout = v.layout(application.title.clone(), "/applications");
            show_submitted(&v, layout, form, status, application).await
        }
    }
}

pub(super) async fn application_save(
    v: Visitor,
    id: web::Path<i64>,
    body: web::Bytes,
) -> PageResult {
    let user = v.require_for_organisation(Action::EditApplication)?;
    let id = id.into_inner();
    let mut form = v.form(&body)?;
    let reader = user.clone();
    let application = v
        .read(move |conn| applications::get(conn, &reader, id))
        .await?;
    let round = load_round(&v, application.round_id).await?;
    let input = application_input(&mut form, &round.round);
    let answers = questions::read(&mut form, &round.form);
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
            applications::update(conn, now, &user, id, patch)?;
            applications::answer(conn, now, &user, id, &answers)
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

pub(super) async fn withdraw(v: Visitor, id: web::Path<i64>, body: web::Bytes) -> PageResult {
    let user = v.require_for_organisation(Action::EditApplication)?;
    v.form(&body)?;
    let id = id.into_inner();
    let now = v.state.clock.now_naive();
    v.read(move |conn| applications::withdraw(conn, now, &user, id))
        .await?;
    Ok(see_other(&format!("/applications/{id}")))
}
