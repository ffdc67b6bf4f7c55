//! Pages anyone can open: the start page, signing in and out, registering, password reset, the
//! funding rounds and the families' feedback form.

use actix_web::http::StatusCode;
use actix_web::web;
use askama::Template;
use serde::Deserialize;

use super::form::{Choice, Form};
use super::security::code_page;
use super::session::{LimitedForm, local_path};
use super::{Layout, PageResult, Visitor, pounds, see_other};
use crate::auth::model::{NewAccount, RegisterRequest};
use crate::domain::vocabulary::{HealthBoard, OrganisationType, Role};
use crate::error::ApiError;
use crate::feedback::model::{FeedbackForm, FeedbackInput, Ratings, Respondent, Statement};
use crate::feedback::service as feedback;
use crate::organisations::model::OrganisationInput;
use crate::rounds::model::{Criterion, Round};
use crate::rounds::service::{self as rounds, RoundFilter};
use crate::usecases::accounts::{ask_for_password_reset, register_organisation, reset_password};
use crate::usecases::second_factor::{PasswordChecked, sign_in_with_password};
use crate::wire::paging::Page;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/", web::get().to(home))
        .route("/sign-in", web::get().to(sign_in_page))
        .route("/sign-in", web::post().to(sign_in))
        .route("/sign-out", web::post().to(sign_out))
        .route("/register", web::get().to(register_page))
        .route("/register", web::post().to(register))
        .route("/password-reset", web::get().to(reset_request_page))
        .route("/password-reset", web::post().to(reset_request))
        .route("/reset-password", web::get().to(reset_confirm_page))
        .route("/reset-password", web::post().to(reset_confirm))
        .route("/rounds", web::get().to(round_list))
        .route("/rounds/{id}", web::get().to(round_page))
        .route("/f/{token}", web::get().to(feedback_page))
        .route("/f/{token}", web::post().to(feedback_send));
}

/// The most rows a portal list shows on one page.
pub const LIST: Page = Page {
    page: 1,
    per_page: 100,
};

#[derive(Template)]
#[template(path = "portal/home.html")]
struct Home {
    layout: Layout,
    signed_out: bool,
}

#[derive(Deserialize)]
struct HomeQuery {
    signed_out: Option<String>,
}

async fn home(v: Visitor, query: web::Query<HomeQuery>) -> PageResult {
    let layout = v.layout("", "/");
    Ok(v.page(&Home {
        layout,
        signed_out: query.signed_out.is_some() && v.user.is_none(),
    }))
}

#[derive(Template)]
#[template(path = "portal/sign_in.html")]
struct SignIn {
    layout: Layout,
    form: Form,
    next: String,
    reset: bool,
}

#[derive(Deserialize)]
struct NextQuery {
    next: Option<String>,
    reset: Option<String>,
}

async fn sign_in_page(v: Visitor, query: web::Query<NextQuery>) -> PageResult {
    let next = local_path(query.next.as_deref().unwrap_or("/")).to_owned();
    Ok(v.page(&SignIn {
        layout: v.layout("Sign in", "/sign-in"),
        form: Form::new(),
        next,
        reset: query.reset.is_some(),
    }))
}

async fn sign_in(_write: LimitedForm, v: Visitor, body: web::Bytes) -> PageResult {
    let mut form = v.form(&body)?;
    let next = local_path(form.value("next")).to_owned();
    let email = form.value("email").trim().to_owned();
    if email.is_empty() {
        form.reject("email", "Enter your email address");
    }
    if form.value("password").is_empty() {
        form.reject("password", "Enter your password");
    }
    if !form.failed() {
        let password = form.value("password").to_owned();
        match sign_in_with_password(&v.state, &v.origin(), email, password).await {
            Ok(PasswordChecked::SignedIn(user)) => {
                return v.sign_in(user.id, user.role, &next, false).await;
            }
            Ok(PasswordChecked::Challenge(challenge)) => {
                return Ok(code_page(&v, StatusCode::OK, Form::new(), challenge, next));
            }
            Err(error) => {
                form.refused(error)?;
            }
        }
    }
    Ok(v.with_status(
        StatusCode::UNPROCESSABLE_ENTITY,
        &SignIn {
            layout: v.layout("Sign in", "/sign-in"),
            form,
            next,
            reset: false,
        },
    ))
}

async fn sign_out(v: Visitor, body: web::Bytes) -> PageResult {
    v.form(&body)?;
    v.sign_out().await
}

#[derive(Template)]
#[template(path = "portal/register.html")]
struct Register {
    layout: Layout,
    form: Form,
}

/// The kinds of organisation, for the organisation's details.
pub fn organisation_types() -> Vec<Choice> {
    Choice::all(OrganisationType::ALL)
}

