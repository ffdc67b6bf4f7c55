//! Documents: a charity uploads its due-diligence papers and a budget, submits, and an
//! administrator downloads them; a round's required documents are checked with every other rule
//! at submission; documents of a submitted application are locked; nothing of another
//! organisation's is visible; the store going away answers 503 and changes nothing; the sweep
//! and retention leave no blob behind.

use serde_json::{Value, json};

use grantfund::domain::vocabulary::Role;

use crate::db_test;
use crate::support::*;

pub const PDF: &[u8] =
    b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n";

/// Uploads `bytes` as `name` with these fields to `path` (under `/api/v1`).
pub async fn upload(
    app: &TestApp,
    token: &str,
    path: &str,
    fields: &[(&str, &str)],
    name: &str,
    bytes: &[u8],
) -> Reply {
    app.as_(token)
        .post(&format!("/api/v1{path}"))
        .multipart(fields, Some((name, bytes)))
        .send()
        .await
}

async fn names(app: &TestApp, token: &str, path: &str) -> Vec<String> {
    let reply = app.as_(token).get(&format!("/api/v1{path}")).send().await;
    assert_eq!(reply.status.as_u16(), 200, "{}", reply.text);
    reply.json["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["name"].as_str().unwrap().to_owned())
        .collect()
}

async fn blob_count(app: &TestApp) -> usize {
    app.state.blobs.list().await.unwrap().len()
}

db_test! {
    async fn a_charity_uploads_its_papers_and_a_budget_submits_and_the_administrator_downloads_them(app) {
        let OpenRound { admin, round, .. } = app.open_round().await;
        let Registered { organisation, token } = app.register("SC000101", "papers@example.org").await;

        // Due diligence: accounts with their period end, a constitution.
        let accounts = upload(&app, &token, &format!("/organisations/{organisation}/documents"),
            &[("kind", "annual_accounts"), ("period_end", "2020-03-31")], "Accounts 2019-20.pdf", PDF).await;
        assert_eq!(accounts.status.as_u16(), 201, "{}", accounts.text);
        assert_eq!(accounts.json["media_type"], "application/pdf");
        assert_eq!(accounts.json["period_end"], "2020-03-31");
        assert_eq!(accounts.json["size_bytes"], PDF.len());
        let constitution = upload(&app, &token, &format!("/organisations/{organisation}/documents"),
            &[("kind", "constitution")], "constitution.txt", b"Article 1. The name of the charity.").await;
        assert_eq!(constitution.status.as_u16(), 201, "{}", constitution.text);
        assert_eq!(constitution.json["media_type"], "text/plain");

        // Accounts must say the period they cover; a kind must be one the owner carries.
        let missing = upload(&app, &token, &format!("/organisations/{organisation}/documents"),
            &[("kind", "annual_accounts")], "a.pdf", PDF).await;
        missing.assert_problem(422, "validation_failed");
        assert_eq!(missing.error_fields(), ["period_end"]);
        let wrong = upload(&app, &token, &format!("/organisations/{organisation}/documents"),
            &[("kind", "budget"), ("period_end", "31/03/2020")], "a.pdf", PDF).await;
        assert_eq!(wrong.error_fields(), ["kind", "period_end"], "every field at once");

        // The administrator sees the accounts are more than 18 months old (the test clock is now).
        let listed = app.as_(&admin).get(&format!("/api/v1/organisations/{organisation}/documents")).send().await;
        assert_eq!(listed.json["items"].as_array().unwrap().len(), 2);
        assert_eq!(listed.json["accounts_period_end"], "2020-03-31");
        assert_eq!(listed.json["accounts_out_of_date"], true);
        let own = app.as_(&token).get(&format!("/api/v1/organisations/{organisation}/documents")).send().await;
        assert_eq!(own.json["accounts_out_of_date"], Value::Null, "only administrators are told");

        // The round requires a budget: submitting without one fails with the other rules at once.
        let set = app.as_(&admin).put(&format!("/api/v1/rounds/{round}/required-documents")).json(json!({"kinds": ["budget"]})).send().await;
        assert_eq!(set.status.as_u16(), 200, "{}", set.text);
        assert_eq!(set.json["kinds"], json!(["budget"]));
        let required = app.anonymous().get(&format!("/api/v1/rounds/{round}/required-documents")).send().await;
        assert_eq!(required.json["kinds"], json!(["budget"]));
        let mut body = application_body();
        body["requested"] = json!({"2021-22": "90000.00", "2022-23": "42000.00"});
        let application = app.draft(&token, round, body).await;
        let refused = app.as_(&token).post(&format!("/api/v1/applications/{application}/submit")).json(json!({})).send().await;
        refused.assert_problem(422, "validation_failed");
        let fields = refused.error_fields();
        assert!(fields.contains(&"documents.budget".to_owned()), "{fields:?}");
        assert!(fields.len() > 1, "the other rules are reported with it: {fields:?}");
        let missing = app.as_(&token).get(&format!("/api/v1/applications/{application}/documents")).send().await;
        assert_eq!(missing.json["missing_kinds"], json!(["budget"]));

        let patched = app.as_(&token).patch(&format!("/api/v1/applications/{application}")).json(application_body()).send().await;
        assert_eq!(patched.status.as_u16(), 200, "{}", patched.text);
        let budget = upload(&app, &token, &format!("/applications/{application}/documents"),
            &[("kind", "budget")], "Budget.csv", b"line,amount\nstaff,30000.00\nvenue,10000.00\n").await;
        assert_eq!(budget.status.as_u16(), 201, "{}", budget.text);
        assert_eq!(budget.json["media_type"], "text/csv");
        let submitted = app.as_(&token).post(&format!("/api/v1/applications/{application}/submit")).json(json!({})).send().await;
        assert_eq!(submitted.status.as_u16(), 200, "{}", submitted.text);

        // Submitted: its documents can no longer be added to, replaced or deleted.
        let late = upload(&app, &token, &format!("/applications/{application}/documents"),
            &[("kind", "other")], "late.pdf", PDF).await;
        late.assert_problem(409, "document_locked");
        let budget_id = budget.json["id"].as_i64().unwrap();
        app.as_(&token).delete(&format!("/api/v1/documents/{budget_id}")).send().await.assert_problem(409, "document_locked");

        // The application's answer lists its documents.
        let read = app.as_(&admin).get(&format!("/api/v1/applications/{application}")).send().await;
        assert_eq!(read.json["documents"][0]["name"], "Budget.csv", "{}", read.text);
        let listed = app.as_(&admin).get("/api/v1/applications?per_page=100").send().await;
        assert!(listed.json["items"][0].get("documents").is_none(), "lists leave them out");

        // The administrator downloads the budget: an attachment, never shown from our origin.
        let download = app.as_(&admin).get(&format!("/api/v1/documents/{budget_id}/content")).send().await;
        assert_eq!(download.status.as_u16(), 200, "{}", download.text);
        assert_eq!(download.bytes, b"line,amount\nstaff,30000.00\nvenue,10000.00\n");
        assert_eq!(download.header("content-type").as_deref(), Some("text/csv; charset=utf-8"));
        assert_eq!(download.header("content-disposition").as_deref(), Some("attachment; filename=\"Budget.csv\"; filename*=UTF-8''Budget.csv"));
        assert_eq!(download.header("x-content-type-options").as_deref(), Some("nosniff"));
        assert_eq!(download.header("content-security-policy").as_deref(), Some("default-src 'none'; sandbox"));
        let accounts_id = accounts.json["id"].as_i64().unwrap();
        let download = app.as_(&admin).get(&format!("/api/v1/documents/{accounts_id}/content")).send().await;
        assert_eq!(download.bytes, PDF);
        assert_eq!(download.header("content-type").as_deref(), Some("application/pdf"));

        // The same bytes twice are one blob.
        let again = upload(&app, &token, &format!("/organisations/{organisation}/documents"),
            &[("kind", "safeguarding_policy")], "policy.pdf", PDF).await;
        assert_eq!(again.json["sha256"], accounts.json["sha256"]);
        assert_eq!(blob_count(&app).await, 3);

        // Every upload and removal is in the audit trail.
        assert_eq!(app.audit_actions(&admin, "document", budget_id).await.len(), 1);
    }
}

db_test! {
    async fn nobody_else_reaches_an_organisations_documents_and_officials_none(app) {
        let Registered { organisation, token } = app.register("SC000102", "own@example.org").await;
        let Registered { organisation: theirs, token: other } = app.register("SC000103", "other@example.org").await;
        let doc = upload(&app, &token, &format!("/organisations/{organisation}/documents"),
            &[("kind", "constitution")], "c.pdf", PDF).await;
        let id = doc.json["id"].as_i64().unwrap();
        let official = app.staff(Role::Official).await;
        let assessor = app.staff(Role::Assessor).await;

        for path in [format!("/api/v1/documents/{id}"), format!("/api/v1/documents/{id}/content"), format!("/api/v1/organisations/{organisation}/documents")] {
            app.as_(&other).get(&path).send().await.assert_problem(404, "not_found");
            app.as_(&assessor).get(&path).send().await.assert_problem(404, "not_found");
            app.as_(&official).get(&path).send().await.assert_problem(403, "forbidden");
        }
        // The same 404 as for a document that does not exist.
        let absent = app.as_(&other).get("/api/v1/documents/999999/content").send().await;
        let hidden = app.as_(&other).get(&format!("/api/v1/documents/{id}/content")).send().await;
        assert_eq!(absent.text, hidden.text);
        app.as_(&other).delete(&format!("/api/v1/documents/{id}")).send().await.assert_problem(404, "not_found");
        let into = upload(&app, &other, &format!("/organisations/{organisation}/documents"), &[("kind", "constitution")], "c.pdf", PDF).await;
        into.assert_problem(404, "not_found");
        assert_eq!(names(&app, &token, &format!("/organisations/{organisation}/documents")).await, ["c.pdf"]);
        assert!(names(&app, &other, &format!("/organisations/{theirs}/documents")).await.is_empty());

        // Its own applicant deletes it.
        let deleted = app.as_(&token).delete(&format!("/api/v1/documents/{id}")).send().await;
        assert_eq!(deleted.status.as_u16(), 204, "{}", deleted.text);
        assert!(names(&app, &token, &format!("/organisations/{organisation}/documents")).await.is_empty());
    }
}

db_test! {
    async fn returns_and_accepted_awards_carry_documents_until_they_close(backend: Backend) {
        let Some(app) = TestApp::time_travelling(backend).await else { return };
        set_day(&app, "2021-03-01");
        let panel = Panel::with_frequency(&app, 1, "annual").await;
        let Award { id: award, holder } = panel.accepted(&app, 1).await;
        let agreement = upload(&app, &holder, &format!("/awards/{award}/documents"), &[("kind", "signed_agreement")], "Grant agreement (signed).pdf", PDF).await;
        assert_eq!(agreement.status.as_u16(), 201, "{}", agreement.text);
        let wrong = upload(&app, &holder, &format!("/awards/{award}/documents"), &[("kind", "budget")], "b.pdf", PDF).await;
        assert_eq!(wrong.error_fields(), ["kind"]);
        assert_eq!(names(&app, &panel.admin, &format!("/awards/{award}/documents")).await, ["Grant agreement (signed).pdf"]);
        let read = app.as_(&holder).get(&format!("/api/v1/awards/{award}")).send().await;
        assert_eq!(read.json["documents"][0]["kind"], "signed_agreement", "{}", read.text);
        let official = app.staff(Role::Official).await;
        let read = app.as_(&official).get(&format!("/api/v1/awards/{award}")).send().await;
        assert_eq!(read.status.as_u16(), 200, "{}", read.text);
        assert!(read.json.get("documents").is_none(), "officials read no documents");

        let returns = app.as_(&holder).get(&format!("/api/v1/awards/{award}/returns")).send().await;
        let first = returns.json["items"][0]["id"].as_i64().unwrap();
        let evidence = upload(&app, &holder, &format!("/returns/{first}/documents"), &[("kind", "evidence")], "register.csv", b"session,attended\n1,12\n").await;
        assert_eq!(evidence.status.as_u16(), 201, "{}", evidence.text);
        assert_eq!(names(&app, &panel.admin, &format!("/returns/{first}/documents")).await, ["register.csv"]);
        let read = app.as_(&panel.admin).get(&format!("/api/v1/returns/{first}")).send().await;
        assert_eq!(read.json["documents"][0]["name"], "register.csv", "{}", read.text);

        // Once submitted, the return's documents are locked.
        set_day(&app, "2022-04-05");
        let filled = app.as_(&holder).patch(&format!("/api/v1/returns/{first}")).json(json!({
            "spend": "37000.00",
            "reached": {"women": 70, "partners": 12, "infants": 60, "kinship_carers": 2, "families": 75, "new": 50, "continuing": 25},
            "sessions": 48, "peer_supporters": 6, "volunteers": 9,
            "outcomes": "Mothers report feeling less isolated.",
            "case_study": "A young mother now co-facilitates the Tuesday group.",
            "challenges": "Venue costs rose."
        })).send().await;
        assert_eq!(filled.status.as_u16(), 200, "{}", filled.text);
        let submitted = app.as_(&holder).post(&format!("/api/v1/returns/{first}/submit")).json(json!({})).send().await;
        assert_eq!(submitted.status.as_u16(), 200, "{}", submitted.text);
        let late = upload(&app, &holder, &format!("/returns/{first}/documents"), &[("kind", "evidence")], "late.pdf", PDF).await;
        late.assert_problem(409, "document_locked");
        let evidence_id = evidence.json["id"].as_i64().unwrap();
        app.as_(&holder).delete(&format!("/api/v1/documents/{evidence_id}")).send().await.assert_problem(409, "document_locked");
    }
}

db_test! {
    async fn the_store_going_away_answers_503_and_changes_nothing(app) {
        let Registered { organisation, token } = app.register("SC000104", "store@example.org").await;
        let path = format!("/organisations/{organisation}/documents");
        let kept = upload(&app, &token, &path, &[("kind", "constitution")], "kept.pdf", PDF).await;
        assert_eq!(kept.status.as_u16(), 201, "{}", kept.text);
        let kept_id = kept.json["id"].as_i64().unwrap();

        // The store's folder becomes a file: nothing can be written or read there.
        let folder = app.mail_dir.path().join("documents");
        let moved = app.mail_dir.path().join("documents-away");
        std::fs::rename(&folder, &moved).unwrap();
        std::fs::write(&folder, b"not a folder").unwrap();

        let refused = upload(&app, &token, &path, &[("kind", "safeguarding_policy")], "policy.pdf", b"%PDF-1.4 another").await;
        refused.assert_problem(503, "storage_unavailable");
        assert_eq!(refused.header("retry-after").as_deref(), Some("5"));
        assert_eq!(names(&app, &token, &path).await, ["kept.pdf"], "no row without its blob");
        let unreadable = app.as_(&token).get(&format!("/api/v1/documents/{kept_id}/content")).send().await;
        unreadable.assert_problem(503, "storage_unavailable");

        // Back again: the document is whole.
        std::fs::remove_file(&folder).unwrap();
        std::fs::rename(&moved, &folder).unwrap();
        let read = app.as_(&token).get(&format!("/api/v1/documents/{kept_id}/content")).send().await;
        assert_eq!(read.bytes, PDF);
    }
}

db_test! {
    async fn the_sweep_removes_only_blobs_no_row_has_named_for_a_day(app) {
        let Registered { organisation, token } = app.register("SC000105", "sweep@example.org").await;
        let path = format!("/organisations/{organisation}/documents");
        let kept = upload(&app, &token, &path, &[("kind", "constitution")], "kept.pdf", PDF).await;
        let gone = upload(&app, &token, &path, &[("kind", "safeguarding_policy")], "gone.pdf", b"%PDF-1.4 gone").await;
        let gone_id = gone.json["id"].as_i64().unwrap();
        assert_eq!(app.as_(&token).delete(&format!("/api/v1/documents/{gone_id}")).send().await.status.as_u16(), 204);
        assert_eq!(blob_count(&app).await, 2);

        let sweep = |hours: i64| {
            let (db, blobs) = (app.state.db.clone(), app.state.blobs.clone());
            async move {
                grantfund::documents::sweep::sweep(&db, &blobs, chrono::Utc::now() + chrono::Duration::hours(hours)).await.unwrap()
            }
        };
        // Within the day, nothing goes: a blob may be waiting for its row.
        assert_eq!(sweep(0).await.blobs_removed, 0);
        let report = sweep(25).await;
        assert_eq!((report.blobs_removed, report.blobs_kept), (1, 1));
        assert_eq!(blob_count(&app).await, 1);
        let kept_id = kept.json["id"].as_i64().unwrap();
        assert_eq!(app.as_(&token).get(&format!("/api/v1/documents/{kept_id}/content")).send().await.bytes, PDF);
    }
}

db_test! {
    async fn retention_deletes_the_documents_of_withdrawn_applications_with_their_blobs(backend: Backend) {
        let Some(app) = TestApp::time_travelling(backend).await else { return };
        let OpenRound { admin, round, .. } = app.open_round().await;
        let Registered { token, .. } = app.register("SC000106", "retained@example.org").await;
        let application = app.draft(&token, round, application_body()).await;
        let budget = upload(&app, &token, &format!("/applications/{application}/documents"), &[("kind", "budget")], "budget.pdf", b"%PDF-1.4 budget to forget").await;
        assert_eq!(budget.status.as_u16(), 201, "{}", budget.text);
        let withdrawn = app.as_(&token).post(&format!("/api/v1/applications/{application}/withdraw")).json(json!({})).send().await;
        assert_eq!(withdrawn.status.as_u16(), 200, "{}", withdrawn.text);

        // The round closes in 30 days; retention keeps content 24 months after that.
        app.clock.advance(chrono::Duration::days(30 + 2 * 366 + 5));
        let now = app.clock_now();
        let report = app.state.db.run(move |conn| grantfund::retention::run_once(conn, now, grantfund::retention::Periods { applications: 24, stays: 24 })).await.unwrap();
        assert_eq!((report.applications_anonymised, report.documents_removed), (1, 1));
        let removed = grantfund::retention::forget_blobs(&app.state.db, &app.state.blobs, &report).await;
        assert_eq!(removed, 1);
        assert_eq!(blob_count(&app).await, 0);
        let listed = app.as_(&admin).get(&format!("/api/v1/applications/{application}/documents")).send().await;
        assert_eq!(listed.json["items"], json!([]));
        let budget_id = budget.json["id"].as_i64().unwrap();
        app.as_(&admin).get(&format!("/api/v1/documents/{budget_id}/content")).send().await.assert_problem(404, "not_found");
    }
}

/// An S3-compatible server of its own for one test: `moto_server` from the path in
/// `TEST_MOTO_SERVER` (CI installs `moto[server]` and sets it), on a free port, stopped when
/// dropped. Without the variable the S3 tests pass without running.
struct Moto {
    child: Option<std::process::Child>,
    endpoint: String,
}

impl Moto {
    async fn start() -> Option<Moto> {
        let program = std::env::var("TEST_MOTO_SERVER")
            .ok()
            .filter(|p| !p.is_empty())?;
        let port = free_port();
        let mut child = std::process::Command::new(program)
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("moto_server starts");
        let endpoint = format!("http://127.0.0.1:{port}");
        let client = awc::Client::default();
        for _ in 0..100 {
            if client.get(format!("{endpoint}/")).send().await.is_ok() {
                return Some(Moto {
                    child: Some(child),
                    endpoint,
                });
            }
            actix_web::rt::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        let _ = child.kill();
        let _ = child.wait();
        panic!("moto_server did not answer on {endpoint}");
    }

    /// Creates a bucket (the moto server takes an unsigned request).
    async fn bucket(&self, name: &str) {
        let reply = awc::Client::default()
            .put(format!("{}/{name}", self.endpoint))
            .send()
            .await
            .expect("bucket request");
        assert!(
            reply.status().is_success(),
            "bucket {name}: {}",
            reply.status()
        );
    }

    fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        self.stop();
    }
}

db_test! {
    async fn on_s3_a_charity_uploads_submits_an_administrator_downloads_and_the_store_going_away_changes_nothing(backend: Backend) {
        let Some(mut moto) = Moto::start().await else { return };
        // The store reads its credentials from the environment; moto accepts any.
        if std::env::var("AWS_ACCESS_KEY_ID").is_err() || std::env::var("AWS_SECRET_ACCESS_KEY").is_err() {
            eprintln!("AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY must be set for the S3 test");
            return;
        }
        let bucket = format!("grantfund-{}", uuid::Uuid::new_v4().simple());
        moto.bucket(&bucket).await;
        let endpoint = moto.endpoint.clone();
        let Some(app) = TestApp::spawn_with(backend, |s| {
            s.storage_url = format!("s3://{bucket}");
            s.storage_endpoint = Some(endpoint);
            s.storage_region = Some("us-east-1".to_owned());
        }).await else { return };

        let OpenRound { admin, round, .. } = app.open_round().await;
        let Registered { organisation, token } = app.register("SC000301", "s3@example.org").await;
        let accounts = upload(&app, &token, &format!("/organisations/{organisation}/documents"),
            &[("kind", "annual_accounts"), ("period_end", "2024-03-31")], "accounts.pdf", PDF).await;
        assert_eq!(accounts.status.as_u16(), 201, "{}", accounts.text);
        let set = app.as_(&admin).put(&format!("/api/v1/rounds/{round}/required-documents")).json(json!({"kinds": ["budget"]})).send().await;
        assert_eq!(set.status.as_u16(), 200, "{}", set.text);
        let application = app.draft(&token, round, application_body()).await;
        // A budget a little over one part of an S3 multipart upload.
        let mut budget = b"item,amount\n".to_vec();
        while budget.len() < 5 * 1024 * 1024 + 100 {
            budget.extend_from_slice(b"peer supporter sessions,1200.00\n");
        }
        let stored = upload(&app, &token, &format!("/applications/{application}/documents"), &[("kind", "budget")], "budget.csv", &budget).await;
        assert_eq!(stored.status.as_u16(), 201, "{}", stored.text);
        let submitted = app.as_(&token).post(&format!("/api/v1/applications/{application}/submit")).json(json!({})).send().await;
        assert_eq!(submitted.status.as_u16(), 200, "{}", submitted.text);
        for (document, bytes) in [(&accounts, PDF), (&stored, budget.as_slice())] {
            let id = document.json["id"].as_i64().unwrap();
            let download = app.as_(&admin).get(&format!("/api/v1/documents/{id}/content")).send().await;
            assert_eq!(download.status.as_u16(), 200, "{}", download.text);
            assert!(download.bytes == bytes, "the administrator reads what was uploaded");
        }
        assert_eq!(app.state.blobs.list().await.unwrap().len(), 2);

        // The store goes away mid-test: uploads and downloads answer 503, and nothing changes.
        moto.stop();
        let path = format!("/organisations/{organisation}/documents");
        let refused = upload(&app, &token, &path, &[("kind", "constitution")], "constitution.pdf", b"%PDF-1.4 constitution").await;
        refused.assert_problem(503, "storage_unavailable");
        let id = accounts.json["id"].as_i64().unwrap();
        app.as_(&admin).get(&format!("/api/v1/documents/{id}/content")).send().await.assert_problem(503, "storage_unavailable");
        assert_eq!(names(&app, &token, &path).await, ["accounts.pdf"], "no row for the refused upload");
    }
}
