//! Funds and financial years: administrators set them up, staff read them, and no limit ever
//! falls below what is committed.

use serde_json::json;

use grantfund::domain::vocabulary::Role;

use crate::db_test;
use crate::support::*;

db_test! {
    async fn an_administrator_sets_up_the_model_fund_and_its_years(app) {
        let admin = app.admin().await;
        let reply = app.as_(&admin).post("/api/v1/funds").json(fund_body("PIMH")).send().await;
        assert_eq!(reply.status.as_u16(), 201, "{}", reply.text);
        let id = reply.json["id"].as_i64().unwrap();
        assert_eq!(reply.json["funder"], json!({"name": "Scottish Government", "org_id": "GB-GOR-PC390"}));
        assert_eq!(reply.json["reach_target"], 11000);
        assert_eq!(reply.json["programme_start"], "2020-08-01");

        let reply = app.as_(&admin).put(&format!("/api/v1/funds/{id}/years/2021-22")).json(json!({"limit": "1000000", "approved": true})).send().await;
        assert_eq!(reply.status.as_u16(), 200, "{}", reply.text);
        assert_eq!(reply.json, json!({"financial_year": "2021-22", "limit": "1000000.00", "approved": true,
            "committed": "0.00", "paid": "0.00", "remaining": "1000000.00"}));
        app.as_(&admin).put(&format!("/api/v1/funds/{id}/years/2022-23")).json(json!({"limit": "750000.50", "approved": false})).send().await;
        // The first year of the programme began in August: its financial year overlaps it.
        app.as_(&admin).put(&format!("/api/v1/funds/{id}/years/2020-21")).json(json!({"limit": "400000.00", "approved": true})).send().await;

        let official = app.staff(Role::Official).await;
        let years = app.as_(&official).get(&format!("/api/v1/funds/{id}/years")).send().await;
        assert_eq!(years.status.as_u16(), 200, "{}", years.text);
        assert_eq!(years.json["total"], 3);
        let listed: Vec<&str> = years.json["items"].as_array().unwrap().iter().map(|y| y["financial_year"].as_str().unwrap()).collect();
        assert_eq!(listed, ["2020-21", "2021-22", "2022-23"]);
        assert_eq!(years.json["items"][2]["limit"], "750000.50");
        assert_eq!(years.json["items"][2]["approved"], false);

        let fund = app.as_(&app.staff(Role::Assessor).await).get(&format!("/api/v1/funds/{id}")).send().await;
        assert_eq!(fund.json["financial_years"].as_array().unwrap().len(), 3);
        assert_eq!(app.as_(&official).get("/api/v1/funds").send().await.json["total"], 1);

        // Changing the limit again is recorded with its before and after.
        app.as_(&admin).put(&format!("/api/v1/funds/{id}/years/2021-22")).json(json!({"limit": "900000.00", "approved": true})).send().await;
        assert_eq!(app.audit_actions(&admin, "fund", id).await, ["created", "year_set", "year_set", "year_set", "year_set"]);
        let audit = app.as_(&admin).get(&format!("/api/v1/audit?entity=fund&entity_id={id}")).send().await;
        let last = &audit.json["items"][0];
        assert_eq!(last["before"]["limit"], "1000000.00");
        assert_eq!(last["after"]["limit"], "900000.00");
    }
}

db_test! {
    async fn only_administrators_change_funds_and_applicants_do_not_read_them(app) {
        let admin = app.admin().await;
        let fund = FundBuilder::new(&app, &admin).create().await;
        let Registered { token: applicant, .. } = app.register("SC000001", "aileen@example.org").await;
        let official = app.staff(Role::Official).await;
        app.as_(&official).post("/api/v1/funds").json(fund_body("OTHER")).send().await.assert_problem(403, "forbidden");
        app.as_(&official).patch(&format!("/api/v1/funds/{fund}")).json(json!({"name": "x"})).send().await.assert_problem(403, "forbidden");
        app.as_(&official).put(&format!("/api/v1/funds/{fund}/years/2021-22")).json(json!({"limit": "1.00", "approved": true})).send().await.assert_problem(403, "forbidden");
        app.as_(&applicant).get("/api/v1/funds").send().await.assert_problem(403, "forbidden");
        app.as_(&applicant).get(&format!("/api/v1/funds/{fund}")).send().await.assert_problem(403, "forbidden");
        app.as_(&applicant).get(&format!("/api/v1/funds/{fund}/years")).send().await.assert_problem(403, "forbidden");
        app.anonymous().get("/api/v1/funds").send().await.assert_problem(401, "missing_token");
        app.as_(&admin).get("/api/v1/funds/999").send().await.assert_problem(404, "not_found");
        app.as_(&admin).put("/api/v1/funds/999/years/2021-22").json(json!({"limit": "1.00", "approved": true})).send().await.assert_problem(404, "not_found");
    }
}

