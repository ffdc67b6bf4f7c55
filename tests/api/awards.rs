//! Decisions and awards: the annual cap under simultaneous decisions, the award's states, the
//! budget given back, instalments, idempotency keys.

use futures_util::future::join_all;
use serde_json::{Value, json};

use grantfund::domain::vocabulary::Role;

use crate::db_test;
use crate::support::*;

/// Each year as (year, committed, paid), to compare with literals.
fn years(budget: &[YearBudget]) -> Vec<(&str, &str, &str)> {
    budget
        .iter()
        .map(|y| (y.year.as_str(), y.committed.as_str(), y.paid.as_str()))
        .collect()
}

db_test! {
    async fn an_award_needs_a_verified_organisation_a_submitted_application_and_its_assessments(app) {
        let panel = Panel::new(&app, 1).await;
        let amounts = json!({"2021-22": "38000.00", "2022-23": "40000.00"});
        let Submitted { id: unverified, .. } = panel.submitted(&app, 1, false).await;
        panel.assess(&app, unverified).await;
        panel.award(&app, unverified, amounts.clone()).await.assert_problem(409, "organisation_not_verified");
        let Submitted { id: unassessed, applicant } = panel.submitted(&app, 2, true).await;
        panel.award(&app, unassessed, amounts.clone()).await.assert_problem(409, "assessments_incomplete");
        let draft = app.draft(&app.register("SC200003", "drafter@example.org").await.token, panel.round, application_body()).await;
        panel.award(&app, draft, amounts.clone()).await.assert_problem(409, "application_not_submitted");
        panel.award(&app, 999_999, amounts.clone()).await.assert_problem(404, "not_found");
        app.as_(&applicant).post(&format!("/api/v1/applications/{unassessed}/decision")).json(json!({"decision": "decline", "feedback": "x"})).send().await.assert_problem(403, "forbidden");

        let Submitted { id: ready, .. } = panel.ready(&app, 4).await;
        let bad = panel.award(&app, ready, json!({"2020-21": "1000.00", "2021-22": "40000.01", "2022-23": "0.00", "2023-2": "5"})).await;
        bad.assert_problem(422, "validation_failed");
        assert_eq!(bad.error_fields(), ["amounts.2020-21", "amounts.2021-22", "amounts.2022-23", "amounts.2023-2"]);
        let bad = panel.award(&app, ready, json!({"2021-22": "100.001"})).await;
        assert_eq!(bad.error_fields(), ["amounts.2021-22"]);
        let bad = app.as_(&panel.admin).post(&format!("/api/v1/applications/{ready}/decision")).json(json!({"decision": "award", "feedback": "no"})).send().await;
        assert_eq!(bad.error_fields(), ["feedback", "amounts"]);
        let bad = app.as_(&panel.admin).post(&format!("/api/v1/applications/{ready}/decision")).json(json!({"decision": "decline", "amounts": {}})).send().await;
        assert_eq!(bad.error_fields(), ["amounts", "feedback"]);

        panel.set_limit(&app, "2022-23", "1000000.00", false).await;
        let refused = panel.award(&app, ready, amounts.clone()).await;
        refused.assert_problem(409, "year_not_approved");
        assert_eq!(refused.error_fields(), ["amounts.2022-23"]);
        assert_eq!(years(&panel.budget(&app).await)[1], ("2021-22", "0.00", "0.00"), "nothing kept for the approved year");
        assert_eq!(app.as_(&panel.admin).get(&format!("/api/v1/applications/{ready}")).send().await.json["status"], "submitted");
    }
}

