//! Turning the engine's reminders into outbox messages: one per channel, with the payload the
//! worker renders at delivery, and the escalation messages to staff when an alert opens.
//!
//! Every patient reminder gets an e-mail row and a webhook (SMS) row whatever the patient's
//! details are today: whether each can go is decided at delivery (an address added later is
//! used; an opt-out made later is respected), and a row that cannot go is kept as `skipped` with
//! the reason, so staff see why a patient heard nothing.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use needlepath_core::Protocol;
use needlepath_core::protocol::FindingSet;
use needlepath_core::reminders::{
    QuietHours, Reminder, ReminderKind, SeriesPoint, after_series, after_session, before_session,
};
use needlepath_core::timeline::{AftercareRequest, Zone};
use needlepath_core::vocabulary::{Disposition, Finding};
use needlepath_store::{Alert, Channel, ClinicSettings, MessageKind, NewMessage, Patient, Recipient, Staff};
use serde_json::Value;

use crate::problem::ApiError;
use crate::reminders::payload::{Payload, Step};

/// The clinic's quiet hours. A stored value that no longer parses (it was checked when saved)
/// is logged as an error and the default quiet hours are kept, so reminders still go out, and
/// never at night.
pub fn quiet_hours(settings: &ClinicSettings) -> QuietHours {
    QuietHours::parse(&settings.quiet_hours).unwrap_or_else(|e| {
        tracing::error!(stored = %settings.quiet_hours, error = %e, "the clinic's stored quiet hours no longer parse; keeping the default");
        QuietHours::default()
    })
}

fn zone_of(patient: &Patient) -> Zone {
    Zone::Named(patient.time_zone.tz())
}

/// The findings on the patient's record as the engine's set (codes this vocabulary does not
/// know are left out of decisions, never of the record).
pub(crate) fn findings_of(patient: &Patient) -> FindingSet {
    let mut set = FindingSet::default();
    for f in &patient.findings {
        if let Ok(code) = Finding::parse(&f.code) {
            set.insert(code);
        }
    }
    set
}

/// The payload of one reminder: everything the worker needs to write the message later, so a
/// message says what was true when it was scheduled.
fn payload(r: &Reminder<'_>, appointment: Option<(DateTime<Utc>, u32)>) -> Value {
    let link = match r.kind {
        ReminderKind::CheckIn => "/me/check-in",
        ReminderKind::NextWindow | ReminderKind::Maintenance => "/me/plan",
        ReminderKind::Outcome => "/me/outcome",
        _ => "/me",
    };
    Payload {
        kind: Some(r.kind.as_str().to_string()),
        event_at: r.items.first().map(|i| i.at),
        session_at: appointment.map(|a| a.0),
        minutes: appointment.map(|a| a.1),
        items: r
            .items
            .iter()
            .map(|i| Step {
                code: i.code.to_string(),
                at: i.at,
                message: i.message.to_string(),
                sources: i.sources.to_vec(),
            })
            .collect(),
        ..Payload::to(link)
    }
    .to_value()
}

fn to_messages(
    patient: &Patient,
    reminders: &[Reminder<'_>],
    appointment: Option<(DateTime<Utc>, u32)>,
) -> Vec<NewMessage> {
    reminders
        .iter()
        .flat_map(|r| {
            let body = payload(r, appointment);
            Channel::ALL.into_iter().map(move |channel| NewMessage {
                key: r.key.clone(),
                recipient: Recipient::Patient(patient.id),
                kind: r.kind.into(),
                channel,
                due_at: r.send_at,
                payload: body.clone(),
            })
        })
        .collect()
}

/// Reminders before a booked session. Steps whose time has passed (a session booked at short
/// notice) go out now — "stop retinoids" still matters two days before — moved out of quiet
/// hours the announcing way (earlier), unless that would be in the past, then at once.
pub fn for_appointment(
    protocol: &Protocol,
    settings: &ClinicSettings,
    patient: &Patient,
    starts_at: DateTime<Utc>,
    minutes: u32,
    session_number: u32,
    now: DateTime<Utc>,
) -> Result<Vec<NewMessage>, ApiError> {
    let zone = zone_of(patient);
    let req = AftercareRequest {
        treated_at: starts_at,
        zone,
        findings: findings_of(patient),
        session_number,
        check_in_days: None,
    };
    let quiet = quiet_hours(settings);
    let mut reminders = before_session(protocol, &req, quiet);
    if starts_at <= now {
        reminders.clear();
    }
    for r in &mut reminders {
        if r.send_at < now {
            let later = quiet.later(zone, now);
            r.send_at = if later < starts_at { later } else { now };
        }
    }
    Ok(to_messages(patient, &reminders, Some((starts_at, minutes))))
}

/// Where a recorded session stands in its series, for the reminders after it.
#[derive(Debug, Clone, Copy)]
pub struct AfterSession<'a> {
    /// Which session of the series it is (1-based).
    pub number: u32,
    /// The next session's window, when the plan gives one.
    pub next_window: Option<(NaiveDate, NaiveDate)>,
    /// The days its check-ins are scheduled on (`pathway::next::check_in_days`); the reminders
    /// follow the same list.
    pub check_in_days: &'a [u32],
}

