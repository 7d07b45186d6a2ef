//! The appointments and messages of a patient's page (`/staff/patients/{id}`), for everyone on
//! staff (the front desk books too): upcoming appointments with book, move and cancel forms,
//! and the last messages the patient was sent, with "Send again" for a failed one.
//!
//! A date and time typed into a form is read in the clinic's zone; a time the clocks skip (the
//! spring change) is refused on the form rather than shifted. Booking and moving call
//! `api::reminders::{book, reschedule}`, cancelling and retrying the store, exactly as the JSON
//! routes do; a refused form shows the patient's page again with the error at that form.

use std::sync::Arc;

use axum::extract::{Path, State};
use chrono::{DateTime, FixedOffset, LocalResult, NaiveDate, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;
use needlepath_store::{AppointmentId, Message, MessageId, MessageStatus, PatientId, Recipient, StaffId};

use crate::App;
use crate::api::id;
use crate::api::reminders::{AppointmentRequest, book, reschedule};
use crate::auth::Authed;
use crate::clinic::chart::Chart;
use crate::i18n::Locale;
use crate::pages::form::{FormData, Posted};
use crate::pages::staff::{clinic_zone, local, records};
use crate::pages::view::{Badge, icons};
use crate::pages::{Ctx, PageError, PageResult, Shown, see_other};
use crate::policy;
use crate::problem::ApiError;

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
                status: t.label("appointment_status", &x.status).to_string(),
                booked: x.status == "booked",
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
        what: t.label("message_kind", &m.kind).to_string(),
        channel: t.label("message_channel", m.channel.as_str()).to_string(),
        due: local(m.due_at, tz),
        status: Badge { label: t.label("message_status", m.status.as_str()).to_string(), icon, class },
        failed: m.status == MessageStatus::Failed,
        attempts: m.attempts,
        sent: m.sent_at.map(|at| local(at, tz)).unwrap_or_default(),
        answer: m.detail.clone().or_else(|| m.last_error.clone()).unwrap_or_default(),
    }
}

/// A form field's error, naming the field in words.
fn invalid(t: &Locale, field: &str, label: &str, detail: &str) -> ApiError {
    ApiError::invalid(field, t.f("common.field_error", &[("field", label), ("detail", detail)]))
}

/// The date and time of a form, read in the clinic's zone. A time the clocks skip is refused;
/// a time they pass twice (the autumn change) is the first of the two.
fn starts_at(t: &Locale, form: &FormData, tz: Tz) -> Result<DateTime<FixedOffset>, ApiError> {
    let (d, tm) = (form.get("date"), form.get("time"));
    let date = if d.is_empty() {
        return Err(invalid(t, "date", t.s("appointments.date"), t.s("appointments.date_missing")));
    } else {
        NaiveDate::parse_from_str(d, "%Y-%m-%d")
            .map_err(|_| invalid(t, "date", t.s("appointments.date"), &t.f("appointments.date_bad", &[("value", d)])))?
    };
    let time = if tm.is_empty() {
        return Err(invalid(t, "time", t.s("appointments.time"), t.s("appointments.time_missing")));
    } else {
        NaiveTime::parse_from_str(tm, "%H:%M").or_else(|_| NaiveTime::parse_from_str(tm, "%H:%M:%S")).map_err(|_| {
            invalid(t, "time", t.s("appointments.time"), &t.f("appointments.time_bad", &[("value", tm)]))
        })?
    };
    match tz.from_local_datetime(&date.and_time(time)) {
        LocalResult::Single(at) | LocalResult::Ambiguous(at, _) => Ok(at.fixed_offset()),
        LocalResult::None => Err(invalid(
            t,
            "time",
            t.s("appointments.time"),
            &t.f("appointments.time_gap", &[("date", d), ("time", tm), ("zone", tz.name())]),
        )),
    }
}

/// The length in minutes; blank is the API's default.
fn minutes(t: &Locale, form: &FormData) -> Result<Option<u32>, ApiError> {
    match form.opt("minutes") {
        None => Ok(None),
        Some(v) => v.parse().map(Some).map_err(|_| {
            invalid(t, "minutes", t.s("appointments.minutes"), &t.f("appointments.minutes_bad", &[("value", v)]))
        }),
    }
}

/// An API error about `starts_at` or `minutes`, as the form's own fields in words.
fn on_fields(t: &Locale, e: ApiError) -> ApiError {
    let (field, label) = match e.field.as_deref() {
        Some("starts_at") => ("time", t.s("appointments.when")),
        Some("minutes") => ("minutes", t.s("appointments.minutes")),
        Some("window_reason") => ("window_reason", t.s("appointments.window_reason")),
        Some("practitioner_id") => ("practitioner", t.s("appointments.practitioner")),
        _ => return e,
    };
    let mut e = e;
    e.detail = t.f("common.field_error", &[("field", label), ("detail", &e.detail)]);
    e.field = Some(field.to_string());
    e
}

/// After a form: back to the patient's `anchor`, or the patient's page again with the error at
/// the form `target`.
async fn after(
    app: &App,
    ctx: &Ctx,
    patient: PatientId,
    anchor: &str,
    target: String,
    form: FormData,
    r: Result<(), ApiError>,
) -> PageResult {
    match r {
        Ok(()) => Ok(see_other(&format!("/staff/patients/{patient}#{anchor}"))),
        Err(e) => {
            let (status, shown) = Shown::on_form(e)?;
            let refused = Refused { error: Some(shown), target, form };
            records::render(app, ctx, patient, status, refused).await
        }
    }
}

