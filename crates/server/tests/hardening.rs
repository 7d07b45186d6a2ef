#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! Issue 14: hostile input, floods and insiders. Each regression test is named after the
//! defect it pins; the standing defences (fuzzing, faults, privacy) live beside it in CI.

mod common;

use common::TestApp;
use serde_json::json;

/// Regression (defect 7): API tokens kept admin rights after the admin who created them was
/// deactivated or demoted. A token now works only while its creator is an active admin.
#[tokio::test(flavor = "multi_thread")]
async fn api_tokens_outlive_their_creator() {
    let t = TestApp::start().await;
    for change in [json!({ "active": false }), json!({ "role": "front_desk" })] {
        let creator = t.add_staff(&t.admin.api, "admin").await;
        let (token, _) = t.create_token(&creator.api, "admin").await;
        token.get("/api/v1/staff").await.expect(200);
        t.admin.api.patch(&format!("/api/v1/staff/{}", creator.id), change.clone()).await.expect(200);
        let r = token.get("/api/v1/staff").await;
        assert_eq!((r.status, r.code()), (401, "invalid_token"), "after {change}: {}", r.text);
        assert!(r.text.contains("no longer an active admin"), "{}", r.text);
    }
    // A token of an admin who stays an admin keeps working.
    let (token, _) = t.create_token(&t.admin.api, "practitioner").await;
    token.get("/api/v1/patients").await.expect(200);
    // Restoring the creator's rights restores the token (it was never revoked).
    let creator = t.add_staff(&t.admin.api, "admin").await;
    let (token, _) = t.create_token(&creator.api, "admin").await;
    t.admin.api.patch(&format!("/api/v1/staff/{}", creator.id), json!({ "active": false })).await.expect(200);
    assert_eq!(token.get("/api/v1/staff").await.status, 401);
    t.admin.api.patch(&format!("/api/v1/staff/{}", creator.id), json!({ "active": true })).await.expect(200);
    token.get("/api/v1/staff").await.expect(200);
}

/// Regression (defect 11): right-to-left override characters were accepted in names, so a
/// record could show staff a name other than the one stored.
#[tokio::test(flavor = "multi_thread")]
async fn right_to_left_override_characters_in_names_are_refused() {
    let t = TestApp::start().await;
    for name in ["Ann\u{202E}gpj.exe", "Bo\u{2066}b\u{2069}", "\u{202D}Eve"] {
        let r = t.admin.api.post("/api/v1/patients", json!({ "name": name })).await;
        assert_eq!((r.status, r.json["field"].as_str()), (422, Some("name")), "{name:?}: {}", r.text);
        let r = t
            .admin
            .api
            .post(
                "/api/v1/staff",
                json!({ "email": "x@staff.example", "name": name, "role": "front_desk", "password": common::PASSWORD }),
            )
            .await;
        assert_eq!((r.status, r.json["field"].as_str()), (422, Some("name")), "{name:?}: {}", r.text);
    }
    // A right-to-left name with its marks is a name.
    let r = t
        .admin
        .api
        .post("/api/v1/patients", json!({ "name": "\u{200F}\u{5D3}\u{5E0}\u{5D4} \u{5DC}\u{5D5}\u{5D9}" }))
        .await;
    r.expect(201);
}

/// Regression (defect 11): `as_of: null` was accepted and echoed back in the stored request,
/// breaking the response schema; and `"findings": null` kept the patient's recorded findings
/// out of the screening (the engine reads null as absent, but the record only filled absent
/// members). A null member is now silent, as the engine reads it.
#[tokio::test(flavor = "multi_thread")]
async fn as_of_null_is_accepted_and_echoed_back() {
    let t = TestApp::start().await;
    let r = t
        .admin
        .api
        .post("/api/v1/patients", json!({ "name": "Nola Null", "findings": [{ "code": "pregnant" }] }))
        .await;
    let pid = r.expect(201)["id"].as_str().unwrap().to_string();
    let body = json!({ "concern": "acne_scars", "scar_type": "atrophic", "as_of": null, "findings": null, "fitzpatrick": null });
    let r = t.admin.api.post(&format!("/api/v1/patients/{pid}/screenings"), body).await;
    let s = r.expect(201);
    assert!(s["request"].as_object().unwrap().values().all(|v| !v.is_null()), "no null echoed: {}", s["request"]);
    assert_ne!(s["decision"], "eligible", "the recorded pregnancy counts: {}", s["result"]);
    assert_eq!(s["request"]["findings"][0]["code"], "pregnant", "{}", s["request"]);
}

/// Sends `request` as raw bytes and reads the answer's status line, headers and body (the
/// request asks the server to close).
async fn raw(t: &TestApp, request: &[u8]) -> (u16, String, String) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut s = tokio::net::TcpStream::connect(t.addr).await.unwrap();
    s.write_all(request).await.unwrap();
    let mut buf = Vec::new();
    let _ = tokio::time::timeout(std::time::Duration::from_secs(5), s.read_to_end(&mut buf)).await;
    let text = String::from_utf8_lossy(&buf).to_string();
    let status = text.split(' ').nth(1).and_then(|c| c.parse().ok()).unwrap_or(0);
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    (status, head.to_lowercase(), body.to_string())
}

