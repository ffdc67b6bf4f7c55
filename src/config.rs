//! Settings, read from environment variables (and an optional `.env` file, loaded by `main`).
//!
//! [`Config`] is what the environment says, as text; [`Settings`] is the checked result the
//! service runs with. In production the service refuses to start with a missing, default or short
//! JWT secret, or without a real key for the data it encrypts.

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};

use crate::domain::vocabulary::Role;

mod data_keys;
mod ip_range;

pub use self::data_keys::{DEVELOPMENT_DATA_KEY_ID, DataKey, DataKeys};
pub use self::ip_range::IpRange;

/// The JWT secret used when none is set outside production. Never accepted in production.
pub const DEVELOPMENT_JWT_SECRET: &str = "development-only-jwt-secret-do-not-use-in-production";
/// The shortest JWT secret accepted in production, in bytes.
pub const MIN_PRODUCTION_SECRET_BYTES: usize = 32;

/// Which kind of deployment this is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum AppEnv {
    /// Safe defaults, human-readable logs.
    Development,
    /// Requires a real JWT secret, refuses demo data, logs JSON.
    Production,
}

/// The environment as given: the names and defaults listed in the README.
#[derive(Clone, Debug, clap::Args)]
pub struct Config {
    /// `sqlite://PATH` or `postgres://…`.
    #[arg(
        long,
        env,
        default_value = "sqlite://grantfund.db",
        hide_env_values = true,
        global = true
    )]
    pub database_url: String,
    /// Address the HTTP server listens on.
    #[arg(long, env, default_value = "127.0.0.1:8080", global = true)]
    pub bind_addr: String,
    /// `production` turns on the secret check and JSON logs.
    #[arg(long, env, value_enum, default_value = "development", global = true)]
    pub app_env: AppEnv,
    /// Secret that signs access tokens; at least 32 bytes in production.
    #[arg(long, env, hide_env_values = true, global = true)]
    pub jwt_secret: Option<String>,
    /// Key that encrypts stored bank details: `<id>:<base64 of 32 bytes>` or the base64 alone;
    /// required in production.
    #[arg(long, env, hide_env_values = true, global = true)]
    pub data_encryption_key: Option<String>,
    /// Earlier keys, comma-separated in the same form, that still open what they sealed until
    /// `grantfund reencrypt` seals it under the current key.
    #[arg(long, env, default_value = "", hide_env_values = true, global = true)]
    pub data_encryption_old_keys: String,
    /// Lifetime of an access token, in seconds.
    #[arg(long, env, default_value_t = 900, global = true)]
    pub access_token_ttl_seconds: u64,
    /// Lifetime of a refresh token, in seconds.
    #[arg(long, env, default_value_t = 30 * 24 * 3600, global = true)]
    pub refresh_token_ttl_seconds: u64,
    /// Lifetime of a password reset token, in seconds.
    #[arg(long, env, default_value_t = 3600, global = true)]
    pub password_reset_ttl_seconds: u64,
    /// SMTP server, e.g. `smtp://127.0.0.1:1025`; unset means the file transport.
    #[arg(long, env, hide_env_values = true, global = true)]
    pub smtp_url: Option<String>,
    /// Where the file transport writes.
    #[arg(long, env, default_value = "./mail", global = true)]
    pub mail_dir: PathBuf,
    /// Sender of every email.
    #[arg(
        long,
        env,
        default_value = "Grant Fund <noreply@localhost>",
        global = true
    )]
    pub mail_from: String,
    /// Address of the service as people reach it, used in links, QR codes and emails; by
    /// default the address the server is bound to.
    #[arg(long, env, global = true)]
    pub public_url: Option<String>,
    /// Log filter.
    #[arg(long, env, default_value = "info", global = true)]
    pub rust_log: String,
    /// Largest request body accepted, in bytes.
    #[arg(long, env, default_value_t = 256 * 1024, global = true)]
    pub max_body_bytes: usize,
    /// Database connections per instance.
    #[arg(long, env, default_value_t = 10, global = true)]
    pub database_pool_size: u32,
    /// Seconds a request waits for a database connection before answering 503.
    #[arg(long, env, default_value_t = 5, global = true)]
    pub database_timeout_seconds: u64,
    /// Password-reset requests and registrations per minute for one email; failed sign-ins in a
    /// minute after which an account refuses the clients that failed on it.
    #[arg(long, env, default_value_t = 5, global = true)]
    pub auth_attempts_per_account_per_minute: u32,
    /// Sign-in or password-reset attempts per minute from one client address.
    #[arg(long, env, default_value_t = 30, global = true)]
    pub auth_attempts_per_client_per_minute: u32,
    /// Take the client address from `X-Forwarded-For` (only behind a trusted proxy).
    #[arg(long, env, default_value_t = false, global = true)]
    pub trust_forwarded_for: bool,
    /// Proxies in front of the service besides the one it is reached through, comma-separated
    /// IPs or CIDRs (`10.0.0.0/8, 2001:db8::/32`): with `TRUST_FORWARDED_FOR`, the client is the
    /// right-most `X-Forwarded-For` hop not in this list.
    #[arg(long, env, default_value = "", global = true)]
    pub trusted_proxies: String,
    /// Unauthenticated writes (sign-in, registration, password reset, refresh, feedback
    /// responses) per minute from one client address, per instance.
    #[arg(long, env, default_value_t = 60, global = true)]
    pub unauthenticated_writes_per_client_per_minute: u32,
    /// Seconds between passes of the outbox worker inside `serve`.
    #[arg(long, env, default_value_t = 5, global = true)]
    pub outbox_poll_seconds: u64,
    /// Sending attempts before an email is marked `failed`.
    #[arg(long, env, default_value_t = 8, global = true)]
    pub outbox_max_attempts: i32,
    /// Delay before the first retry of an email, in seconds; it doubles on each attempt.
    #[arg(long, env, default_value_t = 30, global = true)]
    pub outbox_retry_base_seconds: u64,
    /// Seconds between passes of the monitoring job (overdue returns, reminders) inside `serve`.
    #[arg(long, env, default_value_t = 300, global = true)]
    pub reminder_poll_seconds: u64,
    /// Family feedback responses accepted per link per minute, per instance.
    #[arg(long, env, default_value_t = 20, global = true)]
    pub feedback_responses_per_link_per_minute: u32,
    /// Months after a round closes that declined and withdrawn applications keep their content.
    #[arg(long, env, default_value_t = 24, global = true)]
    pub retention_months: u32,
    /// Months after a family's stay last changed (its last payment), with no claim open, that
    /// its personal details, bank details and receipts are kept.
    #[arg(long, env, default_value_t = 24, global = true)]
    pub stay_retention_months: u32,
    /// Roles that must sign in with a second factor (TOTP), comma-separated; empty for none. A
    /// user of such a role who has not enrolled can do nothing but enrol.
    #[arg(
        long,
        env,
        default_value = "administrator,official,finance,clinician,cash_office",
        global = true
    )]
    pub mfa_required_roles: String,
    /// Days each staff account's sign-in history is kept; the jobs pass removes older entries.
    #[arg(long, env, default_value_t = 90, global = true)]
    pub sign_in_history_days: u32,
    /// The publisher's 360Giving prefix: grant ids are `360G-<prefix>-<award reference>`.
    #[arg(long, env, default_value = "grantfund", global = true)]
    pub open_data_prefix: String,
    /// Origins whose pages may call the API from a browser, comma-separated
    /// (`https://portal.example.org`); none by default, so cross-origin reads are refused.
    #[arg(long, env, default_value = "", global = true)]
    pub cors_allowed_origins: String,
    /// Where documents are stored: `file://PATH` (a folder, made if missing) or `s3://BUCKET`
    /// on any S3-compatible store, with credentials from `AWS_ACCESS_KEY_ID` and
    /// `AWS_SECRET_ACCESS_KEY`.
    #[arg(long, env, default_value = "file://./data/documents", global = true)]
    pub storage_url: String,
    /// The address of the S3-compatible store (`https://s3.example.org`, or
    /// `http://127.0.0.1:9000` for MinIO); unset means Amazon S3 itself.
    #[arg(long, env, global = true)]
    pub storage_endpoint: Option<String>,
    /// The region of the S3 bucket; unset means `AWS_REGION`, or else `us-east-1`.
    #[arg(long, env, global = true)]
    pub storage_region: Option<String>,
    /// Largest file a document upload accepts, in bytes.
    #[arg(long, env, default_value_t = 10 * 1024 * 1024, global = true)]
    pub max_upload_bytes: u64,
    /// A folder of the portal's built style sheets, scripts and images (`npm run build` in
    /// `web/` writes `web/dist`) to serve under `/assets/` instead of those built into the
    /// binary, read on every request: for working on the styles.
    #[arg(long, env, global = true)]
    pub assets_dir: Option<PathBuf>,
}

