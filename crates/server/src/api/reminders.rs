//! Appointments, the messages a patient was sent, and the patient's reminder choices and
//! calendar link. Booking, moving or cancelling an appointment schedules or withdraws its
//! reminders in the same transaction (the store's contract); the handlers only decide what to
//! schedule. The patient's own answers (`/api/v1/me/...`) call `clinic::my_reminders`, as the
//! Reminders page does.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, State};
use axum::response::Response;
use chrono::{DateTime, Duration, FixedOffset, NaiveTime, Utc};
use needlepath_core::pathway::booking::{OpeningHours, Proposed, check};
use needlepath_store::{
    Appointment, AppointmentId, MessageId, NewAppointment, PatientId, PlanId, ReminderSettings, StaffId, StoreError,
};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::App;
use crate::api::me::me_id;
use crate::api::{created, id, known_patient, opt_text, zone};
use crate::auth::Authed;
use crate::body::Body;
use crate::clinic::my_reminders;
use crate::policy;
use crate::problem::{ApiError, ApiResult};
use crate::reminders::schedule::for_appointment;
use crate::schedule::series_of;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AppointmentRequest {
    /// RFC 3339 with offset.
    pub starts_at: DateTime<FixedOffset>,
    /// Default 60.
    pub minutes: Option<u32>,
    pub plan_id: Option<PlanId>,
    pub note: Option<String>,
    /// Who treats; by default the practitioner booking. One practitioner's appointments never
    /// overlap.
    pub practitioner_id: Option<StaffId>,
    /// Why the appointment lies outside the plan's window for the next session (required then).
    pub window_reason: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RescheduleRequest {
    pub starts_at: DateTime<FixedOffset>,
    /// Why the new time lies outside the plan's window (required then).
    pub window_reason: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReminderChoices {
    pub email: bool,
    pub sms: bool,
}

fn future(field: &str, t: DateTime<FixedOffset>, now: DateTime<Utc>) -> ApiResult<DateTime<Utc>> {
    let t = t.with_timezone(&Utc);
    if t <= now {
        return Err(ApiError::invalid(field, "must be in the future (an appointment is booked before it happens)"));
    }
    if t > now + Duration::days(730) {
        return Err(ApiError::invalid(field, "must be within two years"));
    }
    Ok(t)
}

/// The messages an appointment at `starts_at` schedules for `patient`.
async fn appointment_messages(
    app: &App,
    a: &Authed,
    patient: PatientId,
    starts_at: DateTime<Utc>,
    minutes: u32,
    now: DateTime<Utc>,
) -> ApiResult<Vec<needlepath_store::NewMessage>> {
    let record = app.store.patient(&a.actor, patient).await?;
    let clinic = app.store.clinic(a.clinic()).await?;
    let protocol = app.protocol_for(a.clinic()).await?;
    let had = app.store.list_sessions(&a.actor, patient).await?.len();
    let number = u32::try_from(had + 1).unwrap_or(u32::MAX);
    for_appointment(&protocol, &clinic.settings, &record, starts_at, minutes, number, now)
}

/// Core's booking rules for `patient` at `starts_at`: the clinic's opening hours and the plan's
/// window for the next session (outside it only with `window_reason`). Overlaps of one
/// practitioner are refused by the store, in the booking's transaction, by the same core rule.
async fn check_booking(
    app: &App,
    a: &Authed,
    patient: PatientId,
    starts_at: DateTime<Utc>,
    minutes: u32,
    window_reason: Option<&str>,
) -> ApiResult<()> {
    let clinic = app.store.clinic(a.clinic()).await?;
    let tz = zone("time_zone", &clinic.time_zone)?;
    let oh = &clinic.settings.opening_hours;
    let time = |s: &str| NaiveTime::parse_from_str(s, "%H:%M").ok();
    let hours = match (time(&oh.opens), time(&oh.closes)) {
        (Some(opens), Some(closes)) => OpeningHours { days: oh.days.clone(), opens, closes },
        _ => return Err(ApiError::invalid("starts_at", "the clinic's opening hours in Settings are not readable")),
    };
    let record = app.store.patient(&a.actor, patient).await?;
    let sessions = app.store.list_sessions(&a.actor, patient).await?;
    let appointments = app.store.list_appointments(&a.actor, patient).await?;
    let window = app.store.list_plans(&a.actor, patient).await?.first().and_then(|plan| {
        series_of(plan, &sessions, &appointments, zone("time_zone", &record.time_zone).unwrap_or(tz), Utc::now())
            .and_then(|s| s.next)
            .map(|n| n.window)
    });
    let proposed =
        Proposed { starts: starts_at, local: starts_at.with_timezone(&tz).naive_local(), minutes, window_reason };
    check(&hours, window, &[], proposed).map_err(|r| ApiError::invalid(r.field, r.message))
}

/// An overlap refused by the store, as the field to correct.
fn overlap_on_field(e: StoreError) -> ApiError {
    match e {
        StoreError::Conflict(m) => ApiError::invalid("starts_at", m),
        e => e.into(),
    }
}

/// Books a session and schedules its pre-care and appointment reminders (API and page).
pub async fn book(app: &App, a: &Authed, patient: PatientId, r: AppointmentRequest) -> ApiResult<Appointment> {
    let now = Utc::now();
    let starts_at = future("starts_at", r.starts_at, now)?;
    let minutes = r.minutes.unwrap_or(60);
    if !(10..=480).contains(&minutes) {
        return Err(ApiError::invalid("minutes", "must be from 10 to 480 minutes"));
    }
    let note = opt_text("note", r.note.as_deref(), 2000)?;
    let window_reason = opt_text("window_reason", r.window_reason.as_deref(), 2000)?;
    let practitioner = match r.practitioner_id {
        Some(p) => {
            let staff = app.store.list_staff(&a.actor).await?;
            if !staff.iter().any(|s| s.id == p && policy::performs_sessions(s.role)) {
                return Err(ApiError::invalid("practitioner_id", "must be a practitioner of this clinic"));
            }
            Some(p)
        }
        None if a.performs_sessions() => a.staff(),
        None => None,
    };
    check_booking(app, a, patient, starts_at, minutes, window_reason.as_deref()).await?;
    let messages = appointment_messages(app, a, patient, starts_at, minutes, now).await?;
    let new = NewAppointment { patient, plan: r.plan_id, starts_at, minutes, note, practitioner, window_reason };
    app.store.book_appointment(&a.actor, new, messages).await.map_err(overlap_on_field)
}

/// Moves a booked session: pending reminders are withdrawn and scheduled again (API and page).
pub async fn reschedule(
    app: &App,
    a: &Authed,
    patient: PatientId,
    appointment: AppointmentId,
    starts_at: DateTime<FixedOffset>,
    window_reason: Option<&str>,
) -> ApiResult<Appointment> {
    let now = Utc::now();
    let starts_at = future("starts_at", starts_at, now)?;
    let window_reason = opt_text("window_reason", window_reason, 2000)?;
    let current = app
        .store
        .list_appointments(&a.actor, patient)
        .await?
        .into_iter()
        .find(|x| x.id == appointment)
        .ok_or_else(|| ApiError::not_found("appointment"))?;
    check_booking(app, a, patient, starts_at, current.minutes, window_reason.as_deref()).await?;
    let messages = appointment_messages(app, a, patient, starts_at, current.minutes, now).await?;
    app.store
        .reschedule_appointment(&a.actor, patient, appointment, starts_at, messages)
        .await
        .map_err(overlap_on_field)
}

pub async fn list(State(app): State<Arc<App>>, a: Authed, Path(raw): Path<String>) -> ApiResult<Json<Value>> {
    let patient = known_patient(&app, &a, &raw).await?;
    Ok(Json(json!({ "appointments": app.store.list_appointments(&a.actor, patient).await? })))
}

pub async fn create(
    State(app): State<Arc<App>>,
    a: Authed,
    Path(raw): Path<String>,
    Body(r): Body<AppointmentRequest>,
) -> ApiResult<Response> {
    let patient = known_patient(&app, &a, &raw).await?;
    Ok(created(book(&app, &a, patient, r).await?))
}

pub async fn move_to(
    State(app): State<Arc<App>>,
    a: Authed,
    Path((raw, appointment)): Path<(String, String)>,
    Body(r): Body<RescheduleRequest>,
) -> ApiResult<Json<Appointment>> {
    let patient = known_patient(&app, &a, &raw).await?;
    let appointment = id(&appointment, "appointment")?;
    Ok(Json(reschedule(&app, &a, patient, appointment, r.starts_at, r.window_reason.as_deref()).await?))
}

pub async fn cancel(
    State(app): State<Arc<App>>,
    a: Authed,
    Path((raw, appointment)): Path<(String, String)>,
) -> ApiResult<Json<Appointment>> {
    let patient = known_patient(&app, &a, &raw).await?;
    let appointment = id(&appointment, "appointment")?;
    Ok(Json(app.store.cancel_appointment(&a.actor, patient, appointment).await?))
}

pub async fn messages(State(app): State<Arc<App>>, a: Authed, Path(raw): Path<String>) -> ApiResult<Json<Value>> {
    let patient = known_patient(&app, &a, &raw).await?;
    Ok(Json(json!({ "messages": app.store.list_messages(&a.actor, patient, 500).await? })))
}

pub async fn retry(State(app): State<Arc<App>>, a: Authed, Path(raw): Path<String>) -> ApiResult<Json<Value>> {
    let message: MessageId = id(&raw, "message")?;
    Ok(Json(json!(app.store.retry_message(&a.actor, message, Utc::now()).await?)))
}

pub async fn my_appointments(State(app): State<Arc<App>>, a: Authed) -> ApiResult<Json<Value>> {
    Ok(Json(json!({ "appointments": my_reminders::appointments(&app, &a.actor, me_id(&a)?).await? })))
}

pub async fn my_settings(State(app): State<Arc<App>>, a: Authed) -> ApiResult<Json<ReminderSettings>> {
    Ok(Json(my_reminders::settings(&app, &a.actor, me_id(&a)?).await?))
}

pub async fn set_my_settings(
    State(app): State<Arc<App>>,
    a: Authed,
    Body(r): Body<ReminderChoices>,
) -> ApiResult<Json<ReminderSettings>> {
    Ok(Json(my_reminders::choose_channels(&app, &a.actor, me_id(&a)?, r.email, r.sms).await?))
}

pub async fn reset_calendar(State(app): State<Arc<App>>, a: Authed) -> ApiResult<Response> {
    let link = my_reminders::new_calendar_link(&app, &a.actor, me_id(&a)?).await?;
    Ok(created(json!({ "calendar_url": link.url, "webcal_url": link.webcal, "settings": link.settings })))
}

pub async fn calendar_off(State(app): State<Arc<App>>, a: Authed) -> ApiResult<Json<ReminderSettings>> {
    Ok(Json(my_reminders::calendar_off(&app, &a.actor, me_id(&a)?).await?))
}
