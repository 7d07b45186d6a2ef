#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! Issue 11, defects 2 and 3: contraindications hold, a required clinician review is a recorded
//! step, and the session safety gates (interval, reactions, review) block a new session. Each
//! test is named after the defect it guards against and fails on the code before the fix.

mod common;

use chrono::{Duration, Utc};
use common::post_form as form;
use common::{Api, Member, Resp, TestApp, emergency_check_in, session_body};
use serde_json::{Value, json};

/// A screening the built-in protocol defers: pregnant, with an active cold sore.
fn pregnant_with_cold_sore() -> Value {
    json!({ "concern": "acne_scars", "scar_type": "atrophic", "scar_grade": 2,
            "findings": [{ "code": "pregnant" }, { "code": "cold_sore_active" }] })
}

/// A screening deferred by a relative contraindication only (ongoing chemotherapy is defer,
/// relative, with a clinician review).
fn chemotherapy() -> Value {
    json!({ "concern": "acne_scars", "scar_type": "atrophic", "scar_grade": 2, "findings": [{ "code": "chemotherapy" }] })
}

async fn patient_screened(t: &TestApp, prac: &Member, screening: Value) -> (String, Value) {
    let patient = t.create_patient(&t.admin.api, &t.unique("Gate Patient")).await;
    let pid = patient["id"].as_str().unwrap().to_string();
    let s = prac.api.post(&format!("/api/v1/patients/{pid}/screenings"), screening).await.expect(201).clone();
    (pid, s)
}

fn keys(r: &Resp) -> Vec<String> {
    r.json["blockers"]
        .as_array()
        .map(|b| b.iter().map(|b| b["key"].as_str().unwrap().to_string()).collect())
        .unwrap_or_default()
}

fn over(keys: &[&str], reason: &str) -> Value {
    let mut b = session_body();
    b["override_blockers"] = json!(keys);
    b["override_reason"] = json!(reason);
    b["needle_depth_mm"] = json!(2.5);
    b
}

async fn session(api: &Api, pid: &str, body: Value) -> Resp {
    api.post(&format!("/api/v1/patients/{pid}/sessions"), body).await
}

const SENTENCE: &str = "Discussed with the patient today; the risk is understood and documented.";

#[tokio::test(flavor = "multi_thread")]
async fn a_deferral_cannot_be_overridden_with_ok() {
    let t = TestApp::start().await;
    let prac = t.add_staff(&t.admin.api, "practitioner").await;
    let (pid, _) = patient_screened(&t, &prac, chemotherapy()).await;
    let blocked = session(&prac.api, &pid, session_body()).await;
    assert_eq!((blocked.status, blocked.code()), (409, "session_blocked"), "{}", blocked.text);
    let mut want = keys(&blocked);
    want.sort();
    assert_eq!(want, vec!["contraindication:chemotherapy", "review_pending"], "{}", blocked.text);

    // The review is recorded (cleared): the relative deferral alone remains.
    let screening =
        prac.api.get(&format!("/api/v1/patients/{pid}/screenings")).await.expect(200)["screenings"][0]["id"]
            .as_str()
            .unwrap()
            .to_string();
    let review = format!("/api/v1/patients/{pid}/screenings/{screening}/review");
    prac.api.post(&review, json!({ "decision": "cleared", "note": "oncology agrees" })).await.expect(200);

    for reason in ["ok", "OK", "fine by me", "  ok  "] {
        let r = session(&prac.api, &pid, over(&["contraindication:chemotherapy"], reason)).await;
        assert_eq!((r.status, r.json["field"].as_str()), (422, Some("override_reason")), "{reason:?}: {}", r.text);
    }
    // Naming nothing, or a blocker that is not there, is refused too: never silently taken.
    let r = session(&prac.api, &pid, over(&[], SENTENCE)).await;
    assert_eq!((r.status, r.json["field"].as_str()), (422, Some("override_blockers")), "{}", r.text);
    let r = session(&prac.api, &pid, over(&["contraindication:chemotherapy", "too_soon"], SENTENCE)).await;
    assert_eq!((r.status, r.json["field"].as_str()), (422, Some("override_blockers")), "{}", r.text);

    let ok = session(&prac.api, &pid, over(&["contraindication:chemotherapy"], SENTENCE)).await;
    let body = ok.expect(201);
    assert_eq!(body["session"]["override_blockers"], json!(["contraindication:chemotherapy"]));
    assert_eq!(body["session"]["override_reason"], SENTENCE);
    // Counted in the overrides list staff review, and shown on the record.
    let list = t.admin.api.get("/api/v1/overrides").await.expect(200).clone();
    let listed = list["overrides"].as_array().unwrap();
    assert_eq!(listed.len(), 1, "{list}");
    assert_eq!((listed[0]["patient"].as_str(), listed[0]["reason"].as_str()), (Some(pid.as_str()), Some(SENTENCE)));
    let page = prac.api.get("/staff/overrides").await;
    assert!(page.status == 200 && page.text.contains(SENTENCE), "{}", page.text);
    let record = prac.api.get(&format!("/staff/patients/{pid}")).await;
    assert!(record.text.contains(SENTENCE) && record.text.contains("Blockers overridden"), "{}", record.text);
}

