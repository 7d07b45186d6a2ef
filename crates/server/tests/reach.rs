#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! The clinic can be reached (issue 11, defect 6): its phone, out-of-hours phone, address,
//! e-mail and country in Settings, validated field by field; shown on every patient page; the
//! emergency answer gives the clinic's country's number; and an urgent answer never tells the
//! patient to wait for tomorrow.
//!
//! "Now" cannot be moved, so the tests put the clinic in a fixed-offset zone (`Etc/GMT-3`, …)
//! where the local time is what the test needs: midday (open) or 02:00 (closed).

mod common;

use chrono::Timelike;
use common::post_form;
use common::{PatientLogin, TestApp};
use serde_json::{Value, json};

/// A fixed-offset zone in which the local hour is now `hour`.
fn zone_at_local_hour(hour: i64) -> String {
    let utc = i64::from(chrono::Utc::now().hour());
    let mut offset = (hour - utc).rem_euclid(24);
    if offset > 14 {
        offset -= 24;
    }
    match offset {
        0 => "Etc/GMT".to_string(),
        // POSIX sign: Etc/GMT-3 is three hours *ahead* of UTC.
        o if o > 0 => format!("Etc/GMT-{o}"),
        o => format!("Etc/GMT+{}", -o),
    }
}

/// Sets the clinic's zone, opening hours (every day 09:00–17:00) and contact.
async fn clinic_settings(t: &TestApp, zone: &str, contact: Value) {
    let clinic = t.admin.api.get("/api/v1/clinic").await.expect(200).clone();
    let mut settings = clinic["settings"].clone();
    settings["opening_hours"] = json!({ "days": [1, 2, 3, 4, 5, 6, 7], "opens": "09:00", "closes": "17:00" });
    settings["contact"] = contact;
    t.admin.api.patch("/api/v1/clinic", json!({ "time_zone": zone, "settings": settings })).await.expect(200);
}

/// A treated patient, signed in.
async fn treated(t: &TestApp) -> PatientLogin {
    let prac = t.add_staff(&t.admin.api, "practitioner").await;
    let p = t.create_patient(&prac.api, "Pia Patient").await;
    let id = p["id"].as_str().unwrap().to_string();
    t.screen_eligible(&prac.api, &id).await;
    t.record_session(&prac.api, &id).await;
    t.patient_login(&prac.api, &p).await
}

/// Pus is "urgent: be seen today" whatever its severity.
const URGENT: &str = "symptom=pus&severity.pus=mild";

#[tokio::test]
async fn an_urgent_answer_does_not_promise_tomorrow() {
    let t = TestApp::start().await;
    // 02:00 at the clinic, no out-of-hours number: the deadline is 10:00, tomorrow.
    clinic_settings(&t, &zone_at_local_hour(2), json!({ "phone": "+49 30 1234567", "country": "DE" })).await;
    let pat = treated(&t).await;
    let r = post_form(&pat.api, "/me/check-in", URGENT).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert!(r.text.contains("Urgent"), "{}", r.text);
    assert!(!r.text.contains("tomorrow"), "an urgent answer must not wait for tomorrow: {}", r.text);
    assert!(!r.text.contains("will contact you by"), "{}", r.text);
    assert!(r.text.contains("Do not wait for it to open"), "{}", r.text);
    assert!(r.text.contains("go to an urgent care clinic or emergency department now"), "{}", r.text);
    // The alert is still in the queue for the morning.
    let q = t.admin.api.get("/api/v1/alerts").await;
    assert!(q.text.contains("urgent_same_day"), "{}", q.text);
}

