//! The grant fund service: builds the HTTP application that `main` serves and the tests drive.

pub mod access;
pub mod applications;
pub mod assessment;
pub mod audit;
pub mod auth;
pub mod awards;
pub mod blobs;
pub mod caller;
pub mod config;
pub mod crypto;
pub mod db;
pub mod directory;
pub mod documents;
pub mod domain;
pub mod email;
pub mod error;
pub mod family;
pub mod feedback;
pub mod funds;
pub mod http;
pub mod idempotency;
pub mod mfa;
pub mod monitoring;
pub mod openapi;
pub mod organisations;
pub mod payments;
pub mod permissions;
pub mod portal;
pub mod report_cache;
pub mod reports;
pub mod request_log;
pub mod retention;
pub mod rounds;
pub mod service;
pub mod state;
pub mod telemetry;
pub mod tooling;
pub mod unrouted;
pub mod usecases;
pub mod users;
pub mod wire;

use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

use actix_cors::Cors;
use actix_web::dev::Server;
use actix_web::middleware::{Condition, from_fn};
use actix_web::{App, HttpResponse, HttpServer, web};
use tracing_actix_web::TracingLogger;
use utoipa_actix_web::AppExt;
use utoipa_swagger_ui::SwaggerUi;

use crate::config::Settings;
use crate::db::Db;
use crate::domain::clock::{Clock, SystemClock};
use crate::email::mailer::Mailer;
use crate::http::RouteTable;
pub use crate::state::AppState;

/// Every route under `/api/v1`.
fn api_routes<C: http::Routes>(cfg: &mut C) {
    auth::routes::configure(cfg);
    mfa::routes::configure(cfg);
    users::routes::configure(cfg);
    organisations::routes::configure(cfg);
    funds::routes::configure(cfg);
    family::routes::configure(cfg);
    rounds::routes::configure(cfg);
    applications::routes::configure(cfg);
    assessment::routes::configure(cfg);
    awards::routes::configure(cfg);
    payments::routes::configure(cfg);
    monitoring::routes::configure(cfg);
    feedback::routes::configure(cfg);
    reports::routes::configure(cfg);
    directory::routes::configure(cfg);
    documents::routes::configure(cfg);
    audit::routes::configure(cfg);
    email::routes::configure(cfg);
    service::configure(cfg);
}

/// The routes a server worker serves: the same handlers as the OpenAPI document's, without
/// building the document in every worker.
fn router() -> App<
    impl actix_web::dev::ServiceFactory<
        actix_web::dev::ServiceRequest,
        Config = (),
        Response = actix_web::dev::ServiceResponse,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    App::new()
        .service(web::scope("/api/v1").configure(api_routes::<web::ServiceConfig>))
        .service(service::health)
        .service(service::ready)
}

/// The OpenAPI document of this build, exactly as served at `/openapi.json`.
pub fn openapi_document() -> utoipa::openapi::OpenApi {
    let (_, doc) = App::new()
        .into_utoipa_app()
        .openapi(openapi::base())
        .service(utoipa_actix_web::scope("/api/v1").configure(|cfg| api_routes(cfg)))
        .service(service::health)
        .service(service::ready)
        .split_for_parts();
    openapi::finish(doc)
}

/// Cross-origin calls from browsers: none unless `CORS_ALLOWED_ORIGINS` names origins, and then
/// only theirs. A request from any other origin is served without CORS headers, so the browser
/// keeps the answer from the calling page.
fn cors(origins: &[String]) -> Condition<Cors> {
    let mut cors = Cors::default()
        .block_on_origin_mismatch(false)
        .allowed_methods(["GET", "POST", "PUT", "PATCH", "DELETE"])
        .allowed_headers([
            actix_web::http::header::AUTHORIZATION,
            actix_web::http::header::CONTENT_TYPE,
            actix_web::http::header::ACCEPT,
        ])
        .allowed_header("idempotency-key")
        .expose_headers(["x-request-id", "x-grants-without-org-id", "retry-after"])
        .max_age(3600);
    for origin in origins {
        cors = cors.allowed_origin(origin);
    }
    Condition::new(!origins.is_empty(), cors)
}

/// The OpenAPI document, in JSON.
async fn serve_contract() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .body(openapi::COMMITTED)
}

