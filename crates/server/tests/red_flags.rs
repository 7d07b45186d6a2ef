#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! Issue 11, defect 1: a red flag is never refused by a check of another field.
//!
//! On the check-in page (no JavaScript), lip swelling and trouble breathing ticked without "how
//! bad" were refused with "say how bad it is": no emergency screen, no alert. Fever with
//! spreading redness likewise. Now a missing severity is assessed as severe, and a check-in that
//! names a warning sign is answered and alerted whatever else is wrong with it; what could not
//! be read is listed on the answer, never silently dropped.

mod common;

use common::post_form;
use common::{Api, PatientLogin, TestApp};
use serde_json::{Value, json};

/// A patient screened and treated, signed in through their invite; and their practitioner.
async fn treated(t: &TestApp) -> (PatientLogin, common::Member) {
    let prac = t.add_staff(&t.admin.api, "practitioner").await;
    let p = t.create_patient(&prac.api, "Rhea Redflag").await;
    let id = p["id"].as_str().unwrap().to_string();
    t.screen_eligible(&prac.api, &id).await;
    t.record_session(&prac.api, &id).await;
    (t.patient_login(&prac.api, &p).await, prac)
}

async fn alerts_for(staff: &Api, patient: &str) -> Vec<Value> {
    let r = staff.get("/api/v1/alerts").await;
    r.expect(200)["alerts"].as_array().unwrap().iter().filter(|a| a["patient"] == patient).cloned().collect()
}

