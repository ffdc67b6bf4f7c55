//! Assessors harvesting applicants' contact details. The probe signed in as an assessor and
//! listed `GET /organisations`, which answered every organisation with its contact email. An
//! assessor may now see only the organisations of the applications assigned to them that they
//! may read (declared no conflict), in the list and one by one; a conflicted, undeclared or
//! missing assignment answers as if the organisation did not exist.

use serde_json::json;

use grantfund::domain::vocabulary::Role;

use crate::db_test;
use crate::support::*;

/// The organisation of an applicant's account.
async fn organisation_of(app: &TestApp, applicant: &str) -> i64 {
    let me = app.as_(applicant).get("/api/v1/me").send().await;
    me.json["user"]["organisation_id"]
        .as_i64()
        .expect("an organisation")
}

/// Assigns `application` to the assessor; gives the assignment.
async fn assign(app: &TestApp, admin: &str, application: i64, assessor: i64) -> i64 {
    let reply = app
        .as_(admin)
        .post(&format!("/api/v1/applications/{application}/assignments"))
        .json(json!({"assessor_id": assessor}))
        .send()
        .await;
    assert_eq!(reply.status.as_u16(), 201, "{}", reply.text);
    reply.json["id"].as_i64().expect("assignment id")
}

async fn declare(app: &TestApp, assessor: &str, assignment: i64, conflict: bool) {
    let body = if conflict {
        json!({"has_conflict": true, "reason": "I am a trustee."})
    } else {
        json!({"has_conflict": false})
    };
    let reply = app
        .as_(assessor)
        .post(&format!(
            "/api/v1/assignments/{assignment}/conflict-declaration"
        ))
        .json(body)
        .send()
        .await;
    assert_eq!(reply.status.as_u16(), 200, "{}", reply.text);
}

db_test! {
    async fn an_assessor_sees_only_the_organisations_of_applications_open_to_them(app) {
        let panel = Panel::new(&app, 1).await;
        let mut organisations = Vec::new();
        let mut applications = Vec::new();
        for n in 1..=4 {
            let Submitted { id: application, applicant } = panel.submitted(&app, n, false).await;
            applications.push(application);
            organisations.push(organisation_of(&app, &applicant).await);
        }
        let email = "prober@panel.example.org";
        let assessor_id = app.create_user(Role::Assessor, email, None).await;
        let assessor = app.token(email).await;
        // The first declared no conflict, the second a conflict, the third not yet declared, and
        // the fourth is not theirs at all.
        let open = assign(&app, &panel.admin, applications[0], assessor_id).await;
        declare(&app, &assessor, open, false).await;
        let conflicted = assign(&app, &panel.admin, applications[1], assessor_id).await;
        declare(&app, &assessor, conflicted, true).await;
        assign(&app, &panel.admin, applications[2], assessor_id).await;

        let listed = app.as_(&assessor).get("/api/v1/organisations?per_page=100").send().await;
        assert_eq!(listed.status.as_u16(), 200, "{}", listed.text);
        let ids: Vec<i64> = listed.json["items"].as_array().unwrap().iter().map(|o| o["id"].as_i64().unwrap()).collect();
        assert_eq!(ids, [organisations[0]], "{}", listed.text);
        assert_eq!(listed.json["total"], 1);
        assert!(listed.json["items"][0]["contact_email"].is_string(), "the panel's own bid keeps its contact");
        // The filters narrow the assessor's list, never widen it.
        let verified = app.as_(&assessor).get("/api/v1/organisations?verified=false&per_page=100").send().await;
        assert_eq!(verified.json["total"], 1, "{}", verified.text);

        let one = app.as_(&assessor).get(&format!("/api/v1/organisations/{}", organisations[0])).send().await;
        assert_eq!(one.status.as_u16(), 200, "{}", one.text);
        for hidden in &organisations[1..] {
            app.as_(&assessor).get(&format!("/api/v1/organisations/{hidden}")).send().await.assert_problem(404, "not_found");
        }
        app.as_(&assessor).get("/api/v1/organisations/999999").send().await.assert_problem(404, "not_found");

        // The panel's other assessor, with none of these assigned, sees none of them; an
        // administrator still sees every one.
        let Assessor { token: other, .. } = &panel.assessor;
        assert_eq!(app.as_(other).get("/api/v1/organisations").send().await.json["total"], 0);
        let all = app.as_(&panel.admin).get("/api/v1/organisations?per_page=100").send().await;
        assert_eq!(all.json["total"], 4, "{}", all.text);
    }
}
