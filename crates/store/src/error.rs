//! What can go wrong in the store, in terms the service can answer with.

use crate::records::Blocker;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The record does not exist in the actor's clinic (or is not the patient's own).
    #[error("{0} not found")]
    NotFound(&'static str),
    /// A unique value is already taken (for example a staff e-mail).
    #[error("{0}")]
    Conflict(String),
    /// A setup link, invite or token that is unknown, expired or already used.
    #[error("the link or token is invalid, expired or already used")]
    InvalidToken,
    /// The state of the record does not allow this (for example resolving a resolved alert).
    #[error("{0}")]
    InvalidState(String),
    /// A new session is refused; the blockers say why.
    #[error("a new session is blocked: {}", blockers_text(.0))]
    SessionBlocked(Vec<Blocker>),
    /// A staff role that may not read or change these records (`{0}`): the store's own copy of
    /// the clinical-role rule (see `Role::is_clinical`), behind the server's route table.
    #[error("only clinical staff (practitioners and admins) may read or change {0}")]
    Forbidden(&'static str),
    /// An override of the session safety gates by someone who is not a clinician.
    #[error("only a clinician (a practitioner) may record a session over blockers")]
    OverrideNotAllowed,
    /// An override that does not say enough (`field` is `override_reason`) or does not name the
    /// blockers it overrides (`override_blockers`).
    #[error("{field}: {message}")]
    OverrideRefused { field: &'static str, message: String },
    /// The database URL or file is not usable.
    #[error("{0}")]
    Config(String),
    /// A stored value could not be read back (the database was edited by hand or is damaged).
    #[error("stored data is not readable: {0}")]
    Corrupt(String),
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    /// SQLite's group commit failed (`group.rs`): none of the group's writes were kept.
    #[error("database: the commit failed: {}", .0.message)]
    Commit(crate::group::CommitFailure),
    #[error("migration: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

fn blockers_text(b: &[Blocker]) -> String {
    b.iter().map(ToString::to_string).collect::<Vec<_>>().join("; ")
}

impl StoreError {
    /// True when the database was busy or the connection dropped: the request may be retried.
    pub fn is_unavailable(&self) -> bool {
        matches!(self, StoreError::Database(sqlx::Error::PoolTimedOut | sqlx::Error::Io(_) | sqlx::Error::PoolClosed))
            || self.is_disk_full()
            || self.is_server_going_away()
    }

    /// True when PostgreSQL ended the connection or refused it while it shuts down, crashes or
    /// starts up: SQLSTATE class 08 (connection exception) and 57P01–57P03 (admin shutdown,
    /// crash shutdown, cannot connect now). The request may be retried once it is back.
    fn is_server_going_away(&self) -> bool {
        let StoreError::Database(sqlx::Error::Database(e)) = self else { return false };
        e.code().is_some_and(|c| c.starts_with("08") || matches!(c.as_ref(), "57P01" | "57P02" | "57P03"))
    }

    /// True when the database could not write for want of space: SQLite's `SQLITE_FULL` (13),
    /// PostgreSQL's `disk_full` (53100). The write was not made; reads still work, and writes
    /// work again once there is space (issue 14: a full disk answered 500).
    pub fn is_disk_full(&self) -> bool {
        if let StoreError::Commit(f) = self {
            return f.disk_full;
        }
        let StoreError::Database(sqlx::Error::Database(e)) = self else { return false };
        matches!(e.code().as_deref(), Some("13" | "53100"))
            || e.message().contains("database or disk is full")
            || e.message().contains("No space left on device")
    }
}
