//! Rate limits on sign-in and password-reset attempts per client address and per account, on
//! registrations per account, and on every unauthenticated write per client address.
//!
//! Accounts are named by [`Email::normalise`], so a spelling with spaces, capitals or decomposed
//! accents counts against the same account as the address itself.
//!
//! Sign-in locks out per account and client rather than per account alone, so that an attacker
//! guessing one account's password cannot lock its owner out everywhere:
//!
//! - every attempt from a client counts against the client's limit (`per_client_per_minute`);
//! - a failed attempt (wrong password, unknown or disabled account) is recorded against the
//!   account and against the pair of account and client, for one minute;
//! - once an account has `per_account_per_minute` failures in the last minute, a client that
//!   is among them is refused on that account until the account falls below the limit or the
//!   client's own failures are a minute old; a client that has not failed on it is still let
//!   try, so its owner signing in from their own address gets in;
//! - past [`CEILING_FACTOR`] times the limit of failures in a minute (an attack from many
//!   addresses) every client is refused on that account for the rest of the minute.
//!
//! An attempt is recorded as failed before the password is checked and taken back when it
//! succeeds, so simultaneous guesses cannot all pass before the first is counted.
//!
//! Limits are kept in memory by each instance, so behind a load balancer with N instances an
//! attacker gets at most N times the configured rate.

use std::collections::{HashMap, VecDeque};
use std::num::NonZeroU32;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use crate::auth::tokens;
use crate::domain::identifiers::Email;
use crate::error::ApiError;

/// How long a failed sign-in counts.
const WINDOW: Duration = Duration::from_secs(60);

/// Failures in a minute, as a multiple of the account limit, past which an account refuses
/// every client for the rest of the minute.
pub const CEILING_FACTOR: usize = 10;

/// The key an account's limits are counted under: its normalised email, or a digest of text too
/// long to be an email, so that memory per key stays small.
fn account_key(email: &str) -> String {
    let normal = Email::normalise(email);
    if normal.len() > 254 {
        tokens::hash(&normal)
    } else {
        normal
    }
}

/// Whole seconds for `Retry-After`, at least one.
fn too_many(wait: Duration) -> ApiError {
    ApiError::TooManyRequests {
        retry_after_secs: (wait.as_secs_f64().ceil() as u64).max(1),
    }
}

fn quota(per_minute: u32) -> Quota {
    Quota::per_minute(NonZeroU32::new(per_minute).unwrap_or(NonZeroU32::MIN))
}

/// Failed sign-ins of the last minute, oldest first.
#[derive(Debug, Default)]
struct Failures {
    by_account: HashMap<String, VecDeque<Instant>>,
    by_pair: HashMap<(String, String), VecDeque<Instant>>,
}

fn prune(times: &mut VecDeque<Instant>, now: Instant) {
    while times
        .front()
        .is_some_and(|t| now.duration_since(*t) >= WINDOW)
    {
        times.pop_front();
    }
}

/// How long until fewer than `limit` of `times` are within the window.
fn until_below(times: &VecDeque<Instant>, limit: usize, now: Instant) -> Duration {
    match times.len().checked_sub(limit) {
        Some(index) => times.get(index).map_or(Duration::ZERO, |t| {
            (*t + WINDOW).saturating_duration_since(now)
        }),
        None => Duration::ZERO,
    }
}

fn take_back(times: Option<&mut VecDeque<Instant>>, at: Instant) {
    if let Some(times) = times
        && let Some(index) = times.iter().position(|t| *t == at)
    {
        times.remove(index);
    }
}

/// A sign-in under way, counted as failed until [`AuthLimiter::signed_in`] takes it back.
#[derive(Debug)]
#[must_use]
pub struct SignInAttempt {
    account: String,
    client: String,
    at: Instant,
}

pub struct AuthLimiter {
    per_account: DefaultKeyedRateLimiter<String>,
    per_client: DefaultKeyedRateLimiter<String>,
    account_limit: usize,
    failures: Mutex<Failures>,
    clock: DefaultClock,
}

impl std::fmt::Debug for AuthLimiter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuthLimiter").finish_non_exhaustive()
    }
}

