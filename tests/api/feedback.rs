//! Family feedback: anonymous links, a public form, nothing identifying stored, aggregates for
//! grant holders, flood protection; and retention of personal content.

use diesel::RunQueryDsl;
use serde_json::{Value, json};

use grantfund::db::DbConnection;
use grantfund::domain::vocabulary::Role;

use crate::db_test;
use crate::support::*;

async fn link(app: &TestApp, award: i64, token: &str, body: Value) -> Reply {
    app.as_(token)
        .post(&format!("/api/v1/awards/{award}/feedback-links"))
        .json(body)
        .send()
        .await
}

fn response(respondent: &str, ratings: [i64; 4], consent: bool) -> Value {
    json!({
        "respondent": respondent,
        "ratings": {"listened_to": ratings[0], "wellbeing": ratings[1], "relationship_with_baby": ratings[2], "recommend": ratings[3]},
        "difference": format!("I felt less alone ({respondent})."),
        "could_be_better": "Evening sessions for working parents.",
        "consent_to_quote": consent
    })
}

#[derive(diesel::QueryableByName)]
struct Column {
    #[diesel(sql_type = diesel::sql_types::Text)]
    name: String,
}

#[derive(diesel::QueryableByName)]
struct Found {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    n: i64,
}

/// The column names of a table, from the database's own catalogue.
async fn columns(app: &TestApp, table: &'static str) -> Vec<String> {
    app.state.db.run(move |conn| {
        let sql = match conn {
            DbConnection::Postgresql(_) => format!("SELECT column_name AS name FROM information_schema.columns WHERE table_name = '{table}' ORDER BY ordinal_position"),
            DbConnection::Sqlite(_) => format!("SELECT name FROM pragma_table_info('{table}') ORDER BY cid"),
        };
        Ok(diesel::sql_query(sql).load::<Column>(conn)?.into_iter().map(|c| c.name).collect())
    }).await.unwrap()
}

/// How many rows of a table have `text` anywhere in one of the named text columns.
async fn rows_containing(
    app: &TestApp,
    table: &'static str,
    columns: &'static [&'static str],
    text: String,
) -> i64 {
    app.state
        .db
        .run(move |conn| {
            let condition: Vec<String> = columns
                .iter()
                .map(|c| format!("{c} LIKE '%' || $1 || '%'"))
                .collect();
            let sql = format!(
                "SELECT COUNT(*) AS n FROM {table} WHERE {}",
                condition.join(" OR ")
            );
            let sql = match conn {
                DbConnection::Postgresql(_) => sql,
                DbConnection::Sqlite(_) => sql.replace("$1", "?"),
            };
            Ok(diesel::sql_query(sql)
                .bind::<diesel::sql_types::Text, _>(text)
                .get_result::<Found>(conn)?
                .n)
        })
        .await
        .unwrap()
}

