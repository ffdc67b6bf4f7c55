//! Paying authorised instalments through payment runs: the queue, building runs, the file for
//! the finance system, and the bank's results marking lines paid or failed.

use futures_util::future::join_all;
use serde_json::{Value, json};

use grantfund::domain::vocabulary::Role;

use crate::db_test;
use crate::support::*;

/// Organisation `n`'s award of 10,000.00 in 2021-22, accepted, its bank details verified, its
/// release requested by the panel's administrator and authorised by `finance`; gives the award
/// and its holder.
async fn authorised(app: &TestApp, panel: &Panel, n: usize, finance: &str) -> (i64, String) {
    let Submitted { id, applicant } = panel.ready(app, n).await;
    let made = panel.award(app, id, json!({"2021-22": "10000.00"})).await;
    assert_eq!(made.status.as_u16(), 201, "{}", made.text);
    let award = made.json["award"]["id"].as_i64().unwrap();
    app.payable(&applicant, &panel.admin).await;
    let accepted = app
        .as_(&applicant)
        .post(&format!("/api/v1/awards/{award}/accept"))
        .json(json!({}))
        .send()
        .await;
    assert_eq!(accepted.status.as_u16(), 200, "{}", accepted.text);
    let path = format!("/api/v1/awards/{award}/instalments/2021-22");
    let requested = app
        .as_(&panel.admin)
        .post(&format!("{path}/release"))
        .json(json!({}))
        .send()
        .await;
    assert_eq!(requested.status.as_u16(), 200, "{}", requested.text);
    let authorised = app
        .as_(finance)
        .post(&format!("{path}/authorise"))
        .json(json!({}))
        .send()
        .await;
    assert_eq!(authorised.status.as_u16(), 200, "{}", authorised.text);
    assert_eq!(authorised.json["instalments"][0]["status"], "authorised");
    (award, applicant)
}

fn today(app: &TestApp) -> String {
    app.clock_now().date().to_string()
}

/// The 2021-22 year of the panel's fund as (committed, paid).
async fn year_2021(app: &TestApp, panel: &Panel) -> (String, String) {
    let years = panel.budget(app).await;
    let y = years.iter().find(|y| y.year == "2021-22").unwrap();
    (y.committed.clone(), y.paid.clone())
}

async fn build(app: &TestApp, finance: &str) -> Reply {
    app.as_(finance)
        .post("/api/v1/payment-runs")
        .json(json!({}))
        .send()
        .await
}

fn line_of(run: &Value, award: i64) -> i64 {
    run["lines"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["award_id"] == award)
        .unwrap()["id"]
        .as_i64()
        .unwrap()
}

