//! The outbox: written with the change, claimed atomically, retried with back-off, never lost.

use std::collections::HashMap;
use std::sync::{Arc, Barrier};

use serde_json::json;

use grantfund::db::write_transaction;
use grantfund::email::outbox::{self, NewEmail};

use crate::db_test;
use crate::support::*;

db_test! {
    async fn registration_queues_a_welcome_email_that_is_sent_once(app) {
        app.register("SC000001", "aileen@example.org").await;
        let admin = app.admin().await;
        let pending = app.as_(&admin).get("/api/v1/outbox?status=pending").send().await;
        assert_eq!(pending.json["total"], 1);
        assert_eq!(pending.json["items"][0]["kind"], "welcome");
        assert!(pending.json["items"][0].get("body").is_none(), "bodies are not shown");

        assert_eq!(app.run_outbox().await.sent, 1);
        assert_eq!(app.run_outbox().await.sent, 0, "nothing is sent twice");
        let mails = app.mails();
        assert_eq!(mails.len(), 1);
        assert!(mails[0].contains("To: aileen@example.org"));
        assert!(mails[0].contains("Message-ID: <outbox-"));
        let sent = app.as_(&admin).get("/api/v1/outbox?status=sent").send().await;
        assert_eq!(sent.json["total"], 1);
        assert!(sent.json["items"][0]["sent_at"].is_string());
        app.as_(&admin).get("/api/v1/outbox?status=lost").send().await.assert_problem(400, "invalid_query");
        let applicant = app.token("aileen@example.org").await;
        app.as_(&applicant).get("/api/v1/outbox").send().await.assert_problem(403, "forbidden");
    }
}

db_test! {
    async fn emails_queued_together_are_each_sent_once_in_order(app) {
        let now = app.clock_now();
        let emails: Vec<NewEmail> = (0..3)
            .map(|i| NewEmail { kind: "test", recipient: format!("r{i}@example.org"), subject: format!("s{i}"), body: "b".into() })
            .collect();
        let mut conn = app.state.db.get().unwrap();
        outbox::enqueue_all(&mut conn, now, &emails).unwrap();
        outbox::enqueue_all(&mut conn, now, &[]).unwrap();
        let claimed = outbox::claim(&mut conn, now, 10).unwrap();
        let recipients: Vec<&str> = claimed.iter().map(|r| r.recipient.as_str()).collect();
        assert_eq!(recipients, ["r0@example.org", "r1@example.org", "r2@example.org"]);
        assert!(outbox::claim(&mut conn, now, 10).unwrap().is_empty());
    }
}

db_test! {
    async fn concurrent_workers_claim_every_email_exactly_once(app) {
        let now = app.clock_now();
        let mut conn = app.state.db.get().unwrap();
        for i in 0..120 {
            let email = NewEmail { kind: "test", recipient: format!("r{i}@example.org"), subject: "s".into(), body: "b".into() };
            outbox::enqueue(&mut conn, now, &email).unwrap();
        }
        drop(conn);
        let barrier = Arc::new(Barrier::new(6));
        let workers: Vec<_> = (0..6)
            .map(|_| {
                let db = app.state.db.clone();
                let barrier = barrier.clone();
                std::thread::spawn(move || {
                    let mut conn = db.get().unwrap();
                    barrier.wait();
                    let mut claimed = Vec::new();
                    loop {
                        let rows = outbox::claim(&mut conn, now, 7).unwrap();
                        if rows.is_empty() {
                            return claimed;
                        }
                        claimed.extend(rows.into_iter().map(|r| r.id));
                    }
                })
            })
            .collect();
        let mut counts: HashMap<i64, usize> = HashMap::new();
        for worker in workers {
            for id in worker.join().unwrap() {
                *counts.entry(id).or_default() += 1;
            }
        }
        assert_eq!(counts.len(), 120, "every email was claimed");
        assert!(counts.values().all(|&n| n == 1), "no email was claimed twice");
    }
}