db_test! {
    async fn a_family_member_gives_feedback_by_link_and_nothing_identifying_is_kept(app) {
        let AcceptedAward { panel, award, holder: applicant } = running_award(&app).await;
        let made = link(&app, award, &applicant, json!({"label": "Tuesday group"})).await;
        assert_eq!(made.status.as_u16(), 201, "{}", made.text);
        let token = made.json["token"].as_str().unwrap().to_owned();
        assert!(token.len() >= 43, "at least 256 bits, base64url: {token}");
        assert_eq!(made.json["url"], format!("/api/v1/feedback/{token}"));

        // The form, public: the service's public name and the questions, nothing internal.
        let form = app.anonymous().get(&format!("/api/v1/feedback/{token}")).send().await;
        assert_eq!(form.status.as_u16(), 200, "{}", form.text);
        assert_eq!(form.json["service"], "Peer support for new mums in Fife");
        assert_eq!(form.json["organisation"], "Bumps & Babies Fife");
        assert_eq!(form.json["statements"].as_array().unwrap().len(), 4);
        assert_eq!(form.json["respondents"].as_array().unwrap().len(), 5);
        for internal in ["38000", "PIMH", "award", "@", "applicant"] {
            assert!(!form.text.contains(internal), "the form shows {internal}: {}", form.text);
        }

        let sent = app.anonymous().post(&format!("/api/v1/feedback/{token}")).json(response("father_partner", [5, 4, 4, 5], true)).send().await;
        assert_eq!(sent.status.as_u16(), 201, "{}", sent.text);
        assert_eq!(sent.json["received"], true);
        assert!(sent.json.get("id").is_none(), "nothing about the response is given back");

        // The raw token is nowhere in the database; only its hash.
        assert_eq!(rows_containing(&app, "feedback_links", &["label", "token_hash"], token.clone()).await, 0);
        assert_eq!(rows_containing(&app, "audit_log", &["before_state", "after_state"], token.clone()).await, 0);
        // The response table has the answers and the day, and no column that could identify anyone.
        let names = columns(&app, "feedback_responses").await;
        assert_eq!(names, ["id", "award_id", "link_id", "respondent", "listened_to", "wellbeing", "relationship_with_baby", "recommend", "difference", "could_be_better", "consent_to_quote", "received_on", "published"]);
        for name in &names {
            for pii in ["name", "email", "phone", "address", "postcode", "ip", "agent", "device", "contact", "identifier"] {
                assert!(!name.split('_').any(|part| part == pii) && !name.contains("mail"), "{name} looks like personal data");
            }
        }
        // Unknown fields, such as an email, are refused rather than dropped.
        let mut with_email = response("mother_birthing_parent", [5, 5, 5, 5], false);
        with_email["email"] = json!("mum@example.org");
        app.anonymous().post(&format!("/api/v1/feedback/{token}")).json(&with_email).send().await.assert_problem(422, "validation_failed");
        let bad = app.anonymous().post(&format!("/api/v1/feedback/{token}")).json(json!({
            "respondent": "mother_birthing_parent",
            "ratings": {"listened_to": 0, "wellbeing": 6, "relationship_with_baby": 3, "recommend": 3},
            "difference": "x".repeat(2001), "consent_to_quote": false
        })).send().await;
        bad.assert_problem(422, "validation_failed");
        assert_eq!(bad.error_fields(), ["ratings.listened_to", "ratings.wellbeing", "difference"]);
        let feedback = app.as_(&applicant).get(&format!("/api/v1/awards/{award}/feedback")).send().await;
        assert_eq!(feedback.json["responses"], 1, "refused responses are not stored");

        assert_eq!(app.audit_actions(&panel.admin, "feedback_link", made.json["id"].as_i64().unwrap()).await, ["created"]);
    }
}

db_test! {
    async fn expired_revoked_and_unknown_links_all_answer_the_same_404(backend: Backend) {
        let Some(app) = TestApp::time_travelling(backend).await else { return };
        let AcceptedAward { panel, award, holder: applicant } = running_award(&app).await;
        let soon = (app.clock_now().and_utc() + chrono::Duration::hours(1)).to_rfc3339();
        let expiring = link(&app, award, &applicant, json!({"label": "Drop-in", "expires_at": soon})).await;
        let expiring_token = expiring.json["token"].as_str().unwrap().to_owned();
        let revoked = link(&app, award, &panel.admin, json!({"label": "Home visits"})).await;
        let revoked_token = revoked.json["token"].as_str().unwrap().to_owned();
        let revoked_id = revoked.json["id"].as_i64().unwrap();
        link(&app, award, &applicant, json!({"label": "Past", "expires_at": "2000-01-01T00:00:00Z"})).await.assert_problem(422, "validation_failed");
        link(&app, award, &applicant, json!({"label": " "})).await.assert_problem(422, "validation_failed");

        let Registered { token: stranger, .. } = app.register("SC400001", "stranger@example.org").await;
        link(&app, award, &stranger, json!({"label": "Mine"})).await.assert_problem(404, "not_found");
        app.as_(&stranger).delete(&format!("/api/v1/feedback-links/{revoked_id}")).send().await.assert_problem(404, "not_found");
        app.as_(&panel.assessor.token).delete(&format!("/api/v1/feedback-links/{revoked_id}")).send().await.assert_problem(403, "forbidden");
        assert_eq!(app.as_(&applicant).delete(&format!("/api/v1/feedback-links/{revoked_id}")).send().await.status.as_u16(), 204);
        assert_eq!(app.as_(&applicant).delete(&format!("/api/v1/feedback-links/{revoked_id}")).send().await.status.as_u16(), 204, "revoking twice changes nothing");

        let form = |token: String| {
            let app = &app;
            async move { app.anonymous().get(&format!("/api/v1/feedback/{token}")).send().await }
        };
        assert_eq!(form(expiring_token.clone()).await.status.as_u16(), 200);
        app.clock.advance(chrono::Duration::hours(2));
        let expired = form(expiring_token).await;
        let revoked = form(revoked_token.clone()).await;
        let unknown = form("x".repeat(43)).await;
        for reply in [&expired, &revoked, &unknown] {
            reply.assert_problem(404, "not_found");
            assert_eq!(reply.json, unknown.json, "nothing tells the three apart");
        }
        app.anonymous().post(&format!("/api/v1/feedback/{revoked_token}")).json(response("father_partner", [5, 5, 5, 5], true)).send().await.assert_problem(404, "not_found");

        let links = app.as_(&panel.admin).get(&format!("/api/v1/awards/{award}/feedback-links")).send().await;
        assert_eq!(links.json.as_array().unwrap().len(), 2);
        assert!(links.json.as_array().unwrap().iter().all(|l| l.get("token").is_none()), "tokens are shown once");
        assert_eq!(app.audit_actions(&panel.admin, "feedback_link", revoked_id).await, ["created", "revoked"]);
    }
}