db_test! {
    async fn only_a_line_marked_paid_pays_and_a_failed_line_goes_back_to_the_queue(app) {
        let panel = Panel::new(&app, 1).await;
        let finance = app.staff(Role::Finance).await;
        let (first, _) = authorised(&app, &panel, 1, &finance).await;
        let (second, _) = authorised(&app, &panel, 2, &finance).await;
        assert_eq!(year_2021(&app, &panel).await, ("20000.00".to_owned(), "0.00".to_owned()), "authorising pays nothing");

        // Both wait in the queue of authorised payments.
        let queue = app.as_(&panel.admin).get("/api/v1/release-requests?status=authorised").send().await;
        assert_eq!(queue.status.as_u16(), 200, "{}", queue.text);
        assert_eq!(queue.json.as_array().unwrap().len(), 2, "{}", queue.text);
        assert!(queue.json[0]["run_id"].is_null());

        let built = build(&app, &finance).await;
        assert_eq!(built.status.as_u16(), 201, "{}", built.text);
        let run = built.json["run"].clone();
        let id = run["id"].as_i64().unwrap();
        assert_eq!(run["status"], "open");
        assert_eq!(run["count"], 2);
        assert_eq!(run["total"], "20000.00");
        assert!(run["lines"][0]["payment_reference"].as_str().unwrap().ends_with("/2021-22"));
        let queue = app.as_(&finance).get("/api/v1/release-requests?status=authorised").send().await;
        assert_eq!(queue.json[0]["run_id"], id, "{}", queue.text);
        // Nothing is left for a second run.
        build(&app, &finance).await.assert_problem(409, "nothing_to_pay");

        let (a, b) = (line_of(&run, first), line_of(&run, second));
        let paid = |line: i64| format!("/api/v1/payment-runs/{id}/lines/{line}/paid");
        let failed = |line: i64| format!("/api/v1/payment-runs/{id}/lines/{line}/failed");
        // Lines are marked once the run is closed and sent.
        app.as_(&finance).post(&paid(a)).json(json!({"paid_on": today(&app)})).send().await.assert_problem(409, "run_open");
        let closed = app.as_(&finance).post(&format!("/api/v1/payment-runs/{id}/close")).json(json!({})).send().await;
        assert_eq!(closed.json["status"], "closed", "{}", closed.text);
        app.as_(&finance).post(&format!("/api/v1/payment-runs/{id}/close")).json(json!({})).send().await.assert_problem(409, "run_closed");

        let bad = app.as_(&finance).post(&paid(a)).json(json!({"paid_on": "2030-01-01"})).send().await;
        bad.assert_problem(422, "validation_failed");
        assert_eq!(bad.error_fields(), ["paid_on"]);
        app.as_(&finance).post(&failed(b)).json(json!({"reason": " "})).send().await.assert_problem(422, "validation_failed");

        let marked = app.as_(&finance).post(&paid(a)).json(json!({"paid_on": today(&app)})).send().await;
        assert_eq!(marked.status.as_u16(), 200, "{}", marked.text);
        assert_eq!(marked.json["paid"], "10000.00");
        app.as_(&finance).post(&paid(a)).json(json!({"paid_on": today(&app)})).send().await.assert_problem(409, "line_already_marked");
        let marked = app.as_(&finance).post(&failed(b)).json(json!({"reason": "Account closed"})).send().await;
        assert_eq!(marked.status.as_u16(), 200, "{}", marked.text);
        app.as_(&finance).post(&paid(b)).json(json!({"paid_on": today(&app)})).send().await.assert_problem(409, "line_already_marked");
        assert_eq!(marked.json["failed"], 1);
        assert_eq!(marked.json["paid"], "10000.00", "the failed line never counts as paid");
        assert_eq!(year_2021(&app, &panel).await, ("20000.00".to_owned(), "10000.00".to_owned()));
        let award = app.as_(&finance).get(&format!("/api/v1/awards/{second}")).send().await;
        assert_eq!(award.json["instalments"][0]["status"], "authorised");
        assert_eq!(award.json["paid"], "0.00");
        let award = app.as_(&finance).get(&format!("/api/v1/awards/{first}")).send().await;
        assert_eq!(award.json["instalments"][0]["status"], "released");

        // The failed payment goes into the next run, and is paid there.
        let again = build(&app, &finance).await;
        assert_eq!(again.status.as_u16(), 201, "{}", again.text);
        assert_eq!(again.json["run"]["count"], 1);
        assert_eq!(again.json["run"]["lines"][0]["award_id"], second);
        let paid_again = app.pay(&finance, second, "2021-22").await;
        assert_eq!(paid_again.status.as_u16(), 409, "the payment is already in the open run: {}", paid_again.text);
        let next = again.json["run"]["id"].as_i64().unwrap();
        app.as_(&finance).post(&format!("/api/v1/payment-runs/{next}/close")).json(json!({})).send().await;
        let line = again.json["run"]["lines"][0]["id"].as_i64().unwrap();
        let marked = app.as_(&finance).post(&format!("/api/v1/payment-runs/{next}/lines/{line}/paid")).json(json!({"paid_on": today(&app)})).send().await;
        assert_eq!(marked.status.as_u16(), 200, "{}", marked.text);
        assert_eq!(year_2021(&app, &panel).await, ("20000.00".to_owned(), "20000.00".to_owned()));

        // The summary report shows committed, authorised and paid.
        let summary = app.as_(&panel.admin).get(&format!("/api/v1/reports/funds/{}/summary", panel.fund)).send().await;
        let y = summary.json["years"].as_array().unwrap().iter().find(|y| y["financial_year"] == "2021-22").unwrap().clone();
        assert_eq!((y["committed"].as_str(), y["authorised"].as_str(), y["paid"].as_str()), (Some("20000.00"), Some("0.00"), Some("20000.00")), "{y}");

        let runs = app.as_(&finance).get("/api/v1/payment-runs").send().await;
        assert_eq!(runs.json.as_array().unwrap().len(), 2, "{}", runs.text);
        let audit = app.audit_actions(&panel.admin, "payment_run", id).await;
        assert_eq!(audit, ["built", "closed", "line_paid", "line_failed"]);
    }
}

