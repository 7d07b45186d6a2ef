//! Check-ins: triaged at once by the engine; `contact_clinic` or worse opens an alert with the
//! clinic's response deadline, in the same transaction as the check-in.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use chrono::Utc;
use needlepath_core::request::CheckIn as EngineCheckIn;
use needlepath_core::triage::triage;
use needlepath_core::vocabulary::Disposition;
use needlepath_store::{Actor, CheckInId, CheckInSubmission, NewAlert, PatientId, Who};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::App;
use crate::api::{created, id, input, known_patient, opt_text, zone};
use crate::auth::Authed;
use crate::body::Body;
use crate::deadline::{Hours, deadline};
use crate::metrics::Metrics;
use crate::problem::{ApiError, ApiResult};
use crate::reminders;
use crate::reminders::schedule::EscalatedAlert;
use crate::schedule::pick_scheduled;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CheckInSubmit {
    /// The contract's symptom reports: `{ "code", "severity", "trend"? }`.
    pub symptoms: Vec<Value>,
    pub temperature_c: Option<f64>,
    pub note: Option<String>,
    /// The scheduled check-in this answers; by default the one due now.
    pub check_in_id: Option<CheckInId>,
}

/// Triage a check-in for `patient`, store it with its alert, and answer.
pub async fn submit(app: &App, actor: &Actor, patient: PatientId, r: CheckInSubmit) -> ApiResult<Value> {
    let note = opt_text("note", r.note.as_deref(), 4000)?;
    let record = app.store.patient(actor, patient).await?;
    let sessions = app.store.list_sessions(actor, patient).await?;
    let Some(session) = sessions.first() else {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "no_session",
            "there is no treatment session on record to check in about; if you are unwell, call the clinic, or emergency services in an emergency",
        ));
    };
    let now = Utc::now();
    let hours = ((now - session.performed_at).num_seconds().max(0)) as f64 / 3600.0;
    let codes: Vec<&str> = record.findings.iter().map(|f| f.code.as_str()).collect();
    let mut request = json!({
        "hours_since_treatment": (hours * 100.0).round() / 100.0,
        "symptoms": r.symptoms,
        "findings": codes,
    });
    if let Some(t) = r.temperature_c {
        request["temperature_c"] = json!(t);
    }
    if let Some(f) = record.fitzpatrick {
        request["fitzpatrick"] = json!(f);
    }
    let parsed = EngineCheckIn::from_json(&request).map_err(input)?;
    let protocol = app.protocol_for(actor.clinic).await?;
    let result = triage(&protocol, &parsed);
    let disposition = result.disposition;
    let result_json = serde_json::to_value(&result).map_err(|_| ApiError::internal())?;

    let mut escalation = Vec::new();
    let alert = if disposition >= Disposition::ContactClinic {
        let clinic = app.store.clinic(actor.clinic).await?;
        let tz = zone("time_zone", &clinic.time_zone)?;
        let hours = Hours::parse(&clinic.settings.opening_hours).map_err(|_| ApiError::internal())?;
        let r = &clinic.settings.response;
        let alert = deadline(disposition, now, tz, &hours, r.urgent_minutes, r.contact_business_days)
            .map(|deadline_at| NewAlert { disposition: disposition.as_str().to_string(), deadline_at });
        if let Some(a) = &alert {
            // Staff are told at once, in the alert's own transaction; the system reads the
            // staff list because a patient may not.
            let system = Actor { clinic: actor.clinic, who: Who::System, ip: None };
            let staff = app.store.list_staff(&system).await?;
            let what = EscalatedAlert { disposition: a.disposition.clone(), deadline_at: a.deadline_at };
            escalation = reminders::schedule::escalation(&staff, &record, &what, now);
        }
        alert
    } else {
        None
    };
    let scheduled = match r.check_in_id {
        Some(id) => Some(id),
        None => pick_scheduled(&app.store.list_check_ins(actor, patient).await?, session.id, now),
    };
    let (check_in, alert) = app
        .store
        .submit_check_in(
            actor,
            CheckInSubmission {
                patient,
                scheduled,
                session: Some(session.id),
                submitted_at: now,
                request,
                result: result_json.clone(),
                disposition: disposition.as_str().to_string(),
                temperature_c: r.temperature_c,
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
    Ok(json!({
        "call_emergency_services": disposition == Disposition::Emergency,
        "disposition": disposition.as_str(),
        "check_in": check_in,
        "triage": result_json,
        "alert": alert.map(|a| json!({ "id": a.id, "disposition": a.disposition, "deadline_at": a.deadline_at })),
    }))
}

pub async fn submit_own(State(app): State<Arc<App>>, a: Authed, Body(r): Body<CheckInSubmit>) -> ApiResult<Response> {
    let patient = a.patient().ok_or_else(|| ApiError::forbidden("only a patient can check in for themselves"))?;
    Ok(created(submit(&app, &a.actor, patient, r).await?))
}

pub async fn submit_for_patient(
    State(app): State<Arc<App>>,
    a: Authed,
    Path(raw): Path<String>,
    Body(r): Body<CheckInSubmit>,
) -> ApiResult<Response> {
    let patient: PatientId = id(&raw, "patient")?;
    Ok(created(submit(&app, &a.actor, patient, r).await?))
}

pub async fn list_for_patient(
    State(app): State<Arc<App>>,
    a: Authed,
    Path(raw): Path<String>,
) -> ApiResult<Json<Value>> {
    let patient = known_patient(&app, &a, &raw).await?;
    Ok(Json(json!({ "check_ins": app.store.list_check_ins(&a.actor, patient).await? })))
}
