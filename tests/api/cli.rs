//! The `grantfund` binary: user creation from standard input, the production secret check,
//! migrations, the OpenAPI command, the demo and its credentials, and the portal's assets served
//! by the binary alone.

use std::io::Write;
use std::process::{Command, Stdio};

use crate::support::*;

/// A data key good enough for production: not the development key.
const PRODUCTION_DATA_KEY: &str = "live1:ZmVkY2JhOTg3NjU0MzIxMGZlZGNiYTk4NzY1NDMyMTA=";

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

    let mut settings = grantfund::config::Settings::for_database(&url).unwrap();
    settings.bind_addr = "127.0.0.1:0".into();
    settings.mail_dir = dir.path().join("mail");
    let app = grantfund::Application::build(
        settings,
        grantfund::Options {
            workers: Some(1),
            run_jobs: false,
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
fn production_refuses_a_missing_or_malformed_data_key_without_echoing_it() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        (None, "DATA_ENCRYPTION_KEY must be set"),
        (Some("live1:c2VjcmV0LWJ1dC1zaG9ydA=="), "must be 32 bytes"),
    ];
    for (key, reason) in cases {
        let mut command = grantfund(dir.path());
        command
            .env("APP_ENV", "production")
            .env(
                "JWT_SECRET",
                "a production secret that is long enough to pass",
            )
            .env("DATABASE_URL", "sqlite://never.db")
            .args(["serve"]);
        if let Some(key) = key {
            command.env("DATA_ENCRYPTION_KEY", key);
        }
        let output = command.output().unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(!output.status.success());
        assert!(stderr.contains(reason), "{stderr}");
        assert!(
            !stderr.contains("c2VjcmV0"),
            "the key is not echoed: {stderr}"
        );
    }
    assert!(!dir.path().join("never.db").exists(), "nothing started");
}

#[test]
fn reencrypt_reports_what_it_sealed_again_under_the_current_key() {
    let dir = tempfile::tempdir().unwrap();
    let output = grantfund(dir.path())
        .env("DATABASE_URL", "sqlite://keys.db")
        .env("DATA_ENCRYPTION_KEY", PRODUCTION_DATA_KEY)
        .env(
            "DATA_ENCRYPTION_OLD_KEYS",
            "old1:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=",
        )
        .arg("reencrypt")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(
        stdout.trim(),
        "reencrypt: 0 values sealed again under key live1, 0 already under it"
    );
    assert!(!stdout.contains("ZmVk"), "no key is printed");
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

/// Sends a bare HTTP/1.0 GET and gives the whole answer (a binary body lossily), or `None` if
/// nothing listens yet.
fn http_get(port: u16, path: &str) -> Option<String> {
    use std::io::Read;
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).ok()?;
    stream
        .write_all(format!("GET {path} HTTP/1.0\r\nHost: localhost\r\n\r\n").as_bytes())
        .ok()?;
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).ok()?;
    Some(String::from_utf8_lossy(&answer).into_owned())
}