db_test! {
    async fn the_summary_counts_what_is_authorised_apart_from_what_is_paid(app) {
        let panel = Panel::new(&app, 1).await;
        let finance = app.staff(Role::Finance).await;
        authorised(&app, &panel, 1, &finance).await;
        let summary = app.as_(&panel.admin).get(&format!("/api/v1/reports/funds/{}/summary", panel.fund)).send().await;
        let y = summary.json["years"].as_array().unwrap().iter().find(|y| y["financial_year"] == "2021-22").unwrap().clone();
        assert_eq!((y["committed"].as_str(), y["authorised"].as_str(), y["paid"].as_str()), (Some("10000.00"), Some("10000.00"), Some("0.00")), "{y}");
        assert_eq!(summary.json["total"]["authorised"], "10000.00");
    }
}

db_test! {
    async fn a_bank_detail_change_blocks_the_next_run_until_a_second_person_verifies_it(app) {
        let panel = Panel::new(&app, 1).await;
        let finance = app.staff(Role::Finance).await;
        let (award, applicant) = authorised(&app, &panel, 1, &finance).await;
        let me = app.as_(&applicant).get("/api/v1/me").send().await;
        let organisation = me.json["user"]["organisation_id"].as_i64().unwrap();
        let bank = format!("/api/v1/organisations/{organisation}/bank-details");
        let changed = app.as_(&applicant).put(&bank).json(json!({"account_name": "Test Charity", "sort_code": "11-22-33", "account_number": "99887766"})).send().await;
        assert_eq!(changed.status.as_u16(), 200, "{}", changed.text);

        let refused = build(&app, &finance).await;
        refused.assert_problem(409, "nothing_to_pay");
        let queue = app.as_(&finance).get("/api/v1/release-requests?status=authorised").send().await;
        assert_eq!(queue.json[0]["payable"], false, "{}", queue.text);

        let verified = app.as_(&finance).post(&format!("{bank}/verify")).json(json!({})).send().await;
        assert_eq!(verified.status.as_u16(), 200, "{}", verified.text);
        let built = build(&app, &finance).await;
        assert_eq!(built.status.as_u16(), 201, "{}", built.text);
        assert_eq!(built.json["run"]["lines"][0]["award_id"], award);
        assert!(built.json["skipped"].as_array().unwrap().is_empty());
        let id = built.json["run"]["id"].as_i64().unwrap();

        // The file pays the verified details in full; only finance downloads it, and each
        // download is audited.
        let file = app.as_(&finance).get(&format!("/api/v1/payment-runs/{id}/lines.csv")).send().await;
        assert_eq!(file.status.as_u16(), 200, "{}", file.text);
        assert!(file.header("content-type").unwrap().starts_with("text/csv"));
        assert!(file.text.starts_with("line_id,payee,sort_code,account_number,roll_number,amount,payment_reference,award_reference"), "{}", file.text);
        assert!(file.text.contains("11-22-33,99887766,,10000.00"), "{}", file.text);
        app.as_(&panel.admin).get(&format!("/api/v1/payment-runs/{id}/lines.csv")).send().await.assert_problem(403, "forbidden");
        assert_eq!(app.audit_actions(&panel.admin, "payment_run", id).await, ["built", "file_downloaded"]);

        // A later change does not move what the run was built to pay.
        let changed = app.as_(&applicant).put(&bank).json(json!({"account_name": "Test Charity", "sort_code": "44-55-66", "account_number": "12121212"})).send().await;
        assert_eq!(changed.status.as_u16(), 200, "{}", changed.text);
        let file = app.as_(&finance).get(&format!("/api/v1/payment-runs/{id}/lines.csv")).send().await;
        assert!(file.text.contains("11-22-33,99887766"), "{}", file.text);
    }
}

