//! Assessment: assignments spread evenly, and conflicts of interest declared before anything of an
//! application but its title and organisation is seen.

use std::collections::HashMap;

use serde_json::json;

use grantfund::domain::vocabulary::Role;

use crate::db_test;
use crate::support::*;

/// A submitted application to a new open round.
struct Ready {
    admin: String,
    round: i64,
    id: i64,
    applicant: String,
}

async fn submitted(app: &TestApp) -> Ready {
    let OpenRound { admin, round, .. } = app.open_round().await;
    let Registered {
        token: applicant, ..
    } = app.register("SC000001", "aileen@example.org").await;
    let id = app.draft(&applicant, round, application_body()).await;
    let reply = app
        .as_(&applicant)
        .post(&format!("/api/v1/applications/{id}/submit"))
        .json(json!({}))
        .send()
        .await;
    assert_eq!(reply.status.as_u16(), 200, "{}", reply.text);
    Ready {
        admin,
        round,
        id,
        applicant,
    }
}

/// A new assessor, signed in.
async fn assessor(app: &TestApp, name: &str) -> Assessor {
    let email = format!("{name}@panel.example.org");
    let id = app.create_user(Role::Assessor, &email, None).await;
    Assessor {
        id,
        token: app.token(&email).await,
    }
}

db_test! {
    async fn administrators_assign_assessors_to_submitted_applications(app) {
        let Ready { admin, round, id, applicant } = submitted(&app).await;
        let Assessor { id: sam, .. } = assessor(&app, "sam").await;
        let path = format!("/api/v1/applications/{id}/assignments");
        let reply = app.as_(&admin).post(&path).json(json!({"assessor_id": sam})).send().await;
        assert_eq!(reply.status.as_u16(), 201, "{}", reply.text);
        assert_eq!(reply.json["status"], "pending");
        assert_eq!(reply.json["application_title"], "Peer support for new mums in Fife");
        assert_eq!(reply.json["organisation_name"], "Bumps & Babies Fife");
        assert_eq!(reply.json["round_id"], round);
        app.as_(&admin).post(&path).json(json!({"assessor_id": sam})).send().await.assert_problem(409, "already_assigned");

        let official = app.create_user(Role::Official, "euan@gov.example.org", None).await;
        let reply = app.as_(&admin).post(&path).json(json!({"assessor_id": official})).send().await;
        reply.assert_problem(422, "validation_failed");
        assert_eq!(reply.error_fields(), ["assessor_id"]);
        app.as_(&applicant).post(&path).json(json!({"assessor_id": sam})).send().await.assert_problem(403, "forbidden");
        app.as_(&admin).post("/api/v1/applications/999/assignments").json(json!({"assessor_id": sam})).send().await.assert_problem(404, "not_found");

        let draft = app.draft(&applicant, app.create_round(&admin, 1, round_body(&app, 1, 5)).await, json!({"title": "Not yet"})).await;
        app.as_(&admin).post(&format!("/api/v1/applications/{draft}/assignments")).json(json!({"assessor_id": sam})).send().await.assert_problem(409, "application_not_submitted");

        let notices: Vec<String> = app.as_(&admin).get("/api/v1/outbox?per_page=100").send().await.json["items"].as_array().unwrap().iter()
            .filter(|r| r["kind"] == "assignment").map(|r| r["recipient"].as_str().unwrap().to_owned()).collect();
        assert_eq!(notices, ["sam@panel.example.org"]);
    }
}

