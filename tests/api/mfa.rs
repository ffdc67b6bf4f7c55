//! Two-step sign-in: TOTP enrolment, the second step, recovery codes, step-up before sensitive
//! actions, sessions and sign-in history.

use serde_json::{Value, json};

use grantfund::domain::clock::Clock;
use grantfund::domain::vocabulary::Role;

use crate::db_test;
use crate::support::*;

/// An applicant (who may opt in) registered and signed in with a password alone.
async fn applicant(app: &TestApp, n: u32, email: &str) -> (i64, String) {
    let registered = app.register(&format!("SC{:06}", 410_000 + n), email).await;
    (app.user_id(email).await, registered.token)
}

/// Enrols the holder of `token` through the API; gives the secret and the recovery codes.
async fn enrol_via_api(app: &TestApp, token: &str) -> (String, Vec<String>) {
    let started = app
        .as_(token)
        .post("/api/v1/me/mfa")
        .json(json!({}))
        .send()
        .await;
    assert_eq!(started.status.as_u16(), 201, "{}", started.text);
    let secret = started.json["secret"].as_str().unwrap().to_owned();
    assert!(
        started.json["provisioning_url"]
            .as_str()
            .unwrap()
            .starts_with("otpauth://totp/")
    );
    assert!(
        started.json["qr_code"]
            .as_str()
            .unwrap()
            .starts_with("data:image/svg+xml;base64,")
    );
    let code = code_for(&secret, app.clock.now());
    let confirmed = app
        .as_(token)
        .post("/api/v1/me/mfa/confirm")
        .json(json!({"code": code}))
        .send()
        .await;
    assert_eq!(confirmed.status.as_u16(), 200, "{}", confirmed.text);
    let codes = confirmed.json["recovery_codes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap().to_owned())
        .collect();
    (secret, codes)
}

fn challenge_of(reply: &Reply) -> String {
    assert_eq!(reply.status.as_u16(), 200, "{}", reply.text);
    assert_eq!(reply.json["status"], "mfa_required", "{}", reply.text);
    reply.json["challenge"].as_str().unwrap().to_owned()
}

async fn second_step(app: &TestApp, challenge: &str, proof: Value) -> Reply {
    let mut body = proof;
    body["challenge"] = json!(challenge);
    app.anonymous()
        .post("/api/v1/auth/login/mfa")
        .json(body)
        .send()
        .await
}

db_test! {
    async fn a_stolen_password_alone_gets_nothing_for_a_required_role(app) {
        let email = "admin-stolen@fund.example.org";
        app.create_user(Role::Administrator, email, None).await;
        let first = app.password_only(email, PASSWORD).await;
        let challenge = challenge_of(&first);
        assert!(first.json.get("access_token").is_none(), "{}", first.text);
        assert!(first.json.get("refresh_token").is_none(), "{}", first.text);
        // The challenge is no access token.
        app.as_(&challenge).get("/api/v1/me").send().await.assert_problem(401, "invalid_token");
        app.as_(&challenge).get("/api/v1/funds").send().await.assert_problem(401, "invalid_token");
        // A guessed code does not finish signing in.
        second_step(&app, &challenge, json!({"code": "000000"})).await.assert_problem(401, "invalid_mfa_code");

        // A member of staff of a required role without a factor can only enrol.
        let admin = app.admin().await;
        let created = app.as_(&admin).post("/api/v1/users").json(json!({
            "email": "new-official@gov.example.org", "name": "New Official", "role": "official", "password": PASSWORD
        })).send().await;
        assert_eq!(created.status.as_u16(), 201, "{}", created.text);
        let login = app.password_only("new-official@gov.example.org", PASSWORD).await;
        assert_eq!(login.json["status"], "signed_in", "{}", login.text);
        let token = login.json["access_token"].as_str().unwrap().to_owned();
        app.as_(&token).get("/api/v1/funds").send().await.assert_problem(403, "mfa_enrolment_required");
        app.as_(&token).get("/api/v1/reports/funds/1/summary").send().await.assert_problem(403, "mfa_enrolment_required");
        assert_eq!(app.as_(&token).get("/api/v1/me").send().await.status.as_u16(), 200);
        let status = app.as_(&token).get("/api/v1/me/mfa").send().await;
        assert_eq!(status.json["required"], true, "{}", status.text);
        assert_eq!(status.json["enrolled"], false, "{}", status.text);
        enrol_via_api(&app, &token).await;
        assert_eq!(app.as_(&token).get("/api/v1/funds").send().await.status.as_u16(), 200, "enrolled, the role's routes open");
        challenge_of(&app.password_only("new-official@gov.example.org", PASSWORD).await);
    }
}

db_test! {
    async fn an_applicant_opts_in_with_one_valid_code_and_gets_ten_recovery_codes_once(app) {
        let (_, token) = applicant(&app, 1, "optin@example.org").await;
        let started = app.as_(&token).post("/api/v1/me/mfa").json(json!({})).send().await;
        let secret = started.json["secret"].as_str().unwrap().to_owned();
        // Until confirmed, the factor does not count.
        assert_eq!(app.password_only("optin@example.org", PASSWORD).await.json["status"], "signed_in");
        let wrong = app.as_(&token).post("/api/v1/me/mfa/confirm").json(json!({"code": "000000"})).send().await;
        wrong.assert_problem(422, "validation_failed");
        assert_eq!(wrong.error_fields(), ["code"]);
        let code = code_for(&secret, app.clock.now());
        let confirmed = app.as_(&token).post("/api/v1/me/mfa/confirm").json(json!({"code": code})).send().await;
        assert_eq!(confirmed.status.as_u16(), 200, "{}", confirmed.text);
        let codes = confirmed.json["recovery_codes"].as_array().unwrap();
        assert_eq!(codes.len(), 10);
        let distinct: std::collections::BTreeSet<&str> = codes.iter().map(|c| c.as_str().unwrap()).collect();
        assert_eq!(distinct.len(), 10);
        // Shown once: confirming again is refused, and a new enrolment is refused while one is on.
        app.as_(&token).post("/api/v1/me/mfa/confirm").json(json!({"code": code})).send().await.assert_problem(409, "invalid_state");
        app.as_(&token).post("/api/v1/me/mfa").json(json!({})).send().await.assert_problem(409, "invalid_state");
        let status = app.as_(&token).get("/api/v1/me/mfa").send().await;
        assert_eq!(status.json, json!({"enrolled": true, "required": false, "recovery_codes_left": 10}));
        challenge_of(&app.password_only("optin@example.org", PASSWORD).await);
        app.run_outbox().await;
        assert!(app.mails().iter().any(|m| m.contains("Two-step sign-in is on")), "an email says it is on");
        // Stored hashed, never in the clear.
        let stored: Vec<String> = app.state.db.run(|conn| {
            use diesel::prelude::*;
            use grantfund::db::schema::recovery_codes;
            Ok(recovery_codes::table.select(recovery_codes::code_hash).load::<String>(conn)?)
        }).await.unwrap();
        for code in &distinct {
            assert!(!stored.iter().any(|h| h.contains(code)), "{code} is stored as a hash");
        }
    }
}

db_test! {
    async fn a_replayed_code_is_refused_and_a_late_challenge_answers_the_same(app) {
        let email = "admin-replay@fund.example.org";
        let id = app.create_user(Role::Administrator, email, None).await;
        let code = app.code_of(id).await;
        let challenge = challenge_of(&app.password_only(email, PASSWORD).await);
        let signed_in = second_step(&app, &challenge, json!({"code": code})).await;
        assert_eq!(signed_in.status.as_u16(), 200, "{}", signed_in.text);
        assert!(signed_in.json["access_token"].is_string());
        // The same code again, within its window, on a new challenge: refused.
        let again = challenge_of(&app.password_only(email, PASSWORD).await);
        let replayed = second_step(&app, &again, json!({"code": code})).await;
        replayed.assert_problem(401, "invalid_mfa_code");
        // A code from an earlier step is refused too, even within the ±1 step window.
        let earlier = code_for(TOTP_SECRET, app.clock.now() - chrono::Duration::seconds(30));
        second_step(&app, &again, json!({"code": earlier})).await.assert_problem(401, "invalid_mfa_code");
        // The next step's code counts once.
        app.clock.advance(chrono::Duration::seconds(30));
        let next = app.code_of(id).await;
        assert_eq!(second_step(&app, &again, json!({"code": next})).await.status.as_u16(), 200);
        // An expired challenge answers as a wrong code does, word for word.
        let late = challenge_of(&app.password_only(email, PASSWORD).await);
        app.clock.advance(chrono::Duration::seconds(301));
        let fresh = app.code_of(id).await;
        let expired = second_step(&app, &late, json!({"code": fresh})).await;
        expired.assert_problem(401, "invalid_mfa_code");
        assert_eq!(expired.json["detail"], replayed.json["detail"]);
        // A code of a step two away is outside the window.
        app.clock.advance(chrono::Duration::seconds(30));
        let ok_challenge = challenge_of(&app.password_only(email, PASSWORD).await);
        let far = code_for(TOTP_SECRET, app.clock.now() + chrono::Duration::seconds(90));
        second_step(&app, &ok_challenge, json!({"code": far})).await.assert_problem(401, "invalid_mfa_code");
    }
}

db_test! {
    async fn a_used_recovery_code_is_refused_and_its_owner_is_told(app) {
        let (_, token) = applicant(&app, 2, "recovery@example.org").await;
        let (_, codes) = enrol_via_api(&app, &token).await;
        let challenge = challenge_of(&app.password_only("recovery@example.org", PASSWORD).await);
        // Typed loosely, as people copy codes from paper.
        let loose = codes[3].to_lowercase().replace('-', " ");
        let signed_in = second_step(&app, &challenge, json!({"recovery_code": loose})).await;
        assert_eq!(signed_in.status.as_u16(), 200, "{}", signed_in.text);
        let again = challenge_of(&app.password_only("recovery@example.org", PASSWORD).await);
        second_step(&app, &again, json!({"recovery_code": codes[3]})).await.assert_problem(401, "invalid_mfa_code");
        second_step(&app, &again, json!({"recovery_code": "AAAA-BBBB-CCCC-DDDD"})).await.assert_problem(401, "invalid_mfa_code");
        second_step(&app, &again, json!({})).await.assert_problem(422, "validation_failed");
        second_step(&app, &again, json!({"code": "123456", "recovery_code": codes[4]})).await.assert_problem(422, "validation_failed");
        let status = app.as_(&token).get("/api/v1/me/mfa").send().await;
        assert_eq!(status.json["recovery_codes_left"], 9);
        app.run_outbox().await;
        assert!(app.mails().iter().any(|m| m.contains("A recovery code was used") && m.contains("9 unused")), "{:?}", app.mails());
    }
}

db_test! {
    async fn turning_the_factor_off_needs_a_current_code(app) {
        let (_, token) = applicant(&app, 3, "leaving@example.org").await;
        let (secret, _) = enrol_via_api(&app, &token).await;
        app.as_(&token).post("/api/v1/me/mfa/disable").json(json!({"code": "000000"})).send().await.assert_problem(401, "invalid_mfa_code");
        app.clock.advance(chrono::Duration::seconds(30));
        let code = code_for(&secret, app.clock.now());
        let off = app.as_(&token).post("/api/v1/me/mfa/disable").json(json!({"code": code})).send().await;
        assert_eq!(off.status.as_u16(), 204, "{}", off.text);
        assert_eq!(app.password_only("leaving@example.org", PASSWORD).await.json["status"], "signed_in");
        app.run_outbox().await;
        assert!(app.mails().iter().any(|m| m.contains("Two-step sign-in is off")));
    }
}

db_test! {
    async fn the_step_up_window_closes_after_ten_minutes_of_the_clock(backend: Backend) {
        let Some(app) = TestApp::time_travelling(backend).await else { return };
        let admin_email = "admin-stepup@fund.example.org";
        let admin_id = app.create_user(Role::Administrator, admin_email, None).await;
        let admin = app.token(admin_email).await;
        let fund = FundBuilder::new(&app, &admin).create().await;
        let path = format!("/api/v1/funds/{fund}/years/2021-22");
        let body = json!({"limit": "900000.00", "approved": true});
        assert_eq!(app.as_(&admin).put(&path).json(&body).send().await.status.as_u16(), 200, "just signed in with a code");
        app.clock.advance(chrono::Duration::seconds(9 * 60 + 50));
        assert_eq!(app.as_(&admin).put(&path).json(&body).send().await.status.as_u16(), 200, "still inside ten minutes");
        app.clock.advance(chrono::Duration::seconds(20));
        app.as_(&admin).put(&path).json(&body).send().await.assert_problem(403, "step_up_required");
        // The other sensitive actions ask too.
        let user = app.create_user(Role::Assessor, "leaver@panel.example.org", None).await;
        app.as_(&admin).delete(&format!("/api/v1/users/{user}")).send().await.assert_problem(403, "step_up_required");
        app.as_(&admin).post("/api/v1/organisations/1/bank-details/verify").json(json!({})).send().await.assert_problem(403, "step_up_required");
        // Stepping up with a wrong code is refused; with the current one it opens for ten more.
        app.as_(&admin).post("/api/v1/auth/step-up").json(json!({"code": "000000"})).send().await.assert_problem(401, "invalid_mfa_code");
        app.forget_last_code(admin_id).await;
        let code = app.code_of(admin_id).await;
        let stepped = app.as_(&admin).post("/api/v1/auth/step-up").json(json!({"code": code})).send().await;
        assert_eq!(stepped.status.as_u16(), 200, "{}", stepped.text);
        let fresh = stepped.json["access_token"].as_str().unwrap().to_owned();
        assert_eq!(app.as_(&fresh).put(&path).json(&body).send().await.status.as_u16(), 200);
        assert_eq!(app.as_(&fresh).delete(&format!("/api/v1/users/{user}")).send().await.status.as_u16(), 204);
        app.clock.advance(chrono::Duration::seconds(11 * 60));
        app.as_(&fresh).put(&path).json(&body).send().await.assert_problem(403, "step_up_required");
    }
}

db_test! {
    async fn a_refresh_carries_the_factor_time_on_without_renewing_it(backend: Backend) {
        let Some(app) = TestApp::time_travelling(backend).await else { return };
        let email = "admin-refresh@fund.example.org";
        app.create_user(Role::Administrator, email, None).await;
        let login = app.login(email, PASSWORD).await;
        let admin = login.json["access_token"].as_str().unwrap().to_owned();
        let fund = FundBuilder::new(&app, &admin).create().await;
        let path = format!("/api/v1/funds/{fund}/years/2021-22");
        let body = json!({"limit": "900000.00", "approved": true});
        app.clock.advance(chrono::Duration::seconds(5 * 60));
        let refreshed = app.anonymous().post("/api/v1/auth/refresh").json(json!({"refresh_token": login.json["refresh_token"]})).send().await;
        let token = refreshed.json["access_token"].as_str().unwrap().to_owned();
        assert_eq!(app.as_(&token).put(&path).json(&body).send().await.status.as_u16(), 200, "the factor of the sign-in still counts");
        app.clock.advance(chrono::Duration::seconds(6 * 60));
        let refreshed = app.anonymous().post("/api/v1/auth/refresh").json(json!({"refresh_token": refreshed.json["refresh_token"]})).send().await;
        let token = refreshed.json["access_token"].as_str().unwrap().to_owned();
        app.as_(&token).put(&path).json(&body).send().await.assert_problem(403, "step_up_required");
    }
}

db_test! {
    async fn ending_a_session_kills_its_refresh_tokens_at_once_and_leaves_the_others(app) {
        let email = "admin-sessions@fund.example.org";
        let id = app.create_user(Role::Administrator, email, None).await;
        let first = app.login(email, PASSWORD).await;
        app.clock.advance(chrono::Duration::seconds(30));
        let second = app.login(email, PASSWORD).await;
        let token = second.json["access_token"].as_str().unwrap().to_owned();
        let listed = app.as_(&token).get("/api/v1/me/sessions").send().await;
        assert_eq!(listed.status.as_u16(), 200, "{}", listed.text);
        let sessions = listed.json.as_array().unwrap();
        assert_eq!(sessions.len(), 2, "{}", listed.text);
        assert!(sessions.iter().all(|s| s["kind"] == "api"));
        // Newest first: the first sign-in is the second row.
        let older = sessions[1]["id"].as_str().unwrap().to_owned();
        let ended = app.as_(&token).delete(&format!("/api/v1/me/sessions/{older}")).send().await;
        assert_eq!(ended.status.as_u16(), 204, "{}", ended.text);
        app.anonymous().post("/api/v1/auth/refresh").json(json!({"refresh_token": first.json["refresh_token"]})).send().await.assert_problem(401, "invalid_refresh_token");
        let kept = app.anonymous().post("/api/v1/auth/refresh").json(json!({"refresh_token": second.json["refresh_token"]})).send().await;
        assert_eq!(kept.status.as_u16(), 200, "{}", kept.text);
        let after = app.as_(&token).get("/api/v1/me/sessions").send().await;
        assert_eq!(after.json.as_array().unwrap().len(), 1);
        // Another user's session id ends nothing of theirs.
        let other = app.admin().await;
        app.as_(&other).delete(&format!("/api/v1/me/sessions/{}", after.json[0]["id"].as_str().unwrap())).send().await;
        assert_eq!(app.as_(&token).get("/api/v1/me/sessions").send().await.json.as_array().unwrap().len(), 1);
        // An administrator ends every session of the user, access tokens too.
        let cut = app.as_(&other).delete(&format!("/api/v1/users/{id}/sessions")).send().await;
        assert_eq!(cut.status.as_u16(), 204, "{}", cut.text);
        app.as_(&token).get("/api/v1/me").send().await.assert_problem(401, "invalid_token");
        app.anonymous().post("/api/v1/auth/refresh").json(json!({"refresh_token": kept.json["refresh_token"]})).send().await.assert_problem(401, "invalid_refresh_token");
    }
}

db_test! {
    async fn sign_in_history_keeps_each_outcome_for_staff_and_is_pruned(backend: Backend) {
        let Some(app) = TestApp::spawn_with(backend, |s| s.auth_attempts_per_account_per_minute = 2).await else { return };
        let email = "finance-history@fund.example.org";
        let id = app.create_user(Role::Finance, email, None).await;
        app.password_only(email, "not the right password").await.assert_problem(401, "invalid_credentials");
        let challenge = challenge_of(&app.password_only(email, PASSWORD).await);
        second_step(&app, &challenge, json!({"code": "000000"})).await.assert_problem(401, "invalid_mfa_code");
        let token = app.complete_mfa(id, &challenge).await.json["access_token"].as_str().unwrap().to_owned();
        app.password_only(email, "wrong again").await;
        app.password_only(email, "and again").await;
        app.password_only(email, PASSWORD).await.assert_problem(429, "too_many_requests");
        let history = app.as_(&token).get("/api/v1/me/sign-ins").send().await;
        assert_eq!(history.status.as_u16(), 200, "{}", history.text);
        let outcomes: Vec<&str> = history.json.as_array().unwrap().iter().map(|e| e["outcome"].as_str().unwrap()).collect();
        for outcome in ["success", "failure", "mfa_failure", "lockout"] {
            assert!(outcomes.contains(&outcome), "{outcome} in {outcomes:?}");
        }
        // Administrators read it; nobody else does.
        let admin = app.admin().await;
        let read = app.as_(&admin).get(&format!("/api/v1/users/{id}/sign-ins")).send().await;
        assert_eq!(read.json.as_array().unwrap().len(), outcomes.len());
        app.as_(&token).get(&format!("/api/v1/users/{id}/sign-ins")).send().await.assert_problem(403, "forbidden");
        // Applicants' sign-ins are not kept.
        let (_, applicant) = applicant(&app, 4, "quiet@example.org").await;
        assert_eq!(app.as_(&applicant).get("/api/v1/me/sign-ins").send().await.json, json!([]));
        // Older than SIGN_IN_HISTORY_DAYS, the jobs pass removes them.
        let days = app.state.settings.sign_in_history_days;
        let later = app.clock_now() + chrono::Duration::days(i64::from(days) + 1);
        let removed = app.state.db.run(move |conn| grantfund::mfa::history::prune(conn, later, days)).await.unwrap();
        assert!(removed >= outcomes.len(), "{removed}");
        let kept = app.as_(&admin).get(&format!("/api/v1/users/{id}/sign-ins")).send().await;
        assert_eq!(kept.json, json!([]));
    }
}
