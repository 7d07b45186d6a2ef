#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! The OpenAPI document tells the truth:
//!
//! - `docs/openapi.json` is exactly `openapi::document()` (pretty JSON and a newline), so the
//!   committed description cannot drift from the code;
//! - every API route of the table is in it, with its method and its documented success status;
//! - a realistic flow through the whole API (setup, staff, tokens, patients, screening, plans,
//!   sessions, check-ins, alerts, follow-ups, audit, the patient's own routes, appointments,
//!   messages and reminder choices, the decisions)
//!   answers bodies that validate against the schema the document declares for each route and
//!   status, and every 4xx on the way is a valid Problem document.

mod common;

use std::collections::{BTreeMap, BTreeSet};

use common::{Api, Resp, TestApp, contact_clinic_check_in, eligible_screening, emergency_check_in, session_body};
use needlepath_server::openapi::document;
use needlepath_server::routes::table;
use serde_json::{Value, json};

#[test]
fn the_committed_document_is_up_to_date() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/openapi.json");
    let committed = std::fs::read_to_string(path).expect("docs/openapi.json exists");
    let generated = serde_json::to_string_pretty(&document()).unwrap() + "\n";
    assert!(committed == generated, "docs/openapi.json is out of date: run `cargo run -- openapi > docs/openapi.json`");
}

#[test]
fn every_api_route_is_documented_with_its_method_and_status() {
    let doc = document();
    let mut missing = Vec::new();
    for route in table() {
        let op = &doc["paths"][route.path][route.method.to_lowercase()];
        if !route.api {
            assert!(op.is_null(), "{} {} is a page, not part of the JSON API", route.method, route.path);
            continue;
        }
        if !op.is_object() {
            missing.push(format!("{} {}", route.method, route.path));
            continue;
        }
        assert!(
            op["responses"][route.status.to_string()].is_object(),
            "{} {}: status {}",
            route.method,
            route.path,
            route.status
        );
        if let Some(schema) = route.response {
            assert!(
                doc["components"]["schemas"][schema].is_object(),
                "{} {}: schema {schema}",
                route.method,
                route.path
            );
        }
    }
    assert!(missing.is_empty(), "routes missing from the document: {missing:?}");
    let documented: usize = doc["paths"].as_object().unwrap().values().map(|p| p.as_object().unwrap().len()).sum();
    assert_eq!(documented, table().iter().filter(|r| r.api).count(), "the document has no routes the table lacks");
}

/// Validates answers against the document, remembering which routes it saw succeed.
struct Checker {
    doc: Value,
    validators: BTreeMap<String, jsonschema::Validator>,
    succeeded: BTreeSet<(String, String)>,
    problems: usize,
}

impl Checker {
    fn new() -> Self {
        Self { doc: document(), validators: BTreeMap::new(), succeeded: BTreeSet::new(), problems: 0 }
    }

    fn validator(&mut self, schema: &str) -> &jsonschema::Validator {
        let components = self.doc["components"].clone();
        self.validators.entry(schema.to_string()).or_insert_with(|| {
            let root = json!({ "$ref": format!("#/components/schemas/{schema}"), "components": components });
            jsonschema::options().should_validate_formats(true).build(&root).unwrap_or_else(|e| panic!("{schema}: {e}"))
        })
    }

    #[track_caller]
    fn validate(&mut self, schema: &str, what: &str, body: &Value) {
        let errors: Vec<String> =
            self.validator(schema).iter_errors(body).map(|e| format!("{e} at {}", e.instance_path())).collect();
        assert!(errors.is_empty(), "{what}: the body does not match {schema}:\n{}\nbody: {body}", errors.join("\n"));
    }

    /// Sends `method route` (with `path` filled in) and checks the answer against the document.
    async fn call(&mut self, api: &Api, method: &str, route: &str, path: &str, body: Option<Value>) -> Resp {
        let r = api.request(method, path, body.as_ref()).await;
        self.check(method, route, path, r)
    }

    /// Posts a multipart/form-data upload and checks the answer against the document.
    async fn upload(
        &mut self,
        api: &Api,
        route: &str,
        path: &str,
        fields: &[(&str, &str)],
        photo: Option<&[u8]>,
    ) -> Resp {
        let op = &self.doc["paths"][route]["post"];
        assert!(op["requestBody"]["content"]["multipart/form-data"].is_object(), "{route} takes multipart/form-data");
        let r = common::post_multipart(api, path, fields, photo).await;
        self.check("POST", route, path, r)
    }

