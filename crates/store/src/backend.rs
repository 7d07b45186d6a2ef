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
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::time::Duration;

    use chrono::{DateTime, Utc};
    use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
    use sqlx::{Pool, Transaction};

    use crate::Result;
    use crate::group::{GroupWriter, SqliteCommit};

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
    /// The bench seed's scratch tables (`queries/seed.rs`), private to the connection.
    const SEED_TABLES: &[&str] = &[
        "CREATE TEMP TABLE IF NOT EXISTS seed_targets (patient BLOB NOT NULL, name TEXT NOT NULL, copy INTEGER NOT NULL)",
        "CREATE TEMP TABLE IF NOT EXISTS seed_map (old_id BLOB NOT NULL, patient BLOB NOT NULL, copy INTEGER NOT NULL, new_id BLOB NOT NULL)",
        "CREATE INDEX IF NOT EXISTS temp.seed_map_old ON seed_map (old_id, patient, copy)",
    ];
    /// A new random id in SQL (any 16 bytes read back as a UUID).
    const NEW_ID: &str = "randomblob(16)";
    /// A table's column names, in order (`$1`: the table).
    const COLUMNS_OF: &str = "SELECT name FROM pragma_table_info($1) ORDER BY cid";
    fn id_text(expr: &str) -> String {
        format!("hex({expr})")
    }

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
        /// Every write goes through it (`group.rs`): group commit by default.
        group: GroupWriter,
        /// Set when the integrity check run after the start finds damage.
        damaged: Arc<AtomicBool>,
    }

    /// A file up to this size is checked (`PRAGMA quick_check`) before the service answers;
    /// a larger one while it runs.
    const CHECK_BEFORE_START_MAX: u64 = 1 << 30;

    /// A unit's transaction: a read-only snapshot, or a lease on the writer inside its group.
    enum UnitTx {
        Snapshot(Transaction<'static, Db>),
        Lease(crate::group::Lease),
    }

    impl std::ops::Deref for UnitTx {
        type Target = sqlx::SqliteConnection;

        fn deref(&self) -> &sqlx::SqliteConnection {
            match self {
                UnitTx::Snapshot(t) => t,
                UnitTx::Lease(l) => l,
            }
        }
    }

    impl std::ops::DerefMut for UnitTx {
        fn deref_mut(&mut self) -> &mut sqlx::SqliteConnection {
            match self {
                UnitTx::Snapshot(t) => &mut *t,
                UnitTx::Lease(l) => &mut *l,
            }
        }
    }

    impl UnitTx {
        async fn commit(self) -> Result<()> {
            match self {
                UnitTx::Snapshot(t) => Ok(t.commit().await?),
                UnitTx::Lease(l) => l.commit().await,
            }
        }

        async fn rollback(self) -> Result<()> {
            match self {
                UnitTx::Snapshot(t) => Ok(t.rollback().await?),
                UnitTx::Lease(l) => l.rollback().await,
            }
        }
    }

    /// Where a read-only unit's audit record is written: the group writer.
    type AuditWriter = GroupWriter;

    async fn begin_audit(writer: &AuditWriter) -> Result<UnitTx> {
        Ok(UnitTx::Lease(writer.lease().await?))
    }

    impl SqliteStore {
        pub async fn open(path: &Path, create: bool) -> Result<Self> {
            Self::open_with(path, create, SqliteCommit::default()).await
        }

        /// Opens with a chosen commit mode (the bench compares them; `serve` reads
        /// `sqlite_commit`).
        pub async fn open_with(path: &Path, create: bool, commit: SqliteCommit) -> Result<Self> {
            let synchronous = match commit {
                SqliteCommit::Normal => SqliteSynchronous::Normal,
                SqliteCommit::Group | SqliteCommit::PerRequest => SqliteSynchronous::Full,
            };
            let base = SqliteConnectOptions::from_str("sqlite://")?
                .filename(path)
                .foreign_keys(true)
                .busy_timeout(Duration::from_secs(10))
                // An 8 MB page cache per connection instead of 2 MB (issue 16: a profile of the
                // check-in path spent a tenth of its time reading pages back from the kernel). No
                // memory map: mapped pages count in the resident memory (262 MB idle after the
                // start's integrity check read the file).
                .pragma("cache_size", "-8192");
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
                        .synchronous(synchronous),
                )
                .await
                .map_err(|e| crate::StoreError::Config(format!("cannot open {}: {e}", path.display())))?;
            sqlx::migrate!("migrations/sqlite").run(&write).await?;
            let read = SqlitePoolOptions::new()
                .max_connections(4)
                .acquire_timeout(Duration::from_secs(30))
                .connect_with(base.read_only(true))
                .await?;
            let group = GroupWriter::start(write.clone(), commit);
            let damaged = Arc::new(AtomicBool::new(false));
            let store = Self { write, read, path: path.to_path_buf(), group, damaged: damaged.clone() };
            let size = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
            if size <= CHECK_BEFORE_START_MAX {
                let report = crate::Store::integrity_check(&store).await?;
                if report != "ok" {
                    return Err(crate::StoreError::Corrupt(format!(
                        "{} fails its integrity check ({report}); restore it from a backup",
                        path.display()
                    )));
                }
            } else {
                // A clinic group's file is checked while the service runs: `quick_check` reads
                // every page, and 16 GB took eight minutes before the first answer (issue 16).
                // A damaged file is logged and `/readyz` answers 503 from then on.
                let reader = store.read.clone();
                let shown = path.display().to_string();
                tokio::spawn(async move {
                    let rows: std::result::Result<Vec<(String,)>, _> =
                        sqlx::query_as("PRAGMA quick_check").fetch_all(&reader).await;
                    match rows.map(|r| r.into_iter().map(|r| r.0).collect::<Vec<_>>().join("; ")) {
                        Ok(report) if report == "ok" => tracing::info!("{shown} passed its integrity check"),
                        Ok(report) => {
                            damaged.store(true, Ordering::SeqCst);
                            tracing::error!("{shown} fails its integrity check ({report}); restore it from a backup");
                        }
                        Err(e) => tracing::error!("{shown}: the integrity check could not run: {e}"),
                    }
                });
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

        /// The commit mode this store was opened with.
        pub fn commit_mode(&self) -> SqliteCommit {
            self.group.mode()
        }

        /// The writer, inside its group's transaction (`group.rs`).
        async fn begin(&self) -> Result<UnitTx> {
            Ok(UnitTx::Lease(self.group.lease().await?))
        }

        /// A snapshot on a read-only connection; its audit record goes through the writer.
        async fn begin_read(&self) -> Result<(UnitTx, Option<AuditWriter>)> {
            Ok((UnitTx::Snapshot(self.read.begin().await?), Some(self.group.clone())))
        }

        fn reader(&self) -> &Pool<Db> {
            &self.read
        }

        /// Damage found by the integrity check run after the start.
        fn damage(&self) -> Result<()> {
            if self.damaged.load(Ordering::SeqCst) {
                return Err(crate::StoreError::Corrupt(format!(
                    "{} failed its integrity check; restore it from a backup",
                    self.path.display()
                )));
            }
            Ok(())
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
    /// The bench seed's scratch tables (`queries/seed.rs`), private to the session.
    const SEED_TABLES: &[&str] = &[
        "CREATE TEMP TABLE IF NOT EXISTS seed_targets (patient UUID NOT NULL, name TEXT NOT NULL, copy BIGINT NOT NULL)",
        "CREATE TEMP TABLE IF NOT EXISTS seed_map (old_id UUID NOT NULL, patient UUID NOT NULL, copy BIGINT NOT NULL, new_id UUID NOT NULL)",
        "CREATE INDEX IF NOT EXISTS seed_map_old ON seed_map (old_id, patient, copy)",
    ];
    const NEW_ID: &str = "gen_random_uuid()";
    const COLUMNS_OF: &str = "SELECT column_name::text FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position";
    fn id_text(expr: &str) -> String {
        format!("{expr}::text")
    }

    fn ts(t: DateTime<Utc>) -> Ts {
        // Keep millisecond precision on both backends, so a record reads back the same anywhere.
        super::ms_to_time(t.timestamp_millis()).unwrap_or(t)
    }

    fn from_ts(v: Ts) -> Result<DateTime<Utc>> {
        Ok(v)
    }

    /// A unit's transaction.
    type UnitTx = Transaction<'static, Db>;
    /// Never used: a reading unit on PostgreSQL writes its audit record in its own transaction.
    type AuditWriter = Pool<Db>;

    async fn begin_audit(writer: &AuditWriter) -> Result<UnitTx> {
        Ok(writer.begin().await?)
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

        async fn begin(&self) -> Result<UnitTx> {
            Ok(self.pool.begin().await?)
        }

        /// A reading unit's transaction may write its own audit record.
        async fn begin_read(&self) -> Result<(UnitTx, Option<AuditWriter>)> {
            Ok((self.pool.begin().await?, None))
        }

        fn reader(&self) -> &Pool<Db> {
            &self.pool
        }

        /// PostgreSQL checks its own pages.
        fn damage(&self) -> Result<()> {
            Ok(())
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
