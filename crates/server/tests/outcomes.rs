#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! Scar grades and outcomes over a series (issue 15, part 5): a clinician grades at baseline,
//! after every second session and 3 and 6 months after the last; the patient answers the
//! questionnaire from two weeks after an even session, once per milestone; the reminders ask
//! them to, and after the last session the yearly maintenance reminder is scheduled. Bad input
//! names its field; the front desk sees no grades.

mod common;

use chrono::Duration;
use common::*;
use needlepath_server::clinic::Clock as _;
use serde_json::{Value, json};

async fn planned_patient(t: &TestApp, prac: &Member, name: &str) -> (Value, String) {
    let patient = t.create_patient(&t.admin.api, name).await;
    let pid = patient["id"].as_str().unwrap().to_string();
    t.screen_eligible(&prac.api, &pid).await;
    let start = (t.clock.now() + Duration::days(1)).date_naive().to_string();
    let plan = json!({ "concern": "acne_scars", "scar_grade": 3, "start": start });
    prac.api.post(&format!("/api/v1/patients/{pid}/plans"), plan).await.expect(201);
    (patient, pid)
}

fn message_keys(messages: &Value, kind: &str) -> usize {
    messages["messages"].as_array().unwrap().iter().filter(|m| m["kind"] == kind).count()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_series_is_graded_and_answered_at_its_milestones() {
    let t = TestApp::start().await;
    let prac = t.add_staff(&t.admin.api, "practitioner").await;
    let desk = t.add_staff(&t.admin.api, "front_desk").await;
    let (patient, pid) = planned_patient(&t, &prac, "Olga Outcome").await;
    let grades = format!("/api/v1/patients/{pid}/grades");
    let outcomes = format!("/api/v1/patients/{pid}/outcomes");

    // Before a plan: nothing is due, and the answer says so (not an error).
    let unplanned = t.create_patient(&t.admin.api, "Ursula Unplanned").await;
    let empty = prac.api.get(&format!("/api/v1/patients/{}/outcomes", unplanned["id"].as_str().unwrap())).await;
    assert_eq!(
        (empty.json["plan_id"].is_null(), empty.json["milestones"].as_array().map(Vec::len)),
        (true, Some(0)),
        "{}",
        empty.text
    );
    let before = prac.api.get(&outcomes).await.expect(200).clone();
    let planned = before["sessions_planned"].as_u64().unwrap();
    assert!(planned >= 3, "{before}");
    let codes: Vec<&str> =
        before["milestones"].as_array().unwrap().iter().map(|m| m["milestone"].as_str().unwrap()).collect();
    assert_eq!(codes[0], "baseline");
    assert!(codes.contains(&"after_session_2") && codes.ends_with(&["months_3", "months_6"]), "{codes:?}");
    assert_eq!(desk.api.get(&outcomes).await.status, 403, "the front desk sees no grades");
    assert_eq!(desk.api.post(&grades, json!({ "milestone": "baseline", "grade": 3 })).await.status, 403);

    // Bad input names its field; a milestone the series has not reached is refused.
    for (body, field) in [
        (json!({ "milestone": "baseline", "grade": 5 }), "grade"),
        (json!({ "milestone": "after_session_3", "grade": 3, "improvement": "improved" }), "milestone"),
        (json!({ "milestone": "baseline", "grade": 3, "improvement": "improved" }), "improvement"),
        (json!({ "milestone": "after_session_2", "grade": 3 }), "improvement"),
        (json!({ "milestone": "after_session_2", "grade": 2, "improvement": "improved" }), "milestone"),
        (json!({ "milestone": "baseline", "grade": 3, "colour": "red" }), "colour"),
    ] {
        let r = prac.api.post(&grades, body.clone()).await;
        assert_eq!((r.status, r.json["field"].as_str()), (422, Some(field)), "{body}: {}", r.text);
    }
    let base = prac
        .api
        .post(&grades, json!({ "milestone": "baseline", "grade": 3, "note": "Rolling and boxcar, both cheeks." }))
        .await;
    assert_eq!(base.expect(201)["grade"], 3);

    // Two sessions four weeks apart; the second opens the questionnaire two weeks on.
    t.record_session(&prac.api, &pid).await;
    t.clock.travel(Duration::days(30));
    let second = t.record_session(&prac.api, &pid).await;
    let sent = prac.api.get(&format!("/api/v1/patients/{pid}/messages")).await.expect(200).clone();
    assert_eq!(message_keys(&sent, "outcome"), 2, "one questionnaire reminder per channel: {sent}");
    assert!(second["session"]["id"].is_string() || second["id"].is_string());

    let me = t.patient_login(&t.admin.api, &patient).await;
    let mine = me.api.get("/api/v1/me/outcomes").await.expect(200).clone();
    assert_eq!(mine["questionnaire_open"], Value::Null, "not before two weeks");
    let early = me
        .api
        .post(
            "/api/v1/me/outcomes",
            json!({ "milestone": "after_session_2", "improvement": "improved", "satisfaction": 7, "recommend": true }),
        )
        .await;
    assert_eq!((early.status, early.json["field"].as_str()), (422, Some("milestone")), "{}", early.text);
    t.clock.travel(Duration::days(15));
    let mine = me.api.get("/api/v1/me/outcomes").await.expect(200).clone();
    assert_eq!(mine["questionnaire_open"], "after_session_2");
    for (body, field) in [
        (
            json!({ "milestone": "after_session_2", "improvement": "improved", "satisfaction": 11, "recommend": true }),
            "satisfaction",
        ),
        (
            json!({ "milestone": "after_session_2", "improvement": "better", "satisfaction": 7, "recommend": true }),
            "improvement",
        ),
        (
            json!({ "milestone": "baseline", "improvement": "improved", "satisfaction": 7, "recommend": true }),
            "milestone",
        ),
    ] {
        let r = me.api.post("/api/v1/me/outcomes", body.clone()).await;
        assert_eq!((r.status, r.json["field"].as_str()), (422, Some(field)), "{body}: {}", r.text);
    }
    let answer =
        json!({ "milestone": "after_session_2", "improvement": "much_improved", "satisfaction": 8, "recommend": true });
    me.api.post("/api/v1/me/outcomes", answer.clone()).await.expect(201);
    let again = me.api.post("/api/v1/me/outcomes", answer).await;
    assert_eq!(again.status, 409, "once per milestone: {}", again.text);
    assert_eq!(me.api.get("/api/v1/me/outcomes").await.expect(200)["questionnaire_open"], Value::Null);
    assert_eq!(
        me.api.post(&grades, json!({ "milestone": "baseline", "grade": 1 })).await.status,
        403,
        "a patient grades nothing"
    );

    // The clinician's grade after session 2: the change since baseline is shown.
    prac.api
        .post(&grades, json!({ "milestone": "after_session_2", "grade": 2, "improvement": "improved" }))
        .await
        .expect(201);
    let now = prac.api.get(&outcomes).await.expect(200).clone();
    let row = now["milestones"].as_array().unwrap().iter().find(|m| m["milestone"] == "after_session_2").unwrap();
    assert_eq!((row["grade_change"].as_i64(), row["answer"]["satisfaction"].as_u64()), (Some(1), Some(8)), "{row}");
    assert_eq!(row["assessment"]["improvement"], "improved");

    // The rest of the series: the last session schedules the 3- and 6-month questionnaires and
    // the yearly maintenance reminder.
    for _ in 2..planned {
        t.clock.travel(Duration::days(30));
        // The store dates a screening by the wall clock, not the travelling one: past 90 days
        // the clinician overrides the stale screening, as they may.
        let mut body = session_body();
        body["override_blockers"] = json!(["stale_screening"]);
        body["override_reason"] = json!("Screened again verbally today; nothing has changed since the last screening.");
        let r = prac.api.post(&format!("/api/v1/patients/{pid}/sessions"), body).await;
        assert!(r.status == 201 || (r.status == 422 && r.text.contains("is not blocking this session")), "{}", r.text);
        if r.status != 201 {
            t.record_session(&prac.api, &pid).await;
        }
    }
    let sent = prac.api.get(&format!("/api/v1/patients/{pid}/messages")).await.expect(200).clone();
    assert_eq!(message_keys(&sent, "maintenance"), 2, "{sent}");
    let expected_outcome = 2 * (planned / 2 + 2) as usize;
    assert_eq!(message_keys(&sent, "outcome"), expected_outcome, "{sent}");

    // Every grading and answer is audited.
    let audit = t.admin.api.get(&format!("/api/v1/patients/{pid}/audit")).await.expect(200).clone();
    let actions: Vec<&str> = audit["entries"].as_array().unwrap().iter().filter_map(|e| e["action"].as_str()).collect();
    assert_eq!(actions.iter().filter(|a| **a == "outcome.graded").count(), 2, "{actions:?}");
    assert_eq!(actions.iter().filter(|a| **a == "outcome.answered").count(), 1, "{actions:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_pages_grade_answer_and_chart_without_javascript() {
    let t = TestApp::start().await;
    let prac = t.add_staff(&t.admin.api, "practitioner").await;
    let desk = t.add_staff(&t.admin.api, "front_desk").await;
    let (patient, pid) = planned_patient(&t, &prac, "Paula Pages").await;
    let record = format!("/staff/patients/{pid}");

    // The staff record: the progress section with the grade form; the front desk sees neither.
    let page = prac.api.get(&record).await;
    assert!(page.text.contains("id=\"progress\"") && page.text.contains("action=\"/staff/patients/"), "{}", page.text);
    let desk_page = desk.api.get(&record).await;
    assert_eq!(desk_page.status, 200);
    assert!(!desk_page.text.contains("id=\"progress\""), "the front desk sees no grades");
    let refused =
        post_form(&prac.api, &format!("{record}/grades"), "milestone=baseline&grade=7&improvement=&note=").await;
    assert_eq!(refused.status, 422, "{}", refused.text);
    assert!(refused.text.contains("grade") && refused.text.contains("1, 2, 3 or 4"), "{}", refused.text);
    let saved =
        post_form(&prac.api, &format!("{record}/grades"), "milestone=baseline&grade=3&improvement=&note=Boxcar+scars")
            .await;
    assert_eq!(saved.status, 303, "{}", saved.text);
    let page = prac.api.get(&format!("{record}?grade=saved")).await;
    assert!(page.text.contains("The grade was saved.") && page.text.contains("3 – moderate"), "{}", page.text);
    assert!(page.text.contains("<svg class=\"outcome-chart\""), "the chart is drawn");

    // Two sessions; two weeks later the patient is asked, on Today and My plan, and answers on
    // a plain form.
    t.record_session(&prac.api, &pid).await;
    t.clock.travel(Duration::days(30));
    t.record_session(&prac.api, &pid).await;
    t.clock.travel(Duration::days(15));
    let me = t.patient_login(&t.admin.api, &patient).await;
    let today = me.api.get("/me").await;
    assert!(today.text.contains("href=\"/me/outcome\""), "Today links the questionnaire: {}", today.text);
    let form = me.api.get("/me/outcome").await;
    assert!(form.text.contains("name=\"milestone\" value=\"after_session_2\""), "{}", form.text);
    let bad = post_form(
        &me.api,
        "/me/outcome",
        "milestone=after_session_2&improvement=improved&satisfaction=12&recommend=yes",
    )
    .await;
    assert_eq!(bad.status, 422, "{}", bad.text);
    assert!(
        bad.text.contains("0 to 10") && bad.text.contains("value=\"improved\" required checked"),
        "kept: {}",
        bad.text
    );
    let sent = post_form(
        &me.api,
        "/me/outcome",
        "milestone=after_session_2&improvement=improved&satisfaction=7&recommend=yes",
    )
    .await;
    assert_eq!(sent.status, 303, "{}", sent.text);
    let thanks = me.api.get("/me/outcome?done=sent").await;
    assert!(
        thanks.text.contains("Thank you") && thanks.text.contains("no questions for you right now"),
        "{}",
        thanks.text
    );
    let plan = me.api.get("/me/plan").await;
    assert!(plan.text.contains("<svg class=\"outcome-chart\"") && plan.text.contains("7/10"), "{}", plan.text);
    assert!(plan.text.contains("id=\"compare\""), "My plan has the comparison section");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_clinic_sees_its_outcomes_by_period_and_practitioner_and_exports_them() {
    let t = TestApp::start().await;
    let prac = t.add_staff(&t.admin.api, "practitioner").await;
    let (patient, pid) = planned_patient(&t, &prac, "Rita Report").await;
    let grades = format!("/api/v1/patients/{pid}/grades");
    prac.api.post(&grades, json!({ "milestone": "baseline", "grade": 3 })).await.expect(201);
    t.record_session(&prac.api, &pid).await;
    let me = t.patient_login(&t.admin.api, &patient).await;
    let alerted = me.api.post("/api/v1/me/check-ins", contact_clinic_check_in()).await.expect(201).clone();
    let alert = alerted["alert"]["id"].as_str().unwrap();
    let note = json!({ "note": "Called back; settled with cool compresses." });
    prac.api.post(&format!("/api/v1/alerts/{alert}/resolve"), note).await.expect(200);
    t.clock.travel(Duration::days(30));
    // The alert since the last session asks for a clinician's word before the next one.
    let mut body = session_body();
    let first = prac.api.post(&format!("/api/v1/patients/{pid}/sessions"), body.clone()).await;
    if first.status == 409 {
        let keys: Vec<Value> = first.json["blockers"].as_array().unwrap().iter().map(|b| b["key"].clone()).collect();
        body["override_blockers"] = json!(keys);
        body["override_reason"] = json!("Reviewed the resolved alert with the patient; the skin has settled fully.");
        prac.api.post(&format!("/api/v1/patients/{pid}/sessions"), body).await.expect(201);
    } else {
        first.expect(201);
    }
    t.clock.travel(Duration::days(15));
    prac.api
        .post(&grades, json!({ "milestone": "after_session_2", "grade": 2, "improvement": "improved" }))
        .await
        .expect(201);
    let answer =
        json!({ "milestone": "after_session_2", "improvement": "much_improved", "satisfaction": 9, "recommend": true });
    me.api.post("/api/v1/me/outcomes", answer).await.expect(201);

    let report = t.admin.api.get("/api/v1/outcomes?period=quarter").await.expect(200).clone();
    let rows = report["rows"].as_array().unwrap();
    let total_sessions: u64 =
        rows.iter().filter(|r| r["practitioner_id"].is_null()).map(|r| r["sessions"].as_u64().unwrap()).sum();
    assert_eq!(total_sessions, 2, "{report}");
    let alerts: u64 = rows
        .iter()
        .filter(|r| r["practitioner_id"].is_null())
        .flat_map(|r| r["alerts"].as_array().unwrap().clone())
        .map(|c| c["count"].as_u64().unwrap())
        .sum();
    assert_eq!(alerts, 1, "the contact-clinic check-in's alert counts against its session: {report}");
    assert!(rows.iter().any(|r| r["grade_changes"] == json!([{ "value": 1, "count": 1 }])), "{report}");
    assert!(rows.iter().any(|r| r["satisfaction_mean"] == json!(9.0)), "{report}");
    assert!(rows.iter().any(|r| r["practitioner"].as_str().unwrap() != "All practitioners"), "per practitioner too");

    // Bad spans name their field; only admins see the report.
    let bad = t.admin.api.get("/api/v1/outcomes?from=2027-13-01").await;
    assert_eq!((bad.status, bad.json["field"].as_str()), (422, Some("from")), "{}", bad.text);
    let bad = t.admin.api.get("/api/v1/outcomes?period=week").await;
    assert_eq!((bad.status, bad.json["field"].as_str()), (422, Some("period")), "{}", bad.text);
    assert_eq!(prac.api.get("/api/v1/outcomes").await.status, 403);
    assert_eq!(prac.api.get("/staff/outcomes").await.status, 403);

    // The page: a chart and a table per figure; the CSV: the same rows.
    let page = t.admin.api.get("/staff/outcomes?period=quarter").await;
    assert_eq!(page.status, 200, "{}", page.text);
    for id in ["sessions", "complications", "adherence", "grades", "ratings", "satisfaction", "overrides"] {
        assert!(page.text.contains(&format!("id=\"fig-{id}\"")), "{id}: {}", page.text);
    }
    assert!(
        page.text.matches("<svg class=\"bar-chart\"").count() >= 7 && page.text.contains("<table class=\"outcomes\">")
    );
    let csv = t.admin.api.get("/staff/outcomes.csv?period=quarter").await;
    assert_eq!(csv.status, 200);
    assert_eq!(csv.header("content-type"), Some("text/csv; charset=utf-8"));
    assert!(csv.header("content-disposition").unwrap().starts_with("attachment; filename=\"outcomes-"));
    let lines: Vec<&str> = csv.text.split("\r\n").filter(|l| !l.is_empty()).collect();
    assert!(lines[0].starts_with("period,practitioner,sessions,"), "{}", csv.text);
    assert_eq!(lines.len(), 1 + rows.len(), "one line per row: {}", csv.text);
}
