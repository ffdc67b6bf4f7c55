//! The national directory and the open datasets: listings kept by their organisations and
//! approved by administrators, the public directory with its filters and downloads, the
//! publication page's checksums, and the recipient's town in the 360Giving data only with the
//! organisation's consent.

use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use grantfund::domain::vocabulary::Role;

use crate::db_test;
use crate::support::*;

/// A listing of a service paid for by `award`.
fn listing(award: i64) -> Value {
    json!({
        "name": "Kirkcaldy parent and baby groups",
        "offer": "Weekly peer support groups and one-to-one befriending for new parents.",
        "audience": "Mothers, birthing parents and partners, in pregnancy and the first year.",
        "referral": "Self-refer by phone or email; health visitors can refer with consent.",
        "phone": "01592 123456",
        "email": "hello@example.org",
        "website": "https://example.org/groups",
        "towns": ["Kirkcaldy", "Glenrothes"],
        "health_boards": ["fife"],
        "support_types": ["peer_support", "befriending"],
        "target_groups": ["mothers_birthing_parents"],
        "languages": ["English", "Polish"],
        "running": true,
        "award_ids": [award]
    })
}

async fn organisation_of(app: &TestApp, token: &str) -> i64 {
    app.as_(token).get("/api/v1/me").send().await.json["user"]["organisation_id"]
        .as_i64()
        .unwrap()
}

async fn consent(app: &TestApp, token: &str, organisation: i64, listed: bool) {
    let reply = app
        .as_(token)
        .patch(&format!("/api/v1/organisations/{organisation}"))
        .json(json!({"listed_in_directory": listed}))
        .send()
        .await;
    assert_eq!(reply.status.as_u16(), 200, "{}", reply.text);
}

