//! The pages of variations: a grant holder asks on the award's page, an administrator decides
//! from the queue, and every failed rule is shown at once beside its field.

use awc::http::StatusCode;

use grantfund::domain::vocabulary::Role;

use crate::db_test;
use crate::portal::Browser;
use crate::support::*;

db_test! {
    async fn a_grant_holder_asks_for_a_variation_and_an_administrator_decides_it_in_the_pages(app) {
        let panel = Panel::new(&app, 1).await;
        let Award { id: award, .. } = panel.unpaid(&app, 1).await;
        let path = format!("/awards/{award}");
        let mut charity = Browser::new(&app);
        charity.sign_in("applicant1@example.org").await;
        let page = charity.get(&path).await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(page.text.contains("Ask for a variation"), "{}", page.text);
        assert!(page.text.contains("name=\"amounts.2021-22\""));

        // Every rule that fails is shown at once, in the summary and beside its field.
        let bad = charity
            .post(
                &format!("{path}/variations"),
                &[("kind", "reprofile"), ("amounts.2021-22", "30000"), ("amounts.2022-23", "45000"), ("reason", "")],
            )
            .await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.text);
        assert!(bad.text.contains("govuk-error-summary"));
        assert!(bad.text.contains("id=\"reason-error\""), "{}", bad.text);
        assert!(bad.text.contains("id=\"amounts.2021-22-error\""), "the years' total is shown at the first year");
        assert!(bad.text.contains("value=\"30000\""), "what was typed is kept");
        let none = charity.post(&format!("{path}/variations"), &[("reason", "Late start.")]).await;
        assert_eq!(none.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(none.text.contains("id=\"kind-error\""), "{}", none.text);

        let asked = charity
            .post(
                &format!("{path}/variations"),
                &[("kind", "reprofile"), ("amounts.2021-22", "30000"), ("amounts.2022-23", "48,000"), ("reason", "The groups started in October.")],
            )
            .await;
        assert_eq!(asked.status, StatusCode::SEE_OTHER, "{}", asked.text);
        assert_eq!(asked.location.as_deref(), Some(path.as_str()));
        let page = charity.get(&path).await;
        assert!(page.text.contains("The groups started in October."));
        assert!(page.text.contains("Requested"));

        app.create_user(Role::Administrator, "decider@fund.example.org", None).await;
        let mut admin = Browser::new(&app);
        admin.sign_in("decider@fund.example.org").await;
        let queue = admin.get("/admin/variations").await;
        assert_eq!(queue.status, StatusCode::OK);
        let listed = app.as_(&panel.admin).get("/api/v1/variations?status=requested").send().await;
        let id = listed.json["items"][0]["id"].as_i64().unwrap();
        assert!(queue.text.contains(&format!("href=\"/admin/variations/{id}\"")), "{}", queue.text);
        let page = admin.get(&format!("/admin/variations/{id}")).await;
        assert!(page.text.contains("Record decision"), "{}", page.text);

        let blank = admin.post(&format!("/admin/variations/{id}"), &[("decision", "refuse"), ("reason", " ")]).await;
        assert_eq!(blank.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", blank.text);
        assert!(blank.text.contains("govuk-error-summary"));
        assert!(blank.text.contains("id=\"reason-error\""), "a refusal needs a reason: {}", blank.text);
        let undecided = admin.post(&format!("/admin/variations/{id}"), &[("reason", "Fine.")]).await;
        assert!(undecided.text.contains("id=\"decision-error\""), "{}", undecided.text);

        let done = admin.post(&format!("/admin/variations/{id}"), &[("decision", "approve"), ("reason", "Explained in the first return.")]).await;
        assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.text);
        let page = charity.get(&path).await;
        assert!(page.text.contains("Approved"), "{}", page.text);
        assert!(page.text.contains("Explained in the first return."));
        assert!(page.text.contains("£48,000"), "{}", page.text);
        let empty = admin.get("/admin/variations").await;
        assert!(empty.text.contains("No variation is waiting"));
    }
}

db_test! {
    async fn only_administrators_reach_the_queue_of_variations(app) {
        let panel = Panel::new(&app, 1).await;
        panel.unpaid(&app, 1).await;
        let mut charity = Browser::new(&app);
        charity.sign_in("applicant1@example.org").await;
        let page = charity.get("/admin/variations").await;
        assert!(page.status.is_client_error(), "{}", page.status);
    }
}
