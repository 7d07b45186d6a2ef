//! Running a story against a fresh SQLite file or a fresh PostgreSQL database.

use std::future::Future;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use needlepath_store::{ClinicId, DatabaseUrl, OpenOptions, Store};
use sqlx::postgres::PgConnection;
use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection};
use sqlx::{AssertSqlSafe, ConnectOptions, Connection};

const DEFAULT_POSTGRES_URL: &str = "postgres://postgres@127.0.0.1:5432/test";

/// Where the store of the running story keeps its data, for the few rows the trait cannot write.
#[derive(Debug, Clone)]
pub enum TestDb {
    Sqlite(PathBuf),
    Postgres(String),
}

tokio::task_local! {
    static DB: TestDb;
}

pub async fn run_sqlite<F, Fut>(story: F)
where
    F: FnOnce(Arc<dyn Store>) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let dir = tempfile::tempdir().expect("temporary directory");
    let path = dir.path().join("needlepath.db");
    let store = needlepath_store::open(
        &DatabaseUrl::Sqlite(path.clone()),
        OpenOptions { create: true, ..OpenOptions::default() },
    )
    .await
    .expect("open a new SQLite store");
    assert_eq!(store.backend(), "sqlite");
    let outcome = tokio::spawn(DB.scope(TestDb::Sqlite(path), story(store))).await;
    drop(dir);
    if let Err(e) = outcome {
        std::panic::resume_unwind(e.into_panic());
    }
}

pub async fn run_postgres<F, Fut>(story: F)
where
    F: FnOnce(Arc<dyn Store>) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let admin_url = std::env::var("NEEDLEPATH_TEST_POSTGRES_URL")
        .ok()
        .filter(|u| !u.trim().is_empty())
        .unwrap_or_else(|| DEFAULT_POSTGRES_URL.to_string());
    let Some(mut admin) = connect_admin(&admin_url).await else { return };
    let name = format!("np_{}", uuid::Uuid::now_v7().simple());
    sqlx::query(AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&mut admin)
        .await
        .unwrap_or_else(|e| panic!("cannot create the test database {name}: {e}"));
    let url = with_database(&admin_url, &name);
    let opened = needlepath_store::open(&DatabaseUrl::Postgres(url.clone()), OpenOptions::default()).await;
    let outcome = match opened {
        Ok(store) => {
            assert_eq!(store.backend(), "postgres");
            // The story owns the store; it is dropped (and its pool closed) when the task ends.
            tokio::spawn(DB.scope(TestDb::Postgres(url), story(store))).await.map_err(|e| e.into_panic())
        }
        Err(e) => Err(Box::new(format!("cannot open the PostgreSQL store on {name}: {e}")) as _),
    };
    // Best effort: the database goes whether or not the story passed.
    if let Err(e) =
        sqlx::query(AssertSqlSafe(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))).execute(&mut admin).await
    {
        eprintln!("note: could not drop the test database {name}: {e}");
    }
    let _ = admin.close().await;
    if let Err(panic) = outcome {
        std::panic::resume_unwind(panic);
    }
}

/// The admin connection, or `None` when PostgreSQL is unreachable and not required.
async fn connect_admin(url: &str) -> Option<PgConnection> {
    let error = match tokio::time::timeout(Duration::from_secs(10), PgConnection::connect(url)).await {
        Ok(Ok(conn)) => return Some(conn),
        Ok(Err(e)) => e.to_string(),
        Err(_) => "no answer within 10 s".to_string(),
    };
    let shown = DatabaseUrl::Postgres(url.to_string()).redacted();
    let required = std::env::var("CI").is_ok_and(|v| !v.is_empty())
        || std::env::var("NEEDLEPATH_REQUIRE_POSTGRES").is_ok_and(|v| v == "1");
    if required {
        panic!(
            "PostgreSQL at {shown} is unreachable ({error}); the PostgreSQL conformance tests are required here \
             (CI or NEEDLEPATH_REQUIRE_POSTGRES=1). Start it with \
             `pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start`, \
             or point NEEDLEPATH_TEST_POSTGRES_URL at a server"
        );
    }
    // Written to the real stderr, not through `eprintln!`, so the test harness does not swallow it.
    let notice = format!(
        "skipped: PostgreSQL at {shown} is unreachable ({error}); set NEEDLEPATH_REQUIRE_POSTGRES=1 to fail instead\n"
    );
    let _ = std::io::Write::write_all(&mut std::io::stderr(), notice.as_bytes());
    None
}

