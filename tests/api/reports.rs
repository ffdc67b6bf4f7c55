//! Open data: the demo fund's grants as a 360Giving package and CSV.

use serde_json::Value;

use grantfund::domain::vocabulary::Role;

use crate::db_test;
use crate::helpers::*;

/// Seeds the demo and signs in its administrator and official.
async fn demo(app: &TestApp) -> (String, String) {
    let now = app.clock_now();
    let logins = app
        .state
        .db
        .run(move |conn| grantfund::demo::seed(conn, now))
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
    (
        token(Role::Administrator).await,
        token(Role::Official).await,
    )
}

db_test! {
    async fn the_360giving_export_lists_every_published_grant_with_exact_amounts(app) {
        let (admin, official) = demo(&app).await;
        let reply = app.get("/api/v1/exports/360giving?fund_id=1", &official).await;
        assert_eq!(reply.status.as_u16(), 200, "{}", reply.text);
        assert_eq!(reply.json["version"], "1.4");
        let grants = reply.json["grants"].as_array().unwrap();
        let left_out: usize = reply.header("x-grants-without-org-id").unwrap().parse().unwrap();
        let awards = app.get("/api/v1/awards?per_page=100", &admin).await;
        let published: Vec<&Value> = awards.json["items"].as_array().unwrap().iter()
            .filter(|a| ["accepted", "completed", "terminated"].contains(&a["status"].as_str().unwrap())).collect();
        assert_eq!(grants.len() + left_out, published.len());
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
            let recipient = grant["recipientOrganization"][0]["id"].as_str().unwrap();
            assert!(recipient.starts_with("GB-SC-SC") || recipient.starts_with("GB-COH-"), "{recipient}");
            assert_eq!(grant["fundingOrganization"][0]["id"], "GB-GOR-PC390");
            assert_eq!(grant["currency"], "GBP");
            let locations = grant["beneficiaryLocation"].as_array().unwrap();
            assert!(!locations.is_empty() && locations.iter().all(|l| l["geoCodeType"] == "HB" && l["geoCode"].as_str().unwrap().starts_with("S08")));
            assert!(grant["grantProgramme"][0]["title"].as_str().unwrap().starts_with("Perinatal and Infant Mental Health"));
        }

        let csv = app.get("/api/v1/exports/360giving?fund_id=1&format=csv", &official).await;
        assert!(csv.header("content-type").unwrap().starts_with("text/csv"));
        let lines: Vec<&str> = csv.text.lines().collect();
        assert!(lines[0].starts_with("Identifier,Title,Description,Currency,Amount Awarded,Amount Disbursed,Award Date"), "{}", lines[0]);
        assert_eq!(lines.len(), grants.len() + 1);

        let (_, applicant) = app.register("SC500001", "someone@example.org").await;
        app.get("/api/v1/exports/360giving?fund_id=1", &applicant).await.assert_problem(403, "forbidden");
        app.get("/api/v1/exports/360giving?fund_id=999", &official).await.assert_problem(404, "not_found");
        app.get("/api/v1/exports/360giving", &official).await.assert_problem(400, "invalid_query");
    }
}
