//! The database: one connection type over SQLite or PostgreSQL, a pool, embedded migrations.
//!
//! Query code is written once against `DbConnection`; only migrations and connection set-up differ.

pub mod schema;

use std::time::Duration;

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::r2d2::{self, ManageConnection, Pool};
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};

use crate::config::{DatabaseUrl, Settings};
use crate::error::AppError;

#[derive(diesel::MultiConnection)]
pub enum DbConnection {
    Postgres(diesel::PgConnection),
    Sqlite(diesel::SqliteConnection),
}

const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");
const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");

/// Inserts many rows in one statement. Multi-row INSERT is the one statement `MultiConnection` cannot
/// express, so this dispatches to the concrete connection; the query is still written once.
#[macro_export]
macro_rules! insert_batch {
    ($conn:expr, $table:expr, $rows:expr) => {{
        use diesel::RunQueryDsl as _;
        match $conn {
            $crate::db::DbConnection::Postgres(pg) => diesel::insert_into($table).values($rows).execute(pg),
            $crate::db::DbConnection::Sqlite(sqlite) => diesel::insert_into($table).values($rows).execute(sqlite),
        }
    }};
}

/// Loads the rows a worker is about to claim, inside its transaction. On PostgreSQL they are locked
/// `FOR UPDATE SKIP LOCKED`, so concurrent workers take different rows instead of waiting on each other;
/// on SQLite the transaction already holds the one write lock (`BEGIN IMMEDIATE`). Like
/// [`insert_batch!`], it dispatches to the concrete connection, as `MultiConnection` has no locking clause.
#[macro_export]
macro_rules! load_skip_locked {
    ($conn:expr, $query:expr, $row:ty) => {{
        use diesel::RunQueryDsl as _;
        match $conn {
            $crate::db::DbConnection::Postgres(pg) => $query.for_update().skip_locked().load::<$row>(pg),
            $crate::db::DbConnection::Sqlite(sqlite) => $query.load::<$row>(sqlite),
        }
    }};
}

/// Runs `work` in a transaction that may write. On SQLite it begins `IMMEDIATE`: a deferred transaction
/// that reads first and writes later fails at once (busy timeout or not) when another connection wrote
/// in between, whereas an immediate one queues for the write lock up front. Nested calls become savepoints.
pub fn transaction<T, E: From<diesel::result::Error>>(
    conn: &mut DbConnection,
    work: impl FnOnce(&mut DbConnection) -> Result<T, E>,
) -> Result<T, E> {
    use diesel::connection::{AnsiTransactionManager, TransactionManager};
    let DbConnection::Sqlite(sqlite) = conn else { return conn.transaction(work) };
    let nested =
        AnsiTransactionManager::transaction_manager_status_mut(sqlite).transaction_depth().map_err(E::from)?.is_some();
    if nested {
        return conn.transaction(work);
    }
    AnsiTransactionManager::begin_transaction_sql(&mut *sqlite, "BEGIN IMMEDIATE").map_err(E::from)?;
    let result = work(conn);
    let DbConnection::Sqlite(sqlite) = conn else { unreachable!("the connection kind does not change") };
    match result {
        Ok(value) => {
            AnsiTransactionManager::commit_transaction(sqlite).map_err(E::from)?;
            Ok(value)
        }
        Err(err) => {
            AnsiTransactionManager::rollback_transaction(sqlite).map_err(E::from)?;
            Err(err)
        }
    }
}

/// Key of the PostgreSQL advisory lock held while migrating and seeding.
const STARTUP_LOCK_KEY: i64 = 0x0063_6473_5f6d_6967; // "cds_mig"

/// Opens connections of the configured kind, with the per-connection settings SQLite needs.
#[derive(Debug, Clone)]
pub struct ConnectionManager {
    target: DatabaseUrl,
}

impl ConnectionManager {
    pub fn new(target: DatabaseUrl) -> Self {
        ConnectionManager { target }
    }

