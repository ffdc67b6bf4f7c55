//! Spawns the real application on a fresh database per test, SQLite or PostgreSQL, and talks to
//! it over HTTP.

use std::io::Write;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use awc::http::StatusCode;
use chrono::Utc;
use diesel::{Connection, RunQueryDsl, pg::PgConnection};
use serde_json::{Value, json};

use super::fixtures::{FundBuilder, OpenRound, Registered, registration, round_body};
use super::request::{Caller, Reply};

use grantfund::config::Settings;
use grantfund::domain::clock::{Clock, ManualClock};
use grantfund::domain::identifiers::Email;
use grantfund::domain::vocabulary::Role;
use grantfund::email::mailer::Mailer;
use grantfund::users::service::{self as users, NewUser, Place};
use grantfund::{AppState, Application, Options};

pub const PASSWORD: &str = "a long passphrase 42";

/// The TOTP secret of every member of staff `create_user` makes in a role that must have a second
/// factor: what their phone would hold.
pub const TOTP_SECRET: &str = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Runs each test body on both databases: `mod name { sqlite, postgres }`. The body gets a
/// running app, or with `(backend: Backend)` the backend, to spawn an app with its own settings.
#[macro_export]
macro_rules! db_test {
    ($(#[$meta:meta])* async fn $name:ident($backend:ident: Backend) $body:block) => {
        $(#[$meta])*
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            async fn run($backend: $crate::support::Backend) $body

            #[actix_web::test]
            async fn sqlite() {
                run($crate::support::Backend::Sqlite).await;
            }

            #[actix_web::test]
            async fn postgres() {
                run($crate::support::Backend::Postgres).await;
            }
        }
    };
    ($(#[$meta:meta])* async fn $name:ident($app:ident) $body:block) => {
        $(#[$meta])*
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            #[actix_web::test]
            async fn sqlite() {
                let $app = $crate::support::TestApp::spawn($crate::support::Backend::Sqlite).await.expect("sqlite app");
                $body
            }

            #[actix_web::test]
            async fn postgres() {
                if let Some($app) = $crate::support::TestApp::spawn($crate::support::Backend::Postgres).await {
                    $body
                }
            }
        }
    };
}

pub fn postgres_url() -> String {
    std::env::var("TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_owned())
}

/// Whether PostgreSQL answers. Without it the PostgreSQL half of every test fails under CI and
/// is skipped, loudly, elsewhere.
fn postgres_available() -> bool {
    static AVAILABLE: OnceLock<bool> = OnceLock::new();
    *AVAILABLE.get_or_init(|| match PgConnection::establish(&postgres_url()) {
        Ok(_) => true,
        Err(error) => {
            if std::env::var_os("CI").is_some() {
                panic!("PostgreSQL at TEST_POSTGRES_URL is unreachable under CI: {error}");
            }
            // Straight to the stderr handle: libtest captures the print macros, and this notice
            // must be seen.
            let _ = writeln!(
                std::io::stderr(),
                "\n\n**********************************************************************\n\
                 *** PostgreSQL is unreachable ({error}).\n\
                 *** Every PostgreSQL test is SKIPPED. Set TEST_POSTGRES_URL or start it.\n\
                 **********************************************************************\n"
            );
            false
        }
    })
}

/// A database that lives as long as the test.
pub enum TestDb {
    Sqlite {
        _dir: tempfile::TempDir,
    },
    Postgres {
        name: String,
    },
    /// Another instance's database, which that instance cleans up.
    Shared,
}

impl TestDb {
    pub fn create(backend: Backend) -> Option<(TestDb, String)> {
        match backend {
            Backend::Sqlite => {
                let dir = tempfile::tempdir().expect("temp dir");
                let url = format!("sqlite://{}", dir.path().join("test.db").display());
                Some((TestDb::Sqlite { _dir: dir }, url))
            }
            Backend::Postgres => {
                if !postgres_available() {
                    return None;
                }
                let name = format!("gf_test_{}", uuid::Uuid::new_v4().simple());
                let mut admin =
                    PgConnection::establish(&postgres_url()).expect("postgres admin connection");
                diesel::sql_query(format!("CREATE DATABASE {name}"))
                    .execute(&mut admin)
                    .expect("create database");
                let base = postgres_url();
                let (prefix, rest) = base.rsplit_once('/').expect("database url has a path");
                let query = rest
                    .split_once('?')
                    .map(|(_, q)| format!("?{q}"))
                    .unwrap_or_default();
                let url = format!("{prefix}/{name}{query}");
                Some((TestDb::Postgres { name }, url))
            }
        }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let TestDb::Postgres { name } = self
            && let Ok(mut admin) = PgConnection::establish(&postgres_url())
        {
            let _ = diesel::sql_query(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                .execute(&mut admin);
        }
    }
}

pub struct TestApp {
    pub address: String,
    pub state: AppState,
    pub clock: ManualClock,
    pub mail_dir: tempfile::TempDir,
    pub client: awc::Client,
    // Dropped last: the database outlives the server's use of it.
    database: TestDb,
}

impl TestApp {
    pub async fn spawn(backend: Backend) -> Option<TestApp> {
        Self::spawn_with(backend, |_| {}).await
    }

    /// Spawns an app whose access tokens outlive any move of the test clock, across years.
    pub async fn time_travelling(backend: Backend) -> Option<TestApp> {
        Self::spawn_with(backend, |s| {
            s.access_token_ttl = Duration::from_secs(20 * 365 * 86_400);
        })
        .await
    }

    /// Spawns with settings adjusted by `tweak`.
    pub async fn spawn_with(
        backend: Backend,
        tweak: impl FnOnce(&mut Settings),
    ) -> Option<TestApp> {
        let (db, url) = TestDb::create(backend)?;
        let mail_dir = tempfile::tempdir().expect("mail dir");
        let mut settings = Settings::for_database(&url).expect("settings");
        settings.bind_addr = "127.0.0.1:0".to_owned();
        settings.mail_dir = mail_dir.path().to_owned();
        settings.storage_url = format!("file://{}/documents", mail_dir.path().display());
        settings.database_pool_size = 8;
        // Every test's requests come from 127.0.0.1, and many tests register and sign in dozens
        // of users in seconds; the tests of this limit set their own.
        settings.unauthenticated_writes_per_client_per_minute = 10_000;
        tweak(&mut settings);
        let clock = ManualClock::new(Utc::now());
        let options = Options {
            clock: Arc::new(clock.clone()),
            workers: Some(1),
            run_jobs: false,
        };
        let app = Application::build(settings, options).expect("application builds");
        let address = format!("http://127.0.0.1:{}", app.port());
        let state = app.state().clone();
        actix_web::rt::spawn(app.run_until_stopped());
        let client = awc::Client::builder()
            .disable_redirects()
            .timeout(Duration::from_secs(30))
            .finish();
        Some(TestApp {
            address,
            state,
            clock,
            mail_dir,
            client,
            database: db,
        })
    }

    /// Requests sent with `token`'s bearer token.
    pub fn as_<'a>(&'a self, token: &'a str) -> Caller<'a> {
        Caller::new(self, Some(token))
    }

    /// Requests sent by nobody in particular: no token.
    pub fn anonymous(&self) -> Caller<'_> {
        Caller::new(self, None)
    }

    /// Creates an account directly (as the CLI would) and gives its id.
    pub async fn create_user(&self, role: Role, email: &str, organisation_id: Option<i64>) -> i64 {
        let place = Place {
            organisation_id,
            ..Place::default()
        };
        self.create_user_at(role, email, place).await
    }

    /// Creates an account of `role` working at `place` (an organisation, a unit or a board).
    pub async fn create_user_at(&self, role: Role, email: &str, place: Place) -> i64 {
        let email = Email::parse(email).expect("email");
        let now = self.clock_now();
        let user = self
            .state
            .db
            .run(move |conn| {
                let new = NewUser {
                    email,
                    name: "Test User".to_owned(),
                    role,
                    place,
                    password_hash: grantfund::auth::password::hash(PASSWORD)?,
                };
                users::create(conn, now, None, &new)
            })
            .await
            .expect("user created");
        if self.state.settings.mfa_required_roles.contains(&role) {
            self.enrol(user.id, TOTP_SECRET).await;
        }
        user.id
    }

    /// Gives an account a confirmed second factor with `secret`, as if set up on a phone; gives
    /// its recovery codes.
    pub async fn enrol(&self, user_id: i64, secret: &str) -> Vec<String> {
        let now = self.clock_now();
        let keyring = self.state.keyring.clone();
        let secret = secret.to_owned();
        self.state
            .db
            .run(move |conn| {
                grantfund::mfa::service::enrol_with_secret(conn, &keyring, now, user_id, &secret)
            })
            .await
            .expect("enrolled")
    }

    /// The code the phone of `user_id` shows now, read from the account's sealed secret.
    pub async fn code_of(&self, user_id: i64) -> String {
        use diesel::prelude::*;
        use grantfund::db::schema::user_factors;
        let keyring = self.state.keyring.clone();
        let secret = self
            .state
            .db
            .run(move |conn| {
                let sealed: String = user_factors::table
                    .find(user_id)
                    .select(user_factors::secret_sealed)
                    .first(conn)?;
                Ok(keyring.open_text(&sealed)?)
            })
            .await
            .expect("a second factor");
        code_for(&secret, {
            use grantfund::domain::clock::Clock;
            self.clock.now()
        })
    }

    /// Lets the account's next code count although the test clock has not moved on. Codes
    /// count once per 30-second step, and the test clock stands still, so a test that signs one
    /// person in several times would otherwise be refused as a replay; the tests of that rule
    /// do not call this.
    pub async fn forget_last_code(&self, user_id: i64) {
        use diesel::prelude::*;
        use grantfund::db::schema::user_factors;
        self.state
            .db
            .run(move |conn| {
                diesel::update(user_factors::table.find(user_id))
                    .set(user_factors::last_used_step.eq(None::<i64>))
                    .execute(conn)?;
                Ok(())
            })
            .await
            .expect("step forgotten");
    }

    /// Completes the second step of signing in for `user_id` with the challenge, as its owner
    /// would with their phone.
    pub async fn complete_mfa(&self, user_id: i64, challenge: &str) -> Reply {
        self.forget_last_code(user_id).await;
        let code = self.code_of(user_id).await;
        self.anonymous()
            .post("/api/v1/auth/login/mfa")
            .json(json!({"challenge": challenge, "code": code}))
            .send()
            .await
    }

    /// The id of the account of `email`.
    pub async fn user_id(&self, email: &str) -> i64 {
        let email = email.to_owned();
        self.state
            .db
            .run(move |conn| grantfund::users::model::UserRow::find_by_email(conn, &email))
            .await
            .expect("lookup")
            .expect("an account")
            .id
    }

    /// The URL of this test's database.
    pub fn database_url(&self) -> String {
        use secrecy::ExposeSecret;
        self.state.settings.database_url.expose_secret().to_owned()
    }

    /// The name of this test's PostgreSQL database.
    pub fn postgres_database(&self) -> Option<&str> {
        match &self.database {
            TestDb::Postgres { name } => Some(name),
            TestDb::Sqlite { .. } | TestDb::Shared => None,
        }
    }

    pub fn clock_now(&self) -> chrono::NaiveDateTime {
        use grantfund::domain::clock::Clock;
        self.clock.now_naive()
    }

    /// Signs in as a person does: the password, and, when the account has a second factor, the
    /// code their phone shows.
    pub async fn login(&self, email: &str, password: &str) -> Reply {
        let first = self.password_only(email, password).await;
        match first.json["status"].as_str() {
            Some("mfa_required") => {
                let challenge = first.json["challenge"]
                    .as_str()
                    .expect("challenge")
                    .to_owned();
                let id = self.user_id(&email.to_lowercase()).await;
                self.complete_mfa(id, &challenge).await
            }
            _ => first,
        }
    }

    /// The first step of signing in alone: what a stolen password gets.
    pub async fn password_only(&self, email: &str, password: &str) -> Reply {
        self.anonymous()
            .post("/api/v1/auth/login")
            .json(json!({"email": email, "password": password}))
            .send()
            .await
    }

    /// Signs in and gives the access token.
    pub async fn token(&self, email: &str) -> String {
        let reply = self.login(email, PASSWORD).await;
        assert_eq!(
            reply.status,
            StatusCode::OK,
            "login of {email}: {}",
            reply.text
        );
        reply.json["access_token"]
            .as_str()
            .expect("access token")
            .to_owned()
    }

    /// A new administrator, signed in.
    pub async fn admin(&self) -> String {
        let email = format!("admin-{}@fund.example.org", uuid::Uuid::new_v4().simple());
        self.create_user(Role::Administrator, &email, None).await;
        self.token(&email).await
    }

    /// A new staff member of `role`, signed in.
    pub async fn staff(&self, role: Role) -> String {
        let email = format!(
            "{}-{}@example.org",
            role.as_str(),
            uuid::Uuid::new_v4().simple()
        );
        self.create_user(role, &email, None).await;
        self.token(&email).await
    }

    /// A new member of staff of `role` working at `place`, signed in.
    pub async fn staff_at(&self, role: Role, place: Place) -> String {
        let email = format!(
            "{}-{}@example.org",
            role.as_str(),
            uuid::Uuid::new_v4().simple()
        );
        self.create_user_at(role, &email, place).await;
        self.token(&email).await
    }

    /// Registers an organisation through the API.
    pub async fn register(&self, charity_number: &str, email: &str) -> Registered {
        let reply = self
            .anonymous()
            .post("/api/v1/auth/register")
            .json(registration(charity_number, email))
            .send()
            .await;
        assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text);
        let id = reply.json["organisation"]["id"]
            .as_i64()
            .expect("organisation id");
        Registered {
            organisation: id,
            token: self.token(email).await,
        }
    }

    /// Gives the organisation of `applicant` bank details, entered by the applicant and verified
    /// by `admin`, so that it can be paid; gives the organisation's id.
    pub async fn payable(&self, applicant: &str, admin: &str) -> i64 {
        let me = self.as_(applicant).get("/api/v1/me").send().await;
        let organisation = me.json["user"]["organisation_id"]
            .as_i64()
            .expect("an applicant's organisation");
        let path = format!("/api/v1/organisations/{organisation}/bank-details");
        let entered = self
            .as_(applicant)
            .put(&path)
            .json(json!({"account_name": "Test Charity", "sort_code": "80-22-60", "account_number": "10203040"}))
            .send()
            .await;
        assert_eq!(entered.status, StatusCode::OK, "{}", entered.text);
        let verified = self
            .as_(admin)
            .post(&format!("{path}/verify"))
            .json(json!({}))
            .send()
            .await;
        assert_eq!(verified.status, StatusCode::OK, "{}", verified.text);
        organisation
    }

    /// Releases an instalment as the service requires: `admin` requests it, a new finance user
    /// authorises it, builds a payment run, closes it and marks the instalment's line paid
    /// today; gives the first answer that is not a success, or the award as paid.
    pub async fn release(&self, admin: &str, award: i64, year: &str) -> Reply {
        let path = format!("/api/v1/awards/{award}/instalments/{year}");
        let requested = self
            .as_(admin)
            .post(&format!("{path}/release"))
            .json(json!({}))
            .send()
            .await;
        if requested.status != StatusCode::OK {
            return requested;
        }
        let finance = self.staff(Role::Finance).await;
        let authorised = self
            .as_(&finance)
            .post(&format!("{path}/authorise"))
            .json(json!({}))
            .send()
            .await;
        if authorised.status != StatusCode::OK {
            return authorised;
        }
        self.pay(&finance, award, year).await
    }

    /// Pays an authorised instalment as `finance`: builds a run, closes it and marks the
    /// instalment's line paid today; gives the first answer that is not a success, or the award.
    pub async fn pay(&self, finance: &str, award: i64, year: &str) -> Reply {
        let built = self
            .as_(finance)
            .post("/api/v1/payment-runs")
            .json(json!({}))
            .send()
            .await;
        if built.status != StatusCode::CREATED {
            return built;
        }
        let run = built.json["run"]["id"].as_i64().expect("a run id");
        let closed = self
            .as_(finance)
            .post(&format!("/api/v1/payment-runs/{run}/close"))
            .json(json!({}))
            .send()
            .await;
        if closed.status != StatusCode::OK {
            return closed;
        }
        let line = built.json["run"]["lines"]
            .as_array()
            .and_then(|lines| {
                lines
                    .iter()
                    .find(|l| l["award_id"].as_i64() == Some(award) && l["financial_year"] == year)
            })
            .and_then(|l| l["id"].as_i64())
            .expect("the instalment's line in the run");
        let today = self.clock.now().date_naive().to_string();
        let paid = self
            .as_(finance)
            .post(&format!("/api/v1/payment-runs/{run}/lines/{line}/paid"))
            .json(json!({"paid_on": today}))
            .send()
            .await;
        if paid.status != StatusCode::OK {
            return paid;
        }
        self.as_(finance)
            .get(&format!("/api/v1/awards/{award}"))
            .send()
            .await
    }

    /// Sends everything due in the outbox, as `jobs run-once` does.
    pub async fn run_outbox(&self) -> grantfund::email::worker::PassReport {
        let mailer = Mailer::from_settings(&self.state.settings).expect("mailer");
        grantfund::email::worker::drain(
            &self.state.db,
            &mailer,
            &self.state.settings,
            Arc::new(self.clock.clone()),
        )
        .await
        .expect("outbox drained")
    }

    /// Every email the file transport wrote, as text.
    pub fn mails(&self) -> Vec<String> {
        let mut mails: Vec<String> = std::fs::read_dir(self.mail_dir.path())
            .expect("mail dir")
            .filter_map(Result::ok)
            .filter(|e| e.path().extension().is_some_and(|x| x == "eml"))
            .map(|e| std::fs::read_to_string(e.path()).expect("mail file"))
            .collect();
        mails.sort();
        mails
    }
    /// A second instance of the service on the same database, as behind a load balancer.
    pub async fn second_instance(&self) -> TestApp {
        self.second_instance_with(|_| {}).await
    }

    /// A second instance on the same database with its settings adjusted by `tweak`.
    pub async fn second_instance_with(&self, tweak: impl FnOnce(&mut Settings)) -> TestApp {
        let mail_dir = tempfile::tempdir().expect("mail dir");
        let mut settings = (*self.state.settings).clone();
        settings.mail_dir = mail_dir.path().to_owned();
        tweak(&mut settings);
        let options = Options {
            clock: Arc::new(self.clock.clone()),
            workers: Some(1),
            run_jobs: false,
        };
        let app = Application::build(settings, options).expect("second instance builds");
        let address = format!("http://127.0.0.1:{}", app.port());
        let state = app.state().clone();
        actix_web::rt::spawn(app.run_until_stopped());
        TestApp {
            address,
            state,
            clock: self.clock.clone(),
            mail_dir,
            client: awc::Client::builder()
                .disable_redirects()
                .timeout(Duration::from_secs(30))
                .finish(),
            database: TestDb::Shared,
        }
    }

    /// Creates a round of `fund` from `body`; gives its id.
    pub async fn create_round(&self, admin: &str, fund: i64, body: Value) -> i64 {
        let reply = self
            .as_(admin)
            .post(&format!("/api/v1/funds/{fund}/rounds"))
            .json(body)
            .send()
            .await;
        assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text);
        reply.json["id"].as_i64().expect("round id")
    }

    /// The model fund and a core round open now.
    pub async fn open_round(&self) -> OpenRound {
        let admin = self.admin().await;
        let fund = FundBuilder::new(self, &admin).create().await;
        let round = self
            .create_round(&admin, fund, round_body(self, 1, 30))
            .await;
        OpenRound { admin, fund, round }
    }

    /// Starts an application to `round` with `body`; gives its id.
    pub async fn draft(&self, token: &str, round: i64, body: Value) -> i64 {
        let reply = self
            .as_(token)
            .post(&format!("/api/v1/rounds/{round}/applications"))
            .json(body)
            .send()
            .await;
        assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text);
        reply.json["id"].as_i64().expect("application id")
    }

    /// The audit entries of one object, oldest first, as (action, actor) pairs.
    pub async fn audit_actions(&self, admin: &str, entity: &str, id: i64) -> Vec<String> {
        let reply = self
            .as_(admin)
            .get(&format!(
                "/api/v1/audit?entity={entity}&entity_id={id}&per_page=100"
            ))
            .send()
            .await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
        let mut entries: Vec<(i64, String)> = reply.json["items"]
            .as_array()
            .expect("items")
            .iter()
            .map(|e| {
                (
                    e["id"].as_i64().expect("id"),
                    e["action"].as_str().expect("action").to_owned(),
                )
            })
            .collect();
        entries.sort();
        entries.into_iter().map(|(_, action)| action).collect()
    }
}

/// Sets the test clock to noon UTC of `day` (`YYYY-MM-DD`).
pub fn set_day(app: &TestApp, day: &str) {
    use chrono::TimeZone;
    let date: chrono::NaiveDate = day.parse().expect("a date");
    app.clock
        .set(chrono::Utc.from_utc_datetime(&date.and_hms_opt(12, 0, 0).expect("noon")));
}

/// The code of the base32 `secret` at `at`, as an authenticator app computes it.
pub fn code_for(secret: &str, at: chrono::DateTime<Utc>) -> String {
    let bytes = grantfund::mfa::totp::from_text(secret).expect("a base32 secret");
    grantfund::mfa::totp::code_at(&bytes, at.timestamp()).expect("a code")
}

/// A port nothing listens on at the moment.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}