db_test! {
    async fn a_payment_run_skips_organisations_whose_bank_details_await_a_check(app) {
        let panel = Panel::new(&app, 1).await;
        let finance = app.staff(Role::Finance).await;
        let (kept, _) = authorised(&app, &panel, 1, &finance).await;
        let (held, applicant) = authorised(&app, &panel, 2, &finance).await;
        let me = app.as_(&applicant).get("/api/v1/me").send().await;
        let organisation = me.json["user"]["organisation_id"].as_i64().unwrap();
        let changed = app.as_(&applicant).put(&format!("/api/v1/organisations/{organisation}/bank-details")).json(json!({"account_name": "New", "sort_code": "11-22-33", "account_number": "99887766"})).send().await;
        assert_eq!(changed.status.as_u16(), 200, "{}", changed.text);
        let built = build(&app, &finance).await;
        assert_eq!(built.status.as_u16(), 201, "{}", built.text);
        assert_eq!(built.json["run"]["count"], 1);
        assert_eq!(built.json["run"]["lines"][0]["award_id"], kept);
        assert_eq!(built.json["skipped"][0]["award_id"], held);
    }
}

db_test! {
    async fn payment_runs_built_at_once_never_hold_one_payment_twice(app) {
        let panel = Panel::new(&app, 1).await;
        let finance = app.staff(Role::Finance).await;
        let mut awards = Vec::new();
        for n in 1..=4 {
            awards.push(authorised(&app, &panel, n, &finance).await.0);
        }
        let other = app.second_instance().await;
        let second = app.staff(Role::Finance).await;
        let builds = (0..8).map(|k| {
            let (target, who) = if k % 2 == 0 { (&app, &finance) } else { (&other, &second) };
            async move { build(target, who).await }
        });
        let replies = join_all(builds).await;
        let mut held = Vec::new();
        for reply in &replies {
            match reply.status.as_u16() {
                201 => held.extend(reply.json["run"]["lines"].as_array().unwrap().iter().map(|l| l["award_id"].as_i64().unwrap())),
                _ => reply.assert_problem(409, "nothing_to_pay"),
            }
        }
        held.sort_unstable();
        assert_eq!(held, awards, "every payment in exactly one run");
    }
}

db_test! {
    async fn marking_a_line_paid_at_once_many_times_pays_it_once(app) {
        let panel = Panel::new(&app, 1).await;
        let finance = app.staff(Role::Finance).await;
        let (award, _) = authorised(&app, &panel, 1, &finance).await;
        let built = build(&app, &finance).await;
        let id = built.json["run"]["id"].as_i64().unwrap();
        let line = line_of(&built.json["run"], award);
        app.as_(&finance).post(&format!("/api/v1/payment-runs/{id}/close")).json(json!({})).send().await;
        let other = app.second_instance().await;
        let day = today(&app);
        let path = format!("/api/v1/payment-runs/{id}/lines/{line}/paid");
        let marks = (0..6).map(|k| {
            let target = if k % 2 == 0 { &app } else { &other };
            let (path, finance, day) = (path.clone(), finance.clone(), day.clone());
            async move { target.as_(&finance).post(&path).json(json!({"paid_on": day})).send().await }
        });
        let replies = join_all(marks).await;
        let ok = replies.iter().filter(|r| r.status.as_u16() == 200).count();
        assert_eq!(ok, 1, "{:?}", replies.iter().map(|r| &r.text).collect::<Vec<_>>());
        for r in replies.iter().filter(|r| r.status.as_u16() != 200) {
            r.assert_problem(409, "line_already_marked");
        }
        assert_eq!(year_2021(&app, &panel).await, ("10000.00".to_owned(), "10000.00".to_owned()));
    }
}

