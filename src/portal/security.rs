//! The pages of one's own account: the second step of signing in, setting up and turning off
//! two-step sign-in, entering a code again before a sensitive action, the sessions one has open
//! and the sign-in history.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::form::Form;
use super::session::{LimitedForm, local_path};
use super::{Layout, PageError, PageResult, Visitor, see_other};
use crate::auth::service as auth;
use crate::domain::vocabulary::SignInOutcome;
use crate::error::{ApiError, ErrorCode};
use crate::mfa::history;
use crate::mfa::service::{self as mfa, Proof};
use crate::mfa::sessions;
use crate::mfa::totp;
use crate::permissions::Action;
use crate::usecases::second_factor::{self, sign_in_with_second_factor};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/sign-in/code", web::post().to(sign_in_code))
        .route("/account", web::get().to(account))
        .route("/account/mfa", web::get().to(account))
        .route("/account/mfa/start", web::post().to(start))
        .route("/account/mfa/confirm", web::post().to(confirm))
        .route("/account/mfa/disable", web::post().to(disable))
        .route("/account/step-up", web::get().to(step_up_page))
        .route("/account/step-up", web::post().to(step_up))
        .route("/account/sessions", web::get().to(session_list))
        .route("/account/sessions/end", web::post().to(end_session))
        .route("/account/sessions/end-all", web::post().to(end_all))
        .route("/account/sign-ins", web::get().to(sign_ins));
}

#[derive(Template)]
#[template(path = "portal/sign_in_code.html")]
struct CodePage {
    layout: Layout,
    form: Form,
    heading: &'static str,
    action: &'static str,
    challenge: String,
    next: String,
}

/// The second page of signing in, after a right password.
pub(super) fn code_page(
    v: &Visitor,
    status: StatusCode,
    form: Form,
    challenge: String,
    next: String,
) -> HttpResponse {
    v.with_status(
        status,
        &CodePage {
            layout: v.layout("Enter your code", "/sign-in"),
            form,
            heading: "Enter the code from your authenticator app",
            action: "/sign-in/code",
            challenge,
            next,
        },
    )
}

/// The proof a code form sent, or the form's error beside the code field.
fn proof_of(form: &mut Form) -> Option<Proof> {
    let code = form.value("code").trim().to_owned();
    let recovery = form.value("recovery_code").trim().to_owned();
    match (code.is_empty(), recovery.is_empty()) {
        (false, true) => Some(Proof::Code(code)),
        (true, false) => Some(Proof::RecoveryCode(recovery)),
        (false, false) => {
            form.reject("recovery_code", "Enter a code or a recovery code, not both");
            None
        }
        (true, true) => {
            form.reject("code", "Enter the 6-digit code from your authenticator app");
            None
        }
    }
}

/// A refused code is the code field's error; any other refusal is the form's or the page's.
fn refused(form: &mut Form, error: ApiError) -> Result<StatusCode, PageError> {
    if error.code() == ErrorCode::InvalidMfaCode {
        form.reject(
            "code",
            "The code is not right or was already used. Enter the code your app shows now",
        );
        return Ok(StatusCode::UNAUTHORIZED);
    }
    form.refused(error)
}

async fn sign_in_code(_write: LimitedForm, v: Visitor, body: web::Bytes) -> PageResult {
    let mut form = v.form(&body)?;
    let next = local_path(form.value("next")).to_owned();
    let challenge = form.value("challenge").to_owned();
    let status = match proof_of(&mut form) {
        None => StatusCode::UNPROCESSABLE_ENTITY,
        Some(proof) => {
            match sign_in_with_second_factor(&v.state, &v.origin(), &challenge, proof).await {
                Ok(user) => return v.sign_in(user.id, user.role, &next, true).await,
                Err(error) => refused(&mut form, error)?,
            }
        }
    };
    Ok(code_page(&v, status, form, challenge, next))
}

#[derive(Template)]
#[template(path = "portal/account.html")]
struct AccountPage {
    layout: Layout,
    form: Form,
    enrolled: bool,
    must_enrol: bool,
    staff: bool,
    disabled: bool,
    recovery_codes_left: i64,
}

#[derive(Deserialize)]
struct AccountQuery {
    disabled: Option<String>,
}

async fn account(v: Visitor, query: web::Query<AccountQuery>) -> PageResult {
    let page = account_page(&v, Form::new(), query.disabled.is_some()).await?;
    Ok(v.page(&page))
}

