//! Group commit on SQLite (issue 16): many writers' transactions, one fsync.
//!
//! SQLite has one writer. Before this, every write (a check-in, and the audit record of every
//! read) was its own `BEGIN IMMEDIATE … COMMIT` with `synchronous=FULL`: one fsync each, so
//! reads queued behind fsyncs and a busy morning reached 48–80 check-ins a second.
//!
//! Now one task owns the writer connection. A unit of work asks it for a [`Lease`] on the
//! connection; the task opens a transaction if none is open, marks a savepoint, and lends the
//! connection out. When the unit finishes, its savepoint is released into the open transaction;
//! when it fails or is dropped, the task rolls back to its savepoint, so **a failed statement of
//! one request never fails the others in its group**. While other units are already waiting the
//! task lends the connection to the next one in the same transaction; when none is waiting (or
//! the group is full) it commits — one fsync for the whole group — and only then answers each
//! finished unit: **an answer still means durable**, as the SIGKILL test checks.
//!
//! The unit holds the connection exclusively from lease to finish, exactly as it held the
//! writer from `BEGIN IMMEDIATE` to `COMMIT` before, so it still must not call back into the
//! store while open.
//!
//! [`SqliteCommit`] chooses the mode: `group` (the default), `per_request` (one transaction per
//! unit, the old behaviour, for the bench's comparison) and `normal` (per request with
//! `synchronous=NORMAL`: fast but a power cut may lose the last commits; never the default).

use std::ops::{Deref, DerefMut};
use std::sync::Arc;

use sqlx::pool::PoolConnection;
use sqlx::{Pool, Sqlite, SqliteConnection};
use tokio::sync::{mpsc, oneshot};

use crate::{Result, StoreError};

/// How SQLite commits writes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum SqliteCommit {
    /// Concurrent writers share one transaction and one fsync; each answered after the commit.
    #[default]
    Group,
    /// One transaction and one fsync per unit of work.
    PerRequest,
    /// One transaction per unit, `synchronous=NORMAL` (WAL): not durable on power loss.
    Normal,
}

impl SqliteCommit {
    pub const ACCEPTED: &'static str = "group, per_request or normal";

    pub fn parse(s: &str) -> std::result::Result<Self, String> {
        match s {
            "group" => Ok(Self::Group),
            "per_request" => Ok(Self::PerRequest),
            "normal" => Ok(Self::Normal),
            other => Err(format!("sqlite_commit: {other:?} is not a commit mode; accepted: {}", Self::ACCEPTED)),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Group => "group",
            Self::PerRequest => "per_request",
            Self::Normal => "normal",
        }
    }

    /// The most units folded into one transaction.
    fn group_size(self) -> usize {
        match self {
            Self::Group => MAX_GROUP,
            Self::PerRequest | Self::Normal => 1,
        }
    }
}

/// Units in one transaction at most: bounds the work a failed commit takes back and the wait of
/// the first unit of a group.
const MAX_GROUP: usize = 256;

/// Why a group's commit failed, kept for every unit of the group (a `sqlx::Error` is not `Clone`).
#[derive(Debug, Clone)]
pub struct CommitFailure {
    pub message: String,
    /// SQLITE_FULL: the service answers 503, as for any full disk.
    pub disk_full: bool,
}

type Ask = oneshot::Sender<Result<Lease>>;

/// The handle units ask for the writer through; cheap to clone.
#[derive(Clone)]
pub(crate) struct GroupWriter {
    asks: mpsc::UnboundedSender<Ask>,
    mode: SqliteCommit,
    /// Kept so the task's pool outlives every handle.
    _pool: Arc<Pool<Sqlite>>,
}

impl GroupWriter {
    /// Starts the task that owns `pool`'s one connection whenever a group is open.
    pub(crate) fn start(pool: Pool<Sqlite>, mode: SqliteCommit) -> Self {
        let (asks, rx) = mpsc::unbounded_channel();
        tokio::spawn(run(pool.clone(), rx, mode.group_size()));
        Self { asks, mode, _pool: Arc::new(pool) }
    }

    pub(crate) fn mode(&self) -> SqliteCommit {
        self.mode
    }

    /// The writer connection inside an open transaction, for one unit of work.
    pub(crate) async fn lease(&self) -> Result<Lease> {
        let (tx, rx) = oneshot::channel();
        self.asks.send(tx).map_err(|_| StoreError::Database(sqlx::Error::PoolClosed))?;
        rx.await.map_err(|_| StoreError::Database(sqlx::Error::PoolClosed))?
    }
}

/// What a unit hands back with the connection.
enum Outcome {
    /// Keep its writes; answer on this channel once they are committed.
    Finished(oneshot::Sender<std::result::Result<(), CommitFailure>>),
    /// Roll its writes back (a failed statement, an error of the use case, a dropped request).
    Abandoned,
}

/// The writer connection lent to one unit of work, inside the group's transaction.
pub(crate) struct Lease {
    conn: Option<PoolConnection<Sqlite>>,
    back: Option<oneshot::Sender<(PoolConnection<Sqlite>, Outcome)>>,
}

