//! Everything a client can get wrong answers problem+json, never actix's plain-text defaults.

use actix_web::{App, HttpServer, web};
use serde_json::json;

use crate::db_test;
use crate::support::*;

db_test! {
    async fn unknown_routes_answer_404_problem_json(app) {
        let token = app.admin().await;
        app.as_(&token).get("/api/v1/no-such-thing").send().await.assert_problem(404, "not_found");
        app.anonymous().get("/nothing-here").send().await.assert_problem(404, "not_found");
    }
}

db_test! {
    async fn wrong_methods_answer_405_with_allow(app) {
        let reply = app.anonymous().delete("/api/v1/me").send().await;
        reply.assert_problem(405, "method_not_allowed");
        assert_eq!(reply.header("allow").as_deref(), Some("GET"));
        let reply = app.anonymous().put("/api/v1/organisations/5").send().await;
        reply.assert_problem(405, "method_not_allowed");
        assert_eq!(reply.header("allow").as_deref(), Some("GET, PATCH"));
    }
}

db_test! {
    async fn malformed_json_answers_400(app) {
        let reply = app.anonymous().post("/api/v1/auth/login").body("application/json", b"{\"email\": ".to_vec()).send().await;
        reply.assert_problem(400, "malformed_json");
        let reply = app.anonymous().post("/api/v1/auth/login").body("application/json", vec![0xff, 0xfe, 0x00]).send().await;
        reply.assert_problem(400, "malformed_json");
    }
}

db_test! {
    async fn json_of_the_wrong_shape_answers_422_naming_the_field(app) {
        let reply = app.anonymous().post("/api/v1/auth/login").json(json!({"email": 5, "password": "x"})).send().await;
        reply.assert_problem(422, "validation_failed");
        assert_eq!(reply.error_fields(), ["email"]);

        let reply = app.anonymous().post("/api/v1/auth/login").json(json!({"email": "a@b.org"})).send().await;
        reply.assert_problem(422, "validation_failed");
        assert!(reply.json["errors"][0]["message"].as_str().unwrap().contains("password"));

        let reply = app.anonymous().post("/api/v1/auth/login").json(json!({"email": "a@b.org", "password": "x", "admin": true})).send().await;
        reply.assert_problem(422, "validation_failed");
        assert!(reply.text.contains("admin"), "unknown fields are named: {}", reply.text);
    }
}

db_test! {
    async fn bodies_over_the_limit_answer_413(app) {
        let big = json!({"email": "x".repeat(300 * 1024), "password": "x"});
        let reply = app.anonymous().post("/api/v1/auth/login").json(big).send().await;
        reply.assert_problem(413, "payload_too_large");
    }
}

db_test! {
    async fn a_body_that_is_not_json_answers_415(app) {
        let reply = app.anonymous().post("/api/v1/auth/login").body("text/plain", b"email=a".to_vec()).send().await;
        reply.assert_problem(415, "unsupported_media_type");
    }
}

db_test! {
    async fn bad_query_strings_and_paths_answer_problem_json(app) {
        let token = app.admin().await;
        app.as_(&token).get("/api/v1/users?per_page=abc").send().await.assert_problem(400, "invalid_query");
        app.as_(&token).get("/api/v1/users?role=pilot").send().await.assert_problem(400, "invalid_query");
        let reply = app.as_(&token).get("/api/v1/users?per_page=1000&page=0").send().await;
        reply.assert_problem(422, "validation_failed");
        assert_eq!(reply.error_fields(), ["page", "per_page"]);
        app.as_(&token).get("/api/v1/organisations/abc").send().await.assert_problem(404, "not_found");
    }
}

db_test! {
    async fn every_answer_carries_a_request_id(app) {
        let ok = app.anonymous().get("/health").send().await;
        let problem = app.anonymous().get("/api/v1/nope").send().await;
        let a = ok.header("x-request-id").expect("request id on success");
        let b = problem.header("x-request-id").expect("request id on errors");
        assert_ne!(a, b);
        assert_eq!(a.len(), 36);
    }
}

