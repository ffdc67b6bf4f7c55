//! Bank details: validated, sealed at rest, shown masked, and checked by a second person before
//! anything is paid; a wrong key refuses to open them, and a rotation re-seals them.

use serde_json::{Value, json};

use grantfund::config::{DataKey, DataKeys};
use grantfund::crypto::Keyring;
use grantfund::domain::vocabulary::Role;

use crate::db_test;
use crate::support::*;

const ACCOUNT: &str = "10203040";
const SORT_CODE: &str = "802260";

fn details() -> Value {
    json!({"account_name": "Bumps and Babies Fife", "sort_code": "80-22-60", "account_number": ACCOUNT, "roll_number": "RB/1234"})
}

/// Every text the database holds about bank details, the audit trail and the outbox, read raw.
async fn stored_texts(app: &TestApp) -> String {
    use diesel::prelude::*;
    use grantfund::db::schema::{audit_log, bank_details, outbox};
    app.state
        .db
        .run(|conn| {
            let sealed: Vec<(String, String, String)> = bank_details::table
                .select((
                    bank_details::account_name,
                    bank_details::sealed,
                    bank_details::key_id,
                ))
                .load(conn)?;
            let audit: Vec<Option<String>> =
                audit_log::table.select(audit_log::after_state).load(conn)?;
            let before: Vec<Option<String>> = audit_log::table
                .select(audit_log::before_state)
                .load(conn)?;
            let mails: Vec<(String, String)> = outbox::table
                .select((outbox::subject, outbox::body))
                .load(conn)?;
            Ok::<_, grantfund::error::ApiError>(format!("{sealed:?}{audit:?}{before:?}{mails:?}"))
        })
        .await
        .unwrap()
}

fn key(id: &str, byte: u8) -> DataKey {
    DataKey::new(id, [byte; 32]).unwrap()
}

db_test! {
    async fn bank_details_are_validated_masked_sealed_and_checked_by_a_second_person(app) {
        let Registered { organisation, token } = app.register("SC000001", "aileen@example.org").await;
        let Registered { organisation: theirs, token: other } = app.register("SC000002", "bob@example.org").await;
        let path = format!("/api/v1/organisations/{organisation}/bank-details");

        let none = app.as_(&token).get(&path).send().await;
        assert_eq!(none.json["status"], "missing", "{}", none.text);
        assert_eq!(none.json["payments_suspended"], true);

        // Every field that fails is named at once.
        let bad = app.as_(&token).put(&path).json(json!({"account_name": " ", "sort_code": "80-22-6", "account_number": "1020304", "roll_number": "<b>"})).send().await;
        bad.assert_problem(422, "validation_failed");
        let mut fields = bad.error_fields();
        fields.sort();
        assert_eq!(fields, ["account_name", "account_number", "roll_number", "sort_code"]);

        let entered = app.as_(&token).put(&path).json(details()).send().await;
        assert_eq!(entered.status.as_u16(), 200, "{}", entered.text);
        assert_eq!(entered.json["status"], "awaiting_verification");
        assert_eq!(entered.json["payments_suspended"], true);
        assert_eq!(entered.json["account_number"], "****3040");
        assert_eq!(entered.json["sort_code"], "**-**-60");
        assert_eq!(entered.json["has_roll_number"], true);
        assert!(!entered.text.contains(ACCOUNT) && !entered.text.contains("RB/1234"), "{}", entered.text);

        // Another organisation's details are not there at all.
        app.as_(&other).get(&path).send().await.assert_problem(404, "not_found");
        app.as_(&other).put(&path).json(details()).send().await.assert_problem(404, "not_found");
        app.as_(&token).get(&format!("/api/v1/organisations/{theirs}/bank-details")).send().await.assert_problem(404, "not_found");
        // Applicants, assessors and officials verify nothing.
        app.as_(&token).post(&format!("{path}/verify")).json(json!({})).send().await.assert_problem(403, "forbidden");
        let official = app.staff(Role::Official).await;
        app.as_(&official).get(&path).send().await.assert_problem(403, "forbidden");

        // An administrator who enters details cannot verify them; a second one can.
        let first = app.admin().await;
        let second = app.admin().await;
        let changed = app.as_(&first).put(&path).json(json!({"account_name": "Bumps and Babies", "sort_code": "80 22 60", "account_number": "1020 3040"})).send().await;
        assert_eq!(changed.status.as_u16(), 200, "{}", changed.text);
        assert_eq!(changed.json["has_roll_number"], false);
        app.as_(&first).post(&format!("{path}/verify")).json(json!({})).send().await.assert_problem(409, "same_person");
        let verified = app.as_(&second).post(&format!("{path}/verify")).json(json!({})).send().await;
        assert_eq!(verified.status.as_u16(), 200, "{}", verified.text);
        assert_eq!(verified.json["status"], "verified");
        assert_eq!(verified.json["payments_suspended"], false);
        assert_eq!(verified.json["entered_by_name"], "Test User");
        app.as_(&second).post(&format!("{path}/verify")).json(json!({})).send().await.assert_problem(409, "invalid_state");
        app.as_(&second).post(&format!("/api/v1/organisations/{theirs}/bank-details/verify")).json(json!({})).send().await.assert_problem(409, "bank_details_unverified");

        assert_eq!(app.audit_actions(&second, "organisation", organisation).await, ["registered", "bank_details_changed", "bank_details_changed", "bank_details_verified"]);

        // The contacts are told of each change, without the numbers.
        let outbox = app.as_(&second).get("/api/v1/outbox?per_page=100").send().await;
        let told: Vec<&str> = outbox.json["items"].as_array().unwrap().iter().filter(|m| m["kind"] == "bank_details_changed").map(|m| m["recipient"].as_str().unwrap()).collect();
        assert_eq!(told, ["aileen@example.org", "info@example.org", "aileen@example.org", "info@example.org"], "{}", outbox.text);
        app.run_outbox().await;
        let mails = app.mails().join("\n");
        assert!(mails.contains("have changed"), "{mails}");
        for secret in [ACCOUNT, "3040", SORT_CODE, "80-22-60", "RB/1234"] {
            assert!(!mails.contains(secret), "{secret} in an email");
        }

        // Read raw, the database holds neither number in clear.
        let raw = stored_texts(&app).await;
        assert!(raw.contains("aes256gcm1:dev:"), "{raw}");
        for secret in [ACCOUNT, SORT_CODE, "80-22-60", "RB/1234"] {
            assert!(!raw.contains(secret), "{secret} stored in clear: {raw}");
        }
    }
}

