//! Open data: the demo fund's grants as a 360Giving package and CSV.

use serde_json::Value;

use grantfund::domain::vocabulary::Role;

use crate::db_test;
use crate::support::*;

/// The demo's administrator and official, signed in.
struct DemoStaff {
    admin: String,
    official: String,
}

/// Seeds the demo and signs in its administrator and official.
async fn demo(app: &TestApp) -> DemoStaff {
    let now = app.clock_now();
    let blobs = app.state.blobs.clone();
    let logins = app
        .state
        .db
        .run({
            let keyring = app.state.keyring.clone();
            move |conn| grantfund::tooling::demo::seed(conn, now, &keyring, &blobs)
        })
        .await
        .unwrap();
    let token = |role: Role| {
        let login = logins.iter().find(|l| l.role == role).unwrap().clone();
        async move {
            app.login(&login.email, &login.password).await.json["access_token"]
                .as_str()
                .unwrap()
                .to_owned()
        }
    };
    DemoStaff {
        admin: token(Role::Administrator).await,
        official: token(Role::Official).await,
    }
}

db_test! {
    async fn the_360giving_export_lists_every_published_grant_with_exact_amounts(app) {
        let DemoStaff { admin, official } = demo(&app).await;
        let reply = app.as_(&official).get("/api/v1/exports/360giving?fund_id=1").send().await;
        assert_eq!(reply.status.as_u16(), 200, "{}", reply.text);
        assert_eq!(reply.json["version"], "1.4");
        let grants = reply.json["grants"].as_array().unwrap();
        assert_eq!(reply.header("x-grants-without-org-id"), None, "no grant is left out");
        let awards = app.as_(&admin).get("/api/v1/awards?per_page=100").send().await;
        let published: Vec<&Value> = awards.json["items"].as_array().unwrap().iter()
            .filter(|a| ["accepted", "completed", "terminated"].contains(&a["status"].as_str().unwrap())).collect();
        // Every accepted, completed or terminated award is a grant.
        assert_eq!(grants.len(), published.len());
        let mut own_prefix = 0;
        let mut programmes = std::collections::BTreeSet::new();
        assert!(grants.len() >= 5, "{}", reply.text);
        for grant in grants {
            let reference = grant["id"].as_str().unwrap().strip_prefix("360G-grantfund-").expect("publisher prefix");
            let award = published.iter().find(|a| a["reference"] == reference).unwrap();
            assert!(grant["amountAwarded"].is_number(), "a JSON number: {grant}");
            // The number's text is the award's exact amount, to the penny.
            let text = serde_json::to_string(&grant["amountAwarded"]).unwrap();
            let awarded: rust_decimal::Decimal = text.parse().unwrap();
            let expected: rust_decimal::Decimal = award["amounts"].as_object().unwrap().values().map(|v| v.as_str().unwrap().parse::<rust_decimal::Decimal>().unwrap()).sum();
            assert_eq!(awarded, expected, "{reference}");
            let paid: rust_decimal::Decimal = serde_json::to_string(&grant["amountDisbursed"]).unwrap().parse().unwrap();
            assert_eq!(paid, award["paid"].as_str().unwrap().parse::<rust_decimal::Decimal>().unwrap());
            // By its charity or company number, else under the publisher's prefix by its id.
            let recipient = &grant["recipientOrganization"][0];
            let id = recipient["id"].as_str().unwrap();
            match (recipient["charityNumber"].as_str(), recipient["companyNumber"].as_str()) {
                (Some(charity), _) => assert_eq!(id, format!("GB-SC-{charity}")),
                (None, Some(company)) => assert_eq!(id, format!("GB-COH-{company}")),
                (None, None) => {
                    assert_eq!(id, format!("360G-grantfund-ORG-{}", award["organisation_id"]));
                    own_prefix += 1;
                }
            }
            assert_eq!(grant["fundingOrganization"][0]["id"], "GB-GOR-PC390");
            assert_eq!(grant["currency"], "GBP");
            let locations = grant["beneficiaryLocation"].as_array().unwrap();
            assert!(!locations.is_empty() && locations.iter().all(|l| l["geoCodeType"] == "HB" && l["geoCode"].as_str().unwrap().starts_with("S08")));
            assert!(grant["grantProgramme"][0]["title"].as_str().unwrap().starts_with("Perinatal and Infant Mental Health"));

            // The recommended fields: what was asked for, the open call, where it is published.
            let asked: rust_decimal::Decimal = serde_json::to_string(&grant["amountAppliedFor"]).unwrap().parse().unwrap();
            let application = app.as_(&admin).get(&format!("/api/v1/applications/{}", award["application_id"])).send().await;
            assert_eq!(asked, application.json["total_requested"].as_str().unwrap().parse::<rust_decimal::Decimal>().unwrap(), "{reference}");
            assert_eq!(grant["fromOpenCall"], "Yes");
            // The public download, which anyone can fetch.
            assert!(grant["dataSource"].as_str().unwrap().ends_with("/api/v1/open-data/funds/1/360giving.json"), "{grant}");
            // Each component is its own programme, so core, innovation and extension group apart.
            let round = app.as_(&admin).get(&format!("/api/v1/rounds/{}", application.json["round_id"])).send().await;
            let component = round.json["component"].as_str().unwrap();
            let code = grant["grantProgramme"][0]["code"].as_str().unwrap();
            assert_eq!(code, format!("PIMH-{}", component.to_uppercase()));
            programmes.insert(code.to_owned());
            // A grant is never planned to start before it was made.
            let start = grant["plannedDates"][0]["startDate"].as_str().unwrap();
            assert!(start >= grant["awardDate"].as_str().unwrap(), "{grant}");
            // It changed last no earlier than its award did.
            let modified = chrono::DateTime::parse_from_rfc3339(grant["dateModified"].as_str().unwrap()).unwrap();
            let updated = chrono::DateTime::parse_from_rfc3339(award["updated_at"].as_str().unwrap()).unwrap();
            assert!(modified >= updated, "{reference}");
        }
        assert!(programmes.len() >= 2, "{programmes:?}");

        assert!(own_prefix > 0, "the demo has grants to organisations without numbers");

        // The package is what the contract's schema says it is.
        let departures = crate::contract::departures("GrantPackage", &reply.json);
        assert!(departures.is_empty(), "{departures:#?}");

        let csv = app.as_(&official).get("/api/v1/exports/360giving?fund_id=1&format=csv").send().await;
        assert!(csv.header("content-type").unwrap().starts_with("text/csv"));
        let lines: Vec<&str> = csv.text.lines().collect();
        assert!(lines[0].starts_with("Identifier,Title,Description,Currency,Amount Awarded,Amount Disbursed,Amount Applied For,From An Open Call?,Data Source,Award Date"), "{}", lines[0]);
        assert_eq!(lines.len(), grants.len() + 1);
        // Each beneficiary location has its own numbered columns, so no board is lost: the CSV
        // names the same boards for each grant as the JSON, in the same order.
        let mut table = csv::Reader::from_reader(csv.text.as_bytes());
        let titles = table.headers().unwrap().clone();
        let most = grants.iter().map(|g| g["beneficiaryLocation"].as_array().unwrap().len()).max().unwrap();
        assert!(most >= 2, "a demo grant covers more than one board");
        assert!(titles.iter().any(|t| t == format!("Beneficiary Location:{}:Geographic Code", most - 1)));
        assert!(!titles.iter().any(|t| t == format!("Beneficiary Location:{most}:Name")));
        for (record, grant) in table.records().map(Result::unwrap).zip(grants) {
            let cell = |title: &str| record.get(titles.iter().position(|t| t == title).unwrap()).unwrap().to_owned();
            assert_eq!(cell("Identifier"), grant["id"].as_str().unwrap());
            assert_eq!(cell("Recipient Org:Identifier"), grant["recipientOrganization"][0]["id"].as_str().unwrap());
            let codes: Vec<String> = (0..most)
                .map(|i| cell(&format!("Beneficiary Location:{i}:Geographic Code")))
                .filter(|c| !c.is_empty())
                .collect();
            let expected: Vec<String> = grant["beneficiaryLocation"].as_array().unwrap().iter()
                .map(|l| l["geoCode"].as_str().unwrap().to_owned()).collect();
            assert_eq!(codes, expected, "{}", grant["id"]);
        }
        // Its own operation answers the same CSV.
        let sibling = app.as_(&official).get("/api/v1/exports/360giving.csv?fund_id=1").send().await;
        assert_eq!(sibling.status.as_u16(), 200, "{}", sibling.text);
        assert!(sibling.header("content-type").unwrap().starts_with("text/csv"));
        assert_eq!(sibling.text, csv.text);
        app.as_(&applicant_of_nothing(&app).await).get("/api/v1/exports/360giving.csv?fund_id=1").send().await.assert_problem(403, "forbidden");

        let Registered { token: applicant, .. } = app.register("SC500001", "someone@example.org").await;
        app.as_(&applicant).get("/api/v1/exports/360giving?fund_id=1").send().await.assert_problem(403, "forbidden");
        app.as_(&official).get("/api/v1/exports/360giving?fund_id=999").send().await.assert_problem(404, "not_found");
        app.as_(&official).get("/api/v1/exports/360giving").send().await.assert_problem(400, "invalid_query");
    }
}