db_test! {
    async fn a_claim_whose_worker_died_is_taken_over_after_its_lease(app) {
        let now = app.clock_now();
        let mut conn = app.state.db.get().unwrap();
        let email = NewEmail { kind: "test", recipient: "r@example.org".into(), subject: "s".into(), body: "b".into() };
        let id = outbox::enqueue(&mut conn, now, &email).unwrap();
        assert_eq!(outbox::claim(&mut conn, now, 10).unwrap().len(), 1);
        // The worker dies here. Nobody else may take it during the lease...
        assert!(outbox::claim(&mut conn, now + chrono::Duration::seconds(60), 10).unwrap().is_empty());
        // ...and after it, another worker does.
        let later = now + chrono::Duration::seconds(121);
        let taken = outbox::claim(&mut conn, later, 10).unwrap();
        assert_eq!(taken.iter().map(|r| (r.id, r.attempts)).collect::<Vec<_>>(), [(id, 2)]);
    }
}

db_test! {
    async fn write_transactions_roll_back_the_email_with_the_change(app) {
        let now = app.clock_now();
        let mut conn = app.state.db.get().unwrap();
        let failed: Result<(), grantfund::error::ApiError> = write_transaction(&mut conn, |conn| {
            let email = NewEmail { kind: "test", recipient: "r@example.org".into(), subject: "s".into(), body: "b".into() };
            outbox::enqueue(conn, now, &email)?;
            Err(grantfund::error::ApiError::conflict(grantfund::error::ErrorCode::InvalidState, "the change failed"))
        });
        assert!(failed.is_err());
        drop(conn);
        let admin = app.admin().await;
        assert_eq!(app.as_(&admin).get("/api/v1/outbox").send().await.json["total"], 0);
    }
}

db_test! {
    async fn failed_sends_back_off_then_are_kept_as_failed(backend: Backend) {
        // An SMTP server that is not there: nothing listens on this port.
        let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = closed.local_addr().unwrap().port();
        drop(closed);
        let Some(app) = TestApp::spawn_with(backend, |s| {
            s.smtp_url = Some(format!("smtp://127.0.0.1:{port}").into());
            s.outbox_max_attempts = 3;
        })
        .await
        else {
            return;
        };
        let admin = app.admin().await;
        app.as_(&admin).post("/api/v1/users").json(json!({"name": "x", "email": "x@example.org", "role": "official", "password": PASSWORD})).send()
        .await;
        app.anonymous().post("/api/v1/auth/password-reset/request").json(json!({"email": "x@example.org"})).send()
        .await;

        let first = app.run_outbox().await;
        assert_eq!((first.sent, first.failed), (0, 1));
        let pending = app.as_(&admin).get("/api/v1/outbox?status=pending").send().await;
        let row = &pending.json["items"][0];
        assert_eq!(row["attempts"], 1);
        assert!(row["last_error"].as_str().is_some_and(|e| !e.is_empty()));
        assert_eq!(
            app.run_outbox().await.failed,
            0,
            "not retried before its back-off"
        );

        app.clock.advance(chrono::Duration::seconds(31));
        assert_eq!(
            app.run_outbox().await.failed,
            1,
            "second attempt after 30 s"
        );
        app.clock.advance(chrono::Duration::seconds(31));
        assert_eq!(app.run_outbox().await.failed, 0, "the third waits 60 s");
        app.clock.advance(chrono::Duration::seconds(30));
        assert_eq!(app.run_outbox().await.failed, 1);

        let failed = app.as_(&admin).get("/api/v1/outbox?status=failed").send().await;
        assert_eq!(failed.json["total"], 1, "kept and visible, not lost");
        assert_eq!(failed.json["items"][0]["attempts"], 3);
        app.clock.advance(chrono::Duration::days(1));
        assert_eq!(
            app.run_outbox().await.failed,
            0,
            "failed rows are not retried by themselves"
        );
    }
}

/// A minimal SMTP server on loopback that keeps every message it is given.
fn smtp_sink() -> (u16, Arc<std::sync::Mutex<Vec<String>>>) {
    smtp_sink_on(std::net::TcpListener::bind("127.0.0.1:0").unwrap())
}

