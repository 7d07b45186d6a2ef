//! Check-ins: triaged at once by the engine; `contact_clinic` or worse opens an alert with the
//! clinic's response deadline, in the same transaction as the check-in.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use chrono::Utc;
use needlepath_core::Protocol;
use needlepath_core::request::{CheckIn as EngineCheckIn, InputError};
use needlepath_core::session::facts as session_facts;
use needlepath_core::triage::triage;
use needlepath_core::vocabulary::{Disposition, Finding};
use needlepath_store::{Actor, CheckInId, CheckInSubmission, NewAlert, PatientId, Who};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::App;
use crate::api::{created, id, input, known_patient, opt_text};
use crate::auth::Authed;
use crate::body::RawBody;
use crate::deadline::{Hours, deadline};
use crate::metrics::Metrics;
use crate::problem::{ApiError, ApiResult};
use crate::reminders;
use crate::reminders::schedule::EscalatedAlert;
use crate::schedule::pick_scheduled;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CheckInSubmit {
    /// The contract's symptom reports: `{ "code", "severity"?, "trend"? }`.
    pub symptoms: Vec<Value>,
    pub temperature_c: Option<f64>,
    pub note: Option<String>,
    /// The scheduled check-in this answers; by default the one due now.
    pub check_in_id: Option<CheckInId>,
}

const SUBMIT_FIELDS: [&str; 4] = ["symptoms", "temperature_c", "note", "check_in_id"];
const MAX_NOTE: usize = 4000;

/// A check-in as posted, read strictly; or, when the strict reading fails but the check-in names a
/// warning sign, read as far as it can be, with every part left out listed in `unread`.
struct Read {
    check_in: EngineCheckIn,
    /// The engine's request as stored: what was read, in the contract's form.
    request: Value,
    note: Option<String>,
    check_in_id: Option<CheckInId>,
    unread: Vec<InputError>,
}

/// Reads the posted body against what the service knows (hours since the session, findings, skin
/// type). No fault in any field stops a warning sign: the salvage reading takes over (see
/// `needlepath_core::request::CheckIn::salvage`).
fn read(body: &Value, known: &Value, protocol: &Protocol) -> Result<Read, ApiError> {
    let engine_request = |symptoms: &Value, temperature: Option<&Value>| {
        let mut r = known.clone();
        r["symptoms"] = symptoms.clone();
        if let Some(t) = temperature.filter(|t| !t.is_null()) {
            r["temperature_c"] = t.clone();
        }
        r
    };
    let strict = crate::body::parse::<CheckInSubmit>(body.clone()).and_then(|r| {
        let note = opt_text("note", r.note.as_deref(), MAX_NOTE)?;
        let request = engine_request(&Value::Array(r.symptoms), r.temperature_c.map(|t| json!(t)).as_ref());
        let check_in = EngineCheckIn::from_json(&request).map_err(input)?;
        Ok(Read { request: canonical(&check_in), check_in, note, check_in_id: r.check_in_id, unread: Vec::new() })
    });
    let refused = match strict {
        Ok(read) => return Ok(read),
        Err(e) => e,
    };
    let Value::Object(map) = body else { return Err(refused) };
    let raw = engine_request(map.get("symptoms").unwrap_or(&Value::Null), map.get("temperature_c"));
    let Some(salvaged) = EngineCheckIn::salvage(&raw, |s| protocol.symptom(s).is_warning_sign()) else {
        return Err(refused);
    };
    let mut unread = salvaged.unread;
    for key in map.keys().filter(|k| !SUBMIT_FIELDS.contains(&k.as_str())) {
        unread.push(InputError::new(key.clone(), "unknown field, left out"));
    }
    let note = match map.get("note") {
        None | Some(Value::Null) => None,
        Some(Value::String(n)) => {
            let n = n.trim();
            if n.chars().count() > MAX_NOTE {
                unread
                    .push(InputError::new("note", format!("longer than {MAX_NOTE} characters; the rest was left out")));
            }
            Some(n.chars().take(MAX_NOTE).collect::<String>()).filter(|n| !n.is_empty())
        }
        Some(_) => {
            unread.push(InputError::new("note", "expected text; left out"));
            None
        }
    };
    let check_in_id = match map.get("check_in_id") {
        None | Some(Value::Null) => None,
        Some(v) => match v.as_str().and_then(|s| s.parse().ok()) {
            Some(id) => Some(id),
            None => {
                unread.push(InputError::new("check_in_id", "not a check-in id; the check-in due now is answered"));
                None
            }
        },
    };
    Ok(Read { request: canonical(&salvaged.check_in), check_in: salvaged.check_in, note, check_in_id, unread })
}

/// The engine request as read, in the contract's form, for the record.
fn canonical(c: &EngineCheckIn) -> Value {
    let symptoms: Vec<Value> = c
        .symptoms
        .iter()
        .map(|r| {
            let mut o = json!({ "code": r.symptom.as_str() });
            if let Some(s) = r.severity {
                o["severity"] = json!(s.as_str());
            }
            if let Some(t) = r.trend {
                o["trend"] = json!(t.as_str());
            }
            o
        })
        .collect();
    let findings: Vec<&str> = Finding::ALL.iter().filter(|f| c.findings.contains(**f)).map(|f| f.as_str()).collect();
    let mut r = json!({
        "hours_since_treatment": c.hours_since_treatment,
        "symptoms": symptoms,
        "findings": findings,
    });
    if let Some(t) = c.temperature_c {
        r["temperature_c"] = json!(t);
    }
    if let Some(f) = c.fitzpatrick {
        r["fitzpatrick"] = json!(f);
    }
    if let Some(s) = c.session {
        r["session"] = json!({ "numbing": s.numbing, "depth_mm": s.depth_mm });
    }
    r
}

