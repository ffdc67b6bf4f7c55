//! Rounds and criteria: published once open, fixed once open except for a later closing time and
//! guidance, criteria frozen once scoring starts.

use serde_json::json;

use grantfund::domain::vocabulary::Role;

use crate::db_test;
use crate::support::*;

db_test! {
    async fn a_round_funds_only_years_of_its_fund_and_every_bad_field_is_reported(app) {
        let admin = app.admin().await;
        let fund = FundBuilder::new(&app, &admin).create().await;
        let mut body = round_body(&app, 1, 30);
        body["financial_years"] = json!(["2021-22", "2023-24", "2021-22", "2021-23"]);
        body["closes_at"] = json!("2020-01-01T00:00:00Z");
        body["min_request"] = json!("70000.00");
        body["component"] = json!("seed");
        body["assessments_required"] = json!(0);
        body["return_frequency"] = json!("monthly");
        let reply = app.as_(&admin).post(&format!("/api/v1/funds/{fund}/rounds")).json(body).send().await;
        reply.assert_problem(422, "validation_failed");
        assert_eq!(reply.error_fields(), ["component", "closes_at", "financial_years[1]", "financial_years[2]", "financial_years[3]", "min_request", "assessments_required", "return_frequency"]);

        let mut body = round_body(&app, 1, 30);
        body["opens_at"] = json!("10 January 2021");
        body["max_applicant_income"] = json!("250000.001");
        let reply = app.as_(&admin).post(&format!("/api/v1/funds/{fund}/rounds")).json(body).send().await;
        assert_eq!(reply.error_fields(), ["opens_at", "max_applicant_income"]);

        app.as_(&admin).post("/api/v1/funds/999/rounds").json(round_body(&app, 1, 30)).send().await.assert_problem(404, "not_found");
        let official = app.staff(Role::Official).await;
        app.as_(&official).post(&format!("/api/v1/funds/{fund}/rounds")).json(round_body(&app, 1, 30)).send().await.assert_problem(403, "forbidden");

        let mut body = round_body(&app, 1, 30);
        body.as_object_mut().unwrap().remove("assessments_required");
        body["max_applicant_income"] = json!("250000");
        body["guidance"] = json!("Read the guidance notes.");
        let reply = app.as_(&admin).post(&format!("/api/v1/funds/{fund}/rounds")).json(body).send().await;
        assert_eq!(reply.status.as_u16(), 201, "{}", reply.text);
        assert_eq!(reply.json["assessments_required"], 2, "two assessments unless the round says otherwise");
        assert_eq!(reply.json["max_applicant_income"], "250000.00");
        assert_eq!(reply.json["financial_years"], json!(["2021-22", "2022-23"]));
        assert_eq!(reply.json["status"], "open");
        assert_eq!(reply.json["criteria_frozen"], false);
        assert_eq!(app.audit_actions(&admin, "round", reply.json["id"].as_i64().unwrap()).await, ["created"]);
    }
}

db_test! {
    async fn the_public_lists_open_rounds_and_staff_see_every_round(app) {
        let admin = app.admin().await;
        let fund = FundBuilder::new(&app, &admin).create().await;
        let upcoming = app.create_round(&admin, fund, round_body(&app, -10, 40)).await;
        let open = app.create_round(&admin, fund, round_body(&app, 1, 30)).await;
        let closed = app.create_round(&admin, fund, round_body(&app, 60, -30)).await;
        let mut innovation = round_body(&app, 2, 20);
        innovation["component"] = json!("innovation");
        let open_innovation = app.create_round(&admin, fund, innovation).await;

        let ids = |reply: &Reply| -> Vec<i64> { reply.json["items"].as_array().unwrap().iter().map(|r| r["id"].as_i64().unwrap()).collect() };
        let public = app.anonymous().get("/api/v1/rounds").send().await;
        assert_eq!(public.status.as_u16(), 200, "{}", public.text);
        assert_eq!(ids(&public), [open_innovation, open], "open rounds, soonest closing first");
        let Registered { token: applicant, .. } = app.register("SC000001", "aileen@example.org").await;
        assert_eq!(ids(&app.as_(&applicant).get("/api/v1/rounds").send().await), [open_innovation, open]);
        assert_eq!(ids(&app.anonymous().get("/api/v1/rounds?component=core").send().await), [open]);
        assert_eq!(ids(&app.anonymous().get(&format!("/api/v1/rounds?fund_id={fund}&status=closed")).send().await), [closed]);
        assert_eq!(ids(&app.anonymous().get("/api/v1/rounds?status=upcoming").send().await), Vec::<i64>::new(), "unpublished rounds stay hidden");
        assert_eq!(ids(&app.anonymous().get("/api/v1/rounds?fund_id=999").send().await), Vec::<i64>::new());

        let official = app.staff(Role::Official).await;
        assert_eq!(ids(&app.as_(&official).get("/api/v1/rounds").send().await), [closed, open_innovation, open, upcoming]);
        assert_eq!(ids(&app.as_(&admin).get("/api/v1/rounds?status=upcoming").send().await), [upcoming]);

        assert_eq!(app.anonymous().get(&format!("/api/v1/rounds/{open}")).send().await.json["status"], "open");
        assert_eq!(app.anonymous().get(&format!("/api/v1/rounds/{closed}")).send().await.json["status"], "closed");
        app.anonymous().get(&format!("/api/v1/rounds/{upcoming}")).send().await.assert_problem(404, "not_found");
        app.as_(&applicant).get(&format!("/api/v1/rounds/{upcoming}")).send().await.assert_problem(404, "not_found");
        assert_eq!(app.as_(&admin).get(&format!("/api/v1/rounds/{upcoming}")).send().await.json["status"], "upcoming");
        app.as_("not-a-token").get("/api/v1/rounds").send().await.assert_problem(401, "invalid_token");
        app.anonymous().get("/api/v1/rounds?status=ajar").send().await.assert_problem(400, "invalid_query");
        app.anonymous().get("/api/v1/rounds?per_page=101").send().await.assert_problem(422, "validation_failed");

        // Time moves: the upcoming round opens.
        app.clock.advance(chrono::Duration::days(11));
        assert!(ids(&app.anonymous().get("/api/v1/rounds").send().await).contains(&upcoming));
    }
}