/// A newly registered applicant, whose organisation has nothing to do with the fund.
async fn applicant_of_nothing(app: &TestApp) -> String {
    app.register("SC500002", "nobody-in-particular@example.org")
        .await
        .token
}

fn pence(v: &Value) -> i64 {
    let d: rust_decimal::Decimal = v
        .as_str()
        .unwrap_or_else(|| panic!("money: {v}"))
        .parse()
        .unwrap();
    (d * rust_decimal::Decimal::ONE_HUNDRED).try_into().unwrap()
}

db_test! {
    async fn every_report_reconciles_with_the_fund_years_and_the_awards_to_the_penny(app) {
        let DemoStaff { admin, official } = demo(&app).await;
        let years = app.as_(&admin).get("/api/v1/funds/1/years").send().await.json["items"].as_array().unwrap().clone();
        let summary = app.as_(&official).get("/api/v1/reports/funds/1/summary").send().await;
        assert_eq!(summary.status.as_u16(), 200, "{}", summary.text);
        for (year, reported) in years.iter().zip(summary.json["years"].as_array().unwrap()) {
            assert_eq!(reported["financial_year"], year["financial_year"]);
            for field in ["limit", "committed", "paid", "remaining"] {
                assert_eq!(reported[field], year[field], "{field} of {}", year["financial_year"]);
            }
            let components: i64 = reported["by_component"].as_array().unwrap().iter().map(|c| pence(&c["committed"])).sum();
            assert_eq!(components, pence(&reported["committed"]));
        }
        let committed: i64 = years.iter().map(|y| pence(&y["committed"])).sum();
        let paid: i64 = years.iter().map(|y| pence(&y["paid"])).sum();
        assert_eq!(pence(&summary.json["total"]["committed"]), committed);
        assert_eq!(pence(&summary.json["total"]["paid"]), paid);
        assert!(committed > 0 && paid > 0);

        // The awards' instalments hold exactly that.
        let awards = app.as_(&admin).get("/api/v1/awards?per_page=100").send().await.json["items"].as_array().unwrap().clone();
        let held: i64 = awards.iter().flat_map(|a| a["instalments"].as_array().unwrap().clone()).filter(|i| i["status"] != "cancelled").map(|i| pence(&i["amount"])).sum();
        assert_eq!(held, committed);
        let holding = awards.iter().filter(|a| a["instalments"].as_array().unwrap().iter().any(|i| i["status"] != "cancelled")).count() as i64;
        assert_eq!(summary.json["total"]["awards"], holding);

        for (path, list) in [("by-health-board", "health_boards"), ("by-target-group", "target_groups")] {
            let report = app.as_(&official).get(&format!("/api/v1/reports/funds/1/{path}")).send().await;
            assert_eq!(report.status.as_u16(), 200, "{}", report.text);
            let rows = report.json[list].as_array().unwrap();
            assert_eq!(rows.iter().map(|r| pence(&r["committed"])).sum::<i64>(), committed, "{path}");
            assert_eq!(rows.iter().map(|r| pence(&r["paid"])).sum::<i64>(), paid, "{path}");
            assert_eq!(pence(&report.json["total"]["committed"]), committed);
        }
        let boards = app.as_(&official).get("/api/v1/reports/funds/1/by-health-board").send().await;
        assert_eq!(boards.json["health_boards"].as_array().unwrap().len(), 14, "every board, zeros included");
        assert!(boards.json["health_boards"].as_array().unwrap().iter().all(|b| b["gss_code"].as_str().unwrap().starts_with("S08")));

        // One year at a time gives the same year.
        let one = app.as_(&official).get("/api/v1/reports/funds/1/summary?financial_year=2021-22").send().await;
        assert_eq!(one.json["years"].as_array().unwrap().len(), 1);
        assert_eq!(one.json["total"]["committed"], years[1]["committed"]);
        let board_year = app.as_(&official).get("/api/v1/reports/funds/1/by-health-board?financial_year=2021-22").send().await;
        assert_eq!(pence(&board_year.json["total"]["committed"]), pence(&years[1]["committed"]));

        // CSV of each: a header and a row per line, totals included.
        let csv = app.as_(&official).get("/api/v1/reports/funds/1/by-health-board?format=csv").send().await;
        assert!(csv.header("content-type").unwrap().starts_with("text/csv"));
        let lines: Vec<&str> = csv.text.lines().collect();
        assert_eq!(lines[0], "financial_year,health_board,gss_code,committed,paid,awards,organisations");
        assert_eq!(lines.len(), 1 + 14 + 1);
        let csv_total: i64 = lines[1..15].iter().map(|l| { let f: Vec<&str> = l.split(',').collect(); pence(&Value::String(f[f.len() - 4].to_owned())) }).sum();
        assert_eq!(csv_total, committed);
        let summary_csv = app.as_(&official).get("/api/v1/reports/funds/1/summary").header("Accept", "text/csv").send().await;
        assert!(summary_csv.text.starts_with("financial_year,component,limit,committed,paid,remaining,awards,organisations"));
        assert!(summary_csv.text.lines().any(|l| l.starts_with("total,all,")));
        for path in ["reach", "feedback", "by-target-group"] {
            let csv = app.as_(&official).get(&format!("/api/v1/reports/funds/1/{path}?format=csv")).send().await;
            assert_eq!(csv.status.as_u16(), 200, "{path}");
            assert!(csv.header("content-type").unwrap().starts_with("text/csv"), "{path}");
        }
        // Each report's `.csv` operation answers the CSV that `?format=csv` does, for a year too.
        for path in ["summary", "by-health-board", "by-target-group", "reach", "feedback"] {
            for year in ["", "?financial_year=2021-22"] {
                let sep = if year.is_empty() { "?" } else { "&" };
                let negotiated = app.as_(&official).get(&format!("/api/v1/reports/funds/1/{path}{year}{sep}format=csv")).send().await;
                let own = app.as_(&official).get(&format!("/api/v1/reports/funds/1/{path}.csv{year}")).send().await;
                assert_eq!(own.status.as_u16(), 200, "{path}: {}", own.text);
                assert!(own.header("content-type").unwrap().starts_with("text/csv"), "{path}");
                assert_eq!(own.header("content-disposition"), negotiated.header("content-disposition"), "{path}");
                assert_eq!(own.text, negotiated.text, "{path}{year}");
            }
            app.as_(&official).get(&format!("/api/v1/reports/funds/1/{path}.csv?financial_year=2021-23")).send().await.assert_problem(400, "invalid_query");
            app.as_(&official).get(&format!("/api/v1/reports/funds/999/{path}.csv")).send().await.assert_problem(404, "not_found");
        }
        app.as_(&applicant_of_nothing(&app).await).get("/api/v1/reports/funds/1/summary.csv").send().await.assert_problem(403, "forbidden");
    }
}

