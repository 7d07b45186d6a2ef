//! The appointments and messages of a patient's page (`/staff/patients/{id}`), for everyone on
//! staff (the front desk books too): upcoming appointments with book, move and cancel forms,
//! and the last messages the patient was sent, with "Send again" for a failed one.
//!
//! This module only draws the sections, from the chart the patient page read; it never redraws
//! the page and imports no page module. The forms of these sections (book, move, cancel, send
//! again) are handled by the `appointment_forms` module beside it, which shows the patient's page
//! again with a refused form's error.

use chrono_tz::Tz;
use needlepath_store::{AppointmentStatus, Message, MessageStatus, StaffId};

use crate::auth::Authed;
use crate::clinic::chart::Chart;
use crate::i18n::Locale;
use crate::pages::Shown;
use crate::pages::form::FormData;
use crate::pages::staff::local;
use crate::pages::view::{Badge, icons};
use crate::policy::{self, Caller};

/// An upcoming appointment, with its move form's values.
#[derive(Debug, Clone)]
pub struct AppointmentRow {
    pub id: String,
    pub when: String,
    pub minutes: u32,
    pub status: String,
    pub booked: bool,
    /// The move form's date and time: the appointment's own, or what was posted and refused.
    pub date: String,
    pub time: String,
}

/// A message as the table shows it.
#[derive(Debug, Clone)]
pub struct MessageRow {
    pub id: String,
    pub what: String,
    pub channel: String,
    pub due: String,
    pub status: Badge,
    pub failed: bool,
    pub attempts: u32,
    pub sent: String,
    /// The receiving server's answer, or why it was not sent.
    pub answer: String,
}

/// What a refused form leaves on the page: the error, which form it belongs to, and the values
/// posted (kept on the form).
#[derive(Debug, Clone, Default)]
pub struct Refused {
    pub error: Option<Shown>,
    /// `book`, an appointment's id (its move or cancel form) or a message's id.
    pub target: String,
    pub form: FormData,
}

/// The appointments and messages sections of the patient's page.
#[derive(Debug, Clone)]
pub struct Section {
    pub patient: String,
    /// The clinic's zone, in which dates and times are shown and read.
    pub zone: String,
    pub appointments: Vec<AppointmentRow>,
    pub messages: Vec<MessageRow>,
    error: Option<Shown>,
    target: String,
    /// The book form's values.
    pub date: String,
    pub time: String,
    pub minutes: String,
    /// The clinic's practitioners (id, name) for the book form, and the one chosen.
    pub practitioners: Vec<(String, String)>,
    pub practitioner: String,
    /// Why outside the plan's window, as posted.
    pub window_reason: String,
    /// Each appointment's practitioner and window reason, by appointment id.
    pub details: Vec<(String, String, String)>,
}

impl Section {
    /// The error of the form `target` (`book`, an appointment's or a message's id), if it has one.
    pub fn error_at(&self, target: &str) -> Option<Shown> {
        self.error.clone().filter(|_| self.target == target)
    }
}

/// The sections for the chart's patient, with the refused form's error and values, if any. Drawn
/// from the chart the patient page read (`clinic::chart`), never by reading again.
pub fn section(a: &Authed, t: &Locale, chart: &Chart, tz: Tz, refused: Refused) -> Section {
    let now = chart.now;
    let patient = chart.patient.id;
    let mut upcoming: Vec<_> = chart.appointments.iter().filter(|x| x.starts_at > now).collect();
    upcoming.sort_by_key(|x| x.starts_at);
    let appointments = upcoming
        .iter()
        .map(|x| {
            let id = x.id.to_string();
            let at = x.starts_at.with_timezone(&tz);
            let (date, time) = if refused.target == id {
                (refused.form.get("date").to_string(), refused.form.get("time").to_string())
            } else {
                (at.format("%Y-%m-%d").to_string(), at.format("%H:%M").to_string())
            };
            AppointmentRow {
                when: local(x.starts_at, tz),
                minutes: x.minutes,
                status: t.label("appointment_status", x.status.as_str()).to_string(),
                booked: x.status == AppointmentStatus::Booked,
                date,
                time,
                id,
            }
        })
        .collect();
    let messages = chart.messages.iter().map(|m| row(t, m, tz)).collect();
    let book_refused = refused.target == "book";
    let kept = |name: &str, default: &str| {
        if book_refused { refused.form.get(name).to_string() } else { default.to_string() }
    };
    let staff = &chart.staff;
    let practitioners: Vec<(String, String)> = staff
        .iter()
        .filter(|s| policy::performs_sessions(s.role))
        .map(|s| (s.id.to_string(), s.name.clone()))
        .collect();
    let name = |id: Option<StaffId>| {
        id.and_then(|i| staff.iter().find(|s| s.id == i)).map(|s| s.name.clone()).unwrap_or_default()
    };
    let details = upcoming
        .iter()
        .map(|x| (x.id.to_string(), name(x.practitioner), x.window_reason.clone().unwrap_or_default()))
        .collect();
    let me = a.staff().filter(|_| a.performs_sessions()).map(|s| s.to_string()).unwrap_or_default();
    Section {
        practitioners,
        practitioner: kept("practitioner", &me),
        window_reason: kept("window_reason", ""),
        details,
        patient: patient.to_string(),
        zone: tz.name().to_string(),
        appointments,
        messages,
        date: kept("date", ""),
        time: kept("time", ""),
        minutes: kept("minutes", "60"),
        error: refused.error,
        target: refused.target,
    }
}

fn row(t: &Locale, m: &Message, tz: Tz) -> MessageRow {
    let (icon, class) = match m.status {
        MessageStatus::Sent => (icons::CHECK, "u-ok"),
        MessageStatus::Failed => (icons::WARNING, "u-urgent"),
        MessageStatus::Pending | MessageStatus::Sending => (icons::PAUSE, ""),
        MessageStatus::Skipped | MessageStatus::Withdrawn => (icons::CROSS, ""),
    };
    MessageRow {
        id: m.id.to_string(),
        what: t.label("message_kind", m.kind.as_str()).to_string(),
        channel: t.label("message_channel", m.channel.as_str()).to_string(),
        due: local(m.due_at, tz),
        status: Badge { label: t.label("message_status", m.status.as_str()).to_string(), icon, class },
        failed: m.status == MessageStatus::Failed,
        attempts: m.attempts,
        sent: m.sent_at.map(|at| local(at, tz)).unwrap_or_default(),
        answer: m
            .detail
            .clone()
            .or_else(|| m.last_error.as_deref().map(|e| crate::reasons::message_note(t, e)))
            .unwrap_or_default(),
    }
}
