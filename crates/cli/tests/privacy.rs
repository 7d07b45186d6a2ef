#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! Issue 14, standing defence "privacy": the whole journey runs against the real binary with
//! the most verbose logging there is (`NEEDLEPATH_LOG=trace`, every crate), and no line it
//! writes, on standard output or standard error, holds a patient's name, e-mail address, phone
//! number, the words of a check-in, a password, or any token: session cookies, CSRF tokens,
//! the invite, an API token, the device cookie, the unsubscribe key.
//!
//! The one secret the service prints on purpose is the first-run setup link, to the operator's
//! console before any clinic exists (single use, spent by the setup below): it is left out of
//! the check, and that line is the only one allowed to hold it.

mod service;

use reqwest::StatusCode;
use serde_json::{Value, json};
use service::*;

const NAME: &str = "Zephyrine Quillfeather";
const EMAIL: &str = "zq.private@patient.example";
const PHONE: &str = "+49 30 99887766";
const NOTE: &str = "glitterbug itch behind my left ear";
const PASSWORD: &str = "staff password kept secret 9876";

/// The `name=value` pairs of a response's `Set-Cookie` headers.
fn cookie_values(r: &reqwest::Response) -> Vec<String> {
    r.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(|c| c.split(';').next()?.split_once('=').map(|(_, v)| v.to_string()))
        .filter(|v| !v.is_empty())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_log_line_holds_a_patients_details_or_a_token() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("np.db");
    let url = sqlite_url(&db);
    let mut server = ServerProcess::start_with_env(
        dir.path(),
        &["--database-url", &url, "--create-database"],
        &[("NEEDLEPATH_LOG", "trace")],
    )
    .await;
    let admin = set_up_clinic(&mut server).await;
    let printed = server.stdout_text();
    let setup_link = printed.split_whitespace().find(|w| w.contains("/setup?token=")).unwrap().to_string();
    let base = server.base();
    let mut secrets: Vec<(String, &str)> = vec![
        (NAME.into(), "the patient's name"),
        (EMAIL.into(), "the patient's e-mail"),
        (PHONE.into(), "the patient's phone"),
        (NOTE.into(), "the words of a check-in"),
        (PASSWORD.into(), "a password"),
        (ADMIN_PASSWORD.into(), "the admin's password"),
    ];
    secrets.push((admin.csrf.clone().unwrap(), "the admin's CSRF token"));

    // Staff: a practitioner by the raw API, to see every cookie the service sets.
    let staff =
        json!({ "email": "pia@clinic.test", "name": "Pia Practitioner", "role": "practitioner", "password": PASSWORD });
    admin.post_ok("/api/v1/staff", &staff, StatusCode::CREATED).await;
    let http = reqwest::Client::new();
    let login = http
        .post(format!("{base}/api/v1/auth/login"))
        .json(&json!({ "email": "pia@clinic.test", "password": PASSWORD }))
        .send()
        .await
        .unwrap();
    assert_eq!(login.status(), StatusCode::OK);
    for v in cookie_values(&login) {
        secrets.push((v, "a cookie of a staff login (session or device)"));
    }
    let body: Value = login.json().await.unwrap();
    secrets.push((body["csrf_token"].as_str().unwrap().to_string(), "a staff CSRF token"));
    let token =
        admin.post_ok("/api/v1/tokens", &json!({ "name": "lab", "role": "practitioner" }), StatusCode::CREATED).await;
    secrets.push((token["secret"].as_str().unwrap().to_string(), "an API token"));

    // A patient from record to check-in, and a wrong password for good measure.
    let p = admin
        .post_ok("/api/v1/patients", &json!({ "name": NAME, "email": EMAIL, "phone": PHONE }), StatusCode::CREATED)
        .await;
    let id = p["id"].as_str().unwrap().to_string();
    let screening = json!({ "concern": "acne_scars", "scar_type": "atrophic", "scar_grade": 2 });
    admin.post_ok(&format!("/api/v1/patients/{id}/screenings"), &screening, StatusCode::CREATED).await;
    admin.post_ok(&format!("/api/v1/patients/{id}/invites"), &json!({}), StatusCode::ACCEPTED).await;
    let invite = queued_invite_token(&db, &id).await;
    secrets.push((invite.clone(), "an invite"));
    let mut patient = Api::new(&base);
    let (status, v) = patient.redeem_invite(&invite).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    secrets.push((patient.csrf.clone().unwrap(), "a patient's CSRF token"));
    // The patient signs the treatment consent with their name typed (issue 15), then the session.
    let (status, consents) = patient.get("/api/v1/me/consents").await;
    assert_eq!(status, StatusCode::OK, "{consents}");
    let version = consents["statuses"][0]["text"]["version"].clone();
    let signature = json!({ "kind": "treatment", "version": version, "typed_name": NAME, "confirm": true });
    patient.post_ok("/api/v1/me/consents", &signature, StatusCode::CREATED).await;
    let session = json!({ "device": "Dermapen 4", "needle_depth_mm": 1.0, "areas": ["cheeks"] });
    admin.post_ok(&format!("/api/v1/patients/{id}/sessions"), &session, StatusCode::CREATED).await;
    let check_in = json!({ "symptoms": [{ "code": "redness", "severity": "mild" }], "note": NOTE });
    patient.post_ok("/api/v1/me/check-ins", &check_in, StatusCode::CREATED).await;
    let (status, _) = admin.get(&format!("/api/v1/patients/{id}")).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = admin.get("/api/v1/patients?search=Zephyrine").await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = Api::new(&base).login("pia@clinic.test", "not the password").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _) = Api::new(&base).post("/api/v1/auth/sign-in-link", &json!({ "email": EMAIL })).await;
    assert_eq!(status, StatusCode::ACCEPTED);
    let page = http.get(format!("{base}/staff/patients/{id}")).bearer_auth(token["secret"].as_str().unwrap()).send();
    assert_eq!(page.await.unwrap().status(), StatusCode::OK);
    // The invite link itself, opened as a browser would (the token in the query string).
    let opened = http.get(format!("{base}/invite?token={invite}")).send().await.unwrap();
    assert!(opened.status().is_success() || opened.status().is_client_error());
    // Give the outbox worker a round to claim and skip the e-mails (no mail server here).
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    let key: String = {
        use sqlx::{ConnectOptions as _, Connection as _};
        let mut conn = sqlx::sqlite::SqliteConnectOptions::new().filename(&db).connect().await.unwrap();
        let k = sqlx::query_scalar("SELECT secret FROM service_keys WHERE name = 'unsubscribe'")
            .fetch_optional(&mut conn)
            .await
            .unwrap();
        let _ = conn.close().await;
        k.unwrap_or_default()
    };
    if !key.is_empty() {
        secrets.push((key, "the unsubscribe key"));
    }

    server.kill().await;
    let out = server.stdout_text();
    let err = server.stderr_text();
    let lines: Vec<&str> = out.lines().chain(err.lines()).collect();
    assert!(lines.len() > 100, "trace logging wrote only {} lines: is NEEDLEPATH_LOG=trace honoured?", lines.len());
    let setup_token = setup_link.split("token=").nth(1).unwrap().to_string();
    let mut leaks = Vec::new();
    for line in &lines {
        for (secret, what) in &secrets {
            if line.contains(secret.as_str()) {
                leaks.push(format!("{what}: {line}"));
            }
        }
        if line.contains(&setup_token) && !line.contains("/setup?token=") {
            leaks.push(format!("the setup token outside its first-run line: {line}"));
        }
    }
    eprintln!("privacy: {} log lines at trace level checked against {} secrets", lines.len(), secrets.len());
    assert!(leaks.is_empty(), "{} log lines leak:\n{}", leaks.len(), leaks.join("\n"));
}