/// The health boards, by their NHS names.
pub fn board_choices() -> Vec<Choice> {
    HealthBoard::ALL
        .iter()
        .map(|b| Choice::new(b.as_str(), b.name()))
        .collect()
}

async fn register_page(v: Visitor) -> PageResult {
    Ok(v.page(&Register {
        layout: v.layout("Register your organisation", "/register"),
        form: Form::new(),
    }))
}

/// The organisation fields of a registration or profile form, named as the API names them
/// under `prefix`.
pub fn organisation_input(form: &Form, prefix: &str) -> OrganisationInput {
    let field = |name: &str| format!("{prefix}{name}");
    OrganisationInput {
        name: form.value(&field("name")).to_owned(),
        organisation_type: form.value(&field("type")).to_owned(),
        charity_number: form.optional(&field("charity_number")),
        company_number: form.optional(&field("company_number")),
        annual_income: form.value(&field("annual_income")).trim().to_owned(),
        address: form.optional(&field("address")),
        postcode: form.value(&field("postcode")).to_owned(),
        health_boards: form.all(&field("health_boards")),
        website: form.optional(&field("website")),
        contact_email: form.value(&field("contact_email")).trim().to_owned(),
        listed_in_directory: form.has(&field("listed_in_directory"), "true"),
    }
}

async fn register(_write: LimitedForm, v: Visitor, body: web::Bytes) -> PageResult {
    let mut form = v.form(&body)?;
    let request = RegisterRequest {
        organisation: organisation_input(&form, "organisation."),
        user: NewAccount {
            name: form.value("user.name").to_owned(),
            email: form.value("user.email").trim().to_owned(),
            password: form.value("user.password").to_owned(),
        },
    };
    let status = match register_organisation(&v.state, request).await {
        Ok(registered) => {
            return v
                .sign_in(registered.user.id, Role::Applicant, "/?registered=1", false)
                .await;
        }
        Err(error) => form.refused(error)?,
    };
    Ok(v.with_status(
        status,
        &Register {
            layout: v.layout("Register your organisation", "/register"),
            form,
        },
    ))
}

#[derive(Template)]
#[template(path = "portal/password_reset.html")]
struct ResetRequest {
    layout: Layout,
    form: Form,
    sent: bool,
}

async fn reset_request_page(v: Visitor) -> PageResult {
    Ok(v.page(&ResetRequest {
        layout: v.layout("Reset your password", ""),
        form: Form::new(),
        sent: false,
    }))
}

async fn reset_request(write: LimitedForm, v: Visitor, body: web::Bytes) -> PageResult {
    let mut form = v.form(&body)?;
    let email = form.value("email").trim().to_owned();
    let status = match ask_for_password_reset(&v.state, &write.0.client, email).await {
        Ok(()) => StatusCode::OK,
        Err(error) => form.refused(error)?,
    };
    let sent = !form.failed();
    Ok(v.with_status(
        status,
        &ResetRequest {
            layout: v.layout("Reset your password", ""),
            form,
            sent,
        },
    ))
}

#[derive(Template)]
#[template(path = "portal/password_new.html")]
struct ResetConfirm {
    layout: Layout,
    form: Form,
}

#[derive(Deserialize)]
struct TokenQuery {
    token: Option<String>,
}

async fn reset_confirm_page(v: Visitor, query: web::Query<TokenQuery>) -> PageResult {
    let mut form = Form::new();
    form.set("token", query.into_inner().token.unwrap_or_default());
    Ok(v.page(&ResetConfirm {
        layout: v.layout("Choose a new password", ""),
        form,
    }))
}

async fn reset_confirm(_write: LimitedForm, v: Visitor, body: web::Bytes) -> PageResult {
    let mut form = v.form(&body)?;
    let token = form.value("token").trim().to_owned();
    let password = form.value("password").to_owned();
    let status = match reset_password(&v.state, token, password).await {
        Ok(()) => return Ok(see_other("/sign-in?reset=1")),
        Err(error) => form.refused(error)?,
    };
    Ok(v.with_status(
        status,
        &ResetConfirm {
            layout: v.layout("Choose a new password", ""),
            form,
        },
    ))
}

#[derive(Template)]
#[template(path = "portal/rounds.html")]
struct Rounds {
    layout: Layout,
    rounds: Vec<Round>,
}

async fn round_list(v: Visitor) -> PageResult {
    let now = v.state.clock.now_naive();
    let viewer = v.user.clone();
    let list = v
        .read(move |conn| {
            rounds::list(
                conn,
                now,
                viewer.as_ref(),
                &RoundFilter {
                    fund_id: None,
                    component: None,
                    status: None,
                },
                LIST,
            )
        })
        .await?;
    Ok(v.page(&Rounds {
        layout: v.layout("Funding rounds", "/rounds"),
        rounds: list.items,
    }))
}

