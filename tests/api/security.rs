//! Security by default: headers on every response, CORS closed unless configured, and no secret
//! in the logs.

use std::process::Stdio;

use serde_json::json;

use crate::db_test;
use crate::support::*;

async fn raw(
    app: &TestApp,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
) -> awc::ClientResponse<
    impl futures_util::Stream<Item = Result<actix_web::web::Bytes, awc::error::PayloadError>>,
> {
    let mut request = app
        .client
        .request(method.parse().unwrap(), format!("{}{path}", app.address));
    for (name, value) in headers {
        request = request.insert_header((*name, *value));
    }
    request.send().await.unwrap()
}

fn header(response: &awc::ClientResponse<impl futures_util::Stream>, name: &str) -> Option<String> {
    response
        .headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

db_test! {
    async fn every_answer_carries_the_security_headers(app) {
        for (path, api) in [("/health", false), ("/api/v1/me", true), ("/api/v1/rounds", true), ("/api/v1/nowhere", true), ("/openapi.json", false), ("/docs/", false)] {
            let response = raw(&app, "GET", path, &[]).await;
            assert_eq!(header(&response, "x-content-type-options").as_deref(), Some("nosniff"), "{path}");
            assert_eq!(header(&response, "x-frame-options").as_deref(), Some("DENY"), "{path}");
            assert_eq!(header(&response, "referrer-policy").as_deref(), Some("no-referrer"), "{path}");
            assert_eq!(header(&response, "cross-origin-opener-policy").as_deref(), Some("same-origin"), "{path}");
            let csp = header(&response, "content-security-policy").unwrap_or_default();
            assert!(csp.contains("frame-ancestors 'none'"), "{path}: {csp}");
            if path.starts_with("/docs") {
                assert!(csp.contains("default-src 'self'"), "{csp}");
            } else {
                assert!(csp.starts_with("default-src 'none'"), "{path}: {csp}");
            }
            assert_eq!(header(&response, "cache-control").as_deref() == Some("no-store"), api, "{path}");
            assert_eq!(header(&response, "strict-transport-security"), None, "HSTS only in production");
            assert_eq!(header(&response, "access-control-allow-origin"), None, "{path}: CORS is closed by default");
        }
        let preflight = raw(&app, "OPTIONS", "/api/v1/auth/login", &[("Origin", "https://elsewhere.example.org"), ("Access-Control-Request-Method", "POST")]).await;
        assert_eq!(header(&preflight, "access-control-allow-origin"), None);
        assert_eq!(header(&preflight, "access-control-allow-methods"), None);
    }
}

db_test! {
    async fn cors_answers_only_the_configured_origins(backend: Backend) {
        let Some(app) = TestApp::spawn_with(backend, |s| s.cors_allowed_origins = vec!["https://portal.example.org".to_owned()]).await else { return };
        let portal = [("Origin", "https://portal.example.org"), ("Access-Control-Request-Method", "PATCH"), ("Access-Control-Request-Headers", "authorization, content-type, idempotency-key")];
        let preflight = raw(&app, "OPTIONS", "/api/v1/applications/1", &portal).await;
        assert_eq!(preflight.status().as_u16(), 200);
        assert_eq!(header(&preflight, "access-control-allow-origin").as_deref(), Some("https://portal.example.org"));
        assert!(header(&preflight, "access-control-allow-methods").unwrap_or_default().contains("PATCH"));
        let read = raw(&app, "GET", "/api/v1/rounds", &[("Origin", "https://portal.example.org")]).await;
        assert_eq!(header(&read, "access-control-allow-origin").as_deref(), Some("https://portal.example.org"));
        assert!(header(&read, "access-control-expose-headers").unwrap_or_default().contains("x-request-id"));

        let elsewhere = raw(&app, "OPTIONS", "/api/v1/applications/1", &[("Origin", "https://elsewhere.example.org"), ("Access-Control-Request-Method", "PATCH")]).await;
        assert_eq!(header(&elsewhere, "access-control-allow-origin"), None);
        let read = raw(&app, "GET", "/api/v1/rounds", &[("Origin", "https://elsewhere.example.org")]).await;
        assert_eq!(read.status().as_u16(), 200, "served, but the browser keeps it from the page");
        assert_eq!(header(&read, "access-control-allow-origin"), None);
    }
}

/// POSTs JSON over a bare HTTP/1.0 connection and gives the body.
fn http_post(port: u16, path: &str, body: &serde_json::Value, token: Option<&str>) -> String {
    use std::io::{Read, Write};
    let body = body.to_string();
    let auth = token
        .map(|t| format!("Authorization: Bearer {t}\r\n"))
        .unwrap_or_default();
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    write!(stream, "POST {path} HTTP/1.0\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: {}\r\n{auth}\r\n{body}", body.len()).unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    answer
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default()
}

fn up(port: u16) -> bool {
    std::net::TcpStream::connect(("127.0.0.1", port)).is_ok()
}

#[test]
fn no_secret_password_or_token_reaches_the_logs_even_at_trace() {
    let dir = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let secret = "a jwt secret that must never be written to any log line";
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_grantfund"))
        .current_dir(dir.path())
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("RUST_LOG", "trace")
        .env("JWT_SECRET", secret)
        .env("DATABASE_URL", "sqlite://logs.db")
        .env("MAIL_DIR", dir.path().join("mail"))
        .env("OUTBOX_POLL_SECONDS", "1")
        .env("BIND_ADDR", format!("127.0.0.1:{port}"))
        .arg("serve")
        .stdout(Stdio::from(
            std::fs::File::create(dir.path().join("out.log")).unwrap(),
        ))
        .stderr(Stdio::from(
            std::fs::File::create(dir.path().join("err.log")).unwrap(),
        ))
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while !up(port) {
        assert!(
            std::time::Instant::now() < deadline,
            "the server did not come up"
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let email = "aileen@bumps.example.org";
    http_post(
        port,
        "/api/v1/auth/register",
        &registration("SC049999", email),
        None,
    );
    let login: serde_json::Value = serde_json::from_str(&http_post(
        port,
        "/api/v1/auth/login",
        &json!({"email": email, "password": PASSWORD}),
        None,
    ))
    .unwrap();
    let access = login["access_token"].as_str().unwrap().to_owned();
    let refresh = login["refresh_token"].as_str().unwrap().to_owned();
    // Two-step sign-in: the secret, the codes and the challenge are logged nowhere either.
    let enrolment: serde_json::Value = serde_json::from_str(&http_post(
        port,
        "/api/v1/me/mfa",
        &json!({}),
        Some(&access),
    ))
    .unwrap();
    let totp_secret = enrolment["secret"].as_str().unwrap().to_owned();
    let code = code_for(&totp_secret, chrono::Utc::now());
    let confirmed: serde_json::Value = serde_json::from_str(&http_post(
        port,
        "/api/v1/me/mfa/confirm",
        &json!({"code": code}),
        Some(&access),
    ))
    .unwrap();
    let recovery_codes: Vec<String> = confirmed["recovery_codes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap().to_owned())
        .collect();
    assert_eq!(recovery_codes.len(), 10, "{confirmed}");
    let first_step: serde_json::Value = serde_json::from_str(&http_post(
        port,
        "/api/v1/auth/login",
        &json!({"email": email, "password": PASSWORD}),
        None,
    ))
    .unwrap();
    let challenge = first_step["challenge"].as_str().unwrap().to_owned();
    let second_step: serde_json::Value = serde_json::from_str(&http_post(
        port,
        "/api/v1/auth/login/mfa",
        &json!({"challenge": challenge, "recovery_code": recovery_codes[0]}),
        None,
    ))
    .unwrap();
    assert!(second_step["access_token"].is_string(), "{second_step}");
    let refreshed: serde_json::Value = serde_json::from_str(&http_post(
        port,
        "/api/v1/auth/refresh",
        &json!({"refresh_token": refresh}),
        None,
    ))
    .unwrap();
    assert!(refreshed["access_token"].is_string(), "{refreshed}");
    http_post(
        port,
        "/api/v1/auth/login",
        &json!({"email": email, "password": "a wrong password that is logged nowhere"}),
        None,
    );
    http_post(
        port,
        "/api/v1/auth/password-reset/request",
        &json!({"email": email}),
        None,
    );
    http_post(port, "/api/v1/me", &json!({}), Some(&access));
    // The reset email is written by the outbox worker within a couple of polls.
    let mail = dir.path().join("mail");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    let reset_mail = loop {
        let found = std::fs::read_dir(&mail)
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| std::fs::read_to_string(e.path()).unwrap_or_default())
            .find(|m| m.contains("Reset your grant fund password"));
        if let Some(found) = found {
            break found;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no reset email was written"
        );
        std::thread::sleep(std::time::Duration::from_millis(200));
    };
    // The code stands on a line of its own (the link is wrapped by the mail encoding).
    let reset_token = reset_mail
        .lines()
        .map(str::trim)
        .find(|l| {
            l.len() == 43
                && l.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        })
        .expect("the reset code in the email")
        .to_owned();
    let new_password = "another long passphrase nobody logs";
    http_post(
        port,
        "/api/v1/auth/password-reset/confirm",
        &json!({"token": reset_token, "password": new_password}),
        None,
    );
    let again: serde_json::Value = serde_json::from_str(&http_post(
        port,
        "/api/v1/auth/login",
        &json!({"email": email, "password": new_password}),
        None,
    ))
    .unwrap();
    assert!(
        again["status"] == "mfa_required",
        "the token read from the email is the real one: {again}"
    );
    let _ = std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let _ = child.wait();
    let logs = std::fs::read_to_string(dir.path().join("out.log")).unwrap()
        + &std::fs::read_to_string(dir.path().join("err.log")).unwrap();
    assert!(logs.lines().count() > 20, "trace logging is on: {logs}");
    for (what, needle) in [
        ("JWT secret", secret),
        ("password", PASSWORD),
        ("wrong password", "a wrong password"),
        ("access token", access.as_str()),
        ("refresh token", refresh.as_str()),
        ("reset token", reset_token.as_str()),
        ("TOTP secret", totp_secret.as_str()),
        // Six digits may turn up in a timestamp's fraction by chance; a logged code would be
        // quoted or named.
        ("TOTP code", &format!("\"{code}\"")),
        ("TOTP code", &format!("code={code}")),
        ("sign-in challenge", challenge.as_str()),
    ] {
        assert!(!logs.contains(needle), "the {what} is in the logs");
    }
    for recovery in &recovery_codes {
        assert!(
            !logs.contains(recovery.as_str()),
            "a recovery code is in the logs"
        );
    }
}
