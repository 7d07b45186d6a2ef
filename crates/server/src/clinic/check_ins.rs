//! A patient's check-in: read against the record, triaged at once by the engine, stored with the
//! alert it opens and the staff escalation, all in one write transaction with one audit record.
//!
//! No fault in any other field stops a warning sign: when the strict reading fails but what can
//! still be read names one, the check-in is read leniently (`CheckIn::salvage`), triaged, stored
//! and alerted, and every part left out is listed in [`CheckInOutcome::unread`].

use std::sync::Arc;

use chrono::{DateTime, Utc};
use needlepath_core::Protocol;
use needlepath_core::pathway::check_ins::{Scheduled, answer_fills};
use needlepath_core::pathway::response::{self, ResponseTimes};
use needlepath_core::request::{CheckIn as EngineCheckIn, InputError};
use needlepath_core::session::facts as session_facts;
use needlepath_core::triage::{TriageResult, triage};
use needlepath_core::vocabulary::{Disposition, Finding, Symptom};
use needlepath_store::{
    Actor, Alert, Audit, CheckIn, CheckInId, CheckInSubmission, Clinic, NewAlert, Patient, PatientId, Seen,
};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::App;
use crate::api::{input, opt_text};
use crate::clinic::{ClinicError, ClinicResult};
use crate::metrics::Metrics;
use crate::reminders;
use crate::reminders::schedule::EscalatedAlert;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CheckInSubmit {
    /// The contract's symptom reports: `{ "code", "severity"?, "trend"? }`.
    symptoms: Vec<Value>,
    temperature_c: Option<f64>,
    note: Option<String>,
    /// The scheduled check-in this answers; by default the one due now.
    check_in_id: Option<CheckInId>,
}

const SUBMIT_FIELDS: [&str; 4] = ["symptoms", "temperature_c", "note", "check_in_id"];
const MAX_NOTE: usize = 4000;

/// From this many hours after the session the check-in page asks whether each ticked symptom is
/// getting better or worse (the engine assumes "worse" from 48 h when it is not said).
const TREND_ASKED_FROM_HOURS: f64 = 24.0;

/// A check-in as posted: the contract's check-in document (`symptoms`, `temperature_c`, `note`,
/// `check_in_id`). It stays a JSON document up to here on purpose: the salvage reading that keeps
/// a warning sign from being stopped by a fault elsewhere needs the document as sent.
#[derive(Debug, Clone)]
pub struct CheckInInput {
    pub body: Value,
    /// Refuse a symptom without its trend from the day after the session (the page asks for
    /// it; a warning sign or a measured fever always goes through).
    pub trend_required: bool,
}

/// What a check-in led to.
pub struct CheckInOutcome {
    /// The protocol it was triaged by.
    pub protocol: Arc<Protocol>,
    /// The check-in as the engine read it.
    pub request: EngineCheckIn,
    pub disposition: Disposition,
    pub check_in: CheckIn,
    /// The alert it opened, if it asked for the clinic.
    pub alert: Option<Alert>,
    /// Parts of a warning-sign check-in that could not be read and were left out.
    pub unread: Vec<InputError>,
    pub patient: Patient,
    pub clinic: Clinic,
    pub now: DateTime<Utc>,
}