db_test! {
    async fn an_award_commits_every_year_and_a_declined_offer_gives_it_all_back(app) {
        let panel = Panel::new(&app, 1).await;
        let Submitted { id, applicant } = panel.ready(&app, 1).await;
        let Submitted { applicant: other, .. } = panel.ready(&app, 2).await;
        let made = panel.award(&app, id, json!({"2021-22": "38000.00", "2022-23": "40000.00"})).await;
        assert_eq!(made.status.as_u16(), 201, "{}", made.text);
        let award = &made.json["award"];
        assert_eq!(award["reference"], "PIMH-2021-0001");
        assert_eq!(award["status"], "offered");
        assert_eq!(award["total"], "78000.00");
        assert_eq!(award["amounts"], json!({"2021-22": "38000.00", "2022-23": "40000.00"}));
        assert_eq!(award["conditions"], "Report quarterly.");
        let award_id = award["id"].as_i64().unwrap();
        assert_eq!(years(&panel.budget(&app).await), [("2020-21", "0.00", "0.00"), ("2021-22", "38000.00", "0.00"), ("2022-23", "40000.00", "0.00")]);
        assert_eq!(app.as_(&applicant).get(&format!("/api/v1/applications/{id}")).send().await.json["status"], "awarded");
        panel.award(&app, id, json!({"2021-22": "1000.00"})).await.assert_problem(409, "already_decided");

        // The applicant sees their own award, another organisation does not.
        // A read of the award also lists its documents and variations (none yet); otherwise it
        // is the offer.
        let mut stored = app.as_(&applicant).get(&format!("/api/v1/awards/{award_id}")).send().await.json;
        assert_eq!(stored.as_object_mut().unwrap().remove("documents"), Some(json!([])));
        assert_eq!(stored.as_object_mut().unwrap().remove("variations"), Some(json!([])));
        assert_eq!(&stored, award, "the offer as answered is the award as stored");
        app.as_(&other).get(&format!("/api/v1/awards/{award_id}")).send().await.assert_problem(404, "not_found");
        app.as_(&other).post(&format!("/api/v1/awards/{award_id}/accept")).json(json!({})).send().await.assert_problem(404, "not_found");
        assert_eq!(app.as_(&other).get("/api/v1/awards").send().await.json["total"], 0);
        app.as_(&panel.admin).post(&format!("/api/v1/awards/{award_id}/accept")).json(json!({})).send().await.assert_problem(403, "forbidden");

        let declined = app.as_(&applicant).post(&format!("/api/v1/awards/{award_id}/decline")).json(json!({})).send().await;
        assert_eq!(declined.status.as_u16(), 200, "{}", declined.text);
        assert_eq!(declined.json["status"], "declined");
        assert!(declined.json["instalments"].as_array().unwrap().iter().all(|i| i["status"] == "cancelled"));
        assert_eq!(years(&panel.budget(&app).await)[1..], [("2021-22", "0.00", "0.00"), ("2022-23", "0.00", "0.00")]);
        app.as_(&applicant).post(&format!("/api/v1/awards/{award_id}/accept")).json(json!({})).send().await.assert_problem(409, "invalid_state");

        let letters: Vec<Value> = app.as_(&panel.admin).get("/api/v1/outbox?per_page=100").send().await.json["items"].as_array().unwrap().iter()
            .filter(|r| r["kind"] == "award_offered").cloned().collect();
        assert_eq!(letters.len(), 2, "to the organisation's contact and the submitting user");
        assert_eq!(app.audit_actions(&panel.admin, "award", award_id).await, ["offered", "declined"]);
        let fund_audit = app.audit_actions(&panel.admin, "fund", panel.fund).await;
        assert_eq!(fund_audit.iter().filter(|a| *a == "budget_committed").count(), 2);
        assert_eq!(fund_audit.iter().filter(|a| *a == "budget_returned").count(), 2);
        app.run_outbox().await;
        let mail = app.mails().into_iter().find(|m| m.contains("Grant offer PIMH-2021-0001")).expect("decision letter sent");
        assert!(mail.contains("2022-23: =C2=A340000.00") || mail.contains("2022-23: £40000.00"), "{mail}");
    }
}

