//! The outbox at scale: a million messages waiting for their time and ten thousand falling due
//! in the same minute, delivered by the worker to a webhook sink on loopback.
//!
//! It makes a fresh database (a SQLite file in the temporary directory, or a new PostgreSQL
//! database that it drops afterwards), a clinic with patients who can be texted, and loads
//! `--pending` messages due over the coming weeks (realistic payloads: the pre-care and aftercare
//! reminders the scheduler makes for a booked and a recorded session). Then it starts the
//! workers and the sink, queues `--due` webhook messages due `--lead` seconds later — all at the
//! same instant, or spread over `--spread` seconds — and measures, for each, the lag from its
//! due time to its arrival at the sink. It checks that each arrived exactly once and that none
//! of the waiting messages was touched.
//!
//! Run (the bench profile, release with thin LTO):
//! `cargo bench -p needlepath-server --bench outbox -- --backend sqlite|postgres [--pending 1000000]
//! [--due 10000] [--spread 0] [--workers 1] [--patients 2000] [--lead 10] [--batch N]
//! [--concurrency N] [--poll-ms N] [--postgres URL] [--keep]`
//! `--postgres` names any database on the server to connect to first (default
//! `postgres://postgres@127.0.0.1:5432/test`, or `NEEDLEPATH_BENCH_POSTGRES_URL`). The worker
//! settings not given are the service's defaults (`ReminderConfig::default()`).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "../tests/support/outbox.rs"]
mod outbox;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use needlepath_core::Protocol;
use needlepath_server::reminders::schedule::{AfterSession, for_appointment, for_session};
use needlepath_server::reminders::{Couriers, ReminderConfig, Worker};
use needlepath_server::{App, ServerConfig};
use needlepath_store::{
    Actor, Channel, DatabaseUrl, MessageKind, MessageSource, NewMessage, OpenOptions, PatientId, Recipient, SessionId,
    Store,
};
use serde_json::Value;

/// Messages per `enqueue` call, each from its own source (a session).
const CHUNK: usize = 10_000;

#[derive(Debug, Clone, Copy, PartialEq)]
enum Backend {
    Sqlite,
    Postgres,
}

struct Options {
    backend: Backend,
    pending: usize,
    due: usize,
    spread_seconds: u64,
    workers: usize,
    patients: usize,
    lead_seconds: u64,
    batch: Option<u32>,
    concurrency: Option<usize>,
    poll_milliseconds: Option<u64>,
    postgres: String,
    keep: bool,
}

fn options() -> Options {
    let mut o = Options {
        backend: Backend::Sqlite,
        pending: 1_000_000,
        due: 10_000,
        spread_seconds: 0,
        workers: 1,
        patients: 2_000,
        lead_seconds: 10,
        batch: None,
        concurrency: None,
        poll_milliseconds: None,
        postgres: std::env::var("NEEDLEPATH_BENCH_POSTGRES_URL")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into()),
        keep: false,
    };
    let mut backend = None;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = || args.next().unwrap_or_else(|| panic!("{arg} needs a value"));
        let number = |v: String| v.replace('_', "").parse::<u64>().unwrap_or_else(|_| panic!("not a number: {v}"));
        match arg.as_str() {
            // `cargo bench` passes `--bench` to every bench target.
            "--bench" => {}
            "--backend" => {
                backend = Some(match value().as_str() {
                    "sqlite" => Backend::Sqlite,
                    "postgres" => Backend::Postgres,
                    other => panic!("--backend sqlite or postgres, not {other}"),
                })
            }
            "--pending" => o.pending = number(value()) as usize,
            "--due" => o.due = number(value()) as usize,
            "--spread" => o.spread_seconds = number(value()),
            "--workers" => o.workers = number(value()).max(1) as usize,
            "--patients" => o.patients = number(value()).max(1) as usize,
            "--lead" => o.lead_seconds = number(value()),
            "--batch" => o.batch = Some(number(value()) as u32),
            "--concurrency" => o.concurrency = Some(number(value()) as usize),
            "--poll-ms" => o.poll_milliseconds = Some(number(value())),
            "--postgres" => o.postgres = value(),
            "--keep" => o.keep = true,
            other => panic!("unknown argument {other}; see the top of crates/server/benches/outbox.rs"),
        }
    }
    o.backend = backend.unwrap_or_else(|| panic!("say --backend sqlite or --backend postgres"));
    o
}

