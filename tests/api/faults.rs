//! Crashes: the server killed with SIGKILL in the middle of a burst of writes loses nothing it
//! acknowledged, and sends every queued email once after it is restarted.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use futures_util::future::join_all;
use serde_json::json;

use crate::support::*;

fn start(url: &str, dir: &std::path::Path, port: u16) -> Child {
    let child = Command::new(env!("CARGO_BIN_EXE_grantfund"))
        .current_dir(dir)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("RUST_LOG", "warn")
        .env("DATABASE_URL", url)
        .env("MAIL_DIR", dir.join("mail"))
        .env("BIND_ADDR", format!("127.0.0.1:{port}"))
        .env("OUTBOX_POLL_SECONDS", "1")
        .env("AUTH_ATTEMPTS_PER_CLIENT_PER_MINUTE", "100000")
        .env("AUTH_ATTEMPTS_PER_ACCOUNT_PER_MINUTE", "100000")
        .arg("serve")
        .stdout(Stdio::null())
        .stderr(Stdio::from(
            std::fs::File::create(dir.join("server.log")).unwrap(),
        ))
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            Instant::now() < deadline,
            "the server did not come up: {}",
            std::fs::read_to_string(dir.join("server.log")).unwrap_or_default()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    child
}

/// The Message-IDs of every email the file transport wrote.
fn message_ids(dir: &std::path::Path) -> Vec<String> {
    std::fs::read_dir(dir.join("mail"))
        .map(|entries| {
            entries
                .flatten()
                .filter_map(|e| std::fs::read_to_string(e.path()).ok())
                .filter_map(|m| {
                    m.lines()
                        .find(|l| l.starts_with("Message-ID:"))
                        .map(str::to_owned)
                })
                .collect()
        })
        .unwrap_or_default()
}

async fn kill_during_writes(backend: Backend) {
    let Some((_db, url)) = TestDb::create(backend) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let mut server = start(&url, dir.path(), port);
    let client = awc::Client::builder()
        .timeout(Duration::from_secs(10))
        .finish();
    let address = format!("http://127.0.0.1:{port}");

    // 60 registrations at once, each an organisation, a user and a welcome email; the server is
    // killed while they are in flight.
    let done = std::rc::Rc::new(std::cell::Cell::new(0));
    let burst = (0..60).map(|n| {
        let (client, address, done) = (client.clone(), address.clone(), done.clone());
        async move {
            let email = format!("crash{n}@example.org");
            let body = registration(&format!("SC{:06}", 500_000 + n), &email);
            let answer = client
                .post(format!("{address}/api/v1/auth/register"))
                .send_json(&body)
                .await;
            let status = answer.map(|r| r.status().as_u16()).ok();
            done.set(done.get() + 1);
            (email, status)
        }
    });
    // SIGKILL once a few have been answered, with most still in flight.
    let killer = async {
        while done.get() < 5 {
            actix_web::rt::time::sleep(Duration::from_millis(5)).await;
        }
        server.kill().unwrap();
        server.wait().unwrap();
    };
    let (answers, ()) = futures_util::future::join(join_all(burst), killer).await;
    let acknowledged: Vec<String> = answers
        .iter()
        .filter(|(_, status)| status.is_some_and(|s| s == 201))
        .map(|(email, _)| email.clone())
        .collect();
    let lost_in_flight = answers.iter().filter(|(_, s)| s.is_none()).count();
    assert!(
        !acknowledged.is_empty() && lost_in_flight > 0,
        "the kill landed mid-burst: {} acknowledged, {lost_in_flight} cut off",
        acknowledged.len()
    );

    // Restarted: every acknowledged registration is there and can sign in.
    let mut server = start(&url, dir.path(), port);
    for email in &acknowledged {
        let login = client
            .post(format!("{address}/api/v1/auth/login"))
            .send_json(&json!({"email": email, "password": PASSWORD}))
            .await
            .unwrap()
            .status();
        assert_eq!(
            login.as_u16(),
            200,
            "{email} was acknowledged and then lost"
        );
    }

    // Every queued email is sent once, none twice, whatever the kill interrupted. A row the
    // killed server had claimed is sent once its lease has run out.
    let deadline = Instant::now() + grantfund::email::outbox::CLAIM_LEASE + Duration::from_secs(30);
    let admin_db = url.clone();
    let queued = loop {
        let (unsent, total) = outbox_state(&admin_db, backend);
        if unsent == 0 {
            break total;
        }
        assert!(
            Instant::now() < deadline,
            "the outbox did not drain: {unsent} not yet sent"
        );
        actix_web::rt::time::sleep(Duration::from_millis(200)).await;
    };
    server.kill().unwrap();
    server.wait().unwrap();
    let mut ids = message_ids(dir.path());
    let sent = ids.len();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), sent, "an email was sent twice");
    assert_eq!(sent as i64, queued, "every queued email was sent");
    assert!(
        queued >= acknowledged.len() as i64,
        "each acknowledged registration queued its welcome"
    );
}

/// (not yet sent, total) rows of the outbox, read straight from the database: a row being
/// sent counts as not yet sent, so the server is not stopped in the middle of sending it.
fn outbox_state(url: &str, backend: Backend) -> (i64, i64) {
    use diesel::prelude::*;
    #[derive(QueryableByName)]
    struct Counts {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        unsent: i64,
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        total: i64,
    }
    let sql = "SELECT CAST(COALESCE(SUM(CASE WHEN status IN ('pending', 'sending') THEN 1 ELSE 0 END), 0) AS BIGINT) AS unsent, COUNT(*) AS total FROM outbox";
    let counts: Counts = match backend {
        Backend::Postgres => {
            let mut conn = diesel::pg::PgConnection::establish(url).unwrap();
            diesel::sql_query(sql).get_result(&mut conn).unwrap()
        }
        Backend::Sqlite => {
            let path = url.trim_start_matches("sqlite://");
            let mut conn = diesel::sqlite::SqliteConnection::establish(path).unwrap();
            diesel::sql_query(sql).get_result(&mut conn).unwrap()
        }
    };
    (counts.unsent, counts.total)
}

#[actix_web::test]
async fn a_server_killed_mid_burst_on_sqlite_loses_nothing_it_acknowledged() {
    kill_during_writes(Backend::Sqlite).await;
}

#[actix_web::test]
async fn a_server_killed_mid_burst_on_postgres_loses_nothing_it_acknowledged() {
    kill_during_writes(Backend::Postgres).await;
}
