#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! Issue 11, defect 4: a screening's findings flow into the record, the plan, pre-care and
//! reminders; staff edit findings, allergies, medication and contact details on the record
//! (clinical data by clinical staff only), audited.

mod common;

use chrono::{Days, Utc};
use common::TestApp;
use common::post_form as form;
use serde_json::{Value, json};

fn pid(p: &Value) -> String {
    p["id"].as_str().unwrap().to_string()
}

fn days_ago(n: u64) -> String {
    Utc::now().date_naive().checked_sub_days(Days::new(n)).unwrap().to_string()
}

fn in_days(n: u64) -> String {
    Utc::now().date_naive().checked_add_days(Days::new(n)).unwrap().to_string()
}

/// The screening's findings (with their dates) are on the record after it, on the API and on
/// the record page; the record said "Findings on record: None" before.
#[tokio::test]
async fn screening_findings_land_on_the_record() {
    let t = TestApp::start().await;
    let prac = t.add_staff(&t.admin.api, "practitioner").await;
    let p = t.create_patient(&prac.api, "Cora Sore").await;
    let id = pid(&p);
    let sunburn = days_ago(3);
    let r = form(
        &prac.api,
        &format!("/staff/patients/{id}/screening"),
        &format!("concern=acne_scars&finding=cold_sore_history&finding=sunburn&last_sunburn={sunburn}"),
    )
    .await;
    assert_eq!(r.status, 303, "{}", r.text);
    let rec = prac.api.get(&format!("/api/v1/patients/{id}")).await;
    assert_eq!(
        rec.expect(200)["findings"],
        json!([{ "code": "cold_sore_history" }, { "code": "sunburn", "last": sunburn }]),
        "{}",
        rec.text
    );
    let page = prac.api.get(&format!("/staff/patients/{id}")).await;
    assert_eq!(page.status, 200);
    assert!(page.text.contains("cold sores"), "{}", page.text);

    // A later screening replaces the same finding's older entry and keeps unreported ones.
    let again = prac
        .api
        .post(
            &format!("/api/v1/patients/{id}/screenings"),
            json!({ "concern": "acne_scars", "findings": [{ "code": "sunburn", "last": days_ago(30) }] }),
        )
        .await;
    again.expect(201);
    let rec = prac.api.get(&format!("/api/v1/patients/{id}")).await;
    assert_eq!(
        rec.expect(200)["findings"],
        json!([{ "code": "cold_sore_history" }, { "code": "sunburn", "last": days_ago(30) }])
    );
    let audit = t.admin.api.get(&format!("/api/v1/patients/{id}/audit")).await;
    assert!(audit.text.contains("patient.findings_from_screening"), "{}", audit.text);
}

/// A patient screened with a cold-sore history gets the antiviral step on Today, in My plan and
/// in the reminders of a booked session (it got none: the record's findings were empty).
#[tokio::test]
async fn a_cold_sore_patient_sees_the_antiviral_step() {
    let t = TestApp::start().await;
    let prac = t.add_staff(&t.admin.api, "practitioner").await;
    let p = t.create_patient(&prac.api, "Herpes Hal").await;
    let id = pid(&p);
    prac.api
        .post(
            &format!("/api/v1/patients/{id}/screenings"),
            json!({ "concern": "acne_scars", "scar_grade": 2, "findings": ["cold_sore_history"] }),
        )
        .await
        .expect(201);
    let start = in_days(20);
    prac.api
        .post(&format!("/api/v1/patients/{id}/plans"), json!({ "concern": "acne_scars", "start": start }))
        .await
        .expect(201);
    let me = t.patient_login(&prac.api, &p).await;
    let antiviral = "take the antiviral medicine your prescriber has arranged";
    let today = me.api.get("/me").await;
    assert_eq!(today.status, 200, "{}", today.text);
    assert!(today.text.contains(antiviral), "Today: {}", today.text);
    let plan = me.api.get("/me/plan").await;
    assert!(plan.text.contains(antiviral), "My plan: {}", plan.text);

    let booked = prac
        .api
        .post(&format!("/api/v1/patients/{id}/appointments"), json!({ "starts_at": format!("{start}T10:00:00+01:00") }))
        .await;
    booked.expect(201);
    let messages = prac.api.get(&format!("/api/v1/patients/{id}/messages")).await;
    assert!(messages.expect(200).to_string().contains("antiviral_prophylaxis"), "{}", messages.text);
}

