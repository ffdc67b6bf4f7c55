//! Registration, sign-in, tokens and password reset.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::json;

use grantfund::domain::vocabulary::Role;

use crate::db_test;
use crate::support::*;

db_test! {
    async fn register_login_me_and_refresh(app) {
        let reply = app.anonymous().post("/api/v1/auth/register").json(registration("SC012345", "aileen@example.org")).send().await;
        assert_eq!(reply.status.as_u16(), 201, "{}", reply.text);
        assert_eq!(reply.json["organisation"]["verified"], false);
        assert_eq!(reply.json["organisation"]["annual_income"], "180000.00");
        assert_eq!(reply.json["organisation"]["health_boards"], json!(["fife"]));
        assert_eq!(reply.json["user"]["role"], "applicant");
        assert!(reply.json["user"].get("password_hash").is_none() && !reply.text.contains("argon2"));

        let login = app.login("Aileen@Example.org", PASSWORD).await;
        assert_eq!(login.status.as_u16(), 200, "{}", login.text);
        assert_eq!(login.json["token_type"], "Bearer");
        assert_eq!(login.json["expires_in"], 900);
        let access = login.json["access_token"].as_str().unwrap();
        let refresh = login.json["refresh_token"].as_str().unwrap();

        let me = app.as_(access).get("/api/v1/me").send().await;
        assert_eq!(me.status.as_u16(), 200);
        assert_eq!(me.json["user"]["email"], "aileen@example.org");
        assert_eq!(me.json["organisation"]["charity_number"], "SC012345");

        let renewed = app.anonymous().post("/api/v1/auth/refresh").json(json!({"refresh_token": refresh})).send().await;
        assert_eq!(renewed.status.as_u16(), 200, "{}", renewed.text);
        assert_ne!(renewed.json["refresh_token"], refresh);
        let new_access = renewed.json["access_token"].as_str().unwrap();
        assert_eq!(app.as_(new_access).get("/api/v1/me").send().await.status.as_u16(), 200);
    }
}

db_test! {
    async fn registration_reports_every_invalid_field_at_once(app) {
        let body = json!({
            "organisation": {
                "name": "", "type": "cooperative", "charity_number": "SC12",
                "annual_income": "1000.005", "postcode": "nowhere",
                "health_boards": ["fife", "atlantis", "fife"], "website": "ftp://x",
                "contact_email": "not-an-email"
            },
            "user": {"name": "A", "email": "also not", "password": "short"}
        });
        let reply = app.anonymous().post("/api/v1/auth/register").json(body).send().await;
        reply.assert_problem(422, "validation_failed");
        let fields = reply.error_fields();
        for field in [
            "organisation.name", "organisation.type", "organisation.charity_number",
            "organisation.annual_income", "organisation.postcode", "organisation.health_boards[1]",
            "organisation.health_boards[2]", "organisation.website", "organisation.contact_email",
            "user.email", "user.password",
        ] {
            assert!(fields.contains(&field.to_owned()), "{field} missing from {fields:?}");
        }
        let mut negative = registration("SC012345", "a@example.org");
        negative["organisation"]["annual_income"] = json!("-5.00");
        let reply = app.anonymous().post("/api/v1/auth/register").json(negative).send().await;
        assert_eq!(reply.error_fields(), ["organisation.annual_income"]);
        let mut huge = registration("SC012345", "a@example.org");
        huge["organisation"]["annual_income"] = json!("1000000000000000000000000000000");
        assert_eq!(app.anonymous().post("/api/v1/auth/register").json(huge).send().await.error_fields(), ["organisation.annual_income"]);
        let mut no_number = registration("SC012345", "a@example.org");
        no_number["organisation"]["charity_number"] = json!(null);
        let reply = app.anonymous().post("/api/v1/auth/register").json(no_number).send().await;
        assert_eq!(reply.error_fields(), ["organisation.charity_number"], "a SCIO needs its charity number");

        let admin = app.admin().await;
        let organisations = app.as_(&admin).get("/api/v1/organisations").send().await;
        assert_eq!(organisations.json["total"], 0, "nothing was stored");
    }
}

