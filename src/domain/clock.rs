//! The service's notion of "now", injectable so that tests can move time.

use std::sync::{Arc, Mutex, PoisonError};

use chrono::SubsecRound;
use chrono::{DateTime, Duration, NaiveDateTime, Utc};

/// A source of the current time.
pub trait Clock: Send + Sync + std::fmt::Debug {
    fn now(&self) -> DateTime<Utc>;

    /// The current time as stored in the database (UTC, no zone).
    fn now_naive(&self) -> NaiveDateTime {
        self.now().naive_utc()
    }
}

/// The system clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    /// Whole microseconds, the precision PostgreSQL keeps: what an answer shows is what a later
    /// read returns, and SQLite's text timestamps compare the same way.
    fn now(&self) -> DateTime<Utc> {
        Utc::now().trunc_subsecs(6)
    }
}

/// A clock that stands still until moved; for tests.
#[derive(Debug, Clone)]
pub struct ManualClock(Arc<Mutex<DateTime<Utc>>>);

impl ManualClock {
    pub fn new(start: DateTime<Utc>) -> Self {
        ManualClock(Arc::new(Mutex::new(start)))
    }

    pub fn advance(&self, by: Duration) {
        let mut now = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        *now += by;
    }

    /// Moves the clock to `to`, forwards or back.
    pub fn set(&self, to: DateTime<Utc>) {
        *self.0.lock().unwrap_or_else(PoisonError::into_inner) = to;
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .trunc_subsecs(6)
    }
}

/// A timestamp read from the database, as UTC.
pub fn utc(naive: NaiveDateTime) -> DateTime<Utc> {
    naive.and_utc()
}
