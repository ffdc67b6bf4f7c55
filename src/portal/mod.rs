//! The portal: server-rendered pages for charities, families, assessors, administrators,
//! officials and the public, at `/`. Every page works without JavaScript; htmx and GOV.UK
//! Frontend's script only enhance them. Handlers call the same service functions as the API, so
//! every rule and permission is enforced in one place.
//!
//! A signed-in visitor holds a session in an `HttpOnly`, `SameSite=Lax` cookie (`Secure` in
//! production). Every form carries a CSRF token that must equal the visitor's CSRF cookie, and a
//! form posted from another origin is refused.

mod admin;
pub mod assets;
mod bank;
mod charity;
mod chart;
mod directory;
mod documents;
mod family;
mod form;
mod official;
mod panel;
mod public;
mod security;
mod session;

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, ResponseError, web};
use askama::Template;

pub use form::Form;
pub use session::Visitor;

use crate::domain::vocabulary::Role;
use crate::error::{ApiError, ErrorCode};

/// The portal's content security policy: its own scripts, styles and images only.
const PAGE_CSP: &str = "default-src 'self'; img-src 'self' data:; style-src 'self'; \
script-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; \
base-uri 'none'; object-src 'none'";

/// Every page route.
pub fn configure(cfg: &mut web::ServiceConfig) {
    public::configure(cfg);
    security::configure(cfg);
    directory::configure(cfg);
    charity::configure(cfg);
    panel::configure(cfg);
    admin::configure(cfg);
    official::configure(cfg);
    documents::configure(cfg);
    family::configure(cfg);
}

/// What every page's layout shows: who is signed in, the CSRF token for its forms, and a
/// message carried over from the previous step.
#[derive(Clone, Debug, Default)]
pub struct Layout {
    pub title: String,
    pub user_name: Option<String>,
    pub role: Option<Role>,
    pub csrf: String,
    pub notice: Option<String>,
    /// The navigation item of this page, so it is marked as current.
    pub section: &'static str,
}

/// One item of the service navigation.
#[derive(Clone, Debug)]
pub struct NavItem {
    pub href: &'static str,
    pub label: &'static str,
    pub current: bool,
}

impl Layout {
    /// The navigation for the visitor's role.
    pub fn navigation(&self) -> Vec<NavItem> {
        let items: &[(&str, &str)] = match self.role {
            None => &[
                ("/rounds", "Funding rounds"),
                ("/directory", "Funded services"),
                ("/open-data", "Open data"),
                ("/sign-in", "Sign in"),
                ("/register", "Register"),
            ],
            Some(Role::Applicant) => &[
                ("/", "Home"),
                ("/rounds", "Funding rounds"),
                ("/applications", "Applications"),
                ("/awards", "Grants"),
                ("/services", "Directory"),
                ("/organisation", "Organisation"),
            ],
            Some(Role::Assessor) => &[("/", "Home"), ("/assessments", "Assessments")],
            Some(Role::Administrator) => &[
                ("/", "Home"),
                ("/admin/funds", "Funds"),
                ("/admin/applications", "Applications"),
                ("/admin/returns", "Returns"),
                ("/admin/variations", "Variations"),
                ("/admin/services", "Directory"),
                ("/finance/bank-details", "Bank details"),
                ("/finance/authorisations", "Releases"),
                ("/admin/outbox", "Outbox"),
                ("/admin/audit", "Audit"),
            ],
            Some(Role::Finance) => &[
                ("/", "Home"),
                ("/finance/authorisations", "Authorisations"),
                ("/finance/payment-runs", "Payment runs"),
                ("/finance/bank-details", "Bank details"),
            ],
            Some(Role::Claimant) => &[
                ("/", "Home"),
                ("/family", "Your claims"),
                ("/family/bank-details", "Bank details"),
            ],
            Some(Role::Clinician) => &[("/", "Home"), ("/family/queue", "Claims to certify")],
            Some(Role::CashOffice) => &[
                ("/", "Home"),
                ("/family/queue", "Claims to check"),
                ("/finance/payment-runs", "Payment runs"),
            ],
            Some(Role::Official) => &[
                ("/", "Home"),
                ("/dashboard", "Dashboard"),
                ("/directory", "Funded services"),
                ("/open-data", "Open data"),
            ],
        };
        items
            .iter()
            .map(|&(href, label)| NavItem {
                href,
                label,
                current: self.section == href,
            })
            .collect()
    }
}