db_test! {
    async fn reach_counts_accepted_periodic_returns_against_the_target(app) {
        let DemoStaff { admin, official } = demo(&app).await;
        let reach = app.as_(&official).get("/api/v1/reports/funds/1/reach").send().await;
        assert_eq!(reach.status.as_u16(), 200, "{}", reach.text);
        let accepted = app.as_(&admin).get("/api/v1/returns?status=accepted&per_page=100").send().await.json["items"].as_array().unwrap().clone();
        let periodic: Vec<&Value> = accepted.iter().filter(|r| r["is_final"] == false).collect();
        let new: i64 = periodic.iter().map(|r| r["reached"]["new"].as_i64().unwrap()).sum();
        let women: i64 = periodic.iter().map(|r| r["reached"]["women"].as_i64().unwrap()).sum();
        assert_eq!(reach.json["reached"], new);
        assert_eq!(reach.json["total"]["women"], women);
        assert_eq!(reach.json["target"], 11000);
        let years: i64 = reach.json["years"].as_array().unwrap().iter().map(|y| y["accepted_returns"].as_i64().unwrap()).sum();
        assert_eq!(years, periodic.len() as i64);
        let expected = rust_decimal::Decimal::from(new * 100) / rust_decimal::Decimal::from(11000);
        let expected = expected.round_dp_with_strategy(1, rust_decimal::RoundingStrategy::MidpointAwayFromZero);
        assert_eq!(reach.json["percentage_of_target"].as_str().unwrap().parse::<rust_decimal::Decimal>().unwrap(), expected);
    }
}

