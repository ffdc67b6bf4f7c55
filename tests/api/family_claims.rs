//! The family fund's claims: a claimant registers, records the stay and claims; the unit's
//! clinician certifies; the board's cash office approves line by line against the family's cap
//! and the year's limit at once; every rule is checked at submission with every failed line
//! reported; each person sees only what is theirs to see; approvals racing on two instances never
//! pass the cap or the limit.

use futures_util::future::join_all;
use serde_json::{Value, json};

use grantfund::domain::vocabulary::{HealthBoard, Role};
use grantfund::users::service::Place;

use crate::db_test;
use crate::documents::{PDF, upload};
use crate::support::*;

/// A family fund over the programme years of `fund_body`, with its two units, the rates of
/// 2021-22 and 2022-23, and a clinician of each unit and a cash office of each board.
pub struct FamilyFund {
    pub admin: String,
    pub fund: i64,
    pub st_johns: i64,
    pub leverndale: i64,
    pub clinician: String,
    pub other_clinician: String,
    pub cash_office: String,
    pub other_cash_office: String,
}

impl FamilyFund {
    pub async fn new(app: &TestApp, limit: &str) -> FamilyFund {
        let admin = app.admin().await;
        let mut body = fund_body("MBUFF");
        body["name"] = json!("Mother and Baby Unit Family Fund");
        body["kind"] = json!("family_expenses");
        let fund = app
            .as_(&admin)
            .post("/api/v1/funds")
            .json(body)
            .send()
            .await;
        assert_eq!(fund.status.as_u16(), 201, "{}", fund.text);
        let fund = fund.json["id"].as_i64().unwrap();
        for (year, mileage) in [("2021-22", "0.12"), ("2022-23", "0.15")] {
            let reply = app
                .as_(&admin)
                .put(&format!("/api/v1/funds/{fund}/years/{year}"))
                .json(json!({"limit": limit, "approved": true}))
                .send()
                .await;
            assert_eq!(reply.status.as_u16(), 200, "{}", reply.text);
            let reply = app
                .as_(&admin)
                .put(&format!("/api/v1/funds/{fund}/rates/{year}"))
                .json(
                    json!({"mileage_rate": mileage, "food_rate": "8.50", "family_cap": "500.00",
                    "claim_window_months": 3, "flights_per_week": 2}),
                )
                .send()
                .await;
            assert_eq!(reply.status.as_u16(), 200, "{}", reply.text);
        }
        let mut units = Vec::new();
        for (name, board, ward, meals) in [
            (
                "St John's Mother and Baby Unit",
                "lothian",
                "Mother and Baby Unit",
                false,
            ),
            (
                "West of Scotland Mother and Baby Unit",
                "greater_glasgow_and_clyde",
                "Leverndale MBU",
                true,
            ),
        ] {
            let reply = app.as_(&admin).post(&format!("/api/v1/funds/{fund}/units"))
                .json(json!({"name": name, "health_board": board, "wards": [ward], "provides_meals": meals}))
                .send().await;
            assert_eq!(reply.status.as_u16(), 201, "{}", reply.text);
            units.push(reply.json["id"].as_i64().unwrap());
        }
        let unit = |id: i64| Place {
            unit_id: Some(id),
            ..Place::default()
        };
        let board = |b: HealthBoard| Place {
            health_board: Some(b),
            ..Place::default()
        };
        FamilyFund {
            clinician: app.staff_at(Role::Clinician, unit(units[0])).await,
            other_clinician: app.staff_at(Role::Clinician, unit(units[1])).await,
            cash_office: app
                .staff_at(Role::CashOffice, board(HealthBoard::Lothian))
                .await,
            other_cash_office: app
                .staff_at(Role::CashOffice, board(HealthBoard::GreaterGlasgowAndClyde))
                .await,
            admin,
            fund,
            st_johns: units[0],
            leverndale: units[1],
        }
    }

    /// A year's committed and paid amounts.
    pub async fn year(&self, app: &TestApp, year: &str) -> (String, String) {
        let reply = app
            .as_(&self.admin)
            .get(&format!("/api/v1/funds/{}/years", self.fund))
            .send()
            .await;
        assert_eq!(reply.status.as_u16(), 200, "{}", reply.text);
        let years = if reply.json["items"].is_array() {
            &reply.json["items"]
        } else {
            &reply.json
        };
        years
            .as_array()
            .unwrap()
            .iter()
            .find(|y| y["financial_year"] == year)
            .map(|y| {
                (
                    y["committed"].as_str().unwrap().to_owned(),
                    y["paid"].as_str().unwrap().to_owned(),
                )
            })
            .unwrap_or_default()
    }

    /// A year's committed amount.
    pub async fn committed(&self, app: &TestApp, year: &str) -> String {
        self.year(app, year).await.0
    }
}

/// A claimant registered through the API: their token and email.
pub async fn claimant(app: &TestApp) -> (String, String) {
    let email = format!("claimant-{}@example.com", uuid::Uuid::new_v4().simple());
    let reply = app
        .anonymous()
        .post("/api/v1/auth/register-claimant")
        .json(json!({"name": "Calum MacLeod", "email": email, "password": PASSWORD}))
        .send()
        .await;
    assert_eq!(reply.status.as_u16(), 201, "{}", reply.text);
    assert_eq!(reply.json["role"], "claimant");
    assert_eq!(reply.json["organisation_id"], Value::Null);
    (app.token(&email).await, email)
}

pub fn stay_body(unit: i64, ward: &str) -> Value {
    json!({
        "unit_id": unit,
        "woman": {"name": "Morag MacLeod", "date_of_birth": "1994-02-11"},
        "ward": ward,
        "consultant": "Dr A. Reid",
        "admitted_on": "2022-05-02",
        "home_board": "western_isles",
        "children": [
            {"first_name": "Ruaridh", "date_of_birth": "2015-07-30"},
            {"first_name": "Iona", "date_of_birth": "2005-06-01"}
        ]
    })
}

