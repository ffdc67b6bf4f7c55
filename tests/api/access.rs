//! Trying to break it from outside. The access matrix: every route of the contract, called by
//! every kind of caller on objects of two organisations, answers as the access table and the
//! object rules say; a route in the contract without an entry here, or in the access table,
//! fails the test. The bad-input corpus: every request body of the contract, broken in every way
//! a client or an attacker might, is refused with a 4xx problem that repeats no markup or SQL,
//! and nothing is stored.

use std::collections::BTreeSet;
use std::time::Duration;

use serde_json::{Value, json};

use grantfund::access::{Access, POLICY};
use grantfund::domain::vocabulary::Role;

use crate::db_test;
use crate::support::*;

/// Which objects of a permitted role it may reach.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Scope {
    /// Anything the route names (collections, funds, rounds, criteria, users for administrators).
    Any,
    /// An organisation's object: applicants reach only their own; assessors (where the route
    /// admits them) only the organisations of applications assigned to them without a conflict;
    /// other staff reach all.
    Organisation,
    /// An application: as `Organisation`, and assessors only those assigned to them without a
    /// conflict.
    Application,
    /// An assessor's assignment: only that assessor (and administrators).
    Assignment,
    /// A family's stay, claim or journey: its claimant, the unit's clinicians and the board's
    /// cash office reach it; nobody of the grant cycle does.
    Family,
    /// A payment run of instalments: finance's. A cash office, which works the runs of its
    /// board's claims, finds none.
    Run,
}

use Scope::{Any, Application as App, Assignment as Asg, Family as Fam, Organisation as Org, Run};