/// Reminders after a recorded session. A session recorded late loses the reminders whose time
/// has already passed (a "check in today" three days on would mislead).
pub fn for_session(
    protocol: &Protocol,
    settings: &ClinicSettings,
    patient: &Patient,
    performed_at: DateTime<Utc>,
    after: AfterSession<'_>,
    now: DateTime<Utc>,
) -> Result<Vec<NewMessage>, ApiError> {
    let zone = zone_of(patient);
    let next_window = after.next_window;
    let req = AftercareRequest {
        treated_at: performed_at,
        zone,
        findings: findings_of(patient),
        session_number: after.number,
        check_in_days: Some(after.check_in_days.to_vec()),
    };
    let mut reminders = after_session(protocol, &req, quiet_hours(settings), next_window);
    reminders.retain(|r| r.send_at + Duration::minutes(30) >= now);
    Ok(to_messages(patient, &reminders, None))
}

/// The outcome questionnaires a session opens and the maintenance session after the last one
/// (issue 15). Recorded late, those already past go out at once (a questionnaire still wants
/// answering).
pub fn for_series(
    protocol: &Protocol,
    settings: &ClinicSettings,
    patient: &Patient,
    performed_at: DateTime<Utc>,
    series: SeriesPoint<'_>,
    now: DateTime<Utc>,
) -> Vec<NewMessage> {
    let zone = zone_of(patient);
    let req = AftercareRequest {
        treated_at: performed_at,
        zone,
        findings: findings_of(patient),
        session_number: u32::try_from(series.done.len()).unwrap_or(u32::MAX),
        check_in_days: None,
    };
    let quiet = quiet_hours(settings);
    let mut reminders = after_series(protocol, &req, quiet, series);
    for r in &mut reminders {
        if r.send_at < now {
            r.send_at = quiet.later(zone, now);
        }
    }
    to_messages(patient, &reminders, None)
}

/// Messages to staff about a new alert: an e-mail to every active practitioner and admin, and an
/// `alert.opened` event to the clinic's webhook. Alerts are sent at once, quiet hours or not:
/// they are the clinic's, and an emergency does not wait for the morning.
pub fn escalation(staff: &[Staff], patient: &Patient, alert: &EscalatedAlert, now: DateTime<Utc>) -> Vec<NewMessage> {
    let body = Payload {
        kind: Some("alert".into()),
        event: Some("alert.opened".into()),
        disposition: Some(alert.disposition),
        deadline_at: Some(alert.deadline_at),
        patient_id: Some(patient.id),
        ..Payload::to(format!("/staff/patients/{}", patient.id))
    }
    .to_value();
    let mut out: Vec<NewMessage> = staff
        .iter()
        .filter(|s| s.active && crate::policy::receives_alerts(s.role))
        .map(|s| NewMessage {
            key: format!("staff:{}", s.id),
            recipient: Recipient::Staff(s.id),
            kind: MessageKind::Alert,
            channel: Channel::Email,
            due_at: now,
            payload: body.clone(),
        })
        .collect();
    out.push(NewMessage {
        key: "clinic".into(),
        recipient: Recipient::Clinic,
        kind: MessageKind::Alert,
        channel: Channel::Webhook,
        due_at: now,
        payload: body,
    });
    out
}

/// What an escalation says about its alert (the alert's id is only known once it is stored).
#[derive(Debug, Clone)]
pub struct EscalatedAlert {
    pub disposition: Disposition,
    pub deadline_at: DateTime<Utc>,
}

impl From<&Alert> for EscalatedAlert {
    fn from(a: &Alert) -> Self {
        Self { disposition: a.disposition, deadline_at: a.deadline_at }
    }
}
