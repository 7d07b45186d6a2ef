#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! Running the service, as an operator does, through the real binary: the first start and its
//! setup link; a mistyped database path refused (and not created); `backup` while serving,
//! `restore` into a service that works, and both refusing to overwrite; `user add` and
//! `user reset` (which ends the account's sessions and refuses short passwords); `config show`
//! never printing a database password and naming where each value came from; a graceful stop
//! on SIGTERM that lets a request in flight finish; and `needlepath openapi` matching the
//! committed `docs/openapi.json`.

mod service;

use std::time::{Duration, Instant};

use reqwest::StatusCode;
use service::{
    ADMIN_EMAIL, ADMIN_PASSWORD, Api, ServerProcess, add_treated_patient, admin, free_port, integrity_check, repo_root,
    run, run_with_stdin, set_up_clinic, sqlite_url, stderr, stdout,
};

/// A fresh directory with a served database whose clinic is set up; the admin logged in.
async fn served_clinic(dir: &std::path::Path) -> (ServerProcess, Api, String) {
    let url = sqlite_url(&dir.join("np.db"));
    let mut server = ServerProcess::start(dir, &["--database-url", &url, "--create-database"]).await;
    let staff = set_up_clinic(&mut server).await;
    (server, staff, url)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn first_start_prints_the_setup_link_and_creates_the_default_database() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = ServerProcess::start(dir.path(), &[]).await;
    let link = server.setup_link().await;
    assert!(link.starts_with(&format!("{}/setup?token=", server.base())), "the link points at the service: {link}");
    assert!(dir.path().join("needlepath.db").is_file(), "./needlepath.db is created in the working directory");
    assert!(server.stdout_text().contains("sqlite://needlepath.db"), "{}", server.stdout_text());

    let res = reqwest::get(&link).await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let token = link.split("token=").nth(1).unwrap();
    assert!(res.text().await.unwrap().contains(token), "the setup page carries the token into its form");

    let status = server.terminate().await;
    assert!(status.success(), "{status:?}");
}

/// Issue 11, defect 11: with no e-mail server or webhook every message was "Not sent" and invite
/// links named 127.0.0.1, and nothing said so. `serve` now says so at start.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_warns_when_links_name_this_machine_and_no_channel_is_configured() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = ServerProcess::start(dir.path(), &[]).await;
    server.setup_link().await;
    let out = server.stdout_text();
    assert!(out.contains("needlepath: warning: public_url is http://127.0.0.1:"), "{out}");
    assert!(out.contains("needlepath: warning: no e-mail server is configured"), "{out}");
    assert!(out.contains("needlepath: warning: no webhook is configured"), "{out}");
    server.terminate().await;

    let mut server = ServerProcess::start(dir.path(), &["--public-url", "https://clinic.example"]).await;
    server.wait_for_line(|l| l.contains("no webhook is configured"), Duration::from_secs(10)).await;
    let out = server.stdout_text();
    assert!(!out.contains("public_url is"), "a public address is not warned of: {out}");
    assert!(out.contains("no e-mail server is configured"), "{out}");
    server.terminate().await;
}