db_test! {
    async fn health_and_readiness(app) {
        let health = app.anonymous().get("/health").send().await;
        assert_eq!(health.json["status"], "ok");
        let ready = app.anonymous().get("/ready").send().await;
        assert_eq!(ready.status.as_u16(), 200);
        assert_eq!(ready.json["status"], "ready");
    }
}

/// The same wrapper production uses, around an app with a handler that panics.
#[actix_web::test]
async fn a_panicking_handler_answers_500_problem_json_and_the_server_lives_on() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = HttpServer::new(|| {
        grantfund::http::contain_panics(
            App::new()
                .route(
                    "/boom",
                    web::get().to(|| async {
                        if std::hint::black_box(true) {
                            panic!("secret internals: password=hunter2");
                        }
                        "unreachable"
                    }),
                )
                .route("/fine", web::get().to(|| async { "fine" })),
        )
    })
    .workers(1)
    .listen(listener)
    .unwrap()
    .run();
    actix_web::rt::spawn(server);
    let client = awc::Client::default();
    let mut reply = client
        .get(format!("http://127.0.0.1:{port}/boom"))
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status().as_u16(), 500);
    assert_eq!(
        reply.headers().get("content-type").unwrap(),
        "application/problem+json"
    );
    let body = reply.body().await.unwrap();
    let text = String::from_utf8_lossy(&body);
    assert!(text.contains("\"code\":\"internal_error\""), "{text}");
    assert!(
        !text.contains("hunter2") && !text.contains("secret"),
        "{text}"
    );
    let mut after = client
        .get(format!("http://127.0.0.1:{port}/fine"))
        .send()
        .await
        .unwrap();
    assert_eq!(after.body().await.unwrap(), "fine");
}

/// PostgreSQL stops taking connections under load, then takes them again: the service says 503
/// meanwhile, never 500, and recovers by itself, without a restart.
/// With every connection busy, a request waits its turn for the database timeout and is then
/// answered 503, instead of queueing without end; the busy request still finishes.
#[actix_web::test]
async fn a_request_that_cannot_get_a_connection_in_time_answers_503() {
    use diesel::{Connection, RunQueryDsl, pg::PgConnection};
    let Some(app) = TestApp::spawn_with(Backend::Postgres, |s| {
        s.database_pool_size = 1;
        s.database_timeout = std::time::Duration::from_secs(1);
    })
    .await
    else {
        return;
    };
    let token = app.admin().await;
    assert_eq!(
        app.as_(&token)
            .get("/api/v1/me")
            .send()
            .await
            .status
            .as_u16(),
        200
    );
    let mut holder = PgConnection::establish(&app.database_url()).unwrap();
    diesel::sql_query("BEGIN").execute(&mut holder).unwrap();
    diesel::sql_query("LOCK TABLE funds IN ACCESS EXCLUSIVE MODE")
        .execute(&mut holder)
        .unwrap();

    let busy = {
        let (client, address, token) = (app.client.clone(), app.address.clone(), token.clone());
        actix_web::rt::spawn(async move {
            client
                .get(format!("{address}/api/v1/funds"))
                .insert_header(("Authorization", format!("Bearer {token}")))
                .send()
                .await
                .map(|r| r.status().as_u16())
        })
    };
    actix_web::rt::time::sleep(std::time::Duration::from_millis(300)).await;
    let waited = app.as_(&token).get("/api/v1/funds").send().await;
    waited.assert_problem(503, "service_unavailable");
    assert!(waited.header("retry-after").is_some());

    diesel::sql_query("COMMIT").execute(&mut holder).unwrap();
    assert_eq!(
        busy.await.unwrap().unwrap(),
        200,
        "the busy request finished"
    );
    assert_eq!(
        app.as_(&token)
            .get("/api/v1/funds")
            .send()
            .await
            .status
            .as_u16(),
        200
    );
}

