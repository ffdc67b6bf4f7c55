//! Who is looking at a page: the session cookie, the CSRF cookie and the check of every form.

use std::future::Future;
use std::pin::Pin;

use actix_web::cookie::{Cookie, SameSite};
use actix_web::dev::Payload;
use actix_web::http::StatusCode;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, HttpResponse, web};

use super::{Form, Layout, PageError, html};
use crate::auth::extract::{account, check_active};
use crate::auth::service::SessionStart;
use crate::auth::{service as auth, tokens};
use crate::caller::CurrentUser;
use crate::db::DbConnection;
use crate::domain::vocabulary::Role;
use crate::error::ApiError;
use crate::http::UnauthenticatedWrite;
use crate::mfa::history::Origin;
use crate::permissions::Action;
use crate::state::AppState;
use chrono::NaiveDateTime;

/// The session cookie: a random token the service keeps only a hash of.
pub const SESSION_COOKIE: &str = "grantfund_session";
/// The CSRF cookie: a random token every form must repeat.
pub const CSRF_COOKIE: &str = "grantfund_csrf";
/// The form field that repeats the CSRF cookie.
pub const CSRF_FIELD: &str = "csrf_token";
/// Where a user whose role must have a second factor is sent until they set one up.
pub const ENROL_PAGE: &str = "/account/mfa";
/// Where a user enters their second factor again before an action that needs a recent one.
pub const STEP_UP_PAGE: &str = "/account/step-up";

/// The visitor of a page: signed in or not, with the CSRF token for the page's forms.
#[derive(Clone)]
pub struct Visitor {
    pub user: Option<CurrentUser>,
    pub state: web::Data<AppState>,
    csrf: String,
    /// The CSRF cookie is new and must be set on the answer.
    new_csrf: bool,
    /// The request came from a page of this service, as far as the browser says.
    same_origin: bool,
    session: Option<String>,
    path: String,
    /// The browser's `User-Agent`, kept with a staff member's session.
    user_agent: Option<String>,
    /// Where the visit comes from, for the sign-in limits and history.
    client: String,
}

impl FromRequest for Visitor {
    type Error = PageError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, PageError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let session = req.cookie(SESSION_COOKIE).map(|c| c.value().to_owned());
        let csrf = req
            .cookie(CSRF_COOKIE)
            .map(|c| c.value().to_owned())
            .filter(|v| v.len() >= 32);
        let same_origin = same_origin(req);
        let path = match req.uri().path_and_query() {
            Some(pq) => pq.as_str().to_owned(),
            None => "/".to_owned(),
        };
        let origin = state
            .as_ref()
            .map(|state| crate::http::origin_of(req, &state.settings));
        Box::pin(async move {
            let state = state.ok_or_else(|| ApiError::internal("application state missing"))?;
            let origin = origin.unwrap_or_default();
            let (csrf, new_csrf) = match csrf {
                Some(csrf) => (csrf, false),
                None => (tokens::generate()?, true),
            };
            let user = match &session {
                Some(token) => signed_in(&state, token).await?,
                None => None,
            };
            Ok(Visitor {
                user,
                state,
                csrf,
                new_csrf,
                same_origin,
                session,
                path,
                user_agent: origin.user_agent,
                client: origin.client,
            })
        })
    }
}

/// The user of a session token, if it is live and the account active.
async fn signed_in(state: &AppState, token: &str) -> Result<Option<CurrentUser>, ApiError> {
    let now = state.clock.now_naive();
    let token = token.to_owned();
    let Some((user_id, factor_at)) = state
        .db
        .run(move |conn| auth::session_user(conn, now, &token))
        .await?
    else {
        return Ok(None);
    };
    let account = match account(state, user_id).await {
        Ok(account) => account,
        Err(error) if error.code().status() == StatusCode::UNAUTHORIZED => return Ok(None),
        Err(other) => return Err(other),
    };
    Ok(check_active(&account).ok().map(|()| {
        let mut user = CurrentUser::from(account);
        user.factor_at = factor_at.map(|at| at.and_utc());
        user
    }))
}

/// False when the browser says the request came from another site: `Sec-Fetch-Site` or
/// `Origin` naming another origin than this service's.
fn same_origin(req: &HttpRequest) -> bool {
    let headers = req.headers();
    if let Some(site) = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok()) {
        return matches!(site, "same-origin" | "none");
    }
    match headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) {
        None => true,
        Some(origin) => {
            let host = req.connection_info().host().to_owned();
            origin
                .split_once("://")
                .is_some_and(|(_, rest)| rest.eq_ignore_ascii_case(&host))
        }
    }
}

