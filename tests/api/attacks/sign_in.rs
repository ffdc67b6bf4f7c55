//! Probes of the sign-in, reset and registration limits, as an outside attacker runs them: the
//! same email spelled with spaces, capitals or decomposed accents to get a fresh allowance;
//! guesses spread over several addresses; a forged left-most `X-Forwarded-For` hop; floods of
//! every unauthenticated write route; and registration's `email_taken` used to learn who has an
//! account. Each limit must hold, and the real user with the right password must still get in
//! while an attacker is being refused.

use awc::http::StatusCode;
use serde_json::{Value, json};

use crate::db_test;
use crate::support::*;

/// The account limit of the default settings.
const PER_ACCOUNT: usize = 5;

/// Sends a JSON POST as if from `client` (the right-most `X-Forwarded-For` hop).
async fn post_from(app: &TestApp, client: &str, path: &str, body: Value) -> Reply {
    post_forwarded(app, client, path, body).await
}

/// Sends a JSON POST with this whole `X-Forwarded-For` header.
async fn post_forwarded(app: &TestApp, forwarded_for: &str, path: &str, body: Value) -> Reply {
    app.anonymous()
        .post(path)
        .header("X-Forwarded-For", forwarded_for)
        .json(body)
        .send()
        .await
}

async fn login_from(app: &TestApp, client: &str, email: &str, password: &str) -> Reply {
    post_from(
        app,
        client,
        "/api/v1/auth/login",
        json!({"email": email, "password": password}),
    )
    .await
}

/// An app that reads the client from `X-Forwarded-For`, as behind the operator's proxy.
async fn behind_a_proxy(backend: Backend) -> Option<TestApp> {
    TestApp::spawn_with(backend, |s| s.trust_forwarded_for = true).await
}

/// One account's email in the spellings an attacker tries: spaced, upper-cased, decomposed.
const SPELLINGS: [&str; 6] = [
    "zoë@example.org",
    " zoë@example.org",
    "ZOË@EXAMPLE.ORG",
    "zoe\u{308}@example.org",
    "\tZoe\u{308}@Example.org ",
    "zoë@example.org\n",
];

db_test! {
    async fn a_respelled_email_shares_the_accounts_sign_in_allowance(backend: Backend) {
        let Some(app) = behind_a_proxy(backend).await else { return };
        app.register("SC000001", "zoë@example.org").await;
        // Every spelling names the one account: the decomposed one signs in.
        let fresh = login_from(&app, "192.0.2.1", "  ZOE\u{308}@Example.ORG ", PASSWORD).await;
        assert_eq!(fresh.status, StatusCode::OK, "{}", fresh.text);

        // Wrong guesses in every spelling from one address: the limit counts them together.
        let mut evaluated = 0;
        for spelling in SPELLINGS.iter().cycle().take(24) {
            let reply = login_from(&app, "198.51.100.7", spelling, "not the passphrase").await;
            match reply.status.as_u16() {
                401 => evaluated += 1,
                429 => reply.assert_problem(429, "too_many_requests"),
                other => panic!("unexpected {other}: {}", reply.text),
            }
        }
        assert_eq!(evaluated, PER_ACCOUNT, "the account's allowance, whatever the spelling");
    }
}

db_test! {
    async fn a_respelled_email_shares_the_accounts_reset_allowance(backend: Backend) {
        let Some(app) = behind_a_proxy(backend).await else { return };
        app.register("SC000001", "zoë@example.org").await;
        app.run_outbox().await;
        let mut accepted = 0;
        for (i, spelling) in SPELLINGS.iter().cycle().take(13).enumerate() {
            // From many addresses, so that only the account's limit can stop them.
            let client = format!("198.51.100.{}", i + 1);
            let reply = post_from(&app, &client, "/api/v1/auth/password-reset/request", json!({"email": spelling})).await;
            match reply.status.as_u16() {
                202 => accepted += 1,
                429 => assert!(reply.header("retry-after").is_some()),
                other => panic!("unexpected {other}: {}", reply.text),
            }
        }
        assert_eq!(accepted, PER_ACCOUNT);
        app.run_outbox().await;
        let resets = app.mails().iter().filter(|m| m.contains("Reset your grant fund password")).count();
        assert_eq!(resets, PER_ACCOUNT, "at most the limit of reset emails reach the inbox in a minute");
    }
}

