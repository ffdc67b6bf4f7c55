//! Administrators manage accounts; nobody else does.

use serde_json::json;

use grantfund::domain::vocabulary::Role;

use crate::db_test;
use crate::support::*;

db_test! {
    async fn only_administrators_manage_users(app) {
        let Registered { token: applicant, .. } = app.register("SC000001", "aileen@example.org").await;
        let official = app.staff(Role::Official).await;
        let assessor = app.staff(Role::Assessor).await;
        let body = json!({"name": "Sam Ng", "email": "sam@panel.org", "role": "assessor", "password": PASSWORD});
        for token in [&applicant, &official, &assessor] {
            app.as_(token).post("/api/v1/users").json(body.clone()).send().await.assert_problem(403, "forbidden");
            app.as_(token).get("/api/v1/users").send().await.assert_problem(403, "forbidden");
            app.as_(token).patch("/api/v1/users/1").json(json!({"active": false})).send().await.assert_problem(403, "forbidden");
        }
        app.anonymous().post("/api/v1/users").json(body).send().await.assert_problem(401, "missing_token");
    }
}

db_test! {
    async fn an_administrator_creates_staff_who_can_sign_in(app) {
        let admin = app.admin().await;
        let body = json!({"name": "Sam Ng", "email": "Sam@Panel.org", "role": "assessor", "password": PASSWORD});
        let reply = app.as_(&admin).post("/api/v1/users").json(body.clone()).send().await;
        assert_eq!(reply.status.as_u16(), 201, "{}", reply.text);
        assert_eq!(reply.json["email"], "sam@panel.org");
        assert_eq!(reply.json["role"], "assessor");
        app.as_(&admin).post("/api/v1/users").json(body).send().await.assert_problem(409, "email_taken");
        let token = app.token("sam@panel.org").await;
        assert_eq!(app.as_(&token).get("/api/v1/me").send().await.json["user"]["role"], "assessor");

        let assessors = app.as_(&admin).get("/api/v1/users?role=assessor").send().await;
        assert_eq!(assessors.json["total"], 1);
        assert_eq!(assessors.json["items"][0]["email"], "sam@panel.org");
        let all = app.as_(&admin).get("/api/v1/users?per_page=1&page=2").send().await;
        assert_eq!(all.json["total"], 2);
        assert_eq!(all.json["items"].as_array().unwrap().len(), 1);
        assert_eq!((all.json["page"].as_i64(), all.json["per_page"].as_i64()), (Some(2), Some(1)));
    }
}

db_test! {
    async fn user_rules_are_checked_together(app) {
        let admin = app.admin().await;
        let reply = app.as_(&admin).post("/api/v1/users").json(json!({"name": "", "email": "x", "role": "pilot", "password": "short"})).send().await;
        reply.assert_problem(422, "validation_failed");
        assert_eq!(reply.error_fields(), ["name", "email", "role", "password"]);
        let reply = app.as_(&admin).post("/api/v1/users").json(json!({"name": "A", "email": "a@b.org", "role": "applicant", "password": PASSWORD})).send().await;
        assert_eq!(reply.error_fields(), ["organisation_id"], "an applicant belongs to an organisation");
        let reply = app.as_(&admin).post("/api/v1/users").json(json!({"name": "A", "email": "a@b.org", "role": "applicant", "organisation_id": 999, "password": PASSWORD})).send().await;
        assert_eq!(reply.error_fields(), ["organisation_id"]);
        let reply = app.as_(&admin).post("/api/v1/users").json(json!({"name": "A", "email": "a@b.org", "role": "official", "organisation_id": 1, "password": PASSWORD})).send().await;
        assert_eq!(reply.error_fields(), ["organisation_id"], "staff belong to no organisation");
    }
}

db_test! {
    async fn the_last_administrator_cannot_be_disabled_or_demoted(app) {
        let admin = app.admin().await;
        let me = app.as_(&admin).get("/api/v1/me").send().await.json["user"]["id"].as_i64().unwrap();
        app.as_(&admin).patch(&format!("/api/v1/users/{me}")).json(json!({"active": false})).send().await.assert_problem(409, "last_administrator");
        app.as_(&admin).patch(&format!("/api/v1/users/{me}")).json(json!({"role": "official"})).send().await.assert_problem(409, "last_administrator");
        let other = app.create_user(Role::Administrator, "second@fund.org", None).await;
        let reply = app.as_(&admin).patch(&format!("/api/v1/users/{other}")).json(json!({"role": "official", "name": "Now An Official"})).send().await;
        assert_eq!(reply.status.as_u16(), 200, "{}", reply.text);
        assert_eq!(reply.json["role"], "official");
        let audit = app.as_(&admin).get(&format!("/api/v1/audit?entity=user&entity_id={other}")).send().await;
        let updated = &audit.json["items"][0];
        assert_eq!(updated["action"], "updated");
        assert_eq!(updated["before"]["role"], "administrator");
        assert_eq!(updated["after"]["role"], "official");
        assert_eq!(updated["actor_user_id"], me);
    }
}

db_test! {
    async fn the_demo_accounts_sign_in_and_the_demo_is_seeded_only_once(app) {
        let now = app.clock_now();
        let logins = app.state.db.run({ let keyring = app.state.keyring.clone(); let blobs = app.state.blobs.clone(); move |conn| grantfund::tooling::demo::seed(conn, now, &keyring, &blobs) }).await.unwrap();
        let roles: Vec<Role> = logins.iter().map(|l| l.role).collect();
        assert_eq!(roles, [Role::Administrator, Role::Official, Role::Assessor, Role::Applicant, Role::Claimant, Role::Clinician, Role::CashOffice, Role::Finance]);
        for login in &logins {
            let reply = app.login(&login.email, &login.password).await;
            assert_eq!(reply.status.as_u16(), 200, "{}: {}", login.email, reply.text);
        }
        let applicant = logins.iter().find(|l| l.role == Role::Applicant).unwrap();
        let token = app.login(&applicant.email, &applicant.password).await.json["access_token"].as_str().unwrap().to_owned();
        assert_eq!(app.as_(&token).get("/api/v1/me").send().await.json["organisation"]["verified"], true);
        let again = app.state.db.run({ let keyring = app.state.keyring.clone(); let blobs = app.state.blobs.clone(); move |conn| grantfund::tooling::demo::seed(conn, now, &keyring, &blobs) }).await.unwrap();
        assert!(again.is_empty());
    }
}