db_test! {
    async fn an_assessor_sees_an_application_only_after_declaring_no_conflict(app) {
        let Ready { admin, id, .. } = submitted(&app).await;
        let Assessor { id: sam, token: sam_token } = assessor(&app, "sam").await;
        let Assessor { id: kim, token: kim_token } = assessor(&app, "kim").await;
        let path = format!("/api/v1/applications/{id}/assignments");
        let sams = app.as_(&admin).post(&path).json(json!({"assessor_id": sam})).send().await.json["id"].as_i64().unwrap();
        let kims = app.as_(&admin).post(&path).json(json!({"assessor_id": kim})).send().await.json["id"].as_i64().unwrap();

        // Pending: the title and organisation are there to judge a conflict, the content is not.
        app.as_(&sam_token).get(&format!("/api/v1/applications/{id}")).send().await.assert_problem(404, "not_found");
        let own = app.as_(&sam_token).get("/api/v1/assignments").send().await;
        assert_eq!(own.json["total"], 1, "an assessor sees only their own assignments");
        assert_eq!(own.json["items"][0]["application_title"], "Peer support for new mums in Fife");
        assert!(own.json["items"][0].get("description").is_none());

        let reply = app.as_(&sam_token).post(&format!("/api/v1/assignments/{sams}/conflict-declaration")).json(json!({"has_conflict": false})).send().await;
        assert_eq!(reply.status.as_u16(), 200, "{}", reply.text);
        assert_eq!(reply.json["status"], "in_progress");
        let application = app.as_(&sam_token).get(&format!("/api/v1/applications/{id}")).send().await;
        assert_eq!(application.status.as_u16(), 200, "{}", application.text);
        assert!(application.json["description"].is_string());

        // Someone else's assignment is not theirs to declare on.
        app.as_(&sam_token).post(&format!("/api/v1/assignments/{kims}/conflict-declaration")).json(json!({"has_conflict": false})).send().await.assert_problem(404, "not_found");
        let reply = app.as_(&kim_token).post(&format!("/api/v1/assignments/{kims}/conflict-declaration")).json(json!({"has_conflict": true, "reason": "I am a trustee of this charity."})).send().await;
        assert_eq!(reply.json["status"], "conflicted");
        app.as_(&kim_token).get(&format!("/api/v1/applications/{id}")).send().await.assert_problem(404, "not_found");
        app.as_(&kim_token).post(&format!("/api/v1/assignments/{kims}/conflict-declaration")).json(json!({"has_conflict": false})).send().await.assert_problem(409, "invalid_state");
        app.as_(&kim_token).get(&format!("/api/v1/applications/{id}")).send().await.assert_problem(404, "not_found");

        let audit = app.as_(&admin).get(&format!("/api/v1/audit?entity=assignment&entity_id={kims}")).send().await;
        assert_eq!(audit.json["items"][0]["action"], "conflict_declared");
        assert_eq!(audit.json["items"][0]["after"]["reason"], "I am a trustee of this charity.");
        assert_eq!(app.as_(&admin).get("/api/v1/assignments?status=conflicted").send().await.json["total"], 1);
        app.as_(&app.staff(Role::Official).await).get("/api/v1/assignments").send().await.assert_problem(403, "forbidden");
    }
}

db_test! {
    async fn a_round_is_assigned_in_bulk_with_the_load_spread_evenly(app) {
        let OpenRound { admin, round, .. } = app.open_round().await;
        for n in 1..=3 {
            let Registered { token, .. } = app.register(&format!("SC00000{n}"), &format!("applicant{n}@example.org")).await;
            let id = app.draft(&token, round, application_body()).await;
            app.as_(&token).post(&format!("/api/v1/applications/{id}/submit")).json(json!({})).send().await;
        }
        let Registered { token: drafter, .. } = app.register("SC000009", "drafter@example.org").await;
        app.draft(&drafter, round, json!({"title": "Never submitted"})).await;
        let mut panel = Vec::new();
        for name in ["ann", "bo", "cy"] {
            panel.push(assessor(&app, name).await);
        }
        let path = format!("/api/v1/rounds/{round}/assignments");
        let reply = app.as_(&admin).post(&path).json(json!({"assessors_per_application": 2})).send().await;
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
        let digests = app.as_(&admin).get("/api/v1/outbox?per_page=100").send().await.json["items"].as_array().unwrap().iter().filter(|r| r["kind"] == "assignment").count();
        assert_eq!(digests, 3, "one email per assessor, not per application");

        // Running it again fills nothing; a conflict leaves a gap the next run fills.
        let again = app.as_(&admin).post(&path).json(json!({"assessors_per_application": 2})).send().await;
        assert_eq!(again.json["created"], json!([]));
        let Assessor { id: ann, token: ann_token } = &panel[0];
        let mine = app.as_(ann_token).get("/api/v1/assignments").send().await;
        let first = mine.json["items"][0]["id"].as_i64().unwrap();
        let gap = mine.json["items"][0]["application_id"].as_i64().unwrap();
        app.as_(ann_token).post(&format!("/api/v1/assignments/{first}/conflict-declaration")).json(json!({"has_conflict": true})).send().await;
        let refill = app.as_(&admin).post(&path).json(json!({"assessors_per_application": 2})).send().await;
        let refill = refill.json["created"].as_array().unwrap().clone();
        assert_eq!(refill.len(), 1);
        assert_eq!(refill[0]["application_id"], gap);
        assert_ne!(refill[0]["assessor_id"], *ann);

        // Three assessors cannot give each application four.
        let short = app.as_(&admin).post(&path).json(json!({"assessors_per_application": 4})).send().await;
        assert_eq!(short.json["unfilled"].as_array().unwrap().len(), 3, "{}", short.text);

        let bad = app.as_(&admin).post(&path).json(json!({"assessors_per_application": 0, "assessor_ids": [panel[1].id, 424242]})).send().await;
        bad.assert_problem(422, "validation_failed");
        assert_eq!(bad.error_fields(), ["assessors_per_application", "assessor_ids[1]"]);
        app.as_(&admin).post("/api/v1/rounds/999/assignments").json(json!({"assessors_per_application": 2})).send().await.assert_problem(404, "not_found");
        app.as_(ann_token).post(&path).json(json!({"assessors_per_application": 2})).send().await.assert_problem(403, "forbidden");
    }
}