/// `url` with its database name replaced by `database` (query parameters kept).
fn with_database(url: &str, database: &str) -> String {
    let (base, query) = url.split_once('?').map_or((url, None), |(b, q)| (b, Some(q)));
    let authority = base.find("://").map_or(0, |i| i + 3);
    let path = base[authority..].find('/').map_or(base.len(), |i| authority + i);
    let mut out = format!("{}/{database}", &base[..path]);
    if let Some(q) = query {
        out.push('?');
        out.push_str(q);
    }
    out
}

/// A second store on the running story's database: another instance of the service.
pub async fn second_instance() -> Arc<dyn Store> {
    let url = match DB.with(Clone::clone) {
        TestDb::Sqlite(path) => DatabaseUrl::Sqlite(path),
        TestDb::Postgres(url) => DatabaseUrl::Postgres(url),
    };
    needlepath_store::open(&url, OpenOptions::default()).await.expect("a second store on the same database")
}

/// Writes a second clinic straight into the running story's database: the trait creates only
/// the first one (`complete_setup`). Column types follow `migrations/*/0001_initial.sql`.
pub async fn insert_clinic(name: &str) -> ClinicId {
    let db = DB.with(Clone::clone);
    let id = ClinicId::new();
    let now = Utc::now();
    let sql = "INSERT INTO clinics (clinic_id, name, time_zone, settings, created_at, updated_at) \
               VALUES ($1, $2, $3, $4, $5, $5)";
    match db {
        TestDb::Sqlite(path) => {
            let mut conn = SqliteConnectOptions::new()
                .filename(path)
                .busy_timeout(Duration::from_secs(10))
                .connect()
                .await
                .expect("a second connection to the SQLite file");
            sqlx::query(sql)
                .bind(id.0)
                .bind(name)
                .bind("Europe/Vienna")
                .bind("{}")
                .bind(now.timestamp_millis())
                .execute(&mut conn)
                .await
                .expect("insert a clinic into SQLite");
            let _ = SqliteConnection::close(conn).await;
        }
        TestDb::Postgres(url) => {
            let mut conn = PgConnection::connect(&url).await.expect("a second connection to PostgreSQL");
            sqlx::query(sql)
                .bind(id.0)
                .bind(name)
                .bind("Europe/Vienna")
                .bind(sqlx::types::Json(serde_json::json!({})))
                .bind(now)
                .execute(&mut conn)
                .await
                .expect("insert a clinic into PostgreSQL");
            let _ = conn.close().await;
        }
    }
    id
}

/// Runs one statement without parameters straight against the running story's database: to make
/// a row look as an older version of needlepath left it.
pub async fn execute(sql: &'static str) {
    match DB.with(Clone::clone) {
        TestDb::Sqlite(path) => {
            let mut conn = SqliteConnectOptions::new()
                .filename(path)
                .busy_timeout(Duration::from_secs(10))
                .connect()
                .await
                .expect("a second connection to the SQLite file");
            sqlx::query(sql).execute(&mut conn).await.unwrap_or_else(|e| panic!("{sql}: {e}"));
            let _ = SqliteConnection::close(conn).await;
        }
        TestDb::Postgres(url) => {
            let mut conn = PgConnection::connect(&url).await.expect("a second connection to PostgreSQL");
            sqlx::query(sql).execute(&mut conn).await.unwrap_or_else(|e| panic!("{sql}: {e}"));
            let _ = conn.close().await;
        }
    }
}

#[test]
fn database_names_are_replaced() {
    assert_eq!(with_database("postgres://u@h:5432/test", "x"), "postgres://u@h:5432/x");
    assert_eq!(with_database("postgres://u:p@h/test?sslmode=disable", "x"), "postgres://u:p@h/x?sslmode=disable");
    assert_eq!(with_database("postgresql://h", "x"), "postgresql://h/x");
}