db_test! {
    async fn feedback_for_officials_never_shows_a_small_group(app) {
        let DemoStaff { admin, official } = demo(&app).await;
        let report = app.as_(&official).get("/api/v1/reports/funds/1/feedback").send().await;
        assert_eq!(report.status.as_u16(), 200, "{}", report.text);
        let awards = app.as_(&admin).get("/api/v1/awards?per_page=100").send().await.json["items"].as_array().unwrap().clone();
        let mut received = 0;
        for award in &awards {
            received += app.as_(&admin).get(&format!("/api/v1/awards/{}/feedback", award["id"])).send().await.json["responses"].as_i64().unwrap();
        }
        // Published in batches: the report counts what has been published, which may trail
        // what was received by a few, never more than was received.
        let total = report.json["responses"].as_i64().unwrap();
        assert!(total <= received && total + 100 > received, "{total} of {received}");
        let mut suppressed = 0;
        for dimension in ["by_year", "by_component", "by_health_board"] {
            let groups = report.json[dimension].as_array().unwrap();
            let visible: i64 = groups.iter().filter_map(|g| g["responses"].as_i64()).sum();
            let hidden: Vec<&Value> = groups.iter().filter(|g| g["suppressed"] == true).collect();
            for g in groups {
                match g["responses"].as_i64() {
                    Some(n) => assert!(n >= 5, "{dimension}: {g}"),
                    None => assert!(g["suppressed"] == true && g["statements"].is_null(), "{g}"),
                }
            }
            // What the total gives away is never one group, nor fewer than five people.
            let given_away = total - visible;
            assert!(hidden.len() != 1 && (given_away == 0 || given_away >= 5), "{dimension}: {hidden:?}");
            suppressed += hidden.len();
        }
        assert!(suppressed > 0, "the demo has small groups");
    }
}