/// Adds a criterion to a round; gives its id.
async fn criterion(
    app: &TestApp,
    admin: &str,
    round: i64,
    name: &str,
    weight: &str,
    max_score: i64,
) -> i64 {
    let reply = app
        .as_(admin)
        .post(&format!("/api/v1/rounds/{round}/criteria"))
        .json(json!({"name": name, "weight": weight, "max_score": max_score}))
        .send()
        .await;
    assert_eq!(reply.status.as_u16(), 201, "{}", reply.text);
    reply.json["id"].as_i64().unwrap()
}

/// Assigns an assessor and declares no conflict; gives the assignment id.
async fn open_assignment(
    app: &TestApp,
    admin: &str,
    application: i64,
    assessor: (i64, &str),
) -> i64 {
    let reply = app
        .as_(admin)
        .post(&format!("/api/v1/applications/{application}/assignments"))
        .json(json!({"assessor_id": assessor.0}))
        .send()
        .await;
    assert_eq!(reply.status.as_u16(), 201, "{}", reply.text);
    let id = reply.json["id"].as_i64().unwrap();
    let reply = app
        .as_(assessor.1)
        .post(&format!("/api/v1/assignments/{id}/conflict-declaration"))
        .json(json!({"has_conflict": false}))
        .send()
        .await;
    assert_eq!(reply.status.as_u16(), 200, "{}", reply.text);
    id
}

/// Saves scores (criterion, score) on an assignment and submits it; gives the weighted score.
async fn score_and_submit(
    app: &TestApp,
    token: &str,
    assignment: i64,
    scores: &[(i64, i64)],
) -> String {
    let sheet: Vec<_> = scores
        .iter()
        .map(|(c, s)| json!({"criterion_id": c, "score": s, "comment": "Clear plan."}))
        .collect();
    let reply = app
        .as_(token)
        .put(&format!("/api/v1/assignments/{assignment}/scores"))
        .json(json!({"scores": sheet}))
        .send()
        .await;
    assert_eq!(reply.status.as_u16(), 200, "{}", reply.text);
    let reply = app
        .as_(token)
        .post(&format!("/api/v1/assignments/{assignment}/submit"))
        .json(json!({}))
        .send()
        .await;
    assert_eq!(reply.status.as_u16(), 200, "{}", reply.text);
    reply.json["weighted_score"].as_str().unwrap().to_owned()
}

/// A submitted application on a round with three criteria of unequal weights and maxima.
struct Scored {
    admin: String,
    round: i64,
    id: i64,
    criteria: [i64; 3],
}

async fn scored_round(app: &TestApp) -> Scored {
    let Ready {
        admin, round, id, ..
    } = submitted(app).await;
    let need = criterion(app, &admin, round, "Need and reach", "0.40", 5).await;
    let quality = criterion(app, &admin, round, "Quality and outcomes", "0.35", 10).await;
    let equality = criterion(app, &admin, round, "Equality impact", "0.25", 3).await;
    Scored {
        admin,
        round,
        id,
        criteria: [need, quality, equality],
    }
}

