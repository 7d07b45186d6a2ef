//! The patient's own pages, after their invite link: Today, the check-in, the plan, the
//! history with its symptom chart. The patient always comes from the login, never the URL.
//!
//! Each page reads through the same use cases as the JSON API (`clinic::today`,
//! `clinic::check_ins`, `clinic::my_record`, `clinic::my_reminders`), so the page and the API
//! cannot tell a patient different things.

pub mod check_in;
pub mod check_in_photo;
pub mod consent;
pub mod history;
pub mod outcome;
pub mod plan;
pub mod reminders;
pub mod today;

use chrono_tz::Tz;
use needlepath_core::protocol::Protocol;
use needlepath_store::PatientId;

use crate::auth::Authed;
use crate::pages::public::Said;
use crate::pages::{Ctx, PageError};
use crate::problem::ApiError;

/// The signed-in patient: only ever from the login session.
pub fn me(ctx: &Ctx) -> Result<(&Authed, PatientId), PageError> {
    let a = ctx.authed()?;
    let id = a.patient().ok_or_else(|| PageError(ApiError::forbidden("only a patient has a record of their own")))?;
    Ok((a, id))
}

/// A stored protocol statement (`{ message, points?, sources }` in a result) as a page says it.
pub fn said(p: &Protocol, s: &needlepath_core::stored::Said) -> Said {
    Said { message: s.message.clone(), points: s.points.clone(), sources: crate::pages::view::sources(p, &s.sources) }
}

pub use crate::schedule::next_window;

/// The next session as every patient page says it: the window, and the appointment booked for
/// it (with a word when it lies outside the window). From `schedule::series_of`, the one truth.
#[derive(Debug, Clone, Default)]
pub struct NextView {
    /// "Between Tue 29 Dec 2026 and Tue 12 Jan 2027".
    pub window: String,
    /// "Booked: Tue 5 Jan 2027, 10:00 (60 minutes)"; empty when nothing is booked.
    pub booked: String,
}

pub fn next_view(
    t: &crate::i18n::Locale,
    next: &needlepath_core::pathway::next::NextSession<needlepath_store::AppointmentId>,
    appointments: &[needlepath_store::Appointment],
    tz: Tz,
) -> NextView {
    use crate::pages::view::{date, moment};
    let window = t.f("today.window", &[("from", &date(next.window.earliest)), ("to", &date(next.window.latest))]);
    let booked = next
        .booked
        .and_then(|b| appointments.iter().find(|a| a.id == b.id))
        .map(|a| {
            let key = if next.booked_in_window { "today.booked" } else { "today.booked_outside" };
            t.f(
                key,
                &[
                    ("when", &moment(a.starts_at.with_timezone(&tz).fixed_offset())),
                    ("minutes", &a.minutes.to_string()),
                ],
            )
        })
        .unwrap_or_default();
    NextView { window, booked }
}
