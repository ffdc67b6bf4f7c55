//! Variations of accepted awards: asked by the grant holder or proposed by an administrator,
//! decided by another administrator with a reason, and applied under each year's cap.

use futures_util::future::join_all;
use serde_json::{Value, json};

use grantfund::domain::vocabulary::Role;

use crate::db_test;
use crate::support::*;

async fn ask(app: &TestApp, token: &str, award: i64, body: Value) -> Reply {
    app.as_(token)
        .post(&format!("/api/v1/awards/{award}/variations"))
        .json(body)
        .send()
        .await
}

async fn decide(app: &TestApp, token: &str, variation: i64, how: &str, reason: &str) -> Reply {
    app.as_(token)
        .post(&format!("/api/v1/variations/{variation}/{how}"))
        .json(json!({"reason": reason}))
        .send()
        .await
}

/// Asks and gives the new variation's id, asserting it was taken.
async fn asked(app: &TestApp, token: &str, award: i64, body: Value) -> i64 {
    let reply = ask(app, token, award, body).await;
    assert_eq!(reply.status.as_u16(), 201, "{}", reply.text);
    assert_eq!(reply.json["status"], "requested");
    reply.json["id"].as_i64().unwrap()
}

fn committed(budget: &[YearBudget], year: &str) -> String {
    budget
        .iter()
        .find(|y| y.year == year)
        .map(|y| y.committed.clone())
        .unwrap_or_default()
}

db_test! {
    async fn approving_a_reprofiling_moves_money_between_years_and_tells_the_grant_holder(app) {
        let panel = Panel::new(&app, 1).await;
        let Award { id: award, holder } = panel.unpaid(&app, 1).await;
        let before = panel.budget(&app).await;
        let id = asked(&app, &holder, award, json!({
            "kind": "reprofile",
            "amounts": {"2021-22": "30000.00", "2022-23": "48000.00"},
            "reason": "The groups started late, so the first year's underspend moves on."
        })).await;
        let reply = decide(&app, &panel.admin, id, "approve", "Explained in the first return.").await;
        assert_eq!(reply.status.as_u16(), 200, "{}", reply.text);
        assert_eq!(reply.json["status"], "approved");
        assert_eq!(reply.json["decision_reason"], "Explained in the first return.");
        assert_eq!(reply.json["award_before"]["amounts"]["2021-22"], "38000.00");
        assert_eq!(reply.json["award_after"]["amounts"]["2021-22"], "30000.00");
        let shown = app.as_(&holder).get(&format!("/api/v1/awards/{award}")).send().await;
        assert_eq!(shown.json["amounts"], json!({"2021-22": "30000.00", "2022-23": "48000.00"}));
        assert_eq!(shown.json["total"], "78000.00", "the total is unchanged");
        assert_eq!(shown.json["variations"][0]["status"], "approved");
        let after = panel.budget(&app).await;
        let moved = |year: &str, by: f64| {
            let was: f64 = committed(&before, year).parse().unwrap();
            assert_eq!(committed(&after, year).parse::<f64>().unwrap(), was + by, "{year}");
        };
        moved("2021-22", -8000.0);
        moved("2022-23", 8000.0);
        let letters = app.as_(&panel.admin).get("/api/v1/outbox?per_page=100").send().await;
        assert!(letters.json["items"].as_array().unwrap().iter().any(|m| m["kind"] == "variation_decided"), "{}", letters.text);
        let queue = app.as_(&panel.admin).get("/api/v1/variations?status=requested").send().await;
        assert_eq!(queue.json["total"], 0);
        let all = app.as_(&panel.admin).get("/api/v1/variations?status=approved").send().await;
        assert_eq!(all.json["total"], 1);
    }
}