db_test! {
    async fn scores_are_whole_numbers_within_each_maximum_saved_until_submission(app) {
        let Scored { admin, round, id, criteria: [need, quality, equality] } = scored_round(&app).await;
        let Assessor { id: sam, token: sam_token } = assessor(&app, "sam").await;
        let assigned = app.as_(&admin).post(&format!("/api/v1/applications/{id}/assignments")).json(json!({"assessor_id": sam})).send().await.json["id"].as_i64().unwrap();
        let scores = format!("/api/v1/assignments/{assigned}/scores");
        let submit = format!("/api/v1/assignments/{assigned}/submit");
        let one = json!({"scores": [{"criterion_id": need, "score": 4}]});
        app.as_(&sam_token).put(&scores).json(one.clone()).send().await.assert_problem(409, "conflict_not_declared");
        app.as_(&sam_token).post(&format!("/api/v1/assignments/{assigned}/conflict-declaration")).json(json!({"has_conflict": false})).send().await;

        // Every failed score at once; nothing saved, criteria not frozen.
        let bad = app.as_(&sam_token).put(&scores).json(json!({"scores": [
            {"criterion_id": need, "score": 6},
            {"criterion_id": quality, "score": -1},
            {"criterion_id": 999_999, "score": 1},
            {"criterion_id": need, "score": 2, "comment": "x".repeat(5001)},
        ]})).send().await;
        bad.assert_problem(422, "validation_failed");
        assert_eq!(bad.error_fields(), ["scores[3].comment", "scores[0].score", "scores[1].score", "scores[2].criterion_id", "scores[3].criterion_id"]);
        app.as_(&sam_token).put(&scores).json(json!({"scores": []})).send().await.assert_problem(422, "validation_failed");
        app.as_(&sam_token).put(&scores).json(json!({"scores": [{"criterion_id": need, "score": 2.5}]})).send().await.assert_problem(422, "validation_failed");
        assert_eq!(app.as_(&admin).get(&format!("/api/v1/rounds/{round}")).send().await.json["criteria_frozen"], false, "a refused sheet freezes nothing");

        // Saved in parts, each save replacing the criteria it names.
        let saved = app.as_(&sam_token).put(&scores).json(json!({"scores": [{"criterion_id": need, "score": 3, "comment": "Some evidence."}]})).send().await;
        assert_eq!(saved.status.as_u16(), 200, "{}", saved.text);
        assert_eq!(saved.json["status"], "in_progress");
        let saved = app.as_(&sam_token).put(&scores).json(json!({"scores": [{"criterion_id": need, "score": 4, "comment": "Strong local evidence."}, {"criterion_id": quality, "score": 7}]})).send().await;
        assert_eq!(saved.json["scores"], json!([
            {"criterion_id": need, "score": 4, "comment": "Strong local evidence.", "updated_at": saved.json["scores"][0]["updated_at"]},
            {"criterion_id": quality, "score": 7, "comment": null, "updated_at": saved.json["scores"][1]["updated_at"]},
        ]));

        let incomplete = app.as_(&sam_token).post(&submit).json(json!({})).send().await;
        incomplete.assert_problem(422, "validation_failed");
        assert_eq!(incomplete.error_fields(), [format!("scores.{equality}")]);

        app.as_(&sam_token).put(&scores).json(json!({"scores": [{"criterion_id": equality, "score": 2}]})).send().await;
        let done = app.as_(&sam_token).post(&submit).json(json!({})).send().await;
        assert_eq!(done.status.as_u16(), 200, "{}", done.text);
        assert_eq!(done.json["status"], "submitted");
        // 100 × (0.40 × 4/5 + 0.35 × 7/10 + 0.25 × 2/3) / 1.00 = 73.1666… → 73.17
        assert_eq!(done.json["weighted_score"], "73.17");
        assert!(done.json["submitted_at"].is_string());

        // Read-only from now on.
        app.as_(&sam_token).put(&scores).json(one).send().await.assert_problem(409, "invalid_state");
        app.as_(&sam_token).post(&submit).json(json!({})).send().await.assert_problem(409, "invalid_state");
        let Assessor { token: kim_token, .. } = assessor(&app, "kim").await;
        app.as_(&kim_token).put(&scores).json(json!({"scores": [{"criterion_id": need, "score": 1}]})).send().await.assert_problem(404, "not_found");
        app.as_(&admin).put(&scores).json(json!({"scores": [{"criterion_id": need, "score": 1}]})).send().await.assert_problem(403, "forbidden");
        let audit = app.audit_actions(&admin, "assignment", assigned).await;
        assert_eq!(audit, ["created", "no_conflict_declared", "submitted"]);
    }
}