/// The SMTP sink, listening on `listener`.
fn smtp_sink_on(listener: std::net::TcpListener) -> (u16, Arc<std::sync::Mutex<Vec<String>>>) {
    use std::io::{BufRead, BufReader, Write};
    let port = listener.local_addr().unwrap().port();
    let received = Arc::new(std::sync::Mutex::new(Vec::new()));
    let store = received.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut writer) = stream else { continue };
            let mut reader = BufReader::new(writer.try_clone().unwrap());
            let _ = writer.write_all(b"220 sink ESMTP\r\n");
            let mut line = String::new();
            while reader.read_line(&mut line).unwrap_or(0) > 0 {
                let command = line.to_ascii_uppercase();
                let reply: &[u8] = if command.starts_with("EHLO") || command.starts_with("HELO") {
                    b"250-sink\r\n250 8BITMIME\r\n"
                } else if command.starts_with("DATA") {
                    let _ = writer.write_all(b"354 end with .\r\n");
                    let mut message = String::new();
                    let mut data = String::new();
                    while reader.read_line(&mut data).unwrap_or(0) > 0 && data != ".\r\n" {
                        message.push_str(&data);
                        data.clear();
                    }
                    store.lock().unwrap().push(message);
                    b"250 queued\r\n"
                } else if command.starts_with("QUIT") {
                    let _ = writer.write_all(b"221 bye\r\n");
                    break;
                } else {
                    b"250 OK\r\n"
                };
                let _ = writer.write_all(reply);
                line.clear();
            }
        }
    });
    (port, received)
}

db_test! {
    async fn emails_are_delivered_over_smtp_when_configured(backend: Backend) {
        let (port, received) = smtp_sink();
        let Some(app) = TestApp::spawn_with(backend, |s| {
            s.smtp_url = Some(format!("smtp://127.0.0.1:{port}").into())
        })
        .await
        else {
            return;
        };
        app.register("SC000001", "aileen@example.org").await;
        assert_eq!(app.run_outbox().await.sent, 1);
        assert_eq!(app.run_outbox().await.sent, 0);
        let messages = received.lock().unwrap().clone();
        assert_eq!(messages.len(), 1, "delivered once");
        assert!(messages[0].contains("To: aileen@example.org"));
        assert!(messages[0].contains("Subject: Your grant fund account is ready"));
        assert!(app.mails().is_empty(), "nothing went to the file transport");
    }
}

db_test! {
    async fn mail_queued_while_smtp_is_down_arrives_once_when_it_is_back(backend: Backend) {
        // The sink's port, with nothing listening on it yet.
        let port = {
            let probe = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            probe.local_addr().unwrap().port()
        };
        let Some(app) = TestApp::spawn_with(backend, |s| {
            s.smtp_url = Some(format!("smtp://127.0.0.1:{port}").into());
            s.outbox_max_attempts = 10;
        })
        .await
        else {
            return;
        };
        for n in 0..6 {
            app.register(&format!("SC{:06}", 400_000 + n), &format!("down{n}@example.org")).await;
        }
        let queued: i64 = app.state.db.run(|conn| {
            use diesel::prelude::*;
            use grantfund::db::schema::outbox;
            Ok::<_, grantfund::error::ApiError>(outbox::table.count().get_result(conn)?)
        }).await.unwrap();
        assert!(queued >= 6, "{queued}");

        // Two workers try while the server is down: nothing is sent, nothing is lost.
        let (a, b) = futures_util::future::join(app.run_outbox(), app.run_outbox()).await;
        assert_eq!(a.sent + b.sent, 0);
        assert_eq!(a.failed + b.failed, queued as usize, "each email tried once, by one worker");

        // The server comes back; two workers drain the outbox as the back-offs pass.
        let (_, received) = smtp_sink_on(std::net::TcpListener::bind(("127.0.0.1", port)).unwrap());
        let mut sent = 0;
        for _ in 0..10 {
            app.clock.advance(chrono::Duration::minutes(10));
            let (a, b) = futures_util::future::join(app.run_outbox(), app.run_outbox()).await;
            sent += a.sent + b.sent;
        }
        assert_eq!(sent, queued as usize);
        let messages = received.lock().unwrap().clone();
        let mut ids: Vec<String> = messages
            .iter()
            .filter_map(|m| m.lines().find(|l| l.starts_with("Message-ID:")).map(str::to_owned))
            .collect();
        assert_eq!(ids.len(), queued as usize, "every email arrived");
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), queued as usize, "no email arrived twice");
        let admin = app.admin().await;
        assert_eq!(app.as_(&admin).get("/api/v1/outbox?status=pending").send().await.json["total"], 0);
        assert_eq!(app.as_(&admin).get("/api/v1/outbox?status=failed").send().await.json["total"], 0);
    }
}
