//! The database: one binary, two backends, chosen at run time from `DATABASE_URL`.
//!
//! [`DbConnection`] is a diesel multi-connection over PostgreSQL and SQLite. The pool is r2d2 with
//! a manager of our own that picks the backend from the URL scheme, so a mistyped PostgreSQL URL
//! fails loudly instead of creating a SQLite file of that name. Diesel is blocking: [`Db::run`]
//! moves every pool checkout and query onto actix's blocking thread pool.
//!
//! A connection is checked with `SELECT 1` when it leaves the pool only if it has not been used
//! for [`ALIVE_BYPASS`]: under load every request would otherwise pay a round trip for the check,
//! while after an idle spell (or a database restart) a dead connection is still found and
//! replaced before a request sees it. A connection on which a query reported the connection lost
//! is discarded when it goes back.

pub mod children;
pub mod schema;
pub mod text_enum;

use diesel::connection::{AnsiTransactionManager, SimpleConnection, TransactionManager};
use diesel::pg::PgConnection;
use diesel::r2d2::{self, Pool, PooledConnection};
use diesel::sqlite::SqliteConnection;
use diesel::{Connection, ConnectionError};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};
use secrecy::ExposeSecret;
use std::ops::{Deref, DerefMut};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::Semaphore;

use crate::config::Settings;
use crate::error::ApiError;

const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");
const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");

/// How long a SQLite connection waits for another writer before giving up.
const SQLITE_BUSY_TIMEOUT_MS: u32 = 5_000;

/// A connection used this recently is handed out without a liveness check.
pub const ALIVE_BYPASS: Duration = Duration::from_millis(500);

/// A connection to either backend.
#[derive(diesel::MultiConnection)]
pub enum DbConnection {
    Postgresql(PgConnection),
    Sqlite(SqliteConnection),
}

/// Inserts many rows in one statement. Multi-row inserts are typed per backend, so the statement
/// is built for the connection's own backend.
macro_rules! batch {
    ($conn:expr, $table:expr, $rows:expr) => {
        match $conn {
            $crate::db::DbConnection::Postgresql(c) => {
                diesel::insert_into($table).values($rows).execute(c)
            }
            $crate::db::DbConnection::Sqlite(c) => {
                diesel::insert_into($table).values($rows).execute(c)
            }
        }
    };
    ($conn:expr, $table:expr, $rows:expr, returning $columns:expr) => {
        match $conn {
            $crate::db::DbConnection::Postgresql(c) => diesel::insert_into($table)
                .values($rows)
                .returning($columns)
                .get_results(c),
            $crate::db::DbConnection::Sqlite(c) => diesel::insert_into($table)
                .values($rows)
                .returning($columns)
                .get_results(c),
        }
    };
}
pub(crate) use batch;

/// The backend a URL names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Target {
    Postgres(String),
    Sqlite(String),
}

impl Target {
    /// Reads `sqlite://PATH` (`sqlite:///abs/path` for an absolute path) or `postgres://…` /
    /// `postgresql://…`. Anything else is refused.
    pub fn parse(url: &str) -> Result<Target, String> {
        if let Some(path) = url
            .strip_prefix("sqlite://")
            .or_else(|| url.strip_prefix("sqlite:"))
        {
            if path.is_empty() {
                return Err(
                    "DATABASE_URL sqlite:// needs a file path, e.g. sqlite://grantfund.db".into(),
                );
            }
            Ok(Target::Sqlite(path.to_owned()))
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Target::Postgres(url.to_owned()))
        } else {
            Err("DATABASE_URL must start with sqlite:// or postgres://".into())
        }
    }

    fn establish(&self) -> Result<DbConnection, ConnectionError> {
        match self {
            Target::Postgres(url) => PgConnection::establish(url).map(DbConnection::Postgresql),
            Target::Sqlite(path) => {
                let mut conn = SqliteConnection::establish(path)?;
                conn.batch_execute(&format!(
                    "PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}; \
                     PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL;"
                ))
                .map_err(ConnectionError::CouldntSetupConfiguration)?;
                Ok(DbConnection::Sqlite(conn))
            }
        }
    }
}

/// A pooled connection with what the pool needs to know about it: when it was last known to
/// work, and whether a query found it lost.
pub struct Slot {
    conn: DbConnection,
    known_alive_at: Instant,
    lost: bool,
}