async fn public_ids(app: &TestApp, query: &str) -> Vec<i64> {
    let reply = app
        .anonymous()
        .get(&format!("/api/v1/directory?per_page=100&{query}"))
        .send()
        .await;
    assert_eq!(reply.status.as_u16(), 200, "{}", reply.text);
    reply.json["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["id"].as_i64().unwrap())
        .collect()
}

fn sha256(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Seeds the demo and signs in its administrator.
async fn demo_admin(app: &TestApp) -> String {
    let now = app.clock_now();
    let blobs = app.state.blobs.clone();
    let logins = app
        .state
        .db
        .run({
            let keyring = app.state.keyring.clone();
            move |conn| grantfund::tooling::demo::seed(conn, now, &keyring, &blobs)
        })
        .await
        .unwrap();
    let login = logins
        .iter()
        .find(|l| l.role == Role::Administrator)
        .unwrap()
        .clone();
    app.login(&login.email, &login.password).await.json["access_token"]
        .as_str()
        .unwrap()
        .to_owned()
}

db_test! {
    async fn organisations_keep_their_listings_and_only_approved_ones_are_public(app) {
        let panel = Panel::new(&app, 1).await;
        let Award { id: award_a, holder: a } = panel.accepted(&app, 1).await;
        let Award { id: award_b, holder: b } = panel.accepted(&app, 2).await;
        let (org_a, org_b) = (organisation_of(&app, &a).await, organisation_of(&app, &b).await);
        consent(&app, &a, org_a, true).await;
        consent(&app, &b, org_b, true).await;

        // Listed, it waits for an administrator: not public, by list or by id.
        let made = app.as_(&a).post("/api/v1/directory-services").json(listing(award_a)).send().await;
        assert_eq!(made.status.as_u16(), 201, "{}", made.text);
        assert_eq!(made.json["status"], "pending");
        let id = made.json["id"].as_i64().unwrap();
        assert!(public_ids(&app, "include=all").await.is_empty());
        app.anonymous().get(&format!("/api/v1/directory/{id}")).send().await.assert_problem(404, "not_found");

        // Another organisation neither reads nor changes it, nor lists it against its own award.
        app.as_(&b).get(&format!("/api/v1/directory-services/{id}")).send().await.assert_problem(404, "not_found");
        app.as_(&b).put(&format!("/api/v1/directory-services/{id}")).json(listing(award_b)).send().await.assert_problem(404, "not_found");
        let theirs = app.as_(&b).get("/api/v1/directory-services").send().await;
        assert_eq!(theirs.json["total"], 0, "{}", theirs.text);
        let stolen = app.as_(&b).post("/api/v1/directory-services").json(listing(award_a)).send().await;
        stolen.assert_problem(422, "validation_failed");
        assert_eq!(stolen.error_fields(), ["award_ids[0]"]);

        // Only administrators approve.
        app.as_(&a).post(&format!("/api/v1/directory-services/{id}/approve")).json(json!({})).send().await.assert_problem(403, "forbidden");
        let official = app.staff(Role::Official).await;
        app.as_(&official).post(&format!("/api/v1/directory-services/{id}/approve")).json(json!({})).send().await.assert_problem(403, "forbidden");
        app.as_(&official).get("/api/v1/directory-services").send().await.assert_problem(403, "forbidden");
        let pending = app.as_(&panel.admin).get("/api/v1/directory-services?status=pending").send().await;
        assert_eq!(pending.json["items"][0]["id"], id, "{}", pending.text);
        // An approval is of the version read: one the organisation changed since is refused.
        let stale = app.as_(&panel.admin).post(&format!("/api/v1/directory-services/{id}/approve")).json(json!({"updated_at": "2020-01-01T00:00:00Z"})).send().await;
        stale.assert_problem(409, "invalid_state");
        assert_eq!(app.as_(&a).get(&format!("/api/v1/directory-services/{id}")).send().await.json["status"], "pending");
        let approved = app.as_(&panel.admin).post(&format!("/api/v1/directory-services/{id}/approve")).json(json!({"updated_at": made.json["updated_at"]})).send().await;
        assert_eq!(approved.status.as_u16(), 200, "{}", approved.text);
        assert_eq!(approved.json["status"], "approved");

        // Public now, with what joins it to the 360Giving data.
        let entry = app.anonymous().get(&format!("/api/v1/directory/{id}")).send().await;
        assert_eq!(entry.status.as_u16(), 200, "{}", entry.text);
        let reference = app.as_(&a).get(&format!("/api/v1/awards/{award_a}")).send().await.json["reference"].as_str().unwrap().to_owned();
        assert_eq!(entry.json["charity_number"], "SC200001");
        assert_eq!(entry.json["recipient_org_id"], "GB-SC-SC200001");
        assert_eq!(entry.json["grant_ids"], json!([format!("360G-grantfund-{reference}")]));
        assert_eq!(entry.json["contact"]["phone"], "01592 123456");
        assert_eq!(entry.json["health_board_codes"], json!(["S08000029"]));
        assert_eq!(entry.json["towns"], json!(["Glenrothes", "Kirkcaldy"]));
        let grants = app.as_(&panel.admin).get(&format!("/api/v1/exports/360giving?fund_id={}", panel.fund)).send().await;
        let grant = grants.json["grants"].as_array().unwrap().iter().find(|g| g["id"] == entry.json["grant_ids"][0]).unwrap().clone();
        assert_eq!(grant["recipientOrganization"][0]["id"], entry.json["recipient_org_id"]);
        assert_eq!(public_ids(&app, "").await, [id]);

        // Sending it unchanged keeps it public; a change sends it back for approval.
        let same = app.as_(&a).put(&format!("/api/v1/directory-services/{id}")).json(listing(award_a)).send().await;
        assert_eq!(same.json["status"], "approved", "{}", same.text);
        let mut changed = listing(award_a);
        changed["phone"] = json!("01592 654321");
        let edited = app.as_(&a).put(&format!("/api/v1/directory-services/{id}")).json(&changed).send().await;
        assert_eq!(edited.json["status"], "pending", "{}", edited.text);
        assert!(public_ids(&app, "include=all").await.is_empty());
        app.as_(&panel.admin).post(&format!("/api/v1/directory-services/{id}/approve")).json(json!({"updated_at": made.json["updated_at"]})).send().await.assert_problem(409, "invalid_state");
        let again = app.as_(&panel.admin).post(&format!("/api/v1/directory-services/{id}/approve")).json(json!({"updated_at": edited.json["updated_at"]})).send().await;
        assert_eq!(again.status.as_u16(), 200, "{}", again.text);
        let entry = app.anonymous().get(&format!("/api/v1/directory/{id}")).send().await;
        assert_eq!(entry.json["contact"]["phone"], "01592 654321");
        assert_eq!(app.audit_actions(&panel.admin, "directory_service", id).await, ["created", "approved", "changed", "approved"]);

        // An organisation that withdraws its consent leaves the directory.
        consent(&app, &a, org_a, false).await;
        assert!(public_ids(&app, "include=all").await.is_empty());
        app.anonymous().get(&format!("/api/v1/directory/{id}")).send().await.assert_problem(404, "not_found");
    }
}

db_test! {
    async fn a_listing_names_every_problem_at_once(app) {
        let panel = Panel::new(&app, 1).await;
        let Award { holder: a, .. } = panel.accepted(&app, 1).await;
        let bad = json!({
            "name": " ",
            "offer": "",
            "audience": "Families",
            "referral": "",
            "phone": "12",
            "email": "not-an-email",
            "website": "ftp://example.org",
            "towns": ["1st Street", "Kirkcaldy", "kirkcaldy"],
            "health_boards": ["atlantis"],
            "support_types": [],
            "target_groups": ["infants", "infants"],
            "languages": [],
            "running": true,
            "award_ids": []
        });
        let reply = app.as_(&a).post("/api/v1/directory-services").json(&bad).send().await;
        reply.assert_problem(422, "validation_failed");
        let mut fields = reply.error_fields();
        fields.sort();
        assert_eq!(fields, [
            "award_ids", "email", "health_boards[0]", "languages", "name", "offer", "phone", "referral",
            "support_types", "target_groups[1]", "towns[0]", "towns[2]", "website",
        ], "{}", reply.text);
        // No way to contact it at all.
        let mut none = listing(1);
        for field in ["phone", "email", "website"] {
            none.as_object_mut().unwrap().remove(field);
        }
        let reply = app.as_(&a).post("/api/v1/directory-services").json(&none).send().await;
        reply.assert_problem(422, "validation_failed");
        assert_eq!(reply.error_fields(), ["phone"]);
        let listings = app.as_(&a).get("/api/v1/directory-services").send().await;
        assert_eq!(listings.json["total"], 0, "nothing was stored");
    }
}

db_test! {
    async fn the_public_directory_searches_and_filters_running_services(app) {
        let admin = demo_admin(&app).await;
        let all = app.anonymous().get("/api/v1/directory?per_page=100&include=all").send().await;
        let all = all.json["items"].as_array().unwrap().clone();
        let running = app.anonymous().get("/api/v1/directory?per_page=100").send().await;
        assert_eq!(running.status.as_u16(), 200, "{}", running.text);
        let running = running.json["items"].as_array().unwrap().clone();
        assert!(running.len() >= 5, "{}", running.len());
        assert!(running.iter().all(|e| e["running"] == true), "running services only by default");
        assert!(all.iter().any(|e| e["running"] == false), "the demo has one that is not running");
        assert_eq!(all.len(), running.len() + 1);

        // Pending listings are never public.
        let pending = app.as_(&admin).get("/api/v1/directory-services?status=pending").send().await;
        let pending: Vec<i64> = pending.json["items"].as_array().unwrap().iter().map(|l| l["id"].as_i64().unwrap()).collect();
        assert!(!pending.is_empty());
        assert!(all.iter().all(|e| !pending.contains(&e["id"].as_i64().unwrap())));
        for id in &pending {
            app.anonymous().get(&format!("/api/v1/directory/{id}")).send().await.assert_problem(404, "not_found");
        }

        // A board by its code, its GSS code or its name.
        let board = running[0]["health_boards"][0].as_str().unwrap().to_owned();
        let code = running[0]["health_board_codes"][0].as_str().unwrap().to_owned();
        let name = grantfund::domain::vocabulary::HealthBoard::find(&board).unwrap().name();
        let by_code = public_ids(&app, &format!("health_board={board}")).await;
        assert!(!by_code.is_empty());
        assert_eq!(public_ids(&app, &format!("health_board={code}")).await, by_code);
        assert_eq!(public_ids(&app, &format!("health_board={}", name.replace(' ', "+"))).await, by_code);
        let expected: Vec<i64> = running.iter().filter(|e| e["health_boards"].as_array().unwrap().iter().any(|b| b == board.as_str())).map(|e| e["id"].as_i64().unwrap()).collect();
        assert_eq!(by_code, expected);
        app.anonymous().get("/api/v1/directory?health_board=atlantis").send().await.assert_problem(400, "invalid_query");

        // A kind of support and a group.
        for (param, key) in [("support_type", "support_types"), ("target_group", "target_groups")] {
            let value = running[0][key][0].as_str().unwrap().to_owned();
            let found = public_ids(&app, &format!("{param}={value}")).await;
            let expected: Vec<i64> = running.iter().filter(|e| e[key].as_array().unwrap().iter().any(|v| v == value.as_str())).map(|e| e["id"].as_i64().unwrap()).collect();
            assert!(!found.is_empty());
            assert_eq!(found, expected, "{param}={value}");
        }

        // Words: a town, in any case, with a second word; and words nothing has.
        let town = running.iter().find_map(|e| e["towns"][0].as_str()).unwrap().to_owned();
        let found = public_ids(&app, &format!("q={}", town.to_uppercase())).await;
        let expected: Vec<i64> = running.iter().filter(|e| {
            let text = e.to_string().to_lowercase();
            text.contains(&town.to_lowercase())
        }).map(|e| e["id"].as_i64().unwrap()).collect();
        assert!(!found.is_empty());
        assert!(found.iter().all(|id| expected.contains(id)), "{found:?} {expected:?}");
        assert_eq!(public_ids(&app, &format!("q={town}+nowhere-at-all")).await, Vec::<i64>::new());
        assert_eq!(public_ids(&app, "q=%25").await, Vec::<i64>::new(), "a wildcard is a character like any other");
        let english = public_ids(&app, "q=english").await;
        assert_eq!(english.len(), running.len());
    }
}

db_test! {
    async fn every_open_dataset_is_downloadable_with_its_checksum_and_licence(app) {
        let admin = demo_admin(&app).await;
        let listed = app.anonymous().get("/api/v1/open-data").send().await;
        assert_eq!(listed.status.as_u16(), 200, "{}", listed.text);
        let datasets = listed.json.as_array().unwrap().clone();
        let urls: Vec<&str> = datasets.iter().map(|d| d["url"].as_str().unwrap()).collect();
        assert_eq!(urls, [
            "/api/v1/open-data/funds/1/360giving.json", "/api/v1/open-data/funds/1/360giving.csv",
            "/api/v1/open-data/funds/1/summary.csv", "/api/v1/open-data/funds/1/summary.json",
            "/api/v1/open-data/funds/1/reach.csv", "/api/v1/open-data/funds/1/reach.json",
            "/api/v1/open-data/funds/1/feedback.csv", "/api/v1/open-data/funds/1/feedback.json",
            "/api/v1/directory.csv", "/api/v1/directory.json",
        ]);
        let page = app.anonymous().get("/open-data").send().await;
        assert_eq!(page.status.as_u16(), 200);
        for dataset in &datasets {
            let url = dataset["url"].as_str().unwrap();
            let download = app.anonymous().get(url).send().await;
            assert_eq!(download.status.as_u16(), 200, "{url}: {}", download.text);
            assert_eq!(dataset["sha256"].as_str().unwrap(), sha256(download.text.as_bytes()), "{url}");
            assert_eq!(dataset["bytes"].as_u64().unwrap() as usize, download.text.len(), "{url}");
            assert_eq!(dataset["licence"]["name"], "Open Government Licence v3.0");
            assert!(dataset["last_updated"].is_string(), "{dataset}");
            let link = download.header("link").unwrap_or_default();
            assert!(link.contains("open-government-licence/version/3") && link.contains("rel=\"license\""), "{url}: {link}");
            // The page shows the same checksum as the listing, beside the same link.
            assert!(page.text.contains(&format!("data-sha256=\"{}\"", dataset["sha256"].as_str().unwrap())), "{url}");
            assert!(page.text.contains(&format!("href=\"{url}\"")), "{url}");
        }
        assert!(page.text.contains("Open Government Licence v3.0"));
        assert!(!page.text.contains("/reports/funds/"), "the officials' reports are not open data");

        // The public 360Giving download is the officials' export, byte for byte.
        let public = app.anonymous().get("/api/v1/open-data/funds/1/360giving.json").send().await;
        let export = app.as_(&admin).get("/api/v1/exports/360giving?fund_id=1").send().await;
        assert_eq!(public.text, export.text);
        let public_csv = app.anonymous().get("/api/v1/open-data/funds/1/360giving.csv").send().await;
        let export_csv = app.as_(&admin).get("/api/v1/exports/360giving.csv?fund_id=1").send().await;
        assert_eq!(public_csv.text, export_csv.text);
        app.anonymous().get("/api/v1/open-data/funds/999/360giving.json").send().await.assert_problem(404, "not_found");

        // The summary figures are the officials' figures over every year, feedback suppressed
        // the same way; a split by board or group is not published.
        for figures in ["summary", "reach", "feedback"] {
            let public = app.anonymous().get(&format!("/api/v1/open-data/funds/1/{figures}.json")).send().await;
            let official = app.as_(&admin).get(&format!("/api/v1/reports/funds/1/{figures}")).send().await;
            assert_eq!(public.status.as_u16(), 200, "{figures}: {}", public.text);
            assert_eq!(public.json, official.json, "{figures}");
            let public_csv = app.anonymous().get(&format!("/api/v1/open-data/funds/1/{figures}.csv")).send().await;
            let official_csv = app.as_(&admin).get(&format!("/api/v1/reports/funds/1/{figures}.csv")).send().await;
            assert_eq!(public_csv.text, official_csv.text, "{figures}");
            app.anonymous().get(&format!("/api/v1/open-data/funds/999/{figures}.json")).send().await.assert_problem(404, "not_found");
        }
        let summary = app.anonymous().get("/api/v1/open-data/funds/1/summary.json").send().await;
        assert!(summary.json["total"]["committed"].as_str().unwrap() != "0.00", "{}", summary.text);
        let feedback = app.anonymous().get("/api/v1/open-data/funds/1/feedback.json").send().await;
        let groups = feedback.json["by_health_board"].as_array().unwrap();
        assert!(groups.iter().all(|g| g["suppressed"] == true || g["responses"].as_i64().unwrap() >= 5), "{}", feedback.text);
        let split = app.anonymous().get("/api/v1/open-data/funds/1/by-health-board.json").send().await;
        assert_eq!(split.status.as_u16(), 404, "{}", split.text);
        let split = app.anonymous().get("/api/v1/open-data/funds/1/by-health-board.csv").send().await;
        assert_eq!(split.status.as_u16(), 404, "{}", split.text);

        // The directory's downloads hold every public service, running or not.
        let all = app.anonymous().get("/api/v1/directory?per_page=100&include=all").send().await;
        let json = app.anonymous().get("/api/v1/directory.json").send().await;
        assert_eq!(json.json["licence"]["url"], "https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/");
        assert_eq!(json.json["services"], all.json["items"]);
        let csv = app.anonymous().get("/api/v1/directory.csv").send().await;
        assert!(csv.header("content-type").unwrap().starts_with("text/csv"));
        let mut reader = csv::Reader::from_reader(csv.text.as_bytes());
        let headers = reader.headers().unwrap().clone();
        assert!(headers.iter().any(|h| h == "grant_ids") && headers.iter().any(|h| h == "charity_number"));
        assert_eq!(reader.records().count(), all.json["total"].as_u64().unwrap() as usize);

        // A change to the directory moves its checksum and its last update.
        let pending = app.as_(&admin).get("/api/v1/directory-services?status=pending").send().await;
        let id = pending.json["items"][0]["id"].as_i64().unwrap();
        let read = pending.json["items"][0]["updated_at"].clone();
        let approved = app.as_(&admin).post(&format!("/api/v1/directory-services/{id}/approve")).json(json!({"updated_at": read})).send().await;
        assert_eq!(approved.status.as_u16(), 200, "{}", approved.text);
        let approved_at = approved.json["approved_at"].as_str().unwrap().to_owned();
        let again = app.anonymous().get("/api/v1/open-data").send().await;
        let after = again.json.as_array().unwrap().iter().find(|d| d["url"] == "/api/v1/directory.csv").unwrap().clone();
        let before = datasets.iter().find(|d| d["url"] == "/api/v1/directory.csv").unwrap();
        assert_ne!(after["sha256"], before["sha256"]);
        assert_ne!(after["last_updated"], before["last_updated"]);
        let moved = chrono::DateTime::parse_from_rfc3339(after["last_updated"].as_str().unwrap()).unwrap();
        assert_eq!(moved, chrono::DateTime::parse_from_rfc3339(&approved_at).unwrap(), "{after}");
    }
}

db_test! {
    async fn the_recipients_town_is_published_only_with_consent(app) {
        let panel = Panel::new(&app, 1).await;
        let Award { holder: a, .. } = panel.accepted(&app, 1).await;
        let Award { holder: b, .. } = panel.accepted(&app, 2).await;
        let org_a = organisation_of(&app, &a).await;
        let set = app.as_(&a).put(&format!("/api/v1/organisations/{org_a}/address")).json(json!({"town": " Kirkcaldy "})).send().await;
        assert_eq!(set.status.as_u16(), 200, "{}", set.text);
        assert_eq!(set.json["town"], "Kirkcaldy");
        app.as_(&b).put(&format!("/api/v1/organisations/{org_a}/address")).json(json!({"town": "Elsewhere"})).send().await.assert_problem(404, "not_found");
        app.as_(&b).get(&format!("/api/v1/organisations/{org_a}/address")).send().await.assert_problem(404, "not_found");
        let bad = app.as_(&a).put(&format!("/api/v1/organisations/{org_a}/address")).json(json!({"town": "42nd Street"})).send().await;
        bad.assert_problem(422, "validation_failed");
        assert_eq!(bad.error_fields(), ["town"]);

        let recipient = |export: &Value| -> Value {
            export["grants"].as_array().unwrap().iter()
                .map(|g| g["recipientOrganization"][0].clone())
                .find(|r| r["charityNumber"] == "SC200001").unwrap()
        };
        let export_path = format!("/api/v1/open-data/funds/{}/360giving.json", panel.fund);
        let csv_path = format!("/api/v1/open-data/funds/{}/360giving.csv", panel.fund);
        let city = |csv: &str| -> Vec<String> {
            let mut reader = csv::Reader::from_reader(csv.as_bytes());
            let at = reader.headers().unwrap().iter().position(|h| h == "Recipient Org:City").expect("a City column");
            reader.records().map(|r| r.unwrap()[at].to_owned()).collect()
        };
        // Not agreed to be public: neither town nor postcode.
        let hidden = app.anonymous().get(&export_path).send().await;
        let org = recipient(&hidden.json);
        assert!(org.get("addressLocality").is_none() && org.get("postalCode").is_none(), "{org}");
        assert!(city(&app.anonymous().get(&csv_path).send().await.text).iter().all(String::is_empty));

        consent(&app, &a, org_a, true).await;
        let shown = app.anonymous().get(&export_path).send().await;
        let org = recipient(&shown.json);
        assert_eq!(org["addressLocality"], "Kirkcaldy");
        assert_eq!(org["postalCode"], "KY1 1XX");
        let cities = city(&app.anonymous().get(&csv_path).send().await.text);
        assert!(cities.contains(&"Kirkcaldy".to_owned()) && cities.contains(&String::new()), "{cities:?}");

        // Removing the town removes it from the data; the change is audited.
        let cleared = app.as_(&a).put(&format!("/api/v1/organisations/{org_a}/address")).json(json!({"town": null})).send().await;
        assert_eq!(cleared.json["town"], Value::Null, "{}", cleared.text);
        let org = recipient(&app.anonymous().get(&export_path).send().await.json);
        assert!(org.get("addressLocality").is_none());
        assert_eq!(app.audit_actions(&panel.admin, "organisation", org_a).await.iter().filter(|a| *a == "address_changed").count(), 2);
    }
}

db_test! {
    async fn a_family_on_a_phone_finds_a_running_service_and_how_to_contact_it(app) {
        let admin = demo_admin(&app).await;
        // The filters are a form that works without JavaScript; the board may be named by its GSS code.
        let page = app.anonymous().get("/directory?health_board=S08000029&q=&support_type=&target_group=").send().await;
        assert_eq!(page.status.as_u16(), 200, "{}", page.text);
        let html = &page.text;
        assert!(html.contains(r#"<meta name="viewport" content="width=device-width, initial-scale=1, viewport-fit=cover">"#));
        assert!(html.contains(r#"<form method="get" action="/directory""#));
        assert!(html.contains(r#"<option value="fife" selected>"#), "{html}");
        assert!(html.contains(r#"<input class="govuk-input" id="q" name="q" type="search""#));
        assert!(html.contains("href=\"tel:") && html.contains("href=\"mailto:"), "contact links a phone can follow");
        assert!(html.contains("href=\"/open-data\""), "the open data is linked from every public page");
        assert!(!html.contains("Not running now"), "running services only by default");
        let fife = public_ids(&app, "health_board=fife").await;
        assert!(!fife.is_empty());
        assert!(html.contains(&format!("{} service", fife.len())));
        let all = app.anonymous().get("/directory?include=all").send().await;
        assert!(all.text.contains("Not running now"));

        // Each service has its page: how to refer, and how to get in touch.
        let detail = app.anonymous().get(&format!("/directory/{}", fife[0])).send().await;
        assert_eq!(detail.status.as_u16(), 200);
        assert!(detail.text.contains("How to refer") && detail.text.contains("href=\"tel:"), "{}", detail.text);
        assert!(detail.text.contains("360G-grantfund-"), "the grant that funds it");
        let pending = app.as_(&admin).get("/api/v1/directory-services?status=pending").send().await;
        let id = pending.json["items"][0]["id"].as_i64().unwrap();
        let hidden = app.anonymous().get(&format!("/directory/{id}")).header("accept", "text/html").send().await;
        assert_eq!(hidden.status.as_u16(), 404);
        assert!(app.anonymous().get("/directory").send().await.text.contains("Open Government Licence v3.0"));
    }
}
