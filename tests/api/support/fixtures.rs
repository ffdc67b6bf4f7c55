//! The objects a test starts from, built through the API as a user would.

use awc::http::StatusCode;
use serde_json::{Value, json};

use grantfund::domain::vocabulary::Role;

use super::app::{PASSWORD, TestApp};
use super::request::Reply;

/// A valid registration body.
pub fn registration(charity_number: &str, email: &str) -> Value {
    json!({
        "organisation": {
            "name": "Bumps & Babies Fife",
            "type": "scio",
            "charity_number": charity_number,
            "annual_income": "180000.00",
            "address": "12 High Street, Kirkcaldy",
            "postcode": "KY1 1XX",
            "health_boards": ["fife"],
            "website": "https://example.org",
            "contact_email": "info@example.org"
        },
        "user": {"name": "Aileen Reid", "email": email, "password": PASSWORD}
    })
}

/// The model fund: a national perinatal and infant mental health fund.
pub fn fund_body(code: &str) -> Value {
    json!({
        "name": "Perinatal and Infant Mental Health Third Sector Fund",
        "code": code,
        "funder": {"name": "Scottish Government", "org_id": "GB-GOR-PC390"},
        "administrator": {"name": "Inspiring Scotland", "org_id": "GB-SC-SC040887"},
        "currency": "GBP",
        "programme_start": "2020-08-01",
        "programme_end": "2023-03-31",
        "reach_target": 11000
    })
}

/// A core round that opened `opened_days_ago` days ago and closes `closes_in_days` from now
/// (by the test clock), funding 2021-22 and 2022-23.
pub fn round_body(app: &TestApp, opened_days_ago: i64, closes_in_days: i64) -> Value {
    use grantfund::domain::clock::Clock;
    let now = app.clock.now();
    json!({
        "name": "Core 2021-23",
        "component": "core",
        "opens_at": (now - chrono::Duration::days(opened_days_ago)).to_rfc3339(),
        "closes_at": (now + chrono::Duration::days(closes_in_days)).to_rfc3339(),
        "financial_years": ["2021-22", "2022-23"],
        "min_request": "5000.00",
        "max_request": "60000.00",
        "max_applicant_income": null,
        "assessments_required": 2,
        "return_frequency": "quarterly"
    })
}

/// A complete application to a round funding 2021-22 and 2022-23.
pub fn application_body() -> Value {
    json!({
        "title": "Peer support for new mums in Fife",
        "summary": "Weekly peer support groups for new mothers and their partners.",
        "description": "Trained peer supporters run groups in Kirkcaldy, Glenrothes and Levenmouth.",
        "requested": {"2021-22": "40000.00", "2022-23": "42000.00"},
        "target_groups": ["mothers_birthing_parents", "fathers_partners"],
        "health_boards": ["fife"],
        "support_types": ["peer_support", "befriending"],
        "peer_support": true,
        "expected_reach": {"women": 300, "partners": 80, "infants": 250, "families": 320},
        "equality_impact": "Reaches families in the most deprived areas of Fife."
    })
}

/// An organisation registered through the API, and its applicant signed in.
pub struct Registered {
    pub organisation: i64,
    pub token: String,
}

/// The model fund with a core round open now, and the administrator who made them.
pub struct OpenRound {
    pub admin: String,
    pub fund: i64,
    pub round: i64,
}

/// An assessor, signed in.
pub struct Assessor {
    pub id: i64,
    pub token: String,
}

/// A submitted application and its applicant's token.
pub struct Submitted {
    pub id: i64,
    pub applicant: String,
}

/// An accepted award and its grant holder's token.
pub struct Award {
    pub id: i64,
    pub holder: String,
}

/// An accepted award with the panel that made it.
pub struct AcceptedAward {
    pub panel: Panel,
    pub award: i64,
    pub holder: String,
}

/// One financial year of a fund's budget, as the API states it.
#[derive(Debug, PartialEq)]
pub struct YearBudget {
    pub year: String,
    pub committed: String,
    pub paid: String,
}

/// The model fund: £1,000,000 approved for each of its three years. The first fund of a test
/// is `PIMH`, later ones `PIMH2`, `PIMH3`…
pub struct FundBuilder<'a> {
    app: &'a TestApp,
    admin: &'a str,
}