db_test! {
    async fn once_open_only_a_later_closing_time_and_guidance_may_change(app) {
        let admin = app.admin().await;
        let fund = FundBuilder::new(&app, &admin).create().await;
        let upcoming = app.create_round(&admin, fund, round_body(&app, -10, 40)).await;
        let reply = app.as_(&admin).patch(&format!("/api/v1/rounds/{upcoming}")).json(json!({"name": "Core round", "financial_years": ["2022-23"], "max_request": "50000"})).send().await;
        assert_eq!(reply.status.as_u16(), 200, "before opening anything may change: {}", reply.text);
        assert_eq!(reply.json["financial_years"], json!(["2022-23"]));

        let open = app.create_round(&admin, fund, round_body(&app, 1, 30)).await;
        let path = format!("/api/v1/rounds/{open}");
        let before = app.as_(&admin).get(&path).send().await.json;
        for patch in [json!({"name": "Renamed"}), json!({"max_request": "70000.00"}), json!({"financial_years": ["2021-22"]}),
                      json!({"opens_at": "2020-01-01T00:00:00Z"}), json!({"max_applicant_income": "1.00"}), json!({"assessments_required": 3})] {
            let reply = app.as_(&admin).patch(&path).json(patch.clone()).send().await;
            reply.assert_problem(409, "round_open");
        }
        let earlier = (chrono::DateTime::parse_from_rfc3339(before["closes_at"].as_str().unwrap()).unwrap() - chrono::Duration::hours(1)).to_rfc3339();
        let reply = app.as_(&admin).patch(&path).json(json!({"closes_at": earlier})).send().await;
        reply.assert_problem(409, "round_open");
        assert!(reply.json["detail"].as_str().unwrap().contains("not earlier"));

        // Sending the current values back unchanged is not a change.
        let same = app.as_(&admin).patch(&path).json(json!({"name": before["name"], "max_request": before["max_request"]})).send().await;
        assert_eq!(same.status.as_u16(), 200, "{}", same.text);

        let later = (chrono::DateTime::parse_from_rfc3339(before["closes_at"].as_str().unwrap()).unwrap() + chrono::Duration::days(7)).to_rfc3339();
        let reply = app.as_(&admin).patch(&path).json(json!({"closes_at": later, "guidance": "Extended by a week."})).send().await;
        assert_eq!(reply.status.as_u16(), 200, "{}", reply.text);
        assert_eq!(reply.json["guidance"], "Extended by a week.");
        assert_eq!(reply.json["name"], before["name"]);
        let actions = app.audit_actions(&admin, "round", open).await;
        assert_eq!(actions, ["created", "updated", "updated"]);
        let official = app.staff(Role::Official).await;
        app.as_(&official).patch(&path).json(json!({"guidance": "x"})).send().await.assert_problem(403, "forbidden");
        app.as_(&admin).patch("/api/v1/rounds/999").json(json!({"guidance": "x"})).send().await.assert_problem(404, "not_found");
    }
}

