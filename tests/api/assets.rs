//! The portal's assets, embedded in the binary and served under `/assets/` with their content
//! types and ETags; the favicon; unknown assets; and `ASSETS_DIR`, which serves a folder instead.
//! None of it touches the database, so each test runs on SQLite only.

use awc::http::StatusCode;
use awc::http::header::HeaderMap;

use crate::support::*;

struct Fetched {
    status: StatusCode,
    headers: HeaderMap,
    body: Vec<u8>,
}

impl Fetched {
    fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }
}

async fn fetch(app: &TestApp, method: &str, path: &str, headers: &[(&str, &str)]) -> Fetched {
    let method = awc::http::Method::from_bytes(method.as_bytes()).unwrap();
    let mut request = app.client.request(method, format!("{}{path}", app.address));
    for &header in headers {
        request = request.insert_header(header);
    }
    let mut response = request.send().await.unwrap();
    let body = response
        .body()
        .limit(4 * 1024 * 1024)
        .await
        .unwrap()
        .to_vec();
    Fetched {
        status: response.status(),
        headers: response.headers().clone(),
        body,
    }
}

async fn get(app: &TestApp, path: &str) -> Fetched {
    fetch(app, "GET", path, &[]).await
}

async fn sqlite_app() -> TestApp {
    TestApp::spawn(Backend::Sqlite).await.unwrap()
}

#[track_caller]
fn assert_built() {
    assert!(
        grantfund::portal::assets::embedded(),
        "this build has no portal assets: npm was missing or failed when build.rs ran (see the \
         build's warnings), so the pages would be unstyled"
    );
}

#[actix_web::test]
async fn the_embedded_stylesheet_is_served_as_css_with_an_etag_and_revalidated() {
    assert_built();
    let app = sqlite_app().await;
    let css = get(&app, "/assets/portal.css").await;
    assert_eq!(css.status, StatusCode::OK);
    assert_eq!(css.header("content-type"), "text/css; charset=utf-8");
    assert_eq!(css.header("cache-control"), "no-cache");
    assert_eq!(css.header("x-content-type-options"), "nosniff");
    let etag = css.header("etag").to_owned();
    assert!(
        etag.len() > 2 && etag.starts_with('"') && etag.ends_with('"'),
        "a strong ETag: {etag:?}"
    );
    let text = String::from_utf8(css.body).unwrap();
    assert!(
        text.contains(".govuk-header") || text.contains(".govuk-service-navigation"),
        "GOV.UK Frontend's styles are compiled in"
    );
    assert!(text.contains(".app-chart"), "with the portal's own");
    assert!(
        !text.contains("GDS Transport"),
        "the system font stack, not GOV.UK's typeface"
    );

    let again = fetch(
        &app,
        "GET",
        "/assets/portal.css",
        &[("If-None-Match", &etag)],
    )
    .await;
    assert_eq!(again.status, StatusCode::NOT_MODIFIED);
    assert!(again.body.is_empty());
    assert_eq!(again.header("etag"), etag);
    let weak = format!("\"other\", W/{etag}");
    let listed = fetch(
        &app,
        "GET",
        "/assets/portal.css",
        &[("If-None-Match", &weak)],
    )
    .await;
    assert_eq!(
        listed.status,
        StatusCode::NOT_MODIFIED,
        "one of a list, weakly"
    );
    let stale = fetch(
        &app,
        "GET",
        "/assets/portal.css",
        &[("If-None-Match", "\"stale\"")],
    )
    .await;
    assert_eq!(stale.status, StatusCode::OK);

    let head = fetch(&app, "HEAD", "/assets/portal.css", &[]).await;
    assert_eq!(head.status, StatusCode::OK);
    assert_eq!(head.header("etag"), etag);
    assert!(head.body.is_empty());

    // The scripts load as modules and classic scripts only with a JavaScript type.
    for script in [
        "/assets/portal.mjs",
        "/assets/govuk-frontend.min.js",
        "/assets/htmx.min.js",
    ] {
        let reply = get(&app, script).await;
        assert_eq!(reply.status, StatusCode::OK, "{script}");
        assert_eq!(
            reply.header("content-type"),
            "text/javascript; charset=utf-8",
            "{script}"
        );
    }
    let crest = get(&app, "/assets/images/govuk-crest.svg").await;
    assert_eq!(
        (crest.status, crest.header("content-type")),
        (StatusCode::OK, "image/svg+xml"),
        "the image the styles refer to"
    );
}