fn emergency_screen(html: &str) -> bool {
    html.contains(r#"<body class="emergency">"#) && html.contains("Call emergency services now")
}

#[tokio::test]
async fn lip_swelling_and_trouble_breathing_without_severity_get_the_emergency_screen_and_an_alert() {
    let t = TestApp::start().await;
    let (pat, prac) = treated(&t).await;
    let r = post_form(&pat.api, "/me/check-in", "symptom=lip_tongue_swelling&symptom=breathing_difficulty&note=").await;
    assert_eq!(r.status, 200, "not refused by a form check: {}", r.text);
    assert!(emergency_screen(&r.text), "{}", r.text);
    assert!(r.text.contains("treated them as severe to be safe"), "the assumption is said: {}", r.text);
    let alerts = alerts_for(&prac.api, &pat.id).await;
    assert_eq!(alerts.len(), 1, "{alerts:?}");
    assert_eq!(alerts[0]["disposition"], "emergency");
}

#[tokio::test]
async fn fever_with_spreading_redness_without_severity_is_answered_today_and_alerted() {
    let t = TestApp::start().await;
    let (pat, prac) = treated(&t).await;
    let r = post_form(&pat.api, "/me/check-in", "symptom=fever&symptom=spreading_redness").await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert!(r.text.contains("The clinic has been alerted"), "{}", r.text);
    let alerts = alerts_for(&prac.api, &pat.id).await;
    assert_eq!(alerts.len(), 1, "{alerts:?}");
    assert!(alerts[0]["disposition"] == "urgent_same_day" || alerts[0]["disposition"] == "emergency", "{alerts:?}");
}

#[tokio::test]
async fn a_red_flag_on_the_form_is_answered_whatever_else_is_wrong_and_the_rest_is_listed() {
    let t = TestApp::start().await;
    let (pat, prac) = treated(&t).await;
    let r = post_form(
        &pat.api,
        "/me/check-in",
        "symptom=throat_tightness&severity.throat_tightness=unbearable&symptom=no_such_sign&temperature_c=hot&note=help",
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert!(emergency_screen(&r.text), "{}", r.text);
    assert!(r.text.contains("What we could not read"), "nothing silently ignored: {}", r.text);
    assert!(r.text.contains("Your temperature in °C"), "the temperature is named: {}", r.text);
    assert!(r.text.contains("no_such_sign"), "the unknown symptom is named: {}", r.text);
    assert_eq!(alerts_for(&prac.api, &pat.id).await.len(), 1);
}

#[tokio::test]
async fn without_a_red_flag_the_form_still_names_the_faulty_field() {
    let t = TestApp::start().await;
    let (pat, prac) = treated(&t).await;
    let r = post_form(&pat.api, "/me/check-in", "symptom=redness&severity.redness=mild&temperature_c=hot").await;
    assert_eq!(r.status, 422, "{}", r.text);
    assert!(r.text.contains("37.2"), "{}", r.text);
    assert!(alerts_for(&prac.api, &pat.id).await.is_empty());
}

#[tokio::test]
async fn the_api_answers_a_red_flag_despite_faulty_fields_and_lists_what_it_left_out() {
    let t = TestApp::start().await;
    let (pat, prac) = treated(&t).await;
    let r = pat
        .api
        .post(
            "/api/v1/me/check-ins",
            json!({
                "symptoms": [{ "code": "lip_tongue_swelling", "severity": "awful" }, { "code": "redness", "colour": "red" }],
                "temperature_c": "hot",
                "note": 42,
                "check_in_id": "not-an-id",
                "mood": "scared"
            }),
        )
        .await;
    let body = r.expect(201);
    assert_eq!(body["disposition"], "emergency");
    assert_eq!(body["call_emergency_services"], true);
    assert!(body["alert"]["id"].is_string(), "{body}");
    let unread: Vec<&str> = body["unread"].as_array().unwrap().iter().map(|u| u["field"].as_str().unwrap()).collect();
    for f in ["symptoms[0].severity", "symptoms[1].colour", "temperature_c", "note", "check_in_id", "mood"] {
        assert!(unread.contains(&f), "{f} listed: {unread:?}");
    }
    let a = body["triage"]["assessments"].as_array().unwrap();
    let lips = a.iter().find(|a| a["symptom"] == "lip_tongue_swelling").unwrap();
    assert_eq!(lips["severity_assumed"], true, "{lips}");
    // What is stored is what was read, in the contract's form.
    let list = prac.api.get(&format!("/api/v1/patients/{}/check-ins", pat.id)).await;
    let stored = list.expect(200).to_string();
    assert!(!stored.contains("awful") && !stored.contains("scared"), "{stored}");
}

#[tokio::test]
async fn the_api_still_refuses_a_faulty_check_in_without_a_red_flag() {
    let t = TestApp::start().await;
    let (pat, _) = treated(&t).await;
    let r = pat
        .api
        .post(
            "/api/v1/me/check-ins",
            json!({ "symptoms": [{ "code": "redness", "severity": "mild" }], "temperature_c": "hot" }),
        )
        .await;
    assert_eq!(r.status, 422, "{}", r.text);
    assert_eq!(r.json["field"], "temperature_c", "{}", r.text);
}

#[tokio::test]
async fn a_red_flag_from_a_patient_with_no_session_on_record_is_answered_and_alerted() {
    let t = TestApp::start().await;
    let prac = t.add_staff(&t.admin.api, "practitioner").await;
    let p = t.create_patient(&prac.api, "Nora Nosession").await;
    let pat = t.patient_login(&prac.api, &p).await;
    let r = post_form(&pat.api, "/me/check-in", "symptom=throat_tightness").await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert!(emergency_screen(&r.text), "{}", r.text);
    assert_eq!(alerts_for(&prac.api, &pat.id).await.len(), 1);
    // Without a warning sign, there is still nothing to check in about.
    let r = post_form(&pat.api, "/me/check-in", "symptom=redness&severity.redness=mild").await;
    assert_eq!(r.status, 409, "{}", r.text);
}

/// Found while merging issue 11: a severity chosen for a symptom whose box was not ticked was
/// dropped with the symptom. It now counts as ticked, and the answer says so.
#[tokio::test]
async fn a_severity_chosen_without_ticking_the_box_is_not_dropped() {
    let t = TestApp::start().await;
    let (pat, prac) = treated(&t).await;
    let r = post_form(&pat.api, "/me/check-in", "severity.spreading_redness=severe").await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert!(r.text.contains("counted them as ticked"), "{}", r.text);
    assert_eq!(alerts_for(&prac.api, &pat.id).await.len(), 1, "spreading redness is alerted");
}
