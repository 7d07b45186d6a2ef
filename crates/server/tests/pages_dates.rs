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
    t.consent_on_paper(&prac.api, &id).await;
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

/// The next `weekday` at `h`:00 in the clinic's zone (Europe/Berlin), at least `days` ahead.
fn next_at(days: u64, weekday: Weekday, h: u32) -> String {
    let tz: Tz = "Europe/Berlin".parse().unwrap();
    let mut d = Utc::now().with_timezone(&tz).date_naive() + Days::new(days);
    while d.weekday() != weekday {
        d = d + Days::new(1);
    }
    tz.from_local_datetime(&d.and_hms_opt(h, 0, 0).unwrap()).single().unwrap().to_rfc3339()
}

#[tokio::test]
async fn booking_outside_opening_hours_is_refused() {
    let t = TestApp::start().await;
    let prac = t.add_staff(&t.admin.api, "practitioner").await;
    let id = t.create_patient(&prac.api, "Olga Opening").await["id"].as_str().unwrap().to_string();
    // Sunday at 03:00: the clinic is open Monday to Friday, 09:00 to 17:00.
    let r = book(&prac.api, &id, json!({ "starts_at": next_at(3, Weekday::Sun, 3) })).await;
    assert_eq!(r.status, 422, "{}", r.text);
    assert_eq!(r.json["field"], "starts_at");
    assert!(r.json["detail"].as_str().unwrap().contains("Sunday"), "{}", r.text);
    // Ending after closing time is refused too; inside the hours is booked.
    let r = book(&prac.api, &id, json!({ "starts_at": next_at(3, Weekday::Wed, 16), "minutes": 90 })).await;
    assert_eq!((r.status, r.json["field"].as_str()), (422, Some("starts_at")), "{}", r.text);
    book(&prac.api, &id, json!({ "starts_at": next_at(3, Weekday::Wed, 10) })).await.expect(201);
    // The staff form says so on the form.
    let r = prac
        .api
        .builder(reqwest::Method::POST, &format!("/staff/patients/{id}/appointments"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!(
            "_csrf={}&date={}&time=03:00&minutes=60",
            prac.api.csrf.clone().unwrap(),
            &next_at(3, Weekday::Sun, 3)[..10]
        ));
    let r = common::read(r).await;
    assert_eq!(r.status, 422, "{}", r.text);
    assert!(r.text.contains("when the clinic is closed"), "{}", r.text);
}

#[tokio::test]
async fn overlapping_appointments_for_one_practitioner_are_refused() {
    let t = TestApp::start().await;
    let prac = t.add_staff(&t.admin.api, "practitioner").await;
    let other = t.add_staff(&t.admin.api, "practitioner").await;
    let a = t.create_patient(&prac.api, "Anna Overlap").await["id"].as_str().unwrap().to_string();
    let b = t.create_patient(&prac.api, "Berta Overlap").await["id"].as_str().unwrap().to_string();
    let ten = next_at(3, Weekday::Thu, 10);
    let first = book(&prac.api, &a, json!({ "starts_at": ten })).await.expect(201).clone();
    assert_eq!(first["practitioner"].as_str(), Some(prac.id.as_str()), "booked by a practitioner: theirs by default");
    // Another patient, same practitioner, half an hour later: refused, naming the field.
    let half_past = ten.replace("T10:00:00", "T10:30:00");
    let r = book(&prac.api, &b, json!({ "starts_at": half_past })).await;
    assert_eq!((r.status, r.json["field"].as_str()), (422, Some("starts_at")), "{}", r.text);
    assert!(r.json["detail"].as_str().unwrap().contains("overlaps"), "{}", r.text);
    // The admin books it for the same practitioner: refused; for another practitioner: booked.
    let r = book(&t.admin.api, &b, json!({ "starts_at": half_past, "practitioner_id": prac.id.as_str() })).await;
    assert_eq!(r.status, 422, "{}", r.text);
    book(&t.admin.api, &b, json!({ "starts_at": half_past, "practitioner_id": other.id.as_str() })).await.expect(201);
    // Back to back is fine.
    let eleven = ten.replace("T10:00:00", "T11:00:00");
    book(&prac.api, &b, json!({ "starts_at": eleven })).await.expect(201);
}

#[tokio::test]
async fn booking_outside_the_window_needs_a_reason() {
    let t = TestApp::start().await;
    let (_, prac, id, _) = treated_early(&t).await;
    // Treated today: the window is 28 to 42 days away; a week from now is outside it.
    let soon = next_at(7, Weekday::Tue, 10);
    let r = book(&prac.api, &id, json!({ "starts_at": soon })).await;
    assert_eq!((r.status, r.json["field"].as_str()), (422, Some("window_reason")), "{}", r.text);
    let r = book(&prac.api, &id, json!({ "starts_at": soon, "window_reason": "ok" })).await;
    assert_eq!(r.status, 422, "a word is not a reason: {}", r.text);
    let reason = "The patient travels for two months; the clinician agreed to an earlier touch-up.";
    let r = book(&prac.api, &id, json!({ "starts_at": soon, "window_reason": reason })).await;
    assert_eq!(r.json["window_reason"], reason, "the reason is recorded: {}", r.text);
    r.expect(201);
    let r = prac.api.get(&format!("/staff/patients/{id}")).await;
    assert!(
        r.text.contains(&format!("Outside the plan&#x27;s window: {reason}")) || r.text.contains(reason),
        "{}",
        r.text
    );
}