db_test! {
    async fn a_reduction_gives_the_money_back_to_the_fund_year(app) {
        let panel = Panel::new(&app, 1).await;
        let Award { id: award, holder } = panel.unpaid(&app, 1).await;
        let before: f64 = committed(&panel.budget(&app).await, "2022-23").parse().unwrap();
        let official = app.staff(Role::Official).await;
        let report = |official: String| {
            let app = &app;
            let path = format!("/api/v1/reports/funds/{}/summary", panel.fund);
            async move { app.as_(&official).get(&path).send().await.json["total"]["committed"].clone() }
        };
        assert_eq!(report(official.clone()).await, "78000.00", "the report is read, and kept");
        let id = asked(&app, &holder, award, json!({
            "kind": "reduce", "amounts": {"2022-23": "25000.00"},
            "reason": "One of the two venues has closed."
        })).await;
        let reply = decide(&app, &panel.admin, id, "approve", "The reduced plan still meets the aims.").await;
        assert_eq!(reply.status.as_u16(), 200, "{}", reply.text);
        let after: f64 = committed(&panel.budget(&app).await, "2022-23").parse().unwrap();
        assert_eq!(after, before - 15000.0);
        let shown = app.as_(&holder).get(&format!("/api/v1/awards/{award}")).send().await;
        assert_eq!(shown.json["total"], "63000.00");
        assert_eq!(report(official.clone()).await, "63000.00", "the kept report moved with it");
        let export = app.as_(&official).get(&format!("/api/v1/exports/360giving?fund_id={}", panel.fund)).send().await;
        assert_eq!(export.json["grants"][0]["amountAwarded"].as_f64(), Some(63000.0), "open data follows");
        // A reduction lowers: raising a year, or keeping it, is refused.
        let raised = ask(&app, &holder, award, json!({"kind": "reduce", "amounts": {"2021-22": "39000.00"}, "reason": "More."})).await;
        raised.assert_problem(422, "validation_failed");
        assert_eq!(raised.error_fields(), ["amounts.2021-22"]);
    }
}

db_test! {
    async fn an_extension_reschedules_the_final_return_and_the_published_end_date(app) {
        set_day(&app, "2021-06-01");
        let panel = Panel::new(&app, 1).await;
        let Award { id: award, holder } = panel.unpaid(&app, 1).await;
        let shown = app.as_(&holder).get(&format!("/api/v1/awards/{award}")).send().await;
        assert_eq!(shown.json["end_date"], "2023-03-31");
        let id = asked(&app, &holder, award, json!({
            "kind": "extend", "end_date": "2023-09-30",
            "reason": "The last groups run over the summer."
        })).await;
        let committed_before = panel.budget(&app).await;
        let reply = decide(&app, &panel.admin, id, "approve", "No new money is needed.").await;
        assert_eq!(reply.status.as_u16(), 200, "{}", reply.text);
        assert_eq!(panel.budget(&app).await, committed_before, "an extension moves no money");
        let shown = app.as_(&holder).get(&format!("/api/v1/awards/{award}")).send().await;
        assert_eq!(shown.json["end_date"], "2023-09-30");
        let returns = app.as_(&holder).get(&format!("/api/v1/awards/{award}/returns?per_page=100")).send().await;
        let last = returns.json["items"].as_array().unwrap().iter().find(|r| r["is_final"] == true).unwrap().clone();
        assert_eq!(last["period_end"], "2023-09-30");
        assert_eq!(last["due_date"], "2023-11-29", "60 days after the new end");
        let official = app.staff(Role::Official).await;
        let export = app.as_(&official).get(&format!("/api/v1/exports/360giving?fund_id={}", panel.fund)).send().await;
        assert_eq!(export.status.as_u16(), 200, "{}", export.text);
        let grant = &export.json["grants"][0];
        assert_eq!(grant["plannedDates"][0]["endDate"], "2023-09-30", "{grant}");
        assert_eq!(grant["amountAwarded"].as_f64(), Some(78000.0));
        // An extension must end later than the award does now.
        let earlier = ask(&app, &holder, award, json!({"kind": "extend", "end_date": "2023-06-30", "reason": "Shorter."})).await;
        earlier.assert_problem(422, "validation_failed");
        assert_eq!(earlier.error_fields(), ["end_date"]);
    }
}

