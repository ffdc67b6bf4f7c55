//! A family-expenses fund's set-up: administrators add its units and the rates of each year,
//! every change audited; units and rates belong to family-expenses funds, rounds to grant funds.

use serde_json::{Value, json};

use grantfund::domain::vocabulary::Role;

use crate::db_test;
use crate::portal::Browser;
use crate::support::*;

/// The family fund of the model case, over the same programme years as the grant fund.
fn family_fund_body() -> Value {
    let mut body = fund_body("MBUFF");
    body["name"] = json!("Mother and Baby Unit Family Fund");
    body["kind"] = json!("family_expenses");
    body
}

fn unit_body(name: &str, board: &str, wards: &[&str]) -> Value {
    json!({"name": name, "health_board": board, "wards": wards, "provides_meals": false})
}

fn rates_body(mileage: &str) -> Value {
    json!({"mileage_rate": mileage, "food_rate": "8.50", "family_cap": "500.00",
        "claim_window_months": 3, "flights_per_week": 2})
}

async fn family_fund(app: &TestApp, admin: &str) -> i64 {
    let reply = app
        .as_(admin)
        .post("/api/v1/funds")
        .json(family_fund_body())
        .send()
        .await;
    assert_eq!(reply.status.as_u16(), 201, "{}", reply.text);
    assert_eq!(reply.json["kind"], "family_expenses");
    reply.json["id"].as_i64().unwrap()
}

db_test! {
    async fn an_administrator_sets_up_a_family_fund_with_its_units_and_rates(app) {
        let admin = app.admin().await;
        let fund = family_fund(&app, &admin).await;

        let st_johns = app.as_(&admin).post(&format!("/api/v1/funds/{fund}/units"))
            .json(unit_body("St John's Mother and Baby Unit", "lothian", &["Mother and Baby Unit"])).send().await;
        assert_eq!(st_johns.status.as_u16(), 201, "{}", st_johns.text);
        assert_eq!(st_johns.json["health_board"], "lothian");
        assert_eq!(st_johns.json["health_board_name"], "NHS Lothian");
        assert_eq!(st_johns.json["wards"], json!(["Mother and Baby Unit"]));
        let st_johns = st_johns.json["id"].as_i64().unwrap();
        let leverndale = app.as_(&admin).post(&format!("/api/v1/funds/{fund}/units"))
            .json(unit_body("West of Scotland Mother and Baby Unit", "greater_glasgow_and_clyde", &["Leverndale MBU"])).send().await;
        assert_eq!(leverndale.status.as_u16(), 201, "{}", leverndale.text);
        // A third unit is one more row, not a change to the service.
        let third = app.as_(&admin).post(&format!("/api/v1/funds/{fund}/units"))
            .json(unit_body("North of Scotland Mother and Baby Unit", "grampian", &["Ward 2", "Ward 1"])).send().await;
        assert_eq!(third.status.as_u16(), 201, "{}", third.text);
        assert_eq!(third.json["wards"], json!(["Ward 1", "Ward 2"]), "wards are kept in order");

        let official = app.staff(Role::Official).await;
        let units = app.as_(&official).get(&format!("/api/v1/funds/{fund}/units")).send().await;
        assert_eq!(units.status.as_u16(), 200, "{}", units.text);
        let names: Vec<&str> = units.json.as_array().unwrap().iter().map(|u| u["name"].as_str().unwrap()).collect();
        assert_eq!(names, ["North of Scotland Mother and Baby Unit", "St John's Mother and Baby Unit", "West of Scotland Mother and Baby Unit"]);

        let mut changed = unit_body("St John's Mother and Baby Unit", "lothian", &["Mother and Baby Unit", "Family room"]);
        changed["provides_meals"] = json!(true);
        let reply = app.as_(&admin).put(&format!("/api/v1/units/{st_johns}")).json(changed).send().await;
        assert_eq!(reply.status.as_u16(), 200, "{}", reply.text);
        assert_eq!(reply.json["provides_meals"], true);
        assert_eq!(app.as_(&official).get(&format!("/api/v1/units/{st_johns}")).send().await.json["wards"], json!(["Family room", "Mother and Baby Unit"]));
        assert_eq!(app.audit_actions(&admin, "unit", st_johns).await, ["unit_created", "unit_changed"]);

        let reply = app.as_(&admin).put(&format!("/api/v1/funds/{fund}/rates/2021-22")).json(rates_body("0.12")).send().await;
        assert_eq!(reply.status.as_u16(), 200, "{}", reply.text);
        assert_eq!(reply.json["mileage_rate"], "0.12");
        assert_eq!(reply.json["food_rate"], "8.50");
        assert_eq!(reply.json["family_cap"], "500.00");
        assert_eq!(reply.json["claim_window_months"], 3);
        assert_eq!(reply.json["flights_per_week"], 2);
        app.as_(&admin).put(&format!("/api/v1/funds/{fund}/rates/2020-21")).json(rates_body("0.14")).send().await;
        // A rate can go down as well as up; the change is audited with what it was.
        app.as_(&admin).put(&format!("/api/v1/funds/{fund}/rates/2021-22")).json(rates_body("0.11")).send().await;
        let rates = app.as_(&official).get(&format!("/api/v1/funds/{fund}/rates")).send().await;
        assert_eq!(rates.status.as_u16(), 200, "{}", rates.text);
        let by_year: Vec<(&str, &str)> = rates.json.as_array().unwrap().iter()
            .map(|r| (r["financial_year"].as_str().unwrap(), r["mileage_rate"].as_str().unwrap())).collect();
        assert_eq!(by_year, [("2020-21", "0.14"), ("2021-22", "0.11")]);
        let audit = app.as_(&admin).get(&format!("/api/v1/audit?entity=fund&entity_id={fund}")).send().await;
        let last = &audit.json["items"][0];
        assert_eq!(last["action"], "rates_set");
        assert_eq!(last["before"]["mileage_rate"], "0.12");
        assert_eq!(last["after"]["mileage_rate"], "0.11");

        let Registered { token: applicant, .. } = app.register("SC000001", "aileen@example.org").await;
        app.as_(&applicant).get(&format!("/api/v1/funds/{fund}/units")).send().await.assert_problem(403, "forbidden");
        app.as_(&official).post(&format!("/api/v1/funds/{fund}/units")).json(unit_body("Another", "tayside", &["A"])).send().await.assert_problem(403, "forbidden");
        app.as_(&official).put(&format!("/api/v1/funds/{fund}/rates/2022-23")).json(rates_body("0.15")).send().await.assert_problem(403, "forbidden");
        app.anonymous().get(&format!("/api/v1/funds/{fund}/rates")).send().await.assert_problem(401, "missing_token");
    }
}

