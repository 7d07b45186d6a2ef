#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! The patient's own pages through a real server: Today, the plan, the history with its chart,
//! and the check-in form posted without JavaScript — an emergency answer puts the banner first
//! and opens an alert; input errors are shown on the form; signed-in posts need the CSRF token.

mod common;

use common::{Api, PatientLogin, Resp, TestApp};
use reqwest::Method;
use serde_json::json;

async fn post_form(api: &Api, path: &str, body: &str) -> Resp {
    let rb = api
        .builder(Method::POST, path)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body.to_string());
    common::read(rb).await
}

/// A patient screened, planned and treated, signed in through their invite.
async fn treated(t: &TestApp) -> (PatientLogin, common::Member) {
    let prac = t.add_staff(&t.admin.api, "practitioner").await;
    let p = t.create_patient(&prac.api, "Pia Patient").await;
    let id = p["id"].as_str().unwrap().to_string();
    t.screen_eligible(&prac.api, &id).await;
    let today = chrono::Utc::now().date_naive().to_string();
    let r = prac
        .api
        .post(
            &format!("/api/v1/patients/{id}/plans"),
            json!({ "concern": "acne_scars", "scar_grade": 2, "start": today, "price_per_session": 200 }),
        )
        .await;
    r.expect(201);
    t.record_session(&prac.api, &id).await;
    (t.patient_login(&prac.api, &p).await, prac)
}