db_test! {
    async fn registration_is_one_transaction(app) {
        app.register("SC000001", "first@example.org").await;
        // Same user email, new organisation: refused, and the organisation is not left behind.
        let reply = app.anonymous().post("/api/v1/auth/register").json(registration("SC000002", "first@example.org")).send().await;
        reply.assert_problem(409, "email_taken");
        let reply = app.anonymous().post("/api/v1/auth/register").json(registration("SC000001", "second@example.org")).send().await;
        reply.assert_problem(409, "organisation_exists");
        let admin = app.admin().await;
        let organisations = app.as_(&admin).get("/api/v1/organisations").send().await;
        assert_eq!(organisations.json["total"], 1);
        assert!(app.login("second@example.org", PASSWORD).await.status.as_u16() == 401);
    }
}

db_test! {
    async fn wrong_passwords_and_unknown_emails_get_the_same_401(app) {
        app.register("SC000001", "aileen@example.org").await;
        let wrong = app.login("aileen@example.org", "not the passphrase").await;
        let unknown = app.login("nobody@example.org", PASSWORD).await;
        wrong.assert_problem(401, "invalid_credentials");
        unknown.assert_problem(401, "invalid_credentials");
        assert_eq!(wrong.json["detail"], unknown.json["detail"]);
    }
}

db_test! {
    async fn login_is_rate_limited_per_account_with_retry_after(app) {
        let registered = app.anonymous().post("/api/v1/auth/register").json(registration("SC000001", "aileen@example.org")).send().await;
        assert_eq!(registered.status.as_u16(), 201);
        for _ in 0..5 {
            let reply = app.login("aileen@example.org", "wrong password!").await;
            assert_eq!(reply.status.as_u16(), 401);
        }
        let limited = app.login("aileen@example.org", PASSWORD).await;
        limited.assert_problem(429, "too_many_requests");
        let retry: u64 = limited.header("retry-after").expect("Retry-After").parse().unwrap();
        assert!((1..=60).contains(&retry));
        assert_eq!(app.login("someone.else@example.org", PASSWORD).await.status.as_u16(), 401, "other accounts unaffected");
    }
}

db_test! {
    async fn login_is_rate_limited_per_client(backend: Backend) {
        // A small quota refills one attempt every 12 s, far longer than the attempts below take
        // however busy the machine is, so the attempt past the quota is always the one refused.
        let Some(app) = TestApp::spawn_with(backend, |s| s.auth_attempts_per_client_per_minute = 5).await else { return };
        for i in 0..5 {
            let reply = app.login(&format!("user{i}@example.org"), PASSWORD).await;
            assert_eq!(reply.status.as_u16(), 401);
        }
        app.login("user99@example.org", PASSWORD).await.assert_problem(429, "too_many_requests");
    }
}

db_test! {
    async fn password_reset_requests_are_rate_limited(app) {
        for _ in 0..5 {
            let reply = app.anonymous().post("/api/v1/auth/password-reset/request").json(json!({"email": "x@example.org"})).send().await;
            assert_eq!(reply.status.as_u16(), 202);
        }
        let reply = app.anonymous().post("/api/v1/auth/password-reset/request").json(json!({"email": "x@example.org"})).send().await;
        reply.assert_problem(429, "too_many_requests");
        assert!(reply.header("retry-after").is_some());
    }
}

db_test! {
    async fn a_reused_refresh_token_revokes_its_whole_family(app) {
        app.register("SC000001", "aileen@example.org").await;
        let login = app.login("aileen@example.org", PASSWORD).await;
        let first = login.json["refresh_token"].as_str().unwrap().to_owned();
        let rotated = app.anonymous().post("/api/v1/auth/refresh").json(json!({"refresh_token": first})).send().await;
        let second = rotated.json["refresh_token"].as_str().unwrap().to_owned();

        // A thief replays the first token: refused, and the owner's newer token dies with it.
        app.anonymous().post("/api/v1/auth/refresh").json(json!({"refresh_token": first})).send().await.assert_problem(401, "refresh_token_reused");
        app.anonymous().post("/api/v1/auth/refresh").json(json!({"refresh_token": second})).send().await.assert_problem(401, "invalid_refresh_token");
        app.anonymous().post("/api/v1/auth/refresh").json(json!({"refresh_token": "made-up"})).send().await.assert_problem(401, "invalid_refresh_token");

        // A fresh sign-in starts a new family that works.
        let again = app.login("aileen@example.org", PASSWORD).await;
        let token = again.json["refresh_token"].as_str().unwrap();
        assert_eq!(app.anonymous().post("/api/v1/auth/refresh").json(json!({"refresh_token": token})).send().await.status.as_u16(), 200);
    }
}

