//! Each round's own form: an administrator writes it (every problem of a bad one at once),
//! copies it to another round and cannot change it once the round opens; an applicant answers,
//! each answer checked against its question on save and the required ones on submission, with a
//! question its condition hides neither required nor kept; the answers are in the audit trail
//! and in the round's CSV, one column a question.

use serde_json::{Value, json};

use grantfund::domain::clock::Clock;

use crate::db_test;
use crate::support::*;

/// The innovation round's form: a yes/no that shows a follow-up, a choice, a number and a
/// short text.
fn innovation_form() -> Value {
    json!({"sections": [
        {"title": "Your new idea", "questions": [
            {"key": "idea", "label": "What is the new idea?", "required": true, "answer": {"type": "long_text", "max_words": 5}},
            {"key": "tested", "label": "Have you tried it yet?", "required": true, "answer": {"type": "yes_no"}},
            {"key": "where_tested", "label": "Where?", "required": true, "answer": {"type": "short_text", "max_chars": 40},
             "shown_when": {"question": "tested", "equals": "yes"}},
            {"key": "stage", "label": "How far along?", "required": true,
             "answer": {"type": "single_choice", "options": ["An idea", "A pilot"]}}
        ]},
        {"title": "People", "questions": [
            {"key": "staff", "label": "Staff on it", "answer": {"type": "whole_number", "min": 0, "max": 50}},
            {"key": "motto", "label": "Your motto", "answer": {"type": "short_text", "max_chars": 100}}
        ]}
    ]})
}

/// A fund with a round that opens in five minutes, by the test clock.
async fn upcoming_round(app: &TestApp) -> (String, i64) {
    let admin = app.admin().await;
    let fund = FundBuilder::new(app, &admin).create().await;
    let mut body = round_body(app, 0, 30);
    body["opens_at"] = json!((app.clock.now() + chrono::Duration::minutes(5)).to_rfc3339());
    let round = app.create_round(&admin, fund, body).await;
    (admin, round)
}

/// Ten minutes on: the round has opened.
fn open_it(app: &TestApp) {
    app.clock
        .set(app.clock.now() + chrono::Duration::minutes(10));
}

db_test! {
    async fn a_round_gets_its_own_form_until_it_opens_and_bad_forms_are_refused_whole(app) {
        let (admin, round) = upcoming_round(&app).await;
        let path = format!("/api/v1/rounds/{round}/form");
        let empty = app.as_(&admin).get(&path).send().await;
        assert_eq!(empty.status.as_u16(), 200, "{}", empty.text);
        assert_eq!(empty.json, json!({"sections": []}));

        // A condition on a later question and one on itself, a choice with no options, a key
        // used twice and a text with no room: every problem, named by its place.
        let bad = json!({"sections": [{"title": "Idea", "questions": [
            {"key": "first", "label": "First", "answer": {"type": "yes_no"}, "shown_when": {"question": "second", "equals": "yes"}},
            {"key": "second", "label": "Second", "answer": {"type": "yes_no"}, "shown_when": {"question": "second", "equals": "yes"}},
            {"key": "pick", "label": "Pick", "answer": {"type": "single_choice", "options": []}},
            {"key": "pick", "label": "Again", "answer": {"type": "short_text", "max_chars": 0}}
        ]}]});
        let reply = app.as_(&admin).put(&path).json(bad).send().await;
        reply.assert_problem(422, "validation_failed");
        assert_eq!(reply.error_fields(), [
            "sections[0].questions[0].shown_when.question",
            "sections[0].questions[1].shown_when.question",
            "sections[0].questions[2].answer.options",
            "sections[0].questions[3].key",
            "sections[0].questions[3].answer.max_chars",
        ]);
        let many: Vec<Value> = (0..200).map(|i| json!({"key": format!("q{i}"), "label": "A question", "answer": {"type": "yes_no"}})).collect();
        let reply = app.as_(&admin).put(&path).json(json!({"sections": [{"title": "All", "questions": many}]})).send().await;
        reply.assert_problem(422, "validation_failed");
        assert_eq!(reply.error_fields(), ["sections"]);
        let reply = app.as_(&admin).put(&path).json(json!({"sections": [{"title": "x", "questions": [{"key": "k", "label": "L", "answer": {"type": "colour"}}]}]})).send().await;
        assert_eq!(reply.status.as_u16(), 422, "an unknown type of answer is refused: {}", reply.text);
        assert_eq!(app.as_(&admin).get(&path).send().await.json, json!({"sections": []}), "nothing refused was kept");

        let set = app.as_(&admin).put(&path).json(innovation_form()).send().await;
        assert_eq!(set.status.as_u16(), 200, "{}", set.text);
        assert_eq!(set.json["sections"][0]["questions"][2]["shown_when"]["question"], "tested");
        let applicant = app.register("SC300001", "forms@example.org").await;
        app.as_(&applicant.token).put(&path).json(innovation_form()).send().await.assert_problem(403, "forbidden");
        app.anonymous().get(&path).send().await.assert_problem(404, "not_found");

        // A new round starts from this one's form.
        let form = set.json.clone();
        let other = app.create_round(&admin, app.as_(&admin).get(&format!("/api/v1/rounds/{round}")).send().await.json["fund_id"].as_i64().unwrap(), round_body(&app, -5, 40)).await;
        let copied = app.as_(&admin).post(&format!("/api/v1/rounds/{other}/form/copy")).json(json!({"from_round_id": round})).send().await;
        assert_eq!(copied.status.as_u16(), 200, "{}", copied.text);
        assert_eq!(copied.json, form);
        app.as_(&admin).post(&format!("/api/v1/rounds/{other}/form/copy")).json(json!({"from_round_id": 999_999})).send().await
            .assert_problem(422, "validation_failed");

        // Open, the form is public and frozen.
        open_it(&app);
        let public = app.anonymous().get(&path).send().await;
        assert_eq!(public.status.as_u16(), 200, "{}", public.text);
        assert_eq!(public.json, form);
        app.as_(&admin).put(&path).json(json!({"sections": []})).send().await.assert_problem(409, "round_open");
        app.as_(&admin).post(&format!("/api/v1/rounds/{round}/form/copy")).json(json!({"from_round_id": other})).send().await
            .assert_problem(409, "round_open");
        let actions = app.audit_actions(&admin, "round", round).await;
        assert_eq!(actions, ["created", "form_set"]);
    }
}