#[actix_web::test]
async fn the_favicon_is_served_and_every_asset_a_page_links_to_exists() {
    assert_built();
    let app = sqlite_app().await;
    let favicon = get(&app, "/favicon.ico").await;
    assert_eq!(favicon.status, StatusCode::OK);
    assert_eq!(favicon.header("content-type"), "image/x-icon");
    assert!(
        favicon.body.starts_with(&[0, 0, 1, 0]),
        "an ICO file: {:?}",
        &favicon.body[..favicon.body.len().min(4)]
    );
    assert!(!favicon.header("etag").is_empty());
    let under_assets = get(&app, "/assets/images/favicon.ico").await;
    assert_eq!(under_assets.body, favicon.body);

    let page = String::from_utf8(get(&app, "/rounds").await.body).unwrap();
    assert!(
        page.contains(r#"<link rel="icon" sizes="48x48" href="/assets/images/favicon.ico">"#),
        "the layout names the favicon"
    );
    let linked: Vec<&str> = page
        .split(['"', '\''])
        .filter(|s| s.starts_with("/assets/"))
        .collect();
    assert!(linked.len() >= 5, "{linked:?}");
    for path in linked {
        assert_eq!(get(&app, path).await.status, StatusCode::OK, "{path}");
    }
}

#[actix_web::test]
async fn an_unknown_asset_is_not_found() {
    let app = sqlite_app().await;
    for path in [
        "/assets/nothing.css",
        "/assets/",
        "/assets/images",
        "/assets/images/../portal.css",
        "/assets/%2e%2e/Cargo.toml",
        "/assets/..%2F..%2FCargo.toml",
    ] {
        let reply = get(&app, path).await;
        assert_eq!(reply.status, StatusCode::NOT_FOUND, "{path}");
        assert_eq!(
            reply.header("content-type"),
            "application/problem+json",
            "{path}"
        );
    }
    let page = fetch(
        &app,
        "GET",
        "/assets/nothing.css",
        &[("Accept", "text/html")],
    )
    .await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);
    assert!(
        String::from_utf8(page.body)
            .unwrap()
            .contains("Page not found")
    );
}

#[actix_web::test]
async fn assets_dir_serves_its_folder_instead_read_on_every_request() {
    let parent = tempfile::tempdir().unwrap();
    std::fs::write(parent.path().join("secret.txt"), "not an asset").unwrap();
    let folder = parent.path().join("dist");
    std::fs::create_dir_all(folder.join("images")).unwrap();
    std::fs::write(folder.join("portal.css"), "body { color: red }").unwrap();
    std::fs::write(folder.join("images/favicon.ico"), [0u8, 0, 1, 0, 9]).unwrap();
    std::fs::write(folder.join(".env"), "SECRET=1").unwrap();
    std::fs::write(folder.join("images/ok.txt"), "ok").unwrap();
    let dir = folder.clone();
    let app = TestApp::spawn_with(Backend::Sqlite, move |s| s.assets_dir = Some(dir))
        .await
        .unwrap();

    let css = get(&app, "/assets/portal.css").await;
    assert_eq!(css.status, StatusCode::OK);
    assert_eq!(css.body, b"body { color: red }");
    assert_eq!(css.header("content-type"), "text/css; charset=utf-8");
    let etag = css.header("etag").to_owned();
    assert_eq!(
        fetch(
            &app,
            "GET",
            "/assets/portal.css",
            &[("If-None-Match", &etag)]
        )
        .await
        .status,
        StatusCode::NOT_MODIFIED
    );
    std::fs::write(folder.join("portal.css"), "body { color: blue }").unwrap();
    let changed = fetch(
        &app,
        "GET",
        "/assets/portal.css",
        &[("If-None-Match", &etag)],
    )
    .await;
    assert_eq!(changed.status, StatusCode::OK, "an edit shows at once");
    assert_eq!(changed.body, b"body { color: blue }");
    assert_ne!(changed.header("etag"), etag);
    assert_eq!(get(&app, "/favicon.ico").await.body, [0, 0, 1, 0, 9]);
    assert_eq!(get(&app, "/assets/images/ok.txt").await.body, b"ok");

    for path in [
        "/assets/htmx.min.js",
        "/assets/.env",
        "/assets/images",
        "/assets/../secret.txt",
        "/assets/images/../../secret.txt",
        "/assets/..%2Fsecret.txt",
        "/assets/images%2F..%2F.env",
    ] {
        assert_eq!(
            get(&app, path).await.status,
            StatusCode::NOT_FOUND,
            "{path}: only plain names inside the folder, and nothing embedded"
        );
    }
}
