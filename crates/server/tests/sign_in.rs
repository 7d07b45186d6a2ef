#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! Patient access lasts (issue 11, defect 12): a patient whose invite was used or expired asks
//! for a new sign-in link by e-mail (single use, expiring, limited, the same answer whether or
//! not the address is known), staff e-mail a new invite, and every dead end shows the clinic's
//! contact, or "contact your clinic" when the clinic is not known. The last test sends the link
//! through a real SMTP server and signs in with it, once.

mod common;
#[path = "support/python.rs"]
mod python;
#[path = "support/smtp.rs"]
mod smtp;

use std::time::{Duration, Instant};

use common::TestApp;
use common::post_form;
use needlepath_server::delivery::SmtpSecurity;
use needlepath_server::reminders::ReminderConfig;
use serde_json::{Value, json};

/// A patient with an e-mail address who has used their invite.
async fn invited_and_used(t: &TestApp, email: &str) -> (Value, String) {
    let p =
        t.admin.api.post("/api/v1/patients", json!({ "name": "Uma Used", "email": email })).await.expect(201).clone();
    let id = p["id"].as_str().unwrap().to_string();
    let token = t.invite(&t.admin.api, &id).await;
    let r = post_form(&t.anon(), "/invite", &format!("token={token}")).await;
    assert_eq!(r.status, 303, "{}", r.text);
    (p, token)
}

/// The sign-in links a patient asked for, read from the outbox itself (their links are hidden
/// from every listing): every sign-in e-mail but the first, which is the invite staff sent
/// (e-mailed too: staff never see an invite's link).
async fn queued_links(t: &TestApp, patient: &str) -> Vec<String> {
    all_sign_in_links(t, patient).await.into_iter().skip(1).collect()
}

/// Every sign-in e-mail queued for a patient (invites from staff and links they asked for).
async fn all_sign_in_links(t: &TestApp, patient: &str) -> Vec<String> {
    let pool = t.database().await;
    let rows: Vec<(String,)> =
        sqlx::query_as("SELECT payload FROM messages WHERE patient_id = ?1 AND kind = 'sign_in' ORDER BY created_at")
            .bind(uuid::Uuid::parse_str(patient).unwrap())
            .fetch_all(&pool)
            .await
            .unwrap();
    pool.close().await;
    rows.into_iter()
        .map(|(p,)| serde_json::from_str::<Value>(&p).unwrap()["link"].as_str().unwrap().to_string())
        .collect()
}

fn token_of(link: &str) -> &str {
    link.split("token=").nth(1).expect("the link carries its token")
}