db_test! {
    async fn every_bad_fund_field_is_reported_at_once_and_codes_are_unique(app) {
        let admin = app.admin().await;
        let reply = app.as_(&admin).post("/api/v1/funds").json(json!({
            "name": " ", "code": "pimh", "funder": {"name": "Scottish Government", "org_id": "Scottish Government"},
            "administrator": {"name": "", "org_id": "GB-SC-SC040887"}, "currency": "EUR",
            "programme_start": "2021-02-30", "programme_end": "2020-01-01", "reach_target": -1
        })).send().await;
        reply.assert_problem(422, "validation_failed");
        assert_eq!(reply.error_fields(), ["name", "code", "funder.org_id", "administrator.name", "currency", "programme_start", "reach_target"]);

        let reply = app.as_(&admin).post("/api/v1/funds").json(json!({
            "name": "Fund", "code": "PIMH", "funder": {"name": "A", "org_id": "GB-GOR-PC390"},
            "administrator": {"name": "B", "org_id": "GB-SC-SC040887"},
            "programme_start": "2023-04-01", "programme_end": "2020-08-01", "reach_target": 1
        })).send().await;
        assert_eq!(reply.error_fields(), ["programme_end"], "the end may not come before the start");

        assert_eq!(app.as_(&admin).post("/api/v1/funds").json(fund_body("PIMH")).send().await.status.as_u16(), 201);
        app.as_(&admin).post("/api/v1/funds").json(fund_body("PIMH")).send().await.assert_problem(409, "fund_code_taken");
        let other = app.as_(&admin).post("/api/v1/funds").json(fund_body("PIMH2")).send().await;
        app.as_(&admin).patch(&format!("/api/v1/funds/{}", other.json["id"])).json(json!({"code": "PIMH"})).send().await.assert_problem(409, "fund_code_taken");
        app.as_(&admin).post("/api/v1/funds").json(json!({"name": "Fund"})).send().await.assert_problem(422, "validation_failed");
        let unknown = app.as_(&admin).post("/api/v1/funds").json({
            let mut body = fund_body("NEW");
            body["limit"] = json!("1.00");
            body
        }).send().await;
        unknown.assert_problem(422, "validation_failed");
        assert_eq!(unknown.error_fields(), ["limit"]);
    }
}

db_test! {
    async fn malformed_years_and_years_outside_the_programme_are_validation_errors(app) {
        let admin = app.admin().await;
        let fund = FundBuilder::new(&app, &admin).create().await;
        for (year, message) in [("2021-23", "consecutive"), ("21-22", "2021-22"), ("2023-24", "outside the programme"), ("2019-20", "outside the programme")] {
            let reply = app.as_(&admin).put(&format!("/api/v1/funds/{fund}/years/{year}")).json(json!({"limit": "1.00", "approved": true})).send().await;
            reply.assert_problem(422, "validation_failed");
            assert_eq!(reply.error_fields(), ["financial_year"], "{year}");
            assert!(reply.json["errors"][0]["message"].as_str().unwrap().contains(message), "{year}: {}", reply.text);
        }
        let reply = app.as_(&admin).put(&format!("/api/v1/funds/{fund}/years/2021-23")).json(json!({"limit": "1.001", "approved": true})).send().await;
        assert_eq!(reply.error_fields(), ["financial_year", "limit"], "both at once");
        let reply = app.as_(&admin).put(&format!("/api/v1/funds/{fund}/years/2021-22")).json(json!({"limit": "-5.00", "approved": true})).send().await;
        assert_eq!(reply.error_fields(), ["limit"]);
        let reply = app.as_(&admin).put(&format!("/api/v1/funds/{fund}/years/2021-22")).json(json!({"limit": "5.00"})).send().await;
        reply.assert_problem(422, "validation_failed");
        let years = app.as_(&admin).get(&format!("/api/v1/funds/{fund}/years")).send().await;
        assert_eq!(years.json["items"][1]["limit"], "1000000.00", "nothing was changed by a refused request");
    }
}

