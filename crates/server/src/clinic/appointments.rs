//! Appointments and the messages a patient was sent, as staff work with them: the lists on a
//! patient's record, booking, moving and cancelling a session (with its reminders scheduled or
//! withdrawn in the same transaction), sending a failed message again, and the unsubscribe link
//! of a reminder e-mail. The JSON API (`api/reminders.rs`) and the staff forms
//! (`pages/staff/appointment_forms.rs`) call the same use cases, so they cannot decide
//! differently.
//!
//! A booking reads what its rules need (the patient, the clinic's opening hours, the plan's
//! window, the sessions so far) and writes the appointment and its reminders in ONE writing unit
//! with one audit record (`appointment.book`, `appointment.reschedule`, `appointment.cancel`, the
//! codes these changes have always been recorded under). Before, a booking from the API wrote
//! eight audit records in as many transactions, most of them for reads the caller never saw.

use chrono::{DateTime, Duration, FixedOffset, Utc};
use needlepath_core::pathway::booking::{self, Proposed, check};
use needlepath_core::plan::DateWindow;
use needlepath_core::protocol::Protocol;
use needlepath_store::{
    Actor, Appointment, AppointmentId, Audit, Clinic, Message, MessageId, NewAppointment, NewMessage, Patient,
    PatientId, PlanId, Recipient, Seen, StaffId, StoreError, Who, Writing,
};
use serde::Deserialize;

use crate::App;
use crate::api::opt_text;
use crate::clinic::{ClinicError, ClinicResult};
use crate::policy;
use crate::reminders::schedule::for_appointment;
use crate::schedule::series_of;

/// How many messages the API lists for a patient.
pub const MESSAGES_LISTED: u32 = 500;

/// A session to book.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AppointmentRequest {
    /// RFC 3339 with offset.
    pub starts_at: DateTime<FixedOffset>,
    /// Default 60.
    #[schemars(range(min = 10, max = 480))]
    pub minutes: Option<u32>,
    pub plan_id: Option<PlanId>,
    pub note: Option<String>,
    /// Who treats; by default the practitioner booking. One practitioner's appointments never
    /// overlap.
    pub practitioner_id: Option<StaffId>,
    /// Why the appointment lies outside the plan's window for the next session (required then).
    pub window_reason: Option<String>,
}

/// A booked session's new time.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RescheduleRequest {
    pub starts_at: DateTime<FixedOffset>,
    /// Why the new time lies outside the plan's window (required then).
    pub window_reason: Option<String>,
}

fn future(field: &str, t: DateTime<FixedOffset>, now: DateTime<Utc>) -> ClinicResult<DateTime<Utc>> {
    let t = t.with_timezone(&Utc);
    if t <= now {
        return Err(ClinicError::invalid(field, "must be in the future (an appointment is booked before it happens)"));
    }
    if t > now + Duration::days(730) {
        return Err(ClinicError::invalid(field, "must be within two years"));
    }
    Ok(t)
}

/// An overlap refused by the store, as the field to correct.
fn overlap_on_field(e: StoreError) -> ClinicError {
    match e {
        StoreError::Conflict(m) => ClinicError::invalid("starts_at", m),
        e => e.into(),
    }
}

/// What a booking's rules read of the record, inside the booking's unit.
struct Booking {
    clinic: Clinic,
    patient: Patient,
    /// How many sessions the patient has had (the booked one is the next).
    sessions_done: usize,
    /// The plan's window for the next session, if the latest plan has dates.
    window: Option<DateWindow>,
}

impl Booking {
    /// The parts of the record a booking reads.
    const SEEN: [Seen; 4] = [Seen::Patient, Seen::Plans, Seen::Sessions, Seen::Appointments];