#[tokio::test]
async fn a_patient_whose_invite_was_used_can_get_a_new_sign_in_link() {
    let t = TestApp::start().await;
    let (p, used) = invited_and_used(&t, "uma@patient.example").await;
    let id = p["id"].as_str().unwrap();
    // The used link is a dead end that offers the way back in.
    let r = post_form(&t.anon(), "/invite", &format!("token={used}")).await;
    assert_eq!(r.status, 400, "{}", r.text);
    assert!(r.text.contains(r#"action="/sign-in""#), "{}", r.text);

    let r = post_form(&t.anon(), "/sign-in", "email=Uma%40Patient.example").await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert!(r.text.contains("Check your e-mail"), "{}", r.text);
    let links = queued_links(&t, id).await;
    assert_eq!(links.len(), 1, "one sign-in e-mail queued");
    // Staff see the message, never its link.
    let listed = t.admin.api.get(&format!("/api/v1/patients/{id}/messages")).await;
    assert!(listed.text.contains("sign_in"), "{}", listed.text);
    assert!(!listed.text.contains(token_of(&links[0])), "the link is hidden from staff: {}", listed.text);

    // The new link signs the patient in, once.
    let r = post_form(&t.anon(), "/invite", &format!("token={}", token_of(&links[0]))).await;
    assert_eq!(r.status, 303, "{}", r.text);
    assert_eq!(r.header("location"), Some("/me"));
    let mut me = t.anon();
    me.cookie = common::session_cookie(&r);
    assert_eq!(me.get("/me").await.status, 200);
    let again = post_form(&t.anon(), "/invite", &format!("token={}", token_of(&links[0]))).await;
    assert_eq!(again.status, 400, "single use: {}", again.text);
}

#[tokio::test]
async fn the_sign_in_link_answer_is_the_same_for_an_unknown_address() {
    let t = TestApp::start().await;
    let (p, _) = invited_and_used(&t, "known@patient.example").await;
    let id = p["id"].as_str().unwrap();
    let ask = |email: &'static str| {
        let anon = t.anon();
        async move {
            let started = Instant::now();
            let api = anon.post("/api/v1/auth/sign-in-link", json!({ "email": email })).await;
            let page = post_form(&anon, "/sign-in", &format!("email={email}")).await;
            (api, page, started.elapsed())
        }
    };
    let (known_api, known_page, known_time) = ask("known@patient.example").await;
    let (unknown_api, unknown_page, unknown_time) = ask("stranger@nowhere.example").await;
    assert_eq!(known_api.status, 202, "{}", known_api.text);
    assert_eq!((unknown_api.status, &unknown_api.json), (known_api.status, &known_api.json));
    assert_eq!(unknown_page.status, known_page.status);
    assert_eq!(unknown_page.text, known_page.text, "the page must not tell whether the address is known");
    // Neither answer comes sooner than the floor (two requests each).
    assert!(known_time >= Duration::from_millis(600) && unknown_time >= Duration::from_millis(600));
    assert_eq!(queued_links(&t, id).await.len(), 2, "the known address got its links");

    // A malformed address is refused with the field named (that tells nothing about patients).
    let r = t.anon().post("/api/v1/auth/sign-in-link", json!({ "email": "not an address" })).await;
    assert_eq!((r.status, r.json["field"].as_str()), (422, Some("email")), "{}", r.text);
}

#[tokio::test]
async fn sign_in_links_are_limited_per_address() {
    let t = TestApp::start().await;
    let (p, _) = invited_and_used(&t, "busy@patient.example").await;
    for _ in 0..3 {
        t.anon().post("/api/v1/auth/sign-in-link", json!({ "email": "busy@patient.example" })).await.expect(202);
    }
    let r = t.anon().post("/api/v1/auth/sign-in-link", json!({ "email": "BUSY@patient.example" })).await;
    assert_eq!(r.status, 429, "{}", r.text);
    assert!(r.header("retry-after").is_some());
    let page = post_form(&t.anon(), "/sign-in", "email=busy%40patient.example").await;
    assert_eq!(page.status, 429, "{}", page.text);
    assert!(page.text.contains("Too many requests"), "{}", page.text);
    assert_eq!(queued_links(&t, p["id"].as_str().unwrap()).await.len(), 3);
}

#[tokio::test]
async fn the_dead_end_shows_the_clinic_contact() {
    let t = TestApp::start().await;
    let mut settings = t.admin.api.get("/api/v1/clinic").await.expect(200)["settings"].clone();
    settings["contact"] = json!({ "phone": "+49 30 1234567", "email": "desk@clinic.example" });
    t.admin.api.patch("/api/v1/clinic", json!({ "settings": settings })).await.expect(200);
    let (_, used) = invited_and_used(&t, "dee@patient.example").await;

    // A used link names its clinic: its phone to tap and its e-mail.
    let r = post_form(&t.anon(), "/invite", &format!("token={used}")).await;
    assert_eq!(r.status, 400, "{}", r.text);
    assert!(r.text.contains("This link cannot be used"), "{}", r.text);
    assert!(r.text.contains(r#"href="tel:+49301234567""#), "{}", r.text);
    assert!(r.text.contains("desk@clinic.example"), "{}", r.text);
    assert!(r.text.contains(r#"action="/sign-in""#));

    // A link nobody knows: no clinic to name, so "contact your clinic", and the way back in.
    let r = post_form(&t.anon(), "/invite", "token=bogus").await;
    assert_eq!(r.status, 400, "{}", r.text);
    assert!(!r.text.contains("tel:"), "{}", r.text);
    assert!(r.text.contains("Contact your clinic"), "{}", r.text);
    assert!(r.text.contains(r#"action="/sign-in""#));

    // A patient who signs out lands on a page with their clinic's contact and the way back in.
    let (p, _) = invited_and_used(&t, "out@patient.example").await;
    let token = t.invite(&t.admin.api, p["id"].as_str().unwrap()).await;
    let r = post_form(&t.anon(), "/invite", &format!("token={token}")).await;
    let mut me = t.anon();
    me.cookie = common::session_cookie(&r);
    let csrf = me.get("/api/v1/auth/session").await.json["csrf_token"].as_str().unwrap().to_string();
    let out = post_form(&me, "/logout", &format!("_csrf={csrf}")).await;
    assert_eq!(out.status, 303, "{}", out.text);
    let to = out.header("location").unwrap().to_string();
    assert!(to.starts_with("/signed-out?clinic="), "{to}");
    let r = t.anon().get(&to).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert!(r.text.contains("You are signed out") && r.text.contains(r#"href="tel:+49301234567""#), "{}", r.text);
    assert!(r.text.contains(r#"action="/sign-in""#));

    // Signed out, a patient page says how to get back in.
    let r = t.anon().get("/me").await;
    assert_eq!(r.status, 401, "{}", r.text);
    assert!(r.text.contains(r#"href="/sign-in""#), "{}", r.text);
    assert!(r.text.contains("Contact your clinic"), "{}", r.text);
}

#[tokio::test]
async fn staff_can_email_a_new_invite() {
    let t = TestApp::start().await;
    let desk = t.add_staff(&t.admin.api, "front_desk").await;
    let p = t.create_patient(&desk.api, "Ed Email").await;
    let id = p["id"].as_str().unwrap();
    let r = desk.api.post_empty(&format!("/api/v1/patients/{id}/invites")).await;
    assert_eq!(r.status, 202, "{}", r.text);
    assert_eq!(r.json["sent_to"], p["email"]);
    assert_eq!(all_sign_in_links(&t, id).await.len(), 1);
    // From the patient page, without JavaScript.
    let page = desk.api.get(&format!("/staff/patients/{id}")).await;
    assert!(page.text.contains(&format!(r#"action="/staff/patients/{id}/invite""#)), "{}", page.text);
    let r = post_form(&desk.api, &format!("/staff/patients/{id}/invite"), "").await;
    assert_eq!(r.status, 303, "{}", r.text);
    assert_eq!(all_sign_in_links(&t, id).await.len(), 2);
    // No address on record: refused, with the field named.
    let bare = desk.api.post("/api/v1/patients", json!({ "name": "No Mail" })).await.expect(201).clone();
    let r = desk.api.post_empty(&format!("/api/v1/patients/{}/invites", bare["id"].as_str().unwrap())).await;
    assert_eq!((r.status, r.json["field"].as_str()), (422, Some("email")), "{}", r.text);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sign_in_link_arrives_by_email_and_signs_the_patient_in_once() {
    let Some(py) = python::python() else { return };
    let sink = smtp::Sink::start(&py, &[]);
    let smtp = sink.config(SmtpSecurity::None);
    let t = TestApp::start_with(|c| {
        c.reminders = ReminderConfig { smtp: Some(smtp), poll_milliseconds: 50, ..ReminderConfig::default() };
    })
    .await;
    let mut settings = t.admin.api.get("/api/v1/clinic").await.expect(200)["settings"].clone();
    settings["contact"] = json!({ "phone": "+49 30 1234567" });
    t.admin.api.patch("/api/v1/clinic", json!({ "settings": settings })).await.expect(200);
    // No consent to reminders: a sign-in link is not a reminder and still goes out.
    let p = t
        .admin
        .api
        .post(
            "/api/v1/patients",
            json!({ "name": "Mia Mail", "email": "mia@patient.example", "consent_messages": false }),
        )
        .await
        .expect(201)
        .clone();
    let id = p["id"].as_str().unwrap().to_string();
    let token = t.invite(&t.admin.api, &id).await;
    t.anon().post("/api/v1/auth/invite", json!({ "token": token })).await.expect(200);

    let r = post_form(&t.anon(), "/sign-in", "email=mia%40patient.example").await;
    assert_eq!(r.status, 200, "{}", r.text);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    // The invite staff sent (used above) was e-mailed too: the sign-in link is the other one.
    let mail = loop {
        let other = sink.received().into_iter().find(|m| !m.to_string().contains(token.as_str()));
        if let Some(m) = other {
            break m;
        }
        assert!(tokio::time::Instant::now() < deadline, "no sign-in e-mail arrived");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert!(mail["headers"]["To"].as_str().unwrap().contains("mia@patient.example"), "{mail:#}");
    assert!(mail["headers"]["Subject"].as_str().unwrap().contains("sign-in link"), "{mail:#}");
    let text = mail["parts"].as_array().unwrap().iter().find(|p| p["content_type"] == "text/plain").unwrap()["text"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(text.contains("+49 30 1234567"), "the clinic's contact in the e-mail: {text}");
    let link = text.lines().find(|l| l.contains("/invite?token=")).expect("the link is in the e-mail").trim();
    assert!(link.starts_with(&t.base), "{link}");
    let token = token_of(link);
    let r = post_form(&t.anon(), "/invite", &format!("token={token}")).await;
    assert_eq!(r.status, 303, "the link signs the patient in: {}", r.text);
    let mut me = t.anon();
    me.cookie = common::session_cookie(&r);
    assert_eq!(me.get("/me").await.status, 200);
    let again = post_form(&t.anon(), "/invite", &format!("token={token}")).await;
    assert_eq!(again.status, 400, "and only once: {}", again.text);
}