/// Regression (defect 11): bad UTF-8 in a path and an oversized body were answered in plain
/// text, and a malformed chunked body was reported as 413.
#[tokio::test(flavor = "multi_thread")]
async fn bad_utf8_paths_oversized_and_malformed_bodies_are_problem_documents() {
    let t = TestApp::start().await;
    let host = format!("Host: {}\r\nConnection: close\r\n", t.addr);
    // A path whose percent-encoding is not UTF-8.
    let (status, head, body) = raw(&t, format!("GET /api/v1/patients/%FF%FE HTTP/1.1\r\n{host}\r\n").as_bytes()).await;
    assert_eq!(status, 400, "{head}{body}");
    assert!(head.contains("content-type: application/problem+json"), "{head}");
    assert!(body.contains("malformed_path"), "{body}");
    // A body declared larger than the limit.
    let big = format!("{{\"email\": \"{}\", \"password\": \"x\"}}", "a".repeat(100_000));
    let req = format!(
        "POST /api/v1/auth/login HTTP/1.1\r\n{host}Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{big}",
        big.len()
    );
    let (status, head, body) = raw(&t, req.as_bytes()).await;
    assert_eq!(status, 413, "{head}{body}");
    assert!(head.contains("content-type: application/problem+json"), "{head}");
    assert!(body.contains("body_too_large"), "{body}");
    // A chunked body that grows past the limit.
    let chunk = "a".repeat(70_000);
    let req = format!(
        "POST /api/v1/auth/login HTTP/1.1\r\n{host}Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n{:x}\r\n{chunk}\r\n0\r\n\r\n",
        chunk.len()
    );
    let (status, head, body) = raw(&t, req.as_bytes()).await;
    assert_eq!(status, 413, "{head}{body}");
    assert!(head.contains("content-type: application/problem+json"), "{head}");
    // A malformed chunked body is not "too large".
    let req = format!(
        "POST /api/v1/auth/login HTTP/1.1\r\n{host}Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nZZ\r\n{{}}\r\n0\r\n\r\n"
    );
    let (status, head, body) = raw(&t, req.as_bytes()).await;
    assert_ne!(status, 413, "{head}{body}");
    if status != 0 {
        assert_eq!(status, 400, "{head}{body}");
    }
    // The same for a form.
    let req = format!(
        "POST /login HTTP/1.1\r\n{host}Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 100000\r\n\r\n{}",
        "a".repeat(100_000)
    );
    let (status, head, _) = raw(&t, req.as_bytes()).await;
    assert_eq!(status, 413, "{head}");
}

/// Regression (defect 9): patient logins lasted 30 days and outstanding invites could not be
/// withdrawn. Staff end a patient's access (every login, every outstanding invite), and a
/// patient signs out on every device.
#[tokio::test(flavor = "multi_thread")]
async fn sessions_and_invites_cannot_be_revoked() {
    let t = TestApp::start().await;
    let patient = t.create_patient(&t.admin.api, "Rhea Revoke").await;
    let pid = patient["id"].as_str().unwrap().to_string();
    let phone = t.patient_login(&t.admin.api, &patient).await;
    let laptop = t.patient_login(&t.admin.api, &patient).await;
    let pending = t.invite(&t.admin.api, &pid).await;
    let desk = t.add_staff(&t.admin.api, "front_desk").await;
    let r = desk.api.post_empty(&format!("/api/v1/patients/{pid}/access/end")).await;
    assert_eq!(r.expect(200)["logins_ended"], 2, "{}", r.text);
    assert_eq!(r.json["invites_withdrawn"], 1, "{}", r.text);
    for device in [&phone, &laptop] {
        assert_eq!(device.api.get("/api/v1/me").await.status, 401, "the login ended");
    }
    let used = t.anon().post("/api/v1/auth/invite", json!({ "token": pending })).await;
    assert_eq!((used.status, used.code()), (400, "invalid_token"), "a withdrawn invite does not work: {}", used.text);
    let trail = t.admin.api.get(&format!("/api/v1/patients/{pid}/audit")).await.expect(200)["entries"].clone();
    assert!(
        trail
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["action"] == "patient.access_ended" && e["actor_id"] == desk.id.as_str())
    );

    // A patient signs out everywhere: every device, this one too.
    let phone = t.patient_login(&t.admin.api, &patient).await;
    let laptop = t.patient_login(&t.admin.api, &patient).await;
    let r = phone.api.post_empty("/api/v1/me/sign-out-everywhere").await;
    assert_eq!(r.expect(200)["logins_ended"], 2, "{}", r.text);
    assert!(r.header("set-cookie").is_some_and(|c| c.contains("Max-Age=0")), "{:?}", r.headers);
    assert_eq!(laptop.api.get("/api/v1/me").await.status, 401);
    assert_eq!(phone.api.get("/api/v1/me").await.status, 401);
    // Another clinic's staff cannot end this patient's access.
    let (_, other) = t.second_clinic().await;
    assert_eq!(other.api.post_empty(&format!("/api/v1/patients/{pid}/access/end")).await.status, 404);
}

