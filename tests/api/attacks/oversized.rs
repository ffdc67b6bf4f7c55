//! One small request, a huge answer and a huge log line: the probe sent a 262 kB
//! unauthenticated `POST /auth/register` whose `health_boards` held 65,000 bad items, and got a
//! 16.7 MB 422 listing every one, while the service wrote a 17.6 MB INFO line repeating them.
//! Now every list and map of a request has a bound that the contract states (`maxItems`,
//! `maxProperties`) and parsing enforces as soon as it is passed, a problem lists at most 50
//! field errors and counts the rest in `errors_omitted`, and a failed request's log line says
//! how many fields failed, not what was sent.

use std::process::Stdio;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::db_test;
use crate::support::*;

/// The probe's body: a registration whose organisation names 65,000 health boards that do not
/// exist, just under the 256 KiB body limit.
fn oversized_registration() -> String {
    let mut body = registration("SC012345", "aileen@bumps.example.org");
    body["organisation"]["health_boards"] = Value::Array(vec![json!("x"); 65_000]);
    let text = body.to_string();
    assert!(
        text.len() > 260_000 && text.len() <= 262_144,
        "{} bytes",
        text.len()
    );
    text
}

/// The served binary with its log in a file, on a database of its own.
struct Served {
    child: std::process::Child,
    port: u16,
    log: std::path::PathBuf,
    _dir: tempfile::TempDir,
    _db: TestDb,
}

impl Served {
    fn start(backend: Backend) -> Option<Served> {
        let (db, url) = TestDb::create(backend)?;
        let dir = tempfile::tempdir().expect("temp dir");
        let port = free_port();
        let log = dir.path().join("server.log");
        let child = std::process::Command::new(env!("CARGO_BIN_EXE_grantfund"))
            .current_dir(dir.path())
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("RUST_LOG", "info")
            .env("NO_COLOR", "1")
            .env("DATABASE_URL", url)
            .env("MAIL_DIR", dir.path().join("mail"))
            .env("BIND_ADDR", format!("127.0.0.1:{port}"))
            .arg("serve")
            .stdout(Stdio::from(std::fs::File::create(&log).expect("log file")))
            .stderr(Stdio::from(
                std::fs::File::options()
                    .append(true)
                    .open(&log)
                    .expect("log file"),
            ))
            .spawn()
            .expect("the server starts");
        let deadline = Instant::now() + Duration::from_secs(60);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "the server did not come up");
            std::thread::sleep(Duration::from_millis(100));
        }
        Some(Served {
            child,
            port,
            log,
            _dir: dir,
            _db: db,
        })
    }

    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

db_test! {
    async fn a_registration_with_65000_bad_items_gets_a_small_answer_and_a_short_log_line(backend: Backend) {
        let Some(served) = Served::start(backend) else { return };
        let client = awc::Client::builder().timeout(Duration::from_secs(60)).finish();
        let body = oversized_registration();
        let before = served.log().len();
        for _ in 0..5 {
            let mut response = client
                .post(format!("http://127.0.0.1:{}/api/v1/auth/register", served.port))
                .insert_header(("content-type", "application/json"))
                .send_body(body.clone())
                .await
                .expect("an answer");
            assert_eq!(response.status().as_u16(), 422);
            let answer = response.body().limit(64 << 20).await.expect("the body");
            assert!(answer.len() < 2_048, "the answer has {} bytes", answer.len());
            let problem: Value = serde_json::from_slice(&answer).expect("problem+json");
            assert_eq!(problem["code"], "validation_failed");
            assert_eq!(
                problem["errors"],
                json!([{"field": "organisation.health_boards", "message": "must list at most 14 items"}]),
                "{problem}"
            );
            assert!(problem.get("errors_omitted").is_none(), "the list stops being read at item 15: {problem}");
        }
        // The access line of each request is written as its span closes, just after the answer.
        let deadline = Instant::now() + Duration::from_secs(10);
        while served.log().matches("http.status_code=422").count() < 5 {
            assert!(Instant::now() < deadline, "five 422 lines are logged: {}", served.log());
            std::thread::sleep(Duration::from_millis(50));
        }
        let log = served.log();
        let grown = log.len() - before;
        assert!(grown < 10_000, "five requests grew the log by {grown} bytes");
        for line in log.lines() {
            assert!(line.len() < 1_500, "a log line of {} bytes: {}", line.len(), &line[..300.min(line.len())]);
        }
        assert!(!log.contains("\"x\""), "the items sent are not logged");
        let line = log.lines().find(|l| l.contains("http.status_code=422")).unwrap_or_default();
        assert!(line.contains("validation_failed: 1 field(s)"), "the line says what failed: {line}");
    }
}

