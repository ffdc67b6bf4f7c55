//! The portal's pages over the real HTTP app: session and CSRF cookies, forms refused without
//! their token or from another site, every failed rule shown at once, deny unless allowed, and
//! the families' feedback form. The whole cycle in a browser is `scripts/browser-tests.sh`.

use std::collections::HashMap;
use std::time::Duration;

use awc::http::StatusCode;
use diesel::RunQueryDsl;
use serde_json::json;

use grantfund::config::AppEnv;
use grantfund::domain::vocabulary::Role;

use crate::db_test;
use crate::support::*;

/// A browser: keeps its cookies, follows no redirects, and reads the CSRF token off pages.
pub(crate) struct Browser<'a> {
    app: &'a TestApp,
    client: awc::Client,
    cookies: HashMap<String, String>,
    /// The last `Set-Cookie` lines seen, whole, for checking their attributes.
    set_cookies: Vec<String>,
}

pub(crate) struct Page {
    pub(crate) status: StatusCode,
    pub(crate) location: Option<String>,
    pub(crate) text: String,
    headers: awc::http::header::HeaderMap,
}

impl<'a> Browser<'a> {
    pub(crate) fn new(app: &'a TestApp) -> Self {
        Browser {
            app,
            client: awc::Client::builder()
                .disable_redirects()
                .timeout(Duration::from_secs(30))
                .finish(),
            cookies: HashMap::new(),
            set_cookies: Vec::new(),
        }
    }

    fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    pub(crate) async fn get(&mut self, path: &str) -> Page {
        let request = self
            .client
            .get(format!("{}{path}", self.app.address))
            .insert_header(("Cookie", self.cookie_header()))
            .insert_header(("Sec-Fetch-Site", "same-origin"));
        self.read(request.send().await.expect("sent")).await
    }

    /// Asks for a page as a browser does, saying it takes HTML.
    async fn get_html(&mut self, path: &str) -> Page {
        let request = self
            .client
            .get(format!("{}{path}", self.app.address))
            .insert_header(("Cookie", self.cookie_header()))
            .insert_header(("Accept", "text/html,application/xhtml+xml"));
        self.read(request.send().await.expect("sent")).await
    }

    /// Posts a form as a page of this service would, with the CSRF token.
    pub(crate) async fn post(&mut self, path: &str, fields: &[(&str, &str)]) -> Page {
        let csrf = self
            .cookies
            .get("grantfund_csrf")
            .cloned()
            .unwrap_or_default();
        let mut all: Vec<(&str, &str)> = vec![("csrf_token", csrf.as_str())];
        all.extend_from_slice(fields);
        self.post_raw(path, &all, &[("Sec-Fetch-Site", "same-origin")])
            .await
    }

    async fn post_raw(
        &mut self,
        path: &str,
        fields: &[(&str, &str)],
        headers: &[(&str, &str)],
    ) -> Page {
        let body: String = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(fields)
            .finish();
        let mut request = self
            .client
            .post(format!("{}{path}", self.app.address))
            .insert_header(("Cookie", self.cookie_header()))
            .insert_header(("Content-Type", "application/x-www-form-urlencoded"));
        for (name, value) in headers {
            request = request.insert_header((*name, *value));
        }
        self.read(request.send_body(body).await.expect("sent"))
            .await
    }

    /// Posts a form with a file input, as a page of this service would, with the CSRF token.
    pub(crate) async fn post_file(
        &mut self,
        path: &str,
        fields: &[(&str, &str)],
        file: (&str, &[u8]),
    ) -> Page {
        self.post_multipart(path, fields, Some(file)).await
    }

    /// Posts a `multipart/form-data` form whose file input may be left empty.
    pub(crate) async fn post_multipart(
        &mut self,
        path: &str,
        fields: &[(&str, &str)],
        file: Option<(&str, &[u8])>,
    ) -> Page {
        let csrf = self
            .cookies
            .get("grantfund_csrf")
            .cloned()
            .unwrap_or_default();
        // A form that names its own token (a forged one) sends that one alone.
        let mut all: Vec<(&str, &str)> = Vec::new();
        if !fields.iter().any(|(name, _)| *name == "csrf_token") {
            all.push(("csrf_token", csrf.as_str()));
        }
        all.extend_from_slice(fields);
        let (content_type, body) = multipart_body(&all, file);
        let request = self
            .client
            .post(format!("{}{path}", self.app.address))
            .insert_header(("Cookie", self.cookie_header()))
            .insert_header(("Sec-Fetch-Site", "same-origin"))
            .insert_header(("Content-Type", content_type));
        self.read(request.send_body(body).await.expect("sent"))
            .await
    }

    async fn read<S>(&mut self, mut response: awc::ClientResponse<S>) -> Page
    where
        S: futures_util::Stream<Item = Result<actix_web::web::Bytes, awc::error::PayloadError>>
            + Unpin,
    {
        self.set_cookies.clear();
        for value in response.headers().get_all("set-cookie") {
            let line = value.to_str().expect("ascii cookie").to_owned();
            let pair = line.split(';').next().unwrap_or_default();
            if let Some((name, value)) = pair.split_once('=') {
                if value.is_empty() {
                    self.cookies.remove(name);
                } else {
                    self.cookies.insert(name.to_owned(), value.to_owned());
                }
            }
            self.set_cookies.push(line);
        }
        let body = response.body().limit(4 * 1024 * 1024).await.expect("body");
        Page {
            status: response.status(),
            location: response
                .headers()
                .get("location")
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned),
            headers: response.headers().clone(),
            text: String::from_utf8_lossy(&body).into_owned(),
        }
    }

    fn set_cookie(&self, name: &str) -> Option<&String> {
        self.set_cookies
            .iter()
            .find(|line| line.starts_with(&format!("{name}=")))
    }

    pub(crate) async fn sign_in(&mut self, email: &str) {
        self.sign_in_with(email, PASSWORD).await;
    }

    async fn sign_in_with(&mut self, email: &str, password: &str) {
        self.get("/sign-in").await;
        let mut page = self
            .post(
                "/sign-in",
                &[("email", email), ("password", password), ("next", "/")],
            )
            .await;
        if page.status == StatusCode::OK && page.text.contains("name=\"challenge\"") {
            // The account has a second factor: the second page asks for the phone's code.
            let challenge = hidden_value(&page.text, "challenge");
            let id = self.app.user_id(&email.to_lowercase()).await;
            self.app.forget_last_code(id).await;
            let code = self.app.code_of(id).await;
            page = self
                .post(
                    "/sign-in/code",
                    &[("challenge", &challenge), ("code", &code), ("next", "/")],
                )
                .await;
        }
        assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.text);
    }
}

/// The value of the hidden field `name` in a page's form.
fn hidden_value(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html.find(&marker).expect("the hidden field") + marker.len();
    let rest = &html[start..];
    rest[..rest.find('"').expect("the end of the value")].to_owned()
}

