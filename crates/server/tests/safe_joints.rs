#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! Issue 11, the joints staff rely on: an emergency alert is not "Overdue" the moment it opens
//! (defect 7), and staff are told when messages cannot reach anyone (defect 11).

mod common;

use chrono::{DateTime, Utc};
use common::TestApp;
use serde_json::json;

#[tokio::test]
async fn an_emergency_alert_is_not_overdue_the_moment_it_opens() {
    let t = TestApp::start().await;
    let prac = t.add_staff(&t.admin.api, "practitioner").await;
    let p = t.create_patient(&prac.api, "Otto Onset").await;
    let id = p["id"].as_str().unwrap().to_string();
    t.screen_eligible(&prac.api, &id).await;
    t.record_session(&prac.api, &id).await;
    let pat = t.patient_login(&prac.api, &p).await;
    let r = pat.api.post("/api/v1/me/check-ins", common::emergency_check_in()).await;
    r.expect(201);

    let q = prac.api.get("/api/v1/alerts").await;
    let body = q.expect(200).clone();
    let alert = body["alerts"].as_array().unwrap().iter().find(|a| a["patient"] == id.as_str()).unwrap().clone();
    assert_eq!(alert["disposition"], "emergency");
    assert_eq!(alert["overdue"], false, "{alert}");
    assert_eq!(body["overdue"], 0, "{body}");
    let opened: DateTime<Utc> = alert["opened_at"].as_str().unwrap().parse().unwrap();
    let deadline: DateTime<Utc> = alert["deadline_at"].as_str().unwrap().parse().unwrap();
    assert!(deadline >= opened + chrono::Duration::minutes(30), "the call back, not 'at once': {alert}");

    let page = prac.api.get("/staff").await;
    assert_eq!(page.status, 200, "{}", page.text);
    assert!(!page.text.contains(r#"<span class="overdue">"#), "{}", page.text);
}

#[tokio::test]
async fn the_emergency_call_back_time_is_a_clinic_setting() {
    let t = TestApp::start().await;
    let r = t.admin.api.get("/api/v1/clinic").await;
    let mut settings = r.expect(200)["settings"].clone();
    assert_eq!(settings["response"]["emergency_minutes"], 30, "the default: {settings}");
    settings["response"]["emergency_minutes"] = json!(0);
    let r = t.admin.api.patch("/api/v1/clinic", json!({ "settings": settings })).await;
    assert_eq!(r.status, 422, "{}", r.text);
    assert_eq!(r.json["field"], "settings.response.emergency_minutes");
}

#[tokio::test]
async fn the_queue_and_settings_warn_when_no_reminder_channel_works() {
    let t = TestApp::start().await;
    for path in ["/staff", "/staff/settings"] {
        let page = t.admin.api.get(path).await;
        assert_eq!(page.status, 200, "{path}: {}", page.text);
        assert!(page.text.contains("Messages are not reaching people"), "{path}: {}", page.text);
        assert!(page.text.contains("No e-mail server is set up"), "{path}");
        assert!(page.text.contains("No text-message gateway"), "{path}");
    }
}