impl Lease {
    /// Keeps the unit's writes, and answers once they are durable (the group committed).
    pub(crate) async fn commit(mut self) -> Result<()> {
        let (done, committed) = oneshot::channel();
        self.give_back(Outcome::Finished(done));
        match committed.await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(failure)) => Err(StoreError::Commit(failure)),
            Err(_) => Err(StoreError::Database(sqlx::Error::PoolClosed)),
        }
    }

    /// Rolls the unit's writes back; the rest of its group is kept.
    pub(crate) async fn rollback(mut self) -> Result<()> {
        self.give_back(Outcome::Abandoned);
        Ok(())
    }

    fn give_back(&mut self, outcome: Outcome) {
        if let (Some(conn), Some(back)) = (self.conn.take(), self.back.take()) {
            // The task is gone only when the store is closing; the connection closes with it.
            let _ = back.send((conn, outcome));
        }
    }
}

impl Drop for Lease {
    fn drop(&mut self) {
        self.give_back(Outcome::Abandoned);
    }
}

impl Deref for Lease {
    type Target = SqliteConnection;

    fn deref(&self) -> &SqliteConnection {
        match &self.conn {
            Some(c) => c,
            None => unreachable!("a lease holds its connection until it is given back"),
        }
    }
}

impl DerefMut for Lease {
    fn deref_mut(&mut self) -> &mut SqliteConnection {
        match &mut self.conn {
            Some(c) => c,
            None => unreachable!("a lease holds its connection until it is given back"),
        }
    }
}

async fn exec(conn: &mut SqliteConnection, sql: &'static str) -> std::result::Result<(), sqlx::Error> {
    sqlx::raw_sql(sql).execute(conn).await.map(|_| ())
}

fn failure(e: &sqlx::Error) -> CommitFailure {
    let disk_full = match e {
        sqlx::Error::Database(d) => {
            d.code().as_deref() == Some("13") || d.message().contains("database or disk is full")
        }
        _ => false,
    };
    CommitFailure { message: e.to_string(), disk_full }
}

/// The writer task: one group after another.
async fn run(pool: Pool<Sqlite>, mut asks: mpsc::UnboundedReceiver<Ask>, group_size: usize) {
    while let Some(first) = asks.recv().await {
        let mut conn = match pool.acquire().await {
            Ok(c) => c,
            Err(e) => {
                let _ = first.send(Err(StoreError::Database(e)));
                continue;
            }
        };
        if let Err(e) = exec(&mut conn, "BEGIN IMMEDIATE").await {
            let _ = first.send(Err(StoreError::Database(e)));
            continue;
        }
        let mut finished = Vec::new();
        let mut next = Some(first);
        let mut broken: Option<CommitFailure> = None;
        let mut held = Some(conn);
        while let Some(ask) = next.take() {
            let Some(mut conn) = held.take() else { break };
            if let Err(e) = exec(&mut conn, "SAVEPOINT unit").await {
                let _ = ask.send(Err(StoreError::Database(e)));
                held = Some(conn);
                break;
            }
            let (back, returned) = oneshot::channel();
            // An asker that went away (its request was dropped) gets nothing; the lease comes
            // back through its drop as abandoned.
            let _ = ask.send(Ok(Lease { conn: Some(conn), back: Some(back) }));
            // Every lease gives its connection back when dropped; were it lost, so is the group.
            let Ok((mut conn, outcome)) = returned.await else {
                broken = Some(CommitFailure { message: "the writer connection was lost".into(), disk_full: false });
                break;
            };
            let kept = match outcome {
                Outcome::Finished(done) => match exec(&mut conn, "RELEASE SAVEPOINT unit").await {
                    Ok(()) => {
                        finished.push(done);
                        true
                    }
                    Err(e) => {
                        let _ = done.send(Err(failure(&e)));
                        false
                    }
                },
                Outcome::Abandoned => false,
            };
            if !kept && exec(&mut conn, "ROLLBACK TO SAVEPOINT unit; RELEASE SAVEPOINT unit").await.is_err() {
                // The transaction itself is gone (SQLite rolls it back on some I/O errors): the
                // units kept so far are lost with it, and told so.
                broken =
                    Some(CommitFailure { message: "the group's transaction was rolled back".into(), disk_full: false });
                held = Some(conn);
                break;
            }
            held = Some(conn);
            if finished.len() >= group_size {
                break;
            }
            next = asks.try_recv().ok();
        }
        let result = match (broken, held.as_mut()) {
            (Some(f), _) => Err(f),
            (None, Some(conn)) => exec(conn, "COMMIT").await.map_err(|e| failure(&e)),
            (None, None) => Err(CommitFailure { message: "the writer connection was lost".into(), disk_full: false }),
        };
        if let (Err(_), Some(conn)) = (&result, held.as_mut()) {
            // A failed COMMIT (SQLITE_FULL) leaves the transaction open; the pool closes such a
            // connection when it comes back (see `after_release`), after this try.
            let _ = exec(conn, "ROLLBACK").await;
        }
        for done in finished {
            let _ = done.send(result.clone());
        }
    }
}
