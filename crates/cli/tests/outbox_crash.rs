#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! The outbox survives the service being killed mid-delivery.
//!
//! The real binary delivers reminders to a webhook receiver on loopback that holds the first
//! requests without answering. While they are in flight the service is killed with SIGKILL
//! (nothing marked as sent), then started again: once the claims' leases run out the messages
//! are delivered again, with the same idempotency keys, and every message ends `sent`. Nothing
//! is lost; the receiver can drop the repeats by key.

mod service;

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::routing::post;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use service::{Api, ServerProcess, set_up_clinic, sqlite_url};

#[derive(Clone, Default)]
struct Sink {
    /// Arrivals per idempotency key.
    seen: Arc<Mutex<HashMap<String, u32>>>,
    /// While set, requests are recorded and then never answered.
    hold: Arc<AtomicBool>,
}

async fn receive(State(sink): State<Sink>, headers: HeaderMap) -> &'static str {
    let key = headers.get("idempotency-key").and_then(|v| v.to_str().ok()).unwrap_or_default().to_string();
    *sink.seen.lock().unwrap().entry(key).or_default() += 1;
    while sink.hold.load(Ordering::SeqCst) {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    "ok"
}

async fn start_sink() -> (Sink, String) {
    let sink = Sink { hold: Arc::new(AtomicBool::new(true)), ..Sink::default() };
    let app = Router::new().route("/hook", post(receive)).with_state(sink.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (sink, url)
}

/// Patients with a phone number, each booked three days ahead: their 14- and 7-day pre-care
/// reminders are due at once (the others stay pending, in the future).
async fn book_patients(staff: &Api, n: usize) -> Vec<String> {
    let (_, clinic) = staff.get("/api/v1/clinic").await;
    let mut settings = clinic["settings"].clone();
    settings["quiet_hours"] = json!("none");
    // Open every day around the clock, so a booking three days and two hours ahead is inside
    // opening hours (issue 11); `chrono_like_now_plus_days` keeps it clear of local midnight.
    settings["opening_hours"] = json!({ "days": [1, 2, 3, 4, 5, 6, 7], "opens": "00:00", "closes": "23:59" });
    let (status, v) =
        staff.send(Method::PATCH, "/api/v1/clinic", Some(&json!({ "settings": settings }))).await.unwrap();
    assert_eq!(status, StatusCode::OK, "{v}");
    let starts_at = (chrono_like_now_plus_days(3)).to_string();
    let mut ids = Vec::new();
    for i in 0..n {
        let p = staff
            .post_ok(
                "/api/v1/patients",
                &json!({ "name": format!("Pat {i}"), "phone": format!("+49 30 55{i:04}"), "consent_messages": true }),
                StatusCode::CREATED,
            )
            .await;
        let id = p["id"].as_str().unwrap().to_string();
        staff
            .post_ok(
                &format!("/api/v1/patients/{id}/appointments"),
                &json!({ "starts_at": starts_at }),
                StatusCode::CREATED,
            )
            .await;
        ids.push(id);
    }
    ids
}

/// Now plus `days` days and two hours, RFC 3339 in UTC (the test crate has no chrono).
fn chrono_like_now_plus_days(days: u64) -> String {
    let secs =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() + days * 86_400 + 7_200;
    // Not within an hour of midnight in Berlin (21:30-23:10 UTC): a booking must end the day it starts.
    let secs = if (77_400..83_400).contains(&(secs % 86_400)) { secs + 7_200 } else { secs };
    let out =
        std::process::Command::new("date").args(["-u", "-d", &format!("@{secs}"), "+%Y-%m-%dT%H:%M:%SZ"]).output();
    String::from_utf8(out.unwrap().stdout).unwrap().trim().to_string()
}

async fn webhook_messages(staff: &Api, patients: &[String]) -> Vec<Value> {
    let mut all = Vec::new();
    for id in patients {
        let (_, v) = staff.get(&format!("/api/v1/patients/{id}/messages")).await;
        all.extend(v["messages"].as_array().unwrap().iter().filter(|m| m["channel"] == "webhook").cloned());
    }
    all
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_worker_killed_mid_delivery_loses_nothing_and_resends_with_the_same_key() {
    let (sink, url) = start_sink().await;
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("needlepath.toml");
    std::fs::write(
        &config,
        format!(
            "[reminders]\npoll_milliseconds = 50\nlease_seconds = 3\nbatch = 20\nconcurrency = 16\n\n\
             [reminders.webhook]\nurl = \"{url}\"\nsecret = \"a-test-secret-of-enough-bytes\"\nallow_private_addresses = true\n"
        ),
    )
    .unwrap();
    let db = sqlite_url(&dir.path().join("np.db"));
    let config = config.display().to_string();
    let args = ["--database-url", db.as_str(), "--create-database", "--config", config.as_str()];
    let mut server = ServerProcess::start(dir.path(), &args).await;
    let staff = set_up_clinic(&mut server).await;
    let patients = book_patients(&staff, 1).await;

    // The worker has claimed the due messages and the receiver holds them: kill the service.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while sink.seen.lock().unwrap().len() < 2 {
        assert!(tokio::time::Instant::now() < deadline, "deliveries did not start: {:?}", sink.seen.lock().unwrap());
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let in_flight: Vec<String> = sink.seen.lock().unwrap().keys().cloned().collect();
    server.kill().await;
    sink.hold.store(false, Ordering::SeqCst);

    // Nothing was marked sent: the deliveries never finished.
    server.restart(&args).await;
    let staff = service::admin(&server.base()).await;
    let before = webhook_messages(&staff, &patients).await;
    let due: Vec<&Value> =
        before.iter().filter(|m| in_flight.iter().any(|k| m["idempotency_key"] == k.as_str())).collect();
    assert_eq!(due.len(), 2, "{before:#?}");
    assert!(due.iter().all(|m| m["status"] == "sending"), "{due:#?}");

    // After the leases run out, the restarted worker delivers them again, and marks them sent.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    loop {
        let now = webhook_messages(&staff, &patients).await;
        let done = now
            .iter()
            .filter(|m| in_flight.iter().any(|k| m["idempotency_key"] == k.as_str()) && m["status"] == "sent")
            .count();
        if done == 2 {
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "not all sent after the restart: {now:#?}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let seen = sink.seen.lock().unwrap().clone();
    for key in &in_flight {
        assert!(seen[key] >= 2, "{key} was in flight at the kill and must be sent again with the same key");
    }
    let delivered: Vec<String> = due.iter().map(|m| m["idempotency_key"].as_str().unwrap().to_string()).collect();
    for key in &delivered {
        assert!(seen.contains_key(key), "{key} never arrived");
    }
    let after = webhook_messages(&staff, &patients).await;
    // What was not due yet is still waiting, untouched by the crash.
    assert!(
        after
            .iter()
            .filter(|m| !in_flight.iter().any(|k| m["idempotency_key"] == k.as_str()))
            .all(|m| m["status"] == "pending")
    );
    assert!(
        after
            .iter()
            .filter(|m| in_flight.iter().any(|k| m["idempotency_key"] == k.as_str()))
            .all(|m| m["attempts"].as_u64().unwrap() >= 2),
        "each resend counts as an attempt: {after:#?}"
    );
    server.terminate().await;
}
