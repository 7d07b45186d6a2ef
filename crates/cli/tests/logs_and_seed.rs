#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! Issue 16: logs that do not cost (one access line per request at most, no colour codes off a
//! terminal, JSON as an option, off as an option), a commit mode that is checked, and `seed`
//! making a clinic group the service then serves.

mod service;

use std::time::Duration;

use service::{ServerProcess, run, sqlite_url, stderr};

async fn get(server: &ServerProcess, path: &str) -> u16 {
    reqwest::get(format!("{}{path}", server.base())).await.unwrap().status().as_u16()
}

async fn lines_after_requests(env: &[(&str, &str)]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let url = sqlite_url(&dir.path().join("np.db"));
    let mut env = env.to_vec();
    env.push(("NEEDLEPATH_LOG", "info"));
    let mut server =
        ServerProcess::start_with_env(dir.path(), &["--database-url", &url, "--create-database"], &env).await;
    for _ in 0..3 {
        assert_eq!(get(&server, "/healthz").await, 200);
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let text = server.stderr_text();
    server.terminate().await;
    text
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logs_are_one_plain_line_per_request_json_on_request_and_none_when_off() {
    let text = lines_after_requests(&[]).await;
    assert!(!text.contains('\u{1b}'), "no colour codes when stderr is not a terminal: {text:?}");
    let requests: Vec<&str> = text.lines().filter(|l| l.contains("/healthz")).collect();
    assert_eq!(requests.len(), 3, "one line per request: {text}");

    let json = lines_after_requests(&[("NEEDLEPATH_LOG_FORMAT", "json")]).await;
    let requests: Vec<serde_json::Value> = json
        .lines()
        .filter(|l| l.contains("/healthz"))
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect();
    assert_eq!(requests.len(), 3, "{json}");
    assert_eq!(requests[0]["fields"]["status"], 200);

    let off = lines_after_requests(&[("NEEDLEPATH_ACCESS_LOG", "off")]).await;
    assert!(!off.lines().any(|l| l.contains("/healthz")), "{off}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_commit_mode_or_access_log_value_that_does_not_exist_is_refused_by_name() {
    let dir = tempfile::tempdir().unwrap();
    let url = sqlite_url(&dir.path().join("np.db"));
    let out = run(dir.path(), &["serve", "--database-url", &url], &[("NEEDLEPATH_SQLITE_COMMIT", "sometimes")]).await;
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(err.contains("sqlite_commit") && err.contains("group, per_request or normal"), "{err}");
    let out = run(dir.path(), &["serve", "--database-url", &url], &[("NEEDLEPATH_ACCESS_LOG", "quiet")]).await;
    assert!(!out.status.success());
    assert!(stderr(&out).contains("access_log"), "{}", stderr(&out));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn seed_makes_a_clinic_group_the_service_serves_and_refuses_a_database_in_use() {
    let dir = tempfile::tempdir().unwrap();
    let url = sqlite_url(&dir.path().join("np.db"));
    let creds = dir.path().join("creds.json");
    let out = run(
        dir.path(),
        &["seed", "--patients", "40", "--database-url", &url, "--create-database", "--out", creds.to_str().unwrap()],
        &[],
    )
    .await;
    assert!(out.status.success(), "{}", stderr(&out));
    let seeded: serde_json::Value = serde_json::from_slice(&std::fs::read(&creds).unwrap()).unwrap();
    assert_eq!(seeded["patients"], 40);
    assert_eq!(seeded["writers"].as_array().unwrap().len(), 37);

    let mut server = ServerProcess::start(dir.path(), &["--database-url", &url]).await;
    let client = reqwest::Client::new();
    let heavy = &seeded["heavy_patient"];
    let today = client
        .get(format!("{}/me", server.base()))
        .header("cookie", heavy["cookie"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(today.status().as_u16(), 200);
    let checks = client
        .get(format!("{}/api/v1/me/check-ins?limit=200", server.base()))
        .header("cookie", heavy["cookie"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    let checks: serde_json::Value = checks.json().await.unwrap();
    assert_eq!(checks["check_ins"].as_array().unwrap().len(), 200, "the heavy patient has more than a page");
    let queue = client
        .get(format!("{}/staff", server.base()))
        .header("cookie", seeded["staff"]["practitioner_cookie"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(queue.status().as_u16(), 200);
    server.terminate().await;

    let again = run(dir.path(), &["seed", "--patients", "5", "--database-url", &url], &[]).await;
    assert!(!again.status.success());
    assert!(stderr(&again).contains("already has a clinic"), "{}", stderr(&again));
}