/// Checked settings the service runs with.
#[derive(Clone, Debug)]
pub struct Settings {
    pub database_url: SecretString,
    pub bind_addr: String,
    pub app_env: AppEnv,
    pub jwt_secret: SecretString,
    /// The keys of encrypted values; the development key when none is given outside production.
    pub data_keys: DataKeys,
    pub access_token_ttl: Duration,
    pub refresh_token_ttl: Duration,
    pub password_reset_ttl: Duration,
    pub smtp_url: Option<SecretString>,
    pub mail_dir: PathBuf,
    pub mail_from: lettre::message::Mailbox,
    /// Where people reach the service, without a trailing `/`: `PUBLIC_URL`, or else the address
    /// bound (see [`Settings::public_url_set`]).
    pub public_url: String,
    /// Whether `PUBLIC_URL` was given. When it was not, `public_url` is worked out from
    /// `BIND_ADDR` and, once the server has bound its socket, from the address actually bound.
    pub public_url_set: bool,
    pub rust_log: String,
    pub max_body_bytes: usize,
    pub database_pool_size: u32,
    pub database_timeout: Duration,
    pub auth_attempts_per_account_per_minute: u32,
    pub auth_attempts_per_client_per_minute: u32,
    pub trust_forwarded_for: bool,
    pub trusted_proxies: Vec<IpRange>,
    pub unauthenticated_writes_per_client_per_minute: u32,
    pub outbox_poll_interval: Duration,
    pub reminder_poll_interval: Duration,
    pub feedback_responses_per_link_per_minute: u32,
    pub retention_months: u32,
    pub stay_retention_months: u32,
    /// The roles that must sign in with a second factor.
    pub mfa_required_roles: Vec<Role>,
    /// How long sign-in history is kept.
    pub sign_in_history_days: u32,
    pub open_data_prefix: String,
    pub cors_allowed_origins: Vec<String>,
    pub outbox_max_attempts: i32,
    pub outbox_retry_base: Duration,
    /// `ASSETS_DIR`; `None` serves the assets built into the binary.
    pub assets_dir: Option<PathBuf>,
    pub storage_url: String,
    pub storage_endpoint: Option<String>,
    pub storage_region: Option<String>,
    pub max_upload_bytes: u64,
}

