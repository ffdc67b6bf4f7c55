//! Assessment: assignments spread evenly, and conflicts of interest declared before anything of an
//! application but its title and organisation is seen.

use std::collections::HashMap;

use serde_json::json;

use grantfund::domain::vocabulary::Role;

use crate::db_test;
use crate::helpers::*;

/// A submitted application to a new open round; gives the admin token and the application id.
async fn submitted(app: &TestApp) -> (String, i64, i64, String) {
    let (admin, _, round) = app.open_round().await;
    let (_, applicant) = app.register("SC000001", "aileen@example.org").await;
    let id = app.draft(&applicant, round, application_body()).await;
    let reply = app
        .post(
            &format!("/api/v1/applications/{id}/submit"),
            Some(&applicant),
            json!({}),
        )
        .await;
    assert_eq!(reply.status.as_u16(), 200, "{}", reply.text);
    (admin, round, id, applicant)
}

/// A new assessor: id and token.
async fn assessor(app: &TestApp, name: &str) -> (i64, String) {
    let email = format!("{name}@panel.example.org");
    let id = app.create_user(Role::Assessor, &email, None).await;
    (id, app.token(&email).await)
}

db_test! {
    async fn administrators_assign_assessors_to_submitted_applications(app) {
        let (admin, round, id, applicant) = submitted(&app).await;
        let (sam, _) = assessor(&app, "sam").await;
        let path = format!("/api/v1/applications/{id}/assignments");
        let reply = app.post(&path, Some(&admin), json!({"assessor_id": sam})).await;
        assert_eq!(reply.status.as_u16(), 201, "{}", reply.text);
        assert_eq!(reply.json["status"], "pending");
        assert_eq!(reply.json["application_title"], "Peer support for new mums in Fife");
        assert_eq!(reply.json["organisation_name"], "Bumps & Babies Fife");
        assert_eq!(reply.json["round_id"], round);
        app.post(&path, Some(&admin), json!({"assessor_id": sam})).await.assert_problem(409, "already_assigned");

        let official = app.create_user(Role::Official, "euan@gov.example.org", None).await;
        let reply = app.post(&path, Some(&admin), json!({"assessor_id": official})).await;
        reply.assert_problem(422, "validation_failed");
        assert_eq!(reply.error_fields(), ["assessor_id"]);
        app.post(&path, Some(&applicant), json!({"assessor_id": sam})).await.assert_problem(403, "forbidden");
        app.post("/api/v1/applications/999/assignments", Some(&admin), json!({"assessor_id": sam})).await.assert_problem(404, "not_found");

        let draft = app.draft(&applicant, app.create_round(&admin, 1, round_body(&app, 1, 5)).await, json!({"title": "Not yet"})).await;
        app.post(&format!("/api/v1/applications/{draft}/assignments"), Some(&admin), json!({"assessor_id": sam})).await.assert_problem(409, "application_not_submitted");

        let notices: Vec<String> = app.get("/api/v1/outbox?per_page=100", &admin).await.json["items"].as_array().unwrap().iter()
            .filter(|r| r["kind"] == "assignment").map(|r| r["recipient"].as_str().unwrap().to_owned()).collect();
        assert_eq!(notices, ["sam@panel.example.org"]);
    }
}

db_test! {
    async fn an_assessor_sees_an_application_only_after_declaring_no_conflict(app) {
        let (admin, _, id, _) = submitted(&app).await;
        let (sam, sam_token) = assessor(&app, "sam").await;
        let (kim, kim_token) = assessor(&app, "kim").await;
        let path = format!("/api/v1/applications/{id}/assignments");
        let sams = app.post(&path, Some(&admin), json!({"assessor_id": sam})).await.json["id"].as_i64().unwrap();
        let kims = app.post(&path, Some(&admin), json!({"assessor_id": kim})).await.json["id"].as_i64().unwrap();

        // Pending: the title and organisation are there to judge a conflict, the content is not.
        app.get(&format!("/api/v1/applications/{id}"), &sam_token).await.assert_problem(404, "not_found");
        let own = app.get("/api/v1/assignments", &sam_token).await;
        assert_eq!(own.json["total"], 1, "an assessor sees only their own assignments");
        assert_eq!(own.json["items"][0]["application_title"], "Peer support for new mums in Fife");
        assert!(own.json["items"][0].get("description").is_none());

        let reply = app.post(&format!("/api/v1/assignments/{sams}/conflict-declaration"), Some(&sam_token), json!({"has_conflict": false})).await;
        assert_eq!(reply.status.as_u16(), 200, "{}", reply.text);
        assert_eq!(reply.json["status"], "in_progress");
        let application = app.get(&format!("/api/v1/applications/{id}"), &sam_token).await;
        assert_eq!(application.status.as_u16(), 200, "{}", application.text);
        assert!(application.json["description"].is_string());

        // Someone else's assignment is not theirs to declare on.
        app.post(&format!("/api/v1/assignments/{kims}/conflict-declaration"), Some(&sam_token), json!({"has_conflict": false})).await.assert_problem(404, "not_found");
        let reply = app.post(&format!("/api/v1/assignments/{kims}/conflict-declaration"), Some(&kim_token), json!({"has_conflict": true, "reason": "I am a trustee of this charity."})).await;
        assert_eq!(reply.json["status"], "conflicted");
        app.get(&format!("/api/v1/applications/{id}"), &kim_token).await.assert_problem(404, "not_found");
        app.post(&format!("/api/v1/assignments/{kims}/conflict-declaration"), Some(&kim_token), json!({"has_conflict": false})).await.assert_problem(409, "invalid_state");
        app.get(&format!("/api/v1/applications/{id}"), &kim_token).await.assert_problem(404, "not_found");

        let audit = app.get(&format!("/api/v1/audit?entity=assignment&entity_id={kims}"), &admin).await;
        assert_eq!(audit.json["items"][0]["action"], "conflict_declared");
        assert_eq!(audit.json["items"][0]["after"]["reason"], "I am a trustee of this charity.");
        assert_eq!(app.get("/api/v1/assignments?status=conflicted", &admin).await.json["total"], 1);
        app.get("/api/v1/assignments", &app.staff(Role::Official).await).await.assert_problem(403, "forbidden");
    }
}

