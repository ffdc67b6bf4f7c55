//! What both front doors and the use cases reach: the database, the document store, the
//! settings, the clock, the token keys, the data keys, the rate limits and the caches of one
//! running service.

use std::sync::Arc;

use crate::auth::cache::AccountCache;
use crate::auth::jwt::JwtKeys;
use crate::auth::limiter::{AuthLimiter, WriteLimiter};
use crate::blobs::Blobs;
use crate::config::Settings;
use crate::crypto::Keyring;
use crate::db::Db;
use crate::domain::clock::Clock;
use crate::feedback::service::FeedbackLimiter;
use crate::report_cache::ReportCache;

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub db: Db,
    pub settings: Arc<Settings>,
    pub clock: Arc<dyn Clock>,
    pub jwt: JwtKeys,
    pub limiter: Arc<AuthLimiter>,
    pub write_limiter: Arc<WriteLimiter>,
    pub feedback_limiter: Arc<FeedbackLimiter>,
    pub reports: Arc<ReportCache>,
    pub accounts: Arc<AccountCache>,
    /// The document store.
    pub blobs: Blobs,
    /// The ciphers of the data keys, which seal and open bank details.
    pub keyring: Arc<Keyring>,
}

impl AppState {
    pub fn new(db: Db, blobs: Blobs, settings: Settings, clock: Arc<dyn Clock>) -> Self {
        let jwt = JwtKeys::new(&settings.jwt_secret, settings.access_token_ttl);
        let limiter = Arc::new(AuthLimiter::new(
            settings.auth_attempts_per_account_per_minute,
            settings.auth_attempts_per_client_per_minute,
        ));
        let write_limiter = Arc::new(WriteLimiter::new(
            settings.unauthenticated_writes_per_client_per_minute,
        ));
        let feedback_limiter = Arc::new(FeedbackLimiter::new(
            settings.feedback_responses_per_link_per_minute,
        ));
        AppState {
            keyring: Arc::new(Keyring::new(&settings.data_keys)),
            write_limiter,
            feedback_limiter,
            reports: Arc::default(),
            accounts: Arc::default(),
            blobs,
            db,
            settings: Arc::new(settings),
            clock,
            jwt,
            limiter,
        }
    }
}