/// Regression (defect 8): one patient opened 300 emergency alerts and queued 600 staff e-mails
/// in 80 seconds. Repeated check-ins while an alert is open update it; every emergency check-in
/// is still answered as one.
#[tokio::test(flavor = "multi_thread")]
async fn alert_flooding() {
    let t = TestApp::start().await;
    let patient = t.create_patient(&t.admin.api, "Fay Flood").await;
    let pid = patient["id"].as_str().unwrap().to_string();
    t.screen_eligible(&t.admin.api, &pid).await;
    t.record_session_at(&t.admin.api, &pid, chrono::Utc::now() - chrono::Duration::hours(30)).await;
    let me = t.patient_login(&t.admin.api, &patient).await;
    let mut alert_ids = std::collections::BTreeSet::new();
    for _ in 0..30 {
        let r = me.api.post("/api/v1/me/check-ins", common::emergency_check_in()).await;
        assert_eq!(r.expect(201)["disposition"], "emergency", "the emergency answer is always shown");
        alert_ids.insert(r.json["alert"]["id"].as_str().unwrap().to_string());
    }
    assert_eq!(alert_ids.len(), 1, "one alert for the patient: {alert_ids:?}");
    let open = t.admin.api.get("/api/v1/alerts").await.expect(200)["alerts"].clone();
    let mine: Vec<_> = open.as_array().unwrap().iter().filter(|a| a["patient"] == pid.as_str()).collect();
    assert_eq!(mine.len(), 1, "{open}");
    assert_eq!(mine[0]["check_ins"], 30, "{}", mine[0]);
    let queue = t.admin.api.get("/staff").await;
    assert!(
        queue.text.contains("30 since it was raised: the latest is shown"),
        "the queue says how many check-ins it stands for"
    );
}

/// Regression (defect 8, the limit): a patient could send check-ins without end. Routine ones
/// past the hourly limit (20 by default) are refused with a clear answer and `Retry-After`; one
/// that opens an alert is always taken, answered and alerted, however many came before; a
/// check-in staff record by phone is not limited.
#[tokio::test(flavor = "multi_thread")]
async fn a_patient_floods_routine_check_ins() {
    let t = TestApp::start_with(|c| c.check_ins_per_patient_per_hour = 5).await;
    let patient = t.create_patient(&t.admin.api, "Rio Routine").await;
    let pid = patient["id"].as_str().unwrap().to_string();
    t.screen_eligible(&t.admin.api, &pid).await;
    t.record_session_at(&t.admin.api, &pid, chrono::Utc::now() - chrono::Duration::hours(30)).await;
    let me = t.patient_login(&t.admin.api, &patient).await;
    for _ in 0..5 {
        me.api.post("/api/v1/me/check-ins", common::self_care_check_in()).await.expect(201);
    }
    let r = me.api.post("/api/v1/me/check-ins", common::self_care_check_in()).await;
    assert_eq!((r.status, r.code()), (429, "too_many_check_ins"), "{}", r.text);
    assert!(r.header("retry-after").is_some(), "says when to come back");
    assert!(r.text.contains("in an emergency, call emergency services"), "{}", r.text);
    // A red flag past the limit: taken, answered as an emergency, alerted.
    let r = me.api.post("/api/v1/me/check-ins", common::emergency_check_in()).await;
    assert_eq!(r.expect(201)["disposition"], "emergency", "{}", r.text);
    assert_eq!(r.json["call_emergency_services"], true);
    assert!(r.json["alert"]["id"].is_string(), "{}", r.text);
    // Contact-the-clinic answers open alerts too: never refused for the limit.
    let r = me.api.post("/api/v1/me/check-ins", common::contact_clinic_check_in()).await;
    assert_eq!(r.status, 201, "{}", r.text);
    // Staff recording a check-in by phone are not limited.
    let by_phone = t.admin.api.post(&format!("/api/v1/patients/{pid}/check-ins"), common::self_care_check_in()).await;
    assert_eq!(by_phone.status, 201, "{}", by_phone.text);
    // The refused one was not saved: 5 routine + 1 emergency + 1 contact + 1 by phone.
    let list = t.admin.api.get(&format!("/api/v1/patients/{pid}/check-ins")).await.expect(200).clone();
    let sent = list["check_ins"].as_array().unwrap().iter().filter(|c| !c["submitted_at"].is_null()).count();
    assert_eq!(sent, 8, "{list}");
}