db_test! {
    async fn answers_are_checked_on_save_and_submission_and_go_in_the_audit_and_the_csv(app) {
        let (admin, round) = upcoming_round(&app).await;
        let reply = app.as_(&admin).put(&format!("/api/v1/rounds/{round}/form")).json(innovation_form()).send().await;
        assert_eq!(reply.status.as_u16(), 200, "{}", reply.text);
        open_it(&app);
        let applicant = app.register("SC300002", "answers@example.org").await;
        let id = app.draft(&applicant.token, round, application_body()).await;
        let path = format!("/api/v1/applications/{id}/answers");

        // Every answer that does not fit its question, at once; nothing saved.
        let wrong = json!({"answers": {
            "idea": {"type": "long_text", "text": "one two three four five six"},
            "tested": {"type": "short_text", "text": "yes"},
            "stage": {"type": "single_choice", "choice": "Running"},
            "staff": {"type": "whole_number", "number": 51},
            "colour": {"type": "yes_no", "yes": true}
        }});
        let reply = app.as_(&applicant.token).put(&path).json(wrong).send().await;
        reply.assert_problem(422, "validation_failed");
        assert_eq!(reply.error_fields(), ["answers.colour", "answers.idea", "answers.staff", "answers.stage", "answers.tested"]);
        let draft = app.as_(&applicant.token).get(&format!("/api/v1/applications/{id}")).send().await;
        assert_eq!(draft.json["answers"], json!({}));

        let good = json!({"answers": {
            "idea": {"type": "long_text", "text": "Peer support on the ward"},
            "tested": {"type": "yes_no", "yes": true},
            "motto": {"type": "short_text", "text": "=HYPERLINK(\"http://evil.example\")"}
        }});
        let reply = app.as_(&applicant.token).put(&path).json(good).send().await;
        assert_eq!(reply.status.as_u16(), 200, "{}", reply.text);
        assert_eq!(reply.json["answers"]["tested"], json!({"type": "yes_no", "yes": true}));

        // Submission names the required questions still unanswered, the shown follow-up among
        // them, beside the round's other rules.
        let submit = format!("/api/v1/applications/{id}/submit");
        let refused = app.as_(&applicant.token).post(&submit).json(json!({})).send().await;
        refused.assert_problem(422, "validation_failed");
        assert_eq!(refused.error_fields(), ["answers.where_tested", "answers.stage"]);

        // Answering no hides the follow-up: it is no longer required, and its answer not kept.
        let reply = app.as_(&applicant.token).put(&path).json(json!({"answers": {
            "tested": {"type": "yes_no", "yes": false},
            "where_tested": {"type": "short_text", "text": "Kirkcaldy"},
            "stage": {"type": "single_choice", "choice": "A pilot"}
        }, "remove": ["staff"]})).send().await;
        assert_eq!(reply.status.as_u16(), 200, "{}", reply.text);
        let submitted = app.as_(&applicant.token).post(&submit).json(json!({})).send().await;
        assert_eq!(submitted.status.as_u16(), 200, "{}", submitted.text);
        assert_eq!(submitted.json["answers"]["stage"]["choice"], "A pilot");
        assert!(submitted.json["answers"].get("where_tested").is_none(), "{}", submitted.json["answers"]);
        app.as_(&applicant.token).put(&path).json(json!({"answers": {}})).send().await.assert_problem(409, "invalid_state");

        let audit = app.as_(&admin).get(&format!("/api/v1/audit?entity=application&entity_id={id}&per_page=100")).send().await;
        let answered = audit.json["items"].as_array().unwrap().iter()
            .find(|e| e["action"] == "answered" && e["after"]["answers"]["stage"].is_object())
            .expect("the answers are in the audit trail");
        assert_eq!(answered["before"]["answers"]["tested"]["yes"], true);

        // The round's CSV: one column a question, formulas defused.
        let csv = app.as_(&admin).get(&format!("/api/v1/rounds/{round}/applications.csv")).send().await;
        assert_eq!(csv.status.as_u16(), 200, "{}", csv.text);
        let mut lines = csv.text.lines();
        assert_eq!(lines.next(), Some("application_id,organisation,status,title,total_requested,submitted_at,idea,tested,where_tested,stage,staff,motto"));
        let row = lines.next().unwrap();
        assert!(row.contains("submitted") && row.contains("Peer support on the ward,no,,A pilot,,"), "{row}");
        assert!(row.contains("'=HYPERLINK"), "the formula is defused: {row}");
        app.as_(&applicant.token).get(&format!("/api/v1/rounds/{round}/applications.csv")).send().await.assert_problem(403, "forbidden");
    }
}

