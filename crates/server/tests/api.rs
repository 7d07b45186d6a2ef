#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! Behaviour of the running service over HTTP: first-run setup, login and its limits, CSRF and
//! origin checks, cookie attributes, problem documents for bad input, the session blockers and
//! the practitioner's override, emergency and `contact_clinic` check-ins with their alerts and
//! deadlines, the alert workflow, health/readiness/metrics, API-token revocation, deactivated
//! staff, single-use invites, and the audit trail of patient reads.

mod common;

use chrono::{DateTime, Datelike, Duration, NaiveTime, TimeZone, Utc, Weekday};
use common::{
    PASSWORD, TestApp, contact_clinic_check_in, emergency_check_in, self_care_check_in, session_body, session_cookie,
};
use serde_json::json;

fn is_problem(r: &common::Resp) -> bool {
    r.header("content-type") == Some("application/problem+json")
}

#[tokio::test(flavor = "multi_thread")]
async fn setup_link_works_once() {
    let t = TestApp::spawn().await;
    let token = t.setup_token().await.expect("a new database offers a setup link");
    let page = t.anon().get(&format!("/setup?token={token}")).await;
    assert_eq!(page.status, 200);
    assert!(page.text.contains(&token) && page.text.contains("<form"), "{}", page.text);

    let wrong = t.anon().post("/api/v1/setup", TestApp::setup_body("not-the-token")).await;
    assert_eq!((wrong.status, wrong.code()), (400, "invalid_token"), "{}", wrong.text);

    let ok = t.anon().post("/api/v1/setup", TestApp::setup_body(&token)).await;
    let body = ok.expect(201);
    assert_eq!(body["clinic"]["name"], "Clinic One");
    assert_eq!(body["admin"]["role"], "admin");
    assert!(body["admin"].get("password_hash").is_none(), "the hash never leaves the server");

    let again = t.anon().post("/api/v1/setup", TestApp::setup_body(&token)).await;
    assert_eq!((again.status, again.code()), (400, "invalid_token"), "{}", again.text);
    assert!(t.setup_token().await.is_none(), "no new setup link once a clinic exists");
    // The admin it made can log in.
    t.login("ada.admin@one.example", PASSWORD).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn login_failures_are_401_then_429_with_retry_after() {
    let t = TestApp::start().await;
    let desk = t.add_staff(&t.admin.api, "front_desk").await;
    let bad = json!({ "email": desk.email, "password": "wrong password entirely" });
    for i in 0..5 {
        let r = t.anon().post("/api/v1/auth/login", bad.clone()).await;
        assert_eq!((r.status, r.code()), (401, "invalid_credentials"), "attempt {i}: {}", r.text);
        assert!(is_problem(&r));
        assert!(session_cookie(&r).is_none());
    }
    let held = t.anon().post("/api/v1/auth/login", bad.clone()).await;
    assert_eq!((held.status, held.code()), (429, "too_many_attempts"), "{}", held.text);
    let wait: u64 = held.header("retry-after").expect("Retry-After").parse().unwrap();
    assert!((1..=15 * 60).contains(&wait), "{wait}");
    // Even the right password waits now; other accounts are not held.
    let right = t.anon().post("/api/v1/auth/login", json!({ "email": desk.email, "password": PASSWORD })).await;
    assert_eq!(right.status, 429, "{}", right.text);
    t.login(&t.admin.email, PASSWORD).await;
    // An unknown account answers exactly like a wrong password.
    let unknown =
        t.anon().post("/api/v1/auth/login", json!({ "email": "nobody@x.example", "password": PASSWORD })).await;
    assert_eq!((unknown.status, unknown.code()), (401, "invalid_credentials"));
}

#[tokio::test(flavor = "multi_thread")]
async fn cookie_writes_need_the_csrf_token_and_our_origin() {
    let t = TestApp::start().await;
    let body = json!({ "name": "Csrf Patient" });
    let mut no_csrf = t.admin.api.clone();
    no_csrf.csrf = None;
    let r = no_csrf.post("/api/v1/patients", body.clone()).await;
    assert_eq!((r.status, r.code()), (403, "csrf_failed"), "{}", r.text);
    assert!(is_problem(&r));
    let mut wrong = t.admin.api.clone();
    wrong.csrf = Some("not-the-token".into());
    assert_eq!(wrong.post("/api/v1/patients", body.clone()).await.code(), "csrf_failed");
    // Reads need no token.
    assert_eq!(no_csrf.get("/api/v1/patients").await.status, 200);
    // A bearer token is not a cookie: no CSRF token needed.
    let (token, _) = t.create_token(&t.admin.api, "front_desk").await;
    token.post("/api/v1/patients", body.clone()).await.expect(201);

    // Another site's page cannot make changes, even with a valid session and token.
    let evil = t.admin.api.builder(reqwest::Method::POST, "/api/v1/patients").header("origin", "http://evil.example");
    let r = common::read(evil.json(&body)).await;
    assert_eq!((r.status, r.code()), (403, "cross_origin"), "{}", r.text);
    let anon_evil = common::read(
        t.anon()
            .builder(reqwest::Method::POST, "/api/v1/auth/login")
            .header("origin", "http://evil.example")
            .json(&json!({ "email": t.admin.email, "password": PASSWORD })),
    )
    .await;
    assert_eq!((anon_evil.status, anon_evil.code()), (403, "cross_origin"));
    let ours = t.admin.api.builder(reqwest::Method::POST, "/api/v1/patients").header("origin", t.base.clone());
    assert_eq!(common::read(ours.json(&body)).await.status, 201);
}

/// Authentication refuses before any route runs and renders nothing itself: the composition
/// root answers a problem under `/api/` and an error page elsewhere (issue 13: authentication
/// resolves the caller without rendering HTML).
#[tokio::test(flavor = "multi_thread")]
async fn authentication_refusals_are_problems_under_api_and_pages_elsewhere() {
    let t = TestApp::start().await;
    let bad_bearer = |path: &str| t.anon().builder(reqwest::Method::GET, path).bearer_auth("np_not_a_token");
    let api = common::read(bad_bearer("/api/v1/patients")).await;
    assert_eq!((api.status, api.code()), (401, "invalid_token"), "{}", api.text);
    assert!(is_problem(&api));
    let page = common::read(bad_bearer("/staff/patients")).await;
    assert_eq!(page.status, 401, "{}", page.text);
    assert!(page.header("content-type").is_some_and(|c| c.starts_with("text/html")), "{:?}", page.headers);

    let evil = t
        .admin
        .api
        .builder(reqwest::Method::POST, "/staff/patients")
        .header("origin", "http://evil.example")
        .header("content-type", "application/x-www-form-urlencoded")
        .body("name=Evil+Patient");
    let page = common::read(evil).await;
    assert_eq!(page.status, 403, "{}", page.text);
    assert!(page.header("content-type").is_some_and(|c| c.starts_with("text/html")), "{:?}", page.headers);
    assert!(t.admin.api.get("/api/v1/patients?search=Evil").await.json["patients"].as_array().unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn session_cookies_are_httponly_and_samesite_lax() {
    let t = TestApp::start().await;
    let r = t.anon().post("/api/v1/auth/login", json!({ "email": t.admin.email, "password": PASSWORD })).await;
    r.expect(200);
    let cookie = r.header("set-cookie").unwrap().to_string();
    for part in ["np_session=", "HttpOnly", "SameSite=Lax", "Path=/", "Max-Age="] {
        assert!(cookie.contains(part), "{part} missing from {cookie}");
    }
    assert!(!cookie.contains("Secure"), "plain-http install: no Secure flag ({cookie})");
    assert_eq!(r.header("cache-control"), Some("no-store"));

    let patient = t.create_patient(&t.admin.api, "Cookie Patient").await;
    let token = t.invite(&t.admin.api, patient["id"].as_str().unwrap()).await;
    let r = t.anon().post("/api/v1/auth/invite", json!({ "token": token })).await;
    r.expect(200);
    let cookie = r.header("set-cookie").unwrap();
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"), "{cookie}");

    let out = t.admin.api.post_empty("/api/v1/auth/logout").await;
    assert_eq!(out.status, 204);
    assert!(out.header("set-cookie").unwrap().contains("Max-Age=0"));
    assert_eq!(t.admin.api.get("/api/v1/auth/session").await.status, 401, "the session is gone");
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_bodies_are_problem_documents() {
    let t = TestApp::start().await;
    let api = &t.admin.api;
    let malformed = common::read(
        api.builder(reqwest::Method::POST, "/api/v1/patients")
            .header("content-type", "application/json")
            .body("{\"name\": "),
    )
    .await;
    assert_eq!((malformed.status, malformed.code()), (400, "malformed_json"), "{}", malformed.text);
    assert!(is_problem(&malformed));
    assert_eq!(malformed.json["status"], 400);

    let text = common::read(
        api.builder(reqwest::Method::POST, "/api/v1/patients")
            .header("content-type", "text/plain")
            .body("{\"name\":\"x\"}"),
    )
    .await;
    assert_eq!((text.status, text.code()), (415, "unsupported_media_type"), "{}", text.text);
    assert!(is_problem(&text));

    let unknown = api.post("/api/v1/patients", json!({ "name": "X", "nickname": "y" })).await;
    assert_eq!((unknown.status, unknown.code()), (422, "invalid_input"), "{}", unknown.text);
    assert_eq!(unknown.json["field"], "nickname", "names the field: {}", unknown.text);
    assert!(unknown.json["detail"].as_str().unwrap().contains("nickname"), "{}", unknown.text);

    let missing = api.post("/api/v1/patients", json!({ "email": "a@b.example" })).await;
    assert_eq!((missing.status, missing.json["field"].as_str()), (422, Some("name")), "{}", missing.text);

    let typed = api.post("/api/v1/patients", json!({ "name": "X", "fitzpatrick": 9 })).await;
    assert_eq!((typed.status, typed.json["field"].as_str()), (422, Some("fitzpatrick")), "{}", typed.text);

    // A symptom code the protocol does not know names its place in the list.
    let patient = t.create_patient(api, "Symptom Patient").await;
    let pid = patient["id"].as_str().unwrap();
    let prac = t.add_staff(api, "practitioner").await;
    t.screen_eligible(&prac.api, pid).await;
    t.record_session(&prac.api, pid).await;
    let me = t.patient_login(api, &patient).await;
    let r =
        me.api.post("/api/v1/me/check-ins", json!({ "symptoms": [{ "code": "sparkles", "severity": "mild" }] })).await;
    assert_eq!((r.status, r.json["field"].as_str()), (422, Some("symptoms[0].code")), "{}", r.text);
    assert!(is_problem(&r));

    // Unknown routes and methods are problems too.
    let nf = api.get("/api/v1/nothing-here").await;
    assert_eq!((nf.status, nf.code()), (404, "not_found"));
    let mna = api.delete("/api/v1/clinic").await;
    assert_eq!((mna.status, mna.code()), (405, "method_not_allowed"), "{}", mna.text);
}

#[tokio::test(flavor = "multi_thread")]
async fn sessions_are_blocked_until_screened_and_only_practitioners_override() {
    let t = TestApp::start().await;
    let prac = t.add_staff(&t.admin.api, "practitioner").await;
    let patient = t.create_patient(&t.admin.api, "Blocked Patient").await;
    let pid = patient["id"].as_str().unwrap();
    let path = format!("/api/v1/patients/{pid}/sessions");

    let r = prac.api.post(&path, session_body()).await;
    assert_eq!((r.status, r.code()), (409, "session_blocked"), "{}", r.text);
    let blockers = r.json["blockers"].as_array().unwrap();
    assert_eq!(blockers.len(), 1, "{}", r.text);
    assert_eq!(
        (blockers[0]["code"].as_str(), blockers[0]["key"].as_str()),
        (Some("no_screening"), Some("no_screening"))
    );
    assert_eq!(
        (blockers[0]["overridable"].as_bool(), blockers[0]["override_by"].as_str()),
        (Some(true), Some("practitioner"))
    );

    // The override names the blocker; it is dated five weeks ago so that the session after the
    // screening below is not too soon.
    let mut over = session_body();
    over["override_reason"] = json!("screened on paper; record transcribed");
    over["override_blockers"] = json!(["no_screening"]);
    over["performed_at"] = json!((Utc::now() - Duration::weeks(5)).to_rfc3339());
    let by_admin = t.admin.api.post(&path, over.clone()).await;
    assert_eq!((by_admin.status, by_admin.code()), (403, "override_not_allowed"), "{}", by_admin.text);

    let ok = prac.api.post(&path, over).await;
    let body = ok.expect(201);
    assert_eq!(body["session"]["override_reason"], "screened on paper; record transcribed");
    assert_eq!(body["session"]["practitioner"], prac.id.as_str());
    // Days 1, 3, 7 and 14, and "ready for the next session?" before the window opens (issue 12
    // item 10).
    assert_eq!(body["check_ins"].as_array().unwrap().len(), 5, "days 1, 3, 7, 14 and 27");

    let audit = t.admin.api.get(&format!("/api/v1/patients/{pid}/audit")).await;
    let actions: Vec<&str> =
        audit.expect(200)["entries"].as_array().unwrap().iter().filter_map(|e| e["action"].as_str()).collect();
    assert!(actions.contains(&"session.override"), "{actions:?}");

    // Once screened eligible, no override is needed.
    t.screen_eligible(&prac.api, pid).await;
    t.record_session(&t.admin.api, pid).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn an_emergency_check_in_goes_first_in_the_queue_and_is_worked_through() {
    let t = TestApp::start().await;
    let prac = t.add_staff(&t.admin.api, "practitioner").await;
    let patient = t.create_patient(&t.admin.api, "Emma Emergency").await;
    let pid = patient["id"].as_str().unwrap();
    t.screen_eligible(&prac.api, pid).await;
    t.record_session(&prac.api, pid).await;
    let me = t.patient_login(&t.admin.api, &patient).await;

    let calm = me.api.post("/api/v1/me/check-ins", self_care_check_in()).await;
    let calm = calm.expect(201);
    assert_eq!((calm["disposition"].as_str(), calm["alert"].is_null()), (Some("self_care"), true), "{calm}");
    let contact = me.api.post("/api/v1/me/check-ins", contact_clinic_check_in()).await.expect(201).clone();
    assert_eq!(contact["disposition"], "contact_clinic", "{contact}");

    let r = me.api.post("/api/v1/me/check-ins", emergency_check_in()).await;
    let body = r.expect(201).clone();
    assert_eq!(body["call_emergency_services"], true);
    assert_eq!(body["disposition"], "emergency");
    assert_eq!(body["triage"]["advice"][0]["code"], "call_emergency_services", "{body}");
    let alert = body["alert"]["id"].as_str().expect("an emergency opens an alert").to_string();

    let queue = prac.api.get("/api/v1/alerts").await;
    let alerts = queue.expect(200)["alerts"].as_array().unwrap().clone();
    // The emergency worsened the patient's open alert (issue 14: one alert per patient while
    // open, with the worst disposition and how many check-ins it stands for).
    assert_eq!(alerts.len(), 1, "{alerts:?}");
    assert_eq!(alerts[0]["id"], alert.as_str(), "the emergency is on top");
    assert_eq!(alerts[0]["id"], contact["alert"]["id"], "the same alert, worsened");
    assert_eq!((alerts[0]["disposition"].as_str(), alerts[0]["check_ins"].as_u64()), (Some("emergency"), Some(2)));
    assert_eq!(alerts[0]["patient_name"], "Emma Emergency");

    // Staff may not record another session over the open alerts.
    let blocked = prac.api.post(&format!("/api/v1/patients/{pid}/sessions"), session_body()).await;
    assert_eq!(blocked.code(), "session_blocked");
    assert!(blocked.json["blockers"].as_array().unwrap().iter().any(|b| b["code"] == "open_alert"), "{}", blocked.text);

    let ack = prac.api.post_empty(&format!("/api/v1/alerts/{alert}/acknowledge")).await;
    let ack = ack.expect(200);
    assert_eq!(ack["acknowledged_by"], prac.id.as_str());
    assert!(ack["resolved_at"].is_null());
    let twice = prac.api.post_empty(&format!("/api/v1/alerts/{alert}/acknowledge")).await;
    assert_eq!((twice.status, twice.code()), (409, "invalid_state"));

    let empty = prac.api.post(&format!("/api/v1/alerts/{alert}/resolve"), json!({ "note": "  " })).await;
    assert_eq!((empty.status, empty.json["field"].as_str()), (422, Some("note")), "{}", empty.text);
    let done =
        prac.api.post(&format!("/api/v1/alerts/{alert}/resolve"), json!({ "note": "called back; seen in A&E" })).await;
    let done = done.expect(200);
    assert_eq!(done["resolution_note"], "called back; seen in A&E");
    assert_eq!(done["resolved_by"], prac.id.as_str());

    let open = prac.api.get("/api/v1/alerts").await.expect(200).clone();
    assert!(open["alerts"].as_array().unwrap().iter().all(|a| a["id"] != alert.as_str()));
    // A new alarming check-in after the alert was resolved opens a new alert.
    let next = me.api.post("/api/v1/me/check-ins", contact_clinic_check_in()).await.expect(201).clone();
    assert_ne!(next["alert"]["id"], alert.as_str(), "{next}");
    let all = prac.api.get("/api/v1/alerts?state=all").await.expect(200).clone();
    assert_eq!(all["alerts"].as_array().unwrap().len(), 2);
    let bad_state = prac.api.get("/api/v1/alerts?state=closed").await;
    assert_eq!((bad_state.status, bad_state.json["field"].as_str()), (422, Some("state")));
}

/// Closing time (17:00, Europe/Berlin) of the first Monday-to-Friday day after `now`'s local day.
fn next_business_close(now: DateTime<Utc>) -> DateTime<Utc> {
    let tz = chrono_tz::Europe::Berlin;
    let mut day = now.with_timezone(&tz).date_naive();
    loop {
        day = day.succ_opt().unwrap();
        if !matches!(day.weekday(), Weekday::Sat | Weekday::Sun) {
            break;
        }
    }
    let local = day.and_time(NaiveTime::from_hms_opt(17, 0, 0).unwrap());
    tz.from_local_datetime(&local).earliest().unwrap().with_timezone(&Utc)
}

#[tokio::test(flavor = "multi_thread")]
async fn contact_clinic_is_due_by_closing_time_next_business_day() {
    let t = TestApp::start().await;
    let prac = t.add_staff(&t.admin.api, "practitioner").await;
    let patient = t.create_patient(&t.admin.api, "Carl Contact").await;
    let pid = patient["id"].as_str().unwrap();
    t.screen_eligible(&prac.api, pid).await;
    t.record_session(&prac.api, pid).await;
    let before = Utc::now();
    // Staff record a check-in taken by phone.
    let r = prac.api.post(&format!("/api/v1/patients/{pid}/check-ins"), contact_clinic_check_in()).await;
    let body = r.expect(201).clone();
    let after = Utc::now();
    assert_eq!(body["disposition"], "contact_clinic");
    assert_eq!(body["call_emergency_services"], false);
    assert_eq!(body["check_in"]["submitted_by"], "staff");
    let deadline: DateTime<Utc> = body["alert"]["deadline_at"].as_str().unwrap().parse().unwrap();
    let expected = [next_business_close(before), next_business_close(after)];
    assert!(expected.contains(&deadline), "deadline {deadline}, expected {expected:?}");
    assert!(deadline > after && deadline - after < Duration::days(4));
}

#[tokio::test(flavor = "multi_thread")]
async fn health_readiness_and_metrics() {
    let t = TestApp::start().await;
    let h = t.anon().get("/healthz").await;
    assert_eq!((h.status, h.json["status"].as_str()), (200, Some("ok")));
    let r = t.anon().get("/readyz").await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json, json!({ "status": "ok", "database": "sqlite" }));
    let _ = t.anon().post("/api/v1/auth/login", json!({ "email": t.admin.email, "password": "nope nope nope" })).await;
    // Metrics are an admin's (issue 14, defect 11: `/metrics` was public); a scraper uses an
    // admin API token.
    let anon = t.anon().get("/metrics").await;
    assert_eq!((anon.status, anon.code()), (401, "unauthenticated"), "{}", anon.text);
    let desk = t.add_staff(&t.admin.api, "front_desk").await;
    assert_eq!(desk.api.get("/metrics").await.status, 403);
    let (scraper, _) = t.create_token(&t.admin.api, "admin").await;
    let m = scraper.get("/metrics").await;
    assert_eq!(m.status, 200);
    assert!(m.header("content-type").unwrap().starts_with("text/plain"), "{:?}", m.headers);
    assert!(m.text.contains("# TYPE needlepath_http_requests_total counter"), "{}", m.text);
    let count = |name: &str| -> u64 {
        let line = m.text.lines().find(|l| l.starts_with(name)).unwrap_or_else(|| panic!("{name} in {}", m.text));
        line.rsplit(' ').next().unwrap().parse().unwrap()
    };
    assert!(count("needlepath_http_requests_total{class=\"2xx\"}") >= 3);
    assert!(count("needlepath_http_requests_total{class=\"4xx\"}") >= 1);
    assert_eq!(count("needlepath_logins_failed_total"), 1);
    assert_eq!(count("needlepath_database_up"), 1);
    assert!(!m.text.contains(&t.clinic_id), "metrics carry no ids");
}

#[tokio::test(flavor = "multi_thread")]
async fn revoked_api_tokens_are_refused() {
    let t = TestApp::start().await;
    let (token, record) = t.create_token(&t.admin.api, "front_desk").await;
    let who = token.get("/api/v1/auth/session").await;
    assert_eq!(who.expect(200)["kind"], "api_token");
    assert_eq!(who.json["role"], "front_desk");
    let listed = t.admin.api.get("/api/v1/tokens").await.expect(200).clone();
    assert!(!listed.to_string().contains(token.bearer.as_deref().unwrap()), "secrets are shown once");

    let revoked = t.admin.api.delete(&format!("/api/v1/tokens/{}", record["id"].as_str().unwrap())).await;
    assert!(revoked.expect(200)["revoked_at"].is_string());
    let r = token.get("/api/v1/patients").await;
    assert_eq!((r.status, r.code()), (401, "invalid_token"), "{}", r.text);
    let garbage = t.anon().with_bearer("garbage").get("/api/v1/patients").await;
    assert_eq!((garbage.status, garbage.code()), (401, "invalid_token"));
    // A bad bearer token is refused even on public routes, not silently ignored.
    assert_eq!(t.anon().with_bearer("garbage").get("/healthz").await.status, 401);
}

#[tokio::test(flavor = "multi_thread")]
async fn deactivated_staff_lose_their_session() {
    let t = TestApp::start().await;
    let desk = t.add_staff(&t.admin.api, "front_desk").await;
    desk.api.get("/api/v1/patients").await.expect(200);
    let r = t.admin.api.patch(&format!("/api/v1/staff/{}", desk.id), json!({ "active": false })).await;
    assert_eq!(r.expect(200)["active"], false);
    let gone = desk.api.get("/api/v1/patients").await;
    assert_eq!((gone.status, gone.code()), (401, "unauthenticated"), "{}", gone.text);
    let again = t.anon().post("/api/v1/auth/login", json!({ "email": desk.email, "password": PASSWORD })).await;
    assert_eq!((again.status, again.code()), (401, "invalid_credentials"));
    // An admin cannot lock themselves out.
    let me = t.admin.api.patch(&format!("/api/v1/staff/{}", t.admin.id), json!({ "active": false })).await;
    assert_eq!(me.status, 422, "{}", me.text);
    t.admin.api.get("/api/v1/staff").await.expect(200);
}

#[tokio::test(flavor = "multi_thread")]
async fn patient_invites_are_single_use() {
    let t = TestApp::start().await;
    let patient = t.create_patient(&t.admin.api, "Ivy Invite").await;
    let pid = patient["id"].as_str().unwrap();
    let token = &t.invite(&t.admin.api, pid).await;
    // Opening the page (as a mail scanner would) does not use the link up.
    let page = t.anon().get(&format!("/invite?token={token}")).await;
    assert_eq!(page.status, 200);
    let first = t.anon().post("/api/v1/auth/invite", json!({ "token": token })).await;
    assert_eq!(first.expect(200)["kind"], "patient");
    assert_eq!(first.json["patient_id"], pid);
    let second = t.anon().post("/api/v1/auth/invite", json!({ "token": token })).await;
    assert_eq!((second.status, second.code()), (400, "invalid_token"), "{}", second.text);
    let form = common::read(
        t.anon()
            .builder(reqwest::Method::POST, "/invite")
            .header("content-type", "application/x-www-form-urlencoded")
            .body(format!("token={token}")),
    )
    .await;
    assert_eq!(form.status, 400, "the form refuses a used link too");

    let mut me = t.anon();
    me.cookie = session_cookie(&first);
    assert_eq!(me.get("/api/v1/me").await.expect(200)["id"], pid);
}

#[tokio::test(flavor = "multi_thread")]
async fn patient_reads_are_audited_with_the_client_address() {
    let t = TestApp::start().await;
    let desk = t.add_staff(&t.admin.api, "front_desk").await;
    let patient = t.create_patient(&desk.api, "Aude Audit").await;
    let pid = patient["id"].as_str().unwrap();
    desk.api.get(&format!("/api/v1/patients/{pid}")).await.expect(200);

    let r = t.admin.api.get(&format!("/api/v1/patients/{pid}/audit")).await;
    let entries = r.expect(200)["entries"].as_array().unwrap().clone();
    let read = entries
        .iter()
        .find(|e| e["action"] == "patient.read" && e["actor_id"] == desk.id.as_str())
        .unwrap_or_else(|| panic!("no patient.read by the front desk in {entries:?}"));
    assert_eq!(read["actor_kind"], "staff");
    assert_eq!(read["patient"], pid);
    assert_eq!(read["ip"], "127.0.0.1");
    assert!(entries.iter().any(|e| e["action"] == "patient.create"));
    assert!(entries.iter().all(|e| e["patient"] == pid));

    let denied = desk.api.get(&format!("/api/v1/patients/{pid}/audit")).await;
    assert_eq!((denied.status, denied.code()), (403, "forbidden"));
    let clinic_log = t.admin.api.get("/api/v1/audit?limit=5").await.expect(200).clone();
    assert_eq!(clinic_log["entries"].as_array().unwrap().len(), 5);
    let unknown = t.admin.api.get(&format!("/api/v1/patients/{}/audit", uuid::Uuid::now_v7())).await;
    assert_eq!(unknown.status, 404);
}

/// Issue 12 item 10 / issue 13 item 3: the reminders a session schedules follow the same check-in
/// days as the scheduled check-ins (the clinic's days plus "ready for the next session?"), not
/// the protocol's own list.
#[tokio::test(flavor = "multi_thread")]
async fn check_in_reminders_follow_the_scheduled_check_ins_not_the_protocol_days() {
    let t = TestApp::start().await;
    let clinic = t.admin.api.get("/api/v1/clinic").await.expect(200).clone();
    let mut settings = clinic["settings"].clone();
    settings["check_in_days"] = json!([2, 5, 10]);
    t.admin.api.patch("/api/v1/clinic", json!({ "settings": settings })).await.expect(200);
    let patient = t
        .admin
        .api
        .post(
            "/api/v1/patients",
            json!({ "name": "Rita Reminder", "email": "rita@patient.example", "consent_messages": true }),
        )
        .await
        .expect(201)
        .clone();
    t.consent_on_paper(&t.admin.api, patient["id"].as_str().unwrap()).await;
    let pid = patient["id"].as_str().unwrap();
    t.screen_eligible(&t.admin.api, pid).await;
    let body = t.record_session(&t.admin.api, pid).await;
    let performed: chrono::DateTime<Utc> = body["session"]["performed_at"].as_str().unwrap().parse().unwrap();
    let mut scheduled: Vec<i64> = body["check_ins"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            let due: chrono::DateTime<Utc> = c["due_at"].as_str().unwrap().parse().unwrap();
            ((due - performed).num_minutes() as f64 / 1440.0).round() as i64
        })
        .collect();
    scheduled.sort_unstable();
    let messages = t.admin.api.get(&format!("/api/v1/patients/{pid}/messages")).await.expect(200).clone();
    let mut reminded: Vec<i64> = messages["messages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["kind"] == "check_in")
        // The idempotency key is `session:<id>:check_in:<day>d:<channel>`.
        .filter_map(|m| m["idempotency_key"].as_str()?.split(':').nth(3)?.strip_suffix('d')?.parse().ok())
        .collect();
    reminded.sort_unstable();
    reminded.dedup();
    assert_eq!(scheduled.len(), 4, "days 2, 5, 10 and the day before the next window: {scheduled:?}");
    assert_eq!(reminded, scheduled, "every scheduled check-in has its reminder, and no other day has one");

    // Settings without a check-in by day 3 are refused (the floor's first check-in).
    let mut late = clinic["settings"].clone();
    late["check_in_days"] = json!([14]);
    let r = t.admin.api.patch("/api/v1/clinic", json!({ "settings": late })).await;
    assert_eq!((r.status, r.json["field"].as_str()), (422, Some("settings.check_in_days")), "{}", r.text);
}