async fn account_page(v: &Visitor, form: Form, disabled: bool) -> Result<AccountPage, PageError> {
    let user = v.require_before_enrolment(Action::ReadOwnAccount)?;
    let user_id = user.id;
    let status = v.read(move |conn| mfa::status(conn, user_id)).await?;
    Ok(AccountPage {
        layout: v.layout("Your account", "/account"),
        form,
        enrolled: status.enrolled,
        must_enrol: v.must_enrol(&user),
        staff: user.role.works_for_a_fund(),
        disabled,
        recovery_codes_left: status.recovery_codes_left,
    })
}

#[derive(Template)]
#[template(path = "portal/mfa_enrol.html")]
struct EnrolPage {
    layout: Layout,
    form: Form,
    qr_code: String,
    secret: String,
}

fn enrol_page(v: &Visitor, status: StatusCode, form: Form, secret: String) -> PageResult {
    let url = totp::from_text(&secret)
        .map(|bytes| {
            let email = v.user.as_ref().map(|u| u.email.clone()).unwrap_or_default();
            totp::provisioning_url(mfa::ISSUER, &email, &bytes)
        })
        .transpose()?
        .unwrap_or_default();
    let qr_code = totp::qr_data_url(&url)?;
    Ok(v.with_status(
        status,
        &EnrolPage {
            layout: v.layout("Set up two-step sign-in", "/account"),
            form,
            qr_code,
            secret,
        },
    ))
}

async fn start(v: Visitor, body: web::Bytes) -> PageResult {
    let user = v.require_before_enrolment(Action::ManageOwnAccount)?;
    let mut form = v.form(&body)?;
    match second_factor::begin_enrolment(&v.state, &user).await {
        Ok(enrolment) => enrol_page(&v, StatusCode::OK, Form::new(), enrolment.secret),
        Err(error) => {
            let status = form.refused(error)?;
            let page = account_page(&v, form, false).await?;
            Ok(v.with_status(status, &page))
        }
    }
}

#[derive(Template)]
#[template(path = "portal/recovery_codes.html")]
struct RecoveryCodesPage {
    layout: Layout,
    codes: Vec<String>,
}

async fn confirm(v: Visitor, body: web::Bytes) -> PageResult {
    let user = v.require_before_enrolment(Action::ManageOwnAccount)?;
    let mut form = v.form(&body)?;
    let secret = form.value("secret").to_owned();
    let code = form.value("code").trim().to_owned();
    if code.is_empty() {
        form.reject("code", "Enter the 6-digit code from your authenticator app");
        return enrol_page(&v, StatusCode::UNPROCESSABLE_ENTITY, form, secret);
    }
    match second_factor::confirm_enrolment(&v.state, &user, code).await {
        Ok(codes) => {
            // This session was begun with a password alone; the code just entered counts as
            // the second factor for it from now on.
            if let Some(token) = v.session_token() {
                let now = v.state.clock.now_naive();
                v.read(move |conn| auth::step_up_session(conn, now, &token))
                    .await?;
            }
            Ok(v.page(&RecoveryCodesPage {
                layout: v.layout("Your recovery codes", "/account"),
                codes,
            }))
        }
        Err(error) => {
            let status = form.refused(error)?;
            enrol_page(&v, status, form, secret)
        }
    }
}

async fn disable(v: Visitor, body: web::Bytes) -> PageResult {
    let user = v.require_before_enrolment(Action::ManageOwnAccount)?;
    let mut form = v.form(&body)?;
    let status = match proof_of(&mut form) {
        None => StatusCode::UNPROCESSABLE_ENTITY,
        Some(proof) => match second_factor::disable(&v.state, &v.origin(), &user, proof).await {
            Ok(()) => return Ok(see_other("/account?disabled=1")),
            Err(error) => refused(&mut form, error)?,
        },
    };
    let page = account_page(&v, form, false).await?;
    Ok(v.with_status(status, &page))
}

#[derive(Deserialize)]
struct NextQuery {
    next: Option<String>,
}

async fn step_up_page(v: Visitor, query: web::Query<NextQuery>) -> PageResult {
    v.require(Action::ManageOwnAccount)?;
    let next = local_path(query.next.as_deref().unwrap_or("/")).to_owned();
    Ok(step_up_form(&v, StatusCode::OK, Form::new(), next))
}

fn step_up_form(v: &Visitor, status: StatusCode, form: Form, next: String) -> HttpResponse {
    v.with_status(
        status,
        &CodePage {
            layout: v.layout("Enter your code", "/account"),
            form,
            heading: "Enter a code to carry on",
            action: "/account/step-up",
            challenge: String::new(),
            next,
        },
    )
}

