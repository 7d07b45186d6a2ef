//! The forms of a patient's appointments and messages (`/staff/patients/{id}`): book, move and
//! cancel a session, and "Send again" for a failed message. Each parses the form, calls one use
//! case of `clinic::appointments` (the same the JSON routes call) and goes back to the patient's
//! page; a refused form shows the page again ([`records::render`]) with the error and the values
//! posted at that form.
//!
//! A date and time typed into a form is read in the clinic's zone; a time the clocks skip (the
//! spring change) is refused on the form rather than shifted.
//!
//! The sections themselves are drawn by [`reminders`](super::reminders) from the chart; this
//! module is apart from it so that the page and its sections do not import each other.

use std::sync::Arc;

use axum::extract::{Path, State};
use chrono::{DateTime, FixedOffset, LocalResult, NaiveDate, NaiveTime, TimeZone};
use chrono_tz::Tz;
use needlepath_store::{AppointmentId, MessageId, PatientId, Recipient};

use crate::App;
use crate::api::id;
use crate::clinic::appointments::{self, AppointmentRequest, RescheduleRequest};
use crate::i18n::Locale;
use crate::pages::form::{FormData, Posted};
use crate::pages::staff::reminders::Refused;
use crate::pages::staff::{clinic_zone, records};
use crate::pages::{Ctx, PageError, PageResult, Shown, see_other};
use crate::problem::ApiError;

/// A form field's error, naming the field in words.
fn invalid(t: &Locale, field: &str, label: &str, detail: &str) -> ApiError {
    ApiError::invalid(field, t.f("common.field_error", &[("field", label), ("detail", detail)]))
}

/// The date and time of a form, read in the clinic's zone. A time the clocks skip is refused;
/// a time they pass twice (the autumn change) is the first of the two.
pub(crate) fn starts_at(t: &Locale, form: &FormData, tz: Tz) -> Result<DateTime<FixedOffset>, ApiError> {
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
pub(crate) fn minutes(t: &Locale, form: &FormData) -> Result<Option<u32>, ApiError> {
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
            appointments::book(&app, &a.actor, patient, req).await.map(|_| ()).map_err(|e| on_fields(t, e.into()))
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
        Ok(at) => {
            let req = RescheduleRequest { starts_at: at, window_reason: form.opt("window_reason").map(str::to_string) };
            appointments::reschedule(&app, &a.actor, patient, appointment_id, req)
                .await
                .map(|_| ())
                .map_err(|e| on_fields(t, e.into()))
        }
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
    let r = appointments::cancel(&app, &a.actor, patient, appointment_id).await.map(|_| ()).map_err(ApiError::from);
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
    match appointments::retry(&app, &a.actor, message).await {
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
