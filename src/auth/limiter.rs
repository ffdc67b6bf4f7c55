//! Rate limits on login and password-reset attempts, per client address and per account.
//!
//! Limits are kept in memory by each instance (governor's GCRA), so behind a load balancer with
//! N instances an attacker gets at most N times the configured rate.

use std::num::NonZeroU32;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use crate::error::ApiError;

pub struct AuthLimiter {
    per_account: DefaultKeyedRateLimiter<String>,
    per_client: DefaultKeyedRateLimiter<String>,
    clock: DefaultClock,
}

impl std::fmt::Debug for AuthLimiter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuthLimiter").finish_non_exhaustive()
    }
}

impl AuthLimiter {
    pub fn new(per_account_per_minute: u32, per_client_per_minute: u32) -> Self {
        let quota = |n: u32| Quota::per_minute(NonZeroU32::new(n).unwrap_or(NonZeroU32::MIN));
        AuthLimiter {
            per_account: RateLimiter::keyed(quota(per_account_per_minute)),
            per_client: RateLimiter::keyed(quota(per_client_per_minute)),
            clock: DefaultClock::default(),
        }
    }

    /// Counts one attempt of `action` from `client` on `account`; 429 with the wait when either
    /// limit is spent.
    pub fn check(&self, action: &str, client: &str, account: &str) -> Result<(), ApiError> {
        let now = self.clock.now();
        let wait = |not_until: governor::NotUntil<_>| {
            let secs = not_until.wait_time_from(now).as_secs_f64().ceil();
            // Whole seconds for Retry-After, at least one.
            ApiError::TooManyRequests {
                retry_after_secs: (secs as u64).max(1),
            }
        };
        self.per_client
            .check_key(&format!("{action}:{client}"))
            .map_err(wait)?;
        self.per_account
            .check_key(&format!("{action}:{}", account.to_lowercase()))
            .map_err(wait)?;
        Ok(())
    }

    /// Forgets keys whose limits have fully recovered, so memory stays bounded.
    pub fn forget_idle(&self) {
        self.per_account.retain_recent();
        self.per_client.retain_recent();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_account_limit_holds_across_clients() {
        let limiter = AuthLimiter::new(3, 100);
        for client in ["a", "b", "c"] {
            assert!(limiter.check("login", client, "x@example.org").is_ok());
        }
        let refused = limiter.check("login", "d", "X@example.org");
        assert!(
            matches!(refused, Err(ApiError::TooManyRequests { retry_after_secs }) if retry_after_secs >= 1)
        );
        assert!(
            limiter.check("login", "d", "y@example.org").is_ok(),
            "other accounts are unaffected"
        );
        assert!(
            limiter.check("reset", "d", "x@example.org").is_ok(),
            "actions are counted apart"
        );
    }

    #[test]
    fn the_client_limit_holds_across_accounts() {
        let limiter = AuthLimiter::new(100, 2);
        assert!(limiter.check("login", "1.2.3.4", "a@x.org").is_ok());
        assert!(limiter.check("login", "1.2.3.4", "b@x.org").is_ok());
        assert!(limiter.check("login", "1.2.3.4", "c@x.org").is_err());
        assert!(limiter.check("login", "5.6.7.8", "c@x.org").is_ok());
    }
}