db_test! {
    async fn refusing_needs_a_reason_and_a_request_lists_every_field_in_error(app) {
        let panel = Panel::new(&app, 1).await;
        let Award { id: award, holder } = panel.unpaid(&app, 1).await;
        let bad = ask(&app, &holder, award, json!({
            "kind": "reprofile",
            "amounts": {"2030-31": "1.00", "2021-22": "lots"},
            "end_date": "2024-01-01",
            "reason": " "
        })).await;
        bad.assert_problem(422, "validation_failed");
        let mut fields = bad.error_fields();
        fields.sort();
        assert_eq!(fields, ["amounts.2021-22", "amounts.2030-31", "end_date", "reason"], "{}", bad.text);
        let id = asked(&app, &holder, award, json!({"kind": "conditions", "conditions": "Report twice a year.", "reason": "Quarterly reports take a day each."})).await;
        let blank = decide(&app, &panel.admin, id, "refuse", "").await;
        blank.assert_problem(422, "validation_failed");
        assert_eq!(blank.error_fields(), ["reason"]);
        let refused = decide(&app, &panel.admin, id, "refuse", "Quarterly figures feed the national report.").await;
        assert_eq!(refused.status.as_u16(), 200, "{}", refused.text);
        assert_eq!(refused.json["status"], "refused");
        let shown = app.as_(&holder).get(&format!("/api/v1/awards/{award}")).send().await;
        assert_eq!(shown.json["conditions"], "Report quarterly.", "a refusal changes nothing");
        decide(&app, &panel.admin, id, "approve", "Changed my mind.").await.assert_problem(409, "invalid_state");
    }
}

db_test! {
    async fn approved_conditions_replace_the_awards_conditions(app) {
        let panel = Panel::new(&app, 1).await;
        let Award { id: award, holder } = panel.unpaid(&app, 1).await;
        let id = asked(&app, &holder, award, json!({"kind": "conditions", "conditions": "Report twice a year.", "reason": "Quarterly reports take a day each."})).await;
        let reply = decide(&app, &panel.admin, id, "approve", "Six-monthly is enough for a grant this size.").await;
        assert_eq!(reply.status.as_u16(), 200, "{}", reply.text);
        let shown = app.as_(&holder).get(&format!("/api/v1/awards/{award}")).send().await;
        assert_eq!(shown.json["conditions"], "Report twice a year.");
    }
}

db_test! {
    async fn paid_and_requested_instalments_cannot_be_moved(app) {
        let panel = Panel::new(&app, 1).await;
        // 2021-22 is paid.
        let Award { id: paid, holder } = panel.accepted(&app, 1).await;
        let reply = ask(&app, &holder, paid, json!({"kind": "reduce", "amounts": {"2021-22": "30000.00"}, "reason": "Less needed."})).await;
        reply.assert_problem(409, "instalment_not_movable");
        // A release requested after the variation was asked stops it being applied.
        let Award { id: award, holder } = panel.unpaid(&app, 2).await;
        let id = asked(&app, &holder, award, json!({"kind": "reduce", "amounts": {"2021-22": "30000.00"}, "reason": "Less needed."})).await;
        app.payable(&holder, &panel.admin).await;
        let requested = app.as_(&panel.admin).post(&format!("/api/v1/awards/{award}/instalments/2021-22/release")).json(json!({})).send().await;
        assert_eq!(requested.status.as_u16(), 200, "{}", requested.text);
        let before = panel.budget(&app).await;
        decide(&app, &panel.admin, id, "approve", "Fine.").await.assert_problem(409, "instalment_not_movable");
        assert_eq!(panel.budget(&app).await, before);
        let shown = app.as_(&holder).get(&format!("/api/v1/awards/{award}")).send().await;
        assert_eq!(shown.json["amounts"]["2021-22"], "38000.00");
    }
}

db_test! {
    async fn whoever_proposed_a_variation_cannot_decide_it(app) {
        let panel = Panel::new(&app, 1).await;
        let Award { id: award, .. } = panel.unpaid(&app, 1).await;
        let id = asked(&app, &panel.admin, award, json!({"kind": "reduce", "amounts": {"2022-23": "30000.00"}, "reason": "The second year's plan is smaller."})).await;
        decide(&app, &panel.admin, id, "approve", "Agreed.").await.assert_problem(409, "same_person");
        decide(&app, &panel.admin, id, "refuse", "No.").await.assert_problem(409, "same_person");
        let other = app.admin().await;
        let reply = decide(&app, &other, id, "approve", "Agreed with the grant holder.").await;
        assert_eq!(reply.status.as_u16(), 200, "{}", reply.text);
    }
}