db_test! {
    async fn the_first_saved_score_freezes_the_rounds_criteria(app) {
        let Scored { admin, round, id, criteria: [need, _, equality] } = scored_round(&app).await;
        let Assessor { id: sam, token: sam_token } = assessor(&app, "sam").await;
        let assigned = open_assignment(&app, &admin, id, (sam, &sam_token)).await;
        let reply = app.as_(&admin).patch(&format!("/api/v1/criteria/{equality}")).json(json!({"weight": "0.30"})).send().await;
        assert_eq!(reply.status.as_u16(), 200, "criteria change freely before any score: {}", reply.text);

        app.as_(&sam_token).put(&format!("/api/v1/assignments/{assigned}/scores")).json(json!({"scores": [{"criterion_id": need, "score": 4}]})).send().await;
        assert_eq!(app.as_(&admin).get(&format!("/api/v1/rounds/{round}")).send().await.json["criteria_frozen"], true);
        app.as_(&admin).patch(&format!("/api/v1/criteria/{equality}")).json(json!({"weight": "0.25"})).send().await.assert_problem(409, "criteria_frozen");
        app.as_(&admin).delete(&format!("/api/v1/criteria/{equality}")).send().await.assert_problem(409, "criteria_frozen");
        app.as_(&admin).post(&format!("/api/v1/rounds/{round}/criteria")).json(json!({"name": "Late", "weight": "0.10", "max_score": 5})).send().await.assert_problem(409, "criteria_frozen");
        let other = app.create_round(&admin, app.as_(&admin).get(&format!("/api/v1/rounds/{round}")).send().await.json["fund_id"].as_i64().unwrap(), round_body(&app, 1, 5)).await;
        for n in 1..=12 {
            criterion(&app, &admin, other, &format!("Criterion {n}"), "1", 100 - n).await;
        }
        app.as_(&admin).post(&format!("/api/v1/rounds/{other}/criteria")).json(json!({"name": "Thirteenth", "weight": "1", "max_score": 5})).send().await.assert_problem(409, "too_many_criteria");
        let weights: Vec<String> = app.as_(&admin).get(&format!("/api/v1/rounds/{round}/criteria")).send().await.json["items"].as_array().unwrap().iter().map(|c| c["weight"].as_str().unwrap().to_owned()).collect();
        assert_eq!(weights, ["0.40", "0.35", "0.30"]);
    }
}