db_test! {
    async fn instalments_are_released_in_order_once_and_termination_returns_what_was_not_paid(app) {
        let panel = Panel::new(&app, 1).await;
        let Submitted { id, applicant } = panel.ready(&app, 1).await;
        let award = panel.award(&app, id, json!({"2021-22": "38000.00", "2022-23": "40000.00"})).await.json["award"]["id"].as_i64().unwrap();
        let release = |year: &str| format!("/api/v1/awards/{award}/instalments/{year}/release");
        app.as_(&panel.admin).post(&release("2021-22")).json(json!({})).send().await.assert_problem(409, "award_not_accepted");
        let accepted = app.as_(&applicant).post(&format!("/api/v1/awards/{award}/accept")).json(json!({})).send().await;
        assert_eq!(accepted.json["status"], "accepted", "{}", accepted.text);
        assert!(accepted.json["responded_at"].is_string());

        app.as_(&panel.admin).post(&release("2022-23")).json(json!({})).send().await.assert_problem(409, "earlier_instalment_unpaid");
        app.as_(&panel.admin).post(&release("2020-21")).json(json!({})).send().await.assert_problem(404, "not_found");
        app.as_(&panel.admin).post(&release("2021-2")).json(json!({})).send().await.assert_problem(422, "validation_failed");
        app.as_(&applicant).post(&release("2021-22")).json(json!({})).send().await.assert_problem(403, "forbidden");
        // Nothing is paid to an organisation until a second person has checked its bank details.
        app.as_(&panel.admin).post(&release("2021-22")).json(json!({})).send().await.assert_problem(409, "bank_details_unverified");
        app.payable(&applicant, &panel.admin).await;
        // An administrator requests, and a finance user authorises, which pays.
        let requested = app.as_(&panel.admin).post(&release("2021-22")).json(json!({})).send().await;
        assert_eq!(requested.status.as_u16(), 200, "{}", requested.text);
        assert_eq!(requested.json["instalments"][0]["status"], "committed");
        assert_eq!(requested.json["paid"], "0.00");
        app.as_(&panel.admin).post(&release("2021-22")).json(json!({})).send().await.assert_problem(409, "already_requested");
        let finance = app.staff(Role::Finance).await;
        let authorise = format!("/api/v1/awards/{award}/instalments/2021-22/authorise");
        app.as_(&panel.admin).post(&authorise).json(json!({})).send().await.assert_problem(403, "forbidden");
        app.as_(&finance).post(&release("2021-22")).json(json!({})).send().await.assert_problem(403, "forbidden");
        app.as_(&finance).post(&format!("/api/v1/awards/{award}/instalments/2022-23/authorise")).json(json!({})).send().await.assert_problem(409, "release_not_requested");
        let authorised = app.as_(&finance).post(&authorise).json(json!({})).send().await;
        assert_eq!(authorised.status.as_u16(), 200, "{}", authorised.text);
        app.as_(&finance).post(&authorise).json(json!({})).send().await.assert_problem(409, "already_released");
        // Authorising queues the payment: nothing is paid until a run's line is marked paid.
        assert_eq!(authorised.json["paid"], "0.00");
        assert_eq!(authorised.json["instalments"][0]["status"], "authorised");
        assert_eq!(years(&panel.budget(&app).await)[1..], [("2021-22", "38000.00", "0.00"), ("2022-23", "40000.00", "0.00")]);
        let paid = app.pay(&finance, award, "2021-22").await;
        assert_eq!(paid.status.as_u16(), 200, "{}", paid.text);
        assert_eq!(paid.json["paid"], "38000.00");
        assert_eq!(paid.json["instalments"][0]["status"], "released");
        app.as_(&panel.admin).post(&release("2021-22")).json(json!({})).send().await.assert_problem(409, "already_released");
        assert_eq!(years(&panel.budget(&app).await)[1..], [("2021-22", "38000.00", "38000.00"), ("2022-23", "40000.00", "0.00")]);

        app.as_(&panel.admin).post(&format!("/api/v1/awards/{award}/terminate")).json(json!({"reason": " "})).send().await.assert_problem(422, "validation_failed");
        let ended = app.as_(&panel.admin).post(&format!("/api/v1/awards/{award}/terminate")).json(json!({"reason": "The service closed in March."})).send().await;
        assert_eq!(ended.status.as_u16(), 200, "{}", ended.text);
        assert_eq!(ended.json["status"], "terminated");
        assert_eq!(ended.json["end_reason"], "The service closed in March.");
        let statuses: Vec<&str> = ended.json["instalments"].as_array().unwrap().iter().map(|i| i["status"].as_str().unwrap()).collect();
        assert_eq!(statuses, ["released", "cancelled"]);
        assert_eq!(years(&panel.budget(&app).await)[1..], [("2021-22", "38000.00", "38000.00"), ("2022-23", "0.00", "0.00")], "only the unpaid year is given back");
        app.as_(&panel.admin).post(&format!("/api/v1/awards/{award}/terminate")).json(json!({"reason": "Again."})).send().await.assert_problem(409, "invalid_state");
        app.as_(&panel.admin).post(&release("2022-23")).json(json!({})).send().await.assert_problem(409, "award_not_accepted");

        assert_eq!(app.audit_actions(&panel.admin, "award", award).await, ["offered", "accepted", "returns_scheduled", "release_requested", "release_authorised", "instalment_released", "terminated"]);
        let kinds: Vec<String> = app.as_(&panel.admin).get("/api/v1/outbox?per_page=100").send().await.json["items"].as_array().unwrap().iter().map(|r| r["kind"].as_str().unwrap().to_owned()).collect();
        assert_eq!(kinds.iter().filter(|k| *k == "award_accepted").count(), 2);
        assert_eq!(kinds.iter().filter(|k| *k == "award_terminated").count(), 2);
    }
}

