//! How long the server takes to answer the main pages, and how heavy they are, for a realistic
//! patient: screened, a plan, three sessions and 20 check-ins (some of them alerts).
//!
//! A real server on loopback over a real SQLite file; each page is fetched 300 times after a
//! warm-up, one request at a time, and the time is measured around the whole request (so it is
//! an upper bound of the render time: it includes the database reads, HTTP and the client).
//! Run: `cargo bench -p needlepath-server --bench pages`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "../tests/common/mod.rs"]
mod common;

use std::time::{Duration, Instant};

use common::TestApp;
use serde_json::json;

const ROUNDS: usize = 300;

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let t = TestApp::start().await;
    let prac = t.add_staff(&t.admin.api, "practitioner").await;
    let patient = t.create_patient(&prac.api, "Robin Realistic").await;
    let pid = patient["id"].as_str().unwrap().to_string();
    t.screen_eligible(&prac.api, &pid).await;
    let plan = json!({ "concern": "acne_scars", "scar_grade": 3, "start": "2026-09-01" });
    prac.api.post(&format!("/api/v1/patients/{pid}/plans"), plan).await.expect(201);
    for weeks_ago in [8, 4, 0] {
        t.record_session_at(&prac.api, &pid, chrono::Utc::now() - chrono::Duration::weeks(weeks_ago)).await;
    }
    let me = t.patient_login(&prac.api, &patient).await;
    let symptoms = ["redness", "swelling", "pain", "itching", "dryness", "flaking"];
    for i in 0..20 {
        let body = if i % 7 == 6 {
            json!({ "symptoms": [{ "code": "pus", "severity": "moderate" }], "note": format!("day {i}") })
        } else {
            let a = symptoms[i % symptoms.len()];
            let b = symptoms[(i + 2) % symptoms.len()];
            json!({ "symptoms": [{ "code": a, "severity": "mild", "trend": "improving" }, { "code": b, "severity": "moderate" }], "temperature_c": 36.8 })
        };
        let r = me.api.post("/api/v1/me/check-ins", body).await;
        assert_eq!(r.status, 201, "{}", r.text);
    }

    let anon = t.anon();
    let pages: Vec<(&str, &common::Api, String)> = vec![
        ("patient: today", &me.api, "/me".into()),
        ("patient: check-in form", &me.api, "/me/check-in".into()),
        ("patient: plan", &me.api, "/me/plan".into()),
        ("patient: history + chart", &me.api, "/me/history".into()),
        ("staff: queue", &prac.api, "/staff".into()),
        ("staff: patient record", &prac.api, format!("/staff/patients/{pid}")),
        ("staff: patients", &prac.api, "/staff/patients".into()),
        ("public: candidate", &anon, "/candidate".into()),
        ("public: aftercare", &anon, "/aftercare".into()),
    ];
    println!("{:<28} {:>9} {:>9} {:>9} {:>9}", "page", "median", "p95", "max", "bytes");
    for (name, api, path) in pages {
        for _ in 0..20 {
            api.get(&path).await;
        }
        let mut times = Vec::with_capacity(ROUNDS);
        let mut bytes = 0;
        for _ in 0..ROUNDS {
            let started = Instant::now();
            let r = api.get(&path).await;
            times.push(started.elapsed());
            assert_eq!(r.status, 200, "{path}: {}", r.text.chars().take(300).collect::<String>());
            bytes = r.text.len();
        }
        times.sort();
        println!(
            "{name:<28} {:>7.2}ms {:>7.2}ms {:>7.2}ms {bytes:>9}",
            percentile(&times, 0.5).as_secs_f64() * 1e3,
            percentile(&times, 0.95).as_secs_f64() * 1e3,
            times[times.len() - 1].as_secs_f64() * 1e3,
        );
    }
    println!(
        "assets (CSS + JS + icon, each page loads them once, then cached): {} bytes",
        needlepath_server::pages::assets::total_bytes()
    );
}
