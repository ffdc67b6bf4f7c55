//! Monitoring returns: the schedule, the states, payments that wait for returns, reminders sent
//! exactly once and overdue returns marked with a moved clock.

use futures_util::future::join_all;
use serde_json::{Value, json};

use grantfund::domain::vocabulary::Role;

use crate::db_test;
use crate::support::*;

/// An accepted award of 38,000.00 in 2021-22 and 40,000.00 in 2022-23, its first instalment
/// released, made on 1 March 2021.
async fn accepted(app: &TestApp, frequency: &str) -> AcceptedAward {
    set_day(app, "2021-03-01");
    let panel = Panel::with_frequency(app, 1, frequency).await;
    // One organisation per frequency, so that a test can have an award of each.
    let n = match frequency {
        "quarterly" => 1,
        "six_monthly" => 2,
        _ => 3,
    };
    let Award { id: award, holder } = panel.accepted(app, n).await;
    AcceptedAward {
        panel,
        award,
        holder,
    }
}

async fn returns_of(app: &TestApp, award: i64, token: &str) -> Vec<Value> {
    let reply = app
        .as_(token)
        .get(&format!("/api/v1/awards/{award}/returns?per_page=100"))
        .send()
        .await;
    assert_eq!(reply.status.as_u16(), 200, "{}", reply.text);
    reply.json["items"].as_array().unwrap().clone()
}

/// A complete return's content.
fn complete(spend: &str) -> Value {
    json!({
        "spend": spend,
        "reached": {"women": 70, "partners": 12, "infants": 60, "kinship_carers": 2, "families": 75, "new": 50, "continuing": 25},
        "sessions": 48, "peer_supporters": 6, "volunteers": 9,
        "outcomes": "Mothers report feeling less isolated; two referrals to perinatal mental health teams.",
        "case_study": "A young mother who joined in April now co-facilitates the Tuesday group.",
        "challenges": "Venue costs rose; recruiting volunteers in Levenmouth is slow."
    })
}