db_test! {
    async fn a_declined_application_carries_the_panels_feedback_to_the_applicant(app) {
        let panel = Panel::new(&app, 2).await;
        let Submitted { id, applicant } = panel.submitted(&app, 1, false).await;
        let reply = app.as_(&panel.admin).post(&format!("/api/v1/applications/{id}/decision")).json(json!({"decision": "decline", "feedback": "The panel could not see how families would be referred."})).send().await;
        assert_eq!(reply.status.as_u16(), 200, "{}", reply.text);
        assert_eq!(reply.json["status"], "declined");
        let seen = app.as_(&applicant).get(&format!("/api/v1/applications/{id}")).send().await;
        assert_eq!(seen.json["decision_feedback"], "The panel could not see how families would be referred.");
        assert!(seen.json["decided_at"].is_string());
        app.as_(&panel.admin).post(&format!("/api/v1/applications/{id}/decision")).json(json!({"decision": "decline", "feedback": "Again."})).send().await.assert_problem(409, "already_decided");
        let letters = app.as_(&panel.admin).get("/api/v1/outbox?per_page=100").send().await.json["items"].as_array().unwrap().iter().filter(|r| r["kind"] == "application_declined").count();
        assert_eq!(letters, 2);
        assert!(app.audit_actions(&panel.admin, "application", id).await.contains(&"declined".to_owned()));
    }
}