    async fn read(unit: &mut dyn Writing, patient: Patient, now: DateTime<Utc>) -> ClinicResult<Self> {
        let clinic = unit.clinic().await?;
        let sessions = unit.sessions(patient.id).await?;
        let appointments = unit.appointments(patient.id).await?;
        let plans = unit.plans(patient.id).await?;
        let window = plans.first().and_then(|plan| {
            series_of(plan, &sessions, &appointments, patient.time_zone.tz(), now)
                .and_then(|s| s.next)
                .map(|n| n.window)
        });
        Ok(Self { clinic, patient, sessions_done: sessions.len(), window })
    }

    /// Core's booking rules for `starts_at`: the clinic's opening hours and the plan's window for
    /// the next session (outside it only with `window_reason`). Overlaps of one practitioner are
    /// refused by the store, in the booking's transaction, by the same core rule.
    fn check(&self, starts_at: DateTime<Utc>, minutes: u32, window_reason: Option<&str>) -> ClinicResult<()> {
        let tz = self.clinic.time_zone.tz();
        let Ok(hours) = self.clinic.settings.opening_hours.parsed() else {
            return Err(ClinicError::invalid("starts_at", "the clinic's opening hours in Settings are not readable"));
        };
        let proposed =
            Proposed { starts: starts_at, local: starts_at.with_timezone(&tz).naive_local(), minutes, window_reason };
        check(&hours, self.window, &[], proposed).map_err(|r| ClinicError::invalid(r.field, r.message))
    }

    /// The pre-care and appointment reminders of a session at `starts_at`.
    fn messages(
        &self,
        protocol: &Protocol,
        starts_at: DateTime<Utc>,
        minutes: u32,
        now: DateTime<Utc>,
    ) -> ClinicResult<Vec<NewMessage>> {
        let number = u32::try_from(self.sessions_done + 1).unwrap_or(u32::MAX);
        Ok(for_appointment(protocol, &self.clinic.settings, &self.patient, starts_at, minutes, number, now)?)
    }
}

/// Books a session and schedules its pre-care and appointment reminders (API and page), in one
/// writing unit audited as `appointment.book`.
pub async fn book(app: &App, actor: &Actor, patient: PatientId, r: AppointmentRequest) -> ClinicResult<Appointment> {
    let now = app.now();
    let protocol = app.protocol_for(actor.clinic).await?;
    let mut unit = app.records.store().writing(actor).await?;
    // An unknown patient is a 404 before anything about the request is judged.
    let record = unit.patient(patient).await?;
    let starts_at = future("starts_at", r.starts_at, now)?;
    let minutes = r.minutes.unwrap_or(booking::DEFAULT_MINUTES);
    booking::check_minutes(minutes).map_err(|r| ClinicError::invalid(r.field, r.message))?;
    let note = opt_text("note", r.note.as_deref(), 2000)?;
    let window_reason = opt_text("window_reason", r.window_reason.as_deref(), 2000)?;
    let mut seen = Booking::SEEN.to_vec();
    let practitioner = match (r.practitioner_id, actor.who) {
        (Some(p), _) => {
            let staff = unit.staff().await?;
            seen.push(Seen::Staff);
            if !staff.iter().any(|s| s.id == p && policy::performs_sessions(s.role)) {
                return Err(ClinicError::invalid("practitioner_id", "must be a practitioner of this clinic"));
            }
            Some(p)
        }
        (None, Who::Staff(me, role)) if policy::performs_sessions(role) => Some(me),
        (None, _) => None,
    };
    let booking = Booking::read(&mut *unit, record, now).await?;
    booking.check(starts_at, minutes, window_reason.as_deref())?;
    let messages = booking.messages(&protocol, starts_at, minutes, now)?;
    let new = NewAppointment { patient, plan: r.plan_id, starts_at, minutes, note, practitioner, window_reason };
    let appointment = unit.book_appointment(new, messages, now).await.map_err(overlap_on_field)?;
    unit.finish(Audit::view("appointment.book", patient, &seen).with_target(appointment.id.0)).await?;
    Ok(appointment)
}

