//! `GET /calendar/{token}.ics`: the patient's calendar feed.
//!
//! The token in the address is the only key (calendar apps cannot log in), so it is long,
//! random, stored only as its hash, and replaced when the patient resets it. Events are titled
//! "Clinic appointment", "Care step" or "Check-in" and link to the patient's care page; the
//! care step's own words appear only when the clinic turns `calendar_details` on.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use needlepath_store::{Appointment, Message, MessageKind};

use crate::App;
use crate::calendar::ics::{Alarm, EventTime, Feed, FeedEvent, etag, if_none_match_hits, render};
use crate::clinic::my_reminders::{CalendarFeed, calendar_feed};
use crate::i18n::{Locale, default_locale};
use crate::problem::ApiError;
use crate::reminders::payload::Payload;

/// How often calendar apps are asked to look again.
const REFRESH_MINUTES: u32 = 60;

pub async fn serve(State(app): State<Arc<App>>, Path(file): Path<String>, headers: HeaderMap) -> Response {
    match feed(&app, &file, &headers).await {
        Ok(r) => r,
        Err(e) => e.into_response(),
    }
}

async fn feed(app: &App, file: &str, headers: &HeaderMap) -> Result<Response, ApiError> {
    // An unknown, reset or malformed token is the same plain 404: nothing to tell apart.
    let token = file.strip_suffix(".ics").unwrap_or(file);
    if token.is_empty() || token.len() > 100 {
        return Err(ApiError::not_found("calendar"));
    }
    let Some(CalendarFeed { clinic, appointments, messages, .. }) = calendar_feed(app, token).await? else {
        return Err(ApiError::not_found("calendar"));
    };
    let body = render(&build(
        default_locale(),
        &app.config.public_url,
        &clinic.name,
        clinic.settings.calendar_details,
        &appointments,
        &messages,
    ));
    let tag = etag(&body);
    let mut out = if headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| if_none_match_hits(v, &tag))
    {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        (StatusCode::OK, body).into_response()
    };
    let h = out.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/calendar; charset=utf-8"));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("private, no-cache"));
    h.insert(header::CONTENT_DISPOSITION, HeaderValue::from_static("inline; filename=\"care.ics\""));
    if let Ok(v) = HeaderValue::from_str(&tag) {
        h.insert(header::ETAG, v);
    }
    Ok(out)
}

/// The feed of one patient: booked appointments, and each reminder as a short event at the
/// moment it was scheduled for.
pub fn build(
    t: &Locale,
    public_url: &str,
    clinic: &str,
    details: bool,
    appointments: &[Appointment],
    messages: &[Message],
) -> Feed {
    let base = public_url.trim_end_matches('/');
    let details_line = |path: &str| t.f("calendar.details", &[("link", &format!("{base}{path}"))]);
    let alarm = t.f("calendar.alarm", &[("clinic", clinic)]);
    let mut events: Vec<FeedEvent> = appointments
        .iter()
        .map(|a| FeedEvent {
            uid: format!("appointment-{}@needlepath", a.id),
            stamp: a.updated_at,
            time: EventTime::At { start: a.starts_at, minutes: a.minutes },
            summary: t.s("calendar.appointment").to_string(),
            description: details_line("/me"),
            location: Some(clinic.to_string()),
            url: Some(format!("{base}/me")),
            alarms: vec![
                Alarm { minutes_before: 24 * 60, description: alarm.clone() },
                Alarm { minutes_before: 120, description: alarm.clone() },
            ],
        })
        .collect();
    for m in messages {
        // A message whose payload does not read is left out of the feed (and fails on delivery,
        // where staff see it); the feed never guesses what it says.
        let pl = match Payload::read(&m.payload) {
            Ok(pl) => pl,
            Err(e) => {
                tracing::error!(message = %m.id, error = %e, "a queued message does not read; left out of the calendar");
                continue;
            }
        };
        let link = pl.link.as_str();
        let summary = if m.kind == MessageKind::CheckIn { t.s("calendar.check_in") } else { t.s("calendar.care_step") };
        let mut description = String::new();
        if details {
            for item in pl.items.iter().filter(|i| i.code != "session") {
                description.push_str(&item.message);
                description.push('\n');
            }
        }
        description.push_str(&details_line(link));
        let start = if m.kind == MessageKind::CheckIn { pl.event_at.unwrap_or(m.due_at) } else { m.due_at };
        let uid = m.idempotency_key.strip_suffix(":email").unwrap_or(&m.idempotency_key);
        events.push(FeedEvent {
            uid: format!("{uid}@needlepath"),
            stamp: m.created_at,
            time: EventTime::At { start, minutes: 15 },
            summary: summary.to_string(),
            description,
            location: None,
            url: Some(format!("{base}{link}")),
            alarms: vec![Alarm { minutes_before: 0, description: alarm.clone() }],
        });
    }
    events.sort_by_key(|e| match e.time {
        EventTime::At { start, .. } => start,
        EventTime::AllDay(d) => d.and_hms_opt(0, 0, 0).map(|n| n.and_utc()).unwrap_or_default(),
    });
    Feed {
        name: t.f("calendar.name", &[("clinic", clinic)]),
        description: t.f("calendar.description", &[("clinic", clinic)]),
        refresh_minutes: REFRESH_MINUTES,
        events,
    }
}