db_test! {
    async fn a_results_file_with_bad_rows_names_every_one_and_changes_nothing(app) {
        let panel = Panel::new(&app, 1).await;
        let finance = app.staff(Role::Finance).await;
        let mut awards = Vec::new();
        for n in 1..=3 {
            awards.push(authorised(&app, &panel, n, &finance).await.0);
        }
        let built = build(&app, &finance).await;
        let run = built.json["run"].clone();
        let id = run["id"].as_i64().unwrap();
        let results = format!("/api/v1/payment-runs/{id}/results");
        let file = app.as_(&finance).get(&format!("/api/v1/payment-runs/{id}/lines.csv")).send().await.text;
        let rows: Vec<&str> = file.lines().collect();
        // An open run takes no results.
        app.as_(&finance).post(&results).body("application/octet-stream", format!("{},status,paid_on,reason\n{},paid,{},\n", rows[0], rows[1], today(&app))).send().await.assert_problem(409, "run_open");
        app.as_(&finance).post(&format!("/api/v1/payment-runs/{id}/close")).json(json!({})).send().await;

        let day = today(&app);
        let bad = format!(
            "{},status,paid_on,reason\n{},paid,2021-02-30,\n{},maybe,,\n99999,paid,{day},\n{},failed,,\n{},paid,{day},\n",
            rows[0], rows[1], rows[2], rows[3], rows[1].replace("10000.00", "9999.00"),
        );
        let refused = app.as_(&finance).post(&results).body("application/octet-stream", bad).send().await;
        refused.assert_problem(422, "validation_failed");
        let fields = refused.error_fields();
        for expected in ["rows.2.paid_on", "rows.3.status", "rows.4.line_id", "rows.5.reason", "rows.6.line_id"] {
            assert!(fields.iter().any(|f| f == expected), "{expected} in {fields:?}");
        }
        let unchanged = app.as_(&finance).get(&format!("/api/v1/payment-runs/{id}")).send().await;
        assert_eq!(unchanged.json["pending"], 3, "{}", unchanged.text);
        assert_eq!(year_2021(&app, &panel).await.1, "0.00");

        let mismatched = format!("{},status,paid_on,reason\n{},paid,{day},\n", rows[0], rows[1].replace("10000.00", "9999.00"));
        let refused = app.as_(&finance).post(&results).body("application/octet-stream", mismatched).send().await;
        refused.assert_problem(422, "validation_failed");
        assert_eq!(refused.error_fields(), ["rows.2.amount"]);
        app.as_(&finance).post(&results).body("application/octet-stream", "line_id,amount\n1,10.00\n").send().await.assert_problem(422, "validation_failed");

        let good = format!("{},status,paid_on,reason\n{},paid,{day},\n{},failed,,Account closed\n{},,,\n", rows[0], rows[1], rows[2], rows[3]);
        let marked = app.as_(&finance).post(&results).body("application/octet-stream", good.clone()).send().await;
        assert_eq!(marked.status.as_u16(), 200, "{}", marked.text);
        assert_eq!((marked.json["paid"].as_str(), marked.json["failed"].as_i64(), marked.json["pending"].as_i64()), (Some("10000.00"), Some(1), Some(1)));
        assert_eq!(year_2021(&app, &panel).await.1, "10000.00");
        // Sent again, the marked rows are refused and nothing is paid twice.
        let again = app.as_(&finance).post(&results).body("application/octet-stream", good).send().await;
        again.assert_problem(422, "validation_failed");
        assert_eq!(again.error_fields(), ["rows.2.status", "rows.3.status"]);
        assert_eq!(year_2021(&app, &panel).await.1, "10000.00");
    }
}