/// Why the settings cannot be used. Each message says what to change.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ConfigError {
    #[error("JWT_SECRET must be set when APP_ENV=production")]
    MissingSecret,
    #[error("JWT_SECRET is the development default; set a real secret when APP_ENV=production")]
    DefaultSecret,
    #[error(
        "JWT_SECRET must be at least {MIN_PRODUCTION_SECRET_BYTES} bytes when APP_ENV=production (it has {0})"
    )]
    ShortSecret(usize),
    #[error("JWT_SECRET must not be empty")]
    EmptySecret,
    #[error(
        "DATA_ENCRYPTION_KEY must be set when APP_ENV=production (`<id>:` and the base64 of 32 random bytes)"
    )]
    MissingDataKey,
    #[error("DATA_ENCRYPTION_KEY is the development key; set a real key when APP_ENV=production")]
    DevelopmentDataKey,
    #[error("{0}: {1}")]
    DataKey(&'static str, String),
    #[error("MAIL_FROM is not a valid mailbox: {0}")]
    MailFrom(String),
    #[error("{0} must be greater than zero")]
    Zero(&'static str),
    #[error("CORS_ALLOWED_ORIGINS: {0:?} is not an origin like https://portal.example.org")]
    CorsOrigin(String),
    #[error("TRUSTED_PROXIES: {0:?} is not an IP address or a CIDR like 10.0.0.0/8")]
    TrustedProxy(String),
    #[error("STORAGE_URL: {0:?} is neither file://PATH nor s3://BUCKET")]
    StorageUrl(String),
    #[error("MFA_REQUIRED_ROLES: {0:?} is not a role")]
    MfaRole(String),
}

/// A comma-separated list of roles. An unknown name is refused rather than skipped: a typo must
/// not quietly let a role sign in without a second factor.
fn parse_roles(text: &str) -> Result<Vec<Role>, ConfigError> {
    text.split(',')
        .map(str::trim)
        .filter(|name| !name.is_empty())
        .map(|name| {
            name.parse::<Role>()
                .map_err(|_| ConfigError::MfaRole(name.to_owned()))
        })
        .collect()
}

impl Settings {
    /// Checks the environment and builds the settings, or says what is wrong.
    pub fn from_config(config: Config) -> Result<Settings, ConfigError> {
        let secret = match (config.app_env, config.jwt_secret) {
            (AppEnv::Production, None) => return Err(ConfigError::MissingSecret),
            (AppEnv::Production, Some(s)) if s == DEVELOPMENT_JWT_SECRET => {
                return Err(ConfigError::DefaultSecret);
            }
            (AppEnv::Production, Some(s)) if s.len() < MIN_PRODUCTION_SECRET_BYTES => {
                return Err(ConfigError::ShortSecret(s.len()));
            }
            (_, Some(s)) if s.is_empty() => return Err(ConfigError::EmptySecret),
            (_, Some(s)) => s,
            (AppEnv::Development, None) => DEVELOPMENT_JWT_SECRET.to_owned(),
        };
        let data_keys = match (config.app_env, config.data_encryption_key.as_deref()) {
            (AppEnv::Production, None) => return Err(ConfigError::MissingDataKey),
            (AppEnv::Development, None) => DataKeys::development(),
            (_, Some(key)) => {
                let keys = DataKeys::parse(key, &config.data_encryption_old_keys)
                    .map_err(|(name, why)| ConfigError::DataKey(name, why))?;
                if config.app_env == AppEnv::Production && keys.uses_development_key() {
                    return Err(ConfigError::DevelopmentDataKey);
                }
                keys
            }
        };
        let mail_from = config
            .mail_from
            .parse()
            .map_err(|e: lettre::address::AddressError| ConfigError::MailFrom(e.to_string()))?;
        let positive = |value: u64, name| {
            if value == 0 {
                Err(ConfigError::Zero(name))
            } else {
                Ok(value)
            }
        };
        positive(config.access_token_ttl_seconds, "ACCESS_TOKEN_TTL_SECONDS")?;
        positive(
            config.refresh_token_ttl_seconds,
            "REFRESH_TOKEN_TTL_SECONDS",
        )?;
        positive(
            config.password_reset_ttl_seconds,
            "PASSWORD_RESET_TTL_SECONDS",
        )?;
        positive(config.outbox_poll_seconds, "OUTBOX_POLL_SECONDS")?;
        positive(config.reminder_poll_seconds, "REMINDER_POLL_SECONDS")?;
        positive(
            config.feedback_responses_per_link_per_minute.into(),
            "FEEDBACK_RESPONSES_PER_LINK_PER_MINUTE",
        )?;
        positive(config.retention_months.into(), "RETENTION_MONTHS")?;
        positive(config.stay_retention_months.into(), "STAY_RETENTION_MONTHS")?;
        positive(config.sign_in_history_days.into(), "SIGN_IN_HISTORY_DAYS")?;
        let mfa_required_roles = parse_roles(&config.mfa_required_roles)?;
        positive(config.database_pool_size.into(), "DATABASE_POOL_SIZE")?;
        positive(config.database_timeout_seconds, "DATABASE_TIMEOUT_SECONDS")?;
        positive(
            config.auth_attempts_per_account_per_minute.into(),
            "AUTH_ATTEMPTS_PER_ACCOUNT_PER_MINUTE",
        )?;
        positive(
            config.auth_attempts_per_client_per_minute.into(),
            "AUTH_ATTEMPTS_PER_CLIENT_PER_MINUTE",
        )?;
        positive(
            config.unauthenticated_writes_per_client_per_minute.into(),
            "UNAUTHENTICATED_WRITES_PER_CLIENT_PER_MINUTE",
        )?;
        positive(config.max_body_bytes as u64, "MAX_BODY_BYTES")?;
        positive(config.max_upload_bytes, "MAX_UPLOAD_BYTES")?;
        let storage_url = config.storage_url.trim().to_owned();
        if !(storage_url.starts_with("file://") || storage_url.starts_with("s3://")) {
            return Err(ConfigError::StorageUrl(storage_url));
        }
        let trusted_proxies = config
            .trusted_proxies
            .split(',')
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .map(|p| IpRange::parse(p).ok_or_else(|| ConfigError::TrustedProxy(p.to_owned())))
            .collect::<Result<Vec<_>, _>>()?;
        let cors_allowed_origins = parse_origins(&config.cors_allowed_origins)?;
        if config.outbox_max_attempts <= 0 {
            return Err(ConfigError::Zero("OUTBOX_MAX_ATTEMPTS"));
        }
        let public_url = config
            .public_url
            .as_deref()
            .map(|url| url.trim().trim_end_matches('/'))
            .filter(|url| !url.is_empty())
            .map(str::to_owned);
        let public_url_set = public_url.is_some();
        let public_url = public_url.unwrap_or_else(|| url_of_bind_addr(&config.bind_addr));
        Ok(Settings {
            database_url: config.database_url.into(),
            bind_addr: config.bind_addr,
            app_env: config.app_env,
            jwt_secret: secret.into(),
            data_keys,
            access_token_ttl: Duration::from_secs(config.access_token_ttl_seconds),
            refresh_token_ttl: Duration::from_secs(config.refresh_token_ttl_seconds),
            password_reset_ttl: Duration::from_secs(config.password_reset_ttl_seconds),
            smtp_url: config.smtp_url.filter(|s| !s.is_empty()).map(Into::into),
            mail_dir: config.mail_dir,
            mail_from,
            public_url,
            public_url_set,
            rust_log: config.rust_log,
            max_body_bytes: config.max_body_bytes,
            database_pool_size: config.database_pool_size,
            database_timeout: Duration::from_secs(config.database_timeout_seconds),
            auth_attempts_per_account_per_minute: config.auth_attempts_per_account_per_minute,
            auth_attempts_per_client_per_minute: config.auth_attempts_per_client_per_minute,
            trust_forwarded_for: config.trust_forwarded_for,
            trusted_proxies,
            unauthenticated_writes_per_client_per_minute: config
                .unauthenticated_writes_per_client_per_minute,
            outbox_poll_interval: Duration::from_secs(config.outbox_poll_seconds),
            outbox_max_attempts: config.outbox_max_attempts,
            outbox_retry_base: Duration::from_secs(config.outbox_retry_base_seconds),
            reminder_poll_interval: Duration::from_secs(config.reminder_poll_seconds),
            feedback_responses_per_link_per_minute: config.feedback_responses_per_link_per_minute,
            retention_months: config.retention_months,
            stay_retention_months: config.stay_retention_months,
            mfa_required_roles,
            sign_in_history_days: config.sign_in_history_days,
            open_data_prefix: config.open_data_prefix,
            cors_allowed_origins,
            assets_dir: config.assets_dir.filter(|d| !d.as_os_str().is_empty()),
            storage_url,
            storage_endpoint: config.storage_endpoint.filter(|e| !e.trim().is_empty()),
            storage_region: config.storage_region.filter(|r| !r.trim().is_empty()),
            max_upload_bytes: config.max_upload_bytes,
        })
    }

    /// Development settings for a given database, as tests and tools start from.
    pub fn for_database(database_url: &str) -> Result<Settings, ConfigError> {
        use clap::Parser;
        #[derive(clap::Parser)]
        struct Defaults {
            #[command(flatten)]
            config: Config,
        }
        // Parse an empty command line so that every default comes from one place, `Config`;
        // the fields that decide behaviour are then set explicitly, whatever the environment says.
        let mut config = Defaults::parse_from(["grantfund"]).config;
        config.database_url = database_url.to_owned();
        config.app_env = AppEnv::Development;
        config.jwt_secret = None;
        config.data_encryption_key = None;
        config.data_encryption_old_keys = String::new();
        config.smtp_url = None;
        config.mail_from = "Grant Fund <noreply@localhost>".to_owned();
        config.public_url = None;
        config.assets_dir = None;
        Settings::from_config(config)
    }

    /// Takes the address the server is bound to as the public address, unless `PUBLIC_URL`
    /// was given.
    pub fn bound_to(&mut self, address: SocketAddr) {
        if !self.public_url_set {
            self.public_url = url_of(address);
        }
    }

    pub fn is_production(&self) -> bool {
        self.app_env == AppEnv::Production
    }

    /// Which database the URL names, for logs (never the URL itself: it may hold a password).
    pub fn database_kind(&self) -> &'static str {
        if self.database_url.expose_secret().starts_with("sqlite:") {
            "sqlite"
        } else {
            "postgres"
        }
    }
}

