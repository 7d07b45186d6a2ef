//! The two implementations of [`Store`](crate::Store).
//!
//! Their SQL is the same text, written once in `queries.rs` and compiled into each module below
//! against that module's `Db`. What really differs stays here: connecting, how a write
//! transaction starts (SQLite takes the single writer with `BEGIN IMMEDIATE`), and how a moment
//! is stored (epoch milliseconds in an INTEGER on SQLite, so it sorts and compares exactly;
//! `timestamptz` on PostgreSQL).

use chrono::{DateTime, Utc};

use crate::{Result, StoreError};

fn ms_to_time(ms: i64) -> Result<DateTime<Utc>> {
    DateTime::from_timestamp_millis(ms).ok_or_else(|| StoreError::Corrupt(format!("timestamp {ms} out of range")))
}

pub mod sqlite {
    //! SQLite: WAL, foreign keys, `synchronous=FULL`, one writer connection that starts every
    //! write with `BEGIN IMMEDIATE` (so a transaction never fails half-way on a lock upgrade),
    //! and a pool of read-only connections.

    use std::path::{Path, PathBuf};
    use std::str::FromStr;
    use std::time::Duration;

    use chrono::{DateTime, Utc};
    use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
    use sqlx::{Pool, Transaction};

    use crate::Result;

    type Db = sqlx::Sqlite;
    type DbRow = sqlx::sqlite::SqliteRow;
    type Ts = i64;
    type Backend = SqliteStore;
    /// The single writer connection already serialises claims.
    const CLAIM_LOCK: &str = "";
    /// Takes writes that share a key (`$1`: a practitioner's bookings, a patient's alerts) in
    /// turn for the rest of the transaction; SQLite's single writer (`BEGIN IMMEDIATE`) already
    /// does.
    const TURN_LOCK: Option<&str> = None;
    /// Takes the single writer at once, so a write transaction never fails half-way.
    const BEGIN_WRITE: &str = "BEGIN IMMEDIATE";

    fn ts(t: DateTime<Utc>) -> Ts {
        t.timestamp_millis()
    }

    fn from_ts(v: Ts) -> Result<DateTime<Utc>> {
        super::ms_to_time(v)
    }

    /// The embedded database.
    pub struct SqliteStore {
        write: Pool<Db>,
        read: Pool<Db>,
        path: PathBuf,
    }

    impl SqliteStore {
        pub async fn open(path: &Path, create: bool) -> Result<Self> {
            let base = SqliteConnectOptions::from_str("sqlite://")?
                .filename(path)
                .foreign_keys(true)
                .busy_timeout(Duration::from_secs(10));
            let write = SqlitePoolOptions::new()
                .max_connections(1)
                .min_connections(1)
                // A COMMIT that fails (a full disk: SQLITE_FULL) leaves the transaction open on
                // the connection, and every later write failed with "begin at non-zero
                // transaction depth" until restart. Such a connection is closed, not reused: the
                // pool opens a fresh one (issue 14, found by the full-disk fault test).
                .after_release(|conn, _| Box::pin(async move { Ok(!sqlx::Connection::is_in_transaction(conn)) }))
                .acquire_timeout(Duration::from_secs(30))
                .connect_with(
                    base.clone()
                        .create_if_missing(create)
                        .journal_mode(SqliteJournalMode::Wal)
                        .synchronous(SqliteSynchronous::Full),
                )
                .await
                .map_err(|e| crate::StoreError::Config(format!("cannot open {}: {e}", path.display())))?;
            sqlx::migrate!("migrations/sqlite").run(&write).await?;
            let read = SqlitePoolOptions::new()
                .max_connections(4)
                .acquire_timeout(Duration::from_secs(30))
                .connect_with(base.read_only(true))
                .await?;
            let store = Self { write, read, path: path.to_path_buf() };
            let report = crate::Store::integrity_check(&store).await?;
            if report != "ok" {
                return Err(crate::StoreError::Corrupt(format!(
                    "{} fails its integrity check ({report}); restore it from a backup",
                    path.display()
                )));
            }
            Ok(store)
        }

        pub fn path(&self) -> &Path {
            &self.path
        }

