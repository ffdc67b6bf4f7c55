//! Probe: award decisions racing changes to a year's limit. An attacker (or a busy panel day)
//! fired 100 decisions at once with 20 `PUT /funds/{id}/years/{fy}` raising the limit, and
//! PostgreSQL answered `deadlock detected`: a decision held a year's row and waited for the
//! fund's row, which the limit change held while it waited for the year's row. Some requests
//! answered 500, and awards that fitted were refused.
//!
//! The tests fire 64 award decisions (over one year, the other, or both) together with 20
//! raises and lowerings of both years' limits, on one instance and on two instances sharing the
//! database. Every request must answer 201 (awarded), 200 (limit set), 409 for a rule of the fund
//! (`fund_limit_exceeded`, `limit_below_committed`) or 422; afterwards each year's committed
//! total must equal the sum of the awards made in it and stay within its limit. The count of each
//! answer is printed (`cargo test --test api attacks::deadlocks -- --nocapture`). On PostgreSQL
//! the database itself must have seen no deadlock: the writers take their locks in one order, and
//! the retry is only a backstop. A last test ends two transactions in a real deadlock and sees
//! the one PostgreSQL breaks run again and commit.

use std::collections::BTreeMap;
use std::sync::{Arc, Barrier};
use std::time::Duration;

use diesel::connection::SimpleConnection;
use diesel::pg::PgConnection;
use diesel::sql_types::BigInt;
use diesel::{Connection, RunQueryDsl};
use futures_util::future::{LocalBoxFuture, join_all};
use serde_json::json;

use grantfund::db::{DbConnection, WRITE_ATTEMPTS, retrying_write};

use crate::db_test;
use crate::support::*;

const DECISIONS: usize = 64;
const LIMIT_CHANGES: usize = 20;
const YEARS: [&str; 2] = ["2021-22", "2022-23"];
/// Each decision awards this much in each of its years.
const AMOUNT: i64 = 10_000;

/// An app whose one test client may sign in as every organisation it needs. Its requests wait
/// up to 15 s for a database connection rather than the default 5 s: 84 simultaneous writes to
/// one fund take turns for 8 connections, and with the whole suite running beside them on a
/// 2-core machine the queue can pass 5 s; a 503 after the pool wait is the service shedding load,
/// not what this probe looks for. (Deadlocks are what made the queue long: each held its
/// connections for PostgreSQL's one-second `deadlock_timeout`.)
async fn spawn(backend: Backend) -> Option<TestApp> {
    TestApp::spawn_with(backend, |s| {
        s.auth_attempts_per_client_per_minute = 10_000;
        s.database_timeout = Duration::from_secs(15);
    })
    .await
}

/// The years decision `n` awards: the first, the second, or both.
fn years_of(n: usize) -> Vec<&'static str> {
    match n % 3 {
        0 => vec![YEARS[0]],
        1 => vec![YEARS[1]],
        _ => YEARS.to_vec(),
    }
}

/// The limit that change `n` sets on its year: alternately lower and higher than the
/// applications' demand, so that lowerings meet awards committed a moment before.
fn limit_of(n: usize) -> String {
    let awards = [12, 40, 18, 44, 25, 60, 30, 36][n % 8];
    format!("{}.00", awards * AMOUNT)
}

/// What one request was and how it was answered.
struct Outcome {
    kind: &'static str,
    status: u16,
    code: String,
    text: String,
}

