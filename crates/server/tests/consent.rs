#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! Consent (issue 15): a session cannot be recorded without the patient's consent to the current
//! treatment text, and nobody overrides that; the patient signs in the portal without
//! JavaScript (full name typed and the confirmation), a minor's guardian signs with their
//! relationship, a new text asks for consent again, a withdrawal is honoured at once, a consent
//! given on paper is recorded by a clinician, and the printable copy holds the exact text.

mod common;

use chrono::{Datelike as _, Utc};
use common::*;
use serde_json::json;

fn codes(r: &Resp) -> Vec<String> {
    r.json["blockers"]
        .as_array()
        .map(|b| b.iter().map(|b| b["code"].as_str().unwrap().to_string()).collect())
        .unwrap_or_default()
}

async fn screened_patient(t: &TestApp, prac: &Member, name: &str) -> (serde_json::Value, String) {
    let patient = t.create_patient_without_consent(&t.admin.api, name).await;
    let pid = patient["id"].as_str().unwrap().to_string();
    t.screen_eligible(&prac.api, &pid).await;
    (patient, pid)
}

fn signature(kind: &str, version: u64, name: &str) -> serde_json::Value {
    json!({ "kind": kind, "version": version, "typed_name": name, "confirm": true })
}

#[tokio::test(flavor = "multi_thread")]
async fn a_session_without_consent_is_refused_and_nobody_overrides_it() {
    let t = TestApp::start().await;
    let prac = t.add_staff(&t.admin.api, "practitioner").await;
    let (patient, pid) = screened_patient(&t, &prac, "Cora Consent").await;
    let sessions = format!("/api/v1/patients/{pid}/sessions");
    let blocked = prac.api.post(&sessions, session_body()).await;
    assert_eq!((blocked.status, codes(&blocked)), (409, vec!["consent_missing".to_string()]), "{}", blocked.text);
    assert_eq!(blocked.json["blockers"][0]["overridable"], false);
    let mut over = session_body();
    over["override_blockers"] = json!(["consent_missing"]);
    over["override_reason"] = json!("The patient agreed verbally in the room before the session today.");
    let still = prac.api.post(&sessions, over).await;
    assert_eq!((still.status, codes(&still)), (409, vec!["consent_missing".to_string()]), "{}", still.text);

    // The patient signs in the portal, as a plain form (no JavaScript): refused without the
    // confirmation, naming it; taken with it.
    let me = t.patient_login(&t.admin.api, &patient).await;
    let page = me.api.get("/me/consent").await;
    assert_eq!(page.status, 200);
    assert!(page.text.contains("Consent to microneedling for acne scars"), "the built-in text is shown");
    assert!(page.text.contains("002_71106a54b86a9294.txt"), "the text names its sources");
    let unconfirmed = post_form(&me.api, "/me/consent", "kind=treatment&version=1&typed_name=Cora+Consent").await;
    assert_eq!(unconfirmed.status, 422, "{}", unconfirmed.text);
    assert!(unconfirmed.text.contains("confirm that you have read the text"), "{}", unconfirmed.text);
    assert!(unconfirmed.text.contains("value=\"Cora Consent\""), "what was typed is kept");
    let form = me
        .api
        .builder(reqwest::Method::POST, "/me/consent")
        .header("content-type", "application/x-www-form-urlencoded")
        .header("user-agent", "PhoneBrowser/1.0")
        .body("kind=treatment&version=1&typed_name=Cora+Consent&confirm=yes");
    let signed = read(form).await;
    assert_eq!(signed.status, 303, "{}", signed.text);
    prac.api.post(&sessions, session_body()).await.expect(201);

    // What was kept: the version, the hash of the exact text, the address and the browser; the
    // printable copy shows the text and the signature.
    let mine = me.api.get("/api/v1/me/consents").await.expect(200).clone();
    let latest = &mine["statuses"][0]["latest"];
    assert_eq!((latest["version"].as_u64(), latest["typed_name"].as_str()), (Some(1), Some("Cora Consent")));
    assert_eq!(latest["sha256"], mine["statuses"][0]["text"]["sha256"]);
    assert_eq!(latest["sha256"].as_str().unwrap().len(), 64);
    let kept = (latest["address"].as_str(), latest["user_agent"].as_str());
    assert_eq!(kept, (Some("127.0.0.1"), Some("PhoneBrowser/1.0")), "{latest}");
    let copy = me.api.get(&format!("/me/consent/{}", latest["id"].as_str().unwrap())).await;
    assert_eq!(copy.status, 200);
    assert!(copy.text.contains(latest["sha256"].as_str().unwrap()) && copy.text.contains("Less common risks"));
    let audit = t.admin.api.get(&format!("/api/v1/patients/{pid}/audit")).await.expect(200).clone();
    let actions: Vec<&str> = audit["entries"].as_array().unwrap().iter().filter_map(|e| e["action"].as_str()).collect();
    assert!(actions.contains(&"consent.signed") && actions.contains(&"consent.copy_viewed"), "{actions:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_new_text_asks_for_consent_again_and_a_withdrawal_is_honoured_at_once() {
    let t = TestApp::start().await;
    let prac = t.add_staff(&t.admin.api, "practitioner").await;
    let (patient, pid) = screened_patient(&t, &prac, "Vera Version").await;
    let me = t.patient_login(&t.admin.api, &patient).await;
    me.api.post("/api/v1/me/consents", signature("treatment", 1, "Vera Version")).await.expect(201);

    // The clinic publishes version 2 (a text that says the same is refused: versions mean changes).
    let texts = "/api/v1/consent-texts";
    let current = t.admin.api.get(texts).await.expect(200)["current"][0]["body"].as_str().unwrap().to_string();
    let same = t.admin.api.post(texts, json!({ "kind": "treatment", "body": current })).await;
    assert_eq!(same.status, 409, "{}", same.text);
    let empty = t.admin.api.post(texts, json!({ "kind": "treatment", "body": "  " })).await;
    assert_eq!((empty.status, empty.json["field"].as_str()), (422, Some("body")), "{}", empty.text);
    let v2 = format!("{current}\nNew: we also use a numbing cream (Chu2021).");
    let published = t.admin.api.post(texts, json!({ "kind": "treatment", "body": v2 })).await.expect(201).clone();
    assert_eq!(published["version"], 2);
    let desk = t.add_staff(&t.admin.api, "front_desk").await;
    assert_eq!(desk.api.post(texts, json!({ "kind": "treatment", "body": "mine" })).await.status, 403);

    // Today tells the patient before the visit.
    let today = me.api.get("/me").await;
    assert!(today.text.contains("updated its treatment consent"), "Today asks for the new consent");
    let sessions = format!("/api/v1/patients/{pid}/sessions");
    let outdated = prac.api.post(&sessions, session_body()).await;
    assert_eq!(codes(&outdated), vec!["consent_outdated"], "{}", outdated.text);
    // Signing the old text is a conflict that says which version is current.
    let stale = me.api.post("/api/v1/me/consents", signature("treatment", 1, "Vera Version")).await;
    assert_eq!(stale.status, 409, "{}", stale.text);
    assert!(stale.text.contains("version 2 is current"), "{}", stale.text);
    let again = me.api.post("/api/v1/me/consents", signature("treatment", 2, "Vera Version")).await.expect(201).clone();
    assert!(!me.api.get("/me").await.text.contains("treatment consent"), "and stops once it is signed");
    prac.api.post(&sessions, session_body()).await.expect(201);

    // Withdrawn by the patient: the next session is refused at once.
    let id = again["id"].as_str().unwrap();
    me.api.post(&format!("/api/v1/me/consents/{id}/withdraw"), json!({ "note": "not now" })).await.expect(200);
    // (The next session would also be too soon: both are said, and consent is not overridable.)
    let withdrawn = prac.api.post(&sessions, session_body()).await;
    assert_eq!(codes(&withdrawn), vec!["consent_withdrawn", "too_soon"], "{}", withdrawn.text);
    assert_eq!(withdrawn.json["blockers"][0]["overridable"], false);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_minors_consent_is_a_guardians_and_an_adults_guardian_field_is_not_ignored() {
    let t = TestApp::start().await;
    let prac = t.add_staff(&t.admin.api, "practitioner").await;
    let born = format!("{}-01-01", Utc::now().year() - 15);
    let minor = t
        .admin
        .api
        .post("/api/v1/patients", json!({ "name": "Mila Minor", "birth_date": born }))
        .await
        .expect(201)
        .clone();
    let mid = minor["id"].as_str().unwrap().to_string();
    prac.api.post(&format!("/api/v1/patients/{mid}/screenings"), eligible_screening()).await.expect(201);
    let consents = format!("/api/v1/patients/{mid}/consents");
    assert_eq!(prac.api.get(&consents).await.expect(200)["guardian_required"], true);
    let no_guardian = prac.api.post(&consents, signature("treatment", 1, "Mila Minor")).await;
    assert_eq!((no_guardian.status, no_guardian.json["field"].as_str()), (422, Some("guardian_relationship")));
    let mut by_mother = signature("treatment", 1, "Greta Guardian");
    by_mother["guardian_relationship"] = json!("mother");
    let recorded = prac.api.post(&consents, by_mother).await.expect(201).clone();
    assert_eq!(recorded["signer"], json!({ "by": "guardian", "relationship": "mother" }));
    assert_eq!((recorded["on_paper"].as_bool(), recorded["typed_name"].as_str()), (Some(true), Some("Greta Guardian")));
    let page = prac.api.get(&format!("/staff/patients/{mid}")).await;
    assert!(page.text.contains("Greta Guardian (mother)"), "the record says who signed");

    // An adult signs for themselves: a relationship typed for an adult is refused, not dropped.
    let (adult, _) = screened_patient(&t, &prac, "Ada Adult").await;
    let me = t.patient_login(&t.admin.api, &adult).await;
    let mut odd = signature("treatment", 1, "Ada Adult");
    odd["guardian_relationship"] = json!("mother");
    let refused = me.api.post("/api/v1/me/consents", odd).await;
    assert_eq!(
        (refused.status, refused.json["field"].as_str()),
        (422, Some("guardian_relationship")),
        "{}",
        refused.text
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn only_clinicians_see_and_record_consents_and_messages_follow_their_consent() {
    let t = TestApp::start().await;
    let prac = t.add_staff(&t.admin.api, "practitioner").await;
    let desk = t.add_staff(&t.admin.api, "front_desk").await;
    let patient = t.create_patient_without_consent(&desk.api, "Mona Messages").await;
    let pid = patient["id"].as_str().unwrap();
    let consents = format!("/api/v1/patients/{pid}/consents");
    assert_eq!(desk.api.get(&consents).await.status, 403);
    assert_eq!(desk.api.post(&consents, signature("treatment", 1, "Mona")).await.status, 403);
    let page = post_form(
        &desk.api,
        &format!("/staff/patients/{pid}/consent"),
        "text=treatment%401&typed_name=Mona&confirm=yes",
    )
    .await;
    assert_eq!(page.status, 403);

    // The consent to messages turns messages on; withdrawing it turns them off.
    t.admin.api.patch(&format!("/api/v1/patients/{pid}"), json!({ "consent_messages": false })).await.expect(200);
    let given = prac.api.post(&consents, signature("messages", 1, "Mona Messages")).await.expect(201).clone();
    assert_eq!(prac.api.get(&format!("/api/v1/patients/{pid}")).await.expect(200)["consent_messages"], true);
    let withdraw = format!("{consents}/{}/withdraw", given["id"].as_str().unwrap());
    prac.api.post(&withdraw, json!({})).await.expect(200);
    assert_eq!(prac.api.get(&format!("/api/v1/patients/{pid}")).await.expect(200)["consent_messages"], false);
    assert_eq!(prac.api.post(&withdraw, json!({})).await.status, 409, "withdrawn once");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_paper_consent_keeps_the_scan_of_the_signed_page_once() {
    let t = TestApp::start().await;
    let prac = t.add_staff(&t.admin.api, "practitioner").await;
    let desk = t.add_staff(&t.admin.api, "front_desk").await;
    let (patient, pid) = screened_patient(&t, &prac, "Sana Scan").await;
    let paper =
        prac.api.post(&format!("/api/v1/patients/{pid}/consents"), signature("treatment", 1, "Sana Scan")).await;
    let cid = paper.expect(201)["id"].as_str().unwrap().to_string();
    let scan = format!("/api/v1/patients/{pid}/consents/{cid}/scan");
    let png = small_png();

    assert_eq!(post_multipart(&desk.api, &scan, &[], Some(&png)).await.status, 403, "the front desk attaches nothing");
    let none = post_multipart(&prac.api, &scan, &[], None).await;
    assert_eq!((none.status, none.json["field"].as_str()), (422, Some("photo")), "{}", none.text);
    let bad = post_multipart(&prac.api, &scan, &[], Some(b"not an image")).await;
    assert_eq!((bad.status, bad.json["field"].as_str()), (422, Some("scan")), "{}", bad.text);
    let attached = post_multipart(&prac.api, &scan, &[], Some(&png)).await;
    assert_eq!(attached.expect(200)["scan_sha256"].as_str().map(str::len), Some(64), "{}", attached.text);
    let again = post_multipart(&prac.api, &scan, &[], Some(&png)).await;
    assert_eq!(again.status, 409, "a scan is never replaced: {}", again.text);

    // Read back: a JPEG (re-encoded, no metadata), never cached, audited; not for the front desk.
    let (status, headers, bytes) = get_bytes(&prac.api, &scan).await;
    assert_eq!((status, headers.get("content-type").unwrap().to_str().unwrap()), (200, "image/jpeg"));
    assert_eq!(headers.get("cache-control").unwrap(), "no-store");
    assert_eq!(&bytes[..2], &[0xFF, 0xD8], "a JPEG");
    assert_eq!(get_bytes(&desk.api, &scan).await.0, 403);
    let audit = t.admin.api.get(&format!("/api/v1/patients/{pid}/audit")).await.expect(200).clone();
    assert!(audit.to_string().contains("consent.scan_attached") && audit.to_string().contains("consent.scan_viewed"));

    // A consent given in the portal has no paper to scan.
    let me = t.patient_login(&t.admin.api, &patient).await;
    let mine = me.api.post("/api/v1/me/consents", signature("photo_record", 1, "Sana Scan")).await.expect(201).clone();
    let portal = format!("/api/v1/patients/{pid}/consents/{}/scan", mine["id"].as_str().unwrap());
    assert_eq!(post_multipart(&prac.api, &portal, &[], Some(&png)).await.status, 409);

    // The record's plain form attaches a scan to a paper consent (CSRF as a field).
    let second =
        prac.api.post(&format!("/api/v1/patients/{pid}/consents"), signature("messages", 1, "Sana Scan")).await;
    let second = second.expect(201)["id"].as_str().unwrap().to_string();
    let page = prac.api.get(&format!("/staff/patients/{pid}")).await;
    assert!(page.text.contains(&format!("/staff/patients/{pid}/consent/{second}/scan")), "{}", page.text);
    let csrf = prac.api.csrf.clone().unwrap();
    let mut browser = prac.api.clone();
    browser.csrf = None;
    let form = post_multipart(
        &browser,
        &format!("/staff/patients/{pid}/consent/{second}/scan"),
        &[("_csrf", csrf.as_str())],
        Some(&png),
    )
    .await;
    assert_eq!(form.status, 303, "{}", form.text);
    let page = prac.api.get(&format!("/staff/patients/{pid}?consent=scanned")).await;
    assert!(page.text.contains("The scan of the signed paper was attached."), "{}", page.text);
    assert!(page.text.contains(&format!("/api/v1/patients/{pid}/consents/{second}/scan")), "the link to the scan");
}
