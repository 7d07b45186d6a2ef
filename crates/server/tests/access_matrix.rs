#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! THE access matrix: every route of `routes::table()` is called by every kind of caller —
//! anonymous, patient A, patient B, clinic 1's admin, practitioner and front desk, clinic 2's
//! admin and practitioner (in the same database), and a practitioner-role API token of clinic 1
//! — and the answer is checked against the route's declared `Access`:
//!
//! - Public: never 401/403.
//! - Authenticated: 401 for anonymous callers, allowed for everyone else.
//! - Staff(roles): 401 anonymous, 403 patients and roles not listed, allowed for listed roles of
//!   clinic 1; for clinic 2's staff with a listed role, a clinic-1 object is exactly 404, and no
//!   answer (lists included) carries any id of clinic 1.
//! - Patient: only patients, and patient B's answers never carry patient A's id or name (nor the
//!   other way round).
//!
//! Every call to a route that reads or changes patient data (`touches_patient_data`) that
//! succeeds must leave an audit record.
//!
//! "Allowed" means a 2xx or a 4xx that is not 401/403 (nor 404 for an object that exists);
//! "denied" means exactly 401/403 (404 across clinics). The test fails if a route of the table is
//! not exercised. Run with `--nocapture` to see the route × caller → status table.

mod common;

use std::collections::BTreeSet;

use common::{Api, PatientLogin, TestApp, eligible_screening, emergency_check_in, self_care_check_in, session_body};
use needlepath_server::routes::{Access, RouteDoc, table};
use needlepath_store::Role;
use serde_json::{Value, json};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Anonymous,
    Patient,
    Staff { role: Role, clinic: u8 },
}

struct Principal {
    label: &'static str,
    kind: Kind,
    api: Api,
    /// Whether the caller holds a cookie session (which logout ends).
    cookie: bool,
}

/// Everything the matrix points its paths and checks at.
struct World {
    t: TestApp,
    principals: Vec<Principal>,
    patient_a: PatientLogin,
    patient_b: PatientLogin,
    prac1_id: String,
    spare_staff_id: String,
    spare_email: String,
    screening_id: String,
    /// A reminder of patient A's booked appointment (only a failed one can be sent again).
    message_id: String,
    /// Open follow-ups of clinic 1, each handed out once.
    follow_ups: Vec<String>,
    /// Every id of clinic 1 (and its patients' names), with what it is: none may reach clinic 2.
    clinic1_secrets: Vec<(String, String)>,
    /// Patient A's check-in, which a photo goes with.
    check_in_a: String,
}