/// PostgreSQL ends the pool's idle connections (a restart, an idle timeout): the next request
/// finds them dead, replaces them and is answered as if nothing happened.
#[actix_web::test]
async fn connections_the_database_closed_while_idle_are_replaced_unseen() {
    use diesel::{Connection, RunQueryDsl, pg::PgConnection};
    let Some(app) = TestApp::spawn(Backend::Postgres).await else {
        return;
    };
    let token = app.admin().await;
    assert_eq!(
        app.as_(&token)
            .get("/api/v1/funds")
            .send()
            .await
            .status
            .as_u16(),
        200
    );
    let name = app.postgres_database().unwrap().to_owned();
    let mut admin = PgConnection::establish(&postgres_url()).unwrap();
    actix_web::rt::time::sleep(grantfund::db::ALIVE_BYPASS).await;
    let ended = diesel::sql_query(format!(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'"
    ))
    .execute(&mut admin)
    .unwrap();
    assert!(ended > 0, "the pool held connections");
    for _ in 0..3 {
        let reply = app.as_(&token).get("/api/v1/funds").send().await;
        assert_eq!(reply.status.as_u16(), 200, "{}", reply.text);
    }
}

#[actix_web::test]
async fn requests_answer_503_while_postgres_is_unreachable_and_recover_after() {
    use diesel::{Connection, RunQueryDsl, pg::PgConnection};
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::{Arc, Mutex};
    let Some(app) = TestApp::spawn_with(Backend::Postgres, |s| {
        s.database_timeout = std::time::Duration::from_secs(1)
    })
    .await
    else {
        return;
    };
    let token = app.admin().await;
    let name = app.postgres_database().unwrap().to_owned();
    let mut admin = PgConnection::establish(&postgres_url()).unwrap();
    let mut run = |sql: String| diesel::sql_query(sql).execute(&mut admin).unwrap();

    // Readers and writers keep going through the outage.
    let running = Arc::new(AtomicBool::new(true));
    let seen: Arc<Mutex<Vec<(bool, u16)>>> = Arc::default();
    let mut load = Vec::new();
    for worker in 0..6 {
        let (client, address, token) = (app.client.clone(), app.address.clone(), token.clone());
        let (running, seen) = (running.clone(), seen.clone());
        load.push(actix_web::rt::spawn(async move {
            let mut n = 0;
            while running.load(Ordering::Relaxed) {
                n += 1;
                let write = worker % 2 == 0;
                let request = if write {
                    client
                        .post(format!("{address}/api/v1/funds"))
                        .insert_header(("Authorization", format!("Bearer {token}")))
                        .send_json(&fund_body(&format!("LOAD{worker}X{n}")))
                        .await
                } else {
                    client
                        .get(format!("{address}/api/v1/me"))
                        .insert_header(("Authorization", format!("Bearer {token}")))
                        .send()
                        .await
                };
                if let Ok(response) = request {
                    seen.lock()
                        .unwrap()
                        .push((write, response.status().as_u16()));
                }
            }
        }));
    }
    actix_web::rt::time::sleep(std::time::Duration::from_millis(300)).await;

    run(format!("ALTER DATABASE {name} ALLOW_CONNECTIONS false"));
    run(format!(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'"
    ));
    actix_web::rt::time::sleep(std::time::Duration::from_millis(1500)).await;
    let ready = app.anonymous().get("/ready").send().await;
    ready.assert_problem(503, "service_unavailable");
    assert!(ready.header("retry-after").is_some());
    app.as_(&token)
        .get("/api/v1/me")
        .send()
        .await
        .assert_problem(503, "service_unavailable");
    assert_eq!(
        app.anonymous().get("/health").send().await.status.as_u16(),
        200,
        "the process itself is up"
    );

    run(format!("ALTER DATABASE {name} ALLOW_CONNECTIONS true"));
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while app.anonymous().get("/ready").send().await.status.as_u16() != 200 {
        assert!(
            std::time::Instant::now() < deadline,
            "the service did not recover"
        );
        actix_web::rt::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let recovered = seen.lock().unwrap().len();
    actix_web::rt::time::sleep(std::time::Duration::from_millis(500)).await;
    running.store(false, Ordering::Relaxed);
    for task in load {
        task.await.unwrap();
    }
    assert_eq!(
        app.as_(&token)
            .get("/api/v1/me")
            .send()
            .await
            .status
            .as_u16(),
        200
    );

    let seen = seen.lock().unwrap();
    let wrong: Vec<&(bool, u16)> = seen
        .iter()
        .filter(|(write, status)| *status != 503 && *status != if *write { 201 } else { 200 })
        .collect();
    assert!(
        wrong.is_empty(),
        "only answers or 503s, never 500: {wrong:?}"
    );
    assert!(
        seen.iter().any(|(_, s)| *s == 503),
        "the load met the outage"
    );
    assert!(
        seen[recovered..].iter().all(|(_, s)| *s != 503),
        "after recovery every request is answered: {:?}",
        &seen[recovered..]
    );
    assert!(
        seen[recovered..].len() > 5,
        "the load went on after recovery"
    );
}

db_test! {
    async fn a_stored_status_outside_its_vocabulary_answers_an_opaque_500_and_nothing_else(app) {
        use diesel::connection::SimpleConnection;
        use grantfund::applications::model::ApplicationRow;
        use grantfund::db::DbConnection;
        use grantfund::error::ApiError;

        let OpenRound { round, .. } = app.open_round().await;
        let Registered { organisation, token } = app.register("SC000001", "aileen@example.org").await;
        let id = app.draft(&token, round, application_body()).await;
        // The status column's CHECK keeps such a text out; a row written past it (by another
        // release's vocabulary, or by hand) is what this reads.
        let set_status = |status: &'static str| {
            app.state.db.run(move |conn| {
                let update = format!("UPDATE applications SET status = '{status}' WHERE id = {id};");
                let sql = match conn {
                    DbConnection::Postgresql(_) => format!(
                        "ALTER TABLE applications DROP CONSTRAINT IF EXISTS applications_status_check; {update}"
                    ),
                    DbConnection::Sqlite(_) => format!(
                        "PRAGMA ignore_check_constraints = ON; {update} PRAGMA ignore_check_constraints = OFF;"
                    ),
                };
                conn.batch_execute(&sql)?;
                Ok(())
            })
        };
        set_status("approved").await.unwrap();

        // Reading the row fails as a database error naming the column's type and the text, not
        // as a panic of the blocking task.
        let read = app.state.db.run(move |conn| ApplicationRow::find(conn, id)).await;
        let Err(ApiError::Internal(cause)) = read else {
            panic!("a corrupt status is an internal error, got {read:?}");
        };
        assert!(cause.contains("ApplicationStatus") && cause.contains("\"approved\""), "{cause}");
        assert!(!cause.contains("blocking task failed"), "{cause}");

        // The API answers 500 without the cause, for the application and the list holding it.
        let reply = app.as_(&token).get(&format!("/api/v1/applications/{id}")).send().await;
        reply.assert_problem(500, "internal_error");
        assert!(!reply.text.contains("approved"), "{}", reply.text);
        app.as_(&token).get("/api/v1/applications").send().await.assert_problem(500, "internal_error");
        let organisation_path = format!("/api/v1/organisations/{organisation}");
        assert_eq!(app.as_(&token).get(&organisation_path).send().await.status.as_u16(), 200);

        // Repaired, it reads again.
        set_status("draft").await.unwrap();
        let reply = app.as_(&token).get(&format!("/api/v1/applications/{id}")).send().await;
        assert_eq!(reply.status.as_u16(), 200, "{}", reply.text);
        assert_eq!(reply.json["status"], "draft");

        // A vocabulary column without a CHECK fails the same way.
        app.state.db.run(move |conn| {
            conn.batch_execute(&format!(
                "UPDATE organisations SET organisation_type = 'cooperative' WHERE id = {organisation}"
            ))?;
            Ok(())
        }).await.unwrap();
        app.as_(&token).get(&organisation_path).send().await.assert_problem(500, "internal_error");
        let round_path = format!("/api/v1/rounds/{round}");
        assert_eq!(app.as_(&token).get(&round_path).send().await.status.as_u16(), 200);
    }
}