db_test! {
    async fn retention_wipes_the_answers_with_the_rest_of_an_old_application(backend: Backend) {
        let Some(app) = TestApp::time_travelling(backend).await else { return };
        let (admin, round) = upcoming_round(&app).await;
        app.as_(&admin).put(&format!("/api/v1/rounds/{round}/form")).json(innovation_form()).send().await;
        open_it(&app);
        let applicant = app.register("SC300003", "wiped@example.org").await;
        let id = app.draft(&applicant.token, round, application_body()).await;
        let reply = app.as_(&applicant.token).put(&format!("/api/v1/applications/{id}/answers"))
            .json(json!({"answers": {"idea": {"type": "long_text", "text": "Ward rounds by parents"}}})).send().await;
        assert_eq!(reply.status.as_u16(), 200, "{}", reply.text);
        let withdrawn = app.as_(&applicant.token).post(&format!("/api/v1/applications/{id}/withdraw")).json(json!({})).send().await;
        assert_eq!(withdrawn.status.as_u16(), 200, "{}", withdrawn.text);

        app.clock.advance(chrono::Duration::days(30 + 2 * 366 + 5));
        let now = app.clock_now();
        let periods = grantfund::retention::Periods { applications: 24, stays: 24 };
        let report = app.state.db.run(move |conn| grantfund::retention::run_once(conn, now, periods)).await.unwrap();
        assert_eq!(report.applications_anonymised, 1);
        let application = app.as_(&admin).get(&format!("/api/v1/applications/{id}")).send().await;
        assert_eq!(application.json["answers"], json!({}));
        let audit = app.as_(&admin).get(&format!("/api/v1/audit?entity=application&entity_id={id}&per_page=100")).send().await;
        assert!(!audit.text.contains("Ward rounds by parents"), "the audit trail keeps no copy: {}", audit.text);
    }
}