#[derive(Template)]
#[template(path = "portal/round.html")]
struct RoundPage {
    layout: Layout,
    round: Round,
    criteria: Vec<Criterion>,
    min: String,
    max: String,
    can_apply: bool,
}

async fn round_page(v: Visitor, id: web::Path<i64>) -> PageResult {
    let id = id.into_inner();
    let now = v.state.clock.now_naive();
    let viewer = v.user.clone();
    let (round, criteria) = v
        .read(move |conn| {
            let round = rounds::get(conn, now, viewer.as_ref(), id)?;
            let criteria = rounds::list_criteria(conn, now, viewer.as_ref(), id, LIST)?;
            Ok((round, criteria.items))
        })
        .await?;
    let can_apply = round.status == crate::domain::vocabulary::RoundStatus::Open
        && v.user.as_ref().is_none_or(|u| u.is(Role::Applicant));
    Ok(v.page(&RoundPage {
        layout: v.layout(round.name.clone(), "/rounds"),
        min: pounds(&round.min_request),
        max: pounds(&round.max_request),
        round,
        criteria,
        can_apply,
    }))
}

#[derive(Template)]
#[template(path = "portal/feedback.html")]
struct Feedback {
    layout: Layout,
    form: Form,
    about: FeedbackForm,
    respondents: Vec<Choice>,
    scale: Vec<Choice>,
    token: String,
}

async fn feedback_page(v: Visitor, token: web::Path<String>) -> PageResult {
    let token = token.into_inner();
    let about = feedback_form(&v, &token).await?;
    Ok(v.page(&feedback_template(&v, Form::new(), about, token)))
}

async fn feedback_form(v: &Visitor, token: &str) -> Result<FeedbackForm, ApiError> {
    let now = v.state.clock.now_naive();
    let token = token.to_owned();
    v.read(move |conn| feedback::form(conn, now, &token)).await
}

fn feedback_template(v: &Visitor, form: Form, about: FeedbackForm, token: String) -> Feedback {
    let respondents = about
        .respondents
        .iter()
        .map(|c| Choice::new(c.value.clone(), c.text.clone()))
        .collect();
    let scale = about
        .scale
        .iter()
        .map(|c| Choice::new(c.value.clone(), c.text.clone()))
        .collect();
    Feedback {
        layout: v.layout("Tell us about the support you had", "family"),
        form,
        about,
        respondents,
        scale,
        token,
    }
}

#[derive(Template)]
#[template(path = "portal/feedback_thanks.html")]
struct FeedbackThanks {
    layout: Layout,
}

async fn feedback_send(
    _write: LimitedForm,
    v: Visitor,
    token: web::Path<String>,
    body: web::Bytes,
) -> PageResult {
    let token = token.into_inner();
    let mut form = v.form(&body)?;
    let about = feedback_form(&v, &token).await?;
    let respondent = form.value("respondent").parse::<Respondent>().ok();
    if respondent.is_none() {
        form.reject("respondent", "Choose who you are");
    }
    let mut rating = |statement: Statement| {
        let name = format!("ratings.{}", statement.as_str());
        match form.value(&name).parse::<i64>() {
            Ok(value) if (1..=5).contains(&value) => value,
            _ => {
                form.reject(&name, "Choose how much you agree");
                0
            }
        }
    };
    let ratings = Ratings {
        listened_to: rating(Statement::ListenedTo),
        wellbeing: rating(Statement::Wellbeing),
        relationship_with_baby: rating(Statement::RelationshipWithBaby),
        recommend: rating(Statement::Recommend),
    };
    let status = match respondent {
        Some(respondent) if !form.failed() => {
            let input = FeedbackInput {
                respondent,
                ratings,
                difference: form.optional("difference"),
                could_be_better: form.optional("could_be_better"),
                consent_to_quote: form.has("consent_to_quote", "true"),
            };
            let sent = async {
                v.state.feedback_limiter.check(&token)?;
                let now = v.state.clock.now_naive();
                let token = token.clone();
                v.read(move |conn| feedback::respond(conn, now, &token, &input))
                    .await
            };
            match sent.await {
                Ok(()) => {
                    return Ok(v.page(&FeedbackThanks {
                        layout: v.layout("Thank you", "family"),
                    }));
                }
                Err(error) => form.refused(error)?,
            }
        }
        _ => StatusCode::UNPROCESSABLE_ENTITY,
    };
    Ok(v.with_status(status, &feedback_template(&v, form, about, token)))
}
