//! The patient's own record: only ever their own, because the patient id comes from their
//! login session.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use chrono::{DateTime, Utc};
use needlepath_core::protocol::{FindingSet, Protocol};
use needlepath_core::timeline::{AftercareRequest, Timeline, Zone, timeline};
use needlepath_core::vocabulary::Finding;
use needlepath_store::{Actor, CheckIn, Patient, PatientId, Session};
use serde_json::{Value, json};

use crate::App;
use crate::auth::Authed;
use crate::problem::{ApiError, ApiResult};

pub(crate) fn me_id(a: &Authed) -> ApiResult<PatientId> {
    a.patient().ok_or_else(|| ApiError::forbidden("only a patient has a record of their own"))
}

pub async fn me(State(app): State<Arc<App>>, a: Authed) -> ApiResult<Json<Patient>> {
    Ok(Json(app.store.patient(&a.actor, me_id(&a)?).await?))
}

pub async fn screenings(State(app): State<Arc<App>>, a: Authed) -> ApiResult<Json<Value>> {
    Ok(Json(json!({ "screenings": app.store.list_screenings(&a.actor, me_id(&a)?).await? })))
}

pub async fn plans(State(app): State<Arc<App>>, a: Authed) -> ApiResult<Json<Value>> {
    Ok(Json(json!({ "plans": app.store.list_plans(&a.actor, me_id(&a)?).await? })))
}

pub async fn sessions(State(app): State<Arc<App>>, a: Authed) -> ApiResult<Json<Value>> {
    Ok(Json(json!({ "sessions": app.store.list_sessions(&a.actor, me_id(&a)?).await? })))
}

pub async fn check_ins(State(app): State<Arc<App>>, a: Authed) -> ApiResult<Json<Value>> {
    Ok(Json(json!({ "check_ins": app.store.list_check_ins(&a.actor, me_id(&a)?).await? })))
}

/// The patient's "today": the last session, its aftercare timeline, and the next check-in.
/// The JSON handler [`today`] and the Today page both read it, so they cannot disagree.
#[derive(Debug)]
pub struct Today<'p> {
    pub patient: Patient,
    pub now: DateTime<Utc>,
    /// Newest first.
    pub sessions: Vec<Session>,
    /// The timeline of the last session; `None` before the first session.
    pub timeline: Option<Timeline<'p>>,
    pub next_check_in: Option<CheckIn>,
}

/// What to do and avoid now for `patient`, as of this moment.
/// `protocol` is the clinic's (`App::protocol_for`).
pub async fn today_for<'p>(app: &App, protocol: &'p Protocol, actor: &Actor, id: PatientId) -> ApiResult<Today<'p>> {
    let patient = app.store.patient(actor, id).await?;
    let sessions = app.store.list_sessions(actor, id).await?;
    let now = Utc::now();
    let Some(last) = sessions.first() else {
        return Ok(Today { patient, now, sessions, timeline: None, next_check_in: None });
    };
    let tz = patient.time_zone.tz();
    let mut findings = FindingSet::default();
    for f in &patient.findings {
        if let Ok(code) = Finding::parse(&f.code) {
            findings.insert(code);
        }
    }
    let req = AftercareRequest {
        treated_at: last.performed_at,
        zone: Zone::Named(tz),
        findings,
        session_number: u32::try_from(sessions.len()).unwrap_or(u32::MAX),
        check_in_days: None,
    };
    let tl = timeline(protocol, &req);
    let check_ins = app.store.list_check_ins(actor, id).await?;
    let next = check_ins
        .into_iter()
        .filter(|c| c.submitted_at.is_none())
        .filter_map(|c| c.due_at.map(|d| (d, c)))
        .filter(|(d, _)| *d + chrono::Duration::hours(24) > now)
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c);
    Ok(Today { patient, now, sessions, timeline: Some(tl), next_check_in: next })
}

/// What to do and avoid now: the aftercare timeline of the last session, what is still ahead,
/// and the next check-in.
pub async fn today(State(app): State<Arc<App>>, a: Authed) -> ApiResult<Json<Value>> {
    let id = me_id(&a)?;
    let protocol = app.protocol_for(a.clinic()).await?;
    let t = today_for(&app, &protocol, &a.actor, id).await?;
    let (Some(last), Some(tl)) = (t.sessions.first(), t.timeline.as_ref()) else {
        return Ok(Json(json!({ "session": null, "timeline": null, "next_check_in": null })));
    };
    let now = t.now;
    Ok(Json(json!({
        "now": now,
        "hours_since_session": (now - last.performed_at).num_minutes() as f64 / 60.0,
        "session": last,
        "timeline": tl,
        "next_check_in": t.next_check_in,
    })))
}
