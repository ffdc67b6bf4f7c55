//! Organisations: applicants see and change only their own; staff read all; administrators verify.

use serde_json::json;

use grantfund::domain::vocabulary::Role;

use crate::db_test;
use crate::support::*;

db_test! {
    async fn another_organisations_objects_answer_404(app) {
        let Registered { organisation: ours, token } = app.register("SC000001", "aileen@example.org").await;
        let Registered { organisation: theirs, .. } = app.register("SC000002", "bob@example.org").await;
        assert_eq!(app.as_(&token).get(&format!("/api/v1/organisations/{ours}")).send().await.status.as_u16(), 200);
        let not_ours = app.as_(&token).get(&format!("/api/v1/organisations/{theirs}")).send().await;
        let absent = app.as_(&token).get("/api/v1/organisations/999999").send().await;
        not_ours.assert_problem(404, "not_found");
        assert_eq!(not_ours.text, absent.text, "someone else's organisation looks exactly like none");
        app.as_(&token).patch(&format!("/api/v1/organisations/{theirs}")).json(json!({"name": "Mine now"})).send().await.assert_problem(404, "not_found");
        let list = app.as_(&token).get("/api/v1/organisations").send().await;
        assert_eq!(list.json["total"], 1);
        assert_eq!(list.json["items"][0]["id"], ours);
    }
}

db_test! {
    async fn administrators_and_officials_read_every_organisation_and_filter(app) {
        app.register("SC000001", "aileen@example.org").await;
        let mut lothian = registration("SC000002", "bob@example.org");
        lothian["organisation"]["name"] = json!("Edinburgh Dads 50% Club");
        lothian["organisation"]["health_boards"] = json!(["lothian", "borders"]);
        assert_eq!(app.anonymous().post("/api/v1/auth/register").json(lothian).send().await.status.as_u16(), 201);
        for role in [Role::Official, Role::Administrator] {
            let token = app.staff(role).await;
            assert_eq!(app.as_(&token).get("/api/v1/organisations").send().await.json["total"], 2, "{role}");
        }
        // Assessors see only the organisations whose applications they assess.
        let assessor = app.staff(Role::Assessor).await;
        assert_eq!(app.as_(&assessor).get("/api/v1/organisations").send().await.json["total"], 0);
        let official = app.staff(Role::Official).await;
        let lothian = app.as_(&official).get("/api/v1/organisations?health_board=lothian").send().await;
        assert_eq!(lothian.json["total"], 1);
        assert_eq!(lothian.json["items"][0]["health_boards"], json!(["borders", "lothian"]));
        assert_eq!(app.as_(&official).get("/api/v1/organisations?q=50%25").send().await.json["total"], 1, "% is matched literally");
        assert_eq!(app.as_(&official).get("/api/v1/organisations?q=5_").send().await.json["total"], 0, "_ is matched literally");
        assert_eq!(app.as_(&official).get("/api/v1/organisations?verified=true").send().await.json["total"], 0);
        app.as_(&official).patch("/api/v1/organisations/1").json(json!({"name": "x"})).send().await.assert_problem(403, "forbidden");
    }
}

db_test! {
    async fn an_applicant_edits_their_organisation_and_every_bad_field_is_reported(app) {
        let Registered { organisation: id, token } = app.register("SC000001", "aileen@example.org").await;
        let path = format!("/api/v1/organisations/{id}");
        let reply = app.as_(&token).patch(&path).json(json!({"annual_income": "12.345", "postcode": "??", "health_boards": []})).send().await;
        reply.assert_problem(422, "validation_failed");
        assert_eq!(reply.error_fields(), ["annual_income", "postcode", "health_boards"]);

        let reply = app.as_(&token).patch(&path).json(json!({"annual_income": "200000", "website": null, "health_boards": ["tayside", "fife"], "postcode": "dd1 4hn"})).send().await;
        assert_eq!(reply.status.as_u16(), 200, "{}", reply.text);
        assert_eq!(reply.json["annual_income"], "200000.00");
        assert_eq!(reply.json["website"], serde_json::Value::Null);
        assert_eq!(reply.json["postcode"], "DD1 4HN");
        assert_eq!(reply.json["health_boards"], json!(["fife", "tayside"]));
        assert_eq!(reply.json["name"], "Bumps & Babies Fife", "untouched fields stay");
    }
}

db_test! {
    async fn verification_is_for_administrators_audited_and_withdrawn_by_identity_changes(app) {
        let Registered { organisation: id, token: applicant } = app.register("SC000001", "aileen@example.org").await;
        let admin = app.admin().await;
        let official = app.staff(Role::Official).await;
        let verify = format!("/api/v1/organisations/{id}/verify");
        app.as_(&applicant).post(&verify).json(json!({})).send().await.assert_problem(403, "forbidden");
        app.as_(&official).post(&verify).json(json!({})).send().await.assert_problem(403, "forbidden");
        let reply = app.as_(&admin).post(&verify).json(json!({})).send().await;
        assert_eq!(reply.status.as_u16(), 200, "{}", reply.text);
        assert_eq!(reply.json["verified"], true);
        assert!(reply.json["verified_at"].is_string());
        app.as_(&admin).post(&verify).json(json!({})).send().await.assert_problem(409, "already_verified");

        // A contact change keeps verification; a new charity number withdraws it.
        let path = format!("/api/v1/organisations/{id}");
        let reply = app.as_(&applicant).patch(&path).json(json!({"contact_email": "hello@example.org"})).send().await;
        assert_eq!(reply.json["verified"], true);
        let reply = app.as_(&applicant).patch(&path).json(json!({"charity_number": "SC099999"})).send().await;
        assert_eq!(reply.json["verified"], false);

        app.as_(&applicant).get("/api/v1/audit").send().await.assert_problem(403, "forbidden");
        app.as_(&official).get("/api/v1/audit").send().await.assert_problem(403, "forbidden");
        let audit = app.as_(&admin).get(&format!("/api/v1/audit?entity=organisation&entity_id={id}")).send().await;
        let actions: Vec<&str> = audit.json["items"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
        assert_eq!(actions, ["updated_and_unverified", "updated", "verified", "registered"]);
        let unverified = &audit.json["items"][0];
        assert_eq!(unverified["before"]["charity_number"], "SC000001");
        assert_eq!(unverified["after"]["charity_number"], "SC099999");
        assert!(unverified["occurred_at"].as_str().unwrap().ends_with('Z'));
    }
}