/// The process's peak resident set since it started or since [`reset_peak_rss`], in MiB.
fn peak_rss_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let kib = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .unwrap_or(f64::NAN);
    kib / 1024.0
}

/// Starts the peak-RSS count again from the current resident set (Linux `clear_refs` 5).
fn reset_peak_rss() -> bool {
    std::fs::write("/proc/self/clear_refs", "5").is_ok()
}

fn mib(bytes: u64) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}

/// A direct connection to the benchmark's database, for the checks and sizes the store does not
/// offer.
enum Db {
    Sqlite(sqlx::SqlitePool, PathBuf),
    Postgres(sqlx::PgPool),
}

impl Db {
    /// Counts messages by status.
    async fn statuses(&self) -> Vec<(String, i64)> {
        let sql = "SELECT status, COUNT(*) FROM messages GROUP BY status ORDER BY status";
        match self {
            Db::Sqlite(p, _) => sqlx::query_as(sql).fetch_all(p).await.unwrap(),
            Db::Postgres(p) => sqlx::query_as(sql).fetch_all(p).await.unwrap(),
        }
    }

    /// Messages due from `from` on that are no longer untouched and pending.
    async fn touched_from(&self, from: DateTime<Utc>) -> i64 {
        let sql = "SELECT COUNT(*) FROM messages WHERE due_at >= $1 AND (status <> 'pending' OR attempts <> 0)";
        let (n,): (i64,) = match self {
            Db::Sqlite(p, _) => sqlx::query_as(sql).bind(from.timestamp_millis()).fetch_one(p).await.unwrap(),
            Db::Postgres(p) => sqlx::query_as(sql).bind(from).fetch_one(p).await.unwrap(),
        };
        n
    }

    /// Messages due before `until` that were sent on their first attempt.
    async fn sent_first_time_before(&self, until: DateTime<Utc>) -> i64 {
        let sql = "SELECT COUNT(*) FROM messages WHERE due_at < $1 AND status = 'sent' AND attempts = 1";
        let (n,): (i64,) = match self {
            Db::Sqlite(p, _) => sqlx::query_as(sql).bind(until.timestamp_millis()).fetch_one(p).await.unwrap(),
            Db::Postgres(p) => sqlx::query_as(sql).bind(until).fetch_one(p).await.unwrap(),
        };
        n
    }

    /// The database's size on disk, with a breakdown.
    async fn size(&self) -> String {
        match self {
            Db::Sqlite(_, path) => {
                let len = |p: PathBuf| std::fs::metadata(p).map(|m| m.len()).unwrap_or(0);
                let main = len(path.clone());
                let wal = len(PathBuf::from(format!("{}-wal", path.display())));
                format!("{:.0} MiB (file {:.0} MiB + WAL {:.0} MiB)", mib(main + wal), mib(main), mib(wal))
            }
            Db::Postgres(p) => {
                let (db, table, claimable): (i64, i64, i64) = sqlx::query_as(
                    "SELECT pg_database_size(current_database()), pg_total_relation_size('messages'), \
                     pg_relation_size('messages_claimable')",
                )
                .fetch_one(p)
                .await
                .unwrap();
                format!(
                    "{:.0} MiB (messages with its indexes and TOAST {:.0} MiB, of which the index \
                     messages_claimable {:.0} MiB)",
                    mib(db as u64),
                    mib(table as u64),
                    mib(claimable as u64)
                )
            }
        }
    }