db_test! {
    async fn the_fund_asks_one_more_question_and_the_applicant_answers_it_once(app) {
        let panel = Panel::new(&app, 1).await;
        let Submitted { id, applicant } = panel.submitted(&app, 1, true).await;
        let Submitted { id: theirs, applicant: stranger } = panel.submitted(&app, 2, true).await;
        let ask = format!("/api/v1/applications/{id}/information-requests");
        app.as_(&panel.admin).post(&ask).json(json!({"question": " "})).send().await.assert_problem(422, "validation_failed");
        app.as_(&panel.assessor.token).post(&ask).json(json!({"question": "Why?"})).send().await.assert_problem(403, "forbidden");
        let asked = app.as_(&panel.admin).post(&ask).json(json!({"question": "How will island families reach the group?"})).send().await;
        assert_eq!(asked.status.as_u16(), 201, "{}", asked.text);
        let request = asked.json["id"].as_i64().unwrap();
        assert_eq!(asked.json["answer"], Value::Null);
        let application = app.as_(&applicant).get(&format!("/api/v1/applications/{id}")).send().await;
        assert_eq!(application.json["more_info_requested"], true);
        assert_eq!(app.as_(&stranger).get(&format!("/api/v1/applications/{theirs}")).send().await.json["more_info_requested"], false);

        // Only the application's own organisation and its staff see the thread.
        let thread = app.as_(&applicant).get(&ask).send().await;
        assert_eq!(thread.status.as_u16(), 200, "{}", thread.text);
        assert_eq!(thread.json[0]["question"], "How will island families reach the group?");
        app.as_(&stranger).get(&ask).send().await.assert_problem(404, "not_found");
        let answer = format!("/api/v1/information-requests/{request}/answer");
        app.as_(&stranger).post(&answer).json(json!({"answer": "Not mine"})).send().await.assert_problem(404, "not_found");

        let answered = app.as_(&applicant).post(&answer).json(json!({"answer": "Online, and we pay the ferry."})).send().await;
        assert_eq!(answered.status.as_u16(), 200, "{}", answered.text);
        assert_eq!(answered.json["answer"], "Online, and we pay the ferry.");
        app.as_(&applicant).post(&answer).json(json!({"answer": "Again"})).send().await.assert_problem(409, "invalid_state");
        let application = app.as_(&panel.admin).get(&format!("/api/v1/applications/{id}")).send().await;
        assert_eq!(application.json["more_info_requested"], false);
        assert_eq!(app.as_(&panel.admin).get(&ask).send().await.json[0]["answer"], "Online, and we pay the ferry.");

        app.run_outbox().await;
        let mails = app.mails();
        assert!(mails.iter().any(|m| m.contains("applicant1@example.org") && m.contains("How will island families reach the group?")), "the question is emailed");
        assert!(mails.iter().any(|m| m.contains("is answered")), "whoever asked is told");
        let audit = app.audit_actions(&panel.admin, "application", id).await;
        assert!(audit.ends_with(&["information_requested".to_owned(), "information_given".to_owned()]), "{audit:?}");
    }
}

db_test! {
    async fn a_charity_answers_the_rounds_own_questions_in_the_pages(app) {
        let (admin, round) = upcoming_round(&app).await;
        let reply = app.as_(&admin).put(&format!("/api/v1/rounds/{round}/form")).json(innovation_form()).send().await;
        assert_eq!(reply.status.as_u16(), 200, "{}", reply.text);
        open_it(&app);
        app.register("SC300004", "pages@example.org").await;
        let mut browser = crate::portal::Browser::new(&app);
        browser.sign_in("pages@example.org").await;
        let apply = format!("/rounds/{round}/apply");
        let page = browser.get(&apply).await;
        assert_eq!(page.status.as_u16(), 200, "{}", page.text);
        for text in ["Your new idea", "What is the new idea?", "name=\"answers.tested\"", "Answer this only if you answered \u{201c}Yes\u{201d} to \u{201c}Have you tried it yet?\u{201d}", "Staff on it (optional)"] {
            assert!(page.text.contains(text), "{text}: {}", page.text);
        }
        // A number that is not one is the page's own check; nothing is created.
        let bad = browser.post(&apply, &[("title", "Ward peers"), ("answers.staff", "lots"), ("action", "save")]).await;
        assert_eq!(bad.status.as_u16(), 422, "{}", bad.text);
        assert!(bad.text.contains("id=\"answers.staff-error\""), "{}", bad.text);
        // Too many words is the service's, beside the question; the draft is kept to save into.
        let fields = [
            ("title", "Ward peers"), ("summary", "Peers on the ward."), ("description", "Trained parents visit the ward."),
            ("requested.2021-22", "20000"), ("requested.2022-23", "20000"), ("target_groups", "mothers_birthing_parents"),
            ("health_boards", "fife"), ("support_types", "peer_support"), ("peer_support", "yes"),
            ("expected_reach.women", "100"), ("expected_reach.partners", "10"), ("expected_reach.infants", "90"), ("expected_reach.families", "100"),
            ("equality_impact", "Open to all."), ("answers.idea", "far too many words for this idea"), ("answers.tested", "yes"),
            ("action", "save"),
        ];
        let wordy = browser.post(&apply, &fields).await;
        assert_eq!(wordy.status.as_u16(), 422, "{}", wordy.text);
        assert!(wordy.text.contains("id=\"answers.idea-error\"") && wordy.text.contains("5 words or fewer"), "{}", wordy.text);
        let draft = wordy.text.split("action=\"/applications/").nth(1).and_then(|rest| rest.split('"').next()).expect("the draft's form").to_owned();
        // Submitting names the required questions still to answer, the shown follow-up among them.
        let mut answered: Vec<(&str, &str)> = fields.iter().copied().filter(|(k, _)| *k != "answers.idea" && *k != "action").collect();
        answered.extend([("answers.idea", "Peers on the ward"), ("action", "submit")]);
        let refused = browser.post(&format!("/applications/{draft}"), &answered).await;
        assert_eq!(refused.status.as_u16(), 422, "{}", refused.text);
        for field in ["answers.where_tested", "answers.stage"] {
            assert!(refused.text.contains(&format!("href=\"#{field}\"")) && refused.text.contains(&format!("id=\"{field}-error\"")), "{field}: {}", refused.text);
        }
        assert!(refused.text.contains("value=\"Peers on the ward\"") || refused.text.contains(">Peers on the ward<"), "what was typed is kept");
        answered.retain(|(k, _)| *k != "action");
        answered.extend([("answers.where_tested", "Kirkcaldy"), ("answers.stage", "A pilot"), ("action", "submit")]);
        let sent = browser.post(&format!("/applications/{draft}"), &answered).await;
        assert_eq!(sent.status.as_u16(), 303, "{}", sent.text);
        let stored = app.as_(&admin).get(&format!("/api/v1/applications/{draft}")).send().await;
        assert_eq!(stored.json["status"], "submitted");
        assert_eq!(stored.json["answers"]["stage"], json!({"type": "single_choice", "choice": "A pilot"}));
        assert_eq!(stored.json["answers"]["where_tested"]["text"], "Kirkcaldy");
    }
}

