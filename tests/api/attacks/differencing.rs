//! One family's ratings recovered by differencing. The probe read the officials' feedback report,
//! sent one response with known ratings, and read it again: every distribution moved by exactly
//! that family's four ratings, although groups under five were suppressed. Responses now reach
//! officials' figures in batches that bring at least five new responses to every group they
//! change, so one to four new responses change nothing an official can read (JSON, CSV, a year's
//! report, another instance), and the fifth moves the figures by the five together. The grant
//! holder's per-award view applies the same threshold to each kind of respondent.

use serde_json::{Value, json};

use grantfund::domain::suppression::THRESHOLD;
use grantfund::domain::vocabulary::Role;

use crate::db_test;
use crate::support::*;

fn response(respondent: &str, ratings: [i64; 4]) -> Value {
    json!({
        "respondent": respondent,
        "ratings": {"listened_to": ratings[0], "wellbeing": ratings[1], "relationship_with_baby": ratings[2], "recommend": ratings[3]},
        "consent_to_quote": false
    })
}

async fn respond(app: &TestApp, token: &str, respondent: &str, ratings: [i64; 4]) {
    let sent = app
        .anonymous()
        .post(&format!("/api/v1/feedback/{token}"))
        .json(response(respondent, ratings))
        .send()
        .await;
    assert!(sent.status.is_success(), "{}", sent.text);
}

/// An app whose links take as many responses a minute as a test sends.
async fn spawn(backend: Backend) -> Option<TestApp> {
    TestApp::spawn_with(backend, |s| {
        s.feedback_responses_per_link_per_minute = 1_000;
    })
    .await
}

/// A running award, its grant holder's token and a feedback link's token.
struct LinkedAward {
    award: i64,
    holder: String,
    link: String,
}

async fn award_with_link(app: &TestApp) -> LinkedAward {
    let AcceptedAward {
        award,
        holder: applicant,
        ..
    } = running_award(app).await;
    let made = app
        .as_(&applicant)
        .post(&format!("/api/v1/awards/{award}/feedback-links"))
        .json(json!({"label": "Tuesday group"}))
        .send()
        .await;
    assert_eq!(made.status.as_u16(), 201, "{}", made.text);
    let link = made.json["token"].as_str().unwrap().to_owned();
    LinkedAward {
        award,
        holder: applicant,
        link,
    }
}

/// Everything an official can read of the fund's feedback: the report, its CSV and the report of
/// the year the responses arrive in, from this instance and from a fresh one.
async fn everything_officials_read(
    app: &TestApp,
    fresh: &TestApp,
    official: &str,
    fund: i64,
) -> Vec<String> {
    let year = grantfund::domain::FinancialYear::containing(app.clock_now().date()).unwrap();
    let mut read = Vec::new();
    for instance in [app, fresh] {
        for query in ["", "?format=csv", &format!("?financial_year={year}")] {
            let reply = instance
                .as_(official)
                .get(&format!("/api/v1/reports/funds/{fund}/feedback{query}"))
                .send()
                .await;
            assert_eq!(reply.status.as_u16(), 200, "{}", reply.text);
            read.push(reply.text);
        }
    }
    read
}

/// The count of each rating of each statement across the report's whole-fund figures.
fn distributions(report: &Value) -> Vec<i64> {
    report["statements"]
        .as_array()
        .map_or_else(Vec::new, |statements| {
            statements
                .iter()
                .flat_map(|s| {
                    (1..=5).map(move |n| s["distribution"][n.to_string()].as_i64().unwrap())
                })
                .collect()
        })
}