enum Body {
    None,
    Json(Value),
    Form(String),
    /// multipart/form-data: the text fields and a small photo.
    Photo(Vec<(&'static str, String)>),
}

/// A clinic-1 object made afresh for each call of a route that changes or ends it.
#[derive(Clone, Copy, PartialEq)]
enum Fresh {
    No,
    Alert,
    FollowUp,
    Token,
    /// A booked appointment of patient A, for a route that moves or cancels it.
    Appointment,
    /// Patient A's calendar link, made anew (the patient routes before it reset and turn it off).
    Calendar,
    /// A patient of clinic 1 signed in afresh, whose access the route ends.
    Patient,
    /// The caller's own login, which the route ends: a patient caller signs in again after it.
    OwnLogin,
    /// A consent the caller signed (a patient caller), else one of patient A's.
    Consent,
    /// A photo of the calling patient (patient A's for anyone else), uploaded by clinic 1's admin.
    Photo,
    /// A check-in the calling patient sent (patient A's for anyone else).
    CheckIn,
    /// A consent of patient A's recorded from paper with its scan attached.
    ScannedConsent,
}

/// The request the matrix sends for a route; `None` for a route it does not know (a failure).
fn request_for(w: &World, method: &str, path: &str) -> Option<(Body, Fresh)> {
    use Body::{Form, Json};
    let none = || Some((Body::None, Fresh::No));
    let json = |v: Value| Some((Json(v), Fresh::No));
    let plan = json!({ "concern": "acne_scars", "scar_grade": 2, "start": "2027-01-04" });
    match (method, path) {
        (
            "GET",
            "/healthz"
            | "/readyz"
            | "/metrics"
            | "/api/v1/openapi.json"
            | "/setup"
            | "/invite"
            | "/sign-in"
            | "/signed-out",
        ) => none(),
        ("POST", "/api/v1/auth/sign-in-link") => json(json!({ "email": "nobody@matrix.example" })),
        ("POST", "/api/v1/patients/{id}/photos") => {
            Some((Body::Photo(vec![("view", "front".into()), ("stage", "baseline".into())]), Fresh::No))
        }
        ("GET", "/api/v1/patients/{id}/photos" | "/api/v1/me/photos") => none(),
        ("GET", "/api/v1/photos/{photo_id}/image" | "/api/v1/photos/{photo_id}/thumbnail") => {
            Some((Body::None, Fresh::Photo))
        }
        ("POST", "/staff/patients/{id}/photos") => {
            Some((Body::Photo(vec![("view", "right_profile".into()), ("stage", "baseline".into())]), Fresh::No))
        }
        ("POST", "/api/v1/me/photos") => Some((Body::Photo(vec![("check_in_id", w.check_in_a.clone())]), Fresh::No)),
        ("POST", "/sign-in") => Some((Form("email=nobody%40matrix.example".into()), Fresh::No)),
        ("POST", "/api/v1/patients/{id}/access/end") => Some((Body::None, Fresh::Patient)),
        ("POST", "/api/v1/me/sign-out-everywhere") => Some((Body::None, Fresh::OwnLogin)),
        ("POST", "/setup") => Some((
            Form(
                "token=bogus&clinic_name=Rogue&time_zone=UTC&admin_name=Rogue&admin_email=rogue%40x.example\
                 &admin_password=long%20enough%20password"
                    .into(),
            ),
            Fresh::No,
        )),
        ("POST", "/invite") => Some((Form("token=bogus".into()), Fresh::No)),
        ("POST", "/api/v1/setup") => json(TestApp::setup_body("bogus")),
        ("POST", "/api/v1/auth/login") => json(json!({ "email": w.spare_email, "password": common::PASSWORD })),
        ("POST", "/api/v1/auth/logout") | ("GET", "/api/v1/auth/session") => none(),
        ("POST", "/api/v1/auth/invite") => json(json!({ "token": "bogus" })),
        ("GET", "/api/v1/clinic" | "/api/v1/staff" | "/api/v1/tokens" | "/api/v1/patients") => none(),
        ("PATCH", "/api/v1/clinic") => json(json!({})),
        ("POST", "/api/v1/staff") => json(json!({
            "email": format!("{}@matrix.example", w.t.unique("new")), "name": "Matrix Staff",
            "role": "front_desk", "password": common::PASSWORD
        })),
        ("PATCH", "/api/v1/staff/{id}") => json(json!({ "name": "Spare Desk" })),
        ("POST", "/api/v1/tokens") => json(json!({ "name": "matrix", "role": "front_desk" })),
        ("DELETE", "/api/v1/tokens/{id}") => Some((Body::None, Fresh::Token)),
        ("POST", "/api/v1/patients") => json(json!({ "name": "Matrix Patient" })),
        ("GET", "/api/v1/patients/{id}") => none(),
        ("PATCH", "/api/v1/patients/{id}") => json(json!({ "consent_messages": true })),
        ("POST", "/api/v1/patients/{id}/invites") => none(),
        ("GET", "/api/v1/patients/{id}/audit") => none(),
        ("GET", "/api/v1/patients/{id}/screenings") => none(),
        ("POST", "/api/v1/patients/{id}/screenings") => json(eligible_screening()),
        ("POST", "/api/v1/patients/{id}/screenings/{screening_id}/review") => {
            json(json!({ "decision": "cleared", "note": "reviewed" }))
        }
        ("GET", "/api/v1/overrides") => none(),
        ("GET", "/api/v1/patients/{id}/plans") => none(),
        ("POST", "/api/v1/patients/{id}/plans") => json(plan),
        ("GET", "/api/v1/patients/{id}/sessions") => none(),
        ("POST", "/api/v1/patients/{id}/sessions") => {
            let mut b = session_body();
            b["practitioner_id"] = json!(w.prac1_id);
            json(b)
        }
        ("GET", "/api/v1/patients/{id}/check-ins") => none(),
        ("POST", "/api/v1/patients/{id}/check-ins") => json(self_care_check_in()),
        ("GET", "/api/v1/alerts" | "/api/v1/follow-ups" | "/api/v1/audit") => none(),
        ("POST", "/api/v1/alerts/{id}/acknowledge") => Some((Body::None, Fresh::Alert)),
        ("POST", "/api/v1/alerts/{id}/resolve") => Some((Json(json!({ "note": "handled" })), Fresh::Alert)),
        ("POST", "/api/v1/follow-ups/{id}/resolve") => Some((Json(json!({ "note": "called" })), Fresh::FollowUp)),
        ("GET", "/api/v1/me" | "/api/v1/me/today" | "/api/v1/me/screenings" | "/api/v1/me/plans") => none(),
        ("GET", "/api/v1/me/sessions" | "/api/v1/me/check-ins") => none(),
        ("POST", "/api/v1/me/check-ins") => json(self_care_check_in()),
        ("GET", "/api/v1/consent-texts" | "/api/v1/me/consents" | "/api/v1/patients/{id}/consents") => none(),
        ("POST", "/api/v1/consent-texts") => json(
            json!({ "kind": "photo_marketing", "body": format!("Marketing text {}. Sources: none needed.", w.t.unique("v")) }),
        ),
        ("POST", "/api/v1/me/consents") => {
            json(json!({ "kind": "photo_teaching", "version": 1, "typed_name": "Matrix Patient", "confirm": true }))
        }
        ("POST", "/api/v1/patients/{id}/consents") => {
            json(json!({ "kind": "messages", "version": 1, "typed_name": "Matrix Paper", "confirm": true }))
        }
        (
            "POST",
            "/api/v1/me/consents/{consent_id}/withdraw" | "/api/v1/patients/{id}/consents/{consent_id}/withdraw",
        ) => Some((Json(json!({ "note": "matrix" })), Fresh::Consent)),
        ("GET", "/api/v1/patients/{id}/appointments" | "/api/v1/patients/{id}/messages") => none(),
        ("POST", "/api/v1/patients/{id}/appointments") => json(
            json!({ "starts_at": in_days(10), "minutes": 45, "window_reason": "Booked outside the window by the test world." }),
        ),
        ("POST", "/api/v1/patients/{id}/appointments/{appointment_id}/reschedule") => Some((
            Json(json!({ "starts_at": in_days(12), "window_reason": "Booked outside the window by the test world." })),
            Fresh::Appointment,
        )),
        ("POST", "/api/v1/patients/{id}/appointments/{appointment_id}/cancel") => {
            Some((Body::None, Fresh::Appointment))
        }
        ("POST", "/api/v1/messages/{id}/retry") => none(),
        ("GET", "/api/v1/me/appointments" | "/api/v1/me/reminders") => none(),
        ("PUT", "/api/v1/me/reminders") => json(json!({ "email": true, "sms": false })),
        ("POST", "/api/v1/me/calendar" | "/api/v1/me/calendar/off") => none(),
        ("POST", "/api/v1/decisions/screening") => json(eligible_screening()),
        ("POST", "/api/v1/decisions/triage") => json(json!({
            "hours_since_treatment": 30, "symptoms": [{ "code": "redness", "severity": "mild" }]
        })),
        ("POST", "/api/v1/decisions/can-i") => json(json!({ "activity": "makeup", "hours_since_treatment": 6 })),
        ("POST", "/api/v1/decisions/plan") => json(plan),
        // ---- Pages: assets, sign-in ----
        ("GET", "/assets/{name}" | "/login") => none(),
        ("POST", "/login") => Some((Form(format!("email={}&password=wrong+password+here", w.spare_email)), Fresh::No)),
        ("POST", "/logout") => Some((Form(String::new()), Fresh::No)),
        // ---- Pages: for everyone ----
        ("GET", "/" | "/sources") => none(),
        ("GET", "/candidate" | "/aftercare" | "/cost") => none(),
        ("POST", "/candidate") => Some((Form("concern=acne_scars&age_years=30".into()), Fresh::No)),
        ("GET", "/calendar/{file}") => Some((Body::None, Fresh::Calendar)),
        ("GET", "/unsubscribe/{token}") => none(),
        ("POST", "/unsubscribe/{token}") => Some((Form(String::new()), Fresh::No)),
        // (end of pages for everyone)
        // ---- Pages: the patient's own ----
        ("GET", "/me" | "/me/check-in" | "/me/plan" | "/me/history") => none(),
        ("POST", "/me/check-in") => Some((Form("symptom=redness&severity.redness=mild&note=matrix".into()), Fresh::No)),
        ("GET", "/me/reminders") => none(),
        ("POST", "/me/reminders") => Some((Form("email=yes".into()), Fresh::No)),
        ("POST", "/me/reminders/calendar" | "/me/reminders/calendar/off") => Some((Form(String::new()), Fresh::No)),
        (
            "GET",
            "/api/v1/patients/{id}/outcomes"
            | "/api/v1/me/outcomes"
            | "/me/outcome"
            | "/api/v1/outcomes"
            | "/staff/outcomes"
            | "/staff/outcomes.csv",
        ) => none(),
        ("POST", "/api/v1/patients/{id}/consents/{consent_id}/scan") => Some((Body::Photo(vec![]), Fresh::Consent)),
        ("GET", "/api/v1/patients/{id}/consents/{consent_id}/scan") => Some((Body::None, Fresh::ScannedConsent)),
        ("POST", "/staff/patients/{id}/consent/{consent_id}/scan") => Some((Body::Photo(vec![]), Fresh::Consent)),
        ("POST", "/api/v1/patients/{id}/photos/regions") => json(json!({ "view": "front",
            "treated": { "x": 0.1, "y": 0.1, "width": 0.3, "height": 0.3 },
            "reference": { "x": 0.6, "y": 0.6, "width": 0.3, "height": 0.3 } })),
        ("POST", "/staff/patients/{id}/photos/regions") => Some((
            Form("view=front&treated_x=10&treated_y=10&treated_width=30&treated_height=30&reference_x=60&reference_y=60&reference_width=30&reference_height=30".into()),
            Fresh::No,
        )),
        ("POST", "/me/check-ins/{check_in_id}/photo") => Some((Body::Photo(vec![]), Fresh::CheckIn)),
        ("POST", "/api/v1/patients/{id}/grades") => json(json!({ "milestone": "baseline", "grade": 2 })),
        ("POST", "/api/v1/me/outcomes") => json(
            json!({ "milestone": "after_session_2", "improvement": "improved", "satisfaction": 5, "recommend": true }),
        ),
        ("POST", "/me/outcome") => Some((
            Form("milestone=after_session_2&improvement=improved&satisfaction=5&recommend=yes".into()),
            Fresh::No,
        )),
        ("POST", "/staff/patients/{id}/grades") => Some((Form("milestone=baseline&grade=2".into()), Fresh::No)),
        ("GET", "/me/consent") => none(),
        ("POST", "/me/consent") => {
            Some((Form("kind=photo_teaching&version=1&typed_name=Matrix+Patient&confirm=yes".into()), Fresh::No))
        }
        ("GET", "/me/consent/{consent_id}") => Some((Body::None, Fresh::Consent)),
        ("POST", "/me/consent/{consent_id}/withdraw") => Some((Form(String::new()), Fresh::Consent)),
        // (end of the patient's pages)
        // ---- Pages: staff ----
        ("GET", "/staff" | "/staff/patients" | "/staff/patients/new" | "/staff/patients/{id}" | "/staff/settings") => {
            none()
        }
        ("GET", "/staff/patients/{id}/screening" | "/staff/patients/{id}/plan" | "/staff/patients/{id}/session") => {
            none()
        }
        ("GET", "/staff/patients/{id}/edit") => none(),
        ("POST", "/staff/patients/{id}/edit") => {
            Some((Form("name=Matrix+Edited&time_zone=Europe%2FBerlin".into()), Fresh::No))
        }
        ("POST", "/staff/alerts/{id}/acknowledge") => Some((Form(String::new()), Fresh::Alert)),
        ("POST", "/staff/alerts/{id}/resolve") => Some((Form("note=handled".into()), Fresh::Alert)),
        ("POST", "/staff/follow-ups/{id}/resolve") => Some((Form("note=called".into()), Fresh::FollowUp)),
        ("POST", "/staff/patients") => Some((Form("name=Form+Patient".into()), Fresh::No)),
        ("POST", "/staff/patients/{id}/invite") => Some((Form(String::new()), Fresh::No)),
        ("POST", "/staff/patients/{id}/screening") => {
            Some((Form("concern=acne_scars&scar_type=atrophic&scar_grade=2".into()), Fresh::No))
        }
        ("POST", "/staff/patients/{id}/plan") => {
            Some((Form("concern=acne_scars&scar_grade=2&start=2027-01-04".into()), Fresh::No))
        }
        ("POST", "/staff/patients/{id}/session") => {
            Some((Form("cold_sore_now=no&device=Dermapen&needle_depth_mm=1.0&area=cheeks".into()), Fresh::No))
        }
        ("POST", "/staff/patients/{id}/screenings/{screening_id}/review") => {
            Some((Form("decision=cleared&note=reviewed".into()), Fresh::No))
        }
        ("GET", "/staff/overrides" | "/staff/settings/consent") => none(),
        ("POST", "/staff/settings/consent") => Some((
            Form(format!("kind=photo_marketing&body=Marketing+text+{}.+Sources%3A+none+needed.", w.t.unique("f"))),
            Fresh::No,
        )),
        ("POST", "/staff/patients/{id}/consent") => {
            Some((Form("text=messages%401&typed_name=Matrix+Paper&confirm=yes".into()), Fresh::No))
        }
        ("GET", "/staff/patients/{id}/consent/{consent_id}") => Some((Body::None, Fresh::Consent)),
        ("POST", "/staff/patients/{id}/consent/{consent_id}/withdraw") => Some((Form(String::new()), Fresh::Consent)),
        ("POST", "/staff/settings") => Some((
            Form(
                "name=Renamed&time_zone=Europe%2FBerlin&currency=EUR&day=1&day=2&day=3&day=4&day=5&opens=09%3A00\
                 &closes=17%3A00&urgent_minutes=60&contact_business_days=1&check_in_days=1%2C3%2C7%2C14\
                 &missed_check_in_grace_hours=24&quiet_hours=21%3A00-08%3A00"
                    .into(),
            ),
            Fresh::No,
        )),
        ("POST", "/staff/settings/staff") => Some((
            Form(format!(
                "name=Matrix+Staff&email={}%40matrix.example&role=front_desk&password=long+enough+password",
                w.t.unique("form")
            )),
            Fresh::No,
        )),
        ("POST", "/staff/settings/staff/{id}") => Some((Form("role=front_desk&active=yes".into()), Fresh::No)),
        ("POST", "/staff/settings/protocol") => Some((Form("protocol=".into()), Fresh::No)),
        ("POST", "/staff/patients/{id}/appointments") => Some((Form(book_form(9)), Fresh::No)),
        ("POST", "/staff/patients/{id}/appointments/{appointment_id}/move") => {
            Some((Form(book_form(11)), Fresh::Appointment))
        }
        ("POST", "/staff/patients/{id}/appointments/{appointment_id}/cancel") => {
            Some((Form(String::new()), Fresh::Appointment))
        }
        ("POST", "/staff/messages/{id}/retry") => Some((Form(format!("patient={}", w.patient_a.id)), Fresh::No)),
        // (end of staff pages)
        _ => None,
    }
}

/// An instant about `days` from now (RFC 3339) that an appointment can be booked at: a weekday
/// at 10:00 in the clinic's zone (Europe/Berlin), inside opening hours; each call a different
/// day, so one practitioner's appointments never overlap.
fn in_days(days: i64) -> String {
    use chrono::{Datelike, TimeZone};
    static CALLS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let extra = CALLS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let tz: chrono_tz::Tz = "Europe/Berlin".parse().unwrap();
    let mut d = chrono::Utc::now().with_timezone(&tz).date_naive() + chrono::Days::new(days.unsigned_abs() + extra);
    while d.weekday().number_from_monday() > 5 {
        d = d + chrono::Days::new(1);
    }
    tz.from_local_datetime(&d.and_hms_opt(10, 0, 0).unwrap()).single().unwrap().to_rfc3339()
}

/// The book (or move) form for a day `days` from now at 10:00 in the clinic's zone.
fn book_form(days: u64) -> String {
    let day = &in_days(i64::try_from(days).unwrap())[..10];
    format!("date={day}&time=10%3A00&minutes=45&window_reason=Booked+outside+the+window+by+the+test+world.")
}

/// What the route's `Access` says this caller must get.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Expect {
    Allowed,
    /// Allowed, in clinic 2, for a route without a clinic-1 object in its path.
    AllowedElsewhere,
    Unauthenticated,
    Forbidden,
    NotFound,
}

fn expect(access: Access, kind: Kind, path: &str) -> Expect {
    match (access, kind) {
        (Access::Public, _) => Expect::Allowed,
        (_, Kind::Anonymous) => Expect::Unauthenticated,
        (Access::Authenticated, _) => Expect::Allowed,
        (Access::Patient, Kind::Patient) => Expect::Allowed,
        (Access::Patient, _) => Expect::Forbidden,
        (Access::PatientOrStaff(_), Kind::Patient) => Expect::Allowed,
        (Access::PatientOrStaff(roles), staff) => expect(Access::Staff(roles), staff, path),
        (Access::Staff(_), Kind::Patient) => Expect::Forbidden,
        (Access::Staff(roles), Kind::Staff { role, clinic }) => {
            match (roles.contains(&role), clinic, path.contains('{')) {
                (false, _, _) => Expect::Forbidden,
                (true, 1, _) => Expect::Allowed,
                (true, _, true) => Expect::NotFound,
                (true, _, false) => Expect::AllowedElsewhere,
            }
        }
    }
}

async fn build_world() -> World {
    let t = TestApp::start().await;
    let admin1 = t.admin.clone();
    let prac1 = t.add_staff(&admin1.api, "practitioner").await;
    let desk1 = t.add_staff(&admin1.api, "front_desk").await;
    let spare = t.add_staff(&admin1.api, "front_desk").await;
    let (token1, token1_record) = t.create_token(&admin1.api, "practitioner").await;

    // Patient A: screened, treated, and in the queue with an emergency.
    let a = t.create_patient(&desk1.api, "Alice Anders").await;
    let a_id = a["id"].as_str().unwrap().to_string();
    let screening = t.screen_eligible(&prac1.api, &a_id).await;
    t.record_session(&prac1.api, &a_id).await;
    let patient_a = t.patient_login(&desk1.api, &a).await;
    let emergency = patient_a.api.post("/api/v1/me/check-ins", emergency_check_in()).await;
    let alert = emergency.expect(201)["alert"]["id"].as_str().unwrap().to_string();
    let check_in_a = emergency.json["check_in"]["id"].as_str().unwrap().to_string();
    // Patient A's booked appointment, whose reminders are in the outbox.
    let appointment = admin1
        .api
        .post(
            &format!("/api/v1/patients/{a_id}/appointments"),
            json!({ "starts_at": in_days(20), "window_reason": "Booked outside the window by the test world." }),
        )
        .await;
    let appointment = appointment.expect(201)["id"].as_str().unwrap().to_string();
    let messages = admin1.api.get(&format!("/api/v1/patients/{a_id}/messages")).await;
    let message_id = messages.expect(200)["messages"][0]["id"].as_str().expect("booking queues reminders").to_string();
    // Patient B: screened and treated.
    let b = t.create_patient(&desk1.api, "Bruno Berg").await;
    let b_id = b["id"].as_str().unwrap().to_string();
    t.screen_eligible(&prac1.api, &b_id).await;
    t.record_session(&prac1.api, &b_id).await;
    let patient_b = t.patient_login(&desk1.api, &b).await;
    // Both patients consent to photos for their record (photos are kept only with it).
    for p in [&patient_a, &patient_b] {
        let body = json!({ "kind": "photo_record", "version": 1, "typed_name": p.name, "confirm": true });
        p.api.post("/api/v1/me/consents", body).await.expect(201);
    }
    // Patient C never checks in: three sessions, twelve missed check-ins, twelve follow-ups.
    let c = t.create_patient(&desk1.api, "Cora Silent").await;
    let c_id = c["id"].as_str().unwrap().to_string();
    t.screen_eligible(&prac1.api, &c_id).await;
    for weeks_ago in [12, 8, 4] {
        let at = chrono::Utc::now() - chrono::Duration::weeks(weeks_ago);
        t.record_session_at(&prac1.api, &c_id, at).await;
    }
    assert!(t.raise_missed_check_ins().await >= 12);
    let list = admin1.api.get("/api/v1/follow-ups").await;
    let follow_ups: Vec<String> =
        list.expect(200)["follow_ups"].as_array().unwrap().iter().map(|f| f["id"].as_str().unwrap().into()).collect();
    assert!(follow_ups.len() >= 12, "{}", list.text);

    // Clinic 2, in the same database, with staff and a patient of its own.
    let (clinic2, admin2) = t.second_clinic().await;
    let prac2 = t.add_staff(&admin2.api, "practitioner").await;
    let p2 = t.create_patient(&admin2.api, "Zed Zweiter").await;
    assert_eq!(p2["clinic"], clinic2.as_str());

    let mut clinic1_secrets: Vec<(String, String)> = vec![
        (t.clinic_id.clone(), "clinic 1".into()),
        (a_id.clone(), "patient A".into()),
        ("Alice Anders".into(), "patient A's name".into()),
        (b_id, "patient B".into()),
        ("Bruno Berg".into(), "patient B's name".into()),
        (c_id, "patient C".into()),
        (admin1.id.clone(), "clinic 1's admin".into()),
        (prac1.id.clone(), "clinic 1's practitioner".into()),
        (desk1.id.clone(), "clinic 1's front desk".into()),
        (spare.id.clone(), "clinic 1's spare staff".into()),
        (token1_record["id"].as_str().unwrap().into(), "clinic 1's API token".into()),
        (screening["id"].as_str().unwrap().into(), "patient A's screening".into()),
        (alert, "patient A's alert".into()),
        (appointment, "patient A's appointment".into()),
        (message_id.clone(), "a message to patient A".into()),
        (check_in_a.clone(), "patient A's check-in".into()),
    ];
    clinic1_secrets.extend(follow_ups.iter().map(|f| (f.clone(), "a clinic-1 follow-up".into())));

    let staff = |label, api: &Api, role, clinic| Principal {
        label,
        kind: Kind::Staff { role, clinic },
        api: api.clone(),
        cookie: api.cookie.is_some(),
    };
    let principals = vec![
        Principal { label: "anon", kind: Kind::Anonymous, api: t.anon(), cookie: false },
        Principal { label: "patA", kind: Kind::Patient, api: patient_a.api.clone(), cookie: true },
        Principal { label: "patB", kind: Kind::Patient, api: patient_b.api.clone(), cookie: true },
        staff("adm1", &admin1.api, Role::Admin, 1),
        staff("prac1", &prac1.api, Role::Practitioner, 1),
        staff("desk1", &desk1.api, Role::FrontDesk, 1),
        staff("adm2", &admin2.api, Role::Admin, 2),
        staff("prac2", &prac2.api, Role::Practitioner, 2),
        staff("tok1", &token1, Role::Practitioner, 1),
    ];
    World {
        spare_email: spare.email.clone(),
        spare_staff_id: spare.id.clone(),
        prac1_id: prac1.id.clone(),
        screening_id: screening["id"].as_str().unwrap().into(),
        message_id,
        t,
        principals,
        patient_a,
        patient_b,
        follow_ups,
        clinic1_secrets,
        check_in_a,
    }
}

/// The concrete path: `{id}` and friends filled with clinic 1's (and patient A's) objects.
async fn fill(w: &mut World, route: &RouteDoc, fresh: Fresh, caller: usize) -> String {
    let object = match fresh {
        Fresh::Consent => {
            let p = &w.principals[caller];
            let api = if p.kind == Kind::Patient { p.api.clone() } else { w.patient_a.api.clone() };
            let body =
                json!({ "kind": "photo_teaching", "version": 1, "typed_name": "Matrix Patient", "confirm": true });
            let id = api.post("/api/v1/me/consents", body).await.expect(201)["id"].as_str().unwrap().to_string();
            w.clinic1_secrets.push((id.clone(), "a clinic-1 consent".into()));
            return route.path.replace("{id}", &w.patient_a.id).replace("{consent_id}", &id);
        }
        Fresh::Photo => {
            let p = &w.principals[caller];
            let patient = if p.label == "patB" { w.patient_b.id.clone() } else { w.patient_a.id.clone() };
            let fields = [("view", "front"), ("stage", "baseline")];
            let r = common::post_multipart(
                &w.t.admin.api,
                &format!("/api/v1/patients/{patient}/photos"),
                &fields,
                Some(&common::small_png()),
            )
            .await;
            let id = r.expect(201)["id"].as_str().unwrap().to_string();
            w.clinic1_secrets.push((id.clone(), "a clinic-1 photo".into()));
            return route.path.replace("{photo_id}", &id);
        }
        Fresh::Alert => {
            // Check-ins while an alert is open update it (issue 14): resolve it for a fresh one.
            let open = w.t.admin.api.get("/api/v1/alerts").await.expect(200)["alerts"].clone();
            for a in open.as_array().unwrap().iter().filter(|a| a["patient"] == w.patient_a.id.as_str()) {
                let path = format!("/api/v1/alerts/{}/resolve", a["id"].as_str().unwrap());
                w.t.admin.api.post(&path, json!({ "note": "Resolved by the test world." })).await.expect(200);
            }
            let r = w.patient_a.api.post("/api/v1/me/check-ins", emergency_check_in()).await;
            let id = r.expect(201)["alert"]["id"].as_str().unwrap().to_string();
            w.clinic1_secrets.push((id.clone(), "a clinic-1 alert".into()));
            Some(id)
        }
        Fresh::FollowUp => Some(w.follow_ups.pop().expect("enough follow-ups for every caller")),
        Fresh::Token => {
            let (_, record) = w.t.create_token(&w.t.admin.api, "front_desk").await;
            let id = record["id"].as_str().unwrap().to_string();
            w.clinic1_secrets.push((id.clone(), "a clinic-1 API token".into()));
            Some(id)
        }
        Fresh::Appointment => {
            let r = w
                .t
                .admin
                .api
                .post(&format!("/api/v1/patients/{}/appointments", w.patient_a.id), json!({ "starts_at": in_days(15), "window_reason": "Booked outside the window by the test world." }))
                .await;
            let id = r.expect(201)["id"].as_str().unwrap().to_string();
            w.clinic1_secrets.push((id.clone(), "a clinic-1 appointment".into()));
            return route.path.replace("{id}", &w.patient_a.id).replace("{appointment_id}", &id);
        }
        Fresh::Calendar => {
            let r = w.patient_a.api.post_empty("/api/v1/me/calendar").await;
            let url = r.expect(201)["calendar_url"].as_str().unwrap().to_string();
            let file = url.rsplit('/').next().unwrap().to_string();
            return route.path.replace("{file}", &file);
        }
        Fresh::Patient => {
            let patient = w.t.create_patient(&w.t.admin.api, "Fresh Access").await;
            let login = w.t.patient_login(&w.t.admin.api, &patient).await;
            w.clinic1_secrets.push((login.id.clone(), "a clinic-1 patient".into()));
            Some(login.id)
        }
        Fresh::ScannedConsent => {
            let body =
                json!({ "kind": "photo_marketing", "version": 1, "typed_name": "Matrix Paper", "confirm": true });
            let consents = format!("/api/v1/patients/{}/consents", w.patient_a.id);
            let id = w.t.admin.api.post(&consents, body).await.expect(201)["id"].as_str().unwrap().to_string();
            let scan = format!("{consents}/{id}/scan");
            common::post_multipart(&w.t.admin.api, &scan, &[], Some(&common::small_png())).await.expect(200);
            w.clinic1_secrets.push((id.clone(), "a clinic-1 paper consent".into()));
            return route.path.replace("{id}", &w.patient_a.id).replace("{consent_id}", &id);
        }
        Fresh::CheckIn => {
            let p = &w.principals[caller];
            if p.kind == Kind::Patient && p.label != "patA" {
                // Someone with no session on record may still send a warning sign (never refused).
                let r = p.api.post("/api/v1/me/check-ins", emergency_check_in()).await;
                let id = r.expect(201)["check_in"]["id"].as_str().unwrap().to_string();
                return route.path.replace("{check_in_id}", &id);
            }
            return route.path.replace("{check_in_id}", &w.check_in_a);
        }
        Fresh::No | Fresh::OwnLogin => None,
    };
    let id = if let Some(o) = object {
        o
    } else if route.path.starts_with("/api/v1/staff/") || route.path.starts_with("/staff/settings/staff/") {
        w.spare_staff_id.clone()
    } else if route.path.starts_with("/api/v1/messages/") || route.path.starts_with("/staff/messages/") {
        w.message_id.clone()
    } else {
        w.patient_a.id.clone()
    };
    route.path.replace("{id}", &id).replace("{screening_id}", &w.screening_id).replace("{name}", "app.css")
}

async fn send(api: &Api, method: &str, path: &str, body: &Body) -> common::Resp {
    match body {
        Body::None => api.request(method, path, None).await,
        Body::Json(v) => api.request(method, path, Some(v)).await,
        Body::Form(f) => {
            let rb = api
                .builder(reqwest::Method::from_bytes(method.as_bytes()).unwrap(), path)
                .header("content-type", "application/x-www-form-urlencoded")
                .body(f.clone());
            common::read(rb).await
        }
        Body::Photo(fields) => {
            let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
            common::post_multipart(api, path, &fields, Some(&common::small_png())).await
        }
    }
}

/// A body, cut short for a failure message.
fn short(text: &str) -> String {
    let cut: String = text.chars().take(300).collect();
    if cut.len() < text.len() { format!("{cut}…") } else { cut }
}

/// The reasons this answer breaks the rule (empty when it keeps it).
fn judge(w: &World, route: &RouteDoc, p: &Principal, want: Expect, r: &common::Resp) -> Vec<String> {
    let mut wrong = Vec::new();
    let status = r.status;
    let text = short(&r.text);
    let id_route = route.path.contains('{');
    match want {
        Expect::Allowed | Expect::AllowedElsewhere
            if status == 401 || status == 403 || status >= 500 || (id_route && status == 404) =>
        {
            wrong.push(format!("expected allowed, got {status}: {text}"))
        }
        // Pages answer in HTML: the status is the rule there.
        Expect::Unauthenticated if status != 401 || (route.api && r.code() != "unauthenticated") => {
            wrong.push(format!("expected 401 unauthenticated, got {status}: {text}"))
        }
        Expect::Forbidden if status != 403 || (route.api && r.code() != "forbidden") => {
            wrong.push(format!("expected 403 forbidden, got {status}: {text}"))
        }
        Expect::NotFound if status != 404 => {
            wrong.push(format!("expected 404 for clinic 1's object, got {status}: {text}"))
        }
        _ => {}
    }
    if matches!(p.kind, Kind::Staff { clinic: 2, .. }) && route.access != Access::Public {
        for (secret, what) in &w.clinic1_secrets {
            if r.text.contains(secret.as_str()) {
                wrong.push(format!("clinic 2 was shown {what} ({secret}) with status {status}: {text}"));
            }
        }
    }
    if (route.path.starts_with("/api/v1/me") || route.path.starts_with("/me")) && p.kind == Kind::Patient {
        let (me, other) = if p.label == "patA" { (&w.patient_a, &w.patient_b) } else { (&w.patient_b, &w.patient_a) };
        for secret in [&other.id, &other.name] {
            if r.text.contains(secret.as_str()) {
                wrong.push(format!("{} was shown the other patient's {secret}: {text}", p.label));
            }
        }
        if route.path == "/api/v1/me" && r.json["id"] != me.id.as_str() {
            wrong.push(format!("{} got a record that is not their own: {text}", p.label));
        }
    }
    wrong
}

/// Whether a route reads or changes patient data (its answer names patients, or it acts on a
/// patient's record): every such call that succeeds must leave an audit record (issue 14, the
/// standing defence "a test walks the route table and checks that every patient-data route
/// leaves an audit entry").
fn touches_patient_data(path: &str) -> bool {
    // The blank new-patient form shows no one.
    if path == "/staff/patients/new" {
        return false;
    }
    path == "/staff"
        || ["/api/v1/me", "/me", "/api/v1/patients", "/staff/patients", "/api/v1/alerts", "/staff/alerts"]
            .iter()
            .any(|p| path == *p || path.starts_with(&format!("{p}/")))
        || [
            "/api/v1/follow-ups",
            "/staff/follow-ups",
            "/api/v1/audit",
            "/api/v1/check-ins",
            "/api/v1/overrides",
            "/api/v1/photos",
        ]
        .iter()
        .any(|p| path.starts_with(p))
}

/// The audit records in the test's database.
async fn audit_rows(t: &TestApp) -> i64 {
    let pool = t.database().await;
    let n: i64 = sqlx::query_scalar("SELECT count(*) FROM audit").fetch_one(&pool).await.unwrap();
    pool.close().await;
    n
}

#[tokio::test(flavor = "multi_thread")]
async fn every_route_answers_every_caller_as_its_access_rule_says() {
    let mut w = build_world().await;
    let mut routes = table();
    // Logging out ends the caller's session: it goes last.
    routes.sort_by_key(|r| r.path == "/api/v1/auth/logout" || r.path == "/logout");
    let labels: Vec<&'static str> = w.principals.iter().map(|p| p.label).collect();

    let mut failures: Vec<String> = Vec::new();
    let mut exercised: BTreeSet<(String, String)> = BTreeSet::new();
    let mut rows: Vec<(String, Vec<String>)> = Vec::new();
    for route in &routes {
        let name = format!("{} {}", route.method, route.path);
        if request_for(&w, route.method, route.path).is_none() {
            failures.push(format!("{name}: the matrix has no request for this route; add one"));
            continue;
        }
        let mut cells = Vec::new();
        for i in 0..w.principals.len() {
            let (body, fresh) = request_for(&w, route.method, route.path).unwrap();
            let path = fill(&mut w, route, fresh, i).await;
            let p = &w.principals[i];
            let want = expect(route.access, p.kind, route.path);
            let audited_before = audit_rows(&w.t).await;
            let r = send(&p.api, route.method, &path, &body).await;
            let mut wrong = judge(&w, route, p, want, &r);
            let succeeded = (200..300).contains(&r.status) || r.status == 303;
            if succeeded && touches_patient_data(route.path) && audit_rows(&w.t).await == audited_before {
                wrong.push(format!("answered {} and left no audit record", r.status));
            }
            let (p_label, patient_caller) = (p.label, p.kind == Kind::Patient);
            // A patient who signed out everywhere signs in again for the routes after.
            if fresh == Fresh::OwnLogin && patient_caller && r.status == 200 {
                let me = if p_label == "patA" { &w.patient_a } else { &w.patient_b };
                let record = json!({ "id": me.id, "name": me.name });
                let again = w.t.patient_login(&w.t.admin.api, &record).await;
                w.principals[i].api = again.api.clone();
                if p_label == "patA" {
                    w.patient_a.api = again.api;
                } else {
                    w.patient_b.api = again.api;
                }
            }
            let mark = if wrong.is_empty() { "" } else { "!" };
            cells.push(format!("{}{mark}", r.status));
            failures.extend(wrong.into_iter().map(|m| format!("{name} as {}: {m}", p_label)));
        }
        exercised.insert((route.method.to_string(), route.path.to_string()));
        rows.push((name, cells));
    }

    // Logout really ended every cookie session (and a token simply stays valid).
    for p in &w.principals {
        let r = p.api.get("/api/v1/auth/session").await;
        let want = if p.cookie || p.kind == Kind::Anonymous { 401 } else { 200 };
        if r.status != want {
            failures.push(format!(
                "after logout, {} gets {} from /api/v1/auth/session (expected {want})",
                p.label, r.status
            ));
        }
    }

    let width = rows.iter().map(|(n, _)| n.len()).max().unwrap_or(0);
    eprintln!("\naccess matrix: {} routes x {} callers (! = breaks the rule)", routes.len(), labels.len());
    eprintln!("{:width$}  {}", "route", labels.iter().map(|l| format!("{l:>6}")).collect::<String>());
    for (name, cells) in &rows {
        eprintln!("{name:width$}  {}", cells.iter().map(|c| format!("{c:>6}")).collect::<String>());
    }

    let all: BTreeSet<(String, String)> = table().iter().map(|r| (r.method.to_string(), r.path.to_string())).collect();
    let missing: Vec<_> = all.difference(&exercised).collect();
    assert!(missing.is_empty(), "routes not exercised by the matrix: {missing:?}");
    assert_eq!(exercised.len(), table().len(), "every route of the table is one (method, path)");
    assert!(failures.is_empty(), "{} access-rule violations:\n{}", failures.len(), failures.join("\n"));
}