impl Visitor {
    /// The signed-in user, if the permission table allows their role `action`; otherwise sign in
    /// first, or 403.
    pub fn require(&self, action: Action) -> Result<CurrentUser, PageError> {
        let user = self.require_before_enrolment(action)?;
        if self.must_enrol(&user) {
            return Err(PageError::Redirect(ENROL_PAGE.to_owned()));
        }
        Ok(user)
    }

    /// As [`Visitor::require`], for the pages a user whose role must have a second factor may
    /// use before setting one up: setting it up, and their sessions.
    pub fn require_before_enrolment(&self, action: Action) -> Result<CurrentUser, PageError> {
        match &self.user {
            None => Err(PageError::SignIn(self.path.clone())),
            Some(user) if action.allows(user.role) => Ok(user.clone()),
            Some(_) => Err(ApiError::Forbidden.into()),
        }
    }

    /// True when `user`'s role must have a second factor and they have none yet.
    pub fn must_enrol(&self, user: &CurrentUser) -> bool {
        !user.mfa_enrolled && self.state.settings.mfa_required_roles.contains(&user.role)
    }

    /// For the actions that need a recent second factor: on to the page that asks for a code,
    /// and then back to `page` (the page whose form was sent), unless one was entered in the
    /// last 10 minutes.
    pub fn require_recent_factor(&self, user: &CurrentUser, page: &str) -> Result<(), PageError> {
        match user.require_recent_factor(self.state.clock.now()) {
            Ok(()) => Ok(()),
            Err(_) => Err(PageError::Redirect(format!(
                "{STEP_UP_PAGE}?next={}",
                super::encode(page)
            ))),
        }
    }

    /// As [`Visitor::require`], for the pages where a user acts for their own organisation: a
    /// user who acts for none (a member of staff) is refused them with 403.
    pub fn require_for_organisation(&self, action: Action) -> Result<CurrentUser, PageError> {
        let user = self.require(action)?;
        if user.organisation_id.is_some() {
            Ok(user)
        } else {
            Err(ApiError::Forbidden.into())
        }
    }

    /// The layout of a page titled `title` in the navigation `section`.
    pub fn layout(&self, title: impl Into<String>, section: &'static str) -> Layout {
        Layout {
            title: title.into(),
            user_name: self.user.as_ref().map(|u| u.name.clone()),
            role: self.user.as_ref().map(|u| u.role),
            csrf: self.csrf.clone(),
            notice: None,
            section,
        }
    }

    /// A posted form, once its CSRF token and origin are checked.
    pub fn form(&self, body: &[u8]) -> Result<Form, PageError> {
        let form = Form::parse(body);
        let sent = form.value(CSRF_FIELD);
        if self.new_csrf || !self.same_origin || !constant_time_eq(sent, &self.csrf) {
            return Err(PageError::Csrf);
        }
        Ok(form)
    }

    /// Checks the CSRF token an upload form sent, and its origin.
    pub fn check_csrf(&self, sent: &str) -> Result<(), PageError> {
        if self.new_csrf || !self.same_origin || !constant_time_eq(sent, &self.csrf) {
            return Err(PageError::Csrf);
        }
        Ok(())
    }

    /// Whether the request came from this service's own pages: checked before an upload is read.
    pub fn from_own_pages(&self) -> Result<(), PageError> {
        if self.new_csrf || !self.same_origin {
            return Err(PageError::Csrf);
        }
        Ok(())
    }

    /// The page, with the CSRF cookie when this visit made one.
    pub fn page(&self, template: &impl askama::Template) -> HttpResponse {
        self.with_status(StatusCode::OK, template)
    }

    /// The page with another status: a form shown again with its errors answers 422.
    pub fn with_status(
        &self,
        status: StatusCode,
        template: &impl askama::Template,
    ) -> HttpResponse {
        let mut response = html(status, template.render());
        if self.new_csrf {
            let cookie = self.cookie(CSRF_COOKIE, self.csrf.clone());
            let _ = response.add_cookie(&cookie);
        }
        response
    }