/// A finding recorded on the record after the plan was made still reaches the patient's pages.
#[tokio::test]
async fn a_finding_recorded_after_the_plan_still_brings_its_pre_care() {
    let t = TestApp::start().await;
    let prac = t.add_staff(&t.admin.api, "practitioner").await;
    let p = t.create_patient(&prac.api, "Late Finding").await;
    let id = pid(&p);
    t.screen_eligible(&prac.api, &id).await;
    prac.api
        .post(&format!("/api/v1/patients/{id}/plans"), json!({ "concern": "acne_scars", "start": in_days(20) }))
        .await
        .expect(201);
    prac.api.patch(&format!("/api/v1/patients/{id}"), json!({ "findings": ["anticoagulant"] })).await.expect(200);
    let me = t.patient_login(&prac.api, &p).await;
    let today = me.api.get("/me").await;
    let plan = me.api.get("/me/plan").await;
    for page in [&today, &plan] {
        assert!(page.text.contains("Talk to the doctor who prescribed your blood thinner"), "{}", page.text);
    }
}

/// Clinical staff change findings, allergies and medication through the API; the change is
/// audited and bad entries are refused naming the field.
#[tokio::test]
async fn staff_edit_findings_allergies_and_medication_audited() {
    let t = TestApp::start().await;
    let prac = t.add_staff(&t.admin.api, "practitioner").await;
    let p = t.create_patient(&prac.api, "Alla Ergic").await;
    let id = pid(&p);
    let r = prac
        .api
        .patch(
            &format!("/api/v1/patients/{id}"),
            json!({ "findings": [{ "code": "sunburn", "last": days_ago(2) }], "allergies": ["latex", " lidocaine "],
                    "medication": ["levothyroxine 50 µg daily"] }),
        )
        .await;
    let body = r.expect(200);
    assert_eq!(body["allergies"], json!(["latex", "lidocaine"]));
    assert_eq!(body["medication"], json!(["levothyroxine 50 µg daily"]));
    assert_eq!(body["findings"], json!([{ "code": "sunburn", "last": days_ago(2) }]));
    let audit = t.admin.api.get(&format!("/api/v1/patients/{id}/audit")).await;
    assert!(audit.text.contains("patient.update"), "{}", audit.text);

    let blank = prac.api.patch(&format!("/api/v1/patients/{id}"), json!({ "allergies": ["latex", " "] })).await;
    assert_eq!((blank.status, blank.json["field"].as_str()), (422, Some("allergies[1]")), "{}", blank.text);
    let many: Vec<String> = (0..31).map(|i| format!("drug {i}")).collect();
    let too_many = prac.api.patch(&format!("/api/v1/patients/{id}"), json!({ "medication": many })).await;
    assert_eq!((too_many.status, too_many.json["field"].as_str()), (422, Some("medication")), "{}", too_many.text);
}

/// The front desk may change contact details, never findings, allergies or medication.
#[tokio::test]
async fn front_desk_cannot_change_findings() {
    let t = TestApp::start().await;
    let desk = t.add_staff(&t.admin.api, "front_desk").await;
    let p = t.create_patient(&desk.api, "Desk Patient").await;
    let id = pid(&p);
    for body in [
        json!({ "findings": [] }),
        json!({ "allergies": ["latex"] }),
        json!({ "medication": ["aspirin"] }),
        json!({ "phone": "+49 30 1234", "findings": ["pregnant"] }),
    ] {
        let r = desk.api.patch(&format!("/api/v1/patients/{id}"), body.clone()).await;
        assert_eq!((r.status, r.code()), (403, "clinical_data_not_allowed"), "{body}: {}", r.text);
    }
    let made = desk.api.post("/api/v1/patients", json!({ "name": "New", "findings": ["pregnant"] })).await;
    assert_eq!(made.status, 403, "{}", made.text);
    let r = desk.api.patch(&format!("/api/v1/patients/{id}"), json!({ "phone": "+49 30 1234" })).await;
    assert_eq!(r.expect(200)["phone"], "+49 30 1234");
    let rec = t.admin.api.get(&format!("/api/v1/patients/{id}")).await;
    assert_eq!(rec.expect(200)["findings"], json!([]), "nothing clinical changed");
}