    /// GETs an image and checks it is what the document says: `image/jpeg`.
    async fn image(&mut self, api: &Api, route: &str, path: &str) {
        let (status, headers, bytes) = common::get_bytes(api, path).await;
        assert_eq!(status, 200, "GET {path}");
        let declared = &self.doc["paths"][route]["get"]["responses"]["200"]["content"];
        assert!(declared["image/jpeg"].is_object(), "GET {route} declares image/jpeg: {declared}");
        assert_eq!(headers.get("content-type").unwrap(), "image/jpeg");
        assert_eq!(&bytes[..2], &[0xFF, 0xD8]);
        self.succeeded.insert(("GET".to_string(), route.to_string()));
    }

    fn check(&mut self, method: &str, route: &str, path: &str, r: Resp) -> Resp {
        let what = format!("{method} {path} → {}", r.status);
        let op = self.doc["paths"][route][method.to_lowercase()].clone();
        assert!(op.is_object(), "{method} {route} is not in the document");
        if (200..300).contains(&r.status) {
            let declared = &op["responses"][r.status.to_string()];
            assert!(declared.is_object(), "{what}: status not documented ({})", op["responses"]);
            if let Some(reference) = declared["content"]["application/json"]["schema"]["$ref"].as_str() {
                let schema = reference.rsplit('/').next().unwrap().to_string();
                self.validate(&schema, &what, &r.json);
            }
            self.succeeded.insert((method.to_string(), route.to_string()));
        } else if (400..500).contains(&r.status) {
            assert_eq!(r.header("content-type"), Some("application/problem+json"), "{what}");
            self.validate("Problem", &what, &r.json);
            assert_eq!(r.json["status"], r.status, "{what}");
            self.problems += 1;
        } else {
            panic!("{what}: {}", r.text);
        }
        r
    }
}

