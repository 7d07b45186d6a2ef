#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! The patient's own pages through a real server: Today, the plan, the history with its chart,
//! and the check-in form posted without JavaScript — an emergency answer puts the banner first
//! and opens an alert; input errors are shown on the form; signed-in posts need the CSRF token.

mod common;

use common::post_form;
use common::{PatientLogin, TestApp};
use reqwest::Method;
use serde_json::json;

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
    // The emergency instruction as short points; no conditional clause on an emergency.
    assert!(main.contains("<li>Tell them you had microneedling, and when.</li>"), "{main}");
    assert!(!main.contains("emergency-if"));
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

/// Issue 12, item 15: below an emergency, "Call emergency services if …" stands above the
/// headline, and a clinic-contact headline never says "not urgent".
#[tokio::test]
async fn a_check_in_answer_below_an_emergency_shows_when_to_call_emergency_services_above_the_headline() {
    let t = TestApp::start().await;
    let (pat, _) = treated(&t).await;
    let r = post_form(&pat.api, "/me/check-in", "symptom=rash&severity.rash=mild").await;
    assert_eq!(r.status, 200, "{}", r.text);
    let clause = r.text.find("Call emergency services straight away if").unwrap_or_else(|| panic!("{}", r.text));
    let headline =
        r.text.find("Contact your clinic today, or on its next working day").unwrap_or_else(|| panic!("{}", r.text));
    assert!(clause < headline, "{}", r.text);
    assert!(r.text.contains(r#"<div class="notice emergency-if" role="note""#));
    assert!(r.text.contains("<li>trouble breathing, or a tight throat</li>"));
    assert!(!r.text.contains("not urgent"));
    assert!(!r.text.contains(r#"<body class="emergency">"#));
}

#[tokio::test]
async fn check_in_errors_are_shown_on_the_form() {
    let t = TestApp::start().await;
    let (pat, _) = treated(&t).await;
    // Issue 11: a ticked symptom without "how bad" is no longer refused; it is assessed as
    // severe and the answer says so. A faulty field still comes back on the form.
    let r = post_form(&pat.api, "/me/check-in", "symptom=pain&trend.pain=worse&note=ouch&temperature_c=warm").await;
    assert_eq!(r.status, 422, "{}", r.text);
    assert!(r.text.contains("37.2"), "names the temperature: {}", r.text);
    assert!(r.text.contains(r#"value="pain" checked"#), "the form keeps its values");
    assert!(r.text.contains(">ouch</textarea>"));
    let r = post_form(&pat.api, "/me/check-in", "symptom=pain&trend.pain=worse&note=ouch").await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert!(r.text.contains("treated them as severe to be safe") && r.text.contains("Pain or soreness"), "{}", r.text);
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

/// The value of the first `<input id="{id}" …>` of a page.
fn input_value(html: &str, id: &str) -> String {
    let at = html.find(&format!(r#"id="{id}""#)).unwrap_or_else(|| panic!("no input {id}: {html}"));
    let rest = &html[at..];
    let start = rest.find(r#"value=""#).unwrap() + r#"value=""#.len();
    rest[start..start + rest[start..].find('"').unwrap()].to_string()
}

#[tokio::test]
async fn reminder_choices_are_kept_and_say_where_they_go() {
    let t = TestApp::start().await;
    let (pat, prac) = treated(&t).await;
    let today = pat.api.get("/me").await;
    assert!(today.text.contains(r#"<a href="/me/reminders">Get reminders by e-mail, text or in your calendar</a>"#));
    let r = pat.api.get("/me/reminders").await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert!(r.text.contains(r#"<a href="/me/reminders" aria-current="page">Reminders</a>"#), "in the navigation");
    let email = pat.api.get("/api/v1/me").await.expect(200)["email"].as_str().unwrap().to_string();
    assert!(r.text.contains(&format!("To {email}.")), "{}", r.text);
    assert!(r.text.contains("The clinic has no phone number for text messages to you."));
    assert!(r.text.contains(r#"name="email" value="yes" aria-describedby="email-to" checked>"#), "on by default");
    assert!(r.text.contains(r#"name="sms" value="yes" aria-describedby="sms-to" checked>"#));
    assert!(r.text.contains("No appointment is booked."));

    // Text messages off: kept, and the API sees the same choice.
    let saved = post_form(&pat.api, "/me/reminders", "email=yes").await;
    assert_eq!((saved.status, saved.header("location")), (303, Some("/me/reminders?saved=1#channels")));
    let r = pat.api.get("/me/reminders?saved=1").await;
    assert!(r.text.contains(r#"role="status">Saved.</p>"#));
    assert!(r.text.contains(r#"name="email" value="yes" aria-describedby="email-to" checked>"#));
    assert!(r.text.contains(r#"name="sms" value="yes" aria-describedby="sms-to">"#), "{}", r.text);
    let s = pat.api.get("/api/v1/me/reminders").await.expect(200).clone();
    assert_eq!((s["email"].as_bool(), s["sms"].as_bool()), (Some(true), Some(false)));

    // A booked appointment shows in the patient's own zone.
    // A weekday at 09:00 UTC, inside opening hours; outside the plan's window, so with a reason
    // (issue 11).
    let mut day = (chrono::Utc::now() + chrono::Duration::days(9)).date_naive();
    while chrono::Datelike::weekday(&day).number_from_monday() > 5 {
        day = day + chrono::Days::new(1);
    }
    let starts = day.and_hms_opt(9, 0, 0).unwrap().and_utc();
    let reason = "An early check of the first results, agreed with the clinician.";
    prac.api
        .post(
            &format!("/api/v1/patients/{}/appointments", pat.id),
            json!({ "starts_at": starts, "minutes": 45, "window_reason": reason }),
        )
        .await
        .expect(201);
    let zone: chrono_tz::Tz = pat.api.get("/api/v1/me").await.json["time_zone"].as_str().unwrap().parse().unwrap();
    let local = starts.with_timezone(&zone).format("%a %-d %b %Y, %H:%M").to_string();
    let r = pat.api.get("/me/reminders").await;
    assert!(r.text.contains(&format!("{local} (45 minutes)")), "{local}: {}", r.text);
}

#[tokio::test]
async fn the_calendar_link_is_shown_once_works_without_a_login_and_can_be_replaced_or_turned_off() {
    let t = TestApp::start().await;
    let (pat, _) = treated(&t).await;
    let r = pat.api.get("/me/reminders").await;
    assert!(r.text.contains(r#"<button type="submit">Get a calendar link</button>"#), "{}", r.text);
    assert!(!r.text.contains("Turn the calendar off"));

    // Without the CSRF token, nothing is made.
    let rb = t
        .anon()
        .builder(Method::POST, "/me/reminders/calendar")
        .header("cookie", pat.api.cookie.clone().unwrap())
        .header("content-type", "application/x-www-form-urlencoded")
        .body("");
    assert_eq!(common::read(rb).await.status, 403);

    let made = post_form(&pat.api, "/me/reminders/calendar", "").await;
    assert_eq!(made.status, 200, "{}", made.text);
    assert!(made.text.contains("The link is shown only now"), "{}", made.text);
    let url = input_value(&made.text, "calendar-url");
    let webcal = input_value(&made.text, "webcal-url");
    assert!(url.starts_with(&format!("{}/calendar/", t.base)) && url.ends_with(".ics"), "{url}");
    assert_eq!(webcal, format!("webcal://{}", url.split_once("://").unwrap().1));
    assert!(made.text.contains(&format!(r#"<a class="button" href="{webcal}">Add to my calendar</a>"#)));
    let path = url.strip_prefix(&t.base).unwrap().to_string();

    // The feed needs no login, and answers 304 to a calendar app that has it already.
    let feed = t.anon().get(&path).await;
    assert_eq!(feed.status, 200, "{}", feed.text);
    assert!(feed.header("content-type").unwrap().starts_with("text/calendar"), "{:?}", feed.headers);
    assert!(feed.text.starts_with("BEGIN:VCALENDAR"));
    let etag = feed.header("etag").expect("an ETag").to_string();
    let again = common::read(t.anon().builder(Method::GET, &path).header("if-none-match", &etag)).await;
    assert_eq!(again.status, 304);
    assert!(again.text.is_empty());

    // The page now offers a new link and turning it off.
    let r = pat.api.get("/me/reminders").await;
    assert!(r.text.contains("You have had a calendar link since"), "{}", r.text);
    assert!(r.text.contains("Get a new link — the old one stops working") && r.text.contains("Turn the calendar off"));
    // Its link is never on the page again.
    assert!(!r.text.contains(&path));

    // A new link: the old one is gone at once.
    let made = post_form(&pat.api, "/me/reminders/calendar", "").await;
    let new_path = input_value(&made.text, "calendar-url").strip_prefix(&t.base).unwrap().to_string();
    assert_ne!(new_path, path);
    assert_eq!(t.anon().get(&path).await.status, 404);
    assert_eq!(t.anon().get(&new_path).await.status, 200);

    // Off: no link works, and the page offers a link again.
    let off = post_form(&pat.api, "/me/reminders/calendar/off", "").await;
    assert_eq!((off.status, off.header("location")), (303, Some("/me/reminders?saved=calendar_off#calendar")));
    assert_eq!(t.anon().get(&new_path).await.status, 404);
    let r = pat.api.get("/me/reminders?saved=calendar_off").await;
    assert!(r.text.contains("The calendar is turned off"), "{}", r.text);
    assert!(r.text.contains(r#"<button type="submit">Get a calendar link</button>"#));
    assert!(!r.text.contains("Turn the calendar off"));
}