/// Why a page could not be shown.
#[derive(Debug)]
pub enum PageError {
    /// The service refused or failed; shown as an error page with the service's own words.
    Api(ApiError),
    /// Sign in first, then come back to this address.
    SignIn(String),
    /// Go to this page of the service first: setting up a second factor, or entering one again.
    Redirect(String),
    /// The form's CSRF token is missing or wrong, or it came from another site.
    Csrf,
}

impl From<ApiError> for PageError {
    fn from(error: ApiError) -> Self {
        PageError::Api(error)
    }
}

impl std::fmt::Display for PageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PageError::Api(e) => write!(f, "{e}"),
            PageError::SignIn(_) => f.write_str("sign in first"),
            PageError::Redirect(to) => write!(f, "go to {to} first"),
            PageError::Csrf => f.write_str("the form's security token is not valid"),
        }
    }
}

#[derive(Template)]
#[template(path = "portal/error.html")]
struct ErrorPage {
    layout: Layout,
    heading: String,
    detail: String,
}

impl ResponseError for PageError {
    fn status_code(&self) -> StatusCode {
        match self {
            PageError::Api(e) => e.status_code(),
            PageError::SignIn(_) | PageError::Redirect(_) => StatusCode::SEE_OTHER,
            PageError::Csrf => StatusCode::FORBIDDEN,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let (heading, detail) = match self {
            PageError::SignIn(next) => {
                let location = format!("/sign-in?next={}", encode(next));
                return HttpResponse::SeeOther()
                    .insert_header((header::LOCATION, location))
                    .finish();
            }
            PageError::Redirect(location) => {
                return HttpResponse::SeeOther()
                    .insert_header((header::LOCATION, location.clone()))
                    .finish();
            }
            PageError::Csrf => (
                "This form has expired".to_owned(),
                "Go back, reload the page and send the form again.".to_owned(),
            ),
            PageError::Api(error) => {
                if let ApiError::Internal(cause) = error {
                    let cause = crate::error::cut(cause, crate::telemetry::MAX_LOGGED_CAUSE_CHARS);
                    tracing::error!(%cause, "a page failed");
                }
                describe(error)
            }
        };
        let layout = Layout {
            title: heading.clone(),
            ..Layout::default()
        };
        let page = ErrorPage {
            layout,
            heading,
            detail,
        };
        let mut response = html(self.status_code(), page.render());
        if let PageError::Api(error) = self
            && error.code() == ErrorCode::TooManyRequests
            && let Some(seconds) = error.retry_after()
            && let Ok(value) = HeaderValue::from_str(&seconds.to_string())
        {
            response.headers_mut().insert(header::RETRY_AFTER, value);
        }
        response
    }
}

/// A heading and a sentence for an error page, in the words a visitor understands.
fn describe(error: &ApiError) -> (String, String) {
    match error.code() {
        ErrorCode::NotFound => (
            "Page not found".to_owned(),
            "If you typed the web address, check it is correct. If you followed a link, it may \
             have expired or you may not have access to what it points to."
                .to_owned(),
        ),
        ErrorCode::Forbidden => (
            "You cannot see this page".to_owned(),
            "Your account does not give access to this page.".to_owned(),
        ),
        ErrorCode::ServiceUnavailable | ErrorCode::WriteConflict => (
            "Sorry, the service is unavailable".to_owned(),
            "Try again in a few minutes.".to_owned(),
        ),
        ErrorCode::TooManyRequests => (
            "Too many attempts".to_owned(),
            format!(
                "Wait {} seconds, then try again.",
                error.retry_after().unwrap_or(1)
            ),
        ),
        ErrorCode::InternalError | ErrorCode::MethodNotAllowed => (
            "Sorry, there is a problem with the service".to_owned(),
            "Try again later. Nothing you sent has been lost if you saw a confirmation.".to_owned(),
        ),
        _ => ("There is a problem".to_owned(), error.to_string()),
    }
}

pub type PageResult = Result<HttpResponse, PageError>;

/// The page for an address the portal does not have.
pub fn not_found() -> HttpResponse {
    PageError::Api(ApiError::NotFound).error_response()
}

/// A rendered page with the portal's headers: its content security policy, and no caching,
/// because pages show one visitor's data.
pub fn html(status: StatusCode, body: askama::Result<String>) -> HttpResponse {
    match body {
        Ok(body) => HttpResponse::build(status)
            .content_type("text/html; charset=utf-8")
            .insert_header((header::CONTENT_SECURITY_POLICY, PAGE_CSP))
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .body(body),
        Err(error) => {
            tracing::error!(%error, "a page template failed");
            HttpResponse::InternalServerError()
                .content_type("text/plain; charset=utf-8")
                .body("Sorry, there is a problem with the service.")
        }
    }
}

/// After a form is handled: go to the next page (303, so reloading does not send it again).
pub fn see_other(location: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, location))
        .finish()
}

