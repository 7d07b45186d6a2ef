#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! Issue 11, defect 8: one truth for dates. Today, My plan, Reminders and the staff record say
//! the same next window (counted from the day the last session was actually done) and show the
//! appointment booked for it; a session done shows the day it was done. Booking respects the
//! clinic's opening hours, one practitioner's other appointments and the plan's window.
//! Defect 9: aftercare answers a patient cannot misread. Defect 10: an alert card staff can act
//! on from a phone.

mod common;

use chrono::{DateTime, Datelike, Days, NaiveDate, TimeZone, Utc, Weekday};
use chrono_tz::Tz;
use common::{Api, TestApp};
use serde_json::{Value, json};

fn date(d: NaiveDate) -> String {
    d.format("%a %-d %b %Y").to_string()
}

/// A patient planned to start in nine days but treated today (earlier than planned).
async fn treated_early(t: &TestApp) -> (common::PatientLogin, common::Member, String, Tz) {
    let prac = t.add_staff(&t.admin.api, "practitioner").await;
    let p = t.create_patient(&prac.api, "Dora Dates").await;
    let id = p["id"].as_str().unwrap().to_string();
    let tz: Tz = p["time_zone"].as_str().unwrap().parse().unwrap();
    t.screen_eligible(&prac.api, &id).await;
    let start = Utc::now().with_timezone(&tz).date_naive() + Days::new(9);
    prac.api
        .post(
            &format!("/api/v1/patients/{id}/plans"),
            json!({ "concern": "acne_scars", "scar_grade": 2, "start": start.to_string() }),
        )
        .await
        .expect(201);
    t.record_session(&prac.api, &id).await;
    (t.patient_login(&prac.api, &p).await, prac, id, tz)
}

/// 10:00 local on the first weekday on or after `d`, as RFC 3339.
fn weekday_at_ten(tz: Tz, d: NaiveDate) -> (String, DateTime<Tz>) {
    let mut d = d;
    while matches!(d.weekday(), Weekday::Sat | Weekday::Sun) {
        d = d + Days::new(1);
    }
    let at = tz.from_local_datetime(&d.and_hms_opt(10, 0, 0).unwrap()).single().unwrap();
    (at.to_rfc3339(), at)
}

async fn book(api: &Api, patient: &str, body: Value) -> common::Resp {
    api.post(&format!("/api/v1/patients/{patient}/appointments"), body).await
}

#[tokio::test]
async fn today_my_plan_and_the_record_show_the_same_next_window() {
    let t = TestApp::start().await;
    let (pat, prac, id, tz) = treated_early(&t).await;
    let done = Utc::now().with_timezone(&tz).date_naive();
    let (from, to) = (done + Days::new(28), done + Days::new(42));
    let window = format!("Between {} and {}", date(from), date(to));
    let (at, local) = weekday_at_ten(tz, from + Days::new(1));
    book(&prac.api, &id, json!({ "starts_at": at })).await.expect(201);
    let booked = local.format("%a %-d %b %Y, %H:%M").to_string();

    for path in ["/me", "/me/plan", "/me/reminders"] {
        let r = pat.api.get(path).await;
        assert_eq!(r.status, 200, "{path}: {}", r.text);
        assert!(r.text.contains(&window), "{path} says the window from the session done: {}", r.text);
        assert!(r.text.contains(&booked), "{path} shows the booked appointment: {}", r.text);
    }
    // The old plan's window (from the planned start) appears nowhere on the patient's pages.
    let planned = done + Days::new(9 + 28);
    let r = pat.api.get("/me/plan").await;
    assert!(!r.text.contains(&format!("Between {}", date(planned))), "{}", r.text);

    let r = prac.api.get(&format!("/staff/patients/{id}")).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let line = format!("Session 2: between {} and {} (next)", date(from), date(to));
    assert!(r.text.contains(&line), "the record says the same window: {}", r.text);
    assert!(r.text.contains(&format!("Booked: {booked}")), "{}", r.text);
}

#[tokio::test]
async fn a_done_session_shows_the_day_it_was_done() {
    let t = TestApp::start().await;
    let (pat, prac, id, tz) = treated_early(&t).await;
    let done = Utc::now().with_timezone(&tz).date_naive();
    let planned = done + Days::new(9);
    let r = pat.api.get("/me/plan").await;
    assert!(r.text.contains(&format!("done on {}", date(done))), "{}", r.text);
    assert!(!r.text.contains(&date(planned)), "the planned day is not shown as the day it was done: {}", r.text);
    let r = prac.api.get(&format!("/staff/patients/{id}")).await;
    assert!(r.text.contains(&format!("Session 1: done on {}", date(done))), "{}", r.text);
}