db_test! {
    async fn concurrent_refreshes_of_one_token_let_at_most_one_through(app) {
        app.register("SC000001", "aileen@example.org").await;
        let login = app.login("aileen@example.org", PASSWORD).await;
        let token = login.json["refresh_token"].as_str().unwrap().to_owned();
        let body = json!({"refresh_token": token});
        let replies = futures_util::future::join_all((0..6).map(|_| app.anonymous().post("/api/v1/auth/refresh").json(body.clone()).send())).await;
        let ok = replies.iter().filter(|r| r.status.as_u16() == 200).count();
        assert!(ok <= 1, "{ok} refreshes of one token succeeded");
        assert!(replies.iter().all(|r| r.status.as_u16() == 200 || r.status.as_u16() == 401));
    }
}

/// Signs claims with HS256 and any key, as an attacker who guessed the format would.
fn forge(claims: serde_json::Value, secret: &[u8]) -> String {
    use jsonwebtoken::{EncodingKey, Header, encode};
    encode(
        &Header::default(),
        &claims,
        &EncodingKey::from_secret(secret),
    )
    .unwrap()
}

db_test! {
    async fn forged_expired_and_unsigned_tokens_are_refused(app) {
        let user_id = app.create_user(Role::Administrator, "admin@example.org", None).await;
        let now = chrono::Utc::now().timestamp();
        let claims = json!({"sub": user_id.to_string(), "iat": now, "exp": now + 600, "iss": "grantfund", "typ": "access", "generation": 0});
        let secret = grantfund::config::DEVELOPMENT_JWT_SECRET.as_bytes();

        // The forging helper is right: a token signed with the real secret works.
        let genuine = forge(claims.clone(), secret);
        assert_eq!(app.as_(&genuine).get("/api/v1/me").send().await.status.as_u16(), 200);

        let wrong_key = forge(claims.clone(), b"another secret entirely, 32 bytes!");
        app.as_(&wrong_key).get("/api/v1/me").send().await.assert_problem(401, "invalid_token");

        let header = URL_SAFE_NO_PAD.encode(json!({"alg": "none", "typ": "JWT"}).to_string());
        let body = URL_SAFE_NO_PAD.encode(claims.to_string());
        app.as_(&format!("{header}.{body}.")).get("/api/v1/me").send().await.assert_problem(401, "invalid_token");

        let mut old = claims.clone();
        old["iat"] = json!(now - 7200);
        old["exp"] = json!(now - 3600);
        app.as_(&forge(old, secret)).get("/api/v1/me").send().await.assert_problem(401, "token_expired");

        app.as_("garbage").get("/api/v1/me").send().await.assert_problem(401, "invalid_token");
        app.anonymous().get("/api/v1/me").send().await.assert_problem(401, "missing_token");
        let reply = app.anonymous().get("/api/v1/me").send().await;
        assert_eq!(reply.header("www-authenticate").as_deref(), Some("Bearer"));
    }
}

db_test! {
    async fn a_disabled_account_is_locked_out_at_once(app) {
        let admin = app.admin().await;
        let id = app.create_user(Role::Assessor, "sam@panel.org", None).await;
        let login = app.login("sam@panel.org", PASSWORD).await;
        let access = login.json["access_token"].as_str().unwrap().to_owned();
        let refresh = login.json["refresh_token"].as_str().unwrap().to_owned();
        assert_eq!(app.as_(&access).get("/api/v1/me").send().await.status.as_u16(), 200);

        let reply = app.as_(&admin).patch(&format!("/api/v1/users/{id}")).json(json!({"active": false})).send().await;
        assert_eq!(reply.status.as_u16(), 200, "{}", reply.text);
        app.as_(&access).get("/api/v1/me").send().await.assert_problem(401, "account_disabled");
        assert_eq!(app.anonymous().post("/api/v1/auth/refresh").json(json!({"refresh_token": refresh})).send().await.status.as_u16(), 401);
        app.login("sam@panel.org", PASSWORD).await.assert_problem(401, "invalid_credentials");
    }
}

