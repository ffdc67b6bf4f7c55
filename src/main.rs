//! `grantfund`: the command line of the grant fund service.

use std::io::Read;
use std::process::ExitCode;
use std::sync::Arc;

use clap::{Parser, Subcommand};

use grantfund::config::{Config, Settings};
use grantfund::db::Db;
use grantfund::domain::clock::{Clock, SystemClock};
use grantfund::domain::identifiers::{Email, check_new_password};
use grantfund::domain::vocabulary::{HealthBoard, Role};
use grantfund::email::mailer::Mailer;
use grantfund::tooling::{demo, seed};
use grantfund::users::service::{NewUser, Place};
use grantfund::{Application, Options, auth, email, openapi, telemetry, users};

#[derive(Parser)]
#[command(name = "grantfund", version, about = "Runs a third-sector grant fund")]
struct Cli {
    #[command(flatten)]
    config: Config,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the API (migrations run first).
    Serve {
        /// On an empty database, seed demo accounts and print their logins.
        #[arg(long)]
        demo: bool,
    },
    /// Apply pending database migrations and exit.
    Migrate,
    /// Manage user accounts.
    User {
        #[command(subcommand)]
        action: UserCommand,
    },
    /// Background jobs.
    Jobs {
        #[command(subcommand)]
        action: JobsCommand,
    },
    /// The demo's accounts.
    Demo {
        #[command(subcommand)]
        action: DemoCommand,
    },
    /// Generate data.
    Seed {
        #[command(subcommand)]
        action: SeedCommand,
    },
    /// Print the OpenAPI document.
    Openapi,
    /// Seal every encrypted value (bank details) again under DATA_ENCRYPTION_KEY, opening those
    /// sealed under DATA_ENCRYPTION_OLD_KEYS; run it after a rotation, before removing old keys.
    Reencrypt,
}

#[derive(Subcommand)]
enum SeedCommand {
    /// Add a large synthetic fund (by default 100,000 applications, 1,080,000 scores, 20,000
    /// awards, about 60,000 returns and 200,000 feedback responses) for measuring reports at scale.
    Scale {
        /// Applications to generate; the rest is in proportion.
        #[arg(long, default_value_t = 100_000, value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
        applications: u32,
    },
}

#[derive(Subcommand)]
enum DemoCommand {
    /// List the demo's sign-in accounts; with --reset, give them new passwords and print them.
    Credentials {
        /// Set new passwords (ending the accounts' sessions) and print them.
        #[arg(long)]
        reset: bool,
    },
}

#[derive(Subcommand)]
enum UserCommand {
    /// Create an account; the password is read from standard input.
    Create {
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: String,
        #[arg(long)]
        role: Role,
        /// The applicant's organisation.
        #[arg(long)]
        organisation_id: Option<i64>,
        /// The clinician's unit.
        #[arg(long)]
        unit_id: Option<i64>,
        /// The cash office's NHS board, e.g. `lothian`.
        #[arg(long)]
        health_board: Option<HealthBoard>,
        /// Read the password from standard input (the only way: never on the command line).
        #[arg(long, required = true)]
        password_stdin: bool,
    },
}

#[derive(Subcommand)]
enum JobsCommand {
    /// Run every job once (monitoring returns and reminders, retention, the sweep of the document
    /// store, then the outbox) and exit.
    RunOnce,
    /// Remove the blobs of the document store that no document names and that have not been
    /// stored for a day, and exit.
    SweepDocuments,
}