db_test! {
    async fn every_bad_unit_and_rate_field_is_reported_at_once(app) {
        let admin = app.admin().await;
        let fund = family_fund(&app, &admin).await;
        let units = format!("/api/v1/funds/{fund}/units");
        let bad = app.as_(&admin).post(&units).json(json!({"name": " ", "health_board": "atlantis", "wards": [" ", "Ward 1", "Ward 1"], "provides_meals": false})).send().await;
        bad.assert_problem(422, "validation_failed");
        assert_eq!(bad.error_fields(), ["name", "health_board", "wards[0]", "wards[2]"]);
        let bad = app.as_(&admin).post(&units).json(unit_body("A unit", "lothian", &[])).send().await;
        assert_eq!(bad.error_fields(), ["wards"]);
        let first = app.as_(&admin).post(&units).json(unit_body("A unit", "lothian", &["Ward 1"])).send().await;
        assert_eq!(first.status.as_u16(), 201, "{}", first.text);
        let taken = app.as_(&admin).post(&units).json(unit_body(" A unit ", "tayside", &["Ward 1"])).send().await;
        taken.assert_problem(422, "validation_failed");
        assert_eq!(taken.error_fields(), ["name"]);
        let second = app.as_(&admin).post(&units).json(unit_body("Another unit", "tayside", &["Ward 1"])).send().await;
        let second = second.json["id"].as_i64().unwrap();
        app.as_(&admin).put(&format!("/api/v1/units/{second}")).json(unit_body("A unit", "tayside", &["Ward 1"])).send().await.assert_problem(422, "validation_failed");
        // A unit keeps its own name when it changes something else.
        let kept = app.as_(&admin).put(&format!("/api/v1/units/{second}")).json(unit_body("Another unit", "fife", &["Ward 1"])).send().await;
        assert_eq!(kept.status.as_u16(), 200, "{}", kept.text);

        let bad = app.as_(&admin).put(&format!("/api/v1/funds/{fund}/rates/2030-31")).json(json!({
            "mileage_rate": "-0.10", "food_rate": "lots", "family_cap": "0", "claim_window_months": 25, "flights_per_week": -1
        })).send().await;
        bad.assert_problem(422, "validation_failed");
        assert_eq!(bad.error_fields(), ["financial_year", "mileage_rate", "food_rate", "family_cap", "claim_window_months", "flights_per_week"]);
        let bad = app.as_(&admin).put(&format!("/api/v1/funds/{fund}/rates/2021-2")).json(rates_body("0.12")).send().await;
        assert_eq!(bad.error_fields(), ["financial_year"]);
        assert_eq!(app.as_(&admin).get(&format!("/api/v1/funds/{fund}/rates")).send().await.json, json!([]), "nothing is kept");

        app.as_(&admin).get("/api/v1/units/999999").send().await.assert_problem(404, "not_found");
        app.as_(&admin).put("/api/v1/units/999999").json(unit_body("Gone", "fife", &["Ward 1"])).send().await.assert_problem(404, "not_found");
        app.as_(&admin).post("/api/v1/funds/999999/units").json(unit_body("Gone", "fife", &["Ward 1"])).send().await.assert_problem(404, "not_found");
        app.as_(&admin).get("/api/v1/funds/999999/rates").send().await.assert_problem(404, "not_found");
    }
}