db_test! {
    async fn a_variation_asked_on_numbers_that_have_since_moved_is_refused(app) {
        let panel = Panel::new(&app, 1).await;
        let Award { id: award, holder } = panel.unpaid(&app, 1).await;
        let first = asked(&app, &holder, award, json!({"kind": "reprofile", "amounts": {"2021-22": "30000.00", "2022-23": "48000.00"}, "reason": "Late start."})).await;
        let second = asked(&app, &holder, award, json!({"kind": "reduce", "amounts": {"2021-22": "35000.00"}, "reason": "Less needed."})).await;
        assert_eq!(decide(&app, &panel.admin, first, "approve", "Fine.").await.status.as_u16(), 200);
        let before = panel.budget(&app).await;
        decide(&app, &panel.admin, second, "approve", "Fine.").await.assert_problem(409, "variation_stale");
        assert_eq!(panel.budget(&app).await, before);
        let still = app.as_(&holder).get(&format!("/api/v1/variations/{second}")).send().await;
        assert_eq!(still.json["status"], "requested", "it can still be refused or withdrawn");
        let withdrawn = app.as_(&holder).post(&format!("/api/v1/variations/{second}/withdraw")).json(json!({})).send().await;
        assert_eq!(withdrawn.json["status"], "withdrawn", "{}", withdrawn.text);
    }
}

db_test! {
    async fn a_receiving_year_without_room_refuses_the_whole_variation(app) {
        let panel = Panel::new(&app, 1).await;
        let Award { id: award, holder } = panel.unpaid(&app, 1).await;
        let full = committed(&panel.budget(&app).await, "2022-23");
        panel.set_limit(&app, "2022-23", &full, true).await;
        let id = asked(&app, &holder, award, json!({"kind": "reprofile", "amounts": {"2021-22": "30000.00", "2022-23": "48000.00"}, "reason": "Late start."})).await;
        let before = panel.budget(&app).await;
        let reply = decide(&app, &panel.admin, id, "approve", "Fine.").await;
        reply.assert_problem(409, "fund_limit_exceeded");
        assert_eq!(reply.error_fields(), ["amounts.2022-23"], "the short year is named");
        assert_eq!(panel.budget(&app).await, before, "the giving year kept its money too");
    }
}

db_test! {
    async fn another_organisations_award_and_variations_answer_404(app) {
        let panel = Panel::new(&app, 1).await;
        let Award { id: award, holder } = panel.unpaid(&app, 1).await;
        let Award { holder: other, .. } = panel.unpaid(&app, 2).await;
        let id = asked(&app, &holder, award, json!({"kind": "extend", "end_date": "2023-06-30", "reason": "Summer groups."})).await;
        ask(&app, &other, award, json!({"kind": "extend", "end_date": "2023-06-30", "reason": "Summer groups."})).await.assert_problem(404, "not_found");
        app.as_(&other).get(&format!("/api/v1/awards/{award}/variations")).send().await.assert_problem(404, "not_found");
        app.as_(&other).get(&format!("/api/v1/variations/{id}")).send().await.assert_problem(404, "not_found");
        app.as_(&other).post(&format!("/api/v1/variations/{id}/withdraw")).json(json!({})).send().await.assert_problem(404, "not_found");
        app.as_(&holder).get("/api/v1/variations").send().await.assert_problem(403, "forbidden");
        decide(&app, &holder, id, "approve", "Mine.").await.assert_problem(403, "forbidden");
        let listed = app.as_(&holder).get(&format!("/api/v1/awards/{award}/variations")).send().await;
        assert_eq!(listed.json.as_array().unwrap().len(), 1);
    }
}