db_test! {
    async fn a_request_failing_in_sixty_ways_lists_fifty_and_counts_the_rest(app) {
        let OpenRound { round, .. } = app.open_round().await;
        let Registered { token, .. } = app.register("SC012345", "aileen@bumps.example.org").await;
        let id = app.draft(&token, round, application_body()).await;
        // Within every bound, and wrong in 60 ways: four texts, ten years each with a bad key
        // and a bad amount, ten target groups, fourteen boards, eight support types and four
        // counts.
        let requested: serde_json::Map<String, Value> =
            (0..10).map(|i| (format!("year-{i}"), json!("-0"))).collect();
        let patch = json!({
            "title": " ",
            "summary": "s".repeat(1_001),
            "description": "d".repeat(20_001),
            "equality_impact": "e".repeat(5_001),
            "requested": requested,
            "target_groups": vec!["nobody"; 10],
            "health_boards": vec!["atlantis"; 14],
            "support_types": vec!["magic"; 8],
            "expected_reach": {"women": -1, "partners": -1, "infants": -1, "families": -1},
        });
        let reply = app.as_(&token).patch(&format!("/api/v1/applications/{id}")).json(patch).send().await;
        reply.assert_problem(422, "validation_failed");
        assert_eq!(reply.json["errors"].as_array().map(Vec::len), Some(50), "{}", reply.text);
        assert_eq!(reply.json["errors_omitted"], 10, "{}", reply.text);
        assert!(reply.json["detail"].as_str().unwrap_or_default().starts_with("60 field(s)"), "{}", reply.text);
        assert_eq!(reply.error_fields()[0], "title");
    }
}

db_test! {
    async fn every_list_and_map_is_refused_past_its_bound_naming_the_field(app) {
        let boards: Vec<&str> = std::iter::repeat_n("fife", 15).collect();
        let mut body = registration("SC012345", "aileen@bumps.example.org");
        body["organisation"]["health_boards"] = json!(boards);
        let reply = app.anonymous().post("/api/v1/auth/register").json(body).send().await;
        reply.assert_problem(422, "validation_failed");
        assert_eq!(reply.error_fields(), ["organisation.health_boards"], "{}", reply.text);

        let OpenRound { admin, fund, round } = app.open_round().await;
        let Registered { token, .. } = app.register("SC012345", "aileen@bumps.example.org").await;
        let id = app.draft(&token, round, application_body()).await;
        let eleven: serde_json::Map<String, Value> =
            (0..11).map(|i| (format!("{}-{:02}", 2020 + i, 21 + i), json!("1.00"))).collect();
        for (field, value) in [
            ("requested", json!(eleven)),
            ("target_groups", json!(vec!["infants"; 11])),
            ("health_boards", json!(vec!["fife"; 15])),
            ("support_types", json!(vec!["digital"; 9])),
        ] {
            let reply = app.as_(&token).patch(&format!("/api/v1/applications/{id}")).json(json!({ field: value })).send().await;
            reply.assert_problem(422, "validation_failed");
            assert_eq!(reply.error_fields(), [field], "{}", reply.text);
        }
        let mut round_body = round_body(&app, 1, 30);
        round_body["financial_years"] = json!(vec!["2021-22"; 11]);
        let reply = app.as_(&admin).post(&format!("/api/v1/funds/{fund}/rounds")).json(round_body).send().await;
        reply.assert_problem(422, "validation_failed");
        assert_eq!(reply.error_fields(), ["financial_years"], "{}", reply.text);
        let reply = app.as_(&admin).post(&format!("/api/v1/rounds/{round}/assignments")).json(json!({"assessors_per_application": 1, "assessor_ids": vec![1; 101]})).send().await;
        reply.assert_problem(422, "validation_failed");
        assert_eq!(reply.error_fields(), ["assessor_ids"], "{}", reply.text);
    }
}