/// Waits until the server on `port` answers `/health`.
fn wait_until_up(port: u16) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while http_get(port, "/health").is_none_or(|a| !a.contains("200 OK")) {
        assert!(
            std::time::Instant::now() < deadline,
            "the server did not come up"
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
}

/// Sends SIGTERM and asserts a clean exit; gives what the server printed.
fn terminate(child: std::process::Child) -> std::process::Output {
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
    output
}

#[test]
fn serve_seeds_the_demo_once_and_stops_gracefully_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let run = || {
        let child = grantfund(dir.path())
            .env("DATABASE_URL", "sqlite://demo.db")
            .env("BIND_ADDR", format!("127.0.0.1:{port}"))
            .args(["serve", "--demo"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        wait_until_up(port);
        String::from_utf8_lossy(&terminate(child).stdout).into_owned()
    };

    let first = run();
    for role in ["administrator", "official", "assessor", "applicant"] {
        assert!(first.contains(role), "{role} login printed: {first}");
    }
    assert!(
        first.contains("demo-"),
        "passwords are printed once: {first}"
    );
    assert!(
        first.contains(&format!("serving the portal at http://127.0.0.1:{port}/")),
        "{first}"
    );
    let second = run();
    assert!(second.contains("nothing seeded"), "{second}");
    assert!(!second.contains("demo-"));
    assert!(
        second.contains("grantfund demo credentials --reset"),
        "says how to get sign-in details again: {second}"
    );

    let reset = grantfund(dir.path())
        .env("DATABASE_URL", "sqlite://demo.db")
        .args(["demo", "credentials", "--reset"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&reset.stdout);
    assert!(
        reset.status.success(),
        "{}",
        String::from_utf8_lossy(&reset.stderr)
    );
    // role, email, password and, for staff, the TOTP secret of their new second factor.
    let lines: Vec<Vec<&str>> = stdout
        .lines()
        .map(|l| l.split_whitespace().collect::<Vec<_>>())
        .filter(|words| words.get(2).is_some_and(|p| p.starts_with("demo-")))
        .collect();
    let logins: Vec<(&str, &str, &str)> = lines.iter().map(|w| (w[0], w[1], w[2])).collect();
    for words in &lines {
        let staff = !matches!(words[0], "applicant" | "claimant");
        assert_eq!(words.len(), if staff { 4 } else { 3 }, "{stdout}");
        if staff {
            assert!(
                grantfund::mfa::totp::from_text(words[3]).is_some(),
                "a base32 secret: {stdout}"
            );
        }
    }
    let roles: Vec<&str> = logins.iter().map(|l| l.0).collect();
    assert_eq!(
        roles,
        [
            "administrator",
            "official",
            "assessor",
            "applicant",
            "finance",
            "claimant",
            "clinician",
            "cash_office"
        ],
        "{stdout}"
    );
    for (_, _, password) in &logins {
        assert!(!first.contains(password), "new passwords: {stdout}");
    }

    // The new password signs in on a server started afterwards.
    let child = grantfund(dir.path())
        .env("DATABASE_URL", "sqlite://demo.db")
        .env("BIND_ADDR", format!("127.0.0.1:{port}"))
        .arg("serve")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    wait_until_up(port);
    let (_, email, password) = logins[0];
    let body = format!(r#"{{"email": "{email}", "password": "{password}"}}"#);
    let answer = http_post_json(port, "/api/v1/auth/login", &body).unwrap();
    terminate(child);
    assert!(
        answer.starts_with("HTTP/1.0 200") || answer.starts_with("HTTP/1.1 200"),
        "{answer}"
    );
    assert!(
        answer.contains("\"mfa_required\""),
        "staff sign in with a code too: {answer}"
    );
}

/// Sends a bare HTTP/1.0 POST of a JSON body and gives the whole answer.
fn http_post_json(port: u16, path: &str, body: &str) -> Option<String> {
    use std::io::Read;
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).ok()?;
    stream
        .write_all(
            format!(
                "POST {path} HTTP/1.0\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
                body.len()
            )
            .as_bytes(),
        )
        .ok()?;
    let mut answer = String::new();
    stream.read_to_string(&mut answer).ok()?;
    Some(answer)
}

#[test]
fn demo_credentials_are_refused_in_production_and_need_demo_accounts() {
    let dir = tempfile::tempdir().unwrap();
    let refused = grantfund(dir.path())
        .env("APP_ENV", "production")
        .env("DATA_ENCRYPTION_KEY", PRODUCTION_DATA_KEY)
        .env(
            "JWT_SECRET",
            "a production secret that is long enough to pass",
        )
        .env("DATABASE_URL", "sqlite://prod.db")
        .args(["demo", "credentials", "--reset"])
        .output()
        .unwrap();
    assert!(!refused.status.success());
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("refused when APP_ENV=production"),
        "{}",
        String::from_utf8_lossy(&refused.stderr)
    );
    assert!(!dir.path().join("prod.db").exists(), "nothing was opened");

    let empty = grantfund(dir.path())
        .env("DATABASE_URL", "sqlite://empty.db")
        .args(["demo", "credentials", "--reset"])
        .output()
        .unwrap();
    assert!(!empty.status.success());
    assert!(
        String::from_utf8_lossy(&empty.stderr).contains("no demo accounts"),
        "{}",
        String::from_utf8_lossy(&empty.stderr)
    );

    let listed = grantfund(dir.path())
        .env("DATABASE_URL", "sqlite://empty.db")
        .args(["demo", "credentials"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&listed.stdout);
    assert!(listed.status.success());
    assert!(
        stdout.contains("admin@fund.example.org") && stdout.contains("--reset"),
        "{stdout}"
    );
    assert!(!stdout.contains("demo-"), "no password without --reset");
}

#[test]
fn the_binary_alone_serves_a_styled_portal_from_any_folder_on_the_port_it_bound() {
    // An empty folder far from the crate, no ASSETS_DIR, and port 0: the binary has what it
    // serves, and says where.
    let dir = tempfile::tempdir().unwrap();
    let mut child = grantfund(dir.path())
        .env("DATABASE_URL", "sqlite://alone.db")
        .env("BIND_ADDR", "127.0.0.1:0")
        .arg("serve")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    std::io::BufRead::read_line(
        &mut std::io::BufReader::new(child.stdout.take().unwrap()),
        &mut line,
    )
    .unwrap();
    let url = line
        .strip_prefix("serving the portal at ")
        .and_then(|rest| rest.split_once("/ "))
        .map(|(url, _)| url.to_owned())
        .unwrap_or_else(|| panic!("the address served: {line:?}"));
    let port: u16 = url
        .strip_prefix("http://127.0.0.1:")
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("the port actually bound: {url}"));
    assert_ne!(port, 0);
    wait_until_up(port);
    let css = http_get(port, "/assets/portal.css").unwrap();
    let favicon = http_get(port, "/favicon.ico").unwrap();
    let page = http_get(port, "/rounds").unwrap();
    let output = terminate(child);
    let logs = String::from_utf8_lossy(&output.stderr);

    assert!(
        css.starts_with("HTTP/1.0 200 OK"),
        "{}",
        &css[..css.len().min(300)]
    );
    assert!(css.contains("content-type: text/css"));
    assert!(css.contains("etag: \""));
    assert!(css.contains(".govuk-"), "the compiled styles");
    assert!(favicon.starts_with("HTTP/1.0 200 OK"));
    assert!(favicon.contains("content-type: image/x-icon"));
    assert!(page.contains("/assets/portal.css"));
    assert!(
        !logs.contains("assets"),
        "no warning about missing assets: {logs}"
    );
}

#[test]
fn production_logs_are_json_with_one_line_per_request_carrying_its_id() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let child = grantfund(dir.path())
        .env("APP_ENV", "production")
        .env("DATA_ENCRYPTION_KEY", PRODUCTION_DATA_KEY)
        .env(
            "JWT_SECRET",
            "a production secret that is long enough to use",
        )
        .env("RUST_LOG", "info")
        .env("DATABASE_URL", "sqlite://prod.db")
        .env("BIND_ADDR", format!("127.0.0.1:{port}"))
        .arg("serve")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    wait_until_up(port);
    let token = "a-feedback-token-that-must-never-reach-the-logs";
    let _ = http_get(port, &format!("/api/v1/feedback/{token}")).unwrap();
    let answer = http_get(port, "/api/v1/me").unwrap();
    let request_id = answer
        .lines()
        .find_map(|l| l.strip_prefix("x-request-id: "))
        .expect("request id header")
        .trim()
        .to_owned();
    let output = terminate(child);
    let logs = String::from_utf8_lossy(&output.stderr);
    let lines: Vec<serde_json::Value> = logs
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|_| panic!("not JSON: {l}")))
        .collect();
    let access = lines
        .iter()
        .find(|l| l["span"]["request_id"] == request_id.as_str())
        .unwrap_or_else(|| panic!("no log line for request {request_id}: {logs}"));
    assert_eq!(access["span"]["http.status_code"], 401);
    assert_eq!(access["span"]["http.route"], "/api/v1/me");
    assert!(
        !logs.contains("a production secret"),
        "the secret is never logged"
    );
    assert!(
        !logs.contains(token),
        "paths with tokens are logged by route only"
    );
    assert!(
        lines
            .iter()
            .any(|l| l["span"]["http.route"] == "/api/v1/feedback/{token}"),
        "{logs}"
    );
    for field in ["http.client_ip", "http.user_agent", "http.target"] {
        assert!(!logs.contains(field), "{field} is not logged: {logs}");
    }
}