/// The colour of a state's tag: green when it went well, red when it ended badly, blue while
/// it waits on someone, grey when it is over.
pub fn status_colour(status: &str) -> &'static str {
    match status {
        "awarded" | "accepted" | "completed" | "open" | "released" => "green",
        "declined" | "terminated" | "overdue" | "changes_requested" => "red",
        "submitted" | "offered" | "due" | "committed" => "blue",
        "draft" | "scheduled" | "upcoming" => "yellow",
        _ => "grey",
    }
}

/// Rows on one page of a long list.
pub const PER_PAGE: i64 = 50;

/// Which page of a long list to show, from `?page=`.
#[derive(Debug, Default, serde::Deserialize)]
pub struct PageNumber {
    page: Option<i64>,
}

impl PageNumber {
    pub fn page(&self) -> crate::wire::paging::Page {
        crate::wire::paging::Page {
            page: self.page.unwrap_or(1).clamp(1, 1_000_000),
            per_page: PER_PAGE,
        }
    }
}

/// Where a long list stands, with links to the pages before and after.
#[derive(Clone, Debug)]
pub struct Pager {
    pub page: i64,
    pub pages: i64,
    /// The list's address with its filters, ending in `?` or `&`, to add `page=N` to.
    base: String,
}

impl Pager {
    pub fn new<T>(list: &crate::wire::paging::Paged<T>, base: impl Into<String>) -> Pager {
        let per_page = list.per_page.max(1);
        Pager {
            page: list.page,
            pages: ((list.total + per_page - 1) / per_page).max(1),
            base: base.into(),
        }
    }

    pub fn previous(&self) -> Option<String> {
        (self.page > 1).then(|| format!("{}page={}", self.base, self.page - 1))
    }

    pub fn next(&self) -> Option<String> {
        (self.page < self.pages).then(|| format!("{}page={}", self.base, self.page + 1))
    }
}

/// Percent-encodes a query value.
pub fn encode(value: &str) -> String {
    url::form_urlencoded::byte_serialize(value.as_bytes()).collect()
}

/// An amount in pounds as people read it: `£1,234.50`, `£40,000`.
pub fn pounds(amount: &crate::domain::money::Money) -> String {
    let text = amount.to_string();
    let (whole, pence) = text.split_once('.').unwrap_or((&text, "00"));
    let digits = whole;
    let mut grouped = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(c);
    }
    if pence.trim_end_matches('0').is_empty() {
        format!("£{grouped}")
    } else {
        format!("£{grouped}.{pence:0<2}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::money::Money;
    use crate::wire::paging::Paged;

    #[test]
    fn a_pager_links_only_to_pages_that_exist() {
        let list = |page, total| Paged::<()> {
            items: Vec::new(),
            page,
            per_page: 50,
            total,
        };
        let first = Pager::new(&list(1, 120), "/admin/audit?");
        assert_eq!(first.pages, 3);
        assert_eq!(first.previous(), None);
        assert_eq!(first.next().as_deref(), Some("/admin/audit?page=2"));
        let last = Pager::new(&list(3, 120), "/admin/applications?status=submitted&");
        assert_eq!(
            last.previous().as_deref(),
            Some("/admin/applications?status=submitted&page=2")
        );
        assert_eq!(last.next(), None);
        assert_eq!(Pager::new(&list(1, 0), "/x?").pages, 1);
    }

    #[test]
    fn pounds_are_grouped_and_pence_shown_only_when_there_are_some() {
        let cases = [
            ("1000000.00", "£1,000,000"),
            ("40000.50", "£40,000.50"),
            ("999.99", "£999.99"),
            ("0.00", "£0"),
            ("0.05", "£0.05"),
        ];
        for (input, shown) in cases {
            let money = Money::parse(input).expect("a valid amount");
            assert_eq!(pounds(&money), shown, "{input}");
        }
    }
}