    pub fn connect(&self) -> Result<DbConnection, ConnectionError> {
        match &self.target {
            DatabaseUrl::Postgres(url) => Ok(DbConnection::Postgres(diesel::PgConnection::establish(url)?)),
            DatabaseUrl::Sqlite(path) => {
                let path =
                    path.to_str().ok_or_else(|| ConnectionError::InvalidConnectionUrl("path is not UTF-8".into()))?;
                let mut conn = diesel::SqliteConnection::establish(path)?;
                // WAL lets readers work while one request writes; the busy timeout makes writers queue
                // instead of failing; foreign keys are off by default in SQLite.
                conn.batch_execute(
                    "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; \
                     PRAGMA busy_timeout = 5000; PRAGMA foreign_keys = ON;",
                )
                .map_err(ConnectionError::CouldntSetupConfiguration)?;
                Ok(DbConnection::Sqlite(conn))
            }
        }
    }
}

impl ManageConnection for ConnectionManager {
    type Connection = DbConnection;
    type Error = r2d2::Error;

    fn connect(&self) -> Result<DbConnection, r2d2::Error> {
        ConnectionManager::connect(self).map_err(r2d2::Error::ConnectionError)
    }

    fn is_valid(&self, conn: &mut DbConnection) -> Result<(), r2d2::Error> {
        conn.batch_execute("SELECT 1").map_err(r2d2::Error::QueryError)
    }

    fn has_broken(&self, _conn: &mut DbConnection) -> bool {
        false
    }
}

/// The pool, shared by every request. All database work goes through [`Db::run`] (or [`Db::read`]), off
/// the async workers.
#[derive(Clone)]
pub struct Db {
    pool: Pool<ConnectionManager>,
    replica: Option<Replica>,
}

/// A streaming replica of the primary (`CDS_DATABASE_READ_URL`) for reads that may see the recent past.
#[derive(Clone)]
struct Replica {
    pool: Pool<ConnectionManager>,
    /// Until when reads skip a replica that could not be reached, so that each does not wait for it.
    resting_until: std::sync::Arc<std::sync::Mutex<Option<std::time::Instant>>>,
}

/// How long reads go to the primary after the replica could not be reached.
const REPLICA_REST: Duration = Duration::from_secs(10);

impl Replica {
    /// A connection to the replica, or `None` (said in the log) when it cannot be reached now.
    fn connection(&self) -> Option<r2d2::PooledConnection<ConnectionManager>> {
        let mut resting = self.resting_until.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if resting.is_some_and(|until| std::time::Instant::now() < until) {
            return None;
        }
        *resting = None;
        drop(resting);
        match self.pool.get() {
            Ok(conn) => Some(conn),
            Err(err) => {
                tracing::warn!(error = %err, "read replica unreachable: reading from the primary for a while");
                let until = std::time::Instant::now() + REPLICA_REST;
                *self.resting_until.lock().unwrap_or_else(|poisoned| poisoned.into_inner()) = Some(until);
                None
            }
        }
    }
}