/// The demo's people and the words of its families, none of which an official may see.
const PERSONAL: &[&str] = &[
    "Morag Campbell",
    "Euan Fraser",
    "Sam Ng",
    "Aileen Reid",
    "Fiona MacLeod",
    "Ravi Shah",
    "Eilidh Grant",
    "Applicant for",
    "I stopped feeling",
    "Someone finally listened",
    "baby's cues",
    "Evening sessions",
    "A young mother who joined",
    "trustee of this organisation",
];

db_test! {
    async fn officials_read_without_personal_data_and_change_nothing(app) {
        let DemoStaff { admin, official } = demo(&app).await;
        let award = app.as_(&admin).get("/api/v1/awards?per_page=1").send().await.json["items"][0]["id"].as_i64().unwrap();
        let mut paths: Vec<String> = [
            "/api/v1/funds", "/api/v1/funds/1", "/api/v1/funds/1/years", "/api/v1/rounds", "/api/v1/rounds/1",
            "/api/v1/rounds/1/criteria", "/api/v1/awards?per_page=100", "/api/v1/organisations?per_page=100",
            "/api/v1/organisations/2", "/api/v1/exports/360giving?fund_id=1", "/api/v1/exports/360giving?fund_id=1&format=csv",
        ].iter().map(|p| (*p).to_owned()).collect();
        paths.push(format!("/api/v1/awards/{award}"));
        for report in ["summary", "by-health-board", "by-target-group", "reach", "feedback"] {
            paths.push(format!("/api/v1/reports/funds/1/{report}"));
            paths.push(format!("/api/v1/reports/funds/1/{report}?format=csv"));
        }
        for path in &paths {
            let reply = app.as_(&official).get(path).send().await;
            assert_eq!(reply.status.as_u16(), 200, "{path}: {}", reply.text);
            assert!(!reply.text.contains('@'), "an email in {path}: {}", reply.text);
            for personal in PERSONAL {
                assert!(!reply.text.contains(personal), "{personal:?} in {path}");
            }
        }
        // Nothing an official sends changes anything: refused for the role (or for the body,
        // which is read first), and the audit trail, which records every change, stays as it was.
        let changes = app.as_(&admin).get("/api/v1/audit?per_page=1").send().await.json["total"].as_i64().unwrap();
        let valid_fund = fund_body("GOV");
        app.as_(&official).post("/api/v1/funds").json(valid_fund).send().await.assert_problem(403, "forbidden");
        app.as_(&official).post("/api/v1/applications/1/decision").json(serde_json::json!({"decision": "decline", "feedback": "No."})).send().await.assert_problem(403, "forbidden");
        app.as_(&official).put("/api/v1/funds/1/years/2021-22").json(serde_json::json!({"limit": "1.00", "approved": true})).send().await.assert_problem(403, "forbidden");
        for (method, path) in [
            ("POST", "/api/v1/funds"), ("PATCH", "/api/v1/funds/1"), ("PUT", "/api/v1/funds/1/years/2021-22"),
            ("POST", "/api/v1/funds/1/rounds"), ("PATCH", "/api/v1/rounds/1"), ("POST", "/api/v1/rounds/1/criteria"),
            ("POST", "/api/v1/applications/1/decision"), ("POST", &format!("/api/v1/awards/{award}/terminate")),
            ("POST", &format!("/api/v1/awards/{award}/instalments/2022-23/release")), ("POST", "/api/v1/organisations/1/verify"),
            ("POST", "/api/v1/users"), ("DELETE", "/api/v1/users/1"), ("POST", "/api/v1/applications/1/moderation"),
            ("POST", "/api/v1/rounds/1/assignments"), ("POST", &format!("/api/v1/awards/{award}/feedback-links")),
        ] {
            let reply = app.as_(&official).request(method, path).json(serde_json::json!({})).send().await;
            assert!(matches!(reply.status.as_u16(), 403 | 422), "{method} {path}: {} {}", reply.status, reply.text);
        }
        assert_eq!(app.as_(&admin).get("/api/v1/audit?per_page=1").send().await.json["total"].as_i64().unwrap(), changes);
    }
}