/// Triage a check-in for `patient`, store it with its alert, and answer.
///
/// A check-in that names a warning sign is answered and alerted whatever else is wrong with it:
/// faulty fields are left out and listed under `unread`, and a patient with no session on record
/// is triaged as at the day of a session.
pub async fn submit(app: &App, actor: &Actor, patient: PatientId, body: &Value) -> ApiResult<Value> {
    let record = app.store.patient(actor, patient).await?;
    let sessions = app.store.list_sessions(actor, patient).await?;
    let protocol = app.protocol_for(actor.clinic).await?;
    let now = Utc::now();
    let session = sessions.first();
    let hours = session.map(|s| ((now - s.performed_at).num_seconds().max(0)) as f64 / 3600.0).unwrap_or(0.0);
    let codes: Vec<&str> = record.findings.iter().map(|f| f.code.as_str()).collect();
    let mut known = json!({
        "hours_since_treatment": (hours * 100.0).round() / 100.0,
        "findings": codes,
    });
    if let Some(f) = record.fitzpatrick {
        known["fitzpatrick"] = json!(f);
    }
    // The session's facts switch on the rules that only apply after some treatments (numbing
    // cream in the first hours, the expected course by depth); from the record, never the patient.
    if let Some(s) = session {
        let facts = session_facts(s.numbing.as_ref(), s.numbing_note.is_some(), Some(s.needle_depth_mm));
        known["session"] = json!({ "numbing": facts.numbing, "depth_mm": facts.depth_mm });
    }
    let Read { check_in: parsed, request, note, check_in_id, unread } = read(body, &known, &protocol)?;
    let warning = parsed.symptoms.iter().any(|r| protocol.symptom(r.symptom).is_warning_sign());
    if session.is_none() && !warning {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "no_session",
            "there is no treatment session on record to check in about; if you are unwell, call the clinic, or emergency services in an emergency",
        ));
    }
    let result = triage(&protocol, &parsed);
    let disposition = result.disposition;
    let result_json = serde_json::to_value(&result).map_err(|_| ApiError::internal())?;

    let mut escalation = Vec::new();
    let alert = if disposition >= Disposition::ContactClinic {
        let clinic = app.store.clinic(actor.clinic).await?;
        let tz = clinic.time_zone.tz();
        let hours = Hours::parse(&clinic.settings.opening_hours).map_err(|_| ApiError::internal())?;
        let alert = deadline(disposition, now, tz, &hours, &clinic.settings.response)
            .map(|deadline_at| NewAlert { disposition, deadline_at });
        if let Some(a) = &alert {
            // Staff are told at once, in the alert's own transaction; the system reads the
            // staff list because a patient may not.
            let system = Actor { clinic: actor.clinic, who: Who::System, ip: None };
            let staff = app.store.list_staff(&system).await?;
            let what = EscalatedAlert { disposition: a.disposition, deadline_at: a.deadline_at };
            escalation = reminders::schedule::escalation(&staff, &record, &what, now);
        }
        alert
    } else {
        None
    };
    let scheduled = match (check_in_id, session) {
        (Some(id), _) => Some(id),
        (None, Some(session)) => pick_scheduled(&app.store.list_check_ins(actor, patient).await?, session.id, now),
        (None, None) => None,
    };
    let (check_in, alert) = app
        .store
        .submit_check_in(
            actor,
            CheckInSubmission {
                patient,
                scheduled,
                session: session.map(|s| s.id),
                submitted_at: now,
                request,
                result: result_json.clone(),
                disposition,
                temperature_c: parsed.temperature_c,
                note,
                alert,
                escalation,
            },
        )
        .await?;
    Metrics::inc(&app.metrics.check_ins);
    if alert.is_some() {
        Metrics::inc(&app.metrics.alerts_opened);
    }
    let mut answer = json!({
        "call_emergency_services": disposition == Disposition::Emergency,
        "disposition": disposition.as_str(),
        "check_in": check_in,
        "triage": result_json,
        "alert": alert.map(|a| json!({ "id": a.id, "disposition": a.disposition, "deadline_at": a.deadline_at })),
    });
    if !unread.is_empty() {
        answer["unread"] =
            json!(unread.iter().map(|e| json!({ "field": e.field, "detail": e.message })).collect::<Vec<_>>());
    }
    Ok(answer)
}

pub async fn submit_own(State(app): State<Arc<App>>, a: Authed, RawBody(body): RawBody) -> ApiResult<Response> {
    let patient = a.patient().ok_or_else(|| ApiError::forbidden("only a patient can check in for themselves"))?;
    Ok(created(submit(&app, &a.actor, patient, &body).await?))
}

pub async fn submit_for_patient(
    State(app): State<Arc<App>>,
    a: Authed,
    Path(raw): Path<String>,
    RawBody(body): RawBody,
) -> ApiResult<Response> {
    let patient: PatientId = id(&raw, "patient")?;
    Ok(created(submit(&app, &a.actor, patient, &body).await?))
}

pub async fn list_for_patient(
    State(app): State<Arc<App>>,
    a: Authed,
    Path(raw): Path<String>,
) -> ApiResult<Json<Value>> {
    let patient = known_patient(&app, &a, &raw).await?;
    Ok(Json(json!({ "check_ins": app.store.list_check_ins(&a.actor, patient).await? })))
}