db_test! {
    async fn an_assessor_sees_other_scores_only_after_submitting_their_own(app) {
        let Scored { admin, id, criteria: [need, quality, equality], .. } = scored_round(&app).await;
        let Assessor { id: sam, token: sam_token } = assessor(&app, "sam").await;
        let Assessor { id: kim, token: kim_token } = assessor(&app, "kim").await;
        let Assessor { id: lee, token: lee_token } = assessor(&app, "lee").await;
        let sams = open_assignment(&app, &admin, id, (sam, &sam_token)).await;
        let kims = open_assignment(&app, &admin, id, (kim, &kim_token)).await;
        let lees = app.as_(&admin).post(&format!("/api/v1/applications/{id}/assignments")).json(json!({"assessor_id": lee})).send().await.json["id"].as_i64().unwrap();
        let view = format!("/api/v1/applications/{id}/assessment");

        assert_eq!(score_and_submit(&app, &sam_token, sams, &[(need, 4), (quality, 7), (equality, 2)]).await, "73.17");
        app.as_(&kim_token).put(&format!("/api/v1/assignments/{kims}/scores")).json(json!({"scores": [{"criterion_id": need, "score": 5, "comment": "Kim's draft"}]})).send().await;

        // Kim, still scoring, sees only Kim's own draft: not Sam's scores, not the mean.
        let blind = app.as_(&kim_token).get(&view).send().await;
        assert_eq!(blind.status.as_u16(), 200, "{}", blind.text);
        assert_eq!(blind.json["others_hidden"], true);
        let shown: Vec<i64> = blind.json["assessments"].as_array().unwrap().iter().map(|a| a["assessor_id"].as_i64().unwrap()).collect();
        assert_eq!(shown, [kim]);
        assert_eq!(blind.json["score"], serde_json::Value::Null);
        assert!(!blind.text.contains("Clear plan."), "Sam's comments are hidden: {}", blind.text);
        assert_eq!(blind.json["criteria"].as_array().unwrap().len(), 3);

        // Sam, submitted, sees Sam's own and the other submitted ones, not Kim's draft.
        let sams_view = app.as_(&sam_token).get(&view).send().await;
        assert_eq!(sams_view.json["others_hidden"], false);
        assert!(!sams_view.text.contains("Kim's draft"), "{}", sams_view.text);
        assert_eq!(sams_view.json["score"], "73.17");

        // Lee has not declared: the application's assessment is not Lee's to see.
        app.as_(&lee_token).get(&view).send().await.assert_problem(404, "not_found");
        let Assessor { token: stranger, .. } = assessor(&app, "stranger").await;
        app.as_(&stranger).get(&view).send().await.assert_problem(404, "not_found");
        app.as_(&app.staff(Role::Official).await).get(&view).send().await.assert_problem(403, "forbidden");

        // Kim submits full marks and now sees Sam's scores; the mean 86.585 rounds up.
        assert_eq!(score_and_submit(&app, &kim_token, kims, &[(need, 5), (quality, 10), (equality, 3)]).await, "100.00");
        let open = app.as_(&kim_token).get(&view).send().await;
        assert_eq!(open.json["others_hidden"], false);
        assert!(open.text.contains("Clear plan."));
        assert_eq!(open.json["submitted_assessments"], 2);
        assert_eq!(open.json["score"], "86.59");
        assert_eq!(open.json["final_score"], "86.59");

        // Administrators see every assignment, the pending one too, and conflict reasons.
        app.as_(&lee_token).post(&format!("/api/v1/assignments/{lees}/conflict-declaration")).json(json!({"has_conflict": true, "reason": "Former employee."})).send().await;
        let all = app.as_(&admin).get(&view).send().await;
        assert_eq!(all.json["assessments"].as_array().unwrap().len(), 3);
        assert_eq!(all.json["assessments"][2]["status"], "conflicted");
        assert_eq!(all.json["assessments"][2]["conflict_reason"], "Former employee.");
        assert!(!open.text.contains("Former employee."), "assessors never see conflict reasons");
        app.as_(&lee_token).get(&view).send().await.assert_problem(404, "not_found");
        app.as_(&lee_token).put(&format!("/api/v1/assignments/{lees}/scores")).json(json!({"scores": [{"criterion_id": need, "score": 1}]})).send().await.assert_problem(409, "invalid_state");
    }
}