db_test! {
    async fn an_idempotency_key_gives_the_first_answer_and_refuses_another_request(app) {
        let panel = Panel::new(&app, 1).await;
        let Submitted { id, applicant } = panel.ready(&app, 1).await;
        let path = format!("/api/v1/applications/{id}/decision");
        let body = json!({"decision": "award", "amounts": {"2021-22": "38000.00"}});
        let send = |key: &'static str, body: Value, token: String, path: String| {
            let app = &app;
            async move { app.as_(&token).post(&path).header("Idempotency-Key", key).json(&body).send().await }
        };
        // Eight copies at once: one decides, all answer the same.
        let replies = join_all((0..8).map(|_| send("decide-41", body.clone(), panel.admin.clone(), path.clone()))).await;
        for reply in &replies {
            assert_eq!(reply.status.as_u16(), 201, "{}", reply.text);
            assert_eq!(reply.json, replies[0].json);
        }
        assert_eq!(app.as_(&panel.admin).get("/api/v1/awards").send().await.json["total"], 1);
        assert_eq!(years(&panel.budget(&app).await)[1], ("2021-22", "38000.00", "0.00"));
        let again = send("decide-41", body.clone(), panel.admin.clone(), path.clone()).await;
        assert_eq!(again.json, replies[0].json);
        send("decide-41", json!({"decision": "award", "amounts": {"2021-22": "1.00"}}), panel.admin.clone(), path.clone()).await.assert_problem(422, "idempotency_key_reused");
        // Without the key the retry is a new decision, and is refused.
        app.as_(&panel.admin).post(&path).json(body.clone()).send().await.assert_problem(409, "already_decided");
        app.as_(&panel.admin).post(&path).header("Idempotency-Key", "has space").json(&body).send().await.assert_problem(400, "invalid_idempotency_key");

        let award = replies[0].json["award"]["id"].as_i64().unwrap();
        let accept = format!("/api/v1/awards/{award}/accept");
        let first = send("accept-1", json!({}), applicant.clone(), accept.clone()).await;
        let second = send("accept-1", json!({}), applicant.clone(), accept.clone()).await;
        assert_eq!(first.status.as_u16(), 200, "{}", first.text);
        assert_eq!(second.status.as_u16(), 200, "{}", second.text);
        assert_eq!(first.json, second.json);
        assert_eq!(app.audit_actions(&panel.admin, "award", award).await, ["offered", "accepted", "returns_scheduled"]);
        // Keys belong to their user: the same key from someone else is their own.
        let Submitted { id: other, .. } = panel.ready(&app, 2).await;
        let reply = app.as_(&panel.admin).post(&format!("/api/v1/applications/{other}/decision")).header("Idempotency-Key", "accept-1").json(json!({"decision": "decline", "feedback": "No."})).send().await;
        assert_eq!(reply.status.as_u16(), 200, "{}", reply.text);
    }
}

/// An app that lets this one test client sign in as many organisations as it needs.
async fn many_clients(backend: Backend) -> Option<TestApp> {
    TestApp::spawn_with(backend, |s| s.auth_attempts_per_client_per_minute = 10_000).await
}

/// Fires one award decision per application at once; gives the replies.
async fn decide_at_once(app: &TestApp, panel: &Panel, ids: &[i64], amounts: Value) -> Vec<Reply> {
    join_all(ids.iter().map(|id| panel.award(app, *id, amounts.clone()))).await
}

db_test! {
    async fn simultaneous_decisions_never_commit_more_than_a_years_limit(backend: Backend) {
        let Some(app) = many_clients(backend).await else { return };
        const N: usize = 32;
        const K: usize = 10;
        let panel = Panel::new(&app, 1).await;
        panel.set_limit(&app, "2021-22", &format!("{}.00", K * 10_000), true).await;
        let mut ids = Vec::new();
        for n in 0..N {
            ids.push(panel.ready(&app, n).await.id);
        }
        let replies = decide_at_once(&app, &panel, &ids, json!({"2021-22": "10000.00"})).await;
        let won: Vec<&Reply> = replies.iter().filter(|r| r.status.as_u16() == 201).collect();
        let lost: Vec<&Reply> = replies.iter().filter(|r| r.status.as_u16() != 201).collect();
        assert_eq!(won.len(), K, "exactly K fit");
        for reply in &lost {
            reply.assert_problem(409, "fund_limit_exceeded");
            assert_eq!(reply.json["detail"], "2021-22: remaining 0.00, asked 10000.00");
        }
        assert_eq!(years(&panel.budget(&app).await)[1], ("2021-22", "100000.00", "0.00"));
        let mut references: Vec<String> = won.iter().map(|r| r.json["award"]["reference"].as_str().unwrap().to_owned()).collect();
        references.sort();
        let expected: Vec<String> = (1..=K).map(|n| format!("PIMH-2021-{n:04}")).collect();
        assert_eq!(references, expected, "unique and without gaps");
        let undecided = app.as_(&panel.admin).get(&format!("/api/v1/applications?status=submitted&round_id={}&per_page=100", panel.round)).send().await;
        assert_eq!(undecided.json["total"], N - K, "a refused award leaves its application submitted");
    }
}