db_test! {
    async fn guesses_from_four_addresses_get_at_most_the_limit_through(backend: Backend) {
        let Some(app) = behind_a_proxy(backend).await else { return };
        app.register("SC000001", "aileen@example.org").await;
        let attackers = ["203.0.113.1", "203.0.113.2", "203.0.113.3", "203.0.113.4"];
        let mut evaluated = 0;
        for i in 0..120 {
            let spelling = if i % 2 == 0 { "aileen@example.org" } else { " Aileen@Example.org" };
            let reply = login_from(&app, attackers[i % 4], spelling, &format!("guess number {i:04}")).await;
            match reply.status.as_u16() {
                401 => evaluated += 1,
                429 => {
                    reply.assert_problem(429, "too_many_requests");
                    let retry: u64 = reply.header("retry-after").expect("Retry-After").parse().unwrap();
                    assert!((1..=60).contains(&retry), "{retry}");
                }
                other => panic!("unexpected {other}: {}", reply.text),
            }
        }
        assert!(evaluated <= PER_ACCOUNT, "{evaluated} guesses reached the account");

        // The attacker's addresses stay refused even with the right password …
        login_from(&app, attackers[0], "aileen@example.org", PASSWORD).await.assert_problem(429, "too_many_requests");
        // … while the real user, from an address that has not failed, signs in.
        let real = login_from(&app, "192.0.2.50", "aileen@example.org", PASSWORD).await;
        assert_eq!(real.status, StatusCode::OK, "{}", real.text);
        // A wrong password from that fresh address counts, and then it waits too.
        login_from(&app, "192.0.2.51", "aileen@example.org", "a slip of the keyboard").await.assert_problem(401, "invalid_credentials");
        login_from(&app, "192.0.2.51", "aileen@example.org", PASSWORD).await.assert_problem(429, "too_many_requests");
    }
}

db_test! {
    async fn a_burst_of_simultaneous_guesses_gets_at_most_the_limit_through(backend: Backend) {
        let Some(app) = behind_a_proxy(backend).await else { return };
        app.register("SC000001", "aileen@example.org").await;
        let guesses = (0..20).map(|i| login_from(&app, "203.0.113.9", "aileen@example.org", if i == 19 { PASSWORD } else { "a wrong guess 1234" }));
        let replies = futures_util::future::join_all(guesses).await;
        let evaluated = replies.iter().filter(|r| r.status.as_u16() != 429).count();
        assert!(evaluated <= PER_ACCOUNT, "{:?}", replies.iter().map(|r| r.status.as_u16()).collect::<Vec<_>>());
    }
}

db_test! {
    async fn a_forged_left_most_forwarded_for_gets_no_fresh_allowance(backend: Backend) {
        const PER_CLIENT: usize = 5;
        let Some(app) = TestApp::spawn_with(backend, |s| {
            s.trust_forwarded_for = true;
            s.trusted_proxies = vec![grantfund::config::IpRange::parse("10.0.0.0/8").unwrap()];
            s.auth_attempts_per_client_per_minute = PER_CLIENT as u32;
        })
        .await
        else {
            return;
        };
        // Each attempt forges a new left-most hop.
        for i in 0..PER_CLIENT {
            let header = format!("198.51.{i}.1, 203.0.113.7, 10.1.2.3");
            let reply = post_forwarded(&app, &header, "/api/v1/auth/login", json!({"email": format!("user{i}@example.org"), "password": PASSWORD})).await;
            reply.assert_problem(401, "invalid_credentials");
        }
        let forged = post_forwarded(&app, "192.0.2.99, 203.0.113.7, 10.1.2.3", "/api/v1/auth/login", json!({"email": "other@example.org", "password": PASSWORD})).await;
        forged.assert_problem(429, "too_many_requests");
        let no_proxy_hop = post_forwarded(&app, "192.0.2.99, 203.0.113.7", "/api/v1/auth/login", json!({"email": "other@example.org", "password": PASSWORD})).await;
        no_proxy_hop.assert_problem(429, "too_many_requests");

        // The right-most hop that is not a trusted proxy is the client: another one is free.
        let other = post_forwarded(&app, "203.0.113.7, 203.0.113.8, 10.9.9.9, 10.1.2.3", "/api/v1/auth/login", json!({"email": "other@example.org", "password": PASSWORD})).await;
        other.assert_problem(401, "invalid_credentials");
    }
}

/// The portal's CSRF token: a GET sets the cookie, and forms send it back.
async fn portal_csrf(app: &TestApp, client: &str) -> String {
    let reply = app
        .anonymous()
        .get("/sign-in")
        .header("X-Forwarded-For", client)
        .send()
        .await;
    reply
        .headers
        .get_all("set-cookie")
        .filter_map(|v| v.to_str().ok())
        .find_map(|c| c.strip_prefix("grantfund_csrf="))
        .and_then(|c| c.split(';').next())
        .expect("a CSRF cookie")
        .to_owned()
}

/// Posts a portal form with its CSRF token, as if from `client`.
async fn portal_post(
    app: &TestApp,
    client: &str,
    csrf: &str,
    path: &str,
    fields: &[(&str, &str)],
) -> Reply {
    let mut all = vec![("csrf_token", csrf)];
    all.extend_from_slice(fields);
    app.anonymous()
        .post(path)
        .header("X-Forwarded-For", client)
        .header("Cookie", &format!("grantfund_csrf={csrf}"))
        .header("Sec-Fetch-Site", "same-origin")
        .form(&all)
        .send()
        .await
}

