//! Applications: drafted, fixed and submitted by their organisation, every failed rule reported
//! at once, one live application per organisation per round, and nothing of another
//! organisation's visible.

use serde_json::{Value, json};

use grantfund::domain::vocabulary::Role;

use crate::db_test;
use crate::support::*;

/// The outbox rows of one kind, as (recipient, subject) pairs in order.
async fn outbox(app: &TestApp, admin: &str, kind: &str) -> Vec<(String, String)> {
    let reply = app
        .as_(admin)
        .get("/api/v1/outbox?per_page=100")
        .send()
        .await;
    let mut rows: Vec<(i64, String, String)> = reply.json["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["kind"] == kind)
        .map(|r| {
            (
                r["id"].as_i64().unwrap(),
                r["recipient"].as_str().unwrap().to_owned(),
                r["subject"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    rows.sort();
    rows.into_iter()
        .map(|(_, to, subject)| (to, subject))
        .collect()
}

db_test! {
    async fn an_applicant_drafts_fixes_and_submits_and_both_contacts_get_a_receipt(app) {
        let OpenRound { admin, round, .. } = app.open_round().await;
        let Registered { organisation, token } = app.register("SC000001", "aileen@example.org").await;
        let id = app.draft(&token, round, json!({"title": "Peer support for new mums in Fife"})).await;
        let draft = app.as_(&token).get(&format!("/api/v1/applications/{id}")).send().await;
        assert_eq!(draft.json["status"], "draft");
        assert_eq!(draft.json["organisation_id"], organisation);
        assert_eq!(draft.json["organisation_name"], "Bumps & Babies Fife");
        assert_eq!(draft.json["requested"], json!({}));
        assert_eq!(draft.json["total_requested"], "0.00");

        let refused = app.as_(&token).post(&format!("/api/v1/applications/{id}/submit")).json(json!({})).send().await;
        refused.assert_problem(422, "validation_failed");
        assert_eq!(refused.error_fields(), ["requested", "summary", "description", "target_groups", "health_boards", "support_types", "peer_support",
            "expected_reach.women", "expected_reach.partners", "expected_reach.infants", "expected_reach.families", "equality_impact"]);
        assert_eq!(app.as_(&token).get(&format!("/api/v1/applications/{id}")).send().await.json["status"], "draft", "a refused submission changes nothing");

        let mut fix = application_body();
        fix.as_object_mut().unwrap().remove("title");
        fix["requested"] = json!({"2021-22": "40000", "2022-23": "70000.00"});
        let reply = app.as_(&token).patch(&format!("/api/v1/applications/{id}")).json(fix).send().await;
        assert_eq!(reply.status.as_u16(), 200, "{}", reply.text);
        assert_eq!(reply.json["total_requested"], "110000.00");
        assert_eq!(reply.json["target_groups"], json!(["mothers_birthing_parents", "fathers_partners"]));
        assert_eq!(reply.json["expected_reach"], json!({"women": 300, "partners": 80, "infants": 250, "families": 320}));
        let refused = app.as_(&token).post(&format!("/api/v1/applications/{id}/submit")).json(json!({})).send().await;
        assert_eq!(refused.error_fields(), ["requested.2022-23"], "{}", refused.text);
        assert!(refused.json["errors"][0]["message"].as_str().unwrap().contains("60000.00"));

        app.as_(&token).patch(&format!("/api/v1/applications/{id}")).json(json!({"requested": {"2021-22": "40000.00", "2022-23": "42000.00"}})).send().await;
        let submitted = app.as_(&token).post(&format!("/api/v1/applications/{id}/submit")).json(json!({})).send().await;
        assert_eq!(submitted.status.as_u16(), 200, "{}", submitted.text);
        assert_eq!(submitted.json["status"], "submitted");
        assert!(submitted.json["submitted_at"].is_string());

        let receipts = outbox(&app, &admin, "application_received").await;
        let recipients: Vec<&str> = receipts.iter().map(|(to, _)| to.as_str()).collect();
        assert_eq!(recipients, ["aileen@example.org", "info@example.org"], "the submitting user and the organisation's contact");
        app.run_outbox().await;
        let mail = app.mails().into_iter().find(|m| m.contains("To: info@example.org") && m.contains("received")).expect("receipt sent");
        assert!(mail.contains("82000.00"), "the receipt states the total: {mail}");
        assert_eq!(app.audit_actions(&admin, "application", id).await, ["created", "updated", "updated", "submitted"]);
    }
}

db_test! {
    async fn submission_reports_every_failed_rule_at_once(backend: Backend) {
        // Sessions outlive the month the clock moves on.
        let Some(app) = TestApp::time_travelling(backend).await else { return };
        let admin = app.admin().await;
        let fund = FundBuilder::new(&app, &admin).create().await;
        let mut body = round_body(&app, 1, 30);
        body["max_applicant_income"] = json!("100000.00");
        let round = app.create_round(&admin, fund, body).await;
        let Registered { token, .. } = app.register("SC000001", "aileen@example.org").await; // income 180,000
        let mut application = application_body();
        application["requested"] = json!({"2020-21": "10000.00", "2021-22": "4999.99", "2022-23": "60000.01"});
        application["summary"] = json!("   ");
        let id = app.draft(&token, round, application).await;
        app.clock.advance(chrono::Duration::days(31));
        let reply = app.as_(&token).post(&format!("/api/v1/applications/{id}/submit")).json(json!({})).send().await;
        reply.assert_problem(422, "validation_failed");
        assert_eq!(reply.error_fields(), ["round", "requested.2020-21", "requested.2021-22", "requested.2022-23", "organisation.annual_income", "summary"]);
        let messages: Vec<&str> = reply.json["errors"].as_array().unwrap().iter().map(|e| e["message"].as_str().unwrap()).collect();
        assert!(messages[0].starts_with("closed at"), "{messages:?}");
        assert!(messages[1].contains("2021-22, 2022-23"), "{messages:?}");
        assert!(messages[4].contains("100000.00"), "{messages:?}");
        assert_eq!(outbox(&app, &admin, "application_received").await.len(), 0);
    }
}

db_test! {
    async fn drafts_are_checked_field_by_field_as_they_are_saved(app) {
        let OpenRound { round, .. } = app.open_round().await;
        let Registered { token, .. } = app.register("SC000001", "aileen@example.org").await;
        let reply = app.as_(&token).post(&format!("/api/v1/rounds/{round}/applications")).json(json!({
            "title": "", "requested": {"2021-23": "1.00", "2022-23": "12.345"}, "target_groups": ["everyone"],
            "health_boards": ["fife", "fife"], "expected_reach": {"women": -1}, "summary": "x".repeat(1001)
        })).send().await;
        reply.assert_problem(422, "validation_failed");
        assert_eq!(reply.error_fields(), ["title", "summary", "requested.2021-23", "requested.2022-23", "target_groups[0]", "health_boards[1]", "expected_reach.women"]);
        let reply = app.as_(&token).post(&format!("/api/v1/rounds/{round}/applications")).json(json!({"title": "T", "budget": "1.00"})).send().await;
        assert_eq!(reply.error_fields(), ["budget"], "unknown fields are refused");
        let reply = app.as_(&token).post(&format!("/api/v1/rounds/{round}/applications")).json(json!({"summary": "no title"})).send().await;
        assert_eq!(reply.error_fields(), ["title"]);
        let listed = app.as_(&token).get("/api/v1/applications").send().await;
        assert_eq!(listed.json["total"], 0, "nothing was stored");

        // A blank text or an empty list clears a field of a draft.
        let id = app.draft(&token, round, application_body()).await;
        let reply = app.as_(&token).patch(&format!("/api/v1/applications/{id}")).json(json!({"summary": "", "support_types": [], "expected_reach": {"women": 10}})).send().await;
        assert_eq!(reply.status.as_u16(), 200, "{}", reply.text);
        assert_eq!(reply.json["summary"], Value::Null);
        assert_eq!(reply.json["support_types"], json!([]));
        assert_eq!(reply.json["expected_reach"], json!({"women": 10, "partners": 80, "infants": 250, "families": 320}));
    }
}

db_test! {
    async fn an_organisation_has_one_live_application_per_round(app) {
        let OpenRound { admin, fund, round } = app.open_round().await;
        let Registered { token, .. } = app.register("SC000001", "aileen@example.org").await;
        let first = app.draft(&token, round, application_body()).await;
        app.as_(&token).post(&format!("/api/v1/rounds/{round}/applications")).json(application_body()).send().await.assert_problem(409, "application_exists");
        app.as_(&token).post(&format!("/api/v1/applications/{first}/submit")).json(json!({})).send().await;
        app.as_(&token).post(&format!("/api/v1/rounds/{round}/applications")).json(application_body()).send().await.assert_problem(409, "application_exists");
        // Another round is another matter.
        let other = app.create_round(&admin, fund, round_body(&app, 1, 10)).await;
        app.draft(&token, other, application_body()).await;
        // Once withdrawn, the organisation may start again.
        assert_eq!(app.as_(&token).post(&format!("/api/v1/applications/{first}/withdraw")).json(json!({})).send().await.status.as_u16(), 200);
        app.draft(&token, round, application_body()).await;
    }
}

db_test! {
    async fn two_drafts_at_once_leave_one_live_application(app) {
        let OpenRound { admin, round, .. } = app.open_round().await;
        let Registered { organisation, token } = app.register("SC000001", "aileen@example.org").await;
        let path = format!("/api/v1/rounds/{round}/applications");
        let body = application_body();
        let attempts = (0..6).map(|_| app.as_(&token).post(&path).json(body.clone()).send());
        let replies = futures_util::future::join_all(attempts).await;
        let created = replies.iter().filter(|r| r.status.as_u16() == 201).count();
        let refused = replies.iter().filter(|r| r.status.as_u16() == 409 && r.json["code"] == "application_exists").count();
        assert_eq!((created, refused), (1, 5), "{:?}", replies.iter().map(|r| &r.text).collect::<Vec<_>>());
        let listed = app.as_(&admin).get(&format!("/api/v1/applications?organisation_id={organisation}")).send().await;
        assert_eq!(listed.json["total"], 1);

        // Two submissions of one draft at once: one succeeds, one receipt pair is written.
        let id = listed.json["items"][0]["id"].as_i64().unwrap();
        let submit = format!("/api/v1/applications/{id}/submit");
        let replies = futures_util::future::join_all((0..4).map(|_| app.as_(&token).post(&submit).json(json!({})).send())).await;
        let statuses: Vec<u16> = replies.iter().map(|r| r.status.as_u16()).collect();
        assert_eq!(statuses.iter().filter(|s| **s == 200).count(), 1, "{statuses:?}");
        assert_eq!(statuses.iter().filter(|s| **s == 409).count(), 3, "{statuses:?}");
        assert_eq!(outbox(&app, &admin, "application_received").await.len(), 2);
    }
}

db_test! {
    async fn illegal_transitions_are_refused_with_the_current_state(app) {
        let OpenRound { admin, round, .. } = app.open_round().await;
        let Registered { token, .. } = app.register("SC000001", "aileen@example.org").await;
        let id = app.draft(&token, round, application_body()).await;
        let path = format!("/api/v1/applications/{id}");
        app.as_(&token).post(&format!("{path}/submit")).json(json!({})).send().await;

        let reply = app.as_(&token).patch(&path).json(json!({"title": "Too late"})).send().await;
        reply.assert_problem(409, "invalid_state");
        assert!(reply.json["detail"].as_str().unwrap().contains("submitted"), "{}", reply.text);
        let reply = app.as_(&token).post(&format!("{path}/submit")).json(json!({})).send().await;
        reply.assert_problem(409, "invalid_state");
        assert!(reply.json["detail"].as_str().unwrap().contains("submitted"));

        assert_eq!(app.as_(&token).post(&format!("{path}/withdraw")).json(json!({})).send().await.json["status"], "withdrawn");
        for (method, action) in [("PATCH", ""), ("POST", "/submit"), ("POST", "/withdraw")] {
            let body = json!({"title": "Again"});
            let reply = app.as_(&token).request(method, &format!("{path}{action}")).json(&body).send().await;
            reply.assert_problem(409, "invalid_state");
            assert!(reply.json["detail"].as_str().unwrap().contains("withdrawn"), "{method} {action}: {}", reply.text);
        }
        let after = app.as_(&token).get(&path).send().await;
        assert_eq!(after.json["title"], "Peer support for new mums in Fife");
        assert!(after.json["withdrawn_at"].is_string());

        // A draft can be withdrawn too, and the organisation hears of each withdrawal.
        let draft = app.draft(&token, round, json!({"title": "Second try"})).await;
        assert_eq!(app.as_(&token).post(&format!("/api/v1/applications/{draft}/withdraw")).json(json!({})).send().await.json["status"], "withdrawn");
        let notices = outbox(&app, &admin, "application_withdrawn").await;
        assert_eq!(notices.len(), 4, "user and contact, twice: {notices:?}");
        assert!(notices[0].1.contains("withdrawn"));
        assert_eq!(app.audit_actions(&admin, "application", id).await, ["created", "submitted", "withdrawn"]);
    }
}

db_test! {
    async fn rounds_take_applications_only_while_open(app) {
        let admin = app.admin().await;
        let fund = FundBuilder::new(&app, &admin).create().await;
        let closed = app.create_round(&admin, fund, round_body(&app, 60, -1)).await;
        let upcoming = app.create_round(&admin, fund, round_body(&app, -5, 30)).await;
        let Registered { token, .. } = app.register("SC000001", "aileen@example.org").await;
        app.as_(&token).post(&format!("/api/v1/rounds/{closed}/applications")).json(application_body()).send().await.assert_problem(409, "round_closed");
        app.as_(&token).post(&format!("/api/v1/rounds/{upcoming}/applications")).json(application_body()).send().await.assert_problem(404, "not_found");
        app.as_(&token).post("/api/v1/rounds/999/applications").json(application_body()).send().await.assert_problem(404, "not_found");
        app.as_(&admin).post(&format!("/api/v1/rounds/{closed}/applications")).json(application_body()).send().await.assert_problem(403, "forbidden");
    }
}

db_test! {
    async fn another_organisations_application_answers_404_on_every_route(app) {
        let OpenRound { admin, round, .. } = app.open_round().await;
        let Registered { token: ours, .. } = app.register("SC000001", "aileen@example.org").await;
        let Registered { organisation: theirs_org, token: theirs } = app.register("SC000002", "bob@example.org").await;
        let id = app.draft(&theirs, round, application_body()).await;
        let absent = app.as_(&ours).get("/api/v1/applications/999999").send().await;
        for (method, path) in [("GET", format!("/api/v1/applications/{id}")), ("PATCH", format!("/api/v1/applications/{id}")),
                               ("POST", format!("/api/v1/applications/{id}/submit")), ("POST", format!("/api/v1/applications/{id}/withdraw"))] {
            let body = json!({"title": "Mine now"});
            let reply = app.as_(&ours).request(method, &path).json(&body).send().await;
            reply.assert_problem(404, "not_found");
            assert_eq!(reply.json["detail"], absent.json["detail"], "{method} {path} looks exactly like an absent one");
        }
        let listed = app.as_(&ours).get(&format!("/api/v1/applications?organisation_id={theirs_org}")).send().await;
        assert_eq!(listed.json["total"], 0);
        let untouched = app.as_(&admin).get(&format!("/api/v1/applications/{id}")).send().await;
        assert_eq!(untouched.json["status"], "draft");
        assert_eq!(untouched.json["title"], "Peer support for new mums in Fife");
    }
}

db_test! {
    async fn administrators_read_every_application_officials_none(app) {
        let OpenRound { admin, fund, round } = app.open_round().await;
        let other_round = app.create_round(&admin, fund, round_body(&app, 1, 10)).await;
        let Registered { organisation: first_org, token: first } = app.register("SC000001", "aileen@example.org").await;
        let Registered { token: second, .. } = app.register("SC000002", "bob@example.org").await;
        let a = app.draft(&first, round, application_body()).await;
        let b = app.draft(&second, round, application_body()).await;
        let c = app.draft(&first, other_round, application_body()).await;
        app.as_(&second).post(&format!("/api/v1/applications/{b}/submit")).json(json!({})).send().await;

        let ids = |reply: Reply| -> Vec<i64> { reply.json["items"].as_array().unwrap().iter().map(|r| r["id"].as_i64().unwrap()).collect() };
        assert_eq!(ids(app.as_(&admin).get("/api/v1/applications").send().await), [c, b, a], "newest first");
        assert_eq!(ids(app.as_(&admin).get(&format!("/api/v1/applications?round_id={round}")).send().await), [b, a]);
        assert_eq!(ids(app.as_(&admin).get("/api/v1/applications?status=submitted").send().await), [b]);
        assert_eq!(ids(app.as_(&admin).get(&format!("/api/v1/applications?organisation_id={first_org}&status=draft")).send().await), [c, a]);
        assert_eq!(ids(app.as_(&first).get("/api/v1/applications").send().await), [c, a]);
        assert_eq!(app.as_(&admin).get(&format!("/api/v1/applications/{b}")).send().await.json["status"], "submitted");

        let official = app.staff(Role::Official).await;
        app.as_(&official).get("/api/v1/applications").send().await.assert_problem(403, "forbidden");
        app.as_(&official).get(&format!("/api/v1/applications/{a}")).send().await.assert_problem(403, "forbidden");
        let assessor = app.staff(Role::Assessor).await;
        app.as_(&assessor).get(&format!("/api/v1/applications/{a}")).send().await.assert_problem(404, "not_found");
        for token in [&admin, &official, &assessor] {
            app.as_(token).patch(&format!("/api/v1/applications/{a}")).json(json!({"title": "x"})).send().await.assert_problem(403, "forbidden");
            app.as_(token).post(&format!("/api/v1/applications/{a}/submit")).json(json!({})).send().await.assert_problem(403, "forbidden");
            app.as_(token).post(&format!("/api/v1/applications/{a}/withdraw")).json(json!({})).send().await.assert_problem(403, "forbidden");
        }
        app.anonymous().get("/api/v1/applications").send().await.assert_problem(401, "missing_token");
        app.as_(&admin).get("/api/v1/applications?status=pending").send().await.assert_problem(400, "invalid_query");
    }
}

db_test! {
    async fn application_lists_are_paged_and_bounded(app) {
        let admin = app.admin().await;
        let fund = FundBuilder::new(&app, &admin).create().await;
        let Registered { token, .. } = app.register("SC000001", "aileen@example.org").await;
        for _ in 0..3 {
            let round = app.create_round(&admin, fund, round_body(&app, 1, 10)).await;
            app.draft(&token, round, json!({"title": "A project"})).await;
        }
        let reply = app.as_(&token).get("/api/v1/applications?per_page=101").send().await;
        reply.assert_problem(422, "validation_failed");
        assert_eq!(reply.error_fields(), ["per_page"]);
        app.as_(&token).get("/api/v1/applications?per_page=0").send().await.assert_problem(422, "validation_failed");
        app.as_(&token).get("/api/v1/applications?page=0").send().await.assert_problem(422, "validation_failed");
        let page = app.as_(&token).get("/api/v1/applications?per_page=2&page=2").send().await;
        assert_eq!(page.json["total"], 3);
        assert_eq!(page.json["page"], 2);
        assert_eq!(page.json["per_page"], 2);
        assert_eq!(page.json["items"].as_array().unwrap().len(), 1);
        assert_eq!(app.as_(&token).get("/api/v1/applications?per_page=100").send().await.json["items"].as_array().unwrap().len(), 3);
    }
}
