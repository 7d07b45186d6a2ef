#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! The outbox with real counterparts: workers delivering to a webhook sink on loopback (two at
//! once, on PostgreSQL and on SQLite: every message exactly once), and reminders around the
//! daylight-saving changes read back from the calendar feed by Python's `icalendar`.

mod common;
#[path = "support/outbox.rs"]
mod outbox;
#[path = "support/python.rs"]
mod python;

use std::io::Write as _;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use chrono::{NaiveDate, TimeZone, Timelike, Utc};
use chrono_tz::Tz;
use common::TestApp;
use needlepath_core::Protocol;
use needlepath_server::reminders::schedule::{AfterSession, for_appointment, for_session};
use needlepath_server::reminders::{Couriers, ReminderConfig, Worker};
use needlepath_server::{App, ServerConfig};
use needlepath_store::{
    Actor, Channel, DatabaseUrl, MessageSource, NewMessage, OpenOptions, PatientId, Recipient, SessionId, Store, Who,
};
use outbox::{clinic_with_patients, create_postgres_database, sink, webhook};
use serde_json::{Value, json};

fn reminder_config(url: &str) -> ReminderConfig {
    ReminderConfig {
        batch: 50,
        concurrency: 16,
        poll_milliseconds: 20,
        webhook: Some(webhook(url)),
        ..ReminderConfig::default()
    }
}