db_test! {
    async fn grant_holders_read_counts_means_distributions_and_only_consented_words(app) {
        let AcceptedAward { panel, award, holder: applicant } = running_award(&app).await;
        let token = link(&app, award, &applicant, json!({"label": "Group"})).await.json["token"].as_str().unwrap().to_owned();
        let path = format!("/api/v1/feedback/{token}");
        for (who, ratings, consent) in [
            ("mother_birthing_parent", [5, 4, 1, 5], true),
            ("mother_birthing_parent", [4, 4, 2, 5], false),
            ("father_partner", [4, 5, 2, 4], true),
            ("kinship_carer", [4, 4, 2, 4], false),
        ] {
            let reply = app.anonymous().post(&path).json(response(who, ratings, consent)).send().await;
            assert_eq!(reply.status.as_u16(), 201, "{}", reply.text);
        }
        let mut quiet = response("prefer_not_to_say", [3, 3, 3, 3], true);
        quiet["difference"] = Value::Null;
        quiet["could_be_better"] = Value::Null;
        app.anonymous().post(&path).json(&quiet).send().await;

        let feedback = app.as_(&applicant).get(&format!("/api/v1/awards/{award}/feedback")).send().await;
        assert_eq!(feedback.status.as_u16(), 200, "{}", feedback.text);
        assert_eq!(feedback.json["responses"], 5);
        let listened = &feedback.json["statements"][0];
        assert_eq!(listened["statement"], "listened_to");
        assert_eq!(listened["mean"], "4.00"); // (5 + 4 + 4 + 4 + 3) / 5
        assert_eq!(listened["distribution"], json!({"1": 0, "2": 0, "3": 1, "4": 3, "5": 1}));
        assert_eq!(feedback.json["statements"][2]["mean"], "2.00");
        // Two mothers, a father, a kinship carer and one who would rather not say: every kind is
        // under five, so none shows figures to the grant holder, who may know who answered.
        let kinds = feedback.json["by_respondent"].as_array().unwrap();
        assert_eq!(kinds.len(), 4, "{}", feedback.text);
        for kind in kinds {
            assert!(kind["suppressed"] == true && kind["responses"].is_null() && kind["statements"].is_null(), "{kind}");
        }
        let quoted: Vec<&str> = feedback.json["quotes"].as_array().unwrap().iter().map(|q| q["respondent"].as_str().unwrap()).collect();
        assert_eq!(quoted.len(), 2, "only consented words, and only where there are words: {quoted:?}");
        assert!(quoted.contains(&"mother_birthing_parent") && quoted.contains(&"father_partner"));
        assert!(!feedback.text.contains("(kinship_carer)"), "words without consent never appear");

        assert_eq!(app.as_(&panel.admin).get(&format!("/api/v1/awards/{award}/feedback")).send().await.json["responses"], 5);
        let Registered { token: stranger, .. } = app.register("SC400002", "other@example.org").await;
        app.as_(&stranger).get(&format!("/api/v1/awards/{award}/feedback")).send().await.assert_problem(404, "not_found");
        app.as_(&app.staff(Role::Official).await).get(&format!("/api/v1/awards/{award}/feedback")).send().await.assert_problem(403, "forbidden");
        let links = app.as_(&applicant).get(&format!("/api/v1/awards/{award}/feedback-links")).send().await;
        assert_eq!(links.json[0]["responses"], 5);
    }
}

