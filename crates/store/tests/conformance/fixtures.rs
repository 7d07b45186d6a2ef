//! Building blocks the stories share: a set-up clinic, people, and the records they make.

use std::fmt::Debug;
use std::sync::Arc;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use needlepath_core::session::{AreaDepth, Numbing, SessionWarning, WarningCode};
use needlepath_store::*;
use serde_json::json;

pub type DynStore = Arc<dyn Store>;

/// A moment from RFC 3339.
pub fn t(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).expect("RFC 3339 time").with_timezone(&Utc)
}

/// The moment as the store keeps it: whole milliseconds.
pub fn ms(t: DateTime<Utc>) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(t.timestamp_millis()).expect("in range")
}

pub fn days(n: i64) -> Duration {
    Duration::days(n)
}

pub fn date(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("date")
}

pub const IP: &str = "203.0.113.7";

pub fn new_staff(email: &str, role: Role) -> NewStaff {
    NewStaff { email: email.into(), name: format!("Staff {email}"), role, password_hash: "$argon2id$test".into() }
}

/// Completes first-run setup at `now`: the clinic, its admin and the admin as an actor.
pub async fn setup_clinic_at(store: &DynStore, now: DateTime<Utc>) -> (Clinic, Staff, Actor) {
    store.replace_setup_token("setup-token", now, now + Duration::hours(1)).await.unwrap();
    let clinic = NewClinic {
        name: "Clinic One".into(),
        time_zone: needlepath_store::IanaZone::parse("Europe/Berlin").unwrap(),
        settings: ClinicSettings::default(),
    };
    let (clinic, admin) =
        store.complete_setup("setup-token", now, clinic, new_staff("admin@clinic.test", Role::Admin)).await.unwrap();
    let actor = staff_actor(&admin);
    (clinic, admin, actor)
}

pub async fn setup_clinic(store: &DynStore) -> (Clinic, Staff, Actor) {
    setup_clinic_at(store, Utc::now()).await
}

pub fn staff_actor(staff: &Staff) -> Actor {
    Actor { clinic: staff.clinic, who: Who::Staff(staff.id, staff.role), ip: Some(IP.into()) }
}

pub fn patient_actor(patient: &Patient) -> Actor {
    Actor { clinic: patient.clinic, who: Who::Patient(patient.id), ip: Some("198.51.100.9".into()) }
}

pub fn system_actor(clinic: ClinicId) -> Actor {
    Actor { clinic, who: Who::System, ip: None }
}

/// A practitioner of the actor's clinic, and them as an actor.
pub async fn add_practitioner(store: &DynStore, actor: &Actor, email: &str) -> (Staff, Actor) {
    let staff = store.add_staff(actor, new_staff(email, Role::Practitioner)).await.unwrap();
    let as_actor = staff_actor(&staff);
    (staff, as_actor)
}

pub fn new_patient(name: &str) -> NewPatient {
    NewPatient {
        name: name.into(),
        email: None,
        phone: None,
        time_zone: needlepath_store::IanaZone::parse("Europe/Berlin").unwrap(),
        birth_date: None,
        fitzpatrick: None,
        findings: vec![],
        allergies: vec![],
        medication: vec![],
        consent_messages: true,
    }
}

/// A new patient who signed the clinic's current treatment consent (sessions need it).
pub async fn add_patient(store: &DynStore, actor: &Actor, name: &str) -> Patient {
    let patient = store.create_patient(actor, new_patient(name)).await.unwrap();
    sign_treatment_consent(store, &patient).await;
    patient
}

/// The treatment consent text every story's clinic publishes first.
pub const TREATMENT_TEXT: &str =
    "I agree to microneedling of the areas we discussed. Sources: 002_71106a54b86a9294.txt";

/// The patient signs the current treatment consent (published first if the clinic has none).
pub async fn sign_treatment_consent(store: &DynStore, patient: &Patient) -> Consent {
    let mut unit = store.writing(&system_actor(patient.clinic)).await.unwrap();
    let document = match unit.current_consent_document(ConsentKind::Treatment).await.unwrap() {
        Some(d) => d,
        None => {
            let text = NewConsentDocument {
                kind: ConsentKind::Treatment,
                body: TREATMENT_TEXT.into(),
                sha256: "0".repeat(64),
            };
            unit.publish_consent_document(text, Utc::now()).await.unwrap()
        }
    };
    unit.finish(Audit::view("consent.published", patient.id, &[])).await.unwrap();
    let mut unit = store.writing(&patient_actor(patient)).await.unwrap();
    let consent = NewConsent {
        patient: patient.id,
        document: document.id,
        typed_name: patient.name.clone(),
        signer: Signer::Patient,
        on_paper: false,
        signed_at: Utc::now(),
        address: Some("198.51.100.9".into()),
        user_agent: Some("story".into()),
    };
    let consent = unit.sign_consent(consent).await.unwrap();
    unit.finish(Audit::view("consent.signed", patient.id, &[Seen::Consents])).await.unwrap();
    consent
}