#[tokio::test]
async fn an_urgent_answer_out_of_hours_gives_the_out_of_hours_number() {
    let t = TestApp::start().await;
    clinic_settings(
        &t,
        &zone_at_local_hour(2),
        json!({ "phone": "+49 30 1234567", "out_of_hours_phone": "+49 30 7654321", "country": "DE" }),
    )
    .await;
    let pat = treated(&t).await;
    let r = post_form(&pat.api, "/me/check-in", URGENT).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert!(!r.text.contains("tomorrow"), "{}", r.text);
    assert!(r.text.contains("call the out-of-hours number now"), "{}", r.text);
    assert!(r.text.contains(r#"href="tel:+49307654321""#), "the out-of-hours number to tap: {}", r.text);
}

#[tokio::test]
async fn an_urgent_answer_in_opening_hours_says_today_and_gives_the_clinic_phone() {
    let t = TestApp::start().await;
    // Midday: the clinic answers within its 60 minutes, today.
    clinic_settings(&t, &zone_at_local_hour(12), json!({ "phone": "+49 30 1234567", "country": "DE" })).await;
    let pat = treated(&t).await;
    let r = post_form(&pat.api, "/me/check-in", URGENT).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert!(r.text.contains("will call you by today at"), "{}", r.text);
    assert!(!r.text.contains("tomorrow"), "{}", r.text);
    assert!(r.text.contains(r#"href="tel:+49301234567""#), "{}", r.text);
}

#[tokio::test]
async fn the_emergency_number_is_the_clinic_countrys() {
    let t = TestApp::start().await;
    clinic_settings(&t, "Europe/Berlin", json!({ "country": "DE" })).await;
    let pat = treated(&t).await;
    let r = post_form(&pat.api, "/me/check-in", "symptom=throat_tightness&severity.throat_tightness=severe").await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert!(r.text.contains("Call emergency services now"), "{}", r.text);
    assert!(r.text.contains(r#"href="tel:112""#), "{}", r.text);
    assert!(
        !r.text.contains("tel:911") && !r.text.contains("tel:999"),
        "a Berlin patient is not offered 911/999: {}",
        r.text
    );
    assert!(!r.text.contains("911"), "{}", r.text);
    let today = pat.api.get("/me").await;
    assert!(today.text.contains("Call 112 now"), "{}", today.text);
    assert!(!today.text.contains("911"), "{}", today.text);

    // A clinic in the US: 911.
    clinic_settings(&t, "America/New_York", json!({ "country": "US" })).await;
    let r = post_form(&pat.api, "/me/check-in", "symptom=throat_tightness&severity.throat_tightness=severe").await;
    assert!(r.text.contains(r#"href="tel:911""#) && !r.text.contains("tel:112"), "{}", r.text);

    // No country: the generic sentence and the three common numbers, as before.
    clinic_settings(&t, "Europe/Berlin", json!({})).await;
    let r = post_form(&pat.api, "/me/check-in", "symptom=throat_tightness&severity.throat_tightness=severe").await;
    for n in ["tel:112", "tel:911", "tel:999"] {
        assert!(r.text.contains(n), "{n}: {}", r.text);
    }
}

#[tokio::test]
async fn every_patient_page_shows_the_clinic_contact() {
    let t = TestApp::start().await;
    clinic_settings(
        &t,
        "Europe/Berlin",
        json!({ "phone": "+49 30 1234567", "email": "Hello@Clinic.example", "address": "Hauptstr. 1\n10115 Berlin", "country": "de" }),
    )
    .await;
    // Stored checked: the e-mail in lower case, the country in upper case.
    let c = t.admin.api.get("/api/v1/clinic").await;
    assert_eq!(c.json["settings"]["contact"]["email"], "hello@clinic.example");
    assert_eq!(c.json["settings"]["contact"]["country"], "DE");
    let pat = treated(&t).await;
    for path in ["/me", "/me/check-in", "/me/plan", "/me/history", "/me/reminders", "/aftercare"] {
        let r = pat.api.get(path).await;
        assert_eq!(r.status, 200, "{path}: {}", r.text);
        assert!(r.text.contains(r#"href="tel:+49301234567""#), "{path}: {}", r.text);
        assert!(r.text.contains("hello@clinic.example"), "{path}");
        assert!(r.text.contains("10115 Berlin"), "{path}");
    }
    // The printed care sheet carries it in its main part (the footer is not printed).
    let r = pat.api.get("/aftercare").await;
    assert!(r.text.contains(r#"class="reach-sheet""#), "{}", r.text);
}

#[tokio::test]
async fn the_clinic_contact_is_checked_field_by_field() {
    let t = TestApp::start().await;
    let clinic = t.admin.api.get("/api/v1/clinic").await.expect(200).clone();
    let mut s = clinic["settings"].clone();
    for (contact, field) in [
        (json!({ "country": "XX" }), "settings.contact.country"),
        (json!({ "country": "Germany" }), "settings.contact.country"),
        (json!({ "phone": "call me" }), "settings.contact.phone"),
        (json!({ "out_of_hours_phone": "12" }), "settings.contact.out_of_hours_phone"),
        (json!({ "email": "not-an-address" }), "settings.contact.email"),
        (json!({ "fax": "123" }), "settings.contact"),
    ] {
        s["contact"] = contact.clone();
        let r = t.admin.api.patch("/api/v1/clinic", json!({ "settings": s })).await;
        assert_eq!(r.status, 422, "{contact}: {}", r.text);
        assert!(r.json["field"].as_str().unwrap_or_default().starts_with(field), "{contact}: {}", r.text);
    }
    // The settings page shows the error on the form and keeps what was typed.
    let page = t.admin.api.get("/staff/settings").await;
    assert!(page.text.contains(r#"name="contact_phone""#) && page.text.contains(r#"name="contact_country""#));
    let form = "name=Clinic+One&time_zone=Europe%2FBerlin&currency=EUR&opens=09%3A00&closes=17%3A00&day=1\
                &urgent_minutes=60&contact_business_days=1&check_in_days=1%2C3&missed_check_in_grace_hours=24\
                &quiet_hours=none&contact_phone=%2B49+30+1&contact_country=ZZ";
    let r = post_form(&t.admin.api, "/staff/settings", form).await;
    assert_eq!(r.status, 422, "{}", r.text);
    assert!(r.text.contains("is not a country code"), "{}", r.text);
    assert!(r.text.contains(r#"value="ZZ""#), "{}", r.text);
    let ok = form.replace("contact_country=ZZ", "contact_country=GB");
    let r = post_form(&t.admin.api, "/staff/settings", &ok).await;
    assert_eq!(r.status, 303, "{}", r.text);
    let c = t.admin.api.get("/api/v1/clinic").await;
    assert_eq!(c.json["settings"]["contact"]["country"], "GB");
    assert_eq!(c.json["settings"]["contact"]["phone"], "+49 30 1");
}