/// Every operation, reads first and the calls that end an object last.
const ROUTES: &[(&str, &str, Scope)] = &[
    ("GET", "/health", Any),
    ("GET", "/ready", Any),
    ("GET", "/reference/health-boards", Any),
    ("GET", "/me", Any),
    ("GET", "/me/mfa", Any),
    ("GET", "/me/sessions", Any),
    ("GET", "/me/sign-ins", Any),
    ("GET", "/users/{id}/sign-ins", Any),
    ("GET", "/users", Any),
    ("GET", "/organisations", Any),
    ("GET", "/organisations/{id}", Org),
    ("GET", "/organisations/{id}/bank-details", Org),
    ("GET", "/funds", Any),
    ("GET", "/funds/{id}", Any),
    ("GET", "/stays", Any),
    ("GET", "/stays/{id}", Fam),
    ("GET", "/stays/{id}/pre-approvals", Fam),
    ("GET", "/stays/{id}/claims", Fam),
    ("GET", "/claims", Any),
    ("GET", "/claims/{id}", Fam),
    ("GET", "/claims/{id}/documents", Fam),
    ("GET", "/me/bank-details", Any),
    ("GET", "/reports/funds/{id}/family", Any),
    ("GET", "/reports/funds/{id}/family.csv", Any),
    ("GET", "/claimants/{id}/bank-details", Fam),
    ("GET", "/funds/{id}/years", Any),
    ("GET", "/funds/{id}/units", Any),
    ("GET", "/units/{id}", Any),
    ("GET", "/funds/{id}/rates", Any),
    ("GET", "/rounds", Any),
    ("GET", "/rounds/{id}", Any),
    ("GET", "/rounds/{id}/criteria", Any),
    ("GET", "/rounds/{id}/form", Any),
    ("GET", "/rounds/{id}/applications.csv", Any),
    ("GET", "/applications/{id}/information-requests", App),
    ("GET", "/applications", Any),
    ("GET", "/applications/{id}", App),
    ("GET", "/assignments", Any),
    ("GET", "/applications/{id}/assessment", App),
    ("GET", "/rounds/{id}/ranking", Any),
    ("GET", "/rounds/{id}/ranking.csv", Any),
    ("GET", "/awards", Any),
    ("GET", "/awards/{id}", Org),
    ("GET", "/release-requests", Any),
    ("GET", "/payment-runs", Any),
    ("GET", "/payment-runs/{id}", Run),
    ("GET", "/payment-runs/{id}/lines.csv", Run),
    ("GET", "/awards/{id}/returns", Org),
    ("GET", "/awards/{id}/variations", Org),
    ("GET", "/variations", Any),
    ("GET", "/variations/{id}", Org),
    ("GET", "/returns", Any),
    ("GET", "/returns/{id}", Org),
    ("GET", "/awards/{id}/feedback-links", Org),
    ("GET", "/awards/{id}/feedback", Org),
    ("GET", "/feedback/{token}", Any),
    ("GET", "/reports/funds/{id}/summary", Any),
    ("GET", "/reports/funds/{id}/summary.csv", Any),
    ("GET", "/reports/funds/{id}/by-health-board", Any),
    ("GET", "/reports/funds/{id}/by-health-board.csv", Any),
    ("GET", "/reports/funds/{id}/by-target-group", Any),
    ("GET", "/reports/funds/{id}/by-target-group.csv", Any),
    ("GET", "/reports/funds/{id}/reach", Any),
    ("GET", "/reports/funds/{id}/reach.csv", Any),
    ("GET", "/reports/funds/{id}/feedback", Any),
    ("GET", "/reports/funds/{id}/feedback.csv", Any),
    ("GET", "/exports/360giving", Any),
    ("GET", "/exports/360giving.csv", Any),
    ("GET", "/directory", Any),
    ("GET", "/directory/{id}", Any),
    ("GET", "/directory.csv", Any),
    ("GET", "/directory.json", Any),
    ("GET", "/directory-services", Any),
    ("GET", "/directory-services/{id}", Org),
    ("GET", "/organisations/{id}/address", Org),
    ("GET", "/open-data", Any),
    ("GET", "/open-data/funds/{id}/360giving.json", Any),
    ("GET", "/open-data/funds/{id}/360giving.csv", Any),
    ("GET", "/open-data/funds/{id}/summary.json", Any),
    ("GET", "/open-data/funds/{id}/reach.json", Any),
    ("GET", "/open-data/funds/{id}/feedback.json", Any),
    ("GET", "/open-data/funds/{id}/{figures}.csv", Any),
    ("GET", "/audit", Any),
    ("GET", "/outbox", Any),
    ("GET", "/organisations/{id}/documents", Org),
    ("GET", "/applications/{id}/documents", App),
    ("GET", "/returns/{id}/documents", Org),
    ("GET", "/awards/{id}/documents", Org),
    ("GET", "/documents/{id}", Org),
    ("GET", "/documents/{id}/content", Org),
    ("GET", "/rounds/{id}/required-documents", Any),
    ("POST", "/auth/register", Any),
    ("POST", "/auth/login", Any),
    ("POST", "/auth/refresh", Any),
    ("POST", "/auth/password-reset/request", Any),
    ("POST", "/auth/password-reset/confirm", Any),
    ("POST", "/auth/login/mfa", Any),
    ("POST", "/auth/step-up", Any),
    ("POST", "/me/mfa", Any),
    ("POST", "/me/mfa/confirm", Any),
    ("POST", "/me/mfa/disable", Any),
    ("DELETE", "/me/sessions/{id}", Any),
    ("POST", "/users", Any),
    ("PATCH", "/users/{id}", Any),
    ("PATCH", "/organisations/{id}", Org),
    ("PUT", "/organisations/{id}/address", Org),
    ("POST", "/directory-services", Any),
    ("PUT", "/directory-services/{id}", Org),
    ("POST", "/directory-services/{id}/approve", Any),
    ("POST", "/organisations/{id}/verify", Any),
    ("PUT", "/organisations/{id}/bank-details", Org),
    ("POST", "/organisations/{id}/bank-details/verify", Any),
    ("POST", "/funds", Any),
    ("PATCH", "/funds/{id}", Any),
    ("PUT", "/funds/{id}/years/{financial_year}", Any),
    ("POST", "/funds/{id}/units", Any),
    ("PUT", "/units/{id}", Any),
    ("PUT", "/funds/{id}/rates/{financial_year}", Any),
    ("POST", "/auth/register-claimant", Any),
    ("POST", "/stays", Any),
    ("PUT", "/stays/{id}/discharge", Fam),
    ("POST", "/stays/{id}/children", Fam),
    ("POST", "/stays/{id}/pre-approvals", Fam),
    ("POST", "/pre-approvals/{id}/decision", Fam),
    ("POST", "/stays/{id}/claims", Fam),
    ("PUT", "/claims/{id}", Fam),
    ("POST", "/claims/{id}/documents", Fam),
    ("POST", "/claims/{id}/submit", Fam),
    ("POST", "/claims/{id}/certify", Fam),
    ("POST", "/claims/{id}/approve", Fam),
    ("POST", "/claims/{id}/reject", Fam),
    ("POST", "/claims/{id}/refer", Fam),
    ("PUT", "/me/bank-details", Any),
    ("POST", "/claimants/{id}/bank-details/verify", Fam),
    ("POST", "/funds/{id}/rounds", Any),
    ("PATCH", "/rounds/{id}", Any),
    ("PUT", "/rounds/{id}/form", Any),
    ("POST", "/rounds/{id}/form/copy", Any),
    ("POST", "/rounds/{id}/criteria", Any),
    ("PATCH", "/criteria/{id}", Any),
    ("POST", "/rounds/{id}/applications", Any),
    ("PATCH", "/applications/{id}", App),
    ("PUT", "/applications/{id}/answers", App),
    ("POST", "/applications/{id}/information-requests", App),
    ("POST", "/information-requests/{id}/answer", App),
    ("POST", "/applications/{id}/submit", App),
    ("POST", "/applications/{id}/assignments", Any),
    ("POST", "/rounds/{id}/assignments", Any),
    ("POST", "/assignments/{id}/conflict-declaration", Asg),
    ("PUT", "/assignments/{id}/scores", Asg),
    ("POST", "/assignments/{id}/submit", Asg),
    ("POST", "/applications/{id}/moderation", Any),
    ("POST", "/applications/{id}/decision", Any),
    ("POST", "/awards/{id}/accept", Org),
    ("POST", "/awards/{id}/decline", Org),
    (
        "POST",
        "/awards/{id}/instalments/{financial_year}/release",
        Any,
    ),
    (
        "POST",
        "/awards/{id}/instalments/{financial_year}/authorise",
        Any,
    ),
    ("POST", "/payment-runs", Any),
    ("POST", "/payment-runs/{id}/close", Run),
    ("POST", "/payment-runs/{id}/lines/{line_id}/paid", Run),
    ("POST", "/payment-runs/{id}/lines/{line_id}/failed", Run),
    ("POST", "/payment-runs/{id}/results", Run),
    ("PATCH", "/returns/{id}", Org),
    ("POST", "/returns/{id}/submit", Org),
    ("POST", "/returns/{id}/review", Any),
    ("POST", "/awards/{id}/feedback-links", Org),
    ("POST", "/awards/{id}/variations", Org),
    ("POST", "/feedback/{token}", Any),
    ("PUT", "/rounds/{id}/required-documents", Any),
    ("POST", "/organisations/{id}/documents", Org),
    ("POST", "/applications/{id}/documents", App),
    ("POST", "/returns/{id}/documents", Org),
    ("POST", "/awards/{id}/documents", Org),
    ("DELETE", "/documents/{id}", Org),
    ("POST", "/applications/{id}/withdraw", App),
    ("DELETE", "/feedback-links/{id}", Org),
    ("DELETE", "/criteria/{id}", Any),
    ("DELETE", "/users/{id}", Any),
    ("POST", "/variations/{id}/approve", Any),
    ("POST", "/variations/{id}/refuse", Any),
    ("POST", "/variations/{id}/withdraw", Org),
    ("POST", "/awards/{id}/terminate", Any),
    ("DELETE", "/users/{id}/sessions", Any),
    // Last: each caller ends every session of their own, this one too.
    ("DELETE", "/me/sessions", Any),
];

#[derive(Clone, Copy, Debug, PartialEq)]
enum Caller {
    Nobody,
    ApplicantA,
    ApplicantB,
    AssessorAssigned,
    AssessorUnassigned,
    AssessorConflicted,
    Administrator,
    Official,
    Finance,
    Claimant,
    Clinician,
    CashOffice,
}

impl Caller {
    const ALL: [Caller; 12] = [
        Caller::Nobody,
        Caller::ApplicantA,
        Caller::ApplicantB,
        Caller::AssessorAssigned,
        Caller::AssessorUnassigned,
        Caller::AssessorConflicted,
        Caller::Official,
        Caller::Finance,
        Caller::Claimant,
        Caller::Clinician,
        Caller::CashOffice,
        // Last, so that what it changes comes after everyone else has tried.
        Caller::Administrator,
    ];

