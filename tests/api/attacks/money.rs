//! Money at its edges: the probe sent `"-0"`, `"-0.00"` and 20-digit amounts, which were
//! accepted, and `"9999999999999.99"`, which the contract's own pattern allows but the service
//! refused. The contract's pattern and the parser are one rule now: one to 13 digits, optionally
//! a point and one or two more, no sign; the largest amount fits in pence in a `BIGINT`.

use serde_json::json;

use crate::db_test;
use crate::support::*;

/// The largest amount the contract allows.
const LARGEST: &str = "9999999999999.99";

db_test! {
    async fn a_year_limit_takes_the_largest_amount_and_nothing_beyond_it(app) {
        let admin = app.admin().await;
        let fund = FundBuilder::new(&app, &admin).create().await;
        let year = format!("/api/v1/funds/{fund}/years/2021-22");

        let reply = app.as_(&admin).put(&year).json(json!({"limit": LARGEST, "approved": true})).send().await;
        assert_eq!(reply.status.as_u16(), 200, "{}", reply.text);
        assert_eq!(reply.json["limit"], LARGEST);
        assert_eq!(reply.json["remaining"], LARGEST);
        // Read back from the database as it was stored, in pence.
        let years = app.as_(&admin).get(&format!("/api/v1/funds/{fund}/years")).send().await;
        let stored = years.json["items"].as_array().into_iter().flatten()
            .find(|y| y["financial_year"] == "2021-22")
            .map(|y| y["limit"].clone());
        assert_eq!(stored, Some(json!(LARGEST)), "{}", years.text);

        for beyond in ["10000000000000.00", "10000000000000", "00000000000000000001", "99999999999999999999", "-0", "-0.00", "-1.00"] {
            let reply = app.as_(&admin).put(&year).json(json!({"limit": beyond, "approved": true})).send().await;
            reply.assert_problem(422, "validation_failed");
            assert_eq!(reply.error_fields(), ["limit"], "{beyond}: {}", reply.text);
        }
        let after = app.as_(&admin).put(&year).json(json!({"limit": "0000000000001.00", "approved": true})).send().await;
        assert_eq!(after.status.as_u16(), 200, "13 digits, leading zeros and all: {}", after.text);
        assert_eq!(after.json["limit"], "1.00");
    }
}

db_test! {
    async fn an_organisation_income_of_negative_zero_or_twenty_digits_is_refused(app) {
        for bad in ["-0", "-0.00", "00000000000000000001", "10000000000000.00"] {
            let mut body = registration("SC012345", "aileen@bumps.example.org");
            body["organisation"]["annual_income"] = json!(bad);
            let reply = app.anonymous().post("/api/v1/auth/register").json(body).send().await;
            reply.assert_problem(422, "validation_failed");
            assert_eq!(reply.error_fields(), ["organisation.annual_income"], "{bad}: {}", reply.text);
        }
        let mut body = registration("SC012345", "aileen@bumps.example.org");
        body["organisation"]["annual_income"] = json!(LARGEST);
        let reply = app.anonymous().post("/api/v1/auth/register").json(body).send().await;
        assert_eq!(reply.status.as_u16(), 201, "{}", reply.text);
        assert_eq!(reply.json["organisation"]["annual_income"], LARGEST, "{}", reply.text);
        let organisation = reply.json["organisation"]["id"].as_i64().expect("organisation id");
        let token = app.token("aileen@bumps.example.org").await;
        let stored = app.as_(&token).get(&format!("/api/v1/organisations/{organisation}")).send().await;
        assert_eq!(stored.json["annual_income"], LARGEST, "{}", stored.text);
    }
}

db_test! {
    async fn a_draft_may_ask_the_largest_amount_but_not_a_total_beyond_it(app) {
        let OpenRound { round, .. } = app.open_round().await;
        let Registered { token, .. } = app.register("SC012345", "aileen@bumps.example.org").await;
        let mut body = application_body();
        body["requested"] = json!({"2021-22": LARGEST, "2022-23": "0.01"});
        let reply = app.as_(&token).post(&format!("/api/v1/rounds/{round}/applications")).json(body).send().await;
        reply.assert_problem(422, "validation_failed");
        assert_eq!(reply.error_fields(), ["requested"], "{}", reply.text);

        let mut body = application_body();
        body["requested"] = json!({"2021-22": LARGEST});
        let id = app.draft(&token, round, body).await;
        let read = app.as_(&token).get(&format!("/api/v1/applications/{id}")).send().await;
        assert_eq!(read.status.as_u16(), 200, "{}", read.text);
        assert_eq!(read.json["total_requested"], LARGEST, "{}", read.text);
        let patch = app.as_(&token).patch(&format!("/api/v1/applications/{id}")).json(json!({"requested": {"2021-22": "-0", "2022-23": "1.00"}})).send().await;
        patch.assert_problem(422, "validation_failed");
        assert_eq!(patch.error_fields(), ["requested.2021-22"], "{}", patch.text);
    }
}
