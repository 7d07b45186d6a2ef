//! The patient's reminders: their choice of channels, their appointments, the next session, and
//! the calendar feed (its link, made anew or turned off, and the feed a calendar app reads with
//! it). The Reminders page and `GET/PUT /api/v1/me/reminders`, `POST /api/v1/me/calendar[/off]`
//! call the same use cases, so the page and the API cannot tell a patient different things.
//!
//! Reads are one read-only unit audited once as the view they are; a change is one write unit
//! with its one audit record (`reminders.channels`, `calendar.reset`, `calendar.off`, the codes
//! these changes have always been recorded under).

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use needlepath_core::pathway::next::NextSession;
use needlepath_store::{
    Actor, Appointment, AppointmentId, Audit, Clinic, Message, Patient, PatientId, ReminderSettings, Seen,
};

use crate::App;
use crate::auth::secrets::{new_token, token_hash};
use crate::clinic::ClinicResult;
use crate::clinic::my_record::zone_of;
use crate::schedule::series_of;

/// What the Reminders page shows.
pub struct MyReminders {
    pub patient: Patient,
    /// The patient's zone.
    pub tz: Tz,
    pub settings: ReminderSettings,
    /// Every appointment, newest first (the next session's booking is one of them).
    pub appointments: Vec<Appointment>,
    /// The booked appointments still to come, soonest first.
    pub upcoming: Vec<Appointment>,
    /// The next session of the latest plan, with its window and booking (`schedule::series_of`).
    pub next: Option<NextSession<AppointmentId>>,
    pub now: DateTime<Utc>,
}

/// The Reminders page: the choices, the appointments and the next session, in one read.
pub async fn my_reminders(app: &App, actor: &Actor, id: PatientId) -> ClinicResult<MyReminders> {
    let now = app.now();
    let mut unit = app.records.store().reading(actor).await?;
    let patient = unit.patient(id).await?;
    let settings = unit.reminder_settings(id).await?;
    let appointments = unit.appointments(id).await?;
    let sessions = unit.sessions(id).await?;
    let plans = unit.plans(id).await?;
    let seen = [Seen::Patient, Seen::Reminders, Seen::Appointments, Seen::Sessions, Seen::Plans];
    unit.finish(Audit::view("patient.reminders_viewed", id, &seen)).await?;
    let tz = zone_of(&patient);
    let next = plans.first().and_then(|plan| series_of(plan, &sessions, &appointments, tz, now)).and_then(|s| s.next);
    let mut upcoming: Vec<Appointment> =
        appointments.iter().filter(|x| x.status == "booked" && x.starts_at > now).cloned().collect();
    upcoming.sort_by_key(|x| x.starts_at);
    Ok(MyReminders { patient, tz, settings, appointments, upcoming, next, now })
}

/// The patient's reminder choices (`GET /api/v1/me/reminders`).
pub async fn settings(app: &App, actor: &Actor, id: PatientId) -> ClinicResult<ReminderSettings> {
    let mut unit = app.records.store().reading(actor).await?;
    let settings = unit.reminder_settings(id).await?;
    unit.finish(Audit::view("reminders.read", id, &[Seen::Reminders])).await?;
    Ok(settings)
}

/// The patient's appointments, newest first (`GET /api/v1/me/appointments`).
pub async fn appointments(app: &App, actor: &Actor, id: PatientId) -> ClinicResult<Vec<Appointment>> {
    let mut unit = app.records.store().reading(actor).await?;
    let list = unit.appointments(id).await?;
    unit.finish(Audit::view("appointment.list", id, &[Seen::Appointments])).await?;
    Ok(list)
}

/// Turns e-mail and text-message reminders on or off.
pub async fn choose_channels(
    app: &App,
    actor: &Actor,
    id: PatientId,
    email: bool,
    sms: bool,
) -> ClinicResult<ReminderSettings> {
    let mut unit = app.records.store().writing(actor).await?;
    let settings = unit.set_reminder_channels(id, email, sms, app.now()).await?;
    unit.finish(Audit::view("reminders.channels", id, &[Seen::Reminders])).await?;
    Ok(settings)
}

/// A new calendar link, shown once (only its hash is kept).
#[derive(Debug, Clone)]
pub struct CalendarLink {
    /// The https (or http) address, for pasting.
    pub url: String,
    /// The webcal address, for one-click subscription.
    pub webcal: String,
    /// The choices with the feed on.
    pub settings: ReminderSettings,
}

/// The feed's addresses for a new token: https (or http) for pasting, webcal for one-click
/// subscription.
pub fn calendar_urls(public_url: &str, token: &str) -> (String, String) {
    let url = format!("{}/calendar/{token}.ics", public_url.trim_end_matches('/'));
    let webcal = match url.split_once("://") {
        Some((_, rest)) => format!("webcal://{rest}"),
        None => url.clone(),
    };
    (url, webcal)
}

/// Makes a new calendar link for the patient; the old one stops working at once.
pub async fn new_calendar_link(app: &App, actor: &Actor, id: PatientId) -> ClinicResult<CalendarLink> {
    let token = new_token();
    let mut unit = app.records.store().writing(actor).await?;
    let settings = unit.set_calendar_token(id, Some(&token_hash(&token)), app.now()).await?;
    unit.finish(Audit::view("calendar.reset", id, &[Seen::Reminders])).await?;
    let (url, webcal) = calendar_urls(&app.config.public_url, &token);
    Ok(CalendarLink { url, webcal, settings })
}

/// Turns the calendar feed off: the link stops working.
pub async fn calendar_off(app: &App, actor: &Actor, id: PatientId) -> ClinicResult<ReminderSettings> {
    let mut unit = app.records.store().writing(actor).await?;
    let settings = unit.set_calendar_token(id, None, app.now()).await?;
    unit.finish(Audit::view("calendar.off", id, &[Seen::Reminders])).await?;
    Ok(settings)
}

/// What a calendar feed shows.
pub struct CalendarFeed {
    pub clinic: Clinic,
    pub patient: Patient,
    /// Booked, soonest first.
    pub appointments: Vec<Appointment>,
    /// The reminders, in the order they fall due.
    pub messages: Vec<Message>,
}

/// The feed of the patient whose calendar link carries `token`; `None` for an unknown or reset
/// token. The link is the only key (calendar apps cannot log in), so the reader is the clinic's
/// system actor, and the audit record says the feed was read.
pub async fn calendar_feed(app: &App, token: &str) -> ClinicResult<Option<CalendarFeed>> {
    let Some((id, mut unit)) = app.records.store().calendar_reading(&token_hash(token)).await? else {
        return Ok(None);
    };
    let clinic = unit.clinic().await?;
    let patient = unit.patient(id).await?;
    let appointments = unit.calendar_appointments(id).await?;
    let messages = unit.calendar_messages(id).await?;
    unit.finish(Audit::view("calendar.read", id, &[Seen::Patient, Seen::Appointments, Seen::Messages])).await?;
    Ok(Some(CalendarFeed { clinic, patient, appointments, messages }))
}