db_test! {
    async fn a_round_is_assigned_in_bulk_with_the_load_spread_evenly(app) {
        let (admin, _, round) = app.open_round().await;
        for n in 1..=3 {
            let (_, token) = app.register(&format!("SC00000{n}"), &format!("applicant{n}@example.org")).await;
            let id = app.draft(&token, round, application_body()).await;
            app.post(&format!("/api/v1/applications/{id}/submit"), Some(&token), json!({})).await;
        }
        let (_, drafter) = app.register("SC000009", "drafter@example.org").await;
        app.draft(&drafter, round, json!({"title": "Never submitted"})).await;
        let mut panel = Vec::new();
        for name in ["ann", "bo", "cy"] {
            panel.push(assessor(&app, name).await);
        }
        let path = format!("/api/v1/rounds/{round}/assignments");
        let reply = app.post(&path, Some(&admin), json!({"assessors_per_application": 2})).await;
        assert_eq!(reply.status.as_u16(), 201, "{}", reply.text);
        let created = reply.json["created"].as_array().unwrap();
        assert_eq!(created.len(), 6, "two for each submitted application, none for the draft");
        assert_eq!(reply.json["unfilled"], json!([]));
        let mut per_assessor: HashMap<i64, usize> = HashMap::new();
        let mut pairs = std::collections::HashSet::new();
        for a in created {
            *per_assessor.entry(a["assessor_id"].as_i64().unwrap()).or_default() += 1;
            assert!(pairs.insert((a["application_id"].as_i64().unwrap(), a["assessor_id"].as_i64().unwrap())), "no assessor twice on one application");
        }
        assert_eq!(per_assessor.values().copied().collect::<Vec<_>>(), [2, 2, 2]);
        let digests = app.get("/api/v1/outbox?per_page=100", &admin).await.json["items"].as_array().unwrap().iter().filter(|r| r["kind"] == "assignment").count();
        assert_eq!(digests, 3, "one email per assessor, not per application");

        // Running it again fills nothing; a conflict leaves a gap the next run fills.
        let again = app.post(&path, Some(&admin), json!({"assessors_per_application": 2})).await;
        assert_eq!(again.json["created"], json!([]));
        let (ann, ann_token) = &panel[0];
        let mine = app.get("/api/v1/assignments", ann_token).await;
        let first = mine.json["items"][0]["id"].as_i64().unwrap();
        let gap = mine.json["items"][0]["application_id"].as_i64().unwrap();
        app.post(&format!("/api/v1/assignments/{first}/conflict-declaration"), Some(ann_token), json!({"has_conflict": true})).await;
        let refill = app.post(&path, Some(&admin), json!({"assessors_per_application": 2})).await;
        let refill = refill.json["created"].as_array().unwrap().clone();
        assert_eq!(refill.len(), 1);
        assert_eq!(refill[0]["application_id"], gap);
        assert_ne!(refill[0]["assessor_id"], *ann);

        // Three assessors cannot give each application four.
        let short = app.post(&path, Some(&admin), json!({"assessors_per_application": 4})).await;
        assert_eq!(short.json["unfilled"].as_array().unwrap().len(), 3, "{}", short.text);

        let bad = app.post(&path, Some(&admin), json!({"assessors_per_application": 0, "assessor_ids": [panel[1].0, 424242]})).await;
        bad.assert_problem(422, "validation_failed");
        assert_eq!(bad.error_fields(), ["assessors_per_application", "assessor_ids[1]"]);
        app.post("/api/v1/rounds/999/assignments", Some(&admin), json!({"assessors_per_application": 2})).await.assert_problem(404, "not_found");
        app.post(&path, Some(ann_token), json!({"assessors_per_application": 2})).await.assert_problem(403, "forbidden");
    }
}