/// With `--listen 127.0.0.1:0` the system picks the port; the link must name that port, not 0.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_setup_link_names_the_port_actually_served() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = ServerProcess::spawn(dir.path(), 0, &[]);
    let line = server.wait_for_line(|l| l.contains("serving on"), service::READY_TIMEOUT).await;
    let served = line.split("serving on ").nth(1).and_then(|r| r.split_whitespace().next()).unwrap().to_string();
    let link = server.setup_link().await;
    assert!(link.starts_with(&format!("{served}/setup?token=")), "serving on {served}, but the link is {link}");
    assert!(server.terminate().await.success());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_mistyped_database_path_is_refused_and_not_created() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("mistyped.db");
    let url = sqlite_url(&db);
    let listen = format!("127.0.0.1:{}", free_port());
    let out = run(dir.path(), &["serve", "--listen", &listen, "--database-url", &url], &[]).await;
    assert!(!out.status.success(), "serve must not start on a missing file: {}", stdout(&out));
    let err = stderr(&out);
    assert!(err.contains("does not exist") && err.contains("--create-database"), "{err}");
    let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert!(left.is_empty(), "nothing is created next to the real database: {left:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backup_while_serving_restores_into_a_working_service() {
    let dir = tempfile::tempdir().unwrap();
    let (mut server, staff, url) = served_clinic(dir.path()).await;
    add_treated_patient(&staff, "Bea Backup").await;

    let file = dir.path().join("np.backup");
    let file_s = file.to_str().unwrap();
    let out = run(dir.path(), &["backup", file_s, "--database-url", &url], &[]).await;
    assert!(out.status.success(), "backup while serving: {}", stderr(&out));
    assert!(stdout(&out).contains("integrity: ok"), "{}", stdout(&out));
    assert_eq!(integrity_check(&file, true).await, "ok");

    let again = run(dir.path(), &["backup", file_s, "--database-url", &url], &[]).await;
    assert!(!again.status.success(), "backup onto an existing file must refuse");
    assert!(stderr(&again).contains("already exists"), "{}", stderr(&again));

    // The service kept serving through it.
    let (status, _) = staff.get("/api/v1/patients").await;
    assert_eq!(status, StatusCode::OK);

    let new_db = dir.path().join("new.db");
    let new_url = sqlite_url(&new_db);
    let out = run(dir.path(), &["restore", "--database-url", &new_url, file_s], &[]).await;
    assert!(out.status.success(), "restore into a new path: {}", stderr(&out));

    let before = std::fs::read(&new_db).unwrap();
    let refused = run(dir.path(), &["restore", "--database-url", &new_url, file_s], &[]).await;
    assert!(!refused.status.success(), "restore onto an existing database without --force must refuse");
    assert!(stderr(&refused).contains("--force"), "{}", stderr(&refused));
    assert_eq!(std::fs::read(&new_db).unwrap(), before, "a refused restore leaves the database alone");

    let mut restored = ServerProcess::start(dir.path(), &["--database-url", &new_url]).await;
    let admin = admin(&restored.base()).await;
    let (status, v) = admin.get("/api/v1/patients").await;
    assert_eq!(status, StatusCode::OK, "{v}");
    let names: Vec<&str> = v["patients"].as_array().unwrap().iter().filter_map(|p| p["name"].as_str()).collect();
    assert_eq!(names, ["Bea Backup"], "the restored service has the patient");
    assert!(restored.terminate().await.success());

    let forced = run(dir.path(), &["restore", "--force", "--database-url", &new_url, file_s], &[]).await;
    assert!(forced.status.success(), "restore --force onto a stopped service: {}", stderr(&forced));
    assert!(server.terminate().await.success());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn user_add_and_reset_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let (mut server, _staff, url) = served_clinic(dir.path()).await;
    let email = "pat@clinic.test";
    let first = "first password 123";
    let second = "second password 456";
    let db = [("NEEDLEPATH_DATABASE_URL", url.as_str())];
    let short = [("NEEDLEPATH_DATABASE_URL", url.as_str()), ("NEEDLEPATH_PASSWORD", "too short")];
    let good = [("NEEDLEPATH_DATABASE_URL", url.as_str()), ("NEEDLEPATH_PASSWORD", second)];

    let add = ["user", "add", "--email", email, "--name", "Pat Practitioner", "--role", "practitioner"];
    let out = run(dir.path(), &add, &short).await;
    assert!(!out.status.success(), "a short password is refused");
    assert!(stderr(&out).contains("at least 12"), "{}", stderr(&out));

    // The password on standard input, as an admin types it.
    let out = run_with_stdin(dir.path(), &add, &db, &format!("{first}\n")).await;
    assert!(out.status.success(), "user add: {}", stderr(&out));
    assert!(stdout(&out).contains("practitioner"), "{}", stdout(&out));

    let mut old = Api::new(&server.base());
    let (status, v) = old.login(email, first).await;
    assert_eq!(status, StatusCode::OK, "the new account logs in: {v}");
    assert_eq!(v["staff"]["role"], "practitioner", "{v}");
    let (status, _) = old.get("/api/v1/auth/session").await;
    assert_eq!(status, StatusCode::OK);

    let reset = ["user", "reset", "--email", email];
    let out = run(dir.path(), &reset, &short).await;
    assert!(!out.status.success(), "reset to a short password is refused");
    assert!(stderr(&out).contains("at least 12"), "{}", stderr(&out));
    let (status, _) = old.get("/api/v1/auth/session").await;
    assert_eq!(status, StatusCode::OK, "a refused reset changes nothing");
    let out = run(dir.path(), &reset, &good).await;
    assert!(out.status.success(), "user reset: {}", stderr(&out));

    let (status, v) = old.get("/api/v1/auth/session").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "the reset ends the sessions opened before it: {v}");
    let (status, _) = Api::new(&server.base()).login(email, first).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "the old password no longer works");
    let (status, v) = Api::new(&server.base()).login(email, second).await;
    assert_eq!(status, StatusCode::OK, "the new password works: {v}");

    let bad_role = ["user", "add", "--email", "x@clinic.test", "--name", "X", "--role", "owner"];
    let out = run(dir.path(), &bad_role, &good).await;
    assert!(!out.status.success() && stderr(&out).contains("front_desk"), "{}", stderr(&out));
    assert!(server.terminate().await.success());
}

