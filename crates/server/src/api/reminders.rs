//! Appointments, the messages a patient was sent, and the patient's reminder choices and
//! calendar link, as JSON. The staff routes call `clinic::appointments` (booking, moving or
//! cancelling schedules or withdraws the reminders in the same transaction), the patient's own
//! answers (`/api/v1/me/...`) `clinic::my_reminders`, as the pages do: each handler parses, calls
//! one use case and answers.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, State};
use axum::response::Response;
use needlepath_store::{Appointment, Message, MessageId, PatientId, ReminderSettings};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::App;
use crate::api::me::me_id;
use crate::api::{created, id};
use crate::auth::Authed;
use crate::body::Body;
use crate::clinic::appointments::{self, AppointmentRequest, RescheduleRequest};
use crate::clinic::my_reminders;
use crate::problem::ApiResult;

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ReminderChoices {
    pub email: bool,
    pub sms: bool,
}

/// Appointments (booked sessions), latest first.
#[derive(Debug, Serialize, JsonSchema)]
pub struct AppointmentList {
    pub appointments: Vec<Appointment>,
}

/// What a patient was sent, when, and whether it arrived.
#[derive(Debug, Serialize, JsonSchema)]
pub struct MessageList {
    pub messages: Vec<Message>,
}

/// A new calendar-feed link, shown once.
#[derive(Debug, Serialize, JsonSchema)]
pub struct CalendarLink {
    #[schemars(url)]
    pub calendar_url: String,
    pub webcal_url: String,
    pub settings: ReminderSettings,
}

pub async fn list(State(app): State<Arc<App>>, a: Authed, Path(raw): Path<String>) -> ApiResult<Json<AppointmentList>> {
    let patient: PatientId = id(&raw, "patient")?;
    Ok(Json(AppointmentList { appointments: appointments::list(&app, &a.actor, patient).await? }))
}

pub async fn create(
    State(app): State<Arc<App>>,
    a: Authed,
    Path(raw): Path<String>,
    Body(r): Body<AppointmentRequest>,
) -> ApiResult<Response> {
    let patient: PatientId = id(&raw, "patient")?;
    Ok(created(appointments::book(&app, &a.actor, patient, r).await?))
}

pub async fn move_to(
    State(app): State<Arc<App>>,
    a: Authed,
    Path((raw, appointment)): Path<(String, String)>,
    Body(r): Body<RescheduleRequest>,
) -> ApiResult<Json<Appointment>> {
    let patient: PatientId = id(&raw, "patient")?;
    let appointment = id(&appointment, "appointment")?;
    Ok(Json(appointments::reschedule(&app, &a.actor, patient, appointment, r).await?))
}

pub async fn cancel(
    State(app): State<Arc<App>>,
    a: Authed,
    Path((raw, appointment)): Path<(String, String)>,
) -> ApiResult<Json<Appointment>> {
    let patient: PatientId = id(&raw, "patient")?;
    let appointment = id(&appointment, "appointment")?;
    Ok(Json(appointments::cancel(&app, &a.actor, patient, appointment).await?))
}

pub async fn messages(State(app): State<Arc<App>>, a: Authed, Path(raw): Path<String>) -> ApiResult<Json<MessageList>> {
    let patient: PatientId = id(&raw, "patient")?;
    // Why a message was withdrawn or skipped is kept as a code; the API says it in words, as it
    // did before codes (in the default locale's language).
    let t = crate::i18n::default_locale();
    let mut messages = appointments::messages(&app, &a.actor, patient).await?;
    for m in &mut messages {
        m.last_error = m.last_error.take().map(|e| crate::reasons::message_note(t, &e));
    }
    Ok(Json(MessageList { messages }))
}

pub async fn retry(State(app): State<Arc<App>>, a: Authed, Path(raw): Path<String>) -> ApiResult<Json<Message>> {
    let message: MessageId = id(&raw, "message")?;
    Ok(Json(appointments::retry(&app, &a.actor, message).await?))
}

pub async fn my_appointments(State(app): State<Arc<App>>, a: Authed) -> ApiResult<Json<AppointmentList>> {
    Ok(Json(AppointmentList { appointments: my_reminders::appointments(&app, &a.actor, me_id(&a)?).await? }))
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
    Ok(created(CalendarLink { calendar_url: link.url, webcal_url: link.webcal, settings: link.settings }))
}

pub async fn calendar_off(State(app): State<Arc<App>>, a: Authed) -> ApiResult<Json<ReminderSettings>> {
    Ok(Json(my_reminders::calendar_off(&app, &a.actor, me_id(&a)?).await?))
}