db_test! {
    async fn a_scale_fund_keeps_the_rules_and_its_reports_reconcile(app) {
        let now = app.clock_now();
        let size = grantfund::tooling::seed::Scale { applications: 400 };
        let seeded = app.state.db.run(move |conn| grantfund::tooling::seed::scale(conn, now, size)).await.unwrap();
        assert_eq!((seeded.fund_code.as_str(), seeded.organisations, seeded.applications), ("SCALE1", 20, 400));
        assert_eq!(seeded.scores, 360 * 3 * 4, "three assessors score every submitted application on four criteria");
        assert_eq!(seeded.awards, 80, "one application in five is awarded");
        let admin = app.admin().await;
        let official = app.staff(Role::Official).await;
        let fund = seeded.fund_id;

        // Every year within its limit, and the reports equal to the years.
        let years = app.as_(&admin).get(&format!("/api/v1/funds/{fund}/years")).send().await.json["items"].clone();
        let summary = app.as_(&official).get(&format!("/api/v1/reports/funds/{fund}/summary")).send().await.json;
        let mut committed = 0;
        for year in years.as_array().unwrap() {
            assert!(pence(&year["committed"]) <= pence(&year["limit"]), "{year}");
            let reported = summary["years"].as_array().unwrap().iter().find(|y| y["financial_year"] == year["financial_year"]).unwrap();
            assert_eq!((&reported["committed"], &reported["paid"]), (&year["committed"], &year["paid"]));
            committed += pence(&year["committed"]);
        }
        assert!(committed > 0);
        assert_eq!(pence(&summary["total"]["committed"]), committed);
        for (split, rows) in [("by-health-board", "health_boards"), ("by-target-group", "target_groups")] {
            let report = app.as_(&official).get(&format!("/api/v1/reports/funds/{fund}/{split}")).send().await.json;
            for figure in ["committed", "paid", "awards", "organisations"] {
                assert_eq!(report["total"][figure], summary["total"][figure], "{split} {figure}");
            }
            let split_total: i64 = report[rows].as_array().unwrap().iter().map(|r| pence(&r["committed"])).sum();
            assert_eq!(split_total, committed, "{split}: every penny in exactly one row");
        }
        let feedback = app.as_(&official).get(&format!("/api/v1/reports/funds/{fund}/feedback")).send().await.json;
        assert_eq!(feedback["responses"], seeded.feedback_responses as i64);
        let reach = app.as_(&official).get(&format!("/api/v1/reports/funds/{fund}/reach")).send().await.json;
        assert!(reach["reached"].as_i64().unwrap() > 0);

        // A second run adds a second fund beside the first.
        let again = app.state.db.run(move |conn| grantfund::tooling::seed::scale(conn, now, size)).await.unwrap();
        assert_eq!((again.fund_code.as_str(), again.awards), ("SCALE2", 80));
    }
}