    /// The plan of the worker's claim: the statement of `claim_messages`, whose text is checked
    /// against the store's source here so that the two cannot drift apart. On PostgreSQL both the
    /// plan for the actual values and the generic plan a long-lived prepared statement may switch
    /// to.
    async fn claim_plan(&self, now: DateTime<Utc>, batch: u32) -> String {
        const STORE: &str = include_str!("../../store/src/queries/outbox.rs");
        const PARTS: [&str; 3] = [
            "UPDATE messages SET status = 'sending', claimed_by = $1, next_attempt_at = $3, attempts = attempts + 1, ",
            "updated_at = $2 WHERE (clinic_id, id) IN (SELECT clinic_id, id FROM messages ",
            "WHERE status IN ('pending', 'sending') AND next_attempt_at <= $2 ORDER BY next_attempt_at LIMIT $4 ",
        ];
        for part in PARTS {
            assert!(STORE.contains(part), "the store's claim statement changed; update this copy: {part}");
        }
        let claim = |lock: &str| format!("{}{lock}) RETURNING *", PARTS.concat());
        let lease = now + chrono::Duration::minutes(2);
        match self {
            Db::Sqlite(p, _) => {
                let sql = format!("EXPLAIN QUERY PLAN {}", claim(""));
                let rows: Vec<(i64, i64, i64, String)> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
                    .bind("explain")
                    .bind(now.timestamp_millis())
                    .bind(lease.timestamp_millis())
                    .bind(i64::from(batch))
                    .fetch_all(p)
                    .await
                    .unwrap();
                rows.into_iter().map(|r| format!("  {}", r.3)).collect::<Vec<_>>().join("\n")
            }
            Db::Postgres(p) => {
                // As a prepared statement (which is how the store runs it), so that the generic
                // plan can be shown as well: PostgreSQL 15 has no `EXPLAIN (GENERIC_PLAN)`.
                let mut conn = p.acquire().await.unwrap();
                let prepare = format!(
                    "PREPARE np_claim(text, timestamptz, timestamptz, bigint) AS {}",
                    claim("FOR UPDATE SKIP LOCKED")
                );
                sqlx::query(sqlx::AssertSqlSafe(prepare)).execute(&mut *conn).await.unwrap();
                let (analysed,): (Option<DateTime<Utc>>,) = sqlx::query_as(
                    "SELECT GREATEST(last_analyze, last_autoanalyze) FROM pg_stat_user_tables \
                     WHERE relname = 'messages'",
                )
                .fetch_one(&mut *conn)
                .await
                .unwrap();
                let mut out = format!("  (statistics of messages from {analysed:?})\n");
                for mode in ["force_custom_plan", "force_generic_plan"] {
                    sqlx::query(sqlx::AssertSqlSafe(format!("SET plan_cache_mode = {mode}")))
                        .execute(&mut *conn)
                        .await
                        .unwrap();
                    let explain = format!(
                        "EXPLAIN EXECUTE np_claim('explain', '{}', '{}', {batch})",
                        now.to_rfc3339(),
                        lease.to_rfc3339()
                    );
                    let rows: Vec<(String,)> =
                        sqlx::query_as(sqlx::AssertSqlSafe(explain)).fetch_all(&mut *conn).await.unwrap();
                    out.push_str(&format!("  ({mode})\n"));
                    for r in rows {
                        out.push_str(&format!("  {}\n", r.0));
                    }
                }
                sqlx::query("DEALLOCATE np_claim").execute(&mut *conn).await.unwrap();
                sqlx::query("RESET plan_cache_mode").execute(&mut *conn).await.unwrap();
                out.trim_end().to_string()
            }
        }
    }

    /// PostgreSQL: brings the planner's statistics of the messages up to date, as autovacuum
    /// does soon after a load this size (the run does not wait for it, so that every run plans
    /// alike). SQLite keeps no statistics unless asked, and the store never asks.
    async fn analyse(&self) {
        if let Db::Postgres(p) = self {
            sqlx::query("ANALYZE messages").execute(p).await.unwrap();
        }
    }
}

/// Realistic payloads: what the scheduler queues for one patient's booked session (pre-care)
/// and recorded session (aftercare, check-ins, the next window), one per channel.
async fn templates(store: &Arc<dyn Store>, actor: &Actor, patient: PatientId) -> Vec<(MessageKind, Channel, Value)> {
    let protocol = Protocol::builtin().unwrap();
    let record = store.patient(actor, patient).await.unwrap();
    let settings = store.clinic(actor.clinic).await.unwrap().settings;
    let now = Utc::now();
    let next = now + chrono::Duration::days(14);
    let window =
        Some(((now + chrono::Duration::days(28)).date_naive(), (now + chrono::Duration::days(42)).date_naive()));
    let mut all = for_appointment(&protocol, &settings, &record, next, 60, 2, now).unwrap();
    all.extend(
        for_session(
            &protocol,
            &settings,
            &record,
            now,
            AfterSession { number: 1, next_window: window, check_in_days: &settings.check_in_days },
            now,
        )
        .unwrap(),
    );
    assert!(!all.is_empty(), "the scheduler made no reminders to copy");
    all.into_iter().map(|m| (m.kind, m.channel, m.payload)).collect()
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}