db_test! {
    async fn a_limit_cannot_be_lowered_below_what_is_committed(app) {
        let admin = app.admin().await;
        let fund = FundBuilder::new(&app, &admin).create().await;
        // Awards commit money in a later part of the cycle; here the commitment is made directly.
        app.state.db.run(move |conn| {
            use diesel::prelude::*;
            use grantfund::db::schema::fund_years;
            diesel::update(fund_years::table.find((fund, "2021-22")))
                .set(fund_years::committed_pence.eq(60_000_000))
                .execute(conn)
                .map_err(grantfund::error::ApiError::from)
        }).await.unwrap();
        let path = format!("/api/v1/funds/{fund}/years/2021-22");
        let years = app.as_(&admin).get(&format!("/api/v1/funds/{fund}/years")).send().await;
        assert_eq!(years.json["items"][1]["committed"], "600000.00");
        assert_eq!(years.json["items"][1]["remaining"], "400000.00");

        let refused = app.as_(&admin).put(&path).json(json!({"limit": "599999.99", "approved": true})).send().await;
        refused.assert_problem(409, "limit_below_committed");
        assert!(refused.json["detail"].as_str().unwrap().contains("600000.00"), "{}", refused.text);
        let years = app.as_(&admin).get(&format!("/api/v1/funds/{fund}/years")).send().await;
        assert_eq!(years.json["items"][1]["limit"], "1000000.00");

        let reply = app.as_(&admin).put(&path).json(json!({"limit": "600000.00", "approved": true})).send().await;
        assert_eq!(reply.status.as_u16(), 200, "a limit equal to the commitment is fine: {}", reply.text);
        assert_eq!(reply.json["remaining"], "0.00");
    }
}

db_test! {
    async fn the_programme_cannot_shrink_past_a_year_with_a_limit(app) {
        let admin = app.admin().await;
        let fund = FundBuilder::new(&app, &admin).create().await;
        let reply = app.as_(&admin).patch(&format!("/api/v1/funds/{fund}")).json(json!({"programme_end": "2022-03-31"})).send().await;
        reply.assert_problem(422, "validation_failed");
        assert!(reply.json["errors"][0]["message"].as_str().unwrap().contains("2022-23"));
        let reply = app.as_(&admin).patch(&format!("/api/v1/funds/{fund}")).json(json!({"name": "PIMH Fund", "reach_target": 12000})).send().await;
        assert_eq!(reply.status.as_u16(), 200, "{}", reply.text);
        assert_eq!(reply.json["name"], "PIMH Fund");
        assert_eq!(reply.json["code"], "PIMH", "untouched fields stay");
        assert_eq!(app.audit_actions(&admin, "fund", fund).await.last().map(String::as_str), Some("updated"));
    }
}

db_test! {
    async fn paging_is_bounded(app) {
        let admin = app.admin().await;
        let fund = FundBuilder::new(&app, &admin).create().await;
        for path in ["/api/v1/funds", &format!("/api/v1/funds/{fund}/years")] {
            let reply = app.as_(&admin).get(&format!("{path}?per_page=101")).send().await;
            reply.assert_problem(422, "validation_failed");
            assert_eq!(reply.error_fields(), ["per_page"]);
            app.as_(&admin).get(&format!("{path}?page=0")).send().await.assert_problem(422, "validation_failed");
            assert_eq!(app.as_(&admin).get(&format!("{path}?per_page=100")).send().await.status.as_u16(), 200);
        }
        let page = app.as_(&admin).get(&format!("/api/v1/funds/{fund}/years?per_page=2&page=2")).send().await;
        assert_eq!(page.json["total"], 3);
        assert_eq!(page.json["items"].as_array().unwrap().len(), 1);
        assert_eq!(page.json["items"][0]["financial_year"], "2022-23");
    }
}