impl<'a> FundBuilder<'a> {
    pub fn new(app: &'a TestApp, admin: &'a str) -> Self {
        FundBuilder { app, admin }
    }

    /// Creates the fund and approves its years; gives its id.
    pub async fn create(self) -> i64 {
        let FundBuilder { app, admin } = self;
        let existing = app.as_(admin).get("/api/v1/funds").send().await.json["total"]
            .as_i64()
            .unwrap_or(0);
        let code = match existing {
            0 => "PIMH".to_owned(),
            n => format!("PIMH{}", n + 1),
        };
        let reply = app
            .as_(admin)
            .post("/api/v1/funds")
            .json(fund_body(&code))
            .send()
            .await;
        assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text);
        let id = reply.json["id"].as_i64().expect("fund id");
        for year in ["2020-21", "2021-22", "2022-23"] {
            let reply = app
                .as_(admin)
                .put(&format!("/api/v1/funds/{id}/years/{year}"))
                .json(json!({"limit": "1000000.00", "approved": true}))
                .send()
                .await;
            assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
        }
        id
    }
}

/// A round that needs `required` submitted assessments, with one criterion and one assessor.
pub struct Panel {
    pub admin: String,
    pub fund: i64,
    pub round: i64,
    pub criterion: i64,
    pub assessor: Assessor,
}

impl Panel {
    pub async fn new(app: &TestApp, required: i64) -> Panel {
        Self::with_frequency(app, required, "quarterly").await
    }

    /// A panel whose round asks for returns at `frequency`.
    pub async fn with_frequency(app: &TestApp, required: i64, frequency: &str) -> Panel {
        let admin = app.admin().await;
        let fund = FundBuilder::new(app, &admin).create().await;
        let mut body = round_body(app, 1, 30);
        body["assessments_required"] = json!(required);
        body["return_frequency"] = json!(frequency);
        let round = app.create_round(&admin, fund, body).await;
        let reply = app
            .as_(&admin)
            .post(&format!("/api/v1/rounds/{round}/criteria"))
            .json(json!({"name": "Merit", "weight": "1", "max_score": 10}))
            .send()
            .await;
        let criterion = reply.json["id"].as_i64().unwrap();
        let email = format!("panel-{round}@panel.example.org");
        let assessor_id = app.create_user(Role::Assessor, &email, None).await;
        let assessor = Assessor {
            id: assessor_id,
            token: app.token(&email).await,
        };
        Panel {
            admin,
            fund,
            round,
            criterion,
            assessor,
        }
    }

    /// A new organisation's application, submitted; verified when `verified`.
    pub async fn submitted(&self, app: &TestApp, n: usize, verified: bool) -> Submitted {
        let Registered {
            organisation,
            token,
        } = app
            .register(
                &format!("SC{:06}", 200_000 + n),
                &format!("applicant{n}@example.org"),
            )
            .await;
        if verified {
            let reply = app
                .as_(&self.admin)
                .post(&format!("/api/v1/organisations/{organisation}/verify"))
                .json(json!({}))
                .send()
                .await;
            assert_eq!(reply.status.as_u16(), 200, "{}", reply.text);
        }
        let id = app.draft(&token, self.round, application_body()).await;
        let reply = app
            .as_(&token)
            .post(&format!("/api/v1/applications/{id}/submit"))
            .json(json!({}))
            .send()
            .await;
        assert_eq!(reply.status.as_u16(), 200, "{}", reply.text);
        Submitted {
            id,
            applicant: token,
        }
    }

    /// Adds one submitted assessment to an application.
    pub async fn assess(&self, app: &TestApp, application: i64) {
        let Assessor {
            id: assessor,
            token,
        } = &self.assessor;
        let reply = app
            .as_(&self.admin)
            .post(&format!("/api/v1/applications/{application}/assignments"))
            .json(json!({"assessor_id": assessor}))
            .send()
            .await;
        let assignment = reply.json["id"].as_i64().unwrap();
        app.as_(token)
            .post(&format!(
                "/api/v1/assignments/{assignment}/conflict-declaration"
            ))
            .json(json!({"has_conflict": false}))
            .send()
            .await;
        app.as_(token)
            .put(&format!("/api/v1/assignments/{assignment}/scores"))
            .json(json!({"scores": [{"criterion_id": self.criterion, "score": 7}]}))
            .send()
            .await;
        let reply = app
            .as_(token)
            .post(&format!("/api/v1/assignments/{assignment}/submit"))
            .json(json!({}))
            .send()
            .await;
        assert_eq!(reply.status.as_u16(), 200, "{}", reply.text);
    }