db_test! {
    async fn one_link_cannot_be_flooded(backend: Backend) {
        let Some(app) = TestApp::spawn_with(backend, |s| s.feedback_responses_per_link_per_minute = 3).await else { return };
        let AcceptedAward { award, holder: applicant, .. } = running_award(&app).await;
        let first = link(&app, award, &applicant, json!({"label": "A"})).await.json["token"].as_str().unwrap().to_owned();
        let second = link(&app, award, &applicant, json!({"label": "B"})).await.json["token"].as_str().unwrap().to_owned();
        let body = response("mother_birthing_parent", [5, 5, 5, 5], false);
        for _ in 0..3 {
            assert_eq!(app.anonymous().post(&format!("/api/v1/feedback/{first}")).json(&body).send().await.status.as_u16(), 201);
        }
        let flooded = app.anonymous().post(&format!("/api/v1/feedback/{first}")).json(&body).send().await;
        flooded.assert_problem(429, "too_many_requests");
        assert!(flooded.header("retry-after").is_some());
        assert_eq!(app.anonymous().post(&format!("/api/v1/feedback/{second}")).json(&body).send().await.status.as_u16(), 201, "other links are not held back");
        assert_eq!(app.as_(&applicant).get(&format!("/api/v1/awards/{award}/feedback")).send().await.json["responses"], 4);
    }
}