impl Slot {
    /// Checks the connection unless it worked within [`ALIVE_BYPASS`]; false when it is dead.
    fn alive(&mut self) -> bool {
        if self.known_alive_at.elapsed() < ALIVE_BYPASS {
            return true;
        }
        let alive = self.conn.batch_execute("SELECT 1").is_ok();
        self.lost = !alive;
        alive
    }

    /// Notes the outcome of work done on the connection.
    fn record(&mut self, outcome: &Result<impl Sized, ApiError>) {
        match outcome {
            Err(ApiError::Unavailable) => self.lost = true,
            _ => self.known_alive_at = Instant::now(),
        }
    }
}

impl Deref for Slot {
    type Target = DbConnection;

    fn deref(&self) -> &DbConnection {
        &self.conn
    }
}

impl DerefMut for Slot {
    fn deref_mut(&mut self) -> &mut DbConnection {
        &mut self.conn
    }
}

/// An r2d2 manager that opens connections of the backend named by the URL.
#[derive(Debug)]
pub struct Manager {
    target: Target,
}

impl r2d2::ManageConnection for Manager {
    type Connection = Slot;
    type Error = r2d2::Error;

    fn connect(&self) -> Result<Slot, r2d2::Error> {
        let conn = self
            .target
            .establish()
            .map_err(r2d2::Error::ConnectionError)?;
        Ok(Slot {
            conn,
            known_alive_at: Instant::now(),
            lost: false,
        })
    }

    fn is_valid(&self, slot: &mut Slot) -> Result<(), r2d2::Error> {
        slot.conn
            .batch_execute("SELECT 1")
            .map_err(r2d2::Error::QueryError)
    }

    fn has_broken(&self, slot: &mut Slot) -> bool {
        slot.lost
            || match &mut slot.conn {
                DbConnection::Postgresql(c) => r2d2::R2D2Connection::is_broken(c),
                DbConnection::Sqlite(c) => r2d2::R2D2Connection::is_broken(c),
            }
    }
}

pub type DbPool = Pool<Manager>;
pub type PooledConn = PooledConnection<Manager>;