/// A plan made right after a `defer` screening was stored as eligible with no findings. Now it
/// carries the screening's deferral, its reasons and a note the record page shows.
#[tokio::test]
async fn a_plan_after_a_defer_screening_is_not_eligible() {
    let t = TestApp::start().await;
    let prac = t.add_staff(&t.admin.api, "practitioner").await;
    let p = t.create_patient(&prac.api, "Polly Pregnant").await;
    let id = pid(&p);
    let s = prac
        .api
        .post(
            &format!("/api/v1/patients/{id}/screenings"),
            json!({ "concern": "acne_scars", "findings": ["pregnant"] }),
        )
        .await;
    assert_eq!(s.expect(201)["decision"], "defer");
    let plan = prac
        .api
        .post(&format!("/api/v1/patients/{id}/plans"), json!({ "concern": "acne_scars", "start": in_days(7) }))
        .await;
    let body = plan.expect(201);
    assert_eq!(body["result"]["screening"]["decision"], "defer", "{}", plan.text);
    assert_eq!(body["request"]["findings"], json!([{ "code": "pregnant" }]), "{}", plan.text);
    let notes: Vec<&str> =
        body["result"]["notes"].as_array().unwrap().iter().filter_map(|n| n["code"].as_str()).collect();
    assert!(notes.contains(&"recorded_screening_holds"), "{notes:?}");
    let page = prac.api.get(&format!("/staff/patients/{id}")).await;
    assert!(page.text.contains("The latest screening does not allow treatment"), "{}", page.text);
}

/// A plan for a patient never screened says so.
#[tokio::test]
async fn a_plan_without_a_screening_says_so() {
    let t = TestApp::start().await;
    let prac = t.add_staff(&t.admin.api, "practitioner").await;
    let p = t.create_patient(&prac.api, "Never Screened").await;
    let id = pid(&p);
    let plan = prac
        .api
        .post(&format!("/api/v1/patients/{id}/plans"), json!({ "concern": "acne_scars", "start": in_days(7) }))
        .await;
    assert!(plan.expect(201)["result"]["notes"].to_string().contains("no_screening"), "{}", plan.text);
}