fn secs(d: Duration) -> String {
    format!("{:.3} s", d.as_secs_f64())
}

#[tokio::main]
async fn main() {
    let o = options();
    let started = Instant::now();
    let mut config = ReminderConfig::default();
    if let Some(b) = o.batch {
        config.batch = b;
    }
    if let Some(c) = o.concurrency {
        config.concurrency = c;
    }
    if let Some(p) = o.poll_milliseconds {
        config.poll_milliseconds = p;
    }

    // A fresh database.
    let (url, dropper, tempdir) = match o.backend {
        Backend::Sqlite => {
            let dir = tempfile::Builder::new().prefix("np-outbox-bench").tempdir().unwrap();
            (DatabaseUrl::Sqlite(dir.path().join("outbox.db")), None, Some(dir))
        }
        Backend::Postgres => {
            let (url, name) = outbox::create_postgres_database(&o.postgres, "np_bench_outbox_").await.unwrap();
            (DatabaseUrl::parse(&url).unwrap(), Some(name), None)
        }
    };
    let store = needlepath_store::open(&url, OpenOptions { create: true, ..OpenOptions::default() }).await.unwrap();
    let db = match &url {
        DatabaseUrl::Sqlite(path) => {
            let options = sqlx::sqlite::SqliteConnectOptions::new().filename(path).read_only(true);
            Db::Sqlite(sqlx::SqlitePool::connect_with(options).await.unwrap(), path.clone())
        }
        DatabaseUrl::Postgres(u) => Db::Postgres(sqlx::PgPool::connect(u).await.unwrap()),
    };
    println!("outbox benchmark: backend {:?}, {}", o.backend, url.redacted());
    println!(
        "worker settings: {} worker(s), batch {}, concurrency {}, poll {} ms, lease {} s",
        o.workers, config.batch, config.concurrency, config.poll_milliseconds, config.lease_seconds
    );

    // A clinic with patients, and the payloads to copy.
    let t = Instant::now();
    let (actor, patients) = outbox::clinic_with_patients(&store, o.patients).await;
    let templates = templates(&store, &actor, patients[0]).await;
    let texts: Vec<(MessageKind, Channel, Value)> =
        templates.iter().filter(|(_, c, _)| *c == Channel::Webhook).cloned().collect();
    let payload_bytes: Vec<usize> = templates.iter().map(|(_, _, p)| p.to_string().len()).collect();
    println!(
        "setup: a clinic with {} patients in {}; {} payloads to copy (what the scheduler queues for a booked and \
         a recorded session, by e-mail and by text) of {}..{} bytes of JSON (mean {})",
        patients.len(),
        secs(t.elapsed()),
        templates.len(),
        payload_bytes.iter().min().unwrap(),
        payload_bytes.iter().max().unwrap(),
        payload_bytes.iter().sum::<usize>() / payload_bytes.len()
    );

    // The waiting messages: due from an hour from now over the next eight weeks, queued in
    // random order of due time, as bookings come in.
    let future_from = Utc::now() + chrono::Duration::hours(1);
    let span_ms = chrono::Duration::weeks(8).num_milliseconds();
    let t = Instant::now();
    let mut loaded = 0_u64;
    let mut i = 0;
    while i < o.pending {
        let n = CHUNK.min(o.pending - i);
        let chunk: Vec<NewMessage> = (i..i + n)
            .map(|j| {
                let (kind, channel, payload) = &templates[j % templates.len()];
                NewMessage {
                    key: format!("f{j}"),
                    recipient: Recipient::Patient(patients[j % patients.len()]),
                    kind: *kind,
                    channel: *channel,
                    due_at: future_from
                        + chrono::Duration::milliseconds((rand::random::<u64>() % span_ms as u64) as i64),
                    payload: payload.clone(),
                }
            })
            .collect();
        loaded += store.enqueue(actor.clinic, MessageSource::Session(SessionId::new()), &chunk).await.unwrap();
        i += n;
    }
    let load = t.elapsed();
    assert_eq!(loaded, o.pending as u64, "not every waiting message was queued");
    println!(
        "load: {} waiting messages in {} ({:.0} messages/s, in enqueue calls of {CHUNK}); peak RSS so far {:.0} MiB",
        loaded,
        secs(load),
        loaded as f64 / load.as_secs_f64(),
        peak_rss_mib()
    );
    println!("database after the load: {}", db.size().await);
    db.analyse().await;
    println!("claim plan with {} messages waiting:\n{}", loaded, db.claim_plan(Utc::now(), config.batch).await);
    let reset = reset_peak_rss();

    // The sink and the workers (each with its own connection pool, as separate instances).
    let sink = outbox::sink().await;
    config.webhook = Some(outbox::webhook(&sink.url));
    let protocol = Arc::new(Protocol::builtin().unwrap());
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let mut apps = Vec::new();
    let mut running = Vec::new();
    for w in 0..o.workers {
        let store =
            if w == 0 { store.clone() } else { needlepath_store::open(&url, OpenOptions::default()).await.unwrap() };
        let server = ServerConfig { reminders: config.clone(), ..ServerConfig::default() };
        let couriers = Arc::new(Couriers::new(&server.reminders).unwrap());
        let app = App::new(store, protocol.clone(), server);
        apps.push(app.clone());
        running.push(tokio::spawn(Worker::new(app, couriers).run(stopped.clone())));
    }
    let workers_started = Utc::now();

    // The messages falling due: text messages (webhook) to the patients in turn, due `lead`
    // seconds after the workers started — all at one instant, or spread evenly over `spread`.
    let first_due = workers_started + chrono::Duration::seconds(o.lead_seconds as i64);
    let first_due = DateTime::from_timestamp_millis(first_due.timestamp_millis()).unwrap();
    let spread_ms = (o.spread_seconds * 1000) as i64;
    let source = MessageSource::Session(SessionId::new());
    let due: Vec<NewMessage> = (0..o.due)
        .map(|j| {
            let (kind, _, payload) = &texts[j % texts.len()];
            let offset = if o.due > 1 { spread_ms * j as i64 / (o.due as i64 - 1).max(1) } else { 0 };
            NewMessage {
                key: format!("d{j}"),
                recipient: Recipient::Patient(patients[j % patients.len()]),
                kind: *kind,
                channel: Channel::Webhook,
                due_at: first_due + chrono::Duration::milliseconds(offset),
                payload: payload.clone(),
            }
        })
        .collect();
    let due_at: HashMap<String, DateTime<Utc>> = due.iter().map(|m| (source.key(m), m.due_at)).collect();
    let last_due = first_due + chrono::Duration::milliseconds(spread_ms);
    let t = Instant::now();
    store.enqueue(actor.clinic, source, &due).await.unwrap();
    let queued = Utc::now();
    drop(due);
    assert!(
        queued + chrono::Duration::seconds(1) < first_due,
        "queueing the due messages took {}; raise --lead",
        secs(t.elapsed())
    );
    println!(
        "due: {} messages queued in {} while the workers ran, {}, the first {:.1} s after the workers started",
        o.due,
        secs(t.elapsed()),
        if spread_ms == 0 {
            "all due at the same instant".to_string()
        } else {
            format!("due times spread evenly over {} s", o.spread_seconds)
        },
        (first_due - workers_started).num_milliseconds() as f64 / 1000.0
    );

    // Wait for every due message, or give up two minutes after the last was due.
    let give_up = last_due + chrono::Duration::seconds(120);
    while sink.distinct() < o.due && Utc::now() < give_up {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // Any repeat (or early waiting message) would show in the next few seconds.
    tokio::time::sleep(Duration::from_secs(3)).await;
    stop.send(true).unwrap();
    for r in running {
        r.await.unwrap();
    }
    let peak_delivery = peak_rss_mib();

    // The figures.
    let arrivals = sink.arrivals.lock().unwrap().clone();
    let mut lags = Vec::with_capacity(o.due);
    let mut missing = 0;
    let mut first_arrival: Option<DateTime<Utc>> = None;
    let mut last_arrival: Option<DateTime<Utc>> = None;
    for (key, due) in &due_at {
        match arrivals.get(key).and_then(|a| a.first()) {
            Some(at) => {
                lags.push((*at - *due).to_std().unwrap_or(Duration::ZERO));
                first_arrival = Some(first_arrival.map_or(*at, |f| f.min(*at)));
                last_arrival = Some(last_arrival.map_or(*at, |l| l.max(*at)));
            }
            None => missing += 1,
        }
    }
    lags.sort();
    let duplicates = sink.repeated();
    let unexpected = arrivals.keys().filter(|k| !due_at.contains_key(*k)).count();
    let delivered = lags.len();
    let early = arrivals
        .iter()
        .filter_map(|(k, a)| due_at.get(k).map(|d| (a, d)))
        .filter(|(a, d)| a.iter().any(|at| at < *d))
        .count();
    println!();
    println!("delivered: {delivered} of {} due messages", o.due);
    println!(
        "duplicates (keys that arrived more than once): {}{}",
        duplicates.len(),
        if duplicates.is_empty() {
            String::new()
        } else {
            format!(" e.g. {:?}", &duplicates[..duplicates.len().min(3)])
        }
    );
    println!("losses (due keys that never arrived): {missing}");
    println!("arrived before their due time: {early}");
    println!("other keys that arrived (waiting messages delivered): {unexpected}");
    println!(
        "lag due → delivered: p50 {}, p95 {}, p99 {}, max {}",
        secs(percentile(&lags, 0.50)),
        secs(percentile(&lags, 0.95)),
        secs(percentile(&lags, 0.99)),
        secs(lags.last().copied().unwrap_or_default())
    );
    if let (Some(first), Some(last)) = (first_arrival, last_arrival) {
        let window = (last - first_due).to_std().unwrap_or_default();
        let busy = (last - first).to_std().unwrap_or_default();
        println!(
            "throughput: {:.0} messages/s from the first due time to the last arrival ({}), {:.0}/s from the first \
             arrival to the last ({})",
            delivered as f64 / window.as_secs_f64().max(1e-3),
            secs(window),
            delivered as f64 / busy.as_secs_f64().max(1e-3),
            secs(busy)
        );
    }
    let count = |f: fn(&needlepath_server::metrics::Metrics) -> &std::sync::atomic::AtomicU64| {
        apps.iter().map(|a| f(&a.metrics).load(Ordering::Relaxed)).sum::<u64>()
    };
    println!(
        "worker outcomes: sent {}, retried {}, failed {}, skipped {}",
        count(|m| &m.messages_sent),
        count(|m| &m.messages_retried),
        count(|m| &m.messages_failed),
        count(|m| &m.messages_skipped)
    );
    println!(
        "webhook bodies: {:.0} bytes on average",
        sink.body_bytes.load(Ordering::Relaxed) as f64 / arrivals.values().map(Vec::len).sum::<usize>().max(1) as f64
    );
    let statuses = db.statuses().await;
    println!("messages by status: {statuses:?}");
    let touched = db.touched_from(future_from).await;
    let sent_once = db.sent_first_time_before(last_due + chrono::Duration::milliseconds(1)).await;
    println!("waiting messages claimed or changed: {touched} (must be 0)");
    println!("due messages recorded sent on their first attempt: {sent_once} of {}", o.due);
    println!(
        "peak RSS: {:.0} MiB{}",
        peak_delivery,
        if reset { " during delivery (counted from after the load)" } else { " since the start (no reset)" }
    );
    println!("database at the end: {}", db.size().await);
    println!("total run time: {}", secs(started.elapsed()));

    let exact = delivered == o.due
        && duplicates.is_empty()
        && missing == 0
        && early == 0
        && unexpected == 0
        && touched == 0
        && sent_once == o.due as i64;
    let p99 = percentile(&lags, 0.99);
    let met = exact && p99 <= Duration::from_secs(5);
    println!(
        "verdict: {} (target: every message exactly once, none early, no waiting message touched, p99 ≤ 5 s; \
         p99 was {})",
        if met { "MET" } else { "NOT MET" },
        secs(p99)
    );

    // Clean up.
    drop(apps);
    drop(store);
    match db {
        Db::Sqlite(p, _) => p.close().await,
        Db::Postgres(p) => p.close().await,
    }
    if o.keep {
        if let Some(dir) = tempdir {
            println!("kept: {}", dir.keep().display());
        } else {
            println!("kept: {}", url.redacted());
        }
    } else {
        if let Some(name) = dropper {
            outbox::drop_postgres_database(&o.postgres, &name).await.unwrap();
        }
        drop(tempdir);
    }
    if !met {
        std::process::exit(1);
    }
}