db_test! {
    async fn moderation_keeps_the_calculated_and_moderated_scores_and_is_audited(app) {
        let Scored { admin, id, criteria: [need, quality, equality], .. } = scored_round(&app).await;
        let path = format!("/api/v1/applications/{id}/moderation");
        app.as_(&admin).post(&path).json(json!({"score": "80.00", "reason": "Panel view."})).send().await.assert_problem(409, "not_assessed");
        let Assessor { id: sam, token: sam_token } = assessor(&app, "sam").await;
        let sams = open_assignment(&app, &admin, id, (sam, &sam_token)).await;
        score_and_submit(&app, &sam_token, sams, &[(need, 4), (quality, 7), (equality, 2)]).await;

        let bad = app.as_(&admin).post(&path).json(json!({"score": "100.5", "reason": " "})).send().await;
        bad.assert_problem(422, "validation_failed");
        assert_eq!(bad.error_fields(), ["score", "reason"]);
        app.as_(&admin).post(&path).json(json!({"score": "80.001", "reason": "x"})).send().await.assert_problem(422, "validation_failed");
        app.as_(&sam_token).post(&path).json(json!({"score": "80.00", "reason": "x"})).send().await.assert_problem(403, "forbidden");

        let moderated = app.as_(&admin).post(&path).json(json!({"score": "80", "reason": "The panel judged the equality impact stronger than scored."})).send().await;
        assert_eq!(moderated.status.as_u16(), 200, "{}", moderated.text);
        assert_eq!(moderated.json["score"], "73.17");
        assert_eq!(moderated.json["moderation"]["original_score"], "73.17");
        assert_eq!(moderated.json["moderation"]["moderated_score"], "80.00");
        assert_eq!(moderated.json["final_score"], "80.00");
        let again = app.as_(&admin).post(&path).json(json!({"score": "78.50", "reason": "On reflection."})).send().await;
        assert_eq!(again.json["final_score"], "78.50");
        assert_eq!(again.json["moderation"]["original_score"], "73.17");

        let audit = app.as_(&admin).get(&format!("/api/v1/audit?entity=application&entity_id={id}&per_page=100")).send().await;
        let moderations: Vec<&serde_json::Value> = audit.json["items"].as_array().unwrap().iter().filter(|e| e["action"] == "score_moderated").collect();
        assert_eq!(moderations.len(), 2);
        let changes: Vec<(String, String)> = moderations.iter().map(|e| (e["before"]["moderated_score"].to_string(), e["after"]["moderated_score"].to_string())).collect();
        assert!(changes.contains(&("null".to_owned(), "\"80.00\"".to_owned())), "{changes:?}");
        assert!(changes.contains(&("\"80.00\"".to_owned(), "\"78.50\"".to_owned())), "{changes:?}");
        app.as_(&admin).post("/api/v1/applications/999/moderation").json(json!({"score": "1", "reason": "x"})).send().await.assert_problem(404, "not_found");
    }
}