    fn role(self) -> Option<Role> {
        match self {
            Caller::Nobody => None,
            Caller::ApplicantA | Caller::ApplicantB => Some(Role::Applicant),
            Caller::AssessorAssigned | Caller::AssessorUnassigned | Caller::AssessorConflicted => {
                Some(Role::Assessor)
            }
            Caller::Administrator => Some(Role::Administrator),
            Caller::Official => Some(Role::Official),
            Caller::Finance => Some(Role::Finance),
            Caller::Claimant => Some(Role::Claimant),
            Caller::Clinician => Some(Role::Clinician),
            Caller::CashOffice => Some(Role::CashOffice),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Owner {
    A,
    B,
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Expect {
    /// A public route: never refused for who is calling.
    Public,
    /// Past access control: the answer depends on the object's state, not on the caller.
    Allowed,
    Status(u16),
}

/// The documented answer for `caller` on `route` with an object of `owner`.
fn expected(access: Access, scope: Scope, caller: Caller, owner: Owner) -> Expect {
    let roles = match access {
        Access::Public => return Expect::Public,
        Access::Signed(action) => action.roles(),
    };
    let Some(role) = caller.role() else {
        return Expect::Status(401);
    };
    if !roles.contains(&role) {
        return Expect::Status(403);
    }
    let own = matches!(
        (caller, owner),
        (Caller::ApplicantA, Owner::A) | (Caller::ApplicantB, Owner::B)
    );
    let family = matches!(
        caller,
        Caller::Claimant | Caller::Clinician | Caller::CashOffice
    );
    let hidden = match (scope, caller) {
        (Any, _) => false,
        // Grant objects are nowhere to be found for the family fund's people, and theirs for
        // the grant cycle's.
        (Fam, _) => !family,
        (_, _) if family => true,
        (_, Caller::ApplicantA | Caller::ApplicantB) => !own,
        (Org | App | Asg, Caller::AssessorUnassigned | Caller::AssessorConflicted) => true,
        _ => false,
    };
    if hidden {
        Expect::Status(404)
    } else {
        Expect::Allowed
    }
}

/// The objects of one organisation, and the shared ones, that the routes name.
#[derive(Clone, Debug)]
struct Objects {
    organisation: i64,
    application: i64,
    assignment: i64,
    award: i64,
    returned: i64,
    link: i64,
    token: String,
    user: i64,
    fund: i64,
    round: i64,
    criterion: i64,
    document: i64,
    listing: i64,
    variation: i64,
    /// The payment run that paid the award's first instalment, and its line.
    run: i64,
    line: i64,
    /// A unit of a family-expenses fund of the owner's own.
    unit: i64,
    /// A stay at that unit, a journey asked for it and a submitted claim.
    stay: i64,
    pre_approval: i64,
    claim: i64,
    /// The stay's claimant.
    claimant: i64,
    /// A question the fund asked about the application.
    information: i64,
}

fn concrete(path: &str, o: &Objects) -> String {
    let id = match path.split('/').nth(1).unwrap_or_default() {
        "users" => o.user,
        "organisations" => o.organisation,
        "funds" | "reports" | "open-data" => o.fund,
        "directory" | "directory-services" => o.listing,
        "rounds" => o.round,
        "criteria" => o.criterion,
        "applications" => o.application,
        "assignments" => o.assignment,
        "awards" => o.award,
        "returns" => o.returned,
        "feedback-links" => o.link,
        "documents" => o.document,
        "variations" => o.variation,
        "payment-runs" => o.run,
        "units" => o.unit,
        "stays" => o.stay,
        "pre-approvals" => o.pre_approval,
        "claims" => o.claim,
        "claimants" => o.claimant,
        "information-requests" => o.information,
        _ => 0,
    };
    let mut path = path
        .replace("{id}", &id.to_string())
        .replace("{financial_year}", "2022-23")
        .replace("{line_id}", &o.line.to_string())
        .replace("{token}", &o.token);
    if path.starts_with("/exports/360giving") {
        path.push_str(&format!("?fund_id={}", o.fund));
    }
    format!("/api/v1{path}")
}

/// A body the route accepts in shape, so that the answer is about access, not validation.
fn body(method: &str, path: &str, n: usize, spare_assessor: i64, criterion: i64) -> Option<Value> {
    let value = match (method, path) {
        ("GET" | "DELETE", _) => return None,
        ("POST", "/auth/register") => registration(
            &format!("SC{:06}", 300_000 + n),
            &format!("matrix{n}@example.org"),
        ),
        ("POST", "/auth/login") => {
            json!({"email": format!("nobody{n}@example.org"), "password": "not the password at all"})
        }
        ("POST", "/auth/refresh") => json!({"refresh_token": "not-a-refresh-token"}),
        ("POST", "/auth/login/mfa") => json!({"challenge": "not-a-challenge", "code": "123456"}),
        // Neither a code nor a recovery code: 422, past access control (a wrong code is a 401 of
        // its own, which the matrix would read as a refusal of the caller).
        ("POST", "/auth/step-up" | "/me/mfa/disable") => json!({}),
        ("POST", "/me/mfa/confirm") => json!({"code": "000000"}),
        ("POST", "/auth/password-reset/request") => json!({"email": "nobody@example.org"}),
        ("POST", "/auth/password-reset/confirm") => {
            json!({"token": "not-a-reset-token", "password": "a long new password"})
        }
        ("POST", "/users") => {
            json!({"email": format!("official{n}@gov.example.org"), "name": "New Official", "role": "official", "password": "a long enough password"})
        }
        ("PATCH", "/users/{id}") => json!({"name": "Renamed"}),
        ("PATCH", "/organisations/{id}") => json!({"website": "https://example.org/new"}),
        ("PUT", "/organisations/{id}/bank-details") => {
            json!({"account_name": "Matrix", "sort_code": "80-22-60", "account_number": "10203040"})
        }
        ("PUT", "/organisations/{id}/address") => json!({"town": "Kirkcaldy"}),
        ("POST" | "PUT", "/directory-services" | "/directory-services/{id}") => listing_body(1),
        ("POST", "/directory-services/{id}/approve") => {
            json!({"updated_at": "2023-05-02T10:00:00Z"})
        }
        ("POST", "/funds") => fund_body(&format!("MATRIX{n}")),
        ("PATCH", "/funds/{id}") => json!({"reach_target": 11000}),
        ("PUT", "/funds/{id}/years/{financial_year}") => {
            json!({"limit": "1000000.00", "approved": true})
        }
        ("POST", "/funds/{id}/units") | ("PUT", "/units/{id}") => {
            json!({"name": format!("Matrix unit {n}"), "health_board": "lothian", "wards": ["Ward 1"], "provides_meals": false})
        }
        ("PUT", "/funds/{id}/rates/{financial_year}") => json!({
            "mileage_rate": "0.15", "food_rate": "8.50", "family_cap": "500.00",
            "claim_window_months": 3, "flights_per_week": 2
        }),
        ("POST", "/funds/{id}/rounds") => {
            let mut body = json!({"name": format!("Matrix round {n}"), "component": "core"});
            body["opens_at"] = json!("2031-01-01T00:00:00Z");
            body["closes_at"] = json!("2031-02-01T00:00:00Z");
            body["financial_years"] = json!(["2022-23"]);
            body["min_request"] = json!("1000.00");
            body["max_request"] = json!("50000.00");
            body
        }
        ("PATCH", "/rounds/{id}") => json!({"guidance": "Read the criteria first."}),
        ("POST", "/rounds/{id}/criteria") => {
            json!({"name": "Reach", "weight": "1", "max_score": 5})
        }
        ("PATCH", "/criteria/{id}") => json!({"name": "Merit"}),
        ("POST", "/rounds/{id}/applications") => application_body(),
        ("PATCH", "/applications/{id}") => json!({"title": "A new title"}),
        ("PUT", "/applications/{id}/answers") => json!({"answers": {}}),
        ("POST", "/applications/{id}/information-requests") => json!({"question": "Why now?"}),
        ("POST", "/information-requests/{id}/answer") => json!({"answer": "Because."}),
        ("PUT", "/rounds/{id}/form") => json!({"sections": []}),
        ("POST", "/rounds/{id}/form/copy") => json!({"from_round_id": 1}),
        ("POST", "/applications/{id}/assignments") => json!({"assessor_id": spare_assessor}),
        ("POST", "/rounds/{id}/assignments") => {
            json!({"assessors_per_application": 1, "assessor_ids": [spare_assessor]})
        }
        ("POST", "/assignments/{id}/conflict-declaration") => json!({"has_conflict": false}),
        ("PUT", "/assignments/{id}/scores") => {
            json!({"scores": [{"criterion_id": criterion, "score": 6}]})
        }
        ("POST", "/applications/{id}/moderation") => {
            json!({"score": "80.00", "reason": "The only service on the islands."})
        }
        ("POST", "/applications/{id}/decision") => {
            json!({"decision": "decline", "feedback": "Not this time."})
        }
        ("PATCH", "/returns/{id}") => json!({"sessions": 3}),
        ("POST", "/returns/{id}/review") => json!({"outcome": "accepted"}),
        ("POST", "/awards/{id}/feedback-links") => json!({"label": format!("Matrix {n}")}),
        ("POST", "/feedback/{token}") => json!({
            "respondent": "prefer_not_to_say",
            "ratings": {"listened_to": 4, "wellbeing": 4, "relationship_with_baby": 4, "recommend": 4},
            "consent_to_quote": false
        }),
        ("POST", "/awards/{id}/terminate") => json!({"reason": "The service has closed."}),
        ("POST", "/awards/{id}/variations") => json!({
            "kind": "conditions",
            "conditions": format!("Report every six months ({n})."),
            "reason": "Quarterly reports take a day each."
        }),
        ("POST", "/variations/{id}/approve" | "/variations/{id}/refuse") => {
            json!({"reason": "Agreed with the grant holder."})
        }
        ("PUT", "/rounds/{id}/required-documents") => json!({"kinds": []}),
        ("POST", "/payment-runs/{id}/lines/{line_id}/paid") => json!({"paid_on": "2021-03-01"}),
        ("POST", "/payment-runs/{id}/lines/{line_id}/failed") => {
            json!({"reason": "Account closed"})
        }
        _ => json!({}),
    };
    Some(value)
}

/// The kind of document a matrix upload to the route sends, for the routes that take uploads.
fn upload_kind(method: &str, path: &str) -> Option<&'static str> {
    match (method, path) {
        ("POST", "/organisations/{id}/documents") => Some("safeguarding_policy"),
        ("POST", "/applications/{id}/documents") => Some("budget"),
        ("POST", "/returns/{id}/documents") => Some("evidence"),
        ("POST", "/awards/{id}/documents") => Some("signed_agreement"),
        ("POST", "/claims/{id}/documents") => Some("receipt"),
        _ => None,
    }
}

/// A directory listing of a service paid for by `award`.
fn listing_body(award: i64) -> Value {
    json!({
        "name": "Peer support for new parents",
        "offer": "Weekly groups and one-to-one befriending.",
        "audience": "Mothers, birthing parents and partners.",
        "referral": "Self-refer by phone, or ask your health visitor.",
        "phone": "01592 123456",
        "email": "hello@example.org",
        "website": "https://example.org/groups",
        "towns": ["Kirkcaldy"],
        "health_boards": ["fife"],
        "support_types": ["peer_support"],
        "target_groups": ["mothers_birthing_parents"],
        "languages": ["English"],
        "running": true,
        "award_ids": [award]
    })
}

/// An organisation with an accepted award (first instalment paid) and a variation of it asked,
/// its first return, a feedback link and a second, submitted application.
struct Organisation {
    objects: Objects,
    applicant: String,
}

async fn organisation(app: &TestApp, panel: &Panel, n: usize) -> Organisation {
    let Award {
        id: award,
        holder: token,
    } = panel.accepted(app, n).await;
    let returns = app
        .as_(&token)
        .get(&format!("/api/v1/awards/{award}/returns"))
        .send()
        .await;
    let returned = returns.json["items"][0]["id"].as_i64().unwrap();
    let link = app
        .as_(&token)
        .post(&format!("/api/v1/awards/{award}/feedback-links"))
        .json(json!({"label": "Tuesday group"}))
        .send()
        .await;
    assert_eq!(link.status.as_u16(), 201, "{}", link.text);
    let me = app.as_(&token).get("/api/v1/me").send().await;
    let organisation = me.json["user"]["organisation_id"].as_i64().unwrap();
    let application = app.draft(&token, panel.round, application_body()).await;
    let submit = app
        .as_(&token)
        .post(&format!("/api/v1/applications/{application}/submit"))
        .json(json!({}))
        .send()
        .await;
    assert_eq!(submit.status.as_u16(), 200, "{}", submit.text);
    let information = app
        .as_(&panel.admin)
        .post(&format!(
            "/api/v1/applications/{application}/information-requests"
        ))
        .json(json!({"question": "Who runs the evening group?"}))
        .send()
        .await;
    assert_eq!(information.status.as_u16(), 201, "{}", information.text);
    let user = app
        .create_user(
            Role::Applicant,
            &format!("colleague{n}@example.org"),
            Some(organisation),
        )
        .await;
    let document = app
        .as_(&token)
        .post(&format!("/api/v1/organisations/{organisation}/documents"))
        .multipart(
            &[("kind", "constitution")],
            Some(("constitution.pdf", b"%PDF-1.4 constitution")),
        )
        .send()
        .await;
    assert_eq!(document.status.as_u16(), 201, "{}", document.text);
    let listing = app
        .as_(&token)
        .post("/api/v1/directory-services")
        .json(listing_body(award))
        .send()
        .await;
    assert_eq!(listing.status.as_u16(), 201, "{}", listing.text);
    let variation = app
        .as_(&token)
        .post(&format!("/api/v1/awards/{award}/variations"))
        .json(json!({"kind": "reduce", "amounts": {"2022-23": "39000.00"}, "reason": "A venue has closed."}))
        .send()
        .await;
    assert_eq!(variation.status.as_u16(), 201, "{}", variation.text);
    let finance = app.staff(Role::Finance).await;
    let runs = app.as_(&finance).get("/api/v1/payment-runs").send().await;
    let run = runs.json[0]["id"].as_i64().unwrap();
    let paid = app
        .as_(&finance)
        .get(&format!("/api/v1/payment-runs/{run}"))
        .send()
        .await;
    let line = paid.json["lines"][0]["id"].as_i64().unwrap();
    let mut family = fund_body(&format!("FAMILY{n}"));
    family["kind"] = json!("family_expenses");
    let family = app
        .as_(&panel.admin)
        .post("/api/v1/funds")
        .json(family)
        .send()
        .await;
    let unit = app
        .as_(&panel.admin)
        .post(&format!("/api/v1/funds/{}/units", family.json["id"]))
        .json(json!({"name": "Matrix unit", "health_board": "lothian", "wards": ["Ward 1"], "provides_meals": false}))
        .send()
        .await;
    assert_eq!(unit.status.as_u16(), 201, "{}", unit.text);
    let unit = unit.json["id"].as_i64().unwrap();
    let family = family.json["id"].as_i64().unwrap();
    let rates = app
        .as_(&panel.admin)
        .put(&format!("/api/v1/funds/{family}/rates/2020-21"))
        .json(json!({"mileage_rate": "0.14", "food_rate": "8.50", "family_cap": "500.00", "claim_window_months": 3, "flights_per_week": 2}))
        .send()
        .await;
    assert_eq!(rates.status.as_u16(), 200, "{}", rates.text);
    let registered = app
        .anonymous()
        .post("/api/v1/auth/register-claimant")
        .json(json!({"name": "Calum MacLeod", "email": claimant_email(n), "password": PASSWORD}))
        .send()
        .await;
    assert_eq!(registered.status.as_u16(), 201, "{}", registered.text);
    let claimant = app.token(&claimant_email(n)).await;
    let stay = app
        .as_(&claimant)
        .post("/api/v1/stays")
        .json(json!({"unit_id": unit, "woman": {"name": "Morag MacLeod", "date_of_birth": "1994-02-11"},
            "ward": "Ward 1", "consultant": "Dr A. Reid", "admitted_on": "2021-02-01", "home_board": "highland"}))
        .send()
        .await;
    assert_eq!(stay.status.as_u16(), 201, "{}", stay.text);
    let visitor = stay.json["visitors"][0]["id"].as_i64().unwrap();
    let stay = stay.json["id"].as_i64().unwrap();
    let journey = app
        .as_(&claimant)
        .post(&format!("/api/v1/stays/{stay}/pre-approvals"))
        .json(json!({"visitor_id": visitor, "kind": "taxi", "journey_on": "2021-03-05", "details": "No bus on Sundays"}))
        .send()
        .await;
    assert_eq!(journey.status.as_u16(), 201, "{}", journey.text);
    let claim = app
        .as_(&claimant)
        .post(&format!("/api/v1/stays/{stay}/claims"))
        .json(json!({"lines": [{"visitor_id": visitor, "spent_on": "2021-02-10", "kind": "car", "miles": 40}]}))
        .send()
        .await;
    assert_eq!(claim.status.as_u16(), 201, "{}", claim.text);
    let claim = claim.json["id"].as_i64().unwrap();
    let submitted = app
        .as_(&claimant)
        .post(&format!("/api/v1/claims/{claim}/submit"))
        .send()
        .await;
    assert_eq!(submitted.status.as_u16(), 200, "{}", submitted.text);
    let objects = Objects {
        information: information.json["id"].as_i64().unwrap(),
        claimant: registered.json["id"].as_i64().unwrap(),
        unit,
        stay,
        pre_approval: journey.json["id"].as_i64().unwrap(),
        claim,
        run,
        line,
        variation: variation.json["id"].as_i64().unwrap(),
        document: document.json["id"].as_i64().unwrap(),
        organisation,
        application,
        assignment: 0,
        award,
        returned,
        link: link.json["id"].as_i64().unwrap(),
        token: link.json["token"].as_str().unwrap().to_owned(),
        user,
        fund: panel.fund,
        round: panel.round,
        criterion: panel.criterion,
        listing: listing.json["id"].as_i64().unwrap(),
    };
    Organisation {
        objects,
        applicant: token,
    }
}

fn claimant_email(n: usize) -> String {
    format!("claimant{n}@example.com")
}

/// An assessor, assigned to an application when one is given (else `assignment` is 0).
struct Assigned {
    id: i64,
    token: String,
    assignment: i64,
}

async fn assessor(app: &TestApp, admin: &str, email: &str, application: Option<i64>) -> Assigned {
    let id = app.create_user(Role::Assessor, email, None).await;
    let token = app.token(email).await;
    let mut assignment = 0;
    if let Some(application) = application {
        let reply = app
            .as_(admin)
            .post(&format!("/api/v1/applications/{application}/assignments"))
            .json(json!({"assessor_id": id}))
            .send()
            .await;
        assert_eq!(reply.status.as_u16(), 201, "{}", reply.text);
        assignment = reply.json["id"].as_i64().unwrap();
    }
    Assigned {
        id,
        token,
        assignment,
    }
}

fn contract_operations() -> BTreeSet<(String, String)> {
    let document = grantfund::openapi_document();
    let mut operations = BTreeSet::new();
    for (path, item) in &document.paths.paths {
        let path = path.strip_prefix("/api/v1").unwrap_or(path).to_owned();
        for (method, present) in [
            ("GET", item.get.is_some()),
            ("POST", item.post.is_some()),
            ("PUT", item.put.is_some()),
            ("PATCH", item.patch.is_some()),
            ("DELETE", item.delete.is_some()),
        ] {
            if present {
                operations.insert((method.to_owned(), path.clone()));
            }
        }
    }
    operations
}

#[test]
fn every_route_of_the_contract_has_an_access_entry_and_a_matrix_row() {
    let contract = contract_operations();
    let policy: BTreeSet<(String, String)> = POLICY
        .iter()
        .map(|(m, p, _)| ((*m).to_owned(), (*p).to_owned()))
        .collect();
    let matrix: BTreeSet<(String, String)> = ROUTES
        .iter()
        .map(|(m, p, _)| ((*m).to_owned(), (*p).to_owned()))
        .collect();
    assert_eq!(
        ROUTES.len(),
        matrix.len(),
        "a route is listed twice in the matrix"
    );
    assert_eq!(
        contract.difference(&policy).collect::<Vec<_>>(),
        Vec::<&(String, String)>::new(),
        "routes without an access entry"
    );
    assert_eq!(
        policy.difference(&contract).collect::<Vec<_>>(),
        Vec::<&(String, String)>::new(),
        "access entries for no route"
    );
    assert_eq!(
        contract.difference(&matrix).collect::<Vec<_>>(),
        Vec::<&(String, String)>::new(),
        "routes missing from the matrix"
    );
    assert_eq!(
        matrix.difference(&contract).collect::<Vec<_>>(),
        Vec::<&(String, String)>::new(),
        "matrix rows for no route"
    );
}

db_test! {
    async fn every_route_answers_every_caller_as_documented(backend: Backend) {
        let Some(app) = TestApp::spawn_with(backend, |s| {
            s.access_token_ttl = Duration::from_secs(20 * 365 * 86_400);
            s.auth_attempts_per_client_per_minute = 10_000;
            s.auth_attempts_per_account_per_minute = 10_000;
        }).await else { return };
        set_day(&app, "2021-03-01");
        let panel = Panel::with_frequency(&app, 1, "annual").await;
        let Organisation { objects: mut a, applicant: applicant_a } = organisation(&app, &panel, 1).await;
        let Organisation { objects: b, applicant: applicant_b } = organisation(&app, &panel, 2).await;
        let Assigned { token: assigned, assignment, .. } = assessor(&app, &panel.admin, "assigned@panel.example.org", Some(a.application)).await;
        // Assessors see an application once they have declared they have no conflict.
        let declared = app.as_(&assigned).post(&format!("/api/v1/assignments/{assignment}/conflict-declaration")).json(json!({"has_conflict": false})).send().await;
        assert_eq!(declared.status.as_u16(), 200, "{}", declared.text);
        let Assigned { token: conflicted, assignment: theirs, .. } = assessor(&app, &panel.admin, "conflicted@panel.example.org", Some(a.application)).await;
        let declared = app.as_(&conflicted).post(&format!("/api/v1/assignments/{theirs}/conflict-declaration")).json(json!({"has_conflict": true, "reason": "I am a trustee."})).send().await;
        assert_eq!(declared.status.as_u16(), 200, "{}", declared.text);
        let Assigned { token: unassigned, .. } = assessor(&app, &panel.admin, "unassigned@panel.example.org", None).await;
        let Assigned { id: spare, .. } = assessor(&app, &panel.admin, "spare@panel.example.org", None).await;
        a.assignment = assignment;
        let official = app.staff(Role::Official).await;
        let finance = app.staff(Role::Finance).await;
        let claimant = app.token(&claimant_email(1)).await;
        let clinician = app.staff_at(Role::Clinician, grantfund::users::service::Place { unit_id: Some(a.unit), ..Default::default() }).await;
        let cash_office = app.staff_at(Role::CashOffice, grantfund::users::service::Place { health_board: Some(grantfund::domain::vocabulary::HealthBoard::Lothian), ..Default::default() }).await;
        let token = |caller: Caller| -> Option<String> {
            match caller {
                Caller::Nobody => None,
                Caller::ApplicantA => Some(applicant_a.clone()),
                Caller::ApplicantB => Some(applicant_b.clone()),
                Caller::AssessorAssigned => Some(assigned.clone()),
                Caller::AssessorUnassigned => Some(unassigned.clone()),
                Caller::AssessorConflicted => Some(conflicted.clone()),
                Caller::Administrator => Some(panel.admin.clone()),
                Caller::Official => Some(official.clone()),
                Caller::Finance => Some(finance.clone()),
                Caller::Claimant => Some(claimant.clone()),
                Caller::Clinician => Some(clinician.clone()),
                Caller::CashOffice => Some(cash_office.clone()),
            }
        };

        let mut wrong = Vec::new();
        let mut calls = 0;
        for (method, route, scope) in ROUTES {
            let access = grantfund::access::access(method, route).unwrap_or_else(|| panic!("{method} {route} has no access entry"));
            // Applicants also try the other organisation's object, before anyone changes it.
            let mut attempts: Vec<(Caller, Owner)> = Vec::new();
            if *scope != Any {
                attempts.extend([(Caller::ApplicantA, Owner::B), (Caller::ApplicantB, Owner::B)]);
            }
            attempts.extend(Caller::ALL.iter().map(|c| (*c, Owner::A)));
            for (caller, owner) in attempts {
                calls += 1;
                let objects = if owner == Owner::A { &a } else { &b };
                let path = concrete(route, objects);
                let body = body(method, route, calls, spare, panel.criterion);
                let token = token(caller);
                let mut request = match token.as_deref() {
                    Some(token) => app.as_(token),
                    None => app.anonymous(),
                }
                .request(method, &path);
                if let Some(kind) = upload_kind(method, route) {
                    request = request.multipart(&[("kind", kind)], Some(("matrix.pdf", b"%PDF-1.4 matrix")));
                } else if let Some(body) = &body {
                    request = request.json(body);
                }
                let reply = request.send().await;
                let status = reply.status.as_u16();
                let want = expected(access, *scope, caller, owner);
                let fine = match want {
                    Expect::Public => status != 403 && status < 500,
                    Expect::Allowed => !matches!(status, 401 | 403 | 404) && status < 500,
                    Expect::Status(s) => status == s,
                };
                if !fine {
                    wrong.push(format!("{method} {route} as {caller:?} on {owner:?}'s: {status}, documented {want:?}: {}", reply.text.chars().take(160).collect::<String>()));
                }
                if status >= 400 {
                    assert_eq!(reply.header("content-type").as_deref(), Some("application/problem+json"), "{method} {path}: {}", reply.text);
                }
            }
        }
        assert!(wrong.is_empty(), "{} of {calls} answers differ from the access table:\n{}", wrong.len(), wrong.join("\n"));
        assert!(calls > ROUTES.len() * 8);
    }
}

/// A bad version of a valid body, and what was done to it.
struct Mutation {
    what: String,
    body: Vec<u8>,
}

const SCRIPT: &str = "<script>alert(1)</script>";
const SQL: &str = "'; DROP TABLE awards; --";

fn is_money(s: &str) -> bool {
    s.split_once('.').is_some_and(|(p, d)| {
        !p.is_empty()
            && p.bytes().all(|b| b.is_ascii_digit())
            && d.len() == 2
            && d.bytes().all(|b| b.is_ascii_digit())
    })
}

fn is_date(s: &str) -> bool {
    s.len() >= 10
        && s.as_bytes()[4] == b'-'
        && s.as_bytes()[7] == b'-'
        && s[..4].bytes().all(|b| b.is_ascii_digit())
}

fn is_year(s: &str) -> bool {
    s.len() == 7 && s.as_bytes()[4] == b'-' && s[..4].bytes().all(|b| b.is_ascii_digit())
}

fn is_word(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_lowercase() || b == b'_')
}

/// Replaces the value at `path` (keys from the root) in `body`.
fn with(body: &Value, path: &[String], value: Value) -> Value {
    let mut out = body.clone();
    let mut slot = &mut out;
    for key in path {
        slot = match slot {
            Value::Object(map) => map.get_mut(key).unwrap(),
            Value::Array(items) => &mut items[key.parse::<usize>().unwrap()],
            _ => unreachable!(),
        };
    }
    *slot = value;
    out
}

fn leaves(value: &Value, path: Vec<String>, out: &mut Vec<(Vec<String>, Value)>) {
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                let mut p = path.clone();
                p.push(k.clone());
                leaves(v, p, out);
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                let mut p = path.clone();
                p.push(i.to_string());
                leaves(v, p, out);
            }
        }
        leaf => out.push((path, leaf.clone())),
    }
}