db_test! {
    async fn units_and_rates_belong_to_family_funds_and_rounds_to_grant_funds(app) {
        let admin = app.admin().await;
        let grants = FundBuilder::new(&app, &admin).create().await;
        let reply = app.as_(&admin).get(&format!("/api/v1/funds/{grants}")).send().await;
        assert_eq!(reply.json["kind"], "grants", "a fund runs grants unless it says otherwise");
        app.as_(&admin).post(&format!("/api/v1/funds/{grants}/units")).json(unit_body("A unit", "lothian", &["Ward 1"])).send().await.assert_problem(409, "fund_kind_mismatch");
        app.as_(&admin).put(&format!("/api/v1/funds/{grants}/rates/2021-22")).json(rates_body("0.12")).send().await.assert_problem(409, "fund_kind_mismatch");
        assert_eq!(app.as_(&admin).get(&format!("/api/v1/funds/{grants}/units")).send().await.json, json!([]));

        let family = family_fund(&app, &admin).await;
        app.as_(&admin).put(&format!("/api/v1/funds/{family}/years/2021-22")).json(json!({"limit": "100000.00", "approved": true})).send().await;
        let mut round = round_body(&app, 1, 30);
        round["financial_years"] = json!(["2021-22"]);
        app.as_(&admin).post(&format!("/api/v1/funds/{family}/rounds")).json(round).send().await.assert_problem(409, "fund_kind_mismatch");

        // What a fund pays for is fixed once it exists.
        let renamed = app.as_(&admin).patch(&format!("/api/v1/funds/{family}")).json(json!({"name": "MBU Family Fund"})).send().await;
        assert_eq!(renamed.status.as_u16(), 200, "{}", renamed.text);
        assert_eq!(renamed.json["kind"], "family_expenses");
        let refused = app.as_(&admin).patch(&format!("/api/v1/funds/{family}")).json(json!({"kind": "grants"})).send().await;
        assert!(refused.status.is_client_error(), "{}", refused.text);
        assert_eq!(app.as_(&admin).get(&format!("/api/v1/funds/{family}")).send().await.json["kind"], "family_expenses");
    }
}

db_test! {
    async fn an_administrator_creates_a_family_fund_through_the_pages(app) {
        let email = format!("admin-{}@fund.example.org", uuid::Uuid::new_v4().simple());
        app.create_user(Role::Administrator, &email, None).await;
        let mut browser = Browser::new(&app);
        browser.sign_in(&email).await;
        let page = browser.get("/admin/funds").await;
        assert!(page.text.contains("value=\"family_expenses\"") && page.text.contains("expenses, paid back claim by claim"), "{}", page.text);
        let made = browser.post("/admin/funds", &[
            ("name", "Mother and Baby Unit Family Fund"), ("kind", "family_expenses"), ("code", "MBUFF"),
            ("funder.name", "Scottish Government"), ("funder.org_id", "GB-GOR-PC390"),
            ("administrator.name", "Scottish Government"), ("administrator.org_id", "GB-GOR-PC390"),
            ("programme_start", "2020-04-01"), ("programme_end", "2026-03-31"), ("reach_target", "690"),
        ]).await;
        assert!(made.status.as_u16() < 400, "{}", made.text);
        let admin = app.admin().await;
        let funds = app.as_(&admin).get("/api/v1/funds").send().await;
        let made = funds.json["items"].as_array().unwrap().iter().find(|f| f["code"] == "MBUFF").unwrap();
        assert_eq!(made["kind"], "family_expenses");
    }
}