db_test! {
    async fn retention_anonymises_old_declined_and_withdrawn_applications_and_removes_marked_accounts(backend: Backend) {
        let Some(app) = TestApp::time_travelling(backend).await else { return };
        let panel = Panel::new(&app, 1).await;
        let Submitted { id: declined, .. } = panel.submitted(&app, 1, true).await;
        let Submitted { id: withdrawn, applicant: withdrawer } = panel.submitted(&app, 2, true).await;
        let Submitted { id: kept, .. } = panel.submitted(&app, 3, true).await;
        app.as_(&panel.admin).post(&format!("/api/v1/applications/{declined}/decision")).json(json!({"decision": "decline", "feedback": "Referral routes unclear."})).send().await;
        app.as_(&withdrawer).post(&format!("/api/v1/applications/{withdrawn}/withdraw")).json(json!({})).send().await;
        let assessor = panel.assessor.id;
        assert_eq!(app.as_(&panel.admin).delete(&format!("/api/v1/users/{assessor}")).send().await.status.as_u16(), 204);
        app.login("panel-1@panel.example.org", PASSWORD).await.assert_problem(401, "invalid_credentials");

        let run = |months: u32| {
            let app = &app;
            async move {
                let now = app.clock_now();
                app.state.db.run(move |conn| grantfund::retention::run_once(conn, now, grantfund::retention::Periods { applications: months, stays: months })).await.unwrap()
            }
        };
        // Within the retention period the applications keep their content; the account goes at once.
        let report = run(24).await;
        assert_eq!((report.applications_anonymised, report.accounts_removed), (0, 1));
        let users = app.as_(&panel.admin).get("/api/v1/users?per_page=100").send().await;
        let removed = users.json["items"].as_array().unwrap().iter().find(|u| u["id"] == assessor).unwrap();
        assert_eq!(removed["name"], "Deleted user");
        assert!(!users.text.contains("panel-1@panel.example.org"));
        assert_eq!(rows_containing(&app, "audit_log", &["before_state", "after_state"], "panel-1@panel.example.org".to_owned()).await, 0);

        // The round closed 30 days after the start; two years and a little more later:
        app.clock.advance(chrono::Duration::days(30 + 2 * 366 + 5));
        let report = run(24).await;
        assert_eq!(report.applications_anonymised, 2);
        assert_eq!(run(24).await, grantfund::retention::RetentionReport::default(), "each is done once");
        for id in [declined, withdrawn] {
            let application = app.as_(&panel.admin).get(&format!("/api/v1/applications/{id}")).send().await;
            assert_eq!(application.json["title"], "Anonymised application");
            assert_eq!(application.json["description"], Value::Null);
            assert_eq!(application.json["decision_feedback"], Value::Null);
            assert_eq!(application.json["requested"]["2021-22"], "40000.00", "the money asked stays");
            let audit = app.audit_actions(&panel.admin, "application", id).await;
            assert!(audit.contains(&"submitted".to_owned()) && audit.last().unwrap() == "anonymised", "{audit:?}");
        }
        for id in [declined, withdrawn] {
            let audit = app.as_(&panel.admin).get(&format!("/api/v1/audit?entity=application&entity_id={id}&per_page=100")).send().await;
            assert!(!audit.text.contains("Trained peer supporters"), "the audit trail keeps no copy: {}", audit.text);
        }
        let audit = app.as_(&panel.admin).get(&format!("/api/v1/audit?entity=application&entity_id={kept}&per_page=100")).send().await;
        assert!(audit.text.contains("Trained peer supporters"), "an application still under consideration keeps its record");
        let untouched = app.as_(&panel.admin).get(&format!("/api/v1/applications/{kept}")).send().await;
        assert_eq!(untouched.json["title"], "Peer support for new mums in Fife");
    }
}

db_test! {
    async fn officials_figures_suppress_small_groups_and_any_group_the_total_would_give_away(app) {
        let AcceptedAward { award, holder: applicant, .. } = running_award(&app).await;
        let token = link(&app, award, &applicant, json!({"label": "Group"})).await.json["token"].as_str().unwrap().to_owned();
        let path = format!("/api/v1/feedback/{token}");
        let official = |app: &TestApp| {
            let ids = vec![award];
            let db = app.state.db.clone();
            async move { db.run(move |conn| grantfund::feedback::service::for_officials(conn, &ids)).await.unwrap() }
        };
        for (who, n) in [("mother_birthing_parent", 3), ("father_partner", 1)] {
            for _ in 0..n {
                app.anonymous().post(&path).json(response(who, [5, 4, 4, 5], true)).send().await;
            }
        }
        let few = official(&app).await;
        assert!(few.suppressed && few.responses.is_none() && few.statements.is_none(), "4 responses in all: {few:?}");
        assert!(few.by_respondent.iter().all(|g| g.suppressed && g.responses.is_none()));

        // 6 mothers, 5 partners, 2 kinship carers: the carers are suppressed, and so are the
        // partners, or 13 - 6 - 5 would give the carers away.
        for (who, n) in [("mother_birthing_parent", 3), ("father_partner", 4), ("kinship_carer", 2)] {
            for _ in 0..n {
                app.anonymous().post(&path).json(response(who, [4, 4, 3, 4], false)).send().await;
            }
        }
        let figures = official(&app).await;
        assert_eq!(figures.responses, Some(13));
        let shown: Vec<(&str, bool, Option<i64>)> = figures.by_respondent.iter().map(|g| (g.respondent.as_str(), g.suppressed, g.responses)).collect();
        assert_eq!(shown, [
            ("mother_birthing_parent", false, Some(6)),
            ("father_partner", true, None),
            ("kinship_carer", true, None),
            ("other_family_member", true, None),
            ("prefer_not_to_say", true, None),
        ]);
        let text = serde_json::to_string(&figures).unwrap();
        assert!(!text.contains("less alone") && !text.contains("Evening sessions"), "no free text for officials: {text}");
    }
}