db_test! {
    async fn administrators_keep_criteria_until_the_first_score_freezes_them(app) {
        let OpenRound { admin, round, .. } = app.open_round().await;
        let path = format!("/api/v1/rounds/{round}/criteria");
        let reply = app.as_(&admin).post(&path).json(json!({"name": "", "weight": "0", "max_score": 0})).send().await;
        reply.assert_problem(422, "validation_failed");
        assert_eq!(reply.error_fields(), ["name", "weight", "max_score"]);
        for (weight, max_score) in [("-0.4", 5), ("0.40001", 5), ("abc", 101), ("0.4", -1)] {
            let reply = app.as_(&admin).post(&path).json(json!({"name": "Need", "weight": weight, "max_score": max_score})).send().await;
            reply.assert_problem(422, "validation_failed");
        }
        let need = app.as_(&admin).post(&path).json(json!({"name": "Need and reach", "guidance": "Who is reached?", "weight": "0.40", "max_score": 5})).send().await;
        assert_eq!(need.status.as_u16(), 201, "{}", need.text);
        assert_eq!(need.json["weight"], "0.40");
        let need = need.json["id"].as_i64().unwrap();
        let quality = app.as_(&admin).post(&path).json(json!({"name": "Quality", "weight": "0.6", "max_score": 10})).send().await.json["id"].as_i64().unwrap();
        let spare = app.as_(&admin).post(&path).json(json!({"name": "Spare", "weight": "1", "max_score": 100})).send().await.json["id"].as_i64().unwrap();

        let reply = app.as_(&admin).patch(&format!("/api/v1/criteria/{quality}")).json(json!({"weight": "0.125", "guidance": null})).send().await;
        assert_eq!(reply.status.as_u16(), 200, "{}", reply.text);
        assert_eq!(reply.json["weight"], "0.125");
        assert_eq!(app.as_(&admin).delete(&format!("/api/v1/criteria/{spare}")).send().await.status.as_u16(), 204);
        app.as_(&admin).delete(&format!("/api/v1/criteria/{spare}")).send().await.assert_problem(404, "not_found");

        // Criteria of an open round are public.
        let public = app.anonymous().get(&path).send().await;
        assert_eq!(public.status.as_u16(), 200, "{}", public.text);
        let names: Vec<&str> = public.json["items"].as_array().unwrap().iter().map(|c| c["name"].as_str().unwrap()).collect();
        assert_eq!(names, ["Need and reach", "Quality"]);

        let Registered { token: applicant, .. } = app.register("SC000001", "aileen@example.org").await;
        app.as_(&applicant).post(&path).json(json!({"name": "Mine", "weight": "1", "max_score": 5})).send().await.assert_problem(403, "forbidden");
        app.as_(&applicant).delete(&format!("/api/v1/criteria/{need}")).send().await.assert_problem(403, "forbidden");

        // The first saved score freezes them (the assessment part of the cycle calls this).
        let now = app.clock_now();
        app.state.db.run(move |conn| grantfund::rounds::service::freeze_criteria(conn, round, now)).await.unwrap();
        app.as_(&admin).post(&path).json(json!({"name": "Late", "weight": "1", "max_score": 5})).send().await.assert_problem(409, "criteria_frozen");
        app.as_(&admin).patch(&format!("/api/v1/criteria/{need}")).json(json!({"name": "Changed"})).send().await.assert_problem(409, "criteria_frozen");
        app.as_(&admin).delete(&format!("/api/v1/criteria/{need}")).send().await.assert_problem(409, "criteria_frozen");
        assert_eq!(app.as_(&admin).get(&format!("/api/v1/rounds/{round}")).send().await.json["criteria_frozen"], true);
        assert_eq!(app.anonymous().get(&path).send().await.json["total"], 2, "nothing changed");
        assert_eq!(app.audit_actions(&admin, "criterion", spare).await, ["created", "deleted"]);
        assert_eq!(app.audit_actions(&admin, "criterion", quality).await, ["created", "updated"]);
    }
}

db_test! {
    async fn criteria_of_an_unpublished_round_are_hidden_from_the_public(app) {
        let admin = app.admin().await;
        let fund = FundBuilder::new(&app, &admin).create().await;
        let upcoming = app.create_round(&admin, fund, round_body(&app, -10, 40)).await;
        let path = format!("/api/v1/rounds/{upcoming}/criteria");
        assert_eq!(app.as_(&admin).post(&path).json(json!({"name": "Need", "weight": "1", "max_score": 5})).send().await.status.as_u16(), 201);
        app.anonymous().get(&path).send().await.assert_problem(404, "not_found");
        assert_eq!(app.as_(&admin).get(&path).send().await.json["total"], 1);
    }
}