/// Moves a booked session (API and page): pending reminders are withdrawn and scheduled again,
/// in one writing unit audited as `appointment.reschedule`.
pub async fn reschedule(
    app: &App,
    actor: &Actor,
    patient: PatientId,
    appointment: AppointmentId,
    r: RescheduleRequest,
) -> ClinicResult<Appointment> {
    let now = app.now();
    let protocol = app.protocol_for(actor.clinic).await?;
    let mut unit = app.records.store().writing(actor).await?;
    let record = unit.patient(patient).await?;
    let starts_at = future("starts_at", r.starts_at, now)?;
    let window_reason = opt_text("window_reason", r.window_reason.as_deref(), 2000)?;
    let current = unit
        .appointments(patient)
        .await?
        .into_iter()
        .find(|x| x.id == appointment)
        .ok_or(ClinicError::Store(StoreError::NotFound("appointment")))?;
    let booking = Booking::read(&mut *unit, record, now).await?;
    booking.check(starts_at, current.minutes, window_reason.as_deref())?;
    let messages = booking.messages(&protocol, starts_at, current.minutes, now)?;
    let moved =
        unit.reschedule_appointment(patient, appointment, starts_at, messages, now).await.map_err(overlap_on_field)?;
    unit.finish(Audit::view("appointment.reschedule", patient, &Booking::SEEN).with_target(appointment.0)).await?;
    Ok(moved)
}

/// Cancels a booked session (API and page); its pending reminders are withdrawn. One writing
/// unit audited as `appointment.cancel`.
pub async fn cancel(
    app: &App,
    actor: &Actor,
    patient: PatientId,
    appointment: AppointmentId,
) -> ClinicResult<Appointment> {
    let now = app.now();
    let mut unit = app.records.store().writing(actor).await?;
    unit.patient(patient).await?;
    let cancelled = unit.cancel_appointment(patient, appointment, now).await?;
    let seen = [Seen::Patient, Seen::Appointments];
    unit.finish(Audit::view("appointment.cancel", patient, &seen).with_target(appointment.0)).await?;
    Ok(cancelled)
}

/// The patient's appointments, newest first (an unknown patient is a 404, never an empty list).
pub async fn list(app: &App, actor: &Actor, patient: PatientId) -> ClinicResult<Vec<Appointment>> {
    let mut unit = app.records.store().reading(actor).await?;
    unit.patient(patient).await?;
    let list = unit.appointments(patient).await?;
    unit.finish(Audit::view("appointment.list", patient, &[Seen::Patient, Seen::Appointments])).await?;
    Ok(list)
}

/// The latest messages to or about the patient, newest first, links redacted.
pub async fn messages(app: &App, actor: &Actor, patient: PatientId) -> ClinicResult<Vec<Message>> {
    let mut unit = app.records.store().reading(actor).await?;
    unit.patient(patient).await?;
    let list = unit.messages(patient, MESSAGES_LISTED).await?;
    unit.finish(Audit::view("message.list", patient, &[Seen::Patient, Seen::Messages])).await?;
    Ok(list)
}

/// "Send again": a failed message goes back in the queue, audited as `message.retry` on the
/// record of the patient it was for (none for a message to staff or the clinic).
pub async fn retry(app: &App, actor: &Actor, message: MessageId) -> ClinicResult<Message> {
    let mut unit = app.records.store().writing(actor).await?;
    let retried = unit.retry_message(message, app.now()).await?;
    let patient = match retried.recipient {
        Recipient::Patient(p) => Some(p),
        _ => None,
    };
    unit.finish(Audit {
        also: Vec::new(),
        action: "message.retry",
        patient,
        target: Some(message.0),
        seen: vec![Seen::Messages],
    })
    .await?;
    Ok(retried)
}

/// The unsubscribe link of a reminder e-mail: e-mail reminders off for the message's patient (one
/// store write audited as `reminders.unsubscribe`); `None` for a message of no patient.
pub async fn unsubscribe(app: &App, message: MessageId) -> ClinicResult<Option<PatientId>> {
    Ok(app.records.store().unsubscribe(message).await?)
}
