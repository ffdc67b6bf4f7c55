//! The accounts behind recent access tokens, kept for a moment so that a burst of requests from
//! one user reads the `users` row once instead of once per request.
//!
//! Every change this process makes to an account (an administrator's edit or deletion, a
//! password reset) empties the cache as soon as it is committed, so on one instance a disabled
//! account or an ended session is refused at once. A change made elsewhere (another instance,
//! the command line, the retention job) is seen within [`ACCOUNT_CACHE_TTL`].

use std::collections::HashMap;
use std::sync::RwLock;
use std::time::{Duration, Instant};

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::caller::CurrentUser;
use crate::db::DbConnection;
use crate::db::schema::{user_factors, users};
use crate::domain::vocabulary::{HealthBoard, Role};
use crate::error::ApiError;

/// How long an account read from the database is trusted.
pub const ACCOUNT_CACHE_TTL: Duration = Duration::from_secs(1);

/// Past this many entries, expired ones are swept out before another is added.
const SWEEP_ABOVE: usize = 4_096;

/// What the access check needs of a `users` row: never its password hash.
#[derive(Clone, Debug, Queryable, Selectable)]
#[diesel(table_name = users)]
struct AccountRow {
    id: i64,
    role: Role,
    organisation_id: Option<i64>,
    unit_id: Option<i64>,
    health_board: Option<HealthBoard>,
    email: String,
    name: String,
    active: bool,
    password_changed_at: NaiveDateTime,
    session_generation: i64,
}

/// What the access check needs of an account.
#[derive(Clone, Debug)]
pub struct Account {
    pub id: i64,
    pub role: Role,
    pub organisation_id: Option<i64>,
    pub unit_id: Option<i64>,
    pub health_board: Option<HealthBoard>,
    pub email: String,
    pub name: String,
    pub active: bool,
    pub password_changed_at: NaiveDateTime,
    pub session_generation: i64,
    /// The account has a confirmed second factor.
    pub mfa_enrolled: bool,
}

impl Account {
    /// Reads the account of a user (404 for none), leaving the password hash unread.
    pub fn find(conn: &mut DbConnection, id: i64) -> Result<Account, ApiError> {
        let row: AccountRow = users::table
            .find(id)
            .select(AccountRow::as_select())
            .first(conn)?;
        let mfa_enrolled = user_factors::table
            .find(id)
            .filter(user_factors::confirmed_at.is_not_null())
            .count()
            .get_result::<i64>(conn)?
            > 0;
        Ok(Account {
            id: row.id,
            role: row.role,
            organisation_id: row.organisation_id,
            unit_id: row.unit_id,
            health_board: row.health_board,
            email: row.email,
            name: row.name,
            active: row.active,
            password_changed_at: row.password_changed_at,
            session_generation: row.session_generation,
            mfa_enrolled,
        })
    }
}

impl From<Account> for CurrentUser {
    fn from(account: Account) -> Self {
        CurrentUser {
            id: account.id,
            role: account.role,
            organisation_id: account.organisation_id,
            unit_id: account.unit_id,
            health_board: account.health_board,
            email: account.email,
            name: account.name,
            mfa_enrolled: account.mfa_enrolled,
            factor_at: None,
        }
    }
}

/// Accounts by user id, each with when it was read.
#[derive(Debug, Default)]
pub struct AccountCache {
    entries: RwLock<HashMap<i64, (Instant, Account)>>,
}

impl AccountCache {
    /// The account of `user_id` if it was read less than [`ACCOUNT_CACHE_TTL`] ago.
    pub fn get(&self, user_id: i64) -> Option<Account> {
        let entries = self.entries.read().unwrap_or_else(|e| e.into_inner());
        entries
            .get(&user_id)
            .filter(|(read_at, _)| read_at.elapsed() < ACCOUNT_CACHE_TTL)
            .map(|(_, account)| account.clone())
    }

    /// Keeps `account` as read from the database at `read_at`.
    pub fn put(&self, read_at: Instant, account: Account) {
        let mut entries = self.entries.write().unwrap_or_else(|e| e.into_inner());
        if entries.len() >= SWEEP_ABOVE {
            entries.retain(|_, (at, _)| at.elapsed() < ACCOUNT_CACHE_TTL);
        }
        entries.insert(account.id, (read_at, account));
    }

    /// Forgets every account: called after this process changes any of them.
    pub fn clear(&self) {
        self.entries
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn account(id: i64) -> Account {
        Account {
            id,
            role: Role::Administrator,
            organisation_id: None,
            unit_id: None,
            health_board: None,
            email: format!("{id}@example.org"),
            name: "A".into(),
            active: true,
            password_changed_at: NaiveDateTime::default(),
            session_generation: 0,
            mfa_enrolled: false,
        }
    }

    #[test]
    fn an_account_is_kept_for_the_ttl_and_no_longer() {
        let cache = AccountCache::default();
        cache.put(Instant::now(), account(1));
        assert_eq!(cache.get(1).map(|a| a.id), Some(1));
        assert!(cache.get(2).is_none());
        let long_ago = Instant::now()
            .checked_sub(ACCOUNT_CACHE_TTL + Duration::from_millis(1))
            .expect("the clock has run longer than the TTL");
        cache.put(long_ago, account(3));
        assert!(cache.get(3).is_none(), "an expired account is read again");
    }

    #[test]
    fn clearing_forgets_every_account() {
        let cache = AccountCache::default();
        cache.put(Instant::now(), account(1));
        cache.put(Instant::now(), account(2));
        cache.clear();
        assert!(cache.get(1).is_none() && cache.get(2).is_none());
    }

    #[test]
    fn expired_accounts_are_swept_when_the_cache_is_full() {
        let cache = AccountCache::default();
        let long_ago = Instant::now()
            .checked_sub(ACCOUNT_CACHE_TTL * 2)
            .expect("the clock has run longer than the TTL");
        for id in 0..SWEEP_ABOVE as i64 {
            cache.put(long_ago, account(id));
        }
        cache.put(Instant::now(), account(-1));
        let len = cache.entries.read().map(|e| e.len()).unwrap_or_default();
        assert_eq!(len, 1);
    }
}