db_test! {
    async fn the_ranking_orders_by_final_score_and_draws_the_funding_line_across_years(app) {
        let OpenRound { admin, fund, round } = app.open_round().await;
        let merit = criterion(&app, &admin, round, "Merit", "1", 10).await;
        // 2022-23 has room for one application's 42,000.00 but not two.
        let reply = app.as_(&admin).put(&format!("/api/v1/funds/{fund}/years/2022-23")).json(json!({"limit": "80000.00", "approved": true})).send().await;
        assert_eq!(reply.status.as_u16(), 200, "{}", reply.text);
        let mut ids = Vec::new();
        let mut tokens = Vec::new();
        for n in 1..=4 {
            let Registered { token, .. } = app.register(&format!("SC00010{n}"), &format!("org{n}@example.org")).await;
            ids.push(app.draft(&token, round, application_body()).await);
            tokens.push(token);
        }
        // C is submitted a minute before A, so it ranks above A on an equal score though its id is higher.
        let order = [2, 1, 0, 3];
        for i in order {
            let reply = app.as_(&tokens[i]).post(&format!("/api/v1/applications/{}/submit", ids[i])).json(json!({})).send().await;
            assert_eq!(reply.status.as_u16(), 200, "{}", reply.text);
            app.clock.advance(chrono::Duration::minutes(1));
        }
        let (a, b, c, d) = (ids[0], ids[1], ids[2], ids[3]);
        let Assessor { id: ann, token: ann_token } = assessor(&app, "ann").await;
        let Assessor { id: bo, token: bo_token } = assessor(&app, "bo").await;
        for (application, first, second) in [(a, 6, 8), (b, 9, 9), (c, 7, 7)] {
            let x = open_assignment(&app, &admin, application, (ann, &ann_token)).await;
            score_and_submit(&app, &ann_token, x, &[(merit, first)]).await;
            let y = open_assignment(&app, &admin, application, (bo, &bo_token)).await;
            score_and_submit(&app, &bo_token, y, &[(merit, second)]).await;
        }
        let only = open_assignment(&app, &admin, d, (ann, &ann_token)).await;
        score_and_submit(&app, &ann_token, only, &[(merit, 10)]).await;

        let path = format!("/api/v1/rounds/{round}/ranking");
        let ranking = app.as_(&admin).get(&path).send().await;
        assert_eq!(ranking.status.as_u16(), 200, "{}", ranking.text);
        let ranked: Vec<(i64, i64, &str)> = ranking.json["items"].as_array().unwrap().iter()
            .map(|i| (i["rank"].as_i64().unwrap(), i["application_id"].as_i64().unwrap(), i["score"].as_str().unwrap())).collect();
        assert_eq!(ranked, [(1, b, "90.00"), (2, c, "70.00"), (3, a, "70.00")]);
        assert_eq!(ranking.json["remaining"], json!({"2021-22": "1000000.00", "2022-23": "80000.00"}));
        let item = |rank: usize| &ranking.json["items"][rank - 1];
        assert_eq!(item(2)["requested"], json!({"2021-22": "40000.00", "2022-23": "42000.00"}));
        assert_eq!(item(2)["cumulative"], json!({"2021-22": "80000.00", "2022-23": "84000.00"}));
        let fits: Vec<bool> = ranking.json["items"].as_array().unwrap().iter().map(|i| i["fits"].as_bool().unwrap()).collect();
        assert_eq!(fits, [true, false, false], "2022-23 alone draws the line");
        assert_eq!(ranking.json["funding_line_after_rank"], 1);
        assert_eq!(ranking.json["not_ready"].as_array().unwrap().len(), 1);
        assert_eq!(ranking.json["not_ready"][0]["application_id"], d);
        assert_eq!(ranking.json["not_ready"][0]["assessments"], 1);

        // Moderating A above B moves it to the top and the line with it.
        app.as_(&admin).post(&format!("/api/v1/applications/{a}/moderation")).json(json!({"score": "95.00", "reason": "Only service on the islands."})).send().await;
        let ranking = app.as_(&admin).get(&path).send().await;
        let ranked: Vec<(i64, &str, &str, bool)> = ranking.json["items"].as_array().unwrap().iter()
            .map(|i| (i["application_id"].as_i64().unwrap(), i["score"].as_str().unwrap(), i["calculated_score"].as_str().unwrap(), i["moderated"].as_bool().unwrap())).collect();
        assert_eq!(ranked, [(a, "95.00", "70.00", true), (b, "90.00", "90.00", false), (c, "70.00", "70.00", false)]);

        // With room for everyone there is no line.
        app.as_(&admin).put(&format!("/api/v1/funds/{fund}/years/2022-23")).json(json!({"limit": "126000.00", "approved": true})).send().await;
        let roomy = app.as_(&admin).get(&path).send().await;
        assert_eq!(roomy.json["funding_line_after_rank"], serde_json::Value::Null);

        let csv = app.as_(&admin).get(&format!("{path}?format=csv")).send().await;
        assert_eq!(csv.status.as_u16(), 200);
        assert!(csv.header("content-type").unwrap().starts_with("text/csv"), "{:?}", csv.header("content-type"));
        let lines: Vec<&str> = csv.text.lines().collect();
        assert_eq!(lines[0], "rank,status,application_id,organisation,title,score,calculated_score,moderated,assessments,requested_2021-22,requested_2022-23,cumulative_2021-22,cumulative_2022-23,fits");
        assert_eq!(lines.len(), 5, "{}", csv.text);
        assert!(lines[1].starts_with(&format!("1,above_line,{a},Bumps & Babies Fife,")), "{}", lines[1]);
        assert!(lines[4].starts_with(&format!(",not_ready,{d},")), "{}", lines[4]);
        let accept = app.as_(&admin).get(&path).header("Accept", "application/json;q=0.5, text/csv").send().await;
        assert_eq!(accept.text, csv.text);
        let own = app.as_(&admin).get(&format!("{path}.csv")).send().await;
        assert_eq!(own.status.as_u16(), 200, "{}", own.text);
        assert!(own.header("content-type").unwrap().starts_with("text/csv"));
        assert_eq!(own.header("content-disposition"), csv.header("content-disposition"));
        assert_eq!(own.text, csv.text);
        app.as_(&tokens[0]).get(&format!("{path}.csv")).send().await.assert_problem(403, "forbidden");
        app.as_(&admin).get("/api/v1/rounds/999/ranking.csv").send().await.assert_problem(404, "not_found");

        app.as_(&tokens[0]).get(&path).send().await.assert_problem(403, "forbidden");
        app.as_(&ann_token).get(&path).send().await.assert_problem(403, "forbidden");
        app.as_(&admin).get("/api/v1/rounds/999/ranking").send().await.assert_problem(404, "not_found");
    }
}