/// Every hostile variant of `valid`: broken JSON and encodings, wrong types, unknown and
/// missing fields, and per kind of value the inputs that must be refused.
fn corpus(valid: &Value, required: &[String]) -> Vec<Mutation> {
    let json = |what: String, v: Value| Mutation {
        what,
        body: v.to_string().into_bytes(),
    };
    let mut out = vec![
        Mutation {
            what: "truncated JSON".into(),
            body: b"{\"name\": ".to_vec(),
        },
        Mutation {
            what: "invalid UTF-8".into(),
            body: b"{\"name\": \"\xff\xfe\"}".to_vec(),
        },
        Mutation {
            what: "a list instead of an object".into(),
            body: b"[]".to_vec(),
        },
        Mutation {
            what: "null".into(),
            body: b"null".to_vec(),
        },
        Mutation {
            what: "trailing garbage".into(),
            body: format!("{valid} x").into_bytes(),
        },
    ];
    if let Value::Object(map) = valid {
        let mut extra = map.clone();
        extra.insert("unexpected_field".into(), json!(SCRIPT));
        out.push(json("an unknown field".into(), Value::Object(extra)));
        for key in required {
            let mut less = map.clone();
            less.remove(key);
            out.push(json(format!("{key} missing"), Value::Object(less)));
        }
    }
    let mut found = Vec::new();
    leaves(valid, Vec::new(), &mut found);
    for (path, leaf) in found {
        let at = path.join(".");
        let bad: Vec<(&str, Value)> = match &leaf {
            Value::String(s) if is_money(s) => vec![
                ("3 decimals", json!("1.234")),
                ("negative", json!("-5.00")),
                ("10^30", json!(format!("1{}.00", "0".repeat(30)))),
                ("a number", json!(12.5)),
                ("SQL", json!(SQL)),
                ("HTML", json!(SCRIPT)),
            ],
            Value::String(s) if is_year(s) => {
                vec![("2021-23", json!("2021-23")), ("HTML", json!(SCRIPT))]
            }
            Value::String(s) if is_date(s) => {
                vec![("2021-02-30", json!("2021-02-30")), ("SQL", json!(SQL))]
            }
            Value::String(s) if s.contains('@') => vec![
                ("not an email", json!("not-an-email")),
                ("HTML", json!(format!("{SCRIPT}@example.org"))),
            ],
            Value::String(s) if is_word(s) => vec![
                ("an unknown value", json!("not_a_value")),
                ("HTML", json!(SCRIPT)),
                ("SQL", json!(SQL)),
            ],
            Value::String(_) => {
                let mut v = vec![
                    ("control characters", json!("bell \u{7} and nul \u{0}")),
                    ("1 MB", json!("x".repeat(1_048_576))),
                    ("a number", json!(42)),
                ];
                if path.len() == 1 && required.contains(&path[0]) {
                    v.push(("empty", json!("")));
                }
                v
            }
            Value::Number(_) => vec![
                ("a string", json!("12")),
                ("10^30", json!(1e30)),
                ("a fraction", json!(1.5)),
            ],
            Value::Bool(_) => vec![("a string", json!("yes"))],
            Value::Null => vec![],
            Value::Array(_) | Value::Object(_) => vec![],
        };
        for (what, value) in bad {
            out.push(json(format!("{at}: {what}"), with(valid, &path, value)));
        }
    }
    // Money and year keys of maps (amounts by financial year).
    if let Some(Value::Object(amounts)) = valid.get("amounts") {
        let mut map = amounts.clone();
        if let Some((k, v)) = map.iter().next().map(|(k, v)| (k.clone(), v.clone())) {
            map.remove(&k);
            map.insert("2021-23".into(), v);
            out.push(json(
                "amounts: year 2021-23".into(),
                with(valid, &["amounts".to_owned()], Value::Object(map)),
            ));
        }
    }
    out
}