    /// Runs service functions on a pooled connection: what a page reads, or a change whose
    /// refusal is not the form's.
    pub async fn read<T: Send + 'static>(
        &self,
        read: impl FnOnce(&mut DbConnection) -> Result<T, ApiError> + Send + 'static,
    ) -> Result<T, ApiError> {
        self.state.db.run(read).await
    }

    /// Makes a change through the service at the clock's time. A refusal about what the form
    /// says is recorded on the form and its status given back to show the form again; any other
    /// failure is the page's.
    pub async fn change<T: Send + 'static>(
        &self,
        form: &mut Form,
        change: impl FnOnce(&mut DbConnection, NaiveDateTime) -> Result<T, ApiError> + Send + 'static,
    ) -> Result<Result<T, StatusCode>, PageError> {
        let now = self.state.clock.now_naive();
        match self.state.db.run(move |conn| change(conn, now)).await {
            Ok(value) => Ok(Ok(value)),
            Err(error) => Ok(Err(form.refused(error)?)),
        }
    }

    /// As [`Visitor::change`] for a form that has been read: when reading it already failed,
    /// nothing is changed and the form is shown again with 422.
    pub async fn submit<T: Send + 'static>(
        &self,
        form: &mut Form,
        change: impl FnOnce(&mut DbConnection, NaiveDateTime) -> Result<T, ApiError> + Send + 'static,
    ) -> Result<Result<T, StatusCode>, PageError> {
        if form.failed() {
            return Ok(Err(StatusCode::UNPROCESSABLE_ENTITY));
        }
        self.change(form, change).await
    }

    /// Signs `user_id` in: a new session and a new CSRF token, then `next`. `with_factor` says
    /// that a second factor was entered to sign in.
    pub async fn sign_in(
        &self,
        user_id: i64,
        role: Role,
        next: &str,
        with_factor: bool,
    ) -> Result<HttpResponse, PageError> {
        let now = self.state.clock.now();
        let settings = self.state.settings.clone();
        let start = SessionStart {
            user_agent: self.user_agent.clone().filter(|_| role.works_for_a_fund()),
            factor_at: with_factor.then_some(now.naive_utc()),
        };
        let token = self
            .state
            .db
            .run(move |conn| auth::open_session(conn, now, user_id, &start, &settings))
            .await?;
        let mut response = super::see_other(next);
        let _ = response.add_cookie(&self.cookie(SESSION_COOKIE, token));
        let _ = response.add_cookie(&self.cookie(CSRF_COOKIE, tokens::generate()?));
        Ok(response)
    }

    /// Ends the session, then the home page.
    pub async fn sign_out(&self) -> Result<HttpResponse, PageError> {
        if let Some(token) = self.session.clone() {
            let now = self.state.clock.now_naive();
            self.state
                .db
                .run(move |conn| auth::close_session(conn, now, &token))
                .await?;
        }
        let mut response = super::see_other("/?signed_out=1");
        let mut gone = self.cookie(SESSION_COOKIE, String::new());
        gone.make_removal();
        let _ = response.add_cookie(&gone);
        Ok(response)
    }

    /// Where this visit comes from, for the sign-in limits and history.
    pub fn origin(&self) -> Origin {
        Origin {
            client: self.client.clone(),
            user_agent: self.user_agent.clone(),
        }
    }

    /// The session cookie's token, when signed in.
    pub fn session_token(&self) -> Option<String> {
        self.session.clone()
    }

    /// The page being visited, with its query.
    pub fn path(&self) -> &str {
        &self.path
    }

    fn cookie(&self, name: &'static str, value: String) -> Cookie<'static> {
        Cookie::build(name, value)
            .path("/")
            .http_only(true)
            .secure(self.state.settings.is_production())
            .same_site(SameSite::Lax)
            .finish()
    }
}

/// A form sent by someone not signed in, counted against its client's limit on unauthenticated
/// writes before anything else is read; past the limit, the error page with `Retry-After`.
pub struct LimitedForm(pub UnauthenticatedWrite);

impl FromRequest for LimitedForm {
    type Error = PageError;
    type Future = std::future::Ready<Result<Self, PageError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let write = UnauthenticatedWrite::from_request(req, payload).into_inner();
        std::future::ready(write.map(LimitedForm).map_err(PageError::Api))
    }
}

/// Compares two tokens in time that does not depend on where they differ.
fn constant_time_eq(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |diff, (x, y)| diff | (x ^ y))
            == 0
}

/// A safe place to go after signing in: a path of this service, never another site.
pub fn local_path(next: &str) -> &str {
    if next.starts_with('/') && !next.starts_with("//") && !next.contains('\\') {
        next
    } else {
        "/"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_local_paths_are_followed_after_sign_in() {
        assert_eq!(local_path("/applications/3"), "/applications/3");
        assert_eq!(local_path("//evil.example"), "/");
        assert_eq!(local_path("https://evil.example"), "/");
        assert_eq!(local_path("/\\evil.example"), "/");
        assert_eq!(local_path(""), "/");
    }

    #[test]
    fn tokens_compare_equal_only_when_equal() {
        assert!(constant_time_eq("abc", "abc"));
        assert!(!constant_time_eq("abc", "abd"));
        assert!(!constant_time_eq("abc", "abcd"));
    }
}