db_test! {
    async fn when_one_year_is_short_simultaneous_multi_year_awards_commit_nothing_in_the_other(backend: Backend) {
        let Some(app) = many_clients(backend).await else { return };
        const N: usize = 32;
        const K: usize = 7;
        let panel = Panel::new(&app, 1).await;
        panel.set_limit(&app, "2022-23", &format!("{}.00", K * 12_000 + 5_000), true).await;
        let mut ids = Vec::new();
        for n in 0..N {
            ids.push(panel.ready(&app, n).await.id);
        }
        let replies = decide_at_once(&app, &panel, &ids, json!({"2021-22": "10000.00", "2022-23": "12000.00"})).await;
        let won = replies.iter().filter(|r| r.status.as_u16() == 201).count();
        assert_eq!(won, K);
        for reply in replies.iter().filter(|r| r.status.as_u16() != 201) {
            reply.assert_problem(409, "fund_limit_exceeded");
            assert_eq!(reply.error_fields(), ["amounts.2022-23"], "only the short year is named");
        }
        assert_eq!(
            years(&panel.budget(&app).await)[1..],
            [("2021-22", &*format!("{}.00", K * 10_000), "0.00"), ("2022-23", &*format!("{}.00", K * 12_000), "0.00")],
            "the roomy year holds only the awards that were made"
        );
        // Terminating one offer makes room for exactly one more.
        let first = replies.iter().find(|r| r.status.as_u16() == 201).unwrap();
        let award = first.json["award"]["id"].as_i64().unwrap();
        app.as_(&panel.admin).post(&format!("/api/v1/awards/{award}/terminate")).json(json!({"reason": "Withdrawn at the organisation's request."})).send().await;
        let rest: Vec<i64> = ids.iter().copied().filter(|id| {
            replies.iter().zip(&ids).any(|(r, i)| i == id && r.status.as_u16() != 201)
        }).collect();
        let again = decide_at_once(&app, &panel, &rest, json!({"2021-22": "10000.00", "2022-23": "12000.00"})).await;
        assert_eq!(again.iter().filter(|r| r.status.as_u16() == 201).count(), 1);
        assert_eq!(years(&panel.budget(&app).await)[2], ("2022-23", &*format!("{}.00", K * 12_000), "0.00"));
    }
}

db_test! {
    async fn awards_are_listed_by_fund_year_status_and_organisation(app) {
        let panel = Panel::new(&app, 1).await;
        let Submitted { id: a, applicant } = panel.ready(&app, 1).await;
        let Submitted { id: b, .. } = panel.ready(&app, 2).await;
        let first = panel.award(&app, a, json!({"2021-22": "10000.00"})).await.json["award"].clone();
        panel.award(&app, b, json!({"2022-23": "12000.00"})).await;
        app.as_(&applicant).post(&format!("/api/v1/awards/{}/accept", first["id"])).json(json!({})).send().await;
        let count = |query: &str| {
            let app = &app;
            let admin = panel.admin.clone();
            let query = query.to_owned();
            async move { app.as_(&admin).get(&format!("/api/v1/awards?{query}")).send().await.json["total"].as_i64().unwrap() }
        };
        assert_eq!(count("").await, 2);
        assert_eq!(count("financial_year=2021-22").await, 1);
        assert_eq!(count("status=accepted").await, 1);
        assert_eq!(count(&format!("organisation_id={}", first["organisation_id"])).await, 1);
        assert_eq!(count(&format!("fund_id={}", panel.fund)).await, 2);
        assert_eq!(count("fund_id=999").await, 0);
        // The second award starts in 2022-23, so its sequence starts again.
        let references: Vec<String> = app.as_(&panel.admin).get("/api/v1/awards").send().await.json["items"].as_array().unwrap().iter().map(|a| a["reference"].as_str().unwrap().to_owned()).collect();
        assert_eq!(references, ["PIMH-2022-0001", "PIMH-2021-0001"]);
        app.as_(&panel.admin).get("/api/v1/awards?financial_year=2021-23").send().await.assert_problem(400, "invalid_query");
        assert_eq!(app.as_(&app.staff(Role::Official).await).get("/api/v1/awards").send().await.json["total"], 2);
        app.as_(&panel.assessor.token).get("/api/v1/awards").send().await.assert_problem(403, "forbidden");
        assert_eq!(app.as_(&applicant).get("/api/v1/awards").send().await.json["total"], 1);
    }
}

