//! Live reset tokens kept in clear in the outbox. The probe read the `outbox` table after reset
//! emails had been sent and found each body with its `token=` link, although reset tokens are
//! otherwise stored only as hashes. Once a secret-bearing email is sent, or given up as failed,
//! its body is erased in the same update: these tests scan every column of every table for the
//! token the mail delivered, and check that the token still works, once.

use diesel::RunQueryDsl;
use serde_json::json;

use grantfund::db::DbConnection;
use grantfund::email::outbox::ERASED;

use crate::auth::token_in;
use crate::db_test;
use crate::support::*;

#[derive(diesel::QueryableByName)]
struct Name {
    #[diesel(sql_type = diesel::sql_types::Text)]
    name: String,
}

#[derive(diesel::QueryableByName)]
struct Place {
    #[diesel(sql_type = diesel::sql_types::Text)]
    table_name: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    column_name: String,
}

#[derive(diesel::QueryableByName)]
struct Found {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    n: i64,
}

/// Every `table.column` of the database, whatever its type, holding `needle` in its text.
async fn columns_holding(app: &TestApp, needle: &str) -> Vec<String> {
    let needle = needle.to_owned();
    app.state
        .db
        .run(move |conn| {
            let places: Vec<(String, String)> = match conn {
                DbConnection::Postgresql(_) => diesel::sql_query(
                    "SELECT table_name::text AS table_name, column_name::text AS column_name \
                     FROM information_schema.columns WHERE table_schema = 'public'",
                )
                .load::<Place>(conn)?
                .into_iter()
                .map(|p| (p.table_name, p.column_name))
                .collect(),
                DbConnection::Sqlite(_) => {
                    let tables = diesel::sql_query(
                        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
                    )
                    .load::<Name>(conn)?;
                    let mut places = Vec::new();
                    for table in tables {
                        let columns = diesel::sql_query(format!(
                            "SELECT name FROM pragma_table_info('{}')",
                            table.name
                        ))
                        .load::<Name>(conn)?;
                        places.extend(columns.into_iter().map(|c| (table.name.clone(), c.name)));
                    }
                    places
                }
            };
            assert!(places.len() > 50, "the catalogue lists the schema: {}", places.len());
            let mut holding = Vec::new();
            for (table, column) in places {
                let sql = match conn {
                    DbConnection::Postgresql(_) => format!(
                        "SELECT COUNT(*) AS n FROM \"{table}\" WHERE strpos(\"{column}\"::text, $1) > 0"
                    ),
                    DbConnection::Sqlite(_) => format!(
                        "SELECT COUNT(*) AS n FROM \"{table}\" WHERE instr(CAST(\"{column}\" AS TEXT), ?) > 0"
                    ),
                };
                let found = diesel::sql_query(sql)
                    .bind::<diesel::sql_types::Text, _>(&needle)
                    .get_result::<Found>(conn)?;
                if found.n > 0 {
                    holding.push(format!("{table}.{column}"));
                }
            }
            Ok::<_, grantfund::error::ApiError>(holding)
        })
        .await
        .unwrap()
}

/// The bodies of the outbox's reset emails.
async fn reset_bodies(app: &TestApp) -> Vec<String> {
    app.state
        .db
        .run(|conn| {
            Ok::<_, grantfund::error::ApiError>(
                diesel::sql_query("SELECT body AS name FROM outbox WHERE kind = 'password_reset'")
                    .load::<Name>(conn)?
                    .into_iter()
                    .map(|n| n.name)
                    .collect(),
            )
        })
        .await
        .unwrap()
}

async fn request_reset(app: &TestApp, email: &str) {
    let reply = app
        .anonymous()
        .post("/api/v1/auth/password-reset/request")
        .json(json!({"email": email}))
        .send()
        .await;
    assert_eq!(reply.status.as_u16(), 202, "{}", reply.text);
}

db_test! {
    async fn a_sent_reset_email_leaves_no_usable_token_in_the_database(app) {
        app.register("SC000001", "aileen@example.org").await;
        request_reset(&app, "aileen@example.org").await;
        // The worker turns the request into its email; waiting to go, the email holds its link.
        let (now, settings) = (app.clock_now().and_utc(), app.state.settings.clone());
        let handled = app
            .state
            .db
            .run(move |conn| grantfund::auth::service::handle_reset_requests(conn, now, &settings))
            .await
            .unwrap();
        assert_eq!(handled, 1);
        assert!(reset_bodies(&app).await[0].contains("token="));

        let report = app.run_outbox().await;
        assert_eq!(report.sent, 2, "the welcome and the reset email");
        let mails = app.mails();
        let mail = mails.iter().find(|m| m.contains("Reset your grant fund password")).expect("the reset email");
        let token = token_in(mail);
        assert_eq!(token.len(), 43);

        assert_eq!(columns_holding(&app, &token).await, Vec::<String>::new(), "the delivered token is readable in the database");
        assert_eq!(columns_holding(&app, "token=").await, Vec::<String>::new());
        assert_eq!(reset_bodies(&app).await, [ERASED]);
        // The welcome email, which holds no secret, keeps its body.
        assert_eq!(columns_holding(&app, "Your account for Bumps & Babies Fife").await, ["outbox.body"]);

        // The link in the mail still works, once.
        let done = app.anonymous().post("/api/v1/auth/password-reset/confirm").json(json!({"token": token, "password": "a brand new passphrase"})).send().await;
        assert_eq!(done.status.as_u16(), 204, "{}", done.text);
        app.anonymous().post("/api/v1/auth/password-reset/confirm").json(json!({"token": token, "password": "yet another passphrase"})).send()
            .await
            .assert_problem(400, "reset_token_invalid");
    }
}

db_test! {
    async fn a_reset_email_given_up_as_failed_keeps_no_link(backend: Backend) {
        // An SMTP server that is not there: nothing listens on this port.
        let port = free_port();
        let Some(app) = TestApp::spawn_with(backend, |s| {
            s.smtp_url = Some(format!("smtp://127.0.0.1:{port}").into());
            s.outbox_max_attempts = 2;
        })
        .await
        else {
            return;
        };
        app.register("SC000001", "aileen@example.org").await;
        request_reset(&app, "aileen@example.org").await;
        let first = app.run_outbox().await;
        assert_eq!(first.failed, 2);
        // Still to be retried: the link is kept for the next attempt.
        assert!(reset_bodies(&app).await[0].contains("token="));

        app.clock.advance(chrono::Duration::hours(7));
        let last = app.run_outbox().await;
        assert_eq!((last.sent, last.failed), (0, 2));
        let admin = app.admin().await;
        assert_eq!(app.as_(&admin).get("/api/v1/outbox?status=failed").send().await.json["total"], 2);
        assert_eq!(reset_bodies(&app).await, [ERASED]);
        assert_eq!(columns_holding(&app, "token=").await, Vec::<String>::new());
    }
}