#[tokio::test]
async fn today_says_what_to_avoid_until_when_with_sources() {
    let t = TestApp::start().await;
    let (pat, _) = treated(&t).await;
    let r = pat.api.get("/me").await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert!(r.text.contains("Avoid for now"), "{}", r.text);
    assert!(r.text.contains("Wear makeup"), "restrictions in words");
    assert!(r.text.contains(": from tomorrow at") || r.text.contains(": from today at"), "{}", r.text);
    assert!(r.text.contains("Allowed now"));
    assert!(r.text.contains(r#"href="/sources#"#));
    assert!(r.text.contains("Your next check-in") && r.text.contains(r#"href="/me/check-in""#));
    assert!(r.text.contains("Your next session") && r.text.contains("Between"), "{}", r.text);
}

#[tokio::test]
async fn before_a_session_today_shows_the_plan_pre_care() {
    let t = TestApp::start().await;
    let prac = t.add_staff(&t.admin.api, "practitioner").await;
    let p = t.create_patient(&prac.api, "Nia New").await;
    let id = p["id"].as_str().unwrap().to_string();
    let start = (chrono::Utc::now().date_naive() + chrono::Days::new(14)).to_string();
    prac.api
        .post(&format!("/api/v1/patients/{id}/plans"), json!({ "concern": "acne_scars", "start": start }))
        .await
        .expect(201);
    let pat = t.patient_login(&prac.api, &p).await;
    let r = pat.api.get("/me").await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert!(r.text.contains("no treatment session on record yet"), "{}", r.text);
    assert!(r.text.contains("Before your first session"), "{}", r.text);
    let r = pat.api.get("/me/check-in").await;
    assert!(r.text.contains("no treatment session on record to check in about"), "{}", r.text);
    let r = post_form(&pat.api, "/me/check-in", "symptom=redness&severity.redness=mild").await;
    assert_eq!(r.status, 409, "{}", r.text);
    assert!(r.text.contains("no treatment session on record to check in about"));
}

#[tokio::test]
async fn the_plan_page_shows_sessions_cost_and_sessions_had() {
    let t = TestApp::start().await;
    let (pat, _) = treated(&t).await;
    let r = pat.api.get("/me/plan").await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert!(r.text.contains("Session 1") && r.text.contains("Session 2"), "{}", r.text);
    assert!(r.text.contains("done"));
    assert!(r.text.contains("EUR "), "estimated cost: {}", r.text);
    assert!(r.text.contains("Sessions so far") && r.text.contains("cheeks"));
    assert!(r.text.contains(r#"href="/sources#"#));
}

#[tokio::test]
async fn an_emergency_check_in_without_javascript_puts_the_banner_first_and_alerts_the_clinic() {
    let t = TestApp::start().await;
    let (pat, prac) = treated(&t).await;
    let form = pat.api.get("/me/check-in").await;
    assert_eq!(form.status, 200, "{}", form.text);
    assert!(form.text.contains("Shortness of breath or wheezing"));
    assert!(form.text.contains("Emergency signs") && form.text.contains("Common after a session"));
    assert!(form.text.contains(r#"<label class="check" for="severity-breathing_difficulty-severe">"#));
    let r = post_form(
        &pat.api,
        "/me/check-in",
        "symptom=breathing_difficulty&severity.breathing_difficulty=severe&trend.breathing_difficulty=worse&note=",
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert!(r.text.contains(r#"<body class="emergency">"#));
    let main = r.text.split(r#"<main id="main" tabindex="-1">"#).nth(1).unwrap();
    assert!(main.trim_start().starts_with(r#"<div class="emergency-banner" role="alert">"#), "{main}");
    assert!(main.contains("Call emergency services now") && main.contains("112") && main.contains("911"));
    assert!(main.contains(r#"href="/sources#"#));
    assert!(main.contains("The clinic has been alerted"));
    let alerts = prac.api.get("/api/v1/alerts").await;
    let list = alerts.expect(200)["alerts"].as_array().unwrap().clone();
    assert!(list.iter().any(|a| a["disposition"] == "emergency" && a["patient"] == pat.id.as_str()), "{}", alerts.text);
    // The check-in is in the history, with its chart.
    let h = pat.api.get("/me/history").await;
    assert_eq!(h.status, 200, "{}", h.text);
    assert!(h.text.contains("Shortness of breath or wheezing (Severe)"), "{}", h.text);
    assert!(h.text.contains(r#"role="img""#) && h.text.contains("<svg"));
    assert!(h.text.contains(r#"<th scope="row">"#));
}

#[tokio::test]
async fn a_self_care_check_in_answers_without_an_alert() {
    let t = TestApp::start().await;
    let (pat, _) = treated(&t).await;
    let r = post_form(
        &pat.api,
        "/me/check-in",
        "symptom=redness&severity.redness=mild&trend.redness=improving&temperature_c=36.8",
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert!(r.text.contains("Self-care at home"), "{}", r.text);
    assert!(!r.text.contains("emergency-banner"));
    assert!(!r.text.contains("has been alerted"));
    assert!(r.text.contains(r#"href="/sources#"#));
    let h = pat.api.get("/me/history").await;
    assert!(h.text.contains("Redness of the treated skin (like a sunburn) (Mild)"), "{}", h.text);
    assert!(h.text.contains("36.8 °C"));
}

#[tokio::test]
async fn a_contact_clinic_check_in_says_when_the_clinic_will_answer() {
    let t = TestApp::start().await;
    let (pat, _) = treated(&t).await;
    let r = post_form(&pat.api, "/me/check-in", "symptom=pus&severity.pus=moderate").await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert!(r.text.contains("The clinic has been alerted"), "{}", r.text);
    assert!(!r.text.contains(r#"<body class="emergency">"#));
}

#[tokio::test]
async fn check_in_errors_are_shown_on_the_form() {
    let t = TestApp::start().await;
    let (pat, _) = treated(&t).await;
    let r = post_form(&pat.api, "/me/check-in", "symptom=pain&trend.pain=worse&note=ouch").await;
    assert_eq!(r.status, 422, "{}", r.text);
    assert!(r.text.contains("Pain or soreness"), "names the symptom: {}", r.text);
    assert!(r.text.contains("mild, moderate or severe"));
    assert!(r.text.contains(r#"value="pain" checked"#), "the form keeps its values");
    assert!(r.text.contains(">ouch</textarea>"));
    let r = post_form(&pat.api, "/me/check-in", "temperature_c=warm").await;
    assert_eq!(r.status, 422, "{}", r.text);
    assert!(r.text.contains("37.2"));
    let r = post_form(&pat.api, "/me/check-in", "temperature_c=80").await;
    assert_eq!(r.status, 422, "the engine's range check: {}", r.text);
    let r = post_form(&pat.api, "/me/check-in", "symptom=redness&severity.redness=awful").await;
    assert_eq!(r.status, 422, "{}", r.text);
    assert!(r.text.contains("Redness"), "{}", r.text);
}

#[tokio::test]
async fn a_signed_in_check_in_without_the_csrf_token_is_refused() {
    let t = TestApp::start().await;
    let (pat, _) = treated(&t).await;
    let rb = t
        .anon()
        .builder(Method::POST, "/me/check-in")
        .header("cookie", pat.api.cookie.clone().unwrap())
        .header("content-type", "application/x-www-form-urlencoded")
        .body("symptom=redness&severity.redness=mild");
    let r = common::read(rb).await;
    assert_eq!(r.status, 403, "{}", r.text);
    // The token in the form's hidden field works as well as the header.
    let csrf = pat.api.csrf.clone().unwrap();
    let rb = t
        .anon()
        .builder(Method::POST, "/me/check-in")
        .header("cookie", pat.api.cookie.clone().unwrap())
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("_csrf={csrf}&symptom=redness&severity.redness=mild"));
    assert_eq!(common::read(rb).await.status, 200);
}

#[tokio::test]
async fn the_history_lists_due_check_ins() {
    let t = TestApp::start().await;
    let (pat, _) = treated(&t).await;
    let r = pat.api.get("/me/history").await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert!(r.text.contains("Check-in due"), "{}", r.text);
    assert!(r.text.contains("No check-ins sent yet"));
    assert!(!r.text.contains("<svg"), "no chart without data");
}