fn main() -> ExitCode {
    // A missing .env file is normal; a malformed one is reported.
    if let Err(error) = dotenvy::dotenv()
        && !error.not_found()
    {
        eprintln!("error: .env: {error}");
        return ExitCode::FAILURE;
    }
    let cli = Cli::parse();
    if let Command::Openapi = cli.command {
        print!("{}", openapi::to_json(&grantfund::openapi_document()));
        return ExitCode::SUCCESS;
    }
    let settings = match Settings::from_config(cli.config) {
        Ok(settings) => settings,
        Err(error) => {
            eprintln!("error: {error}");
            return ExitCode::FAILURE;
        }
    };
    telemetry::init(&settings);
    if settings.data_keys.uses_development_key() {
        tracing::warn!(
            "DATA_ENCRYPTION_KEY is not set: bank details are encrypted with the development key, which production refuses"
        );
    }
    let result = actix_web::rt::System::new().block_on(run(cli.command, settings));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            tracing::error!(%message, "stopped");
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

async fn run(command: Command, settings: Settings) -> Result<(), String> {
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    match command {
        Command::Serve { demo } => serve(settings, clock, demo).await,
        Command::Migrate => {
            Db::connect(&settings).map_err(|e| e.to_string())?;
            tracing::info!(database = settings.database_kind(), "migrations applied");
            Ok(())
        }
        Command::User {
            action:
                UserCommand::Create {
                    email,
                    name,
                    role,
                    organisation_id,
                    unit_id,
                    health_board,
                    password_stdin: _,
                },
        } => {
            let mut password = String::new();
            std::io::stdin()
                .read_to_string(&mut password)
                .map_err(|e| format!("reading the password: {e}"))?;
            let password = password.trim_end_matches(['\n', '\r']).to_owned();
            check_new_password(&password).map_err(|e| format!("password {e}"))?;
            let email = Email::parse(&email).map_err(|e| format!("email {e}"))?;
            let db = Db::connect(&settings).map_err(|e| e.to_string())?;
            let now = clock.now_naive();
            let user = db
                .run(move |conn| {
                    let new = NewUser {
                        email,
                        name,
                        role,
                        place: Place {
                            organisation_id,
                            unit_id,
                            health_board,
                        },
                        password_hash: auth::password::hash(&password)?,
                    };
                    users::service::create(conn, now, None, &new)
                })
                .await
                .map_err(|e| e.problem().detail + &problem_fields(&e))?;
            println!(
                "created user {} <{}> with role {}",
                user.id, user.email, user.role
            );
            Ok(())
        }
        Command::Jobs {
            action: JobsCommand::RunOnce,
        } => {
            let db = Db::connect(&settings).map_err(|e| e.to_string())?;
            let mailer = Mailer::from_settings(&settings)?;
            let monitoring = grantfund::monitoring::jobs::pass(&db, &clock)
                .await
                .map_err(|e| e.to_string())?;
            println!(
                "monitoring: {} returns became due, {} overdue; {} reminders and {} digests queued",
                monitoring.became_due,
                monitoring.became_overdue,
                monitoring.reminders,
                monitoring.digests
            );
            let now = clock.now_naive();
            let periods = grantfund::retention::Periods::of(&settings);
            let retention = db
                .run(move |conn| grantfund::retention::run_once(conn, now, periods))
                .await
                .map_err(|e| e.to_string())?;
            let blobs = grantfund::blobs::Blobs::open(&settings).map_err(|e| e.to_string())?;
            let blobs_removed = grantfund::retention::forget_blobs(&db, &blobs, &retention).await;
            println!(
                "retention: {} applications and {} stays anonymised, {} accounts removed, {} documents and {} blobs removed",
                retention.applications_anonymised,
                retention.stays_anonymised,
                retention.accounts_removed,
                retention.documents_removed,
                blobs_removed
            );
            let days = settings.sign_in_history_days;
            let pruned = db
                .run(move |conn| grantfund::mfa::history::prune(conn, now, days))
                .await
                .map_err(|e| e.to_string())?;
            println!("sign-in history: {pruned} entries older than {days} days removed");
            sweep_documents(&db, &blobs, &clock).await?;
            let report = email::worker::drain(&db, &mailer, &settings, clock)
                .await
                .map_err(|e| e.to_string())?;
            println!(
                "outbox: {} sent, {} failed attempts",
                report.sent, report.failed
            );
            Ok(())
        }
        Command::Jobs {
            action: JobsCommand::SweepDocuments,
        } => {
            let db = Db::connect(&settings).map_err(|e| e.to_string())?;
            let blobs = grantfund::blobs::Blobs::open(&settings).map_err(|e| e.to_string())?;
            sweep_documents(&db, &blobs, &clock).await
        }
        Command::Reencrypt => {
            let db = Db::connect(&settings).map_err(|e| e.to_string())?;
            let keyring = grantfund::crypto::Keyring::new(&settings.data_keys);
            let current = keyring.current_id().to_owned();
            let done = db
                .run(move |conn| grantfund::organisations::bank::reencrypt(conn, &keyring))
                .await
                .map_err(|e| e.log_summary())?;
            println!(
                "reencrypt: {} values sealed again under key {current}, {} already under it",
                done.moved, done.current
            );
            Ok(())
        }
        Command::Demo {
            action: DemoCommand::Credentials { reset },
        } => demo_credentials(&settings, &clock, reset).await,
        Command::Seed {
            action: SeedCommand::Scale { applications },
        } => {
            if settings.is_production() {
                return Err("seed scale is refused when APP_ENV=production".to_owned());
            }
            let db = Db::connect(&settings).map_err(|e| e.to_string())?;
            let now = clock.now_naive();
            let started = std::time::Instant::now();
            let size = seed::Scale {
                applications: applications as usize,
            };
            let seeded = db
                .run(move |conn| seed::scale(conn, now, size))
                .await
                .map_err(|e| e.to_string())?;
            println!(
                "fund {} ({}): {} organisations, {} applications, {} scores, {} awards, {} instalments, {} returns, {} feedback responses in {:.1} s",
                seeded.fund_id,
                seeded.fund_code,
                seeded.organisations,
                seeded.applications,
                seeded.scores,
                seeded.awards,
                seeded.instalments,
                seeded.returns,
                seeded.feedback_responses,
                started.elapsed().as_secs_f64()
            );
            Ok(())
        }
        Command::Openapi => Ok(()),
    }
}

/// Removes the blobs no document has referenced for a day, and says how many.
async fn sweep_documents(
    db: &Db,
    blobs: &grantfund::blobs::Blobs,
    clock: &Arc<dyn Clock>,
) -> Result<(), String> {
    let swept = grantfund::documents::sweep::sweep(db, blobs, clock.now())
        .await
        .map_err(|e| e.to_string())?;
    println!(
        "documents: {} unreferenced blobs removed, {} kept",
        swept.blobs_removed, swept.blobs_kept
    );
    Ok(())
}

fn problem_fields(error: &grantfund::error::ApiError) -> String {
    error
        .problem()
        .errors
        .iter()
        .map(|e| format!(" {}: {}", e.field, e.message))
        .collect()
}

async fn serve(settings: Settings, clock: Arc<dyn Clock>, seed_demo: bool) -> Result<(), String> {
    if seed_demo && settings.is_production() {
        return Err("--demo is refused when APP_ENV=production".to_owned());
    }
    let database = settings.database_kind();
    let app = Application::build(
        settings,
        Options {
            clock: clock.clone(),
            ..Options::default()
        },
    )
    .map_err(|e| e.to_string())?;
    if seed_demo {
        let now = clock.now_naive();
        let blobs = app.state().blobs.clone();
        let logins = app
            .state()
            .db
            .run({
                let keyring = app.state().keyring.clone();
                move |conn| demo::seed(conn, now, &keyring, &blobs)
            })
            .await
            .map_err(|e| e.to_string())?;
        if logins.is_empty() {
            println!("demo: the database already has users; nothing seeded");
            println!(
                "demo: the sign-in details were printed when it was seeded; for new passwords, run `grantfund demo credentials --reset`"
            );
        } else {
            println!(
                "demo accounts (passwords and staff TOTP secrets are shown once; add a secret to an authenticator app):"
            );
            print_logins(&logins);
        }
    }
    let url = app.state().settings.public_url.clone();
    println!("serving the portal at {url}/ and the API at {url}/api/v1 (docs at {url}/docs/)");
    tracing::info!(port = app.port(), %url, database, "serving; API docs at /docs");
    app.run_until_stopped().await.map_err(|e| e.to_string())
}

fn print_logins(logins: &[demo::Login]) {
    for login in logins {
        // role, email, password and, for staff, the TOTP secret their app needs.
        let secret = login.totp_secret.as_deref().unwrap_or_default();
        let line = format!(
            "  {:<14} {:<40} {:<22} {secret}",
            login.role.as_str(),
            login.email,
            login.password
        );
        println!("{}", line.trim_end());
    }
}

/// `demo credentials [--reset]`: the demo accounts, and with `--reset` new passwords for them.
async fn demo_credentials(
    settings: &Settings,
    clock: &Arc<dyn Clock>,
    reset: bool,
) -> Result<(), String> {
    if settings.is_production() {
        return Err("demo credentials is refused when APP_ENV=production".to_owned());
    }
    if !reset {
        println!(
            "demo accounts (passwords are stored only as hashes; `--reset` sets and prints new ones):"
        );
        for (role, email) in demo::ACCOUNTS {
            println!("  {:<14} {email}", role.as_str());
        }
        return Ok(());
    }
    let db = Db::connect(settings).map_err(|e| e.to_string())?;
    let now = clock.now_naive();
    let logins = db
        .run({
            let keyring = std::sync::Arc::new(grantfund::crypto::Keyring::new(&settings.data_keys));
            move |conn| demo::reset_credentials(conn, now, &keyring)
        })
        .await
        .map_err(|e| e.to_string())?;
    if logins.is_empty() {
        return Err(
            "this database has no demo accounts: `grantfund serve --demo` seeds them on an empty database"
                .to_owned(),
        );
    }
    println!(
        "demo accounts with new passwords and, for staff, new TOTP secrets (their sessions have ended):"
    );
    print_logins(&logins);
    Ok(())
}
