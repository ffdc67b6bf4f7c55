//! The `grantfund` binary: user creation from standard input, the production secret check,
//! migrations and the OpenAPI command.

use std::io::Write;
use std::process::{Command, Stdio};

use crate::helpers::*;

fn grantfund(dir: &std::path::Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_grantfund"));
    command
        .current_dir(dir)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("RUST_LOG", "warn");
    command
}

#[actix_web::test]
async fn user_create_reads_the_password_from_stdin_and_the_user_can_sign_in() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("cli.db").display());
    let mut child = grantfund(dir.path())
        .env("DATABASE_URL", &url)
        .args([
            "user",
            "create",
            "--email",
            "Root@Fund.org",
            "--name",
            "First Admin",
            "--role",
            "administrator",
            "--password-stdin",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(format!("{PASSWORD}\n").as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(String::from_utf8_lossy(&output.stdout).contains("root@fund.org"));

    let mut settings = grantfund::config::Settings::for_database(&url);
    settings.bind_addr = "127.0.0.1:0".into();
    settings.mail_dir = dir.path().join("mail");
    let app = grantfund::Application::build(
        settings,
        grantfund::Options {
            workers: Some(1),
            run_outbox_worker: false,
            ..Default::default()
        },
    )
    .unwrap();
    let port = app.port();
    actix_web::rt::spawn(app.run_until_stopped());
    let mut reply = awc::Client::default()
        .post(format!("http://127.0.0.1:{port}/api/v1/auth/login"))
        .send_json(&serde_json::json!({"email": "root@fund.org", "password": PASSWORD}))
        .await
        .unwrap();
    assert_eq!(reply.status().as_u16(), 200, "{:?}", reply.body().await);

    let again = grantfund(dir.path())
        .env("DATABASE_URL", &url)
        .args([
            "user",
            "create",
            "--email",
            "weak@fund.org",
            "--name",
            "W",
            "--role",
            "official",
            "--password-stdin",
        ])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(!again.status.success(), "an empty password is refused");
    assert!(String::from_utf8_lossy(&again.stderr).contains("at least 12 characters"));
}

#[test]
fn production_refuses_a_missing_default_or_short_secret_and_says_why() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        (None, "JWT_SECRET must be set"),
        (
            Some(grantfund::config::DEVELOPMENT_JWT_SECRET),
            "development default",
        ),
        (Some("too-short"), "at least 32 bytes"),
    ];
    for (secret, reason) in cases {
        let mut command = grantfund(dir.path());
        command
            .env("APP_ENV", "production")
            .env("DATABASE_URL", "sqlite://never.db")
            .args(["serve"]);
        if let Some(secret) = secret {
            command.env("JWT_SECRET", secret);
        }
        let output = command.output().unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(!output.status.success());
        assert!(stderr.contains(reason), "{stderr}");
        assert!(
            secret.is_none_or(|s| !stderr.contains(s)
                || s == grantfund::config::DEVELOPMENT_JWT_SECRET && !stderr.contains(s)),
            "the secret is not echoed"
        );
    }
    assert!(!dir.path().join("never.db").exists(), "nothing started");
}

#[test]
fn migrate_creates_the_database_and_a_mistyped_url_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let ok = grantfund(dir.path())
        .env("DATABASE_URL", "sqlite://fresh.db")
        .arg("migrate")
        .output()
        .unwrap();
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    assert!(dir.path().join("fresh.db").exists());
    let bad = grantfund(dir.path())
        .env("DATABASE_URL", "postgress://typo/db")
        .arg("migrate")
        .output()
        .unwrap();
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("DATABASE_URL must start with"));
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        1 + usize::from(dir.path().join("fresh.db-wal").exists())
            + usize::from(dir.path().join("fresh.db-shm").exists()),
        "no stray database file was created"
    );
}

#[test]
fn the_openapi_command_prints_the_committed_document() {
    let dir = tempfile::tempdir().unwrap();
    let output = grantfund(dir.path()).arg("openapi").output().unwrap();
    assert!(output.status.success());
    assert_eq!(
        String::from_utf8_lossy(&output.stdout),
        include_str!("../../openapi/openapi.json")
    );
}

/// Sends a bare HTTP/1.0 GET and gives the whole answer, or `None` if nothing listens yet.
fn http_get(port: u16, path: &str) -> Option<String> {
    use std::io::Read;
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).ok()?;
    stream
        .write_all(format!("GET {path} HTTP/1.0\r\nHost: localhost\r\n\r\n").as_bytes())
        .ok()?;
    let mut answer = String::new();
    stream.read_to_string(&mut answer).ok()?;
    Some(answer)
}

#[test]
fn serve_seeds_the_demo_once_and_stops_gracefully_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let start = |demo: bool| {
        let mut command = grantfund(dir.path());
        command
            .env("DATABASE_URL", "sqlite://demo.db")
            .env("BIND_ADDR", format!("127.0.0.1:{port}"))
            .arg("serve")
            .stdout(Stdio::piped())
            .stderr(Stdio::null());
        if demo {
            command.arg("--demo");
        }
        command.spawn().unwrap()
    };
    let stop = |child: std::process::Child| {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        while http_get(port, "/health").is_none_or(|a| !a.contains("200 OK")) {
            assert!(
                std::time::Instant::now() < deadline,
                "the server did not come up"
            );
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        let status = Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
        let output = child.wait_with_output().unwrap();
        assert!(
            output.status.success(),
            "SIGTERM ends the server cleanly: {:?}",
            output.status
        );
        String::from_utf8_lossy(&output.stdout).into_owned()
    };

    let first = stop(start(true));
    for role in ["administrator", "official", "assessor", "applicant"] {
        assert!(first.contains(role), "{role} login printed: {first}");
    }
    assert!(
        first.contains("demo-"),
        "passwords are printed once: {first}"
    );
    let second = stop(start(true));
    assert!(second.contains("nothing seeded"), "{second}");
    assert!(!second.contains("demo-"));
}