/// The address a browser on this machine reaches a server bound to `address` at: a server bound
/// to every interface (`0.0.0.0`, `[::]`) is reached through the loopback one.
pub fn url_of(address: SocketAddr) -> String {
    match address.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => format!("http://127.0.0.1:{}", address.port()),
        IpAddr::V6(ip) if ip.is_unspecified() => format!("http://localhost:{}", address.port()),
        _ => format!("http://{address}"),
    }
}

/// The public address from `BIND_ADDR` before anything is bound (as the command line's jobs
/// use it); a host name stays as written.
fn url_of_bind_addr(bind_addr: &str) -> String {
    bind_addr
        .parse()
        .map(url_of)
        .unwrap_or_else(|_| format!("http://{bind_addr}"))
}

/// Reads a comma-separated list of origins: each `http(s)://host[:port]` with nothing after it.
fn parse_origins(list: &str) -> Result<Vec<String>, ConfigError> {
    list.split(',')
        .map(str::trim)
        .filter(|o| !o.is_empty())
        .map(|origin| {
            let url =
                url::Url::parse(origin).map_err(|_| ConfigError::CorsOrigin(origin.to_owned()))?;
            let ascii = url.origin().ascii_serialization();
            if !matches!(url.scheme(), "http" | "https") || ascii != origin {
                return Err(ConfigError::CorsOrigin(origin.to_owned()));
            }
            Ok(ascii)
        })
        .collect()
}

#[cfg(test)]
mod tests;