impl AuthLimiter {
    pub fn new(per_account_per_minute: u32, per_client_per_minute: u32) -> Self {
        AuthLimiter {
            per_account: RateLimiter::keyed(quota(per_account_per_minute)),
            per_client: RateLimiter::keyed(quota(per_client_per_minute)),
            account_limit: usize::try_from(per_account_per_minute.max(1)).unwrap_or(usize::MAX),
            failures: Mutex::default(),
            clock: DefaultClock::default(),
        }
    }

    fn check_client(&self, action: &str, client: &str) -> Result<(), ApiError> {
        let now = self.clock.now();
        self.per_client
            .check_key(&format!("{action}:{client}"))
            .map_err(|not_until| too_many(not_until.wait_time_from(now)))
    }

    /// Counts one attempt of `action` (a reset request) from `client` on the account of
    /// `email`; 429 with the wait when either limit is spent. Every attempt counts.
    pub fn check(&self, action: &str, client: &str, email: &str) -> Result<(), ApiError> {
        self.check_client(action, client)?;
        self.check_account(action, email)
    }

    /// Counts one attempt of `action` (a registration) on the account of `email`, whoever
    /// makes it; 429 with the wait when its limit is spent.
    pub fn check_account(&self, action: &str, email: &str) -> Result<(), ApiError> {
        let now = self.clock.now();
        self.per_account
            .check_key(&format!("{action}:{}", account_key(email)))
            .map_err(|not_until| too_many(not_until.wait_time_from(now)))
    }

    /// Lets a sign-in on the account of `email` from `client` go ahead, counted as failed until
    /// it succeeds, or refuses it with 429 (see the module's rules).
    pub fn begin_sign_in(&self, client: &str, email: &str) -> Result<SignInAttempt, ApiError> {
        self.check_client("login", client)?;
        self.begin_sign_in_at(client, email, Instant::now())
    }

    fn begin_sign_in_at(
        &self,
        client: &str,
        email: &str,
        now: Instant,
    ) -> Result<SignInAttempt, ApiError> {
        let account = account_key(email);
        let pair = (account.clone(), client.to_owned());
        let mut failures = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        let Failures {
            by_account,
            by_pair,
        } = &mut *failures;
        let of_account = by_account.entry(account.clone()).or_default();
        prune(of_account, now);
        let of_pair = by_pair.entry(pair).or_default();
        prune(of_pair, now);
        let ceiling = self.account_limit.saturating_mul(CEILING_FACTOR);
        if of_account.len() >= ceiling {
            return Err(too_many(until_below(of_account, ceiling, now)));
        }
        if of_account.len() >= self.account_limit && !of_pair.is_empty() {
            let account_recovers = until_below(of_account, self.account_limit, now);
            let client_recovers = until_below(of_pair, 1, now);
            return Err(too_many(account_recovers.min(client_recovers)));
        }
        of_account.push_back(now);
        of_pair.push_back(now);
        Ok(SignInAttempt {
            account,
            client: client.to_owned(),
            at: now,
        })
    }

    /// The attempt's password was right: it no longer counts as a failure.
    pub fn signed_in(&self, attempt: SignInAttempt) {
        let mut failures = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        take_back(failures.by_account.get_mut(&attempt.account), attempt.at);
        take_back(
            failures
                .by_pair
                .get_mut(&(attempt.account.clone(), attempt.client.clone())),
            attempt.at,
        );
    }

    /// Forgets keys whose limits have fully recovered, so memory stays bounded.
    pub fn forget_idle(&self) {
        self.per_account.retain_recent();
        self.per_client.retain_recent();
        let now = Instant::now();
        let mut failures = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        failures.by_account.retain(|_, times| {
            prune(times, now);
            !times.is_empty()
        });
        failures.by_pair.retain(|_, times| {
            prune(times, now);
            !times.is_empty()
        });
    }
}

/// Unauthenticated writes (sign-in, registration, password reset, refresh, feedback responses)
/// per client address, whatever the route: one client cannot make the service hash passwords
/// or write rows without end. The addresses are kept in memory for a minute, never stored.
pub struct WriteLimiter(DefaultKeyedRateLimiter<String>);

impl std::fmt::Debug for WriteLimiter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WriteLimiter").finish_non_exhaustive()
    }
}

impl WriteLimiter {
    pub fn new(per_client_per_minute: u32) -> Self {
        WriteLimiter(RateLimiter::keyed(quota(per_client_per_minute)))
    }

