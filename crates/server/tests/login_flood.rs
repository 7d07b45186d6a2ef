#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! Issue 14, defect 1: a login flood. In a test binary of its own, so the memory it measures is
//! this test's server alone.

mod common;

use common::TestApp;
use serde_json::json;

/// The process's resident memory, in MiB (Linux).
fn rss_mib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let kb: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap();
    kb / 1024
}

/// Regression (defect 1): every login attempt, even for an unknown e-mail, ran a 19 MiB Argon2
/// hash with no bound on how many ran at once; 150 parallel attempts took the server from 79 MB
/// to 3.0 GB. Now at most a few run at once, the rest wait their turn briefly and are then
/// refused with 503 and `Retry-After`; the memory stays bounded (stated bound: 300 MiB over
/// the start, for 500 parallel attempts).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn login_flood_exhausts_memory() {
    // Limits high enough that every attempt reaches the password check.
    let t = TestApp::start_with(|c| {
        c.login_failures_per_account = 100_000;
        c.login_failures_per_address = 100_000;
    })
    .await;
    let before = rss_mib();
    let client = reqwest::Client::builder().pool_max_idle_per_host(0).build().unwrap();
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..500 {
        let (client, url) = (client.clone(), format!("{}/api/v1/auth/login", t.base));
        tasks.spawn(async move {
            let body = json!({ "email": format!("nobody{i}@flood.example"), "password": "wrong password here" });
            let r = client.post(url).json(&body).send().await.unwrap();
            let retry = r.headers().get("retry-after").is_some();
            let kind = r.headers().get("content-type").map(|v| v.to_str().unwrap_or_default().to_string());
            (r.status().as_u16(), retry, kind)
        });
    }
    let mut peak = before;
    let mut answers = Vec::new();
    while let Some(done) = tasks.join_next().await {
        answers.push(done.unwrap());
        peak = peak.max(rss_mib());
    }
    let refused = answers.iter().filter(|(s, _, _)| *s == 503).count();
    assert!(answers.iter().all(|(s, _, _)| *s == 401 || *s == 503), "{answers:?}");
    assert!(
        answers
            .iter()
            .filter(|(s, _, _)| *s == 503)
            .all(|(_, retry, kind)| *retry && kind.as_deref() == Some("application/problem+json")),
        "a refusal says when to come back, as problem+json"
    );
    eprintln!("login flood: {before} MiB before, {peak} MiB at the peak, {refused} of 500 refused with 503");
    assert!(peak - before < 300, "memory grew from {before} MiB to {peak} MiB under the flood ({refused} refused)");
    // The service still answers, and a real login still works once the flood is over.
    t.login(&t.admin.email, common::PASSWORD).await;
}