#[test]
fn the_schema_check_does_reject_wrong_bodies() {
    let mut c = Checker::new();
    let patient = json!({
        "id": "01a1fe35-a44c-766e-9e4e-a94fcbe2815b", "clinic": "01a1fe35-a44c-766e-9e4e-a94fcbe2815c",
        "name": "N", "time_zone": "UTC", "findings": [], "allergies": [], "medication": [], "consent_messages": false
    });
    assert!(c.validator("Patient").is_valid(&patient));
    let mut bad_id = patient.clone();
    bad_id["id"] = json!("not-a-uuid");
    assert!(!c.validator("Patient").is_valid(&bad_id), "formats are checked");
    assert!(!c.validator("Patient").is_valid(&json!({ "id": 5 })), "references resolve to the real schema");
    // Through a reference inside a reference: a list whose item lacks a required field.
    assert!(!c.validator("PatientList").is_valid(&json!({ "patients": [{ "name": "N" }] })));
    assert!(!c.validator("Problem").is_valid(&json!({ "code": "x" })));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_realistic_flow_matches_the_documented_schemas() {
    let t = TestApp::spawn().await;
    let mut c = Checker::new();
    let anon = t.anon();

    for p in ["/healthz", "/readyz"] {
        c.call(&anon, "GET", p, p, None).await;
    }
    let served = c.call(&anon, "GET", "/api/v1/openapi.json", "/api/v1/openapi.json", None).await;
    assert_eq!(served.json, document());
    let token = t.setup_token().await.unwrap();
    let bad = c.call(&anon, "POST", "/api/v1/setup", "/api/v1/setup", Some(json!({ "token": token }))).await;
    assert_eq!(bad.status, 422);
    c.call(&anon, "POST", "/api/v1/setup", "/api/v1/setup", Some(TestApp::setup_body(&token))).await.expect(201);
    let wrong = json!({ "email": "ada.admin@one.example", "password": "not the password" });
    assert_eq!(c.call(&anon, "POST", "/api/v1/auth/login", "/api/v1/auth/login", Some(wrong)).await.status, 401);
    let login = json!({ "email": "ada.admin@one.example", "password": common::PASSWORD });
    c.call(&anon, "POST", "/api/v1/auth/login", "/api/v1/auth/login", Some(login)).await.expect(200);
    let admin = t.login("ada.admin@one.example", common::PASSWORD).await.api;
    c.call(&admin, "GET", "/api/v1/auth/session", "/api/v1/auth/session", None).await.expect(200);
    assert_eq!(c.call(&anon, "GET", "/api/v1/auth/session", "/api/v1/auth/session", None).await.status, 401);
    // Metrics are an admin's (issue 14).
    c.call(&admin, "GET", "/metrics", "/metrics", None).await.expect(200);
    assert_eq!(c.call(&anon, "GET", "/metrics", "/metrics", None).await.status, 401);

    // The clinic, its staff and tokens.
    let clinic = c.call(&admin, "GET", "/api/v1/clinic", "/api/v1/clinic", None).await.expect(200).clone();
    let update = json!({ "name": "Clinic One", "settings": clinic["settings"] });
    c.call(&admin, "PATCH", "/api/v1/clinic", "/api/v1/clinic", Some(update)).await.expect(200);
    let bad_zone =
        c.call(&admin, "PATCH", "/api/v1/clinic", "/api/v1/clinic", Some(json!({ "time_zone": "Europe/Berln" }))).await;
    assert_eq!(bad_zone.json["field"], "time_zone");
    let new = json!({
        "email": "pia@one.example", "name": "Pia Practitioner", "role": "practitioner", "password": common::PASSWORD
    });
    let pia = c.call(&admin, "POST", "/api/v1/staff", "/api/v1/staff", Some(new.clone())).await.expect(201).clone();
    assert_eq!(c.call(&admin, "POST", "/api/v1/staff", "/api/v1/staff", Some(new)).await.status, 409);
    let pia_path = format!("/api/v1/staff/{}", pia["id"].as_str().unwrap());
    c.call(&admin, "PATCH", "/api/v1/staff/{id}", &pia_path, Some(json!({ "name": "Pia P." }))).await.expect(200);
    c.call(&admin, "GET", "/api/v1/staff", "/api/v1/staff", None).await.expect(200);
    let prac = t.login("pia@one.example", common::PASSWORD).await.api;
    assert_eq!(c.call(&prac, "GET", "/api/v1/staff", "/api/v1/staff", None).await.status, 403);
    let new_token = json!({ "name": "lab integration", "role": "practitioner" });
    let tok = c.call(&admin, "POST", "/api/v1/tokens", "/api/v1/tokens", Some(new_token)).await.expect(201).clone();
    let bearer = t.anon().with_bearer(tok["secret"].as_str().unwrap());
    c.call(&bearer, "GET", "/api/v1/auth/session", "/api/v1/auth/session", None).await.expect(200);
    c.call(&admin, "GET", "/api/v1/tokens", "/api/v1/tokens", None).await.expect(200);

    // A patient from record to check-in.
    let new_patient = json!({ "name": "Nora Flow", "email": "nora@patient.example", "phone": "+49 30 1234567",
        "birth_date": "1990-05-17", "fitzpatrick": 3, "findings": ["cold_sore_history"], "consent_messages": true });
    let patient =
        c.call(&admin, "POST", "/api/v1/patients", "/api/v1/patients", Some(new_patient)).await.expect(201).clone();
    let pid = patient["id"].as_str().unwrap().to_string();
    let p = |rest: &str| format!("/api/v1/patients/{pid}{rest}");
    c.call(&admin, "GET", "/api/v1/patients", "/api/v1/patients?search=nora", None).await.expect(200);
    c.call(&admin, "GET", "/api/v1/patients/{id}", &p(""), None).await.expect(200);
    let missing = format!("/api/v1/patients/{}", uuid::Uuid::now_v7());
    assert_eq!(c.call(&admin, "GET", "/api/v1/patients/{id}", &missing, None).await.status, 404);
    c.call(&admin, "PATCH", "/api/v1/patients/{id}", &p(""), Some(json!({ "phone": null }))).await.expect(200);
    let blocked = c.call(&prac, "POST", "/api/v1/patients/{id}/sessions", &p("/sessions"), Some(session_body())).await;
    assert_eq!(blocked.code(), "session_blocked");
    let s =
        c.call(&prac, "POST", "/api/v1/patients/{id}/screenings", &p("/screenings"), Some(eligible_screening())).await;
    let sid = s.expect(201)["id"].as_str().unwrap().to_string();
    let review = format!("/api/v1/patients/{pid}/screenings/{sid}/review");
    let route = "/api/v1/patients/{id}/screenings/{screening_id}/review";
    c.call(&prac, "POST", route, &review, Some(json!({ "decision": "cleared", "note": "fine" }))).await.expect(200);
    c.call(&prac, "GET", "/api/v1/patients/{id}/screenings", &p("/screenings"), None).await.expect(200);
    let plan = json!({ "concern": "acne_scars", "scar_grade": 2, "start": "2027-01-04" });
    let planned = c
        .call(&prac, "POST", "/api/v1/patients/{id}/plans", &p("/plans"), Some(plan.clone()))
        .await
        .expect(201)
        .clone();
    c.call(&prac, "GET", "/api/v1/patients/{id}/plans", &p("/plans"), None).await.expect(200);
    let mut session = session_body();
    session["plan_id"] = planned["id"].clone();
    session["products"] = json!(["hyaluronic acid serum"]);
    // Consent (issue 15): the texts, an edited one published, the treatment consent recorded
    // from paper, then the session.
    c.call(&admin, "GET", "/api/v1/consent-texts", "/api/v1/consent-texts", None).await.expect(200);
    let text = json!({ "kind": "photo_marketing", "body": "Our marketing text. Sources: none needed." });
    c.call(&admin, "POST", "/api/v1/consent-texts", "/api/v1/consent-texts", Some(text)).await.expect(201);
    let consents =
        c.call(&prac, "GET", "/api/v1/patients/{id}/consents", &p("/consents"), None).await.expect(200).clone();
    assert_eq!(consents["statuses"][0]["state"], "not_given");
    let paper = json!({ "kind": "treatment", "version": 1, "typed_name": "Nora Flow", "confirm": true });
    let signed =
        c.call(&prac, "POST", "/api/v1/patients/{id}/consents", &p("/consents"), Some(paper)).await.expect(201).clone();
    let scan = format!("/api/v1/patients/{pid}/consents/{}/scan", signed["id"].as_str().unwrap());
    let route = "/api/v1/patients/{id}/consents/{consent_id}/scan";
    c.upload(&prac, route, &scan, &[], Some(&common::small_png())).await.expect(200);
    c.image(&prac, route, &scan).await;
    let unconfirmed = json!({ "kind": "messages", "version": 1, "typed_name": "Nora Flow", "confirm": false });
    assert_eq!(
        c.call(&prac, "POST", "/api/v1/patients/{id}/consents", &p("/consents"), Some(unconfirmed)).await.status,
        422
    );
    c.call(&prac, "POST", "/api/v1/patients/{id}/sessions", &p("/sessions"), Some(session)).await.expect(201);
    let _ = signed;
    c.call(&prac, "GET", "/api/v1/patients/{id}/sessions", &p("/sessions"), None).await.expect(200);
    c.call(&admin, "GET", "/api/v1/overrides", "/api/v1/overrides", None).await.expect(200);
    let by_phone = Some(contact_clinic_check_in());
    c.call(&prac, "POST", "/api/v1/patients/{id}/check-ins", &p("/check-ins"), by_phone).await.expect(201);
    c.call(&prac, "GET", "/api/v1/patients/{id}/check-ins", &p("/check-ins"), None).await.expect(200);
    c.call(&admin, "POST", "/api/v1/patients/{id}/invites", &p("/invites"), None).await.expect(202);
    let invite = json!({ "token": t.latest_invite_token(&pid).await });
    c.call(&admin, "GET", "/api/v1/patients/{id}/audit", &p("/audit"), None).await.expect(200);

    // The patient's own routes.
    let redeem = Some(json!({ "token": invite["token"] }));
    let r = c.call(&anon, "POST", "/api/v1/auth/invite", "/api/v1/auth/invite", redeem.clone()).await;
    let mut me = t.anon();
    me.cookie = common::session_cookie(&r);
    me.csrf = r.json["csrf_token"].as_str().map(str::to_string);
    assert_eq!(c.call(&anon, "POST", "/api/v1/auth/invite", "/api/v1/auth/invite", redeem).await.status, 400);
    // A way back in: a new sign-in link by e-mail, and an invite e-mailed by staff.
    let link = "/api/v1/auth/sign-in-link";
    c.call(&anon, "POST", link, link, Some(json!({ "email": "someone@patient.example" }))).await.expect(202);
    c.call(&me, "GET", "/api/v1/auth/session", "/api/v1/auth/session", None).await.expect(200);
    for route in ["/api/v1/me", "/api/v1/me/today", "/api/v1/me/screenings", "/api/v1/me/plans", "/api/v1/me/sessions"]
    {
        c.call(&me, "GET", route, route, None).await.expect(200);
    }
    let emergency =
        c.call(&me, "POST", "/api/v1/me/check-ins", "/api/v1/me/check-ins", Some(emergency_check_in())).await;
    let alert = emergency.expect(201)["alert"]["id"].as_str().unwrap().to_string();
    let unknown = json!({ "symptoms": [{ "code": "sparkles", "severity": "mild" }] });
    assert_eq!(c.call(&me, "POST", "/api/v1/me/check-ins", "/api/v1/me/check-ins", Some(unknown)).await.status, 422);
    c.call(&me, "GET", "/api/v1/me/check-ins", "/api/v1/me/check-ins", None).await.expect(200);
    let mine = c.call(&me, "GET", "/api/v1/me/consents", "/api/v1/me/consents", None).await.expect(200).clone();
    assert_eq!(mine["statuses"][0]["state"], "given", "{mine}");
    let photos = json!({ "kind": "photo_record", "version": 1, "typed_name": "Nora Flow", "confirm": true });
    let given =
        c.call(&me, "POST", "/api/v1/me/consents", "/api/v1/me/consents", Some(photos)).await.expect(201).clone();
    // Photos, with that consent: a clinician's, the patient's with their check-in, the lists
    // and the images.
    let png = common::small_png();
    let upload = [("view", "left_oblique"), ("stage", "baseline")];
    let route = "/api/v1/patients/{id}/photos";
    let photo = c.upload(&prac, route, &p("/photos"), &upload, Some(&png)).await.expect(201).clone();
    let no_session =
        c.upload(&prac, route, &p("/photos"), &[("view", "front"), ("stage", "session")], Some(&png)).await;
    assert_eq!(no_session.json["field"], "session_id");
    c.call(&prac, "GET", route, &p("/photos"), None).await.expect(200);
    let regions = json!({ "view": "left_oblique",
        "treated": { "x": 0.1, "y": 0.1, "width": 0.3, "height": 0.3 },
        "reference": { "x": 0.6, "y": 0.6, "width": 0.3, "height": 0.3 } });
    let route = "/api/v1/patients/{id}/photos/regions";
    c.call(&prac, "POST", route, &p("/photos/regions"), Some(regions)).await.expect(200);
    let check_in = emergency.json["check_in"]["id"].as_str().unwrap().to_string();
    let mine_upload = [("check_in_id", check_in.as_str())];
    c.upload(&me, "/api/v1/me/photos", "/api/v1/me/photos", &mine_upload, Some(&png)).await.expect(201);
    c.call(&me, "GET", "/api/v1/me/photos", "/api/v1/me/photos", None).await.expect(200);
    let photo_id = photo["id"].as_str().unwrap();
    for size in ["image", "thumbnail"] {
        let route = format!("/api/v1/photos/{{photo_id}}/{size}");
        c.image(&prac, &route, &format!("/api/v1/photos/{photo_id}/{size}")).await;
    }
    let withdraw = format!("/api/v1/me/consents/{}/withdraw", given["id"].as_str().unwrap());
    let route = "/api/v1/me/consents/{consent_id}/withdraw";
    c.call(&me, "POST", route, &withdraw, Some(json!({ "note": "changed my mind" }))).await.expect(200);
    assert_eq!(c.call(&me, "POST", route, &withdraw, Some(json!({}))).await.status, 409);
    let staff_withdraw = format!("/api/v1/patients/{pid}/consents/{}/withdraw", signed_id(&mine));
    let route = "/api/v1/patients/{id}/consents/{consent_id}/withdraw";
    c.call(&prac, "POST", route, &staff_withdraw, Some(json!({ "note": "said on the phone" }))).await.expect(200);
    assert_eq!(c.call(&me, "GET", "/api/v1/patients", "/api/v1/patients", None).await.status, 403);

    // The queue.
    c.call(&prac, "GET", "/api/v1/alerts", "/api/v1/alerts?state=all", None).await.expect(200);
    let ack = format!("/api/v1/alerts/{alert}/acknowledge");
    c.call(&prac, "POST", "/api/v1/alerts/{id}/acknowledge", &ack, None).await.expect(200);
    assert_eq!(c.call(&prac, "POST", "/api/v1/alerts/{id}/acknowledge", &ack, None).await.status, 409);
    let resolve = format!("/api/v1/alerts/{alert}/resolve");
    c.call(&prac, "POST", "/api/v1/alerts/{id}/resolve", &resolve, Some(json!({ "note": "seen" }))).await.expect(200);
    assert!(t.raise_missed_check_ins().await > 0);
    let ups = c.call(&prac, "GET", "/api/v1/follow-ups", "/api/v1/follow-ups", None).await.expect(200).clone();
    let fid = ups["follow_ups"][0]["id"].as_str().unwrap();
    let close = format!("/api/v1/follow-ups/{fid}/resolve");
    c.call(&prac, "POST", "/api/v1/follow-ups/{id}/resolve", &close, Some(json!({ "note": "phoned" })))
        .await
        .expect(200);
    c.call(&admin, "GET", "/api/v1/audit", "/api/v1/audit", None).await.expect(200);
    let revoke = format!("/api/v1/tokens/{}", tok["token"]["id"].as_str().unwrap());
    c.call(&admin, "DELETE", "/api/v1/tokens/{id}", &revoke, None).await.expect(200);

    // Appointments, the messages they queue, and the patient's reminder choices.
    // A weekday at 10:00 in the clinic's zone: inside opening hours (issue 11).
    let in_days = |d: u64| {
        use chrono::{Datelike, TimeZone};
        let tz = chrono_tz::Europe::Berlin;
        let mut day = chrono::Utc::now().with_timezone(&tz).date_naive() + chrono::Days::new(d);
        while day.weekday().number_from_monday() > 5 {
            day = day + chrono::Days::new(1);
        }
        tz.from_local_datetime(&day.and_hms_opt(10, 0, 0).unwrap()).single().unwrap().to_rfc3339()
    };
    let route = "/api/v1/patients/{id}/appointments";
    let book = json!({ "starts_at": in_days(29), "minutes": 45, "note": "second session" });
    let booked = c.call(&admin, "POST", route, &p("/appointments"), Some(book)).await.expect(201).clone();
    let past = Some(json!({ "starts_at": "2020-01-06T10:00:00Z" }));
    assert_eq!(c.call(&admin, "POST", route, &p("/appointments"), past).await.json["field"], "starts_at");
    c.call(&admin, "GET", route, &p("/appointments"), None).await.expect(200);
    let aid = booked["id"].as_str().unwrap().to_string();
    let route = "/api/v1/patients/{id}/appointments/{appointment_id}/reschedule";
    let moved = Some(json!({ "starts_at": in_days(30) }));
    c.call(&admin, "POST", route, &p(&format!("/appointments/{aid}/reschedule")), moved).await.expect(200);
    let list = c.call(&admin, "GET", "/api/v1/patients/{id}/messages", &p("/messages"), None).await.expect(200).clone();
    let pending = list["messages"].as_array().unwrap().iter().find(|m| m["status"] == "pending").unwrap();
    let mid = pending["id"].as_str().unwrap().to_string();
    let retry = format!("/api/v1/messages/{mid}/retry");
    assert_eq!(c.call(&admin, "POST", "/api/v1/messages/{id}/retry", &retry, None).await.status, 409);
    t.fail_message(&mid, "550 5.1.1 mailbox unavailable").await;
    c.call(&admin, "POST", "/api/v1/messages/{id}/retry", &retry, None).await.expect(200);
    for route in ["/api/v1/me/appointments", "/api/v1/me/reminders"] {
        c.call(&me, "GET", route, route, None).await.expect(200);
    }
    let route = "/api/v1/me/reminders";
    c.call(&me, "PUT", route, route, Some(json!({ "email": true, "sms": false }))).await.expect(200);
    assert_eq!(c.call(&me, "PUT", route, route, Some(json!({ "email": true }))).await.status, 422);
    c.call(&me, "POST", "/api/v1/me/calendar", "/api/v1/me/calendar", None).await.expect(201);
    c.call(&me, "POST", "/api/v1/me/calendar/off", "/api/v1/me/calendar/off", None).await.expect(200);
    let route = "/api/v1/patients/{id}/appointments/{appointment_id}/cancel";
    let cancel = p(&format!("/appointments/{aid}/cancel"));
    c.call(&admin, "POST", route, &cancel, None).await.expect(200);
    assert_eq!(c.call(&admin, "POST", route, &cancel, None).await.status, 409);

    // The engine's decisions, for anyone.
    let triage = json!({ "hours_since_treatment": 30, "symptoms": [{ "code": "redness", "severity": "mild" }] });
    let can_i = json!({ "activity": "makeup", "hours_since_treatment": 6 });
    for (route, body) in [
        ("/api/v1/decisions/screening", eligible_screening()),
        ("/api/v1/decisions/triage", triage),
        ("/api/v1/decisions/can-i", can_i),
        ("/api/v1/decisions/plan", plan),
    ] {
        c.call(&anon, "POST", route, route, Some(body)).await.expect(200);
    }
    let bad = Some(json!({ "activity": "makeup" }));
    assert_eq!(c.call(&anon, "POST", "/api/v1/decisions/can-i", "/api/v1/decisions/can-i", bad).await.status, 422);
    // Outcomes (issue 15): a baseline grade; a second session a month on (over any blocker the
    // flow left, by a clinician's override); two weeks later the patient's answer, then theirs and
    // the clinician's views.
    let baseline = json!({ "milestone": "baseline", "grade": 2 });
    c.call(&prac, "POST", "/api/v1/patients/{id}/grades", &p("/grades"), Some(baseline)).await.expect(201);
    t.clock.travel(chrono::Duration::days(30));
    // The flow withdrew the treatment consent above: the patient consents again on paper.
    let consents = prac.get(&p("/consents")).await.expect(200).clone();
    let treatment = consents["statuses"].as_array().unwrap().iter().find(|s| s["kind"] == "treatment").unwrap();
    let again = json!({ "kind": "treatment", "version": treatment["text"]["version"], "typed_name": "Nora Flow", "confirm": true });
    prac.post(&p("/consents"), again).await.expect(201);
    let mut second = session_body();
    second["plan_id"] = planned["id"].clone();
    let first_try = prac.post(&p("/sessions"), second.clone()).await;
    if first_try.status == 409 {
        second["override_blockers"] =
            json!(first_try.json["blockers"].as_array().unwrap().iter().map(|b| b["key"].clone()).collect::<Vec<_>>());
        second["override_reason"] =
            json!("Reviewed with the patient today; the earlier alert is settled and the skin is ready.");
        prac.post(&p("/sessions"), second).await.expect(201);
    } else {
        first_try.expect(201);
    }
    t.clock.travel(chrono::Duration::days(15));
    let answer =
        json!({ "milestone": "after_session_2", "improvement": "improved", "satisfaction": 7, "recommend": true });
    c.call(&me, "POST", "/api/v1/me/outcomes", "/api/v1/me/outcomes", Some(answer)).await.expect(201);
    c.call(&me, "GET", "/api/v1/me/outcomes", "/api/v1/me/outcomes", None).await.expect(200);
    c.call(&prac, "GET", "/api/v1/patients/{id}/outcomes", &p("/outcomes"), None).await.expect(200);
    c.call(&admin, "GET", "/api/v1/outcomes", "/api/v1/outcomes?period=month", None).await.expect(200);
    // Ending access (issue 14): the patient signs out everywhere; staff end the patient's access.
    c.call(&me, "POST", "/api/v1/me/sign-out-everywhere", "/api/v1/me/sign-out-everywhere", None).await.expect(200);
    assert_eq!(c.call(&me, "GET", "/api/v1/me", "/api/v1/me", None).await.status, 401);
    c.call(&admin, "POST", "/api/v1/patients/{id}/access/end", &p("/access/end"), None).await.expect(200);
    c.call(&me, "POST", "/api/v1/auth/logout", "/api/v1/auth/logout", None).await;
    c.call(&admin, "POST", "/api/v1/auth/logout", "/api/v1/auth/logout", None).await;

    // Every API route with a JSON answer was seen succeeding and validated.
    let unseen: Vec<String> = table()
        .into_iter()
        .filter(|r| r.api && !c.succeeded.contains(&(r.method.to_string(), r.path.to_string())))
        .map(|r| format!("{} {}", r.method, r.path))
        .collect();
    assert!(unseen.is_empty(), "routes the flow never saw succeed: {unseen:?}");
    assert!(c.problems >= 10, "the flow met its problems ({})", c.problems);
}

/// The id of the treatment consent on file in a `PatientConsents` answer.
fn signed_id(consents: &Value) -> String {
    consents["statuses"][0]["latest"]["id"].as_str().expect("a treatment consent on file").to_string()
}
