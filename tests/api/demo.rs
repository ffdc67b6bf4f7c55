//! `serve --demo` seeds the model case through the same rules as the API.

use std::collections::HashSet;

use serde_json::Value;

use grantfund::domain::vocabulary::{HealthBoard, Role};

use crate::db_test;
use crate::support::*;

async fn run_job(app: &TestApp) -> grantfund::monitoring::jobs::PassReport {
    let now = app.clock_now();
    app.state
        .db
        .run(move |conn| grantfund::monitoring::jobs::run_once(conn, now))
        .await
        .unwrap()
}

fn items(reply: &Reply) -> Vec<Value> {
    reply.json["items"].as_array().cloned().unwrap_or_default()
}

db_test! {
    async fn the_demo_seeds_the_model_fund_its_rounds_and_applications(app) {
        let now = app.clock_now();
        let logins = app.state.db.run({ let keyring = app.state.keyring.clone(); let blobs = app.state.blobs.clone(); move |conn| grantfund::tooling::demo::seed(conn, now, &keyring, &blobs) }).await.unwrap();
        let admin = logins.iter().find(|l| l.role == Role::Administrator).unwrap();
        let admin = app.login(&admin.email, &admin.password).await.json["access_token"].as_str().unwrap().to_owned();

        let funds = app.as_(&admin).get("/api/v1/funds").send().await;
        assert_eq!(funds.json["total"], 2);
        let by_code = |code: &str| funds.json["items"].as_array().unwrap().iter().find(|f| f["code"] == code).unwrap();
        let fund = by_code("PIMH");
        assert_eq!(fund["kind"], "grants");

        // The family fund, with the two units and the published rates of each year.
        let family = by_code("MBUFF");
        assert_eq!(family["kind"], "family_expenses");
        let units = app.as_(&admin).get(&format!("/api/v1/funds/{}/units", family["id"])).send().await;
        let boards: Vec<&str> = units.json.as_array().unwrap().iter().map(|u| u["health_board"].as_str().unwrap()).collect();
        assert_eq!(boards, ["lothian", "greater_glasgow_and_clyde"]);
        let rates = app.as_(&admin).get(&format!("/api/v1/funds/{}/rates", family["id"])).send().await;
        let mileage: Vec<(&str, &str)> = rates.json.as_array().unwrap().iter()
            .map(|r| (r["financial_year"].as_str().unwrap(), r["mileage_rate"].as_str().unwrap())).collect();
        assert_eq!(mileage, [("2020-21", "0.14"), ("2021-22", "0.12"), ("2022-23", "0.15"), ("2023-24", "0.15"), ("2024-25", "0.15"), ("2025-26", "0.15")]);
        assert!(rates.json.as_array().unwrap().iter().all(|r| r["family_cap"] == "500.00" && r["food_rate"] == "8.50"
            && r["claim_window_months"] == 3 && r["flights_per_week"] == 2), "{}", rates.text);

        // A year of families: claims at every step, one referred, a run paid with one line failed.
        let login = |role: Role| logins.iter().find(|l| l.role == role).unwrap();
        let cash_office = login(Role::CashOffice);
        let cash_office = app.login(&cash_office.email, &cash_office.password).await.json["access_token"].as_str().unwrap().to_owned();
        let stays = app.as_(&cash_office).get("/api/v1/stays").send().await;
        let stays = stays.json.as_array().unwrap().clone();
        assert_eq!(stays.len(), 12);
        let homes: HashSet<&str> = stays.iter().map(|s| s["home_board"].as_str().unwrap()).collect();
        assert!(homes.contains("western_isles") && homes.contains("shetland") && homes.contains("orkney"), "{homes:?}");
        let mut steps = HashSet::new();
        for stay in &stays {
            for claim in app.as_(&cash_office).get(&format!("/api/v1/stays/{}/claims", stay["id"])).send().await.json.as_array().unwrap() {
                steps.insert(claim["status"].as_str().unwrap().to_owned());
            }
        }
        let claimant = login(Role::Claimant);
        let claimant = app.login(&claimant.email, &claimant.password).await.json["access_token"].as_str().unwrap().to_owned();
        let drafts = app.as_(&claimant).get("/api/v1/claims").send().await;
        assert_eq!(drafts.json.as_array().unwrap().len(), 1, "{}", drafts.text);
        steps.insert("draft".to_owned());
        for step in ["draft", "submitted", "certified", "approved", "rejected", "referred", "paid"] {
            assert!(steps.contains(step), "no claim is {step}: {steps:?}");
        }
        let runs = app.as_(&cash_office).get("/api/v1/payment-runs").send().await;
        assert_eq!(runs.json[0]["failed"], 1, "{}", runs.text);
        let official = login(Role::Official);
        let official = app.login(&official.email, &official.password).await.json["access_token"].as_str().unwrap().to_owned();
        let report = app.as_(&official).get(&format!("/api/v1/reports/funds/{}/family", family["id"])).send().await;
        assert_eq!(report.json["families"], 7, "{}", report.text);
        let clinician = login(Role::Clinician);
        assert!(clinician.totp_secret.is_some(), "clinicians sign in with a second factor");

        assert_eq!(fund["reach_target"], 11000);
        let years: Vec<(&str, &str, bool)> = fund["financial_years"].as_array().unwrap().iter()
            .map(|y| (y["financial_year"].as_str().unwrap(), y["limit"].as_str().unwrap(), y["approved"].as_bool().unwrap())).collect();
        assert_eq!(years, [("2020-21", "1000000.00", true), ("2021-22", "1000000.00", true), ("2022-23", "1000000.00", true)]);

        let rounds = items(&app.as_(&admin).get("/api/v1/rounds").send().await);
        let components: Vec<&str> = rounds.iter().map(|r| r["component"].as_str().unwrap()).collect();
        assert_eq!(components, ["core", "innovation", "extension"]);
        let innovation = &rounds[1];
        assert_eq!(innovation["max_applicant_income"], "250000.00", "the innovation round is for small organisations");
        for round in &rounds {
            let criteria = app.as_(&admin).get(&format!("/api/v1/rounds/{}/criteria", round["id"])).send().await;
            assert_eq!(criteria.json["total"], 4);
        }
        // Each round asks its own questions, and the submitted applications answer them.
        for (round, first) in rounds.iter().zip(["difference", "idea", "achieved"]) {
            let form = app.as_(&admin).get(&format!("/api/v1/rounds/{}/form", round["id"])).send().await;
            assert_eq!(form.json["sections"][0]["questions"][0]["key"], first, "{}", form.text);
            let listed = app.as_(&admin).get(&format!("/api/v1/applications?round_id={}&per_page=100", round["id"])).send().await;
            let sent: Vec<Value> = items(&listed).into_iter().filter(|a| a["submitted_at"].is_string()).collect();
            assert!(!sent.is_empty(), "{}", listed.text);
            for application in sent {
                assert!(application["answers"][first].is_object(), "{}", application);
            }
        }

        let organisations = app.as_(&admin).get("/api/v1/organisations?per_page=100").send().await;
        assert!(organisations.json["total"].as_i64().unwrap() >= 30, "{}", organisations.json["total"]);
        let boards: HashSet<String> = items(&organisations).iter()
            .flat_map(|o| o["health_boards"].as_array().unwrap().iter().map(|b| b.as_str().unwrap().to_owned()).collect::<Vec<_>>())
            .collect();
        assert_eq!(boards.len(), HealthBoard::ALL.len(), "every health board is served");

        // The demo carries documents on its organisations, applications, returns and awards.
        let charity = items(&organisations).into_iter().find(|o| o["name"] == "Bumps & Babies Fife").unwrap();
        let papers = app.as_(&admin).get(&format!("/api/v1/organisations/{}/documents", charity["id"])).send().await;
        let kinds: HashSet<String> = items(&papers).iter().map(|d| d["kind"].as_str().unwrap().to_owned()).collect();
        assert_eq!(kinds.len(), 3, "{}", papers.text);
        assert_eq!(papers.json["accounts_out_of_date"], false, "the demo charity's accounts are current");
        let first = &items(&papers)[0];
        let pdf = app.as_(&admin).get(&format!("/api/v1/documents/{}/content", first["id"])).send().await;
        assert!(pdf.bytes.starts_with(b"%PDF-1.4"), "{}", pdf.text);

        let applications = items(&app.as_(&admin).get("/api/v1/applications?per_page=100").send().await);
        assert!(applications.len() >= 30);
        let with_budget = app.as_(&admin).get(&format!("/api/v1/applications/{}/documents", applications[0]["id"])).send().await;
        assert!(items(&with_budget).iter().any(|d| d["kind"] == "budget"), "{}", with_budget.text);
        let returns = items(&app.as_(&admin).get("/api/v1/returns?status=accepted&per_page=5").send().await);
        assert!(!returns.is_empty());
        let evidence = app.as_(&admin).get(&format!("/api/v1/returns/{}/documents", returns[0]["id"])).send().await;
        assert_eq!(items(&evidence)[0]["kind"], "evidence", "{}", evidence.text);
        let submitted = applications.iter().filter(|a| ["submitted", "awarded", "declined"].contains(&a["status"].as_str().unwrap())).count();
        let drafts = applications.iter().filter(|a| a["status"] == "draft").count();
        assert!(submitted >= 20 && drafts >= 5, "{submitted} submitted, {drafts} drafts");
        let groups: HashSet<&str> = applications.iter().flat_map(|a| a["target_groups"].as_array().unwrap().iter().map(|g| g.as_str().unwrap())).collect();
        let support: HashSet<&str> = applications.iter().flat_map(|a| a["support_types"].as_array().unwrap().iter().map(|g| g.as_str().unwrap())).collect();
        assert_eq!(groups.len(), 10, "every target group appears: {groups:?}");
        assert_eq!(support.len(), 8, "every support type appears: {support:?}");
        for application in applications.iter().filter(|a| a["round_id"] == innovation["id"]) {
            let organisation = app.as_(&admin).get(&format!("/api/v1/organisations/{}", application["organisation_id"])).send().await;
            let income: rust_decimal::Decimal = organisation.json["annual_income"].as_str().unwrap().parse().unwrap();
            assert!(income <= rust_decimal::Decimal::from(250_000), "{}", organisation.text);
        }

        // The demo applicant sees their own two applications and no one else's.
        let aileen = logins.iter().find(|l| l.role == Role::Applicant).unwrap();
        let aileen = app.login(&aileen.email, &aileen.password).await.json["access_token"].as_str().unwrap().to_owned();
        let own = items(&app.as_(&aileen).get("/api/v1/applications").send().await);
        let states: Vec<&str> = own.iter().map(|a| a["status"].as_str().unwrap()).collect();
        assert_eq!(states, ["draft", "awarded"]);
        let offers = items(&app.as_(&aileen).get("/api/v1/awards").send().await);
        assert_eq!(offers.len(), 1);
        assert_eq!(offers[0]["status"], "offered", "the demo applicant has an offer to accept");

        // The panel has assessed every round: a conflict declared and refilled, Sam's work
        // still open, one score moderated, and a core ranking whose funding line matches a hand
        // calculation from its own figures.
        assert_eq!(app.as_(&admin).get("/api/v1/assignments?status=conflicted").send().await.json["total"], 1);
        let sam = logins.iter().find(|l| l.role == Role::Assessor).unwrap();
        let sam = app.login(&sam.email, &sam.password).await.json["access_token"].as_str().unwrap().to_owned();
        let own: Vec<String> = items(&app.as_(&sam).get("/api/v1/assignments?per_page=100").send().await).iter().map(|a| a["status"].as_str().unwrap().to_owned()).collect();
        assert!(own.contains(&"pending".to_owned()) && own.contains(&"in_progress".to_owned()) && own.contains(&"submitted".to_owned()), "{own:?}");
        let core = &rounds[0];
        let ranking = app.as_(&admin).get(&format!("/api/v1/rounds/{}/ranking", core["id"])).send().await;
        assert_eq!(ranking.status.as_u16(), 200, "{}", ranking.text);
        let ranked = ranking.json["items"].as_array().unwrap();
        assert!(ranked.len() >= 3, "what is still undecided after the awards: {}", ranking.text);
        assert!(!ranking.json["not_ready"].as_array().unwrap().is_empty(), "Sam's open assignments leave applications not ready");
        assert_eq!(ranked.iter().filter(|i| i["moderated"] == true).count(), 1);
        let pence = |v: &Value| -> i64 { let d: rust_decimal::Decimal = v.as_str().unwrap().parse().unwrap(); (d * rust_decimal::Decimal::ONE_HUNDRED).try_into().unwrap() };
        let mut scores: Vec<(i64, i64)> = Vec::new();
        let mut line = None;
        let mut sums = std::collections::BTreeMap::<String, i64>::new();
        for (i, item) in ranked.iter().enumerate() {
            scores.push((pence(&item["score"]), item["application_id"].as_i64().unwrap()));
            let view = app.as_(&admin).get(&format!("/api/v1/applications/{}/assessment", item["application_id"])).send().await;
            assert_eq!(view.json["final_score"], item["score"]);
            let mut fits = true;
            for (year, amount) in item["requested"].as_object().unwrap() {
                let sum = sums.entry(year.clone()).or_default();
                *sum += pence(amount);
                fits &= *sum <= pence(&ranking.json["remaining"][year]);
            }
            if !fits && line.is_none() {
                line = Some(i as i64);
            }
        }
        assert!(scores.windows(2).all(|w| w[0].0 >= w[1].0), "ordered by final score: {scores:?}");
        assert!(line.is_some(), "the core round asks for more than a year's limit");
        assert_eq!(ranking.json["funding_line_after_rank"], line.unwrap());

        // Awards across two years: most accepted with their first instalment paid, one offer
        // turned down, one application declined; every year's committed and paid equal what
        // its instalments hold, within the limit.
        let awards = items(&app.as_(&admin).get("/api/v1/awards?per_page=100").send().await);
        let count = |status: &str| awards.iter().filter(|a| a["status"] == status).count();
        assert!(count("accepted") >= 10 && count("declined") == 1 && count("offered") == 1, "{awards:?}");
        assert_eq!(applications.iter().filter(|a| a["status"] == "declined").count(), 1);
        let mut held = std::collections::BTreeMap::<String, (i64, i64)>::new();
        for award in &awards {
            for instalment in award["instalments"].as_array().unwrap() {
                let entry = held.entry(instalment["financial_year"].as_str().unwrap().to_owned()).or_default();
                match instalment["status"].as_str().unwrap() {
                    "committed" => entry.0 += pence(&instalment["amount"]),
                    "released" => { entry.0 += pence(&instalment["amount"]); entry.1 += pence(&instalment["amount"]); }
                    _ => {}
                }
            }
        }
        assert!(held.len() >= 2 && held.values().any(|(_, paid)| *paid > 0), "{held:?}");
        for year in items(&app.as_(&admin).get(&format!("/api/v1/funds/{}/years", fund["id"])).send().await) {
            let (committed, paid) = held.get(year["financial_year"].as_str().unwrap()).copied().unwrap_or_default();
            assert_eq!((pence(&year["committed"]), pence(&year["paid"])), (committed, paid), "{year}");
            assert!(pence(&year["committed"]) <= pence(&year["limit"]));
        }

        // Finance paid through closed payment runs: in one the bank returned a payment, which a
        // later run paid.
        let finance = app.staff(Role::Finance).await;
        let runs = app.as_(&finance).get("/api/v1/payment-runs").send().await.json.as_array().unwrap().clone();
        assert!(runs.len() >= 2 && runs.iter().all(|r| r["status"] == "closed" && r["pending"] == 0), "{runs:?}");
        let failed_in = runs.iter().find(|r| r["failed"].as_i64().unwrap() > 0).expect("a run with a failed line");
        let run = app.as_(&finance).get(&format!("/api/v1/payment-runs/{}", failed_in["id"])).send().await.json;
        let failed = run["lines"].as_array().unwrap().iter().find(|l| l["status"] == "failed").unwrap().clone();
        assert!(failed["failure_reason"].is_string());
        let mut repaid = false;
        for r in runs.iter().filter(|r| r["id"].as_i64() > failed_in["id"].as_i64()) {
            let lines = app.as_(&finance).get(&format!("/api/v1/payment-runs/{}", r["id"])).send().await.json;
            repaid |= lines["lines"].as_array().unwrap().iter().any(|l| l["award_id"] == failed["award_id"] && l["financial_year"] == failed["financial_year"] && l["status"] == "paid");
        }
        assert!(repaid, "the returned payment is paid by a later run");
        let bank_queue = app.as_(&finance).get("/api/v1/release-requests?status=authorised").send().await.json;
        assert!(bank_queue.as_array().unwrap().is_empty(), "nothing authorised is left unpaid: {bank_queue}");

        // Monitoring returns in every state a finished programme can show, with reach reported.
        for status in ["accepted", "submitted", "changes_requested", "overdue"] {
            let total = app.as_(&admin).get(&format!("/api/v1/returns?status={status}")).send().await.json["total"].as_i64().unwrap();
            assert!(total > 0, "no {status} returns");
        }
        assert!(awards.iter().any(|a| a["status"] == "completed"), "final returns accepted complete awards");
        let reported = items(&app.as_(&admin).get("/api/v1/returns?status=accepted&per_page=5").send().await);
        assert!(reported.iter().all(|r| r["reached"]["women"].as_i64().unwrap() > 0 && r["spend"].is_string()));
        // A second instalment waits for the return before it.
        let waiting = awards.iter().find(|a| a["status"] == "accepted" && a["instalments"].as_array().unwrap().iter().any(|i| i["status"] == "committed")).unwrap();
        let year = waiting["instalments"].as_array().unwrap().iter().find(|i| i["status"] == "committed").unwrap()["financial_year"].as_str().unwrap().to_owned();
        app.as_(&admin).post(&format!("/api/v1/awards/{}/instalments/{year}/release", waiting["id"])).json(serde_json::json!({})).send().await.assert_problem(409, "return_not_accepted");
        // The monitoring job reminds each overdue return once, however often it runs.
        let first = run_job(&app).await;
        assert!(first.reminders > 0 && first.digests == 1, "{first:?}");
        assert_eq!(run_job(&app).await.reminders, 0);

        // Families have given feedback through links on the running awards: at least 200
        // responses, with some groups of respondents under five, shown without figures.
        let mut responses = 0;
        let mut small_groups = 0;
        for award in awards.iter().filter(|a| a["status"] == "accepted" || a["status"] == "completed") {
            let feedback = app.as_(&admin).get(&format!("/api/v1/awards/{}/feedback", award["id"])).send().await;
            responses += feedback.json["responses"].as_i64().unwrap();
            small_groups += feedback.json["by_respondent"].as_array().unwrap().iter().filter(|g| g["suppressed"] == true).count();
            assert_eq!(app.as_(&admin).get(&format!("/api/v1/awards/{}/feedback-links", award["id"])).send().await.json.as_array().unwrap().len(), 2);
        }
        assert!(responses >= 200, "{responses} responses");
        assert!(small_groups > 0);

        // From the ranking to an accepted award by the API alone: due diligence on the top
        // organisation, an award of what it asked, and the demo applicant accepting their offer.
        let top = &ranked[0];
        app.as_(&admin).post(&format!("/api/v1/organisations/{}/verify", top["organisation_id"])).json(serde_json::json!({})).send().await;
        let made = app.as_(&admin).post(&format!("/api/v1/applications/{}/decision", top["application_id"])).json(serde_json::json!({"decision": "award", "amounts": top["requested"]})).send().await;
        assert_eq!(made.status.as_u16(), 201, "{}", made.text);
        let accepted = app.as_(&aileen).post(&format!("/api/v1/awards/{}/accept", offers[0]["id"])).json(serde_json::json!({})).send().await;
        assert_eq!(accepted.json["status"], "accepted", "{}", accepted.text);
        // Grant holders' bank details are checked; the demo applicant's wait for a check.
        let own = app.as_(&aileen).get("/api/v1/me").send().await.json["user"]["organisation_id"].as_i64().unwrap();
        let held = app.as_(&admin).get(&format!("/api/v1/organisations/{own}/bank-details")).send().await;
        assert_eq!(held.json["status"], "awaiting_verification", "{}", held.text);
        let other = app.as_(&admin).get(&format!("/api/v1/organisations/{}/bank-details", top["organisation_id"])).send().await;
        assert_eq!(other.status.as_u16(), 200, "{}", other.text);

        // One grant holder's re-profiling was approved and another's extension refused.
        let approved = app.as_(&admin).get("/api/v1/variations?status=approved").send().await;
        assert_eq!(approved.json["total"], 1, "{}", approved.text);
        assert_eq!(approved.json["items"][0]["kind"], "reprofile");
        let refused = app.as_(&admin).get("/api/v1/variations?status=refused").send().await;
        assert_eq!(refused.json["total"], 1, "{}", refused.text);
        assert_eq!(refused.json["items"][0]["kind"], "extend");

        // Seeding again changes nothing.
        let again = app.state.db.run({ let keyring = app.state.keyring.clone(); let blobs = app.state.blobs.clone(); move |conn| grantfund::tooling::demo::seed(conn, now, &keyring, &blobs) }).await.unwrap();
        assert!(again.is_empty());
        assert_eq!(app.as_(&admin).get("/api/v1/funds").send().await.json["total"], 2);
    }
}