db_test! {
    async fn unauthenticated_writes_are_limited_per_client(backend: Backend) {
        const LIMIT: usize = 3;
        let Some(app) = TestApp::spawn_with(backend, |s| {
            s.trust_forwarded_for = true;
            s.unauthenticated_writes_per_client_per_minute = LIMIT as u32;
        })
        .await
        else {
            return;
        };
        let api: [(&str, Value); 6] = [
            ("/api/v1/auth/register", json!({"organisation": {}, "user": {"name": "x", "email": "x@example.org", "password": "short"}})),
            ("/api/v1/auth/login", json!({"email": "nobody@example.org", "password": "wrong"})),
            ("/api/v1/auth/refresh", json!({"refresh_token": "made-up"})),
            ("/api/v1/auth/password-reset/request", json!({"email": "not an email"})),
            ("/api/v1/auth/password-reset/confirm", json!({"token": "made-up", "password": "a brand new passphrase"})),
            ("/api/v1/feedback/made-up-token", json!({"respondent": "mother", "ratings": {"listened_to": 5, "wellbeing": 5, "relationship_with_baby": 5, "recommend": 5}, "consent_to_quote": false})),
        ];
        for (n, (path, body)) in api.iter().enumerate() {
            // Each route from its own address, so that each meets the limit alone.
            let client = format!("198.51.100.{}", n + 1);
            for _ in 0..LIMIT {
                let reply = post_from(&app, &client, path, body.clone()).await;
                assert_ne!(reply.status.as_u16(), 429, "{path}: {}", reply.text);
            }
            let limited = post_from(&app, &client, path, body.clone()).await;
            limited.assert_problem(429, "too_many_requests");
            let retry: u64 = limited.header("retry-after").unwrap_or_else(|| panic!("{path}: Retry-After")).parse().unwrap();
            assert!((1..=60).contains(&retry), "{path}: {retry}");
            // Another client is not held up by this one.
            let other = post_from(&app, &format!("192.0.2.{}", n + 1), path, body.clone()).await;
            assert_ne!(other.status.as_u16(), 429, "{path}");
        }

        let portal: [(&str, &[(&str, &str)]); 5] = [
            ("/sign-in", &[("email", "someone@example.org"), ("password", "wrong")]),
            ("/register", &[("user.email", "x@example.org"), ("user.password", "short")]),
            ("/password-reset", &[("email", "not an email either")]),
            ("/reset-password", &[("token", "made-up"), ("password", "a brand new passphrase")]),
            ("/f/made-up-token", &[("respondent", "mother")]),
        ];
        for (n, (path, fields)) in portal.iter().enumerate() {
            let client = format!("198.51.101.{}", n + 1);
            let csrf = portal_csrf(&app, &client).await;
            for _ in 0..LIMIT {
                let reply = portal_post(&app, &client, &csrf, path, fields).await;
                assert_ne!(reply.status.as_u16(), 429, "{path}: {}", reply.text);
            }
            let limited = portal_post(&app, &client, &csrf, path, fields).await;
            assert_eq!(limited.status.as_u16(), 429, "{path}: {}", limited.text);
            assert!(limited.header("retry-after").is_some(), "{path}");
            assert!(limited.text.contains("Too many attempts"), "{path}");
        }
    }
}

db_test! {
    async fn registrations_email_taken_answer_is_rate_limited(backend: Backend) {
        const PER_CLIENT: usize = 8;
        let Some(app) = TestApp::spawn_with(backend, |s| {
            s.trust_forwarded_for = true;
            s.unauthenticated_writes_per_client_per_minute = PER_CLIENT as u32;
        })
        .await
        else {
            return;
        };
        app.register("SC000001", "aileen@example.org").await;
        let spellings = ["aileen@example.org", " AILEEN@example.org", "Aileen@Example.Org "];

        // From one address, many emails: the client's limit ends the probing.
        let mut answered = 0;
        for i in 0..2 * PER_CLIENT {
            let email = format!("person{i}@example.org");
            let reply = post_from(&app, "203.0.113.5", "/api/v1/auth/register", registration(&format!("SC2{i:05}"), &email)).await;
            match reply.status.as_u16() {
                201 => answered += 1,
                429 => reply.assert_problem(429, "too_many_requests"),
                other => panic!("unexpected {other}: {}", reply.text),
            }
        }
        assert_eq!(answered, PER_CLIENT, "registrations answered from one address");

        // From many addresses, one email in several spellings: the email's limit ends it.
        let mut taken = 0;
        for i in 0..12 {
            let client = format!("198.51.100.{}", i + 1);
            let reply = post_from(&app, &client, "/api/v1/auth/register", registration(&format!("SC3{i:05}"), spellings[i % 3])).await;
            match reply.status.as_u16() {
                409 => {
                    reply.assert_problem(409, "email_taken");
                    taken += 1;
                }
                429 => reply.assert_problem(429, "too_many_requests"),
                other => panic!("unexpected {other}: {}", reply.text),
            }
        }
        // The registration that made the account was the first of the email's attempts.
        assert_eq!(taken, PER_ACCOUNT - 1, "email_taken is told at most the account's limit a minute");
    }
}