    /// Counts one write from `client`; 429 with the wait once its share is spent.
    pub fn check(&self, client: &str) -> Result<(), ApiError> {
        let now = DefaultClock::default().now();
        self.0
            .check_key(&client.to_owned())
            .map_err(|not_until| too_many(not_until.wait_time_from(now)))
    }

    /// Forgets clients whose limits have fully recovered.
    pub fn forget_idle(&self) {
        self.0.retain_recent();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_account_limit_holds_across_clients_and_spellings() {
        let limiter = AuthLimiter::new(3, 100);
        for client in ["a", "b", "c"] {
            assert!(limiter.check("reset", client, "x@example.org").is_ok());
        }
        let refused = limiter.check("reset", "d", " X@example.org");
        assert!(
            matches!(refused, Err(ApiError::TooManyRequests { retry_after_secs }) if retry_after_secs >= 1)
        );
        assert!(
            limiter.check("reset", "d", "y@example.org").is_ok(),
            "other accounts are unaffected"
        );
        assert!(
            limiter.check_account("register", "x@example.org").is_ok(),
            "actions are counted apart"
        );
    }

    #[test]
    fn the_client_limit_holds_across_accounts() {
        let limiter = AuthLimiter::new(100, 2);
        assert!(limiter.check("reset", "1.2.3.4", "a@x.org").is_ok());
        assert!(limiter.begin_sign_in("1.2.3.4", "b@x.org").is_ok());
        assert!(limiter.begin_sign_in("1.2.3.4", "b@x.org").is_ok());
        assert!(limiter.begin_sign_in("1.2.3.4", "c@x.org").is_err());
        assert!(limiter.begin_sign_in("5.6.7.8", "c@x.org").is_ok());
    }

    #[test]
    fn a_failing_client_is_locked_out_but_a_fresh_one_may_sign_in() {
        let limiter = AuthLimiter::new(3, 100);
        let start = Instant::now();
        let at = |s: u64| start + Duration::from_secs(s);
        for s in 0..3 {
            assert!(
                limiter
                    .begin_sign_in_at("attacker", "x@example.org", at(s))
                    .is_ok()
            );
        }
        let refused = limiter.begin_sign_in_at("attacker", "X@example.org ", at(10));
        assert!(
            matches!(
                refused,
                Err(ApiError::TooManyRequests {
                    retry_after_secs: 50
                })
            ),
            "{refused:?}"
        );
        // The owner, from an address that has not failed, may try; a success is taken back.
        let owner = limiter.begin_sign_in_at("owner", "x@example.org", at(11));
        limiter.signed_in(owner.expect("the owner may try"));
        assert!(
            limiter
                .begin_sign_in_at("owner", "x@example.org", at(12))
                .is_ok()
        );
        // The owner's slip counted: now they wait too.
        assert!(
            limiter
                .begin_sign_in_at("owner", "x@example.org", at(13))
                .is_err()
        );
        // Once the first failures are a minute old, the account is below its limit again.
        assert!(
            limiter
                .begin_sign_in_at("attacker", "x@example.org", at(61))
                .is_ok()
        );
    }

    #[test]
    fn many_fresh_clients_meet_the_accounts_ceiling() {
        let limiter = AuthLimiter::new(2, 100);
        let now = Instant::now();
        let ceiling = 2 * CEILING_FACTOR;
        for i in 0..ceiling {
            assert!(
                limiter
                    .begin_sign_in_at(&format!("c{i}"), "x@example.org", now)
                    .is_ok(),
                "{i}"
            );
        }
        assert!(
            limiter
                .begin_sign_in_at("fresh", "x@example.org", now)
                .is_err()
        );
        limiter.forget_idle();
        assert!(
            limiter
                .begin_sign_in_at("fresh", "y@example.org", now)
                .is_ok()
        );
    }

    #[test]
    fn unauthenticated_writes_are_counted_per_client() {
        let limiter = WriteLimiter::new(2);
        assert!(limiter.check("a").is_ok());
        assert!(limiter.check("a").is_ok());
        assert!(matches!(
            limiter.check("a"),
            Err(ApiError::TooManyRequests { .. })
        ));
        assert!(limiter.check("b").is_ok());
    }
}