        /// Writes a consistent copy of the live database to `target` (`VACUUM INTO`), which
        /// must not exist yet. Safe while the service runs.
        pub async fn backup_to(&self, target: &Path) -> Result<()> {
            if target.exists() {
                return Err(crate::StoreError::Config(format!(
                    "{} already exists; choose a new file",
                    target.display()
                )));
            }
            let target = target.to_str().ok_or_else(|| crate::StoreError::Config("backup path is not UTF-8".into()))?;
            sqlx::query("VACUUM INTO $1").bind(target).execute(&self.read).await?;
            Ok(())
        }

        pub async fn close(&self) {
            self.read.close().await;
            self.write.close().await;
        }

        async fn begin(&self) -> Result<Transaction<'static, Db>> {
            Ok(self.write.begin_with(BEGIN_WRITE).await?)
        }

        /// A snapshot on a read-only connection; its audit record goes through the writer.
        async fn begin_read(&self) -> Result<(Transaction<'static, Db>, Option<Pool<Db>>)> {
            Ok((self.read.begin().await?, Some(self.write.clone())))
        }

        fn reader(&self) -> &Pool<Db> {
            &self.read
        }

        fn backend_name(&self) -> &'static str {
            "sqlite"
        }

        async fn check_integrity(&self) -> Result<String> {
            let rows: Vec<(String,)> = sqlx::query_as("PRAGMA quick_check").fetch_all(&self.read).await?;
            Ok(rows.into_iter().map(|r| r.0).collect::<Vec<_>>().join("; "))
        }
    }

    include!("queries.rs");
}

pub mod postgres {
    //! PostgreSQL: a connection pool; the default isolation level; the same SQL as SQLite.

    use std::time::Duration;

    use chrono::{DateTime, Utc};
    use sqlx::postgres::PgPoolOptions;
    use sqlx::{Pool, Transaction};

    use crate::Result;

    type Db = sqlx::Postgres;
    type DbRow = sqlx::postgres::PgRow;
    type Ts = DateTime<Utc>;
    type Backend = PostgresStore;
    /// Concurrent workers skip rows another worker is claiming instead of waiting or taking them.
    const CLAIM_LOCK: &str = "FOR UPDATE SKIP LOCKED";
    /// Two writes that check then insert under one key (a practitioner's bookings, a patient's
    /// alerts) would both pass their check under READ COMMITTED: a transaction-scoped advisory
    /// lock on the key (`$1`) makes the second wait for the first and then see its row.
    const TURN_LOCK: Option<&str> = Some("SELECT pg_advisory_xact_lock(hashtextextended($1, 7301))");
    const BEGIN_WRITE: &str = "BEGIN";

    fn ts(t: DateTime<Utc>) -> Ts {
        // Keep millisecond precision on both backends, so a record reads back the same anywhere.
        super::ms_to_time(t.timestamp_millis()).unwrap_or(t)
    }

    fn from_ts(v: Ts) -> Result<DateTime<Utc>> {
        Ok(v)
    }

    /// The clinic-group database.
    pub struct PostgresStore {
        pool: Pool<Db>,
    }

    impl PostgresStore {
        pub async fn open(url: &str) -> Result<Self> {
            // While the server is away every new connection is refused and the pool retries
            // until this timeout: kept short, so a request is answered 503 `unavailable` within
            // seconds instead of hanging (issue 14: PostgreSQL restarted under load).
            let pool = PgPoolOptions::new()
                .max_connections(16)
                .acquire_timeout(Duration::from_secs(5))
                .connect(url)
                .await
                .map_err(|e| crate::StoreError::Config(format!("cannot connect to PostgreSQL: {e}")))?;
            sqlx::migrate!("migrations/postgres").run(&pool).await?;
            Ok(Self { pool })
        }

        pub async fn close(&self) {
            self.pool.close().await;
        }

        async fn begin(&self) -> Result<Transaction<'static, Db>> {
            Ok(self.pool.begin().await?)
        }

        /// A reading unit's transaction may write its own audit record.
        async fn begin_read(&self) -> Result<(Transaction<'static, Db>, Option<Pool<Db>>)> {
            Ok((self.pool.begin().await?, None))
        }

        fn reader(&self) -> &Pool<Db> {
            &self.pool
        }

        fn backend_name(&self) -> &'static str {
            "postgres"
        }

        async fn check_integrity(&self) -> Result<String> {
            let (one,): (i32,) = sqlx::query_as("SELECT 1").fetch_one(&self.pool).await?;
            Ok(if one == 1 { "ok".into() } else { format!("unexpected answer {one}") })
        }
    }

    include!("queries.rs");
}

pub use postgres::PostgresStore;
pub use sqlite::SqliteStore;
