//! The password-reset timing probe: on PostgreSQL a request for an existing email took six
//! times as long as one for an unknown email, because only the first wrote a token, an email and
//! an audit entry before answering. A request must now do the same database work whatever the
//! email, and leave the lookup, the token and the email to the outbox worker. The check here is
//! structural (identical changes to every table at answer time), so it cannot be flaky; the
//! measurement of answer times is an ignored test, run by hand with `--ignored`.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};
use serde_json::json;

use grantfund::db::DbConnection;

use crate::db_test;
use crate::support::*;

#[derive(QueryableByName)]
struct Name {
    #[diesel(sql_type = Text)]
    name: String,
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

/// How many rows every table of the database holds.
async fn row_counts(app: &TestApp) -> BTreeMap<String, i64> {
    app.state
        .db
        .run(|conn| {
            let names: Vec<Name> = match conn {
                DbConnection::Sqlite(c) => diesel::sql_query(
                    "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
                )
                .load(c)?,
                DbConnection::Postgresql(c) => diesel::sql_query(
                    "SELECT tablename AS name FROM pg_tables WHERE schemaname = 'public'",
                )
                .load(c)?,
            };
            let mut counts = BTreeMap::new();
            for Name { name } in names {
                let query = format!("SELECT COUNT(*) AS n FROM {name}");
                let rows: Vec<Count> = match conn {
                    DbConnection::Sqlite(c) => diesel::sql_query(&query).load(c)?,
                    DbConnection::Postgresql(c) => diesel::sql_query(&query).load(c)?,
                };
                counts.insert(name, rows.first().map_or(0, |c| c.n));
            }
            Ok(counts)
        })
        .await
        .expect("row counts")
}

/// What changed between two counts, table by table.
fn changes(before: &BTreeMap<String, i64>, after: &BTreeMap<String, i64>) -> BTreeMap<String, i64> {
    after
        .iter()
        .map(|(table, n)| (table.clone(), n - before.get(table).copied().unwrap_or(0)))
        .filter(|(_, d)| *d != 0)
        .collect()
}

async fn ask_reset(app: &TestApp, email: &str) -> Reply {
    app.anonymous()
        .post("/api/v1/auth/password-reset/request")
        .json(json!({"email": email}))
        .send()
        .await
}

db_test! {
    async fn a_reset_request_does_the_same_work_whatever_the_email(app) {
        app.register("SC000001", "aileen@example.org").await;
        app.run_outbox().await; // the welcome email

        let start = row_counts(&app).await;
        let known = ask_reset(&app, "aileen@example.org").await;
        let after_known = row_counts(&app).await;
        let unknown = ask_reset(&app, "nobody@example.org").await;
        let after_unknown = row_counts(&app).await;

        assert_eq!(known.status.as_u16(), 202, "{}", known.text);
        assert_eq!((known.status, &known.text), (unknown.status, &unknown.text));
        let for_known = changes(&start, &after_known);
        let for_unknown = changes(&after_known, &after_unknown);
        assert_eq!(for_known, for_unknown, "the answer came after the same database work for both");
        for table in ["password_resets", "outbox", "audit_log"] {
            assert!(!for_known.contains_key(table), "{table} changed before the answer: {for_known:?}");
        }

        // The worker's pass does the rest: one reset email, for the account that exists.
        let report = app.run_outbox().await;
        assert_eq!(report.sent, 1);
        let done = changes(&start, &row_counts(&app).await);
        assert_eq!(
            done,
            BTreeMap::from([("audit_log".to_owned(), 1), ("outbox".to_owned(), 1), ("password_resets".to_owned(), 1)]),
            "the queued requests are gone once handled"
        );
        let mails = app.mails();
        let reset = mails.iter().find(|m| m.contains("Reset your grant fund password")).expect("a reset email");
        assert!(reset.contains("aileen@example.org"));
        assert!(!mails.iter().any(|m| m.contains("nobody@example.org")));
    }
}

db_test! {
    async fn a_request_waiting_in_the_queue_survives_a_restart(backend: Backend) {
        let Some(app) = TestApp::spawn(backend).await else { return };
        app.register("SC000001", "aileen@example.org").await;
        app.run_outbox().await;
        ask_reset(&app, "aileen@example.org").await;
        // Another instance (as after a restart) finds the request and sends the email.
        let other = app.second_instance().await;
        assert_eq!(other.run_outbox().await.sent, 1);
        assert!(other.mails().iter().any(|m| m.contains("Reset your grant fund password")));
    }
}

/// The median of some durations.
fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times[times.len() / 2]
}

/// Measures the answer times of reset requests for a known and an unknown email and prints the
/// medians. Timing depends on the machine and its load, so it is run by hand:
/// `cargo test --test api attacks::reset_timing::reset_answer_times -- --ignored --nocapture`.
mod reset_answer_times {
    use super::*;

    async fn run(backend: Backend) {
        const ROUNDS: usize = 200;
        let Some(app) = TestApp::spawn_with(backend, |s| {
            s.auth_attempts_per_account_per_minute = 100_000;
            s.auth_attempts_per_client_per_minute = 100_000;
            s.unauthenticated_writes_per_client_per_minute = 100_000;
        })
        .await
        else {
            return;
        };
        app.register("SC000001", "aileen@example.org").await;
        let (mut known, mut unknown) = (Vec::new(), Vec::new());
        for _ in 0..ROUNDS {
            for (email, times) in [
                ("aileen@example.org", &mut known),
                ("nobody@example.org", &mut unknown),
            ] {
                let started = Instant::now();
                let reply = ask_reset(&app, email).await;
                times.push(started.elapsed());
                assert_eq!(reply.status.as_u16(), 202);
            }
        }
        let (known, unknown) = (median(known), median(unknown));
        let ratio = known.as_secs_f64() / unknown.as_secs_f64();
        eprintln!(
            "{backend:?}: known {known:?}, unknown {unknown:?}, ratio {ratio:.2} over {ROUNDS} each"
        );
        assert!(ratio < 1.5 && ratio > 1.0 / 1.5, "{ratio}");
    }

    #[actix_web::test]
    #[ignore = "a measurement; run by hand"]
    async fn sqlite() {
        run(Backend::Sqlite).await;
    }

    #[actix_web::test]
    #[ignore = "a measurement; run by hand"]
    async fn postgres() {
        run(Backend::Postgres).await;
    }
}
