#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! Issue 12, items 12 and 13 (the recording side): a session records its numbing cream and its
//! needle depth per area as structured data, bad input is refused naming the field, the
//! protocol's limits give warnings (stored with the session, never blocking), and a check-in
//! after the session hands its facts to triage.

mod common;

use common::post_form as form;
use common::{TestApp, self_care_check_in};
use serde_json::{Value, json};

fn codes(session: &Value) -> Vec<&str> {
    session["warnings"].as_array().unwrap().iter().map(|w| w["code"].as_str().unwrap()).collect()
}

async fn screened_patient(t: &TestApp, prac: &common::Member, fitzpatrick: Option<u8>) -> String {
    let patient = t.create_patient(&t.admin.api, &t.unique("Numbing Patient")).await;
    let pid = patient["id"].as_str().unwrap().to_string();
    if let Some(f) = fitzpatrick {
        t.admin.api.patch(&format!("/api/v1/patients/{pid}"), json!({ "fitzpatrick": f })).await.expect(200);
    }
    let r = prac.api.post(&format!("/api/v1/patients/{pid}/screenings"), common::eligible_screening()).await;
    r.expect(201);
    pid
}

#[tokio::test(flavor = "multi_thread")]
async fn numbing_and_depth_per_area_are_recorded_with_their_warnings() {
    let t = TestApp::start().await;
    let prac = t.add_staff(&t.admin.api, "practitioner").await;
    let pid = screened_patient(&t, &prac, Some(5)).await;
    let body = json!({
        "device": "Dermapen 4",
        "depths": [{ "area": "forehead", "depth_mm": 1.0 }, { "area": "cheeks", "depth_mm": 2.0 }],
        "numbing": { "agent": "lidocaine_prilocaine", "area_cm2": 450, "minutes": 90, "occluded": true, "removed": false },
        "numbing_note": "applied by the nurse",
    });
    let r = prac.api.post(&format!("/api/v1/patients/{pid}/sessions"), body).await;
    let s = r.expect(201)["session"].clone();
    // The deepest depth is derived; the areas default to the depths' areas.
    assert_eq!(s["needle_depth_mm"], 2.0);
    assert_eq!(s["areas"], json!(["forehead", "cheeks"]));
    assert_eq!(s["numbing"]["agent"], "lidocaine_prilocaine");
    assert_eq!(s["numbing_note"], "applied by the nurse");
    assert_eq!(
        codes(&s),
        [
            "numbing_occluded",
            "numbing_not_removed",
            "numbing_area_over_max",
            "numbing_time_over_max",
            "numbing_methaemoglobinaemia_risk",
            "depth_over_area_max",
            "depth_over_area_max",
            "depth_darker_skin",
        ],
        "{}",
        r.text
    );
    for w in s["warnings"].as_array().unwrap() {
        assert!(!w["sources"].as_array().unwrap().is_empty(), "every warning carries sources: {w}");
    }
    // Stored with the session.
    let listed = prac.api.get(&format!("/api/v1/patients/{pid}/sessions")).await;
    assert_eq!(listed.expect(200)["sessions"][0]["warnings"], s["warnings"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_numbing_and_depth_input_is_refused_naming_the_field() {
    let t = TestApp::start().await;
    let prac = t.add_staff(&t.admin.api, "practitioner").await;
    let pid = screened_patient(&t, &prac, None).await;
    let path = format!("/api/v1/patients/{pid}/sessions");
    let numbing = json!({ "agent": "lidocaine", "area_cm2": 200, "minutes": 45, "occluded": false, "removed": true });
    let cases = [
        (
            json!({ "device": "Pen", "needle_depth_mm": 1.0, "areas": ["cheeks"], "numbing": "lidocaine 5%" }),
            "numbing",
            "numbing_note",
        ),
        (
            json!({ "device": "Pen", "needle_depth_mm": 1.0, "areas": ["cheeks"], "numbing": { "agent": "emla_max", "area_cm2": 1, "minutes": 1, "occluded": false, "removed": true } }),
            "numbing.agent",
            "lidocaine_prilocaine",
        ),
        (
            json!({ "device": "Pen", "needle_depth_mm": 1.0, "areas": ["cheeks"], "numbing": { "agent": "lidocaine", "area_cm2": 100, "minutes": 30, "occluded": false } }),
            "numbing.removed",
            "removed",
        ),
        (
            json!({ "device": "Pen", "needle_depth_mm": 1.0, "areas": ["cheeks"], "numbing": { "agent": "lidocaine", "area_cm2": -5, "minutes": 30, "occluded": false, "removed": true } }),
            "numbing.area_cm2",
            "cm²",
        ),
        (json!({ "device": "Pen", "depths": [{ "area": "elbow", "depth_mm": 1.0 }] }), "depths[0].area", "forehead"),
        (json!({ "device": "Pen", "depths": [{ "area": "cheeks", "depth_mm": 4.0 }] }), "depths[0].depth_mm", "3"),
        (
            json!({ "device": "Pen", "needle_depth_mm": 1.0, "depths": [{ "area": "cheeks", "depth_mm": 1.5 }] }),
            "needle_depth_mm",
            "deepest",
        ),
        (json!({ "device": "Pen", "areas": ["cheeks"], "numbing": numbing }), "depths", "needle_depth_mm"),
    ];
    for (body, field, says) in cases {
        let r = prac.api.post(&path, body.clone()).await;
        assert_eq!((r.status, r.json["field"].as_str()), (422, Some(field)), "{body}: {}", r.text);
        assert!(r.json["detail"].as_str().unwrap().contains(says), "{body}: {}", r.text);
    }
    // The old shape still works: one depth, free-text areas, no numbing.
    let r = prac.api.post(&path, common::session_body()).await;
    let s = &r.expect(201)["session"];
    assert_eq!((s["needle_depth_mm"].as_f64(), s["numbing"].is_null(), codes(s).len()), (Some(1.0), true, 0));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_check_in_after_a_session_with_numbing_tells_triage_the_session_facts() {
    let t = TestApp::start().await;
    let prac = t.add_staff(&t.admin.api, "practitioner").await;
    let pid = screened_patient(&t, &prac, None).await;
    let body = json!({
        "device": "Dermapen 4",
        "depths": [{ "area": "cheeks", "depth_mm": 1.5 }, { "area": "nose", "depth_mm": 0.5 }],
        "numbing": { "agent": "lidocaine", "area_cm2": 200, "minutes": 40, "occluded": false, "removed": true },
    });
    let s = prac.api.post(&format!("/api/v1/patients/{pid}/sessions"), body).await;
    assert!(codes(&s.expect(201)["session"]).is_empty(), "{}", s.text);
    let r = prac.api.post(&format!("/api/v1/patients/{pid}/check-ins"), self_care_check_in()).await;
    let stored = &r.expect(201)["check_in"]["request"];
    assert_eq!(stored["session"], json!({ "numbing": true, "depth_mm": 1.5 }), "{}", r.text);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_check_in_after_a_session_without_numbing_says_so() {
    let t = TestApp::start().await;
    let prac = t.add_staff(&t.admin.api, "practitioner").await;
    let pid = screened_patient(&t, &prac, None).await;
    t.record_session(&prac.api, &pid).await;
    let r = prac.api.post(&format!("/api/v1/patients/{pid}/check-ins"), self_care_check_in()).await;
    let stored = &r.expect(201)["check_in"]["request"];
    assert_eq!(stored["session"], json!({ "numbing": false, "depth_mm": 1.0 }), "{}", r.text);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_session_form_records_numbing_and_depth_per_area() {
    let t = TestApp::start().await;
    let prac = t.add_staff(&t.admin.api, "practitioner").await;
    let pid = screened_patient(&t, &prac, None).await;
    let base = format!("/staff/patients/{pid}");
    let page = prac.api.get(&format!("{base}/session")).await;
    assert_eq!(page.status, 200);
    for needle in [
        r#"name="depth_forehead""#,
        r#"name="depth_cheeks""#,
        r#"<select id="numbing_agent" name="numbing_agent""#,
        r#"value="lidocaine_prilocaine""#,
        r#"name="numbing_removed" type="checkbox" value="yes" checked"#,
        "Usual maximum 0.5 mm; thin skin over bone",
    ] {
        assert!(page.text.contains(needle), "the form lacks {needle}");
    }

    // Numbing chosen without its area: refused, shown again at the field, values kept.
    let bad = form(
        &prac.api,
        &format!("{base}/session"),
        "cold_sore_now=no&device=Pen&depth_cheeks=1.5&numbing_agent=lidocaine&numbing_minutes=30",
    )
    .await;
    assert_eq!(bad.status, 422, "{}", bad.text);
    assert!(bad.text.contains(r#"id="numbing_area_cm2" name="numbing_area_cm2" type="number" min="1" max="2000" step="1" inputmode="decimal" value="" aria-invalid="true""#), "{}", bad.text);
    assert!(bad.text.contains(r#"value="1.5""#));
    // A depth past the protocol's range: the error sits at that area's input.
    let deep = form(&prac.api, &format!("{base}/session"), "cold_sore_now=no&device=Pen&depth_cheeks=3.5").await;
    assert_eq!(deep.status, 422, "{}", deep.text);
    assert!(
        deep.text.contains(r#"value="3.5" aria-describedby="depth_cheeks-hint" aria-invalid="true""#),
        "{}",
        deep.text
    );

    let ok = form(
        &prac.api,
        &format!("{base}/session"),
        "cold_sore_now=no&device=Pen&depth_forehead=1.0&depth_cheeks=1.5&numbing_agent=lidocaine&numbing_area_cm2=200&numbing_minutes=90&numbing_removed=yes",
    )
    .await;
    assert_eq!(ok.status, 303, "{}", ok.text);
    let s = &prac.api.get(&format!("/api/v1/patients/{pid}/sessions")).await.expect(200)["sessions"][0].clone();
    assert_eq!(s["needle_depth_mm"], 1.5);
    assert_eq!(
        s["numbing"],
        json!({ "agent": "lidocaine", "area_cm2": 200.0, "minutes": 90.0, "occluded": false, "removed": true })
    );
    assert_eq!(codes(s), ["numbing_time_over_max", "depth_over_area_max"]);
    let record = prac.api.get(&base).await;
    assert!(record.text.contains("Forehead 1 mm, Cheeks 1.5 mm"), "{}", record.text);
    assert!(record.text.contains("Lidocaine cream 4-5 %, 200 cm², 90 min"), "{}", record.text);
    assert!(record.text.contains("Forehead: 1 mm, usual maximum 0.5 mm"), "{}", record.text);
}