/// A patient whose session was `hours` ago, signed in.
async fn treated_hours_ago(t: &TestApp, hours: i64) -> common::PatientLogin {
    let prac = t.add_staff(&t.admin.api, "practitioner").await;
    let p = t.create_patient(&prac.api, "Wanda Wording").await;
    let id = p["id"].as_str().unwrap().to_string();
    t.screen_eligible(&prac.api, &id).await;
    let mut body = common::session_body();
    body["performed_at"] = json!((Utc::now() - chrono::Duration::hours(hours)).to_rfc3339());
    prac.api.post(&format!("/api/v1/patients/{id}/sessions"), body).await.expect(201);
    t.patient_login(&prac.api, &p).await
}

#[tokio::test]
async fn scabs_answer_says_never_pick() {
    let t = TestApp::start().await;
    let pat = treated_hours_ago(&t, 2).await;
    let r = pat.api.get("/me").await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert!(!r.text.contains("ask your clinic when"), "no 'ask your clinic' for picking scabs: {}", r.text);
    assert!(r.text.contains("Pick or peel flakes or scabs: never"), "{}", r.text);
    assert!(r.text.contains("Do not pick or peel flakes or scabs, ever; let them fall off on their own"), "{}", r.text);
    let r = t.anon().get("/aftercare").await;
    assert!(!r.text.contains("Ask your clinic"), "the care sheet never says 'ask your clinic' for when: {}", r.text);
    assert!(r.text.contains("Pick or peel flakes or scabs") && r.text.contains("<td>Never</td>"), "{}", r.text);
}

#[tokio::test]
async fn conditions_are_shown_with_yes_with_conditions() {
    let t = TestApp::start().await;
    // 30 hours after the session: makeup and exercise are "yes, with conditions".
    let pat = treated_hours_ago(&t, 30).await;
    let r = pat.api.get("/me").await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert!(r.text.contains("Yes, with conditions"), "{}", r.text);
    for condition in ["Use clean brushes or sponges.", "Light activity only, such as walking."] {
        assert!(r.text.contains(condition), "Today shows the condition {condition:?}: {}", r.text);
    }
    // Exercise says what is allowed when, not a bare "yes" to sweaty exercise.
    assert!(
        r.text.contains(
            "From 24 hours: light exercise only, such as walking. From 72 hours: intense or hot exercise too."
        )
    );
    assert!(!r.text.contains("Exercise that makes you sweat"), "{}", r.text);
    let r = t.anon().get("/aftercare").await;
    for condition in
        ["Use clean brushes or sponges.", "Light activity only, such as walking.", "Not a tinted sunscreen"]
    {
        assert!(r.text.contains(condition), "the aftercare guide shows {condition:?}: {}", r.text);
    }
}

#[tokio::test]
async fn an_alert_card_shows_phone_temperature_day_and_note() {
    let t = TestApp::start().await;
    let prac = t.add_staff(&t.admin.api, "practitioner").await;
    let p = prac
        .api
        .post(
            "/api/v1/patients",
            json!({ "name": "Alma Alert", "email": "alma.alert.with.a.long.address@patient.example", "phone": "+49 30 1234 5678" }),
        )
        .await
        .expect(201)
        .clone();
    let id = p["id"].as_str().unwrap().to_string();
    t.screen_eligible(&prac.api, &id).await;
    let mut body = common::session_body();
    body["performed_at"] = json!((Utc::now() - chrono::Duration::hours(50)).to_rfc3339());
    prac.api.post(&format!("/api/v1/patients/{id}/sessions"), body).await.expect(201);
    let pat = t.patient_login(&prac.api, &p).await;
    let mut check_in = common::contact_clinic_check_in();
    check_in["temperature_c"] = json!(38.4);
    check_in["note"] = json!("It feels hot since this morning.");
    pat.api.post("/api/v1/me/check-ins", check_in).await.expect(201);

    let r = prac.api.get("/staff").await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert!(r.text.contains(r#"<a class="call" href="tel:+493012345678">+49 30 1234 5678</a>"#), "{}", r.text);
    assert!(r.text.contains("38.4 °C"), "the temperature: {}", r.text);
    assert!(r.text.contains("Day 2 (50 hours)"), "the day since the session: {}", r.text);
    assert!(r.text.contains("It feels hot since this morning."), "the patient's note: {}", r.text);
}
