//! Choosing and opening the database from its URL.
//!
//! A SQLite path that does not exist is an error unless creation was asked for: a mistyped path
//! must never start a new, empty clinic next to the real one.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::backend::{PostgresStore, SqliteStore};
use crate::{Result, Store, StoreError};

/// A parsed database URL.
#[derive(Clone, PartialEq, Eq)]
pub enum DatabaseUrl {
    Sqlite(PathBuf),
    Postgres(String),
}

impl std::fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.redacted())
    }
}

impl DatabaseUrl {
    /// Accepts `sqlite://PATH`, `sqlite:PATH`, `postgres://…` and `postgresql://…`.
    pub fn parse(url: &str) -> Result<Self> {
        let url = url.trim();
        if let Some(rest) = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:")) {
            let path = rest.split('?').next().unwrap_or_default();
            if path.is_empty() {
                return Err(StoreError::Config(
                    "database URL `sqlite://` has no file path; accepted: sqlite://PATH (for example sqlite://needlepath.db)".into(),
                ));
            }
            if path == ":memory:" {
                return Err(StoreError::Config(
                    "an in-memory SQLite database would lose every record on restart; give a file path: sqlite://PATH"
                        .into(),
                ));
            }
            return Ok(DatabaseUrl::Sqlite(PathBuf::from(path)));
        }
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            return Ok(DatabaseUrl::Postgres(url.to_string()));
        }
        let scheme = url.split(':').next().unwrap_or_default();
        Err(StoreError::Config(format!(
            "database URL scheme `{scheme}` is not supported; accepted: sqlite://PATH or postgres://USER@HOST/DATABASE"
        )))
    }

    /// The URL with any password replaced, for logs and `config show`.
    pub fn redacted(&self) -> String {
        match self {
            DatabaseUrl::Sqlite(p) => format!("sqlite://{}", p.display()),
            DatabaseUrl::Postgres(u) => redact_password(u),
        }
    }
}

fn redact_password(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else { return url.to_string() };
    let Some((userinfo, host)) = rest.split_once('@') else { return url.to_string() };
    match userinfo.split_once(':') {
        Some((user, _)) => format!("{scheme}://{user}:***@{host}"),
        None => url.to_string(),
    }
}

/// How to open.
#[derive(Debug, Clone, Copy, Default)]
pub struct OpenOptions {
    /// Create the SQLite file when it does not exist.
    pub create: bool,
    /// How SQLite commits (group commit by default); PostgreSQL ignores it.
    pub commit: crate::SqliteCommit,
}

/// Opens the database, applies pending migrations and checks its integrity.
pub async fn open(url: &DatabaseUrl, options: OpenOptions) -> Result<Arc<dyn Store>> {
    match url {
        DatabaseUrl::Sqlite(path) => {
            check_sqlite_path(path, options.create)?;
            Ok(Arc::new(SqliteStore::open_with(path, options.create, options.commit).await?))
        }
        DatabaseUrl::Postgres(u) => Ok(Arc::new(PostgresStore::open(u).await?)),
    }
}

fn check_sqlite_path(path: &Path, create: bool) -> Result<()> {
    if path.is_dir() {
        return Err(StoreError::Config(format!("database path {} is a directory; give a file path", path.display())));
    }
    if path.exists() {
        return Ok(());
    }
    let parent = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    if !parent.is_dir() {
        return Err(StoreError::Config(format!(
            "database directory {} does not exist; create it first or fix the path",
            parent.display()
        )));
    }
    if !create {
        return Err(StoreError::Config(format!(
            "database file {} does not exist; check the path, or pass --create-database \
             (NEEDLEPATH_CREATE_DATABASE=true) to start a new, empty database there",
            path.display()
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_recognised_and_others_named() {
        assert_eq!(DatabaseUrl::parse("sqlite://a/b.db").unwrap(), DatabaseUrl::Sqlite("a/b.db".into()));
        assert_eq!(DatabaseUrl::parse("sqlite:x.db?mode=rwc").unwrap(), DatabaseUrl::Sqlite("x.db".into()));
        assert!(matches!(DatabaseUrl::parse("postgres://u@h/d").unwrap(), DatabaseUrl::Postgres(_)));
        let e = DatabaseUrl::parse("mysql://h/d").unwrap_err().to_string();
        assert!(e.contains("`mysql`") && e.contains("sqlite://PATH"), "{e}");
        assert!(DatabaseUrl::parse("sqlite://").is_err());
        assert!(DatabaseUrl::parse("sqlite::memory:").is_err());
    }

    #[test]
    fn passwords_never_show() {
        let u = DatabaseUrl::parse("postgres://clinic:s3cret@db.local/np").unwrap();
        assert_eq!(u.redacted(), "postgres://clinic:***@db.local/np");
        assert!(!format!("{u:?}").contains("s3cret"));
    }

    #[test]
    fn a_mistyped_path_is_not_created() {
        let dir = tempfile::tempdir().unwrap();
        let e = check_sqlite_path(&dir.path().join("needlepaht.db"), false).unwrap_err().to_string();
        assert!(e.contains("does not exist") && e.contains("--create-database"), "{e}");
        assert!(check_sqlite_path(&dir.path().join("new.db"), true).is_ok());
        assert!(check_sqlite_path(&dir.path().join("nodir/new.db"), true).is_err());
    }
}