pub fn screening(patient: PatientId, decision: &str) -> NewScreening {
    NewScreening {
        patient,
        request: json!({ "answers": { "pregnant": false }, "decision_wanted": decision }),
        result: screening_result(decision),
        decision: Decision::parse(decision).unwrap(),
        defer_until: (decision == "defer").then(|| date("2030-12-31")),
        protocol_version: "2025.1".into(),
        findings_on_record: None,
    }
}

/// A result as the engine writes it: a deferral has one absolute reason (pregnancy), a refusal
/// one absolute reason (a reaction from an earlier session); no review is required.
pub fn screening_result(decision: &str) -> serde_json::Value {
    let reasons = match decision {
        "defer" => json!([{ "code": "pregnant", "effect": "defer", "hold": "absolute" }]),
        "not_eligible" => {
            json!([{ "code": "previous_session_reaction", "effect": "not_eligible", "hold": "absolute" }])
        }
        _ => json!([]),
    };
    json!({ "decision": decision, "clinician_review_required": false, "reasons": reasons })
}

/// A patient with an `eligible` screening, so a session can be recorded.
pub async fn eligible_patient(store: &DynStore, actor: &Actor, name: &str) -> Patient {
    let patient = add_patient(store, actor, name).await;
    store.add_screening(actor, screening(patient.id, "eligible")).await.unwrap();
    patient
}

pub fn session(
    patient: PatientId,
    practitioner: StaffId,
    performed_at: DateTime<Utc>,
    check_ins: &[u32],
) -> NewSession {
    NewSession {
        patient,
        plan: None,
        performed_at,
        device: "pen-a6".into(),
        needle_depth_mm: 0.75,
        areas: vec!["forehead".into(), "cheeks".into()],
        products: vec!["hyaluronic serum".into()],
        numbing: Some(Numbing {
            agent: "lidocaine".into(),
            area_cm2: 250.0,
            minutes: 75.0,
            occluded: false,
            removed: true,
        }),
        numbing_note: None,
        depths: vec![
            AreaDepth { area: "forehead".into(), depth_mm: 0.5 },
            AreaDepth { area: "cheeks".into(), depth_mm: 0.75 },
        ],
        warnings: vec![SessionWarning {
            code: WarningCode::NumbingTimeOverMax,
            area: None,
            value: Some(75.0),
            limit: Some(60.0),
            message: "The numbing cream stayed on longer than the usual maximum.".into(),
            sources: vec!["AlsterAAD2015".into()],
            evidence: Some("practice".into()),
        }],
        practitioner,
        notes: "tolerated well".into(),
        override_reason: None,
        override_blockers: vec![],
        min_interval_days: 28,
        extra_blockers: Vec::new(),
        check_ins: check_ins.iter().map(|d| (*d, performed_at + days(i64::from(*d)))).collect(),
        appointment: None,
        messages: vec![],
    }
}

pub fn submission(patient: PatientId, scheduled: Option<CheckInId>, submitted_at: DateTime<Utc>) -> CheckInSubmission {
    CheckInSubmission {
        patient,
        scheduled,
        session: None,
        submitted_at,
        request: json!({ "redness": 2, "pain": 1, "photos": [] }),
        result: json!({ "disposition": "self_care", "advice": ["keep cool"] }),
        disposition: Disposition::SelfCare,
        temperature_c: Some(36.8),
        note: Some("a little red".into()),
        alert: None,
        escalation: vec![],
    }
}

/// A submission that opens an alert of `disposition` due at `deadline_at`.
pub fn alarming(
    patient: PatientId,
    submitted_at: DateTime<Utc>,
    disposition: &str,
    deadline_at: DateTime<Utc>,
) -> CheckInSubmission {
    CheckInSubmission {
        disposition: Disposition::parse(disposition).unwrap(),
        result: json!({ "disposition": disposition }),
        alert: Some(NewAlert { disposition: Disposition::parse(disposition).unwrap(), deadline_at }),
        ..submission(patient, None, submitted_at)
    }
}

/// The blockers of a refused session; anything else fails the test.
pub fn blockers<T: Debug>(result: Result<T>) -> Vec<Blocker> {
    match result {
        Err(StoreError::SessionBlocked(b)) => b,
        other => panic!("expected SessionBlocked, got {other:?}"),
    }
}

/// The actions in the audit trail (newest first).
pub fn actions(entries: &[AuditEntry]) -> Vec<&str> {
    entries.iter().map(|e| e.action.as_str()).collect()
}

/// A patient reminder to queue, due at `due_at`.
pub fn reminder(patient: PatientId, key: &str, channel: Channel, due_at: DateTime<Utc>) -> NewMessage {
    NewMessage {
        key: key.into(),
        recipient: Recipient::Patient(patient),
        kind: MessageKind::PreCare,
        channel,
        due_at,
        payload: json!({ "kind": "pre_care", "items": [] }),
    }
}