/// Fires every decision and limit change at once, spread over `instances`, and checks every
/// answer and the fund's years afterwards.
async fn race(backend: Backend, two_instances: bool) {
    let Some(app) = spawn(backend).await else {
        return;
    };
    let other = if two_instances {
        Some(app.second_instance().await)
    } else {
        None
    };
    let instances: Vec<&TestApp> = std::iter::once(&app).chain(other.as_ref()).collect();
    let panel = Panel::new(&app, 1).await;
    for year in YEARS {
        panel.set_limit(&app, year, &limit_of(1), true).await;
    }
    let mut ids = Vec::new();
    for n in 0..DECISIONS {
        ids.push(panel.ready(&app, n).await.id);
    }

    let mut requests: Vec<LocalBoxFuture<'_, Outcome>> = Vec::new();
    let mut changes = 0;
    for (n, id) in ids.iter().enumerate() {
        let instance = instances[n % instances.len()];
        let amounts: serde_json::Map<String, serde_json::Value> = years_of(n)
            .into_iter()
            .map(|y| (y.to_owned(), json!(format!("{AMOUNT}.00"))))
            .collect();
        let path = format!("/api/v1/applications/{id}/decision");
        let admin = panel.admin.clone();
        requests.push(Box::pin(async move {
            let body = json!({"decision": "award", "amounts": amounts});
            outcome(
                "decision",
                instance.as_(&admin).post(&path).json(body).send().await,
            )
        }));
        if n % 3 == 2 && changes < LIMIT_CHANGES {
            let instance = instances[(n / 3) % instances.len()];
            let year = YEARS[changes % YEARS.len()];
            let path = format!("/api/v1/funds/{}/years/{year}", panel.fund);
            let body = json!({"limit": limit_of(changes), "approved": true});
            let admin = panel.admin.clone();
            requests.push(Box::pin(async move {
                outcome(
                    "limit",
                    instance.as_(&admin).put(&path).json(body).send().await,
                )
            }));
            changes += 1;
        }
    }
    assert_eq!(changes, LIMIT_CHANGES);
    let outcomes = join_all(requests).await;

    let mut counts: BTreeMap<(&str, u16, String), usize> = BTreeMap::new();
    for o in &outcomes {
        *counts
            .entry((o.kind, o.status, o.code.clone()))
            .or_default() += 1;
    }
    eprintln!(
        "deadlocks probe, {backend:?}, {} instance(s): {DECISIONS} decisions, {LIMIT_CHANGES} limit changes",
        instances.len()
    );
    for ((kind, status, code), count) in &counts {
        eprintln!("  {kind:8} {status} {code:24} {count}");
    }
    for o in &outcomes {
        let expected = match (o.kind, o.status) {
            ("decision", 201) | ("limit", 200) => true,
            ("decision", 409) => o.code == "fund_limit_exceeded",
            ("limit", 409) => o.code == "limit_below_committed",
            (_, 422) => true,
            _ => false,
        };
        assert!(expected, "{} answered {}: {}", o.kind, o.status, o.text);
    }

    // The cap held, and each year's committed is exactly what the awards made hold.
    let awarded = outcomes
        .iter()
        .filter(|o| o.kind == "decision" && o.status == 201)
        .count();
    let awards = app
        .as_(&panel.admin)
        .get(&format!(
            "/api/v1/awards?fund_id={}&per_page=100",
            panel.fund
        ))
        .send()
        .await;
    assert_eq!(awards.json["total"], awarded, "{}", awards.text);
    let mut held: BTreeMap<String, i64> = BTreeMap::new();
    for award in awards.json["items"].as_array().unwrap() {
        for (year, amount) in award["amounts"].as_object().unwrap() {
            *held.entry(year.clone()).or_default() += pence(amount.as_str().unwrap());
        }
    }
    let reply = app
        .as_(&panel.admin)
        .get(&format!("/api/v1/funds/{}/years", panel.fund))
        .send()
        .await;
    for year in reply.json["items"].as_array().unwrap() {
        let name = year["financial_year"].as_str().unwrap();
        let committed = pence(year["committed"].as_str().unwrap());
        let limit = pence(year["limit"].as_str().unwrap());
        eprintln!("  {name}: committed {committed} of limit {limit} (pence)");
        assert_eq!(committed, held.get(name).copied().unwrap_or(0), "{name}");
        assert!(committed <= limit, "{name}: {committed} > {limit}");
    }
    if backend == Backend::Postgres {
        let deadlocks = deadlocks_seen(&app.database_url());
        eprintln!("  deadlocks PostgreSQL detected: {deadlocks}");
        assert_eq!(
            deadlocks, 0,
            "the writers took their locks in different orders"
        );
    }
}