/// A stay at St John's: its id and its visitors' ids (the claimant, Ruaridh, Iona).
pub async fn stay(app: &TestApp, family: &FamilyFund, token: &str) -> (i64, [i64; 3]) {
    let reply = app
        .as_(token)
        .post("/api/v1/stays")
        .json(stay_body(family.st_johns, "Mother and Baby Unit"))
        .send()
        .await;
    assert_eq!(reply.status.as_u16(), 201, "{}", reply.text);
    let visitors: Vec<i64> = reply.json["visitors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["id"].as_i64().unwrap())
        .collect();
    (
        reply.json["id"].as_i64().unwrap(),
        [visitors[0], visitors[1], visitors[2]],
    )
}

/// A submitted claim of one car line of `miles` on `day`.
pub async fn submitted_car_claim(
    app: &TestApp,
    token: &str,
    stay: i64,
    visitor: i64,
    day: &str,
    miles: i64,
) -> i64 {
    let reply = app.as_(token).post(&format!("/api/v1/stays/{stay}/claims"))
        .json(json!({"lines": [{"visitor_id": visitor, "spent_on": day, "kind": "car", "miles": miles}]})).send().await;
    assert_eq!(reply.status.as_u16(), 201, "{}", reply.text);
    let claim = reply.json["id"].as_i64().unwrap();
    let reply = app
        .as_(token)
        .post(&format!("/api/v1/claims/{claim}/submit"))
        .send()
        .await;
    assert_eq!(reply.status.as_u16(), 200, "{}", reply.text);
    claim
}

pub async fn certified(app: &TestApp, family: &FamilyFund, claim: i64) -> Vec<i64> {
    let reply = app
        .as_(&family.clinician)
        .post(&format!("/api/v1/claims/{claim}/certify"))
        .json(json!({"resident_from": "2022-05-02", "resident_to": "2022-06-20"}))
        .send()
        .await;
    assert_eq!(reply.status.as_u16(), 200, "{}", reply.text);
    reply.json["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["id"].as_i64().unwrap())
        .collect()
}

fn in_full(lines: &[i64]) -> Value {
    json!({"lines": lines.iter().map(|id| json!({"line_id": id, "outcome": "full"})).collect::<Vec<_>>()})
}

pub async fn family_app(backend: Backend) -> Option<TestApp> {
    let app = TestApp::spawn_with(backend, |s| {
        s.auth_attempts_per_client_per_minute = 10_000;
        s.access_token_ttl = std::time::Duration::from_secs(20 * 365 * 86_400);
    })
    .await?;
    set_day(&app, "2022-06-20");
    Some(app)
}

db_test! {
    async fn a_claimant_is_paid_back_what_visiting_cost_once_the_unit_and_the_board_agree(backend: Backend) {
        let Some(app) = family_app(backend).await else { return };
        let family = FamilyFund::new(&app, "20000.00").await;
        let (token, email) = claimant(&app).await;

        let reply = app.as_(&token).post("/api/v1/stays").json(stay_body(family.st_johns, "Mother and Baby Unit")).send().await;
        assert_eq!(reply.status.as_u16(), 201, "{}", reply.text);
        let stay = reply.json["id"].as_i64().unwrap();
        assert_eq!(reply.json["woman"]["name"], "Morag MacLeod");
        assert_eq!(reply.json["cap"], "500.00");
        assert_eq!(reply.json["remaining"], "500.00");
        assert_eq!(reply.json["unit_board"], "lothian");
        let visitors: Vec<i64> = reply.json["visitors"].as_array().unwrap().iter().map(|v| v["id"].as_i64().unwrap()).collect();
        assert_eq!(reply.json["visitors"][0]["kind"], "claimant");
        assert_eq!(reply.json["visitors"][1]["name"], "Ruaridh");
        let (me, ruaridh) = (visitors[0], visitors[1]);

        // A flight is approved by the board's cash office before the journey, not by the unit.
        let asked = app.as_(&token).post(&format!("/api/v1/stays/{stay}/pre-approvals"))
            .json(json!({"visitor_id": me, "kind": "flight", "journey_on": "2022-06-20", "details": "Stornoway to Glasgow"})).send().await;
        assert_eq!(asked.status.as_u16(), 201, "{}", asked.text);
        let flight = asked.json["id"].as_i64().unwrap();
        app.as_(&family.clinician).post(&format!("/api/v1/pre-approvals/{flight}/decision")).json(json!({"approved": true})).send().await
            .assert_problem(403, "forbidden");
        app.as_(&family.other_cash_office).post(&format!("/api/v1/pre-approvals/{flight}/decision")).json(json!({"approved": true})).send().await
            .assert_problem(404, "not_found");
        let answered = app.as_(&family.cash_office).post(&format!("/api/v1/pre-approvals/{flight}/decision")).json(json!({"approved": true})).send().await;
        assert_eq!(answered.status.as_u16(), 200, "{}", answered.text);
        assert_eq!(answered.json["status"], "approved");
        app.as_(&family.cash_office).post(&format!("/api/v1/pre-approvals/{flight}/decision")).json(json!({"approved": false, "reason": "changed my mind"})).send().await
            .assert_problem(409, "pre_approval_decided");

        let lines = json!({"lines": [
            {"visitor_id": me, "spent_on": "2022-05-09", "kind": "car", "miles": 100, "together": true},
            {"visitor_id": me, "spent_on": "2022-05-09", "kind": "food"},
            {"visitor_id": ruaridh, "spent_on": "2022-05-09", "kind": "food"},
            {"visitor_id": me, "spent_on": "2022-06-20", "kind": "flight", "amount": "142.60", "pre_approval_id": flight},
            {"visitor_id": me, "spent_on": "2022-06-20", "kind": "accommodation", "amount": "68.00", "description": "One night near the hospital"}
        ]});
        let draft = app.as_(&token).post(&format!("/api/v1/stays/{stay}/claims")).json(lines.clone()).send().await;
        assert_eq!(draft.status.as_u16(), 201, "{}", draft.text);
        assert_eq!(draft.json["status"], "draft");
        assert_eq!(draft.json["claimed"], "242.60", "15.00 by car at 2022-23's 15p a mile, two meals at 8.50, the flight and the room");
        let claim = draft.json["id"].as_i64().unwrap();

        // Without receipts the submission names both lines that need one.
        let refused = app.as_(&token).post(&format!("/api/v1/claims/{claim}/submit")).send().await;
        refused.assert_problem(422, "validation_failed");
        assert_eq!(refused.error_fields(), ["lines[3].receipt_document_id", "lines[4].receipt_document_id"]);

        let mut receipts = Vec::new();
        for name in ["boarding-pass.pdf", "hotel.pdf"] {
            let uploaded = upload(&app, &token, &format!("/claims/{claim}/documents"), &[("kind", "receipt")], name, PDF).await;
            assert_eq!(uploaded.status.as_u16(), 201, "{}", uploaded.text);
            receipts.push(uploaded.json["id"].as_i64().unwrap());
        }
        let mut with_receipts = lines.clone();
        with_receipts["lines"][3]["receipt_document_id"] = json!(receipts[0]);
        with_receipts["lines"][4]["receipt_document_id"] = json!(receipts[1]);
        let saved = app.as_(&token).put(&format!("/api/v1/claims/{claim}")).json(with_receipts).send().await;
        assert_eq!(saved.status.as_u16(), 200, "{}", saved.text);
        let submitted = app.as_(&token).post(&format!("/api/v1/claims/{claim}/submit")).send().await;
        assert_eq!(submitted.status.as_u16(), 200, "{}", submitted.text);
        assert_eq!(submitted.json["status"], "submitted");
        app.as_(&token).put(&format!("/api/v1/claims/{claim}")).json(lines.clone()).send().await
            .assert_problem(409, "claim_status_mismatch");
        upload(&app, &token, &format!("/claims/{claim}/documents"), &[("kind", "receipt")], "late.pdf", PDF).await
            .assert_problem(409, "claim_status_mismatch");

        // Nobody else sees the claim, its stay or its receipts.
        let (stranger, _) = claimant(&app).await;
        for token in [&stranger, &family.other_clinician, &family.other_cash_office] {
            app.as_(token).get(&format!("/api/v1/claims/{claim}")).send().await.assert_problem(404, "not_found");
            app.as_(token).get(&format!("/api/v1/stays/{stay}")).send().await.assert_problem(404, "not_found");
        }
        for token in [&stranger, &family.other_cash_office] {
            app.as_(token).get(&format!("/api/v1/documents/{}", receipts[0])).send().await.assert_problem(404, "not_found");
        }
        // Clinicians certify dates and read no receipts.
        app.as_(&family.clinician).get(&format!("/api/v1/documents/{}", receipts[0])).send().await.assert_problem(403, "forbidden");
        let receipt = app.as_(&family.cash_office).get(&format!("/api/v1/documents/{}/content", receipts[0])).send().await;
        assert_eq!(receipt.status.as_u16(), 200, "the board's cash office reads the receipts: {}", receipt.text);
        for role in [Role::Official, Role::Administrator, Role::Assessor, Role::Finance] {
            let staff = app.staff(role).await;
            app.as_(&staff).get(&format!("/api/v1/stays/{stay}")).send().await.assert_problem(403, "forbidden");
            app.as_(&staff).get(&format!("/api/v1/claims/{claim}")).send().await.assert_problem(403, "forbidden");
        }
        assert!(app.as_(&stranger).get("/api/v1/stays").send().await.json.as_array().unwrap().is_empty());
        app.as_(&token).get("/api/v1/organisations").send().await.assert_problem(403, "forbidden");
        app.as_(&family.cash_office).post(&format!("/api/v1/claims/{claim}/approve")).json(in_full(&[])).send().await
            .assert_problem(409, "claim_status_mismatch");

        // The unit certifies fewer days than claimed: the lines of 9 May are cut.
        let queue = app.as_(&family.clinician).get("/api/v1/claims").send().await;
        assert_eq!(queue.json.as_array().unwrap().len(), 1, "{}", queue.text);
        assert!(app.as_(&family.other_clinician).get("/api/v1/claims").send().await.json.as_array().unwrap().is_empty());
        let certified = app.as_(&family.clinician).post(&format!("/api/v1/claims/{claim}/certify"))
            .json(json!({"resident_from": "2022-05-10", "resident_to": "2022-06-20"})).send().await;
        assert_eq!(certified.status.as_u16(), 200, "{}", certified.text);
        assert_eq!(certified.json["status"], "certified");
        assert_eq!(certified.json["claimed"], "210.60");
        let outcomes: Vec<&Value> = certified.json["lines"].as_array().unwrap().iter().map(|l| &l["outcome"]).collect();
        assert_eq!(outcomes, [&json!("cut"), &json!("cut"), &json!("cut"), &Value::Null, &Value::Null]);
        let ids: Vec<i64> = certified.json["lines"].as_array().unwrap().iter().map(|l| l["id"].as_i64().unwrap()).collect();

        // The cash office decides every line that stands, in one go.
        let incomplete = app.as_(&family.cash_office).post(&format!("/api/v1/claims/{claim}/approve"))
            .json(json!({"lines": [{"line_id": ids[0], "outcome": "full"}, {"line_id": ids[4], "outcome": "part", "amount": "90.00"}]})).send().await;
        incomplete.assert_problem(422, "validation_failed");
        assert_eq!(incomplete.error_fields(), ["lines[0].line_id", "lines[1].reason", "lines[1].amount", "lines"]);
        assert_eq!(family.committed(&app, "2022-23").await, "0.00", "a refused approval commits nothing");
        let approved = app.as_(&family.cash_office).post(&format!("/api/v1/claims/{claim}/approve"))
            .json(json!({"lines": [
                {"line_id": ids[3], "outcome": "full"},
                {"line_id": ids[4], "outcome": "part", "amount": "60.00", "reason": "A reasonable night nearby costs £60."}
            ]})).send().await;
        assert_eq!(approved.status.as_u16(), 200, "{}", approved.text);
        assert_eq!(approved.json["status"], "approved");
        assert_eq!(approved.json["approved"], "202.60");
        assert_eq!(approved.json["lines"][4]["approved"], "60.00");
        assert_eq!(family.committed(&app, "2022-23").await, "202.60");
        let stay_now = app.as_(&token).get(&format!("/api/v1/stays/{stay}")).send().await;
        assert_eq!(stay_now.json["approved"], "202.60");
        assert_eq!(stay_now.json["remaining"], "297.40");
        assert_eq!(app.audit_actions(&family.admin, "claim", claim).await,
            ["claim_started", "claim_saved", "claim_submitted", "claim_certified", "claim_approved"]);

        app.run_outbox().await;
        let mails: Vec<String> = app.mails().into_iter().filter(|m| m.contains(&email)).collect();
        let subjects: Vec<String> = mails.iter().filter_map(|m| m.lines().find(|l| l.starts_with("Subject:")).map(str::to_owned)).collect();
        for subject in &subjects {
            for word in ["Mother", "Unit", "unit", "mental", "Morag", "hospital"] {
                assert!(!subject.contains(word), "{subject}");
            }
        }
        assert!(subjects.iter().any(|s| s.contains("has been approved")), "{subjects:?}");
        let approval = mails.iter().find(|m| m.contains("has been approved")).unwrap();
        assert!(approval.contains("claimed =C2=A368.00, paid =C2=A360.00") || approval.contains("claimed £68.00, paid £60.00"), "{approval}");
        assert!(mails.iter().all(|m| !m.contains("Morag")), "no email names the woman");
    }
}

db_test! {
    async fn a_submission_names_every_line_that_breaks_a_rule(backend: Backend) {
        let Some(app) = family_app(backend).await else { return };
        let family = FamilyFund::new(&app, "20000.00").await;
        let (token, _) = claimant(&app).await;
        let (stay, [me, ruaridh, iona]) = stay(&app, &family, &token).await;
        let draft = app.as_(&token).post(&format!("/api/v1/stays/{stay}/claims")).json(json!({"lines": [
            {"visitor_id": me, "spent_on": "2022-04-30", "kind": "food"},
            {"visitor_id": me, "spent_on": "2022-05-03", "kind": "food"},
            {"visitor_id": me, "spent_on": "2022-05-03", "kind": "food"},
            {"visitor_id": iona, "spent_on": "2022-06-02", "kind": "food"},
            {"visitor_id": ruaridh, "spent_on": "2022-05-04", "kind": "taxi", "amount": "30.00"},
            {"visitor_id": me, "spent_on": "2022-05-05", "kind": "car", "miles": 2000, "together": true},
            {"visitor_id": ruaridh, "spent_on": "2022-05-05", "kind": "car", "miles": 1500}
        ]})).send().await;
        assert_eq!(draft.status.as_u16(), 201, "{}", draft.text);
        let claim = draft.json["id"].as_i64().unwrap();
        let refused = app.as_(&token).post(&format!("/api/v1/claims/{claim}/submit")).send().await;
        refused.assert_problem(422, "validation_failed");
        assert_eq!(refused.error_fields(), [
            "lines[0].spent_on",
            "lines[2].spent_on",
            "lines[3].visitor_id",
            "lines[4].receipt_document_id",
            "lines[4].pre_approval_id",
            "lines[6].spent_on",
            "total",
        ], "{}", refused.text);
        assert_eq!(app.as_(&token).get(&format!("/api/v1/claims/{claim}")).send().await.json["status"], "draft");

        // The West of Scotland unit gives families free meals, so no food rate is paid there.
        let fed = app.as_(&token).post("/api/v1/stays").json(stay_body(family.leverndale, "Leverndale MBU")).send().await;
        assert_eq!(fed.status.as_u16(), 201, "{}", fed.text);
        let (fed_stay, fed_me) = (fed.json["id"].as_i64().unwrap(), fed.json["visitors"][0]["id"].as_i64().unwrap());
        let draft = app.as_(&token).post(&format!("/api/v1/stays/{fed_stay}/claims"))
            .json(json!({"lines": [{"visitor_id": fed_me, "spent_on": "2022-05-03", "kind": "food"}]})).send().await;
        let fed_claim = draft.json["id"].as_i64().unwrap();
        let refused = app.as_(&token).post(&format!("/api/v1/claims/{fed_claim}/submit")).send().await;
        refused.assert_problem(422, "validation_failed");
        assert_eq!(refused.error_fields(), ["lines[0].kind"]);
        let wrong_ward = app.as_(&token).post("/api/v1/stays").json(stay_body(family.leverndale, "Mother and Baby Unit")).send().await;
        wrong_ward.assert_problem(422, "validation_failed");
        assert_eq!(wrong_ward.error_fields(), ["ward"]);

        // Shapes are refused when the draft is saved, every field at once.
        let bad = app.as_(&token).post(&format!("/api/v1/stays/{stay}/claims")).json(json!({"lines": [
            {"visitor_id": 999_999, "spent_on": "2022-05-40", "kind": "loss_of_earnings"},
            {"visitor_id": me, "spent_on": "2022-05-09", "kind": "car", "amount": "10.00"},
            {"visitor_id": me, "spent_on": "2022-05-09", "kind": "food", "miles": 3}
        ]})).send().await;
        bad.assert_problem(422, "validation_failed");
        assert_eq!(bad.error_fields(), ["lines[0].spent_on", "lines[0].kind", "lines[0].visitor_id", "lines[1].miles", "lines[1].amount", "lines[2].miles"]);

        // A stay with every field wrong.
        let bad = app.as_(&token).post("/api/v1/stays").json(json!({
            "unit_id": family.st_johns, "woman": {"name": " ", "date_of_birth": "2030-01-01"},
            "ward": "Ward 9", "consultant": "", "admitted_on": "2022-06-01", "discharged_on": "2022-05-01",
            "home_board": "narnia", "children": [{"first_name": "", "date_of_birth": "yesterday"}]
        })).send().await;
        bad.assert_problem(422, "validation_failed");
        assert_eq!(bad.error_fields(), ["woman.name", "woman.date_of_birth", "consultant", "discharged_on", "home_board",
            "children[0].first_name", "children[0].date_of_birth", "ward"]);
    }
}

db_test! {
    async fn a_claim_after_the_window_is_refused_and_a_referred_claim_is_frozen(backend: Backend) {
        let Some(app) = family_app(backend).await else { return };
        let family = FamilyFund::new(&app, "20000.00").await;
        let (token, email) = claimant(&app).await;
        let (stay, [me, _, _]) = stay(&app, &family, &token).await;
        let referred = submitted_car_claim(&app, &token, stay, me, "2022-05-09", 100).await;
        let reply = app.as_(&family.cash_office).post(&format!("/api/v1/claims/{referred}/refer"))
            .json(json!({"reason": "The mileage does not match the family's address."})).send().await;
        assert_eq!(reply.status.as_u16(), 200, "{}", reply.text);
        assert_eq!(reply.json["status"], "referred");
        app.as_(&family.clinician).post(&format!("/api/v1/claims/{referred}/certify"))
            .json(json!({"resident_from": "2022-05-02", "resident_to": "2022-06-20"})).send().await
            .assert_problem(409, "claim_status_mismatch");
        app.as_(&family.cash_office).post(&format!("/api/v1/claims/{referred}/reject")).json(json!({"reason": "x"})).send().await
            .assert_problem(409, "claim_status_mismatch");
        assert_eq!(app.audit_actions(&family.admin, "claim", referred).await.last().map(String::as_str), Some("claim_referred"));

        let rejected = submitted_car_claim(&app, &token, stay, me, "2022-05-10", 100).await;
        let reply = app.as_(&family.cash_office).post(&format!("/api/v1/claims/{rejected}/reject"))
            .json(json!({"reason": "The unit has no record of a visit that day."})).send().await;
        assert_eq!(reply.status.as_u16(), 200, "{}", reply.text);
        app.run_outbox().await;
        let mails: Vec<String> = app.mails().into_iter().filter(|m| m.contains(&email)).collect();
        assert!(mails.iter().any(|m| m.contains("no record of a visit")), "the rejection says why");
        assert!(mails.iter().all(|m| !m.contains("mileage does not match")), "no email says why a claim was referred");

        let discharged = app.as_(&family.clinician).put(&format!("/api/v1/stays/{stay}/discharge"))
            .json(json!({"discharged_on": "2022-06-01"})).send().await;
        assert_eq!(discharged.status.as_u16(), 200, "{}", discharged.text);
        assert_eq!(discharged.json["claims_close_on"], "2022-09-01");
        set_day(&app, "2022-09-02");
        let draft = app.as_(&token).post(&format!("/api/v1/stays/{stay}/claims"))
            .json(json!({"lines": [{"visitor_id": me, "spent_on": "2022-05-20", "kind": "car", "miles": 10}]})).send().await;
        let claim = draft.json["id"].as_i64().unwrap();
        let late = app.as_(&token).post(&format!("/api/v1/claims/{claim}/submit")).send().await;
        late.assert_problem(422, "validation_failed");
        assert_eq!(late.error_fields(), ["claim"]);
    }
}

db_test! {
    async fn simultaneous_approvals_on_two_instances_hold_the_family_cap_and_the_year_limit(backend: Backend) {
        // 32 families' claims of £90 against a year of £900, and one family's two claims of
        // £300 against its £500 cap, all approved at once through two instances.
        const N: usize = 32;
        let Some(app) = family_app(backend).await else { return };
        let other = app.second_instance().await;
        let family = FamilyFund::new(&app, "900.00").await;
        let mut claims = Vec::new();
        for _ in 0..N {
            let (token, _) = claimant(&app).await;
            let (stay, [me, _, _]) = stay(&app, &family, &token).await;
            let claim = submitted_car_claim(&app, &token, stay, me, "2022-05-09", 600).await;
            claims.push((claim, certified(&app, &family, claim).await));
        }
        let (token, _) = claimant(&app).await;
        let (stay, [me, _, _]) = stay(&app, &family, &token).await;
        let mut twins = Vec::new();
        for day in ["2022-05-10", "2022-05-11"] {
            let claim = submitted_car_claim(&app, &token, stay, me, day, 2000).await;
            twins.push((claim, certified(&app, &family, claim).await));
        }
        let all: Vec<&(i64, Vec<i64>)> = twins.iter().chain(claims.iter()).collect();
        let replies = join_all(all.iter().enumerate().map(|(i, (claim, lines))| {
            let instance = if i % 2 == 0 { &app } else { &other };
            instance.as_(&family.cash_office).post(&format!("/api/v1/claims/{claim}/approve")).json(in_full(lines)).send()
        }))
        .await;
        for reply in &replies {
            assert!(matches!(reply.status.as_u16(), 200 | 409), "{}", reply.text);
        }
        let twin_codes: Vec<String> = replies[..2].iter().map(|r| r.json["code"].as_str().unwrap_or("approved").to_owned()).collect();
        let twins_approved = twin_codes.iter().filter(|c| *c == "approved").count();
        assert!(twins_approved <= 1, "two claims of £300 never both pass the £500 cap: {twin_codes:?}");
        for code in &twin_codes {
            assert!(["approved", "family_cap_exceeded", "fund_limit_exceeded"].contains(&code.as_str()), "{code}");
        }
        let others_approved = replies[2..].iter().filter(|r| r.status.as_u16() == 200).count();
        for reply in replies[2..].iter().filter(|r| r.status.as_u16() != 200) {
            reply.assert_problem(409, "fund_limit_exceeded");
        }
        let committed = twins_approved * 30_000 + others_approved * 9_000;
        assert!(committed <= 90_000, "the year's limit holds: {committed}");
        assert!(committed > 90_000 - 9_000, "the year is filled as far as it goes: {committed}");
        let expected = format!("{}.{:02}", committed / 100, committed % 100);
        assert_eq!(family.committed(&other, "2022-23").await, expected);
        let stay_now = app.as_(&token).get(&format!("/api/v1/stays/{stay}")).send().await;
        assert_eq!(stay_now.json["approved"], if twins_approved == 1 { "300.00" } else { "0.00" });
    }
}

db_test! {
    async fn a_second_claim_past_the_cap_is_refused_at_approval_and_can_be_approved_in_part(backend: Backend) {
        let Some(app) = family_app(backend).await else { return };
        let family = FamilyFund::new(&app, "20000.00").await;
        let (token, _) = claimant(&app).await;
        let (stay, [me, _, _]) = stay(&app, &family, &token).await;
        let first = submitted_car_claim(&app, &token, stay, me, "2022-05-10", 2000).await;
        let second = submitted_car_claim(&app, &token, stay, me, "2022-05-11", 2000).await;
        let first_lines = certified(&app, &family, first).await;
        let second_lines = certified(&app, &family, second).await;
        let reply = app.as_(&family.cash_office).post(&format!("/api/v1/claims/{first}/approve")).json(in_full(&first_lines)).send().await;
        assert_eq!(reply.status.as_u16(), 200, "{}", reply.text);
        let refused = app.as_(&family.cash_office).post(&format!("/api/v1/claims/{second}/approve")).json(in_full(&second_lines)).send().await;
        refused.assert_problem(409, "family_cap_exceeded");
        assert!(refused.json["detail"].as_str().unwrap().contains("£200.00 is left"), "{}", refused.text);
        let part = app.as_(&family.cash_office).post(&format!("/api/v1/claims/{second}/approve"))
            .json(json!({"lines": [{"line_id": second_lines[0], "outcome": "part", "amount": "200.00", "reason": "The fund pays up to £500 for a stay."}]})).send().await;
        assert_eq!(part.status.as_u16(), 200, "{}", part.text);
        let stay_now = app.as_(&token).get(&format!("/api/v1/stays/{stay}")).send().await;
        assert_eq!(stay_now.json["approved"], "500.00");
        assert_eq!(stay_now.json["remaining"], "0.00");
        assert_eq!(family.committed(&app, "2022-23").await, "500.00");

        // A third claim is refused at submission: nothing is left under the cap.
        let draft = app.as_(&token).post(&format!("/api/v1/stays/{stay}/claims"))
            .json(json!({"lines": [{"visitor_id": me, "spent_on": "2022-05-12", "kind": "car", "miles": 10}]})).send().await;
        let claim = draft.json["id"].as_i64().unwrap();
        let refused = app.as_(&token).post(&format!("/api/v1/claims/{claim}/submit")).send().await;
        refused.assert_problem(422, "validation_failed");
        assert_eq!(refused.error_fields(), ["total"]);
    }
}

db_test! {
    async fn approved_claims_are_paid_in_a_run_of_their_board_by_a_second_person(backend: Backend) {
        let Some(app) = family_app(backend).await else { return };
        let family = FamilyFund::new(&app, "20000.00").await;
        let (token, email) = claimant(&app).await;
        let (stay, [me, _, _]) = stay(&app, &family, &token).await;
        let paid = submitted_car_claim(&app, &token, stay, me, "2022-05-09", 100).await;
        let failed = submitted_car_claim(&app, &token, stay, me, "2022-05-10", 200).await;
        for claim in [paid, failed] {
            let lines = certified(&app, &family, claim).await;
            let reply = app.as_(&family.cash_office).post(&format!("/api/v1/claims/{claim}/approve")).json(in_full(&lines)).send().await;
            assert_eq!(reply.status.as_u16(), 200, "{}", reply.text);
        }
        let colleague = app.staff_at(Role::CashOffice, Place { health_board: Some(HealthBoard::Lothian), ..Place::default() }).await;

        // Nothing is paid before the claimant's bank details are in and checked by the board.
        let built = app.as_(&colleague).post("/api/v1/payment-runs").json(json!({})).send().await;
        built.assert_problem(409, "nothing_to_pay");
        let entered = app.as_(&token).put("/api/v1/me/bank-details")
            .json(json!({"account_name": "C MacLeod", "sort_code": "80-22-60", "account_number": "10203040"})).send().await;
        assert_eq!(entered.status.as_u16(), 200, "{}", entered.text);
        assert_eq!(entered.json["account_number"], "****3040");
        assert_eq!(entered.json["status"], "awaiting_verification");
        let me_id = app.as_(&token).get("/api/v1/me").send().await.json["user"]["id"].as_i64().unwrap();
        app.as_(&family.other_cash_office).post(&format!("/api/v1/claimants/{me_id}/bank-details/verify")).send().await
            .assert_problem(404, "not_found");
        let verified = app.as_(&family.cash_office).post(&format!("/api/v1/claimants/{me_id}/bank-details/verify")).send().await;
        assert_eq!(verified.status.as_u16(), 200, "{}", verified.text);
        assert_eq!(verified.json["status"], "verified");

        // The person who approved the claims cannot pay them: a second person builds the run.
        let alone = app.as_(&family.cash_office).post("/api/v1/payment-runs").json(json!({})).send().await;
        alone.assert_problem(409, "nothing_to_pay");
        let finance = app.staff(Role::Finance).await;
        app.as_(&finance).post("/api/v1/payment-runs").json(json!({})).send().await.assert_problem(409, "nothing_to_pay");
        let built = app.as_(&colleague).post("/api/v1/payment-runs").json(json!({})).send().await;
        assert_eq!(built.status.as_u16(), 201, "{}", built.text);
        assert_eq!(built.json["run"]["health_board"], "lothian");
        assert_eq!(built.json["run"]["count"], 2);
        assert_eq!(built.json["run"]["total"], "45.00");
        let run = built.json["run"]["id"].as_i64().unwrap();
        let lines = built.json["run"]["lines"].as_array().unwrap().clone();
        assert_eq!(lines[0]["kind"], "claim");
        assert_eq!(lines[0]["claim_id"], paid);
        assert_eq!(lines[0]["organisation_id"], Value::Null);
        // Other boards' cash offices and finance see nothing of it; nothing is built twice.
        for other in [&family.other_cash_office, &finance] {
            app.as_(other).get(&format!("/api/v1/payment-runs/{run}")).send().await.assert_problem(404, "not_found");
            assert!(app.as_(other).get("/api/v1/payment-runs").send().await.json.as_array().unwrap().is_empty());
        }
        app.as_(&colleague).post("/api/v1/payment-runs").json(json!({})).send().await.assert_problem(409, "nothing_to_pay");

        let file = app.as_(&colleague).get(&format!("/api/v1/payment-runs/{run}/lines.csv")).send().await;
        assert_eq!(file.status.as_u16(), 200, "{}", file.text);
        assert!(file.text.contains("80-22-60") && file.text.contains("10203040"), "{}", file.text);
        let closed = app.as_(&colleague).post(&format!("/api/v1/payment-runs/{run}/close")).send().await;
        assert_eq!(closed.status.as_u16(), 200, "{}", closed.text);
        let (first, second) = (lines[0]["id"].as_i64().unwrap(), lines[1]["id"].as_i64().unwrap());
        let marked = app.as_(&colleague).post(&format!("/api/v1/payment-runs/{run}/lines/{first}/paid")).json(json!({"paid_on": "2022-06-20"})).send().await;
        assert_eq!(marked.status.as_u16(), 200, "{}", marked.text);
        let marked = app.as_(&colleague).post(&format!("/api/v1/payment-runs/{run}/lines/{second}/failed")).json(json!({"reason": "Account closed"})).send().await;
        assert_eq!(marked.status.as_u16(), 200, "{}", marked.text);

        assert_eq!(app.as_(&token).get(&format!("/api/v1/claims/{paid}")).send().await.json["status"], "paid");
        assert_eq!(app.as_(&token).get(&format!("/api/v1/claims/{failed}")).send().await.json["status"], "approved");
        let stay_now = app.as_(&token).get(&format!("/api/v1/stays/{stay}")).send().await;
        assert_eq!(stay_now.json["paid"], "15.00");
        assert_eq!(stay_now.json["approved"], "45.00");
        assert_eq!(family.year(&app, "2022-23").await, ("45.00".to_owned(), "15.00".to_owned()));

        // The failed payment goes back to the queue and into the next run.
        let again = app.as_(&colleague).post("/api/v1/payment-runs").json(json!({})).send().await;
        assert_eq!(again.status.as_u16(), 201, "{}", again.text);
        assert_eq!(again.json["run"]["lines"][0]["claim_id"], failed);

        app.run_outbox().await;
        let mails: Vec<String> = app.mails().into_iter().filter(|m| m.contains(&email)).collect();
        assert!(mails.iter().any(|m| m.contains("has been paid")), "the claimant is told");
        assert!(mails.iter().all(|m| !m.contains("10203040")), "no email carries the account number");
    }
}

/// `n` families of St John's, each with one claim of `miles` approved, paid by a second member
/// of the cash office; gives that colleague.
async fn paid_families(app: &TestApp, family: &FamilyFund, n: usize, miles: i64) -> String {
    let colleague = app
        .staff_at(
            Role::CashOffice,
            Place {
                health_board: Some(HealthBoard::Lothian),
                ..Place::default()
            },
        )
        .await;
    for _ in 0..n {
        let (token, _) = claimant(app).await;
        let (stay, [me, _, _]) = stay(app, family, &token).await;
        let claim = submitted_car_claim(app, &token, stay, me, "2022-05-09", miles).await;
        let lines = certified(app, family, claim).await;
        let reply = app
            .as_(&family.cash_office)
            .post(&format!("/api/v1/claims/{claim}/approve"))
            .json(in_full(&lines))
            .send()
            .await;
        assert_eq!(reply.status.as_u16(), 200, "{}", reply.text);
        let entered = app.as_(&token).put("/api/v1/me/bank-details")
            .json(json!({"account_name": "A Parent", "sort_code": "80-22-60", "account_number": "10203040"})).send().await;
        assert_eq!(entered.status.as_u16(), 200, "{}", entered.text);
        let id = app.as_(&token).get("/api/v1/me").send().await.json["user"]["id"]
            .as_i64()
            .unwrap();
        let verified = app
            .as_(&family.cash_office)
            .post(&format!("/api/v1/claimants/{id}/bank-details/verify"))
            .send()
            .await;
        assert_eq!(verified.status.as_u16(), 200, "{}", verified.text);
    }
    let built = app
        .as_(&colleague)
        .post("/api/v1/payment-runs")
        .json(json!({}))
        .send()
        .await;
    assert_eq!(built.status.as_u16(), 201, "{}", built.text);
    let run = built.json["run"]["id"].as_i64().unwrap();
    assert_eq!(
        app.as_(&colleague)
            .post(&format!("/api/v1/payment-runs/{run}/close"))
            .send()
            .await
            .status
            .as_u16(),
        200
    );
    for line in built.json["run"]["lines"].as_array().unwrap() {
        let id = line["id"].as_i64().unwrap();
        let marked = app
            .as_(&colleague)
            .post(&format!("/api/v1/payment-runs/{run}/lines/{id}/paid"))
            .json(json!({"paid_on": "2022-06-20"}))
            .send()
            .await;
        assert_eq!(marked.status.as_u16(), 200, "{}", marked.text);
    }
    colleague
}

db_test! {
    async fn officials_read_what_was_paid_with_small_groups_withheld(backend: Backend) {
        let Some(app) = family_app(backend).await else { return };
        let family = FamilyFund::new(&app, "20000.00").await;
        let official = app.staff(Role::Official).await;
        let path = format!("/api/v1/reports/funds/{}/family", family.fund);
        paid_families(&app, &family, 4, 100).await;
        let report = app.as_(&official).get(&path).send().await;
        assert_eq!(report.status.as_u16(), 200, "{}", report.text);
        assert_eq!(report.json["suppressed"], true, "four families could be told apart");
        assert_eq!(report.json["paid"], Value::Null);
        assert!(report.json["by_home_board"].as_array().unwrap().iter().all(|g| g["paid"].is_null()));
        assert!(!report.text.contains("Morag") && !report.text.contains("MacLeod"));

        paid_families(&app, &family, 2, 200).await;
        let report = app.as_(&official).get(&path).send().await;
        assert_eq!(report.json["suppressed"], false);
        assert_eq!(report.json["families"], 6);
        assert_eq!(report.json["paid"], "120.00", "four of £15 and two of £30");
        assert_eq!(report.json["median_days_to_payment"], 0);
        let islands = report.json["by_home_board"].as_array().unwrap().iter().find(|g| g["key"] == "western_isles").unwrap().clone();
        assert_eq!((islands["families"].clone(), islands["paid"].clone()), (json!(6), json!("120.00")));
        // St John's shows all six; the West of Scotland unit shows none, which tells of nobody.
        let by_unit = report.json["by_unit"].as_array().unwrap();
        let st_johns = by_unit.iter().find(|g| g["key"] == json!(family.st_johns.to_string())).unwrap();
        assert_eq!(st_johns["paid"], "120.00");
        let leverndale = by_unit.iter().find(|g| g["key"] == json!(family.leverndale.to_string())).unwrap();
        assert_eq!((leverndale["families"].clone(), leverndale["paid"].clone()), (json!(0), json!("0.00")));
        let csv = app.as_(&official).get(&format!("{path}?format=csv")).send().await;
        assert_eq!(csv.status.as_u16(), 200, "{}", csv.text);
        assert!(csv.text.starts_with("dimension,key,label,suppressed,families,claims,paid"), "{}", csv.text);
        assert!(csv.text.contains("expense,car,Car,false,6,6,120.00"), "{}", csv.text);

        let file = app.as_(&official).get(&format!("{path}.csv")).send().await;
        assert_eq!(file.text, csv.text, "the sibling path answers the same CSV");

        // Each paid claim is published as a grant to an anonymous individual, at the unit's board.
        let open = app.anonymous().get(&format!("/api/v1/open-data/funds/{}/360giving.json", family.fund)).send().await;
        assert_eq!(open.status.as_u16(), 200, "{}", open.text);
        let grants = open.json["grants"].as_array().unwrap();
        assert_eq!(grants.len(), 6);
        let ids: std::collections::BTreeSet<&str> = grants.iter().map(|g| g["recipientIndividual"]["id"].as_str().unwrap()).collect();
        assert_eq!(ids.len(), 6, "no two grants name one recipient");
        for grant in grants {
            assert_eq!(grant["recipientIndividual"]["name"], "Individual Recipient");
            assert!(grant.get("recipientOrganization").is_none());
            assert_eq!(grant["beneficiaryLocation"], json!([{"name": "NHS Lothian", "geoCode": "S08000024", "geoCodeType": "HB"}]));
        }
        for word in ["Morag", "MacLeod", "Calum", "Ruaridh", "Western Isles", "Reid"] {
            assert!(!open.text.contains(word), "{word} in {}", open.text);
        }
        let open_csv = app.anonymous().get(&format!("/api/v1/open-data/funds/{}/360giving.csv", family.fund)).send().await;
        assert!(open_csv.text.lines().next().unwrap().contains("Recipient Ind:Identifier"), "{}", open_csv.text);

        for token in [&family.cash_office, &family.clinician] {
            app.as_(token).get(&path).send().await.assert_problem(403, "forbidden");
        }
        let admin = app.admin().await;
        let grants = app.as_(&admin).post("/api/v1/funds").json(fund_body("GRANTS")).send().await;
        let grants = grants.json["id"].as_i64().unwrap();
        app.as_(&official).get(&format!("/api/v1/reports/funds/{grants}/family")).send().await
            .assert_problem(409, "fund_kind_mismatch");
    }
}

db_test! {
    async fn a_stay_is_anonymised_once_its_retention_period_ends_keeping_its_money(backend: Backend) {
        let Some(app) = family_app(backend).await else { return };
        let family = FamilyFund::new(&app, "20000.00").await;
        let (token, _) = claimant(&app).await;
        let (stay, [me, _, _]) = stay(&app, &family, &token).await;
        let draft = app.as_(&token).post(&format!("/api/v1/stays/{stay}/claims"))
            .json(json!({"lines": [{"visitor_id": me, "spent_on": "2022-05-09", "kind": "car", "miles": 100, "description": "From Morag's mother's house"}]})).send().await;
        let claim = draft.json["id"].as_i64().unwrap();
        let receipt = upload(&app, &token, &format!("/claims/{claim}/documents"), &[("kind", "receipt")], "fuel.pdf", PDF).await;
        assert_eq!(receipt.status.as_u16(), 201, "{}", receipt.text);
        let receipt = receipt.json["id"].as_i64().unwrap();
        assert_eq!(app.as_(&token).post(&format!("/api/v1/claims/{claim}/submit")).send().await.status.as_u16(), 200);
        let lines = certified(&app, &family, claim).await;
        assert_eq!(app.as_(&family.cash_office).post(&format!("/api/v1/claims/{claim}/approve")).json(in_full(&lines)).send().await.status.as_u16(), 200);
        app.as_(&token).put("/api/v1/me/bank-details")
            .json(json!({"account_name": "C MacLeod", "sort_code": "80-22-60", "account_number": "10203040"})).send().await;
        let me_id = app.as_(&token).get("/api/v1/me").send().await.json["user"]["id"].as_i64().unwrap();
        assert_eq!(app.as_(&family.cash_office).post(&format!("/api/v1/claimants/{me_id}/bank-details/verify")).send().await.status.as_u16(), 200);
        let colleague = app.staff_at(Role::CashOffice, Place { health_board: Some(HealthBoard::Lothian), ..Place::default() }).await;
        let built = app.as_(&colleague).post("/api/v1/payment-runs").json(json!({})).send().await;
        let run = built.json["run"]["id"].as_i64().unwrap();
        let line = built.json["run"]["lines"][0]["id"].as_i64().unwrap();
        app.as_(&colleague).post(&format!("/api/v1/payment-runs/{run}/close")).send().await;
        let marked = app.as_(&colleague).post(&format!("/api/v1/payment-runs/{run}/lines/{line}/paid")).json(json!({"paid_on": "2022-06-20"})).send().await;
        assert_eq!(marked.status.as_u16(), 200, "{}", marked.text);
        // Another family still writing a claim keeps everything.
        let (other, _) = claimant(&app).await;
        let (kept, [them, _, _]) = self::stay(&app, &family, &other).await;
        app.as_(&other).post(&format!("/api/v1/stays/{kept}/claims"))
            .json(json!({"lines": [{"visitor_id": them, "spent_on": "2022-05-09", "kind": "car", "miles": 10}]})).send().await;

        let run_retention = |day: &'static str| {
            set_day(&app, day);
            let now = app.clock_now();
            let db = app.state.db.clone();
            async move {
                db.run(move |conn| grantfund::retention::run_once(conn, now, grantfund::retention::Periods { applications: 24, stays: 24 })).await.unwrap()
            }
        };
        assert_eq!(run_retention("2024-06-01").await.stays_anonymised, 0, "23 months after the payment it is all kept");
        let report = run_retention("2024-06-21").await;
        assert_eq!(report.stays_anonymised, 1);
        assert_eq!(report.documents_removed, 1);

        let after = app.as_(&token).get(&format!("/api/v1/stays/{stay}")).send().await;
        assert_eq!(after.status.as_u16(), 200, "{}", after.text);
        assert_eq!((after.json["woman"].clone(), after.json["ward"].clone(), after.json["consultant"].clone()), (Value::Null, Value::Null, Value::Null));
        assert_eq!(after.json["visitors"], json!([]));
        assert_eq!((after.json["paid"].clone(), after.json["approved"].clone(), after.json["admitted_on"].clone()), (json!("15.00"), json!("15.00"), json!("2022-05-02")));
        assert!(!after.json["anonymised_at"].is_null());
        let claim_now = app.as_(&token).get(&format!("/api/v1/claims/{claim}")).send().await;
        assert_eq!(claim_now.json["lines"][0]["description"], "");
        assert_eq!(claim_now.json["approved"], "15.00");
        app.as_(&token).get(&format!("/api/v1/documents/{receipt}")).send().await.assert_problem(404, "not_found");
        assert_eq!(app.as_(&token).get("/api/v1/me/bank-details").send().await.json["status"], "missing");
        let kept = app.as_(&other).get(&format!("/api/v1/stays/{kept}")).send().await;
        assert_eq!(kept.json["woman"]["name"], "Morag MacLeod");

        // Nothing of the woman, the children or the account is left in the database.
        let leftovers = app.state.db.run(move |conn| {
            use diesel::prelude::*;
            use grantfund::db::schema::{bank_details, stay_people, visitors};
            let people = stay_people::table.filter(stay_people::stay_id.eq(stay)).count().get_result::<i64>(conn)?;
            let sealed = visitors::table.filter(visitors::stay_id.eq(stay)).filter(visitors::sealed.is_not_null()).count().get_result::<i64>(conn)?;
            let numbers = bank_details::table.filter(bank_details::claimant_id.eq(me_id)).filter(bank_details::sealed.ne("")).count().get_result::<i64>(conn)?;
            Ok::<_, grantfund::error::ApiError>((people, sealed, numbers))
        }).await.unwrap();
        assert_eq!(leftovers, (0, 0, 0));
    }
}

db_test! {
    async fn an_approval_sent_again_with_its_key_commits_once(backend: Backend) {
        let Some(app) = family_app(backend).await else { return };
        let family = FamilyFund::new(&app, "20000.00").await;
        let (token, _) = claimant(&app).await;
        let (stay, visitors) = stay(&app, &family, &token).await;
        let claim = submitted_car_claim(&app, &token, stay, visitors[0], "2022-05-09", 100).await;
        let lines = certified(&app, &family, claim).await;
        let path = format!("/api/v1/claims/{claim}/approve");
        let send = |key: &'static str, body: Value| {
            let (app, token, path) = (&app, family.cash_office.clone(), path.clone());
            async move { app.as_(&token).post(&path).header("Idempotency-Key", key).json(&body).send().await }
        };
        let first = send("approve-claim-1", in_full(&lines)).await;
        assert_eq!(first.status.as_u16(), 200, "{}", first.text);
        let again = send("approve-claim-1", in_full(&lines)).await;
        assert_eq!(again.status.as_u16(), 200, "a retry gets the first answer: {}", again.text);
        assert_eq!(again.json, first.json);
        assert_eq!(family.committed(&app, "2022-23").await, "15.00", "committed once");
        let other = json!({"lines": [{"line_id": lines[0], "outcome": "none", "reason": "No"}]});
        send("approve-claim-1", other).await.assert_problem(422, "idempotency_key_reused");
        let reply = app.as_(&family.cash_office).post(&path).header("Idempotency-Key", "has space").json(in_full(&lines)).send().await;
        reply.assert_problem(400, "invalid_idempotency_key");
        // Without a key, sending it again is refused: the claim is already approved.
        app.as_(&family.cash_office).post(&path).json(in_full(&lines)).send().await.assert_problem(409, "claim_status_mismatch");
    }
}