/// Every award's instalments that still hold money in `year` (committed or paid), summed in
/// pence.
async fn held_in(app: &TestApp, admin: &str, fund: i64, year: &str) -> i64 {
    let mut total = 0;
    let mut page = 1;
    loop {
        let reply = app
            .as_(admin)
            .get(&format!(
                "/api/v1/awards?fund_id={fund}&per_page=100&page={page}"
            ))
            .send()
            .await;
        let items = reply.json["items"].as_array().unwrap().clone();
        for award in &items {
            for i in award["instalments"].as_array().unwrap() {
                if i["financial_year"] == year && i["status"] != "cancelled" {
                    let amount: f64 = i["amount"].as_str().unwrap().parse().unwrap();
                    total += (amount * 100.0).round() as i64;
                }
            }
        }
        if items.len() < 100 {
            return total;
        }
        page += 1;
    }
}

fn pence(amount: &str) -> i64 {
    (amount.parse::<f64>().unwrap() * 100.0).round() as i64
}

db_test! {
    async fn simultaneous_variations_and_decisions_never_over_commit_a_year(backend: Backend) {
        let Some(app) = TestApp::spawn_with(backend, |s| s.auth_attempts_per_client_per_minute = 10_000).await else { return };
        const AWARDS: usize = 16;
        const DECISIONS: usize = 16;
        let panel = Panel::new(&app, 1).await;
        panel.set_limit(&app, "2021-22", "10000000.00", true).await;
        panel.set_limit(&app, "2022-23", "10000000.00", true).await;
        let mut awards = Vec::new();
        for n in 0..AWARDS {
            let Submitted { id, applicant } = panel.ready(&app, n).await;
            let made = panel.award(&app, id, json!({"2021-22": "10000.00", "2022-23": "10000.00"})).await;
            let award = made.json["award"]["id"].as_i64().unwrap();
            app.as_(&applicant).post(&format!("/api/v1/awards/{award}/accept")).json(json!({})).send().await;
            let variation = asked(&app, &applicant, award, json!({"kind": "reprofile", "amounts": {"2021-22": "5000.00", "2022-23": "15000.00"}, "reason": "Late start."})).await;
            awards.push(variation);
        }
        let mut applications = Vec::new();
        for n in AWARDS..AWARDS + DECISIONS {
            applications.push(panel.ready(&app, n).await.id);
        }
        // Room in 2022-23 for 60,000.00 more: not for all 80,000.00 of the variations and
        // 160,000.00 of the decisions.
        let committed_now = committed(&panel.budget(&app).await, "2022-23");
        let limit = pence(&committed_now) + 6_000_000;
        panel.set_limit(&app, "2022-23", &format!("{}.{:02}", limit / 100, limit % 100), true).await;
        let deciders: Vec<String> = join_all((0..4).map(|_| app.admin())).await;
        let approvals = awards.iter().enumerate().map(|(n, id)| {
            let app = &app;
            let admin = deciders[n % deciders.len()].clone();
            async move { decide(app, &admin, *id, "approve", "Agreed.").await }
        });
        let decisions = applications.iter().map(|id| {
            let app = &app;
            let panel = &panel;
            async move { panel.award(app, *id, json!({"2022-23": "10000.00"})).await }
        });
        let (approved, decided) = tokio::join!(join_all(approvals), join_all(decisions));
        for reply in approved.iter().chain(decided.iter()) {
            let status = reply.status.as_u16();
            if status != 200 && status != 201 {
                reply.assert_problem(409, "fund_limit_exceeded");
            }
        }
        let won = approved.iter().filter(|r| r.status.as_u16() == 200).count() * 500_000
            + decided.iter().filter(|r| r.status.as_u16() == 201).count() * 1_000_000;
        assert!(won > 0, "something fitted");
        let budget = panel.budget(&app).await;
        let year = pence(&committed(&budget, "2022-23"));
        assert!(year <= limit, "committed {year} over the limit {limit}");
        assert_eq!(year, pence(&committed_now) + won as i64, "committed is what was won");
        assert_eq!(year, held_in(&app, &panel.admin, panel.fund, "2022-23").await, "committed is the sum of the instalments");
        let first = pence(&committed(&budget, "2021-22"));
        assert_eq!(first, held_in(&app, &panel.admin, panel.fund, "2021-22").await, "what left 2021-22 went back to it");
    }
}
