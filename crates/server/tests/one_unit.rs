#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! Issue 13: one use case, one transaction, one audit record; check-in days have one owner.
//!
//! The audit trail is the witness: before the application layer, every store call wrote its own
//! audit row in its own durable transaction (a patient's check-in five, one staff view of a
//! patient's page eight or more).

mod common;

use chrono::Utc;
use common::{TestApp, contact_clinic_check_in, emergency_check_in};
use serde_json::{Value, json};

/// The patient's audit trail, newest first, without the witness's own reads (reading the trail
/// through the API records a `patient.read` by the admin).
async fn audit_of(t: &TestApp, pid: &str) -> Vec<Value> {
    let r = t.admin.api.get(&format!("/api/v1/patients/{pid}/audit?limit=500")).await;
    let admin = t.admin.id.as_str();
    let all = r.expect(200)["entries"].as_array().unwrap().clone();
    all.into_iter().filter(|e| !(e["action"] == "patient.read" && e["actor_id"] == admin)).collect()
}

async fn patient_with_session(t: &TestApp, name: &str) -> (Value, String) {
    let patient = t.create_patient(&t.admin.api, name).await;
    let pid = patient["id"].as_str().unwrap().to_string();
    t.screen_eligible(&t.admin.api, &pid).await;
    t.record_session_at(&t.admin.api, &pid, Utc::now() - chrono::Duration::hours(30)).await;
    (patient, pid)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_check_in_with_its_alert_writes_one_audit_record() {
    let t = TestApp::start().await;
    let (patient, pid) = patient_with_session(&t, "Una Unit").await;
    let me = t.patient_login(&t.admin.api, &patient).await;
    for (body, disposition) in [(contact_clinic_check_in(), "contact_clinic"), (emergency_check_in(), "emergency")] {
        let before = audit_of(&t, &pid).await.len();
        let r = me.api.post("/api/v1/me/check-ins", body).await;
        assert_eq!(r.expect(201)["disposition"], disposition, "{}", r.text);
        assert!(r.json["alert"].is_object(), "{}", r.text);
        let after = audit_of(&t, &pid).await;
        assert_eq!(after.len(), before + 1, "one record per check-in: {:?}", &after[..after.len() - before]);
        assert_eq!(after[0]["action"], "check_in.submit");
        assert_eq!(after[0]["target"], r.json["check_in"]["id"]);
        assert_eq!(after[0]["seen"], json!(["patient", "sessions", "check_ins"]));
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_staff_view_of_a_patient_page_writes_one_audit_record() {
    let t = TestApp::start().await;
    let (patient, pid) = patient_with_session(&t, "Vera View").await;
    let me = t.patient_login(&t.admin.api, &patient).await;
    me.api.post("/api/v1/me/check-ins", contact_clinic_check_in()).await.expect(201);
    let desk = t.add_staff(&t.admin.api, "front_desk").await;
    for (who, seen) in [
        (
            &t.admin.api,
            json!([
                "patient",
                "appointments",
                "messages",
                "screenings",
                "plans",
                "sessions",
                "check_ins",
                "alerts",
                "gates",
                "consents",
                "photos",
                "outcomes",
                "audit"
            ]),
        ),
        (&desk.api, json!(["patient", "appointments", "messages"])),
    ] {
        let before = audit_of(&t, &pid).await.len();
        let page = who.get(&format!("/staff/patients/{pid}")).await;
        assert_eq!(page.status, 200, "{}", page.text);
        let after = audit_of(&t, &pid).await;
        assert_eq!(after.len(), before + 1, "one record per view: {:?}", &after[..after.len() - before]);
        assert_eq!(after[0]["action"], "patient.chart_viewed");
        assert_eq!(after[0]["seen"], seen);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_today_page_and_answer_write_one_audit_record_each() {
    let t = TestApp::start().await;
    let (patient, pid) = patient_with_session(&t, "Tess Today").await;
    let me = t.patient_login(&t.admin.api, &patient).await;
    for path in ["/api/v1/me/today", "/me"] {
        let before = audit_of(&t, &pid).await.len();
        assert_eq!(me.api.get(path).await.status, 200);
        let after = audit_of(&t, &pid).await;
        assert_eq!(after.len(), before + 1, "{path}: {:?}", &after[..after.len() - before]);
        assert_eq!(after[0]["action"], "patient.today_viewed");
        assert_eq!(after[0]["actor_kind"], "patient");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn screening_plan_and_session_each_write_one_transaction_without_read_rows() {
    let t = TestApp::start().await;
    let patient = t.create_patient(&t.admin.api, "Sam Steps").await;
    let pid = patient["id"].as_str().unwrap().to_string();
    let actions =
        |entries: &[Value]| entries.iter().map(|e| e["action"].as_str().unwrap().to_string()).collect::<Vec<_>>();

    let before = audit_of(&t, &pid).await.len();
    t.screen_eligible(&t.admin.api, &pid).await;
    let after = audit_of(&t, &pid).await;
    let mut new = actions(&after[..after.len() - before]);
    new.sort();
    // The screening, and the findings it put on the record: two changes, one transaction.
    assert_eq!(new, ["patient.findings_from_screening", "screening.add"]);

    let before = after.len();
    let r = t
        .admin
        .api
        .post(
            &format!("/api/v1/patients/{pid}/plans"),
            json!({ "concern": "acne_scars", "scar_grade": 3, "start": Utc::now().date_naive().to_string() }),
        )
        .await;
    r.expect(201);
    let after = audit_of(&t, &pid).await;
    assert_eq!(actions(&after[..after.len() - before]), ["plan.add"]);
    assert_eq!(after[0]["seen"], json!(["patient", "screenings"]));

    let before = after.len();
    t.record_session(&t.admin.api, &pid).await;
    let after = audit_of(&t, &pid).await;
    assert_eq!(actions(&after[..after.len() - before]), ["session.record"]);
}

/// Issue 13 item 5: time is a parameter of the application layer, so a test travels in time end to
/// end: three days after the session, Today and a check-in are answered as of day 3.
#[tokio::test(flavor = "multi_thread")]
async fn a_test_travels_three_days_and_the_check_in_is_triaged_as_of_day_three() {
    let t = TestApp::start().await;
    let patient = t.create_patient(&t.admin.api, "Tim Travel").await;
    let pid = patient["id"].as_str().unwrap().to_string();
    t.screen_eligible(&t.admin.api, &pid).await;
    t.record_session(&t.admin.api, &pid).await;
    let me = t.patient_login(&t.admin.api, &patient).await;
    let hours = |v: &Value| v["hours_since_session"].as_f64().unwrap();
    assert!(hours(me.api.get("/api/v1/me/today").await.expect(200)) < 1.0);

    t.clock.travel(chrono::Duration::days(3));
    assert!((hours(me.api.get("/api/v1/me/today").await.expect(200)) - 72.0).abs() < 1.0);
    let r = me.api.post("/api/v1/me/check-ins", contact_clinic_check_in()).await;
    let answered = r.expect(201)["triage"]["hours_since_treatment"].as_f64().unwrap();
    assert!((answered - 72.0).abs() < 1.0, "{answered}");
}

/// The days of the check-in entries on a Today timeline.
fn timeline_check_in_days(today: &Value) -> Vec<i64> {
    let mut days: Vec<i64> = today["timeline"]["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "check_in")
        .map(|e| (e["hours"].as_f64().unwrap() / 24.0).round() as i64)
        .collect();
    days.sort_unstable();
    days
}

/// Issue 13 item 3: Today followed the protocol's check-in days while the scheduled check-ins,
/// their reminders and the missed-check-in follow-ups followed the clinic's settings, so an admin
/// who changed the settings split them. The scheduled check-ins own the days now.
#[tokio::test(flavor = "multi_thread")]
async fn todays_check_in_days_are_the_scheduled_ones_whatever_the_settings_say_later() {
    let t = TestApp::start().await;
    let clinic = t.admin.api.get("/api/v1/clinic").await.expect(200).clone();
    let mut settings = clinic["settings"].clone();
    settings["check_in_days"] = json!([2, 5, 10]);
    t.admin.api.patch("/api/v1/clinic", json!({ "settings": settings.clone() })).await.expect(200);
    let patient = t.create_patient(&t.admin.api, "Dana Days").await;
    let pid = patient["id"].as_str().unwrap().to_string();
    t.screen_eligible(&t.admin.api, &pid).await;
    let body = t.record_session(&t.admin.api, &pid).await;
    let mut scheduled: Vec<i64> =
        body["check_ins"].as_array().unwrap().iter().map(|c| c["day"].as_i64().unwrap()).collect();
    scheduled.sort_unstable();
    assert_eq!(scheduled.len(), 4, "days 2, 5, 10 and the day before the next window: {scheduled:?}");

    let me = t.patient_login(&t.admin.api, &patient).await;
    let today = me.api.get("/api/v1/me/today").await.expect(200).clone();
    assert_eq!(timeline_check_in_days(&today), scheduled, "Today shows the days the check-ins are due");

    // The admin changes the settings after the session: they apply to the next session.
    settings["check_in_days"] = json!([1, 3, 7, 14]);
    t.admin.api.patch("/api/v1/clinic", json!({ "settings": settings })).await.expect(200);
    let today = me.api.get("/api/v1/me/today").await.expect(200).clone();
    assert_eq!(timeline_check_in_days(&today), scheduled, "a later change does not split Today from its check-ins");
    let due = today["next_check_in"]["day"].as_i64().unwrap();
    assert!(scheduled.contains(&due), "{due} in {scheduled:?}");
}

/// A patient with a session, a plan and a check-in, signed in, for the patient-side views.
async fn patient_with_record(t: &TestApp, name: &str) -> (common::PatientLogin, String) {
    let (patient, pid) = patient_with_session(t, name).await;
    t.admin
        .api
        .post(
            &format!("/api/v1/patients/{pid}/plans"),
            json!({ "concern": "acne_scars", "scar_grade": 2, "start": "2027-01-04" }),
        )
        .await
        .expect(201);
    let me = t.patient_login(&t.admin.api, &patient).await;
    me.api.post("/api/v1/me/check-ins", contact_clinic_check_in()).await.expect(201);
    (me, pid)
}

/// Issue 13 items 1-2, the patient's side: each of the patient's own answers and pages (their
/// details, the lists of `/api/v1/me/...`, My plan, History, Reminders) is one unit with one
/// audit record naming what it saw. My plan wrote four records before, Reminders five.
#[tokio::test(flavor = "multi_thread")]
async fn the_patients_own_pages_and_answers_write_one_audit_record_each() {
    let t = TestApp::start().await;
    let (me, pid) = patient_with_record(&t, "Pia Pages").await;
    let views = [
        ("/api/v1/me", "patient.read", json!(["patient"])),
        ("/api/v1/me/screenings", "screening.list", json!(["screenings"])),
        ("/api/v1/me/plans", "plan.list", json!(["plans"])),
        ("/api/v1/me/sessions", "session.list", json!(["sessions"])),
        ("/api/v1/me/check-ins", "check_in.list", json!(["check_ins"])),
        ("/api/v1/me/appointments", "appointment.list", json!(["appointments"])),
        ("/api/v1/me/reminders", "reminders.read", json!(["reminders"])),
        (
            "/me/plan",
            "patient.plan_viewed",
            json!(["patient", "plans", "sessions", "appointments", "consents", "photos", "outcomes"]),
        ),
        ("/me/history", "patient.history_viewed", json!(["patient", "check_ins", "sessions"])),
        (
            "/me/reminders",
            "patient.reminders_viewed",
            json!(["patient", "reminders", "appointments", "sessions", "plans"]),
        ),
    ];
    for (path, action, seen) in views {
        let before = audit_of(&t, &pid).await.len();
        let r = me.api.get(path).await;
        assert_eq!(r.status, 200, "{path}: {}", r.text);
        let after = audit_of(&t, &pid).await;
        assert_eq!(after.len(), before + 1, "{path}: {:?}", &after[..after.len() - before]);
        assert_eq!(after[0]["action"], action, "{path}");
        assert_eq!(after[0]["actor_kind"], "patient", "{path}");
        assert_eq!(after[0]["seen"], seen, "{path}");
    }
}

/// The patient's reminder choices and calendar link, from the API and from the page, are one
/// write unit each with its one audit record; the calendar feed read by its link is one read
/// audited once (before, it wrote a `patient.read` and a `calendar.read`).
#[tokio::test(flavor = "multi_thread")]
async fn the_patients_reminder_choices_calendar_link_and_feed_write_one_audit_record_each() {
    let t = TestApp::start().await;
    let (me, pid) = patient_with_record(&t, "Rhea Reminders").await;
    // Each step: what it does, and the record it must leave.
    let mut feed_path = String::new();
    let steps: [(&str, &str, &str, Value); 7] = [
        ("PUT /api/v1/me/reminders", "reminders.channels", "patient", json!(["reminders"])),
        ("POST /me/reminders", "reminders.channels", "patient", json!(["reminders"])),
        ("POST /api/v1/me/calendar", "calendar.reset", "patient", json!(["reminders"])),
        ("GET feed", "calendar.read", "system", json!(["patient", "appointments", "messages"])),
        ("POST /me/reminders/calendar", "calendar.reset", "patient", json!(["reminders"])),
        ("POST /me/reminders/calendar/off", "calendar.off", "patient", json!(["reminders"])),
        ("POST /api/v1/me/calendar/off", "calendar.off", "patient", json!(["reminders"])),
    ];
    for (step, action, actor_kind, seen) in steps {
        let before = audit_of(&t, &pid).await.len();
        match step {
            "PUT /api/v1/me/reminders" => {
                let r =
                    me.api.request("PUT", "/api/v1/me/reminders", Some(&json!({ "email": false, "sms": true }))).await;
                assert_eq!((r.expect(200)["email"].clone(), r.json["sms"].clone()), (json!(false), json!(true)));
            }
            "POST /me/reminders" => {
                let r = common::post_form(&me.api, "/me/reminders", "email=yes").await;
                assert_eq!(r.status, 303, "{}", r.text);
            }
            "POST /api/v1/me/calendar" => {
                let r = me.api.post_empty("/api/v1/me/calendar").await;
                let url = r.expect(201)["calendar_url"].as_str().unwrap().to_string();
                assert_eq!(r.json["settings"]["calendar_feed"], true, "{}", r.text);
                feed_path = url.strip_prefix(&t.base).unwrap().to_string();
            }
            "GET feed" => {
                let r = t.anon().get(&feed_path).await;
                assert_eq!(r.status, 200, "{}", r.text);
                assert!(r.text.starts_with("BEGIN:VCALENDAR"));
            }
            "POST /me/reminders/calendar" => {
                let r = common::post_form(&me.api, "/me/reminders/calendar", "").await;
                assert_eq!(r.status, 200, "{}", r.text);
                assert_eq!(t.anon().get(&feed_path).await.status, 404, "the old link stops working");
            }
            "POST /me/reminders/calendar/off" => {
                let r = common::post_form(&me.api, "/me/reminders/calendar/off", "").await;
                assert_eq!(r.status, 303, "{}", r.text);
            }
            _ => {
                let r = me.api.post_empty("/api/v1/me/calendar/off").await;
                assert_eq!(r.expect(200)["calendar_feed"], false, "{}", r.text);
            }
        }
        let after = audit_of(&t, &pid).await;
        assert_eq!(after.len(), before + 1, "{step}: {:?}", &after[..after.len() - before]);
        assert_eq!(after[0]["action"], action, "{step}");
        assert_eq!(after[0]["actor_kind"], actor_kind, "{step}");
        assert_eq!(after[0]["seen"], seen, "{step}");
    }
    // An unknown link is a plain 404 and leaves no record.
    let before = audit_of(&t, &pid).await.len();
    assert_eq!(t.anon().get("/calendar/not-a-token.ics").await.status, 404);
    assert_eq!(audit_of(&t, &pid).await.len(), before);
}

// ---- The staff side: the queue, the patient list and the record's edits ----

/// The clinic's audit log, newest first, without the witness's own reads (reading the log
/// through the API records an `audit.viewed`).
async fn clinic_log(t: &TestApp) -> Vec<Value> {
    let r = t.admin.api.get("/api/v1/audit?limit=5000").await;
    let all = r.expect(200)["entries"].as_array().unwrap().clone();
    all.into_iter().filter(|e| e["action"] != "audit.viewed").collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn the_queue_page_writes_one_audit_record() {
    let t = TestApp::start().await;
    let (patient, pid) = patient_with_session(&t, "Quinn Queue").await;
    let me = t.patient_login(&t.admin.api, &patient).await;
    me.api.post("/api/v1/me/check-ins", emergency_check_in()).await.expect(201);
    me.api.post("/api/v1/me/check-ins", contact_clinic_check_in()).await.expect(201);
    let desk = t.add_staff(&t.admin.api, "front_desk").await;
    for (who, alerts_shown, seen) in [
        (&t.admin.api, true, json!(["alerts", "check_ins", "patient", "follow_ups"])),
        (&desk.api, false, json!(["follow_ups"])),
    ] {
        let before = clinic_log(&t).await.len();
        let page = who.get("/staff").await;
        assert_eq!(page.status, 200, "{}", page.text);
        assert_eq!(page.text.contains("Quinn Queue"), alerts_shown, "alerts are shown to clinical staff only");
        let after = clinic_log(&t).await;
        // One record: its clinic-wide row, and a row of it on the trail of each patient shown.
        let added = &after[..after.len() - before];
        let shown = usize::from(alerts_shown);
        assert_eq!(added.len(), 1 + shown, "one record per view: {added:?}");
        assert!(added.iter().all(|e| e["action"] == "queue.viewed" && e["seen"] == seen), "{added:?}");
        let clinic_wide: Vec<_> = added.iter().filter(|e| e["patient"].is_null()).collect();
        assert_eq!(clinic_wide.len(), 1, "the queue spans the clinic: {added:?}");
        assert_eq!(added.iter().filter(|e| e["patient"] == pid.as_str()).count(), shown, "{added:?}");
    }
}

/// Regression (issue 13): once the queue page was audited as one clinic-wide row, the patients
/// whose check-ins and phone it showed no longer saw that view on their own trail.
#[tokio::test(flavor = "multi_thread")]
async fn queue_view_shows_on_the_alerted_patients_trail() {
    let t = TestApp::start().await;
    let (patient, pid) = patient_with_session(&t, "Tara Trail").await;
    let (_, quiet) = patient_with_session(&t, "Quiet Quill").await;
    let me = t.patient_login(&t.admin.api, &patient).await;
    me.api.post("/api/v1/me/check-ins", emergency_check_in()).await.expect(201);
    let practitioner = t.add_staff(&t.admin.api, "practitioner").await;
    let page = practitioner.api.get("/staff").await;
    assert_eq!(page.status, 200, "{}", page.text);
    let trail = audit_of(&t, &pid).await;
    let viewed =
        trail.iter().find(|e| e["action"] == "queue.viewed").expect("the queue view is on the patient's trail");
    assert_eq!(viewed["actor_id"], practitioner.id.as_str(), "{viewed}");
    let alerts = practitioner.api.get("/api/v1/alerts").await;
    alerts.expect(200);
    assert!(
        audit_of(&t, &pid).await.iter().any(|e| e["action"] == "alert.list"),
        "the alert list names the patient too"
    );
    // A patient the queue did not show has no such row.
    assert!(!audit_of(&t, &quiet).await.iter().any(|e| e["action"] == "queue.viewed" || e["action"] == "alert.list"));
}

#[tokio::test(flavor = "multi_thread")]
async fn acknowledging_and_resolving_an_alert_write_one_audit_record_each() {
    let t = TestApp::start().await;
    let (patient, pid) = patient_with_session(&t, "Ada Acknowledged").await;
    let me = t.patient_login(&t.admin.api, &patient).await;
    let first = me.api.post("/api/v1/me/check-ins", contact_clinic_check_in()).await.expect(201)["alert"]["id"].clone();
    let first = first.as_str().unwrap().to_string();

    // By the API; then, once an emergency has worsened the alert and undone the acknowledgement
    // (issue 14), by the queue page's form.
    let before = audit_of(&t, &pid).await.len();
    let r = t.admin.api.post_empty(&format!("/api/v1/alerts/{first}/acknowledge")).await;
    assert!(r.expect(200)["acknowledged_at"].is_string(), "{}", r.text);
    let second = me.api.post("/api/v1/me/check-ins", emergency_check_in()).await.expect(201)["alert"]["id"].clone();
    let second = second.as_str().unwrap().to_string();
    assert_eq!(second, first, "the emergency worsened the open alert");
    let page = common::post_form(&t.admin.api, &format!("/staff/alerts/{second}/acknowledge"), "").await;
    assert_eq!(page.status, 303, "{}", page.text);
    let all_after = audit_of(&t, &pid).await;
    let after: Vec<Value> =
        all_after[..all_after.len() - before].iter().filter(|e| e["action"] != "check_in.submit").cloned().collect();
    assert_eq!(all_after.len(), before + 3, "two acknowledgements and the check-in between: {after:?}");
    assert_eq!(after.len(), 2, "one record per acknowledgement: {after:?}");
    for (entry, alert) in after.iter().zip([&second, &first]) {
        assert_eq!(entry["action"], "alert.acknowledge");
        assert_eq!(entry["target"], alert.as_str());
        assert_eq!(entry["seen"], json!(["alerts"]));
    }

    // A refused acknowledgement changes nothing and leaves no record.
    let again = t.admin.api.post_empty(&format!("/api/v1/alerts/{first}/acknowledge")).await;
    assert_eq!((again.status, again.code()), (409, "invalid_state"), "{}", again.text);
    assert_eq!(audit_of(&t, &pid).await.len(), before + 3);

    let before = audit_of(&t, &pid).await.len();
    let done =
        t.admin.api.post(&format!("/api/v1/alerts/{first}/resolve"), json!({ "note": "called, seen in clinic" })).await;
    assert_eq!(done.expect(200)["resolution_note"], "called, seen in clinic");
    let after = audit_of(&t, &pid).await;
    assert_eq!(after.len(), before + 1, "{:?}", &after[..after.len() - before]);
    assert_eq!(
        (after[0]["action"].as_str(), after[0]["target"].as_str()),
        (Some("alert.resolve"), Some(first.as_str()))
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn reading_listing_and_changing_a_patient_write_one_audit_record_each() {
    let t = TestApp::start().await;
    let desk = t.add_staff(&t.admin.api, "front_desk").await;
    let patient = t.create_patient(&desk.api, "Rhea Record").await;
    let pid = patient["id"].as_str().unwrap().to_string();
    let edit = format!("/staff/patients/{pid}/edit");
    let steps: Vec<(&str, &str, common::Resp)> = vec![
        ("GET api", "patient.read", desk.api.get(&format!("/api/v1/patients/{pid}")).await),
        (
            "PATCH api",
            "patient.update",
            desk.api.patch(&format!("/api/v1/patients/{pid}"), json!({ "phone": "+49 30 1" })).await,
        ),
        ("GET edit", "patient.read", desk.api.get(&edit).await),
        (
            "POST edit",
            "patient.update",
            common::post_form(
                &desk.api,
                &edit,
                "name=Rhea+Record&email=rhea%40patient.example&time_zone=UTC&phone=123",
            )
            .await,
        ),
        (
            "POST edit, clinical data by the front desk",
            "patient.read",
            common::post_form(
                &desk.api,
                &edit,
                "name=Rhea+Record&email=rhea%40patient.example&time_zone=UTC&allergies=latex",
            )
            .await,
        ),
        ("POST invite api", "patient.invite", desk.api.post_empty(&format!("/api/v1/patients/{pid}/invites")).await),
        (
            "POST invite page",
            "patient.invite",
            common::post_form(&desk.api, &format!("/staff/patients/{pid}/invite"), "").await,
        ),
    ];
    // Each step was sent before the trail is read: count the records each left, in order.
    let trail = audit_of(&t, &pid).await;
    let by_desk: Vec<&Value> = trail.iter().rev().filter(|e| e["actor_id"] == desk.id.as_str()).collect();
    let actions: Vec<&str> = by_desk.iter().filter_map(|e| e["action"].as_str()).collect();
    let mut want = vec!["patient.create"];
    want.extend(steps.iter().map(|(_, action, _)| *action));
    assert_eq!(actions, want, "one record per request, in order");
    for (name, _, r) in &steps {
        assert!(r.status < 500, "{name}: {} {}", r.status, r.text);
    }
    assert_eq!(steps[4].2.status, 403, "{}", steps[4].2.text);
    assert!(by_desk[1..].iter().all(|e| e["seen"] == json!(["patient"])), "{by_desk:?}");

    let before = clinic_log(&t).await.len();
    let list = desk.api.get("/api/v1/patients?search=rhea").await;
    assert_eq!(list.expect(200)["patients"].as_array().unwrap().len(), 1);
    assert_eq!(desk.api.get("/staff/patients?q=rhea").await.status, 200);
    let after = clinic_log(&t).await;
    assert_eq!(after.len(), before + 2, "{:?}", &after[..after.len() - before]);
    assert!(after[..2].iter().all(|e| e["action"] == "patient.list" && e["seen"] == json!(["patients"])));
}

/// 10:00 on a weekday about `days` from now in the clinic's zone (Europe/Berlin, open Monday to
/// Friday): a time a booking's rules accept. Returns the date, the time and the instant.
fn bookable(days: u64) -> (String, String, String) {
    use chrono::{Datelike as _, TimeZone as _};
    let berlin = chrono_tz::Europe::Berlin;
    let mut d = Utc::now().with_timezone(&berlin).date_naive() + chrono::Days::new(days);
    while d.weekday().number_from_monday() > 5 {
        d = d + chrono::Days::new(1);
    }
    let at = berlin.from_local_datetime(&d.and_hms_opt(10, 0, 0).unwrap()).single().unwrap();
    (d.to_string(), "10:00".to_string(), at.to_rfc3339())
}

/// The id of one of the patient's pending e-mails, marked failed (the worker's dead letter).
async fn a_failed_message(t: &TestApp, staff: &common::Api, pid: &str) -> String {
    let messages = staff.get(&format!("/api/v1/patients/{pid}/messages")).await.expect(200)["messages"].clone();
    let message = messages
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["status"] == "pending" && m["channel"] == "email")
        .expect("a pending e-mail")["id"]
        .as_str()
        .unwrap()
        .to_string();
    t.fail_message(&message, "550 5.1.1 mailbox unavailable").await;
    message
}

/// Issue 13 items 1-2, appointments and messages: booking, moving and cancelling a session (from
/// the API and from the patient page's forms), the lists of appointments and messages, and "Send
/// again" are one unit each with one audit record. A booking from the API wrote eight records
/// before (the patient read three times, the clinic, the sessions twice, the appointments, the
/// plans), in as many transactions; its reads are now in the booking's own transaction.
#[tokio::test(flavor = "multi_thread")]
async fn booking_moving_cancelling_and_sending_again_write_one_audit_record_each() {
    let t = TestApp::start().await;
    let desk = t.add_staff(&t.admin.api, "front_desk").await;
    let patient = t.create_patient(&desk.api, "Bea Booking").await;
    let pid = patient["id"].as_str().unwrap().to_string();
    let booked = json!(["patient", "plans", "sessions", "appointments"]);
    let mut appointment = String::new();
    let mut message = String::new();
    let steps: [(&str, &str, Value); 10] = [
        ("POST /api/v1/patients/{id}/appointments", "appointment.book", booked.clone()),
        ("GET /api/v1/patients/{id}/appointments", "appointment.list", json!(["patient", "appointments"])),
        ("GET /api/v1/patients/{id}/messages", "message.list", json!(["patient", "messages"])),
        ("POST /api/v1/patients/{id}/appointments/{a}/reschedule", "appointment.reschedule", booked.clone()),
        (
            "POST /api/v1/patients/{id}/appointments/{a}/cancel",
            "appointment.cancel",
            json!(["patient", "appointments"]),
        ),
        ("POST /staff/patients/{id}/appointments", "appointment.book", booked.clone()),
        ("POST /staff/patients/{id}/appointments/{a}/move", "appointment.reschedule", booked.clone()),
        ("POST /api/v1/messages/{m}/retry", "message.retry", json!(["messages"])),
        ("POST /staff/messages/{m}/retry", "message.retry", json!(["messages"])),
        ("POST /staff/patients/{id}/appointments/{a}/cancel", "appointment.cancel", json!(["patient", "appointments"])),
    ];
    for (step, action, seen) in steps {
        // What "Send again" needs: a failed message (written directly, no audit record).
        if step.contains("{m}") {
            message = a_failed_message(&t, &desk.api, &pid).await;
        }
        let before = audit_of(&t, &pid).await.len();
        let path =
            step.split_once(' ').unwrap().1.replace("{id}", &pid).replace("{a}", &appointment).replace("{m}", &message);
        let target = match step {
            "POST /api/v1/patients/{id}/appointments" => {
                let r = desk.api.post(&path, json!({ "starts_at": bookable(10).2 })).await;
                appointment = r.expect(201)["id"].as_str().unwrap().to_string();
                Some(appointment.clone())
            }
            "POST /api/v1/patients/{id}/appointments/{a}/reschedule" => {
                let r = desk.api.post(&path, json!({ "starts_at": bookable(12).2 })).await;
                assert_eq!(r.expect(200)["revision"], 2, "{}", r.text);
                Some(appointment.clone())
            }
            "POST /api/v1/patients/{id}/appointments/{a}/cancel" => {
                let r = desk.api.post_empty(&path).await;
                assert_eq!(r.expect(200)["status"], "cancelled", "{}", r.text);
                Some(appointment.clone())
            }
            "POST /staff/patients/{id}/appointments" => {
                let (date, time, _) = bookable(14);
                let r = common::post_form(&desk.api, &path, &format!("date={date}&time={time}&minutes=45")).await;
                assert_eq!(r.status, 303, "{}", r.text);
                let list = desk.api.get(&format!("/api/v1/patients/{pid}/appointments")).await;
                let booked = list.expect(200)["appointments"].as_array().unwrap().clone();
                let new = booked.iter().find(|a| a["status"] == "booked").expect("the booked one");
                appointment = new["id"].as_str().unwrap().to_string();
                // The list above is a record of its own: count from after it.
                None
            }
            "POST /staff/patients/{id}/appointments/{a}/move" => {
                let (date, time, _) = bookable(16);
                let r = common::post_form(&desk.api, &path, &format!("date={date}&time={time}")).await;
                assert_eq!(r.status, 303, "{}", r.text);
                Some(appointment.clone())
            }
            "POST /staff/patients/{id}/appointments/{a}/cancel" => {
                let r = common::post_form(&desk.api, &path, "").await;
                assert_eq!(r.status, 303, "{}", r.text);
                Some(appointment.clone())
            }
            "POST /api/v1/messages/{m}/retry" => {
                let r = desk.api.post_empty(&path).await;
                assert_eq!(r.expect(200)["status"], "pending", "{}", r.text);
                Some(message.clone())
            }
            "POST /staff/messages/{m}/retry" => {
                let r = common::post_form(&desk.api, &path, &format!("patient={pid}")).await;
                assert_eq!(r.status, 303, "{}", r.text);
                Some(message.clone())
            }
            _ => {
                assert_eq!(desk.api.get(&path).await.status, 200, "{step}");
                None
            }
        };
        let after = audit_of(&t, &pid).await;
        let new = &after[..after.len() - before];
        if step == "POST /staff/patients/{id}/appointments" {
            // The booking, then the list the test read to find it.
            assert_eq!(new.len(), 2, "{step}: {new:?}");
            assert_eq!((&new[0]["action"], &new[1]["action"]), (&json!("appointment.list"), &json!(action)));
            assert_eq!(new[1]["target"], json!(appointment), "{step}");
            assert_eq!(new[1]["seen"], seen, "{step}");
            continue;
        }
        assert_eq!(new.len(), 1, "{step}: {new:?}");
        assert_eq!(after[0]["action"], action, "{step}");
        assert_eq!(after[0]["actor_kind"], "staff", "{step}");
        assert_eq!(after[0]["actor_id"], json!(desk.id), "{step}");
        assert_eq!(after[0]["seen"], seen, "{step}");
        if let Some(target) = target {
            assert_eq!(after[0]["target"], json!(target), "{step}");
        }
    }
}

/// A refused booking or move (in the past, outside opening hours, an unknown appointment) is
/// answered with the field to correct and leaves no record: its unit is dropped, nothing written.
#[tokio::test(flavor = "multi_thread")]
async fn a_refused_booking_writes_nothing() {
    let t = TestApp::start().await;
    let patient = t.create_patient(&t.admin.api, "Rex Refused").await;
    let pid = patient["id"].as_str().unwrap().to_string();
    let before = audit_of(&t, &pid).await.len();
    let past = (Utc::now() - chrono::Duration::days(1)).to_rfc3339();
    let r = t.admin.api.post(&format!("/api/v1/patients/{pid}/appointments"), json!({ "starts_at": past })).await;
    assert_eq!(r.expect(422)["field"], "starts_at", "{}", r.text);
    let after_hours = {
        let (date, _, _) = bookable(10);
        format!("{date}T23:30:00+00:00")
    };
    let r =
        t.admin.api.post(&format!("/api/v1/patients/{pid}/appointments"), json!({ "starts_at": after_hours })).await;
    assert_eq!(r.expect(422)["field"], "starts_at", "{}", r.text);
    let unknown = "01900000-0000-7000-8000-000000000000";
    let r = t
        .admin
        .api
        .post(
            &format!("/api/v1/patients/{pid}/appointments/{unknown}/reschedule"),
            json!({ "starts_at": bookable(10).2 }),
        )
        .await;
    assert_eq!(r.status, 404, "{}", r.text);
    assert_eq!(audit_of(&t, &pid).await.len(), before, "a refusal leaves no record");
    let list = t.admin.api.get(&format!("/api/v1/patients/{pid}/appointments")).await;
    assert_eq!(list.expect(200)["appointments"], json!([]), "nothing was booked");
}