async fn count(app: &TestApp, table: &'static str) -> i64 {
    #[derive(diesel::QueryableByName)]
    struct Count {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    app.state
        .db
        .run(move |conn| {
            let row: Count =
                diesel::sql_query(format!("SELECT COUNT(*) AS n FROM {table}")).get_result(conn)?;
            Ok::<_, grantfund::error::ApiError>(row.n)
        })
        .await
        .unwrap()
}

db_test! {
    async fn pages_set_a_csrf_cookie_and_the_portal_headers(app) {
        let mut browser = Browser::new(&app);
        let page = browser.get("/").await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(page.text.contains("Perinatal and infant mental health fund"));
        let content_type = page.headers.get("content-type").unwrap().to_str().unwrap();
        assert!(content_type.starts_with("text/html"), "{content_type}");
        let csp = page.headers.get("content-security-policy").unwrap().to_str().unwrap();
        assert!(csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"), "{csp}");
        assert_eq!(page.headers.get("cache-control").unwrap(), "no-store");
        let cookie = browser.set_cookie("grantfund_csrf").expect("a CSRF cookie").to_lowercase();
        assert!(cookie.contains("httponly") && cookie.contains("samesite=lax"), "{cookie}");
        assert!(!cookie.contains("secure"), "plain HTTP in development: {cookie}");
        // The token is on every form of the page, equal to the cookie.
        let token = browser.cookies["grantfund_csrf"].clone();
        let sign_in = browser.get("/sign-in").await;
        assert!(sign_in.text.contains(&format!("name=\"csrf_token\" value=\"{token}\"")));
    }
}

db_test! {
    async fn cookies_are_secure_in_production(backend: Backend) {
        let Some(app) = TestApp::spawn_with(backend, |s| {
            s.app_env = AppEnv::Production;
        })
        .await
        else {
            return;
        };
        app.register("SC300001", "secure@example.org").await;
        let mut browser = Browser::new(&app);
        let page = browser.get("/sign-in").await;
        assert_eq!(page.status, StatusCode::OK);
        let csrf = browser.set_cookie("grantfund_csrf").unwrap().to_lowercase();
        assert!(csrf.contains("secure") && csrf.contains("httponly"), "{csrf}");
        browser.sign_in("secure@example.org").await;
        let session = browser.set_cookie("grantfund_session").unwrap().to_lowercase();
        assert!(
            session.contains("secure") && session.contains("httponly") && session.contains("samesite=lax"),
            "{session}"
        );
    }
}

db_test! {
    async fn signing_out_ends_the_session_for_good(app) {
        app.register("SC300002", "out@example.org").await;
        let mut browser = Browser::new(&app);
        browser.sign_in("out@example.org").await;
        let session = browser.cookies["grantfund_session"].clone();
        assert_eq!(browser.get("/applications").await.status, StatusCode::OK);

        let out = browser.post("/sign-out", &[]).await;
        assert_eq!(out.status, StatusCode::SEE_OTHER);
        assert!(!browser.cookies.contains_key("grantfund_session"));

        // The old cookie, replayed, opens nothing.
        browser.cookies.insert("grantfund_session".into(), session);
        let page = browser.get("/applications").await;
        assert_eq!(page.status, StatusCode::SEE_OTHER);
        assert_eq!(page.location.as_deref(), Some("/sign-in?next=%2Fapplications"));
    }
}

db_test! {
    async fn a_disabled_account_loses_its_portal_session(app) {
        let Registered { .. } = app.register("SC300003", "gone@example.org").await;
        let mut browser = Browser::new(&app);
        browser.sign_in("gone@example.org").await;
        assert_eq!(browser.get("/organisation").await.status, StatusCode::OK);
        let admin = app.admin().await;
        let users = app.as_(&admin).get("/api/v1/users?role=applicant").send().await;
        let id = users.json["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|u| u["email"] == "gone@example.org")
            .unwrap()["id"]
            .as_i64()
            .unwrap();
        let reply = app.as_(&admin).patch(&format!("/api/v1/users/{id}")).json(json!({"active": false})).send().await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
        let page = browser.get("/organisation").await;
        assert_eq!(page.status, StatusCode::SEE_OTHER);
        assert!(page.location.unwrap().starts_with("/sign-in"));
    }
}

db_test! {
    async fn a_password_reset_through_the_pages_ends_every_session(app) {
        app.register("SC300009", "forgot@example.org").await;
        let mut signed_in = Browser::new(&app);
        signed_in.sign_in("forgot@example.org").await;

        let mut browser = Browser::new(&app);
        browser.get("/password-reset").await;
        let asked = browser.post("/password-reset", &[("email", "forgot@example.org")]).await;
        assert_eq!(asked.status, StatusCode::OK);
        assert!(asked.text.contains("Check your email"));
        app.run_outbox().await;
        let mail = app
            .mails()
            .into_iter()
            .find(|m| m.contains("reset-password"))
            .expect("a reset email");
        let token = crate::auth::token_in(&mail);
        let form = browser.get(&format!("/reset-password?token={token}")).await;
        assert_eq!(form.status, StatusCode::OK);
        assert!(form.text.contains(&format!("value=\"{token}\"")), "the code from the link is filled in");

        let short = browser.post("/reset-password", &[("token", token.as_str()), ("password", "short")]).await;
        assert_eq!(short.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(short.text.contains("href=\"#password\""));

        let new_password = "a brand new passphrase 77";
        let done = browser
            .post("/reset-password", &[("token", token.as_str()), ("password", new_password)])
            .await;
        assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.text);
        assert_eq!(done.location.as_deref(), Some("/sign-in?reset=1"));

        let page = signed_in.get("/applications").await;
        assert_eq!(page.status, StatusCode::SEE_OTHER, "the old session ended");
        browser.sign_in_with("forgot@example.org", new_password).await;
        assert_eq!(browser.get("/applications").await.status, StatusCode::OK);
    }
}

db_test! {
    async fn a_form_without_its_token_or_from_another_site_changes_nothing(app) {
        let OpenRound { round, .. } = app.open_round().await;
        app.register("SC300004", "csrf@example.org").await;
        let mut browser = Browser::new(&app);
        browser.sign_in("csrf@example.org").await;
        let path = format!("/rounds/{round}/apply");
        let fields = [("title", "Forged"), ("action", "save")];
        let token = browser.cookies["grantfund_csrf"].clone();
        let before = count(&app, "applications").await;

        let missing = browser.post_raw(&path, &fields, &[]).await;
        assert_eq!(missing.status, StatusCode::FORBIDDEN);
        assert!(missing.text.contains("This form has expired"));
        let wrong = browser
            .post_raw(&path, &[("csrf_token", "0123456789abcdef0123456789abcdef0123"), ("title", "Forged")], &[])
            .await;
        assert_eq!(wrong.status, StatusCode::FORBIDDEN);
        let with_token = [("csrf_token", token.as_str()), ("title", "Forged"), ("action", "save")];
        let cross_site = browser
            .post_raw(&path, &with_token, &[("Sec-Fetch-Site", "cross-site")])
            .await;
        assert_eq!(cross_site.status, StatusCode::FORBIDDEN);
        let other_origin = browser
            .post_raw(&path, &with_token, &[("Origin", "https://evil.example")])
            .await;
        assert_eq!(other_origin.status, StatusCode::FORBIDDEN);
        assert_eq!(count(&app, "applications").await, before, "a refused form wrote something");

        let saved = browser.post(&path, &[("title", "Real"), ("action", "save")]).await;
        assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.text);
        assert_eq!(count(&app, "applications").await, before + 1);
    }
}

db_test! {
    async fn the_application_form_shows_every_failed_rule_next_to_its_field(app) {
        let OpenRound { round, .. } = app.open_round().await;
        app.register("SC300005", "rules@example.org").await;
        let mut browser = Browser::new(&app);
        browser.sign_in("rules@example.org").await;
        let round_json = app.anonymous().get(&format!("/api/v1/rounds/{round}")).send().await;
        let year = round_json.json["financial_years"][0].as_str().unwrap().to_owned();
        let requested = format!("requested.{year}");
        let apply = format!("/rounds/{round}/apply");
        // A count that is not a number is the page's own check.
        let page = browser
            .post(&apply, &[("title", "Groups"), ("expected_reach.women", "many"), ("action", "save")])
            .await;
        assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", page.text);
        assert!(page.text.contains("href=\"#expected_reach.women\""), "{}", page.text);
        assert!(page.text.contains("id=\"expected_reach.women-error\""));
        // A blank title is the service's.
        let page = browser.post(&apply, &[("title", " "), ("action", "submit")]).await;
        assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(page.text.contains("href=\"#title\"") && page.text.contains("id=\"title-error\""));
        assert_eq!(count(&app, "applications").await, 0, "nothing is created while the form fails");

        // A draft that breaks the round's rules is saved, and every rule it breaks is listed at
        // once, each linked to its field and shown beside it.
        let page = browser
            .post(&apply, &[("title", "Groups"), (requested.as_str(), "1.5"), ("action", "submit")])
            .await;
        assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", page.text);
        let links = page.text.matches("<li><a href=\"#").count();
        assert!(links >= 3, "expected every broken rule listed, saw {links}: {}", page.text);
        for field in [requested.as_str(), "summary", "health_boards"] {
            assert!(page.text.contains(&format!("href=\"#{field}\"")), "no summary link to {field}");
            assert!(page.text.contains(&format!("id=\"{field}-error\"")), "no message beside {field}");
        }
        assert_eq!(count(&app, "applications").await, 1, "the draft is kept");
        // What was typed stays in the form.
        assert!(page.text.contains("value=\"1.5\""));
    }
}

db_test! {
    async fn pages_deny_unless_allowed_and_hide_other_organisations(app) {
        let OpenRound { round, .. } = app.open_round().await;
        let Registered { token: a, .. } = app.register("SC300006", "a@example.org").await;
        app.register("SC300007", "b@example.org").await;
        let a_application = app.draft(&a, round, application_body()).await;

        let mut nobody = Browser::new(&app);
        // Filters work without JavaScript: the choice is in the address and kept in the form.
        let filtered = nobody.get("/directory?health_board=fife&support_type=").await;
        assert_eq!(filtered.status, StatusCode::OK);
        assert!(filtered.text.contains("<option value=\"fife\" selected>"), "{}", filtered.text);
        let page = nobody.get("/applications").await;
        assert_eq!(page.status, StatusCode::SEE_OTHER);
        assert_eq!(page.location.as_deref(), Some("/sign-in?next=%2Fapplications"));

        let mut b = Browser::new(&app);
        b.sign_in("b@example.org").await;
        for path in ["/applications/not-a-number", "/no-such-page"] {
            let page = b.get_html(path).await;
            assert_eq!(page.status, StatusCode::NOT_FOUND, "{path}");
            assert!(page.text.contains("Page not found"), "{path}: {}", page.text);
        }
        assert_eq!(b.get(&format!("/applications/{a_application}")).await.status, StatusCode::NOT_FOUND);
        for path in ["/admin/funds", "/dashboard", "/assessments", "/admin/audit", "/finance/authorisations", "/finance/payment-runs", "/finance/payment-runs/1", "/finance/payment-runs/1/lines.csv", "/admin/awards/1"] {
            assert_eq!(b.get(path).await.status, StatusCode::FORBIDDEN, "{path}");
        }

        app.create_user(Role::Official, "official@gov.example.org", None).await;
        let mut official = Browser::new(&app);
        official.sign_in("official@gov.example.org").await;
        assert_eq!(official.get("/dashboard").await.status, StatusCode::OK);
        for path in ["/applications", "/admin/funds", "/assessments", "/organisation", "/finance/authorisations", "/finance/payment-runs", "/finance/payment-runs/1/lines.csv"] {
            assert_eq!(official.get(path).await.status, StatusCode::FORBIDDEN, "{path}");
        }
        let csv = official.get("/dashboard/1/summary.csv").await;
        assert_eq!(csv.status, StatusCode::OK, "{}", csv.text);
        assert!(csv.headers.get("content-type").unwrap().to_str().unwrap().starts_with("text/csv"));
        assert!(csv.text.lines().next().unwrap().contains("financial_year"));

        let mut a_browser = Browser::new(&app);
        a_browser.sign_in("a@example.org").await;
        let own = a_browser.get(&format!("/applications/{a_application}")).await;
        assert_eq!(own.status, StatusCode::OK);
    }
}

db_test! {
    async fn a_family_sends_feedback_by_its_link_without_signing_in(app) {
        let AcceptedAward { award, holder, .. } = running_award(&app).await;
        let link = app
            .as_(&holder).post(&format!("/api/v1/awards/{award}/feedback-links")).json(json!({"label": "Group"})).send()
            .await;
        let token = link.json["token"].as_str().unwrap().to_owned();
        let mut family = Browser::new(&app);
        let form = family.get(&format!("/f/{token}")).await;
        assert_eq!(form.status, StatusCode::OK);
        assert!(!form.text.contains("type=\"email\""), "nothing identifying is asked");

        let missing = family.post(&format!("/f/{token}"), &[("respondent", "father_partner")]).await;
        assert_eq!(missing.status, StatusCode::UNPROCESSABLE_ENTITY);
        for statement in ["listened_to", "wellbeing", "relationship_with_baby", "recommend"] {
            assert!(missing.text.contains(&format!("href=\"#ratings.{statement}\"")), "{statement}");
        }
        assert_eq!(count(&app, "feedback_responses").await, 0);

        let sent = family
            .post(
                &format!("/f/{token}"),
                &[
                    ("respondent", "father_partner"),
                    ("ratings.listened_to", "5"),
                    ("ratings.wellbeing", "4"),
                    ("ratings.relationship_with_baby", "4"),
                    ("ratings.recommend", "5"),
                    ("difference", "I felt less alone."),
                ],
            )
            .await;
        assert_eq!(sent.status, StatusCode::OK, "{}", sent.text);
        assert!(sent.text.contains("Thank you"));
        assert_eq!(count(&app, "feedback_responses").await, 1);
        assert!(!family.cookies.contains_key("grantfund_session"));

        let unknown = family.get("/f/not-a-real-token").await;
        assert_eq!(unknown.status, StatusCode::NOT_FOUND);
        assert!(unknown.text.contains("Page not found"), "a page, not JSON");
    }
}

db_test! {
    async fn a_charity_registers_through_the_pages_and_an_administrator_verifies_it(app) {
        let panel = Panel::new(&app, 1).await;
        let mut charity = Browser::new(&app);
        charity.get("/register").await;
        let registered = charity
            .post(
                "/register",
                &[
                    ("organisation.name", "Kirkcaldy Bumps"),
                    ("organisation.type", "scio"),
                    ("organisation.charity_number", "SC300008"),
                    ("organisation.annual_income", "85000"),
                    ("organisation.postcode", "KY1 1XX"),
                    ("organisation.health_boards", "fife"),
                    ("organisation.contact_email", "hello@kirkcaldy.example.org"),
                    ("user.name", "Morag"),
                    ("user.email", "morag@kirkcaldy.example.org"),
                    ("user.password", PASSWORD),
                ],
            )
            .await;
        assert_eq!(registered.status, StatusCode::SEE_OTHER, "{}", registered.text);
        assert!(charity.cookies.contains_key("grantfund_session"));
        let home = charity.get("/").await;
        assert!(home.text.contains("Welcome, Morag"));

        let token = app.token("morag@kirkcaldy.example.org").await;
        let application = app.draft(&token, panel.round, application_body()).await;
        let submitted = charity
            .post(&format!("/applications/{application}"), &[("action", "submit")])
            .await;
        // The page sends the whole form: a submit that blanks the title is refused with the
        // reason, and nothing is submitted.
        assert_eq!(submitted.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", submitted.text);
        let reply = app.as_(&token).get(&format!("/api/v1/applications/{application}")).send().await;
        assert_eq!(reply.json["status"], "draft");

        let mut admin = Browser::new(&app);
        app.create_user(Role::Administrator, "second-admin@fund.example.org", None).await;
        admin.sign_in("second-admin@fund.example.org").await;
        let page = admin.get(&format!("/admin/applications/{application}")).await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(page.text.contains("Organisation not verified"));
        let organisation = reply.json["organisation_id"].as_i64().unwrap();
        let verified = admin
            .post(
                &format!("/admin/organisations/{organisation}/verify"),
                &[("back", "https://evil.example/")],
            )
            .await;
        assert_eq!(verified.status, StatusCode::SEE_OTHER);
        assert_eq!(verified.location.as_deref(), Some("/"), "never sent to another site");
        let org = app.as_(&panel.admin).get(&format!("/api/v1/organisations/{organisation}")).send().await;
        assert_eq!(org.json["verified"], true);
    }
}

db_test! {
    async fn long_lists_are_paged(app) {
        let admin = app.admin().await;
        let fund = FundBuilder::new(&app, &admin).create().await;
        for n in 0..55 {
            let reply = app
                .as_(&admin).put(&format!("/api/v1/funds/{fund}/years/2021-22")).json(json!({"limit": format!("{}.00", 900_000 + n), "approved": true})).send()
                .await;
            assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
        }
        app.create_user(Role::Administrator, "pages@fund.example.org", None).await;
        let mut browser = Browser::new(&app);
        browser.sign_in("pages@fund.example.org").await;
        let first = browser.get("/admin/audit").await;
        assert_eq!(first.status, StatusCode::OK);
        assert!(first.text.contains("Page 1 of 2"), "{}", first.text);
        assert!(first.text.contains("href=\"/admin/audit?page=2\""));
        assert!(!first.text.contains("rel=\"prev\""));
        let second = browser.get("/admin/audit?page=2").await;
        assert!(second.text.contains("Page 2 of 2"));
        assert!(second.text.contains("href=\"/admin/audit?page=1\"") && !second.text.contains("rel=\"next\""));
        // Rows of the table, less its heading row.
        let rows = |text: &str| text.matches("<tr class=\"govuk-table__row\">").count() - 1;
        assert_eq!(rows(&first.text), 50);
        assert!(rows(&second.text) >= 5);
    }
}

db_test! {
    async fn an_assessor_declares_and_scores_through_the_pages(app) {
        let panel = Panel::new(&app, 1).await;
        let Submitted { id: application, .. } = panel.submitted(&app, 1, true).await;
        let Assessor { id: assessor_id, token: assessor_token } = &panel.assessor;
        let reply = app
            .as_(&panel.admin).post(&format!("/api/v1/applications/{application}/assignments")).json(json!({"assessor_id": assessor_id})).send()
            .await;
        assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text);
        let assignment = reply.json["id"].as_i64().unwrap();
        let email = app.as_(assessor_token).get("/api/v1/me").send().await.json["user"]["email"]
            .as_str()
            .unwrap()
            .to_owned();

        let mut browser = Browser::new(&app);
        browser.sign_in(&email).await;
        let list = browser.get("/assessments").await;
        assert!(list.text.contains(&format!("href=\"/assessments/{assignment}\"")));
        let page = browser.get(&format!("/assessments/{assignment}")).await;
        assert!(page.text.contains("Do you have a conflict of interest?"));
        assert!(!page.text.contains("Equality impact"), "nothing of the application before declaring");

        let unanswered = browser.post(&format!("/assessments/{assignment}/declaration"), &[]).await;
        assert_eq!(unanswered.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(unanswered.text.contains("href=\"#has_conflict\""));
        let declared = browser
            .post(&format!("/assessments/{assignment}/declaration"), &[("has_conflict", "no")])
            .await;
        assert_eq!(declared.status, StatusCode::SEE_OTHER);

        let sheet = browser.get(&format!("/assessments/{assignment}")).await;
        let score = format!("score.{}", panel.criterion);
        assert!(sheet.text.contains(&format!("id=\"{score}\"")), "{}", sheet.text);
        let unscored = browser
            .post(&format!("/assessments/{assignment}/scores"), &[("action", "submit")])
            .await;
        assert_eq!(unscored.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(unscored.text.contains(&format!("href=\"#{score}\"")));
        let submitted = browser
            .post(
                &format!("/assessments/{assignment}/scores"),
                &[(score.as_str(), "7"), ("action", "submit")],
            )
            .await;
        assert_eq!(submitted.status, StatusCode::SEE_OTHER, "{}", submitted.text);
        let view = app
            .as_(&panel.admin).get(&format!("/api/v1/applications/{application}/assessment")).send()
            .await;
        assert_eq!(view.json["submitted_assessments"], 1, "{}", view.text);
        assert_eq!(view.json["assessments"][0]["scores"][0]["score"], 7);
    }
}

db_test! {
    async fn an_administrator_decides_within_the_budget_shown_on_the_page(app) {
        let panel = Panel::new(&app, 1).await;
        panel.set_limit(&app, "2021-22", "50000.00", true).await;
        panel.set_limit(&app, "2022-23", "50000.00", true).await;
        let Submitted { id: application, applicant } = panel.ready(&app, 1).await;
        app.create_user(Role::Administrator, "decider@fund.example.org", None).await;
        let mut admin = Browser::new(&app);
        admin.sign_in("decider@fund.example.org").await;
        let path = format!("/admin/applications/{application}");
        let page = admin.get(&path).await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(page.text.contains("<strong>£50,000</strong>"), "each year's remaining budget in view");
        assert!(page.text.contains("value=\"40000.00\""), "the request is offered as the award");

        let over = admin
            .post(
                &format!("{path}/decision"),
                &[("decision", "award"), ("amounts.2021-22", "60000"), ("amounts.2022-23", "42000")],
            )
            .await;
        assert!(over.status.is_client_error(), "{}", over.status);
        assert!(over.text.contains("govuk-error-summary"), "{}", over.text);
        let budget = panel.budget(&app).await;
        assert!(budget.iter().all(|year| year.committed == "0.00" && year.paid == "0.00"), "a refused decision commits nothing: {budget:?}");

        let made = admin
            .post(
                &format!("{path}/decision"),
                &[("decision", "award"), ("amounts.2021-22", "38000"), ("amounts.2022-23", "40000")],
            )
            .await;
        assert_eq!(made.status, StatusCode::SEE_OTHER, "{}", made.text);
        let after = admin.get(&path).await;
        assert!(after.text.contains("Awarded"));
        let awards = app.as_(&applicant).get("/api/v1/awards").send().await;
        assert_eq!(awards.json["items"][0]["total"], "78000.00", "{}", awards.text);
    }
}

db_test! {
    async fn a_charity_keeps_its_details_and_every_error_is_shown_at_its_field(app) {
        let Registered { organisation, token } = app.register("SC300010", "details@example.org").await;
        let mut browser = Browser::new(&app);
        browser.sign_in("details@example.org").await;
        let page = browser.get("/organisation").await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(page.text.contains("value=\"SC300010\""), "the form shows the stored details");

        let mut fields: Vec<(&str, &str)> = vec![
            ("organisation.name", "Details Trust"),
            ("organisation.type", "charity"),
            ("organisation.charity_number", "SC300010"),
            ("organisation.annual_income", "lots"),
            ("organisation.postcode", "not a postcode"),
            ("organisation.health_boards", "fife"),
            ("organisation.contact_email", "hello@details.example.org"),
        ];
        let refused = browser.post("/organisation", &fields).await;
        assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", refused.text);
        for field in ["organisation.annual_income", "organisation.postcode"] {
            assert!(refused.text.contains(&format!("href=\"#{field}\"")), "{field}");
            assert!(refused.text.contains(&format!("id=\"{field}-error\"")), "{field}");
        }
        assert!(refused.text.contains("value=\"lots\""), "what was typed stays");

        fields[3] = ("organisation.annual_income", "120000");
        fields[4] = ("organisation.postcode", "KY1 1XX");
        let saved = browser.post("/organisation", &fields).await;
        assert_eq!(saved.status, StatusCode::OK, "{}", saved.text);
        assert!(saved.text.contains("details are saved."));
        let stored = app.as_(&token).get(&format!("/api/v1/organisations/{organisation}")).send().await;
        assert_eq!(stored.json["name"], "Details Trust");
        assert_eq!(stored.json["annual_income"], "120000.00");
    }
}

db_test! {
    async fn a_grant_holder_makes_a_feedback_link_with_its_qr_code_once(app) {
        let AcceptedAward { award, holder, .. } = running_award(&app).await;
        let email = app.as_(&holder).get("/api/v1/me").send().await.json["user"]["email"]
            .as_str()
            .unwrap()
            .to_owned();
        let mut browser = Browser::new(&app);
        browser.sign_in(&email).await;
        let award_page = browser.get(&format!("/awards/{award}")).await;
        assert_eq!(award_page.status, StatusCode::OK);
        assert!(award_page.text.contains("Make a link and QR code"));

        let blank = browser.post(&format!("/awards/{award}/links"), &[("label", " ")]).await;
        assert_eq!(blank.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(blank.text.contains("href=\"#label\""));

        let made = browser
            .post(&format!("/awards/{award}/links"), &[("label", "Tuesday group")])
            .await;
        assert_eq!(made.status, StatusCode::OK, "{}", made.text);
        assert!(made.text.contains("<svg"), "a QR code");
        let start = made.text.find("/f/").expect("the link on the page") + 3;
        let token: String = made.text[start..]
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
            .collect();
        let mut family = Browser::new(&app);
        assert_eq!(family.get(&format!("/f/{token}")).await.status, StatusCode::OK);
        // Later visits list the link and its responses, never the link itself.
        let again = browser.get(&format!("/awards/{award}")).await;
        assert!(again.text.contains("Tuesday group"));
        assert!(!again.text.contains(&token));
    }
}

db_test! {
    async fn a_charity_uploads_its_documents_through_the_pages_and_an_administrator_downloads_them(app) {
        let Registered { organisation, .. } = app.register("SC300020", "uploads@example.org").await;
        let mut browser = Browser::new(&app);
        browser.sign_in("uploads@example.org").await;
        let own = browser.get("/organisation").await;
        assert!(own.text.contains(&format!("href=\"/documents/organisation/{organisation}\"")));
        let path = format!("/documents/organisation/{organisation}");
        let page = browser.get(&path).await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.text);
        assert!(page.text.contains("enctype=\"multipart/form-data\""));
        assert!(page.text.contains("No documents have been uploaded yet."));

        // Errors are told beside their fields, in plain words, and nothing is stored.
        let refused = browser.post_file(&path, &[("kind", "annual_accounts")], ("tool.pdf", b"\x7fELF\x02\x01\x01\0\0")).await;
        assert_eq!(refused.status, StatusCode::UNSUPPORTED_MEDIA_TYPE, "{}", refused.text);
        assert!(refused.text.contains("id=\"file-error\""));
        assert!(refused.text.contains("The selected file must be a PDF, Word, Excel"));
        let refused = browser.post_file(&path, &[("kind", "annual_accounts")], ("accounts.pdf", b"%PDF-1.4 accounts")).await;
        assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", refused.text);
        assert!(refused.text.contains("id=\"period_end-error\""));
        assert!(refused.text.contains("Enter the last day the accounts cover"));
        assert!(refused.text.contains("href=\"#period_end\""), "the error summary links to the field");

        let uploaded = browser.post_file(&path, &[("kind", "annual_accounts"), ("period_end", "2020-03-31")], ("accounts.pdf", b"%PDF-1.4 accounts")).await;
        assert_eq!(uploaded.status, StatusCode::SEE_OTHER, "{}", uploaded.text);
        let listed = browser.get(uploaded.location.as_deref().unwrap()).await;
        assert!(listed.text.contains("Your document is uploaded."));
        assert!(listed.text.contains("accounts.pdf"));
        assert!(listed.text.contains("PDF, 17 bytes"));
        assert!(listed.text.contains("Period ending 31 March 2020"));

        // Without its token the upload is refused.
        let forged = browser.post_file(&path, &[("kind", "constitution"), ("csrf_token", "forged")], ("c.pdf", b"%PDF-1.4 c")).await;
        assert_eq!(forged.status, StatusCode::FORBIDDEN, "{}", forged.text);

        // An administrator reads the list, is told the accounts are old, and downloads them.
        let admin = app.admin().await;
        let document = app.as_(&admin).get(&format!("/api/v1/organisations/{organisation}/documents")).send().await;
        let id = document.json["items"][0]["id"].as_i64().unwrap();
        let email = app.as_(&admin).get("/api/v1/me").send().await.json["user"]["email"].as_str().unwrap().to_owned();
        let mut staff = Browser::new(&app);
        staff.sign_in(&email).await;
        let seen = staff.get(&path).await;
        assert!(seen.text.contains("more than 18 months ago"), "{}", seen.text);
        assert!(!seen.text.contains("Upload a document"), "administrators do not upload for charities");
        let file = staff.get(&format!("/document-files/{id}")).await;
        assert_eq!(file.status, StatusCode::OK);
        assert_eq!(file.text, "%PDF-1.4 accounts");
        assert!(file.headers.get("content-disposition").unwrap().to_str().unwrap().starts_with("attachment;"));
        assert_eq!(file.headers.get("content-security-policy").unwrap(), "default-src 'none'; sandbox");

        // Another charity sees none of it.
        app.register("SC300021", "nosy@example.org").await;
        let mut nosy = Browser::new(&app);
        nosy.sign_in("nosy@example.org").await;
        assert_eq!(nosy.get(&path).await.status, StatusCode::NOT_FOUND);
        assert_eq!(nosy.get(&format!("/document-files/{id}")).await.status, StatusCode::NOT_FOUND);

        // Its own applicant deletes it.
        let deleted = browser.post(&format!("/document-files/{id}/delete"), &[]).await;
        assert_eq!(deleted.status, StatusCode::SEE_OTHER, "{}", deleted.text);
        assert!(browser.get(&path).await.text.contains("No documents have been uploaded yet."));
    }
}

db_test! {
    async fn a_charity_lists_its_service_and_an_administrator_approves_it_through_the_pages(app) {
        let panel = Panel::new(&app, 1).await;
        let Award { id: award, holder } = panel.accepted(&app, 1).await;
        panel.accepted(&app, 2).await;
        let organisation = app.as_(&holder).get("/api/v1/me").send().await.json["user"]["organisation_id"].as_i64().unwrap();
        app.as_(&holder).patch(&format!("/api/v1/organisations/{organisation}")).json(json!({"listed_in_directory": true})).send().await;
        let mut charity = Browser::new(&app);
        charity.sign_in("applicant1@example.org").await;

        // The town, on the organisation's page, with its error beside it.
        let refused = charity.post("/organisation/address", &[("town", "9 Elms")]).await;
        assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", refused.text);
        assert!(refused.text.contains("href=\"#town\"") && refused.text.contains("id=\"town-error\""), "{}", refused.text);
        let saved = charity.post("/organisation/address", &[("town", "Kirkcaldy")]).await;
        assert_eq!(saved.status, StatusCode::OK, "{}", saved.text);
        assert!(saved.text.contains("Your town is saved.") && saved.text.contains("value=\"Kirkcaldy\""));

        // The form offers the charity's own funded award and shows every problem at its field.
        let form = charity.get("/services/new").await;
        assert_eq!(form.status, StatusCode::OK, "{}", form.text);
        let award_value = award.to_string();
        assert!(form.text.contains(&format!("value=\"{award_value}\"")), "its award is a choice");
        let refused = charity.post("/services/new", &[("name", ""), ("phone", "12"), ("running", "true")]).await;
        assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", refused.text);
        for field in ["name", "offer", "phone", "health_boards", "languages", "award_ids"] {
            assert!(refused.text.contains(&format!("href=\"#{field}\"")), "{field}: {}", refused.text);
            assert!(refused.text.contains(&format!("id=\"{field}-error\"")), "{field}");
        }
        let fields: Vec<(&str, &str)> = vec![
            ("name", "Kirkcaldy parent and baby groups"),
            ("offer", "Weekly groups for new parents."),
            ("audience", "Parents in the first year."),
            ("referral", "Call us, or ask your health visitor."),
            ("phone", "01592 123456"),
            ("email", "groups@example.org"),
            ("towns", "Kirkcaldy\nGlenrothes"),
            ("health_boards", "fife"),
            ("support_types", "peer_support"),
            ("target_groups", "mothers_birthing_parents"),
            ("languages", "English, Polish"),
            ("running", "true"),
            ("award_ids", &award_value),
        ];
        let sent = charity.post("/services/new", &fields).await;
        assert_eq!(sent.status, StatusCode::SEE_OTHER, "{}", sent.text);
        let list = charity.get("/services?saved=1").await;
        assert!(list.text.contains("Waiting for the fund to check"), "{}", list.text);
        let listings = app.as_(&holder).get("/api/v1/directory-services").send().await;
        let id = listings.json["items"][0]["id"].as_i64().unwrap();
        assert_eq!(listings.json["items"][0]["towns"], json!(["Glenrothes", "Kirkcaldy"]));
        assert_eq!(listings.json["items"][0]["languages"], json!(["English", "Polish"]));
        let mut nobody = Browser::new(&app);
        assert_eq!(nobody.get_html(&format!("/directory/{id}")).await.status, StatusCode::NOT_FOUND);

        // Another charity cannot open it; only an administrator approves it.
        let mut stranger = Browser::new(&app);
        stranger.sign_in("applicant2@example.org").await;
        assert_eq!(stranger.get_html(&format!("/services/{id}")).await.status, StatusCode::NOT_FOUND);
        assert_eq!(charity.get("/admin/services").await.status, StatusCode::FORBIDDEN);
        let admin_email = "directory-admin@fund.example.org";
        app.create_user(Role::Administrator, admin_email, None).await;
        let mut admin = Browser::new(&app);
        admin.sign_in(admin_email).await;
        let queue = admin.get("/admin/services").await;
        assert!(queue.text.contains("Kirkcaldy parent and baby groups"), "{}", queue.text);
        // The page approves the version it showed; an older one is shown again, not approved.
        let stale = admin.post(&format!("/admin/services/{id}/approve"), &[("updated_at", "2020-01-01T00:00:00+00:00")]).await;
        assert_eq!(stale.location.as_deref(), Some("/admin/services?changed=1"), "{}", stale.text);
        assert!(admin.get("/admin/services?changed=1").await.text.contains("is not approved"));
        let shown = listings.json["items"][0]["updated_at"].as_str().unwrap().to_owned();
        assert!(queue.text.contains("name=\"updated_at\""), "the form carries the version it shows");
        let approved = admin.post(&format!("/admin/services/{id}/approve"), &[("updated_at", &shown)]).await;
        assert_eq!(approved.status, StatusCode::SEE_OTHER, "{}", approved.text);
        assert_eq!(approved.location.as_deref(), Some("/admin/services?approved=1"));
        let public = nobody.get(&format!("/directory/{id}")).await;
        assert_eq!(public.status, StatusCode::OK);
        assert!(public.text.contains("href=\"tel:01592123456\"") && public.text.contains("href=\"mailto:groups@example.org\""), "{}", public.text);

        // A change from the charity's page takes it back out until it is approved again.
        let page = charity.get(&format!("/services/{id}")).await;
        assert!(page.text.contains("This listing is public"), "{}", page.text);
        let mut changed = fields.clone();
        changed[4] = ("phone", "01592 654321");
        let sent = charity.post(&format!("/services/{id}"), &changed).await;
        assert_eq!(sent.status, StatusCode::SEE_OTHER, "{}", sent.text);
        assert_eq!(nobody.get_html(&format!("/directory/{id}")).await.status, StatusCode::NOT_FOUND);
    }
}

db_test! {
    async fn bank_details_are_entered_masked_and_checked_by_a_second_person_through_the_pages(app) {
        let Registered { organisation, .. } = app.register("SC300020", "bank@example.org").await;
        let mut charity = Browser::new(&app);
        charity.sign_in("bank@example.org").await;
        let empty = charity.get("/organisation/bank-details").await;
        assert_eq!(empty.status, StatusCode::OK, "{}", empty.text);
        assert!(empty.text.contains("cannot pay any grant yet"), "{}", empty.text);

        let refused = charity.post("/organisation/bank-details", &[("account_name", ""), ("sort_code", "12-34"), ("account_number", "123")]).await;
        assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", refused.text);
        for field in ["account_name", "sort_code", "account_number"] {
            assert!(refused.text.contains(&format!("href=\"#{field}\"")), "{field}");
            assert!(refused.text.contains(&format!("id=\"{field}-error\"")), "{field}");
        }
        assert!(refused.text.contains("Sort code must be six digits"), "{}", refused.text);

        let saved = charity.post("/organisation/bank-details", &[("account_name", "Bank Trust"), ("sort_code", "80-22-60"), ("account_number", "10203040"), ("roll_number", "")]).await;
        assert_eq!(saved.status, StatusCode::OK, "{}", saved.text);
        assert!(saved.text.contains("****3040") && saved.text.contains("Waiting for a check"), "{}", saved.text);
        assert!(!saved.text.contains("10203040") && !saved.text.contains("80-22-60"), "only the last digits are shown");
        assert!(!saved.text.contains("Confirm these bank details"), "the charity cannot check its own");

        // Finance staff find the details waiting for their check.
        let finance = format!("finance-{}@fund.example.org", uuid::Uuid::new_v4().simple());
        app.create_user(Role::Finance, &finance, None).await;
        let mut payments = Browser::new(&app);
        payments.sign_in(&finance).await;
        let queue = payments.get("/finance/bank-details").await;
        assert_eq!(queue.status, StatusCode::OK, "{}", queue.text);
        assert!(queue.text.contains(&format!("href=\"/admin/organisations/{organisation}/bank-details\"")), "{}", queue.text);
        assert_eq!(payments.get(&format!("/admin/organisations/{organisation}/bank-details")).await.status, StatusCode::OK);
        assert_eq!(charity.get("/finance/bank-details").await.status, StatusCode::FORBIDDEN);

        // The first administrator enters a change, so only a second one can check it.
        let first = format!("first-{}@fund.example.org", uuid::Uuid::new_v4().simple());
        let second = format!("second-{}@fund.example.org", uuid::Uuid::new_v4().simple());
        app.create_user(Role::Administrator, &first, None).await;
        app.create_user(Role::Administrator, &second, None).await;
        let mut admin = Browser::new(&app);
        admin.sign_in(&first).await;
        let path = format!("/admin/organisations/{organisation}/bank-details");
        let changed = admin.post(&path, &[("account_name", "Bank Trust"), ("sort_code", "80 22 61"), ("account_number", "10203041")]).await;
        assert_eq!(changed.status, StatusCode::OK, "{}", changed.text);
        let own = admin.post(&format!("{path}/verify"), &[]).await;
        assert_eq!(own.status, StatusCode::CONFLICT, "{}", own.text);
        assert!(own.text.contains("a second person must verify them"), "{}", own.text);
        let mut checker = Browser::new(&app);
        checker.sign_in(&second).await;
        let page = checker.get(&path).await;
        assert!(page.text.contains("Confirm these bank details are correct"), "{}", page.text);
        let checked = checker.post(&format!("{path}/verify"), &[]).await;
        assert_eq!(checked.status, StatusCode::OK, "{}", checked.text);
        assert!(checked.text.contains("Checked") && checked.text.contains("****3041"), "{}", checked.text);
        assert!(!checked.text.contains("Confirm these bank details"));
    }
}

db_test! {
    async fn finance_authorises_builds_a_run_and_records_the_bank_results_through_the_pages(app) {
        let panel = Panel::new(&app, 1).await;
        let mut awards = Vec::new();
        for n in 1..=2 {
            let Submitted { id, applicant } = panel.ready(&app, n).await;
            let award = panel.award(&app, id, json!({"2021-22": "10000.00"})).await.json["award"]["id"].as_i64().unwrap();
            app.payable(&applicant, &panel.admin).await;
            app.as_(&applicant).post(&format!("/api/v1/awards/{award}/accept")).json(json!({})).send().await;
            awards.push(award);
        }
        let officer = format!("officer-{}@fund.example.org", uuid::Uuid::new_v4().simple());
        app.create_user(Role::Administrator, &officer, None).await;
        let mut admin = Browser::new(&app);
        admin.sign_in(&officer).await;
        for award in &awards {
            let page = admin.get(&format!("/admin/awards/{award}")).await;
            assert_eq!(page.status, StatusCode::OK, "{}", page.text);
            assert!(page.text.contains("Request release"), "{}", page.text);
            let requested = admin.post(&format!("/admin/awards/{award}/instalments/2021-22/release"), &[]).await;
            assert_eq!(requested.status, StatusCode::OK, "{}", requested.text);
            assert!(requested.text.contains("Release requested") && !requested.text.contains(">Request release<"), "{}", requested.text);
        }
        let again = admin.post(&format!("/admin/awards/{}/instalments/2021-22/release", awards[0]), &[]).await;
        assert_eq!(again.status, StatusCode::CONFLICT, "{}", again.text);
        assert!(again.text.contains("govuk-error-summary"), "{}", again.text);
        let queue = admin.get("/finance/authorisations").await;
        assert_eq!(queue.status, StatusCode::OK, "{}", queue.text);
        assert!(!queue.text.contains(">Authorise<"), "administrators see the queue without the button");
        assert_eq!(admin.get("/finance/payment-runs").await.status, StatusCode::FORBIDDEN);

        let finance = format!("finance-{}@fund.example.org", uuid::Uuid::new_v4().simple());
        app.create_user(Role::Finance, &finance, None).await;
        let mut payments = Browser::new(&app);
        payments.sign_in(&finance).await;
        let home = payments.get("/finance/authorisations").await;
        for link in ["href=\"/finance/authorisations\"", "href=\"/finance/payment-runs\"", "href=\"/finance/bank-details\""] {
            assert!(home.text.contains(link), "finance navigation has {link}");
        }
        for award in &awards {
            let authorised = payments.post(&format!("/finance/authorisations/{award}/2021-22"), &[]).await;
            assert_eq!(authorised.status, StatusCode::OK, "{}", authorised.text);
            assert!(authorised.text.contains("is authorised"), "{}", authorised.text);
        }
        assert!(payments.get("/finance/authorisations").await.text.contains("Next run"));

        let built = payments.post("/finance/payment-runs", &[]).await;
        assert_eq!(built.status, StatusCode::SEE_OTHER, "{}", built.text);
        let location = built.location.unwrap();
        let run_path = location.split('?').next().unwrap().to_owned();
        let page = payments.get(&location).await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.text);
        assert!(page.text.contains("id=\"run-count\">2<") && page.text.contains("£20,000"), "{}", page.text);
        let nothing = payments.post("/finance/payment-runs", &[]).await;
        assert_eq!(nothing.status, StatusCode::CONFLICT, "{}", nothing.text);
        assert!(nothing.text.contains("govuk-error-summary"));
        let file = payments.get(&format!("{run_path}/lines.csv")).await;
        assert_eq!(file.status, StatusCode::OK);
        assert!(file.text.contains("80-22-60,10203040"), "{}", file.text);
        assert_eq!(admin.get(&format!("{run_path}/lines.csv")).await.status, StatusCode::FORBIDDEN);

        let closed = payments.post(&format!("{run_path}/close"), &[]).await;
        assert_eq!(closed.status, StatusCode::OK, "{}", closed.text);
        let lines: Vec<i64> = file.text.lines().skip(1).map(|l| l.split(',').next().unwrap().parse().unwrap()).collect();
        let first = lines[0];
        let field = format!("paid_on-{first}");
        let refused = payments.post(&format!("{run_path}/lines/{first}/paid"), &[(field.as_str(), "31/02/2021")]).await;
        assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", refused.text);
        assert!(refused.text.contains(&format!("href=\"#{field}\"")) && refused.text.contains(&format!("id=\"{field}-error\"")), "{}", refused.text);
        let today = app.clock_now().date().to_string();
        let paid = payments.post(&format!("{run_path}/lines/{first}/paid"), &[(field.as_str(), today.as_str())]).await;
        assert_eq!(paid.status, StatusCode::OK, "{}", paid.text);
        assert!(paid.text.contains("marked paid"), "{}", paid.text);

        // The results file: a bad row is named beside the file input and nothing changes.
        let row = file.text.lines().nth(2).unwrap();
        let header = file.text.lines().next().unwrap();
        let bad = format!("{header},status,paid_on,reason\n{row},failed,,\n");
        let refused = payments.post_file(&format!("{run_path}/results"), &[], ("results.csv", bad.as_bytes())).await;
        assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", refused.text);
        assert!(refused.text.contains("Row 2, reason") && refused.text.contains("id=\"file-error\""), "{}", refused.text);
        let good = format!("{header},status,paid_on,reason\n{row},failed,,Account closed\n");
        let recorded = payments.post_file(&format!("{run_path}/results"), &[], ("results.csv", good.as_bytes())).await;
        assert_eq!(recorded.status, StatusCode::OK, "{}", recorded.text);
        assert!(recorded.text.contains("Account closed") && recorded.text.contains("1 failed"), "{}", recorded.text);
        let runs = payments.get("/finance/payment-runs").await;
        assert!(runs.text.contains(&format!("href=\"{run_path}\"")), "{}", runs.text);
        let years = panel.budget(&app).await;
        let (committed, paid) = years.iter().find(|y| y.year == "2021-22").map(|y| (y.committed.clone(), y.paid.clone())).unwrap();
        assert_eq!((committed.as_str(), paid.as_str()), ("20000.00", "10000.00"));
    }
}

db_test! {
    async fn a_required_role_without_a_factor_is_sent_to_set_one_up_with_a_qr_code(app) {
        let admin = app.admin().await;
        let created = app.as_(&admin).post("/api/v1/users").json(serde_json::json!({
            "email": "portal-official@gov.example.org", "name": "Portal Official", "role": "official", "password": PASSWORD
        })).send().await;
        assert_eq!(created.status.as_u16(), 201, "{}", created.text);
        let mut browser = Browser::new(&app);
        browser.sign_in("portal-official@gov.example.org").await;
        let page = browser.get("/dashboard").await;
        assert_eq!(page.status, StatusCode::SEE_OTHER);
        assert_eq!(page.location.as_deref(), Some("/account/mfa"));
        let account = browser.get("/account/mfa").await;
        assert!(account.text.contains("Your role must sign in with a code"), "{}", account.text);
        let enrol = browser.post("/account/mfa/start", &[]).await;
        assert_eq!(enrol.status, StatusCode::OK, "{}", enrol.text);
        assert!(enrol.text.contains("src=\"data:image/svg+xml;base64,"), "the QR code is on the page");
        let secret = hidden_value(&enrol.text, "secret");
        assert!(enrol.text.contains(&format!("<code class=\"app-secret\">{secret}</code>")), "and the key as text");
        // A wrong code: the summary and the words beside the field.
        let wrong = browser.post("/account/mfa/confirm", &[("secret", &secret), ("code", "000000")]).await;
        assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", wrong.text);
        assert!(wrong.text.contains("govuk-error-summary") && wrong.text.contains("id=\"code-error\""), "{}", wrong.text);
        let code = code_for(&secret, { use grantfund::domain::clock::Clock; app.clock.now() });
        let done = browser.post("/account/mfa/confirm", &[("secret", &secret), ("code", &code)]).await;
        assert_eq!(done.status, StatusCode::OK, "{}", done.text);
        assert_eq!(done.text.matches("<li><code>").count(), 10, "ten recovery codes, shown once");
        assert_eq!(browser.get("/dashboard").await.status, StatusCode::OK);
    }
}

db_test! {
    async fn a_sensitive_form_asks_for_the_code_again_after_ten_minutes(app) {
        let email = "portal-stepup@fund.example.org";
        let id = app.create_user(Role::Administrator, email, None).await;
        let token = app.token(email).await;
        let fund = FundBuilder::new(&app, &token).create().await;
        let mut browser = Browser::new(&app);
        browser.sign_in(email).await;
        let path = format!("/admin/funds/{fund}/years");
        let fields = [("financial_year", "2021-22"), ("limit", "900000"), ("approved", "true")];
        let first = browser.post(&path, &fields).await;
        assert_eq!(first.status, StatusCode::SEE_OTHER, "{}", first.text);
        assert_eq!(first.location.as_deref(), Some(format!("/admin/funds/{fund}").as_str()));
        app.clock.advance(chrono::Duration::seconds(11 * 60));
        let asked = browser.post(&path, &fields).await;
        assert_eq!(asked.status, StatusCode::SEE_OTHER);
        let prompt = asked.location.clone().unwrap();
        assert!(prompt.starts_with("/account/step-up?next="), "{prompt}");
        let page = browser.get(&prompt).await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(page.text.contains("Code from your authenticator app"));
        let wrong = browser.post("/account/step-up", &[("code", "000000"), ("next", "/")]).await;
        assert!(wrong.text.contains("id=\"code-error\""), "{}", wrong.text);
        app.forget_last_code(id).await;
        let code = app.code_of(id).await;
        assert!(prompt.ends_with(&format!("%2Fadmin%2Ffunds%2F{fund}")), "back to the fund's page: {prompt}");
        let page_of_fund = format!("/admin/funds/{fund}");
        let back = browser.post("/account/step-up", &[("code", &code), ("next", &page_of_fund)]).await;
        assert_eq!(back.status, StatusCode::SEE_OTHER, "{}", back.text);
        assert_eq!(back.location.as_deref(), Some(page_of_fund.as_str()));
        assert_eq!(browser.get(&page_of_fund).await.status, StatusCode::OK);
        let done = browser.post(&path, &fields).await;
        assert_eq!(done.location.as_deref(), Some(format!("/admin/funds/{fund}").as_str()));
    }
}

db_test! {
    async fn ending_a_portal_session_kills_its_cookie_at_once(app) {
        let registered = app.register("SC300777", "two-places@example.org").await;
        let mut browser = Browser::new(&app);
        browser.sign_in("two-places@example.org").await;
        let listed = browser.get("/account/sessions").await;
        assert_eq!(listed.status, StatusCode::OK);
        assert!(listed.text.contains("This website (this session)"), "{}", listed.text);
        let sessions = app.as_(&registered.token).get("/api/v1/me/sessions").send().await;
        let portal = sessions.json.as_array().unwrap().iter().find(|s| s["kind"] == "portal").expect("the portal session").clone();
        let ended = app.as_(&registered.token).delete(&format!("/api/v1/me/sessions/{}", portal["id"].as_str().unwrap())).send().await;
        assert_eq!(ended.status.as_u16(), 204);
        let page = browser.get("/account").await;
        assert_eq!(page.status, StatusCode::SEE_OTHER, "the cookie opens nothing on the next request");
        assert_eq!(page.location.as_deref(), Some("/sign-in?next=%2Faccount"));
        // The API session is untouched, and the portal's end button ends a session too.
        assert_eq!(app.as_(&registered.token).get("/api/v1/me").send().await.status.as_u16(), 200);
        browser.sign_in("two-places@example.org").await;
        let listed = browser.get("/account/sessions").await;
        let id = hidden_value(&listed.text, "id");
        let out = browser.post("/account/sessions/end", &[("id", &id)]).await;
        assert_eq!(out.status, StatusCode::SEE_OTHER);
    }
}