async fn step_up(v: Visitor, body: web::Bytes) -> PageResult {
    let user = v.require(Action::ManageOwnAccount)?;
    let mut form = v.form(&body)?;
    let next = local_path(form.value("next")).to_owned();
    let status = match (proof_of(&mut form), v.session_token()) {
        (Some(proof), Some(session)) => {
            match second_factor::step_up_session(&v.state, &v.origin(), &user, session, proof).await
            {
                Ok(()) => return Ok(see_other(&next)),
                Err(error) => refused(&mut form, error)?,
            }
        }
        _ => StatusCode::UNPROCESSABLE_ENTITY,
    };
    Ok(step_up_form(&v, status, form, next))
}

/// One row of the sessions table.
struct SessionRow {
    id: String,
    portal: bool,
    current: bool,
    created_at: String,
    last_used_at: String,
    user_agent: String,
}

#[derive(Template)]
#[template(path = "portal/sessions.html")]
struct SessionsPage {
    layout: Layout,
    sessions: Vec<SessionRow>,
    staff: bool,
    ended: bool,
}

#[derive(Deserialize)]
struct EndedQuery {
    ended: Option<String>,
}

async fn session_list(v: Visitor, query: web::Query<EndedQuery>) -> PageResult {
    let user = v.require_before_enrolment(Action::ReadOwnAccount)?;
    let now = v.state.clock.now_naive();
    let (user_id, token) = (user.id, v.session_token());
    let (open, current) = v
        .read(move |conn| {
            let current = match token {
                Some(token) => auth::session_family(conn, &token)?,
                None => None,
            };
            Ok((sessions::list(conn, now, user_id)?, current))
        })
        .await?;
    let rows = open
        .into_iter()
        .map(|s| SessionRow {
            current: current.as_deref() == Some(s.id.as_str()),
            portal: s.portal,
            created_at: s.created_at.format("%-d %B %Y %H:%M").to_string(),
            last_used_at: s.last_used_at.format("%-d %B %Y %H:%M").to_string(),
            user_agent: s.user_agent.unwrap_or_default(),
            id: s.id,
        })
        .collect();
    Ok(v.page(&SessionsPage {
        layout: v.layout("Where you are signed in", "/account"),
        sessions: rows,
        staff: user.role.works_for_a_fund(),
        ended: query.ended.is_some(),
    }))
}

async fn end_session(v: Visitor, body: web::Bytes) -> PageResult {
    let user = v.require_before_enrolment(Action::ManageOwnAccount)?;
    let form = v.form(&body)?;
    let now = v.state.clock.now_naive();
    let (user_id, family) = (user.id, form.value("id").to_owned());
    v.read(move |conn| sessions::end(conn, now, user_id, &family))
        .await?;
    Ok(see_other("/account/sessions?ended=1"))
}

async fn end_all(v: Visitor, body: web::Bytes) -> PageResult {
    let user = v.require_before_enrolment(Action::ManageOwnAccount)?;
    v.form(&body)?;
    let now = v.state.clock.now_naive();
    let user_id = user.id;
    v.read(move |conn| sessions::end_all(conn, now, user_id))
        .await?;
    v.state.accounts.clear();
    v.sign_out().await
}

/// One row of the history table.
struct EventRow {
    occurred_at: String,
    outcome: &'static str,
    client: String,
    user_agent: String,
}

#[derive(Template)]
#[template(path = "portal/sign_ins.html")]
struct SignInsPage {
    layout: Layout,
    events: Vec<EventRow>,
    days: u32,
}

fn outcome_words(outcome: SignInOutcome) -> &'static str {
    match outcome {
        SignInOutcome::Success => "Signed in",
        SignInOutcome::Failure => "Wrong password",
        SignInOutcome::MfaFailure => "Wrong code",
        SignInOutcome::Lockout => "Refused: too many attempts",
    }
}

async fn sign_ins(v: Visitor) -> PageResult {
    let user = v.require_before_enrolment(Action::ReadOwnAccount)?;
    let user_id = user.id;
    let events = v.read(move |conn| history::list(conn, user_id)).await?;
    Ok(v.page(&SignInsPage {
        layout: v.layout("Your sign-in history", "/account"),
        events: events
            .into_iter()
            .map(|e| EventRow {
                occurred_at: e.occurred_at.format("%-d %B %Y %H:%M:%S").to_string(),
                outcome: outcome_words(e.outcome),
                client: e.client,
                user_agent: e.user_agent.unwrap_or_default(),
            })
            .collect(),
        days: v.state.settings.sign_in_history_days,
    }))
}