db_test! {
    async fn the_question_and_its_answer_go_through_the_pages(app) {
        let panel = Panel::new(&app, 1).await;
        let Submitted { id, .. } = panel.submitted(&app, 1, true).await;
        let officer = format!("officer-{}@fund.example.org", uuid::Uuid::new_v4().simple());
        app.create_user(grantfund::domain::vocabulary::Role::Administrator, &officer, None).await;
        let mut admin = crate::portal::Browser::new(&app);
        admin.sign_in(&officer).await;
        let page = admin.get(&format!("/admin/applications/{id}")).await;
        assert!(page.text.contains("Ask the applicant a question"), "{}", page.text);
        let empty = admin.post(&format!("/admin/applications/{id}/questions"), &[("question", " ")]).await;
        assert_eq!(empty.status.as_u16(), 422, "{}", empty.text);
        assert!(empty.text.contains("id=\"question-error\""), "{}", empty.text);
        let asked = admin.post(&format!("/admin/applications/{id}/questions"), &[("question", "Who runs the evening group?")]).await;
        assert_eq!(asked.status.as_u16(), 303, "{}", asked.text);

        let mut charity = crate::portal::Browser::new(&app);
        charity.sign_in("applicant1@example.org").await;
        let page = charity.get(&format!("/applications/{id}")).await;
        assert!(page.text.contains("Who runs the evening group?") && page.text.contains("Send your answer"), "{}", page.text);
        let request = page.text.split("/questions/").nth(1).and_then(|r| r.split('"').next()).expect("the answer form").to_owned();
        let path = format!("/applications/{id}/questions/{request}");
        let field = format!("answer-{request}");
        let empty = charity.post(&path, &[(field.as_str(), "")]).await;
        assert_eq!(empty.status.as_u16(), 422, "{}", empty.text);
        assert!(empty.text.contains(&format!("id=\"{field}-error\"")), "{}", empty.text);
        let sent = charity.post(&path, &[(field.as_str(), "Two trained peer supporters.")]).await;
        assert_eq!(sent.status.as_u16(), 303, "{}", sent.text);
        let page = charity.get(&format!("/applications/{id}?answered=1")).await;
        assert!(page.text.contains("Your answer") && page.text.contains("Two trained peer supporters.") && !page.text.contains("Send your answer"), "{}", page.text);
        let again = charity.post(&path, &[(field.as_str(), "Again")]).await;
        assert_eq!(again.status.as_u16(), 409, "{}", again.text);
        let page = admin.get(&format!("/admin/applications/{id}")).await;
        assert!(page.text.contains("Answer: Two trained peer supporters."), "{}", page.text);
    }
}