db_test! {
    async fn two_instances_on_one_database_share_the_cap(backend: Backend) {
        const N: usize = 32;
        const K: usize = 9;
        let Some(app) = many_clients(backend).await else { return };
        let other = app.second_instance().await;
        let panel = Panel::new(&app, 1).await;
        panel.set_limit(&app, "2021-22", &format!("{}.00", K * 10_000), true).await;
        let mut ids = Vec::new();
        for n in 0..N {
            ids.push(panel.ready(&app, n).await.id);
        }
        let amounts = json!({"2021-22": "10000.00"});
        let paths: Vec<String> = ids.iter().map(|id| format!("/api/v1/applications/{id}/decision")).collect();
        let replies = join_all(paths.iter().enumerate().map(|(i, path)| {
            let instance = if i % 2 == 0 { &app } else { &other };
            instance.as_(&panel.admin).post(path).json(json!({"decision": "award", "amounts": amounts})).send()
        }))
        .await;
        assert_eq!(replies.iter().filter(|r| r.status.as_u16() == 201).count(), K);
        for reply in replies.iter().filter(|r| r.status.as_u16() != 201) {
            reply.assert_problem(409, "fund_limit_exceeded");
        }
        assert_eq!(years(&panel.budget(&other).await)[1], ("2021-22", "90000.00", "0.00"));
    }
}

db_test! {
    async fn a_refused_award_gives_each_short_years_figures_as_fields(app) {
        let panel = Panel::new(&app, 1).await;
        panel.set_limit(&app, "2021-22", "30000.00", true).await;
        panel.set_limit(&app, "2022-23", "15000.00", true).await;
        let Submitted { id: first, .. } = panel.ready(&app, 1).await;
        let Submitted { id: second, .. } = panel.ready(&app, 2).await;
        let made = panel.award(&app, first, json!({"2021-22": "20000.00", "2022-23": "10000.00"})).await;
        assert_eq!(made.status.as_u16(), 201, "{}", made.text);

        let refused = panel.award(&app, second, json!({"2021-22": "15000.00", "2022-23": "8000.00"})).await;
        refused.assert_problem(409, "fund_limit_exceeded");
        assert_eq!(
            refused.json["years"],
            json!([
                {"financial_year": "2021-22", "limit": "30000.00", "remaining": "10000.00", "asked": "15000.00"},
                {"financial_year": "2022-23", "limit": "15000.00", "remaining": "5000.00", "asked": "8000.00"},
            ]),
            "{}", refused.text
        );
        assert_eq!(refused.error_fields(), ["amounts.2021-22", "amounts.2022-23"]);
        assert_eq!(refused.json["detail"], "2021-22: remaining 10000.00, asked 15000.00; 2022-23: remaining 5000.00, asked 8000.00");

        // A year that fits is not listed; nothing was committed.
        let one = panel.award(&app, second, json!({"2021-22": "10000.00", "2022-23": "5000.01"})).await;
        one.assert_problem(409, "fund_limit_exceeded");
        assert_eq!(
            one.json["years"],
            json!([{"financial_year": "2022-23", "limit": "15000.00", "remaining": "5000.00", "asked": "5000.01"}])
        );
        assert_eq!(years(&panel.budget(&app).await)[1..], [("2021-22", "20000.00", "0.00"), ("2022-23", "10000.00", "0.00")]);

        // Other conflicts carry no years.
        let again = panel.award(&app, first, json!({"2021-22": "1.00"})).await;
        assert_eq!(again.status.as_u16(), 409, "{}", again.text);
        assert!(again.json.get("years").is_none(), "{}", again.text);
    }
}

