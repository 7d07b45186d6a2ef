//! Reminders: the patient chooses e-mail and text-message reminders (saying where each goes,
//! from their record), sees their booked appointments, and manages the calendar feed — a new
//! link is shown once on its own answer page (only its hash is kept), and the feed can be
//! turned off. Every form calls what `GET/PUT /api/v1/me/reminders`, `POST /api/v1/me/calendar`
//! and `POST /api/v1/me/calendar/off` call.

use std::sync::Arc;

use askama::Template;
use axum::extract::{Query, State};
use serde::Deserialize;

use crate::App;
use crate::clinic::my_reminders::{self, CalendarLink, MyReminders, my_reminders};
use crate::pages::form::Posted;
use crate::pages::patient::{NextView, me, next_view};
use crate::pages::view::{date, moment};
use crate::pages::{Ctx, Frame, PageResult, page, see_other};

/// One reminder channel: whether it is on, and where it goes.
#[derive(Debug, Clone)]
pub struct ChannelChoice {
    pub on: bool,
    /// The address or number on the patient's record; `None` when there is none.
    pub to: Option<String>,
}

#[derive(Template)]
#[template(path = "patient/reminders.html")]
struct RemindersPage {
    f: Frame,
    email: ChannelChoice,
    sms: ChannelChoice,
    /// Whether the clinic has the patient's agreement to messages (without it none are sent).
    consent: bool,
    /// What was just done, in words; empty when nothing was.
    saved: String,
    /// Booked appointments still to come, soonest first, in the patient's zone.
    appointments: Vec<String>,
    /// The next session's window and booking, as Today and My plan say it.
    next_session: Option<NextView>,
    /// Since when the current calendar link exists; `None` when the feed is off.
    calendar_since: Option<String>,
}

#[derive(Template)]
#[template(path = "patient/calendar_link.html")]
struct CalendarLinkPage {
    f: Frame,
    url: String,
    webcal: String,
}

#[derive(Debug, Deserialize)]
pub struct Saved {
    saved: Option<String>,
}

pub async fn page_get(State(app): State<Arc<App>>, ctx: Ctx, Query(q): Query<Saved>) -> PageResult {
    let (a, id) = me(&ctx)?;
    let t = ctx.t;
    let MyReminders { patient, tz, settings, appointments: all, upcoming, next, .. } =
        my_reminders(&app, &a.actor, id).await?;
    let next_session = next.map(|n| next_view(t, &n, &all, tz));
    let appointments = upcoming
        .iter()
        .map(|x| {
            t.f(
                "reminders.appointment",
                &[
                    ("when", &moment(x.starts_at.with_timezone(&tz).fixed_offset())),
                    ("minutes", &x.minutes.to_string()),
                ],
            )
        })
        .collect();
    let saved = match q.saved.as_deref() {
        Some("calendar_off") => t.s("reminders.calendar_turned_off"),
        Some(_) => t.s("reminders.saved"),
        None => "",
    };
    page(&RemindersPage {
        f: ctx.frame(t.s("reminders.title")),
        email: ChannelChoice { on: settings.email, to: patient.email.clone() },
        sms: ChannelChoice { on: settings.sms, to: patient.phone.clone() },
        consent: patient.consent_messages,
        saved: saved.to_string(),
        appointments,
        next_session,
        calendar_since: settings
            .calendar_feed
            .then(|| settings.calendar_feed_created_at.map(|at| date(at.with_timezone(&tz).date_naive())))
            .map(Option::unwrap_or_default),
    })
}

/// The channel checkboxes, as `PUT /api/v1/me/reminders` takes them.
pub async fn page_post(State(app): State<Arc<App>>, ctx: Ctx, Posted(form): Posted) -> PageResult {
    let (a, id) = me(&ctx)?;
    my_reminders::choose_channels(&app, &a.actor, id, form.has("email", ""), form.has("sms", "")).await?;
    Ok(see_other("/me/reminders?saved=1#channels"))
}

/// A new calendar link, shown once; the old one stops working.
pub async fn calendar_post(State(app): State<Arc<App>>, ctx: Ctx, Posted(_): Posted) -> PageResult {
    let (a, id) = me(&ctx)?;
    let CalendarLink { url, webcal, .. } = my_reminders::new_calendar_link(&app, &a.actor, id).await?;
    page(&CalendarLinkPage { f: ctx.frame(ctx.t.s("calendar_link.title")), url, webcal })
}

/// Turns the calendar feed off: the link stops working.
pub async fn calendar_off(State(app): State<Arc<App>>, ctx: Ctx, Posted(_): Posted) -> PageResult {
    let (a, id) = me(&ctx)?;
    my_reminders::calendar_off(&app, &a.actor, id).await?;
    Ok(see_other("/me/reminders?saved=calendar_off#calendar"))
}