/// The deadlocks PostgreSQL has detected in the database at `url`. Each server process keeps its
/// counts until it flushes them, which it does at the latest when it ends, so the instances'
/// connections are ended first (the test is over for them).
fn deadlocks_seen(url: &str) -> i64 {
    let mut conn = PgConnection::establish(url).unwrap();
    let others =
        "FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()";
    diesel::sql_query(format!("SELECT pg_terminate_backend(pid) {others}"))
        .execute(&mut conn)
        .unwrap();
    for _ in 0..200 {
        let left: i64 = diesel::select(diesel::dsl::sql::<BigInt>(&format!(
            "(SELECT COUNT(*) {others})"
        )))
        .get_result(&mut conn)
        .unwrap();
        if left == 0 {
            break;
        }
        std::thread::sleep(Duration::from_millis(25));
    }
    diesel::select(diesel::dsl::sql::<BigInt>(
        "(SELECT deadlocks FROM pg_stat_database WHERE datname = current_database())",
    ))
    .get_result(&mut conn)
    .unwrap()
}

fn outcome(kind: &'static str, reply: Reply) -> Outcome {
    Outcome {
        kind,
        status: reply.status.as_u16(),
        code: reply.json["code"].as_str().unwrap_or_default().to_owned(),
        text: reply.text,
    }
}

/// Pence of a money string such as `"10000.00"`.
fn pence(text: &str) -> i64 {
    let (pounds, pennies) = text.split_once('.').unwrap();
    pounds.parse::<i64>().unwrap() * 100 + pennies.parse::<i64>().unwrap()
}

db_test! {
    async fn decisions_racing_limit_changes_on_one_instance(backend: Backend) {
        race(backend, false).await;
    }
}

db_test! {
    async fn decisions_racing_limit_changes_on_two_instances(backend: Backend) {
        race(backend, true).await;
    }
}

/// Two transactions lock two rows in opposite orders, so PostgreSQL must end one of them with
/// `deadlock detected`; `retrying_write` runs that one again, and both commit.
#[test]
fn a_real_deadlock_is_run_again_until_it_commits() {
    let Some((_db, url)) = TestDb::create(Backend::Postgres) else {
        return;
    };
    PgConnection::establish(&url)
        .unwrap()
        .batch_execute(
            "CREATE TABLE pair (id INT PRIMARY KEY, n INT NOT NULL); \
             INSERT INTO pair VALUES (1, 0), (2, 0);",
        )
        .unwrap();
    let barrier = Arc::new(Barrier::new(2));
    let writers: Vec<_> = [(1, 2), (2, 1)]
        .into_iter()
        .map(|(first, second)| {
            let (url, barrier) = (url.clone(), barrier.clone());
            std::thread::spawn(move || {
                let mut conn = DbConnection::Postgresql(PgConnection::establish(&url).unwrap());
                let mut runs = 0;
                retrying_write(&mut conn, |conn| {
                    runs += 1;
                    conn.batch_execute(&format!("UPDATE pair SET n = n + 1 WHERE id = {first}"))?;
                    if runs == 1 {
                        // Each holds its first row before either asks for its second.
                        barrier.wait();
                    }
                    conn.batch_execute(&format!("UPDATE pair SET n = n + 1 WHERE id = {second}"))?;
                    Ok(())
                })
                .map(|()| runs)
            })
        })
        .collect();
    let runs: Vec<u32> = writers
        .into_iter()
        .map(|w| w.join().unwrap().unwrap())
        .collect();
    eprintln!("runs of the two transactions: {runs:?}");
    assert_eq!(runs.iter().sum::<u32>(), 3, "one ran again: {runs:?}");
    assert!(runs.iter().all(|r| *r < WRITE_ATTEMPTS));
    let mut conn = PgConnection::establish(&url).unwrap();
    let total: i64 = diesel::select(diesel::dsl::sql::<BigInt>(
        "(SELECT SUM(n)::BIGINT FROM pair WHERE n = 2)",
    ))
    .get_result(&mut conn)
    .unwrap();
    assert_eq!(total, 4, "each transaction added to both rows once");
    // The count the racing tests read does see a deadlock.
    drop(conn);
    assert_eq!(deadlocks_seen(&url), 1);
}