pub async fn book_submit(
    State(app): State<Arc<App>>,
    ctx: Ctx,
    Path(raw): Path<String>,
    Posted(form): Posted,
) -> PageResult {
    let a = ctx.authed()?;
    let t = ctx.t;
    let patient: PatientId = id(&raw, "patient")?;
    let (_, tz) = clinic_zone(&app, a).await?;
    let r = match starts_at(t, &form, tz).and_then(|at| Ok((at, minutes(t, &form)?))) {
        Ok((starts_at, minutes)) => {
            let practitioner_id = match form.opt("practitioner") {
                None => None,
                Some(v) => Some(id(v, "practitioner_id").map_err(|e| on_fields(t, e))?),
            };
            let req = AppointmentRequest {
                starts_at,
                minutes,
                plan_id: None,
                note: None,
                practitioner_id,
                window_reason: form.opt("window_reason").map(str::to_string),
            };
            book(&app, a, patient, req).await.map(|_| ()).map_err(|e| on_fields(t, e))
        }
        Err(e) => Err(e),
    };
    after(&app, &ctx, patient, "appointments", "book".into(), form, r).await
}

pub async fn move_submit(
    State(app): State<Arc<App>>,
    ctx: Ctx,
    Path((raw, appointment)): Path<(String, String)>,
    Posted(form): Posted,
) -> PageResult {
    let a = ctx.authed()?;
    let t = ctx.t;
    let patient: PatientId = id(&raw, "patient")?;
    let appointment_id: AppointmentId = id(&appointment, "appointment")?;
    let (_, tz) = clinic_zone(&app, a).await?;
    let r = match starts_at(t, &form, tz) {
        Ok(at) => reschedule(&app, a, patient, appointment_id, at, form.opt("window_reason"))
            .await
            .map(|_| ())
            .map_err(|e| on_fields(t, e)),
        Err(e) => Err(e),
    };
    after(&app, &ctx, patient, "appointments", appointment, form, r).await
}

pub async fn cancel_submit(
    State(app): State<Arc<App>>,
    ctx: Ctx,
    Path((raw, appointment)): Path<(String, String)>,
    Posted(form): Posted,
) -> PageResult {
    let a = ctx.authed()?;
    let patient: PatientId = id(&raw, "patient")?;
    let appointment_id: AppointmentId = id(&appointment, "appointment")?;
    let r = app.store.cancel_appointment(&a.actor, patient, appointment_id).await.map(|_| ()).map_err(ApiError::from);
    after(&app, &ctx, patient, "appointments", appointment, form, r).await
}

/// "Send again": the message goes back in the queue. The form names the patient's page to show
/// a refusal on; a success goes back to the page of the message's own recipient.
pub async fn retry_submit(
    State(app): State<Arc<App>>,
    ctx: Ctx,
    Path(raw): Path<String>,
    Posted(form): Posted,
) -> PageResult {
    let a = ctx.authed()?;
    let message: MessageId = id(&raw, "message")?;
    match app.store.retry_message(&a.actor, message, Utc::now()).await {
        Ok(m) => Ok(see_other(&match m.recipient {
            Recipient::Patient(p) => format!("/staff/patients/{p}#messages"),
            _ => "/staff".to_string(),
        })),
        Err(e) => {
            let e = ApiError::from(e);
            match id::<PatientId>(form.get("patient"), "patient") {
                Ok(patient) => {
                    let (status, shown) = Shown::on_form(e)?;
                    let refused = Refused { error: Some(shown), target: raw, form };
                    records::render(&app, &ctx, patient, status, refused).await
                }
                Err(_) => Err(PageError(e)),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::default_locale;

    fn form(date: &str, time: &str) -> FormData {
        FormData::from_pairs(vec![("date".into(), date.into()), ("time".into(), time.into())])
    }

    #[test]
    fn dates_and_times_are_read_in_the_clinic_zone() {
        let t = default_locale();
        let tz: Tz = "Europe/Berlin".parse().unwrap();
        let at = starts_at(t, &form("2027-07-01", "10:30"), tz).unwrap();
        assert_eq!(at.to_rfc3339(), "2027-07-01T10:30:00+02:00");
        let winter = starts_at(t, &form("2027-01-04", "09:00:00"), tz).unwrap();
        assert_eq!(winter.to_rfc3339(), "2027-01-04T09:00:00+01:00");
        // The autumn change passes 02:30 twice: the first is meant.
        let twice = starts_at(t, &form("2027-10-31", "02:30"), tz).unwrap();
        assert_eq!(twice.to_rfc3339(), "2027-10-31T02:30:00+02:00");
    }

    #[test]
    fn a_time_the_clocks_skip_is_refused_on_the_time_field() {
        let t = default_locale();
        let tz: Tz = "Europe/Berlin".parse().unwrap();
        let e = starts_at(t, &form("2027-03-28", "02:30"), tz).unwrap_err();
        assert_eq!(e.field.as_deref(), Some("time"));
        assert!(e.detail.contains("Europe/Berlin") && e.detail.contains("02:30"), "{}", e.detail);
    }

    #[test]
    fn bad_input_names_its_field() {
        let t = default_locale();
        let tz = chrono_tz::UTC;
        for (date, time, field) in
            [("", "10:00", "date"), ("tomorrow", "10:00", "date"), ("2027-01-04", "25:00", "time")]
        {
            let e = starts_at(t, &form(date, time), tz).unwrap_err();
            assert_eq!(e.field.as_deref(), Some(field), "{date} {time}");
        }
        let f = FormData::from_pairs(vec![("minutes".into(), "an hour".into())]);
        assert_eq!(minutes(t, &f).unwrap_err().field.as_deref(), Some("minutes"));
        assert_eq!(minutes(t, &FormData::default()).unwrap(), None);
        let e = on_fields(t, ApiError::invalid("starts_at", "must be in the future"));
        assert_eq!(e.field.as_deref(), Some("time"));
        assert!(e.detail.starts_with("Date and time: "), "{}", e.detail);
    }
}