#[tokio::test(flavor = "multi_thread")]
async fn pregnancy_blocks_a_session_whatever_the_reason() {
    let t = TestApp::start().await;
    let prac = t.add_staff(&t.admin.api, "practitioner").await;
    let (pid, s) = patient_screened(&t, &prac, pregnant_with_cold_sore()).await;
    assert_eq!(s["decision"], "defer");
    let holds: Vec<&str> =
        s["result"]["reasons"].as_array().unwrap().iter().filter_map(|r| r["hold"].as_str()).collect();
    assert_eq!(holds, vec!["absolute", "absolute"], "{s}");

    let blocked = session(&prac.api, &pid, session_body()).await;
    assert_eq!(blocked.code(), "session_blocked");
    let blockers = blocked.json["blockers"].as_array().unwrap();
    for code in ["contraindication:pregnant", "contraindication:cold_sore_active"] {
        let b = blockers.iter().find(|b| b["key"] == code).unwrap_or_else(|| panic!("{code}: {}", blocked.text));
        assert_eq!((b["overridable"].as_bool(), b["hold"].as_str()), (Some(false), Some("absolute")), "{b}");
        assert!(b["message"].as_str().unwrap().contains("only a new screening"), "{b}");
    }
    let all: Vec<String> = keys(&blocked);
    let names: Vec<&str> = all.iter().map(String::as_str).collect();
    let long = "The patient says she is no longer pregnant and the cold sore healed last week, I checked.";
    let r = session(&prac.api, &pid, over(&names, long)).await;
    assert_eq!((r.status, r.code()), (409, "session_blocked"), "{}", r.text);
    assert!(keys(&r).contains(&"contraindication:pregnant".to_string()), "{}", r.text);
    assert_eq!(prac.api.get(&format!("/api/v1/patients/{pid}/sessions")).await.expect(200)["sessions"], json!([]));

    // The page shows the blockers in words and offers no override at all.
    let page = prac.api.get(&format!("/staff/patients/{pid}/session")).await;
    assert_eq!(page.status, 200);
    assert!(page.text.contains("This cannot be overridden"), "{}", page.text);
    assert!(!page.text.contains(r#"name="override_reason""#), "no override form over an absolute hold");

    // A new screening that clears it allows the session. Findings stay on the record until a
    // clinician removes them there (a screening that does not mention them keeps them), so the
    // pregnancy and the cold sore that are over are taken off the record first.
    prac.api.patch(&format!("/api/v1/patients/{pid}"), json!({ "findings": [] })).await.expect(200);
    prac.api.post(&format!("/api/v1/patients/{pid}/screenings"), common::eligible_screening()).await.expect(201);
    t.record_session(&prac.api, &pid).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_second_session_25_hours_after_the_first_is_blocked() {
    let t = TestApp::start().await;
    let prac = t.add_staff(&t.admin.api, "practitioner").await;
    let (pid, _) = patient_screened(&t, &prac, common::eligible_screening()).await;
    t.record_session_at(&prac.api, &pid, Utc::now() - Duration::hours(25)).await;
    let r = session(&prac.api, &pid, session_body()).await;
    assert_eq!((r.status, r.code()), (409, "session_blocked"), "{}", r.text);
    let b = &r.json["blockers"][0];
    assert_eq!(
        (b["code"].as_str(), b["min_interval_days"].as_u64(), b["overridable"].as_bool()),
        (Some("too_soon"), Some(28), Some(true)),
        "{b}"
    );
    // The page says so in words before anything is posted.
    let page = prac.api.get(&format!("/staff/patients/{pid}/session")).await;
    assert!(page.text.contains("Sessions are at least 28 days apart"), "{}", page.text);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_session_after_an_emergency_alert_is_blocked() {
    let t = TestApp::start().await;
    let prac = t.add_staff(&t.admin.api, "practitioner").await;
    let (pid, _) = patient_screened(&t, &prac, common::eligible_screening()).await;
    let patient = t.admin.api.get(&format!("/api/v1/patients/{pid}")).await.expect(200).clone();
    t.record_session_at(&prac.api, &pid, Utc::now() - Duration::days(30)).await;
    let me = t.patient_login(&t.admin.api, &patient).await;
    let alert = me.api.post("/api/v1/me/check-ins", emergency_check_in()).await.expect(201)["alert"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let open = session(&prac.api, &pid, session_body()).await;
    assert_eq!(keys(&open), vec!["open_alert"], "{}", open.text);
    // Resolved an hour later, it still blocks: a reaction since the last session.
    prac.api
        .post(&format!("/api/v1/alerts/{alert}/resolve"), json!({ "note": "lip swelling, seen in A&E" }))
        .await
        .expect(200);
    let resolved = session(&prac.api, &pid, session_body()).await;
    assert_eq!(keys(&resolved), vec!["recent_alert"], "{}", resolved.text);
    assert_eq!(resolved.json["blockers"][0]["disposition"], "emergency");
    let page = prac.api.get(&format!("/staff/patients/{pid}")).await;
    assert!(
        page.text.contains("Before the next session") && page.text.contains("since the last session"),
        "{}",
        page.text
    );
    let ok = session(
        &prac.api,
        &pid,
        over(&["recent_alert"], "Allergist found a food allergy; the lip swelling was not from the session."),
    )
    .await;
    ok.expect(201);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_required_clinician_review_blocks_until_recorded() {
    let t = TestApp::start().await;
    let prac = t.add_staff(&t.admin.api, "practitioner").await;
    let review_needed = json!({ "concern": "acne_scars", "scar_type": "atrophic", "scar_grade": 2, "findings": [{ "code": "keloid_tendency" }] });
    let (pid, s) = patient_screened(&t, &prac, review_needed).await;
    assert_eq!(
        (s["decision"].as_str(), s["result"]["clinician_review_required"].as_bool()),
        (Some("eligible_with_precautions"), Some(true))
    );
    let sid = s["id"].as_str().unwrap();
    let r = session(&prac.api, &pid, session_body()).await;
    assert_eq!(keys(&r), vec!["review_pending"], "{}", r.text);
    assert_eq!(r.json["blockers"][0]["overridable"], false);

    // The review on the patient page: a form for the practitioner, none for an admin.
    let record = format!("/staff/patients/{pid}");
    let page = prac.api.get(&record).await;
    assert!(page.text.contains(&format!("/staff/patients/{pid}/screenings/{sid}/review")), "{}", page.text);
    assert!(!t.admin.api.get(&record).await.text.contains("/review\""), "an admin is not offered the review");
    // A review without a decision is refused, naming the field.
    let api_review = format!("/api/v1/patients/{pid}/screenings/{sid}/review");
    let bad = prac.api.post(&api_review, json!({ "decision": "maybe" })).await;
    assert_eq!((bad.status, bad.json["field"].as_str()), (422, Some("decision")), "{}", bad.text);
    let admin = t.admin.api.post(&api_review, json!({ "decision": "cleared" })).await;
    assert_eq!(admin.status, 403, "a review is a clinician's: {}", admin.text);

    let posted =
        form(&prac.api, &format!("{record}/screenings/{sid}/review"), "decision=not_cleared&note=scar+risk+too+high")
            .await;
    assert_eq!(posted.status, 303, "{}", posted.text);
    let r = session(&prac.api, &pid, session_body()).await;
    assert_eq!(keys(&r), vec!["review_not_cleared"], "{}", r.text);
    let screenings = prac.api.get(&format!("/api/v1/patients/{pid}/screenings")).await.expect(200).clone();
    let stored = &screenings["screenings"][0];
    assert_eq!(
        (stored["review_decision"].as_str(), stored["reviewed_by"].as_str()),
        (Some("not_cleared"), Some(prac.id.as_str()))
    );
    assert!(stored["reviewed_at"].is_string());

    prac.api.post(&api_review, json!({ "decision": "cleared", "note": "test area healed well" })).await.expect(200);
    t.record_session(&prac.api, &pid).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn front_desk_and_admin_cannot_override() {
    let t = TestApp::start().await;
    let prac = t.add_staff(&t.admin.api, "practitioner").await;
    let desk = t.add_staff(&t.admin.api, "front_desk").await;
    let (pid, _) = patient_screened(&t, &prac, common::eligible_screening()).await;
    t.record_session_at(&prac.api, &pid, Utc::now() - Duration::days(2)).await;
    let body = over(&["too_soon"], SENTENCE);
    let admin = session(&t.admin.api, &pid, body.clone()).await;
    assert_eq!((admin.status, admin.code()), (403, "override_not_allowed"), "{}", admin.text);
    let desk_r = session(&desk.api, &pid, body.clone()).await;
    assert_eq!(desk_r.status, 403, "{}", desk_r.text);
    // The page offers the override form to the practitioner only.
    let path = format!("/staff/patients/{pid}/session");
    assert!(prac.api.get(&path).await.text.contains(r#"name="override_blocker""#));
    assert!(!t.admin.api.get(&path).await.text.contains(r#"name="override_reason""#));
    assert_eq!(desk.api.get(&path).await.status, 403);
    // An admin posting the form's fields anyway is refused.
    let posted = form(
        &t.admin.api,
        &path,
        "cold_sore_now=no&device=Pen&needle_depth_mm=1.0&area=cheeks&override_blocker=too_soon&override_reason=Discussed+with+the+patient+today+at+length",
    )
    .await;
    assert_eq!(posted.status, 403, "{}", posted.text);
    assert_eq!(
        prac.api.get(&format!("/api/v1/patients/{pid}/sessions")).await.expect(200)["sessions"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    session(&prac.api, &pid, body).await.expect(201);
}

/// Issue 12 item 9: cold sores are asked about at every session, not only at the first
/// screening; an active cold sore found before the session holds it like the screening's
/// `cold_sore_active`, absolutely.
#[tokio::test(flavor = "multi_thread")]
async fn an_active_cold_sore_found_before_the_session_blocks_it_absolutely() {
    let t = TestApp::start().await;
    let prac = t.add_staff(&t.admin.api, "practitioner").await;
    let (pid, _) = patient_screened(&t, &prac, common::eligible_screening()).await;
    let mut body = session_body();
    body["cold_sore_now"] = json!(true);
    let blocked = session(&prac.api, &pid, body.clone()).await;
    assert_eq!((blocked.status, blocked.code()), (409, "session_blocked"), "{}", blocked.text);
    let b = blocked.json["blockers"].as_array().unwrap().iter().find(|b| b["key"] == "active_cold_sore").cloned();
    let b = b.unwrap_or_else(|| panic!("{}", blocked.text));
    assert_eq!(b["overridable"].as_bool(), Some(false), "{b}");
    body["override_blockers"] = json!(["active_cold_sore"]);
    body["override_reason"] = json!(SENTENCE);
    let r = session(&prac.api, &pid, body).await;
    assert_eq!((r.status, r.code()), (409, "session_blocked"), "no reason overrides it: {}", r.text);

    // The page asks every time: no answer, no session; "yes" shows the blocker in words.
    let path = format!("/staff/patients/{pid}/session");
    assert!(prac.api.get(&path).await.text.contains(r#"name="cold_sore_now""#));
    let unanswered = form(&prac.api, &path, "device=Pen&needle_depth_mm=1.0&area=cheeks").await;
    assert_eq!(unanswered.status, 422, "{}", unanswered.text);
    assert!(unanswered.text.contains("active cold sore"), "{}", unanswered.text);
    let yes = form(&prac.api, &path, "cold_sore_now=yes&device=Pen&needle_depth_mm=1.0&area=cheeks").await;
    assert_eq!(yes.status, 409, "{}", yes.text);
    assert!(yes.text.contains("An active cold sore was found before the session"), "{}", yes.text);
    assert_eq!(prac.api.get(&format!("/api/v1/patients/{pid}/sessions")).await.expect(200)["sessions"], json!([]));

    let no = form(&prac.api, &path, "cold_sore_now=no&device=Pen&needle_depth_mm=1.0&area=cheeks").await;
    assert_eq!(no.status, 303, "{}", no.text);
}

/// Issue 12 item 5: the age also comes from the patient's date of birth on record. A minor is
/// screened with clinician review and a guardian's consent, so the session waits for the review.
#[tokio::test(flavor = "multi_thread")]
async fn a_minor_on_record_is_screened_with_review_and_guardian_consent() {
    use chrono::Datelike as _;
    let t = TestApp::start().await;
    let prac = t.add_staff(&t.admin.api, "practitioner").await;
    let born = format!("{}-01-01", Utc::now().year() - 15);
    let patient = t
        .admin
        .api
        .post("/api/v1/patients", json!({ "name": t.unique("Young Patient"), "birth_date": born }))
        .await
        .expect(201)
        .clone();
    let pid = patient["id"].as_str().unwrap().to_string();
    let s = prac.api.post(&format!("/api/v1/patients/{pid}/screenings"), common::eligible_screening()).await;
    let s = s.expect(201).clone();
    assert_eq!(s["result"]["guardian_consent_required"], json!(true), "{s}");
    assert_eq!(s["result"]["clinician_review_required"], json!(true), "{s}");
    assert_eq!(s["decision"], "eligible_with_precautions", "{s}");
    let codes: Vec<&str> =
        s["result"]["precautions"].as_array().unwrap().iter().filter_map(|p| p["code"].as_str()).collect();
    assert!(codes.contains(&"guardian_consent"), "{s}");
    let blocked = session(&prac.api, &pid, session_body()).await;
    assert_eq!(blocked.code(), "session_blocked", "{}", blocked.text);
    assert!(keys(&blocked).contains(&"review_pending".to_string()), "{}", blocked.text);
}