db_test! {
    async fn an_account_disabled_on_another_instance_is_refused_here_within_the_cache_ttl(app) {
        let other = app.second_instance().await;
        let admin = app.admin().await;
        let id = app.create_user(Role::Assessor, "sam@panel.org", None).await;
        let login = app.login("sam@panel.org", PASSWORD).await;
        let access = login.json["access_token"].as_str().unwrap().to_owned();
        assert_eq!(app.as_(&access).get("/api/v1/me").send().await.status.as_u16(), 200);

        let reply = other.as_(&admin).patch(&format!("/api/v1/users/{id}")).json(json!({"active": false})).send().await;
        assert_eq!(reply.status.as_u16(), 200, "{}", reply.text);
        other.as_(&access).get("/api/v1/me").send().await.assert_problem(401, "account_disabled");
        actix_web::rt::time::sleep(grantfund::auth::cache::ACCOUNT_CACHE_TTL).await;
        app.as_(&access).get("/api/v1/me").send().await.assert_problem(401, "account_disabled");
    }
}

/// The reset token in an email, undoing quoted-printable's soft line breaks and escapes.
pub fn token_in(mail: &str) -> String {
    let mail = mail
        .replace("=\r\n", "")
        .replace("=\n", "")
        .replace("=3D", "=");
    let start = mail.find("token=").expect("reset link in the email") + "token=".len();
    mail[start..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .collect()
}

db_test! {
    async fn password_reset_by_email_is_single_use_and_ends_sessions(app) {
        app.register("SC000001", "aileen@example.org").await;
        let old_session = app.login("aileen@example.org", PASSWORD).await;
        app.run_outbox().await; // the welcome email

        let known = app.anonymous().post("/api/v1/auth/password-reset/request").json(json!({"email": "aileen@example.org"})).send().await;
        let unknown = app.anonymous().post("/api/v1/auth/password-reset/request").json(json!({"email": "nobody@example.org"})).send().await;
        assert_eq!(known.status.as_u16(), 202);
        assert_eq!((known.status, &known.text), (unknown.status, &unknown.text), "the answer does not tell whether the account exists");

        let report = app.run_outbox().await;
        assert_eq!(report.sent, 1, "one reset email, none for the unknown address");
        let mails = app.mails();
        let reset = mails.iter().find(|m| m.contains("Reset your grant fund password")).expect("reset email in the mail folder");
        assert!(reset.contains("aileen@example.org"));
        let token = token_in(reset);
        assert_eq!(token.len(), 43);

        let short = app.anonymous().post("/api/v1/auth/password-reset/confirm").json(json!({"token": token, "password": "short"})).send().await;
        assert_eq!(short.error_fields(), ["password"]);
        let done = app.anonymous().post("/api/v1/auth/password-reset/confirm").json(json!({"token": token, "password": "a brand new passphrase"})).send().await;
        assert_eq!(done.status.as_u16(), 204, "{}", done.text);

        app.anonymous().post("/api/v1/auth/password-reset/confirm").json(json!({"token": token, "password": "yet another passphrase"})).send()
            .await
            .assert_problem(400, "reset_token_invalid");
        app.login("aileen@example.org", PASSWORD).await.assert_problem(401, "invalid_credentials");
        assert_eq!(app.login("aileen@example.org", "a brand new passphrase").await.status.as_u16(), 200);

        let refresh = old_session.json["refresh_token"].as_str().unwrap();
        assert_eq!(app.anonymous().post("/api/v1/auth/refresh").json(json!({"refresh_token": refresh})).send().await.status.as_u16(), 401, "old sessions end");
    }
}

db_test! {
    async fn reset_tokens_expire(app) {
        app.register("SC000001", "aileen@example.org").await;
        app.anonymous().post("/api/v1/auth/password-reset/request").json(json!({"email": "aileen@example.org"})).send().await;
        app.run_outbox().await;
        let mails = app.mails();
        let token = token_in(mails.iter().find(|m| m.contains("Reset your")).unwrap());
        app.clock.advance(chrono::Duration::minutes(61));
        app.anonymous().post("/api/v1/auth/password-reset/confirm").json(json!({"token": token, "password": "a brand new passphrase"})).send()
            .await
            .assert_problem(400, "reset_token_invalid");
    }
}

db_test! {
    async fn simultaneous_registrations_of_one_email_make_one_account(backend: Backend) {
        // Registration is limited per email; the race needs more attempts than the limit.
        let Some(app) = TestApp::spawn_with(backend, |s| s.auth_attempts_per_account_per_minute = 8).await else { return };
        let attempts = (0..8).map(|i| {
            app.anonymous().post("/api/v1/auth/register").json(registration(&format!("SC1000{i:02}"), "race@example.org")).send()
        });
        let replies = futures_util::future::join_all(attempts).await;
        let created = replies.iter().filter(|r| r.status.as_u16() == 201).count();
        assert_eq!(created, 1, "{:?}", replies.iter().map(|r| r.status.as_u16()).collect::<Vec<_>>());
        for reply in replies.iter().filter(|r| r.status.as_u16() != 201) {
            reply.assert_problem(409, "email_taken");
        }
        let admin = app.admin().await;
        assert_eq!(app.as_(&admin).get("/api/v1/organisations").send().await.json["total"], 1, "no orphan organisations");
    }
}

db_test! {
    async fn refresh_and_reset_tokens_are_stored_only_as_hashes(app) {
        use diesel::prelude::*;
        use grantfund::db::schema::{password_resets, refresh_tokens};

        app.register("SC000001", "aileen@example.org").await;
        let login = app.login("aileen@example.org", PASSWORD).await;
        let refresh = login.json["refresh_token"].as_str().unwrap().to_owned();
        app.run_outbox().await;
        app.anonymous().post("/api/v1/auth/password-reset/request").json(json!({"email": "aileen@example.org"})).send().await;
        app.run_outbox().await;
        let mails = app.mails();
        let reset = token_in(mails.iter().find(|m| m.contains("Reset your")).unwrap());

        let mut pooled = app.state.db.get().unwrap();
        let conn: &mut grantfund::db::DbConnection = &mut pooled;
        let stored_refresh: Vec<String> = refresh_tokens::table.select(refresh_tokens::token_hash).load(conn).unwrap();
        let stored_reset: Vec<String> = password_resets::table.select(password_resets::token_hash).load(conn).unwrap();
        assert_eq!(stored_refresh.len(), 2, "one per sign-in");
        assert!(stored_refresh.contains(&grantfund::auth::tokens::hash(&refresh)));
        assert_eq!(stored_reset, [grantfund::auth::tokens::hash(&reset)]);
        assert!(!stored_refresh.contains(&refresh) && !stored_reset.contains(&reset));
    }
}

/// An email as text, with quoted-printable's soft line breaks and escapes undone.
fn decoded(mail: &str) -> String {
    mail.replace("=\r\n", "")
        .replace("=\n", "")
        .replace("=3D", "=")
}

db_test! {
    async fn links_in_emails_point_at_the_port_actually_bound_unless_public_url_says(backend: Backend) {
        // Bound to port 0, as every test app is: the links carry the port the system chose.
        let app = TestApp::spawn(backend).await;
        let Some(app) = app else { return };
        assert!(!app.address.ends_with(":0") && !app.address.ends_with(":8080"), "{}", app.address);
        app.register("SC000001", "aileen@example.org").await;
        app.anonymous().post("/api/v1/auth/password-reset/request").json(json!({"email": "aileen@example.org"})).send().await;
        app.run_outbox().await;
        let mails: Vec<String> = app.mails().iter().map(|m| decoded(m)).collect();
        let reset = mails.iter().find(|m| m.contains("Reset your grant fund password")).expect("reset email");
        assert!(reset.contains(&format!("{}/reset-password?token=", app.address)), "{reset}");
        let welcome = mails.iter().find(|m| !m.contains("Reset your grant fund password")).expect("welcome email");
        assert!(welcome.contains(&app.address), "{welcome}");

        let given = TestApp::spawn_with(backend, |s| {
            s.public_url = "https://grants.example.org".to_owned();
            s.public_url_set = true;
        })
        .await
        .expect("app");
        given.register("SC000001", "aileen@example.org").await;
        given.anonymous().post("/api/v1/auth/password-reset/request").json(json!({"email": "aileen@example.org"})).send().await;
        given.run_outbox().await;
        let mails: Vec<String> = given.mails().iter().map(|m| decoded(m)).collect();
        assert!(mails.iter().any(|m| m.contains("https://grants.example.org/reset-password?token=")), "{mails:?}");
        assert!(mails.iter().all(|m| !m.contains("127.0.0.1")), "{mails:?}");
    }
}