db_test! {
    async fn the_queue_shows_finance_and_administrators_what_awaits_authorisation(app) {
        let panel = Panel::new(&app, 1).await;
        let Submitted { id, applicant } = panel.ready(&app, 1).await;
        let award = panel.award(&app, id, json!({"2021-22": "10000.00"})).await.json["award"]["id"].as_i64().unwrap();
        app.payable(&applicant, &panel.admin).await;
        app.as_(&applicant).post(&format!("/api/v1/awards/{award}/accept")).json(json!({})).send().await;
        app.as_(&panel.admin).post(&format!("/api/v1/awards/{award}/instalments/2021-22/release")).json(json!({})).send().await;
        let finance = app.staff(Role::Finance).await;
        let queue = app.as_(&finance).get("/api/v1/release-requests").send().await;
        assert_eq!(queue.status.as_u16(), 200, "{}", queue.text);
        assert_eq!(queue.json[0]["award_id"], award);
        assert_eq!(queue.json[0]["status"], "requested");
        assert_eq!(queue.json[0]["amount"], "10000.00");
        assert_eq!(queue.json[0]["payable"], true);
        let as_admin = app.as_(&panel.admin).get("/api/v1/release-requests?status=requested").send().await;
        assert_eq!(as_admin.json.as_array().unwrap().len(), 1);
        app.as_(&applicant).get("/api/v1/release-requests").send().await.assert_problem(403, "forbidden");
        app.as_(&finance).get("/api/v1/release-requests?status=paid").send().await.assert_problem(400, "invalid_query");
        app.as_(&finance).post(&format!("/api/v1/awards/{award}/instalments/2021-22/authorise")).json(json!({})).send().await;
        assert!(app.as_(&finance).get("/api/v1/release-requests").send().await.json.as_array().unwrap().is_empty());
        let authorised = app.as_(&finance).get("/api/v1/release-requests?status=authorised").send().await;
        assert!(authorised.json[0]["authorised_by_name"].is_string(), "{}", authorised.text);
    }
}

db_test! {
    async fn an_award_that_ends_gives_back_what_it_authorised_and_never_pays_it_later(app) {
        let panel = Panel::new(&app, 1).await;
        let finance = app.staff(Role::Finance).await;
        let (queued, _) = authorised(&app, &panel, 1, &finance).await;
        let (sent, _) = authorised(&app, &panel, 2, &finance).await;
        // The second award's payment goes to the bank; then both awards end.
        let built = build(&app, &finance).await;
        assert_eq!(built.status.as_u16(), 201, "{}", built.text);
        let run = built.json["run"].clone();
        let id = run["id"].as_i64().unwrap();
        let (queued_line, sent_line) = (line_of(&run, queued), line_of(&run, sent));
        // Take the first award's payment out of the run: failed before either award ends.
        app.as_(&finance).post(&format!("/api/v1/payment-runs/{id}/close")).json(json!({})).send().await;
        let failed = app.as_(&finance).post(&format!("/api/v1/payment-runs/{id}/lines/{queued_line}/failed")).json(json!({"reason": "Wrong account name"})).send().await;
        assert_eq!(failed.status.as_u16(), 200, "{}", failed.text);
        for award in [queued, sent] {
            let ended = app.as_(&panel.admin).post(&format!("/api/v1/awards/{award}/terminate")).json(json!({"reason": "The service closed."})).send().await;
            assert_eq!(ended.status.as_u16(), 200, "{}", ended.text);
        }
        // The queued payment is cancelled at once; the one with the bank waits for its answer.
        let award = app.as_(&finance).get(&format!("/api/v1/awards/{queued}")).send().await;
        assert_eq!(award.json["instalments"][0]["status"], "cancelled", "{}", award.text);
        let award = app.as_(&finance).get(&format!("/api/v1/awards/{sent}")).send().await;
        assert_eq!(award.json["instalments"][0]["status"], "authorised", "{}", award.text);
        assert_eq!(year_2021(&app, &panel).await, ("10000.00".to_owned(), "0.00".to_owned()));
        build(&app, &finance).await.assert_problem(409, "nothing_to_pay");
        // The bank returns it: it goes back to the fund's year, not to the queue.
        let returned = app.as_(&finance).post(&format!("/api/v1/payment-runs/{id}/lines/{sent_line}/failed")).json(json!({"reason": "Account closed"})).send().await;
        assert_eq!(returned.status.as_u16(), 200, "{}", returned.text);
        let award = app.as_(&finance).get(&format!("/api/v1/awards/{sent}")).send().await;
        assert_eq!(award.json["instalments"][0]["status"], "cancelled", "{}", award.text);
        assert_eq!(year_2021(&app, &panel).await, ("0.00".to_owned(), "0.00".to_owned()));
        build(&app, &finance).await.assert_problem(409, "nothing_to_pay");
    }
}