/// The record page's editor: a practitioner changes findings (with a date), allergies and
/// medication without script; the record shows them and the change is audited. A date
/// without its box is refused on the form.
#[tokio::test]
async fn staff_edit_findings_allergies_and_medication_on_the_record_page() {
    let t = TestApp::start().await;
    let prac = t.add_staff(&t.admin.api, "practitioner").await;
    let p = t.create_patient(&prac.api, "Page Edited").await;
    let id = pid(&p);
    let page = prac.api.get(&format!("/staff/patients/{id}/edit")).await;
    assert_eq!(page.status, 200, "{}", page.text);
    assert!(page.text.contains(r#"name="allergies""#) && page.text.contains(r#"name="last_sunburn""#));
    let sunburn = days_ago(4);
    let r = form(
        &prac.api,
        &format!("/staff/patients/{id}/edit"),
        &format!(
            "name=Page+Edited&time_zone=Europe%2FBerlin&phone=%2B49+30+555&clinical=yes&finding=sunburn&last_sunburn={sunburn}\
             &allergies=latex%0D%0A%0D%0Achlorhexidine&medication=levothyroxine"
        ),
    )
    .await;
    assert_eq!(r.status, 303, "{}", r.text);
    let rec = prac.api.get(&format!("/api/v1/patients/{id}")).await.expect(200).clone();
    assert_eq!(rec["findings"], json!([{ "code": "sunburn", "last": sunburn }]));
    assert_eq!(rec["allergies"], json!(["latex", "chlorhexidine"]));
    assert_eq!(rec["medication"], json!(["levothyroxine"]));
    assert_eq!(rec["phone"], "+49 30 555");
    let shown = prac.api.get(&format!("/staff/patients/{id}")).await;
    assert!(shown.text.contains("latex, chlorhexidine") && shown.text.contains("levothyroxine"), "{}", shown.text);
    let audit = t.admin.api.get(&format!("/api/v1/patients/{id}/audit")).await;
    assert!(audit.text.contains("patient.update"), "{}", audit.text);

    let bad = form(
        &prac.api,
        &format!("/staff/patients/{id}/edit"),
        &format!("name=Page+Edited&time_zone=UTC&clinical=yes&last_sunburn={sunburn}"),
    )
    .await;
    assert_eq!(bad.status, 422, "{}", bad.text);
    assert!(bad.text.contains("did not tick it"), "{}", bad.text);
    let still = prac.api.get(&format!("/api/v1/patients/{id}")).await;
    assert_eq!(still.expect(200)["findings"], json!([{ "code": "sunburn", "last": sunburn }]), "nothing changed");
}

/// The front desk edits contact details on the page; clinical data posted by the front desk is
/// refused, not dropped, and the clinical part of the form is not offered to them.
#[tokio::test]
async fn front_desk_cannot_change_findings_on_the_record_page() {
    let t = TestApp::start().await;
    let desk = t.add_staff(&t.admin.api, "front_desk").await;
    let p = t.create_patient(&desk.api, "Desk Edited").await;
    let id = pid(&p);
    let page = desk.api.get(&format!("/staff/patients/{id}/edit")).await;
    assert_eq!(page.status, 200, "{}", page.text);
    assert!(!page.text.contains(r#"name="allergies""#) && !page.text.contains(r#"name="finding""#));
    let r =
        form(&desk.api, &format!("/staff/patients/{id}/edit"), "name=Desk+Edited&time_zone=UTC&finding=pregnant").await;
    assert_eq!(r.status, 403, "{}", r.text);
    let r = form(
        &desk.api,
        &format!("/staff/patients/{id}/edit"),
        "name=Desk+Edited&time_zone=UTC&email=desk%40example.org",
    )
    .await;
    assert_eq!(r.status, 303, "{}", r.text);
    let rec = t.admin.api.get(&format!("/api/v1/patients/{id}")).await.expect(200).clone();
    assert_eq!((rec["email"].as_str(), &rec["findings"]), (Some("desk@example.org"), &json!([])));
}

/// Moves every screening of the test database `days` into the past (written directly: a
/// screening cannot be recorded in the past through the API).
async fn age_screenings(t: &TestApp, days: i64) {
    use sqlx::sqlite::{SqliteConnectOptions, SqlitePoolOptions};
    let pool = SqlitePoolOptions::new()
        .max_connections(1)
        .connect_with(SqliteConnectOptions::new().filename(&t.db_path).busy_timeout(std::time::Duration::from_secs(10)))
        .await
        .unwrap();
    sqlx::query("UPDATE screenings SET created_at = created_at - ?1")
        .bind(days * 86_400_000)
        .execute(&pool)
        .await
        .unwrap();
    pool.close().await;
}

/// A session after a screening older than the protocol allows (90 days) is blocked with the
/// reason in words on the form; a practitioner may record it with a reason. A plan says so.
#[tokio::test]
async fn a_session_after_a_stale_screening_says_so() {
    let t = TestApp::start().await;
    let prac = t.add_staff(&t.admin.api, "practitioner").await;
    let p = t.create_patient(&prac.api, "Old Screen").await;
    let id = pid(&p);
    t.screen_eligible(&prac.api, &id).await;
    age_screenings(&t, 120).await;
    let r = prac.api.post(&format!("/api/v1/patients/{id}/sessions"), common::session_body()).await;
    assert_eq!((r.status, r.code()), (409, "session_blocked"), "{}", r.text);
    assert_eq!(r.json["blockers"][0]["code"], "stale_screening", "{}", r.text);
    let page = form(
        &prac.api,
        &format!("/staff/patients/{id}/session"),
        "cold_sore_now=no&device=Pen&needle_depth_mm=1.0&area=cheeks",
    )
    .await;
    assert_eq!(page.status, 409, "{}", page.text);
    assert!(page.text.contains("longer than the protocol allows"), "{}", page.text);
    let plan = prac
        .api
        .post(&format!("/api/v1/patients/{id}/plans"), json!({ "concern": "acne_scars", "start": in_days(1) }))
        .await;
    assert!(plan.expect(201)["result"]["notes"].to_string().contains("stale_screening"), "{}", plan.text);
    let mut over = common::session_body();
    over["override_reason"] = json!("Screened again on paper today; nothing has changed.");
    over["override_blockers"] = json!(["stale_screening"]);
    prac.api.post(&format!("/api/v1/patients/{id}/sessions"), over).await.expect(201);
}