db_test! {
    async fn the_database_refuses_the_same_person_as_entrant_and_verifier(app) {
        let Registered { organisation, token } = app.register("SC000001", "aileen@example.org").await;
        let entered = app.as_(&token).put(&format!("/api/v1/organisations/{organisation}/bank-details")).json(details()).send().await;
        assert_eq!(entered.status.as_u16(), 200, "{}", entered.text);
        let now = app.clock_now();
        let forged = app.state.db.run(move |conn| {
            use diesel::prelude::*;
            use grantfund::db::schema::bank_details;
            let entrant: i64 = bank_details::table.select(bank_details::entered_by).first(conn)?;
            Ok::<_, grantfund::error::ApiError>(diesel::update(bank_details::table)
                .set((bank_details::verified_by.eq(Some(entrant)), bank_details::verified_at.eq(Some(now))))
                .execute(conn))
        }).await.unwrap();
        assert!(forged.is_err(), "the CHECK constraint refuses it: {forged:?}");
        let held = app.as_(&token).get(&format!("/api/v1/organisations/{organisation}/bank-details")).send().await;
        assert_eq!(held.json["status"], "awaiting_verification");
    }
}

db_test! {
    async fn a_change_of_bank_details_holds_payments_until_a_second_person_verifies_it(backend: Backend) {
        let Some(app) = TestApp::time_travelling(backend).await else { return };
        set_day(&app, "2021-03-01");
        let panel = Panel::new(&app, 1).await;
        let Award { id: award, holder } = panel.accepted(&app, 1).await;
        let me = app.as_(&holder).get("/api/v1/me").send().await;
        let organisation = me.json["user"]["organisation_id"].as_i64().unwrap();
        let path = format!("/api/v1/organisations/{organisation}/bank-details");
        let release = format!("/api/v1/awards/{award}/instalments/2022-23/release");

        // Mandate fraud: new details entered by the organisation's account hold the next payment.
        let changed = app.as_(&holder).put(&path).json(json!({"account_name": "Someone Else", "sort_code": "11-22-33", "account_number": "99887766"})).send().await;
        assert_eq!(changed.status.as_u16(), 200, "{}", changed.text);
        set_day(&app, "2022-04-05");
        app.as_(&panel.admin).post(&release).json(json!({})).send().await.assert_problem(409, "bank_details_unverified");
        // Finance checks it: finance staff verify but never enter bank details.
        let finance = app.staff(Role::Finance).await;
        app.as_(&finance).put(&path).json(details()).send().await.assert_problem(403, "forbidden");
        let waiting = app.as_(&finance).get(&path).send().await;
        assert_eq!(waiting.json["status"], "awaiting_verification", "{}", waiting.text);
        let verified = app.as_(&finance).post(&format!("{path}/verify")).json(json!({})).send().await;
        assert_eq!(verified.status.as_u16(), 200, "{}", verified.text);
        // Past the bank check, the release now waits only for the return before it.
        app.as_(&panel.admin).post(&release).json(json!({})).send().await.assert_problem(409, "return_not_accepted");
    }
}