    /// A verified organisation's application, submitted and assessed as the round requires.
    pub async fn ready(&self, app: &TestApp, n: usize) -> Submitted {
        let Submitted {
            id,
            applicant: token,
        } = self.submitted(app, n, true).await;
        self.assess(app, id).await;
        Submitted {
            id,
            applicant: token,
        }
    }

    /// Organisation `n`'s application awarded 38,000.00 in 2021-22 and 40,000.00 in 2022-23 and
    /// accepted, nothing paid.
    pub async fn unpaid(&self, app: &TestApp, n: usize) -> Award {
        let Submitted { id, applicant } = self.ready(app, n).await;
        let made = self
            .award(
                app,
                id,
                json!({"2021-22": "38000.00", "2022-23": "40000.00"}),
            )
            .await;
        assert_eq!(made.status.as_u16(), 201, "{}", made.text);
        let award = made.json["award"]["id"].as_i64().unwrap();
        let path = format!("/api/v1/awards/{award}/accept");
        let reply = app.as_(&applicant).post(&path).json(json!({})).send().await;
        assert_eq!(reply.status.as_u16(), 200, "{path}: {}", reply.text);
        Award {
            id: award,
            holder: applicant,
        }
    }

    /// As [`Panel::unpaid`], with the organisation's bank details verified and the first
    /// instalment released.
    pub async fn accepted(&self, app: &TestApp, n: usize) -> Award {
        let award = self.unpaid(app, n).await;
        app.payable(&award.holder, &self.admin).await;
        let paid = app.release(&self.admin, award.id, "2021-22").await;
        assert_eq!(paid.status.as_u16(), 200, "release: {}", paid.text);
        award
    }

    pub async fn set_limit(&self, app: &TestApp, year: &str, limit: &str, approved: bool) {
        let reply = app
            .as_(&self.admin)
            .put(&format!("/api/v1/funds/{}/years/{year}", self.fund))
            .json(json!({"limit": limit, "approved": approved}))
            .send()
            .await;
        assert_eq!(reply.status.as_u16(), 200, "{}", reply.text);
    }

    /// Each year's committed and paid amounts.
    pub async fn budget(&self, app: &TestApp) -> Vec<YearBudget> {
        let reply = app
            .as_(&self.admin)
            .get(&format!("/api/v1/funds/{}/years", self.fund))
            .send()
            .await;
        let years = if reply.json["items"].is_array() {
            reply.json["items"].clone()
        } else {
            reply.json.clone()
        };
        years
            .as_array()
            .unwrap()
            .iter()
            .map(|y| YearBudget {
                year: y["financial_year"].as_str().unwrap().to_owned(),
                committed: y["committed"].as_str().unwrap().to_owned(),
                paid: y["paid"].as_str().unwrap().to_owned(),
            })
            .collect()
    }

    pub async fn award(&self, app: &TestApp, application: i64, amounts: Value) -> Reply {
        app.as_(&self.admin)
            .post(&format!("/api/v1/applications/{application}/decision"))
            .json(
                json!({"decision": "award", "amounts": amounts, "conditions": "Report quarterly."}),
            )
            .send()
            .await
    }
}

/// An accepted award of 38,000.00 in 2021-22 on a panel of one assessment.
pub async fn running_award(app: &TestApp) -> AcceptedAward {
    let panel = Panel::new(app, 1).await;
    let Submitted { id, applicant } = panel.ready(app, 1).await;
    let made = panel.award(app, id, json!({"2021-22": "38000.00"})).await;
    let award = made.json["award"]["id"].as_i64().unwrap();
    let reply = app
        .as_(&applicant)
        .post(&format!("/api/v1/awards/{award}/accept"))
        .json(json!({}))
        .send()
        .await;
    assert_eq!(reply.status.as_u16(), 200, "{}", reply.text);
    AcceptedAward {
        panel,
        award,
        holder: applicant,
    }
}