/// Two workers, each with its own connection pool as two service instances would have, deliver
/// `n` due messages to the sink; every message must arrive exactly once.
async fn two_workers_deliver_exactly_once(stores: [Arc<dyn Store>; 2], n: usize) {
    let sink = sink().await;
    let (actor, patients) = clinic_with_patients(&stores[0], 1).await;
    let patient = patients[0];
    let check = stores[0].clone();
    let now = Utc::now();
    let messages: Vec<NewMessage> = (0..n)
        .map(|i| NewMessage {
            key: format!("m{i}"),
            recipient: Recipient::Patient(patient),
            kind: needlepath_store::MessageKind::CheckIn,
            channel: Channel::Webhook,
            due_at: now - chrono::Duration::milliseconds(i as i64),
            payload: json!({ "kind": "check_in", "link": "/me/check-in", "items": [] }),
        })
        .collect();
    stores[0].enqueue(actor.clinic, MessageSource::Session(SessionId::new()), &messages).await.unwrap();
    let protocol = Arc::new(Protocol::builtin().unwrap());
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let mut running = Vec::new();
    for store in stores {
        let config = ServerConfig { reminders: reminder_config(&sink.url), ..ServerConfig::default() };
        let couriers = Arc::new(Couriers::new(&config.reminders).unwrap());
        let app = App::new(store, protocol.clone(), config);
        running.push(tokio::spawn(Worker::new(app, couriers).run(stopped.clone())));
    }
    let deadline = tokio::time::Instant::now() + Duration::from_secs(120);
    while sink.distinct() < n {
        assert!(tokio::time::Instant::now() < deadline, "only {} of {n} arrived", sink.distinct());
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // Let any duplicate that was going to happen happen, then stop both workers.
    tokio::time::sleep(Duration::from_millis(500)).await;
    stop.send(true).unwrap();
    for r in running {
        r.await.unwrap();
    }
    let twice = sink.repeated();
    assert!(twice.is_empty(), "delivered more than once: {twice:?}");
    let keys: Vec<String> = sink.arrivals.lock().unwrap().keys().cloned().collect();
    assert_eq!(keys.len(), n);
    assert!(keys.iter().all(|k| k.starts_with("session:") && k.ends_with(":webhook")));
    let kept = check.list_messages(&actor, patient, u32::try_from(n).unwrap()).await.unwrap();
    assert_eq!(kept.len(), n);
    assert!(kept.iter().all(|m| m.status == needlepath_store::MessageStatus::Sent && m.attempts == 1));
}

/// A fresh PostgreSQL database for one test, dropped by nobody (named uniquely; the CI
/// machine is thrown away). `None` (after saying why) when PostgreSQL is out of reach and the
/// test may be skipped.
async fn postgres_url() -> Option<String> {
    let admin = std::env::var("NEEDLEPATH_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into());
    let required =
        std::env::var_os("CI").is_some() || std::env::var("NEEDLEPATH_REQUIRE_POSTGRES").is_ok_and(|v| v == "1");
    match create_postgres_database(&admin, "np_outbox_").await {
        Ok((url, _)) => Some(url),
        Err(e) if required => panic!("PostgreSQL is required here and unreachable at {admin}: {e}"),
        Err(e) => {
            eprintln!("skipped: PostgreSQL unreachable at {admin}: {e}");
            None
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_workers_on_postgres_deliver_every_message_exactly_once() {
    let Some(url) = postgres_url().await else { return };
    let url = DatabaseUrl::parse(&url).unwrap();
    let a = needlepath_store::open(&url, OpenOptions { create: false, ..OpenOptions::default() }).await.unwrap();
    let b = needlepath_store::open(&url, OpenOptions { create: false, ..OpenOptions::default() }).await.unwrap();
    two_workers_deliver_exactly_once([a, b], 2000).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_workers_on_sqlite_deliver_every_message_exactly_once() {
    let dir = tempfile::tempdir().unwrap();
    let url = DatabaseUrl::Sqlite(dir.path().join("outbox.db"));
    let a = needlepath_store::open(&url, OpenOptions { create: true, ..OpenOptions::default() }).await.unwrap();
    let b = needlepath_store::open(&url, OpenOptions { create: false, ..OpenOptions::default() }).await.unwrap();
    two_workers_deliver_exactly_once([a, b], 1000).await;
}

/// The feed of a patient in `zone` whose session is at 10:00 local the day before the clocks
/// change, parsed by Python's icalendar: check-ins and the next appointment's reminders stay at
/// 10:00 local; hour-based aftercare lands the stated number of real hours after the session.
async fn dst_case(zone: &str, session_day: (i32, u32, u32)) {
    let Some(python) = python::python() else { return };
    let t = TestApp::start().await;
    let tz: Tz = zone.parse().unwrap();
    let patient = t
        .admin
        .api
        .post(
            "/api/v1/patients",
            json!({ "name": "Dee", "time_zone": zone, "email": "dee@example.org", "consent_messages": true }),
        )
        .await
        .expect(201)
        .clone();
    let pid: PatientId = patient["id"].as_str().unwrap().parse().unwrap();
    let login = t.patient_login(&t.admin.api, &patient).await;
    let link = login.api.post_empty("/api/v1/me/calendar").await;
    let url = link.expect(201)["calendar_url"].as_str().unwrap().to_string();

    let (y, m, d) = session_day;
    let local = NaiveDate::from_ymd_opt(y, m, d).unwrap().and_hms_opt(10, 0, 0).unwrap();
    let session = tz.from_local_datetime(&local).single().unwrap().with_timezone(&Utc);
    let clinic: needlepath_store::ClinicId = t.clinic_id.parse().unwrap();
    let system = Actor { clinic, who: Who::System, ip: None };
    let record = t.store.patient(&system, pid).await.unwrap();
    let settings = t.store.clinic(clinic).await.unwrap().settings;
    let protocol = Protocol::builtin().unwrap();
    let after = for_session(
        &protocol,
        &settings,
        &record,
        session,
        AfterSession { number: 1, next_window: None, check_in_days: &settings.check_in_days },
        session,
    )
    .unwrap();
    // The next appointment five weeks on, at 10:00 local again (the other side of the change).
    let next = tz.from_local_datetime(&(local + chrono::Duration::days(35))).single().unwrap().with_timezone(&Utc);
    let before = for_appointment(&protocol, &settings, &record, next, 60, 2, session).unwrap();
    t.store.enqueue(clinic, MessageSource::Session(SessionId::new()), &after).await.unwrap();
    t.store.enqueue(clinic, MessageSource::Session(SessionId::new()), &before).await.unwrap();

    let body = reqwest::get(&url).await.unwrap().text().await.unwrap();
    let mut child = Command::new(python)
        .arg(python::scripts().join("parse_ics.py"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(body.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "parse_ics.py failed");
    let parsed: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(parsed["errors"], json!([]));
    let events = parsed["events"].as_array().unwrap();
    let start_of = |e: &Value| {
        let s = e["dtstart"]["datetime"].as_str().unwrap();
        chrono::DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&tz)
    };
    let check_ins: Vec<_> = events.iter().filter(|e| e["summary"] == "Check-in").collect();
    assert_eq!(check_ins.len(), 4, "{zone}: {events:?}");
    for e in &check_ins {
        assert_eq!((start_of(e).hour(), start_of(e).minute()), (10, 0), "{zone}: check-in {}", e["uid"]);
    }
    // The first check-in is a calendar day later: 23 or 25 real hours across the change.
    let first = start_of(check_ins[0]).with_timezone(&Utc) - session;
    assert_ne!(first, chrono::Duration::hours(24), "{zone}: the day-1 check-in crossed the change");
    // The day-before appointment reminder and the pre-care steps at the session's local hour.
    let care: Vec<_> = events.iter().filter(|e| e["summary"] == "Care step").collect();
    assert!(
        care.iter()
            .any(|e| start_of(e).date_naive() == (next - chrono::Duration::days(7)).with_timezone(&tz).date_naive()
                && start_of(e).hour() == 10)
    );
    // Aftercare is counted in real hours: 24 h after the session, whatever the clock did.
    let day1 = session + chrono::Duration::hours(24);
    assert!(care.iter().any(|e| start_of(e).with_timezone(&Utc) == day1), "{zone}: nothing at +24 h");
    // Titles carry no health details by default.
    assert!(
        events
            .iter()
            .all(|e| ["Clinic appointment", "Care step", "Check-in"].contains(&e["summary"].as_str().unwrap()))
    );
}

#[tokio::test]
async fn reminders_across_the_spring_change_in_new_york_land_at_the_intended_hour() {
    dst_case("America/New_York", (2027, 3, 13)).await;
}

#[tokio::test]
async fn reminders_across_the_autumn_change_in_new_york_land_at_the_intended_hour() {
    dst_case("America/New_York", (2027, 11, 6)).await;
}

#[tokio::test]
async fn reminders_across_the_spring_change_in_berlin_land_at_the_intended_hour() {
    dst_case("Europe/Berlin", (2027, 3, 27)).await;
}

#[tokio::test]
async fn reminders_across_the_autumn_change_in_berlin_land_at_the_intended_hour() {
    dst_case("Europe/Berlin", (2027, 10, 30)).await;
}