impl Db {
    /// Builds the pool without connecting, so a server whose database is down still starts answering
    /// `/health/ready` with a clear 503 once it is up.
    pub fn new(settings: &Settings) -> Result<Self, AppError> {
        if let DatabaseUrl::Sqlite(path) = &settings.database {
            if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::create_dir_all(dir)
                    .map_err(|err| AppError::DatabaseUnavailable(format!("cannot create {}: {err}", dir.display())))?;
            }
        }
        let pool = |target: &DatabaseUrl, timeout: Duration| {
            Pool::builder()
                .max_size(settings.db_pool_size)
                .min_idle(Some(0))
                .connection_timeout(timeout)
                .idle_timeout(Some(Duration::from_secs(300)))
                .build_unchecked(ConnectionManager::new(target.clone()))
        };
        // A replica that does not answer within a second is passed over for the primary.
        let replica = settings.read_database.as_ref().map(|target| Replica {
            pool: pool(target, settings.db_timeout.min(Duration::from_secs(1))),
            resting_until: Default::default(),
        });
        Ok(Db { pool: pool(&settings.database, settings.db_timeout), replica })
    }

    /// Runs `work` with a pooled connection on the blocking thread pool.
    pub async fn run<T, F>(&self, work: F) -> Result<T, AppError>
    where
        F: FnOnce(&mut DbConnection) -> Result<T, AppError> + Send + 'static,
        T: Send + 'static,
    {
        let pool = self.pool.clone();
        actix_web::web::block(move || {
            let mut conn = pool.get()?;
            work(&mut conn)
        })
        .await
        .map_err(|err| AppError::Internal(format!("blocking task: {err}")))?
    }

    /// Runs `work`, which only reads and may see the recent past (public lists, statistics), on the read
    /// replica when there is one and it can be reached; otherwise like [`Db::run`]. What must see its own
    /// writes (the reporter's own report, officials' work) goes through [`Db::run`].
    pub async fn read<T, F>(&self, work: F) -> Result<T, AppError>
    where
        F: FnOnce(&mut DbConnection) -> Result<T, AppError> + Send + 'static,
        T: Send + 'static,
    {
        let Some(replica) = self.replica.clone() else { return self.run(work).await };
        let pool = self.pool.clone();
        actix_web::web::block(move || match replica.connection() {
            Some(mut conn) => work(&mut conn),
            None => work(&mut *pool.get()?),
        })
        .await
        .map_err(|err| AppError::Internal(format!("blocking task: {err}")))?
    }

    /// Like [`Db::read`], then once more on the primary when `maybe_behind` says the replica's answer may
    /// lag what the caller needs (their own report, something just filed). One read without a replica.
    pub async fn read_unless_behind<T, F>(
        &self,
        work: F,
        maybe_behind: impl FnOnce(&Result<T, AppError>) -> bool,
    ) -> Result<T, AppError>
    where
        F: FnOnce(&mut DbConnection) -> Result<T, AppError> + Clone + Send + 'static,
        T: Send + 'static,
    {
        if self.replica.is_none() {
            return self.run(work).await;
        }
        let read = self.read(work.clone()).await;
        if maybe_behind(&read) {
            self.run(work).await
        } else {
            read
        }
    }

    /// A connection for start-up and command-line work, outside any request.
    pub fn get(&self) -> Result<r2d2::PooledConnection<ConnectionManager>, AppError> {
        Ok(self.pool.get()?)
    }
}

/// Runs `work` while holding a database-wide lock on PostgreSQL, so that of several instances starting
/// at once only one migrates and seeds. (SQLite serializes writers by itself.)
pub fn exclusively<T>(
    conn: &mut DbConnection,
    work: impl FnOnce(&mut DbConnection) -> Result<T, AppError>,
) -> Result<T, AppError> {
    if let DbConnection::Postgres(pg) = conn {
        diesel::sql_query(format!("SELECT pg_advisory_lock({STARTUP_LOCK_KEY})")).execute(pg)?;
    }
    let result = work(conn);
    if let DbConnection::Postgres(pg) = conn {
        diesel::sql_query(format!("SELECT pg_advisory_unlock({STARTUP_LOCK_KEY})")).execute(pg)?;
    }
    result
}

/// For `map_err` after an insert: a unique-index violation means `taken` to the caller (the account,
/// key or credit exists already); any other error passes through.
pub fn taken_as<E: From<diesel::result::Error>>(taken: E) -> impl FnOnce(diesel::result::Error) -> E {
    move |err| match err {
        diesel::result::Error::DatabaseError(diesel::result::DatabaseErrorKind::UniqueViolation, _) => taken,
        other => other.into(),
    }
}

/// Makes transactions that take the same `key` wait for each other until they end, on PostgreSQL
/// (SQLite runs one writing transaction at a time anyway). For "read the highest, write the next".
pub fn lock_until_commit(conn: &mut DbConnection, key: i64) -> Result<(), AppError> {
    if let DbConnection::Postgres(pg) = conn {
        diesel::sql_query(format!("SELECT pg_advisory_xact_lock({key})")).execute(pg)?;
    }
    Ok(())
}

/// Applies the migrations this build carries that the database lacks; returns their names.
pub fn run_migrations(conn: &mut DbConnection) -> Result<Vec<String>, AppError> {
    let applied = match conn {
        DbConnection::Postgres(pg) => pg.run_pending_migrations(POSTGRES_MIGRATIONS).map(names),
        DbConnection::Sqlite(sqlite) => sqlite.run_pending_migrations(SQLITE_MIGRATIONS).map(names),
    };
    applied.map_err(|err| AppError::Internal(format!("migrations: {err}")))
}

fn names(versions: Vec<diesel::migration::MigrationVersion<'_>>) -> Vec<String> {
    versions.iter().map(ToString::to_string).collect()
}