/// Why the database could not be opened at start.
#[derive(Debug, thiserror::Error)]
pub enum DbInitError {
    #[error("{0}")]
    Url(String),
    #[error("cannot connect to the database: {0}")]
    Connect(#[from] ConnectionError),
    #[error("cannot prepare the database: {0}")]
    Setup(#[from] diesel::result::Error),
    #[error("migrations failed: {0}")]
    Migrate(String),
    #[error("cannot build the connection pool: {0}")]
    Pool(#[from] diesel::r2d2::PoolError),
}

/// The connection pool and which backend it serves.
///
/// Requests queue for the pool in first-come order on an async semaphore with one permit per
/// connection, so only as many blocking threads run as there are connections to give them, and a
/// request does not wait behind later ones for a connection. A request that waits longer than
/// `DATABASE_TIMEOUT_SECONDS` for its turn is answered 503.
#[derive(Clone)]
pub struct Db {
    pool: DbPool,
    turns: Arc<Semaphore>,
    wait: Duration,
}

impl Db {
    /// Opens the database named by the settings, runs pending migrations and builds the pool.
    pub fn connect(settings: &Settings) -> Result<Db, DbInitError> {
        let target =
            Target::parse(settings.database_url.expose_secret()).map_err(DbInitError::Url)?;
        {
            // One connection first: WAL mode is set once, before several connections race for it,
            // and migrations run before anything else touches the schema.
            let mut conn = target.establish()?;
            if let DbConnection::Sqlite(c) = &mut conn {
                c.batch_execute("PRAGMA journal_mode = WAL;")?;
            }
            run_migrations(&mut conn)?;
        }
        let pool = Pool::builder()
            .max_size(settings.database_pool_size)
            .min_idle(Some(1))
            .connection_timeout(settings.database_timeout)
            .test_on_check_out(false)
            .build(Manager { target })?;
        Ok(Db {
            turns: Arc::new(Semaphore::new(settings.database_pool_size as usize)),
            wait: settings.database_timeout,
            pool,
        })
    }

    /// Runs blocking database work off the async executor.
    pub async fn run<T, F>(&self, work: F) -> Result<T, ApiError>
    where
        F: FnOnce(&mut DbConnection) -> Result<T, ApiError> + Send + 'static,
        T: Send + 'static,
    {
        let _turn = match tokio::time::timeout(self.wait, self.turns.acquire()).await {
            Ok(Ok(turn)) => turn,
            Ok(Err(_)) => return Err(ApiError::internal("the connection queue is closed")),
            Err(_) => {
                tracing::warn!("no database connection free within the timeout");
                return Err(ApiError::Unavailable);
            }
        };
        let db = self.clone();
        actix_web::web::block(move || {
            let mut slot = db.get()?;
            let outcome = work(&mut slot);
            slot.record(&outcome);
            outcome
        })
        .await?
    }

    /// A working connection for blocking code (CLI commands, the worker's claim step, tests).
    /// Connections found dead are dropped and the next one tried; once every idle connection
    /// has been tried the pool opens a new one or answers 503.
    pub fn get(&self) -> Result<PooledConn, ApiError> {
        for _ in 0..=self.pool.max_size() {
            let mut slot = self.pool.get()?;
            if slot.alive() {
                return Ok(slot);
            }
        }
        tracing::warn!("no working database connection");
        Err(ApiError::Unavailable)
    }
}

/// Runs every pending migration of the connection's backend.
pub fn run_migrations(conn: &mut DbConnection) -> Result<(), DbInitError> {
    let result = match conn {
        DbConnection::Postgresql(c) => c.run_pending_migrations(POSTGRES_MIGRATIONS).map(|_| ()),
        DbConnection::Sqlite(c) => c.run_pending_migrations(SQLITE_MIGRATIONS).map(|_| ()),
    };
    result.map_err(|e| DbInitError::Migrate(e.to_string()))
}

/// True when every migration this binary knows of has been applied.
pub fn migrations_applied(conn: &mut DbConnection) -> Result<bool, ApiError> {
    let pending = match conn {
        DbConnection::Postgresql(c) => c.has_pending_migration(POSTGRES_MIGRATIONS),
        DbConnection::Sqlite(c) => c.has_pending_migration(SQLITE_MIGRATIONS),
    };
    pending
        .map(|p| !p)
        .map_err(|e| ApiError::internal(format!("migration check: {e}")))
}

/// Runs `work` in a transaction that holds the write lock from its first statement.
///
/// On PostgreSQL this is an ordinary transaction (row-level locking does the rest). On SQLite a
/// deferred transaction that reads and then writes fails at once with "database is locked" when
/// another connection wrote in between; `BEGIN IMMEDIATE` takes the write lock up front and waits
/// for it under `busy_timeout`, so concurrent writers queue instead of failing. One that waited
/// the whole timeout in vain fails with [`ApiError::Contended`] (503), not 500. Writers of a
/// fund's budget use [`retrying_write`] instead.
pub fn write_transaction<T, E, F>(conn: &mut DbConnection, work: F) -> Result<T, E>
where
    F: FnOnce(&mut DbConnection) -> Result<T, E>,
    E: From<diesel::result::Error>,
{
    let nested = match conn {
        DbConnection::Postgresql(c) => in_transaction(c),
        DbConnection::Sqlite(c) => in_transaction(c),
    };
    if nested {
        return conn.transaction(work);
    }
    match conn {
        DbConnection::Postgresql(c) => AnsiTransactionManager::begin_transaction(c)?,
        DbConnection::Sqlite(c) => {
            AnsiTransactionManager::begin_transaction_sql(c, "BEGIN IMMEDIATE")?
        }
    }
    match work(conn) {
        Ok(value) => {
            <DbConnection as Connection>::TransactionManager::commit_transaction(conn)?;
            Ok(value)
        }
        Err(error) => {
            <DbConnection as Connection>::TransactionManager::rollback_transaction(conn)?;
            Err(error)
        }
    }
}

/// How many times [`retrying_write`] runs a transaction that the database keeps ending for a
/// deadlock or a serialization failure.
pub const WRITE_ATTEMPTS: u32 = 4;

/// The longest pause before the first rerun; each later one may wait twice as long as the one
/// before.
const RETRY_PAUSE: Duration = Duration::from_millis(10);

/// Runs `work` in a write transaction (see [`write_transaction`]), and runs the whole transaction
/// again, up to [`WRITE_ATTEMPTS`] times in all, when PostgreSQL ends it for a deadlock or a
/// serialization failure. Every writer of a fund's budget goes through here.
///
/// Taking locks in one order (see `crate::funds::locks`) leaves nothing to deadlock among the
/// service's own writes, but the database may still end a transaction to let others through (a
/// statement of another program, an ordering that a future change gets wrong). Such a transaction
/// has been rolled back whole, so running it again is safe: `work` starts from a fresh
/// transaction each time and must build everything it writes inside it, including an
/// `Idempotency-Key`'s record, which is why it is `FnMut`. Between runs it pauses for a random
/// time up to 10, 20 and 40 ms, so that transactions that met once do not meet again in step.
/// After the last run the caller gets 503 `write_conflict`, never 500, and nothing was written.
///
/// Inside a transaction already open it runs `work` once, as a savepoint: a deadlock ends the
/// whole transaction, so only the outermost writer can run it again.
///
/// SQLite's `BEGIN IMMEDIATE` makes write transactions queue instead of deadlocking; one that
/// waited the whole busy timeout for the lock answers 503 at once rather than waiting again.
pub fn retrying_write<T, F>(conn: &mut DbConnection, mut work: F) -> Result<T, ApiError>
where
    F: FnMut(&mut DbConnection) -> Result<T, ApiError>,
{
    let nested = match conn {
        DbConnection::Postgresql(c) => in_transaction(c),
        DbConnection::Sqlite(c) => in_transaction(c),
    };
    if nested {
        return write_transaction(conn, work);
    }
    let mut attempt = 1;
    loop {
        match write_transaction(conn, &mut work) {
            Err(ApiError::Contended(contention))
                if contention.retryable() && attempt < WRITE_ATTEMPTS =>
            {
                tracing::info!(%contention, attempt, "write transaction ended by the database; running it again");
                std::thread::sleep(pause(attempt));
                attempt += 1;
            }
            Err(ApiError::Contended(contention)) => {
                tracing::warn!(%contention, attempt, "write transaction given up");
                return Err(ApiError::Contended(contention));
            }
            outcome => return outcome,
        }
    }
}

/// A random pause before run `attempt + 1`: up to [`RETRY_PAUSE`] doubled for each run before.
fn pause(attempt: u32) -> Duration {
    use rand::Rng;
    let longest = RETRY_PAUSE.saturating_mul(1 << attempt.saturating_sub(1).min(8));
    rand::rng().random_range(Duration::ZERO..=longest)
}

fn in_transaction<C>(conn: &mut C) -> bool
where
    C: Connection<TransactionManager = AnsiTransactionManager>,
{
    AnsiTransactionManager::transaction_manager_status_mut(conn)
        .transaction_depth()
        .ok()
        .flatten()
        .is_some()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;
    use crate::error::Contention;
    use crate::error::ErrorCode;
    use diesel::RunQueryDsl;
    use diesel::result::{DatabaseErrorKind, Error};

    /// A SQLite database in a temporary folder with a table `t`.
    fn database() -> (tempfile::TempDir, String, DbConnection) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.db").display().to_string();
        let mut conn = Target::Sqlite(path.clone()).establish().unwrap();
        conn.batch_execute("PRAGMA journal_mode = WAL; CREATE TABLE t (n INTEGER NOT NULL);")
            .unwrap();
        (dir, path, conn)
    }

    fn rows(conn: &mut DbConnection) -> i64 {
        diesel::select(diesel::dsl::sql::<diesel::sql_types::BigInt>(
            "(SELECT COUNT(*) FROM t)",
        ))
        .get_result(conn)
        .unwrap()
    }

    fn insert(conn: &mut DbConnection) -> Result<(), ApiError> {
        conn.batch_execute("INSERT INTO t (n) VALUES (1)")?;
        Ok(())
    }

    /// PostgreSQL's serialization failure as diesel gives it.
    fn serialization_failure() -> Error {
        Error::DatabaseError(
            DatabaseErrorKind::SerializationFailure,
            Box::new("could not serialize access due to concurrent update".to_owned()),
        )
    }

    /// PostgreSQL's deadlock as diesel gives it: no kind of its own, only the words.
    fn deadlock() -> Error {
        Error::DatabaseError(
            DatabaseErrorKind::Unknown,
            Box::new("deadlock detected".to_owned()),
        )
    }

    #[test]
    fn the_databases_contention_errors_are_recognised() {
        assert!(matches!(
            ApiError::from(serialization_failure()),
            ApiError::Contended(Contention::SerializationFailure)
        ));
        assert!(matches!(
            ApiError::from(deadlock()),
            ApiError::Contended(Contention::Deadlock)
        ));
        let other = Error::DatabaseError(
            DatabaseErrorKind::Unknown,
            Box::new("division by zero".to_owned()),
        );
        assert!(matches!(ApiError::from(other), ApiError::Internal(_)));
        let problem = ApiError::Contended(Contention::Deadlock).problem();
        assert_eq!(
            (problem.status, problem.code.as_str()),
            (503, "write_conflict")
        );
    }

    #[test]
    fn a_serialization_failure_is_run_again_from_a_fresh_transaction() {
        let (_dir, _, mut conn) = database();
        let mut runs = 0;
        let outcome = retrying_write(&mut conn, |conn| {
            runs += 1;
            insert(conn)?;
            match runs {
                1 => Err(serialization_failure().into()),
                2 => Err(deadlock().into()),
                _ => Ok(runs),
            }
        });
        assert_eq!(outcome.unwrap(), 3);
        // The failed runs' writes were rolled back with them.
        assert_eq!(rows(&mut conn), 1);
    }

    #[test]
    fn a_write_that_keeps_failing_is_given_up_after_its_bound() {
        let (_dir, _, mut conn) = database();
        let mut runs = 0;
        let outcome: Result<(), ApiError> = retrying_write(&mut conn, |conn| {
            runs += 1;
            insert(conn)?;
            Err(serialization_failure().into())
        });
        assert!(matches!(
            outcome,
            Err(ApiError::Contended(Contention::SerializationFailure))
        ));
        assert_eq!(runs, WRITE_ATTEMPTS);
        assert_eq!(rows(&mut conn), 0);
    }

    #[test]
    fn other_failures_are_not_run_again() {
        let (_dir, _, mut conn) = database();
        let mut runs = 0;
        let outcome: Result<(), ApiError> = retrying_write(&mut conn, |conn| {
            runs += 1;
            insert(conn)?;
            Err(ApiError::conflict(ErrorCode::InvalidState, "no"))
        });
        assert!(matches!(outcome, Err(ApiError::Conflict { .. })));
        assert_eq!(runs, 1);
        assert_eq!(rows(&mut conn), 0);
    }

    #[test]
    fn inside_a_transaction_only_the_outermost_runs_again() {
        let (_dir, _, mut conn) = database();
        let (mut outer, mut inner) = (0, 0);
        let outcome: Result<(), ApiError> = retrying_write(&mut conn, |conn| {
            outer += 1;
            retrying_write(conn, |conn| {
                inner += 1;
                insert(conn)?;
                Err(deadlock().into())
            })
        });
        assert!(matches!(
            outcome,
            Err(ApiError::Contended(Contention::Deadlock))
        ));
        assert_eq!((outer, inner), (WRITE_ATTEMPTS, WRITE_ATTEMPTS));
        assert_eq!(rows(&mut conn), 0);
    }

    #[test]
    fn a_sqlite_write_lock_waited_for_in_vain_answers_503_without_waiting_again() {
        let (_dir, path, mut holder) = database();
        holder.batch_execute("BEGIN IMMEDIATE").unwrap();
        let mut waiter = Target::Sqlite(path).establish().unwrap();
        waiter.batch_execute("PRAGMA busy_timeout = 20").unwrap();
        let mut runs = 0;
        let outcome: Result<(), ApiError> = retrying_write(&mut waiter, |conn| {
            runs += 1;
            insert(conn)
        });
        let Err(error) = outcome else {
            panic!("wrote through another connection's write lock");
        };
        assert!(matches!(error, ApiError::Contended(Contention::Locked)));
        assert_eq!(error.problem().status, 503);
        assert_eq!(runs, 0);
        holder.batch_execute("ROLLBACK").unwrap();
        // The connection is usable again once the lock is free.
        retrying_write(&mut waiter, insert).unwrap();
        assert_eq!(rows(&mut waiter), 1);
    }
}