db_test! {
    async fn a_wrong_key_refuses_to_open_and_a_rotation_reseals_under_the_new_key(backend: Backend) {
        let Some(app) = TestApp::spawn_with(backend, |s| s.data_keys = DataKeys { current: key("2026a", 1), old: vec![] }).await else { return };
        let Registered { organisation, token } = app.register("SC000001", "aileen@example.org").await;
        let path = format!("/api/v1/organisations/{organisation}/bank-details");
        let entered = app.as_(&token).put(&path).json(details()).send().await;
        assert_eq!(entered.status.as_u16(), 200, "{}", entered.text);

        // Another key under the same id, or a key the value was not sealed with: a clear error,
        // never garbage.
        for keys in [DataKeys { current: key("2026a", 2), old: vec![] }, DataKeys { current: key("2026b", 2), old: vec![] }] {
            let wrong = app.second_instance_with(|s| s.data_keys = keys).await;
            let reply = wrong.as_(&token).get(&path).send().await;
            reply.assert_problem(500, "internal_error");
            assert!(!reply.text.contains("3040") && !reply.text.contains("2026a"), "{}", reply.text);
        }
        let stored: String = app.state.db.run(|conn| {
            use diesel::prelude::*;
            use grantfund::db::schema::bank_details;
            Ok::<_, grantfund::error::ApiError>(bank_details::table.select(bank_details::sealed).first(conn)?)
        }).await.unwrap();
        let error = Keyring::new(&DataKeys { current: key("2026a", 2), old: vec![] }).open_text(&stored).unwrap_err();
        assert!(error.to_string().contains("does not open under key \"2026a\""), "{error}");

        // Rotation: the new key seals, the old one still opens, and re-encryption moves every value.
        let rotated = DataKeys { current: key("2026b", 3), old: vec![key("2026a", 1)] };
        let after = app.second_instance_with(|s| s.data_keys = rotated.clone()).await;
        assert_eq!(after.as_(&token).get(&path).send().await.json["account_number"], "****3040");
        let keyring = std::sync::Arc::new(Keyring::new(&rotated));
        let ring = keyring.clone();
        let done = app.state.db.run(move |conn| grantfund::organisations::bank::reencrypt(conn, &ring)).await.unwrap();
        assert_eq!((done.moved, done.current), (1, 0));
        let ring = keyring.clone();
        let again = app.state.db.run(move |conn| grantfund::organisations::bank::reencrypt(conn, &ring)).await.unwrap();
        assert_eq!((again.moved, again.current), (0, 1));
        let only_new = app.second_instance_with(|s| s.data_keys = DataKeys { current: key("2026b", 3), old: vec![] }).await;
        let reply = only_new.as_(&token).get(&path).send().await;
        assert_eq!(reply.json["account_number"], "****3040", "{}", reply.text);
        let only_old = app.second_instance_with(|s| s.data_keys = DataKeys { current: key("2026a", 1), old: vec![] }).await;
        only_old.as_(&token).get(&path).send().await.assert_problem(500, "internal_error");
        let raw = stored_texts(&app).await;
        assert!(raw.contains("aes256gcm1:2026b:") && !raw.contains("aes256gcm1:2026a:"), "{raw}");
    }
}