impl CheckInOutcome {
    /// The engine's triage of the check-in (pure and deterministic: the same result as stored).
    pub fn triage(&self) -> TriageResult<'_> {
        triage(&self.protocol, &self.request)
    }
}

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
fn read(body: &Value, known: &Value, protocol: &Protocol) -> ClinicResult<Read> {
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
    let Value::Object(map) = body else { return Err(refused.into()) };
    let raw = engine_request(map.get("symptoms").unwrap_or(&Value::Null), map.get("temperature_c"));
    let Some(salvaged) = EngineCheckIn::salvage(&raw, |s| protocol.symptom(s).is_warning_sign()) else {
        return Err(refused.into());
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

/// The first ticked symptom sent without its trend, when the session was
/// `TREND_ASKED_FROM_HOURS` or more ago; `None` when nothing is missing, before then, or when the
/// check-in names a warning sign (a warning sign is never held back by a missing answer: it is
/// sent, and the engine assumes the trend conservatively).
pub fn trend_missing(p: &Protocol, body: &Value, hours: Option<f64>) -> Option<String> {
    if hours.is_none_or(|h| h < TREND_ASKED_FROM_HOURS) {
        return None;
    }
    let symptoms = body["symptoms"].as_array()?;
    let warning = symptoms.iter().any(|s| {
        s["code"].as_str().and_then(|c| Symptom::parse(c).ok()).is_some_and(|s| p.symptom(s).is_warning_sign())
    }) || body["temperature_c"].as_f64().is_some_and(|t| t >= p.triage.fever_threshold_c);
    if warning {
        return None;
    }
    symptoms
        .iter()
        .find(|s| s.get("trend").is_none() && s["code"].as_str().is_some_and(|c| Symptom::parse(c).is_ok()))
        .and_then(|s| s["code"].as_str().map(str::to_string))
}

/// Triage a check-in for `patient`, store it with its alert, and say what it led to.
///
/// A check-in that names a warning sign is answered and alerted whatever else is wrong with it:
/// faulty fields are left out and listed under `unread`, and a patient with no session on record
/// is triaged as at the day of a session. Everything (the record read, the check-in, the alert
/// and the staff escalation) happens in one write transaction with one audit record.
pub async fn submit(
    app: &App,
    actor: &Actor,
    patient: PatientId,
    input: &CheckInInput,
) -> ClinicResult<CheckInOutcome> {
    let mut unit = app.records.store().writing(actor).await?;
    let record = unit.patient(patient).await?;
    // The latest session only: a check-in costs the same after 50 sessions (issue 16).
    let sessions = unit.recent_sessions(patient, needlepath_store::Page::first(1)).await?;
    let clinic = unit.clinic().await?;
    let protocol = app.protocol_of(&clinic);
    let now = app.now();
    let session = sessions.first();
    let hours = session.map(|s| ((now - s.performed_at).num_seconds().max(0)) as f64 / 3600.0);
    if input.trend_required
        && let Some(code) = trend_missing(&protocol, &input.body, hours)
    {
        return Err(ClinicError::TrendMissing(code));
    }
    let hours = hours.unwrap_or(0.0);
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
    let Read { check_in: parsed, request, note, check_in_id, unread } = read(&input.body, &known, &protocol)?;
    let warning = parsed.symptoms.iter().any(|r| protocol.symptom(r.symptom).is_warning_sign());
    if session.is_none() && !warning {
        return Err(ClinicError::NoSession);
    }
    let result = triage(&protocol, &parsed);
    let disposition = result.disposition;
    // A patient's routine reports are limited per hour (issue 14, defect 8); the limit is
    // asked only after triage, and never of a check-in that opens an alert.
    if let needlepath_store::Who::Patient(_) = actor.who
        && !response::opens_alert(disposition)
    {
        let sent = unit.check_ins_sent_since(patient, now - chrono::Duration::hours(1)).await?;
        if !response::takes_check_in(disposition, sent, app.config.check_ins_per_patient_per_hour) {
            unit.finish(Audit::view("check_in.refused_limit", patient, &[Seen::Patient, Seen::Sessions])).await?;
            return Err(ClinicError::TooManyCheckIns { sent });
        }
    }
    let result_json =
        serde_json::to_value(&result).map_err(|e| ClinicError::Unexpected(format!("triage result: {e}")))?;

    let mut escalation = Vec::new();
    let mut seen = vec![Seen::Patient, Seen::Sessions];
    let alert = if response::opens_alert(disposition) {
        let tz = clinic.time_zone.tz();
        let hours = clinic
            .settings
            .opening_hours
            .parsed()
            .map_err(|e| ClinicError::Unexpected(format!("stored opening hours: {e:?}")))?;
        let times = ResponseTimes::from(&clinic.settings.response);
        let alert = response::deadline(disposition, now, tz, &hours, &times)
            .map(|deadline_at| NewAlert { disposition, deadline_at });
        if let Some(a) = &alert {
            // Staff are told at once, in the alert's own transaction.
            let staff = unit.staff_to_tell().await?;
            let what = EscalatedAlert { disposition: a.disposition, deadline_at: a.deadline_at };
            escalation = reminders::schedule::escalation(&staff, &record, &what, now);
        }
        alert
    } else {
        None
    };
    let scheduled = match (check_in_id, session) {
        (Some(id), _) => Some(id),
        (None, Some(session)) => {
            seen.push(Seen::CheckIns);
            let scheduled: Vec<Scheduled<CheckInId>> = unit
                .scheduled_check_ins_of(patient, session.id)
                .await?
                .iter()
                .filter(|c| c.session == Some(session.id))
                .filter_map(|c| {
                    c.due_at.map(|due_at| Scheduled { id: c.id, due_at, answered: c.submitted_at.is_some() })
                })
                .collect();
            answer_fills(&scheduled, now)
        }
        (None, None) => None,
    };
    let (check_in, alert) = unit
        .submit_check_in(CheckInSubmission {
            patient,
            scheduled,
            session: session.map(|s| s.id),
            submitted_at: now,
            request,
            result: result_json,
            disposition,
            temperature_c: parsed.temperature_c,
            note,
            alert,
            escalation,
        })
        .await?;
    unit.finish(Audit {
        also: Vec::new(),
        action: "check_in.submit",
        patient: Some(patient),
        target: Some(check_in.id.0),
        seen,
    })
    .await?;
    Metrics::inc(&app.metrics.check_ins);
    if alert.is_some() {
        Metrics::inc(&app.metrics.alerts_opened);
    }
    Ok(CheckInOutcome { protocol, request: parsed, disposition, check_in, alert, unread, patient: record, clinic, now })
}

/// Whether the patient has a session on record (the check-in form says so before the patient
/// fills it in). Audited as the form's view of the sessions.
pub async fn has_session(app: &App, actor: &Actor, patient: PatientId) -> ClinicResult<bool> {
    let mut unit = app.records.store().reading(actor).await?;
    let any = !unit.recent_sessions(patient, needlepath_store::Page::first(1)).await?.is_empty();
    unit.finish(Audit::view("check_in.form_viewed", patient, &[Seen::Sessions])).await?;
    Ok(any)
}

/// A page of the patient's check-ins, scheduled and sent (the latest `page.size()`, skipping the
/// `page.start()` newest), in the order they were (or fall) due (an unknown patient is a 404,
/// never an empty list).
pub async fn list(
    app: &App,
    actor: &Actor,
    patient: PatientId,
    page: needlepath_store::Page,
) -> ClinicResult<Vec<CheckIn>> {
    let mut unit = app.records.store().reading(actor).await?;
    unit.patient(patient).await?;
    let list = unit.recent_check_ins(patient, page).await?;
    unit.finish(Audit::view("check_in.list", patient, &[Seen::Patient, Seen::CheckIns])).await?;
    Ok(list)
}
