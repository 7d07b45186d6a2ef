#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! Issue 13 item 4: English sentences are not written into rows. The store keeps reason codes
//! (why a follow-up was raised, why a message was withdrawn); the queue page and the API say them
//! in words through the locale, the same words as before; rows written before codes still read.

mod common;

use std::time::Duration;

use common::TestApp;
use sqlx::sqlite::{SqliteConnectOptions, SqlitePool, SqlitePoolOptions};

async fn pool(t: &TestApp) -> SqlitePool {
    SqlitePoolOptions::new()
        .max_connections(1)
        .connect_with(SqliteConnectOptions::new().filename(&t.db_path).busy_timeout(Duration::from_secs(10)))
        .await
        .unwrap()
}

#[tokio::test]
async fn follow_up_reasons_are_stored_as_codes_and_said_in_words() {
    let t = TestApp::start().await;
    let prac = t.add_staff(&t.admin.api, "practitioner").await;
    let p = t.create_patient(&prac.api, "Sina Silent").await;
    let id = p["id"].as_str().unwrap().to_string();
    t.screen_eligible(&prac.api, &id).await;
    t.record_session_at(&prac.api, &id, chrono::Utc::now() - chrono::Duration::weeks(4)).await;
    assert!(t.raise_missed_check_ins().await >= 1);

    let db = pool(&t).await;
    let stored: Vec<(String,)> = sqlx::query_as("SELECT reason FROM follow_ups").fetch_all(&db).await.unwrap();
    assert!(!stored.is_empty());
    for (reason,) in &stored {
        assert!(reason.starts_with("missed_check_in"), "a code, not a sentence: {reason}");
    }

    let list = t.admin.api.get("/api/v1/follow-ups").await;
    let reasons: Vec<String> = list.expect(200)["follow_ups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["reason"].as_str().unwrap().to_string())
        .collect();
    assert!(reasons.contains(&"no check-in on day 1 after the session".to_string()), "{reasons:?}");

    let queue = t.admin.api.get("/staff").await;
    assert!(queue.text.contains("no check-in on day 1 after the session"), "{}", queue.text);

    // A follow-up raised before codes holds its sentence: shown as it is.
    sqlx::query("UPDATE follow_ups SET reason = 'no check-in on day 99 after the session (written by 1.x)'")
        .execute(&db)
        .await
        .unwrap();
    db.close().await;
    let list = t.admin.api.get("/api/v1/follow-ups").await;
    assert_eq!(list.expect(200)["follow_ups"][0]["reason"], "no check-in on day 99 after the session (written by 1.x)");
    let queue = t.admin.api.get("/staff").await;
    assert!(queue.text.contains("no check-in on day 99 after the session (written by 1.x)"), "{}", queue.text);
}

#[tokio::test]
async fn a_withdrawn_reminder_keeps_a_code_and_the_api_says_why_in_words() {
    let t = TestApp::start().await;
    let p = t.create_patient(&t.admin.api, "Carl Cancel").await;
    let id = p["id"].as_str().unwrap().to_string();
    // A weekday at 10:00 in the clinic's zone: inside the default opening hours.
    let starts = {
        use chrono::{Datelike, TimeZone};
        let tz: chrono_tz::Tz = "Europe/Berlin".parse().unwrap();
        let mut d = chrono::Utc::now().with_timezone(&tz).date_naive() + chrono::Days::new(9);
        while d.weekday().number_from_monday() > 5 {
            d = d + chrono::Days::new(1);
        }
        tz.from_local_datetime(&d.and_hms_opt(10, 0, 0).unwrap()).single().unwrap().to_rfc3339()
    };
    let booked = t
        .admin
        .api
        .post(&format!("/api/v1/patients/{id}/appointments"), serde_json::json!({ "starts_at": starts }))
        .await;
    let appointment = booked.expect(201)["id"].as_str().unwrap().to_string();
    t.admin.api.post_empty(&format!("/api/v1/patients/{id}/appointments/{appointment}/cancel")).await.expect(200);

    let db = pool(&t).await;
    let stored: Vec<(Option<String>,)> =
        sqlx::query_as("SELECT last_error FROM messages WHERE status = 'withdrawn'").fetch_all(&db).await.unwrap();
    db.close().await;
    assert!(!stored.is_empty(), "cancelling withdraws the reminders");
    assert!(stored.iter().all(|(e,)| e.as_deref() == Some("withdrawn:appointment_cancelled")), "{stored:?}");

    let messages = t.admin.api.get(&format!("/api/v1/patients/{id}/messages")).await;
    let listed = messages.expect(200)["messages"].as_array().unwrap().clone();
    let withdrawn: Vec<_> = listed.iter().filter(|m| m["status"] == "withdrawn").collect();
    assert!(!withdrawn.is_empty());
    assert!(withdrawn.iter().all(|m| m["last_error"] == "the appointment was cancelled"), "{listed:?}");
}
