//! An access token issued before an account was disabled must not work again once the account is
//! enabled again: disabling moves the account to a new session generation, and every token carries
//! the generation it was issued in.

use crate::db_test;
use grantfund::domain::vocabulary::Role;
use serde_json::json;

db_test! {
    async fn a_token_from_before_an_account_was_disabled_stays_dead_after_it_is_enabled(app) {
        let admin = app.admin().await;
        let id = app.create_user(Role::Assessor, "sam@panel.org", None).await;
        let before = app.token("sam@panel.org").await;
        assert_eq!(app.as_(&before).get("/api/v1/me").send().await.status.as_u16(), 200);

        let reply = app.as_(&admin).patch(&format!("/api/v1/users/{id}")).json(json!({"active": false})).send().await;
        assert_eq!(reply.status.as_u16(), 200, "{}", reply.text);
        let reply = app.as_(&admin).patch(&format!("/api/v1/users/{id}")).json(json!({"active": true})).send().await;
        assert_eq!(reply.status.as_u16(), 200, "{}", reply.text);

        app.as_(&before).get("/api/v1/me").send().await.assert_problem(401, "invalid_token");
        let other = app.second_instance().await;
        other.as_(&before).get("/api/v1/me").send().await.assert_problem(401, "invalid_token");

        // A token issued after the account was enabled again works, on either instance.
        let after = app.token("sam@panel.org").await;
        assert_eq!(app.as_(&after).get("/api/v1/me").send().await.status.as_u16(), 200);
        assert_eq!(other.as_(&after).get("/api/v1/me").send().await.status.as_u16(), 200);
    }
}

db_test! {
    async fn changing_an_account_without_disabling_it_keeps_its_tokens(app) {
        let admin = app.admin().await;
        let id = app.create_user(Role::Assessor, "sam@panel.org", None).await;
        let token = app.token("sam@panel.org").await;
        let reply = app.as_(&admin).patch(&format!("/api/v1/users/{id}")).json(json!({"name": "Sam Jones"})).send().await;
        assert_eq!(reply.status.as_u16(), 200, "{}", reply.text);
        let me = app.as_(&token).get("/api/v1/me").send().await;
        assert_eq!(me.status.as_u16(), 200, "{}", me.text);
        assert_eq!(me.json["user"]["name"], "Sam Jones");
    }
}