db_test! {
    async fn one_response_to_four_change_nothing_an_official_reads(backend: Backend) {
        let Some(app) = spawn(backend).await else { return };
        let fresh = app.second_instance().await;
        let LinkedAward { award, holder: applicant, link } = award_with_link(&app).await;
        let official = app.staff(Role::Official).await;
        let fund = app.as_(&applicant).get(&format!("/api/v1/awards/{award}")).send().await.json["fund_id"].as_i64().unwrap();
        // A first batch of five, all fives, is published at once.
        for _ in 0..THRESHOLD {
            respond(&app, &link, "mother_birthing_parent", [5, 5, 5, 5]).await;
        }
        let before = everything_officials_read(&app, &fresh, &official, fund).await;
        let report: Value = serde_json::from_str(&before[0]).unwrap();
        assert_eq!(report["responses"], THRESHOLD, "{report}");
        let published = distributions(&report);

        // The attack: one family's known ratings, then the report again. Then up to four.
        let family = [1, 2, 3, 4];
        for sent in 1..THRESHOLD {
            respond(&app, &link, "kinship_carer", family).await;
            let after = everything_officials_read(&app, &fresh, &official, fund).await;
            assert_eq!(after, before, "{sent} new responses moved what officials read");
        }

        // The fifth publishes the batch: the figures move by five responses, never by one.
        respond(&app, &link, "kinship_carer", family).await;
        let after = everything_officials_read(&app, &fresh, &official, fund).await;
        let report: Value = serde_json::from_str(&after[0]).unwrap();
        assert_eq!(report["responses"], 2 * THRESHOLD, "{report}");
        let moved: Vec<i64> = distributions(&report).iter().zip(&published).map(|(a, b)| a - b).collect();
        let batch: i64 = moved.iter().take(5).sum();
        assert_eq!(batch, THRESHOLD as i64, "one statement's distribution moved by the batch: {moved:?}");
        // Every figure shown, in every group, counts at least five responses.
        for dimension in ["by_year", "by_component", "by_health_board"] {
            for group in report[dimension].as_array().unwrap() {
                if let Some(n) = group["responses"].as_i64() {
                    assert!(n >= THRESHOLD as i64, "{dimension}: {group}");
                }
            }
        }
        // Both instances and every form agree.
        assert_eq!(after[..3], after[3..]);
    }
}

db_test! {
    async fn grant_holders_see_no_figures_for_a_kind_of_respondent_under_five(backend: Backend) {
        let Some(app) = spawn(backend).await else { return };
        let LinkedAward { award, holder: applicant, link } = award_with_link(&app).await;
        let path = format!("/api/v1/awards/{award}/feedback");
        let view = || app.as_(&applicant).get(&path).send();

        // One response: counted, but no figures at all.
        respond(&app, &link, "father_partner", [1, 2, 3, 4]).await;
        let one = view().await;
        assert_eq!(one.status.as_u16(), 200, "{}", one.text);
        assert_eq!(one.json["responses"], 1);
        assert_eq!(one.json["suppressed"], true);
        assert!(one.json["statements"].is_null(), "{}", one.text);
        for group in one.json["by_respondent"].as_array().unwrap() {
            assert!(group["statements"].is_null() && group["suppressed"] == true, "{group}");
        }

        // Five mothers and one father: the father is under five, and the mothers' figures would
        // give him away against the award's, so neither kind shows figures.
        for _ in 0..THRESHOLD {
            respond(&app, &link, "mother_birthing_parent", [5, 5, 5, 5]).await;
        }
        let six = view().await;
        assert_eq!(six.json["suppressed"], false);
        assert!(six.json["statements"].is_array());
        let groups = six.json["by_respondent"].as_array().unwrap();
        assert_eq!(groups.len(), 2, "{}", six.text);
        for group in groups {
            assert!(group["suppressed"] == true && group["statements"].is_null() && group["responses"].is_null(), "{group}");
        }

        // Four more fathers: both kinds have five, and both show.
        for _ in 1..THRESHOLD {
            respond(&app, &link, "father_partner", [2, 2, 2, 2]).await;
        }
        let ten = view().await;
        for group in ten.json["by_respondent"].as_array().unwrap() {
            assert_eq!(group["suppressed"], false, "{group}");
            assert_eq!(group["responses"], THRESHOLD, "{group}");
            assert!(group["statements"].is_array(), "{group}");
        }
        assert_eq!(ten.json["responses"], 2 * THRESHOLD);
    }
}