/// The required properties of an operation's request body, from the contract; `None` when the
/// operation takes no body.
fn required_fields(
    document: &utoipa::openapi::OpenApi,
    method: &str,
    path: &str,
) -> Option<Vec<String>> {
    let value = serde_json::to_value(document).unwrap();
    let operation = &value["paths"][format!("/api/v1{path}")][method.to_lowercase()];
    if operation["requestBody"].is_null() {
        return None;
    }
    let schema = &operation["requestBody"]["content"]["application/json"]["schema"];
    let schema = match schema["$ref"].as_str() {
        Some(r) => &value["components"]["schemas"][r.trim_start_matches("#/components/schemas/")],
        None => schema,
    };
    Some(
        schema["required"]
            .as_array()
            .map(|r| {
                r.iter()
                    .filter_map(|f| f.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default(),
    )
}

/// Rows in every table, to show that refused input stored nothing.
async fn row_counts(app: &TestApp) -> Vec<(String, i64)> {
    #[derive(diesel::QueryableByName)]
    struct Count {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    const TABLES: &[&str] = &[
        "organisations",
        "organisation_health_boards",
        "users",
        "refresh_tokens",
        "password_resets",
        "outbox",
        "audit_log",
        "funds",
        "fund_years",
        "rounds",
        "round_years",
        "criteria",
        "applications",
        "application_requests",
        "application_choices",
        "application_reach",
        "assignments",
        "scores",
        "moderations",
        "decisions",
        "awards",
        "instalments",
        "idempotency_keys",
        "returns",
        "return_contents",
        "return_reminders",
        "feedback_links",
        "feedback_responses",
        "report_versions",
        "organisation_addresses",
        "directory_services",
        "directory_service_items",
        "directory_service_awards",
        "variations",
        "variation_amounts",
    ];
    app.state
        .db
        .run(|conn| {
            use diesel::RunQueryDsl;
            let mut counts = Vec::new();
            for table in TABLES {
                let row: Count = diesel::sql_query(format!("SELECT COUNT(*) AS n FROM {table}"))
                    .get_result(conn)?;
                counts.push(((*table).to_owned(), row.n));
            }
            Ok::<_, grantfund::error::ApiError>(counts)
        })
        .await
        .unwrap()
}

db_test! {
    async fn hostile_bodies_get_a_problem_and_change_nothing(backend: Backend) {
        let Some(app) = TestApp::spawn_with(backend, |s| {
            s.access_token_ttl = Duration::from_secs(20 * 365 * 86_400);
            s.auth_attempts_per_client_per_minute = 100_000;
            s.auth_attempts_per_account_per_minute = 100_000;
            s.feedback_responses_per_link_per_minute = 100_000;
        }).await else { return };
        set_day(&app, "2021-03-01");
        let panel = Panel::with_frequency(&app, 1, "annual").await;
        let Organisation { objects: mut a, applicant } = organisation(&app, &panel, 1).await;
        let Assigned { token: assessor_token, assignment, .. } = assessor(&app, &panel.admin, "assigned@panel.example.org", Some(a.application)).await;
        let Assigned { id: spare, .. } = assessor(&app, &panel.admin, "spare@panel.example.org", None).await;
        a.assignment = assignment;
        let document = grantfund::openapi_document();
        let official = app.staff(Role::Official).await;
        let before = row_counts(&app).await;

        let mut wrong = Vec::new();
        let mut sent = 0;
        for (n, (method, route, _)) in ROUTES.iter().enumerate() {
            let Some(valid) = body(method, route, n, spare, panel.criterion) else { continue };
            let caller = match grantfund::access::access(method, route) {
                Some(Access::Signed(action)) if action.allows(Role::Administrator) => app.as_(&panel.admin),
                Some(Access::Signed(action)) if action.allows(Role::Applicant) => app.as_(&applicant),
                Some(Access::Signed(_)) => app.as_(&assessor_token),
                _ => app.anonymous(),
            };
            let path = concrete(route, &a);
            let Some(required) = required_fields(&document, method, route) else { continue };
            // A caller who may not use the route learns nothing about its body.
            if let Some(Access::Signed(action)) = grantfund::access::access(method, route)
                && !action.allows(Role::Official)
            {
                let reply = app.as_(&official).request(method, &path).body("application/json", b"{\"name\": ".to_vec()).send().await;
                if reply.status.as_u16() != 403 {
                    wrong.push(format!("{method} {route}: an official's broken body answered {} {}", reply.status, reply.text));
                }
            }
            for mutation in corpus(&valid, &required) {
                sent += 1;
                let reply = caller.request(method, &path).body("application/json", mutation.body).send().await;
                let status = reply.status.as_u16();
                let problem = reply.header("content-type").as_deref() == Some("application/problem+json");
                if !(400..500).contains(&status) || !problem {
                    wrong.push(format!("{method} {route} with {}: {status} {}", mutation.what, reply.text.chars().take(200).collect::<String>()));
                }
                if reply.text.contains("<script") || reply.text.contains("DROP TABLE") {
                    wrong.push(format!("{method} {route} with {}: the input is echoed: {}", mutation.what, reply.text.chars().take(200).collect::<String>()));
                }
            }
        }
        assert!(wrong.is_empty(), "{} of {sent} hostile bodies were not refused cleanly:\n{}", wrong.len(), wrong.join("\n"));
        assert!(sent > 400, "{sent}");
        assert_eq!(row_counts(&app).await, before, "a refused body stored something");
    }
}