/// How to run the application besides its settings.
#[derive(Clone, Debug)]
pub struct Options {
    pub clock: Arc<dyn Clock>,
    /// HTTP worker threads; `None` means one per core.
    pub workers: Option<usize>,
    /// Run the monitoring job and drain the outbox on their intervals inside the server process.
    pub run_jobs: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            clock: Arc::new(SystemClock),
            workers: None,
            run_jobs: true,
        }
    }
}

/// Why the service did not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Database(#[from] db::DbInitError),
    #[error(transparent)]
    Storage(#[from] blobs::StoreInitError),
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: String,
        source: std::io::Error,
    },
    #[error("{0}")]
    Mail(String),
    #[error("the built-in OpenAPI document cannot be read: {0}")]
    Contract(String),
}

/// A built server, bound to its port, not yet running.
pub struct Application {
    server: Server,
    port: u16,
    state: AppState,
}

impl Application {
    /// Opens the database (running migrations), binds the address and builds the server.
    pub fn build(mut settings: Settings, options: Options) -> Result<Application, StartError> {
        let db = Db::connect(&settings)?;
        let blobs = blobs::Blobs::open(&settings)?;
        let mailer = Mailer::from_settings(&settings).map_err(StartError::Mail)?;
        let listener =
            TcpListener::bind(&settings.bind_addr).map_err(|source| StartError::Bind {
                addr: settings.bind_addr.clone(),
                source,
            })?;
        let bound = listener.local_addr().map_err(|source| StartError::Bind {
            addr: settings.bind_addr.clone(),
            source,
        })?;
        let port = bound.port();
        settings.bound_to(bound);
        let state = AppState::new(db, blobs, settings, options.clock.clone());

        let routes = RouteTable::from_contract(openapi::COMMITTED)
            .map_err(|e| StartError::Contract(e.to_string()))?;
        let routes = web::Data::new(routes);
        let data = web::Data::new(state.clone());
        let cors_origins = state.settings.cors_allowed_origins.clone();
        portal::assets::check(state.settings.assets_dir.as_deref());
        let mut server = HttpServer::new(move || {
            let app = router()
                .app_data(data.clone())
                .app_data(routes.clone())
                .app_data(web::QueryConfig::default().error_handler(http::query_error))
                .app_data(web::PathConfig::default().error_handler(unrouted::path_error))
                .route("/openapi.json", web::get().to(serve_contract))
                .service(
                    SwaggerUi::new("/docs/{_:.*}")
                        .config(utoipa_swagger_ui::Config::from("/openapi.json")),
                )
                .route(
                    "/docs",
                    web::get().to(|| async {
                        HttpResponse::Found()
                            .insert_header(("Location", "/docs/"))
                            .finish()
                    }),
                )
                .configure(portal::assets::configure)
                .configure(portal::configure)
                .default_service(web::to(unrouted::fallback))
                .wrap(from_fn(http::request_id_header))
                .wrap(TracingLogger::<request_log::RequestSpan>::new())
                .wrap(from_fn(http::security_headers))
                .wrap(cors(&cors_origins));
            http::contain_panics(app)
        })
        .shutdown_timeout(20)
        .listen(listener)
        .map_err(|source| StartError::Bind {
            addr: state.settings.bind_addr.clone(),
            source,
        })?;
        if let Some(workers) = options.workers {
            server = server.workers(workers);
        }
        let server = server.run();

        if options.run_jobs {
            actix_web::rt::spawn(retention::run_forever(
                state.db.clone(),
                state.blobs.clone(),
                state.settings.clone(),
                options.clock.clone(),
            ));
            actix_web::rt::spawn(monitoring::jobs::run_forever(
                state.db.clone(),
                state.settings.clone(),
                options.clock.clone(),
            ));
            actix_web::rt::spawn(email::worker::run_forever(
                state.db.clone(),
                mailer,
                state.settings.clone(),
                options.clock.clone(),
            ));
        }
        let limiter = state.limiter.clone();
        let feedback_limiter = state.feedback_limiter.clone();
        let write_limiter = state.write_limiter.clone();
        actix_web::rt::spawn(async move {
            let mut interval = tokio::time::interval(Duration::from_secs(60));
            loop {
                interval.tick().await;
                limiter.forget_idle();
                feedback_limiter.forget_idle();
                write_limiter.forget_idle();
            }
        });
        Ok(Application {
            server,
            port,
            state,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Serves until SIGTERM or Ctrl-C, then stops gracefully: no new connections, requests in
    /// flight are finished (up to 20 seconds).
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.await
    }
}