db_test! {
    async fn demo_credentials_reset_gives_the_demo_accounts_new_passwords_and_ends_their_sessions(app) {
        let admin = app.admin().await;
        let ids: Vec<i64> = vec![
            app.create_user(Role::Administrator, "admin@fund.example.org", None).await,
            app.create_user(Role::Assessor, "assessor@panel.example.org", None).await,
        ];
        // A demo address with another role than the demo's is not a demo account.
        let other = app.create_user(Role::Assessor, "official@gov.example.org", None).await;
        app.register("SC012345", "aileen@bumps-and-babies.example.org").await;
        let before = app.login("admin@fund.example.org", PASSWORD).await;
        let refresh = before.json["refresh_token"].as_str().unwrap().to_owned();
        app.anonymous().post("/api/v1/auth/password-reset/request").json(serde_json::json!({"email": "aileen@bumps-and-babies.example.org"})).send().await;
        app.run_outbox().await;
        let mails = app.mails();
        let reset_mail = mails.iter().find(|m| m.contains("Reset your grant fund password")).unwrap();
        let reset_token = crate::auth::token_in(reset_mail);

        let now = app.clock_now();
        let keyring = app.state.keyring.clone();
        let logins = app.state.db.run(move |conn| grantfund::tooling::demo::reset_credentials(conn, now, &keyring)).await.unwrap();
        let reset: Vec<(Role, &str)> = logins.iter().map(|l| (l.role, l.email.as_str())).collect();
        assert_eq!(reset, [
            (Role::Administrator, "admin@fund.example.org"),
            (Role::Assessor, "assessor@panel.example.org"),
            (Role::Applicant, "aileen@bumps-and-babies.example.org"),
        ]);
        for login in &logins {
            assert!(login.password.starts_with("demo-") && login.password.len() > 16);
            app.login(&login.email, PASSWORD).await.assert_problem(401, "invalid_credentials");
            assert_eq!(app.login(&login.email, &login.password).await.status.as_u16(), 200, "{}", login.email);
        }
        assert_eq!(app.anonymous().post("/api/v1/auth/refresh").json(serde_json::json!({"refresh_token": refresh})).send().await.status.as_u16(), 401, "sessions end");
        app.anonymous().post("/api/v1/auth/password-reset/confirm").json(serde_json::json!({"token": reset_token, "password": "a brand new passphrase"})).send()
            .await
            .assert_problem(400, "reset_token_invalid");
        for id in ids {
            assert!(app.audit_actions(&admin, "user", id).await.contains(&"password_reset".to_owned()));
        }
        assert!(!app.audit_actions(&admin, "user", other).await.contains(&"password_reset".to_owned()));
        assert_eq!(app.login("official@gov.example.org", PASSWORD).await.status.as_u16(), 200, "other accounts keep their passwords");

        let keyring = app.state.keyring.clone();
        let again = app.state.db.run(move |conn| grantfund::tooling::demo::reset_credentials(conn, now, &keyring)).await.unwrap();
        assert_ne!(again[0].password, logins[0].password, "a new password every time");
    }
}

db_test! {
    async fn demo_credentials_reset_finds_nothing_to_reset_without_the_demo(app) {
        app.create_user(Role::Administrator, "someone@fund.example.org", None).await;
        let now = app.clock_now();
        let keyring = app.state.keyring.clone();
        let logins = app.state.db.run(move |conn| grantfund::tooling::demo::reset_credentials(conn, now, &keyring)).await.unwrap();
        assert!(logins.is_empty());
    }
}