/// The service flags belong to every service command, wherever they are typed: the README's
/// `needlepath user add --email …` naturally takes `--database-url` after it, and
/// `needlepath config show --config FILE` is how one checks a configuration file.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn service_flags_are_accepted_after_the_subcommand() {
    let dir = tempfile::tempdir().unwrap();
    let (mut server, _staff, url) = served_clinic(dir.path()).await;
    let pw = [("NEEDLEPATH_PASSWORD", "front desk password")];
    let args = ["user", "add", "--email", "fd@clinic.test", "--name", "Fran", "--role", "front_desk", "--database-url"];
    let out = run(dir.path(), &[&args[..], &[url.as_str()]].concat(), &pw).await;
    assert!(out.status.success(), "`user add … --database-url URL`: {}", stderr(&out));
    let out = run(dir.path(), &["config", "show", "--database-url", &url], &[]).await;
    assert!(out.status.success(), "`config show --database-url URL`: {}", stderr(&out));
    assert!(server.terminate().await.success());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn config_show_never_prints_the_database_password() {
    let dir = tempfile::tempdir().unwrap();
    // A password no key name contains (`photos_s3_secret_access_key` is shown, redacted).
    let env = [("NEEDLEPATH_DATABASE_URL", "postgres://u:hunter2@h/db")];
    let out = run(dir.path(), &["config", "show"], &env).await;
    assert!(out.status.success(), "{}", stderr(&out));
    let text = format!("{}{}", stdout(&out), stderr(&out));
    assert!(!text.contains("hunter2"), "the password shows: {text}");
    let line = stdout(&out).lines().find(|l| l.starts_with("database_url")).map(str::to_string).unwrap_or_default();
    assert!(line.contains("postgres://u:***@h/db"), "{line}");
    assert!(line.contains("env NEEDLEPATH_DATABASE_URL"), "the origin is named: {line}");

    let out = run(dir.path(), &["backup", "x.bak"], &env).await;
    assert!(!out.status.success());
    assert!(!stderr(&out).contains("hunter2"), "{}", stderr(&out));
}

/// Where each value came from, in the words the help promises: default, file, env or flag.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn config_show_names_defaults_files_and_flags() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("np.toml"), "invite_hours = 5\n").unwrap();
    let out = run(dir.path(), &["config", "show", "--config", "np.toml", "--listen", "127.0.0.1:9999"], &[]).await;
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    let origin = |key: &str| {
        let line = text.lines().find(|l| l.starts_with(&format!("{key} ="))).unwrap_or_else(|| panic!("{key}: {text}"));
        line.split_once('#').map(|(_, o)| o.trim().to_string()).unwrap_or_default()
    };
    assert!(origin("invite_hours").starts_with("file"), "{text}");
    assert_eq!(origin("listen"), "flag", "{text}");
    assert_eq!(origin("log_format"), "default", "{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_lets_requests_in_flight_finish() {
    let dir = tempfile::tempdir().unwrap();
    let (mut server, _staff, _url) = served_clinic(dir.path()).await;
    // Logins hash with Argon2 on the blocking pool: several at once keep the service busy. Five:
    // from one address, the login throttle lets five attempts at an account go at once.
    let mut logins = Vec::new();
    for _ in 0..5 {
        let mut api = Api::new(&server.base());
        let (status, _) = api.get("/healthz").await;
        assert_eq!(status, StatusCode::OK);
        logins.push(tokio::spawn(async move {
            let r = api.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
            (r, Instant::now())
        }));
    }
    tokio::time::sleep(Duration::from_millis(30)).await;
    let signalled = Instant::now();
    let pid = server.pid().to_string();
    assert!(std::process::Command::new("kill").args(["-TERM", &pid]).status().unwrap().success());
    let mut after_signal = 0;
    for l in logins {
        let ((status, v), answered) = l.await.unwrap();
        assert_eq!(status, StatusCode::OK, "a login in flight at SIGTERM still gets its answer: {v}");
        after_signal += usize::from(answered > signalled);
    }
    let status = server.wait_exit(Duration::from_secs(30)).await;
    assert!(status.success(), "SIGTERM is a clean stop: {status:?}\n{}", server.stderr_text());
    assert!(server.stdout_text().contains("needlepath: stopped"), "{}", server.stdout_text());
    eprintln!("graceful stop: {after_signal} of 6 logins answered after the signal");
    assert!(after_signal > 0, "no login was still in flight at the signal; the test proved nothing");
    let refused = reqwest::get(format!("{}/healthz", server.base())).await;
    assert!(refused.is_err(), "nothing listens after the stop");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn openapi_matches_the_committed_document() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(dir.path(), &["openapi"], &[]).await;
    assert!(out.status.success(), "{}", stderr(&out));
    let committed = std::fs::read_to_string(repo_root().join("docs/openapi.json")).unwrap();
    assert!(
        stdout(&out) == committed,
        "docs/openapi.json is stale; regenerate it with `needlepath openapi > docs/openapi.json`"
    );
    let _: serde_json::Value = serde_json::from_str(&committed).expect("docs/openapi.json is JSON");
}