fn kinds(outbox: &Reply, kind: &str) -> Vec<String> {
    outbox.json["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["kind"] == kind)
        .map(|r| r["recipient"].as_str().unwrap().to_owned())
        .collect()
}

async fn run_job(app: &TestApp) -> grantfund::monitoring::jobs::PassReport {
    let now = app.clock_now();
    app.state
        .db
        .run(move |conn| grantfund::monitoring::jobs::run_once(conn, now))
        .await
        .unwrap()
}

db_test! {
    async fn accepting_an_award_schedules_its_returns_for_each_frequency(backend: Backend) {
        let Some(app) = TestApp::time_travelling(backend).await else { return };
        let AcceptedAward { panel, award, holder: applicant } = accepted(&app, "quarterly").await;
        let returns = returns_of(&app, award, &applicant).await;
        let periods: Vec<(&str, &str, &str, bool)> = returns.iter().map(|r| (r["period_start"].as_str().unwrap(), r["period_end"].as_str().unwrap(), r["due_date"].as_str().unwrap(), r["is_final"].as_bool().unwrap())).collect();
        assert_eq!(periods.len(), 9, "eight quarters and a final return");
        assert_eq!(periods[0], ("2021-04-01", "2021-06-30", "2021-07-30", false));
        assert_eq!(periods[3], ("2022-01-01", "2022-03-31", "2022-04-30", false));
        assert_eq!(periods[7], ("2023-01-01", "2023-03-31", "2023-04-30", false));
        assert_eq!(periods[8], ("2021-04-01", "2023-03-31", "2023-05-30", true));
        assert!(returns.iter().all(|r| r["status"] == "scheduled"));
        assert_eq!(returns[0]["award_reference"], "PIMH-2021-0001");
        assert!(app.audit_actions(&panel.admin, "award", award).await.contains(&"returns_scheduled".to_owned()));

        let Registered { token: stranger, .. } = app.register("SC300001", "stranger@example.org").await;
        app.as_(&stranger).get(&format!("/api/v1/awards/{award}/returns")).send().await.assert_problem(404, "not_found");
        app.as_(&stranger).get(&format!("/api/v1/returns/{}", returns[0]["id"])).send().await.assert_problem(404, "not_found");
        assert_eq!(app.as_(&stranger).get("/api/v1/returns").send().await.json["total"], 0);
        app.as_(&app.staff(Role::Official).await).get("/api/v1/returns").send().await.assert_problem(403, "forbidden");

        for (frequency, expected) in [("six_monthly", 5), ("annual", 3)] {
            let AcceptedAward { award, holder: applicant, .. } = accepted(&app, frequency).await;
            let returns = returns_of(&app, award, &applicant).await;
            assert_eq!(returns.len(), expected, "{frequency}");
            assert_eq!(returns[0]["period_end"], if frequency == "annual" { "2022-03-31" } else { "2021-09-30" });
        }
    }
}

db_test! {
    async fn an_award_accepted_late_owes_no_return_for_a_period_already_over(backend: Backend) {
        let Some(app) = TestApp::time_travelling(backend).await else { return };
        set_day(&app, "2021-03-01");
        let panel = Panel::with_frequency(&app, 1, "quarterly").await;
        let Submitted { id: application, applicant } = panel.ready(&app, 1).await;
        let made = panel.award(&app, application, json!({"2021-22": "38000.00", "2022-23": "40000.00"})).await;
        assert_eq!(made.status.as_u16(), 201, "{}", made.text);
        let award = made.json["award"]["id"].as_i64().unwrap();

        // The offer is accepted in December, when two quarters of 2021-22 are over.
        set_day(&app, "2021-12-01");
        let accepted = app.as_(&applicant).post(&format!("/api/v1/awards/{award}/accept")).json(json!({})).send().await;
        assert_eq!(accepted.status.as_u16(), 200, "{}", accepted.text);

        let returns = returns_of(&app, award, &applicant).await;
        let periods: Vec<(&str, &str, &str)> = returns.iter().map(|r| (r["period_start"].as_str().unwrap(), r["period_end"].as_str().unwrap(), r["due_date"].as_str().unwrap())).collect();
        assert_eq!(periods.len(), 7, "{periods:?}");
        assert_eq!(periods[0], ("2021-04-01", "2021-12-31", "2022-01-30"), "the quarters already over fold into the first");
        assert_eq!(periods[1], ("2022-01-01", "2022-03-31", "2022-04-30"));
        assert_eq!(periods[2], ("2022-04-01", "2022-06-30", "2022-07-30"));
        assert_eq!(periods[6], ("2021-04-01", "2023-03-31", "2023-05-30"));
        assert!(returns.iter().all(|r| r["status"] == "scheduled"), "nothing is overdue the moment it exists");
        assert!(returns.iter().all(|r| r["due_date"].as_str().unwrap() >= "2021-12-31"));
    }
}

db_test! {
    async fn a_return_moves_from_scheduled_to_accepted_and_nowhere_it_should_not(backend: Backend) {
        let Some(app) = TestApp::time_travelling(backend).await else { return };
        let AcceptedAward { panel, award, holder: applicant } = accepted(&app, "quarterly").await;
        let first = returns_of(&app, award, &applicant).await[0]["id"].as_i64().unwrap();
        let path = format!("/api/v1/returns/{first}");
        let submit = format!("{path}/submit");
        let review = format!("{path}/review");

        // Drafted during the period; submitted only once it ends.
        let saved = app.as_(&applicant).patch(&path).json(json!({"sessions": 12, "outcomes": "Going well so far."})).send().await;
        assert_eq!(saved.status.as_u16(), 200, "{}", saved.text);
        assert_eq!(saved.json["sessions"], 12);
        app.as_(&applicant).post(&submit).json(json!({})).send().await.assert_problem(409, "period_not_ended");

        set_day(&app, "2021-07-01");
        assert_eq!(app.as_(&applicant).get(&path).send().await.json["status"], "due");
        let missing = app.as_(&applicant).post(&submit).json(json!({})).send().await;
        missing.assert_problem(422, "validation_failed");
        assert_eq!(missing.error_fields(), ["spend", "reached.women", "reached.partners", "reached.infants", "reached.kinship_carers", "reached.families", "reached.new", "reached.continuing", "peer_supporters", "volunteers"]);

        let bad = app.as_(&applicant).patch(&path).json(json!({"spend": "100.001", "reached": {"women": -1}, "sessions": 10_000_001, "outcomes": "x".repeat(10_001)})).send().await;
        bad.assert_problem(422, "validation_failed");
        assert_eq!(bad.error_fields(), ["spend", "reached.women", "sessions", "outcomes"]);
        // 38,000.00 released for 2021-22; 5% more is 39,900.00.
        let over = app.as_(&applicant).patch(&path).json(json!({"spend": "39900.01"})).send().await;
        over.assert_problem(422, "validation_failed");
        assert!(over.json["errors"][0]["message"].as_str().unwrap().contains("38000.00"), "{}", over.text);
        assert_eq!(app.as_(&applicant).get(&path).send().await.json["spend"], Value::Null, "a refused patch changes nothing");

        app.as_(&applicant).patch(&path).json(complete("9500.00")).send().await;
        // The second quarter cannot push the year's total past the instalment either.
        let second = returns_of(&app, award, &applicant).await[1]["id"].as_i64().unwrap();
        app.as_(&applicant).patch(&format!("/api/v1/returns/{second}")).json(json!({"spend": "30400.01"})).send().await.assert_problem(422, "validation_failed");

        let done = app.as_(&applicant).post(&submit).json(json!({})).send().await;
        assert_eq!(done.status.as_u16(), 200, "{}", done.text);
        assert_eq!(done.json["status"], "submitted");
        app.as_(&applicant).patch(&path).json(json!({"sessions": 1})).send().await.assert_problem(409, "invalid_state");
        app.as_(&applicant).post(&submit).json(json!({})).send().await.assert_problem(409, "invalid_state");

        app.as_(&applicant).post(&review).json(json!({"outcome": "accepted"})).send().await.assert_problem(403, "forbidden");
        let bad = app.as_(&panel.admin).post(&review).json(json!({"outcome": "changes_requested"})).send().await;
        assert_eq!(bad.error_fields(), ["comment"]);
        let asked = app.as_(&panel.admin).post(&review).json(json!({"outcome": "changes_requested", "comment": "Please split new and continuing families."})).send().await;
        assert_eq!(asked.json["status"], "changes_requested", "{}", asked.text);
        assert_eq!(asked.json["review_comment"], "Please split new and continuing families.");
        let outbox = app.as_(&panel.admin).get("/api/v1/outbox?per_page=100").send().await;
        assert_eq!(kinds(&outbox, "return_changes_requested").len(), 2);

        app.as_(&panel.admin).post(&review).json(json!({"outcome": "accepted"})).send().await.assert_problem(409, "invalid_state");
        app.as_(&applicant).patch(&path).json(json!({"reached": {"new": 45, "continuing": 30}})).send().await;
        assert_eq!(app.as_(&applicant).post(&submit).json(json!({})).send().await.json["status"], "submitted");
        let accepted = app.as_(&panel.admin).post(&review).json(json!({"outcome": "accepted"})).send().await;
        assert_eq!(accepted.json["status"], "accepted", "{}", accepted.text);
        app.as_(&panel.admin).post(&review).json(json!({"outcome": "accepted"})).send().await.assert_problem(409, "invalid_state");
        app.as_(&applicant).patch(&path).json(json!({"sessions": 1})).send().await.assert_problem(409, "invalid_state");

        assert_eq!(app.audit_actions(&panel.admin, "return", first).await, ["submitted", "changes_requested", "submitted", "accepted"]);
    }
}

db_test! {
    async fn a_later_instalment_waits_for_the_return_before_it_and_the_final_return_completes_the_award(backend: Backend) {
        let Some(app) = TestApp::time_travelling(backend).await else { return };
        let AcceptedAward { panel, award, holder: applicant } = accepted(&app, "annual").await;
        let returns = returns_of(&app, award, &applicant).await;
        let (year_one, year_two, last) = (returns[0]["id"].as_i64().unwrap(), returns[1]["id"].as_i64().unwrap(), returns[2]["id"].as_i64().unwrap());
        let release = format!("/api/v1/awards/{award}/instalments/2022-23/release");

        set_day(&app, "2022-04-05");
        app.as_(&panel.admin).post(&release).json(json!({})).send().await.assert_problem(409, "return_not_accepted");
        app.as_(&applicant).patch(&format!("/api/v1/returns/{year_one}")).json(complete("37000.00")).send().await;
        app.as_(&applicant).post(&format!("/api/v1/returns/{year_one}/submit")).json(json!({})).send().await;
        app.as_(&panel.admin).post(&release).json(json!({})).send().await.assert_problem(409, "return_not_accepted");
        app.as_(&panel.admin).post(&format!("/api/v1/returns/{year_one}/review")).json(json!({"outcome": "accepted"})).send().await;
        let paid = app.release(&panel.admin, award, "2022-23").await;
        assert_eq!(paid.status.as_u16(), 200, "{}", paid.text);
        assert_eq!(paid.json["paid"], "78000.00");

        set_day(&app, "2023-04-10");
        for (id, spend) in [(year_two, "39000.00"), (last, "76000.00")] {
            app.as_(&applicant).patch(&format!("/api/v1/returns/{id}")).json(complete(spend)).send().await;
            let reply = app.as_(&applicant).post(&format!("/api/v1/returns/{id}/submit")).json(json!({})).send().await;
            assert_eq!(reply.status.as_u16(), 200, "{}", reply.text);
        }
        app.as_(&panel.admin).post(&format!("/api/v1/returns/{last}/review")).json(json!({"outcome": "accepted"})).send().await;
        let done = app.as_(&applicant).get(&format!("/api/v1/awards/{award}")).send().await;
        assert_eq!(done.json["status"], "completed");
        assert!(done.json["ended_at"].is_string());
        assert_eq!(app.audit_actions(&panel.admin, "award", award).await.last().unwrap(), "completed");
        app.as_(&applicant).patch(&format!("/api/v1/returns/{year_two}")).json(json!({"sessions": 1})).send().await.assert_problem(409, "award_not_active");
    }
}

db_test! {
    async fn reminders_go_once_per_step_however_often_and_however_many_workers_run(backend: Backend) {
        let Some(app) = TestApp::time_travelling(backend).await else { return };
        let AcceptedAward { panel, award, holder: applicant } = accepted(&app, "annual").await;
        let first = returns_of(&app, award, &applicant).await[0].clone();
        assert_eq!(first["due_date"], "2022-04-30");
        let reminders = |_: &TestApp| {
            let admin = panel.admin.clone();
            let app = &app;
            async move { kinds(&app.as_(&admin).get("/api/v1/outbox?per_page=100").send().await, "return_reminder").len() }
        };
        set_day(&app, "2022-04-15");
        assert_eq!(run_job(&app).await.reminders, 0, "16 days before: nothing yet");
        set_day(&app, "2022-04-16");
        assert_eq!(run_job(&app).await.reminders, 1);
        for _ in 0..3 {
            assert_eq!(run_job(&app).await.reminders, 0);
        }
        assert_eq!(reminders(&app).await, 2, "one email to the contact and one to the applicant");

        // Two workers at once, through two instances of the service: one reminder between them.
        let other = app.second_instance().await;
        set_day(&app, "2022-04-30");
        let now = app.clock_now();
        let passes = join_all([app.state.db.clone(), other.state.db.clone(), app.state.db.clone()].into_iter().map(|db| async move {
            db.run(move |conn| grantfund::monitoring::jobs::run_once(conn, now)).await.unwrap()
        })).await;
        assert_eq!(passes.iter().map(|p| p.reminders).sum::<usize>(), 1, "{passes:?}");
        assert_eq!(reminders(&app).await, 4);

        // Overdue: the reminder, and one digest to each administrator naming the return.
        set_day(&app, "2022-05-07");
        let now = app.clock_now();
        let passes = join_all([app.state.db.clone(), other.state.db.clone()].into_iter().map(|db| async move {
            db.run(move |conn| grantfund::monitoring::jobs::run_once(conn, now)).await.unwrap()
        })).await;
        assert_eq!(passes.iter().map(|p| p.reminders).sum::<usize>(), 1, "{passes:?}");
        assert_eq!(passes.iter().map(|p| p.became_overdue).sum::<usize>(), 1, "{passes:?}");
        assert_eq!(run_job(&app).await, grantfund::monitoring::jobs::PassReport::default());
        let outbox = app.as_(&panel.admin).get("/api/v1/outbox?per_page=100").send().await;
        let digests = kinds(&outbox, "overdue_digest");
        assert_eq!(digests.len(), 1, "one administrator, one digest: {digests:?}");
        assert_eq!(reminders(&app).await, 6);

        // A submitted return gets no more reminders.
        app.as_(&applicant).patch(&format!("/api/v1/returns/{}", first["id"])).json(complete("30000.00")).send().await;
        app.as_(&applicant).post(&format!("/api/v1/returns/{}/submit", first["id"])).json(json!({})).send().await;
        set_day(&app, "2022-06-01");
        assert_eq!(run_job(&app).await.reminders, 0);
        app.run_outbox().await;
        let mail = app.mails().into_iter().filter(|m| m.contains("Monitoring return overdue (PIMH-2021-0001)")).count();
        assert_eq!(mail, 2);
    }
}

db_test! {
    async fn returns_go_overdue_as_the_clock_moves_and_lists_follow(backend: Backend) {
        let Some(app) = TestApp::time_travelling(backend).await else { return };
        let AcceptedAward { panel, award, holder: applicant } = accepted(&app, "quarterly").await;
        let count = |query: String| {
            let app = &app;
            let admin = panel.admin.clone();
            async move { app.as_(&admin).get(&format!("/api/v1/returns?{query}")).send().await.json["total"].as_i64().unwrap() }
        };
        assert_eq!(count("status=scheduled".to_owned()).await, 9);
        set_day(&app, "2021-07-31");
        assert_eq!(count("status=overdue".to_owned()).await, 1, "the first quarter, due on 30 July");
        assert_eq!(count("status=due".to_owned()).await, 0);
        assert_eq!(count("status=scheduled".to_owned()).await, 8);
        set_day(&app, "2021-10-05");
        assert_eq!(count("status=due".to_owned()).await, 1);
        assert_eq!(count("status=overdue".to_owned()).await, 1);
        assert_eq!(count("due_before=2021-10-31".to_owned()).await, 2);
        assert_eq!(count(format!("fund_id={}", panel.fund)).await, 9);
        assert_eq!(count("fund_id=999".to_owned()).await, 0);
        app.as_(&panel.admin).get("/api/v1/returns?status=late").send().await.assert_problem(400, "invalid_query");

        let report = run_job(&app).await;
        assert_eq!((report.became_due, report.became_overdue), (2, 1));
        let first = returns_of(&app, award, &applicant).await[0]["id"].as_i64().unwrap();
        assert_eq!(app.audit_actions(&panel.admin, "return", first).await, ["due", "overdue"]);
        assert_eq!(run_job(&app).await.became_overdue, 0, "marked once");
        assert_eq!(app.as_(&applicant).get("/api/v1/returns?status=overdue").send().await.json["total"], 1);
    }
}

/// GET `path` on both instances as `token`: both answer 200 with the same figures.
async fn on_both(app: &TestApp, other: &TestApp, path: &str, token: &str) -> Value {
    let here = app.as_(token).get(path).send().await;
    assert_eq!(here.status.as_u16(), 200, "{}", here.text);
    let there = other.as_(token).get(path).send().await;
    assert_eq!(there.json, here.json, "{path}: the instances disagree");
    here.json
}

db_test! {
    async fn kept_reports_follow_every_change_on_every_instance(backend: Backend) {
        let Some(app) = TestApp::time_travelling(backend).await else { return };
        let AcceptedAward { panel, award, holder: applicant } = accepted(&app, "annual").await;
        let other = app.second_instance().await;
        let official = app.staff(Role::Official).await;
        let fund = panel.fund;
        let summary = format!("/api/v1/reports/funds/{fund}/summary");
        let boards = format!("/api/v1/reports/funds/{fund}/by-health-board?financial_year=2022-23");
        let reach = format!("/api/v1/reports/funds/{fund}/reach");
        let feedback = format!("/api/v1/reports/funds/{fund}/feedback");
        let year = |report: &Value, y: &str| report["years"].as_array().unwrap().iter().find(|r| r["financial_year"] == y).unwrap().clone();

        // Every report read on both instances, so both keep them.
        let before = on_both(&app, &other, &summary, &official).await;
        assert_eq!((before["total"]["committed"].as_str(), before["total"]["paid"].as_str()), (Some("78000.00"), Some("38000.00")));
        assert_eq!(on_both(&app, &other, &boards, &official).await["total"]["committed"], "40000.00");
        assert_eq!(on_both(&app, &other, &reach, &official).await["reached"], 0);
        assert_eq!(on_both(&app, &other, &feedback, &official).await["responses"], Value::Null, "no responses yet: suppressed");

        // A limit changed on one instance shows on both.
        panel.set_limit(&app, "2021-22", "900000.00", true).await;
        assert_eq!(year(&on_both(&app, &other, &summary, &official).await, "2021-22")["limit"], "900000.00");

        // A new award moves committed, and declining it moves it back.
        let Submitted { id, .. } = panel.ready(&app, 7).await;
        let made = panel.award(&app, id, json!({"2022-23": "1000.00"})).await;
        assert_eq!(made.status.as_u16(), 201, "{}", made.text);
        assert_eq!(on_both(&app, &other, &boards, &official).await["total"]["committed"], "41000.00");
        let declined = app.as_(&app.token("applicant7@example.org").await).post(&format!("/api/v1/awards/{}/decline", made.json["award"]["id"])).json(json!({})).send().await;
        assert_eq!(declined.status.as_u16(), 200, "{}", declined.text);
        assert_eq!(on_both(&app, &other, &boards, &official).await["total"]["committed"], "40000.00");

        // An accepted return moves reach.
        let first = returns_of(&app, award, &applicant).await[0]["id"].as_i64().unwrap();
        set_day(&app, "2022-04-05");
        app.as_(&applicant).patch(&format!("/api/v1/returns/{first}")).json(complete("37000.00")).send().await;
        app.as_(&applicant).post(&format!("/api/v1/returns/{first}/submit")).json(json!({})).send().await;
        assert_eq!(on_both(&app, &other, &reach, &official).await["reached"], 0, "a submitted return is not counted");
        let reviewed = other.as_(&panel.admin).post(&format!("/api/v1/returns/{first}/review")).json(json!({"outcome": "accepted"})).send().await;
        assert_eq!(reviewed.status.as_u16(), 200, "{}", reviewed.text);
        assert_eq!(on_both(&app, &other, &reach, &official).await["reached"], 50);

        // A release moves paid.
        let released = app.release(&panel.admin, award, "2022-23").await;
        assert_eq!(released.status.as_u16(), 200, "{}", released.text);
        assert_eq!(on_both(&app, &other, &summary, &official).await["total"]["paid"], "78000.00");

        // Families' responses move the feedback figures.
        let made = app.as_(&applicant).post(&format!("/api/v1/awards/{award}/feedback-links")).json(json!({"label": "Tuesday group"})).send().await;
        let token = made.json["token"].as_str().unwrap().to_owned();
        for n in 0..6 {
            let body = json!({"respondent": "mother_birthing_parent", "ratings": {"listened_to": 5, "wellbeing": 4, "relationship_with_baby": 4, "recommend": 5}, "consent_to_quote": n % 2 == 0});
            let sent = other.anonymous().post(&format!("/api/v1/feedback/{token}")).json(&body).send().await;
            assert_eq!(sent.status.as_u16(), 201, "{}", sent.text);
        }
        // Published in batches of at least five: the sixth waits for four more.
        assert_eq!(on_both(&app, &other, &feedback, &official).await["responses"], 5);

        // A new target moves the percentage.
        let updated = app.as_(&panel.admin).patch(&format!("/api/v1/funds/{fund}")).json(json!({"reach_target": 100})).send().await;
        assert_eq!(updated.status.as_u16(), 200, "{}", updated.text);
        let moved = on_both(&app, &other, &reach, &official).await;
        assert_eq!((moved["target"].as_i64(), moved["percentage_of_target"].as_str()), (Some(100), Some("50.0")));

    }
}