#[test]
fn seed_scale_writes_a_fund_and_is_refused_in_production() {
    let dir = tempfile::tempdir().unwrap();
    let seeded = grantfund(dir.path())
        .env("DATABASE_URL", "sqlite://scale.db")
        .args(["seed", "scale", "--applications", "200"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&seeded.stdout);
    assert!(
        seeded.status.success(),
        "{}",
        String::from_utf8_lossy(&seeded.stderr)
    );
    assert!(
        stdout.starts_with(
            "fund 1 (SCALE1): 10 organisations, 200 applications, 2160 scores, 40 awards"
        ),
        "{stdout}"
    );
    let refused = grantfund(dir.path())
        .env("APP_ENV", "production")
        .env("DATA_ENCRYPTION_KEY", PRODUCTION_DATA_KEY)
        .env(
            "JWT_SECRET",
            "a production secret that is long enough to pass",
        )
        .env("DATABASE_URL", "sqlite://scale.db")
        .args(["seed", "scale", "--applications", "200"])
        .output()
        .unwrap();
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("refused when APP_ENV=production"));
    let zero = grantfund(dir.path())
        .env("DATABASE_URL", "sqlite://scale.db")
        .args(["seed", "scale", "--applications", "0"])
        .output()
        .unwrap();
    assert!(!zero.status.success(), "at least one application");
}