db_test! {
    async fn two_people_pay_every_instalment_whatever_the_client_sends(app) {
        let panel = Panel::new(&app, 1).await;
        let Submitted { id, applicant } = panel.ready(&app, 1).await;
        let award = panel.award(&app, id, json!({"2021-22": "38000.00"})).await.json["award"]["id"].as_i64().unwrap();
        app.as_(&applicant).post(&format!("/api/v1/awards/{award}/accept")).json(json!({})).send().await;
        app.payable(&applicant, &panel.admin).await;
        let path = format!("/api/v1/awards/{award}/instalments/2021-22");

        // An administrator who requested, then was made finance, cannot authorise it; nor can
        // the award's decider; forged fields in the body change nothing, on another instance too.
        let admin_email = format!("both-{}@fund.example.org", uuid::Uuid::new_v4().simple());
        let both_id = app.create_user(Role::Administrator, &admin_email, None).await;
        let both = app.token(&admin_email).await;
        let requested = app.as_(&both).post(&format!("{path}/release")).json(json!({"requested_by": 1})).send().await;
        assert_eq!(requested.status.as_u16(), 200, "{}", requested.text);
        let made_finance = app.as_(&panel.admin).patch(&format!("/api/v1/users/{both_id}")).json(json!({"role": "finance"})).send().await;
        assert_eq!(made_finance.status.as_u16(), 200, "{}", made_finance.text);
        let both = app.token(&admin_email).await;
        let other = app.second_instance().await;
        other.as_(&both).post(&format!("{path}/authorise")).json(json!({"authorised_by": 1, "requested_by": 2})).send().await.assert_problem(409, "same_person");
        let me = app.as_(&panel.admin).get("/api/v1/me").send().await.json["user"]["id"].as_i64().unwrap();
        // The decider is the panel's administrator: made finance, they are refused too.
        let second_admin = app.admin().await;
        let made = app.as_(&second_admin).patch(&format!("/api/v1/users/{me}")).json(json!({"role": "finance"})).send().await;
        assert_eq!(made.status.as_u16(), 200, "{}", made.text);
        let decider = app.token(made.json["email"].as_str().unwrap()).await;
        app.as_(&decider).post(&format!("{path}/authorise")).json(json!({})).send().await.assert_problem(409, "same_person");
        let unpaid = app.as_(&second_admin).get(&format!("/api/v1/awards/{award}")).send().await;
        assert_eq!(unpaid.json["paid"], "0.00", "{}", unpaid.text);

        // The database refuses the requester as authoriser, whatever reaches it.
        let now = app.clock_now();
        let forged = app.state.db.run(move |conn| {
            use diesel::prelude::*;
            use grantfund::db::schema::release_requests;
            Ok::<_, grantfund::error::ApiError>(diesel::update(release_requests::table)
                .set((release_requests::authorised_by.eq(Some(both_id)), release_requests::authorised_at.eq(Some(now))))
                .execute(conn))
        }).await.unwrap();
        assert!(forged.is_err(), "the CHECK constraint refuses it: {forged:?}");

        // A third person authorises, on the other instance.
        let finance = other.staff(Role::Finance).await;
        let authorised = other.as_(&finance).post(&format!("{path}/authorise")).json(json!({})).send().await;
        assert_eq!(authorised.status.as_u16(), 200, "{}", authorised.text);
        assert_eq!(authorised.json["instalments"][0]["status"], "authorised");
        assert_eq!(authorised.json["paid"], "0.00");
        let paid = other.pay(&finance, award, "2021-22").await;
        assert_eq!(paid.status.as_u16(), 200, "{}", paid.text);
        assert_eq!(paid.json["paid"], "38000.00");
    }
}
